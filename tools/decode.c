// SPDX-License-Identifier: GPL-2.0
/*
 * esptun decode FILE [-j] [--keys FILE]: every ISAKMP message of a
 * capture, grouped by cookie pair and labelled with its place in the
 * exchange (MM1..MM6, AM1..AM3, QM1..QM3, INFO, retransmissions), who
 * sent it and what it carries; then ESP per SPI and direction.
 *
 * Packets are read once, in capture order, because decryption has to
 * follow the CBC chain as the peers did. Each group's lines are kept in
 * memory and printed group after group at the end, once what concerns a
 * whole group (roles, concurrent negotiations) is known.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "subcommands.h"
#include "util.h"

#define DECODE_USAGE	"esptun decode FILE [-j] [--keys KEYFILE]"
#define NATT_PORT	4500
#define IKE_PORT	500

/* A distinct message of a group, for telling retransmissions apart. */
struct rec {
	uint8_t *raw;
	size_t len;
	char label[32];
};

/* A Quick Mode or informational exchange: one Message ID. */
struct qm {
	uint32_t msgid;
	uint8_t exch;
	bool from_init;			/* who sent its first message */
	int n_init, n_resp;		/* distinct messages each way */
	int64_t t0, t1;
};

struct spi_note {
	uint32_t spi;
	struct cap_addr dst;		/* who receives with it */
	char text[128];
};

struct group {
	uint8_t icookie[8], rcookie[8];
	bool have_rcookie;
	bool roles_known;
	struct cap_addr init, resp;
	uint8_t p1_exch;
	int64_t p1_t0, p1_t1;
	bool p1_seen;
	struct rec *recs;
	size_t n_recs;
	struct qm *qms;
	size_t n_qms;
	struct dec_crypt crypt;
	struct dec_frags frags;
	/* This group's output so far (text lines, or JSON array members). */
	FILE *out;
	char *buf;
	size_t buflen;
	struct json j;
	size_t n_msgs;
};

struct decoder {
	const char *name;
	const struct dec_keytab *keys;
	bool json;
	struct group **groups;
	size_t n_groups;
	struct esp_tab esp;
	struct spi_note *spis;
	size_t n_spis;
	int64_t t_first;
	bool have_t;
	uint64_t n_isakmp, n_esp, n_keepalive, n_ikev2;
	/* Notes on frames we could not decode (fragments, truncation). */
	FILE *notes;
	char *notes_buf;
	size_t notes_len;
	size_t n_notes;
	struct json notes_j;
	bool oom;
	/* Pieces of the message being decoded (0: it came whole). */
	int pieces;
};

static void ck_str(const uint8_t *ic, const uint8_t *rc, char *buf,
		   size_t len)
{
	char a[17], b[17];

	dec_hex(ic, 8, a, sizeof(a));
	dec_hex(rc, 8, b, sizeof(b));
	snprintf(buf, len, "%s:%s", a, b);
}

static void note(struct decoder *d, const struct cap_pkt *p, const char *what)
{
	char s[64], t[64];

	if (!d->notes)
		return;
	cap_addr_str(&p->src, s, sizeof(s));
	cap_addr_str(&p->dst, t, sizeof(t));
	d->n_notes++;
	if (d->json) {
		json_obj_open(&d->notes_j, NULL);
		json_u64(&d->notes_j, "frame", p->frame);
		json_str(&d->notes_j, "src", s);
		json_str(&d->notes_j, "dst", t);
		json_str(&d->notes_j, "note", what);
		json_obj_close(&d->notes_j);
	} else {
		fprintf(d->notes, "  frame %llu %s -> %s: %s\n",
			(unsigned long long)p->frame, s, t, what);
	}
}

static struct group *group_find(struct decoder *d, const struct isakmp_hdr *h)
{
	static const uint8_t zero[8];
	struct group *g, **ng;
	size_t i;

