// SPDX-License-Identifier: GPL-2.0
/*
 * Rekeying, make-before-break. A successor is negotiated before an SA
 * expires (lifetime - margin - random fuzz, or the module's soft-expire
 * event), by whichever side gets there first. For an IPsec SA pair:
 *
 *   1. the new inbound SA is in the kernel before its SPI is usable by
 *      the peer (quick_mode.c installs it before QM2/QM3 go out);
 *   2. outbound moves over once the peer surely has its new inbound SA:
 *      a responder at QM3, an initiator REKEY_SWITCH_MS after QM3 (some
 *      responders install only when QM3 arrives), or at once when the
 *      peer deletes the old pair first. The module sends on the newest
 *      outbound SA, so installing the new one is the switch, and the old
 *      outbound SA is removed right after;
 *   3. the old inbound SA takes what is still in flight for
 *      REKEY_GRACE_MS, then it goes and a Delete tells the peer.
 *
 * Both ends rekeying at once leaves two new pairs: the one whose
 * exchange carried the lowest of the four nonces is retired like an old
 * pair, on both sides alike, as RFC 7296 2.8.1 does for IKEv2. Pairs
 * negotiated at once without a predecessor (simultaneous initiation) are
 * settled the same way. A new ISAKMP SA replaces the older one of its
 * conn: the IPsec SAs move over untouched and the old one is deleted
 * after the grace period.
 */
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

uint64_t rekey_delay_ms(uint32_t life_secs, uint32_t margin_secs,
			uint32_t fuzz_pct, uint32_t rnd)
{
	uint64_t life = (uint64_t)life_secs * 1000;
	uint64_t margin = (uint64_t)margin_secs * 1000, fuzz;

	/* A margin too long for the lifetime (a peer may shorten it). */
	if (margin > life / 3)
		margin = life / 3;
	fuzz = margin * (fuzz_pct > 100 ? 100 : fuzz_pct) / 100;
	return life - margin - (fuzz ? rnd % (fuzz + 1) : 0);
}

static uint32_t rnd32(struct ike_engine *e)
{
	uint32_t r;

	env_random(e, &r, sizeof(r));
	return r;
}

static bool same_pair(const struct p2sa *a, const struct p2sa *b)
{
	return a->conn == b->conn && ts_equal(&a->local_ts, &b->local_ts) &&
	       ts_equal(&a->remote_ts, &b->remote_ts);
}

static bool in_use(const struct p2sa *ch)
{
	return ch->state == QM_ACTIVE && !ch->retire_at;
}

static uint64_t child_expiry(const struct p2sa *ch)
{
	return ch->established_ms + (uint64_t)ch->life_secs * 1000;
}

/* The pair carrying the traffic of ch's selectors, other than ch. */
static struct p2sa *current(struct ike_engine *e, const struct p2sa *ch)
{
	struct p2sa *o, *best = NULL;

	for (o = e->p2s; o; o = o->next)
		if (o != ch && in_use(o) && same_pair(o, ch) &&
		    (!best || o->established_ms > best->established_ms))
			best = o;
	return best;
}

void rekey_qm_started(struct ike_engine *e, struct p2sa *ch)
{
	ch->started_ms = env_now(e);
	ch->replaces = current(e, ch);
}

struct p2sa *rekey_out_deferred(struct ike_engine *e, struct p2sa *ch)
{
	struct p2sa *o;

	/* Whichever pair of these selectors sends now keeps sending. */
	for (o = e->p2s; o; o = o->next)
		if (o != ch && o->state == QM_ACTIVE && o->out_installed &&
		    same_pair(o, ch)) {
			ch->out_at = env_now(e) + REKEY_SWITCH_MS;
			return o;
		}
	return NULL;
}

/* Removes the outbound SAs of replaced pairs once a successor sends. */
static void drop_replaced_out(struct ike_engine *e, const struct p2sa *ch)
{
	const struct ike_conn *c = &ch->conn->c;
	struct p2sa *o, *sender = NULL;

	for (o = e->p2s; o; o = o->next)
		if (in_use(o) && same_pair(o, ch) && o->out_installed)
			sender = o;
	if (!sender)
		return;
	for (o = e->p2s; o; o = o->next) {
		if (!o->retire_at || !o->out_installed || !same_pair(o, ch))
			continue;
		log_info("[conn %s] outbound traffic on %08x now, old outbound "
			 "SA %08x removed", c->name, sender->spi_out,
			 o->spi_out);
		if (e->env.del_sa)
			e->env.del_sa(e->env.ctx, c, IKE_DIR_OUT, o->spi_out);
		o->out_installed = false;
	}
}

