// SPDX-License-Identifier: GPL-2.0
/*
 * The path probe: two engines on a fake clock and an in-memory transport
 * that keeps each datagram's ports, so UDP 500 and UDP 4500 can be cut
 * one at a time. Asserts what is answered, how often MM1 is sent, that
 * the prober keeps no phase 1 SA and that a negotiation or an
 * established tunnel of the same conn goes on untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ike/engine.h"
#include "ike/natt.h"
#include "ike/proposal.h"
#include "isakmp/isakmp.h"
#include "log.h"

#define MAX_Q	64
#define MAX_KSA	16

struct dgram {
	int from;
	struct sockaddr_storage src, dst;
	uint8_t buf[4096];
	size_t len;
};

struct side {
	struct ike_engine *eng;
	struct sockaddr_storage addr;
	uint32_t next_spi;
	int nsa, ndel;
	struct ike_kernel_sa sa[MAX_KSA];
	/* What it sent, by the source port. */
	int sent_500, sent_4500;
};

static struct side S[2];
static struct dgram q[MAX_Q];
static int qn;
static uint64_t now;
static uint16_t cut_port;		/* 0: nothing cut */

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void sink(enum log_level lvl, const char *line, void *arg)
{
	if (getenv("PROBE_VERBOSE"))
		printf("# %s\n", line);
}

static int m_send(void *ctx, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *to, const uint8_t *buf,
		  size_t len)
{
	struct side *s = ctx;

	if (port_of(from) == 4500)
		s->sent_4500++;
	else
		s->sent_500++;
	if (qn >= MAX_Q || len > sizeof(q[0].buf))
		return -ENOBUFS;
	q[qn].from = s == &S[1];
	q[qn].src = *from;
	q[qn].dst = *to;
	memcpy(q[qn].buf, buf, len);
	q[qn].len = len;
	qn++;
	return 0;
}

static uint64_t m_now(void *ctx)
{
	return now;
}

static int m_get_spi(void *ctx, const struct ike_conn *c, uint32_t *spi)
{
	*spi = ((struct side *)ctx)->next_spi++;
	return 0;
}

static int m_add_sa(void *ctx, const struct ike_conn *c,
		    const struct ike_kernel_sa *sa)
{
	struct side *s = ctx;

	if (s->nsa >= MAX_KSA)
		return -1;
	s->sa[s->nsa++] = *sa;
	return 0;
}

static int m_del_sa(void *ctx, const struct ike_conn *c, enum ike_sa_dir dir,
		    uint32_t spi)
{
	((struct side *)ctx)->ndel++;
	return 0;
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
		struct sockaddr_in *s4 = (struct sockaddr_in *)&S[i].addr;

		if (S[i].eng)
			ike_engine_free(S[i].eng);
		memset(&S[i], 0, sizeof(S[i]));
		s4->sin_family = AF_INET;
		s4->sin_port = htons(500);
		inet_pton(AF_INET, ips[i], &s4->sin_addr);
		S[i].next_spi = i ? 0xb0000001 : 0xa0000001;
		S[i].eng = ike_engine_new(&env);
	}
	qn = 0;
	cut_port = 0;
	now = 5000000;
	log_rate_reset();
}

static void mkconn(struct ike_conn *c, int i, const char *ike)
{
	char err[256];

	ike_conn_init(c);
	c->dpd = false;
	strcpy(c->name, "site");
	strcpy(c->ifname, "esp0");
	c->local = S[i].addr;
	c->remote = S[!i].addr;
	c->psk_len = 6;
	memcpy(c->psk, "s3cret", 6);
	c->n_ike = ike_proposals_parse(ike, c->ike, IKE_MAX_PROPOSALS, err,
				       sizeof(err));
	c->n_esp = esp_proposals_parse("aes128-sha256", c->esp,
				       IKE_MAX_PROPOSALS, err, sizeof(err));
	ike_ts_parse(i ? "10.2.0.0/16" : "10.1.0.0/16", &c->local_ts[0], err,
		     sizeof(err));
	ike_ts_parse(i ? "10.1.0.0/16" : "10.2.0.0/16", &c->remote_ts[0], err,
		     sizeof(err));
}

/* Both sides get conn "site"; B only listens. */
static void pair(const char *ike_a, const char *ike_b)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, ike_a);
	mkconn(&b, 1, ike_b);
	b.start = IKE_START_LISTEN;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
}

