# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the shell selftests: KTAP output, network namespaces,
# the module, the kernel log, background jobs. Source it first:
#
#	source "$(dirname "$0")/lib.sh"
#
# Everything a test creates through these helpers (namespaces, background
# jobs, captures) is removed by the EXIT trap. A test that sets its own
# EXIT trap calls lib_cleanup from it, or registers with cleanup_add.

# Parameter expansions rather than dirname and basename: every process
# started costs a few tenths of a second in the emulated guest, and each
# test pays these. This file is sourced by a path with a slash in it.
TOP=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
ESPTUN=$TOP/tools/esptun
ESPTUND=$TOP/agent/esptund
KMOD=$TOP/kmod/esptun.ko
TEST_NAME=${0##*/}
TEST_NAME=${TEST_NAME%.sh}
# Patterns that make a kernel log dirty (kept equal to tools/vm/run's).
KLOG_BAD='BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|kmemleak: ([0-9]+ new suspected|.*(disabled|empty))|to become free'

# The tests change namespaces, links and modules of the kernel they run
# on: by default only the test guest (tools/vm/run) is such a kernel.
if [ ! -d /run/esptun-vm ] && [ -z "${ESPTUN_ALLOW_HOST:-}" ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP not in the test guest: run through tools/vm/run (or set ESPTUN_ALLOW_HOST=1)"
	exit 4
fi

# Per-test directory for captures and logs: on the output share in the
# guest, a fresh directory on the host.
if [ -n "${ESPTUN_OUT:-}" ] && [ -d "$ESPTUN_OUT" ]; then
	TEST_OUT=$ESPTUN_OUT/$TEST_NAME
	mkdir -p "$TEST_OUT"
else
	TEST_OUT=$(mktemp -d "/tmp/$TEST_NAME.XXXXXX")
fi

_ktap_n=0
_ktap_pass=0
_ktap_fail=0
_ktap_skip=0
_ktap_plan=
_lib_netns=()
_lib_pids=()
_lib_cleanup=()
_lib_dmesg_mark=

# --- KTAP -----------------------------------------------------------------

ktap_plan() {
	_ktap_plan=$1
	echo "TAP version 13"
	echo "1..$1"
}

# ktap_diag TEXT...: diagnostic lines, each prefixed "# ".
ktap_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

ktap_ok() {
	_ktap_n=$((_ktap_n + 1))
	_ktap_pass=$((_ktap_pass + 1))
	echo "ok $_ktap_n $1"
}

# ktap_fail NAME [DETAIL]: DETAIL (may be several lines) goes out as
# diagnostics before the result line.
ktap_fail() {
	_ktap_n=$((_ktap_n + 1))
	_ktap_fail=$((_ktap_fail + 1))
	[ -n "${2:-}" ] && ktap_diag "$2"
	echo "not ok $_ktap_n $1"
}

ktap_skip() {
	_ktap_n=$((_ktap_n + 1))
	_ktap_skip=$((_ktap_skip + 1))
	echo "ok $_ktap_n $1 # SKIP ${2:-(no reason given)}"
}

# ktap_check NAME CMD...: ok when CMD exits 0; otherwise not ok with its
# exit status and output as diagnostics.
ktap_check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ktap_ok "$name"
		return 0
	fi
	ktap_fail "$name" "$(printf '%s: exit %d\n%s' "$*" "$rc" "$out")"
	return 1
}

# ktap_expect_fail NAME SUBSTRING CMD...: ok when CMD fails and its output
# (stdout and stderr) holds SUBSTRING, e.g. the kernel's extack message.
ktap_expect_fail() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [[ $out == *"$want"* ]]; then
		ktap_ok "$name"
		return 0
	fi
	if [ "$rc" -eq 0 ]; then
		ktap_fail "$name" "$(printf '%s: succeeded, expected a failure with "%s"\n%s' \
			"$*" "$want" "$out")"
	else
		ktap_fail "$name" "$(printf '%s: exit %d without "%s" in:\n%s' \
			"$*" "$rc" "$want" "$out")"
	fi
	return 1
}

# ktap_finished: totals, then exit 0 when nothing failed and the plan was
# kept, 1 otherwise.
ktap_finished() {
	echo "# Totals: pass:$_ktap_pass fail:$_ktap_fail xfail:0 xpass:0 skip:$_ktap_skip error:0"
	if [ -n "$_ktap_plan" ] && [ "$_ktap_plan" -ne "$_ktap_n" ]; then
		echo "# planned $_ktap_plan results, reported $_ktap_n"
		exit 1
	fi
	[ "$_ktap_fail" -eq 0 ] && exit 0
	exit 1
}

# --- cleanup --------------------------------------------------------------

# cleanup_add CMD...: run CMD at exit (last added runs first).
cleanup_add() {
	_lib_cleanup+=("$(printf '%q ' "$@")")
}

# A job may be a subshell (a function run in the background): its
# children go first.
_lib_kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do
		_lib_kill_tree "$c"
	done
	kill "$1" 2>/dev/null
}

