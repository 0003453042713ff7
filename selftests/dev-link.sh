#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Link settings of esptun devices, for routing daemons and NAT traversal,
# between two esptun sites:
#
#   netns a: esp0 192.168.1.1 fd01::1 -- va 10.0.0.1 (.3) ==== vb 10.0.0.2 -- esp0 192.168.2.1 fd02::1 :netns b
#
#  - carrier off: NO-CARRIER, nothing leaves, kept over down/up; on: flows;
#  - MSS clamp on a's esp0: the MSS option of real TCP SYNs captured on
#    both devices (a's SYN arriving at b, b's SYN-ACK arriving at a),
#    fixed and auto, IPv4 and IPv6 inside, with valid checksums; the
#    senders announce 1460 (1440 for IPv6) through their routes' advmss;
#  - remote moved: ESP of a valid SA from another address (raw) or port
#    (UDP) raises the event and changes nothing; a packet failing its ICV,
#    a replay or a packet from the SA's own remote raise none;
#  - automatic MTU: the number for AES-GCM and AES-CBC+HMAC-SHA1, raw and
#    in UDP, following the newest outbound SA, SA_UPDATE, SA_DEL and a
#    lower path MTU; fixed leaves the MTU alone.
#
# Reads come from the text of "esptun show", and the packet tools run once
# per step: an interpreter started per check costs seconds in an emulated
# guest.
# selftest-timeout: 900
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"
INJ=$(dirname "$0")/esp_inject.py
GCM="aead rfc4106(gcm(aes))"
K1=$(hexkey 20)
K2=$(hexkey 20)
K3=$(hexkey 20)
T=$TEST_OUT

ktap_plan 44

setup() {
	two_sites || return 1
	# IPv6 inside the tunnel, for the MSS clamp of IPv6 SYNs.
	for n in a b; do
		ip netns exec $n sysctl -qw net.ipv6.conf.esp0.disable_ipv6=0
	done
	ip -n a addr add fd01::1/128 dev esp0 nodad &&
	ip -n b addr add fd02::1/128 dev esp0 nodad &&
	# Hosts behind the tunnel announce the MSS of their own link.
	ip -n a route replace 192.168.2.0/24 dev esp0 src 192.168.1.1 advmss 1460 &&
	ip -n b route replace 192.168.1.0/24 dev esp0 src 192.168.2.1 advmss 1460 &&
	ip -n a -6 route add fd02::/64 dev esp0 src fd01::1 advmss 1440 &&
	ip -n b -6 route add fd01::/64 dev esp0 src fd02::1 advmss 1440 &&
	ns a "$ESPTUN" sa add esp0 dir out spi 0x1001 $GCM "$K1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x1001 $GCM "$K1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x1002 $GCM "$K2" 128 &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x1002 $GCM "$K2" 128 &&
	tc -n b qdisc add dev vb clsact
}

# show_has NAME NS LINE...: the device part of "esptun show esp0" in NS
# (before its SAs) has every LINE.
show_has() {
	local name=$1 n=$2 out l
	shift 2
	out=$(ip netns exec "$n" "$ESPTUN" show esp0)
	out=$'\n'${out%%$'\n\n'*}$'\n'
	for l in "$@"; do
		if [[ $out != *$'\n'"  $l"$'\n'* ]]; then
			ktap_fail "$name" "no \"$l\" in: $out"
			return 1
		fi
	done
	ktap_ok "$name"
}

# sa_text NS DIR SPI: the lines of one SA in "esptun show esp0", into
# $SA_TEXT, each line between newlines; fails without such an SA.
sa_text() {
	local all hdr
	all=$(ip netns exec "$1" "$ESPTUN" show esp0)
	printf -v hdr 'sa: %s spi 0x%08x' "$2" "$3"
	SA_TEXT=
	[[ $all == *"$hdr"$'\n'* ]] || return 1
	SA_TEXT=${all#*"$hdr"}
	SA_TEXT=${SA_TEXT%%$'\n\n'*}$'\n'
}

# cnt NS DIR SPI NAME: one counter of an SA (packets, replay, icv-fail).
cnt() {
	sa_text "$1" "$2" "$3" &&
		[[ $SA_TEXT =~ counters:\ (.*,\ )?$4\ ([0-9]+) ]] &&
		echo "${BASH_REMATCH[2]}"
}

if ! setup >"$T/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$T/setup.log")"
	ktap_finished
