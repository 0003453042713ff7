#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptun diagnose between two esptund, each cause produced for real and its
# sentence asserted: a healthy tunnel (exit 0), UDP 500 dropped by
# nftables (no answer to MM1), MM4 dropped (stuck after MM3), a wrong PSK
# (stuck after MM5), a remote-id the peer does not have (INVALID-ID in
# Main Mode), mismatched esp proposals (NO-PROPOSAL-CHOSEN, ours and
# theirs on the responder), mismatched selectors (INVALID-ID-INFORMATION
# in Quick Mode), ESP dropped inbound with the tunnel up (ESP blocked,
# nat-t = force), the same after traffic flowed (one-way), forged ESP for
# our inbound SAs (ICV failures rising), ESP the peer sent, captured and
# sent again (replay drops rising), no route into the device
# (nothing routed, the route that would match shown), traffic routed
# into the device outside the SAs' selectors (no outbound SA: the device
# drops it while the SAs stay idle), the outer route to the peer deleted
# (no route to the peer) and DF packets too big for the outer path MTU
# (too big, the same size passing once the path is restored).
# Then esptun metrics against esptun -j show on the same counters.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=diagnose-both-ends
IKE=aes128-sha256-ecp256
ESP=aes128gcm16
N_TESTS=37

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "diagnose-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

ike_topo || exit 1

# a (ns1) initiates, b (ns2) listens; each has its own /32 selectors.
# A_PSK, A_RID, A_ESP, B_ESP, B_LTS change one side; FAST=1 makes a give up on
# an unanswered message within two seconds.
conf() {
	local a_esp=${A_ESP:-$ESP} b_esp=${B_ESP:-$ESP} rt=()
	[ -n "${FAST:-}" ] && rt=(retransmit-timeout=300ms retransmit-tries=2)
	[ -n "${A_RID:-}" ] && rt+=(remote-id="$A_RID")
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 "${A_PSK:-$PSK}" $IKE "$a_esp" \
		listen local-ts=$IKE_IN1/32 remote-ts=$IKE_IN2/32 \
		keyingtries=1 "${rt[@]}"
	esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK $IKE "$b_esp" listen \
		local-ts=${B_LTS:-$IKE_IN2/32} remote-ts=$IKE_IN1/32
	[ -n "${ESPTUND_PID[a]:-}" ] || return 0
	eike a reload >/dev/null && eike b reload >/dev/null
}

# Only the one ESP algorithm the tunnels use pays its first-use cost
# (seconds under emulation) before any negotiation's timers run.
warmup_gcm() {
	ip netns add diag-warm || return 1
	ip -n diag-warm xfrm state add src 198.51.100.1 dst 198.51.100.2 \
		proto esp spi 0x1001 mode tunnel aead 'rfc4106(gcm(aes))' \
		0x$(printf '%072x' 1) 128
	ip netns del diag-warm
}
warmup_gcm

# diag NAME: esptun diagnose against daemon NAME in its namespace, its
# two counter reads DIAG_MS apart.
DIAG_MS=300
diag() {
	ip netns exec "${ESPTUND_NS[$1]}" "$ESPTUN" diagnose -i $DIAG_MS \
		-s "$IKE_DIR/$1.sock" peer
}

# sa_stat_counted STAT [SPI]: an SA of a (or SPI) counted STAT.
sa_stat_counted() {
	ip netns exec $IKE_NS1 "$ESPTUN" -j show | "${PY3[@]}" -c '
import json, sys
stat, spi = sys.argv[1], sys.argv[2]
sys.exit(not any(sa.get("stats", {}).get(stat) and spi in ("", sa["spi_hex"])
                 for d in json.load(sys.stdin) for sa in d["sas"]))' \
		"$1" "${2:-}"
}

# diag_has NAME TEXT: diagnose names a problem (exit 1) and says TEXT.
diag_has() {
	local out rc
	out=$(diag "$1" 2>&1)
	rc=$?
	[ "$rc" = 1 ] && [[ $out == *"$2"* ]]
}

