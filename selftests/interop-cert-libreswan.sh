#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptund (ns1) against libreswan's pluto (ns2, the xfrm interface ipsec44
# pluto creates; run from the unpacked Debian package), IKEv1 Main Mode
# with RSA signatures and X.509 certificates from a CA made at test time
# (certgen_helper); pluto's certificate, key and the CA in its NSS
# database:
#   1 esptund initiates, remote-id pluto's DN: SPIs agree, ping
#   2 pluto initiates: SPIs agree, ping
#   3 esptund's remote-id names another DN: esptund, initiating, refuses
#     pluto's certificate with its log line; pluto initiating, esptund
#     refuses it as responder; no SA in either kernel
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

IFID=44
N_TESTS=13
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

ours() {	# REMOTE_ID
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
	ike = aes128-sha256-modp2048
	esp = aes128gcm16-modp2048
	start = listen
	retransmit-timeout = 500ms
	retransmit-tries = 3
	CONF
}

# pluto's side: its certificate b under the nickname b, esptund's DN in
# ASN.1 order. pluto's IKEv1 PFS takes the phase 1 group.
LSW_CONF_IN=$IKE_PEERS/ipsec-cert.conf.in
LSW_CERT=b
LSW_RIGHTID="O=esptun, CN=a"
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
ours "dn:CN=c,O=esptun"
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

ktap_finished