	for (i = 0; i < d->n_groups; i++) {
		g = d->groups[i];
		if (memcmp(g->icookie, h->icookie, 8))
			continue;
		/* MM1 (and its retransmissions) has no responder cookie yet. */
		if (!memcmp(h->rcookie, zero, 8) || !g->have_rcookie ||
		    !memcmp(g->rcookie, h->rcookie, 8))
			return g;
	}
	g = calloc(1, sizeof(*g));
	ng = g ? realloc(d->groups, (d->n_groups + 1) * sizeof(*ng)) : NULL;
	if (!ng) {
		free(g);
		return NULL;
	}
	d->groups = ng;
	memcpy(g->icookie, h->icookie, 8);
	g->out = open_memstream(&g->buf, &g->buflen);
	if (!g->out) {
		free(g);
		return NULL;
	}
	json_init(&g->j, g->out);
	g->crypt.key = dec_keys_find(d->keys, h->icookie);
	d->groups[d->n_groups++] = g;
	return g;
}

static struct rec *rec_find(struct group *g, const uint8_t *raw, size_t len)
{
	size_t i;

	for (i = 0; i < g->n_recs; i++)
		if (g->recs[i].len == len && !memcmp(g->recs[i].raw, raw, len))
			return &g->recs[i];
	return NULL;
}

static void rec_add(struct group *g, const uint8_t *raw, size_t len,
		    const char *label)
{
	struct rec *n = realloc(g->recs, (g->n_recs + 1) * sizeof(*n));

	if (!n)
		return;
	g->recs = n;
	n = &g->recs[g->n_recs];
	n->raw = malloc(len);
	if (!n->raw)
		return;
	memcpy(n->raw, raw, len);
	n->len = len;
	snprintf(n->label, sizeof(n->label), "%s", label);
	g->n_recs++;
}

static struct qm *qm_find(struct group *g, uint32_t msgid, uint8_t exch,
			  bool from_init, int64_t t)
{
	struct qm *q;
	size_t i;

	for (i = 0; i < g->n_qms; i++)
		if (g->qms[i].msgid == msgid) {
			g->qms[i].t1 = t;
			return &g->qms[i];
		}
	q = realloc(g->qms, (g->n_qms + 1) * sizeof(*q));
	if (!q)
		return NULL;
	g->qms = q;
	q = &g->qms[g->n_qms++];
	memset(q, 0, sizeof(*q));
	q->msgid = msgid;
	q->exch = exch;
	q->from_init = from_init;
	q->t0 = q->t1 = t;
	return q;
}

/* The place of a new (not repeated) message in its exchange. */
static void label_of(struct group *g, const struct isakmp_hdr *h,
		     const struct dec_facts *fx, bool from_init, bool enc,
		     int64_t t, char *label, size_t len)
{
	const char *p;
	struct qm *q;

	switch (h->exch) {
	case ISAKMP_XCHG_IDPROT:
		if (!enc && fx->sa)
			p = from_init ? "MM1" : "MM2";
		else if (!enc && fx->ke)
			p = from_init ? "MM3" : "MM4";
		else
			p = from_init ? "MM5" : "MM6";
		snprintf(label, len, "%s", p);
		return;
	case ISAKMP_XCHG_AGGR:
		if (!from_init)
			p = "AM2";
		else if (!enc && fx->sa)
			p = "AM1";
		else
			p = "AM3";
		snprintf(label, len, "%s", p);
		return;
	case ISAKMP_XCHG_QUICK:
		q = qm_find(g, h->msgid, h->exch, from_init, t);
		if (!q) {
			snprintf(label, len, "QM");
			return;
		}
		if (from_init == q->from_init) {
			snprintf(label, len, "%s", q->n_init++ ? "QM3" : "QM1");
		} else {
			snprintf(label, len, "%s", q->n_resp++ ? "QM2 again" :
				 "QM2");
		}
		return;
	case ISAKMP_XCHG_INFO:
		qm_find(g, h->msgid, h->exch, from_init, t);
		snprintf(label, len, "INFO");
		return;
	case ISAKMP_XCHG_TRANSACTION:
		snprintf(label, len, "MODECFG");
		return;
	}
	snprintf(label, len, "exchange %u", h->exch);
}

