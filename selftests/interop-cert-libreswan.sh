#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 420
# esptund (ns1) against libreswan's pluto (ns2, the xfrm interface ipsec44
# pluto creates; run from the unpacked Debian package), IKEv1 Main and
# Aggressive Mode with RSA signatures and X.509 certificates from a CA made at test time
# (certgen_helper); pluto's certificate, key and the CA in its NSS
# database:
#   1 esptund initiates, remote-id pluto's DN: SPIs agree, ping
#   2 pluto initiates: SPIs agree, ping
#   3 esptund's remote-id names another DN: esptund, initiating, refuses
#     pluto's certificate with its log line; pluto initiating, esptund
#     refuses it as responder; no SA in either kernel
#   4 a path of 1000-byte datagrams that drops IP fragments (nft, both
#     ways), where MM5 and MM6 with their certificates do not fit: with
#     esptund's fragmentation = no nothing comes up, esptund initiating
#     (IP fragments dropped) nor pluto (its own words when it gives up);
#     with fragmentation = yes (pluto's default, yes, throughout): esptund
#     initiating, esptund cuts MM5 (pluto sends its MM6 whole once and
#     cuts it when esptund's MM5 comes again); pluto initiating, pluto
#     cuts MM5 when it resends it and esptund cuts MM6; up, SPIs agree,
#     ping
#   5 Aggressive Mode (pluto's aggressive=yes) on the whole path again,
#     esptund initiating, then pluto: both sides' ISAKMP SA is Aggressive
#     Mode's, SPIs agree, ping; with pluto initiating, esptund's AM2 and
#     pluto's AM3 go as IKE fragments (over 1280 bytes)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

IFID=44
N_TESTS=45
CERTGEN=$TOP/build/selftests/certgen_helper

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "interop-cert-libreswan-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
why=$(lsw_available) || skip_all "$why"
[ -x "$CERTGEN" ] || skip_all "certgen_helper is not built"

ike_warmup
ike_topo || exit 1
PKI=$IKE_DIR/pki
mkdir -p "$PKI"
"$CERTGEN" "$PKI" || skip_all "certgen_helper failed"

# Five tries, 15 s in all: pluto's first signature and check take
# seconds in a slow guest. TRIES shortens the cases meant to fail.
ours() {	# REMOTE_ID [MODE [EXTRA-LINES]]
	cat >"$IKE_DIR/a.conf" <<-CONF
	[global]
	log = debug
	control = $IKE_DIR/a.sock
	[conn peer]
	interface = esp0
	local = $IKE_ADDR1
	remote = $IKE_ADDR2
	auth = rsa-sig
	cert = $PKI/a.pem
	key = $PKI/a.key
	ca = $PKI/ca.pem
	remote-id = $1
	mode = ${2:-main}
	ike = aes128-sha256-modp2048
	esp = aes128gcm16-modp2048
	start = listen
	retransmit-timeout = 500ms
	retransmit-tries = ${TRIES:-5}
	${3:-}
	CONF
}

# pluto's side: its certificate b under the nickname b, esptund's DN in
# ASN.1 order. pluto's IKEv1 PFS takes the phase 1 group.
LSW_CONF_IN=$IKE_PEERS/ipsec-cert.conf.in
LSW_CERT=b
LSW_RIGHTID="O=esptun, CN=a"
# pluto gives a message up 4 s after it first sent it (resent after 0.5,
# 1 and 2 s): case 4 waits for that.
LSW_RTO=4s
THEIRS=("$IKE_ADDR2" "$IKE_ADDR1" unused-with-certificates
	aes128-sha2_256-modp2048 "aes_gcm128-null;modp2048" yes "$IFID")

no_sa_anywhere() {
	local n
	n=$(lsw_n_traffic)
	[ "$n" = 0 ] || { echo "pluto reports $n IPsec SA(s)"; return 1; }
	[ -z "$(ike_xfrm_spis $IKE_NS2)" ] ||
		{ echo "xfrm states in $IKE_NS2:"; ip -n $IKE_NS2 xfrm state; return 1; }
	esptun_no_sas $IKE_NS1 ||
		{ echo "esptun SAs in $IKE_NS1:"; ip netns exec $IKE_NS1 "$ESPTUN" show; return 1; }
}

