// SPDX-License-Identifier: GPL-2.0
/*
 * ISAKMP parsing. Every read is preceded by a check of what is left, every
 * nested length must fit its parent exactly; anything else is an error
 * code, never a partial result the caller could trust.
 */
#include <stdlib.h>
#include <string.h>

#include "isakmp/isakmp.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t isakmp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int isakmp_parse_hdr(const uint8_t *buf, size_t len, struct isakmp_hdr *h)
{
	if (len < ISAKMP_HDR_LEN)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	memcpy(h->icookie, buf, 8);
	memcpy(h->rcookie, buf + 8, 8);
	h->np = buf[16];
	h->version = buf[17];
	h->exch = buf[18];
	h->flags = buf[19];
	h->msgid = isakmp_get32(buf + 20);
	h->len = isakmp_get32(buf + 24);
	if ((h->version >> 4) != 1)
		return -ISAKMP_N_INVALID_MAJOR_VERSION;
	if (h->len != len)
		return -ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS;
	if (h->flags & ~(ISAKMP_FLAG_E | ISAKMP_FLAG_C | ISAKMP_FLAG_A))
		return -ISAKMP_N_INVALID_FLAGS;
	return 0;
}

static bool known_type(uint8_t t)
{
	switch (t) {
	case ISAKMP_NP_SA: case ISAKMP_NP_KE: case ISAKMP_NP_ID:
	case ISAKMP_NP_CERT: case ISAKMP_NP_CR: case ISAKMP_NP_HASH:
	case ISAKMP_NP_SIG: case ISAKMP_NP_NONCE: case ISAKMP_NP_N:
	case ISAKMP_NP_D: case ISAKMP_NP_VID: case ISAKMP_NP_ATTR:
	case ISAKMP_NP_NATD:
	case ISAKMP_NP_NATOA: case ISAKMP_NP_NATD_DRAFT:
	case ISAKMP_NP_NATOA_DRAFT:
		return true;
	}
	return false;
}

/*
 * Bytes after the last payload are legal in a decrypted body (CBC
 * padding); the plaintext parser passes strict and takes only what
 * libreswan adds to align every message to 4 octets (ikepad): one to
 * three zeros.
 */
static int parse_chain(uint8_t np, const uint8_t *buf, size_t len,
		       struct isakmp_msg *m, bool strict)
{
	size_t off = 0, plen;
	int rc;

	m->n = 0;
	while (np != ISAKMP_NP_NONE) {
		if (!known_type(np))
			return -ISAKMP_N_INVALID_PAYLOAD_TYPE;
		if (len - off < ISAKMP_GEN_LEN)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		plen = get16(buf + off + 2);
		if (plen < ISAKMP_GEN_LEN || plen > len - off)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		if (m->n >= ISAKMP_MAX_PAYLOADS)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		m->pl[m->n].type = np;
		m->pl[m->n].body = buf + off + ISAKMP_GEN_LEN;
		m->pl[m->n].len = plen - ISAKMP_GEN_LEN;
		rc = isakmp_check_simple(np, plen - ISAKMP_GEN_LEN);
		if (rc)
			return rc;
		m->n++;
		np = buf[off];
		off += plen;
	}
	if (strict && off != len) {
		if (len - off >= 4)
			return -ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS;
		for (; off < len; off++)
			if (buf[off])
				return -ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS;
	}
	return 0;
}

int isakmp_parse_payloads(uint8_t np, const uint8_t *buf, size_t len,
			  struct isakmp_msg *m)
{
	return parse_chain(np, buf, len, m, false);
}

int isakmp_parse(const uint8_t *buf, size_t len, struct isakmp_msg *m)
{
	int rc;

	memset(&m->hdr, 0, sizeof(m->hdr));
	m->n = 0;
	rc = isakmp_parse_hdr(buf, len, &m->hdr);
	if (rc)
		return rc;
	if (m->hdr.flags & ISAKMP_FLAG_E)
		return 0;	/* the engine decrypts, then parses the body */
	return parse_chain(m->hdr.np, buf + ISAKMP_HDR_LEN,
			   len - ISAKMP_HDR_LEN, m, true);
}