static void phase1_facts(struct group *g, const struct isakmp_hdr *h,
			 const struct dec_facts *fx, bool from_init,
			 const char *label)
{
	struct dec_crypt *c = &g->crypt;

	/* The responder's SA holds the one transform it chose. */
	if ((!strcmp(label, "MM2") || !strcmp(label, "AM2")) &&
	    fx->p1_transform) {
		c->have_sa = true;
		c->enc = fx->enc;
		c->keybits = fx->keybits;
		c->prf = fx->prf;
	}
	if (fx->ke && fx->ke_len <= DEC_KE_MAX &&
	    (h->exch == ISAKMP_XCHG_IDPROT || h->exch == ISAKMP_XCHG_AGGR)) {
		if (from_init) {
			memcpy(c->gxi, fx->ke_data, fx->ke_len);
			c->gxi_len = fx->ke_len;
		} else {
			memcpy(c->gxr, fx->ke_data, fx->ke_len);
			c->gxr_len = fx->ke_len;
		}
	}
}

/* The SPIs a Quick Mode message offers: its sender receives with them. */
static void qm_spis(struct decoder *d, struct group *g,
		    const struct cap_pkt *p, const struct isakmp_hdr *h,
		    const struct dec_facts *fx, const char *label)
{
	char ck[40];
	int i;

	if (h->exch != ISAKMP_XCHG_QUICK)
		return;
	ck_str(g->icookie, g->rcookie, ck, sizeof(ck));
	for (i = 0; i < fx->n_spis; i++) {
		struct spi_note *n = realloc(d->spis,
					     (d->n_spis + 1) * sizeof(*n));

		if (!n)
			return;
		d->spis = n;
		n = &d->spis[d->n_spis++];
		n->spi = fx->spis[i];
		n->dst = p->src;
		snprintf(n->text, sizeof(n->text),
			 "negotiated in %s (msgid %08x) of [%s]", label,
			 h->msgid, ck);
	}
}

static bool spi_note(void *arg, uint32_t spi, const struct cap_addr *dst,
		     char *buf, size_t len)
{
	struct decoder *d = arg;
	size_t i;

	/* The latest negotiation wins: rekeys may reuse nothing, but be sure. */
	for (i = d->n_spis; i-- > 0;)
		if (d->spis[i].spi == spi && cap_addr_eq(&d->spis[i].dst, dst)) {
			snprintf(buf, len, "%s", d->spis[i].text);
			return true;
		}
	return false;
}

/*
 * A capture's time in microseconds. Its seconds come from the file, so
 * any value: computed unsigned, where an absurd one wraps instead of
 * being undefined.
 */
static int64_t pkt_us(const struct cap_pkt *p)
{
	return (int64_t)((uint64_t)p->ts_sec * 1000000u + p->ts_usec);
}

static void msg_head(struct decoder *d, struct group *g,
		     const struct cap_pkt *p, const struct isakmp_hdr *h,
		     const char *label, const char *again, const char *dir)
{
	char s[64], t[64], ts[32], mid[12];
	int64_t us = (int64_t)((uint64_t)pkt_us(p) - (uint64_t)d->t_first);
	bool v6 = p->src.family == AF_INET6;

	cap_addr_str(&p->src, s, sizeof(s));
	cap_addr_str(&p->dst, t, sizeof(t));
	snprintf(ts, sizeof(ts), "%lld.%06lld", (long long)(us / 1000000),
		 (long long)(us % 1000000));
	snprintf(mid, sizeof(mid), "%08x", h->msgid);
	if (d->json) {
		json_obj_open(&g->j, NULL);
		json_u64(&g->j, "frame", p->frame);
		json_str(&g->j, "time", ts);
		json_str(&g->j, "src", s);
		json_u64(&g->j, "sport", p->sport);
		json_str(&g->j, "dst", t);
		json_u64(&g->j, "dport", p->dport);
		json_str(&g->j, "label", again ? again : label);
		if (again)
			json_str(&g->j, "retransmission_of", label);
		else
			json_null(&g->j, "retransmission_of");
		json_str(&g->j, "direction", dir);
		json_str(&g->j, "exchange", dec_exch_name(h->exch));
		json_str(&g->j, "msgid", mid);
		json_bool(&g->j, "encrypted", !!(h->flags & ISAKMP_FLAG_E));
		json_u64(&g->j, "fragments", d->pieces);
		return;
	}
	/* [2001:db8::1]:500, as an IPv6 address with a port is written. */
	fprintf(g->out, "  #%-4llu %s  %s%s%s:%u -> %s%s%s:%u  %s",
		(unsigned long long)p->frame, ts, v6 ? "[" : "", s,
		v6 ? "]" : "", p->sport, v6 ? "[" : "", t, v6 ? "]" : "",
		p->dport, again ? again : label);
	if (h->exch == ISAKMP_XCHG_QUICK || h->exch == ISAKMP_XCHG_INFO)
		fprintf(g->out, " (msgid %s)", mid);
	if (d->pieces)
		fprintf(g->out, " (from %d fragments)", d->pieces);
	fprintf(g->out, "  %s", dir);
}

