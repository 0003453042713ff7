#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU through the tunnel:
#
#   netns a                   netns r                   netns b
#   esp0 192.168.1.1/fd01::1                            esp0 192.168.2.1/fd02::1
#   va 10.0.1.1/fd00:1::1 == ra .2 (r) rb 10.0.2.1 ==(mtu 1300)== vb 10.0.2.2/fd00:2::2
#
# DF pings from a that fit esp0's MTU but not the path cross r, whose link to b has MTU 1300: r answers
# the outer ESP packet with ICMP "fragmentation needed" (or ICMPv6 "packet
# too big"); esptun lowers the outer path MTU of its SAs, and the next
# large inner packet gets its own ICMP back, carrying the inner MTU that
# fits. Pings that fit go through. An ICMP error about an ESP packet of
# an SA that is neither esptun's nor xfrm's changes no route; the same
# ICMP naming esptun's SA does.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"
GCM="aead rfc4106(gcm(aes))"
INJ=$(dirname "$0")/esp_inject.py

ktap_plan 17

setup() {
	module_load || return 1
	netns_new a && netns_new r && netns_new b || return 1
	veth_pair a va r ra && veth_pair r rb b vb || return 1
	ip -n r link set rb mtu 1300
	ip -n b link set vb mtu 1300
	ip -n a addr add 10.0.1.1/24 dev va
	ip -n r addr add 10.0.1.2/24 dev ra
	ip -n r addr add 10.0.2.1/24 dev rb
	ip -n b addr add 10.0.2.2/24 dev vb
	ip -n a addr add fd00:1::1/64 dev va nodad
	ip -n r addr add fd00:1::2/64 dev ra nodad
	ip -n r addr add fd00:2::1/64 dev rb nodad
	ip -n b addr add fd00:2::2/64 dev vb nodad
	ip -n a route add 10.0.2.0/24 via 10.0.1.2
	ip -n b route add 10.0.1.0/24 via 10.0.2.1
	ip -n a route add fd00:2::/64 via fd00:1::2
	ip -n b route add fd00:1::/64 via fd00:2::1
	ip netns exec r sysctl -qw net.ipv4.ip_forward=1
	ip netns exec r sysctl -qw net.ipv6.conf.all.forwarding=1
	for n in a b; do
		ip -n $n link add esp0 type esptun || return 1
		ip -n $n link set esp0 up
	done
	ip -n a addr add 192.168.1.1/32 dev esp0
	ip -n a addr add fd01::1/128 dev esp0 nodad
	ip -n a route add 192.168.2.0/24 dev esp0 src 192.168.1.1
	ip -n a route add fd02::/64 dev esp0 src fd01::1
	ip -n b addr add 192.168.2.1/32 dev esp0
	ip -n b addr add fd02::1/128 dev esp0 nodad
	ip -n b route add 192.168.1.0/24 dev esp0 src 192.168.2.1
	ip -n b route add fd01::/64 dev esp0 src fd02::1
}

