#!/usr/bin/env bash
# Host test of "esptun -batch FILE": each line runs as its own command
# (compared with the same commands run one by one), comments, blank lines
# and quotes are read as documented, the batch stops at the first failed
# line unless -force is given, and every failure names FILE:LINE. The
# commands used need no kernel: help, usage errors, and a device that does
# not exist (exit 1).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
ESPTUN=$TOP/tools/esptun
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DEV=esptest-nosuch0

source "$(dirname "$0")/tap.sh"

echo "TAP version 13"
echo "1..12"

# batch NAME WANT_RC FILE [OPTIONS...]: runs it; out, err and rc kept.
batch() {
	local name=$1 want=$2 file=$3
	shift 3
	"$ESPTUN" "$@" -batch "$file" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = "$want" ] || { not_ok "$name" "exit $rc, want $want" \
		"stderr: $(head -c 300 "$tmp/err")"; return 1; }
}

# same_out NAME CMD...: stdout equals what the commands (;-separated
# words in one string each) print when run one by one.
same_out() {
	local name=$1 c
	shift
	: >"$tmp/want"
	for c in "$@"; do
		# shellcheck disable=SC2086 # the words of one command
		"$ESPTUN" $c >>"$tmp/want" 2>/dev/null
	done
	if cmp -s "$tmp/out" "$tmp/want"; then
		ok "$name"
	else
		not_ok "$name" "stdout differs from the commands run one by one:" \
			"$(diff "$tmp/want" "$tmp/out" | head -5)"
	fi
}

err_has() {
	local name=$1 want=$2
	if grep -qxF -- "$want" "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name" "no line '$want' on stderr:" "$(head -5 "$tmp/err")"
	fi
}

printf '%s\n' '# a comment line' '' 'help sa' \
	'  help   "show"   # a comment after the words' "help 'sa' \"add\"" \
	>"$tmp/good"
batch "each-line-runs" 0 "$tmp/good" &&
	same_out "each-line-runs" "help sa" "help show" "help sa add"

printf '%s\n' 'help sa' "sa add $DEV dir" 'help show' >"$tmp/stop"
batch "stops-at-usage-error" 2 "$tmp/stop" &&
	same_out "stops-at-usage-error" "help sa"
err_has "failure-names-file-line" "esptun: $tmp/stop:2: command failed"

batch "force-goes-on" 2 "$tmp/stop" -force &&
	same_out "force-goes-on" "help sa" "help show"

printf '%s\n' "show $DEV" 'help sa' >"$tmp/fail"
batch "runtime-failure-exit-1" 1 "$tmp/fail" &&
	err_has "runtime-failure-exit-1" "esptun: $tmp/fail:1: command failed"

printf '%s\n' 'help sa' 'help "show' 'help sa add' >"$tmp/quote"
batch "unterminated-quote" 2 "$tmp/quote" &&
	err_has "unterminated-quote" "esptun: $tmp/quote:2: unterminated \""

printf '%s\n' '"bo gus" x' '"a\"b\\c"' >"$tmp/words"
if batch "quoted-words" 2 "$tmp/words" -force &&
   grep -qxF 'esptun: unknown command "bo gus"' "$tmp/err" &&
   grep -qxF 'esptun: unknown command "a"b\c"' "$tmp/err" &&
   ! grep -q '^Commands:' "$tmp/err"; then
	ok "quoted-words"
elif [ "$rc" = 2 ]; then
	not_ok "quoted-words" "$(cat "$tmp/err")"
fi

printf 'help sa\nhelp show\n' | "$ESPTUN" -b - >"$tmp/out" 2>"$tmp/err"
[ $? = 0 ] && same_out "stdin" "help sa" "help show" ||
	not_ok "stdin" "exit not 0: $(cat "$tmp/err")"

# usage NAME WANT_RC FIRST_STDERR_LINE ARGS...
usage() {
	local name=$1 want=$2 line=$3 rc
	shift 3
	"$ESPTUN" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ] && [ "$(head -n1 "$tmp/err")" = "$line" ] &&
	   [ ! -s "$tmp/out" ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, want $want" "got:  $(head -n1 "$tmp/err")" \
			"want: $line"
	fi
}
usage "missing-file" 1 \
	"esptun: -batch: $tmp/none: No such file or directory" -batch "$tmp/none"
usage "batch-without-file" 2 "esptun: -b needs a file" -b
usage "batch-and-command" 2 \
	'esptun: -batch takes its commands from the file, not "show"' \
	-b "$tmp/good" show
usage "force-without-batch" 2 "esptun: -force goes with -batch" -force show

exit $failed
