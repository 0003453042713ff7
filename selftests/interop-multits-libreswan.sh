#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# esptund (ns1, esptun device, one subnet 10.9.1.0/24) against libreswan's
# pluto (ns2, its xfrm interface ipsec44, subnets 10.9.2.0/24 and
# 10.9.3.0/24 as leftsubnets={...}: one conn per subnet under the alias
# esptun). esptund has one conn with remote-ts listing both subnets.
#   1 esptund initiates: both pairs up under one ISAKMP SA
#   2 pluto initiates the alias, so both of its conns
# Each case: the pairs' exact selectors and SPIs agree between
# `esptun ike status`, the module's SAs on esp0 and pluto's kernel (its
# xfrm states, by reqid, and the out policies holding those reqids);
# pings to each subnet move the packet counters of that pair's SAs only,
# on both sides; then one side's down removes both pairs on both sides.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=interop-multits-lsw-key
IFID=44
NET1=10.9.1.0/24
NET2=10.9.2.0/24
NET3=10.9.3.0/24
H1=10.9.1.1
H2=10.9.2.1
H3=10.9.3.1
N_TESTS=15

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "interop-multits-libreswan-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
why=$(lsw_available) || skip_all "$why"

ike_warmup
ike_topo || exit 1

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128-sha256-modp2048 listen "local-ts=$NET1" "remote-ts=$NET2, $NET3"
# pluto's conn: the common template with its subnets in place of 0/0.
theirs() {
	lsw_render $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha2_256-modp2048 \
		"aes128-sha2_256;modp2048" yes $IFID &&
		sed -i -e "s|leftsubnet=0.0.0.0/0|leftsubnets={$NET2 $NET3}|" \
			-e "s|rightsubnet=0.0.0.0/0|rightsubnet=$NET1|" \
			"$LSW_DIR/ipsec.conf" && lsw_load
}
# Not under ktap_check, whose subshell would lose the daemons' pids.
if lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha2_256-modp2048 \
	"aes128-sha2_256;modp2048" yes $IFID >"$IKE_DIR/start.out" 2>&1 &&
   theirs >>"$IKE_DIR/start.out" 2>&1 &&
   esptund_start a $IKE_NS1 >>"$IKE_DIR/start.out" 2>&1; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi

# Our side: one host address, both subnets routed into esp0. No IPv6
# inside: nothing of it is configured, and its own packets would only
# raise acquires.
ip netns exec $IKE_NS1 sysctl -qw net.ipv6.conf.esp0.disable_ipv6=1
ip -n $IKE_NS1 addr add $H1/32 dev esp0
ip -n $IKE_NS1 link set esp0 up
ip -n $IKE_NS1 route add $NET2 dev esp0 src $H1
ip -n $IKE_NS1 route add $NET3 dev esp0 src $H1

# whack waits for pluto without a limit of its own.
their_down() {
	timeout 20 "$LSW_BIN/whack" --rundir "$LSW_DIR/run" --name esptun \
		--terminate >/dev/null 2>&1
}

# pluto's side, once its interface exists (made at the first up).
their_inner() {
	local dev=ipsec$IFID
	ip -n $IKE_NS2 link set $dev up 2>/dev/null || return 1
	ip -n $IKE_NS2 addr replace $H2/32 dev $dev &&
		ip -n $IKE_NS2 addr replace $H3/32 dev $dev &&
		ip -n $IKE_NS2 route replace $NET1 dev $dev
}

