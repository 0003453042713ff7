#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU through the tunnel:
#
#   netns a                   netns r                   netns b
#   esp0 192.168.1.1/fd01::1                            esp0 192.168.2.1/fd02::1
#   va 10.0.1.1/fd00:1::1 == ra .2 (r) rb 10.0.2.1 ==(mtu 1300)== vb 10.0.2.2/fd00:2::2
#
# DF pings from a that fit esp0's MTU but not the path cross r, whose link to b has MTU 1300: r answers
# the outer ESP packet with ICMP "fragmentation needed" (or ICMPv6 "packet
# too big"); esptun lowers the outer path MTU of its SAs, and the next
# large inner packet gets its own ICMP back, carrying the inner MTU that
# fits. Pings that fit go through. An ICMP error about an ESP packet of
# an SA that is neither esptun's nor xfrm's changes no route; the same
# ICMP naming esptun's SA does.
#
# Then forged errors from r, while a pings b through the tunnel. Quoting
# an unknown SPI, the SA's SPI to another destination or from a source
# not the SA's, the inbound SA, an ESP-in-UDP SA's SPI in raw ESP, or
# saying host unreachable or an MTU above the path's: no path MTU, device
# MTU or SA changes. Quotes cut before the SPI (or inside the UDP header)
# are dropped by the kernel as malformed. About esptun's SA, IPv4 MTUs
# 68 and 0, and ESP in UDP of any SPI, take the path MTU no lower than
# the kernel's floor of 552 (locked; the outer packets get fragmented);
# IPv6 ones below 1280 change nothing, 1280 is taken. No ping is lost.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"
GCM="aead rfc4106(gcm(aes))"
INJ=$(dirname "$0")/esp_inject.py

ktap_plan 32

setup() {
	module_load || return 1
	netns_new a && netns_new r && netns_new b || return 1
	veth_pair a va r ra && veth_pair r rb b vb || return 1
	ip -n r link set rb mtu 1300
	ip -n b link set vb mtu 1300
	ip -n a addr add 10.0.1.1/24 dev va
	ip -n r addr add 10.0.1.2/24 dev ra
	ip -n r addr add 10.0.2.1/24 dev rb
	ip -n b addr add 10.0.2.2/24 dev vb
	ip -n a addr add fd00:1::1/64 dev va nodad
	ip -n r addr add fd00:1::2/64 dev ra nodad
	ip -n r addr add fd00:2::1/64 dev rb nodad
	ip -n b addr add fd00:2::2/64 dev vb nodad
	ip -n a route add 10.0.2.0/24 via 10.0.1.2
	ip -n b route add 10.0.1.0/24 via 10.0.2.1
	ip -n a route add fd00:2::/64 via fd00:1::2
	ip -n b route add fd00:1::/64 via fd00:2::1
	ip netns exec r sysctl -qw net.ipv4.ip_forward=1
	ip netns exec r sysctl -qw net.ipv6.conf.all.forwarding=1
	for n in a b; do
		ip -n $n link add esp0 type esptun || return 1
		ip -n $n link set esp0 up
	done
	ip -n a addr add 192.168.1.1/32 dev esp0
	ip -n a addr add fd01::1/128 dev esp0 nodad
	ip -n a route add 192.168.2.0/24 dev esp0 src 192.168.1.1
	ip -n a route add fd02::/64 dev esp0 src fd01::1
	ip -n b addr add 192.168.2.1/32 dev esp0
	ip -n b addr add fd02::1/128 dev esp0 nodad
	ip -n b route add 192.168.1.0/24 dev esp0 src 192.168.2.1
	ip -n b route add fd01::/64 dev esp0 src fd02::1
}

