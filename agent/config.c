// SPDX-License-Identifier: GPL-2.0
/*
 * INI parser for esptund.conf. Line oriented: "[global]", "[conn NAME]",
 * "key = value", comments starting with '#' or ';' (also after a value,
 * when preceded by whitespace and not inside quotes). Every key is parsed
 * by its own function from one table, so the list of accepted keys and the
 * documentation stay in one place.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

struct parser {
	const char *file;
	int line;
	char *err;
	size_t errlen;
	struct conf *conf;
	struct conf_conn *conn;	/* current [conn], NULL in [global] */
	int in_section;
	int global_line;
	/* Per section: which keys were given, to refuse duplicates. */
	int seen[32];
};

static int perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[CONF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->file, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	return -1;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

static int parse_prefix(const char *s, struct conf_prefix *pf)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long plen;
	int max;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	memset(pf, 0, sizeof(*pf));
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &pf->addr.v4) == 1) {
		pf->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &pf->addr.v6) == 1) {
		pf->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	plen = max;
	if (slash) {
		if (!isdigit((unsigned char)*slash))
			return -1;
		errno = 0;
		plen = strtoul(slash, &end, 10);
		if (errno || *end || plen > (unsigned long)max)
			return -1;
	}
	pf->plen = plen;
	/* Host bits set are almost always a typo of the prefix length. */
	{
		unsigned char *b = (unsigned char *)&pf->addr;
		int i;

		for (i = plen; i < max; i++)
			if (b[i / 8] & (0x80 >> (i % 8)))
				return -1;
	}
	return 0;
}

int conf_parse_duration(const char *s, uint32_t *out_s)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		switch (*end) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		default:
			return -1;
		}
		if (end[1])
			return -1;
	}
	if (!v || v > UINT32_MAX / mult)
		return -1;
	*out_s = v * mult;
	return 0;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "no") || !strcmp(s, "false")) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int parse_id(const char *s, struct conf_id *id)
{
	static const struct {
		const char *prefix;
		enum conf_id_type type;
	} kinds[] = {
		{ "fqdn:", CONF_ID_FQDN },
		{ "user:", CONF_ID_USER_FQDN },
		{ "keyid:", CONF_ID_KEY_ID },
	};
	unsigned int i;

	memset(id, 0, sizeof(*id));
	if (!parse_addr(s, &id->addr)) {
		id->type = CONF_ID_ADDR;
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(s, kinds[i].prefix, n))
			continue;
		s += n;
		if (!*s || strlen(s) >= sizeof(id->str))
			return -1;
		if (kinds[i].type == CONF_ID_USER_FQDN && !strchr(s, '@'))
			return -1;
		id->type = kinds[i].type;
		strcpy(id->str, s);
		return 0;
	}
	/* A bare name is an FQDN, as strongSwan reads it. */
	if (strchr(s, ':') || strlen(s) >= sizeof(id->str))
		return -1;
	id->type = CONF_ID_FQDN;
	strcpy(id->str, s);
	return 0;
}

