// SPDX-License-Identifier: GPL-2.0
/*
 * What each ISAKMP payload says, in words: proposals with algorithm
 * names, vendor IDs by name, NAT-D hashes, IDs, notifies and Deletes.
 * The wire is parsed by lib/isakmp; this file only names things.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

struct name {
	unsigned int v;
	const char *s;
};

static const char *lookup(const struct name *t, size_t n, unsigned int v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return NULL;
}

#define LOOKUP(t, v)	lookup(t, sizeof(t) / sizeof(t[0]), v)

const char *dec_exch_name(uint8_t exch)
{
	switch (exch) {
	case ISAKMP_XCHG_IDPROT: return "Main Mode";
	case ISAKMP_XCHG_AGGR: return "Aggressive Mode";
	case ISAKMP_XCHG_INFO: return "Informational";
	case ISAKMP_XCHG_QUICK: return "Quick Mode";
	case ISAKMP_XCHG_TRANSACTION: return "Transaction (Mode Config)";
	}
	return "unknown exchange";
}

/* RFC 2409 appendix A, phase 1 attribute values. */
static const struct name p1_enc[] = {
	{ 1, "DES-CBC" }, { 2, "IDEA-CBC" }, { 3, "Blowfish-CBC" },
	{ 4, "RC5-CBC" }, { 5, "3DES-CBC" }, { 6, "CAST-CBC" },
	{ 7, "AES-CBC" }, { 8, "Camellia-CBC" },
};

static const struct name p1_hash[] = {
	{ 1, "MD5" }, { 2, "SHA1" }, { 3, "Tiger" }, { 4, "SHA2-256" },
	{ 5, "SHA2-384" }, { 6, "SHA2-512" },
};

static const struct name p1_auth[] = {
	{ 1, "PSK" }, { 2, "DSS-SIG" }, { 3, "RSA-SIG" }, { 4, "RSA-ENC" },
	{ 5, "RSA-ENC-REV" }, { 9, "ECDSA-256" }, { 10, "ECDSA-384" },
	{ 11, "ECDSA-521" },
	{ 64221, "HybridInitRSA" }, { 64222, "HybridRespRSA" },
	{ 65001, "XAUTHInitPreShared" }, { 65002, "XAUTHRespPreShared" },
	{ 65005, "XAUTHInitRSA" }, { 65006, "XAUTHRespRSA" },
};

static const struct name groups[] = {
	{ 1, "MODP768" }, { 2, "MODP1024" }, { 5, "MODP1536" },
	{ 14, "MODP2048" }, { 15, "MODP3072" }, { 16, "MODP4096" },
	{ 17, "MODP6144" }, { 18, "MODP8192" }, { 19, "ECP256" },
	{ 20, "ECP384" }, { 21, "ECP521" }, { 22, "MODP1024s160" },
	{ 23, "MODP2048s224" }, { 24, "MODP2048s256" }, { 25, "ECP192" },
	{ 26, "ECP224" }, { 27, "BRAINPOOL224" }, { 28, "BRAINPOOL256" },
	{ 29, "BRAINPOOL384" }, { 30, "BRAINPOOL512" }, { 31, "Curve25519" },
	{ 32, "Curve448" },
};

static const struct name life_types[] = {
	{ 1, "seconds" }, { 2, "kilobytes" },
};

/* RFC 2407 4.4.4 and IANA: ESP transform IDs; 4.4.3 AH. */
static const struct name esp_ids[] = {
	{ 1, "DES-IV64" }, { 2, "DES-CBC" }, { 3, "3DES-CBC" },
	{ 4, "RC5" }, { 5, "IDEA" }, { 6, "CAST" }, { 7, "Blowfish" },
	{ 9, "DES-IV32" }, { 11, "NULL" }, { 12, "AES-CBC" },
	{ 13, "AES-CTR" }, { 14, "AES-CCM-8" }, { 15, "AES-CCM-12" },
	{ 16, "AES-CCM-16" }, { 18, "AES-GCM-8" }, { 19, "AES-GCM-12" },
	{ 20, "AES-GCM-16" }, { 21, "NULL-AUTH-AES-GMAC" },
	{ 22, "Camellia-CBC" }, { 28, "ChaCha20-Poly1305" },
};

