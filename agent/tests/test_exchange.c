// SPDX-License-Identifier: GPL-2.0
/*
 * Two engines in one process: an in-memory transport that can drop and
 * duplicate datagrams, a fake clock, and a mock kernel recording every
 * get_spi/add_sa/del_sa. Each scenario asserts states, log lines and the
 * kernel SAs on both sides.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ike/engine.h"
#include "ike/ikev1.h"
#include "ike/iv.h"
#include "ike/proposal.h"
#include "isakmp/isakmp.h"
#include "log.h"

#include "exchange_harness.h"

/* --- scenarios --- */

static void t_basic(void)
{
	const struct ike_kernel_sa *ai, *bo;
	struct st a, b;

	establish("aes256-sha256-modp2048", "aes256gcm16-modp2048", false);
	a = status(0);
	b = status(1);
	is_str(a.state, "MM_ACTIVE", "basic: initiator MM_ACTIVE");
	is_str(b.state, "MM_ACTIVE", "basic: responder MM_ACTIVE");
	ok(!memcmp(a.ic, b.ic, 8) && !memcmp(a.rc, b.rc, 8) &&
	   memcmp(a.ic, a.rc, 8), "basic: both see the same cookies");
	is_str(a.algs, "aes256-sha256-modp2048", "basic: phase 1 algorithms");
	is_int(a.nactive, 1, "basic: initiator has one IPsec SA");
	is_int(b.nactive, 1, "basic: responder has one IPsec SA");
	is_str(b.child_algs, "aes256gcm16-modp2048", "basic: ESP algorithms");
	check_mirror("basic");
	ai = live_sa(0, IKE_DIR_IN);
	bo = live_sa(1, IKE_DIR_OUT);
	if (!ai || !bo)
		return;
	is_str(ai->enc_alg, "rfc4106(gcm(aes))", "basic: kernel AEAD name");
	ok(ai->aead && ai->icv_bits == 128 && ai->enc_key_len == 36 &&
	   ai->auth_key_len == 0, "basic: GCM key 32 + 4 salt, ICV 128");
	ok(ai->hard_secs == 3600 && ai->soft_secs < 3600 &&
	   ai->hard_bytes == 4608000ULL * 1024, "basic: lifetimes");
	ok(ai->replay_window == 64, "basic: replay window");
	ok(ai->local_ts.prefixlen == 16 && ai->local_ts.addr[1] == 1 &&
	   bo->remote_ts.addr[1] == 1 && bo->local_ts.addr[1] == 2,
	   "basic: selectors mirror");
	ok(!memcmp(&ai->src, &S[1].addr, sizeof(ai->src)) &&
	   !memcmp(&ai->dst, &S[0].addr, sizeof(ai->dst)),
	   "basic: inbound SA goes from B to A");
	ok(logged("MM6: ISAKMP SA established") &&
	   logged("QM2: IPsec SA established") &&
	   logged("QM3: IPsec SA established"), "basic: log lines");
	{
		char ck[40];

		snprintf(ck, sizeof(ck),
			 "[%02x%02x%02x%02x%02x%02x%02x%02x:",
			 a.ic[0], a.ic[1], a.ic[2], a.ic[3], a.ic[4], a.ic[5],
			 a.ic[6], a.ic[7]);
		ok(logged(ck) && logged("MM1 sent") && logged("MM5 sent") &&
		   logged("QM1 sent"),
		   "basic: lines carry the cookie pair and message names");
	}
	ok(!logged("s3cret"), "basic: PSK never logged");
}

static void t_nopfs(void)
{
	const struct ike_kernel_sa *ai;

	establish("aes128-sha1-modp2048", "aes128-sha1", false);
	check_mirror("no PFS");
	ai = live_sa(0, IKE_DIR_IN);
	ok(ai && !strcmp(ai->enc_alg, "cbc(aes)") &&
	   !strcmp(ai->auth_alg, "hmac(sha1)") && ai->auth_trunc_bits == 96 &&
	   ai->enc_key_len == 16 && ai->auth_key_len == 20,
	   "no PFS: cbc(aes) 16 + hmac(sha1) 20, truncated to 96");
	establish("aes256-sha512-ecp384", "aes256-sha256-ecp384", false);
	check_mirror("aes256-sha256 with PFS ecp384");
	ai = live_sa(0, IKE_DIR_IN);
	ok(ai && !strcmp(ai->auth_alg, "hmac(sha256)") &&
	   ai->auth_trunc_bits == 128 && ai->enc_key_len == 32 &&
	   ai->auth_key_len == 32, "hmac(sha256) truncated to 128");
	establish("aes128-sha384-curve25519", "chacha20poly1305", false);
	check_mirror("chacha20poly1305");
	ai = live_sa(0, IKE_DIR_IN);
	ok(ai && !strcmp(ai->enc_alg, "rfc7539esp(chacha20,poly1305)") &&
	   ai->enc_key_len == 36, "chacha20poly1305 key 32 + 4 salt");
	establish("3des-md5-modp1536", "3des-sha512-modp1024", true);
	check_mirror("legacy with allow-weak");
	ai = live_sa(0, IKE_DIR_IN);
	ok(ai && !strcmp(ai->enc_alg, "cbc(des3_ede)") &&
	   !strcmp(ai->auth_alg, "hmac(sha512)") && ai->auth_trunc_bits == 256,
	   "cbc(des3_ede) + hmac(sha512)/256");
}

static void t_groups(void)
{
	static const char *g[] = { "modp1024", "modp1536", "modp2048",
				   "modp3072", "modp4096", "modp6144",
				   "modp8192", "ecp256", "ecp384", "ecp521",
				   "curve25519" };
	char ike[64], esp[64];
	size_t i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct st a, b;

		snprintf(ike, sizeof(ike), "aes128-sha256-%s", g[i]);
		snprintf(esp, sizeof(esp), "aes128gcm16-%s", g[i]);
		establish(ike, esp, i < 2);
		a = status(0);
		b = status(1);
		ok(!strcmp(a.state, "MM_ACTIVE") && !strcmp(b.state, "MM_ACTIVE")
		   && a.nactive == 1 && b.nactive == 1,
		   "group %s: phase 1 and PFS phase 2 up", g[i]);
		check_mirror(g[i]);
	}
}

static void t_psk_mismatch(void)
{
	struct ike_conn a, b;
	struct st sa, sb;

	setup();
	mkconn(&a, 0, "aes256-sha256-modp2048", "aes256gcm16", "right");
	mkconn(&b, 1, "aes256-sha256-modp2048", "aes256gcm16", "wrong");
	a.rexmit_ms = 100;
	start_pair(&a, &b);
	run(120000);
	sa = status(0);
	sb = status(1);
	ok(strcmp(sa.state, "MM_ACTIVE") && strcmp(sb.state, "MM_ACTIVE"),
	   "PSK mismatch: no ISAKMP SA (%s / %s)", sa.state, sb.state);
	ok(S[0].nsa == 0 && S[1].nsa == 0, "PSK mismatch: no kernel SA");
	/* The garbage decides which parse error is named; not the point. */
	ok(logged("authentication failed: message from 192.0.2.1:500 does "
		  "not decrypt (") && logged(") — pre-shared key mismatch?"),
	   "PSK mismatch: responder says pre-shared key mismatch?");
	ok(logged("no response to MM5 from 192.0.2.2:500 after 5 tries"),
	   "PSK mismatch: initiator gives up on MM5");
	ok(!logged("right") && !logged("wrong"), "PSK mismatch: no PSK logged");
	ok(!strcmp(sa.diag.fail_msg, "MM5") && !strcmp(sa.diag.sent, "MM5") &&
	   !strcmp(sa.diag.received, "MM4"),
	   "PSK mismatch: initiator's record: MM5 sent, MM4 last received");
}

static int drop_mm3(int from, int nth, const uint8_t *b, size_t l)
{
	return from == 0 && nth == 2;
}

static void t_drop_mm3(void)
{
	filter = drop_mm3;
	{
		struct ike_conn a, b;

		setup();
		filter = drop_mm3;
		mkconn(&a, 0, "aes128-sha256-ecp256", "aes128gcm16", "k");
		mkconn(&b, 1, "aes128-sha256-ecp256", "aes128gcm16", "k");
		ike_engine_add_conn(S[0].eng, &a);
		ike_engine_add_conn(S[1].eng, &b);
		ike_engine_initiate(S[0].eng, "site");
		pump();
		is_str(status(0).state, "MM_WAIT_MSG4",
		       "dropped MM3: initiator waits in MM_WAIT_MSG4");
		is_str(status(1).state, "MM_WAIT_MSG3",
		       "dropped MM3: responder waits in MM_WAIT_MSG3");
		run(60000);
	}
	ok(logged("retransmitting MM3"), "dropped MM3: retransmitted");
	is_str(status(0).state, "MM_ACTIVE", "dropped MM3: recovered");
	check_mirror("dropped MM3");
}

