/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun TCP MSS clamp of SYNs crossing the device.
 */
#ifndef _ESPTUN_MSS_H
#define _ESPTUN_MSS_H

#include <linux/skbuff.h>

#include "device.h"

void esptun_mss_clamp(struct esptun_dev *ed, struct sk_buff *skb);

#endif /* _ESPTUN_MSS_H */
