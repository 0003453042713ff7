// SPDX-License-Identifier: GPL-2.0
/*
 * esptun ike [-s SOCKET] status [-j] | up [-t SECONDS] NAME | down NAME |
 * reload | keys NAME. One request line per connection to esptund's control socket;
 * the daemon answers "ok" plus output, or "error: why" (ctl_proto.h).
 * esptun ike profile [NAME] reads lib/profile.c's table and needs no daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "ike.h"
#include "profile.h"
#include "util.h"

#define IKE_USAGE							\
	"esptun ike [-s SOCKET] { status [-j] | up [-t SECONDS] NAME | "	\
	"down NAME | reload | keys NAME | profile [NAME] }"

static const char *sock_path;

/*
 * Sends one request and reads the whole answer into *out (malloc'ed).
 * Returns 0, or 1 after printing why the daemon could not be reached.
 */
static int request(const char *line, char **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;
	int fd;

	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "esptun: ike: socket path too long: %s\n",
			sock_path);
		return 1;
	}
	strcpy(sun.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "esptun: ike: cannot connect to esptund at %s: %s\n",
			sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line) ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		fprintf(stderr, "esptun: ike: writing to %s: %s\n", sock_path,
			strerror(errno));
		close(fd);
		return 1;
	}
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		fprintf(stderr, "esptun: ike: out of memory\n");
		return 1;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 1024) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				close(fd);
				fprintf(stderr, "esptun: ike: out of memory\n");
				return 1;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (n < 0 || !len) {
		fprintf(stderr, "esptun: ike: no answer from esptund at %s%s%s\n",
			sock_path, n < 0 ? ": " : "",
			n < 0 ? strerror(errno) : "");
		free(buf);
		return 1;
	}
	*out = buf;
	return 0;
}

/* Prints the answer's body, or its error; returns the exit code. */
static int answer(char *ans, int print_body)
{
	size_t ok_len = strlen(CTL_REPLY_OK), err_len = strlen(CTL_REPLY_ERROR);
	int rc = 0;

	if (!strncmp(ans, CTL_REPLY_OK, ok_len)) {
		if (print_body)
			fputs(ans + ok_len, stdout);
	} else if (!strncmp(ans, CTL_REPLY_ERROR, err_len)) {
		fprintf(stderr, "esptun: ike: %s", ans + err_len);
		rc = 1;
	} else {
		fprintf(stderr, "esptun: ike: unexpected answer from esptund\n");
		rc = 1;
	}
	free(ans);
	return rc;
}

static int simple(const char *line, int print_body)
{
	char *ans;

	if (request(line, &ans))
		return 1;
	return answer(ans, print_body);
}

/*
 * The states of conn NAME in a text status: phase 1 state and whether a
 * phase 2 SA is QM_ACTIVE. Returns 0 when the conn is not listed.
 */
