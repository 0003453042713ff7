// SPDX-License-Identifier: GPL-2.0
/*
 * Capture reading: libpcap opens pcap and pcapng alike; the link layer and
 * the IP headers are walked here, every field checked against what the
 * capture holds before it is read.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "pcap_read.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The ethertype and the offset of the network header, or 0 when the
 * frame is not IP. Raw IP link types answer from the version nibble.
 */
static uint16_t link_proto(int dlt, const uint8_t *d, size_t len, size_t *off)
{
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return 0;
		type = get16(d + 12);
		*off = 14;
		while ((type == ETH_P_8021Q || type == ETH_P_8021AD) &&
		       len >= *off + 4) {
			type = get16(d + *off + 2);
			*off += 4;
		}
		return type;
	case DLT_LINUX_SLL:
		if (len < 16)
			return 0;
		*off = 16;
		return get16(d + 14);
	case DLT_LINUX_SLL2:
		if (len < 20)
			return 0;
		*off = 20;
		return get16(d);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		*off = 0;
		if (!len)
			return 0;
		if (d[0] >> 4 == 4)
			return ETH_P_IP;
		if (d[0] >> 4 == 6)
			return ETH_P_IPV6;
		return 0;
	}
	return 0;
}

static bool dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	}
	return false;
}

/* The transport header of an IPv4 packet; 0 when it is none of ours. */
static int ipv4(const uint8_t *d, size_t len, struct cap_pkt *p,
		size_t *off, size_t *end)
{
	size_t ihl, tot;
	uint16_t frag;

	if (len < 20 || d[0] >> 4 != 4)
		return -1;
	ihl = (size_t)(d[0] & 0x0f) * 4;
	tot = get16(d + 2);
	if (ihl < 20 || tot < ihl || len < ihl)
		return -1;
	if (tot > len) {
		p->truncated = true;
		tot = len;
	}
	frag = get16(d + 6);
	p->fragment = (frag & 0x2000) || (frag & 0x1fff);
	p->src.family = p->dst.family = AF_INET;
	memcpy(p->src.a, d + 12, 4);
	memcpy(p->dst.a, d + 16, 4);
	p->proto = d[9];
	/* A later fragment carries no transport header. */
	if (frag & 0x1fff)
		p->proto = 0;
	*off = ihl;
	*end = tot;
	return 0;
}

/* Walks IPv6 extension headers up to UDP or ESP. */
static int ipv6(const uint8_t *d, size_t len, struct cap_pkt *p,
		size_t *off, size_t *end)
{
	size_t o = 40, tot;
	uint8_t nh;

	if (len < 40 || d[0] >> 4 != 6)
		return -1;
	tot = 40 + (size_t)get16(d + 4);
	if (tot > len) {
		p->truncated = true;
		tot = len;
	}
	p->src.family = p->dst.family = AF_INET6;
	memcpy(p->src.a, d + 8, 16);
	memcpy(p->dst.a, d + 24, 16);
	nh = d[6];
	for (;;) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (tot < o + 8)
				return -1;
			nh = d[o];
			o += 8 + (size_t)d[o + 1] * 8;
			continue;
		}
		if (nh == 44) {		/* fragment header */
			if (tot < o + 8)
				return -1;
			p->fragment = true;
			if (get16(d + o + 2) & 0xfff8) {
				nh = 0xff;
				o += 8;
				break;
			}
			nh = d[o];
			o += 8;
			continue;
		}
		break;
	}
	if (o > tot)
		return -1;
	p->proto = nh;
	*off = o;
	*end = tot;
	return 0;
}

/* One frame: IP, then UDP or ESP. Anything else only counts. */
static void frame(int dlt, const struct pcap_pkthdr *h, const uint8_t *d,
		  cap_cb cb, void *arg, struct cap_stats *st)
{
	struct cap_pkt p;
	size_t l2 = 0, off = 0, end = 0, len = h->caplen;
	uint16_t type;
	int rc;

	memset(&p, 0, sizeof(p));
	p.frame = ++st->frames;
	p.ts_sec = h->ts.tv_sec;
	p.ts_usec = (uint32_t)h->ts.tv_usec;
	p.truncated = h->caplen < h->len;
	type = link_proto(dlt, d, len, &l2);
	if (type == ETH_P_IP)
		rc = ipv4(d + l2, len - l2, &p, &off, &end);
	else if (type == ETH_P_IPV6)
		rc = ipv6(d + l2, len - l2, &p, &off, &end);
	else
		rc = -1;
	if (rc) {
		st->other++;
		return;
	}
	d += l2;
	if (p.fragment)
		st->fragments++;
	if (p.proto == IPPROTO_UDP) {
		size_t ulen;

		if (end - off < 8) {
			st->truncated++;
			return;
		}
		p.sport = get16(d + off);
		p.dport = get16(d + off + 2);
		ulen = get16(d + off + 4);
		off += 8;
		if (!p.fragment && ulen >= 8 && ulen - 8 < end - off)
			end = off + ulen - 8;
		else if (!p.fragment && ulen > end - off + 8)
			p.truncated = true;
	} else if (p.proto != IPPROTO_ESP) {
		/* A fragment's tail: the caller still hears of it. */
		if (!p.fragment) {
			st->other++;
			return;
		}
	}
	if (p.truncated)
		st->truncated++;
	p.data = d + off;
	p.len = end - off;
	cb(arg, &p);
}

int cap_read(const char *path, FILE *f, cap_cb cb, void *arg,
	     struct cap_stats *st, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;
	int dlt, rc;

	memset(st, 0, sizeof(*st));
	pc = f ? pcap_fopen_offline(f, perr) : pcap_open_offline(path, perr);
	if (!pc) {
		if (f)
			fclose(f);
		snprintf(err, errlen, "%s: not a readable pcap or pcapng capture: %s",
			 path, perr);
		return -1;
	}
	dlt = pcap_datalink(pc);
	if (!dlt_supported(dlt)) {
		const char *n = pcap_datalink_val_to_name(dlt);

		snprintf(err, errlen,
			 "%s: link type %s (%d) is not supported (Ethernet, Linux cooked SLL/SLL2 and raw IP are)",
			 path, n ? n : "unknown", dlt);
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1)
		frame(dlt, h, d, cb, arg, st);
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s: capture cut short after frame %llu: %s",
			 path, (unsigned long long)st->frames,
			 pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	return 0;
}

const char *cap_addr_str(const struct cap_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

bool cap_addr_eq(const struct cap_addr *a, const struct cap_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->a, b->a, a->family == AF_INET ? 4 : 16);
}
