#!/usr/bin/env bash
# Host test of `esptun decode` on the captures in tools/tests/captures/,
# made in the test guest by make-captures.sh from real exchanges of
# esptund with strongSwan and libreswan (and of those two with each other
# over NAT-T): labels, directions, cookies, vendor IDs, proposals, the
# decrypted Quick Mode SPIs against the ESP summary (and against
# Wireshark's own decryption when tshark is there), every link type,
# pcapng, JSON, and clear errors without a crash for broken input.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
CAP=$TOP/tools/tests/captures
ESPTUN=$TOP/tools/esptun
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "$0")/tap.sh"
echo "TAP version 13"

if [ ! -x "$ESPTUN" ]; then
	echo "1..0 # SKIP $ESPTUN is not built"
	exit 0
fi

# dec NAME [ARGS...]: JSON of captures/NAME into $tmp/NAME.json.
dec() {
	local name=$1
	shift
	"$ESPTUN" -j decode "$CAP/$name" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
}

# jcheck NAME FILE PYTHON: PYTHON (with d = the decoded JSON, msgs(), ...)
# must print nothing; whatever it prints is the diagnostic.
jcheck() {
	local name=$1 file=$2 out
	out=$(python3 - "$file" "$3" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def msgs(g=None):
    gs = d["groups"] if g is None else [g]
    return [m for g in gs for m in g["messages"]]
def fresh(g=None):
    return [m for m in msgs(g) if m["retransmission_of"] is None]
def labels(g=None):
    return [m["label"] for m in fresh(g)]
def details(m, t):
    return [x for x in m.get("details", []) if x["type"] == t]
def first(label, g=None):
    for m in fresh(g):
        if m["label"] == label:
            return m
    raise SystemExit("no " + label)
def spis(m):
    return [p["spi"] for x in details(m, "SA") for p in x["proposals"]]
def esp(spi):
    return [e for e in d["esp"] if e["spi"] == spi]
def want(cond, what):
    if not cond:
        print(what)
exec(sys.argv[2])
PY
)
	if [ -z "$out" ]; then
		ok "$name"
	else
		not_ok "$name" "$out"
	fi
}

# The decoded captures must exist and decode.
for f in strongswan.pcap concurrent.pcap libreswan.pcap natt.pcap ipv6.pcap \
	aggressive.pcap strongswan.pcapng libreswan-rawip.pcap; do
	[ -f "$CAP/$f" ] || { not_ok "capture $f present" "missing: run tools/tests/make-captures.sh"; continue; }
done

S=strongswan.pcap
if dec $S --keys "$CAP/strongswan.keys"; then
	ok "strongswan: decodes with its key table"
else
	not_ok "strongswan: decodes with its key table" "$(cat "$tmp/$S.err")"
fi
J=$tmp/$S.json
ICK=$(cut -d, -f1 "$CAP/strongswan.keys" | tr -d '"' | head -1)

jcheck "strongswan: one cookie pair, the key table's initiator cookie" "$J" "
want(len(d['groups']) == 1, 'groups: %d' % len(d['groups']))
g = d['groups'][0]
want(g['icookie'] == '$ICK', 'icookie %s, key table %s' % (g['icookie'], '$ICK'))
want(len(g['rcookie']) == 16 and g['rcookie'] != '0' * 16, 'rcookie ' + g['rcookie'])
want(g['initiator'] == '192.0.2.1' and g['responder'] == '192.0.2.2', 'roles %s %s' % (g['initiator'], g['responder']))
want(g['roles_known'] and g['exchange'] == 'Main Mode', 'exchange ' + g['exchange'])
want(g['concurrent_with'] == [], 'concurrent: %s' % g['concurrent_with'])"

jcheck "strongswan: MM1-MM6, QM1-QM3, two INFO in order" "$J" "
want(labels() == ['MM1','MM2','MM3','MM4','MM5','MM6','QM1','QM2','QM3','INFO','INFO'], labels())"

jcheck "strongswan: each message from the right side" "$J" "
for m in fresh():
    want(m['direction'] == ('initiator' if m['src'] == '192.0.2.1' else 'responder'), m['label'] + ' ' + m['direction'])
    want((m['label'] in ('MM2','MM4','MM6','QM2')) == (m['direction'] == 'responder'), m['label'] + ' from ' + m['direction'])"

