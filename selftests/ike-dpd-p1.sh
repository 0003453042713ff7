#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# DPD with IPsec SAs but no ISAKMP SA: esptund a (ns1, start = initiate,
# dpd-delay 3 s) against esptund b (ns2, listen, ike-lifetime 8 s,
# rekey = no, dpd = no). The tunnel comes up and carries a ping; b's
# ISAKMP SA expires and b deletes it, a's goes with b's Delete, the IPsec
# SAs stay on both sides (a's status: no ISAKMP SA, the same IPsec SA).
# With no traffic, a negotiates a new ISAKMP SA after dpd-delay, logged,
# in one Main Mode and no Quick Mode on either side (the exchange count
# and the SPIs are unchanged), asks R-U-THERE over it and b answers (a's
# status shows that ack); the tunnel then carries a ping with the same
# SPIs, which both sides agree on. Then the same against libreswan's
# pluto, which takes the ISAKMP SA lifetime a offers, so that either side
# may expire it first and the other drops its own on the Delete.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=esptund-dpd-p1-key
DELAY=3
TIMEOUT=10
IKE_LIFE=8
IFID=42
N_TESTS=28

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "dpd-p1-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"

# "quick N started N done" of a's status.
a_quick() {
	eike a status | grep -o 'quick [0-9]* started [0-9]* done'
}

# a has the IPsec SAs from before and no ISAKMP SA.
a_children_only() {
	local st
	st=$(eike a status) || return 1
	grep -q "^conn peer: NONE" <<<"$st" &&
		grep -q "child QM_ACTIVE: spi in ${SPIS% *} out ${SPIS#* }" <<<"$st" ||
		{ echo "$st"; return 1; }
}

# a's log from its first DPD negotiation on. b's expiries repeat every
# ike-lifetime, and a guest under load may see several: the checks read
# the order of a's log rather than racing its clock.
P1_LINE='\[conn peer\] DPD: nothing received for [0-9]+ s and no ISAKMP SA to ask over: negotiating one$'
since_p1() {
	local n
	n=$(esptund_log a | grep -nE -m1 "$P1_LINE" | cut -d: -f1)
	[ -n "$n" ] && esptund_log a | tail -n +"$n"
}

# That first line is there and counts at least dpd-delay of silence.
p1_logged() {
	local n
	n=$(since_p1 | head -1 | sed -E 's/.* nothing received for ([0-9]+) s .*/\1/')
	[ -n "$n" ] && [ "$n" -ge $DELAY ]
}

# ... up to the first R-U-THERE-ACK after it.
p1_round() {
	since_p1 | awk '{ print } /DPD: R-U-THERE-ACK seq/ { exit }'
}

p1_acked() {
	p1_round | grep -q "DPD: R-U-THERE-ACK seq"
}

