#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# SA churn under load, esptun <-> esptun over raw ESP (IPv4):
#
#   netns a: esp0 192.168.1.1 -- va 10.0.0.1 ==== vb 10.0.0.2 -- esp0 192.168.2.1 :netns b
#
# Flood pings both ways and UDP one way run through the tunnel while, on
# both sides at once, outbound SAs are rekeyed make-before-break (the new
# SA is added before the old one goes), inbound SAs deleted and re-added
# under the peer's traffic, SAs given new endpoints, encapsulation and
# limits, expired by packets and by time, flushed (acquire events fire
# until the next SA), and inbound SPIs reserved, released and left to time
# out. Packets in flight keep meeting SAs that are being linked or
# unlinked. The guest must survive it, the tunnel must carry traffic
# afterwards, no SA of the churn may be left over and the kernel log must
# stay clean.
# selftest-timeout: 180
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"
GCM="aead rfc4106(gcm(aes))"
CHURN_SECONDS=${ESPTUN_CHURN_SECONDS:-15}

ktap_plan 5

setup() {
	two_sites
}

# A and B: the CLI in a and b. nsenter is cheaper than "ip netns exec",
# which matters for the churn rate on a loaded emulator.
A() { nsenter --net=/run/netns/a "$ESPTUN" "$@"; }
B() { nsenter --net=/run/netns/b "$ESPTUN" "$@"; }

K1=$(hexkey 20)
K2=$(hexkey 20)

# Every inbound SA of a side: SPIs BASE..BASE+POOL-1, one key per side.
POOL=6
# inbound_pool NS-FUNC BASE KEY: (re)adds the receiving side's pool.
inbound_pool() {
	local i
	for ((i = 0; i < POOL; i++)); do
		"$1" sa add esp0 dir in spi $(($2 + i)) $GCM "$3" 128
	done
}

# churn NS-FUNC OUT-BASE OUT-KEY IN-BASE IN-KEY: until $end, the sender
# side of one direction rekeys make-before-break (the next outbound SA
# is added, then the previous one deleted) over the peer's inbound pool,
# and now and then: gives an SA new endpoints, encapsulation (there and
# back) and limits, deletes and
# re-adds one of its own inbound SAs (the peer may be using it),
# reserves and releases SPIs, adds an SA that expires by packets or
# time, or flushes everything (acquires fire until the next SA).
# Failures are expected (an SA may have expired meanwhile) and do not
# matter: only the kernel's behaviour does.
churn() {
	local cli=$1 obase=$2 okey=$3 ibase=$4 ikey=$5 k=0 spi old
	old=$obase
	while [ $SECONDS -lt $end ]; do
		k=$((k + 1))
		spi=$((obase + k % POOL))
		case $((k % 10)) in
		3) "$cli" sa add esp0 dir out spi $spi $GCM "$okey" 128 \
			lifetime hard packets 300 ;;
		6) "$cli" sa add esp0 dir out spi $spi $GCM "$okey" 128 \
			lifetime hard add-seconds 1 ;;
		*) "$cli" sa add esp0 dir out spi $spi $GCM "$okey" 128 ;;
		esac
		"$cli" sa del esp0 dir out spi $old
		old=$spi
		case $((k % 8)) in
		0) # A packet sized for one encapsulation may be sent
		   # with the other; a remote with no neighbour entry.
		   "$cli" sa update esp0 dir out spi $spi \
			encap espinudp 4500 4500 remote 10.0.0.9
		   "$cli" sa update esp0 dir out spi $spi encap none \
			remote "$([ "$cli" = A ] && echo 10.0.0.2 || echo 10.0.0.1)" ;;
		1) "$cli" sa update esp0 dir out spi $spi remote "$(
			[ "$cli" = A ] && echo 10.0.0.2 || echo 10.0.0.1)" ;;
		2) "$cli" sa update esp0 dir out spi $spi \
			lifetime soft packets 50 lifetime hard add-seconds 60 ;;
		4) spi=$((ibase + (k / 8) % POOL))
		   "$cli" sa del esp0 dir in spi $spi
		   "$cli" sa add esp0 dir in spi $spi $GCM "$ikey" 128 ;;
		5) "$cli" sa alloc-spi esp0 range 0x100000 0x1fffff reserve 1 \
			>/dev/null ;;
		7) spi=$("$cli" -j sa alloc-spi esp0 range 0x200000 0x2fffff |
			sed -n 's/.*"spi":\([0-9]*\).*/\1/p')
		   [ -n "$spi" ] && "$cli" sa del esp0 dir in spi "$spi" ;;
		esac
		if [ $((k % 23)) -eq 0 ]; then
			"$cli" sa flush esp0
			sleep 0.2
			inbound_pool "$cli" "$ibase" "$ikey"
		fi
	done
	echo "$k" >"$TEST_OUT/rounds.$cli"
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
dmesg_mark

