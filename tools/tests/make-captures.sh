#!/usr/bin/env bash
# Makes the captures that tools/tests/test_decode.sh decodes: real IKEv1
# exchanges in the test guest, recorded by tcpdump, with the key table of
# each esptund side (esptun ike keys). The results are committed, so the
# host test never needs the guest.
#
#   tools/tests/make-captures.sh           on the host: boots the guest, then
#                                          copies the files into captures/
#   tools/tests/make-captures.sh --guest   what runs in the guest
#
# Captures (ns1 192.0.2.1 esptund or charon, ns2 192.0.2.2 the peer):
#   strongswan.pcap   Ethernet on ns1's veth: esptund initiates Main Mode
#                     and Quick Mode (PFS) with charon; the peer's answers
#                     are delayed 600 ms, so esptund retransmits MM3 and
#                     others; pings; esptun ike down sends Deletes.
#   concurrent.pcap   esptund and charon initiate at the same moment: two
#                     Main Modes between the same hosts.
#   libreswan.pcap    Linux cooked capture (-i any) on ns1: pluto
#                     initiates, esptund responds; ESP GCM; pluto deletes;
#                     pluto sends its own vendor ID (OE-Libreswan-VERSION).
#   natt.pcap         charon and pluto with UDP encapsulation forced:
#                     ISAKMP on 4500 behind the non-ESP marker, ESP in UDP;
#                     charon sends its strongSwan and Cisco Unity VIDs.
#   aggressive.pcap   charon initiates Aggressive Mode with pluto.
#   ipv6.pcap         esptund initiates with charon over IPv6.
#   *.keys            the Wireshark IKEv1 key table of the esptund side.
# On the host, editcap (Wireshark) derives strongswan.pcapng (pcapng) and
# libreswan-rawip.pcap (the Linux cooked headers cut off: raw IP), and
# fragment-capture.py strongswan-fragments.pcap (every message cut into
# IKE fragments of 200 bytes, a seed for the decoder's fuzzing).
# Every run makes all captures anew (new cookies, SPIs, frame numbers),
# which test_decode.sh names: a capture made again needs its checks
# there made again too.
set -u

