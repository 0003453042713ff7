#!/usr/bin/env bash
# Everything `make check` runs: dependencies, the build, lint, the host
# unit tests, the compiled ones again under valgrind's memcheck, then all
# selftests in one boot of the test guest. Counts the top-level TAP results
# of every test program (indented subtests are not counted) and ends with
# one line "N passed, M failed[, K skipped]"; exits non-zero when anything
# failed.
#
#   tools/check.sh                  everything
#   tools/check.sh --unit-only      no guest: build, lint, unit tests, valgrind
#   tools/check.sh GROUP|TEST...    groups unit, lint, valgrind, fuzz, guest;
#                                   only these, or tests as paths or names,
#                                   e.g. selftests/smoke.sh, smoke, test_config
#
# The same words may come in $ESPTUN_CHECK (`ESPTUN_CHECK=smoke make check`).
# ESPTUN_VM_TIMEOUT (2700 s) bounds the guest run, ESPTUN_TEST_TIMEOUT
# (600 s) each selftest, ESPTUN_UNIT_TIMEOUT (120 s) each unit test, under
# valgrind too, ESPTUN_FUZZ_SECONDS (7 s) each fuzz target (longer runs:
# make fuzz). Unit tests named with valgrind are the only ones it runs.
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

# --- lint -----------------------------------------------------------------

# Lint runs beside the unit tests, the fuzz targets beside valgrind: each
# pair keeps both CPUs of a small machine busy. Their results are counted
# when they end, in the order they are printed.
lint_pid=
if want lint; then
	lint_t=$(date +%s)
	(make -s lint >"$RUN/lint.log" 2>&1; echo $? >"$RUN/lint.rc") &
	lint_pid=$!
fi

lint_report() {
	[ -n "$lint_pid" ] || return 0
	wait "$lint_pid"
	lint_pid=
	if [ "$(cat "$RUN/lint.rc" 2>/dev/null)" = 0 ]; then
		result ok "lint"
	else
		head -n 60 "$RUN/lint.log"
		result fail "lint" "make lint failed, see $RUN/lint.log"
	fi
	say "# lint: $(elapsed "$lint_t") s"
}

# --- host unit tests ------------------------------------------------------

# The named unit tests, else every built one.
if [ ${#unit_tests[@]} -eq 0 ]; then
	for f in agent/tests/test_* tools/tests/test_*; do
		[ -f "$f" ] && [ -x "$f" ] && unit_tests+=("$f")
	done
fi

if want unit; then
	if [ ${#unit_tests[@]} -gt 0 ]; then
		selftests/run.sh --timeout "${ESPTUN_UNIT_TIMEOUT:-120}" --out "$RUN/unit" "${unit_tests[@]}" >"$RUN/unit.log" 2>&1
		count_dir "$RUN/unit"
		grep -E '^not ok' "$RUN/unit.log" | sed 's/^/# unit: /'
		print_times "$RUN/unit"
	else
		say "# no unit tests built"
	fi
fi
lint_report

# --- host unit tests under valgrind -------------------------------------------

# Memcheck on the compiled unit tests (ELF programs; the shell ones are
# left out): any definite or indirect leak or memory error fails the
# program's one result.
# shellcheck disable=SC2054 # the commas are valgrind's list syntax
VALGRIND_OPTS=(--tool=memcheck --leak-check=full
	--show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99
	--track-fds=no)

is_elf() { [[ $(head -c 4 "$1" 2>/dev/null) == $'\x7f'ELF ]]; }

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

fuzz_pid=
if want fuzz; then
	fuzz_t=$(date +%s)
	mkdir -p "$RUN/fuzz"
	tools/fuzz.sh --seconds "${ESPTUN_FUZZ_SECONDS:-7}" >"$RUN/fuzz/fuzz.tap" 2>"$RUN/fuzz.log" &
	fuzz_pid=$!
fi

if want valgrind; then
	t=$(date +%s)
	vg_tests=()
	for f in "${unit_tests[@]}"; do
		is_elf "$f" && vg_tests+=("$f")
	done
	if ! command -v valgrind >/dev/null; then
		result skip "valgrind" "valgrind is not installed (tools/deps.sh installs it)"
		vg_tests=()
	elif [ ${#vg_tests[@]} -eq 0 ]; then
		say "# no compiled unit tests built"
	fi
	mkdir -p "$RUN/valgrind"
	vg_secs=${ESPTUN_UNIT_TIMEOUT:-120}
	for f in "${vg_tests[@]}"; do
		name=$(basename "$f")
		log=$RUN/valgrind/$name.log
		out=$RUN/valgrind/$name.out
		# From the test's own directory, as run.sh runs it.
		(cd "$(dirname "$f")" && exec timeout -k 10 "$vg_secs" \
			valgrind "${VALGRIND_OPTS[@]}" --log-file="$log" "./$name") \
			>"$out" 2>&1 </dev/null
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result ok "valgrind: $name: no leak, no memory error"
		else
			result fail "valgrind: $name: no leak, no memory error" "see $log"
			valgrind_diag "$log" "$out" "$rc" "$vg_secs"
		fi
	done
	say "# valgrind: $(elapsed "$t") s"
fi

# --- short fuzz run ---------------------------------------------------------

if [ -n "$fuzz_pid" ]; then
	wait "$fuzz_pid"
	count_tap "$RUN/fuzz/fuzz.tap"
	grep -E '^(not )?ok|^# ' "$RUN/fuzz/fuzz.tap" | sed 's/^/# fuzz: /'
	say "# fuzz: $(elapsed "$fuzz_t") s"
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
