/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exchange test harness: two engines in one process, an in-memory
 * transport that can drop and duplicate datagrams, a fake clock, and a
 * mock kernel recording every get_spi/add_sa/del_sa. Included by each
 * test that drives two engines (one binary per test file).
 */
#ifndef ESPTUND_EXCHANGE_HARNESS_H
#define ESPTUND_EXCHANGE_HARNESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ike/engine.h"
#include "ike/proposal.h"
#include "log.h"

#define MAX_KSA	32
#define MAX_PKT	64

struct side {
	const char *name;
	struct ike_engine *eng;
	struct sockaddr_storage addr;
	uint32_t next_spi;
	struct ike_kernel_sa sa[MAX_KSA];	/* installed, in order */
	bool live[MAX_KSA];
	int nsa;
	int ndel;
	int nsent;
	bool fail_spi, fail_add;	/* the mock kernel refuses */
	uint8_t last_sent[2][4096];
	size_t last_len[2];
};

struct pkt {
	int from;
	uint8_t buf[4096];
	size_t len;
};

static struct side S[2];
static int sent_by[2];
static struct pkt q[MAX_PKT];
static int qn;
static uint64_t now_ms;
/* Filter: return 0 deliver, 1 drop, 2 deliver twice. */
static int (*filter)(int from, int nth, const uint8_t *buf, size_t len);
static char logbuf[65536];
static size_t loglen;
/* Warnings and errors logged since setup(). */
static int nwarn;
/* Randomness for both engines; NULL: GnuTLS's (a fuzzer makes it fixed). */
static void (*harness_random)(void *ctx, void *buf, size_t len);

static inline void sink(enum log_level lvl, const char *line, void *arg)
{
	size_t n = strlen(line);

	if (lvl <= LOG_LVL_WARNING)
		nwarn++;
	if (getenv("EXCHANGE_VERBOSE"))
		printf("# %s\n", line);
	if (loglen + n + 2 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, n);
		loglen += n;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = 0;
	}
}

static inline bool logged(const char *s)
{
	return strstr(logbuf, s) != NULL;
}

static inline int count_logged(const char *s)
{
	const char *p = logbuf;
	int n = 0;

	while ((p = strstr(p, s))) {
		n++;
		p++;
	}
	return n;
}

static inline int side_of(void *ctx)
{
	return (struct side *)ctx == &S[0] ? 0 : 1;
}

static inline int m_send(void *ctx, const struct sockaddr_storage *from,
			 const struct sockaddr_storage *to, const uint8_t *buf,
			 size_t len)
{
	struct side *s = ctx;
	int i = side_of(ctx);

	s->nsent++;
	memcpy(s->last_sent[0], s->last_sent[1], sizeof(s->last_sent[0]));
	s->last_len[0] = s->last_len[1];
	memcpy(s->last_sent[1], buf, len);
	s->last_len[1] = len;
	if (qn >= MAX_PKT || len > sizeof(q[0].buf))
		return -1;
	q[qn].from = i;
	memcpy(q[qn].buf, buf, len);
	q[qn].len = len;
	qn++;
	return 0;
}

static inline uint64_t m_now(void *ctx)
{
	return now_ms;
}

static inline int m_get_spi(void *ctx, const struct ike_conn *c, uint32_t *spi)
{
	if (((struct side *)ctx)->fail_spi)
		return -1;
	*spi = ((struct side *)ctx)->next_spi++;
	return 0;
}

static inline int m_add_sa(void *ctx, const struct ike_conn *c,
			   const struct ike_kernel_sa *sa)
{
	struct side *s = ctx;

	if (s->fail_add || s->nsa >= MAX_KSA)
		return -1;
	s->sa[s->nsa] = *sa;
	s->live[s->nsa++] = true;
	return 0;
}

static inline int m_del_sa(void *ctx, const struct ike_conn *c,
			   enum ike_sa_dir dir, uint32_t spi)
{
	struct side *s = ctx;
	int i;

	s->ndel++;
	for (i = 0; i < s->nsa; i++)
		if (s->live[i] && s->sa[i].dir == dir && s->sa[i].spi == spi) {
			s->live[i] = false;
			return 0;
		}
	return -1;
}

static inline void mkaddr(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(500);
	inet_pton(AF_INET, ip, &s4->sin_addr);
}

