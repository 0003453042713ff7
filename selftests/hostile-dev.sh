#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Device creation that fails inside register_netdevice(), while device
# dumps run: a device asked for with the index of an existing one is
# refused with EBUSY only after its ndo_init ran, and the core frees such
# a device at once, without an RCU grace period. (The index must be free
# in the namespace the request comes from, or rtnetlink refuses earlier:
# the request names another namespace.) No dump may ever list the device
# that never came to be, every dump lists the real one, and the kernel
# log stays clean.
#
#   netns hostile:     esp0 (real, index 4242), dumped back to back by
#                      devdump_helper
#   netns hostile-src: "ip link add bogus index 4242 netns hostile type
#                      esptun" in a loop
source "$(dirname "$0")/lib.sh"

N=hostile
SRC=hostile-src
INDEX=4242
ADDS=3000
T=$TEST_OUT

ktap_plan 7
dmesg_mark

ktap_check "module loads" module_load
netns_new $N
netns_new $SRC
ns $N ip link add esp0 index $INDEX type esptun
ns $N ip link set esp0 up

# Batches of 500: ip opens the namespace anew for every line.
for ((i = 0; i < 500; i++)); do
	echo "link add bogus index $INDEX netns $N type esptun"
done >"$T/adds"
rm -f "$T/stop"
bg_start ip netns exec $N "$TOP/build/selftests/devdump_helper" "$T/stop" \
	>"$T/dumps" 2>"$T/dumps.err"
dumper=$BG_PID
for ((i = 0; i < ADDS; i += 500)); do
	ns $SRC ip -force -batch "$T/adds"
done >"$T/adds.out" 2>&1
touch "$T/stop"
wait "$dumper"
rc=$?

busy=$(grep -c "Device or resource busy" "$T/adds.out")
if [ "$busy" -eq "$ADDS" ]; then
	ktap_ok "each of $ADDS adds at index $INDEX refused with EBUSY"
else
	ktap_fail "each of $ADDS adds at index $INDEX refused with EBUSY" \
		"$busy so refused; $(sort "$T/adds.out" | uniq -c | head)"
fi

dumps=$(awk '$1 == "dumps" { print $2 }' "$T/dumps")
ktap_diag "$dumps dumps during the adds"
if [ "$rc" -eq 0 ] && [ "${dumps:-0}" -gt 0 ]; then
	ktap_ok "dumps during the failing adds succeed"
else
	ktap_fail "dumps during the failing adds succeed" \
		"exit $rc; $(cat "$T/dumps" "$T/dumps.err")"
fi
if ! grep -q "^dev bogus " "$T/dumps"; then
	ktap_ok "no dump lists the device that failed to register"
else
	ktap_fail "no dump lists the device that failed to register" \
		"$(cat "$T/dumps")"
fi
if [ "$(cat "$T/dumps")" = "$(printf 'dumps %s\ndev esp0 %s %s' \
	"$dumps" "$INDEX" "$dumps")" ]; then
	ktap_ok "every dump lists esp0, and nothing else"
else
	ktap_fail "every dump lists esp0, and nothing else" "$(cat "$T/dumps")"
fi

ns $N "$ESPTUN" -j show >"$T/show.json"
ns $N ip -o link show type esptun >"$T/links"
if "${PY3[@]}" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if [x["ifname"] for x in d] == ["esp0"] else 1)' "$T/show.json" &&
	[ "$(awk '{ print $2 }' "$T/links")" = "esp0:" ]; then
	ktap_ok "afterwards: esptun show and ip link list esp0 only"
else
	ktap_fail "afterwards: esptun show and ip link list esp0 only" \
		"$(cat "$T/show.json" "$T/links")"
fi

ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
