/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket server: a Unix stream socket (mode 0600, so root
 * only) speaking the protocol of ctl_proto.h to `esptun ike ...`.
 */
#ifndef ESPTUND_CTL_H
#define ESPTUND_CTL_H

#include <stddef.h>
#include <stdio.h>

#include "ctl_proto.h"
#include "ike/engine.h"

struct ctl;

struct ctl_ops {
	void *arg;
	int (*reload)(void *arg, char *err, size_t errlen);
	int (*up)(void *arg, const char *name, char *err, size_t errlen);
	int (*down)(void *arg, const char *name, char *err, size_t errlen);
	void (*status)(void *arg,
		       void (*cb)(void *cbarg, const struct ike_status *st),
		       void *cbarg);
	/* Keyed ISAKMP SAs of conn NAME: a count, or -ENOENT. Optional. */
	int (*keys)(void *arg, const char *name,
		    void (*cb)(void *cbarg, const struct ike_sa_keys *k),
		    void *cbarg);
	/* esptun probe: start one, read the last. Optional. */
	int (*probe)(void *arg, const char *name);
	int (*probe_result)(void *arg, const char *name,
			    struct ike_probe_result *r);
};

/* Creates the parent directory (0700) if needed, replaces a stale socket. */
struct ctl *ctl_open(const char *path, const struct ctl_ops *ops, char *err,
		     size_t errlen);
int ctl_fd(const struct ctl *c);
/* Accepts and serves one client (called when the listening fd is ready). */
void ctl_serve(struct ctl *c);
/* Closes and unlinks the socket. */
void ctl_close(struct ctl *c);

/*
 * Runs one request line and writes the whole answer ("ok\n..." or
 * "error: ...\n") to out. Exposed for tests.
 */
void ctl_handle(const struct ctl_ops *ops, const char *line, FILE *out);

/* ctl_probe.c: the probe and probe-result requests. */
void ctl_cmd_probe(const struct ctl_ops *ops, const char *cmd,
		   const char *arg, FILE *out);
void ctl_cmd_probe_result(const struct ctl_ops *ops, const char *cmd,
			  const char *arg, FILE *out);

#endif
