// SPDX-License-Identifier: GPL-2.0
/* HMAC and hash through GnuTLS, keyed by the IKE hash attribute value. */
#include <string.h>
#include <gnutls/crypto.h>

#include "crypto/prf.h"
#include "ike/conn.h"

static int mac_alg(unsigned int hash, gnutls_mac_algorithm_t *m,
		   gnutls_digest_algorithm_t *d)
{
	switch (hash) {
	case IKE_HASH_MD5:
		*m = GNUTLS_MAC_MD5;
		*d = GNUTLS_DIG_MD5;
		return 0;
	case IKE_HASH_SHA1:
		*m = GNUTLS_MAC_SHA1;
		*d = GNUTLS_DIG_SHA1;
		return 0;
	case IKE_HASH_SHA256:
		*m = GNUTLS_MAC_SHA256;
		*d = GNUTLS_DIG_SHA256;
		return 0;
	case IKE_HASH_SHA384:
		*m = GNUTLS_MAC_SHA384;
		*d = GNUTLS_DIG_SHA384;
		return 0;
	case IKE_HASH_SHA512:
		*m = GNUTLS_MAC_SHA512;
		*d = GNUTLS_DIG_SHA512;
		return 0;
	}
	return -1;
}

size_t crypto_hash_len(unsigned int hash)
{
	gnutls_mac_algorithm_t m;
	gnutls_digest_algorithm_t d;

	if (mac_alg(hash, &m, &d))
		return 0;
	return gnutls_hash_get_len(d);
}

int crypto_hash(unsigned int hash, const struct chunk *c, int n, uint8_t *out)
{
	gnutls_mac_algorithm_t m;
	gnutls_digest_algorithm_t d;
	gnutls_hash_hd_t h;
	int i;

	if (mac_alg(hash, &m, &d) || gnutls_hash_init(&h, d) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (c[i].len && gnutls_hash(h, c[i].ptr, c[i].len) < 0) {
			gnutls_hash_deinit(h, NULL);
			return -1;
		}
	gnutls_hash_deinit(h, out);
	return 0;
}

int crypto_prf(unsigned int hash, const uint8_t *key, size_t klen,
	       const struct chunk *c, int n, uint8_t *out)
{
	gnutls_mac_algorithm_t m;
	gnutls_digest_algorithm_t d;
	gnutls_hmac_hd_t h;
	int i;

	if (mac_alg(hash, &m, &d) || gnutls_hmac_init(&h, m, key, klen) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (c[i].len && gnutls_hmac(h, c[i].ptr, c[i].len) < 0) {
			gnutls_hmac_deinit(h, NULL);
			return -1;
		}
	gnutls_hmac_deinit(h, out);
	return 0;
}

void crypto_wipe(void *p, size_t len)
{
	if (p && len)
		gnutls_memset(p, 0, len);
}

bool crypto_memeq(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return !d;
}
