// SPDX-License-Identifier: GPL-2.0
/*
 * NAT traversal: the vendor IDs against MD5 of their names, NAT-D hashes
 * against RFC 3947's formula computed here with GnuTLS, what NAT-D
 * reveals, the encapsulation decision and mode values; then two engines
 * through a simulated NAT, each on the mock kernel backend: ESP in UDP
 * with the NAT's ports, keepalives from the side behind it only, the
 * module's remote-moved event and authenticated IKE from a new port
 * moving the SAs.
 */
#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ike/engine.h"
#include "ike/natt.h"
#include "ike/proposal.h"
#include "isakmp/isakmp.h"
#include "kernel/backend.h"
#include "log.h"

static char logbuf[65536];
static size_t loglen;

static void sink(enum log_level lvl, const char *line, void *arg)
{
	size_t n = strlen(line);

	if (getenv("NATT_VERBOSE"))
		printf("# %s\n", line);
	if (loglen + n + 2 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, n);
		loglen += n;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = 0;
	}
}

static bool logged(const char *s)
{
	return strstr(logbuf, s) != NULL;
}

static void mkaddr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
}

/* ---- pure helpers ---- */

static void t_vids(void)
{
	static const struct {
		const char *text;
		enum natt_version v;
	} names[] = {
		{ "RFC 3947", NATT_RFC },
		{ "draft-ietf-ipsec-nat-t-ike-03", NATT_DRAFT_03 },
		{ "draft-ietf-ipsec-nat-t-ike-02\n", NATT_DRAFT_02N },
		{ "draft-ietf-ipsec-nat-t-ike-02", NATT_DRAFT_02 },
	};
	uint8_t md5[16], other[16];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		gnutls_hash_fast(GNUTLS_DIG_MD5, names[i].text,
				 strlen(names[i].text), md5);
		is_mem(natt_vid_bytes(names[i].v), md5, 16,
		       "VID of %s is MD5 of its name",
		       natt_version_name(names[i].v));
		is_int(natt_vid_version(md5, 16), names[i].v,
		       "MD5(\"%.29s\") recognised as %s", names[i].text,
		       natt_version_name(names[i].v));
		is_int(natt_vid_version(md5, 15), NATT_NONE,
		       "%s: a truncated VID is not it",
		       natt_version_name(names[i].v));
	}
	gnutls_hash_fast(GNUTLS_DIG_MD5, "draft-ietf-ipsec-nat-t-ike-00", 29,
			 other);
	is_int(natt_vid_version(other, 16), NATT_NONE,
	       "draft-00 (never floated to 4500) is not NAT-T for us");
	ok(!strcmp(natt_version_name(NATT_DRAFT_02N), "draft-02\\n"),
	   "draft-02\\n named with its newline");
}

static void t_best(void)
{
	struct isakmp_msg m;
	uint8_t dpd[16] = { 0xaf, 0xca, 0xd7, 0x13 };

	memset(&m, 0, sizeof(m));
	m.n = 4;
	m.pl[0] = (struct isakmp_payload){ ISAKMP_NP_SA, dpd, 4 };
	m.pl[1] = (struct isakmp_payload){ ISAKMP_NP_VID,
					   natt_vid_bytes(NATT_DRAFT_02), 16 };
	m.pl[2] = (struct isakmp_payload){ ISAKMP_NP_VID, dpd, 16 };
	m.pl[3] = (struct isakmp_payload){ ISAKMP_NP_VID,
					   natt_vid_bytes(NATT_DRAFT_03), 16 };
	is_int(natt_best_version(&m), NATT_DRAFT_03,
	       "draft-02 and draft-03 offered: draft-03 chosen");
	m.pl[2].body = natt_vid_bytes(NATT_RFC);
	is_int(natt_best_version(&m), NATT_RFC, "RFC 3947 preferred");
	/* An SA payload whose body happens to be a VID is no VID. */
	m.n = 1;
	m.pl[0].body = natt_vid_bytes(NATT_RFC);
	m.pl[0].len = 16;
	is_int(natt_best_version(&m), NATT_NONE, "only VID payloads count");
}

static void t_modes(void)
{
	is_int(natt_encap_mode(NATT_RFC), 3,
	       "RFC 3947: UDP-Encapsulated-Tunnel 3");
	is_int(natt_encap_mode(NATT_DRAFT_02), 61443,
	       "draft-02: UDP-Encapsulated-Tunnel 61443");
	is_int(natt_encap_mode(NATT_DRAFT_02N), 61443, "draft-02\\n: 61443");
	is_int(natt_encap_mode(NATT_DRAFT_03), 61443, "draft-03: 61443");
	is_int(natt_natd_type(NATT_RFC), 20, "RFC 3947: NAT-D payload 20");
	is_int(natt_natd_type(NATT_DRAFT_03), 130, "drafts: NAT-D payload 130");
	ok(natt_mode_is_udp(3) && natt_mode_is_udp(61443) &&
	   !natt_mode_is_udp(1) && !natt_mode_is_udp(4) &&
	   !natt_mode_is_udp(61444), "UDP tunnel modes: 3 and 61443 only");
}