static int dup_mm5(int from, int nth, const uint8_t *b, size_t l)
{
	return from == 0 && nth == 3 ? 2 : 0;
}

static uint8_t mm6[2][4096];
static size_t mm6_len[2];
static int b_seen;

static uint8_t mm1_copy[4096];
static size_t mm1_copy_len;

static int capture_b(int from, int nth, const uint8_t *b, size_t l)
{
	if (from == 0 && nth == 1) {
		memcpy(mm1_copy, b, l);
		mm1_copy_len = l;
	}
	if (from == 1 && b[18] == 2 && nth >= 3 && b_seen < 2) {
		memcpy(mm6[b_seen], b, l);
		mm6_len[b_seen++] = l;
	}
	return dup_mm5(from, nth, b, l);
}

static void t_dup_mm5(void)
{
	struct ike_conn a, b;

	setup();
	b_seen = 0;
	filter = capture_b;
	mkconn(&a, 0, "aes128-sha1-modp2048", "aes128-sha1", "k");
	mkconn(&b, 1, "aes128-sha1-modp2048", "aes128-sha1", "k");
	start_pair(&a, &b);
	run(60000);
	is_int(b_seen, 2, "duplicated MM5: responder answered twice");
	ok(mm6_len[0] && mm6_len[0] == mm6_len[1] &&
	   !memcmp(mm6[0], mm6[1], mm6_len[0]),
	   "duplicated MM5: the same MM6 bytes both times");
	ok(logged("retransmitted request, resending MM6"),
	   "duplicated MM5: logged as retransmission");
	/* MM1 again, long after: no second responder SA. */
	ike_engine_input(S[1].eng, &S[0].addr, &S[1].addr, mm1_copy,
			 mm1_copy_len);
	/* Its bytes are those of the MM1 processed: known before lookup. */
	ok(logged("duplicate of a processed message (exchange 2, M-ID "
		  "00000000) dropped"), "late MM1 copy ignored");
	is_int(status(1).nchild, 1, "late MM1 copy: still one child");
	check_mirror("duplicated MM5");
}

static int drop_all(int from, int nth, const uint8_t *b, size_t l)
{
	return 1;
}

static void t_no_response(void)
{
	struct ike_conn a;

	setup();
	filter = drop_all;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_initiate(S[0].eng, "site");
	is_str(status(0).state, "MM_WAIT_MSG2", "no response: MM_WAIT_MSG2");
	run(120000);
	is_int(S[0].nsent, 5, "no response: MM1 sent 5 times");
	ok(logged("no response to MM1 from 192.0.2.2:500 after 5 tries — is "
		  "UDP 500 blocked?"), "no response: the failure line");
	is_str(status(0).state, "NONE", "no response: negotiation gone");
	is_str(status(0).diag.fail_msg, "MM1", "no response: failure at MM1");
	is_str(status(0).diag.fail,
	       "no response to MM1 from 192.0.2.2:500 after 5 tries",
	       "no response: the failure kept for status");
	ok(!strcmp(status(0).diag.sent, "MM1") && !status(0).diag.received[0],
	   "no response: MM1 sent, nothing received");
	is_int(status(0).diag.mm_started, 1, "no response: one Main Mode");
	is_int(status(0).diag.failures, 1, "no response: one failure");
	ok(ike_engine_next_timeout_ms(S[0].eng) < 0, "no response: no timers");
}

static void t_no_proposal(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes256-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha1-modp3072", "aes128gcm16", "k");
	start_pair(&a, &b);
	run(60000);
	ok(logged("not chosen: not configured in ike ="),
	   "no proposal: responder logs why the transform was refused");
	ok(logged("sending NO-PROPOSAL-CHOSEN"),
	   "no proposal: responder sends NO-PROPOSAL-CHOSEN");
	ok(logged("MM1 refused by 192.0.2.2:500: NO-PROPOSAL-CHOSEN"),
	   "no proposal: initiator hears it");
	ok(strcmp(status(0).state, "MM_ACTIVE") &&
	   !strcmp(status(1).state, "NONE"), "no proposal: no ISAKMP SA");

	/* Weak proposal refused by the responder's policy. */
	setup();
	mkconn(&a, 0, "aes128-sha1-modp1536", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha1-modp1536", "aes128gcm16", "k");
	a.allow_weak = true;
	start_pair(&a, &b);
	run(60000);
	ok(logged("modp1536 is weak (allow-weak = yes to accept)"),
	   "weak group: responder says why");
	ok(S[1].nsa == 0 && strcmp(status(0).state, "MM_ACTIVE"),
	   "weak group: nothing established");

	/* ESP mismatch: phase 1 up, QM refused with encrypted notify. */
	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes256-sha256", "k");
	start_pair(&a, &b);
	run(60000);
	is_str(status(0).state, "MM_ACTIVE", "esp mismatch: phase 1 up");
	ok(logged("QM1: no acceptable ESP proposal"),
	   "esp mismatch: responder refuses");
	ok(logged("QM1 for site refused by peer: NO-PROPOSAL-CHOSEN"),
	   "esp mismatch: initiator gets the encrypted notify");
	ok(S[0].nsa == 0 && S[1].nsa == 0, "esp mismatch: no kernel SA");
	is_int(status(0).nchild, 0, "esp mismatch: no child left");
	ok(status(0).diag.fail_notify == ISAKMP_N_NO_PROPOSAL_CHOSEN &&
	   status(0).diag.fail_notify_peer &&
	   !strcmp(status(0).diag.fail_msg, "QM1"),
	   "esp mismatch: initiator records the peer's notify on QM1");
	is_str(status(0).diag.ours, "aes128gcm16",
	       "esp mismatch: initiator records its own esp");
	ok(status(1).diag.fail_notify == ISAKMP_N_NO_PROPOSAL_CHOSEN &&
	   !status(1).diag.fail_notify_peer,
	   "esp mismatch: responder records its own refusal");
	ok(!strcmp(status(1).diag.ours, "aes256-sha256") &&
	   !strcmp(status(1).diag.theirs, "aes128gcm16"),
	   "esp mismatch: responder has both sides (%s / %s)",
	   status(1).diag.ours, status(1).diag.theirs);
	ok(status(1).diag.n_notify == 1 && status(1).diag.notify[0].sent == 1 &&
	   status(0).diag.n_notify == 1 &&
	   status(0).diag.notify[0].received == 1,
	   "esp mismatch: notify counted once each way");
	is_int(status(0).diag.mm_done, 1, "esp mismatch: Main Mode done once");
	is_int(status(0).diag.qm_done, 0, "esp mismatch: no Quick Mode done");
}

/* Non-prefix IPv6 ranges of the longest written form. */
#define V6_A "fd12:3456:789a:bcde:f012:3456:789a:1001-" \
	"fd12:3456:789a:bcde:f012:3456:789a:bcde"
#define V6_B "fd12:3456:789a:bcdf:f012:3456:789a:1001-" \
	"fd12:3456:789a:bcdf:f012:3456:789a:bcde"
#define V6_C "fd12:3456:789a:bcd0:f012:3456:789a:1001-" \
	"fd12:3456:789a:bcd0:f012:3456:789a:bcde"

static void t_ids(void)
{
	struct ike_conn a, b;
	char err[64];

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	ike_id_parse("fqdn:a.example", &a.local_id, err, sizeof(err));
	ike_id_parse("fqdn:a.example", &b.remote_id, err, sizeof(err));
	ike_id_parse("user:b@example", &b.local_id, err, sizeof(err));
	ike_id_parse("user:b@example", &a.remote_id, err, sizeof(err));
	start_pair(&a, &b);
	run(60000);
	ok(logged("peer authenticated as fqdn:a.example") &&
	   logged("peer authenticated as user:b@example"),
	   "fqdn/user IDs exchanged");
	check_mirror("fqdn/user IDs");

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	a.rexmit_ms = 100;
	ike_id_parse("fqdn:someone.else", &b.remote_id, err, sizeof(err));
	start_pair(&a, &b);
	run(60000);
	ok(logged("peer ID 192.0.2.1 does not match remote-id of site"),
	   "remote-id mismatch: responder says so");
	ok(logged("Main Mode refused by 192.0.2.2:500: INVALID-ID-INFORMATION"),
	   "remote-id mismatch: initiator gets INVALID-ID-INFORMATION");
	ok(S[0].nsa == 0 && S[1].nsa == 0, "remote-id mismatch: no SA");

	/* Selector mismatch in QM. */
	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	ike_ts_parse("10.9.0.0/16", &b.remote_ts[0], err, sizeof(err));
	start_pair(&a, &b);
	run(60000);
	ok(logged("QM1: traffic selectors do not match site"),
	   "selector mismatch: responder refuses");
	ok(logged("refused by peer: INVALID-ID-INFORMATION"),
	   "selector mismatch: initiator told");
	ok(status(1).diag.fail_notify == ISAKMP_N_INVALID_ID_INFORMATION &&
	   !strcmp(status(1).diag.fail_msg, "QM1"),
	   "selector mismatch: responder records INVALID-ID-INFORMATION");
	ok(!strcmp(status(1).diag.theirs, "10.1.0.0/16 === 10.2.0.0/16") &&
	   !strcmp(status(1).diag.ours, "10.2.0.0/16 === 10.9.0.0/16"),
	   "selector mismatch: both sides' selectors (%s / %s)",
	   status(1).diag.ours, status(1).diag.theirs);
	ok(S[0].nsa == 0 && S[1].nsa == 0, "selector mismatch: no SA");

	/* Two IPv6 ranges side by side are kept whole. */
	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	ike_ts_parse(V6_A, &a.local_ts[0], err, sizeof(err));
	ike_ts_parse(V6_B, &a.remote_ts[0], err, sizeof(err));
	ike_ts_parse(V6_B, &b.local_ts[0], err, sizeof(err));
	ike_ts_parse(V6_C, &b.remote_ts[0], err, sizeof(err));
	start_pair(&a, &b);
	run(60000);
	ok(!strcmp(status(1).diag.theirs, V6_A " === " V6_B) &&
	   !strcmp(status(1).diag.ours, V6_B " === " V6_C),
	   "IPv6 range mismatch: both sides' selectors whole (%s / %s)",
	   status(1).diag.ours, status(1).diag.theirs);
}

static void t_lifetime(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	b.lifetime = 1800;
	b.life_kbytes = 1000;
	start_pair(&a, &b);
	run(60000);
	check_mirror("responder lifetime");
	ok(logged("RESPONDER-LIFETIME: now 1800s / 1000 KB"),
	   "RESPONDER-LIFETIME received");
	ok(live_sa(0, IKE_DIR_IN) && live_sa(0, IKE_DIR_IN)->hard_secs == 1800 &&
	   live_sa(0, IKE_DIR_OUT)->hard_bytes == 1000 * 1024 &&
	   live_sa(1, IKE_DIR_IN)->hard_secs == 1800,
	   "both sides use the responder's shorter lifetime");
	/* Expiry: the engine drops its record and the kernel SAs. */
	now_ms += 1801 * 1000ULL;
	ike_engine_run_timers(S[0].eng);
	ok(live_count(0, IKE_DIR_IN) == 0 && live_count(0, IKE_DIR_OUT) == 0,
	   "IPsec SA expiry removes kernel SAs");
}

static void t_delete(void)
{
	establish("aes128-sha256-modp2048", "aes128gcm16", false);
	check_mirror("before delete");
	ike_engine_terminate(S[0].eng, "site");
	pump();
	ok(live_count(0, IKE_DIR_IN) + live_count(0, IKE_DIR_OUT) == 0,
	   "delete: initiator removed its kernel SAs");
	ok(live_count(1, IKE_DIR_IN) + live_count(1, IKE_DIR_OUT) == 0,
	   "delete: responder removed its kernel SAs on the Delete");
	ok(logged("peer deleted IPsec SA of site"), "delete: ESP Delete honoured");
	ok(logged("peer deleted the ISAKMP SA"), "delete: ISAKMP Delete honoured");
	is_str(status(1).state, "NONE", "delete: responder has no ISAKMP SA");
	is_int(status(1).nchild, 0, "delete: responder has no child");

	/* Shutdown from the responder side. */
	establish("aes128-sha256-modp2048", "aes128gcm16", false);
	ike_engine_shutdown(S[1].eng);
	pump();
	ok(S[0].ndel == 2 && S[1].ndel == 2, "shutdown: both sides deleted 2");
	is_str(status(0).state, "NONE", "shutdown: initiator ISAKMP SA gone");
}

static void t_simultaneous(void)
{
	struct ike_conn a, b;
	struct st sa, sb;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16-modp2048", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16-modp2048", "k");
	start_pair(&a, &b);
	ike_engine_initiate(S[1].eng, "site");
	run(60000);
	sa = status(0);
	sb = status(1);
	ok(!strcmp(sa.state, "MM_ACTIVE") && !strcmp(sb.state, "MM_ACTIVE"),
	   "simultaneous: phase 1 up on both");
	is_int(sa.nchild, 1, "simultaneous: A keeps one child");
	is_int(sb.nchild, 1, "simultaneous: B keeps one child");
	ok(logged("duplicate IPsec SA for site"), "simultaneous: tie-break logged");
	check_mirror("simultaneous");
}

