// SPDX-License-Identifier: GPL-2.0
/*
 * Engine entry points: connections, datagram dispatch through the
 * transition table, timers, status and shutdown. Exchange logic lives in
 * main_mode.c, quick_mode.c and info.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rng.h"
#include "ike/proposal.h"
#include "ike/sa.h"
#include "log.h"

/* Responder SAs that never complete are dropped after this long. */
#define HALF_OPEN_TIMEOUT_MS	30000


const char *ike_ck(const struct p1sa *sa)
{
	static char bufs[4][40];
	static int i;
	char *b = bufs[i++ & 3];
	int k;

	b[0] = '[';
	for (k = 0; k < 8; k++)
		sprintf(b + 1 + 2 * k, "%02x", sa->icookie[k]);
	b[17] = ':';
	for (k = 0; k < 8; k++)
		sprintf(b + 18 + 2 * k, "%02x", sa->rcookie[k]);
	b[34] = ']';
	b[35] = 0;
	return b;
}

uint64_t eng_now(struct ike_engine *e)
{
	return e->env.now_ms(e->env.ctx);
}

void eng_random(struct ike_engine *e, void *buf, size_t len)
{
	if (e->env.random)
		e->env.random(e->env.ctx, buf, len);
	else
		crypto_random(NULL, buf, len);
}

void eng_rng_adapter(void *ctx, void *buf, size_t len)
{
	eng_random(ctx, buf, len);
}

void ike_send(struct ike_engine *e, const struct sockaddr_storage *from,
	      const struct sockaddr_storage *to, struct rexmit *rx,
	      const uint8_t *buf, size_t len, const char *name,
	      bool expect_reply, uint32_t first_ms, uint32_t tries)
{
	if (e->env.send(e->env.ctx, from, to, buf, len) < 0) {
		char a[64];

		log_warn("sending %s to %s failed", name,
			 ike_addr_str(to, a, sizeof(a)));
	}
	if (rx)
		rexmit_set(rx, buf, len, name, expect_reply, eng_now(e),
			   first_ms, tries);
}

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
		p2_free(e, e->p2s);
	while (e->p1s)
		p1_free(e, e->p1s);
	while ((c = e->conns)) {
		e->conns = c->next;
		memset(&c->c, 0, sizeof(c->c));	/* PSK */
		free(c);
	}
	free(e);
}

int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn *conn)
{
	struct conn_ent *c, **pp;

	if (conn_find(e, conn->name))
		return -17;	/* EEXIST */
	c = calloc(1, sizeof(*c));
	if (!c)
		return -12;
	c->c = *conn;
	/* Append: the first matching conn wins for responders. */
	for (pp = &e->conns; *pp; pp = &(*pp)->next)
		;
	*pp = c;
	return 0;
}

int ike_engine_terminate(struct ike_engine *e, const char *name)
{
	struct conn_ent *c = conn_find(e, name);
	struct p1sa *sa, *snext;
	struct p2sa *ch, *cnext;

	if (!c)
		return -2;
	for (ch = e->p2s; ch; ch = cnext) {
		cnext = ch->next;
		if (ch->conn != c)
			continue;
		/* A responder waiting for QM3 may already be used by the peer. */
		if (ch->state == QM_ACTIVE || ch->in_installed)
			info_send_delete_child(e, ch);
		p2_free(e, ch);
	}
	for (sa = e->p1s; sa; sa = snext) {
		snext = sa->next;
		if (sa->conn != c)
			continue;
		if (sa->state == MM_ACTIVE)
			info_send_delete_p1(e, sa);
		p1_free(e, sa);
	}
	return 0;
}

int ike_engine_del_conn(struct ike_engine *e, const char *name)
{
	struct conn_ent *c = conn_find(e, name), **pp;

	if (!c)
		return -2;
	ike_engine_terminate(e, name);
	for (pp = &e->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	memset(&c->c, 0, sizeof(c->c));
	free(c);
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

int ike_engine_initiate(struct ike_engine *e, const char *name)
{
	struct conn_ent *c = conn_find(e, name);
	struct p1sa *sa;

	if (!c)
		return -2;
	sa = p1_established(e, c);
	if (sa) {
		struct p2sa *ch;

		/* One IPsec SA pair per conn; rekeying is another matter. */
		for (ch = e->p2s; ch; ch = ch->next)
			if (ch->conn == c && (ch->state == QM_ACTIVE ||
					      ch->state == QM_WAIT_MSG2)) {
				log_info("%s %s is already up", ike_ck(sa),
					 c->c.name);
				return 0;
			}
		return qm_initiate(e, sa);
	}
	for (sa = e->p1s; sa; sa = sa->next)
		if (sa->conn == c && sa->initiator) {
			sa->start_qm = true;
			return 0;	/* already negotiating */
		}
	return mm_initiate(e, c);
}

void ike_engine_shutdown(struct ike_engine *e)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next)
		ike_engine_terminate(e, c->c.name);
}

