/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun SA lookup: inbound by (SPI, local address) per namespace, outbound
 * by selector per device.
 */
#ifndef _ESPTUN_SA_TABLE_H
#define _ESPTUN_SA_TABLE_H

#include "sa.h"

/* Data path; any context, they take rcu_read_lock themselves. */
struct esptun_sa *esptun_sa_lookup_in(struct net *net, u16 family,
				      const union esptun_inaddr *daddr,
				      __be32 spi);
struct esptun_sa *esptun_sa_select_out(struct esptun_dev *ed,
				       const struct sk_buff *skb);

/* Control plane; process context, under the genetlink mutex or from the
 * SA work items. See sa_table.c for each one's contract.
 */
int esptun_sa_check_free(struct esptun_dev *ed, const struct esptun_sa *sa,
			 struct netlink_ext_ack *extack);
int esptun_sa_link(struct esptun_sa *sa, struct netlink_ext_ack *extack);
bool esptun_sa_unlink(struct esptun_sa *sa);
struct esptun_sa *esptun_sa_find(struct esptun_dev *ed, u8 dir, __be32 spi,
				 u16 family, const union esptun_inaddr *local,
				 struct netlink_ext_ack *extack);
unsigned int esptun_sa_flush_dev(struct esptun_dev *ed, bool dying);
int esptun_spi_alloc(struct esptun_dev *ed, u16 family,
		     const union esptun_inaddr *local, u32 min, u32 max,
		     u32 seconds, __be32 *spi, struct netlink_ext_ack *extack);
bool esptun_sa_out_known(struct net *net, u16 family,
			 const union esptun_inaddr *saddr,
			 const union esptun_inaddr *daddr, __be32 spi);
bool esptun_xfrm_holds(struct net *net, u16 family,
		       const union esptun_inaddr *daddr, __be32 spi);

int esptun_sa_table_init(struct esptun_net *en);
void esptun_sa_table_destroy(struct esptun_net *en);

#endif /* _ESPTUN_SA_TABLE_H */
