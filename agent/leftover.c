// SPDX-License-Identifier: GPL-2.0
/*
 * SAs a previous esptund left in the kernel. Removed only once this run
 * sends to the peer on an SA of its own, so traffic never waits for the
 * new negotiation; the peer, told INITIAL-CONTACT, has dropped its half
 * by then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ikev1.h"
#include "leftover.h"

struct scan {
	struct leftovers *l;
	const char *ifname;
	int err;
};

static void note(void *arg, const struct kernel_sa_ent *sa)
{
	struct scan *s = arg;
	struct leftovers *l = s->l;

	if (s->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct leftover *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			s->err = -ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	snprintf(l->v[l->n].ifname, sizeof(l->v[l->n].ifname), "%s",
		 s->ifname);
	l->v[l->n].sa = *sa;
	l->n++;
}

int leftover_scan(struct leftovers *l, struct kernel *k, const char *ifname)
{
	struct scan s = { .l = l, .ifname = ifname };
	int err = kernel_sa_list(k, ifname, note, &s);

	return err ? err : s.err;
}

int leftover_drop(struct leftovers *l, struct kernel *k, const char *ifname,
		  const struct sockaddr_storage *remote)
{
	size_t i = 0;
	int n = 0;

	while (i < l->n) {
		struct leftover *o = &l->v[i];

		if (strcmp(o->ifname, ifname) ||
		    !conn_addr_equal(&o->sa.remote, remote, false)) {
			i++;
			continue;
		}
		/* Gone already (expired meanwhile): nothing to count. */
		if (!kernel_sa_del(k, ifname, o->sa.dir, o->sa.spi))
			n++;
		l->v[i] = l->v[--l->n];
	}
	return n;
}

void leftover_free(struct leftovers *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
