// SPDX-License-Identifier: GPL-2.0
/*
 * Control socket server. Requests are tiny and answered at once, so each
 * client is served synchronously with a short receive timeout: a stuck
 * client costs a second, never the negotiations.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "ike/conn.h"
#include "isakmp/isakmp.h"
#include "log.h"

struct ctl {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_ops ops;
};

static int mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *s;

	snprintf(dir, sizeof(dir), "%s", path);
	s = strrchr(dir, '/');
	if (!s || s == dir)
		return 0;
	*s = '\0';
	for (s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

struct ctl *ctl_open(const char *path, const struct ctl_ops *ops, char *err,
		     size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl *c;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control path too long: %s", path);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->ops = *ops;
	strcpy(c->path, path);
	strcpy(sun.sun_path, path);
	if (mkdir_parent(path) < 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s",
			 path, strerror(errno));
		goto fail;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* A live daemon answers; a dead one left a stale socket behind. */
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		snprintf(err, errlen, "another esptund is listening on %s",
			 path);
		close(c->fd);
		goto fail;
	}
	close(c->fd);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	unlink(path);
	{
		/* Created 0600 from the start: no window with other modes. */
		mode_t old = umask(0177);
		int r = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun));

		umask(old);
		if (r < 0) {
			snprintf(err, errlen, "bind %s: %s", path,
				 strerror(errno));
			close(c->fd);
			goto fail;
		}
	}
	if (chmod(path, 0600) < 0 || listen(c->fd, 8) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(c->fd);
		unlink(path);
		goto fail;
	}
	return c;
fail:
	free(c);
	return NULL;
}

int ctl_fd(const struct ctl *c)
{
	return c->fd;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}

/* ---- status ---- */

