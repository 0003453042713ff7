#!/usr/bin/env bash
# Host test of dkms.conf: `dkms add` of a copy of the tree's sources (as
# README's `dkms add .` in a fresh checkout), `dkms build` for the
# installed kernel headers, then the built esptun.ko, its vermagic,
# `dkms status` and `dkms remove`. Everything DKMS writes goes to a private
# tree under a temporary directory, signing key included; the machine's
# DKMS tree and /usr/src are left alone. The module build is most of the
# time (about 20 s on two idle cores); the timeout allows for a busy host.
# selftest-timeout: 300
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "$0")/tap.sh"
echo "TAP version 13"

# The kernel build tree the top-level Makefile picks: the running kernel's,
# else the newest Debian headers.
kdir=/lib/modules/$(uname -r)/build
if [ ! -f "$kdir/Makefile" ]; then
	kdir=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' | sort -V | tail -n1)
fi
if ! command -v dkms >/dev/null; then
	echo "1..0 # SKIP dkms is not installed (tools/deps.sh installs it)"
	exit 0
elif [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP dkms add of a source tree needs root"
	exit 0
elif ! git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	echo "1..0 # SKIP not a git checkout: its sources are not known apart"
	exit 0
elif [ -z "$kdir" ] || [ ! -f "$kdir/Makefile" ]; then
	echo "1..0 # SKIP no kernel headers installed"
	exit 0
fi
kdir=$(readlink -f "$kdir")
# The release the headers build for (Debian's kernel.release file holds
# the upstream version instead).
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null)
if [ -z "$kver" ]; then
	echo "1..0 # SKIP $kdir has no include/generated/utsrelease.h"
	exit 0
fi
arch=$(uname -m)

# Name and version as DKMS reads them from dkms.conf.
# shellcheck disable=SC1091
read -r name version < <(set +u; . "$TOP/dkms.conf"; echo "$PACKAGE_NAME $PACKAGE_VERSION")

echo "1..7"

# Sources only, as lint takes them (what git tracks or would track): a
# build in the working tree must not leak into what DKMS builds.
src=$tmp/esptun
mkdir -p "$src" "$tmp/dkms" "$tmp/usr-src" "$tmp/modules" "$tmp/tmp"
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
	sort -zu | xargs -0 cp --parents -t "$src")

export TMPDIR=$tmp/tmp
# DKMS signs what it builds, creating the key when missing: here, not in
# the system's DKMS tree (unless /etc/dkms/framework.conf names one).
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
TREES=(--dkmstree "$tmp/dkms" --sourcetree "$tmp/usr-src" --installtree "$tmp/modules")
system() { ls -A /var/lib/dkms 2>&1; ls -d /usr/src/"$name"-* 2>&1; }
before=$(system)

# log NAME: the last lines of a dkms run's output, for a not_ok.
log() { tail -n 15 "$tmp/$1.log" | tr '\n' '|'; }

if dkms add "$src" "${TREES[@]}" >"$tmp/add.log" 2>&1 &&
	[ -f "$tmp/usr-src/$name-$version/dkms.conf" ]; then
	ok "dkms add copies the tree to $name-$version"
else
	not_ok "dkms add copies the tree to $name-$version" "$(log add)"
fi

if dkms build "$name/$version" -k "$kver" --kernelsourcedir "$kdir" \
	"${TREES[@]}" >"$tmp/build.log" 2>&1; then
	ok "dkms build for $kver"
else
	# make.log stays in the build directory when the build fails.
	not_ok "dkms build for $kver" "$(log build)" \
		"$(tail -n 15 "$tmp/dkms/$name/$version/build/make.log" 2>/dev/null | tr '\n' '|')"
fi

ko=$(find "$tmp/dkms/$name/$version/$kver/$arch/module" -name 'esptun.ko*' 2>/dev/null | head -n1)
if [ -n "$ko" ] && [ "$(modinfo -F name "$ko")" = esptun ]; then
	ok "esptun.ko built"
else
	not_ok "esptun.ko built" "$(find "$tmp/dkms" -name '*.ko*' | tr '\n' ' ')"
fi

# The kernel's own modules carry the whole vermagic string to compare with
# when they are installed; the headers alone give the release.
magic=$(modinfo -F vermagic "$ko" 2>/dev/null)
ref=$(find "/lib/modules/$kver/kernel" -name '*.ko*' 2>/dev/null | head -n1)
want=$kver
[ -n "$ref" ] && want=$(modinfo -F vermagic "$ref")
if [ "${magic%% *}" = "$kver" ] && { [ -z "$ref" ] || [ "$magic" = "$want" ]; }; then
	ok "vermagic is the kernel's: $magic"
else
	not_ok "vermagic is the kernel's" "got '$magic', want '$want'"
fi

status=$(dkms status "${TREES[@]}" 2>&1)
if grep -qxF "$name/$version, $kver, $arch: built" <<<"$status"; then
	ok "dkms status shows it built"
else
	not_ok "dkms status shows it built" "$status"
fi

# Built only, never installed: remove takes nothing out of /lib/modules.
if dkms remove "$name/$version" --all "${TREES[@]}" >"$tmp/remove.log" 2>&1 &&
	[ ! -e "$tmp/dkms/$name" ] && [ -z "$(dkms status "${TREES[@]}" 2>&1)" ]; then
	ok "dkms remove --all empties the DKMS tree"
else
	not_ok "dkms remove --all empties the DKMS tree" "$(log remove)"
fi

after=$(system)
if [ "$before" = "$after" ]; then
	ok "the system's DKMS tree and /usr/src/$name-* untouched"
else
	not_ok "the system's DKMS tree and /usr/src/$name-* untouched" \
		"$(diff <(echo "$before") <(echo "$after") | tr '\n' '|')"
fi

exit "$failed"
