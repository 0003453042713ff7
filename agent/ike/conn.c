// SPDX-License-Identifier: GPL-2.0
/*
 * Connections: defaults and the small value parsers (IDs, selectors) the
 * config parser and the engine share, and the engine's list of
 * configured conns with its lookups (by name, by addresses).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "crypto/x509.h"
#include "ike/ikev1.h"

const char *ike_auth_name(unsigned int method)
{
	switch (method) {
	case IKE_AUTH_PSK:
		return "PSK (1)";
	case IKE_AUTH_RSA_SIG:
		return "RSA signature (3)";
	case IKE_AUTH_ECDSA_256:
		return "ECDSA-256 (9)";
	case IKE_AUTH_ECDSA_384:
		return "ECDSA-384 (10)";
	case IKE_AUTH_ECDSA_521:
		return "ECDSA-521 (11)";
	default:
		return "another method";
	}
}

enum ike_auth ike_auth_of_key(enum x509_key k)
{
	switch (k) {
	case X509_KEY_RSA:
		return IKE_AUTH_RSA_SIG;
	case X509_KEY_EC256:
		return IKE_AUTH_ECDSA_256;
	case X509_KEY_EC384:
		return IKE_AUTH_ECDSA_384;
	case X509_KEY_EC521:
		return IKE_AUTH_ECDSA_521;
	default:
		return IKE_AUTH_PSK;
	}
}

unsigned int ike_auth_prf(unsigned int method, unsigned int prf)
{
	switch (method) {
	case IKE_AUTH_ECDSA_256:
		return IKE_HASH_SHA256;
	case IKE_AUTH_ECDSA_384:
		return IKE_HASH_SHA384;
	case IKE_AUTH_ECDSA_521:
		return IKE_HASH_SHA512;
	default:
		return prf;
	}
}

void ike_conn_init(struct ike_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->auth = IKE_AUTH_PSK;
	c->mode = IKE_MODE_MAIN;
	c->ike_lifetime = 24 * 3600;
	c->lifetime = 3600;
	c->life_kbytes = 4608000;
	c->start = IKE_START_LISTEN;
	c->local_ts[0].family = AF_INET;
	c->remote_ts[0].family = AF_INET;
	c->n_local_ts = 1;
	c->n_remote_ts = 1;
	c->replay_window = 64;
	c->rexmit_ms = 1000;
	c->rexmit_tries = 5;
	c->dpd = true;
	c->dpd_delay = 30;
	c->dpd_timeout = 150;
	c->dpd_action = IKE_DPD_AUTO;
	c->natt = IKE_NATT_AUTO;
	c->keepalive = 20;
	c->rekey = true;
	c->rekey_margin = 540;
	c->rekey_fuzz = 100;
}

int ike_id_parse(const char *s, struct ike_id *id, char *err, size_t errlen)
{
	const char *v = NULL;
	size_t len;

	memset(id, 0, sizeof(*id));
	if (!strncmp(s, "fqdn:", 5)) {
		id->type = IKE_ID_FQDN;
		v = s + 5;
	} else if (!strncmp(s, "user:", 5)) {
		id->type = IKE_ID_USER_FQDN;
		v = s + 5;
	} else if (!strncmp(s, "keyid:", 6)) {
		id->type = IKE_ID_KEY_ID;
		v = s + 6;
	} else if (!strncmp(s, "dn:", 3) || !strncmp(s, "asn1dn:", 7)) {
		size_t dl;

		if (x509_dn_from_str(strchr(s, ':') + 1, id->data, &dl, err,
				     errlen))
			return -1;
		id->type = IKE_ID_DER_ASN1_DN;
		id->len = (uint16_t)dl;
		return 0;
	} else if (inet_pton(AF_INET, s, id->data) == 1) {
		id->type = IKE_ID_IPV4_ADDR;
		id->len = 4;
		return 0;
	} else if (inet_pton(AF_INET6, s, id->data) == 1) {
		id->type = IKE_ID_IPV6_ADDR;
		id->len = 16;
		return 0;
	} else {
		snprintf(err, errlen,
			 "bad ID '%s' (address, fqdn:NAME, user:A@B, "
			 "keyid:X or dn:CN=X,O=Y)", s);
		return -1;
	}
	len = strlen(v);
	if (!len || len > IKE_ID_MAX) {
		snprintf(err, errlen, "ID '%s': value empty or too long", s);
		return -1;
	}
	memcpy(id->data, v, len);
	id->len = (uint16_t)len;
	return 0;
}

/* "FIRST-LAST" in buf, a copy of s: kept as a prefix if it is one. */
static int ts_parse_range(const char *s, char *buf, struct ike_ts *ts,
			  char *err, size_t errlen)
{
	uint8_t first[16], last[16];
	char *dash = strchr(buf, '-');
	int family = AF_INET;

	*dash++ = 0;
	if (inet_pton(AF_INET, buf, first) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, buf, first) != 1) {
			snprintf(err, errlen, "bad selector address '%s'", buf);
			return -1;
		}
	}
	if (inet_pton(family, dash, last) != 1) {
		snprintf(err, errlen, "bad selector address '%s' in '%s' (a "
			 "range's ends are of one family)", dash, s);
		return -1;
	}
	if (ts_from_range(family, first, last, ts)) {
		snprintf(err, errlen, "selector range '%s' ends below its "
			 "start", s);
		return -1;
	}
	return 0;
}

