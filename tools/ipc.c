// SPDX-License-Identifier: GPL-2.0
/*
 * The only netlink code of the CLI (libnl-genl-3). Requests are built from
 * the structs of ipc.h and replies parsed back into them with policies, so
 * a malformed reply is refused instead of misread. Extended ACKs are on:
 * the kernel's message for a refusal is what the user needs to see.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "ipc.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

static struct nl_sock *sock;
static int family;
static const char *op_name = "esptun";

/* One request in flight: what came back, and how to read the replies. */
struct req {
	int (*parse)(struct nlmsghdr *nlh, void *arg);
	void *arg;
	int done;
	int error;		/* negative errno from the kernel */
	int parse_error;	/* a reply we could not read, or the callback failed */
	const char *local;	/* a libnl failure on our side */
	char extack[256];
};

static struct nla_policy top_policy[ESPTUN_A_MAX + 1] = {
	[ESPTUN_A_IFINDEX] = { .type = NLA_U32 },
	[ESPTUN_A_IFNAME] = { .type = NLA_STRING, .maxlen = IF_NAMESIZE },
	[ESPTUN_A_DEV] = { .type = NLA_NESTED },
	[ESPTUN_A_SA] = { .type = NLA_NESTED },
	[ESPTUN_A_EXPIRE_REASON] = { .type = NLA_U8 },
};

#define ADDR4	{ .type = NLA_UNSPEC, .minlen = 4, .maxlen = 4 }
#define ADDR6	{ .type = NLA_UNSPEC, .minlen = 16, .maxlen = 16 }

static struct nla_policy dev_policy[ESPTUN_DEV_A_MAX + 1] = {
	[ESPTUN_DEV_A_LOCAL_IPV4] = ADDR4,
	[ESPTUN_DEV_A_LOCAL_IPV6] = ADDR6,
	[ESPTUN_DEV_A_REMOTE_IPV4] = ADDR4,
	[ESPTUN_DEV_A_REMOTE_IPV6] = ADDR6,
	[ESPTUN_DEV_A_ENCAP] = { .type = NLA_U8 },
	[ESPTUN_DEV_A_ENCAP_SPORT] = { .type = NLA_U16 },
	[ESPTUN_DEV_A_ENCAP_DPORT] = { .type = NLA_U16 },
	[ESPTUN_DEV_A_SA_COUNT] = { .type = NLA_U32 },
	[ESPTUN_DEV_A_STATS] = { .type = NLA_NESTED },
};

static struct nla_policy sa_policy[ESPTUN_SA_A_MAX + 1] = {
	[ESPTUN_SA_A_DIR] = { .type = NLA_U8 },
	[ESPTUN_SA_A_SPI] = { .type = NLA_U32 },
	[ESPTUN_SA_A_LOCAL_IPV4] = ADDR4,
	[ESPTUN_SA_A_LOCAL_IPV6] = ADDR6,
	[ESPTUN_SA_A_REMOTE_IPV4] = ADDR4,
	[ESPTUN_SA_A_REMOTE_IPV6] = ADDR6,
	[ESPTUN_SA_A_ENC_ALG] = { .type = NLA_STRING,
				  .maxlen = ESPTUN_ALG_NAME_MAX },
	[ESPTUN_SA_A_AUTH_ALG] = { .type = NLA_STRING,
				   .maxlen = ESPTUN_ALG_NAME_MAX },
	[ESPTUN_SA_A_ICV_BITS] = { .type = NLA_U32 },
	[ESPTUN_SA_A_REPLAY_WINDOW] = { .type = NLA_U32 },
	[ESPTUN_SA_A_ESN] = { .type = NLA_FLAG },
	[ESPTUN_SA_A_SEQ] = { .type = NLA_U64 },
	[ESPTUN_SA_A_OSEQ] = { .type = NLA_U64 },
	[ESPTUN_SA_A_LIFETIME] = { .type = NLA_NESTED },
	[ESPTUN_SA_A_ENCAP] = { .type = NLA_U8 },
	[ESPTUN_SA_A_ENCAP_SPORT] = { .type = NLA_U16 },
	[ESPTUN_SA_A_ENCAP_DPORT] = { .type = NLA_U16 },
	[ESPTUN_SA_A_SELECTOR] = { .type = NLA_NESTED },
	[ESPTUN_SA_A_STATE] = { .type = NLA_U8 },
	[ESPTUN_SA_A_STATS] = { .type = NLA_NESTED },
	[ESPTUN_SA_A_ADD_TIME] = { .type = NLA_U64 },
	[ESPTUN_SA_A_FIRST_USE] = { .type = NLA_U64 },
	[ESPTUN_SA_A_LAST_USE] = { .type = NLA_U64 },
	[ESPTUN_SA_A_SPI_MIN] = { .type = NLA_U32 },
	[ESPTUN_SA_A_SPI_MAX] = { .type = NLA_U32 },
	[ESPTUN_SA_A_RESERVE_SECONDS] = { .type = NLA_U32 },
};

