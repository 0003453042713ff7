#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seeds for fuzz_exchange from the committed captures of strongSwan and
libreswan exchanges (tools/tests/captures/*.pcap): each distinct ISAKMP
datagram, prefixed with the stage it belongs to (its place in Main Mode,
Aggressive Mode or Quick Mode; Informational ones once established) and
the flags that splice the genuine cookies and Message ID into it, so the
peers' own payload layouts reach the engine's state machines.

    tools/tests/capture-seeds.py OUTDIR
"""
import glob
import os
import struct
import sys

FL_COOKIES, FL_MSGID = 1, 2
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def frames(path):
    d = open(path, 'rb').read()
    if d[:4] not in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4'):
        return                          # pcapng: the .pcap twin is read
    e = '<' if d[:4] == b'\xd4\xc3\xb2\xa1' else '>'
    off = 24
    while off + 16 <= len(d):
        cl = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
        yield d[off + 16:off + 16 + cl]
        off += 16 + cl


def isakmp(frame):
    """The ISAKMP message of an IPv4 or IPv6 UDP frame, or None."""
    for i in (0, 4, 14, 16, 20):
        ip = frame[i:]
        if len(ip) >= 20 and ip[0] >> 4 == 4 and ip[9] == 17:
            udp = ip[(ip[0] & 15) * 4:]
            break
        if len(ip) >= 40 and ip[0] >> 4 == 6 and ip[6] == 17:
            udp = ip[40:]
            break
    else:
        return None
    sport, dport = struct.unpack('>HH', udp[:4])
    pl = udp[8:]
    if 4500 in (sport, dport):
        if pl[:4] != b'\0\0\0\0':
            return None
        pl = pl[4:]
    elif 500 not in (sport, dport):
        return None
    return pl if len(pl) >= 28 else None


def main():
    out = sys.argv[1]
    for path in sorted(glob.glob(os.path.join(TOP, 'tools/tests/captures/*.pcap'))):
        name = os.path.basename(path)[:-5]
        seen, count, aggressive = set(), {}, set()
        for f in frames(path):
            m = isakmp(f)
            if m is None or m in seen:
                continue
            seen.add(m)
            exch = m[18]
            key = (m[:8], exch, m[20:24])
            nth = count.get(key, 0)
            count[key] = nth + 1
            if exch == 2:               # Main Mode: MM1..MM6
                stage = min(nth, 5) << 1
            elif exch == 4:             # Aggressive Mode: AM1..AM3
                aggressive.add(m[:8])
                stage = min(nth, 2) << 1 | 1
            elif exch == 32 and m[:8] in aggressive:    # after AM3
                stage = (3 + min(nth, 2)) << 1 | 1
            elif exch == 32:            # Quick Mode after MM6
                stage = (6 + min(nth, 2)) << 1
            else:                       # Informational, once established
                stage = 9 << 1
            seed = bytes([stage, FL_COOKIES | FL_MSGID]) + \
                struct.pack('>H', len(m)) + m
            with open(os.path.join(out, 'capture-%s-%03d' % (name, len(seen))),
                      'wb') as s:
                s.write(seed)


main()