static int conn_state(const char *status, const char *name, char *p1,
		      size_t p1len, int *child_active)
{
	static const char child[] = CTL_STATUS_CHILD "QM_ACTIVE:";
	char head[128];
	const char *s, *e;

	snprintf(head, sizeof(head), CTL_STATUS_CONN "%s: ", name);
	*child_active = 0;
	for (s = status; s && *s; s = e ? e + 1 : NULL) {
		e = strchr(s, '\n');
		if (strncmp(s, head, strlen(head)))
			continue;
		s += strlen(head);
		snprintf(p1, p1len, "%.*s", (int)strcspn(s, " \n"), s);
		/* Its child lines follow, indented. */
		for (s = e ? e + 1 : NULL; s && !strncmp(s, "  ", 2);
		     s = (e = strchr(s, '\n')) ? e + 1 : NULL)
			if (!strncmp(s, child, strlen(child)))
				*child_active = 1;
		return 1;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until NAME has an IPsec SA, fails, or the time runs out. */
static int wait_up(const char *name, uint32_t secs)
{
	uint64_t end = now_ms() + (uint64_t)secs * 1000;
	char p1[64] = "", *ans;
	int seen = 0, active;

	for (;;) {
		if (request(CTL_CMD_STATUS, &ans))
			return 1;
		if (strncmp(ans, CTL_REPLY_OK, strlen(CTL_REPLY_OK)))
			return answer(ans, 0);
		if (!conn_state(ans + strlen(CTL_REPLY_OK), name, p1,
				sizeof(p1), &active)) {
			free(ans);
			fprintf(stderr, "esptun: ike: conn '%s' vanished\n",
				name);
			return 1;
		}
		free(ans);
		if (active) {
			printf("%s: established\n", name);
			return 0;
		}
		/* Back to nothing after a negotiation started: it failed. */
		if (!strcmp(p1, "NONE") || !strcmp(p1, "FAILED")) {
			if (seen || !strcmp(p1, "FAILED")) {
				fprintf(stderr,
					"esptun: ike: %s: negotiation failed (see esptund's log)\n",
					name);
				return 1;
			}
		} else {
			seen = 1;
		}
		if (now_ms() >= end) {
			fprintf(stderr,
				"esptun: ike: %s: not established after %us (state %s)\n",
				name, secs, p1);
			return 1;
		}
		usleep(200000);
	}
}

/*
 * Without NAME, the profiles with a line each; with NAME, the lines it
 * sets, as they would stand in esptund.conf.
 */
static int profile(struct args *a)
{
	const char *name = args_next(a);
	const struct profile *pr;
	char names[256];
	size_t i;

	if (!name) {
		for (i = 0; (pr = profile_at(i)); i++)
			printf("%-15s %s\n", pr->name, pr->description);
		return 0;
	}
	if (args_more(a))
		return usage_error(a, "unexpected '%s'", args_peek(a));
	pr = profile_find(name);
	if (!pr)
		return usage_error(a, "unknown profile '%s' (%s)", name,
				   profile_names(names, sizeof(names)));
	for (i = 0; pr->lines[i]; i++)
		printf("%s\n", pr->lines[i]);
	return 0;
}

int cmd_ike(int argc, char **argv, int json)
{
	struct args a;
	const char *w;
	char line[CTL_MAX_LINE];

	args_init(&a, argc, argv, "ike", IKE_USAGE);
	sock_path = getenv("ESPTUN_CONTROL");
	if (!sock_path || !*sock_path)
		sock_path = CTL_DEFAULT_PATH;
	w = args_next(&a);
	if (w && (!strcmp(w, "-s") || !strcmp(w, "--socket"))) {
		sock_path = args_next(&a);
		if (!sock_path)
			return usage_error(&a, "-s needs a socket path");
		w = args_next(&a);
	}
	if (!w)
		return usage_error(&a, "missing command");
	if (is_help(w))
		return usage_help(IKE_USAGE);

	if (!strcmp(w, "status")) {
		while ((w = args_next(&a))) {
			if (!strcmp(w, "-j") || !strcmp(w, "--json"))
				json = 1;
			else
				return usage_error(&a, "unknown status option '%s'",
						   w);
		}
		return simple(json ? CTL_CMD_STATUS " " CTL_OPT_JSON :
			      CTL_CMD_STATUS, 1);
	}
	if (!strcmp(w, "up")) {
		uint32_t secs = 30;
		const char *name;

		w = args_next(&a);
		if (w && !strcmp(w, "-t")) {
			const char *v = args_next(&a);
			int rc;

			if (!v)
				return usage_error(&a, "-t needs a number of seconds");
			rc = arg_u32(&a, "seconds", v, 3600, &secs);
			if (rc)
				return rc;
			w = args_next(&a);
		}
		name = w;
		if (!name)
			return usage_error(&a, "up needs a conn name");
		if (args_more(&a))
			return usage_error(&a, "unexpected '%s'", args_peek(&a));
		snprintf(line, sizeof(line), CTL_CMD_UP " %s", name);
		if (simple(line, 0))
			return 1;
		return secs ? wait_up(name, secs) : 0;
	}
	if (!strcmp(w, "down")) {
		const char *name = args_next(&a);

		if (!name)
			return usage_error(&a, "down needs a conn name");
		if (args_more(&a))
			return usage_error(&a, "unexpected '%s'", args_peek(&a));
		snprintf(line, sizeof(line), CTL_CMD_DOWN " %s", name);
		return simple(line, 1);
	}
	/*
	 * The lines of Wireshark's IKEv1 decryption table (and of esptun
	 * decode --keys): the phase 1 encryption key of each ISAKMP SA.
	 */
	if (!strcmp(w, "keys")) {
		const char *name = args_next(&a);

		if (!name)
			return usage_error(&a, "keys needs a conn name");
		if (args_more(&a))
			return usage_error(&a, "unexpected '%s'", args_peek(&a));
		snprintf(line, sizeof(line), CTL_CMD_KEYS " %s", name);
		return simple(line, 1);
	}
	if (!strcmp(w, "profile"))
		return profile(&a);
	if (!strcmp(w, "reload")) {
		if (args_more(&a))
			return usage_error(&a, "unexpected '%s'", args_peek(&a));
		return simple(CTL_CMD_RELOAD, 1);
	}
	return usage_error(&a, "unknown command '%s'", w);
}