/* Reads a PSK file: first line, trailing whitespace removed. */
static int read_psk_file(struct parser *p, const char *path,
			 struct conf_conn *c)
{
	char full[PATH_MAX], buf[CONF_PSK_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd;

	if (path[0] != '/') {
		/* Relative to the directory of the configuration file. */
		const char *slash = strrchr(p->file, '/');
		int dl = slash ? (int)(slash - p->file) : 1;

		snprintf(full, sizeof(full), "%.*s/%s", dl,
			 slash ? p->file : ".", path);
	} else {
		snprintf(full, sizeof(full), "%s", path);
	}
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return perr(p, "psk-file %s: %s", full, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return perr(p, "psk-file %s: not a regular file", full);
	}
	if (st.st_mode & S_IROTH) {
		close(fd);
		return perr(p, "psk-file %s is world-readable (chmod o-r it)",
			    full);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return perr(p, "psk-file %s: %s", full, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	n = strlen(buf);
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (n > CONF_PSK_MAX) {
		memset(buf, 0, sizeof(buf));
		return perr(p, "psk-file %s: key longer than %d bytes", full,
			    CONF_PSK_MAX);
	}
	if (!n)
		return perr(p, "psk-file %s is empty", full);
	memcpy(c->psk, buf, n);
	c->psk_len = n;
	memset(buf, 0, sizeof(buf));
	return 0;
}

/*
 * A value may be "quoted" (then '#' inside is literal and \" \\ escape);
 * unquoted values end at an inline comment. Rewrites v in place.
 */
static int unquote(struct parser *p, char *v)
{
	char *r, *w;

	if (*v != '"') {
		char *h = v;

		while ((h = strpbrk(h, "#;"))) {
			if (h > v && isspace((unsigned char)h[-1])) {
				*h = '\0';
				break;
			}
			h++;
		}
		w = v + strlen(v);
		while (w > v && isspace((unsigned char)w[-1]))
			*--w = '\0';
		return 0;
	}
	for (r = v + 1, w = v; *r && *r != '"'; r++) {
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r;
	}
	if (*r != '"')
		return perr(p, "unterminated quoted string");
	r++;
	while (isspace((unsigned char)*r))
		r++;
	if (*r && *r != '#' && *r != ';')
		return perr(p, "unexpected text after quoted string");
	*w = '\0';
	return 0;
}

/* ---- keys ---- */

enum {
	K_LOG, K_CONTROL,
	K_INTERFACE, K_LOCAL, K_REMOTE, K_LOCAL_ID, K_REMOTE_ID, K_AUTH,
	K_PSK, K_PSK_FILE, K_MODE, K_IKE, K_ESP, K_IKE_LIFETIME, K_LIFETIME,
	K_LIFE_KBYTES, K_START, K_LOCAL_TS, K_REMOTE_TS, K_REPLAY_WINDOW,
	K_ALLOW_WEAK, K_RETRANSMIT_TIMEOUT, K_RETRANSMIT_TRIES,
	K_MAX,
};

struct key {
	const char *name;
	int global;		/* 1: [global], 0: [conn] */
	int (*parse)(struct parser *p, const char *v);
};

#define BAD(what) perr(p, "invalid " what " '%s'", v)

static int k_log(struct parser *p, const char *v)
{
	int l = log_level_parse(v);

	if (l < 0)
		return perr(p, "invalid log level '%s' (error, warning, info or debug)",
			    v);
	p->conf->log_level = l;
	return 0;
}

static int k_control(struct parser *p, const char *v)
{
	if (v[0] != '/')
		return perr(p, "control must be an absolute path");
	if (strlen(v) >= sizeof(p->conf->control))
		return perr(p, "control path too long (max %zu)",
			    sizeof(p->conf->control) - 1);
	strcpy(p->conf->control, v);
	return 0;
}

static int k_interface(struct parser *p, const char *v)
{
	const char *s;

	if (!*v || strlen(v) >= IF_NAMESIZE)
		return perr(p, "invalid interface name '%s'", v);
	for (s = v; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return perr(p, "invalid interface name '%s'", v);
	strcpy(p->conn->interface, v);
	return 0;
}

static int k_local(struct parser *p, const char *v)
{
	if (parse_addr(v, &p->conn->local))
		return BAD("address");
	return 0;
}

static int k_remote(struct parser *p, const char *v)
{
	if (parse_addr(v, &p->conn->remote))
		return BAD("address");
	return 0;
}

static int k_local_id(struct parser *p, const char *v)
{
	if (parse_id(v, &p->conn->local_id))
		return BAD("identity");
	return 0;
}

static int k_remote_id(struct parser *p, const char *v)
{
	if (parse_id(v, &p->conn->remote_id))
		return BAD("identity");
	return 0;
}

static int k_auth(struct parser *p, const char *v)
{
	if (strcmp(v, "psk"))
		return perr(p, "unsupported auth '%s' (only psk)", v);
	return 0;
}

static int k_psk(struct parser *p, const char *v)
{
	size_t n = strlen(v);

	if (!n)
		return perr(p, "psk is empty");
	if (n > CONF_PSK_MAX)
		return perr(p, "psk longer than %d bytes", CONF_PSK_MAX);
	memcpy(p->conn->psk, v, n);
	p->conn->psk_len = n;
	return 0;
}

static int k_psk_file(struct parser *p, const char *v)
{
	if (!*v)
		return perr(p, "psk-file is empty");
	return read_psk_file(p, v, p->conn);
}

static int k_mode(struct parser *p, const char *v)
{
	if (!strcmp(v, "main")) {
		p->conn->aggressive = 0;
		return 0;
	}
	if (!strcmp(v, "aggressive")) {
		p->conn->aggressive = 1;
		return 0;
	}
	return perr(p, "invalid mode '%s' (main or aggressive)", v);
}

static int set_proposals(struct parser *p, const char *key, char *dst,
			 const char *v)
{
	const char *s;

	if (!*v)
		return perr(p, "%s is empty", key);
	if (strlen(v) >= CONF_PROPOSALS_MAX)
		return perr(p, "%s too long", key);
	for (s = v; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_, ", *s))
			return perr(p, "invalid character '%c' in %s", *s, key);
	strcpy(dst, v);
	return 0;
}

static int k_ike(struct parser *p, const char *v)
{
	return set_proposals(p, "ike", p->conn->ike, v);
}

static int k_esp(struct parser *p, const char *v)
{
	return set_proposals(p, "esp", p->conn->esp, v);
}

static int k_ike_lifetime(struct parser *p, const char *v)
{
	if (conf_parse_duration(v, &p->conn->ike_lifetime_s))
		return BAD("duration");
	return 0;
}

static int k_lifetime(struct parser *p, const char *v)
{
	if (conf_parse_duration(v, &p->conn->lifetime_s))
		return BAD("duration");
	return 0;
}

static int k_life_kbytes(struct parser *p, const char *v)
{
	/* 0 means no volume limit; the upper bound keeps bytes in 64 bits. */
	if (parse_u64(v, 0, UINT64_MAX / 1024, &p->conn->life_kbytes))
		return BAD("number");
	return 0;
}

static int k_start(struct parser *p, const char *v)
{
	if (!strcmp(v, "initiate"))
		p->conn->start = CONF_START_INITIATE;
	else if (!strcmp(v, "listen"))
		p->conn->start = CONF_START_LISTEN;
	else
		return perr(p, "invalid start '%s' (initiate or listen)", v);
	return 0;
}

static int k_local_ts(struct parser *p, const char *v)
{
	if (parse_prefix(v, &p->conn->local_ts))
		return BAD("prefix");
	return 0;
}

static int k_remote_ts(struct parser *p, const char *v)
{
	if (parse_prefix(v, &p->conn->remote_ts))
		return BAD("prefix");
	return 0;
}

static int k_replay_window(struct parser *p, const char *v)
{
	uint64_t w;

	/* The module's bitmap holds up to 4096 packets. */
	if (parse_u64(v, 0, 4096, &w))
		return perr(p, "invalid replay-window '%s' (0 to 4096)", v);
	p->conn->replay_window = w;
	return 0;
}

static int k_allow_weak(struct parser *p, const char *v)
{
	if (parse_bool(v, &p->conn->allow_weak))
		return perr(p, "invalid boolean '%s' (yes or no)", v);
	return 0;
}

static int k_retransmit_timeout(struct parser *p, const char *v)
{
	uint64_t ms;
	char *end;

	/* Milliseconds, or a duration with a unit ("500ms", "2s"). */
	errno = 0;
	ms = strtoull(v, &end, 10);
	if (end == v || errno)
		return BAD("timeout");
	if (!strcmp(end, "s"))
		ms *= 1000;
	else if (*end && strcmp(end, "ms"))
		return BAD("timeout");
	if (ms < 10 || ms > 600000)
		return perr(p, "retransmit-timeout '%s' out of range (10ms to 600s)",
			    v);
	p->conn->retransmit_timeout_ms = ms;
	return 0;
}

static int k_retransmit_tries(struct parser *p, const char *v)
{
	uint64_t n;

	if (parse_u64(v, 0, 20, &n))
		return perr(p, "invalid retransmit-tries '%s' (0 to 20)", v);
	p->conn->retransmit_tries = n;
	return 0;
}

static const struct key keys[K_MAX] = {
	[K_LOG] = { "log", 1, k_log },
	[K_CONTROL] = { "control", 1, k_control },
	[K_INTERFACE] = { "interface", 0, k_interface },
	[K_LOCAL] = { "local", 0, k_local },
	[K_REMOTE] = { "remote", 0, k_remote },
	[K_LOCAL_ID] = { "local-id", 0, k_local_id },
	[K_REMOTE_ID] = { "remote-id", 0, k_remote_id },
	[K_AUTH] = { "auth", 0, k_auth },
	[K_PSK] = { "psk", 0, k_psk },
	[K_PSK_FILE] = { "psk-file", 0, k_psk_file },
	[K_MODE] = { "mode", 0, k_mode },
	[K_IKE] = { "ike", 0, k_ike },
	[K_ESP] = { "esp", 0, k_esp },
	[K_IKE_LIFETIME] = { "ike-lifetime", 0, k_ike_lifetime },
	[K_LIFETIME] = { "lifetime", 0, k_lifetime },
	[K_LIFE_KBYTES] = { "life-kbytes", 0, k_life_kbytes },
	[K_START] = { "start", 0, k_start },
	[K_LOCAL_TS] = { "local-ts", 0, k_local_ts },
	[K_REMOTE_TS] = { "remote-ts", 0, k_remote_ts },
	[K_REPLAY_WINDOW] = { "replay-window", 0, k_replay_window },
	[K_ALLOW_WEAK] = { "allow-weak", 0, k_allow_weak },
	[K_RETRANSMIT_TIMEOUT] = { "retransmit-timeout", 0,
				   k_retransmit_timeout },
	[K_RETRANSMIT_TRIES] = { "retransmit-tries", 0, k_retransmit_tries },
};

static void conn_defaults(struct conf_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->local_id.type = -1;
	c->remote_id.type = -1;
	strcpy(c->ike, "aes256-sha256-modp2048,aes128-sha1-modp2048");
	strcpy(c->esp, "aes256gcm16-modp2048,aes256-sha256");
	c->ike_lifetime_s = 24 * 3600;
	c->lifetime_s = 3600;
	c->life_kbytes = 4608000;
	c->start = CONF_START_LISTEN;
	c->local_ts.family = AF_INET;	/* 0.0.0.0/0 */
	c->remote_ts.family = AF_INET;
	c->replay_window = 64;
	/* Cisco's defaults: first retry after 2 s, then doubling, 5 retries. */
	c->retransmit_timeout_ms = 2000;
	c->retransmit_tries = 5;
}

static int addr_family(const struct sockaddr_storage *ss)
{
	return ss->ss_family;
}

/* Checks a finished [conn] section; p->line points at its header. */
static int conn_finish(struct parser *p)
{
	struct conf_conn *c = p->conn;
	size_t i;

	if (!p->seen[K_INTERFACE])
		return perr(p, "conn '%s': missing interface", c->name);
	if (!p->seen[K_LOCAL])
		return perr(p, "conn '%s': missing local", c->name);
	if (!p->seen[K_REMOTE])
		return perr(p, "conn '%s': missing remote", c->name);
	if (addr_family(&c->local) != addr_family(&c->remote))
		return perr(p, "conn '%s': local and remote are of different address families",
			    c->name);
	if (!p->seen[K_PSK] && !p->seen[K_PSK_FILE])
		return perr(p, "conn '%s': missing psk or psk-file", c->name);
	if (p->seen[K_PSK] && p->seen[K_PSK_FILE])
		return perr(p, "conn '%s': psk and psk-file are exclusive",
			    c->name);
	if (c->local_ts.family != c->remote_ts.family)
		return perr(p, "conn '%s': local-ts and remote-ts are of different address families",
			    c->name);
	if ((int)c->local_id.type < 0) {
		c->local_id.type = CONF_ID_ADDR;
		c->local_id.addr = c->local;
	}
	if ((int)c->remote_id.type < 0) {
		c->remote_id.type = CONF_ID_ADDR;
		c->remote_id.addr = c->remote;
	}
	/* One conn per interface: the device has one pair of endpoints. */
	for (i = 0; i + 1 < p->conf->n_conns; i++)
		if (!strcmp(p->conf->conns[i].interface, c->interface))
			return perr(p, "conn '%s': interface %s is already used by conn '%s'",
				    c->name, c->interface,
				    p->conf->conns[i].name);
	return 0;
}

static int end_section(struct parser *p, int next_line)
{
	int save = p->line, r = 0;

	if (p->conn) {
		p->line = p->conn->line;
		r = conn_finish(p);
		p->line = save;
	}
	(void)next_line;
	p->conn = NULL;
	memset(p->seen, 0, sizeof(p->seen));
	return r;
}

static int valid_conn_name(const char *s)
{
	if (!*s || strlen(s) > CONF_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

static int section(struct parser *p, char *s)
{
	char *end = strchr(s, ']'), *name;
	struct conf_conn *nc;
	size_t i;

	if (!end)
		return perr(p, "missing ']'");
	for (name = end + 1; isspace((unsigned char)*name); name++)
		;
	if (*name && *name != '#' && *name != ';')
		return perr(p, "unexpected text after ']'");
	*end = '\0';
	s++;
	if (end_section(p, p->line))
		return -1;
	p->in_section = 1;
	if (!strcmp(s, "global")) {
		if (p->global_line)
			return perr(p, "duplicate [global] section (first at line %d)",
				    p->global_line);
		p->global_line = p->line;
		return 0;
	}
	if (strncmp(s, "conn", 4) || !isspace((unsigned char)s[4]))
		return perr(p, "unknown section [%s] (expected [global] or [conn NAME])",
			    s);
	for (name = s + 4; isspace((unsigned char)*name); name++)
		;
	end = name + strlen(name);
	while (end > name && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!valid_conn_name(name))
		return perr(p, "invalid conn name '%s' (letters, digits, '-', '_', '.'; at most %d)",
			    name, CONF_NAME_MAX);
	for (i = 0; i < p->conf->n_conns; i++)
		if (!strcmp(p->conf->conns[i].name, name))
			return perr(p, "duplicate conn '%s' (first at line %d)",
				    name, p->conf->conns[i].line);
	nc = realloc(p->conf->conns, (p->conf->n_conns + 1) * sizeof(*nc));
	if (!nc)
		return perr(p, "out of memory");
	p->conf->conns = nc;
	p->conn = &nc[p->conf->n_conns++];
	conn_defaults(p->conn);
	strcpy(p->conn->name, name);
	p->conn->line = p->line;
	return 0;
}

static int assignment(struct parser *p, char *s)
{
	char *eq = strchr(s, '='), *k, *v, *e;
	unsigned int i;

	if (!eq)
		return perr(p, "expected 'key = value'");
	*eq = '\0';
	k = s;
	e = eq;
	while (e > k && isspace((unsigned char)e[-1]))
		*--e = '\0';
	for (v = eq + 1; isspace((unsigned char)*v); v++)
		;
	if (!*k)
		return perr(p, "missing key before '='");
	if (!p->in_section)
		return perr(p, "'%s' outside of a section", k);
	for (i = 0; i < K_MAX; i++)
		if (!strcmp(keys[i].name, k))
			break;
	if (i == K_MAX || keys[i].global != !p->conn)
		return perr(p, "unknown key '%s' in %s", k,
			    p->conn ? "[conn]" : "[global]");
	if (p->seen[i])
		return perr(p, "duplicate key '%s'", k);
	p->seen[i] = 1;
	if (unquote(p, v))
		return -1;
	if (!*v && i != K_PSK)
		return perr(p, "missing value for '%s'", k);
	return keys[i].parse(p, v);
}

static void conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_LVL_INFO;
	strcpy(c->control, CONF_DEFAULT_CONTROL);
}

int conf_parse(const char *name, const char *text, struct conf *out,
	       char *err, size_t errlen)
{
	struct parser p = {
		.file = name, .err = err, .errlen = errlen,
	};
	struct conf c;
	const char *cur = text;
	char line[4096];

	conf_init(&c);
	p.conf = &c;
	while (*cur) {
		const char *nl = strchr(cur, '\n');
		size_t len = nl ? (size_t)(nl - cur) : strlen(cur);
		char *s, *e;

		p.line++;
		if (len >= sizeof(line)) {
			perr(&p, "line too long");
			goto fail;
		}
		memcpy(line, cur, len);
		line[len] = '\0';
		cur += len + (nl ? 1 : 0);

		for (s = line; isspace((unsigned char)*s); s++)
			;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[' ? section(&p, s) : assignment(&p, s))
			goto fail;
	}
	if (end_section(&p, p.line))
		goto fail;
	*out = c;
	return 0;
fail:
	conf_free(&c);
	return -1;
}

int conf_load(const char *path, struct conf *out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap > (1 << 20)) {
				snprintf(err, errlen, "%s: file too large", path);
				goto fail;
			}
			nb = realloc(buf, cap + 8192);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
			cap += 8192;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (!n)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		return -1;
	}
	r = conf_parse(path, buf, out, err, errlen);
	memset(buf, 0, len);	/* it may hold PSKs */
	free(buf);
	return r;
fail:
	fclose(f);
	free(buf);
	return -1;
}

void conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->n_conns; i++)
		memset(c->conns[i].psk, 0, sizeof(c->conns[i].psk));
	free(c->conns);
	c->conns = NULL;
	c->n_conns = 0;
}

const struct conf_conn *conf_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_conns; i++)
		if (!strcmp(c->conns[i].name, name))
			return &c->conns[i];
	return NULL;
}

const char *conf_id_str(const struct conf_id *id, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	switch (id->type) {
	case CONF_ID_ADDR:
		if (id->addr.ss_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)&id->addr)->sin6_addr,
				  a, sizeof(a));
		else
			inet_ntop(AF_INET,
				  &((const struct sockaddr_in *)&id->addr)->sin_addr,
				  a, sizeof(a));
		snprintf(buf, len, "%s", a);
		break;
	case CONF_ID_FQDN:
		snprintf(buf, len, "fqdn:%s", id->str);
		break;
	case CONF_ID_USER_FQDN:
		snprintf(buf, len, "user:%s", id->str);
		break;
	case CONF_ID_KEY_ID:
		snprintf(buf, len, "keyid:%s", id->str);
		break;
	}
	return buf;
}

const char *conf_prefix_str(const struct conf_prefix *pf, char *buf,
			    size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(pf->family, &pf->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, pf->plen);
	return buf;
}
