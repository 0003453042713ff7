#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Anti-replay and hostile input, esptun <-> esptun:
#
#   netns a: esp0 192.168.1.1 -- va 10.0.0.1 ==== vb 10.0.0.2 -- esp0 192.168.2.1 :netns b
#
# ESP packets a sends are captured on vb while a tc filter keeps them from
# b's stack, then sent to b by scapy: reordered within the window (taken),
# again (replay), after the window moved past them (too old), with one bit
# flipped in SPI, sequence number, IV, ciphertext or ICV (refused, the
# window does not move), truncated, empty, misaligned, oversized and
# garbage, raw and in UDP. Unknown SPIs raise an event; ESN crosses 2^32;
# 32-bit sequence numbers stop at 2^32-1 with a hard-expire event.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"
INJ=$(dirname "$0")/esp_inject.py
GCM="aead rfc4106(gcm(aes))"

ktap_plan 35

setup() {
	# esp4 takes what esptun gives back, as on any IPsec host.
	modprobe esp4 || return 1
	two_sites &&
	tc -n b qdisc add dev vb clsact
}

# sas "OUT-ARGS" "IN-ARGS": fresh GCM pairs 0x6001 (a->b) and 0x6002.
K1=$(hexkey 20)
K2=$(hexkey 20)
sas() {
	# shellcheck disable=SC2086 # argument lists
	ns a "$ESPTUN" sa flush esp0 && ns b "$ESPTUN" sa flush esp0 &&
	ns a "$ESPTUN" sa add esp0 dir out spi 0x6001 $GCM "$K1" 128 $1 &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x6001 $GCM "$K1" 128 $2 &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x6002 $GCM "$K2" 128 $1 &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x6002 $GCM "$K2" 128 $2
}

block_esp() {
	tc -n b filter add dev vb ingress pref 1 protocol ip u32 \
		match ip protocol 50 0xff action drop
}
unblock_esp() {
	tc -n b filter del dev vb ingress pref 1
}
# held PCAP N: N echo requests from a, captured on b's link as ESP and
# dropped before b sees them.
held() {
	tcpdump_start b vb "$1" esp
	block_esp
	ip netns exec a ping -q -c "$2" -i 0.1 -W 1 192.168.2.1 >/dev/null 2>&1
	sleep 0.3
	tcpdump_stop "$1"
	unblock_esp
}

# expect NAME STAT WANT: b's in SA 0x6001 counter STAT equals WANT.
expect() {
	local got
	got=$(sa_stat b esp0 in 0x6001 "$2")
	if [ "$got" = "$3" ]; then
		ktap_ok "$1 ($2 = $3)"
	else
		ktap_fail "$1" "$2: got $got, want $3"
		return 1
	fi
}

inj() {
	ip netns exec a "$INJ" "$@"
}

# inj_batch: commands from stdin, one scapy start for all.
inj_batch() {
	ip netns exec a "$INJ" -
}

# Not in $(...): the background jobs would keep it waiting.
if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
dmesg_mark
mon_b=$TEST_OUT/monitor.b
mon_a=$TEST_OUT/monitor.a
monitor_start b "$mon_b"
monitor_start a "$mon_a"

ktap_check "setup: SAs with window 64" sas "" "replay-window 64"
pings "warm-up ping" a 192.168.2.1

# Six echo requests captured, none delivered.
pcap=$TEST_OUT/held.pcap
held "$pcap" 6
n=$(ip netns exec a "$INJ" count "$pcap" 0x6001)
if [ "$n" = 6 ]; then
	ktap_ok "captured 6 ESP packets that b never saw"
else
	ktap_fail "captured 6 ESP packets that b never saw" "got $n"
fi
p0=$(sa_stat b esp0 in 0x6001 packets)

inj replay "$pcap" 0x6001 2,0,1
sleep 0.3
expect "reordered within the window: accepted" packets $((p0 + 3))
expect "reordered within the window: no replay drop" replay 0

inj replay "$pcap" 0x6001 0,1,2
sleep 0.3
expect "replayed: dropped" packets $((p0 + 3))
expect "replayed: counted" replay 3

