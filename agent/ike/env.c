// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's clock and randomness, taken from struct ike_env so tests
 * can run two engines on a fake clock with predictable bytes.
 */
#include "crypto/rng.h"
#include "ike/ikev1.h"

uint64_t env_now(struct ike_engine *e)
{
	return e->env.now_ms(e->env.ctx);
}

void env_random(struct ike_engine *e, void *buf, size_t len)
{
	if (e->env.random)
		e->env.random(e->env.ctx, buf, len);
	else
		crypto_random(NULL, buf, len);
}

/* env_random() with a void * context, for crypto/dh.c. */
void env_rng(void *ctx, void *buf, size_t len)
{
	env_random(ctx, buf, len);
}
