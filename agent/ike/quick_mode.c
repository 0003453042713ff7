// SPDX-License-Identifier: GPL-2.0
/*
 * Quick Mode (RFC 2409 5.5): three encrypted messages under an ISAKMP SA
 * negotiate one pair of ESP SAs, optionally with PFS. The inbound SA is
 * in the kernel before the peer can use it: the responder installs it
 * before sending QM2, the initiator before sending QM3; each side
 * installs its outbound SA last, the initiator after QM3 is out.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/proposal.h"
#include "ike/ikev1.h"
#include "log.h"

#define MSG_BUF	4096

/* Transform of our ESP proposal, SPI in the proposal. */
static void fill_prop(struct isakmp_prop *pr, int num, uint32_t spi,
		      const struct esp_proposal *p, uint32_t secs,
		      uint64_t kbytes, uint16_t encap)
{
	struct isakmp_transform *t = &pr->t[0];
	int n = 0;

	memset(pr, 0, sizeof(*pr));
	pr->num = (uint8_t)num;
	pr->proto = ISAKMP_PROTO_ESP;
	pr->spi_size = 4;
	isakmp_put32(pr->spi, spi);
	pr->ntrans = 1;
	t->num = 1;
	t->id = (uint8_t)p->transform;
#define TV(ty, v) (t->attr[n++] = (struct isakmp_attr){ .type = (ty), \
		.tv = true, .val = (v), .val_ok = true })
#define TLV(ty, v) (t->attr[n++] = (struct isakmp_attr){ .type = (ty), \
		.val = (v), .val_ok = true })
	TV(IPSEC_A_LIFE_TYPE, IKE_LIFE_SECONDS);
	TLV(IPSEC_A_LIFE_DUR, secs);
	if (kbytes) {
		TV(IPSEC_A_LIFE_TYPE, IKE_LIFE_KBYTES);
		TLV(IPSEC_A_LIFE_DUR, kbytes > UINT32_MAX ? UINT32_MAX : kbytes);
	}
	if (p->group)
		TV(IPSEC_A_GROUP, p->group);
	TV(IPSEC_A_ENCAP, encap);
	if (p->auth)
		TV(IPSEC_A_AUTH, p->auth);
	if (p->keylen)
		TV(IPSEC_A_KEY_LEN, p->keylen);
#undef TV
#undef TLV
	t->nattr = n;
}

struct esp_offer {
	struct esp_proposal p;
	uint32_t secs;
	uint64_t kbytes;
	bool tunnel;
	uint16_t encap;		/* tunnel, or a UDP tunnel mode (natt.h) */
};

static const char *decode_esp(const struct isakmp_prop *pr,
			      const struct isakmp_transform *t,
			      struct esp_offer *o)
{
	uint64_t type = 0;
	const char *why;
	int i;

	memset(o, 0, sizeof(*o));
	if (pr->proto != ISAKMP_PROTO_ESP)
		return esp_proto_refusal(pr->proto);
	if (pr->spi_size != 4)
		return "SPI size is not 4";
	o->p.transform = t->id;
	for (i = 0; i < t->nattr; i++) {
		const struct isakmp_attr *a = &t->attr[i];

		if (!a->val_ok)
			return "oversized attribute";
		switch (a->type) {
		case IPSEC_A_LIFE_TYPE:
			type = a->val;
			break;
		case IPSEC_A_LIFE_DUR:
			if (type == IKE_LIFE_SECONDS)
				o->secs = a->val > UINT32_MAX ? UINT32_MAX :
					  (uint32_t)a->val;
			else if (type == IKE_LIFE_KBYTES)
				o->kbytes = a->val;
			break;
		case IPSEC_A_GROUP:
			o->p.group = (uint16_t)a->val;
			break;
		case IPSEC_A_ENCAP:
			if (a->val != IPSEC_ENCAP_TUNNEL &&
			    !natt_mode_is_udp((uint16_t)a->val))
				return esp_attr_refusal(a->type, a->val);
			o->encap = (uint16_t)a->val;
			o->tunnel = true;
			break;
		case IPSEC_A_AUTH:
			o->p.auth = (uint16_t)a->val;
			break;
		case IPSEC_A_KEY_LEN:
			o->p.keylen = (uint16_t)a->val;
			break;
		default:
			why = esp_attr_refusal(a->type, a->val);
			if (why)
				return why;
		}
	}
	if (!o->tunnel)
		return "no tunnel encapsulation attribute";
	/* Fixed 256-bit key: some peers still send the attribute. */
	if (o->p.transform == ESP_T_CHACHA20_POLY1305 && o->p.keylen == 256)
		o->p.keylen = 0;
	return NULL;
}

static bool conn_has_esp(const struct ike_conn *c, const struct esp_proposal *p)
{
	int i;

	for (i = 0; i < c->n_esp; i++)
		if (esp_proposal_equal(&c->esp[i], p))
			return true;
	return false;
}

/*
 * Encrypts and sends a QM message whose HASH payload (first, zeroed) must
 * be prf(SKEYID_a, [0|] M-ID [| Ni_b] [| Nr_b] | payloads after HASH).
 */
