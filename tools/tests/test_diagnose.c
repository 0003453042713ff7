// SPDX-License-Identifier: GPL-2.0
/*
 * The cause rules of `esptun diagnose` on recorded status replies and
 * counter samples: each rule fires on its evidence and names what it
 * must (which message stopped, ours and theirs side by side, the routes),
 * and the status text of esptund parses into the fields they read.
 */
#include <stdio.h>
#include <string.h>

#include "diagnose.h"

static int n, failed;

static void ok(int cond, const char *name, const char *detail)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, name);
	if (!cond) {
		failed = 1;
		if (detail)
			printf("#   got: %s\n", detail);
	}
}

static int has(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

/* Parses one recorded status and decides its first conn. */
static void decide(const char *status, const struct dg_traffic *t,
		   struct dg_conn *c, struct dg_result *r)
{
	if (dg_parse_status(status, c, 1) != 1) {
		memset(c, 0, sizeof(*c));
		strcpy(c->name, "unparsed");
	}
	dg_decide(c, t, r);
}

static const char st_up[] =
	"ok\n"
	"conn site: MM_ACTIVE initiator 10.0.0.1:500 <-> 10.0.0.2:500\n"
	"  cookies [0102030405060708:1112131415161718] aes128-sha256-modp2048"
	" lifetime 86000s\n"
	"  child QM_ACTIVE: spi in c0000001 out c0000002 aes128-sha256 "
	"10.1.0.0/24 === 10.2.0.0/24 lifetime 3500s\n"
	"  messages: sent QM3, received QM2\n"
	"  exchanges: main 2 started 1 done, quick 1 started 1 done, "
	"failures 1\n"
	"  notify NO-PROPOSAL-CHOSEN: sent 0, received 2\n"
	"  failure: MM1, 40 s ago: no response to MM1 from 10.0.0.2:500 after"
	" 5 tries\n";

static void test_parse(void)
{
	struct dg_conn c[2];
	int k = dg_parse_status(st_up, c, 2);

	ok(k == 1, "status with one conn parses to one conn", NULL);
	ok(!strcmp(c[0].name, "site") && !strcmp(c[0].state, "MM_ACTIVE") &&
	   !strcmp(c[0].peer, "10.0.0.2:500"), "conn line: name, state, peer",
	   c[0].peer);
	ok(c[0].n_children == 1 && c[0].children[0].spi_in == 0xc0000001 &&
	   c[0].children[0].spi_out == 0xc0000002 &&
	   !strcmp(c[0].children[0].remote_ts, "10.2.0.0/24") &&
	   !strcmp(c[0].children[0].local_ts, "10.1.0.0/24"),
	   "child line: SPIs and selectors", c[0].children[0].remote_ts);
	ok(!strcmp(c[0].sent, "QM3") && !strcmp(c[0].received, "QM2"),
	   "messages line", c[0].sent);
	ok(c[0].mm_started == 2 && c[0].mm_done == 1 && c[0].qm_started == 1 &&
	   c[0].qm_done == 1 && c[0].failures == 1, "exchanges line", NULL);
	ok(c[0].n_notify == 1 && c[0].notify[0].received == 2 &&
	   !strcmp(c[0].notify[0].name, "NO-PROPOSAL-CHOSEN"), "notify line",
	   c[0].notify[0].name);
	ok(!strcmp(c[0].fail_msg, "MM1") && c[0].fail_age == 40 &&
	   has(c[0].fail, "no response to MM1"), "failure line", c[0].fail);
	ok(dg_parse_status("ok\nno connections configured\n", c, 2) == 0,
	   "no conns", NULL);
	ok(dg_parse_status("ok\ngarbage\n", c, 2) < 0, "not a status: -1",
	   NULL);
	ok(dg_parse_status("ok\nconn a: NONE\nconn b: NONE\n  messages: "
			   "sent MM1, received -\n", c, 1) == 1,
	   "more conns than room: the rest skipped", NULL);
}

static void traffic(struct dg_traffic *t, uint64_t e0, uint64_t e1,
		    uint64_t d0, uint64_t d1)
{
	memset(t, 0, sizeof(*t));
	t->found = true;
	strcpy(t->ifname, "esp0");
	t->encaps[0] = e0;
	t->encaps[1] = e1;
	t->decaps[0] = d0;
	t->decaps[1] = d1;
	t->interval_ms = 1000;
}

static void test_traffic_rules(void)
{
	struct dg_traffic t;
	struct dg_result r;
	struct dg_conn c;
	bool found;
	int i;

	traffic(&t, 10, 20, 10, 20);
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_HEALTHY && has(r.sentence, "healthy"),
	   "both ways counting: healthy, old MM1 failure ignored", r.sentence);

	traffic(&t, 5, 9, 0, 0);
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_ESP_BLOCKED && has(r.sentence, "no ESP arrives") &&
	   has(r.sentence, "nat-t = force") && has(r.sentence, "9 packets"),
	   "encaps rising, no decaps: ESP blocked, nat-t = force",
	   r.sentence);

	traffic(&t, 0, 0, 0, 0);
	t.n_routes = 2;
	strcpy(t.routes[0], "10.0.0.0/8 dev eth0");
	strcpy(t.routes[1], "default via 192.0.2.1 dev eth0");
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_NOTHING_ROUTED &&
	   has(r.sentence, "nothing is routed into esp0") &&
	   has(r.sentence, "10.2.0.0/24 goes via 10.0.0.0/8 dev eth0"),
	   "encaps zero: nothing routed, the winning route named",
	   r.sentence);
	ok(r.n_evidence >= 2 && has(r.evidence[r.n_evidence - 1],
				    "default via 192.0.2.1 dev eth0"),
	   "every matching route in the evidence", r.evidence[0]);

	traffic(&t, 0, 0, 0, 0);
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_NOTHING_ROUTED && has(r.sentence, "no route at all"),
	   "encaps zero, no route at all", r.sentence);

	traffic(&t, 10, 20, 10, 20);
	t.replay[0] = 3;
	t.replay[1] = 7;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_REPLAY_RISING && has(r.sentence, "+4") &&
	   has(r.sentence, "c0000001"), "replay drops rising", r.sentence);

	traffic(&t, 10, 20, 10, 20);
	t.replay[0] = t.replay[1] = 7;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_HEALTHY, "replay drops standing still: healthy",
	   r.sentence);

	traffic(&t, 10, 20, 10, 20);
	t.icv[0] = 1;
	t.icv[1] = 2;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_ICV_RISING && has(r.sentence, "ICV failures rising"),
	   "ICV drops rising", r.sentence);

	traffic(&t, 10, 20, 5, 5);
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_ONE_WAY, "encaps rising, decaps stopped: one-way",
	   r.sentence);

	/* A rekey between the samples: the second SA counts from 0. */
	traffic(&t, 10, 4, 3, 2);
	decide(st_up, &t, &c, &r);
	for (i = 0, found = false; i < r.n_evidence; i++)
		found = found || has(r.evidence[i], "(+4/+2 in 1000 ms)");
	ok(r.cause == DG_HEALTHY && found,
	   "new SA between samples: its counts, no wrap", r.sentence);

	decide(st_up, NULL, &c, &r);
	ok(r.cause == DG_SA_MISSING && has(r.sentence, "could not be read"),
	   "module unreadable", r.sentence);
	memset(&t, 0, sizeof(t));
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_SA_MISSING && has(r.sentence, "behind its back"),
	   "SAs absent from the module", r.sentence);
}

