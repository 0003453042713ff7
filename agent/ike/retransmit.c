// SPDX-License-Identifier: GPL-2.0
/* Exponential-backoff retransmission and replay of the last reply. */
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/conn.h"
#include "ike/retransmit.h"

int rexmit_set(struct rexmit *r, const uint8_t *buf, size_t len,
	       const char *name, bool waiting, uint64_t now,
	       uint32_t first_ms, uint32_t tries)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -1;
	memcpy(copy, buf, len);
	free(r->buf);
	r->buf = copy;
	r->len = len;
	r->name = name;
	r->waiting = waiting;
	r->sent = 1;
	r->tries = tries ? tries : 1;
	r->timeout_ms = first_ms ? first_ms : 1000;
	r->next_ms = now + r->timeout_ms;
	r->gen++;
	r->has_in = false;
	r->replays = 0;
	return 0;
}

void rexmit_stop(struct rexmit *r)
{
	r->waiting = false;
}

void rexmit_free(struct rexmit *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void rexmit_digest(const uint8_t *buf, size_t len, uint8_t out[REXMIT_DIGEST])
{
	struct chunk c = { buf, len };

	if (crypto_hash(IKE_HASH_SHA1, &c, 1, out))
		memset(out, 0, REXMIT_DIGEST);
}

void rexmit_note_input(struct rexmit *r, const uint8_t d[REXMIT_DIGEST])
{
	memcpy(r->in_digest, d, REXMIT_DIGEST);
	r->has_in = true;
}

void rexmit_seen_add(struct rexmit_seen *s, const uint8_t d[REXMIT_DIGEST])
{
	/* A ring: late copies follow their original closely, a few suffice. */
	memcpy(s->d[s->next], d, REXMIT_DIGEST);
	s->next = (s->next + 1) % REXMIT_SEEN;
	if (s->n < REXMIT_SEEN)
		s->n++;
}

bool rexmit_seen_has(const struct rexmit_seen *s,
		     const uint8_t d[REXMIT_DIGEST])
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(s->d[i], d, REXMIT_DIGEST))
			return true;
	return false;
}

bool rexmit_is_dup(const struct rexmit *r, const uint8_t d[REXMIT_DIGEST])
{
	return r->has_in && r->buf && !memcmp(r->in_digest, d, REXMIT_DIGEST);
}

bool rexmit_may_replay(struct rexmit *r)
{
	if (r->replays >= r->tries)
		return false;
	r->replays++;
	return true;
}

int rexmit_poll(struct rexmit *r, uint64_t now)
{
	if (!r->waiting || !r->buf || now < r->next_ms)
		return 0;
	if (r->sent >= r->tries) {
		r->waiting = false;
		return -1;
	}
	r->sent++;
	r->timeout_ms *= 2;
	r->next_ms = now + r->timeout_ms;
	return 1;
}

uint64_t rexmit_deadline(const struct rexmit *r)
{
	return r->waiting && r->buf ? r->next_ms : UINT64_MAX;
}