static int finish_and_send(struct ike_engine *e, struct p2sa *ch,
			   struct isakmp_gen *g, size_t hash_off, int form,
			   const char *name, bool expect_reply)
{
	struct p1sa *p1 = ch->p1;
	size_t hl = p1->km.prf_len, after = hash_off + 4 + hl, len;
	uint8_t h[CRYPTO_MAX_HASH];
	char a[64];

	len = isakmp_gen_finish(g);
	if (!len)
		return -1;
	if (form == 1)
		keymat_qm_hash(&p1->km, 0, ch->msgid, NULL, 0, NULL, 0,
			       g->buf + after, len - after, h);
	else if (form == 2)
		keymat_qm_hash(&p1->km, 0, ch->msgid, ch->ni, ch->ni_len, NULL,
			       0, g->buf + after, len - after, h);
	else
		keymat_qm_hash(&p1->km, 1, ch->msgid, ch->ni, ch->ni_len,
			       ch->nr, ch->nr_len, NULL, 0, h);
	memcpy(g->buf + hash_off + 4, h, hl);
	len = msg_encrypt(p1, g->buf, len, g->cap, ch->msgid);
	if (!len)
		return -1;
	msg_send(e, p1, &p1->local, &p1->remote, &ch->rx, g->buf, len, name,
		 expect_reply, ch->conn->c.rexmit_ms, ch->conn->c.rexmit_tries);
	diag_sent(ch->conn, name);
	log_info("%s %s sent to %s (M-ID %08x)", msg_ck(p1), name,
		 ike_addr_str(&p1->remote, a, sizeof(a)), ch->msgid);
	return 0;
}

static size_t begin_qm(struct isakmp_gen *g, uint8_t *buf, size_t cap,
		       const struct p2sa *ch)
{
	static const uint8_t zero[CRYPTO_MAX_HASH];
	struct isakmp_hdr h;
	size_t off;

	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, ch->p1->icookie, 8);
	memcpy(h.rcookie, ch->p1->rcookie, 8);
	h.exch = ISAKMP_XCHG_QUICK;
	h.msgid = ch->msgid;
	isakmp_gen_init(g, buf, cap, &h);
	off = isakmp_gen_begin(g, ISAKMP_NP_HASH);
	isakmp_gen_bytes(g, zero, ch->p1->km.prf_len);
	isakmp_gen_end(g, off);
	return off;
}

static void gen_ids(struct isakmp_gen *g, const struct ike_ts *ci,
		    const struct ike_ts *cr)
{
	uint8_t d[32], type;
	size_t len;

	ts_to_id(ci, &type, d, &len);
	isakmp_gen_id(g, type, 0, 0, d, len);
	ts_to_id(cr, &type, d, &len);
	isakmp_gen_id(g, type, 0, 0, d, len);
}

/* An IPsec SA pair for it is up or being negotiated by us. */
bool qm_pair_covered(struct ike_engine *e, struct conn_ent *c, int pair)
{
	struct p2sa *ch;

	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == c && (ch->state == QM_ACTIVE ||
				      ch->state == QM_WAIT_MSG2) &&
		    conn_pair_carried(c, pair, &ch->local_ts, &ch->remote_ts))
			return true;
	return false;
}

/* One Quick Mode for each pair in the mask (bit = index); first error. */
int qm_initiate_pairs(struct ike_engine *e, struct p1sa *p1, uint32_t pairs)
{
	struct conn_ent *c = p1->conn;
	int i, rc, first = 0;

	for (i = 0; i < c->n_pairs; i++) {
		if (!(pairs & (1u << i)))
			continue;
		rc = qm_initiate(e, p1, &c->pairs[i]);
		if (rc && !first)
			first = rc;
	}
	return first;
}

