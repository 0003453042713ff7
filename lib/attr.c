// SPDX-License-Identifier: GPL-2.0
/*
 * struct etdev and struct etsa to and from the esptun family's attributes.
 * Replies are parsed with policies; keys are write-only by contract, so
 * none is ever read back into a struct.
 */
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "attr.h"

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
	[ESPTUN_DEV_A_CARRIER] = { .type = NLA_U8 },
	[ESPTUN_DEV_A_MSS_CLAMP] = { .type = NLA_U16 },
	[ESPTUN_DEV_A_MTU_AUTO] = { .type = NLA_U8 },
	[ESPTUN_DEV_A_PARALLEL] = { .type = NLA_U8 },
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
	[ESPTUN_SA_A_DRIVER] = { .type = NLA_STRING },
	[ESPTUN_SA_A_PARALLEL] = { .type = NLA_U8 },
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
	[ESPTUN_SEL_A_SRC_END_IPV4] = ADDR4,
	[ESPTUN_SEL_A_SRC_END_IPV6] = ADDR6,
	[ESPTUN_SEL_A_DST_END_IPV4] = ADDR4,
	[ESPTUN_SEL_A_DST_END_IPV6] = ADDR6,
};

int attr_put_addr(struct nl_msg *msg, int attr4, int attr6,
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

static void ifname_of(struct nlattr **tb, uint32_t *ifindex, char *ifname)
{
	if (tb[ESPTUN_A_IFINDEX])
		*ifindex = nla_get_u32(tb[ESPTUN_A_IFINDEX]);
	if (tb[ESPTUN_A_IFNAME])
		nla_strlcpy(ifname, tb[ESPTUN_A_IFNAME], IF_NAMESIZE);
}


int attr_put_dev(struct nl_msg *msg, const struct etdev *dev)
{
	struct nlattr *nest = nla_nest_start(msg, ESPTUN_A_DEV);

	if (!nest ||
	    attr_put_addr(msg, ESPTUN_DEV_A_LOCAL_IPV4, ESPTUN_DEV_A_LOCAL_IPV6,
			  &dev->local) < 0 ||
	    attr_put_addr(msg, ESPTUN_DEV_A_REMOTE_IPV4,
			  ESPTUN_DEV_A_REMOTE_IPV6, &dev->remote) < 0 ||
	    (dev->has & BIT(ESPTUN_DEV_A_ENCAP) &&
	     nla_put_u8(msg, ESPTUN_DEV_A_ENCAP, dev->encap) < 0) ||
	    (dev->has & BIT(ESPTUN_DEV_A_ENCAP_SPORT) &&
	     nla_put_u16(msg, ESPTUN_DEV_A_ENCAP_SPORT, dev->sport) < 0) ||
	    (dev->has & BIT(ESPTUN_DEV_A_ENCAP_DPORT) &&
	     nla_put_u16(msg, ESPTUN_DEV_A_ENCAP_DPORT, dev->dport) < 0) ||
	    (dev->has & BIT(ESPTUN_DEV_A_CARRIER) &&
	     nla_put_u8(msg, ESPTUN_DEV_A_CARRIER, dev->carrier) < 0) ||
	    (dev->has & BIT(ESPTUN_DEV_A_MSS_CLAMP) &&
	     nla_put_u16(msg, ESPTUN_DEV_A_MSS_CLAMP, dev->mss_clamp) < 0) ||
	    (dev->has & BIT(ESPTUN_DEV_A_MTU_AUTO) &&
	     nla_put_u8(msg, ESPTUN_DEV_A_MTU_AUTO, dev->mtu_auto) < 0) ||
	    (dev->has & BIT(ESPTUN_DEV_A_PARALLEL) &&
	     nla_put_u8(msg, ESPTUN_DEV_A_PARALLEL, dev->parallel) < 0))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

int attr_get_dev(struct nlmsghdr *nlh, struct etdev *dev)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1], *d[ESPTUN_DEV_A_MAX + 1];
	int i;

	memset(dev, 0, sizeof(*dev));
	if (genlmsg_parse(nlh, 0, tb, ESPTUN_A_MAX, top_policy) < 0 ||
	    !tb[ESPTUN_A_IFINDEX])
		return -1;
	ifname_of(tb, &dev->ifindex, dev->ifname);
	if (!tb[ESPTUN_A_DEV])
		return 0;
	if (nla_parse_nested(d, ESPTUN_DEV_A_MAX, tb[ESPTUN_A_DEV],
			     dev_policy) < 0)
		return -1;
	for (i = 1; i <= ESPTUN_DEV_A_MAX; i++)
		if (d[i])
			dev->has |= BIT(i);
	get_addr(d[ESPTUN_DEV_A_LOCAL_IPV4], d[ESPTUN_DEV_A_LOCAL_IPV6],
		 &dev->local);
	get_addr(d[ESPTUN_DEV_A_REMOTE_IPV4], d[ESPTUN_DEV_A_REMOTE_IPV6],
		 &dev->remote);
	if (d[ESPTUN_DEV_A_ENCAP])
		dev->encap = nla_get_u8(d[ESPTUN_DEV_A_ENCAP]);
	if (d[ESPTUN_DEV_A_ENCAP_SPORT])
		dev->sport = nla_get_u16(d[ESPTUN_DEV_A_ENCAP_SPORT]);
	if (d[ESPTUN_DEV_A_ENCAP_DPORT])
		dev->dport = nla_get_u16(d[ESPTUN_DEV_A_ENCAP_DPORT]);
	if (d[ESPTUN_DEV_A_CARRIER])
		dev->carrier = nla_get_u8(d[ESPTUN_DEV_A_CARRIER]);
	if (d[ESPTUN_DEV_A_MSS_CLAMP])
		dev->mss_clamp = nla_get_u16(d[ESPTUN_DEV_A_MSS_CLAMP]);
	if (d[ESPTUN_DEV_A_MTU_AUTO])
		dev->mtu_auto = nla_get_u8(d[ESPTUN_DEV_A_MTU_AUTO]);
	if (d[ESPTUN_DEV_A_PARALLEL])
		dev->parallel = nla_get_u8(d[ESPTUN_DEV_A_PARALLEL]);
	if (d[ESPTUN_DEV_A_SA_COUNT])
		dev->sa_count = nla_get_u32(d[ESPTUN_DEV_A_SA_COUNT]);
	if (d[ESPTUN_DEV_A_STATS] &&
	    get_u64_list(d[ESPTUN_DEV_A_STATS], ESPTUN_STAT_MAX,
			 ESPTUN_STAT_PAD, &dev->stats_has, dev->stats) < 0)
		return -1;
	return 0;
}

