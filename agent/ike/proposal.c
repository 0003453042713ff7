// SPDX-License-Identifier: GPL-2.0
/*
 * Proposal strings in strongSwan syntax and the weak-algorithm policy.
 * A proposal is '-'-separated keywords; proposals are ','-separated.
 */
#include <stdio.h>
#include <string.h>
#include <ctype.h>

#include "ike/proposal.h"

struct kw {
	const char *name;
	uint16_t a, b;		/* meaning depends on the table */
};

/* IKE encryption: a = enum ike_enc, b = key bits. */
static const struct kw ike_encs[] = {
	{ "aes128", IKE_ENC_AES_CBC, 128 },
	{ "aes", IKE_ENC_AES_CBC, 128 },
	{ "aes192", IKE_ENC_AES_CBC, 192 },
	{ "aes256", IKE_ENC_AES_CBC, 256 },
	{ "3des", IKE_ENC_3DES_CBC, 0 },
	{ "des", IKE_ENC_DES_CBC, 0 },
	{ NULL, 0, 0 },
};

static const struct kw hashes[] = {
	{ "md5", IKE_HASH_MD5, ESP_AUTH_HMAC_MD5 },
	{ "sha1", IKE_HASH_SHA1, ESP_AUTH_HMAC_SHA1 },
	{ "sha", IKE_HASH_SHA1, ESP_AUTH_HMAC_SHA1 },
	{ "sha256", IKE_HASH_SHA256, ESP_AUTH_HMAC_SHA256 },
	{ "sha2_256", IKE_HASH_SHA256, ESP_AUTH_HMAC_SHA256 },
	{ "sha384", IKE_HASH_SHA384, ESP_AUTH_HMAC_SHA384 },
	{ "sha2_384", IKE_HASH_SHA384, ESP_AUTH_HMAC_SHA384 },
	{ "sha512", IKE_HASH_SHA512, ESP_AUTH_HMAC_SHA512 },
	{ "sha2_512", IKE_HASH_SHA512, ESP_AUTH_HMAC_SHA512 },
	{ NULL, 0, 0 },
};

static const struct kw groups[] = {
	{ "modp768", IKE_GROUP_MODP768, 0 },
	{ "modp1024", IKE_GROUP_MODP1024, 0 },
	{ "modp1536", IKE_GROUP_MODP1536, 0 },
	{ "modp2048", IKE_GROUP_MODP2048, 0 },
	{ "modp3072", IKE_GROUP_MODP3072, 0 },
	{ "modp4096", IKE_GROUP_MODP4096, 0 },
	{ "modp6144", IKE_GROUP_MODP6144, 0 },
	{ "modp8192", IKE_GROUP_MODP8192, 0 },
	{ "ecp256", IKE_GROUP_ECP256, 0 },
	{ "ecp384", IKE_GROUP_ECP384, 0 },
	{ "ecp521", IKE_GROUP_ECP521, 0 },
	{ "curve25519", IKE_GROUP_CURVE25519, 0 },
	{ "x25519", IKE_GROUP_CURVE25519, 0 },
	{ NULL, 0, 0 },
};

/* ESP encryption: a = enum esp_transform, b = key bits. */
static const struct kw esp_encs[] = {
	{ "aes128gcm16", ESP_T_AES_GCM_16, 128 },
	{ "aes128gcm", ESP_T_AES_GCM_16, 128 },
	{ "aes256gcm16", ESP_T_AES_GCM_16, 256 },
	{ "aes256gcm", ESP_T_AES_GCM_16, 256 },
	{ "chacha20poly1305", ESP_T_CHACHA20_POLY1305, 0 },
	{ "aes128", ESP_T_AES_CBC, 128 },
	{ "aes", ESP_T_AES_CBC, 128 },
	{ "aes192", ESP_T_AES_CBC, 192 },
	{ "aes256", ESP_T_AES_CBC, 256 },
	{ "3des", ESP_T_3DES, 0 },
	{ "null", ESP_T_NULL, 0 },
	{ NULL, 0, 0 },
};

static const struct kw *kw_find(const struct kw *t, const char *s)
{
	for (; t->name; t++)
		if (!strcmp(t->name, s))
			return t;
	return NULL;
}

