#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# esptund (ns1, esptun device) against strongSwan's charon (ns2, Linux xfrm
# interface, swanctl), IKEv1 Main Mode PSK with 0.0.0.0/0 selectors. The
# roles and proposals rotate rather than multiply:
#   1 esptund initiates  aes128-sha1-modp2048    ESP aes128-sha1 + PFS modp2048
#     (start = initiate, esptund started before charon: it retries until
#     charon answers and comes up by itself)
#   2 charon initiates   aes256-sha256-ecp256    ESP aes256gcm16, no PFS
#   3 esptund initiates  aes256-sha256-curve25519 ESP aes256gcm16 + PFS curve25519
#   4 charon offers only aes128-sha1-modp1536: refused (allow-weak = no)
#   5 PSK mismatch, esptund initiating with short retransmissions
#   6 charon's selectors are single hosts inside esptund's 0.0.0.0/0:
#     taken as offered, traffic passes
#   7 charon's local_ts is an address range that is not one prefix
#     (10.9.0.2-10.9.0.20, sent as ID_IPV4_ADDR_RANGE): as responder
#     esptund takes it inside its 0.0.0.0/0; as initiator it takes
#     charon's QM2, narrowed to the range; installed as a range selector
#   8 profile = strongswan and no ike/esp, charon with its default proposals
#   9 profile = cisco-ios-vti, cisco-asa, fortigate, pan-os, esptund
#     initiating to charon set as that vendor's defaults (its proposals
#     and lifetimes): esptund's proposal, lifetimes and the Cisco byte
#     limit in the module, SPIs, ping
# Each established case: both sides agree on the SPIs, ping and a file
# with matching SHA-256 through the tunnel. Failed cases: a clear line in
# esptund's log and no SA in either kernel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=interop-strongswan-key
IFID=42
N_TESTS=61

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "interop-strongswan-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
[ -x /usr/lib/ipsec/charon ] || skip_all "strongSwan's charon is not installed"

ike_warmup
ike_topo || exit 1
ike_xfrmi $IKE_NS2 xfrm$IFID $IFID veth2 $IKE_IN2 $IKE_IN1

# ours: a in ns1; theirs: charon in ns2.
ours() {	# IKE ESP START [KEY=VALUE...]
	local ike=$1 esp=$2 start=$3
	shift 3
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 "${PSK_OURS:-$PSK}" "$ike" "$esp" \
		"$start" "$@"
	eike a reload >/dev/null
}

theirs() {	# IKE ESP
	swan_conf $IKE_ADDR2 $IKE_ADDR1 $PSK "$1" "$2" $IFID
}

# Established: SPIs agree, ping, transfer.
check_traffic() {
	local n=$1
	ktap_check "$n-spis" ike_spis_agree "$(esptund_spis a)" "$(swan_spis)"
	ktap_check "$n-ping" ike_ping $IKE_NS1 $IKE_IN2 3
	ktap_check "$n-transfer" ike_transfer $IKE_NS1 $IKE_NS2 $IKE_IN2 192
}

# Nothing negotiated anywhere.
no_sa_anywhere() {
	local est
	est=$(swan --list-sas --raw 2>/dev/null | grep -c 'state=ESTABLISHED')
	[ "$est" = 0 ] || { echo "charon has $est established IKE_SA(s)"; return 1; }
	[ -z "$(ike_xfrm_spis $IKE_NS2)" ] ||
		{ echo "xfrm states in $IKE_NS2:"; ip -n $IKE_NS2 xfrm state; return 1; }
	esptun_no_sas $IKE_NS1 ||
		{ echo "esptun SAs in $IKE_NS1:"; ip netns exec $IKE_NS1 "$ESPTUN" show; return 1; }
}

teardown() {
	eike a down peer >/dev/null 2>&1
	swan_down >/dev/null 2>&1
	wait_for -t 10 no_sa_anywhere >/dev/null
}

# 1: esptund initiates, PFS modp2048, and starts first: its negotiation
# fails while charon is not there yet, and it comes up by itself once
# charon is.
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha1-modp2048 \
	aes128-sha1-modp2048 initiate retransmit-timeout=250ms \
	retransmit-tries=2
if ike_start_before_peer swan_start $IKE_NS2; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
ktap_check "1-esptund-retried-before-charon" esptund_log_has a \
	"[conn peer] negotiation failed: no response to MM1 from $IKE_ADDR2:500 after 2 tries; retrying in 1 s (attempt 2)"
theirs aes128-sha1-modp2048 aes128-sha1-modp2048
if ktap_check "1-esptund-init-modp2048-up-by-itself" wait_for -t 60 \
	esptund_spis a; then
	check_traffic 1
	ktap_check "1-peer-status" grep -q 'state=ESTABLISHED' \
		<(swan --list-sas --raw)
else
	for t in spis ping transfer peer-status; do ktap_skip "1-$t" "no SA"; done