/* RFC 3947 3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), done here alone. */
static void ref_hash(gnutls_digest_algorithm_t alg, const uint8_t *ic,
		     const uint8_t *rc, const uint8_t *ip, size_t iplen,
		     uint16_t port, uint8_t *out)
{
	uint8_t buf[8 + 8 + 16 + 2];

	memcpy(buf, ic, 8);
	memcpy(buf + 8, rc, 8);
	memcpy(buf + 16, ip, iplen);
	buf[16 + iplen] = port >> 8;
	buf[17 + iplen] = port & 0xff;
	gnutls_hash_fast(alg, buf, 18 + iplen, out);
}

static void t_hash(void)
{
	static const uint8_t ic[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t rc[8] = { 0xf0, 0xe1, 0xd2, 0xc3,
				       0xb4, 0xa5, 0x96, 0x87 };
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	uint8_t v6[16], want[64], got[64];
	struct sockaddr_storage ss;

	mkaddr(&ss, "192.0.2.1", 4500);
	ref_hash(GNUTLS_DIG_SHA1, ic, rc, v4, 4, 4500, want);
	is_int(natt_hash(IKE_HASH_SHA1, ic, rc, &ss, got), 20,
	       "NAT-D with SHA1 is 20 bytes");
	is_mem(got, want, 20, "NAT-D SHA1(CKY-I|CKY-R|192.0.2.1|4500)");
	ref_hash(GNUTLS_DIG_SHA256, ic, rc, v4, 4, 4500, want);
	is_int(natt_hash(IKE_HASH_SHA256, ic, rc, &ss, got), 32,
	       "NAT-D with SHA2-256 is 32 bytes");
	is_mem(got, want, 32, "NAT-D SHA256 over an IPv4 endpoint");
	mkaddr(&ss, "192.0.2.1", 500);
	ref_hash(GNUTLS_DIG_SHA256, ic, rc, v4, 4, 500, want);
	natt_hash(IKE_HASH_SHA256, ic, rc, &ss, got);
	is_mem(got, want, 32, "the port is part of the hash (500)");
	ref_hash(GNUTLS_DIG_SHA256, rc, ic, v4, 4, 500, want);
	ok(memcmp(got, want, 32), "cookie order matters");
	mkaddr(&ss, "2001:db8::7", 31744);
	inet_pton(AF_INET6, "2001:db8::7", v6);
	ref_hash(GNUTLS_DIG_SHA512, ic, rc, v6, 16, 31744, want);
	is_int(natt_hash(IKE_HASH_SHA512, ic, rc, &ss, got), 64,
	       "NAT-D with SHA2-512 is 64 bytes");
	is_mem(got, want, 64, "NAT-D SHA512 over an IPv6 endpoint");
	ref_hash(GNUTLS_DIG_MD5, ic, rc, v6, 16, 31744, want);
	natt_hash(IKE_HASH_MD5, ic, rc, &ss, got);
	is_mem(got, want, 16, "NAT-D MD5 over an IPv6 endpoint");
	memset(&ss, 0, sizeof(ss));
	is_int(natt_hash(IKE_HASH_SHA1, ic, rc, &ss, got), 0,
	       "no hash of an address without a family");
}

/* natt_detect on NAT-D payloads with the hashes of these endpoints. */
static int detect(const char *dst, uint16_t dport, const char *src,
		  uint16_t sport, const char *src2, bool *l, bool *r,
		  int n_natd)
{
	static const uint8_t ic[8] = { 9, 9, 9, 9, 1, 1, 1, 1 };
	static const uint8_t rc[8] = { 7, 7, 7, 7, 2, 2, 2, 2 };
	static uint8_t h[3][32];
	struct sockaddr_storage from, to, a;
	struct isakmp_msg m;

	/* The peer's view: it sent to dst:dport from src:sport. */
	mkaddr(&to, "10.0.0.2", 500);
	mkaddr(&from, "192.0.2.2", 500);
	mkaddr(&a, dst, dport);
	natt_hash(IKE_HASH_SHA256, ic, rc, &a, h[0]);
	mkaddr(&a, src, sport);
	natt_hash(IKE_HASH_SHA256, ic, rc, &a, h[1]);
	mkaddr(&a, src2, 500);
	natt_hash(IKE_HASH_SHA256, ic, rc, &a, h[2]);
	memset(&m, 0, sizeof(m));
	m.pl[m.n++] = (struct isakmp_payload){ ISAKMP_NP_KE, h[0], 32 };
	while (m.n <= n_natd) {
		m.pl[m.n] = (struct isakmp_payload){ ISAKMP_NP_NATD,
						     h[m.n - 1], 32 };
		m.n++;
	}
	return natt_detect(IKE_HASH_SHA256, ic, rc, &m, ISAKMP_NP_NATD,
			   &from, &to, l, r);
}

static void t_detect(void)
{
	bool l = true, r = true;

	ok(!detect("10.0.0.2", 500, "192.0.2.2", 500, "1.1.1.1", &l, &r, 2) &&
	   !l && !r, "hashes match both ends: no NAT");
	ok(!detect("192.0.2.1", 500, "192.0.2.2", 500, "1.1.1.1", &l, &r, 2) &&
	   l && !r, "peer sent to another address: we are behind a NAT");
	ok(!detect("10.0.0.2", 31500, "192.0.2.2", 500, "1.1.1.1", &l, &r,
		   2) && l && !r,
	   "peer sent to another port: we are behind a NAT");
	ok(!detect("10.0.0.2", 500, "172.16.0.9", 500, "1.1.1.1", &l, &r, 2) &&
	   !l && r, "peer's own address is not the source: it is behind a NAT");
	ok(!detect("10.0.0.2", 500, "172.16.0.9", 500, "192.0.2.2", &l, &r,
		   3) && !l && !r,
	   "one of the peer's several addresses is the source: no NAT");
	ok(!detect("192.0.2.1", 4500, "172.16.0.9", 500, "1.1.1.1", &l, &r,
		   2) && l && r, "both behind NATs");
	ok(detect("10.0.0.2", 500, "192.0.2.2", 500, "1.1.1.1", &l, &r, 1) < 0,
	   "a single NAT-D payload is refused");
	ok(detect("10.0.0.2", 500, "192.0.2.2", 500, "1.1.1.1", &l, &r, 0) < 0,
	   "no NAT-D payload is refused");
}

static void t_decision(void)
{
	ok(!natt_want_encap(IKE_NATT_AUTO, NATT_RFC, false, false),
	   "auto without NAT: raw ESP");
	ok(natt_want_encap(IKE_NATT_AUTO, NATT_RFC, true, false) &&
	   natt_want_encap(IKE_NATT_AUTO, NATT_DRAFT_02, false, true),
	   "auto with a NAT on either side: ESP in UDP");
	ok(natt_want_encap(IKE_NATT_FORCE, NATT_RFC, false, false),
	   "force without NAT: ESP in UDP");
	ok(!natt_want_encap(IKE_NATT_FORCE, NATT_NONE, true, true),
	   "force with a peer without NAT-T: nothing to encapsulate with");
	ok(!natt_want_encap(IKE_NATT_NO, NATT_RFC, true, true),
	   "nat-t = no: never");
}

/* ---- two engines through a NAT, each on the mock kernel ---- */

#define MAX_PKT		64
#define MAX_KA		64

/* Side 0 (A) is behind the NAT at 10.0.0.2; side 1 (B) is 192.0.2.2. */
struct side {
	struct ike_engine *eng;
	struct kernel *k;
	struct sockaddr_storage addr;	/* its own, port 0 */
	uint64_t ka_ms[MAX_KA];		/* keepalives sent */
	int n_ka;
	struct sockaddr_storage ka_to;
};

struct pkt {
	int from;
	struct sockaddr_storage src, dst;
	uint8_t buf[4096];
	size_t len;
};

static struct side S[2];
static struct pkt q[MAX_PKT];
static int qn;
static uint64_t now_ms;
/* The NAT: A's ports 500 and 4500 as the world sees them (0 = none). */
static uint16_t nat_port[2];
static const char *nat_public = "192.0.2.1";
/* Rewrites a datagram from A before the NAT, when set. */
static void (*mangle)(struct pkt *p);

static int slot(uint16_t port)
{
	return port == 4500 ? 1 : 0;
}

static int e_send(void *ctx, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *to, const uint8_t *buf,
		  size_t len)
{
	struct side *s = ctx;

	if (qn >= MAX_PKT || len > sizeof(q[0].buf))
		return -1;
	q[qn].from = s == &S[0] ? 0 : 1;
	q[qn].src = *from;
	q[qn].dst = *to;
	memcpy(q[qn].buf, buf, len);
	q[qn].len = len;
	qn++;
	return 0;
}

static int e_keepalive(void *ctx, const struct sockaddr_storage *from,
		       const struct sockaddr_storage *to)
{
	struct side *s = ctx;

	if (s->n_ka < MAX_KA)
		s->ka_ms[s->n_ka++] = now_ms;
	s->ka_to = *to;
	return 0;
}

static uint64_t e_now(void *ctx)
{
	return now_ms;
}

static int e_get_spi(void *ctx, const struct ike_conn *c, uint32_t *spi)
{
	return kernel_spi_alloc(((struct side *)ctx)->k, c->ifname, &c->local,
				spi);
}

static int e_add_sa(void *ctx, const struct ike_conn *c,
		    const struct ike_kernel_sa *sa)
{
	return kernel_sa_add(((struct side *)ctx)->k, c->ifname, sa);
}

static int e_del_sa(void *ctx, const struct ike_conn *c, enum ike_sa_dir dir,
		    uint32_t spi)
{
	return kernel_sa_del(((struct side *)ctx)->k, c->ifname, dir, spi);
}

static int e_update_sa(void *ctx, const struct ike_conn *c,
		       const struct ike_kernel_sa *sa)
{
	return kernel_sa_update(((struct side *)ctx)->k, c->ifname, sa);
}

/* What esptund's main.c does with a kernel event. */
static void on_event(void *arg, const struct kernel_event *ev)
{
	struct side *s = arg;

	if (ev->type == IKE_KEV_REMOTE_MOVED)
		ike_engine_remote_moved(s->eng, ev->ifname, ev->spi,
					&ev->remote, ev->encap);
	else
		ike_engine_kernel_event(s->eng, ev->type, ev->ifname, ev->spi);
}

static void setup(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct ike_env env = {
			.ctx = &S[i], .send = e_send, .now_ms = e_now,
			.get_spi = e_get_spi, .add_sa = e_add_sa,
			.del_sa = e_del_sa, .update_sa = e_update_sa,
			.send_keepalive = e_keepalive,
		};

		if (S[i].eng)
			ike_engine_free(S[i].eng);
		kernel_free(S[i].k);
		memset(&S[i], 0, sizeof(S[i]));
		S[i].k = kernel_mock_new();
		((struct kernel_mock *)S[i].k)->next_spi = i ? 0xb000 : 0xa000;
		mkaddr(&S[i].addr, i ? "192.0.2.2" : "10.0.0.2", 0);
		S[i].eng = ike_engine_new(&env);
	}
	qn = 0;
	mangle = NULL;
	nat_port[0] = 31500;
	nat_port[1] = 34500;
	now_ms = 1000000;
	loglen = 0;
	logbuf[0] = 0;
	log_rate_reset();
}

