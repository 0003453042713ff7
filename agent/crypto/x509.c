// SPDX-License-Identifier: GPL-2.0
/*
 * X.509 credentials and checks for signature authentication. Every
 * parse, chain check, RSA and ECDSA operation is GnuTLS's; this file only
 * decides which of them IKEv1 needs and words the reasons.
 */
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/x509.h"
#include "secret_file.h"

#define MAX_CA	16

struct x509_creds {
	gnutls_x509_crt_t crt;
	gnutls_privkey_t key;
	enum x509_key type;
	gnutls_x509_trust_list_t trust;
	gnutls_datum_t der;
	uint8_t dn[X509_DN_MAX];
	size_t dn_len;
	int n_ca;
	uint8_t ca_dn[MAX_CA][X509_DN_MAX];
	size_t ca_dn_len[MAX_CA];
};

struct x509_peer {
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pub;
	enum x509_key type;
};

const char *x509_key_name(enum x509_key k)
{
	switch (k) {
	case X509_KEY_RSA:
		return "RSA";
	case X509_KEY_EC256:
		return "ECDSA P-256";
	case X509_KEY_EC384:
		return "ECDSA P-384";
	case X509_KEY_EC521:
		return "ECDSA P-521";
	default:
		return "unsupported (not RSA, nor ECDSA on P-256, P-384 or P-521)";
	}
}

static enum x509_key pubkey_type(gnutls_pubkey_t pub)
{
	gnutls_ecc_curve_t curve;
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	int pk = gnutls_pubkey_get_pk_algorithm(pub, NULL);

	if (pk == GNUTLS_PK_RSA)
		return X509_KEY_RSA;
	if (pk != GNUTLS_PK_ECDSA ||
	    gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, &y, 0))
		return X509_KEY_NONE;
	gnutls_free(x.data);
	gnutls_free(y.data);
	switch (curve) {
	case GNUTLS_ECC_CURVE_SECP256R1:
		return X509_KEY_EC256;
	case GNUTLS_ECC_CURVE_SECP384R1:
		return X509_KEY_EC384;
	case GNUTLS_ECC_CURVE_SECP521R1:
		return X509_KEY_EC521;
	default:
		return X509_KEY_NONE;
	}
}

/* Bytes of r and of s on the wire: the size of the curve's field. */
static unsigned int ec_half(enum x509_key k)
{
	return k == X509_KEY_EC256 ? 32 : k == X509_KEY_EC384 ? 48 :
	       k == X509_KEY_EC521 ? 66 : 0;
}

static int subject_der(gnutls_x509_crt_t crt, uint8_t *out, size_t *len)
{
	gnutls_datum_t d;

	if (gnutls_x509_crt_get_raw_dn(crt, &d) < 0)
		return -1;
	if (d.size > X509_DN_MAX) {
		gnutls_free(d.data);
		return -1;
	}
	memcpy(out, d.data, d.size);
	*len = d.size;
	gnutls_free(d.data);
	return 0;
}

static enum x509_key cert_type(struct x509_creds *cr)
{
	gnutls_pubkey_t pub;

	cr->type = X509_KEY_NONE;
	if (gnutls_pubkey_init(&pub))
		return X509_KEY_NONE;
	if (!gnutls_pubkey_import_x509(pub, cr->crt, 0))
		cr->type = pubkey_type(pub);
	gnutls_pubkey_deinit(pub);
	return cr->type;
}

static int load_cert(struct x509_creds *cr, const char *path, char *err,
		     size_t errlen)
{
	gnutls_datum_t pem;
	int r;

	r = gnutls_load_file(path, &pem);
	if (r < 0) {
		snprintf(err, errlen, "cert %s: cannot read it", path);
		return -1;
	}
	r = gnutls_x509_crt_init(&cr->crt);
	if (!r)
		r = gnutls_x509_crt_import(cr->crt, &pem, GNUTLS_X509_FMT_PEM);
	gnutls_free(pem.data);
	if (!r)
		r = gnutls_x509_crt_export2(cr->crt, GNUTLS_X509_FMT_DER,
					    &cr->der);
	if (r < 0) {
		snprintf(err, errlen, "cert %s: not a PEM certificate (%s)",
			 path, gnutls_strerror(r));
		return -1;
	}
	if (cert_type(cr) == X509_KEY_NONE) {
		snprintf(err, errlen, "cert %s: its key is %s", path,
			 x509_key_name(X509_KEY_NONE));
		return -1;
	}
	if (subject_der(cr->crt, cr->dn, &cr->dn_len)) {
		snprintf(err, errlen, "cert %s: subject DN missing or longer "
			 "than %d bytes", path, X509_DN_MAX);
		return -1;
	}
	return 0;
}