# pluto deletes: esptund's `ike down` would hold the conn, which esptund
# then never negotiates itself until it is brought up again.
teardown() {
	lsw_down >/dev/null 2>&1
	wait_for -t 10 no_sa_anywhere >/dev/null
}

check_traffic() {	# CASE
	lsw_inner $IFID $IKE_IN2 $IKE_IN1
	ktap_check "$1-cert-spis" ike_spis_agree "$(esptund_spis a)" \
		"$(lsw_spis)"
	ktap_check "$1-cert-ping" ike_ping $IKE_NS1 $IKE_IN2 3
}

ours "dn:CN=b,O=esptun"
if lsw_nss_pki b "$PKI/ca.pem" "$PKI/b.pem" "$PKI/b.key" \
	>"$IKE_DIR/start.out" 2>&1 &&
   lsw_start $IKE_NS2 "${THEIRS[@]}" >>"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "cert-daemons-start"
else
	ktap_fail "cert-daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2

# 1: esptund initiates.
if ktap_check "1-cert-esptund-init-up" eike a up -t 60 peer; then
	check_traffic 1
else
	for t in spis ping; do ktap_skip "1-cert-$t" "no SA"; done
fi
teardown

# 2: pluto initiates.
ktap_check "2-cert-libreswan-init-up" lsw_up
if ktap_check "2-cert-esptund-active" wait_for -t 10 esptund_spis a; then
	check_traffic 2
else
	for t in spis ping; do ktap_skip "2-cert-$t" "no SA"; done
fi
teardown

# 3: pluto's certificate does not name the DN remote-id asks for; MM6
# is what esptund refuses as initiator, MM5 as responder.
WRONG='certificate "CN=b,O=esptun" does not match remote-id dn:CN=c,O=esptun'
TRIES=3 ours "dn:CN=c,O=esptun"
eike a reload >/dev/null
esptund_mark a
ktap_expect_fail "3-cert-wrong-id-esptund-init-fails" "" \
	eike a up -t 30 peer
ktap_check "3-cert-wrong-id-esptund-init-logged" esptund_log_has a \
	"MM6: $WRONG"
ktap_check "3-cert-wrong-id-esptund-init-no-sa" no_sa_anywhere
teardown
esptund_mark a
timeout 20 "$LSW_BIN/whack" --rundir "$LSW_DIR/run" --name esptun \
	--initiate --asynchronous >/dev/null 2>&1
ktap_check "3-cert-wrong-id-libreswan-init-logged" wait_for -t 15 \
	esptund_log_has a "MM5: $WRONG"
ktap_check "3-cert-wrong-id-libreswan-init-no-sa" no_sa_anywhere
teardown

# 4: the path takes 1000-byte datagrams and drops IP fragments, before
# reassembly (ike_small_path), in both directions.
# pluto gave its MM5 up since line $lsw_log0 of its log, in its words.
lsw_gave_up() {
	tail -n +$((lsw_log0 + 1)) "$LSW_DIR/pluto.log" |
		grep "MAIN_I3: .*no acceptable response to our first encrypted message"
}

ktap_check "4-frag-small-path" ike_small_path 1000
# fragmentation = no: esptund neither announces nor cuts, so pluto's
# default (yes) cuts nothing either. Once resent, MM5 has failed.
TRIES=1 ours "dn:CN=b,O=esptun" main "fragmentation = no"
eike a reload >/dev/null
d0=$(ike_frags_dropped)
ktap_expect_fail "4-frag-off-esptund-init-fails" "" eike a up -t 20 peer
d=$(( $(ike_frags_dropped) - d0 ))
if [ "$d" -gt 0 ]; then
	ktap_ok "4-frag-off-esptund-init-ip-fragments-dropped ($d)"
else
	ktap_fail "4-frag-off-esptund-init-ip-fragments-dropped" \
		"no IP fragment was dropped"
fi
teardown
lsw_log0=$(wc -l <"$LSW_DIR/pluto.log")
d0=$(ike_frags_dropped)
timeout 20 "$LSW_BIN/whack" --rundir "$LSW_DIR/run" --name esptun \
	--initiate --asynchronous >/dev/null 2>&1
