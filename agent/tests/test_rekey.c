// SPDX-License-Identifier: GPL-2.0
/*
 * Rekeying between two engines in one process, each on the mock kernel
 * backend: the timing formula and its fuzz bounds, the order of kernel
 * installs, the outbound switch, removals and Deletes on one timeline
 * with the messages, both ends rekeying at once, a peer deleting the old
 * pair first, the soft-expire event, and a phase 1 rekey that leaves the
 * IPsec SAs alone.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ike/engine.h"
#include "ike/ikev1.h"
#include "ike/proposal.h"
#include "kernel/backend.h"
#include "log.h"

#define MAX_PKT		64
#define MAX_EV		512

struct side {
	struct ike_engine *eng;
	struct kernel *k;
	struct sockaddr_storage addr;
	char name;
};

struct pkt {
	int from;
	uint8_t buf[4096];
	size_t len;
};

/* One line per kernel call and per log line, with the time. */
struct ev {
	uint64_t t;
	int side;
	char what[200];
};

static struct side S[2];
static struct pkt q[MAX_PKT];
static int qn;
static uint64_t now_ms;
static struct ev tl[MAX_EV];
static int ntl;
/* Outbound SAs each side had when the timeline was last cleared. */
static int base_out[2];
static int cur_side;
static int (*filter)(int from, const uint8_t *buf, size_t len);

static void note(int side, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(int side, const char *fmt, ...)
{
	va_list ap;

	if (ntl >= MAX_EV)
		return;
	tl[ntl].t = now_ms;
	tl[ntl].side = side;
	va_start(ap, fmt);
	vsnprintf(tl[ntl].what, sizeof(tl[0].what), fmt, ap);
	va_end(ap);
	ntl++;
}

static void sink(enum log_level lvl, const char *line, void *arg)
{
	if (getenv("REKEY_VERBOSE"))
		printf("# %c %s\n", S[cur_side].name, line);
	note(cur_side, "log %s", line);
}

static int sidx(void *ctx)
{
	return (struct side *)ctx == &S[0] ? 0 : 1;
}

static int m_send(void *ctx, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *to, const uint8_t *buf,
		  size_t len)
{
	if (qn >= MAX_PKT || len > sizeof(q[0].buf))
		return -1;
	q[qn].from = sidx(ctx);
	memcpy(q[qn].buf, buf, len);
	q[qn].len = len;
	qn++;
	return 0;
}

static uint64_t m_now(void *ctx)
{
	return now_ms;
}

static int m_get_spi(void *ctx, const struct ike_conn *c, uint32_t *spi)
{
	struct side *s = ctx;

	return kernel_spi_alloc(s->k, c->ifname, &c->local, spi);
}

static int m_add_sa(void *ctx, const struct ike_conn *c,
		    const struct ike_kernel_sa *sa)
{
	struct side *s = ctx;

	note(sidx(ctx), "add %s %08x", sa->dir == IKE_DIR_IN ? "in" : "out",
	     sa->spi);
	return kernel_sa_add(s->k, c->ifname, sa);
}

static int m_del_sa(void *ctx, const struct ike_conn *c, enum ike_sa_dir dir,
		    uint32_t spi)
{
	struct side *s = ctx;

	note(sidx(ctx), "del %s %08x", dir == IKE_DIR_IN ? "in" : "out", spi);
	return kernel_sa_del(s->k, c->ifname, dir, spi);
}

static struct kernel_mock *mock(int i)
{
	return (struct kernel_mock *)S[i].k;
}

static void mkaddr(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(500);
	inet_pton(AF_INET, ip, &s4->sin_addr);
}

static void setup(void)
{
	static const char *ips[2] = { "192.0.2.1", "192.0.2.2" };
	int i;

	for (i = 0; i < 2; i++) {
		struct ike_env env = {
			.ctx = &S[i], .send = m_send, .now_ms = m_now,
			.get_spi = m_get_spi, .add_sa = m_add_sa,
			.del_sa = m_del_sa,
		};

		if (S[i].eng)
			ike_engine_free(S[i].eng);
		kernel_free(S[i].k);
		memset(&S[i], 0, sizeof(S[i]));
		S[i].name = i ? 'B' : 'A';
		S[i].k = kernel_mock_new();
		mock(i)->next_spi = i ? 0xb0000001 : 0xa0000001;
		mkaddr(&S[i].addr, ips[i]);
		S[i].eng = ike_engine_new(&env);
	}
	qn = 0;
	ntl = 0;
	filter = NULL;
	now_ms = 1000000;
	log_rate_reset();
}

static void mkconn(struct ike_conn *c, int i)
{
	char err[256];

	ike_conn_init(c);
	strcpy(c->name, "site");
	strcpy(c->ifname, "esp0");
	c->local = S[i].addr;
	c->remote = S[!i].addr;
	c->psk_len = 3;
	memcpy(c->psk, "key", 3);
	c->n_ike = ike_proposals_parse("aes128-sha256-modp2048", c->ike,
				       IKE_MAX_PROPOSALS, err, sizeof(err));
	c->n_esp = esp_proposals_parse("aes128gcm16", c->esp,
				       IKE_MAX_PROPOSALS, err, sizeof(err));
	ike_ts_parse(i ? "10.2.0.0/16" : "10.1.0.0/16", &c->local_ts[0], err,
		     sizeof(err));
	ike_ts_parse(i ? "10.1.0.0/16" : "10.2.0.0/16", &c->remote_ts[0], err,
		     sizeof(err));
	c->lifetime = 30;
	c->rekey_margin = 10;
	c->rekey_fuzz = 0;
}

static void pump(void)
{
	int guard = 0;

	while (qn && guard++ < 1000) {
		struct pkt p = q[0];

		memmove(q, q + 1, sizeof(q[0]) * (size_t)(qn - 1));
		qn--;
		if (filter && filter(p.from, p.buf, p.len))
			continue;
		cur_side = !p.from;
		ike_engine_input(S[!p.from].eng, &S[p.from].addr,
				 &S[!p.from].addr, p.buf, p.len);
	}
}

static void timers(int i)
{
	cur_side = i;
	ike_engine_run_timers(S[i].eng);
}

/* Pump, then move the clock to each next timer, until limit_ms passed. */
static void run(uint64_t limit_ms)
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
		timers(0);
		timers(1);
	}
	pump();
	now_ms = end;
}

