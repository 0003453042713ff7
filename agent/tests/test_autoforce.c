// SPDX-License-Identifier: GPL-2.0
/*
 * nat-t = auto-force: two engines on the exchange harness, the module's
 * per-SA last use mocked. A raw tunnel whose outbound SA keeps sending
 * while its inbound SA never takes a packet is negotiated again with ESP
 * in UDP on both sides, once; traffic coming in, nothing going out, a
 * young pair or plain nat-t = auto leave it alone.
 */
#include "exchange_harness.h"

#define IKE	"aes128-sha256-modp2048"
#define ESP	"aes128-sha256"

/* What the mock module says of each direction's last use, in ms ago. */
static uint64_t in_idle, out_idle;
static int n_used;
/* An inbound SA that has taken packets whatever in_idle says (0: none). */
static uint32_t spi_in_used;
/* Every inbound SA of selector pairs of this family has taken packets. */
static int fam_in_used;

static int m_sa_used(void *ctx, const struct ike_conn *c,
		     enum ike_sa_dir dir, uint32_t spi, uint64_t *idle)
{
	n_used++;
	*idle = dir == IKE_DIR_IN ? in_idle : out_idle;
	if (dir == IKE_DIR_IN && spi_in_used && spi == spi_in_used)
		*idle = 1000;
	if (dir == IKE_DIR_IN && fam_in_used) {
		struct side *sd = ctx;
		int i;

		for (i = 0; i < sd->nsa; i++)
			if (sd->live[i] && sd->sa[i].dir == IKE_DIR_IN &&
			    sd->sa[i].spi == spi &&
			    sd->sa[i].local_ts.family == fam_in_used)
				*idle = 1000;
	}
	return 0;
}

/* The harness's engines, with sa_used wired. */
static void setup_af(void)
{
	harness_sa_used = m_sa_used;
	setup();
	n_used = 0;
}

static void up(uint8_t natt_a)
{
	struct ike_conn a, b;

	setup_af();
	mkconn(&a, 0, IKE, ESP, "s3cret");
	mkconn(&b, 1, IKE, ESP, "s3cret");
	a.natt = natt_a;
	start_pair(&a, &b);
	run(3000);
}

static void t_switch(void)
{
	const struct ike_kernel_sa *ao, *bo;

	in_idle = UINT64_MAX;
	out_idle = 0;
	up(IKE_NATT_AUTO_FORCE);
	ao = live_sa(0, IKE_DIR_OUT);
	ok(ao && !ao->encap, "blocked: comes up raw first");
	run(3000);
	ok(!logged("ESP blocked"), "blocked: not before the pair is 4 s old");
	run(30000);
	ok(logged("ESP blocked on the path: outbound SA") &&
	   logged("renegotiating with ESP in UDP (nat-t = auto-force)"),
	   "blocked: says why it renegotiates");
	is_int(count_logged("ESP blocked on the path"), 1,
	       "blocked: once, the encapsulated pair is not watched");
	ao = live_sa(0, IKE_DIR_OUT);
	bo = live_sa(1, IKE_DIR_OUT);
	/* The harness delivers every datagram on port 500, so no ports here. */
	ok(ao && ao->encap, "blocked: A's new outbound SA is ESP in UDP");
	ok(bo && bo->encap, "blocked: so is B's");
	check_mirror("blocked");
	is_int(status(0).nactive, 1, "blocked: one pair up");
	ok(S[1].ndel >= 2, "blocked: the raw pair was deleted on B too");

	/* Taken down and up by hand (a path fixed since): raw ESP again. */
	ike_engine_terminate(S[0].eng, "site");
	ike_engine_initiate(S[0].eng, "site");
	run(3000);
	ao = live_sa(0, IKE_DIR_OUT);
	ok(ao && !ao->encap, "down and up: raw ESP is tried again");
}

