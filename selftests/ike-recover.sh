#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# Recovery of stale state under traffic (a ping every 0.2 s), DPD off so
# that nothing waits for it. A "reboot" is a SIGKILL of the daemon and a
# flush of the module's SAs: the other side still holds everything.
#   1 b (listen) reboots: a's ESP hits SPIs b no longer knows; b, without
#     an ISAKMP SA, negotiates afresh with INITIAL-CONTACT and a drops
#     its stale SAs: one negotiation, traffic back.
#   2 a (initiate) reboots: it negotiates at once, with INITIAL-CONTACT,
#     and b drops its stale SAs.
#   3 b loses its inbound SA: a's ESP hits an unknown SPI, b tells a
#     INVALID-SPI, a replaces the pair.
#   4 esptund (listen) reboots under strongSwan's traffic: esptund
#     negotiates afresh, strongSwan follows INITIAL-CONTACT.
#   5 b (listen) is killed but its SAs stay in the kernel (no flush):
#     traffic goes on on them; a's next rekey finds no ISAKMP SA at b,
#     a gives its own up and negotiates anew; b's new pair replaces what
#     its previous run left without one ping lost.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=esptund-recover-key
IFID=42
N_TESTS=23

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "recover-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"

# crash NAME: the daemon dies and its kernel state with it.
crash() {
	local pid=${ESPTUND_PID[$1]}
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	unset "ESPTUND_PID[$1]"
	ip netns exec "${ESPTUND_NS[$1]}" "$ESPTUN" sa flush esp0
}

# restart NAME NS: started again; the log is marked first.
restart() {
	esptund_mark "$1"
	esptund_start "$1" "$2" >"$IKE_DIR/start.out" 2>&1 ||
		cat "$IKE_DIR/start.out"
}

# n_negotiations NAME: Main Modes NAME started since its mark.
n_negotiations() {
	esptund_log "$1" | grep -c "initiating Main Mode"
}

one_negotiation() {
	local n
	n=$(n_negotiations "$1")
	[ "$n" = 1 ] || { echo "$1 started $n Main Modes"; return 1; }
}

ike_warmup
ike_topo || exit 1
for ns in $IKE_NS1 $IKE_NS2; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 initiate dpd=no
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen dpd=no
if esptund_start b $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
ktap_check "up" wait_for -t 30 esptund_spis a
bg_start ip netns exec $IKE_NS1 ping -q -i 0.2 $IKE_IN2 >/dev/null 2>&1
PING=$BG_PID

# 1: b reboots; a keeps sending on the old SAs.
crash b
t0=$SECONDS
restart b $IKE_NS2
ktap_check "1-b-negotiates-afresh" wait_for -t 20 esptund_log_has b \
	"for unknown SPI"
ktap_check "1-a-drops-stale" wait_for -t 20 esptund_log_has a \
	"INITIAL-CONTACT: peer restarted"
ktap_check "1-back" wait_for -t 20 ike_ping $IKE_NS1 $IKE_IN2 2
echo "# 1: traffic back $((SECONDS - t0)) s after the restart"
ktap_check "1-one-negotiation" one_negotiation b

# 2: a reboots.
esptund_mark b
crash a
t0=$SECONDS
restart a $IKE_NS1
ktap_check "2-b-drops-stale" wait_for -t 20 esptund_log_has b \
	"INITIAL-CONTACT: peer restarted"
ktap_check "2-back" wait_for -t 20 ike_ping $IKE_NS1 $IKE_IN2 2
echo "# 2: traffic back $((SECONDS - t0)) s after the restart"
ktap_check "2-one-negotiation" one_negotiation a

# 3: b's inbound SA vanishes behind its back.
read -r b_in _ <<<"$(esptund_spis b)"
esptund_mark a
esptund_mark b
ip netns exec $IKE_NS2 "$ESPTUN" sa del esp0 dir in spi 0x$b_in
ktap_check "3-b-sends-invalid-spi" wait_for -t 20 esptund_log_has b \
	"telling the peer INVALID-SPI"
ktap_check "3-a-replaces-pair" wait_for -t 20 esptund_log_has a \
	"INVALID-SPI: peer does not know our outbound SA $b_in"
