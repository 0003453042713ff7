// SPDX-License-Identifier: GPL-2.0
/*
 * Phase 1 authentication with signatures: RSA (RFC 2409 5.1, auth method
 * 3) and ECDSA (RFC 4754, methods 9, 10 and 11 for P-256, P-384 and
 * P-521): CERTREQ for our trust anchors, our ID, CERT and SIG, and the
 * peer's certificate chained to ca =, its key of the method's type, its
 * SIG over HASH_I/HASH_R, and its identity matched against its ID
 * payload and the conn's remote-id. The credentials themselves are
 * crypto/x509.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

#define MAX_PEER_CERTS	4

int cert_conn_load(struct conn_ent *c)
{
	char err[512];

	enum x509_key k;

	if (!ike_auth_sig(c->c.auth))
		return 0;
	c->creds = x509_creds_load(c->c.cert, c->c.key, c->c.ca, err,
				   sizeof(err));
	if (!c->creds) {
		log_err("conn %s: %s", c->c.name, err);
		return -22;	/* EINVAL */
	}
	/* The method was the key's when the config was read: still so? */
	k = x509_own_key(c->creds);
	if (ike_auth_of_key(k) != c->c.auth) {
		log_err("conn %s: key %s is an %s key, not one for %s",
			c->c.name, c->c.key, x509_key_name(k),
			ike_auth_name(c->c.auth));
		cert_conn_free(c);
		return -22;
	}
	return 0;
}

void cert_conn_free(struct conn_ent *c)
{
	x509_creds_free(c->creds);
	c->creds = NULL;
}

/* Without local-id, a certificate conn names itself by its subject DN. */
bool cert_own_id(const struct p1sa *sa, uint8_t *type, const uint8_t **data,
		 size_t *len)
{
	const struct conn_ent *c = sa->conn;

	if (!c->creds || c->c.local_id.type != IKE_ID_NONE)
		return false;
	*type = IKE_ID_DER_ASN1_DN;
	*data = x509_own_dn(c->creds, len);
	return true;
}

/* One CR per trust anchor: its DN tells the peer which chain to send. */
void cert_gen_cr(const struct p1sa *sa, struct isakmp_gen *g)
{
	uint8_t body[1 + X509_DN_MAX];
	const uint8_t *dn;
	size_t len;
	int i;

	if (!sa->conn->creds)
		return;
	for (i = 0; i < x509_n_ca(sa->conn->creds); i++) {
		dn = x509_ca_dn(sa->conn->creds, i, &len);
		body[0] = ISAKMP_CERT_X509_SIG;
		memcpy(body + 1, dn, len);
		isakmp_gen_raw(g, ISAKMP_NP_CR, body, 1 + len);
	}
}

/* CERT and SIG after our ID in MM5/MM6. 0 or -1. */
int cert_gen_auth(const struct p1sa *sa, struct isakmp_gen *g)
{
	uint8_t id[4 + IKE_ID_MAX], hash[CRYPTO_MAX_HASH], sig[X509_SIG_MAX];
	const uint8_t *der;
	size_t id_len, sig_len, der_len;
	uint8_t *body;

	p1_own_id(sa, id, &id_len);
	if (p1_auth_hash(sa, true, id, id_len, hash) ||
	    x509_sign_raw(sa->conn->creds, hash, p1_auth_hash_len(sa), sig,
			  &sig_len)) {
		log_err("%s signing our %s failed", msg_ck(sa),
			sa->initiator ? "HASH_I" : "HASH_R");
		return -1;
	}
	der = x509_own_cert(sa->conn->creds, &der_len);
	body = malloc(1 + der_len);
	if (!body)
		return -1;
	body[0] = ISAKMP_CERT_X509_SIG;
	memcpy(body + 1, der, der_len);
	isakmp_gen_raw(g, ISAKMP_NP_CERT, body, 1 + der_len);
	free(body);
	isakmp_gen_raw(g, ISAKMP_NP_SIG, sig, sig_len);
	return 0;
}

static int refuse(struct ike_dispatch *d, const char *name, const char *why)
{
	struct p1sa *sa = d->p1;

	log_err("%s authentication failed in %s: %s", msg_ck(sa), name, why);
	diag_fail(d->e, sa->conn, name, why);
	return -ISAKMP_N_AUTHENTICATION_FAILED;
}

/* The X.509 certificates of m, end entity first as RFC 2408 3.9 has it. */
static int peer_certs(const struct isakmp_msg *m, const uint8_t **der,
		      size_t *len)
{
	int i, n = 0;

	for (i = 0; i < m->n && n < MAX_PEER_CERTS; i++) {
		const struct isakmp_payload *p = &m->pl[i];

		if (p->type != ISAKMP_NP_CERT || p->len < 2 ||
		    p->body[0] != ISAKMP_CERT_X509_SIG)
			continue;
		der[n] = p->body + 1;
		len[n++] = p->len - 1;
	}
	return n;
}