static bool same_ip(const struct sockaddr_storage *a, const char *ip)
{
	struct sockaddr_storage b;

	mkaddr(&b, ip, 0);
	return !memcmp(&((struct sockaddr_in *)a)->sin_addr,
		       &((struct sockaddr_in *)&b)->sin_addr, 4);
}

/*
 * Deliver the queue: A's datagrams leave through the NAT (source
 * rewritten to its mapping), B's to the NAT's address come back to A
 * when a mapping for that port exists.
 */
static void pump(void)
{
	int guard = 0;

	while (qn && guard++ < 1000) {
		struct pkt p = q[0];
		uint16_t sp = natt_port(&p.src), dp = natt_port(&p.dst);
		int i;

		memmove(q, q + 1, sizeof(q[0]) * (size_t)(qn - 1));
		qn--;
		if (p.from == 0) {
			if (mangle)
				mangle(&p);
			if (nat_public) {
				/* A port without a mapping gets a new one. */
				if (!nat_port[slot(sp)])
					nat_port[slot(sp)] = 36000 + slot(sp);
				mkaddr(&p.src, nat_public,
				       nat_port[slot(sp)]);
			}
			ike_engine_input(S[1].eng, &p.src, &p.dst, p.buf,
					 p.len);
			continue;
		}
		if (nat_public && same_ip(&p.dst, nat_public)) {
			for (i = 0; i < 2; i++)
				if (nat_port[i] && nat_port[i] == dp)
					break;
			if (i == 2)
				continue;	/* no mapping: dropped */
			mkaddr(&p.dst, "10.0.0.2", i ? 4500 : 500);
		}
		ike_engine_input(S[0].eng, &p.src, &p.dst, p.buf, p.len);
	}
}

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
		ike_engine_run_timers(S[0].eng);
		ike_engine_run_timers(S[1].eng);
	}
	now_ms = end;
	pump();
}