static void t_garbage(void)
{
	uint8_t junk[300];
	int i;

	establish("aes128-sha256-modp2048", "aes128gcm16", false);
	srand(7);
	for (i = 0; i < 2000; i++) {
		size_t n = (size_t)(rand() % 300), k;

		for (k = 0; k < n; k++)
			junk[k] = (uint8_t)rand();
		if (n >= 28 && i % 2) {
			/* Valid-looking header with our cookies. */
			struct st s = status(1);

			memcpy(junk, s.ic, 8);
			memcpy(junk + 8, s.rc, 8);
			junk[16] = (uint8_t)(rand() % 14);
			junk[17] = 0x10;
			junk[18] = i % 3 ? 32 : 5;
			junk[19] = 1;
			junk[24] = 0;
			junk[25] = 0;
			junk[26] = (uint8_t)(n >> 8);
			junk[27] = (uint8_t)n;
		}
		ike_engine_input(S[1].eng, &S[0].addr, &S[1].addr, junk, n);
	}
	pump();
	is_str(status(1).state, "MM_ACTIVE", "garbage: SA survives 2000 junk "
	       "datagrams");
	check_mirror("after garbage");
	ok(logged("malformed ISAKMP message from 192.0.2.1:500 dropped"),
	   "garbage: logged as malformed");
}

static void t_reinitiate(void)
{
	/* "up" on a conn that is up changes nothing. */
	establish("aes128-sha256-modp2048", "aes128gcm16", false);
	ike_engine_initiate(S[0].eng, "site");
	run(60000);
	ok(logged("site is already up"), "up again: already up");
	is_int(S[0].nsa, 2, "up again: no second pair");
	/* After the IPsec SA is gone, "up" reuses the ISAKMP SA. */
	ike_engine_terminate(S[1].eng, "site");
	pump();
	is_int(status(0).nchild, 0, "peer's down removed our child too");
	setup();
	establish("aes128-sha256-modp2048", "aes128gcm16", false);
	{
		struct ike_conn a;

		/* Expire only the child: QM runs again on the same phase 1. */
		now_ms += 3601 * 1000ULL;
		ike_engine_run_timers(S[0].eng);
		ike_engine_run_timers(S[1].eng);
		is_int(status(0).nchild, 0, "child expired");
		loglen = 0;
		logbuf[0] = 0;
		ike_engine_initiate(S[0].eng, "site");
		run(60000);
		ok(!logged("initiating Main Mode") &&
		   logged("initiating Quick Mode"),
		   "up with a live ISAKMP SA runs Quick Mode only");
		is_int(status(0).nactive, 1, "new child up");
		(void)a;
	}
}

static uint8_t mm1[4096];
static size_t mm1_len;

static int capture_mm1(int from, int nth, const uint8_t *b, size_t l)
{
	if (from == 0 && nth == 1) {
		memcpy(mm1, b, l);
		mm1_len = l;
	}
	return 1;
}

static void t_half_open(void)
{
	struct ike_conn a, b;
	int i, sent;

	setup();
	filter = capture_mm1;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	start_pair(&a, &b);
	pump();
	ok(mm1_len > 28, "half-open: captured an MM1");
	sent = S[1].nsent;
	for (i = 0; i < IKE_HALF_OPEN_PER_PEER + 4; i++) {
		mm1[0] = (uint8_t)(i + 1);	/* a new initiator cookie */
		ike_engine_input(S[1].eng, &S[0].addr, &S[1].addr, mm1,
				 mm1_len);
	}
	is_int(S[1].nsent - sent, IKE_HALF_OPEN_PER_PEER + 4,
	       "half-open: every MM1 answered");
	is_int(count_logged("half-open ISAKMP SA evicted for an MM1 from "
			    "192.0.2.1:500 (16 from this peer"), 4,
	       "half-open: past the limit the oldest made room");
	/* They time out and make room again. */
	now_ms += 31000;
	ike_engine_run_timers(S[1].eng);
	is_int(count_logged("half-open ISAKMP SA with 192.0.2.1:500 timed out "
			    "in MM_WAIT_MSG3"), IKE_HALF_OPEN_PER_PEER,
	       "half-open: no more than %d held, then timed out",
	       IKE_HALF_OPEN_PER_PEER);
	sent = S[1].nsent;
	mm1[0] = 0xee;
	ike_engine_input(S[1].eng, &S[0].addr, &S[1].addr, mm1, mm1_len);
	is_int(S[1].nsent - sent, 1, "half-open: room again after timeout");
}