fi
# ike down sends Delete: charon drops its SAs too.
eike a down peer >/dev/null
ktap_check "1-down-deletes-peer-sa" wait_for -t 10 no_sa_anywhere
teardown

# 2: charon initiates, ecp256, ESP GCM without PFS.
theirs aes256-sha256-ecp256 aes256gcm16
ours aes256-sha256-ecp256 aes256gcm16 listen
ktap_check "2-strongswan-init-ecp256-up" swan_up
if ktap_check "2-esptund-responder-active" wait_for -t 10 esptund_spis a; then
	check_traffic 2
else
	for t in spis ping transfer; do ktap_skip "2-$t" "no SA"; done
fi
teardown

# 3: esptund initiates, curve25519 in Main Mode and as PFS.
theirs aes256-sha256-curve25519 aes256gcm16-curve25519
ours aes256-sha256-curve25519 aes256gcm16-curve25519 listen
if ktap_check "3-esptund-init-curve25519-up" eike a up -t 60 peer; then
	check_traffic 3
else
	for t in spis ping transfer; do ktap_skip "3-$t" "no SA"; done
fi
teardown

# 4: charon offers only group 5; esptund (allow-weak = no) refuses.
theirs aes128-sha1-modp1536 aes128-sha1
ours aes128-sha1-modp2048 aes128-sha1 listen
esptund_mark a
ktap_expect_fail "4-modp1536-not-established" "" swan_up
ktap_check "4-modp1536-refusal-logged" esptund_log_has a "modp1536 is weak"
ktap_check "4-no-sa-anywhere" wait_for -t 10 no_sa_anywhere
teardown

# 5: PSK mismatch, esptund initiating with short retransmissions.
theirs aes128-sha1-modp2048 aes128-sha1
PSK_OURS=not-the-right-key ours aes128-sha1-modp2048 aes128-sha1 listen \
	retransmit-timeout=300ms retransmit-tries=2
esptund_mark a
ktap_expect_fail "5-psk-mismatch-fails" "negotiation failed" \
	eike a up -t 30 peer
ktap_check "5-psk-mismatch-logged" esptund_log_has a "pre-shared key"
ktap_check "5-no-sa-anywhere" wait_for -t 10 no_sa_anywhere
teardown

# theirs_ts LOCAL_TS REMOTE_TS: charon's child with other selectors.
theirs_ts() {
	theirs aes128-sha1-modp2048 aes128gcm16 || return 1
	sed -i -e "s|local_ts = 0.0.0.0/0|local_ts = $1|" \
		-e "s|remote_ts = 0.0.0.0/0|remote_ts = $2|" "$SWAN_DIR/swanctl.conf"
	swan --load-all --clear --noprompt --file "$SWAN_DIR/swanctl.conf" \
		>/dev/null
}

# 6: charon's policy is one host each way, inside esptund's 0.0.0.0/0:
# taken as charon offers it.
theirs_ts $IKE_IN2/32 $IKE_IN1/32
ours aes128-sha1-modp2048 aes128gcm16 listen
esptund_mark a
ktap_check "6-narrower-up" swan_up
if ktap_check "6-narrower-esptund-active" wait_for -t 10 esptund_spis a; then
	check_traffic 6
	ktap_check "6-narrower-logged" esptund_log_has a \
		"the peer's selectors $IKE_IN1/32 === $IKE_IN2/32 lie inside peer's pair 0.0.0.0/0 === 0.0.0.0/0: taken as they are"
else
	for t in spis ping transfer logged; do ktap_skip "6-$t" "no SA"; done
fi
teardown

# 7: charon's side is the range 10.9.0.2-10.9.0.20, no prefix, so its
# IDs carry ID_IPV4_ADDR_RANGE. esptun's SAs select the range: the out
# SA's destination, the in SA's source.
RANGE=10.9.0.2-10.9.0.20
range_sels() {
	local out
	out=$(ip netns exec $IKE_NS1 "$ESPTUN" show esp0)
	grep -qF "selector: src 0.0.0.0/0 dst $RANGE proto any" <<<"$out" &&
		grep -qF "selector: src $RANGE dst 0.0.0.0/0 proto any" <<<"$out" ||
		{ echo "$out"; return 1; }
}
range_case() {	# N: SPIs, the selectors, a ping into the range
	ktap_check "$1-spis" ike_spis_agree "$(esptund_spis a)" "$(swan_spis)"
	ktap_check "$1-range-selectors" range_sels
	ktap_check "$1-ping" ike_ping $IKE_NS1 $IKE_IN2 3
}

# 7a: charon initiates; esptund takes the range inside its pair.
theirs_ts $RANGE 0.0.0.0/0
esptund_mark a
ktap_check "7a-range-up" swan_up
if ktap_check "7a-esptund-active" wait_for -t 10 esptund_spis a; then
	range_case 7a
	ktap_check "7a-range-logged" esptund_log_has a \
		"the peer's selectors 0.0.0.0/0 === $RANGE lie inside peer's pair 0.0.0.0/0 === 0.0.0.0/0: taken as they are"
