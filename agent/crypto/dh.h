/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Diffie-Hellman for every IKE group: MODP with GMP, ECP (RFC 5903) and
 * curve25519 (RFC 7748) with nettle. Public values and shared secrets are
 * in IKE wire format: MODP padded to the prime length, ECP x|y and x only.
 */
#ifndef ESPTUND_CRYPTO_DH_H
#define ESPTUND_CRYPTO_DH_H

#include <stddef.h>
#include <stdint.h>

struct dh;

typedef void (*dh_rng_fn)(void *ctx, void *buf, size_t len);

/* Is this group implemented? */
int dh_group_supported(unsigned int group);
/* Bytes of our/the peer's public value; 0 if unsupported. */
size_t dh_pub_len(unsigned int group);
/* Bytes of the shared secret g^xy. */
size_t dh_secret_len(unsigned int group);

/* New key pair, private value from rng. NULL if unsupported/no memory. */
struct dh *dh_new(unsigned int group, dh_rng_fn rng, void *rng_ctx);
/* Key pair from a given private value (known-answer tests). */
struct dh *dh_new_priv(unsigned int group, const uint8_t *priv, size_t len);
void dh_free(struct dh *dh);

/* dh_pub_len() bytes. */
const uint8_t *dh_public(const struct dh *dh);
/*
 * Validates the peer value (MODP: 1 < y < p-1; ECP: on curve; X25519:
 * non-zero result) and writes dh_secret_len() bytes. 0 or -1.
 */
int dh_derive(struct dh *dh, const uint8_t *peer, size_t len, uint8_t *out);

/* Data table (dh_groups.c). */
const char *dh_modp_prime_hex(unsigned int group);

#endif
