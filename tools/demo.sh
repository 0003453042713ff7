#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Two sites joined by esptun, keyed by esptund with IKEv1 ("make demo" runs
# this in the test guest):
#
#   netns site-a                                          netns site-b
#   host 10.1.0.1/24 on lan-a         (the "Internet")    lan-b 10.2.0.1/24
#   esp0 --- wan-a 198.51.100.1 ========== 198.51.100.2 wan-b --- esp0
#   route 10.2.0.0/24 dev esp0                  route 10.1.0.0/24 dev esp0
#   esptund: start = initiate                       esptund: start = listen
#
# Each site runs its own esptund; site A negotiates Main Mode and Quick Mode
# (PSK, AES-256/SHA-256/MODP-2048, ESP AES-256-GCM with PFS) with site B.
# Shows the negotiation from both daemons' logs, "esptun ike status", ESP
# on the wire, pings both ways, a file with matching SHA-256 and the
# counters. Exits non-zero when a step fails; the daemons (SIGTERM: Deletes
# sent, SAs removed) and the namespaces go away at exit.
source "$(dirname "$0")/../selftests/lib.sh"

RUN=/run/esptun-demo
PSK=demo-psk-$RANDOM$RANDOM
IKE=aes256-sha256-modp2048
ESP=aes256gcm16-modp2048
declare -A DAEMON

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}

# prompt NS TEXT: a command line as a shell in NS would show it.
prompt() {
	printf '\033[2m%s#\033[0m %s\n' "$1" "$2"
}

# at NS CMD...: shows "NS# CMD" and runs CMD in NS, talking to that site's
# esptund, with the CLI and the daemon on PATH.
at() {
	local n=$1
	shift
	prompt "$n" "$*"
	ip netns exec "$n" env ESPTUN_CONTROL="$RUN/$n.sock" \
		PATH="$TOP/tools:$TOP/agent:$PATH" "$@"
}

die() {
	printf '\n\033[1;31mdemo: %s\033[0m\n' "$*" >&2
	for n in site-a site-b; do
		if [ -s "$RUN/$n.log" ]; then
			echo "--- last lines of esptund on $n:" >&2
			tail -n 15 "$RUN/$n.log" >&2
		fi
	done
	exit 1
}

# The esptund configuration of one site: conf SITE LOCAL REMOTE PEER
# START LOCAL_NET REMOTE_NET.
conf() {
	cat >"$RUN/$1.conf" <<-EOF
	[global]
	log = info
	control = $RUN/$1.sock

	[conn $4]
	interface = esp0
	local = $2
	remote = $3
	auth = psk
	psk = "$PSK"
	mode = main
	ike = $IKE
	esp = $ESP
	ike-lifetime = 8h
	lifetime = 1h
	start = $5
	local-ts = $6
	remote-ts = $7
	EOF
	chmod 600 "$RUN/$1.conf"
}

# daemon_start SITE: esptund in the site's netns, its log in $RUN/SITE.log.
daemon_start() {
	rm -f "$RUN/$1.sock"
	ip netns exec "$1" "$ESPTUND" -f -c "$RUN/$1.conf" >"$RUN/$1.log" 2>&1 &
	DAEMON[$1]=$!
	wait_for -t 10 test -S "$RUN/$1.sock" >/dev/null 2>&1 ||
		die "esptund on $1 did not start"
}

