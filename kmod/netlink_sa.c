// SPDX-License-Identifier: GPL-2.0
/*
 * esptun generic netlink: SA commands (SA_NEW, SA_UPDATE, SA_DEL, SA_GET,
 * SA_FLUSH) and SPI reservation (SPI_ALLOC).
 *
 * Every rule is checked before anything changes: SA_NEW builds the SA
 * completely, data-path state included, before linking it into the table.
 */

#include <linux/slab.h>

#include "netlink_attr.h"
#include "netlink_policy.h"
#include "sa_table.h"
#include "mtu.h"

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
	err = esptun_nl_parse_sa_cfg(ed, info, tb, cfg);
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
	if (cfg->dir == ESPTUN_DIR_OUT)
		esptun_mtu_update(ed);
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

	err = esptun_nl_parse_sa_id(info, esptun_sa_update_policy, tb, &dir,
				    &spi);
	if (err)
		return err;
	err = esptun_nl_get_sa_addrs(tb, &local, &lfam, &remote, &rfam,
				     extack);
	if (err)
		return err;
	err = esptun_nl_parse_lifetime(tb[ESPTUN_SA_A_LIFETIME], &lt, extack);
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
	/* Another remote or encapsulation: another path and overhead. */
	if (dir == ESPTUN_DIR_OUT)
		esptun_mtu_update(ed);
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

	err = esptun_nl_parse_sa_id(info, esptun_sa_id_policy, tb, &dir, &spi);
	if (err)
		return ERR_PTR(err);
	lfam = esptun_nl_get_addr(tb, ESPTUN_SA_A_LOCAL_IPV4,
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

	struct esptun_dev *ed = info->user_ptr[0];
	bool out;

	sa = esptun_nl_sa_from_req(info);
	if (IS_ERR(sa))
		return PTR_ERR(sa);
	out = sa->dir == ESPTUN_DIR_OUT;
	esptun_sa_unlink(sa);
	esptun_sa_put(sa);
	/* An older SA may be the newest now. */
	if (out)
		esptun_mtu_update(ed);
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
	err = esptun_nl_fill_sa(msg, sa, info->snd_portid, info->snd_seq, 0,
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
			if (esptun_nl_fill_sa(skb, sa, NETLINK_CB(cb->skb).portid,
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
				       info->attrs[ESPTUN_A_SA],
				       esptun_spi_alloc_sa_policy, extack);
		if (err)
			return err;
	}
	fam = esptun_nl_get_addr(tb, ESPTUN_SA_A_LOCAL_IPV4,
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
	    esptun_nl_put_addr(msg, fam, ESPTUN_SA_A_LOCAL_IPV4,
			       ESPTUN_SA_A_LOCAL_IPV6, &local))
		goto free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
free:
	nlmsg_free(msg);
	return err;
}
