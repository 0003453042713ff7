#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# esptun next to the kernel's own IPsec on one host:
#
#   netns x1 10.1.0.1 ==== 10.1.0.2 netns x2     plain xfrm transport SAs
#   netns x1 esp0 192.168.1.1 ----------- esp0 192.168.2.1 netns e2
#       (x1 also holds an esptun device; its ESP goes over the same veth)
#
# xfrm's SAs keep working with esptun loaded and esptun SAs in the same
# namespace, esptun never reports xfrm's SPIs as unknown, and rmmod while
# traffic flows through esptun is clean; xfrm still works afterwards.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"
GCM="aead rfc4106(gcm(aes))"

ktap_plan 10

setup() {
	modprobe esp4 || return 1
	netns_new x1 && netns_new x2 || return 1
	veth_pair x1 v1 x2 v2 || return 1
	ip -n x1 addr add 10.1.0.1/24 dev v1
	ip -n x2 addr add 10.1.0.2/24 dev v2
	local k1 k2 n src dst spi
	k1=$(hexkey 20)
	k2=$(hexkey 20)
	for n in x1 x2; do
		ip -n $n xfrm state add src 10.1.0.1 dst 10.1.0.2 proto esp spi 0x9001 \
			mode transport aead 'rfc4106(gcm(aes))' "$k1" 128 || return 1
		ip -n $n xfrm state add src 10.1.0.2 dst 10.1.0.1 proto esp spi 0x9002 \
			mode transport aead 'rfc4106(gcm(aes))' "$k2" 128 || return 1
	done
	for n in x1 x2; do
		if [ $n = x1 ]; then src=10.1.0.1 dst=10.1.0.2; else src=10.1.0.2 dst=10.1.0.1; fi
		# Only ICMP is protected: esptun's own ESP over this link is not.
		ip -n $n xfrm policy add dir out src $src dst $dst proto icmp \
			tmpl proto esp mode transport || return 1
		ip -n $n xfrm policy add dir in src $dst dst $src proto icmp \
			tmpl proto esp mode transport || return 1
	done
}

setup_esptun() {
	module_load || return 1
	# e2 is x2 for esptun: same link, other SPIs.
	ip -n x1 link add esp0 type esptun || return 1
	ip -n x2 link add esp0 type esptun || return 1
	ip -n x1 addr add 192.168.1.1/32 dev esp0
	ip -n x2 addr add 192.168.2.1/32 dev esp0
	ip -n x1 link set esp0 up
	ip -n x2 link set esp0 up
	ip -n x1 route add 192.168.2.0/24 dev esp0 src 192.168.1.1
	ip -n x2 route add 192.168.1.0/24 dev esp0 src 192.168.2.1
	local k1 k2
	k1=$(hexkey 20)
	k2=$(hexkey 20)
	ns x1 "$ESPTUN" set esp0 local 10.1.0.1 remote 10.1.0.2 &&
	ns x2 "$ESPTUN" set esp0 local 10.1.0.2 remote 10.1.0.1 &&
	# Inbound first, as IKE does: nothing may arrive for an SPI not yet
	# there (the tunnel's IPv6 router solicitations go out at once).
	ns x2 "$ESPTUN" sa add esp0 dir in spi 0xa001 $GCM "$k1" 128 &&
	ns x1 "$ESPTUN" sa add esp0 dir in spi 0xa002 $GCM "$k2" 128 &&
	ns x1 "$ESPTUN" sa add esp0 dir out spi 0xa001 $GCM "$k1" 128 &&
	ns x2 "$ESPTUN" sa add esp0 dir out spi 0xa002 $GCM "$k2" 128
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
dmesg_mark
ktap_check "xfrm alone: ping over xfrm SAs" ip netns exec x1 ping -q -c 3 -i 0.2 -W 2 10.1.0.2

if ! setup_esptun >"$TEST_OUT/setup-esptun.log" 2>&1; then
	ktap_fail "esptun loaded, SAs added" "$(cat "$TEST_OUT/setup-esptun.log")"
else
	ktap_ok "esptun loaded, SAs added"
fi
x0=$(xfrm_cur x2 0x9001)
ktap_check "with esptun: ping over xfrm SAs" ip netns exec x1 ping -q -c 3 -i 0.2 -W 2 10.1.0.2
pings "with esptun: ping over esptun" x1 192.168.2.1
x1c=$(xfrm_cur x2 0x9001)
if [ "${x1c#* }" -eq $((${x0#* } + 3)) ] 2>/dev/null; then
	ktap_ok "xfrm decrypted its 3 packets (${x0#* } -> ${x1c#* })"
else
	ktap_fail "xfrm decrypted its 3 packets" "xfrm packets ${x0#* } -> ${x1c#* }"
fi
u=$(dev_stat x2 esp0 unknown_spi)
if [ "$u" = 0 ]; then
	ktap_ok "esptun did not call xfrm's SPIs unknown"
else
	ktap_fail "esptun did not call xfrm's SPIs unknown" "unknown_spi: $u"
fi

# rmmod in the middle of a flood through esptun and xfrm.
ip netns exec x1 ping -q -f -w 6 192.168.2.1 >"$TEST_OUT/flood.esptun" 2>&1 &
f1=$!
ip netns exec x1 ping -q -i 0.05 -w 6 10.1.0.2 >"$TEST_OUT/flood.xfrm" 2>&1 &
f2=$!
sleep 2
ktap_check "rmmod during traffic, devices up" rmmod esptun
wait $f1 $f2
ktap_check "xfrm after rmmod: ping over xfrm SAs" ip netns exec x1 ping -q -c 3 -i 0.2 -W 2 10.1.0.2
ktap_check "module loads again" module_load
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