static void t_replace(void)
{
	struct ike_conn a, b, a2;
	uint32_t first_in;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	a.start = IKE_START_INITIATE;
	ike_engine_add_conn(S[1].eng, &b);
	is_int(ike_engine_replace_conns(S[0].eng, &a, 1), 0,
	       "reload: new conn added");
	run(60000);
	check_mirror("reload: start = initiate came up");
	first_in = live_sa(0, IKE_DIR_IN) ? live_sa(0, IKE_DIR_IN)->spi : 0;
	ike_engine_replace_conns(S[0].eng, &a, 1);
	run(60000);
	ok(live_sa(0, IKE_DIR_IN) && live_sa(0, IKE_DIR_IN)->spi == first_in,
	   "reload: unchanged conn keeps its SAs");
	a2 = a;
	a2.lifetime = 1200;
	ike_engine_replace_conns(S[0].eng, &a2, 1);
	run(60000);
	check_mirror("reload: changed conn renegotiated");
	ok(live_sa(0, IKE_DIR_IN) && live_sa(0, IKE_DIR_IN)->spi != first_in &&
	   live_sa(0, IKE_DIR_IN)->hard_secs == 1200,
	   "reload: new SAs with the new lifetime");
	ike_engine_replace_conns(S[0].eng, NULL, 0);
	pump();
	ok(live_count(0, IKE_DIR_IN) + live_count(0, IKE_DIR_OUT) +
	   live_count(1, IKE_DIR_IN) + live_count(1, IKE_DIR_OUT) == 0,
	   "reload: removed conn deleted everywhere");
	is_int(ike_engine_initiate(S[0].eng, "site"), -2,
	       "reload: conn is gone");
	is_int(ike_engine_add_conn(S[1].eng, &b), -17, "duplicate name refused");
}

static void t_ipv6(void)
{
	struct ike_conn a, b;
	struct sockaddr_in6 *s6;
	char err[64];
	int i;

	setup();
	for (i = 0; i < 2; i++) {
		memset(&S[i].addr, 0, sizeof(S[i].addr));
		s6 = (struct sockaddr_in6 *)&S[i].addr;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(500);
		inet_pton(AF_INET6, i ? "2001:db8::2" : "2001:db8::1",
			  &s6->sin6_addr);
	}
	mkconn(&a, 0, "aes256-sha384-ecp384", "aes256gcm16-ecp384", "k6");
	mkconn(&b, 1, "aes256-sha384-ecp384", "aes256gcm16-ecp384", "k6");
	ike_ts_parse("2001:db8:a::/48", &a.local_ts[0], err, sizeof(err));
	ike_ts_parse("2001:db8:b::/48", &a.remote_ts[0], err, sizeof(err));
	ike_ts_parse("2001:db8:b::/48", &b.local_ts[0], err, sizeof(err));
	ike_ts_parse("2001:db8:a::/48", &b.remote_ts[0], err, sizeof(err));
	start_pair(&a, &b);
	run(60000);
	ok(logged("peer authenticated as 2001:db8::1"), "IPv6: address IDs");
	ok(logged("2001:db8:a::/48 === 2001:db8:b::/48"), "IPv6: selectors");
	check_mirror("IPv6");
	ok(live_sa(1, IKE_DIR_IN) &&
	   live_sa(1, IKE_DIR_IN)->src.ss_family == AF_INET6,
	   "IPv6: outer addresses are IPv6");
}

static void t_misc(void)
{
	struct st s;

	establish("aes128-sha256-modp2048", "aes128gcm16", false);
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", 0xabcd);
	ok(logged("kernel event on esp0: soft expire, SPI 0000abcd"),
	   "kernel events are logged");
	now_ms += 600 * 1000;
	s = status(0);
	ok(s.child_life > 2990 && s.child_life <= 3000,
	   "status: child lifetime left %lld s", (long long)s.child_life);
	is_int(ike_engine_terminate(S[0].eng, "nope"), -2,
	       "terminate unknown conn");
}

/* A restarts and comes back: INITIAL-CONTACT clears B's stale SAs. */
static void t_restart(void)
{
	struct ike_conn a;
	struct ike_env env = {
		.ctx = &S[0], .send = m_send, .now_ms = m_now,
		.get_spi = m_get_spi, .add_sa = m_add_sa, .del_sa = m_del_sa,
	};
	uint32_t old_b_in;

	establish("aes128-sha256-modp2048", "aes128gcm16", false);
	old_b_in = live_sa(1, IKE_DIR_IN) ? live_sa(1, IKE_DIR_IN)->spi : 0;
	ike_engine_free(S[0].eng);
	memset(S[0].sa, 0, sizeof(S[0].sa));
	memset(S[0].live, 0, sizeof(S[0].live));
	S[0].nsa = 0;
	S[0].next_spi = 0xa1000001;
	S[0].eng = ike_engine_new(&env);
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "s3cret");
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_initiate(S[0].eng, "site");
	run(60000);
	ok(logged("INITIAL-CONTACT: peer restarted, 1 old ISAKMP SA(s) of "
		  "site removed, 1 IPsec SA pair(s) negotiated again"),
	   "restart: responder dropped the stale ISAKMP SA, renews the pair");
	check_mirror("restart");
	ok(live_sa(1, IKE_DIR_IN) && live_sa(1, IKE_DIR_IN)->spi != old_b_in,
	   "restart: responder uses the new pair");
	/* A second Main Mode while SAs exist does not claim a restart. */
	loglen = 0;
	logbuf[0] = 0;
	ike_engine_terminate(S[1].eng, "site");
	pump();
	establish("aes128-sha256-modp2048", "aes128gcm16", false);
	ok(logged("MM5: peer sent INITIAL-CONTACT"),
	   "restart: a fresh start sends INITIAL-CONTACT");
}

/* Every message of a real exchange, mutated, thrown at established SAs. */
static struct pkt cap[32];
static int ncap;

static int capture_all(int from, int nth, const uint8_t *b, size_t l)
{
	if (ncap < 32) {
		cap[ncap].from = from;
		memcpy(cap[ncap].buf, b, l);
		cap[ncap].len = l;
		ncap++;
	}
	return 0;
}

static void t_mutate(void)
{
	struct ike_conn a, b;
	uint8_t m[4096];
	int i, k, sent;

	setup();
	ncap = 0;
	filter = capture_all;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16-modp2048", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16-modp2048", "k");
	start_pair(&a, &b);
	run(60000);
	filter = drop_all;
	ok(ncap >= 9, "mutate: captured %d messages (MM1-6, QM1-3)", ncap);
	srand(11);
	sent = S[0].nsent + S[1].nsent;
	for (i = 0; i < ncap; i++) {
		for (k = 0; k < 300; k++) {
			size_t len = cap[i].len, pos;
			int flips = 1 + rand() % 3, f;

			memcpy(m, cap[i].buf, len);
			for (f = 0; f < flips; f++) {
				/* Mostly past the cookies, to reach the SAs. */
				pos = k % 4 ? 16 + (size_t)rand() % (len - 16) :
					      (size_t)rand() % len;
				m[pos] ^= (uint8_t)(1 + rand() % 255);
			}
			if (k % 10 == 0)
				len = (size_t)rand() % len;
			ike_engine_input(S[!cap[i].from].eng,
					 &S[cap[i].from].addr,
					 &S[!cap[i].from].addr, m, len);
		}
	}
	pump();
	ok(!strcmp(status(0).state, "MM_ACTIVE") &&
	   !strcmp(status(1).state, "MM_ACTIVE"),
	   "mutate: %d mutated messages later both ISAKMP SAs stand", ncap * 300);
	check_mirror("mutate");
	ok(S[0].nsent + S[1].nsent - sent < ncap * 300 / 10,
	   "mutate: hardly anything answered (%d)",
	   S[0].nsent + S[1].nsent - sent);
}

/* Two conns with one peer: Quick Mode finds the one owning the selectors. */
/*
 * Two conns between the same two hosts: "site" (10.1/16 === 10.2/16) and
 * "site2" (10.3/16 === 10.4/16), side 0's in a and a2 (for the test to
 * add), side 1's in b and b2, added to side 1.
 */
static void mk_two_conns(struct ike_conn *a, struct ike_conn *a2,
			 struct ike_conn *b, struct ike_conn *b2)
{
	char err[64];

	mkconn(a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	*a2 = *a;
	*b2 = *b;
	strcpy(a2->name, "site2");
	strcpy(b2->name, "site2");
	ike_ts_parse("10.3.0.0/16", &a2->local_ts[0], err, sizeof(err));
	ike_ts_parse("10.4.0.0/16", &a2->remote_ts[0], err, sizeof(err));
	ike_ts_parse("10.4.0.0/16", &b2->local_ts[0], err, sizeof(err));
	ike_ts_parse("10.3.0.0/16", &b2->remote_ts[0], err, sizeof(err));
	ike_engine_add_conn(S[1].eng, b);
	ike_engine_add_conn(S[1].eng, b2);
}

static void t_two_conns(void)
{
	struct ike_conn a, b, a2, b2;

	setup();
	mk_two_conns(&a, &a2, &b, &b2);
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[0].eng, &a2);
	ike_engine_initiate(S[0].eng, "site2");
	run(60000);
	ok(logged("QM1: selectors belong to site2"),
	   "two conns: responder switched to site2");
	check_mirror("two conns");
	ok(live_sa(1, IKE_DIR_IN) && live_sa(1, IKE_DIR_IN)->local_ts.addr[1] == 4,
	   "two conns: responder SA carries site2's selectors");
}

