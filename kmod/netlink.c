// SPDX-License-Identifier: GPL-2.0
/*
 * esptun generic netlink: command handlers and multicast events.
 *
 * Handlers run under the genetlink mutex (the family is not parallel), so
 * two commands never race; SA expiry work and the packet path are the
 * other actors, hence the SA table lock. The policy (netlink_policy.c)
 * has already checked types, lengths and ranges; what is left here is
 * presence, combinations and meaning, one message per rule, and every
 * rule is checked before anything changes.
 */

#include <linux/if.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <linux/inetdevice.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "netlink.h"
#include "netlink_policy.h"
#include "sa_table.h"

#define ESPTUN_SPI_MIN	256

/* A required attribute is missing: say which, in text and as miss_type. */
#define ESPTUN_MISSING(extack, nest, type, msg) ({			\
	struct netlink_ext_ack *__ea = (extack);			\
									\
	NL_SET_ERR_MSG_MOD(__ea, msg);					\
	NL_SET_ERR_ATTR_MISS(__ea, nest, type);				\
	-EINVAL;							\
})

#define ESPTUN_BAD(extack, attr, msg) ({				\
	struct netlink_ext_ack *__ea = (extack);			\
									\
	NL_SET_ERR_MSG_MOD(__ea, msg);					\
	NL_SET_BAD_ATTR(__ea, attr);					\
	-EINVAL;							\
})

/**
 * esptun_nl_pre_doit - resolve and hold the device a command names
 * @ops: the operation
 * @skb: the request
 * @info: request info; user_ptr[0] gets the struct esptun_dev (or NULL
 *	for an optional device not given), user_ptr[1] the tracker
 *
 * The device is looked up in the namespace of the requesting socket.
 * Return: 0 or a negative errno with an extack message.
 */
int esptun_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
		       struct genl_info *info)
{
	netdevice_tracker *tracker = (netdevice_tracker *)&info->user_ptr[1];
	struct nlattr **attrs = info->attrs;
	struct net *net = genl_info_net(info);
	struct net_device *dev;
	struct nlattr *id;

	BUILD_BUG_ON(sizeof(netdevice_tracker) > sizeof(info->user_ptr[1]));

	if (!(ops->internal_flags & (ESPTUN_NLF_NEED_DEV | ESPTUN_NLF_OPT_DEV)))
		return 0;
	if (!attrs[ESPTUN_A_IFINDEX] && !attrs[ESPTUN_A_IFNAME]) {
		if (ops->internal_flags & ESPTUN_NLF_OPT_DEV)
			return 0;
		return ESPTUN_MISSING(info->extack, NULL, ESPTUN_A_IFINDEX,
				      "missing IFINDEX or IFNAME");
	}

	rcu_read_lock();
	if (attrs[ESPTUN_A_IFINDEX]) {
		id = attrs[ESPTUN_A_IFINDEX];
		dev = dev_get_by_index_rcu(net, nla_get_u32(id));
	} else {
		id = attrs[ESPTUN_A_IFNAME];
		dev = dev_get_by_name_rcu(net, nla_data(id));
	}
	if (!dev) {
		rcu_read_unlock();
		NL_SET_ERR_MSG_MOD(info->extack, "no such device");
		NL_SET_BAD_ATTR(info->extack, id);
		return -ENODEV;
	}
	if (!esptun_is_esptun_dev(dev)) {
		rcu_read_unlock();
		NL_SET_ERR_MSG_MOD(info->extack, "not an esptun device");
		NL_SET_BAD_ATTR(info->extack, id);
		return -EOPNOTSUPP;
	}
	netdev_hold(dev, tracker, GFP_ATOMIC);
	rcu_read_unlock();
	info->user_ptr[0] = netdev_priv(dev);
	return 0;
}

/**
 * esptun_nl_post_doit - release the device held by esptun_nl_pre_doit()
 * @ops: the operation
 * @skb: the request
 * @info: request info
 */
void esptun_nl_post_doit(const struct genl_ops *ops, struct sk_buff *skb,
			 struct genl_info *info)
{
	netdevice_tracker *tracker = (netdevice_tracker *)&info->user_ptr[1];
	struct esptun_dev *ed = info->user_ptr[0];

	if (ed)
		netdev_put(ed->dev, tracker);
}

/* ---- attribute helpers ---- */

static int esptun_put_addr(struct sk_buff *skb, u16 family, int a4, int a6,
			   const union esptun_inaddr *a)
{
	if (family == AF_INET)
		return nla_put_in_addr(skb, a4, a->v4);
	if (family == AF_INET6)
		return nla_put_in6_addr(skb, a6, &a->v6);
	return 0;
}

static bool esptun_addr_any(u16 family, const union esptun_inaddr *a)
{
	if (family == AF_INET)
		return !a->v4;
	return ipv6_addr_any(&a->v6);
}

/* One address from an (IPv4, IPv6) attribute pair; both at once is an
 * error. Return: the family found, 0 if none, or a negative errno.
 */
static int esptun_get_addr(struct nlattr **tb, int a4, int a6,
			   union esptun_inaddr *out,
			   struct netlink_ext_ack *extack)
{
	if (tb[a4] && tb[a6]) {
		NL_SET_ERR_MSG_MOD(extack,
				   "an address is IPv4 or IPv6, not both");
		NL_SET_BAD_ATTR(extack, tb[a6]);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (tb[a4]) {
		out->v4 = nla_get_in_addr(tb[a4]);
		return AF_INET;
	}
	if (tb[a6]) {
		out->v6 = nla_get_in6_addr(tb[a6]);
		return AF_INET6;
	}
	return 0;
}

static int esptun_put_stat(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, ESPTUN_STAT_PAD);
}

/* ---- devices ---- */

