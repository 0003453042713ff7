#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# esptun <-> esptun between two namespaces.
#
#   netns a                                   netns b
#   esp0 192.168.1.1 fd01::1                  esp0 192.168.2.1 fd02::1
#        \__ va 10.0.0.1 fd00::1 ==== vb 10.0.0.2 fd00::2 __/
#
# The four inner/outer family combinations over raw ESP and ESP-in-UDP
# (each SA pair carries both inner families), one AEAD and one authenc
# suite: pings, a random file over TCP (GSO segments) with the same
# SHA-256, the sender's out SA counters equal to the receiver's in SA's.
# Then: no SA -> drop, no-sa counter and an acquire event; a decrypted
# packet outside the SA's selector -> dropped and counted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"

CASES=(
	"v4-raw-gcm|4|none|aead rfc4106(gcm(aes)) KEY20 128"
	"v6-raw-aes-sha256|6|none|enc cbc(aes) KEY16 auth-trunc hmac(sha256) KEY32 128"
	"v4-udp-aes-sha256|4|udp|enc cbc(aes) KEY32 auth-trunc hmac(sha256) KEY32 128"
	"v6-udp-gcm|6|udp|aead rfc4106(gcm(aes)) KEY36 128"
)
ktap_plan $((1 + ${#CASES[@]} * 6 + 9))

setup() {
	module_load || return 1
	netns_new a && netns_new b || return 1
	veth_pair a va b vb || return 1
	ip -n a addr add 10.0.0.1/24 dev va
	ip -n b addr add 10.0.0.2/24 dev vb
	ip -n a addr add fd00::1/64 dev va nodad
	ip -n b addr add fd00::2/64 dev vb nodad
	for n in a b; do
		ip -n $n link add esp0 type esptun || return 1
		ip -n $n link set esp0 up
	done
	ip -n a addr add 192.168.1.1/32 dev esp0
	ip -n a addr add 192.168.1.99/32 dev esp0
	ip -n a addr add fd01::1/128 dev esp0 nodad
	ip -n a route add 192.168.2.0/24 dev esp0 src 192.168.1.1
	ip -n a route add fd02::/64 dev esp0 src fd01::1
	ip -n b addr add 192.168.2.1/32 dev esp0
	ip -n b addr add fd02::1/128 dev esp0 nodad
	ip -n b route add 192.168.1.0/24 dev esp0 src 192.168.2.1
	ip -n b route add fd01::/64 dev esp0 src fd02::1
	bg_start ip netns exec a "$ESPTUN" encap-listen 4500
	bg_start ip netns exec b "$ESPTUN" encap-listen 4500
	wait_for -t 5 sh -c "ip netns exec b ss -Hlun | grep -q ':4500 '"
}

# sas SPEC AB BA [extra args for b's in SA...]: SA pairs on both sides.
sas() {
	local spec=$1 ab=$2 ba=$3 k1 k2
	shift 3
	mapfile -t k1 < <(alg_words "$spec")
	mapfile -t k2 < <(alg_words "$spec")
	ns a "$ESPTUN" sa flush esp0 &&
	ns b "$ESPTUN" sa flush esp0 &&
	# Inbound first, as IKE does: the tunnels' own IPv6 packets go out
	# as soon as an outbound SA exists and must find their inbound one.
	ns b "$ESPTUN" sa add esp0 dir in spi "$ab" "${k1[@]}" "$@" &&
	ns a "$ESPTUN" sa add esp0 dir in spi "$ba" "${k2[@]}" &&
	ns a "$ESPTUN" sa add esp0 dir out spi "$ab" "${k1[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir out spi "$ba" "${k2[@]}"
}

run_case() {
	local i=$1 name outer encap spec la lb enc ab=$((0x3000 + $1)) ba=$((0x4000 + $1))
	IFS='|' read -r name outer encap spec <<<"${CASES[i]}"
	if [ "$outer" = 4 ]; then la=10.0.0.1 lb=10.0.0.2; else la=fd00::1 lb=fd00::2; fi
	enc=(encap none)
	[ "$encap" = udp ] && enc=(encap udp sport 4500 dport 4500)
	if ! out=$(ns a "$ESPTUN" set esp0 local $la remote $lb "${enc[@]}" 2>&1 &&
		ns b "$ESPTUN" set esp0 local $lb remote $la "${enc[@]}" 2>&1 &&
		sas "$spec" $ab $ba 2>&1); then
		ktap_fail "$name: setup" "$out"
		for _ in 1 2 3 4 5; do ktap_skip "$name" "setup failed"; done
		return
	fi
	ktap_ok "$name: SAs added"
	pings "$name: ping inner v4" a 192.168.2.1
	pings "$name: ping inner v6" b fd01::1
	if [ $((i % 2)) = 0 ]; then
		transfer "$name: tcp inner v4 a -> b" a b 192.168.2.1 256
	else
		transfer "$name: tcp inner v6 a -> b" a b fd02::1 256
	fi
	sleep 0.3
	counters_match "$name: a out SA = b in SA" $ab a b
	counters_match "$name: b out SA = a in SA" $ba b a
}

# Not in $(...): the background jobs would keep it waiting.
if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
ktap_ok "setup"
dmesg_mark
for i in "${!CASES[@]}"; do
	run_case "$i"
done

# DSCP and ECN (RFC 4301 out, RFC 6040 in) over the last case's SAs (outer IPv6, UDP):
# the outer traffic class copies DSCP and ECT, turns inner CE into ECT(0),
# and the receiver hands the inner packet on with its own TOS.
# dump NS IF FILTER TOS: the first captured packet's header line while a
# pings with TOS (the size filter skips the tunnel's own small IPv6
# packets). The capture is listening before the first ping goes out.
dump() {
	local f=$TEST_OUT/tos.$1.$2.$4.pcap
	tcpdump_start "$1" "$2" "$f" "$3"
	ip netns exec a ping -q -c 2 -i 0.3 -W 1 -Q "$4" 192.168.2.1 >/dev/null 2>&1
	tcpdump_stop "$f"
	tcpdump -r "$f" -n -v -c 1 2>/dev/null | head -1
}
out=$(dump b vb "udp port 4500 and src host fd00::1 and greater 170" 0xb9)
if [[ $out == *"class 0xb9"* ]]; then
	ktap_ok "DSCP EF and ECT(1) copied to the outer header"
else
	ktap_fail "DSCP EF and ECT(1) copied to the outer header" "$out"
fi
out=$(dump b vb "udp port 4500 and src host fd00::1 and greater 170" 0xbb)
if [[ $out == *"class 0xba"* ]]; then
	ktap_ok "inner CE is ECT(0) outside"
else
	ktap_fail "inner CE is ECT(0) outside" "$out"
fi
out=$(dump b esp0 "icmp[icmptype] == icmp-echo" 0xbb)
if [[ $out == *"tos 0xbb"* ]]; then
	ktap_ok "the receiver keeps the inner TOS (DSCP EF, CE)"
else
	ktap_fail "the receiver keeps the inner TOS" "$out"
fi

# No outbound SA: the packet is dropped, counted, and an acquire goes out.
ns a "$ESPTUN" sa flush esp0
ns b "$ESPTUN" sa flush esp0
mon=$TEST_OUT/monitor.acquire
monitor_start a "$mon"
mon_pid=$BG_PID
before=$(dev_stat a esp0 no_sa)
ip netns exec a ping -q -c 2 -i 0.2 -W 1 192.168.2.1 >/dev/null 2>&1
after=$(dev_stat a esp0 no_sa)
wait_for -t 5 grep -q "^acquire dev esp0" "$mon"
kill "$mon_pid"; wait "$mon_pid" 2>/dev/null
if [ "$after" -ge $((before + 2)) ] 2>/dev/null; then
	ktap_ok "no SA: drops counted ($before -> $after)"
else
	ktap_fail "no SA: drops counted" "no_sa $before -> $after"
fi
if grep -q "^acquire dev esp0" "$mon"; then
	ktap_ok "no SA: acquire event"
else
	ktap_fail "no SA: acquire event" "$(cat "$mon")"
fi

# Selector: b accepts only 192.168.1.1 -> 192.168.2.1 on its in SA. The
# tunnel's own IPv6 packets would fall outside it too: IPv6 off on a.
ip netns exec a sysctl -qw net.ipv6.conf.esp0.disable_ipv6=1
if out=$(sas "aead rfc4106(gcm(aes)) KEY20 128" 0x5001 0x5002 \
		sel src 192.168.1.1/32 dst 192.168.2.1/32 2>&1); then
	ktap_ok "selector: SAs added"
else
	ktap_fail "selector: SAs added" "$out"
fi
pings "selector: matching source passes" a 192.168.2.1
sel0=$(sa_stat b esp0 in 0x5001 selector)
ip netns exec a ping -q -c 3 -i 0.2 -W 1 -I 192.168.1.99 192.168.2.1 >/dev/null 2>&1
sel=$(( $(sa_stat b esp0 in 0x5001 selector) - sel0 ))
if [ "$sel" = 3 ]; then
	ktap_ok "selector: 3 packets from another source dropped and counted"
else
	ktap_fail "selector: other source dropped and counted" "selector counter: $sel"
fi
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
