#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Cuts every ISAKMP message of a classic pcap (Ethernet, IPv4) into IKE
fragment messages (payload 132), as a peer with fragmentation on sends
them: the original header with next payload FRAG, no E flag, its own
length; one ID per distinct message (a retransmission repeats its
pieces); Quick Mode and informational pieces say Main Mode with
Message ID 0 outside. The pieces of the second cut message go out in
reverse order and one piece of the third is sent twice, so a decoder
must reassemble, not concatenate.

    tools/tests/fragment-capture.py IN.pcap OUT.pcap PIECE_BYTES
"""
import struct
import sys

ISAKMP_HDR = 28


def records(d):
    e = '<' if d[:4] == b'\xd4\xc3\xb2\xa1' else '>'
    off = 24
    while off + 16 <= len(d):
        ts, tu, cl, ol = struct.unpack(e + 'IIII', d[off:off + 16])
        yield e, (ts, tu), d[off + 16:off + 16 + cl]
        off += 16 + cl


def cksum(b):
    s = sum(struct.unpack('>%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def reframe(frame, ip_off, ihl, new_udp_payload):
    """The frame with its UDP payload replaced, lengths and IP sum fixed."""
    ip = bytearray(frame[ip_off:ip_off + ihl])
    udp = bytearray(frame[ip_off + ihl:ip_off + ihl + 8])
    struct.pack_into('>H', udp, 4, 8 + len(new_udp_payload))
    struct.pack_into('>H', udp, 6, 0)          # no UDP checksum (IPv4)
    struct.pack_into('>H', ip, 2, ihl + 8 + len(new_udp_payload))
    struct.pack_into('>H', ip, 10, 0)
    struct.pack_into('>H', ip, 10, cksum(bytes(ip)))
    return frame[:ip_off] + bytes(ip) + bytes(udp) + new_udp_payload


def cut(msg, fid, size):
    hdr = bytearray(msg[:ISAKMP_HDR])
    hdr[16] = 132                              # next payload: FRAG
    if hdr[18] not in (2, 4):                  # ID_PROT outside QM/INFO
        hdr[18] = 2
    if hdr[18] != msg[18]:
        hdr[20:24] = b'\0\0\0\0'
    hdr[19] &= ~1                              # no E flag
    pieces = []
    chunks = [msg[i:i + size] for i in range(0, len(msg), size)]
    for n, c in enumerate(chunks, 1):
        last = n == len(chunks)
        body = struct.pack('>BBHHBB', 0, 0, 8 + len(c), fid, n,
                           1 if last else 0) + c
        h = bytearray(hdr)
        struct.pack_into('>I', h, 24, ISAKMP_HDR + len(body))
        pieces.append(bytes(h) + body)
    return pieces


def main():
    src, dst, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    d = open(src, 'rb').read()
    out = bytearray(d[:24])
    ids, ncut = {}, 0
    for e, (ts, tu), frame in records(d):
        ip_off = 14
        ip = frame[ip_off:]
        new = [frame]
        if len(ip) >= 20 and ip[0] >> 4 == 4 and ip[9] == 17:
            ihl = (ip[0] & 15) * 4
            sport, dport = struct.unpack('>HH', ip[ihl:ihl + 4])
            pl = ip[ihl + 8:]
            marker = b''
            if 4500 in (sport, dport) and pl[:4] == b'\0\0\0\0':
                marker, pl = pl[:4], pl[4:]
            elif 500 not in (sport, dport):
                pl = b''
            if len(pl) >= ISAKMP_HDR and pl[17] >> 4 == 1 and \
                    len(pl) > size:
                key = bytes(pl)
                if key not in ids:
                    ids[key] = len(ids) + 1
                    ncut += 1
                pieces = cut(pl, ids[key], size)
                if ids[key] == 2:
                    pieces.reverse()
                if ids[key] == 3:
                    pieces.insert(1, pieces[0])
                new = [reframe(frame, ip_off, ihl, marker + p)
                       for p in pieces]
        for f in new:
            out += struct.pack(e + 'IIII', ts, tu, len(f), len(f)) + f
    open(dst, 'wb').write(out)
    print(ncut)


if __name__ == '__main__':
    main()