# expect NAME TEST TEXT: waits up to 30 s for the sentence, then reports
# with what diagnose said.
expect() {
	if wait_for -t 30 diag_has "$1" "$3" >/dev/null 2>&1; then
		ktap_ok "$2"
	else
		ktap_fail "$2" "$(printf 'want "%s"; diagnose said:\n%s' "$3" \
			"$(diag "$1" 2>&1; echo "exit $?")")"
	fi
}

# expect_json TEST CAUSE TEXT...: a's conn peer, sampled DIAG_MS with -j,
# soon exits 1 and names CAUSE, not healthy, with every TEXT in its output.
expect_json() {
	local name=$1 cause=$2
	shift 2
	json_has() {
		local t
		out=$(ip netns exec $IKE_NS1 "$ESPTUN" -j diagnose \
			-s "$IKE_DIR/a.sock" -i $DIAG_MS peer 2>&1)
		rc=$?
		[ $rc = 1 ] && [[ $out == *"\"cause\":\"$cause\""* ]] &&
			[[ $out == *'"healthy":false'* ]] || return 1
		for t in "$@"; do
			[[ $out == *"$t"* ]] || return 1
		done
	}
	if wait_for -t 30 json_has "$@"; then
		ktap_ok "$name"
	else
		ktap_fail "$name" "exit $rc: $out"
	fi
}

# nft_drop NS MATCH: drops what MATCH selects on input (one nft run:
# each costs seconds under emulation).
nft_drop() {
	ip netns exec "$1" nft -f - <<EOF
table inet diag {
	chain in {
		type filter hook input priority 0;
		$2 drop
	}
}
EOF
}

nft_clear() {
	ip netns exec "$1" nft delete table inet diag 2>/dev/null
	true
}

