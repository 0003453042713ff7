// SPDX-License-Identifier: GPL-2.0
/*
 * The dispatcher: the public engine API (connections, timers, status,
 * shutdown) and datagram input, which drops duplicates, finds the SA and
 * runs the transition table. Exchange logic lives in main_mode.c,
 * aggressive_mode.c, quick_mode.c and info.c; nothing below calls back
 * up into this file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/proposal.h"
#include "ike/ikev1.h"
#include "log.h"

struct ike_engine *ike_engine_new(const struct ike_env *env)
{
	struct ike_engine *e = calloc(1, sizeof(*e));

	if (e)
		e->env = *env;
	return e;
}

void ike_engine_free(struct ike_engine *e)
{
	struct conn_ent *c;

	if (!e)
		return;
	while (e->p2s)
		sa_p2_free(e, e->p2s);
	while (e->p1s)
		sa_p1_free(e, e->p1s);
	while ((c = e->conns))
		conn_free(e, c);
	probe_free_all(e);
	frag_free_all(e);
	free(e);
}

int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn *conn)
{
	int r = conn_add(e, conn);

	link_update(e);
	return r;
}

/* Every SA of the conn goes, each with a Delete the peer can act on. */
void conn_clear_sas(struct ike_engine *e, struct conn_ent *c)
{
	struct p1sa *sa, *snext;
	struct p2sa *ch, *cnext;

	for (ch = e->p2s; ch; ch = cnext) {
		cnext = ch->next;
		if (ch->conn != c)
			continue;
		/* A responder waiting for QM3 may already be used by the peer. */
		if (ch->state == QM_ACTIVE || ch->in_installed)
			notify_delete_child(e, ch);
		sa_p2_free(e, ch);
	}
	for (sa = e->p1s; sa; sa = snext) {
		snext = sa->next;
		if (sa->conn != c)
			continue;
		if (sa->state == MM_ACTIVE)
			notify_delete_p1(e, sa);
		sa_p1_free(e, sa);
	}
}

int ike_engine_terminate(struct ike_engine *e, const char *name)
{
	struct conn_ent *c = conn_find(e, name);

	if (!c)
		return -2;
	c->held = true;
	c->keep_up = false;
	c->retry_at = 0;
	c->start_now = false;
	c->on_hold = false;
	/* Taken down by hand: the next start judges the path afresh. */
	c->esp_blocked = false;
	conn_clear_sas(e, c);
	modecfg_release(e, c);
	link_update(e);
	return 0;
}

int ike_engine_del_conn(struct ike_engine *e, const char *name)
{
	struct conn_ent *c = conn_find(e, name);

	if (!c)
		return -2;
	ike_engine_terminate(e, name);
	link_release(e, c);
	conn_free(e, c);
	return 0;
}

int ike_engine_replace_conns(struct ike_engine *e,
			     const struct ike_conn *conns, int n)
{
	struct conn_ent *c, *next;
	int i, rc = 0;

	for (c = e->conns; c; c = next) {
		next = c->next;
		for (i = 0; i < n; i++)
			if (!strcmp(conns[i].name, c->c.name))
				break;
		if (i == n || memcmp(&conns[i], &c->c, sizeof(c->c)))
			ike_engine_del_conn(e, c->c.name);
	}
	for (i = 0; i < n; i++) {
		if (conn_find(e, conns[i].name))
			continue;
		if (ike_engine_add_conn(e, &conns[i]))
			rc = -1;
		else if (conns[i].start == IKE_START_INITIATE)
			ike_engine_initiate(e, conns[i].name);
	}
	return rc;
}

/*
 * Phase 1 in the conn's mode; a successor of prev starts from where prev
 * ended (natt.c).
 */
static int p1_initiate(struct ike_engine *e, struct conn_ent *c,
		       const struct p1sa *prev)
{
	if (c->c.mode == IKE_MODE_AGGRESSIVE)
		return am_initiate(e, c, prev);
	return mm_initiate(e, c, prev);
}

