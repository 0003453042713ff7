// SPDX-License-Identifier: GPL-2.0
/*
 * esptun ESP input hooks.
 *
 * Raw ESP (IP protocol 50) and ESP-in-UDP both reach us through the xfrm
 * ESP multiplexer: xfrm4/6_esp_rcv call .handler, xfrm4/6_rcv_encap (fed
 * by the UDP_ENCAP_ESPINUDP socket that userspace holds) call
 * .input_handler. Packets for SPIs we do not hold go back with -EINVAL,
 * so the kernel's own IPsec keeps working next to us.
 */
#include <linux/kernel.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/ip6_route.h>
#include <net/xfrm.h>
#include <net/esp.h>
#include <net/ndisc.h>
#include <net/dsfield.h>
#include <net/netns/generic.h>

#include "esp.h"
#include "proto.h"
#include "sa_table.h"
#include "events.h"

/* Does the kernel's own IPsec hold this SPI? Then the packet is not lost. */
static bool esptun_xfrm_knows(struct net *net, u32 mark, u16 family,
			      const union esptun_inaddr *daddr, __be32 spi)
{
	xfrm_address_t xa = {};
	struct xfrm_state *x;

	if (family == AF_INET)
		xa.a4 = daddr->v4;
	else
		xa.in6 = daddr->v6;
	x = xfrm_state_lookup(net, mark, &xa, spi, IPPROTO_ESP, family);
	if (!x)
		return false;
	xfrm_state_put(x);
	return true;
}

/*
 * Did an inbound SA's packet come from elsewhere than the SA's remote
 * (address, and port in UDP)? Only reported once the packet proves
 * authentic (esp.c); an SA without a remote has nothing to differ from.
 */
static bool esptun_remote_moved(struct esptun_sa *sa, u16 family,
				const union esptun_inaddr *saddr,
				__be16 sport)
{
	struct esptun_endpoint ep;

	esptun_sa_endpoint(sa, &ep);
	if (!ep.family || esptun_addr_any(ep.family, &ep.remote))
		return false;
	return ep.family != family ||
	       !esptun_addr_equal(family, &ep.remote, saddr) ||
	       (sport && sport != ep.dport);
}

/*
 * @skb is at its ESP header. Returns 0 when the packet is ours (and
 * consumed), -EINVAL to hand it to the next handler.
 */
