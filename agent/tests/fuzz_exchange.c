// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the initiator's and the responder's state machines.
 * Two engines (the exchange harness, mock kernel, fake clock, fixed
 * randomness) run a genuine Main Mode or Aggressive Mode and Quick Mode
 * and stop after a chosen number of messages; the fuzzer's datagrams go
 * to either engine, then the genuine exchange carries on.
 *
 * Input: stage byte, flags byte, then datagrams, each preceded by its
 * length (two bytes, big endian; the last takes what is left).
 *   stage: bit 0 Aggressive Mode; the rest, modulo the exchange's length
 *          plus one, how many genuine messages were delivered first.
 *   flags: FL_COOKIES and FL_MSGID copy the genuine next message's (or,
 *          when established, the last one's) cookies and Message ID into
 *          each datagram, so that mutations reach the states behind them;
 *          FL_OTHER sends to the other engine than the next message's
 *          receiver; FL_STRANGER sends from an unknown address instead of
 *          the peer's.
 *
 * The oracle besides the sanitizers: nothing an attacker without the keys
 * can send removes state. After the datagrams, every kernel SA and an
 * established ISAKMP SA are still there; the genuine messages held back
 * then complete the exchange (once the next one is encrypted, without
 * any retransmission; before that, forged cleartext may cost a retry,
 * so the engines get their timers), each direction's SA pair agreeing.
 *
 * ESPTUN_FUZZ_WRITE_SEEDS=DIR writes the genuine messages of each stage
 * as inputs into DIR and exits (the committed seeds come from it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isakmp/isakmp.h"
#include "exchange_harness.h"

#define FL_COOKIES	0x01
#define FL_MSGID	0x02
#define FL_OTHER	0x04
#define FL_STRANGER	0x08

#define MAX_DGRAMS	8

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng;

/* xorshift64*: the same cookies, nonces and DH values every run. */
static void fixed_random(void *ctx, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		b[i] = (uint8_t)((rng * 0x2545f4914f6cdd1dULL) >> 56);
	}
}

/* ESPTUN_FUZZ_VERBOSE=1 shows the engines' log (to read a crash). */
static void quiet(enum log_level lvl, const char *line, void *arg)
{
	if (arg)
		fprintf(stderr, "%s\n", line);
}

/* Messages of the whole exchange: MM1..MM6 or AM1..AM3, then QM1..QM3. */
static int exchange_len(bool aggressive)
{
	return aggressive ? 6 : 9;
}

/* Whether the nth message (from 0) is encrypted and authenticated. */
static bool keyed(bool aggressive, int nth)
{
	return nth >= (aggressive ? 2 : 4);
}

static void begin(bool aggressive)
{
	struct ike_conn a, b;

	rng = 0x9e3779b97f4a7c15ULL;
	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16-modp2048", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16-modp2048", "k");
	a.start = IKE_START_INITIATE;
	if (aggressive) {
		a.mode = IKE_MODE_AGGRESSIVE;
		a.aggressive = true;
		b.aggressive = true;
	}
	start_pair(&a, &b);
}

static struct pkt last;

/* Deliver the first queued datagram. */
static void step(void)
{
	struct pkt p = q[0];

	memmove(q, q + 1, sizeof(q[0]) * (size_t)(qn - 1));
	qn--;
	last = p;
	ike_engine_input(S[!p.from].eng, &S[p.from].addr, &S[!p.from].addr,
			 p.buf, p.len);
}

struct before {
	struct st st[2];
	bool live[2][MAX_KSA];
};

static bool phase1_up(const struct st *s)
{
	return !strcmp(s->state, "MM_ACTIVE") || !strcmp(s->state, "AM_ACTIVE");
}

/* Kernel SAs live before are live now; an ISAKMP SA up is still up. */
static void still_there(const struct before *b, const char *when)
{
	int i, k;

	for (i = 0; i < 2; i++) {
		struct st now = status(i);

		for (k = 0; k < MAX_KSA; k++)
			if (b->live[i][k] && !S[i].live[k]) {
				fprintf(stderr, "%s: %s's SA %08x removed %s\n",
					__func__, S[i].name, S[i].sa[k].spi,
					when);
				abort();
			}
		if (phase1_up(&b->st[i]) &&
		    (!phase1_up(&now) || memcmp(now.ic, b->st[i].ic, 8) ||
		     memcmp(now.rc, b->st[i].rc, 8))) {
			fprintf(stderr, "%s: %s's ISAKMP SA %s -> %s %s\n",
				__func__, S[i].name, b->st[i].state, now.state,
				when);
			abort();
		}
	}
}

static bool same_keys(const struct ike_kernel_sa *in,
		      const struct ike_kernel_sa *out)
{
	return in->spi == out->spi && in->enc_key_len == out->enc_key_len &&
	       !memcmp(in->enc_key, out->enc_key, in->enc_key_len) &&
	       in->auth_key_len == out->auth_key_len &&
	       !memcmp(in->auth_key, out->auth_key, in->auth_key_len);
}

