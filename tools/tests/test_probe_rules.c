// SPDX-License-Identifier: GPL-2.0
/*
 * The rules of `esptun probe` on recorded probe-result replies of
 * esptund and counter samples: every combination of UDP 500, UDP 4500
 * and ESP answered or not gives its sentence and its per-path lines, and
 * what could not be tested says why.
 */
#include <stdio.h>
#include <string.h>

#include "probe.h"

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

#define UP_RAW	"child esp0 c1000001 c2000002 raw\n"
#define UP_ENC	"child esp0 c1000001 c2000002 encap\n"
#define DOWN	"child esp0 none\n"

static void reply(char *buf, size_t len, const char *u500, const char *u4500,
		  const char *child)
{
	snprintf(buf, len,
		 "state done\npeer 192.0.2.2\nudp 500 %s\nudp 4500 %s\n%snat-t auto\n",
		 u500, u4500, child);
}

static void decide(const char *u500, const char *u4500, const char *child,
		   uint64_t out, uint64_t in, struct pr_reply *r,
		   struct pr_result *res)
{
	struct pr_esp_count e = { .found = true, .out = { 10, 10 + out },
				  .in = { 7, 7 + in }, .window_ms = 3000 };
	char buf[512];

	reply(buf, sizeof(buf), u500, u4500, child);
	if (pr_parse_reply(buf, r))
		memset(r, 0, sizeof(*r));
	pr_decide(r, &e, res);
}

#define OK500	"ok 12 1 MM2"
#define OK4500	"ok 14 1 MM2"
#define NO500	"no-answer 0 2 -"
#define NO4500	"no-answer 0 2 -"

static void t_parse(void)
{
	struct pr_reply r;
	char t[128];
	int rc;

	rc = pr_parse_reply("state running\npeer 192.0.2.2\n"
			    "udp 500 ok 12 1 NO-PROPOSAL-CHOSEN\n"
			    "udp 4500 send-failed 0 0 Network_is_unreachable\n"
			    UP_ENC "nat-t force\n", &r);
	ok(!rc, "probe-result parses", NULL);
	ok(!r.done, "running is not done", NULL);
	ok(!strcmp(r.peer, "192.0.2.2"), "peer", r.peer);
	ok(r.udp500.state == PR_OK && r.udp500.rtt_ms == 12 &&
	   r.udp500.sent == 1, "UDP 500 fields", NULL);
	ok(!strcmp(r.udp500.answer, "NO-PROPOSAL-CHOSEN"), "answer",
	   r.udp500.answer);
	ok(r.udp4500.state == PR_NO_ANSWER && r.udp4500.send_failed,
	   "a send failure counts as no answer", NULL);
	pr_udp_text(&r.udp4500, t, sizeof(t));
	ok(!strcmp(t, "not sent: Network is unreachable"),
	   "the send error with its spaces back", t);
	ok(r.child && r.encap && r.spi_in == 0xc1000001 &&
	   r.spi_out == 0xc2000002 && !strcmp(r.ifname, "esp0"),
	   "child line", NULL);
	ok(!strcmp(r.natt, "force"), "nat-t", r.natt);
	ok(pr_parse_reply("conn x: NONE\n", &r) == -1,
	   "a status reply is not a probe result", NULL);
	ok(pr_parse_reply("state done\nudp 500 ok 1 1 MM2\n", &r) == -1,
	   "a reply without UDP 4500 is refused", NULL);
}