static int esptun_rcv(struct sk_buff *skb, u16 family, int encap_type)
{
	struct net *net = dev_net(skb->dev);
	union esptun_inaddr saddr, daddr;
	__be16 sport = 0, dport = 0;
	struct esptun_skb_cb *cb;
	struct esptun_sa *sa;
	bool udp, sa_udp;
	__be32 spi;
	u8 tos;

	if (!pskb_may_pull(skb, sizeof(struct ip_esp_hdr)))
		return -EINVAL;
	spi = ((struct ip_esp_hdr *)skb->data)->spi;

	memset(&saddr, 0, sizeof(saddr));
	memset(&daddr, 0, sizeof(daddr));
	if (family == AF_INET) {
		saddr.v4 = ip_hdr(skb)->saddr;
		daddr.v4 = ip_hdr(skb)->daddr;
		tos = ip_hdr(skb)->tos;
	} else {
		saddr.v6 = ipv6_hdr(skb)->saddr;
		daddr.v6 = ipv6_hdr(skb)->daddr;
		tos = ipv6_get_dsfield(ipv6_hdr(skb));
	}
	udp = encap_type > 0;
	if (udp) {
		/* The UDP header was pulled off in front of ESP, and with
		 * UDP_ENCAP_ESPINUDP_NON_IKE the 8-byte non-IKE marker
		 * after it.
		 */
		unsigned int off = sizeof(struct udphdr);
		const struct udphdr *uh;

		if (encap_type == UDP_ENCAP_ESPINUDP_NON_IKE)
			off += 2 * sizeof(u32);
		uh = (const struct udphdr *)(skb->data - off);
		sport = uh->source;
		dport = uh->dest;
	}

	sa = esptun_sa_lookup_in(net, family, &daddr, spi);
	if (!sa) {
		if (!esptun_xfrm_knows(net, skb->mark, family, &daddr, spi)) {
			atomic64_inc(&esptun_pernet(net)->unknown_spi);
			esptun_nl_event_unknown_spi(net, family, &saddr, &daddr,
						    spi, sport, dport);
		}
		return -EINVAL;
	}

	/* From here on the packet is ours, whatever becomes of it. */
	if (unlikely(READ_ONCE(sa->state) == ESPTUN_SA_STATE_HARD_EXPIRED)) {
		/* Hard-expired, its deletion still pending: carry nothing. */
		esptun_sa_stat_inc(sa, ESPTUN_STAT_EXPIRED);
		DEV_STATS_INC(sa->ed->dev, rx_dropped);
		esptun_sa_put(sa);
		kfree_skb(skb);
		return 0;
	}
	sa_udp = READ_ONCE(sa->ep.encap) == ESPTUN_ENCAP_UDP;
	if (udp != sa_udp) {
		net_dbg_ratelimited("esptun: SPI 0x%08x: encapsulation mismatch\n",
				    ntohl(spi));
		esptun_sa_stat_inc(sa, ESPTUN_STAT_FORMAT);
		DEV_STATS_INC(sa->ed->dev, rx_dropped);
		esptun_sa_put(sa);
		kfree_skb(skb);
		return 0;
	}

	cb = ESPTUN_CB(skb);
	cb->sa = sa;
	cb->tmp = NULL;
	cb->tos = tos;
	cb->family = family;
	cb->encap = udp ? ESPTUN_ENCAP_UDP : ESPTUN_ENCAP_NONE;
	cb->sport = sport;
	cb->dport = dport;
	cb->saddr = saddr;
	cb->in_flags = esptun_remote_moved(sa, family, &saddr, sport) ?
		       ESPTUN_IN_MOVED : 0;
	/*
	 * The crypto may complete after the lower device is gone, and
	 * nothing holds it: what it told is taken now, and the packet
	 * belongs to the esptun device (which the SA holds) from here on.
	 * Its noref route may not outlive this RCU section either.
	 */
	if (!net_eq(sa->ed->net, net))
		cb->in_flags |= ESPTUN_IN_XNET;
	skb_dst_drop(skb);
	skb->dev = sa->ed->dev;
	esptun_esp_input(skb);
	return 0;
}

static int esptun_rcv4(struct sk_buff *skb)
{
	return esptun_rcv(skb, AF_INET, 0);
}

static int esptun_input4(struct sk_buff *skb, int nexthdr, __be32 spi,
			 int encap_type)
{
	return esptun_rcv(skb, AF_INET, encap_type);
}

/* Called for every packet xfrm_input finishes: never stop the chain. */
static int esptun_cb(struct sk_buff *skb, int err)
{
	return 1;
}

/*
 * ICMP about an ESP packet: the quoted header carries the addresses and
 * the peer's SPI (the ICMP layer has pulled 8 bytes past the quoted IP
 * header). Only if one of our outbound SAs could have sent it, from there
 * to there with that SPI (and xfrm does not claim it), did our outer path
 * MTU or next hop change; anything else goes on to the next handler
 * (returning non-zero). Updating the route exception makes the SAs'
 * cached routes obsolete, so the next packet picks up the new MTU and
 * inner senders get told.
 */
static int esptun_err4(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	union esptun_inaddr saddr = {}, daddr = {};
	const struct ip_esp_hdr *esph;
	struct net *net = dev_net(skb->dev);

	esph = (const struct ip_esp_hdr *)(skb->data + (iph->ihl << 2));
	saddr.v4 = iph->saddr;
	daddr.v4 = iph->daddr;
	if (esptun_xfrm_knows(net, skb->mark, AF_INET, &daddr, esph->spi) ||
	    !esptun_sa_out_known(net, AF_INET, &saddr, &daddr, esph->spi))
		return 1;

	switch (icmp_hdr(skb)->type) {
	case ICMP_DEST_UNREACH:
		if (icmp_hdr(skb)->code != ICMP_FRAG_NEEDED)
			return 0;
		ipv4_update_pmtu(skb, net, info, 0, IPPROTO_ESP);
		break;
	case ICMP_REDIRECT:
		ipv4_redirect(skb, net, 0, IPPROTO_ESP);
		break;
	}
	return 0;
}

