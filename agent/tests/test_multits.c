// SPDX-License-Identifier: GPL-2.0
/*
 * Several selector pairs on one conn (local-ts = 10.x, 2001:db8:x::/48):
 * one Quick Mode per pair under one ISAKMP SA, each pair installed with
 * its own selectors, rekeyed on its own, brought back on its own by an
 * acquire for its family, and all of them deleted together. Two engines
 * back to back on the mock kernel of the exchange harness.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "exchange_harness.h"
#include "ike/ikev1.h"

#define ESP	"aes128gcm16"

static void set_ts(struct ike_conn *c, int i, bool v6)
{
	char err[256];

	c->n_local_ts = c->n_remote_ts = v6 ? 2 : 1;
	ike_ts_parse(i ? "10.2.0.0/16" : "10.1.0.0/16", &c->local_ts[0], err,
		     sizeof(err));
	ike_ts_parse(i ? "10.1.0.0/16" : "10.2.0.0/16", &c->remote_ts[0], err,
		     sizeof(err));
	ike_ts_parse(i ? "2001:db8:b::/48" : "2001:db8:a::/48",
		     &c->local_ts[1], err, sizeof(err));
	ike_ts_parse(i ? "2001:db8:a::/48" : "2001:db8:b::/48",
		     &c->remote_ts[1], err, sizeof(err));
}

/* The live SA of side i, direction dir, whose selectors are family f. */
static const struct ike_kernel_sa *sa_of(int i, enum ike_sa_dir dir, int f)
{
	const struct ike_kernel_sa *found = NULL;
	int k, n = 0;

	for (k = 0; k < S[i].nsa; k++)
		if (S[i].live[k] && S[i].sa[k].dir == dir &&
		    S[i].sa[k].local_ts.family == f) {
			found = &S[i].sa[k];
			n++;
		}
	return n == 1 ? found : NULL;
}

/* Each side: one SA per direction and family, the peer's mirror. */
static bool pair_ok(int f)
{
	const struct ike_kernel_sa *ai = sa_of(0, IKE_DIR_IN, f);
	const struct ike_kernel_sa *ao = sa_of(0, IKE_DIR_OUT, f);
	const struct ike_kernel_sa *bi = sa_of(1, IKE_DIR_IN, f);
	const struct ike_kernel_sa *bo = sa_of(1, IKE_DIR_OUT, f);

	return ai && ao && bi && bo && ai->spi == bo->spi &&
	       ao->spi == bi->spi &&
	       !memcmp(ai->enc_key, bo->enc_key, ai->enc_key_len) &&
	       !memcmp(ao->enc_key, bi->enc_key, ao->enc_key_len) &&
	       ts_equal(&ai->local_ts, &bi->remote_ts) &&
	       ts_equal(&ai->remote_ts, &bi->local_ts) &&
	       ts_equal(&ao->local_ts, &ai->local_ts) &&
	       ts_equal(&ao->remote_ts, &ai->remote_ts);
}

static bool ts_is(const struct ike_ts *ts, const char *s)
{
	char b[64];

	return !strcmp(ts_str(ts, b, sizeof(b)), s);
}

struct pairs_st {
	int nactive;
	uint32_t rekeys;
	char ts[4][64];
};

static void pairs_cb(void *arg, const struct ike_status *s)
{
	struct pairs_st *o = arg;
	char l[64], r[64];
	int i;

	o->rekeys = s->rekeys;
	for (i = 0; i < s->n_children; i++) {
		if (strcmp(s->children[i].state, "QM_ACTIVE"))
			continue;
		if (o->nactive < 4)
			snprintf(o->ts[o->nactive], sizeof(o->ts[0]),
				 "%s === %s",
				 ts_str(&s->children[i].local_ts, l, sizeof(l)),
				 ts_str(&s->children[i].remote_ts, r,
					sizeof(r)));
		o->nactive++;
	}
}

static struct pairs_st pairs_status(int i)
{
	struct pairs_st o;

	memset(&o, 0, sizeof(o));
	ike_engine_status(S[i].eng, pairs_cb, &o);
	return o;
}

static bool status_has(const struct pairs_st *s, const char *t)
{
	int i;

	for (i = 0; i < s->nactive && i < 4; i++)
		if (!strcmp(s->ts[i], t))
			return true;
	return false;
}

/* A (start = listen, so only acquires restart it) and B, both pairs. */
static void two_pairs_up(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts(&a, 0, true);
	set_ts(&b, 1, true);
	start_pair(&a, &b);
	run(5000);
}