const char *ike_group_name(unsigned int group)
{
	const struct kw *k;

	for (k = groups; k->name; k++)
		if (k->a == group)
			return k->name;
	return NULL;
}

const char *ike_hash_name(unsigned int hash)
{
	const struct kw *k;

	for (k = hashes; k->name; k++)
		if (k->a == hash)
			return k->name;
	return NULL;
}

static const char *esp_auth_name(unsigned int auth)
{
	const struct kw *k;

	for (k = hashes; k->name; k++)
		if (k->b == auth)
			return k->name;
	return NULL;
}

static bool esp_is_aead(unsigned int t)
{
	return t == ESP_T_AES_GCM_16 || t == ESP_T_CHACHA20_POLY1305;
}

static const char *group_refusal(unsigned int g, bool allow_weak)
{
	static char buf[64];

	switch (g) {
	case IKE_GROUP_MODP768:
		return "modp768 (group 1) is never accepted";
	case IKE_GROUP_MODP1024:
	case IKE_GROUP_MODP1536:
		if (allow_weak)
			return NULL;
		snprintf(buf, sizeof(buf),
			 "%s is weak (allow-weak = yes to accept)",
			 ike_group_name(g));
		return buf;
	default:
		if (ike_group_name(g))
			return NULL;
		snprintf(buf, sizeof(buf), "unsupported DH group %u", g);
		return buf;
	}
}

const char *ike_proposal_refusal(const struct ike_proposal *p, bool allow_weak)
{
	static char buf[64];

	switch (p->enc) {
	case IKE_ENC_DES_CBC:
		return "DES is never accepted";
	case IKE_ENC_3DES_CBC:
		if (!allow_weak)
			return "3des is weak (allow-weak = yes to accept)";
		break;
	case IKE_ENC_AES_CBC:
		if (p->keylen != 128 && p->keylen != 192 && p->keylen != 256) {
			snprintf(buf, sizeof(buf),
				 "unsupported AES key length %u", p->keylen);
			return buf;
		}
		break;
	default:
		snprintf(buf, sizeof(buf), "unsupported encryption %u", p->enc);
		return buf;
	}
	if (!ike_hash_name(p->hash)) {
		snprintf(buf, sizeof(buf), "unsupported hash %u", p->hash);
		return buf;
	}
	if (p->hash == IKE_HASH_MD5 && !allow_weak)
		return "md5 is weak (allow-weak = yes to accept)";
	if (p->group == IKE_GROUP_NONE)
		return "phase 1 needs a DH group";
	return group_refusal(p->group, allow_weak);
}

/* Registered values a peer (Cisco IOS and ASA among them) may send. */
struct id_name {
	unsigned int id;
	const char *name;
};

static const struct id_name esp_t_names[] = {
	{ 1, "DES-IV64" }, { 2, "DES" }, { 4, "RC5" }, { 5, "IDEA" },
	{ 6, "CAST" }, { 7, "Blowfish" }, { 8, "3IDEA" }, { 9, "DES-IV32" },
	{ 13, "AES-CTR" }, { 14, "AES-CCM with 8-byte ICV" },
	{ 15, "AES-CCM with 12-byte ICV" }, { 16, "AES-CCM with 16-byte ICV" },
	{ 18, "AES-GCM with 8-byte ICV" }, { 19, "AES-GCM with 12-byte ICV" },
	{ 22, "Camellia-CBC" }, { 23, "AES-GMAC (NULL encryption)" },
	{ 0, NULL },
};

static const struct id_name esp_auth_names[] = {
	{ 3, "DES-MAC" }, { 4, "KPDK" }, { 8, "HMAC-RIPEMD" },
	{ 9, "AES-XCBC-MAC" }, { 10, "SIG-RSA" }, { 11, "AES-128-GMAC" },
	{ 12, "AES-192-GMAC" }, { 13, "AES-256-GMAC" }, { 0, NULL },
};

static const char *id_name(const struct id_name *t, unsigned int id)
{
	for (; t->name; t++)
		if (t->id == id)
			return t->name;
	return "unknown";
}

