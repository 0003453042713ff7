# SPDX-License-Identifier: GPL-2.0
# Helpers of the two-selector-pair interop selftests (sourced after lib.sh
# and ike-lib.sh): esptund in ns1 with one conn whose remote-ts lists two
# subnets, against a peer in ns2 that holds one IPsec SA pair per subnet.
#
# Before sourcing, the test sets MT_NAME (its ktap prefix for skips),
# MT_PEER (the peer daemon's name in messages) and N_TESTS, and defines:
#   their_tables     fills the array THEIR_TABLES with the peer's raw view,
#                    handed to THEIRS_PY as sys.argv[7:]
#   THEIRS_PY        python run inside pair_table after our side is read:
#                    defines their(p, o), the peer's (spi_in, spi_out,
#                    packets_in, packets_out) of pair p or None with the
#                    reason added to bad, and dump, printed on failure
#   their_no_sa      succeeds when the peer itself reports no SAs

NET1=10.9.1.0/24
NET2=10.9.2.0/24
NET3=10.9.3.0/24
H1=10.9.1.1
H2=10.9.2.1
H3=10.9.3.1

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "$MT_NAME-$i" "$1"
	done
	ktap_finished
}

# Our side: one host address, both subnets routed into esp0. No IPv6
# inside: nothing of it is configured, and its own packets would only
# raise acquires.
mt_our_side() {
	ip netns exec $IKE_NS1 sysctl -qw net.ipv6.conf.esp0.disable_ipv6=1
	ip -n $IKE_NS1 addr add $H1/32 dev esp0
	ip -n $IKE_NS1 link set esp0 up
	ip -n $IKE_NS1 route add $NET2 dev esp0 src $H1
	ip -n $IKE_NS1 route add $NET3 dev esp0 src $H1
}

# Our half of pair_table: esptund's pairs and the module's SAs.
MT_OURS_PY=$(cat <<'EOF'
import json, re, sys

peer, st, show = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
pairs = [(sys.argv[4], n) for n in sys.argv[5:7]]
bad = []

conns = [c for c in st["conns"] if c["name"] == "peer"]
kids = [ch for c in conns for ch in c["children"]
        if ch["state"] == "QM_ACTIVE"]
got = sorted((ch["local_ts"], ch["remote_ts"]) for ch in kids)
if got != sorted(pairs):
    bad.append("esptund's QM_ACTIVE pairs %s, want %s" % (got, sorted(pairs)))
ours = {(ch["local_ts"], ch["remote_ts"]): ch for ch in kids}

sas = [sa for d in show if d["ifname"] == "esp0" for sa in d["sas"]]
if len(sas) != 4:
    bad.append("%d SAs on esp0, want 4" % len(sas))

def mod_sa(d, spi, src, dst):
    m = [sa for sa in sas if sa["dir"] == d and sa["spi"] == int(spi, 16)]
    if len(m) != 1:
        bad.append("%d %s SAs with SPI %s on esp0" % (len(m), d, spi))
        return None
    sel = m[0]["selector"] or {}
    if (sel.get("src"), sel.get("dst")) != (src, dst):
        bad.append("%s SA %s selector %s, want %s -> %s" %
                   (d, spi, sel, src, dst))
    return m[0]["stats"].get("packets", 0)
EOF
)

# The two halves joined: each pair's SPIs and counters, ours and theirs.
MT_ROWS_PY=$(cat <<'EOF'
rows = []
for p in pairs:
    o = ours.get(p)
    t = their(p, o)
    if t is None:
        continue
    t_in, t_out, t_pkts_in, t_pkts_out = t
    if (o["spi_in"], o["spi_out"]) != (t_out, t_in):
        bad.append("pair %s===%s SPIs: ours in %s out %s, %s's in %s out %s"
                   % (p[0], p[1], o["spi_in"], o["spi_out"], peer, t_in,
                      t_out))
    m_in = mod_sa("in", o["spi_in"], p[1], p[0])
    m_out = mod_sa("out", o["spi_out"], p[0], p[1])
    rows.append("%s===%s %s %s %s %s %s %s" %
                (p[0], p[1], o["spi_in"], o["spi_out"], m_in, m_out,
                 t_pkts_in, t_pkts_out))
if bad:
    print("\n".join(bad))
    print(dump)
    sys.exit(1)
print("\n".join(rows))
EOF
)