sas() {
	local k1 k2
	k1=$(hexkey 20)
	k2=$(hexkey 20)
	ns a "$ESPTUN" sa flush esp0 && ns b "$ESPTUN" sa flush esp0 &&
	ns a "$ESPTUN" set esp0 local "$1" remote "$2" &&
	ns b "$ESPTUN" set esp0 local "$2" remote "$1" &&
	ns a "$ESPTUN" sa add esp0 dir out spi 0x8001 $GCM "$k1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x8001 $GCM "$k1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x8002 $GCM "$k2" 128 &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x8002 $GCM "$k2" 128
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
dmesg_mark

# Outer IPv4, inner IPv4. The largest inner packet over MTU 1300:
# 1300 - 20 (IPv4) - 8 (ESP) - 8 (IV) - 16 (ICV) = 1248, aligned to 4,
# minus pad length and next header = 1246.
ktap_check "v4: SAs added" sas 10.0.1.1 10.0.2.2
pings "v4: small pings pass" a 192.168.2.1
# The first big one is lost on the way and teaches esptun the outer MTU.
ip netns exec a ping -q -c 2 -i 0.3 -W 1 -M do -s 1300 192.168.2.1 >/dev/null 2>&1
if ip -n a route get 10.0.2.2 | grep -q "mtu 1300"; then
	ktap_ok "v4: outer path MTU 1300 learned from r's ICMP"
else
	ktap_fail "v4: outer path MTU learned" "$(ip -n a route get 10.0.2.2)"
fi
out=$(ip netns exec a ping -c 2 -i 0.3 -W 1 -M do -s 1300 192.168.2.1 2>&1)
if [[ $out =~ mtu(\ =\ |=|:\ )1246 ]]; then
	ktap_ok "v4: a too big inner packet gets ICMP frag-needed with MTU 1246"
else
	ktap_fail "v4: ICMP frag-needed with MTU 1246" "$out"
fi
ktap_check "v4: 1246-byte DF packets pass" \
	ip netns exec a ping -q -c 2 -i 0.3 -W 2 -M do -s $((1246 - 28)) 192.168.2.1
m=$(dev_stat a esp0 mtu)
if [ "${m:-0}" -ge 1 ] 2>/dev/null; then
	ktap_ok "v4: mtu drops counted ($m)"
else
	ktap_fail "v4: mtu drops counted" "mtu: $m"
fi
ktap_check "v4: a packet without DF is fragmented outside and passes" \
	ip netns exec a ping -q -c 2 -i 0.3 -W 2 -M dont -s 1400 192.168.2.1

# icmp_err_check FAMILY-FLAG TO QSRC QDST SPI MTU WANT: r sends TO an ICMP
# error quoting ESP QSRC -> QDST with SPI and MTU; a's route to QDST then
# shows that MTU (WANT=learned) or none (WANT=ignored).
icmp_err_check() {
	local f=$1 r
	shift
	ip netns exec r "$INJ" icmp-err "$1" "$2" "$3" "$4" "$5"
	sleep 0.2
	r=$(ip -n a $f route get "$3")
	case $6:$r in
	learned:*"mtu $5"*) ktap_ok "$7" ;;
	ignored:*mtu*) ktap_fail "$7" "$r" ;;
	ignored:*) ktap_ok "$7" ;;
	*) ktap_fail "$7" "$r" ;;
	esac
}
icmp_err_check -4 10.0.1.1 10.0.1.1 10.0.2.9 0xdead0001 1200 ignored \
	"v4: ICMP about an SPI nobody here holds changes no route"
icmp_err_check -4 10.0.1.1 10.0.1.1 10.0.2.2 0x8001 1280 learned \
	"v4: the same ICMP about esptun's SA lowers the path MTU to 1280"

# Outer IPv6, inner IPv6. Over 1300 the tunnel could not carry the IPv6
# minimum of 1280 and fragments the outer packet instead (RFC 8200 wants
# 1280 to pass), so r's link goes to 1360 for this part:
# 1360 - 40 - 8 - 8 - 16 = 1288 -> 1286.
ip -n r link set rb mtu 1360
ip -n b link set vb mtu 1360
ktap_check "v6: SAs added" sas fd00:1::1 fd00:2::2
pings "v6: small pings pass" a fd02::1
ip netns exec a ping -q -c 2 -i 0.3 -W 1 -M do -s 1300 fd02::1 >/dev/null 2>&1
if ip -n a -6 route get fd00:2::2 | grep -q "mtu 1360"; then
	ktap_ok "v6: outer path MTU 1360 learned from r's packet too big"
else
	ktap_fail "v6: outer path MTU learned" "$(ip -n a -6 route get fd00:2::2)"
fi
out=$(ip netns exec a ping -c 2 -i 0.3 -W 1 -M do -s 1300 fd02::1 2>&1)
if [[ $out =~ mtu(\ =\ |=|:\ )1286 ]]; then
	ktap_ok "v6: a too big inner packet gets packet-too-big with MTU 1286"
else
	ktap_fail "v6: packet-too-big with MTU 1286" "$out"
fi
ktap_check "v6: 1286-byte packets pass" \
	ip netns exec a ping -q -c 2 -i 0.3 -W 2 -M do -s $((1286 - 48)) fd02::1
icmp_err_check -6 fd00:1::1 fd00:1::1 fd00:2::9 0xdead0002 1300 ignored \
	"v6: packet too big about an SPI nobody here holds changes no route"
icmp_err_check -6 fd00:1::1 fd00:1::1 fd00:2::2 0x8001 1300 learned \
	"v6: the same about esptun's SA lowers the path MTU to 1300"
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
