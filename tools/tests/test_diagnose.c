// SPDX-License-Identifier: GPL-2.0
/*
 * The cause rules of `esptun diagnose` on recorded status replies and
 * counter samples: each rule fires on its evidence and names what it
 * must (which message stopped, ours and theirs side by side, the routes),
 * and the status text of esptund parses into the fields they read.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "attr.h"
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

static bool in_evidence(const struct dg_result *r, const char *s)
{
	int i;

	for (i = 0; i < r->n_evidence; i++)
		if (has(r->evidence[i], s))
			return true;
	printf("#   no evidence line has: %s\n", s);
	for (i = 0; i < r->n_evidence; i++)
		printf("#   evidence: %s\n", r->evidence[i]);
	return false;
}

/* Two non-prefix IPv6 ranges, "A === B", 163 characters. */
#define V6_LONG "fd12:3456:789a:bcde:f012:3456:789a:1001-" \
	"fd12:3456:789a:bcde:f012:3456:789a:bcde === " \
	"fd12:3456:789a:bcdf:f012:3456:789a:1001-" \
	"fd12:3456:789a:bcdf:f012:3456:789a:bcde"

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
	/* An IPv6 range, the longest selector a child line carries. */
	ok(dg_parse_status("ok\nconn r: MM_ACTIVE initiator 10.0.0.1:500 <-> "
			   "10.0.0.2:500\n  child QM_ACTIVE: spi in c0000001 "
			   "out c0000002 aes128gcm16 ::/0 === "
			   "2001:db8:ffff:ffff:ffff:ffff:ffff:5-"
			   "2001:db8:ffff:ffff:ffff:ffff:ffff:ff14 lifetime "
			   "3500s\n", c, 2) == 1 && c[0].n_children == 1 &&
	   !strcmp(c[0].children[0].remote_ts,
		   "2001:db8:ffff:ffff:ffff:ffff:ffff:5-"
		   "2001:db8:ffff:ffff:ffff:ffff:ffff:ff14"),
	   "child line: an IPv6 range selector whole",
	   c[0].children[0].remote_ts);
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

	/* The route goes into the tunnel: idle, not a fault. */
	traffic(&t, 0, 0, 0, 3);
	t.n_routes = 2;
	strcpy(t.routes[0], "10.2.0.0/24 dev esp0");
	strcpy(t.routes[1], "default via 192.0.2.1 dev eth0");
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_HEALTHY && has(r.sentence, "idle: nothing sent") &&
	   has(r.sentence, "10.2.0.0/24 goes into esp0"),
	   "encaps zero, routed into the device: healthy and idle",
	   r.sentence);

	/* Another device whose name starts with ours is not ours. */
	strcpy(t.routes[0], "10.2.0.0/24 dev esp01");
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_NOTHING_ROUTED &&
	   has(r.sentence, "goes via 10.2.0.0/24 dev esp01"),
	   "encaps zero, routed into esp01: nothing routed into esp0",
	   r.sentence);

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


	decide(st_up, NULL, &c, &r);
	ok(r.cause == DG_SA_MISSING && has(r.sentence, "could not be read"),
	   "module unreadable", r.sentence);
	memset(&t, 0, sizeof(t));
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_SA_MISSING && has(r.sentence, "behind its back"),
	   "SAs absent from the module", r.sentence);
}

/* The device's drop counters, [0] then [1]. */
struct drops {
	uint64_t no_sa[2], no_route[2], mtu[2];
};

/*
 * Decides an up tunnel whose SAs stand at e packets out, its remote
 * selector routed into esp0, with the device drops d.
 */
static void decide_idle(uint64_t e, struct drops d, struct dg_traffic *t,
			struct dg_conn *c, struct dg_result *r)
{
	traffic(t, e, e, 0, 3);
	t->n_routes = 1;
	strcpy(t->routes[0], "10.2.0.0/24 dev esp0");
	t->dev_found = true;
	strcpy(t->outer, "10.0.0.2");
	memcpy(t->no_sa, d.no_sa, sizeof(d.no_sa));
	memcpy(t->no_route, d.no_route, sizeof(d.no_route));
	memcpy(t->mtu, d.mtu, sizeof(d.mtu));
	decide(st_up, t, c, r);
}