/* One negotiation attempt: Quick Mode, or phase 1 (MM or AM) first. */
static int conn_start(struct ike_engine *e, struct conn_ent *c)
{
	uint32_t missing = 0;
	struct p1sa *sa;
	int i, rc;

	c->attempts++;
	c->why[0] = 0;
	/* One IPsec SA pair per selector pair; rekeying is another matter. */
	for (i = 0; i < c->n_pairs; i++)
		if (!qm_pair_covered(e, c, i))
			missing |= 1u << i;
	sa = sa_p1_established(e, c);
	if (sa) {
		if (!missing) {
			log_info("%s %s is already up", msg_ck(sa), c->c.name);
			return 0;
		}
		/* XAuth or Mode Config first: they start Quick Mode. */
		if (!cfg_ready(sa)) {
			sa->start_qm |= missing;
			return 0;
		}
		return qm_initiate_pairs(e, sa, missing);
	}
	for (sa = e->p1s; sa; sa = sa->next)
		if (sa->conn == c && sa->initiator) {
			sa->start_qm |= missing ? missing : CONN_ALL_PAIRS(c);
			return 0;	/* already negotiating */
		}
	rc = p1_initiate(e, c, NULL);
	/* It puts the new SA first; pairs still up are left alone. */
	if (!rc && missing && e->p1s && e->p1s->conn == c)
		e->p1s->start_qm = missing;
	return rc;
}

/*
 * Starts what is due: conns that should be up (retry.c) and those that
 * DPD or recovery want negotiated now. Then the carriers follow.
 */
static void keep_up(struct ike_engine *e)
{
	uint64_t now = env_now(e);
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next) {
		/*
		 * DPD's restart or auto-force bring an on-demand conn back
		 * once; up again, it is on demand again (idle pairs expire).
		 */
		if (c->keep_up && c->c.start == IKE_START_ON_DEMAND &&
		    retry_conn_up(e, c))
			c->keep_up = false;
		if (c->start_now) {
			c->start_now = false;
			if (!c->held && !retry_conn_up(e, c) &&
			    !retry_conn_busy(e, c)) {
				conn_start(e, c);
				continue;
			}
		}
		if (retry_due(e, c, now))
			conn_start(e, c);
	}
	link_update(e);
}

int ike_engine_initiate(struct ike_engine *e, const char *name)
{
	struct conn_ent *c = conn_find(e, name);
	int r;

	if (!c)
		return -2;
	c->held = false;
	c->on_hold = false;
	c->keep_up = c->c.start == IKE_START_INITIATE;
	c->attempts = 0;
	c->retry_at = 0;
	r = conn_start(e, c);
	keep_up(e);
	return r;
}

void ike_engine_shutdown(struct ike_engine *e)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next)
		ike_engine_terminate(e, c->c.name);
}

void ike_engine_unknown_spi(struct ike_engine *e,
			    const struct sockaddr_storage *local,
			    const struct sockaddr_storage *remote,
			    uint32_t spi)
{
	recover_unknown_spi(e, local, remote, spi);
	keep_up(e);
}

/* Forget a new SA that never got going; a running one carries on. */
static void drop_unstarted(struct ike_dispatch *d)
{
	if (d->p2) {
		if (d->p2->state == QM_NONE)
			sa_p2_free(d->e, d->p2);
	} else if (d->p1->state == ST_NONE) {
		sa_p1_free(d->e, d->p1);
	}
}