static void payload_names(struct dout *o, const struct isakmp_msg *m)
{
	char list[256];
	int i;

	if (o->j) {
		json_arr_open(o->j, "payloads");
		for (i = 0; i < m->n; i++)
			json_str(o->j, NULL, isakmp_payload_name(m->pl[i].type));
		json_arr_close(o->j);
		return;
	}
	fprintf(o->f, "  %s\n", isakmp_payload_list(m, list, sizeof(list)));
}

/* The body of an encrypted message: decrypted when the keys allow. */
static bool decrypt_body(struct decoder *d, struct group *g,
			 const uint8_t *raw, const struct isakmp_hdr *h,
			 struct isakmp_msg *m, uint8_t **plain, char *err,
			 size_t errlen)
{
	size_t blen = h->len - ISAKMP_HDR_LEN;
	int rc;

	*plain = malloc(blen ? blen : 1);
	if (!*plain) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	memcpy(*plain, raw + ISAKMP_HDR_LEN, blen);
	if (dec_decrypt(&g->crypt, h->msgid, *plain, blen, err, errlen))
		return false;
	m->hdr = *h;
	rc = isakmp_parse_payloads(h->np, *plain, blen, m);
	if (rc) {
		snprintf(err, errlen,
			 "decrypted payloads do not parse (%s): wrong key, or messages missing from the capture",
			 isakmp_notify_name((uint16_t)-rc));
		return false;
	}
	return true;
}

static void isakmp_packet(struct decoder *d, const struct cap_pkt *p,
			  const uint8_t *raw, size_t len);

/*
 * One piece of a fragmented message: listed as such; the piece that
 * completes the message has it decoded (with the packet's frame, time
 * and addresses) right after.
 */
static void frag_piece(struct decoder *d, struct group *g,
		       const struct cap_pkt *p, const uint8_t *raw,
		       const struct isakmp_hdr *h, bool from_init,
		       const char *dir)
{
	struct isakmp_frag f;
	char label[32], why[128];
	uint8_t *whole = NULL;
	size_t whole_len = 0;
	int n = 0;
	bool bad;

	bad = isakmp_frag_parse(raw, h->len, &f) != 0;
	if (bad)
		snprintf(label, sizeof(label), "fragment");
	else
		snprintf(label, sizeof(label), "fragment %u of ID %u", f.num,
			 f.id);
	rec_add(g, raw, h->len, label);
	why[0] = 0;
	if (bad)
		snprintf(why, sizeof(why), "malformed fragment payload");
	else
		n = dec_frag_add(&g->frags, from_init, raw, &f, &whole,
				 &whole_len, why, sizeof(why));
	msg_head(d, g, p, h, label, NULL, dir);
	if (d->json) {
		json_bool(&g->j, "decrypted", false);
		if (why[0])
			json_str(&g->j, "error", why);
		else
			json_null(&g->j, "error");
		json_arr_open(&g->j, "payloads");
		json_str(&g->j, NULL, isakmp_payload_name(ISAKMP_NP_FRAG));
		json_arr_close(&g->j);
		if (!bad) {
			json_obj_open(&g->j, "fragment");
			json_u64(&g->j, "id", f.id);
			json_u64(&g->j, "number", f.num);
			json_bool(&g->j, "last", f.last);
			json_u64(&g->j, "bytes", f.len);
			json_obj_close(&g->j);
		}
		json_obj_close(&g->j);
	} else if (bad) {
		fprintf(g->out, "  FRAG (%u bytes)\n        %s\n", h->len, why);
	} else {
		fprintf(g->out, "  FRAG %zu bytes%s\n", f.len,
			f.last ? ", the last piece" : "");
		if (why[0])
			fprintf(g->out, "        %s\n", why);
	}
	if (n > 0 && whole) {
		d->pieces = n;
		isakmp_packet(d, p, whole, whole_len);
		d->pieces = 0;
	}
	free(whole);
}