sas() {
	local k1 k2
	k1=$(hexkey 20)
	k2=$(hexkey 20)
	ns a "$ESPTUN" sa flush esp0 && ns b "$ESPTUN" sa flush esp0 &&
	ns a "$ESPTUN" set esp0 local "$1" remote "$2" &&
	ns b "$ESPTUN" set esp0 local "$2" remote "$1" &&
	ns a "$ESPTUN" sa add esp0 dir out spi 0x8001 $GCM "$k1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x8001 $GCM "$k1" 128 &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x8002 $GCM "$k2" 128 &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x8002 $GCM "$k2" 128
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
dmesg_mark
# r's ICMP errors come from one injector that runs all along, reading
# commands from a FIFO: under emulation a process start takes seconds.
FORGE_DIR=$(mktemp -d /tmp/pmtu-forge.XXXXXX)
cleanup_add rm -rf "$FORGE_DIR"
mkfifo "$FORGE_DIR/in"
# Read and write: opening it blocks neither here nor for the injector,
# whose stdin a background job only gets from a redirection of its own.
exec 7<>"$FORGE_DIR/in"
bg_start sh -c 'exec ip netns exec r "$1" - <"$2"' sh "$INJ" \
	"$FORGE_DIR/in" >"$FORGE_DIR/out" 2>&1
FORGED=0
# a holds port 4500, as esptund would, for the ESP in UDP below.
bg_start ip netns exec a "$ESPTUN" encap-listen 4500 >/dev/null 2>&1

# forge "QSRC QDST SPI MTU [OPTION...]"...: r sends $TO each ICMP error
# (esp_inject.py icmp-err); returns once a has had them.
forge() {
	local q
	FORGED=$((FORGED + 1))
	for q in "$@"; do
		echo "icmp-err $TO $q"
	done >&7
	echo "echo forged $FORGED" >&7
	wait_for -t 30 grep -qx "forged $FORGED" "$FORGE_DIR/out"
	sleep 0.2
}

# Outer IPv4, inner IPv4. The largest inner packet over MTU 1300:
# 1300 - 20 (IPv4) - 8 (ESP) - 8 (IV) - 16 (ICV) = 1248, aligned to 4,
# minus pad length and next header = 1246.
ktap_check "v4: SAs added" sas 10.0.1.1 10.0.2.2
pings "v4: small pings pass" a 192.168.2.1
# The first big one is lost on the way and teaches esptun the outer MTU.
ip netns exec a ping -q -c 2 -i 0.3 -W 1 -M do -s 1300 192.168.2.1 >/dev/null 2>&1
if ip -n a route get 10.0.2.2 | grep -q "mtu 1300"; then
	ktap_ok "v4: outer path MTU 1300 learned from r's ICMP"
else
	ktap_fail "v4: outer path MTU learned" "$(ip -n a route get 10.0.2.2)"
fi
out=$(ip netns exec a ping -c 2 -i 0.3 -W 1 -M do -s 1300 192.168.2.1 2>&1)
if [[ $out =~ mtu(\ =\ |=|:\ )1246 ]]; then
	ktap_ok "v4: a too big inner packet gets ICMP frag-needed with MTU 1246"
else
	ktap_fail "v4: ICMP frag-needed with MTU 1246" "$out"
fi
ktap_check "v4: 1246-byte DF packets pass" \
	ip netns exec a ping -q -c 2 -i 0.3 -W 2 -M do -s $((1246 - 28)) 192.168.2.1
m=$(dev_stat a esp0 mtu)
if [ "${m:-0}" -ge 1 ] 2>/dev/null; then
	ktap_ok "v4: mtu drops counted ($m)"
else
	ktap_fail "v4: mtu drops counted" "mtu: $m"
fi
ktap_check "v4: a packet without DF is fragmented outside and passes" \
	ip netns exec a ping -q -c 2 -i 0.3 -W 2 -M dont -s 1400 192.168.2.1

# icmp_err_check FAMILY-FLAG TO QSRC QDST SPI MTU WANT: r sends TO an ICMP
# error quoting ESP QSRC -> QDST with SPI and MTU; a's route to QDST then
# shows that MTU (WANT=learned) or none (WANT=ignored).
icmp_err_check() {
	local f=$1 r
	shift
	TO=$1 forge "$2 $3 $4 $5"
	r=$(ip -n a $f route get "$3")
	case $6:$r in
	learned:*"mtu $5"*) ktap_ok "$7" ;;
	ignored:*mtu*) ktap_fail "$7" "$r" ;;
	ignored:*) ktap_ok "$7" ;;
	*) ktap_fail "$7" "$r" ;;
	esac
}
icmp_err_check -4 10.0.1.1 10.0.1.1 10.0.2.9 0xdead0001 1200 ignored \
	"v4: ICMP about an SPI nobody here holds changes no route"