/* The handler succeeded: move to the next state, settle retransmission. */
static void transition_done(struct ike_dispatch *d,
			    const struct ike_transition *t,
			    const uint8_t *digest, uint32_t gen)
{
	struct p1sa *sa = d->p1;
	struct p2sa *ch = d->p2, *x;
	struct rexmit *rx = ch ? &ch->rx : &sa->rx;

	/* Processed: a late copy of it is dropped before decryption. */
	rexmit_seen_add(&sa->seen, digest);
	if (ch) {
		/* Authentic (its HASH checked): the peer is alive. */
		dpd_heard(d->e, sa->conn);
		/* A duplicate-pair tie-break may have deleted this child. */
		for (x = d->e->p2s; x && x != ch; x = x->next)
			;
		if (!x)
			return;
		ch->state = t->to;
		if (t->to == QM_ACTIVE)
			diag_established(ch->conn, true);
	} else {
		sa->state = t->to;
	}
	/*
	 * Only a message we sent in answer to this one is replayed for its
	 * duplicates; without an answer, just stop retransmitting.
	 */
	if (rx->gen == gen)
		rexmit_stop(rx);
	else
		rexmit_note_input(rx, digest);
	if (!ch && t->to == MM_ACTIVE) {
		diag_established(sa->conn, false);
		p1_established(d->e, sa);
		dpd_established(d->e, sa);
		rekey_p1_established(d->e, sa);
		cfg_established(d->e, sa);
		if (sa->initiator && sa->start_qm && cfg_ready(sa))
			qm_initiate_pairs(d->e, sa, sa->start_qm);
	}
}

/* Run the table entry for the SA's state on message d->m. */
static void run_transition(struct ike_dispatch *d, const uint8_t *digest)
{
	struct p1sa *sa = d->p1;
	struct p2sa *ch = d->p2;
	enum ike_state st = ch ? ch->state : sa->state;
	const struct ike_transition *t = ike_transition_for(st,
							    d->m->hdr.exch);
	uint32_t gen = ch ? ch->rx.gen : sa->rx.gen;
	char why[128], pl[160];

	if (!t || t->to == ST_NONE) {
		log_info_rl("%s unexpected message (exchange %u) in state %s, "
			    "dropped", msg_ck(sa), d->m->hdr.exch,
			    ike_state_name(st));
		return;
	}
	if (isakmp_check_rule(d->m, t->msg, why, sizeof(why))) {
		/* It breaks the rules, so it may be forged: only dropped. */
		log_warn_rl("%s %s from peer refused: %s", msg_ck(sa),
			    isakmp_msg_rule(t->msg)->name, why);
		drop_unstarted(d);
		return;
	}
	diag_received(ch ? ch->conn : sa->conn, isakmp_msg_rule(t->msg)->name);
	if (log_get_level() >= LOG_LVL_DEBUG)
		log_dbg("%s %s received: %s", msg_ck(sa),
			isakmp_msg_rule(t->msg)->name,
			isakmp_payload_list(d->m, pl, sizeof(pl)));
	if (t->handler(d)) {
		/*
		 * The handler logged why. Unauthenticated, the message may be
		 * forged or damaged: dropped, the exchange goes on and its
		 * timers end it. Authenticated, the negotiation is over.
		 */
		if (!d->authentic) {
			drop_unstarted(d);
			return;
		}
		if (ch)
			sa_p2_free(d->e, ch);
		else
			sa_p1_free(d->e, sa);
		return;
	}
	transition_done(d, t, digest, gen);
}

/*
 * A datagram whose bytes equal one already processed is a retransmission
 * or a network duplicate. It is recognised here, before any decryption:
 * decrypting it again would use the CBC IV its message ID has since moved
 * to, giving garbage. If we answered it, the stored answer goes out again
 * (the peer's copy of it was lost); if the exchange needed no answer
 * (QM3, MM6, INFO) or the answer was replaced by a later one, the copy is
 * dropped. Either way no state, IV or kernel SA changes.
 */
