#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Throughput of esptun next to the kernel's xfrm interface, WireGuard and
# plain veth, in one boot of the test guest ("make bench" runs it there):
#
#   netns c  vc 10.0.0.1 ============ vs 10.0.0.2  netns s   (veth, MTU 1600)
#            ep-ALG  192.168.1N.1 <-> .2   esptun, parallel crypto (default)
#            ei-ALG  192.168.2N.1 <-> .2   esptun, parallel off
#            xf-ALG  192.168.3N.1 <-> .2   xfrm interface, same algorithm
#            wg0     192.168.40.1 <-> .2   WireGuard
#
# for ALG gcm (AES-GCM-128), cbc (AES-256-CBC + HMAC-SHA256-128) and
# chacha (ChaCha20-Poly1305), every tunnel with MTU 1500. iperf3 measures
# TCP with 1 and 4 flows (Mbit/s) and UDP with 64- and 1400-byte payloads
# (received packets/s); all paths are interleaved within each repetition
# (ESPTUN_BENCH_REPS, default 5, of ESPTUN_BENCH_SECONDS, default 4), and
# the guest's busy CPUs are sampled from /proc/stat during each run. Then
# the SA scale: the 64-byte UDP rate of the first GCM device, interleaved
# with a twin of it in namespaces of its own (c1 and s1, two SAs in all),
# before and after 999 more esptun device pairs with an SA each way join c
# and s (2,010 SAs on 1,005 devices per side with the tunnels above): the
# twin keeps the guest's drift out of the ratio (ESPTUN_BENCH_SCALE_REPS
# runs of each, in alternating order, default three times
# ESPTUN_BENCH_REPS). Then what esptun costs the kernel's own
# IPsec: xfrm's 64-byte UDP rate (xf-gcm) with esptun.ko loaded (and one
# esptun device pair with SAs between the same addresses, so xfrm's ESP
# misses esptun's table first) and unloaded, alternating rmmod and insmod,
# ESPTUN_BENCH_REPS runs each. Last the IKE figures of tools/bench-ike.sh:
# time from "esptun ike up" to the first packet through, and responder
# capacity against strongSwan's charon. ESPTUN_BENCH_ONLY=ike runs only
# these two last parts, ESPTUN_BENCH_ONLY=scale only the SA scale.
# ESPTUN_BENCH_ONLY=profile runs none of it: instead perf samples both
# guest CPUs during one single-flow TCP run of each path in
# ESPTUN_BENCH_PROFILE (default: the GCM and CBC paths and WireGuard) and
# profile.md tells where the time went (crypto, esptun, xfrm, copies, the
# rest of the stack, user space, idle) with each path's top functions.
# Medians, min-max and ratios go to bench.md and bench.json in $ESPTUN_OUT
# ("make bench": build/bench/). Numbers under software emulation compare
# the paths with each other, not with real hardware.
source "$(dirname "$0")/../selftests/lib.sh"
source "$(dirname "$0")/../selftests/esp-lib.sh"

REPS=${ESPTUN_BENCH_REPS:-5}
SECS=${ESPTUN_BENCH_SECONDS:-4}
SCALE=${ESPTUN_BENCH_SCALE_DEVICES:-999}
# Runs per path and phase of the SA scale: a 5 % goal under emulation's
# noise needs more than the other parts.
SCALE_REPS=${ESPTUN_BENCH_SCALE_REPS:-$((3 * REPS))}
ONLY=${ESPTUN_BENCH_ONLY:-}
read -r -a PROF_PATHS <<<"${ESPTUN_BENCH_PROFILE:-ep-gcm ei-gcm xf-gcm ep-cbc xf-cbc wg}"
RES=$TEST_OUT/results.txt
COEX=$TEST_OUT/coexist.txt
IKE=$TEST_OUT/ike.txt
DIR=${ESPTUN_OUT:-$TEST_OUT}
ALGS=(gcm cbc chacha)
declare -A NET=([gcm]=1 [cbc]=2 [chacha]=3)
declare -A EWORDS=(
	[gcm]="aead rfc4106(gcm(aes)) KEY20 128"
	[cbc]="enc cbc(aes) KEY32 auth-trunc hmac(sha256) KEY32 128"
	[chacha]="aead rfc7539esp(chacha20,poly1305) KEY36 128"
)
declare -A TARGET=([veth]=10.0.0.2 [wg]=192.168.40.2 [twin]=192.168.11.2)
# Where iperf3 runs for a path, when not in c.
declare -A CLIENT=([twin]=c1)
PATHS=(veth wg)
KINDS=(tcp1 tcp4 udp64 udp1400)

