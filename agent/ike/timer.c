// SPDX-License-Identifier: GPL-2.0
/*
 * Timers: retransmission of the last message of every exchange, the end
 * of half-open and expired SAs, the next attempt of a conn kept up. The engine keeps no timer objects; each
 * SA's deadlines are computed from its state, so the loop only asks for
 * the nearest one and calls back when it is due.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

/* Responder SAs that never complete are dropped after this long. */
#define HALF_OPEN_TIMEOUT_MS	30000

int64_t timer_next_ms(struct ike_engine *e)
{
	uint64_t now = env_now(e), next = UINT64_MAX, t;
	struct conn_ent *c;
	struct p1sa *sa;
	struct p2sa *ch;

	for (c = e->conns; c; c = c->next)
		if (c->retry_at && c->retry_at < next)
			next = c->retry_at;

	for (sa = e->p1s; sa; sa = sa->next) {
		t = rexmit_deadline(&sa->rx);
		next = t < next ? t : next;
		if (sa->state == MM_ACTIVE)
			t = sa->expire_ms;
		else if (!sa->rx.waiting)
			t = sa->created_ms + HALF_OPEN_TIMEOUT_MS;
		else
			t = UINT64_MAX;	/* retransmission decides */
		next = t < next ? t : next;
	}
	for (ch = e->p2s; ch; ch = ch->next) {
		t = rexmit_deadline(&ch->rx);
		next = t < next ? t : next;
		if (ch->state == QM_ACTIVE)
			t = ch->established_ms + (uint64_t)ch->life_secs * 1000;
		else
			t = UINT64_MAX;
		next = t < next ? t : next;
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int64_t)(next - now);
}

static const char *plain_hint(const struct p1sa *sa, const char *name)
{
	/* No pre-shared key to blame: MM5 and AM2 carry our certificate. */
	if (sa && ike_auth_sig(sa->conn->c.auth)) {
		if (!strcmp(name, "MM5"))
			return "our certificate, signature or ID refused by "
			       "the peer?";
		if (!strcmp(name, "AM1"))
			return "is UDP 500 blocked?";
		if (!strcmp(name, "AM2"))
			return "the initiator refused our SIG_R or "
			       "certificate?";
	}
	if (!strcmp(name, "MM1"))
		return "is UDP 500 blocked?";
	if (!strcmp(name, "MM5"))
		return "pre-shared key or ID mismatch?";
	if (!strcmp(name, "AM1"))
		return "is UDP 500 blocked, or a pre-shared key mismatch?";
	if (!strcmp(name, "AM2"))
		return "the initiator refused HASH_R: pre-shared key mismatch?";
	if (!strcmp(name, "QM1"))
		return "proposal or traffic selectors refused by the peer?";
	return "peer stopped answering";
}

static const char *no_answer_hint(const struct p1sa *sa, const char *name)
{
	static char big[200];

	/*
	 * A message larger than the configured fragment size, sent whole,
	 * may have left as IP fragments: what firewalls and carrier NATs
	 * drop first. The usual reason is kept in front.
	 */
	if (sa && sa->rx.len > frag_room(&sa->local, &sa->remote,
					 sa->conn->c.frag_size) &&
	    (sa->conn->c.frag == IKE_FRAG_NO ||
	     (sa->conn->c.frag == IKE_FRAG_YES && !sa->peer_frag))) {
		snprintf(big, sizeof(big), "%s Or %s (%zu bytes, sent whole) "
			 "left as IP fragments the path drops: try "
			 "fragmentation = force if the peer takes IKE "
			 "fragments", plain_hint(sa, name), name,
			 sa->rx.len);
		return big;
	}
	return plain_hint(sa, name);
}

/* One ISAKMP SA's timers; true when it is gone. */
static bool p1_due(struct ike_engine *e, struct p1sa *sa, uint64_t now)
{
	char a[64];
	int r = rexmit_poll(&sa->rx, now);

	ike_addr_str(&sa->remote, a, sizeof(a));
	if (r > 0) {
		log_info("%s retransmitting %s to %s (try %u of %u)",
			 msg_ck(sa), sa->rx.name, a, sa->rx.sent,
			 sa->rx.tries);
		msg_resend(e, sa, &sa->local, &sa->remote, &sa->rx);
	} else if (r < 0) {
		log_err("%s no response to %s from %s after %u tries — %s",
			msg_ck(sa), sa->rx.name, a, sa->rx.sent,
			no_answer_hint(sa, sa->rx.name));
		snprintf(sa->conn->why, sizeof(sa->conn->why),
			 "no response to %s from %s after %u tries",
			 sa->rx.name, a, sa->rx.sent);
		diag_fail(e, sa->conn, sa->rx.name, sa->conn->why);
		sa_p1_free(e, sa);
		return true;
	}
	if (sa->state == MM_ACTIVE && now >= sa->expire_ms) {
		log_info("%s ISAKMP SA with %s expired", msg_ck(sa), a);
		notify_delete_p1(e, sa);
		sa_p1_free(e, sa);
		return true;
	}
	if (sa->state != MM_ACTIVE &&
	    now >= sa->created_ms + HALF_OPEN_TIMEOUT_MS && !sa->rx.waiting) {
		log_info("%s half-open ISAKMP SA with %s timed out in %s",
			 msg_ck(sa), a, ike_state_name(sa->state));
		sa_p1_free(e, sa);
		return true;
	}
	return false;
}

