#!/usr/bin/env bash
# Host test of "esptun ike profile": the list of vendor profiles, one
# profile's lines exactly as esptund.conf takes them, both without any
# esptund running (the control socket named does not exist), and an
# unknown name or an extra word as a usage error (exit 2, the message, a
# usage line, nothing on stdout).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
ESPTUN=$TOP/tools/esptun
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ESPTUN_CONTROL=$tmp/no-such.sock

source "$(dirname "$0")/tap.sh"

N=6
echo "TAP version 13"
echo "1..$N"

if [ ! -x "$ESPTUN" ]; then
	for i in $(seq $N); do skip "esptun ike profile $i" "tools/esptun not built"; done
	exit 0
fi

# same NAME WANT_FILE ARGS...: exit 0, stdout exactly WANT_FILE, no stderr.
same() {
	local name=$1 want=$2 rc
	shift 2
	"$ESPTUN" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/out" "$want"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, want 0" "stderr: $(cat "$tmp/err")" \
			"$(diff "$want" "$tmp/out")"
	fi
}

# usage NAME "first stderr line" ARGS...
usage() {
	local name=$1 want=$2 rc first
	shift 2
	"$ESPTUN" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	first=$(head -n1 "$tmp/err")
	if [ "$rc" = 2 ] && [ "$first" = "$want" ] && [ ! -s "$tmp/out" ] &&
		grep -q '^Usage: esptun ike .*profile \[NAME\]' "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, want 2" "got:  $first" "want: $want"
	fi
}

cat >"$tmp/list" <<'END'
cisco-ios-vti   Cisco IOS/IOS XE route-based VTI (tunnel mode ipsec ipv4)
cisco-asa       Cisco ASA policy-based crypto map (set local-ts, remote-ts)
fortigate       FortiGate phase1-interface with ike-version 1
pan-os          Palo Alto PAN-OS IKE gateway version ikev1, tunnel interface
strongswan      strongSwan charon, IKEv1 with its default proposals
libreswan       libreswan pluto, ikev2=no with its default proposals
END
cat >"$tmp/ios" <<'END'
ike = aes256-sha256-modp2048
esp = aes256-sha256
ike-lifetime = 24h
lifetime = 1h
life-kbytes = 4608000
dpd = yes
dpd-delay = 10s
dpd-timeout = 30s
nat-t = auto
fragmentation = yes
local-ts = 0.0.0.0/0
remote-ts = 0.0.0.0/0
END

same "the six profiles, one line each" "$tmp/list" ike profile
same "cisco-ios-vti's lines as in esptund.conf" "$tmp/ios" \
	ike profile cisco-ios-vti
same "no daemon needed, also with -s" "$tmp/ios" \
	ike -s "$tmp/none.sock" profile cisco-ios-vti
usage "unknown profile" \
	"esptun: ike: unknown profile 'cisco' (cisco-ios-vti, cisco-asa, fortigate, pan-os, strongswan or libreswan)" \
	ike profile cisco
usage "a word after the name" "esptun: ike: unexpected 'extra'" \
	ike profile pan-os extra
if "$ESPTUN" help ike | grep -q 'profile \[NAME\]'; then
	ok "help ike names profile"
else
	not_ok "help ike names profile" "$("$ESPTUN" help ike)"
fi
exit "$failed"
