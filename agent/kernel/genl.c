// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel backend on esptun.ko: generic netlink family "esptun" for SPIs
 * and SAs (uapi/esptun.h), rtnetlink (libnl-route) for the device itself,
 * and a second, non-blocking socket in the "events" multicast group.
 * Requests are synchronous: the agent does a handful per negotiation.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "esptun.h"
#include "kernel/backend.h"
#include "log.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct kgenl {
	struct kernel k;
	struct nl_sock *sock;	/* requests */
	struct nl_sock *ev;	/* events multicast group */
	struct nl_sock *rt;	/* rtnetlink, device creation */
	int family;
	kernel_event_cb ev_cb;
	void *ev_arg;
};

struct req {
	int error;
	int done;
	char extack[200];
	int (*parse)(struct nlmsghdr *nlh, void *arg);
	void *arg;
};

static void get_extack(const struct nlmsghdr *nlh, size_t off, struct req *r)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + off),
		      nlh->nlmsg_len - off, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0)
		snprintf(r->extack, sizeof(r->extack), "%.*s",
			 nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct req *r = arg;
	size_t payload = sizeof(*e);

	/* The request is echoed unless capped; the TLVs come after it. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	r->error = e->error < 0 ? e->error : -EPROTO;
	get_extack(nlh, NLMSG_HDRLEN + NLMSG_ALIGN(payload), r);
	r->done = 1;
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	((struct req *)arg)->done = 1;
	return NL_STOP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	if (r->parse && r->parse(nlmsg_hdr(msg), r->arg) < 0)
		r->error = -EPROTO;
	return NL_OK;
}

/* Sends msg (wiped and freed: it may hold keys) and waits for the ACK. */
static int run(struct kgenl *g, struct nl_msg *msg, struct req *r)
{
	struct nl_cb *cb;
	int err;

	g->k.err[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
		nlmsg_free(msg);
		snprintf(g->k.err, sizeof(g->k.err), "out of memory");
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, r);
	err = nl_send_auto(g->sock, msg);
	explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
	if (err < 0) {
		r->error = -EIO;
		snprintf(g->k.err, sizeof(g->k.err), "netlink send: %s",
			 nl_geterror(err));
	} else {
		while (!r->done) {
			err = nl_recvmsgs(g->sock, cb);
			if (err < 0 && !r->error) {
				r->error = -EIO;
				snprintf(g->k.err, sizeof(g->k.err),
					 "netlink receive: %s",
					 nl_geterror(err));
				break;
			}
			if (err < 0)
				break;
		}
	}
	nl_cb_put(cb);
	if (r->error && !g->k.err[0])
		snprintf(g->k.err, sizeof(g->k.err), "%s%s%s",
			 r->extack[0] ? r->extack : "",
			 r->extack[0] ? ": " : "", strerror(-r->error));
	return r->error;
}

static struct nl_msg *new_req(struct kgenl *g, uint8_t cmd, int flags,
			      const char *ifname)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0,
			 flags | NLM_F_ACK, cmd, ESPTUN_GENL_VERSION) ||
	    (ifname && nla_put_string(msg, ESPTUN_A_IFNAME, ifname) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int put_addr(struct nl_msg *msg, int a4, int a6,
		    const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return nla_put(msg, a4, 4,
			       &((const struct sockaddr_in *)ss)->sin_addr);
	if (ss->ss_family == AF_INET6)
		return nla_put(msg, a6, 16,
			       &((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

static int nomem(struct kgenl *g)
{
	snprintf(g->k.err, sizeof(g->k.err), "cannot build netlink message");
	return -ENOMEM;
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
	if (!link)
		return nomem(g);
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
	struct req r = { 0 };
	struct nl_msg *msg;
	struct nlattr *dev;

	msg = new_req(g, ESPTUN_CMD_DEV_SET, 0, ifname);
	if (!msg)
		return nomem(g);
	dev = nla_nest_start(msg, ESPTUN_A_DEV);
	if (!dev ||
	    put_addr(msg, ESPTUN_DEV_A_LOCAL_IPV4, ESPTUN_DEV_A_LOCAL_IPV6,
		     local) < 0 ||
	    put_addr(msg, ESPTUN_DEV_A_REMOTE_IPV4, ESPTUN_DEV_A_REMOTE_IPV6,
		     remote) < 0) {
		nlmsg_free(msg);
		return nomem(g);
	}
	nla_nest_end(msg, dev);
	return run(g, msg, &r);
}

/* ---- SPIs and SAs ---- */

struct spi_reply {
	uint32_t spi;
};

static int parse_spi(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1], *sa[ESPTUN_SA_A_MAX + 1];
	struct spi_reply *rep = arg;

	if (genlmsg_parse(nlh, 0, tb, ESPTUN_A_MAX, NULL) < 0 ||
	    !tb[ESPTUN_A_SA] ||
	    nla_parse_nested(sa, ESPTUN_SA_A_MAX, tb[ESPTUN_A_SA], NULL) < 0 ||
	    !sa[ESPTUN_SA_A_SPI] || nla_len(sa[ESPTUN_SA_A_SPI]) != 4)
		return -1;
	rep->spi = nla_get_u32(sa[ESPTUN_SA_A_SPI]);
	return 0;
}

static int g_spi_alloc(struct kernel *k, const char *ifname,
		       const struct sockaddr_storage *local, uint32_t *spi)
{
	struct kgenl *g = (struct kgenl *)k;
	struct spi_reply rep = { 0 };
	struct req r = { .parse = parse_spi, .arg = &rep };
	struct nl_msg *msg;
	struct nlattr *sa;
	int err;

	msg = new_req(g, ESPTUN_CMD_SPI_ALLOC, 0, ifname);
	if (!msg)
		return nomem(g);
	sa = nla_nest_start(msg, ESPTUN_A_SA);
	if (!sa || put_addr(msg, ESPTUN_SA_A_LOCAL_IPV4,
			    ESPTUN_SA_A_LOCAL_IPV6, local) < 0) {
		nlmsg_free(msg);
		return nomem(g);
	}
	nla_nest_end(msg, sa);
	err = run(g, msg, &r);
	if (err)
		return err;
	if (rep.spi < 256) {
		snprintf(k->err, sizeof(k->err),
			 "SPI_ALLOC reply without a valid SPI");
		return -EPROTO;
	}
	*spi = rep.spi;
	return 0;
}

static int put_ts(struct nl_msg *msg, int a4, int a6, int aplen,
		  const struct ike_ts *ts)
{
	if (ts->family == AF_INET) {
		if (nla_put(msg, a4, 4, ts->addr) < 0)
			return -1;
	} else if (ts->family == AF_INET6) {
		if (nla_put(msg, a6, 16, ts->addr) < 0)
			return -1;
	} else {
		return 0;
	}
	return nla_put_u8(msg, aplen, ts->prefixlen);
}

static int put_sa(struct nl_msg *msg, const struct ike_kernel_sa *sa)
{
	const struct sockaddr_storage *local, *remote;
	const struct ike_ts *src, *dst;
	struct nlattr *nest, *lt, *sel;

	/* src sends, dst receives: inbound, we are the destination. */
	if (sa->dir == IKE_DIR_IN) {
		local = &sa->dst;
		remote = &sa->src;
		src = &sa->remote_ts;
		dst = &sa->local_ts;
	} else {
		local = &sa->src;
		remote = &sa->dst;
		src = &sa->local_ts;
		dst = &sa->remote_ts;
	}
	nest = nla_nest_start(msg, ESPTUN_A_SA);
	if (!nest ||
	    nla_put_u8(msg, ESPTUN_SA_A_DIR, sa->dir == IKE_DIR_IN ?
		       ESPTUN_DIR_IN : ESPTUN_DIR_OUT) < 0 ||
	    nla_put_u32(msg, ESPTUN_SA_A_SPI, sa->spi) < 0 ||
	    put_addr(msg, ESPTUN_SA_A_LOCAL_IPV4, ESPTUN_SA_A_LOCAL_IPV6,
		     local) < 0 ||
	    put_addr(msg, ESPTUN_SA_A_REMOTE_IPV4, ESPTUN_SA_A_REMOTE_IPV6,
		     remote) < 0 ||
	    nla_put_string(msg, ESPTUN_SA_A_ENC_ALG, sa->enc_alg) < 0 ||
	    nla_put(msg, ESPTUN_SA_A_ENC_KEY, sa->enc_key_len,
		    sa->enc_key) < 0)
		return -1;
	if (sa->aead) {
		if (nla_put_u32(msg, ESPTUN_SA_A_ICV_BITS, sa->icv_bits) < 0)
			return -1;
	} else if (sa->auth_alg[0]) {
		if (nla_put_string(msg, ESPTUN_SA_A_AUTH_ALG, sa->auth_alg) < 0 ||
		    nla_put(msg, ESPTUN_SA_A_AUTH_KEY, sa->auth_key_len,
			    sa->auth_key) < 0 ||
		    nla_put_u32(msg, ESPTUN_SA_A_ICV_BITS,
				sa->auth_trunc_bits) < 0)
			return -1;
	}
	if (sa->dir == IKE_DIR_IN &&
	    nla_put_u32(msg, ESPTUN_SA_A_REPLAY_WINDOW, sa->replay_window) < 0)
		return -1;
	lt = nla_nest_start(msg, ESPTUN_SA_A_LIFETIME);
	if (!lt)
		return -1;
	if ((sa->soft_secs &&
	     nla_put_u64(msg, ESPTUN_LT_A_SOFT_ADD_SECONDS, sa->soft_secs) < 0) ||
	    (sa->hard_secs &&
	     nla_put_u64(msg, ESPTUN_LT_A_HARD_ADD_SECONDS, sa->hard_secs) < 0) ||
	    (sa->soft_bytes &&
	     nla_put_u64(msg, ESPTUN_LT_A_SOFT_BYTES, sa->soft_bytes) < 0) ||
	    (sa->hard_bytes &&
	     nla_put_u64(msg, ESPTUN_LT_A_HARD_BYTES, sa->hard_bytes) < 0))
		return -1;
	nla_nest_end(msg, lt);
	sel = nla_nest_start(msg, ESPTUN_SA_A_SELECTOR);
	if (!sel ||
	    put_ts(msg, ESPTUN_SEL_A_SRC_IPV4, ESPTUN_SEL_A_SRC_IPV6,
		   ESPTUN_SEL_A_SRC_PREFIXLEN, src) < 0 ||
	    put_ts(msg, ESPTUN_SEL_A_DST_IPV4, ESPTUN_SEL_A_DST_IPV6,
		   ESPTUN_SEL_A_DST_PREFIXLEN, dst) < 0)
		return -1;
	nla_nest_end(msg, sel);
	nla_nest_end(msg, nest);
	return 0;
}

static int g_sa_add(struct kernel *k, const char *ifname,
		    const struct ike_kernel_sa *sa)
{
	struct kgenl *g = (struct kgenl *)k;
	struct req r = { 0 };
	struct nl_msg *msg;

	msg = new_req(g, ESPTUN_CMD_SA_NEW, 0, ifname);
	if (!msg)
		return nomem(g);
	if (put_sa(msg, sa) < 0) {
		explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
		nlmsg_free(msg);
		return nomem(g);
	}
	return run(g, msg, &r);
}

static int g_sa_del(struct kernel *k, const char *ifname,
		    enum ike_sa_dir dir, uint32_t spi)
{
	struct kgenl *g = (struct kgenl *)k;
	struct req r = { 0 };
	struct nl_msg *msg;
	struct nlattr *sa;

	msg = new_req(g, ESPTUN_CMD_SA_DEL, 0, ifname);
	if (!msg)
		return nomem(g);
	sa = nla_nest_start(msg, ESPTUN_A_SA);
	if (!sa ||
	    nla_put_u8(msg, ESPTUN_SA_A_DIR, dir == IKE_DIR_IN ?
		       ESPTUN_DIR_IN : ESPTUN_DIR_OUT) < 0 ||
	    nla_put_u32(msg, ESPTUN_SA_A_SPI, spi) < 0) {
		nlmsg_free(msg);
		return nomem(g);
	}
	nla_nest_end(msg, sa);
	return run(g, msg, &r);
}

static int count_sa(struct nlmsghdr *nlh, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int g_sa_count(struct kernel *k, const char *ifname)
{
	struct kgenl *g = (struct kgenl *)k;
	int n = 0, err;
	struct req r = { .parse = count_sa, .arg = &n };
	struct nl_msg *msg;

	msg = new_req(g, ESPTUN_CMD_SA_GET, NLM_F_DUMP, ifname);
	if (!msg)
		return nomem(g);
	err = run(g, msg, &r);
	return err ? err : n;
}

/* ---- events ---- */

static int parse_event(struct nl_msg *nmsg, void *arg)
{
	struct kgenl *g = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(nmsg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[ESPTUN_A_MAX + 1], *sa[ESPTUN_SA_A_MAX + 1];
	struct kernel_event ev;

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
	default:
		return NL_SKIP;
	}
	if (genlmsg_parse(nlh, 0, tb, ESPTUN_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[ESPTUN_A_IFNAME])
		snprintf(ev.ifname, sizeof(ev.ifname), "%s",
			 nla_get_string(tb[ESPTUN_A_IFNAME]));
	if (tb[ESPTUN_A_SA] &&
	    !nla_parse_nested(sa, ESPTUN_SA_A_MAX, tb[ESPTUN_A_SA], NULL)) {
		if (sa[ESPTUN_SA_A_SPI] && nla_len(sa[ESPTUN_SA_A_SPI]) == 4)
			ev.spi = nla_get_u32(sa[ESPTUN_SA_A_SPI]);
		if (sa[ESPTUN_SA_A_DIR] && nla_len(sa[ESPTUN_SA_A_DIR]) == 1)
			ev.dir = nla_get_u8(sa[ESPTUN_SA_A_DIR]) ==
				 ESPTUN_DIR_OUT ? IKE_DIR_OUT : IKE_DIR_IN;
		if (sa[ESPTUN_SA_A_LOCAL_IPV4] &&
		    nla_len(sa[ESPTUN_SA_A_LOCAL_IPV4]) == 4) {
			ev.local.ss_family = AF_INET;
			memcpy(&((struct sockaddr_in *)&ev.local)->sin_addr,
			       nla_data(sa[ESPTUN_SA_A_LOCAL_IPV4]), 4);
		}
		if (sa[ESPTUN_SA_A_REMOTE_IPV4] &&
		    nla_len(sa[ESPTUN_SA_A_REMOTE_IPV4]) == 4) {
			ev.remote.ss_family = AF_INET;
			memcpy(&((struct sockaddr_in *)&ev.remote)->sin_addr,
			       nla_data(sa[ESPTUN_SA_A_REMOTE_IPV4]), 4);
		}
		if (sa[ESPTUN_SA_A_LOCAL_IPV6] &&
		    nla_len(sa[ESPTUN_SA_A_LOCAL_IPV6]) == 16) {
			ev.local.ss_family = AF_INET6;
			memcpy(&((struct sockaddr_in6 *)&ev.local)->sin6_addr,
			       nla_data(sa[ESPTUN_SA_A_LOCAL_IPV6]), 16);
		}
		if (sa[ESPTUN_SA_A_REMOTE_IPV6] &&
		    nla_len(sa[ESPTUN_SA_A_REMOTE_IPV6]) == 16) {
			ev.remote.ss_family = AF_INET6;
			memcpy(&((struct sockaddr_in6 *)&ev.remote)->sin6_addr,
			       nla_data(sa[ESPTUN_SA_A_REMOTE_IPV6]), 16);
		}
	}
	if (g->ev_cb)
		g->ev_cb(g->ev_arg, &ev);
	return NL_OK;
}

static int g_event_fd(struct kernel *k)
{
	struct kgenl *g = (struct kgenl *)k;

	return g->ev ? nl_socket_get_fd(g->ev) : -1;
}

static int g_event_read(struct kernel *k, kernel_event_cb cb, void *arg)
{
	struct kgenl *g = (struct kgenl *)k;
	int err;

	if (!g->ev)
		return 0;
	g->ev_cb = cb;
	g->ev_arg = arg;
	/* Non-blocking: read until the socket is drained. */
	do {
		err = nl_recvmsgs_default(g->ev);
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

	if (g->sock)
		nl_socket_free(g->sock);
	if (g->ev)
		nl_socket_free(g->ev);
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
	.sa_count = g_sa_count,
	.event_fd = g_event_fd,
	.event_read = g_event_read,
	.free = g_free,
};

struct kernel *kernel_genl_open(char *err, size_t errlen)
{
	struct kgenl *g = calloc(1, sizeof(*g));
	int one = 1, grp, e;

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->k.ops = &genl_ops;
	g->sock = nl_socket_alloc();
	g->ev = nl_socket_alloc();
	g->rt = nl_socket_alloc();
	if (!g->sock || !g->ev || !g->rt) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	e = genl_connect(g->sock);
	if (e < 0) {
		snprintf(err, errlen, "generic netlink: %s", nl_geterror(e));
		goto fail;
	}
	/* Without it the kernel's reason for a refusal is lost. */
	setsockopt(nl_socket_get_fd(g->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	g->family = genl_ctrl_resolve(g->sock, ESPTUN_GENL_NAME);
	if (g->family < 0) {
		snprintf(err, errlen,
			 "generic netlink family \"%s\" not found (is esptun.ko loaded?)",
			 ESPTUN_GENL_NAME);
		goto fail;
	}
	e = nl_connect(g->rt, NETLINK_ROUTE);
	if (e < 0) {
		snprintf(err, errlen, "rtnetlink: %s", nl_geterror(e));
		goto fail;
	}
	setsockopt(nl_socket_get_fd(g->rt), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));

	/* Events arrive unsolicited: no sequence numbers to check. */
	nl_socket_disable_seq_check(g->ev);
	nl_socket_modify_cb(g->ev, NL_CB_VALID, NL_CB_CUSTOM, parse_event, g);
	e = genl_connect(g->ev);
	if (e < 0) {
		snprintf(err, errlen, "generic netlink: %s", nl_geterror(e));
		goto fail;
	}
	grp = genl_ctrl_resolve_grp(g->ev, ESPTUN_GENL_NAME,
				    ESPTUN_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(g->ev, grp) < 0) {
		snprintf(err, errlen, "cannot join the %s multicast group",
			 ESPTUN_MCGRP_EVENTS);
		goto fail;
	}
	nl_socket_set_nonblocking(g->ev);
	nl_socket_set_buffer_size(g->ev, 1 << 20, 0);
	return &g->k;
fail:
	g_free(&g->k);
	return NULL;
}