static void mkconn(struct ike_conn *c, int i, uint8_t natt)
{
	char err[256];

	ike_conn_init(c);
	strcpy(c->name, "site");
	strcpy(c->ifname, "esp0");
	mkaddr(&c->local, i ? "192.0.2.2" : "10.0.0.2", 500);
	mkaddr(&c->remote, i ? (nat_public ? nat_public : "10.0.0.2") :
	       "192.0.2.2", 500);
	memcpy(c->psk, "natkey", 6);
	c->psk_len = 6;
	c->n_ike = ike_proposals_parse("aes128-sha256-modp2048", c->ike,
				       IKE_MAX_PROPOSALS, err, sizeof(err));
	c->n_esp = esp_proposals_parse("aes128gcm16", c->esp,
				       IKE_MAX_PROPOSALS, err, sizeof(err));
	ike_ts_parse(i ? "10.2.0.0/16" : "10.1.0.0/16", &c->local_ts[0], err,
		     sizeof(err));
	ike_ts_parse(i ? "10.1.0.0/16" : "10.2.0.0/16", &c->remote_ts[0], err,
		     sizeof(err));
	c->natt = natt;
	/* B knows A by the NAT's address, as a PSK peer must. */
	if (!i && nat_public)
		ike_id_parse(nat_public, &c->local_id, err, sizeof(err));
}

