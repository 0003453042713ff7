#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send ESP packets taken from a capture, or made up, and ICMP errors about
them, for the replay and path MTU tests.

  esp_inject.py replay PCAP SPI ORDER [MUTATION] [from SRC] [sport PORT]
      Sends the ESP packets of SPI from PCAP again, in ORDER (comma
      separated indexes into that SPI's packets, in capture order).
      MUTATION changes each packet first:
        flip-spi, flip-seq, flip-iv, flip-data, flip-icv   one bit flipped
        truncate:N     only the first N bytes of ESP
      from SRC sends from another local address than the captured one,
      sport PORT ESP in UDP from another port than 4500 (a peer that
      moved, a NAT mapping that changed).
  esp_inject.py craft SRC DST SPI SEQ LEN [udp]
      Sends an ESP packet with LEN random bytes after SPI and SEQ (LEN -1:
      an empty IP payload), raw or in UDP 4500 -> 4500; the kernel
      fragments what exceeds the MTU.
  esp_inject.py seal SRC DST SPI SEQ KEY HOW [udp]
      Sends an ESP packet that passes the ICV check, sealed with KEY (the
      SA's rfc4106(gcm(aes)) key, 0x and hex, salt last) around an echo
      request 192.168.1.1 -> 192.168.2.1 made wrong as HOW says:
        ok               nothing wrong
        size:N           an echo request of N bytes in all, nothing wrong
        tfc              16 bytes of TFC padding after the packet
        pad-long         pad length larger than the payload
        pad-bytes        pad bytes not 1, 2, 3, ...
        nh:N             next header N instead of 4
        len-over         IPv4 total length 100 bytes more than carried
        len-under        IPv4 total length shorter than its header
        ihl              IPv4 header length 4 words
        v6-in-4          an IPv6 header behind next header 4
        v6-short         next header 41 and 20 bytes
        empty            no packet, next header 4
  esp_inject.py flood SRC DST N [udp]
      Sends N ESP packets of N different SPIs nobody holds.
  esp_inject.py marker SRC DST
      Sends a UDP 4500 packet with the non-ESP marker (IKE) and a keepalive.
  esp_inject.py icmp-err TO QSRC QDST SPI MTU [udp] [unreach] [quote:N]
      Sends TO an ICMP "fragmentation needed" (ICMPv6 "packet too big")
      with next-hop MTU, quoting an ESP packet QSRC -> QDST of SPI, as a
      router on the path would. udp quotes ESP in UDP 4500 -> 4500;
      unreach makes it "host unreachable" (ICMPv6 "address unreachable"),
      MTU in the otherwise unused field; quote:N keeps only N bytes after
      the quoted IP header.
  esp_inject.py listen PORT FILE
      Holds a UDP_ENCAP_ESPINUDP socket on PORT (IPv4) and writes each
      datagram that reaches it (not ESP: IKE behind the non-ESP marker)
      as a hex line to FILE.
  esp_inject.py count PCAP SPI
      Prints how many ESP packets of SPI the capture holds.
  esp_inject.py echo WORD...
      Prints WORD... on stdout: after the commands before it have run.
  esp_inject.py -
      Reads one of the commands above per line from stdin, each run as
      soon as it comes.

Plain sockets, no packet library: an interpreter that starts fast under
emulation. Packets leave through the namespace's routing, so the test runs
this with "ip netns exec"; the kernel builds the outer IP header.
"""
import os
import shlex
import socket
import struct
import sys

IV = 8          # the test's SAs use rfc4106(gcm(aes)): 8-byte IV
IP_MTU_DISCOVER = 10
IP_PMTUDISC_DONT = 0
IPV6_CHECKSUM = 7
UDP_ENCAP = 100
UDP_ENCAP_ESPINUDP = 2


def pcap_packets(path):
    """(src, dst, udp, esp) of every ESP or ESP-in-UDP packet (Ethernet)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    out = []
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "IIII", data[off:off + 16])[2]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        etype = struct.unpack("!H", frame[12:14])[0]
        l3 = frame[14:]
        if etype == 0x0800:
            ihl = (l3[0] & 15) * 4
            proto = l3[9]
            src, dst = socket.inet_ntop(socket.AF_INET, l3[12:16]), \
                socket.inet_ntop(socket.AF_INET, l3[16:20])
            tot = struct.unpack("!H", l3[2:4])[0]
            payload = l3[ihl:tot]
        elif etype == 0x86DD:
            proto = l3[6]
            src, dst = socket.inet_ntop(socket.AF_INET6, l3[8:24]), \
                socket.inet_ntop(socket.AF_INET6, l3[24:40])
            payload = l3[40:40 + struct.unpack("!H", l3[4:6])[0]]
        else:
            continue
        if proto == 50:
            out.append((src, dst, False, payload))
        elif proto == 17 and struct.unpack("!H", payload[2:4])[0] == 4500:
            out.append((src, dst, True, payload[8:]))
    return out


def packets(path, spi):
    return [p for p in pcap_packets(path)
            if len(p[3]) >= 8 and struct.unpack("!I", p[3][:4])[0] == spi]


def flip(esp, off):
    b = bytearray(esp)
    b[off] ^= 0x01
    return bytes(b)


def mutate(esp, how):
    if how == "flip-spi":
        return flip(esp, 3)
    if how == "flip-seq":
        return flip(esp, 4)
    if how == "flip-iv":
        return flip(esp, 8)
    if how == "flip-data":
        return flip(esp, 8 + IV + 1)
    if how == "flip-icv":
        return flip(esp, len(esp) - 1)
    if how.startswith("truncate:"):
        return esp[: int(how.split(":")[1])]
    raise SystemExit("unknown mutation " + how)


def send(src, dst, udp, payload, sport=4500):
    v6 = ":" in dst
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_RAW,
                      socket.IPPROTO_UDP if udp else 50)
    try:
        s.bind((src, 0))
        if v6:
            if udp:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_CHECKSUM, 6)
        else:
            s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER,
                         IP_PMTUDISC_DONT)
        if udp:
            # RFC 3948: checksum 0 over IPv4; the kernel fills it for IPv6.
            payload = struct.pack("!HHHH", sport, 4500, 8 + len(payload),
                                  0) + payload
        s.sendto(payload, (dst, 0))
    finally:
        s.close()


