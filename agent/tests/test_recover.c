// SPDX-License-Identifier: GPL-2.0
/*
 * Recovery of stale state, two engines on the mock kernel: a side that
 * restarts (fresh engine, empty kernel) sends INITIAL-CONTACT and the
 * other drops its old ISAKMP SA and replaces its IPsec SAs at once; ESP
 * on unknown SPIs is answered with INVALID-SPI (rate-limited) while an
 * ISAKMP SA exists, and makes a side without one negotiate afresh; an
 * INVALID-SPI naming our outbound SA replaces the pair.
 */
#include <stdio.h>

#include "tap.h"
#include "mock_pair.h"

static void up(void)
{
	struct ike_conn a, b;

	pair_setup();
	pair_conn(&a, 0, IKE_START_INITIATE);
	pair_conn(&b, 1, IKE_START_LISTEN);
	a.dpd = b.dpd = false;
	pair_establish(&a, &b);
}

/* Side i restarts with its conn: nothing of the old state is left. */
static void restart(int i, enum ike_start start)
{
	struct ike_conn c;

	pair_side_new(i);
	/* Random in a real kernel: not the SPIs of before. */
	pair_mock(i)->next_spi += 0x01000000;
	pair_conn(&c, i, start);
	c.dpd = false;
	pair_add(i, &c);
}

static bool one_pair(int i)
{
	return pair_n_sas(i, IKE_DIR_IN) == 1 && pair_n_sas(i, IKE_DIR_OUT) == 1;
}

/* Each side's inbound SPI is the other's outbound one. */
static bool pairs_agree(void)
{
	return pair_spi(0, IKE_DIR_IN) == pair_spi(1, IKE_DIR_OUT) &&
	       pair_spi(0, IKE_DIR_OUT) == pair_spi(1, IKE_DIR_IN);
}

static void t_initial_contact(void)
{
	uint32_t old_b_in;

	up();
	ok(one_pair(0) && one_pair(1) && pairs_agree(), "ic: up");
	old_b_in = pair_spi(1, IKE_DIR_IN);
	restart(0, IKE_START_INITIATE);
	pair_log_clear();
	pair_initiate(0);
	pair_pump();
	ok(pair_logged(1, "MM5: peer sent INITIAL-CONTACT"),
	   "ic: the restarted side sends it");
	ok(pair_logged(1, "INITIAL-CONTACT: peer restarted, 1 old ISAKMP "
			  "SA(s) of site removed, 1 IPsec SA pair(s) "
			  "negotiated again"),
	   "ic: B removes the old ISAKMP SA, renews the IPsec SA pair");
	/* The old pair goes once a new one is up (with a Delete). */
	pair_run(10000);
	ok(one_pair(0) && one_pair(1) && pairs_agree(),
	   "ic: exactly one pair on each side, and they agree");
	ok(pair_spi(1, IKE_DIR_IN) != old_b_in, "ic: B's old inbound SA gone");
	/* A second negotiation while holding SAs: no INITIAL-CONTACT. */
	pair_log_clear();
	pair_cur = 0;
	ike_engine_terminate(P[0].eng, "site");
	pair_cur = -1;
	pair_pump();
	restart(1, IKE_START_LISTEN);
	pair_initiate(0);
	pair_pump();
	pair_log_clear();
	pair_cur = 1;
	ike_engine_initiate(P[1].eng, "site");
	pair_cur = -1;
	pair_pump();
	ok(!pair_logged(0, "peer sent INITIAL-CONTACT"),
	   "ic: not sent by a side that holds SAs with the peer");
	pair_free();
}

/* Side i's live SA in direction dir with this SPI. */
static bool has_sa(int i, enum ike_sa_dir dir, uint32_t spi)
{
	struct kernel_mock *m = pair_mock(i);
	int k;

	for (k = 0; k < KERNEL_MOCK_MAX_SAS; k++)
		if (m->sas[k].live && m->sas[k].dir == dir &&
		    m->sas[k].spi == spi)
			return true;
	return false;
}

/*
 * INITIAL-CONTACT from a peer that kept its IPsec SAs: strongSwan, after
 * destroying an IKE_SA it was reauthenticating, sends it in the new Main
 * Mode and keeps the IPsec SAs it had moved over. B plays that: its old
 * ISAKMP SA gone, its pair hidden while it negotiates (so it sends
 * INITIAL-CONTACT), then back. A must not drop the pair B may still send
 * on; it replaces it, and both end with one pair.
 */