lib_cleanup() {
	local i pid
	for ((i = ${#_lib_cleanup[@]} - 1; i >= 0; i--)); do
		eval "${_lib_cleanup[i]}" >/dev/null 2>&1
	done
	_lib_cleanup=()
	for pid in "${_lib_pids[@]}" $(jobs -p); do
		_lib_kill_tree "$pid"
	done
	for pid in "${_lib_pids[@]}" $(jobs -p); do
		wait "$pid" 2>/dev/null
	done
	_lib_pids=()
	for i in "${_lib_netns[@]}"; do
		ip netns del "$i" 2>/dev/null
	done
	_lib_netns=()
	return 0
}
trap lib_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# --- helpers --------------------------------------------------------------

# nap SECONDS: sleeps without starting a process. In the emulated guest
# starting sleep(1) costs more than the tenth of a second the polling
# loops wait, so each try took several times its interval. A read on a
# pipe nobody writes to times out instead.
exec {_lib_nap_fd}<> <(:)
nap() {
	read -r -t "$1" -u "$_lib_nap_fd"
	return 0
}

# python3 for the snippets that need the standard library only: without
# the site module (-S), which imports every .pth hook of the installed
# packages and costs more than the snippet itself in the emulated guest.
PY3=(/usr/bin/python3 -I -S)

# wait_for [-t SECONDS] CMD...: polls CMD until it succeeds (default 10 s
# of wall time, however long CMD itself takes).
wait_for() {
	local t=10 end
	if [ "$1" = -t ]; then
		t=$2
		shift 2
	fi
	end=$((SECONDS + t))
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		nap 0.1
	done
	"$@"
}

# bg_start CMD...: CMD in the background, killed at exit; its pid in BG_PID.
bg_start() {
	"$@" &
	BG_PID=$!
	_lib_pids+=("$BG_PID")
}

# bg_stop PID: stops one background job now.
bg_stop() {
	_lib_kill_tree "$1"
	wait "$1" 2>/dev/null
	return 0
}

# monitor_start NS FILE [OPTION...]: "esptun [OPTION...] monitor" in NS,
# events to FILE and its own messages to FILE.err, killed at exit (pid in
# BG_PID); returns once it has joined the events group, so no event that
# follows is missed.
monitor_start() {
	local n=$1 f=$2
	shift 2
	bg_start ip netns exec "$n" "$ESPTUN" "$@" monitor >"$f" 2>"$f.err"
	wait_for -t 20 grep -q "listening for events" "$f.err"
}

# ping_lost FILE [FROM TO]: requests of a "ping -D -O" log that never got
# a reply (sent between the -D stamps FROM and TO, when given). -O says
# "no answer yet" for any reply slower than the interval: a late reply
# that came after all is not a lost ping.
ping_lost() {
	awk -v a="${2:-0}" -v b="${3:-1e12}" '
	/no answer yet/ { t = substr($1, 2, length($1) - 2) + 0
		if (t >= a && t < b && match($0, /icmp_seq=[0-9]+/))
			late[substr($0, RSTART + 9, RLENGTH - 9)] = 1 }
	/bytes from/ && match($0, /icmp_seq=[0-9]+/) {
		got[substr($0, RSTART + 9, RLENGTH - 9)] = 1 }
	END { for (q in late) if (!(q in got)) n++; print n + 0 }' "$1"
}

# rand_file PATH KIB: PATH filled with KIB KiB of random bytes.
rand_file() {
	head -c $(($2 * 1024)) /dev/urandom >"$1"
}

# --- network namespaces ---------------------------------------------------

# netns_new NAME: a namespace with lo up, deleted at exit.
netns_new() {
	# Tested first: deleting starts ip, and the runner leaves none.
	[ -e "/run/netns/$1" ] && ip netns del "$1" 2>/dev/null
	ip netns add "$1" || return 1
	_lib_netns+=("$1")
	ip -n "$1" link set lo up
}

# veth_pair NS1 IF1 NS2 IF2: a veth between two namespaces, both ends up.
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up &&
		ip -n "$3" link set "$4" up
}

# ns NAME CMD...: CMD inside namespace NAME.
ns() {
	local n=$1
	shift
	ip netns exec "$n" "$@"
}

# tcpdump_start NS IFACE FILE [FILTER...]: capture to FILE until
# tcpdump_stop FILE; returns once tcpdump listens. --immediate-mode, or the
# last packets are lost when it stops.
declare -A _lib_tcpdump
tcpdump_start() {
	local n=$1 dev=$2 file=$3
	shift 3
	ip netns exec "$n" tcpdump -i "$dev" -Z root -U --immediate-mode -n \
		-w "$file" "$@" 2>"$file.log" &
	_lib_tcpdump[$file]=$!
	_lib_pids+=($!)
	wait_for -t 10 grep -q "listening on" "$file.log"
}

tcpdump_stop() {
	local pid=${_lib_tcpdump[$1]:-}
	[ -n "$pid" ] || return 1
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "_lib_tcpdump[$1]"
	return 0
}

# --- module ---------------------------------------------------------------

# module_load: inserts $KMOD from the build tree, as the README says to;
# nothing when loaded already.
module_load() {
	[ -d /sys/module/esptun ] && return 0
	if [ ! -f "$KMOD" ]; then
		echo "module_load: $KMOD not built" >&2
		return 1
	fi
	insmod "$KMOD"
}

module_unload() {
	[ -d /sys/module/esptun ] || return 0
	rmmod esptun
}

# --- kernel log -----------------------------------------------------------

# dmesg_mark: remembers this point of the kernel log.
dmesg_mark() {
	_lib_dmesg_mark="esptun-selftest mark $TEST_NAME $$ $RANDOM$RANDOM"
	echo "$_lib_dmesg_mark" >/dev/kmsg
}

# dmesg_since_mark: the kernel log after the last dmesg_mark.
dmesg_since_mark() {
	dmesg | awk -v m="$_lib_dmesg_mark" 'f { print } index($0, m) { f = 1 }'
}

# dmesg_clean_since_mark: fails, printing them, when lines after the mark
# show a bug, warning or oops.
dmesg_clean_since_mark() {
	! dmesg_since_mark | grep -E "$KLOG_BAD"
}
