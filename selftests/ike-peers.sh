#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The interop peers checked against each other, without esptund: strongSwan
# (ns1) and libreswan (ns2) negotiate IKEv1 Main Mode PSK on xfrm
# interfaces with 0.0.0.0/0 selectors and pass traffic. If this fails, the
# interop tests' peer setups are wrong, not esptund.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=peers-test-key
IFID_SWAN=42
IFID_LSW=7

ktap_plan 9

if ! why=$(lsw_available); then
	for t in charon-start pluto-start swan-init-up swan-init-ping \
		 swan-init-spis lsw-init-up lsw-init-ping lsw-init-spis \
		 lsw-init-transfer; do
		ktap_skip "$t" "$why"
	done
	ktap_finished
fi

ike_warmup
ike_topo || exit 1
ike_xfrmi $IKE_NS1 xfrm$IFID_SWAN $IFID_SWAN veth1 $IKE_IN1 $IKE_IN2

# Not under ktap_check: its subshell would lose the daemons' state.
if swan_start $IKE_NS1 >"$IKE_DIR/swan-start.out" 2>&1; then
	ktap_ok "charon-start"
else
	ktap_fail "charon-start" "$(cat "$IKE_DIR/swan-start.out")"
fi
if lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha1-modp2048 \
	"aes128-sha1;modp2048" yes $IFID_LSW >"$IKE_DIR/lsw-start.out" 2>&1; then
	ktap_ok "pluto-start"
else
	ktap_fail "pluto-start" "$(cat "$IKE_DIR/lsw-start.out")"
fi

# Case 1: strongSwan initiates, ESP aes128-sha1 with PFS modp2048.
swan_conf $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha1-modp2048 \
	aes128-sha1-modp2048 $IFID_SWAN
ktap_check "swan-init-up" swan_up
lsw_inner $IFID_LSW $IKE_IN2 $IKE_IN1
ktap_check "swan-init-ping" ike_ping $IKE_NS1 $IKE_IN2 3

ktap_check "swan-init-spis" ike_spis_agree "$(swan_spis)" "$(lsw_spis)"

# Case 2: libreswan initiates, ESP aes256gcm16 without PFS, IKE sha256.
swan_down >/dev/null 2>&1
lsw_down >/dev/null 2>&1
swan_conf $IKE_ADDR1 $IKE_ADDR2 $PSK aes256-sha256-modp2048 \
	aes256gcm16 $IFID_SWAN
lsw_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes256-sha2_256-modp2048 \
	aes_gcm256-null no $IFID_LSW
ktap_check "lsw-init-up" lsw_up
lsw_inner $IFID_LSW $IKE_IN2 $IKE_IN1
ktap_check "lsw-init-ping" ike_ping $IKE_NS2 $IKE_IN1 3
ktap_check "lsw-init-spis" ike_spis_agree "$(swan_spis)" "$(lsw_spis)"
ktap_check "lsw-init-transfer" ike_transfer $IKE_NS2 $IKE_NS1 $IKE_IN1 256

ktap_finished