icmp_err_check -4 10.0.1.1 10.0.1.1 10.0.2.2 0x8001 1280 learned \
	"v4: the same ICMP about esptun's SA lowers the path MTU to 1280"

# Forged ICMP errors. Their sender says nothing (any router on the path
# may send one); what counts is the quote: esptun takes one only if it
# quotes raw ESP of one of its outbound SAs, to the SA's remote, from the
# SA's local address. The rest go on to xfrm, which holds nothing here.

# route_mtu FAMILY ADDR: "mtu N" ("mtu lock N" at the kernel's floor) of
# a's route to ADDR, or "none".
route_mtu() {
	ip -n a "$1" route get "$2" | grep -o 'mtu \(lock \)\?[0-9]*' ||
		echo none
}

# state: what no forged error may change in a but path MTUs: the esptun
# devices' MTUs, their endpoints and every SA's direction, SPI, state and
# endpoints.
state() {
	ip -n a -o link show type esptun | awk '{ print $2, $4, $5 }'
	ns a "$ESPTUN" -j show |
		grep -oE '"(ifname|dir|spi|state|local|remote|encap)":("[^"]*"|[0-9]+)'
}

# unchanged: state is still $st0 (printing the difference if not).
unchanged() {
	local now
	now=$(state)
	[ "$now" = "$st0" ] && return
	diff <(echo "$st0") <(echo "$now")
	return 1
}

# in_errors: ICMP and ICMPv6 errors a dropped as too short to read.
in_errors() {
	ip netns exec a awk '$1 == "Icmp:" && $3 ~ /^[0-9]+$/ { n += $3 }
		$1 == "Icmp6InErrors" { n += $2 }
		END { print n + 0 }' /proc/net/snmp /proc/net/snmp6
}

# ping_start ADDR / ping_check NAME: a pings ADDR through the tunnel the
# whole time; every request must be answered.
ping_start() {
	PLOG=$TEST_OUT/forged-ping.$1
	bg_start ip netns exec a ping -D -O -i 0.2 "$1" >"$PLOG" 2>&1
	PING_PID=$BG_PID
}
ping_check() {
	local lost got
	sleep 0.5
	bg_stop "$PING_PID"
	lost=$(ping_lost "$PLOG")
	got=$(grep -c 'bytes from' "$PLOG")
	ktap_check "$1: $got pings answered, none lost" \
		test "$lost" = 0 -a "$got" -ge 5
}

