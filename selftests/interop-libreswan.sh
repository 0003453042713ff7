#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# esptund (ns1, esptun device) against libreswan's pluto (ns2, the xfrm
# interface ipsec7 pluto creates; run from the unpacked Debian package),
# IKEv1 Main Mode PSK with 0.0.0.0/0 selectors. Roles rotate:
#   1 esptund initiates  aes256-sha256-modp2048  ESP aes128-sha1 + PFS modp2048
#     (start = initiate, esptund started before pluto: it retries until
#     pluto answers and comes up by itself)
#   2 pluto initiates    aes128-sha1-modp2048    ESP aes256gcm16, no PFS
#   3 pluto offers only aes128-sha1-modp1536: refused (allow-weak = no)
#   4 PSK mismatch, pluto initiating
#   5 profile = libreswan and no ike/esp, pluto with its default proposals
#     and lifetimes (8h), pfs=yes
#   6 pluto's subnets are single hosts inside esptund's 0.0.0.0/0: taken
#     as offered, traffic passes
# (Debian's libreswan offers no ECP or Curve25519 PFS in IKEv1: those run
# against strongSwan.) Established cases: SPIs agree with pluto's status,
# ping and a file with matching SHA-256; failed ones: a clear line in
# esptund's log and no SA in either kernel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=interop-libreswan-key
IFID=7
N_TESTS=28

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "interop-libreswan-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
why=$(lsw_available) || skip_all "$why"

ike_warmup
ike_topo || exit 1

ours() {	# IKE ESP START [KEY=VALUE...]
	local ike=$1 esp=$2 start=$3
	shift 3
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK "$ike" "$esp" "$start" "$@"
	eike a reload >/dev/null
}

theirs() {	# IKE ESP PFS [PSK]
	lsw_conf $IKE_ADDR2 $IKE_ADDR1 "${4:-$PSK}" "$1" "$2" "$3" $IFID
}

check_traffic() {
	local n=$1
	lsw_inner $IFID $IKE_IN2 $IKE_IN1
	ktap_check "$n-spis" ike_spis_agree "$(esptund_spis a)" "$(lsw_spis)"
	ktap_check "$n-ping" ike_ping $IKE_NS1 $IKE_IN2 3
	ktap_check "$n-transfer" ike_transfer $IKE_NS2 $IKE_NS1 $IKE_IN1 192
}

no_sa_anywhere() {
	local n
	n=$(lsw_n_traffic)
	[ "$n" = 0 ] || { echo "pluto reports $n IPsec SA(s)"; return 1; }
	[ -z "$(ike_xfrm_spis $IKE_NS2)" ] ||
		{ echo "xfrm states in $IKE_NS2:"; ip -n $IKE_NS2 xfrm state; return 1; }
	esptun_no_sas $IKE_NS1 ||
		{ echo "esptun SAs in $IKE_NS1:"; ip netns exec $IKE_NS1 "$ESPTUN" show; return 1; }
}

teardown() {
	eike a down peer >/dev/null 2>&1
	lsw_down >/dev/null 2>&1
	wait_for -t 10 no_sa_anywhere >/dev/null
}

# 1: esptund initiates, PFS modp2048, and starts first: its negotiation
# fails while pluto is not there yet, and it comes up by itself once
# pluto is.
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes256-sha256-modp2048 \
	aes128-sha1-modp2048 initiate retransmit-timeout=250ms \
	retransmit-tries=2
if ike_start_before_peer lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK \
	aes256-sha2_256-modp2048 "aes128-sha1;modp2048" yes $IFID; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
ktap_check "1-esptund-retried-before-pluto" esptund_log_has a \
	"[conn peer] negotiation failed: no response to MM1 from $IKE_ADDR2:500 after 2 tries; retrying in 1 s (attempt 2)"
if ktap_check "1-esptund-init-up-by-itself" wait_for -t 60 esptund_spis a; then
	check_traffic 1
	ktap_check "1-peer-trafficstatus" test "$(lsw_n_traffic)" -ge 1
else
	for t in spis ping transfer peer-trafficstatus; do
		ktap_skip "1-$t" "no SA"
	done
