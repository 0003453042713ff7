/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two engines on the mock kernel backend (kernel/mock.c), for the tests of
 * what reads the kernel back: DPD (the inbound SAs' last use), carrier and
 * recovery. Datagrams go through an in-memory queue that a test can cut;
 * the clock is fake (ms) and the kernel's wall clock follows it. Log lines
 * are kept, each prefixed with the side that logged it ("A: ", "B: ").
 */
#ifndef ESPTUND_TESTS_MOCK_PAIR_H
#define ESPTUND_TESTS_MOCK_PAIR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ike/engine.h"
#include "ike/ikev1.h"
#include "ike/proposal.h"
#include "kernel/backend.h"
#include "log.h"

#define PAIR_MAX_PKT	64
/* The kernel's epoch seconds at fake time 0. */
#define PAIR_WALL_BASE	1700000000ULL

struct pair_side {
	struct ike_engine *eng;
	struct kernel *k;
	struct sockaddr_storage addr;
	int nsent;
	int carrier_calls;
	uint8_t first_sent[2048];
	size_t first_len;
};

struct pair_pkt {
	int from;
	uint8_t buf[4096];
	size_t len;
};

static struct pair_side P[2];
static struct pair_pkt pq[PAIR_MAX_PKT];
static int pqn;
static uint64_t pair_now;
static bool pair_cut;		/* every datagram is lost */
static int pair_cur = -1;	/* side running, for log lines */
static char pair_log[1 << 17];
static size_t pair_loglen;

static inline void pair_sink(enum log_level lvl, const char *line, void *arg)
{
	size_t n = strlen(line);

	if (getenv("PAIR_VERBOSE"))
		printf("# %c: %s\n", pair_cur < 0 ? '-' : "AB"[pair_cur], line);
	if (pair_loglen + n + 4 >= sizeof(pair_log))
		return;
	pair_log[pair_loglen++] = pair_cur < 0 ? '-' : "AB"[pair_cur];
	pair_log[pair_loglen++] = ':';
	pair_log[pair_loglen++] = ' ';
	memcpy(pair_log + pair_loglen, line, n);
	pair_loglen += n;
	pair_log[pair_loglen++] = '\n';
	pair_log[pair_loglen] = 0;
}

/* s logged by side i ("A: ..." lines) since the last pair_log_clear(). */
static inline int pair_logged_n(int i, const char *s)
{
	const char *p = pair_log;
	int n = 0;

	while ((p = strstr(p, s))) {
		const char *bol = p;

		while (bol > pair_log && bol[-1] != '\n')
			bol--;
		if (*bol == "AB"[i])
			n++;
		p++;
	}
	return n;
}

static inline bool pair_logged(int i, const char *s)
{
	return pair_logged_n(i, s) > 0;
}

static inline void pair_log_clear(void)
{
	pair_loglen = 0;
	pair_log[0] = 0;
}

static inline int pair_side_of(void *ctx)
{
	return (struct pair_side *)ctx == &P[0] ? 0 : 1;
}

static inline int pair_send(void *ctx, const struct sockaddr_storage *from,
		     const struct sockaddr_storage *to, const uint8_t *buf,
		     size_t len)
{
	struct pair_side *s = ctx;

	if (!s->nsent && len <= sizeof(s->first_sent)) {
		memcpy(s->first_sent, buf, len);
		s->first_len = len;
	}
	s->nsent++;
	if (pqn >= PAIR_MAX_PKT || len > sizeof(pq[0].buf))
		return -1;
	pq[pqn].from = pair_side_of(ctx);
	memcpy(pq[pqn].buf, buf, len);
	pq[pqn].len = len;
	pqn++;
	return 0;
}

static inline uint64_t pair_now_ms(void *ctx)
{
	return pair_now;
}

static inline uint64_t pair_wall(void)
{
	return PAIR_WALL_BASE + pair_now / 1000;
}

static inline int pair_get_spi(void *ctx, const struct ike_conn *c, uint32_t *spi)
{
	struct pair_side *s = ctx;

	return kernel_spi_alloc(s->k, c->ifname, &c->local, spi);
}

static inline int pair_add_sa(void *ctx, const struct ike_conn *c,
		       const struct ike_kernel_sa *sa)
{
	return kernel_sa_add(((struct pair_side *)ctx)->k, c->ifname, sa);
}

static inline int pair_del_sa(void *ctx, const struct ike_conn *c,
		       enum ike_sa_dir dir, uint32_t spi)
{
	return kernel_sa_del(((struct pair_side *)ctx)->k, c->ifname, dir, spi);
}

/* As esptund's main.c: idle time from the kernel's last use. */
static inline int pair_sa_idle(void *ctx, const struct ike_conn *c, uint32_t spi,
			uint64_t *idle_ms)
{
	struct pair_side *s = ctx;
	uint64_t last;
	int r = kernel_sa_last_use(s->k, c->ifname, IKE_DIR_IN, spi, &last);

	if (r)
		return r;
	*idle_ms = !last ? UINT64_MAX :
		   pair_wall() > last ? (pair_wall() - last) * 1000 : 0;
	return 0;
}

static inline int pair_set_carrier(void *ctx, const struct ike_conn *c, bool on)
{
	struct pair_side *s = ctx;

	s->carrier_calls++;
	return kernel_dev_carrier(s->k, c->ifname, on);
}

static struct kernel_mock *pair_mock(int i)
{
	return (struct kernel_mock *)P[i].k;
}

static inline void pair_mkaddr(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(500);
	inet_pton(AF_INET, ip, &s4->sin_addr);
}

/* A fresh engine and kernel for side i, as after a reboot. */
static inline void pair_side_new(int i)
{
	static const char *ips[2] = { "192.0.2.1", "192.0.2.2" };
	struct ike_env env = {
		.ctx = &P[i], .send = pair_send, .now_ms = pair_now_ms,
		.get_spi = pair_get_spi, .add_sa = pair_add_sa,
		.del_sa = pair_del_sa, .sa_idle = pair_sa_idle,
		.set_carrier = pair_set_carrier,
	};

	if (P[i].eng)
		ike_engine_free(P[i].eng);
	kernel_free(P[i].k);
	memset(&P[i], 0, sizeof(P[i]));
	pair_mkaddr(&P[i].addr, ips[i]);
	P[i].k = kernel_mock_new();
	/* Tell the sides' SPIs apart: A's inbound 0xa..., B's 0xb.... */
	pair_mock(i)->next_spi = i ? 0xb0000001 : 0xa0000001;
	P[i].eng = ike_engine_new(&env);
}

static inline void pair_setup(void)
{
	pair_side_new(0);
	pair_side_new(1);
	pqn = 0;
	pair_cut = false;
	pair_now = 1000000;
	pair_cur = -1;
	pair_log_clear();
	log_rate_reset();
}

/* Side i's conn "site" with DPD at its defaults. */
static inline void pair_conn(struct ike_conn *c, int i, enum ike_start start)
{
	char err[256];

	ike_conn_init(c);
	strcpy(c->name, "site");
	strcpy(c->ifname, "esp0");
	c->local = P[i].addr;
	c->remote = P[!i].addr;
	c->psk_len = 6;
	memcpy(c->psk, "s3cret", 6);
	c->n_ike = ike_proposals_parse("aes128-sha256-modp2048", c->ike,
				       IKE_MAX_PROPOSALS, err, sizeof(err));
	c->n_esp = esp_proposals_parse("aes128gcm16", c->esp,
				       IKE_MAX_PROPOSALS, err, sizeof(err));
	c->start = start;
	ike_ts_parse(i ? "10.2.0.0/16" : "10.1.0.0/16", &c->local_ts[0], err,
		     sizeof(err));
	ike_ts_parse(i ? "10.1.0.0/16" : "10.2.0.0/16", &c->remote_ts[0], err,
		     sizeof(err));
}

static inline void pair_add(int i, const struct ike_conn *c)
{
	pair_cur = i;
	ike_engine_add_conn(P[i].eng, c);
	pair_cur = -1;
}

static inline void pair_initiate(int i)
{
	pair_cur = i;
	ike_engine_initiate(P[i].eng, "site");
	pair_cur = -1;
}

static inline void pair_pump(void)
{
	int guard = 0;

	while (pqn && guard++ < 1000) {
		struct pair_pkt p = pq[0];

		memmove(pq, pq + 1, sizeof(pq[0]) * (size_t)(pqn - 1));
		pqn--;
		if (pair_cut)
			continue;
		pair_cur = !p.from;
		ike_engine_input(P[!p.from].eng, &P[p.from].addr,
				 &P[!p.from].addr, p.buf, p.len);
		pair_cur = -1;
	}
}

static inline void pair_timers(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		pair_cur = i;
		ike_engine_run_timers(P[i].eng);
		pair_cur = -1;
	}
}