# An ESP-in-UDP SA to b on a device of its own, carrying nothing: its
# SPI quoted in raw ESP is not a packet it sent.
udp_sa() {
	ip -n a link add esp1 type esptun &&
	ns a "$ESPTUN" sa add esp1 dir out spi 0x8003 $GCM "$(hexkey 20)" 128 \
		encap espinudp 4500 4500 local 10.0.1.1 remote 10.0.2.2 &&
	wait_for -t 5 sh -c "ip netns exec a ss -Hlun | grep -q ':4500 '"
}
ktap_check "v4: an ESP-in-UDP SA to b on esp1, port 4500 held" udp_sa
ping_start 192.168.2.1
TO=10.0.1.1
st0=$(state)
e0=$(in_errors)
# An unknown SPI; the SA's to another address; from an address not a's;
# from a's but not the SA's; b's packet of the inbound SA; that SPI to b;
# the UDP SA's in raw ESP; host unreachable; above the path MTU; cut after
# the SPI, before it, in the UDP header. Each with an MTU of its own
# below the learned 1280: a route that took one names it.
forge "10.0.1.1 10.0.2.2 0xdead0003 1201" \
	"10.0.1.1 10.0.2.9 0x8001 1202" \
	"10.0.1.7 10.0.2.2 0x8001 1203" \
	"192.168.1.1 10.0.2.2 0x8001 1204" \
	"10.0.2.2 10.0.1.1 0x8002 1205" \
	"10.0.1.1 10.0.2.2 0x8002 1206" \
	"10.0.1.1 10.0.2.2 0x8003 1207" \
	"10.0.1.1 10.0.2.2 0x8001 1208 unreach" \
	"10.0.1.1 10.0.2.2 0x8001 9000" \
	"10.0.1.1 10.0.2.2 0x8001 1209 quote:4" \
	"10.0.1.1 10.0.2.2 0x8001 1210 quote:0" \
	"10.0.1.1 10.0.2.2 0x8003 1211 udp quote:6"
r=$(route_mtu -4 10.0.2.2)/$(route_mtu -4 10.0.2.9)
ktap_check "v4: forged errors (unknown SPI, other addresses, inbound or UDP SA, host unreachable, MTU 9000) change no path MTU ($r)" \
	test "$r" = "mtu 1280/none"
ktap_check "v4: nor a device MTU or an SA" unchanged
e1=$(in_errors)
ktap_check "v4: the 3 quotes cut before SPI or UDP header dropped as malformed ($e0 -> $e1)" \
	test $((e1 - e0)) = 3
# A genuine-looking one for the SA: the kernel takes no MTU below its
# floor, it pins the floor.
min=$(ip netns exec a sysctl -n net.ipv4.route.min_pmtu)
forge "10.0.1.1 10.0.2.2 0x8001 68"
r=$(route_mtu -4 10.0.2.2)
ktap_check "v4: MTU 68 about esptun's SA: path MTU $min, the floor, locked ($r)" \
	test "$r" = "mtu lock $min"
# 552 - 20 - 8 - 8 - 16 = 500, aligned to 4, minus 2 = 498.
ktap_check "v4: at path MTU $min, 498-byte DF inner packets pass" \
	ip netns exec a ping -q -c 1 -W 2 -M do -s $((498 - 28)) 192.168.2.1
ktap_check "v4: and a 1400-byte one without DF, the outer packet fragmented" \
	ip netns exec a ping -q -c 1 -W 2 -M dont -s 1400 192.168.2.1
# ESP in UDP is the kernel's UDP to handle, whatever the SPI: it takes the
# MTU of a quote of any UDP packet of ours, down to the same floor.
forge "10.0.1.1 10.0.2.2 0x8001 0" \
	"10.0.1.1 10.0.2.2 0x8003 68 udp" \
	"10.0.1.1 10.0.2.2 0xdead0005 0 udp" \
	"10.0.1.1 10.0.2.2 0x8003 0 udp quote:8"
r=$(route_mtu -4 10.0.2.2)
ktap_check "v4: MTU 0, and ESP in UDP (any SPI, none quoted) of 68 or 0: path MTU stays $min ($r)" \
	test "$r" = "mtu lock $min"
ping_check "v4: pings through the tunnel meanwhile"