enum p2_due_result {
	P2_KEPT,
	P2_FREED,
	P2_EXPIRED,		/* freed at the end of its lifetime */
};

/*
 * Our QM1 went unanswered and nothing authentic came from the peer since
 * it went: the peer has most likely lost this ISAKMP SA (it rebooted, or
 * restarted without its INITIAL-CONTACT reaching us). Quick Modes on it
 * would fail until DPD or its lifetime ends it, so it is retired now
 * (with a Delete) and the next attempt begins with Main Mode.
 */
static void p1_given_up(struct ike_engine *e, struct p2sa *ch, uint64_t now)
{
	struct p1sa *p1 = ch->p1;

	if (!ch->initiator || ch->state != QM_WAIT_MSG2 ||
	    p1->state != MM_ACTIVE || p1->retire_at ||
	    ch->conn->dpd.heard_ms >= ch->started_ms)
		return;
	log_warn("%s peer silent since QM1: ISAKMP SA given up, the next "
		 "attempt starts with Main Mode", msg_ck(p1));
	p1->retire_at = now;
	/* A rekey's next attempt is now, not a retry period later. */
	if (ch->replaces && ch->replaces->state == QM_ACTIVE &&
	    !ch->replaces->retire_at && ch->replaces->rekey_at)
		ch->replaces->rekey_at = now;
}

/* One IPsec SA's timers. */
static enum p2_due_result p2_due(struct ike_engine *e, struct p2sa *ch,
				 uint64_t now)
{
	struct p1sa *p1 = ch->p1;
	char a[64];
	int r = rexmit_poll(&ch->rx, now);

	if (r > 0 && p1) {
		log_info("%s retransmitting %s (try %u of %u)", msg_ck(p1),
			 ch->rx.name, ch->rx.sent, ch->rx.tries);
		msg_resend(e, p1, &p1->local, &p1->remote, &ch->rx);
	} else if (r < 0 || (r > 0 && !p1)) {
		if (p1) {
			log_err("%s no response to %s from %s after %u tries — "
				"%s", msg_ck(p1), ch->rx.name,
				ike_addr_str(&p1->remote, a, sizeof(a)),
				ch->rx.sent, no_answer_hint(NULL, ch->rx.name));
			snprintf(ch->conn->why, sizeof(ch->conn->why),
				 "no response to %s from %s after %u tries",
				 ch->rx.name, a, ch->rx.sent);
			diag_fail(e, ch->conn, ch->rx.name, ch->conn->why);
			p1_given_up(e, ch, now);
		}
		sa_p2_free(e, ch);
		return P2_FREED;
	}
	if (ch->state == QM_ACTIVE &&
	    now >= ch->established_ms + (uint64_t)ch->life_secs * 1000) {
		log_info("IPsec SA %08x/%08x of %s expired", ch->spi_in,
			 ch->spi_out, ch->conn->c.name);
		/*
		 * The peer may keep the pair longer (its own lifetime, or
		 * none it honours from us): without the Delete it would go
		 * on sending into an SA that is gone here.
		 */
		notify_delete_child(e, ch);
		sa_p2_free(e, ch);
		return P2_EXPIRED;
	}
	return P2_KEPT;
}

/*
 * Runs what is due at now. Returns the conn of an IPsec SA that just
 * expired (the caller decides whether to bring it up again, then calls
 * again), or NULL when nothing more is due.
 */
struct conn_ent *timer_run(struct ike_engine *e, uint64_t now)
{
	struct p1sa *sa;
	struct p2sa *ch;
	struct conn_ent *c;

	/* Freeing one SA may free others: start over after each. */
again:
	for (sa = e->p1s; sa; sa = sa->next)
		if (p1_due(e, sa, now))
			goto again;
	for (ch = e->p2s; ch; ch = ch->next) {
		c = ch->conn;
		switch (p2_due(e, ch, now)) {
		case P2_KEPT:
			break;
		case P2_FREED:
			goto again;
		case P2_EXPIRED:
			return c;
		}
	}
	return NULL;
}
