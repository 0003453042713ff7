// SPDX-License-Identifier: GPL-2.0
/*
 * Main Mode with pre-shared keys (RFC 2409 5, 5.4): six messages, named
 * after the message in and out as in libreswan (mm_inI1_outR1: the
 * responder takes initiator message 1 and answers with its message 1).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/proposal.h"
#include "ike/ikev1.h"
#include "ike/vid.h"
#include "log.h"

#define MSG_BUF	4096

static void mk_hdr(struct isakmp_hdr *h, const struct p1sa *sa)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, sa->icookie, 8);
	memcpy(h->rcookie, sa->rcookie, 8);
	h->exch = ISAKMP_XCHG_IDPROT;
}

static void send_mm(struct ike_engine *e, struct p1sa *sa, const uint8_t *buf,
		    size_t len, const char *name, bool expect_reply)
{
	char a[64];

	msg_send(e, &sa->local, &sa->remote, &sa->rx, buf, len, name,
		 expect_reply, sa->conn->c.rexmit_ms, sa->conn->c.rexmit_tries);
	diag_sent(sa->conn, name);
	log_info("%s %s sent to %s", msg_ck(sa), name,
		 ike_addr_str(&sa->remote, a, sizeof(a)));
}

/* Keep a copy of the initiator's SA body: HASH_I and HASH_R cover it. */
static int keep_sai(struct p1sa *sa, const uint8_t *body, size_t len)
{
	free(sa->sai_b);
	sa->sai_b = malloc(len);
	if (!sa->sai_b)
		return -1;
	memcpy(sa->sai_b, body, len);
	sa->sai_len = len;
	return 0;
}

int mm_initiate(struct ike_engine *e, struct conn_ent *c)
{
	struct p1sa *sa = sa_p1_new(e, c, true);
	struct isakmp_sa *prop;
	struct isakmp_gen g;
	struct isakmp_hdr h;
	uint8_t buf[MSG_BUF];
	size_t len;

	if (!sa)
		return -12;
	prop = malloc(sizeof(*prop));
	if (!prop) {
		sa_p1_free(e, sa);
		return -12;
	}
	msg_new_cookie(e, sa->icookie);
	sa->start_qm = true;
	sa->state = MM_WAIT_MSG2;

	p1_build_sa(&c->c, prop);
	mk_hdr(&h, sa);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, prop);
	/* We always answer R-U-THERE, so DPD is announced whatever dpd says. */
	isakmp_gen_raw(&g, ISAKMP_NP_VID, dpd_vid, DPD_VID_LEN);
	natt_gen_vids(&g, &c->c);
	len = isakmp_gen_finish(&g);
	free(prop);
	/* The SA is the first payload, right after the header. */
	if (!len || keep_sai(sa, buf + ISAKMP_HDR_LEN + ISAKMP_GEN_LEN,
			     (size_t)(buf[30] << 8 | buf[31]) - ISAKMP_GEN_LEN)) {
		sa_p1_free(e, sa);
		return -12;
	}
	log_info("%s initiating Main Mode for %s", msg_ck(sa), c->c.name);
	send_mm(e, sa, buf, len, "MM1", true);
	return 0;
}

/*
 * Room for one more half-open responder SA: at a limit, the oldest one
 * still before DH (MM2 sent, no MM3 yet; from this peer when its own
 * limit is hit) makes room. Spoofed MM1s cost nothing to send, so
 * refusing instead would let them lock a configured peer out. False
 * when every counted SA is further on.
 */
static bool make_room(struct ike_engine *e, const struct sockaddr_storage *from,
		      const char *a)
{
	struct p1sa *sa, *victim = NULL;
	int total, per = sa_p1_half_open(e, from, &total);
	bool peer_full = per >= IKE_HALF_OPEN_PER_PEER;

	if (!peer_full && total < IKE_HALF_OPEN_TOTAL)
		return true;
	for (sa = e->p1s; sa; sa = sa->next)
		if (!sa->initiator && sa->state == MM_WAIT_MSG3 &&
		    (!peer_full || conn_addr_equal(&sa->remote, from, false)) &&
		    (!victim || sa->created_ms <= victim->created_ms))
			victim = sa;
	if (!victim) {
		log_warn_rl("MM1 from %s dropped: too many half-open ISAKMP "
			    "SAs (%d from this peer, %d total)", a, per, total);
		return false;
	}
	log_info_rl("%s half-open ISAKMP SA evicted for an MM1 from %s (%d "
		    "from this peer, %d total)", msg_ck(victim), a, per, total);
	sa_p1_free(e, victim);
	return true;
}