static bool is_zero8(const uint8_t *p)
{
	static const uint8_t z[8];

	return !memcmp(p, z, 8);
}

/* Run the table entry for the SA's state on message d->m. */
static void run_transition(struct ike_dispatch *d, const uint8_t *digest)
{
	struct p1sa *sa = d->p1;
	struct p2sa *ch = d->p2;
	enum ike_state st = ch ? ch->state : sa->state;
	const struct ike_transition *t = ike_transition_for(st);
	struct rexmit *rx = ch ? &ch->rx : &sa->rx;
	uint32_t gen = rx->gen;
	char why[128], pl[160];
	int rc;

	if (!t || t->to == ST_NONE) {
		log_info("%s unexpected message (exchange %u) in state %s, "
			 "dropped", ike_ck(sa), d->m->hdr.exch,
			 ike_state_name(st));
		return;
	}
	rc = isakmp_check_rule(d->m, t->msg, why, sizeof(why));
	if (rc) {
		log_warn("%s %s from peer refused: %s", ike_ck(sa),
			 isakmp_msg_rule(t->msg)->name, why);
		goto fail;
	}
	if (log_get_level() >= LOG_LVL_DEBUG)
		log_dbg("%s %s received: %s", ike_ck(sa),
			isakmp_msg_rule(t->msg)->name,
			isakmp_payload_list(d->m, pl, sizeof(pl)));
	rc = t->handler(d);
	if (rc)
		goto failed;
	/* Processed: a late copy of it is dropped before decryption. */
	rexmit_seen_add(&sa->seen, digest);
	if (ch) {
		struct p2sa *x;

		/* A duplicate-pair tie-break may have deleted this child. */
		for (x = d->e->p2s; x && x != ch; x = x->next)
			;
		if (!x)
			return;
	}
	if (ch)
		ch->state = t->to;
	else
		sa->state = t->to;
	/*
	 * Only a message we sent in answer to this one is replayed for its
	 * duplicates; without an answer, just stop retransmitting.
	 */
	if (rx->gen == gen)
		rexmit_stop(rx);
	else
		rexmit_note_input(rx, digest);
	if (!ch && t->to == MM_ACTIVE)
		mm_established(d->e, sa);
	return;
fail:
	/*
	 * A message that breaks the rules is dropped (it may be forged);
	 * a new responder SA that never got going is forgotten.
	 */
	if (ch) {
		if (ch->state == QM_NONE)
			p2_free(d->e, ch);
	} else if (sa->state == ST_NONE) {
		p1_free(d->e, sa);
	}
	return;
failed:
	/* The handler logged why; this negotiation is over. */
	if (ch)
		p2_free(d->e, ch);
	else
		p1_free(d->e, sa);
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
		if (owner)
			log_info("%s retransmitted request, resending %s",
				 ike_ck(owner), rx->name);
		e->env.send(e->env.ctx, to, from, rx->buf, rx->len);
		return true;
	}
	for (sa = e->p1s; sa; sa = sa->next)
		if (rexmit_seen_has(&sa->seen, digest)) {
			log_dbg("%s duplicate of a processed message (exchange "
				"%u, M-ID %08x) dropped", ike_ck(sa),
				m->hdr.exch, m->hdr.msgid);
			return true;
		}
	return false;
}