int qm_initiate(struct ike_engine *e, struct p1sa *p1,
		const struct ike_ts_pair *pair)
{
	const struct ike_conn *c = &p1->conn->c;
	struct isakmp_sa *sa;
	struct isakmp_gen g;
	struct p2sa *ch;
	uint8_t buf[MSG_BUF];
	char l[IKE_TS_STRLEN], r[IKE_TS_STRLEN];
	uint32_t msgid;
	size_t hoff;
	int i, rc;

	if (!c->n_esp)
		return -22;
	do
		env_random(e, &msgid, sizeof(msgid));
	while (!msgid || sa_p2_find(e, p1, msgid) ||
	       msgid_used(&p1->msgids, msgid));
	if (msgid_add(&p1->msgids, msgid))
		return -12;
	ch = sa_p2_new(e, p1, true, msgid);
	if (!ch)
		return -12;
	ch->local_ts = pair->local;
	ch->remote_ts = pair->remote;
	ch->life_secs = c->lifetime;
	ch->life_kbytes = c->life_kbytes;
	ch->encap_mode = natt_qm_mode(p1);
	ch->encap = natt_mode_is_udp(ch->encap_mode);
	rekey_qm_started(e, ch);
	rc = e->env.get_spi ? e->env.get_spi(e->env.ctx, c, &ch->spi_in) : -1;
	if (rc) {
		log_err("%s no inbound SPI from the kernel for %s: %d",
			msg_ck(p1), c->name, rc);
		sa_p2_free(e, ch);
		return -1;
	}
	/* One KE per message: offer only proposals sharing the PFS group. */
	ch->prop.group = c->esp[0].group;
	if (ch->prop.group) {
		ch->dh = dh_new(ch->prop.group, env_rng, e);
		if (!ch->dh) {
			sa_p2_free(e, ch);
			return -1;
		}
	}
	env_random(e, ch->ni, IKE_NONCE_LEN);
	ch->ni_len = IKE_NONCE_LEN;
	sa = calloc(1, sizeof(*sa));
	if (!sa) {
		sa_p2_free(e, ch);
		return -12;
	}
	sa->doi = ISAKMP_DOI_IPSEC;
	sa->situation = ISAKMP_SIT_IDENTITY_ONLY;
	for (i = 0; i < c->n_esp && sa->nprop < ISAKMP_MAX_PROPS; i++) {
		if (c->esp[i].group != ch->prop.group)
			continue;
		fill_prop(&sa->p[sa->nprop], sa->nprop + 1, ch->spi_in,
			  &c->esp[i], c->lifetime, c->life_kbytes,
			  ch->encap_mode);
		sa->nprop++;
	}
	hoff = begin_qm(&g, buf, sizeof(buf), ch);
	isakmp_gen_sa(&g, sa);
	free(sa);
	isakmp_gen_raw(&g, ISAKMP_NP_NONCE, ch->ni, ch->ni_len);
	if (ch->dh)
		isakmp_gen_raw(&g, ISAKMP_NP_KE, dh_public(ch->dh),
			       dh_pub_len(ch->prop.group));
	gen_ids(&g, &ch->local_ts, &ch->remote_ts);
	if (p1->conn->n_pairs > 1)
		log_info("%s initiating Quick Mode for %s (%s === %s)",
			 msg_ck(p1), c->name,
			 ts_str(&ch->local_ts, l, sizeof(l)),
			 ts_str(&ch->remote_ts, r, sizeof(r)));
	else
		log_info("%s initiating Quick Mode for %s", msg_ck(p1),
			 c->name);
	if (finish_and_send(e, ch, &g, hoff, 1, "QM1", true)) {
		sa_p2_free(e, ch);
		return -1;
	}
	return 0;
}

/* HASH(n) of a received QM message; confirms the IV when it matches. */
static int verify_hash(struct ike_dispatch *d, int form, const char *name)
{
	struct p2sa *ch = d->p2;
	const struct isakmp_msg *m = d->m;
	struct p1sa *p1 = ch->p1;
	const struct isakmp_payload *hp = &m->pl[0];
	const uint8_t *rest = NULL;
	size_t rest_len = 0;
	uint8_t h[CRYPTO_MAX_HASH];

	if (m->n > 1) {
		rest = m->pl[1].body - ISAKMP_GEN_LEN;
		rest_len = (size_t)(m->pl[m->n - 1].body + m->pl[m->n - 1].len -
				    rest);
	}
	if (form == 1)
		keymat_qm_hash(&p1->km, 0, ch->msgid, NULL, 0, NULL, 0, rest,
			       rest_len, h);
	else if (form == 2)
		keymat_qm_hash(&p1->km, 0, ch->msgid, ch->ni, ch->ni_len, NULL,
			       0, rest, rest_len, h);
	else
		keymat_qm_hash(&p1->km, 1, ch->msgid, ch->ni, ch->ni_len,
			       ch->nr, ch->nr_len, NULL, 0, h);
	if (hp->len != p1->km.prf_len || !crypto_memeq(hp->body, h, hp->len)) {
		log_err_rl("%s %s: HASH(%d) mismatch, message dropped",
			   msg_ck(p1), name, form);
		return -ISAKMP_N_INVALID_HASH_INFORMATION;
	}
	iv_confirm(&p1->iv, ch->msgid);
	d->authentic = true;
	natt_follow(d->e, p1, d->from, d->to);
	return 0;
}

static void qm_established(struct ike_engine *e, struct p2sa *ch)
{
	struct p1sa *p1 = ch->p1;
	char b[64], l[IKE_TS_STRLEN], r[IKE_TS_STRLEN];

	ch->established_ms = env_now(e);
	rexmit_stop(&ch->rx);
	log_info("%s %s: IPsec SA established for %s: in %08x out %08x, %s, "
		 "%s === %s, lifetime %us", msg_ck(p1),
		 ch->initiator ? "QM2" : "QM3", ch->conn->c.name, ch->spi_in,
		 ch->spi_out, esp_proposal_str(&ch->prop, b, sizeof(b)),
		 ts_str(&ch->local_ts, l, sizeof(l)),
		 ts_str(&ch->remote_ts, r, sizeof(r)), ch->life_secs);
	/* The pair it replaces, or a duplicate from both ends (rekey.c). */
	rekey_established(e, ch);
}

/* An address range ID for a log line: "10.2.0.1-10.2.0.100". */
static const char *range_str(const struct isakmp_id *id, char *buf,
			     size_t len)
{
	int af = id->type == IKE_ID_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	size_t n = af == AF_INET6 ? 16 : 4;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	inet_ntop(af, id->data, a, sizeof(a));
	inet_ntop(af, id->data + n, b, sizeof(b));
	snprintf(buf, len, "%s-%s", a, b);
	return buf;
}

/*
 * Both IDs of a QM1 or QM2 (what names it in log lines) as selectors;
 * false when either maps to none.
 */