static void no_switch(const char *what, uint8_t natt, uint64_t in,
		      uint64_t out)
{
	const struct ike_kernel_sa *ao;

	in_idle = in;
	out_idle = out;
	up(natt);
	run(30000);
	ao = live_sa(0, IKE_DIR_OUT);
	ok(!logged("ESP blocked") && ao && !ao->encap && S[0].ndel == 0,
	   "%s: stays raw, nothing renegotiated", what);
}

/*
 * Raw ESP came in on the first pair; its successor then hears nothing
 * for a while (a peer that seldom sends, or switches late): the path
 * has shown it passes ESP, nothing is torn down.
 */
static void t_rekey(void)
{
	const struct ike_kernel_sa *ai, *ao;

	in_idle = UINT64_MAX;
	out_idle = 0;
	spi_in_used = 0;
	up(IKE_NATT_AUTO_FORCE);
	ai = live_sa(0, IKE_DIR_IN);
	ok(ai && !ai->encap, "rekeyed: comes up raw");
	if (!ai)
		return;
	spi_in_used = ai->spi;
	run(10000);
	ok(!logged("ESP blocked"), "rekeyed: ESP comes in on the first pair");
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0",
				ai->spi);
	run(30000);
	ok(status(0).nactive >= 1 && live_sa(0, IKE_DIR_IN) &&
	   live_sa(0, IKE_DIR_IN)->spi != spi_in_used,
	   "rekeyed: a successor pair is up");
	ao = live_sa(0, IKE_DIR_OUT);
	ok(!logged("ESP blocked") && ao && !ao->encap,
	   "rekeyed: the successor's quiet inbound SA proves nothing, "
	   "stays raw");
	/* Started over, nothing raw left: watched afresh. */
	spi_in_used = 0;
	ike_engine_terminate(S[0].eng, "site");
	ike_engine_initiate(S[0].eng, "site");
	run(30000);
	ao = live_sa(0, IKE_DIR_OUT);
	ok(logged("ESP blocked on the path") && ao && ao->encap,
	   "restarted: a silent pair is found blocked again");
}

/*
 * Two selector pairs: ESP comes in on the one of family fam, the other
 * only sends. The path passes ESP; nothing is torn down.
 */
static void t_other_pair(int fam)
{
	struct ike_conn a, b;
	char err[256];
	int i;

	setup_af();
	in_idle = UINT64_MAX;
	out_idle = 0;
	fam_in_used = fam;
	mkconn(&a, 0, IKE, ESP, "s3cret");
	mkconn(&b, 1, IKE, ESP, "s3cret");
	for (i = 0; i < 2; i++) {
		struct ike_conn *c = i ? &b : &a;

		c->n_local_ts = c->n_remote_ts = 2;
		ike_ts_parse(i ? "2001:db8:b::/48" : "2001:db8:a::/48",
			     &c->local_ts[1], err, sizeof(err));
		ike_ts_parse(i ? "2001:db8:a::/48" : "2001:db8:b::/48",
			     &c->remote_ts[1], err, sizeof(err));
	}
	a.natt = IKE_NATT_AUTO_FORCE;
	start_pair(&a, &b);
	run(30000);
	is_int(status(0).nactive, 2, "two pairs, IPv%d in: both up",
	       fam == AF_INET ? 4 : 6);
	ok(!logged("ESP blocked") && S[0].ndel == 0,
	   "two pairs, IPv%d in: none torn down", fam == AF_INET ? 4 : 6);
	fam_in_used = 0;
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_switch();
	t_rekey();
	t_other_pair(AF_INET);
	t_other_pair(AF_INET6);
	no_switch("ESP comes in", IKE_NATT_AUTO_FORCE, 1000, 0);
	no_switch("nothing sent", IKE_NATT_AUTO_FORCE, UINT64_MAX, UINT64_MAX);
	no_switch("sent long ago", IKE_NATT_AUTO_FORCE, UINT64_MAX, 60000);
	no_switch("nat-t = auto", IKE_NATT_AUTO, UINT64_MAX, 0);
	ok(n_used == 0, "nat-t = auto never asks the module");
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
