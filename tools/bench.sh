#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Throughput of esptun next to the kernel's xfrm interface, WireGuard and
# plain veth, in one boot of the test guest ("make bench" runs it there):
#
#   netns c  vc 10.0.0.1 ============ vs 10.0.0.2  netns s
#            esp0   192.168.10.1 <-> 192.168.10.2     esptun, AES-GCM-128
#            ipsec0 192.168.20.1 <-> 192.168.20.2     xfrm, same algorithm, same keys
#            wg0    192.168.30.1 <-> 192.168.30.2     WireGuard
#
# iperf3 single-flow TCP (Mbit/s) and 64-byte UDP (received packets/s),
# the four paths interleaved, ESPTUN_BENCH_REPS repetitions (default 3) of
# ESPTUN_BENCH_SECONDS (default 5); medians and ratios in a table, printed
# and written to $ESPTUN_OUT/bench.txt. Numbers under software emulation
# compare the paths with each other, not with real hardware.
source "$(dirname "$0")/../selftests/lib.sh"
source "$(dirname "$0")/../selftests/esp-lib.sh"

REPS=${ESPTUN_BENCH_REPS:-3}
SECS=${ESPTUN_BENCH_SECONDS:-5}
RES=$TEST_OUT/results.txt
TABLE=${ESPTUN_OUT:-$TEST_OUT}/bench.txt
declare -A TARGET=([veth]=10.0.0.2 [esptun]=192.168.10.2 [xfrm]=192.168.20.2
		   [wireguard]=192.168.30.2)
MODES=(veth esptun xfrm wireguard)

die() {
	echo "bench: $*" >&2
	exit 1
}

setup() {
	local k1 k2 c_priv s_priv n
	module_load || return 1
	netns_new c && netns_new s || return 1
	veth_pair c vc s vs || return 1
	ip -n c addr add 10.0.0.1/24 dev vc
	ip -n s addr add 10.0.0.2/24 dev vs

	k1=$(hexkey 20)
	k2=$(hexkey 20)

	# esptun
	for n in c s; do
		ip -n $n link add esp0 type esptun || return 1
		ip -n $n link set esp0 up
	done
	ip -n c addr add 192.168.10.1/24 dev esp0
	ip -n s addr add 192.168.10.2/24 dev esp0
	ns c "$ESPTUN" set esp0 local 10.0.0.1 remote 10.0.0.2 &&
	ns s "$ESPTUN" set esp0 local 10.0.0.2 remote 10.0.0.1 &&
	ns c "$ESPTUN" sa add esp0 dir out spi 0xb001 aead 'rfc4106(gcm(aes))' "$k1" 128 &&
	ns s "$ESPTUN" sa add esp0 dir in spi 0xb001 aead 'rfc4106(gcm(aes))' "$k1" 128 &&
	ns s "$ESPTUN" sa add esp0 dir out spi 0xb002 aead 'rfc4106(gcm(aes))' "$k2" 128 &&
	ns c "$ESPTUN" sa add esp0 dir in spi 0xb002 aead 'rfc4106(gcm(aes))' "$k2" 128 ||
		return 1

	# xfrm interface, same algorithm and keys, other SPIs
	for n in c s; do
		ip -n $n link add ipsec0 type xfrm dev v$n if_id 7 || return 1
		ip -n $n link set ipsec0 up
		ip -n $n xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0xc001 \
			reqid 7 mode tunnel if_id 7 aead 'rfc4106(gcm(aes))' "$k1" 128 || return 1
		ip -n $n xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0xc002 \
			reqid 7 mode tunnel if_id 7 aead 'rfc4106(gcm(aes))' "$k2" 128 || return 1
	done
	ip -n c addr add 192.168.20.1/24 dev ipsec0
	ip -n s addr add 192.168.20.2/24 dev ipsec0
	ip -n c xfrm policy add dir out src 192.168.20.0/24 dst 192.168.20.0/24 if_id 7 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 7 mode tunnel &&
	ip -n c xfrm policy add dir in src 192.168.20.0/24 dst 192.168.20.0/24 if_id 7 \
		tmpl src 10.0.0.2 dst 10.0.0.1 proto esp reqid 7 mode tunnel &&
	ip -n s xfrm policy add dir out src 192.168.20.0/24 dst 192.168.20.0/24 if_id 7 \
		tmpl src 10.0.0.2 dst 10.0.0.1 proto esp reqid 7 mode tunnel &&
	ip -n s xfrm policy add dir in src 192.168.20.0/24 dst 192.168.20.0/24 if_id 7 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 7 mode tunnel || return 1

	# WireGuard
	c_priv=$(wg genkey)
	s_priv=$(wg genkey)
	for n in c s; do
		ip -n $n link add wg0 type wireguard || return 1
	done
	ip netns exec c wg set wg0 private-key <(echo "$c_priv") listen-port 51820 \
		peer "$(echo "$s_priv" | wg pubkey)" endpoint 10.0.0.2:51820 allowed-ips 192.168.30.0/24 &&
	ip netns exec s wg set wg0 private-key <(echo "$s_priv") listen-port 51820 \
		peer "$(echo "$c_priv" | wg pubkey)" endpoint 10.0.0.1:51820 allowed-ips 192.168.30.0/24 ||
		return 1
	ip -n c addr add 192.168.30.1/24 dev wg0
	ip -n s addr add 192.168.30.2/24 dev wg0
	ip -n c link set wg0 up
	ip -n s link set wg0 up

	bg_start ip netns exec s iperf3 -s
	# Warm up every path (crypto modules, handshakes, neighbours).
	for n in "${MODES[@]}"; do
		ip netns exec c ping -q -c 2 -W 10 "${TARGET[$n]}" >/dev/null ||
			{ echo "no ping over $n"; return 1; }
	done
}