# Listeners, so acquire and expiry events are built and sent.
monitor_start a "$TEST_OUT/monitor.a"
monitor_start b "$TEST_OUT/monitor.b"

# a receives on 0x2000.., b on 0x1000..; one outbound SA each to start.
setup_sas() {
	inbound_pool B 0x1000 "$K1" && inbound_pool A 0x2000 "$K2" &&
		A sa add esp0 dir out spi 0x1000 $GCM "$K1" 128 &&
		B sa add esp0 dir out spi 0x2000 $GCM "$K2" 128
}
ktap_check "SAs added" setup_sas

# Load both ways for the whole churn, and a little beyond.
load=$((CHURN_SECONDS + 5))
ns a ping -q -f -w $load 192.168.2.1 >"$TEST_OUT/ping.a" 2>&1 &
_lib_pids+=($!)
ns b ping -q -i 0.005 -s 1200 -w $load 192.168.1.1 >"$TEST_OUT/ping.b" 2>&1 &
_lib_pids+=($!)
if command -v iperf3 >/dev/null; then
	ns b iperf3 -s -1 -D -I "$TEST_OUT/iperf3.pid" >/dev/null 2>&1
	sleep 0.3
	ns a iperf3 -u -b 10M -l 1000 -t $load -c 192.168.2.1 \
		>"$TEST_OUT/iperf3.a" 2>&1 &
	_lib_pids+=($!)
	cleanup_add pkill -F "$TEST_OUT/iperf3.pid"
fi

end=$((SECONDS + CHURN_SECONDS))
churn A 0x1000 "$K1" 0x2000 "$K2" >"$TEST_OUT/churn.a" 2>&1 &
churn_a=$!
_lib_pids+=($churn_a)
churn B 0x2000 "$K2" 0x1000 "$K1" >"$TEST_OUT/churn.b" 2>&1 &
churn_b=$!
_lib_pids+=($churn_b)
wait $churn_a $churn_b
ktap_diag "rekey rounds: a $(cat "$TEST_OUT/rounds.A") b $(cat "$TEST_OUT/rounds.B");" \
	"events: $(cat "$TEST_OUT"/monitor.? | awk '{ print $1 }' | sort |
		uniq -c | tr -s '\n ' ' ')"

# The system is still responsive and the tunnel carries traffic again.
A sa flush esp0
B sa flush esp0
ktap_check "fresh SAs added" setup_sas
pings "traffic flows afterwards" a 192.168.2.1
# Exactly the SAs just added are listed: nothing of the churn is left.
n_sas() {
	ns "$1" "$ESPTUN" -j show esp0 | "${PY3[@]}" -c '
import json, sys
print(sum(len(x["sas"]) for x in json.load(sys.stdin)))'
}
ktap_check "no SA left over" test "$(n_sas a) $(n_sas b)" = \
	"$((POOL + 1)) $((POOL + 1))"
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