static void t_negotiated(void)
{
	const struct ike_kernel_sa *v4, *v6;
	struct pairs_st s;

	two_pairs_up();
	is_int(count_logged("initiating Quick Mode for site"), 2,
	       "two Quick Modes for one conn");
	is_int(count_logged("initiating Main Mode"), 1,
	       "under one ISAKMP SA");
	is_int(live_count(0, IKE_DIR_IN) + live_count(0, IKE_DIR_OUT), 4,
	       "A: four SAs, two pairs");
	is_int(live_count(1, IKE_DIR_IN) + live_count(1, IKE_DIR_OUT), 4,
	       "B: four SAs, two pairs");
	ok(pair_ok(AF_INET), "IPv4 pair: SPIs, keys and selectors mirror");
	ok(pair_ok(AF_INET6), "IPv6 pair: SPIs, keys and selectors mirror");
	v4 = sa_of(0, IKE_DIR_OUT, AF_INET);
	v6 = sa_of(0, IKE_DIR_OUT, AF_INET6);
	ok(v4 && ts_is(&v4->local_ts, "10.1.0.0/16") &&
	   ts_is(&v4->remote_ts, "10.2.0.0/16"),
	   "A's IPv4 outbound SA carries 10.1.0.0/16 === 10.2.0.0/16");
	ok(v6 && ts_is(&v6->local_ts, "2001:db8:a::/48") &&
	   ts_is(&v6->remote_ts, "2001:db8:b::/48"),
	   "A's IPv6 outbound SA carries 2001:db8:a::/48 === 2001:db8:b::/48");
	ok(v4 && v6 && v4->spi != v6->spi, "the pairs have their own SPIs");
	s = pairs_status(0);
	is_int(s.nactive, 2, "status: two active pairs");
	ok(status_has(&s, "10.1.0.0/16 === 10.2.0.0/16") &&
	   status_has(&s, "2001:db8:a::/48 === 2001:db8:b::/48"),
	   "status shows each pair's selectors");
	s = pairs_status(1);
	ok(s.nactive == 2 &&
	   status_has(&s, "2001:db8:b::/48 === 2001:db8:a::/48"),
	   "responder: both pairs active, its own view of the selectors");
	is_int(nwarn, 0, "nothing warned");
}

static void t_rekey_one(void)
{
	const struct ike_kernel_sa *o4, *o6;
	uint32_t out4, in4, out6, in6;

	two_pairs_up();
	o4 = sa_of(0, IKE_DIR_OUT, AF_INET);
	o6 = sa_of(0, IKE_DIR_OUT, AF_INET6);
	if (!o4 || !o6) {
		ok(0, "rekey: pairs up first");
		return;
	}
	out4 = o4->spi;
	in4 = sa_of(0, IKE_DIR_IN, AF_INET)->spi;
	out6 = o6->spi;
	in6 = sa_of(0, IKE_DIR_IN, AF_INET6)->spi;
	/* A minute later, bytes ran out on the IPv4 SA only. */
	now_ms += 60000;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", out4);
	run(15000);
	ok(pair_ok(AF_INET) && pair_ok(AF_INET6),
	   "rekey: one pair per family on both sides afterwards");
	o4 = sa_of(0, IKE_DIR_OUT, AF_INET);
	o6 = sa_of(0, IKE_DIR_OUT, AF_INET6);
	ok(o4 && o4->spi != out4 && sa_of(0, IKE_DIR_IN, AF_INET)->spi != in4,
	   "rekey: the IPv4 pair has new SPIs");
	ok(o6 && o6->spi == out6 && sa_of(0, IKE_DIR_IN, AF_INET6)->spi == in6,
	   "rekey: the IPv6 pair is untouched");
	is_int(pairs_status(0).rekeys, 1, "rekey: one pair replaced");
	is_int(count_logged("duplicate IPsec SA"), 0,
	       "rekey: not taken for a collision");
	is_int(count_logged("initiating Quick Mode for site"), 3,
	       "rekey: one more Quick Mode, for IPv4 alone");
	ok(logged("(10.1.0.0/16 === 10.2.0.0/16)"),
	   "rekey: its log line names the pair");

	/* Then the IPv6 pair on its own, from the other side. */
	o6 = sa_of(1, IKE_DIR_OUT, AF_INET6);
	out4 = sa_of(1, IKE_DIR_OUT, AF_INET)->spi;
	out6 = o6->spi;
	now_ms += 60000;
	ike_engine_kernel_event(S[1].eng, IKE_KEV_SOFT_EXPIRE, "esp0", out6);
	run(15000);
	ok(pair_ok(AF_INET) && pair_ok(AF_INET6),
	   "second rekey: one pair per family");
	ok(sa_of(1, IKE_DIR_OUT, AF_INET)->spi == out4 &&
	   sa_of(1, IKE_DIR_OUT, AF_INET6)->spi != out6,
	   "second rekey: IPv6 renewed, IPv4 kept");
	is_int(nwarn, 0, "rekey: nothing warned");
}