static struct nla_policy sel_policy[ESPTUN_SEL_A_MAX + 1] = {
	[ESPTUN_SEL_A_SRC_IPV4] = ADDR4,
	[ESPTUN_SEL_A_SRC_IPV6] = ADDR6,
	[ESPTUN_SEL_A_SRC_PREFIXLEN] = { .type = NLA_U8 },
	[ESPTUN_SEL_A_DST_IPV4] = ADDR4,
	[ESPTUN_SEL_A_DST_IPV6] = ADDR6,
	[ESPTUN_SEL_A_DST_PREFIXLEN] = { .type = NLA_U8 },
	[ESPTUN_SEL_A_PROTO] = { .type = NLA_U8 },
	[ESPTUN_SEL_A_SPORT] = { .type = NLA_U16 },
	[ESPTUN_SEL_A_DPORT] = { .type = NLA_U16 },
};

int ipc_open(const char *op)
{
	int one = 1, err;

	op_name = op;
	sock = nl_socket_alloc();
	if (!sock) {
		fprintf(stderr, "esptun: %s: out of memory\n", op);
		return -1;
	}
	err = genl_connect(sock);
	if (err < 0) {
		fprintf(stderr, "esptun: %s: netlink: %s\n", op,
			nl_geterror(err));
		goto fail;
	}
	/* Without it the kernel's reason for a refusal is lost. */
	if (setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) < 0) {
		fprintf(stderr, "esptun: %s: NETLINK_EXT_ACK: %s\n", op,
			strerror(errno));
		goto fail;
	}
	family = genl_ctrl_resolve(sock, ESPTUN_GENL_NAME);
	if (family < 0) {
		fprintf(stderr,
			"esptun: %s: generic netlink family \"%s\" not found (is esptun.ko loaded?)\n",
			op, ESPTUN_GENL_NAME);
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(sock);
	sock = NULL;
	return -1;
}

void ipc_close(void)
{
	if (sock)
		nl_socket_free(sock);
	sock = NULL;
}

/* NLMSGERR_ATTR_MSG from the TLVs that start @off bytes into @nlh. */
static void get_extack(const struct nlmsghdr *nlh, size_t off, struct req *r)
{
	static const char prefix[] = ESPTUN_GENL_NAME ": ";
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t n = sizeof(prefix) - 1;
	struct nlattr *msg;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + off),
		      nlh->nlmsg_len - off, NULL) < 0)
		return;
	msg = tb[NLMSGERR_ATTR_MSG];
	if (!msg || nla_len(msg) <= 0)
		return;
	snprintf(r->extack, sizeof(r->extack), "%.*s", nla_len(msg),
		 (const char *)nla_data(msg));
	/*
	 * NL_SET_ERR_MSG_MOD() starts the message with the module name, which
	 * the line already starts with: "esptun: sa add: esptun: ..." says
	 * nothing more.
	 */
	if (!strncmp(r->extack, prefix, n))
		memmove(r->extack, r->extack + n, strlen(r->extack + n) + 1);
}

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct req *r = arg;
	size_t payload = sizeof(*e);

	/* The request is echoed unless capped; the TLVs follow it. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	r->error = e->error < 0 ? e->error : -EPROTO;
	get_extack(nlh, NLMSG_HDRLEN + NLMSG_ALIGN(payload), r);
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	r->done = 1;
	return NL_STOP;
}

/* A dump that fails after it started reports the errno in NLMSG_DONE. */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req *r = arg;
	int err;

	r->done = 1;
	if (nlmsg_datalen(nlh) >= (int)sizeof(int)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0) {
			r->error = err;
			get_extack(nlh, NLMSG_HDRLEN + NLA_ALIGN(sizeof(int)),
				   r);
		}
	}
	return NL_STOP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	if (r->parse && !r->parse_error &&
	    r->parse(nlmsg_hdr(msg), r->arg) < 0)
		r->parse_error = 1;
	return NL_OK;
}

