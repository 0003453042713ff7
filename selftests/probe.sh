#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptun probe between two esptund, nftables on b's side of the path
# dropping one thing at a time: UDP 500, then UDP 4500, then (tunnel up)
# ESP, then all three, each probe's sentence and exit status asserted; a
# probe of a healthy tunnel leaves its SAs as they were. Then
# nat-t = auto-force: with ESP dropped, a tunnel that came up raw moves to
# ESP in UDP by itself and traffic passes again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=probe-both-ends
IKE=aes128-sha256-ecp256
ESP=aes128gcm16
N_TESTS=18

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "probe-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

ike_topo || exit 1

# a (ns1) initiates on command, b (ns2) listens; NATT sets a's nat-t.
conf() {
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK $IKE $ESP listen \
		local-ts=$IKE_IN1/32 remote-ts=$IKE_IN2/32 \
		nat-t=${NATT:-auto}
	esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK $IKE $ESP listen \
		local-ts=$IKE_IN2/32 remote-ts=$IKE_IN1/32
	[ -n "${ESPTUND_PID[a]:-}" ] || return 0
	eike a reload >/dev/null && eike b reload >/dev/null
}

# probe [ARGS...]: esptun probe of conn peer from a; OUT and RC are set.
# -w 0 where ESP is not the point: done as soon as both ports answer.
probe() {
	OUT=$(ip netns exec $IKE_NS1 "$ESPTUN" probe -s "$IKE_DIR/a.sock" \
		"$@" peer 2>&1)
	RC=$?
}

# expect TEST RC TEXT...: the last probe exited RC and said every TEXT.
expect() {
	local name=$1 rc=$2 t
	shift 2
	for t in "$@"; do
		if [ "$RC" != "$rc" ] || [[ $OUT != *"$t"* ]]; then
			ktap_fail "$name" "$(printf 'want exit %s and "%s"; got exit %s:\n%s' \
				"$rc" "$t" "$RC" "$OUT")"
			return
		fi
	done
	ktap_ok "$name"
}

# nft_drop NS MATCH: drops what MATCH selects on input (one nft run).
nft_drop() {
	ip netns exec "$1" nft -f - <<EOF
table inet probe {
	chain in {
		type filter hook input priority 0;
		$2 drop
	}
}
EOF
}

nft_clear() {
	ip netns exec "$1" nft delete table inet probe 2>/dev/null
	true
}

conf
if esptund_start a $IKE_NS1 >"$IKE_DIR/start.out" &&
   esptund_start b $IKE_NS2 >>"$IKE_DIR/start.out"; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1

ktap_expect_fail "unknown-conn" "no conn named 'nope'" \
	"$ESPTUN" probe -s "$IKE_DIR/a.sock" nope

# No tunnel (both held down, so no acquire starts one): both UDP ports
# answered, ESP not tested, and the probe started no negotiation here.
eike a down peer >/dev/null 2>&1
eike b down peer >/dev/null 2>&1
a_none() { eike a status | grep -q "^conn peer: NONE"; }
wait_for -t 10 a_none
exchanges=$(eike a status | grep "exchanges:")
probe -w 0
expect "udp-both-no-sa" 0 "UDP 500:  ok (MM2 in " "UDP 4500: ok (MM2 in " \
	"ESP:      not tested: no IPsec SA yet" \
	"UDP 500 and 4500 pass to $IKE_ADDR2; raw ESP was not tested."
if eike a status | grep -q "^conn peer: NONE" &&
   [ "$(eike a status | grep "exchanges:")" = "$exchanges" ]; then
	ktap_ok "no-sa-left"
else
	ktap_fail "no-sa-left" "before: '$exchanges'; now: $(eike a status)"
fi

# UDP 500 dropped on b's side.
nft_drop $IKE_NS2 "udp dport 500"
probe -w 0
expect "udp500-dropped" 1 "UDP 500:  no answer (MM1 sent 2 times)" \
	"UDP 500 gets no answer but UDP 4500 does: the path drops UDP 500"
nft_clear $IKE_NS2

# UDP 4500 dropped on b's side.
nft_drop $IKE_NS2 "udp dport 4500"
probe -w 0
expect "udp4500-dropped" 1 "UDP 4500: no answer (MM1 sent 2 times)" \
	"UDP 500 passes but UDP 4500 gets no answer: the path drops UDP 4500 or $IKE_ADDR2 has no NAT-T"