static void install_out(struct ike_engine *e, struct p2sa *ch)
{
	int rc = 0;

	ch->out_at = 0;
	if (!ch->out_installed)
		rc = child_install(e, ch, IKE_DIR_OUT);
	if (!rc)
		drop_replaced_out(e, ch);
}

static void retire(struct ike_engine *e, struct p2sa *o, uint64_t now)
{
	uint64_t end = now + REKEY_GRACE_MS;

	/* Removed with a Delete before its hard expiry takes it silently. */
	if (end + 1000 > child_expiry(o))
		end = child_expiry(o) > now + 1000 ? child_expiry(o) - 1000 :
		      now;
	o->retire_at = end ? end : 1;
	o->rekey_at = 0;
	o->out_at = 0;		/* a loser never sends */
	dh_free(o->dh);
	o->dh = NULL;
}

/* Lowest nonce of an exchange: RFC 7296 compares all four. */
static int nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b,
		     size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);

	return r ? r : (al > bl) - (al < bl);
}

static void lowest_nonce(const struct p2sa *ch, const uint8_t **n, size_t *l)
{
	if (nonce_cmp(ch->ni, ch->ni_len, ch->nr, ch->nr_len) <= 0) {
		*n = ch->ni;
		*l = ch->ni_len;
	} else {
		*n = ch->nr;
		*l = ch->nr_len;
	}
}

static struct p2sa *collision_loser(struct p2sa *a, struct p2sa *b)
{
	const uint8_t *na, *nb;
	size_t la, lb;

	lowest_nonce(a, &na, &la);
	lowest_nonce(b, &nb, &lb);
	return nonce_cmp(na, la, nb, lb) < 0 ? a : b;
}

void rekey_established(struct ike_engine *e, struct p2sa *ch)
{
	const struct ike_conn *c = &ch->conn->c;
	uint64_t now = env_now(e);
	struct p2sa *o, *keep, *loser;

	for (o = e->p2s; o && !ch->retire_at; o = o->next) {
		if (o == ch || !in_use(o) || !same_pair(o, ch))
			continue;
		if (o->established_ms < ch->started_ms || o->doubtful) {
			/* Up before this exchange began: its predecessor. */
			log_info("[conn %s] IPsec SA in %08x out %08x replaced "
				 "by in %08x out %08x, removed in %u ms",
				 c->name, o->spi_in, o->spi_out, ch->spi_in,
				 ch->spi_out, REKEY_GRACE_MS);
			retire(e, o, now);
			ch->conn->rekeys++;
			continue;
		}
		/* Negotiated at the same time: both ends pick the same one. */
		loser = collision_loser(o, ch);
		keep = loser == o ? ch : o;
		log_info("[conn %s] duplicate IPsec SA for %s (both ends "
			 "negotiated at once): keeping in %08x out %08x, "
			 "removing in %08x out %08x", c->name, c->name,
			 keep->spi_in, keep->spi_out, loser->spi_in,
			 loser->spi_out);
		retire(e, loser, now);
	}
	if (!ch->retire_at && c->rekey)
		ch->rekey_at = now + rekey_delay_ms(ch->life_secs,
						    c->rekey_margin,
						    c->rekey_fuzz, rnd32(e));
	drop_replaced_out(e, ch);
}

void rekey_peer_deletes(struct ike_engine *e, struct p2sa *ch)
{
	struct p2sa *o;

	/* The peer is done with the old pair: it has the new one. */
	for (o = e->p2s; o; o = o->next)
		if (o != ch && o->out_at && same_pair(o, ch)) {
			log_info("[conn %s] peer deleted %08x: outbound moves "
				 "to %08x now", o->conn->c.name, ch->spi_out,
				 o->spi_out);
			install_out(e, o);
		}
}

static bool p1_newer(const struct p1sa *a, const struct p1sa *b)
{
	int r = memcmp(a->icookie, b->icookie, 8);

	return (r ? r : memcmp(a->rcookie, b->rcookie, 8)) > 0;
}

