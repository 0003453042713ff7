#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# Faults under traffic, one covering pass:
#   1 netem on the underlay (both ways): 30 % loss, reordering and
#     duplication while two esptund negotiate: they come up anyway,
#     retransmitting. Then traffic: reordered within the replay window
#     and duplicated, every echo request is delivered exactly once (the
#     duplicates, and nothing else, counted as replays); under 30 % loss
#     the tunnel stays up and carries traffic once the loss ends.
#   2 esptund killed with SIGKILL under traffic: the kernel's SAs keep
#     carrying it (no ping lost while the daemon is dead); restarted, it
#     replaces them within about one negotiation (the outage is printed
#     and bounded) and removes the ones its predecessor left.
#     ike-recover.sh covers a restart that lost the kernel's SAs as well.
#   3 interface deletion, then rmmod with devices in several namespaces,
#     both under flood pings (and UDP when iperf3 is there): clean, the
#     module loads again and a tunnel works.
#   4 10,000 SA add/delete cycles on each side under a flood ping: slab
#     usage back to where it started, the tunnel works afterwards.
# The kernel log must stay clean throughout.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"
source "$(dirname "$0")/esp-lib.sh"

PSK=esptund-faults-key
GCM="aead rfc4106(gcm(aes))"
CYCLE=$TOP/build/selftests/sa_cycle_helper
CYCLES=${ESPTUN_SA_CYCLES:-10000}
N_TESTS=28

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "faults-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi
dmesg_mark