# run MODE KIND: one measurement, appended to $RES as "MODE KIND VALUE".
run() {
	local mode=$1 kind=$2 js v
	if [ "$kind" = tcp ]; then
		js=$(ip netns exec c iperf3 -c "${TARGET[$mode]}" -t "$SECS" -J 2>/dev/null)
		v=$(echo "$js" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%.1f" % (d["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null)
	else
		js=$(ip netns exec c iperf3 -c "${TARGET[$mode]}" -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null)
		v=$(echo "$js" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)["end"]["sum"]
print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"]))' 2>/dev/null)
	fi
	echo "$mode $kind ${v:-0}" >>"$RES"
	echo "bench: $mode $kind rep: ${v:-failed}" >&2
}

setup >"$TEST_OUT/setup.log" 2>&1 || die "setup failed: $(cat "$TEST_OUT/setup.log")"
: >"$RES"
for ((r = 1; r <= REPS; r++)); do
	for m in "${MODES[@]}"; do
		run "$m" tcp
		run "$m" udp
	done
done

/usr/bin/python3 - "$RES" "$REPS" "$SECS" >"$TABLE" <<'PY'
import statistics, sys
res, reps, secs = sys.argv[1], sys.argv[2], sys.argv[3]
vals = {}
for line in open(res):
    m, k, v = line.split()
    vals.setdefault((m, k), []).append(float(v))
med = {key: statistics.median(v) for key, v in vals.items()}
modes = ["esptun", "xfrm", "wireguard", "veth"]
print("esptun benchmark: iperf3, medians of %s runs of %s s, AES-GCM-128 for esptun and xfrm" % (reps, secs))
print()
print("%-10s %14s %16s" % ("path", "TCP Mbit/s", "UDP64 pkt/s"))
for m in modes:
    print("%-10s %14.1f %16.0f" % (m, med.get((m, "tcp"), 0), med.get((m, "udp"), 0)))
print()
print("%-22s %10s %10s" % ("ratio", "TCP", "UDP64"))
for other in ["xfrm", "wireguard", "veth"]:
    r = []
    for k in ["tcp", "udp"]:
        a, b = med.get(("esptun", k), 0), med.get((other, k), 0)
        r.append("%.2f" % (a / b) if b else "n/a")
    print("%-22s %10s %10s" % ("esptun / " + other, r[0], r[1]))
print()
print("all runs (path kind value):")
for line in open(res):
    print("  " + line.strip())
PY
cat "$TABLE"
lib_cleanup
