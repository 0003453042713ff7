#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptund against esptund with two selector pairs on one conn
# (local-ts = remote-ts = 0.0.0.0/0, ::/0): one Quick Mode per pair under
# one ISAKMP SA, both SA pairs on esp0 with their own selectors in the
# module and in `esptun ike status`, IPv4 and IPv6 inner traffic through
# the one device, and `ike down` deleting both pairs on both sides.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=two-pairs-one-device
IN6_1=2001:db8:9::1
IN6_2=2001:db8:9::2
N_TESTS=12

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "multits-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

ike_warmup
ike_topo || exit 1

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 initiate "local-ts=0.0.0.0/0, ::/0" \
	"remote-ts=0.0.0.0/0, ::/0"
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen "local-ts=0.0.0.0/0, ::/0" \
	"remote-ts=0.0.0.0/0, ::/0"
# b first, so a's first Main Mode finds it; not under ktap_check, whose
# subshell would lose the daemons' pids.
if esptund_start b $IKE_NS2 >"$IKE_DIR/start.out" &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out"; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi

# Inner addresses of both families on the one device.
inner() {
	ip -n "$1" addr replace "$2" peer "$3" dev esp0
	ip -n "$1" addr replace "$4"/128 peer "$5"/128 dev esp0 nodad
	ip -n "$1" link set esp0 up
}
inner $IKE_NS1 $IKE_IN1 $IKE_IN2 $IN6_1 $IN6_2
inner $IKE_NS2 $IKE_IN2 $IKE_IN1 $IN6_2 $IN6_1

# n_active NAME: QM_ACTIVE child lines; has_pair NAME SEL: one for SEL.
n_active() {
	eike "$1" status 2>/dev/null | grep -c "child QM_ACTIVE: "
}
has_pair() {
	eike "$1" status 2>/dev/null |
		grep -q "child QM_ACTIVE: .* $2 === $2 lifetime"
}
both_up() {
	[ "$(n_active a)" = 2 ] && [ "$(n_active b)" = 2 ]
}
# sels NS SEL: the module's SAs on esp0 with selector SEL on both ends.
sels() {
	ip netns exec "$1" "$ESPTUN" show esp0 |
		grep -c "selector: src $2 dst $2 "
}
sels_are() {
	[ "$(sels "$1" "$2")" = "$3" ]
}

ktap_check "two-pairs-up" wait_for -t 90 both_up
ktap_check "status-v4-pair" has_pair a 0.0.0.0/0
ktap_check "status-v6-pair" has_pair a ::/0
# a's first two Quick Modes, one per pair, went under one ISAKMP SA.
ktap_check "one-isakmp-sa" test "$(grep 'initiating Quick Mode' \
	"$IKE_DIR/a.log" | head -2 | awk '{ print $3 }' | uniq | wc -l)" = 1
# b's device going up may raise an acquire before a's MM1 arrives: then
# both ends negotiated, and the duplicate pairs go within seconds.
ktap_check "module-v4-sas" wait_for -t 20 sels_are $IKE_NS1 0.0.0.0/0 2
ktap_check "module-v6-sas" wait_for -t 20 sels_are $IKE_NS2 ::/0 2
ktap_check "ping-v4" ike_ping $IKE_NS1 $IKE_IN2 2
ktap_check "ping-v6" ike_ping $IKE_NS1 $IN6_2 2
ktap_check "ping-v6-large" ip netns exec $IKE_NS2 ping -c 2 -i 0.3 -W 2 -q \
	-s 1200 $IN6_1

# Down deletes both pairs, on both sides. b's device goes down first:
# IPv6 neighbour discovery routed into it would raise an acquire, and b
# (listen) would negotiate the tunnel again at once, which a answers.
ip -n $IKE_NS2 link set esp0 down
ktap_check "down" eike a down peer
ktap_check "down-no-sa-both" wait_for -t 10 sh -c \
	"[ \$(ip netns exec $IKE_NS1 $ESPTUN -j show esp0 | grep -c '\"enc\"') = 0 ] &&
	 [ \$(ip netns exec $IKE_NS2 $ESPTUN -j show esp0 | grep -c '\"enc\"') = 0 ]"

ktap_finished