/* Side 0's live inbound SA whose local selector is 10.N.0.0/16. */
static const struct ike_kernel_sa *in_sa_of(uint8_t n)
{
	int k;

	for (k = 0; k < S[0].nsa; k++)
		if (S[0].live[k] && S[0].sa[k].dir == IKE_DIR_IN &&
		    S[0].sa[k].local_ts.addr[1] == n)
			return &S[0].sa[k];
	return NULL;
}

/*
 * A reload of a file with two conns, one of them changed: the other one
 * and its SAs are left alone, the changed one is negotiated again.
 */
static void t_reload_two(void)
{
	struct ike_conn c[2], b, b2;
	const struct ike_kernel_sa *sa;
	uint32_t spi1, spi3;

	setup();
	mk_two_conns(&c[0], &c[1], &b, &b2);
	c[0].start = c[1].start = IKE_START_INITIATE;
	is_int(ike_engine_replace_conns(S[0].eng, c, 2), 0,
	       "reload two: both conns added");
	run(60000);
	ok(in_sa_of(1) && in_sa_of(3) && live_count(0, IKE_DIR_IN) == 2,
	   "reload two: both conns up, one inbound SA each");
	ok(count_logged("peer sent INITIAL-CONTACT") == 1 &&
	   !logged("peer restarted"),
	   "reload two: INITIAL-CONTACT once for the peer, nothing removed");
	spi1 = in_sa_of(1) ? in_sa_of(1)->spi : 0;
	spi3 = in_sa_of(3) ? in_sa_of(3)->spi : 0;
	c[1].lifetime = 1200;
	is_int(ike_engine_replace_conns(S[0].eng, c, 2), 0,
	       "reload two: site2 changed");
	run(60000);
	sa = in_sa_of(1);
	ok(sa && sa->spi == spi1 && sa->hard_secs != 1200,
	   "reload two: the unchanged conn keeps its SA (%08x)", spi1);
	sa = in_sa_of(3);
	ok(sa && sa->spi != spi3 && sa->hard_secs == 1200,
	   "reload two: the changed conn has a new SA with its new lifetime");
	ok(live_count(0, IKE_DIR_IN) == 2 && live_count(0, IKE_DIR_OUT) == 2,
	   "reload two: still one pair per conn");
}

/*
 * One conn's IPsec SAs are up but its ISAKMP SA is gone on both sides
 * (deleted at the end of its lifetime): a second conn to the same peer
 * must not announce INITIAL-CONTACT, or the peer drops the first one's.
 */
static void t_ic_without_p1(void)
{
	struct ike_conn a, a2, b, b2;
	uint32_t spi1;
	int i;

	setup();
	mk_two_conns(&a, &a2, &b, &b2);
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[0].eng, &a2);
	ike_engine_initiate(S[0].eng, "site");
	run(60000);
	spi1 = in_sa_of(1) ? in_sa_of(1)->spi : 0;
	for (i = 0; i < 2; i++)
		while (S[i].eng->p1s)
			sa_p1_free(S[i].eng, S[i].eng->p1s);
	ike_engine_initiate(S[0].eng, "site2");
	run(60000);
	ok(spi1 && in_sa_of(1) && in_sa_of(1)->spi == spi1 && in_sa_of(3) &&
	   live_count(1, IKE_DIR_IN) == 2 && live_count(1, IKE_DIR_OUT) == 2,
	   "IPsec SAs without ISAKMP SA: the second conn leaves them alone");
	ok(!logged("peer restarted"),
	   "IPsec SAs without ISAKMP SA: no INITIAL-CONTACT for the peer");
}

static int drop_qm1(int from, int nth, const uint8_t *b, size_t l)
{
	return from == 0 && nth == 4;	/* MM1, MM3, MM5, QM1 */
}

static int drop_qm3(int from, int nth, const uint8_t *b, size_t l)
{
	return from == 0 && nth == 5;
}

static void t_qm_loss(void)
{
	struct ike_conn a, b;
	int k;

	for (k = 0; k < 2; k++) {
		setup();
		filter = k ? drop_qm3 : drop_qm1;
		mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
		mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
		ike_engine_add_conn(S[0].eng, &a);
		ike_engine_add_conn(S[1].eng, &b);
		ike_engine_initiate(S[0].eng, "site");
		run(60000);
		if (!k) {
			ok(logged("retransmitting QM1"),
			   "lost QM1: initiator retransmits");
		} else {
			ok(logged("retransmitting QM2") &&
			   logged("retransmitted request, resending QM3"),
			   "lost QM3: responder retransmits QM2, initiator "
			   "answers with the same QM3");
		}
		check_mirror(k ? "lost QM3" : "lost QM1");
	}
}

/* start = initiate: an expired IPsec SA is negotiated again. */
static void t_expiry_restart(void)
{
	struct ike_conn a, b;
	uint32_t old_in;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	a.start = IKE_START_INITIATE;
	start_pair(&a, &b);
	run(60000);
	old_in = live_sa(0, IKE_DIR_IN) ? live_sa(0, IKE_DIR_IN)->spi : 0;
	now_ms += 3600 * 1000ULL;
	ike_engine_run_timers(S[0].eng);
	ike_engine_run_timers(S[1].eng);
	run(60000);
	check_mirror("expired and renegotiated");
	ok(live_sa(0, IKE_DIR_IN) && live_sa(0, IKE_DIR_IN)->spi != old_in,
	   "expiry: new SPIs after renegotiation");
}

/*
 * Late copies of messages already processed: the demo's sequence (QM1
 * retransmitted, QM2 resent, QM3 resent, the responder gets a second QM3
 * after its IPsec SA is up) and late MM3/MM5 copies. Each is recognised
 * by its bytes before decryption: the stored answer is resent or the
 * copy is dropped, and nothing else changes.
 */

/* The nth (1-based) captured message from side `from` of exchange exch. */
static const struct pkt *captured(int from, uint8_t exch, int nth)
{
	int i;

	for (i = 0; i < ncap; i++)
		if (cap[i].from == from && cap[i].buf[18] == exch && !--nth)
			return &cap[i];
	return NULL;
}

struct snap {
	struct st st;
	int nsa, ndel, nsent;
	uint32_t next_spi;
	bool live[MAX_KSA];
};

static struct snap snap(int i)
{
	struct snap o;

	memset(&o, 0, sizeof(o));
	o.st = status(i);
	o.nsa = S[i].nsa;
	o.ndel = S[i].ndel;
	o.nsent = S[i].nsent;
	o.next_spi = S[i].next_spi;
	memcpy(o.live, S[i].live, sizeof(o.live));
	return o;
}

/* No SPI taken, no kernel SA added or removed, same states. */
static bool same_sas(int i, const struct snap *o)
{
	struct snap n = snap(i);

	return n.nsa == o->nsa && n.ndel == o->ndel &&
	       n.next_spi == o->next_spi &&
	       !memcmp(n.live, o->live, sizeof(n.live)) &&
	       !strcmp(n.st.state, o->st.state) &&
	       n.st.nchild == o->st.nchild && n.st.nactive == o->st.nactive;
}

static void inject(int from, const struct pkt *p)
{
	if (p)
		ike_engine_input(S[!from].eng, &S[from].addr, &S[!from].addr,
				 p->buf, p->len);
}

static void establish_captured(void)
{
	struct ike_conn a, b;

	setup();
	ncap = 0;
	filter = capture_all;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128-sha256-modp2048", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128-sha256-modp2048", "k");
	/* Expired IPsec SAs are negotiated again: a later Quick Mode. */
	a.start = IKE_START_INITIATE;
	start_pair(&a, &b);
	run(60000);
	filter = NULL;
}

