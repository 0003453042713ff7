#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What SA lifetimes do to the control plane under real traffic (the limits
# of every kind and their reasons are lifetime.sh's):
#  - packet limits on an outbound SA: one soft-expire, one hard-expire,
#    exactly the limit's packets reach the peer, then the SA is gone and
#    the next packet raises an acquire;
#  - byte limits on an inbound SA (inner bytes): the same, but the packet
#    that would go past the hard limit is dropped; then ESP for the
#    deleted SPI counts as unknown and raises an unknown-spi event;
#  - a byte limit on an outbound SA: the packet that would take it past
#    the hard limit is not sent;
#  - an outbound SA out of sequence numbers stops (hard-expired, one
#    event) but stays listed, and traffic finds no SA;
#  - acquire events are rate-limited per device.
#
#   lt-a: t0 10.9.0.1 --- veth 10.0.0.1 <-> 10.0.0.2 --- lt-b: t0 10.9.0.2
source "$(dirname "$0")/lib.sh"

A=lt-a
B=lt-b
T=$(mktemp -d)
cleanup_add cp -r "$T/." "$TEST_OUT/"
KEY=0x0102030405060708090a0b0c0d0e0f1011121314
# An ICMP echo of ping's default size: 20 + 8 + 56 inner bytes.
ECHO=84

sa() {	# NS DIR SPI [ARGS...]
	local n=$1 dir=$2 spi=$3
	shift 3
	ip netns exec "$n" "$ESPTUN" sa add t0 dir "$dir" spi "$spi" \
		aead 'rfc4106(gcm(aes))' "$KEY" 128 \
		sel src 10.9.0.0/24 dst 10.9.0.0/24 "$@"
}

# events NAME FILE PYTHON-ASSERTS: the asserts, with ev = the JSON lines
# of FILE as it is now, run at the end (check_events) with all others in
# one python3: each start of it costs seconds in an emulated guest.
_nchk=0
events() {
	_nchk=$((_nchk + 1))
	cp "$2" "$T/chk$_nchk.json"
	printf '%s\n' "$3" >"$T/chk$_nchk.py"
	printf '%s\t%s\t%s\n' "$1" "$T/chk$_nchk.json" "$T/chk$_nchk.py" >>"$T/checks"
}