/* The peer deletes one pair: an acquire of the other family is a no-op. */
static void t_acquire_family(void)
{
	struct ike_ts src, dst;
	struct p2sa *ch;
	uint32_t out4;
	char err[64];
	int qms;

	two_pairs_up();
	out4 = sa_of(0, IKE_DIR_OUT, AF_INET)->spi;
	for (ch = S[1].eng->p2s; ch && ch->local_ts.family != AF_INET6;
	     ch = ch->next)
		;
	if (!ch) {
		ok(0, "acquire: B has an IPv6 pair");
		return;
	}
	notify_delete_child(S[1].eng, ch);
	sa_p2_free(S[1].eng, ch);
	run(100);
	ok(!sa_of(0, IKE_DIR_OUT, AF_INET6) && sa_of(0, IKE_DIR_OUT, AF_INET),
	   "acquire: the peer's Delete took the IPv6 pair only");
	qms = count_logged("initiating Quick Mode for site");
	ike_ts_parse("10.1.0.5", &src, err, sizeof(err));
	ike_ts_parse("10.2.0.7", &dst, err, sizeof(err));
	ike_engine_acquire(S[0].eng, "esp0", &src, &dst);
	run(100);
	is_int(count_logged("initiating Quick Mode for site"), qms,
	       "acquire for IPv4 (its pair is up): nothing negotiated");
	ike_ts_parse("2001:db8:a::5", &src, err, sizeof(err));
	ike_ts_parse("2001:db8:b::7", &dst, err, sizeof(err));
	ike_engine_acquire(S[0].eng, "esp0", &src, &dst);
	run(3000);
	is_int(count_logged("initiating Quick Mode for site"), qms + 1,
	       "acquire for IPv6: one Quick Mode");
	ok(logged("(2001:db8:a::/48 === 2001:db8:b::/48)"),
	   "acquire: for the IPv6 pair");
	ok(pair_ok(AF_INET6) && pair_ok(AF_INET),
	   "acquire: both pairs up again");
	ok(sa_of(0, IKE_DIR_OUT, AF_INET)->spi == out4,
	   "acquire: the IPv4 pair was left alone");
}

/*
 * A packet that no selector pair of the conn carries (a router
 * solicitation of IPv6 on a conn of IPv4 pairs) starts nothing: no SA
 * could take it. One inside a pair starts the conn.
 */
static void t_acquire_outside(void)
{
	struct ike_ts src, dst;
	struct ike_conn a, b;
	char err[64];

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts(&a, 0, false);
	set_ts(&b, 1, false);
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_ts_parse("fe80::1", &src, err, sizeof(err));
	ike_ts_parse("ff02::2", &dst, err, sizeof(err));
	ike_engine_acquire(S[0].eng, "esp0", &src, &dst);
	ike_ts_parse("10.1.0.5", &src, err, sizeof(err));
	ike_ts_parse("10.9.0.7", &dst, err, sizeof(err));
	ike_engine_acquire(S[0].eng, "esp0", &src, &dst);
	run(3000);
	is_int(count_logged("initiating Main Mode"), 0,
	       "acquire outside every pair: nothing negotiated");
	ok(logged("matches none of its selector pairs"),
	   "acquire outside every pair: logged as such");
	ike_ts_parse("10.2.0.7", &dst, err, sizeof(err));
	ike_engine_acquire(S[0].eng, "esp0", &src, &dst);
	run(5000);
	is_int(count_logged("initiating Main Mode"), 1,
	       "acquire inside the pair: the conn negotiates");
	ok(pair_ok(AF_INET), "acquire inside the pair: its SAs are up");
}

