// SPDX-License-Identifier: GPL-2.0
/*
 * The Transaction exchange (draft-ietf-ipsec-isakmp-mode-cfg-05 3.3),
 * client side: XAuth (xauth.c) and Mode Config (modecfg.c) messages
 * under an established ISAKMP SA. Each is HASH(1) = prf(SKEYID_a, M-ID
 * | attribute payload) followed by one attribute payload, encrypted with
 * the IV of its own Message ID as Quick Mode is; a request and its
 * answer share the Message ID. The peer asks for our XAuth credentials
 * and sets the verdict; we ask for an address. Quick Mode on the SA
 * waits until both are done (cfg_ready).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/ikev1.h"
#include "log.h"

#define MSG_BUF	2048

/* Phase 1 done: XAuth or Mode Config first, if any. */
void cfg_established(struct ike_engine *e, struct p1sa *sa)
{
	const struct ike_conn *c = &sa->conn->c;

	memset(&sa->cfg, 0, sizeof(sa->cfg));
	/* Whoever began phase 1: a server may begin it too. */
	if (!c->xauth && !c->modecfg)
		return;
	sa->cfg.active = true;
	sa->cfg.deadline = env_now(e) + CFG_TIMEOUT_MS;
	if (c->xauth) {
		log_info("%s XAuth: waiting for the peer's request",
			 msg_ck(sa));
		return;
	}
	/* A send failure is left to the deadline, like a lost message. */
	modecfg_request(e, sa);
}

struct cfg_body {
	const struct p1sa *sa;
	uint8_t type;
	uint16_t id;
	void (*attrs)(struct isakmp_gen *g, const struct p1sa *sa);
};

/* The attribute payload of a Transaction message. */
static void gen_cfg(struct isakmp_gen *g, const void *arg)
{
	const struct cfg_body *b = arg;
	size_t off = isakmp_gen_cfg_begin(g, b->type, b->id);

	if (b->attrs)
		b->attrs(g, b->sa);
	isakmp_gen_end(g, off);
}

int cfg_send(struct ike_engine *e, struct p1sa *sa, struct rexmit *rx,
	     uint32_t msgid, uint8_t type, uint16_t id,
	     void (*attrs)(struct isakmp_gen *g, const struct p1sa *sa),
	     const char *name, bool expect_reply)
{
	const struct ike_conn *c = &sa->conn->c;
	struct cfg_body body = { sa, type, id, attrs };
	uint8_t buf[MSG_BUF];
	size_t len;
	char a[64];
	int rc = -1;

	len = msg_build_hash1(sa, ISAKMP_XCHG_TRANSACTION, msgid, gen_cfg,
			      &body, buf, sizeof(buf));
	if (!len)
		goto out;
	msg_send(e, sa, &sa->local, &sa->remote, rx, buf, len, name,
		 expect_reply, c->rexmit_ms, c->rexmit_tries);
	diag_sent(sa->conn, name);
	log_info("%s %s (%s) sent to %s (M-ID %08x)", msg_ck(sa), name,
		 isakmp_cfg_type_name(type),
		 ike_addr_str(&sa->remote, a, sizeof(a)), msgid);
	rc = 0;
out:
	/* The plain text may hold the XAuth password. */
	if (rc)
		crypto_wipe(buf, sizeof(buf));
	return rc;
}

/* XAuth and Mode Config are over: Quick Mode may start. */
static void cfg_finish(struct p1sa *sa)
{
	sa->cfg.done = true;
	log_info("%s %s done: Quick Mode may start", msg_ck(sa),
		 sa->conn->c.xauth && sa->conn->c.modecfg ?
		 "XAuth and Mode Config" : sa->conn->c.xauth ? "XAuth" :
		 "Mode Config");
}

/* The exchange failed for reason (already logged): the SA goes. */
static void cfg_fail(struct ike_engine *e, struct p1sa *sa, const char *msg,
		     const char *reason)
{
	if (reason != sa->conn->why)
		snprintf(sa->conn->why, sizeof(sa->conn->why), "%s", reason);
	diag_fail(e, sa->conn, msg, reason);
	notify_delete_p1(e, sa);
	sa_p1_free(e, sa);
}

/* Decrypts into plain and checks HASH(1); 0 when m is authentic. */
static int cfg_authenticate(struct p1sa *sa, const char *from,
			    const uint8_t *buf, size_t len, uint8_t *plain,
			    struct isakmp_msg *m)
{
	uint8_t h[CRYPTO_MAX_HASH];
	const uint8_t *rest;
	size_t rest_len;
	char why[128];
	int rc;