int ike_ts_parse(const char *s, struct ike_ts *ts, char *err, size_t errlen)
{
	char buf[2 * INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long pl;
	int max;

	memset(ts, 0, sizeof(*ts));
	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "bad selector '%s'", s);
		return -1;
	}
	strcpy(buf, s);
	if (strchr(buf, '-'))
		return ts_parse_range(s, buf, ts, err, errlen);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(AF_INET, buf, ts->addr) == 1) {
		ts->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, ts->addr) == 1) {
		ts->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "bad selector address '%s'", buf);
		return -1;
	}
	pl = max;
	if (slash) {
		pl = strtol(slash, &end, 10);
		if (!*slash || *end || pl < 0 || pl > max) {
			snprintf(err, errlen, "bad prefix length in '%s'", s);
			return -1;
		}
	}
	ts->prefixlen = (uint8_t)pl;
	/* Host bits set would make the two ends disagree on the subnet. */
	{
		int i;

		for (i = 0; i < max / 8; i++) {
			int bits = (int)pl - i * 8;
			uint8_t mask = bits >= 8 ? 0xff :
				       bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

			if (ts->addr[i] & ~mask) {
				snprintf(err, errlen,
					 "selector '%s' has host bits set", s);
				return -1;
			}
		}
	}
	return 0;
}

int ike_ts_list_parse(const char *s, struct ike_ts *ts, int max, int *n,
		      char *err, size_t errlen)
{
	char item[2 * INET6_ADDRSTRLEN + 8];
	struct ike_ts t;
	const char *end;
	size_t len;
	int i;

	*n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		end = strchr(s, ',');
		len = end ? (size_t)(end - s) : strlen(s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (!len || len >= sizeof(item)) {
			snprintf(err, errlen, "%s selector in the list",
				 len ? "bad" : "empty");
			return -1;
		}
		memcpy(item, s, len);
		item[len] = 0;
		if (ike_ts_parse(item, &t, err, errlen))
			return -1;
		for (i = 0; i < *n; i++)
			if (ts_equal(&ts[i], &t)) {
				snprintf(err, errlen,
					 "selector '%s' listed twice", item);
				return -1;
			}
		if (*n == max) {
			snprintf(err, errlen, "more than %d selectors", max);
			return -1;
		}
		ts[(*n)++] = t;
		if (!end)
			return 0;
		s = end + 1;
	}
}

static bool has_family(const struct ike_ts *ts, int n, int family)
{
	int i;

	for (i = 0; i < n; i++)
		if (ts[i].family == family)
			return true;
	return false;
}

