// SPDX-License-Identifier: GPL-2.0
/*
 * esptun generic netlink: attributes to kernel structs and back.
 *
 * Filling never puts keys. Parsing checks what the policy cannot:
 * presence, combinations and meaning, one message per rule; whether an
 * algorithm exists and takes the key is for crypto.c to say.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/inetdevice.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "netlink_attr.h"
#include "netlink_policy.h"

/**
 * esptun_nl_put_addr - put an address as the attribute of its family
 * @skb: message
 * @family: AF_INET or AF_INET6; anything else puts nothing
 * @a4: attribute type for IPv4
 * @a6: attribute type for IPv6
 * @a: the address
 *
 * Return: 0 or -EMSGSIZE.
 */
int esptun_nl_put_addr(struct sk_buff *skb, u16 family, int a4, int a6,
		       const union esptun_inaddr *a)
{
	if (family == AF_INET)
		return nla_put_in_addr(skb, a4, a->v4);
	if (family == AF_INET6)
		return nla_put_in6_addr(skb, a6, &a->v6);
	return 0;
}

/**
 * esptun_nl_get_addr - one address from an (IPv4, IPv6) attribute pair
 * @tb: parsed attributes
 * @a4: attribute type for IPv4
 * @a6: attribute type for IPv6
 * @out: the address, zeroed if none is given
 * @extack: where to say what is wrong
 *
 * Both at once is an error.
 * Return: the family found, 0 if none, or a negative errno.
 */
int esptun_nl_get_addr(struct nlattr **tb, int a4, int a6,
		       union esptun_inaddr *out, struct netlink_ext_ack *extack)
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

/**
 * esptun_nl_get_sa_addrs - an SA's local and remote address attributes
 * @tb: parsed SA attributes
 * @local: the local address, zeroed if none is given
 * @lfam: its family, 0 if none
 * @remote: the remote address, zeroed if none is given
 * @rfam: its family, 0 if none
 * @extack: where to say what is wrong
 *
 * Return: 0, or a negative errno when one of them is given twice.
 */
int esptun_nl_get_sa_addrs(struct nlattr **tb, union esptun_inaddr *local,
			   int *lfam, union esptun_inaddr *remote, int *rfam,
			   struct netlink_ext_ack *extack)
{
	*lfam = esptun_nl_get_addr(tb, ESPTUN_SA_A_LOCAL_IPV4,
				   ESPTUN_SA_A_LOCAL_IPV6, local, extack);
	if (*lfam < 0)
		return *lfam;
	*rfam = esptun_nl_get_addr(tb, ESPTUN_SA_A_REMOTE_IPV4,
				   ESPTUN_SA_A_REMOTE_IPV6, remote, extack);
	return *rfam < 0 ? *rfam : 0;
}

/* One side of a selector in the form it was set: prefix or range. */
static int esptun_fill_sel_side(struct sk_buff *skb, u16 family, int a4,
				int a6, int e4, int e6, int plen_attr,
				const union esptun_inaddr *first,
				const union esptun_inaddr *last, u8 plen)
{
	if (esptun_nl_put_addr(skb, family, a4, a6, first))
		return -EMSGSIZE;
	if (plen == ESPTUN_SEL_RANGE)
		return esptun_nl_put_addr(skb, family, e4, e6, last);
	return nla_put_u8(skb, plen_attr, plen);
}

