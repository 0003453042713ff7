#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fragments and port selectors (RFC 4301 section 7). Between two esptun
# devices (esp-lib.sh two_sites), SAs whose selectors name UDP ports: a's
# out SA and b's in SA carry 192.168.1.1 -> 192.168.2.1 udp dport 5002,
# b's out SA and a's in SA the replies, udp sport 5002. A 3000-byte
# datagram is larger than the tunnel MTU, so the IP stack fragments it
# before it enters the device; the later fragments carry no ports. The
# datagram and its echo arrive whole, both ways, no packet is dropped for
# want of an SA or for its selector, and no acquire event goes out.
# Then selectors that are address ranges: ICMP between 192.168.1.1-.5 and
# 192.168.2.1-.3 takes the range SAs, up to the range's last address, and
# a destination or source one past it finds no SA. The same for IPv6,
# with ranges that are no prefix: 2001:db8:1::10-::20 and
# 2001:db8:2::10-::20.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"

ktap_plan 17

SPEC="aead rfc4106(gcm(aes)) KEY20 128"

setup() {
	local ab ba
	two_sites || return 1
	mapfile -t ab < <(alg_words "$SPEC")
	mapfile -t ba < <(alg_words "$SPEC")
	local fwd=(sel src 192.168.1.1/32 dst 192.168.2.1/32 proto udp dport 5002)
	local rev=(sel src 192.168.2.1/32 dst 192.168.1.1/32 proto udp sport 5002)
	ns a "$ESPTUN" sa add esp0 dir out spi 0x100 "${ab[@]}" "${fwd[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x100 "${ab[@]}" "${fwd[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x200 "${ba[@]}" "${rev[@]}" &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x200 "${ba[@]}" "${rev[@]}"
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
ktap_ok "setup: two sites, SAs with UDP port selectors"
dmesg_mark

mon=$TEST_OUT/monitor
monitor_start a "$mon.a"
mon_a=$BG_PID
monitor_start b "$mon.b"
mon_b=$BG_PID

# b echoes one datagram from port 5002; a sends 3000 random bytes and
# compares what comes back, once b listens (python starts slowly in a
# loaded emulated guest).
bg_start ip netns exec b timeout 60 "${PY3[@]}" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.2.1", 5002))
data, peer = s.recvfrom(65535)
s.sendto(data, peer)'
if ! wait_for -t 40 sh -c "ip netns exec b ss -Hlun | grep -q ':5002 '"; then
	out="b never listened on port 5002"
else
	out=$(ip netns exec a timeout 20 "${PY3[@]}" -c '
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
data = os.urandom(3000)
s.sendto(data, ("192.168.2.1", 5002))
try:
    back, _ = s.recvfrom(65535)
except socket.timeout:
    print("no echo")
else:
    print("same" if back == data else "differs: %d bytes" % len(back))' 2>&1)
fi
if [ "$out" = same ]; then
	ktap_ok "3000-byte datagram and its echo arrive whole"
else
	ktap_fail "3000-byte datagram and its echo arrive whole" "$out"
fi

counts() {
	echo "no_sa a $(dev_stat a esp0 no_sa) b $(dev_stat b esp0 no_sa)," \
		"selector a $(sa_stat a esp0 in 0x200 selector)" \
		"b $(sa_stat b esp0 in 0x100 selector)"
}
c=$(counts)
if [ "$c" = "no_sa a 0 b 0, selector a 0 b 0" ]; then
	ktap_ok "no drop for want of an SA or for a selector"
else
	ktap_fail "no drop for want of an SA or for a selector" "$c"
fi
counters_match "fragments a -> b" 0x100 a b 3
counters_match "fragments b -> a" 0x200 b a 3

bg_stop "$mon_a"
bg_stop "$mon_b"
if grep -qs "^acquire" "$mon.a" "$mon.b"; then
	ktap_fail "no acquire event" "$(cat "$mon.a" "$mon.b")"
else
	ktap_ok "no acquire event"
fi
range_setup() {
	local k fwd rev
	mapfile -t k < <(alg_words "$SPEC")
	fwd=(sel src 192.168.1.1-192.168.1.5 dst 192.168.2.1-192.168.2.3 proto icmp)
	rev=(sel src 192.168.2.1-192.168.2.3 dst 192.168.1.1-192.168.1.5 proto icmp)
	ns a "$ESPTUN" sa add esp0 dir out spi 0x300 "${k[@]}" "${fwd[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x300 "${k[@]}" "${fwd[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x400 "${k[@]}" "${rev[@]}" &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x400 "${k[@]}" "${rev[@]}"
}
if range_setup >"$TEST_OUT/range.log" 2>&1 &&
   ip netns exec a "$ESPTUN" show esp0 >>"$TEST_OUT/range.log" &&
   grep -q "selector: src 192.168.1.1-192.168.1.5 dst 192.168.2.1-192.168.2.3 proto icmp" \
	"$TEST_OUT/range.log"; then
	ktap_ok "range SAs added, shown as ranges"
else
	ktap_fail "range SAs added, shown as ranges" "$(cat "$TEST_OUT/range.log")"
fi
pings "ping inside the ranges" a 192.168.2.1
counters_match "range SA a -> b" 0x300 a b 3
# reading NS DIR SPI: "PACKETS BYTES NO-SA", the counters of one SA and
# its device's no-SA drops, from one text "esptun show" (awk: python
# started per read costs seconds in an emulated guest).
reading() {
	ip netns exec "$1" "$ESPTUN" show esp0 |
		awk -v hdr="$(printf 'sa: %s spi 0x%08x' "$2" "$3")" '
function get(k,  i) { for (i = 1; i < NF; i++) if ($i == k) return $(i + 1) + 0; return 0 }
/^device: / { dev = 1 }
/^sa: / { dev = 0; s = ($0 == hdr) }
dev && /^  drops: / { n = get("no-sa") }
s && /^  counters: / { p = get("packets"); b = get("bytes") }
END { print p + 0, b + 0, n + 0 }'
}
# 192.168.2.3, the range's last address, leaves by the SA (b has no such
# address, so no answer); 192.168.2.4 is outside and finds none. On the
# source side the same: from 192.168.1.5 by the SA and answered, from
# 192.168.1.6 no SA.
read -r p0 _ n0 < <(reading a out 0x300)
ip netns exec a ping -q -c 1 -W 0.2 192.168.2.3 >/dev/null 2>&1
read -r p1 _ n1 < <(reading a out 0x300)
ip netns exec a ping -q -c 1 -W 0.2 192.168.2.4 >/dev/null 2>&1
read -r p2 _ n2 < <(reading a out 0x300)
if [ "$((p1 - p0))" = 1 ] && [ "$n1" = "$n0" ] && [ "$p2" = "$p1" ] &&
   [ "$((n2 - n1))" = 1 ]; then
	ktap_ok "last address of the range takes the SA, the next does not"
else
	ktap_fail "last address of the range takes the SA, the next does not" \
		"SA packets $p0 -> $p1 -> $p2, no_sa $n0 -> $n2"
fi
ip -n a addr add 192.168.1.5/32 dev esp0
ip -n a addr add 192.168.1.6/32 dev esp0
ok5=no
ip netns exec a ping -q -c 1 -W 5 -I 192.168.1.5 192.168.2.1 >/dev/null 2>&1 &&
	ok5=yes
read -r p3 _ n3 < <(reading a out 0x300)
ip netns exec a ping -q -c 1 -W 0.2 -I 192.168.1.6 192.168.2.1 >/dev/null 2>&1
read -r p4 _ n4 < <(reading a out 0x300)
if [ "$ok5" = yes ] && [ "$((p3 - p2))" = 1 ] && [ "$n3" = "$n2" ] &&
   [ "$p4" = "$p3" ] && [ "$((n4 - n3))" = 1 ]; then
	ktap_ok "last source address of the range takes the SA, the next does not"
else
	ktap_fail "last source address of the range takes the SA, the next does not" \
		"answered from .5: $ok5, SA packets $p2 -> $p3 -> $p4, no_sa $n2 -> $n4"
fi

# IPv6 on the tunnel now, with no link-local address (nothing but the
# pings below leaves esp0, so the no-SA count moves only for them).
range6_setup() {
	local k n fwd rev
	for n in a b; do
		ip netns exec $n sysctl -qw net.ipv6.conf.esp0.addr_gen_mode=1 \
			net.ipv6.conf.esp0.disable_ipv6=0 || return 1
	done
	ip -n a addr add 2001:db8:1::10/128 dev esp0 nodad &&
	ip -n b addr add 2001:db8:2::10/128 dev esp0 nodad &&
	ip -n a -6 route add 2001:db8:2::/64 dev esp0 src 2001:db8:1::10 &&
	ip -n b -6 route add 2001:db8:1::/64 dev esp0 src 2001:db8:2::10 ||
		return 1
	mapfile -t k < <(alg_words "$SPEC")
	fwd=(sel src 2001:db8:1::10-2001:db8:1::20
	     dst 2001:db8:2::10-2001:db8:2::20 proto ipv6-icmp)
	rev=(sel src 2001:db8:2::10-2001:db8:2::20
	     dst 2001:db8:1::10-2001:db8:1::20 proto ipv6-icmp)
	ns a "$ESPTUN" sa add esp0 dir out spi 0x500 "${k[@]}" "${fwd[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x500 "${k[@]}" "${fwd[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x600 "${k[@]}" "${rev[@]}" &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x600 "${k[@]}" "${rev[@]}"
}
if range6_setup >"$TEST_OUT/range6.log" 2>&1 &&
   ip netns exec a "$ESPTUN" show esp0 >>"$TEST_OUT/range6.log" &&
   grep -q "selector: src 2001:db8:1::10-2001:db8:1::20 dst 2001:db8:2::10-2001:db8:2::20 proto ipv6-icmp" \
	"$TEST_OUT/range6.log"; then
	ktap_ok "IPv6 range SAs added, shown as ranges"
else
	ktap_fail "IPv6 range SAs added, shown as ranges" \
		"$(cat "$TEST_OUT/range6.log")"
fi
pings "IPv6 ping inside the ranges" a 2001:db8:2::10
o=$(reading a out 0x500)
i=$(reading b in 0x500)
if [ "${o% *}" = "${i% *}" ] && [ "${o%% *}" -ge 3 ]; then
	ktap_ok "IPv6 range SA a -> b: packets, bytes ${o% *}"
else
	ktap_fail "IPv6 range SA a -> b" "out packets/bytes/no-sa $o, in $i"
fi
# As for IPv4: 2001:db8:2::20 by the SA (b has no such address), ::21
# no SA; from a's 2001:db8:1::20 by the SA and answered, from ::21 none.
read -r p0 _ n0 < <(reading a out 0x500)
ip netns exec a ping -q -c 1 -W 0.2 2001:db8:2::20 >/dev/null 2>&1
read -r p1 _ n1 < <(reading a out 0x500)
ip netns exec a ping -q -c 1 -W 0.2 2001:db8:2::21 >/dev/null 2>&1
read -r p2 _ n2 < <(reading a out 0x500)
if [ "$((p1 - p0))" = 1 ] && [ "$n1" = "$n0" ] && [ "$p2" = "$p1" ] &&
   [ "$((n2 - n1))" = 1 ]; then
	ktap_ok "IPv6: last address of the range takes the SA, the next does not"
else
	ktap_fail "IPv6: last address of the range takes the SA, the next does not" \
		"SA packets $p0 -> $p1 -> $p2, no_sa $n0 -> $n2"
fi
ip -n a addr add 2001:db8:1::20/128 dev esp0 nodad
ip -n a addr add 2001:db8:1::21/128 dev esp0 nodad
ok20=no
ip netns exec a ping -q -c 1 -W 5 -I 2001:db8:1::20 2001:db8:2::10 \
	>/dev/null 2>&1 && ok20=yes
read -r p3 _ n3 < <(reading a out 0x500)
ip netns exec a ping -q -c 1 -W 0.2 -I 2001:db8:1::21 2001:db8:2::10 \
	>/dev/null 2>&1
read -r p4 _ n4 < <(reading a out 0x500)
if [ "$ok20" = yes ] && [ "$((p3 - p2))" = 1 ] && [ "$n3" = "$n2" ] &&
   [ "$p4" = "$p3" ] && [ "$((n4 - n3))" = 1 ]; then
	ktap_ok "IPv6: last source address of the range takes the SA, the next does not"
else
	ktap_fail "IPv6: last source address of the range takes the SA, the next does not" \
		"answered from ::20: $ok20, SA packets $p2 -> $p3 -> $p4, no_sa $n2 -> $n4"
fi

ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
