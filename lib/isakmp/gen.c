// SPDX-License-Identifier: GPL-2.0
/*
 * ISAKMP generation into a caller buffer. Each payload patches the "next
 * payload" byte of the one before, so callers just append in wire order.
 */
#include <string.h>

#include "isakmp/isakmp.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void isakmp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void isakmp_gen_bytes(struct isakmp_gen *g, const void *p, size_t len)
{
	if (g->err || len > g->cap - g->len) {
		g->err = true;
		return;
	}
	if (len)
		memcpy(g->buf + g->len, p, len);
	g->len += len;
}

void isakmp_gen_u8(struct isakmp_gen *g, uint8_t v)
{
	isakmp_gen_bytes(g, &v, 1);
}

void isakmp_gen_u16(struct isakmp_gen *g, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	isakmp_gen_bytes(g, b, 2);
}

void isakmp_gen_u32(struct isakmp_gen *g, uint32_t v)
{
	uint8_t b[4];

	isakmp_put32(b, v);
	isakmp_gen_bytes(g, b, 4);
}

void isakmp_gen_init(struct isakmp_gen *g, uint8_t *buf, size_t cap,
		     const struct isakmp_hdr *h)
{
	g->buf = buf;
	g->cap = cap;
	g->len = 0;
	g->err = false;
	isakmp_gen_bytes(g, h->icookie, 8);
	isakmp_gen_bytes(g, h->rcookie, 8);
	g->np_off = g->len;
	isakmp_gen_u8(g, ISAKMP_NP_NONE);
	isakmp_gen_u8(g, ISAKMP_VERSION);
	isakmp_gen_u8(g, h->exch);
	isakmp_gen_u8(g, h->flags);
	isakmp_gen_u32(g, h->msgid);
	isakmp_gen_u32(g, 0);
}

size_t isakmp_gen_begin(struct isakmp_gen *g, uint8_t type)
{
	size_t off = g->len;

	if (g->err)
		return 0;
	g->buf[g->np_off] = type;
	g->np_off = off;
	isakmp_gen_u8(g, ISAKMP_NP_NONE);
	isakmp_gen_u8(g, 0);
	isakmp_gen_u16(g, 0);
	return off;
}

void isakmp_gen_end(struct isakmp_gen *g, size_t off)
{
	if (g->err)
		return;
	if (g->len - off > 0xffff) {
		g->err = true;
		return;
	}
	put16(g->buf + off + 2, (uint16_t)(g->len - off));
}

void isakmp_gen_attr(struct isakmp_gen *g, uint16_t type, uint32_t val,
		     bool tv_ok)
{
	if (tv_ok && val <= 0xffff) {
		isakmp_gen_u16(g, (uint16_t)(0x8000 | type));
		isakmp_gen_u16(g, (uint16_t)val);
	} else {
		isakmp_gen_u16(g, type);
		isakmp_gen_u16(g, 4);
		isakmp_gen_u32(g, val);
	}
}

size_t isakmp_gen_cfg_begin(struct isakmp_gen *g, uint8_t type, uint16_t id)
{
	size_t off = isakmp_gen_begin(g, ISAKMP_NP_ATTR);

	isakmp_gen_u8(g, type);
	isakmp_gen_u8(g, 0);
	isakmp_gen_u16(g, id);
	return off;
}

void isakmp_gen_attr_data(struct isakmp_gen *g, uint16_t type,
			  const void *data, uint16_t len)
{
	isakmp_gen_u16(g, type & 0x7fff);
	isakmp_gen_u16(g, len);
	isakmp_gen_bytes(g, data, len);
}

void isakmp_gen_raw(struct isakmp_gen *g, uint8_t type, const void *data,
		    size_t len)
{
	size_t off = isakmp_gen_begin(g, type);

	isakmp_gen_bytes(g, data, len);
	isakmp_gen_end(g, off);
}

/*
 * Attributes are regenerated from the parsed form: a TLV keeps its bytes,
 * a TV its value, so a responder can echo the chosen transform exactly.
 */
