// SPDX-License-Identifier: GPL-2.0
/*
 * Phase 1 crypto, what Main Mode (and an Aggressive Mode) share: the SA
 * payload and its selection, DH and nonces, SKEYID and the IV, and the
 * identities HASH_I/HASH_R cover.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/proposal.h"
#include "ike/ikev1.h"
#include "log.h"

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
		TV(IKE_A_AUTH, IKE_AUTH_M_PSK);
		TV(IKE_A_GROUP, ip->group);
		TV(IKE_A_LIFE_TYPE, IKE_LIFE_SECONDS);
#undef TV
		/* Variable-length attribute: always 4-byte TLV. */
		t->attr[n++] = (struct isakmp_attr){ .type = IKE_A_LIFE_DUR,
			.val = c->ike_lifetime, .val_ok = true };
		t->nattr = n;
	}
}

/* A phase 1 transform → proposal; NULL or a reason it is unusable. */
static const char *decode_transform(const struct isakmp_transform *t,
				    struct ike_proposal *ip, uint32_t *life)
{
	bool auth_psk = false;
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
			if (a->val != IKE_AUTH_M_PSK)
				return "authentication method is not PSK";
			auth_psk = true;
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
	if (!auth_psk)
		return "no PSK authentication attribute";
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
			const char *why = decode_transform(&p->t[j], &ip, &life);

			if (!why)
				why = ike_proposal_refusal(&ip, c->allow_weak);
			if (!why && !conn_has(c, &ip))
				why = "not configured in ike =";
			if (why) {
				log_info("%s MM1: transform %d (%s) not chosen: %s",
					 msg_ck(sa), j + 1,
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
		log_err("%s MM2: responder must return exactly one transform",
			msg_ck(sa));
		return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
	}
	why = decode_transform(&reply->p[0].t[0], &ip, &life);
	if (!why && !conn_has(&sa->conn->c, &ip))
		why = "not one we offered";
	if (why) {
		log_err("%s MM2: responder's choice refused: %s", msg_ck(sa),
			why);
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
	rc = keymat_phase1_psk(&sa->km, sa->prop.hash, sa->prop.enc,
			       sa->prop.keylen, sa->conn->c.psk,
			       sa->conn->c.psk_len, sa->ni, sa->ni_len,
			       sa->nr, sa->nr_len, gxy, sl,
			       sa->icookie, sa->rcookie);
	crypto_wipe(gxy, sizeof(gxy));
	dh_free(sa->dh);
	sa->dh = NULL;
	if (rc || iv_init(&sa->iv, &sa->km, sa->ke_i, sa->ke_len, sa->ke_r,
			  sa->ke_len))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	sa->keys = true;
	return 0;
}

/* ID from config, or our address (RFC 2409: ID_IPV4_ADDR by default). */
static void id_or_addr(const struct ike_id *id,
		       const struct sockaddr_storage *ss,
		       uint8_t *type, const uint8_t **data, size_t *len)
{
	if (id->type != IKE_ID_NONE) {
		*type = id->type;
		*data = id->data;
		*len = id->len;
	} else if (ss->ss_family == AF_INET6) {
		*type = IKE_ID_IPV6_ADDR;
		*data = (const uint8_t *)
			&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		*len = 16;
	} else {
		*type = IKE_ID_IPV4_ADDR;
		*data = (const uint8_t *)
			&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		*len = 4;
	}
}

void p1_own_id(const struct p1sa *sa, uint8_t *body, size_t *len)
{
	const uint8_t *d;
	uint8_t type;
	size_t l;

	id_or_addr(&sa->conn->c.local_id, &sa->local, &type, &d, &l);
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

	id_or_addr(&sa->conn->c.remote_id, &sa->remote, &type, &d, &l);
	/* RFC 2407 4.6.2: phase 1 protocol/port are 0/0 or UDP/500. */
	if (!((id->proto == 0 && id->port == 0) ||
	      (id->proto == IPPROTO_UDP &&
	       (id->port == 0 || id->port == 500 || id->port == 4500))))
		return false;
	return id->type == type && id->len == l && !memcmp(id->data, d, l);
}
