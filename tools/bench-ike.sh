#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The IKE figures of "make bench", run in the test guest by tools/bench.sh
# (which formats them into bench.md and bench.json):
#
#   netns ike1 192.0.2.1, .11    ==== veth ====   192.0.2.2, .12 netns ike2
#              198.18.1.1, .2 ...                 198.18.0.1
#              esp0 10.9.0.1                      esp0 10.9.0.2
#              esp1 10.9.1.1                      esp1 10.9.1.2
#
# - Negotiation time: from "esptun ike up" to the first ping answered
#   through the tunnel (pings every 10 ms from that moment), esptund
#   against esptund, Main Mode with MODP-2048 (esp0, 192.0.2.1 and .2)
#   or ECP-256 (esp1, 192.0.2.11 and .12: a responder picks its conn by
#   the addresses)
#   and Quick Mode without PFS; ESPTUN_BENCH_IKE_RUNS runs of each
#   (default 20), the two interleaved, "esptun ike down" between runs.
#   Before each down the same is timed again with the tunnel up: the
#   part of the figure that is the commands' own.
# - Responder capacity: ESPTUN_BENCH_IKE_PEERS initiator conns (default
#   100) in one esptund in ike1, each on its own esptun device and
#   address of 198.18.0.0/15, all told "up" at once; the time until every
#   one has its IPsec SA gives Main Mode + Quick Mode negotiations per
#   second. The responder in ike2 is esptund with as many conns, then
#   strongSwan's charon with one conn for the whole range and one PSK;
#   ESPTUN_BENCH_IKE_REPS rounds (default 3) alternate the two. The
#   responder's CPU time per negotiation is read from /proc as well: the
#   initiator shares the guest's CPUs, so the rate is also bounded by it.
#
# Usage: bench-ike.sh FILE; results are appended to FILE as lines
# "LABEL KIND VALUE" (and "meta NAME VALUE" for the run's size).
source "$(dirname "$0")/../selftests/lib.sh"
source "$(dirname "$0")/../selftests/ike-lib.sh"
# ike-lib.sh's umask would keep the results from the host's user; the
# files that hold keys are made private one by one below.
umask 022

RUNS=${ESPTUN_BENCH_IKE_RUNS:-20}
PEERS=${ESPTUN_BENCH_IKE_PEERS:-100}
CREPS=${ESPTUN_BENCH_IKE_REPS:-3}
OUT=${1:?usage: bench-ike.sh RESULTS-FILE}
PSK=esptun-bench-psk
RESP=198.18.0.1
GROUPS_IKE=(modp2048 ecp256)
# Outer addresses of each group's conn in ike1 and ike2.
GROUP_ADDR1=("$IKE_ADDR1" 192.0.2.11)
GROUP_ADDR2=("$IKE_ADDR2" 192.0.2.12)
HZ=$(getconf CLK_TCK)

say() {
	echo "bench-ike: $*" >&2
}

# conf_begin NAME: the [global] section of daemon NAME's file; log at
# info, as debug lines would cost the time being measured.
conf_begin() {
	printf '[global]\nlog = info\ncontrol = %s\n' "$IKE_DIR/$1.sock" \
		>"$IKE_DIR/$1.conf.new"
	chmod 600 "$IKE_DIR/$1.conf.new"
}

# conf_conn NAME CONN DEVICE LOCAL REMOTE IKE: one listening conn, ESP
# AES-GCM-128 without PFS.
conf_conn() {
	{
		printf '[conn %s]\ninterface = %s\n' "$2" "$3"
		printf 'local = %s\nremote = %s\npsk = "%s"\n' "$4" "$5" "$PSK"
		printf 'ike = %s\nesp = aes128gcm16\n' "$6"
		printf 'start = listen\ndpd = no\n'
	} >>"$IKE_DIR/$1.conf.new"
}

conf_end() {
	mv "$IKE_DIR/$1.conf.new" "$IKE_DIR/$1.conf"
}

# n_sas NS DEV: SAs the module holds on DEV.
n_sas() {
	ip netns exec "$1" "$ESPTUN" -j show "$2" 2>/dev/null |
		grep -o '"enc"' | wc -l
}

no_sas() {
	[ "$(n_sas "$1" "$2")" = 0 ]
}

# cpu_ticks PID: user + system time of a process, all its threads.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# ---- negotiation time ----

