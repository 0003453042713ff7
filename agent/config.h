/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptund configuration: an INI file with one [global] section and one
 * [conn NAME] section per connection. The parser checks everything it can
 * without the network, so a bad file is refused as a whole with
 * "FILE:LINE: message" and a reload never applies half a file.
 */
#ifndef ESPTUND_CONFIG_H
#define ESPTUND_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"
#include "ike/conn.h"

#define CONF_DEFAULT_PATH	"/etc/esptun/esptund.conf"
#define CONF_DEFAULT_CONTROL	CTL_DEFAULT_PATH
#define CONF_ERR_MAX		512

struct conf {
	int log_level;			/* enum log_level */
	char control[108];		/* sizeof(sun_path) */
	struct ike_conn *conns;
	int *lines;			/* line of each [conn NAME] header */
	size_t n_conns;
	int psk_line;			/* first inline psk, 0 if none */
	int xauth_pass_line;		/* first inline xauth-password */
};

/*
 * Parse PATH into *out. On failure returns -1, leaves *out untouched and
 * writes "FILE:LINE: message" (or "FILE: message") into err. The file,
 * and any psk-file, must be a regular file owned by root or the caller
 * and writable by nobody else; one that holds a psk must not be
 * world-readable.
 */
int conf_load(const char *path, struct conf *out, char *err, size_t errlen);
/* Same, from a buffer; name is what error messages call the file. */
int conf_parse(const char *name, const char *text, struct conf *out,
	       char *err, size_t errlen);
/* Wipes the PSKs and frees. */
void conf_free(struct conf *c);
const struct ike_conn *conf_find(const struct conf *c, const char *name);

/* Helpers shared with the control socket and tests. */
int conf_parse_duration(const char *s, uint32_t *out_s);

#endif
