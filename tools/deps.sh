#!/usr/bin/env bash
# Installs what esptun builds and tests with on Debian 12, and unpacks the
# pieces that cannot be installed as packages into .cache/ of the tree.
# Fast no-op when everything is there already (one dpkg-query, no apt-get
# update), so `make check` and `make demo` can always call it.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$TOP/.cache

# The one list of Debian packages the project needs; add new ones here.
PACKAGES=(
	# build
	linux-headers-amd64 linux-source-6.1 libnl-genl-3-dev libnl-route-3-dev
	libgnutls28-dev nettle-dev libgmp-dev pkg-config libpcap-dev
	# dkms.conf's test builds the module the way DKMS does
	dkms
	# fuzzing: clang with libFuzzer and the sanitizers' runtimes
	clang libclang-rt-14-dev
	# guest
	linux-image-amd64 qemu-system-x86 busybox-static kmod cpio
	# tests
	iproute2 iperf3 iputils-ping socat tcpdump tshark python3-scapy
	# esp_inject.py seals ESP with chosen plaintext
	python3-cryptography
	wireguard-tools strongswan-charon strongswan-swanctl libnss3-tools
	nftables conntrack
	# memcheck on the agent's host unit tests
	valgrind
	# perf in the guest for the bench's profile
	linux-perf
	# routing daemons over the tunnels
	bird2 frr
	# the man pages' test (systemd-analyze is used when there)
	man-db groff-base
	# strongSwan's openssl plugin: ECP and Curve25519 for the interop tests
	libstrongswan-standard-plugins
	# strongSwan's xauth-generic plugin: the XAuth server of interop-xauth.sh
	libcharon-extauth-plugins
	# what the unpacked libreswan's pluto links with beyond the above
	libldns3 libunbound8 libevent-pthreads-2.1-7 libcurl3-nss
)

# What building the debug kernel of `make check-debug` needs besides
# (--debug-kernel only).
DEBUG_KERNEL_PACKAGES=(flex bison libelf-dev libssl-dev bc patch)

# Conflicts with strongSwan in Debian, so it is only unpacked, never installed.
UNPACKED=(libreswan)

LINUX_SOURCE_TAR=/usr/src/linux-source-6.1.tar.xz
# What lint and the C selftests take from the kernel tree.
LINUX_SOURCE_PARTS=(scripts tools/testing/selftests)

log() { printf 'deps: %s\n' "$*" >&2; }

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	log "apt-get update"
	apt-get update -qq
	apt_updated=1
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		log "must run as root to $*"
		exit 1
	fi
}

missing_packages() {
	# dpkg-query fails for packages it has never heard of (a fresh
	# machine): only what it prints as installed counts.
	local installed
	installed=$( (dpkg-query -W -f='${Package} ${db:Status-Status}\n' \
		"${PACKAGES[@]}" 2>/dev/null || true) | awk '$2 == "installed" { print $1 }')
	local p
	for p in "${PACKAGES[@]}"; do
		grep -qxF "$p" <<<"$installed" || echo "$p"
	done
}

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -eq 0 ] && return 0
	need_root "install: ${missing[*]}"
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine has no package lists yet: update once, only when
	# something is really missing.
	apt_update_once
	apt-get install -y -qq --no-install-recommends $SIMULATE "${missing[@]}"
}

# Unpacks a package that must not be installed into .cache/<name>/.
unpack_package() {
	local name=$1 dest=$CACHE/$1
	[ -e "$dest/.done" ] && return 0
	need_root "download $name"
	local tmp
	tmp=$(mktemp -d "$CACHE/.$name.XXXXXX")
	log "unpacking $name into $dest"
	if ! (cd "$tmp" && apt-get download -qq "$name" 2>/dev/null); then
		apt_update_once
		(cd "$tmp" && apt-get download -qq "$name")
	fi
	mkdir -p "$tmp/root"
	dpkg -x "$tmp"/"$name"_*.deb "$tmp/root"
	dpkg-deb -f "$tmp"/"$name"_*.deb Version >"$tmp/root/.done"
	rm -rf "$dest"
	mv "$tmp/root" "$dest"
	rm -rf "$tmp"
}

# Extracts the parts of the kernel source tree we use, once per
# linux-source-6.1 version.
extract_linux_source() {
	local dest=$CACHE/linux-source ver
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	[ "$(cat "$dest/.done" 2>/dev/null)" = "$ver" ] && return 0
	local tmp
	tmp=$(mktemp -d "$CACHE/.linux-source.XXXXXX")
	log "extracting ${LINUX_SOURCE_PARTS[*]} from $LINUX_SOURCE_TAR"
	tar -xJf "$LINUX_SOURCE_TAR" -C "$tmp" --strip-components=1 \
		"${LINUX_SOURCE_PARTS[@]/#/linux-source-6.1/}"
	echo "$ver" >"$tmp/.done"
	rm -rf "$dest"
	mv "$tmp" "$dest"
}

SIMULATE=
usage() {
	echo "usage: $0 [--dry-run] [--debug-kernel]" >&2
	echo "  --dry-run: apt-get -s, no unpacking" >&2
	echo "  --debug-kernel: also what building the debug kernel needs" >&2
	exit 2
}

main() {
	while [ $# -gt 0 ]; do
		case $1 in
		--dry-run) SIMULATE=-s ;;
		--debug-kernel) PACKAGES+=("${DEBUG_KERNEL_PACKAGES[@]}") ;;
		*) usage ;;
		esac
		shift
	done
	mkdir -p "$CACHE"
	# Several builds may start at once: one of them does the work.
	exec 9>"$CACHE/.deps.lock"
	flock 9
	install_packages
	[ -n "$SIMULATE" ] && return 0
	local p
	for p in "${UNPACKED[@]}"; do
		unpack_package "$p"
	done
	extract_linux_source
}

main "$@"