time_setup() {
	local g i a1 a2
	conf_begin ta
	conf_begin tb
	for ((i = 0; i < ${#GROUPS_IKE[@]}; i++)); do
		g=${GROUPS_IKE[i]}
		a1=${GROUP_ADDR1[i]}
		a2=${GROUP_ADDR2[i]}
		if [ "$a1" != $IKE_ADDR1 ]; then
			ip -n $IKE_NS1 addr add "$a1/24" dev veth1 || return 1
			ip -n $IKE_NS2 addr add "$a2/24" dev veth2 || return 1
		fi
		conf_conn ta "$g" "esp$i" "$a1" "$a2" "aes128-sha256-$g"
		conf_conn tb "$g" "esp$i" "$a2" "$a1" "aes128-sha256-$g"
	done
	conf_end ta
	conf_end tb
	esptund_start ta $IKE_NS1 && esptund_start tb $IKE_NS2 || return 1
	for ((i = 0; i < ${#GROUPS_IKE[@]}; i++)); do
		ip -n $IKE_NS1 addr add "10.9.$i.1" peer "10.9.$i.2" dev "esp$i" &&
		ip -n $IKE_NS2 addr add "10.9.$i.2" peer "10.9.$i.1" dev "esp$i" &&
		ip -n $IKE_NS1 link set "esp$i" up &&
		ip -n $IKE_NS2 link set "esp$i" up || return 1
	done
	# One untimed negotiation per group: the first pays for loading and
	# instantiating what the later ones find ready.
	for ((i = 0; i < ${#GROUPS_IKE[@]}; i++)); do
		g=${GROUPS_IKE[i]}
		eike ta up -t 60 "$g" >/dev/null && eike ta down "$g" >/dev/null &&
			wait_for -t 20 no_sas $IKE_NS2 "esp$i" >/dev/null || return 1
	done
}

# time_one INDEX GROUP: seconds from "ike up" to the first ping reply.
time_one() {
	local i=$1 g=$2 t0 t1
	t0=$EPOCHREALTIME
	eike ta up -t 0 "$g" >/dev/null || return 1
	ip netns exec $IKE_NS1 ping -n -q -i 0.01 -c 1 -w 60 "10.9.$i.2" \
		>/dev/null 2>&1 || return 1
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

time_runs() {
	local r i g t
	for ((r = 1; r <= RUNS; r++)); do
		for ((i = 0; i < ${#GROUPS_IKE[@]}; i++)); do
			g=${GROUPS_IKE[i]}
			if t=$(time_one "$i" "$g"); then
				echo "ike-$g first-packet $t" >>"$OUT"
				say "ike-$g run $r: $t s"
				# The same commands with the tunnel up: what
				# the measurement itself takes (starting the
				# CLI and ping, ping's first interval).
				t=$(time_one "$i" "$g") &&
					echo "ike-$g tools $t" >>"$OUT"
			else
				say "ike-$g run $r: no ping through the tunnel"
			fi
			eike ta down "$g" >/dev/null
			wait_for -t 20 no_sas $IKE_NS1 "esp$i" >/dev/null &&
				wait_for -t 20 no_sas $IKE_NS2 "esp$i" >/dev/null ||
				say "ike-$g run $r: SAs left after down"
		done
	done
}

# ---- responder capacity ----

# peer_addr I: the initiator address of conn I (0-based).
peer_addr() {
	echo "198.18.$((1 + $1 / 250)).$((1 + $1 % 250))"
}

cap_setup() {
	local i a
	ip -n $IKE_NS2 addr add $RESP/15 dev veth2 || return 1
	for ((i = 0; i < PEERS; i++)); do
		echo "addr add $(peer_addr $i)/15 dev veth1"
	done | ip -n $IKE_NS1 -batch - || return 1
	conf_begin ca
	conf_begin cb
	for ((i = 0; i < PEERS; i++)); do
		a=$(peer_addr $i)
		conf_conn ca "p$i" "ci$i" "$a" $RESP aes128-sha256-modp2048
		conf_conn cb "p$i" "cr$i" $RESP "$a" aes128-sha256-modp2048
	done
	conf_end ca
	conf_end cb
	mkdir -p "$SWAN_DIR"
	# One conn for every initiator: any address of the range, any ID, one
	# PSK; each CHILD_SA on an if_id of its own, so that their policies
	# (all 0.0.0.0/0) do not collide.
	cat >"$SWAN_DIR/swanctl.conf" <<EOF
connections {
	bench {
		version = 1
		local_addrs = $RESP
		remote_addrs = 198.18.0.0/15
		proposals = aes128-sha256-modp2048
		encap = no
		dpd_delay = 0
		reauth_time = 4h
		rekey_time = 0
		over_time = 10m
		local {
			auth = psk
			id = $RESP
		}
		remote {
			auth = psk
		}
		children {
			bench {
				mode = tunnel
				local_ts = 0.0.0.0/0
				remote_ts = 0.0.0.0/0
				esp_proposals = aes128gcm16
				if_id_in = %unique
				if_id_out = %unique
				rekey_time = 1h
				life_time = 2h
				start_action = none
				close_action = none
			}
		}
	}
}

secrets {
	ike-bench {
		secret = "$PSK"
	}
}
EOF
	chmod 600 "$SWAN_DIR/swanctl.conf"
}

# charon as ike-lib.sh's swan_start runs it, logging at its default
# level instead of the selftests' level 2, as esptund logs at info.
cap_swan_start() {
	# shellcheck disable=SC2034 # read by ike-lib.sh's swan
	SWAN_NS=$IKE_NS2
	# A socket left by the last charon would pass for this one's.
	rm -f "$SWAN_DIR/charon.vici"
	ike_render "$IKE_PEERS/strongswan.conf.in" "$SWAN_DIR/strongswan.conf" \
		DIR="$SWAN_DIR" || return 1
	sed -i -E 's/^(\t+)(ike|cfg|knl) = 2$/\1\2 = 1/' \
		"$SWAN_DIR/strongswan.conf"
	ip netns exec $IKE_NS2 env STRONGSWAN_CONF="$SWAN_DIR/strongswan.conf" \
		/usr/lib/ipsec/charon >"$SWAN_DIR/charon.out" 2>&1 &
	SWAN_PID=$!
	ike_wait_path "$SWAN_DIR/charon.vici" 150 || {
		say "charon did not start: $(tail -3 "$SWAN_DIR/charon.out")"
		return 1
	}
	swan --load-all --clear --noprompt --file "$SWAN_DIR/swanctl.conf" \
		>"$SWAN_DIR/load.out" 2>&1 ||
		{ say "swanctl: $(cat "$SWAN_DIR/load.out")"; return 1; }
}

# n_up: initiator conns with an IPsec SA.
n_up() {
	eike ca status 2>/dev/null | grep -c "^  child QM_ACTIVE:"
}

# cap_one LABEL PID: all conns up at once, against the responder PID
# (already listening); appends its rate and CPU time per negotiation.
cap_one() {
	local label=$1 pid=$2 t0 t1 c0 c1 n=0 end i
	esptund_start ca $IKE_NS1 >/dev/null || return 1
	c0=$(cpu_ticks "$pid")
	t0=$EPOCHREALTIME
	for ((i = 0; i < PEERS; i++)); do
		echo "p$i"
	done | xargs -P 4 -I{} "$ESPTUN" ike -s "$IKE_DIR/ca.sock" up -t 0 {} \
		>/dev/null
	end=$((SECONDS + 60 + 2 * PEERS))
	while [ "$SECONDS" -lt "$end" ]; do
		n=$(n_up)
		[ "$n" -ge "$PEERS" ] && break
		sleep 0.25
	done
	t1=$EPOCHREALTIME
	c1=$(cpu_ticks "$pid")
	esptund_stop ca
	if [ "$n" -lt "$PEERS" ]; then
		say "$label: only $n of $PEERS conns up in $((60 + 2 * PEERS)) s"
		return 1
	fi
	awk -v n="$PEERS" -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" \
		-v hz="$HZ" -v l="$label" 'BEGIN {
		printf "%s rate %.2f\n%s cpu-ms %.1f\n", l, n / (b - a),
			l, c / hz * 1000 / n }' | tee -a "$OUT" >&2
}

cap_esptund() {
	esptund_start cb $IKE_NS2 >/dev/null || return 1
	cap_one cap-esptund "${ESPTUND_PID[cb]}"
	esptund_stop cb
}

cap_charon() {
	cap_swan_start || { swan_stop; return 1; }
	cap_one cap-charon "$SWAN_PID"
	swan_stop
	ip -n $IKE_NS2 xfrm state flush
	ip -n $IKE_NS2 xfrm policy flush
}

cap_runs() {
	local r
	for ((r = 1; r <= CREPS; r++)); do
		if ((r % 2)); then
			cap_esptund
			cap_charon
		else
			cap_charon
			cap_esptund
		fi
	done
}

{
	echo "meta runs $RUNS"
	echo "meta peers $PEERS"
	echo "meta reps $CREPS"
} >>"$OUT"
module_load || { say "esptun.ko could not be loaded"; exit 1; }
ike_warmup
ike_topo || exit 1
# No IPv6 on the devices esptund creates: router solicitations would be
# acquires that start negotiations of their own.
for n in $IKE_NS1 $IKE_NS2; do
	ip netns exec $n sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
if time_setup; then
	time_runs
else
	say "negotiation time: setup failed"
fi
# Port 500 of ike2 is the capacity responders' now.
esptund_stop ta
esptund_stop tb
if cap_setup; then
	cap_runs
else
	say "responder capacity: setup failed"
fi