/* Side i's live inbound SAs include one whose sender has it outbound. */
static bool pair_agrees(int i)
{
	int k, m;

	for (k = 0; k < S[i].nsa; k++) {
		if (!S[i].live[k] || S[i].sa[k].dir != IKE_DIR_IN)
			continue;
		for (m = 0; m < S[!i].nsa; m++)
			if (S[!i].live[m] && S[!i].sa[m].dir == IKE_DIR_OUT &&
			    same_keys(&S[i].sa[k], &S[!i].sa[m]))
				return true;
	}
	return false;
}

static void complete(const char *how)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct st s = status(i);

		if (!phase1_up(&s) || s.nactive < 1 || !pair_agrees(i)) {
			fprintf(stderr, "%s: %s: %s, %d IPsec SAs up, "
				"inbound %s %s\n", __func__, how, s.state,
				s.nactive, pair_agrees(i) ? "matches" :
				"matches nothing", S[i].name);
			abort();
		}
	}
}

static void splice(uint8_t *d, size_t len, uint8_t flags,
		   const struct pkt *ref)
{
	if ((flags & FL_COOKIES) && len >= 16 && ref->len >= 16)
		memcpy(d, ref->buf, 16);
	if ((flags & FL_MSGID) && len >= 24 && ref->len >= 24)
		memcpy(d + 20, ref->buf + 20, 4);
}

static void write_seed(const char *dir, const char *name, uint8_t stage,
		       uint8_t flags, const struct pkt *p)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputc(stage, f);
	fputc(flags, f);
	fputc((int)(p->len >> 8), f);
	fputc((int)(p->len & 0xff), f);
	fwrite(p->buf, 1, p->len, f);
	fclose(f);
}

/*
 * For every stage: the genuine next message (delivered early, or to the
 * wrong engine) and a replay of the message before it, headers spliced.
 */
static void write_seeds(const char *dir)
{
	int am, k, n;

	for (am = 0; am < 2; am++) {
		n = exchange_len(am);
		for (k = 0; k <= n; k++) {
			uint8_t stage = (uint8_t)(k << 1 | am);
			char name[64];
			int i;

			begin(am);
			for (i = 0; i < k && qn; i++)
				step();
			if (qn) {
				snprintf(name, sizeof(name), "%s-%d-next",
					 am ? "am" : "mm", k);
				write_seed(dir, name, stage,
					   FL_COOKIES | FL_MSGID, &q[0]);
				snprintf(name, sizeof(name), "%s-%d-next-other",
					 am ? "am" : "mm", k);
				write_seed(dir, name, stage, FL_COOKIES |
					   FL_MSGID | FL_OTHER, &q[0]);
			}
			if (k) {
				snprintf(name, sizeof(name), "%s-%d-replay",
					 am ? "am" : "mm", k);
				write_seed(dir, name, stage, FL_COOKIES,
					   &last);
			}
		}
	}
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("ESPTUN_FUZZ_WRITE_SEEDS");

	log_set_sink(quiet, getenv("ESPTUN_FUZZ_VERBOSE"));
	harness_random = fixed_random;
	if (dir)
		write_seeds(dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t d[MAX_DGRAMS][4096];
	size_t dlen[MAX_DGRAMS];
	struct sockaddr_storage stranger;
	struct before b;
	struct pkt ref;
	bool am, next_keyed;
	uint8_t flags;
	int k, i, to, nd = 0;

	if (size < 2)
		return 0;
	am = data[0] & 1;
	k = (data[0] >> 1) % (exchange_len(am) + 1);
	flags = data[1];
	data += 2;
	size -= 2;
	while (size && nd < MAX_DGRAMS) {
		size_t l = size;

		if (nd < MAX_DGRAMS - 1 && size > 2) {
			l = (size_t)(data[0] << 8 | data[1]);
			data += 2;
			size -= 2;
			if (l > size)
				l = size;
		}
		if (l > sizeof(d[0]))
			l = sizeof(d[0]);
		memcpy(d[nd], data, l);
		dlen[nd++] = l;
		data += l;
		size -= l;
	}

	begin(am);
	for (i = 0; i < k && qn; i++)
		step();
	/* The genuine next message, or the last one once established. */
	ref = qn ? q[0] : last;
	to = qn ? !q[0].from : 1;
	if (flags & FL_OTHER)
		to = !to;
	next_keyed = keyed(am, k);
	mkaddr(&stranger, "203.0.113.7");

	for (i = 0; i < 2; i++) {
		b.st[i] = status(i);
		memcpy(b.live[i], S[i].live, sizeof(b.live[i]));
	}
	for (i = 0; i < nd; i++) {
		splice(d[i], dlen[i], flags, &ref);
		ike_engine_input(S[to].eng, flags & FL_STRANGER ? &stranger :
				 &S[!to].addr, &S[to].addr, d[i], dlen[i]);
	}
	still_there(&b, "by the fuzzed datagrams");

	/* What the genuine engines sent and were answered carries on. */
	pump();
	still_there(&b, "after the genuine messages");
	if (next_keyed || k == exchange_len(am)) {
		complete("without retransmission");
	} else {
		run(10 * 60 * 1000);
		still_there(&b, "after the timers");
		complete("after the timers");
	}
	return 0;
}