static void t_delete_all(void)
{
	two_pairs_up();
	ike_engine_terminate(S[0].eng, "site");
	run(1000);
	is_int(live_count(0, IKE_DIR_IN) + live_count(0, IKE_DIR_OUT), 0,
	       "terminate: all of A's SAs removed");
	is_int(live_count(1, IKE_DIR_IN) + live_count(1, IKE_DIR_OUT), 0,
	       "terminate: the peer removed both pairs on the Deletes");
	is_int(pairs_status(1).nactive, 0, "terminate: B lists no pair");
}

/* A responder that knows only IPv4 refuses the IPv6 Quick Mode alone. */
static void t_responder_subset(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts(&a, 0, true);
	set_ts(&b, 1, false);
	start_pair(&a, &b);
	run(5000);
	ok(pair_ok(AF_INET), "subset: the IPv4 pair is up");
	ok(!sa_of(1, IKE_DIR_IN, AF_INET6) && !sa_of(0, IKE_DIR_OUT, AF_INET6),
	   "subset: no IPv6 SA on either side");
	ok(logged("traffic selectors do not match site (local-ts 10.2.0.0/16, "
		  "remote-ts 10.1.0.0/16)"),
	   "subset: the responder says why it refused");
}

/*
 * The IPv6 pair first: its refusal arrives while the IPv4 Quick Mode still
 * waits for QM2, and must end only its own exchange (it names its SPI).
 */
static void t_refusal_names_spi(void)
{
	struct ike_conn a, b;
	struct ike_ts t;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts(&a, 0, true);
	t = a.local_ts[0];
	a.local_ts[0] = a.local_ts[1];
	a.local_ts[1] = t;
	set_ts(&b, 1, false);
	start_pair(&a, &b);
	run(5000);
	ok(logged("initiating Quick Mode for site (2001:db8:a::/48"),
	   "refusal: the IPv6 pair is negotiated first");
	ok(logged("QM1 for site refused by peer: INVALID-ID-INFORMATION"),
	   "refusal: the initiator heard it");
	ok(pair_ok(AF_INET), "refusal: the IPv4 Quick Mode under way went on");
}

static void set_ts4(struct ike_conn *c, const char *l, const char *r)
{
	char err[256];

	c->n_local_ts = c->n_remote_ts = 1;
	ike_ts_parse(l, &c->local_ts[0], err, sizeof(err));
	ike_ts_parse(r, &c->remote_ts[0], err, sizeof(err));
}

/*
 * The initiator's policy is narrower than the responder's: its selectors
 * lie inside B's pair and are taken as they are, on both sides, and B's
 * own rekey offers them again rather than its wider pair.
 */
