#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 360
# esptund (ns1) against strongSwan's charon (ns2, xfrm interface), IKEv1
# Main and Aggressive Mode with RSA signatures and X.509 certificates
# from a CA made at test time (certgen_helper):
#   1 esptund initiates, remote-id the peer's DN: SPIs agree, ping
#   2 charon initiates: SPIs agree, ping
#   3 remote-id names another host: refused with its log line
#   4 Aggressive Mode (AM2 and AM3 with CERT and SIG), esptund
#     initiating, then charon (swanctl aggressive = yes): esptund's ISAKMP
#     SA is Aggressive Mode's, SPIs agree, ping; with charon initiating,
#     esptund's AM2 and charon's AM3 go as IKE fragments (over 1280 bytes)
#   5 ECDSA (RFC 4754, auth = ecdsa-sig): P-256 (method 9) in Main Mode,
#     esptund initiating, then charon; P-384 (10) in Main Mode and P-521
#     (11) in Aggressive Mode, esptund initiating (charon's key picks the
#     method as responder too, as P-256 shows): both logs name the
#     method, SPIs agree, ping, and in Aggressive Mode esptund's ISAKMP
#     SA is Aggressive Mode's. Under the SHA-256 proposal P-384 and P-521
#     hold only as both sides make HASH_I/HASH_R with the curve's hash
#   6 a path of 1000-byte datagrams that drops IP fragments (nft, both
#     ways), where MM5 and MM6 with their certificates do not fit: with
#     fragmentation = no nothing comes up (and fragments were dropped);
#     with fragmentation = yes both sides cut their messages into IKE
#     fragments, esptund reassembles charon's: up, SPIs agree, ping;
#     esptun decode of a capture puts both sides' MM5/MM6 back together
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

IFID=43
N_TESTS=49
CERTGEN=$TOP/build/selftests/certgen_helper

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "interop-cert-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
[ -x /usr/lib/ipsec/charon ] || skip_all "strongSwan's charon is not installed"
[ -x "$CERTGEN" ] || skip_all "certgen_helper is not built"

ike_warmup
ike_topo || exit 1
ike_xfrmi $IKE_NS2 xfrm$IFID $IFID veth2 $IKE_IN2 $IKE_IN1
PKI=$IKE_DIR/pki
mkdir -p "$PKI"
"$CERTGEN" "$PKI" || skip_all "certgen_helper failed"

IKE=aes128-sha256-modp2048
ESP=aes128gcm16-modp2048
# Method and file stems of the credentials: RSA's, ECDSA's in case 5.
AUTH=rsa-sig
A=a
B=b

ours() {	# REMOTE_ID [MODE [EXTRA-LINES]]
	cat >"$IKE_DIR/a.conf" <<-CONF
	[global]
	log = debug
	control = $IKE_DIR/a.sock
	[conn peer]
	interface = esp0
	local = $IKE_ADDR1
	remote = $IKE_ADDR2
	auth = $AUTH
	cert = $PKI/$A.pem
	key = $PKI/$A.key
	ca = $PKI/ca.pem
	remote-id = $1
	mode = ${2:-main}
	ike = $IKE
	esp = $ESP
	start = listen
	retransmit-timeout = 500ms
	retransmit-tries = 3
	${3:-}
	CONF
}

theirs() {	# [AGGRESSIVE]
	# swanctl loads keys only from private/ next to its --file.
	rm -rf "$SWAN_DIR/private"
	mkdir -p "$SWAN_DIR/private" && cp "$PKI/$B.key" "$SWAN_DIR/private/" ||
		return 1
	ike_render "$IKE_PEERS/swanctl-cert.conf.in" "$SWAN_DIR/swanctl.conf" \
		LOCAL=$IKE_ADDR2 REMOTE=$IKE_ADDR1 IKE=$IKE ESP=$ESP \
		IFID=$IFID PKI="$PKI" AGGR="${1:-no}" CERT=$B || return 1
	swan --load-all --clear --noprompt --file "$SWAN_DIR/swanctl.conf" \
		>"$SWAN_DIR/load.out" 2>&1 || { cat "$SWAN_DIR/load.out"; return 1; }
}

# esptund's ISAKMP SA is Aggressive Mode's.
am_active() {
	eike a status | grep -q '^conn peer: AM_ACTIVE ' ||
		{ eike a status; return 1; }
}

no_sa_anywhere() {
	[ -z "$(ike_xfrm_spis $IKE_NS2)" ] && esptun_no_sas $IKE_NS1
}

