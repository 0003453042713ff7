# SPDX-License-Identifier: GPL-2.0
# Helpers of the routing selftests (sourced after lib.sh and ike-lib.sh):
# three sites in a full mesh of esptun tunnels negotiated by esptund, with
# a routing daemon per site deciding what enters which tunnel.
#
#            192.0.2.0/24, a bridge in namespace rt-wan
#      rt-a (.1) ------------- rt-b (.2) ------------- rt-c (.3)
#      lan0 10.1.0.1/24        lan0 10.2.0.1/24        lan0 10.3.0.1/24
#
# Site X's tunnel to site Y is device esp-Y, inner 10.255.XY.X peer
# 10.255.XY.Y (XY the sites' numbers in order, e.g. 12 for a-b), with
# selectors 0.0.0.0/0 on both sides: route-based, as with a Cisco VTI.
# The site with the lower number initiates.
#
# With RT_V6=1 set before sourcing, each site also has an IPv6 LAN
# (2001:db8:X::1/64), every conn a second selector pair ::/0 === ::/0
# (both families through one device), and each device the link-local
# address fe80::X for OSPFv3.

RT_SITES=(a b c)
declare -A RT_NUM=([a]=1 [b]=2 [c]=3)
RT_PSK=route-mesh-psk
RT_DIR=$IKE_DIR
RT_V6=${RT_V6:-0}

rt_ns() { echo "rt-$1"; }
rt_wan() { echo "192.0.2.${RT_NUM[$1]}"; }
rt_lan() { echo "10.${RT_NUM[$1]}.0.1"; }
rt_lan_net() { echo "10.${RT_NUM[$1]}.0.0/24"; }
rt_lan6() { echo "2001:db8:${RT_NUM[$1]}::1"; }
rt_lan6_net() { echo "2001:db8:${RT_NUM[$1]}::/64"; }

# rt_pair X Y: "12" for a b or b a.
rt_pair() {
	local x=${RT_NUM[$1]} y=${RT_NUM[$2]}
	if [ "$x" -lt "$y" ]; then echo "$x$y"; else echo "$y$x"; fi
}

# Inner address of site X on its tunnel to Y.
rt_inner() { echo "10.255.$(rt_pair "$1" "$2").${RT_NUM[$1]}"; }

# rt_topo: the namespaces, the WAN bridge and the LANs.
rt_topo() {
	local s n
	netns_new rt-wan || return 1
	ip -n rt-wan link add br0 type bridge
	ip -n rt-wan link set br0 up
	for s in "${RT_SITES[@]}"; do
		n=$(rt_ns "$s")
		netns_new "$n" || return 1
		veth_pair "$n" wan0 rt-wan "wan-$s" || return 1
		ip -n rt-wan link set "wan-$s" master br0
		ip -n "$n" addr add "$(rt_wan "$s")/24" dev wan0
		ip -n "$n" link add lan0 type dummy
		ip -n "$n" addr add "$(rt_lan "$s")/24" dev lan0
		ip -n "$n" link set lan0 up
		ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
		# Replies to a LAN address may come back on another tunnel
		# than the request left by while routes move.
		ip netns exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0
		ip netns exec "$n" sysctl -qw net.ipv4.conf.default.rp_filter=0
		if [ "$RT_V6" = 1 ]; then
			ip -n "$n" addr add "$(rt_lan6 "$s")/64" dev lan0 nodad
			ip netns exec "$n" sysctl -qw net.ipv6.conf.all.forwarding=1
		fi
	done
	cleanup_add rt_cleanup
}

