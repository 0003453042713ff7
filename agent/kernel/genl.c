// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel backend on esptun.ko: generic netlink family "esptun" for SPIs
 * and SAs (uapi/esptun.h) through the client shared with the CLI (nl.h),
 * rtnetlink (libnl-route) for the device itself, and a second,
 * non-blocking socket in the "events" multicast group. Requests are
 * synchronous: the agent does a handful per negotiation. What is its own
 * here is the mapping of IKE's SA to the module's attributes.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "esptun.h"
#include "kernel/backend.h"
#include "log.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct kgenl {
	struct kernel k;
	struct etnl nl;		/* requests */
	struct etnl ev;		/* events multicast group */
	struct nl_sock *rt;	/* rtnetlink, device creation */
	kernel_event_cb ev_cb;
	void *ev_arg;
};

/* Passes a request's result on, its reason worded into k->err. */
static int result(struct kgenl *g, int err, const struct etnl_req *r)
{
	g->k.err[0] = '\0';
	if (!err)
		return 0;
	if (r->local)
		snprintf(g->k.err, sizeof(g->k.err), "netlink: %s", r->local);
	else
		snprintf(g->k.err, sizeof(g->k.err), "%.200s%s%s", r->extack,
			 r->extack[0] ? ": " : "", strerror(-err));
	return err;
}

/* ---- device ---- */

