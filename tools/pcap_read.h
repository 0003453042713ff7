/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading captures for `esptun decode`: pcap and pcapng through libpcap,
 * link layers Ethernet (with VLAN tags), Linux cooked (SLL, SLL2) and raw
 * IP, then IPv4/IPv6 down to UDP or ESP. IP fragments are reported, not
 * reassembled.
 */
#ifndef ESPTUN_PCAP_READ_H
#define ESPTUN_PCAP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cap_addr {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t a[16];
};

struct cap_pkt {
	uint64_t frame;			/* 1-based, as Wireshark counts */
	int64_t ts_sec;
	uint32_t ts_usec;
	struct cap_addr src, dst;
	uint8_t proto;			/* IPPROTO_UDP or IPPROTO_ESP */
	uint16_t sport, dport;		/* UDP only */
	bool fragment;			/* an IP fragment: data incomplete */
	bool truncated;			/* snap length cut the packet */
	const uint8_t *data;		/* UDP payload, or ESP from its SPI */
	size_t len;
};

struct cap_stats {
	uint64_t frames;
	uint64_t fragments;		/* IPv4/IPv6 fragments seen */
	uint64_t truncated;		/* shorter than their headers say */
	uint64_t other;			/* not IP, or neither UDP nor ESP */
};

typedef void (*cap_cb)(void *arg, const struct cap_pkt *p);

/*
 * Calls cb for every UDP and ESP packet of the capture in f (closed when
 * done) or of the file at path (f NULL; path names it in errors). 0, or -1 with why in err: not a
 * capture, a link type we cannot read, a file cut in the middle of a
 * record (the packets before it have been passed on).
 */
int cap_read(const char *path, FILE *f, cap_cb cb, void *arg,
	     struct cap_stats *st, char *err, size_t errlen);

/* "192.0.2.1" or "2001:db8::1". */
const char *cap_addr_str(const struct cap_addr *a, char *buf, size_t len);
bool cap_addr_eq(const struct cap_addr *a, const struct cap_addr *b);

#endif /* ESPTUN_PCAP_READ_H */
