// SPDX-License-Identifier: GPL-2.0
/*
 * Phase 1, what Main Mode and Aggressive Mode share: the SA payload and
 * its selection, DH and nonces, SKEYID and the IV, the identities and
 * HASH_I/HASH_R, sending, INITIAL-CONTACT and the end of phase 1.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/proposal.h"
#include "ike/ikev1.h"
#include "ike/vid.h"
#include "log.h"

/*
 * The authentication method a conn proposes (@initiator) or accepts:
 * with xauth = client the XAuth variant that makes us the client, "Init"
 * when we begin phase 1, "Resp" when the server does. strongSwan needs
 * it to pick a config with XAuth.
 */
static uint16_t auth_method(const struct ike_conn *c, bool initiator)
{
	bool rsa = c->auth == IKE_AUTH_RSA_SIG;

	/* The key's curve's method; no XAuth variant (config.c refuses). */
	if (ike_auth_ecdsa(c->auth))
		return c->auth;
	if (c->xauth_server)
		initiator = !initiator;
	else if (!c->xauth)
		return rsa ? IKE_AUTH_M_RSA_SIG : IKE_AUTH_M_PSK;
	if (initiator)
		return rsa ? IKE_AUTH_M_XAUTH_INIT_RSA :
			     IKE_AUTH_M_XAUTH_INIT_PSK;
	return rsa ? IKE_AUTH_M_XAUTH_RESP_RSA : IKE_AUTH_M_XAUTH_RESP_PSK;
}

void p1_build_sa(const struct ike_conn *c, struct isakmp_sa *sa)
{
	struct isakmp_prop *p = &sa->p[0];
	int i;

	memset(sa, 0, sizeof(*sa));
	sa->doi = ISAKMP_DOI_IPSEC;
	sa->situation = ISAKMP_SIT_IDENTITY_ONLY;
	sa->nprop = 1;
	p->num = 1;
	p->proto = ISAKMP_PROTO_ISAKMP;
	for (i = 0; i < c->n_ike && i < ISAKMP_MAX_TRANSFORMS; i++) {
		struct isakmp_transform *t = &p->t[p->ntrans++];
		const struct ike_proposal *ip = &c->ike[i];
		int n = 0;

		t->num = (uint8_t)(i + 1);
		t->id = ISAKMP_KEY_IKE;
#define TV(ty, v) (t->attr[n++] = (struct isakmp_attr){ .type = (ty), \
		.tv = true, .val = (v), .val_ok = true })
		TV(IKE_A_ENC, ip->enc);
		if (ip->enc == IKE_ENC_AES_CBC)
			TV(IKE_A_KEY_LEN, ip->keylen);
		TV(IKE_A_HASH, ip->hash);
		TV(IKE_A_AUTH, auth_method(c, true));
		TV(IKE_A_GROUP, ip->group);
		TV(IKE_A_LIFE_TYPE, IKE_LIFE_SECONDS);
#undef TV
		/* Variable-length attribute: always 4-byte TLV. */
		t->attr[n++] = (struct isakmp_attr){ .type = IKE_A_LIFE_DUR,
			.val = c->ike_lifetime, .val_ok = true };
		t->nattr = n;
	}
}

/*
 * Why an ECDSA conn refuses another method: both sides sign with keys on
 * the curve the method names (RFC 4754), so ours decides.
 */
static const char *ecdsa_refusal(uint64_t got, const struct ike_conn *c)
{
	static char why[160];

	snprintf(why, sizeof(why), "authentication method is %s, not %s, "
		 "the method of our key (auth = ecdsa-sig)",
		 ike_auth_name(got > 0xffff ? 0 : (unsigned int)got),
		 ike_auth_name(c->auth));
	return why;
}

/* A phase 1 transform → proposal; NULL or a reason it is unusable. */
static const char *decode_transform(const struct isakmp_transform *t,
				    const struct ike_conn *c, bool initiator,
				    struct ike_proposal *ip, uint32_t *life)
{
	uint16_t want = auth_method(c, initiator);
	bool rsa = c->auth == IKE_AUTH_RSA_SIG;
	bool auth_ok = false;
	uint64_t life_type = 0;
	int i;