static int esptun_fill_sel(struct sk_buff *skb, const struct esptun_sel *sel)
{
	struct nlattr *nest = nla_nest_start(skb, ESPTUN_SA_A_SELECTOR);

	if (!nest)
		return -EMSGSIZE;
	if (sel->family &&
	    (esptun_fill_sel_side(skb, sel->family, ESPTUN_SEL_A_SRC_IPV4,
				  ESPTUN_SEL_A_SRC_IPV6,
				  ESPTUN_SEL_A_SRC_END_IPV4,
				  ESPTUN_SEL_A_SRC_END_IPV6,
				  ESPTUN_SEL_A_SRC_PREFIXLEN, &sel->src,
				  &sel->src_end, sel->src_plen) ||
	     esptun_fill_sel_side(skb, sel->family, ESPTUN_SEL_A_DST_IPV4,
				  ESPTUN_SEL_A_DST_IPV6,
				  ESPTUN_SEL_A_DST_END_IPV4,
				  ESPTUN_SEL_A_DST_END_IPV6,
				  ESPTUN_SEL_A_DST_PREFIXLEN, &sel->dst,
				  &sel->dst_end, sel->dst_plen)))
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
	if (esptun_nl_put_stat(skb, ESPTUN_STAT_PACKETS, packets) ||
	    esptun_nl_put_stat(skb, ESPTUN_STAT_BYTES, bytes))
		return -EMSGSIZE;
	for (i = ESPTUN_STAT_REPLAY; i <= ESPTUN_STAT_MAX; i++)
		if (i != ESPTUN_STAT_PAD &&
		    esptun_nl_put_stat(skb, i, atomic64_read(&sa->errors[i])))
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
	    esptun_nl_put_addr(skb, ep->family, ESPTUN_SA_A_LOCAL_IPV4,
			       ESPTUN_SA_A_LOCAL_IPV6, &ep->local))
		return -EMSGSIZE;
	if (state == ESPTUN_SA_STATE_RESERVED)
		goto done;
	if (!esptun_addr_any(ep->family, &ep->remote) &&
	    esptun_nl_put_addr(skb, ep->family, ESPTUN_SA_A_REMOTE_IPV4,
			       ESPTUN_SA_A_REMOTE_IPV6, &ep->remote))
		return -EMSGSIZE;
	if (nla_put_string(skb, ESPTUN_SA_A_ENC_ALG, sa->enc_alg) ||
	    (sa->auth_alg[0] &&
	     nla_put_string(skb, ESPTUN_SA_A_AUTH_ALG, sa->auth_alg)) ||
	    nla_put_u32(skb, ESPTUN_SA_A_ICV_BITS, sa->icv_bits) ||
	    (sa->esn && nla_put_flag(skb, ESPTUN_SA_A_ESN)) ||
	    nla_put_u8(skb, ESPTUN_SA_A_ENCAP, ep->encap) ||
	    nla_put_string(skb, ESPTUN_SA_A_DRIVER,
			   crypto_tfm_alg_driver_name(crypto_aead_tfm(sa->dp.aead))) ||
	    nla_put_u8(skb, ESPTUN_SA_A_PARALLEL, sa->dp.cb_cpu >= 0))
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

/**
 * esptun_nl_fill_sa - one message describing an SA (never its keys)
 * @skb: message
 * @sa: the SA
 * @portid: netlink port of the receiver, 0 for an event
 * @seq: sequence number of the request, 0 for an event
 * @flags: netlink message flags
 * @cmd: command of the message
 * @cb: dump state, to flag an inconsistent dump; NULL outside dumps
 *
 * Return: 0 or -EMSGSIZE, with the message cancelled.
 */