int ike_conn_ts_pairs(const struct ike_conn *c, struct ike_ts_pair *pairs,
		      char *err, size_t errlen)
{
	char b[IKE_TS_STRLEN];
	int i, j, n = 0;

	for (i = 0; i < c->n_local_ts; i++)
		if (!has_family(c->remote_ts, c->n_remote_ts,
				c->local_ts[i].family)) {
			snprintf(err, errlen, "local-ts %s has no remote-ts of "
				 "its address family",
				 ts_str(&c->local_ts[i], b, sizeof(b)));
			return -1;
		}
	for (j = 0; j < c->n_remote_ts; j++)
		if (!has_family(c->local_ts, c->n_local_ts,
				c->remote_ts[j].family)) {
			snprintf(err, errlen, "remote-ts %s has no local-ts of "
				 "its address family",
				 ts_str(&c->remote_ts[j], b, sizeof(b)));
			return -1;
		}
	for (i = 0; i < c->n_local_ts; i++)
		for (j = 0; j < c->n_remote_ts; j++) {
			if (c->local_ts[i].family != c->remote_ts[j].family)
				continue;
			if (n == IKE_MAX_TS_PAIRS) {
				snprintf(err, errlen, "more than %d selector "
					 "pairs", IKE_MAX_TS_PAIRS);
				return -1;
			}
			pairs[n].local = c->local_ts[i];
			pairs[n].remote = c->remote_ts[j];
			n++;
		}
	return n;
}

const char *ike_id_str(const struct ike_id *id, char *buf, size_t len)
{
	const char *pfx = "";

	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
		if (id->len == 4 && inet_ntop(AF_INET, id->data, buf,
					      (socklen_t)len))
			return buf;
		break;
	case IKE_ID_IPV6_ADDR:
		if (id->len == 16 && inet_ntop(AF_INET6, id->data, buf,
					       (socklen_t)len))
			return buf;
		break;
	case IKE_ID_FQDN:
		pfx = "fqdn:";
		goto text;
	case IKE_ID_USER_FQDN:
		pfx = "user:";
		goto text;
	case IKE_ID_DER_ASN1_DN: {
		size_t n = (size_t)snprintf(buf, len, "dn:");

		if (n < len)
			x509_dn_str(id->data, id->len, buf + n, len - n);
		return buf;
	}
	case IKE_ID_KEY_ID:
		pfx = "keyid:";
text:
		{
			size_t i, n = (size_t)snprintf(buf, len, "%s", pfx);

			/* Peer-supplied: print only what is printable. */
			for (i = 0; i < id->len && n + 1 < len; i++)
				buf[n++] = (id->data[i] >= 0x20 &&
					    id->data[i] < 0x7f) ?
					   (char)id->data[i] : '?';
			buf[n < len ? n : len - 1] = 0;
			return buf;
		}
	default:
		break;
	}
	snprintf(buf, len, "id-type-%u(%u bytes)", id->type, id->len);
	return buf;
}

const char *ike_addr_str(const struct sockaddr_storage *ss, char *buf,
			 size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

struct conn_ent *conn_find(struct ike_engine *e, const char *name)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next)
		if (!strcmp(c->c.name, name))
			return c;
	return NULL;
}

bool conn_addr_equal(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b, bool port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!port || x->sin_port == y->sin_port);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return !memcmp(&x->sin6_addr, &y->sin6_addr, 16) &&
		       (!port || x->sin6_port == y->sin6_port);
	}
	return false;
}

/* ID from config, or the address (RFC 2409: ID_IPV4_ADDR by default). */
void conn_id_or_addr(const struct ike_id *id,
		     const struct sockaddr_storage *ss,
		     uint8_t *type, const uint8_t **data, size_t *len)
{
	if (id->type != IKE_ID_NONE) {
		*type = id->type;
		*data = id->data;
		*len = id->len;
	} else if (ss->ss_family == AF_INET6) {
		*type = IKE_ID_IPV6_ADDR;
		*data = (const uint8_t *)
			&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		*len = 16;
	} else {
		*type = IKE_ID_IPV4_ADDR;
		*data = (const uint8_t *)
			&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		*len = 4;
	}
}

static bool remote_id_is(const struct ike_conn *c, const struct isakmp_id *id)
{
	const uint8_t *d;
	uint8_t type;
	size_t l;

	conn_id_or_addr(&c->remote_id, &c->remote, &type, &d, &l);
	return id->type == type && id->len == l && !memcmp(id->data, d, l);
}

