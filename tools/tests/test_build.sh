#!/usr/bin/env bash
# Host test of the build entry points on a first run: the top-level
# Makefile and tools/check.sh in a skeleton tree whose dependency step
# (tools/deps.sh), kernel build tree, guest runner and userspace builds are
# stubs that record how they were called. The kernel build tree appears
# only when the stub dependency step runs, as on a fresh machine where
# tools/deps.sh installs the headers. Two tiny compiled tests, one leaking,
# go through check.sh's valgrind group.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "$0")/tap.sh"
# check NAME COND... : runs COND, reports with the recorded calls on failure.
check() {
	local name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name" "calls: $(tr '\n' '|' <"$LOG" 2>/dev/null)" \
			"output: $(tail -n 5 "$OUT" 2>/dev/null | tr '\n' '|')"
	fi
}

export LOG=$tmp/calls
OUT=$tmp/out
SYS=$tmp/sysroot
HDR=$SYS/usr/src/linux-headers-9.9.9-1-amd64

# A kernel build tree that only records what it was asked to do.
make_headers() {
	mkdir -p "$1"
	cat >"$1/Makefile" <<'MK'
modules modules_install clean:
	@echo "kbuild $(CURDIR) $@ M=$(M) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)" >>"$(LOG)"
MK
}

skeleton() {
	local s=$tmp/tree d
	rm -rf "$s" "$SYS"
	mkdir -p "$s/tools/vm" "$SYS"
	cp "$TOP/Makefile" "$TOP/tools/check.sh" "$s/" 2>/dev/null
	mv "$s/check.sh" "$s/tools/check.sh"
	for d in $(cd "$TOP" && ls -d */Makefile | xargs -n1 dirname); do
		mkdir -p "$s/$d"
		printf 'all clean list:\n\t@echo "userspace %s $@" >>"$(LOG)"\n' "$d" >"$s/$d/Makefile"
	done
	: >"$s/agent/esptund"
	: >"$s/tools/esptun"
	for d in agent/esptund.service agent/esptund.conf.example \
		agent/esptund.8 agent/esptund.conf.5 tools/esptun.8; do
		cp "$TOP/$d" "$s/$d"
	done
	cat >"$s/tools/deps.sh" <<EOF2
#!/bin/sh
echo deps >>"\$LOG"
mkdir -p "$HDR"
cp "$tmp/headers.mk" "$HDR/Makefile"
EOF2
	printf '#!/bin/sh\necho "vm $*" >>"$LOG"\n' >"$s/tools/vm/run"
	chmod +x "$s/tools/deps.sh" "$s/tools/vm/run" "$s/tools/check.sh"
	: >"$LOG"
	echo "$s"
}

make_headers "$tmp/proto"
mv "$tmp/proto/Makefile" "$tmp/headers.mk"

kbuild_called() { grep -qxF "kbuild $1 modules M=$2 INSTALL_MOD_PATH=" "$LOG"; }
deps_before_kbuild() {
	[ "$(grep -nE '^(deps|kbuild)' "$LOG" | head -n1 | cut -d: -f2)" = deps ]
}

echo "TAP version 13"
echo "1..24"

# 1-3: make demo with KDIR empty (as an outer make exports it) and unset.
s=$(skeleton)
env KDIR= SYSROOT="$SYS" make -s -C "$s" demo >"$OUT" 2>&1
check "demo with KDIR empty: deps first" deps_before_kbuild
check "demo with KDIR empty: module built against the headers deps installed" \
	kbuild_called "$HDR" "$s"
check "demo with KDIR empty: guest started" grep -q '^vm .*demo.sh' "$LOG"

s=$(skeleton)
env -u KDIR SYSROOT="$SYS" make -s -C "$s" bench >"$OUT" 2>&1
check "bench with KDIR unset: module built against the headers deps installed" \
	kbuild_called "$HDR" "$s"
check "bench with KDIR unset: guest started" grep -q '^vm .*bench.sh' "$LOG"

# make check: tools/check.sh runs the dependency step, then builds.
s=$(skeleton)
env KDIR= ESPTUN_CHECK=unit SYSROOT="$SYS" make -s -C "$s" check >"$OUT" 2>&1
rc=$?
check "check with KDIR empty: module built against the headers deps installed" \
	kbuild_called "$HDR" "$s"
check "check with KDIR empty: exits 0 with its summary line" \
	test "$rc" = 0 -a "$(tail -n1 "$OUT")" = "0 passed, 0 failed"

# The valgrind group: compiled tests under memcheck, one result each, a
# leak failing with valgrind's summary; shell tests left out.
if command -v valgrind >/dev/null && command -v cc >/dev/null; then
	s=$(skeleton)
	mkdir -p "$s/agent/tests" "$s/tools/tests"
	printf '#include <stdlib.h>\nint main(void) { return !malloc(10); }\n' |
		cc -g -x c -o "$s/agent/tests/test_leak" -
	printf 'int main(void) { return 0; }\n' |
		cc -g -x c -o "$s/agent/tests/test_clean" -
	printf '#!/bin/sh\necho "1..0"\n' >"$s/tools/tests/test_sh.sh"
	chmod +x "$s/tools/tests/test_sh.sh"
	env KDIR= ESPTUN_CHECK=valgrind SYSROOT="$SYS" make -s -C "$s" check >"$OUT" 2>&1
	rc=$?
	check "valgrind: a clean program passes" \
		grep -qxF "ok - valgrind: test_clean: no leak, no memory error" "$OUT"
	check "valgrind: a leak fails, with valgrind's summary" \
		bash -c "grep -qxF 'not ok - valgrind: test_leak: no leak, no memory error' '$OUT' &&
			grep -qxF '#   definitely lost: 10 bytes in 1 blocks' '$OUT'"
	check "valgrind: shell tests are left out" \
		bash -c "! grep -q 'valgrind: test_sh' '$OUT'"
	check "valgrind: counted, and make check fails" \
		bash -c "[ $rc != 0 ] && grep -qxF '1 passed, 1 failed' '$OUT'"