static bool is_dup(struct ike_engine *e, const uint8_t *digest,
		   const struct isakmp_msg *m,
		   const struct sockaddr_storage *from,
		   const struct sockaddr_storage *to)
{
	struct p1sa *sa;
	struct p2sa *ch;
	struct rexmit *rx = NULL;
	struct p1sa *owner = NULL;

	for (sa = e->p1s; sa && !rx; sa = sa->next)
		if (rexmit_is_dup(&sa->rx, digest)) {
			rx = &sa->rx;
			owner = sa;
		}
	for (ch = e->p2s; ch && !rx; ch = ch->next)
		if (rexmit_is_dup(&ch->rx, digest)) {
			rx = &ch->rx;
			owner = ch->p1;
		}
	if (rx) {
		char a[64];

		/*
		 * Only the SA's peer gets the answer again, and only a few
		 * times: anyone may send copies, with any source address.
		 */
		if (!owner || !conn_addr_equal(from, &owner->remote, true)) {
			log_dbg("copy of an answered request from %s, not the "
				"SA's peer: dropped",
				ike_addr_str(from, a, sizeof(a)));
			return true;
		}
		if (!rexmit_may_replay(rx)) {
			log_dbg("%s copy of an answered request: %s already "
				"resent %u times, dropped", msg_ck(owner),
				rx->name, rx->replays);
			return true;
		}
		log_info("%s retransmitted request, resending %s",
			 msg_ck(owner), rx->name);
		msg_resend(e, owner, to, from, rx);
		return true;
	}
	for (sa = e->p1s; sa; sa = sa->next)
		if (rexmit_seen_has(&sa->seen, digest)) {
			log_dbg("%s duplicate of a processed message (exchange "
				"%u, M-ID %08x) dropped", msg_ck(sa),
				m->hdr.exch, m->hdr.msgid);
			return true;
		}
	return false;
}

/*
 * Phase 1 (Main or Aggressive Mode): a new responder SA for MM1/AM1,
 * decryption of MM5/MM6/AM3.
 */
static void input_phase1(struct ike_dispatch *d, const uint8_t *digest)
{
	bool aggr = d->m->hdr.exch == ISAKMP_XCHG_AGGR;
	const char *mode = aggr ? "Aggressive Mode" : "Main Mode";
	uint8_t *plain = NULL;
	char a[64];
	int rc;

	ike_addr_str(d->from, a, sizeof(a));
	if (!d->p1) {
		d->p1 = aggr ? am_responder_new(d->e, d->m, d->from, d->to) :
			       mm_responder_new(d->e, d->m, d->from, d->to);
		if (!d->p1)
			return;
	}
	if (d->p1->state == MM_ACTIVE) {
		log_info_rl("%s late %s message from %s ignored",
			    msg_ck(d->p1), mode, a);
		return;
	}
	if (d->m->hdr.flags & ISAKMP_FLAG_E) {
		if (d->p1->state != MM_WAIT_MSG5 &&
		    d->p1->state != MM_WAIT_MSG6 &&
		    d->p1->state != AM_WAIT_MSG3) {
			log_info_rl("%s encrypted %s message from %s in %s "
				    "dropped", msg_ck(d->p1), mode, a,
				    ike_state_name(d->p1->state));
			if (d->p1->state == ST_NONE)
				sa_p1_free(d->e, d->p1);
			return;
		}
		plain = malloc(d->raw_len);
		if (!plain)
			return;
		rc = msg_decrypt(d->p1, d->raw, d->raw_len, plain, d->m);
		if (rc) {
			log_err_rl("%s authentication failed: message from %s "
				   "does not decrypt (%s) — pre-shared key "
				   "mismatch?", msg_ck(d->p1), a,
				   isakmp_notify_name((uint16_t)-rc));
			/* Possibly forged: the timers end a real mismatch. */
			if (d->p1->conn)
				diag_fail(d->e, d->p1->conn,
					  d->p1->state == MM_WAIT_MSG5 ?
					  "MM5" : "MM6",
					  d->p1->state == MM_WAIT_MSG5 ?
					  "the peer's MM5 does not decrypt: "
					  "pre-shared key mismatch?" :
					  "the peer's MM6 does not decrypt: "
					  "pre-shared key mismatch?");
			free(plain);
			return;
		}
	}
	run_transition(d, digest);
	free(plain);
}