if ktap_check "4-frag-off-libreswan-init-gives-up" wait_for -t 20 \
	lsw_gave_up; then
	ktap_diag "pluto: $(lsw_gave_up | head -1 | sed 's/.*"esptun" //')"
fi
d=$(( $(ike_frags_dropped) - d0 ))
if [ "$d" -gt 0 ]; then
	ktap_ok "4-frag-off-libreswan-init-ip-fragments-dropped ($d)"
else
	ktap_fail "4-frag-off-libreswan-init-ip-fragments-dropped" \
		"no IP fragment was dropped"
fi
ktap_check "4-frag-off-libreswan-init-no-sa" no_sa_anywhere
teardown

ours "dn:CN=b,O=esptun" main "fragmentation = yes
fragment-size = 1000"
eike a reload >/dev/null
esptund_mark a
if ktap_check "4-frag-esptund-init-up" eike a up -t 60 peer; then
	check_traffic 4-frag-esptund-init
else
	for t in cert-spis cert-ping; do
		ktap_skip "4-frag-esptund-init-$t" "no SA"
	done
fi
ktap_check "4-frag-esptund-init-esptund-cut" esptund_log_has a \
	"fragments (ID"
ktap_check "4-frag-esptund-init-libreswan-cut" esptund_log_has a \
	"fragments from $IKE_ADDR2"
teardown
esptund_mark a
ktap_check "4-frag-libreswan-init-up" lsw_up
if ktap_check "4-frag-libreswan-init-esptund-active" wait_for -t 10 \
	esptund_spis a; then
	check_traffic 4-frag-libreswan-init
else
	for t in cert-spis cert-ping; do
		ktap_skip "4-frag-libreswan-init-$t" "no SA"
	done
fi
ktap_check "4-frag-libreswan-init-libreswan-cut" esptund_log_has a \
	"fragments from $IKE_ADDR2"
ktap_check "4-frag-libreswan-init-esptund-cut" esptund_log_has a \
	"fragments (ID"
teardown
ktap_check "4-frag-whole-path" ike_small_path 1500 delete

# pluto's ISAKMP SA for the conn is in STATE (STATE_AGGR_I2 ...).
lsw_state_is() {
	lsw_states | grep -qx "$1" || { lsw --status; return 1; }
}

# esptund's ISAKMP SA is Aggressive Mode's.
am_active() {
	eike a status | grep -q '^conn peer: AM_ACTIVE ' ||
		{ eike a status; return 1; }
}

# 5: Aggressive Mode: AM2 and AM3 carry CERT and SIG; pluto's conn
# answers nothing but Aggressive Mode once aggressive=yes.
ours "dn:CN=b,O=esptun" aggressive
eike a reload >/dev/null
ktap_check "5-aggr-libreswan-conf" lsw_conf "${THEIRS[@]}" yes
if ktap_check "5-aggr-esptund-init-up" eike a up -t 60 peer; then
	ktap_check "5-aggr-esptund-init-am-active" am_active
	ktap_check "5-aggr-esptund-init-libreswan-state" lsw_state_is \
		STATE_AGGR_R2
	check_traffic 5-aggr-esptund-init
else
	for t in am-active libreswan-state cert-spis cert-ping; do
		ktap_skip "5-aggr-esptund-init-$t" "no SA"
	done
fi
teardown
# esptund's AM2 is too large for the default fragment-size: cut, and
# pluto, having seen pieces, cuts its AM3.
esptund_mark a
ktap_check "5-aggr-libreswan-init-up" lsw_up
if ktap_check "5-aggr-libreswan-init-esptund-active" wait_for -t 10 \
	esptund_spis a; then
	ktap_check "5-aggr-libreswan-init-am-active" am_active
	ktap_check "5-aggr-libreswan-init-libreswan-state" lsw_state_is \
		STATE_AGGR_I2
	check_traffic 5-aggr-libreswan-init
else
	for t in am-active libreswan-state cert-spis cert-ping; do
		ktap_skip "5-aggr-libreswan-init-$t" "no SA"
	done
fi
ktap_check "5-aggr-libreswan-init-esptund-cut" esptund_log_has a \
	"fragments (ID"
ktap_check "5-aggr-libreswan-init-libreswan-cut" esptund_log_has a \
	"fragments from $IKE_ADDR2"

ktap_finished
