#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptund keeps a start = initiate conn up: a starts while b's esptund is
# not running yet, gives up on its first negotiations and retries with a
# backoff; once b starts, the tunnel comes up with no command given. Then
# an acquire (traffic into esp0 without an SA) brings a listen conn up.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=esptund-retry
N_TESTS=11

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "retry-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

ike_warmup
ike_topo || exit 1
# esp0 is created without IPv6: its router solicitations and MLD reports
# would raise acquires, and b would bring the tunnel up from its side.
for ns in $IKE_NS1 $IKE_NS2; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done

# Short retransmissions so that a gives up a few times in about 14 s:
# each negotiation ends 3.5 s after its MM1, then waits 1, 2, 4 s: b
# starts while a waits 4 s.
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 initiate retransmit-timeout=500ms retransmit-tries=3
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen
# Not under ktap_check: its subshell would lose the daemon's pid.
if esptund_start a $IKE_NS1 >"$IKE_DIR/start.out"; then
	ktap_ok "a-starts"
else
	ktap_fail "a-starts" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
wait_for -t 40 esptund_log_has a "retrying in 4 s (attempt 4)" >/dev/null
ktap_check "a-retries" esptund_log_has a \
	"[conn peer] negotiation failed: no response to MM1 from $IKE_ADDR2:500 after 3 tries; retrying in 2 s (attempt 3)"
ktap_check "a-backs-off" esptund_log_has a "retrying in 4 s (attempt 4)"

if esptund_start b $IKE_NS2 >"$IKE_DIR/start.out"; then
	ktap_ok "b-starts-later"
else
	ktap_fail "b-starts-later" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1
ktap_check "up-by-itself" wait_for -t 40 esptund_log_has a \
	"QM2: IPsec SA established"
ktap_check "a-initiated" esptund_log_has a "MM6: ISAKMP SA established"
ktap_check "a-has-spis" esptund_spis a
ktap_check "ping" ike_ping $IKE_NS1 $IKE_IN2 2

# A listen conn without an SA: traffic into esp0 brings it up.
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen
eike a down peer >/dev/null
eike a reload >/dev/null
ktap_check "down-no-sa" wait_for -t 10 esptun_no_sas $IKE_NS1
esptund_mark a
ip netns exec $IKE_NS1 ping -c 3 -i 1 -W 1 $IKE_IN2 >/dev/null 2>&1
ktap_check "acquire-brings-up" wait_for -t 20 esptund_log_has a \
	"QM2: IPsec SA established"
ktap_check "acquire-logged" esptund_log_has a \
	"[conn peer] acquire: negotiating now"

ktap_finished
