/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKEv1 fragmentation (isakmp/frag.h has the payload): a phase 1
 * message too large for the path (certificates) is cut into datagrams
 * that each fit, so no IP fragment is needed on the way. The receiver
 * reassembles by (sender, cookies, ID) and feeds the whole message to
 * the dispatcher, which cannot tell.
 */
#ifndef ESPTUND_IKE_FRAGMENT_H
#define ESPTUND_IKE_FRAGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "isakmp/frag.h"

#define FRAG_VID_LEN		20
#define FRAG_VID_MATCH		16	/* the capability word may differ */
/* How many messages may be pending, and how long pieces wait. */
#define FRAG_MAX_PENDING	8
#define FRAG_MAX_UNKNOWN_PER_SOURCE	2
#define FRAG_TIMEOUT_MS		10000
/* Datagram sizes (IP header included) of a fragment by default. */
#define FRAG_SIZE_V4		1280
#define FRAG_SIZE_V6		1232

struct ike_engine;
struct isakmp_gen;
struct isakmp_msg;
struct p1sa;
struct ike_conn;

extern const uint8_t frag_vid[FRAG_VID_LEN];

/* One message being reassembled (the engine keeps a few). */
struct frag_reasm {
	struct frag_reasm *next;
	struct sockaddr_storage from;
	uint8_t cookies[16];
	uint16_t id;
	uint64_t started_ms;
	bool known;			/* its cookies name an ISAKMP SA of ours */
	struct isakmp_reasm p;
};

/* Phase 1 hooks: our vendor ID, the peer's. */
void frag_gen_vid(struct isakmp_gen *g, const struct ike_conn *c);
void frag_note_vids(struct p1sa *sa, const struct isakmp_msg *m);

/*
 * Largest ISAKMP message sent whole to `to` from `from` under a
 * datagram size (0: the family's default): what is left after the IP
 * and UDP headers and, on port 4500, the non-ESP marker.
 */
size_t frag_room(const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to, uint32_t size);

/*
 * Cuts msg (len > room) into fragment messages of at most room bytes,
 * calling out() for each; returns the number of pieces, -1 when it
 * needs more than FRAG_MAX_PIECES, or -2 when out() failed (no memory
 * counts as that too).
 */
int frag_split(const uint8_t *msg, size_t len, size_t room, uint16_t id,
	       int (*out)(void *ctx, const uint8_t *buf, size_t len),
	       void *ctx);

/*
 * Sends a message under sa (NULL: no SA yet, sent whole), cut when the
 * conn's mode and the peer allow and it does not fit. *id is the
 * message's fragment ID: 0 takes a new one when it is cut, so a resend
 * passes what the first send left there and repeats the same pieces.
 */
int frag_send(struct ike_engine *e, struct p1sa *sa,
	      const struct sockaddr_storage *from,
	      const struct sockaddr_storage *to, const uint8_t *buf,
	      size_t len, uint16_t *id);

/*
 * A fragment message arrived (next payload 132). Returns 1 with *msg
 * (malloc'd) and *len set when it completed a message, 0 when kept or
 * dropped.
 */
int frag_input(struct ike_engine *e, const struct sockaddr_storage *from,
	       const uint8_t *buf, size_t len, uint8_t **msg, size_t *msg_len);

/* Frees every pending reassembly (engine teardown). */
void frag_free_all(struct ike_engine *e);

#endif