check_events() {
	local verdict name detail
	while IFS=$'\t' read -r verdict name detail; do
		if [ "$verdict" = ok ]; then
			ktap_ok "$name"
		else
			ktap_fail "$name" "$detail"
		fi
	done < <("${PY3[@]}" -c '
import json, sys
for line in open(sys.argv[1]):
    name, data, code = line.rstrip("\n").split("\t")
    ev = [json.loads(l) for l in open(data) if l.strip()]
    try:
        exec(open(code).read(), {"ev": ev, "json": json})
        print("ok\t" + name)
    except Exception as e:
        why = (type(e).__name__ + ": " + str(e))[:400].replace("\n", " ")
        print("fail\t" + name + "\t" + why)
' "$T/checks")
}

# wait_event FILE WORD: until the monitor wrote WORD (at most 5 s).
wait_event() {
	wait_for -t 5 grep -q "$2" "$1"
}

received() {	# ping output -> packets received
	sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1"
}

ktap_plan 16
dmesg_mark
module_load || exit 1
netns_new $A
netns_new $B
veth_pair $A v0 $B v0
ns $A ip addr add 10.0.0.1/24 dev v0
ns $B ip addr add 10.0.0.2/24 dev v0
for n in $A $B; do
	ns $n ip link add t0 type esptun
	# No IPv6 on the tunnel: router and listener reports would use SAs.
	ns $n sysctl -qw net.ipv6.conf.t0.disable_ipv6=1
	ns $n ip link set t0 up
done
ns $A ip addr add 10.9.0.1/32 dev t0
ns $A ip route add 10.9.0.0/24 dev t0
ns $B ip addr add 10.9.0.2/32 dev t0
ns $B ip route add 10.9.0.0/24 dev t0
ns $A "$ESPTUN" set t0 local 10.0.0.1 remote 10.0.0.2
ns $B "$ESPTUN" set t0 local 10.0.0.2 remote 10.0.0.1

monitor_start $A "$T/a.json" -j
monitor_start $B "$T/b.json" -j

# --- packet limits, outbound ------------------------------------------------

sa $A out 0x100 lifetime soft packets 3 lifetime hard packets 5
sa $B in 0x100
sa $B out 0x200
sa $A in 0x200
# The first SA under emulation loads and tests its crypto: warm up first.
ns $A ping -c 1 -W 10 10.9.0.2 >/dev/null
ns $A ping -c 7 -i 0.2 -W 1 10.9.0.2 >"$T/ping1" 2>&1
wait_event "$T/a.json" hard-expire
wait_event "$T/a.json" acquire

if [ "$(received "$T/ping1")" = 4 ]; then
	ktap_ok "packet limit 5: the warm-up and 4 more pings get through"
else
	ktap_fail "packet limit 5: the warm-up and 4 more pings get through" "$(cat "$T/ping1")"
fi
events "soft then hard expiry on packets, once each" "$T/a.json" "
soft = [e for e in ev if e['event'] == 'soft-expire']
hard = [e for e in ev if e['event'] == 'hard-expire']
assert len(soft) == 1 and len(hard) == 1, ev
assert soft[0]['spi'] == 0x100 and soft[0]['dir'] == 'out', soft
assert soft[0]['reason'] == 'packets' and hard[0]['reason'] == 'packets', ev
assert ev.index(soft[0]) < ev.index(hard[0]), ev"
events "an acquire after the hard expiry" "$T/a.json" "
acq = [i for i, e in enumerate(ev) if e['event'] == 'acquire']
hard = [i for i, e in enumerate(ev) if e['event'] == 'hard-expire']
assert acq and hard and acq[0] > hard[0], ev
assert ev[acq[0]]['ifname'] == 't0', ev[acq[0]]"
ns $A "$ESPTUN" -j show t0 >"$T/a-show.json"
events "the expired outbound SA is deleted" "$T/a-show.json" "
d = ev[0]
assert [s['spi'] for s in d[0]['sas'] if s['dir'] == 'out'] == [], d
assert d[0]['stats']['no_sa'] >= 1, d"
ns $B "$ESPTUN" -j show t0 >"$T/b-show.json"
events "the peer received exactly 5 packets on it" "$T/b-show.json" "
d = ev[0]
s = [s for s in d[0]['sas'] if s['spi'] == 0x100][0]
assert s['stats']['packets'] == 5, s
assert s['stats']['bytes'] == 5 * $ECHO, s"

# --- byte limits, inbound ---------------------------------------------------

ns $A "$ESPTUN" sa flush
ns $B "$ESPTUN" sa flush
sa $A out 0x300
sa $B in 0x300 lifetime soft bytes $((4 * ECHO)) lifetime hard bytes $((8 * ECHO - 1))
sa $B out 0x400
sa $A in 0x400
ns $A ping -c 10 -i 0.3 -W 1 10.9.0.2 >"$T/ping2" 2>&1
wait_event "$T/b.json" unknown-spi

# The 8th echo request would take the SA one byte past its hard limit:
# it is dropped, not delivered.
if [ "$(received "$T/ping2")" = 7 ]; then
	ktap_ok "byte limit: 7 pings answered, the one past the limit dropped"
else
	ktap_fail "byte limit: 7 pings answered, the one past the limit dropped" \
		"$(cat "$T/ping2")"
fi
events "soft then hard expiry on bytes, inbound" "$T/b.json" "
soft = [e for e in ev if e['event'] == 'soft-expire' and e['spi'] == 0x300]
hard = [e for e in ev if e['event'] == 'hard-expire' and e['spi'] == 0x300]
assert len(soft) == 1 and len(hard) == 1, ev
assert soft[0]['reason'] == 'bytes' and hard[0]['reason'] == 'bytes', ev
assert soft[0]['dir'] == 'in' and hard[0]['dir'] == 'in', ev"
events "unknown-spi event for the deleted SPI, once per second" "$T/b.json" "
u = [e for e in ev if e['event'] == 'unknown-spi']
assert len(u) >= 1 and u[0]['spi'] == 0x300, ev
assert len(u) <= 2, u"
ns $B "$ESPTUN" -j show t0 >"$T/b-show2.json"
events "unknown SPI counted, inbound SA deleted" "$T/b-show2.json" "
d = ev[0][0]
assert d['stats']['unknown_spi'] >= 2, d
assert [s for s in d['sas'] if s['spi'] == 0x300] == [], d"

# --- byte limit, outbound ----------------------------------------------------

ns $A "$ESPTUN" sa flush
ns $B "$ESPTUN" sa flush
sa $A out 0x500 lifetime hard bytes $((3 * ECHO - 1))
sa $B in 0x500
sa $B out 0x600
sa $A in 0x600
ns $A ping -c 5 -i 0.3 -W 1 10.9.0.2 >"$T/ping3" 2>&1
wait_event "$T/a.json" '"spi":1280'
# The 3rd echo request would take the SA one byte past its hard limit:
# it is not sent.
if [ "$(received "$T/ping3")" = 2 ]; then
	ktap_ok "outbound byte limit: 2 pings answered, the one past the limit not sent"
else
	ktap_fail "outbound byte limit: 2 pings answered, the one past the limit not sent" \
		"$(cat "$T/ping3")"
fi
ns $B "$ESPTUN" -j show t0 >"$T/b-show3.json"
events "the peer received 2 packets on the outbound-limited SA" "$T/b-show3.json" "
s = [s for s in ev[0][0]['sas'] if s['spi'] == 0x500][0]
assert s['stats']['packets'] == 2 and s['stats']['bytes'] == 2 * $ECHO, s"

# --- sequence numbers exhausted ---------------------------------------------

ns $A "$ESPTUN" sa flush
ns $B "$ESPTUN" sa flush
sa $A out 0x700 oseq 0xfffffffe
sa $B in 0x700
sa $B out 0x800
sa $A in 0x800
ns $A ping -c 3 -i 0.3 -W 1 10.9.0.2 >"$T/ping4" 2>&1
wait_event "$T/a.json" seq-exhausted
if [ "$(received "$T/ping4")" = 1 ]; then
	ktap_ok "the last sequence number is used, then nothing goes out"
else
	ktap_fail "the last sequence number is used, then nothing goes out" "$(cat "$T/ping4")"
fi
ns $A "$ESPTUN" -j show t0 >"$T/a-show5.json"
events "exhausted SA stays, stopped, with its drops counted" "$T/a-show5.json" "
s = [s for s in ev[0][0]['sas'] if s['spi'] == 0x700][0]
assert s['state'] == 'hard-expired', s
assert s['oseq'] >= 0xffffffff and s['stats']['packets'] == 1, s
assert s['stats']['seq_exhausted'] == 1, s"
events "one hard-expire event, reason seq-exhausted" "$T/a.json" "
e = [e for e in ev if e.get('spi') == 0x700]
assert [x['event'] for x in e] == ['hard-expire'], e
assert e[0]['reason'] == 'seq-exhausted', e"

# --- acquire: at most one per device and second ------------------------------

ns $A "$ESPTUN" sa flush
sleep 1.1
n0=$(grep -c '"event":"acquire"' "$T/a.json")
ns $A ping -c 5 -i 0.1 -W 1 10.9.0.2 >/dev/null 2>&1
sleep 1.1
ns $A ping -c 1 -W 1 10.9.0.2 >/dev/null 2>&1
wait_for -t 5 sh -c "[ \$(grep -c '\"event\":\"acquire\"' '$T/a.json') -ge $((n0 + 2)) ]"
n1=$(grep -c '"event":"acquire"' "$T/a.json")
if [ $((n1 - n0)) -eq 2 ]; then
	ktap_ok "acquire rate-limited: 5 packets in 0.5 s raise one, a second later another"
else
	ktap_fail "acquire rate-limited: 5 packets in 0.5 s raise one, a second later another" \
		"$((n1 - n0)) acquire events"
fi

check_events
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
