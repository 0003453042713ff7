// SPDX-License-Identifier: GPL-2.0
/*
 * esptun input after decryption: inner packet checks, selectors, ECN,
 * delivery on the SA's device.
 */
#include <linux/kernel.h>
#include <linux/netdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/inet_ecn.h>
#include <net/gro_cells.h>
#include <net/netns/generic.h>

#include "esp.h"
#include "mss.h"

/* The decrypted payload must be one whole IP packet of the said kind. */
static bool esptun_inner_check(struct sk_buff *skb, u8 nexthdr, u8 *dsfield)
{
	unsigned int len;

	skb_reset_network_header(skb);
	if (nexthdr == IPPROTO_IPIP) {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			return false;
		iph = ip_hdr(skb);
		if (iph->version != 4 || iph->ihl < 5)
			return false;
		len = ntohs(iph->tot_len);
		if (len < iph->ihl * 4 || len > skb->len)
			return false;
		*dsfield = iph->tos;
		skb->protocol = htons(ETH_P_IP);
	} else {
		const struct ipv6hdr *ip6h;

		if (!pskb_may_pull(skb, sizeof(*ip6h)))
			return false;
		ip6h = ipv6_hdr(skb);
		if (ip6h->version != 6)
			return false;
		len = sizeof(*ip6h) + ntohs(ip6h->payload_len);
		if (len > skb->len)
			return false;
		*dsfield = ipv6_get_dsfield(ip6h);
		skb->protocol = htons(ETH_P_IPV6);
	}
	/* Trailing bytes (TFC padding, RFC 4303 2.7) are not the packet's. */
	return !pskb_trim(skb, len);
}

/**
 * esptun_recv_finish - deliver a decrypted packet, or drop it
 * @skb: the inner packet at its first byte; ESPTUN_CB holds the SA
 * @err: next header (>= 0) or an error whose cause is already counted
 *
 * Context: softirq or with BHs disabled.
 */
void esptun_recv_finish(struct sk_buff *skb, int err)
{
	struct esptun_skb_cb *cb = ESPTUN_CB(skb);
	struct esptun_sa *sa = cb->sa;
	struct esptun_dev *ed = sa->ed;
	struct net_device *dev = ed->dev;
	u8 dsfield;

	if (err < 0)
		goto drop;

	if (err == IPPROTO_NONE) {
		/* A dummy packet (RFC 4303 2.6): authentic, but no data. */
		consume_skb(skb);
		goto out;
	}
	if ((err != IPPROTO_IPIP && err != IPPROTO_IPV6) ||
	    !esptun_inner_check(skb, err, &dsfield)) {
		esptun_sa_stat_inc(sa, ESPTUN_STAT_FORMAT);
		goto drop;
	}

	if (!esptun_sel_match(&sa->sel, skb)) {
		esptun_sa_stat_inc(sa, ESPTUN_STAT_SELECTOR);
		goto drop;
	}

	/* RFC 6040: outer CE marks the inner packet; CE on Not-ECT drops. */
	if (INET_ECN_decapsulate(skb, cb->tos, dsfield) > 1) {
		esptun_sa_stat_inc(sa, ESPTUN_STAT_FORMAT);
		goto drop;
	}

	/* The packet that would carry the SA past a hard limit is refused. */
	if (!esptun_sa_account(sa, skb->len)) {
		esptun_sa_stat_inc(sa, ESPTUN_STAT_EXPIRED);
		goto drop;
	}

	esptun_mss_clamp(ed, skb);

	skb_scrub_packet(skb, cb->in_flags & ESPTUN_IN_XNET);
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;
	skb_reset_mac_header(skb);
	skb_reset_transport_header(skb);
	memset(skb->cb, 0, sizeof(skb->cb));
	dev_sw_netstats_rx_add(dev, skb->len);
	gro_cells_receive(&ed->gro_cells, skb);
	goto out;

drop:
	DEV_STATS_INC(dev, rx_dropped);
	kfree_skb(skb);
out:
	esptun_sa_put(sa);
}
