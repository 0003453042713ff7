// SPDX-License-Identifier: GPL-2.0
/*
 * Dead Peer Detection and the carrier, two engines on the mock kernel
 * with a fake clock: the vendor ID, R-U-THERE only after dpd-delay of
 * silence (ESP counted from the kernel's last use), sequence numbers and
 * the ACKs that match them, the peer declared dead after dpd-timeout,
 * each dpd-action, and the device's carrier through all of it.
 */
#include <stdio.h>

#include "tap.h"
#include "mock_pair.h"

/* Sequence numbers of side i's "R-U-THERE seq N (try K)" lines. */
static int probe_seqs(int i, uint32_t *out, int max)
{
	const char *p = pair_log;
	int n = 0;

	while ((p = strstr(p, "DPD: R-U-THERE seq ")) && n < max) {
		const char *bol = p;
		unsigned int v;

		while (bol > pair_log && bol[-1] != '\n')
			bol--;
		if (*bol == "AB"[i] && strstr(p, "(try") &&
		    sscanf(p, "DPD: R-U-THERE seq %u", &v) == 1 &&
		    strchr(p, '\n') > strstr(p, "(try"))
			out[n++] = v;
		p++;
	}
	return n;
}

/* A initiates with dpd at the defaults; B listens and does not probe. */
static void up_default(enum ike_dpd_action act)
{
	struct ike_conn a, b;

	pair_setup();
	pair_conn(&a, 0, IKE_START_INITIATE);
	pair_conn(&b, 1, IKE_START_LISTEN);
	a.dpd_action = act;
	b.dpd = false;
	pair_establish(&a, &b);
}

static bool has_vid(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i + DPD_VID_LEN <= len; i++)
		if (!memcmp(buf + i, dpd_vid, DPD_VID_LEN))
			return true;
	return false;
}

static void t_vid(void)
{
	struct pair_st a, b;

	up_default(IKE_DPD_AUTO);
	a = pair_status(0);
	b = pair_status(1);
	is_int(a.nactive, 1, "vid: tunnel up");
	ok(has_vid(P[0].first_sent, P[0].first_len), "vid: MM1 carries it");
	ok(has_vid(P[1].first_sent, P[1].first_len), "vid: MM2 carries it");
	ok(P[0].eng->p1s && P[0].eng->p1s->peer_dpd &&
	   P[1].eng->p1s && P[1].eng->p1s->peer_dpd,
	   "vid: each side saw the other's");
	is_str(a.dpd, "idle", "vid: A idle");
	is_str(a.action, "restart", "vid: initiate defaults to restart");
	is_str(b.dpd, "off", "vid: B has dpd = no");
	is_str(b.action, "clear", "vid: listen defaults to clear");
	ok(a.last_ack == -1, "vid: no answer yet");
	pair_free();
}

static void t_probe_answered(void)
{
	uint32_t seqs[8];
	struct pair_st a;
	char want[64];
	int n;

	up_default(IKE_DPD_AUTO);
	pair_log_clear();
	pair_run(29000);
	ok(!pair_logged(0, "asking R-U-THERE"),
	   "probe: nothing before dpd-delay");
	pair_run(2000);
	ok(pair_logged(0, "nothing from the peer for 30 s, asking R-U-THERE"),
	   "probe: asked after 30 s of silence");
	n = probe_seqs(0, seqs, 8);
	is_int(n, 1, "probe: one R-U-THERE");
	if (n < 1)
		return;
	snprintf(want, sizeof(want), "R-U-THERE seq %u from peer", seqs[0]);
	ok(pair_logged(1, want), "probe: B got seq %u and answers", seqs[0]);
	snprintf(want, sizeof(want), "R-U-THERE-ACK seq %u", seqs[0]);
	ok(pair_logged(0, want), "probe: A matched the ACK");
	a = pair_status(0);
	is_str(a.dpd, "idle", "probe: idle again");
	ok(a.last_ack >= 0 && a.last_ack <= 1 && a.ack_seq == seqs[0],
	   "probe: status last ack %llds ago, seq %u", (long long)a.last_ack,
	   a.ack_seq);
	/* Next round: a new sequence number, one more. */
	pair_run(31000);
	n = probe_seqs(0, seqs, 8);
	ok(n == 2 && seqs[1] == seqs[0] + 1,
	   "probe: the next R-U-THERE has the next number");
	is_int(pair_status(0).nactive, 1, "probe: tunnel still up");
	pair_free();
}

