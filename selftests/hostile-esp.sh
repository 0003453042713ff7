#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile ESP that passes the ICV check, esptun <-> esptun:
#
#   netns a: esp0 192.168.1.1 -- va 10.0.0.1 ==== vb 10.0.0.2 -- esp0 192.168.2.1 :netns b
#
# Someone holding an SA's key (esp_inject.py seal) sends b packets whose
# ICV is right and whose inside is not: padding that lies, next headers
# that are not IP, inner packets that lie about their length or kind.
# Each is dropped and counted as a format error on its SA, raw and in
# UDP; the well-formed ones around them pass (TFC padding trimmed, a
# 65000-byte packet in IP fragments, a dummy packet taken silently).
# Then, while the tunnel's own pings run: the same packets again and a
# flood of unknown SPIs, every one counted, events at most one a second,
# not one ping lost, the tunnel's SA with no drop of any cause. One SA
# per case and one injector run per phase: under emulation every process
# start costs a second.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"
INJ=$(dirname "$0")/esp_inject.py
GCM="aead rfc4106(gcm(aes))"
# Authentic but malformed, each to an inbound SA of its own.
BAD=(pad-long pad-bytes nh:17 nh:0 len-over len-under ihl v6-in-4 v6-short
	empty)
FLOOD_RAW=500
FLOOD_UDP=200
PINGS=20