jcheck "strongswan: answers held back 600 ms: MM3 retransmitted, the copies named" "$J" "
r = [m for m in msgs() if m['retransmission_of']]
want(any(m['retransmission_of'] == 'MM3' and m['label'] == 'retransmission of MM3' and m['direction'] == 'initiator' for m in r), [m['label'] for m in r])
want(all(m['label'] == 'retransmission of ' + m['retransmission_of'] for m in r), 'labels')"

jcheck "strongswan: proposals with algorithm names" "$J" "
t = details(first('MM1'), 'SA')[0]['proposals'][0]['transforms'][0]['attributes']
want(t == dict(t, encryption='AES-CBC', hash='SHA1', authentication='PSK', group='MODP2048'), t)
want(t.get('key-length') == '128', t)
q = details(first('QM2'), 'SA')[0]['proposals'][0]
want(q['protocol'] == 'ESP' and q['transforms'][0]['id'] == 'AES-CBC', q)
a = q['transforms'][0]['attributes']
want(a.get('authentication') == 'HMAC-SHA1' and a.get('pfs-group') == 'MODP2048' and a.get('encapsulation') == 'tunnel', a)"

jcheck "strongswan: charon's vendor IDs by name" "$J" "
v = [x['name'] for x in details(first('MM2'), 'VID')]
want('XAUTH' in v and 'Dead Peer Detection' in v, v)"

jcheck "strongswan: MM5/MM6 decrypted: IDs, HASH, INITIAL-CONTACT" "$J" "
m5, m6 = first('MM5'), first('MM6')
want(m5['decrypted'] and m6['decrypted'], (m5['error'], m6['error']))
want([x['value'] for x in details(m5, 'ID')] == ['192.0.2.1'], details(m5, 'ID'))
want([x['value'] for x in details(m6, 'ID')] == ['192.0.2.2'], details(m6, 'ID'))
want(len(details(m5, 'HASH')[0]['hex']) == 40, 'HASH_I is not 20 bytes')
want([x['notify'] for x in details(m5, 'N')] == ['INITIAL-CONTACT'], details(m5, 'N'))"

jcheck "strongswan: decrypted QM SPIs are the ESP SPIs, each the receiver's" "$J" "
s1, s2 = spis(first('QM1')), spis(first('QM2'))
want(len(s1) == 1 and len(s2) == 1, (s1, s2))
# The QM1 sender (192.0.2.1) receives with its SPI.
e1, e2 = esp(s1[0]), esp(s2[0])
want(len(e1) == 1 and e1[0]['dst'] == '192.0.2.1', e1)
want(len(e2) == 1 and e2[0]['dst'] == '192.0.2.2', e2)
want(all('QM' in (e['negotiated'] or '') for e in e1 + e2), [e['negotiated'] for e in e1 + e2])"

jcheck "strongswan: ESP summary: 4 pings each way, seq 1..4, no gaps" "$J" "
want(len(d['esp']) == 2, d['esp'])
for e in d['esp']:
    want((e['packets'], e['first_seq'], e['last_seq'], e['missing'], e['encapsulation']) == (4, 1, 4, 0, 'none'), e)"

jcheck "strongswan: Deletes decrypted: the ESP SA and the ISAKMP SA" "$J" "
infos = [m for m in fresh() if m['label'] == 'INFO']
dl = [x for m in infos for x in details(m, 'D')]
want([x['protocol'] for x in dl] == ['ESP', 'ISAKMP'], dl)
want(dl[0]['spis'] == spis(first('QM1')), (dl[0]['spis'], spis(first('QM1'))))
g = d['groups'][0]
want(dl[1]['spis'] == [g['icookie'] + g['rcookie']], dl[1])"

jcheck "JSON: documented keys at every level" "$J" "
for k in ('file','frames','isakmp','esp','groups','notes','ip_fragments'):
    want(k in d, 'top: ' + k)
for k in ('icookie','rcookie','exchange','initiator','responder','roles_known','concurrent_with','concurrent_quick_modes','messages'):
    want(k in d['groups'][0], 'group: ' + k)
for k in ('frame','time','src','sport','dst','dport','label','retransmission_of','direction','exchange','msgid','encrypted','decrypted','error','payloads','details'):
    want(k in first('QM1'), 'message: ' + k)
for k in ('spi','src','dst','encapsulation','packets','first_seq','last_seq','gaps','missing','late','duplicates','negotiated'):
    want(k in d['esp'][0], 'esp: ' + k)"