int isakmp_check_simple(uint8_t type, size_t len)
{
	switch (type) {
	case ISAKMP_NP_NONCE:
		/* RFC 2409 5: between 8 and 256 bytes. */
		if (len < 8 || len > 256)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		break;
	case ISAKMP_NP_KE:
	case ISAKMP_NP_HASH:
	case ISAKMP_NP_SIG:
	case ISAKMP_NP_NATD:
	case ISAKMP_NP_NATD_DRAFT:
		if (len < 1)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		break;
	case ISAKMP_NP_SA:
		if (len < 8)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		break;
	case ISAKMP_NP_ID:
		if (len < 5)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		break;
	case ISAKMP_NP_CERT:
		if (len < 1)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		break;
	case ISAKMP_NP_N:
	case ISAKMP_NP_D:
		if (len < 8)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		break;
	}
	return 0;
}

/* Data attributes (RFC 2408 3.3), in transforms and attribute payloads. */
/*
 * Attributes into attr[max]. More than max: refused, or with skipped
 * given, checked and counted there but not kept (a Mode Config reply
 * may carry many attributes nobody asked for).
 */
static int parse_attr_list(const uint8_t *p, size_t len,
			   struct isakmp_attr *attr, int max, int *nattr,
			   int *skipped)
{
	struct isakmp_attr spare;
	size_t off = 0;

	*nattr = 0;
	while (off < len) {
		struct isakmp_attr *a;
		uint16_t ty;

		if (len - off < 4)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		if (*nattr < max) {
			a = &attr[(*nattr)++];
		} else if (skipped) {
			a = &spare;
			(*skipped)++;
		} else {
			return -ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED;
		}
		memset(a, 0, sizeof(*a));
		ty = get16(p + off);
		a->type = ty & 0x7fff;
		if (ty & 0x8000) {
			a->tv = true;
			a->val = get16(p + off + 2);
			a->val_ok = true;
			off += 4;
		} else {
			size_t l = get16(p + off + 2), i;

			if (l > len - off - 4)
				return -ISAKMP_N_PAYLOAD_MALFORMED;
			a->data = p + off + 4;
			a->len = (uint16_t)l;
			if (l && l <= 8) {
				for (i = 0; i < l; i++)
					a->val = a->val << 8 | a->data[i];
				a->val_ok = true;
			}
			off += 4 + l;
		}
	}
	return 0;
}

static int parse_attrs(const uint8_t *p, size_t len, struct isakmp_transform *t)
{
	return parse_attr_list(p, len, t->attr, ISAKMP_MAX_ATTRS, &t->nattr,
			       NULL);
}

static int parse_prop(const uint8_t *p, size_t len, struct isakmp_prop *pr)
{
	size_t off, tlen;
	uint8_t ntrans, np = ISAKMP_NP_T;
	int rc;

	/* num, proto, spi size, #transforms */
	if (len < 4)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	pr->num = p[0];
	pr->proto = p[1];
	pr->spi_size = p[2];
	ntrans = p[3];
	if (pr->spi_size > sizeof(pr->spi) || pr->spi_size > len - 4)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	memcpy(pr->spi, p + 4, pr->spi_size);
	off = 4 + pr->spi_size;
	pr->ntrans = 0;
	while (off < len) {
		if (np != ISAKMP_NP_T)
			return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
		if (len - off < 8)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		np = p[off];
		if (np != ISAKMP_NP_T && np != ISAKMP_NP_NONE)
			return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
		tlen = get16(p + off + 2);
		if (tlen < 8 || tlen > len - off)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		if (pr->ntrans < ISAKMP_MAX_TRANSFORMS) {
			struct isakmp_transform *t = &pr->t[pr->ntrans];

			t->num = p[off + 4];
			t->id = p[off + 5];
			rc = parse_attrs(p + off + 8, tlen - 8, t);
			if (rc)
				return rc;
		}
		/* Extra transforms are walked (bounds) but not kept. */
		pr->ntrans++;
		off += tlen;
	}
	if (np != ISAKMP_NP_NONE || pr->ntrans != ntrans || !ntrans)
		return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
	if (pr->ntrans > ISAKMP_MAX_TRANSFORMS)
		pr->ntrans = ISAKMP_MAX_TRANSFORMS;
	return 0;
}

