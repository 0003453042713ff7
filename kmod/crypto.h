/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun ESP algorithms: which names we accept, what they look like on the
 * wire and how they map onto the kernel crypto API.
 */
#ifndef _ESPTUN_CRYPTO_H
#define _ESPTUN_CRYPTO_H

#include "datapath.h"

struct esptun_sa_cfg;

int esptun_crypto_init(struct esptun_sa_dp *dp, const struct esptun_sa_cfg *cfg,
		       struct netlink_ext_ack *extack);
void esptun_crypto_free(struct esptun_sa_dp *dp);

#endif /* _ESPTUN_CRYPTO_H */