# rt_esptund_conf X [KEY=VALUE...]: site X's esptund, one conn per other
# site; extra keys go into every conn. The lower site of a pair initiates,
# the other listens.
rt_esptund_conf() {
	local s=$1 f=$RT_DIR/$1.conf y kv
	shift
	{
		echo "[global]"
		echo "log = debug"
		echo "control = $RT_DIR/$s.sock"
		for y in "${RT_SITES[@]}"; do
			[ "$y" = "$s" ] && continue
			echo "[conn $y]"
			echo "interface = esp-$y"
			echo "local = $(rt_wan "$s")"
			echo "remote = $(rt_wan "$y")"
			echo "psk = \"$RT_PSK\""
			echo "ike = aes128-sha256-modp2048"
			echo "esp = aes128gcm16"
			if [ "$RT_V6" = 1 ]; then
				echo "local-ts = 0.0.0.0/0, ::/0"
				echo "remote-ts = 0.0.0.0/0, ::/0"
			else
				echo "local-ts = 0.0.0.0/0"
				echo "remote-ts = 0.0.0.0/0"
			fi
			if [ "${RT_NUM[$s]}" -lt "${RT_NUM[$y]}" ]; then
				echo "start = initiate"
			else
				echo "start = listen"
			fi
			for kv in "$@"; do
				echo "${kv%%=*} = ${kv#*=}"
			done
		done
	} >"$f.new"
	mv "$f.new" "$f"
}

# rt_tunnels_up [KEY=VALUE...]: esptund on every site; returns once every
# conn has its IPsec SAs, the devices have their inner addresses and are up.
rt_tunnels_up() {
	local s y n
	for s in "${RT_SITES[@]}"; do
		rt_esptund_conf "$s" "$@"
	done
	# Listeners first, so the initiators' first MM1 finds them.
	for s in c b a; do
		esptund_start "$s" "$(rt_ns "$s")" || return 1
	done
	for s in "${RT_SITES[@]}"; do
		n=$(rt_ns "$s")
		for y in "${RT_SITES[@]}"; do
			[ "$y" = "$s" ] && continue
			if ! wait_for -t 60 rt_conn_up "$s" "$y"; then
				echo "conn $s->$y did not come up"
				return 1
			fi
			# Routing daemons need IPv6 for OSPFv3 only; without
			# it the devices' own router solicitations stay out.
			if [ "$RT_V6" = 1 ]; then
				ip -n "$n" addr replace "fe80::${RT_NUM[$s]}/64" \
					dev "esp-$y" nodad
			else
				ip netns exec "$n" sysctl -qw \
					"net.ipv6.conf.esp-$y.disable_ipv6=1"
			fi
			ip -n "$n" addr replace "$(rt_inner "$s" "$y")" \
				peer "$(rt_inner "$y" "$s")/32" dev "esp-$y"
			ip -n "$n" link set "esp-$y" up
		done
	done
}

# rt_conn_up X Y: site X's conn to Y has an active Quick Mode SA for
# each selector pair (two with RT_V6=1).
rt_conn_up() {
	eike "$1" status 2>/dev/null | awk -v c="$2" -v want=$((RT_V6 + 1)) '
		$1 == "conn" { cur = $2; sub(":$", "", cur) }
		$1 == "child" && $2 == "QM_ACTIVE:" && cur == c { n++ }
		END { exit n < want }'
}

# rt_route_dev X NET: the device site X routes NET through ("" if none).
rt_route_dev() {
	local fam=-4
	[[ $2 == *:* ]] && fam=-6
	ip -n "$(rt_ns "$1")" $fam route show "$2" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }'
}

# rt_route_is X NET DEV: site X routes NET through DEV.
rt_route_is() {
	[ "$(rt_route_dev "$1" "$2")" = "$3" ]
}

# rt_full_mesh_routes: every site routes every other LAN through the
# direct tunnel.
rt_full_mesh_routes() {
	local s y
	for s in "${RT_SITES[@]}"; do
		for y in "${RT_SITES[@]}"; do
			[ "$y" = "$s" ] && continue
			rt_route_is "$s" "$(rt_lan_net "$y")" "esp-$y" || return 1
		done
	done
}

# rt_full_mesh_routes6: the same for the IPv6 LANs.
rt_full_mesh_routes6() {
	local s y
	for s in "${RT_SITES[@]}"; do
		for y in "${RT_SITES[@]}"; do
			[ "$y" = "$s" ] && continue
			rt_route_is "$s" "$(rt_lan6_net "$y")" "esp-$y" || return 1
		done
	done
}

# rt_ping6 X Y: site X's IPv6 LAN address reaches site Y's.
rt_ping6() {
	ip netns exec "$(rt_ns "$1")" ping -6 -c 2 -i 0.3 -W 2 -q \
		-I "$(rt_lan6 "$1")" "$(rt_lan6 "$2")" >/dev/null
}