int isakmp_parse_sa(const uint8_t *b, size_t len, struct isakmp_sa *sa)
{
	size_t off, plen;
	uint8_t np = ISAKMP_NP_P;
	int rc;

	sa->nprop = 0;
	if (len < 8)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	sa->doi = isakmp_get32(b);
	sa->situation = isakmp_get32(b + 4);
	if (sa->doi != ISAKMP_DOI_IPSEC)
		return -ISAKMP_N_DOI_NOT_SUPPORTED;
	if (sa->situation != ISAKMP_SIT_IDENTITY_ONLY)
		return -ISAKMP_N_SITUATION_NOT_SUPPORTED;
	off = 8;
	if (off == len)
		return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
	while (off < len) {
		if (np != ISAKMP_NP_P)
			return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
		if (len - off < 8)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		np = b[off];
		if (np != ISAKMP_NP_P && np != ISAKMP_NP_NONE)
			return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
		plen = get16(b + off + 2);
		if (plen < 8 || plen > len - off)
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		/* Extra proposals are checked but not kept. */
		if (sa->nprop < ISAKMP_MAX_PROPS) {
			rc = parse_prop(b + off + 4, plen - 4,
					&sa->p[sa->nprop]);
			sa->nprop++;
		} else {
			struct isakmp_prop *scratch = malloc(sizeof(*scratch));

			rc = scratch ? parse_prop(b + off + 4, plen - 4, scratch) :
				       -ISAKMP_N_PAYLOAD_MALFORMED;
			free(scratch);
		}
		if (rc)
			return rc;
		off += plen;
	}
	if (np != ISAKMP_NP_NONE)
		return -ISAKMP_N_BAD_PROPOSAL_SYNTAX;
	return 0;
}

int isakmp_parse_id(const uint8_t *b, size_t len, struct isakmp_id *id)
{
	size_t want = 0;

	if (len < 5)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	id->type = b[0];
	id->proto = b[1];
	id->port = get16(b + 2);
	id->data = b + 4;
	id->len = len - 4;
	id->body = b;
	id->body_len = len;
	switch (id->type) {
	case 1:		/* IPV4_ADDR */
		want = 4;
		break;
	case 4:		/* IPV4_ADDR_SUBNET */
	case 7:		/* IPV4_ADDR_RANGE */
		want = 8;
		break;
	case 5:		/* IPV6_ADDR */
		want = 16;
		break;
	case 6:		/* IPV6_ADDR_SUBNET */
	case 8:		/* IPV6_ADDR_RANGE */
		want = 32;
		break;
	case 2: case 3: case 9: case 10: case 11:
		break;
	default:
		return -ISAKMP_N_INVALID_ID_INFORMATION;
	}
	if (want && id->len != want)
		return -ISAKMP_N_INVALID_ID_INFORMATION;
	return 0;
}

int isakmp_parse_notify(const uint8_t *b, size_t len,
			struct isakmp_notify_pl *n)
{
	if (len < 8)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	n->doi = isakmp_get32(b);
	n->proto = b[4];
	n->spi_size = b[5];
	n->type = get16(b + 6);
	if (n->spi_size > len - 8)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	n->spi = b + 8;
	n->data = b + 8 + n->spi_size;
	n->data_len = len - 8 - n->spi_size;
	return 0;
}

int isakmp_parse_delete(const uint8_t *b, size_t len, struct isakmp_delete *d)
{
	if (len < 8)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	d->doi = isakmp_get32(b);
	d->proto = b[4];
	d->spi_size = b[5];
	d->nspi = get16(b + 6);
	d->spis = b + 8;
	if (d->proto == ISAKMP_PROTO_ISAKMP && d->spi_size != 16)
		return -ISAKMP_N_INVALID_SPI;
	if ((d->proto == ISAKMP_PROTO_ESP || d->proto == ISAKMP_PROTO_AH) &&
	    d->spi_size != 4)
		return -ISAKMP_N_INVALID_SPI;
	if (!d->nspi || (size_t)d->nspi * d->spi_size != len - 8)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	return 0;
}

const struct isakmp_payload *isakmp_find(const struct isakmp_msg *m,
					 uint8_t type)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

int isakmp_count(const struct isakmp_msg *m, uint8_t type)
{
	int i, c = 0;

	for (i = 0; i < m->n; i++)
		c += m->pl[i].type == type;
	return c;
}

const struct isakmp_attr *isakmp_attr_find(const struct isakmp_transform *t,
					   uint16_t type)
{
	int i;

	for (i = 0; i < t->nattr; i++)
		if (t->attr[i].type == type)
			return &t->attr[i];
	return NULL;
}

int isakmp_parse_cfg(const uint8_t *b, size_t len, struct isakmp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	if (len < 4)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	c->type = b[0];
	c->id = get16(b + 2);
	return parse_attr_list(b + 4, len - 4, c->attr, ISAKMP_MAX_CFG_ATTRS,
			       &c->nattr, &c->skipped);
}

const struct isakmp_attr *isakmp_cfg_find(const struct isakmp_cfg *c,
					  uint16_t type)
{
	int i;

	for (i = 0; i < c->nattr; i++)
		if (c->attr[i].type == type)
			return &c->attr[i];
	return NULL;
}
