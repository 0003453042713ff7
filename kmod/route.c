// SPDX-License-Identifier: GPL-2.0
/*
 * esptun outer routes.
 *
 * The outer packet is routed in the namespace of the device with plain
 * route lookups, never through the xfrm policy lookup: what leaves here is
 * already ESP and must not be transformed again. Every outbound SA keeps a
 * per-CPU dst_cache; a PMTU change or route change marks the cached entry
 * obsolete and the next packet looks up again. SA_UPDATE resets the cache
 * under the SA's ep_lock when the endpoints change; a lookup made for the
 * old endpoints is then not cached, so no CPU keeps a route to the old
 * peer.
 */
#include <linux/kernel.h>
#include <net/route.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/dst_cache.h>
#include <net/netns/generic.h>

#include "route.h"

/* Is @seq, the endpoint copy a lookup was made for, still current? Holds
 * ep_lock on true; the caller caches and then calls esptun_route_unlock().
 */
static bool esptun_route_lock_current(struct esptun_sa *sa, unsigned int seq)
{
	read_seqlock_excl(&sa->ep_lock);
	if (!read_seqretry(&sa->ep_lock, seq))
		return true;
	read_sequnlock_excl(&sa->ep_lock);
	return false;
}

static void esptun_route_unlock(struct esptun_sa *sa)
{
	read_sequnlock_excl(&sa->ep_lock);
}

static struct dst_entry *esptun_route4(struct esptun_sa *sa,
				       const struct esptun_endpoint *ep,
				       unsigned int seq,
				       union esptun_inaddr *saddr)
{
	struct esptun_dev *ed = sa->ed;
	struct flowi4 fl4 = {};
	struct rtable *rt;

	rt = dst_cache_get_ip4(&sa->dp.dst_cache, &saddr->v4);
	if (rt)
		return &rt->dst;

	fl4.daddr = ep->remote.v4;
	fl4.saddr = ep->local.v4;
	fl4.flowi4_proto = ep->encap == ESPTUN_ENCAP_UDP ? IPPROTO_UDP :
							     IPPROTO_ESP;
	/* Not ip_route_output_key(): with a protocol in the flow it also
	 * runs the xfrm policy lookup. ip6_dst_lookup() does not.
	 */
	rt = __ip_route_output_key(ed->net, &fl4);
	if (IS_ERR(rt))
		return ERR_CAST(rt);
	if (rt->dst.dev == ed->dev) {
		/* The outer destination is routed into the tunnel itself. */
		ip_rt_put(rt);
		return ERR_PTR(-ELOOP);
	}
	if (esptun_route_lock_current(sa, seq)) {
		dst_cache_set_ip4(&sa->dp.dst_cache, &rt->dst, fl4.saddr);
		esptun_route_unlock(sa);
	}
	saddr->v4 = fl4.saddr;
	return &rt->dst;
}

#if IS_ENABLED(CONFIG_IPV6)
static struct dst_entry *esptun_route6(struct esptun_sa *sa,
				       const struct esptun_endpoint *ep,
				       unsigned int seq,
				       union esptun_inaddr *saddr)
{
	struct esptun_dev *ed = sa->ed;
	struct flowi6 fl6 = {};
	struct dst_entry *dst;
	int err;

	dst = dst_cache_get_ip6(&sa->dp.dst_cache, &saddr->v6);
	if (dst)
		return dst;

	fl6.daddr = ep->remote.v6;
	fl6.saddr = ep->local.v6;
	fl6.flowi6_proto = ep->encap == ESPTUN_ENCAP_UDP ? IPPROTO_UDP :
							     IPPROTO_ESP;
	/* Picks a source address when none is configured. */
	err = ip6_dst_lookup(ed->net, NULL, &dst, &fl6);
	if (err)
		return ERR_PTR(err);
	if (dst->dev == ed->dev) {
		dst_release(dst);
		return ERR_PTR(-ELOOP);
	}
	if (esptun_route_lock_current(sa, seq)) {
		dst_cache_set_ip6(&sa->dp.dst_cache, dst, &fl6.saddr);
		esptun_route_unlock(sa);
	}
	saddr->v6 = fl6.saddr;
	return dst;
}
#endif

/**
 * esptun_route_out - route to the outer destination of an outbound SA
 * @sa: the SA
 * @ep: its endpoints, as read for this packet
 * @seq: what esptun_sa_endpoint() returned with @ep
 * @saddr: filled with the outer source address to use
 *
 * Context: softirq (xmit).
 * Return: a referenced dst or an ERR_PTR.
 */
struct dst_entry *esptun_route_out(struct esptun_sa *sa,
				   const struct esptun_endpoint *ep,
				   unsigned int seq, union esptun_inaddr *saddr)
{
	switch (ep->family) {
	case AF_INET:
		return esptun_route4(sa, ep, seq, saddr);
#if IS_ENABLED(CONFIG_IPV6)
	case AF_INET6:
		return esptun_route6(sa, ep, seq, saddr);
#endif
	}
	return ERR_PTR(-EAFNOSUPPORT);
}

/**
 * esptun_route_reset - forget the cached route (endpoints changed)
 * @sa: an outbound SA
 *
 * Context: any; the caller holds @sa->ep_lock as a writer.
 */
void esptun_route_reset(struct esptun_sa *sa)
{
	if (sa->dir == ESPTUN_DIR_OUT)
		dst_cache_reset(&sa->dp.dst_cache);
}