static void start(struct ike_conn *a, struct ike_conn *b)
{
	ike_engine_add_conn(S[0].eng, a);
	ike_engine_add_conn(S[1].eng, b);
	cur_side = 0;
	ike_engine_initiate(S[0].eng, "site");
	run(2000);
}

struct st {
	int nactive, nreplaced;
	uint32_t in, out;
	uint32_t rekeys, ike_rekeys;
	int64_t next_rekey, ike_next_rekey;
	uint8_t ic[8];
	char state[32];
};

static void st_cb(void *arg, const struct ike_status *s)
{
	struct st *o = arg;
	int i;

	memset(o, 0, sizeof(*o));
	snprintf(o->state, sizeof(o->state), "%s", s->state);
	memcpy(o->ic, s->icookie, 8);
	o->rekeys = s->rekeys;
	o->ike_rekeys = s->ike_rekeys;
	o->next_rekey = s->next_rekey;
	o->ike_next_rekey = s->ike_next_rekey;
	for (i = 0; i < s->n_children; i++) {
		if (!strcmp(s->children[i].state, "QM_REPLACED"))
			o->nreplaced++;
		if (strcmp(s->children[i].state, "QM_ACTIVE"))
			continue;
		if (!o->nactive++) {
			o->in = s->children[i].spi_in;
			o->out = s->children[i].spi_out;
		}
	}
}

static struct st status(int i)
{
	struct st o;

	memset(&o, 0, sizeof(o));
	ike_engine_status(S[i].eng, st_cb, &o);
	return o;
}

/* Live SAs in the mock kernel of side i, replayed from its calls. */
static int live(int i, enum ike_sa_dir dir, uint32_t *spi)
{
	struct kernel_mock *m = mock(i);
	uint32_t l[KERNEL_MOCK_MAX_CALLS];
	int n = 0, k, j;

	for (k = 0; k < m->n_calls; k++) {
		const struct kernel_mock_call *c = &m->calls[k];

		if (c->dir != dir)
			continue;
		if (!strcmp(c->op, "sa_add")) {
			l[n++] = c->spi;
		} else if (!strcmp(c->op, "sa_del")) {
			for (j = 0; j < n; j++)
				if (l[j] == c->spi) {
					l[j] = l[--n];
					break;
				}
		}
	}
	if (spi && n)
		*spi = l[n - 1];
	return n;
}

/* Starts a new timeline, remembering what each side had. */
static void tl_reset(void)
{
	ntl = 0;
	base_out[0] = live(0, IKE_DIR_OUT, NULL);
	base_out[1] = live(1, IKE_DIR_OUT, NULL);
}

/* Exactly one pair on each side, A's in = B's out and the reverse. */
static bool one_pair(void)
{
	uint32_t ai = 0, ao = 0, bi = 0, bo = 0;

	if (live(0, IKE_DIR_IN, &ai) != 1 || live(0, IKE_DIR_OUT, &ao) != 1 ||
	    live(1, IKE_DIR_IN, &bi) != 1 || live(1, IKE_DIR_OUT, &bo) != 1)
		return false;
	return ai == bo && ao == bi;
}

/* The key material side i installed for (dir, spi), or NULL. */
static const struct ike_kernel_sa *added(int i, enum ike_sa_dir dir,
					 uint32_t spi)
{
	struct kernel_mock *m = mock(i);
	int k;

	for (k = m->n_calls - 1; k >= 0; k--)
		if (!strcmp(m->calls[k].op, "sa_add") &&
		    m->calls[k].dir == dir && m->calls[k].spi == spi)
			return &m->calls[k].sa;
	return NULL;
}