die() {
	echo "bench: $*" >&2
	exit 1
}

case $ONLY in
'' | ike | scale | profile) ;;
*) die "ESPTUN_BENCH_ONLY: '$ONLY' is not 'ike', 'scale' or 'profile'" \
	"(the parts that run alone)" ;;
esac

# esptun_pair DEV NET SPI PARALLEL SPEC [C S UNDERLAY]: an esptun device
# in namespaces C and S (default c and s, outer addresses UNDERLAY.1 and .2,
# default 10.0.0) with 192.168.NET.1/.2, an SA pair with fresh keys (SPI,
# SPI+1).
esptun_pair() {
	local dev=$1 net=$2 spi=$3 par=$4 c=${6:-c} s=${7:-s} ul=${8:-10.0.0} n
	local -a w1 w2
	mapfile -t w1 < <(alg_words "$5")
	mapfile -t w2 < <(alg_words "$5")
	for n in $c $s; do
		ip -n $n link add "$dev" mtu 1500 type esptun || return 1
		ns $n "$ESPTUN" set "$dev" parallel "$par" || return 1
		ip -n $n link set "$dev" up
	done
	ip -n $c addr add "192.168.$net.1/24" dev "$dev"
	ip -n $s addr add "192.168.$net.2/24" dev "$dev"
	ns $c "$ESPTUN" set "$dev" local "$ul.1" remote "$ul.2" &&
	ns $s "$ESPTUN" set "$dev" local "$ul.2" remote "$ul.1" &&
	ns $c "$ESPTUN" sa add "$dev" dir out spi "$spi" "${w1[@]}" &&
	ns $s "$ESPTUN" sa add "$dev" dir in spi "$spi" "${w1[@]}" &&
	ns $s "$ESPTUN" sa add "$dev" dir out spi $((spi + 1)) "${w2[@]}" &&
	ns $c "$ESPTUN" sa add "$dev" dir in spi $((spi + 1)) "${w2[@]}"
}

# underlay C S CDEV SDEV NET: namespaces C and S joined by a veth pair with
# NET.1 and NET.2.
underlay() {
	netns_new "$1" && netns_new "$2" || return 1
	veth_pair "$1" "$3" "$2" "$4" || return 1
	ip -n "$1" link set "$3" mtu 1600
	ip -n "$2" link set "$4" mtu 1600
	ip -n "$1" addr add "$5.1/24" dev "$3"
	ip -n "$2" addr add "$5.2/24" dev "$4"
}

