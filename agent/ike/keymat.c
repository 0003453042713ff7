// SPDX-License-Identifier: GPL-2.0
/* IKEv1 key derivation: every formula here is from RFC 2409. */
#include <string.h>

#include "crypto/cipher.h"
#include "ike/keymat.h"

static int keymat_init(struct ike_keymat *k, unsigned int prf,
		       unsigned int enc, unsigned int keybits)
{
	memset(k, 0, sizeof(*k));
	k->prf = prf;
	k->enc = enc;
	k->prf_len = crypto_hash_len(prf);
	k->enc_key_len = crypto_cipher_keylen(enc, keybits);
	k->block_len = crypto_cipher_blocklen(enc);
	return k->prf_len && k->enc_key_len ? 0 : -1;
}

/* SKEYID_d, _a, _e and the encryption key from SKEYID (RFC 2409 5). */
static int keymat_from_skeyid(struct ike_keymat *k,
			      const uint8_t *gxy, size_t gxy_len,
			      const uint8_t icookie[8],
			      const uint8_t rcookie[8])
{
	static const uint8_t b0 = 0, b1 = 1, b2 = 2;
	struct chunk c[5];
	size_t n, have;
	uint8_t blk[CRYPTO_MAX_HASH];
	unsigned int prf = k->prf;

	n = k->prf_len;
	c[0] = (struct chunk){ gxy, gxy_len };
	c[1] = (struct chunk){ icookie, 8 };
	c[2] = (struct chunk){ rcookie, 8 };
	c[3] = (struct chunk){ &b0, 1 };
	if (crypto_prf(prf, k->skeyid, n, c, 4, k->skeyid_d))
		return -1;
	c[0] = (struct chunk){ k->skeyid_d, n };
	c[1] = (struct chunk){ gxy, gxy_len };
	c[2] = (struct chunk){ icookie, 8 };
	c[3] = (struct chunk){ rcookie, 8 };
	c[4] = (struct chunk){ &b1, 1 };
	if (crypto_prf(prf, k->skeyid, n, c, 5, k->skeyid_a))
		return -1;
	c[0] = (struct chunk){ k->skeyid_a, n };
	c[4] = (struct chunk){ &b2, 1 };
	if (crypto_prf(prf, k->skeyid, n, c, 5, k->skeyid_e))
		return -1;

	/* Appendix B: K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1). */
	if (k->enc_key_len <= n) {
		memcpy(k->enc_key, k->skeyid_e, k->enc_key_len);
		return 0;
	}
	c[0] = (struct chunk){ &b0, 1 };
	if (crypto_prf(prf, k->skeyid_e, n, c, 1, blk))
		return -1;
	have = 0;
	for (;;) {
		size_t take = k->enc_key_len - have < n ?
			      k->enc_key_len - have : n;

		memcpy(k->enc_key + have, blk, take);
		have += take;
		if (have >= k->enc_key_len)
			break;
		c[0] = (struct chunk){ k->enc_key + have - n, n };
		if (crypto_prf(prf, k->skeyid_e, n, c, 1, blk))
			return -1;
	}
	crypto_wipe(blk, sizeof(blk));
	return 0;
}

int keymat_phase1_psk(struct ike_keymat *k, unsigned int prf,
		      unsigned int enc, unsigned int keybits,
		      const uint8_t *psk, size_t psk_len,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len,
		      const uint8_t *gxy, size_t gxy_len,
		      const uint8_t icookie[8], const uint8_t rcookie[8])
{
	struct chunk c[2];

	if (keymat_init(k, prf, enc, keybits) || !psk_len)
		return -1;
	c[0] = (struct chunk){ ni, ni_len };
	c[1] = (struct chunk){ nr, nr_len };
	if (crypto_prf(prf, psk, psk_len, c, 2, k->skeyid))
		return -1;
	return keymat_from_skeyid(k, gxy, gxy_len, icookie, rcookie);
}

int keymat_phase1_sig(struct ike_keymat *k, unsigned int prf,
		      unsigned int enc, unsigned int keybits,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len,
		      const uint8_t *gxy, size_t gxy_len,
		      const uint8_t icookie[8], const uint8_t rcookie[8])
{
	uint8_t key[2 * 256];
	struct chunk c[1];
	int rc;

	/* SKEYID = prf(Ni_b | Nr_b, g^xy) */
	if (keymat_init(k, prf, enc, keybits) || !ni_len || !nr_len ||
	    ni_len + nr_len > sizeof(key))
		return -1;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	c[0] = (struct chunk){ gxy, gxy_len };
	rc = crypto_prf(prf, key, ni_len + nr_len, c, 1, k->skeyid);
	crypto_wipe(key, sizeof(key));
	if (rc)
		return -1;
	return keymat_from_skeyid(k, gxy, gxy_len, icookie, rcookie);
}

void keymat_wipe(struct ike_keymat *k)
{
	crypto_wipe(k, sizeof(*k));
}

int keymat_auth_hash(const struct ike_keymat *k, unsigned int prf,
		     const uint8_t *g1, size_t g1_len,
		     const uint8_t *g2, size_t g2_len,
		     const uint8_t ck1[8], const uint8_t ck2[8],
		     const uint8_t *sai_b, size_t sai_len,
		     const uint8_t *id_b, size_t id_len, uint8_t *out)
{
	struct chunk c[6] = {
		{ g1, g1_len }, { g2, g2_len }, { ck1, 8 }, { ck2, 8 },
		{ sai_b, sai_len }, { id_b, id_len },
	};

	return crypto_prf(prf, k->skeyid, k->prf_len, c, 6, out);
}

int keymat_qm_hash(const struct ike_keymat *k, int zero_byte, uint32_t msgid,
		   const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len,
		   const uint8_t *rest, size_t rest_len, uint8_t *out)
{
	static const uint8_t b0;
	uint8_t mid[4] = { (uint8_t)(msgid >> 24), (uint8_t)(msgid >> 16),
			   (uint8_t)(msgid >> 8), (uint8_t)msgid };
	struct chunk c[5] = {
		{ &b0, zero_byte ? 1 : 0 }, { mid, 4 }, { ni, ni_len },
		{ nr, nr_len }, { rest, rest_len },
	};

	return crypto_prf(k->prf, k->skeyid_a, k->prf_len, c, 5, out);
}

int keymat_child(const struct ike_keymat *k,
		 const uint8_t *gxy, size_t gxy_len, uint8_t proto,
		 const uint8_t spi[4], const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 uint8_t *out, size_t out_len)
{
	uint8_t blk[CRYPTO_MAX_HASH];
	size_t n = k->prf_len, have = 0;
	struct chunk c[6] = {
		{ NULL, 0 }, { gxy, gxy ? gxy_len : 0 }, { &proto, 1 },
		{ spi, 4 }, { ni, ni_len }, { nr, nr_len },
	};

	while (have < out_len) {
		size_t take;

		if (crypto_prf(k->prf, k->skeyid_d, n, c, 6, blk))
			return -1;
		take = out_len - have < n ? out_len - have : n;
		memcpy(out + have, blk, take);
		/* Kn+1 is keyed over Kn (full block, kept in out or blk). */
		c[0] = (struct chunk){ out + have, take };
		if (take < n)
			break;
		have += take;
	}
	crypto_wipe(blk, sizeof(blk));
	return 0;
}
