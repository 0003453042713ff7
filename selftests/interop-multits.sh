#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 600
# esptund (ns1, esptun device, one subnet 10.9.1.0/24) against strongSwan's
# charon (ns2, xfrm interface, subnets 10.9.2.0/24 and 10.9.3.0/24), IKEv1
# Main Mode PSK. esptund has one conn with remote-ts listing both subnets,
# so two selector pairs; charon has one child per pair, as IKEv1 wants.
#   1 esptund initiates: both pairs up under one ISAKMP SA
#   2 charon initiates its two children, one after the other
# Each case: the pairs' exact selectors and SPIs agree between
# `esptun ike status`, the module's SAs on esp0 and charon's CHILD_SAs;
# pings to each subnet move the packet counters of that pair's SAs only,
# on both sides; then one side's down removes both pairs on both sides.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=interop-multits-key
IFID=43
NET1=10.9.1.0/24
NET2=10.9.2.0/24
NET3=10.9.3.0/24
H1=10.9.1.1
H2=10.9.2.1
H3=10.9.3.1
N_TESTS=17

ktap_plan $N_TESTS

skip_all() {
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "interop-multits-$i" "$1"
	done
	ktap_finished
}

module_load || skip_all "esptun.ko could not be loaded"
[ -x /usr/lib/ipsec/charon ] || skip_all "strongSwan's charon is not installed"

ike_warmup
ike_topo || exit 1

# charon's side: both subnets' hosts on its xfrm interface.
ip -n $IKE_NS2 link add xfrm$IFID type xfrm dev veth2 if_id $IFID
ip -n $IKE_NS2 addr add $H2/32 dev xfrm$IFID
ip -n $IKE_NS2 addr add $H3/32 dev xfrm$IFID
ip -n $IKE_NS2 link set xfrm$IFID up
ip -n $IKE_NS2 route add $NET1 dev xfrm$IFID

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes128-sha256-modp2048 \
	aes128gcm16 listen "local-ts=$NET1" "remote-ts=$NET2, $NET3"
mkdir -p "$SWAN_DIR"
ike_render "$IKE_PEERS/swanctl-multits.conf.in" "$SWAN_DIR/swanctl.conf" \
	LOCAL=$IKE_ADDR2 REMOTE=$IKE_ADDR1 PSK=$PSK \
	IKE=aes128-sha256-modp2048 ESP=aes128gcm16 IFID=$IFID \
	NET1=$NET1 NET2=$NET2 NET3=$NET3
# Not under ktap_check, whose subshell would lose the daemons' pids.
if swan_start $IKE_NS2 >"$IKE_DIR/start.out" 2>&1 &&
   swan --load-all --clear --noprompt --file "$SWAN_DIR/swanctl.conf" \
	>>"$IKE_DIR/start.out" 2>&1 &&
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