const char *esp_attr_refusal(unsigned int type, unsigned long long val)
{
	static char buf[128];

	switch (type) {
	case 4:		/* encapsulation mode, other than tunnel */
		if (val == 2)
			return "encapsulation mode transport: esptun carries "
			       "tunnel mode only";
		if (val == 3 || val == 61443)
			return "encapsulation mode UDP-encapsulated tunnel: "
			       "NAT traversal is not negotiated";
		if (val == 4 || val == 61444)
			return "encapsulation mode UDP-encapsulated transport: "
			       "tunnel mode only";
		snprintf(buf, sizeof(buf), "unknown encapsulation mode %llu",
			 val);
		return buf;
	case 7:
		return "key rounds attribute: no supported cipher has "
		       "variable rounds";
	case 8:
	case 9:
		snprintf(buf, sizeof(buf), "compression attribute %u (IPComp): "
			 "compression is not supported", type);
		return buf;
	case 10:	/* RFC 3168 9.2: 1 allowed, 2 forbidden */
		if (val == 1)
			return NULL;	/* full ECN is what the module does */
		snprintf(buf, sizeof(buf), "ECN tunnel = %s: esptun always "
			 "propagates ECN (RFC 6040)",
			 val == 2 ? "forbidden" : "unknown value");
		return buf;
	case 11:	/* RFC 4304 */
		return "extended (64-bit) sequence numbers: not negotiated, "
		       "only 32-bit ones";
	default:
		snprintf(buf, sizeof(buf), "unsupported attribute %u", type);
		return buf;
	}
}

const char *esp_proto_refusal(unsigned int proto)
{
	static char buf[64];

	switch (proto) {
	case 2:
		return "AH proposal: only ESP is negotiated";
	case 4:
		return "IPComp proposal: compression is not supported";
	default:
		snprintf(buf, sizeof(buf), "protocol %u proposal: only ESP is "
			 "negotiated", proto);
		return buf;
	}
}

const char *esp_proposal_refusal(const struct esp_proposal *p, bool allow_weak)
{
	static char buf[80];

	switch (p->transform) {
	case ESP_T_AES_GCM_16:
		if (p->keylen != 128 && p->keylen != 256)
			return "unsupported AES-GCM key length";
		break;
	case ESP_T_CHACHA20_POLY1305:
		break;
	case ESP_T_AES_CBC:
		if (p->keylen != 128 && p->keylen != 192 && p->keylen != 256)
			return "unsupported AES key length";
		break;
	case ESP_T_3DES:
		if (!allow_weak)
			return "3des is weak (allow-weak = yes to accept)";
		break;
	case ESP_T_NULL:
		break;
	case 1:
	case 2:
	case 9:
		return "DES is never accepted";
	default:
		snprintf(buf, sizeof(buf), "unsupported ESP transform %u (%s)",
			 p->transform, id_name(esp_t_names, p->transform));
		return buf;
	}
	if (esp_is_aead(p->transform)) {
		if (p->auth != ESP_AUTH_NONE)
			return "AEAD cipher with an integrity algorithm";
	} else {
		if (p->auth == ESP_AUTH_NONE)
			return "no integrity algorithm";
		if (!esp_auth_name(p->auth)) {
			snprintf(buf, sizeof(buf),
				 "unsupported integrity algorithm %u (%s)",
				 p->auth, id_name(esp_auth_names, p->auth));
			return buf;
		}
		if (p->auth == ESP_AUTH_HMAC_MD5 && !allow_weak)
			return "md5 is weak (allow-weak = yes to accept)";
	}
	if (p->group == IKE_GROUP_NONE)
		return NULL;
	return group_refusal(p->group, allow_weak);
}

bool ike_proposal_equal(const struct ike_proposal *a,
			const struct ike_proposal *b)
{
	return a->enc == b->enc && a->keylen == b->keylen &&
	       a->hash == b->hash && a->group == b->group;
}

bool esp_proposal_equal(const struct esp_proposal *a,
			const struct esp_proposal *b)
{
	return a->transform == b->transform && a->keylen == b->keylen &&
	       a->auth == b->auth && a->group == b->group;
}