# Wireshark's own IKEv1 decryption, given the same key table, must find
# the same Quick Mode SPIs: an oracle that shares no code with ours.
if command -v tshark >/dev/null; then
	want=$(tshark -r "$CAP/$S" -o "uat:ikev1_decryption_table:$(head -1 "$CAP/strongswan.keys")" \
		-T fields -e isakmp.spi -Y 'isakmp.exchangetype == 32 && isakmp.spisize == 4' 2>/dev/null |
		tr ',' '\n' | grep -E '^[0-9a-f]{8}$' | sort -u | tr '\n' ' ')
	got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted({p["spi"] for g in d["groups"] for m in g["messages"] for x in m.get("details", []) if x["type"] == "SA" for p in x["proposals"] if p["protocol"] == "ESP"})) + " ")' "$J")
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "strongswan: Quick Mode SPIs equal Wireshark's decryption ($want)"
	else
		not_ok "strongswan: Quick Mode SPIs equal Wireshark's decryption" "tshark: '$want'" "esptun: '$got'"
	fi
else
	skip "strongswan: Quick Mode SPIs equal Wireshark's decryption" "tshark not installed"
fi

# Text output: the same story in lines.
"$ESPTUN" decode "$CAP/$S" --keys "$CAP/strongswan.keys" >"$tmp/s.txt" 2>&1
if grep -q "MM1  initiator  SA$" "$tmp/s.txt" &&
	grep -q "retransmission of MM3  initiator" "$tmp/s.txt" &&
	grep -q "QM2 (msgid [0-9a-f]*)  responder \[decrypted\]  HASH,SA,NONCE,KE,ID,ID" "$tmp/s.txt" &&
	grep -q "VID: Dead Peer Detection" "$tmp/s.txt" &&
	grep -q "4 packet(s), seq 1..4, no gaps" "$tmp/s.txt"; then
	ok "text: labels, directions, payloads, VIDs, ESP summary"
else
	not_ok "text: labels, directions, payloads, VIDs, ESP summary" "$(head -30 "$tmp/s.txt")"
fi

# The same capture as pcapng reads the same (but for the file name).
"$ESPTUN" decode "$CAP/strongswan.pcapng" --keys "$CAP/strongswan.keys" >"$tmp/sng.txt" 2>&1
if diff <(tail -n +2 "$tmp/s.txt") <(tail -n +2 "$tmp/sng.txt") >"$tmp/diff"; then
	ok "pcapng: the same decode as pcap"
else
	not_ok "pcapng: the same decode as pcap" "$(head -10 "$tmp/diff")"
fi

# Without keys: encrypted messages say so, the rest is unchanged.
dec $S
jcheck "no key table: encrypted messages say why they are not shown" "$tmp/$S.json" "
m5 = first('MM5')
want(not m5['decrypted'] and 'no key' in m5['error'], m5['error'])
want(labels() == ['MM1','MM2','MM3','MM4','MM5','MM6','QM1','QM2','QM3','INFO','INFO'], labels())
want(all(e['negotiated'] is None for e in d['esp']), 'SPIs named without keys')"

# The key table as Wireshark's dialog shows it (quoted) or with blanks,
# with comments: the same decryption.
{
	echo "# comment"
	sed 's/^\([^,]*\),\(.*\)$/"\1","\2"/' "$CAP/strongswan.keys"
} >"$tmp/quoted.keys"
sed 's/,/  /' "$CAP/strongswan.keys" >"$tmp/blank.keys"
"$ESPTUN" decode "$CAP/$S" --keys "$tmp/quoted.keys" >"$tmp/q.txt" 2>&1
"$ESPTUN" decode "$CAP/$S" --keys "$tmp/blank.keys" >"$tmp/b.txt" 2>&1
if grep -q '^"' "$tmp/quoted.keys" && cmp -s "$tmp/q.txt" "$tmp/s.txt" &&
	cmp -s "$tmp/b.txt" "$tmp/s.txt"; then
	ok "key table: quoted, blank-separated and commented forms read alike"
else
	not_ok "key table: quoted, blank-separated and commented forms read alike" \
		"$(diff "$tmp/q.txt" "$tmp/s.txt" | head -5)"
fi

# A wrong key: no decryption pretends to work.
awk -F, '{ k = $2; c = substr(k, 1, 1); r = (c == "0") ? "1" : "0"; print $1 "," r substr(k, 2) }' \
	"$CAP/strongswan.keys" >"$tmp/wrong.keys"
