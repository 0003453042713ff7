#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# OSPF over esptun: three sites in a full mesh of tunnels negotiated by
# esptund (two selector pairs per conn, 0.0.0.0/0 and ::/0), BIRD's
# OSPFv2 and OSPFv3 (over the devices' link-local addresses) on every
# tunnel device (point-to-point, hellos by multicast through ESP). Every
# site learns the other IPv4 and IPv6 LANs over the direct tunnels; pings
# of both families and a file cross. Cutting the a-b path lets DPD
# declare the peer dead on both sides, the devices lose carrier and a's
# traffic to b, both families, goes through c long before OSPF's dead
# interval ends; the outage is printed. Restoring the path brings the
# tunnel, its carrier and the direct routes back without a command. Then
# FRR (ospfd and ospf6d) takes site c's place, so the behaviour does not
# depend on one daemon's reading of the device.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"
RT_V6=1
source "$(dirname "$0")/route-lib.sh"

N_TESTS=27
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

# DPD every 2 s, dead after 5 s more: the tunnel's carrier goes off long
# before OSPF's own dead interval (30 s) could notice.
if rt_tunnels_up dpd-delay=2s dpd-timeout=5s >"$RT_DIR/up.out" 2>&1; then
	ktap_ok "mesh-tunnels-up"
else
	ktap_fail "mesh-tunnels-up" "$(cat "$RT_DIR/up.out")"
	cat "$RT_DIR/up.out"
fi

# Hellos every second, but a dead interval the failover must not wait
# for: the link going down is what moves the route.
bird_ospf_conf() {
	rt_bird_base "$1"
	cat <<EOF
protocol ospf v2 o4 {
	ipv4 { import all; export none; };
	area 0 {
		interface "lan0" { stub yes; };
		interface "esp-*" { type ptp; hello 1; dead 30; retransmit 2; };
	};
}
protocol ospf v3 o6 {
	ipv6 { import all; export none; };
	area 0 {
		interface "lan0" { stub yes; };
		interface "esp-*" { type ptp; hello 1; dead 30; retransmit 2; };
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
	"birdc -s $RT_DIR/bird-a.ctl show ospf neighbors o4 | grep -c Full | grep -qx 2"
ktap_check "ospf-lan-pings" rt_all_ping
ktap_check "ospf-file-a-to-c" rt_transfer a c 512
ktap_check "ospf6-routes-over-direct-tunnels" wait_for -t 30 rt_full_mesh_routes6
ktap_check "ospf6-lan-pings" rt_all_ping6
ktap_check "ospf6-neighbours-full" sh -c \
	"birdc -s $RT_DIR/bird-a.ctl show ospf neighbors o6 | grep -c Full | grep -qx 2"

# Hellos are multicast inside ESP: the tunnel's SAs count them.
hellos_through_esp() {
	local before after
	before=$(ip -n rt-a -s link show esp-b | awk 'f { print $2; exit } /TX:/ { f = 1 }')
	sleep 2.5
	after=$(ip -n rt-a -s link show esp-b | awk 'f { print $2; exit } /TX:/ { f = 1 }')
	[ "$after" -ge $((before + 2)) ]
}
ktap_check "ospf-hellos-counted-on-device" hellos_through_esp

# rt_carrier X Y on|off: site X's device to Y is up with carrier
# (LOWER_UP), or up without (NO-CARRIER).
rt_carrier() {
	local flag=LOWER_UP

	[ "$3" = off ] && flag=NO-CARRIER
	ip -n "$(rt_ns "$1")" link show "esp-$2" | grep -qw -- "$flag"
}

# Failover: the a-b path breaks; DPD declares the peer dead on both
# sides, the devices lose carrier, OSPF drops the adjacency at once and a
# reaches b's LAN through c.
rt_outage_start a b
rt_cut a b
ktap_check "dpd-carrier-off-a" wait_for -t 30 rt_carrier a b off
ktap_check "dpd-carrier-off-b" wait_for -t 10 rt_carrier b a off
ktap_check "failover-route-via-c" wait_for -t 10 rt_route_is a "$(rt_lan_net b)" esp-c
ktap_check "failover-ping-via-c" wait_for -t 10 rt_ping a b
ktap_check "failover-v6-route-via-c" wait_for -t 10 rt_route_is a "$(rt_lan6_net b)" esp-c
ktap_check "failover-v6-ping-via-c" wait_for -t 10 rt_ping6 a b
rt_restore a b
# DPD's restart keeps negotiating (backing off) until the path is back.
ktap_check "restore-carrier-on" wait_for -t 60 rt_carrier a b on
ktap_check "restore-direct-route" wait_for -t 30 rt_route_is a "$(rt_lan_net b)" esp-b
ktap_check "restore-ping" wait_for -t 10 rt_ping a b
ktap_check "restore-v6-direct-route" wait_for -t 30 rt_route_is a "$(rt_lan6_net b)" esp-b
ktap_check "restore-v6-ping" wait_for -t 10 rt_ping6 a b
outage=$(rt_outage_stop)
ktap_diag "a->b outage during the cut: $outage ms (DPD 2 s + 5 s, OSPF dead interval 30 s)"
# Bounded by DPD's delay and timeout plus a few seconds, well below OSPF's
# dead interval: the carrier moved the route.
ktap_check "failover-outage-bounded" test "$outage" -gt 0 -a "$outage" -lt 20000

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
 ip ospf dead-interval 30
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 network point-to-point
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 30
interface esp-b
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 30
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 network point-to-point
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 30
interface lan0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 passive
router ospf
 ospf router-id $(rt_lan c)
 network 10.255.0.0/16 area 0
 network $(rt_lan_net c) area 0
 passive-interface lan0
router ospf6
 ospf6 router-id $(rt_lan c)
EOF
}
if rt_frr_start c "$(frr_conf)"; then
	ktap_ok "frr-started"
else
	ktap_fail "frr-started" "$(tail -5 "$RT_DIR/frr-c.log" 2>/dev/null)"
fi
ktap_check "frr-routes-over-tunnels" wait_for -t 60 rt_full_mesh_routes
ktap_check "frr-lan-pings" rt_all_ping
ktap_check "frr-ospf6-routes-over-tunnels" wait_for -t 60 rt_full_mesh_routes6
ktap_check "frr-ospf6-lan-pings" rt_all_ping6

ktap_check "kernel-log-clean" dmesg_clean_since_mark
ktap_finished