static void isakmp_packet(struct decoder *d, const struct cap_pkt *p,
			  const uint8_t *raw, size_t len)
{
	struct isakmp_msg *m;
	struct isakmp_hdr h;
	struct group *g;
	struct rec *r;
	struct dec_facts fx;
	struct dout o;
	static const uint8_t zero[8];
	char label[24], again[64], err[200], why[96];
	const char *dir;
	uint8_t *plain = NULL;
	bool from_init, enc, ok;
	int64_t t = pkt_us(p);
	uint32_t hlen;
	int rc;

	if (len < ISAKMP_HDR_LEN) {
		note(d, p, "UDP datagram on an IKE port, too short for an ISAKMP header");
		return;
	}
	if (raw[17] >> 4 == 2) {
		d->n_ikev2++;
		note(d, p, "IKEv2 message: not decoded");
		return;
	}
	/* Trailing bytes after the message are tolerated, missing ones not. */
	hlen = isakmp_get32(raw + 24);
	if (hlen < ISAKMP_HDR_LEN || hlen > len) {
		snprintf(why, sizeof(why),
			 "ISAKMP header says %u bytes, the capture holds %zu%s",
			 hlen, len, p->truncated ? " (cut by the snap length)" : "");
		note(d, p, why);
		return;
	}
	rc = isakmp_parse_hdr(raw, hlen, &h);
	if (rc) {
		snprintf(why, sizeof(why), "not ISAKMP (%s)",
			 isakmp_notify_name((uint16_t)-rc));
		note(d, p, why);
		return;
	}
	d->n_isakmp++;
	g = group_find(d, &h);
	m = calloc(1, sizeof(*m));
	if (!g || !m) {
		d->oom = true;
		free(m);
		return;
	}
	if (!d->have_t) {
		d->have_t = true;
		d->t_first = t;
	}
	if (!g->have_rcookie && memcmp(h.rcookie, zero, 8)) {
		memcpy(g->rcookie, h.rcookie, 8);
		g->have_rcookie = true;
	}
	/* Roles: whoever sent the message without a responder cookie. */
	if (!g->roles_known && !g->n_msgs) {
		g->init = p->src;
		g->resp = p->dst;
		g->roles_known = !memcmp(h.rcookie, zero, 8);
	}
	from_init = cap_addr_eq(&p->src, &g->init);
	dir = !g->roles_known ? (from_init ? "first sender" : "other side") :
	      from_init ? "initiator" : "responder";
	enc = h.flags & ISAKMP_FLAG_E;
	g->n_msgs++;
	if (h.exch == ISAKMP_XCHG_IDPROT || h.exch == ISAKMP_XCHG_AGGR) {
		if (!g->p1_seen)
			g->p1_t0 = t;
		g->p1_seen = true;
		g->p1_t1 = t;
		g->p1_exch = h.exch;
	}
	o.f = g->out;
	o.j = d->json ? &g->j : NULL;

	r = rec_find(g, raw, h.len);
	if (r) {
		snprintf(again, sizeof(again), "retransmission of %s", r->label);
		msg_head(d, g, p, &h, r->label, again, dir);
		if (h.exch == ISAKMP_XCHG_QUICK || h.exch == ISAKMP_XCHG_INFO)
			qm_find(g, h.msgid, h.exch, from_init, t);
		if (o.j)
			json_obj_close(o.j);
		else
			fputc('\n', o.f);
		free(m);
		return;
	}
	if (h.np == ISAKMP_NP_FRAG && !enc) {
		frag_piece(d, g, p, raw, &h, from_init, dir);
		free(m);
		return;
	}

	memset(&fx, 0, sizeof(fx));
	ok = true;
	err[0] = 0;
	if (enc) {
		ok = decrypt_body(d, g, raw, &h, m, &plain, err, sizeof(err));
	} else if ((rc = isakmp_parse(raw, h.len, m))) {
		ok = false;
		snprintf(err, sizeof(err), "payloads do not parse: %s",
			 isakmp_notify_name((uint16_t)-rc));
	}
	/* Describe first (into a scratch stream) to learn the label. */
	{
		char *dbuf = NULL;
		size_t dlen = 0;
		FILE *df = NULL;
		struct json dj;
		struct dout dout = { NULL, NULL };

		if (ok) {
			df = open_memstream(&dbuf, &dlen);
			if (df) {
				dout.f = df;
				if (d->json) {
					json_init(&dj, df);
					dj.count[0] = 1;
					dout.j = &dj;
				}
				dec_payloads(&dout, m, &fx);
				fclose(df);
			}
		}
		/*
		 * A capture that begins with MM2 (or AM2): the first sender
		 * answered an SA, so it is the responder.
		 */
		if (!g->roles_known && g->n_msgs == 1 && ok && !enc && fx.sa &&
		    (h.exch == ISAKMP_XCHG_IDPROT ||
		     h.exch == ISAKMP_XCHG_AGGR)) {
			g->init = p->dst;
			g->resp = p->src;
			g->roles_known = true;
			from_init = false;
			dir = "responder";
		}
		label_of(g, &h, &fx, from_init, enc, t, label, sizeof(label));
		rec_add(g, raw, h.len, label);
		if (ok && (h.exch == ISAKMP_XCHG_IDPROT ||
			   h.exch == ISAKMP_XCHG_AGGR))
			phase1_facts(g, &h, &fx, from_init, label);
		if (ok)
			qm_spis(d, g, p, &h, &fx, label);
		msg_head(d, g, p, &h, label, NULL, dir);
		if (o.j) {
			json_bool(o.j, "decrypted", enc && ok);
			if (err[0])
				json_str(o.j, "error", err);
			else
				json_null(o.j, "error");
			if (ok) {
				payload_names(&o, m);
				/* dbuf holds ,"details":[...] */
				if (dbuf)
					fputs(dbuf, o.f);
			} else {
				json_arr_open(o.j, "payloads");
				json_str(o.j, NULL, isakmp_payload_name(h.np));
				json_arr_close(o.j);
			}
			json_obj_close(o.j);
		} else {
			if (ok) {
				fprintf(o.f, "%s", enc ? " [decrypted]" : "");
				payload_names(&o, m);
				if (dbuf)
					fputs(dbuf, o.f);
			} else {
				fprintf(o.f, "  %s%s (%u bytes)\n",
					enc ? "encrypted, first payload " : "",
					isakmp_payload_name(h.np), h.len);
				fprintf(o.f, "        %s\n", err);
			}
		}
		free(dbuf);
	}
	free(plain);
	free(m);
}