void ike_engine_input(struct ike_engine *e,
		      const struct sockaddr_storage *from,
		      const struct sockaddr_storage *to,
		      const uint8_t *buf, size_t len)
{
	struct isakmp_msg *m = calloc(1, sizeof(*m));
	uint8_t digest[REXMIT_DIGEST], *plain = NULL;
	struct ike_dispatch d = { .e = e, .m = m, .raw = buf, .raw_len = len,
				  .from = from, .to = to };
	char a[64];
	int rc;

	if (!m)
		return;
	ike_addr_str(from, a, sizeof(a));
	rc = isakmp_parse(buf, len, m);
	if (rc) {
		log_warn("malformed ISAKMP message from %s dropped: %s", a,
			 isakmp_notify_name((uint16_t)-rc));
		goto out;
	}
	rexmit_digest(buf, len, digest);
	if (is_dup(e, digest, m, from, to))
		goto out;
	d.p1 = p1_find(e, m->hdr.icookie, m->hdr.rcookie);

	switch (m->hdr.exch) {
	case ISAKMP_XCHG_IDPROT:
		if (!d.p1) {
			struct conn_ent *c;
			int total, per;

			if (!is_zero8(m->hdr.rcookie) || m->hdr.msgid) {
				log_info("Main Mode message for unknown SA "
					 "from %s dropped", a);
				goto out;
			}
			/* A late MM1 copy for a negotiation already past MM2. */
			for (d.p1 = e->p1s; d.p1; d.p1 = d.p1->next)
				if (!d.p1->initiator &&
				    !memcmp(d.p1->icookie, m->hdr.icookie, 8) &&
				    addr_equal(&d.p1->remote, from, false))
					break;
			if (d.p1) {
				log_info("%s late MM1 from %s ignored",
					 ike_ck(d.p1), a);
				goto out;
			}
			c = conn_by_addr(e, to, from);
			if (!c) {
				log_warn("MM1 from %s: no connection "
					 "configured for this peer", a);
				goto out;
			}
			per = p1_half_open(e, from, &total);
			if (per >= IKE_HALF_OPEN_PER_PEER ||
			    total >= IKE_HALF_OPEN_TOTAL) {
				log_warn("MM1 from %s dropped: too many half-open "
					 "ISAKMP SAs (%d from this peer, %d "
					 "total)", a, per, total);
				goto out;
			}
			d.p1 = p1_new(e, c, false);
			if (!d.p1)
				goto out;
			memcpy(d.p1->icookie, m->hdr.icookie, 8);
			do
				eng_random(e, d.p1->rcookie, 8);
			while (is_zero8(d.p1->rcookie));
			d.p1->local = *to;
			d.p1->remote = *from;
		}
		if (d.p1->state == MM_ACTIVE) {
			log_info("%s late Main Mode message from %s ignored",
				 ike_ck(d.p1), a);
			goto out;
		}
		if (m->hdr.flags & ISAKMP_FLAG_E) {
			if (d.p1->state != MM_WAIT_MSG5 &&
			    d.p1->state != MM_WAIT_MSG6) {
				log_info("%s encrypted Main Mode message from %s "
					 "in %s dropped", ike_ck(d.p1), a,
					 ike_state_name(d.p1->state));
				if (d.p1->state == ST_NONE)
					p1_free(e, d.p1);
				goto out;
			}
			plain = malloc(len);
			if (!plain)
				goto out;
			rc = ike_decrypt_msg(d.p1, buf, len, plain, m);
			if (rc) {
				log_err("%s authentication failed: message from "
					"%s does not decrypt (%s) — pre-shared "
					"key mismatch?", ike_ck(d.p1), a,
					isakmp_notify_name((uint16_t)-rc));
				if (!d.p1->initiator) {
					d.p1->state = ST_FAILED;
					p1_free(e, d.p1);
				}
				goto out;
			}
		}
		run_transition(&d, digest);
		break;
	case ISAKMP_XCHG_QUICK:
		if (!d.p1 || d.p1->state != MM_ACTIVE || !m->hdr.msgid ||
		    !(m->hdr.flags & ISAKMP_FLAG_E)) {
			log_info("Quick Mode message from %s without an "
				 "established ISAKMP SA dropped", a);
			goto out;
		}
		plain = malloc(len);
		if (!plain)
			goto out;
		d.p2 = p2_find(e, d.p1, m->hdr.msgid);
		if (!d.p2) {
			d.p2 = p2_new(e, d.p1, false, m->hdr.msgid);
			if (!d.p2)
				goto out;
		}
		rc = ike_decrypt_msg(d.p1, buf, len, plain, m);
		if (rc) {
			log_warn("%s QM message from %s malformed after "
				 "decryption: %s", ike_ck(d.p1), a,
				 isakmp_notify_name((uint16_t)-rc));
			if (d.p2->state == QM_NONE)
				p2_free(e, d.p2);
			goto out;
		}
		run_transition(&d, digest);
		break;
	case ISAKMP_XCHG_INFO:
		info_input(e, d.p1, from, buf, len, m, digest);
		break;
	case ISAKMP_XCHG_AGGR:
		log_warn("Aggressive Mode from %s not supported (mode = main)",
			 a);
		break;
	default:
		log_warn("exchange type %u from %s not supported",
			 m->hdr.exch, a);
	}
out:
	free(plain);
	free(m);
}