static int esptun_fill_dev(struct sk_buff *skb, struct esptun_dev *ed,
			   u32 portid, u32 seq, int flags, u8 cmd)
{
	struct esptun_net *en = esptun_pernet(ed->net);
	struct esptun_endpoint ep;
	struct nlattr *nest, *stats;
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, portid, seq, &esptun_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	spin_lock_bh(&ed->lock);
	ep = ed->ep;
	spin_unlock_bh(&ed->lock);

	if (nla_put_u32(skb, ESPTUN_A_IFINDEX, ed->dev->ifindex) ||
	    nla_put_string(skb, ESPTUN_A_IFNAME, ed->dev->name))
		goto err;
	nest = nla_nest_start(skb, ESPTUN_A_DEV);
	if (!nest)
		goto err;
	if (ep.family && !esptun_addr_any(ep.family, &ep.local) &&
	    esptun_put_addr(skb, ep.family, ESPTUN_DEV_A_LOCAL_IPV4,
			    ESPTUN_DEV_A_LOCAL_IPV6, &ep.local))
		goto err;
	if (ep.family && !esptun_addr_any(ep.family, &ep.remote) &&
	    esptun_put_addr(skb, ep.family, ESPTUN_DEV_A_REMOTE_IPV4,
			    ESPTUN_DEV_A_REMOTE_IPV6, &ep.remote))
		goto err;
	if (nla_put_u8(skb, ESPTUN_DEV_A_ENCAP, ep.encap))
		goto err;
	if (ep.encap == ESPTUN_ENCAP_UDP &&
	    (nla_put_u16(skb, ESPTUN_DEV_A_ENCAP_SPORT, ntohs(ep.sport)) ||
	     nla_put_u16(skb, ESPTUN_DEV_A_ENCAP_DPORT, ntohs(ep.dport))))
		goto err;
	if (nla_put_u32(skb, ESPTUN_DEV_A_SA_COUNT, READ_ONCE(ed->sa_count)))
		goto err;
	stats = nla_nest_start(skb, ESPTUN_DEV_A_STATS);
	if (!stats)
		goto err;
	for (i = ESPTUN_STAT_REPLAY; i <= ESPTUN_STAT_EXPIRED; i++) {
		u64 v = i == ESPTUN_STAT_UNKNOWN_SPI ?
			atomic64_read(&en->unknown_spi) :
			atomic64_read(&ed->stats[i]);

		if (esptun_put_stat(skb, i, v))
			goto err;
	}
	nla_nest_end(skb, stats);
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/**
 * esptun_nl_dev_get_doit - ESPTUN_CMD_DEV_GET for one device
 * @skb: request
 * @info: request info
 *
 * Return: 0 or a negative errno.
 */
int esptun_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct esptun_dev *ed = info->user_ptr[0];
	struct sk_buff *msg;
	int err;

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = esptun_fill_dev(msg, ed, info->snd_portid, info->snd_seq, 0,
			      ESPTUN_CMD_DEV_GET);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/**
 * esptun_nl_dev_get_dumpit - ESPTUN_CMD_DEV_GET dump
 * @skb: reply buffer
 * @cb: dump state; args[0] counts devices already sent
 *
 * Return: bytes written, 0 at the end.
 */
int esptun_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct esptun_net *en = esptun_pernet(sock_net(skb->sk));
	struct esptun_dev *ed;
	long idx = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(ed, &en->devs, node) {
		if (idx < cb->args[0]) {
			idx++;
			continue;
		}
		if (esptun_fill_dev(skb, ed, NETLINK_CB(cb->skb).portid,
				    cb->nlh->nlmsg_seq, NLM_F_MULTI,
				    ESPTUN_CMD_DEV_GET))
			break;
		idx++;
	}
	rcu_read_unlock();
	cb->args[0] = idx;
	return skb->len;
}

/**
 * esptun_nl_dev_set_doit - ESPTUN_CMD_DEV_SET
 * @skb: request
 * @info: request info
 *
 * Return: 0 or a negative errno.
 */
int esptun_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct esptun_dev *ed = info->user_ptr[0];
	struct nlattr *tb[ESPTUN_DEV_A_MAX + 1];
	union esptun_inaddr local, remote;
	struct esptun_endpoint ep;
	int lfam, rfam, err;

	if (!info->attrs[ESPTUN_A_DEV])
		return ESPTUN_MISSING(extack, NULL, ESPTUN_A_DEV,
				      "missing DEV attributes");
	err = nla_parse_nested(tb, ESPTUN_DEV_A_MAX, info->attrs[ESPTUN_A_DEV],
			       NULL, extack);
	if (err)
		return err;

	lfam = esptun_get_addr(tb, ESPTUN_DEV_A_LOCAL_IPV4,
			       ESPTUN_DEV_A_LOCAL_IPV6, &local, extack);
	if (lfam < 0)
		return lfam;
	rfam = esptun_get_addr(tb, ESPTUN_DEV_A_REMOTE_IPV4,
			       ESPTUN_DEV_A_REMOTE_IPV6, &remote, extack);
	if (rfam < 0)
		return rfam;

	spin_lock_bh(&ed->lock);
	ep = ed->ep;
	spin_unlock_bh(&ed->lock);

	/* Local and remote share one family; changing it takes both. */
	if ((lfam && rfam && lfam != rfam) ||
	    (lfam && !rfam && ep.family && lfam != ep.family &&
	     !esptun_addr_any(ep.family, &ep.remote)) ||
	    (rfam && !lfam && ep.family && rfam != ep.family &&
	     !esptun_addr_any(ep.family, &ep.local))) {
		NL_SET_BAD_ATTR(extack, rfam ?
				tb[rfam == AF_INET ? ESPTUN_DEV_A_REMOTE_IPV4 :
				   ESPTUN_DEV_A_REMOTE_IPV6] :
				tb[lfam == AF_INET ? ESPTUN_DEV_A_LOCAL_IPV4 :
				   ESPTUN_DEV_A_LOCAL_IPV6]);
		NL_SET_ERR_MSG_MOD(extack,
				   "local and remote must be of one family");
		return -EINVAL;
	}

	if (lfam || rfam) {
		u16 fam = lfam ?: rfam;

		if (fam != ep.family) {
			memset(&ep.local, 0, sizeof(ep.local));
			memset(&ep.remote, 0, sizeof(ep.remote));
		}
		ep.family = fam;
		if (lfam)
			ep.local = local;
		if (rfam)
			ep.remote = remote;
	}
	if (tb[ESPTUN_DEV_A_ENCAP])
		ep.encap = nla_get_u8(tb[ESPTUN_DEV_A_ENCAP]);
	if (tb[ESPTUN_DEV_A_ENCAP_SPORT])
		ep.sport = htons(nla_get_u16(tb[ESPTUN_DEV_A_ENCAP_SPORT]));
	if (tb[ESPTUN_DEV_A_ENCAP_DPORT])
		ep.dport = htons(nla_get_u16(tb[ESPTUN_DEV_A_ENCAP_DPORT]));

	spin_lock_bh(&ed->lock);
	ed->ep = ep;
	spin_unlock_bh(&ed->lock);
	return 0;
}

