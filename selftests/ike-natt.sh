#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# NAT traversal (RFC 3947/3948). esptund sits behind a masquerading NAT and
# negotiates with a peer on the public side:
#
#   natA 10.0.0.2 ==== 10.0.0.1 natR 192.0.2.1 ==== 192.0.2.2 natP
#   esptund "a"        nftables masquerade          strongSwan | libreswan |
#   tunnel 10.9.0.1                                 esptund "p", 10.9.0.2
#
#   1 strongSwan: UDP 4500 encapsulation both ways (SA ports in esptun show,
#     packets counted), then the NAT mapping flushed onto new source ports
#     mid-traffic: charon follows the new port and pings pass again
#   2 libreswan: the same tunnel, up with encapsulation and pinging; the
#     mapping flushed mid-traffic: pluto 4.10 keeps sending ESP to the
#     old port and leaves our R-U-THERE from the new one unanswered, so
#     esptund's DPD finds the peer dead and dpd-action = restart
#     negotiates again from the new port: pluto's new SAs use it and
#     pings pass again
#   3 esptund: up in UDP, keepalives from behind the NAT on the wire; the
#     mapping flushed: the module reports ESP from the new port (esptun
#     monitor sees the event) and the public esptund follows it
#   4 no NAT, ESP dropped on the path: nat-t = auto comes up and passes
#     nothing; nat-t = force puts ESP into UDP and passes
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=nat-traversal-key
A=natA
R=natR
P=natP
A_ADDR=10.0.0.2
R_IN=10.0.0.1
R_OUT=192.0.2.1
P_ADDR=192.0.2.2
IN_A=10.9.0.1
IN_P=10.9.0.2
IFID=42
N_TESTS=31

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "ike-natt-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
command -v nft >/dev/null || skip_all "nft (nftables) is not installed"
command -v conntrack >/dev/null || skip_all "conntrack is not installed"

ike_warmup
netns_new $A && netns_new $R && netns_new $P || exit 1
veth_pair $A va $R ra && veth_pair $R rp $P pr || exit 1
ip -n $A addr add $A_ADDR/24 dev va
ip -n $R addr add $R_IN/24 dev ra
ip -n $R addr add $R_OUT/24 dev rp
ip -n $P addr add $P_ADDR/24 dev pr
ip -n $A route add default via $R_IN
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
cleanup_add ike_cleanup

# nat_on [PORTS]: masquerade out of rp (to source ports PORTS if given).
nat_on() {
	ip netns exec $R nft -f - <<EOF
table ip nat
delete table ip nat
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "rp" meta l4proto udp masquerade ${1:+to :$1}
		oifname "rp" masquerade
	}
}
EOF
}

nat_off() {
	ip netns exec $R nft delete table ip nat 2>/dev/null
	true
}

flush_mappings() {
	ip netns exec $R conntrack -F >/dev/null 2>&1
	true
}

# nat_remap PORTS: the NAT forgets every mapping and hands out PORTS from
# now on: the peer sees our IKE and ESP from a new source port.
nat_remap() {
	nat_on "$1" && flush_mappings
}

# A plain NAT again, nothing remembered.
nat_reset() {
	nat_on && flush_mappings
}

nat_on

# ours [KEY=VALUE...]: esptund a behind the NAT, listening (we start it).
ours() {
	esptund_conf a $A_ADDR $P_ADDR $PSK aes128-sha256-modp2048 \
		aes128gcm16 listen local-id=${A_ID:-$R_OUT} keepalive=2s "$@"
	eike a reload >/dev/null
}

# sa_lines NS: "DIR ENCAP SPORT DPORT PACKETS" per SA on esp0 in NS
# (SPI reservations left out), from esptun show.
sa_lines() {
	ip netns exec "$1" "$ESPTUN" show esp0 2>/dev/null | awk '
	/^sa: / { dir = $2; enc = "none"; sp = "-"; dp = "-"; pk = 0 }
	/^  state: reserved/ { dir = "" }
	/^  encap: / {
		enc = $2
		for (i = 3; i < NF; i++) {
			if ($i == "sport") sp = $(i + 1)
			if ($i == "dport") dp = $(i + 1)
		}
	}
	/^  counters: / {
		for (i = 2; i < NF; i++)
			if ($i == "packets") { pk = $(i + 1); sub(",", "", pk) }
		if (dir != "") print dir, enc, sp, dp, pk
	}'
}

# encap_is NS SPORT DPORT: both SAs of esp0 in NS are ESP in UDP with
# these ports (DPORT "*": any).
encap_is() {
	local lines d e s p k n=0
	lines=$(sa_lines "$1")
	while read -r d e s p k; do
		[ -n "$d" ] || continue
		n=$((n + 1))
		if [ "$e" != espinudp ] || [ "$s" != "$2" ] ||
		   { [ "$3" != "*" ] && [ "$p" != "$3" ]; }; then
			echo "$d SA: encap $e sport $s dport $p, want espinudp $2 $3"
			return 1
		fi
	done <<<"$lines"
	[ $n = 2 ] || { echo "$n SAs on esp0 in $1, want 2:"; echo "$lines"; return 1; }
}

