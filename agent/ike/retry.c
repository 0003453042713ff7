// SPDX-License-Identifier: GPL-2.0
/*
 * Keeping conns up. A conn with start = initiate is wanted up: whenever
 * it has no IPsec SA and nothing is being negotiated for it, the next
 * attempt is scheduled with a backoff (1 s, doubling, at most 60 s),
 * forever or until keyingtries attempts have failed. `ike down` holds a
 * conn down until `ike up`. An acquire (a packet into the device without
 * an SA) starts a negotiation at once, for any conn not held down. The
 * state is derived from the SA lists each time, so every way of failing
 * (no answer, a refusal, a Delete from the peer) is covered alike.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

/* After its Main Mode a responder waits this long for the peer's QM. */
#define RESPONDER_QM_GRACE_MS	10000

bool retry_pair_up(struct ike_engine *e, struct conn_ent *c, int pair)
{
	struct p2sa *ch;

	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == c && ch->state == QM_ACTIVE &&
		    conn_pair_carried(c, pair, &ch->local_ts, &ch->remote_ts))
			return true;
	return false;
}

/* Up when every selector pair has an IPsec SA pair. */
bool retry_conn_up(struct ike_engine *e, struct conn_ent *c)
{
	int i;

	for (i = 0; i < c->n_pairs; i++)
		if (!retry_pair_up(e, c, i))
			return false;
	return true;
}

bool retry_conn_busy(struct ike_engine *e, struct conn_ent *c)
{
	uint64_t now = env_now(e);
	struct p1sa *sa;
	struct p2sa *ch;

	for (sa = e->p1s; sa; sa = sa->next) {
		if (sa->conn != c)
			continue;
		if (sa->state != MM_ACTIVE || !cfg_ready(sa))
			return true;
		if (!sa->initiator &&
		    now < sa->established_ms + RESPONDER_QM_GRACE_MS)
			return true;
	}
	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == c && ch->state != QM_ACTIVE)
			return true;
	return false;
}

static uint32_t backoff_ms(uint32_t failed)
{
	if (failed < 1)
		return RETRY_FIRST_MS;
	if (failed > 16)
		return RETRY_MAX_MS;
	return RETRY_FIRST_MS << (failed - 1) < RETRY_MAX_MS ?
	       RETRY_FIRST_MS << (failed - 1) : RETRY_MAX_MS;
}

/* True when a negotiation for c is to start now. */
bool retry_due(struct ike_engine *e, struct conn_ent *c, uint64_t now)
{
	const char *why = c->why[0] ? c->why : "no IPsec SA";
	uint32_t delay;

	if (!c->keep_up)
		return false;
	if (retry_conn_up(e, c)) {
		c->attempts = 0;
		c->retry_at = 0;
		c->why[0] = 0;
		return false;
	}
	if (retry_conn_busy(e, c)) {
		c->retry_at = 0;	/* the peer or an acquire started one */
		return false;
	}
	if (c->retry_at) {
		if (now < c->retry_at)
			return false;
		c->retry_at = 0;
		return true;
	}
	if (c->c.keyingtries && c->attempts >= c->c.keyingtries) {
		log_err("[conn %s] negotiation failed: %s; giving up after %u "
			"attempt%s (keyingtries)", c->c.name, why, c->attempts,
			c->attempts == 1 ? "" : "s");
		c->keep_up = false;
		return false;
	}
	delay = backoff_ms(c->attempts);
	c->retry_at = now + delay;
	if (c->attempts)
		log_warn("[conn %s] negotiation failed: %s; retrying in %u s "
			 "(attempt %u)", c->c.name, why, delay / 1000,
			 c->attempts + 1);
	else
		log_warn("[conn %s] down: %s; retrying in %u s", c->c.name,
			 why, delay / 1000);
	return false;
}

static bool any_addr(const struct sockaddr_storage *ss)
{
	static const uint8_t zero[16];

	if (ss->ss_family == AF_INET)
		return !((const struct sockaddr_in *)ss)->sin_addr.s_addr;
	if (ss->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
			       zero, 16);
	return true;
}

/*
 * An acquire for c, for the packet of selector pair `pair` (-1 when the
 * event does not say): true when a negotiation is to start now.
 */
bool retry_remote_known(const struct conn_ent *c)
{
	return !any_addr(&c->c.remote);
}

bool retry_acquire(struct ike_engine *e, struct conn_ent *c, int pair,
		   uint64_t now)
{
	if (c->held || !retry_remote_known(c))
		return false;
	if (pair >= 0 ? retry_pair_up(e, c, pair) : retry_conn_up(e, c))
		return false;
	if (retry_conn_busy(e, c))
		return false;
	if (c->acquire_ms && now < c->acquire_ms + ACQUIRE_INTERVAL_MS)
		return false;
	c->acquire_ms = now;
	c->retry_at = 0;
	log_info("[conn %s] acquire: negotiating now", c->c.name);
	return true;
}