fi
eike a down peer >/dev/null
ktap_check "1-down-deletes-peer-sa" wait_for -t 10 no_sa_anywhere
teardown

# 2: pluto initiates, ESP GCM without PFS.
theirs aes128-sha1-modp2048 aes_gcm256-null no
ours aes128-sha1-modp2048 aes256gcm16 listen
ktap_check "2-libreswan-init-up" lsw_up
if ktap_check "2-esptund-responder-active" wait_for -t 10 esptund_spis a; then
	check_traffic 2
else
	for t in spis ping transfer; do ktap_skip "2-$t" "no SA"; done
fi
teardown

# 3: pluto offers only group 5; esptund (allow-weak = no) refuses.
theirs aes128-sha1-modp1536 aes128-sha1 no
ours aes128-sha1-modp2048 aes128-sha1 listen
esptund_mark a
timeout 20 "$LSW_BIN/whack" --rundir "$LSW_DIR/run" --name esptun \
	--initiate --asynchronous >/dev/null 2>&1
ktap_check "3-modp1536-refusal-logged" wait_for -t 15 \
	esptund_log_has a "modp1536 is weak"
ktap_check "3-no-sa-anywhere" no_sa_anywhere
teardown

# 4: PSK mismatch, pluto initiating: esptund, the responder, says so.
theirs aes128-sha1-modp2048 aes128-sha1 no wrong-key-on-their-side
ours aes128-sha1-modp2048 aes128-sha1 listen
esptund_mark a
timeout 20 "$LSW_BIN/whack" --rundir "$LSW_DIR/run" --name esptun \
	--initiate --asynchronous >/dev/null 2>&1
ktap_check "4-psk-mismatch-logged" wait_for -t 15 \
	esptund_log_has a "pre-shared key"
ktap_check "4-no-sa-anywhere" no_sa_anywhere
teardown

# The profile's choice, not esptund's own defaults (two proposals, 24h
# and 1h): group 14 in both phases, 8 h each.
profile_sas() {
	local st
	st=$(eike a status)
	grep -Eq 'cookies .* aes256-sha256-modp2048 lifetime 28[0-7][0-9]{2}s$' <<<"$st" &&
		grep -Eq 'child QM_ACTIVE: .* aes256-sha256-modp2048 0\.0\.0\.0/0 === 0\.0\.0\.0/0 lifetime 28[0-7][0-9]{2}s$' <<<"$st" ||
		{ echo "$st"; return 1; }
}

# 5: profile = libreswan against pluto's defaults.
LSW_IKELIFETIME=8h LSW_SALIFETIME=8h theirs default default yes
ours "" "" listen profile=libreswan
if ktap_check "5-profile-libreswan-up" eike a up -t 60 peer; then
	ktap_check "5-profile-proposals-lifetimes" profile_sas
	check_traffic 5
else
	for t in proposals-lifetimes spis ping transfer; do ktap_skip "5-$t" "no SA"; done
fi
teardown

# 6: pluto's policy is one host each way, inside esptund's 0.0.0.0/0:
# taken as pluto offers it.
lsw_render $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha1-modp2048 aes128-sha1 no \
	$IFID && sed -i -e "s|leftsubnet=0.0.0.0/0|leftsubnet=$IKE_IN2/32|" \
	-e "s|rightsubnet=0.0.0.0/0|rightsubnet=$IKE_IN1/32|" \
	"$LSW_DIR/ipsec.conf" && lsw_load
ours aes128-sha1-modp2048 aes128-sha1 listen
esptund_mark a
ktap_check "6-narrower-up" lsw_up
if ktap_check "6-narrower-esptund-active" wait_for -t 10 esptund_spis a; then
	check_traffic 6
	ktap_check "6-narrower-logged" esptund_log_has a \
		"the peer's selectors $IKE_IN1/32 === $IKE_IN2/32 lie inside peer's pair 0.0.0.0/0 === 0.0.0.0/0: taken as they are"
else
	for t in spis ping transfer logged; do ktap_skip "6-$t" "no SA"; done
fi

ktap_finished