static void t_rules(void)
{
	struct pr_result res;
	struct pr_reply r;
	char t[128];

	decide(OK500, OK4500, UP_RAW, 5, 5, &r, &res);
	ok(res.esp == PR_OK && !res.blocked, "all pass: not blocked",
	   res.sentence);
	ok(!strcmp(res.sentence,
		   "UDP 500, UDP 4500 and ESP pass to 192.0.2.2"),
	   "all pass: sentence", res.sentence);
	ok(!strcmp(res.esp_text, "ok (5 in, 5 out, over 3000 ms)"),
	   "all pass: ESP line", res.esp_text);
	pr_udp_text(&res.udp500, t, sizeof(t));
	ok(!strcmp(t, "ok (MM2 in 12 ms)"), "UDP line", t);

	decide(OK500, OK4500, UP_RAW, 6, 0, &r, &res);
	ok(res.esp == PR_NO_ANSWER && res.blocked, "ESP dropped: blocked",
	   res.sentence);
	ok(!strcmp(res.sentence,
		   "UDP 500 and 4500 pass, raw ESP does not come back: "
		   "the path drops ESP; set nat-t = force (or auto-force)"),
	   "ESP dropped: sentence", res.sentence);
	ok(!strcmp(res.esp_text, "no answer (6 out, none in, over 3000 ms)"),
	   "ESP dropped: ESP line", res.esp_text);

	decide(OK500, OK4500, UP_RAW, 0, 0, &r, &res);
	ok(res.esp == PR_NOT_TESTED && !res.blocked,
	   "no traffic: not tested, nothing blocked", res.sentence);
	ok(has(res.esp_text, "no traffic through esp0") &&
	   has(res.esp_text, "-a ADDRESS"), "no traffic: says how to test",
	   res.esp_text);
	ok(has(res.sentence, "raw ESP was not tested"),
	   "no traffic: sentence", res.sentence);

	decide(OK500, OK4500, DOWN, 0, 0, &r, &res);
	ok(res.esp == PR_NOT_TESTED && has(res.esp_text, "no IPsec SA"),
	   "no SA: not tested, says why", res.esp_text);

	decide(OK500, OK4500, UP_ENC, 9, 9, &r, &res);
	ok(res.esp == PR_NOT_TESTED && has(res.esp_text, "goes in UDP 4500"),
	   "ESP in UDP: raw ESP not tested", res.esp_text);

	decide(NO500, OK4500, UP_RAW, 3, 3, &r, &res);
	ok(res.blocked &&
	   !strcmp(res.sentence, "UDP 500 gets no answer but UDP 4500 does: "
		   "the path drops UDP 500, and IKE starts on port 500"),
	   "UDP 500 dropped: sentence", res.sentence);
	pr_udp_text(&res.udp500, t, sizeof(t));
	ok(!strcmp(t, "no answer (MM1 sent 2 times)"), "no-answer line", t);

	decide(OK500, NO4500, UP_RAW, 3, 3, &r, &res);
	ok(res.blocked &&
	   has(res.sentence, "UDP 500 passes but UDP 4500 gets no answer") &&
	   has(res.sentence, "nat-t = force cannot work; raw ESP passes"),
	   "UDP 4500 dropped: sentence", res.sentence);

	decide(OK500, NO4500, UP_RAW, 3, 0, &r, &res);
	ok(has(res.sentence, "raw ESP does not come back either"),
	   "UDP 4500 and ESP dropped: sentence", res.sentence);

	decide(NO500, NO4500, DOWN, 0, 0, &r, &res);
	ok(res.blocked &&
	   !strcmp(res.sentence, "Neither UDP 500 nor UDP 4500 is answered: "
		   "192.0.2.2 is down or the path drops UDP to it"),
	   "nothing answered: sentence", res.sentence);

	decide(NO500, NO4500, UP_RAW, 4, 0, &r, &res);
	ok(res.blocked && res.esp == PR_NO_ANSWER &&
	   !strcmp(res.sentence, "Neither UDP 500 nor UDP 4500 is answered "
		   "and raw ESP does not come back either: 192.0.2.2 is down "
		   "or the path drops both IKE and ESP to it"),
	   "nothing answered, ESP tested: sentence", res.sentence);

	decide(NO500, NO4500, UP_RAW, 4, 4, &r, &res);
	ok(has(res.sentence, "yet ESP comes back"),
	   "only ESP answered: sentence", res.sentence);
}

/* The pair vanished between the samples (rekeyed): nothing compared. */
static void t_missing(void)
{
	struct pr_esp_count e = { .found = false, .window_ms = 3000 };
	struct pr_result res;
	struct pr_reply r;
	char buf[512];

	reply(buf, sizeof(buf), OK500, OK4500, UP_RAW);
	pr_parse_reply(buf, &r);
	pr_decide(&r, &e, &res);
	ok(res.esp == PR_NOT_TESTED && has(res.esp_text, "not in the module"),
	   "SA pair missing: not tested", res.esp_text);
}

int main(void)
{
	printf("TAP version 13\n");
	t_parse();
	t_rules();
	t_missing();
	printf("1..%d\n", n);
	return failed;
}