ktap_plan $((19 + ${#BAD[@]}))

K1=$(hexkey 20)
K2=$(hexkey 20)
K3=$(hexkey 20)
# b's inbound SAs for the sealed packets, by SPI, away from the tunnel's
# own replay window: well-formed ones, the UDP ones, then one per BAD.
declare -A SPI=([ok]=0x7001 [tfc]=0x7002 [big]=0x7003 [dummy]=0x7004
	[udp-ok]=0x7005 [udp-bad]=0x7006)
for i in "${!BAD[@]}"; do
	SPI[${BAD[i]}]=$((0x7100 + i))
done

# shellcheck disable=SC2086 # argument lists
setup() {
	local k encap
	# esp4 takes what esptun gives back, as on any IPsec host.
	modprobe esp4 || return 1
	two_sites && encap_listen_both &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x6001 $GCM "$K1" 128 &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x6002 $GCM "$K2" 128 &&
	ns a "$ESPTUN" sa add esp0 dir out spi 0x6001 $GCM "$K1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x6002 $GCM "$K2" 128 ||
		return 1
	for k in "${!SPI[@]}"; do
		encap=
		[ "${k#udp-}" != "$k" ] && encap="encap espinudp 4500 4500"
		ns b "$ESPTUN" sa add esp0 dir in spi "${SPI[$k]}" $GCM "$K3" \
			128 $encap || return 1
	done
}

# read_counts NS: C[SPI] = "packets bytes format icv_fail replay" of
# every inbound SA of NS, SPI in decimal.
declare -A C
read_counts() {
	local spi rest
	C=()
	while read -r spi rest; do
		C[$spi]=$rest
	done < <(ns "$1" "$ESPTUN" -j show esp0 | "${PY3[@]}" -c '
import json, sys
for x in json.load(sys.stdin):
    for sa in x["sas"]:
        if sa["dir"] == "in":
            s = sa["stats"]
            print(sa["spi"], *(s.get(k, 0) for k in
                  ("packets", "bytes", "format", "icv_fail", "replay")))')
}

# rx NS FIELD: the esp0 link counter FIELD (bytes, packets, dropped).
rx() {
	ip -n "$1" -j -s link show esp0 | "${PY3[@]}" -c '
import json, sys
print(json.load(sys.stdin)[0]["stats64"]["rx"][sys.argv[1]])' "$2"
}

# plus BASE DPACKETS DBYTES DFORMAT: BASE (counts) with deltas added.
plus() {
	local p b f i r
	read -r p b f i r <<<"$1"
	echo "$((p + $2)) $((b + $3)) $((f + $4)) $i $r"
}

declare -A SEQ
# seal KEY HOW...: the injector's lines sealing each HOW for the SA
# SPI[KEY], numbered on from the last call.
seal() {
	local spi=${SPI[$1]} udp='' how n
	shift
	[ "${spi}" = "${SPI[udp-ok]}" ] || [ "$spi" = "${SPI[udp-bad]}" ] &&
		udp=udp
	for how in "$@"; do
		n=$((${SEQ[$spi]:-0} + 1))
		SEQ[$spi]=$n
		echo "seal 10.0.0.1 10.0.0.2 $spi $n $K3 $how $udp"
	done
}

# all_seals: one packet for every case.
all_seals() {
	local k
	seal ok ok
	seal tfc tfc
	seal big size:65000
	seal dummy nh:59 ok
	seal udp-ok ok
	seal udp-bad pad-long len-over nh:17
	for k in "${BAD[@]}"; do
		seal "$k" "$k"
	done
}

# want: W[KEY] = what C[SPI[KEY]] becomes after all_seals, from C.
declare -A W
want() {
	local k
	W=()
	W[ok]=$(plus "${C[$((SPI[ok]))]}" 1 84 0)
	W[tfc]=$(plus "${C[$((SPI[tfc]))]}" 1 84 0)
	W[big]=$(plus "${C[$((SPI[big]))]}" 1 65000 0)
	W[dummy]=$(plus "${C[$((SPI[dummy]))]}" 1 84 0)
	W[udp-ok]=$(plus "${C[$((SPI[udp-ok]))]}" 1 84 0)
	W[udp-bad]=$(plus "${C[$((SPI[udp-bad]))]}" 0 0 3)
	for k in "${BAD[@]}"; do
		W[$k]=$(plus "${C[$((SPI[$k]))]}" 0 0 1)
	done
}

# all_reached: every SA of W has its wanted counts (reads C).
all_reached() {
	local k
	read_counts b
	for k in "${!W[@]}"; do
		[ "${C[$((SPI[$k]))]}" = "${W[$k]}" ] || return 1
	done
}

# check KEY NAME: SA SPI[KEY] reached W[KEY].
check() {
	if [ "${C[$((SPI[$1]))]}" = "${W[$1]}" ]; then
		ktap_ok "$2"
	else
		ktap_fail "$2" "packets bytes format icv replay: got ${C[$((SPI[$1]))]}, want ${W[$1]}"
	fi
}

wait_all() {
	local end=$((SECONDS + 10))
	until all_reached || [ "$SECONDS" -ge "$end" ]; do
		sleep 0.3
	done
}

# Not in $(...): the background jobs would keep it waiting.
if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
ktap_ok "setup"
dmesg_mark
pings "warm-up ping" a 192.168.2.1

read_counts a
reply0=${C[$((0x6002))]}
read_counts b
want
b0=$(rx b bytes)
d0=$(rx b dropped)
# Through a file: a pipeline's subshell would forget the numbers.
all_seals >"$TEST_OUT/seals.cmds"
ip netns exec a "$INJ" - <"$TEST_OUT/seals.cmds"
wait_all
b1=$(rx b bytes)
d1=$(rx b dropped)

check ok "sealed echo request: delivered"
# b answers the five, through its own SA: real deliveries. The answer to
# the 65000-byte one comes in fragments, 20 bytes of IP header each.
replied() {
	local p b
	read_counts a
	read -r p b _ <<<"${C[$((0x6002))]}"
	read -r p0 b0 _ <<<"$reply0"
	echo "$((b - b0 - 20 * (p - p0 - 5)))"
}
replied_all() {
	[ "$(replied)" = 65336 ]
}
if wait_for -t 5 replied_all; then
	ktap_ok "sealed echo requests: b answered all through its SA"
else
	ktap_fail "sealed echo requests: b answered" "a's in SA: $(replied) bytes of answers, want 65336"
fi
# TFC padding (RFC 4303 2.7) is not the packet's: 84 bytes, not 100.
check tfc "TFC padding: trimmed, the 84-byte packet delivered"
# 65000 bytes inside: the ESP packet travels in 45 IP fragments.
check big "65000-byte packet in fragments: delivered"
# A dummy packet (next header 59, RFC 4303 2.6) is authentic and empty:
# taken, never counted as a drop; the echo request after it arrives.
check dummy "dummy packet: taken, the next one delivered"
check udp-ok "UDP: sealed echo request delivered"
check udp-bad "UDP: pad length, inner length, next header: 3 format drops"
for k in "${BAD[@]}"; do
	check "$k" "$k: dropped, counted as format"
done
# esp0 took exactly the five good inner packets, and dropped the bad.
ktap_check "esp0 rx bytes: +65336 for the good ones ($b0 -> $b1)" \
	test $((b1 - b0)) = 65336
ktap_check "esp0 rx dropped: +$((3 + ${#BAD[@]})), not the dummy ($d0 -> $d1)" \
	test $((d1 - d0)) = $((3 + ${#BAD[@]}))

# Everything again, with a flood of unknown SPIs, while a pings b.
mon=$TEST_OUT/monitor.b
monitor_start b "$mon"
read_counts b
tun0=${C[$((0x6001))]}
want
u0=$(dev_stat b esp0 unknown_spi)
t0=$SECONDS
# Rounds of flood and sealed packets until the pings are done: the load
# lasts as long as they do on a fast machine and a slow one alike.
ns a ping -q -c $PINGS -i 0.1 -W 3 192.168.2.1 >"$TEST_OUT/ping.txt" 2>&1 &
ping_pid=$!
ROUNDS=0
while :; do
	# Through a file: a pipeline's subshell would forget the numbers.
	{
		echo "flood 10.0.0.1 10.0.0.2 $FLOOD_RAW"
		echo "flood 10.0.0.1 10.0.0.2 $FLOOD_UDP udp"
		all_seals
	} >"$TEST_OUT/load.cmds"
	ip netns exec a "$INJ" - <"$TEST_OUT/load.cmds"
	ROUNDS=$((ROUNDS + 1))
	kill -0 "$ping_pid" 2>/dev/null || break
done
wait "$ping_pid"
ping_rc=$?
took=$((SECONDS - t0))
# want was taken for one round: scale it.
for k in "${!W[@]}"; do
	read -r p b f i r <<<"${W[$k]}"
	read -r p0 b0 f0 _ <<<"${C[$((SPI[$k]))]}"
	W[$k]="$((p0 + (p - p0) * ROUNDS)) $((b0 + (b - b0) * ROUNDS)) $((f0 + (f - f0) * ROUNDS)) $i $r"
done
wait_all
bad=
for k in "${!W[@]}"; do
	[ "${C[$((SPI[$k]))]}" = "${W[$k]}" ] ||
		bad+=" $k: ${C[$((SPI[$k]))]} (want ${W[$k]})"
done
ktap_check "under load: $ROUNDS rounds, each packet delivered or dropped as before${bad:+:$bad}" \
	test -z "$bad"
u1=$(dev_stat b esp0 unknown_spi)
ktap_check "unknown SPIs: all $(((FLOOD_RAW + FLOOD_UDP) * ROUNDS)) counted ($u0 -> $u1)" \
	test $((u1 - u0)) = $(((FLOOD_RAW + FLOOD_UDP) * ROUNDS))
nev=$(grep -c '^unknown-spi ' "$mon")
if [ "$nev" -ge 1 ] && [ "$nev" -le $((took + 2)) ]; then
	ktap_ok "unknown SPIs: $nev events in ${took}s, at most one a second"
else
	ktap_fail "unknown SPIs: events rate-limited" "$nev events in ${took}s"
fi
if grep -q "^unknown-spi spi 0x5e000000 peer 10.0.0.1 local 10.0.0.2" "$mon"; then
	ktap_ok "unknown SPIs: the first event names SPI, peer, local"
else
	ktap_fail "unknown SPIs: first event" "$(head -3 "$mon")"
fi
if [ "$ping_rc" = 0 ] &&
   grep -q "$PINGS packets transmitted, $PINGS received" "$TEST_OUT/ping.txt"; then
	ktap_ok "tunnel under load: $PINGS of $PINGS pings answered"
else
	ktap_fail "tunnel under load: every ping answered" "$(cat "$TEST_OUT/ping.txt")"
fi
tun1=${C[$((0x6001))]}
read -r p0 _ f0 i0 r0 <<<"$tun0"
read -r p1 _ f1 i1 r1 <<<"$tun1"
ktap_check "tunnel under load: its SA carried them ($p0 -> $p1)" \
	test $((p1 - p0)) -ge $PINGS
ktap_check "tunnel under load: no format, ICV or replay drop on its SA" \
	test "$f1 $i1 $r1" = "$f0 $i0 $r0"
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