const char *ike_proposal_str(const struct ike_proposal *p, char *buf,
			     size_t len)
{
	const char *enc = "?", *h = ike_hash_name(p->hash);
	const char *g = ike_group_name(p->group);
	char e[16];

	if (p->enc == IKE_ENC_AES_CBC) {
		snprintf(e, sizeof(e), "aes%u", p->keylen);
		enc = e;
	} else if (p->enc == IKE_ENC_3DES_CBC) {
		enc = "3des";
	} else if (p->enc == IKE_ENC_DES_CBC) {
		enc = "des";
	}
	snprintf(buf, len, "%s-%s-%s", enc, h ? h : "?", g ? g : "?");
	return buf;
}

const char *esp_proposal_str(const struct esp_proposal *p, char *buf,
			     size_t len)
{
	char e[24];
	const char *a = esp_auth_name(p->auth);
	const char *g = ike_group_name(p->group);
	size_t n;

	switch (p->transform) {
	case ESP_T_AES_GCM_16:
		snprintf(e, sizeof(e), "aes%ugcm16", p->keylen);
		break;
	case ESP_T_CHACHA20_POLY1305:
		snprintf(e, sizeof(e), "chacha20poly1305");
		break;
	case ESP_T_AES_CBC:
		snprintf(e, sizeof(e), "aes%u", p->keylen);
		break;
	case ESP_T_3DES:
		snprintf(e, sizeof(e), "3des");
		break;
	case ESP_T_NULL:
		snprintf(e, sizeof(e), "null");
		break;
	default:
		snprintf(e, sizeof(e), "?%u", p->transform);
	}
	n = (size_t)snprintf(buf, len, "%s", e);
	if (a && n < len)
		n += (size_t)snprintf(buf + n, len - n, "-%s", a);
	if (g && n < len)
		snprintf(buf + n, len - n, "-%s", g);
	return buf;
}

/* Split one proposal into lower-case tokens; returns count or -1. */
static int tokenize(const char *s, size_t n, char tok[][24], int max)
{
	int nt = 0;
	size_t i = 0, l;

	while (i <= n) {
		l = 0;
		while (i < n && s[i] != '-') {
			if (l + 1 >= 24)
				return -1;
			tok[nt][l++] = (char)tolower((unsigned char)s[i++]);
		}
		tok[nt][l] = 0;
		if (!l)
			return -1;
		if (++nt > max)
			return -1;
		i++;
		if (nt == max && i <= n)
			return -1;
	}
	return nt;
}

/*
 * Walk the comma list: calls one(tokens) per proposal. Shared by the IKE
 * and ESP parsers so both report positions the same way.
 */
typedef int (*one_fn)(char tok[][24], int nt, void *out, int idx,
		      char *err, size_t errlen);