/*
 * MM1 for no known SA: a responder SA for the conn of these addresses,
 * unless it is a late copy of an MM1 already answered or there is no
 * room for another unauthenticated SA. NULL when MM1 is dropped (logged
 * here).
 */
struct p1sa *mm_responder_new(struct ike_engine *e,
			      const struct isakmp_msg *m,
			      const struct sockaddr_storage *from,
			      const struct sockaddr_storage *to)
{
	struct conn_ent *c;
	struct p1sa *sa;
	char a[64];

	ike_addr_str(from, a, sizeof(a));
	if (!msg_cookie_is_zero(m->hdr.rcookie) || m->hdr.msgid) {
		log_info_rl("Main Mode message for unknown SA from %s dropped",
			    a);
		return NULL;
	}
	/* A late MM1 copy for a negotiation already past MM2. */
	for (sa = e->p1s; sa; sa = sa->next)
		if (!sa->initiator && !memcmp(sa->icookie, m->hdr.icookie, 8) &&
		    conn_addr_equal(&sa->remote, from, false)) {
			log_info_rl("%s late MM1 from %s ignored", msg_ck(sa),
				    a);
			return NULL;
		}
	c = conn_by_addr(e, to, from);
	if (!c) {
		log_warn_rl("MM1 from %s: no connection configured for this "
			    "peer", a);
		return NULL;
	}
	if (!make_room(e, from, a))
		return NULL;
	sa = sa_p1_new(e, c, false);
	if (!sa)
		return NULL;
	memcpy(sa->icookie, m->hdr.icookie, 8);
	msg_new_cookie(e, sa->rcookie);
	sa->local = *to;
	sa->remote = *from;
	return sa;
}

int mm_inI1_outR1(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	const struct isakmp_payload *p = isakmp_find(d->m, ISAKMP_NP_SA);
	struct isakmp_sa *offer = malloc(sizeof(*offer));
	struct isakmp_sa *chosen = malloc(sizeof(*chosen));
	struct isakmp_gen g;
	struct isakmp_hdr h;
	uint8_t buf[MSG_BUF];
	char a[64];
	size_t len;
	int rc;

	if (!offer || !chosen) {
		rc = -ISAKMP_N_PAYLOAD_MALFORMED;
		goto out;
	}
	ike_addr_str(&sa->remote, a, sizeof(a));
	log_info("%s MM1 received from %s for %s", msg_ck(sa), a,
		 sa->conn->c.name);
	vid_log(sa, "MM1", d->m);
	dpd_note_vids(sa, d->m);
	natt_mm1_received(sa, d->m);
	rc = isakmp_parse_sa(p->body, p->len, offer);
	if (rc) {
		log_warn("%s MM1: SA payload refused: %s", msg_ck(sa),
			 isakmp_notify_name((uint16_t)-rc));
		notify_send_plain(d->e, &sa->local, &sa->remote,
				  sa->icookie, sa->rcookie, (uint16_t)-rc);
		goto out;
	}
	if (p1_select(sa, offer, chosen) < 0) {
		log_err("%s MM1: no acceptable proposal from %s (ike = ... "
			"of %s) — sending NO-PROPOSAL-CHOSEN", msg_ck(sa), a,
			sa->conn->c.name);
		notify_send_plain(d->e, &sa->local, &sa->remote,
				  sa->icookie, sa->rcookie,
				  ISAKMP_N_NO_PROPOSAL_CHOSEN);
		diag_notify(sa->conn, ISAKMP_N_NO_PROPOSAL_CHOSEN, true);
		diag_fail_notify(d->e, sa->conn, "MM1",
				 ISAKMP_N_NO_PROPOSAL_CHOSEN, false);
		rc = -ISAKMP_N_NO_PROPOSAL_CHOSEN;
		goto out;
	}
	if (keep_sai(sa, p->body, p->len)) {
		rc = -ISAKMP_N_PAYLOAD_MALFORMED;
		goto out;
	}
	mk_hdr(&h, sa);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, chosen);
	isakmp_gen_raw(&g, ISAKMP_NP_VID, dpd_vid, DPD_VID_LEN);
	natt_gen_vid_reply(&g, sa);
	len = isakmp_gen_finish(&g);
	if (!len) {
		rc = -ISAKMP_N_PAYLOAD_MALFORMED;
		goto out;
	}
	send_mm(d->e, sa, buf, len, "MM2", false);
	rc = 0;
