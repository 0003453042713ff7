#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# esptun devices: the link kind, per-namespace life, endpoints through the
# CLI, no access without CAP_NET_ADMIN over the namespace (root of a user
# namespace configures the network namespace it owns, no other), and
# unloading with everything up.
#
#   netns dev-a: esp0 (IPv4 endpoints), esp1 (deleted with SAs on it)
#   netns dev-b: esp0 (IPv6 endpoints, UDP), deleted with its namespace
#   init netns:  esp9, up with SAs while the module is unloaded
source "$(dirname "$0")/lib.sh"

A=dev-a
B=dev-b
T=$(mktemp -d)
KEY=0x0102030405060708090a0b0c0d0e0f1011121314
# The default MTU: 1500 minus the largest ESP overhead (outer IPv6, UDP,
# ESP header, 16-byte IV, up to 17 bytes padding and trailer, 32-byte ICV).
MTU=$((1500 - (40 + 8 + 8 + 16 + 17 + 32)))

# json_check NAME FILE PYTHON-EXPR: ok when EXPR, with d = the JSON in
# FILE, is true.
json_check() {
	local name=$1 file=$2 expr=$3 out
	if out=$("${PY3[@]}" -c "
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if ($expr) else 1)
" "$file" 2>&1); then
		ktap_ok "$name"
	else
		ktap_fail "$name" "$(printf 'false: %s\n%s\n%s' "$expr" "$out" "$(cat "$file")")"
	fi
}

sa_add() {	# NS DEV DIR SPI
	ns "$1" "$ESPTUN" sa add "$2" dir "$3" spi "$4" \
		aead 'rfc4106(gcm(aes))' "$KEY" 128
}

# unpriv NS CMD...: CMD in NS as nobody, without any capability.
unpriv() {
	local n=$1
	shift
	ip netns exec "$n" setpriv --reuid 65534 --regid 65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$@"
}

ktap_plan 30
dmesg_mark

ktap_check "module loads" module_load
netns_new $A
netns_new $B

# --- the link kind ---------------------------------------------------------

ktap_check "same name in two namespaces" \
	sh -c "ip -n $A link add esp0 type esptun && ip -n $B link add esp0 type esptun"
ns $A ip link set esp0 up
ns $B ip link set esp0 up

ns $A ip -d link show esp0 >"$T/link"
if grep -q "<POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP>" "$T/link" &&
	grep -q "mtu $MTU " "$T/link" && grep -q "link/none" "$T/link" &&
	grep -qw esptun "$T/link"; then
	ktap_ok "ip -d link: kind esptun, POINTOPOINT,MULTICAST,NOARP, mtu $MTU, carrier"
else
	ktap_fail "ip -d link: kind esptun, POINTOPOINT,MULTICAST,NOARP, mtu $MTU, carrier" \
		"$(cat "$T/link")"
fi
ns $A ip -d -j link show esp0 >"$T/link.json"
json_check "link details: kind, mtu range, no L2 header" "$T/link.json" \
	"d[0]['linkinfo']['info_kind'] == 'esptun' and d[0]['min_mtu'] == 68 and \
	 d[0]['max_mtu'] == 65535 - (1500 - $MTU) and d[0]['link_type'] == 'none'"
ktap_expect_fail "MTU below 68 refused" "" ns $A ip link set esp0 mtu 67
ktap_check "MTU 9000 accepted" ns $A ip link set esp0 mtu 9000
ns $A ip link set esp0 mtu $MTU
ktap_expect_fail "no move to another namespace (NETNS_LOCAL)" "" \
	ns $A ip link set esp0 netns $B

# --- endpoints through the CLI ---------------------------------------------

ktap_check "set IPv4 endpoints" \
	ns $A "$ESPTUN" set esp0 local 192.0.2.1 remote 192.0.2.2 encap none
ktap_check "set IPv6 endpoints, UDP" \
	ns $B "$ESPTUN" set esp0 local 2001:db8::1 remote 2001:db8::2 \
	encap udp sport 4501 dport 4502
ns $A "$ESPTUN" -j show esp0 >"$T/a.json"
json_check "IPv4 endpoints read back" "$T/a.json" \
	"len(d) == 1 and d[0]['ifname'] == 'esp0' and \
	 d[0]['local'] == '192.0.2.1' and d[0]['remote'] == '192.0.2.2' and \
	 d[0]['encap'] == 'none' and d[0]['sa_count'] == 0"
ns $B "$ESPTUN" -j show >"$T/b.json"
json_check "IPv6 endpoints and ports read back, other namespace untouched" \
	"$T/b.json" \
	"len(d) == 1 and d[0]['local'] == '2001:db8::1' and \
	 d[0]['remote'] == '2001:db8::2' and d[0]['encap'] == 'udp' and \
	 d[0]['sport'] == 4501 and d[0]['dport'] == 4502"
ns $A "$ESPTUN" show esp0 >"$T/a.txt"
if grep -q "local: 192.0.2.1" "$T/a.txt" && grep -q "remote: 192.0.2.2" "$T/a.txt"; then
	ktap_ok "show (text) in the first namespace"
else
	ktap_fail "show (text) in the first namespace" "$(cat "$T/a.txt")"
fi
ktap_expect_fail "mixed families refused with the module's message" \
	"local and remote must be of one family" \
	ns $A "$ESPTUN" set esp0 local 2001:db8::1
