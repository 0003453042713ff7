#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# IKEv1 Aggressive Mode (PSK) with esptund in ns1, one peer at a time in
# ns2 (each leaves before the next comes, as they share the inner address):
#   1 esptund initiates (mode = aggressive) against strongSwan
#   2 strongSwan initiates Aggressive Mode, esptund answers (aggressive = yes)
#   3 esptund initiates against libreswan (aggressive=yes, one proposal)
#   4 esptund against esptund, both mode = aggressive (either may start:
#     traffic into b's new device before its IPv6 is off is an acquire)
# Each: the tunnel comes up, pings pass through the esptun device and
# `esptun ike status` shows AM_ACTIVE.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=aggressive-mode-test-key
SWAN_IFID=42
LSW_IFID=7
N_TESTS=15

ktap_plan $N_TESTS

skip_n() {	# FIRST COUNT REASON
	local i
	for ((i = 0; i < $2; i++)); do
		ktap_skip "$1-$i" "$3"
	done
}

# Where the time goes, for whoever finds this test slow (not checked).
stage() {
	ike_log "${SECONDS}s: $*"
}

if ! module_load; then
	skip_n aggressive $N_TESTS "esptun.ko could not be loaded"
	ktap_finished
fi

stage "warm-up"
ike_warmup
ike_topo || exit 1

ours() {	# IKE ESP [KEY=VALUE...]
	local ike=$1 esp=$2
	shift 2
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK "$ike" "$esp" listen "$@"
	eike a reload >/dev/null
}

# The conn's phase 1 line in esptund NAME's status says Aggressive Mode.
am_active() {
	eike "$1" status | grep -q '^conn peer: AM_ACTIVE ' ||
		{ eike "$1" status; return 1; }
}

am_active_both() {
	am_active a && am_active b
}

# pluto's ISAKMP SA is an established Aggressive Mode responder's.
lsw_aggressive() {
	lsw_states | grep -q STATE_AGGR_R2 || { lsw --status; return 1; }
}

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen mode=aggressive
if esptund_start a $IKE_NS1 >"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "esptund-start"
else
	ktap_fail "esptund-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2

# ---- strongSwan ----
stage "strongSwan"
if [ -x /usr/lib/ipsec/charon ] &&
   swan_start $IKE_NS2 >"$IKE_DIR/swan.out" 2>&1; then
	ike_xfrmi $IKE_NS2 xfrm$SWAN_IFID $SWAN_IFID veth2 $IKE_IN2 $IKE_IN1

	# 1: esptund initiates.
	swan_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
		aes128gcm16 $SWAN_IFID yes
	if ktap_check "1-esptund-init-strongswan-up" eike a up -t 60 peer; then
		ktap_check "1-status-aggressive" am_active a
		ktap_check "1-ping" ike_ping $IKE_NS1 $IKE_IN2 3
	else
		skip_n 1 2 "no SA"
	fi
	eike a down peer >/dev/null 2>&1
	swan_down >/dev/null 2>&1

	stage "strongSwan initiates"
	# 2: strongSwan initiates; esptund answers (mode main, aggressive = yes).
	ours aes256-sha256-ecp256 aes256gcm16 aggressive=yes
	swan_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes256-sha256-ecp256 \
		aes256gcm16 $SWAN_IFID yes
	ktap_check "2-strongswan-init-up" swan_up
	if ktap_check "2-esptund-responder-active" wait_for -t 10 \
		esptund_spis a; then
		ktap_check "2-status-aggressive" am_active a
		ktap_check "2-ping" ike_ping $IKE_NS1 $IKE_IN2 3
	else
		skip_n 2 2 "no SA"
	fi
	eike a down peer >/dev/null 2>&1
	swan_down >/dev/null 2>&1
	swan_stop
	ip -n $IKE_NS2 link del xfrm$SWAN_IFID
else
	skip_n strongswan 7 "strongSwan's charon is missing or did not start"
fi

# ---- libreswan ----
stage "libreswan"
why=$(lsw_available)
if [ -z "$why" ] &&
   lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK aes256-sha2_256-modp2048 \
	"aes128-sha1" no $LSW_IFID yes >"$IKE_DIR/lsw.out" 2>&1; then
	stage "pluto started"
	# 3: esptund initiates against pluto.
	ours aes256-sha256-modp2048 aes128-sha1 mode=aggressive
	if ktap_check "3-esptund-init-libreswan-up" eike a up -t 60 peer; then
		lsw_inner $LSW_IFID $IKE_IN2 $IKE_IN1
		ktap_check "3-status-aggressive" am_active a
		ktap_check "3-peer-aggressive" lsw_aggressive
		ktap_check "3-ping" ike_ping $IKE_NS1 $IKE_IN2 3
	else
		skip_n 3 3 "no SA"
	fi
	eike a down peer >/dev/null 2>&1
	stage "stopping pluto"
	lsw_stop
	ip -n $IKE_NS2 link del ipsec$LSW_IFID 2>/dev/null
else
	skip_n libreswan 4 "${why:-pluto did not start: $(tail -3 "$IKE_DIR/lsw.out")}"
fi

# ---- esptund on both ends ----
stage "esptund on both ends"
# 4: both ends in Aggressive Mode (a Main Mode conn answering it with
# aggressive = yes ran against strongSwan in case 2).
ours aes128-sha256-ecp256 aes128gcm16-ecp256 mode=aggressive
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-ecp256 \
	aes128gcm16-ecp256 listen mode=aggressive
if esptund_start b $IKE_NS2 >>"$IKE_DIR/start.out" 2>&1; then
	esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1
	if ktap_check "4-esptund-both-up" eike a up -t 60 peer; then
		ktap_check "4-status-aggressive-both" am_active_both
		ktap_check "4-ping" ike_ping $IKE_NS1 $IKE_IN2 3
	else
		skip_n 4 2 "no SA"
	fi
else
	ktap_fail "4-esptund-both-up" "esptund b did not start: $(cat "$IKE_DIR/start.out")"
	skip_n 4 2 "no daemon"
fi

stage "done"
ktap_finished
