#!/usr/bin/env bash
# Host test of the installed documentation: the man pages format without
# warnings, the systemd unit verifies once make install has substituted
# its paths, and every key esptund.conf accepts (agent/config.c's keys[]
# table) has its entry in esptund.conf(5) and appears in README.md.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

PAGES=(tools/esptun.8 agent/esptund.8 agent/esptund.conf.5)

source "$(dirname "$0")/tap.sh"

# The keys of esptund.conf, as the parser's table names them.
mapfile -t KEYS < <(awk '/^static const struct key keys\[/ { in_t = 1; next }
	in_t && /^};/ { exit }
	in_t' "$TOP/agent/config.c" | grep -o '{ "[^"]*"' | cut -d'"' -f2)

echo "TAP version 13"
echo "1..$((${#PAGES[@]} + 5))"

# Formatted as man(1) shows them, with groff's warnings on.
for p in "${PAGES[@]}"; do
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$TOP/$p" 2>&1 >/dev/null)
	if [ $? = 0 ] && [ -z "$w" ]; then
		ok "$p formats without warnings"
	else
		not_ok "$p formats without warnings" "$w"
	fi
done

# The unit as make install writes it: @SBINDIR@ names a directory holding
# the two programs (verify checks they are executable), and MANPATH holds
# the pages its Documentation= names.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$tmp/sbin" "$tmp/man/man5" "$tmp/man/man8"
	printf '#!/bin/sh\n' >"$tmp/sbin/esptund"
	cp "$tmp/sbin/esptund" "$tmp/sbin/esptun"
	chmod 0755 "$tmp/sbin/esptund" "$tmp/sbin/esptun"
	cp "$TOP/tools/esptun.8" "$TOP/agent/esptund.8" "$tmp/man/man8/"
	cp "$TOP/agent/esptund.conf.5" "$tmp/man/man5/"
	sed "s|@SBINDIR@|$tmp/sbin|g" "$TOP/agent/esptund.service" \
		>"$tmp/esptund.service"
	w=$(MANPATH=$tmp/man SYSTEMD_LOG_COLOR=0 \
		systemd-analyze verify "$tmp/esptund.service" 2>&1)
	if [ $? = 0 ] && [ -z "$w" ]; then
		ok "esptund.service verifies"
	else
		not_ok "esptund.service verifies" "$w"
	fi
else
	skip "esptund.service verifies" "no systemd-analyze on this host"
fi

# Every key has its own entry (a .TP tag) in esptund.conf(5).
if [ "${#KEYS[@]}" -ge 20 ]; then
	ok "${#KEYS[@]} keys read from agent/config.c"
else
	not_ok "keys read from agent/config.c" "found: ${KEYS[*]}"
fi
# Plain text: no overstrikes, no SGR escapes, whatever man-db's pager set-up.
page=$(MANWIDTH=200 man -E ascii -l -P cat "$TOP/agent/esptund.conf.5" 2>/dev/null |
	sed -e 's/.\x08//g' -e 's/\x1b\[[0-9;]*m//g')
missing=()
for k in "${KEYS[@]}"; do
	grep -qE "^ {7}$k( |\$)" <<<"$page" || missing+=("$k")
done
if [ "${#missing[@]}" = 0 ]; then
	ok "every esptund.conf key has its entry in esptund.conf(5)"
else
	not_ok "every esptund.conf key has its entry in esptund.conf(5)" \
		"missing: ${missing[*]}"
fi

# In README.md as "key = ..." or `key`, not as part of a longer key.
missing=()
for k in "${KEYS[@]}"; do
	grep -qE "(^|[^a-z-])$k( =|\`)" "$TOP/README.md" || missing+=("$k")
done
if [ "${#missing[@]}" = 0 ]; then
	ok "every esptund.conf key appears in README.md"
else
	not_ok "every esptund.conf key appears in README.md" \
		"missing: ${missing[*]}"
fi

# The JSON keys of esptun -j show (show.c, and format.c's shared writers
# and counter names), each in bold in esptun(8).
mapfile -t JKEYS < <( (grep -ho 'json_[a-z0-9_]*(j, "[a-z_]*"' \
	"$TOP/tools/show.c" "$TOP/tools/format.c"
	grep -ho '{ "[a-z-]*", "[a-z_]*" }' "$TOP/tools/format.c") |
	grep -o '"[a-z_]*"[^"]*$' | cut -d'"' -f2 | sort -u)
missing=()
for k in "${JKEYS[@]}"; do
	grep -qwF "$k" <(grep -E '^\.(B|BR|RB) ' "$TOP/tools/esptun.8" | sed 's/\\-/-/g') ||
		missing+=("$k")
done
if [ "${#JKEYS[@]}" -ge 40 ] && [ "${#missing[@]}" = 0 ]; then
	ok "every esptun -j show key is named in esptun(8) (${#JKEYS[@]})"
else
	not_ok "every esptun -j show key is named in esptun(8)" \
		"${#JKEYS[@]} keys; missing: ${missing[*]}"
fi

exit "$failed"