# xfrm_pair ALG NET IFID: an xfrm interface in c and s, states and
# policies for 192.168.NET.0/24 with the algorithm of esptun's SPEC.
xfrm_pair() {
	local alg=$1 net=$2 id=$3 n k1 k2 spi=$((0xc000 + $3 * 2))
	local -a a1 a2
	k1=$(hexkey 36)
	k2=$(hexkey 36)
	case $alg in
	gcm) a1=(aead 'rfc4106(gcm(aes))' "${k1:0:42}" 128)
	     a2=(aead 'rfc4106(gcm(aes))' "${k2:0:42}" 128) ;;
	cbc) a1=(enc 'cbc(aes)' "${k1:0:66}" auth-trunc 'hmac(sha256)' "${k2:0:66}" 128)
	     a2=(enc 'cbc(aes)' "${k2:0:66}" auth-trunc 'hmac(sha256)' "${k1:0:66}" 128) ;;
	chacha) a1=(aead 'rfc7539esp(chacha20,poly1305)' "$k1" 128)
		a2=(aead 'rfc7539esp(chacha20,poly1305)' "$k2" 128) ;;
	esac
	for n in c s; do
		ip -n $n link add "xf-$alg" mtu 1500 type xfrm dev v$n if_id "$id" || return 1
		ip -n $n link set "xf-$alg" up
		ip -n $n xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi $spi \
			reqid "$id" mode tunnel if_id "$id" "${a1[@]}" || return 1
		ip -n $n xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi $((spi + 1)) \
			reqid "$id" mode tunnel if_id "$id" "${a2[@]}" || return 1
	done
	ip -n c addr add "192.168.$net.1/24" dev "xf-$alg"
	ip -n s addr add "192.168.$net.2/24" dev "xf-$alg"
	ip -n c xfrm policy add dir out src "192.168.$net.0/24" dst "192.168.$net.0/24" if_id "$id" \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid "$id" mode tunnel &&
	ip -n c xfrm policy add dir in src "192.168.$net.0/24" dst "192.168.$net.0/24" if_id "$id" \
		tmpl src 10.0.0.2 dst 10.0.0.1 proto esp reqid "$id" mode tunnel &&
	ip -n s xfrm policy add dir out src "192.168.$net.0/24" dst "192.168.$net.0/24" if_id "$id" \
		tmpl src 10.0.0.2 dst 10.0.0.1 proto esp reqid "$id" mode tunnel &&
	ip -n s xfrm policy add dir in src "192.168.$net.0/24" dst "192.168.$net.0/24" if_id "$id" \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid "$id" mode tunnel
}

wg_pair() {
	local c_priv s_priv n
	c_priv=$(wg genkey)
	s_priv=$(wg genkey)
	for n in c s; do
		ip -n $n link add wg0 mtu 1500 type wireguard || return 1
	done
	ip netns exec c wg set wg0 private-key <(echo "$c_priv") listen-port 51820 \
		peer "$(echo "$s_priv" | wg pubkey)" endpoint 10.0.0.2:51820 allowed-ips 192.168.40.0/24 &&
	ip netns exec s wg set wg0 private-key <(echo "$s_priv") listen-port 51820 \
		peer "$(echo "$c_priv" | wg pubkey)" endpoint 10.0.0.1:51820 allowed-ips 192.168.40.0/24 ||
		return 1
	ip -n c addr add 192.168.40.1/24 dev wg0
	ip -n s addr add 192.168.40.2/24 dev wg0
	ip -n c link set wg0 up
	ip -n s link set wg0 up
}

setup() {
	local a i=0
	module_load || return 1
	underlay c s vc vs 10.0.0 || return 1
	for a in "${ALGS[@]}"; do
		i=$((i + 1))
		esptun_pair "ep-$a" "1${NET[$a]}" $((0xb000 + i * 16)) on "${EWORDS[$a]}" || return 1
		esptun_pair "ei-$a" "2${NET[$a]}" $((0xb800 + i * 16)) off "${EWORDS[$a]}" || return 1
		xfrm_pair "$a" "3${NET[$a]}" $((30 + i)) || return 1
		TARGET[ep-$a]=192.168.1${NET[$a]}.2
		TARGET[ei-$a]=192.168.2${NET[$a]}.2
		TARGET[xf-$a]=192.168.3${NET[$a]}.2
		PATHS+=("ep-$a" "ei-$a" "xf-$a")
	done
	wg_pair || return 1
	# The SA scale's twin of ep-gcm, alone in its namespaces.
	underlay c1 s1 vc1 vs1 10.0.1 || return 1
	esptun_pair ep-gcm 11 $((0xb000 + 16)) on "${EWORDS[gcm]}" \
		c1 s1 10.0.1 || return 1
	bg_start ip netns exec s iperf3 -s
	bg_start ip netns exec s1 iperf3 -s
	# Warm up every path (crypto modules, handshakes, neighbours).
	for a in "${PATHS[@]}" twin; do
		ip netns exec "${CLIENT[$a]:-c}" \
			ping -q -c 2 -W 10 "${TARGET[$a]}" >/dev/null ||
			{ echo "no ping over $a"; return 1; }
	done
	ns c "$ESPTUN" show ep-gcm
}