static bool qm_peer_selectors(const struct p1sa *p1,
			      const struct isakmp_msg *m, const char *what,
			      struct ike_ts *tci, struct ike_ts *tcr)
{
	const struct isakmp_payload *id1 = NULL, *id2 = NULL;
	struct isakmp_id ci, cr;
	const struct isakmp_id *bad;
	char r[100];
	int i, a, b;

	for (i = 0; i < m->n; i++)
		if (m->pl[i].type == ISAKMP_NP_ID) {
			if (!id1)
				id1 = &m->pl[i];
			else
				id2 = &m->pl[i];
		}
	if (isakmp_parse_id(id1->body, id1->len, &ci) ||
	    isakmp_parse_id(id2->body, id2->len, &cr))
		return false;
	a = ts_from_id(&ci, tci);
	b = ts_from_id(&cr, tcr);
	bad = a ? &ci : b ? &cr : NULL;
	if (bad && (bad->type == IKE_ID_IPV4_ADDR_RANGE ||
		    bad->type == IKE_ID_IPV6_ADDR_RANGE) &&
	    bad->len == (bad->type == IKE_ID_IPV4_ADDR_RANGE ? 8u : 32u))
		log_err("%s %s: %s is the address range %s, which ends below "
			"its start", msg_ck(p1), what, a ? "IDci" : "IDcr",
			range_str(bad, r, sizeof(r)));
	else if (bad)
		log_err("%s %s: %s (ID type %u, %zu bytes) is not an "
			"address, a subnet with a contiguous mask or a range",
			msg_ck(p1), what, a ? "IDci" : "IDcr", bad->type,
			bad->len);
	return !a && !b;
}

/*
 * Main Mode with PSK picked the conn by address; another conn with this
 * peer and the same key may own these selectors.
 */
static struct conn_ent *qm_conn_for(struct ike_engine *e,
				    const struct p1sa *p1,
				    const struct ike_ts *tci,
				    const struct ike_ts *tcr, bool within)
{
	const struct ike_conn *c = &p1->conn->c;
	struct conn_ent *alt;

	for (alt = e->conns; alt; alt = alt->next)
		if (conn_addr_equal(&alt->c.remote, &p1->remote, false) &&
		    alt->c.psk_len == c->psk_len &&
		    !memcmp(alt->c.psk, c->psk, c->psk_len) &&
		    (within ? conn_pair_within(alt, tcr, tci) :
			      conn_pair_of(alt, tcr, tci)) >= 0)
			return alt;
	return NULL;
}

/*
 * A refused QM1, told with the initiator's SPI of its first proposal:
 * with several Quick Modes of a conn under way, the initiator ends the
 * one refused, not all of them.
 */
static void qm_refuse(struct ike_dispatch *d, uint16_t type)
{
	const struct isakmp_payload *sap = isakmp_find(d->m, ISAKMP_NP_SA);
	struct isakmp_sa *sa = sap ? malloc(sizeof(*sa)) : NULL;
	uint8_t spi[4], n = 0;

	if (sa && !isakmp_parse_sa(sap->body, sap->len, sa) && sa->nprop &&
	    sa->p[0].spi_size == 4) {
		memcpy(spi, sa->p[0].spi, 4);
		n = 4;
	}
	free(sa);
	notify_send(d->e, d->p1, ISAKMP_PROTO_ESP, n ? spi : NULL, n, type,
		    NULL, 0);
}

/* A selector list for a log line: "10.1.0.0/16, 2001:db8::/48". */
static const char *ts_list_str(const struct ike_ts *ts, int n, char *buf,
			       size_t len)
{
	char t[IKE_TS_STRLEN];
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
				ts_str(&ts[i], t, sizeof(t)));
	return buf;
}

/*
 * QM1 stage 1, traffic selectors: IDci is the peer's side, IDcr ours.
 * They must be the conn's, or another conn's that then takes the child.
 */
