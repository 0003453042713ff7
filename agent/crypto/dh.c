// SPDX-License-Identifier: GPL-2.0
/*
 * Diffie-Hellman: GnuTLS 3.7 has no raw DH derive, so MODP uses GMP's
 * side-channel-silent mpz_powm_sec, ECP and curve25519 use nettle.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <gmp.h>
#include <nettle/curve25519.h>
#include <nettle/ecc.h>
#include <nettle/ecc-curve.h>

#include "crypto/dh.h"
#include "crypto/prf.h"

enum dh_kind { DH_MODP, DH_ECP, DH_X25519 };

struct dh {
	unsigned int group;
	enum dh_kind kind;
	size_t plen;			/* public value bytes */
	uint8_t pub[1024];
	/* MODP */
	mpz_t p, x;
	/* ECP */
	const struct ecc_curve *curve;
	struct ecc_scalar k;
	/* X25519 */
	uint8_t xpriv[CURVE25519_SIZE];
};

/* MODP private exponents: 512 bits covers the strength of all groups. */
#define MODP_PRIV_BYTES	64

static const struct ecc_curve *ecp_curve(unsigned int group)
{
	switch (group) {
	case 19:
		return nettle_get_secp_256r1();
	case 20:
		return nettle_get_secp_384r1();
	case 21:
		return nettle_get_secp_521r1();
	}
	return NULL;
}

static size_t ecp_coord_len(const struct ecc_curve *c)
{
	return (ecc_bit_size(c) + 7) / 8;
}

int dh_group_supported(unsigned int group)
{
	return dh_pub_len(group) != 0;
}

size_t dh_pub_len(unsigned int group)
{
	const char *hex = dh_modp_prime_hex(group);
	const struct ecc_curve *c = ecp_curve(group);

	if (hex)
		return strlen(hex) / 2;
	if (c)
		return 2 * ecp_coord_len(c);
	if (group == 31)
		return CURVE25519_SIZE;
	return 0;
}

size_t dh_secret_len(unsigned int group)
{
	const struct ecc_curve *c = ecp_curve(group);

	if (c)
		return ecp_coord_len(c);
	return dh_pub_len(group);
}

/* Big-endian export padded on the left to len bytes. */
static void mpz_to_bytes(const mpz_t v, uint8_t *out, size_t len)
{
	size_t n = (mpz_sizeinbase(v, 2) + 7) / 8;

	memset(out, 0, len);
	if (mpz_sgn(v) && n <= len)
		mpz_export(out + len - n, NULL, 1, 1, 1, 0, v);
}

struct rng_adapt {
	dh_rng_fn fn;
	void *ctx;
};

static void nettle_rng(void *ctx, size_t len, uint8_t *dst)
{
	struct rng_adapt *r = ctx;

	r->fn(r->ctx, dst, len);
}

/*
 * GMP and nettle's ECC free and grow every number through these: no limb
 * of a private exponent or a shared secret stays behind in freed memory
 * (clearing an mpz by setting it to 0 leaves its limbs as they were).
 */
static void *gmp_realloc_wipe(void *p, size_t old, size_t len)
{
	void *n = malloc(len);

	if (!n)
		abort();	/* what GMP's own allocator does */
	memcpy(n, p, old < len ? old : len);
	crypto_wipe(p, old);
	free(p);
	return n;
}

static void gmp_free_wipe(void *p, size_t len)
{
	crypto_wipe(p, len);
	free(p);
}

static struct dh *dh_alloc(unsigned int group)
{
	static bool wipes;
	struct dh *dh;

	if (!wipes) {
		/* Both wrap malloc: numbers allocated before still free. */
		mp_set_memory_functions(NULL, gmp_realloc_wipe, gmp_free_wipe);
		wipes = true;
	}
	if (!dh_group_supported(group))
		return NULL;
	dh = calloc(1, sizeof(*dh));
	if (!dh)
		return NULL;
	dh->group = group;
	dh->plen = dh_pub_len(group);
	if (dh_modp_prime_hex(group)) {
		dh->kind = DH_MODP;
		mpz_init_set_str(dh->p, dh_modp_prime_hex(group), 16);
		mpz_init(dh->x);
	} else if (ecp_curve(group)) {
		dh->kind = DH_ECP;
		dh->curve = ecp_curve(group);
		ecc_scalar_init(&dh->k, dh->curve);
	} else {
		dh->kind = DH_X25519;
	}
	return dh;
}

