// SPDX-License-Identifier: GPL-2.0
/*
 * SAs a previous esptund left in the kernel. Removed only once this run
 * sends to the peer on an SA of its own, so traffic never waits for the
 * new negotiation: the outbound ones then, the inbound ones a grace period
 * later, as a rekey keeps a replaced pair's inbound SA for what the peer
 * still sends on it.
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
	l->v[l->n].drop_at = 0;
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

/* Which noted SAs a deletion takes: toward @remote, or those due. */
struct pick {
	const char *ifname;
	const struct sockaddr_storage *remote;	/* NULL: by drop_at */
	enum ike_sa_dir dir;			/* with @remote only */
	uint64_t now;
};

static bool picked(const struct leftover *o, const struct pick *p)
{
	if (strcmp(o->ifname, p->ifname))
		return false;
	if (!p->remote)
		return o->drop_at && o->drop_at <= p->now;
	return o->sa.dir == p->dir &&
	       conn_addr_equal(&o->sa.remote, p->remote, false);
}

/* Deletes the picked SAs the kernel still holds, and forgets them all. */
static int drop_picked(struct leftovers *l, struct kernel *k,
		       const struct pick *p)
{
	struct leftovers now = { 0 };
	size_t i = 0;
	int n = 0;

	for (i = 0; i < l->n; i++)
		if (picked(&l->v[i], p))
			break;
	if (i == l->n)
		return 0;
	/* Not knowing what is there now, nothing is deleted; tried again. */
	if (leftover_scan(&now, k, p->ifname)) {
		leftover_free(&now);
		return 0;
	}
	while (i < l->n) {
		struct leftover *o = &l->v[i];

		if (!picked(o, p)) {
			i++;
			continue;
		}
		if (still_there(&now, o) &&
		    !kernel_sa_del(k, p->ifname, o->sa.dir, o->sa.spi))
			n++;
		l->v[i] = l->v[--l->n];
	}
	leftover_free(&now);
	return n;
}

int leftover_drop(struct leftovers *l, struct kernel *k, const char *ifname,
		  const struct sockaddr_storage *remote, uint64_t now_ms)
{
	struct pick p = { ifname, remote, IKE_DIR_OUT, now_ms };
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct leftover *o = &l->v[i];

		if (!o->drop_at && o->sa.dir == IKE_DIR_IN &&
		    !strcmp(o->ifname, ifname) &&
		    conn_addr_equal(&o->sa.remote, remote, false))
			o->drop_at = now_ms + REKEY_GRACE_MS;
	}
	return drop_picked(l, k, &p);
}

int leftover_due(struct leftovers *l, struct kernel *k, uint64_t now_ms)
{
	char ifname[IF_NAMESIZE];
	struct pick p = { ifname, NULL, IKE_DIR_IN, now_ms };
	size_t i, before;
	int n = 0;

	for (;;) {
		for (i = 0; i < l->n; i++)
			if (l->v[i].drop_at && l->v[i].drop_at <= now_ms)
				break;
		if (i == l->n)
			return n;
		/* The entries move as they go: the name is copied. */
		memcpy(ifname, l->v[i].ifname, sizeof(ifname));
		before = l->n;
		n += drop_picked(l, k, &p);
		if (l->n < before)
			continue;
		/*
		 * The device could not be listed (it may be gone): tried
		 * again a grace period later, not in a loop.
		 */
		for (i = 0; i < l->n; i++)
			if (!strcmp(l->v[i].ifname, ifname) &&
			    l->v[i].drop_at && l->v[i].drop_at <= now_ms)
				l->v[i].drop_at = now_ms + REKEY_GRACE_MS;
	}
}

int64_t leftover_next_ms(const struct leftovers *l, uint64_t now_ms)
{
	int64_t next = -1;
	size_t i;

	for (i = 0; i < l->n; i++) {
		uint64_t at = l->v[i].drop_at;
		int64_t d;

		if (!at)
			continue;
		d = at > now_ms ? (int64_t)(at - now_ms) : 0;
		if (next < 0 || d < next)
			next = d;
	}
	return next;
}

void leftover_free(struct leftovers *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