/*
 * Aggressive Mode names the initiator in AM1, so the conn (and its PSK)
 * is picked by that ID: first a conn whose remote address matches too,
 * then one whose explicit remote-id matches from any address (a peer
 * behind a changing address). Without a remote-id the ID must be the
 * conn's remote address. A certificate conn at the peer's address takes
 * any ID here: its certificate, checked against that ID and remote-id
 * in AM3, decides.
 */
struct conn_ent *conn_by_id(struct ike_engine *e,
			    const struct sockaddr_storage *local,
			    const struct sockaddr_storage *remote,
			    const struct isakmp_id *id)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next)
		if (conn_addr_equal(&c->c.local, local, false) &&
		    conn_addr_equal(&c->c.remote, remote, false) &&
		    (ike_auth_sig(c->c.auth) || remote_id_is(&c->c, id)))
			return c;
	for (c = e->conns; c; c = c->next)
		if (conn_addr_equal(&c->c.local, local, false) &&
		    c->c.remote_id.type != IKE_ID_NONE &&
		    remote_id_is(&c->c, id))
			return c;
	return NULL;
}

/* PSK Main Mode can only pick the conn by addresses. */
struct conn_ent *conn_by_addr(struct ike_engine *e,
			      const struct sockaddr_storage *local,
			      const struct sockaddr_storage *remote)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next)
		if (conn_addr_equal(&c->c.remote, remote, false) &&
		    (!local || conn_addr_equal(&c->c.local, local, false)))
			return c;
	return NULL;
}

/* Appends a copy: the first matching conn wins for responders. */
int conn_add(struct ike_engine *e, const struct ike_conn *conn)
{
	struct conn_ent *c, **pp;
	char err[128];

	if (conn_find(e, conn->name))
		return -17;	/* EEXIST */
	c = calloc(1, sizeof(*c));
	if (!c)
		return -12;
	c->c = *conn;
	c->carrier = -1;
	c->n_pairs = ike_conn_ts_pairs(conn, c->pairs, err, sizeof(err));
	if (c->n_pairs <= 0) {
		free(c);
		return -22;	/* EINVAL: the config parser checks this */
	}
	if (cert_conn_load(c)) {
		free(c);
		return -22;	/* EINVAL */
	}
	for (pp = &e->conns; *pp; pp = &(*pp)->next)
		;
	*pp = c;
	return 0;
}

int conn_pair_of(const struct conn_ent *c, const struct ike_ts *local,
		 const struct ike_ts *remote)
{
	int i;

	for (i = 0; i < c->n_pairs; i++)
		if (ts_equal(&c->pairs[i].local, local) &&
		    ts_equal(&c->pairs[i].remote, remote))
			return i;
	return -1;
}

int conn_pair_within(const struct conn_ent *c, const struct ike_ts *local,
		     const struct ike_ts *remote)
{
	int i;

	for (i = 0; i < c->n_pairs; i++)
		if (ts_contains(&c->pairs[i].local, local) &&
		    ts_contains(&c->pairs[i].remote, remote))
			return i;
	return -1;
}

int conn_pair_inside(const struct conn_ent *c, const struct ike_ts *local,
		     const struct ike_ts *remote)
{
	int i;

	for (i = 0; i < c->n_pairs; i++)
		if (ts_contains(local, &c->pairs[i].local) &&
		    ts_contains(remote, &c->pairs[i].remote))
			return i;
	return -1;
}

bool conn_pair_carried(const struct conn_ent *c, int pair,
		       const struct ike_ts *local, const struct ike_ts *remote)
{
	const struct ike_ts_pair *tp = &c->pairs[pair];

	if (ts_equal(&tp->local, local) && ts_equal(&tp->remote, remote))
		return true;
	/*
	 * Narrower selectors a peer gave count for the first pair holding
	 * them, unless they are a pair of their own.
	 */
	return conn_pair_of(c, local, remote) < 0 &&
	       conn_pair_within(c, local, remote) == pair;
}

/* Unlinks and frees c, wiping its pre-shared key. */
void conn_free(struct ike_engine *e, struct conn_ent *c)
{
	struct conn_ent **pp;

	for (pp = &e->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	cert_conn_free(c);
	crypto_wipe(&c->c, sizeof(c->c));
	free(c);
}