inj_batch <<EOB
replay $pcap 0x6001 3 flip-seq
replay $pcap 0x6001 3 flip-iv
replay $pcap 0x6001 3 flip-data
replay $pcap 0x6001 3 flip-icv
EOB
sleep 0.3
expect "one bit flipped in seq, IV, data, ICV: counted" icv_fail 4
inj replay "$pcap" 0x6001 3 flip-spi
sleep 0.3
if grep -q "^unknown-spi .*spi 0x00006000" "$mon_b"; then
	ktap_ok "bit flipped in SPI: unknown-spi event"
else
	ktap_fail "bit flipped in SPI: unknown-spi event" "$(cat "$mon_b")"
fi
u=$(dev_stat b esp0 unknown_spi)
if [ "${u:-0}" -ge 1 ] 2>/dev/null; then
	ktap_ok "bit flipped in SPI: counted as unknown SPI ($u)"
else
	ktap_fail "bit flipped in SPI: counted as unknown SPI" "unknown_spi: $u"
fi
inj replay "$pcap" 0x6001 3
sleep 0.3
expect "failures did not move the window: original accepted" packets $((p0 + 4))

# Push the window 70 packets further: 4 and 5 are now too old.
ip netns exec a ping -q -c 70 -i 0.01 -W 1 192.168.2.1 >/dev/null 2>&1
inj replay "$pcap" 0x6001 4,5
sleep 0.3
expect "older than the window: dropped and counted" replay 5

# Made-up packets for the SA: truncated, empty body, misaligned, garbage,
# oversized (fragmented outer).
inj_batch <<EOB
craft 10.0.0.1 10.0.0.2 0x6001 0x7fff0000 10
craft 10.0.0.1 10.0.0.2 0x6001 0x7fff0001 0
craft 10.0.0.1 10.0.0.2 0x6001 0x7fff0002 201
EOB
sleep 0.3
expect "truncated, empty, misaligned: format errors" format 3
inj_batch <<EOB
craft 10.0.0.1 10.0.0.2 0x6001 0x7fff0003 200
craft 10.0.0.1 10.0.0.2 0x6001 0x7fff0004 3000
EOB
sleep 0.3
expect "garbage and oversized: ICV failures" icv_fail 6
hdr0=$(ip netns exec b awk '$1 == "XfrmInHdrError" { print $2 }' /proc/net/xfrm_stat)
inj craft 10.0.0.1 10.0.0.2 0 0 -1
sleep 0.3
hdr1=$(ip netns exec b awk '$1 == "XfrmInHdrError" { print $2 }' /proc/net/xfrm_stat)
if [ "$hdr1" = $((hdr0 + 1)) ]; then
	ktap_ok "empty ESP (no SPI): left to xfrm, which counts a header error"
else
	ktap_fail "empty ESP (no SPI): counted by xfrm" "XfrmInHdrError $hdr0 -> $hdr1"
fi
pings "after all that, traffic still flows" a 192.168.2.1

# A 4096-packet window: a packet 4000 behind the top is still taken, one
# 4999 behind is too old. a's out SA is re-added further on instead of
# sending thousands of packets.
ktap_check "window 4096: SAs added" sas "" "replay-window 4096"
pcap2=$TEST_OUT/held4096.pcap
held "$pcap2" 2
jump() {
	ns a "$ESPTUN" sa del esp0 dir out spi 0x6001 &&
	ns a "$ESPTUN" sa add esp0 dir out spi 0x6001 $GCM "$K1" 128 oseq "$1" &&
	ip netns exec a ping -q -c 1 -W 2 192.168.2.1 >/dev/null
}
jump 4000 && inj replay "$pcap2" 0x6001 0
sleep 0.3
expect "window 4096: 4000 behind the top is taken" packets 2
jump 5000 && inj replay "$pcap2" 0x6001 1
sleep 0.3
expect "window 4096: 4999 behind the top is too old" replay 1