/*
 * A peer gives up its old ISAKMP SA as soon as its successor begins:
 * strongSwan moves its IPsec SAs to the new one when its Main Mode
 * starts and from then on ignores Quick Mode on the old one, a QM1 as
 * well as the QM3 that would have installed the pair on its side. Our
 * Quick Modes under @old that were still running are given up, and a
 * pair whose QM3 went out too close to the new Main Mode to be sure of
 * is negotiated again: each under @sa, at once. For a peer that did
 * install it, that is one rekey more.
 */
static void redo_under(struct ike_engine *e, struct p1sa *old,
		       struct p1sa *sa, uint64_t now)
{
	const char *name = old->conn->c.name;
	struct p2sa *ch, *next, *pred;

	for (ch = e->p2s; ch; ch = next) {
		next = ch->next;
		if (ch->p1 != old || !ch->initiator || ch->retire_at)
			continue;
		if (ch->state != QM_ACTIVE) {
			pred = ch->replaces;
			log_info("[conn %s] Quick Mode (M-ID %08x) under the "
				 "replaced ISAKMP SA given up%s%s", name,
				 ch->msgid, pred && in_use(pred) ?
				 ": rekeyed again under " : "",
				 pred && in_use(pred) ? msg_ck(sa) : "");
			/* A first pair comes as any missing pair does. */
			if (pred && in_use(pred))
				pred->rekey_at = now;
			sa_p2_free(e, ch);
			next = e->p2s;	/* the list changed */
			continue;
		}
		if (ch->established_ms + REKEY_P1_RACE_MS < sa->created_ms ||
		    ch->doubtful)
			continue;
		log_info("[conn %s] IPsec SA in %08x out %08x came up as %s "
			 "began, the peer may not have it: negotiated again",
			 name, ch->spi_in, ch->spi_out, msg_ck(sa));
		ch->rekey_at = now;
		ch->doubtful = true;
		/* Its successor takes over from the pair that sends now. */
		if (ch->out_at)
			ch->out_at = now + REKEY_SWITCH_MS;
	}
}

/*
 * The peer began @sa: Deletes we sent from just before its MM1 reached
 * us may have crossed it and been ignored under the old ISAKMP SA.
 */
static void deletes_again(struct ike_engine *e, struct p1sa *sa)
{
	notify_deletes_again(e, sa, sa->created_ms > REKEY_DELETE_SLACK_MS ?
			     sa->created_ms - REKEY_DELETE_SLACK_MS : 0);
}

void rekey_p1_established(struct ike_engine *e, struct p1sa *sa)
{
	struct conn_ent *c = sa->conn;
	uint64_t now = env_now(e);
	struct p1sa *o, *old;
	struct p2sa *ch;
	bool rekeyed;

	/*
	 * Whether it replaces an old ISAKMP SA here or its INITIAL-CONTACT
	 * removed that one already.
	 */
	if (!sa->initiator)
		deletes_again(e, sa);
	for (o = e->p1s; o; o = o->next) {
		if (o == sa || o->conn != c || o->state != MM_ACTIVE ||
		    o->retire_at)
			continue;
		/*
		 * One that was up well before this one began is replaced
		 * (a rekey); two negotiated at about the same time keep the
		 * one with the higher cookies. "Began" is local (an
		 * initiator's retransmitted MM1 starts its SA early on one
		 * side only), hence the slack, which keeps both sides'
		 * choice alike.
		 */
		rekeyed = o->established_ms + REKEY_P1_AT_ONCE_MS <
			  sa->created_ms;
		old = rekeyed || p1_newer(sa, o) ? o : sa;
		log_info("%s ISAKMP SA of %s replaced by %s", msg_ck(old),
			 c->c.name, msg_ck(old == o ? sa : o));
		if (old == o && rekeyed)
			c->ike_rekeys++;
		/*
		 * The side that negotiated the successor deletes the old
		 * SA; the other waits longer for that Delete, so a peer
		 * that reauthenticates (strongSwan) moves its IPsec SAs
		 * over first.
		 */
		old->retire_at = now + REKEY_GRACE_MS *
				 (old == o && !sa->initiator ? 3 : 1);
		old->rekey_at = 0;
		if (old == o)
			redo_under(e, o, sa, now);
		/* Later Quick Modes and Deletes go under the survivor. */
		for (ch = e->p2s; ch; ch = ch->next)
			if (ch->p1 == old && ch->state == QM_ACTIVE)
				ch->p1 = old == o ? sa : o;
		if (old == sa)
			return;
	}
	if (c->c.rekey)
		sa->rekey_at = now + rekey_delay_ms(sa->life_secs,
						    c->c.rekey_margin,
						    c->c.rekey_fuzz, rnd32(e));
}