/* ---- SAs ---- */

static int parse_sel(struct nlattr *nest, struct etsel *sel)
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
	get_addr(s[ESPTUN_SEL_A_SRC_END_IPV4], s[ESPTUN_SEL_A_SRC_END_IPV6],
		 &sel->src_end);
	get_addr(s[ESPTUN_SEL_A_DST_END_IPV4], s[ESPTUN_SEL_A_DST_END_IPV6],
		 &sel->dst_end);
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

static int parse_sa_nest(struct nlattr *nest, struct etsa *sa)
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
	if (s[ESPTUN_SA_A_DRIVER])
		nla_strlcpy(sa->driver, s[ESPTUN_SA_A_DRIVER],
			    sizeof(sa->driver));
	if (s[ESPTUN_SA_A_PARALLEL])
		sa->parallel = nla_get_u8(s[ESPTUN_SA_A_PARALLEL]);
	return 0;
}

static int put_sel(struct nl_msg *msg, const struct etsel *sel)
{
	struct nlattr *nest = nla_nest_start(msg, ESPTUN_SA_A_SELECTOR);

	if (!nest ||
	    attr_put_addr(msg, ESPTUN_SEL_A_SRC_IPV4, ESPTUN_SEL_A_SRC_IPV6,
		  &sel->src) < 0 ||
	    (sel->src.family && !sel->src_end.family &&
	     nla_put_u8(msg, ESPTUN_SEL_A_SRC_PREFIXLEN, sel->src_plen) < 0) ||
	    attr_put_addr(msg, ESPTUN_SEL_A_SRC_END_IPV4,
			  ESPTUN_SEL_A_SRC_END_IPV6, &sel->src_end) < 0 ||
	    attr_put_addr(msg, ESPTUN_SEL_A_DST_IPV4, ESPTUN_SEL_A_DST_IPV6,
		  &sel->dst) < 0 ||
	    (sel->dst.family && !sel->dst_end.family &&
	     nla_put_u8(msg, ESPTUN_SEL_A_DST_PREFIXLEN, sel->dst_plen) < 0) ||
	    attr_put_addr(msg, ESPTUN_SEL_A_DST_END_IPV4,
			  ESPTUN_SEL_A_DST_END_IPV6, &sel->dst_end) < 0 ||
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

static int put_lifetime(struct nl_msg *msg, const struct etsa *sa)
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

int attr_put_sa(struct nl_msg *msg, const struct etsa *sa)
{
	struct nlattr *nest = nla_nest_start(msg, ESPTUN_A_SA);

	if (!nest)
		return -1;
	if ((HAS(sa, DIR) && nla_put_u8(msg, ESPTUN_SA_A_DIR, sa->dir) < 0) ||
	    (HAS(sa, SPI) && nla_put_u32(msg, ESPTUN_SA_A_SPI, sa->spi) < 0) ||
	    attr_put_addr(msg, ESPTUN_SA_A_LOCAL_IPV4, ESPTUN_SA_A_LOCAL_IPV6,
		  &sa->local) < 0 ||
	    attr_put_addr(msg, ESPTUN_SA_A_REMOTE_IPV4,
			  ESPTUN_SA_A_REMOTE_IPV6, &sa->remote) < 0)
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

int attr_get_sa(struct nlmsghdr *nlh, struct etsa *sa, uint8_t *reason)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1];

	memset(sa, 0, sizeof(*sa));
	if (genlmsg_parse(nlh, 0, tb, ESPTUN_A_MAX, top_policy) < 0)
		return -1;
	ifname_of(tb, &sa->ifindex, sa->ifname);
	if (reason)
		*reason = tb[ESPTUN_A_EXPIRE_REASON] ?
			  nla_get_u8(tb[ESPTUN_A_EXPIRE_REASON]) : 0;
	if (!tb[ESPTUN_A_SA])
		return 0;
	return parse_sa_nest(tb[ESPTUN_A_SA], sa) < 0 ? -1 : 1;
}
