/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun generic netlink family: registration. Events the data path sends
 * are declared in events.h.
 */
#ifndef _ESPTUN_NETLINK_H
#define _ESPTUN_NETLINK_H

int esptun_nl_init(void);
void esptun_nl_exit(void);

#endif /* _ESPTUN_NETLINK_H */