if [ "${1:-}" != --guest ]; then
	TOP=$(cd "$(dirname "$0")/../.." && pwd)
	DEST=$TOP/tools/tests/captures
	out=$(mktemp -d "$TOP/build/captures.XXXXXX")
	make -s -C "$TOP" all || exit 1
	"$TOP/tools/vm/run" --timeout 900 --out "$out" -- \
		"$TOP/tools/tests/make-captures.sh" --guest || {
		echo "make-captures: the guest run failed, see $out" >&2
		exit 1
	}
	src=$out/make-captures/captures
	mkdir -p "$DEST"
	cp "$src"/*.pcap "$src"/*.keys "$DEST/" || exit 1
	rm -f "$DEST"/*.log
	# The cooked header is 16 bytes (SLL) or 20 (SLL2).
	l2=16
	tcpdump -r "$DEST/libreswan.pcap" -c1 2>&1 | grep -q LINUX_SLL2 && l2=20
	editcap -F pcapng "$DEST/strongswan.pcap" "$DEST/strongswan.pcapng" &&
		editcap -C $l2 -T rawip "$DEST/libreswan.pcap" \
			"$DEST/libreswan-rawip.pcap" &&
		"$TOP/tools/tests/fragment-capture.py" "$DEST/strongswan.pcap" \
			"$DEST/strongswan-fragments.pcap" 200 >/dev/null || exit 1
	ls -l "$DEST"
	exit 0
fi

source "$(dirname "$0")/../../selftests/lib.sh"
source "$TOP/selftests/ike-lib.sh"

PSK=decode-capture-key
IFID=42
IFID_LSW=7
CAP=$TEST_OUT/captures
mkdir -p "$CAP"

fail() {
	echo "make-captures: $*" >&2
	exit 1
}

module_load || fail "esptun.ko could not be loaded"
ike_warmup
ike_topo || fail "no topology"
ike_xfrmi $IKE_NS2 xfrm$IFID $IFID veth2 $IKE_IN2 $IKE_IN1

# Only IKE and ESP: the captures stay small and free of noise.
FILTER='udp port 500 or udp port 4500 or ip proto 50 or ip6 proto 50 or (ip[6:2] & 0x3fff != 0)'

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha1-modp2048 \
	aes128-sha1-modp2048 listen retransmit-timeout=400ms
swan_start $IKE_NS2 || fail "charon did not start"
esptund_start a $IKE_NS1 || fail "esptund did not start"
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2

# --- strongSwan, esptund initiating, answers delayed ------------------------

swan_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha1-modp2048 \
	aes128-sha1-modp2048 $IFID || fail "swan_conf"
tcpdump_start $IKE_NS1 veth1 "$CAP/strongswan.pcap" $FILTER || fail "tcpdump"
ip netns exec $IKE_NS2 tc qdisc add dev veth2 root netem delay 600ms ||
	fail "no netem in the guest"
eike a up -t 60 peer || fail "strongswan: not established"
ip netns exec $IKE_NS2 tc qdisc del dev veth2 root
ike_ping $IKE_NS1 $IKE_IN2 4 || fail "strongswan: no ping"
eike a keys peer >"$CAP/strongswan.keys" || fail "no keys"
eike a down peer
sleep 1
tcpdump_stop "$CAP/strongswan.pcap"
swan_down >/dev/null 2>&1

# --- both initiate at once ----------------------------------------------------

ip netns exec $IKE_NS1 "$ESPTUN" -j show >/dev/null
tcpdump_start $IKE_NS1 veth1 "$CAP/concurrent.pcap" $FILTER || fail "tcpdump"
# Both sides' MM1 leave before either answer comes back.
ip netns exec $IKE_NS2 tc qdisc add dev veth2 root netem delay 300ms
swan --initiate --child esptun --timeout 20 >/dev/null 2>&1 &
pid=$!
eike a up -t 60 peer
wait $pid
ip netns exec $IKE_NS2 tc qdisc del dev veth2 root
sleep 1
eike a keys peer >"$CAP/concurrent.keys" || fail "concurrent: no keys"
# The race is real, so it may be lost: then one Main Mode only.
[ "$(wc -l <"$CAP/concurrent.keys")" -ge 2 ] ||
	fail "concurrent: one side answered before the other initiated; run again"
eike a down peer
sleep 1
tcpdump_stop "$CAP/concurrent.pcap"
swan_down >/dev/null 2>&1

# --- IPv6, esptund initiating -------------------------------------------------

ip -n $IKE_NS1 addr add 2001:db8::1/64 dev veth1 nodad
ip -n $IKE_NS2 addr add 2001:db8::2/64 dev veth2 nodad
esptund_conf a 2001:db8::1 2001:db8::2 $PSK aes256-sha256-modp2048 \
	aes256gcm16 listen
eike a reload >/dev/null
swan_conf 2001:db8::2 2001:db8::1 $PSK aes256-sha256-modp2048 aes256gcm16 \
	$IFID || fail "swan_conf v6"
tcpdump_start $IKE_NS1 veth1 "$CAP/ipv6.pcap" \
	'udp port 500 or udp port 4500 or ip6 proto 50' || fail "tcpdump"
eike a up -t 60 peer || fail "ipv6: not established"
eike a keys peer >"$CAP/ipv6.keys" || fail "ipv6: no keys"
eike a down peer
sleep 1
tcpdump_stop "$CAP/ipv6.pcap"
swan_down >/dev/null 2>&1
swan_stop

# --- libreswan initiating, Linux cooked capture -------------------------------

# pluto brings its own interface for the inner addresses.
ip -n $IKE_NS2 link del xfrm$IFID

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha1-modp2048 aes256gcm16 \
	listen
eike a reload >/dev/null
why=$(lsw_available) || fail "$why"
# pluto announces itself here only (send-vendorid): the decoder names it.
LSW_SENDVID=yes lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK \
	aes128-sha1-modp2048 aes_gcm256-null no $IFID_LSW ||
	fail "pluto did not start"
tcpdump_start $IKE_NS1 any "$CAP/libreswan.pcap" $FILTER || fail "tcpdump"
lsw_up || fail "libreswan: not established"
lsw_inner $IFID_LSW $IKE_IN2 $IKE_IN1
ike_ping $IKE_NS2 $IKE_IN1 3 || fail "libreswan: no ping"
eike a keys peer >"$CAP/libreswan.keys" || fail "libreswan: no keys"
lsw_down
sleep 1
tcpdump_stop "$CAP/libreswan.pcap"
esptund_stop a

# --- charon and pluto with UDP encapsulation forced ------------------------------

# esptund's device would take the inner route from charon's interface.
ip -n $IKE_NS1 link del esp0
ike_xfrmi $IKE_NS1 xfrm$IFID $IFID veth1 $IKE_IN1 $IKE_IN2
# charon announces itself and Cisco Unity here: the decoder names them.
SWAN_CHARON_OPTS=$'send_vendor_id = yes\ncisco_unity = yes' \
	swan_start $IKE_NS1 || fail "charon did not start in ns1"
swan_conf $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha1-modp2048 aes128-sha1 \
	$IFID || fail "swan_conf natt"
sed -i 's/encap = no/encap = yes/' "$SWAN_DIR/swanctl.conf"
swan --load-all --clear --noprompt --file "$SWAN_DIR/swanctl.conf" \
	>/dev/null || fail "swanctl reload"
lsw_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha1-modp2048 aes128-sha1 no \
	$IFID_LSW || fail "lsw_conf natt"
tcpdump_start $IKE_NS1 veth1 "$CAP/natt.pcap" $FILTER || fail "tcpdump"
swan_up || fail "natt: not established"
lsw_inner $IFID_LSW $IKE_IN2 $IKE_IN1
ike_ping $IKE_NS1 $IKE_IN2 3 || fail "natt: no ping"
sleep 1
tcpdump_stop "$CAP/natt.pcap"
swan_down >/dev/null 2>&1
lsw_down >/dev/null 2>&1

# --- Aggressive Mode, charon initiating to pluto -------------------------------

swan_conf $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha1-modp2048 aes128-sha1 \
	$IFID yes || fail "swan_conf aggressive"
lsw_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha1-modp2048 aes128-sha1 no \
	$IFID_LSW yes || fail "lsw_conf aggressive"
tcpdump_start $IKE_NS1 veth1 "$CAP/aggressive.pcap" $FILTER || fail "tcpdump"
swan_up || fail "aggressive: not established"
# ESP of the new SA into the capture; pluto's interface has no address
# again, so no answer comes back (the SA alone matters here).
ike_ping $IKE_NS1 $IKE_IN2 2 >/dev/null
sleep 1
tcpdump_stop "$CAP/aggressive.pcap"

ls -l "$CAP"
echo "make-captures: done"