static void t_narrower(void)
{
	const struct ike_kernel_sa *bi, *bo;
	struct ike_conn a, b;
	uint32_t out;
	char t[64];

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts4(&a, "10.1.5.0/24", "10.2.7.0/24");
	set_ts4(&b, "10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	run(5000);
	ok(pair_ok(AF_INET), "narrower: one pair, the peers' mirror");
	bi = sa_of(1, IKE_DIR_IN, AF_INET);
	bo = sa_of(1, IKE_DIR_OUT, AF_INET);
	ok(bi && !strcmp(ts_str(&bi->remote_ts, t, sizeof(t)), "10.1.5.0/24") &&
	   !strcmp(ts_str(&bi->local_ts, t, sizeof(t)), "10.2.7.0/24"),
	   "narrower: the responder installed the initiator's selectors");
	ok(logged("the peer's selectors 10.2.7.0/24 === 10.1.5.0/24 lie inside "
		  "site's pair 10.2.0.0/16 === 10.1.0.0/16: taken as they are"),
	   "narrower: the responder says so");
	if (!bo)
		return;
	out = bo->spi;
	now_ms += 60000;
	ike_engine_kernel_event(S[1].eng, IKE_KEV_SOFT_EXPIRE, "esp0", out);
	run(15000);
	bo = sa_of(1, IKE_DIR_OUT, AF_INET);
	ok(pair_ok(AF_INET) && bo && bo->spi != out &&
	   !strcmp(ts_str(&bo->local_ts, t, sizeof(t)), "10.2.7.0/24"),
	   "narrower: the responder's rekey keeps the narrow selectors");
	is_int(count_logged("INVALID-ID-INFORMATION"), 0,
	       "narrower: nothing refused");
	/* Up as far as retries go: no Quick Mode for the wide pair. */
	run(120000);
	is_int(count_logged("initiating Quick Mode for site (10.2.0.0/16"), 0,
	       "narrower: the wide pair counts as carried");

	/* Not inside: refused as before. */
	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts4(&a, "10.3.0.0/24", "10.2.7.0/24");
	set_ts4(&b, "10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	run(5000);
	ok(!sa_of(1, IKE_DIR_IN, AF_INET) &&
	   logged("traffic selectors do not match site"),
	   "outside: a selector beyond the pair is refused");
}

static int id_ts(uint8_t type, const char *a, const char *b,
		 struct ike_ts *ts)
{
	uint8_t data[32];
	struct isakmp_id id = { .type = type, .data = data };
	int af = type == IKE_ID_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	size_t n = af == AF_INET6 ? 16 : 4;

	inet_pton(af, a, data);
	inet_pton(af, b, data + n);
	id.len = 2 * n;
	return ts_from_id(&id, ts);
}

/*
 * ID_IPV4_ADDR_RANGE and ID_IPV6_ADDR_RANGE: one prefix is kept as the
 * prefix, any other range as a range, sent back as a range ID; one that
 * ends below its start is none.
 */
static void t_ranges(void)
{
	struct ike_ts ts, net;
	uint8_t type, data[32], want[8];
	char t[IKE_TS_STRLEN], err[256];
	size_t len;

	ok(!id_ts(IKE_ID_IPV4_ADDR_RANGE, "10.1.0.0", "10.1.255.255", &ts) &&
	   !strcmp(ts_str(&ts, t, sizeof(t)), "10.1.0.0/16"),
	   "range 10.1.0.0-10.1.255.255 is 10.1.0.0/16 (%s)", t);
	ok(!id_ts(IKE_ID_IPV4_ADDR_RANGE, "10.1.2.3", "10.1.2.3", &ts) &&
	   !strcmp(ts_str(&ts, t, sizeof(t)), "10.1.2.3/32"),
	   "range of one address is a /32");
	ok(!id_ts(IKE_ID_IPV4_ADDR_RANGE, "0.0.0.0", "255.255.255.255", &ts) &&
	   !strcmp(ts_str(&ts, t, sizeof(t)), "0.0.0.0/0"),
	   "the whole IPv4 range is 0.0.0.0/0");
	ok(!id_ts(IKE_ID_IPV6_ADDR_RANGE, "2001:db8::", "2001:db8::ffff", &ts) &&
	   !strcmp(ts_str(&ts, t, sizeof(t)), "2001:db8::/112"),
	   "IPv6 range 2001:db8::-2001:db8::ffff is a /112");
	ok(!id_ts(IKE_ID_IPV4_ADDR_RANGE, "10.1.0.1", "10.1.0.100", &ts) &&
	   ts.range && !strcmp(ts_str(&ts, t, sizeof(t)), "10.1.0.1-10.1.0.100"),
	   "10.1.0.1-10.1.0.100 is kept as a range (%s)", t);
	ts_to_id(&ts, &type, data, &len);
	inet_pton(AF_INET, "10.1.0.1", want);
	inet_pton(AF_INET, "10.1.0.100", want + 4);
	ok(type == IKE_ID_IPV4_ADDR_RANGE && len == 8 && !memcmp(data, want, 8),
	   "a range goes back out as ID_IPV4_ADDR_RANGE, the same 8 bytes");
	ok(!id_ts(IKE_ID_IPV6_ADDR_RANGE, "2001:db8::5", "2001:db8::1:14", &ts) &&
	   !strcmp(ts_str(&ts, t, sizeof(t)), "2001:db8::5-2001:db8::1:14"),
	   "IPv6 range kept as a range (%s)", t);
	is_int(id_ts(IKE_ID_IPV4_ADDR_RANGE, "10.1.0.255", "10.1.0.0", &ts),
	       -1, "a range ending before it starts is none");
	is_int(id_ts(IKE_ID_IPV4_ADDR_RANGE, "10.2.0.0", "9.255.255.255", &ts),
	       -1, "one ending below its start in the first byte is none");

	/* Containment and equality compare first and last addresses. */
	id_ts(IKE_ID_IPV4_ADDR_RANGE, "10.1.0.5", "10.1.0.20", &ts);
	ike_ts_parse("10.1.0.0/24", &net, err, sizeof(err));
	ok(ts_contains(&net, &ts) && !ts_contains(&ts, &net),
	   "10.1.0.5-10.1.0.20 lies inside 10.1.0.0/24, not the reverse");
	ike_ts_parse("10.1.0.16/28", &net, err, sizeof(err));
	ok(!ts_contains(&net, &ts), "nor inside 10.1.0.16/28 (it starts below)");
	ike_ts_parse("10.1.0.8/29", &net, err, sizeof(err));
	ok(ts_contains(&ts, &net), "10.1.0.8/29 lies inside 10.1.0.5-10.1.0.20");
	ike_ts_parse("10.1.0.16/28", &net, err, sizeof(err));
	ok(!ts_contains(&ts, &net), "10.1.0.16/28 does not (it ends at .31)");
	ike_ts_parse("10.1.0.0-10.1.0.255", &net, err, sizeof(err));
	ok(!net.range && !strcmp(ts_str(&net, t, sizeof(t)), "10.1.0.0/24"),
	   "local-ts 10.1.0.0-10.1.0.255 is read as 10.1.0.0/24");

	/* The config's form: FIRST-LAST, checked. */
	ok(!ike_ts_parse("10.1.0.5-10.1.0.20", &ts, err, sizeof(err)) &&
	   ts.range && !strcmp(ts_str(&ts, t, sizeof(t)), "10.1.0.5-10.1.0.20"),
	   "local-ts 10.1.0.5-10.1.0.20 is a range");
	ok(ike_ts_parse("10.1.0.20-10.1.0.5", &ts, err, sizeof(err)) &&
	   !strcmp(err, "selector range '10.1.0.20-10.1.0.5' ends below its "
		   "start"), "a range ending below its start: %s", err);
	ok(ike_ts_parse("10.1.0.5-2001:db8::1", &ts, err, sizeof(err)) &&
	   strstr(err, "bad selector address '2001:db8::1'"),
	   "a range of two families: %s", err);
}

/*
 * A conn whose local-ts is a range: the initiator sends it as a range
 * ID, the responder (a /16 pair) takes it as lying inside, and both
 * install the range.
 */
static void t_range_conn(void)
{
	const struct ike_kernel_sa *ai, *bi;
	struct ike_conn a, b;
	char t[IKE_TS_STRLEN], u[IKE_TS_STRLEN];

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts4(&a, "10.1.0.5-10.1.0.20", "10.2.0.0/24");
	set_ts4(&b, "10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	run(5000);
	ok(pair_ok(AF_INET), "range conn: one pair, the peers' mirror");
	ai = sa_of(0, IKE_DIR_IN, AF_INET);
	bi = sa_of(1, IKE_DIR_IN, AF_INET);
	ok(ai && !strcmp(ts_str(&ai->local_ts, t, sizeof(t)),
			 "10.1.0.5-10.1.0.20") &&
	   !strcmp(ts_str(&ai->remote_ts, u, sizeof(u)), "10.2.0.0/24"),
	   "range conn: the initiator installed the range");
	ok(bi && !strcmp(ts_str(&bi->remote_ts, t, sizeof(t)),
			 "10.1.0.5-10.1.0.20") &&
	   !strcmp(ts_str(&bi->local_ts, u, sizeof(u)), "10.2.0.0/24"),
	   "range conn: the responder installed the range");
	ok(logged("the peer's selectors 10.2.0.0/24 === 10.1.0.5-10.1.0.20 "
		  "lie inside site's pair 10.2.0.0/16 === 10.1.0.0/16"),
	   "range conn: the responder says so");

	/* A range the responder's pair does not hold is refused. */
	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts4(&a, "10.0.255.250-10.1.0.20", "10.2.0.0/24");
	set_ts4(&b, "10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	run(5000);
	ok(!sa_of(1, IKE_DIR_IN, AF_INET) &&
	   logged("traffic selectors do not match site"),
	   "range conn: a range reaching outside the pair is refused");
}

/*
 * The responder's policy is narrower than the initiator's: it answers
 * with its own pair, and the initiator takes the QM2's narrower IDs,
 * installs them, and keeps them when it rekeys.
 */
static void t_initiator_narrower(void)
{
	const struct ike_kernel_sa *ai, *ao;
	struct ike_conn a, b;
	char t[IKE_TS_STRLEN], u[IKE_TS_STRLEN];
	uint32_t out;
	int qms;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts4(&a, "10.1.0.0/16", "10.2.0.0/16");
	set_ts4(&b, "10.2.7.0/24", "10.1.0.5-10.1.0.20");
	start_pair(&a, &b);
	run(5000);
	ok(pair_ok(AF_INET), "initiator narrower: one pair, the mirror");
	ai = sa_of(0, IKE_DIR_IN, AF_INET);
	ok(ai && !strcmp(ts_str(&ai->local_ts, t, sizeof(t)),
			 "10.1.0.5-10.1.0.20") &&
	   !strcmp(ts_str(&ai->remote_ts, u, sizeof(u)), "10.2.7.0/24"),
	   "initiator narrower: the initiator installed the QM2's IDs");
	ok(logged("the peer's selectors 10.2.0.0/16 === 10.1.0.0/16 hold "
		  "site's pair 10.2.7.0/24 === 10.1.0.5-10.1.0.20: answered "
		  "with the pair"), "initiator narrower: the responder says so");
	ok(logged("QM2: the responder's selectors 10.1.0.5-10.1.0.20 === "
		  "10.2.7.0/24 lie inside the 10.1.0.0/16 === 10.2.0.0/16 we "
		  "offered: taken as they are"),
	   "initiator narrower: the initiator says so");
	ao = sa_of(0, IKE_DIR_OUT, AF_INET);
	if (!ao)
		return;
	out = ao->spi;
	now_ms += 60000;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", out);
	run(15000);
	ao = sa_of(0, IKE_DIR_OUT, AF_INET);
	ok(pair_ok(AF_INET) && ao && ao->spi != out &&
	   !strcmp(ts_str(&ao->remote_ts, t, sizeof(t)), "10.2.7.0/24"),
	   "initiator narrower: its rekey keeps the narrow selectors");
	is_int(count_logged("INVALID-ID-INFORMATION"), 0,
	       "initiator narrower: nothing refused");
	/* Up as far as retries go: no Quick Mode for the wide pair. */
	qms = count_logged("initiating Quick Mode for site");
	run(120000);
	is_int(count_logged("initiating Quick Mode for site"), qms,
	       "initiator narrower: the wide pair counts as carried");
}

/*
 * Once A's QM1 (its 4th message) is out, A's record of its offer is cut
 * to 10.1.0.0/24: B's QM2, which answers the 10.1.0.0/16 it received,
 * is then wider than what A holds as offered.
 */
static int shrink_offer(int from, int nth, const uint8_t *buf, size_t len)
{
	struct p2sa *ch;
	char e[128];

	(void)buf;
	(void)len;
	if (from != 0 || nth != 4)
		return 0;
	for (ch = S[0].eng->p2s; ch; ch = ch->next)
		if (ike_ts_parse("10.1.0.0/24", &ch->local_ts, e, sizeof(e)))
			printf("# bad test selector: %s\n", e);
	return 0;
}

/* A QM2 whose IDs are wider than the offer is refused, nothing installed. */
static void t_qm2_wider(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts4(&a, "10.1.0.0/16", "10.2.0.0/16");
	set_ts4(&b, "10.2.0.0/16", "10.1.0.0/16");
	filter = shrink_offer;
	start_pair(&a, &b);
	run(5000);
	ok(logged("QM2: the responder's selectors 10.1.0.0/16 === "
		  "10.2.0.0/16 are not inside the 10.1.0.0/24 === "
		  "10.2.0.0/16 we offered"),
	   "QM2 wider than the offer: the initiator says so");
	ok(!sa_of(0, IKE_DIR_IN, AF_INET) && !sa_of(0, IKE_DIR_OUT, AF_INET),
	   "QM2 wider than the offer: the initiator installed nothing");
	filter = NULL;
}

/* The offer A holds once its QM1 is out (NULL: as sent). */
static const char *moved_local, *moved_remote;

/*
 * Once A's QM1 (its 4th message) is out, A's record of its offer moves
 * to a range beside the one it sent: B's QM2, which answers the offer
 * it received, then lies outside what A holds as offered.
 */
static int move_offer(int from, int nth, const uint8_t *buf, size_t len)
{
	struct p2sa *ch;
	char e[128];

	(void)buf;
	(void)len;
	if (from != 0 || nth != 4)
		return 0;
	for (ch = S[0].eng->p2s; ch; ch = ch->next)
		if (ike_ts_parse(moved_local, &ch->local_ts, e, sizeof(e)) ||
		    ike_ts_parse(moved_remote, &ch->remote_ts, e, sizeof(e)))
			printf("# bad test selector: %s\n", e);
	return 0;
}

/*
 * B's policy is a range inside A's offer, so its QM2 answers with range
 * IDs; A, holding a range beside them as its offer, refuses the QM2 with
 * INVALID-ID-INFORMATION and installs nothing, and B, told so, drops the
 * inbound SA it installed for QM2 rather than waiting for QM3.
 */
static void qm2_outside(const char *what, const char *a_l, const char *a_r,
			const char *b_l, const char *b_r, const char *moved_l,
			const char *moved_r, const char *line)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	set_ts4(&a, a_l, a_r);
	set_ts4(&b, b_l, b_r);
	moved_local = moved_l;
	moved_remote = moved_r;
	filter = move_offer;
	start_pair(&a, &b);
	run(5000);
	ok(logged(line), "%s QM2 outside the offer: the initiator says why",
	   what);
	is_int(S[0].nsa, 0, "%s QM2 outside the offer: the initiator "
	       "installed no SA", what);
	ok(logged("INFO sent to 192.0.2.2:500: INVALID-ID-INFORMATION"),
	   "%s QM2 outside the offer: INVALID-ID-INFORMATION sent", what);
	ok(logged("QM2 for site refused by peer: INVALID-ID-INFORMATION"),
	   "%s QM2 outside the offer: the responder heard it", what);
	ok(S[1].nsa == 1 && S[1].sa[0].dir == IKE_DIR_IN && !S[1].live[0],
	   "%s QM2 outside the offer: the responder's inbound SA is gone",
	   what);
	/* Up as far as QM2's retransmissions went: none was sent. */
	run(60000);
	is_int(count_logged("retransmitting QM2"), 0,
	       "%s QM2 outside the offer: the responder did not resend QM2",
	       what);
	filter = NULL;
}

static void t_qm2_outside(void)
{
	qm2_outside("IPv4", "10.1.0.0/16", "10.2.0.0/16",
		    "10.2.7.0/24", "10.1.0.5-10.1.0.20",
		    "10.1.0.30-10.1.0.60", "10.2.0.0/16",
		    "QM2: the responder's selectors 10.1.0.5-10.1.0.20 === "
		    "10.2.7.0/24 are not inside the 10.1.0.30-10.1.0.60 === "
		    "10.2.0.0/16 we offered");
	qm2_outside("IPv6", "2001:db8:a::/48", "2001:db8:b::/48",
		    "2001:db8:b::10-2001:db8:b::20", "2001:db8:a::/64",
		    "2001:db8:a::/64", "2001:db8:b::30-2001:db8:b::40",
		    "QM2: the responder's selectors 2001:db8:a::/64 === "
		    "2001:db8:b::10-2001:db8:b::20 are not inside the "
		    "2001:db8:a::/64 === 2001:db8:b::30-2001:db8:b::40 we "
		    "offered");
}

/* After QM1 went out, A's record of its offer asks for PFS it did not ask for. */
static int move_group(int from, int nth, const uint8_t *buf, size_t len)
{
	struct p2sa *ch;

	(void)buf;
	(void)len;
	if (from != 0 || nth != 4)
		return 0;
	for (ch = S[0].eng->p2s; ch; ch = ch->next)
		ch->prop.group = IKE_GROUP_MODP2048;
	return 0;
}

/*
 * Any QM2 refused after its HASH(2) verified is answered, not only one
 * refused for its IDs: here the responder's choice is not what A now
 * holds as its offer (NO-PROPOSAL-CHOSEN), and B drops its inbound SA.
 */
static void t_qm2_not_offered(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", ESP, "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", ESP, "k");
	filter = move_group;
	start_pair(&a, &b);
	run(5000);
	ok(logged("QM2: responder's choice refused: not one we offered"),
	   "QM2 not offered: the initiator says why");
	is_int(S[0].nsa, 0, "QM2 not offered: the initiator installed no SA");
	ok(logged("INFO sent to 192.0.2.2:500: NO-PROPOSAL-CHOSEN"),
	   "QM2 not offered: NO-PROPOSAL-CHOSEN sent");
	ok(logged("QM2 for site refused by peer: NO-PROPOSAL-CHOSEN"),
	   "QM2 not offered: the responder heard it");
	ok(S[1].nsa == 1 && S[1].sa[0].dir == IKE_DIR_IN && !S[1].live[0],
	   "QM2 not offered: the responder's inbound SA is gone");
	run(60000);
	is_int(count_logged("retransmitting QM2"), 0,
	       "QM2 not offered: the responder did not resend QM2");
	filter = NULL;
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_negotiated();
	t_rekey_one();
	t_acquire_family();
	t_acquire_outside();
	t_delete_all();
	t_responder_subset();
	t_refusal_names_spi();
	t_narrower();
	t_ranges();
	t_range_conn();
	t_initiator_narrower();
	t_qm2_wider();
	t_qm2_outside();
	t_qm2_not_offered();
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