/* A filter on the path drops both directions of one UDP port. */
static void pump(void)
{
	int guard = 0;

	while (qn && guard++ < 1000) {
		struct dgram d = q[0];

		memmove(q, q + 1, sizeof(q[0]) * (size_t)(qn - 1));
		qn--;
		if (cut_port && (port_of(&d.dst) == cut_port ||
				 port_of(&d.src) == cut_port))
			continue;
		ike_engine_input(S[!d.from].eng, &d.src, &d.dst, d.buf, d.len);
	}
}

static void run(uint64_t limit)
{
	uint64_t end = now + limit;

	for (;;) {
		int64_t t0, t1, t;

		pump();
		t0 = ike_engine_next_timeout_ms(S[0].eng);
		t1 = ike_engine_next_timeout_ms(S[1].eng);
		t = t0 < 0 ? t1 : t1 < 0 ? t0 : t0 < t1 ? t0 : t1;
		if (t < 0 || now + (uint64_t)t > end)
			break;
		now += (uint64_t)t;
		ike_engine_run_timers(S[0].eng);
		ike_engine_run_timers(S[1].eng);
	}
	pump();
}

struct st {
	char state[32];
	int nactive;
	uint32_t mm_started;
};

static void st_cb(void *arg, const struct ike_status *s)
{
	struct st *o = arg;
	int i;

	snprintf(o->state, sizeof(o->state), "%s", s->state);
	o->mm_started = s->diag ? s->diag->mm_started : 0;
	for (i = 0; i < s->n_children; i++)
		o->nactive += !strcmp(s->children[i].state, "QM_ACTIVE");
}

static struct st status(int i)
{
	struct st o;

	memset(&o, 0, sizeof(o));
	ike_engine_status(S[i].eng, st_cb, &o);
	return o;
}

static void t_both_answered(void)
{
	struct ike_probe_result r;
	struct st a;

	pair("aes256-sha256-modp2048", "aes256-sha256-modp2048");
	is_int(ike_engine_probe_result(S[0].eng, "site", &r), -ESRCH,
	       "no result before a probe");
	is_int(ike_engine_probe(S[0].eng, "nosuch"), -ENOENT,
	       "unknown conn: -ENOENT");
	is_int(ike_engine_probe(S[0].eng, "site"), 0, "probe started");
	is_int(S[0].sent_500, 1, "one MM1 to UDP 500");
	is_int(S[0].sent_4500, 1, "one MM1 to UDP 4500");
	ike_engine_probe_result(S[0].eng, "site", &r);
	ok(r.running && r.udp500.state == IKE_PROBE_PENDING &&
	   r.udp4500.state == IKE_PROBE_PENDING, "pending before any answer");
	run(10000);
	is_int(ike_engine_probe_result(S[0].eng, "site", &r), 0, "result");
	ok(!r.running, "done");
	is_int(r.udp500.state, IKE_PROBE_OK, "UDP 500 answered");
	is_int(r.udp4500.state, IKE_PROBE_OK, "UDP 4500 answered");
	is_str(r.udp500.answer, "MM2", "UDP 500 answer is MM2");
	is_str(r.udp4500.answer, "MM2", "UDP 4500 answer is MM2");
	is_int(r.udp500.sent + r.udp4500.sent, 2, "nothing sent again");
	is_int(r.udp500.port * 10000 + r.udp4500.port, 500 * 10000 + 4500,
	       "ports 500 and 4500");
	is_int(S[1].sent_4500, 1, "B answered from its port 4500");
	ok(!r.child, "no IPsec SA yet");
	a = status(0);
	is_str(a.state, "NONE", "the prober keeps no phase 1 SA");
	is_int(a.mm_started, 0, "no Main Mode counted as started");
	is_int(S[0].sent_500 + S[0].sent_4500, 2,
	       "nothing more sent by the prober after the answers");
}

static void t_cut(uint16_t port)
{
	struct ike_probe_result r;
	uint64_t t0;

	pair("aes256-sha256-modp2048", "aes256-sha256-modp2048");
	cut_port = port;
	t0 = now;
	ike_engine_probe(S[0].eng, "site");
	run(10000);
	ike_engine_probe_result(S[0].eng, "site", &r);
	ok(!r.running, "UDP %u cut: done", port);
	ok(now - t0 <= IKE_PROBE_TIMEOUT_MS,
	   "UDP %u cut: given up within %u ms", port, IKE_PROBE_TIMEOUT_MS);
	is_int(port == 500 ? r.udp500.state : r.udp4500.state,
	       IKE_PROBE_NO_ANSWER, "UDP %u cut: no answer", port);
	is_int(port == 500 ? r.udp500.sent : r.udp4500.sent, 2,
	       "UDP %u cut: MM1 sent twice", port);
	is_int(port == 500 ? r.udp4500.state : r.udp500.state, IKE_PROBE_OK,
	       "UDP %u cut: the other port answered", port);
	is_str(status(0).state, "NONE", "UDP %u cut: no SA left", port);
}

