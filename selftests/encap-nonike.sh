#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ESP in UDP through a UDP_ENCAP_ESPINUDP_NON_IKE socket: 8 zero bytes
# (the non-IKE marker of the old NAT-T drafts) sit between the UDP header
# and ESP. The unknown-spi event must still report the UDP ports of the
# datagram, as it does for UDP_ENCAP_ESPINUDP.
#
#   netns nonike: dummy0 192.0.2.1, a NON_IKE socket on its port 4500;
#                 ESP for an unknown SPI sent from port 4600
source "$(dirname "$0")/lib.sh"

N=nonike
T=$TEST_OUT

ktap_plan 4
dmesg_mark

ktap_check "module loads" module_load
netns_new $N
ip -n $N link add dummy0 type dummy
ip -n $N addr add 192.0.2.1/32 dev dummy0
ip -n $N link set dummy0 up
monitor_start $N "$T/mon.txt"

bg_start ip netns exec $N "${PY3[@]}" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 4500))
s.setsockopt(socket.IPPROTO_UDP, 100, 1)  # UDP_ENCAP, _ESPINUDP_NON_IKE
print("listening", flush=True)
time.sleep(600)' >"$T/listen"
ktap_check "NON_IKE socket held" wait_for -t 10 grep -q listening "$T/listen"

# send ADDR SPI: marker + ESP (SPI, sequence 1, 24 bytes) from port 4600.
send() {
	ip netns exec $N "${PY3[@]}" -c '
import socket, struct, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((sys.argv[1], 4600))
esp = struct.pack("!II", int(sys.argv[2], 0), 1) + bytes(24)
u.sendto(bytes(8) + esp, (sys.argv[1], 4500))' "$1" "$2"
}

send 192.0.2.1 0x0badf00d
wait_for -t 10 grep -q 0x0badf00d "$T/mon.txt"

want='unknown-spi spi 0x0badf00d peer 192.0.2.1 local 192.0.2.1 encap espinudp sport 4600 dport 4500'
if grep -qx "$want" "$T/mon.txt"; then
	ktap_ok "unknown-spi event with the datagram's ports"
else
	ktap_fail "unknown-spi event with the datagram's ports" \
		"want: $want; $(grep unknown-spi "$T/mon.txt")"
fi
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
