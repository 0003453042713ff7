// SPDX-License-Identifier: GPL-2.0
/*
 * Which routes of the main table would carry traffic for a remote
 * selector: every route whose prefix covers it, longest prefix first
 * (the one the kernel picks, metrics aside). Read with libnl-route.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>

#include "diagnose.h"

struct found {
	char text[96];
	unsigned int plen;
};

struct match_ctx {
	struct nl_addr *want;
	struct found *found;
	int n, max;
};

/* The first plen bits of a and b are equal. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int plen)
{
	unsigned int full = plen / 8, bits = plen % 8;

	if (memcmp(a, b, full))
		return false;
	if (!bits)
		return true;
	return !((a[full] ^ b[full]) & (0xff << (8 - bits)));
}

static void route_text(struct rtnl_route *route, struct nl_addr *dst,
		       char *buf, size_t len)
{
	struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(route) ?
				  rtnl_route_nexthop_n(route, 0) : NULL;
	char d[64] = "default", gw[64] = "", ifn[IF_NAMESIZE] = "?";

	if (dst && nl_addr_get_prefixlen(dst))
		nl_addr2str(dst, d, sizeof(d));
	if (nh) {
		if (rtnl_route_nh_get_gateway(nh)) {
			strcpy(gw, " via ");
			nl_addr2str(rtnl_route_nh_get_gateway(nh), gw + 5,
				    sizeof(gw) - 5);
		}
		if (!if_indextoname(rtnl_route_nh_get_ifindex(nh), ifn))
			strcpy(ifn, "?");
	}
	snprintf(buf, len, "%s%s dev %s", d, gw, ifn);
}

static void match_one(struct nl_object *obj, void *arg)
{
	struct rtnl_route *route = (struct rtnl_route *)obj;
	struct match_ctx *m = arg;
	struct nl_addr *dst = rtnl_route_get_dst(route);
	unsigned int plen = dst ? nl_addr_get_prefixlen(dst) : 0;

	if (m->n >= m->max || rtnl_route_get_table(route) != RT_TABLE_MAIN ||
	    rtnl_route_get_type(route) != RTN_UNICAST)
		return;
	if (plen > nl_addr_get_prefixlen(m->want))
		return;
	if (plen && (nl_addr_get_family(dst) != nl_addr_get_family(m->want) ||
		     !prefix_eq(nl_addr_get_binary_addr(dst),
				nl_addr_get_binary_addr(m->want), plen)))
		return;
	route_text(route, dst, m->found[m->n].text,
		   sizeof(m->found[m->n].text));
	m->found[m->n++].plen = plen;
}

static int by_plen_desc(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return (int)y->plen - (int)x->plen;
}

int dg_routes_for(const char *prefix, char routes[][96], int max)
{
	struct found found[64];
	struct match_ctx m = { .found = found, .max = 64 };
	struct nl_sock *sk = NULL;
	struct nl_cache *cache = NULL;
	char first[64];
	int i, n = -1;

	/* A range FIRST-LAST: the routes that hold its first address. */
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(prefix, "-"),
		 prefix);
	if (nl_addr_parse(first, AF_UNSPEC, &m.want) < 0)
		return -1;
	sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_route_alloc_cache(sk, nl_addr_get_family(m.want), 0,
				   &cache) < 0)
		goto out;
	nl_cache_foreach(cache, match_one, &m);
	qsort(found, m.n, sizeof(found[0]), by_plen_desc);
	for (i = 0; i < m.n && i < max; i++)
		snprintf(routes[i], 96, "%.95s", found[i].text);
	n = i;
out:
	if (cache)
		nl_cache_free(cache);
	if (sk)
		nl_socket_free(sk);
	nl_addr_put(m.want);
	return n;
}