	memset(ip, 0, sizeof(*ip));
	*life = 0;
	if (t->id != ISAKMP_KEY_IKE)
		return "transform ID is not KEY_IKE";
	for (i = 0; i < t->nattr; i++) {
		const struct isakmp_attr *a = &t->attr[i];

		if (!a->val_ok)
			return "oversized attribute";
		switch (a->type) {
		case IKE_A_ENC:
			ip->enc = (uint16_t)a->val;
			break;
		case IKE_A_HASH:
			ip->hash = (uint16_t)a->val;
			break;
		case IKE_A_AUTH:
			if (a->val != want && c->xauth && initiator)
				return rsa ? "authentication method is not "
					     "XAuth with RSA signature "
					     "(xauth = client)" :
					     "authentication method is not "
					     "XAuth with PSK (xauth = client)";
			if (a->val != want && c->xauth)
				return rsa ? "authentication method is not "
					     "XAUTHRespRSA, the server's as "
					     "initiator (xauth = client)" :
					     "authentication method is not "
					     "XAUTHRespPreShared, the server's "
					     "as initiator (xauth = client)";
			if (a->val != want && ike_auth_ecdsa(c->auth))
				return ecdsa_refusal(a->val, c);
			if (a->val != want)
				return rsa ? "authentication method is not "
					     "RSA signature (auth = rsa-sig)" :
					     "authentication method is not PSK";
			auth_ok = true;
			break;
		case IKE_A_GROUP:
			ip->group = (uint16_t)a->val;
			break;
		case IKE_A_KEY_LEN:
			ip->keylen = (uint16_t)a->val;
			break;
		case IKE_A_LIFE_TYPE:
			life_type = a->val;
			break;
		case IKE_A_LIFE_DUR:
			if (life_type == IKE_LIFE_SECONDS)
				*life = a->val > UINT32_MAX ? UINT32_MAX :
					(uint32_t)a->val;
			break;
		default:
			return "unsupported attribute";
		}
	}
	if (!auth_ok)
		return "no authentication method attribute";
	/*
	 * Policy, as in the configuration: an ECDSA conn keeps MD5 out of
	 * its ISAKMP SA (the signed hashes are SHA-2 whatever it is).
	 */
	if (ike_auth_ecdsa(c->auth) && ip->hash == IKE_HASH_MD5)
		return "MD5 is not taken with an ECDSA signature";
	if (ip->enc == IKE_ENC_AES_CBC && !ip->keylen)
		ip->keylen = 128;
	return NULL;
}

static bool conn_has(const struct ike_conn *c, const struct ike_proposal *p)
{
	int i;

	for (i = 0; i < c->n_ike; i++)
		if (ike_proposal_equal(&c->ike[i], p))
			return true;
	return false;
}

/* Index of the chosen transform in its proposal, or -1; *chosen gets it. */
int p1_select(struct p1sa *sa, const struct isakmp_sa *offer,
	      struct isakmp_sa *chosen)
{
	const struct ike_conn *c = &sa->conn->c;
	char b[64];
	int i, j;

	for (i = 0; i < offer->nprop; i++) {
		const struct isakmp_prop *p = &offer->p[i];

		if (p->proto != ISAKMP_PROTO_ISAKMP)
			continue;
		for (j = 0; j < p->ntrans; j++) {
			struct ike_proposal ip;
			uint32_t life;
			const char *why = decode_transform(&p->t[j], c, false,
							   &ip, &life);

			if (!why)
				why = ike_proposal_refusal(&ip, c->allow_weak);
			if (!why && !conn_has(c, &ip))
				why = "not configured in ike =";
			if (why) {
				log_info("%s %s: transform %d (%s) not chosen: %s",
					 msg_ck(sa), p1_msg_name(sa, 1), j + 1,
					 ike_proposal_str(&ip, b, sizeof(b)),
					 why);
				continue;
			}
			sa->prop = ip;
			sa->life_secs = life && life < c->ike_lifetime ?
					life : c->ike_lifetime;
			*chosen = *offer;
			chosen->nprop = 1;
			chosen->p[0] = *p;
			chosen->p[0].ntrans = 1;
			chosen->p[0].t[0] = p->t[j];
			return j;
		}
	}
	return -1;
}

