/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hash and HMAC-PRF for the IKE hash algorithms (enum ike_hash values).
 * Inputs are a list of chunks so callers never build temporary buffers
 * holding key material.
 */
#ifndef ESPTUND_CRYPTO_PRF_H
#define ESPTUND_CRYPTO_PRF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chunk {
	const uint8_t *ptr;
	size_t len;
};

#define CRYPTO_MAX_HASH	64

/* Output length in bytes, 0 if unsupported. */
size_t crypto_hash_len(unsigned int hash);
/* out = HASH(c[0] | ... | c[n-1]). 0 or -1. */
int crypto_hash(unsigned int hash, const struct chunk *c, int n,
		uint8_t *out);
/* out = HMAC-HASH(key, c[0] | ... ). 0 or -1. */
int crypto_prf(unsigned int hash, const uint8_t *key, size_t klen,
	       const struct chunk *c, int n, uint8_t *out);

/* Wipe secrets in a way the compiler cannot drop. */
void crypto_wipe(void *p, size_t len);
/*
 * a and b equal? Time depends on len only, not on where they differ:
 * for MACs and HASH payloads an attacker must not learn a prefix.
 */
bool crypto_memeq(const void *a, const void *b, size_t len);

#endif
