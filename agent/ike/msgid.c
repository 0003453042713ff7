// SPDX-License-Identifier: GPL-2.0
/* Message IDs used under one ISAKMP SA. */
#include <stdlib.h>
#include <string.h>

#include "ike/msgid.h"

bool msgid_used(const struct msgid_log *l, uint32_t msgid)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ids[(l->head + i) % l->cap] == msgid)
			return true;
	return false;
}

int msgid_add(struct msgid_log *l, uint32_t msgid)
{
	if (msgid_used(l, msgid))
		return 0;
	if (l->n == l->cap && l->cap < MSGID_MAX) {
		size_t cap = l->cap ? l->cap * 2 : 16, i;
		uint32_t *ids = malloc(cap * sizeof(*ids));

		if (!ids)
			return -1;
		for (i = 0; i < l->n; i++)
			ids[i] = l->ids[(l->head + i) % l->cap];
		free(l->ids);
		l->ids = ids;
		l->cap = cap;
		l->head = 0;
	}
	if (l->n == l->cap) {
		/* Full at MSGID_MAX: the oldest makes room. */
		l->head = (l->head + 1) % l->cap;
		l->n--;
	}
	l->ids[(l->head + l->n) % l->cap] = msgid;
	l->n++;
	return 0;
}

void msgid_free(struct msgid_log *l)
{
	free(l->ids);
	memset(l, 0, sizeof(*l));
}