static void t_esp_suppresses(void)
{
	int k;

	up_default(IKE_DPD_AUTO);
	pair_log_clear();
	/* ESP into A every 10 s for two minutes: A never asks. */
	for (k = 0; k < 12; k++) {
		pair_esp_in(0);
		pair_run(10000);
	}
	ok(!pair_logged(0, "asking R-U-THERE"),
	   "esp: no R-U-THERE while ESP arrives");
	ok(!pair_logged(1, "R-U-THERE seq"), "esp: B asked nothing");
	/* Silence from the last packet on: asked 30 s after it. */
	pair_run(19000);
	ok(!pair_logged(0, "asking R-U-THERE"), "esp: not yet at 29 s");
	pair_run(2000);
	ok(pair_logged(0, "asking R-U-THERE"), "esp: asked at 30 s");
	pair_free();
}

/* The path is cut: R-U-THERE every dpd-delay, dead after dpd-timeout. */
static void t_dead(enum ike_dpd_action act, const char *name)
{
	uint32_t seqs[16];
	uint64_t t0;
	char what[64];
	int n, k;
	bool consecutive = true;
	struct pair_st a;

	up_default(act);
	pair_log_clear();
	pair_cut = true;
	t0 = pair_now;
	pair_run(30000 + 150000 - 1000);
	snprintf(what, sizeof(what), "%s: not dead before delay + timeout",
		 name);
	ok(!pair_logged(0, "is dead"), "%s", what);
	a = pair_status(0);
	is_str(a.dpd, "probing", "%s: probing", name);
	ok(a.probes == 5, "%s: 5 R-U-THERE unanswered (%u)", name, a.probes);
	pair_run(1000);
	ok(pair_logged(0, "DPD: peer 192.0.2.2:500 is dead: no answer to 5 "
			  "R-U-THERE in 150 s"),
	   "%s: dead at delay + timeout (%llu s)", name,
	   (unsigned long long)(pair_now - t0) / 1000);
	n = probe_seqs(0, seqs, 16);
	for (k = 1; k < n; k++)
		consecutive &= seqs[k] == seqs[k - 1] + 1;
	ok(n == 5 && consecutive, "%s: sequence numbers count up", name);
	is_int(pair_n_sas(0, IKE_DIR_IN) + pair_n_sas(0, IKE_DIR_OUT), 0,
	       "%s: A's kernel SAs removed", name);
	snprintf(what, sizeof(what), "dpd-action %s", name);
	ok(pair_logged(0, what), "%s: action logged", name);
	is_str(pair_status(0).dpd, "dead", "%s: status dead", name);
	is_int(pair_mock(0)->carrier,
	       act == IKE_DPD_HOLD ? 1 : 0, "%s: carrier", name);
}

static void t_restart(void)
{
	struct pair_st a;

	t_dead(IKE_DPD_RESTART, "restart");
	ok(pair_logged(0, "initiating Main Mode"),
	   "restart: negotiating again at once");
	/* The path returns: the tunnel comes back by itself. */
	pair_cut = false;
	pair_run(120000);
	a = pair_status(0);
	is_int(a.nactive, 1, "restart: back up");
	is_str(a.dpd, "idle", "restart: no longer dead");
	is_int(pair_mock(0)->carrier, 1, "restart: carrier on again");
	ok(pair_logged(0, "INITIAL-CONTACT") ||
	   pair_logged(1, "INITIAL-CONTACT"),
	   "restart: fresh start with INITIAL-CONTACT");
	is_int(pair_n_sas(1, IKE_DIR_OUT), 1,
	       "restart: B holds one outbound SA (the old one removed)");
	pair_free();
}

static void t_clear(void)
{
	pair_log_clear();
	t_dead(IKE_DPD_CLEAR, "clear");
	pair_cut = false;
	pair_run(180000);
	ok(!pair_logged(0, "initiating Main Mode"), "clear: stays down");
	is_str(pair_status(0).state, "NONE", "clear: nothing left");
	is_int(pair_mock(0)->carrier, 0, "clear: carrier off");
	pair_free();
}