/* ---- SAs ---- */

static int esptun_fill_sel(struct sk_buff *skb, const struct esptun_sel *sel)
{
	struct nlattr *nest = nla_nest_start(skb, ESPTUN_SA_A_SELECTOR);

	if (!nest)
		return -EMSGSIZE;
	if (sel->family &&
	    (esptun_put_addr(skb, sel->family, ESPTUN_SEL_A_SRC_IPV4,
			     ESPTUN_SEL_A_SRC_IPV6, &sel->src) ||
	     nla_put_u8(skb, ESPTUN_SEL_A_SRC_PREFIXLEN, sel->src_plen) ||
	     esptun_put_addr(skb, sel->family, ESPTUN_SEL_A_DST_IPV4,
			     ESPTUN_SEL_A_DST_IPV6, &sel->dst) ||
	     nla_put_u8(skb, ESPTUN_SEL_A_DST_PREFIXLEN, sel->dst_plen)))
		return -EMSGSIZE;
	if ((sel->proto && nla_put_u8(skb, ESPTUN_SEL_A_PROTO, sel->proto)) ||
	    (sel->sport &&
	     nla_put_u16(skb, ESPTUN_SEL_A_SPORT, ntohs(sel->sport))) ||
	    (sel->dport &&
	     nla_put_u16(skb, ESPTUN_SEL_A_DPORT, ntohs(sel->dport))))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int esptun_fill_lifetime(struct sk_buff *skb,
				const struct esptun_lifetime *lt)
{
	const u64 v[] = {
		[ESPTUN_LT_A_SOFT_BYTES] = lt->soft_bytes,
		[ESPTUN_LT_A_SOFT_PACKETS] = lt->soft_packets,
		[ESPTUN_LT_A_SOFT_ADD_SECONDS] = lt->soft_add,
		[ESPTUN_LT_A_SOFT_USE_SECONDS] = lt->soft_use,
		[ESPTUN_LT_A_HARD_BYTES] = lt->hard_bytes,
		[ESPTUN_LT_A_HARD_PACKETS] = lt->hard_packets,
		[ESPTUN_LT_A_HARD_ADD_SECONDS] = lt->hard_add,
		[ESPTUN_LT_A_HARD_USE_SECONDS] = lt->hard_use,
	};
	struct nlattr *nest = nla_nest_start(skb, ESPTUN_SA_A_LIFETIME);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = ESPTUN_LT_A_SOFT_BYTES; i <= ESPTUN_LT_A_HARD_USE_SECONDS; i++)
		if (v[i] && nla_put_u64_64bit(skb, i, v[i], ESPTUN_LT_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int esptun_fill_sa_stats(struct sk_buff *skb,
				const struct esptun_sa *sa)
{
	struct nlattr *nest = nla_nest_start(skb, ESPTUN_SA_A_STATS);
	u64 packets, bytes;
	int i;

	if (!nest)
		return -EMSGSIZE;
	esptun_sa_traffic(sa, &packets, &bytes);
	if (esptun_put_stat(skb, ESPTUN_STAT_PACKETS, packets) ||
	    esptun_put_stat(skb, ESPTUN_STAT_BYTES, bytes))
		return -EMSGSIZE;
	for (i = ESPTUN_STAT_REPLAY; i <= ESPTUN_STAT_EXPIRED; i++)
		if (esptun_put_stat(skb, i, atomic64_read(&sa->errors[i])))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* The SA nest: identity, addresses and (unless reserved) configuration,
 * state, counters and times. Never keys.
 */
static int esptun_fill_sa_nest(struct sk_buff *skb, struct esptun_sa *sa)
{
	u8 state = esptun_sa_state(sa);
	struct esptun_endpoint epc;
	const struct esptun_endpoint *ep = &epc;
	struct nlattr *nest;

	esptun_sa_endpoint(sa, &epc);
	nest = nla_nest_start(skb, ESPTUN_A_SA);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, ESPTUN_SA_A_DIR, sa->dir) ||
	    nla_put_u32(skb, ESPTUN_SA_A_SPI, ntohl(sa->spi)) ||
	    nla_put_u8(skb, ESPTUN_SA_A_STATE, state) ||
	    nla_put_u64_64bit(skb, ESPTUN_SA_A_ADD_TIME, sa->add_time,
			      ESPTUN_SA_A_PAD))
		return -EMSGSIZE;
	if (!esptun_addr_any(ep->family, &ep->local) &&
	    esptun_put_addr(skb, ep->family, ESPTUN_SA_A_LOCAL_IPV4,
			    ESPTUN_SA_A_LOCAL_IPV6, &ep->local))
		return -EMSGSIZE;
	if (state == ESPTUN_SA_STATE_RESERVED)
		goto done;
	if (!esptun_addr_any(ep->family, &ep->remote) &&
	    esptun_put_addr(skb, ep->family, ESPTUN_SA_A_REMOTE_IPV4,
			    ESPTUN_SA_A_REMOTE_IPV6, &ep->remote))
		return -EMSGSIZE;
	if (nla_put_string(skb, ESPTUN_SA_A_ENC_ALG, sa->enc_alg) ||
	    (sa->auth_alg[0] &&
	     nla_put_string(skb, ESPTUN_SA_A_AUTH_ALG, sa->auth_alg)) ||
	    nla_put_u32(skb, ESPTUN_SA_A_ICV_BITS, sa->icv_bits) ||
	    (sa->esn && nla_put_flag(skb, ESPTUN_SA_A_ESN)) ||
	    nla_put_u8(skb, ESPTUN_SA_A_ENCAP, ep->encap))
		return -EMSGSIZE;
	if (ep->encap == ESPTUN_ENCAP_UDP &&
	    (nla_put_u16(skb, ESPTUN_SA_A_ENCAP_SPORT, ntohs(ep->sport)) ||
	     nla_put_u16(skb, ESPTUN_SA_A_ENCAP_DPORT, ntohs(ep->dport))))
		return -EMSGSIZE;
	if (sa->dir == ESPTUN_DIR_IN &&
	    (nla_put_u32(skb, ESPTUN_SA_A_REPLAY_WINDOW, sa->replay_window) ||
	     nla_put_u64_64bit(skb, ESPTUN_SA_A_SEQ, esptun_dp_seq(sa),
			       ESPTUN_SA_A_PAD)))
		return -EMSGSIZE;
	if (sa->dir == ESPTUN_DIR_OUT &&
	    nla_put_u64_64bit(skb, ESPTUN_SA_A_OSEQ, esptun_dp_seq(sa),
			      ESPTUN_SA_A_PAD))
		return -EMSGSIZE;
	if (esptun_fill_lifetime(skb, &sa->lt) ||
	    esptun_fill_sel(skb, &sa->sel) ||
	    esptun_fill_sa_stats(skb, sa) ||
	    nla_put_u64_64bit(skb, ESPTUN_SA_A_FIRST_USE,
			      READ_ONCE(sa->first_use), ESPTUN_SA_A_PAD) ||
	    nla_put_u64_64bit(skb, ESPTUN_SA_A_LAST_USE,
			      READ_ONCE(sa->last_use), ESPTUN_SA_A_PAD))
		return -EMSGSIZE;
done:
	nla_nest_end(skb, nest);
	return 0;
}

static int esptun_fill_sa(struct sk_buff *skb, struct esptun_sa *sa,
			  u32 portid, u32 seq, int flags, u8 cmd,
			  struct netlink_callback *cb)
{
	struct net_device *dev = sa->ed->dev;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &esptun_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, ESPTUN_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, ESPTUN_A_IFNAME, dev->name) ||
	    esptun_fill_sa_nest(skb, sa)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Anything else is "cbc(...)"-style and needs an HMAC next to it. */
static bool esptun_alg_is_aead(const char *name)
{
	static const char * const aead[] = {
		"rfc4106(", "rfc4309(", "rfc4543(", "rfc7539esp(",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(aead); i++)
		if (!strncmp(name, aead[i], strlen(aead[i])))
			return true;
	return false;
}

static int esptun_parse_sel(struct nlattr *attr, struct esptun_sel *sel,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[ESPTUN_SEL_A_MAX + 1];
	int sfam, dfam, err;
	u8 max;

	memset(sel, 0, sizeof(*sel));
	if (!attr)
		return 0;
	err = nla_parse_nested(tb, ESPTUN_SEL_A_MAX, attr, NULL, extack);
	if (err)
		return err;
	sfam = esptun_get_addr(tb, ESPTUN_SEL_A_SRC_IPV4, ESPTUN_SEL_A_SRC_IPV6,
			       &sel->src, extack);
	if (sfam < 0)
		return sfam;
	dfam = esptun_get_addr(tb, ESPTUN_SEL_A_DST_IPV4, ESPTUN_SEL_A_DST_IPV6,
			       &sel->dst, extack);
	if (dfam < 0)
		return dfam;
	if (sfam && dfam && sfam != dfam)
		return ESPTUN_BAD(extack, attr,
				  "selector source and destination must be of one family");
	sel->family = sfam ?: dfam;
	max = sel->family == AF_INET ? 32 : 128;

	if ((tb[ESPTUN_SEL_A_SRC_PREFIXLEN] && !sfam) ||
	    (tb[ESPTUN_SEL_A_DST_PREFIXLEN] && !dfam))
		return ESPTUN_BAD(extack, attr,
				  "selector prefix length without an address");
	sel->src_plen = sfam ? max : 0;
	sel->dst_plen = dfam ? max : 0;
	if (tb[ESPTUN_SEL_A_SRC_PREFIXLEN])
		sel->src_plen = nla_get_u8(tb[ESPTUN_SEL_A_SRC_PREFIXLEN]);
	if (tb[ESPTUN_SEL_A_DST_PREFIXLEN])
		sel->dst_plen = nla_get_u8(tb[ESPTUN_SEL_A_DST_PREFIXLEN]);
	if (sel->src_plen > max || sel->dst_plen > max) {
		if (sel->family == AF_INET)
			return ESPTUN_BAD(extack, attr,
					  "selector prefix length too long for IPv4");
		return ESPTUN_BAD(extack, attr,
				  "selector prefix length too long for IPv6");
	}

	/* Keep host bits out, so the match is a plain masked compare. */
	if (sel->family == AF_INET) {
		sel->src.v4 &= inet_make_mask(sel->src_plen);
		sel->dst.v4 &= inet_make_mask(sel->dst_plen);
	} else if (sel->family == AF_INET6) {
		ipv6_addr_prefix(&sel->src.v6, &sel->src.v6, sel->src_plen);
		ipv6_addr_prefix(&sel->dst.v6, &sel->dst.v6, sel->dst_plen);
	}

	if (tb[ESPTUN_SEL_A_PROTO])
		sel->proto = nla_get_u8(tb[ESPTUN_SEL_A_PROTO]);
	if (tb[ESPTUN_SEL_A_SPORT])
		sel->sport = htons(nla_get_u16(tb[ESPTUN_SEL_A_SPORT]));
	if (tb[ESPTUN_SEL_A_DPORT])
		sel->dport = htons(nla_get_u16(tb[ESPTUN_SEL_A_DPORT]));
	if ((sel->sport || sel->dport) &&
	    sel->proto != IPPROTO_TCP && sel->proto != IPPROTO_UDP &&
	    sel->proto != IPPROTO_UDPLITE && sel->proto != IPPROTO_SCTP)
		return ESPTUN_BAD(extack, attr,
				  "selector ports need protocol TCP, UDP, UDP-Lite or SCTP");
	return 0;
}

static int esptun_parse_lifetime(struct nlattr *attr,
				 struct esptun_lifetime *lt,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[ESPTUN_LT_A_MAX + 1];
	u64 *v[] = {
		[ESPTUN_LT_A_SOFT_BYTES] = &lt->soft_bytes,
		[ESPTUN_LT_A_SOFT_PACKETS] = &lt->soft_packets,
		[ESPTUN_LT_A_SOFT_ADD_SECONDS] = &lt->soft_add,
		[ESPTUN_LT_A_SOFT_USE_SECONDS] = &lt->soft_use,
		[ESPTUN_LT_A_HARD_BYTES] = &lt->hard_bytes,
		[ESPTUN_LT_A_HARD_PACKETS] = &lt->hard_packets,
		[ESPTUN_LT_A_HARD_ADD_SECONDS] = &lt->hard_add,
		[ESPTUN_LT_A_HARD_USE_SECONDS] = &lt->hard_use,
	};
	int i, err;

	memset(lt, 0, sizeof(*lt));
	if (!attr)
		return 0;
	err = nla_parse_nested(tb, ESPTUN_LT_A_MAX, attr, NULL, extack);
	if (err)
		return err;
	for (i = ESPTUN_LT_A_SOFT_BYTES; i <= ESPTUN_LT_A_HARD_USE_SECONDS; i++)
		if (tb[i])
			*v[i] = nla_get_u64(tb[i]);
	return 0;
}

/* Outer addresses of an SA: the device's, overridden per attribute. An
 * address of another family than the device's drops the device's other
 * address, which cannot go with it.
 */
static int esptun_parse_sa_ep(struct esptun_dev *ed, struct nlattr **tb,
			      struct esptun_endpoint *ep,
			      struct netlink_ext_ack *extack)
{
	union esptun_inaddr local, remote;
	int lfam, rfam;

	spin_lock_bh(&ed->lock);
	*ep = ed->ep;
	spin_unlock_bh(&ed->lock);

	lfam = esptun_get_addr(tb, ESPTUN_SA_A_LOCAL_IPV4,
			       ESPTUN_SA_A_LOCAL_IPV6, &local, extack);
	if (lfam < 0)
		return lfam;
	rfam = esptun_get_addr(tb, ESPTUN_SA_A_REMOTE_IPV4,
			       ESPTUN_SA_A_REMOTE_IPV6, &remote, extack);
	if (rfam < 0)
		return rfam;
	if (lfam && rfam && lfam != rfam) {
		NL_SET_ERR_MSG_MOD(extack,
				   "local and remote must be of one family");
		NL_SET_BAD_ATTR(extack, tb[rfam == AF_INET ?
					   ESPTUN_SA_A_REMOTE_IPV4 :
					   ESPTUN_SA_A_REMOTE_IPV6]);
		return -EINVAL;
	}
	if ((lfam ?: rfam) && (lfam ?: rfam) != ep->family) {
		ep->family = lfam ?: rfam;
		memset(&ep->local, 0, sizeof(ep->local));
		memset(&ep->remote, 0, sizeof(ep->remote));
	}
	if (lfam)
		ep->local = local;
	if (rfam)
		ep->remote = remote;
	if (tb[ESPTUN_SA_A_ENCAP])
		ep->encap = nla_get_u8(tb[ESPTUN_SA_A_ENCAP]);
	if (tb[ESPTUN_SA_A_ENCAP_SPORT])
		ep->sport = htons(nla_get_u16(tb[ESPTUN_SA_A_ENCAP_SPORT]));
	if (tb[ESPTUN_SA_A_ENCAP_DPORT])
		ep->dport = htons(nla_get_u16(tb[ESPTUN_SA_A_ENCAP_DPORT]));
	return 0;
}

/* Common to commands naming one SA: the nest, DIR and SPI. */
static int esptun_parse_sa_id(struct genl_info *info, struct nlattr **tb,
			      u8 *dir, __be32 *spi)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[ESPTUN_A_SA];
	int err;

	if (!nest)
		return ESPTUN_MISSING(extack, NULL, ESPTUN_A_SA,
				      "missing SA attributes");
	err = nla_parse_nested(tb, ESPTUN_SA_A_MAX, nest, NULL, extack);
	if (err)
		return err;
	if (!tb[ESPTUN_SA_A_DIR])
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_DIR,
				      "missing SA direction (DIR)");
	if (!tb[ESPTUN_SA_A_SPI])
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_SPI,
				      "missing SPI");
	*dir = nla_get_u8(tb[ESPTUN_SA_A_DIR]);
	*spi = htonl(nla_get_u32(tb[ESPTUN_SA_A_SPI]));
	return 0;
}