static struct xfrm4_protocol esptun_esp4_protocol = {
	.handler = esptun_rcv4,
	.input_handler = esptun_input4,
	.cb_handler = esptun_cb,
	.err_handler = esptun_err4,
	.priority = ESPTUN_PROTO_PRIORITY,
};

#if IS_ENABLED(CONFIG_IPV6)
static int esptun_rcv6(struct sk_buff *skb)
{
	return esptun_rcv(skb, AF_INET6, 0);
}

static int esptun_input6(struct sk_buff *skb, int nexthdr, __be32 spi,
			 int encap_type)
{
	return esptun_rcv(skb, AF_INET6, encap_type);
}

static int esptun_err6(struct sk_buff *skb, struct inet6_skb_parm *opt,
		       u8 type, u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *ip6h = (const struct ipv6hdr *)skb->data;
	union esptun_inaddr saddr = {}, daddr = {};
	const struct ip_esp_hdr *esph;
	struct net *net = dev_net(skb->dev);

	esph = (const struct ip_esp_hdr *)(skb->data + offset);
	saddr.v6 = ip6h->saddr;
	daddr.v6 = ip6h->daddr;
	if (esptun_xfrm_knows(net, skb->mark, AF_INET6, &daddr, esph->spi) ||
	    !esptun_sa_out_known(net, AF_INET6, &saddr, &daddr, esph->spi))
		return 1;

	if (type == ICMPV6_PKT_TOOBIG)
		ip6_update_pmtu(skb, net, info, 0, 0, sock_net_uid(net, NULL));
	else if (type == NDISC_REDIRECT)
		ip6_redirect(skb, net, 0, 0, sock_net_uid(net, NULL));
	return 0;
}

static struct xfrm6_protocol esptun_esp6_protocol = {
	.handler = esptun_rcv6,
	.input_handler = esptun_input6,
	.cb_handler = esptun_cb,
	.err_handler = esptun_err6,
	.priority = ESPTUN_PROTO_PRIORITY,
};
#endif

/*
 * Another module may hold our priority (the multiplexer refuses equal
 * ones with -EEXIST): any free place between xfrm_interface and vti
 * serves the same purpose.
 */
static const int esptun_priorities[] = {
	ESPTUN_PROTO_PRIORITY, 40, 30, 20, 60, 70
};

/**
 * esptun_proto_init - start receiving ESP
 *
 * Context: process (module init).
 * Return: 0, or -EEXIST if every priority we may take is held.
 */
int esptun_proto_init(void)
{
	unsigned int i;
	int err = -EEXIST;

	for (i = 0; i < ARRAY_SIZE(esptun_priorities) && err == -EEXIST; i++) {
		esptun_esp4_protocol.priority = esptun_priorities[i];
		err = xfrm4_protocol_register(&esptun_esp4_protocol,
					      IPPROTO_ESP);
	}
	if (err) {
		pr_err("cannot register the IPv4 ESP handler: %d\n", err);
		return err;
	}
#if IS_ENABLED(CONFIG_IPV6)
	err = -EEXIST;
	for (i = 0; i < ARRAY_SIZE(esptun_priorities) && err == -EEXIST; i++) {
		esptun_esp6_protocol.priority = esptun_priorities[i];
		err = xfrm6_protocol_register(&esptun_esp6_protocol,
					      IPPROTO_ESP);
	}
	if (err) {
		pr_err("cannot register the IPv6 ESP handler: %d\n", err);
		xfrm4_protocol_deregister(&esptun_esp4_protocol, IPPROTO_ESP);
		return err;
	}
#endif
	return 0;
}

/**
 * esptun_proto_exit - stop receiving ESP
 *
 * The deregistration waits for an RCU grace period, so no handler runs
 * afterwards.
 * Context: process (module exit).
 */
void esptun_proto_exit(void)
{
#if IS_ENABLED(CONFIG_IPV6)
	xfrm6_protocol_deregister(&esptun_esp6_protocol, IPPROTO_ESP);
#endif
	xfrm4_protocol_deregister(&esptun_esp4_protocol, IPPROTO_ESP);
}