struct st {
	char state[32];
	int nactive;
	char natt[32];
	bool nl, nr, forced, encap;
	uint16_t lport, rport;
	uint32_t ike_rekeys;
	uint8_t ic[8];
};

static void st_cb(void *arg, const struct ike_status *s)
{
	struct st *o = arg;
	int i;

	snprintf(o->state, sizeof(o->state), "%s", s->state);
	snprintf(o->natt, sizeof(o->natt), "%s", s->natt ? s->natt : "");
	o->nl = s->nat_local;
	o->nr = s->nat_remote;
	o->forced = s->nat_forced;
	o->encap = s->encap;
	o->lport = s->encap_local_port;
	o->rport = s->encap_remote_port;
	o->ike_rekeys = s->ike_rekeys;
	memcpy(o->ic, s->icookie, 8);
	o->nactive = 0;
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

/* The last mock call named op in direction dir, or NULL. */
static const struct kernel_mock_call *last_call(int i, const char *op,
						enum ike_sa_dir dir)
{
	const struct kernel_mock *m = (const struct kernel_mock *)S[i].k;
	int k;

	for (k = m->n_calls - 1; k >= 0; k--)
		if (!strcmp(m->calls[k].op, op) && m->calls[k].dir == dir)
			return &m->calls[k];
	return NULL;
}

static int n_calls(int i, const char *op)
{
	const struct kernel_mock *m = (const struct kernel_mock *)S[i].k;
	int k, n = 0;

	for (k = 0; k < m->n_calls; k++)
		n += !strcmp(m->calls[k].op, op);
	return n;
}

static void establish(uint8_t natt_a, uint8_t natt_b, uint32_t ka_a)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, natt_a);
	mkconn(&b, 1, natt_b);
	a.keepalive = ka_a;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_initiate(S[0].eng, "site");
	run(60000);
}

static void t_behind_nat(void)
{
	const struct kernel_mock_call *ai, *ao, *bi, *bo;
	struct st a, b;

	establish(IKE_NATT_AUTO, IKE_NATT_AUTO, 20);
	a = status(0);
	b = status(1);
	ok(!strcmp(a.state, "MM_ACTIVE") && a.nactive == 1 && b.nactive == 1,
	   "through the NAT: ISAKMP and IPsec SAs up (%s)", a.state);
	is_str(a.natt, "RFC 3947", "RFC 3947 agreed");
	ok(a.nl && !a.nr && !a.forced, "A: we are behind a NAT");
	ok(!b.nl && b.nr, "B: the peer is behind a NAT");
	ok(a.encap && b.encap, "both: ESP in UDP");
	ok(a.lport == 4500 && a.rport == 4500,
	   "A: IKE floated to 4500 <-> 4500 (%u %u)", a.lport, a.rport);
	ok(b.lport == 4500 && b.rport == 34500,
	   "B: IKE on 4500 <-> the NAT's port 34500 (%u %u)", b.lport,
	   b.rport);
	ok(logged("MM4: NAT-D: we are behind a NAT; ESP in UDP") &&
	   logged("MM3: NAT-D: the peer is behind a NAT; ESP in UDP") &&
	   logged("IKE floats to UDP port 4500") &&
	   logged("peer floated to UDP port 34500"), "NAT-T log lines");
	ai = last_call(0, "sa_add", IKE_DIR_IN);
	ao = last_call(0, "sa_add", IKE_DIR_OUT);
	bi = last_call(1, "sa_add", IKE_DIR_IN);
	bo = last_call(1, "sa_add", IKE_DIR_OUT);
	if (!ai || !ao || !bi || !bo) {
		ok(0, "four SAs in the mock kernels");
		return;
	}
	ok(ai->sa.encap && ao->sa.encap && ai->sa.sport == 4500 &&
	   ai->sa.dport == 4500 && ao->sa.sport == 4500 && ao->sa.dport == 4500,
	   "A's SAs: ESP in UDP 4500 -> 4500");
	ok(bi->sa.encap && bo->sa.encap && bi->sa.sport == 4500 &&
	   bi->sa.dport == 34500 && bo->sa.sport == 4500 &&
	   bo->sa.dport == 34500, "B's SAs: ESP in UDP 4500 -> 34500");
	ok(same_ip(&bo->sa.dst, "192.0.2.1") &&
	   same_ip(&bi->sa.src, "192.0.2.1"),
	   "B sends ESP to the NAT's public address");
	ok(ai->spi == bo->spi && ao->spi == bi->spi &&
	   !memcmp(ai->sa.enc_key, bo->sa.enc_key, ai->sa.enc_key_len),
	   "SPIs and keys agree across the NAT");
}