/* Quick Mode: only under an established ISAKMP SA, always encrypted. */
static void input_quick_mode(struct ike_dispatch *d, const uint8_t *digest)
{
	const struct isakmp_hdr *h = &d->m->hdr;
	uint8_t *plain;
	char a[64];
	int rc;

	ike_addr_str(d->from, a, sizeof(a));
	if (!d->p1 || d->p1->state != MM_ACTIVE || !h->msgid ||
	    !(h->flags & ISAKMP_FLAG_E)) {
		log_info_rl("Quick Mode message from %s without an established "
			    "ISAKMP SA dropped", a);
		return;
	}
	plain = malloc(d->raw_len);
	if (!plain)
		return;
	d->p2 = sa_p2_find(d->e, d->p1, h->msgid);
	if (!d->p2 && msgid_used(&d->p1->msgids, h->msgid)) {
		/* Its exchange is over; an answered copy was resent above. */
		log_info_rl("%s QM message from %s: Message ID %08x already "
			    "used, dropped", msg_ck(d->p1), a, h->msgid);
		goto out;
	}
	if (!d->p2)
		d->p2 = sa_p2_new(d->e, d->p1, false, h->msgid);
	if (!d->p2)
		goto out;
	rc = msg_decrypt(d->p1, d->raw, d->raw_len, plain, d->m);
	if (rc) {
		log_warn_rl("%s QM message from %s malformed after decryption: "
			    "%s", msg_ck(d->p1), a,
			    isakmp_notify_name((uint16_t)-rc));
		if (d->p2->state == QM_NONE)
			sa_p2_free(d->e, d->p2);
		goto out;
	}
	run_transition(d, digest);
out:
	free(plain);
}

/* XAuth and Mode Config; Quick Mode starts once they are done. */
static void input_transaction(struct ike_dispatch *d, const uint8_t *digest)
{
	struct p1sa *sa = d->p1;

	if (cfg_input(d->e, sa, d->from, d->raw, d->raw_len, d->m,
		      digest) == 1 && sa->start_qm)
		qm_initiate_pairs(d->e, sa, sa->start_qm);
}

/* A piece of a larger message: the whole one is dispatched once complete. */
static void input_fragment(struct ike_engine *e,
			   const struct sockaddr_storage *from,
			   const struct sockaddr_storage *to,
			   const uint8_t *buf, size_t len)
{
	uint8_t *whole;
	size_t whole_len;

	if (frag_input(e, from, buf, len, &whole, &whole_len) != 1)
		return;
	ike_engine_input(e, from, to, whole, whole_len);
	free(whole);
}