	rc = msg_decrypt(sa, buf, len, plain, m);
	if (!rc)
		rc = isakmp_check_rule(m, MSG_CFG, why, sizeof(why));
	if (rc) {
		log_warn_rl("%s Transaction message from %s dropped: %s",
			    msg_ck(sa), from, rc == -ISAKMP_N_PAYLOAD_MALFORMED ?
			    "malformed" : isakmp_notify_name((uint16_t)-rc));
		return rc;
	}
	rest = m->pl[1].body - ISAKMP_GEN_LEN;
	rest_len = (size_t)(m->pl[m->n - 1].body + m->pl[m->n - 1].len -
			    rest);
	keymat_qm_hash(&sa->km, 0, m->hdr.msgid, NULL, 0, NULL, 0, rest,
		       rest_len, h);
	if (m->pl[0].len != sa->km.prf_len ||
	    !crypto_memeq(m->pl[0].body, h, sa->km.prf_len)) {
		log_warn_rl("%s Transaction message from %s: HASH(1) mismatch, "
			    "dropped", msg_ck(sa), from);
		return -ISAKMP_N_INVALID_HASH_INFORMATION;
	}
	iv_confirm(&sa->iv, m->hdr.msgid);
	return 0;
}

static void log_attrs(const struct p1sa *sa, const struct isakmp_cfg *cfg)
{
	char list[256];
	size_t n = 0;
	int i;

	list[0] = 0;
	for (i = 0; i < cfg->nattr && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i ? "," : "",
				      isakmp_cfg_attr_name(cfg->attr[i].type));
	log_dbg("%s %s id %u: %s", msg_ck(sa), isakmp_cfg_type_name(cfg->type),
		cfg->id, list);
}

/*
 * One Transaction message. Returns 1 when it finished XAuth and Mode
 * Config (the caller starts Quick Mode), -1 when the SA is gone, else 0.
 */
int cfg_input(struct ike_engine *e, struct p1sa *sa,
	      const struct sockaddr_storage *from, const uint8_t *buf,
	      size_t len, const struct isakmp_msg *hm, const uint8_t *digest)
{
	struct isakmp_msg *m = NULL;
	const struct isakmp_payload *p;
	struct isakmp_cfg cfg;
	uint8_t *plain = NULL;
	uint32_t gen;
	bool ours;
	char a[64];
	int rc = 0, r;

	ike_addr_str(from, a, sizeof(a));
	if (!sa || !sa->keys || sa->state != MM_ACTIVE ||
	    !(hm->hdr.flags & ISAKMP_FLAG_E) || !hm->hdr.msgid) {
		log_info_rl("Transaction message from %s without an established "
			    "ISAKMP SA dropped", a);
		return 0;
	}
	if (!sa->cfg.active || sa->cfg.done) {
		log_info_rl("%s Transaction message from %s unexpected (%s), "
			    "dropped", msg_ck(sa), a, sa->cfg.done ?
			    "XAuth and Mode Config are done" :
			    "xauth = no and modecfg = no");
		return 0;
	}
	ours = sa->cfg.modecfg_sent && hm->hdr.msgid == sa->cfg.msgid;
	if (!ours && msgid_used(&sa->msgids, hm->hdr.msgid)) {
		log_info_rl("%s Transaction message from %s: Message ID %08x "
			    "already used, dropped", msg_ck(sa), a,
			    hm->hdr.msgid);
		return 0;
	}
	m = malloc(sizeof(*m));
	plain = malloc(len);
	if (!m || !plain)
		goto out;
	*m = *hm;
	if (cfg_authenticate(sa, a, buf, len, plain, m))
		goto out;
	/* Authentic: neither a replay nor a copy is acted on again. */
	if (!ours && msgid_add(&sa->msgids, m->hdr.msgid))
		goto out;
	rexmit_seen_add(&sa->seen, digest);
	dpd_heard(e, sa->conn);
	p = isakmp_find(m, ISAKMP_NP_ATTR);
	r = isakmp_parse_cfg(p->body, p->len, &cfg);
	if (r) {
		char why[128];

		/* Authentic, so the peer's own: waiting would not mend it. */
		log_err("%s attribute payload from %s refused: %s", msg_ck(sa),
			a, isakmp_notify_name((uint16_t)-r));
		snprintf(why, sizeof(why), "the peer's attribute payload is "
			 "malformed (%s)", isakmp_notify_name((uint16_t)-r));
		cfg_fail(e, sa, ours ? "MCFG2" : "XAUTH1", why);
		rc = -1;
		goto out;
	}
	if (log_get_level() >= LOG_LVL_DEBUG)
		log_attrs(sa, &cfg);
	if (ours) {
		diag_received(sa->conn, "MCFG2");
		r = modecfg_input(e, sa, &cfg);
		if (r < 0) {
			cfg_fail(e, sa, "MCFG2", sa->conn->why);
			rc = -1;
		} else if (r > 0) {
			cfg_finish(sa);
			rc = 1;
		}
		goto out;
	}
	diag_received(sa->conn, cfg.type == ISAKMP_CFG_SET ? "XAUTH3" :
		      "XAUTH1");
	gen = sa->rx.gen;
	r = xauth_input(e, sa, m->hdr.msgid, &cfg);
	if (r < 0) {
		cfg_fail(e, sa, cfg.type == ISAKMP_CFG_SET ? "XAUTH3" :
			 "XAUTH1", sa->conn->why);
		rc = -1;
		goto out;
	}
	/* A copy of the request gets our answer again (engine.c). */
	if (sa->rx.gen != gen)
		rexmit_note_input(&sa->rx, digest);
	if (r > 0) {
		sa->cfg.xauth_done = true;
		if (!sa->conn->c.modecfg) {
			cfg_finish(sa);
			rc = 1;
		} else {
			modecfg_request(e, sa);
		}
	}
out:
	if (plain)
		crypto_wipe(plain, len);
	free(plain);
	free(m);
	return rc;
}

