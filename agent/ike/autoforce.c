// SPDX-License-Identifier: GPL-2.0
/*
 * nat-t = auto-force: like auto, until raw ESP turns out to be blocked on
 * the path while IKE (UDP) is answered, which is what a firewall that
 * passes UDP but not IP protocol 50 looks like. The sign: the conn's
 * active raw-ESP pair has been up a while, its outbound SA keeps
 * sending, and no raw inbound SA of the conn (its own, another selector
 * pair's, one it replaced) has ever taken a packet, on AUTOFORCE_HITS
 * checks in a row, while the ISAKMP SA that negotiated the pair over UDP
 * is up. Then every SA of the conn goes (with Deletes) and it is negotiated
 * again with ESP in UDP forced, as nat-t = force does; that holds until
 * the conn is taken down (esptun ike down, or a reload that changes
 * or removes it).
 *
 * Nothing coming in can also mean a peer that only receives; it costs
 * one renegotiation to ESP in UDP, which works wherever IKE does.
 */
#include <stdio.h>

#include "ike/ikev1.h"
#include "log.h"

/* The pair must have been up this long before its silence counts. */
#define AUTOFORCE_MIN_AGE_MS	4000
#define AUTOFORCE_CHECK_MS	2000
#define AUTOFORCE_HITS		2

uint8_t natt_mode(const struct conn_ent *c)
{
	if (c->c.natt == IKE_NATT_AUTO_FORCE)
		return c->esp_blocked ? IKE_NATT_FORCE : IKE_NATT_AUTO;
	return c->c.natt;
}

static bool watched(const struct ike_engine *e, const struct conn_ent *c)
{
	return e->env.sa_used && c->c.natt == IKE_NATT_AUTO_FORCE &&
	       !c->esp_blocked;
}

/* The conn's newest active raw-ESP pair, or NULL. */
static struct p2sa *raw_pair(struct ike_engine *e, struct conn_ent *c)
{
	struct p2sa *ch, *best = NULL;

	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == c && ch->state == QM_ACTIVE && !ch->encap &&
		    ch->in_installed && ch->out_installed && !ch->retire_at &&
		    (!best || ch->established_ms >= best->established_ms))
			best = ch;
	return best;
}

int64_t autoforce_next_ms(struct ike_engine *e)
{
	uint64_t now = env_now(e), t = UINT64_MAX;
	struct conn_ent *c;

	/* A conn not armed yet is due at once, to be armed. */
	for (c = e->conns; c; c = c->next)
		if (watched(e, c) && c->autoforce_at < t)
			t = c->autoforce_at;
	if (t == UINT64_MAX)
		return -1;
	return t > now ? (int64_t)(t - now) : 0;
}

/* Every SA of the conn goes; the next negotiation forces encapsulation. */
static void switch_to_udp(struct ike_engine *e, struct conn_ent *c)
{
	c->esp_blocked = true;
	conn_clear_sas(e, c);
	snprintf(c->why, sizeof(c->why), "raw ESP blocked (auto-force)");
	c->keep_up = !c->held;
	c->attempts = 0;
	c->retry_at = 0;
	c->start_now = !c->held;
}

/*
 * Raw ESP came in on an SA of the conn: another selector pair's, the
 * pair this one replaced (or one before it). The path passes ESP, and a
 * quiet pair (a one-way flow, a successor in its first seconds, the
 * peer moving over late) proves nothing.
 */
static bool came_in(struct ike_engine *e, struct conn_ent *c,
		    const struct p2sa *active)
{
	struct p2sa *ch;
	uint64_t idle;

	for (ch = e->p2s; ch; ch = ch->next) {
		if (ch->conn != c || ch->encap || !ch->in_installed)
			continue;
		if (ch->esp_in_seen)
			return true;
		/* Not knowing of the watched pair is no sign either. */
		if (e->env.sa_used(e->env.ctx, &c->c, IKE_DIR_IN, ch->spi_in,
				   &idle)) {
			if (ch == active)
				return true;
			continue;
		}
		if (idle != UINT64_MAX) {
			ch->esp_in_seen = true;
			return true;
		}
	}
	return false;
}

static void check(struct ike_engine *e, struct conn_ent *c, uint64_t now)
{
	struct p2sa *ch = raw_pair(e, c);
	struct p1sa *p1 = sa_p1_established(e, c);
	uint64_t out_idle;

	c->autoforce_at = now + AUTOFORCE_CHECK_MS;
	if (!ch || !p1 || now - ch->established_ms < AUTOFORCE_MIN_AGE_MS ||
	    came_in(e, c, ch) ||
	    e->env.sa_used(e->env.ctx, &c->c, IKE_DIR_OUT, ch->spi_out,
			   &out_idle)) {
		c->autoforce_hits = 0;
		return;
	}
	/* Sending now, never anything in: one more sign. */
	if (out_idle > AUTOFORCE_CHECK_MS + 1000) {
		c->autoforce_hits = 0;
		return;
	}
	if (++c->autoforce_hits < AUTOFORCE_HITS)
		return;
	log_warn("[conn %s] ESP blocked on the path: outbound SA %08x sends, inbound SA %08x has taken nothing in %llu s while IKE is answered; renegotiating with ESP in UDP (nat-t = auto-force)",
		 c->c.name, ch->spi_out, ch->spi_in,
		 (unsigned long long)((now - ch->established_ms) / 1000));
	switch_to_udp(e, c);
}

void autoforce_run(struct ike_engine *e, uint64_t now)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next) {
		if (!watched(e, c))
			continue;
		if (!c->autoforce_at) {
			c->autoforce_at = now + AUTOFORCE_CHECK_MS;
			continue;
		}
		if (now >= c->autoforce_at)
			check(e, c, now);
	}
}
