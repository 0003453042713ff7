// SPDX-License-Identifier: GPL-2.0
/*
 * IKE fragmentation: pieces cut to size with the right headers, the
 * bounded reassembly (order, copies, bad pieces, timeouts, the pending
 * limit), and whole exchanges over a path that drops every datagram
 * larger than the fragment size: they come up when both ends allow
 * fragmentation, retransmit cut messages whole-piece, and fail without.
 */
#include "exchange_harness.h"
#include "ike/fragment.h"
#include "ike/ikev1.h"

#define ROOM576	(576 - 28)

static uint8_t msg[4000];

static void make_msg(size_t len, uint8_t fill)
{
	size_t i;

	memset(msg, 0, ISAKMP_HDR_LEN);
	for (i = 0; i < 16; i++)
		msg[i] = (uint8_t)(0x10 + i);
	msg[16] = ISAKMP_NP_ID;
	msg[17] = 0x10;
	msg[18] = ISAKMP_XCHG_IDPROT;
	msg[19] = ISAKMP_FLAG_E;
	isakmp_put32(msg + 24, (uint32_t)len);
	for (i = ISAKMP_HDR_LEN; i < len; i++)
		msg[i] = (uint8_t)(fill + i * 7);
}

struct pieces {
	int n;
	uint8_t buf[FRAG_MAX_PIECES + 1][2048];
	size_t len[FRAG_MAX_PIECES + 1];
};

static int collect(void *ctx, const uint8_t *buf, size_t len)
{
	struct pieces *p = ctx;

	if (p->n > FRAG_MAX_PIECES || len > sizeof(p->buf[0]))
		return -1;
	memcpy(p->buf[p->n], buf, len);
	p->len[p->n++] = len;
	return 0;
}

/* Side n takes a piece from the other side; out may be NULL. */
static int feed(int n, const uint8_t *buf, size_t len, uint8_t **out,
		size_t *out_len)
{
	uint8_t *m = NULL;
	size_t l = 0;
	int r = frag_input(S[n].eng, &S[!n].addr, buf, len, &m, &l);

	if (out) {
		*out = m;
		*out_len = l;
	} else {
		free(m);
	}
	return r;
}

static void t_room(void)
{
	struct sockaddr_storage a, b;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;

	mkaddr(&a, "192.0.2.1");
	mkaddr(&b, "192.0.2.2");
	is_int(frag_room(&a, &b, 0), 1280 - 28, "IPv4, port 500: 1252");
	is_int(frag_room(&a, &b, 576), 548, "IPv4, size 576: 548");
	((struct sockaddr_in *)&b)->sin_port = htons(4500);
	is_int(frag_room(&a, &b, 0), 1280 - 32, "IPv4, port 4500: marker too");
	memset(&a, 0, sizeof(a));
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(500);
	is_int(frag_room(&b, &a, 0), 1232 - 48 - 4,
	       "IPv6 to port 500 from 4500: 1180");
}