static void report(const char *op, const struct req *r)
{
	if (r->local)
		fprintf(stderr, "esptun: %s: %s\n", op, r->local);
	else if (r->error && r->extack[0])
		fprintf(stderr, "esptun: %s: %s (%s)\n", op, r->extack,
			strerror(-r->error));
	else if (r->error)
		fprintf(stderr, "esptun: %s: %s\n", op, strerror(-r->error));
	else if (r->parse_error)
		fprintf(stderr, "esptun: %s: unexpected reply from the kernel\n",
			op);
}

/*
 * Sends @msg (wiped and freed here: it may hold keys) and reads until the
 * ACK, the end of the dump or an error. Returns 0 or -1; the details stay
 * in @r so a caller may accept a particular errno.
 */
static int run(struct nl_msg *msg, struct req *r)
{
	struct nl_cb *cb;
	int err;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		r->local = "out of memory";
		explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
		nlmsg_free(msg);
		return -1;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, r);

	err = nl_send_auto(sock, msg);
	explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
	if (err < 0) {
		r->local = nl_geterror(err);
	} else {
		while (!r->done && !r->error) {
			err = nl_recvmsgs(sock, cb);
			if (err < 0 && !r->error) {
				r->local = nl_geterror(err);
				break;
			}
		}
	}
	nl_cb_put(cb);
	return r->local || r->error || r->parse_error ? -1 : 0;
}

static struct nl_msg *new_msg(uint8_t cmd, int flags, uint32_t ifindex)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags,
			 cmd, ESPTUN_GENL_VERSION))
		goto fail;
	if (ifindex && nla_put_u32(msg, ESPTUN_A_IFINDEX, ifindex) < 0)
		goto fail;
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

static int put_addr(struct nl_msg *msg, int attr4, int attr6,
		    const struct ipaddr *a)
{
	if (a->family == AF_INET)
		return nla_put(msg, attr4, 4, &a->v4);
	if (a->family == AF_INET6)
		return nla_put(msg, attr6, 16, &a->v6);
	return 0;
}

static void get_addr(struct nlattr *a4, struct nlattr *a6, struct ipaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (a4) {
		a->family = AF_INET;
		memcpy(&a->v4, nla_data(a4), 4);
	} else if (a6) {
		a->family = AF_INET6;
		memcpy(&a->v6, nla_data(a6), 16);
	}
}

/* Counters and limits are lists of u64; unknown (newer) ones are skipped. */
static int get_u64_list(struct nlattr *nest, int max, int pad, uint64_t *has,
			uint64_t *vals)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		int t = nla_type(a);

		if (t <= 0 || t > max || t == pad)
			continue;
		if (nla_len(a) != sizeof(uint64_t))
			return -1;
		vals[t] = nla_get_u64(a);
		*has |= BIT(t);
	}
	return 0;
}

static int ifname_of(struct nlattr **tb, uint32_t *ifindex, char *ifname)
{
	if (tb[ESPTUN_A_IFINDEX])
		*ifindex = nla_get_u32(tb[ESPTUN_A_IFINDEX]);
	if (tb[ESPTUN_A_IFNAME])
		nla_strlcpy(ifname, tb[ESPTUN_A_IFNAME], IF_NAMESIZE);
	return 0;
}

/* ---- devices ---- */

struct dev_ctx {
	ipc_dev_cb cb;
	void *arg;
};

static int parse_dev(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1], *d[ESPTUN_DEV_A_MAX + 1];
	struct dev_ctx *ctx = arg;
	struct esptun_dev dev;
	int i;

	memset(&dev, 0, sizeof(dev));
	if (genlmsg_parse(nlh, 0, tb, ESPTUN_A_MAX, top_policy) < 0 ||
	    !tb[ESPTUN_A_IFINDEX])
		return -1;
	ifname_of(tb, &dev.ifindex, dev.ifname);
	if (tb[ESPTUN_A_DEV]) {
		if (nla_parse_nested(d, ESPTUN_DEV_A_MAX, tb[ESPTUN_A_DEV],
				     dev_policy) < 0)
			return -1;
		for (i = 1; i <= ESPTUN_DEV_A_MAX; i++)
			if (d[i])
				dev.has |= BIT(i);
		get_addr(d[ESPTUN_DEV_A_LOCAL_IPV4], d[ESPTUN_DEV_A_LOCAL_IPV6],
			 &dev.local);
		get_addr(d[ESPTUN_DEV_A_REMOTE_IPV4],
			 d[ESPTUN_DEV_A_REMOTE_IPV6], &dev.remote);
		if (d[ESPTUN_DEV_A_ENCAP])
			dev.encap = nla_get_u8(d[ESPTUN_DEV_A_ENCAP]);
		if (d[ESPTUN_DEV_A_ENCAP_SPORT])
			dev.sport = nla_get_u16(d[ESPTUN_DEV_A_ENCAP_SPORT]);
		if (d[ESPTUN_DEV_A_ENCAP_DPORT])
			dev.dport = nla_get_u16(d[ESPTUN_DEV_A_ENCAP_DPORT]);
		if (d[ESPTUN_DEV_A_SA_COUNT])
			dev.sa_count = nla_get_u32(d[ESPTUN_DEV_A_SA_COUNT]);
		if (d[ESPTUN_DEV_A_STATS] &&
		    get_u64_list(d[ESPTUN_DEV_A_STATS], ESPTUN_STAT_MAX,
				 ESPTUN_STAT_PAD, &dev.stats_has, dev.stats) < 0)
			return -1;
	}
	return ctx->cb(&dev, ctx->arg);
}