# pair_table: one line per pair, $NET1===$NET2 then $NET1===$NET3:
#   PAIR SPI_IN SPI_OUT OURS_PKTS_IN OURS_PKTS_OUT THEIRS_PKTS_IN THEIRS_PKTS_OUT
# after checking that esptund has exactly these two QM_ACTIVE pairs, the
# module exactly their four SAs with the pairs' selectors, and the peer
# (THEIRS_PY) exactly the pairs' mirror with the SPIs ours swapped. Any
# difference: why, and exit 1.
pair_table() {
	local st show
	st=$(eike a status -j) || return 1
	show=$(ip netns exec $IKE_NS1 "$ESPTUN" -j show esp0) || return 1
	their_tables || return 1
	"${PY3[@]}" -c "$MT_OURS_PY"$'\n'"$THEIRS_PY"$'\n'"$MT_ROWS_PY" \
		"$MT_PEER" "$st" "$show" "$NET1" "$NET2" "$NET3" \
		"${THEIR_TABLES[@]}"
}

# moved BEFORE AFTER N2 N3: between the two tables the SPIs stayed, and
# the counters of pair 2 moved by N2 packets each way, those of pair 3 by
# N3 (ours and the peer's alike).
moved() {
	"${PY3[@]}" - "$1" "$2" "$3" "$4" "$MT_PEER" <<'EOF'
import sys
before = [l.split() for l in sys.argv[1].splitlines()]
after = [l.split() for l in sys.argv[2].splitlines()]
want = [int(sys.argv[3]), int(sys.argv[4])]
bad = []
if len(before) != 2 or len(after) != 2:
    bad.append("tables of %d and %d pairs" % (len(before), len(after)))
else:
    for b, a, n in zip(before, after, want):
        if b[:3] != a[:3]:
            bad.append("pair changed: %s -> %s" % (b[:3], a[:3]))
        d = [int(y) - int(x) for x, y in zip(b[3:], a[3:])]
        if d != [n] * 4:
            bad.append("%s: ours in/out, %s's in/out moved by %s, want %d each"
                       % (a[0], sys.argv[5], d, n))
if bad:
    print("\n".join(bad))
    print("before:\n%s\nafter:\n%s" % (sys.argv[1], sys.argv[2]))
    sys.exit(1)
EOF
}

two_pairs() {
	local out
	out=$(pair_table) || { echo "$out"; return 1; }
}

# traffic N: pings $H2 three times and $H3 twice, each through its own SA.
traffic() {
	local n=$1 t0 t1 t2
	t0=$(pair_table)
	ktap_check "$n-ping-net2" ike_ping $IKE_NS1 $H2 3
	t1=$(pair_table)
	ktap_check "$n-net2-own-sa" moved "$t0" "$t1" 3 0
	ktap_check "$n-ping-net3" ike_ping $IKE_NS1 $H3 2
	t2=$(pair_table)
	ktap_check "$n-net3-own-sa" moved "$t1" "$t2" 0 2
}

# pairs_traffic N TIMEOUT HOOK [TEST...]: both pairs up within TIMEOUT
# seconds, then HOOK and traffic N; without them, HOOK's TESTs and
# traffic's are skipped, so the plan's count holds either way.
pairs_traffic() {
	local n=$1 tmo=$2 hook=$3 t
	shift 3
	if ktap_check "$n-two-pairs" wait_for -t "$tmo" two_pairs; then
		$hook
		traffic "$n"
	else
		for t in "$@" ping-net2 net2-own-sa ping-net3 net3-own-sa; do
			ktap_skip "$n-$t" "no SAs"
		done
	fi
}

no_sa_anywhere() {
	their_no_sa || return 1
	[ -z "$(ike_xfrm_spis $IKE_NS2)" ] ||
		{ echo "xfrm states in $IKE_NS2:"; ip -n $IKE_NS2 xfrm state; return 1; }
	esptun_no_sas $IKE_NS1 ||
		{ echo "esptun SAs in $IKE_NS1:"; ip netns exec $IKE_NS1 "$ESPTUN" show; return 1; }
	[ "$(eike a status | grep -c 'child QM_ACTIVE')" = 0 ] ||
		{ eike a status; return 1; }
}