int p1_accept_reply(struct p1sa *sa, const struct isakmp_sa *reply)
{
	struct ike_proposal ip;
	uint32_t life;
	const char *why;

	if (reply->nprop != 1 || reply->p[0].ntrans != 1 ||
	    reply->p[0].proto != ISAKMP_PROTO_ISAKMP) {
		log_err("%s %s: responder must return exactly one transform",
			msg_ck(sa), p1_msg_name(sa, 2));
		return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
	}
	why = decode_transform(&reply->p[0].t[0], &sa->conn->c, true, &ip,
			       &life);
	if (!why && !conn_has(&sa->conn->c, &ip))
		why = "not one we offered";
	if (why) {
		log_err("%s %s: responder's choice refused: %s", msg_ck(sa),
			p1_msg_name(sa, 2), why);
		return -ISAKMP_N_NO_PROPOSAL_CHOSEN;
	}
	sa->prop = ip;
	sa->life_secs = life && life < sa->conn->c.ike_lifetime ?
			life : sa->conn->c.ike_lifetime;
	return 0;
}

int p1_make_ke_nonce(struct ike_engine *e, struct p1sa *sa)
{
	uint8_t *ke = sa->initiator ? sa->ke_i : sa->ke_r;
	uint8_t *n = sa->initiator ? sa->ni : sa->nr;

	/* A refused MM3 leaves the SA waiting: the next one starts over. */
	dh_free(sa->dh);
	sa->dh = dh_new(sa->prop.group, env_rng, e);
	if (!sa->dh)
		return -1;
	sa->ke_len = dh_pub_len(sa->prop.group);
	memcpy(ke, dh_public(sa->dh), sa->ke_len);
	env_random(e, n, IKE_NONCE_LEN);
	if (sa->initiator)
		sa->ni_len = IKE_NONCE_LEN;
	else
		sa->nr_len = IKE_NONCE_LEN;
	return 0;
}

int p1_derive(struct p1sa *sa, const uint8_t *peer_ke, size_t len)
{
	uint8_t gxy[IKE_MAX_KE];
	size_t sl = dh_secret_len(sa->prop.group);
	int rc;

	if (len != sa->ke_len)
		return -ISAKMP_N_INVALID_KEY_INFORMATION;
	memcpy(sa->initiator ? sa->ke_r : sa->ke_i, peer_ke, len);
	if (dh_derive(sa->dh, peer_ke, len, gxy))
		return -ISAKMP_N_INVALID_KEY_INFORMATION;
	if (ike_auth_sig(sa->conn->c.auth))
		rc = keymat_phase1_sig(&sa->km, sa->prop.hash, sa->prop.enc,
				       sa->prop.keylen, sa->ni, sa->ni_len,
				       sa->nr, sa->nr_len, gxy, sl,
				       sa->icookie, sa->rcookie);
	else
		rc = keymat_phase1_psk(&sa->km, sa->prop.hash, sa->prop.enc,
				       sa->prop.keylen, sa->conn->c.psk,
				       sa->conn->c.psk_len, sa->ni, sa->ni_len,
				       sa->nr, sa->nr_len, gxy, sl,
				       sa->icookie, sa->rcookie);
	crypto_wipe(gxy, sizeof(gxy));
	/*
	 * The DH private value stays until the SA is established: a forged
	 * AM2 must not leave the initiator unable to take the real one.
	 */
	if (rc || iv_init(&sa->iv, &sa->km, sa->ke_i, sa->ke_len, sa->ke_r,
			  sa->ke_len))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	sa->keys = true;
	return 0;
}

void p1_own_id(const struct p1sa *sa, uint8_t *body, size_t *len)
{
	const uint8_t *d;
	uint8_t type;
	size_t l;

	if (!cert_own_id(sa, &type, &d, &l))
		conn_id_or_addr(&sa->conn->c.local_id, &sa->local, &type, &d,
				&l);
	/* Protocol and port 0: what strongSwan sends, libreswan accepts. */
	body[0] = type;
	body[1] = 0;
	body[2] = 0;
	body[3] = 0;
	memcpy(body + 4, d, l);
	*len = 4 + l;
}