int ipc_dev_get(uint32_t ifindex, ipc_dev_cb cb, void *arg)
{
	struct dev_ctx ctx = { cb, arg };
	struct req r = { .parse = parse_dev, .arg = &ctx };
	struct nl_msg *msg;

	msg = new_msg(ESPTUN_CMD_DEV_GET, ifindex ? 0 : NLM_F_DUMP, ifindex);
	if (!msg) {
		fprintf(stderr, "esptun: %s: out of memory\n", op_name);
		return -1;
	}
	if (run(msg, &r) < 0) {
		report(op_name, &r);
		return -1;
	}
	return 0;
}

int ipc_dev_set(const struct esptun_dev *dev)
{
	struct req r = { 0 };
	struct nl_msg *msg;
	struct nlattr *nest;

	msg = new_msg(ESPTUN_CMD_DEV_SET, 0, dev->ifindex);
	if (!msg)
		goto nomem;
	nest = nla_nest_start(msg, ESPTUN_A_DEV);
	if (!nest ||
	    put_addr(msg, ESPTUN_DEV_A_LOCAL_IPV4, ESPTUN_DEV_A_LOCAL_IPV6,
		     &dev->local) < 0 ||
	    put_addr(msg, ESPTUN_DEV_A_REMOTE_IPV4, ESPTUN_DEV_A_REMOTE_IPV6,
		     &dev->remote) < 0 ||
	    (dev->has & BIT(ESPTUN_DEV_A_ENCAP) &&
	     nla_put_u8(msg, ESPTUN_DEV_A_ENCAP, dev->encap) < 0) ||
	    (dev->has & BIT(ESPTUN_DEV_A_ENCAP_SPORT) &&
	     nla_put_u16(msg, ESPTUN_DEV_A_ENCAP_SPORT, dev->sport) < 0) ||
	    (dev->has & BIT(ESPTUN_DEV_A_ENCAP_DPORT) &&
	     nla_put_u16(msg, ESPTUN_DEV_A_ENCAP_DPORT, dev->dport) < 0)) {
		nlmsg_free(msg);
		goto nomem;
	}
	nla_nest_end(msg, nest);
	if (run(msg, &r) < 0) {
		report(op_name, &r);
		return -1;
	}
	return 0;
nomem:
	fprintf(stderr, "esptun: %s: out of memory\n", op_name);
	return -1;
}

/* ---- SAs ---- */

static int parse_sel(struct nlattr *nest, struct esptun_sel *sel)
{
	struct nlattr *s[ESPTUN_SEL_A_MAX + 1];
	int i;

	if (nla_parse_nested(s, ESPTUN_SEL_A_MAX, nest, sel_policy) < 0)
		return -1;
	for (i = 1; i <= ESPTUN_SEL_A_MAX; i++)
		if (s[i])
			sel->has |= BIT(i);
	get_addr(s[ESPTUN_SEL_A_SRC_IPV4], s[ESPTUN_SEL_A_SRC_IPV6], &sel->src);
	get_addr(s[ESPTUN_SEL_A_DST_IPV4], s[ESPTUN_SEL_A_DST_IPV6], &sel->dst);
	if (s[ESPTUN_SEL_A_SRC_PREFIXLEN])
		sel->src_plen = nla_get_u8(s[ESPTUN_SEL_A_SRC_PREFIXLEN]);
	if (s[ESPTUN_SEL_A_DST_PREFIXLEN])
		sel->dst_plen = nla_get_u8(s[ESPTUN_SEL_A_DST_PREFIXLEN]);
	if (s[ESPTUN_SEL_A_PROTO])
		sel->proto = nla_get_u8(s[ESPTUN_SEL_A_PROTO]);
	if (s[ESPTUN_SEL_A_SPORT])
		sel->sport = nla_get_u16(s[ESPTUN_SEL_A_SPORT]);
	if (s[ESPTUN_SEL_A_DPORT])
		sel->dport = nla_get_u16(s[ESPTUN_SEL_A_DPORT]);
	return 0;
}