/* Pump, then move the clock to each next timer, up to ms from now. */
static inline void pair_run(uint64_t ms)
{
	uint64_t end = pair_now + ms;

	for (;;) {
		int64_t t0, t1, t;

		pair_pump();
		t0 = ike_engine_next_timeout_ms(P[0].eng);
		t1 = ike_engine_next_timeout_ms(P[1].eng);
		t = t0 < 0 ? t1 : t1 < 0 ? t0 : t0 < t1 ? t0 : t1;
		if (t < 0 || pair_now + (uint64_t)t > end)
			break;
		pair_now += (uint64_t)t;
		pair_timers();
	}
	pair_now = end;
	pair_timers();
	pair_pump();
}

/* Live SAs side i's kernel holds in direction dir. */
static inline int pair_n_sas(int i, enum ike_sa_dir dir)
{
	struct kernel_mock *m = pair_mock(i);
	int k, n = 0;

	for (k = 0; k < KERNEL_MOCK_MAX_SAS; k++)
		n += m->sas[k].live && m->sas[k].dir == dir;
	return n;
}

/* SPI of side i's live SA in direction dir (the first), 0 if none. */
static inline uint32_t pair_spi(int i, enum ike_sa_dir dir)
{
	struct kernel_mock *m = pair_mock(i);
	int k;

	for (k = 0; k < KERNEL_MOCK_MAX_SAS; k++)
		if (m->sas[k].live && m->sas[k].dir == dir)
			return m->sas[k].spi;
	return 0;
}