# rt_all_ping6: every IPv6 LAN reaches every other.
rt_all_ping6() {
	local s y
	for s in "${RT_SITES[@]}"; do
		for y in "${RT_SITES[@]}"; do
			[ "$y" = "$s" ] && continue
			rt_ping6 "$s" "$y" || { echo "no ping6 $s -> $y"; return 1; }
		done
	done
}

# rt_ping X Y: site X's LAN address reaches site Y's.
rt_ping() {
	ip netns exec "$(rt_ns "$1")" ping -c 2 -i 0.3 -W 2 -q \
		-I "$(rt_lan "$1")" "$(rt_lan "$2")" >/dev/null
}

# rt_all_ping: every LAN reaches every other.
rt_all_ping() {
	local s y
	for s in "${RT_SITES[@]}"; do
		for y in "${RT_SITES[@]}"; do
			[ "$y" = "$s" ] && continue
			rt_ping "$s" "$y" || { echo "no ping $s -> $y"; return 1; }
		done
	done
}

# rt_transfer X Y KIB: a file from X's LAN address to Y's over TCP, the
# SHA-256 compared.
rt_transfer() {
	local f=$RT_DIR/xfer port=$((20000 + RANDOM % 10000)) pid want got
	rand_file "$f.in" "$3"
	rm -f "$f.out"
	ip netns exec "$(rt_ns "$2")" socat -u \
		TCP-LISTEN:$port,bind="$(rt_lan "$2")",reuseaddr CREATE:"$f.out" &
	pid=$!
	wait_for -t 5 sh -c "ip netns exec $(rt_ns "$2") ss -Hltn 'sport = :$port' | grep -q ."
	if ! ip netns exec "$(rt_ns "$1")" timeout 60 socat -u FILE:"$f.in" \
		TCP:"$(rt_lan "$2")":$port,bind="$(rt_lan "$1")",connect-timeout=5; then
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
		echo "transfer: sender failed"
		return 1
	fi
	wait $pid
	want=$(sha256sum <"$f.in" | cut -d' ' -f1)
	got=$(sha256sum <"$f.out" 2>/dev/null | cut -d' ' -f1)
	[ "$want" = "$got" ] || { echo "transfer: sha256 $got, want $want"; return 1; }
}

# rt_cut X Y / rt_restore X Y: site Y drops (stops dropping) everything
# from site X's WAN address, as a broken path between them would.
rt_cut() {
	local n
	n=$(rt_ns "$2")
	ip netns exec "$n" nft add table inet rtcut 2>/dev/null
	ip netns exec "$n" nft add chain inet rtcut in \
		'{ type filter hook input priority -100; }' 2>/dev/null
	ip netns exec "$n" nft add chain inet rtcut out \
		'{ type filter hook output priority -100; }' 2>/dev/null
	ip netns exec "$n" nft add rule inet rtcut in ip saddr "$(rt_wan "$1")" drop
	ip netns exec "$n" nft add rule inet rtcut out ip daddr "$(rt_wan "$1")" drop
}

rt_restore() {
	ip netns exec "$(rt_ns "$2")" nft delete table inet rtcut
}

# rt_outage_start X Y: pings from X's LAN to Y's every 100 ms, with
# timestamps, until rt_outage_stop, which prints the longest gap between
# answers in milliseconds.
rt_outage_start() {
	bg_start ip netns exec "$(rt_ns "$1")" ping -D -i 0.1 -W 1 \
		-I "$(rt_lan "$1")" "$(rt_lan "$2")" >"$RT_DIR/outage.txt"
	RT_OUTAGE_PID=$BG_PID
}

rt_outage_stop() {
	bg_stop "$RT_OUTAGE_PID"
	awk -F'[][]' '/bytes from/ { t = $2 * 1000; if (p && t - p > m) m = t - p; p = t }
		END { printf "%d\n", m }' "$RT_DIR/outage.txt"
}

# ---- BIRD ----

declare -A RT_BIRD_PID