int esptun_nl_fill_sa(struct sk_buff *skb, struct esptun_sa *sa,
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

/*
 * One side of a selector: a prefix (address, optional length) or a range
 * (first and last address), kept as first and last either way. @family
 * is that of the side's address, 0 when it has none (then it stays
 * empty).
 */
static int esptun_parse_sel_side(struct nlattr **tb, int e4, int e6,
				 int plen_attr, u16 family,
				 union esptun_inaddr *first,
				 union esptun_inaddr *last, u8 *plen,
				 struct nlattr *attr,
				 struct netlink_ext_ack *extack)
{
	u8 max = family == AF_INET ? 32 : 128;
	int efam;

	efam = esptun_nl_get_addr(tb, e4, e6, last, extack);
	if (efam < 0)
		return efam;
	if (efam && !family)
		return ESPTUN_BAD(extack, attr,
				  "selector range end without a start address");
	if (!family)
		return 0;
	if (efam && tb[plen_attr])
		return ESPTUN_BAD(extack, attr,
				  "selector side takes a prefix length or a range end, not both");
	if (efam && efam != family)
		return ESPTUN_BAD(extack, attr,
				  "selector range end must be of the selector's family");
	if (efam) {
		if ((family == AF_INET && ntohl(last->v4) < ntohl(first->v4)) ||
		    (family == AF_INET6 && ipv6_addr_cmp(&last->v6, &first->v6) < 0))
			return ESPTUN_BAD(extack, attr,
					  "selector range end below its start");
		*plen = ESPTUN_SEL_RANGE;
		return 0;
	}
	*plen = tb[plen_attr] ? nla_get_u8(tb[plen_attr]) : max;
	if (*plen > max) {
		if (family == AF_INET)
			return ESPTUN_BAD(extack, attr,
					  "selector prefix length too long for IPv4");
		return ESPTUN_BAD(extack, attr,
				  "selector prefix length too long for IPv6");
	}
	/* The prefix as the range it spans: host bits off, then on. */
	if (family == AF_INET) {
		first->v4 &= inet_make_mask(*plen);
		last->v4 = first->v4 | ~inet_make_mask(*plen);
	} else {
		int i;

		ipv6_addr_prefix(&first->v6, &first->v6, *plen);
		for (i = 0; i < 4; i++) {
			int bits = clamp_t(int, *plen - 32 * i, 0, 32);

			last->v6.s6_addr32[i] = first->v6.s6_addr32[i] |
						~inet_make_mask(bits);
		}
	}
	return 0;
}

/* The selector nest: addresses of one family, as prefixes or ranges;
 * ports only with a protocol that has them.
 */
static int esptun_parse_sel(struct nlattr *attr, struct esptun_sel *sel,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[ESPTUN_SEL_A_MAX + 1];
	int sfam, dfam, err;

	memset(sel, 0, sizeof(*sel));
	if (!attr)
		return 0;
	err = nla_parse_nested(tb, ESPTUN_SEL_A_MAX, attr, esptun_sel_policy,
			       extack);
	if (err)
		return err;
	sfam = esptun_nl_get_addr(tb, ESPTUN_SEL_A_SRC_IPV4,
				  ESPTUN_SEL_A_SRC_IPV6, &sel->src, extack);
	if (sfam < 0)
		return sfam;
	dfam = esptun_nl_get_addr(tb, ESPTUN_SEL_A_DST_IPV4,
				  ESPTUN_SEL_A_DST_IPV6, &sel->dst, extack);
	if (dfam < 0)
		return dfam;
	if (sfam && dfam && sfam != dfam)
		return ESPTUN_BAD(extack, attr,
				  "selector source and destination must be of one family");
	sel->family = sfam ?: dfam;
	if ((tb[ESPTUN_SEL_A_SRC_PREFIXLEN] && !sfam) ||
	    (tb[ESPTUN_SEL_A_DST_PREFIXLEN] && !dfam))
		return ESPTUN_BAD(extack, attr,
				  "selector prefix length without an address");

	err = esptun_parse_sel_side(tb, ESPTUN_SEL_A_SRC_END_IPV4,
				    ESPTUN_SEL_A_SRC_END_IPV6,
				    ESPTUN_SEL_A_SRC_PREFIXLEN, sfam, &sel->src,
				    &sel->src_end, &sel->src_plen, attr, extack);
	if (err)
		return err;
	err = esptun_parse_sel_side(tb, ESPTUN_SEL_A_DST_END_IPV4,
				    ESPTUN_SEL_A_DST_END_IPV6,
				    ESPTUN_SEL_A_DST_PREFIXLEN, dfam, &sel->dst,
				    &sel->dst_end, &sel->dst_plen, attr, extack);
	if (err)
		return err;
	/* A side left out of a selector with a family spans it all (/0). */
	if (sel->family && !sfam)
		memset(&sel->src_end, 0xff, sizeof(sel->src_end));
	if (sel->family && !dfam)
		memset(&sel->dst_end, 0xff, sizeof(sel->dst_end));

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

/**
 * esptun_nl_parse_lifetime - the lifetime nest of an SA
 * @attr: the nest, or NULL for no limits
 * @lt: the limits; those not given are 0 (none)
 * @extack: where to say what is wrong
 *
 * Return: 0 or a negative errno with @extack set.
 */
int esptun_nl_parse_lifetime(struct nlattr *attr, struct esptun_lifetime *lt,
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
	err = nla_parse_nested(tb, ESPTUN_LT_A_MAX, attr, esptun_lt_policy,
			       extack);
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
	int lfam, rfam, err;

	spin_lock_bh(&ed->lock);
	*ep = ed->ep;
	spin_unlock_bh(&ed->lock);

	err = esptun_nl_get_sa_addrs(tb, &local, &lfam, &remote, &rfam,
				     extack);
	if (err)
		return err;
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

/**
 * esptun_nl_parse_sa_id - the SA nest of a command naming one SA
 * @info: request info
 * @policy: the command's policy for the SA nest
 * @tb: gets the parsed nest, ESPTUN_SA_A_MAX + 1 entries
 * @dir: gets DIR
 * @spi: gets SPI, network order
 *
 * Return: 0 or a negative errno with the extack set.
 */
int esptun_nl_parse_sa_id(struct genl_info *info,
			  const struct nla_policy *policy, struct nlattr **tb,
			  u8 *dir, __be32 *spi)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[ESPTUN_A_SA];
	int err;

	if (!nest)
		return ESPTUN_MISSING(extack, NULL, ESPTUN_A_SA,
				      "missing SA attributes");
	err = nla_parse_nested(tb, ESPTUN_SA_A_MAX, nest, policy, extack);
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

/* Algorithms, keys and ICV length, in form only: whether the algorithm
 * exists and takes these keys is for crypto.c to say.
 */
static int esptun_parse_sa_algs(struct nlattr *nest, struct nlattr **tb,
				struct esptun_sa_cfg *cfg,
				struct netlink_ext_ack *extack)
{
	bool aead;

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
	return 0;
}

/* Replay window, ESN and the sequence numbers to start from; each
 * belongs to one direction.
 */
static int esptun_parse_sa_seq(struct nlattr *nest, struct nlattr **tb,
			       struct esptun_sa_cfg *cfg,
			       struct netlink_ext_ack *extack)
{
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
	return 0;
}

/* Outer addresses and encapsulation; an inbound SA needs a local
 * address to be found by, an outbound one a remote to send to.
 */
static int esptun_parse_sa_addrs(struct esptun_dev *ed, struct nlattr *nest,
				 struct nlattr **tb, struct esptun_sa_cfg *cfg,
				 struct netlink_ext_ack *extack)
{
	const struct esptun_endpoint *ep = &cfg->ep;
	int err;

	err = esptun_parse_sa_ep(ed, tb, &cfg->ep, extack);
	if (err)
		return err;
	if (cfg->dir == ESPTUN_DIR_IN &&
	    (!ep->family || esptun_addr_any(ep->family, &ep->local)))
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_LOCAL_IPV4,
				      "no local address: set one on the device or the SA");
	if (cfg->dir == ESPTUN_DIR_OUT &&
	    (!ep->family || esptun_addr_any(ep->family, &ep->remote)))
		return ESPTUN_MISSING(extack, nest, ESPTUN_SA_A_REMOTE_IPV4,
				      "no remote address: set one on the device or the SA");
	return 0;
}

/**
 * esptun_nl_parse_sa_cfg - the SA nest of SA_NEW
 * @ed: the device, whose endpoints are the defaults
 * @info: request info
 * @tb: gets the parsed nest, ESPTUN_SA_A_MAX + 1 entries
 * @cfg: gets the SA as requested, keys included
 *
 * Checks the form of the request; crypto.c checks the algorithms.
 * Return: 0 or a negative errno with the extack set.
 */
int esptun_nl_parse_sa_cfg(struct esptun_dev *ed, struct genl_info *info,
			   struct nlattr **tb, struct esptun_sa_cfg *cfg)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[ESPTUN_A_SA];
	int err;

	err = esptun_nl_parse_sa_id(info, esptun_sa_new_policy, tb,
				    &cfg->dir, &cfg->spi);
	if (err)
		return err;
	if (ntohl(cfg->spi) < ESPTUN_SPI_MIN)
		return ESPTUN_BAD(extack, tb[ESPTUN_SA_A_SPI],
				  "SPI 0 to 255 are reserved");
	err = esptun_parse_sa_algs(nest, tb, cfg, extack);
	if (err)
		return err;
	err = esptun_parse_sa_seq(nest, tb, cfg, extack);
	if (err)
		return err;
	err = esptun_parse_sa_addrs(ed, nest, tb, cfg, extack);
	if (err)
		return err;
	err = esptun_nl_parse_lifetime(tb[ESPTUN_SA_A_LIFETIME], &cfg->lt,
				       extack);
	if (err)
		return err;
	return esptun_parse_sel(tb[ESPTUN_SA_A_SELECTOR], &cfg->sel, extack);
}
