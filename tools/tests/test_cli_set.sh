#!/usr/bin/env bash
# Host test of "esptun set" argument parsing for the link settings
# (carrier, mss-clamp, mtu): every bad word is a usage error (exit 2, the
# exact message, a usage line, nothing on stdout) found before the device
# is even looked up, so nothing reaches the kernel; every good line gets
# as far as the device lookup (exit 1, no such device on this host).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
ESPTUN=$TOP/tools/esptun
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DEV=esptest-nosuch0

source "$(dirname "$0")/tap.sh"

echo "TAP version 13"
echo "1..21"

# usage NAME "first stderr line" ARGS...
usage() {
	local name=$1 want=$2 rc first
	shift 2
	"$ESPTUN" set "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	first=$(head -n1 "$tmp/err")
	if [ "$rc" = 2 ] && [ "$first" = "$want" ] && [ ! -s "$tmp/out" ] &&
		grep -q '^Usage: esptun set DEV' "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, want 2" "got:  $first" "want: $want"
	fi
}

# parses NAME ARGS...: accepted, up to the device lookup.
parses() {
	local name=$1 rc
	shift
	"$ESPTUN" set "$DEV" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "esptun: set: device \"$DEV\" not found" ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, want 1" "$(cat "$tmp/err")"
	fi
}

if [ ! -x "$ESPTUN" ]; then
	for i in $(seq 21); do skip "esptun set $i" "tools/esptun not built"; done
	exit 0
fi

usage "carrier without a value" 'esptun: set: missing value after "carrier"' \
	"$DEV" carrier
usage "carrier 2" 'esptun: set: bad carrier "2": expected on or off' \
	"$DEV" carrier 2
usage "carrier yes" 'esptun: set: bad carrier "yes": expected on or off' \
	"$DEV" carrier yes
usage "mss-clamp without a value" 'esptun: set: missing value after "mss-clamp"' \
	"$DEV" mss-clamp
usage "mss-clamp 100" 'esptun: set: bad mss-clamp "100": expected auto, off or 536 to 65535' \
	"$DEV" mss-clamp 100
usage "mss-clamp 535" 'esptun: set: bad mss-clamp "535": expected auto, off or 536 to 65535' \
	"$DEV" mss-clamp 535
usage "mss-clamp 1 (auto is a word)" 'esptun: set: bad mss-clamp "1": expected auto, off or 536 to 65535' \
	"$DEV" mss-clamp 1
usage "mss-clamp 65536" 'esptun: set: bad mss-clamp "65536": out of range' \
	"$DEV" mss-clamp 65536
usage "mss-clamp -1" 'esptun: set: bad mss-clamp "-1": not a number' \
	"$DEV" mss-clamp -1
usage "mss-clamp max" 'esptun: set: bad mss-clamp "max": not a number' \
	"$DEV" mss-clamp max
usage "mtu 1400" 'esptun: set: bad mtu "1400": expected auto or fixed (set a number with "ip link set DEV mtu N")' \
	"$DEV" mtu 1400
usage "mtu manual" 'esptun: set: bad mtu "manual": expected auto or fixed' \
	"$DEV" mtu manual
usage "a bad word after good ones: nothing sent" \
	'esptun: set: bad mss-clamp "100": expected auto, off or 536 to 65535' \
	"$DEV" carrier off mtu auto mss-clamp 100
usage "carrier as a device name" 'esptun: set: nothing to set' carrier

parses "carrier off" carrier off
parses "carrier on, mtu fixed" carrier on mtu fixed
parses "mss-clamp auto, mtu auto" mss-clamp auto mtu auto
parses "mss-clamp off" mss-clamp off
parses "mss-clamp 536 and 65535 (the bounds)" mss-clamp 536 mss-clamp 65535
parses "with endpoints" local 192.0.2.1 remote 192.0.2.2 carrier off mss-clamp 1360

if "$ESPTUN" help set | grep -q 'carrier on|off.*mss-clamp auto|off|MSS.*mtu auto|fixed'; then
	ok "help set lists the link settings"
else
	not_ok "help set lists the link settings" "$("$ESPTUN" help set)"
fi
exit "$failed"