int64_t cfg_next_ms(struct ike_engine *e)
{
	uint64_t now = env_now(e), next = UINT64_MAX;
	struct p1sa *sa;

	for (sa = e->p1s; sa; sa = sa->next) {
		if (!sa->cfg.active || sa->cfg.done)
			continue;
		if (sa->cfg.deadline < next)
			next = sa->cfg.deadline;
		if (rexmit_deadline(&sa->cfg.rx) < next)
			next = rexmit_deadline(&sa->cfg.rx);
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int64_t)(next - now);
}

/* Our REQUEST's retransmission; true when the SA went for want of an answer. */
static bool cfg_resend(struct ike_engine *e, struct p1sa *sa, uint64_t now)
{
	struct rexmit *rx = &sa->cfg.rx;
	char a[64], why[128];
	int r = rexmit_poll(rx, now);

	if (!r)
		return false;
	ike_addr_str(&sa->remote, a, sizeof(a));
	if (r > 0) {
		log_info("%s retransmitting %s to %s (try %u of %u)",
			 msg_ck(sa), rx->name, a, rx->sent, rx->tries);
		msg_resend(e, sa, &sa->local, &sa->remote, rx);
		return false;
	}
	log_err("%s no response to %s from %s after %u tries", msg_ck(sa),
		rx->name, a, rx->sent);
	snprintf(why, sizeof(why), "no response to %s from %s after %u tries",
		 rx->name, a, rx->sent);
	cfg_fail(e, sa, rx->name, why);
	return true;
}

/* An SA whose XAuth or Mode Config did not finish in time goes. */
void cfg_run(struct ike_engine *e, uint64_t now)
{
	struct p1sa *sa;
	char a[64];

again:
	for (sa = e->p1s; sa; sa = sa->next) {
		if (!sa->cfg.active || sa->cfg.done)
			continue;
		if (cfg_resend(e, sa, now))
			goto again;
		if (now < sa->cfg.deadline)
			continue;
		ike_addr_str(&sa->remote, a, sizeof(a));
		if (sa->conn->c.xauth && !sa->cfg.xauth_done) {
			log_err("%s XAuth with %s not finished within %u s — "
				"is XAuth configured on the peer?", msg_ck(sa),
				a, CFG_TIMEOUT_MS / 1000);
			cfg_fail(e, sa, "XAUTH1", "XAuth not finished in time "
				 "(no request from the peer?)");
		} else {
			log_err("%s Mode Config with %s not finished within "
				"%u s — does the peer assign addresses?",
				msg_ck(sa), a, CFG_TIMEOUT_MS / 1000);
			cfg_fail(e, sa, "MCFG1", "Mode Config not finished in "
				 "time (no address from the peer?)");
		}
		goto again;
	}
}
