// SPDX-License-Identifier: GPL-2.0
/*
 * esptun generic netlink: multicast events (expiry, acquire, unknown SPI,
 * remote moved).
 *
 * The one part of the netlink code the data path and the SA timers call:
 * from any context, so messages are allocated with GFP_ATOMIC, and the
 * ones a packet can trigger are rate-limited.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>

#include "events.h"
#include "netlink_attr.h"
#include "netlink_policy.h"

/* At most one event per second and key; lock-free, so callable from the
 * packet path. Return: true if this caller may send.
 */
static bool esptun_ratelimit(unsigned long *next)
{
	unsigned long n = READ_ONCE(*next), now = jiffies;

	if (time_before(now, n))
		return false;
	return cmpxchg(next, n, now + HZ) == n;
}

static void esptun_event_send(struct net *net, struct sk_buff *msg)
{
	genlmsg_multicast_netns(&esptun_genl_family, net, msg, 0, 0,
				GFP_ATOMIC);
}

/**
 * esptun_nl_event_expire - report a soft or hard expiry
 * @sa: the SA, referenced by the caller
 * @hard: hard expiry (the SA is deleted or stopped)
 * @reason: enum esptun_expire_reason
 *
 * Context: any.
 */
void esptun_nl_event_expire(struct esptun_sa *sa, bool hard, u8 reason)
{
	struct net *net = sa->ed->net;
	struct sk_buff *msg;
	u8 cmd = hard ? ESPTUN_CMD_EV_HARD_EXPIRE : ESPTUN_CMD_EV_SOFT_EXPIRE;

	if (!genl_has_listeners(&esptun_genl_family, net, 0))
		return;
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		return;
	if (esptun_nl_fill_sa(msg, sa, 0, 0, 0, cmd, NULL))
		goto free;
	/* Append the reason to the finished message. */
	if (nla_put_u8(msg, ESPTUN_A_EXPIRE_REASON, reason))
		goto free;
	nlmsg_end(msg, nlmsg_hdr(msg));
	esptun_event_send(net, msg);
	return;
free:
	nlmsg_free(msg);
}

static int esptun_fill_pkt_sel(struct sk_buff *msg, const struct sk_buff *skb)
{
	struct nlattr *nest = nla_nest_start(msg, ESPTUN_SA_A_SELECTOR);
	__be16 _ports[2];
	const __be16 *ports = NULL;
	u8 proto;
	int thoff;

	if (!nest)
		return -EMSGSIZE;
	if (ip_hdr(skb)->version == 4) {
		const struct iphdr *iph = ip_hdr(skb);

		if (nla_put_in_addr(msg, ESPTUN_SEL_A_SRC_IPV4, iph->saddr) ||
		    nla_put_u8(msg, ESPTUN_SEL_A_SRC_PREFIXLEN, 32) ||
		    nla_put_in_addr(msg, ESPTUN_SEL_A_DST_IPV4, iph->daddr) ||
		    nla_put_u8(msg, ESPTUN_SEL_A_DST_PREFIXLEN, 32))
			return -EMSGSIZE;
		proto = iph->protocol;
		thoff = iph->frag_off & htons(IP_OFFSET) ? -1 :
			skb_network_offset(skb) + iph->ihl * 4;
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		if (nla_put_in6_addr(msg, ESPTUN_SEL_A_SRC_IPV6, &ip6h->saddr) ||
		    nla_put_u8(msg, ESPTUN_SEL_A_SRC_PREFIXLEN, 128) ||
		    nla_put_in6_addr(msg, ESPTUN_SEL_A_DST_IPV6, &ip6h->daddr) ||
		    nla_put_u8(msg, ESPTUN_SEL_A_DST_PREFIXLEN, 128))
			return -EMSGSIZE;
		proto = ip6h->nexthdr;
		thoff = skb_network_offset(skb) + sizeof(*ip6h);
	}
	if (nla_put_u8(msg, ESPTUN_SEL_A_PROTO, proto))
		return -EMSGSIZE;
	if (thoff >= 0 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
			   proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP))
		ports = skb_header_pointer(skb, thoff, sizeof(_ports), _ports);
	if (ports &&
	    (nla_put_u16(msg, ESPTUN_SEL_A_SPORT, ntohs(ports[0])) ||
	     nla_put_u16(msg, ESPTUN_SEL_A_DPORT, ntohs(ports[1]))))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/**
 * esptun_nl_event_acquire - no outbound SA for a packet: ask for one
 * @ed: the device
 * @skb: the inner packet (network header set)
 *
 * At most one per device and second.
 * Context: any.
 */
void esptun_nl_event_acquire(struct esptun_dev *ed, const struct sk_buff *skb)
{
	struct esptun_endpoint ep;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&esptun_genl_family, ed->net, 0) ||
	    !esptun_ratelimit(&ed->acquire_next))
		return;
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &esptun_genl_family, 0,
			  ESPTUN_CMD_EV_ACQUIRE);
	if (!hdr)
		goto free;
	spin_lock_bh(&ed->lock);
	ep = ed->ep;
	spin_unlock_bh(&ed->lock);
	if (nla_put_u32(msg, ESPTUN_A_IFINDEX, ed->dev->ifindex) ||
	    nla_put_string(msg, ESPTUN_A_IFNAME, ed->dev->name))
		goto free;
	nest = nla_nest_start(msg, ESPTUN_A_SA);
	if (!nest)
		goto free;
	if (ep.family && !esptun_addr_any(ep.family, &ep.local) &&
	    esptun_nl_put_addr(msg, ep.family, ESPTUN_SA_A_LOCAL_IPV4,
			       ESPTUN_SA_A_LOCAL_IPV6, &ep.local))
		goto free;
	if (ep.family && !esptun_addr_any(ep.family, &ep.remote) &&
	    esptun_nl_put_addr(msg, ep.family, ESPTUN_SA_A_REMOTE_IPV4,
			       ESPTUN_SA_A_REMOTE_IPV6, &ep.remote))
		goto free;
	if (esptun_fill_pkt_sel(msg, skb))
		goto free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	esptun_event_send(ed->net, msg);
	return;
