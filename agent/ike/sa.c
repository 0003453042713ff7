// SPDX-License-Identifier: GPL-2.0
/*
 * ISAKMP (phase 1) and IPsec (phase 2) SA objects: creation, lookup by
 * cookies, message ID and SPI, and teardown (kernel SAs removed, secrets
 * wiped).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/ikev1.h"
#include "log.h"

struct p1sa *sa_p1_new(struct ike_engine *e, struct conn_ent *c, bool initiator)
{
	struct p1sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->conn = c;
	sa->initiator = initiator;
	sa->local = c->c.local;
	sa->remote = c->c.remote;
	sa->created_ms = env_now(e);
	sa->next = e->p1s;
	e->p1s = sa;
	return sa;
}

struct p1sa *sa_p1_find(struct ike_engine *e, const uint8_t icookie[8],
			const uint8_t rcookie[8])
{
	static const uint8_t zero[8];
	struct p1sa *sa;

	for (sa = e->p1s; sa; sa = sa->next) {
		if (memcmp(sa->icookie, icookie, 8))
			continue;
		if (!memcmp(sa->rcookie, rcookie, 8))
			return sa;
		/* Our MM1 or AM1 went out with a zero responder cookie. */
		if (sa->initiator && (sa->state == MM_WAIT_MSG2 ||
				      sa->state == AM_WAIT_MSG2) &&
		    !memcmp(sa->rcookie, zero, 8))
			return sa;
	}
	return NULL;
}

struct p1sa *sa_p1_established(struct ike_engine *e, struct conn_ent *c)
{
	struct p1sa *sa, *best = NULL;

	/* The newest one that is not being retired, else the newest. */
	for (sa = e->p1s; sa; sa = sa->next)
		if (sa->conn == c && sa->state == MM_ACTIVE &&
		    (!best || (best->retire_at && !sa->retire_at) ||
		     (!best->retire_at == !sa->retire_at &&
		      sa->established_ms > best->established_ms)))
			best = sa;
	return best;
}

int sa_p1_half_open(struct ike_engine *e, const struct sockaddr_storage *peer,
		    int *total)
{
	struct p1sa *sa;
	int n = 0, t = 0;

	for (sa = e->p1s; sa; sa = sa->next) {
		if (sa->state == MM_ACTIVE || sa->initiator)
			continue;
		t++;
		if (conn_addr_equal(&sa->remote, peer, false))
			n++;
	}
	*total = t;
	return n;
}

void sa_p1_free(struct ike_engine *e, struct p1sa *sa)
{
	struct p1sa **pp;
	struct p2sa *c, *next;

	for (pp = &e->p1s; *pp; pp = &(*pp)->next)
		if (*pp == sa) {
			*pp = sa->next;
			break;
		}
	/* IPsec SAs outlive their ISAKMP SA; unfinished ones do not. */
	for (c = e->p2s; c; c = next) {
		next = c->next;
		if (c->p1 != sa)
			continue;
		if (c->state == QM_ACTIVE)
			c->p1 = NULL;
		else
			sa_p2_free(e, c);
	}
	dh_free(sa->dh);
	free(sa->sai_b);
	rexmit_free(&sa->rx);
	rexmit_free(&sa->cfg.rx);
	msgid_free(&sa->msgids);
	crypto_wipe(sa, sizeof(*sa));
	free(sa);
}

struct p2sa *sa_p2_new(struct ike_engine *e, struct p1sa *p1, bool initiator,
		       uint32_t msgid)
{
	struct p2sa *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->p1 = p1;
	c->conn = p1->conn;
	c->initiator = initiator;
	c->msgid = msgid;
	c->state = initiator ? QM_WAIT_MSG2 : QM_NONE;
	c->next = e->p2s;
	e->p2s = c;
	return c;
}

struct p2sa *sa_p2_find(struct ike_engine *e, struct p1sa *p1, uint32_t msgid)
{
	struct p2sa *c;

	for (c = e->p2s; c; c = c->next)
		if (c->p1 == p1 && c->msgid == msgid)
			return c;
	return NULL;
}

struct p2sa *sa_p2_by_spi_out(struct ike_engine *e, uint32_t spi)
{
	struct p2sa *c;

	for (c = e->p2s; c; c = c->next)
		if (c->spi_out == spi && c->state == QM_ACTIVE)
			return c;
	return NULL;
}

/* Removes kernel SAs (both directions) and frees the child. */
void sa_p2_free(struct ike_engine *e, struct p2sa *c)
{
	struct p2sa **pp, *x;

	for (pp = &e->p2s; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	for (x = e->p2s; x; x = x->next)
		if (x->replaces == c) {
			/* What the path showed outlives the pair. */
			x->esp_in_seen |= c->esp_in_seen;
			x->replaces = NULL;
		}
	/* An SPI only reserved (no SA came of it) is released as well. */
	if (c->spi_in && e->env.del_sa)
		e->env.del_sa(e->env.ctx, &c->conn->c, IKE_DIR_IN, c->spi_in);
	if (c->out_installed && e->env.del_sa)
		e->env.del_sa(e->env.ctx, &c->conn->c, IKE_DIR_OUT, c->spi_out);
	dh_free(c->dh);
	rexmit_free(&c->rx);
	crypto_wipe(c, sizeof(*c));
	free(c);
}
