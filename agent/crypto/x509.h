/* SPDX-License-Identifier: GPL-2.0 */
/*
 * X.509 credentials for signature authentication, all through GnuTLS:
 * our certificate and private key, the trust anchors, checking a peer's
 * certificate against them and against an identity, and the raw
 * signatures IKEv1 uses: PKCS#1 v1.5 without a DigestInfo (RFC 2409
 * 5.1), and ECDSA as r and s, each a big-endian integer of the curve's
 * size (RFC 4754 7); both over HASH_I/HASH_R as they are (for ECDSA an
 * HMAC of the curve's hash, see phase1.c).
 */
#ifndef ESPTUND_CRYPTO_X509_H
#define ESPTUND_CRYPTO_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X509_SIG_MAX	1024		/* bytes: RSA up to 8192 bits */
#define X509_DN_MAX	255		/* what an ID payload here holds */

struct x509_creds;
struct x509_peer;

/* The keys IKEv1 signs with (RFC 2409, RFC 4754); NONE for any other. */
enum x509_key {
	X509_KEY_NONE = 0,
	X509_KEY_RSA,
	X509_KEY_EC256,		/* ECDSA on P-256 */
	X509_KEY_EC384,		/* P-384 */
	X509_KEY_EC521,		/* P-521 */
};

/* "RSA", "ECDSA P-256", ... for logs. */
const char *x509_key_name(enum x509_key k);

/*
 * Loads our certificate (PEM), its RSA or ECDSA (P-256, P-384, P-521)
 * private key (PEM, read as a
 * secret file: refused unless only its owner, root or esptund's user,
 * can change it and others cannot read it) and the trust anchors (PEM,
 * one or more). Checks that key and certificate belong together. NULL
 * with the reason in err on failure.
 */
struct x509_creds *x509_creds_load(const char *cert, const char *key,
				   const char *ca, char *err, size_t errlen);
void x509_creds_free(struct x509_creds *cr);

/* The type of our key. */
enum x509_key x509_own_key(const struct x509_creds *cr);
/* Our certificate, DER. */
const uint8_t *x509_own_cert(const struct x509_creds *cr, size_t *len);
/* Our certificate's subject DN, DER (the default local ID). */
const uint8_t *x509_own_dn(const struct x509_creds *cr, size_t *len);
/* The subject DN (DER) of trust anchor i, for certificate requests. */
int x509_n_ca(const struct x509_creds *cr);
const uint8_t *x509_ca_dn(const struct x509_creds *cr, int i, size_t *len);

/*
 * Signature over data (a PRF output) as IKEv1 carries it: raw PKCS#1
 * v1.5 for RSA, r || s for ECDSA. 0 or -1.
 */
int x509_sign_raw(const struct x509_creds *cr, const uint8_t *data,
		  size_t len, uint8_t *sig, size_t *sig_len);

/*
 * The peer's certificate (DER) with any intermediates sent after it:
 * chained to our trust anchors and within its validity period now.
 * NULL with the reason in why ("expired ...", "not issued by a trusted
 * CA", ...).
 */
struct x509_peer *x509_peer_verify(const struct x509_creds *cr,
				   const uint8_t *const *der,
				   const size_t *der_len, int n, char *why,
				   size_t whylen);
void x509_peer_free(struct x509_peer *p);
/* The type of the peer certificate's key. */
enum x509_key x509_peer_key(const struct x509_peer *p);
/* The check of x509_sign_raw's output with the peer's public key. */
bool x509_peer_verify_raw(const struct x509_peer *p, const uint8_t *data,
			  size_t len, const uint8_t *sig, size_t sig_len);
/*
 * Whether the certificate vouches for an ID (RFC 2407 type and data as
 * on the wire): its subject for a DER DN, a subjectAltName of the same
 * kind for an address, FQDN or user FQDN.
 */
bool x509_peer_has_id(const struct x509_peer *p, uint8_t type,
		      const uint8_t *data, size_t len);
/* The peer certificate's subject as text, for logs. */
const char *x509_peer_subject(const struct x509_peer *p, char *buf,
			      size_t len);

/* "CN=x,O=y" → DER in out (X509_DN_MAX). 0 or -1 with err. */
int x509_dn_from_str(const char *s, uint8_t *out, size_t *len, char *err,
		     size_t errlen);
/* A DER DN as RFC 4514 text; "(bad DN)" when it does not parse. */
const char *x509_dn_str(const uint8_t *der, size_t len, char *buf,
			size_t buflen);

#endif