static void t_initial_contact_peer_keeps(void)
{
	struct p2sa *kept, **tail;
	struct p1sa *sa;
	uint32_t b_out;

	up();
	b_out = pair_spi(1, IKE_DIR_OUT);
	for (sa = P[1].eng->p1s; sa && sa->state != MM_ACTIVE; sa = sa->next)
		;
	pair_cur = 1;
	if (sa)
		sa_p1_free(P[1].eng, sa);
	kept = P[1].eng->p2s;
	P[1].eng->p2s = NULL;
	pair_cur = -1;
	/* A Delete of A's that went out as B's Main Mode began. */
	P[0].eng->conns->dels[0].spi = 0x0badf00d;
	P[0].eng->conns->dels[0].at = pair_now;
	pair_log_clear();
	pair_initiate(1);
	pair_pump();
	ok(pair_logged(0, "Delete of ESP SPI 0badf00d again"),
	   "ic, peer keeps its SAs: A's crossing Delete sent again");
	for (tail = &P[1].eng->p2s; *tail; tail = &(*tail)->next)
		;
	*tail = kept;
	ok(pair_logged(0, "INITIAL-CONTACT: peer restarted"),
	   "ic, peer keeps its SAs: A takes it");
	ok(has_sa(0, IKE_DIR_IN, b_out),
	   "ic, peer keeps its SAs: what B sent on still arrives");
	pair_run(10000);
	ok(one_pair(0) && one_pair(1) && pairs_agree() &&
	   !has_sa(1, IKE_DIR_OUT, b_out),
	   "ic, peer keeps its SAs: replaced, one pair on each side");
	pair_free();
}

static void unknown_spi(int i, uint32_t spi)
{
	pair_cur = i;
	ike_engine_unknown_spi(P[i].eng, &P[i].addr, &P[!i].addr, spi);
	pair_cur = -1;
}

static void t_invalid_spi_sent(void)
{
	struct sockaddr_storage stranger;
	int sent;

	up();
	pair_log_clear();
	sent = P[1].nsent;
	unknown_spi(1, 0xdead0001);
	is_int(P[1].nsent, sent + 1, "invalid-spi: B sends one INFO");
	pair_pump();
	ok(pair_logged(1, "unknown SPI dead0001: telling the peer INVALID-SPI"),
	   "invalid-spi: logged");
	ok(pair_logged(0, "INVALID-SPI dead0001 names none of our outbound SAs"),
	   "invalid-spi: A authenticated it and found no such SA of its own");
	ok(one_pair(0) && one_pair(1), "invalid-spi: nothing else changed");
	/* A flood of unknown SPIs: one INFO per 5 s. */
	sent = P[1].nsent;
	unknown_spi(1, 0xdead0002);
	unknown_spi(1, 0xdead0003);
	is_int(P[1].nsent, sent, "invalid-spi: rate-limited");
	pair_run(RECOVER_INVALID_SPI_MS);
	unknown_spi(1, 0xdead0004);
	is_int(P[1].nsent, sent + 1, "invalid-spi: again after 5 s");
	pair_pump();
	/* From an address no conn is for: nothing. */
	pair_mkaddr(&stranger, "198.51.100.7");
	sent = P[1].nsent;
	pair_cur = 1;
	ike_engine_unknown_spi(P[1].eng, &P[1].addr, &stranger, 0xdead0005);
	pair_cur = -1;
	is_int(P[1].nsent, sent, "invalid-spi: a stranger gets nothing");
	pair_free();
}

/* B lost its inbound SA: A hears INVALID-SPI and replaces the pair. */
static void t_invalid_spi_ours(void)
{
	uint32_t a_out;
	char want[96];

	up();
	a_out = pair_spi(0, IKE_DIR_OUT);
	kernel_sa_del(P[1].k, "esp0", IKE_DIR_IN, a_out);
	pair_log_clear();
	unknown_spi(1, a_out);
	pair_pump();
	snprintf(want, sizeof(want),
		 "INVALID-SPI: peer does not know our outbound SA %08x", a_out);
	ok(pair_logged(0, want), "invalid-spi ours: A acts on it");
	ok(pair_logged(0, "QM1 sent"), "invalid-spi ours: A negotiates again");
	ok(one_pair(0) && one_pair(1) && pairs_agree(),
	   "invalid-spi ours: one pair on each side, and they agree");
	ok(pair_spi(0, IKE_DIR_OUT) != a_out,
	   "invalid-spi ours: A sends on a new SA");
	is_int(pair_status(0).nactive + pair_status(1).nactive, 2,
	       "invalid-spi ours: one IPsec SA in each engine");
	pair_free();
}