static const struct name ah_ids[] = {
	{ 2, "MD5" }, { 3, "SHA" }, { 4, "DES" }, { 5, "SHA2-256" },
	{ 6, "SHA2-384" }, { 7, "SHA2-512" },
};

static const struct name p2_auth[] = {
	{ 1, "HMAC-MD5" }, { 2, "HMAC-SHA1" }, { 3, "DES-MAC" },
	{ 4, "KPDK" }, { 5, "HMAC-SHA2-256" }, { 6, "HMAC-SHA2-384" },
	{ 7, "HMAC-SHA2-512" }, { 9, "AES-XCBC-MAC" },
};

static const struct name encaps[] = {
	{ 1, "tunnel" }, { 2, "transport" }, { 3, "UDP-tunnel" },
	{ 4, "UDP-transport" }, { 61443, "UDP-tunnel(draft)" },
	{ 61444, "UDP-transport(draft)" },
};

static const struct name protos[] = {
	{ 1, "ISAKMP" }, { 2, "AH" }, { 3, "ESP" }, { 4, "IPCOMP" },
};

static const struct name id_types[] = {
	{ 1, "IPV4_ADDR" }, { 2, "FQDN" }, { 3, "USER_FQDN" },
	{ 4, "IPV4_ADDR_SUBNET" }, { 5, "IPV6_ADDR" },
	{ 6, "IPV6_ADDR_SUBNET" }, { 7, "IPV4_ADDR_RANGE" },
	{ 8, "IPV6_ADDR_RANGE" }, { 9, "DER_ASN1_DN" },
	{ 10, "DER_ASN1_GN" }, { 11, "KEY_ID" },
};

/* Status notifies the codec's table leaves out. */
static const struct name more_notifies[] = {
	{ 36136, "R-U-THERE" }, { 36137, "R-U-THERE-ACK" },
	{ 24579, "IPSEC-RESPONDER-LIFETIME" },
};

/* Vendor IDs as hex prefixes (a few carry flags or versions after them). */
static const struct {
	const char *name;
	const char *hex;
} vids[] = {
	{ "RFC 3947 NAT-T", "4a131c81070358455c5728f20e95452f" },
	{ "draft-ietf-ipsec-nat-t-ike-00", "4485152d18b6bbcd0be8a8469579ddcc" },
	{ "draft-ietf-ipsec-nat-t-ike-01", "16f6ca16e4a4066d83821a0f0aeaa862" },
	{ "draft-ietf-ipsec-nat-t-ike-02", "cd60464335df21f87cfdb2fc68b6a448" },
	{ "draft-ietf-ipsec-nat-t-ike-02\\n", "90cb80913ebb696e086381b5ec427b1f" },
	{ "draft-ietf-ipsec-nat-t-ike-03", "7d9419a65310ca6f2c179d9215529d56" },
	{ "draft-ietf-ipsec-nat-t-ike-08", "8f8d83826d246b6fc7a8a6a428c11de8" },
	{ "draft-ietf-ipsec-nat-t-ike-07", "439b59f8ba676c4c7737ae22eab8f582" },
	{ "draft-ietf-ipsec-nat-t-ike-06", "4d1e0e136deafa34c4f3ea9f02ec7285" },
	{ "draft-ietf-ipsec-nat-t-ike-05", "80d0bb3def54565ee84645d4c85ce3ee" },
	{ "draft-ietf-ipsec-nat-t-ike", "4df37928e9fc4fd1b3262170d515c662" },
	{ "Dead Peer Detection", "afcad71368a1f1c96b8696fc77570100" },
	{ "FRAGMENTATION", "4048b7d56ebce88525e7de7f00d6c2d3" },
	{ "XAUTH", "09002689dfd6b712" },
	{ "Cisco Unity", "12f5f28c457168a9702d9fe274cc0100" },
	{ "Cisco VPN Concentrator", "1f07f70eaa6514d3b0fa96542a50" },
	{ "Cisco IOS", "3e984048101e66cc659fd002b0ed3655" },
	{ "Cisco Delete Reason", "2d7922ca2d4c7b7066d66bff9f3e9c37" },
	{ "strongSwan", "882fe56d6fd20dbc2251613b2ebe5beb" },
	{ "Libreswan", "4f45" },
};

/* Vendor IDs that are a text prefix and the sender's version. */
static const struct {
	const char *name;
	const char *prefix;
} versioned_vids[] = {
	/* pluto with send-vendorid */
	{ "Libreswan", "OE-Libreswan-" },
};

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/*
 * A version is the peer's text: only what version strings are made of,
 * so a name printed or put into JSON never carries control characters.
 */