static int qm_match_selectors(struct ike_dispatch *d)
{
	struct p2sa *ch = d->p2;
	struct p1sa *p1 = d->p1;
	struct conn_ent *ce = ch->conn, *alt;
	const struct ike_conn *c = &ce->c;
	struct ike_ts tci, tcr;
	char x[2 * IKE_TS_STRLEN + 8], y[2 * IKE_TS_STRLEN + 8];
	char ours[IKE_DIAG_TEXT], theirs[IKE_DIAG_TEXT];
	bool parsed, within = false, narrowed = false;
	int pair = -1;

	/* Without IDs (RFC 2409 5.5) the peers' addresses: the first pair. */
	ch->local_ts = ce->pairs[0].local;
	ch->remote_ts = ce->pairs[0].remote;
	if (isakmp_count(d->m, ISAKMP_NP_ID) != 2)
		return 0;
	parsed = qm_peer_selectors(p1, d->m, "QM1", &tci, &tcr);
	/*
	 * A pair of the conn, or of another conn with this peer; else, in
	 * the same order, selectors inside a pair (a peer whose policy is
	 * narrower than ours), taken as the peer gave them.
	 */
	for (within = false; parsed && pair < 0; within = true) {
		pair = within ? conn_pair_within(ce, &tcr, &tci) :
				conn_pair_of(ce, &tcr, &tci);
		if (pair < 0) {
			alt = qm_conn_for(d->e, p1, &tci, &tcr, within);
			if (alt) {
				log_info("%s QM1: selectors belong to %s",
					 msg_ck(p1), alt->c.name);
				ce = alt;
				ch->conn = alt;
				c = &alt->c;
				pair = within ?
				       conn_pair_within(ce, &tcr, &tci) :
				       conn_pair_of(ce, &tcr, &tci);
			}
		}
		if (within)
			break;
	}
	/*
	 * Last, a peer whose selectors hold a pair of ours (its policy is
	 * wider): answered with the pair, which the peer may take as
	 * narrower than its offer.
	 */
	if (parsed && pair < 0) {
		pair = conn_pair_inside(ce, &tcr, &tci);
		narrowed = pair >= 0;
	}
	if (pair >= 0 && narrowed) {
		ch->local_ts = ce->pairs[pair].local;
		ch->remote_ts = ce->pairs[pair].remote;
		diag_ts_pair(&tcr, &tci, x, sizeof(x));
		diag_ts_pair(&ch->local_ts, &ch->remote_ts, y, sizeof(y));
		log_info("%s QM1: the peer's selectors %s hold %s's pair %s: "
			 "answered with the pair", msg_ck(p1), x, c->name, y);
	} else if (pair >= 0 && within) {
		ch->local_ts = tcr;
		ch->remote_ts = tci;
		diag_ts_pair(&tcr, &tci, x, sizeof(x));
		diag_ts_pair(&ce->pairs[pair].local, &ce->pairs[pair].remote,
			     y, sizeof(y));
		log_info("%s QM1: the peer's selectors %s lie inside %s's "
			 "pair %s: taken as they are", msg_ck(p1), x, c->name,
			 y);
	} else if (pair >= 0) {
		ch->local_ts = ce->pairs[pair].local;
		ch->remote_ts = ce->pairs[pair].remote;
	} else {
		log_err("%s QM1: traffic selectors do not match %s (local-ts "
			"%s, remote-ts %s) — sending INVALID-ID-INFORMATION",
			msg_ck(p1), c->name,
			ts_list_str(c->local_ts, c->n_local_ts, x, sizeof(x)),
			ts_list_str(c->remote_ts, c->n_remote_ts, y,
				    sizeof(y)));
		qm_refuse(d, ISAKMP_N_INVALID_ID_INFORMATION);
		diag_fail_notify(d->e, ch->conn, "QM1",
				 ISAKMP_N_INVALID_ID_INFORMATION, false);
		diag_ts_pair(&ce->pairs[0].local, &ce->pairs[0].remote, ours,
			     sizeof(ours));
		/* The peer's view: its local side is IDci. */
		if (parsed)
			diag_ts_pair(&tci, &tcr, theirs, sizeof(theirs));
		diag_mismatch(ch->conn, ours, parsed ? theirs : NULL);
		return -ISAKMP_N_INVALID_ID_INFORMATION;
	}
	return 0;
}

/* The responder's pick from a QM1 offer. */
struct qm_choice {
	struct esp_offer o;
	const struct isakmp_prop *prop;
	const struct isakmp_transform *t;
};

/* QM1 stage 2: the first offered ESP transform we accept. */
static int qm_choose(struct ike_dispatch *d, const struct isakmp_sa *offer,
		     struct qm_choice *best)
{
	const struct ike_conn *c = &d->p2->conn->c;
	const struct isakmp_payload *kep = isakmp_find(d->m, ISAKMP_NP_KE);
	struct esp_offer o;
	char b[64], ours[IKE_DIAG_TEXT], theirs[IKE_DIAG_TEXT] = "";
	size_t tn = 0;
	int i, j;

	for (i = 0; i < offer->nprop; i++) {
		const struct isakmp_prop *pr = &offer->p[i];

		for (j = 0; j < pr->ntrans; j++) {
			const char *why = decode_esp(pr, &pr->t[j], &o);

			if (!why)
				why = esp_proposal_refusal(&o.p, c->allow_weak);
			if (!why && !conn_has_esp(c, &o.p))
				why = "not configured in esp =";
			if (!why && o.p.group && !kep)
				why = "PFS group but no KE payload";
			if (!why && natt_mode_is_udp(o.encap) &&
			    !d->p1->natt.version)
				why = "UDP encapsulation without NAT-T";
			if (why && tn < sizeof(theirs))
				tn += snprintf(theirs + tn, sizeof(theirs) - tn,
					       "%s%s", tn ? "," : "",
					       esp_proposal_str(&o.p, b,
								sizeof(b)));
			if (why) {
				log_info("%s QM1: proposal %d (%s) not chosen: "
					 "%s", msg_ck(d->p1), i + 1,
					 esp_proposal_str(&o.p, b, sizeof(b)),
					 why);
				continue;
			}
			best->o = o;
			best->prop = pr;
			best->t = &pr->t[j];
			return 0;
		}
	}
	log_err("%s QM1: no acceptable ESP proposal for %s — sending "
		"NO-PROPOSAL-CHOSEN", msg_ck(d->p1), c->name);
	qm_refuse(d, ISAKMP_N_NO_PROPOSAL_CHOSEN);
	diag_fail_notify(d->e, d->p2->conn, "QM1",
			 ISAKMP_N_NO_PROPOSAL_CHOSEN, false);
	diag_esp_list(c, ours, sizeof(ours));
	diag_mismatch(d->p2->conn, ours, theirs);
	return -ISAKMP_N_NO_PROPOSAL_CHOSEN;
}