# rt_bird_start X CONF: BIRD in site X's namespace with CONF (text).
rt_bird_start() {
	local s=$1 n
	n=$(rt_ns "$s")
	printf '%s\n' "$2" >"$RT_DIR/bird-$s.conf"
	rm -f "$RT_DIR/bird-$s.ctl"
	ip netns exec "$n" bird -c "$RT_DIR/bird-$s.conf" \
		-s "$RT_DIR/bird-$s.ctl" -P "$RT_DIR/bird-$s.pid" || return 1
	ike_wait_path "$RT_DIR/bird-$s.ctl" 30
}

rt_birdc() {
	local s=$1
	shift
	birdc -s "$RT_DIR/bird-$s.ctl" "$@"
}

rt_bird_stop() {
	local s=$1
	[ -f "$RT_DIR/bird-$s.pid" ] || return 0
	kill "$(cat "$RT_DIR/bird-$s.pid")" 2>/dev/null
	rm -f "$RT_DIR/bird-$s.pid"
	# Its kernel routes go with it (BIRD withdraws them on exit).
	sleep 0.5
}

# The parts every BIRD configuration here shares: the kernel table gets
# what the protocols learn; the LAN is a direct route.
rt_bird_base() {
	cat <<EOF
log "$RT_DIR/bird-$1.log" all;
router id $(rt_lan "$1");
protocol device { scan time 1; }
protocol direct { ipv4; interface "lan0"; }
protocol kernel { ipv4 { export where source != RTS_DEVICE; }; scan time 2; }
EOF
	[ "$RT_V6" = 1 ] || return 0
	cat <<EOF
protocol direct d6 { ipv6; interface "lan0"; }
protocol kernel k6 { ipv6 { export where source != RTS_DEVICE; }; scan time 2; }
EOF
}

# ---- FRR ----

# rt_frr_start X CONF: zebra, ospfd and (with RT_V6=1) ospf6d in site X's
# namespace, with their own runtime directory (FRR's pathspace, -N).
rt_frr_start() {
	local s=$1 n d
	n=$(rt_ns "$s")
	d=/var/run/frr/rt-$s
	# FRR runs as its own user (it refuses root, which is not in its vty
	# group): its directory, configuration and log must be its own.
	mkdir -p -m 0755 /var/run/frr "$d"
	chown frr:frr "$d"
	printf '%s\n' "$2" >"$RT_DIR/frr-$s.conf"
	chmod 0644 "$RT_DIR/frr-$s.conf"
	touch "$RT_DIR/frr-$s.log"
	# ike-lib's umask keeps the test directory private; FRR may pass.
	chmod 0711 "$(dirname "$RT_DIR")" "$RT_DIR"
	chown frr:frr "$RT_DIR/frr-$s.log"
	ip netns exec "$n" /usr/lib/frr/zebra -d -N "rt-$s" -u frr -g frr \
		-f "$RT_DIR/frr-$s.conf" -i "$d/zebra.pid" \
		>>"$RT_DIR/frr-$s.log" 2>&1 || return 1
	ike_wait_path "$d/zserv.api" 30 || return 1
	ip netns exec "$n" /usr/lib/frr/ospfd -d -N "rt-$s" -u frr -g frr \
		-f "$RT_DIR/frr-$s.conf" -i "$d/ospfd.pid" \
		>>"$RT_DIR/frr-$s.log" 2>&1 || return 1
	[ "$RT_V6" = 1 ] || return 0
	ip netns exec "$n" /usr/lib/frr/ospf6d -d -N "rt-$s" -u frr -g frr \
		-f "$RT_DIR/frr-$s.conf" -i "$d/ospf6d.pid" \
		>>"$RT_DIR/frr-$s.log" 2>&1
}

rt_frr_stop() {
	local d=/var/run/frr/rt-$1 p
	for p in ospf6d ospfd zebra; do
		[ -f "$d/$p.pid" ] && kill "$(cat "$d/$p.pid")" 2>/dev/null
		rm -f "$d/$p.pid"
	done
	sleep 0.5
}

rt_cleanup() {
	local s
	for s in "${RT_SITES[@]}"; do
		rt_bird_stop "$s"
		rt_frr_stop "$s"
		cp "$RT_DIR"/bird-"$s".log "$RT_DIR"/frr-"$s".log \
			"$RT_DIR/$s.log" "$TEST_OUT/" 2>/dev/null
	done
	esptund_stop_all
	true
}