# counted NS: both SAs of esp0 in NS carried packets.
counted() {
	local lines d e s p k n=0
	lines=$(sa_lines "$1")
	while read -r d e s p k; do
		[ -n "$d" ] || continue
		n=$((n + 1))
		[ "$k" -gt 0 ] || { echo "$d SA counted $k packets"; return 1; }
	done <<<"$lines"
	[ $n = 2 ] || { echo "$n SAs on esp0 in $1, want 2"; return 1; }
}

# dports_in NS LO HI: both SAs of esp0 in NS send to a peer port in LO..HI.
dports_in() {
	local lines d e s p k n=0
	lines=$(sa_lines "$1")
	while read -r d e s p k; do
		[ -n "$d" ] || continue
		n=$((n + 1))
		[ "$p" != - ] && [ "$p" -ge "$2" ] && [ "$p" -le "$3" ] ||
			{ echo "$d SA dport $p, not in $2-$3"; return 1; }
	done <<<"$lines"
	[ $n = 2 ] || { echo "$n SAs on esp0 in $1, want 2"; return 1; }
}

# status_has NAME TEXT: esptun ike status of daemon NAME shows TEXT.
status_has() {
	eike "$1" status | grep -qF -- "$2" ||
		{ echo "no '$2' in:"; eike "$1" status; return 1; }
}

pings_pass() {
	ike_ping $A $IN_P 1 >/dev/null
}

esptund_conf a $A_ADDR $P_ADDR $PSK aes128-sha256-modp2048 aes128gcm16 \
	listen local-id=$R_OUT keepalive=2s
if esptund_start a $A >"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "esptund-starts"
else
	ktap_fail "esptund-starts" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $A $IN_A $IN_P

# ---- 1: strongSwan ----
if [ -x /usr/lib/ipsec/charon ] && swan_start $P >"$IKE_DIR/swan.out" 2>&1 &&
   swan_conf $P_ADDR $R_OUT $PSK aes128-sha256-modp2048 aes128gcm16 $IFID; then
	ike_xfrmi $P xfrm$IFID $IFID pr $IN_P $IN_A
	ours
	if ktap_check "1-strongswan-up" eike a up -t 60 peer; then
		ktap_check "1-nat-detected" status_has a \
			"nat-t RFC 3947: nat local, esp in udp 4500 <-> 4500"
		ktap_check "1-ping" ike_ping $A $IN_P 3
		ktap_check "1-encap-4500" encap_is $A 4500 4500
		ktap_check "1-packets-counted" counted $A
		# Mid-traffic: the mapping moves to a port from 20000-20999.
		ip netns exec $A ping -i 0.2 -c 150 -q $IN_P >/dev/null 2>&1 &
		pinger=$!
		sleep 1
		nat_remap 20000-20999
		ktap_check "1-remap-traffic-resumes" wait_for -t 30 pings_pass
		ktap_check "1-peer-follows-new-port" wait_for -t 5 sh -c \
			"ip -n $P xfrm state | grep -qE 'dport 20[0-9]{3}'"
		kill $pinger 2>/dev/null
		wait $pinger 2>/dev/null
	else
		for t in nat-detected ping encap-4500 packets-counted \
			remap-traffic-resumes peer-follows-new-port; do
			ktap_skip "1-$t" "no SA"
		done
	fi
	eike a down peer >/dev/null 2>&1
	swan_stop
	ip -n $P link del xfrm$IFID 2>/dev/null
else
	why="strongSwan's charon is not installed or did not start"
	for t in up nat-detected ping encap-4500 packets-counted \
		remap-traffic-resumes peer-follows-new-port; do
		ktap_skip "1-$t" "$why"
	done
fi
nat_reset