fi
ktap_ok "setup: two sites, one SA pair"
dmesg_mark
# The helpers of the later parts start now, next to each other; each is
# waited for where it is needed.
mon=$T/monitor.b
bg_start ip netns exec b "$ESPTUN" monitor >"$mon" 2>"$mon.err"
bg_start ip netns exec b socat -u TCP6-LISTEN:5001,reuseaddr,ipv6only=0,fork /dev/null
bg_start ip netns exec b "$ESPTUN" encap-listen 4500 2>/dev/null
pings "tunnel carries traffic" a 192.168.2.1
show_has "defaults: carrier on, mss-clamp off, mtu fixed" a \
	"carrier: on" "mss-clamp: off" "mtu: fixed"

# --- carrier ---------------------------------------------------------------

link_has() {	# NS DEV WORD: "ip link show" lists WORD among the flags
	local l
	l=$(ip -n "$1" link show "$2")
	l=${l%%$'\n'*}
	[[ $l == *[\<,]"$3"[,\>]* ]]
}

ktap_check "carrier off" ns a "$ESPTUN" set esp0 carrier off
if ! link_has a esp0 LOWER_UP && wait_for -t 3 link_has a esp0 NO-CARRIER; then
	ktap_ok "carrier off: ip link shows NO-CARRIER, no LOWER_UP"
else
	ktap_fail "carrier off: ip link shows NO-CARRIER, no LOWER_UP" \
		"$(ip -n a link show esp0)"
fi
show_has "carrier off: show says so" a "carrier: off"
# The link watcher takes the link down (operstate DOWN) asynchronously.
wait_for -t 5 sh -c "ip -n a link show esp0 | grep -q 'state DOWN'" >/dev/null
out0=$(cnt a out 0x1001 packets)
in0=$(cnt b in 0x1001 packets)
if ip netns exec a ping -q -c 2 -i 0.2 -W 1 192.168.2.1 >/dev/null 2>&1; then
	ktap_fail "carrier off: ping fails" "ping went through"
else
	ktap_ok "carrier off: ping fails"
fi
out1=$(cnt a out 0x1001 packets)
in1=$(cnt b in 0x1001 packets)
if [ -n "$out1" ] && [ "$out0" = "$out1" ] && [ "$in0" = "$in1" ]; then
	ktap_ok "carrier off: nothing encrypted or sent (out SA at $out1 packets)"
else
	ktap_fail "carrier off: nothing encrypted or sent" \
		"out SA $out0 -> $out1, peer's in SA $in0 -> $in1"
fi
ktap_check "carrier on" ns a "$ESPTUN" set esp0 carrier on
if link_has a esp0 LOWER_UP &&
   wait_for -t 3 eval '! link_has a esp0 NO-CARRIER'; then
	ktap_ok "carrier on: LOWER_UP again"
else
	ktap_fail "carrier on: LOWER_UP again" "$(ip -n a link show esp0)"
fi
ktap_check "carrier on: ping goes through" \
	wait_for -t 5 ip netns exec a ping -q -c 1 -W 1 192.168.2.1
# A device set off while down comes up without carrier.
ip -n a link add esp1 type esptun
ns a "$ESPTUN" set esp1 carrier off
ip -n a link set esp1 up
# NO-CARRIER comes from the operational state, which the kernel's link
# watch updates a moment later; LOWER_UP (the carrier itself) at once.
if ! link_has a esp1 LOWER_UP && wait_for -t 3 link_has a esp1 NO-CARRIER; then
	ktap_ok "carrier off kept over ip link set up"
