// SPDX-License-Identifier: GPL-2.0
/*
 * INI parser for esptund.conf. Line oriented: "[global]", "[conn NAME]",
 * "key = value", comments starting with '#' or ';' (also after a value,
 * when preceded by whitespace and not inside quotes). Every key is parsed
 * by its own function from one table, so the list of accepted keys and the
 * documentation stay in one place. Files are read by secret_file.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "crypto/prf.h"
#include "crypto/x509.h"
#include "ike/proposal.h"
#include "log.h"
#include "parse.h"
#include "profile.h"
#include "secret_file.h"

struct parser {
	const char *file;
	int line;
	char *err;
	size_t errlen;
	struct conf *conf;
	struct ike_conn *conn;	/* current [conn], NULL in [global] */
	int in_section;
	int global_line;
	/* Per section: line of each key given (0: not given). */
	int seen[64];
	/* Keys a profile set, not the user (a default, not a choice). */
	bool by_profile[64];
	/* [conn] values checked only when the whole section is known. */
	char ike[512], esp[512];
	/* The conn's profile = (profile.c), and the one being applied. */
	const struct profile *profile, *applying;
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
	if (p->applying)
		snprintf(p->err, p->errlen, "%s:%d: profile %s: %s", p->file,
			 p->line, p->applying->name, msg);
	else if (p->line)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->file, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	return -1;
}

