#!/usr/bin/env bash
# `make lint`: checkpatch --strict on every source file of kmod/ and uapi/,
# the module built from scratch with W=1 (any compiler or modpost warning
# fails), userspace built with -Werror. Exits non-zero on any finding.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
CHECKPATCH=$TOP/.cache/linux-source/scripts/checkpatch.pl

# Checks that make no sense for files outside the kernel tree:
# FILE_PATH_CHANGES asks for MAINTAINERS updates; LINUX_VERSION_CODE is
# how an out-of-tree module supports several kernels (kmod/compat.h).
IGNORE=FILE_PATH_CHANGES,LINUX_VERSION_CODE

status=0
fail() {
	echo "lint: $*" >&2
	status=1
}

[ -x "$CHECKPATCH" ] || tools/deps.sh >&2 || exit 1

# Sources only: what git tracks or would track (build products are ignored).
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- kmod uapi |
	sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
if [ ${#files[@]} -gt 0 ]; then
	if ! perl "$CHECKPATCH" --no-tree --strict --terse --show-types \
		--ignore "$IGNORE" -f "${files[@]}"; then
		fail "checkpatch found issues"
	fi
fi

# W=1 warnings only show when a file is compiled: build a private copy.
if compgen -G 'kmod/*.c' >/dev/null; then
	kdir=$(make -s --no-print-directory -f Makefile -f - print-kdir <<'EOF'
print-kdir:
	@echo $(KDIR)
EOF
	)
	mkdir -p "$TOP/build"
	tmp=$(mktemp -d "$TOP/build/lint-kmod.XXXXXX")
	cp -r Kbuild kmod uapi "$tmp/"
	find "$tmp" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
		-o -name modules.order -o -name Module.symvers \) -delete
	if ! make -j"$(nproc)" -C "$kdir" M="$tmp" W=1 modules >"$tmp/build.log" 2>&1; then
		cat "$tmp/build.log" >&2
		fail "module build failed"
	elif grep -E 'warning:|WARNING:' "$tmp/build.log" >&2; then
		fail "module build (W=1) has warnings"
	fi
	rm -rf "$tmp"
fi

# Userspace: the Makefiles build with -Wall -Wextra -Werror; lib/ first,
# the others link it.
for d in lib agent tools selftests; do
	if [ -f "$d/Makefile" ] && ! make -s -C "$d" >/dev/null; then
		fail "$d does not build cleanly"
	fi
done

[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
