#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# SA_UPDATE moves a live tunnel, as a peer behind NAT or with a new
# address needs it:
#
#   netns a                               netns b
#   esp0 192.168.1.1                      esp0 192.168.2.1
#   va  10.0.0.1  ======================  vb  10.0.0.2
#   va2 10.0.1.1  ======================  vb2 10.0.1.2
#
# a's outbound SA first goes to 10.0.0.2 over va, is moved to 10.0.1.2
# (out va2: the cached outer route of the old remote must be forgotten),
# switched to ESP-in-UDP there and back to raw ESP on the first path.
# b has an inbound SA with a's SPI and key on each of its addresses, so
# each step is seen in the counters of the SA that received it. After
# each step: pings answered, the outer packets captured on the right link
# with the right protocol. At the end a's one outbound SA counted exactly
# the packets b's two inbound SAs received, and nothing was dropped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"

GCM="aead rfc4106(gcm(aes))"
K1=$(hexkey 20)
K2=$(hexkey 20)

ktap_plan 19

setup() {
	two_sites || return 1
	veth_pair a va2 b vb2 || return 1
	ip -n a addr add 10.0.1.1/24 dev va2
	ip -n b addr add 10.0.1.2/24 dev vb2
	# Holder of the UDP_ENCAP_ESPINUDP socket on 4500.
	bg_start ip netns exec b "$ESPTUN" encap-listen 4500
	wait_for -t 5 sh -c "ip netns exec b ss -Hlun | grep -q ':4500 '"
}

# in_packets LOCAL: packets received by b's inbound SA 0x100 on LOCAL.
in_packets() {
	sa_stat b esp0 in 0x100 packets "$1"
}

# step NAME NS IF FILTER: pings from a, captured on IF in NS with FILTER;
# at least the three echo requests must be seen there.
step() {
	local name=$1 pcap=$TEST_OUT/$1.pcap n
	tcpdump_start "$2" "$3" "$pcap" "$4"
	pings "$name: pings answered" a 192.168.2.1
	tcpdump_stop "$pcap"
	n=$(tcpdump -r "$pcap" -n 2>/dev/null | wc -l)
	if [ "$n" -ge 3 ]; then
		ktap_ok "$name: $n packets on $3 match '$4'"
	else
		ktap_fail "$name: packets on $3 match '$4'" \
			"$n captured: $(tcpdump -r "$pcap" -n 2>&1 | head -5)"
	fi
}

# expect_in NAME LOCAL MIN: b's SA on LOCAL received at least MIN packets.
expect_in() {
	local got
	got=$(in_packets "$2")
	if [ "$got" != none ] && [ "$got" -ge "$3" ]; then
		ktap_ok "$1: b's SA on $2 received $got"
	else
		ktap_fail "$1: b's SA on $2 received at least $3" "got $got"
	fi
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
dmesg_mark

add_sas() {
	ns b "$ESPTUN" sa add esp0 dir in spi 0x100 local 10.0.0.2 $GCM "$K1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x100 local 10.0.1.2 $GCM "$K1" 128 &&
	ns a "$ESPTUN" sa add esp0 dir out spi 0x100 $GCM "$K1" 128 &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x200 $GCM "$K2" 128 &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x200 $GCM "$K2" 128
}
ktap_check "SAs added, b's inbound one on both addresses" add_sas

step "first path" b vb "esp and dst host 10.0.0.2"
expect_in "first path" 10.0.0.2 3

ktap_check "remote moved to 10.0.1.2" \
	ns a "$ESPTUN" sa update esp0 dir out spi 0x100 remote 10.0.1.2
step "moved" b vb2 "esp and dst host 10.0.1.2"
expect_in "moved" 10.0.1.2 3

move_udp() {
	ns b "$ESPTUN" sa update esp0 dir in spi 0x100 local 10.0.1.2 \
		encap espinudp 4500 4500 &&
	ns a "$ESPTUN" sa update esp0 dir out spi 0x100 encap espinudp 4500 4500
}
ktap_check "switched to ESP-in-UDP" move_udp
before=$(in_packets 10.0.1.2)
step "udp" b vb2 "udp dst port 4500 and dst host 10.0.1.2"
expect_in "udp" 10.0.1.2 $((before + 3))

ktap_check "back to raw ESP to 10.0.0.2" \
	ns a "$ESPTUN" sa update esp0 dir out spi 0x100 encap none remote 10.0.0.2
before=$(in_packets 10.0.0.2)
step "back" b vb "esp and dst host 10.0.0.2"
expect_in "back" 10.0.0.2 $((before + 3))

# Every packet a's one SA sent was received by one of b's two.
sent=$(sa_stat a esp0 out 0x100 packets)
got=$(($(in_packets 10.0.0.2) + $(in_packets 10.0.1.2)))
if [ "$sent" = "$got" ]; then
	ktap_ok "a's SA sent $sent, b's SAs received $got"
else
	ktap_fail "a's SA sent as many as b's SAs received" "sent $sent, received $got"
fi
# drops NS: every drop counter of the device and its SAs, summed.
drops() {
	ip netns exec "$1" "$ESPTUN" -j show esp0 | "${PY3[@]}" -c '
import json, sys
n = 0
for x in json.load(sys.stdin):
    n += sum(x["stats"].values())
    for sa in x["sas"]:
        n += sum(v for k, v in sa["stats"].items() if k not in ("packets", "bytes"))
print(n)'
}
ktap_check "nothing dropped on either side" test "$(drops a) $(drops b)" = "0 0"
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
