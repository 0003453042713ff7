#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Two sites joined by esptun, keyed by hand with the CLI ("make demo" runs
# this in the test guest):
#
#   netns site-a                                          netns site-b
#   host 10.1.0.1/24 on lan-a         (the "Internet")    lan-b 10.2.0.1/24
#   esp0 --- wan-a 198.51.100.1 ========== 198.51.100.2 wan-b --- esp0
#   route 10.2.0.0/24 dev esp0                  route 10.1.0.0/24 dev esp0
#
# Shows the devices and SAs, pings across, sends a file and compares
# hashes, then shows the counters.
source "$(dirname "$0")/../selftests/lib.sh"

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}
run() {
	printf '$ %s\n' "$*"
	"$@"
}

say "Loading esptun and building two sites"
module_load || exit 1
netns_new site-a && netns_new site-b || exit 1
veth_pair site-a wan-a site-b wan-b || exit 1
ip -n site-a addr add 198.51.100.1/24 dev wan-a
ip -n site-b addr add 198.51.100.2/24 dev wan-b
# The LAN of each site is a dummy interface holding the site's address.
ip -n site-a link add lan-a type dummy && ip -n site-a link set lan-a up
ip -n site-b link add lan-b type dummy && ip -n site-b link set lan-b up
ip -n site-a addr add 10.1.0.1/24 dev lan-a
ip -n site-b addr add 10.2.0.1/24 dev lan-b

say "esptun devices, endpoints, routes"
run ip -n site-a link add esp0 type esptun
run ip -n site-b link add esp0 type esptun
run ip netns exec site-a "$ESPTUN" set esp0 local 198.51.100.1 remote 198.51.100.2
run ip netns exec site-b "$ESPTUN" set esp0 local 198.51.100.2 remote 198.51.100.1
ip -n site-a link set esp0 up
ip -n site-b link set esp0 up
run ip -n site-a route add 10.2.0.0/24 dev esp0 src 10.1.0.1
run ip -n site-b route add 10.1.0.0/24 dev esp0 src 10.2.0.1

say "Manual keys: AES-GCM-128, one SA per direction"
KAB=0x$(head -c 20 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
KBA=0x$(head -c 20 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
GCM="rfc4106(gcm(aes))"
run ip netns exec site-a "$ESPTUN" sa add esp0 dir out spi 0x1000ab aead "$GCM" "$KAB" 128
run ip netns exec site-b "$ESPTUN" sa add esp0 dir in spi 0x1000ab aead "$GCM" "$KAB" 128
run ip netns exec site-b "$ESPTUN" sa add esp0 dir out spi 0x1000ba aead "$GCM" "$KBA" 128
run ip netns exec site-a "$ESPTUN" sa add esp0 dir in spi 0x1000ba aead "$GCM" "$KBA" 128

say "Pings from site A's LAN to site B's LAN"
run ip netns exec site-a ping -c 4 -i 0.3 10.2.0.1 || exit 1

say "What crosses the WAN is ESP (tcpdump on wan-b)"
ip netns exec site-b tcpdump -i wan-b -n -c 4 --immediate-mode esp 2>/dev/null &
dump=$!
sleep 1
ip netns exec site-a ping -q -c 2 -i 0.3 10.2.0.1 >/dev/null
wait "$dump"

say "A 512 KiB file from site A to site B over TCP"
rand_file "$TEST_OUT/file" 512
ip netns exec site-b timeout 60 socat -u TCP-LISTEN:7000,reuseaddr "OPEN:$TEST_OUT/file.recv,creat,trunc" &
rx=$!
wait_for -t 5 sh -c "ip netns exec site-b ss -Hltn | grep -q ':7000 '"
ip netns exec site-a timeout 60 socat -u "OPEN:$TEST_OUT/file" TCP:10.2.0.1:7000
wait "$rx"
sent=$(sha256sum <"$TEST_OUT/file" | cut -d' ' -f1)
got=$(sha256sum <"$TEST_OUT/file.recv" | cut -d' ' -f1)
echo "sent     sha256 $sent"
echo "received sha256 $got"
[ "$sent" = "$got" ] || { echo "demo: file differs"; exit 1; }

say "Counters"
run ip netns exec site-a "$ESPTUN" show
run ip netns exec site-b "$ESPTUN" show
run ip -n site-a -s link show esp0

say "Done: pings and the file went through the tunnel"
