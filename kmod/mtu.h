/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun automatic device MTU: the newest outbound SA's path MTU minus
 * its ESP overhead.
 */
#ifndef _ESPTUN_MTU_H
#define _ESPTUN_MTU_H

#include "sa.h"

void esptun_mtu_init(struct esptun_dev *ed);
void esptun_mtu_update(struct esptun_dev *ed);
void esptun_mtu_update_locked(struct esptun_dev *ed);
void esptun_mtu_check(struct esptun_dev *ed, struct esptun_sa *sa,
		      unsigned int pmtu);
void esptun_mtu_uninit(struct esptun_dev *ed);

#endif /* _ESPTUN_MTU_H */