/* What A sends with B decrypts, and the reverse: same keys. */
static bool keys_agree(void)
{
	uint32_t ao = 0, bo = 0;
	const struct ike_kernel_sa *x, *y, *z, *w;

	live(0, IKE_DIR_OUT, &ao);
	live(1, IKE_DIR_OUT, &bo);
	x = added(0, IKE_DIR_OUT, ao);
	y = added(1, IKE_DIR_IN, ao);
	z = added(1, IKE_DIR_OUT, bo);
	w = added(0, IKE_DIR_IN, bo);
	return x && y && z && w && x->enc_key_len == y->enc_key_len &&
	       !memcmp(x->enc_key, y->enc_key, x->enc_key_len) &&
	       z->enc_key_len == w->enc_key_len &&
	       !memcmp(z->enc_key, w->enc_key, z->enc_key_len) &&
	       memcmp(x->enc_key, z->enc_key, x->enc_key_len);
}

/* Index of the first timeline entry at or after from matching. */
static int find(int from, int side, const char *what)
{
	int i;

	for (i = from; i < ntl; i++)
		if (tl[i].side == side && strstr(tl[i].what, what))
			return i;
	return -1;
}

static int count_logged(const char *s)
{
	int i, n = 0;

	for (i = 0; i < ntl; i++)
		n += strstr(tl[i].what, s) != NULL;
	return n;
}

/*
 * Replays the timeline: the side must never be without an outbound SA
 * once it had one, nor without an inbound SA the peer may still send on.
 */
static bool never_without_out(int side)
{
	int i, n = base_out[side];
	bool had = n > 0;

	for (i = 0; i < ntl; i++) {
		if (tl[i].side != side)
			continue;
		if (!strncmp(tl[i].what, "add out", 7)) {
			n++;
			had = true;
		} else if (!strncmp(tl[i].what, "del out", 7)) {
			n--;
			if (had && n < 1)
				return false;
		}
	}
	return had;
}

