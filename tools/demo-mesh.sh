#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Three sites in a full mesh of esptun tunnels with OSPF over them ("make
# demo" runs this in the test guest after the two-site demo):
#
#                 rt-a 192.0.2.1, LAN 10.1.0.0/24
#                  esp-b /          \ esp-c
#                       /            \
#   rt-b 192.0.2.2 --- esp-c ---- esp-b --- rt-c 192.0.2.3
#   LAN 10.2.0.0/24                          LAN 10.3.0.0/24
#
# Every tunnel is negotiated by esptund with 0.0.0.0/0 selectors; BIRD's
# OSPF on the esp devices learns the other LANs. The demo shows the routes,
# pings across, cuts the a-b path (nftables drop on b's WAN side), shows
# the traffic rerouted through c and the outage it saw, then restores the
# path. Exits non-zero when a step fails; everything goes away at exit.
TEST_NAME=demo-mesh
source "$(dirname "$0")/../selftests/lib.sh"
source "$TOP/selftests/ike-lib.sh"
source "$TOP/selftests/route-lib.sh"

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}

# at SITE CMD...: shows "rt-SITE# CMD" and runs CMD in that namespace.
at() {
	local n
	n=$(rt_ns "$1")
	shift
	printf '\033[2m%s#\033[0m %s\n' "$n" "$*"
	ip netns exec "$n" "$@"
}

die() {
	printf '\n\033[1;31mdemo: %s\033[0m\n' "$*" >&2
	exit 1
}

say "Loading esptun and building three sites on one WAN"
module_load || die "esptun.ko could not be loaded"
ike_warmup
rt_topo || die "could not build the sites"

say "esptund on every site: one conn and one esp device per peer"
rt_tunnels_up || die "the tunnels did not come up"
sed -n '/^\[conn b\]/,/^start/p' "$RT_DIR/a.conf" | grep -v '^psk'
at a ip -br addr show type esptun

say "BIRD's OSPF on the esp devices (point-to-point, hello 1 s, dead 4 s)"
ospf_conf() {
	rt_bird_base "$1"
	cat <<EOF
protocol ospf v2 {
	ipv4 { import all; export none; };
	area 0 {
		interface "lan0" { stub yes; };
		interface "esp-*" { type ptp; hello 1; dead 4; };
	};
}
EOF
}
for s in "${RT_SITES[@]}"; do
	rt_bird_start "$s" "$(ospf_conf "$s")" || die "BIRD on $s did not start"
done
wait_for -t 60 rt_full_mesh_routes || die "OSPF did not learn the mesh"
at a birdc -s "$RT_DIR/bird-a.ctl" show ospf neighbors
at a ip route show proto bird

say "Pings between every pair of LANs, through the tunnels"
rt_all_ping || die "a LAN is not reachable"
at a ping -c 2 -I "$(rt_lan a)" "$(rt_lan b)"

say "Cutting the a-b path (nftables drop on site b's WAN)"
rt_outage_start a b
rt_cut a b
wait_for -t 30 rt_route_is a "$(rt_lan_net b)" esp-c ||
	die "the route to b did not move to c"
at a ip route get "$(rt_lan b)" from "$(rt_lan a)"
wait_for -t 15 rt_ping a b || die "b is not reachable through c"
at a ping -c 2 -I "$(rt_lan a)" "$(rt_lan b)"

say "Restoring the path: the direct route comes back"
rt_restore a b
wait_for -t 30 rt_route_is a "$(rt_lan_net b)" esp-b ||
	die "the direct route did not return"
at a ip route get "$(rt_lan b)" from "$(rt_lan a)"
echo "longest gap between answers to a's pings to b (every 100 ms): $(rt_outage_stop) ms"

say "Counters of a's tunnel to b"
at a ip -s link show esp-b

say "Done: OSPF over esptun rerouted around a dead tunnel and came back"