dec $S --keys "$tmp/wrong.keys"
jcheck "wrong key: nothing decrypts, the error says so" "$tmp/$S.json" "
enc = [m for m in fresh() if m['encrypted']]
want(enc and not any(m['decrypted'] for m in enc), [m['label'] for m in enc if m['decrypted']])
want('wrong key' in first('MM5')['error'], first('MM5')['error'])"

# A capture that begins after MM1: MM2 still tells who is who.
if command -v editcap >/dev/null; then
	editcap "$CAP/$S" "$tmp/late.pcap" 1-2 2>/dev/null
	"$ESPTUN" -j decode "$tmp/late.pcap" >"$tmp/late.json" 2>&1
	jcheck "capture starting at MM2: roles still known" "$tmp/late.json" "
g = d['groups'][0]
want(g['roles_known'] and g['initiator'] == '192.0.2.1', (g['roles_known'], g['initiator']))
want(labels()[:3] == ['MM2', 'MM3', 'MM4'], labels())
want(first('MM2')['direction'] == 'responder', first('MM2')['direction'])"
else
	skip "capture starting at MM2: roles still known" "editcap (Wireshark) not installed"
fi

# Lost and repeated ESP: frames 24 and 26 (sequence 2 and 3 of cec577e0)
# cut out, then the whole capture twice in a row.
if command -v editcap >/dev/null && command -v mergecap >/dev/null; then
	editcap "$CAP/$S" "$tmp/gap.pcap" 24 26 2>/dev/null
	"$ESPTUN" -j decode "$tmp/gap.pcap" >"$tmp/gap.json" 2>&1
	jcheck "ESP summary: two lost packets are one gap of 2, the other SA whole" "$tmp/gap.json" "
e1, e2 = esp('cec577e0')[0], esp('eff04d9e')[0]
want((e1['packets'], e1['gaps'], e1['missing'], e1['last_seq']) == (2, 1, 2, 4), e1)
want((e2['packets'], e2['gaps'], e2['missing']) == (4, 0, 0), e2)"
	mergecap -a -w "$tmp/twice.pcap" "$CAP/$S" "$CAP/$S" 2>/dev/null
	"$ESPTUN" -j decode "$tmp/twice.pcap" >"$tmp/twice.json" 2>&1
	jcheck "ESP summary: a capture repeated counts each packet again as a duplicate" "$tmp/twice.json" "
for e in d['esp']:
    want((e['packets'], e['duplicates'], e['missing']) == (8, 4, 0), e)"
else
	skip "ESP summary: two lost packets are one gap of 2, the other SA whole" "editcap (Wireshark) not installed"
	skip "ESP summary: a capture repeated counts each packet again as a duplicate" "mergecap (Wireshark) not installed"
fi

# Aggressive Mode between charon and pluto.
dec aggressive.pcap
jcheck "aggressive: AM1-AM3 then Quick Mode, each from the right side" "$tmp/aggressive.pcap.json" "
g = d['groups'][0]
want(g['exchange'] == 'Aggressive Mode', g['exchange'])
want(labels(g)[:3] == ['AM1', 'AM2', 'AM3'], labels(g))
want([m['direction'] for m in fresh(g)][:3] == ['initiator', 'responder', 'initiator'], 'directions')
want(len(details(first('AM1'), 'ID')) == 1 and details(first('AM1'), 'KE'), 'AM1 carries KE and ID in the clear')
want('QM1' in labels(g), labels(g))"

# Both sides initiating at once: two Main Modes flagged as concurrent.
dec concurrent.pcap --keys "$CAP/concurrent.keys"
jcheck "concurrent: two Main Modes between the same hosts flagged" "$tmp/concurrent.pcap.json" "
mm = [g for g in d['groups'] if g['exchange'] == 'Main Mode']
want(len(mm) >= 2, 'Main Mode groups: %d' % len(mm))
inits = {g['initiator'] for g in mm}
want(inits == {'192.0.2.1', '192.0.2.2'}, inits)
for g in mm:
    want(g['concurrent_with'], g['icookie'] + ' not flagged')
    want('MM1' in labels(g), labels(g))"