# pair_table: one line per pair, $NET1===$NET2 then $NET1===$NET3:
#   PAIR SPI_IN SPI_OUT OURS_PKTS_IN OURS_PKTS_OUT THEIRS_PKTS_IN THEIRS_PKTS_OUT
# after checking that esptund has exactly these two QM_ACTIVE pairs, the
# module exactly their four SAs with the pairs' selectors, and pluto's
# kernel exactly four ESP states, each pair's two under the reqid of the
# out policy with the pair's mirror selector, SPIs ours swapped.
pair_table() {
	local st show xs xp
	st=$(eike a status -j) || return 1
	show=$(ip netns exec $IKE_NS1 "$ESPTUN" -j show esp0) || return 1
	xs=$(ip -n $IKE_NS2 -s xfrm state) || return 1
	xp=$(ip -n $IKE_NS2 xfrm policy) || return 1
	python3 - "$st" "$show" "$xs" "$xp" "$NET1" "$NET2" "$NET3" \
		"$IKE_ADDR1" <<'EOF'
import json, re, sys

st, show, xs, xp = (json.loads(sys.argv[1]), json.loads(sys.argv[2]),
                    sys.argv[3], sys.argv[4])
pairs = [(sys.argv[5], n) for n in sys.argv[6:8]]
ours_addr = sys.argv[8]
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

def blocks(text):
    out, cur = [], None
    for line in text.splitlines():
        if line and not line[0].isspace():
            cur = [line]
            out.append(cur)
        elif cur is not None:
            cur.append(line)
    return [" ".join(b) for b in out]

# pluto's states: (spi, reqid, inbound to pluto, packets).
states = []
for b in blocks(xs):
    m = re.search(r"^src (\S+) dst (\S+) .*proto esp spi 0x([0-9a-f]+)\S* reqid (\d+)", b)
    if not m:
        continue
    p = re.search(r"(\d+)\(bytes\), (\d+)\(packets\)", b)
    states.append(("%08x" % int(m.group(3), 16), m.group(4),
                   m.group(1) == ours_addr, int(p.group(2)) if p else None))
if len(states) != 4:
    bad.append("%d ESP states in pluto's kernel, want 4" % len(states))
# Out policies, by our view of the pair (their selector mirrored).
reqid = {}
for b in blocks(xp):
    m = re.search(r"^src (\S+) dst (\S+) .*dir out .*reqid (\d+)", b)
    if m:
        reqid[(m.group(2), m.group(1))] = m.group(3)

rows = []
for p in pairs:
    o, r = ours.get(p), reqid.get(p)
    if not o or not r:
        bad.append("pair %s===%s: esptund %s, pluto's out policy %s" %
                   (p[0], p[1], bool(o), r))
        continue
    t_in = [s for s in states if s[1] == r and s[2]]
    t_out = [s for s in states if s[1] == r and not s[2]]
    if len(t_in) != 1 or len(t_out) != 1:
        bad.append("pair %s===%s: pluto's states under reqid %s: %s" %
                   (p[0], p[1], r, t_in + t_out))
        continue
    if (o["spi_in"], o["spi_out"]) != (t_out[0][0], t_in[0][0]):
        bad.append("pair %s===%s SPIs: ours in %s out %s, pluto's in %s out %s"
                   % (p[0], p[1], o["spi_in"], o["spi_out"], t_in[0][0],
                      t_out[0][0]))
    m_in = mod_sa("in", o["spi_in"], p[1], p[0])
    m_out = mod_sa("out", o["spi_out"], p[0], p[1])
    rows.append("%s===%s %s %s %s %s %s %s" %
                (p[0], p[1], o["spi_in"], o["spi_out"], m_in, m_out,
                 t_in[0][3], t_out[0][3]))
if bad:
    print("\n".join(bad))
    print(xs)
    print(xp)
    sys.exit(1)
print("\n".join(rows))
EOF
}

# moved BEFORE AFTER N2 N3: between the two tables the SPIs stayed, and
# the counters of pair 2 moved by N2 packets each way, those of pair 3 by
# N3 (ours and pluto's alike).
moved() {
	python3 - "$1" "$2" "$3" "$4" <<'EOF'
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
            bad.append("%s: ours in/out, pluto's in/out moved by %s, want %d each"
                       % (a[0], d, n))
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

no_sa_anywhere() {
	local n
	n=$(lsw_n_traffic)
	[ "$n" = 0 ] || { echo "pluto reports $n IPsec SA(s)"; return 1; }
	[ -z "$(ike_xfrm_spis $IKE_NS2)" ] ||
		{ echo "xfrm states in $IKE_NS2:"; ip -n $IKE_NS2 xfrm state; return 1; }
	esptun_no_sas $IKE_NS1 ||
		{ echo "esptun SAs in $IKE_NS1:"; ip netns exec $IKE_NS1 "$ESPTUN" show; return 1; }
	[ "$(eike a status | grep -c 'child QM_ACTIVE')" = 0 ] ||
		{ eike a status; return 1; }
}

# 1: esptund initiates; one Quick Mode per pair under one ISAKMP SA.
ktap_check "1-esptund-init-up" eike a up -t 60 peer
if ktap_check "1-two-pairs" wait_for -t 30 two_pairs; then
	their_inner
	traffic 1
else
	for t in ping-net2 net2-own-sa ping-net3 net3-own-sa; do
		ktap_skip "1-$t" "no SAs"
	done
fi
# ike down deletes both pairs and the ISAKMP SA: pluto drops them too.
eike a down peer >/dev/null
ktap_check "1-down-removes-both" wait_for -t 15 no_sa_anywhere
their_down

# 2: pluto initiates the alias, so both of its conns.
ktap_check "2-libreswan-init" lsw_up
if ktap_check "2-two-pairs" wait_for -t 30 two_pairs; then
	their_inner
	traffic 2
else
	for t in ping-net2 net2-own-sa ping-net3 net3-own-sa; do
		ktap_skip "2-$t" "no SAs"
	done
fi
# pluto's terminate of the alias deletes both pairs: esptund drops them.
their_down
ktap_check "2-peer-down-removes-both" wait_for -t 15 no_sa_anywhere

ktap_finished
