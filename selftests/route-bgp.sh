#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# BGP over esptun: the three-site mesh of esptund tunnels, each site its
# own AS, BIRD's eBGP sessions between the tunnels' inner addresses and
# BFD on every tunnel device. Every site learns the other LANs with a
# one-AS path; cutting the a-b path lets BFD drop the session within two
# seconds, a's traffic to b then takes the two-AS path through c, and the
# direct path returns when the cut ends.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"
source "$(dirname "$0")/route-lib.sh"

N_TESTS=13
ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "route-bgp-$i" "esptun.ko could not be loaded"
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

rt_as() { echo "6500${RT_NUM[$1]}"; }

# One session per tunnel, between the devices' inner addresses. BFD at
# 300 ms x 5 (slow enough for an emulated guest under load) notices a dead path long before BGP's hold time would; a
# session that failed is retried after a second, not BIRD's default minute.
bird_bgp_conf() {
	local s=$1 y
	rt_bird_base "$s"
	cat <<EOF
protocol bfd {
	interface "esp-*" { min rx interval 300 ms; min tx interval 300 ms;
		idle tx interval 1 s; multiplier 5; };
}
filter lans { if net ~ [ 10.0.0.0/8{24,24} ] then accept; reject; }
EOF
	for y in "${RT_SITES[@]}"; do
		[ "$y" = "$s" ] && continue
		cat <<EOF
protocol bgp to_$y {
	local $(rt_inner "$s" "$y") as $(rt_as "$s");
	neighbor $(rt_inner "$y" "$s") as $(rt_as "$y");
	interface "esp-$y";
	direct;
	hold time 9; keepalive time 3; connect retry time 2;
	error wait time 1, 5;
	bfd on;
	ipv4 { import all; export filter lans; next hop self; };
}
EOF
	done
}

for s in "${RT_SITES[@]}"; do
	rt_bird_start "$s" "$(bird_bgp_conf "$s")" ||
		echo "# bird on $s did not start"
done

# bgp_established X: the number of site X's Established BGP sessions.
bgp_established() {
	rt_birdc "$1" show protocols | awk '$2 == "BGP" &&
		$6 == "Established"' | wc -l
}

bgp_all_established() {
	local s
	for s in "${RT_SITES[@]}"; do
		[ "$(bgp_established "$s")" -eq 2 ] || return 1
	done
}

# bgp_path X Y: the AS path of Y's LAN in X's BIRD.
bgp_path() {
	rt_birdc "$1" show route "$(rt_lan_net "$2")" all |
		awk '/BGP.as_path:/ { sub(/.*as_path: */, ""); print; exit }'
}

bfd_up() {
	[ "$(rt_birdc a show bfd sessions | grep -c ' Up ')" -eq 2 ]
}

ktap_check "bgp-sessions-established" wait_for -t 60 bgp_all_established
ktap_check "bgp-routes-over-direct-tunnels" wait_for -t 30 rt_full_mesh_routes
path=$(bgp_path a b)
if [ "$path" = "$(rt_as b)" ]; then
	ktap_ok "bgp-one-as-path"
else
	ktap_fail "bgp-one-as-path" "a's path to b: '$path'"
fi
ktap_check "bgp-bfd-sessions-up" wait_for -t 10 bfd_up
ktap_check "bgp-lan-pings" rt_all_ping

# Failover: BFD declares the a-b session down, the route moves to c.
rt_outage_start a b
rt_cut a b
ktap_check "failover-route-via-c" wait_for -t 20 rt_route_is a \
	"$(rt_lan_net b)" esp-c
bgp_path_is() { [ "$(bgp_path "$1" "$2")" = "$3" ]; }
if wait_for -t 10 bgp_path_is a b "$(rt_as c) $(rt_as b)"; then
	ktap_ok "failover-two-as-path"
else
	ktap_fail "failover-two-as-path" "a's path to b: '$(bgp_path a b)'"
fi
ktap_check "failover-ping-via-c" wait_for -t 10 rt_ping a b
rt_restore a b
ktap_check "restore-direct-route" wait_for -t 30 rt_route_is a \
	"$(rt_lan_net b)" esp-b
ktap_check "restore-ping" rt_ping a b
gap=$(rt_outage_stop)
echo "# a->b outage during the cut: $gap ms (BFD 5 x 300 ms)"
if [ -n "$gap" ] && [ "$gap" -lt 8000 ]; then
	ktap_ok "failover-outage-bounded"
else
	ktap_fail "failover-outage-bounded" "outage ${gap:-unknown} ms"
fi

ktap_check "kernel-log-clean" dmesg_clean_since_mark
ktap_finished
