// SPDX-License-Identifier: GPL-2.0
/*
 * esptun output: inner packet routed into the device -> ESP to the peer.
 */
#include <linux/kernel.h>
#include <linux/netdevice.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/icmp.h>
#include <net/ip_tunnels.h>
#include <net/ip6_tunnel.h>
#include <net/ip6_checksum.h>
#include <net/inet_ecn.h>
#include <net/netns/generic.h>

#include "esp.h"
#include "route.h"
#include "sa_table.h"
#include "events.h"
#include "mss.h"
#include "mtu.h"

/* Is this an IP packet whose version matches skb->protocol? */
static bool esptun_inner_ok(struct sk_buff *skb)
{
	skb_reset_network_header(skb);
	switch (skb->protocol) {
	case htons(ETH_P_IP):
		return pskb_network_may_pull(skb, sizeof(struct iphdr)) &&
		       ip_hdr(skb)->version == 4;
	case htons(ETH_P_IPV6):
		return pskb_network_may_pull(skb, sizeof(struct ipv6hdr)) &&
		       ipv6_hdr(skb)->version == 6;
	}
	return false;
}

/*
 * Largest inner packet that fits the outer path MTU after ESP: header,
 * IV, padding to the block size, pad length, next header and ICV.
 */
static unsigned int esptun_inner_mtu(const struct esptun_sa_dp *dp,
				     unsigned int mtu, unsigned int ohdr)
{
	unsigned int fixed = ohdr + sizeof(struct ip_esp_hdr) + dp->ivlen +
			     dp->icvlen;

	if (mtu < fixed + dp->blocksize)
		return 0;
	return round_down(mtu - fixed, dp->blocksize) - 2;
}

/*
 * PMTU: a DF packet that does not fit gets its ICMP; IPv6 always does
 * unless the tunnel cannot even carry the IPv6 minimum, then the outer
 * packet is fragmented instead. Returns true if the packet was refused.
 */
static bool esptun_too_big(struct esptun_dev *ed, struct sk_buff *skb,
			   unsigned int imtu, __be16 *df)
{
	if (skb->protocol == htons(ETH_P_IP)) {
		if (!(ip_hdr(skb)->frag_off & htons(IP_DF))) {
			*df = 0;
			return skb->len > imtu && !imtu;
		}
		if (skb->len <= imtu)
			return false;
		imtu = max_t(unsigned int, imtu, 68);
		skb_dst_update_pmtu_no_confirm(skb, imtu);
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			      htonl(imtu));
	} else {
		if (skb->len <= imtu)
			return false;
		if (imtu < IPV6_MIN_MTU) {
			*df = 0;
			return false;
		}
		skb_dst_update_pmtu_no_confirm(skb, imtu);
		icmpv6_ndo_send(skb, ICMPV6_PKT_TOOBIG, 0, imtu);
	}
	esptun_dev_stat_inc(ed, ESPTUN_STAT_MTU);
	return true;
}