/* The module's per-SA last use, for the tests that need it (else none). */
static int (*harness_sa_used)(void *ctx, const struct ike_conn *c,
			      enum ike_sa_dir dir, uint32_t spi,
			      uint64_t *idle);

static inline void setup(void)
{
	static const char *ips[2] = { "192.0.2.1", "192.0.2.2" };
	int i;

	for (i = 0; i < 2; i++) {
		struct ike_env env = {
			.ctx = &S[i], .send = m_send, .now_ms = m_now,
			.get_spi = m_get_spi, .add_sa = m_add_sa,
			.del_sa = m_del_sa, .random = harness_random,
			.sa_used = harness_sa_used,
		};

		if (S[i].eng)
			ike_engine_free(S[i].eng);
		memset(&S[i], 0, sizeof(S[i]));
		S[i].name = i ? "B" : "A";
		S[i].next_spi = i ? 0xb0000001 : 0xa0000001;
		mkaddr(&S[i].addr, ips[i]);
		S[i].eng = ike_engine_new(&env);
	}
	qn = 0;
	sent_by[0] = sent_by[1] = 0;
	filter = NULL;
	loglen = 0;
	logbuf[0] = 0;
	nwarn = 0;
	now_ms = 1000000;
	log_rate_reset();
}

static inline void mkconn(struct ike_conn *c, int i, const char *ike,
			  const char *esp, const char *psk)
{
	char err[256];

	ike_conn_init(c);
	/* DPD has its own tests; its probes would move this clock. */
	c->dpd = false;
	strcpy(c->name, "site");
	strcpy(c->ifname, "esp0");
	c->local = S[i].addr;
	c->remote = S[!i].addr;
	c->psk_len = strlen(psk);
	memcpy(c->psk, psk, c->psk_len);
	c->n_ike = ike_proposals_parse(ike, c->ike, IKE_MAX_PROPOSALS, err,
				       sizeof(err));
	c->n_esp = esp_proposals_parse(esp, c->esp, IKE_MAX_PROPOSALS, err,
				       sizeof(err));
	if (c->n_ike < 1 || c->n_esp < 1)
		printf("# bad test proposals: %s\n", err);
	ike_ts_parse(i ? "10.2.0.0/16" : "10.1.0.0/16", &c->local_ts[0], err,
		     sizeof(err));
	ike_ts_parse(i ? "10.1.0.0/16" : "10.2.0.0/16", &c->remote_ts[0], err,
		     sizeof(err));
}

/* Side 0 gets @a, side 1 @b; side 0 starts negotiating conn "site". */
static inline void start_pair(const struct ike_conn *a,
			      const struct ike_conn *b)
{
	ike_engine_add_conn(S[0].eng, a);
	ike_engine_add_conn(S[1].eng, b);
	ike_engine_initiate(S[0].eng, "site");
}


/* Deliver queued datagrams until none are left. */
static inline void pump(void)
{
	int guard = 0;

	while (qn && guard++ < 1000) {
		struct pkt p = q[0];
		int f = 0, k;

		memmove(q, q + 1, sizeof(q[0]) * (size_t)(qn - 1));
		qn--;
		sent_by[p.from]++;
		if (filter)
			f = filter(p.from, sent_by[p.from], p.buf, p.len);
		if (f == 1)
			continue;
		for (k = 0; k < (f == 2 ? 2 : 1); k++)
			ike_engine_input(S[!p.from].eng, &S[p.from].addr,
					 &S[!p.from].addr, p.buf, p.len);
	}
}

/* Pump, then jump the clock to each next timer, up to limit_ms. */
static inline void run(uint64_t limit_ms)
{
	uint64_t end = now_ms + limit_ms;

	for (;;) {
		int64_t t0, t1, t;

		pump();
		t0 = ike_engine_next_timeout_ms(S[0].eng);
		t1 = ike_engine_next_timeout_ms(S[1].eng);
		t = t0 < 0 ? t1 : t1 < 0 ? t0 : t0 < t1 ? t0 : t1;
		if (t < 0 || now_ms + (uint64_t)t > end)
			break;
		now_ms += (uint64_t)t;
		ike_engine_run_timers(S[0].eng);
		ike_engine_run_timers(S[1].eng);
	}
	pump();
}