static void t_hold(void)
{
	t_dead(IKE_DPD_HOLD, "hold");
	pair_cut = false;
	pair_run(120000);
	ok(!pair_logged(0, "initiating Main Mode"), "hold: waits for traffic");
	pair_cur = 0;
	ike_engine_kernel_event(P[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	pair_cur = -1;
	pair_run(20000);
	is_int(pair_status(0).nactive, 1, "hold: traffic brings it up");
	is_int(pair_mock(0)->carrier, 1, "hold: carrier on");
	pair_free();
}

/* An ACK that matches no question ends nothing. */
static void t_ack_matching(void)
{
	struct isakmp_notify_pl n;
	struct p1sa *sa;
	uint8_t spi[16], seq[4];
	struct pair_st a;

	up_default(IKE_DPD_AUTO);
	pair_cut = true;
	pair_run(31000);
	a = pair_status(0);
	is_str(a.dpd, "probing", "ack: probing");
	sa = P[0].eng->p1s;
	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	memset(&n, 0, sizeof(n));
	n.proto = ISAKMP_PROTO_ISAKMP;
	n.type = ISAKMP_N_R_U_THERE_ACK;
	n.spi = spi;
	n.spi_size = 16;
	n.data = seq;
	n.data_len = 4;
	pair_cur = 0;
	isakmp_put32(seq, sa->conn->dpd.seq + 1);
	dpd_notify(P[0].eng, sa, &n);
	is_str(pair_status(0).dpd, "probing", "ack: a later number ignored");
	isakmp_put32(seq, sa->conn->dpd.seq - 1);
	dpd_notify(P[0].eng, sa, &n);
	is_str(pair_status(0).dpd, "probing", "ack: an earlier one ignored");
	isakmp_put32(seq, sa->conn->dpd.seq);
	spi[3] ^= 1;
	dpd_notify(P[0].eng, sa, &n);
	is_str(pair_status(0).dpd, "probing",
	       "ack: another SA's cookies ignored");
	spi[3] ^= 1;
	n.data_len = 3;
	dpd_notify(P[0].eng, sa, &n);
	is_str(pair_status(0).dpd, "probing", "ack: a short one ignored");
	n.data_len = 4;
	dpd_notify(P[0].eng, sa, &n);
	pair_cur = -1;
	a = pair_status(0);
	is_str(a.dpd, "idle", "ack: the right number ends the round");
	is_int(a.ack_seq, sa->conn->dpd.seq, "ack: its number in the status");
	pair_free();
}

/* dpd = no: never asks, always answers. */
static void t_answer_always(void)
{
	struct ike_conn a, b;

	pair_setup();
	pair_conn(&a, 0, IKE_START_INITIATE);
	pair_conn(&b, 1, IKE_START_LISTEN);
	a.dpd = false;
	b.dpd_delay = 10;
	pair_establish(&a, &b);
	pair_run(25000);
	ok(!pair_logged(0, "asking R-U-THERE"), "answer: A (dpd = no) asks not");
	ok(pair_logged(0, "R-U-THERE seq") &&
	   pair_logged(1, "R-U-THERE-ACK seq"),
	   "answer: A answers B's R-U-THERE");
	is_str(pair_status(1).dpd, "idle", "answer: B content");
	pair_free();
}

/* A peer without the vendor ID is not asked. */
static void t_unsupported(void)
{
	up_default(IKE_DPD_AUTO);
	P[0].eng->p1s->peer_dpd = false;
	pair_log_clear();
	pair_run(100000);
	ok(!pair_logged(0, "asking R-U-THERE"), "unsupported: not asked");
	is_str(pair_status(0).dpd, "unsupported", "unsupported: status");
	pair_free();
}

static void t_carrier(void)
{
	struct ike_conn a, b;

	pair_setup();
	pair_conn(&a, 0, IKE_START_INITIATE);
	pair_conn(&b, 1, IKE_START_LISTEN);
	pair_add(0, &a);
	pair_add(1, &b);
	/* Traffic routed in must raise the acquire that starts Main Mode. */
	is_int(pair_mock(0)->carrier, 1, "carrier: initiate, no SA yet: on");
	is_int(pair_mock(1)->carrier, 1, "carrier: listen, no SA: on");
	pair_initiate(0);
	pair_run(20000);
	is_int(pair_mock(0)->carrier, 1, "carrier: up: on");
	pair_cur = 0;
	ike_engine_terminate(P[0].eng, "site");
	pair_cur = -1;
	pair_run(1000);
	is_int(pair_mock(0)->carrier, 0, "carrier: held down: off");
	is_int(pair_mock(1)->carrier, 1, "carrier: listen peer: still on");
	ok(pair_logged(0, "esp0 carrier off: held down"),
	   "carrier: the change is logged with its reason");
	/*
	 * The peer negotiates again: a held conn answers, and its device
	 * must then carry the traffic the peer sends into the tunnel.
	 */
	pair_cur = 1;
	ike_engine_initiate(P[1].eng, "site");
	pair_cur = -1;
	pair_run(20000);
	ok(pair_n_sas(0, IKE_DIR_OUT) == 1 && pair_mock(0)->carrier == 1,
	   "carrier: held, the peer brought the tunnel back: on");
	pair_cur = 1;
	ike_engine_terminate(P[1].eng, "site");
	pair_cur = -1;
	pair_run(1000);
	is_int(pair_mock(0)->carrier, 0,
	       "carrier: held, the peer deleted it again: off");
	pair_cur = 1;
	ike_engine_del_conn(P[1].eng, "site");
	pair_cur = -1;
	is_int(pair_mock(1)->carrier, 1, "carrier: conn removed: left on");
	pair_free();

	/* A module without carrier: asked once per change, not in a loop. */
	pair_setup();
	pair_mock(0)->no_carrier = true;
	pair_conn(&a, 0, IKE_START_INITIATE);
	pair_conn(&b, 1, IKE_START_LISTEN);
	pair_establish(&a, &b);
	pair_run(60000);
	is_int(pair_status(0).nactive, 1, "carrier: unsupported: tunnel up");
	pair_cur = 0;
	ike_engine_terminate(P[0].eng, "site");
	pair_cur = -1;
	pair_run(60000);
	is_int(P[0].carrier_calls, 2,
	       "carrier: unsupported: asked for on, then off, once each");
	is_int(pair_mock(0)->carrier, 1,
	       "carrier: unsupported: the device keeps its own");
	pair_free();
}

/* B deletes its ISAKMP SA, as a peer with a shorter lifetime does. */
static void peer_deletes_p1(void)
{
	struct p1sa *sa = P[1].eng->p1s;

	while (sa && sa->state != MM_ACTIVE)
		sa = sa->next;
	if (!sa)
		return;
	notify_delete_p1(P[1].eng, sa);
	sa_p1_free(P[1].eng, sa);
	pair_run(100);
}

/*
 * Without an ISAKMP SA there is nothing to send R-U-THERE over: after
 * dpd-delay of silence a new one is negotiated, phase 1 alone, and is
 * itself the peer's answer; the IPsec SAs stay. When it cannot be
 * negotiated, the peer is dead after dpd-timeout.
 */
static void t_no_p1(void)
{
	uint32_t out;
	int qm, mm;

	up_default(IKE_DPD_RESTART);
	out = pair_spi(0, IKE_DIR_OUT);
	peer_deletes_p1();
	is_str(pair_status(0).state, "NONE",
	       "no ISAKMP SA: A took the peer's Delete");
	is_int(pair_n_sas(0, IKE_DIR_OUT), 1, "no ISAKMP SA: IPsec SAs kept");
	pair_log_clear();
	pair_run(29000);
	ok(!pair_logged(0, "no ISAKMP SA to ask over"),
	   "no ISAKMP SA: nothing asked before dpd-delay");
	pair_run(10000);
	ok(pair_logged(0, "DPD: nothing received for 30 s and no ISAKMP SA to "
			  "ask over: negotiating one"),
	   "no ISAKMP SA: a new one asked for after dpd-delay");
	is_str(pair_status(0).state, "MM_ACTIVE",
	       "no ISAKMP SA: phase 1 up again");
	is_int(pair_logged_n(0, "initiating Quick Mode"), 0,
	       "no ISAKMP SA: no Quick Mode with it");
	ok(!pair_logged(0, "INITIAL-CONTACT") && !pair_logged(1, "INITIAL-CONTACT"),
	   "no ISAKMP SA: no INITIAL-CONTACT (the IPsec SAs live on)");
	ok(pair_spi(0, IKE_DIR_OUT) == out && pair_n_sas(1, IKE_DIR_OUT) == 1,
	   "no ISAKMP SA: the IPsec SAs untouched on both sides");
	ok(!pair_logged(0, "is dead"), "no ISAKMP SA: the peer is alive");

	/* Again, and now the peer is gone. */
	peer_deletes_p1();
	pair_cut = true;
	pair_log_clear();
	mm = 0;
	pair_run(30000 + 150000 - 2000);
	mm = pair_logged_n(0, "initiating Main Mode");
	ok(mm >= 1 && !pair_logged(0, "is dead"),
	   "peer gone: Main Mode tried (%d), not dead before delay + timeout",
	   mm);
	qm = pair_logged_n(0, "initiating Quick Mode");
	pair_run(4000);
	ok(pair_logged(0, "DPD: peer 192.0.2.2:500 is dead: no ISAKMP SA to "
			  "ask over could be negotiated in 150 s"),
	   "peer gone: dead at delay + timeout");
	is_int(qm, 0, "peer gone: no Quick Mode tried meanwhile");
	is_int(pair_n_sas(0, IKE_DIR_IN) + pair_n_sas(0, IKE_DIR_OUT), 0,
	       "peer gone: A's kernel SAs removed");
	pair_free();
}

int main(void)
{
	log_set_sink(pair_sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_vid();
	t_probe_answered();
	t_esp_suppresses();
	t_restart();
	t_clear();
	t_hold();
	t_ack_matching();
	t_answer_always();
	t_unsupported();
	t_carrier();
	t_no_p1();
	return tap_done();
}
