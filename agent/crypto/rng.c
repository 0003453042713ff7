// SPDX-License-Identifier: GPL-2.0
/* gnutls_rnd wrapper; aborts rather than continue with predictable bytes. */
#include <stdlib.h>
#include <gnutls/crypto.h>

#include "crypto/rng.h"
#include "log.h"

void crypto_random(void *ctx, void *buf, size_t len)
{
	if (gnutls_rnd(GNUTLS_RND_RANDOM, buf, len) < 0) {
		log_err("random number generator failed");
		abort();
	}
}
