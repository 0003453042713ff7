#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Loading as the README shows it: plain insmod of the built module on a
# kernel where nothing else was loaded by hand, then ESP in UDP (RFC 3948)
# both ways over IPv4 and IPv6 outer addresses, then rmmod. Runs right
# after smoke.sh, before any other test has loaded a module.
#
#   a: esp0 192.168.1.1 ---- va 10.0.0.1, fd00::1
#                                |
#   b: esp0 192.168.2.1 ---- vb 10.0.0.2, fd00::2
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"

ktap_plan 21

module_unload
# Run alone or after other tests, the UDP tunnel modules may be loaded
# already; they must not be for the check that insmod needs nothing.
preloaded=
for m in ip6_udp_tunnel udp_tunnel; do
	if [ -d /sys/module/$m ] && ! modprobe -r $m 2>/dev/null; then
		preloaded+=" $m"
	fi
done
ktap_check "insmod kmod/esptun.ko" insmod "$KMOD"
if [ -n "$preloaded" ]; then
	ktap_skip "no module loaded besides esptun" "in use by others:$preloaded"
else
	ktap_check "no module loaded besides esptun" \
		test ! -d /sys/module/udp_tunnel -a ! -d /sys/module/ip6_udp_tunnel
fi
dmesg_mark

setup() {
	two_sites outer6 && encap_listen_both
}

# sas AB BA: an AES-GCM SA pair each way, ESP in UDP 4500 <-> 4500.
sas() {
	local k1 k2
	k1=$(hexkey 20)
	k2=$(hexkey 20)
	ns a "$ESPTUN" sa flush esp0 && ns b "$ESPTUN" sa flush esp0 &&
	ns b "$ESPTUN" sa add esp0 dir in spi "$1" aead 'rfc4106(gcm(aes))' "$k1" 128 \
		encap espinudp 4500 4500 &&
	ns a "$ESPTUN" sa add esp0 dir in spi "$2" aead 'rfc4106(gcm(aes))' "$k2" 128 \
		encap espinudp 4500 4500 &&
	ns a "$ESPTUN" sa add esp0 dir out spi "$1" aead 'rfc4106(gcm(aes))' "$k1" 128 \
		encap espinudp 4500 4500 &&
	ns b "$ESPTUN" sa add esp0 dir out spi "$2" aead 'rfc4106(gcm(aes))' "$k2" 128 \
		encap espinudp 4500 4500
}

# outer LA LB CKSUM: ESP in UDP between LA and LB both ways, checked on
# the wire at b: every datagram from a carries checksum CKSUM ("zero" or
# "valid", as tcpdump -vv judges it).
outer() {
	local la=$1 lb=$2 want=$3 f=$TEST_OUT/udp-$1.pcap out n good
	ns a "$ESPTUN" set esp0 local "$la" remote "$lb" encap udp sport 4500 dport 4500 &&
		ns b "$ESPTUN" set esp0 local "$lb" remote "$la" encap udp sport 4500 dport 4500 &&
		sas 0x5001 0x5002
	ktap_check "outer $la: SAs" test $? = 0
	tcpdump_start b vb "$f" "udp port 4500 and src host $la"
	pings "outer $la: ping a -> b through ESP in UDP" a 192.168.2.1
	pings "outer $la: ping b -> a through ESP in UDP" b 192.168.1.1
	tcpdump_stop "$f"
	# One line per datagram: "A.4500 > B.4500: [no cksum] UDPENCAP, ESP(...".
	out=$(tcpdump -r "$f" -nn -vv 2>/dev/null | grep '\.4500: .*ESP(spi=')
	n=$(grep -c . <<<"$out")
	case $want in
	zero) good=$(grep -cF '[no cksum]' <<<"$out") ;;
	valid) good=$(grep -cF '[udp sum ok]' <<<"$out") ;;
	esac
	if [ "$n" -ge 6 ] && [ "$good" = "$n" ]; then
		ktap_ok "outer $la: $n datagrams from a, UDP checksum $want"
	else
		ktap_fail "outer $la: UDP checksum $want" \
			"$n datagrams, $good as wanted: $(head -n 4 <<<"$out")"
	fi
	counters_match "outer $la: a out SA = b in SA" 0x5001 a b 6
	counters_match "outer $la: b out SA = a in SA" 0x5002 b a 6
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
ktap_ok "setup"

outer 10.0.0.1 10.0.0.2 zero
outer fd00::1 fd00::2 valid

for n in a b; do
	ip -n $n link del esp0
done
ktap_check "rmmod esptun" rmmod esptun
ktap_check "module gone" test ! -d /sys/module/esptun

# Installed as make install lays it out, modprobe loads it by name.
root=$TEST_OUT/root
kver=$(uname -r)
mkdir -p "$root/lib/modules/$kver/extra/kmod"
cp "$KMOD" "$root/lib/modules/$kver/extra/kmod/"
depmod -b "$root" "$kver" 2>"$TEST_OUT/depmod.log"
ktap_check "modprobe esptun after install" modprobe -d "$root" esptun
if [ -n "$preloaded" ]; then
	ktap_skip "modprobe loaded nothing else" "in use by others:$preloaded"
else
	ktap_check "modprobe loaded nothing else" \
		test -d /sys/module/esptun -a ! -d /sys/module/udp_tunnel -a ! -d /sys/module/ip6_udp_tunnel
fi
ktap_check "modprobe -r esptun" modprobe -d "$root" -r esptun
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