static void test_failure_rules(void)
{
	struct dg_result r;
	struct dg_conn c;

	decide("ok\nconn site: NONE\n  messages: sent MM1, received -\n"
	       "  exchanges: main 3 started 0 done, quick 0 started 0 done, "
	       "failures 3\n"
	       "  failure: MM1, 2 s ago: no response to MM1 from 10.0.0.2:500 "
	       "after 5 tries\n", NULL, &c, &r);
	ok(r.cause == DG_NO_ANSWER_MM1 &&
	   has(r.sentence, "no answer to MM1 from 10.0.0.2:500") &&
	   has(r.sentence, "UDP 500"), "MM1 unanswered, the peer named",
	   r.sentence);

	decide("ok\nconn site: MM_WAIT_MSG6 initiator 10.0.0.1:500 <-> "
	       "10.0.0.2:500\n  messages: sent MM5, received MM4\n"
	       "  failure: MM5, 1 s ago: no response to MM5 from 10.0.0.2:500 "
	       "after 5 tries\n", NULL, &c, &r);
	ok(r.cause == DG_STUCK_MM5 && has(r.sentence, "stuck after MM5") &&
	   has(r.sentence, "its last message was MM4") &&
	   has(r.sentence, "pre-shared key"), "MM5 unanswered: PSK or ID",
	   r.sentence);

	decide("ok\nconn site: NONE\n  failure: MM5, 1 s ago: the peer's "
	       "answer to MM5 does not decrypt: pre-shared key mismatch?\n",
	       NULL, &c, &r);
	ok(r.cause == DG_STUCK_MM5, "MM5 answer undecryptable: stuck after MM5",
	   r.sentence);

	decide("ok\nconn site: NONE\n  failure: MM5, 1 s ago: HASH_I "
	       "mismatch: pre-shared key mismatch?\n", NULL, &c, &r);
	ok(r.cause == DG_AUTH_FAILED && has(r.sentence, "after our MM4"),
	   "responder: the peer's MM5 failed here", r.sentence);

	decide("ok\nconn site: NONE\n  failure: MM5, 1 s ago: the peer's MM5 "
	       "does not decrypt: pre-shared key mismatch?\n", NULL, &c, &r);
	ok(r.cause == DG_AUTH_FAILED && has(r.sentence, "pre-shared key"),
	   "responder: the peer's MM5 does not decrypt", r.sentence);

	decide("ok\nconn site: NONE\n  failure: MM3, 1 s ago: no response to "
	       "MM3 from 10.0.0.2:500 after 5 tries\n", NULL, &c, &r);
	ok(r.cause == DG_STUCK_MM3 && has(r.sentence, "stuck after MM3") &&
	   has(r.sentence, "its last message was MM2"), "MM3 unanswered",
	   r.sentence);

	decide("ok\nconn site: MM_ACTIVE initiator 10.0.0.1:500 <-> "
	       "10.0.0.2:500\n  failure: QM1, 0 s ago: QM1 refused by the "
	       "peer with NO-PROPOSAL-CHOSEN\n"
	       "  failure-notify: NO-PROPOSAL-CHOSEN from the peer\n"
	       "  failure-ours: aes128-sha1\n", NULL, &c, &r);
	ok(r.cause == DG_NO_PROPOSAL &&
	   has(r.sentence, "the peer refused QM1 with NO-PROPOSAL-CHOSEN") &&
	   has(r.sentence, "esp proposal (ours: aes128-sha1; theirs: unknown"),
	   "NO-PROPOSAL-CHOSEN from the peer: ours, theirs unknown",
	   r.sentence);

	decide("ok\nconn site: MM_ACTIVE responder 10.0.0.2:500 <-> "
	       "10.0.0.1:500\n  failure: QM1, 0 s ago: QM1 refused by us "
	       "with NO-PROPOSAL-CHOSEN\n"
	       "  failure-notify: NO-PROPOSAL-CHOSEN by us\n"
	       "  failure-ours: aes256gcm16\n"
	       "  failure-theirs: aes128-sha1\n", NULL, &c, &r);
	ok(r.cause == DG_NO_PROPOSAL && has(r.sentence, "we refused QM1") &&
	   has(r.sentence, "ours: aes256gcm16; theirs: aes128-sha1"),
	   "NO-PROPOSAL-CHOSEN by us: both sides", r.sentence);

	decide("ok\nconn site: MM_ACTIVE responder 10.0.0.2:500 <-> "
	       "10.0.0.1:500\n  failure: QM1, 0 s ago: x\n"
	       "  failure-notify: INVALID-ID-INFORMATION by us\n"
	       "  failure-ours: 10.2.0.0/24 === 10.1.0.0/24\n"
	       "  failure-theirs: 10.1.0.0/24 === 10.9.0.0/24\n", NULL, &c, &r);
	ok(r.cause == DG_INVALID_ID_QM && has(r.sentence, "Quick Mode") &&
	   has(r.sentence, "ours: 10.2.0.0/24 === 10.1.0.0/24; theirs: "
	       "10.1.0.0/24 === 10.9.0.0/24"),
	   "INVALID-ID-INFORMATION in Quick Mode: selectors side by side",
	   r.sentence);

	decide("ok\nconn site: NONE\n  failure: MM5, 0 s ago: x\n"
	       "  failure-notify: INVALID-ID-INFORMATION from the peer\n",
	       NULL, &c, &r);
	ok(r.cause == DG_ID_MISMATCH && has(r.sentence, "Main Mode"),
	   "INVALID-ID-INFORMATION in Main Mode: ID mismatch", r.sentence);

	decide("ok\nconn site: MM_ACTIVE initiator 10.0.0.1:500 <-> "
	       "10.0.0.2:500\n  failure: QM1, 3 s ago: no response to QM1 "
	       "from 10.0.0.2:500 after 5 tries\n", NULL, &c, &r);
	ok(r.cause == DG_NO_ANSWER_QM, "QM1 unanswered", r.sentence);

	decide("ok\nconn site: NONE\n", NULL, &c, &r);
	ok(r.cause == DG_NOT_STARTED && has(r.sentence, "esptun ike up site"),
	   "never started", r.sentence);

	decide("ok\nconn site: MM_WAIT_MSG2 initiator 10.0.0.1:500 <-> "
	       "10.0.0.2:500\n", NULL, &c, &r);
	ok(r.cause == DG_IN_PROGRESS, "negotiating, nothing failed",
	   r.sentence);

	ok(!strcmp(dg_cause_name(DG_ESP_BLOCKED), "esp-blocked-inbound") &&
	   !strcmp(dg_cause_name(DG_HEALTHY), "healthy"),
	   "stable cause names", NULL);
}

int main(void)
{
	printf("TAP version 13\n");
	test_parse();
	test_traffic_rules();
	test_failure_rules();
	printf("1..%d\n", n);
	return failed;
}
