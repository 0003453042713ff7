#!/usr/bin/env bash
# Everything `make check` runs: dependencies, the build, lint, the host
# unit tests, the compiled ones again under valgrind's memcheck, the fuzz
# targets briefly, and all selftests in one boot of the test guest (the
# host tests at the lowest priority beside it). Counts the top-level TAP results
# of every test program (indented subtests are not counted) and ends with
# one line "N passed, M failed[, K skipped]"; exits non-zero when anything
# failed.
#
#   tools/check.sh                  everything
#   tools/check.sh --unit-only      no guest: build, lint, unit, valgrind
#   tools/check.sh GROUP|TEST...    groups unit, lint, valgrind, fuzz, guest;
#                                   only these, or tests as paths or names,
#                                   e.g. selftests/smoke.sh, smoke, test_config
#
# The same words may come in $ESPTUN_CHECK (`ESPTUN_CHECK=smoke make check`).
# ESPTUN_VM_TIMEOUT (2700 s) bounds the guest run, ESPTUN_TEST_TIMEOUT
# (600 s) each selftest, ESPTUN_UNIT_TIMEOUT (120 s, 600 s beside the
# guest) each unit test, under valgrind too, ESPTUN_FUZZ_SECONDS (7 s)
# each fuzz target (longer runs: make fuzz). Unit tests named with
# valgrind are the only ones it runs.
# Logs and TAP files are kept in build/check/last/.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

passed=0
failed=0
skipped=0
failures=()
skips=()

usage() {
	sed -n '/^#   tools/p' "$0" | sed 's/^# */usage: /' >&2
	exit 2
}

args=("$@")
if [ ${#args[@]} -eq 0 ] && [ -n "${ESPTUN_CHECK:-}" ]; then
	read -ra args <<<"$ESPTUN_CHECK"
fi

groups=()
unit_tests=()
guest_tests=()
for a in "${args[@]}"; do
	case $a in
	-h|--help) usage ;;
	--unit-only) groups+=(unit lint valgrind) ;;
	unit|lint|valgrind|fuzz|guest) groups+=("$a") ;;
	-*) usage ;;
	*test_*)
		a=$(basename "$a")
		if [ -f "tools/tests/$a" ]; then
			unit_tests+=("tools/tests/$a")
		elif [ -f "tools/tests/$a.sh" ]; then
			unit_tests+=("tools/tests/$a.sh")
		else
			unit_tests+=("agent/tests/$a")
		fi
		;;
	*) guest_tests+=("$a") ;;
	esac