/*
 * QM1 stage 3, keys: the chosen proposal and lifetimes (ours when
 * shorter), the peer's nonce and KE, our SPI and nonce; then the inbound
 * SA goes into the kernel before QM2 lets the peer use it.
 */
static int qm_take_offer(struct ike_dispatch *d, const struct qm_choice *best)
{
	struct p2sa *ch = d->p2;
	struct p1sa *p1 = d->p1;
	const struct ike_conn *c = &ch->conn->c;
	const struct isakmp_payload *np = isakmp_find(d->m, ISAKMP_NP_NONCE);
	const struct isakmp_payload *kep = isakmp_find(d->m, ISAKMP_NP_KE);

	ch->prop = best->o.p;
	ch->encap_mode = best->o.encap;
	ch->encap = natt_mode_is_udp(best->o.encap);
	ch->spi_out = isakmp_get32(best->prop->spi);
	ch->life_secs = best->o.secs && best->o.secs < c->lifetime ?
			best->o.secs : c->lifetime;
	ch->life_kbytes = best->o.kbytes && (!c->life_kbytes ||
					     best->o.kbytes < c->life_kbytes) ?
			  best->o.kbytes : c->life_kbytes;
	memcpy(ch->ni, np->body, np->len);
	ch->ni_len = np->len;
	if (ch->prop.group) {
		if (kep->len != dh_pub_len(ch->prop.group)) {
			log_err("%s QM1: KE length %zu wrong for %s",
				msg_ck(p1), kep->len,
				ike_group_name(ch->prop.group));
			return -ISAKMP_N_INVALID_KEY_INFORMATION;
		}
		memcpy(ch->ke_peer, kep->body, kep->len);
		ch->ke_peer_len = kep->len;
		ch->dh = dh_new(ch->prop.group, env_rng, d->e);
		if (!ch->dh)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
	}
	if (!d->e->env.get_spi ||
	    d->e->env.get_spi(d->e->env.ctx, c, &ch->spi_in)) {
		log_err("%s QM1: no inbound SPI from the kernel", msg_ck(p1));
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	}
	env_random(d->e, ch->nr, IKE_NONCE_LEN);
	ch->nr_len = IKE_NONCE_LEN;
	if (child_install(d->e, ch, IKE_DIR_IN))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	return 0;
}

/*
 * RESPONDER-LIFETIME (RFC 2407 4.6.3.1) when we keep the SA shorter than
 * offered: its data is SA attributes, as in a transform.
 */
static void gen_responder_lifetime(struct isakmp_gen *g,
				   const struct p2sa *ch,
				   const struct esp_offer *o)
{
	uint8_t attrs[24], spi[4];
	struct isakmp_gen ag = { .buf = attrs, .cap = sizeof(attrs) };

	if (ch->life_secs >= o->secs &&
	    (!o->kbytes || ch->life_kbytes >= o->kbytes))
		return;
	isakmp_gen_attr(&ag, IPSEC_A_LIFE_TYPE, IKE_LIFE_SECONDS, true);
	isakmp_gen_attr(&ag, IPSEC_A_LIFE_DUR, ch->life_secs, false);
	if (ch->life_kbytes) {
		isakmp_gen_attr(&ag, IPSEC_A_LIFE_TYPE, IKE_LIFE_KBYTES, true);
		isakmp_gen_attr(&ag, IPSEC_A_LIFE_DUR,
				(uint32_t)ch->life_kbytes, false);
	}
	if (ag.err) {
		g->err = true;
		return;
	}
	isakmp_put32(spi, ch->spi_in);
	isakmp_gen_notify(g, ISAKMP_PROTO_ESP, spi, 4,
			  ISAKMP_N_RESPONDER_LIFETIME, attrs, ag.len);
}

/* QM1 stage 4: QM2 with the chosen transform, our SPI, nonce (and KE). */
static int qm_send_qm2(struct ike_dispatch *d, const struct qm_choice *best)
{
	struct p2sa *ch = d->p2;
	struct isakmp_sa *reply = calloc(1, sizeof(*reply));
	struct isakmp_gen g;
	uint8_t buf[MSG_BUF];
	size_t hoff;

	if (!reply)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	reply->doi = ISAKMP_DOI_IPSEC;
	reply->situation = ISAKMP_SIT_IDENTITY_ONLY;
	reply->nprop = 1;
	reply->p[0] = *best->prop;
	reply->p[0].ntrans = 1;
	reply->p[0].t[0] = *best->t;
	isakmp_put32(reply->p[0].spi, ch->spi_in);
	hoff = begin_qm(&g, buf, sizeof(buf), ch);
	isakmp_gen_sa(&g, reply);
	free(reply);
	isakmp_gen_raw(&g, ISAKMP_NP_NONCE, ch->nr, ch->nr_len);
	if (ch->dh)
		isakmp_gen_raw(&g, ISAKMP_NP_KE, dh_public(ch->dh),
			       dh_pub_len(ch->prop.group));
	if (isakmp_count(d->m, ISAKMP_NP_ID) == 2)
		gen_ids(&g, &ch->remote_ts, &ch->local_ts);
	gen_responder_lifetime(&g, ch, &best->o);
	return finish_and_send(d->e, ch, &g, hoff, 2, "QM2", true) ?
	       -ISAKMP_N_PAYLOAD_MALFORMED : 0;
}

