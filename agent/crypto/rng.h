/* SPDX-License-Identifier: GPL-2.0 */
/* Random bytes from GnuTLS (cookies, nonces, DH private values). */
#ifndef ESPTUND_CRYPTO_RNG_H
#define ESPTUND_CRYPTO_RNG_H

#include <stddef.h>

/* Same signature as ike_env.random / dh_rng_fn. */
void crypto_random(void *ctx, void *buf, size_t len);

#endif
