#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# Rekeying under traffic, three tunnels side by side, each in its own
# pair of namespaces, all with lifetime = 30s:
#   S  esptund initiates and rekeys (margin 10 s) against strongSwan,
#      which reauthenticates its IKE_SA every 40 s (a new Main Mode);
#   L  libreswan initiates and rekeys (rekeymargin 10 s), esptund
#      follows with rekey = no;
#   E  esptund against esptund with identical timers and no fuzz, so
#      both ends rekey at once, ike-lifetime = 60s for a phase 1 rekey.
# A ping every 50 ms runs through each for the whole soak (and an iperf3
# TCP flow through S for part of it): not one ping may be lost. Then
# each tunnel has been rekeyed at least twice, with new SPIs each time,
# and ends with exactly one SA per direction in both kernels and in the
# peer's own listing. ESP and IKE on each path are captured to
# $TEST_OUT for whoever has to tell which packet went missing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=ike-rekey-key
SOAK=55					# seconds of traffic
PINGS=$((SOAK * 20))
IFID=42
LSW_IF=7
N_TESTS=20

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "rekey-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
[ -x /usr/lib/ipsec/charon ] || skip_all "strongSwan's charon is not installed"
why=$(lsw_available) || skip_all "$why"
command -v iperf3 >/dev/null || skip_all "iperf3 is not installed"