static void packet(void *arg, const struct cap_pkt *p)
{
	struct decoder *d = arg;
	bool ike = p->sport == IKE_PORT || p->dport == IKE_PORT;
	bool natt = p->sport == NATT_PORT || p->dport == NATT_PORT;

	if (p->fragment) {
		if (p->proto == IPPROTO_UDP && (ike || natt))
			note(d, p, "IP fragment of an IKE datagram: fragments are not reassembled");
		else if (p->proto == IPPROTO_ESP || ike || natt || !p->proto)
			note(d, p, "IP fragment: fragments are not reassembled");
		return;
	}
	if (p->proto == IPPROTO_ESP) {
		d->n_esp++;
		esp_add(&d->esp, p, p->data, p->len, false);
		return;
	}
	if (natt) {
		/* RFC 3948: keepalive, non-ESP marker + ISAKMP, or ESP. */
		if (p->len == 1 && p->data[0] == 0xff) {
			d->n_keepalive++;
			return;
		}
		if (p->len >= 4 && !isakmp_get32(p->data)) {
			isakmp_packet(d, p, p->data + 4, p->len - 4);
			return;
		}
		if (p->len >= 8) {
			d->n_esp++;
			esp_add(&d->esp, p, p->data, p->len, true);
			return;
		}
		note(d, p, "UDP 4500 datagram too short for ESP");
		return;
	}
	if (ike)
		isakmp_packet(d, p, p->data, p->len);
}