else
	ktap_fail "carrier off kept over ip link set up" "$(ip -n a link show esp1)"
fi
ip -n a link del esp1

# --- MSS clamp -------------------------------------------------------------

# syn_mss PCAP OUT...: for each raw-IP capture, one line per TCP SYN or
# SYN-ACK into OUT: "syn|synack PORT MSS ok|bad", PORT the client's, ok
# if the TCP checksum verifies.
syn_mss() {
	"${PY3[@]}" - "$@" <<'EOF'
import struct, sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def syns(path, out):
    d = open(path, "rb").read()
    e = "<" if struct.unpack("<I", d[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) \
        else ">"
    skip = {113: 16, 276: 20}.get(struct.unpack(e + "I", d[20:24])[0], 0)
    off = 24
    while off + 16 <= len(d):
        n = struct.unpack(e + "IIII", d[off:off + 16])[2]
        p = d[off + 16 + skip:off + 16 + n]
        off += 16 + n
        if p[0] >> 4 == 4:
            l4 = p[(p[0] & 15) * 4:struct.unpack("!H", p[2:4])[0]]
            ph = p[12:20] + struct.pack("!BBH", 0, p[9], len(l4))
            proto = p[9]
        else:
            l4 = p[40:40 + struct.unpack("!H", p[4:6])[0]]
            ph = p[8:40] + struct.pack("!I3xB", len(l4), p[6])
            proto = p[6]
        if proto != 6 or not l4[13] & 0x02:
            continue
        sport, dport = struct.unpack("!HH", l4[:4])
        opt, i, mss = l4[20:(l4[12] >> 4) * 4], 0, None
        while i < len(opt) and opt[i] != 0:
            if opt[i] == 1:
                i += 1
                continue
            if opt[i] == 2 and opt[i + 1] == 4:
                mss = struct.unpack("!H", opt[i + 2:i + 4])[0]
            i += max(opt[i + 1], 2)
        syn = not l4[13] & 0x10
        print("syn" if syn else "synack", sport if syn else dport, mss,
              "ok" if csum(ph + l4) == 0xffff else "bad", file=out)


for i in range(1, len(sys.argv), 2):
    with open(sys.argv[i + 1], "w") as f:
        syns(sys.argv[i], f)
EOF
}

# mss_case CLAMP ADDR PORT: a TCP connection from a (source PORT) to ADDR
# with a's esp0 set to "mss-clamp CLAMP".
mss_case() {
	ns a "$ESPTUN" set esp0 mss-clamp "$1" &&
	ip netns exec a timeout 20 socat -u /dev/null \
		"TCP:$2:5001,sourceport=$3,connect-timeout=10"
}

# syn_lines TEXT KIND PORT: the lines of TEXT (syn_mss output) for KIND
# and PORT, one after the other.
syn_lines() {
	local l out=
	while read -r l; do
		[[ $l == "$2 $3 "* && " $out " != *" $l "* ]] && out+="$l "
	done <<<"$1"
	echo "$out"
}

# mss_expect NAME PORT A_SYN B_SYN B_SYNACK A_SYNACK: the MSS of the SYN
# a sent (before its clamp), as b got it, of the SYN-ACK b sent and as a
# got it; what arrived must have a valid checksum.
mss_expect() {
	local name=$1 p=$2 got
	got="$(syn_lines "$SA" syn "$p")| $(syn_lines "$SB" syn "$p")"
	got+="| $(syn_lines "$SB" synack "$p")| $(syn_lines "$SA" synack "$p")"
	if [[ $got =~ ^"syn $p $3 "(ok|bad)" | syn $p $4 ok | synack $p $5 "(ok|bad)" | synack $p $6 ok "$ ]]; then
		ktap_ok "$name: SYN $3 -> $4, SYN-ACK $5 -> $6"
	else
		ktap_fail "$name" "want SYN $3 -> $4 (checksum ok), SYN-ACK $5 -> $6 (checksum ok); got: $got"
	fi
}

wait_for -t 20 sh -c "ip netns exec b ss -Hltn | grep -q ':5001 '" >/dev/null
tcpdump_start a esp0 "$T/mss-a.pcap" tcp
tcpdump_start b esp0 "$T/mss-b.pcap" tcp
ktap_check "IPv4, mss-clamp 1200: TCP connects" mss_case 1200 192.168.2.1 6001
ktap_check "IPv4, mss-clamp auto: TCP connects" mss_case auto 192.168.2.1 6002
ktap_check "IPv6, mss-clamp auto: TCP connects" mss_case auto '[fd02::1]' 6003
ktap_check "IPv6, mss-clamp 1300: TCP connects" mss_case 1300 '[fd02::1]' 6004
ktap_check "IPv4, mss-clamp off: TCP connects" mss_case off 192.168.2.1 6005
sleep 0.3
tcpdump_stop "$T/mss-a.pcap"
tcpdump_stop "$T/mss-b.pcap"
syn_mss "$T/mss-a.pcap" "$T/a.txt" "$T/mss-b.pcap" "$T/b.txt" ||
	ktap_diag "the captures could not be read"
SA=$(<"$T/a.txt")
SB=$(<"$T/b.txt")
# The device MTU is 1379: auto is 1379 - 40 for IPv4, 1379 - 60 for IPv6.
mss_expect "IPv4 fixed 1200" 6001 1460 1200 1460 1200
mss_expect "IPv4 auto" 6002 1460 1339 1460 1339
mss_expect "IPv6 auto" 6003 1440 1319 1440 1319
mss_expect "IPv6 fixed 1300" 6004 1440 1300 1440 1300
mss_expect "off: untouched" 6005 1460 1460 1460 1460
ns a "$ESPTUN" set esp0 mss-clamp 1400
show_has "mss-clamp 1400 reads back" a "mss-clamp: 1400"
ktap_expect_fail "mss-clamp 100 refused" "bad mss-clamp" \
	ns a "$ESPTUN" set esp0 local 10.0.0.9 mss-clamp 100
show_has "the refused line changed nothing" a "mss-clamp: 1400" "local: 10.0.0.1"
ns a "$ESPTUN" set esp0 mss-clamp off

# --- remote moved ------------------------------------------------------------

moved_lines() {
	grep -c '^remote-moved' "$mon" 2>/dev/null
}
# inj: esp_inject.py commands from stdin, one interpreter for all.
inj() {
	ip netns exec a "$INJ" -
}

ip -n a addr add 10.0.0.3/24 dev va
wait_for -t 20 grep -q "listening for events" "$mon.err" >/dev/null
wait_for -t 20 sh -c "ip netns exec b ss -Hlun | grep -q ':4500 '" >/dev/null
# Four echo requests as raw ESP (0x1001), then, once the newer SA 0x2001
# takes over, two in UDP: captured on b's link, dropped before b's stack.
# Those two carry 200 bytes, so b's capture tells them from anything else
# the tunnel carries meanwhile (IPv6 reports, late TCP segments).
# The drops go first: a packet captured before them (an IPv6 report on
# the tunnel) would also reach b's SA, and its replay count as a replay.
pcap=$T/moved.pcap
tc -n b filter add dev vb ingress pref 1 protocol ip u32 \
	match ip protocol 50 0xff action drop
tc -n b filter add dev vb ingress pref 2 protocol ip u32 \
	match ip protocol 17 0xff action drop
tcpdump_start b vb "$pcap" esp or udp port 4500
ip netns exec a ping -q -c 4 -i 0.1 -W 1 192.168.2.1 >/dev/null 2>&1
ns a "$ESPTUN" sa add esp0 dir out spi 0x2001 $GCM "$K3" 128 encap espinudp 4500 4500
ns b "$ESPTUN" sa add esp0 dir in spi 0x2001 $GCM "$K3" 128 encap espinudp 4500 4500
ip netns exec a ping -q -c 2 -s 200 -i 0.1 -W 1 192.168.2.1 >/dev/null 2>&1
sleep 0.3
tcpdump_stop "$pcap"
tc -n b filter del dev vb ingress pref 2
tc -n b filter del dev vb ingress pref 1
icv0=$(cnt b in 0x1001 icv-fail)
pk0=$(cnt b in 0x1001 packets)

n=$(inj <<EOB
count $pcap 0x1001
count $pcap 0x2001
replay $pcap 0x1001 0 flip-icv from 10.0.0.3
EOB
)
[ "$n" = $'4\n2' ] || ktap_diag "captured ESP packets of 0x1001 and 0x2001: $n, want 4 and 2"
sleep 0.5
icv1=$(cnt b in 0x1001 icv-fail)
if [ "$icv1" = $((icv0 + 1)) ] && [ "$(moved_lines)" = 0 ]; then
	ktap_ok "bad ICV from another address: counted, no event"
else
	ktap_fail "bad ICV from another address: counted, no event" \
		"icv-fail $icv0 -> $icv1; $(cat "$mon")"
fi

echo "replay $pcap 0x1001 1 from 10.0.0.3" | inj
want="remote-moved dev esp0 dir in spi 0x00001001 local 10.0.0.2 remote 10.0.0.3 encap none"
wait_for -t 5 grep -q '^remote-moved' "$mon" >/dev/null
if [ "$(grep '^remote-moved' "$mon")" = "$want" ]; then
	ktap_ok "authentic ESP from another address: one event"
else
	ktap_fail "authentic ESP from another address: one event" \
		"want: $want; got: $(cat "$mon")"
fi
pk1=$(cnt b in 0x1001 packets)
if [ "$pk1" = $((pk0 + 1)) ] && sa_text b in 0x1001 &&
	[[ $SA_TEXT == *$'\n  remote: 10.0.0.1\n'* ]]; then
	ktap_ok "the packet is delivered, the SA keeps its remote"
else
	ktap_fail "the packet is delivered, the SA keeps its remote" \
		"packets $pk0 -> $pk1; $SA_TEXT"
fi
# Past the one-second limit, so a missing event is not the rate limit's.
sleep 1.1
inj <<EOB
replay $pcap 0x1001 1 from 10.0.0.3
replay $pcap 0x1001 2
EOB
sleep 0.5
if [ "$(moved_lines)" = 1 ] && [ "$(cnt b in 0x1001 replay)" = 1 ]; then
	ktap_ok "replay from another address, packet from the remote: no event"
else
	ktap_fail "replay from another address, packet from the remote: no event" \
		"replay drops $(cnt b in 0x1001 replay); $(cat "$mon")"
fi

# The second event for 0x1001, and in UDP a new source port alone is a
# move (a NAT mapping changed).
tcpdump_start b esp0 "$T/moved-in.pcap" icmp
inj <<EOB
replay $pcap 0x1001 3 from 10.0.0.3
replay $pcap 0x2001 0 sport 4600
EOB
if wait_for -t 5 sh -c "[ \$(grep -c '^remote-moved' '$mon') = 3 ]" >/dev/null &&
	[ "$(grep -c "^$want\$" "$mon")" = 2 ]; then
	ktap_ok "still coming from there a second later: the event again"
else
	ktap_fail "still coming from there a second later: the event again" "$(cat "$mon")"
fi
want="remote-moved dev esp0 dir in spi 0x00002001 local 10.0.0.2 remote 10.0.0.1 encap espinudp sport 4500 dport 4600"
if grep -qx "$want" "$mon"; then
	ktap_ok "ESP in UDP from another port: event with the new port"
else
	ktap_fail "ESP in UDP from another port: event with the new port" \
		"want: $want; got: $(cat "$mon")"
fi
# The event leaves before the packet is delivered: give it a moment. The
# echo request of 200 bytes is the replayed one; other traffic may use the
# SA meanwhile, so its counter is not the proof.
udp_delivered() {
	[ "$(tcpdump -r "$T/moved-in.pcap" -n 2>/dev/null |
		grep -c 'ICMP echo request.*length 208$')" = 1 ]
}
wait_for -t 3 udp_delivered >/dev/null
delivered=$(udp_delivered && echo yes)
tcpdump_stop "$T/moved-in.pcap"
if [ "$delivered" = yes ] && sa_text b in 0x2001 &&
	[[ $SA_TEXT == *$'\n  encap: espinudp sport 4500 dport 4500\n'* ]]; then
	ktap_ok "the UDP SA keeps its port, the packet is delivered"
else
	sa_text b in 0x2001
	ktap_fail "the UDP SA keeps its port, the packet is delivered" \
		"delivered: ${delivered:-no}; on b's esp0: $(tcpdump -r "$T/moved-in.pcap" -n 2>/dev/null); SA 0x2001: ${SA_TEXT:-none}"
fi

# --- automatic MTU -------------------------------------------------------------

CBC="enc cbc(aes) $(hexkey 16) auth-trunc hmac(sha1) $(hexkey 20) 96"
mtu_is() {	# NAME WANT
	local got
	got=$(ip netns exec a cat /sys/class/net/esp0/mtu)
	if [ "$got" = "$2" ]; then
		ktap_ok "$1: mtu $2"
	else
		ktap_fail "$1" "mtu $got, want $2"
	fi
}
sa_out() {	# SPI ALGO... [encap ...]
	local spi=$1
	shift
	# shellcheck disable=SC2068 # the words are the arguments
	ns a "$ESPTUN" sa add esp0 dir out spi "$spi" $@
}

sa_out 0x3001 $GCM "$K1" 128
mtu_is "fixed: a new SA leaves the MTU alone" 1379
# 1500 - (IPv4 20 + ESP 8 + IV 8 + padding 3 + trailer 2 + ICV 16)
ns a "$ESPTUN" set esp0 mtu auto
mtu_is "auto, AES-GCM-128, raw ESP" 1443
show_has "mtu auto reads back" a "mtu: auto"
# 1500 - (20 + 8 + IV 16 + padding 15 + 2 + ICV 12)
sa_out 0x3002 "$CBC"
mtu_is "auto, AES-CBC + HMAC-SHA1-96, raw ESP" 1427
sa_out 0x3003 "$CBC" encap espinudp 4500 4500
mtu_is "auto, AES-CBC + HMAC-SHA1-96, in UDP" 1419
sa_out 0x3004 $GCM "$K1" 128 encap espinudp 4500 4500
mtu_is "auto, AES-GCM-128, in UDP" 1435
ns a "$ESPTUN" sa del esp0 dir out spi 0x3004
mtu_is "after SA_DEL the newest left decides" 1419
ns a "$ESPTUN" sa update esp0 dir out spi 0x3003 encap none
mtu_is "SA_UPDATE to raw ESP" 1427
# A lower path MTU, found by the next packet.
ip -n a link set va mtu 1400
ip netns exec a ping -q -c 2 -i 0.2 -W 1 192.168.2.1 >/dev/null 2>&1
wait_for -t 5 sh -c "[ \$(ip netns exec a cat /sys/class/net/esp0/mtu) = 1327 ]" >/dev/null
mtu_is "path MTU 1400: 1400 - 73" 1327
# Never below IPv6's minimum, which would take IPv6 off the device: the
# outer packets are fragmented instead.
ip -n a link set va mtu 1300
ip netns exec a ping -q -c 2 -i 0.2 -W 1 192.168.2.1 >/dev/null 2>&1
wait_for -t 5 sh -c "[ \$(ip netns exec a cat /sys/class/net/esp0/mtu) = 1280 ]" >/dev/null
mtu_is "path MTU 1300: 1280, not 1300 - 73" 1280
ns a "$ESPTUN" set esp0 mtu fixed
sa_out 0x3005 $GCM "$K1" 128
mtu_is "fixed again: the MTU stays" 1280

ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