# pair_topo NS1 NS2: the usual two addresses on a veth between them.
pair_topo() {
	netns_new "$1" && netns_new "$2" || return 1
	veth_pair "$1" veth1 "$2" veth2 || return 1
	ip -n "$1" addr add $IKE_ADDR1/24 dev veth1
	ip -n "$2" addr add $IKE_ADDR2/24 dev veth2
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$2" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}

ike_warmup
pair_topo rs1 rs2 && pair_topo rl1 rl2 && pair_topo re1 re2 || exit 1
cleanup_add ike_cleanup
ike_xfrmi rs2 xfrm$IFID $IFID veth2 $IKE_IN2 $IKE_IN1

# Everything up: S by esptund, L by pluto, E by c.
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16-modp2048 listen lifetime=30s rekey-margin=10s
esptund_conf b $IKE_ADDR1 $IKE_ADDR2 $PSK aes256-sha256-modp2048 \
	aes128-sha1-modp2048 listen lifetime=30s rekey=no
esptund_conf c $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen lifetime=30s rekey-margin=10s rekey-fuzz=0% \
	ike-lifetime=60s
esptund_conf d $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen lifetime=30s rekey-margin=10s rekey-fuzz=0% \
	ike-lifetime=60s
SWAN_REAUTH=40s SWAN_CHILD_REKEY=1h SWAN_CHILD_LIFE=2h
LSW_SALIFETIME=30s LSW_REKEY=yes LSW_REKEYMARGIN=10s LSW_REKEYFUZZ=100%
export SWAN_REAUTH SWAN_CHILD_REKEY SWAN_CHILD_LIFE
export LSW_SALIFETIME LSW_REKEY LSW_REKEYMARGIN LSW_REKEYFUZZ
if swan_start rs2 >"$IKE_DIR/start.out" 2>&1 &&
   swan_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16-modp2048 $IFID >>"$IKE_DIR/start.out" 2>&1 &&
   lsw_start rl2 $IKE_ADDR2 $IKE_ADDR1 $PSK aes256-sha2_256-modp2048 \
	"aes128-sha1;modp2048" yes $LSW_IF >>"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a rs1 >>"$IKE_DIR/start.out" 2>&1 &&
   esptund_start b rl1 >>"$IKE_DIR/start.out" 2>&1 &&
   esptund_start c re1 >>"$IKE_DIR/start.out" 2>&1 &&
   esptund_start d re2 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner rs1 $IKE_IN1 $IKE_IN2
esptund_inner rl1 $IKE_IN1 $IKE_IN2
esptund_inner re1 $IKE_IN1 $IKE_IN2
esptund_inner re2 $IKE_IN2 $IKE_IN1

up_all() {
	eike a up -t 60 peer && eike c up -t 60 peer && lsw_up &&
		wait_for -t 20 esptund_spis b
}
if ktap_check "all-up" up_all; then
	lsw_inner $LSW_IF $IKE_IN2 $IKE_IN1
else
	ktap_diag "$(eike a status; eike b status; eike c status)"
fi

# What the peer's kernel saw, for a tunnel that passes nothing.
swan_diag() {
	ip -n rs2 -s xfrm state
	ip -n rs2 xfrm policy
	ip netns exec rs2 cat /proc/net/xfrm_stat
	ip -n rs2 -s link show xfrm$IFID
	ip -n rs2 route
}
if ! ktap_check "strongswan-ping-before-soak" ike_ping rs1 $IKE_IN2 3; then
	swan_diag >"$TEST_OUT/swan-diag.txt" 2>&1
	ktap_diag "$(cat "$TEST_OUT/swan-diag.txt")"
fi

for p in s l e; do
	tcpdump_start r${p}1 veth1 "$TEST_OUT/$p.pcap" -s 96 \
		esp or udp port 500 || ktap_diag "no capture on pair $p"
done

# The SPI pairs each esptund uses, every second, one per line.
sample_spis() {
	local end=$((SECONDS + SOAK)) n
	while ((SECONDS < end)); do
		for n in a b c d; do
			esptund_spis $n >>"$IKE_DIR/spis.$n" 2>/dev/null
		done
		sleep 1
	done
}

# The daemons' logs, kept current in $TEST_OUT even if the test is cut
# short.
keep_logs() {
	while sleep 5; do
		cp "$SWAN_DIR"/charon.log "$LSW_DIR"/pluto.log "$IKE_DIR"/*.log \
			"$TEST_OUT/" 2>/dev/null
	done
}
bg_start keep_logs

# Soak: pings through every tunnel, iperf3 through S for a while.
# Exactly $PINGS each, no deadline: with one, ping stops sending once
# $PINGS replies are in and counts its replies still in flight as lost;
# without, it waits for the last ones (twice the longest round trip).
ip netns exec rs2 iperf3 -s -1 -D -I "$IKE_DIR/iperf3.pid" >/dev/null 2>&1
for p in s l e; do
	bg_start ip netns exec r${p}1 ping -i 0.05 -c $PINGS -W 2 \
		-q $IKE_IN2 >"$IKE_DIR/ping.$p" 2>&1
	eval "PING_$p=\$BG_PID"
done
bg_start sample_spis
SAMPLER=$BG_PID
sleep 5
ip netns exec rs1 iperf3 -c $IKE_IN2 -t 20 -b 2M --connect-timeout 5000 \
	>"$IKE_DIR/iperf3.out" 2>&1
IPERF_RC=$?
wait "$PING_s" "$PING_l" "$PING_e" "$SAMPLER" 2>/dev/null
for p in s l e; do
	tcpdump_stop "$TEST_OUT/$p.pcap"
done

# lost PAIR: pings that got no answer, from ping's summary.
lost() {
	awk '/packets transmitted/ { print $1 - $4 }' "$IKE_DIR/ping.$1"
}

no_loss() {
	local l
	l=$(lost "$1")
	[ "$l" = 0 ] && return 0
	echo "pair $1 lost ${l:-?} of $PINGS pings:"
	cat "$IKE_DIR/ping.$1"
	return 1
}

ktap_check "strongswan-no-ping-lost" no_loss s ||
	swan_diag >"$TEST_OUT/swan-diag-end.txt" 2>&1
ktap_check "libreswan-no-ping-lost" no_loss l
ktap_check "esptund-no-ping-lost" no_loss e ||
	ip netns exec re1 "$ESPTUN" show esp0 >"$TEST_OUT/e-show.txt" 2>&1
ktap_check "strongswan-iperf3-flow" test "$IPERF_RC" = 0
[ "$IPERF_RC" = 0 ] || ktap_diag "$(tail -5 "$IKE_DIR/iperf3.out")"

# rekeyed NAME MIN: MIN rekeys in the status, MIN + 1 SPI pairs in the
# log (all of it: this test sets no mark), none of them twice (each rekey
# brings new SPIs), and every pair the status showed during the soak
# among them. The log counts the pairs: a slow guest samples the status
# only every few seconds.
rekeyed() {
	local n=$1 min=$2 got est
	got=$(eike "$n" status | awk '$1 == "rekeys" { print $2 }')
	est=$(esptund_established "$n")
	if [ "${got:-0}" -lt "$min" ] ||
	   [ "$(grep -c . <<<"$est")" -lt $((min + 1)) ] ||
	   [ -n "$(sort <<<"$est" | uniq -d)" ] ||
	   [ -n "$(sort -u "$IKE_DIR/spis.$n" | grep -vxF -e "$est")" ]; then
		echo "$n: $got rekeys, SPI pairs established in order:"
		echo "$est"
		echo "and seen in the status:"
		uniq "$IKE_DIR/spis.$n"
		return 1
	fi
}

ktap_check "strongswan-rekeyed-new-spis" rekeyed a 2
ktap_check "libreswan-rekeyed-new-spis" rekeyed b 2
ktap_check "esptund-rekeyed-new-spis" rekeyed c 2
ktap_check "esptund-peer-agrees" rekeyed d 2

# One SA per direction: ours in the module, theirs in their kernel and
# their own listing. With a 30 s lifetime the next rekey is never far and
# a replaced pair stays for its grace period, so each side holds one pair
# only between the removal of a replaced pair and the next rekey. Each
# side is read on its own until it holds: in a slow guest a round of
# reads of several sides (swanctl and whack take seconds there) outlasts
# that window, while a leaked SA keeps its side above one pair for good.
# A side's pair must be one esptund's log says it established.
module_spis() {	# NS: the module's SA SPIs, sorted
	ip netns exec "$1" "$ESPTUN" -j show esp0 2>/dev/null |
		grep -o '"spi_hex": *"0x[0-9a-f]*"' | grep -o '[0-9a-f]\{8\}' | sort
}
# SPIS (sorted, one a line) are the two of a pair esptund NAME established.
established_pair() {	# NAME SPIS
	local p
	[ "$(wc -w <<<"$2")" = 2 ] || return 1
	while read -r p; do
		[ "$2" = "$(tr ' ' '\n' <<<"$p" | sort)" ] && return 0
	done < <(esptund_established "$1")
	return 1
}
module_one() {	# NAME NS
	established_pair "$1" "$(module_spis "$2")"
}
kernel_one() {	# NAME PEER_NS
	established_pair "$1" "$(ike_xfrm_spis "$2" | sort)"
}
# The peer lists one pair (COUNT 1, "IN OUT" read with it), one that
# esptund NAME established, the other way round.
listed_one() {	# NAME COUNT "IN OUT"
	[ "$2" = 1 ] && [ -n "$3" ] &&
		esptund_established "$1" | grep -qx "${3#* } ${3%% *}"
}
swan_lists_one() {	# NAME
	local raw
	raw=$(swan --list-sas --raw 2>/dev/null)
	listed_one "$1" "$(grep -o 'spi-in=' <<<"$raw" | wc -l)" \
		"$(swan_spis "$raw")"
}
lsw_lists_one() {	# NAME
	local n spis
	n=$(lsw_n_traffic)
	spis=$(lsw_spis)
	listed_one "$1" "$n" "$spis"
}
# last_established NAME: its last three pairs, for a failure's message.
last_established() {
	echo "last established by $1: $(esptund_established "$1" | tail -n 3 | paste -sd,)"
}
one_pair() {	# OUR_NAME OUR_NS PEER_NS PEER_LISTS_ONE
	wait_for -t 120 module_one "$1" "$2" ||
		{ echo "module: $(module_spis "$2" | xargs)"; last_established "$1"; return 1; }
	wait_for -t 120 kernel_one "$1" "$3" ||
		{ echo "peer's kernel: $(ike_xfrm_spis "$3" | xargs)"; last_established "$1"; return 1; }
	wait_for -t 120 "$4" "$1" || { echo "the peer lists more or other"; return 1; }
}
swan_one() {
	one_pair a rs1 rs2 swan_lists_one
}
lsw_one() {
	one_pair b rl1 rl2 lsw_lists_one
}
esptund_one() {
	wait_for -t 120 module_one c re1 ||
		{ echo "c's module: $(module_spis re1 | xargs)"; last_established c; return 1; }
	wait_for -t 120 module_one d re2 ||
		{ echo "d's module: $(module_spis re2 | xargs)"; last_established d; return 1; }
}
# What each side did last, for a pair that is not where it should be.
swan_one_diag() {
	eike a status
	echo "--- esptund a, last lines:"
	tail -n 40 "$IKE_DIR/a.log"
	echo "--- strongSwan:"
	swan --list-sas 2>&1
	tail -n 40 "$SWAN_DIR/charon.log"
}
ktap_check "strongswan-one-sa-per-direction" swan_one ||
	ktap_diag "$(swan_one_diag 2>&1)"
ktap_check "libreswan-one-sa-per-direction" lsw_one
ktap_check "esptund-one-sa-per-direction" esptund_one

# Phase 1: c and d replaced their ISAKMP SA and kept one; strongSwan
# has one IKE_SA.
ktap_check "strongswan-one-ike-sa" wait_for -t 15 \
	test "$(swan --list-sas --raw 2>/dev/null | grep -c 'state=ESTABLISHED')" = 1
p1_rekeyed() {
	local n
	n=$(eike "$1" status | awk '$1 == "rekeys" { for (i = 1; i < NF; i++) if ($i == "ike-rekeys") print $(i + 1) }')
	[ "${n:-0}" -ge 1 ] || { echo "$1: ike-rekeys ${n:-?}"; eike "$1" status; return 1; }
}
# charon renews its IKEv1 IKE_SA by reauthenticating (reauth_time 40 s):
# a new Main Mode towards esptund during the soak, which lost no ping.
ktap_check "strongswan-reauthenticated" esptund_log_has a "MM1 received from"
ktap_check "esptund-phase1-rekeyed" p1_rekeyed c
ktap_check "esptund-phase1-peer" p1_rekeyed d

# No error from a Delete crossing the other side's (logged as info).
# grep exits 1 for "no match" only: a missing log (2) is a failure too.
no_errors_logged() {
	grep -h -E 'kernel refused|no response to|HASH.*mismatch' \
		"$IKE_DIR"/{a,b,c,d}.log
	[ $? -eq 1 ]
}
ktap_check "no-errors-logged" no_errors_logged
ktap_check "status-shows-next-rekey" sh -c \
	"'$ESPTUN' ike -s '$IKE_DIR/c.sock' status | grep -q -E ' rekeys [0-9]+ next-rekey [0-9]+s'"

kill "$(cat "$IKE_DIR/iperf3.pid" 2>/dev/null)" 2>/dev/null
ktap_finished
