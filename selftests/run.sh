#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs test programs one after another, each under a timeout, and keeps
# each one's TAP output in DIR/<name>.tap; a test that crashes, times out
# or breaks its plan gets one extra "not ok" line there. Prints
# "# <name>: <secs> s" per test and writes DIR/times; DIR/<name>.when
# has each TAP line again after the seconds since the test began, to find
# where a slow test spends its time.
#
#   selftests/run.sh [--out DIR] [--timeout S] [TEST...]
#
# Meant for the test guest (tools/vm/run -- selftests/run.sh): without
# TEST it runs every selftest the Makefile lists (executable *.sh, built C
# tests). TEST is a path or a selftest name (smoke, smoke.sh,
# harness_smoke). DIR defaults to $ESPTUN_OUT/tap in the guest. A test may
# ask for another timeout with a line "# selftest-timeout: S" near its top.
set -u

SELFTESTS=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$SELFTESTS/.." && pwd)
out=
timeout=${ESPTUN_TEST_TIMEOUT:-600}
timeout_set=${ESPTUN_TEST_TIMEOUT:+yes}

while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; timeout_set=yes; shift 2 ;;
	--) shift; break ;;
	-*) echo "usage: $0 [--out DIR] [--timeout S] [TEST...]" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -z "$out" ]; then
	if [ -n "${ESPTUN_OUT:-}" ]; then
		out=$ESPTUN_OUT/tap
	else
		out=$TOP/build/selftests-out
	fi
fi
mkdir -p "$out"
: >"$out/times"

in_guest() { [ -d /run/esptun-vm ]; }

# TEST argument -> absolute path of the program (empty when not found).
# Here and below, shell built-ins rather than dirname, basename, head,
# sed, date and awk: each process started costs a few tenths of a second
# in the emulated guest, and every test paid about ten of them.
resolve() {
	local t=$1 c d
	for c in "$t" "$TOP/$t" "$SELFTESTS/$t" "$SELFTESTS/$t.sh" \
		"$TOP/build/selftests/$t"; do
		if [ -f "$c" ]; then
			d=.
			[[ $c == */* ]] && d=${c%/*}
			echo "$(cd "${d:-/}" && pwd)/${c##*/}"
			return
		fi
	done
}

test_timeout() {
	local t= line n=0
	case $1 in
	*.sh)
		while ((n++ < 30)) && IFS= read -r line; do
			if [[ $line =~ ^#\ selftest-timeout:\ *([0-9]+) ]]; then
				t=${BASH_REMATCH[1]}
				break
			fi
		done <"$1"
		;;
	esac
	# A larger ESPTUN_TEST_TIMEOUT (make soak) outranks the file's own.
	if [ -z "$t" ] || { [ "$timeout_set" = yes ] && [ "$timeout" -gt "$t" ]; }; then
		t=$timeout
	fi
	echo "$t"
}

# Adds one "not ok" to a TAP file whose test did not report properly.
verdict() {
	local tap=$1 name=$2 rc=$3 secs=$4 plan results why=
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tap" | head -n1)
	results=$(grep -cE '^(not )?ok( |$)' "$tap")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="timed out after $secs s"
	elif [ -z "$plan" ]; then
		why="no TAP plan (exit $rc)"
	elif [ "$plan" != "$results" ]; then
		why="planned $plan results, reported $results (exit $rc)"
	elif [ "$rc" != 0 ] && [ "$rc" != 4 ] && ! grep -q '^not ok' "$tap"; then
		# 4 is kselftest's "skipped".
		why="exit $rc without a failed result"
	fi
	[ -z "$why" ] && return 0
	echo "not ok $((results + 1)) $name # $why" | tee -a "$tap"
	return 1
}

tests=()
if [ $# -gt 0 ]; then
	tests=("$@")
else
	mapfile -t tests < <(make -s --no-print-directory -C "$SELFTESTS" list)
fi

# stamp_tee TAP WHEN: stdin to stdout and TAP, and to WHEN with the
# seconds since the start before each line.
stamp_tee() {
	local t0=${EPOCHREALTIME//[!0-9]/} line us
	exec 3>"$1" 4>"$2"
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "$line"
		printf '%s\n' "$line" >&3
		us=$((${EPOCHREALTIME//[!0-9]/} - t0))
		printf '%d.%d %s\n' $((us / 1000000)) $((us / 100000 % 10)) \
			"$line" >&4
	done
}

failed=0
for t in "${tests[@]}"; do
	path=$(resolve "$t")
	name=${path:-$t}
	name=${name##*/}
	tap=$out/$name.tap
	log=$out/$name.log
	if [ -z "$path" ] || [ ! -x "$path" ]; then
		printf 'TAP version 13\n1..1\nnot ok 1 %s # not found or not executable (built?)\n' \
			"$name" | tee "$tap"
		echo "$name 0 fail" >>"$out/times"
		failed=1
		continue
	fi
	echo "# running $name"
	start=${EPOCHREALTIME//[!0-9]/}
	# timeout leads its own process group: whatever the test leaves
	# running is killed with it afterwards. The test gets the pipe to
	# tee as its stdout only: a daemon it starts (iperf3 -D) keeps the
	# descriptors it inherits, and tee would wait for that one too.
	exec {tapfd}> >(stamp_tee "$tap" "$out/$name.when")
	teepid=$!
	(cd "$(dirname "$path")" && exec timeout -k 10 "$(test_timeout "$path")" "$path") \
		2>"$log" >&"$tapfd" {tapfd}>&- </dev/null &
	pid=$!
	wait "$pid"
	rc=$?
	exec {tapfd}>&-
	wait "$teepid" 2>/dev/null
	if kill -0 -- "-$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null
		sleep 0.5
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	secs=$(((${EPOCHREALTIME//[!0-9]/} - start + 50000) / 100000))
	secs=$((secs / 10)).$((secs % 10))
	status=ok
	if ! verdict "$tap" "$name" "$rc" "$secs" || grep -q '^not ok' "$tap"; then
		status=fail
		failed=1
		if [ -s "$log" ]; then
			echo "# stderr of $name (last 30 lines):"
			tail -n 30 "$log" | sed 's/^/#   /'
		fi
	fi
	if in_guest; then
		# Start the next test from a clean network state.
		ip -all netns delete 2>/dev/null
	fi
	echo "# $name: $secs s"
	echo "$name $secs $status" >>"$out/times"
done
exit "$failed"