free:
	nlmsg_free(msg);
}

/**
 * esptun_nl_event_unknown_spi - ESP arrived for an SPI nobody knows
 * @net: namespace it arrived in
 * @family: AF_INET or AF_INET6
 * @saddr: outer source (the peer)
 * @daddr: outer destination (local)
 * @spi: SPI, network order
 * @sport: UDP source port, network order, 0 for raw ESP
 * @dport: UDP destination port, network order, 0 for raw ESP
 *
 * At most one per namespace and second.
 * Context: any.
 */
void esptun_nl_event_unknown_spi(struct net *net, u16 family,
				 const union esptun_inaddr *saddr,
				 const union esptun_inaddr *daddr, __be32 spi,
				 __be16 sport, __be16 dport)
{
	struct esptun_net *en = esptun_pernet(net);
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&esptun_genl_family, net, 0) ||
	    !esptun_ratelimit(&en->unknown_spi_next))
		return;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &esptun_genl_family, 0,
			  ESPTUN_CMD_EV_UNKNOWN_SPI);
	if (!hdr)
		goto free;
	nest = nla_nest_start(msg, ESPTUN_A_SA);
	if (!nest ||
	    nla_put_u32(msg, ESPTUN_SA_A_SPI, ntohl(spi)) ||
	    esptun_nl_put_addr(msg, family, ESPTUN_SA_A_LOCAL_IPV4,
			       ESPTUN_SA_A_LOCAL_IPV6, daddr) ||
	    esptun_nl_put_addr(msg, family, ESPTUN_SA_A_REMOTE_IPV4,
			       ESPTUN_SA_A_REMOTE_IPV6, saddr))
		goto free;
	if ((sport || dport) &&
	    (nla_put_u8(msg, ESPTUN_SA_A_ENCAP, ESPTUN_ENCAP_UDP) ||
	     nla_put_u16(msg, ESPTUN_SA_A_ENCAP_SPORT, ntohs(sport)) ||
	     nla_put_u16(msg, ESPTUN_SA_A_ENCAP_DPORT, ntohs(dport))))
		goto free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	esptun_event_send(net, msg);
	return;
free:
	nlmsg_free(msg);
}

/**
 * esptun_nl_event_remote_moved - an SA's authentic packet came from elsewhere
 * @sa: the inbound SA, referenced by the caller
 * @family: outer family of the packet
 * @saddr: outer source address of the packet
 * @sport: its UDP source port, network order, 0 for raw ESP
 * @dport: its UDP destination port, network order
 *
 * Tells the agent where the peer (or its NAT mapping) is now; the SA
 * itself is left as it is. At most one per SA and second.
 * Context: any.
 */
void esptun_nl_event_remote_moved(struct esptun_sa *sa, u16 family,
				  const union esptun_inaddr *saddr,
				  __be16 sport, __be16 dport)
{
	struct esptun_dev *ed = sa->ed;
	struct esptun_endpoint ep;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&esptun_genl_family, ed->net, 0) ||
	    !esptun_ratelimit(&sa->moved_next))
		return;
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &esptun_genl_family, 0,
			  ESPTUN_CMD_EV_REMOTE_MOVED);
	if (!hdr)
		goto free;
	esptun_sa_endpoint(sa, &ep);
	if (nla_put_u32(msg, ESPTUN_A_IFINDEX, ed->dev->ifindex) ||
	    nla_put_string(msg, ESPTUN_A_IFNAME, ed->dev->name))
		goto free;
	nest = nla_nest_start(msg, ESPTUN_A_SA);
	if (!nest ||
	    nla_put_u8(msg, ESPTUN_SA_A_DIR, sa->dir) ||
	    nla_put_u32(msg, ESPTUN_SA_A_SPI, ntohl(sa->spi)) ||
	    esptun_nl_put_addr(msg, ep.family, ESPTUN_SA_A_LOCAL_IPV4,
			       ESPTUN_SA_A_LOCAL_IPV6, &ep.local) ||
	    esptun_nl_put_addr(msg, family, ESPTUN_SA_A_REMOTE_IPV4,
			       ESPTUN_SA_A_REMOTE_IPV6, saddr))
		goto free;
	if (sport) {
		if (nla_put_u8(msg, ESPTUN_SA_A_ENCAP, ESPTUN_ENCAP_UDP) ||
		    nla_put_u16(msg, ESPTUN_SA_A_ENCAP_SPORT, ntohs(dport)) ||
		    nla_put_u16(msg, ESPTUN_SA_A_ENCAP_DPORT, ntohs(sport)))
			goto free;
	} else if (nla_put_u8(msg, ESPTUN_SA_A_ENCAP, ESPTUN_ENCAP_NONE)) {
		goto free;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	esptun_event_send(ed->net, msg);
	return;
free:
	nlmsg_free(msg);
}