static int esptun_parse_sa_cfg(struct esptun_dev *ed, struct genl_info *info,
			       struct nlattr **tb, struct esptun_sa_cfg *cfg)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[ESPTUN_A_SA];
	bool aead;
	int err;

	err = esptun_parse_sa_id(info, tb, &cfg->dir, &cfg->spi);
	if (err)
		return err;
	if (ntohl(cfg->spi) < ESPTUN_SPI_MIN)
		return ESPTUN_BAD(extack, tb[ESPTUN_SA_A_SPI],
				  "SPI 0 to 255 are reserved");

	if (!tb[ESPTUN_SA_A_ENC_ALG])
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_ENC_ALG,
				      "missing encryption algorithm (ENC_ALG)");
	if (!tb[ESPTUN_SA_A_ENC_KEY])
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_ENC_KEY,
				      "missing encryption key (ENC_KEY)");
	nla_strscpy(cfg->enc_alg, tb[ESPTUN_SA_A_ENC_ALG],
		    sizeof(cfg->enc_alg));
	aead = esptun_alg_is_aead(cfg->enc_alg);
	if (aead && (tb[ESPTUN_SA_A_AUTH_ALG] || tb[ESPTUN_SA_A_AUTH_KEY]))
		return ESPTUN_BAD(extack, tb[ESPTUN_SA_A_AUTH_ALG] ?:
				  tb[ESPTUN_SA_A_AUTH_KEY],
				  "an AEAD takes no AUTH_ALG or AUTH_KEY");
	if (!aead && !tb[ESPTUN_SA_A_AUTH_ALG])
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_AUTH_ALG,
				      "missing authentication algorithm (AUTH_ALG)");
	if (!aead && !tb[ESPTUN_SA_A_AUTH_KEY])
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_AUTH_KEY,
				      "missing authentication key (AUTH_KEY)");
	if (!tb[ESPTUN_SA_A_ICV_BITS])
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_ICV_BITS,
				      "missing ICV length (ICV_BITS)");
	cfg->icv_bits = nla_get_u32(tb[ESPTUN_SA_A_ICV_BITS]);
	if (!cfg->icv_bits || cfg->icv_bits % 8)
		return ESPTUN_BAD(extack, tb[ESPTUN_SA_A_ICV_BITS],
				  "ICV length must be a positive multiple of 8 bits");

	cfg->enc_keylen = nla_len(tb[ESPTUN_SA_A_ENC_KEY]);
	memcpy(cfg->enc_key, nla_data(tb[ESPTUN_SA_A_ENC_KEY]),
	       cfg->enc_keylen);
	if (!aead) {
		nla_strscpy(cfg->auth_alg, tb[ESPTUN_SA_A_AUTH_ALG],
			    sizeof(cfg->auth_alg));
		cfg->auth_keylen = nla_len(tb[ESPTUN_SA_A_AUTH_KEY]);
		memcpy(cfg->auth_key, nla_data(tb[ESPTUN_SA_A_AUTH_KEY]),
		       cfg->auth_keylen);
	}

	cfg->replay_window = ESPTUN_REPLAY_WINDOW_DEFAULT;
	if (tb[ESPTUN_SA_A_REPLAY_WINDOW]) {
		if (cfg->dir != ESPTUN_DIR_IN)
			return ESPTUN_BAD(extack, tb[ESPTUN_SA_A_REPLAY_WINDOW],
					  "a replay window is for inbound SAs");
		cfg->replay_window = nla_get_u32(tb[ESPTUN_SA_A_REPLAY_WINDOW]);
		if (cfg->replay_window > ESPTUN_REPLAY_WINDOW_MAX)
			return ESPTUN_BAD(extack, tb[ESPTUN_SA_A_REPLAY_WINDOW],
					  "replay window too large (max 4096)");
	}
	cfg->esn = nla_get_flag(tb[ESPTUN_SA_A_ESN]);
	if (tb[ESPTUN_SA_A_SEQ]) {
		if (cfg->dir != ESPTUN_DIR_IN)
			return ESPTUN_BAD(extack, tb[ESPTUN_SA_A_SEQ],
					  "SEQ is for inbound SAs, OSEQ for outbound");
		cfg->seq = nla_get_u64(tb[ESPTUN_SA_A_SEQ]);
	}
	if (tb[ESPTUN_SA_A_OSEQ]) {
		if (cfg->dir != ESPTUN_DIR_OUT)
			return ESPTUN_BAD(extack, tb[ESPTUN_SA_A_OSEQ],
					  "SEQ is for inbound SAs, OSEQ for outbound");
		cfg->oseq = nla_get_u64(tb[ESPTUN_SA_A_OSEQ]);
	}
	if (!cfg->esn && (cfg->seq > U32_MAX || cfg->oseq > U32_MAX))
		return ESPTUN_BAD(extack, nest,
				  "sequence number above 2^32-1 needs ESN");

	err = esptun_parse_sa_ep(ed, tb, &cfg->ep, extack);
	if (err)
		return err;
	if (cfg->dir == ESPTUN_DIR_IN &&
	    (!cfg->ep.family || esptun_addr_any(cfg->ep.family, &cfg->ep.local)))
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_LOCAL_IPV4,
				      "no local address: set one on the device or the SA");
	if (cfg->dir == ESPTUN_DIR_OUT &&
	    (!cfg->ep.family ||
	     esptun_addr_any(cfg->ep.family, &cfg->ep.remote)))
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_REMOTE_IPV4,
				      "no remote address: set one on the device or the SA");

	err = esptun_parse_lifetime(tb[ESPTUN_SA_A_LIFETIME], &cfg->lt, extack);
	if (err)
		return err;
	return esptun_parse_sel(tb[ESPTUN_SA_A_SELECTOR], &cfg->sel, extack);
}

