// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv1 fragmentation: cutting phase 1 messages that do not fit the
 * path, and reassembling the peer's (fragment.h says the format).
 * Pieces come unauthenticated, so reassembly is bounded: a few messages
 * at once, FRAG_MAX_PIECES each, FRAG_MAX_MSG bytes, FRAG_TIMEOUT_MS;
 * a forged piece at worst spoils one reassembly, whose result then fails
 * to decrypt or authenticate like any forged message, and the sender's
 * retransmission comes through.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ike/fragment.h"
#include "ike/ikev1.h"
#include "ike/natt.h"
#include "log.h"

/* The FRAGMENTATION vendor ID with Cisco's capability word. */
const uint8_t frag_vid[FRAG_VID_LEN] = {
	0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85,
	0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3,
	0x80, 0x00, 0x00, 0x00,
};

void frag_gen_vid(struct isakmp_gen *g, const struct ike_conn *c)
{
	if (c->frag != IKE_FRAG_NO)
		isakmp_gen_raw(g, ISAKMP_NP_VID, frag_vid, FRAG_VID_LEN);
}

void frag_note_vids(struct p1sa *sa, const struct isakmp_msg *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->pl[i].type == ISAKMP_NP_VID &&
		    m->pl[i].len >= FRAG_VID_MATCH &&
		    !memcmp(m->pl[i].body, frag_vid, FRAG_VID_MATCH))
			sa->peer_frag = true;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

size_t frag_room(const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to, uint32_t size)
{
	bool v6 = to->ss_family == AF_INET6;
	size_t over = (v6 ? 40 : 20) + 8;

	if (!size)
		size = v6 ? FRAG_SIZE_V6 : FRAG_SIZE_V4;
	if (port_of(from) == NATT_PORT || port_of(to) == NATT_PORT)
		over += 4;
	return size > over ? size - over : 0;
}

int frag_split(const uint8_t *msg, size_t len, size_t room, uint16_t id,
	       int (*out)(void *ctx, const uint8_t *buf, size_t len),
	       void *ctx)
{
	size_t data = room > ISAKMP_HDR_LEN + FRAG_HDR_LEN ?
		      room - ISAKMP_HDR_LEN - FRAG_HDR_LEN : 0;
	size_t off = 0, n;
	uint8_t *buf;
	int num = 0;

	/* The payload length field holds 16 bits. */
	if (data > 0xffff - FRAG_HDR_LEN)
		data = 0xffff - FRAG_HDR_LEN;
	if (len < ISAKMP_HDR_LEN || !data ||
	    (len + data - 1) / data > FRAG_MAX_PIECES)
		return -1;
	buf = malloc(ISAKMP_HDR_LEN + FRAG_HDR_LEN + data);
	if (!buf)
		return -2;
	while (off < len) {
		n = len - off < data ? len - off : data;
		num++;
		memcpy(buf, msg, ISAKMP_HDR_LEN);
		buf[16] = ISAKMP_NP_FRAG;
		/*
		 * strongSwan takes fragments only in phase 1 exchanges: the
		 * pieces of a Quick Mode or Informational message say
		 * Identity Protection, message ID 0; the carried message
		 * keeps its own header.
		 */
		if (msg[18] != ISAKMP_XCHG_AGGR)
			buf[18] = ISAKMP_XCHG_IDPROT;
		memset(buf + 20, 0, 4);
		buf[19] &= ~ISAKMP_FLAG_E;
		isakmp_put32(buf + 24,
			     (uint32_t)(ISAKMP_HDR_LEN + FRAG_HDR_LEN + n));
		buf[28] = ISAKMP_NP_NONE;
		buf[29] = 0;
		buf[30] = (uint8_t)((FRAG_HDR_LEN + n) >> 8);
		buf[31] = (uint8_t)(FRAG_HDR_LEN + n);
		buf[32] = (uint8_t)(id >> 8);
		buf[33] = (uint8_t)id;
		buf[34] = (uint8_t)num;
		buf[35] = off + n == len ? FRAG_FLAG_LAST : 0;
		memcpy(buf + ISAKMP_HDR_LEN + FRAG_HDR_LEN, msg + off, n);
		if (out(ctx, buf, ISAKMP_HDR_LEN + FRAG_HDR_LEN + n) < 0) {
			free(buf);
			return -2;
		}
		off += n;
	}
	free(buf);
	return num;
}

struct send_ctx {
	struct ike_engine *e;
	const struct sockaddr_storage *from, *to;
};

static int send_piece(void *ctx, const uint8_t *buf, size_t len)
{
	struct send_ctx *s = ctx;

	return s->e->env.send(s->e->env.ctx, s->from, s->to, buf, len);
}

int frag_send(struct ike_engine *e, struct p1sa *sa,
	      const struct sockaddr_storage *from,
	      const struct sockaddr_storage *to, const uint8_t *buf,
	      size_t len, uint16_t *id)
{
	struct send_ctx s = { e, from, to };
	const struct ike_conn *c;
	size_t room;
	int n;

	if (!sa || !sa->conn)
		goto whole;
	c = &sa->conn->c;
	if (c->frag == IKE_FRAG_NO ||
	    (c->frag == IKE_FRAG_YES && !sa->peer_frag))
		goto whole;
	room = frag_room(from, to, c->frag_size);
	if (len <= room)
		goto whole;
	if (!*id) {
		if (!++sa->frag_id)
			sa->frag_id = 1;
		*id = sa->frag_id;
	}
	n = frag_split(buf, len, room, *id, send_piece, &s);
	if (n > 0) {
		log_dbg("%s %zu bytes sent in %d fragments (ID %u)",
			msg_ck(sa), len, n, *id);
		return 0;
	}
	/* A piece that did not go: the whole would not either; resent later. */
	if (n == -2)
		return -1;
	log_warn("%s %zu-byte message needs more than %d fragments of %zu "
		 "bytes: sent whole", msg_ck(sa), len, FRAG_MAX_PIECES, room);
whole:
	return e->env.send(e->env.ctx, from, to, buf, len);
}

