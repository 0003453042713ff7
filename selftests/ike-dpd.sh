#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# Dead Peer Detection, esptund (ns1, start = initiate, dpd-delay 3 s,
# dpd-timeout 6 s, dpd-action restart) against esptund, strongSwan and
# libreswan in ns2, one after the other. Each: the tunnel comes up and
# carries a ping; while idle, R-U-THERE is answered; then ns2 drops
# everything from ns1 (nftables), esptund declares the peer dead within
# dpd-delay + dpd-timeout (plus a margin for the emulated guest), logs it
# and removes its SAs; once the path is back the tunnel returns by itself
# and carries traffic. Against esptund, the device's carrier follows the
# tunnel (off while the peer is dead, on again with the SAs), on both the
# initiating and the listening side.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=esptund-dpd-key
IFID=42
DELAY=3
TIMEOUT=6
# Dead within DELAY + TIMEOUT; the rest is the guest's slowness.
DEAD_WITHIN=$((DELAY + TIMEOUT + 12))
N_TESTS=34

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "dpd-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
command -v nft >/dev/null || skip_all "nft (nftables) is not installed"

# The path cut on the peer's side: ns2 drops everything from and to ns1.
cut_path() {
	ip netns exec $IKE_NS2 nft -f - <<EOF
table inet dpdcut {
	chain in { type filter hook input priority 0; ip saddr $IKE_ADDR1 drop; }
	chain out { type filter hook output priority 0; ip daddr $IKE_ADDR1 drop; }
}
EOF
}

restore_path() {
	ip netns exec $IKE_NS2 nft delete table inet dpdcut
}

carrier_off() {
	ip -n "$1" link show esp0 | grep -qw NO-CARRIER
}

carrier_on() {
	ip -n "$1" link show esp0 | grep -qw LOWER_UP
}

# The module reports carrier: esptund did not say it leaves it alone.
carrier_managed() {
	! grep -q "carrier of esp0 not managed" "$IKE_DIR/$1.log"
}

# check_carrier NAME TEST NS on|off
check_carrier() {
	if carrier_managed a; then
		ktap_check "$1" wait_for -t 5 carrier_$3 "$2"
	else
		ktap_skip "$1" "the esptun module does not report carrier"
	fi
}

# dpd_case TAG PEER_SPIS: up, idle R-U-THERE answered, cut, dead, back.
dpd_case() {
	local tag=$1 spis_fn=$2 t0 took
	esptund_mark a
	if ! ktap_check "$tag-up" eike a up -t 60 peer; then
		for t in ping ack status dead logged sas-removed back traffic; do
			ktap_skip "$tag-$t" "no SA"
		done
		[ -n "$4" ] && ktap_skip "$tag-while-dead" "no SA"
		return
	fi
	[ -n "$3" ] && "$3"
	ktap_check "$tag-ping" ike_ping $IKE_NS1 $IKE_IN2 2
	# Idle now: after DELAY, R-U-THERE, answered.
	ktap_check "$tag-ack" wait_for -t 15 esptund_log_has a \
		"DPD: R-U-THERE-ACK seq"
	ktap_check "$tag-status" sh -c "\"$ESPTUN\" ike -s $IKE_DIR/a.sock status |
		grep -q 'dpd idle delay ${DELAY}s timeout ${TIMEOUT}s action restart last ack'"
	esptund_mark a
	cut_path
	t0=$SECONDS
	if ktap_check "$tag-dead" wait_for -t $DEAD_WITHIN esptund_log_has a \
		"[conn peer] DPD: peer $IKE_ADDR2:500 is dead"; then
		took=$((SECONDS - t0))
		echo "# $tag: declared dead after $took s (delay $DELAY + timeout $TIMEOUT)"
		ktap_check "$tag-logged" esptund_log_has a "dpd-action restart"
	else
		ktap_skip "$tag-logged" "not declared dead"
	fi
	ktap_check "$tag-sas-removed" wait_for -t 5 esptun_no_sas $IKE_NS1
	[ -n "$4" ] && "$4"
	restore_path
	ktap_check "$tag-back" wait_for -t 45 esptund_spis a
	[ -n "$3" ] && "$3"
	ktap_check "$tag-traffic" wait_for -t 10 ike_ping $IKE_NS1 $IKE_IN2 2
	[ -n "$spis_fn" ] && ike_spis_agree "$(esptund_spis a)" "$($spis_fn)" >&2
}

