/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun generic netlink: attributes to kernel structs and back, shared by
 * the command handlers and the events.
 */
#ifndef _ESPTUN_NETLINK_ATTR_H
#define _ESPTUN_NETLINK_ATTR_H

#include <net/genetlink.h>

#include "sa.h"

/* SPIs below this are reserved by RFC 4303. */
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

static inline int esptun_nl_put_stat(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, ESPTUN_STAT_PAD);
}

int esptun_nl_put_addr(struct sk_buff *skb, u16 family, int a4, int a6,
		       const union esptun_inaddr *a);
int esptun_nl_get_addr(struct nlattr **tb, int a4, int a6,
		       union esptun_inaddr *out, struct netlink_ext_ack *extack);
int esptun_nl_get_sa_addrs(struct nlattr **tb, union esptun_inaddr *local,
			   int *lfam, union esptun_inaddr *remote, int *rfam,
			   struct netlink_ext_ack *extack);

int esptun_nl_fill_sa(struct sk_buff *skb, struct esptun_sa *sa,
		      u32 portid, u32 seq, int flags, u8 cmd,
		      struct netlink_callback *cb);

int esptun_nl_parse_sa_id(struct genl_info *info,
			  const struct nla_policy *policy, struct nlattr **tb,
			  u8 *dir, __be32 *spi);
int esptun_nl_parse_sa_cfg(struct esptun_dev *ed, struct genl_info *info,
			   struct nlattr **tb, struct esptun_sa_cfg *cfg);
int esptun_nl_parse_lifetime(struct nlattr *attr, struct esptun_lifetime *lt,
			     struct netlink_ext_ack *extack);

#endif /* _ESPTUN_NETLINK_ATTR_H */