/**
 * esptun_nl_sa_new_doit - ESPTUN_CMD_SA_NEW
 * @skb: request
 * @info: request info
 *
 * Return: 0 or a negative errno.
 */
int esptun_nl_sa_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct esptun_dev *ed = info->user_ptr[0];
	struct nlattr *tb[ESPTUN_SA_A_MAX + 1];
	struct esptun_sa_cfg *cfg;
	const union esptun_inaddr *daddr;
	struct esptun_sa *sa;
	int err;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	err = esptun_parse_sa_cfg(ed, info, tb, cfg);
	if (err)
		goto out;

	daddr = cfg->dir == ESPTUN_DIR_IN ? &cfg->ep.local : &cfg->ep.remote;
	if (esptun_xfrm_holds(ed->net, cfg->ep.family, daddr, cfg->spi)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "xfrm already has an ESP SA with this destination and SPI");
		NL_SET_BAD_ATTR(extack, tb[ESPTUN_SA_A_SPI]);
		err = -EEXIST;
		goto out;
	}

	sa = esptun_sa_alloc(ed, cfg->dir, cfg->spi, &cfg->ep);
	if (!sa) {
		err = -ENOMEM;
		goto out;
	}
	esptun_sa_config(sa, cfg);
	err = esptun_sa_check_free(ed, sa, extack);
	if (err)
		goto put;
	err = esptun_dp_sa_init(sa, cfg, extack);
	if (err)
		goto put;
	set_bit(ESPTUN_SA_F_DP, &sa->flags);
	/* Once linked, the table owns the first reference, and the device
	 * being deleted under RTNL may drop it at once: arming the timers
	 * needs a reference of its own.
	 */
	kref_get(&sa->ref);
	err = esptun_sa_link(sa, extack);
	if (!err)
		esptun_sa_start(sa);
	esptun_sa_put(sa);
	if (err)
		goto put;
	goto out;