else
	for t in spis range-selectors ping logged; do ktap_skip "7a-$t" "no SA"; done
fi
teardown

# 7b: esptund initiates with 0.0.0.0/0; charon narrows its side to the
# range in QM2, and esptund takes the narrower IDs.
esptund_mark a
if ktap_check "7b-range-esptund-init-up" eike a up -t 60 peer; then
	range_case 7b
	ktap_check "7b-narrower-logged" esptund_log_has a \
		"QM2: the responder's selectors 0.0.0.0/0 === $RANGE lie inside the 0.0.0.0/0 === 0.0.0.0/0 we offered: taken as they are"
else
	for t in spis range-selectors ping logged; do ktap_skip "7b-$t" "no SA"; done
fi
teardown

# The profile's choice, not esptund's own defaults (aes256-sha256-modp2048,
# 24h): its phase 1 proposal and 3 h, one of its ESP proposals and 1 h.
profile_sas() {
	local st
	st=$(eike a status)
	grep -Eq 'cookies .* aes128-sha256-modp3072 lifetime 10[0-8][0-9]{2}s$' <<<"$st" &&
		grep -Eq 'child QM_ACTIVE: .* (aes128gcm16|aes128-sha256) 0\.0\.0\.0/0 === 0\.0\.0\.0/0 lifetime 3[0-5][0-9]{2}s$' <<<"$st" ||
		{ echo "$st"; return 1; }
}

# 8: profile = strongswan against charon's default proposals.
theirs default default
ours "" "" listen profile=strongswan
if ktap_check "8-profile-strongswan-up" eike a up -t 60 peer; then
	ktap_check "8-profile-proposals-lifetimes" profile_sas
	check_traffic 8
else
	for t in proposals-lifetimes spis ping transfer; do ktap_skip "8-$t" "no SA"; done
fi
teardown

# vendor_sas IKE IKE_LIFE CHILD_LIFE [HARD_BYTES]: esptund's ISAKMP SA has
# the proposal IKE, both SAs the lifetimes in seconds (less what has run
# since), and the module's SAs the hard byte limit if given.
vendor_sas() {
	local st
	st=$(eike a status)
	awk -v ike="$1" -v il="$2" -v cl="$3" '
	function near(v, want) { sub(/s$/, "", v); return v <= want && v > want - 120 }
	/^  cookies / && $3 == ike && near($5, il) { i = 1 }
	/^  child QM_ACTIVE: / && near($NF, cl) { c = 1 }
	END { exit !(i && c) }' <<<"$st" || { echo "$st"; return 1; }
	[ -z "${4:-}" ] && return 0
	[ "$(ip netns exec $IKE_NS1 "$ESPTUN" show esp0 |
		grep -c "^  lifetime hard: bytes $4\b")" = 2 ] ||
		{ ip netns exec $IKE_NS1 "$ESPTUN" show esp0; return 1; }
}

# 9: each vendor profile against charon set as that vendor's defaults
# (the peer's side in the README's table): PROFILE, charon's IKE and ESP
# proposals and its IKE and CHILD lifetimes, the proposal esptund's
# ISAKMP SA shows, the lifetimes it has, the hard byte limit (KB * 1024).
while read -r -u 3 prof sike sesp sreauth slife ike il cl bytes; do
	SWAN_REAUTH=$sreauth SWAN_CHILD_REKEY=$slife SWAN_CHILD_LIFE=$slife \
		theirs "$sike" "$sesp"
	ours "" "" listen profile=$prof
	if ktap_check "9-$prof-up" eike a up -t 60 peer; then
		# shellcheck disable=SC2086 # bytes: empty for none
		ktap_check "9-$prof-proposal-lifetimes" vendor_sas "$ike" "$il" \
			"$cl" $bytes
		ktap_check "9-$prof-spis" ike_spis_agree "$(esptund_spis a)" \
			"$(swan_spis)"
		ktap_check "9-$prof-ping" ike_ping $IKE_NS1 $IKE_IN2 2
	else
		for t in proposal-lifetimes spis ping; do
			ktap_skip "9-$prof-$t" "no SA"
		done
	fi
	teardown
done 3<<'EOF2'
cisco-ios-vti aes256-sha256-modp2048 aes256-sha256 24h 1h aes256-sha256-modp2048 86400 3600 4718592000
cisco-asa aes256-sha1-modp2048 aes256-sha1 24h 8h aes256-sha1-modp2048 86400 28800 4718592000
fortigate aes256-sha256-modp2048 aes256-sha256-modp2048 24h 12h aes256-sha256-modp2048 86400 43200
pan-os aes256-sha256-modp2048 aes256-sha256-modp2048 8h 1h aes256-sha256-modp2048 28800 3600
EOF2

ktap_finished