/* B refuses our proposals: the refusal is an answer all the same. */
static void t_refused(void)
{
	struct ike_probe_result r;

	pair("aes256-sha256-modp2048", "aes128-sha1-modp1024");
	ike_engine_probe(S[0].eng, "site");
	run(10000);
	ike_engine_probe_result(S[0].eng, "site", &r);
	is_int(r.udp500.state, IKE_PROBE_OK, "refused: UDP 500 answered");
	is_str(r.udp500.answer, "NO-PROPOSAL-CHOSEN",
	       "refused: the notify is named");
	is_int(r.udp4500.state, IKE_PROBE_OK, "refused: UDP 4500 answered");
}

/*
 * A negotiation started with the probe and a probe of an established
 * tunnel: the negotiation completes once, the SAs stay.
 */
static void t_alongside(void)
{
	struct ike_probe_result r;
	int nsa, ndel;

	pair("aes256-sha256-modp2048", "aes256-sha256-modp2048");
	ike_engine_initiate(S[0].eng, "site");
	ike_engine_probe(S[0].eng, "site");
	run(30000);
	is_int(status(0).nactive, 1, "negotiation alongside: tunnel up");
	is_str(status(0).state, "MM_ACTIVE", "negotiation alongside: MM_ACTIVE");
	is_int(status(0).mm_started, 1, "negotiation alongside: one Main Mode");
	ike_engine_probe_result(S[0].eng, "site", &r);
	ok(r.udp500.state == IKE_PROBE_OK && r.udp4500.state == IKE_PROBE_OK,
	   "negotiation alongside: both answered");

	nsa = S[0].nsa;
	ndel = S[0].ndel;
	ike_engine_probe(S[0].eng, "site");
	run(10000);
	ike_engine_probe_result(S[0].eng, "site", &r);
	ok(r.udp500.state == IKE_PROBE_OK && r.udp4500.state == IKE_PROBE_OK,
	   "established: both answered");
	ok(r.child, "established: the IPsec SA pair is reported");
	ok(nsa == 2 && S[0].sa[0].dir == IKE_DIR_IN &&
	   r.spi_in == S[0].sa[0].spi && r.spi_out == S[0].sa[1].spi,
	   "established: its SPIs are the installed ones (%08x %08x)",
	   r.spi_in, r.spi_out);
	ok(!r.encap, "established: raw ESP");
	is_str(r.ifname, "esp0", "established: the conn's device");
	ok(S[0].nsa == nsa && S[0].ndel == ndel,
	   "established: no SA added or removed by the probe");
	is_str(status(0).state, "MM_ACTIVE", "established: still MM_ACTIVE");
	is_int(status(0).nactive, 1, "established: still one pair");
}

/* Our cookie from another address is not an answer. */
static void t_other_source(void)
{
	struct ike_probe_result r;
	struct sockaddr_storage other = S[1].addr;
	int i;

	pair("aes256-sha256-modp2048", "aes256-sha256-modp2048");
	((struct sockaddr_in *)&other)->sin_addr.s_addr = htonl(0xc6336401);
	ike_engine_probe(S[0].eng, "site");
	/* B answers both; the answers reach A from a stranger's address. */
	for (i = 0; i < 2; i++) {
		struct dgram d = q[0];

		memmove(q, q + 1, sizeof(q[0]) * (size_t)(qn - 1));
		qn--;
		ike_engine_input(S[1].eng, &d.src, &d.dst, d.buf, d.len);
	}
	while (qn) {
		struct dgram d = q[0];

		memmove(q, q + 1, sizeof(q[0]) * (size_t)(qn - 1));
		qn--;
		if (!d.from)
			continue;
		ike_engine_input(S[0].eng, &other, &d.dst, d.buf, d.len);
	}
	ike_engine_probe_result(S[0].eng, "site", &r);
	ok(r.running && r.udp500.state == IKE_PROBE_PENDING &&
	   r.udp4500.state == IKE_PROBE_PENDING,
	   "answers from another address are not taken");
	is_str(status(0).state, "NONE", "nor do they start anything");
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_both_answered();
	t_cut(500);
	t_cut(4500);
	t_refused();
	t_alongside();
	t_other_source();
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
