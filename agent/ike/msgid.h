/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Message IDs used under one ISAKMP SA, by either side (as libreswan's
 * ikev1_msgid.c). A new exchange must bring a Message ID not used
 * before: an authenticated message replayed after its exchange ended,
 * even with bytes appended so it no longer matches a stored digest, is
 * recognised by its Message ID and refused.
 */
#ifndef ESPTUND_IKE_MSGID_H
#define ESPTUND_IKE_MSGID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bound on the IDs kept: more than a day of DPD every ten seconds plus
 * Quick Modes. Past it the oldest go; by then the ISAKMP SA has long
 * been due for renewal.
 */
#define MSGID_MAX	16384

struct msgid_log {
	uint32_t *ids;		/* ring of used IDs, oldest at head */
	size_t n, cap, head;
};

bool msgid_used(const struct msgid_log *l, uint32_t msgid);
/* Remember msgid (once); -1 when out of memory. */
int msgid_add(struct msgid_log *l, uint32_t msgid);
void msgid_free(struct msgid_log *l);

#endif