bool p1_check_peer_id(const struct p1sa *sa, const struct isakmp_id *id)
{
	const uint8_t *d;
	uint8_t type;
	size_t l;

	conn_id_or_addr(&sa->conn->c.remote_id, &sa->remote, &type, &d, &l);
	/* RFC 2407 4.6.2: phase 1 protocol/port are 0/0 or UDP/500. */
	if (!((id->proto == 0 && id->port == 0) ||
	      (id->proto == IPPROTO_UDP &&
	       (id->port == 0 || id->port == 500 || id->port == 4500))))
		return false;
	return id->type == type && id->len == l && !memcmp(id->data, d, l);
}

/* ---- message helpers shared by main_mode.c and aggressive_mode.c ---- */

const char *p1_msg_name(const struct p1sa *sa, int n)
{
	static const char *const mm[] = { "MM?", "MM1", "MM2", "MM3", "MM4",
					  "MM5", "MM6" };
	static const char *const am[] = { "AM?", "AM1", "AM2", "AM3" };

	if (sa->aggressive)
		return n > 0 && n <= 3 ? am[n] : am[0];
	return n > 0 && n <= 6 ? mm[n] : mm[0];
}

void p1_hdr(const struct p1sa *sa, struct isakmp_hdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, sa->icookie, 8);
	memcpy(h->rcookie, sa->rcookie, 8);
	h->exch = sa->aggressive ? ISAKMP_XCHG_AGGR : ISAKMP_XCHG_IDPROT;
}

void p1_send(struct ike_engine *e, struct p1sa *sa, const uint8_t *buf,
	     size_t len, const char *name, bool expect_reply)
{
	char a[64];

	msg_send(e, sa, &sa->local, &sa->remote, &sa->rx, buf, len, name,
		 expect_reply, sa->conn->c.rexmit_ms, sa->conn->c.rexmit_tries);
	diag_sent(sa->conn, name);
	log_info("%s %s sent to %s", msg_ck(sa), name,
		 ike_addr_str(&sa->remote, a, sizeof(a)));
}

int p1_keep_sai(struct p1sa *sa, const uint8_t *body, size_t len)
{
	free(sa->sai_b);
	sa->sai_b = malloc(len);
	if (!sa->sai_b)
		return -1;
	memcpy(sa->sai_b, body, len);
	sa->sai_len = len;
	return 0;
}

size_t p1_first_body_len(const uint8_t *msg)
{
	/* Length field of the payload right after the header. */
	return (size_t)(msg[ISAKMP_HDR_LEN + 2] << 8 |
			msg[ISAKMP_HDR_LEN + 3]) - ISAKMP_GEN_LEN;
}

/*
 * Room for one more half-open responder SA: at a limit, the oldest one
 * whose peer has not authenticated yet (MM2 or AM2 sent; from this peer
 * when its own limit is hit) makes room. Spoofed first messages cost
 * nothing to send, so refusing instead would let them lock a configured
 * peer out. False when every counted SA is further on.
 */
bool p1_make_room(struct ike_engine *e, const struct sockaddr_storage *from,
		  const char *a, const char *name)
{
	struct p1sa *sa, *victim = NULL;
	int total, per = sa_p1_half_open(e, from, &total);
	bool peer_full = per >= IKE_HALF_OPEN_PER_PEER;

	if (!peer_full && total < IKE_HALF_OPEN_TOTAL)
		return true;
	for (sa = e->p1s; sa; sa = sa->next)
		if (!sa->initiator && (sa->state == MM_WAIT_MSG3 ||
				       sa->state == AM_WAIT_MSG3) &&
		    (!peer_full || conn_addr_equal(&sa->remote, from, false)) &&
		    (!victim || sa->created_ms <= victim->created_ms))
			victim = sa;
	if (!victim) {
		log_warn_rl("%s from %s dropped: too many half-open ISAKMP "
			    "SAs (%d from this peer, %d total)", name, a, per,
			    total);
		return false;
	}
	log_info_rl("%s half-open ISAKMP SA evicted for an %s from %s (%d "
		    "from this peer, %d total)", msg_ck(victim), name, a, per,
		    total);
	sa_p1_free(e, victim);
	return true;
}