put:
	esptun_sa_put(sa);
out:
	kfree_sensitive(cfg);
	return err;
}

/**
 * esptun_nl_sa_update_doit - ESPTUN_CMD_SA_UPDATE
 * @skb: request
 * @info: request info
 *
 * Return: 0 or a negative errno.
 */
int esptun_nl_sa_update_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct esptun_dev *ed = info->user_ptr[0];
	struct nlattr *tb[ESPTUN_SA_A_MAX + 1];
	union esptun_inaddr local, remote;
	struct esptun_lifetime lt;
	struct esptun_sa *sa;
	int lfam, rfam, err;
	__be32 spi;
	u8 dir;

	err = esptun_parse_sa_id(info, tb, &dir, &spi);
	if (err)
		return err;
	lfam = esptun_get_addr(tb, ESPTUN_SA_A_LOCAL_IPV4,
			       ESPTUN_SA_A_LOCAL_IPV6, &local, extack);
	if (lfam < 0)
		return lfam;
	rfam = esptun_get_addr(tb, ESPTUN_SA_A_REMOTE_IPV4,
			       ESPTUN_SA_A_REMOTE_IPV6, &remote, extack);
	if (rfam < 0)
		return rfam;
	err = esptun_parse_lifetime(tb[ESPTUN_SA_A_LIFETIME], &lt, extack);
	if (err)
		return err;

	sa = esptun_sa_find(ed, dir, spi, lfam, &local, extack);
	if (IS_ERR(sa))
		return PTR_ERR(sa);
	if (esptun_sa_state(sa) == ESPTUN_SA_STATE_RESERVED) {
		err = ESPTUN_BAD(extack, tb[ESPTUN_SA_A_SPI],
				 "SPI is only reserved, there is no SA to update");
		goto out;
	}
	if (rfam && rfam != sa->ep.family) {
		err = ESPTUN_BAD(extack, tb[rfam == AF_INET ?
					    ESPTUN_SA_A_REMOTE_IPV4 :
					    ESPTUN_SA_A_REMOTE_IPV6],
				 "remote address family differs from the SA's");
		goto out;
	}

	write_seqlock_bh(&sa->ep_lock);
	if (rfam)
		sa->ep.remote = remote;
	if (tb[ESPTUN_SA_A_ENCAP])
		/* The input path reads it alone (proto.c). */
		WRITE_ONCE(sa->ep.encap, nla_get_u8(tb[ESPTUN_SA_A_ENCAP]));
	if (tb[ESPTUN_SA_A_ENCAP_SPORT])
		sa->ep.sport = htons(nla_get_u16(tb[ESPTUN_SA_A_ENCAP_SPORT]));
	if (tb[ESPTUN_SA_A_ENCAP_DPORT])
		sa->ep.dport = htons(nla_get_u16(tb[ESPTUN_SA_A_ENCAP_DPORT]));
	/* The cached outer route may lead to the old remote, or be looked up
	 * for the other protocol.
	 */
	esptun_route_reset(sa);
	write_sequnlock_bh(&sa->ep_lock);
	if (tb[ESPTUN_SA_A_LIFETIME])
		esptun_sa_set_lifetime(sa, &lt);