# charon deletes: esptund's `ike down` would hold the conn, which
# esptund then never negotiates itself until it is brought up again.
teardown() {
	swan_down >/dev/null 2>&1
	wait_for -t 10 no_sa_anywhere >/dev/null
}

ours "dn:CN=b,O=esptun"
if swan_start $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
   theirs >>"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "cert-daemons-start"
else
	ktap_fail "cert-daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2

# 1: esptund initiates.
if ktap_check "1-cert-esptund-init-up" eike a up -t 60 peer; then
	ktap_check "1-cert-spis" ike_spis_agree "$(esptund_spis a)" \
		"$(swan_spis)"
	ktap_check "1-cert-ping" ike_ping $IKE_NS1 $IKE_IN2 3
else
	for t in spis ping; do ktap_skip "1-cert-$t" "no SA"; done
fi
teardown

# 2: charon initiates.
ktap_check "2-cert-strongswan-init-up" swan_up
if ktap_check "2-cert-esptund-active" wait_for -t 10 esptund_spis a; then
	ktap_check "2-cert-ping" ike_ping $IKE_NS1 $IKE_IN2 3
else
	ktap_skip "2-cert-ping" "no SA"
fi
teardown

# 3: charon's certificate does not name the host remote-id asks for.
ours "fqdn:c.example"
eike a reload >/dev/null
esptund_mark a
ktap_expect_fail "3-cert-wrong-id-fails" "" eike a up -t 30 peer
ktap_check "3-cert-wrong-id-logged" esptund_log_has a \
	'does not match remote-id fqdn:c.example'
teardown

# 4: Aggressive Mode, esptund initiating: AM2 and AM3 carry CERT and SIG.
ours "dn:CN=b,O=esptun" aggressive
eike a reload >/dev/null
theirs yes
if ktap_check "4-cert-aggressive-up" eike a up -t 60 peer; then
	ktap_check "4-cert-aggressive-am-active" am_active
	ktap_check "4-cert-aggressive-spis" ike_spis_agree \
		"$(esptund_spis a)" "$(swan_spis)"
	ktap_check "4-cert-aggressive-ping" ike_ping $IKE_NS1 $IKE_IN2 3
else
	for t in am-active spis ping; do
		ktap_skip "4-cert-aggressive-$t" "no SA"
	done
fi
teardown
# charon initiates: esptund answers AM1 with CERT and SIG in AM2, too
# large for the default fragment-size: cut, and charon's AM3 too.
esptund_mark a
ktap_check "4-cert-aggressive-strongswan-init-up" swan_up
if ktap_check "4-cert-aggressive-strongswan-init-esptund-active" \
	wait_for -t 10 esptund_spis a; then
	ktap_check "4-cert-aggressive-strongswan-init-am-active" am_active
	ktap_check "4-cert-aggressive-strongswan-init-spis" ike_spis_agree \
		"$(esptund_spis a)" "$(swan_spis)"
	ktap_check "4-cert-aggressive-strongswan-init-ping" ike_ping \
		$IKE_NS1 $IKE_IN2 3
else
	for t in am-active spis ping; do
		ktap_skip "4-cert-aggressive-strongswan-init-$t" "no SA"
	done
fi
ktap_check "4-cert-aggressive-strongswan-init-esptund-cut" \
	esptund_log_has a "fragments (ID"
ktap_check "4-cert-aggressive-strongswan-init-charon-cut" \
	esptund_log_has a "fragments from $IKE_ADDR2"
teardown

# 5: ECDSA, the same CA signing the ECDSA certificates. esptund_ecdsa T
# STEM BITS METHOD [MODE]: both sides take the credentials a-STEM, b-STEM
# on a curve of BITS (left set for what follows) and esptund initiates in
# MODE (main): charon's key picks METHOD as responder, both logs name it,
# SPIs agree, ping.
esptund_ecdsa() {
	local t=$1 bits=$3 m=$4 mode=${5:-main} aggr=no
	[ "$mode" = aggressive ] && aggr=yes
	AUTH=ecdsa-sig A=a-$2 B=b-$2
	ours "dn:CN=b,O=esptun" "$mode"
	eike a reload >/dev/null
	theirs $aggr
	esptund_mark a
	swan_mark
	if ktap_check "$t-esptund-init-up" eike a up -t 60 peer; then
		[ $aggr = yes ] && ktap_check "$t-am-active" am_active
		ktap_check "$t-esptund-verified-method-$m" esptund_log_has a \
			"by certificate \"CN=b,O=esptun\", ECDSA-$bits ($m)"
		ktap_check "$t-spis" ike_spis_agree "$(esptund_spis a)" \
			"$(swan_spis)"
		ktap_check "$t-ping" ike_ping $IKE_NS1 $IKE_IN2 3
	else
		[ $aggr = yes ] && ktap_skip "$t-am-active" "no SA"
		for c in "esptund-verified-method-$m" spis ping; do
			ktap_skip "$t-$c" "no SA"
		done
	fi
	ktap_check "$t-charon-verified-ecdsa-$bits" charon_verified "$bits"
	teardown
}

