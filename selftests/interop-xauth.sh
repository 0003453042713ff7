#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptund (ns1) as XAuth and Mode Config client of strongSwan's charon
# (ns2, xfrm interface): Main Mode PSK, XAuth as charon's second round,
# an address from charon's pool by Mode Config pull.
#   1 right password: tunnel up, the address charon assigned is on esp0
#     and in esptun ike status, ping from it through the tunnel; ike down
#     takes it off
#   2 wrong password: no SA anywhere, the refusal in esptund's log
# Then the same against libreswan 4.10's pluto (charon stopped; pluto in
# ns2 on the xfrm interface ipsec44 it creates), XAuth by its passwd file
# (xauthby=file, a crypt(3) hash), an address from its own pool by Mode
# Config pull (pluto's modecfgpull=yes: it waits for the client's
# REQUEST, as esptund asks; esptund takes no pushed SET):
#   3 right password: tunnel up, the address pluto leased on esp0 and in
#     esptun ike status, ping from it; pluto logs the user's success.
#     Seen, not checked: its ISAKMP SA stays in STATE_MODE_CFG_R1 ("sent ModeCfg reply,
#     expecting Ack", its words for a REPLY sent) and takes Quick Mode.
#   4 wrong password: no SA anywhere, the refusal in esptund's log and
#     pluto's. Seen, not checked: pluto offers another try; it reads esptund's ACK of
#     XAUTH_STATUS 0 as the next reply ("Expected MODE_CFG_REPLY is
#     missing username and password attribute") and asks again ("XAUTH:
#     User <unknown>: Authentication Failed (retry 1)"), when esptund's
#     Delete has already ended the ISAKMP SA.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=interop-xauth-key
XUSER=alice
XPASS=xauth-pass-1
POOL=10.99.0.0/24
IFID=43
# pluto's pool and xfrm interface, apart from charon's.
LSW_POOL=10.98.0.10-10.98.0.19
LSW_ROUTE=10.98.0.0/24
LIFID=44
N_TESTS=21
N_LSW=11

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "interop-xauth-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
[ -x /usr/lib/ipsec/charon ] || skip_all "strongSwan's charon is not installed"
[ -e /usr/lib/ipsec/plugins/libstrongswan-xauth-generic.so ] ||
	skip_all "strongSwan's xauth-generic plugin is not installed (tools/deps.sh)"

ike_warmup
ike_topo || exit 1
ike_xfrmi $IKE_NS2 xfrm$IFID $IFID veth2 $IKE_IN2 $IKE_IN1
ip -n $IKE_NS2 route add $POOL dev xfrm$IFID

theirs() {
	ike_render "$IKE_PEERS/swanctl-xauth.conf.in" "$SWAN_DIR/swanctl.conf" \
		LOCAL=$IKE_ADDR2 REMOTE=$IKE_ADDR1 PSK=$PSK \
		IKE=aes256-sha256-modp2048 ESP=aes256gcm16 IFID=$IFID \
		USER=$XUSER PASS=$XPASS POOL=$POOL || return 1
	swan --load-all --clear --noprompt --file "$SWAN_DIR/swanctl.conf" \
		>"$SWAN_DIR/load.out" 2>&1 || { cat "$SWAN_DIR/load.out"; return 1; }
}

ours_conf() {	# PASSWORD
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes256-sha256-modp2048 \
		aes256gcm16 listen xauth=client xauth-user=$XUSER \
		"xauth-password=\"$1\"" modecfg=pull
}

ours() {	# PASSWORD
	ours_conf "$1"
	eike a reload >/dev/null
}

# The virtual IP charon handed out, and the pool address (either
# server's) on our esp0.
swan_vip() {
	swan --list-sas --raw 2>/dev/null |
		grep -o 'remote-vips=\[[0-9.]*' | grep -o '[0-9][0-9.]*$'
}

our_vip() {
	ip -n $IKE_NS1 -4 -o addr show dev esp0 2>/dev/null |
		grep -o '10\.9[89]\.[0-9]*\.[0-9]*'
}

vips_agree() {	# [SERVER-VIP-FUNCTION]
	local s o
	s=$(${1:-swan_vip})
	o=$(our_vip)
	if [ -z "$s" ] || [ "$s" != "$o" ]; then
		echo "the server assigned '$s', esp0 has '$o'"
		if [ -n "$1" ]; then lsw --trafficstatus; else swan --list-sas --raw; fi
		return 1
	fi
	eike a status | grep -qF "modecfg address $s/32" ||
		{ echo "not in esptun ike status:"; eike a status; return 1; }
}

no_sa_anywhere() {
	local est
	est=$(swan --list-sas --raw 2>/dev/null | grep -c 'state=ESTABLISHED')
	[ "$est" = 0 ] || { echo "charon has $est established IKE_SA(s)"; return 1; }
	no_sa_here
}

# Neither kernel holds an SA (the server's side in $IKE_NS2).
no_sa_here() {
	[ -z "$(ike_xfrm_spis $IKE_NS2)" ] ||
		{ echo "xfrm states in $IKE_NS2:"; ip -n $IKE_NS2 xfrm state; return 1; }
	esptun_no_sas $IKE_NS1 ||
		{ echo "esptun SAs in $IKE_NS1:"; ip netns exec $IKE_NS1 "$ESPTUN" show; return 1; }
}

no_vip() {
	[ -z "$(our_vip)" ] || { echo "esp0 still has $(our_vip)"; return 1; }
}