static void esptun_xmit_one(struct esptun_dev *ed, struct sk_buff *skb)
{
	struct esptun_skb_cb *cb;
	struct esptun_endpoint ep;
	struct esptun_sa *sa;
	struct dst_entry *dst;
	unsigned int ohdr, imtu, ep_seq;
	__be16 df = htons(IP_DF);
	u8 tos, ttl;
	u64 seq;

	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		goto drop;
	esptun_mss_clamp(ed, skb);

	sa = esptun_sa_select_out(ed, skb);
	if (!sa) {
		esptun_dev_stat_inc(ed, ESPTUN_STAT_NO_SA);
		esptun_nl_event_acquire(ed, skb);
		goto drop;
	}

	ep_seq = esptun_sa_endpoint(sa, &ep);
	cb = ESPTUN_CB(skb);
	dst = esptun_route_out(sa, &ep, ep_seq, &cb->saddr);
	if (IS_ERR(dst)) {
		net_dbg_ratelimited("%s: no route to the peer: %ld\n",
				    ed->dev->name, PTR_ERR(dst));
		esptun_dev_stat_inc(ed, ESPTUN_STAT_NO_ROUTE);
		if (skb->protocol == htons(ETH_P_IP))
			icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH,
				      0);
		else
			icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH,
					ICMPV6_ADDR_UNREACH, 0);
		goto drop_put;
	}

	ohdr = (ep.family == AF_INET ? sizeof(struct iphdr) :
				       sizeof(struct ipv6hdr)) +
	       (ep.encap == ESPTUN_ENCAP_UDP ? sizeof(struct udphdr) : 0);
	esptun_mtu_check(ed, sa, dst_mtu(dst));
	imtu = esptun_inner_mtu(&sa->dp, dst_mtu(dst), ohdr);
	if (esptun_too_big(ed, skb, imtu, &df))
		goto drop_dst;

	/*
	 * DSCP copied; ECN as RFC 4301 5.1.2.1 (RFC 3168 full functionality):
	 * ECT copied, CE becomes ECT(0). Decapsulation follows RFC 6040.
	 */
	tos = ip_tunnel_ecn_encap(ip_tunnel_get_dsfield(ip_hdr(skb), skb),
				  ip_hdr(skb), skb);
	ttl = ep.family == AF_INET ? ip4_dst_hoplimit(dst) :
				     ip6_dst_hoplimit(dst);

	/*
	 * Never wrap: RFC 4303 3.3.3. The first number past the end stops
	 * the SA for good; later ones only count.
	 */
	seq = atomic64_inc_return(&sa->dp.oseq);
	if (unlikely(sa->dp.esn ? !seq : seq > U32_MAX)) {
		esptun_sa_stat_inc(sa, ESPTUN_STAT_SEQ_EXHAUSTED);
		if (sa->dp.esn || seq == (u64)U32_MAX + 1)
			esptun_sa_hard_expire(sa, ESPTUN_EXPIRE_SEQ_EXHAUSTED);
		goto drop_dst;
	}

	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	cb->sa = sa;
	cb->tmp = NULL;
	cb->seq = seq;
	cb->tos = tos;
	cb->ttl = ttl;
	cb->df = df;
	cb->family = ep.family;
	cb->encap = ep.encap;
	cb->inner_len = skb->len;
	esptun_esp_output(skb, LL_RESERVED_SPACE(dst->dev) + dst->header_len +
			       ohdr);
	return;

drop_dst:
	dst_release(dst);
drop_put:
	esptun_sa_put(sa);
drop:
	DEV_STATS_INC(ed->dev, tx_dropped);
	kfree_skb(skb);
}

/*
 * RFC 3948 UDP header in front of the ESP header, built here rather than
 * by the udp_tunnel helpers so that the module needs no other module: a
 * plain insmod works. Returns the header for the checksum.
 */
static struct udphdr *esptun_push_udp(struct sk_buff *skb, __be16 sport,
				      __be16 dport)
{
	struct udphdr *uh = __skb_push(skb, sizeof(*uh));

	skb_reset_transport_header(skb);
	uh->source = sport;
	uh->dest = dport;
	uh->len = htons(skb->len);
	uh->check = 0;
	return uh;
}

static void esptun_xmit4(struct sk_buff *skb, struct dst_entry *dst,
			 const struct esptun_skb_cb *cb,
			 const struct esptun_endpoint *ep)
{
	u8 proto = IPPROTO_ESP;

	skb->protocol = htons(ETH_P_IP);
	/* Over IPv4 the checksum of ESP in UDP is zero (RFC 3948 2.1). */
	if (cb->encap == ESPTUN_ENCAP_UDP) {
		esptun_push_udp(skb, ep->sport, ep->dport);
		proto = IPPROTO_UDP;
	}
	iptunnel_xmit(NULL, (struct rtable *)dst, skb, cb->saddr.v4,
		      ep->remote.v4, proto, cb->tos, cb->ttl, cb->df, false);
}

#if IS_ENABLED(CONFIG_IPV6)
static void esptun_xmit6(struct sk_buff *skb, struct dst_entry *dst,
			 const struct esptun_skb_cb *cb,
			 const struct esptun_endpoint *ep)
{
	const struct in6_addr *saddr = &cb->saddr.v6, *daddr = &ep->remote.v6;
	u8 nexthdr = IPPROTO_ESP;
	struct ipv6hdr *ip6h;
	struct udphdr *uh;

	skb->protocol = htons(ETH_P_IPV6);
	/* Fragment the outer packet when the inner one may be fragmented. */
	skb->ignore_df = !cb->df;
	/*
	 * IPv6 wants a real UDP checksum (RFC 8200 8.1). It is computed in
	 * full, as the kernel's esp6 does, so the wire bytes match xfrm's
	 * and no offload has to finish it.
	 */
	if (cb->encap == ESPTUN_ENCAP_UDP) {
		uh = esptun_push_udp(skb, ep->sport, ep->dport);
		uh->check = csum_ipv6_magic(saddr, daddr, skb->len, IPPROTO_UDP,
					    skb_checksum(skb, 0, skb->len, 0));
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
		skb->ip_summed = CHECKSUM_NONE;
		nexthdr = IPPROTO_UDP;
	}
	skb_dst_set(skb, dst);
	ip6h = skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6_flow_hdr(ip6h, cb->tos, 0);
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = nexthdr;
	ip6h->hop_limit = cb->ttl;
	ip6h->saddr = *saddr;
	ip6h->daddr = *daddr;
	ip6tunnel_xmit(NULL, skb, skb->dev);
}
#endif