def inet_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def icmp_err(to, qsrc, qdst, spi, mtu, opts=()):
    udp = "udp" in opts
    unreach = "unreach" in opts
    quote = struct.pack("!II", spi, 1)
    if udp:
        quote = struct.pack("!HHHH", 4500, 4500, 1380, 0) + quote
    for o in opts:
        if o.startswith("quote:"):
            quote = quote[:int(o[6:])]
        elif o not in ("udp", "unreach"):
            raise SystemExit("unknown icmp-err option " + o)
    proto = 17 if udp else 50
    if ":" in to:
        quoted = struct.pack("!IHBB", 6 << 28, 1400, proto, 64) + \
            socket.inet_pton(socket.AF_INET6, qsrc) + \
            socket.inet_pton(socket.AF_INET6, qdst) + quote
        # The kernel fills in the checksum of ICMPv6 raw sockets.
        msg = struct.pack("!BBHI", 1 if unreach else 2, 3 if unreach else 0,
                          0, mtu) + quoted
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                          socket.IPPROTO_ICMPV6)
    else:
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1400, 1, 0x4000, 64,
                          proto, 0, socket.inet_aton(qsrc),
                          socket.inet_aton(qdst))
        iph = iph[:10] + struct.pack("!H", inet_sum(iph)) + iph[12:]
        msg = struct.pack("!BBHHH", 3, 1 if unreach else 4, 0, 0, mtu) + \
            iph + quote
        msg = msg[:2] + struct.pack("!H", inet_sum(msg)) + msg[4:]
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_ICMP)
    try:
        s.sendto(msg, (to, 0))
    finally:
        s.close()


def echo4(size):
    """An IPv4 echo request 192.168.1.1 -> 192.168.2.1, SIZE bytes."""
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + \
        os.urandom(size - 28)
    icmp = icmp[:2] + struct.pack("!H", inet_sum(icmp)) + icmp[4:]
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, size, 1, 0, 64, 1, 0,
                      socket.inet_aton("192.168.1.1"),
                      socket.inet_aton("192.168.2.1"))
    iph = iph[:10] + struct.pack("!H", inet_sum(iph)) + iph[12:]
    return iph + icmp