static void t_no_nat(void)
{
	const struct kernel_mock_call *ao;
	struct st a, b;

	nat_public = NULL;
	establish(IKE_NATT_AUTO, IKE_NATT_AUTO, 20);
	a = status(0);
	b = status(1);
	ok(a.nactive == 1 && !strcmp(a.natt, "RFC 3947") && !a.nl && !a.nr &&
	   !b.nl && !b.nr && !a.encap && !b.encap,
	   "no NAT: NAT-T agreed, nothing detected, raw ESP");
	ao = last_call(0, "sa_add", IKE_DIR_OUT);
	ok(ao && !ao->sa.encap && natt_port(&ao->sa.dst) == 500,
	   "no NAT: raw ESP SA, IKE stays on 500");
	run(120000);
	is_int(S[0].n_ka + S[1].n_ka, 0, "no NAT: no keepalives");

	establish(IKE_NATT_FORCE, IKE_NATT_AUTO, 20);
	a = status(0);
	b = status(1);
	ok(a.nactive == 1 && a.forced && !a.nl && !a.nr && a.encap &&
	   a.lport == 4500 && a.rport == 4500,
	   "force, no NAT: A encapsulates on 4500");
	ok(b.nr && b.encap && b.rport == 4500,
	   "force: the peer sees a (faked) NAT and encapsulates too");
	ao = last_call(1, "sa_add", IKE_DIR_OUT);
	ok(ao && ao->sa.encap && ao->sa.dport == 4500,
	   "force: the peer's outbound SA is ESP in UDP");
	run(60000);
	ok(S[0].n_ka >= 2 && S[1].n_ka == 0,
	   "force: keepalives from the forcing side only (%d, %d)",
	   S[0].n_ka, S[1].n_ka);

	establish(IKE_NATT_NO, IKE_NATT_AUTO, 20);
	a = status(0);
	ok(a.nactive == 1 && !a.natt[0] && !a.encap,
	   "nat-t = no: no NAT-T at all, raw ESP");
	nat_public = "192.0.2.1";
}

static void t_keepalive(void)
{
	uint64_t t0;
	int i;

	establish(IKE_NATT_AUTO, IKE_NATT_AUTO, 20);
	S[0].n_ka = S[1].n_ka = 0;
	t0 = now_ms;
	run(65000);
	is_int(S[0].n_ka, 3, "behind the NAT: 3 keepalives in 65 s at 20 s");
	is_int(S[1].n_ka, 0, "the public side sends none");
	for (i = 1; i < S[0].n_ka; i++)
		is_int((long long)(S[0].ka_ms[i] - S[0].ka_ms[i - 1]), 20000,
		       "keepalive %d: 20 s after the one before", i);
	ok(S[0].n_ka && S[0].ka_ms[0] > t0 - 20000 &&
	   S[0].ka_ms[0] <= t0 + 20000, "the first within 20 s of the last");
	ok(same_ip(&S[0].ka_to, "192.0.2.2") &&
	   natt_port(&S[0].ka_to) == 4500, "keepalives go to the peer's 4500");

	establish(IKE_NATT_AUTO, IKE_NATT_AUTO, 0);
	run(120000);
	is_int(S[0].n_ka, 0, "keepalive = no: none");

	establish(IKE_NATT_AUTO, IKE_NATT_AUTO, 7);
	S[0].n_ka = 0;
	run(70000);
	is_int(S[0].n_ka, 10, "keepalive = 7s: 10 in 70 s");
}