/**
 * esptun_xmit_finish - send an encrypted packet to the peer
 * @skb: the ESP packet (ESP header at skb->data), outer route as its dst
 * @err: result of the encryption
 *
 * Adds the optional UDP header and the outer IP header and sends the
 * packet through the IP output path of the outer family.
 * Context: softirq or with BHs disabled.
 */
void esptun_xmit_finish(struct sk_buff *skb, int err)
{
	struct esptun_skb_cb cb = *ESPTUN_CB(skb);
	struct esptun_sa *sa = cb.sa;
	struct net_device *dev = sa->ed->dev;
	struct esptun_endpoint ep;
	struct dst_entry *dst;

	if (unlikely(err)) {
		net_dbg_ratelimited("%s: encryption failed: %d\n", dev->name,
				    err);
		/* A full crypto queue is a drop, not an error. */
		if (err == -ENOBUFS)
			DEV_STATS_INC(dev, tx_dropped);
		else
			DEV_STATS_INC(dev, tx_errors);
		kfree_skb(skb);
		goto out;
	}
	/*
	 * Lifetimes count what was encrypted; the packet that would take the
	 * SA past a hard limit is not sent.
	 */
	if (unlikely(!esptun_sa_account(sa, cb.inner_len))) {
		esptun_sa_stat_inc(sa, ESPTUN_STAT_EXPIRED);
		DEV_STATS_INC(dev, tx_dropped);
		kfree_skb(skb);
		goto out;
	}

	/* The remote may have moved since the route lookup (SA_UPDATE);
	 * the new address is the one to send to.
	 */
	esptun_sa_endpoint(sa, &ep);

	/* The output below takes over this reference to the route. */
	dst = dst_clone(skb_dst(skb));
	skb_scrub_packet(skb, false);
	skb->dev = dev;
	skb_reset_transport_header(skb);

	if (cb.family == AF_INET) {
		esptun_xmit4(skb, dst, &cb, &ep);
		goto out;
	}
#if IS_ENABLED(CONFIG_IPV6)
	esptun_xmit6(skb, dst, &cb, &ep);
#else
	dst_release(dst);
	kfree_skb(skb);
#endif
out:
	esptun_sa_put(sa);
}

/**
 * esptun_xmit - ndo_start_xmit of esptun devices
 * @skb: an inner IPv4 or IPv6 packet
 * @dev: the esptun device
 *
 * GSO packets are cut into segments first: each segment is its own ESP
 * packet with its own sequence number.
 * Return: NETDEV_TX_OK, always (drops are counted).
 */
netdev_tx_t esptun_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct esptun_dev *ed = netdev_priv(dev);
	struct sk_buff *segs, *seg, *next;

	if (!esptun_inner_ok(skb)) {
		DEV_STATS_INC(dev, tx_errors);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	/* Carrier just went off: the core stops handing packets to us
	 * once the link watcher has run; until then they are dropped here.
	 */
	if (unlikely(!netif_carrier_ok(dev))) {
		DEV_STATS_INC(dev, tx_carrier_errors);
		DEV_STATS_INC(dev, tx_dropped);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}

	if (skb_is_gso(skb)) {
		segs = skb_gso_segment(skb, 0);
		if (IS_ERR_OR_NULL(segs)) {
			DEV_STATS_INC(dev, tx_dropped);
			kfree_skb(skb);
			return NETDEV_TX_OK;
		}
		consume_skb(skb);
	} else {
		segs = skb;
	}

	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		seg = skb_share_check(seg, GFP_ATOMIC);
		if (unlikely(!seg)) {
			DEV_STATS_INC(dev, tx_dropped);
			continue;
		}
		esptun_xmit_one(ed, seg);
	}
	return NETDEV_TX_OK;
}
