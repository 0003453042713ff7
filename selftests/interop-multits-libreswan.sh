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
N_TESTS=15
MT_NAME=interop-multits-libreswan
MT_PEER=pluto
source "$(dirname "$0")/multits-lib.sh"

ktap_plan $N_TESTS

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

mt_our_side

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

their_tables() {
	local xs xp
	xs=$(ip -n $IKE_NS2 -s xfrm state) || return 1
	xp=$(ip -n $IKE_NS2 xfrm policy) || return 1
	THEIR_TABLES=("$xs" "$xp" "$IKE_ADDR1")
}

# pluto's side of pair_table, read from its kernel: exactly four ESP
# states, each pair's two under the reqid of the out policy with the
# pair's mirror selector.
THEIRS_PY=$(cat <<'EOF'
xs, xp, ours_addr = sys.argv[7], sys.argv[8], sys.argv[9]
dump = xs + "\n" + xp

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

def their(p, o):
    r = reqid.get(p)
    if not o or not r:
        bad.append("pair %s===%s: esptund %s, pluto's out policy %s" %
                   (p[0], p[1], bool(o), r))
        return None
    t_in = [s for s in states if s[1] == r and s[2]]
    t_out = [s for s in states if s[1] == r and not s[2]]
    if len(t_in) != 1 or len(t_out) != 1:
        bad.append("pair %s===%s: pluto's states under reqid %s: %s" %
                   (p[0], p[1], r, t_in + t_out))
        return None
    return (t_in[0][0], t_out[0][0], t_in[0][3], t_out[0][3])
EOF
)

their_no_sa() {
	local n
	n=$(lsw_n_traffic)
	[ "$n" = 0 ] || { echo "pluto reports $n IPsec SA(s)"; return 1; }
}

# 1: esptund initiates; one Quick Mode per pair under one ISAKMP SA.
ktap_check "1-esptund-init-up" eike a up -t 60 peer
pairs_traffic 1 30 their_inner
# ike down deletes both pairs and the ISAKMP SA: pluto drops them too.
eike a down peer >/dev/null
ktap_check "1-down-removes-both" wait_for -t 15 no_sa_anywhere
their_down

# 2: pluto initiates the alias, so both of its conns.
ktap_check "2-libreswan-init" lsw_up
pairs_traffic 2 30 their_inner
# pluto's terminate of the alias deletes both pairs: esptund drops them.
their_down
ktap_check "2-peer-down-removes-both" wait_for -t 15 no_sa_anywhere

ktap_finished