static int dh_make_public(struct dh *dh)
{
	if (dh->kind == DH_MODP) {
		mpz_t g, y;

		mpz_init_set_ui(g, 2);
		mpz_init(y);
		mpz_powm_sec(y, g, dh->x, dh->p);
		mpz_to_bytes(y, dh->pub, dh->plen);
		mpz_clear(g);
		mpz_clear(y);
	} else if (dh->kind == DH_ECP) {
		struct ecc_point r;
		mpz_t x, y;
		size_t cl = dh->plen / 2;

		ecc_point_init(&r, dh->curve);
		mpz_init(x);
		mpz_init(y);
		ecc_point_mul_g(&r, &dh->k);
		ecc_point_get(&r, x, y);
		mpz_to_bytes(x, dh->pub, cl);
		mpz_to_bytes(y, dh->pub + cl, cl);
		mpz_clear(x);
		mpz_clear(y);
		ecc_point_clear(&r);
	} else {
		curve25519_mul_g(dh->pub, dh->xpriv);
	}
	return 0;
}

struct dh *dh_new(unsigned int group, dh_rng_fn rng, void *rng_ctx)
{
	struct dh *dh = dh_alloc(group);
	uint8_t buf[MODP_PRIV_BYTES];

	if (!dh)
		return NULL;
	if (dh->kind == DH_MODP) {
		rng(rng_ctx, buf, sizeof(buf));
		buf[0] |= 0x80;		/* full-size exponent */
		mpz_import(dh->x, sizeof(buf), 1, 1, 1, 0, buf);
		crypto_wipe(buf, sizeof(buf));
	} else if (dh->kind == DH_ECP) {
		struct rng_adapt ra = { rng, rng_ctx };

		ecc_scalar_random(&dh->k, &ra, nettle_rng);
	} else {
		/* nettle clamps the scalar itself (RFC 7748 5). */
		rng(rng_ctx, dh->xpriv, sizeof(dh->xpriv));
	}
	dh_make_public(dh);
	return dh;
}

struct dh *dh_new_priv(unsigned int group, const uint8_t *priv, size_t len)
{
	struct dh *dh = dh_alloc(group);

	if (!dh)
		return NULL;
	if (dh->kind == DH_MODP) {
		mpz_import(dh->x, len, 1, 1, 1, 0, priv);
	} else if (dh->kind == DH_ECP) {
		mpz_t z;

		mpz_init(z);
		mpz_import(z, len, 1, 1, 1, 0, priv);
		if (!ecc_scalar_set(&dh->k, z)) {
			mpz_clear(z);
			dh_free(dh);
			return NULL;
		}
		mpz_clear(z);
	} else {
		if (len != CURVE25519_SIZE) {
			dh_free(dh);
			return NULL;
		}
		memcpy(dh->xpriv, priv, len);
	}
	dh_make_public(dh);
	return dh;
}

void dh_free(struct dh *dh)
{
	if (!dh)
		return;
	if (dh->kind == DH_MODP) {
		mpz_clear(dh->x);
		mpz_clear(dh->p);
	} else if (dh->kind == DH_ECP) {
		ecc_scalar_clear(&dh->k);
	}
	crypto_wipe(dh, sizeof(*dh));
	free(dh);
}

const uint8_t *dh_public(const struct dh *dh)
{
	return dh->pub;
}

int dh_derive(struct dh *dh, const uint8_t *peer, size_t len, uint8_t *out)
{
	int rc = -1;

	if (len != dh->plen)
		return -1;
	if (dh->kind == DH_MODP) {
		mpz_t y, s, pm1;

		mpz_init(y);
		mpz_init(s);
		mpz_init(pm1);
		mpz_import(y, len, 1, 1, 1, 0, peer);
		mpz_sub_ui(pm1, dh->p, 1);
		/* 1 < y < p-1: rejects the small-subgroup values. */
		if (mpz_cmp_ui(y, 1) > 0 && mpz_cmp(y, pm1) < 0) {
			mpz_powm_sec(s, y, dh->x, dh->p);
			mpz_to_bytes(s, out, dh->plen);
			rc = 0;
		}
		mpz_clear(y);
		mpz_clear(s);
		mpz_clear(pm1);
	} else if (dh->kind == DH_ECP) {
		struct ecc_point pp, r;
		mpz_t x, y;
		size_t cl = len / 2;

		mpz_init(x);
		mpz_init(y);
		mpz_import(x, cl, 1, 1, 1, 0, peer);
		mpz_import(y, cl, 1, 1, 1, 0, peer + cl);
		ecc_point_init(&pp, dh->curve);
		ecc_point_init(&r, dh->curve);
		/* ecc_point_set checks the point lies on the curve. */
		if (ecc_point_set(&pp, x, y)) {
			ecc_point_mul(&r, &dh->k, &pp);
			ecc_point_get(&r, x, y);
			mpz_to_bytes(x, out, cl);
			rc = 0;
		}
		ecc_point_clear(&pp);
		ecc_point_clear(&r);
		mpz_clear(x);
		mpz_clear(y);
	} else {
		uint8_t acc = 0;
		size_t i;

		curve25519_mul(out, dh->xpriv, peer);
		for (i = 0; i < CURVE25519_SIZE; i++)
			acc |= out[i];
		rc = acc ? 0 : -1;	/* low-order point (RFC 7748 6.1) */
		if (rc)
			crypto_wipe(out, CURVE25519_SIZE);
	}
	return rc;
}