static void t_split(void)
{
	struct pieces p = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 0, data = ROOM576 - ISAKMP_HDR_LEN - FRAG_HDR_LEN;
	int n, i, bad = 0, done = 0, order[] = { 2, 0, 4, 1, 3 };

	setup();
	make_msg(2500, 3);
	n = frag_split(msg, 2500, ROOM576, 7, collect, &p);
	is_int(n, (int)((2500 + data - 1) / data), "2500 bytes in %zu-byte slices",
	       data);
	for (i = 0; i < n; i++) {
		const uint8_t *b = p.buf[i];

		bad += p.len[i] > ROOM576 || memcmp(b, msg, 16) ||
		       b[16] != ISAKMP_NP_FRAG || b[18] != ISAKMP_XCHG_IDPROT ||
		       (b[19] & ISAKMP_FLAG_E) ||
		       isakmp_get32(b + 24) != p.len[i] || b[28] ||
		       (size_t)(b[30] << 8 | b[31]) != p.len[i] - 28 ||
		       (b[32] << 8 | b[33]) != 7 || b[34] != i + 1 ||
		       b[35] != (i == n - 1 ? FRAG_FLAG_LAST : 0);
	}
	is_int(bad, 0, "every piece: header copied, np 132, no E flag, "
	       "lengths, ID 7, numbers from 1, the last flagged");
	for (i = 0; i < n; i++) {
		int r = feed(1, p.buf[order[i]], p.len[order[i]], &out,
			     &out_len);

		if (r == 1)
			done = i + 1;
	}
	is_int(done, n, "out of order: complete with the last piece fed");
	ok(out && out_len == 2500 && !memcmp(out, msg, 2500),
	   "reassembled: the original bytes");
	free(out);
	ok(!S[1].eng->frags, "nothing left pending");

	p.n = 0;
	make_msg(3000, 1);
	is_int(frag_split(msg, 3000, 200, 1, collect, &p), -1,
	       "more than %d pieces: refused", FRAG_MAX_PIECES);
	/* A piece that cannot be sent: said so, not "too many". */
	p.n = FRAG_MAX_PIECES + 1;
	make_msg(1500, 1);
	is_int(frag_split(msg, 1500, ROOM576, 2, collect, &p), -2,
	       "a piece that cannot be sent: its own error");
}

/* Feeds pieces [from..to) of p; returns how many completed a message. */
static int feed_range(int side, struct pieces *p, int from, int to)
{
	uint8_t *out;
	size_t out_len;
	int i, done = 0;

	for (i = from; i < to; i++)
		if (feed(side, p->buf[i], p->len[i], &out, &out_len) == 1) {
			done++;
			free(out);
		}
	return done;
}

static int pending(int side)
{
	int n = 0;

	for (struct frag_reasm *r = S[side].eng->frags; r; r = r->next)
		n++;
	return n;
}

/* Feeds pieces [from..to) as if sent from 198.51.100.<src>. */
static int feed_from(int side, int src, struct pieces *p, int from, int to)
{
	struct sockaddr_storage a;
	char ip[32];
	uint8_t *out;
	size_t out_len;
	int i, done = 0;

	snprintf(ip, sizeof(ip), "198.51.100.%d", src + 1);
	mkaddr(&a, ip);
	for (i = from; i < to; i++)
		if (frag_input(S[side].eng, &a, p->buf[i], p->len[i], &out,
			       &out_len) == 1) {
			done++;
			free(out);
		}
	return done;
}

