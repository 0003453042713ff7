#!/usr/bin/env bash
# Builds the libFuzzer targets (agent/tests/fuzz_*.c and the CLI's
# tools/tests/fuzz_*.c, clang with ASan and UBSan) and runs each for a
# while, printing TAP: one result per target with its executions and
# coverage, "not ok" when it found a crash, a leak or a broken promise
# (the input is kept in build/fuzz/crashes/).
#
#   tools/fuzz.sh [--seconds S] [TARGET...]     default: 300 s each, all
#
# Each target starts from its seeds and regressions in
# agent/tests/fuzz-corpus/NAME/ (an input that once failed belongs there;
# fuzz_decode starts from the committed captures, tools/tests/captures/,
# and its regressions in agent/tests/fuzz-corpus/decode/)
# and keeps what it learns in build/fuzz/corpus/NAME/ for the next run.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$TOP/build/fuzz
seconds=300

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=${2:?}; shift 2 ;;
	-h|--help|-*) sed -n 's/^#   tools/usage: tools/p' "$0" >&2; exit 2 ;;
	*) break ;;
	esac
done

echo "TAP version 13"
mkdir -p "$OUT"
if ! { make -s -j"$(nproc)" -C "$TOP/agent" -f tests/fuzz.mk OUT="$OUT" &&
	make -s -j"$(nproc)" -C "$TOP/tools" -f tests/fuzz-decode.mk OUT="$OUT" &&
	make -s -j"$(nproc)" -C "$TOP/tools" -f tests/fuzz-cli.mk OUT="$OUT"; } \
	>"$OUT/build.log" 2>&1; then
	echo "1..1"
	sed 's/^/# /' "$OUT/build.log" | tail -n 20
	echo "not ok 1 build of the fuzz targets"
	exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	mapfile -t targets < <(cd "$TOP" && ls agent/tests/fuzz_*.c tools/tests/fuzz_*.c |
		xargs -n1 basename | sed 's/\.c$//')
fi
echo "1..${#targets[@]}"

n=0
failed=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	t=${t%.c}
	name=${t#fuzz_}
	seeds=$TOP/agent/tests/fuzz-corpus/$name
	# The decoder starts from the real captures, plus its regressions.
	extra=
	if [ "$name" = decode ]; then
		extra=$seeds
		seeds=$TOP/tools/tests/captures
	fi
	corpus=$OUT/corpus/$name
	log=$OUT/$t.log
	mkdir -p "$corpus" "$OUT/crashes"
	# -rss_limit_mb bounds memory; -timeout catches hangs (a slow input
	# is a denial of service for a daemon that parses it).
	"$OUT/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$OUT/crashes/$t-" \
		"$corpus" $([ -d "$seeds" ] && echo "$seeds") \
		$([ -n "$extra" ] && [ -d "$extra" ] && echo "$extra") \
		>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1)
	if [ "$rc" = 0 ]; then
		echo "ok $n $t: ${runs:-?} executions in $seconds s, $cov, corpus $(ls "$corpus" | wc -l)"
	else
		failed=1
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" | head -n 8 | sed 's/^/# /'
		echo "not ok $n $t: failed after ${runs:-?} executions (exit $rc, log $log)"
	fi
done
exit "$failed"
