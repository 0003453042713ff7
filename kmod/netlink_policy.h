/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun generic netlink: the family, its operations and policies
 * (netlink_policy.c) and the handlers they point to (netlink.c,
 * netlink_dev.c, netlink_sa.c).
 */
#ifndef _ESPTUN_NETLINK_POLICY_H
#define _ESPTUN_NETLINK_POLICY_H

#include <net/genetlink.h>

#include "../uapi/esptun.h"

/* genl_ops.internal_flags */
#define ESPTUN_NLF_NEED_DEV	BIT(0)	/* doit needs IFINDEX or IFNAME */
#define ESPTUN_NLF_OPT_DEV	BIT(1)	/* doit takes an optional device */

extern struct genl_family esptun_genl_family;

/* Nested policies, one per nest and command taking it. */
extern const struct nla_policy esptun_sel_policy[ESPTUN_SEL_A_MAX + 1];
extern const struct nla_policy esptun_lt_policy[ESPTUN_LT_A_MAX + 1];
extern const struct nla_policy esptun_dev_set_policy[ESPTUN_DEV_A_MAX + 1];
extern const struct nla_policy esptun_sa_new_policy[ESPTUN_SA_A_MAX + 1];
extern const struct nla_policy esptun_sa_update_policy[ESPTUN_SA_A_MAX + 1];
extern const struct nla_policy esptun_sa_id_policy[ESPTUN_SA_A_MAX + 1];
extern const struct nla_policy esptun_spi_alloc_sa_policy[ESPTUN_SA_A_MAX + 1];

int esptun_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
		       struct genl_info *info);
void esptun_nl_post_doit(const struct genl_ops *ops, struct sk_buff *skb,
			 struct genl_info *info);

int esptun_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int esptun_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int esptun_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info);
int esptun_nl_sa_new_doit(struct sk_buff *skb, struct genl_info *info);
int esptun_nl_sa_update_doit(struct sk_buff *skb, struct genl_info *info);
int esptun_nl_sa_del_doit(struct sk_buff *skb, struct genl_info *info);
int esptun_nl_sa_get_doit(struct sk_buff *skb, struct genl_info *info);
int esptun_nl_sa_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int esptun_nl_sa_flush_doit(struct sk_buff *skb, struct genl_info *info);
int esptun_nl_spi_alloc_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* _ESPTUN_NETLINK_POLICY_H */
