/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun generic netlink family: commands and multicast events.
 */
#ifndef _ESPTUN_NETLINK_H
#define _ESPTUN_NETLINK_H

#include "sa.h"

int esptun_nl_init(void);
void esptun_nl_exit(void);

/* Events; callable from any context (they allocate with GFP_ATOMIC). */
void esptun_nl_event_expire(struct esptun_sa *sa, bool hard, u8 reason);
void esptun_nl_event_acquire(struct esptun_dev *ed, const struct sk_buff *skb);
void esptun_nl_event_unknown_spi(struct net *net, u16 family,
				 const union esptun_inaddr *saddr,
				 const union esptun_inaddr *daddr, __be32 spi,
				 __be16 sport, __be16 dport);

#endif /* _ESPTUN_NETLINK_H */
