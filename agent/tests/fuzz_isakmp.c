// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the ISAKMP decoder on whole datagrams, every payload
 * through its own parser and the message rules of every exchange. The
 * oracle besides the sanitizers: an SA payload that parses is generated
 * again and must parse to the same proposals, so decoder and encoder
 * agree on every layout the decoder accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isakmp/isakmp.h"

static void same_sa(const struct isakmp_sa *a, const struct isakmp_sa *b)
{
	int i, j, k;

	if (a->doi != b->doi || a->situation != b->situation ||
	    a->nprop != b->nprop)
		abort();
	for (i = 0; i < a->nprop; i++) {
		const struct isakmp_prop *p = &a->p[i], *q = &b->p[i];

		if (p->num != q->num || p->proto != q->proto ||
		    p->spi_size != q->spi_size || p->ntrans != q->ntrans ||
		    memcmp(p->spi, q->spi, p->spi_size))
			abort();
		for (j = 0; j < p->ntrans; j++) {
			const struct isakmp_transform *t = &p->t[j];
			const struct isakmp_transform *u = &q->t[j];

			if (t->num != u->num || t->id != u->id ||
			    t->nattr != u->nattr)
				abort();
			for (k = 0; k < t->nattr; k++)
				if (t->attr[k].type != u->attr[k].type ||
				    t->attr[k].val_ok != u->attr[k].val_ok ||
				    (t->attr[k].val_ok &&
				     t->attr[k].val != u->attr[k].val))
					abort();
		}
	}
}

/* Generates sa again and parses the result. */
static void sa_roundtrip(const struct isakmp_sa *sa)
{
	static uint8_t buf[ISAKMP_MAX_MSG];
	static struct isakmp_sa again;
	struct isakmp_hdr h = { .version = ISAKMP_VERSION };
	struct isakmp_gen g;
	struct isakmp_msg m;
	size_t len;
	int i;

	/* Long TLV values have no val to generate from. */
	for (i = 0; i < sa->nprop; i++)
		for (int j = 0; j < sa->p[i].ntrans; j++)
			for (int k = 0; k < sa->p[i].t[j].nattr; k++)
				if (!sa->p[i].t[j].attr[k].val_ok)
					return;
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, sa);
	len = isakmp_gen_finish(&g);
	if (!len)
		return;
	if (isakmp_parse(buf, len, &m) || m.n != 1 ||
	    isakmp_parse_sa(m.pl[0].body, m.pl[0].len, &again))
		abort();
	same_sa(sa, &again);
}

static void payload(const struct isakmp_payload *p)
{
	static struct isakmp_sa sa;
	struct isakmp_notify_pl n;
	struct isakmp_delete d;
	struct isakmp_id id;

	switch (p->type) {
	case ISAKMP_NP_SA:
		if (!isakmp_parse_sa(p->body, p->len, &sa))
			sa_roundtrip(&sa);
		break;
	case ISAKMP_NP_ID:
		if (!isakmp_parse_id(p->body, p->len, &id) &&
		    (id.data < p->body || id.data + id.len > p->body + p->len))
			abort();
		break;
	case ISAKMP_NP_N:
		isakmp_parse_notify(p->body, p->len, &n);
		isakmp_notify_name(n.type);
		break;
	case ISAKMP_NP_D:
		if (!isakmp_parse_delete(p->body, p->len, &d) &&
		    d.spis + (size_t)d.nspi * d.spi_size > p->body + p->len)
			abort();
		break;
	default:
		isakmp_check_simple(p->type, p->len);
		isakmp_payload_name(p->type);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct isakmp_msg m;
	char why[128], list[256];
	int i;

	if (isakmp_parse(data, size, &m))
		return 0;
	if (m.n < 0 || m.n > ISAKMP_MAX_PAYLOADS)
		abort();
	for (i = 0; i < m.n; i++) {
		if (m.pl[i].body < data ||
		    m.pl[i].body + m.pl[i].len > data + size)
			abort();
		payload(&m.pl[i]);
	}
	for (i = 0; i < MSG_KIND_MAX; i++)
		isakmp_check_rule(&m, i, why, sizeof(why));
	isakmp_payload_list(&m, list, sizeof(list));
	return 0;
}