static int parse_sa_nest(struct nlattr *nest, struct esptun_sa *sa)
{
	struct nlattr *s[ESPTUN_SA_A_MAX + 1];
	int i;

	if (nla_parse_nested(s, ESPTUN_SA_A_MAX, nest, sa_policy) < 0)
		return -1;
	for (i = 1; i <= ESPTUN_SA_A_MAX; i++)
		if (s[i])
			sa->has |= BIT(i);
	if (s[ESPTUN_SA_A_DIR])
		sa->dir = nla_get_u8(s[ESPTUN_SA_A_DIR]);
	if (s[ESPTUN_SA_A_SPI])
		sa->spi = nla_get_u32(s[ESPTUN_SA_A_SPI]);
	get_addr(s[ESPTUN_SA_A_LOCAL_IPV4], s[ESPTUN_SA_A_LOCAL_IPV6],
		 &sa->local);
	get_addr(s[ESPTUN_SA_A_REMOTE_IPV4], s[ESPTUN_SA_A_REMOTE_IPV6],
		 &sa->remote);
	if (s[ESPTUN_SA_A_ENC_ALG])
		nla_strlcpy(sa->enc_alg, s[ESPTUN_SA_A_ENC_ALG],
			    sizeof(sa->enc_alg));
	if (s[ESPTUN_SA_A_AUTH_ALG])
		nla_strlcpy(sa->auth_alg, s[ESPTUN_SA_A_AUTH_ALG],
			    sizeof(sa->auth_alg));
	/* Keys are write-only by contract; never read one back. */
	sa->has &= ~(BIT(ESPTUN_SA_A_ENC_KEY) | BIT(ESPTUN_SA_A_AUTH_KEY));
	if (s[ESPTUN_SA_A_ICV_BITS])
		sa->icv_bits = nla_get_u32(s[ESPTUN_SA_A_ICV_BITS]);
	if (s[ESPTUN_SA_A_REPLAY_WINDOW])
		sa->replay_window = nla_get_u32(s[ESPTUN_SA_A_REPLAY_WINDOW]);
	if (s[ESPTUN_SA_A_SEQ])
		sa->seq = nla_get_u64(s[ESPTUN_SA_A_SEQ]);
	if (s[ESPTUN_SA_A_OSEQ])
		sa->oseq = nla_get_u64(s[ESPTUN_SA_A_OSEQ]);
	if (s[ESPTUN_SA_A_LIFETIME] &&
	    get_u64_list(s[ESPTUN_SA_A_LIFETIME], ESPTUN_LT_A_MAX,
			 ESPTUN_LT_A_PAD, &sa->lt_has, sa->lifetime) < 0)
		return -1;
	if (s[ESPTUN_SA_A_ENCAP])
		sa->encap = nla_get_u8(s[ESPTUN_SA_A_ENCAP]);
	if (s[ESPTUN_SA_A_ENCAP_SPORT])
		sa->sport = nla_get_u16(s[ESPTUN_SA_A_ENCAP_SPORT]);
	if (s[ESPTUN_SA_A_ENCAP_DPORT])
		sa->dport = nla_get_u16(s[ESPTUN_SA_A_ENCAP_DPORT]);
	if (s[ESPTUN_SA_A_SELECTOR] &&
	    parse_sel(s[ESPTUN_SA_A_SELECTOR], &sa->sel) < 0)
		return -1;
	if (s[ESPTUN_SA_A_STATE])
		sa->state = nla_get_u8(s[ESPTUN_SA_A_STATE]);
	if (s[ESPTUN_SA_A_STATS] &&
	    get_u64_list(s[ESPTUN_SA_A_STATS], ESPTUN_STAT_MAX,
			 ESPTUN_STAT_PAD, &sa->stats_has, sa->stats) < 0)
		return -1;
	if (s[ESPTUN_SA_A_ADD_TIME])
		sa->add_time = nla_get_u64(s[ESPTUN_SA_A_ADD_TIME]);
	if (s[ESPTUN_SA_A_FIRST_USE])
		sa->first_use = nla_get_u64(s[ESPTUN_SA_A_FIRST_USE]);
	if (s[ESPTUN_SA_A_LAST_USE])
		sa->last_use = nla_get_u64(s[ESPTUN_SA_A_LAST_USE]);
	if (s[ESPTUN_SA_A_SPI_MIN])
		sa->spi_min = nla_get_u32(s[ESPTUN_SA_A_SPI_MIN]);
	if (s[ESPTUN_SA_A_SPI_MAX])
		sa->spi_max = nla_get_u32(s[ESPTUN_SA_A_SPI_MAX]);
	if (s[ESPTUN_SA_A_RESERVE_SECONDS])
		sa->reserve_seconds =
			nla_get_u32(s[ESPTUN_SA_A_RESERVE_SECONDS]);
	return 0;
}

