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
N_TESTS=17
MT_NAME=interop-multits
MT_PEER=charon
source "$(dirname "$0")/multits-lib.sh"

ktap_plan $N_TESTS

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

mt_our_side

their_tables() {
	local raw
	raw=$(swan --list-sas --raw 2>&1) || { echo "$raw"; return 1; }
	THEIR_TABLES=("$raw")
}

# charon's side of pair_table: one IKE_SA with exactly two CHILD_SAs, the
# innermost sections of its raw listing, installed for the pairs' mirror.
THEIRS_PY=$(cat <<'EOF'
raw = sys.argv[7]
dump = raw
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

def their(p, o):
    t = theirs.get(p)
    if not o or not t:
        bad.append("pair %s===%s: esptund %s, charon %s" %
                   (p[0], p[1], bool(o), bool(t)))
        return None
    if t.get("state") != "INSTALLED":
        bad.append("charon's child for %s===%s is %s" %
                   (p[0], p[1], t.get("state")))
    return ("%08x" % int(t.get("spi-in", "0"), 16),
            "%08x" % int(t.get("spi-out", "0"), 16),
            t.get("packets-in", "0"), t.get("packets-out", "0"))
EOF
)

their_no_sa() {
	local est
	est=$(swan --list-sas --raw 2>/dev/null | grep -c 'state=ESTABLISHED')
	[ "$est" = 0 ] || { echo "charon has $est established IKE_SA(s)"; return 1; }
}

one_isakmp_sa() {
	ktap_check "1-one-isakmp-sa" test "$(grep 'initiating Quick Mode' \
		"$IKE_DIR/a.log" | awk '{ print $3 }' | sort -u | wc -l)" = 1
}

# 1: esptund initiates; one Quick Mode per pair under one ISAKMP SA.
ktap_check "1-esptund-init-up" eike a up -t 60 peer
pairs_traffic 1 30 one_isakmp_sa one-isakmp-sa
# ike down deletes both pairs and the ISAKMP SA: charon drops all three.
eike a down peer >/dev/null
ktap_check "1-down-removes-both" wait_for -t 15 no_sa_anywhere
swan_down >/dev/null 2>&1

# 2: charon initiates one child, then the other on the same IKE_SA.
ktap_check "2-strongswan-init-net2" swan --initiate --child lan2 --timeout 30
ktap_check "2-strongswan-init-net3" swan --initiate --child lan3 --timeout 30
pairs_traffic 2 15 :
# charon's terminate deletes both children and the IKE_SA: esptund drops
# both pairs.
swan_down >/dev/null 2>&1
ktap_check "2-peer-down-removes-both" wait_for -t 15 no_sa_anywhere

ktap_finished
