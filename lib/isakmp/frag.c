// SPDX-License-Identifier: GPL-2.0
/*
 * Fragment payload reading and reassembly (frag.h). Pieces come
 * unauthenticated: a copy never replaces the first, and anything that
 * contradicts what is known (two last pieces, a piece past the last, a
 * message over FRAG_MAX_MSG) ends the reassembly.
 */
#include <stdlib.h>
#include <string.h>

#include "isakmp/frag.h"
#include "isakmp/isakmp.h"

int isakmp_frag_parse(const uint8_t *msg, size_t len, struct isakmp_frag *f)
{
	const uint8_t *p = msg + ISAKMP_HDR_LEN;
	size_t plen;

	if (len < ISAKMP_HDR_LEN + FRAG_HDR_LEN + 1)
		return -1;
	plen = (size_t)p[2] << 8 | p[3];
	f->id = (uint16_t)(p[4] << 8 | p[5]);
	f->num = p[6];
	f->last = p[7] & FRAG_FLAG_LAST;
	f->data = p + FRAG_HDR_LEN;
	f->len = plen - FRAG_HDR_LEN;
	if (p[0] != ISAKMP_NP_NONE || plen != len - ISAKMP_HDR_LEN ||
	    plen <= FRAG_HDR_LEN || !f->num || f->num > FRAG_MAX_PIECES)
		return -1;
	return 0;
}

int isakmp_reasm_add(struct isakmp_reasm *r, const struct isakmp_frag *f)
{
	uint8_t *copy;

	if (r->have & 1u << (f->num - 1))
		return REASM_COPY;
	if (f->last && (r->last || (r->have >> f->num)))
		return REASM_TWO_LAST;
	if ((r->last && f->num > r->last) ||
	    r->total + f->len > FRAG_MAX_MSG)
		return REASM_BOUNDS;
	copy = malloc(f->len);
	if (!copy)
		return REASM_NOMEM;
	memcpy(copy, f->data, f->len);
	r->piece[f->num - 1] = copy;
	r->piece_len[f->num - 1] = (uint16_t)f->len;
	r->have |= 1u << (f->num - 1);
	r->total += f->len;
	if (f->last)
		r->last = f->num;
	if (!r->last || r->have != (1u << r->last) - 1)
		return REASM_MORE;
	return REASM_DONE;
}

uint8_t *isakmp_reasm_join(const struct isakmp_reasm *r,
			   const uint8_t cookies[16], size_t *len,
			   const char **refused)
{
	uint8_t *m = malloc(r->total ? r->total : 1);
	size_t off = 0;
	int i;

	*refused = NULL;
	if (!m)
		return NULL;
	for (i = 0; i < r->last; i++) {
		memcpy(m + off, r->piece[i], r->piece_len[i]);
		off += r->piece_len[i];
	}
	/* The pieces' header names the message they carry. */
	if (off < ISAKMP_HDR_LEN || memcmp(m, cookies, 16))
		*refused = "a message of other cookies";
	/* Pieces do not nest: that would only recurse. */
	else if (m[16] == ISAKMP_NP_FRAG)
		*refused = "a fragment";
	if (*refused) {
		free(m);
		return NULL;
	}
	*len = off;
	return m;
}

void isakmp_reasm_clear(struct isakmp_reasm *r)
{
	int i;

	for (i = 0; i < FRAG_MAX_PIECES; i++)
		free(r->piece[i]);
	memset(r, 0, sizeof(*r));
}