# SIGTERM: the daemon sends Deletes and removes its SAs.
daemons_stop() {
	local n
	for n in site-a site-b; do
		[ -n "${DAEMON[$n]:-}" ] || continue
		kill -TERM "${DAEMON[$n]}" 2>/dev/null
		wait "${DAEMON[$n]}" 2>/dev/null
		unset "DAEMON[$n]"
	done
	cp "$RUN"/*.log "$TEST_OUT/" 2>/dev/null
	rm -rf "$RUN"
}

# sa_up SITE: the site's conn has an IPsec SA (QM_ACTIVE).
sa_up() {
	ip netns exec "$1" "$ESPTUN" ike -s "$RUN/$1.sock" status 2>/dev/null |
		grep -q '^ *child QM_ACTIVE:'
}

# sas_wait SECONDS: until both sites have their IPsec SA; fails at once when
# a daemon exits or logs an error (e.g. a pre-shared key mismatch).
sas_wait() {
	local end=$((SECONDS + $1)) n
	while :; do
		sa_up site-a && sa_up site-b && return 0
		for n in site-a site-b; do
			kill -0 "${DAEMON[$n]}" 2>/dev/null ||
				die "esptund on $n exited"
			grep -q '^[0-9:.]* error: ' "$RUN/$n.log" &&
				die "esptund on $n failed to negotiate"
		done
		[ $SECONDS -lt $end ] || die "no IPsec SA within $1 s"
		sleep 0.2
	done
}

say "Loading esptun and building two sites"
module_load || die "esptun.ko could not be loaded"
rm -rf "$RUN"
mkdir -p "$RUN" && chmod 700 "$RUN" || die "cannot create $RUN"
cleanup_add daemons_stop
netns_new site-a && netns_new site-b || die "cannot create the namespaces"
veth_pair site-a wan-a site-b wan-b || die "cannot create the veth pair"
ip -n site-a addr add 198.51.100.1/24 dev wan-a &&
	ip -n site-b addr add 198.51.100.2/24 dev wan-b || die "WAN addresses"
# The LAN of each site is a dummy interface holding the site's address.
ip -n site-a link add lan-a type dummy && ip -n site-a link set lan-a up &&
	ip -n site-b link add lan-b type dummy && ip -n site-b link set lan-b up &&
	ip -n site-a addr add 10.1.0.1/24 dev lan-a &&
	ip -n site-b addr add 10.2.0.1/24 dev lan-b || die "LAN addresses"

say "esptun devices and routes to the other site's LAN (no SA yet)"
for n in site-a site-b; do
	at $n ip link add esp0 type esptun || die "ip link add esp0 on $n"
	# No IPv6 inside: router solicitations would only add noise.
	ip netns exec $n sysctl -qw net.ipv6.conf.esp0.disable_ipv6=1
	ip -n $n link set esp0 up || die "esp0 up on $n"
done
at site-a ip route add 10.2.0.0/24 dev esp0 src 10.1.0.1 || die "route on site-a"
at site-b ip route add 10.1.0.0/24 dev esp0 src 10.2.0.1 || die "route on site-b"

say "esptund configuration (site B's mirrors it, with start = listen)"
conf site-a 198.51.100.1 198.51.100.2 site-b initiate 10.1.0.0/24 10.2.0.0/24
conf site-b 198.51.100.2 198.51.100.1 site-a listen 10.2.0.0/24 10.1.0.0/24
sed 's/^/    /' "$RUN/site-a.conf"

# The first AES-GCM SA costs a second or more under emulation (modules
# load, the transform gets instantiated): pay that before the negotiation,
# not in the middle of Quick Mode against the initiator's retransmit timer.
warmup() {
	local k
	k=0x$(printf '%072x' 1)
	ip netns add demo-warmup || return
	ip -n demo-warmup xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp \
		spi 0x1001 mode tunnel aead 'rfc4106(gcm(aes))' "$k" 128
	ip netns del demo-warmup
}
warmup

say "Starting esptund: site B listens, site A initiates"
prompt site-b "esptund -f -c $RUN/site-b.conf &"
daemon_start site-b
prompt site-a "esptund -f -c $RUN/site-a.conf &"
t0=$(date +%s%N)
daemon_start site-a
sas_wait 60
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'IPsec SA up after %d.%03d s\n' $((ms / 1000)) $((ms % 1000))

say "The negotiation, as both daemons logged it (Main Mode, then Quick Mode)"
{
	sed 's/^/site-a  /' "$RUN/site-a.log"
	sed 's/^/site-b  /' "$RUN/site-b.log"
} | sort -s -k2,2

say "IKE and IPsec SAs on both sides"
at site-a esptun ike status || die "esptun ike status on site-a"
echo
at site-b esptun ike status || die "esptun ike status on site-b"

say "Pings between the LANs, both ways"
at site-a ping -c 4 -i 0.3 -W 2 10.2.0.1 || die "ping from site A to site B failed"
echo
at site-b ping -c 3 -i 0.3 -W 2 10.1.0.1 || die "ping from site B to site A failed"

say "What crosses the WAN is ESP"
cap=$RUN/tcpdump.err
prompt site-b "tcpdump -i wan-b -n -c 4 --immediate-mode esp"
ip netns exec site-b timeout 20 tcpdump -i wan-b -n -c 4 --immediate-mode esp \
	2>"$cap" &
dump=$!
wait_for -t 10 grep -q "listening on" "$cap" >/dev/null ||
	die "tcpdump did not start: $(cat "$cap")"
ip netns exec site-a ping -q -c 2 -i 0.3 -W 2 10.2.0.1 >/dev/null ||
	die "ping during the capture failed"
wait "$dump" || die "tcpdump did not see 4 ESP packets"

say "A 512 KiB file from site A to site B over TCP"
rand_file "$RUN/file" 512
ip netns exec site-b timeout 60 socat -u TCP-LISTEN:7000,reuseaddr \
	"OPEN:$RUN/file.recv,creat,trunc" &
rx=$!
wait_for -t 5 sh -c "ip netns exec site-b ss -Hltn | grep -q ':7000 '" ||
	die "receiver did not listen"
prompt site-a "socat -u OPEN:file TCP:10.2.0.1:7000"
ip netns exec site-a timeout 60 socat -u "OPEN:$RUN/file" TCP:10.2.0.1:7000 ||
	die "sending the file failed"
wait "$rx" || die "receiving the file failed"
sent=$(sha256sum <"$RUN/file" | cut -d' ' -f1)
got=$(sha256sum <"$RUN/file.recv" | cut -d' ' -f1)
echo "sent     sha256 $sent"
echo "received sha256 $got"
[ "$sent" = "$got" ] || die "the file differs"

say "Counters"
at site-a esptun show || die "esptun show on site-a"
echo
at site-b esptun show || die "esptun show on site-b"
echo
at site-a ip -s link show esp0

say "Done: IKEv1 brought the tunnel up; pings and the file went through it"