/* Two negotiations of phase 1 between the same two hosts at once. */
static bool overlap(const struct group *a, const struct group *b)
{
	bool same = (cap_addr_eq(&a->init, &b->init) &&
		     cap_addr_eq(&a->resp, &b->resp)) ||
		    (cap_addr_eq(&a->init, &b->resp) &&
		     cap_addr_eq(&a->resp, &b->init));

	return same && a->p1_seen && b->p1_seen && a->p1_t0 <= b->p1_t1 &&
	       b->p1_t0 <= a->p1_t1;
}

/* Quick Modes of one group whose exchanges overlap in time. */
static int concurrent_qms(const struct group *g)
{
	size_t i, k;
	int n = 0;

	for (i = 0; i < g->n_qms; i++)
		for (k = i + 1; k < g->n_qms; k++)
			if (g->qms[i].exch == ISAKMP_XCHG_QUICK &&
			    g->qms[k].exch == ISAKMP_XCHG_QUICK &&
			    g->qms[i].t0 <= g->qms[k].t1 &&
			    g->qms[k].t0 <= g->qms[i].t1)
				n++;
	return n;
}

static void group_print(struct decoder *d, struct group *g, FILE *out,
			struct json *j)
{
	char ck[40], a[64], b[64];
	size_t i;
	int nq = concurrent_qms(g);

	fclose(g->out);
	g->out = NULL;
	ck_str(g->icookie, g->rcookie, ck, sizeof(ck));
	cap_addr_str(&g->init, a, sizeof(a));
	cap_addr_str(&g->resp, b, sizeof(b));
	if (j) {
		json_obj_open(j, NULL);
		ck[16] = 0;
		json_str(j, "icookie", ck);
		json_str(j, "rcookie", ck + 17);
		json_str(j, "exchange", g->p1_exch ? dec_exch_name(g->p1_exch) :
			 "none (phase 1 not in the capture)");
		json_str(j, "initiator", a);
		json_str(j, "responder", b);
		json_bool(j, "roles_known", g->roles_known);
		json_bool(j, "key", g->crypt.key != NULL);
		json_arr_open(j, "concurrent_with");
		for (i = 0; i < d->n_groups; i++) {
			if (d->groups[i] == g || !overlap(g, d->groups[i]))
				continue;
			ck_str(d->groups[i]->icookie, d->groups[i]->rcookie,
			       ck, sizeof(ck));
			json_str(j, NULL, ck);
		}
		json_arr_close(j);
		json_u64(j, "concurrent_quick_modes", nq);
		json_arr_open(j, "messages");
		fwrite(g->buf, 1, g->buflen, out);
		j->count[j->depth] = g->n_msgs;
		json_arr_close(j);
		json_obj_close(j);
		return;
	}
	fprintf(out, "[%s] %s  %s (%s) <-> %s (%s)\n", ck,
		g->p1_exch ? dec_exch_name(g->p1_exch) :
		"phase 1 not in the capture", a,
		g->roles_known ? "initiator" : "first sender", b,
		g->roles_known ? "responder" : "other side");
	if (g->crypt.key)
		fprintf(out, "  key table: key for this initiator cookie\n");
	for (i = 0; i < d->n_groups; i++) {
		if (d->groups[i] == g || !overlap(g, d->groups[i]))
			continue;
		ck_str(d->groups[i]->icookie, d->groups[i]->rcookie, ck,
		       sizeof(ck));
		fprintf(out, "  ! concurrent negotiation: [%s] runs between the same hosts at the same time\n",
			ck);
	}
	if (nq)
		fprintf(out, "  ! %d pair(s) of Quick Modes ran at the same time\n",
			nq);
	fwrite(g->buf, 1, g->buflen, out);
}

static void decoder_free(struct decoder *d)
{
	size_t i, k;

	for (i = 0; i < d->n_groups; i++) {
		struct group *g = d->groups[i];

		if (g->out)
			fclose(g->out);
		free(g->buf);
		for (k = 0; k < g->n_recs; k++)
			free(g->recs[k].raw);
		free(g->recs);
		free(g->qms);
		dec_crypt_free(&g->crypt);
		dec_frags_free(&g->frags);
		free(g);
	}
	free(d->groups);
	free(d->spis);
	esp_free(&d->esp);
	if (d->notes)
		fclose(d->notes);
	free(d->notes_buf);
}

