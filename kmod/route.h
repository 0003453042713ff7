/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun outer routes: lookup in the device's namespace, cached per SA.
 */
#ifndef _ESPTUN_ROUTE_H
#define _ESPTUN_ROUTE_H

#include <net/dst.h>

#include "sa.h"

struct dst_entry *esptun_route_out(struct esptun_sa *sa,
				   const struct esptun_endpoint *ep,
				   unsigned int seq, union esptun_inaddr *saddr);

#endif /* _ESPTUN_ROUTE_H */
