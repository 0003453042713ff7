#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# DPD with IPsec SAs but no ISAKMP SA: esptund a (ns1, start = initiate,
# dpd-delay 3 s) against esptund b (ns2, listen, ike-lifetime 8 s,
# rekey = no, dpd = no). The tunnel comes up and carries a ping; b's
# ISAKMP SA expires and b deletes it, a drops its own on that Delete, and
# a's status shows no ISAKMP SA beside the same IPsec SA. With no
# traffic, a logs that it negotiates an ISAKMP SA after dpd-delay and
# does so in one Main Mode, no Quick Mode on either side (a's Quick Mode
# count and the SPIs are unchanged); it asks R-U-THERE over it and b
# answers (a's status shows that ack). The tunnel then carries a ping
# with the same SPIs, which both sides agree on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=esptund-dpd-p1-key
DELAY=3
TIMEOUT=10
# b's ISAKMP SA lifetime: long enough for a's R-U-THERE, dpd-delay after
# each new one, to come first.
IKE_LIFE=8
N_TESTS=14

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

# a's log from its first DPD negotiation on. b's ISAKMP SA expires again
# every IKE_LIFE, and a guest under load may see several rounds: the
# checks read the order of a's log rather than race its clock.
P1_LINE='\[conn peer\] DPD: nothing received for [0-9]+ s and no ISAKMP SA to ask over: negotiating one$'
since_p1() {
	local n
	n=$(grep -nE -m1 "$P1_LINE" "$IKE_DIR/a.log" | cut -d: -f1)
	[ -n "$n" ] && tail -n +"$n" "$IKE_DIR/a.log"
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

# The only Quick Mode on either side is the first one.
no_quick_mode() {
	[ "$(grep -c "initiating Quick Mode" "$IKE_DIR/a.log")" = 1 ] &&
		[ "$(grep -c "QM1 received (" "$IKE_DIR/b.log")" = 1 ] &&
		[ "$(a_quick)" = "$QUICK" ]
}

# a's SPIs are the ones from before, b's the same pair the other way.
same_spis() {
	local ours theirs
	ours=$(esptund_spis a)
	theirs=$(esptund_spis b)
	[ "$ours" = "$SPIS" ] && [ "$theirs" = "${SPIS#* } ${SPIS% *}" ] ||
		{ echo "a: '$ours' (was '$SPIS'), b: '$theirs'"; return 1; }
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

if ! ktap_check "up" eike a up -t 60 peer; then
	for ((i = 2; i < N_TESTS; i++)); do
		ktap_skip "dpd-p1-$i" "no SA"
	done
	ktap_finished
fi
t_up=$SECONDS
echo "# tunnel up at $t_up s"
ktap_check "ping" ike_ping $IKE_NS1 $IKE_IN2 2
SPIS=$(esptund_spis a)
QUICK=$(a_quick)
echo "# SPIs $SPIS, $QUICK"

# IKE_LIFE after it was established, b deletes its ISAKMP SA and a drops
# its own on that Delete. The IPsec SAs stay.
ktap_check "b-isakmp-expired" wait_for -t $((IKE_LIFE + 20)) \
	esptund_log_has b "ISAKMP SA with $IKE_ADDR1:500 expired"
ktap_check "a-isakmp-deleted" wait_for -t 10 \
	esptund_log_has a "INFO: peer deleted the ISAKMP SA"
# Seen in the dpd-delay between the Delete and DPD's negotiation (of this
# round or a later one).
ktap_check "a-ipsec-sas-only" wait_for -t $((IKE_LIFE + DELAY + 20)) \
	a_children_only
# After dpd-delay of silence, a negotiates one, phase 1 alone.
if ktap_check "dpd-negotiates-isakmp-sa" wait_for -t $((DELAY + 10)) \
	p1_logged; then
	echo "# $(since_p1 | head -1 | sed 's/.*\] DPD: //')"
fi
# Then R-U-THERE over it, once it was quiet for dpd-delay, answered.
ktap_check "r-u-there-answered" wait_for -t $((DELAY + 20)) p1_acked
ktap_check "main-mode-only" p1_main_mode_only
ktap_check "status-last-ack" a_acked
ktap_check "no-quick-mode" no_quick_mode
ktap_check "spis-unchanged" same_spis
ktap_check "ping-after" ike_ping $IKE_NS1 $IKE_IN2 2
ktap_check "spis-still-unchanged" same_spis
echo "# case done $((SECONDS - t_up)) s after the tunnel came up, at $SECONDS s"

ktap_finished