# Started with the right password: traffic before the first case (IPv6
# router solicitations, until they are turned off) may already bring the
# tunnel up.
ours_conf "$XPASS"
if swan_start $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
   theirs >>"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
ip netns exec $IKE_NS1 sysctl -qw net.ipv6.conf.esp0.disable_ipv6=1

# 1: the right password.
if ktap_check "1-xauth-modecfg-up" eike a up -t 60 peer; then
	ktap_check "1-assigned-address-on-esp0" vips_agree
	vip=$(our_vip)
	ip -n $IKE_NS1 route replace $IKE_IN2/32 dev esp0 src "$vip"
	ktap_check "1-ping-from-assigned-address" ike_ping $IKE_NS1 $IKE_IN2 3
	ktap_check "1-peer-xauth-ok" grep -q "XAuth authentication of '$XUSER' successful" \
		"$SWAN_DIR/charon.log"
else
	for t in assigned-address-on-esp0 ping-from-assigned-address peer-xauth-ok; do
		ktap_skip "1-$t" "no SA"
	done
fi
eike a down peer >/dev/null
ktap_check "1-down-removes-address" wait_for -t 10 no_vip
wait_for -t 10 no_sa_anywhere >/dev/null

# 2: a wrong password.
ours wrong-password
esptund_mark a
ktap_expect_fail "2-wrong-password-fails" "" eike a up -t 30 peer
ktap_check "2-refusal-logged" esptund_log_has a \
	"the peer refused the XAuth credentials of user '$XUSER'"
ktap_check "2-no-sa-anywhere" wait_for -t 10 no_sa_anywhere
ktap_check "2-no-address" no_vip

# ---- libreswan's pluto as the server ----

if ! why=$(lsw_available); then
	for ((i = 0; i < N_LSW; i++)); do
		ktap_skip "interop-xauth-lsw-$i" "$why"
	done
	ktap_finished
fi

# The address pluto leased for the conn's IPsec SA.
lsw_vip() {
	lsw --trafficstatus 2>/dev/null | grep -o 'lease=[0-9.]*' |
		head -1 | cut -d= -f2
}

lsw_no_sa_anywhere() {
	local n
	n=$(lsw_n_traffic)
	[ "$n" = 0 ] || { echo "pluto reports $n IPsec SA(s)"; return 1; }
	lsw --status 2>/dev/null | grep -q 'STATE_MAIN_R3\|STATE_XAUTH\|STATE_MODE_CFG' &&
		{ echo "pluto still has an ISAKMP SA:"; lsw --status | grep STATE_; return 1; }
	no_sa_here
}

# pluto's log since line $lsw_log0 has TEXT.
lsw_log_has() {
	tail -n +$((lsw_log0 + 1)) "$LSW_DIR/pluto.log" | grep -qF -- "$1"
}

# Both servers answer on port 500 of ns2: charon goes first. The user's
# password in pluto's passwd file (username:crypt-hash:conn).
swan_stop
mkdir -p "$LSW_DIR"
LSW_CONF_IN=$IKE_PEERS/ipsec-xauth.conf.in
ours "$XPASS"
if hash=$(openssl passwd -6 "$XPASS") &&
   echo "$XUSER:$hash:esptun" >"$LSW_DIR/passwd" &&
   chmod 600 "$LSW_DIR/passwd" &&
   lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK aes256-sha2_256-modp2048 \
	aes_gcm256-null no $LIFID >"$IKE_DIR/lsw-start.out" 2>&1; then
	ktap_ok "lsw-daemons-start"
else
	ktap_fail "lsw-daemons-start" "$(cat "$IKE_DIR/lsw-start.out")"
fi
lsw_log0=$(wc -l <"$LSW_DIR/pluto.log")

# 3: the right password.
if ktap_check "3-lsw-xauth-modecfg-up" eike a up -t 60 peer; then
	ktap_check "3-lsw-assigned-address-on-esp0" vips_agree lsw_vip
	vip=$(our_vip)
	# pluto made ipsec44 at the up: replies to the pool go through it.
	ip -n $IKE_NS2 link set ipsec$LIFID up
	ip -n $IKE_NS2 route replace $LSW_ROUTE dev ipsec$LIFID
	ip -n $IKE_NS1 route replace $IKE_IN2/32 dev esp0 src "$vip"
	ktap_check "3-lsw-ping-from-assigned-address" ike_ping $IKE_NS1 \
		$IKE_IN2 3
	ktap_check "3-lsw-peer-xauth-ok" lsw_log_has \
		"XAUTH: User $XUSER: Authentication Successful"
else
	for t in assigned-address-on-esp0 ping-from-assigned-address peer-xauth-ok; do
		ktap_skip "3-lsw-$t" "no SA"
	done
fi
eike a down peer >/dev/null
ktap_check "3-lsw-down-removes-address" wait_for -t 10 no_vip
wait_for -t 10 lsw_no_sa_anywhere >/dev/null

# 4: a wrong password.
ours wrong-password
esptund_mark a
lsw_log0=$(wc -l <"$LSW_DIR/pluto.log")
ktap_expect_fail "4-lsw-wrong-password-fails" "" eike a up -t 30 peer
ktap_check "4-lsw-refusal-logged" esptund_log_has a \
	"the peer refused the XAuth credentials of user '$XUSER'"
ktap_check "4-lsw-peer-xauth-failed" lsw_log_has \
	"XAUTH: User $XUSER: Authentication Failed"
ktap_check "4-lsw-no-sa-anywhere" wait_for -t 10 lsw_no_sa_anywhere
ktap_check "4-lsw-no-address" no_vip

ktap_finished
