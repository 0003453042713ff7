#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptun decode on a live exchange: two esptund (ns1 initiating, ns2
# listening) negotiate under tcpdump; both hand out the key of their
# ISAKMP SA (esptun ike keys), which must agree; the capture is decoded
# with it: every label and direction, the decrypted Quick Mode SPIs equal
# to the ones esptund installed, ESP counted per SPI, the Deletes of
# "ike down". Without the key the encrypted messages say so; the keys
# are refused to anyone but root, and for a conn without an ISAKMP SA.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=decode-live-key
N_TESTS=11

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "decode-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

ike_warmup
ike_topo || exit 1

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK aes256-sha256-modp2048 \
	aes128-sha1-modp2048 listen
esptund_conf b $IKE_ADDR2 $IKE_ADDR1 $PSK aes256-sha256-modp2048 \
	aes128-sha1-modp2048 listen
# No IPv6 on the devices esptund creates: their router solicitations
# would start negotiations (acquires) before the capture.
for n in $IKE_NS1 $IKE_NS2; do
	ip netns exec $n sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
if esptund_start a $IKE_NS1 >"$IKE_DIR/start.out" &&
   esptund_start b $IKE_NS2 >>"$IKE_DIR/start.out"; then
	ktap_ok "daemons-start"
else
	ktap_fail "daemons-start" "$(cat "$IKE_DIR/start.out")"
fi

ktap_expect_fail "keys-before-any-sa-refused" "has no ISAKMP SA with keys" \
	eike a keys peer

# The inner addresses only once the SAs are up: traffic into a device
# without an SA would start negotiations of its own (acquires).
PCAP=$TEST_OUT/live.pcap
tcpdump_start $IKE_NS1 veth1 "$PCAP" udp port 500 or ip proto 50
ktap_check "up" eike a up -t 60 peer
esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
esptund_inner $IKE_NS2 $IKE_IN2 $IKE_IN1
ike_ping $IKE_NS1 $IKE_IN2 5 >/dev/null
eike a keys peer >"$TEST_OUT/a.keys"
eike b keys peer >"$TEST_OUT/b.keys"
read -r SPI_IN SPI_OUT <<<"$(esptund_spis a)"
eike a down peer >/dev/null
sleep 1
tcpdump_stop "$PCAP"

# Both ends derived the same key for the same initiator cookie.
keys_agree() {
	[ -s "$TEST_OUT/a.keys" ] && grep -qE '^[0-9a-f]{16},[0-9a-f]{64}$' "$TEST_OUT/a.keys" &&
		cmp <(sort "$TEST_OUT/a.keys") <(sort "$TEST_OUT/b.keys") ||
		{ echo "a: $(cat "$TEST_OUT/a.keys")"; echo "b: $(cat "$TEST_OUT/b.keys")"; return 1; }
}
ktap_check "keys-both-ends-agree" keys_agree

# Only root reaches the control socket, so only root gets keys.
ktap_expect_fail "keys-refused-to-nobody" "cannot connect" \
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$ESPTUN" ike -s "$IKE_DIR/a.sock" keys peer

"$ESPTUN" -j decode "$PCAP" --keys "$TEST_OUT/a.keys" >"$TEST_OUT/decode.json" \
	2>"$TEST_OUT/decode.err"
ktap_check "decode-exit-0" test $? = 0

# check NAME PYTHON: PYTHON over the decoded JSON (d) prints nothing.
check() {
	local name=$1 out
	out=$("${PY3[@]}" - "$TEST_OUT/decode.json" "$2" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ms = [m for g in d["groups"] for m in g["messages"] if m["retransmission_of"] is None]
def det(m, t):
    return [x for x in m.get("details", []) if x["type"] == t]
def first(l):
    return [m for m in ms if m["label"] == l][0]
def want(c, what):
    if not c:
        print(what)
exec(sys.argv[2])
PY
)
	if [ -z "$out" ]; then
		ktap_ok "$name"
	else
		ktap_fail "$name" "$out"
	fi
}

check "decode-labels-and-directions" "
l = [m['label'] for m in ms]
want(l[:9] == ['MM1','MM2','MM3','MM4','MM5','MM6','QM1','QM2','QM3'], l)
for m in ms:
    want((m['direction'] == 'initiator') == (m['src'] == '$IKE_ADDR1'), m['label'] + ' ' + m['direction'])
want(len(d['groups']) == 1 and d['groups'][0]['icookie'] == open('$TEST_OUT/a.keys').read()[:16], 'cookie')"

check "decode-qm-spis-are-esptunds" "
s1 = [p['spi'] for x in det(first('QM1'), 'SA') for p in x['proposals']]
s2 = [p['spi'] for x in det(first('QM2'), 'SA') for p in x['proposals']]
want(s1 == ['$SPI_IN'] and s2 == ['$SPI_OUT'], (s1, s2, '$SPI_IN', '$SPI_OUT'))"

check "decode-esp-per-spi" "
e = {x['spi']: x for x in d['esp']}
want(e.get('$SPI_OUT', {}).get('packets', 0) >= 5 and e['$SPI_OUT']['dst'] == '$IKE_ADDR2', d['esp'])
want(e.get('$SPI_IN', {}).get('packets', 0) >= 5 and e['$SPI_IN']['dst'] == '$IKE_ADDR1', d['esp'])
want(all(x['missing'] == 0 for x in d['esp']), 'gaps')"

check "decode-deletes-of-ike-down" "
dl = [(x['protocol'], x['spis']) for m in ms if m['label'] == 'INFO' for x in det(m, 'D')]
want(('ESP', ['$SPI_IN']) in dl and any(p == 'ISAKMP' for p, s in dl), dl)"

"$ESPTUN" decode "$PCAP" >"$TEST_OUT/decode-nokeys.txt" 2>&1
ktap_check "decode-without-keys-says-encrypted" \
	grep -q "MM5  initiator  encrypted, first payload ID" "$TEST_OUT/decode-nokeys.txt"

ktap_finished