else
	for t in "a clean program passes" "a leak fails, with valgrind's summary" \
		"shell tests are left out" "counted, and make check fails"; do
		skip "valgrind: $t" "needs valgrind and cc (tools/deps.sh)"
	done
fi

# No kernel build tree anywhere: one line naming the package and KDIR=.
s=$(skeleton)
env KDIR= SYSROOT="$SYS" make -s -C "$s" module >"$OUT" 2>&1
rc=$?
check "module without a kernel build tree fails" test "$rc" != 0
check "module without a kernel build tree names the package and KDIR=" \
	grep -q 'linux-headers-.*KDIR=' "$OUT"
check "module without a kernel build tree: no make 'No such file'" \
	bash -c "! grep -q 'No such file' '$OUT'"

# An explicit KDIR wins over the search.
s=$(skeleton)
make_headers "$tmp/custom"
mkdir -p "$HDR" && cp "$tmp/headers.mk" "$HDR/Makefile"
env KDIR="$tmp/custom" SYSROOT="$SYS" make -s -C "$s" module >"$OUT" 2>&1
check "module with KDIR set uses it" kbuild_called "$tmp/custom" "$s"

# The running kernel's build tree is preferred to Debian's newest headers.
s=$(skeleton)
mkdir -p "$HDR" && cp "$tmp/headers.mk" "$HDR/Makefile"
make_headers "$SYS/lib/modules/$(uname -r)/build"
env -u KDIR SYSROOT="$SYS" make -s -C "$s" module >"$OUT" 2>&1
check "module prefers the running kernel's build tree" \
	kbuild_called "$SYS/lib/modules/$(uname -r)/build" "$s"

# make install with DESTDIR: modules_install into it, programs too, no depmod.
s=$(skeleton)
mkdir -p "$HDR" && cp "$tmp/headers.mk" "$HDR/Makefile"
env -u KDIR SYSROOT="$SYS" make -s -C "$s" install DESTDIR="$tmp/dest" >"$OUT" 2>&1
check "install with DESTDIR: modules_install into DESTDIR" \
	grep -qxF "kbuild $HDR modules_install M=$s INSTALL_MOD_PATH=$tmp/dest" "$LOG"
check "install with DESTDIR: both programs installed" \
	test -x "$tmp/dest/usr/local/sbin/esptund" -a -x "$tmp/dest/usr/local/sbin/esptun"
unit=$tmp/dest/lib/systemd/system/esptund.service
check "install with DESTDIR: unit runs the installed programs" \
	grep -qxF 'ExecStart=/usr/local/sbin/esptund -f -c /etc/esptun/esptund.conf' "$unit"
check "install with DESTDIR: no @SBINDIR@ left in the unit" \
	bash -c "grep -q '^ExecReload=/usr/local/sbin/esptun ike reload\$' '$unit' && ! grep -q @SBINDIR@ '$unit'"
check "install with DESTDIR: man pages" \
	test -f "$tmp/dest/usr/local/share/man/man8/esptun.8" \
	-a -f "$tmp/dest/usr/local/share/man/man8/esptund.8" \
	-a -f "$tmp/dest/usr/local/share/man/man5/esptund.conf.5"
check "install with DESTDIR: example configuration, mode 0600" \
	test "$(stat -c %a "$tmp/dest/etc/esptun/esptund.conf.example" 2>/dev/null)" = 600
check "install with DESTDIR: no esptund.conf created" \
	test ! -e "$tmp/dest/etc/esptun/esptund.conf"

# lib/parse.c and lib/isakmp/parse.c are both parse.o in the archive: a
# rebuild after both changed must hold what each has now.
L=$tmp/src/lib
mkdir -p "$tmp/src"
cp -r "$TOP/lib" "$TOP/uapi" "$tmp/src/"
rm -f "$L"/*.o "$L"/isakmp/*.o "$L"/libesptun.a
make -s -C "$L" >"$OUT" 2>&1
# Two rebuilds: the first moves the members, the second lost the change.
touch "$L/parse.c" "$L/isakmp/parse.c"
make -s -C "$L" >>"$OUT" 2>&1
echo 'int new_in_isakmp_parse(void); int new_in_isakmp_parse(void) { return 1; }' \
	>>"$L/isakmp/parse.c"
touch "$L/parse.c"
make -s -C "$L" >>"$OUT" 2>&1
syms() {
	nm "$L/libesptun.a" 2>/dev/null |
		grep -cE ' T (new_in_isakmp_parse|isakmp_parse_hdr|parse_addr)$'
}
check "libesptun.a rebuilt after both parse.c changed: both members current" \
	test "$(syms)" = 3

exit "$failed"