int qm_inI1_outR1(struct ike_dispatch *d)
{
	const struct isakmp_payload *sap = isakmp_find(d->m, ISAKMP_NP_SA);
	struct p1sa *p1 = d->p1;
	struct isakmp_sa *offer;
	struct qm_choice best;
	int rc;

	rc = verify_hash(d, 1, "QM1");
	if (rc)
		return rc;
	/* Authentic: from now on a copy of it is a replay. */
	if (msgid_add(&p1->msgids, d->p2->msgid))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	log_info("%s QM1 received (M-ID %08x) for %s", msg_ck(p1),
		 d->p2->msgid, d->p2->conn->c.name);
	rc = qm_match_selectors(d);
	if (rc)
		return rc;
	rekey_qm_started(d->e, d->p2);
	offer = malloc(sizeof(*offer));
	if (!offer)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	rc = isakmp_parse_sa(sap->body, sap->len, offer);
	if (rc) {
		/* HASH(1) verified: the peer deserves to hear why. */
		log_warn("%s QM1: SA payload refused: %s", msg_ck(p1),
			 isakmp_notify_name((uint16_t)-rc));
		notify_send(d->e, p1, ISAKMP_PROTO_ESP, NULL, 0,
			    (uint16_t)-rc, NULL, 0);
	}
	if (!rc)
		rc = qm_choose(d, offer, &best);
	if (!rc)
		rc = qm_take_offer(d, &best);
	if (!rc)
		rc = qm_send_qm2(d, &best);
	free(offer);
	return rc;
}

/* RESPONDER-LIFETIME: the responder wants shorter lifetimes. */
static void take_responder_lifetime(struct p2sa *ch, const struct isakmp_msg *m)
{
	struct isakmp_notify_pl n;
	struct isakmp_transform t;
	uint64_t type = 0;
	int i, k;

	for (i = 0; i < m->n; i++) {
		if (m->pl[i].type != ISAKMP_NP_N ||
		    isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n) ||
		    n.type != ISAKMP_N_RESPONDER_LIFETIME)
			continue;
		/* The data is a list of SA attributes (TV or short TLV). */
		t.nattr = 0;
		{
			size_t off = 0;

			while (off + 4 <= n.data_len && t.nattr < ISAKMP_MAX_ATTRS) {
				const uint8_t *p = n.data + off;
				struct isakmp_attr *a = &t.attr[t.nattr++];
				uint16_t ty = (uint16_t)(p[0] << 8 | p[1]);

				memset(a, 0, sizeof(*a));
				a->type = ty & 0x7fff;
				if (ty & 0x8000) {
					a->val = (uint16_t)(p[2] << 8 | p[3]);
					off += 4;
				} else {
					size_t l = (size_t)(p[2] << 8 | p[3]), q;

					if (l > n.data_len - off - 4 || l > 8)
						break;
					for (q = 0; q < l; q++)
						a->val = a->val << 8 | p[4 + q];
					off += 4 + l;
				}
			}
		}
		for (k = 0; k < t.nattr; k++) {
			if (t.attr[k].type == IPSEC_A_LIFE_TYPE)
				type = t.attr[k].val;
			else if (t.attr[k].type == IPSEC_A_LIFE_DUR &&
				 type == IKE_LIFE_SECONDS && t.attr[k].val &&
				 t.attr[k].val < ch->life_secs)
				ch->life_secs = (uint32_t)t.attr[k].val;
			else if (t.attr[k].type == IPSEC_A_LIFE_DUR &&
				 type == IKE_LIFE_KBYTES && t.attr[k].val &&
				 (!ch->life_kbytes ||
				  t.attr[k].val < ch->life_kbytes))
				ch->life_kbytes = t.attr[k].val;
		}
		log_info("%s QM2: RESPONDER-LIFETIME: now %us / %llu KB",
			 msg_ck(ch->p1), ch->life_secs,
			 (unsigned long long)ch->life_kbytes);
	}
}

/*
 * QM2's IDs: the ones we offered, or narrower ones inside them (the
 * responder's policy covers part of ours), which the SA pair then
 * carries. Anything else is refused; a QM2 without IDs keeps ours.
 */
static int qm_take_responder_ids(struct ike_dispatch *d)
{
	struct p2sa *ch = d->p2;
	struct p1sa *p1 = d->p1;
	struct ike_ts tci, tcr;
	char x[2 * IKE_TS_STRLEN + 8], y[2 * IKE_TS_STRLEN + 8];

	if (isakmp_count(d->m, ISAKMP_NP_ID) != 2)
		return 0;
	diag_ts_pair(&ch->local_ts, &ch->remote_ts, y, sizeof(y));
	if (!qm_peer_selectors(p1, d->m, "QM2", &tci, &tcr)) {
		log_err("%s QM2: the responder's IDs are no selectors; we "
			"offered %s", msg_ck(p1), y);
		return -ISAKMP_N_INVALID_ID_INFORMATION;
	}
	/* IDci is still the initiator's side: ours. */
	if (ts_equal(&tci, &ch->local_ts) && ts_equal(&tcr, &ch->remote_ts))
		return 0;
	diag_ts_pair(&tci, &tcr, x, sizeof(x));
	if (!ts_contains(&ch->local_ts, &tci) ||
	    !ts_contains(&ch->remote_ts, &tcr)) {
		log_err("%s QM2: the responder's selectors %s are not inside "
			"the %s we offered", msg_ck(p1), x, y);
		return -ISAKMP_N_INVALID_ID_INFORMATION;
	}
	log_info("%s QM2: the responder's selectors %s lie inside the %s we "
		 "offered: taken as they are", msg_ck(p1), x, y);
	ch->local_ts = tci;
	ch->remote_ts = tcr;
	return 0;
}

