/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Retransmission and duplicate handling for one exchange: the last
 * message we sent, when to send it again (doubling each time, up to a
 * number of tries), and a digest of the request it answered so a
 * retransmitted request gets the same bytes back instead of being
 * processed again.
 */
#ifndef ESPTUND_IKE_RETRANSMIT_H
#define ESPTUND_IKE_RETRANSMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REXMIT_DIGEST	20

struct rexmit {
	uint8_t *buf;			/* last message sent, or NULL */
	size_t len;
	const char *name;		/* "MM1" ... for log lines */
	bool waiting;			/* a reply is expected: timer runs */
	uint32_t sent;			/* times sent */
	uint32_t tries;			/* give up after this many sends */
	uint32_t timeout_ms;		/* current wait, doubled each send */
	uint64_t next_ms;		/* when to resend (waiting only) */
	uint8_t in_digest[REXMIT_DIGEST];
	bool has_in;
	uint32_t replays;		/* resent for copies of the request */
	uint32_t gen;			/* bumped by every rexmit_set */
	uint16_t frag_id;		/* its pieces' ID when sent cut, or 0 */
};

/* Remember buf as the last message; starts the timer if waiting. */
int rexmit_set(struct rexmit *r, const uint8_t *buf, size_t len,
	       const char *name, bool waiting, uint64_t now,
	       uint32_t first_ms, uint32_t tries);
/* The reply arrived: stop the timer, keep the message for duplicates. */
void rexmit_stop(struct rexmit *r);
void rexmit_free(struct rexmit *r);

/* Digest of a received datagram (SHA-1 of its bytes). */
void rexmit_digest(const uint8_t *buf, size_t len,
		   uint8_t out[REXMIT_DIGEST]);
/* The request our stored message answers. */
void rexmit_note_input(struct rexmit *r, const uint8_t d[REXMIT_DIGEST]);
bool rexmit_is_dup(const struct rexmit *r, const uint8_t d[REXMIT_DIGEST]);
/*
 * May the stored message go out again for one more copy of its request?
 * As often as it would be retransmitted (tries), no more: each copy
 * costs a sender nothing, the answer may be larger.
 */
bool rexmit_may_replay(struct rexmit *r);

/*
 * Digests of the last requests an ISAKMP SA processed, whatever exchange
 * they belonged to. A copy that arrives after its exchange moved on (QM3
 * once the IPsec SA is up, MM3 once MM6 was sent) no longer matches a
 * stored reply, yet must not be decrypted again: the CBC IV of its
 * message ID has moved past it, so it would decrypt to garbage and look
 * like an attack. Recognised by its bytes, it is dropped before that.
 */
#define REXMIT_SEEN	8

struct rexmit_seen {
	uint8_t d[REXMIT_SEEN][REXMIT_DIGEST];
	unsigned int n;			/* valid entries */
	unsigned int next;		/* slot the next digest goes to */
};

void rexmit_seen_add(struct rexmit_seen *s, const uint8_t d[REXMIT_DIGEST]);
bool rexmit_seen_has(const struct rexmit_seen *s,
		     const uint8_t d[REXMIT_DIGEST]);

/*
 * Timer due? Returns 1 when the message must be resent now (sent++,
 * timeout doubled), -1 when tries are exhausted, 0 when not due.
 */
int rexmit_poll(struct rexmit *r, uint64_t now);
/* Deadline or UINT64_MAX. */
uint64_t rexmit_deadline(const struct rexmit *r);

#endif