static int put_sel(struct nl_msg *msg, const struct esptun_sel *sel)
{
	struct nlattr *nest = nla_nest_start(msg, ESPTUN_SA_A_SELECTOR);

	if (!nest ||
	    put_addr(msg, ESPTUN_SEL_A_SRC_IPV4, ESPTUN_SEL_A_SRC_IPV6,
		     &sel->src) < 0 ||
	    (sel->src.family &&
	     nla_put_u8(msg, ESPTUN_SEL_A_SRC_PREFIXLEN, sel->src_plen) < 0) ||
	    put_addr(msg, ESPTUN_SEL_A_DST_IPV4, ESPTUN_SEL_A_DST_IPV6,
		     &sel->dst) < 0 ||
	    (sel->dst.family &&
	     nla_put_u8(msg, ESPTUN_SEL_A_DST_PREFIXLEN, sel->dst_plen) < 0) ||
	    (sel->has & BIT(ESPTUN_SEL_A_PROTO) &&
	     nla_put_u8(msg, ESPTUN_SEL_A_PROTO, sel->proto) < 0) ||
	    (sel->has & BIT(ESPTUN_SEL_A_SPORT) &&
	     nla_put_u16(msg, ESPTUN_SEL_A_SPORT, sel->sport) < 0) ||
	    (sel->has & BIT(ESPTUN_SEL_A_DPORT) &&
	     nla_put_u16(msg, ESPTUN_SEL_A_DPORT, sel->dport) < 0))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_lifetime(struct nl_msg *msg, const struct esptun_sa *sa)
{
	struct nlattr *nest = nla_nest_start(msg, ESPTUN_SA_A_LIFETIME);
	int t;

	if (!nest)
		return -1;
	for (t = 1; t <= ESPTUN_LT_A_MAX; t++) {
		if (t == ESPTUN_LT_A_PAD || !(sa->lt_has & BIT(t)))
			continue;
		if (nla_put_u64(msg, t, sa->lifetime[t]) < 0)
			return -1;
	}
	nla_nest_end(msg, nest);
	return 0;
}

#define HAS(sa, a)	((sa)->has & BIT(ESPTUN_SA_A_##a))

/* Puts the SA nest with what @sa->has says, keys with their algorithms. */
static int put_sa(struct nl_msg *msg, const struct esptun_sa *sa)
{
	struct nlattr *nest = nla_nest_start(msg, ESPTUN_A_SA);

	if (!nest)
		return -1;
	if ((HAS(sa, DIR) && nla_put_u8(msg, ESPTUN_SA_A_DIR, sa->dir) < 0) ||
	    (HAS(sa, SPI) && nla_put_u32(msg, ESPTUN_SA_A_SPI, sa->spi) < 0) ||
	    put_addr(msg, ESPTUN_SA_A_LOCAL_IPV4, ESPTUN_SA_A_LOCAL_IPV6,
		     &sa->local) < 0 ||
	    put_addr(msg, ESPTUN_SA_A_REMOTE_IPV4, ESPTUN_SA_A_REMOTE_IPV6,
		     &sa->remote) < 0)
		return -1;
	if (HAS(sa, ENC_ALG) &&
	    (nla_put_string(msg, ESPTUN_SA_A_ENC_ALG, sa->enc_alg) < 0 ||
	     nla_put(msg, ESPTUN_SA_A_ENC_KEY, sa->enc_key_len,
		     sa->enc_key) < 0))
		return -1;
	if (HAS(sa, AUTH_ALG) &&
	    (nla_put_string(msg, ESPTUN_SA_A_AUTH_ALG, sa->auth_alg) < 0 ||
	     nla_put(msg, ESPTUN_SA_A_AUTH_KEY, sa->auth_key_len,
		     sa->auth_key) < 0))
		return -1;
	if ((HAS(sa, ICV_BITS) &&
	     nla_put_u32(msg, ESPTUN_SA_A_ICV_BITS, sa->icv_bits) < 0) ||
	    (HAS(sa, REPLAY_WINDOW) &&
	     nla_put_u32(msg, ESPTUN_SA_A_REPLAY_WINDOW,
			 sa->replay_window) < 0) ||
	    (HAS(sa, ESN) && nla_put_flag(msg, ESPTUN_SA_A_ESN) < 0) ||
	    (HAS(sa, SEQ) && nla_put_u64(msg, ESPTUN_SA_A_SEQ, sa->seq) < 0) ||
	    (HAS(sa, OSEQ) &&
	     nla_put_u64(msg, ESPTUN_SA_A_OSEQ, sa->oseq) < 0) ||
	    (HAS(sa, LIFETIME) && put_lifetime(msg, sa) < 0) ||
	    (HAS(sa, ENCAP) &&
	     nla_put_u8(msg, ESPTUN_SA_A_ENCAP, sa->encap) < 0) ||
	    (HAS(sa, ENCAP_SPORT) &&
	     nla_put_u16(msg, ESPTUN_SA_A_ENCAP_SPORT, sa->sport) < 0) ||
	    (HAS(sa, ENCAP_DPORT) &&
	     nla_put_u16(msg, ESPTUN_SA_A_ENCAP_DPORT, sa->dport) < 0) ||
	    (HAS(sa, SELECTOR) && put_sel(msg, &sa->sel) < 0) ||
	    (HAS(sa, SPI_MIN) &&
	     nla_put_u32(msg, ESPTUN_SA_A_SPI_MIN, sa->spi_min) < 0) ||
	    (HAS(sa, SPI_MAX) &&
	     nla_put_u32(msg, ESPTUN_SA_A_SPI_MAX, sa->spi_max) < 0) ||
	    (HAS(sa, RESERVE_SECONDS) &&
	     nla_put_u32(msg, ESPTUN_SA_A_RESERVE_SECONDS,
			 sa->reserve_seconds) < 0))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

struct sa_ctx {
	ipc_sa_cb cb;
	void *arg;
	uint32_t spi;	/* SPI_ALLOC reply */
	int got_spi;
};

static int parse_sa(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1];
	struct sa_ctx *ctx = arg;
	struct esptun_sa sa;

	memset(&sa, 0, sizeof(sa));
	if (genlmsg_parse(nlh, 0, tb, ESPTUN_A_MAX, top_policy) < 0 ||
	    !tb[ESPTUN_A_SA])
		return -1;
	ifname_of(tb, &sa.ifindex, sa.ifname);
	if (parse_sa_nest(tb[ESPTUN_A_SA], &sa) < 0)
		return -1;
	if (!ctx->cb) {
		if (!(sa.has & BIT(ESPTUN_SA_A_SPI)))
			return -1;
		ctx->spi = sa.spi;
		ctx->got_spi = 1;
		return 0;
	}
	return ctx->cb(&sa, ctx->arg);
}

int ipc_sa_dump(uint32_t ifindex, ipc_sa_cb cb, void *arg)
{
	struct sa_ctx ctx = { .cb = cb, .arg = arg };
	struct req r = { .parse = parse_sa, .arg = &ctx };
	struct nl_msg *msg;

	msg = new_msg(ESPTUN_CMD_SA_GET, NLM_F_DUMP, ifindex);
	if (!msg) {
		fprintf(stderr, "esptun: %s: out of memory\n", op_name);
		return -1;
	}
	if (run(msg, &r) < 0) {
		report(op_name, &r);
		return -1;
	}
	return 0;
}

static int sa_request(uint8_t cmd, uint32_t ifindex,
		      const struct esptun_sa *sa, struct sa_ctx *ctx)
{
	struct req r = { .parse = ctx ? parse_sa : NULL, .arg = ctx };
	struct nl_msg *msg;

	msg = new_msg(cmd, 0, ifindex);
	if (!msg)
		goto nomem;
	if (sa && put_sa(msg, sa) < 0) {
		explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
		nlmsg_free(msg);
		goto nomem;
	}
	if (run(msg, &r) < 0) {
		report(op_name, &r);
		return -1;
	}
	return 0;
nomem:
	fprintf(stderr, "esptun: %s: out of memory\n", op_name);
	return -1;
}

int ipc_sa_new(uint32_t ifindex, const struct esptun_sa *sa)
{
	return sa_request(ESPTUN_CMD_SA_NEW, ifindex, sa, NULL);
}

int ipc_sa_update(uint32_t ifindex, const struct esptun_sa *sa)
{
	return sa_request(ESPTUN_CMD_SA_UPDATE, ifindex, sa, NULL);
}

int ipc_sa_del(uint32_t ifindex, const struct esptun_sa *sa)
{
	return sa_request(ESPTUN_CMD_SA_DEL, ifindex, sa, NULL);
}

int ipc_sa_flush(uint32_t ifindex)
{
	return sa_request(ESPTUN_CMD_SA_FLUSH, ifindex, NULL, NULL);
}

int ipc_spi_alloc(uint32_t ifindex, const struct esptun_sa *req,
		  uint32_t *spi)
{
	struct sa_ctx ctx = { 0 };

	if (sa_request(ESPTUN_CMD_SPI_ALLOC, ifindex,
		       req->has || req->local.family ? req : NULL, &ctx) < 0)
		return -1;
	if (!ctx.got_spi) {
		fprintf(stderr, "esptun: %s: the kernel sent no SPI\n",
			op_name);
		return -1;
	}
	*spi = ctx.spi;
	return 0;
}

/* ---- events ---- */

struct ev_ctx {
	ipc_event_cb cb;
	void *arg;
	int failed;
};

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[ESPTUN_A_MAX + 1];
	struct genlmsghdr *gh;
	struct ev_ctx *ctx = arg;
	struct esptun_event ev;

	if (nlh->nlmsg_type != family || !genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	gh = nlmsg_data(nlh);
	memset(&ev, 0, sizeof(ev));
	ev.cmd = gh->cmd;
	if (genlmsg_parse(nlh, 0, tb, ESPTUN_A_MAX, top_policy) < 0 ||
	    (tb[ESPTUN_A_SA] && parse_sa_nest(tb[ESPTUN_A_SA], &ev.sa) < 0)) {
		fprintf(stderr, "esptun: %s: malformed event skipped\n",
			op_name);
		return NL_SKIP;
	}
	ifname_of(tb, &ev.sa.ifindex, ev.sa.ifname);
	if (tb[ESPTUN_A_EXPIRE_REASON])
		ev.reason = nla_get_u8(tb[ESPTUN_A_EXPIRE_REASON]);
	if (ctx->cb(&ev, ctx->arg) < 0) {
		ctx->failed = 1;
		return NL_STOP;
	}
	return NL_OK;
}

int ipc_monitor(ipc_event_cb cb, void *arg, volatile sig_atomic_t *stop,
		const sigset_t *waitmask)
{
	struct ev_ctx ctx = { cb, arg, 0 };
	struct pollfd pfd;
	int grp, err;

	grp = genl_ctrl_resolve_grp(sock, ESPTUN_GENL_NAME,
				    ESPTUN_MCGRP_EVENTS);
	if (grp < 0) {
		fprintf(stderr, "esptun: %s: multicast group \"%s\": %s\n",
			op_name, ESPTUN_MCGRP_EVENTS, nl_geterror(grp));
		return -1;
	}
	/* Events are not answers: they carry no sequence number of ours. */
	nl_socket_disable_seq_check(sock);
	nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &ctx);
	err = nl_socket_add_membership(sock, grp);
	if (err < 0) {
		fprintf(stderr, "esptun: %s: joining \"%s\": %s\n", op_name,
			ESPTUN_MCGRP_EVENTS, nl_geterror(err));
		return -1;
	}
	/* Bursts of expiries must not overrun the queue. */
	nl_socket_set_buffer_size(sock, 1 << 20, 0);
	/* Like tcpdump: from here on no event is missed, which scripts that
	 * start a monitor and then cause events need to know.
	 */
	fprintf(stderr, "esptun: %s: listening for events\n", op_name);

	pfd.fd = nl_socket_get_fd(sock);
	pfd.events = POLLIN;
	while (!*stop) {
		/*
		 * libnl retries recvmsg() on EINTR, so the signals reach us
		 * only here, in ppoll(), and *stop is checked right after.
		 */
		if (ppoll(&pfd, 1, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "esptun: %s: poll: %s\n", op_name,
				strerror(errno));
			return -1;
		}
		err = nl_recvmsgs_default(sock);
		if (ctx.failed)
			return -1;
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped events for us. */
			fprintf(stderr, "esptun: %s: events lost (receive queue overrun)\n",
				op_name);
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "esptun: %s: %s\n", op_name,
				nl_geterror(err));
			return -1;
		}
	}
	return 0;
}
