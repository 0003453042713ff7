// SPDX-License-Identifier: GPL-2.0
/*
 * ISAKMP codec: round trips of every payload kind and one assertion per
 * malformation. Run under valgrind to prove no over-read.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "isakmp/isakmp.h"

static uint8_t buf[4096];
static struct isakmp_msg m;

static const uint8_t ic[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void hdr(struct isakmp_hdr *h, uint8_t exch, uint8_t flags,
		uint32_t msgid)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, ic, 8);
	h->exch = exch;
	h->flags = flags;
	h->msgid = msgid;
}

/* Phase 1 SA: one proposal, two transforms, TV and a TLV lifetime. */
static void fill_sa(struct isakmp_sa *sa)
{
	struct isakmp_transform *t;

	memset(sa, 0, sizeof(*sa));
	sa->doi = ISAKMP_DOI_IPSEC;
	sa->situation = ISAKMP_SIT_IDENTITY_ONLY;
	sa->nprop = 1;
	sa->p[0].num = 1;
	sa->p[0].proto = ISAKMP_PROTO_ISAKMP;
	sa->p[0].ntrans = 2;
	t = &sa->p[0].t[0];
	t->num = 1;
	t->id = ISAKMP_KEY_IKE;
	t->nattr = 4;
	t->attr[0] = (struct isakmp_attr){ .type = IKE_A_ENC, .tv = true,
					   .val = 7, .val_ok = true };
	t->attr[1] = (struct isakmp_attr){ .type = IKE_A_KEY_LEN, .tv = true,
					   .val = 256, .val_ok = true };
	t->attr[2] = (struct isakmp_attr){ .type = IKE_A_LIFE_TYPE, .tv = true,
					   .val = 1, .val_ok = true };
	t->attr[3] = (struct isakmp_attr){ .type = IKE_A_LIFE_DUR,
					   .val = 86400, .val_ok = true };
	sa->p[0].t[1] = *t;
	sa->p[0].t[1].num = 2;
	sa->p[0].t[1].attr[1].val = 128;
}

static size_t build_mm1(void)
{
	struct isakmp_gen g;
	struct isakmp_hdr h;
	struct isakmp_sa sa;

	hdr(&h, ISAKMP_XCHG_IDPROT, 0, 0);
	fill_sa(&sa);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, &sa);
	isakmp_gen_raw(&g, ISAKMP_NP_VID, "0123456789abcdef", 16);
	return isakmp_gen_finish(&g);
}