# The same over UDP: b's 4500 socket is the scapy listener, so what is
# not ESP can be seen arriving there.
udp_log=$TEST_OUT/udp-socket.log
ip netns exec b /usr/bin/python3 "$INJ" listen 4500 "$udp_log" &
_lib_pids+=($!)
bg_start ip netns exec a "$ESPTUN" encap-listen 4500
wait_for -t 5 grep -q listening "$udp_log"
ns a "$ESPTUN" set esp0 encap udp sport 4500 dport 4500
ns b "$ESPTUN" set esp0 encap udp sport 4500 dport 4500
ktap_check "UDP: SAs added" sas "" ""
pings "UDP: ping" a 192.168.2.1
inj_batch <<EOB
craft 10.0.0.1 10.0.0.2 0x6001 0x7fff0000 200 udp
craft 10.0.0.1 10.0.0.2 0x6001 0x7fff0001 20 udp
EOB
sleep 0.3
expect "UDP: garbage is an ICV failure" icv_fail 1
# (xfrm4_udp_encap_rcv itself drops ESP-in-UDP shorter than an IPv4
# header before any handler sees it; 28 bytes still lack IV and ICV.)
expect "UDP: truncated is a format error" format 1 ||
	ktap_diag "$(ip netns exec b "$ESPTUN" show esp0)" "$(ip netns exec b grep Udp: /proc/net/snmp)" \
		"$(ip netns exec b cat /proc/net/xfrm_stat | awk '$2 != 0')"
inj marker 10.0.0.1 10.0.0.2
sleep 0.3
if grep -q "^00000000" "$udp_log"; then
	ktap_ok "UDP: non-ESP marker packet reached the socket"
else
	ktap_fail "UDP: non-ESP marker packet reached the socket" "$(cat "$udp_log")"
fi
if ! grep -q "^ff$" "$udp_log"; then
	ktap_ok "UDP: NAT keepalive did not reach the socket"
else
	ktap_fail "UDP: NAT keepalive did not reach the socket" "$(cat "$udp_log")"
fi
ns a "$ESPTUN" set esp0 encap none
ns b "$ESPTUN" set esp0 encap none

# ESN across 2^32.
ktap_check "ESN: SAs 16 below 2^32" \
	sas "esn oseq 0xfffffff0" "esn seq 0xfffffff0"
ktap_check "ESN: 40 pings across 2^32" \
	ip netns exec a ping -q -c 40 -i 0.05 -W 2 192.168.2.1
s=$(sa_field b esp0 in 0x6001 seq)
if [ "${s:-0}" -gt 4294967296 ] 2>/dev/null; then
	ktap_ok "ESN: b's in SA is past 2^32 ($s)"
else
	ktap_fail "ESN: b's in SA is past 2^32" "seq: $s"
fi
expect "ESN: nothing dropped" replay 0

# 32-bit numbers: 0xfffffffe and 0xffffffff go out, then the SA stops.
ktap_check "no ESN: SAs 2 below 2^32" sas "oseq 0xfffffffd" "seq 0xfffffff0"
ip netns exec a ping -q -c 4 -i 0.2 -W 1 192.168.2.1 >"$TEST_OUT/exhaust.ping" 2>&1
if grep -q "4 packets transmitted, 2 received" "$TEST_OUT/exhaust.ping"; then
	ktap_ok "no ESN: two packets, then nothing"
else
	ktap_fail "no ESN: two packets, then nothing" "$(cat "$TEST_OUT/exhaust.ping")"
fi
s=$(sa_stat a esp0 out 0x6001 seq_exhausted)
if [ "$s" = none ] || [ "${s:-0}" -ge 1 ] 2>/dev/null; then
	ktap_ok "no ESN: exhaustion counted or SA gone ($s)"
else
	ktap_fail "no ESN: exhaustion counted" "seq_exhausted: $s"
fi
sleep 0.3
if grep -q "^hard-expire dev esp0 dir out spi 0x00006001.*reason seq-exhausted" "$mon_a"; then
	ktap_ok "no ESN: hard-expire event, reason seq-exhausted"
else
	ktap_fail "no ESN: hard-expire event" "$(cat "$mon_a")"
fi
expect "no ESN: b saw no replay" replay 0
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