static void t_bounds(void)
{
	struct pieces p = { 0 }, o = { 0 };
	uint8_t piece[2048];
	int n, i;

	setup();
	make_msg(1500, 5);
	n = frag_split(msg, 1500, ROOM576, 1, collect, &p);
	/* A copy of the first piece changes nothing. */
	feed_range(1, &p, 0, 1);
	memcpy(piece, p.buf[0], p.len[0]);
	piece[40] ^= 0xff;
	feed(1, piece, p.len[0], NULL, NULL);
	is_int(feed_range(1, &p, 1, n), 1, "a second copy of piece 1 ignored");

	/* A second last piece spoils the reassembly. */
	setup();
	feed_range(1, &p, n - 1, n);
	memcpy(piece, p.buf[n - 1], p.len[n - 1]);
	piece[34] = (uint8_t)(n + 1);
	feed(1, piece, p.len[n - 1], NULL, NULL);
	ok(logged("two last pieces of ID 1"), "a second last piece: logged");
	is_int(feed_range(1, &p, 0, n - 1), 0,
	       "the reassembly was dropped: the other pieces make no message");

	/* Number 0, number 17, lengths that lie: dropped. */
	setup();
	memcpy(piece, p.buf[0], p.len[0]);
	piece[34] = 0;
	feed(1, piece, p.len[0], NULL, NULL);
	piece[34] = FRAG_MAX_PIECES + 1;
	feed(1, piece, p.len[0], NULL, NULL);
	piece[34] = 1;
	piece[31] ^= 1;
	feed(1, piece, p.len[0], NULL, NULL);
	is_int(count_logged("malformed"), 3, "number 0, 17, bad length: "
	       "three malformed pieces");
	ok(!S[1].eng->frags, "none of them kept");

	/* Pieces older than the timeout are forgotten. */
	setup();
	feed_range(1, &p, 0, n - 1);
	now_ms += FRAG_TIMEOUT_MS + 1;
	is_int(feed_range(1, &p, n - 1, n), 0,
	       "the last piece after %d ms: no message", FRAG_TIMEOUT_MS);

	/*
	 * Messages of no known ISAKMP SA: FRAG_MAX_UNKNOWN_PER_SOURCE per
	 * source (its oldest goes), FRAG_MAX_PENDING in all.
	 */
	setup();
	for (i = 0; i <= FRAG_MAX_UNKNOWN_PER_SOURCE; i++) {
		o.n = 0;
		make_msg(1500, 5);
		frag_split(msg, 1500, ROOM576, (uint16_t)(100 + i), collect,
			   &o);
		feed_range(1, &o, 0, 1);
		now_ms++;
	}
	is_int(pending(1), FRAG_MAX_UNKNOWN_PER_SOURCE,
	       "one source: %d pending at most", FRAG_MAX_UNKNOWN_PER_SOURCE);
	o.n = 0;
	frag_split(msg, 1500, ROOM576, 100, collect, &o);
	is_int(feed_range(1, &o, 1, o.n), 0,
	       "its oldest (ID 100) was dropped for the newest");
	o.n = 0;
	frag_split(msg, 1500, ROOM576, 100 + FRAG_MAX_UNKNOWN_PER_SOURCE,
		   collect, &o);
	is_int(feed_range(1, &o, 1, o.n), 1, "the newest completes");
	setup();
	for (i = 0; i < 3 * FRAG_MAX_PENDING; i++) {
		o.n = 0;
		frag_split(msg, 1500, ROOM576, (uint16_t)i, collect, &o);
		feed_from(1, i, &o, 0, 1);
		now_ms++;
	}
	is_int(pending(1), FRAG_MAX_PENDING, "many sources: %d pending at most",
	       FRAG_MAX_PENDING);

	/* Pieces whose payload is another message's: dropped. */
	setup();
	o.n = 0;
	make_msg(1500, 5);
	frag_split(msg, 1500, ROOM576, 9, collect, &o);
	o.buf[0][36] ^= 0x01;	/* first cookie byte of the carried message */
	is_int(feed_range(1, &o, 0, o.n), 0,
	       "carried message with other cookies: dropped");
	ok(logged("other cookies"), "and logged");

	/* Pieces that carry a fragment: no reassembly inside reassembly. */
	setup();
	o.n = 0;
	make_msg(1500, 5);
	msg[16] = ISAKMP_NP_FRAG;
	frag_split(msg, 1500, ROOM576, 10, collect, &o);
	is_int(feed_range(1, &o, 0, o.n), 0, "carried fragment: dropped");
	ok(logged("(ID 10) carry a fragment, dropped"), "and logged");
}

/* The path drops every datagram larger than a 576-byte packet. */
static int big, cut_seen;

static int small_path(int from, int nth, const uint8_t *buf, size_t len)
{
	if (len >= 17 && buf[16] == ISAKMP_NP_FRAG)
		cut_seen++;
	if (len > ROOM576) {
		big++;
		return 1;
	}
	return 0;
}

static int drop_once;

static int small_lossy(int from, int nth, const uint8_t *buf, size_t len)
{
	/* The first piece of A's first cut message is lost once. */
	if (!drop_once && from == 0 && buf[16] == ISAKMP_NP_FRAG &&
	    buf[34] == 1) {
		drop_once = 1;
		return 1;
	}
	return small_path(from, nth, buf, len);
}