static int parse_sa_of(size_t len, struct isakmp_sa *sa)
{
	int rc = isakmp_parse(buf, len, &m);

	if (rc)
		return rc;
	return isakmp_parse_sa(m.pl[0].body, m.pl[0].len, sa);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Offsets in the MM1 built above. */
#define SA_OFF		ISAKMP_HDR_LEN
#define PROP_OFF	(SA_OFF + 4 + 8)
#define T1_OFF		(PROP_OFF + 8)
#define A1_OFF		(T1_OFF + 8)

int main(void)
{
	static struct isakmp_sa sa;
	struct isakmp_id id;
	struct isakmp_notify_pl n;
	struct isakmp_delete d;
	struct isakmp_gen g;
	struct isakmp_hdr h;
	char why[128];
	size_t len, i;
	int rc;

	/* ---- round trip: MM1 ---- */
	len = build_mm1();
	ok(len > 0, "MM1 generated (%zu bytes)", len);
	is_int(buf[16], ISAKMP_NP_SA, "first payload SA");
	is_int(buf[17], 0x10, "version 1.0");
	is_int(isakmp_parse(buf, len, &m), 0, "MM1 parses");
	is_int(m.n, 2, "two payloads");
	ok(m.pl[0].type == ISAKMP_NP_SA && m.pl[1].type == ISAKMP_NP_VID,
	   "SA then VID");
	is_mem(m.hdr.icookie, ic, 8, "icookie");
	is_int(m.hdr.len, len, "header length");
	is_mem(m.pl[1].body, "0123456789abcdef", 16, "VID body");
	is_int(isakmp_parse_sa(m.pl[0].body, m.pl[0].len, &sa), 0, "SA parses");
	ok(sa.nprop == 1 && sa.p[0].proto == 1 && sa.p[0].ntrans == 2,
	   "1 proposal, 2 transforms");
	ok(sa.p[0].t[0].nattr == 4 && sa.p[0].t[0].attr[0].tv &&
	   sa.p[0].t[0].attr[0].val == 7, "enc TV attribute");
	ok(!sa.p[0].t[0].attr[3].tv && sa.p[0].t[0].attr[3].len == 4 &&
	   sa.p[0].t[0].attr[3].val == 86400, "lifetime TLV attribute");
	is_int(isakmp_attr_find(&sa.p[0].t[1], IKE_A_KEY_LEN)->val, 128,
	       "second transform key length");
	ok(isakmp_attr_find(&sa.p[0].t[1], 99) == NULL, "missing attr");
	/* Regenerating a parsed SA gives the same bytes (responder echo). */
	{
		uint8_t b2[1024];

		hdr(&h, ISAKMP_XCHG_IDPROT, 0, 0);
		isakmp_gen_init(&g, b2, sizeof(b2), &h);
		isakmp_gen_sa(&g, &sa);
		ok(isakmp_gen_finish(&g) == ISAKMP_HDR_LEN + 4 + m.pl[0].len &&
		   !memcmp(b2 + ISAKMP_HDR_LEN + 4, m.pl[0].body, m.pl[0].len),
		   "parsed SA regenerates byte-identical");
	}
	is_int(isakmp_check_rule(&m, MSG_MM1, why, sizeof(why)), 0,
	       "MM1 passes its rule");
	ok(isakmp_check_rule(&m, MSG_MM3, why, sizeof(why)) ==
	   -ISAKMP_N_INVALID_PAYLOAD_TYPE, "MM1 is not an MM3: %s", why);
	isakmp_payload_list(&m, why, sizeof(why));
	is_str(why, "SA,VID", "payload list");

	/* ---- every payload kind ---- */
	{
		uint8_t spi4[4] = { 0xde, 0xad, 0xbe, 0xef }, spis[8];
		uint8_t v4sub[8] = { 10, 1, 0, 0, 255, 255, 0, 0 };
		uint8_t nonce[32];

		memset(nonce, 0x55, sizeof(nonce));
		memcpy(spis, spi4, 4);
		memcpy(spis + 4, "\x01\x02\x03\x04", 4);
		hdr(&h, ISAKMP_XCHG_INFO, 0, 0x11223344);
		isakmp_gen_init(&g, buf, sizeof(buf), &h);
		isakmp_gen_raw(&g, ISAKMP_NP_KE, "\x01\x02\x03", 3);
		isakmp_gen_raw(&g, ISAKMP_NP_NONCE, nonce, 16);
		isakmp_gen_id(&g, 4, 17, 500, v4sub, 8);
		isakmp_gen_id(&g, 2, 0, 0, "vpn.example", 11);
		isakmp_gen_raw(&g, ISAKMP_NP_HASH, nonce, 8);
		isakmp_gen_raw(&g, ISAKMP_NP_SIG, nonce, 4);
		isakmp_gen_raw(&g, ISAKMP_NP_CERT, "\x04xyz", 4);
		isakmp_gen_raw(&g, ISAKMP_NP_CR, "\x04", 1);
		isakmp_gen_notify(&g, ISAKMP_PROTO_ESP, spi4, 4,
				  ISAKMP_N_RESPONDER_LIFETIME, "\x80\x01\x00\x01", 4);
		isakmp_gen_delete(&g, ISAKMP_PROTO_ESP, 4, spis, 2);
		isakmp_gen_raw(&g, ISAKMP_NP_NATD, nonce, 20);
		isakmp_gen_raw(&g, ISAKMP_NP_NATD_DRAFT, nonce, 20);
		len = isakmp_gen_finish(&g);
		ok(len > 0, "all payload kinds generated");
		is_int(isakmp_parse(buf, len, &m), 0, "all payload kinds parse");
		is_int(m.n, 12, "12 payloads");
		is_int(m.hdr.msgid, 0x11223344, "message id");
		is_int(isakmp_count(&m, ISAKMP_NP_ID), 2, "two IDs");
		is_int(isakmp_parse_id(m.pl[2].body, m.pl[2].len, &id), 0,
		       "subnet ID parses");
		ok(id.type == 4 && id.proto == 17 && id.port == 500 &&
		   id.len == 8 && !memcmp(id.data, v4sub, 8) &&
		   id.body_len == 12, "subnet ID fields");
		is_int(isakmp_parse_id(m.pl[3].body, m.pl[3].len, &id), 0,
		       "fqdn ID parses");
		ok(id.type == 2 && id.len == 11 && !memcmp(id.data, "vpn.example", 11),
		   "fqdn ID fields");
		is_int(isakmp_parse_notify(m.pl[8].body, m.pl[8].len, &n), 0,
		       "notify parses");
		ok(n.doi == 1 && n.proto == 3 && n.spi_size == 4 &&
		   n.type == ISAKMP_N_RESPONDER_LIFETIME &&
		   !memcmp(n.spi, spi4, 4) && n.data_len == 4, "notify fields");
		is_int(isakmp_parse_delete(m.pl[9].body, m.pl[9].len, &d), 0,
		       "delete parses");
		ok(d.proto == 3 && d.nspi == 2 && !memcmp(d.spis, spis, 8),
		   "delete fields");
		ok(m.pl[10].type == 20 && m.pl[11].type == 130 &&
		   m.pl[11].len == 20, "NAT-D and draft NAT-D");
		is_str(isakmp_notify_name(ISAKMP_N_NO_PROPOSAL_CHOSEN),
		       "NO-PROPOSAL-CHOSEN", "notify name");
		is_str(isakmp_notify_name(40000), "NOTIFY-40000",
		       "unknown notify name");
	}

	/* ---- header malformations ---- */
	len = build_mm1();
	ok(isakmp_parse(buf, 27, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "short header");
	ok(isakmp_parse(buf, 0, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "empty datagram");
	buf[17] = 0x20;
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_INVALID_MAJOR_VERSION,
	   "major version 2 refused");
	buf[17] = 0x10;
	ok(isakmp_parse(buf, len - 1, &m) == -ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS,
	   "datagram shorter than header length");
	buf[len] = 0;
	ok(isakmp_parse(buf, len + 1, &m) == -ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS,
	   "datagram longer than header length");
	buf[19] = 0x08;
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_INVALID_FLAGS,
	   "unknown flag refused");
	buf[19] = ISAKMP_FLAG_E;
	ok(isakmp_parse(buf, len, &m) == 0 && m.n == 0,
	   "encrypted: header only");
	buf[19] = 0;

	/* ---- generic payload chain ---- */
	buf[16] = 99;
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_INVALID_PAYLOAD_TYPE,
	   "unknown first payload type");
	buf[16] = ISAKMP_NP_P;
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_INVALID_PAYLOAD_TYPE,
	   "proposal at top level refused");
	buf[16] = ISAKMP_NP_SA;
	put16(buf + SA_OFF + 2, 3);
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "payload length below 4");
	put16(buf + SA_OFF + 2, (unsigned)(len - SA_OFF + 1));
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "payload length past the end");
	len = build_mm1();
	buf[len - 20] = ISAKMP_NP_NONE;		/* VID's np: fine */
	buf[SA_OFF] = ISAKMP_NP_NONE;		/* SA says: last */
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS,
	   "bytes after the last payload (plaintext)");
	is_int(isakmp_parse_payloads(ISAKMP_NP_SA, buf + ISAKMP_HDR_LEN,
				     len - ISAKMP_HDR_LEN, &m), 0,
	       "trailing padding accepted in decrypted body");
	len = build_mm1();
	buf[len - 20] = ISAKMP_NP_VID;		/* VID says another follows */
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "next payload announced but no room");
	/* Too many payloads. */
	hdr(&h, ISAKMP_XCHG_IDPROT, 0, 0);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	for (i = 0; i < ISAKMP_MAX_PAYLOADS + 1; i++)
		isakmp_gen_raw(&g, ISAKMP_NP_VID, "x", 1);
	len = isakmp_gen_finish(&g);
	ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "more than %d payloads refused", ISAKMP_MAX_PAYLOADS);
	/* Nonce bounds. */
	{
		uint8_t nn[300] = { 0 };

		isakmp_gen_init(&g, buf, sizeof(buf), &h);
		isakmp_gen_raw(&g, ISAKMP_NP_NONCE, nn, 7);
		len = isakmp_gen_finish(&g);
		ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "7-byte nonce refused");
		isakmp_gen_init(&g, buf, sizeof(buf), &h);
		isakmp_gen_raw(&g, ISAKMP_NP_NONCE, nn, 257);
		len = isakmp_gen_finish(&g);
		ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "257-byte nonce refused");
		isakmp_gen_init(&g, buf, sizeof(buf), &h);
		isakmp_gen_raw(&g, ISAKMP_NP_KE, nn, 0);
		len = isakmp_gen_finish(&g);
		ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "empty KE refused");
		isakmp_gen_init(&g, buf, sizeof(buf), &h);
		isakmp_gen_raw(&g, ISAKMP_NP_HASH, nn, 0);
		len = isakmp_gen_finish(&g);
		ok(isakmp_parse(buf, len, &m) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "empty HASH refused");
	}
	/* Generation overflow latches. */
	{
		uint8_t small[40];

		isakmp_gen_init(&g, small, sizeof(small), &h);
		isakmp_gen_raw(&g, ISAKMP_NP_VID, "0123456789abcdef", 16);
		is_int(isakmp_gen_finish(&g), 0, "generation overflow detected");
	}

	/* ---- SA payload ---- */
	len = build_mm1();
	buf[SA_OFF + 7] = 2;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_DOI_NOT_SUPPORTED, "DOI 2");
	len = build_mm1();
	buf[SA_OFF + 11] = 2;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_SITUATION_NOT_SUPPORTED,
	   "situation SECRECY");
	len = build_mm1();
	buf[PROP_OFF] = ISAKMP_NP_T;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_BAD_PROPOSAL_SYNTAX,
	   "proposal next payload = T");
	len = build_mm1();
	buf[PROP_OFF] = ISAKMP_NP_P;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED ||
	   parse_sa_of(len, &sa) == -ISAKMP_N_BAD_PROPOSAL_SYNTAX,
	   "proposal announces another, none there");
	len = build_mm1();
	put16(buf + PROP_OFF + 2, 0x400);
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "proposal longer than SA");
	len = build_mm1();
	put16(buf + PROP_OFF + 2, 7);
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "proposal shorter than its header");
	len = build_mm1();
	buf[PROP_OFF + 7] = 3;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_BAD_PROPOSAL_SYNTAX,
	   "transform count says 3, has 2");
	len = build_mm1();
	buf[PROP_OFF + 7] = 0;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_BAD_PROPOSAL_SYNTAX,
	   "transform count 0");
	len = build_mm1();
	buf[PROP_OFF + 6] = 200;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "SPI size beyond proposal");
	len = build_mm1();
	buf[PROP_OFF + 6] = 17;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "SPI size 17");
	len = build_mm1();
	buf[T1_OFF] = ISAKMP_NP_P;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_BAD_PROPOSAL_SYNTAX,
	   "transform next payload = P");
	len = build_mm1();
	buf[T1_OFF] = ISAKMP_NP_NONE;
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_BAD_PROPOSAL_SYNTAX,
	   "first transform claims to be last");
	len = build_mm1();
	put16(buf + T1_OFF + 2, 0x300);
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "transform longer than proposal");
	len = build_mm1();
	put16(buf + T1_OFF + 2, 6);
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "transform shorter than 8");
	len = build_mm1();
	put16(buf + T1_OFF + 2, 8 + 4 * 3 + 2);
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "transform cuts an attribute in half");
	len = build_mm1();
	/* 4th attribute is the TLV lifetime: claim 200 bytes. */
	put16(buf + A1_OFF + 12 + 2, 200);
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "TLV attribute length past the transform");
	len = build_mm1();
	put16(buf + A1_OFF + 12 + 2, 5);
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_PAYLOAD_MALFORMED,
	   "TLV attribute length off by one");
	/* SA with no proposals at all. */
	hdr(&h, ISAKMP_XCHG_IDPROT, 0, 0);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	{
		size_t o = isakmp_gen_begin(&g, ISAKMP_NP_SA);

		isakmp_gen_u32(&g, 1);
		isakmp_gen_u32(&g, 1);
		isakmp_gen_end(&g, o);
	}
	len = isakmp_gen_finish(&g);
	ok(parse_sa_of(len, &sa) == -ISAKMP_N_BAD_PROPOSAL_SYNTAX,
	   "SA without proposals");
	/* Too many attributes. */
	fill_sa(&sa);
	sa.p[0].t[0].nattr = ISAKMP_MAX_ATTRS;
	for (i = 0; i < ISAKMP_MAX_ATTRS; i++)
		sa.p[0].t[0].attr[i] = (struct isakmp_attr){ .type = 1,
			.tv = true, .val = 7 };
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, &sa);
	len = isakmp_gen_finish(&g);
	is_int(parse_sa_of(len, &sa), 0, "%d attributes accepted",
	       ISAKMP_MAX_ATTRS);
	put16(buf + A1_OFF - 8 + 2, 8 + 4 * ISAKMP_MAX_ATTRS + 4);
	{
		/* Rebuild with one more attribute by hand. */
		uint8_t b2[2048];
		size_t tl = 8 + 4 * ISAKMP_MAX_ATTRS;

		memcpy(b2, buf, A1_OFF + 4 * ISAKMP_MAX_ATTRS);
		memcpy(b2 + A1_OFF + 4 * ISAKMP_MAX_ATTRS, "\x80\x01\x00\x07", 4);
		memcpy(b2 + A1_OFF + 4 * ISAKMP_MAX_ATTRS + 4,
		       buf + A1_OFF + 4 * ISAKMP_MAX_ATTRS,
		       len - A1_OFF - 4 * ISAKMP_MAX_ATTRS);
		len += 4;
		put16(b2 + T1_OFF + 2, (unsigned)(tl + 4));
		put16(b2 + PROP_OFF + 2,
		      (unsigned)((b2[PROP_OFF + 2] << 8 | b2[PROP_OFF + 3]) + 4));
		put16(b2 + SA_OFF + 2,
		      (unsigned)((b2[SA_OFF + 2] << 8 | b2[SA_OFF + 3]) + 4));
		b2[24] = (uint8_t)(len >> 24);
		b2[25] = (uint8_t)(len >> 16);
		b2[26] = (uint8_t)(len >> 8);
		b2[27] = (uint8_t)len;
		memcpy(buf, b2, len);
		ok(parse_sa_of(len, &sa) == -ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED,
		   "%d attributes refused", ISAKMP_MAX_ATTRS + 1);
	}

	/* More proposals than we keep: parsed, the first ones kept. */
	fill_sa(&sa);
	for (i = 1; i < ISAKMP_MAX_PROPS; i++) {
		sa.p[i] = sa.p[0];
		sa.p[i].num = (uint8_t)(i + 1);
	}
	sa.nprop = ISAKMP_MAX_PROPS;
	hdr(&h, ISAKMP_XCHG_IDPROT, 0, 0);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, &sa);
	isakmp_gen_sa(&g, &sa);		/* second SA: append its proposals */
	len = isakmp_gen_finish(&g);
	{
		/* Splice: one SA payload with 2 * MAX proposals. */
		static uint8_t b2[4096];
		size_t sa1 = (size_t)(buf[SA_OFF + 2] << 8 | buf[SA_OFF + 3]);
		size_t sa2 = len - SA_OFF - sa1, tot;

		memcpy(b2, buf, SA_OFF + sa1);
		/* last proposal of the first SA now has a successor */
		{
			size_t off = SA_OFF + 12, pl;

			for (i = 0; i + 1 < ISAKMP_MAX_PROPS; i++)
				off += (size_t)(b2[off + 2] << 8 | b2[off + 3]);
			pl = off;
			b2[pl] = ISAKMP_NP_P;
		}
		memcpy(b2 + SA_OFF + sa1, buf + SA_OFF + sa1 + 12, sa2 - 12);
		tot = SA_OFF + sa1 + sa2 - 12;
		b2[SA_OFF] = 0;
		put16(b2 + SA_OFF + 2, (unsigned)(sa1 + sa2 - 12));
		b2[24] = 0;
		b2[25] = 0;
		b2[26] = (uint8_t)(tot >> 8);
		b2[27] = (uint8_t)tot;
		memcpy(buf, b2, tot);
		len = tot;
	}
	rc = parse_sa_of(len, &sa);
	ok(rc == 0 && sa.nprop == ISAKMP_MAX_PROPS && sa.p[0].num == 1,
	   "%d proposals: parsed, first %d kept (rc %d)",
	   2 * ISAKMP_MAX_PROPS, ISAKMP_MAX_PROPS, rc);
	{
		/* Break the last (not kept) proposal: still an error. */
		size_t off = SA_OFF + 12;

		for (i = 0; i + 1 < 2 * ISAKMP_MAX_PROPS; i++)
			off += (size_t)(buf[off + 2] << 8 | buf[off + 3]);
		buf[off + 7] = 5;	/* transform count */
		ok(parse_sa_of(len, &sa) == -ISAKMP_N_BAD_PROPOSAL_SYNTAX,
		   "a broken proposal beyond the kept ones still fails");
	}

	/* ---- ID lengths per type ---- */
	{
		static const struct { uint8_t type; size_t good; } t[] = {
			{ 1, 4 }, { 4, 8 }, { 5, 16 }, { 6, 32 }, { 7, 8 },
			{ 8, 32 },
		};
		uint8_t b[40] = { 0 };

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			b[0] = t[i].type;
			ok(isakmp_parse_id(b, 4 + t[i].good, &id) == 0,
			   "ID type %u with %zu bytes", t[i].type, t[i].good);
			ok(isakmp_parse_id(b, 4 + t[i].good - 1, &id) ==
			   -ISAKMP_N_INVALID_ID_INFORMATION,
			   "ID type %u one byte short", t[i].type);
			ok(isakmp_parse_id(b, 4 + t[i].good + 1, &id) ==
			   -ISAKMP_N_INVALID_ID_INFORMATION,
			   "ID type %u one byte long", t[i].type);
		}
		b[0] = 11;
		ok(isakmp_parse_id(b, 6, &id) == 0 && id.len == 2, "KEY_ID");
		b[0] = 3;
		ok(isakmp_parse_id(b, 6, &id) == 0, "USER_FQDN");
		ok(isakmp_parse_id(b, 4, &id) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "ID without data");
		b[0] = 12;
		ok(isakmp_parse_id(b, 8, &id) == -ISAKMP_N_INVALID_ID_INFORMATION,
		   "ID type 12 unknown");
		b[0] = 0;
		ok(isakmp_parse_id(b, 8, &id) == -ISAKMP_N_INVALID_ID_INFORMATION,
		   "ID type 0");
	}

	/* ---- Notify / Delete ---- */
	{
		uint8_t b[64] = { 0, 0, 0, 1, 3, 4, 0, 14, 1, 2, 3, 4 };

		ok(isakmp_parse_notify(b, 12, &n) == 0 && n.data_len == 0 &&
		   n.type == 14, "notify with SPI, no data");
		ok(isakmp_parse_notify(b, 11, &n) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "notify SPI size past the end");
		ok(isakmp_parse_notify(b, 7, &n) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "notify shorter than 8");
		memcpy(b, "\x00\x00\x00\x01\x03\x04\x00\x02", 8);
		memset(b + 8, 0xaa, 8);
		ok(isakmp_parse_delete(b, 16, &d) == 0 && d.nspi == 2,
		   "delete 2 ESP SPIs");
		ok(isakmp_parse_delete(b, 15, &d) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "delete SPI count vs length");
		b[7] = 0;
		ok(isakmp_parse_delete(b, 8, &d) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "delete with zero SPIs");
		b[7] = 1;
		b[5] = 8;
		ok(isakmp_parse_delete(b, 16, &d) == -ISAKMP_N_INVALID_SPI,
		   "ESP delete SPI size 8");
		b[4] = 1;
		ok(isakmp_parse_delete(b, 16, &d) == -ISAKMP_N_INVALID_SPI,
		   "ISAKMP delete SPI size 8");
		b[5] = 16;
		memset(b + 8, 0xbb, 16);
		ok(isakmp_parse_delete(b, 24, &d) == 0, "ISAKMP delete cookies");
		b[6] = 0xff;
		b[7] = 0xff;
		ok(isakmp_parse_delete(b, 24, &d) == -ISAKMP_N_PAYLOAD_MALFORMED,
		   "delete count 65535 in 16 bytes");
	}

	/* ---- message rules ---- */
	{
		uint8_t nonce[16] = { 0 };

		hdr(&h, ISAKMP_XCHG_QUICK, ISAKMP_FLAG_E, 5);
		isakmp_gen_init(&g, buf, sizeof(buf), &h);
		isakmp_gen_raw(&g, ISAKMP_NP_HASH, nonce, 16);
		fill_sa(&sa);
		isakmp_gen_sa(&g, &sa);
		isakmp_gen_raw(&g, ISAKMP_NP_NONCE, nonce, 16);
		isakmp_gen_id(&g, 4, 0, 0, nonce, 8);
		isakmp_gen_id(&g, 4, 0, 0, nonce, 8);
		len = isakmp_gen_finish(&g);
		m.hdr.flags = 0;
		rc = isakmp_parse_payloads(ISAKMP_NP_HASH, buf + ISAKMP_HDR_LEN,
					   len - ISAKMP_HDR_LEN, &m);
		m.hdr.exch = ISAKMP_XCHG_QUICK;
		m.hdr.flags = ISAKMP_FLAG_E;
		ok(rc == 0 && isakmp_check_rule(&m, MSG_QM1, why, sizeof(why)) == 0,
		   "QM1 with IDci/IDcr passes");
		m.n = 4;
		ok(isakmp_check_rule(&m, MSG_QM1, why, sizeof(why)) ==
		   -ISAKMP_N_PAYLOAD_MALFORMED && strstr(why, "pair"),
		   "QM1 with one ID refused: %s", why);
		m.n = 5;
		m.pl[0].type = ISAKMP_NP_VID;
		ok(isakmp_check_rule(&m, MSG_QM1, why, sizeof(why)) ==
		   -ISAKMP_N_PAYLOAD_MALFORMED && strstr(why, "start with HASH"),
		   "QM1 not starting with HASH: %s", why);
		m.pl[0].type = ISAKMP_NP_HASH;
		m.pl[2].type = ISAKMP_NP_HASH;
		ok(isakmp_check_rule(&m, MSG_QM1, why, sizeof(why)) ==
		   -ISAKMP_N_PAYLOAD_MALFORMED && strstr(why, "duplicate HASH"),
		   "duplicate HASH: %s", why);
		m.pl[2].type = ISAKMP_NP_NONCE;
		m.hdr.flags = 0;
		ok(isakmp_check_rule(&m, MSG_QM1, why, sizeof(why)) ==
		   -ISAKMP_N_INVALID_FLAGS, "plaintext QM1 refused: %s", why);
		m.hdr.flags = ISAKMP_FLAG_E;
		m.hdr.exch = ISAKMP_XCHG_IDPROT;
		ok(isakmp_check_rule(&m, MSG_QM1, why, sizeof(why)) ==
		   -ISAKMP_N_INVALID_EXCHANGE_TYPE, "wrong exchange: %s", why);
		m.hdr.exch = ISAKMP_XCHG_QUICK;
		m.n = 2;	/* HASH, SA */
		ok(isakmp_check_rule(&m, MSG_QM1, why, sizeof(why)) ==
		   -ISAKMP_N_PAYLOAD_MALFORMED && strstr(why, "missing NONCE"),
		   "QM1 without nonce: %s", why);
		m.n = 1;
		ok(isakmp_check_rule(&m, MSG_QM3, why, sizeof(why)) == 0,
		   "QM3 is HASH only");
		m.n = 2;
		ok(isakmp_check_rule(&m, MSG_QM3, why, sizeof(why)) ==
		   -ISAKMP_N_INVALID_PAYLOAD_TYPE, "QM3 with SA refused");
		m.hdr.exch = ISAKMP_XCHG_IDPROT;
		m.pl[0].type = ISAKMP_NP_KE;
		m.pl[1].type = ISAKMP_NP_NONCE;
		m.hdr.flags = 0;
		ok(isakmp_check_rule(&m, MSG_MM3, why, sizeof(why)) == 0, "MM3 ok");
		m.pl[1].type = ISAKMP_NP_KE;
		ok(isakmp_check_rule(&m, MSG_MM3, why, sizeof(why)) ==
		   -ISAKMP_N_PAYLOAD_MALFORMED, "MM3 with two KE: %s", why);
		m.hdr.flags = ISAKMP_FLAG_E;
		m.pl[0].type = ISAKMP_NP_ID;
		m.pl[1].type = ISAKMP_NP_ID;
		ok(isakmp_check_rule(&m, MSG_MM5, why, sizeof(why)) ==
		   -ISAKMP_N_PAYLOAD_MALFORMED, "MM5 with two IDs: %s", why);
		m.pl[1].type = ISAKMP_NP_HASH;
		ok(isakmp_check_rule(&m, MSG_MM5, why, sizeof(why)) == 0, "MM5 ok");
		m.hdr.exch = ISAKMP_XCHG_INFO;
		m.hdr.flags = 0;
		m.n = 0;
		ok(isakmp_check_rule(&m, MSG_INFO_PLAIN, why, sizeof(why)) ==
		   -ISAKMP_N_PAYLOAD_MALFORMED, "empty INFO");
	}

	/* ---- every truncation and every single-byte flip of MM1 ---- */
	{
		int crashes = 0, ok_trunc = 1;
		size_t full = build_mm1();
		uint8_t orig[512];

		memcpy(orig, buf, full);
		for (i = 0; i < full; i++) {
			uint8_t *t = malloc(i ? i : 1);

			memcpy(t, orig, i);
			/* Header length left as is: must fail. */
			if (isakmp_parse(t, i, &m) == 0)
				ok_trunc = 0;
			free(t);
		}
		ok(ok_trunc, "every truncation of MM1 refused");
		srand(1);
		for (i = 0; i < 20000; i++) {
			uint8_t *t = malloc(full);

			memcpy(t, orig, full);
			t[rand() % full] ^= (uint8_t)(1 + rand() % 255);
			t[rand() % full] ^= (uint8_t)(rand() % 256);
			if (isakmp_parse(t, full, &m) == 0 && m.n &&
			    m.pl[0].type == ISAKMP_NP_SA)
				isakmp_parse_sa(m.pl[0].body, m.pl[0].len, &sa);
			free(t);
		}
		ok(!crashes, "20000 mutated MM1s parsed without a crash");
	}
	return tap_done();
}
