// SPDX-License-Identifier: GPL-2.0
/*
 * IKE fragments in a capture (isakmp/frag.h): the pieces of one message
 * are kept by sender and fragment ID within a cookie pair until the last
 * one is in; the whole message is then decoded as if it had come in one
 * datagram. A message whose pieces are not all in the capture is only
 * listed piece by piece.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

struct dec_frag_msg {
	bool from_init;
	uint16_t id;
	bool done;			/* joined, or given up on */
	struct isakmp_reasm r;
};

/*
 * Messages pending per cookie pair at most: a crafted capture must not
 * grow the table without bound.
 */
#define DEC_FRAG_MAX_MSGS	64

static struct dec_frag_msg *find(struct dec_frags *t, bool from_init,
				 uint16_t id)
{
	struct dec_frag_msg *n;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->m[i].from_init == from_init && t->m[i].id == id)
			return &t->m[i];
	if (t->n >= DEC_FRAG_MAX_MSGS)
		return NULL;
	n = realloc(t->m, (t->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	t->m = n;
	n = &t->m[t->n++];
	memset(n, 0, sizeof(*n));
	n->from_init = from_init;
	n->id = id;
	return n;
}

int dec_frag_add(struct dec_frags *t, bool from_init, const uint8_t *raw,
		 const struct isakmp_frag *f, uint8_t **whole,
		 size_t *whole_len, char *why, size_t whylen)
{
	struct dec_frag_msg *m = find(t, from_init, f->id);
	const char *refused;
	int rc;

	*whole = NULL;
	if (!m) {
		snprintf(why, whylen, "too many fragmented messages: not reassembled");
		return -1;
	}
	if (m->done)
		return 0;
	rc = isakmp_reasm_add(&m->r, f);
	switch (rc) {
	case REASM_MORE:
	case REASM_COPY:
		return 0;
	case REASM_DONE:
		break;
	case REASM_TWO_LAST:
		snprintf(why, whylen, "a second last piece of ID %u: not reassembled",
			 f->id);
		goto give_up;
	case REASM_BOUNDS:
		snprintf(why, whylen,
			 "piece %u of ID %u past the last or over %d bytes: not reassembled",
			 f->num, f->id, FRAG_MAX_MSG);
		goto give_up;
	default:
		snprintf(why, whylen, "out of memory");
		goto give_up;
	}
	*whole = isakmp_reasm_join(&m->r, raw, whole_len, &refused);
	if (!*whole) {
		if (refused)
			snprintf(why, whylen, "the pieces of ID %u carry %s: "
				 "not decoded", f->id, refused);
		else
			snprintf(why, whylen, "out of memory");
		rc = -1;
	} else {
		rc = m->r.last;
	}
	m->done = true;
	isakmp_reasm_clear(&m->r);
	return rc;
give_up:
	m->done = true;
	isakmp_reasm_clear(&m->r);
	return -1;
}

void dec_frags_free(struct dec_frags *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		isakmp_reasm_clear(&t->m[i].r);
	free(t->m);
	t->m = NULL;
	t->n = 0;
}