void ike_engine_input(struct ike_engine *e,
		      const struct sockaddr_storage *from,
		      const struct sockaddr_storage *to,
		      const uint8_t *buf, size_t len)
{
	uint8_t digest[REXMIT_DIGEST];
	struct ike_dispatch d = { .e = e, .raw = buf, .raw_len = len,
				  .from = from, .to = to };
	struct isakmp_msg *m;
	char a[64];
	int rc;

	if (len >= ISAKMP_HDR_LEN && buf[16] == ISAKMP_NP_FRAG) {
		input_fragment(e, from, to, buf, len);
		return;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return;
	d.m = m;
	ike_addr_str(from, a, sizeof(a));
	rc = isakmp_parse(buf, len, m);
	if (rc) {
		log_warn_rl("malformed ISAKMP message from %s dropped: %s", a,
			    isakmp_notify_name((uint16_t)-rc));
		goto out;
	}
	/* Answers to a path probe belong to no SA: taken off here. */
	if (probe_input(e, m, from, to))
		goto out;
	rexmit_digest(buf, len, digest);
	if (is_dup(e, digest, m, from, to))
		goto out;
	d.p1 = sa_p1_find(e, m->hdr.icookie, m->hdr.rcookie);
	switch (m->hdr.exch) {
	case ISAKMP_XCHG_IDPROT:
	case ISAKMP_XCHG_AGGR:
		input_phase1(&d, digest);
		break;
	case ISAKMP_XCHG_QUICK:
		input_quick_mode(&d, digest);
		break;
	case ISAKMP_XCHG_INFO:
		/* DPD's R-U-THERE too: info.c hands it to dpd.c. */
		info_input(e, d.p1, from, buf, len, m, digest);
		break;
	case ISAKMP_XCHG_TRANSACTION:
		input_transaction(&d, digest);
		break;
	default:
		log_warn_rl("exchange type %u from %s not supported",
			    m->hdr.exch, a);
	}
out:
	free(m);
	keep_up(e);
}

int64_t ike_engine_next_timeout_ms(struct ike_engine *e)
{
	int64_t t = timer_next_ms(e), d = dpd_next_ms(e);
	int64_t k = natt_next_ms(e), r = rekey_next_ms(e);
	int64_t p = probe_next_ms(e), f = autoforce_next_ms(e);
	int64_t x = cfg_next_ms(e);

	if (x >= 0 && (t < 0 || x < t))
		t = x;
	if (p >= 0 && (t < 0 || p < t))
		t = p;
	if (f >= 0 && (t < 0 || f < t))
		t = f;
	if (d >= 0 && (t < 0 || d < t))
		t = d;
	if (r >= 0 && (t < 0 || r < t))
		t = r;
	return k >= 0 && (t < 0 || k < t) ? k : t;
}

/* A successor for an IPsec SA pair: Quick Mode, after Main Mode if need be. */
static void rekey_child_start(struct ike_engine *e, struct p2sa *old)
{
	struct conn_ent *c = old->conn;
	struct p1sa *sa = sa_p1_established(e, c);
	struct ike_ts_pair own = { old->local_ts, old->remote_ts };
	int pair = conn_pair_within(c, &old->local_ts, &old->remote_ts);
	uint32_t mask = pair >= 0 ? 1u << pair : CONN_ALL_PAIRS(c);

	/* With its own selectors, which may be narrower than the pair's. */
	if (sa && !sa->retire_at && cfg_ready(sa)) {
		if (pair >= 0)
			qm_initiate(e, sa, &own);
		else
			qm_initiate_pairs(e, sa, mask);
		return;
	}
	for (sa = e->p1s; sa; sa = sa->next)
		if (sa->conn == c && sa->initiator &&
		    (sa->state != MM_ACTIVE || !cfg_ready(sa))) {
			sa->start_qm |= mask;
			return;
		}
	/* p1_initiate puts the new SA first; only this pair is rekeyed. */
	if (!p1_initiate(e, c, NULL) && e->p1s && e->p1s->conn == c)
		e->p1s->start_qm = mask;
}

/* A successor for an ISAKMP SA: phase 1 alone, IPsec SAs untouched. */
static void rekey_p1_start(struct ike_engine *e, struct p1sa *old)
{
	struct conn_ent *c = old->conn;

	/* The initiators put the new SA first in the list. */
	if (!p1_initiate(e, c, old) && e->p1s && e->p1s->conn == c)
		e->p1s->start_qm = 0;
}

/* Phase 1 alone for DPD's probe: the IPsec SAs stay as they are. */
static void dpd_p1_start(struct ike_engine *e, struct conn_ent *c)
{
	if (!p1_initiate(e, c, NULL) && e->p1s && e->p1s->conn == c)
		e->p1s->start_qm = 0;
}

/* Rekeys that are due, the outbound switches and replaced SAs. */
static void rekey_timers(struct ike_engine *e, uint64_t now)
{
	struct p2sa *ch;
	struct p1sa *sa;

	rekey_run(e, now);
	while ((sa = rekey_p1_due(e, now)))
		rekey_p1_start(e, sa);
	while ((ch = rekey_child_due(e, now)))
		rekey_child_start(e, ch);
}

void ike_engine_run_timers(struct ike_engine *e)
{
	uint64_t now = env_now(e);
	struct conn_ent *c;

	/*
	 * An expired IPsec SA of a conn that should be up: bring it up
	 * again. Rekeying before expiry starts here too.
	 */
	while ((c = timer_run(e, now)))
		if (c->keep_up)
			conn_start(e, c);
	cfg_run(e, now);
	dpd_run(e, now);
	while ((c = dpd_p1_due(e, now)))
		dpd_p1_start(e, c);
	natt_run(e, now);
	probe_run(e, now);
	autoforce_run(e, now);
	rekey_timers(e, now);
	keep_up(e);
}

void ike_engine_kernel_event(struct ike_engine *e, enum ike_kernel_event ev,
			     const char *ifname, uint32_t spi)
{
	static const char *const names[] = {
		[IKE_KEV_ACQUIRE] = "acquire",
		[IKE_KEV_SOFT_EXPIRE] = "soft expire",
		[IKE_KEV_HARD_EXPIRE] = "hard expire",
		[IKE_KEV_UNKNOWN_SPI] = "unknown SPI",
		[IKE_KEV_REMOTE_MOVED] = "remote moved",
	};

	log_info("kernel event on %s: %s, SPI %08x", ifname ? ifname : "?",
		 (unsigned int)ev < sizeof(names) / sizeof(names[0]) ?
		 names[ev] : "?", spi);
	if (ev == IKE_KEV_SOFT_EXPIRE && ifname) {
		rekey_soft_expire(e, ifname, spi);
		rekey_timers(e, env_now(e));
		return;
	}
	if (ev != IKE_KEV_ACQUIRE || !ifname)
		return;
	ike_engine_acquire(e, ifname, NULL, NULL);
}

void ike_engine_acquire(struct ike_engine *e, const char *ifname,
			const struct ike_ts *src, const struct ike_ts *dst)
{
	struct conn_ent *c;
	char a[IKE_TS_STRLEN], b[IKE_TS_STRLEN];
	int pair = -1, i;

	if (src && dst)
		log_info("kernel event on %s: acquire, %s -> %s", ifname,
			 ts_str(src, a, sizeof(a)), ts_str(dst, b, sizeof(b)));
	for (c = e->conns; c; c = c->next)
		if (!strcmp(c->c.ifname, ifname))
			break;
	for (i = 0; c && src && dst && i < c->n_pairs && pair < 0; i++)
		if (ts_contains(&c->pairs[i].local, src) &&
		    ts_contains(&c->pairs[i].remote, dst))
			pair = i;
	/* No SA of the conn could carry it (an IPv6 router solicitation on
	 * a conn of IPv4 pairs): negotiating would bring nothing for it.
	 */
	if (c && src && dst && c->n_pairs && pair < 0) {
		log_info("[conn %s] acquire %s -> %s matches none of its "
			 "selector pairs: nothing to negotiate", c->c.name,
			 a, b);
		c = NULL;
	}
	if (c && retry_acquire(e, c, pair, env_now(e)))
		conn_start(e, c);
	link_update(e);
}

void ike_engine_remote_moved(struct ike_engine *e, const char *ifname,
			     uint32_t spi,
			     const struct sockaddr_storage *remote, bool encap)
{
	char a[64];

	log_info("kernel event on %s: remote moved, SPI %08x, now %s%s",
		 ifname, spi, ike_addr_str(remote, a, sizeof(a)),
		 encap ? " (ESP in UDP)" : "");
	natt_kernel_moved(e, ifname, spi, remote, encap);
}

void ike_engine_status(struct ike_engine *e,
		       void (*cb)(void *arg, const struct ike_status *st),
		       void *arg)
{
	uint64_t now = env_now(e);
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next) {
		struct ike_status st;
		struct p1sa *sa, *best = NULL;
		struct p2sa *ch;

		memset(&st, 0, sizeof(st));
		dpd_status(e, c, &st);
		st.conn = c->c.name;
		st.state = "NONE";
		st.aggressive = c->c.mode == IKE_MODE_AGGRESSIVE;
		st.auth = !ike_auth_sig(c->c.auth) ? "psk" :
			ike_auth_ecdsa(c->c.auth) ? "ecdsa-sig" : "rsa-sig";
		st.lifetime_left = -1;
		st.rekeys = c->rekeys;
		st.ike_rekeys = c->ike_rekeys;
		st.next_rekey = rekey_child_left_ms(e, c);
		st.ike_next_rekey = rekey_p1_left_ms(e, c);
		if (st.next_rekey > 0)
			st.next_rekey /= 1000;
		if (st.ike_next_rekey > 0)
			st.ike_next_rekey /= 1000;
		st.local = c->c.local;
		st.peer = c->c.remote;
		st.natt = "";
		st.has_vip = c->has_vip;
		st.vip = c->vip;
		st.diag = &c->diag;
		st.fail_age = c->diag.fail[0] && now >= c->diag.fail_ms ?
			(int64_t)(now - c->diag.fail_ms) / 1000 : -1;
		for (sa = e->p1s; sa; sa = sa->next)
			if (sa->conn == c &&
			    (!best || (sa->state == MM_ACTIVE &&
				       (best->state != MM_ACTIVE ||
					best->retire_at))))
				best = sa;
		if (best) {
			st.state = ike_p1_state_name(best->state,
						     best->aggressive);
			st.aggressive = best->aggressive;
			st.initiator = best->initiator;
			memcpy(st.icookie, best->icookie, 8);
			memcpy(st.rcookie, best->rcookie, 8);
			st.local = best->local;
			st.peer = best->remote;
			if (best->prop.enc)
				ike_proposal_str(&best->prop, st.algs,
						 sizeof(st.algs));
			if (best->state == MM_ACTIVE)
				st.lifetime_left = best->expire_ms > now ?
					(int64_t)(best->expire_ms - now) / 1000 : 0;
			st.natt = natt_version_name(best->natt.version);
			st.nat_local = best->natt.nat_local;
			st.nat_remote = best->natt.nat_remote;
			st.nat_forced = best->natt.forced;
			st.encap = best->natt.encap;
			if (st.encap) {
				st.encap_local_port = natt_port(&best->local);
				st.encap_remote_port = natt_port(&best->remote);
			}
		}
		for (ch = e->p2s; ch && st.n_children < IKE_STATUS_MAX_CHILDREN;
		     ch = ch->next) {
			struct ike_status_child *sc;

			if (ch->conn != c)
				continue;
			sc = &st.children[st.n_children++];
			sc->spi_in = ch->spi_in;
			sc->spi_out = ch->spi_out;
			sc->state = ch->retire_at ? "QM_REPLACED" :
				    ike_state_name(ch->state);
			if (ch->prop.transform)
				esp_proposal_str(&ch->prop, sc->algs,
						 sizeof(sc->algs));
			sc->local_ts = ch->local_ts;
			sc->remote_ts = ch->remote_ts;
			sc->lifetime_left = -1;
			if (ch->state == QM_ACTIVE) {
				uint64_t end = ch->established_ms +
					       (uint64_t)ch->life_secs * 1000;

				sc->lifetime_left = end > now ?
					(int64_t)(end - now) / 1000 : 0;
			}
		}
		cb(arg, &st);
	}
}

int ike_engine_keys(struct ike_engine *e, const char *name,
		    void (*cb)(void *arg, const struct ike_sa_keys *k),
		    void *arg)
{
	struct conn_ent *c = conn_find(e, name);
	struct p1sa *sa;
	int n = 0;

	if (!c)
		return -ENOENT;
	for (sa = e->p1s; sa; sa = sa->next) {
		struct ike_sa_keys k;

		if (sa->conn != c || !sa->keys)
			continue;
		memcpy(k.icookie, sa->icookie, 8);
		memcpy(k.rcookie, sa->rcookie, 8);
		k.enc_key = sa->km.enc_key;
		k.enc_key_len = sa->km.enc_key_len;
		k.state = ike_state_name(sa->state);
		cb(arg, &k);
		n++;
	}
	return n;
}