static void t_formula(void)
{
	uint64_t lo = UINT64_MAX, hi = 0, d;
	uint32_t r;

	is_int(rekey_delay_ms(30, 10, 0, 12345), 20000,
	       "formula: lifetime - margin without fuzz");
	is_int(rekey_delay_ms(30, 10, 100, 0), 20000, "formula: fuzz 0 drawn");
	is_int(rekey_delay_ms(30, 10, 100, 10000), 10000,
	       "formula: the whole margin drawn as fuzz");
	is_int(rekey_delay_ms(3600, 540, 100, 540000), 3600000 - 1080000,
	       "formula: defaults, largest fuzz");
	is_int(rekey_delay_ms(30, 540, 0, 0), 20000,
	       "formula: margin clamped to a third of the lifetime");
	is_int(rekey_delay_ms(60, 10, 50, 5000), 45000, "formula: 50%% fuzz");
	for (r = 0; r < 200000; r += 7) {
		d = rekey_delay_ms(3600, 540, 100, r * 2654435761u);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ok(lo >= 2520000 && hi <= 3060000 && hi - lo > 500000,
	   "formula: fuzz within [lifetime - 2 margin, lifetime - margin] "
	   "(%llu..%llu ms)", (unsigned long long)lo, (unsigned long long)hi);
}

/* Through the engine: the first rekey falls where the formula says. */
static void t_fuzz_bounds(void)
{
	int i, in_bounds = 0, spread = 0;
	int64_t first = -1;

	for (i = 0; i < 8; i++) {
		struct ike_conn a, b;
		uint64_t t0;
		int k;
		struct st s;

		setup();
		mkconn(&a, 0);
		mkconn(&b, 1);
		a.rekey_fuzz = 100;
		b.rekey = false;
		start(&a, &b);
		t0 = now_ms;
		s = status(0);
		run(25000);
		k = find(0, 0, "rekeying IPsec SA");
		if (k >= 0 && tl[k].t >= t0 + 10000 - 2000 &&
		    tl[k].t <= t0 + 20000 && s.next_rekey >= 8 &&
		    s.next_rekey <= 20)
			in_bounds++;
		if (first < 0)
			first = k >= 0 ? (int64_t)tl[k].t - (int64_t)t0 : -1;
		else if (k >= 0 && (int64_t)tl[k].t - (int64_t)t0 != first)
			spread = 1;
	}
	is_int(in_bounds, 8, "fuzz: every first rekey 10..20 s after "
	       "establishment, status agrees");
	ok(spread, "fuzz: the rekey moment varies");
}

/* side rekeys, the other follows; the order of everything. */
static void t_order(int r)
{
	struct ike_conn a, b;
	uint32_t old_in[2], old_out[2];
	struct st s;
	char w[64], who = r ? 'B' : 'A';
	int q3, addo, delo, deli, del_msg, radd_in, q2, oadd, odelo;

	setup();
	mkconn(&a, 0);
	mkconn(&b, 1);
	/* With PFS: the deferred outbound SA needs the DH secret too. */
	a.n_esp = esp_proposals_parse("aes128gcm16-modp2048", a.esp,
				      IKE_MAX_PROPOSALS, w, sizeof(w));
	b.n_esp = esp_proposals_parse("aes128gcm16-modp2048", b.esp,
				      IKE_MAX_PROPOSALS, w, sizeof(w));
	/* Only side r has timers that fire. */
	if (r)
		a.rekey = false;
	else
		b.rekey = false;
	start(&a, &b);
	ok(one_pair(), "order %c: established", who);
	s = status(0);
	old_in[0] = s.in;
	old_out[0] = s.out;
	s = status(1);
	old_in[1] = s.in;
	old_out[1] = s.out;
	tl_reset();
	run(55000);
	ok(one_pair(), "order %c: one pair after the rekeys", who);
	ok(keys_agree(), "order %c: each side decrypts what the other "
	   "encrypts (PFS keys of the deferred outbound SA)", who);
	s = status(r);
	ok(s.in != old_in[r] && s.out != old_out[r],
	   "order %c: new SPIs %08x/%08x", who, s.in, s.out);
	is_int(s.rekeys, 2, "order %c: rekeyed twice in 55 s", who);
	is_int(status(!r).rekeys, 2, "order %c: the peer counts them too",
	       who);
	ok(count_logged("rekeying IPsec SA") == 2 &&
	   find(0, !r, "rekeying IPsec SA") < 0,
	   "order %c: only %c started them", who, who);

	/* The first rekey, step by step. */
	q2 = find(0, !r, "QM2 sent");
	snprintf(w, sizeof(w), "add in %08x", status(!r).in);
	radd_in = find(0, !r, "add in ");
	ok(radd_in >= 0 && q2 > radd_in,
	   "order %c: responder's new inbound SA before QM2", who);
	q3 = find(0, r, "QM3 sent");
	ok(find(0, r, "add in ") < q3 && q3 > 0,
	   "order %c: initiator's new inbound SA before QM3", who);
	addo = find(q3, r, "add out ");
	ok(addo > q3 && tl[addo].t >= tl[q3].t + REKEY_SWITCH_MS,
	   "order %c: initiator moves outbound %u ms after QM3", who,
	   (unsigned int)(tl[addo].t - tl[q3].t));
	snprintf(w, sizeof(w), "del out %08x", old_out[r]);
	delo = find(0, r, w);
	ok(delo > addo, "order %c: old outbound removed after the new one "
	   "is in", who);
	oadd = find(find(0, !r, "QM3 received"), !r, "add out ");
	snprintf(w, sizeof(w), "del out %08x", old_out[!r]);
	odelo = find(0, !r, w);
	ok(oadd > 0 && odelo > oadd,
	   "order %c: responder switches at QM3, then drops its old "
	   "outbound", who);
	snprintf(w, sizeof(w), "del in %08x", old_in[r]);
	deli = find(0, r, w);
	del_msg = find(0, r, "Delete ESP SPI");
	ok(deli > 0 && tl[deli].t >= tl[q3].t + REKEY_GRACE_MS - 1000 &&
	   deli > oadd, "order %c: old inbound kept for the grace period, "
	   "past the peer's switch", who);
	ok(del_msg > 0 && tl[del_msg].t == tl[deli].t,
	   "order %c: Delete sent as the old pair goes", who);
	ok(never_without_out(0) && never_without_out(1),
	   "order %c: neither side was ever without an outbound SA", who);
	is_int(count_logged("[conn site] removing replaced IPsec SA"), 4,
	       "order %c: each side removed each replaced pair once", who);
}

/* The peer deletes the old pair before our outbound switch is due. */
static int drop_qm_info_from_b;

static void t_peer_deletes_first(void)
{
	struct ike_conn a, b;
	int mv, add, del;
	uint32_t old_out;
	char w[40];

	setup();
	mkconn(&a, 0);
	mkconn(&b, 1);
	a.lifetime = b.lifetime = 60;
	b.rekey = false;
	start(&a, &b);
	old_out = status(0).out;
	tl_reset();
	/* To A's rekey: QM1..QM3, then B's grace runs out at once. */
	now_ms += 48000;
	timers(0);
	pump();
	now_ms += REKEY_GRACE_MS;
	timers(1);
	pump();
	mv = find(0, 0, "outbound moves to");
	add = find(0, 0, "add out ");
	snprintf(w, sizeof(w), "del out %08x", old_out);
	del = find(0, 0, w);
	ok(mv >= 0 && add > mv && del > add,
	   "peer deletes first: new outbound in before the old one goes");
	ok(find(0, 0, "peer deleted IPsec SA") < mv &&
	   find(0, 1, "Delete ESP SPI") < mv,
	   "peer deletes first: its Delete moved outbound, not our timer");
	run(10000);
	ok(one_pair(), "peer deletes first: one pair");
	ok(never_without_out(0), "peer deletes first: never without outbound");
	(void)drop_qm_info_from_b;
}

/* Identical timers: both start at once; one pair survives. */
static void t_collision(void)
{
	int i, a_won = 0, b_won = 0, good = 0;

	for (i = 0; i < 40 && (good < 4 || !a_won || !b_won); i++) {
		struct ike_conn a, b;
		uint32_t a_first;
		int k;
		struct st sa, sb;

		setup();
		mkconn(&a, 0);
		mkconn(&b, 1);
		start(&a, &b);
		tl_reset();
		now_ms += 18000;
		timers(0);	/* A's QM1 is queued, B has not seen it */
		timers(1);
		k = find(0, 0, "QM1 sent");
		if (k < 0 || find(0, 1, "QM1 sent") < 0)
			continue;
		a_first = mock(0)->next_spi - 1;
		run(10000);
		sa = status(0);
		sb = status(1);
		if (one_pair() && sa.nactive == 1 && sb.nactive == 1 &&
		    !sa.nreplaced && !sb.nreplaced &&
		    count_logged("duplicate IPsec SA for site") == 2 &&
		    sa.rekeys == 1 && sb.rekeys == 1 &&
		    never_without_out(0) && never_without_out(1))
			good++;
		if (sa.in == a_first)
			a_won++;
		else
			b_won++;
	}
	is_int(good, i, "collision: %d of %d runs end with one pair, both "
	       "sides agree, one rekey counted", good, i);
	ok(a_won && b_won, "collision: both ways seen (A's exchange kept %d, "
	   "B's %d)", a_won, b_won);
}

static void t_soft_expire(void)
{
	struct ike_conn a, b;
	struct st s;

	setup();
	mkconn(&a, 0);
	mkconn(&b, 1);
	a.lifetime = b.lifetime = 3600;
	start(&a, &b);
	s = status(0);
	tl_reset();
	cur_side = 0;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", s.out);
	ok(find(0, 0, "QM1 sent") >= 0, "soft expire: rekey starts at once");
	run(10000);
	ok(one_pair() && status(0).in != s.in && status(0).rekeys == 1,
	   "soft expire: replaced");
	tl_reset();
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", 0x1234);
	ok(find(0, 0, "QM1 sent") < 0, "soft expire: unknown SPI ignored");
}

static void t_rekey_no(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0);
	mkconn(&b, 1);
	a.rekey = b.rekey = false;
	start(&a, &b);
	is_int(status(0).next_rekey, -1, "rekey = no: nothing scheduled");
	run(27000);
	ok(count_logged("rekeying") == 0 && one_pair(),
	   "rekey = no: the SA just lives on");
	run(3000);
	ok(live(0, IKE_DIR_IN, NULL) == 0, "rekey = no: then expires");
}