# busy: jiffies the guest's CPUs were not idle, and their sum in all.
busy() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i;
			   print t - $5 - $6, t }' /proc/stat
}

# run PATH KIND [LABEL [FILE]]: one measurement, appended to FILE (default
# $RES) as "LABEL KIND VALUE CPUS".
run() {
	local path=$1 kind=$2 label=${3:-$1} file=${4:-$RES} js v b0 b1 cpus
	local client=${CLIENT[$1]:-c}
	local -a args=(-c "${TARGET[$path]}" -t "$SECS" -J)
	case $kind in
	tcp1) ;;
	tcp4) args+=(-P 4) ;;
	udp64) args+=(-u -l 64 -b 0) ;;
	udp1400) args+=(-u -l 1400 -b 0) ;;
	esac
	# perf starts its command only once it samples: no part of the run
	# goes unseen while it starts up.
	local -a wrap=()
	[ -z "${PERF_OUT:-}" ] ||
		wrap=(perf record -a -e cpu-clock -F 499 -o "$PERF_OUT" --)
	read -r -a b0 < <(busy)
	js=$("${wrap[@]}" ip netns exec "$client" iperf3 "${args[@]}" \
		2>>"${PERF_LOG:-/dev/null}")
	read -r -a b1 < <(busy)
	v=$(echo "$js" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["end"]
if sys.argv[1].startswith("tcp"):
    print("%.1f" % (d["sum_received"]["bits_per_second"] / 1e6))
else:
    s = d["sum"]
    print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"]))' "$kind" 2>/dev/null)
	# Busy share of all CPUs, times their number: CPUs kept busy.
	cpus=$(awk -v b="$((b1[0] - b0[0]))" -v t="$((b1[1] - b0[1]))" -v n="$(nproc)" \
		'BEGIN { printf "%.2f", t ? b / t * n : 0 }')
	echo "$label $kind ${v:-0} $cpus" >>"$file"
	echo "bench: $label $kind: ${v:-failed} (${cpus} CPUs busy)" >&2
}

# scale_add N: N more esptun device pairs es1..esN with an SA each way
# (SPIs 0x100000 + 2i from c, + 1 from s).
scale_add() {
	local i n k out in
	k=$(hexkey 20)
	for n in c s; do
		for ((i = 1; i <= $1; i++)); do
			echo "link add es$i type esptun"
		done | ip -n $n -batch - || return 1
	done
	for n in c s; do
		for ((i = 1; i <= $1; i++)); do
			out=$((0x100000 + i * 2))
			in=$((out + 1))
			if [ $n = c ]; then
				echo "set es$i local 10.0.0.1 remote 10.0.0.2"
			else
				echo "set es$i local 10.0.0.2 remote 10.0.0.1"
				read -r out in <<<"$in $out"
			fi
			echo "sa add es$i dir out spi $out aead rfc4106(gcm(aes)) $k 128"
			echo "sa add es$i dir in spi $in aead rfc4106(gcm(aes)) $k 128"
		done >"$TEST_OUT/scale-$n.cmds"
		ns $n "$ESPTUN" -batch "$TEST_OUT/scale-$n.cmds" || return 1
	done
}

# scale_runs PHASE: ep-gcm and its twin in turn, SCALE_REPS times each,
# the twin first every other time so neither always follows the other.
scale_runs() {
	local r
	for ((r = 1; r <= SCALE_REPS; r++)); do
		if ((r % 2)); then
			run ep-gcm udp64 "scale-$1"
			run twin udp64 "twin-$1"
		else
			run twin udp64 "twin-$1"
			run ep-gcm udp64 "scale-$1"
		fi
	done
}

