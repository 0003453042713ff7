/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IKEv1 fragment payload (type 132, from Cisco; strongSwan, libreswan
 * and racoon speak it) and the reassembly of one message from its
 * pieces: what esptund does with pieces it receives and what
 * `esptun decode` does with pieces in a capture.
 *
 * A fragment message is the original's ISAKMP header with next payload
 * 132, no E flag and its own length, then one payload: fragment ID (the
 * same for every piece of one message), fragment number (from 1), flags
 * (bit 0: the last one), and a slice of the original message, header
 * included.
 */
#ifndef ESPTUN_ISAKMP_FRAG_H
#define ESPTUN_ISAKMP_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isakmp/isakmp.h"

#define FRAG_HDR_LEN		8	/* generic header + ID, number, flags */
#define FRAG_FLAG_LAST		0x01
/* What one message may be cut into. */
#define FRAG_MAX_PIECES		16
#define FRAG_MAX_MSG		(64 * 1024)

/* One piece as it came: its data points into the datagram. */
struct isakmp_frag {
	uint16_t id;
	uint8_t num;
	bool last;
	const uint8_t *data;
	size_t len;
};

/*
 * Reads the fragment payload of a whole fragment message (ISAKMP header
 * included). 0, or -1 when it is not one well-formed piece.
 */
int isakmp_frag_parse(const uint8_t *msg, size_t len, struct isakmp_frag *f);

/* The pieces of one message so far. */
struct isakmp_reasm {
	uint8_t last;			/* number of the last piece, 0 = unseen */
	uint32_t have;			/* bit n-1: piece n is here */
	size_t total;
	uint8_t *piece[FRAG_MAX_PIECES];
	uint16_t piece_len[FRAG_MAX_PIECES];
};

enum isakmp_reasm_rc {
	REASM_MORE,		/* kept, pieces still missing */
	REASM_DONE,		/* kept, every piece is here */
	REASM_COPY,		/* that piece is here already: ignored */
	REASM_TWO_LAST,		/* a second last piece: give up on it */
	REASM_BOUNDS,		/* past the last piece or FRAG_MAX_MSG: give up */
	REASM_NOMEM,
};

int isakmp_reasm_add(struct isakmp_reasm *r, const struct isakmp_frag *f);
/*
 * The whole message of a REASM_DONE reassembly, allocated, or NULL: no
 * memory (*@refused NULL), or the pieces carry what no one accepts, which
 * *@refused names: a message that does not begin with the pieces'
 * cookies, or one that is a fragment itself.
 */
uint8_t *isakmp_reasm_join(const struct isakmp_reasm *r,
			   const uint8_t cookies[16], size_t *len,
			   const char **refused);
void isakmp_reasm_clear(struct isakmp_reasm *r);

#endif /* ESPTUN_ISAKMP_FRAG_H */