/* An IKE peer's address, on UDP port 500 until NAT-T moves it. */
static int parse_endpoint(const char *s, struct sockaddr_storage *ss)
{
	struct ipaddr a;

	if (parse_addr(s, &a))
		return -1;
	addr_to_sockaddr(&a, 500, ss);
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

/*
 * Reads a secret file (psk-file, xauth-password-file): its first line,
 * trailing whitespace removed, into out (max bytes). what names the key.
 */
static int read_secret_file(struct parser *p, const char *what,
			    const char *path, uint8_t *out, size_t max,
			    size_t *out_len)
{
	struct secret_file f;
	char full[PATH_MAX];
	const char *why;
	size_t n;
	int r;

	if (path[0] != '/') {
		/* Relative to the directory of the configuration file. */
		const char *slash = strrchr(p->file, '/');
		int dl = slash ? (int)(slash - p->file) : 1;

		snprintf(full, sizeof(full), "%.*s/%s", dl,
			 slash ? p->file : ".", path);
	} else {
		snprintf(full, sizeof(full), "%s", path);
	}
	if (secret_file_read(full, true, &f, &why))
		return perr(p, "%s %s: %s", what, full, why);
	n = strcspn(f.text, "\n");
	while (n && isspace((unsigned char)f.text[n - 1]))
		n--;
	if (f.st.st_mode & S_IROTH)
		r = perr(p, "%s %s is world-readable (chmod o-r it)", what,
			 full);
	else if (n > max)
		r = perr(p, "%s %s: %s longer than %zu bytes", what, full,
			 strcmp(what, "psk-file") ? "password" : "key", max);
	else if (!n)
		r = perr(p, "%s %s is empty", what, full);
	else
		r = 0;
	if (!r) {
		memcpy(out, f.text, n);
		*out_len = n;
	}
	secret_file_free(&f);
	return r;
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
	K_ALLOW_WEAK, K_RETRANSMIT_TIMEOUT, K_RETRANSMIT_TRIES, K_KEYINGTRIES,
	K_DPD, K_DPD_DELAY, K_DPD_TIMEOUT, K_DPD_ACTION,
	/* Aggressive Mode */
	K_AGGRESSIVE,
	/* NAT traversal */
	K_NAT_T, K_KEEPALIVE,
	K_REKEY, K_REKEY_MARGIN, K_REKEY_FUZZ, K_LIFE_PACKETS,
	/* Certificates */
	K_CERT, K_KEY, K_CA,
	/* IKE fragmentation */
	K_FRAGMENTATION, K_FRAGMENT_SIZE,
	/* Vendor profiles */
	K_PROFILE,
	/* XAuth and Mode Config */
	K_XAUTH, K_XAUTH_USER, K_XAUTH_PASSWORD, K_XAUTH_PASSWORD_FILE,
	K_MODECFG,
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

	if (!*v || strlen(v) >= IKE_IFNAME_MAX)
		return perr(p, "invalid interface name '%s'", v);
	for (s = v; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return perr(p, "invalid interface name '%s'", v);
	strcpy(p->conn->ifname, v);
	return 0;
}

static int k_local(struct parser *p, const char *v)
{
	if (parse_endpoint(v, &p->conn->local))
		return BAD("address");
	return 0;
}

static int k_remote(struct parser *p, const char *v)
{
	if (parse_endpoint(v, &p->conn->remote))
		return BAD("address");
	return 0;
}

static int k_local_id(struct parser *p, const char *v)
{
	char e[CONF_ERR_MAX];

	if (ike_id_parse(v, &p->conn->local_id, e, sizeof(e)))
		return perr(p, "%s", e);
	return 0;
}

static int k_remote_id(struct parser *p, const char *v)
{
	char e[CONF_ERR_MAX];

	if (ike_id_parse(v, &p->conn->remote_id, e, sizeof(e)))
		return perr(p, "%s", e);
	return 0;
}

static int k_auth(struct parser *p, const char *v)
{
	if (!strcmp(v, "psk"))
		p->conn->auth = IKE_AUTH_PSK;
	else if (!strcmp(v, "rsa-sig") || !strcmp(v, "rsa"))
		p->conn->auth = IKE_AUTH_RSA_SIG;
	/* The key's curve picks 9, 10 or 11 when the files are loaded. */
	else if (!strcmp(v, "ecdsa-sig") || !strcmp(v, "ecdsa"))
		p->conn->auth = IKE_AUTH_ECDSA_256;
	else
		return perr(p, "unsupported auth '%s' (psk, rsa-sig or "
			    "ecdsa-sig)", v);
	return 0;
}

static int k_psk(struct parser *p, const char *v)
{
	size_t n = strlen(v);

	if (!n)
		return perr(p, "psk is empty");
	if (n > IKE_PSK_MAX)
		return perr(p, "psk longer than %d bytes", IKE_PSK_MAX);
	memcpy(p->conn->psk, v, n);
	p->conn->psk_len = n;
	if (!p->conf->psk_line)
		p->conf->psk_line = p->line;
	return 0;
}

static int k_psk_file(struct parser *p, const char *v)
{
	if (!*v)
		return perr(p, "psk-file is empty");
	return read_secret_file(p, "psk-file", v, p->conn->psk, IKE_PSK_MAX,
				&p->conn->psk_len);
}

static int k_mode(struct parser *p, const char *v)
{
	if (!strcmp(v, "main")) {
		p->conn->mode = IKE_MODE_MAIN;
		return 0;
	}
	if (!strcmp(v, "aggressive")) {
		p->conn->mode = IKE_MODE_AGGRESSIVE;
		return 0;
	}
	return perr(p, "invalid mode '%s' (main or aggressive)", v);
}

static int k_ike(struct parser *p, const char *v)
{
	char e[CONF_ERR_MAX];
	int n;

	n = ike_proposals_parse(v, p->conn->ike, IKE_MAX_PROPOSALS, e,
				sizeof(e));
	if (n < 0)
		return perr(p, "%s", e);
	p->conn->n_ike = n;
	return 0;
}

static int k_esp(struct parser *p, const char *v)
{
	char e[CONF_ERR_MAX];
	int n;

	n = esp_proposals_parse(v, p->conn->esp, IKE_MAX_PROPOSALS, e,
				sizeof(e));
	if (n < 0)
		return perr(p, "%s", e);
	p->conn->n_esp = n;
	return 0;
}

static int k_ike_lifetime(struct parser *p, const char *v)
{
	if (conf_parse_duration(v, &p->conn->ike_lifetime))
		return BAD("duration");
	return 0;
}

static int k_lifetime(struct parser *p, const char *v)
{
	if (conf_parse_duration(v, &p->conn->lifetime))
		return BAD("duration");
	return 0;
}

static int k_life_kbytes(struct parser *p, const char *v)
{
	/* 0 means no volume limit; the upper bound keeps bytes in 64 bits. */
	if (parse_dec(v, UINT64_MAX / 1024, &p->conn->life_kbytes))
		return BAD("number");
	return 0;
}

static int k_start(struct parser *p, const char *v)
{
	if (!strcmp(v, "initiate"))
		p->conn->start = IKE_START_INITIATE;
	else if (!strcmp(v, "listen"))
		p->conn->start = IKE_START_LISTEN;
	else if (!strcmp(v, "on-demand"))
		p->conn->start = IKE_START_ON_DEMAND;
	else
		return perr(p, "invalid start '%s' (initiate, listen or on-demand)",
			    v);
	return 0;
}

/* A list: parsed aside, so an error leaves the conn as it was. */
static int k_local_ts(struct parser *p, const char *v)
{
	struct ike_ts ts[IKE_MAX_TS];
	char e[CONF_ERR_MAX];
	int n;

	/* Unused slots zeroed: a reload compares conns byte for byte. */
	memset(ts, 0, sizeof(ts));
	if (ike_ts_list_parse(v, ts, IKE_MAX_TS, &n, e, sizeof(e)))
		return perr(p, "%s", e);
	memcpy(p->conn->local_ts, ts, sizeof(ts));
	p->conn->n_local_ts = n;
	return 0;
}

static int k_remote_ts(struct parser *p, const char *v)
{
	struct ike_ts ts[IKE_MAX_TS];
	char e[CONF_ERR_MAX];
	int n;

	/* Unused slots zeroed: a reload compares conns byte for byte. */
	memset(ts, 0, sizeof(ts));
	if (ike_ts_list_parse(v, ts, IKE_MAX_TS, &n, e, sizeof(e)))
		return perr(p, "%s", e);
	memcpy(p->conn->remote_ts, ts, sizeof(ts));
	p->conn->n_remote_ts = n;
	return 0;
}

static int k_replay_window(struct parser *p, const char *v)
{
	uint64_t w;

	/* The module's bitmap holds up to 4096 packets. */
	if (parse_dec(v, 4096, &w))
		return perr(p, "invalid replay-window '%s' (0 to 4096)", v);
	p->conn->replay_window = w;
	return 0;
}

static int k_allow_weak(struct parser *p, const char *v)
{
	int b;

	if (parse_bool(v, &b))
		return perr(p, "invalid boolean '%s' (yes or no)", v);
	p->conn->allow_weak = b;
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
	p->conn->rexmit_ms = ms;
	return 0;
}

static int k_retransmit_tries(struct parser *p, const char *v)
{
	uint64_t n;

	if (parse_dec(v, 20, &n))
		return perr(p, "invalid retransmit-tries '%s' (0 to 20)", v);
	p->conn->rexmit_tries = n;
	return 0;
}

static int k_keyingtries(struct parser *p, const char *v)
{
	uint64_t n;

	/* 0 would mean forever too: spell it out instead. */
	if (!strcmp(v, "forever")) {
		p->conn->keyingtries = 0;
		return 0;
	}
	if (parse_dec(v, 1000000, &n) || !n)
		return perr(p, "invalid keyingtries '%s' (forever or 1 to 1000000)",
			    v);
	p->conn->keyingtries = n;
	return 0;
}

/* ---- Dead Peer Detection ---- */

static int k_dpd(struct parser *p, const char *v)
{
	int b;

	if (parse_bool(v, &b))
		return perr(p, "invalid dpd '%s' (yes or no)", v);
	p->conn->dpd = b;
	return 0;
}

static int k_dpd_delay(struct parser *p, const char *v)
{
	if (conf_parse_duration(v, &p->conn->dpd_delay) ||
	    p->conn->dpd_delay > 86400)
		return perr(p, "invalid dpd-delay '%s' (1s to 1d)", v);
	return 0;
}

static int k_dpd_timeout(struct parser *p, const char *v)
{
	if (conf_parse_duration(v, &p->conn->dpd_timeout) ||
	    p->conn->dpd_timeout > 86400)
		return perr(p, "invalid dpd-timeout '%s' (1s to 1d)", v);
	return 0;
}

static int k_dpd_action(struct parser *p, const char *v)
{
	if (!strcmp(v, "clear"))
		p->conn->dpd_action = IKE_DPD_CLEAR;
	else if (!strcmp(v, "restart"))
		p->conn->dpd_action = IKE_DPD_RESTART;
	else if (!strcmp(v, "hold"))
		p->conn->dpd_action = IKE_DPD_HOLD;
	else
		return perr(p, "invalid dpd-action '%s' (clear, restart or hold)",
			    v);
	return 0;
}

/* ---- Aggressive Mode keys (mode = aggressive is K_MODE) ---- */

static int k_aggressive(struct parser *p, const char *v)
{
	int b;

	if (parse_bool(v, &b))
		return perr(p, "invalid boolean '%s' (yes or no)", v);
	p->conn->aggressive = b;
	return 0;
}

/*
 * AM1 carries the KE for one DH group, so every ike proposal must use
 * it; mode = aggressive says yes to answering AM, aggressive = no cannot
 * take that back.
 */
static int aggressive_finish(struct parser *p)
{
	struct ike_conn *c = p->conn;
	int i;

	if (c->mode != IKE_MODE_AGGRESSIVE)
		return 0;
	if (p->seen[K_AGGRESSIVE] && !c->aggressive) {
		p->line = p->seen[K_AGGRESSIVE];
		return perr(p, "conn '%s': aggressive = no contradicts mode = aggressive",
			    c->name);
	}
	c->aggressive = true;
	for (i = 1; i < c->n_ike; i++) {
		if (c->ike[i].group == c->ike[0].group)
			continue;
		if (p->seen[K_IKE])
			p->line = p->seen[K_IKE];
		return perr(p, "conn '%s': Aggressive Mode proposes only one DH group, ike = lists %s and %s (AM1 carries the key exchange for a single group)",
			    c->name, ike_group_name(c->ike[0].group),
			    ike_group_name(c->ike[i].group));
	}
	return 0;
}

/* ---- NAT traversal keys ---- */

static int k_nat_t(struct parser *p, const char *v)
{
	if (!strcmp(v, "auto"))
		p->conn->natt = IKE_NATT_AUTO;
	else if (!strcmp(v, "force"))
		p->conn->natt = IKE_NATT_FORCE;
	else if (!strcmp(v, "no"))
		p->conn->natt = IKE_NATT_NO;
	else if (!strcmp(v, "auto-force"))
		p->conn->natt = IKE_NATT_AUTO_FORCE;
	else
		return perr(p, "invalid nat-t '%s' (auto, force, auto-force or no)",
			    v);
	return 0;
}

/* ---- IKE fragmentation (fragment.c) ---- */

static int k_fragmentation(struct parser *p, const char *v)
{
	if (!strcmp(v, "yes"))
		p->conn->frag = IKE_FRAG_YES;
	else if (!strcmp(v, "force"))
		p->conn->frag = IKE_FRAG_FORCE;
	else if (!strcmp(v, "no"))
		p->conn->frag = IKE_FRAG_NO;
	else
		return perr(p, "invalid fragmentation '%s' (yes, force or no)",
			    v);
	return 0;
}

static int k_fragment_size(struct parser *p, const char *v)
{
	uint64_t n;

	/*
	 * Whole datagrams, IP header included: below 576 no IPv4 host
	 * must accept, and a piece must still carry a useful slice.
	 */
	if (parse_dec(v, 65535, &n) || n < 576)
		return perr(p, "invalid fragment-size '%s' (576 to 65535 bytes)",
			    v);
	p->conn->frag_size = (uint32_t)n;
	return 0;
}

static int k_keepalive(struct parser *p, const char *v)
{
	uint32_t s;

	/* A NAT forgets a UDP mapping after 30 s or more: an hour is plenty. */
	if (!strcmp(v, "no")) {
		p->conn->keepalive = 0;
		return 0;
	}
	if (conf_parse_duration(v, &s) || s > 3600)
		return perr(p, "invalid keepalive '%s' (no, or 1s to 1h)", v);
	p->conn->keepalive = s;
	return 0;
}

/* ---- rekeying ---- */

static int k_rekey(struct parser *p, const char *v)
{
	int b;

	if (parse_bool(v, &b))
		return perr(p, "invalid rekey '%s' (yes or no)", v);
	p->conn->rekey = b;
	return 0;
}

static int k_rekey_margin(struct parser *p, const char *v)
{
	if (conf_parse_duration(v, &p->conn->rekey_margin))
		return BAD("duration");
	return 0;
}

static int k_rekey_fuzz(struct parser *p, const char *v)
{
	uint64_t n;
	size_t len = strlen(v);
	char num[16];

	/* "50%" or "50"; more than 100 % could rekey before half-life. */
	if (len && v[len - 1] == '%')
		len--;
	if (!len || len >= sizeof(num))
		return perr(p, "invalid rekey-fuzz '%s' (0%% to 100%%)", v);
	memcpy(num, v, len);
	num[len] = 0;
	if (parse_dec(num, 100, &n))
		return perr(p, "invalid rekey-fuzz '%s' (0%% to 100%%)", v);
	p->conn->rekey_fuzz = n;
	return 0;
}

static int k_life_packets(struct parser *p, const char *v)
{
	/* 0 means no packet limit. */
	if (parse_dec(v, UINT64_MAX, &p->conn->life_packets))
		return BAD("number");
	return 0;
}

/* ---- certificate keys ---- */

/* A file named relative to the configuration file's directory. */
static int cert_path(struct parser *p, const char *what, const char *v,
		     char *out)
{
	const char *slash = strrchr(p->file, '/');
	int n;

	if (!*v)
		return perr(p, "%s is empty", what);
	if (v[0] == '/')
		n = snprintf(out, IKE_PATH_MAX, "%s", v);
	else
		n = snprintf(out, IKE_PATH_MAX, "%.*s/%s",
			     slash ? (int)(slash - p->file) : 1,
			     slash ? p->file : ".", v);
	if (n < 0 || n >= IKE_PATH_MAX)
		return perr(p, "%s path longer than %d bytes", what,
			    IKE_PATH_MAX - 1);
	return 0;
}

static int k_cert(struct parser *p, const char *v)
{
	return cert_path(p, "cert", v, p->conn->cert);
}

static int k_key(struct parser *p, const char *v)
{
	return cert_path(p, "key", v, p->conn->key);
}

static int k_ca(struct parser *p, const char *v)
{
	return cert_path(p, "ca", v, p->conn->ca);
}

/* ---- XAuth and Mode Config (client side) ---- */

static int k_xauth(struct parser *p, const char *v)
{
	if (!strcmp(v, "client"))
		p->conn->xauth = true;
	else if (!strcmp(v, "no"))
		p->conn->xauth = false;
	else
		return perr(p, "invalid xauth '%s' (client or no)", v);
	return 0;
}

static int k_xauth_user(struct parser *p, const char *v)
{
	size_t n = strlen(v);

	if (!n)
		return perr(p, "xauth-user is empty");
	if (n > IKE_XAUTH_MAX)
		return perr(p, "xauth-user longer than %d bytes",
			    IKE_XAUTH_MAX);
	memcpy(p->conn->xauth_user, v, n + 1);
	return 0;
}

static int k_xauth_password(struct parser *p, const char *v)
{
	size_t n = strlen(v);

	if (!n)
		return perr(p, "xauth-password is empty");
	if (n > IKE_XAUTH_MAX)
		return perr(p, "xauth-password longer than %d bytes",
			    IKE_XAUTH_MAX);
	memcpy(p->conn->xauth_pass, v, n + 1);
	if (!p->conf->xauth_pass_line)
		p->conf->xauth_pass_line = p->line;
	return 0;
}

static int k_xauth_password_file(struct parser *p, const char *v)
{
	size_t n;

	if (!*v)
		return perr(p, "xauth-password-file is empty");
	if (read_secret_file(p, "xauth-password-file", v,
			     (uint8_t *)p->conn->xauth_pass, IKE_XAUTH_MAX,
			     &n))
		return -1;
	p->conn->xauth_pass[n] = 0;
	if (memchr(p->conn->xauth_pass, 0, n))
		return perr(p, "xauth-password-file %s: NUL byte in the password",
			    v);
	return 0;
}

static int k_modecfg(struct parser *p, const char *v)
{
	if (!strcmp(v, "pull"))
		p->conn->modecfg = true;
	else if (!strcmp(v, "no"))
		p->conn->modecfg = false;
	else
		return perr(p, "invalid modecfg '%s' (pull or no)", v);
	return 0;
}

/*
 * xauth = client wants a user and one password; the XAuth keys mean
 * nothing without it. Mode Config asks for an IPv4 address: without
 * local-ts the address becomes the local selector.
 */
static int xauth_finish(struct parser *p)
{
	struct ike_conn *c = p->conn;
	int l;

	if (!c->xauth) {
		l = p->seen[K_XAUTH_USER] ? p->seen[K_XAUTH_USER] :
		    p->seen[K_XAUTH_PASSWORD] ? p->seen[K_XAUTH_PASSWORD] :
		    p->seen[K_XAUTH_PASSWORD_FILE];
		if (l) {
			p->line = l;
			return perr(p, "conn '%s': xauth-user and xauth-password are for xauth = client",
				    c->name);
		}
	} else {
		if (p->seen[K_XAUTH_PASSWORD] &&
		    p->seen[K_XAUTH_PASSWORD_FILE]) {
			p->line = p->seen[K_XAUTH_PASSWORD] >
				  p->seen[K_XAUTH_PASSWORD_FILE] ?
				  p->seen[K_XAUTH_PASSWORD] :
				  p->seen[K_XAUTH_PASSWORD_FILE];
			return perr(p, "conn '%s': xauth-password and xauth-password-file are exclusive",
				    c->name);
		}
		if (!p->seen[K_XAUTH_USER])
			return perr(p, "conn '%s': xauth = client needs xauth-user",
				    c->name);
		if (!p->seen[K_XAUTH_PASSWORD] &&
		    !p->seen[K_XAUTH_PASSWORD_FILE])
			return perr(p, "conn '%s': xauth = client needs xauth-password or xauth-password-file",
				    c->name);
	}
	if (c->modecfg) {
		if (c->local.ss_family != AF_INET) {
			p->line = p->seen[K_MODECFG];
			return perr(p, "conn '%s': modecfg = pull asks for an IPv4 address: local and remote must be IPv4",
				    c->name);
		}
		/* A profile's 0.0.0.0/0 yields to the assigned address. */
		c->modecfg_ts = !p->seen[K_LOCAL_TS] ||
				p->by_profile[K_LOCAL_TS];
	}
	return 0;
}

/* ecdsa-sig with a P-384 key is method 10: the key picks it. */
static int key_method(struct parser *p, const struct x509_creds *cr)
{
	struct ike_conn *c = p->conn;
	enum x509_key k = x509_own_key(cr);
	bool ecdsa = ike_auth_ecdsa(c->auth);
	int i;

	if (ecdsa != (k != X509_KEY_RSA)) {
		p->line = p->seen[K_KEY];
		return perr(p, "conn '%s': key %s is an %s key; auth = %s "
			    "wants %s", c->name, c->key, x509_key_name(k),
			    ecdsa ? "ecdsa-sig" : "rsa-sig",
			    ecdsa ? "ECDSA on P-256, P-384 or P-521" :
			    "RSA (auth = ecdsa-sig for ECDSA)");
	}
	c->auth = ike_auth_of_key(k);
	if (ecdsa && (c->xauth || c->xauth_server)) {
		p->line = p->seen[K_XAUTH] ? p->seen[K_XAUTH] : p->line;
		return perr(p, "conn '%s': xauth works with auth = psk or "
			    "rsa-sig (IKEv1 has no XAuth method for ECDSA)",
			    c->name);
	}
	for (i = 0; ecdsa && i < c->n_ike; i++)
		if (c->ike[i].hash == IKE_HASH_MD5) {
			p->line = p->seen[K_IKE] ? p->seen[K_IKE] : p->line;
			return perr(p, "conn '%s': auth = ecdsa-sig takes "
				    "no md5 in ike =", c->name);
		}
	return 0;
}

/*
 * auth = rsa-sig and ecdsa-sig want cert, key and ca and no PSK; the
 * files are loaded here once so that a bad one is reported at its line.
 */
static int cert_finish(struct parser *p)
{
	struct ike_conn *c = p->conn;
	const char *name = ike_auth_ecdsa(c->auth) ? "ecdsa-sig" : "rsa-sig";
	struct x509_creds *cr;
	char e[CONF_ERR_MAX];
	int rc;

	if (!ike_auth_sig(c->auth)) {
		int l = p->seen[K_CERT] ? p->seen[K_CERT] :
			p->seen[K_KEY] ? p->seen[K_KEY] : p->seen[K_CA];

		if (!l)
			return 0;
		p->line = l;
		return perr(p, "conn '%s': cert, key and ca are for auth = "
			    "rsa-sig or ecdsa-sig", c->name);
	}
	if (p->seen[K_PSK] || p->seen[K_PSK_FILE]) {
		p->line = p->seen[K_PSK] ? p->seen[K_PSK] : p->seen[K_PSK_FILE];
		return perr(p, "conn '%s': psk and psk-file are for auth = psk",
			    c->name);
	}
	if (!p->seen[K_CERT] || !p->seen[K_KEY] || !p->seen[K_CA])
		return perr(p, "conn '%s': auth = %s needs cert, key and ca",
			    c->name, name);
	cr = x509_creds_load(c->cert, c->key, c->ca, e, sizeof(e));
	if (!cr) {
		p->line = !strncmp(e, "cert ", 5) ? p->seen[K_CERT] :
			  !strncmp(e, "ca ", 3) ? p->seen[K_CA] :
			  p->seen[K_KEY];
		return perr(p, "conn '%s': %s", c->name, e);
	}
	rc = key_method(p, cr);
	x509_creds_free(cr);
	return rc;
}

/* ---- vendor profiles (lib/profile.c), applied by profile_apply() ---- */

static int k_profile(struct parser *p, const char *v)
{
	char names[256];

	p->profile = profile_find(v);
	if (!p->profile)
		return perr(p, "unknown profile '%s' (%s)", v,
			    profile_names(names, sizeof(names)));
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
	[K_KEYINGTRIES] = { "keyingtries", 0, k_keyingtries },
	[K_DPD] = { "dpd", 0, k_dpd },
	[K_DPD_DELAY] = { "dpd-delay", 0, k_dpd_delay },
	[K_DPD_TIMEOUT] = { "dpd-timeout", 0, k_dpd_timeout },
	[K_DPD_ACTION] = { "dpd-action", 0, k_dpd_action },
	/* Aggressive Mode */
	[K_AGGRESSIVE] = { "aggressive", 0, k_aggressive },
	/* NAT traversal */
	[K_NAT_T] = { "nat-t", 0, k_nat_t },
	[K_KEEPALIVE] = { "keepalive", 0, k_keepalive },
	[K_REKEY] = { "rekey", 0, k_rekey },
	[K_REKEY_MARGIN] = { "rekey-margin", 0, k_rekey_margin },
	[K_REKEY_FUZZ] = { "rekey-fuzz", 0, k_rekey_fuzz },
	[K_LIFE_PACKETS] = { "life-packets", 0, k_life_packets },
	/* Certificates */
	[K_CERT] = { "cert", 0, k_cert },
	[K_KEY] = { "key", 0, k_key },
	[K_CA] = { "ca", 0, k_ca },
	/* IKE fragmentation */
	[K_FRAGMENTATION] = { "fragmentation", 0, k_fragmentation },
	[K_FRAGMENT_SIZE] = { "fragment-size", 0, k_fragment_size },
	/* Vendor profiles */
	[K_PROFILE] = { "profile", 0, k_profile },
	/* XAuth and Mode Config */
	[K_XAUTH] = { "xauth", 0, k_xauth },
	[K_XAUTH_USER] = { "xauth-user", 0, k_xauth_user },
	[K_XAUTH_PASSWORD] = { "xauth-password", 0, k_xauth_password },
	[K_XAUTH_PASSWORD_FILE] = { "xauth-password-file", 0,
				    k_xauth_password_file },
	[K_MODECFG] = { "modecfg", 0, k_modecfg },
};

/*
 * A profile's lines go through the same handlers as the user's, for the
 * keys the conn does not set itself, whatever their order in the file.
 * They count as given at the profile = line, so later checks (weak
 * proposals, selector families, Aggressive Mode's one group) point there.
 */
static int profile_apply(struct parser *p)
{
	const struct profile *pr = p->profile;
	char line[256], *eq, *k, *v;
	int at = p->seen[K_PROFILE], r = 0;
	size_t i, j;

	if (!pr)
		return 0;
	p->line = at;
	p->applying = pr;
	for (i = 0; pr->lines[i]; i++) {
		snprintf(line, sizeof(line), "%s", pr->lines[i]);
		eq = strstr(line, " = ");
		if (!eq) {
			r = perr(p, "malformed line '%s'", pr->lines[i]);
			break;
		}
		*eq = '\0';
		k = line;
		v = eq + 3;
		for (j = 0; j < K_MAX; j++)
			if (!strcmp(keys[j].name, k))
				break;
		if (j == K_MAX || keys[j].global || j == K_PROFILE) {
			r = perr(p, "unknown key '%s'", k);
			break;
		}
		if (p->seen[j])
			continue;
		p->seen[j] = at;
		p->by_profile[j] = true;
		r = keys[j].parse(p, v);
		if (r)
			break;
	}
	p->applying = NULL;
	return r;
}

static void conn_defaults(struct ike_conn *c)
{
	char e[CONF_ERR_MAX];

	ike_conn_init(c);
	/* Default proposals; both parse, so errors are impossible. */
	c->n_ike = ike_proposals_parse("aes256-sha256-modp2048,aes128-sha1-modp2048",
				       c->ike, IKE_MAX_PROPOSALS, e, sizeof(e));
	c->n_esp = esp_proposals_parse("aes256gcm16-modp2048,aes256-sha256",
				       c->esp, IKE_MAX_PROPOSALS, e, sizeof(e));
}

static int addr_family(const struct sockaddr_storage *ss)
{
	return ss->ss_family;
}

/* Checks a finished [conn] section; p->line points at its header. */
static int conn_finish(struct parser *p)
{
	struct ike_ts_pair pairs[IKE_MAX_TS_PAIRS];
	struct ike_conn *c = p->conn;
	char e[CONF_ERR_MAX];
	size_t i;

	if (profile_apply(p))
		return -1;
	p->line = p->conf->lines[p->conf->n_conns - 1];
	if (!p->seen[K_INTERFACE])
		return perr(p, "conn '%s': missing interface", c->name);
	if (!p->seen[K_LOCAL])
		return perr(p, "conn '%s': missing local", c->name);
	if (!p->seen[K_REMOTE])
		return perr(p, "conn '%s': missing remote", c->name);
	if (addr_family(&c->local) != addr_family(&c->remote))
		return perr(p, "conn '%s': local and remote are of different address families",
			    c->name);
	if (cert_finish(p))
		return -1;
	if (c->auth == IKE_AUTH_PSK && !p->seen[K_PSK] && !p->seen[K_PSK_FILE])
		return perr(p, "conn '%s': missing psk or psk-file", c->name);
	if (p->seen[K_PSK] && p->seen[K_PSK_FILE])
		return perr(p, "conn '%s': psk and psk-file are exclusive",
			    c->name);
	if (ike_conn_ts_pairs(c, pairs, e, sizeof(e)) < 0) {
		/* The later of the two keys completes the mismatch. */
		if (p->seen[K_LOCAL_TS] || p->seen[K_REMOTE_TS])
			p->line = p->seen[K_LOCAL_TS] > p->seen[K_REMOTE_TS] ?
				  p->seen[K_LOCAL_TS] : p->seen[K_REMOTE_TS];
		return perr(p, "conn '%s': %s", c->name, e);
	}
	/* Weakness depends on allow-weak, known only at the end. */
	if (ike_proposals_check(c->ike, c->n_ike, c->allow_weak, e,
				sizeof(e))) {
		if (p->seen[K_IKE])
			p->line = p->seen[K_IKE];
		return perr(p, "%s", e);
	}
	if (esp_proposals_check(c->esp, c->n_esp, c->allow_weak, e,
				sizeof(e))) {
		if (p->seen[K_ESP])
			p->line = p->seen[K_ESP];
		return perr(p, "%s", e);
	}
	if (aggressive_finish(p))
		return -1;
	if (xauth_finish(p))
		return -1;
	/* One conn per interface: the device has one pair of endpoints. */
	for (i = 0; i + 1 < p->conf->n_conns; i++)
		if (!strcmp(p->conf->conns[i].ifname, c->ifname))
			return perr(p, "conn '%s': interface %s is already used by conn '%s'",
				    c->name, c->ifname,
				    p->conf->conns[i].name);
	return 0;
}

static int end_section(struct parser *p, int next_line)
{
	int save = p->line, r = 0;

	if (p->conn) {
		p->line = p->conf->lines[p->conf->n_conns - 1];
		r = conn_finish(p);
		p->line = save;
	}
	(void)next_line;
	p->conn = NULL;
	p->profile = NULL;
	memset(p->seen, 0, sizeof(p->seen));
	memset(p->by_profile, 0, sizeof(p->by_profile));
	return r;
}

static int valid_conn_name(const char *s)
{
	if (!*s || strlen(s) >= IKE_CONN_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

static int section(struct parser *p, char *s)
{
	char *end = strchr(s, ']'), *name;
	struct ike_conn *nc;
	int *nl;
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
			    name, IKE_CONN_NAME_MAX - 1);
	for (i = 0; i < p->conf->n_conns; i++)
		if (!strcmp(p->conf->conns[i].name, name))
			return perr(p, "duplicate conn '%s' (first at line %d)",
				    name, p->conf->lines[i]);
	nc = realloc(p->conf->conns, (p->conf->n_conns + 1) * sizeof(*nc));
	if (!nc)
		return perr(p, "out of memory");
	p->conf->conns = nc;
	nl = realloc(p->conf->lines, (p->conf->n_conns + 1) * sizeof(*nl));
	if (!nl)
		return perr(p, "out of memory");
	p->conf->lines = nl;
	nl[p->conf->n_conns] = p->line;
	p->conn = &nc[p->conf->n_conns++];
	conn_defaults(p->conn);
	strcpy(p->conn->name, name);
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
	p->seen[i] = p->line;
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
	crypto_wipe(line, sizeof(line));
	*out = c;
	return 0;
fail:
	crypto_wipe(line, sizeof(line));
	conf_free(&c);
	return -1;
}

int conf_load(const char *path, struct conf *out, char *err, size_t errlen)
{
	struct secret_file f;
	const char *why;
	struct conf c;
	int r;

	if (secret_file_read(path, false, &f, &why)) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	r = conf_parse(path, f.text, &c, err, errlen);
	if (!r && c.psk_line && (f.st.st_mode & S_IROTH)) {
		snprintf(err, errlen,
			 "%s:%d: psk in a world-readable file (chmod o-r it, or use psk-file)",
			 path, c.psk_line);
		conf_free(&c);
		r = -1;
	} else if (!r && c.xauth_pass_line && (f.st.st_mode & S_IROTH)) {
		snprintf(err, errlen,
			 "%s:%d: xauth-password in a world-readable file (chmod o-r it, or use xauth-password-file)",
			 path, c.xauth_pass_line);
		conf_free(&c);
		r = -1;
	}
	secret_file_free(&f);
	if (!r)
		*out = c;
	return r;
}

void conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->n_conns; i++) {
		crypto_wipe(c->conns[i].psk, sizeof(c->conns[i].psk));
		crypto_wipe(c->conns[i].xauth_pass,
			    sizeof(c->conns[i].xauth_pass));
	}
	free(c->conns);
	free(c->lines);
	c->conns = NULL;
	c->lines = NULL;
	c->n_conns = 0;
}

const struct ike_conn *conf_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_conns; i++)
		if (!strcmp(c->conns[i].name, name))
			return &c->conns[i];
	return NULL;
}