def set_tot_len(pkt, tot):
    return pkt[:2] + struct.pack("!H", tot) + pkt[4:]


def plaintext(how):
    """The ESP payload, padding, pad length and next header HOW asks for."""
    nh, tfc, inner = 4, b"", echo4(84)
    if how.startswith("size:"):
        inner = echo4(int(how[5:]))
    elif how == "tfc":
        tfc = bytes(16)
    elif how.startswith("nh:"):
        nh = int(how[3:])
    elif how == "len-over":
        inner = set_tot_len(inner, len(inner) + 100)
    elif how == "len-under":
        inner = set_tot_len(inner, 12)
    elif how == "ihl":
        inner = bytes([0x44]) + inner[1:]
    elif how == "v6-in-4":
        inner = bytes([0x60]) + inner[1:]
    elif how == "v6-short":
        nh = 41
        inner = bytes([0x60]) + inner[1:20]
    elif how == "empty":
        inner = b""
    elif how not in ("ok", "pad-long", "pad-bytes"):
        raise SystemExit("unknown seal " + how)
    body = inner + tfc
    padlen = -(len(body) + 2) % 4 or 4
    pad = bytes(range(1, padlen + 1))
    if how == "pad-bytes":
        pad = bytes(padlen)
    if how == "pad-long":
        padlen = 255
    return body + pad + bytes([padlen, nh])


def seal(spi, seq, key, how):
    # Imported here: the other commands start faster without it.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = bytes.fromhex(key[2:] if key.startswith("0x") else key)
    iv = os.urandom(IV)
    hdr = struct.pack("!II", spi, seq)
    return hdr + iv + AESGCM(key[:-4]).encrypt(key[-4:] + iv,
                                               plaintext(how), hdr)


def listen(port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    with open(path, "a") as f:
        print("listening", file=f, flush=True)
        while True:
            print(s.recv(65535).hex(), file=f, flush=True)


def run(argv):
    cmd = argv[0]
    if cmd == "count":
        print(len(packets(argv[1], int(argv[2], 0))))
    elif cmd == "replay":
        pk = packets(argv[1], int(argv[2], 0))
        rest = argv[4:]
        how = rest.pop(0) if rest and rest[0] not in ("from", "sport") \
            else None
        opts = dict(zip(rest[::2], rest[1::2]))
        for i in [int(x) for x in argv[3].split(",")]:
            src, dst, udp, esp = pk[i]
            send(opts.get("from", src), dst, udp,
                 mutate(esp, how) if how else esp,
                 int(opts.get("sport", 4500)))
    elif cmd == "craft":
        src, dst = argv[1], argv[2]
        spi, seq, length = int(argv[3], 0), int(argv[4], 0), int(argv[5])
        udp = len(argv) > 6 and argv[6] == "udp"
        esp = b"" if length < 0 else \
            struct.pack("!II", spi, seq) + os.urandom(length)
        send(src, dst, udp, esp)
    elif cmd == "seal":
        send(argv[1], argv[2], argv[7:8] == ["udp"],
             seal(int(argv[3], 0), int(argv[4], 0), argv[5], argv[6]))
    elif cmd == "flood":
        udp = argv[4:5] == ["udp"]
        for i in range(int(argv[3])):
            send(argv[1], argv[2], udp,
                 struct.pack("!II", 0x5e000000 + i, 1) + os.urandom(40))
    elif cmd == "marker":
        send(argv[1], argv[2], True, b"\x00\x00\x00\x00" + os.urandom(40))
        send(argv[1], argv[2], True, b"\xff")
    elif cmd == "icmp-err":
        icmp_err(argv[1], argv[2], argv[3], int(argv[4], 0), int(argv[5]),
                 argv[6:])
    elif cmd == "echo":
        print(*argv[1:], flush=True)
    elif cmd == "listen":
        listen(int(argv[1]), argv[2])
    else:
        raise SystemExit(__doc__)


def main():
    if sys.argv[1:] == ["-"]:
        for line in iter(sys.stdin.readline, ""):
            if line.strip():
                run(shlex.split(line))
    else:
        run(sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
