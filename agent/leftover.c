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

/*
 * Whether the device still holds the very SA noted: one that expired
 * meanwhile may have left its SPI to another (this run's own, or one
 * added by hand), which is no leftover.
 */
static bool still_there(const struct leftovers *now, const struct leftover *o)
{
	size_t i;

	for (i = 0; i < now->n; i++) {
		const struct kernel_sa_ent *sa = &now->v[i].sa;

		if (sa->dir == o->sa.dir && sa->spi == o->sa.spi &&
		    sa->add_time == o->sa.add_time &&
		    conn_addr_equal(&sa->remote, &o->sa.remote, false))
			return true;
	}
	return false;
}

int leftover_drop(struct leftovers *l, struct kernel *k, const char *ifname,
		  const struct sockaddr_storage *remote)
{
	struct leftovers now = { 0 };
	size_t i = 0;
	int n = 0;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].ifname, ifname) &&
		    conn_addr_equal(&l->v[i].sa.remote, remote, false))
			break;
	if (i == l->n)
		return 0;
	/* Not knowing what is there now, nothing is deleted; tried again. */
	if (leftover_scan(&now, k, ifname)) {
		leftover_free(&now);
		return 0;
	}
	while (i < l->n) {
		struct leftover *o = &l->v[i];

		if (strcmp(o->ifname, ifname) ||
		    !conn_addr_equal(&o->sa.remote, remote, false)) {
			i++;
			continue;
		}
		if (still_there(&now, o) &&
		    !kernel_sa_del(k, ifname, o->sa.dir, o->sa.spi))
			n++;
		l->v[i] = l->v[--l->n];
	}
	leftover_free(&now);
	return n;
}

void leftover_free(struct leftovers *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