struct st {
	char state[32];
	int nchild;
	int nactive;
	char algs[64];
	char child_algs[64];
	uint8_t ic[8], rc[8];
	int64_t child_life;
	struct ike_diag diag;		/* zero when not recorded */
};

static inline void st_cb(void *arg, const struct ike_status *s)
{
	struct st *o = arg;
	int i;

	snprintf(o->state, sizeof(o->state), "%s", s->state);
	snprintf(o->algs, sizeof(o->algs), "%s", s->algs);
	memcpy(o->ic, s->icookie, 8);
	memcpy(o->rc, s->rcookie, 8);
	o->nchild = s->n_children;
	o->nactive = 0;
	if (s->diag)
		o->diag = *s->diag;
	for (i = 0; i < s->n_children; i++)
		if (!strcmp(s->children[i].state, "QM_ACTIVE")) {
			o->nactive++;
			snprintf(o->child_algs, sizeof(o->child_algs), "%s",
				 s->children[i].algs);
			o->child_life = s->children[i].lifetime_left;
		}
}

static inline struct st status(int i)
{
	struct st o;

	memset(&o, 0, sizeof(o));
	ike_engine_status(S[i].eng, st_cb, &o);
	return o;
}

static inline int live_count(int i, enum ike_sa_dir dir)
{
	int k, n = 0;

	for (k = 0; k < S[i].nsa; k++)
		n += S[i].live[k] && S[i].sa[k].dir == dir;
	return n;
}

static inline const struct ike_kernel_sa *live_sa(int i, enum ike_sa_dir dir)
{
	int k;

	for (k = 0; k < S[i].nsa; k++)
		if (S[i].live[k] && S[i].sa[k].dir == dir)
			return &S[i].sa[k];
	return NULL;
}

/* One SA pair per direction, A's in = B's out with the same keys. */
static inline void check_mirror(const char *what)
{
	const struct ike_kernel_sa *ai = live_sa(0, IKE_DIR_IN);
	const struct ike_kernel_sa *ao = live_sa(0, IKE_DIR_OUT);
	const struct ike_kernel_sa *bi = live_sa(1, IKE_DIR_IN);
	const struct ike_kernel_sa *bo = live_sa(1, IKE_DIR_OUT);

	ok(live_count(0, IKE_DIR_IN) == 1 && live_count(0, IKE_DIR_OUT) == 1 &&
	   live_count(1, IKE_DIR_IN) == 1 && live_count(1, IKE_DIR_OUT) == 1,
	   "%s: exactly one SA per direction on each side", what);
	if (!ai || !ao || !bi || !bo)
		return;
	ok(ai->spi == bo->spi && ao->spi == bi->spi,
	   "%s: A in %08x = B out, A out %08x = B in", what, ai->spi, ao->spi);
	ok(ai->spi >> 28 == 0xa && bi->spi >> 28 == 0xb,
	   "%s: inbound SPIs come from each side's kernel", what);
	ok(ai->enc_key_len == bo->enc_key_len &&
	   !memcmp(ai->enc_key, bo->enc_key, ai->enc_key_len) &&
	   ai->auth_key_len == bo->auth_key_len &&
	   !memcmp(ai->auth_key, bo->auth_key, ai->auth_key_len),
	   "%s: A->B keys agree", what);
	ok(ao->enc_key_len == bi->enc_key_len &&
	   !memcmp(ao->enc_key, bi->enc_key, ao->enc_key_len) &&
	   !memcmp(ao->auth_key, bi->auth_key, ao->auth_key_len),
	   "%s: B->A keys agree", what);
	ok(memcmp(ai->enc_key, ao->enc_key, ai->enc_key_len) != 0,
	   "%s: the two directions have different keys", what);
	ok(!strcmp(ai->enc_alg, bo->enc_alg) &&
	   !strcmp(ai->auth_alg, bo->auth_alg),
	   "%s: same algorithms (%s %s)", what, ai->enc_alg, ai->auth_alg);
}

static inline void establish(const char *ike, const char *esp, bool weak)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, ike, esp, "s3cret");
	mkconn(&b, 1, ike, esp, "s3cret");
	a.allow_weak = b.allow_weak = weak;
	start_pair(&a, &b);
	run(60000);
}


#endif
