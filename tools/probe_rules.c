// SPDX-License-Identifier: GPL-2.0
/*
 * What `esptun probe` concludes. UDP 500 and UDP 4500 are answered or not
 * (esptund sent MM1 to each and waited). Raw ESP is judged from the
 * module's counters of the conn's SA pair over the probe: packets in
 * mean ESP comes back; packets out and none in mean it does not, while
 * IKE to the same peer is answered, which is what tells a path that
 * drops ESP from a peer that is down. Nothing out means nothing could
 * be concluded, and the line says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

const char *pr_state_name(enum pr_state s)
{
	switch (s) {
	case PR_PENDING:
		return "pending";
	case PR_OK:
		return "ok";
	case PR_NO_ANSWER:
		return "no-answer";
	case PR_NOT_TESTED:
		return "not-tested";
	}
	return "?";
}

static void parse_udp(const char *s, struct pr_reply *r)
{
	char state[24] = "", answer[40] = "";
	unsigned int port, rtt, sent;
	struct pr_udp *u;

	if (sscanf(s, "udp %u %23s %u %u %39s", &port, state, &rtt, &sent,
		   answer) != 5)
		return;
	u = port == 500 ? &r->udp500 : port == 4500 ? &r->udp4500 : NULL;
	if (!u)
		return;
	u->port = (uint16_t)port;
	u->rtt_ms = rtt;
	u->sent = sent;
	if (!strcmp(answer, "-"))
		answer[0] = '\0';
	for (char *c = answer; *c; c++)
		if (*c == '_')
			*c = ' ';
	snprintf(u->answer, sizeof(u->answer), "%s", answer);
	if (!strcmp(state, "ok")) {
		u->state = PR_OK;
	} else if (!strcmp(state, "no-answer")) {
		u->state = PR_NO_ANSWER;
	} else if (!strcmp(state, "send-failed")) {
		u->state = PR_NO_ANSWER;
		u->send_failed = true;
	} else {
		u->state = PR_PENDING;
	}
}

int pr_parse_reply(const char *body, struct pr_reply *r)
{
	const char *s, *e;
	bool have_state = false;

	memset(r, 0, sizeof(*r));
	for (s = body; s && *s; s = e ? e + 1 : NULL) {
		char line[256], a[64], b[16], c[16], d[16], n2[12];

		e = strchr(s, '\n');
		snprintf(line, sizeof(line), "%.*s",
			 (int)(e ? (size_t)(e - s) : strlen(s)), s);
		if (!strncmp(line, "state ", 6)) {
			have_state = true;
			r->done = !strcmp(line + 6, "done");
		} else if (sscanf(line, "peer %63s", a) == 1) {
			snprintf(r->peer, sizeof(r->peer), "%s", a);
		} else if (!strncmp(line, "udp ", 4)) {
			parse_udp(line, r);
		} else if (sscanf(line, "child %15s %15s %15s %15s", a, b, c,
				  d) == 4) {
			snprintf(r->ifname, sizeof(r->ifname), "%.15s", a);
			r->spi_in = (uint32_t)strtoul(b, NULL, 16);
			r->spi_out = (uint32_t)strtoul(c, NULL, 16);
			r->encap = !strcmp(d, "encap");
			r->child = true;
		} else if (sscanf(line, "child %15s %15s", a, b) == 2) {
			snprintf(r->ifname, sizeof(r->ifname), "%.15s", a);
		} else if (sscanf(line, "nat-t %11s", n2) == 1) {
			snprintf(r->natt, sizeof(r->natt), "%s", n2);
		}
	}
	return have_state && r->udp500.port && r->udp4500.port ? 0 : -1;
}

void pr_udp_text(const struct pr_udp *u, char *buf, size_t len)
{
	switch (u->state) {
	case PR_OK:
		snprintf(buf, len, "ok (%s in %u ms)",
			 u->answer[0] ? u->answer : "answer", u->rtt_ms);
		break;
	case PR_NO_ANSWER:
		if (u->send_failed)
			snprintf(buf, len, "not sent: %s", u->answer);
		else
			snprintf(buf, len, "no answer (MM1 sent %u times)",
				 u->sent);
		break;
	default:
		snprintf(buf, len, "%s", pr_state_name(u->state));
	}
}

static void judge_esp(const struct pr_reply *r, const struct pr_esp_count *e,
		      struct pr_result *res)
{
	uint64_t out, in;

	res->esp = PR_NOT_TESTED;
	if (!r->child) {
		snprintf(res->esp_text, sizeof(res->esp_text),
			 "not tested: no IPsec SA yet (esptun ike up brings one up)");
		return;
	}
	if (r->encap) {
		snprintf(res->esp_text, sizeof(res->esp_text),
			 "not tested: this conn's ESP goes in UDP %u",
			 res->udp4500.port ? res->udp4500.port : 4500);
		return;
	}
	if (!e->found) {
		snprintf(res->esp_text, sizeof(res->esp_text),
			 "not tested: SA %08x/%08x not in the module",
			 r->spi_in, r->spi_out);
		return;
	}
	out = e->out[1] - e->out[0];
	in = e->in[1] - e->in[0];
	if (in) {
		res->esp = PR_OK;
		snprintf(res->esp_text, sizeof(res->esp_text),
			 "ok (%llu in, %llu out, over %u ms)",
			 (unsigned long long)in, (unsigned long long)out,
			 e->window_ms);
	} else if (out) {
		res->esp = PR_NO_ANSWER;
		snprintf(res->esp_text, sizeof(res->esp_text),
			 "no answer (%llu out, none in, over %u ms)",
			 (unsigned long long)out, e->window_ms);
	} else {
		snprintf(res->esp_text, sizeof(res->esp_text),
			 "not tested: no traffic through %s in %u ms%s",
			 r->ifname, e->window_ms,
			 e->pinged ? "" :
			 " (-a ADDRESS pings a host behind the peer)");
	}
}

/* The one sentence. */
static void conclude(const struct pr_reply *r, struct pr_result *res)
{
	bool u5 = res->udp500.state == PR_OK, u45 = res->udp4500.state == PR_OK;
	enum pr_state esp = res->esp;
	const char *p = r->peer[0] ? r->peer : "the peer";
	char *s = res->sentence;
	size_t n = sizeof(res->sentence);

	res->blocked = !u5 || !u45 || esp == PR_NO_ANSWER;
	if (u5 && u45) {
		if (esp == PR_OK)
			snprintf(s, n, "UDP 500, UDP 4500 and ESP pass to %s",
				 p);
		else if (esp == PR_NO_ANSWER)
			snprintf(s, n,
				 "UDP 500 and 4500 pass, raw ESP does not come back: the path drops ESP; set nat-t = force%s",
				 strcmp(r->natt, "auto") ? "" :
				 " (or auto-force)");
		else
			snprintf(s, n,
				 "UDP 500 and 4500 pass to %s; raw ESP was not tested",
				 p);
	} else if (u5) {
		snprintf(s, n,
			 "UDP 500 passes but UDP 4500 gets no answer: the path drops UDP 4500 or %s has no NAT-T, so nat-t = force cannot work%s",
			 p, esp == PR_OK ? "; raw ESP passes" :
			 esp == PR_NO_ANSWER ?
			 "; raw ESP does not come back either: only IKE on 500 gets through" :
			 "");
	} else if (u45) {
		snprintf(s, n,
			 "UDP 500 gets no answer but UDP 4500 does: the path drops UDP 500, and IKE starts on port 500");
	} else if (esp == PR_OK) {
		snprintf(s, n,
			 "Neither UDP 500 nor UDP 4500 is answered, yet ESP comes back: the path drops UDP or the peer's IKE daemon is down");
	} else if (esp == PR_NO_ANSWER) {
		/* ESP lost too: blaming UDP alone would point at nat-t. */
		snprintf(s, n,
			 "Neither UDP 500 nor UDP 4500 is answered and raw ESP does not come back either: %s is down or the path drops both IKE and ESP to it",
			 p);
	} else {
		snprintf(s, n,
			 "Neither UDP 500 nor UDP 4500 is answered: %s is down or the path drops UDP to it",
			 p);
	}
}

void pr_decide(const struct pr_reply *r, const struct pr_esp_count *e,
	       struct pr_result *res)
{
	memset(res, 0, sizeof(*res));
	res->udp500 = r->udp500;
	res->udp4500 = r->udp4500;
	judge_esp(r, e, res);
	conclude(r, res);
}