out:
	free(offer);
	free(chosen);
	return rc;
}

static size_t build_ke_nonce(struct p1sa *sa, uint8_t *buf, size_t cap)
{
	struct isakmp_gen g;
	struct isakmp_hdr h;

	mk_hdr(&h, sa);
	isakmp_gen_init(&g, buf, cap, &h);
	isakmp_gen_raw(&g, ISAKMP_NP_KE, sa->initiator ? sa->ke_i : sa->ke_r,
		       sa->ke_len);
	isakmp_gen_raw(&g, ISAKMP_NP_NONCE, sa->initiator ? sa->ni : sa->nr,
		       IKE_NONCE_LEN);
	natt_gen_natd(&g, sa);
	return isakmp_gen_finish(&g);
}

int mm_inR1_outI2(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	const struct isakmp_payload *p = isakmp_find(d->m, ISAKMP_NP_SA);
	struct isakmp_sa *reply = malloc(sizeof(*reply));
	uint8_t buf[MSG_BUF];
	char b[64];
	size_t len;
	int rc;

	if (!reply)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	if (!memcmp(d->m->hdr.rcookie, "\0\0\0\0\0\0\0\0", 8)) {
		free(reply);
		log_warn("%s MM2 without responder cookie", msg_ck(sa));
		return -ISAKMP_N_INVALID_COOKIE;
	}
	vid_log(sa, "MM2", d->m);
	rc = isakmp_parse_sa(p->body, p->len, reply);
	if (!rc)
		rc = p1_accept_reply(sa, reply);
	free(reply);
	if (rc)
		return rc;
	/* Only an accepted MM2 binds us to the responder's cookie. */
	memcpy(sa->rcookie, d->m->hdr.rcookie, 8);
	dpd_note_vids(sa, d->m);
	natt_mm2_received(sa, d->m);
	log_info("%s MM2 received: responder chose %s", msg_ck(sa),
		 ike_proposal_str(&sa->prop, b, sizeof(b)));
	if (p1_make_ke_nonce(d->e, sa))
		return -ISAKMP_N_INVALID_KEY_INFORMATION;
	len = build_ke_nonce(sa, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	send_mm(d->e, sa, buf, len, "MM3", true);
	return 0;
}

/* KE and NONCE of MM3/MM4 → DH and SKEYID. */
static int take_ke_nonce(struct p1sa *sa, const struct isakmp_msg *m,
			 const char *name)
{
	const struct isakmp_payload *ke = isakmp_find(m, ISAKMP_NP_KE);
	const struct isakmp_payload *n = isakmp_find(m, ISAKMP_NP_NONCE);
	int rc;

	if (ke->len != sa->ke_len) {
		log_err("%s %s: KE is %zu bytes, %s needs %zu", msg_ck(sa),
			name, ke->len, ike_group_name(sa->prop.group),
			sa->ke_len);
		return -ISAKMP_N_INVALID_KEY_INFORMATION;
	}
	if (sa->initiator) {
		memcpy(sa->nr, n->body, n->len);
		sa->nr_len = n->len;
	} else {
		memcpy(sa->ni, n->body, n->len);
		sa->ni_len = n->len;
	}
	rc = p1_derive(sa, ke->body, ke->len);
	if (rc)
		log_err("%s %s: peer's DH public value refused", msg_ck(sa),
			name);
	return rc;
}

int mm_inI2_outR2(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	if (p1_make_ke_nonce(d->e, sa))
		return -ISAKMP_N_INVALID_KEY_INFORMATION;
	rc = take_ke_nonce(sa, d->m, "MM3");
	if (rc)
		return rc;
	natt_natd_received(sa, d->m, "MM3", d->from, d->to);
	len = build_ke_nonce(sa, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	send_mm(d->e, sa, buf, len, "MM4", false);
	return 0;
}

/*
 * Anything else with this conn (say, the peer's own simultaneous Main
 * Mode) means this is no fresh start: no INITIAL-CONTACT then.
 */
static bool holds_other(struct ike_engine *e, const struct p1sa *sa)
{
	struct p1sa *o;
	struct p2sa *ch;

	for (o = e->p1s; o; o = o->next)
		if (o != sa && o->conn == sa->conn)
			return true;
	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == sa->conn)
			return true;
	return false;
}

/* MM5/MM6: ID | HASH [| N(INITIAL-CONTACT)], encrypted. */
static size_t build_auth(struct ike_engine *e, struct p1sa *sa, uint8_t *buf,
			 size_t cap)
{
	uint8_t id[4 + IKE_ID_MAX], hash[CRYPTO_MAX_HASH], spi[16];
	struct isakmp_gen g;
	struct isakmp_hdr h;
	size_t id_len;
	const uint8_t *mine = sa->initiator ? sa->ke_i : sa->ke_r;
	const uint8_t *theirs = sa->initiator ? sa->ke_r : sa->ke_i;

	p1_own_id(sa, id, &id_len);
	if (keymat_auth_hash(&sa->km, mine, sa->ke_len, theirs, sa->ke_len,
			     sa->initiator ? sa->icookie : sa->rcookie,
			     sa->initiator ? sa->rcookie : sa->icookie,
			     sa->sai_b, sa->sai_len, id, id_len, hash))
		return 0;
	mk_hdr(&h, sa);
	isakmp_gen_init(&g, buf, cap, &h);
	isakmp_gen_id(&g, id[0], id[1], 0, id + 4, id_len - 4);
	isakmp_gen_raw(&g, ISAKMP_NP_HASH, hash, sa->km.prf_len);
	if (sa->initiator && !holds_other(e, sa)) {
		/* We hold nothing else with this peer: it may drop its state. */
		memcpy(spi, sa->icookie, 8);
		memcpy(spi + 8, sa->rcookie, 8);
		isakmp_gen_notify(&g, ISAKMP_PROTO_ISAKMP, spi, 16,
				  ISAKMP_N_INITIAL_CONTACT, NULL, 0);
	}
	if (!isakmp_gen_finish(&g))
		return 0;
	return msg_encrypt(sa, buf, g.len, cap, 0);
}

/* Peer's ID and HASH_I/HASH_R from a decrypted MM5/MM6. */
static int check_auth(struct ike_dispatch *d, const char *name)
{
	struct p1sa *sa = d->p1;
	const struct isakmp_msg *m = d->m;
	const struct isakmp_payload *idp = isakmp_find(m, ISAKMP_NP_ID);
	const struct isakmp_payload *hp = isakmp_find(m, ISAKMP_NP_HASH);
	const uint8_t *mine = sa->initiator ? sa->ke_i : sa->ke_r;
	const uint8_t *theirs = sa->initiator ? sa->ke_r : sa->ke_i;
	uint8_t want[CRYPTO_MAX_HASH];
	struct isakmp_id id;
	struct ike_id shown;
	char b[300], x[300];
	int rc;

	rc = isakmp_parse_id(idp->body, idp->len, &id);
	if (rc) {
		log_err("%s %s: malformed ID payload", msg_ck(sa), name);
		return rc;
	}
	if (keymat_auth_hash(&sa->km, theirs, sa->ke_len, mine, sa->ke_len,
			     sa->initiator ? sa->rcookie : sa->icookie,
			     sa->initiator ? sa->icookie : sa->rcookie,
			     sa->sai_b, sa->sai_len, id.body, id.body_len,
			     want))
		return -ISAKMP_N_AUTHENTICATION_FAILED;
	if (hp->len != sa->km.prf_len ||
	    !crypto_memeq(hp->body, want, sa->km.prf_len)) {
		log_err("%s authentication failed: %s mismatch in %s — "
			"pre-shared key mismatch?", msg_ck(sa),
			sa->initiator ? "HASH_R" : "HASH_I", name);
		diag_fail(d->e, sa->conn, name, sa->initiator ?
			  "HASH_R mismatch: pre-shared key mismatch?" :
			  "HASH_I mismatch: pre-shared key mismatch?");
		return -ISAKMP_N_AUTHENTICATION_FAILED;
	}
	/* Authentic: only now may the IV move on. */
	iv_confirm(&sa->iv, 0);
	d->authentic = true;
	/* The float to 4500, or a NAT that changed its mapping. */
	natt_follow(d->e, sa, d->from, d->to);
	memset(&shown, 0, sizeof(shown));
	shown.type = id.type;
	shown.len = (uint16_t)(id.len < IKE_ID_MAX ? id.len : IKE_ID_MAX);
	memcpy(shown.data, id.data, shown.len);
	if (!p1_check_peer_id(sa, &id)) {
		log_err("%s %s: peer ID %s does not match remote-id of %s — "
			"sending INVALID-ID-INFORMATION", msg_ck(sa), name,
			ike_id_str(&shown, b, sizeof(b)), sa->conn->c.name);
		diag_fail_notify(d->e, sa->conn, name,
				 ISAKMP_N_INVALID_ID_INFORMATION, false);
		diag_mismatch(sa->conn, ike_id_str(&sa->conn->c.remote_id,
						   x, sizeof(x)),
			      ike_id_str(&shown, b, sizeof(b)));
		return -ISAKMP_N_INVALID_ID_INFORMATION;
	}
	log_info("%s %s: peer authenticated as %s", msg_ck(sa), name,
		 ike_id_str(&shown, b, sizeof(b)));
	return 0;
}

int mm_inR2_outI3(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	rc = take_ke_nonce(sa, d->m, "MM4");
	if (rc)
		return rc;
	natt_natd_received(sa, d->m, "MM4", d->from, d->to);
	/* RFC 3947 4: with a NAT, MM5 on goes over port 4500. */
	natt_float(sa);
	len = build_auth(d->e, sa, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	send_mm(d->e, sa, buf, len, "MM5", true);
	return 0;
}

static void note_notifies(struct ike_engine *e, struct p1sa *sa,
			  const struct isakmp_msg *m, const char *name)
{
	struct isakmp_notify_pl n;
	int i;

	for (i = 0; i < m->n; i++) {
		if (m->pl[i].type != ISAKMP_NP_N ||
		    isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n))
			continue;
		log_info("%s %s: peer sent %s", msg_ck(sa), name,
			 isakmp_notify_name(n.type));
		if (n.type == ISAKMP_N_INITIAL_CONTACT)
			recover_initial_contact(e, sa);
	}
}

int mm_inI3_outR3(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	rc = check_auth(d, "MM5");
	if (rc == -ISAKMP_N_INVALID_ID_INFORMATION ||
	    rc == -ISAKMP_N_AUTHENTICATION_FAILED) {
		/* Readable by the peer only if our keys agree at all. */
		notify_send(d->e, sa, ISAKMP_PROTO_ISAKMP, NULL, 0,
			    (uint16_t)-rc, NULL, 0);
		return rc;
	}
	if (rc)
		return rc;
	note_notifies(d->e, sa, d->m, "MM5");
	len = build_auth(d->e, sa, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	send_mm(d->e, sa, buf, len, "MM6", false);
	return 0;
}

int mm_inR3(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	int rc = check_auth(d, "MM6");

	if (rc == -ISAKMP_N_INVALID_ID_INFORMATION)
		notify_send(d->e, sa, ISAKMP_PROTO_ISAKMP, NULL, 0,
			    ISAKMP_N_INVALID_ID_INFORMATION, NULL, 0);
	if (!rc)
		note_notifies(d->e, sa, d->m, "MM6");
	return rc;
}

void mm_established(struct ike_engine *e, struct p1sa *sa)
{
	char a[64], b[64];

	iv_phase1_done(&sa->iv);
	sa->established_ms = env_now(e);
	natt_established(e, sa);
	sa->expire_ms = sa->established_ms + (uint64_t)sa->life_secs * 1000;
	log_info("%s %s: ISAKMP SA established with %s (%s, %s, lifetime "
		 "%us)", msg_ck(sa), sa->initiator ? "MM6" : "MM5",
		 ike_addr_str(&sa->remote, a, sizeof(a)), sa->conn->c.name,
		 ike_proposal_str(&sa->prop, b, sizeof(b)), sa->life_secs);
}