static void t_phase1(void)
{
	struct ike_conn a, b;
	struct st s0, s1;
	uint32_t in;
	int k, adds;
	char ck[24];

	setup();
	mkconn(&a, 0);
	mkconn(&b, 1);
	a.ike_lifetime = b.ike_lifetime = 90;
	a.lifetime = b.lifetime = 200;
	a.rekey_margin = b.rekey_margin = 20;
	b.rekey = false;
	start(&a, &b);
	s0 = status(0);
	in = s0.in;
	ok(s0.ike_next_rekey >= 67 && s0.ike_next_rekey <= 70,
	   "phase 1: rekey due 70 s after establishment (%lld s left)",
	   (long long)s0.ike_next_rekey);
	tl_reset();
	adds = mock(0)->n_calls + mock(1)->n_calls;
	run(85000);
	s1 = status(0);
	ok(find(0, 0, "rekeying ISAKMP SA of site") >= 0 &&
	   find(0, 0, "initiating Main Mode") >= 0,
	   "phase 1: new Main Mode before the end");
	ok(memcmp(s1.ic, s0.ic, 8) && !strcmp(s1.state, "MM_ACTIVE"),
	   "phase 1: new ISAKMP SA in use");
	ok(count_logged("INFO sent to 192.0.2.2:500: Delete ISAKMP SA") == 1 &&
	   count_logged("peer deleted the ISAKMP SA") == 1 &&
	   count_logged("INFO sent to 192.0.2.1:500: Delete ISAKMP SA") == 0,
	   "phase 1: the rekeying side deletes the old ISAKMP SA, the peer "
	   "follows");
	ok(mock(0)->n_calls + mock(1)->n_calls == adds && one_pair() &&
	   status(0).in == in && find(0, 0, "QM1 sent") < 0,
	   "phase 1: IPsec SAs untouched, no Quick Mode");
	is_int(s1.ike_rekeys, 1, "phase 1: one ISAKMP rekey counted");
	is_int(status(1).ike_rekeys, 1, "phase 1: the peer counts it too");
	/* A later Quick Mode runs under the new ISAKMP SA. */
	snprintf(ck, sizeof(ck), "[%02x%02x%02x%02x%02x%02x%02x%02x:",
		 s1.ic[0], s1.ic[1], s1.ic[2], s1.ic[3], s1.ic[4], s1.ic[5],
		 s1.ic[6], s1.ic[7]);
	tl_reset();
	cur_side = 0;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", in);
	k = find(0, 0, "QM1 sent");
	ok(k >= 0 && strstr(tl[k].what, ck),
	   "phase 1: the next Quick Mode uses the new ISAKMP SA");
	run(10000);
	ok(one_pair() && status(0).in != in, "phase 1: then IPsec rekeyed");
}