# pluto initiating; Linux cooked capture (tcpdump -i any).
L=libreswan.pcap
dec $L --keys "$CAP/libreswan.keys"
jcheck "libreswan: pluto initiates, esptund responds; labels and roles" "$tmp/$L.json" "
g = [g for g in d['groups'] if g['exchange'] == 'Main Mode'][0]
want(g['initiator'] == '192.0.2.2' and g['roles_known'], g['initiator'])
l = labels(g)
want(l[:9] == ['MM1','MM2','MM3','MM4','MM5','MM6','QM1','QM2','QM3'], l)
want(first('QM1', g)['direction'] == 'initiator' and first('QM2', g)['direction'] == 'responder', 'QM directions')"

jcheck "libreswan: pluto's VIDs, GCM proposal, decrypted SPIs match ESP" "$tmp/$L.json" "
v = [x['name'] for x in details(first('MM1'), 'VID')]
want('RFC 3947 NAT-T' in v and 'Dead Peer Detection' in v, v)
q = details(first('QM1'), 'SA')[0]['proposals'][0]['transforms'][0]
want(q['id'] == 'AES-GCM-16' and q['attributes'].get('key-length') == '256', q)
for s in spis(first('QM1')) + spis(first('QM2')):
    want(esp(s), 'no ESP with SPI ' + s)
want(all(e['missing'] == 0 and e['packets'] >= 3 for e in d['esp']), d['esp'])"

# pluto announced itself there (send-vendorid): "OE-Libreswan-4.10", the
# version text after a fixed prefix, named with that version.
jcheck "vendor VIDs: pluto's own named Libreswan 4.10, in its MM1 only" "$tmp/$L.json" "
v1 = details(first('MM1'), 'VID')
want([x['name'] for x in v1 if x['name'].startswith('Libreswan')] == ['Libreswan 4.10'], [x['name'] for x in v1])
want(all(not x['name'].startswith('unknown') for x in v1), [(x['name'], x['hex']) for x in v1])
v2 = [x['name'] for x in details(first('MM2'), 'VID')]
want(not any(n.startswith('Libreswan') for n in v2), v2)"
"$ESPTUN" decode "$CAP/$L" >"$tmp/l.txt" 2>&1
if grep -q "^        VID: Libreswan 4\.10$" "$tmp/l.txt"; then
	ok "text: pluto's vendor ID as Libreswan 4.10"
else
	not_ok "text: pluto's vendor ID as Libreswan 4.10" "$(grep "VID:" "$tmp/l.txt")"
fi
# The version is the peer's text: a control character in it, nothing
# after the prefix, or more than 32 characters leave the VID unknown
# (hex), never printed raw.
python3 - "$CAP/$L" "$tmp/vid" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
vid = b"OE-Libreswan-4.10"
l2 = {113: 16, 276: 20}[struct.unpack("<I", d[20:24])[0]]
def with_vid(new, name):
    out, off = [d[:24]], 24
    while off + 16 <= len(d):
        ts, tu, cl, ol = struct.unpack("<IIII", d[off:off + 16])
        pkt = bytearray(d[off + 16:off + 16 + cl])
        off += 16 + cl
        at = pkt.find(vid)
        if at >= 0:
            # pluto's VID payload is the whole body: rewrite its length,
            # then the ISAKMP, UDP and IPv4 lengths around it.
            grow = len(new) - len(vid)
            assert struct.unpack(">H", pkt[at - 2:at])[0] == 4 + len(vid)
            pkt[at:at + len(vid)] = new
            struct.pack_into(">H", pkt, at - 2, 4 + len(new))
            ip = l2
            udp = ip + (pkt[ip] & 15) * 4
            for o, f in ((udp + 8 + 24, ">I"), (udp + 4, ">H"), (ip + 2, ">H")):
                struct.pack_into(f, pkt, o, struct.unpack_from(f, pkt, o)[0] + grow)
            cl, ol = len(pkt), ol + grow
        out.append(struct.pack("<IIII", ts, tu, cl, ol) + bytes(pkt))
    open(sys.argv[2] + "-" + name + ".pcap", "wb").write(b"".join(out))
with_vid(b"OE-Libreswan-4\n10", "ctl")
with_vid(b"OE-Libreswan-", "empty")
with_vid(b"OE-Libreswan-" + b"4" * 33, "long")
with_vid(b"OE-Libreswan-" + b"4" * 32, "longest")
PY
for f in ctl empty long longest; do
	"$ESPTUN" -j decode "$tmp/vid-$f.pcap" >"$tmp/vid-$f.json" 2>&1