ktap_check "3-back" wait_for -t 20 ike_ping $IKE_NS1 $IKE_IN2 2
bg_stop $PING

# 5: b (listen) killed, its SAs left in the kernel. A short lifetime
# brings a's rekey soon; its Quick Mode is given up after 3.75 s.
esptund_stop a
esptund_stop b
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 initiate dpd=no lifetime=30s rekey-margin=20s \
	rekey-fuzz=0% retransmit-timeout=250ms retransmit-tries=3
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen dpd=no lifetime=30s
esptund_mark a
restart b $IKE_NS2
restart a $IKE_NS1
ktap_check "5-up" wait_for -t 30 esptund_spis a
wait_for -t 10 esptund_spis b >/dev/null
plog=$TEST_OUT/listen-kill.ping
ip netns exec $IKE_NS1 ping -D -O -i 0.1 $IKE_IN2 >"$plog" 2>&1 &
PING=$!
_lib_pids+=("$PING")
sleep 1
kill -KILL "${ESPTUND_PID[b]}"
wait "${ESPTUND_PID[b]}" 2>/dev/null
unset "ESPTUND_PID[b]"
restart b $IKE_NS2
ktap_check "5-b-keeps-left-sas" esptund_log_has b "of a previous run: kept"
ktap_check "5-a-gives-up-isakmp-sa" wait_for -t 30 esptund_log_has a \
	"ISAKMP SA given up"
ktap_check "5-b-replaces-left-outbound" wait_for -t 15 esptund_log_has b \
	"outbound SA(s) on esp0 that a previous esptund left"
ktap_check "5-b-left-inbound-after-grace" wait_for -t 15 \
	esptund_log_has b "inbound SA(s) that a previous esptund left"
sleep 1
kill -INT $PING
wait $PING 2>/dev/null
lost=$(ping_lost "$plog")
replies=$(grep -c "bytes from" "$plog")
echo "# 5: $replies replies, $lost pings unanswered"
ktap_check "5-none-lost" test "$lost" = 0 -a "$replies" -gt 100
one_pair_each() {
	local n
	n="$(esptun_n_sas $IKE_NS1) $(esptun_n_sas $IKE_NS2)"
	[ "$n" = "2 2" ] && return 0
	echo "SAs on a's and b's esp0: $n"
	ip netns exec $IKE_NS1 "$ESPTUN" show esp0
	ip netns exec $IKE_NS2 "$ESPTUN" show esp0
	return 1
}
ktap_check "5-one-pair-each" wait_for -t 10 one_pair_each
eike a down peer >/dev/null
esptund_stop a
esptund_stop b
ip -n $IKE_NS1 link del esp0
ip -n $IKE_NS2 link del esp0

# 4: esptund (listen) reboots while strongSwan sends.
if [ -x /usr/lib/ipsec/charon ]; then
	ike_xfrmi $IKE_NS2 xfrm$IFID $IFID veth2 $IKE_IN2 $IKE_IN1
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
		aes128gcm16 listen dpd=no
	if swan_start $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
	   swan_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
		aes128gcm16 $IFID >>"$IKE_DIR/start.out" 2>&1 &&
	   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
		ktap_ok "4-start"
	else
		ktap_fail "4-start" "$(cat "$IKE_DIR/start.out")"
	fi
	esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
	ktap_check "4-up" swan_up
	bg_start ip netns exec $IKE_NS2 ping -q -i 0.2 $IKE_IN1 >/dev/null 2>&1
	PING=$BG_PID
	crash a
	t0=$SECONDS
	restart a $IKE_NS1
	ktap_check "4-esptund-negotiates-afresh" wait_for -t 20 \
		esptund_log_has a "for unknown SPI"
	ktap_check "4-back" wait_for -t 30 ike_ping $IKE_NS2 $IKE_IN1 2
	echo "# 4: traffic back $((SECONDS - t0)) s after the restart"
	bg_stop $PING
else
	for t in start up esptund-negotiates-afresh back; do
		ktap_skip "4-$t" "strongSwan's charon is not installed"
	done
fi

ktap_finished