static void test_device_rules(void)
{
	struct dg_traffic t;
	struct dg_result r;
	struct dg_conn c;

	decide_idle(0, (struct drops){ 0 }, &t, &c, &r);
	ok(r.cause == DG_HEALTHY && has(r.sentence, "idle: nothing sent"),
	   "device drops flat at 0: still healthy and idle", r.sentence);

	decide_idle(0, (struct drops){ .no_sa = { 50, 50 },
				       .no_route = { 4, 4 }, .mtu = { 9, 9 } },
		    &t, &c, &r);
	ok(r.cause == DG_HEALTHY && has(r.sentence, "idle: nothing sent"),
	   "device drops high but not rising: still healthy and idle",
	   r.sentence);

	traffic(&t, 10, 20, 10, 20);
	t.dev_found = true;
	t.no_sa[0] = t.no_sa[1] = 50;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_HEALTHY &&
	   has(r.evidence[r.n_evidence - 1], "IPsec SA in "),
	   "device drops high but not rising, traffic both ways: healthy, "
	   "no device evidence", r.sentence);

	decide_idle(0, (struct drops){ .no_sa = { 7, 12 } }, &t, &c, &r);
	ok(r.cause == DG_NO_SA_MATCH &&
	   !strcmp(dg_cause_name(r.cause), "no-outbound-sa") &&
	   has(r.sentence, "packets routed into esp0 match no outbound SA: "
	       "+5 dropped in 1000 ms") &&
	   has(r.sentence, "(10.1.0.0/24 === 10.2.0.0/24) don't cover them") &&
	   has(r.sentence, "route only traffic to 10.2.0.0/24 into esp0") &&
	   in_evidence(&r, "device esp0 drops in 1000 ms: no outbound SA +5 "
		       "(12 in all), no route to the peer +0 (0 in all), too "
		       "big +0 (0 in all)"),
	   "no_sa rising, nothing encrypted: no outbound SA, selectors named",
	   r.sentence);

	/* The tunnel carried traffic before; now nothing gets out. */
	decide_idle(40, (struct drops){ .no_route = { 2, 8 } }, &t, &c, &r);
	ok(r.cause == DG_NO_OUTER_ROUTE &&
	   !strcmp(dg_cause_name(r.cause), "no-route-to-peer") &&
	   has(r.sentence, "no route to the peer's outer address 10.0.0.2: "
	       "+6 packets routed into esp0 dropped in 1000 ms"),
	   "no_route rising, encaps standing at 40: no route to the peer",
	   r.sentence);

	t.outer[0] = 0;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_NO_OUTER_ROUTE &&
	   has(r.sentence, "outer address 10.0.0.2: +6") &&
	   has(r.sentence, "`ip route get 10.0.0.2`"),
	   "outer address unknown: the peer of esptund's status", r.sentence);

	decide_idle(0, (struct drops){ .mtu = { 1, 4 } }, &t, &c, &r);
	ok(r.cause == DG_TOO_BIG &&
	   !strcmp(dg_cause_name(r.cause), "too-big") &&
	   has(r.sentence, "packets too big for the tunnel: +3 dropped at "
	       "esp0 in 1000 ms") && has(r.sentence, "mss-clamp"),
	   "mtu rising, nothing encrypted: too big", r.sentence);

	decide_idle(0, (struct drops){ .no_sa = { 0, 2 }, .mtu = { 0, 7 } },
		    &t, &c, &r);
	ok(r.cause == DG_TOO_BIG && in_evidence(&r, "no outbound SA +2"),
	   "several drops rising: the one that rose most names the cause",
	   r.sentence);

	/* Inbound failures of the SAs outrank the device's drops. */
	t.icv[1] = 2;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_ICV_RISING, "ICV and device drops rising: ICV",
	   r.sentence);

	/* The counters of a device the dumps did not have are not judged. */
	decide_idle(0, (struct drops){ .no_sa = { 0, 4 } }, &t, &c, &r);
	t.dev_found = false;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_HEALTHY, "device not found: idle", r.sentence);

	/* Not routed into esp0 at all, yet something else is dropped there. */
	traffic(&t, 0, 0, 0, 0);
	t.dev_found = true;
	t.no_sa[1] = 4;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_NO_SA_MATCH, "no_sa rising, no route matching the "
	   "selector: no outbound SA", r.sentence);

	/* Encryption goes on: some traffic gets through, verdicts as before. */
	t.encaps[1] = 20;
	t.decaps[1] = 20;
	t.encaps[0] = t.decaps[0] = 10;
	t.mtu[1] = 2;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_HEALTHY, "drops rising while encaps rise: healthy "
	   "as before", r.sentence);

	t.decaps[0] = t.decaps[1] = 0;
	decide(st_up, &t, &c, &r);
	ok(r.cause == DG_ESP_BLOCKED, "drops rising while encaps rise: ESP "
	   "blocked as before", r.sentence);
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

	/* a conn with certificates: no pre-shared key to blame */
	decide("ok\nconn site: MM_WAIT_MSG6 initiator 10.0.0.1:500 <-> "
	       "10.0.0.2:500\n  auth rsa-sig\n"
	       "  messages: sent MM5, received MM4\n"
	       "  failure: MM5, 1 s ago: no response to MM5 from 10.0.0.2:500 "
	       "after 5 tries\n", NULL, &c, &r);
	ok(r.cause == DG_STUCK_MM5 &&
	   has(r.sentence, "certificate, signature or ID refused") &&
	   !has(r.sentence, "pre-shared"), "MM5 unanswered, certificates",
	   r.sentence);
	decide("ok\nconn site: NONE\n  auth ecdsa-sig\n  failure: MM6, 1 s "
	       "ago: SIG_R does not verify\n", NULL, &c, &r);
	ok(r.cause == DG_AUTH_FAILED &&
	   has(r.sentence, "certificate or signature refused") &&
	   !has(r.sentence, "pre-shared"), "MM6 failed, certificates",
	   r.sentence);
	decide("ok\nconn site: NONE\n  auth rsa-sig\n  failure: MM5, 0 s "
	       "ago: MM5 refused by the peer with AUTHENTICATION-FAILED\n"
	       "  failure-notify: AUTHENTICATION-FAILED from the peer\n",
	       NULL, &c, &r);
	ok(r.cause == DG_AUTH_FAILED &&
	   has(r.sentence, "certificate or signature refused") &&
	   !has(r.sentence, "pre-shared"),
	   "AUTHENTICATION-FAILED, certificates", r.sentence);
	decide("ok\nconn site: NONE\n  auth rsa-sig\n  failure: MM3, 1 s "
	       "ago: no response to MM3 from 10.0.0.2:500 after 5 tries\n",
	       NULL, &c, &r);
	ok(r.cause == DG_STUCK_MM3 &&
	   has(r.sentence, "certificate, signature or ID refused") &&
	   !has(r.sentence, "pre-shared"), "MM3 unanswered, certificates",
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

	/* IPv6 ranges of the longest written form, read whole */
	decide("ok\nconn site: MM_ACTIVE responder 10.0.0.2:500 <-> "
	       "10.0.0.1:500\n  failure: QM1, 0 s ago: x\n"
	       "  failure-notify: INVALID-ID-INFORMATION by us\n"
	       "  failure-ours: " V6_LONG "\n"
	       "  failure-theirs: 10.1.0.0/24 === 10.9.0.0/24\n", NULL, &c, &r);
	ok(r.cause == DG_INVALID_ID_QM &&
	   has(r.sentence, "ours: " V6_LONG "; theirs: 10.1.0.0/24"),
	   "INVALID-ID-INFORMATION in Quick Mode: IPv6 ranges whole",
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

static const char st_two_pairs[] =
	"ok\n"
	"conn site: MM_ACTIVE initiator 10.0.0.1:500 <-> 10.0.0.2:500\n"
	"  child QM_ACTIVE: spi in a0000001 out a0000002 aes128-sha256 "
	"10.1.0.0/24 === 10.2.0.0/24 lifetime 3500s\n"
	"  child QM_ACTIVE: spi in b0000001 out b0000002 aes128-sha256 "
	"10.1.0.0/24 === 10.2.0.0/24 lifetime 3500s\n"
	"  messages: sent QM3, received QM3\n";

static struct etsa sa_of(uint8_t dir, uint32_t spi, uint64_t packets,
			 uint64_t icv)
{
	struct etsa sa;

	memset(&sa, 0, sizeof(sa));
	sa.dir = dir;
	sa.spi = spi;
	strcpy(sa.ifname, "esp0");
	sa.stats_has = BIT(ESPTUN_STAT_PACKETS) | BIT(ESPTUN_STAT_ICV_FAIL);
	sa.stats[ESPTUN_STAT_PACKETS] = packets;
	sa.stats[ESPTUN_STAT_ICV_FAIL] = icv;
	return sa;
}

/*
 * Samples SAs s1 then s2, and devices d1 then d2, for the first conn of
 * status, then decides.
 */
static void sample_devs(const char *status, const struct etsa *s1,
			size_t n1, const struct etsa *s2, size_t n2,
			const struct etdev *d1, size_t nd1,
			const struct etdev *d2, size_t nd2,
			struct dg_traffic *t, struct dg_result *r)
{
	struct dg_conn c;

	if (dg_parse_status(status, &c, 1) != 1) {
		memset(r, 0, sizeof(*r));
		strcpy(r->sentence, "unparsed");
		return;
	}
	memset(t, 0, sizeof(*t));
	t->interval_ms = 1000;
	dg_traffic_sample(s1, n1, s2, n2, &c, dg_active_child(&c), t);
	dg_device_sample(d1, nd1, d2, nd2, t);
	dg_decide(&c, t, r);
}

static void sample(const char *status, const struct etsa *s1, size_t n1,
		   const struct etsa *s2, size_t n2, struct dg_traffic *t,
		   struct dg_result *r)
{
	sample_devs(status, s1, n1, s2, n2, NULL, 0, NULL, 0, t, r);
}

static void test_traffic_sample(void)
{
	struct etsa s1[4], s2[4];
	struct dg_traffic t;
	struct dg_result r;

	/*
	 * Both ends started at once: we send on pair a, the peer on pair b.
	 * Its answers arrive on b's inbound SA, not on a's.
	 */
	s1[0] = sa_of(ESPTUN_DIR_OUT, 0xa0000002, 3, 0);
	s1[1] = sa_of(ESPTUN_DIR_IN, 0xa0000001, 0, 0);
	s1[2] = sa_of(ESPTUN_DIR_OUT, 0xb0000002, 0, 0);
	s1[3] = sa_of(ESPTUN_DIR_IN, 0xb0000001, 3, 0);
	memcpy(s2, s1, sizeof(s2));
	sample(st_two_pairs, s1, 4, s2, 4, &t, &r);
	ok(r.cause == DG_HEALTHY && t.decaps[1] == 3 && t.encaps[1] == 3 &&
	   in_evidence(&r, "in a0000001 out a0000002 on esp0 (with 1 other "
		       "pair): 3 packets encrypted, 3 decrypted"),
	   "answers on the other pair of a simultaneous start: healthy",
	   r.sentence);

	/* Nothing arrives on either pair: blocked, as before. */
	s2[3] = s1[3] = sa_of(ESPTUN_DIR_IN, 0xb0000001, 0, 0);
	sample(st_two_pairs, s1, 4, s2, 4, &t, &r);
	ok(r.cause == DG_ESP_BLOCKED, "no packet in on any pair: ESP blocked",
	   r.sentence);

	/* ICV failures on the other pair's SA are named by its SPI. */
	s2[3] = sa_of(ESPTUN_DIR_IN, 0xb0000001, 3, 5);
	s1[3] = sa_of(ESPTUN_DIR_IN, 0xb0000001, 3, 1);
	sample(st_two_pairs, s1, 4, s2, 4, &t, &r);
	ok(r.cause == DG_ICV_RISING && has(r.sentence, "on SA b0000001: +4"),
	   "ICV failures rising on the other pair: that SA named",
	   r.sentence);

	/*
	 * A rekey between the samples: the old pair (10 out) is gone, the new
	 * one counts from 0: +4 and +2, not a wrap of 10 to 4.
	 */
	s1[0] = sa_of(ESPTUN_DIR_OUT, 0xc0000009, 10, 0);
	s1[1] = sa_of(ESPTUN_DIR_IN, 0xc0000008, 3, 0);
	s2[0] = sa_of(ESPTUN_DIR_OUT, 0xc0000002, 4, 0);
	s2[1] = sa_of(ESPTUN_DIR_IN, 0xc0000001, 2, 0);
	sample(st_up, s1, 2, s2, 2, &t, &r);
	ok(r.cause == DG_HEALTHY && in_evidence(&r, "(+4/+2 in 1000 ms)"),
	   "new SA between samples: its counts, no wrap", r.sentence);

	/* The same SPI deleted and added again: counted from 0 too. */
	s1[0] = sa_of(ESPTUN_DIR_OUT, 0xc0000002, 10, 0);
	s1[1] = sa_of(ESPTUN_DIR_IN, 0xc0000001, 9, 0);
	sample(st_up, s1, 2, s2, 2, &t, &r);
	ok(r.cause == DG_HEALTHY && in_evidence(&r, "(+4/+2 in 1000 ms)"),
	   "SPI added again between samples: counted from 0", r.sentence);

	/* esptund's pair is gone from the module: missing, not blocked. */
	sample(st_up, s1, 0, s2, 0, &t, &r);
	ok(r.cause == DG_SA_MISSING && !t.found,
	   "SAs not in the module: deleted behind esptund's back",
	   r.sentence);
}

static struct etdev dev_of(uint32_t ifindex, uint64_t no_sa,
			   uint64_t no_route, uint64_t mtu)
{
	struct etdev d;

	memset(&d, 0, sizeof(d));
	d.ifindex = ifindex;
	snprintf(d.ifname, sizeof(d.ifname), "esp%u", ifindex);
	d.stats_has = BIT(ESPTUN_STAT_NO_SA) | BIT(ESPTUN_STAT_NO_ROUTE) |
		      BIT(ESPTUN_STAT_MTU);
	d.stats[ESPTUN_STAT_NO_SA] = no_sa;
	d.stats[ESPTUN_STAT_NO_ROUTE] = no_route;
	d.stats[ESPTUN_STAT_MTU] = mtu;
	return d;
}

static void test_device_sample(void)
{
	struct etsa s[2];
	struct etdev d1[2], d2[2];
	struct dg_traffic t;
	struct dg_result r;

	s[0] = sa_of(ESPTUN_DIR_OUT, 0xc0000002, 0, 0);
	s[1] = sa_of(ESPTUN_DIR_IN, 0xc0000001, 0, 0);
	s[0].ifindex = s[1].ifindex = 7;
	s[0].remote.family = AF_INET;
	s[0].remote.v4.s_addr = htonl(0x0a000002);

	/* Another device's drops are not this conn's. */
	d1[0] = dev_of(6, 0, 0, 0);
	d1[1] = dev_of(7, 30, 1, 2);
	d2[0] = dev_of(6, 99, 0, 0);
	d2[1] = dev_of(7, 30, 1, 2);
	sample_devs(st_up, s, 2, s, 2, d1, 2, d2, 2, &t, &r);
	ok(t.dev_found && t.no_sa[0] == 30 && t.no_sa[1] == 30 &&
	   t.no_route[1] == 1 && t.mtu[1] == 2 && r.cause != DG_NO_SA_MATCH,
	   "the SA's device sampled by ifindex; another's drops ignored",
	   r.sentence);

	d2[1] = dev_of(7, 36, 1, 2);
	sample_devs(st_up, s, 2, s, 2, d1, 2, d2, 2, &t, &r);
	ok(r.cause == DG_NO_SA_MATCH && has(r.sentence, "+6 dropped"),
	   "no_sa of the SA's device rising: no outbound SA", r.sentence);

	d2[1] = dev_of(7, 30, 5, 2);
	sample_devs(st_up, s, 2, s, 2, d1, 2, d2, 2, &t, &r);
	ok(r.cause == DG_NO_OUTER_ROUTE &&
	   has(r.sentence, "outer address 10.0.0.2: +4"),
	   "no_route rising: the out SA's remote address named", r.sentence);

	/* A device new since the first dump counts from 0. */
	sample_devs(st_up, s, 2, s, 2, d1, 1, d2, 2, &t, &r);
	ok(t.no_route[0] == 0 && t.no_route[1] == 5 && t.no_sa[1] == 30 &&
	   t.mtu[1] == 2, "device absent from the first dump: from 0",
	   r.sentence);

	/* The device gone by the second dump: nothing to judge. */
	sample_devs(st_up, s, 2, s, 2, d1, 2, d2, 1, &t, &r);
	ok(!t.dev_found && !t.no_sa[1] && r.cause != DG_NO_SA_MATCH,
	   "device absent from the second dump: not judged", r.sentence);
}

int main(void)
{
	printf("TAP version 13\n");
	test_parse();
	test_traffic_rules();
	test_traffic_sample();
	test_device_rules();
	test_device_sample();
	test_failure_rules();
	printf("1..%d\n", n);
	return failed;
}
