/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SAs a previous esptund left in the kernel (it was killed, or crashed):
 * they keep carrying traffic until this run has negotiated its own, then
 * nothing uses them. They are noted at start-up and removed, per device
 * and peer, once this run has installed an outbound SA to that peer: the
 * outbound ones at once, the inbound ones after the grace a replaced pair
 * gets, since the peer may still send on the old pair for a moment.
 */
#ifndef ESPTUND_LEFTOVER_H
#define ESPTUND_LEFTOVER_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kernel/backend.h"

struct leftover {
	char ifname[IF_NAMESIZE];
	struct kernel_sa_ent sa;
	uint64_t drop_at;	/* ms; 0 = not due yet */
};

struct leftovers {
	struct leftover *v;
	size_t n, cap;
};

/* Notes the SAs on @ifname. 0, or -errno from the kernel or -ENOMEM. */
int leftover_scan(struct leftovers *l, struct kernel *k, const char *ifname);
/*
 * This run sends to @remote on @ifname now (@now_ms): deletes the noted
 * outbound SAs toward it that the kernel still holds (same SPI, peer and
 * time added), forgets them, and makes the inbound ones due in
 * REKEY_GRACE_MS. Returns how many it deleted.
 */
int leftover_drop(struct leftovers *l, struct kernel *k, const char *ifname,
		  const struct sockaddr_storage *remote, uint64_t now_ms);
/* Deletes and forgets the noted SAs due by @now_ms; how many it deleted. */
int leftover_due(struct leftovers *l, struct kernel *k, uint64_t now_ms);
/* Milliseconds until the next noted SA is due, or -1 for none. */
int64_t leftover_next_ms(const struct leftovers *l, uint64_t now_ms);
void leftover_free(struct leftovers *l);

#endif /* ESPTUND_LEFTOVER_H */