static int parse_list(const char *s, one_fn one, void *out, int max,
		      char *err, size_t errlen)
{
	char tok[5][24];
	int n = 0, nt;

	if (!s)
		s = "";
	for (;;) {
		const char *e;
		size_t len;

		while (*s == ' ' || *s == '\t')
			s++;
		e = strchr(s, ',');
		len = e ? (size_t)(e - s) : strlen(s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (!len) {
			snprintf(err, errlen, "empty proposal%s",
				 n ? " after ','" : "");
			return -1;
		}
		if (n >= max) {
			snprintf(err, errlen, "too many proposals (max %d)",
				 max);
			return -1;
		}
		nt = tokenize(s, len, tok, 5);
		if (nt < 0) {
			snprintf(err, errlen, "malformed proposal '%.*s'",
				 (int)len, s);
			return -1;
		}
		if (one(tok, nt, out, n, err, errlen))
			return -1;
		n++;
		if (!e)
			break;
		s = e + 1;
	}
	return n;
}

static int ike_one(char tok[][24], int nt, void *out, int idx,
		   char *err, size_t errlen)
{
	struct ike_proposal *p = (struct ike_proposal *)out + idx;
	const struct kw *k;

	memset(p, 0, sizeof(*p));
	if (nt != 3) {
		snprintf(err, errlen,
			 "IKE proposal %d: need encryption-hash-group, got %d "
			 "keyword(s)", idx + 1, nt);
		return -1;
	}
	k = kw_find(ike_encs, tok[0]);
	if (!k) {
		snprintf(err, errlen,
			 "IKE proposal %d: unknown encryption '%s'",
			 idx + 1, tok[0]);
		return -1;
	}
	p->enc = k->a;
	p->keylen = k->b;
	k = kw_find(hashes, tok[1]);
	if (!k) {
		snprintf(err, errlen, "IKE proposal %d: unknown hash '%s'",
			 idx + 1, tok[1]);
		return -1;
	}
	p->hash = k->a;
	k = kw_find(groups, tok[2]);
	if (!k) {
		snprintf(err, errlen, "IKE proposal %d: unknown DH group '%s'",
			 idx + 1, tok[2]);
		return -1;
	}
	p->group = k->a;
	if (p->enc == IKE_ENC_DES_CBC || p->group == IKE_GROUP_MODP768) {
		snprintf(err, errlen, "IKE proposal %d: %s", idx + 1,
			 ike_proposal_refusal(p, true));
		return -1;
	}
	return 0;
}

static int esp_one(char tok[][24], int nt, void *out, int idx,
		   char *err, size_t errlen)
{
	struct esp_proposal *p = (struct esp_proposal *)out + idx;
	const struct kw *k;
	int i = 1;

	memset(p, 0, sizeof(*p));
	k = kw_find(esp_encs, tok[0]);
	if (!k) {
		snprintf(err, errlen,
			 "ESP proposal %d: unknown encryption '%s'",
			 idx + 1, tok[0]);
		return -1;
	}
	p->transform = k->a;
	p->keylen = k->b;
	if (!esp_is_aead(p->transform)) {
		if (i >= nt) {
			snprintf(err, errlen,
				 "ESP proposal %d: '%s' needs an integrity "
				 "algorithm", idx + 1, tok[0]);
			return -1;
		}
		k = kw_find(hashes, tok[i]);
		if (!k) {
			snprintf(err, errlen,
				 "ESP proposal %d: unknown integrity '%s'",
				 idx + 1, tok[i]);
			return -1;
		}
		p->auth = k->b;
		i++;
	} else if (i < nt && kw_find(hashes, tok[i])) {
		snprintf(err, errlen,
			 "ESP proposal %d: '%s' is AEAD, no integrity "
			 "algorithm allowed", idx + 1, tok[0]);
		return -1;
	}
	if (i < nt) {
		if (!strcmp(tok[i], "none")) {
			p->group = IKE_GROUP_NONE;
		} else {
			k = kw_find(groups, tok[i]);
			if (!k) {
				snprintf(err, errlen,
					 "ESP proposal %d: unknown DH group "
					 "'%s'", idx + 1, tok[i]);
				return -1;
			}
			p->group = k->a;
		}
		i++;
	}
	if (i < nt) {
		snprintf(err, errlen, "ESP proposal %d: unexpected '%s'",
			 idx + 1, tok[i]);
		return -1;
	}
	if (p->group == IKE_GROUP_MODP768) {
		snprintf(err, errlen, "ESP proposal %d: %s", idx + 1,
			 group_refusal(p->group, true));
		return -1;
	}
	return 0;
}

int ike_proposals_parse(const char *s, struct ike_proposal *out, int max,
			char *err, size_t errlen)
{
	return parse_list(s, ike_one, out, max, err, errlen);
}

int esp_proposals_parse(const char *s, struct esp_proposal *out, int max,
			char *err, size_t errlen)
{
	return parse_list(s, esp_one, out, max, err, errlen);
}

int ike_proposals_check(const struct ike_proposal *p, int n, bool allow_weak,
			char *err, size_t errlen)
{
	char b[64];
	const char *why;
	int i;

	for (i = 0; i < n; i++) {
		why = ike_proposal_refusal(&p[i], allow_weak);
		if (why) {
			snprintf(err, errlen, "IKE proposal %d (%s): %s", i + 1,
				 ike_proposal_str(&p[i], b, sizeof(b)), why);
			return -1;
		}
	}
	return 0;
}

int esp_proposals_check(const struct esp_proposal *p, int n, bool allow_weak,
			char *err, size_t errlen)
{
	char b[64];
	const char *why;
	int i;

	for (i = 0; i < n; i++) {
		why = esp_proposal_refusal(&p[i], allow_weak);
		if (why) {
			snprintf(err, errlen, "ESP proposal %d (%s): %s", i + 1,
				 esp_proposal_str(&p[i], b, sizeof(b)), why);
			return -1;
		}
	}
	return 0;
}