int64_t ike_engine_next_timeout_ms(struct ike_engine *e)
{
	uint64_t now = eng_now(e), next = UINT64_MAX, t;
	struct p1sa *sa;
	struct p2sa *ch;

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

static const char *no_answer_hint(const char *name)
{
	if (!strcmp(name, "MM1"))
		return "is UDP 500 blocked?";
	if (!strcmp(name, "MM5"))
		return "pre-shared key or ID mismatch?";
	if (!strcmp(name, "QM1"))
		return "proposal or traffic selectors refused by the peer?";
	return "peer stopped answering";
}

void ike_engine_run_timers(struct ike_engine *e)
{
	uint64_t now = eng_now(e);
	struct p1sa *sa;
	struct p2sa *ch;
	char a[64];
	int r;

again:
	for (sa = e->p1s; sa; sa = sa->next) {
		r = rexmit_poll(&sa->rx, now);
		if (r > 0) {
			log_info("%s retransmitting %s to %s (try %u of %u)",
				 ike_ck(sa), sa->rx.name,
				 ike_addr_str(&sa->remote, a, sizeof(a)),
				 sa->rx.sent, sa->rx.tries);
			e->env.send(e->env.ctx, &sa->local, &sa->remote,
				    sa->rx.buf, sa->rx.len);
		} else if (r < 0) {
			log_err("%s no response to %s from %s after %u tries "
				"— %s", ike_ck(sa), sa->rx.name,
				ike_addr_str(&sa->remote, a, sizeof(a)),
				sa->rx.sent, no_answer_hint(sa->rx.name));
			p1_free(e, sa);
			goto again;
		}
		if (sa->state == MM_ACTIVE && now >= sa->expire_ms) {
			log_info("%s ISAKMP SA with %s expired", ike_ck(sa),
				 ike_addr_str(&sa->remote, a, sizeof(a)));
			info_send_delete_p1(e, sa);
			p1_free(e, sa);
			goto again;
		}
		if (sa->state != MM_ACTIVE &&
		    now >= sa->created_ms + HALF_OPEN_TIMEOUT_MS &&
		    !sa->rx.waiting) {
			log_info("%s half-open ISAKMP SA with %s timed out in "
				 "%s", ike_ck(sa),
				 ike_addr_str(&sa->remote, a, sizeof(a)),
				 ike_state_name(sa->state));
			p1_free(e, sa);
			goto again;
		}
	}
	for (ch = e->p2s; ch; ch = ch->next) {
		struct p1sa *p1 = ch->p1;

		r = rexmit_poll(&ch->rx, now);
		if (r > 0 && p1) {
			log_info("%s retransmitting %s (try %u of %u)",
				 ike_ck(p1), ch->rx.name, ch->rx.sent,
				 ch->rx.tries);
			e->env.send(e->env.ctx, &p1->local, &p1->remote,
				    ch->rx.buf, ch->rx.len);
		} else if (r < 0 || (r > 0 && !p1)) {
			if (p1)
				log_err("%s no response to %s from %s after %u "
					"tries — %s", ike_ck(p1), ch->rx.name,
					ike_addr_str(&p1->remote, a, sizeof(a)),
					ch->rx.sent,
					no_answer_hint(ch->rx.name));
			p2_free(e, ch);
			goto again;
		}
		if (ch->state == QM_ACTIVE &&
		    now >= ch->established_ms + (uint64_t)ch->life_secs * 1000) {
			struct conn_ent *c = ch->conn;

			log_info("IPsec SA %08x/%08x of %s expired", ch->spi_in,
				 ch->spi_out, c->c.name);
			p2_free(e, ch);
			/*
			 * No rekeying yet (next issue): a conn that should be
			 * up is brought up again once its SA is gone.
			 */
			if (c->c.start == IKE_START_INITIATE)
				ike_engine_initiate(e, c->c.name);
			goto again;
		}
	}
}

void ike_engine_kernel_event(struct ike_engine *e, enum ike_kernel_event ev,
			     const char *ifname, uint32_t spi)
{
	static const char *const names[] = {
		[IKE_KEV_ACQUIRE] = "acquire",
		[IKE_KEV_SOFT_EXPIRE] = "soft expire",
		[IKE_KEV_HARD_EXPIRE] = "hard expire",
		[IKE_KEV_UNKNOWN_SPI] = "unknown SPI",
	};

	log_info("kernel event on %s: %s, SPI %08x", ifname ? ifname : "?",
		 (unsigned int)ev < 4 ? names[ev] : "?", spi);
}

void ike_engine_status(struct ike_engine *e,
		       void (*cb)(void *arg, const struct ike_status *st),
		       void *arg)
{
	uint64_t now = eng_now(e);
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next) {
		struct ike_status st;
		struct p1sa *sa, *best = NULL;
		struct p2sa *ch;

		memset(&st, 0, sizeof(st));
		st.conn = c->c.name;
		st.state = "NONE";
		st.lifetime_left = -1;
		st.local = c->c.local;
		st.peer = c->c.remote;
		for (sa = e->p1s; sa; sa = sa->next)
			if (sa->conn == c &&
			    (!best || (sa->state == MM_ACTIVE &&
				       best->state != MM_ACTIVE)))
				best = sa;
		if (best) {
			st.state = ike_state_name(best->state);
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
		}
		for (ch = e->p2s; ch && st.n_children < IKE_STATUS_MAX_CHILDREN;
		     ch = ch->next) {
			struct ike_status_child *sc;

			if (ch->conn != c)
				continue;
			sc = &st.children[st.n_children++];
			sc->spi_in = ch->spi_in;
			sc->spi_out = ch->spi_out;
			sc->state = ike_state_name(ch->state);
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