done
for f in ctl empty long; do
	jcheck "vendor VIDs: Libreswan's prefix with a bad version ($f) is unknown" "$tmp/vid-$f.json" "
v = details(first('MM1'), 'VID')
want(len(v) == 7 and v[0]['hex'].startswith('4f452d4c696272657377616e2d'), [x['hex'] for x in v])
want(v[0]['name'] == 'unknown', v[0]['name'])"
done
jcheck "vendor VIDs: a version of 32 characters is still named" "$tmp/vid-longest.json" "
v = details(first('MM1'), 'VID')
want(v[0]['name'] == 'Libreswan ' + '4' * 32, v[0]['name'])"

jcheck "libreswan: pluto's Delete decrypted" "$tmp/$L.json" "
dl = [x['protocol'] for m in fresh() if m['label'] == 'INFO' for x in details(m, 'D')]
want('ESP' in dl and 'ISAKMP' in dl, dl)"

# The same capture with the cooked headers cut off: raw IP.
dec libreswan-rawip.pcap --keys "$CAP/libreswan.keys"
jcheck "raw IP capture: the same messages as the cooked one" "$tmp/libreswan-rawip.pcap.json" "
other = json.load(open('$tmp/$L.json'))
want(labels() == [m['label'] for g in other['groups'] for m in g['messages'] if m['retransmission_of'] is None], labels())
want(d['esp'] == other['esp'], 'esp differs')"

# charon and pluto with UDP encapsulation: ISAKMP behind the non-ESP
# marker on 4500, ESP in UDP.
dec natt.pcap
jcheck "NAT-T: ISAKMP on 4500 decoded, NAT-D and NAT-T VIDs, ESP in UDP" "$tmp/natt.pcap.json" "
want(any(4500 in (m['sport'], m['dport']) for m in msgs()), 'nothing on 4500')
want(labels()[:4] == ['MM1','MM2','MM3','MM4'], labels())
want(len(details(first('MM3'), 'NAT-D')) == 2, details(first('MM3'), 'NAT-D'))
v = [x['name'] for m in fresh() for x in details(m, 'VID')]
want('RFC 3947 NAT-T' in v, v)
want(d['esp'] and all(e['encapsulation'] == 'udp' for e in d['esp']), d['esp'])
want(first('MM5')['sport'] == 4500 or first('MM5')['dport'] == 4500, 'MM5 not on 4500')"

# charon announced itself there (send_vendor_id, cisco_unity): the VIDs
# vendors send about themselves, by name, in its MM1 only.
jcheck "vendor VIDs: strongSwan and Cisco Unity named in charon's MM1" "$tmp/natt.pcap.json" "
v1 = [x['name'] for x in details(first('MM1'), 'VID')]
want('strongSwan' in v1 and 'Cisco Unity' in v1, v1)
v2 = [x['name'] for x in details(first('MM2'), 'VID')]
want('strongSwan' not in v2 and 'Cisco Unity' not in v2, v2)
want(all(not x['name'].startswith('unknown') for x in details(first('MM1'), 'VID')), v1)"
jcheck "vendor VIDs: the same in charon's AM1" "$tmp/aggressive.pcap.json" "
v = [x['name'] for x in details(first('AM1'), 'VID')]
want('strongSwan' in v and 'Cisco Unity' in v, v)"

dec ipv6.pcap --keys "$CAP/ipv6.keys"
jcheck "IPv6: addresses, labels, decrypted Quick Mode" "$tmp/ipv6.pcap.json" "
g = d['groups'][0]
want(g['initiator'] == '2001:db8::1', g['initiator'])
want(labels(g)[:9] == ['MM1','MM2','MM3','MM4','MM5','MM6','QM1','QM2','QM3'], labels(g))
want(first('QM2')['decrypted'] and spis(first('QM2')), first('QM2')['error'])"

# ---- IKE fragments (payload 132) ----

# The strongSwan exchange with every message cut into pieces of 60
# bytes (one message's pieces reversed, one piece sent twice): the
# reassembled messages decode exactly as the whole ones did.
F=$tmp/frag.pcap
"$ESPTUN" -j decode "$CAP/$S" --keys "$CAP/strongswan.keys" >"$tmp/whole.json"
"$TOP/tools/tests/fragment-capture.py" "$CAP/$S" "$F" 60 >/dev/null &&
	"$ESPTUN" -j decode "$F" --keys "$CAP/strongswan.keys" >"$tmp/frag.json" 2>"$tmp/frag.err"
