// SPDX-License-Identifier: GPL-2.0
/*
 * esptund's status, for diagnose and metrics: one request on the control
 * socket, and the text reply's lines (ctl_proto.h fixes their forms) into
 * struct dg_conn. Unknown lines are skipped, so a newer daemon that says
 * more still parses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "diagnose.h"

int dg_ctl_request(const char *path, const char *line, char **out,
		   char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 8192;
	char *buf;
	ssize_t n;
	int fd;

	if (!path || !*path)
		path = getenv("ESPTUN_CONTROL");
	if (!path || !*path)
		path = CTL_DEFAULT_PATH;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "cannot connect to esptund at %s: %s",
			 path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) !=
	    (ssize_t)strlen(line) || send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		snprintf(err, errlen, "writing to %s: %s", path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	buf = malloc(cap);
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 1024) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	buf[len] = '\0';
	if (!len) {
		snprintf(err, errlen, "no answer from esptund at %s", path);
		free(buf);
		return -1;
	}
	if (strncmp(buf, CTL_REPLY_OK, strlen(CTL_REPLY_OK))) {
		snprintf(err, errlen, "esptund: %.*s", (int)strcspn(buf, "\n"),
			 buf);
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Copies the rest of the line s into dst. */
static void rest(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%.*s", (int)strcspn(s, "\n"), s);
}

static void parse_conn_line(struct dg_conn *c, const char *s)
{
	const char *colon, *arrow;

	s += strlen(CTL_STATUS_CONN);
	colon = strstr(s, ": ");
	if (!colon)
		return;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)(colon - s), s);
	s = colon + 2;
	snprintf(c->state, sizeof(c->state), "%.*s", (int)strcspn(s, " \n"),
		 s);
	arrow = strstr(s, " <-> ");
	if (arrow && arrow < s + strcspn(s, "\n"))
		snprintf(c->peer, sizeof(c->peer), "%.*s",
			 (int)strcspn(arrow + 5, " \n"), arrow + 5);
}

static void parse_child(struct dg_conn *c, const char *s)
{
	struct dg_child *ch;
	char algs[64];

	if (c->n_children >= DG_CHILDREN)
		return;
	ch = &c->children[c->n_children];
	memset(ch, 0, sizeof(*ch));
	if (sscanf(s, CTL_STATUS_CHILD "%23[^:]: spi in %" SCNx32 " out %"
		   SCNx32 " %63s %95s === %95s", ch->state, &ch->spi_in,
		   &ch->spi_out, algs, ch->local_ts, ch->remote_ts) >= 3)
		c->n_children++;
}

static void parse_notify(struct dg_conn *c, const char *s)
{
	struct dg_notify *n;

	if (c->n_notify >= DG_NOTIFIES)
		return;
	n = &c->notify[c->n_notify];
	if (sscanf(s, CTL_STATUS_NOTIFY "%39[^:]: sent %" SCNu32
		   ", received %" SCNu32, n->name, &n->sent,
		   &n->received) == 3)
		c->n_notify++;
}

static void parse_failure(struct dg_conn *c, const char *s)
{
	const char *r;

	s += strlen(CTL_STATUS_FAILURE);
	if (sscanf(s, "%7[^,], %" SCNd64 " s ago: ", c->fail_msg,
		   &c->fail_age) != 2)
		return;
	r = strstr(s, " s ago: ");
	if (r)
		rest(c->fail, sizeof(c->fail), r + 8);
	if (!strcmp(c->fail_msg, "-"))
		c->fail_msg[0] = '\0';
}

static void parse_fail_notify(struct dg_conn *c, const char *s)
{
	s += strlen(CTL_STATUS_FAIL_NOTIFY);
	snprintf(c->fail_notify, sizeof(c->fail_notify), "%.*s",
		 (int)strcspn(s, " \n"), s);
	s += strcspn(s, " \n");
	c->fail_notify_peer = starts(s, " " CTL_NOTIFY_FROM_PEER);
}

static void parse_line(struct dg_conn *c, const char *s)
{
	if (starts(s, CTL_STATUS_CHILD)) {
		parse_child(c, s);
	} else if (starts(s, CTL_STATUS_MESSAGES)) {
		if (sscanf(s, CTL_STATUS_MESSAGES "sent %7[^,], received %7s",
			   c->sent, c->received) == 2) {
			if (!strcmp(c->sent, "-"))
				c->sent[0] = '\0';
			if (!strcmp(c->received, "-"))
				c->received[0] = '\0';
		}
	} else if (starts(s, CTL_STATUS_AUTH)) {
		c->sig_auth = !starts(s + strlen(CTL_STATUS_AUTH), "psk");
	} else if (starts(s, CTL_STATUS_EXCHANGES)) {
		sscanf(s, CTL_STATUS_EXCHANGES "main %" SCNu32 " started %"
		       SCNu32 " done, quick %" SCNu32 " started %" SCNu32
		       " done, failures %" SCNu32, &c->mm_started, &c->mm_done,
		       &c->qm_started, &c->qm_done, &c->failures);
	} else if (starts(s, CTL_STATUS_NOTIFY)) {
		parse_notify(c, s);
	} else if (starts(s, CTL_STATUS_FAILURE)) {
		parse_failure(c, s);
	} else if (starts(s, CTL_STATUS_FAIL_NOTIFY)) {
		parse_fail_notify(c, s);
	} else if (starts(s, CTL_STATUS_FAIL_OURS)) {
		rest(c->ours, sizeof(c->ours), s + strlen(CTL_STATUS_FAIL_OURS));
	} else if (starts(s, CTL_STATUS_FAIL_THEIRS)) {
		rest(c->theirs, sizeof(c->theirs),
		     s + strlen(CTL_STATUS_FAIL_THEIRS));
	}
}

/*
 * A conn with no SA has no addresses on its line; its failure names the
 * peer it waited for ("no response to MM1 from 192.0.2.2:500 ...").
 */
static void peer_from_failure(struct dg_conn *c)
{
	const char *f = strstr(c->fail, " from ");

	if (!c->peer[0] && f)
		snprintf(c->peer, sizeof(c->peer), "%.*s",
			 (int)strcspn(f + 6, " "), f + 6);
}

int dg_parse_status(const char *body, struct dg_conn *conns, int max)
{
	struct dg_conn *c = NULL;
	const char *s, *e;
	bool skip = false;
	int n = 0;

	if (starts(body, CTL_REPLY_OK))
		body += strlen(CTL_REPLY_OK);
	for (s = body; s && *s; s = e ? e + 1 : NULL) {
		e = strchr(s, '\n');
		if (starts(s, CTL_STATUS_CONN)) {
			if (n == max) {
				c = NULL;
				skip = true;
				continue;
			}
			if (c)
				peer_from_failure(c);
			c = &conns[n++];
			memset(c, 0, sizeof(*c));
			c->fail_age = -1;
			parse_conn_line(c, s);
		} else if (c && starts(s, "  ")) {
			parse_line(c, s);
		} else if (!c && !skip &&
			   !starts(s, "no connections configured")) {
			return -1;
		}
	}
	if (c)
		peer_from_failure(c);
	return n;
}