fresh_up() {
	eike a down peer >/dev/null 2>&1
	eike a up -t 60 peer
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

ktap_expect_fail "no-daemon" "cannot connect to esptund" \
	"$ESPTUN" diagnose -s "$IKE_DIR/none.sock"
ktap_expect_fail "unknown-conn" "no conn named 'nope'" \
	"$ESPTUN" diagnose -s "$IKE_DIR/a.sock" nope

# Healthy: up, traffic both ways, exit 0.
ktap_check "healthy-up" eike a up -t 60 peer
ike_ping $IKE_NS1 $IKE_IN2 3 >/dev/null
out=$(diag a 2>&1)
rc=$?
if [ $rc = 0 ] && [[ $out == *"peer: healthy: tunnel up"* ]]; then
	ktap_ok "healthy-exit-0"
else
	ktap_fail "healthy-exit-0" "exit $rc: $out"
fi
# With traffic on the SA in use, not idle: a pair replaced since the ping
# (both daemons negotiating at start) has carried nothing yet.
healthy_json() {
	ike_ping $IKE_NS1 $IKE_IN2 2 >/dev/null
	out=$(ip netns exec $IKE_NS1 "$ESPTUN" -j diagnose -s "$IKE_DIR/a.sock" \
		-i 100 2>&1)
	[[ $out == *'"cause":"healthy"'* ]] && [[ $out == *'"healthy":true'* ]] &&
		[[ $out == *' packets out, '* ]]
}
if wait_for -t 15 healthy_json; then
	ktap_ok "healthy-json"
else
	ktap_fail "healthy-json" "$out"
fi

# Metrics: every SA counter and lifetime left as esptun -j show has it (no
# traffic between).
metrics_match() {
	local m show again i rc
	# SAs may change between the reads (a rekey's deferred outbound SA):
	# compare a metrics read taken between two show reads that agree but
	# for the time left, which the metrics must fall between.
	for i in 1 2 3 4 5; do
		show=$(ip netns exec $IKE_NS1 "$ESPTUN" -j show) || return 1
		m=$(ip netns exec $IKE_NS1 "$ESPTUN" metrics -s "$IKE_DIR/a.sock") ||
			return 1
		again=$(ip netns exec $IKE_NS1 "$ESPTUN" -j show) || return 1
		"${PY3[@]}" - "$show" "$m" "$again" <<'EOF'
import json, re, sys
show, metrics = json.loads(sys.argv[1]), sys.argv[2]
again = json.loads(sys.argv[3])


def untimed(devs):
    return [dict(dev, sas=[{k: v for k, v in sa.items()
                            if k != "lifetime_left"} for sa in dev["sas"]])
            for dev in devs]


if untimed(show) != untimed(again):
    sys.exit(3)
later = {(dev["ifname"], sa["spi_hex"], sa["dir"]): sa["lifetime_left"]
         for dev in again for sa in dev["sas"]}
seen = {}
for line in metrics.splitlines():
    if line.startswith("#"):
        continue
    name, val = line.rsplit(" ", 1)
    seen[name] = int(val)
n = 0
for dev in show:
    for sa in dev["sas"]:
        for k, v in sa["stats"].items():
            key = ('esptun_sa_%s_total{device="%s",spi="%s",dir="%s",'
                   'conn="peer"}' % (k, dev["ifname"], sa["spi_hex"],
                                     sa["dir"]))
            if seen.get(key) != v:
                sys.exit("%s: metrics %s, show %s" % (key, seen.get(key), v))
            n += 1
        # What is left of the lifetimes: the seconds between the two
        # show reads (a second either way for the clock's ticks).
        after = later[(dev["ifname"], sa["spi_hex"], sa["dir"])]
        for lim, left in sa["lifetime_left"].items():
            for k, v in left.items():
                if v is None:
                    continue
                unit, since = (("seconds", ',since="%s"' % k[:3])
                               if k.endswith("seconds") else (k, ""))
                key = ('esptun_sa_lifetime_left_%s{device="%s",spi="%s",'
                       'dir="%s",conn="peer",limit="%s"%s}'
                       % (unit, dev["ifname"], sa["spi_hex"], sa["dir"],
                          lim, since))
                got = seen.get(key)
                tick = 1 if since else 0
                if got is None or not (after[lim][k] - tick <= got
                                       <= v + tick):
                    sys.exit("%s: metrics %s, show %s then %s"
                             % (key, got, v, after[lim][k]))
                n += 1
    for k, v in dev["stats"].items():
        key = 'esptun_device_%s_total{device="%s"}' % (k, dev["ifname"])
        if seen.get(key) != v:
            sys.exit("%s: metrics %s, show %s" % (key, seen.get(key), v))
        n += 1
if not any(k.startswith("esptun_sa_lifetime_left_seconds") for k in seen):
    sys.exit("no lifetime left in seconds: the SAs have lifetimes")
if n < 4 or seen.get('esptun_ike_conn_up{conn="peer"}') != 1:
    sys.exit("too few counters (%d) or conn not up" % n)
if not any(k.startswith("esptun_sa_packets_total") and v > 0
           for k, v in seen.items()):
    sys.exit("no packets counted")
EOF
		rc=$?
		[ $rc = 3 ] || return $rc
		sleep 1
	done
	echo "the SAs changed between the show reads each time"
	return 1
}
ktap_check "metrics-match-show" metrics_match
ktap_check "metrics-ike-counters" sh -c "ip netns exec $IKE_NS1 '$ESPTUN' \
	metrics -s '$IKE_DIR/a.sock' | grep -qE \
	'^esptun_ike_exchanges_done_total\{conn=\"peer\",exchange=\"quick\"\} [1-9]'"

# ESP dropped inbound on a, the tunnel up again with fresh SAs.
nft_drop $IKE_NS1 "meta l4proto esp"
ktap_check "esp-blocked-up" fresh_up
ike_ping $IKE_NS1 $IKE_IN2 2 >/dev/null
expect a "esp-blocked" "tunnel up but no ESP arrives"
expect a "esp-blocked-nat-t" "try nat-t = force"
nft_clear $IKE_NS1

# No route into esp0: the peer's address goes out veth1 instead.
ktap_check "no-route-up" fresh_up
ip -n $IKE_NS1 route del $IKE_IN2 dev esp0
ip -n $IKE_NS1 route add 10.9.0.0/24 via $IKE_ADDR2 dev veth1
ip netns exec $IKE_NS1 ping -c 2 -i 0.3 -W 1 -q $IKE_IN2 >/dev/null 2>&1
expect a "nothing-routed" \
	"nothing is routed into esp0: 0 packets encrypted; traffic to $IKE_IN2/32 goes via 10.9.0.0/24 via $IKE_ADDR2 dev veth1"
ip -n $IKE_NS1 route del 10.9.0.0/24
ip -n $IKE_NS1 route add $IKE_IN2 dev esp0

# The tunnel still up, a host beside the peer's selector routed into esp0:
# no SA covers it, the device drops it, the SAs carry nothing.
ip -n $IKE_NS1 route add 10.9.0.7 dev esp0
# Until stopped: a slow guest may take longer than any count lasts.
bg_start ip netns exec $IKE_NS1 ping -q -i 0.1 -W 1 10.9.0.7 >/dev/null 2>&1
pinger=$BG_PID
expect a "no-outbound-sa" \
	"packets routed into esp0 match no outbound SA: +"
expect_json "no-outbound-sa-json" no-outbound-sa \
	"($IKE_IN1/32 === $IKE_IN2/32) don't cover them" \
	'"device esp0 drops in 300 ms: no outbound SA +'
bg_stop $pinger
ip -n $IKE_NS1 route del 10.9.0.7 dev esp0

# The SAs kept, the outer route to b gone on a: traffic into esp0 finds an
# SA but the ESP packet has nowhere to go.
ktap_check "no-route-to-peer-up" fresh_up
outer_net=${IKE_ADDR2%.*}.0/24
ip -n $IKE_NS1 route del $outer_net dev veth1
bg_start ip netns exec $IKE_NS1 ping -q -i 0.1 -W 1 $IKE_IN2 >/dev/null 2>&1
pinger=$BG_PID
expect a "no-route-to-peer" \
	"no route to the peer's outer address $IKE_ADDR2: +"
expect_json "no-route-to-peer-json" no-route-to-peer \
	"packets routed into esp0 dropped in 300 ms before encryption; check \`ip route get $IKE_ADDR2\`" \
	'"device esp0 drops in 300 ms: no outbound SA +0 (' ', no route to the peer +'
bg_stop $pinger
ip -n $IKE_NS1 route add $outer_net dev veth1 proto kernel scope link \
	src $IKE_ADDR1

# big_pings SIZE: ICMP echo requests of SIZE bytes to b's inner address,
# ten a second until stopped, with DF but the path MTU an ICMP taught left
# unused (IP_PMTUDISC_PROBE, which ping -M does not offer here): each one
# reaches esp0, as from a sender whose ICMP too big is filtered on the way
# back.
big_pings() {
	ip netns exec $IKE_NS1 "${PY3[@]}" -c '
import socket, struct, sys, time
size = int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.setsockopt(socket.IPPROTO_IP, 10, 3)  # IP_MTU_DISCOVER: PMTUDISC_PROBE
seq = 0
while True:
    seq = seq % 0xffff + 1
    msg = struct.pack("!BBHHH", 8, 0, 0, 0x4454, seq) + bytes(size)
    c = sum(struct.unpack("!%dH" % (len(msg) // 2), msg))
    c = (c >> 16) + (c & 0xffff)
    c = ~(c + (c >> 16)) & 0xffff
    try:
        s.sendto(msg[:2] + struct.pack("!H", c) + msg[4:], (sys.argv[1], 0))
    except OSError:
        pass
    time.sleep(0.1)
' "$IKE_IN2" "$1"
}

# The outer path to b carries 1280 bytes: DF packets that fit esp0 but not
# the path with ESP around them are refused with an ICMP each.
ip -n $IKE_NS1 route add $IKE_ADDR2/32 dev veth1 mtu 1280
bg_start big_pings 1300 >/dev/null 2>&1
pinger=$BG_PID
expect a "too-big" "packets too big for the tunnel: +"
expect_json "too-big-json" too-big \
	"dropped at esp0 in 300 ms, each answered with an ICMP too big, and none got through" \
	"(esptun set esp0 mss-clamp auto)" ', no route to the peer +0 ('
# The same packets pass once the path is whole again: the path was the cause.
ip -n $IKE_NS1 route del $IKE_ADDR2/32 dev veth1
big_healthy() {
	out=$(diag a 2>&1) && [[ $out == *"peer: healthy: tunnel up with "* ]] &&
		[[ $out == *" packets out, "* ]]
}
if wait_for -t 30 big_healthy; then
	ktap_ok "too-big-path-restored"
else
	ktap_fail "too-big-path-restored" "$out"
fi
bg_stop $pinger

# Traffic flowed, then ESP is dropped inbound on a while a keeps sending.
ktap_check "one-way-up" fresh_up
ike_ping $IKE_NS1 $IKE_IN2 2 >/dev/null
nft_drop $IKE_NS1 "meta l4proto esp"
# Until stopped: a slow guest may take longer than any count lasts.
bg_start ip netns exec $IKE_NS1 ping -q -i 0.1 -W 1 $IKE_IN2 >/dev/null 2>&1
pinger=$BG_PID
expect a "one-way" "one-way traffic: +"
bg_stop $pinger
nft_clear $IKE_NS1

# Forged ESP from b's address for a's inbound SAs: random bytes where the
# ICV should be, a few a second, from one injector.
ktap_check "icv-up" fresh_up
ike_ping $IKE_NS1 $IKE_IN2 2 >/dev/null
in_spis=$(ip netns exec $IKE_NS1 "$ESPTUN" -j show | "${PY3[@]}" -c '
import json, sys
print(" ".join(sa["spi_hex"] for d in json.load(sys.stdin)
               for sa in d["sas"] if sa["dir"] == "in"))')
{
	seq=1000
	while :; do
		for spi in $in_spis; do
			echo "craft $IKE_ADDR2 $IKE_ADDR1 $spi $seq 64"
		done
		seq=$((seq + 1))
		sleep 0.1
	done
} | ip netns exec $IKE_NS2 python3 "$(dirname "$0")/esp_inject.py" - &
forger=$!
# The injector's interpreter can take seconds to start in a slow guest:
# diagnose is asked once its packets are counted, and looks for 1 s (it
# sends a few a second, fewer there: 300 ms may fall between two).
if wait_for -t 120 sa_stat_counted icv_fail; then
	DIAG_MS=1000 expect a "icv-rising" "ICV failures rising on SA "
else
	ktap_fail "icv-rising" "no forged packet counted as an ICV failure: $(
		ip netns exec $IKE_NS1 "$ESPTUN" show 2>&1)"
fi
kill $forger 2>/dev/null
wait $forger 2>/dev/null
diag a >"$IKE_DIR/after-forger.txt" 2>&1
if wait_for -t 30 sh -c "ip netns exec $IKE_NS1 ping -c 1 -W 2 $IKE_IN2 >/dev/null"; then
	ktap_ok "icv-tunnel-kept"
else
	ktap_fail "icv-tunnel-kept" "$(cat "$IKE_DIR/after-forger.txt")"
fi

# Genuine ESP from b, captured as a received it and sent again from b's
# address a few times a second: each copy is a replay for a's inbound SA.
replay_pcap=$IKE_DIR/replay.pcap
tcpdump_start $IKE_NS1 veth1 "$replay_pcap" esp and src $IKE_ADDR2
ike_ping $IKE_NS1 $IKE_IN2 2 >/dev/null
tcpdump_stop "$replay_pcap"
replay_spi=
for spi in $(ip netns exec $IKE_NS1 "$ESPTUN" -j show | "${PY3[@]}" -c '
import json, sys
print(" ".join(sa["spi_hex"] for d in json.load(sys.stdin)
               for sa in d["sas"] if sa["dir"] == "in"))'); do
	n=$(python3 "$(dirname "$0")/esp_inject.py" count "$replay_pcap" "$spi")
	[ "${n:-0}" -ge 2 ] && replay_spi=$spi && break
done
{
	while :; do
		echo "replay $replay_pcap $replay_spi 0,1"
		sleep 0.1
	done
} | ip netns exec $IKE_NS2 python3 "$(dirname "$0")/esp_inject.py" - &
replayer=$!
# As for the forger above.
wait_for -t 120 sa_stat_counted replay "$replay_spi"
DIAG_MS=1000 expect a "replay-rising" \
	"replay drops rising on SA ${replay_spi#0x}: +"
if [ -n "$replay_spi" ]; then
	DIAG_MS=1000 expect_json "replay-rising-json" replay-drops-rising \
		"replay drops rising on SA ${replay_spi#0x}: +"
else
	ktap_fail "replay-rising-json" "no inbound SA with 2 captured packets"
fi
kill $replayer 2>/dev/null
wait $replayer 2>/dev/null
diag a >"$IKE_DIR/after-replay.txt" 2>&1
if ike_ping $IKE_NS1 $IKE_IN2 2 >/dev/null; then
	ktap_ok "replay-tunnel-kept"
else
	ktap_fail "replay-tunnel-kept" "$(cat "$IKE_DIR/after-replay.txt")"
fi

# MM4 dropped on a (its first payload is KE): a waits after MM3.
eike a down peer >/dev/null 2>&1
FAST=1 conf
nft_drop $IKE_NS1 "udp sport 500 @th,192,8 4"
eike a up -t 0 peer >/dev/null
expect a "stuck-mm3" \
	"stuck after MM3: the peer answered MM1 but never sent MM4"
nft_clear $IKE_NS1

# a expects another ID than b's address: a refuses b's MM6.
FAST=1 A_RID=fqdn:other.example conf
eike a up -t 0 peer >/dev/null
expect a "id-mismatch" \
	"Main Mode: we refused MM6 with INVALID-ID-INFORMATION: the peer's ID is not the remote-id configured (expected: fqdn:other.example; got: $IKE_ADDR2)"

# UDP 500 dropped on b: MM1 goes unanswered.
eike a down peer >/dev/null 2>&1
FAST=1 conf
nft_drop $IKE_NS2 "udp dport 500"
eike a up -t 0 peer >/dev/null
expect a "no-answer-mm1" \
	"no answer to MM1 from $IKE_ADDR2:500: UDP 500 is blocked on the way or the peer is down"
nft_clear $IKE_NS2

# A wrong PSK on a: b cannot authenticate a's MM5.
FAST=1 A_PSK=not-the-same conf
eike a up -t 0 peer >/dev/null
expect a "wrong-psk-mm5" "stuck after MM5"
expect a "wrong-psk-cause" "pre-shared key"

# Different esp proposals: b refuses a's QM1.
A_ESP=aes128gcm16 B_ESP=aes256-sha256 conf
eike a up -t 0 peer >/dev/null
expect a "no-proposal-initiator" \
	"the peer refused QM1 with NO-PROPOSAL-CHOSEN: no common esp proposal (ours: aes128gcm16"
expect b "no-proposal-responder" \
	"we refused QM1 with NO-PROPOSAL-CHOSEN: no common esp proposal (ours: aes256-sha256; theirs: aes128gcm16)"

# Different selectors: b's local side is another address.
B_LTS=10.9.0.3/32 conf
eike a up -t 0 peer >/dev/null
expect b "invalid-id-qm" \
	"we refused QM1 with INVALID-ID-INFORMATION: the traffic selectors differ (ours: 10.9.0.3/32 === $IKE_IN1/32; theirs: $IKE_IN1/32 === $IKE_IN2/32)"

ktap_finished