int decode_capture(const char *name, FILE *f, const struct dec_keytab *keys,
		   FILE *out, bool json)
{
	struct decoder d = { .name = name, .keys = keys, .json = json };
	struct cap_stats st;
	struct json j;
	struct dout o = { out, json ? &j : NULL };
	char err[300];
	size_t i;
	int rc;

	d.notes = open_memstream(&d.notes_buf, &d.notes_len);
	if (!d.notes) {
		if (f)
			fclose(f);
		fprintf(stderr, "esptun: decode: out of memory\n");
		return 1;
	}
	json_init(&d.notes_j, d.notes);
	rc = cap_read(name, f, packet, &d, &st, err, sizeof(err));
	if (rc && !st.frames) {
		fprintf(stderr, "esptun: decode: %s\n", err);
		decoder_free(&d);
		return 1;
	}
	fclose(d.notes);
	d.notes = NULL;
	if (json) {
		json_init(&j, out);
		json_obj_open(&j, NULL);
		json_str(&j, "file", name);
		json_u64(&j, "frames", st.frames);
		json_u64(&j, "isakmp", d.n_isakmp);
		json_u64(&j, "esp", d.n_esp);
		json_u64(&j, "nat_keepalives", d.n_keepalive);
		json_u64(&j, "ip_fragments", st.fragments);
		json_u64(&j, "truncated", st.truncated);
		json_arr_open(&j, "groups");
		for (i = 0; i < d.n_groups; i++)
			group_print(&d, d.groups[i], out, &j);
		json_arr_close(&j);
		esp_print(&d.esp, &o, spi_note, &d);
		json_arr_open(&j, "notes");
		fwrite(d.notes_buf, 1, d.notes_len, out);
		j.count[j.depth] = d.n_notes;
		json_arr_close(&j);
		if (rc)
			json_str(&j, "error", err);
		json_obj_close(&j);
		json_end(&j);
	} else {
		fprintf(out, "%s: %llu frame(s), %llu ISAKMP, %llu ESP",
			name, (unsigned long long)st.frames,
			(unsigned long long)d.n_isakmp,
			(unsigned long long)d.n_esp);
		if (d.n_keepalive)
			fprintf(out, ", %llu NAT-T keepalive(s)",
				(unsigned long long)d.n_keepalive);
		fputc('\n', out);
		for (i = 0; i < d.n_groups; i++)
			group_print(&d, d.groups[i], out, NULL);
		esp_print(&d.esp, &o, spi_note, &d);
		if (d.n_notes) {
			fprintf(out, "Not decoded\n");
			fwrite(d.notes_buf, 1, d.notes_len, out);
		}
		if (st.fragments)
			fprintf(out, "%llu IP fragment(s): esptun decode does not reassemble fragments\n",
				(unsigned long long)st.fragments);
		fflush(out);
	}
	decoder_free(&d);
	if (rc) {
		fprintf(stderr, "esptun: decode: %s\n", err);
		return 1;
	}
	return d.oom ? 1 : 0;
}

int cmd_decode(int argc, char **argv, int json)
{
	struct dec_keytab keys = { 0 };
	const char *file = NULL, *keyfile = NULL, *w;
	char err[300];
	struct args a;
	int rc;

	args_init(&a, argc, argv, "decode", DECODE_USAGE);
	while ((w = args_next(&a))) {
		if (is_help(w))
			return usage_help(DECODE_USAGE);
		if (!strcmp(w, "-j") || !strcmp(w, "--json")) {
			json = 1;
		} else if (!strcmp(w, "--keys") || !strcmp(w, "-k")) {
			keyfile = args_next(&a);
			if (!keyfile)
				return usage_error(&a, "--keys needs a file");
		} else if (w[0] == '-' && w[1]) {
			return usage_error(&a, "unknown option '%s'", w);
		} else if (!file) {
			file = w;
		} else {
			return usage_error(&a, "unexpected '%s'", w);
		}
	}
	if (!file)
		return usage_error(&a, "missing capture file");
	if (keyfile && dec_keys_load(keyfile, &keys, err, sizeof(err))) {
		fprintf(stderr, "esptun: decode: %s\n", err);
		return 1;
	}
	rc = decode_capture(file, NULL, keyfile ? &keys : NULL, stdout, json);
	dec_keys_free(&keys);
	return rc;
}