nft_clear $IKE_NS2

# The tunnel up and healthy: ESP pings come back, the SAs stay as they are.
# b initiates (a, held, answers), then a's hold is lifted: a held conn's
# device has no carrier.
ktap_check "tunnel-up" eike b up -t 60 peer
eike a up -t 30 peer >/dev/null
spis=$(esptund_spis a)
probe -a $IKE_IN2
expect "all-pass" 0 "ESP:      ok (" \
	"UDP 500, UDP 4500 and ESP pass to $IKE_ADDR2."
if [ -n "$spis" ] && [ "$(esptund_spis a)" = "$spis" ] &&
   [ "$(esptun_n_sas $IKE_NS1)" = 2 ]; then
	ktap_ok "sas-untouched"
else
	ktap_fail "sas-untouched" "before '$spis', after '$(esptund_spis a)', $(esptun_n_sas $IKE_NS1) SAs"
fi
probe -w 1000
expect "no-traffic" 0 "not tested: no traffic through esp0" \
	"-a ADDRESS pings a host behind the peer"

# ESP dropped on b's side: a's pings go out, nothing comes back.
nft_drop $IKE_NS2 "meta l4proto esp"
probe -a $IKE_IN2
expect "esp-dropped" 1 "ESP:      no answer (" \
	"UDP 500 and 4500 pass, raw ESP does not come back: the path drops ESP; set nat-t = force (or auto-force)."
OUT=$(ip netns exec $IKE_NS1 "$ESPTUN" -j probe -s "$IKE_DIR/a.sock" \
	-a $IKE_IN2 -w 1500 peer 2>&1)
if "${PY3[@]}" -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["blocked"] is True, "blocked"
assert j["udp500"]["state"] == "ok" and j["udp4500"]["state"] == "ok", "udp"
assert j["esp"]["state"] == "no-answer", "esp state"
assert j["esp"]["packets_out"] > 0 and j["esp"]["packets_in"] == 0, "counts"
' "$OUT"; then
	ktap_ok "esp-dropped-json"
else
	ktap_fail "esp-dropped-json" "$OUT"
fi
# Raw ESP is lost; ESP in UDP is the way around it.
if ike_ping $IKE_NS1 $IKE_IN2 2 >/dev/null; then
	ktap_fail "esp-dropped-no-ping" "pings passed with ESP dropped"
else
	ktap_ok "esp-dropped-no-ping"
fi

# UDP 500 and 4500 dropped on b's side as well: nothing answers.
nft_drop $IKE_NS2 "udp dport { 500, 4500 }"
probe -a $IKE_IN2
expect "all-dropped" 1 "UDP 500:  no answer (MM1 sent 2 times)" \
	"UDP 4500: no answer (MM1 sent 2 times)" "ESP:      no answer (" \
	"Neither UDP 500 nor UDP 4500 is answered and raw ESP does not come back either: $IKE_ADDR2 is down or the path drops both IKE and ESP to it."
nft_clear $IKE_NS2
nft_drop $IKE_NS2 "meta l4proto esp"

# nat-t = auto-force: with ESP still dropped, the raw tunnel moves to ESP
# in UDP by itself once a's traffic gets no answer.
eike a down peer >/dev/null 2>&1
NATT=auto-force conf
esptund_mark a
ktap_check "autoforce-up" eike a up -t 60 peer
bg_start ip netns exec $IKE_NS1 ping -i 0.5 -q $IKE_IN2 >/dev/null 2>&1
autoforce_moved() {
	esptund_log_has a "renegotiating with ESP in UDP (nat-t = auto-force)" &&
		eike a status | grep -q "esp in udp"
}
if wait_for -t 60 autoforce_moved; then
	ktap_ok "autoforce-switched"
else
	ktap_fail "autoforce-switched" "$(eike a status; esptund_log a | grep -iE 'auto-force|ESP blocked|NAT-D' | tail -5)"
fi
ktap_check "autoforce-ping" wait_for -t 30 ike_ping $IKE_NS1 $IKE_IN2 2
bg_stop "$BG_PID"
probe -w 0
expect "autoforce-probe" 0 "not tested: this conn's ESP goes in UDP 4500" \
	"UDP 500 and 4500 pass to $IKE_ADDR2"
nft_clear $IKE_NS2

ktap_finished