static void t_remote_moved(void)
{
	const struct kernel_mock_call *ui, *uo;
	struct kernel_event ev;
	struct st b;

	establish(IKE_NATT_AUTO, IKE_NATT_AUTO, 20);
	/* The NAT lost its mapping; ESP now arrives from port 40000. */
	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_KEV_REMOTE_MOVED;
	strcpy(ev.ifname, "esp0");
	ev.dir = IKE_DIR_IN;
	ev.encap = true;
	ev.spi = last_call(1, "sa_add", IKE_DIR_IN)->spi;
	mkaddr(&ev.local, "192.0.2.2", 4500);
	mkaddr(&ev.remote, "192.0.2.1", 40000);
	kernel_mock_push_event(S[1].k, &ev);
	kernel_event_read(S[1].k, on_event, &S[1]);
	ui = last_call(1, "sa_update", IKE_DIR_IN);
	uo = last_call(1, "sa_update", IKE_DIR_OUT);
	ok(ui && uo, "remote moved: both SAs updated in the kernel");
	if (ui && uo) {
		ok(uo->spi == last_call(1, "sa_add", IKE_DIR_OUT)->spi &&
		   ui->spi == ev.spi, "remote moved: the conn's SPIs");
		ok(uo->sa.encap && uo->sa.sport == 4500 &&
		   uo->sa.dport == 40000 && same_ip(&uo->sa.dst, "192.0.2.1"),
		   "remote moved: outbound now to 192.0.2.1:40000");
		ok(ui->sa.encap && ui->sa.dport == 40000 &&
		   same_ip(&ui->sa.src, "192.0.2.1"),
		   "remote moved: inbound expects the new source");
	}
	b = status(1);
	is_int(b.rport, 40000, "remote moved: IKE follows to port 40000");
	ok(logged("ESP for SPI") && logged("arrives from 192.0.2.1:40000"),
	   "remote moved: logged");
	/* The same event again (the module repeats it): nothing to do. */
	kernel_mock_push_event(S[1].k, &ev);
	kernel_event_read(S[1].k, on_event, &S[1]);
	is_int(n_calls(1, "sa_update"), 2, "a repeated event changes nothing");
	/* An SPI that is not ours: refused, nothing moved. */
	ev.spi = 0xdead;
	mkaddr(&ev.remote, "203.0.113.9", 1234);
	kernel_mock_push_event(S[1].k, &ev);
	kernel_event_read(S[1].k, on_event, &S[1]);
	is_int(n_calls(1, "sa_update"), 2, "an unknown SPI moves nothing");
	ok(logged("no such IPsec SA of ours"), "unknown SPI logged");
	/* Raw ESP claimed for an SA in UDP: not followed. */
	ev.spi = last_call(1, "sa_add", IKE_DIR_IN)->spi;
	ev.encap = false;
	kernel_mock_push_event(S[1].k, &ev);
	kernel_event_read(S[1].k, on_event, &S[1]);
	is_int(n_calls(1, "sa_update"), 2, "raw ESP for an SA in UDP: ignored");
	/* B's keepalive-less side now answers IKE at 40000: A is reached
	 * once the NAT maps A's 4500 there.
	 */
	nat_port[1] = 40000;
	ike_engine_terminate(S[0].eng, "site");
	run(5000);
	is_int(status(1).nactive, 0,
	       "A's Delete through the new mapping reaches B");
}

static void t_ike_moved(void)
{
	const struct kernel_mock_call *bo;
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, IKE_NATT_AUTO);
	mkconn(&b, 1, IKE_NATT_AUTO);
	a.start = IKE_START_INITIATE;
	a.lifetime = b.lifetime = 600;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_initiate(S[0].eng, "site");
	run(30000);
	ok(status(1).rport == 34500, "IKE up on the NAT's port 34500");
	/* The mapping changes; A's next Quick Mode comes from 45000. */
	nat_port[1] = 45000;
	run(600000);
	bo = last_call(1, "sa_add", IKE_DIR_OUT);
	ok(logged("authenticated IKE from 192.0.2.1:45000, was "
		  "192.0.2.1:34500"),
	   "authenticated QM from the new port logged");
	is_int(status(1).rport, 45000, "B's ISAKMP SA follows to 45000");
	ok(bo && bo->sa.encap && bo->sa.dport == 45000,
	   "the new IPsec SA goes to the new port");
	is_int(status(0).nactive, 1, "A: tunnel up again");
}

/* Payloads of A's unencrypted Main Mode messages, by type. */
static int natd_rfc, natd_draft;

/* A announces only draft-03 and older: its RFC 3947 VID is blanked. */
static void draft_only(struct pkt *p)
{
	struct isakmp_msg m;
	int i;

	if (isakmp_parse(p->buf, p->len, &m) ||
	    m.hdr.exch != ISAKMP_XCHG_IDPROT || (m.hdr.flags & ISAKMP_FLAG_E))
		return;
	for (i = 0; i < m.n; i++) {
		if (m.pl[i].type == ISAKMP_NP_VID &&
		    natt_vid_version(m.pl[i].body, m.pl[i].len) == NATT_RFC)
			memset(p->buf + (m.pl[i].body - p->buf), 0x5a, 16);
		natd_rfc += m.pl[i].type == ISAKMP_NP_NATD;
		natd_draft += m.pl[i].type == ISAKMP_NP_NATD_DRAFT;
	}
}