static void pair(uint8_t fa, uint8_t fb, int (*f)(int, int, const uint8_t *,
						   size_t))
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp8192", "aes128gcm16", "frag-key");
	mkconn(&b, 1, "aes128-sha256-modp8192", "aes128gcm16", "frag-key");
	a.frag = fa;
	b.frag = fb;
	a.frag_size = b.frag_size = 576;
	big = cut_seen = 0;
	filter = f;
	start_pair(&a, &b);
	run(60000);
}

/*
 * A message of an established ISAKMP SA being reassembled survives a
 * flood of first pieces with other cookies from many sources; pieces of
 * a Quick Mode message say Identity Protection, message ID 0.
 */
static void t_known(struct st sb)
{
	struct pieces p = { 0 }, f = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 0;
	int i, bad = 0;

	make_msg(1500, 9);
	memcpy(msg, sb.ic, 8);
	memcpy(msg + 8, sb.rc, 8);
	msg[18] = ISAKMP_XCHG_QUICK;
	isakmp_put32(msg + 20, 0x12345678);
	frag_split(msg, 1500, ROOM576, 77, collect, &p);
	for (i = 0; i < p.n; i++)
		bad += p.buf[i][18] != ISAKMP_XCHG_IDPROT ||
		       isakmp_get32(p.buf[i] + 20) != 0;
	is_int(bad, 0, "pieces of a QM message: exchange ID_PROT, M-ID 0");
	feed(1, p.buf[0], p.len[0], NULL, NULL);
	for (i = 0; i < 4 * FRAG_MAX_PENDING; i++) {
		f.n = 0;
		make_msg(600, (uint8_t)i);
		frag_split(msg, 600, ROOM576, (uint16_t)i, collect, &f);
		now_ms++;
		feed_from(1, i, &f, 0, 1);
	}
	for (i = 1; i < p.n; i++)
		if (feed(1, p.buf[i], p.len[i], &out, &out_len) == 1)
			break;
	ok(out && out_len == 1500 && isakmp_get32(out + 20) == 0x12345678 &&
	   out[18] == ISAKMP_XCHG_QUICK,
	   "the SA's message completes after %d forged first pieces, with "
	   "its own header", 4 * FRAG_MAX_PENDING);
	free(out);
}

static void t_exchange(void)
{
	struct st sa, sb;

	pair(IKE_FRAG_YES, IKE_FRAG_YES, small_path);
	sa = status(0);
	sb = status(1);
	is_str(sa.state, "MM_ACTIVE", "yes/yes over the small path: "
	       "initiator MM_ACTIVE");
	is_str(sb.state, "MM_ACTIVE", "responder MM_ACTIVE");
	is_int(sa.nactive + sb.nactive, 2, "Quick Mode done");
	ok(cut_seen > 0, "messages went cut (%d pieces)", cut_seen);
	is_int(big, 0, "no datagram larger than the path takes");
	is_int(nwarn, 0, "no warnings or errors logged");
	t_known(sb);

	pair(IKE_FRAG_FORCE, IKE_FRAG_YES, small_lossy);
	sa = status(0);
	is_str(sa.state, "MM_ACTIVE",
	       "a lost piece: the cut message is retransmitted, up");
	ok(logged("retransmitting MM3"), "MM3 retransmitted");
	is_int(big, 0, "every retransmitted piece fits");

	pair(IKE_FRAG_YES, IKE_FRAG_NO, small_path);
	sa = status(0);
	ok(strcmp(sa.state, "MM_ACTIVE"),
	   "responder with fragmentation = no: no VID, nothing cut, not up "
	   "(%s)", sa.state[0] ? sa.state : "gone");
	is_int(cut_seen, 0, "no piece sent");
	ok(big > 0, "the large messages were lost (%d)", big);
	ok(logged("bytes, sent whole) left as IP fragments the path drops: "
		  "try fragmentation = force if the peer takes IKE fragments"),
	   "the failure names the whole message and the fix");
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_room();
	t_split();
	t_bounds();
	t_exchange();
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