static int set_up(struct kgenl *g, const char *ifname)
{
	struct rtnl_link *link, *change;
	int err;

	err = rtnl_link_get_kernel(g->rt, 0, ifname, &link);
	if (err < 0)
		return err;
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(link);
		return -NLE_NOMEM;
	}
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(g->rt, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

static int g_dev_ensure(struct kernel *k, const char *ifname, bool *created)
{
	struct kgenl *g = (struct kgenl *)k;
	struct rtnl_link *link;
	const char *kind;
	int err;

	*created = false;
	k->err[0] = '\0';
	err = rtnl_link_get_kernel(g->rt, 0, ifname, &link);
	if (err == 0) {
		kind = rtnl_link_get_type(link);
		if (!kind || strcmp(kind, "esptun")) {
			snprintf(k->err, sizeof(k->err),
				 "%s exists and is not an esptun device (%s)",
				 ifname, kind ? kind : "no link kind");
			rtnl_link_put(link);
			return -EEXIST;
		}
		rtnl_link_put(link);
		return 0;
	}
	link = rtnl_link_alloc();
	if (!link) {
		snprintf(k->err, sizeof(k->err), "out of memory");
		return -ENOMEM;
	}
	rtnl_link_set_name(link, ifname);
	err = rtnl_link_set_type(link, "esptun");
	if (!err)
		err = rtnl_link_add(g->rt, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	if (err < 0) {
		snprintf(k->err, sizeof(k->err), "cannot create %s: %s",
			 ifname, nl_geterror(err));
		return -EIO;
	}
	*created = true;
	err = set_up(g, ifname);
	if (err < 0) {
		snprintf(k->err, sizeof(k->err), "cannot bring %s up: %s",
			 ifname, nl_geterror(err));
		return -EIO;
	}
	return 0;
}

static int g_dev_set(struct kernel *k, const char *ifname,
		     const struct sockaddr_storage *local,
		     const struct sockaddr_storage *remote)
{
	struct kgenl *g = (struct kgenl *)k;
	struct etnl_req r = { 0 };
	struct etdev dev = { 0 };

	addr_from_sockaddr(local, &dev.local);
	addr_from_sockaddr(remote, &dev.remote);
	return result(g, etnl_dev_request(&g->nl, ESPTUN_CMD_DEV_SET, 0, 0,
					  ifname, &dev, &r), &r);
}

/* ---- SPIs and SAs ---- */

static int parse_spi(struct nlmsghdr *nlh, void *arg)
{
	struct etsa sa;

	if (attr_get_sa(nlh, &sa, NULL) <= 0 ||
	    !(sa.has & BIT(ESPTUN_SA_A_SPI)))
		return -1;
	*(uint32_t *)arg = sa.spi;
	return 0;
}

static int g_spi_alloc(struct kernel *k, const char *ifname,
		       const struct sockaddr_storage *local, uint32_t *spi)
{
	struct kgenl *g = (struct kgenl *)k;
	uint32_t got = 0;
	struct etnl_req r = { .parse = parse_spi, .arg = &got };
	struct etsa req = { 0 };
	int err;

	addr_from_sockaddr(local, &req.local);
	err = result(g, etnl_sa_request(&g->nl, ESPTUN_CMD_SPI_ALLOC, 0, 0,
					ifname, &req, &r), &r);
	if (err)
		return err;
	if (got < 256) {
		snprintf(k->err, sizeof(k->err),
			 "SPI_ALLOC reply without a valid SPI");
		return -EPROTO;
	}
	*spi = got;
	return 0;
}

static uint8_t kdir(enum ike_sa_dir dir)
{
	return dir == IKE_DIR_IN ? ESPTUN_DIR_IN : ESPTUN_DIR_OUT;
}

/* One side of an SA's selector: a prefix, or a range with its end. */
static void ts_to_sel(const struct ike_ts *ts, struct ipaddr *a,
		      uint8_t *plen, struct ipaddr *end)
{
	memset(a, 0, sizeof(*a));
	memset(end, 0, sizeof(*end));
	if (ts->family != AF_INET && ts->family != AF_INET6)
		return;
	memcpy(ts->family == AF_INET ? (void *)&a->v4 : (void *)&a->v6,
	       ts->addr, ts->family == AF_INET ? 4 : 16);
	a->family = ts->family;
	*plen = ts->prefixlen;
	if (!ts->range)
		return;
	memcpy(ts->family == AF_INET ? (void *)&end->v4 : (void *)&end->v6,
	       ts->last, ts->family == AF_INET ? 4 : 16);
	end->family = ts->family;
}

static void prefix_to_ts(const struct ipaddr *a, uint8_t plen,
			 struct ike_ts *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->family = a->family;
	if (a->family == AF_INET)
		memcpy(ts->addr, &a->v4, 4);
	else
		memcpy(ts->addr, &a->v6, 16);
	ts->prefixlen = plen;
}

static void lifetime(struct etsa *e, int attr, uint64_t v)
{
	if (!v)
		return;
	e->lt_has |= BIT(attr);
	e->lifetime[attr] = v;
}

/* IKE's view of an SA (src sends, dst receives) in the module's terms. */
static void to_etsa(const struct ike_kernel_sa *sa, struct etsa *e)
{
	const struct ike_ts *src, *dst;

	memset(e, 0, sizeof(*e));
	e->has = BIT(ESPTUN_SA_A_DIR) | BIT(ESPTUN_SA_A_SPI) |
		 BIT(ESPTUN_SA_A_ENC_ALG) | BIT(ESPTUN_SA_A_LIFETIME) |
		 BIT(ESPTUN_SA_A_SELECTOR);
	e->dir = kdir(sa->dir);
	e->spi = sa->spi;
	/* Inbound, we are the destination. */
	if (sa->dir == IKE_DIR_IN) {
		addr_from_sockaddr(&sa->dst, &e->local);
		addr_from_sockaddr(&sa->src, &e->remote);
		src = &sa->remote_ts;
		dst = &sa->local_ts;
		e->has |= BIT(ESPTUN_SA_A_REPLAY_WINDOW);
		e->replay_window = sa->replay_window;
	} else {
		addr_from_sockaddr(&sa->src, &e->local);
		addr_from_sockaddr(&sa->dst, &e->remote);
		src = &sa->local_ts;
		dst = &sa->remote_ts;
	}
	snprintf(e->enc_alg, sizeof(e->enc_alg), "%s", sa->enc_alg);
	memcpy(e->enc_key, sa->enc_key, sa->enc_key_len);
	e->enc_key_len = sa->enc_key_len;
	if (sa->aead) {
		e->has |= BIT(ESPTUN_SA_A_ICV_BITS);
		e->icv_bits = sa->icv_bits;
	} else if (sa->auth_alg[0]) {
		e->has |= BIT(ESPTUN_SA_A_AUTH_ALG) | BIT(ESPTUN_SA_A_ICV_BITS);
		snprintf(e->auth_alg, sizeof(e->auth_alg), "%s", sa->auth_alg);
		memcpy(e->auth_key, sa->auth_key, sa->auth_key_len);
		e->auth_key_len = sa->auth_key_len;
		e->icv_bits = sa->auth_trunc_bits;
	}
	if (sa->encap) {
		e->has |= BIT(ESPTUN_SA_A_ENCAP) |
			  BIT(ESPTUN_SA_A_ENCAP_SPORT) |
			  BIT(ESPTUN_SA_A_ENCAP_DPORT);
		e->encap = ESPTUN_ENCAP_UDP;
		e->sport = sa->sport;
		e->dport = sa->dport;
	}
	lifetime(e, ESPTUN_LT_A_SOFT_ADD_SECONDS, sa->soft_secs);
	lifetime(e, ESPTUN_LT_A_HARD_ADD_SECONDS, sa->hard_secs);
	lifetime(e, ESPTUN_LT_A_SOFT_BYTES, sa->soft_bytes);
	lifetime(e, ESPTUN_LT_A_HARD_BYTES, sa->hard_bytes);
	lifetime(e, ESPTUN_LT_A_SOFT_PACKETS, sa->soft_packets);
	lifetime(e, ESPTUN_LT_A_HARD_PACKETS, sa->hard_packets);
	ts_to_sel(src, &e->sel.src, &e->sel.src_plen, &e->sel.src_end);
	ts_to_sel(dst, &e->sel.dst, &e->sel.dst_plen, &e->sel.dst_end);
}

static int g_sa_add(struct kernel *k, const char *ifname,
		    const struct ike_kernel_sa *sa)
{
	struct kgenl *g = (struct kgenl *)k;
	struct etnl_req r = { 0 };
	struct etsa e;
	int err;

	to_etsa(sa, &e);
	err = etnl_sa_request(&g->nl, ESPTUN_CMD_SA_NEW, 0, 0, ifname, &e, &r);
	explicit_bzero(&e, sizeof(e));
	return result(g, err, &r);
}

static int g_sa_del(struct kernel *k, const char *ifname,
		    enum ike_sa_dir dir, uint32_t spi)
{
	struct kgenl *g = (struct kgenl *)k;
	struct etnl_req r = { 0 };
	struct etsa e = { 0 };

	e.has = BIT(ESPTUN_SA_A_DIR) | BIT(ESPTUN_SA_A_SPI);
	e.dir = kdir(dir);
	e.spi = spi;
	return result(g, etnl_sa_request(&g->nl, ESPTUN_CMD_SA_DEL, 0, 0,
					 ifname, &e, &r), &r);
}

/* NAT-T: the SA's endpoints and encapsulation; keys never change. */
static int g_sa_update(struct kernel *k, const char *ifname,
		       const struct ike_kernel_sa *sa)
{
	struct kgenl *g = (struct kgenl *)k;
	struct etnl_req r = { 0 };
	struct etsa e = { 0 };

	e.has = BIT(ESPTUN_SA_A_DIR) | BIT(ESPTUN_SA_A_SPI) |
		BIT(ESPTUN_SA_A_ENCAP);
	e.dir = kdir(sa->dir);
	e.spi = sa->spi;
	if (sa->dir == IKE_DIR_IN) {
		addr_from_sockaddr(&sa->dst, &e.local);
		addr_from_sockaddr(&sa->src, &e.remote);
	} else {
		addr_from_sockaddr(&sa->src, &e.local);
		addr_from_sockaddr(&sa->dst, &e.remote);
	}
	e.encap = sa->encap ? ESPTUN_ENCAP_UDP : ESPTUN_ENCAP_NONE;
	if (sa->encap) {
		e.has |= BIT(ESPTUN_SA_A_ENCAP_SPORT) |
			 BIT(ESPTUN_SA_A_ENCAP_DPORT);
		e.sport = sa->sport;
		e.dport = sa->dport;
	}
	return result(g, etnl_sa_request(&g->nl, ESPTUN_CMD_SA_UPDATE, 0, 0,
					 ifname, &e, &r), &r);
}

static int count_sa(struct nlmsghdr *nlh, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* An interrupted dump is read again from the start. */
static void recount(void *arg)
{
	*(int *)arg = 0;
}

static int g_sa_count(struct kernel *k, const char *ifname)
{
	struct kgenl *g = (struct kgenl *)k;
	int n = 0, err;
	struct etnl_req r = { .parse = count_sa, .restart = recount,
			      .arg = &n };

	err = result(g, etnl_sa_request(&g->nl, ESPTUN_CMD_SA_GET, NLM_F_DUMP,
					0, ifname, NULL, &r), &r);
	return err ? err : n;
}

/* The SAs of a dump, reported only once it read through uninterrupted. */
struct list_req {
	struct kernel_sa_ent *ents;
	size_t n, cap;
};

static int parse_list(struct nlmsghdr *nlh, void *arg)
{
	struct list_req *q = arg;
	struct kernel_sa_ent ent = { 0 };
	struct etsa sa;

	if (attr_get_sa(nlh, &sa, NULL) <= 0 ||
	    !(sa.has & BIT(ESPTUN_SA_A_SPI)) || !(sa.has & BIT(ESPTUN_SA_A_DIR)))
		return -1;
	ent.dir = sa.dir == ESPTUN_DIR_IN ? IKE_DIR_IN : IKE_DIR_OUT;
	ent.spi = sa.spi;
	if (sa.remote.family)
		addr_to_sockaddr(&sa.remote, 0, &ent.remote);
	if (sa.has & BIT(ESPTUN_SA_A_ADD_TIME))
		ent.add_time = sa.add_time;
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16;
		struct kernel_sa_ent *p = realloc(q->ents, cap * sizeof(*p));

		if (!p)
			return -1;
		q->ents = p;
		q->cap = cap;
	}
	q->ents[q->n++] = ent;
	return 0;
}

static void relist(void *arg)
{
	((struct list_req *)arg)->n = 0;
}

static int g_sa_list(struct kernel *k, const char *ifname, kernel_sa_cb cb,
		     void *arg)
{
	struct kgenl *g = (struct kgenl *)k;
	struct list_req q = { 0 };
	struct etnl_req r = { .parse = parse_list, .restart = relist,
			      .arg = &q };
	size_t i;
	int err;

	err = result(g, etnl_sa_request(&g->nl, ESPTUN_CMD_SA_GET, NLM_F_DUMP,
					0, ifname, NULL, &r), &r);
	for (i = 0; !err && i < q.n; i++)
		cb(arg, &q.ents[i]);
	free(q.ents);
	return err;
}

struct last_use_req {
	uint64_t last_use;
	bool found;
};

static int parse_last_use(struct nlmsghdr *nlh, void *arg)
{
	struct last_use_req *q = arg;
	struct etsa sa;

	if (attr_get_sa(nlh, &sa, NULL) <= 0)
		return -1;
	q->found = true;
	q->last_use = sa.has & BIT(ESPTUN_SA_A_LAST_USE) ? sa.last_use : 0;
	return 0;
}

static int g_sa_last_use(struct kernel *k, const char *ifname,
			 enum ike_sa_dir dir, uint32_t spi, uint64_t *last_use)
{
	struct kgenl *g = (struct kgenl *)k;
	struct last_use_req q = { 0 };
	struct etnl_req r = { .parse = parse_last_use, .arg = &q };
	struct etsa e = { 0 };
	int err;

	e.has = BIT(ESPTUN_SA_A_DIR) | BIT(ESPTUN_SA_A_SPI);
	e.dir = kdir(dir);
	e.spi = spi;
	err = result(g, etnl_sa_request(&g->nl, ESPTUN_CMD_SA_GET, 0, 0,
					ifname, &e, &r), &r);
	if (err)
		return err;
	if (!q.found) {
		snprintf(k->err, sizeof(k->err), "SA_GET reply without an SA");
		return -EPROTO;
	}
	*last_use = q.last_use;
	return 0;
}

/* ---- address (Mode Config) ---- */

static int g_dev_addr(struct kernel *k, const char *ifname,
		      const struct ike_ts *addr, bool add)
{
	struct kgenl *g = (struct kgenl *)k;
	struct rtnl_addr *ra = NULL;
	struct nl_addr *local = NULL;
	int idx, err;

	k->err[0] = '\0';
	idx = (int)if_nametoindex(ifname);
	if (!idx) {
		err = errno;
		snprintf(k->err, sizeof(k->err), "%s: %s", ifname,
			 strerror(err));
		return -err;
	}
	ra = rtnl_addr_alloc();
	local = nl_addr_build(addr->family, addr->addr,
			      addr->family == AF_INET ? 4 : 16);
	if (!ra || !local) {
		err = -NLE_NOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(local, addr->prefixlen);
	rtnl_addr_set_ifindex(ra, idx);
	rtnl_addr_set_family(ra, addr->family);
	err = rtnl_addr_set_local(ra, local);
	if (!err)
		err = add ? rtnl_addr_add(g->rt, ra, NLM_F_REPLACE) :
			    rtnl_addr_delete(g->rt, ra, 0);
out:
	if (err < 0)
		snprintf(k->err, sizeof(k->err), "address %s: %s",
			 add ? "add" : "delete", nl_geterror(err));
	nl_addr_put(local);
	rtnl_addr_put(ra);
	return err < 0 ? -EIO : 0;
}

/* ---- carrier ---- */

static int parse_dev(struct nlmsghdr *nlh, void *arg)
{
	return attr_get_dev(nlh, arg);
}

static int g_dev_carrier(struct kernel *k, const char *ifname, bool on)
{
	struct kgenl *g = (struct kgenl *)k;
	struct etdev cur = { 0 }, want = { 0 };
	struct etnl_req r = { .parse = parse_dev, .arg = &cur };
	int err;

	/* A module without carrier control would refuse the attribute. */
	err = result(g, etnl_dev_request(&g->nl, ESPTUN_CMD_DEV_GET, 0, 0,
					 ifname, NULL, &r), &r);
	if (err)
		return err;
	if (!(cur.has & BIT(ESPTUN_DEV_A_CARRIER))) {
		snprintf(k->err, sizeof(k->err),
			 "the esptun module does not report carrier");
		return -EOPNOTSUPP;
	}
	if (!cur.carrier == !on)
		return 0;
	memset(&r, 0, sizeof(r));
	want.has = BIT(ESPTUN_DEV_A_CARRIER);
	want.carrier = on;
	return result(g, etnl_dev_request(&g->nl, ESPTUN_CMD_DEV_SET, 0, 0,
					  ifname, &want, &r), &r);
}

/* ---- events ---- */

static int parse_event(struct nl_msg *nmsg, void *arg)
{
	struct kgenl *g = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(nmsg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct kernel_event ev;
	struct etsa sa;

	/* Only the esptun family's messages, and only whole genl headers. */
	if (nlh->nlmsg_type != g->ev.family || !genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	memset(&ev, 0, sizeof(ev));
	switch (gh->cmd) {
	case ESPTUN_CMD_EV_SOFT_EXPIRE:
		ev.type = IKE_KEV_SOFT_EXPIRE;
		break;
	case ESPTUN_CMD_EV_HARD_EXPIRE:
		ev.type = IKE_KEV_HARD_EXPIRE;
		break;
	case ESPTUN_CMD_EV_ACQUIRE:
		ev.type = IKE_KEV_ACQUIRE;
		break;
	case ESPTUN_CMD_EV_UNKNOWN_SPI:
		ev.type = IKE_KEV_UNKNOWN_SPI;
		break;
	case ESPTUN_CMD_EV_REMOTE_MOVED:
		ev.type = IKE_KEV_REMOTE_MOVED;
		break;
	default:
		return NL_SKIP;
	}
	if (attr_get_sa(nlh, &sa, NULL) < 0)
		return NL_SKIP;
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", sa.ifname);
	if (sa.has & BIT(ESPTUN_SA_A_SPI))
		ev.spi = sa.spi;
	if (sa.has & BIT(ESPTUN_SA_A_DIR))
		ev.dir = sa.dir == ESPTUN_DIR_OUT ? IKE_DIR_OUT : IKE_DIR_IN;
	ev.encap = (sa.has & BIT(ESPTUN_SA_A_ENCAP)) &&
		   sa.encap == ESPTUN_ENCAP_UDP;
	/*
	 * In UDP, remote-moved gives our port as SPORT and the peer's as
	 * DPORT (the SA's view); unknown-spi gives the datagram's own
	 * source (the peer's) and destination ports.
	 */
	if (ev.type == IKE_KEV_UNKNOWN_SPI) {
		uint16_t t = sa.sport;

		sa.sport = sa.dport;
		sa.dport = t;
	}
	if (ev.type == IKE_KEV_ACQUIRE && sa.sel.src.family &&
	    sa.sel.src.family == sa.sel.dst.family) {
		prefix_to_ts(&sa.sel.src, sa.sel.src_plen, &ev.sel_src);
		prefix_to_ts(&sa.sel.dst, sa.sel.dst_plen, &ev.sel_dst);
	}
	addr_to_sockaddr(&sa.local, ev.encap ? sa.sport : 0, &ev.local);
	addr_to_sockaddr(&sa.remote, ev.encap ? sa.dport : 0, &ev.remote);
	if (g->ev_cb)
		g->ev_cb(g->ev_arg, &ev);
	return NL_OK;
}

static int g_event_fd(struct kernel *k)
{
	struct kgenl *g = (struct kgenl *)k;

	return g->ev.sock ? nl_socket_get_fd(g->ev.sock) : -1;
}

static int g_event_read(struct kernel *k, kernel_event_cb cb, void *arg)
{
	struct kgenl *g = (struct kgenl *)k;
	int err;

	if (!g->ev.sock)
		return 0;
	g->ev_cb = cb;
	g->ev_arg = arg;
	/* Non-blocking: read until the socket is drained. */
	do {
		err = nl_recvmsgs_default(g->ev.sock);
	} while (err >= 0);
	g->ev_cb = NULL;
	if (err == -NLE_AGAIN)
		return 0;
	if (err == -NLE_NOMEM) {
		/* ENOBUFS: events were lost; say so, keep going. */
		log_warn("kernel events: receive buffer overrun, events lost");
		return 0;
	}
	snprintf(k->err, sizeof(k->err), "kernel events: %s",
		 nl_geterror(err));
	return -EIO;
}

static void g_free(struct kernel *k)
{
	struct kgenl *g = (struct kgenl *)k;

	etnl_close(&g->nl);
	etnl_close(&g->ev);
	if (g->rt)
		nl_socket_free(g->rt);
	free(g);
}

static const struct kernel_ops genl_ops = {
	.dev_ensure = g_dev_ensure,
	.dev_set = g_dev_set,
	.spi_alloc = g_spi_alloc,
	.sa_add = g_sa_add,
	.sa_del = g_sa_del,
	.sa_update = g_sa_update,
	.sa_count = g_sa_count,
	.sa_list = g_sa_list,
	.sa_last_use = g_sa_last_use,
	.dev_carrier = g_dev_carrier,
	.dev_addr = g_dev_addr,
	.event_fd = g_event_fd,
	.event_read = g_event_read,
	.free = g_free,
};

struct kernel *kernel_genl_over(struct etnl *nl, struct etnl *ev)
{
	struct kgenl *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->k.ops = &genl_ops;
	g->nl = *nl;
	if (ev) {
		g->ev = *ev;
		nl_socket_modify_cb(g->ev.sock, NL_CB_VALID, NL_CB_CUSTOM,
				    parse_event, g);
	}
	return &g->k;
}

struct kernel *kernel_genl_open(char *err, size_t errlen)
{
	struct etnl nl;
	struct kgenl *g;
	int one = 1, e;

	if (etnl_open(&nl, err, errlen) < 0)
		return NULL;
	g = (struct kgenl *)kernel_genl_over(&nl, NULL);
	if (!g) {
		etnl_close(&nl);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->rt = nl_socket_alloc();
	if (!g->rt) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	e = nl_connect(g->rt, NETLINK_ROUTE);
	if (e < 0) {
		snprintf(err, errlen, "rtnetlink: %s", nl_geterror(e));
		goto fail;
	}
	setsockopt(nl_socket_get_fd(g->rt), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));

	/* Events arrive unsolicited, on a socket of their own. */
	if (etnl_open(&g->ev, err, errlen) < 0 ||
	    etnl_subscribe(&g->ev, err, errlen) < 0)
		goto fail;
	nl_socket_modify_cb(g->ev.sock, NL_CB_VALID, NL_CB_CUSTOM,
			    parse_event, g);
	nl_socket_set_nonblocking(g->ev.sock);
	return &g->k;
fail:
	g_free(&g->k);
	return NULL;
}