out:
	esptun_sa_put(sa);
	return err;
}

/*
 * The SA a DEL or GET request names: DIR and SPI, plus LOCAL_* when the
 * device has inbound SAs on several local addresses. Returns it with a
 * reference held, or an ERR_PTR with extack set.
 */
static struct esptun_sa *esptun_nl_sa_from_req(struct genl_info *info)
{
	struct esptun_dev *ed = info->user_ptr[0];
	struct nlattr *tb[ESPTUN_SA_A_MAX + 1];
	union esptun_inaddr local;
	__be32 spi;
	int lfam, err;
	u8 dir;

	err = esptun_parse_sa_id(info, tb, &dir, &spi);
	if (err)
		return ERR_PTR(err);
	lfam = esptun_get_addr(tb, ESPTUN_SA_A_LOCAL_IPV4,
			       ESPTUN_SA_A_LOCAL_IPV6, &local, info->extack);
	if (lfam < 0)
		return ERR_PTR(lfam);
	return esptun_sa_find(ed, dir, spi, lfam, &local, info->extack);
}

/**
 * esptun_nl_sa_del_doit - ESPTUN_CMD_SA_DEL (SAs and SPI reservations)
 * @skb: request
 * @info: request info
 *
 * Return: 0 or a negative errno.
 */
int esptun_nl_sa_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct esptun_sa *sa;

	sa = esptun_nl_sa_from_req(info);
	if (IS_ERR(sa))
		return PTR_ERR(sa);
	esptun_sa_unlink(sa);
	esptun_sa_put(sa);
	return 0;
}

/**
 * esptun_nl_sa_get_doit - ESPTUN_CMD_SA_GET for one SA
 * @skb: request
 * @info: request info
 *
 * Return: 0 or a negative errno.
 */
int esptun_nl_sa_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct esptun_sa *sa;
	struct sk_buff *msg;
	int err;

	sa = esptun_nl_sa_from_req(info);
	if (IS_ERR(sa))
		return PTR_ERR(sa);

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = esptun_fill_sa(msg, sa, info->snd_portid, info->snd_seq, 0,
			     ESPTUN_CMD_SA_GET, NULL);
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	err = genlmsg_reply(msg, info);
out:
	esptun_sa_put(sa);
	return err;
}

/* SA dump cursor in cb->args. */
enum {
	ESPTUN_DUMP_DEV,	/* devices of the namespace done */
	ESPTUN_DUMP_SA,		/* SAs of the current device done */
	ESPTUN_DUMP_FILTER,	/* ifindex to dump, 0 for all */
	ESPTUN_DUMP_STARTED,	/* the filter is resolved */
};

/* Resolve the optional device filter of an SA dump, on its first part:
 * only the dump callback has an extack to say what is wrong.
 */
static int esptun_dump_filter(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct net *net = sock_net(cb->skb->sk);
	struct nlattr *id = di->attrs[ESPTUN_A_IFINDEX];
	struct net_device *dev;
	int err = 0;

	if (!id)
		id = di->attrs[ESPTUN_A_IFNAME];
	if (!id)
		return 0;
	rcu_read_lock();
	if (nla_type(id) == ESPTUN_A_IFINDEX)
		dev = dev_get_by_index_rcu(net, nla_get_u32(id));
	else
		dev = dev_get_by_name_rcu(net, nla_data(id));
	if (!dev) {
		NL_SET_ERR_MSG_MOD(cb->extack, "no such device");
		err = -ENODEV;
	} else if (!esptun_is_esptun_dev(dev)) {
		NL_SET_ERR_MSG_MOD(cb->extack, "not an esptun device");
		err = -EOPNOTSUPP;
	} else {
		cb->args[ESPTUN_DUMP_FILTER] = dev->ifindex;
	}
	rcu_read_unlock();
	if (err)
		NL_SET_BAD_ATTR(cb->extack, id);
	return err;
}

/* Dump the SAs of one device from position *@pos on. Return: -EMSGSIZE
 * when the buffer is full (and *@pos tells where to go on), else 0.
 */
static int esptun_dump_dev_sas(struct sk_buff *skb, struct netlink_callback *cb,
			       struct esptun_dev *ed, long *pos)
{
	struct list_head *lists[] = { &ed->sa_in, &ed->sa_out };
	struct esptun_sa *sa;
	long idx = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_entry_rcu(sa, lists[i], dev_node) {
			if (idx++ < *pos)
				continue;
			if (esptun_fill_sa(skb, sa, NETLINK_CB(cb->skb).portid,
					   cb->nlh->nlmsg_seq, NLM_F_MULTI,
					   ESPTUN_CMD_SA_GET, cb))
				return -EMSGSIZE;
			(*pos)++;
		}
	}
	return 0;
}

