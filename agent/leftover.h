/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SAs a previous esptund left in the kernel (it was killed, or crashed):
 * they keep carrying traffic until this run has negotiated its own, then
 * nothing uses them. They are noted at start-up and removed, per device
 * and peer, once this run has installed an outbound SA to that peer.
 */
#ifndef ESPTUND_LEFTOVER_H
#define ESPTUND_LEFTOVER_H

#include <net/if.h>
#include <stddef.h>
#include <sys/socket.h>

#include "kernel/backend.h"

struct leftover {
	char ifname[IF_NAMESIZE];
	struct kernel_sa_ent sa;
};

struct leftovers {
	struct leftover *v;
	size_t n, cap;
};

/* Notes the SAs on @ifname. 0, or -errno from the kernel or -ENOMEM. */
int leftover_scan(struct leftovers *l, struct kernel *k, const char *ifname);
/*
 * Deletes the noted SAs on @ifname whose peer is @remote, those the
 * kernel still holds (same SPI, peer and time added), and forgets them.
 * Returns how many it deleted.
 */
int leftover_drop(struct leftovers *l, struct kernel *k, const char *ifname,
		  const struct sockaddr_storage *remote);
void leftover_free(struct leftovers *l);

#endif /* ESPTUND_LEFTOVER_H */