# In that round: one Main Mode, established, and no Quick Mode.
p1_main_mode_only() {
	local r
	r=$(p1_round)
	[ "$(grep -c "initiating Main Mode" <<<"$r")" = 1 ] &&
		[ "$(grep -c "ISAKMP SA established with $IKE_ADDR2:500 (peer" <<<"$r")" = 1 ] &&
		! grep -Eq "Quick Mode|QM[0-9]|IPsec SA established" <<<"$r" ||
		{ echo "$r"; return 1; }
}

# a's status shows an ack that came after its DPD negotiation.
a_acked() {
	local st seq
	st=$(eike a status) || return 1
	seq=$(grep -Eo "^  dpd idle delay ${DELAY}s timeout ${TIMEOUT}s action restart last ack [0-9]+s ago \(seq [0-9]+\)$" <<<"$st" |
		sed 's/.*(seq \([0-9]*\))$/\1/')
	[ -n "$seq" ] && since_p1 | grep -q "DPD: R-U-THERE-ACK seq $seq$" ||
		{ echo "$st"; return 1; }
}

# The only Quick Mode on either side is the first one: no_quick_mode
# PEER_QM (the peer's count of them).
no_quick_mode() {
	[ "$(esptund_log a | grep -c "initiating Quick Mode")" = 1 ] &&
		[ "$(a_quick)" = "$QUICK" ] && [ "$($1)" = 1 ]
}

# SPIs: a's are the ones from before, the peer's the same pair the other
# way round. same_spis PEER_SPIS
same_spis() {
	local ours theirs
	ours=$(esptund_spis a)
	theirs=$($1)
	[ "$ours" = "$SPIS" ] && [ "$theirs" = "${SPIS#* } ${SPIS% *}" ] ||
		{ echo "a: '$ours' (was '$SPIS'), peer: '$theirs'"; return 1; }
}

# dpd_p1_case TAG EXPIRED GONE PEER_QM PEER_SPIS [INNER]: a (just
# started, its log marked before) brings the tunnel up, one side's
# ISAKMP SA expires (EXPIRED tests that side's log) and the other side
# drops its own on the Delete (GONE); the rest as said on top. INNER
# puts the peer's inner address on once its device exists.
N_CASE=13
dpd_p1_case() {
	local tag=$1 expired=$2 gone=$3 qm=$4 spis=$5 inner=$6 t_up i
	if ! ktap_check "$tag-up" eike a up -t 60 peer; then
		for ((i = 1; i < N_CASE; i++)); do
			ktap_skip "$tag-$i" "no SA"
		done
		return
	fi
	t_up=$SECONDS
	[ -n "$inner" ] && "$inner"
	ktap_check "$tag-ping" ike_ping $IKE_NS1 $IKE_IN2 2
	SPIS=$(esptund_spis a)
	QUICK=$(a_quick)
	echo "# $tag: SPIs $SPIS, $QUICK"

	# The ISAKMP SA ends IKE_LIFE after it was established: that side
	# deletes it and the other drops its own on that Delete. The IPsec
	# SAs stay.
	ktap_check "$tag-isakmp-expired" wait_for -t $((IKE_LIFE + 20)) \
		"$expired"
	ktap_check "$tag-isakmp-deleted" wait_for -t 10 "$gone"
	# Seen in the dpd-delay between the Delete and DPD's negotiation (of
	# this round or a later one).
	ktap_check "$tag-a-ipsec-sas-only" \
		wait_for -t $((IKE_LIFE + DELAY + 20)) a_children_only
	# After dpd-delay of silence, a negotiates one, phase 1 alone.
	if ktap_check "$tag-dpd-negotiates-isakmp-sa" \
		wait_for -t $((DELAY + 10)) p1_logged; then
		echo "# $tag: $(since_p1 | head -1 | sed 's/.*\] DPD: //')"
	fi
	# Then R-U-THERE over it, once it was quiet for dpd-delay, answered.
	ktap_check "$tag-r-u-there-answered" wait_for -t $((DELAY + 20)) \
		p1_acked
	ktap_check "$tag-main-mode-only" p1_main_mode_only
	ktap_check "$tag-status-last-ack" a_acked
	ktap_check "$tag-no-quick-mode" no_quick_mode "$qm"
	ktap_check "$tag-spis-unchanged" same_spis "$spis"
	ktap_check "$tag-ping-after" ike_ping $IKE_NS1 $IKE_IN2 2
	ktap_check "$tag-spis-still-unchanged" same_spis "$spis"
	echo "# $tag: case done $((SECONDS - t_up)) s after the tunnel came up"
}

ike_warmup
ike_topo || exit 1
for ns in $IKE_NS1 $IKE_NS2; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 initiate dpd-delay=${DELAY}s dpd-timeout=${TIMEOUT}s
# b takes its shorter ike-lifetime over the 24 h a offers, lets the
# ISAKMP SA expire (rekey = no) and keeps the IPsec SAs their hour.
# dpd = no: b only answers R-U-THERE (its vendor ID still says it does
# DPD), so every DPD step below is a's.
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen ike-lifetime=${IKE_LIFE}s rekey=no dpd=no
# b first: a's own first attempt then succeeds.
if esptund_start b $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2

b_expired() {
	esptund_log_has b "ISAKMP SA with $IKE_ADDR1:500 expired"
}
b_qm() {
	esptund_log b | grep -c "QM1 received ("
}
b_spis() {
	esptund_spis b
}
a_deleted() {
	esptund_log_has a "INFO: peer deleted the ISAKMP SA"
}
dpd_p1_case esptund b_expired a_deleted b_qm b_spis
esptund_stop a
esptund_stop b
# b's device would keep the inner route in ns2 from pluto's own.
ip -n $IKE_NS2 link del esp0
echo "# esptund case done at $SECONDS s"

# ---- libreswan ----
if why=$(lsw_available); then
	# Here a's own ISAKMP SA lifetime is the one in use: pluto takes it.
	# pluto announces DPD but does not probe within the case: a probe
	# would find no ISAKMP SA (a lets them expire) and pluto would drop
	# the IPsec SA; so the delay is far beyond the case's length, even in
	# a slow guest.
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
		aes128gcm16 initiate dpd-delay=${DELAY}s \
		dpd-timeout=${TIMEOUT}s ike-lifetime=${IKE_LIFE}s rekey=no
	if lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK \
		aes128-sha2_256-modp2048 aes_gcm128-null no $IFID \
		>"$IKE_DIR/start.out" 2>&1 &&
	   sed -i 's/^\tauto=add/\tdpddelay=900\n\tdpdtimeout=1800\n\tauto=add/' \
		"$LSW_DIR/ipsec.conf" && lsw_load >>"$IKE_DIR/start.out" 2>&1 &&
	   esptund_mark a && esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
		ktap_ok "libreswan-starts"
	else
		ktap_fail "libreswan-starts" "$(cat "$IKE_DIR/start.out")"
	fi
	# Both ends of the ISAKMP SA have a's lifetime and expire together:
	# whichever gets there first deletes it, the other drops its own.
	a_expired() {
		esptund_log_has a "ISAKMP SA with $IKE_ADDR2:500 expired" ||
			esptund_log_has a "INFO: peer deleted the ISAKMP SA"
	}
	lsw_deleted() {
		grep -q "deleting state (STATE_MAIN_R3)" "$LSW_DIR/pluto.log"
	}
	lsw_qm() {
		grep -c "IPsec SA established" "$LSW_DIR/pluto.log"
	}
	lsw_up_inner() { lsw_inner $IFID $IKE_IN2 $IKE_IN1; }
	dpd_p1_case libreswan a_expired lsw_deleted lsw_qm lsw_spis lsw_up_inner
	echo "# libreswan case done at $SECONDS s"
else
	ktap_skip "libreswan-starts" "$why"
	for ((i = 0; i < N_CASE; i++)); do
		ktap_skip "libreswan-$i" "$why"
	done
fi

ktap_finished