/* The peer's KE and NONCE → DH and SKEYID. */
int p1_take_ke_nonce(struct p1sa *sa, const struct isakmp_msg *m,
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
	if (n->len > sizeof(sa->ni))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
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

/*
 * HASH_I or HASH_R over an ID payload body: ours (own) or the one the
 * peer must have sent; p1_auth_hash_len bytes, under ECDSA those of the
 * curve's hash rather than the PRF's.
 */
int p1_auth_hash(const struct p1sa *sa, bool own, const uint8_t *id,
		 size_t id_len, uint8_t *out)
{
	const uint8_t *mine = sa->initiator ? sa->ke_i : sa->ke_r;
	const uint8_t *theirs = sa->initiator ? sa->ke_r : sa->ke_i;
	const uint8_t *ck_mine = sa->initiator ? sa->icookie : sa->rcookie;
	const uint8_t *ck_theirs = sa->initiator ? sa->rcookie : sa->icookie;
	unsigned int prf = ike_auth_prf(sa->conn->c.auth, sa->km.prf);

	if (own)
		return keymat_auth_hash(&sa->km, prf, mine, sa->ke_len, theirs,
					sa->ke_len, ck_mine, ck_theirs,
					sa->sai_b, sa->sai_len, id, id_len,
					out);
	return keymat_auth_hash(&sa->km, prf, theirs, sa->ke_len, mine,
				sa->ke_len, ck_theirs, ck_mine, sa->sai_b,
				sa->sai_len, id, id_len, out);
}

size_t p1_auth_hash_len(const struct p1sa *sa)
{
	return crypto_hash_len(ike_auth_prf(sa->conn->c.auth, sa->km.prf));
}

/*
 * The peer's ID payload body and its HASH_I/HASH_R. On success the
 * message is authentic (and its IV, if it was encrypted, confirmed).
 */
static int check_auth(struct ike_dispatch *d, const uint8_t *id_b,
		      size_t id_len, const struct isakmp_payload *hp,
		      const char *name)
{
	struct p1sa *sa = d->p1;
	uint8_t want[CRYPTO_MAX_HASH];
	struct isakmp_id id;
	char b[300], x[300];
	int rc;

	rc = isakmp_parse_id(id_b, id_len, &id);
	if (rc) {
		log_err("%s %s: malformed ID payload", msg_ck(sa), name);
		return rc;
	}
	if (p1_auth_hash(sa, false, id.body, id.body_len, want))
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
	p1_id_show(&id, b, sizeof(b));
	if (!p1_check_peer_id(sa, &id)) {
		log_err("%s %s: peer ID %s does not match remote-id of %s — "
			"sending INVALID-ID-INFORMATION", msg_ck(sa), name, b,
			sa->conn->c.name);
		diag_fail_notify(d->e, sa->conn, name,
				 ISAKMP_N_INVALID_ID_INFORMATION, false);
		diag_mismatch(sa->conn, ike_id_str(&sa->conn->c.remote_id,
						   x, sizeof(x)), b);
		return -ISAKMP_N_INVALID_ID_INFORMATION;
	}
	log_info("%s %s: peer authenticated as %s", msg_ck(sa), name, b);
	return 0;
}

const char *p1_id_show(const struct isakmp_id *id, char *buf, size_t len)
{
	struct ike_id shown;

	memset(&shown, 0, sizeof(shown));
	shown.type = id->type;
	shown.len = (uint16_t)(id->len < IKE_ID_MAX ? id->len : IKE_ID_MAX);
	memcpy(shown.data, id->data, shown.len);
	return ike_id_str(&shown, buf, len);
}

/*
 * A first message (MM1, AM1) that cannot start a responder SA: cookies
 * of an SA we do not know, or a late copy for a negotiation already past
 * our answer. Logged here.
 */
bool p1_not_first(struct ike_engine *e, const struct isakmp_msg *m,
		  const struct sockaddr_storage *from, const char *a,
		  const char *name)
{
	struct p1sa *sa;

	if (!msg_cookie_is_zero(m->hdr.rcookie) || m->hdr.msgid) {
		log_info_rl("%s message for unknown SA from %s dropped",
			    m->hdr.exch == ISAKMP_XCHG_AGGR ? "Aggressive Mode" :
			    "Main Mode", a);
		return true;
	}
	for (sa = e->p1s; sa; sa = sa->next)
		if (!sa->initiator && !memcmp(sa->icookie, m->hdr.icookie, 8) &&
		    conn_addr_equal(&sa->remote, from, false)) {
			log_info_rl("%s late %s from %s ignored", msg_ck(sa),
				    name, a);
			return true;
		}
	return false;
}

/*
 * Anything else with this conn (say, the peer's own simultaneous
 * negotiation) means this is no fresh start: no INITIAL-CONTACT then.
 * INITIAL-CONTACT speaks for the whole peer, not for one conn: another
 * conn's ISAKMP SA with it that is up or has announced it already, or
 * IPsec SAs under one, count too. Otherwise the second of two conns
 * coming up together would make the peer remove the first one's state.
 */
static bool holds_other(struct ike_engine *e, const struct p1sa *sa)
{
	struct p1sa *o;
	struct p2sa *ch;

	for (o = e->p1s; o; o = o->next) {
		if (o == sa)
			continue;
		if (o->conn == sa->conn)
			return true;
		if ((o->state == MM_ACTIVE || o->sent_ic) &&
		    conn_addr_equal(&o->remote, &sa->remote, false))
			return true;
	}
	/* IPsec SAs outlive their ISAKMP SA: their own peer address counts. */
	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == sa->conn ||
		    (ch->p1 != sa && ch->state == QM_ACTIVE &&
		     conn_addr_equal(&ch->remote, &sa->remote, false)))
			return true;
	return false;
}

