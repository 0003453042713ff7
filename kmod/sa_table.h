/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun SA lookup: inbound by (SPI, local address) per namespace, outbound
 * by selector per device.
 */
#ifndef _ESPTUN_SA_TABLE_H
#define _ESPTUN_SA_TABLE_H

#include "sa.h"

/**
 * esptun_sa_lookup_in - find the inbound SA for a received ESP packet
 * @net: namespace the packet arrived in
 * @family: AF_INET or AF_INET6
 * @daddr: outer destination address of the packet
 * @spi: SPI from the ESP header, network order
 *
 * Context: any, takes rcu_read_lock itself.
 * Return: the SA with a reference held (esptun_sa_put() it), or NULL.
 * Reserved SPIs (no keys yet) are not returned. A hard-expired SA whose
 * deletion is pending is: the caller drops the packet and counts
 * ESPTUN_STAT_EXPIRED (the SPI is not unknown).
 */
struct esptun_sa *esptun_sa_lookup_in(struct net *net, u16 family,
				      const union esptun_inaddr *daddr,
				      __be32 spi);

/**
 * esptun_sa_select_out - outbound SA for an inner packet
 * @ed: the device the packet was routed into
 * @skb: the inner packet (network header set)
 *
 * Picks the newest valid outbound SA whose selector matches.
 * Context: any, takes rcu_read_lock itself.
 * Return: the SA with a reference held, or NULL.
 */
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
			 const union esptun_inaddr *daddr, __be32 spi);
bool esptun_xfrm_holds(struct net *net, u16 family,
		       const union esptun_inaddr *daddr, __be32 spi);

int esptun_sa_table_init(struct esptun_net *en);
void esptun_sa_table_destroy(struct esptun_net *en);

#endif /* _ESPTUN_SA_TABLE_H */