# Outer IPv6, inner IPv6. Over 1300 the tunnel could not carry the IPv6
# minimum of 1280 and fragments the outer packet instead (RFC 8200 wants
# 1280 to pass), so r's link goes to 1360 for this part:
# 1360 - 40 - 8 - 8 - 16 = 1288 -> 1286.
ip -n r link set rb mtu 1360
ip -n b link set vb mtu 1360
ktap_check "v6: SAs added" sas fd00:1::1 fd00:2::2
pings "v6: small pings pass" a fd02::1
ip netns exec a ping -q -c 2 -i 0.3 -W 1 -M do -s 1300 fd02::1 >/dev/null 2>&1
if ip -n a -6 route get fd00:2::2 | grep -q "mtu 1360"; then
	ktap_ok "v6: outer path MTU 1360 learned from r's packet too big"
else
	ktap_fail "v6: outer path MTU learned" "$(ip -n a -6 route get fd00:2::2)"
fi
out=$(ip netns exec a ping -c 2 -i 0.3 -W 1 -M do -s 1300 fd02::1 2>&1)
if [[ $out =~ mtu(\ =\ |=|:\ )1286 ]]; then
	ktap_ok "v6: a too big inner packet gets packet-too-big with MTU 1286"
else
	ktap_fail "v6: packet-too-big with MTU 1286" "$out"
fi
ktap_check "v6: 1286-byte packets pass" \
	ip netns exec a ping -q -c 2 -i 0.3 -W 2 -M do -s $((1286 - 48)) fd02::1
icmp_err_check -6 fd00:1::1 fd00:1::1 fd00:2::9 0xdead0002 1300 ignored \
	"v6: packet too big about an SPI nobody here holds changes no route"
icmp_err_check -6 fd00:1::1 fd00:1::1 fd00:2::2 0x8001 1300 learned \
	"v6: the same about esptun's SA lowers the path MTU to 1300"

ping_start fd02::1
TO=fd00:1::1
st0=$(state)
e0=$(in_errors)
# The same over IPv6, each MTU its own between the IPv6 minimum and the
# learned 1300; then, about esptun's SA, MTUs the kernel refuses.
forge "fd00:1::1 fd00:2::2 0xdead0004 1281" \
	"fd00:1::1 fd00:2::9 0x8001 1282" \
	"fd00:1::7 fd00:2::2 0x8001 1283" \
	"fd01::1 fd00:2::2 0x8001 1284" \
	"fd00:2::2 fd00:1::1 0x8002 1285" \
	"fd00:1::1 fd00:2::2 0x8001 1286 unreach" \
	"fd00:1::1 fd00:2::2 0x8001 1287 quote:4" \
	"fd00:1::1 fd00:2::2 0x8001 1288 udp quote:6" \
	"fd00:1::1 fd00:2::2 0x8001 9000" \
	"fd00:1::1 fd00:2::2 0x8001 1279" \
	"fd00:1::1 fd00:2::2 0x8001 68" \
	"fd00:1::1 fd00:2::2 0x8001 0"
r=$(route_mtu -6 fd00:2::2)/$(route_mtu -6 fd00:2::9)
ktap_check "v6: forged errors (unknown SPI, other addresses, inbound SA, address unreachable) and MTUs 9000, 1279, 68, 0 change no path MTU ($r)" \
	test "$r" = "mtu 1300/none"
ktap_check "v6: nor a device MTU or an SA" unchanged
e1=$(in_errors)
ktap_check "v6: the 2 quotes cut before SPI or UDP header dropped as malformed ($e0 -> $e1)" \
	test $((e1 - e0)) = 2
forge "fd00:1::1 fd00:2::2 0x8001 1280"
r=$(route_mtu -6 fd00:2::2)
ktap_check "v6: packet too big of 1280 about esptun's SA: path MTU 1280 ($r)" \
	test "$r" = "mtu 1280"
# 1280 - 40 - 8 - 8 - 16 = 1208 -> 1206: the tunnel cannot carry 1280
# inside, so it fragments the outer packet.
ktap_check "v6: at path MTU 1280, 1280-byte inner packets pass, the outer one fragmented" \
	ip netns exec a ping -q -c 1 -W 2 -M do -s $((1280 - 48)) fd02::1
ping_check "v6: pings through the tunnel meanwhile"
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