static void gen_transform(struct isakmp_gen *g, const struct isakmp_transform *t,
			  bool last)
{
	size_t off = g->len;
	int i;

	isakmp_gen_u8(g, last ? ISAKMP_NP_NONE : ISAKMP_NP_T);
	isakmp_gen_u8(g, 0);
	isakmp_gen_u16(g, 0);
	isakmp_gen_u8(g, t->num);
	isakmp_gen_u8(g, t->id);
	isakmp_gen_u16(g, 0);
	for (i = 0; i < t->nattr; i++) {
		const struct isakmp_attr *a = &t->attr[i];

		if (a->tv) {
			isakmp_gen_u16(g, (uint16_t)(0x8000 | a->type));
			isakmp_gen_u16(g, (uint16_t)a->val);
		} else if (a->data) {
			isakmp_gen_u16(g, a->type);
			isakmp_gen_u16(g, a->len);
			isakmp_gen_bytes(g, a->data, a->len);
		} else {
			isakmp_gen_u16(g, a->type);
			isakmp_gen_u16(g, 4);
			isakmp_gen_u32(g, (uint32_t)a->val);
		}
	}
	if (!g->err)
		put16(g->buf + off + 2, (uint16_t)(g->len - off));
}

void isakmp_gen_sa(struct isakmp_gen *g, const struct isakmp_sa *sa)
{
	size_t off = isakmp_gen_begin(g, ISAKMP_NP_SA);
	int i, j;

	isakmp_gen_u32(g, sa->doi);
	isakmp_gen_u32(g, sa->situation);
	for (i = 0; i < sa->nprop; i++) {
		const struct isakmp_prop *p = &sa->p[i];
		size_t poff = g->len;

		isakmp_gen_u8(g, i + 1 < sa->nprop ? ISAKMP_NP_P :
			      ISAKMP_NP_NONE);
		isakmp_gen_u8(g, 0);
		isakmp_gen_u16(g, 0);
		isakmp_gen_u8(g, p->num);
		isakmp_gen_u8(g, p->proto);
		isakmp_gen_u8(g, p->spi_size);
		isakmp_gen_u8(g, (uint8_t)p->ntrans);
		isakmp_gen_bytes(g, p->spi, p->spi_size);
		for (j = 0; j < p->ntrans; j++)
			gen_transform(g, &p->t[j], j + 1 == p->ntrans);
		if (!g->err)
			put16(g->buf + poff + 2, (uint16_t)(g->len - poff));
	}
	isakmp_gen_end(g, off);
}

void isakmp_gen_id(struct isakmp_gen *g, uint8_t type, uint8_t proto,
		   uint16_t port, const void *data, size_t len)
{
	size_t off = isakmp_gen_begin(g, ISAKMP_NP_ID);

	isakmp_gen_u8(g, type);
	isakmp_gen_u8(g, proto);
	isakmp_gen_u16(g, port);
	isakmp_gen_bytes(g, data, len);
	isakmp_gen_end(g, off);
}

void isakmp_gen_notify(struct isakmp_gen *g, uint8_t proto,
		       const uint8_t *spi, uint8_t spi_size, uint16_t type,
		       const void *data, size_t len)
{
	size_t off = isakmp_gen_begin(g, ISAKMP_NP_N);

	isakmp_gen_u32(g, ISAKMP_DOI_IPSEC);
	isakmp_gen_u8(g, proto);
	isakmp_gen_u8(g, spi_size);
	isakmp_gen_u16(g, type);
	isakmp_gen_bytes(g, spi, spi_size);
	isakmp_gen_bytes(g, data, len);
	isakmp_gen_end(g, off);
}

void isakmp_gen_delete(struct isakmp_gen *g, uint8_t proto,
		       uint8_t spi_size, const uint8_t *spis, uint16_t nspi)
{
	size_t off = isakmp_gen_begin(g, ISAKMP_NP_D);

	isakmp_gen_u32(g, ISAKMP_DOI_IPSEC);
	isakmp_gen_u8(g, proto);
	isakmp_gen_u8(g, spi_size);
	isakmp_gen_u16(g, nspi);
	isakmp_gen_bytes(g, spis, (size_t)spi_size * nspi);
	isakmp_gen_end(g, off);
}

size_t isakmp_gen_finish(struct isakmp_gen *g)
{
	if (g->err)
		return 0;
	isakmp_put32(g->buf + 24, (uint32_t)g->len);
	return g->len;
}