static bool vid_version(const uint8_t *d, size_t len)
{
	size_t i;

	if (len == 0 || len > DEC_VID_VERSION_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((d[i] >= '0' && d[i] <= '9') ||
		      (d[i] >= 'a' && d[i] <= 'z') ||
		      (d[i] >= 'A' && d[i] <= 'Z') ||
		      (d[i] && strchr(".-_+~", d[i]))))
			return false;
	return true;
}

const char *dec_vid_name(const uint8_t *d, size_t len,
			 char buf[DEC_VID_NAME_MAX])
{
	size_t i, j, n;

	for (i = 0; i < sizeof(versioned_vids) / sizeof(versioned_vids[0]);
	     i++) {
		n = strlen(versioned_vids[i].prefix);
		if (len < n || memcmp(d, versioned_vids[i].prefix, n) ||
		    !vid_version(d + n, len - n))
			continue;
		snprintf(buf, DEC_VID_NAME_MAX, "%s %.*s",
			 versioned_vids[i].name, (int)(len - n),
			 (const char *)d + n);
		return buf;
	}
	for (i = 0; i < sizeof(vids) / sizeof(vids[0]); i++) {
		n = strlen(vids[i].hex) / 2;
		if (len < n)
			continue;
		for (j = 0; j < n; j++)
			if (d[j] != (hexval(vids[i].hex[2 * j]) << 4 |
				     hexval(vids[i].hex[2 * j + 1])))
				break;
		if (j < n)
			continue;
		/* Libreswan's own ID is "OE" and ten printable characters. */
		if (n == 2 && len != 12)
			continue;
		return vids[i].name;
	}
	return NULL;
}

