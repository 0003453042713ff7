// SPDX-License-Identifier: GPL-2.0
/*
 * start = on-demand: A's conn negotiates when traffic comes (acquire),
 * keeps a busy IPsec SA pair rekeyed, and lets a pair that carried
 * nothing during the rekey margin expire instead; the next acquire
 * brings the tunnel back. A listen conn rekeys an idle pair as before.
 * Two engines on the exchange harness, the module's last use mocked.
 */
#include "exchange_harness.h"

#define IKE	"aes128-sha256-modp2048"
#define ESP	"aes128gcm16"

/* Whether the mocked module saw traffic on A's SAs lately. */
static bool busy;

static int m_sa_used(void *ctx, const struct ike_conn *c,
		     enum ike_sa_dir dir, uint32_t spi, uint64_t *idle)
{
	*idle = busy ? 1000 : UINT64_MAX;
	return 0;
}

/*
 * A on-demand (or listen) with 300 s SAs and a 60 s margin; B never
 * rekeys, so what happens is A's doing.
 */
static void conns(struct ike_conn *a, struct ike_conn *b, uint8_t start)
{
	harness_sa_used = m_sa_used;
	setup();
	mkconn(a, 0, IKE, ESP, "k");
	mkconn(b, 1, IKE, ESP, "k");
	a->start = start;
	a->lifetime = 300;
	b->lifetime = 300;
	a->rekey_margin = 60;
	a->rekey_fuzz = 0;
	b->rekey = false;
}

static void up(uint8_t start)
{
	struct ike_conn a, b;

	conns(&a, &b, start);
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
}

static void t_acquire(void)
{
	up(IKE_START_ON_DEMAND);
	run(10000);
	is_int(live_count(0, IKE_DIR_OUT), 0, "on-demand: nothing at start");
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	run(5000);
	check_mirror("on-demand: the acquire brings the pair up");
}

static void t_busy(void)
{
	uint32_t spi;

	busy = true;
	up(IKE_START_ON_DEMAND);
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	run(5000);
	spi = live_sa(0, IKE_DIR_OUT) ? live_sa(0, IKE_DIR_OUT)->spi : 0;
	run(400000);
	ok(spi && live_sa(0, IKE_DIR_OUT) &&
	   live_sa(0, IKE_DIR_OUT)->spi != spi,
	   "busy: rekeyed, new SPIs (%d SAs)", live_count(0, IKE_DIR_OUT));
	ok(!logged("not rekeyed"), "busy: never let expire");
}

static void t_idle(void)
{
	char del[64];

	busy = false;
	up(IKE_START_ON_DEMAND);
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	run(5000);
	ok(live_sa(0, IKE_DIR_OUT), "idle: up on traffic");
	snprintf(del, sizeof(del), "Delete ESP SPI %08x",
		 live_sa(0, IKE_DIR_IN) ? live_sa(0, IKE_DIR_IN)->spi : 0);
	run(250000);
	ok(logged("carried nothing for 60 s: not rekeyed (start = "
		  "on-demand), traffic will negotiate anew"),
	   "idle: says why it does not rekey");
	is_int(count_logged("initiating Quick Mode for site"), 1,
	       "idle: no second Quick Mode");
	run(60000);
	is_int(live_count(0, IKE_DIR_OUT) + live_count(0, IKE_DIR_IN), 0,
	       "idle: the pair expired on A");
	/* A peer that keeps its SAs longer must not go on sending into it. */
	ok(logged(del), "idle: A tells B of the expired pair (%s)", del);
	is_int(live_count(1, IKE_DIR_OUT) + live_count(1, IKE_DIR_IN), 0,
	       "idle: and on B");
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	run(5000);
	check_mirror("idle: the next packet brings it back");
}

/* Control: listen rekeys an idle pair (the tunnel is kept up). */
static void t_listen_idle(void)
{
	busy = false;
	up(IKE_START_LISTEN);
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	run(5000);
	run(300000);
	ok(!logged("not rekeyed") &&
	   count_logged("initiating Quick Mode for site") >= 2,
	   "listen: an idle pair is rekeyed");
}

static bool b_silent;

static int drop_b(int from, int nth, const uint8_t *buf, size_t len)
{
	return from == 1 && b_silent;
}

/*
 * DPD's restart brings an on-demand conn back once; up again, it is on
 * demand again: an idle pair expires and nothing renegotiates it.
 */
static void t_after_dpd_restart(void)
{
	struct ike_conn a, b;

	busy = false;
	b_silent = false;
	conns(&a, &b, IKE_START_ON_DEMAND);
	filter = drop_b;
	a.dpd = true;
	a.dpd_delay = 10;
	a.dpd_timeout = 30;
	a.dpd_action = IKE_DPD_RESTART;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	run(5000);
	b_silent = true;
	run(60000);
	ok(logged("DPD: peer"), "dpd: the silent peer declared dead");
	b_silent = false;
	run(20000);
	ok(live_sa(0, IKE_DIR_OUT) != NULL, "dpd: restarted, up again");
	loglen = 0;
	logbuf[0] = 0;
	run(600000);
	ok(logged("not rekeyed (start = on-demand)"),
	   "dpd: then an idle pair is let expire");
	is_int(count_logged("initiating Main Mode") +
	       count_logged("initiating Quick Mode"), 0,
	       "dpd: and nothing negotiates it again");
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_acquire();
	t_busy();
	t_idle();
	t_listen_idle();
	t_after_dpd_restart();
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