# charon, responding, looked for the method of BITS and checked the SIG.
charon_verified() {
	swan_log_has "looking for ECDSA-$1 signature peer configs" &&
		swan_log_has "certificate \"O=esptun, CN=a\" key: $1 bit ECDSA" &&
		swan_log_has "authentication of 'O=esptun, CN=a' with ECDSA_WITH_NULL successful"
}

esptund_ecdsa 5-ecdsa ec 256 9
# charon initiates on P-256: its key picks method 9, and it signs with it.
esptund_mark a
ktap_check "5-ecdsa-strongswan-init-up" swan_up
if ktap_check "5-ecdsa-esptund-active" wait_for -t 10 esptund_spis a; then
	ktap_check "5-ecdsa-responder-verified-method-9" esptund_log_has a \
		'by certificate "CN=b,O=esptun", ECDSA-256 (9)'
	ktap_check "5-ecdsa-strongswan-init-ping" ike_ping $IKE_NS1 $IKE_IN2 3
else
	for t in responder-verified-method-9 strongswan-init-ping; do
		ktap_skip "5-ecdsa-$t" "no SA"
	done
fi
teardown
esptund_ecdsa 5-ecdsa-p384 ec384 384 10
esptund_ecdsa 5-ecdsa-p521-aggressive ec521 521 11 aggressive
AUTH=rsa-sig A=a B=b

# 6: the path takes 1000-byte datagrams and drops IP fragments, before
# reassembly (ike_small_path), in both directions.
ktap_check "6-frag-small-path" ike_small_path 1000
theirs
ours "dn:CN=b,O=esptun" main "fragmentation = no"
eike a reload >/dev/null
ktap_expect_fail "6-frag-off-fails" "" eike a up -t 20 peer
d=$(ike_frags_dropped)
if [ "$d" -gt 0 ]; then
	ktap_ok "6-frag-off-ip-fragments-dropped ($d)"
else
	ktap_fail "6-frag-off-ip-fragments-dropped" "no IP fragment was dropped"
fi
teardown
ours "dn:CN=b,O=esptun" main "fragmentation = yes
fragment-size = 1000"
eike a reload >/dev/null
esptund_mark a
PCAP=$TEST_OUT/frag.pcap
tcpdump_start $IKE_NS1 veth1 "$PCAP" udp port 500 or udp port 4500
if ktap_check "6-frag-up" eike a up -t 60 peer; then
	ktap_check "6-frag-spis" ike_spis_agree "$(esptund_spis a)" \
		"$(swan_spis)"
	ktap_check "6-frag-ping" ike_ping $IKE_NS1 $IKE_IN2 3
else
	for t in spis ping; do ktap_skip "6-frag-$t" "no SA"; done
fi
eike a keys peer >"$TEST_OUT/frag.keys"
tcpdump_stop "$PCAP"
ktap_check "6-frag-esptund-cut" esptund_log_has a "fragments (ID"
ktap_check "6-frag-charon-cut-esptund-reassembled" esptund_log_has a \
	"fragments from $IKE_ADDR2"

# The capture of both sides' pieces, decoded: MM5 and charon's MM6 come
# out whole from their pieces, decrypted, with the certificates.
frag_decoded() {
	"$ESPTUN" -j decode "$PCAP" --keys "$TEST_OUT/frag.keys" |
		"${PY3[@]}" -c '
import json, sys
d = json.load(sys.stdin)
ms = [m for g in d["groups"] for m in g["messages"]
      if m["retransmission_of"] is None]
got = {m["label"]: m for m in ms if m["label"] in ("MM5", "MM6")}
bad = [(l, m["direction"], m["fragments"], m["decrypted"], m["payloads"])
       for l, m in got.items()
       if m["fragments"] < 2 or not m["decrypted"] or "CERT" not in m["payloads"]]
if len(got) != 2 or bad or got["MM6"]["direction"] != "responder":
    print("decoded:", [(m["label"], m["fragments"]) for m in ms], bad)
    sys.exit(1)'
}
ktap_check "6-frag-decode-reassembles-both" frag_decoded

ktap_finished
