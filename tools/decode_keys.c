// SPDX-License-Identifier: GPL-2.0
/*
 * The key table of Wireshark's IKEv1 decryption (one line per ISAKMP SA:
 * the initiator's cookie and the encryption key, both hex, separated by
 * a comma; quotes and blanks are tolerated) and the decryption it allows:
 * CBC with the IVs of RFC 2409 appendix B, through GnuTLS.
 */
#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define ENC_3DES	5
#define ENC_AES		7

static int unhex(const char *s, size_t n, uint8_t *out, size_t max,
		 size_t *len)
{
	size_t i;

	if (n % 2 || n / 2 > max || !n)
		return -1;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	for (i = 0; i < n / 2; i++) {
		char b[3] = { s[2 * i], s[2 * i + 1], 0 };

		out[i] = (uint8_t)strtoul(b, NULL, 16);
	}
	*len = n / 2;
	return 0;
}

/* Next field: hex digits, optionally quoted, after blanks and a comma. */
static const char *field(const char *s, const char **start, size_t *n)
{
	bool quoted;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	quoted = *s == '"';
	if (quoted)
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	*start = s;
	while (isxdigit((unsigned char)*s))
		s++;
	*n = (size_t)(s - *start);
	if (quoted) {
		if (*s != '"')
			return NULL;
		s++;
	}
	return s;
}

int dec_keys_load(const char *path, struct dec_keytab *t, char *err,
		  size_t errlen)
{
	char line[512];
	unsigned int lineno = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *s = line, *a, *b;
		size_t an, bn, ck_len;
		struct dec_key k, *nk;

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == '\n' || *s == '\r' || !*s)
			continue;
		memset(&k, 0, sizeof(k));
		s = field(s, &a, &an);
		if (s)
			s = field(s, &b, &bn);
		if (s)
			s += strspn(s, " \t\r\n");
		if (!s || *s) {
			snprintf(err, errlen,
				 "%s:%u: expected COOKIE,KEY (hex)",
				 path, lineno);
			goto fail;
		}
		if (unhex(a, an, k.icookie, 8, &ck_len) || ck_len != 8) {
			snprintf(err, errlen,
				 "%s:%u: the initiator cookie must be 16 hex digits",
				 path, lineno);
			goto fail;
		}
		if (unhex(b, bn, k.key, sizeof(k.key), &k.len)) {
			snprintf(err, errlen,
				 "%s:%u: the key must be hex, at most %d bytes",
				 path, lineno, DEC_KEY_MAX);
			goto fail;
		}
		nk = realloc(t->k, (t->n + 1) * sizeof(*t->k));
		if (!nk) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		t->k = nk;
		t->k[t->n++] = k;
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	dec_keys_free(t);
	return -1;
}

void dec_keys_free(struct dec_keytab *t)
{
	if (t->k)
		gnutls_memset(t->k, 0, t->n * sizeof(*t->k));
	free(t->k);
	t->k = NULL;
	t->n = 0;
}

const struct dec_key *dec_keys_find(const struct dec_keytab *t,
				    const uint8_t icookie[8])
{
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (!memcmp(t->k[i].icookie, icookie, 8))
			return &t->k[i];
	return NULL;
}

static int digest(uint16_t prf, gnutls_digest_algorithm_t *d)
{
	switch (prf) {
	case 1: *d = GNUTLS_DIG_MD5; return 0;
	case 2: *d = GNUTLS_DIG_SHA1; return 0;
	case 4: *d = GNUTLS_DIG_SHA256; return 0;
	case 5: *d = GNUTLS_DIG_SHA384; return 0;
	case 6: *d = GNUTLS_DIG_SHA512; return 0;
	}
	return -1;
}

/* The cipher of the responder's choice with the table's key length. */
static int cipher(const struct dec_crypt *c, gnutls_cipher_algorithm_t *a,
		  char *err, size_t errlen)
{
	size_t want = 0;

	if (c->enc == ENC_AES) {
		want = c->keybits ? c->keybits / 8u : 16;
		*a = want == 16 ? GNUTLS_CIPHER_AES_128_CBC :
		     want == 24 ? GNUTLS_CIPHER_AES_192_CBC :
				  GNUTLS_CIPHER_AES_256_CBC;
	} else if (c->enc == ENC_3DES) {
		want = 24;
		*a = GNUTLS_CIPHER_3DES_CBC;
	} else {
		snprintf(err, errlen, "cannot decrypt: encryption algorithm %u is not supported",
			 c->enc);
		return -1;
	}
	if (c->key->len != want) {
		snprintf(err, errlen,
			 "cannot decrypt: the key table has %zu key bytes, the negotiated cipher takes %zu",
			 c->key->len, want);
		return -1;
	}
	return 0;
}