static void hex8(const uint8_t *b, char *out)
{
	int i;

	for (i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* Where NAT-D found a NAT: "local" (we are behind it), "remote", ... */
static const char *nat_where(const struct ike_status *st)
{
	if (st->nat_local && st->nat_remote)
		return "both";
	if (st->nat_local)
		return "local";
	if (st->nat_remote)
		return "remote";
	return "none";
}

static void status_text_nat(FILE *f, const struct ike_status *st)
{
	if (!st->natt || !st->natt[0]) {
		fputs("  nat-t: not negotiated, esp raw\n", f);
		return;
	}
	fprintf(f, "  nat-t %s: nat %s%s, esp ", st->natt, nat_where(st),
		st->nat_forced ? " (forced)" : "");
	if (st->encap)
		fprintf(f, "in udp %u <-> %u\n", st->encap_local_port,
			st->encap_remote_port);
	else
		fputs("raw\n", f);
}

struct status_ctx {
	FILE *f;
	int json;
	int n;
};

static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

static void diag_text(FILE *f, const struct ike_status *st)
{
	const struct ike_diag *d = st->diag;
	int i;

	if (!d)
		return;
	if (d->sent[0] || d->received[0])
		fprintf(f, CTL_STATUS_MESSAGES "sent %s, received %s\n",
			or_dash(d->sent), or_dash(d->received));
	if (d->mm_started || d->qm_started || d->failures)
		fprintf(f, CTL_STATUS_EXCHANGES "main %u started %u done, "
			"quick %u started %u done, failures %u\n",
			d->mm_started, d->mm_done, d->qm_started, d->qm_done,
			d->failures);
	for (i = 0; i < d->n_notify && i < IKE_DIAG_NOTIFIES; i++)
		fprintf(f, CTL_STATUS_NOTIFY "%s: sent %u, received %u\n",
			isakmp_notify_name(d->notify[i].type),
			d->notify[i].sent, d->notify[i].received);
	if (!d->fail[0])
		return;
	fprintf(f, CTL_STATUS_FAILURE "%s, %" PRId64 " s ago: %s\n",
		or_dash(d->fail_msg), st->fail_age, d->fail);
	if (d->fail_notify)
		fprintf(f, CTL_STATUS_FAIL_NOTIFY "%s %s\n",
			isakmp_notify_name(d->fail_notify),
			d->fail_notify_peer ? CTL_NOTIFY_FROM_PEER :
			CTL_NOTIFY_BY_US);
	if (d->ours[0])
		fprintf(f, CTL_STATUS_FAIL_OURS "%s\n", d->ours);
	if (d->theirs[0])
		fprintf(f, CTL_STATUS_FAIL_THEIRS "%s\n", d->theirs);
}

static void diag_json(FILE *f, const struct ike_status *st)
{
	const struct ike_diag *d = st->diag;
	int i;

	fputs(",\"diag\":{\"sent\":", f);
	json_string(f, d->sent);
	fputs(",\"received\":", f);
	json_string(f, d->received);
	fprintf(f, ",\"mm_started\":%u,\"mm_done\":%u,\"qm_started\":%u,"
		"\"qm_done\":%u,\"failures\":%u,\"notifies\":[",
		d->mm_started, d->mm_done, d->qm_started, d->qm_done,
		d->failures);
	for (i = 0; i < d->n_notify && i < IKE_DIAG_NOTIFIES; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_string(f, isakmp_notify_name(d->notify[i].type));
		fprintf(f, ",\"type\":%u,\"sent\":%u,\"received\":%u}",
			d->notify[i].type, d->notify[i].sent,
			d->notify[i].received);
	}
	fputs("],\"failure\":", f);
	if (!d->fail[0]) {
		fputs("null}", f);
		return;
	}
	fputs("{\"message\":", f);
	json_string(f, d->fail_msg);
	fprintf(f, ",\"age\":%" PRId64 ",\"reason\":", st->fail_age);
	json_string(f, d->fail);
	fputs(",\"notify\":", f);
	if (d->fail_notify) {
		json_string(f, isakmp_notify_name(d->fail_notify));
		fprintf(f, ",\"notify_from_peer\":%s",
			d->fail_notify_peer ? "true" : "false");
	} else {
		fputs("null", f);
	}
	fputs(",\"ours\":", f);
	json_string(f, d->ours);
	fputs(",\"theirs\":", f);
	json_string(f, d->theirs);
	fputs("}}", f);
}

/* "  dpd idle (delay 30s timeout 150s action restart) last ack 12s ago" */
static void status_dpd_text(FILE *f, const struct ike_status *st)
{
	if (!st->dpd)
		return;
	fprintf(f, CTL_STATUS_DPD "%s", st->dpd);
	if (st->dpd_probes)
		fprintf(f, " (%u R-U-THERE unanswered)", st->dpd_probes);
	fprintf(f, " delay %us timeout %us action %s", st->dpd_delay,
		st->dpd_timeout, st->dpd_action ? st->dpd_action : "-");
	if (st->dpd_last_ack >= 0)
		fprintf(f, " last ack %" PRId64 "s ago (seq %u)",
			st->dpd_last_ack, st->dpd_ack_seq);
	else
		fputs(" last ack never", f);
	fputc('\n', f);
}

static void status_dpd_json(FILE *f, const struct ike_status *st)
{
	if (!st->dpd)
		return;
	fputs(",\"dpd\":{\"state\":", f);
	json_string(f, st->dpd);
	fputs(",\"action\":", f);
	json_string(f, st->dpd_action ? st->dpd_action : "");
	fprintf(f, ",\"delay\":%u,\"timeout\":%u,\"unanswered\":%u"
		",\"last_ack\":%" PRId64 ",\"last_ack_seq\":%u}",
		st->dpd_delay, st->dpd_timeout, st->dpd_probes,
		st->dpd_last_ack, st->dpd_ack_seq);
}

static void status_text(FILE *f, const struct ike_status *st)
{
	char ic[17], rc[17], local[64], peer[64], lts[IKE_TS_STRLEN], rts[IKE_TS_STRLEN];
	int i;

	hex8(st->icookie, ic);
	hex8(st->rcookie, rc);
	ike_addr_str(&st->local, local, sizeof(local));
	ike_addr_str(&st->peer, peer, sizeof(peer));
	fprintf(f, CTL_STATUS_CONN "%s: %s", st->conn, st->state);
	if (strcmp(st->state, "NONE")) {
		fprintf(f, " %s %s <-> %s\n", st->initiator ? "initiator" :
			"responder", local, peer);
		fprintf(f, "  cookies [%s:%s] %s", ic, rc,
			st->algs[0] ? st->algs : "-");
		if (st->lifetime_left >= 0)
			fprintf(f, " lifetime %" PRId64 "s", st->lifetime_left);
		fputc('\n', f);
		status_text_nat(f, st);
	} else {
		fputc('\n', f);
	}
	status_dpd_text(f, st);
	if (st->auth && strcmp(st->auth, "psk"))
		fprintf(f, CTL_STATUS_AUTH "%s\n", st->auth);
	if (st->has_vip)
		fprintf(f, CTL_STATUS_MODECFG "%s\n",
			ts_str(&st->vip, lts, sizeof(lts)));
	if (strcmp(st->state, "NONE")) {
		fprintf(f, "  rekeys %u", st->rekeys);
		if (st->next_rekey >= 0)
			fprintf(f, " next-rekey %" PRId64 "s", st->next_rekey);
		fprintf(f, " ike-rekeys %u", st->ike_rekeys);
		if (st->ike_next_rekey >= 0)
			fprintf(f, " ike-next-rekey %" PRId64 "s",
				st->ike_next_rekey);
		fputc('\n', f);
	}
	for (i = 0; i < st->n_children && i < IKE_STATUS_MAX_CHILDREN; i++) {
		const struct ike_status_child *ch = &st->children[i];

		fprintf(f,
			CTL_STATUS_CHILD "%s: spi in %08x out %08x %s %s === %s",
			ch->state ? ch->state : "-", ch->spi_in, ch->spi_out,
			ch->algs[0] ? ch->algs : "-",
			ts_str(&ch->local_ts, lts, sizeof(lts)),
			ts_str(&ch->remote_ts, rts, sizeof(rts)));
		if (ch->lifetime_left >= 0)
			fprintf(f, " lifetime %" PRId64 "s", ch->lifetime_left);
		fputc('\n', f);
	}
	diag_text(f, st);
}

static void status_json(FILE *f, const struct ike_status *st)
{
	char ic[17], rc[17], buf[IKE_TS_STRLEN], spi[16];
	int i;

	hex8(st->icookie, ic);
	hex8(st->rcookie, rc);
	fputs("{\"name\":", f);
	json_string(f, st->conn);
	fputs(",\"state\":", f);
	json_string(f, st->state);
	fprintf(f, ",\"mode\":\"%s\"", st->aggressive ? "aggressive" : "main");
	fputs(",\"auth\":", f);
	json_string(f, st->auth ? st->auth : "psk");
	fprintf(f, ",\"initiator\":%s", st->initiator ? "true" : "false");
	fprintf(f, ",\"icookie\":\"%s\",\"rcookie\":\"%s\"", ic, rc);
	fputs(",\"local\":", f);
	json_string(f, ike_addr_str(&st->local, buf, sizeof(buf)));
	fputs(",\"peer\":", f);
	json_string(f, ike_addr_str(&st->peer, buf, sizeof(buf)));
	fputs(",\"algs\":", f);
	json_string(f, st->algs);
	fprintf(f, ",\"lifetime_left\":%" PRId64 ",\"rekeys\":%u,"
		"\"ike_rekeys\":%u,\"next_rekey\":%" PRId64
		",\"ike_next_rekey\":%" PRId64,
		st->lifetime_left, st->rekeys, st->ike_rekeys, st->next_rekey,
		st->ike_next_rekey);
	status_dpd_json(f, st);
	fputs(",\"nat_t\":", f);
	json_string(f, st->natt ? st->natt : "");
	fprintf(f, ",\"nat\":\"%s\",\"nat_forced\":%s,\"encap\":\"%s\"",
		nat_where(st), st->nat_forced ? "true" : "false",
		st->encap ? "espinudp" : "none");
	if (st->encap)
		fprintf(f, ",\"encap_local_port\":%u,\"encap_remote_port\":%u",
			st->encap_local_port, st->encap_remote_port);
	if (st->has_vip) {
		fputs(",\"modecfg_address\":", f);
		json_string(f, ts_str(&st->vip, buf, sizeof(buf)));
	}
	fputs(",\"children\":[", f);
	for (i = 0; i < st->n_children && i < IKE_STATUS_MAX_CHILDREN; i++) {
		const struct ike_status_child *ch = &st->children[i];

		fputs(i ? ",{\"state\":" : "{\"state\":", f);
		json_string(f, ch->state ? ch->state : "");
		snprintf(spi, sizeof(spi), "%08x", ch->spi_in);
		fprintf(f, ",\"spi_in\":\"%s\"", spi);
		snprintf(spi, sizeof(spi), "%08x", ch->spi_out);
		fprintf(f, ",\"spi_out\":\"%s\"", spi);
		fputs(",\"algs\":", f);
		json_string(f, ch->algs);
		fputs(",\"local_ts\":", f);
		json_string(f, ts_str(&ch->local_ts, buf, sizeof(buf)));
		fputs(",\"remote_ts\":", f);
		json_string(f, ts_str(&ch->remote_ts, buf, sizeof(buf)));
		fprintf(f, ",\"lifetime_left\":%" PRId64 "}",
			ch->lifetime_left);
	}
	fputc(']', f);
	if (st->diag)
		diag_json(f, st);
	fputc('}', f);
}

static void status_cb(void *arg, const struct ike_status *st)
{
	struct status_ctx *sc = arg;

	if (sc->json) {
		if (sc->n)
			fputc(',', sc->f);
		status_json(sc->f, st);
	} else {
		status_text(sc->f, st);
	}
	sc->n++;
}

/* ---- requests ---- */

static void cmd_status(const struct ctl_ops *ops, const char *cmd,
		       const char *arg, FILE *out)
{
	struct status_ctx sc = { .f = out };
	char *body = NULL;
	size_t blen = 0;
	FILE *mem;

	if (arg && strcmp(arg, CTL_OPT_JSON)) {
		fprintf(out, CTL_REPLY_ERROR "unknown status option '%s'\n",
			arg);
		return;
	}
	sc.json = !!arg;
	/* Built aside, so "ok" is only sent with a complete body. */
	mem = open_memstream(&body, &blen);
	if (!mem) {
		fprintf(out, CTL_REPLY_ERROR "out of memory\n");
		return;
	}
	sc.f = mem;
	if (sc.json)
		fputs("{\"conns\":[", mem);
	ops->status(ops->arg, status_cb, &sc);
	if (sc.json)
		fputs("]}\n", mem);
	else if (!sc.n)
		fputs("no connections configured\n", mem);
	fclose(mem);
	fprintf(out, CTL_REPLY_OK "%s", body);
	free(body);
}

/* The answer to a request that has no output. */
static void reply_rc(FILE *out, int r, const char *err)
{
	if (r)
		fprintf(out, CTL_REPLY_ERROR "%s\n", err[0] ? err :
			strerror(r < 0 ? -r : r));
	else
		fputs(CTL_REPLY_OK, out);
}

/* up NAME, down NAME: the conn name is the one argument. */
static bool name_arg(const char *cmd, const char *arg, FILE *out)
{
	if (!arg || !*arg || strchr(arg, ' ')) {
		fprintf(out, CTL_REPLY_ERROR "usage: %s NAME\n", cmd);
		return false;
	}
	return true;
}

static void cmd_up(const struct ctl_ops *ops, const char *cmd,
		   const char *arg, FILE *out)
{
	char err[CONF_ERR_MAX] = "";

	if (name_arg(cmd, arg, out))
		reply_rc(out, ops->up(ops->arg, arg, err, sizeof(err)), err);
}

static void cmd_down(const struct ctl_ops *ops, const char *cmd,
		     const char *arg, FILE *out)
{
	char err[CONF_ERR_MAX] = "";

	if (name_arg(cmd, arg, out))
		reply_rc(out, ops->down(ops->arg, arg, err, sizeof(err)), err);
}

static void cmd_reload(const struct ctl_ops *ops, const char *cmd,
		       const char *arg, FILE *out)
{
	char err[CONF_ERR_MAX] = "";

	if (arg) {
		fprintf(out, CTL_REPLY_ERROR "reload takes no argument\n");
		return;
	}
	if (ops->reload(ops->arg, err, sizeof(err)))
		fprintf(out, CTL_REPLY_ERROR "%s\n", err);
	else
		fputs(CTL_REPLY_OK, out);
}

static void key_line(void *arg, const struct ike_sa_keys *k)
{
	FILE *f = arg;
	size_t i;

	for (i = 0; i < 8; i++)
		fprintf(f, "%02x", k->icookie[i]);
	fputc(',', f);
	for (i = 0; i < k->enc_key_len; i++)
		fprintf(f, "%02x", k->enc_key[i]);
	fputc('\n', f);
}

/* keys NAME: the Wireshark table lines of the conn's keyed ISAKMP SAs. */
static void cmd_keys(const struct ctl_ops *ops, const char *cmd,
		     const char *arg, FILE *out)
{
	char *body = NULL;
	size_t blen = 0;
	FILE *mem;
	int n;

	if (!name_arg(cmd, arg, out))
		return;
	if (!ops->keys) {
		fprintf(out, CTL_REPLY_ERROR "keys are not available\n");
		return;
	}
	mem = open_memstream(&body, &blen);
	if (!mem) {
		fprintf(out, CTL_REPLY_ERROR "out of memory\n");
		return;
	}
	n = ops->keys(ops->arg, arg, key_line, mem);
	fclose(mem);
	if (n < 0)
		fprintf(out, CTL_REPLY_ERROR "no conn named '%s'\n", arg);
	else if (!n)
		fprintf(out, CTL_REPLY_ERROR
			"conn '%s' has no ISAKMP SA with keys\n", arg);
	else
		fprintf(out, CTL_REPLY_OK "%s", body);
	if (body)
		explicit_bzero(body, blen);
	free(body);
}

/* The commands of ctl_proto.h; each checks its own argument. */
static const struct ctl_cmd {
	const char *name;
	void (*run)(const struct ctl_ops *ops, const char *cmd,
		    const char *arg, FILE *out);
} ctl_cmds[] = {
	{ CTL_CMD_STATUS, cmd_status },
	{ CTL_CMD_UP, cmd_up },
	{ CTL_CMD_DOWN, cmd_down },
	{ CTL_CMD_RELOAD, cmd_reload },
	{ CTL_CMD_KEYS, cmd_keys },
	{ CTL_CMD_PROBE, ctl_cmd_probe },
	{ CTL_CMD_PROBE_RESULT, ctl_cmd_probe_result },
};

void ctl_handle(const struct ctl_ops *ops, const char *line, FILE *out)
{
	char cmd[CTL_MAX_LINE];
	char *arg, *nl;
	size_t i;

	snprintf(cmd, sizeof(cmd), "%s", line);
	nl = strchr(cmd, '\n');
	if (nl)
		*nl = '\0';
	arg = strchr(cmd, ' ');
	if (arg)
		*arg++ = '\0';
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(cmd, ctl_cmds[i].name)) {
			ctl_cmds[i].run(ops, cmd, arg, out);
			return;
		}
	fprintf(out, CTL_REPLY_ERROR "unknown request '%s'\n", cmd);
}

static void serve_one(struct ctl *c, int fd)
{
	struct timeval tv = { .tv_sec = 1 };
	char line[CTL_MAX_LINE + 1], *ans = NULL;
	size_t alen = 0, got = 0, off;
	FILE *out;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < CTL_MAX_LINE) {
		ssize_t n = recv(fd, line + got, CTL_MAX_LINE - got, 0);

		if (n <= 0)
			break;
		got += n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	if (!got) {
		close(fd);
		return;
	}
	out = open_memstream(&ans, &alen);
	if (!out) {
		close(fd);
		return;
	}
	if (!memchr(line, '\n', got))
		fprintf(out, CTL_REPLY_ERROR
			"request too long or not terminated\n");
	else
		ctl_handle(&c->ops, line, out);
	fclose(out);
	for (off = 0; off < alen;) {
		ssize_t n = send(fd, ans + off, alen - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += n;
	}
	free(ans);
	close(fd);
}

void ctl_serve(struct ctl *c)
{
	int fd;

	/* Every pending client: a probe that connected and left is one. */
	while ((fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		serve_one(c, fd);
}