# coex_setup: for ESPTUN_BENCH_ONLY=ike, the underlay and xf-gcm alone.
coex_setup() {
	module_load || return 1
	underlay c s vc vs 10.0.0 || return 1
	xfrm_pair gcm 31 31 || return 1
	TARGET[xf-gcm]=192.168.31.2
	bg_start ip netns exec s iperf3 -s
	ip netns exec c ping -q -c 2 -W 10 192.168.31.2 >/dev/null ||
		{ echo "no ping over xf-gcm"; return 1; }
}

# coex_load: esptun.ko in, with a device pair whose SAs xfrm's ESP misses.
coex_load() {
	module_load &&
		esptun_pair ep-co 50 $((0xd000)) on "${EWORDS[gcm]}" &&
		ip netns exec c ping -q -c 1 -W 10 192.168.50.2 >/dev/null
}

# coexist: xfrm's 64-byte rate with esptun.ko loaded and unloaded, in the
# order loaded, unloaded, unloaded, loaded... so each state change costs
# one module load or unload.
coexist() {
	local r log=$TEST_OUT/coexist.log
	{ module_unload && coex_load; } >>"$log" 2>&1 || return 1
	for ((r = 1; r <= REPS; r++)); do
		# Each change settles a second first: the first run after
		# an rmmod once came out at half the rate of the others.
		if ((r % 2)); then
			run xf-gcm udp64 coex-loaded "$COEX"
			module_unload >>"$log" 2>&1 || return 1
			sleep 1
			run xf-gcm udp64 coex-unloaded "$COEX"
		else
			run xf-gcm udp64 coex-unloaded "$COEX"
			coex_load >>"$log" 2>&1 || return 1
			sleep 1
			run xf-gcm udp64 coex-loaded "$COEX"
		fi
	done
	module_load >>"$log" 2>&1
}

# profile: a perf sample of every guest CPU during one tcp1 run of each
# path of PROF_PATHS, repeated REPS times in turn so each path sees the
# guest's drift alike; the samples by function go to profile.md.
profile() {
	local r p pd
	# perf writes its data with mmap, which the shared output directory
	# does not take: the samples stay in the guest, the report goes out.
	pd=$(mktemp -d /tmp/esptun-perf.XXXXXX) || return 1
	# Kernel and module addresses for perf's symbol names.
	sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
	PERF_LOG=$pd/record.log
	for ((r = 1; r <= REPS; r++)); do
		for p in "${PROF_PATHS[@]}"; do
			[ -n "${TARGET[$p]:-}" ] || die "profile: no path '$p'"
			PERF_OUT=$pd/$p.$r.data run "$p" tcp1
			[ -s "$pd/$p.$r.data" ] ||
				die "perf record failed: $(tail -3 "$PERF_LOG")"
		done
	done
	for p in "${PROF_PATHS[@]}"; do
		for ((r = 1; r <= REPS; r++)); do
			perf report -i "$pd/$p.$r.data" --stdio -q -n --no-children \
				--sort dso,sym --percent-limit 0 2>/dev/null |
				sed "s/^/$p /"
		done
	done >"$TEST_OUT/perf-report.txt"
	cp "$pd/record.log" "$TEST_OUT/perf-record.log"
	rm -rf "$pd"
	/usr/bin/python3 "$(dirname "$0")/bench-profile.py" "$TEST_OUT/perf-report.txt" \
		"$RES" "$REPS" "$SECS" "$(nproc)" "${PROF_PATHS[@]}" >"$DIR/profile.md"
	cat "$DIR/profile.md"
}

: >"$RES"
: >"$COEX"
: >"$IKE"
if [ "$ONLY" = profile ]; then
	setup >"$TEST_OUT/setup.log" 2>&1 || die "setup failed: $(cat "$TEST_OUT/setup.log")"
	profile
	lib_cleanup
	exit 0