ktap_expect_fail "non-esptun device refused" "not an esptun device" \
	ns $A "$ESPTUN" set lo local 192.0.2.1 remote 192.0.2.2

# --- no CAP_NET_ADMIN, no access --------------------------------------------

sa_add $A esp0 out 0x1000 >/dev/null
ns $A "$ESPTUN" -j show >"$T/before.json"
ktap_expect_fail "unprivileged: set refused" "Operation not permitted" \
	unpriv $A "$ESPTUN" set esp0 local 192.0.2.9 remote 192.0.2.8
ktap_expect_fail "unprivileged: show refused" "Operation not permitted" \
	unpriv $A "$ESPTUN" show
ktap_expect_fail "unprivileged: sa flush refused" "Operation not permitted" \
	unpriv $A "$ESPTUN" sa flush
ktap_expect_fail "user-namespace root: set refused" "Operation not permitted" \
	ip netns exec $A unshare -U -r "$ESPTUN" set esp0 local 192.0.2.9 \
	remote 192.0.2.8
ktap_expect_fail "user-namespace root: show refused" "Operation not permitted" \
	ip netns exec $A unshare -U -r "$ESPTUN" show
ns $A "$ESPTUN" -j show >"$T/after.json"
# The device's drop counters move with the kernel's own IPv6 chatter
# (router and listener reports without an SA): compare the rest.
json_check "nothing changed by the refused requests" "$T/after.json" \
	"[{k: v for k, v in x.items() if k != 'stats'} for x in d] == \
	 [{k: v for k, v in x.items() if k != 'stats'} for x in json.load(open('$T/before.json'))]"

# --- a user namespace's own network namespace --------------------------------

# CAP_NET_ADMIN over the namespace is enough: root of a new user namespace
# creates and configures a device in the network namespace it owns. Its
# device is named esp0 too; A's esp0 must not change.
unshare -Urn sh -c 'ip link add esp0 type esptun &&
	"$1" set esp0 local 192.0.2.21 remote 192.0.2.22 mss-clamp auto &&
	"$1" sa add esp0 dir out spi 0x5000 aead "rfc4106(gcm(aes))" "$2" 128 &&
	"$1" -j show' sh "$ESPTUN" "$KEY" >"$T/userns.json" 2>&1
json_check "user namespace: configures the device of its own namespace" \
	"$T/userns.json" \
	"len(d) == 1 and d[0]['local'] == '192.0.2.21' and \
	 d[0]['mss_clamp'] == 'auto' and d[0]['sa_count'] == 1"
ns $A "$ESPTUN" -j show >"$T/after-userns.json"
json_check "user namespace: another namespace's esp0 untouched" \
	"$T/after-userns.json" \
	"[{k: v for k, v in x.items() if k != 'stats'} for x in d] == \
	 [{k: v for k, v in x.items() if k != 'stats'} for x in json.load(open('$T/before.json'))]"

# --- deletion ---------------------------------------------------------------

ns $A ip link add esp1 type esptun
ns $A ip link set esp1 up
ns $A "$ESPTUN" set esp1 local 192.0.2.11 remote 192.0.2.12
sa_add $A esp1 in 0x2000 && sa_add $A esp1 out 0x2001
ktap_check "ip link del with SAs" ns $A ip link del esp1
ns $A "$ESPTUN" -j show >"$T/a2.json"
json_check "its SAs are gone, the other device keeps its own" "$T/a2.json" \
	"len(d) == 1 and d[0]['ifname'] == 'esp0' and d[0]['sa_count'] == 1"
# The inbound SPI of the deleted device is free again.
ns $A "$ESPTUN" set esp0 local 192.0.2.11 remote 192.0.2.12
ktap_check "its inbound SPI is free again" sa_add $A esp0 in 0x2000

sa_add $B esp0 in 0x3000 >/dev/null
sa_add $B esp0 out 0x3001 >/dev/null
ip netns del $B
# Namespace teardown runs asynchronously, in a work item.
sleep 1
if ip link show esp0 >/dev/null 2>&1; then
	ktap_fail "deleting a namespace deletes its devices" "esp0 moved to init_net"
else
	ktap_ok "deleting a namespace deletes its devices"
fi

# --- unloading with devices up and SAs present -------------------------------

ip link add esp9 type esptun
ip link set esp9 up
"$ESPTUN" set esp9 local 198.51.100.1 remote 198.51.100.2
"$ESPTUN" sa add esp9 dir in spi 0x4000 aead 'rfc4106(gcm(aes))' "$KEY" 128
"$ESPTUN" sa add esp9 dir out spi 0x4001 aead 'rfc4106(gcm(aes))' "$KEY" 128
"$ESPTUN" sa alloc-spi esp9 >/dev/null
ktap_check "rmmod with devices up and SAs present" module_unload
if ip link show esp9 >/dev/null 2>&1 || ns $A ip link show esp0 >/dev/null 2>&1; then
	ktap_fail "rmmod deleted every device" "$(ip -all netns exec ip link show type esptun)"
else
	ktap_ok "rmmod deleted every device"
fi
ktap_check "module loads again" module_load
ktap_check "kernel log clean" dmesg_clean_since_mark
module_unload

ktap_finished