/*
 * A QM2 whose HASH(2) verified but which we refuse (rc, a negated
 * notify): the responder hears why, naming our SPI, and drops the inbound
 * SA it installed for QM2 instead of resending QM2 until it gives up.
 */
static int qm2_refused(struct ike_dispatch *d, int rc)
{
	uint8_t spi[4];

	isakmp_put32(spi, d->p2->spi_in);
	notify_send(d->e, d->p1, ISAKMP_PROTO_ESP, spi, 4, (uint16_t)-rc,
		    NULL, 0);
	return rc;
}

int qm_inR1_outI2(struct ike_dispatch *d)
{
	struct p2sa *ch = d->p2, *sender;
	struct p1sa *p1 = d->p1;
	const struct ike_conn *c = &p1->conn->c;
	const struct isakmp_payload *sap, *np, *kep;
	struct isakmp_sa *reply;
	struct esp_offer o;
	struct isakmp_gen g;
	uint8_t buf[MSG_BUF];
	const char *why;
	size_t hoff;
	int rc;

	np = isakmp_find(d->m, ISAKMP_NP_NONCE);
	/* HASH(2) covers Ni_b, which we have; Nr is inside "rest". */
	rc = verify_hash(d, 2, "QM2");
	if (rc)
		return rc;
	sap = isakmp_find(d->m, ISAKMP_NP_SA);
	kep = isakmp_find(d->m, ISAKMP_NP_KE);
	reply = malloc(sizeof(*reply));
	if (!reply)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	rc = isakmp_parse_sa(sap->body, sap->len, reply);
	if (!rc && (reply->nprop != 1 || reply->p[0].ntrans != 1))
		rc = -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
	if (rc) {
		free(reply);
		log_err("%s QM2: bad SA payload: %s", msg_ck(p1),
			isakmp_notify_name((uint16_t)-rc));
		return qm2_refused(d, rc);
	}
	why = decode_esp(&reply->p[0], &reply->p[0].t[0], &o);
	if (!why && (!conn_has_esp(c, &o.p) || o.p.group != ch->prop.group))
		why = "not one we offered";
	if (!why && o.encap != ch->encap_mode)
		why = "encapsulation mode differs from our offer";
	if (!why && o.p.group && !kep)
		why = "PFS but no KE payload";
	if (why) {
		free(reply);
		log_err("%s QM2: responder's choice refused: %s", msg_ck(p1),
			why);
		return qm2_refused(d, -ISAKMP_N_NO_PROPOSAL_CHOSEN);
	}
	rc = qm_take_responder_ids(d);
	if (rc) {
		free(reply);
		return qm2_refused(d, rc);
	}
	ch->prop = o.p;
	ch->spi_out = isakmp_get32(reply->p[0].spi);
	free(reply);
	/* The responder may answer with its own, shorter lifetimes. */
	if (o.secs && o.secs < ch->life_secs)
		ch->life_secs = o.secs;
	if (o.kbytes && (!ch->life_kbytes || o.kbytes < ch->life_kbytes))
		ch->life_kbytes = o.kbytes;
	take_responder_lifetime(ch, d->m);
	memcpy(ch->nr, np->body, np->len);
	ch->nr_len = np->len;
	if (ch->dh) {
		if (kep->len != dh_pub_len(ch->prop.group))
			return qm2_refused(d, -ISAKMP_N_INVALID_KEY_INFORMATION);
		memcpy(ch->ke_peer, kep->body, kep->len);
		ch->ke_peer_len = kep->len;
	}
	if (child_install(d->e, ch, IKE_DIR_IN))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	hoff = begin_qm(&g, buf, sizeof(buf), ch);
	if (finish_and_send(d->e, ch, &g, hoff, 3, "QM3", false))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	/*
	 * Outbound only now: the responder may install its inbound SA
	 * when QM3 arrives. With an old pair still sending, the switch
	 * waits a moment longer (rekey.c).
	 */
	sender = rekey_out_deferred(d->e, ch);
	if (sender)
		log_info("%s outbound stays on %08x for %u ms, then moves to "
			 "%08x", msg_ck(p1), sender->spi_out, REKEY_SWITCH_MS,
			 ch->spi_out);
	else if (child_install(d->e, ch, IKE_DIR_OUT))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	/* Both directions' KEYMAT is derived: the PFS secret goes. */
	dh_free(ch->dh);
	ch->dh = NULL;
	ch->state = QM_ACTIVE;
	qm_established(d->e, ch);
	return 0;
}

int qm_inI2(struct ike_dispatch *d)
{
	struct p2sa *ch = d->p2;
	int rc = verify_hash(d, 3, "QM3");

	if (rc)
		return rc;
	if (child_install(d->e, ch, IKE_DIR_OUT))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	dh_free(ch->dh);
	ch->dh = NULL;
	ch->state = QM_ACTIVE;
	qm_established(d->e, ch);
	return 0;
}