done
if [ ${#args[@]} -eq 0 ]; then
	groups=(unit lint valgrind fuzz guest)
fi
[ ${#unit_tests[@]} -gt 0 ] && groups+=(unit)
[ ${#guest_tests[@]} -gt 0 ] && groups+=(guest)
want() { [[ " ${groups[*]} " == *" $1 "* ]]; }

mkdir -p build/check
find build/check -mindepth 1 -maxdepth 1 -type d -mmin +1440 -exec rm -rf {} + 2>/dev/null
RUN=$(mktemp -d "build/check/$(date +%Y%m%d-%H%M%S)-XXXX")
RUN=$TOP/$RUN
ln -sfn "$(basename "$RUN")" build/check/last

say() { printf '%s\n' "$*"; }

# result ok|fail|skip NAME [WHY]
result() {
	case $1 in
	ok) passed=$((passed + 1)); say "ok - $2" ;;
	fail) failed=$((failed + 1)); failures+=("$2${3:+: $3}"); say "not ok - $2" ;;
	skip) skipped=$((skipped + 1)); skips+=("$2: ${3:-}"); say "ok - $2 # SKIP ${3:-}" ;;
	esac
}

# Counts one TAP file: top-level result lines only.
count_tap() {
	local file=$1 prog line rest name
	prog=$(basename "$file" .tap)
	while IFS= read -r line; do
		case $line in
		"not ok "*)
			failed=$((failed + 1))
			rest=${line#not ok }
			failures+=("$prog: ${rest#* }")
			;;
		"ok "*)
			rest=${line#ok }
			name=${rest#* }
			if [[ ${name^^} == *"# SKIP"* ]]; then
				skipped=$((skipped + 1))
				skips+=("$prog: $name")
			else
				passed=$((passed + 1))
			fi
			;;
		"1..0"*)
			# The whole program skipped itself.
			skipped=$((skipped + 1))
			skips+=("$prog: ${line#1..0}")
			;;
		esac
	done <"$file"
}

# Counts every TAP file of a run.sh output directory; a program run.sh
# has no time for never finished (the guest hung or died under it).
count_dir() {
	local dir=$1 f name
	for f in "$dir"/*.tap; do
		[ -f "$f" ] || continue
		count_tap "$f"
		name=$(basename "$f" .tap)
		if ! grep -q "^$name " "$dir/times" 2>/dev/null; then
			result fail "$name" "did not finish"
		fi
	done
}

# Prints the per-program times a run.sh output directory recorded.
print_times() {
	local f=$1/times name secs status
	[ -f "$f" ] || return 0
	while read -r name secs status; do
		say "# $name: $secs s ($status)"
	done <"$f"
}

elapsed() { echo $(($(date +%s) - $1)); }

# kill_tree PID: PID and everything it started.
kill_tree() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		kill_tree "$c"
	done
	kill "$1" 2>/dev/null
}

# --- dependencies and build -----------------------------------------------

t0=$(date +%s)
if ! tools/deps.sh >"$RUN/deps.log" 2>&1; then
	tail -n 20 "$RUN/deps.log"
	result fail "dependencies" "tools/deps.sh failed, see $RUN/deps.log"
fi

JOBS=$(nproc)
t=$(date +%s)
# -k: build what can be built, so the tests of the other parts still run.
if make -k -j"$JOBS" all >"$RUN/build.log" 2>&1; then
	say "# build: $(elapsed "$t") s"
else
	grep -E 'error|Error|warning' "$RUN/build.log" | head -n 40
	result fail "build" "make all failed, see $RUN/build.log"
fi

# --- host tests: lint, unit tests, valgrind, fuzz ---------------------------

# The named unit tests, else every built one.
if [ ${#unit_tests[@]} -eq 0 ]; then
	for f in agent/tests/test_* tools/tests/test_*; do
		[ -f "$f" ] && [ -x "$f" ] && unit_tests+=("$f")
	done
fi

# Memcheck on the compiled unit tests (ELF programs; the shell ones are
# left out): any definite or indirect leak or memory error fails the
# program's one result.
# shellcheck disable=SC2054 # the commas are valgrind's list syntax
VALGRIND_OPTS=(--tool=memcheck --leak-check=full
	--show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99
	--track-fds=no)

is_elf() { [[ $(head -c 4 "$1" 2>/dev/null) == $'\x7f'ELF ]]; }

vg_tests=()
for f in "${unit_tests[@]}"; do
	is_elf "$f" && vg_tests+=("$f")
done

# The host tests write only files; the *_report functions below count
# and print them. So they can run while the guest does: most of a guest
# run is waiting on timers, and at the lowest priority they take only
# the CPU time it leaves (their time limits are longer then).
unit_secs=${ESPTUN_UNIT_TIMEOUT:-120}

run_lint() {
	local t
	t=$(date +%s)
	make -s lint >"$RUN/lint.log" 2>&1
	echo "$? $(elapsed "$t")" >"$RUN/lint.rc"
}

run_unit() {
	[ ${#unit_tests[@]} -gt 0 ] || return 0
	selftests/run.sh --timeout "$unit_secs" --out "$RUN/unit" \
		"${unit_tests[@]}" >"$RUN/unit.log" 2>&1
}

run_valgrind() {
	local f name t
	t=$(date +%s)
	mkdir -p "$RUN/valgrind"
	command -v valgrind >/dev/null || return 0
	for f in "${vg_tests[@]}"; do
		name=$(basename "$f")
		# From the test's own directory, as run.sh runs it.
		(cd "$(dirname "$f")" && exec timeout -k 10 "$unit_secs" \
			valgrind "${VALGRIND_OPTS[@]}" \
			--log-file="$RUN/valgrind/$name.log" "./$name") \
			>"$RUN/valgrind/$name.out" 2>&1 </dev/null
		echo $? >"$RUN/valgrind/$name.rc"
	done
	elapsed "$t" >"$RUN/valgrind/secs"
}

run_fuzz() {
	local t
	t=$(date +%s)
	mkdir -p "$RUN/fuzz"
	tools/fuzz.sh --seconds "${ESPTUN_FUZZ_SECONDS:-7}" \
		>"$RUN/fuzz/fuzz.tap" 2>"$RUN/fuzz.log"
	elapsed "$t" >"$RUN/fuzz/secs"
}

# Lint beside the unit tests, the fuzz targets beside valgrind: each pair
# keeps both CPUs of a small machine busy.
run_host() {
	local p1='' p2=''
	if want lint; then run_lint & p1=$!; fi
	if want unit; then run_unit; fi
	[ -z "$p1" ] || wait "$p1"
	if want fuzz; then run_fuzz & p2=$!; fi
	if want valgrind; then run_valgrind; fi
	[ -z "$p2" ] || wait "$p2"
}

lint_report() {
	local rc=missing secs=
	want lint || return 0
	[ -f "$RUN/lint.rc" ] && read -r rc secs <"$RUN/lint.rc"
	if [ "$rc" = 0 ]; then
		result ok "lint"
	else
		head -n 60 "$RUN/lint.log"
		result fail "lint" "make lint failed, see $RUN/lint.log"
	fi
	say "# lint: ${secs:-?} s"
}

unit_report() {
	want unit || return 0
	if [ ${#unit_tests[@]} -eq 0 ]; then
		say "# no unit tests built"
		return 0
	fi
	count_dir "$RUN/unit"
	# A test the run never got to has no TAP file.
	for f in "${unit_tests[@]}"; do
		[ -f "$RUN/unit/$(basename "$f").tap" ] ||
			result fail "$(basename "$f")" "no result"
	done
	grep -E '^not ok' "$RUN/unit.log" 2>/dev/null | sed 's/^/# unit: /'
	print_times "$RUN/unit"
}

# Prints why the valgrind run of one program failed: its exit, valgrind's
# summary lines, the first error's report, where the logs are.
valgrind_diag() {
	local log=$1 out=$2 rc=$3 secs=$4
	case $rc in
	99) say "#   memcheck found errors" ;;
	124|137) say "#   timed out after $secs s" ;;
	*)
		say "#   exited $rc under valgrind; its last output:"
		tail -n 5 "$out" | sed 's/^/#     /'
		;;
	esac
	sed -n 's/^==[0-9]*== *//p' "$log" |
		grep -E '^(ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|suppressed):' |
		sed 's/^/#   /'
	# The first error or loss record, up to the blank line ending it.
	sed -n 's/^==[0-9]*== \{0,1\}//p' "$log" |
		awk '/^(Invalid|Conditional|Use of|Syscall param|Mismatched|Source and destination|Argument)|are (definitely|indirectly) lost/ { p = 1 }
			p && /^$/ { exit }
			p' | head -n 15 | sed 's/^/#   /'
	say "#   log: $log"
}

valgrind_report() {
	local f name rc dir=$RUN/valgrind
	want valgrind || return 0
	if ! command -v valgrind >/dev/null; then
		result skip "valgrind" "valgrind is not installed (tools/deps.sh installs it)"
		return 0
	fi
	[ ${#vg_tests[@]} -gt 0 ] || say "# no compiled unit tests built"
	for f in "${vg_tests[@]}"; do
		name=$(basename "$f")
		rc=$(cat "$dir/$name.rc" 2>/dev/null || echo "not run")
		if [ "$rc" = 0 ]; then
			result ok "valgrind: $name: no leak, no memory error"
		else
			result fail "valgrind: $name: no leak, no memory error" \
				"see $dir/$name.log"
			valgrind_diag "$dir/$name.log" "$dir/$name.out" "$rc" \
				"$unit_secs"
		fi
	done
	say "# valgrind: $(cat "$dir/secs" 2>/dev/null || echo ?) s"
}

fuzz_report() {
	local plan n
	want fuzz || return 0
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$RUN/fuzz/fuzz.tap" 2>/dev/null)
	n=$(grep -cE '^(not )?ok ' "$RUN/fuzz/fuzz.tap" 2>/dev/null)
	if [ -z "$plan" ] || [ "${n:-0}" -lt "$plan" ]; then
		result fail "fuzz" \
			"${n:-0} of ${plan:-?} targets reported, see $RUN/fuzz.log"
	fi
	count_tap "$RUN/fuzz/fuzz.tap"
	grep -E '^(not )?ok|^# ' "$RUN/fuzz/fuzz.tap" | sed 's/^/# fuzz: /'
	say "# fuzz: $(cat "$RUN/fuzz/secs" 2>/dev/null || echo ?) s"
}

host_report() {
	unit_report
	lint_report
	valgrind_report
	fuzz_report
}

host_pid=
if want lint || want unit || want valgrind || want fuzz; then
	if want guest; then
		unit_secs=${ESPTUN_UNIT_TIMEOUT:-600}
		say "# host tests run beside the guest, at the lowest priority"
		# SCHED_IDLE as well: a waking vCPU thread of the guest
		# preempts them at once, which nice alone does not promise.
		(renice -n 19 -p "$BASHPID" >/dev/null
		 chrt -i -p 0 "$BASHPID" 2>/dev/null
		 run_host) &
		host_pid=$!
		# Interrupted, the host tests go too, with whatever they run.
		trap 'kill_tree "$host_pid"; exit 130' INT TERM
	else
		run_host
		host_report
	fi
fi

# --- guest selftests ------------------------------------------------------

if want guest; then
	if [ ${#guest_tests[@]} -eq 0 ]; then
		mapfile -t expected < <(make -s --no-print-directory -C selftests list | xargs -rn1 basename)
	else
		expected=()
		for a in "${guest_tests[@]}"; do
			expected+=("$(basename "$a")")
		done
	fi
	t=$(date +%s)
	tools/vm/run --timeout "${ESPTUN_VM_TIMEOUT:-2700}" --out "$RUN/vm" -- \
		"$TOP/selftests/run.sh" "${guest_tests[@]}"
	vmrc=$?
	say "# guest: $(elapsed "$t") s (exit $vmrc)"
	count_dir "$RUN/vm/tap"
	# A guest that died half-way leaves tests without a TAP file.
	for name in "${expected[@]}"; do
		if [ ! -f "$RUN/vm/tap/$name.tap" ] && [ ! -f "$RUN/vm/tap/$name.sh.tap" ]; then
			result fail "$name" "no result from the guest"
		fi
	done
	if [ ! -s "$RUN/vm/dmesg.txt" ]; then
		[ -s "$RUN/vm/kernel-log-bad.txt" ] && sed 's/^/# /' "$RUN/vm/kernel-log-bad.txt"
		result fail "kernel log clean" "no kernel log saved (guest exit $vmrc)"
	elif [ -s "$RUN/vm/kernel-log-bad.txt" ]; then
		sed 's/^/# /' "$RUN/vm/kernel-log-bad.txt"
		result fail "kernel log clean" "see $RUN/vm/dmesg.txt"
	else
		result ok "kernel log clean"
	fi
	print_times "$RUN/vm/tap"
fi

if [ -n "$host_pid" ]; then
	t=$(date +%s)
	wait "$host_pid"
	say "# host tests: done $(elapsed "$t") s after the guest"
	host_report
fi

# --- summary --------------------------------------------------------------

say "# total time: $(elapsed "$t0") s, logs in $RUN"
for s in "${skips[@]}"; do
	say "# skipped: $s"
done
for f in "${failures[@]}"; do
	say "# FAILED: $f"
done
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line+=", $skipped skipped"
say "$line"
[ "$failed" -eq 0 ]