fi
sas=0
if [ "$ONLY" != ike ]; then
	setup >"$TEST_OUT/setup.log" 2>&1 || die "setup failed: $(cat "$TEST_OUT/setup.log")"
	if [ -z "$ONLY" ]; then
		for ((r = 1; r <= REPS; r++)); do
			for k in "${KINDS[@]}"; do
				for p in "${PATHS[@]}"; do
					run "$p" "$k"
				done
			done
		done
	fi

	# SA scale: ep-gcm and its twin interleaved, before and after.
	scale_runs before
	if scale_add "$SCALE" >"$TEST_OUT/scale.log" 2>&1; then
		sas=$(ns c "$ESPTUN" -j show | /usr/bin/python3 -c '
import json, sys
print(sum(len(d["sas"]) for d in json.load(sys.stdin)))')
		scale_runs after
	else
		echo "bench: SA scale setup failed: $(tail -3 "$TEST_OUT/scale.log")" >&2
	fi
else
	coex_setup >"$TEST_OUT/setup.log" 2>&1 ||
		die "setup failed: $(cat "$TEST_OUT/setup.log")"
fi

if [ "$ONLY" != scale ]; then
	# Coexistence: the rmmod also ends every esptun device of the parts
	# above.
	coexist || echo "bench: coexistence failed:" \
		"$(tail -3 "$TEST_OUT/coexist.log")" >&2
	# Its own namespaces, and a process of its own: ike-lib.sh sets a
	# umask for key files.
	"$(dirname "$0")/bench-ike.sh" "$IKE" >"$TEST_OUT/ike.log" 2>&1 ||
		echo "bench: IKE part failed:" \
			"$(tail -3 "$TEST_OUT/ike.log")" >&2
fi

/usr/bin/python3 - "$RES" "$REPS" "$SECS" "$(nproc)" "$sas" "$DIR" "$COEX" \
	"$IKE" "$SCALE_REPS" <<'PY'
import json, statistics, sys, time
res, reps, secs, ncpu, sas, out, coexf, ikef, sreps = sys.argv[1:10]
vals, cpus = {}, {}
for line in open(res):
    p, k, v, c = line.split()
    vals.setdefault((p, k), []).append(float(v))
    cpus.setdefault((p, k), []).append(float(c))
med = {key: statistics.median(v) for key, v in vals.items()}
unit = {"tcp1": "Mbit/s", "tcp4": "Mbit/s", "udp64": "pkt/s", "udp1400": "pkt/s"}
kinds = ["tcp1", "tcp4", "udp64", "udp1400"]
algs = {"gcm": "AES-GCM-128", "cbc": "AES-256-CBC + HMAC-SHA256",
        "chacha": "ChaCha20-Poly1305"}

def ratio(a, b):
    x, y = med.get(a), med.get(b)
    return round(x / y, 2) if x and y else None

def fmt(v):
    return "n/a" if v is None else "%.2f" % v

goals = [
    ("single-flow TCP, esptun / xfrm, AES-GCM-128", ratio(("ep-gcm", "tcp1"), ("xf-gcm", "tcp1")), 1.5),
    ("single-flow TCP, esptun / xfrm, AES-256-CBC+HMAC-SHA256", ratio(("ep-cbc", "tcp1"), ("xf-cbc", "tcp1")), 1.5),
    ("single-flow TCP, esptun ChaCha20-Poly1305 / WireGuard", ratio(("ep-chacha", "tcp1"), ("wg", "tcp1")), 1.0),
    ("64-byte UDP rate, esptun / xfrm, AES-GCM-128", ratio(("ep-gcm", "udp64"), ("xf-gcm", "udp64")), 1.5),
    ("4-flow TCP / single-flow TCP, esptun AES-GCM-128", ratio(("ep-gcm", "tcp4"), ("ep-gcm", "tcp1")), 1.7),
]
if ("scale-after", "udp64") in med:
    goals.append(("64-byte UDP rate with %s SAs / with 2 SAs (its twin, interleaved)" % sas,
                  ratio(("scale-after", "udp64"), ("twin-after", "udp64")), 0.95))

L = []
L.append("# esptun benchmark")
L.append("")
L.append("%s, one guest boot with %s CPUs (software-emulated), iperf3, median "
         "and min-max of %s interleaved runs of %s s (the SA scale: %s)." %
         (time.strftime("%Y-%m-%d"), ncpu, reps, secs, sreps))
if vals:
    L.append("`ep` esptun (parallel crypto), `ei` esptun with `parallel off`, "
             "`xf` xfrm interface, same algorithm; `wg` WireGuard; `veth` no tunnel. "
             "CPUs: guest CPUs kept busy during the run (median).")
    L.append("")
    L.append("## Goals")
    L.append("")
    L.append("| goal | ratio | target | met |")
    L.append("|---|---|---|---|")
    for name, r, t in goals:
        L.append("| %s | %s | %s | %s |" % (name, fmt(r), t, "yes" if r is not None and r >= t else "no"))
    if ("twin-after", "udp64") in med:
        L.append("")
        L.append("SA scale: `scale` is `ep-gcm` in namespaces c and s, `twin` the "
                 "same tunnel in namespaces of its own (c1, s1) with its two SAs, "
                 "measured in turn, %s runs each, before and after more device "
                 "pairs with an SA each way joined c and s (%s SAs in c in all). "
                 "Before, scale / twin was %s; scale after / before %s, twin after "
                 "/ before %s (the guest's drift)." %
                 (sreps, sas, fmt(ratio(("scale-before", "udp64"), ("twin-before", "udp64"))),
                  fmt(ratio(("scale-after", "udp64"), ("scale-before", "udp64"))),
                  fmt(ratio(("twin-after", "udp64"), ("twin-before", "udp64")))))
    L.append("")
    L.append("## Ratios per algorithm")
    L.append("")
    L.append("| algorithm | kind | esptun / xfrm | esptun / esptun inline | esptun / veth |")
    L.append("|---|---|---|---|---|")
    for a in algs:
        for k in kinds:
            L.append("| %s | %s | %s | %s | %s |" % (algs[a], k,
                     fmt(ratio(("ep-" + a, k), ("xf-" + a, k))),
                     fmt(ratio(("ep-" + a, k), ("ei-" + a, k))),
                     fmt(ratio(("ep-" + a, k), ("veth", k)))))
    L.append("")
    L.append("## All paths")
    L.append("")
    L.append("| path | kind | median | min-max | unit | CPUs |")
    L.append("|---|---|---|---|---|---|")
    for (p, k) in sorted(vals):
        v = vals[(p, k)]
        L.append("| %s | %s | %.0f | %.0f-%.0f | %s | %.2f |" % (p, k, med[(p, k)], min(v), max(v),
                 unit[k], statistics.median(cpus[(p, k)])))

# Coexistence and IKE: "LABEL KIND VALUE [CPUS]" lines, "meta" for sizes.
extra, meta = {}, {}
for f in (coexf, ikef):
    for line in open(f):
        w = line.split()
        if w[0] == "meta":
            meta[w[1]] = int(w[2])
        else:
            extra.setdefault((w[0], w[1]), []).append(float(w[2]))
xmed = {key: statistics.median(v) for key, v in extra.items()}

def xratio(a, b):
    x, y = xmed.get(a), xmed.get(b)
    return round(x / y, 2) if x and y else None

peers = meta.get("peers", 0)
figures = [
    ("xfrm 64-byte UDP, esptun.ko loaded", ("coex-loaded", "udp64"), "pkt/s", "%.0f"),
    ("xfrm 64-byte UDP, esptun.ko unloaded", ("coex-unloaded", "udp64"), "pkt/s", "%.0f"),
    ("`esptun ike up` to first ping, MODP-2048", ("ike-modp2048", "first-packet"), "s", "%.2f"),
    ("`esptun ike up` to first ping, ECP-256", ("ike-ecp256", "first-packet"), "s", "%.2f"),
    ("the same with the tunnel up already, MODP-2048", ("ike-modp2048", "tools"), "s", "%.2f"),
    ("the same with the tunnel up already, ECP-256", ("ike-ecp256", "tools"), "s", "%.2f"),
    ("responder capacity, esptund", ("cap-esptund", "rate"), "negotiations/s", "%.2f"),
    ("responder capacity, charon", ("cap-charon", "rate"), "negotiations/s", "%.2f"),
    ("responder CPU per negotiation, esptund", ("cap-esptund", "cpu-ms"), "ms", "%.1f"),
    ("responder CPU per negotiation, charon", ("cap-charon", "cpu-ms"), "ms", "%.1f"),
]
xratios = [
    ("xfrm 64-byte UDP rate, esptun loaded / unloaded",
     xratio(("coex-loaded", "udp64"), ("coex-unloaded", "udp64"))),
    ("responder negotiations/s, esptund / charon",
     xratio(("cap-esptund", "rate"), ("cap-charon", "rate"))),
    ("responder CPU per negotiation, esptund / charon",
     xratio(("cap-esptund", "cpu-ms"), ("cap-charon", "cpu-ms"))),
]

# The i-th round of each responder ran back to back: their ratio leaves
# out what changed between rounds (the host's own load).
def per_round(kind):
    a, b = extra.get(("cap-esptund", kind), []), extra.get(("cap-charon", kind), [])
    r = [x / y for x, y in zip(a, b) if y]
    return round(statistics.median(r), 2) if r else None

xratios.append(("responder negotiations/s, esptund / charon, median of the rounds' ratios",
                per_round("rate")))
xratios.append(("responder CPU per negotiation, esptund / charon, median of the rounds' ratios",
                per_round("cpu-ms")))
if extra:
    L.append("")
    L.append("## Next to xfrm, and IKE")
    L.append("")
    L.append("xfrm's 64-byte UDP rate (`xf-gcm`) with esptun.ko loaded (one esptun "
             "device pair with SAs between the same outer addresses, so xfrm's ESP "
             "misses esptun's table first) and unloaded, alternating, %s runs of %s s "
             "each. IKE: esptund against esptund, Main Mode (AES-128, SHA2-256, "
             "the group named) and Quick Mode (AES-GCM-128, no PFS), time from "
             "`esptun ike up` to the first ping answered through the tunnel, "
             "%s runs per group. Responder capacity: %s initiator conns%s in one "
             "esptund, each on its own device and address, all told up at once "
             "against esptund, then strongSwan's charon (one conn for all, MODP-2048), "
             "%s rounds; Main Mode + Quick Mode negotiations per second until "
             "every conn has its IPsec SA, and the responder's CPU time per "
             "negotiation (the initiator shares the CPUs, so it bounds the rate too)." %
             (reps, secs, meta.get("runs", 0), peers,
              "" if peers == 100 else " (the default is 100)", meta.get("reps", 0)))
    L.append("")
    L.append("| figure | median | min-max | runs | unit |")
    L.append("|---|---|---|---|---|")
    for name, key, u, f in figures:
        v = extra.get(key)
        if v:
            L.append("| %s | %s | %s-%s | %d | %s |" % (name, f % xmed[key], f % min(v),
                     f % max(v), len(v), u))
        else:
            L.append("| %s | n/a | | 0 | %s |" % (name, u))
    L.append("")
    L.append("| ratio | value |")
    L.append("|---|---|")
    for name, r in xratios:
        L.append("| %s | %s |" % (name, fmt(r)))
md = "\n".join(L) + "\n"
open(out + "/bench.md", "w").write(md)
json.dump({"date": time.strftime("%Y-%m-%d"), "guest_cpus": int(ncpu), "reps": int(reps),
           "seconds": int(secs), "scale_reps": int(sreps),
           "goals": [{"goal": n, "ratio": r, "target": t} for n, r, t in goals],
           "runs": [{"path": p, "kind": k, "values": vals[(p, k)], "median": med[(p, k)],
                     "cpus": cpus[(p, k)], "unit": unit[k]} for (p, k) in sorted(vals)],
           "ike_runs": meta.get("runs", 0), "ike_peers": peers, "ike_reps": meta.get("reps", 0),
           "coexistence_ike": [{"figure": n, "values": extra.get(key, []),
                                "median": xmed.get(key), "unit": u} for n, key, u, f in figures],
           "coexistence_ike_ratios": [{"ratio": n, "value": r} for n, r in xratios]},
          open(out + "/bench.json", "w"), indent=1)
sys.stdout.write(md)
PY
lib_cleanup
