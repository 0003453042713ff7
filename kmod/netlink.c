// SPDX-License-Identifier: GPL-2.0
/*
 * esptun generic netlink: registering the family, and resolving the device
 * a command names before its handler runs.
 *
 * The family, its operations and policies are in netlink_policy.c; the
 * handlers in netlink_dev.c (devices) and netlink_sa.c (SAs and SPIs),
 * built on netlink_attr.c, which turns attributes into kernel structs and
 * back. Multicast events, the one part the data path calls, are in
 * events.c.
 *
 * Handlers run under the genetlink mutex (the family is not parallel), so
 * two commands never race; SA expiry work and the packet path are the
 * other actors, hence the SA table lock. The policy has already checked
 * types, lengths and ranges; what is left for the handlers is presence,
 * combinations and meaning, one message per rule, and every rule is
 * checked before anything changes.
 */

#include <linux/if.h>

#include "netlink.h"
#include "netlink_attr.h"
#include "netlink_policy.h"

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