static void t_dup_qm3(void)
{
	const struct pkt *qm1, *qm3;
	struct snap a0, b0;
	uint32_t old_in;
	size_t mark;

	establish_captured();
	qm1 = captured(0, ISAKMP_XCHG_QUICK, 1);
	qm3 = captured(0, ISAKMP_XCHG_QUICK, 2);
	ok(qm1 && qm3 && ncap == 9, "dup QM3: captured QM1 and QM3 (%d)",
	   ncap);
	check_mirror("dup QM3: before");
	a0 = snap(0);
	b0 = snap(1);
	mark = loglen;

	/* A second QM3 after the responder's IPsec SA is up. */
	inject(0, qm3);
	pump();
	is_int(nwarn, 0, "dup QM3: no warning logged");
	ok(!strstr(logbuf + mark, "malformed after decryption"),
	   "dup QM3: not decrypted with a stale IV");
	ok(strstr(logbuf + mark, "duplicate of a processed message (exchange "
		  "32"), "dup QM3: dropped with a debug line");
	is_int(S[1].nsent, b0.nsent, "dup QM3: nothing sent in answer");
	ok(same_sas(1, &b0) && same_sas(0, &a0),
	   "dup QM3: no state or kernel SA change");

	/* The demo: QM1 again, so QM2 again, so QM3 again. */
	mark = loglen;
	inject(0, qm1);
	pump();
	is_int(nwarn, 0, "dup QM1: no warning logged");
	ok(strstr(logbuf + mark, "retransmitted request, resending QM2") &&
	   strstr(logbuf + mark, "retransmitted request, resending QM3"),
	   "dup QM1: stored QM2 resent, the initiator resends its QM3");
	is_int(S[1].nsent, b0.nsent + 1, "dup QM1: one QM2, nothing more");
	is_int(S[0].nsent, a0.nsent + 1, "dup QM1: one QM3 back");
	ok(strstr(logbuf + mark, "duplicate of a processed message"),
	   "dup QM1: the resent QM3 is dropped as a duplicate");
	ok(same_sas(1, &b0) && same_sas(0, &a0),
	   "dup QM1: no new SA, no SPI taken, states unchanged");
	check_mirror("dup QM1/QM3");

	/* The ISAKMP SA still carries a Quick Mode and Deletes. */
	old_in = live_sa(0, IKE_DIR_IN) ? live_sa(0, IKE_DIR_IN)->spi : 0;
	now_ms += 3600 * 1000ULL;
	ike_engine_run_timers(S[0].eng);
	ike_engine_run_timers(S[1].eng);
	run(60000);
	is_int(nwarn, 0, "after dups: new Quick Mode without warnings");
	ok(!memcmp(status(0).ic, a0.st.ic, 8) &&
	   !memcmp(status(0).rc, a0.st.rc, 8) &&
	   !strcmp(status(1).state, "MM_ACTIVE"),
	   "after dups: on the same ISAKMP SA");
	ok(live_sa(0, IKE_DIR_IN) && live_sa(0, IKE_DIR_IN)->spi != old_in,
	   "after dups: new SPIs");
	check_mirror("after dups: new Quick Mode");
	ike_engine_terminate(S[0].eng, "site");
	pump();
	ok(live_count(1, IKE_DIR_IN) + live_count(1, IKE_DIR_OUT) == 0 &&
	   logged("peer deleted IPsec SA of site") &&
	   logged("peer deleted the ISAKMP SA"),
	   "after dups: responder honours the Deletes");
	is_int(nwarn, 0, "after dups: still no warning");
}

static void t_late_mm(void)
{
	const struct pkt *mm3, *mm5, *m6;
	struct snap a0, b0;
	size_t mark;

	establish_captured();
	mm3 = captured(0, ISAKMP_XCHG_IDPROT, 2);
	mm5 = captured(0, ISAKMP_XCHG_IDPROT, 3);
	m6 = captured(1, ISAKMP_XCHG_IDPROT, 3);
	ok(mm3 && mm5 && m6, "late MM: captured MM3, MM5, MM6");
	a0 = snap(0);
	b0 = snap(1);

	/* MM5 after MM6 and Quick Mode: MM6 again, its copy dropped. */
	mark = loglen;
	inject(0, mm5);
	ok(S[1].last_len[1] == (m6 ? m6->len : 0) &&
	   m6 && !memcmp(S[1].last_sent[1], m6->buf, m6->len),
	   "late MM5: the stored MM6 bytes resent");
	pump();
	ok(strstr(logbuf + mark, "retransmitted request, resending MM6") &&
	   strstr(logbuf + mark, "duplicate of a processed message (exchange "
		  "2"), "late MM5: MM6 resent, the initiator drops the copy");
	is_int(S[0].nsent, a0.nsent, "late MM5: initiator sends nothing");

	/* MM3 after its answer MM4 was replaced by MM6: dropped. */
	mark = loglen;
	inject(0, mm3);
	pump();
	ok(strstr(logbuf + mark, "duplicate of a processed message"),
	   "late MM3: dropped as a duplicate");
	is_int(S[1].nsent, b0.nsent + 1, "late MM3: no answer");
	is_int(nwarn, 0, "late MM3/MM5: no warning logged");
	ok(same_sas(0, &a0) && same_sas(1, &b0),
	   "late MM3/MM5: no state or kernel SA change");

	/* The ISAKMP SA still works: Deletes decrypt on the responder. */
	ike_engine_terminate(S[0].eng, "site");
	pump();
	ok(live_count(1, IKE_DIR_IN) + live_count(1, IKE_DIR_OUT) == 0 &&
	   logged("peer deleted the ISAKMP SA"),
	   "late MM: Deletes still honoured");
	is_int(nwarn, 0, "late MM: still no warning");
}

/*
 * Spoofed encrypted datagrams in the middle of a Quick Mode: cookies and
 * Message ID are cleartext, so anyone on the path can send them. Neither
 * one with the QM's Message ID nor a burst with fresh ones may move or
 * evict the CBC IV the genuine QM3 needs.
 */
static struct pkt held;
static int held_nth;

static int hold_qm3(int from, int nth, const uint8_t *b, size_t l)
{
	if (from == 0 && nth == 5) {	/* MM1, MM3, MM5, QM1, QM3 */
		memcpy(held.buf, b, l);
		held.len = l;
		return 1;
	}
	return 0;
}

static void spoof(int to, const uint8_t *hdr, uint8_t exch, uint32_t msgid,
		  int seed)
{
	struct sockaddr_storage evil;
	uint8_t m[28 + 48];
	size_t i;

	mkaddr(&evil, "203.0.113.9");
	memcpy(m, hdr, 16);
	m[16] = ISAKMP_NP_HASH;
	m[17] = 0x10;
	m[18] = exch;
	m[19] = ISAKMP_FLAG_E;
	isakmp_put32(m + 20, msgid);
	isakmp_put32(m + 24, sizeof(m));
	for (i = 28; i < sizeof(m); i++)
		m[i] = (uint8_t)(seed * 31 + i * 7);
	ike_engine_input(S[to].eng, &evil, &S[to].addr, m, sizeof(m));
}

static void t_spoof_qm_iv(void)
{
	struct ike_conn a, b;
	uint32_t msgid;
	int k, i;

	for (k = 0; k < 2; k++) {
		const char *what = k ? "spoofed QMs with fresh M-IDs" :
				       "spoofed INFO with the QM's M-ID";

		setup();
		held.len = 0;
		filter = hold_qm3;
		mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
		mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
		start_pair(&a, &b);
		pump();
		filter = NULL;
		ok(held.len > 28, "%s: QM3 held back", what);
		msgid = isakmp_get32(held.buf + 20);
		if (k)
			for (i = 0; i < 12; i++)
				spoof(1, held.buf, ISAKMP_XCHG_QUICK,
				      msgid + 1 + (uint32_t)i, i);
		else
			spoof(1, held.buf, ISAKMP_XCHG_INFO, msgid, 1);
		inject(0, &held);
		pump();
		ok(!logged("HASH(3) mismatch") &&
		   !logged("QM message from 192.0.2.1:500 malformed"),
		   "%s: genuine QM3 still decrypts", what);
		is_int(status(1).nactive, 1, "%s: responder's child is up",
		       what);
		check_mirror(what);
	}
}

/*
 * A message that fails before it is authenticated may be forged: it is
 * dropped, and the negotiation it claims to belong to carries on.
 */
static int hold_nth(int from, int nth, const uint8_t *b, size_t l)
{
	if (from == 0 && nth == held_nth) {
		memcpy(held.buf, b, l);
		held.len = l;
		return 1;
	}
	return 0;
}

static void t_unauth_failure(void)
{
	struct ike_conn a, b;
	struct pkt bad;
	int k;

	for (k = 0; k < 2; k++) {
		const char *what = k ? "garbage MM5" : "bit-flipped QM3";

		setup();
		held.len = 0;
		held_nth = k ? 3 : 5;	/* MM1, MM3, MM5, QM1, QM3 */
		filter = hold_nth;
		mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
		mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
		start_pair(&a, &b);
		pump();
		filter = NULL;
		ok(held.len > 28 + 32, "%s: held back", what);
		bad = held;
		if (k)
			memset(bad.buf + 28, 0x5a, bad.len - 28);
		else
			bad.buf[28 + 20] ^= 0x01;	/* inside HASH(3) */
		inject(0, &bad);
		pump();
		ok(logged(k ? "does not decrypt" : "HASH(3) mismatch"),
		   "%s: refused", what);
		is_int(S[1].ndel, 0, "%s: no kernel SA deleted", what);
		ok(!strcmp(status(1).state, k ? "MM_WAIT_MSG5" : "MM_ACTIVE") &&
		   status(1).nchild == !k,
		   "%s: responder keeps its state (%s, %d child)", what,
		   status(1).state, status(1).nchild);
		inject(0, &held);
		run(60000);
		is_str(status(1).state, "MM_ACTIVE",
		       "%s: ISAKMP SA up after the genuine message", what);
		check_mirror(what);
	}
}