void dec_hex(const uint8_t *d, size_t len, char *out, size_t outlen)
{
	size_t i;

	if (!outlen)
		return;
	out[0] = 0;
	for (i = 0; i < len && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static const char *proto_str(uint8_t p, char *buf, size_t len)
{
	const char *s = LOOKUP(protos, p);

	if (s)
		return s;
	snprintf(buf, len, "proto-%u", p);
	return buf;
}

/* "AES-CBC" or "7" when unknown. */
static const char *value_str(const struct name *t, size_t n, uint64_t v,
			     char *buf, size_t len)
{
	const char *s = v <= 0xffff ? lookup(t, n, (unsigned int)v) : NULL;

	if (s)
		return s;
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

struct attr_desc {
	uint16_t type;
	const char *name;
	const struct name *vals;
	size_t nvals;
};

#define ATTR(t, n, v)	{ t, n, v, sizeof(v) / sizeof(v[0]) }
#define ATTR_NUM(t, n)	{ t, n, NULL, 0 }

static const struct attr_desc p1_attrs[] = {
	ATTR(IKE_A_ENC, "encryption", p1_enc),
	ATTR(IKE_A_HASH, "hash", p1_hash),
	ATTR(IKE_A_AUTH, "authentication", p1_auth),
	ATTR(IKE_A_GROUP, "group", groups),
	ATTR(IKE_A_LIFE_TYPE, "life-type", life_types),
	ATTR_NUM(IKE_A_LIFE_DUR, "life-duration"),
	ATTR_NUM(IKE_A_KEY_LEN, "key-length"),
};

static const struct attr_desc p2_attrs[] = {
	ATTR(IPSEC_A_LIFE_TYPE, "life-type", life_types),
	ATTR_NUM(IPSEC_A_LIFE_DUR, "life-duration"),
	ATTR(IPSEC_A_GROUP, "pfs-group", groups),
	ATTR(IPSEC_A_ENCAP, "encapsulation", encaps),
	ATTR(IPSEC_A_AUTH, "authentication", p2_auth),
	ATTR_NUM(IPSEC_A_KEY_LEN, "key-length"),
};

static const struct attr_desc *attr_desc(bool p1, uint16_t type)
{
	const struct attr_desc *t = p1 ? p1_attrs : p2_attrs;
	size_t n = p1 ? sizeof(p1_attrs) / sizeof(p1_attrs[0]) :
			sizeof(p2_attrs) / sizeof(p2_attrs[0]), i;

	for (i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* One transform: "AES-CBC key-length=256 hash=SHA2-256 ..." */
static void transform(struct dout *o, const struct isakmp_prop *pr,
		      const struct isakmp_transform *t, bool p1)
{
	char text[512], vbuf[32], nbuf[32];
	const char *id;
	size_t n = 0;
	int i;

	if (p1)
		id = t->id == ISAKMP_KEY_IKE ? "KEY_IKE" :
		     value_str(NULL, 0, t->id, nbuf, sizeof(nbuf));
	else if (pr->proto == ISAKMP_PROTO_AH)
		id = value_str(ah_ids, sizeof(ah_ids) / sizeof(ah_ids[0]),
			       t->id, nbuf, sizeof(nbuf));
	else
		id = value_str(esp_ids, sizeof(esp_ids) / sizeof(esp_ids[0]),
			       t->id, nbuf, sizeof(nbuf));
	n += snprintf(text + n, sizeof(text) - n, "T#%u %s", t->num, id);
	if (o->j) {
		json_obj_open(o->j, NULL);
		json_u64(o->j, "num", t->num);
		json_str(o->j, "id", id);
		json_obj_open(o->j, "attributes");
	}
	for (i = 0; i < t->nattr; i++) {
		const struct isakmp_attr *a = &t->attr[i];
		const struct attr_desc *d = attr_desc(p1, a->type);
		char key[24];
		const char *v;

		if (!a->val_ok) {
			snprintf(vbuf, sizeof(vbuf), "(%u bytes)", a->len);
			v = vbuf;
		} else {
			v = value_str(d ? d->vals : NULL, d ? d->nvals : 0,
				      a->val, vbuf, sizeof(vbuf));
		}
		if (d)
			snprintf(key, sizeof(key), "%s", d->name);
		else
			snprintf(key, sizeof(key), "attr-%u", a->type);
		if (n < sizeof(text))
			n += snprintf(text + n, sizeof(text) - n, " %s=%s",
				      key, v);
		if (o->j)
			json_str(o->j, key, v);
	}
	if (o->j) {
		json_obj_close(o->j);
		json_str(o->j, "text", text);
		json_obj_close(o->j);
	} else {
		fprintf(o->f, "          %s\n", text);
	}
}

static void remember_p1(struct dec_facts *fx, const struct isakmp_transform *t)
{
	const struct isakmp_attr *a;

	if (fx->p1_transform)
		return;
	fx->p1_transform = true;
	a = isakmp_attr_find(t, IKE_A_ENC);
	fx->enc = a && a->val_ok ? (uint16_t)a->val : 0;
	a = isakmp_attr_find(t, IKE_A_KEY_LEN);
	fx->keybits = a && a->val_ok ? (uint16_t)a->val : 0;
	a = isakmp_attr_find(t, IKE_A_HASH);
	fx->prf = a && a->val_ok ? (uint16_t)a->val : 0;
	a = isakmp_attr_find(t, IKE_A_GROUP);
	fx->group = a && a->val_ok ? (uint16_t)a->val : 0;
}

static void sa_payload(struct dout *o, const struct isakmp_payload *pl,
		       struct dec_facts *fx)
{
	struct isakmp_sa *sa;
	char pbuf[16], spi[40];
	int rc, i, k;

	sa = malloc(sizeof(*sa));
	if (!sa)
		return;
	rc = isakmp_parse_sa(pl->body, pl->len, sa);
	if (rc) {
		fx->malformed = true;
		if (o->j)
			json_str(o->j, "error", isakmp_notify_name((uint16_t)-rc));
		else
			fprintf(o->f, "        SA: malformed (%s)\n",
				isakmp_notify_name((uint16_t)-rc));
		free(sa);
		return;
	}
	if (o->j)
		json_arr_open(o->j, "proposals");
	else
		fprintf(o->f, "        SA: %d proposal(s)\n", sa->nprop);
	for (i = 0; i < sa->nprop; i++) {
		const struct isakmp_prop *pr = &sa->p[i];
		bool p1 = pr->proto == ISAKMP_PROTO_ISAKMP;

		dec_hex(pr->spi, pr->spi_size, spi, sizeof(spi));
		if (o->j) {
			json_obj_open(o->j, NULL);
			json_u64(o->j, "num", pr->num);
			json_str(o->j, "protocol",
				 proto_str(pr->proto, pbuf, sizeof(pbuf)));
			json_str(o->j, "spi", spi);
			json_arr_open(o->j, "transforms");
		} else {
			fprintf(o->f, "        P#%u %s%s%s, %d transform(s)\n",
				pr->num, proto_str(pr->proto, pbuf, sizeof(pbuf)),
				pr->spi_size ? " spi " : "", spi, pr->ntrans);
		}
		if (!p1 && pr->spi_size == 4 && fx->n_spis < DEC_MAX_SPIS) {
			fx->spis[fx->n_spis] = isakmp_get32(pr->spi);
			fx->spi_proto[fx->n_spis++] = pr->proto;
		}
		for (k = 0; k < pr->ntrans; k++) {
			if (p1 && i == 0 && k == 0)
				remember_p1(fx, &pr->t[k]);
			transform(o, pr, &pr->t[k], p1);
		}
		if (o->j) {
			json_arr_close(o->j);
			json_obj_close(o->j);
		}
	}
	if (o->j)
		json_arr_close(o->j);
	free(sa);
}

static void id_payload(struct dout *o, const struct isakmp_payload *pl)
{
	struct isakmp_id id;
	char val[300], tbuf[16], a1[64], a2[64];
	const char *t;
	int rc, af, bits, i;

	rc = isakmp_parse_id(pl->body, pl->len, &id);
	if (rc) {
		if (o->j)
			json_str(o->j, "error", isakmp_notify_name((uint16_t)-rc));
		else
			fprintf(o->f, "        ID: malformed (%s)\n",
				isakmp_notify_name((uint16_t)-rc));
		return;
	}
	t = value_str(id_types, sizeof(id_types) / sizeof(id_types[0]),
		      id.type, tbuf, sizeof(tbuf));
	af = (id.type == 1 || id.type == 4 || id.type == 7) ? AF_INET : AF_INET6;
	switch (id.type) {
	case 1: case 5:
		inet_ntop(af, id.data, val, sizeof(val));
		break;
	case 4: case 6:
		/* The mask's leading ones, as a prefix length. */
		inet_ntop(af, id.data, a1, sizeof(a1));
		bits = 0;
		for (i = 0; i < (int)id.len / 2; i++)
			bits += __builtin_popcount(id.data[id.len / 2 + i]);
		snprintf(val, sizeof(val), "%s/%d", a1, bits);
		break;
	case 7: case 8:
		inet_ntop(af, id.data, a1, sizeof(a1));
		inet_ntop(af, id.data + id.len / 2, a2, sizeof(a2));
		snprintf(val, sizeof(val), "%s-%s", a1, a2);
		break;
	case 2: case 3: case 11:
		for (i = 0; i < (int)id.len && i < (int)sizeof(val) - 1; i++)
			val[i] = id.data[i] >= 0x20 && id.data[i] < 0x7f ?
				 (char)id.data[i] : '.';
		val[i] = 0;
		break;
	default:
		dec_hex(id.data, id.len, val, sizeof(val));
	}
	if (o->j) {
		json_str(o->j, "id_type", t);
		json_str(o->j, "value", val);
		json_u64(o->j, "protocol", id.proto);
		json_u64(o->j, "port", id.port);
	} else if (id.proto || id.port) {
		fprintf(o->f, "        ID: %s %s protocol %u port %u\n", t, val,
			id.proto, id.port);
	} else {
		fprintf(o->f, "        ID: %s %s\n", t, val);
	}
}

static const char *notify_str(uint16_t type)
{
	const char *s = LOOKUP(more_notifies, type);

	return s ? s : isakmp_notify_name(type);
}

static void notify_payload(struct dout *o, const struct isakmp_payload *pl)
{
	struct isakmp_notify_pl n;
	char spi[40], data[72], pbuf[16];

	if (isakmp_parse_notify(pl->body, pl->len, &n)) {
		if (o->j)
			json_str(o->j, "error", "malformed");
		else
			fprintf(o->f, "        N: malformed\n");
		return;
	}
	dec_hex(n.spi, n.spi_size, spi, sizeof(spi));
	dec_hex(n.data, n.data_len, data, sizeof(data));
	if (o->j) {
		json_str(o->j, "notify", notify_str(n.type));
		json_u64(o->j, "notify_type", n.type);
		json_str(o->j, "protocol", proto_str(n.proto, pbuf, sizeof(pbuf)));
		json_str(o->j, "spi", spi);
		json_str(o->j, "data", data);
	} else {
		fprintf(o->f, "        N: %s (%u) %s%s%s%s%s\n",
			notify_str(n.type), n.type,
			proto_str(n.proto, pbuf, sizeof(pbuf)),
			n.spi_size ? " spi " : "", spi,
			n.data_len ? " data " : "", data);
	}
}

static void delete_payload(struct dout *o, const struct isakmp_payload *pl)
{
	struct isakmp_delete d;
	char spi[40], pbuf[16];
	int i;

	if (isakmp_parse_delete(pl->body, pl->len, &d)) {
		if (o->j)
			json_str(o->j, "error", "malformed");
		else
			fprintf(o->f, "        D: malformed\n");
		return;
	}
	if (o->j) {
		json_str(o->j, "protocol", proto_str(d.proto, pbuf, sizeof(pbuf)));
		json_arr_open(o->j, "spis");
	} else {
		fprintf(o->f, "        D: %s", proto_str(d.proto, pbuf,
							sizeof(pbuf)));
	}
	for (i = 0; i < d.nspi; i++) {
		dec_hex(d.spis + (size_t)i * d.spi_size, d.spi_size, spi,
			sizeof(spi));
		if (o->j)
			json_str(o->j, NULL, spi);
		else
			fprintf(o->f, " spi %s", spi);
	}
	if (o->j)
		json_arr_close(o->j);
	else
		fputc('\n', o->f);
}

/* VID, NAT-D, HASH: named or shown as hex. */
static void blob_payload(struct dout *o, const struct isakmp_payload *pl)
{
	const char *name = isakmp_payload_name(pl->type), *vid = NULL;
	char hex[72], vidbuf[DEC_VID_NAME_MAX];

	dec_hex(pl->body, pl->len, hex, sizeof(hex));
	if (pl->type == ISAKMP_NP_VID)
		vid = dec_vid_name(pl->body, pl->len, vidbuf);
	if (o->j) {
		if (pl->type == ISAKMP_NP_VID)
			json_str(o->j, "name", vid ? vid : "unknown");
		json_u64(o->j, "length", pl->len);
		json_str(o->j, "hex", hex);
	} else if (pl->type == ISAKMP_NP_VID) {
		fprintf(o->f, "        VID: %s%s%s\n", vid ? vid : "unknown ",
			vid ? "" : hex, pl->len * 2 + 1 > sizeof(hex) && !vid ?
			"..." : "");
	} else {
		fprintf(o->f, "        %s: %s%s\n", name, hex,
			pl->len * 2 + 1 > sizeof(hex) ? "..." : "");
	}
}

void dec_payloads(struct dout *o, const struct isakmp_msg *m,
		  struct dec_facts *fx)
{
	int i;

	if (o->j)
		json_arr_open(o->j, "details");
	for (i = 0; i < m->n; i++) {
		const struct isakmp_payload *pl = &m->pl[i];

		if (o->j) {
			json_obj_open(o->j, NULL);
			json_str(o->j, "type", isakmp_payload_name(pl->type));
		}
		switch (pl->type) {
		case ISAKMP_NP_SA:
			fx->sa = true;
			sa_payload(o, pl, fx);
			break;
		case ISAKMP_NP_KE:
			fx->ke = true;
			fx->ke_data = pl->body;
			fx->ke_len = pl->len;
			if (o->j)
				json_u64(o->j, "length", pl->len);
			else
				fprintf(o->f, "        KE: %zu bytes\n", pl->len);
			break;
		case ISAKMP_NP_NONCE:
			fx->nonce = true;
			if (o->j)
				json_u64(o->j, "length", pl->len);
			else
				fprintf(o->f, "        NONCE: %zu bytes\n",
					pl->len);
			break;
		case ISAKMP_NP_ID:
			fx->id = true;
			id_payload(o, pl);
			break;
		case ISAKMP_NP_N:
			notify_payload(o, pl);
			break;
		case ISAKMP_NP_D:
			delete_payload(o, pl);
			break;
		case ISAKMP_NP_HASH:
			fx->hash = true;
			blob_payload(o, pl);
			break;
		default:
			blob_payload(o, pl);
		}
		if (o->j)
			json_obj_close(o->j);
	}
	if (o->j)
		json_arr_close(o->j);
}