/* B (listen) restarted; A keeps sending ESP on the old SPIs. */
static void t_unknown_spi_after_restart(void)
{
	uint32_t a_out;
	int sent;

	up();
	a_out = pair_spi(0, IKE_DIR_OUT);
	restart(1, IKE_START_LISTEN);
	pair_log_clear();
	unknown_spi(1, a_out);
	ok(pair_logged(1, "no ISAKMP SA with it: its SAs are stale, "
			  "negotiating afresh"), "restart: B says why");
	pair_pump();
	ok(pair_logged(0, "INITIAL-CONTACT: peer restarted"),
	   "restart: B's Main Mode carried INITIAL-CONTACT");
	/* A's old pair goes once B's new one is up. */
	pair_run(10000);
	ok(one_pair(0) && one_pair(1) && pairs_agree(),
	   "restart: back within one negotiation, one pair each");
	ok(pair_spi(0, IKE_DIR_OUT) != a_out, "restart: new SAs");
	/* More stale packets still in flight: no second negotiation. */
	sent = P[1].nsent;
	unknown_spi(1, a_out);
	pair_pump();
	is_int(pair_logged_n(1, "initiating Main Mode"), 1,
	       "restart: one negotiation only");
	ok(P[1].nsent <= sent + 1, "restart: at most an INVALID-SPI more");
	pair_free();
}

/* Without an ISAKMP SA, a renegotiation per 10 s at most; none held. */
static void t_unknown_spi_limits(void)
{
	up();
	restart(1, IKE_START_LISTEN);
	pair_cut = true;
	pair_log_clear();
	unknown_spi(1, 0x1234);
	pair_run(4000);
	unknown_spi(1, 0x1234);
	is_int(pair_logged_n(1, "initiating Main Mode"), 1,
	       "limits: one negotiation while it runs");
	pair_run(60000);
	unknown_spi(1, 0x1234);
	is_int(pair_logged_n(1, "initiating Main Mode"), 2,
	       "limits: another once it failed and 10 s passed");
	pair_run(60000);
	pair_cur = 1;
	ike_engine_terminate(P[1].eng, "site");
	pair_cur = -1;
	unknown_spi(1, 0x1234);
	is_int(pair_logged_n(1, "initiating Main Mode"), 2,
	       "limits: a held conn is left alone");
	pair_free();
}

/*
 * B restarted and nothing told A (its INITIAL-CONTACT got lost): A's
 * rekey sends QM1 on an ISAKMP SA B no longer has. When nothing answers,
 * A gives that ISAKMP SA up and starts over with Main Mode, rather than
 * retrying Quick Mode on it until its lifetime ends.
 */
static void t_peer_lost_isakmp_sa(void)
{
	uint32_t out;

	up();
	out = pair_spi(0, IKE_DIR_OUT);
	restart(1, IKE_START_LISTEN);
	pair_log_clear();
	pair_cur = 0;
	ike_engine_kernel_event(P[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", out);
	pair_cur = -1;
	pair_run(120000);
	ok(pair_logged(0, "peer silent since QM1: ISAKMP SA given up"),
	   "lost ISAKMP SA: A gives it up after an unanswered QM1");
	ok(pair_logged(1, "MM1"), "lost ISAKMP SA: A starts with Main Mode");
	ok(one_pair(1) && pairs_agree(),
	   "lost ISAKMP SA: B has a pair again, and it agrees with A's");
	ok(pair_spi(0, IKE_DIR_OUT) != out, "lost ISAKMP SA: new SPIs");
	pair_free();
}

int main(void)
{
	log_set_sink(pair_sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_initial_contact();
	t_initial_contact_peer_keeps();
	t_invalid_spi_sent();
	t_invalid_spi_ours();
	t_unknown_spi_after_restart();
	t_unknown_spi_limits();
	t_peer_lost_isakmp_sa();
	return tap_done();
}