jcheck "IKE fragments: reassembled messages decode as the whole ones" "$tmp/frag.json" "
orig = json.load(open('$tmp/whole.json'))
want([m['decrypted'] for m in orig['groups'][0]['messages']
      if m['label'] == 'MM5'] == [True], 'the whole capture did not decrypt')
strip = ('frame', 'time', 'fragments', 'retransmission_of')
def whole(dd):
    return [{k: v for k, v in m.items() if k not in strip}
            for g in dd['groups'] for m in g['messages']
            if m['retransmission_of'] is None and
            not m['label'].startswith('fragment')]
a, b = whole(orig), whole(d)
want(len(a) == len(b), 'messages: %d whole, %d reassembled' % (len(a), len(b)))
for x, y in zip(a, b):
    want(x == y, 'differs: %s / %s' % (x, y))
want(orig['esp'] == d['esp'], 'ESP summary differs')
ms = [m for m in msgs() if m['retransmission_of'] is None]
rs = [m for m in ms if m['fragments']]
want(len(rs) >= 10 and all(m['fragments'] >= 2 for m in rs),
     'reassembled: %s' % [(m['label'], m['fragments']) for m in rs])
want(first('MM3')['fragments'] == 6, 'MM3 pieces %s' % first('MM3')['fragments'])
ps = [m for m in ms if m['label'].startswith('fragment')]
want(all(m['payloads'] == ['FRAG'] and m['error'] is None and
         m['exchange'] == 'Main Mode' and m['msgid'] == '0' * 8 for m in ps),
     [m for m in ps if m['error'] or m['payloads'] != ['FRAG']][:2])
# Pieces in reverse order (ID 2): the message still comes out whole.
want(first('MM2')['fragments'] == 2, 'MM2 from reversed pieces')
want([m['fragment']['number'] for m in ps if m['fragment']['id'] == 2] == [2, 1],
     'ID 2 order')"

# Broken pieces: a second last piece, one past the last, a bad length.
python3 - "$F" "$tmp/frag-bad.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
out, off, n = [d[:24]], 24, 0
while off + 16 <= len(d):
    ts, tu, cl, ol = struct.unpack("<IIII", d[off:off + 16])
    pkt = bytearray(d[off + 16:off + 16 + cl])
    off += 16 + cl
    isa = 14 + 20 + 8
    if len(pkt) > isa + 36 and pkt[isa + 16] == 132:
        fid, num = struct.unpack(">HB", pkt[isa + 32:isa + 35])
        if fid == 2 and num == 1:
            pkt[isa + 35] = 1          # ID 2: 2 (last) came first, 1 too
        if fid == 4 and num == 6:
            continue                   # ID 4: the real last piece lost,
        if fid == 4 and num == 5:
            pkt[isa + 35] = 1          # piece 5 says last; 6 never came
        if fid == 5 and num == 1:
            pkt[isa + 31] ^= 0x40      # ID 5: payload length wrong
        if fid == 3 and num == 1:
            # ID 99: one last piece carrying this piece whole.
            inner = bytes(pkt[isa:])
            body = struct.pack(">BBHHBB", 0, 0, 8 + len(inner), 99, 1, 1) + inner
            w = bytearray(pkt[:isa + 28]) + body
            struct.pack_into(">I", w, isa + 24, 28 + len(body))
            struct.pack_into(">H", w, 14 + 2, len(w) - 14)
            struct.pack_into(">H", w, 14 + 20 + 4, len(w) - 14 - 20)
            out.append(struct.pack("<IIII", ts, tu, len(w), len(w)) + bytes(w))
    out.append(struct.pack("<IIII", ts, tu, len(pkt), len(pkt)) + bytes(pkt))
open(sys.argv[2], "wb").write(b"".join(out))
PY
"$ESPTUN" -j decode "$tmp/frag-bad.pcap" >"$tmp/frag-bad.json" 2>"$tmp/frag-bad.err"
rc=$?
jcheck "IKE fragments: broken pieces named, their message not made up" "$tmp/frag-bad.json" "
want($rc == 0, 'exit $rc')
ls = labels()
want('MM2' not in ls, 'MM2 made of two last pieces: %s' % ls)
errs = [m['error'] for m in msgs() if m['label'].startswith('fragment') and m['error']]
want(any('second last piece' in e for e in errs), errs)
want(any('malformed fragment payload' in e for e in errs), errs)
want([m['fragments'] for m in fresh() if m['label'] == 'MM4'] in ([], [5]), 'MM4')
want('MM1' in ls and 'MM3' in ls, 'the intact messages: %s' % ls)
want(any('ID 99 carry a fragment' in e for e in errs), errs)"