/**
 * esptun_nl_sa_get_dumpit - ESPTUN_CMD_SA_GET dump
 * @skb: reply buffer
 * @cb: dump state: devices done, SAs of the current device done, filter
 *
 * Positions are counts, so an SA added or deleted between two parts may
 * be skipped or repeated; such a dump is flagged NLM_F_DUMP_INTR.
 * Return: bytes written, 0 at the end.
 */
int esptun_nl_sa_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct esptun_net *en = esptun_pernet(sock_net(skb->sk));
	long didx = 0, pos = cb->args[ESPTUN_DUMP_SA];
	struct esptun_dev *ed;
	long filter;
	int err;

	if (!cb->args[ESPTUN_DUMP_STARTED]) {
		err = esptun_dump_filter(cb);
		if (err)
			return err;
		cb->args[ESPTUN_DUMP_STARTED] = 1;
	}
	filter = cb->args[ESPTUN_DUMP_FILTER];

	rcu_read_lock();
	cb->seq = READ_ONCE(en->gen);
	list_for_each_entry_rcu(ed, &en->devs, node) {
		if (didx < cb->args[ESPTUN_DUMP_DEV] ||
		    (filter && ed->dev->ifindex != filter)) {
			didx++;
			continue;
		}
		if (esptun_dump_dev_sas(skb, cb, ed, &pos))
			break;
		didx++;
		pos = 0;
	}
	rcu_read_unlock();
	cb->args[ESPTUN_DUMP_DEV] = didx;
	cb->args[ESPTUN_DUMP_SA] = pos;
	return skb->len;
}

/**
 * esptun_nl_sa_flush_doit - ESPTUN_CMD_SA_FLUSH
 * @skb: request
 * @info: request info
 *
 * Return: 0.
 */
int esptun_nl_sa_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct esptun_net *en = esptun_pernet(genl_info_net(info));
	struct esptun_dev *ed = info->user_ptr[0];

	if (ed) {
		esptun_sa_flush_dev(ed, false);
		return 0;
	}
	rcu_read_lock();
	list_for_each_entry_rcu(ed, &en->devs, node)
		esptun_sa_flush_dev(ed, false);
	rcu_read_unlock();
	return 0;
}

/**
 * esptun_nl_spi_alloc_doit - ESPTUN_CMD_SPI_ALLOC
 * @skb: request
 * @info: request info
 *
 * Return: 0 or a negative errno.
 */
int esptun_nl_spi_alloc_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct esptun_dev *ed = info->user_ptr[0];
	struct nlattr *tb[ESPTUN_SA_A_MAX + 1] = {};
	u32 min = ESPTUN_SPI_MIN, max = U32_MAX;
	u32 seconds = ESPTUN_SPI_RESERVE_DEFAULT;
	union esptun_inaddr local;
	struct nlattr *nest;
	struct sk_buff *msg;
	__be32 spi;
	void *hdr;
	int fam, err;

	if (info->attrs[ESPTUN_A_SA]) {
		err = nla_parse_nested(tb, ESPTUN_SA_A_MAX,
				       info->attrs[ESPTUN_A_SA], NULL, extack);
		if (err)
			return err;
	}
	fam = esptun_get_addr(tb, ESPTUN_SA_A_LOCAL_IPV4,
			      ESPTUN_SA_A_LOCAL_IPV6, &local, extack);
	if (fam < 0)
		return fam;
	if (!fam) {
		spin_lock_bh(&ed->lock);
		fam = ed->ep.family;
		local = ed->ep.local;
		spin_unlock_bh(&ed->lock);
	}
	if (!fam || esptun_addr_any(fam, &local))
		return ESPTUN_MISSING(extack, info->attrs[ESPTUN_A_SA],
				      ESPTUN_SA_A_LOCAL_IPV4,
				      "no local address: set one on the device or give LOCAL");
	if (tb[ESPTUN_SA_A_SPI_MIN])
		min = nla_get_u32(tb[ESPTUN_SA_A_SPI_MIN]);
	if (tb[ESPTUN_SA_A_SPI_MAX])
		max = nla_get_u32(tb[ESPTUN_SA_A_SPI_MAX]);
	if (tb[ESPTUN_SA_A_RESERVE_SECONDS])
		seconds = nla_get_u32(tb[ESPTUN_SA_A_RESERVE_SECONDS]);

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = esptun_spi_alloc(ed, fam, &local, min, max, seconds, &spi,
			       extack);
	if (err)
		goto free;

	err = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &esptun_genl_family, 0,
				ESPTUN_CMD_SPI_ALLOC);
	if (!hdr)
		goto free;
	if (nla_put_u32(msg, ESPTUN_A_IFINDEX, ed->dev->ifindex))
		goto free;
	nest = nla_nest_start(msg, ESPTUN_A_SA);
	if (!nest ||
	    nla_put_u8(msg, ESPTUN_SA_A_DIR, ESPTUN_DIR_IN) ||
	    nla_put_u32(msg, ESPTUN_SA_A_SPI, ntohl(spi)) ||
	    esptun_put_addr(msg, fam, ESPTUN_SA_A_LOCAL_IPV4,
			    ESPTUN_SA_A_LOCAL_IPV6, &local))
		goto free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
free:
	nlmsg_free(msg);
	return err;
}

/* ---- events ---- */

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
	if (esptun_fill_sa(msg, sa, 0, 0, 0, cmd, NULL))
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
	    esptun_put_addr(msg, ep.family, ESPTUN_SA_A_LOCAL_IPV4,
			    ESPTUN_SA_A_LOCAL_IPV6, &ep.local))
		goto free;
	if (ep.family && !esptun_addr_any(ep.family, &ep.remote) &&
	    esptun_put_addr(msg, ep.family, ESPTUN_SA_A_REMOTE_IPV4,
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
	    esptun_put_addr(msg, family, ESPTUN_SA_A_LOCAL_IPV4,
			    ESPTUN_SA_A_LOCAL_IPV6, daddr) ||
	    esptun_put_addr(msg, family, ESPTUN_SA_A_REMOTE_IPV4,
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
 * esptun_nl_init - register the generic netlink family
 *
 * Return: 0 or a negative errno.
 */
int esptun_nl_init(void)
{
	return genl_register_family(&esptun_genl_family);
}

/**
 * esptun_nl_exit - unregister the generic netlink family
 */
void esptun_nl_exit(void)
{
	genl_unregister_family(&esptun_genl_family);
}