static uint64_t drop_until;

static int drop_from_b(int from, const uint8_t *buf, size_t len)
{
	return from == 1 && now_ms < drop_until;
}

/*
 * B starts first while A cannot hear it yet, A then initiates too: two
 * ISAKMP SAs are negotiated at once, one of them established well after
 * the other began on one side only (B's retransmitted MM1). Both sides
 * must keep the same one. Cookies are random, so a rule that both sides
 * do not compute alike shows in some of the rounds.
 */
static void t_phase1_simultaneous(void)
{
	struct ike_conn a, b;
	int round, agree = 0;

	for (round = 0; round < 8; round++) {
		struct st s0, s1;

		setup();
		mkconn(&a, 0);
		mkconn(&b, 1);
		a.lifetime = b.lifetime = 600;
		a.dpd = b.dpd = false;
		ike_engine_add_conn(S[0].eng, &a);
		ike_engine_add_conn(S[1].eng, &b);
		filter = drop_from_b;
		drop_until = now_ms + 1500;
		cur_side = 1;
		ike_engine_initiate(S[1].eng, "site");
		run(700);
		cur_side = 0;
		ike_engine_initiate(S[0].eng, "site");
		run(60000);
		s0 = status(0);
		s1 = status(1);
		if (!strcmp(s0.state, "MM_ACTIVE") &&
		    !strcmp(s1.state, "MM_ACTIVE") && !memcmp(s0.ic, s1.ic, 8))
			agree++;
	}
	is_int(agree, 8, "phase 1 at once: both sides keep the same ISAKMP SA");
}

static int drop_from_a(int from, const uint8_t *buf, size_t len)
{
	return from == 0 && now_ms < drop_until;
}

/* A rekey whose Quick Mode fails is tried again before the SA expires. */
static void t_rekey_retry(void)
{
	struct ike_conn a, b;
	uint32_t in;

	setup();
	mkconn(&a, 0);
	mkconn(&b, 1);
	a.lifetime = b.lifetime = 600;
	a.dpd = b.dpd = false;
	b.rekey = false;
	start(&a, &b);
	in = status(0).in;
	filter = drop_from_a;
	drop_until = now_ms + 60000;
	cur_side = 0;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", in);
	run(60000);
	ok(status(0).in == in, "retry: the first rekey failed (path cut)");
	run(30000);
	ok(status(0).in != in && one_pair(),
	   "retry: rekeyed once the path is back, before the hard expiry");
}

/*
 * A and B up with 600 s SAs, no DPD, B never rekeying, 15 s on: long
 * enough that a new ISAKMP SA is a renewal, not a duplicate. Returns
 * A's inbound SPI.
 */
static uint32_t up_long(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0);
	mkconn(&b, 1);
	a.lifetime = b.lifetime = 600;
	a.dpd = b.dpd = false;
	b.rekey = false;
	start(&a, &b);
	run(15000);
	return status(0).in;
}

/* B begins a new Main Mode now: its ISAKMP SA is due for renewal. */
static void b_begins_mm(void)
{
	struct p1sa *sa;

	for (sa = S[1].eng->p1s; sa; sa = sa->next)
		if (sa->state == MM_ACTIVE)
			sa->rekey_at = now_ms;
	timers(1);
}

/* "[xxxxxxxxxxxxxxxx:", how the log names an ISAKMP SA's cookies. */
static void cookie_prefix(char *buf, size_t len, const uint8_t *ic)
{
	snprintf(buf, len, "[%02x%02x%02x%02x%02x%02x%02x%02x:", ic[0], ic[1],
		 ic[2], ic[3], ic[4], ic[5], ic[6], ic[7]);
}

/*
 * The peer renews its ISAKMP SA the way strongSwan reauthenticates: from
 * the moment its new Main Mode starts it ignores Quick Mode under the old
 * one. Here B does so just as A's rekey reaches it, at A's QM1 (lost) or
 * at A's QM3 (the pair comes up on A's side only).
 */
static uint8_t reauth_ic[8];
static int reauth_at, reauth_qm;
static bool reauth_started;

static int reauth_filter(int from, const uint8_t *buf, size_t len)
{
	if (from != 0 || len < 28 || buf[18] != ISAKMP_XCHG_QUICK ||
	    memcmp(buf, reauth_ic, 8))
		return 0;
	if (!reauth_started && ++reauth_qm == reauth_at) {
		b_begins_mm();
		reauth_started = true;
	}
	return reauth_started;
}

