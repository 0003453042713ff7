#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# OSPF over esptun: three sites in a full mesh of tunnels negotiated by
# esptund (selectors 0.0.0.0/0), BIRD's OSPFv2 on every tunnel device
# (point-to-point, hellos by multicast through ESP). Every site learns the
# other LANs over the direct tunnels; pings and a file cross. Cutting the
# a-b path reroutes a's traffic to b through c within OSPF's dead
# interval, the outage is printed; restoring it brings the direct route
# back. Then FRR's ospfd takes site c's place, so the behaviour does not
# depend on one daemon's reading of the device.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"
source "$(dirname "$0")/route-lib.sh"

N_TESTS=15
ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "route-ospf-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

dmesg_mark
ike_warmup
rt_topo || exit 1

if rt_tunnels_up >"$RT_DIR/up.out" 2>&1; then
	ktap_ok "mesh-tunnels-up"
else
	ktap_fail "mesh-tunnels-up" "$(cat "$RT_DIR/up.out")"
	cat "$RT_DIR/up.out"
fi

# Short timers: the test waits for OSPF's dead interval once per cut.
bird_ospf_conf() {
	rt_bird_base "$1"
	cat <<EOF
protocol ospf v2 o4 {
	ipv4 { import all; export none; };
	area 0 {
		interface "lan0" { stub yes; };
		interface "esp-*" { type ptp; hello 1; dead 4; retransmit 2; };
	};
}
EOF
}

for s in "${RT_SITES[@]}"; do
	rt_bird_start "$s" "$(bird_ospf_conf "$s")" ||
		echo "# bird on $s did not start"
done

ktap_check "ospf-routes-over-direct-tunnels" wait_for -t 60 rt_full_mesh_routes
ktap_check "ospf-neighbours-full" sh -c \
	"birdc -s $RT_DIR/bird-a.ctl show ospf neighbors | grep -c Full | grep -qx 2"
ktap_check "ospf-lan-pings" rt_all_ping
ktap_check "ospf-file-a-to-c" rt_transfer a c 512

# Hellos are multicast inside ESP: the tunnel's SAs count them.
hellos_through_esp() {
	local before after
	before=$(ip -n rt-a -s link show esp-b | awk 'f { print $2; exit } /TX:/ { f = 1 }')
	sleep 2.5
	after=$(ip -n rt-a -s link show esp-b | awk 'f { print $2; exit } /TX:/ { f = 1 }')
	[ "$after" -ge $((before + 2)) ]
}
ktap_check "ospf-hellos-counted-on-device" hellos_through_esp

# Failover: the a-b path breaks; a reaches b's LAN through c.
rt_outage_start a b
rt_cut a b
ktap_check "failover-route-via-c" wait_for -t 30 rt_route_is a "$(rt_lan_net b)" esp-c
# b moves its route back to a only when its own dead interval ends.
ktap_check "failover-ping-via-c" wait_for -t 15 rt_ping a b
rt_restore a b
ktap_check "restore-direct-route" wait_for -t 30 rt_route_is a "$(rt_lan_net b)" esp-b
ktap_check "restore-ping" rt_ping a b
outage=$(rt_outage_stop)
ktap_diag "a->b outage during the cut: $outage ms (OSPF dead interval 4 s)"
# Bounded by the dead interval plus a few hellos: not a black hole.
ktap_check "failover-outage-bounded" test "$outage" -gt 0 -a "$outage" -lt 15000

# FRR on site c instead of BIRD.
rt_bird_stop c
frr_conf() {
	cat <<EOF
frr defaults traditional
hostname rt-c
log file $RT_DIR/frr-c.log debugging
interface esp-a
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
interface esp-b
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
router ospf
 ospf router-id $(rt_lan c)
 network 10.255.0.0/16 area 0
 network $(rt_lan_net c) area 0
 passive-interface lan0
EOF
}
if rt_frr_start c "$(frr_conf)"; then
	ktap_ok "frr-started"
else
	ktap_fail "frr-started" "$(tail -5 "$RT_DIR/frr-c.log" 2>/dev/null)"
fi
ktap_check "frr-routes-over-tunnels" wait_for -t 60 rt_full_mesh_routes
ktap_check "frr-lan-pings" rt_all_ping

ktap_check "kernel-log-clean" dmesg_clean_since_mark
ktap_finished
