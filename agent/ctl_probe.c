// SPDX-License-Identifier: GPL-2.0
/*
 * The control requests of `esptun probe` (forms in ctl_proto.h). A probe
 * takes seconds and the control socket answers every request at once,
 * so one request starts it and the client asks for the result until it
 * is done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static bool probe_name(const char *cmd, const char *arg, FILE *out)
{
	if (!arg || !*arg || strchr(arg, ' ')) {
		fprintf(out, CTL_REPLY_ERROR "usage: %s NAME\n", cmd);
		return false;
	}
	return true;
}

void ctl_cmd_probe(const struct ctl_ops *ops, const char *cmd,
		   const char *arg, FILE *out)
{
	int r;

	if (!probe_name(cmd, arg, out))
		return;
	if (!ops->probe) {
		fprintf(out, CTL_REPLY_ERROR "probes are not available\n");
		return;
	}
	r = ops->probe(ops->arg, arg);
	if (r == -ENOENT)
		fprintf(out, CTL_REPLY_ERROR "no conn named '%s'\n", arg);
	else if (r)
		fprintf(out, CTL_REPLY_ERROR "%s\n", strerror(-r));
	else
		fputs(CTL_REPLY_OK, out);
}

static const char *state_name(enum ike_probe_state s)
{
	switch (s) {
	case IKE_PROBE_PENDING:
		return "pending";
	case IKE_PROBE_OK:
		return "ok";
	case IKE_PROBE_NO_ANSWER:
		return "no-answer";
	case IKE_PROBE_SEND_FAILED:
		return "send-failed";
	}
	return "?";
}

static void path_line(FILE *out, const struct ike_probe_path *p)
{
	char answer[sizeof(p->answer)];
	size_t i;

	/* One word: a send error's text has spaces. */
	snprintf(answer, sizeof(answer), "%s", p->answer[0] ? p->answer : "-");
	for (i = 0; answer[i]; i++)
		if (answer[i] == ' ')
			answer[i] = '_';
	fprintf(out, "udp %u %s %u %u %s\n", p->port, state_name(p->state),
		p->rtt_ms, p->sent, answer);
}

/* The peer's address without the port: both ports are probed. */
static const char *bare_addr(const struct sockaddr_storage *ss, char *buf,
			     size_t len)
{
	char *p;

	ike_addr_str(ss, buf, len);
	p = strrchr(buf, ':');
	if (p && buf[0] != '[') {
		*p = '\0';
	} else if (p && p > buf && p[-1] == ']') {
		p[-1] = '\0';
		memmove(buf, buf + 1, strlen(buf));
	}
	return buf;
}

void ctl_cmd_probe_result(const struct ctl_ops *ops, const char *cmd,
			  const char *arg, FILE *out)
{
	static const char *const natt[] = { "auto", "force", "no",
					    "auto-force" };
	struct ike_probe_result r;
	char a[64];
	int rc;

	if (!probe_name(cmd, arg, out))
		return;
	if (!ops->probe_result) {
		fprintf(out, CTL_REPLY_ERROR "probes are not available\n");
		return;
	}
	rc = ops->probe_result(ops->arg, arg, &r);
	if (rc == -ENOENT) {
		fprintf(out, CTL_REPLY_ERROR "no conn named '%s'\n", arg);
		return;
	}
	if (rc) {
		fprintf(out, CTL_REPLY_ERROR "no probe of '%s' started\n", arg);
		return;
	}
	fputs(CTL_REPLY_OK, out);
	fprintf(out, "state %s\n", r.running ? "running" : "done");
	fprintf(out, "peer %s\n", bare_addr(&r.peer, a, sizeof(a)));
	path_line(out, &r.udp500);
	path_line(out, &r.udp4500);
	if (r.child)
		fprintf(out, "child %s %08x %08x %s\n", r.ifname, r.spi_in,
			r.spi_out, r.encap ? "encap" : "raw");
	else
		fprintf(out, "child %s none\n", r.ifname);
	fprintf(out, "nat-t %s\n", r.natt < 4 ? natt[r.natt] : "?");
}