static void t_peer_reauth(int at)
{
	const char *name = at == 1 ? "QM1" : "QM3";
	char oldck[24];
	uint32_t in;
	int k, j;

	in = up_long();
	memcpy(reauth_ic, status(0).ic, 8);
	cookie_prefix(oldck, sizeof(oldck), reauth_ic);
	reauth_at = at == 1 ? 1 : 2;
	reauth_qm = 0;
	reauth_started = false;
	filter = reauth_filter;
	tl_reset();
	cur_side = 0;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", in);
	run(3000);
	ok(reauth_started && find(0, 1, "initiating Main Mode") >= 0,
	   "peer reauth at %s: B began a new Main Mode as A's %s reached it",
	   name, name);
	k = find(0, 0, "MM5: ISAKMP SA established");
	j = k < 0 ? -1 : find(k, 0, "QM1 sent");
	ok(j >= 0 && !strstr(tl[j].what, oldck),
	   "peer reauth at %s: A negotiates the pair again under the new "
	   "ISAKMP SA at once", name);
	run(60000);
	ok(one_pair() && keys_agree() && status(0).in != in,
	   "peer reauth at %s: one pair, both sides alike", name);
	ok(never_without_out(0) && never_without_out(1),
	   "peer reauth at %s: never without an outbound SA", name);
}

/*
 * A rekey comes due while the peer's new Main Mode is half-way: charon
 * has moved its IPsec SAs to the new ISAKMP SA already, ignores a Quick
 * Mode under the old one and may destroy the old one for it, answering
 * with INITIAL-CONTACT. A waits for the Main Mode and rekeys under the
 * new ISAKMP SA. B's MM3 is lost once, so the Main Mode stays half-open
 * on A until B sends it again a second later.
 */
static uint8_t hold_ic[8];
static int hold_mm;

static int hold_filter(int from, const uint8_t *buf, size_t len)
{
	if (from != 1 || len < 28 || buf[18] != ISAKMP_XCHG_IDPROT ||
	    !memcmp(buf, hold_ic, 8))
		return 0;
	return ++hold_mm == 2;		/* B's first MM3 */
}

static void t_rekey_waits_for_peer_mm(void)
{
	char oldck[24];
	uint32_t in;
	int k, j;

	in = up_long();
	memcpy(hold_ic, status(0).ic, 8);
	cookie_prefix(oldck, sizeof(oldck), hold_ic);
	hold_mm = 0;
	filter = hold_filter;
	tl_reset();
	b_begins_mm();
	run(1);
	cur_side = 0;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", in);
	run(10000);
	k = find(0, 0, "ISAKMP SA of site replaced");
	j = find(0, 0, "QM1 sent");
	ok(hold_mm >= 3 && k >= 0 && j > k && !strstr(tl[j].what, oldck),
	   "rekey during the peer's Main Mode: waits, then runs under the "
	   "new ISAKMP SA");
	ok(one_pair() && keys_agree() && status(0).in != in,
	   "rekey during the peer's Main Mode: one pair, both sides alike");
}

/*
 * The hold ends: a Main Mode from the peer that never completes (its MM3
 * lost every time, or a forged MM1) delays the rekey by REKEY_HOLD_MS,
 * not more; then it runs under the ISAKMP SA there is.
 */
static int hold_forever(int from, const uint8_t *buf, size_t len)
{
	if (from != 1 || len < 28 || buf[18] != ISAKMP_XCHG_IDPROT ||
	    !memcmp(buf, hold_ic, 8))
		return 0;
	return ++hold_mm >= 2;		/* every MM3 of B's */
}

static void t_rekey_hold_ends(void)
{
	uint64_t t0;
	uint32_t in;
	int j;

	in = up_long();
	memcpy(hold_ic, status(0).ic, 8);
	hold_mm = 0;
	filter = hold_forever;
	tl_reset();
	b_begins_mm();
	run(1);
	t0 = now_ms;
	cur_side = 0;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", in);
	run(10000);
	j = find(0, 0, "QM1 sent");
	ok(j >= 0 && tl[j].t >= t0 + REKEY_HOLD_MS &&
	   tl[j].t < t0 + REKEY_HOLD_MS + 1000,
	   "a Main Mode that never ends holds the rekey %d ms only (%lld)",
	   REKEY_HOLD_MS, j >= 0 ? (long long)(tl[j].t - t0) : -1LL);
	ok(one_pair() && keys_agree() && status(0).in != in,
	   "then the rekey runs under the old ISAKMP SA");
}

/*
 * The peer's new Main Mode ends between our Quick Mode and the moment
 * our outbound traffic moves to the new pair (REKEY_SWITCH_MS later),
 * begun late enough after the Quick Mode that the pair is not redone.
 * The pair now belongs to the new ISAKMP SA, but its keys come from the
 * one it was negotiated under: an outbound key derived from the new
 * SKEYID_d at the switch is one the peer cannot decrypt with.
 */