static int id_mismatch(struct ike_dispatch *d, const char *name,
		       const char *what, const char *ours, const char *theirs)
{
	struct p1sa *sa = d->p1;

	log_err("%s %s: %s — sending INVALID-ID-INFORMATION", msg_ck(sa),
		name, what);
	diag_fail_notify(d->e, sa->conn, name,
			 ISAKMP_N_INVALID_ID_INFORMATION, false);
	diag_mismatch(sa->conn, ours, theirs);
	return -ISAKMP_N_INVALID_ID_INFORMATION;
}

/*
 * The peer's MM5/MM6: its certificate must chain to ca =, its SIG verify
 * over the HASH of its ID, and the certificate must carry both that ID
 * and the conn's remote-id (the peer's address when unset).
 */
int cert_check_auth(struct ike_dispatch *d, const uint8_t *id_b,
		    size_t id_len, const char *name)
{
	struct p1sa *sa = d->p1;
	const struct isakmp_payload *sigp = isakmp_find(d->m, ISAKMP_NP_SIG);
	const uint8_t *der[MAX_PEER_CERTS];
	size_t der_len[MAX_PEER_CERTS];
	uint8_t want[CRYPTO_MAX_HASH];
	char why[400], idb[300], subj[256], x[300], msg[1024];
	struct x509_peer *peer;
	struct isakmp_id id;
	const uint8_t *rd;
	uint8_t rtype;
	size_t rl;
	int n, rc;

	rc = isakmp_parse_id(id_b, id_len, &id);
	if (rc) {
		log_err("%s %s: malformed ID payload", msg_ck(sa), name);
		return rc;
	}
	if (!sigp)
		return refuse(d, name, "no SIG payload: the peer does not "
			      "authenticate with a signature (auth = psk?)");
	n = peer_certs(d->m, der, der_len);
	if (!n)
		return refuse(d, name, "the peer sent no X.509 certificate");
	peer = x509_peer_verify(sa->conn->creds, der, der_len, n, why,
				sizeof(why));
	if (!peer) {
		snprintf(msg, sizeof(msg), "peer %s", why);
		return refuse(d, name, msg);
	}
	x509_peer_subject(peer, subj, sizeof(subj));
	if (ike_auth_of_key(x509_peer_key(peer)) != sa->conn->c.auth) {
		snprintf(msg, sizeof(msg), "peer certificate \"%s\" has an %s "
			 "key, which cannot sign for the negotiated method %s",
			 subj, x509_key_name(x509_peer_key(peer)),
			 ike_auth_name(sa->conn->c.auth));
		x509_peer_free(peer);
		return refuse(d, name, msg);
	}
	if (p1_auth_hash(sa, false, id.body, id.body_len, want) ||
	    !x509_peer_verify_raw(peer, want, p1_auth_hash_len(sa),
				  sigp->body, sigp->len)) {
		x509_peer_free(peer);
		snprintf(msg, sizeof(msg), "SIG does not verify with the "
			 "certificate of \"%s\"", subj);
		return refuse(d, name, msg);
	}
	/* Authentic: only now may the IV move on. */
	iv_confirm(&sa->iv, 0);
	d->authentic = true;
	natt_follow(d->e, sa, d->from, d->to);
	p1_id_show(&id, idb, sizeof(idb));
	conn_id_or_addr(&sa->conn->c.remote_id, &sa->remote, &rtype, &rd, &rl);
	if (!x509_peer_has_id(peer, id.type, id.data, id.len)) {
		snprintf(msg, sizeof(msg), "peer ID %s is not in its "
			 "certificate \"%s\"", idb, subj);
		rc = id_mismatch(d, name, msg, subj, idb);
	} else if (!x509_peer_has_id(peer, rtype, rd, rl)) {
		struct isakmp_id r = { .type = rtype, .data = rd,
				       .len = rl };

		p1_id_show(&r, x, sizeof(x));
		snprintf(msg, sizeof(msg), "certificate \"%s\" does not match "
			 "remote-id %s of %s", subj, x, sa->conn->c.name);
		rc = id_mismatch(d, name, msg, x, subj);
	} else {
		log_info("%s %s: peer authenticated as %s by certificate "
			 "\"%s\", %s", msg_ck(sa), name, idb, subj,
			 ike_auth_name(sa->conn->c.auth));
	}
	x509_peer_free(peer);
	return rc;
}
