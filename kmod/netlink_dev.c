// SPDX-License-Identifier: GPL-2.0
/*
 * esptun generic netlink: device commands, DEV_GET and DEV_SET.
 *
 * A device's endpoints (outer addresses, encapsulation) are the defaults
 * an SA added to it starts from. Its link settings (carrier, MSS clamp,
 * automatic MTU) act on the device itself; carrier and MTU change under
 * RTNL, as every other change of a link does. Parallel crypto applies to
 * the SAs added after it is set: an SA keeps the transform it began with.
 */

#include <linux/rtnetlink.h>

#include "netlink_attr.h"
#include "netlink_policy.h"
#include "mtu.h"

/* DEV_SET's link settings; has_* say which were given. */
struct esptun_link_cfg {
	bool has_carrier, has_mss, has_mtu_auto, has_parallel;
	bool carrier, mtu_auto, parallel;
	u16 mss;
};

static int esptun_parse_link(struct nlattr **tb, struct esptun_link_cfg *lc,
			     struct netlink_ext_ack *extack)
{
	memset(lc, 0, sizeof(*lc));
	if (tb[ESPTUN_DEV_A_MSS_CLAMP]) {
		lc->has_mss = true;
		lc->mss = nla_get_u16(tb[ESPTUN_DEV_A_MSS_CLAMP]);
		if (lc->mss > ESPTUN_MSS_CLAMP_AUTO &&
		    lc->mss < ESPTUN_MSS_CLAMP_MIN)
			return ESPTUN_BAD(extack, tb[ESPTUN_DEV_A_MSS_CLAMP],
					  "MSS clamp is 0 (off), 1 (auto) or 536 to 65535");
	}
	if (tb[ESPTUN_DEV_A_CARRIER]) {
		lc->has_carrier = true;
		lc->carrier = nla_get_u8(tb[ESPTUN_DEV_A_CARRIER]);
	}
	if (tb[ESPTUN_DEV_A_MTU_AUTO]) {
		lc->has_mtu_auto = true;
		lc->mtu_auto = nla_get_u8(tb[ESPTUN_DEV_A_MTU_AUTO]);
	}
	if (tb[ESPTUN_DEV_A_PARALLEL]) {
		lc->has_parallel = true;
		lc->parallel = nla_get_u8(tb[ESPTUN_DEV_A_PARALLEL]);
	}
	return 0;
}

static void esptun_apply_link(struct esptun_dev *ed,
			      const struct esptun_link_cfg *lc)
{
	if (lc->has_mss)
		WRITE_ONCE(ed->mss_clamp, lc->mss);
	if (lc->has_parallel)
		WRITE_ONCE(ed->parallel, lc->parallel);
	if (!lc->has_carrier && !lc->has_mtu_auto)
		return;
	rtnl_lock();
	if (lc->has_carrier)
		esptun_dev_set_carrier(ed, lc->carrier);
	if (lc->has_mtu_auto) {
		WRITE_ONCE(ed->mtu_auto, lc->mtu_auto);
		WRITE_ONCE(ed->mtu_pmtu, 0);
		esptun_mtu_update_locked(ed);
	}
	rtnl_unlock();
}

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
	    esptun_nl_put_addr(skb, ep.family, ESPTUN_DEV_A_LOCAL_IPV4,
			       ESPTUN_DEV_A_LOCAL_IPV6, &ep.local))
		goto err;
	if (ep.family && !esptun_addr_any(ep.family, &ep.remote) &&
	    esptun_nl_put_addr(skb, ep.family, ESPTUN_DEV_A_REMOTE_IPV4,
			       ESPTUN_DEV_A_REMOTE_IPV6, &ep.remote))
		goto err;
	if (nla_put_u8(skb, ESPTUN_DEV_A_ENCAP, ep.encap))
		goto err;
	if (ep.encap == ESPTUN_ENCAP_UDP &&
	    (nla_put_u16(skb, ESPTUN_DEV_A_ENCAP_SPORT, ntohs(ep.sport)) ||
	     nla_put_u16(skb, ESPTUN_DEV_A_ENCAP_DPORT, ntohs(ep.dport))))
		goto err;
	if (nla_put_u32(skb, ESPTUN_DEV_A_SA_COUNT, READ_ONCE(ed->sa_count)) ||
	    nla_put_u8(skb, ESPTUN_DEV_A_CARRIER, READ_ONCE(ed->carrier)) ||
	    nla_put_u16(skb, ESPTUN_DEV_A_MSS_CLAMP,
			READ_ONCE(ed->mss_clamp)) ||
	    nla_put_u8(skb, ESPTUN_DEV_A_MTU_AUTO, READ_ONCE(ed->mtu_auto)) ||
	    nla_put_u8(skb, ESPTUN_DEV_A_PARALLEL, READ_ONCE(ed->parallel)))
		goto err;
	stats = nla_nest_start(skb, ESPTUN_DEV_A_STATS);
	if (!stats)
		goto err;
	for (i = ESPTUN_STAT_REPLAY; i <= ESPTUN_STAT_MAX; i++) {
		u64 v = i == ESPTUN_STAT_UNKNOWN_SPI ?
			atomic64_read(&en->unknown_spi) :
			atomic64_read(&ed->stats[i]);

		if (i != ESPTUN_STAT_PAD && esptun_nl_put_stat(skb, i, v))
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
	struct esptun_link_cfg lc;
	struct esptun_endpoint ep;
	int lfam, rfam, err;

	if (!info->attrs[ESPTUN_A_DEV])
		return ESPTUN_MISSING(extack, NULL, ESPTUN_A_DEV,
				      "missing DEV attributes");
	err = nla_parse_nested(tb, ESPTUN_DEV_A_MAX, info->attrs[ESPTUN_A_DEV],
			       esptun_dev_set_policy, extack);
	if (err)
		return err;
	err = esptun_parse_link(tb, &lc, extack);
	if (err)
		return err;

	lfam = esptun_nl_get_addr(tb, ESPTUN_DEV_A_LOCAL_IPV4,
				  ESPTUN_DEV_A_LOCAL_IPV6, &local, extack);
	if (lfam < 0)
		return lfam;
	rfam = esptun_nl_get_addr(tb, ESPTUN_DEV_A_REMOTE_IPV4,
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
	esptun_apply_link(ed, &lc);
	return 0;
}