# ---- broken input: a clear error, never a crash ----

# expect_error NAME PATTERN ARGS...: exit 1 (not a signal), PATTERN on stderr.
expect_error() {
	local name=$1 pat=$2 rc
	shift 2
	"$ESPTUN" decode "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 1 ] && grep -q "$pat" "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc" "$(head -3 "$tmp/err")"
	fi
}

head -c 3000 /dev/urandom >"$tmp/random.pcap"
expect_error "random bytes: not a capture" "not a readable pcap or pcapng capture" "$tmp/random.pcap"
: >"$tmp/empty.pcap"
expect_error "empty file: not a capture" "not a readable pcap" "$tmp/empty.pcap"
expect_error "missing file" "No such file" "$tmp/nonexistent.pcap"
# Cut in the middle of a record: what came before is still decoded.
head -c 2500 "$CAP/$S" >"$tmp/cut.pcap"
expect_error "truncated capture: error after what could be read" "cut short after frame" "$tmp/cut.pcap"
if grep -q "MM1  initiator" "$tmp/out"; then
	ok "truncated capture: the frames before the cut are decoded"
else
	not_ok "truncated capture: the frames before the cut are decoded" "$(head -5 "$tmp/out")"
fi
# The pcap header of a link type we do not read (IEEE 802.11, 105).
python3 - "$tmp/wifi.pcap" <<'PY'
import struct, sys
open(sys.argv[1], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105))
PY
expect_error "unsupported link type named" "link type .* is not supported" "$tmp/wifi.pcap"
printf '# keys\n0123,00112233445566778899aabbccddeeff\n' >"$tmp/bad.keys"
expect_error "key table: a short cookie, with file:line" "bad.keys:2: the initiator cookie must be 16 hex digits" \
	"$CAP/$S" --keys "$tmp/bad.keys"
printf '0123456789abcdef,00112233 trailing\n' >"$tmp/bad.keys"
expect_error "key table: a line that is no table line, with file:line" "bad.keys:1: expected COOKIE,KEY" \
	"$CAP/$S" --keys "$tmp/bad.keys"

# Every ISAKMP datagram of the capture cut at every length, and one IPv4
# fragment of an MM1: frames whose ISAKMP length disagrees with the
# datagram, or that are fragments, are listed as not decoded.
python3 - "$CAP/$S" "$tmp/mangled.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
out = [data[:24]]
off, n = 24, 0
while off + 16 <= len(data):
    ts, tu, cap, ln = struct.unpack("<IIII", data[off:off + 16])
    pkt = data[off + 16:off + 16 + cap]
    off += 16 + cap
    n += 1
    if n > 3:
        break
    for cut in range(14 + 20 + 8, len(pkt), 7):
        p = pkt[:cut]
        out.append(struct.pack("<IIII", ts, tu, len(p), len(pkt)) + p)
    # The same frame as a first IPv4 fragment (MF set).
    f = bytearray(pkt)
    f[14 + 6] |= 0x20
    out.append(struct.pack("<IIII", ts, tu, len(f), len(f)) + bytes(f))
open(sys.argv[2], "wb").write(b"".join(out))
PY
"$ESPTUN" decode "$tmp/mangled.pcap" >"$tmp/mangled.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "capture holds" "$tmp/mangled.out" &&
	grep -q "fragments are not reassembled" "$tmp/mangled.out" &&
	grep -q "does not reassemble fragments" "$tmp/mangled.out"; then
	ok "cut datagrams and an IP fragment: listed as not decoded, no crash"
else
	not_ok "cut datagrams and an IP fragment: listed as not decoded, no crash" "exit $rc" "$(tail -5 "$tmp/mangled.out")"
fi

# Usage errors.
"$ESPTUN" decode >/dev/null 2>"$tmp/err"
if [ $? = 2 ] && grep -q "missing capture file" "$tmp/err"; then
	ok "usage: decode without a file"
else
	not_ok "usage: decode without a file" "$(cat "$tmp/err")"
fi

echo "1..$n"
exit "$failed"