# pair_table: one line per pair, $NET1===$NET2 then $NET1===$NET3:
#   PAIR SPI_IN SPI_OUT OURS_PKTS_IN OURS_PKTS_OUT THEIRS_PKTS_IN THEIRS_PKTS_OUT
# after checking that esptund has exactly these two QM_ACTIVE pairs, the
# module exactly their four SAs with the pairs' selectors, and charon one
# IKE_SA with exactly two CHILD_SAs whose selectors are the pairs' mirror
# and whose SPIs are ours swapped. Any difference: why, and exit 1.
pair_table() {
	local st show raw
	st=$(eike a status -j) || return 1
	show=$(ip netns exec $IKE_NS1 "$ESPTUN" -j show esp0) || return 1
	raw=$(swan --list-sas --raw 2>&1) || { echo "$raw"; return 1; }
	python3 - "$st" "$show" "$raw" "$NET1" "$NET2" "$NET3" <<'EOF'
import json, re, sys

st, show, raw = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
net1, pairs = sys.argv[4], [(sys.argv[4], n) for n in sys.argv[5:7]]
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

# charon's CHILD_SAs: the innermost sections of its raw listing.
if raw.count("esptun {uniqueid") != 1:
    bad.append("charon's IKE_SAs: %d, want 1" %
               raw.count("esptun {uniqueid"))
theirs = {}
children = re.findall(r"\{(name=[^{}]*)\}", raw)
for body in children:
    kv = dict(re.findall(r"([a-z-]+)=([^\s\[\]]+)", body))
    ts = dict(re.findall(r"(local-ts|remote-ts)=?\s*\[([^\]]*)\]", body))
    theirs[(ts.get("remote-ts", "").strip(),
            ts.get("local-ts", "").strip())] = kv
if len(children) != 2:
    bad.append("charon has %d CHILD_SAs, want 2" % len(children))

rows = []
for p in pairs:
    o, t = ours.get(p), theirs.get(p)
    if not o or not t:
        bad.append("pair %s===%s: esptund %s, charon %s" %
                   (p[0], p[1], bool(o), bool(t)))
        continue
    if t.get("state") != "INSTALLED":
        bad.append("charon's child for %s===%s is %s" %
                   (p[0], p[1], t.get("state")))
    t_in = "%08x" % int(t.get("spi-in", "0"), 16)
    t_out = "%08x" % int(t.get("spi-out", "0"), 16)
    if (o["spi_in"], o["spi_out"]) != (t_out, t_in):
        bad.append("pair %s===%s SPIs: ours in %s out %s, charon's in %s out %s"
                   % (p[0], p[1], o["spi_in"], o["spi_out"], t_in, t_out))
    m_in = mod_sa("in", o["spi_in"], p[1], p[0])
    m_out = mod_sa("out", o["spi_out"], p[0], p[1])
    rows.append("%s===%s %s %s %s %s %s %s" %
                (p[0], p[1], o["spi_in"], o["spi_out"], m_in, m_out,
                 t.get("packets-in", "0"), t.get("packets-out", "0")))
if bad:
    print("\n".join(bad))
    print(raw)
    sys.exit(1)
print("\n".join(rows))
EOF
}

# moved BEFORE AFTER N2 N3: between the two tables the SPIs stayed, and
# the counters of pair 2 moved by N2 packets each way, those of pair 3 by
# N3 (ours and charon's alike).
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
            bad.append("%s: ours in/out, charon's in/out moved by %s, want %d each"
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
	local est
	est=$(swan --list-sas --raw 2>/dev/null | grep -c 'state=ESTABLISHED')
	[ "$est" = 0 ] || { echo "charon has $est established IKE_SA(s)"; return 1; }
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
	ktap_check "1-one-isakmp-sa" test "$(grep 'initiating Quick Mode' \
		"$IKE_DIR/a.log" | awk '{ print $3 }' | sort -u | wc -l)" = 1
	traffic 1
else
	for t in one-isakmp-sa ping-net2 net2-own-sa ping-net3 net3-own-sa; do
		ktap_skip "1-$t" "no SAs"
	done
fi
# ike down deletes both pairs and the ISAKMP SA: charon drops all three.
eike a down peer >/dev/null
ktap_check "1-down-removes-both" wait_for -t 15 no_sa_anywhere
swan_down >/dev/null 2>&1

# 2: charon initiates one child, then the other on the same IKE_SA.
ktap_check "2-strongswan-init-net2" swan --initiate --child lan2 --timeout 30
ktap_check "2-strongswan-init-net3" swan --initiate --child lan3 --timeout 30
if ktap_check "2-two-pairs" wait_for -t 15 two_pairs; then
	traffic 2
else
	for t in ping-net2 net2-own-sa ping-net3 net3-own-sa; do
		ktap_skip "2-$t" "no SAs"
	done
fi
# charon's terminate deletes both children and the IKE_SA: esptund drops
# both pairs.
swan_down >/dev/null 2>&1
ktap_check "2-peer-down-removes-both" wait_for -t 15 no_sa_anywhere

ktap_finished