void p1_gen_initial_contact(struct ike_engine *e, struct p1sa *sa,
			    struct isakmp_gen *g)
{
	uint8_t spi[16];

	if (!sa->initiator || holds_other(e, sa))
		return;
	/* We hold nothing else with this peer: it may drop its state. */
	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	isakmp_gen_notify(g, ISAKMP_PROTO_ISAKMP, spi, 16,
			  ISAKMP_N_INITIAL_CONTACT, NULL, 0);
	sa->sent_ic = true;
}

void p1_note_notifies(struct ike_engine *e, struct p1sa *sa,
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

void p1_established(struct ike_engine *e, struct p1sa *sa)
{
	char a[64], b[64];

	/* The DH secret is no longer needed. */
	dh_free(sa->dh);
	sa->dh = NULL;
	iv_phase1_done(&sa->iv);
	sa->established_ms = env_now(e);
	natt_established(e, sa);
	sa->expire_ms = sa->established_ms + (uint64_t)sa->life_secs * 1000;
	log_info("%s %s: ISAKMP SA established with %s (%s, %s%s, lifetime "
		 "%us)", msg_ck(sa),
		 p1_msg_name(sa, sa->aggressive ? (sa->initiator ? 2 : 3) :
			     (sa->initiator ? 6 : 5)),
		 ike_addr_str(&sa->remote, a, sizeof(a)), sa->conn->c.name,
		 ike_proposal_str(&sa->prop, b, sizeof(b)),
		 sa->aggressive ? ", Aggressive Mode" : "", sa->life_secs);
}

/*
 * Responder: the initiator's SA payload p → the one transform we take
 * (in chosen), its body kept for the HASHes. A refusal is answered with
 * an unencrypted notify.
 */
int p1_choose(struct ike_engine *e, struct p1sa *sa,
	      const struct isakmp_payload *p, struct isakmp_sa *chosen)
{
	struct isakmp_sa *offer = malloc(sizeof(*offer));
	const char *name = p1_msg_name(sa, 1);
	char a[64];
	int rc;

	if (!offer)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	ike_addr_str(&sa->remote, a, sizeof(a));
	rc = isakmp_parse_sa(p->body, p->len, offer);
	if (rc) {
		log_warn("%s %s: SA payload refused: %s", msg_ck(sa), name,
			 isakmp_notify_name((uint16_t)-rc));
		notify_send_plain(e, &sa->local, &sa->remote, sa->icookie,
				  sa->rcookie, (uint16_t)-rc);
		goto out;
	}
	if (p1_select(sa, offer, chosen) < 0) {
		log_err("%s %s: no acceptable proposal from %s (ike = ... "
			"of %s) — sending NO-PROPOSAL-CHOSEN", msg_ck(sa),
			name, a, sa->conn->c.name);
		notify_send_plain(e, &sa->local, &sa->remote, sa->icookie,
				  sa->rcookie, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		diag_notify(sa->conn, ISAKMP_N_NO_PROPOSAL_CHOSEN, true);
		diag_fail_notify(e, sa->conn, name,
				 ISAKMP_N_NO_PROPOSAL_CHOSEN, false);
		rc = -ISAKMP_N_NO_PROPOSAL_CHOSEN;
		goto out;
	}
	if (p1_keep_sai(sa, p->body, p->len))
		rc = -ISAKMP_N_PAYLOAD_MALFORMED;
out:
	free(offer);
	return rc;
}

/*
 * Initiator: the responder's first answer m (MM2, AM2), which must have
 * its cookie, and the one transform of its SA payload.
 */
int p1_take_reply(struct p1sa *sa, const struct isakmp_msg *m)
{
	const struct isakmp_payload *p = isakmp_find(m, ISAKMP_NP_SA);
	const char *name = p1_msg_name(sa, 2);
	struct isakmp_sa *reply;
	char b[64];
	int rc;

	if (msg_cookie_is_zero(m->hdr.rcookie)) {
		log_warn("%s %s without responder cookie", msg_ck(sa), name);
		return -ISAKMP_N_INVALID_COOKIE;
	}
	vid_log(sa, name, m);
	dpd_note_vids(sa, m);
	frag_note_vids(sa, m);
	reply = malloc(sizeof(*reply));
	if (!reply)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	rc = isakmp_parse_sa(p->body, p->len, reply);
	if (!rc)
		rc = p1_accept_reply(sa, reply);
	free(reply);
	if (!rc)
		log_info("%s %s received: responder chose %s", msg_ck(sa),
			 name,
			 ike_proposal_str(&sa->prop, b, sizeof(b)));
	return rc;
}

void p1_gen_ke_nonce(const struct p1sa *sa, struct isakmp_gen *g)
{
	isakmp_gen_raw(g, ISAKMP_NP_KE, sa->initiator ? sa->ke_i : sa->ke_r,
		       sa->ke_len);
	isakmp_gen_raw(g, ISAKMP_NP_NONCE, sa->initiator ? sa->ni : sa->nr,
		       IKE_NONCE_LEN);
}

void p1_gen_id(const struct p1sa *sa, struct isakmp_gen *g)
{
	uint8_t id[4 + IKE_ID_MAX];
	size_t id_len;

	p1_own_id(sa, id, &id_len);
	isakmp_gen_id(g, id[0], id[1], 0, id + 4, id_len - 4);
}

int p1_gen_hash(const struct p1sa *sa, struct isakmp_gen *g)
{
	uint8_t id[4 + IKE_ID_MAX], hash[CRYPTO_MAX_HASH];
	size_t id_len;

	p1_own_id(sa, id, &id_len);
	if (p1_auth_hash(sa, true, id, id_len, hash))
		return -1;
	isakmp_gen_raw(g, ISAKMP_NP_HASH, hash, sa->km.prf_len);
	return 0;
}

int p1_gen_id_hash(const struct p1sa *sa, struct isakmp_gen *g)
{
	p1_gen_id(sa, g);
	if (ike_auth_sig(sa->conn->c.auth))
		return cert_gen_auth(sa, g);
	return p1_gen_hash(sa, g);
}

/*
 * MM5/MM6: ID | HASH [| N(INITIAL-CONTACT)]; AM3 the same without the
 * ID (AM1 carried it). Encrypted; returns the length, 0 on failure.
 */
size_t p1_build_auth(struct ike_engine *e, struct p1sa *sa, bool with_id,
		     uint8_t *buf, size_t cap)
{
	struct isakmp_gen g;
	struct isakmp_hdr h;

	p1_hdr(sa, &h);
	isakmp_gen_init(&g, buf, cap, &h);
	if (with_id)
		p1_gen_id(sa, &g);
	if (ike_auth_sig(sa->conn->c.auth) ? cert_gen_auth(sa, &g) :
	    p1_gen_hash(sa, &g))
		return 0;
	p1_gen_initial_contact(e, sa, &g);
	if (!isakmp_gen_finish(&g))
		return 0;
	return msg_encrypt(sa, buf, g.len, cap, 0);
}

/*
 * HASH_I and HASH_R leave the notifies after them unauthenticated, and
 * the last block of the message, often an INITIAL-CONTACT's SPI, is the
 * IV the peer goes on from. A copy with another last block decrypts to
 * another SPI there: such a copy is forged, and dropped before it can
 * set the IV.
 */
static bool notifies_intact(struct ike_dispatch *d, const char *name)
{
	const struct p1sa *sa = d->p1;
	struct isakmp_notify_pl n;
	int i;

	for (i = 0; i < d->m->n; i++) {
		if (d->m->pl[i].type != ISAKMP_NP_N)
			continue;
		if (isakmp_parse_notify(d->m->pl[i].body, d->m->pl[i].len, &n) ||
		    (n.type == ISAKMP_N_INITIAL_CONTACT &&
		     n.proto == ISAKMP_PROTO_ISAKMP &&
		     n.spi_size == 16 && (memcmp(n.spi, sa->icookie, 8) ||
					  memcmp(n.spi + 8, sa->rcookie, 8)))) {
			log_warn_rl("%s %s: notify for other cookies, a "
				    "forged copy? Dropped", msg_ck(sa), name);
			return false;
		}
	}
	return true;
}

/*
 * The peer's authenticating message (MM5, MM6, AM2, AM3): its HASH over
 * the ID body id_b, then the notifies it carries. A failure the peer can
 * read (when our keys agree) is told: INVALID-ID-INFORMATION always,
 * AUTHENTICATION-FAILED by the responder.
 */
int p1_authenticate(struct ike_dispatch *d, const uint8_t *id_b,
		    size_t id_len, const char *name)
{
	struct p1sa *sa = d->p1;
	const struct isakmp_payload *hp = isakmp_find(d->m, ISAKMP_NP_HASH);
	int rc;

	if (!notifies_intact(d, name))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	if (ike_auth_sig(sa->conn->c.auth)) {
		rc = cert_check_auth(d, id_b, id_len, name);
	} else if (!hp) {
		log_err("%s %s: no HASH payload: the peer does not "
			"authenticate with a pre-shared key (auth = rsa-sig or "
			"ecdsa-sig?)",
			msg_ck(sa), name);
		diag_fail(d->e, sa->conn, name, "no HASH payload: the peer "
			  "does not use a pre-shared key");
		rc = -ISAKMP_N_AUTHENTICATION_FAILED;
	} else {
		rc = check_auth(d, id_b, id_len, hp, name);
	}

	/*
	 * A cleartext AM2 that failed may be a forgery carrying the real
	 * exchange's KE and nonce: an error notify under the keys that
	 * gives would end the responder's genuine exchange. Told only
	 * when the message came encrypted or proved itself.
	 */
	if ((rc == -ISAKMP_N_INVALID_ID_INFORMATION ||
	     (rc == -ISAKMP_N_AUTHENTICATION_FAILED && !sa->initiator)) &&
	    (d->authentic || (d->m->hdr.flags & ISAKMP_FLAG_E)))
		notify_send(d->e, sa, ISAKMP_PROTO_ISAKMP, NULL, 0,
			    (uint16_t)-rc, NULL, 0);
	if (!rc)
		p1_note_notifies(d->e, sa, d->m, name);
	return rc;
}