ike_warmup
ike_topo || exit 1
for ns in $IKE_NS1 $IKE_NS2; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done

A_OPTS=(dpd-delay=${DELAY}s dpd-timeout=${TIMEOUT}s retransmit-timeout=500ms
	retransmit-tries=6)

# ---- esptund <-> esptund ----
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 initiate "${A_OPTS[@]}"
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen dpd-delay=$((2 * DELAY))s dpd-timeout=${TIMEOUT}s
# b probes later than a, so a's R-U-THERE is the one answered. b first:
# a's own first attempt then succeeds.
if esptund_start b $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "esptund-daemons-start"
else
	ktap_fail "esptund-daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2

# The path stays cut until b (listen, slower timers) has declared a dead
# too; restored earlier, a's INITIAL-CONTACT would clear b's SAs first.
a_carrier_off() {
	check_carrier "esptund-carrier-off-when-dead" $IKE_NS1 off
	wait_for -t 25 esptund_log_has b "dpd-action clear" &&
		wait_for -t 5 carrier_off $IKE_NS2 && b_dead_carrier=off
}
b_dead_carrier=on
dpd_case esptund "" "" a_carrier_off
check_carrier "esptund-carrier-on-when-up" $IKE_NS1 on
# b (listen) declared a dead too and cleared: carrier off while a was
# dead, on again once a came back.
ktap_check "esptund-listen-peer-cleared" esptund_log_has b "dpd-action clear"
listen_carrier() {
	[ "$b_dead_carrier" = off ] && wait_for -t 5 carrier_on $IKE_NS2
}
if carrier_managed a; then
	ktap_check "esptund-listen-carrier-off-while-dead-then-on" listen_carrier
else
	ktap_skip "esptund-listen-carrier-off-while-dead-then-on" \
		"the esptun module does not report carrier"
fi
eike a down peer >/dev/null
esptund_stop b
# b's device would keep the inner route in ns2 from the peers' own.
ip -n $IKE_NS2 link del esp0
echo "# esptund case done at $SECONDS s"

# ---- strongSwan ----
if [ -x /usr/lib/ipsec/charon ]; then
	ike_xfrmi $IKE_NS2 xfrm$IFID $IFID veth2 $IKE_IN2 $IKE_IN1
	if swan_start $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
	   swan_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
		aes128gcm16 $IFID >>"$IKE_DIR/start.out" 2>&1; then
		# DPD on in charon's conn, so it surely announces it.
		sed -i 's/dpd_delay = 0/dpd_delay = 60s/' "$SWAN_DIR/swanctl.conf"
		swan --load-all --noprompt --file "$SWAN_DIR/swanctl.conf" >/dev/null
		ktap_ok "strongswan-starts"
	else
		ktap_fail "strongswan-starts" "$(cat "$IKE_DIR/start.out")"
	fi
	dpd_case strongswan swan_spis
	eike a down peer >/dev/null
	swan_stop
	ip -n $IKE_NS2 link del xfrm$IFID
	echo "# strongSwan case done at $SECONDS s"
else
	for ((i = 0; i < 10; i++)); do
		ktap_skip "strongswan-$i" "strongSwan's charon is not installed"
	done
fi

# ---- libreswan ----
if why=$(lsw_available); then
	lsw_up_inner() { lsw_inner $IFID $IKE_IN2 $IKE_IN1; }
	if lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha2_256-modp2048 \
		aes_gcm128-null no $IFID >"$IKE_DIR/start.out" 2>&1; then
		# DPD on in pluto's conn, so it surely announces it.
		sed -i 's/^\tauto=add/\tdpddelay=60\n\tdpdtimeout=300\n\tauto=add/' \
			"$LSW_DIR/ipsec.conf"
		lsw_load >>"$IKE_DIR/start.out" 2>&1
		ktap_ok "libreswan-starts"
	else
		ktap_fail "libreswan-starts" "$(cat "$IKE_DIR/start.out")"
	fi
	dpd_case libreswan lsw_spis lsw_up_inner
	echo "# libreswan case done at $SECONDS s"
else
	for ((i = 0; i < 10; i++)); do
		ktap_skip "libreswan-$i" "$why"
	done
fi

ktap_finished