/* A Quick Mode for the selector pair of ch is under way. */
static bool pair_negotiating(struct ike_engine *e, const struct p2sa *ch)
{
	struct p2sa *o;

	for (o = e->p2s; o; o = o->next)
		if (o->state != QM_ACTIVE && same_pair(o, ch))
			return true;
	return false;
}

/*
 * start = on-demand: a pair that carried nothing either way during the
 * last rekey margin is let expire rather than renewed; the next packet
 * routed into the device negotiates a new one (the acquire).
 */
static bool idle_on_demand(struct ike_engine *e, const struct p2sa *ch)
{
	const struct ike_conn *c = &ch->conn->c;
	uint64_t window = (uint64_t)c->rekey_margin * 1000, in, out;

	/* A pair the peer may not have is replaced, idle or not. */
	if (c->start != IKE_START_ON_DEMAND || !e->env.sa_used || ch->doubtful)
		return false;
	/* As rekey_delay_ms() shortens the margin for short lifetimes. */
	if (window > (uint64_t)ch->life_secs * 1000 / 3)
		window = (uint64_t)ch->life_secs * 1000 / 3;
	if (e->env.sa_used(e->env.ctx, c, IKE_DIR_IN, ch->spi_in, &in) ||
	    e->env.sa_used(e->env.ctx, c, IKE_DIR_OUT, ch->spi_out, &out) ||
	    in < window || out < window)
		return false;
	log_info("[conn %s] IPsec SA in %08x out %08x carried nothing for "
		 "%llu s: not rekeyed (start = on-demand), traffic will "
		 "negotiate anew", c->name, ch->spi_in, ch->spi_out,
		 (unsigned long long)(window / 1000));
	return true;
}

/*
 * The peer is beginning a new ISAKMP SA with us. strongSwan moves its
 * IPsec SAs to it at once, ignores a Quick Mode still under the old one
 * and may destroy the old one for it, then answer with INITIAL-CONTACT.
 * A rekey waits for that Main Mode, REKEY_HOLD_MS at most and once per
 * pair (an MM1 costs nothing to forge), and never into the pair's last
 * seconds.
 */
static bool peer_p1_starting(struct ike_engine *e, struct p2sa *ch,
			     uint64_t now)
{
	struct p1sa *sa;

	if (child_expiry(ch) < now + 2 * REKEY_HOLD_MS ||
	    (ch->hold_since && now >= ch->hold_since + REKEY_HOLD_MS))
		return false;
	for (sa = e->p1s; sa; sa = sa->next)
		if (sa->conn == ch->conn && sa->state != MM_ACTIVE &&
		    !sa->initiator && now < sa->created_ms + REKEY_HOLD_MS) {
			if (!ch->hold_since)
				ch->hold_since = now;
			return true;
		}
	return false;
}

struct p2sa *rekey_child_due(struct ike_engine *e, uint64_t now)
{
	struct p2sa *ch;

	for (ch = e->p2s; ch; ch = ch->next) {
		if (!in_use(ch) || !ch->rekey_at || now < ch->rekey_at)
			continue;
		/*
		 * Checked again later, not dropped: while another exchange
		 * runs, and after this one in case it fails. A successor
		 * that comes up retires the pair, which ends it.
		 */
		ch->rekey_at = now + REKEY_RETRY_MS;
		if (ch->conn->held || pair_negotiating(e, ch))
			continue;
		if (peer_p1_starting(e, ch, now)) {
			ch->rekey_at = now + REKEY_HOLD_POLL_MS;
			continue;
		}
		if (idle_on_demand(e, ch)) {
			ch->rekey_at = 0;
			continue;
		}
		log_info("[conn %s] rekeying IPsec SA in %08x out %08x "
			 "(%llu s left)", ch->conn->c.name, ch->spi_in,
			 ch->spi_out, (unsigned long long)
			 (child_expiry(ch) > now ?
			  (child_expiry(ch) - now) / 1000 : 0));
		return ch;
	}
	return NULL;
}

struct p1sa *rekey_p1_due(struct ike_engine *e, uint64_t now)
{
	struct p1sa *sa, *o;
	struct p2sa *ch;
	bool wanted;