static int hash2(uint16_t prf, const uint8_t *a, size_t alen,
		 const uint8_t *b, size_t blen, uint8_t *out, size_t want)
{
	gnutls_digest_algorithm_t d;
	uint8_t h[64];
	gnutls_hash_hd_t hd;

	if (digest(prf, &d) || gnutls_hash_get_len(d) < want ||
	    gnutls_hash_init(&hd, d) < 0)
		return -1;
	if (gnutls_hash(hd, a, alen) < 0 || gnutls_hash(hd, b, blen) < 0) {
		gnutls_hash_deinit(hd, NULL);
		return -1;
	}
	gnutls_hash_deinit(hd, h);
	memcpy(out, h, want);
	return 0;
}

/* The IV chain of a Message ID, created from the phase 1 IV when new. */
static uint8_t *msgid_iv(struct dec_crypt *c, uint32_t msgid)
{
	struct dec_iv *n;
	uint8_t mid[4] = { msgid >> 24, msgid >> 16, msgid >> 8, msgid };
	size_t i;

	if (!msgid)
		return c->p1_iv;
	for (i = 0; i < c->n_ivs; i++)
		if (c->ivs[i].msgid == msgid)
			return c->ivs[i].iv;
	n = realloc(c->ivs, (c->n_ivs + 1) * sizeof(*c->ivs));
	if (!n)
		return NULL;
	c->ivs = n;
	n = &c->ivs[c->n_ivs];
	n->msgid = msgid;
	/* IV = hash(last phase 1 block | M-ID), cut to the block size. */
	if (hash2(c->prf, c->p1_iv, c->block, mid, 4, n->iv, c->block))
		return NULL;
	c->n_ivs++;
	return n->iv;
}

int dec_decrypt(struct dec_crypt *c, uint32_t msgid, uint8_t *body,
		size_t len, char *err, size_t errlen)
{
	gnutls_cipher_algorithm_t a;
	gnutls_cipher_hd_t h;
	gnutls_datum_t k, v;
	uint8_t last[DEC_IV_MAX], *iv;
	int rc;

	if (!c->key) {
		snprintf(err, errlen, "encrypted; no key for this initiator cookie");
		return -1;
	}
	if (!c->have_sa) {
		snprintf(err, errlen,
			 "cannot decrypt: the responder's SA (MM2/AM2) is not in the capture");
		return -1;
	}
	if (cipher(c, &a, err, errlen))
		return -1;
	if (!c->have_iv) {
		if (!c->gxi_len || !c->gxr_len) {
			snprintf(err, errlen,
				 "cannot decrypt: both KE payloads (MM3 and MM4, or AM1 and AM2) are needed for the IV");
			return -1;
		}
		c->block = a == GNUTLS_CIPHER_3DES_CBC ? 8 : 16;
		/* Phase 1 IV = hash(g^xi | g^xr) cut to the block size. */
		if (hash2(c->prf, c->gxi, c->gxi_len, c->gxr, c->gxr_len,
			  c->p1_iv, c->block)) {
			snprintf(err, errlen,
				 "cannot decrypt: hash algorithm %u is not supported",
				 c->prf);
			return -1;
		}
		c->have_iv = true;
	}
	if (!len || len % c->block) {
		snprintf(err, errlen,
			 "cannot decrypt: %zu bytes is not a whole number of %zu-byte blocks",
			 len, c->block);
		return -1;
	}
	iv = msgid_iv(c, msgid);
	if (!iv) {
		snprintf(err, errlen, "cannot decrypt: out of memory");
		return -1;
	}
	memcpy(last, body + len - c->block, c->block);
	k.data = (unsigned char *)c->key->key;
	k.size = (unsigned int)c->key->len;
	v.data = iv;
	v.size = (unsigned int)c->block;
	if (gnutls_cipher_init(&h, a, &k, &v) < 0) {
		snprintf(err, errlen, "cannot decrypt: cipher refused the key");
		return -1;
	}
	rc = gnutls_cipher_decrypt(h, body, len);
	gnutls_cipher_deinit(h);
	if (rc < 0) {
		snprintf(err, errlen, "cannot decrypt: %s", gnutls_strerror(rc));
		return -1;
	}
	/* CBC chaining: the next message of this exchange starts here. */
	memcpy(iv, last, c->block);
	return 0;
}

void dec_crypt_free(struct dec_crypt *c)
{
	free(c->ivs);
	c->ivs = NULL;
	c->n_ivs = 0;
}
