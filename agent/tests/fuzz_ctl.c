// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: control socket requests, through the real socket
 * (ctl_open, ctl_serve) to esptund's handlers, against an engine with
 * two conns, one of them established with a peer engine (the exchange
 * harness). The request callbacks act on the engine as esptund's do, and
 * reload puts back the same conns, as an unchanged file would.
 *
 * The oracle besides the sanitizers: the reply is "ok\n..." or one
 * "error: ...\n" line; and unless the request was a well-formed up or
 * down of a configured conn, nothing changed: the same status, the same
 * kernel SAs, nothing sent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "exchange_harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "site", "other" };
static struct ike_conn conns[2];
static struct ctl *ctl;
static char sock_path[108];
static bool acted, dirty = true;
static uint64_t rng;

static void fixed_random(void *ctx, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		b[i] = (uint8_t)((rng * 0x2545f4914f6cdd1dULL) >> 56);
	}
}

/* ESPTUN_FUZZ_VERBOSE=1 shows the engines' log (to read a crash). */
static void quiet(enum log_level lvl, const char *line, void *arg)
{
	if (arg)
		fprintf(stderr, "%s\n", line);
}

static bool configured(const char *name)
{
	return !strcmp(name, names[0]) || !strcmp(name, names[1]);
}

static int f_up(void *arg, const char *name, char *err, size_t errlen)
{
	int r;

	if (!configured(name)) {
		snprintf(err, errlen, "no conn named '%s'", name);
		return -1;
	}
	acted = true;
	r = ike_engine_initiate(S[0].eng, name);
	if (r)
		snprintf(err, errlen, "cannot initiate '%s'", name);
	return r;
}

static int f_down(void *arg, const char *name, char *err, size_t errlen)
{
	int r;

	if (!configured(name)) {
		snprintf(err, errlen, "no conn named '%s'", name);
		return -1;
	}
	acted = true;
	r = ike_engine_terminate(S[0].eng, name);
	if (r)
		snprintf(err, errlen, "cannot terminate '%s'", name);
	return r;
}

static int f_reload(void *arg, char *err, size_t errlen)
{
	return ike_engine_replace_conns(S[0].eng, conns, 2);
}

static void f_status(void *arg,
		     void (*cb)(void *cbarg, const struct ike_status *st),
		     void *cbarg)
{
	ike_engine_status(S[0].eng, cb, cbarg);
}

static int f_keys(void *arg, const char *name,
		  void (*cb)(void *cbarg, const struct ike_sa_keys *k),
		  void *cbarg)
{
	return ike_engine_keys(S[0].eng, name, cb, cbarg);
}

static const struct ctl_ops ops = {
	.reload = f_reload, .up = f_up, .down = f_down,
	.status = f_status, .keys = f_keys,
};

/* Conn "site" up between the engines, "other" configured on side 0. */
static void establish_fixed(void)
{
	struct ike_conn b;

	rng = 0x9e3779b97f4a7c15ULL;
	setup();
	mkconn(&conns[0], 0, "aes128-sha256-modp2048", "aes128gcm16", "k");
	mkconn(&b, 1, "aes128-sha256-modp2048", "aes128gcm16", "k");
	conns[1] = conns[0];
	strcpy(conns[1].name, names[1]);
	strcpy(conns[1].ifname, "esp1");
	mkaddr(&conns[1].remote, "198.51.100.1");
	ike_engine_add_conn(S[0].eng, &conns[1]);
	start_pair(&conns[0], &b);
	run(60000);
	dirty = false;
}

/* One request through the socket; the reply in a malloc'ed string. */
static char *request(const uint8_t *data, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *reply = malloc(65536);
	size_t got = 0;
	ssize_t n;
	int fd;

	if (!reply)
		abort();
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    (size && send(fd, data, size, 0) != (ssize_t)size))
		abort();
	/* The whole request is there: the server must not wait for more. */
	shutdown(fd, SHUT_WR);
	ctl_serve(ctl);
	while (got < 65535 &&
	       (n = recv(fd, reply + got, 65535 - got, 0)) > 0)
		got += (size_t)n;
	reply[got] = '\0';
	close(fd);
	return reply;
}

struct state {
	char *status;
	int nsa, ndel, nsent[2];
	bool live[MAX_KSA];
};

static void take(struct state *s)
{
	size_t len = 0;
	FILE *f = open_memstream(&s->status, &len);

	if (!f)
		abort();
	ctl_handle(&ops, "status -j\n", f);
	fclose(f);
	s->nsa = S[0].nsa;
	s->ndel = S[0].ndel;
	s->nsent[0] = S[0].nsent;
	s->nsent[1] = S[1].nsent;
	memcpy(s->live, S[0].live, sizeof(s->live));
}

static bool same(const struct state *a, const struct state *b)
{
	return !strcmp(a->status, b->status) && a->nsa == b->nsa &&
	       a->ndel == b->ndel && a->nsent[0] == b->nsent[0] &&
	       a->nsent[1] == b->nsent[1] &&
	       !memcmp(a->live, b->live, sizeof(a->live));
}

static bool well_formed(const char *r)
{
	const char *nl;

	if (!strncmp(r, CTL_REPLY_OK, strlen(CTL_REPLY_OK)))
		return true;
	if (strncmp(r, CTL_REPLY_ERROR, strlen(CTL_REPLY_ERROR)))
		return false;
	nl = strchr(r, '\n');
	return nl && !nl[1];
}

static void cleanup(void)
{
	char dir[sizeof(sock_path)];

	ctl_close(ctl);
	snprintf(dir, sizeof(dir), "%s", sock_path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ctl_ops o = ops;
	char err[256];

	log_set_sink(quiet, getenv("ESPTUN_FUZZ_VERBOSE"));
	harness_random = fixed_random;
	snprintf(sock_path, sizeof(sock_path), "/tmp/esptun-fuzz-ctl.%d/sock",
		 (int)getpid());
	ctl = ctl_open(sock_path, &o, err, sizeof(err));
	if (!ctl) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state before, after;
	char *reply;

	if (size > 1024)
		return 0;
	if (dirty)
		establish_fixed();
	take(&before);
	acted = false;
	reply = request(data, size);
	take(&after);
	if (size && !well_formed(reply)) {
		fprintf(stderr, "malformed reply: %s\n", reply);
		abort();
	}
	if (!acted && !same(&before, &after)) {
		fprintf(stderr, "state changed by: %.*s\nreply: %s\n",
			(int)size, (const char *)data, reply);
		abort();
	}
	if (acted)
		dirty = true;
	free(before.status);
	free(after.status);
	free(reply);
	return 0;
}