static void t_reauth_before_switch(void)
{
	uint32_t in;
	int k;

	in = up_long();
	tl_reset();
	cur_side = 0;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", in);
	run(1);
	now_ms += 1500;
	b_begins_mm();
	run(10000);
	k = find(0, 0, "ISAKMP SA of site replaced");
	ok(k >= 0 && k < find(0, 0, "outbound traffic on") &&
	   find(0, 0, "negotiated again") < 0,
	   "reauth before the switch: the new ISAKMP SA came first");
	ok(one_pair() && keys_agree() && status(0).in != in,
	   "reauth before the switch: the outbound key is the one the peer "
	   "has");
}

/*
 * A Delete that crosses the peer's new Main Mode: strongSwan moves its
 * IPsec SAs to a new ISAKMP SA as soon as it begins one and ignores a
 * Delete that still arrives under the old one, so the replaced pair
 * stayed on its side until its own lifetime ended. A sends the Delete
 * again under the new ISAKMP SA. B here drops the first one (as charon
 * ignores it) and begins its Main Mode right then.
 */
static uint8_t cross_ic[8];
static bool cross_dropped;

static int cross_filter(int from, const uint8_t *buf, size_t len)
{
	if (cross_dropped || from != 0 || len < 28 ||
	    buf[18] != ISAKMP_XCHG_INFO || memcmp(buf, cross_ic, 8))
		return 0;
	b_begins_mm();
	cross_dropped = true;
	return 1;
}

static void t_delete_crosses_reauth(void)
{
	char del[48];
	uint32_t in;
	int k;

	in = up_long();
	memcpy(cross_ic, status(0).ic, 8);
	snprintf(del, sizeof(del), "Delete ESP SPI %08x", in);
	cross_dropped = false;
	filter = cross_filter;
	tl_reset();
	cur_side = 0;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", in);
	run(30000);
	ok(cross_dropped && find(0, 1, "initiating Main Mode") >= 0,
	   "Delete crossing a reauth: B began a new Main Mode as it came");
	k = find(0, 0, del);
	ok(k >= 0 && find(k + 1, 0, del) >= 0,
	   "Delete crossing a reauth: A sent it again under the new ISAKMP "
	   "SA");
	snprintf(del, sizeof(del), "unknown ESP SPI %08x", in);
	ok(find(0, 1, "peer deleted IPsec SA") >= 0 || find(0, 1, del) >= 0,
	   "Delete crossing a reauth: B got it under the new ISAKMP SA");
	ok(one_pair() && keys_agree() && status(0).in != in,
	   "Delete crossing a reauth: one pair, both sides alike");
}

/*
 * The peer lost its ISAKMP SA but not the IPsec SAs (its daemon restarted
 * and left them in the kernel): A's rekey goes unanswered under the old
 * ISAKMP SA, which A then gives up. The next attempt, with a new Main
 * Mode, follows at once: the pair is replaced long before it expires.
 */
static uint8_t lost_ic[8];

static int lost_p1(int from, const uint8_t *buf, size_t len)
{
	return len >= 28 && buf[18] == ISAKMP_XCHG_QUICK &&
	       !memcmp(buf, lost_ic, 8);
}

static void t_peer_lost_p1(void)
{
	struct ike_conn a, b;
	uint32_t in;
	int k, j;

	setup();
	mkconn(&a, 0);
	mkconn(&b, 1);
	a.lifetime = b.lifetime = 120;
	a.rekey_margin = 40;
	a.rexmit_ms = 500;	/* QM1 given up after 31.5 s */
	a.dpd = b.dpd = false;
	b.rekey = false;
	start(&a, &b);
	in = status(0).in;
	memcpy(lost_ic, status(0).ic, 8);
	filter = lost_p1;
	tl_reset();
	run(100000);
	k = find(0, 0, "ISAKMP SA given up");
	j = k < 0 ? -1 : find(k, 0, "initiating Main Mode");
	ok(j >= 0 && tl[j].t - tl[k].t < 1000,
	   "lost ISAKMP SA: a new Main Mode right after giving the old one up "
	   "(%lld ms)", j >= 0 ? (long long)(tl[j].t - tl[k].t) : -1LL);
	ok(one_pair() && status(0).in != in && keys_agree(),
	   "lost ISAKMP SA: the pair replaced before it expired");
	ok(never_without_out(0), "lost ISAKMP SA: A never without an "
	   "outbound SA");
	is_int(mock(0)->n_reserved, 0,
	       "lost ISAKMP SA: the failed Quick Mode's SPI released");
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_formula();
	t_fuzz_bounds();
	t_order(0);
	t_order(1);
	t_peer_deletes_first();
	t_collision();
	t_soft_expire();
	t_rekey_no();
	t_phase1();
	t_phase1_simultaneous();
	t_rekey_retry();
	t_peer_reauth(1);
	t_peer_reauth(3);
	t_delete_crosses_reauth();
	t_reauth_before_switch();
	t_rekey_waits_for_peer_mm();
	t_rekey_hold_ends();
	t_peer_lost_p1();
	for (cur_side = 0; cur_side < 2; cur_side++) {
		ike_engine_free(S[cur_side].eng);
		kernel_free(S[cur_side].k);
	}
	return tap_done();
}