static void t_draft(void)
{
	const struct kernel_mock_call *ao, *bi;
	struct ike_conn a, b;
	struct st sa, sb;

	setup();
	mangle = draft_only;
	natd_rfc = natd_draft = 0;
	mkconn(&a, 0, IKE_NATT_AUTO);
	mkconn(&b, 1, IKE_NATT_AUTO);
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_initiate(S[0].eng, "site");
	run(60000);
	sa = status(0);
	sb = status(1);
	ok(sa.nactive == 1 && sb.nactive == 1, "draft peer: tunnel up");
	is_str(sb.natt, "draft-03",
	       "responder picks draft-03, the best offered");
	is_str(sa.natt, "draft-03", "initiator follows the responder's VID");
	ok(natd_draft == 2 && natd_rfc == 0,
	   "draft: NAT-D as payload 130 (%d of 130, %d of 20)", natd_draft,
	   natd_rfc);
	ao = last_call(0, "sa_add", IKE_DIR_OUT);
	bi = last_call(1, "sa_add", IKE_DIR_IN);
	ok(ao && bi && ao->sa.encap && bi->sa.encap && bi->sa.dport == 34500,
	   "draft: UDP-encapsulated tunnel (61443) agreed, ESP in UDP");
	mangle = NULL;
}

static void t_info_moved(void)
{
	const struct kernel_mock_call *uo;

	establish(IKE_NATT_AUTO, IKE_NATT_AUTO, 20);
	nat_port[1] = 47000;
	/* A's Deletes are authentic INFO from the NAT's new port. */
	ike_engine_terminate(S[0].eng, "site");
	run(5000);
	uo = last_call(1, "sa_update", IKE_DIR_OUT);
	ok(logged("authenticated IKE from 192.0.2.1:47000, was "
		  "192.0.2.1:34500"), "authentic INFO from a new port logged");
	ok(uo && uo->sa.encap && uo->sa.dport == 47000,
	   "authentic INFO from a new port moves the outbound SA");
	is_int(status(1).nactive, 0, "and the Delete it carried applies");
}

/*
 * The ISAKMP SA is replaced while the NAT's mapping of port 500 has
 * timed out (only IKE on 4500 and the keepalives kept theirs): the new
 * Main Mode must go where the old one ended, on 4500 and the NAT's
 * mapping, from either side. From B, port 500 of the NAT leads nowhere.
 */
static void t_p1_rekey_floated(int rekeyer)
{
	const struct kernel_mock_call *bo;
	struct ike_conn a, b;
	struct st s0, s1;
	int calls;

	setup();
	mkconn(&a, 0, IKE_NATT_AUTO);
	mkconn(&b, 1, IKE_NATT_AUTO);
	a.ike_lifetime = b.ike_lifetime = 90;
	a.lifetime = b.lifetime = 400;
	a.rekey_margin = b.rekey_margin = 20;
	a.rekey = rekeyer == 0;
	b.rekey = rekeyer == 1;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_initiate(S[0].eng, "site");
	run(5000);
	s0 = status(rekeyer);
	nat_port[0] = 0;
	calls = ((struct kernel_mock *)S[0].k)->n_calls +
		((struct kernel_mock *)S[1].k)->n_calls;
	loglen = 0;
	logbuf[0] = 0;
	run(85000);
	s1 = status(rekeyer);
	ok(memcmp(s1.ic, s0.ic, 8) && !strcmp(s1.state, "MM_ACTIVE") &&
	   s1.ike_rekeys == 1 && status(!rekeyer).ike_rekeys == 1,
	   "%s rekeys the ISAKMP SA behind the NAT (%s, %u rekeys)",
	   rekeyer ? "B" : "A", s1.state, s1.ike_rekeys);
	ok(strstr(logbuf, rekeyer ? "MM1 sent to 192.0.2.1:34500" :
		  "MM1 sent to 192.0.2.2:4500") &&
	   !strstr(logbuf, ":500"),
	   "%s: the new Main Mode on 4500 and the NAT's mapping",
	   rekeyer ? "B" : "A");
	ok(status(0).lport == 4500 && status(0).rport == 4500 &&
	   status(1).rport == 34500 && status(0).nl && status(1).nr,
	   "%s: the new ISAKMP SA still sees the NAT, on 4500",
	   rekeyer ? "B" : "A");
	bo = last_call(1, "sa_add", IKE_DIR_OUT);
	ok(((struct kernel_mock *)S[0].k)->n_calls +
	   ((struct kernel_mock *)S[1].k)->n_calls == calls &&
	   status(0).nactive == 1 && bo && bo->sa.dport == 34500,
	   "%s: IPsec SAs untouched", rekeyer ? "B" : "A");
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_vids();
	t_best();
	t_modes();
	t_hash();
	t_detect();
	t_decision();
	t_behind_nat();
	t_no_nat();
	t_keepalive();
	t_remote_moved();
	t_ike_moved();
	t_draft();
	t_info_moved();
	t_p1_rekey_floated(0);
	t_p1_rekey_floated(1);
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	kernel_free(S[0].k);
	kernel_free(S[1].k);
	return tap_done();
}
