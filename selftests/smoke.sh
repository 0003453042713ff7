#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the test environment: what every other selftest takes for
# granted about the guest (namespaces, veth, module loading, xfrm, the
# output share, the C harness) is checked here, so a broken guest shows up
# as this test failing rather than as odd failures elsewhere.
#
#   smoke-a (10.99.0.1/24) veth-a ==== veth-b (10.99.0.2/24) smoke-b
source "$(dirname "$0")/lib.sh"

NS_A=smoke-a
NS_B=smoke-b

ktap_plan 11
dmesg_mark

ktap_check "modules of the running kernel" \
	test "$(modinfo -F vermagic veth | cut -d' ' -f1)" = "$(uname -r)"

netns_new $NS_A
netns_new $NS_B
if veth_pair $NS_A veth-a $NS_B veth-b &&
	ip -n $NS_A addr add 10.99.0.1/24 dev veth-a &&
	ip -n $NS_B addr add 10.99.0.2/24 dev veth-b; then
	ktap_ok "netns and veth"
else
	ktap_fail "netns and veth"
fi

out=$(ns $NS_A ping -c 5 -i 0.2 -W 2 10.99.0.2 2>&1)
if grep -q '^5 packets transmitted, 5 received, 0% packet loss' <<<"$out"; then
	ktap_ok "ping across the veth"
else
	ktap_fail "ping across the veth" "$out"
fi

# The kernel loads rtnl-link-dummy itself: needs /sbin/modprobe of the
# root the guest switched to.
if [ -d /sys/module/dummy ]; then
	ktap_skip "module autoloading" "dummy is loaded already"
else
	ktap_check "module autoloading" \
		sh -c "ip -n $NS_A link add d0 type dummy && test -d /sys/module/dummy"
fi

ktap_check "modprobe esp4" sh -c 'modprobe esp4 && test -d /sys/module/esp4'

key=0x$(printf '%040d' 0)
if ns $NS_A ip xfrm state add src 10.99.0.1 dst 10.99.0.2 proto esp \
	spi 0x1234 mode tunnel aead 'rfc4106(gcm(aes))' "$key" 128; then
	out=$(ns $NS_A ip xfrm state)
	if grep -q 'proto esp spi 0x00001234' <<<"$out" &&
		grep -q 'aead rfc4106(gcm(aes))' <<<"$out"; then
		ktap_ok "ip xfrm state"
	else
		ktap_fail "ip xfrm state" "$out"
	fi
else
	ktap_fail "ip xfrm state" "ip xfrm state add failed"
fi

if [ -n "${ESPTUN_OUT:-}" ]; then
	f=$TEST_OUT/share-check
	rand_file "$f.in" 64
	if cp "$f.in" "$f" && cmp -s "$f.in" "$f" &&
		grep -q " $ESPTUN_OUT 9p " /proc/mounts; then
		ktap_ok "output share writable"
	else
		ktap_fail "output share writable" "$(grep 9p /proc/mounts)"
	fi
	rm -f "$f" "$f.in"
else
	ktap_skip "output share writable" "ESPTUN_OUT is not set"
fi

ktap_check "/etc writable" sh -c 'echo smoke >/etc/esptun-smoke && rm /etc/esptun-smoke'
ktap_check "/tmp is private tmpfs" sh -c 'grep -q "^tmpfs /tmp tmpfs" /proc/mounts'

harness=$TOP/build/selftests/harness_smoke
out=$("$harness" 2>&1)
if [ $? -eq 0 ] && grep -q '^ok 1 global.harness_works' <<<"$out"; then
	ktap_ok "kselftest harness"
else
	ktap_fail "kselftest harness" "$out"
fi

ktap_check "kernel log clean" dmesg_clean_since_mark

ktap_finished