/*
 * Authenticated messages replayed after their exchange is over, as sent
 * and with a ciphertext block appended (the body still parses, HASH(1)
 * still matches): a used Message ID is refused, nothing is acted on.
 */
static struct pkt extended(const struct pkt *p)
{
	struct pkt x = *p;

	memset(x.buf + x.len, 0xa5, 16);
	x.len += 16;
	isakmp_put32(x.buf + 24, (uint32_t)x.len);
	return x;
}

static void t_replay_qm1(void)
{
	const struct pkt *qm1;
	struct pkt x;
	struct snap b0;
	int i;

	establish_captured();
	qm1 = captured(0, ISAKMP_XCHG_QUICK, 1);
	ok(qm1 != NULL, "replayed QM1: captured");
	if (!qm1)
		return;
	/*
	 * The IPsec SAs expire and are negotiated again, until the first
	 * Message ID's CBC IV has made room for later ones: a replay then
	 * decrypts as it did the first time.
	 */
	for (i = 0; i < IV_SLOTS; i++) {
		now_ms += 3600 * 1000ULL;
		ike_engine_run_timers(S[0].eng);
		ike_engine_run_timers(S[1].eng);
		run(60000);
	}
	check_mirror("replayed QM1: renegotiated");
	b0 = snap(1);
	inject(0, qm1);
	x = extended(qm1);
	inject(0, &x);
	ok(same_sas(1, &b0), "replayed QM1: no SPI, no SA, no new child");
	is_int(S[1].nsent, b0.nsent, "replayed QM1: nothing sent");
	ok(logged("already used, dropped"), "replayed QM1: logged");
}

static int capture_b_info(int from, int nth, const uint8_t *b, size_t l)
{
	if (from == 1 && b[18] == ISAKMP_XCHG_INFO && !held.len) {
		memcpy(held.buf, b, l);
		held.len = l;
	}
	return from == 0 && held.len ? 1 : 0;
}

static void t_replay_info(void)
{
	struct ike_conn a, b;
	struct pkt x;

	setup();
	held.len = 0;
	filter = capture_b_info;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes256-sha256", "k");
	start_pair(&a, &b);
	pump();
	ok(held.len && logged("QM1 for site refused by peer: "
			      "NO-PROPOSAL-CHOSEN"),
	   "replayed INFO: NO-PROPOSAL-CHOSEN captured");
	/* A new Quick Mode, its QM1 lost: pending on the initiator. */
	ike_engine_initiate(S[0].eng, "site");
	pump();
	is_int(status(0).nchild, 1, "replayed INFO: a Quick Mode pending");
	loglen = 0;
	logbuf[0] = 0;
	inject(1, &held);
	x = extended(&held);
	inject(1, &x);
	is_int(status(0).nchild, 1, "replayed INFO: the Quick Mode lives on");
	ok(!logged("refused by peer"), "replayed INFO: not acted on");
}

/*
 * MM1s spoofed with a configured peer's address fill its half-open
 * slots; its real MM1 still gets through, in place of the oldest.
 */
static void t_half_open_lockout(void)
{
	struct ike_conn a, b;
	int i;

	setup();
	filter = capture_mm1;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	start_pair(&a, &b);
	pump();
	filter = NULL;
	ike_engine_terminate(S[0].eng, "site");
	pump();
	for (i = 0; i < IKE_HALF_OPEN_PER_PEER; i++) {
		mm1[0] = (uint8_t)(0x80 + i);
		ike_engine_input(S[1].eng, &S[0].addr, &S[1].addr, mm1,
				 mm1_len);
	}
	qn = 0;			/* their MM2s go nowhere */
	ike_engine_initiate(S[0].eng, "site");
	run(60000);
	is_str(status(0).state, "MM_ACTIVE",
	       "half-open lockout: the real peer gets through");
	check_mirror("half-open lockout");
}

/*
 * A byte lifetime in kilobytes too large for a byte count (offered by
 * the peer, up to 64 bits, or set by a caller) saturates to "no limit"
 * instead of wrapping to a tiny one.
 */
/*
 * Phase 1's last block is the IV of everything after it, yet MM5's
 * INITIAL-CONTACT and any padding are not authenticated. A copy of MM5
 * with another last block, or of MM6 with a block appended, sent ahead
 * of the real one by someone without the keys, is dropped: the real one
 * completes the exchange with no retransmission.
 */
static int forge_nth, forge_from;
static bool forge_append, forge_done;

static int forge_tail(int from, int nth, const uint8_t *b, size_t l)
{
	uint8_t f[4096];
	size_t fl = l;

	if (from != forge_from || nth != forge_nth || l + 16 > sizeof(f) ||
	    !(b[19] & ISAKMP_FLAG_E))
		return 0;
	memcpy(f, b, l);
	if (forge_append) {
		memset(f + l, 0x5a, 16);
		fl += 16;
		isakmp_put32(f + 24, (uint32_t)fl);
	} else {
		f[l - 1] ^= 0x5a;
	}
	ike_engine_input(S[!from].eng, &S[from].addr, &S[!from].addr, f, fl);
	forge_done = true;
	return 0;
}

static void t_forged_phase1_tail(void)
{
	static const struct {
		const char *what;
		int from, nth;
		bool append;
		const char *log;
	} c[] = {
		{ "MM5 with another last block", 0, 3, false,
		  "MM5: notify for other cookies, a forged copy? Dropped" },
		{ "MM5 with a block appended", 0, 3, true, "does not decrypt" },
		{ "MM6 with a block appended", 1, 3, true, "does not decrypt" },
	};
	struct ike_conn a, b;
	size_t k;

	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		/*
		 * Refusing a tail of a whole block broke strongSwan's MM6 in
		 * the guest: the appended-block defence is not in place.
		 */
		if (c[k].append) {
			printf("# skip %s: appended-block defence not in place "
			       "(strongSwan pads MM6 by a whole block)\n",
			       c[k].what);
			continue;
		}
		setup();
		forge_from = c[k].from;
		forge_nth = c[k].nth;
		forge_append = c[k].append;
		forge_done = false;
		filter = forge_tail;
		mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
		mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
		start_pair(&a, &b);
		pump();
		filter = NULL;
		ok(forge_done, "forged %s: sent first", c[k].what);
		ok(logged(c[k].log), "forged %s: dropped", c[k].what);
		ok(status(0).nactive == 1 && status(1).nactive == 1 &&
		   !logged("retransmitting"),
		   "forged %s: the real one completes, no retransmission",
		   c[k].what);
		check_mirror(c[k].what);
	}
}

static void t_life_kbytes_huge(void)
{
	struct ike_conn a, b;
	const struct ike_kernel_sa *bi;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	a.life_kbytes = 0;			/* offers no byte lifetime */
	b.life_kbytes = (1ULL << 54) + 1;	/* * 1024 wraps to 1024 */
	start_pair(&a, &b);
	run(60000);
	check_mirror("huge life-kbytes");
	bi = live_sa(1, IKE_DIR_IN);
	ok(bi && bi->hard_bytes == UINT64_MAX,
	   "huge life-kbytes: hard byte limit saturates (%llu)",
	   bi ? (unsigned long long)bi->hard_bytes : 0ULL);
	ok(bi && bi->soft_bytes > bi->hard_bytes / 10 * 8,
	   "huge life-kbytes: soft limit near it");
}

/*
 * Copies of an answered request get the stored answer again, but only
 * when they come from the SA's peer and only as often as we would
 * retransmit: no reflector for spoofed sources, no amplifier.
 */
static void t_dup_reflection(void)
{
	struct sockaddr_storage evil;
	const struct pkt *qm1;
	int i, sent;

	establish_captured();
	qm1 = captured(0, ISAKMP_XCHG_QUICK, 1);
	ok(qm1 != NULL, "dup reflection: QM1 captured");
	if (!qm1)
		return;
	mkaddr(&evil, "203.0.113.9");
	sent = S[1].nsent;
	for (i = 0; i < 5; i++)
		ike_engine_input(S[1].eng, &evil, &S[1].addr, qm1->buf,
				 qm1->len);
	is_int(S[1].nsent - sent, 0,
	       "dup reflection: nothing sent to another address");
	qn = 0;
	sent = S[1].nsent;
	for (i = 0; i < 50; i++)
		ike_engine_input(S[1].eng, &S[0].addr, &S[1].addr, qm1->buf,
				 qm1->len);
	qn = 0;
	ok(S[1].nsent - sent >= 1 && S[1].nsent - sent <= 5,
	   "dup reflection: the peer gets QM2 again, a few times only (%d)",
	   S[1].nsent - sent);
	check_mirror("dup reflection");
}

