/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptund configuration: an INI file with one [global] section and one
 * [conn NAME] section per connection. The parser checks everything it can
 * without the network, so a bad file is refused as a whole with
 * "FILE:LINE: message" and a reload never applies half a file.
 */
#ifndef ESPTUND_CONFIG_H
#define ESPTUND_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONF_DEFAULT_PATH	"/etc/esptun/esptund.conf"
#define CONF_DEFAULT_CONTROL	"/run/esptun/esptund.sock"
#define CONF_NAME_MAX		32
#define CONF_ID_MAX		256
#define CONF_PSK_MAX		256
#define CONF_PROPOSALS_MAX	512
#define CONF_ERR_MAX		512

enum conf_id_type {
	CONF_ID_ADDR,		/* IPV4_ADDR or IPV6_ADDR */
	CONF_ID_FQDN,
	CONF_ID_USER_FQDN,
	CONF_ID_KEY_ID,
};

struct conf_id {
	enum conf_id_type type;
	struct sockaddr_storage addr;	/* CONF_ID_ADDR */
	char str[CONF_ID_MAX];		/* the others, without the prefix */
};

/* An address prefix used as a traffic selector. */
struct conf_prefix {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint8_t plen;
};

enum conf_start {
	CONF_START_LISTEN,
	CONF_START_INITIATE,
};

struct conf_conn {
	char name[CONF_NAME_MAX + 1];
	int line;			/* of the [conn NAME] header */
	char interface[IF_NAMESIZE];
	struct sockaddr_storage local;	/* port 0; family AF_INET/AF_INET6 */
	struct sockaddr_storage remote;
	struct conf_id local_id;	/* defaults to the addresses */
	struct conf_id remote_id;
	unsigned char psk[CONF_PSK_MAX];
	size_t psk_len;
	int aggressive;			/* mode = aggressive (next issue) */
	char ike[CONF_PROPOSALS_MAX];	/* strongSwan proposal syntax */
	char esp[CONF_PROPOSALS_MAX];
	uint32_t ike_lifetime_s;
	uint32_t lifetime_s;
	uint64_t life_kbytes;		/* 0: no volume limit */
	enum conf_start start;
	struct conf_prefix local_ts;
	struct conf_prefix remote_ts;
	uint32_t replay_window;
	int allow_weak;
	/* Undocumented in the example, for tests: retransmission tuning. */
	uint32_t retransmit_timeout_ms;
	uint32_t retransmit_tries;
};

struct conf {
	int log_level;			/* enum log_level */
	char control[108];		/* sizeof(sun_path) */
	struct conf_conn *conns;
	size_t n_conns;
};

/*
 * Parse PATH into *out. On failure returns -1, leaves *out untouched and
 * writes "FILE:LINE: message" (or "FILE: message") into err.
 */
int conf_load(const char *path, struct conf *out, char *err, size_t errlen);
/* Same, from a buffer; name is what error messages call the file. */
int conf_parse(const char *name, const char *text, struct conf *out,
	       char *err, size_t errlen);
/* Wipes the PSKs and frees. */
void conf_free(struct conf *c);
const struct conf_conn *conf_find(const struct conf *c, const char *name);

/* Helpers shared with the control socket and tests. */
int conf_parse_duration(const char *s, uint32_t *out_s);
const char *conf_id_str(const struct conf_id *id, char *buf, size_t len);
const char *conf_prefix_str(const struct conf_prefix *p, char *buf,
			    size_t len);

#endif
