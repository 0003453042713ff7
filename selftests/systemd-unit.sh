#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptund.service as `make install` writes it, with its whole sandbox,
# run by systemd: systemd is PID 1 of new PID, mount and network
# namespaces (a private /run, a cgroup2 subtree of its own) and boots a
# target of this test from a unit path that holds only the unit and
# empty stand-ins for the targets it is ordered after, so no unit of the
# guest's own system starts. Then, through systemctl:
#  - start: active, and `esptun ike status` answers on the default
#    socket, /run/esptun/esptund.sock, in a directory of mode 0700;
#  - SIGSEGV to the main process: restarted (Restart=on-failure), a new
#    MainPID, NRestarts 1, answering again;
#  - a conn added to the file and `systemctl reload`: ExecReload's
#    `esptun ike reload` made esptund read it, same MainPID;
#  - `systemctl stop`: a clean exit, inactive;
#  - started again, SIGTERM to the main process: a clean exit outside a
#    stop is not restarted (on-failure, not always).
# The guest has no journal: a drop-in sends esptund's output to a file.
# ExecStartPre's modprobe fails (the module is not installed, the test
# loads it from the build tree) and is ignored, as the unit allows.
# About 12 s in the emulated guest (4 of them systemd's start), up to
# 50 s on a busy host.
source "$(dirname "$0")/lib.sh"

SYSTEMD=/lib/systemd/systemd
SBINDIR=/usr/local/sbin
CONF=/etc/esptun/esptund.conf
N_TESTS=21

ktap_plan $N_TESTS

skip_all() {
	local i
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "systemd-unit-$i" "$1"
	done
	ktap_finished
}

# It installs into /usr/local/sbin and /etc/esptun, harmless only on the
# guest's overlay: never on a host, where they may be a real install.
[ -d /run/esptun-vm ] || skip_all "installs over /usr/local/sbin and /etc/esptun: test guest only"
[ -x "$SYSTEMD" ] || skip_all "systemd is not installed"
module_load || skip_all "esptun.ko could not be loaded"

# Scratch on the guest's tmpfs, copied to the output directory at exit.
T=$(mktemp -d)
cleanup_add cp -r "$T/." "$TEST_OUT/"
UNITS=$T/units
mkdir -p "$UNITS/esptund.service.d" "$T/none"

# The unit as make install writes it, the programs where it names them.
sed "s|@SBINDIR@|$SBINDIR|g" "$TOP/agent/esptund.service" \
	>"$UNITS/esptund.service"
mkdir -p "$SBINDIR"
for p in "$ESPTUND" "$ESPTUN"; do
	[ -e "$SBINDIR/${p##*/}" ] || cleanup_add rm -f "$SBINDIR/${p##*/}"
	cp "$p" "$SBINDIR/"
done
printf '[Service]\nStandardOutput=append:%s\nStandardError=inherit\n' \
	"$T/esptund.log" >"$UNITS/esptund.service.d/log.conf"
for u in sysinit basic network-online shutdown selftest; do
	printf '[Unit]\nDefaultDependencies=no\n' >"$UNITS/$u.target"
done

# conf [NAME...]: a conn "peer" and the named ones, all listening.
conf() {
	local c i=0
	for c in peer "$@"; do
		printf '[conn %s]\ninterface = esp%d\nlocal = 127.0.0.1\n' \
			"$c" $((i++))
		printf 'remote = 127.0.0.%d\npsk = "systemd-unit"\n' $((i + 1))
		printf 'start = listen\n'
	done >"$CONF.new"
	chmod 0600 "$CONF.new"
	mv "$CONF.new" "$CONF"
}
if [ -d "${CONF%/*}" ]; then
	[ -e "$CONF" ] || cleanup_add rm -f "$CONF"
else
	cleanup_add rm -rf "${CONF%/*}"
fi
mkdir -p "${CONF%/*}"
conf

# Run by bash as PID 1 of the new namespaces, before it becomes systemd:
# its own cgroup (removed after the namespace is gone), a private /run,
# and /dev/null for a console, so that systemd's messages stay off the
# guest's.
CG=esptun-selftest-$$
boot() {
	mount -t cgroup2 cgroup2 /sys/fs/cgroup &&
		mkdir "/sys/fs/cgroup/$CG" &&
		echo $$ >"/sys/fs/cgroup/$CG/cgroup.procs" &&
		mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run &&
		mount --bind /dev/null /dev/console &&
		ip link set lo up || exit 1
	exec env -i container=esptun-selftest SYSTEMD_UNIT_PATH="$UNITS" \
		SYSTEMD_GENERATOR_PATH="$T/none" \
		SYSTEMD_ENVIRONMENT_GENERATOR_PATH="$T/none" \
		"$SYSTEMD" --system --unit=selftest.target --log-target=console
}
cg_remove() {
	unshare --mount --propagation private sh -c "
		mount -t cgroup2 cgroup2 /sys/fs/cgroup &&
		find /sys/fs/cgroup/$CG -depth -type d -exec rmdir -v {} +" \
		>"$T/cgroup.log" 2>&1
}
bg_start unshare --mount --propagation private --pid --fork --mount-proc \
	--net bash -c "$(declare -f boot); CG=$CG T=$T UNITS=$UNITS \
	SYSTEMD=$SYSTEMD; boot" >"$T/unshare.log" 2>&1