static int load_key(struct x509_creds *cr, const char *path, char *err,
		    size_t errlen)
{
	struct secret_file f;
	gnutls_datum_t pem;
	const char *why;
	int r;

	if (secret_file_read(path, true, &f, &why)) {
		snprintf(err, errlen, "key %s: %s", path, why);
		return -1;
	}
	if (f.st.st_mode & S_IROTH) {
		secret_file_free(&f);
		snprintf(err, errlen, "key %s is world-readable (chmod o-r it)",
			 path);
		return -1;
	}
	pem.data = (unsigned char *)f.text;
	pem.size = (unsigned int)f.len;
	r = gnutls_privkey_init(&cr->key);
	if (!r)
		r = gnutls_privkey_import_x509_raw(cr->key, &pem,
						   GNUTLS_X509_FMT_PEM, NULL,
						   0);
	secret_file_free(&f);
	if (r < 0) {
		snprintf(err, errlen, "key %s: not an unencrypted PEM private "
			 "key (%s)", path, gnutls_strerror(r));
		return -1;
	}
	r = gnutls_privkey_get_pk_algorithm(cr->key, NULL);
	if (r != GNUTLS_PK_RSA && r != GNUTLS_PK_ECDSA) {
		snprintf(err, errlen, "key %s: neither an RSA nor an ECDSA key",
			 path);
		return -1;
	}
	return 0;
}

/* The certificate's public key is the private key's. */
static bool key_matches(struct x509_creds *cr)
{
	gnutls_pubkey_t a = NULL, b = NULL;
	unsigned char ia[64], ib[64];
	size_t la = sizeof(ia), lb = sizeof(ib);
	bool ok = false;

	if (gnutls_pubkey_init(&a) || gnutls_pubkey_init(&b))
		goto out;
	if (gnutls_pubkey_import_x509(a, cr->crt, 0) ||
	    gnutls_pubkey_import_privkey(b, cr->key, 0, 0))
		goto out;
	if (gnutls_pubkey_get_key_id(a, GNUTLS_KEYID_USE_SHA256, ia, &la) ||
	    gnutls_pubkey_get_key_id(b, GNUTLS_KEYID_USE_SHA256, ib, &lb))
		goto out;
	ok = la == lb && !memcmp(ia, ib, la);
out:
	if (a)
		gnutls_pubkey_deinit(a);
	if (b)
		gnutls_pubkey_deinit(b);
	return ok;
}

static int load_ca(struct x509_creds *cr, const char *path, char *err,
		   size_t errlen)
{
	gnutls_x509_crt_t *list = NULL;
	unsigned int n = 0, i;
	gnutls_datum_t pem;
	int r;

	r = gnutls_load_file(path, &pem);
	if (r < 0) {
		snprintf(err, errlen, "ca %s: cannot read it", path);
		return -1;
	}
	r = gnutls_x509_crt_list_import2(&list, &n, &pem, GNUTLS_X509_FMT_PEM,
					 0);
	gnutls_free(pem.data);
	if (r < 0 || !n) {
		snprintf(err, errlen, "ca %s: no PEM certificate in it%s%s",
			 path, r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) :
			 "");
		return -1;
	}
	for (i = 0; i < n && cr->n_ca < MAX_CA; i++)
		if (!subject_der(list[i], cr->ca_dn[cr->n_ca],
				 &cr->ca_dn_len[cr->n_ca]))
			cr->n_ca++;
	r = gnutls_x509_trust_list_init(&cr->trust, 0);
	if (!r) {
		/* The trust list owns the certificates from here on. */
		r = gnutls_x509_trust_list_add_cas(cr->trust, list, n, 0);
		r = r < 0 ? r : 0;
	} else {
		for (i = 0; i < n; i++)
			gnutls_x509_crt_deinit(list[i]);
	}
	gnutls_free(list);
	if (r) {
		snprintf(err, errlen, "ca %s: %s", path, gnutls_strerror(r));
		return -1;
	}
	return 0;
}