	for (sa = e->p1s; sa; sa = sa->next) {
		if (sa->state != MM_ACTIVE || sa->retire_at || !sa->rekey_at ||
		    now < sa->rekey_at || sa->conn->held)
			continue;
		/* Again later, as for IPsec SAs. */
		sa->rekey_at = now + REKEY_RETRY_MS;
		for (o = e->p1s; o; o = o->next)
			if (o->conn == sa->conn && o->state != MM_ACTIVE)
				break;
		if (o)
			continue;	/* a Main Mode is under way */
		/* Only an ISAKMP SA that serves something is renewed. */
		wanted = sa->conn->keep_up;
		for (ch = e->p2s; ch && !wanted; ch = ch->next)
			wanted = ch->conn == sa->conn && in_use(ch);
		if (!wanted) {
			sa->rekey_at = 0;
			continue;
		}
		log_info("%s rekeying ISAKMP SA of %s (%llu s left)",
			 msg_ck(sa), sa->conn->c.name, (unsigned long long)
			 (sa->expire_ms > now ? (sa->expire_ms - now) / 1000 :
			  0));
		return sa;
	}
	return NULL;
}

void rekey_soft_expire(struct ike_engine *e, const char *ifname,
		       uint32_t spi)
{
	uint64_t now = env_now(e);
	struct p2sa *ch;

	for (ch = e->p2s; ch; ch = ch->next) {
		if (strcmp(ch->conn->c.ifname, ifname) ||
		    (ch->spi_in != spi && ch->spi_out != spi))
			continue;
		if (in_use(ch) && ch->conn->c.rekey && ch->rekey_at > now) {
			log_info("[conn %s] soft limit of SA %08x reached: "
				 "rekeying now", ch->conn->c.name, spi);
			ch->rekey_at = now;
		}
	}
}

/* Outbound switches and the end of replaced SAs. */
void rekey_run(struct ike_engine *e, uint64_t now)
{
	struct p2sa *ch;
	struct p1sa *sa;

	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->out_at && now >= ch->out_at && in_use(ch))
			install_out(e, ch);
again:
	for (ch = e->p2s; ch; ch = ch->next) {
		if (!ch->retire_at || now < ch->retire_at)
			continue;
		log_info("[conn %s] removing replaced IPsec SA in %08x out "
			 "%08x", ch->conn->c.name, ch->spi_in, ch->spi_out);
		notify_delete_child(e, ch);
		sa_p2_free(e, ch);
		goto again;
	}
	for (sa = e->p1s; sa; sa = sa->next) {
		if (!sa->retire_at || now < sa->retire_at)
			continue;
		if (sa->state == MM_ACTIVE)
			notify_delete_p1(e, sa);
		sa_p1_free(e, sa);
		goto again;
	}
}

static uint64_t earlier(uint64_t next, uint64_t t)
{
	return t && t < next ? t : next;
}

int64_t rekey_next_ms(struct ike_engine *e)
{
	uint64_t now = env_now(e), next = UINT64_MAX;
	struct p2sa *ch;
	struct p1sa *sa;

	for (ch = e->p2s; ch; ch = ch->next) {
		next = earlier(next, ch->out_at);
		next = earlier(next, ch->retire_at);
		if (in_use(ch) && !ch->conn->held)
			next = earlier(next, ch->rekey_at);
	}
	for (sa = e->p1s; sa; sa = sa->next) {
		next = earlier(next, sa->retire_at);
		if (sa->state == MM_ACTIVE && !sa->conn->held)
			next = earlier(next, sa->rekey_at);
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int64_t)(next - now);
}

int64_t rekey_child_left_ms(struct ike_engine *e, struct conn_ent *c)
{
	uint64_t now = env_now(e), next = UINT64_MAX;
	struct p2sa *ch;

	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == c && in_use(ch))
			next = earlier(next, ch->rekey_at);
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int64_t)(next - now);
}

int64_t rekey_p1_left_ms(struct ike_engine *e, struct conn_ent *c)
{
	uint64_t now = env_now(e), next = UINT64_MAX;
	struct p1sa *sa;

	for (sa = e->p1s; sa; sa = sa->next)
		if (sa->conn == c && sa->state == MM_ACTIVE && !sa->retire_at)
			next = earlier(next, sa->rekey_at);
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int64_t)(next - now);
}