# ---- 2: libreswan ----
IFID_L=7
if why=$(lsw_available) &&
   lsw_start $P $P_ADDR $R_OUT $PSK aes128-sha2_256-modp2048 aes_gcm128-null \
	no $IFID_L >"$IKE_DIR/lsw.out" 2>&1; then
	# pluto keeps its SAs on the old port (see the header): esptund's DPD
	# has to notice the silence and negotiate again from the new one.
	ours dpd-delay=2s dpd-timeout=6s dpd-action=restart
	if ktap_check "2-libreswan-up" eike a up -t 60 peer; then
		lsw_inner $IFID_L $IN_P $IN_A
		ktap_check "2-nat-detected" status_has a "nat local, esp in udp"
		ktap_check "2-ping" ike_ping $A $IN_P 3
		ktap_check "2-encap-4500" encap_is $A 4500 4500
		esptund_mark a
		ip netns exec $A ping -i 0.2 -c 250 -q $IN_P >/dev/null 2>&1 &
		pinger=$!
		sleep 1
		nat_remap 22000-22999
		ktap_check "2-remap-traffic-resumes" wait_for -t 45 pings_pass
		ktap_check "2-remap-dpd-restart" esptund_log_has a \
			"dpd-action restart"
		ktap_check "2-peer-sa-new-port" sh -c \
			"ip -n $P xfrm state | grep -qE 'dport 22[0-9]{3}'"
		kill $pinger 2>/dev/null
		wait $pinger 2>/dev/null
	else
		for t in nat-detected ping encap-4500 remap-traffic-resumes \
			remap-dpd-restart peer-sa-new-port; do
			ktap_skip "2-$t" "no SA"
		done
	fi
	eike a down peer >/dev/null 2>&1
	lsw_stop
else
	[ -n "$why" ] || why="pluto did not start"
	for t in up nat-detected ping encap-4500 remap-traffic-resumes \
		remap-dpd-restart peer-sa-new-port; do
		ktap_skip "2-$t" "$why"
	done
fi

# ---- 3: esptund on both sides ----
nat_reset
esptund_conf p $P_ADDR $R_OUT $PSK aes128-sha256-modp2048 aes128gcm16 listen
esptund_start p $P >>"$IKE_DIR/start.out" 2>&1
esptund_inner $P $IN_P $IN_A
ours
if ktap_check "3-esptund-up" eike a up -t 60 peer; then
	ktap_check "3-peer-sees-nat" status_has p "nat remote, esp in udp 4500"
	ktap_check "3-ping" ike_ping $A $IN_P 3
	ktap_check "3-encap-4500" encap_is $A 4500 4500
	ktap_check "3-packets-counted" counted $P
	# keepalive = 2s: one-byte datagrams (UDP length 9) reach the peer,
	# again and again (bounded generously: tcpdump starts slowly here).
	ktap_check "3-keepalives" sh -c "timeout 30 ip netns exec $P tcpdump -c 2 \
		-ni pr 'udp dst port 4500 and udp[4:2] = 9' 2>/dev/null |
		grep -c . | grep -qx 2"
	# The module names ESP from the NAT's new source port in an event.
	monitor_start $P "$IKE_DIR/mon.txt"
	mon=$BG_PID
	esptund_mark p
	nat_remap 21000-21999
	ip netns exec $A ping -c 6 -i 0.3 -W 1 -q $IN_P >/dev/null 2>&1
	ktap_check "3-remote-moved-event" wait_for -t 10 \
		grep -q '^remote-moved' "$IKE_DIR/mon.txt"
	bg_stop $mon
	ktap_check "3-remap-traffic-resumes" wait_for -t 20 pings_pass
	ktap_check "3-peer-follows-event" esptund_log_has p \
		"IPsec SA pair(s) and IKE follow"
	ktap_check "3-peer-sa-new-port" dports_in $P 21000 21999
else
	for t in peer-sees-nat ping encap-4500 packets-counted keepalives \
		remote-moved-event remap-traffic-resumes peer-follows-event \
		peer-sa-new-port; do
		ktap_skip "3-$t" "no SA"
	done
fi
eike a down peer >/dev/null 2>&1
wait_for -t 10 esptun_no_sas $P >/dev/null

# ---- 4: no NAT, ESP dropped on the path ----
nat_off
flush_mappings
ip -n $P route add 10.0.0.0/24 via $R_OUT
ip netns exec $R nft -f - <<EOF
table inet espdrop {
	chain forward_esp {
		type filter hook forward priority 0;
		meta l4proto esp drop
	}
}
EOF
esptund_conf p $P_ADDR $A_ADDR $PSK aes128-sha256-modp2048 aes128gcm16 listen
eike p reload >/dev/null
A_ID=$A_ADDR
ours
if ktap_check "4-auto-up" eike a up -t 60 peer; then
	ktap_check "4-auto-no-nat-raw-esp" status_has a "nat none, esp raw"
	ktap_expect_fail "4-auto-passes-nothing" "" ike_ping $A $IN_P 2
else
	ktap_skip "4-auto-no-nat-raw-esp" "no SA"
	ktap_skip "4-auto-passes-nothing" "no SA"
fi
eike a down peer >/dev/null 2>&1
wait_for -t 10 esptun_no_sas $P >/dev/null
ours nat-t=force
if ktap_check "4-force-up" eike a up -t 60 peer; then
	ktap_check "4-force-encap" encap_is $A 4500 4500
	ktap_check "4-force-ping" ike_ping $A $IN_P 3
else
	ktap_skip "4-force-encap" "no SA"
	ktap_skip "4-force-ping" "no SA"
fi

ktap_finished