struct x509_creds *x509_creds_load(const char *cert, const char *key,
				   const char *ca, char *err, size_t errlen)
{
	struct x509_creds *cr = calloc(1, sizeof(*cr));

	if (!cr) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (load_cert(cr, cert, err, errlen) || load_key(cr, key, err, errlen) ||
	    load_ca(cr, ca, err, errlen))
		goto fail;
	if (!key_matches(cr)) {
		snprintf(err, errlen, "key %s does not belong to cert %s", key,
			 cert);
		goto fail;
	}
	return cr;
fail:
	x509_creds_free(cr);
	return NULL;
}

void x509_creds_free(struct x509_creds *cr)
{
	if (!cr)
		return;
	if (cr->crt)
		gnutls_x509_crt_deinit(cr->crt);
	if (cr->key)
		gnutls_privkey_deinit(cr->key);
	if (cr->trust)
		gnutls_x509_trust_list_deinit(cr->trust, 1);
	gnutls_free(cr->der.data);
	free(cr);
}

enum x509_key x509_own_key(const struct x509_creds *cr)
{
	return cr->type;
}

const uint8_t *x509_own_cert(const struct x509_creds *cr, size_t *len)
{
	*len = cr->der.size;
	return cr->der.data;
}

const uint8_t *x509_own_dn(const struct x509_creds *cr, size_t *len)
{
	*len = cr->dn_len;
	return cr->dn;
}

int x509_n_ca(const struct x509_creds *cr)
{
	return cr->n_ca;
}

const uint8_t *x509_ca_dn(const struct x509_creds *cr, int i, size_t *len)
{
	*len = cr->ca_dn_len[i];
	return cr->ca_dn[i];
}

/* r || s, each left-padded to the field size, from GnuTLS's DER. */
static int ec_rs(enum x509_key k, const gnutls_datum_t *der, uint8_t *sig,
		 size_t *sig_len)
{
	unsigned int half = ec_half(k), i;
	gnutls_datum_t rs[2] = { { NULL, 0 }, { NULL, 0 } };
	int rc = -1;

	if (gnutls_decode_rs_value(der, &rs[0], &rs[1]))
		return -1;
	for (i = 0; i < 2; i++) {
		const unsigned char *v = rs[i].data;
		unsigned int n = rs[i].size;

		/* DER INTEGERs carry a 0 byte before a high bit. */
		while (n > half && !*v) {
			v++;
			n--;
		}
		if (n > half)
			goto out;
		memset(sig + i * half, 0, half - n);
		memcpy(sig + i * half + half - n, v, n);
	}
	*sig_len = 2 * half;
	rc = 0;
out:
	gnutls_free(rs[0].data);
	gnutls_free(rs[1].data);
	return rc;
}

int x509_sign_raw(const struct x509_creds *cr, const uint8_t *data,
		  size_t len, uint8_t *sig, size_t *sig_len)
{
	gnutls_datum_t in = { (unsigned char *)data, (unsigned int)len };
	gnutls_datum_t out = { NULL, 0 };
	int r;

	if (cr->type == X509_KEY_RSA)
		/* The TLS 1.0 flag: PKCS#1 v1.5 padding, no DigestInfo. */
		r = gnutls_privkey_sign_hash(cr->key, GNUTLS_DIG_UNKNOWN,
					     GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA,
					     &in, &out);
	else
		/*
		 * ECDSA signs the data as the digest whatever the digest
		 * algorithm named (it only picks the signature entry),
		 * cut to the curve's order as FIPS 186 cuts a longer hash.
		 */
		r = gnutls_privkey_sign_hash(cr->key, GNUTLS_DIG_SHA256, 0, &in,
					     &out);
	if (r < 0 || out.size > X509_SIG_MAX) {
		gnutls_free(out.data);
		return -1;
	}
	if (cr->type == X509_KEY_RSA) {
		memcpy(sig, out.data, out.size);
		*sig_len = out.size;
		r = 0;
	} else {
		r = ec_rs(cr->type, &out, sig, sig_len);
	}
	gnutls_free(out.data);
	return r;
}