/* ---- reassembly ---- */

static void reasm_free(struct frag_reasm *r)
{
	isakmp_reasm_clear(&r->p);
	free(r);
}

static void reasm_unlink(struct ike_engine *e, struct frag_reasm *r)
{
	struct frag_reasm **pp;

	for (pp = &e->frags; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	reasm_free(r);
}

static void reasm_drop_stale(struct ike_engine *e, uint64_t now)
{
	struct frag_reasm *r, *next;

	for (r = e->frags; r; r = next) {
		next = r->next;
		if (now >= r->started_ms + FRAG_TIMEOUT_MS)
			reasm_unlink(e, r);
	}
}

/*
 * Room for one more reassembly. Pieces come unauthenticated, so one
 * whose cookies name none of our ISAKMP SAs (a fragmented MM1 or AM1,
 * or a forgery) may only displace another such, of its own source first
 * (at most FRAG_MAX_UNKNOWN_PER_SOURCE each): an off-path sender cannot
 * evict a peer's message, as it cannot know the SA's cookies. Returns
 * false when there is no room for it.
 */
static bool reasm_room(struct ike_engine *e,
		       const struct sockaddr_storage *from, bool known)
{
	struct frag_reasm *r, *old_any = NULL, *old_unknown = NULL;
	struct frag_reasm *old_same = NULL;
	int n = 0, same = 0;

	for (r = e->frags; r; r = r->next) {
		n++;
		if (!old_any || r->started_ms < old_any->started_ms)
			old_any = r;
		if (r->known)
			continue;
		if (!old_unknown || r->started_ms < old_unknown->started_ms)
			old_unknown = r;
		if (conn_addr_equal(&r->from, from, false)) {
			same++;
			if (!old_same || r->started_ms < old_same->started_ms)
				old_same = r;
		}
	}
	if (!known && same >= FRAG_MAX_UNKNOWN_PER_SOURCE) {
		reasm_unlink(e, old_same);
		return true;
	}
	if (n < FRAG_MAX_PENDING)
		return true;
	if (old_unknown)
		reasm_unlink(e, old_unknown);
	else if (known)
		reasm_unlink(e, old_any);
	else
		return false;
	return true;
}

static struct frag_reasm *reasm_find(struct ike_engine *e,
				     const struct sockaddr_storage *from,
				     const uint8_t *cookies, uint16_t id)
{
	struct frag_reasm *r;

	for (r = e->frags; r; r = r->next)
		if (r->id == id && !memcmp(r->cookies, cookies, 16) &&
		    conn_addr_equal(&r->from, from, true))
			return r;
	return NULL;
}

/* Every piece is here: the message they carry, or 0 if none. */
static int reasm_done(struct ike_engine *e, struct frag_reasm *r,
		      uint8_t **msg, size_t *msg_len)
{
	const char *refused;
	char a[64];

	ike_addr_str(&r->from, a, sizeof(a));
	log_dbg("fragments from %s: message of %zu bytes in %u pieces (ID %u)",
		a, r->p.total, r->p.last, r->id);
	*msg = isakmp_reasm_join(&r->p, r->cookies, msg_len, &refused);
	if (refused)
		log_warn_rl("fragments from %s (ID %u) carry %s, dropped", a,
			    r->id, refused);
	reasm_unlink(e, r);
	return *msg ? 1 : 0;
}

int frag_input(struct ike_engine *e, const struct sockaddr_storage *from,
	       const uint8_t *buf, size_t len, uint8_t **msg, size_t *msg_len)
{
	struct isakmp_frag f;
	struct frag_reasm *r;
	char a[64];

	ike_addr_str(from, a, sizeof(a));
	if (isakmp_frag_parse(buf, len, &f)) {
		log_warn_rl("fragment from %s: malformed or truncated "
			    "(%zu bytes), dropped", a, len);
		return 0;
	}
	reasm_drop_stale(e, env_now(e));
	r = reasm_find(e, from, buf, f.id);
	if (!r) {
		bool known = sa_p1_find(e, buf, buf + 8) != NULL;

		if (!reasm_room(e, from, known)) {
			log_warn_rl("fragment from %s: %d messages of unknown "
				    "ISAKMP SAs pending, dropped", a,
				    FRAG_MAX_PENDING);
			return 0;
		}
		r = calloc(1, sizeof(*r));
		if (!r)
			return 0;
		r->known = known;
		r->from = *from;
		memcpy(r->cookies, buf, 16);
		r->id = f.id;
		r->started_ms = env_now(e);
		r->next = e->frags;
		e->frags = r;
	}
	switch (isakmp_reasm_add(&r->p, &f)) {
	case REASM_DONE:
		return reasm_done(e, r, msg, msg_len);
	case REASM_TWO_LAST:
		log_warn_rl("fragment from %s: two last pieces of ID %u, "
			    "dropped", a, f.id);
		reasm_unlink(e, r);
		return 0;
	case REASM_BOUNDS:
		log_warn_rl("fragment from %s: piece %u of ID %u out of "
			    "bounds, dropped", a, f.num, f.id);
		reasm_unlink(e, r);
		return 0;
	default:
		/* More to come, a copy (the first stays), or no memory. */
		return 0;
	}
}

void frag_free_all(struct ike_engine *e)
{
	while (e->frags) {
		struct frag_reasm *r = e->frags;

		e->frags = r->next;
		reasm_free(r);
	}
}
