#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 900
# esptund against esptund between two namespaces: Main Mode and Quick Mode
# with every DH group (PFS in Quick Mode with the same group where that
# stays cheap under emulation), SPIs that agree, traffic through esptun,
# once over IPv6 outer addresses;
# then the daemon's runtime: reload refused with file:line and nothing
# changed, "ike down" deleting on both sides, the retransmission limit
# with its log line, SIGTERM removing every SA, and esptund detaching
# without -f.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=esptund-both-ends
# group  ESP proposal
CASES=(
	"modp2048 aes128gcm16-modp2048"
	"modp3072 aes256-sha256-modp3072"
	"modp4096 aes128-sha1"
	"modp6144 aes128gcm16"
	"modp8192 aes256gcm16"
	"ecp256 aes128gcm16-ecp256"
	"ecp384 aes256-sha384-ecp384"
	"ecp521 aes256gcm16-ecp521"
	"curve25519 chacha20poly1305-curve25519"
	"modp1536 aes128-sha1-modp1536"
	"modp1024 aes128-sha1"
)
N_TESTS=$((${#CASES[@]} * 3 + 32))

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "esptund-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

ike_warmup
ike_topo || exit 1

# a (ns1) initiates, b (ns2) listens.
conf_pair() {
	local ike=$1 esp=$2
	shift 2
	esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK "$ike" "$esp" listen \
		allow-weak=yes "$@"
	esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK "$ike" "$esp" listen \
		allow-weak=yes "$@"
}

conf_pair aes128-sha256-modp2048 aes128gcm16-modp2048
# Not under ktap_check: its subshell would lose the daemons' pids.
if esptund_start a $IKE_NS1 >"$IKE_DIR/start.out" &&
   esptund_start b $IKE_NS2 >>"$IKE_DIR/start.out"; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1

# The CLI's errors: no daemon, usage (exit 2), unknown conn.
ktap_expect_fail "cli-no-daemon" \
	"cannot connect to esptund at $IKE_DIR/none.sock: No such file or directory" \
	"$ESPTUN" ike -s "$IKE_DIR/none.sock" status
"$ESPTUN" ike -s "$IKE_DIR/a.sock" frobnicate >/dev/null 2>&1
ktap_check "cli-usage-exit-2" test $? = 2
ktap_expect_fail "cli-unknown-conn" "no conn named 'nope'" eike a up nope

# Start-up refusals: a device that is not esptun, a bad file (file:line).
sed 's/^interface = esp0$/interface = veth1/' "$IKE_DIR/a.conf" \
	>"$IKE_DIR/foreign.conf"
ktap_expect_fail "start-refuses-foreign-device" \
	"interface veth1: veth1 exists and is not an esptun device (veth)" \
	timeout 10 ip netns exec $IKE_NS1 "$ESPTUND" -f -c "$IKE_DIR/foreign.conf"
printf '[conn x]\nfoo = 1\n' >"$IKE_DIR/broken.conf"
ktap_expect_fail "start-refuses-bad-config" \
	"esptund: $IKE_DIR/broken.conf:2: unknown key 'foo' in [conn]" \
	timeout 10 "$ESPTUND" -f -c "$IKE_DIR/broken.conf"

for c in "${CASES[@]}"; do
	read -r group esp <<<"$c"
	conf_pair "aes128-sha256-$group" "$esp"
	eike a reload >/dev/null && eike b reload >/dev/null
	if ! ktap_check "$group-up" eike a up -t 90 peer; then
		ktap_skip "$group-spis" "no SA"
		ktap_skip "$group-ping" "no SA"
		continue
	fi
	ktap_check "$group-spis" ike_spis_agree "$(esptund_spis a)" \
		"$(esptund_spis b)"
	ktap_check "$group-ping" ike_ping $IKE_NS1 $IKE_IN2 2
done

# IPv6 outer addresses (IPv4 inside): IKE over UDP/IPv6, ESP over IPv6.
ip -n $IKE_NS1 addr add 2001:db8::1/64 dev veth1 nodad
ip -n $IKE_NS2 addr add 2001:db8::2/64 dev veth2 nodad
esptund_conf a 2001:db8::1 2001:db8::2 $PSK aes128-sha256-ecp256 \
	aes128gcm16 listen
esptund_conf b 2001:db8::2 2001:db8::1 $PSK aes128-sha256-ecp256 \
	aes128gcm16 listen
eike a reload >/dev/null && eike b reload >/dev/null
if ktap_check "ipv6-outer-up" eike a up -t 90 peer; then
	ktap_check "ipv6-outer-spis" ike_spis_agree "$(esptund_spis a)" \
		"$(esptund_spis b)"
	ktap_check "ipv6-outer-ping" ike_ping $IKE_NS1 $IKE_IN2 2
else
	ktap_skip "ipv6-outer-spis" "no SA"
	ktap_skip "ipv6-outer-ping" "no SA"
fi

# The last case is up: a bad reload is refused with file:line and
# changes nothing.
spis_before=$(esptund_spis a)
cp "$IKE_DIR/a.conf" "$IKE_DIR/a.conf.good"
echo "colour = blue" >>"$IKE_DIR/a.conf"
line=$(wc -l <"$IKE_DIR/a.conf")
ktap_expect_fail "reload-bad-refused" \
	"$IKE_DIR/a.conf:$line: unknown key 'colour' in [conn]" eike a reload
ktap_check "reload-bad-keeps-sa" test "$(esptund_spis a)" = "$spis_before"
mv "$IKE_DIR/a.conf.good" "$IKE_DIR/a.conf"

# Status in JSON carries the same SPIs; the kernel holds the SAs.
read -r s_in s_out <<<"$spis_before"
ktap_check "status-json" grep -q "\"spi_in\":\"$s_in\",\"spi_out\":\"$s_out\"" \
	<(eike a status -j)
ktap_check "kernel-has-sas" test "$(esptun_n_sas $IKE_NS1)" -ge 2

ktap_check "transfer" ike_transfer $IKE_NS1 $IKE_NS2 $IKE_IN2 256

# ike down: Delete sent, SAs gone on both sides.
ktap_check "down" eike a down peer
ktap_check "down-no-sa-a" wait_for -t 10 esptun_no_sas $IKE_NS1
ktap_check "down-no-sa-b" wait_for -t 10 esptun_no_sas $IKE_NS2

# Held down, the device has no carrier: routing daemons see it.
ktap_check "down-no-carrier" wait_for -t 5 sh -c \
	"ip -n $IKE_NS1 link show esp0 | grep -qw NO-CARRIER"

# Without an SA (gone behind esptund's back, so the conn is not held and
# the carrier stays on), traffic into esp0 makes the module raise an
# acquire event, which reaches esptund through its multicast subscription.
eike a up -t 30 peer >/dev/null
ip netns exec $IKE_NS1 "$ESPTUN" sa flush esp0
esptund_mark a
ip netns exec $IKE_NS1 ping -c 1 -W 1 $IKE_IN2 >/dev/null 2>&1
ktap_check "acquire-event-received" wait_for -t 5 \
	esptund_log_has a "kernel event on esp0: acquire"

# Retransmission limit: b gone, a gives up with a line naming the message.
esptund_stop b
conf_pair aes128-sha256-modp2048 aes128gcm16 retransmit-timeout=200ms \
	retransmit-tries=2
eike a reload >/dev/null
esptund_mark a
ktap_expect_fail "no-response-fails" "negotiation failed" eike a up -t 20 peer
ktap_check "no-response-logged" esptund_log_has a \
	"no response to MM1 from $IKE_ADDR2:500 after"

# SIGTERM with an SA up: exit 0, Deletes sent, no SA left in either kernel.
esptund_start b $IKE_NS2 >/dev/null
# This time a starts on its own (start = initiate) once reloaded.
conf_pair aes128-sha256-modp2048 aes128gcm16
eike b reload >/dev/null
esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 initiate
eike a reload >/dev/null
ktap_check "start-initiate-up" wait_for -t 60 esptund_spis a
esptund_stop a
ktap_check "sigterm-exit-0" test $? = 0
ktap_check "sigterm-no-sa-a" esptun_no_sas $IKE_NS1
ktap_check "sigterm-no-sa-b" wait_for -t 10 esptun_no_sas $IKE_NS2

# Without -f esptund detaches: the command returns 0 with the daemon
# running on in its own session, answering on its control socket; SIGTERM
# ends it and takes the socket away. Its log goes to syslog: a datagram
# socket at /dev/log, as syslogd holds one, records it.
esptund_stop b
rm -f "$IKE_DIR/b.sock"
SYSLOG=$IKE_DIR/syslog.txt
rm -f /dev/log
bg_start "${PY3[@]}" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
with open(sys.argv[1], "a") as f:
    while True:
        f.write(s.recv(8192).decode(errors="replace").rstrip("\0\n") + "\n")
        f.flush()' "$SYSLOG"
SYSLOG_PID=$BG_PID
# python starts slowly under emulation and load: a daemon started before
# the socket is bound would lose its first lines.
ktap_check "syslog-socket" wait_for -t 60 test -S /dev/log
ktap_check "daemon-detaches" \
	timeout 20 ip netns exec $IKE_NS2 "$ESPTUND" -c "$IKE_DIR/b.conf"
ktap_check "daemon-answers" wait_for -t 10 eike b status
dpid=$(pgrep -x -f -- "$ESPTUND -c $IKE_DIR/b.conf")
ktap_check "daemon-own-session" \
	test -n "$dpid" -a "$(ps -o sid= -p "${dpid:-0}" | tr -d ' ')" = "$dpid"
[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null
ktap_check "daemon-sigterm-ends" wait_for -t 10 \
	sh -c "! kill -0 ${dpid:-0} 2>/dev/null && ! test -e '$IKE_DIR/b.sock'"
# Facility daemon, level info: <30>; the ident with the daemon's pid.
syslog_has() {
	if wait_for -t 10 grep -Eq "^<30>.* esptund\\[${dpid:-0}\\]: $2" \
		"$SYSLOG"; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "$(cat "$SYSLOG")"
	fi
}
syslog_has "daemon-syslog-started" \
	"esptund started: $IKE_DIR/b.conf, [0-9]+ conn"
syslog_has "daemon-syslog-stopped" "esptund stopped$"
bg_stop "$SYSLOG_PID"
rm -f /dev/log

ktap_finished
