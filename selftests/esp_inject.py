#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send ESP packets taken from a capture, or made up, for the replay test.

  esp_inject.py replay PCAP SPI ORDER [MUTATION]
      Sends the ESP packets of SPI from PCAP again, in ORDER (comma
      separated indexes into that SPI's packets, in capture order).
      MUTATION changes each packet first:
        flip-spi, flip-seq, flip-iv, flip-data, flip-icv   one bit flipped
        truncate:N     only the first N bytes of ESP
  esp_inject.py craft SRC DST SPI SEQ LEN [udp]
      Sends an ESP packet with LEN random bytes after SPI and SEQ (LEN -1:
      an empty IP payload), raw or in UDP 4500 -> 4500.
  esp_inject.py marker SRC DST
      Sends a UDP 4500 packet with the non-ESP marker (IKE) and a keepalive.
  esp_inject.py listen PORT FILE
      Holds a UDP_ENCAP_ESPINUDP socket on PORT (IPv4) and writes each
      datagram that reaches it (not ESP: IKE behind the non-ESP marker)
      as a hex line to FILE.
  esp_inject.py count PCAP SPI
      Prints how many ESP packets of SPI the capture holds.

Packets leave through the namespace's routing (layer 3), so the test runs
it with "ip netns exec".
"""
import os
import struct
import sys

import socket

from scapy.all import IP, IPv6, UDP, Raw, rdpcap, send, fragment, conf  # noqa: E402

conf.verb = 0
ICV = 16
IV = 8


def esp_of(pkt):
    """(outer header, udp?, esp bytes) of an ESP or ESP-in-UDP packet."""
    ip = pkt[IP] if IP in pkt else pkt[IPv6]
    if UDP in pkt and pkt[UDP].dport == 4500:
        return ip, True, bytes(pkt[UDP].payload)
    nh = ip.proto if IP in pkt else ip.nh
    if nh != 50:
        return ip, False, None
    return ip, False, bytes(ip.payload)


def packets(path, spi):
    out = []
    for p in rdpcap(path):
        if IP not in p and IPv6 not in p:
            continue
        ip, udp, esp = esp_of(p)
        if esp and len(esp) >= 8 and struct.unpack("!I", esp[:4])[0] == spi:
            out.append((ip, udp, esp))
    return out


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


def outer(src, dst, udp, payload):
    l3 = IPv6(src=src, dst=dst) if ":" in dst else IP(src=src, dst=dst)
    if udp:
        return l3 / UDP(sport=4500, dport=4500, chksum=0 if ":" not in dst else None) / Raw(payload)
    if ":" in dst:
        l3.nh = 50
    else:
        l3.proto = 50
    return l3 / Raw(payload)


def main(argv):
    cmd = argv[1]
    if cmd == "count":
        print(len(packets(argv[2], int(argv[3], 0))))
        return 0
    if cmd == "replay":
        pk = packets(argv[2], int(argv[3], 0))
        how = argv[5] if len(argv) > 5 else None
        for i in [int(x) for x in argv[4].split(",")]:
            ip, udp, esp = pk[i]
            if how:
                esp = mutate(esp, how)
            send(outer(ip.src, ip.dst, udp, esp))
        return 0
    if cmd == "craft":
        src, dst, spi, seq, length = argv[2], argv[3], int(argv[4], 0), int(argv[5], 0), int(argv[6])
        udp = len(argv) > 7 and argv[7] == "udp"
        esp = b"" if length < 0 else struct.pack("!II", spi, seq) + os.urandom(length)
        pkt = outer(src, dst, udp, esp)
        if len(esp) > 1400 and ":" not in dst:
            for f in fragment(pkt, 1400):
                send(f)
        else:
            send(pkt)
        return 0
    if cmd == "listen":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(argv[2])))
        s.setsockopt(socket.IPPROTO_UDP, 100, 2)  # UDP_ENCAP, ESPINUDP
        with open(argv[3], "a") as f:
            print("listening", file=f, flush=True)
            while True:
                data = s.recv(65535)
                print(data.hex(), file=f, flush=True)
    if cmd == "marker":
        src, dst = argv[2], argv[3]
        send(outer(src, dst, True, b"\x00\x00\x00\x00" + os.urandom(40)))
        send(outer(src, dst, True, b"\xff"))
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