static const char *status_why(unsigned int st)
{
	if (st & GNUTLS_CERT_EXPIRED)
		return "expired";
	if (st & GNUTLS_CERT_NOT_ACTIVATED)
		return "not yet valid";
	if (st & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return "not issued by a trusted CA (ca =)";
	if (st & GNUTLS_CERT_REVOKED)
		return "revoked";
	if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "signed with an insecure algorithm";
	if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "its signature does not verify";
	return "refused by chain verification";
}

struct x509_peer *x509_peer_verify(const struct x509_creds *cr,
				   const uint8_t *const *der,
				   const size_t *der_len, int n, char *why,
				   size_t whylen)
{
	gnutls_x509_crt_t chain[8];
	struct x509_peer *p = NULL;
	unsigned int st = 0;
	char subj[256];
	int i, k = 0, r;

	for (i = 0; i < n && i < 8; i++) {
		gnutls_datum_t d = { (unsigned char *)der[i],
				     (unsigned int)der_len[i] };

		if (gnutls_x509_crt_init(&chain[k]))
			goto out;
		k++;
		if (gnutls_x509_crt_import(chain[k - 1], &d,
					   GNUTLS_X509_FMT_DER) < 0) {
			snprintf(why, whylen, "certificate %d does not parse",
				 i + 1);
			goto out;
		}
	}
	if (!k) {
		snprintf(why, whylen, "no X.509 certificate");
		goto out;
	}
	r = gnutls_x509_trust_list_verify_crt(cr->trust, chain, (unsigned)k,
					      0, &st, NULL);
	if (r < 0 || st) {
		gnutls_x509_dn_t dn;
		gnutls_datum_t s = { NULL, 0 };

		subj[0] = 0;
		if (!gnutls_x509_crt_get_subject(chain[0], &dn) &&
		    !gnutls_x509_dn_get_str2(dn, &s, 0))
			snprintf(subj, sizeof(subj), "%s", (char *)s.data);
		gnutls_free(s.data);
		snprintf(why, whylen, "certificate \"%s\" %s", subj,
			 r < 0 ? gnutls_strerror(r) : status_why(st));
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p || gnutls_pubkey_init(&p->pub) ||
	    gnutls_pubkey_import_x509(p->pub, chain[0], 0)) {
		snprintf(why, whylen, "certificate key does not load");
		x509_peer_free(p);
		p = NULL;
		goto out;
	}
	/* Whether the key suits the method is the caller's to word. */
	p->type = pubkey_type(p->pub);
	p->crt = chain[0];
	chain[0] = NULL;
out:
	for (i = 0; i < k; i++)
		if (chain[i])
			gnutls_x509_crt_deinit(chain[i]);
	return p;
}

void x509_peer_free(struct x509_peer *p)
{
	if (!p)
		return;
	if (p->pub)
		gnutls_pubkey_deinit(p->pub);
	if (p->crt)
		gnutls_x509_crt_deinit(p->crt);
	free(p);
}

enum x509_key x509_peer_key(const struct x509_peer *p)
{
	return p->type;
}

/* r || s back into the DER GnuTLS verifies. */
static bool ec_verify(const struct x509_peer *p, gnutls_datum_t *h,
		      const uint8_t *sig, size_t sig_len)
{
	unsigned int half = ec_half(p->type);
	gnutls_datum_t r = { (unsigned char *)sig, half };
	gnutls_datum_t s = { (unsigned char *)sig + half, half };
	gnutls_datum_t der = { NULL, 0 };
	bool ok;

	if (!half || sig_len != 2 * half || gnutls_encode_rs_value(&der, &r, &s))
		return false;
	/*
	 * The SHA-256 entry takes any data of 20 bytes or more as the
	 * digest, cut to the order as signing does: every PRF but MD5.
	 */
	ok = gnutls_pubkey_verify_hash2(p->pub, GNUTLS_SIGN_ECDSA_SHA256, 0, h,
					&der) >= 0;
	gnutls_free(der.data);
	return ok;
}

bool x509_peer_verify_raw(const struct x509_peer *p, const uint8_t *data,
			  size_t len, const uint8_t *sig, size_t sig_len)
{
	gnutls_datum_t h = { (unsigned char *)data, (unsigned int)len };
	gnutls_datum_t s = { (unsigned char *)sig, (unsigned int)sig_len };

	if (p->type != X509_KEY_RSA)
		return ec_verify(p, &h, sig, sig_len);
	return gnutls_pubkey_verify_hash2(p->pub, GNUTLS_SIGN_RSA_RAW,
					  GNUTLS_VERIFY_USE_TLS1_RSA, &h,
					  &s) >= 0;
}

/* Both DNs as canonical text, so string types and spacing do not count. */
static bool dn_equal(gnutls_x509_dn_t a, const uint8_t *der, size_t len)
{
	gnutls_datum_t d = { (unsigned char *)der, (unsigned int)len };
	gnutls_datum_t sa = { NULL, 0 }, sb = { NULL, 0 };
	gnutls_x509_dn_t b = NULL;
	bool eq = false;

	if (gnutls_x509_dn_init(&b) || gnutls_x509_dn_import(b, &d) ||
	    gnutls_x509_dn_get_str2(a, &sa, 0) ||
	    gnutls_x509_dn_get_str2(b, &sb, 0))
		goto out;
	eq = sa.size == sb.size && !strcasecmp((char *)sa.data,
					       (char *)sb.data);
out:
	gnutls_free(sa.data);
	gnutls_free(sb.data);
	if (b)
		gnutls_x509_dn_deinit(b);
	return eq;
}

bool x509_peer_has_id(const struct x509_peer *p, uint8_t type,
		      const uint8_t *data, size_t len)
{
	unsigned int i, want;
	char buf[512];

	switch (type) {
	case 9: {	/* ID_DER_ASN1_DN */
		gnutls_x509_dn_t dn;

		return !gnutls_x509_crt_get_subject(p->crt, &dn) &&
		       dn_equal(dn, data, len);
	}
	case 1:		/* ID_IPV4_ADDR */
	case 5:		/* ID_IPV6_ADDR */
		want = GNUTLS_SAN_IPADDRESS;
		break;
	case 2:		/* ID_FQDN */
		want = GNUTLS_SAN_DNSNAME;
		break;
	case 3:		/* ID_USER_FQDN */
		want = GNUTLS_SAN_RFC822NAME;
		break;
	default:
		return false;
	}
	for (i = 0;; i++) {
		size_t n = sizeof(buf);
		int t = gnutls_x509_crt_get_subject_alt_name(p->crt, i, buf, &n,
							     NULL);

		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (t < 0 || (unsigned int)t != want || n != len)
			continue;
		if (want == GNUTLS_SAN_IPADDRESS ? !memcmp(buf, data, len) :
		    !strncasecmp(buf, (const char *)data, len))
			return true;
	}
}

const char *x509_peer_subject(const struct x509_peer *p, char *buf,
			      size_t len)
{
	gnutls_datum_t s = { NULL, 0 };
	gnutls_x509_dn_t dn;

	if (gnutls_x509_crt_get_subject(p->crt, &dn) ||
	    gnutls_x509_dn_get_str2(dn, &s, 0))
		snprintf(buf, len, "(no subject)");
	else
		snprintf(buf, len, "%s", (char *)s.data);
	gnutls_free(s.data);
	return buf;
}

int x509_dn_from_str(const char *s, uint8_t *out, size_t *len, char *err,
		     size_t errlen)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_dn_t dn = NULL;
	const char *pos = NULL;
	int r;

	r = gnutls_x509_dn_init(&dn);
	if (!r)
		r = gnutls_x509_dn_set_str(dn, s, &pos);
	if (!r)
		r = gnutls_x509_dn_export2(dn, GNUTLS_X509_FMT_DER, &d);
	if (dn)
		gnutls_x509_dn_deinit(dn);
	if (r < 0 || !d.size || d.size > X509_DN_MAX) {
		if (r < 0)
			snprintf(err, errlen, "bad DN '%s'%s%s", s,
				 pos && pos != s ? " near " : "",
				 pos && pos != s ? pos : "");
		else
			snprintf(err, errlen, "DN '%s' empty or longer than %d "
				 "bytes", s, X509_DN_MAX);
		gnutls_free(d.data);
		return -1;
	}
	memcpy(out, d.data, d.size);
	*len = d.size;
	gnutls_free(d.data);
	return 0;
}

const char *x509_dn_str(const uint8_t *der, size_t len, char *buf,
			size_t buflen)
{
	gnutls_datum_t d = { (unsigned char *)der, (unsigned int)len };
	gnutls_datum_t s = { NULL, 0 };
	gnutls_x509_dn_t dn = NULL;

	if (gnutls_x509_dn_init(&dn) || gnutls_x509_dn_import(dn, &d) ||
	    gnutls_x509_dn_get_str2(dn, &s, 0))
		snprintf(buf, buflen, "(bad DN)");
	else
		snprintf(buf, buflen, "%s", (char *)s.data);
	gnutls_free(s.data);
	if (dn)
		gnutls_x509_dn_deinit(dn);
	return buf;
}