UNSHARE_PID=$BG_PID
cleanup_add cg_remove
SD=
sd_pid() {
	SD=$(pgrep -P "$UNSHARE_PID") && [ -n "$SD" ]
}
wait_for -t 30 sd_pid
# SIGKILL, as SIGTERM makes systemd execute itself again: with it, every
# process of its namespace goes.
cleanup_add eval '[ -z "$SD" ] || kill -KILL "$SD"; wait "$UNSHARE_PID"'

sc() { nsenter -t "$SD" -m -p systemctl "$@"; }
# The control socket at its default path, /run/esptun/esptund.sock, in
# systemd's mount namespace.
SOCK=/proc/$SD/root/run/esptun/esptund.sock

# props_are NAME=VALUE...: the unit has these properties now (one call:
# each costs a second or two in the emulated guest). Keeps the answer,
# with MainPID, in PROPS for prop.
props_are() {
	local kv names=(MainPID) got
	for kv in "$@"; do
		names+=("${kv%%=*}")
	done
	got=$(IFS=,; sc show -p "${names[*]}" esptund.service) || return 1
	PROPS=$got
	for kv in "$@"; do
		if [[ $'\n'$got$'\n' != *$'\n'"$kv"$'\n'* ]]; then
			printf 'want %s, have:\n%s\n' "$kv" "$got"
			return 1
		fi
	done
}

# prop NAME: its value in the last props_are's answer.
prop() {
	local l
	while IFS= read -r l; do
		[[ $l == "$1="* ]] && echo "${l#*=}"
	done <<<"$PROPS"
}

# status_has CONN: esptun ike status lists CONN.
status_has() {
	local out
	out=$("$ESPTUN" ike -s "$SOCK" status 2>&1) || { echo "$out"; return 1; }
	[[ $'\n'$out == *$'\n'"conn $1: "* ]] || { echo "$out"; return 1; }
}

# stopped_clean: esptund's last line is the one before its exit 0.
stopped_clean() {
	local l last=
	while IFS= read -r l; do
		last=$l
	done <"$T/esptund.log"
	[[ $last == *" info: esptund stopped" ]] || { echo "$last"; return 1; }
}

# What systemd and the unit said, after a failure.
why() {
	sc status --no-pager --lines=0 esptund.service 2>&1
	echo "--- esptund.log"
	tail -n 15 "$T/esptund.log" 2>&1
}

# check NAME CMD...: ktap_check with why()'s diagnostics on failure.
check() {
	local name=$1
	shift
	# Not in a subshell: props_are's PROPS is read afterwards.
	if "$@" >"$T/check.out" 2>&1; then
		ktap_ok "$name"
		return 0
	fi
	ktap_fail "$name" "$(printf '%s\n' "$*"; cat "$T/check.out"; why)"
	return 1
}

# restarted_from PID: running again, with a main process that is not PID.
restarted_from() {
	props_are SubState=running || return 1
	[ "$(prop MainPID)" -gt 1 ] && [ "$(prop MainPID)" != "$1" ]
}

# The bus socket first, with a builtin: polling systemctl would take
# CPU time from systemd's start.
sd_running() { [ "$(sc is-system-running)" = running ]; }
if ! ktap_check "systemd-boots" eval \
	'wait_for -t 60 test -S "/proc/$SD/root/run/systemd/private" &&
	wait_for -t 30 sd_running'; then
	ktap_diag "$(cat "$T/unshare.log" 2>&1)"
	for ((i = 1; i < N_TESTS; i++)); do
		ktap_skip "systemd-unit-$i" "systemd did not boot"
	done
	ktap_finished
fi

check "start" sc start esptund.service
check "start-running" props_are ActiveState=active SubState=running \
	NRestarts=0
pid1=$(prop MainPID)
check "start-status-answers" wait_for -t 10 status_has peer
check "runtime-dir-0700" test "$(stat -c %a "${SOCK%/*}")" = 700

# systemd signals the main process; it dies of it, a failure.
check "segv-sent" sc kill --kill-whom=main --signal=SEGV esptund.service
check "segv-restarted" wait_for -t 30 restarted_from "$pid1"
check "segv-nrestarts-1" props_are NRestarts=1
pid2=$(prop MainPID)
check "segv-status-answers" wait_for -t 10 status_has peer

conf second
check "reload-not-yet" eval 'status_has peer && ! status_has second'
check "reload" sc reload esptund.service
check "reload-read-conf" status_has second
check "reload-same-pid" props_are MainPID="$pid2" NRestarts=1 \
	SubState=running

# A stop: SIGTERM, inactive, exit 0. systemd forgets the exit status of
# a unit gone inactive; Result=success is exit 0 (1 would be exit-code)
# or death by SIGTERM, which esptund's last line rules out.
check "stop" sc stop esptund.service
check "stop-clean" props_are ActiveState=inactive SubState=dead \
	Result=success
check "stop-exit-logged" stopped_clean

# Exit 0 without a stop job: with on-failure, dead at once; with
# always, it would be in auto-restart and then running again.
check "restart-start" sc start esptund.service
check "restart-start-running" props_are ActiveState=active \
	SubState=running
check "term-sent" sc kill --kill-whom=main --signal=TERM \
	esptund.service
check "term-not-restarted" wait_for -t 30 props_are ActiveState=inactive \
	SubState=dead Result=success
check "term-exit-logged" stopped_clean

ktap_finished