/* A flood of forged datagrams costs a bounded number of log lines. */
static void t_log_flood(void)
{
	struct ike_conn a, b;
	uint8_t hdr[16];
	struct st s0;
	int i;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	start_pair(&a, &b);
	run(60000);
	s0 = status(1);
	memcpy(hdr, s0.ic, 8);
	memcpy(hdr + 8, s0.rc, 8);
	for (i = 0; i < 10 * LOG_RATE_BURST; i++) {
		spoof(1, hdr, ISAKMP_XCHG_INFO, 0x1000 + (uint32_t)i, i);
		spoof(1, hdr, ISAKMP_XCHG_QUICK, 0x2000 + (uint32_t)i, i);
	}
	ok(count_logged("from 203.0.113.9:500") <= 2 * LOG_RATE_BURST,
	   "log flood: %d lines for %d forged datagrams",
	   count_logged("from 203.0.113.9:500"), 20 * LOG_RATE_BURST);
	check_mirror("log flood");
}

/* The responder's kernel refuses an SPI or the SA: no child is left. */
static void t_responder_kernel_refuses(void)
{
	struct ike_conn a, b;
	int k;

	for (k = 0; k < 2; k++) {
		const char *what = k ? "add_sa refused" : "no SPI";

		setup();
		mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
		mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
		S[1].fail_spi = !k;
		S[1].fail_add = k;
		start_pair(&a, &b);
		run(60000);
		ok(logged(k ? "kernel refused inbound SA" :
			  "QM1: no inbound SPI from the kernel"),
		   "%s: responder logs it", what);
		is_int(status(1).nchild, 0, "%s: responder keeps no child",
		       what);
		is_int(status(0).nchild, 0, "%s: initiator gives up", what);
		is_str(status(1).state, "MM_ACTIVE", "%s: phase 1 stays up",
		       what);
	}
}

/* --- keeping conns up --- */

static bool silent;

static int drop_while_silent(int from, int nth, const uint8_t *b, size_t l)
{
	return silent;
}

/* A kept-up conn outlives a silent peer: it comes up once B answers. */
static void t_retry_silent_peer(void)
{
	struct ike_conn a, b;

	setup();
	silent = true;
	filter = drop_while_silent;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	a.start = IKE_START_INITIATE;
	start_pair(&a, &b);
	run(100000);
	ok(logged("[conn site] negotiation failed: no response to MM1 from "
		  "192.0.2.2:500 after 5 tries; retrying in 1 s (attempt 2)"),
	   "silent peer: the failure and the retry are logged");
	ok(logged("retrying in 2 s (attempt 3)"),
	   "silent peer: the next retry waits twice as long");
	ok(ike_engine_next_timeout_ms(S[0].eng) >= 0,
	   "silent peer: still a timer after %d sends", S[0].nsent);
	silent = false;
	run(200000);
	is_str(status(0).state, "MM_ACTIVE", "silent peer: ISAKMP SA up");
	is_int(status(0).nactive, 1, "silent peer: IPsec SA up");
	check_mirror("silent peer");
}

/* keyingtries = 2: two negotiations, then the conn is left down. */
static void t_retry_keyingtries(void)
{
	struct ike_conn a;

	setup();
	filter = drop_all;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	a.start = IKE_START_INITIATE;
	a.keyingtries = 2;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_initiate(S[0].eng, "site");
	run(3600000);
	is_int(S[0].nsent, 10, "keyingtries 2: MM1 sent 5 times, twice");
	is_int(count_logged("retrying in"), 1, "keyingtries 2: one retry");
	ok(logged("[conn site] negotiation failed: no response to MM1 from "
		  "192.0.2.2:500 after 5 tries; giving up after 2 attempts "
		  "(keyingtries)"), "keyingtries 2: gives up, says why");
	is_str(status(0).state, "NONE", "keyingtries 2: down");
	ok(ike_engine_next_timeout_ms(S[0].eng) < 0,
	   "keyingtries 2: no timers left");
}

/* Runs A's timers with every datagram lost until the next retry is set. */
static int64_t next_retry_delay(void)
{
	int n = count_logged("retrying in"), guard = 0;
	int64_t t;

	while (count_logged("retrying in") == n && guard++ < 100) {
		t = ike_engine_next_timeout_ms(S[0].eng);
		if (t < 0)
			return -1;
		now_ms += (uint64_t)t;
		ike_engine_run_timers(S[0].eng);
		qn = 0;
	}
	return ike_engine_next_timeout_ms(S[0].eng);
}

static void t_retry_backoff(void)
{
	static const int64_t want[] = {
		1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000,
	};
	struct ike_conn a;
	size_t i;
	int sent;

	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	a.start = IKE_START_INITIATE;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_initiate(S[0].eng, "site");
	qn = 0;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		is_int(next_retry_delay(), want[i],
		       "backoff: delay before attempt %zu", i + 2);
	ok(logged("retrying in 60 s (attempt 9)"),
	   "backoff: capped at 60 s");

	/* An acquire cuts the wait short. */
	sent = S[0].nsent;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	is_int(S[0].nsent - sent, 1, "backoff: acquire sends MM1 at once");
	qn = 0;
}

/* ike down stops the retries, ike up starts again at once. */
static void t_retry_down(void)
{
	struct ike_conn a;
	int sent;

	setup();
	filter = drop_all;
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	a.start = IKE_START_INITIATE;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_initiate(S[0].eng, "site");
	run(40000);
	ok(logged("retrying in 1 s (attempt 2)"), "down: retrying");
	ike_engine_terminate(S[0].eng, "site");
	ok(ike_engine_next_timeout_ms(S[0].eng) < 0, "down: no timers");
	sent = S[0].nsent;
	run(3600000);
	is_int(S[0].nsent, sent, "down: nothing sent for an hour");
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	is_int(S[0].nsent, sent, "down: an acquire does not bring it up");
	ike_engine_initiate(S[0].eng, "site");
	is_int(S[0].nsent, sent + 1, "up: MM1 sent at once");
	run(40000);
	ok(count_logged("retrying in 1 s (attempt 2)") == 2,
	   "up: retrying again");
}

/* An acquire negotiates once, not while busy, at most once a second. */
static void t_acquire(void)
{
	struct ike_conn a, b;

	setup();
	mkconn(&a, 0, "aes256-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha1-modp3072", "aes128gcm16", "k");
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp9", 0);
	is_int(S[0].nsent, 0, "acquire: another device's is ignored");
	ike_engine_kernel_event(S[0].eng, IKE_KEV_SOFT_EXPIRE, "esp0", 1);
	is_int(S[0].nsent, 0, "acquire: other events start nothing");
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	is_int(S[0].nsent, 1, "acquire: MM1 sent by a listen conn");
	now_ms += 2000;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	is_int(S[0].nsent, 1, "acquire: none while negotiating");
	pump();		/* refused: NO-PROPOSAL-CHOSEN */
	is_str(status(0).state, "NONE", "acquire: refused, no SA");
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	is_int(S[0].nsent, 2, "acquire: again once the last one ended");
	pump();
	now_ms += 500;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	is_int(S[0].nsent, 2, "acquire: at most one a second");
	now_ms += 500;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	is_int(S[0].nsent, 3, "acquire: a second later, again");
	pump();
	ok(ike_engine_next_timeout_ms(S[0].eng) < 0,
	   "acquire: a listen conn is not retried");

	/* With matching proposals the acquire brings the tunnel up. */
	setup();
	mkconn(&a, 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	run(60000);
	is_int(status(0).nactive, 1, "acquire: tunnel up");
	check_mirror("acquire");
	now_ms += 5000;
	ike_engine_kernel_event(S[0].eng, IKE_KEV_ACQUIRE, "esp0", 0);
	is_int(count_logged("acquire: negotiating now"), 1,
	       "acquire: none while up");
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_basic();
	t_nopfs();
	t_groups();
	t_psk_mismatch();
	t_drop_mm3();
	t_dup_mm5();
	t_no_response();
	t_no_proposal();
	t_ids();
	t_lifetime();
	t_delete();
	t_simultaneous();
	t_garbage();
	t_reinitiate();
	t_half_open();
	t_replace();
	t_ipv6();
	t_misc();
	t_restart();
	t_mutate();
	t_two_conns();
	t_reload_two();
	t_ic_without_p1();
	t_qm_loss();
	t_expiry_restart();
	t_dup_qm3();
	t_late_mm();
	t_responder_kernel_refuses();
	t_spoof_qm_iv();
	t_unauth_failure();
	t_replay_qm1();
	t_replay_info();
	t_half_open_lockout();
	t_life_kbytes_huge();
	t_forged_phase1_tail();
	t_dup_reflection();
	t_log_flood();
	t_retry_silent_peer();
	t_retry_keyingtries();
	t_retry_backoff();
	t_retry_down();
	t_acquire();
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