/* ESP arrives at side i now: its inbound SAs take a packet. */
static inline void pair_esp_in(int i)
{
	struct kernel_mock *m = pair_mock(i);
	int k;

	for (k = 0; k < KERNEL_MOCK_MAX_SAS; k++)
		if (m->sas[k].live && m->sas[k].dir == IKE_DIR_IN)
			m->sas[k].last_use = pair_wall();
}

struct pair_st {
	char state[32];
	int nactive;
	char dpd[16];
	char action[16];
	int64_t last_ack;
	uint32_t ack_seq;
	uint32_t probes;
};

static inline void pair_st_cb(void *arg, const struct ike_status *s)
{
	struct pair_st *o = arg;
	int i;

	snprintf(o->state, sizeof(o->state), "%s", s->state);
	snprintf(o->dpd, sizeof(o->dpd), "%s", s->dpd ? s->dpd : "");
	snprintf(o->action, sizeof(o->action), "%s",
		 s->dpd_action ? s->dpd_action : "");
	o->last_ack = s->dpd_last_ack;
	o->ack_seq = s->dpd_ack_seq;
	o->probes = s->dpd_probes;
	for (i = 0; i < s->n_children; i++)
		o->nactive += !strcmp(s->children[i].state, "QM_ACTIVE");
}

static inline struct pair_st pair_status(int i)
{
	struct pair_st o;

	memset(&o, 0, sizeof(o));
	ike_engine_status(P[i].eng, pair_st_cb, &o);
	return o;
}

/* A (initiate) and B (listen), both with conns a and b, up. */
static inline void pair_establish(const struct ike_conn *a, const struct ike_conn *b)
{
	pair_add(0, a);
	pair_add(1, b);
	pair_initiate(0);
	/* Nothing lost: every message is answered without the clock. */
	pair_pump();
}

static inline void pair_free(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		ike_engine_free(P[i].eng);
		kernel_free(P[i].k);
		P[i].eng = NULL;
		P[i].k = NULL;
	}
}

#endif
