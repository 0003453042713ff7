/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun multicast events, for the data path and the SA timers; callable
 * from any context (they allocate with GFP_ATOMIC).
 */
#ifndef _ESPTUN_EVENTS_H
#define _ESPTUN_EVENTS_H

#include "sa.h"

void esptun_nl_event_expire(struct esptun_sa *sa, bool hard, u8 reason);
void esptun_nl_event_acquire(struct esptun_dev *ed, const struct sk_buff *skb);
void esptun_nl_event_unknown_spi(struct net *net, u16 family,
				 const union esptun_inaddr *saddr,
				 const union esptun_inaddr *daddr, __be32 spi,
				 __be16 sport, __be16 dport);
void esptun_nl_event_remote_moved(struct esptun_sa *sa, u16 family,
				  const union esptun_inaddr *saddr,
				  __be16 sport, __be16 dport);

#endif /* _ESPTUN_EVENTS_H */
