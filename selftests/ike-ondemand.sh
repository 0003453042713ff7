#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# start = on-demand between two esptund (a on-demand, b listen and never
# rekeying, lifetime = 12s, rekey margin 4 s): nothing is negotiated until
# a ping is routed into a's device; an SA pair that carried nothing during
# the margin is not rekeyed but expires, on both sides (one sends the
# other a Delete for it), and the next ping brings the tunnel back with new SPIs;
# under a steady ping the pair is rekeyed as usual. What is idle comes
# from the module's per-SA last use.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=ike-ondemand-key
N_TESTS=11

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "ondemand-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

ike_warmup
ike_topo || exit 1
# No IPv6 on the devices: router solicitations would be traffic too.
for n in $IKE_NS1 $IKE_NS2; do
	ip netns exec $n sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 aes128gcm16 \
	on-demand lifetime=12s rekey-margin=4s rekey-fuzz=0%
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 aes128gcm16 \
	listen lifetime=12s rekey=no
if esptund_start a $IKE_NS1 >"$IKE_DIR/start.out" &&
   esptund_start b $IKE_NS2 >>"$IKE_DIR/start.out"; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1

sleep 2
ktap_check "nothing-before-traffic" esptun_no_sas $IKE_NS1

# The first pings start the negotiation (and are dropped); later ones pass.
ktap_check "ping-brings-it-up" \
	ip netns exec $IKE_NS1 ping -c 1 -w 20 -i 0.5 -q $IKE_IN2
first=$(esptund_spis a)

# Idle from here: at 8 s of age the pair is found idle and left to expire.
esptund_mark a
ktap_check "idle-not-rekeyed" wait_for -t 150 esptund_log_has a \
	"not rekeyed (start = on-demand)"
ktap_check "idle-expired-on-a" wait_for -t 100 esptun_no_sas $IKE_NS1
# Both sides expire the pair at the same moment (b took a's lifetime):
# whichever gets there first tells the other with a Delete, which the
# other takes (that an expiry sends one is test_ondemand's).
delete_sent() {
	[ -n "$first" ] && {
		esptund_log_has a "Delete ESP SPI ${first%% *}" ||
			esptund_log_has a "peer deleted IPsec SA of peer: in ${first%% *}"
	}
}
ktap_check "idle-expiry-delete-sent" wait_for -t 10 delete_sent
ktap_check "idle-expired-on-b" wait_for -t 50 esptun_no_sas $IKE_NS2

# Busy from here: a ping every 0.2 s, until stopped, brings the tunnel
# back and keeps it busy through every margin, from before the pair
# exists, so no margin opens before the first ping, however slow the
# guest. That its pings got through is checked when it is stopped.
esptund_mark a
bg_start ip netns exec $IKE_NS1 ping -i 0.2 -q $IKE_IN2 \
	>"$IKE_DIR/busy.ping" 2>&1
pid=$BG_PID
ktap_check "next-ping-brings-it-back" wait_for -t 30 esptund_log_has a \
	"IPsec SA established for peer"
second=$(esptund_established a | head -n 1)
if [ -n "$second" ] && [ "$second" != "$first" ]; then
	ktap_ok "new-spis ($first -> $second)"
else
	ktap_fail "new-spis" "before '$first', after '$second'"
fi

ktap_check "busy-rekeyed" wait_for -t 150 esptund_log_has a \
	"rekeying IPsec SA in ${second%% *}"
# Stopped only now: an idle verdict needs 4 s without a packet, so none
# can be logged before the check below.
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if esptund_log_has a "not rekeyed"; then
	ktap_fail "busy-not-let-expire" "$(esptund_log a | grep 'not rekeyed')"
elif [ $rc -ne 0 ]; then
	ktap_fail "busy-not-let-expire" "no reply: $(cat "$IKE_DIR/busy.ping")"
else
	ktap_ok "busy-not-let-expire"
fi

ktap_finished