# netem_both ARGS...: the same netem on both ends of the underlay, or
# none without ARGS.
netem_both() {
	local n d
	for n in "$IKE_NS1 veth1" "$IKE_NS2 veth2"; do
		read -r n d <<<"$n"
		tc -n "$n" qdisc del dev "$d" root 2>/dev/null
		[ $# -eq 0 ] || tc -n "$n" qdisc add dev "$d" root netem "$@" ||
			return 1
	done
}

# in_stats NS SPI: "PACKETS REPLAY ICV_FAIL FORMAT" of the inbound
# esptun SA SPI (hex), one snapshot (a python start is slow under
# emulation).
in_stats() {
	ip netns exec "$1" "$ESPTUN" -j show esp0 | "${PY3[@]}" -c '
import json, sys
spi = int(sys.argv[1], 16)
for x in json.load(sys.stdin):
    for sa in x["sas"]:
        if sa["dir"] == "in" and sa["spi"] == spi:
            st = sa["stats"]
            print(*(st.get(k, 0) for k in
                    ("packets", "replay", "icv_fail", "format")))
            sys.exit(0)
print("none")' "$2"
}

# reordered PCAP SPI: ESP packets of SPI in PCAP that came after one
# with a higher sequence number and were not copies of one seen before.
reordered() {
	local h s max=0 n=0
	local -A seen=()
	while read -r h; do
		s=$((16#${h##*0x}))
		[ -z "${seen[$s]:-}" ] && [ "$s" -lt "$max" ] && n=$((n + 1))
		seen[$s]=1
		[ "$s" -gt "$max" ] && max=$s
	done < <(tcpdump -r "$1" -n 2>/dev/null |
		grep -o "spi=0x$2,seq=0x[0-9a-f]*")
	echo "$n"
}

# ---- 1: netem during negotiation and traffic ----

ike_warmup
ike_topo || exit 1
for n in $IKE_NS1 $IKE_NS2; do
	ip netns exec $n sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 initiate dpd=no retransmit-timeout=300ms \
	retransmit-tries=10
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen dpd=no retransmit-timeout=300ms \
	retransmit-tries=10
ktap_check "1-netem-negotiation" netem_both loss 30% delay 10ms \
	reorder 50% duplicate 20%
t0=$SECONDS
if esptund_start b $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "1-daemons-start"
else
	ktap_fail "1-daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
if ktap_check "1-up-despite-loss" wait_for -t 90 esptund_spis b; then
	ktap_diag "1: up after $((SECONDS - t0)) s under loss," \
		"$(cat "$IKE_DIR"/[ab].log | grep -c retransmit) retransmissions"
fi
ktap_check "1-spis-agree" wait_for -t 10 eval \
	'ike_spis_agree "$(esptund_spis a)" "$(esptund_spis b)"'

# Traffic reordered (half the packets 10 ms late, with a request every
# 1 ms: a few places, well inside the window) and duplicated.
netem_both delay 10ms reorder 50% duplicate 20%
read -r b_in b_out <<<"$(esptund_spis b)"
read -r p0 r0 i0 m0 <<<"$(in_stats $IKE_NS2 "$b_in")"
pcap=$TEST_OUT/reorder.pcap
tcpdump_start $IKE_NS2 veth2 "$pcap" esp and dst $IKE_ADDR2
out=$(ip netns exec $IKE_NS1 ping -q -c 500 -i 0.001 -W 3 $IKE_IN2 2>&1)
# netem goes first, dropping any copy still held back, so nothing reaches
# b's SA uncaptured.
netem_both
sleep 0.3
tcpdump_stop "$pcap"
ktap_diag "1: ${out##*---}"
ktap_check "1-reorder-dup-all-answered-once" \
	grep -q "500 packets transmitted, 500 received, 0% packet loss" \
	<<<"$out"
# What b's inbound SA took: each request once; every other copy on the
# wire counted as a replay; no other drop.
wire=$(tcpdump -r "$pcap" -n 2>/dev/null | grep -c "spi=0x$b_in")
late=$(reordered "$pcap" "$b_in")
read -r p1 r1 i1 m1 <<<"$(in_stats $IKE_NS2 "$b_in")"
ktap_diag "1: $wire ESP packets on the wire for $b_in, $late of them" \
	"overtaken; $((p1 - p0)) taken, $((r1 - r0)) counted as replays"
ktap_check "1-reordered-on-the-wire" test "$late" -gt 0
ktap_check "1-each-taken-once" test $((p1 - p0)) = 500
ktap_check "1-duplicates-are-replays" test $((r1 - r0)) = $((wire - 500)) \
	-a $((r1 - r0)) -gt 0
ktap_check "1-no-other-drop" test "$((i1 - i0)) $((m1 - m0))" = "0 0"

# 30 % loss each way: some pings get through, the SAs stay, and once
# the loss ends every ping does.
netem_both loss 30%
out=$(ip netns exec $IKE_NS1 ping -q -c 40 -i 0.05 -W 1 $IKE_IN2 2>&1)
netem_both
ktap_diag "1: under loss: ${out##*---}"
ktap_check "1-loss-some-through" grep -Eq " ([1-9][0-9]*) received" \
	<<<"$out"
ktap_check "1-loss-same-sas" test "$(esptund_spis b)" = "$b_in $b_out"
ktap_check "1-after-loss-all-through" ike_ping $IKE_NS1 $IKE_IN2 5

ktap_diag "part 1: $SECONDS s"

# ---- 2: esptund SIGKILLed under traffic ----

# One negotiation here, for the outage bound below.
eike a down peer >/dev/null 2>&1
wait_for -t 10 esptun_no_sas $IKE_NS1
t0=$(date +%s.%N)
eike a up -t 30 peer >/dev/null 2>&1
t_neg=$(echo "$(date +%s.%N) - $t0" | bc)
old_spis=$(esptund_spis a)
plog=$TEST_OUT/kill.ping
ip netns exec $IKE_NS1 ping -D -O -i 0.05 $IKE_IN2 >"$plog" 2>&1 &
PING=$!
_lib_pids+=("$PING")
sleep 1
kill -KILL "${ESPTUND_PID[a]}"
wait "${ESPTUND_PID[a]}" 2>/dev/null
unset "ESPTUND_PID[a]"
t_kill=$(date +%s.%N)
sleep 3
t_restart=$(date +%s.%N)
esptund_mark a
esptund_start a $IKE_NS1 >"$IKE_DIR/start.out" 2>&1 ||
	ktap_diag "$(cat "$IKE_DIR/start.out")"
new_spis() {
	local s
	s=$(esptund_spis a) && [ "$s" != "$old_spis" ]
}
ktap_check "2-restarted-negotiates" wait_for -t 30 new_spis
# Traffic on the new pair for a while, then the figures.
wait_for -t 10 sh -c "tail -n 20 '$plog' | grep -q 'bytes from'"
sleep 2
kill -INT $PING
wait $PING 2>/dev/null
# Requests sent while esptund was dead that never got a reply.
lost_dead=$(ping_lost "$plog" "$t_kill" "$t_restart")
outage=$(awk -v a="$t_restart" '/bytes from/ {
	t = substr($1, 2, length($1) - 2) + 0
	if (last && t > a && t - last > gap) gap = t - last; last = t }
	END { printf "%.2f\n", gap }' "$plog")
bound=$(echo "if ($t_neg * 4 > 15) $t_neg * 4 else 15" | bc)
ktap_diag "2: one negotiation took ${t_neg%???????} s; pings lost while" \
	"esptund was dead: $lost_dead; longest gap between replies after" \
	"the restart: $outage s (bound $bound s); SAs on esp0 afterwards:" \
	"$(esptun_n_sas $IKE_NS1) in ns1, $(esptun_n_sas $IKE_NS2) in ns2"
ktap_check "2-none-lost-while-dead" test "$lost_dead" = 0
ktap_check "2-outage-bounded" test "$(echo "$outage <= $bound" | bc)" = 1
ktap_check "2-tunnel-works" ike_ping $IKE_NS1 $IKE_IN2 3
# The new pair replaced the killed daemon's: nothing else is left.
old_gone() {
	[ "$(esptun_n_sas $IKE_NS1)" = 2 ]
}
ktap_check "2-old-sas-removed" wait_for -t 15 old_gone
old_logged() {
	esptund_log_has a \
		"removed 1 outbound SA(s) on esp0 that a previous esptund" &&
		esptund_log_has a \
			"removed 1 inbound SA(s) that a previous esptund left"
}
ktap_check "2-old-sas-logged" wait_for -t 5 old_logged
esptund_stop a
esptund_stop b

ktap_diag "part 2: $SECONDS s"

# ---- 3: interface deletion and rmmod under traffic ----

# flood SRC-NS DST: a flood ping until killed.
flood() {
	bg_start ip netns exec "$1" ping -q -f "$2" >/dev/null 2>&1
}

static_sas() {
	ns a "$ESPTUN" sa add esp0 dir out spi 0x7001 $GCM "$K1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x7001 $GCM "$K1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x7002 $GCM "$K2" 128 &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x7002 $GCM "$K2" 128
}
K1=$(hexkey 20)
K2=$(hexkey 20)
if ! { two_sites && static_sas; } >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "3-setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
# The IKE namespaces keep their esp0 (and routes) for the rmmod.
flood a 192.168.2.1
flood b 192.168.1.1
if command -v iperf3 >/dev/null; then
	ns b iperf3 -s -1 -D -I "$TEST_OUT/iperf3.pid" >/dev/null 2>&1
	cleanup_add pkill -F "$TEST_OUT/iperf3.pid"
	sleep 0.3
	bg_start ip netns exec a iperf3 -u -b 20M -l 1200 -t 60 \
		-c 192.168.2.1 >/dev/null 2>&1
fi
sleep 2
ktap_check "3-link-del-under-traffic" ip -n a link del esp0
sleep 1
# b's esp0 is still flooded (replies now go nowhere): rmmod takes it,
# and the IKE namespaces' devices, all at once.
ktap_check "3-rmmod-under-traffic" timeout 60 rmmod esptun
ktap_check "3-devices-gone" test -z "$(ip -n b -o link show type esptun \
	2>/dev/null; ip -n $IKE_NS1 -o link show type esptun 2>/dev/null)"
for p in "${_lib_pids[@]}"; do
	bg_stop "$p"
done
_lib_pids=()
if ! { two_sites && static_sas; } >"$TEST_OUT/setup2.log" 2>&1; then
	ktap_fail "3-reload-and-setup" "$(cat "$TEST_OUT/setup2.log")"
else
	ktap_ok "3-reload-and-setup"
fi
ktap_check "3-tunnel-after-reload" ns a ping -q -c 3 -i 0.2 -W 3 192.168.2.1

ktap_diag "part 3: $SECONDS s"

# ---- 4: SA add/delete cycles under traffic, slab usage ----

sunreclaim() {
	awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo
}
# The slab is back when within 1 MiB of where it started: one SA and its
# transform leaking per cycle would be tens of MiB.
slab_back() {
	sync
	echo 2 >/proc/sys/vm/drop_caches
	[ $(($(sunreclaim) - s0)) -lt 1024 ]
}
echo 2 >/proc/sys/vm/drop_caches
s0=$(sunreclaim)
flood a 192.168.2.1
f1=$BG_PID
t0=$SECONDS
# a cycles an outbound SA the flood takes while it exists, b the
# matching inbound one under the arriving packets.
ns a "$CYCLE" esp0 out 0x7101 "$CYCLES" >"$TEST_OUT/cycle.a" 2>&1 &
ca=$!
ns b "$CYCLE" esp0 in 0x7101 "$CYCLES" >"$TEST_OUT/cycle.b" 2>&1 &
cb=$!
wait $ca
rca=$?
wait $cb
rcb=$?
bg_stop $f1
ktap_diag "4: $(cat "$TEST_OUT/cycle.a") on a, $(cat "$TEST_OUT/cycle.b")" \
	"on b in $((SECONDS - t0)) s"
ktap_check "4-sa-cycles" test "$rca $rcb" = "0 0"
wait_for -t 20 slab_back
s1=$(sunreclaim)
ktap_diag "4: SUnreclaim before $s0 KiB, after $s1 KiB ($((s1 - s0)) KiB)"
ktap_check "4-slab-back" test $((s1 - s0)) -lt 1024
# Only the static pair is left, and it still carries traffic.
ktap_check "4-no-sa-left" test "$(esptun_n_sas a) $(esptun_n_sas b)" = "2 2"
ktap_check "4-tunnel-after-cycles" ns a ping -q -c 3 -i 0.2 -W 3 192.168.2.1

ktap_diag "part 4: $SECONDS s"
ktap_check "kernel-log-clean" dmesg_clean_since_mark
ktap_finished
