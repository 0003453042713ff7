// SPDX-License-Identifier: GPL-2.0
/*
 * esptun ESP algorithms.
 *
 * Userspace names algorithms as ip-xfrm does ("rfc4106(gcm(aes))",
 * "cbc(aes)" + "hmac(sha256)"). Everything becomes one AEAD transform:
 * the AEADs directly, cipher + HMAC through authenc() or, with extended
 * sequence numbers, authencesn(), which moves the high sequence bits behind
 * the payload for the ICV as RFC 4303 section 2.2.1 wants. We never use a
 * geniv template: the data path writes the IV itself (the sequence number
 * for counter modes, random bytes for CBC), so one transform serves both
 * directions and the IV on the wire is exactly what we chose.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/rtnetlink.h>
#include <crypto/aead.h>
#include <crypto/authenc.h>
#include <net/netlink.h>

#include "sa.h"
#include "crypto.h"

/**
 * struct esptun_enc_alg - an encryption algorithm we accept
 * @name: name as userspace gives it
 * @api: crypto API name (cipher part for authenc suites)
 * @aead: combined mode; the key ends with a 4-byte salt
 * @keylens: allowed key lengths in bytes (salt included), 0-terminated;
 *	for ecb(cipher_null) the single allowed length is 0 (@nullkey)
 * @nullkey: takes an empty key
 * @ivlen: IV bytes on the wire
 * @blocksize: alignment of the encrypted part (at least 4)
 * @icv_bits: AEAD: allowed ICV lengths, 0-terminated
 */
struct esptun_enc_alg {
	const char *name;
	const char *api;
	bool aead;
	u8 keylens[4];
	bool nullkey;
	u8 ivlen;
	u8 blocksize;
	u16 icv_bits[4];
};

static const struct esptun_enc_alg esptun_enc_algs[] = {
	{ .name = "rfc4106(gcm(aes))", .api = "rfc4106(gcm(aes))",
	  .aead = true, .keylens = { 20, 28, 36 }, .ivlen = 8, .blocksize = 4,
	  .icv_bits = { 64, 96, 128 } },
	{ .name = "rfc7539esp(chacha20,poly1305)",
	  .api = "rfc7539esp(chacha20,poly1305)",
	  .aead = true, .keylens = { 36 }, .ivlen = 8, .blocksize = 4,
	  .icv_bits = { 128 } },
	{ .name = "cbc(aes)", .api = "cbc(aes)", .keylens = { 16, 24, 32 },
	  .ivlen = 16, .blocksize = 16 },
	{ .name = "cbc(des3_ede)", .api = "cbc(des3_ede)", .keylens = { 24 },
	  .ivlen = 8, .blocksize = 8 },
	{ .name = "ecb(cipher_null)", .api = "ecb(cipher_null)",
	  .nullkey = true, .ivlen = 0, .blocksize = 4 },
	{ .name = "cipher_null", .api = "ecb(cipher_null)",
	  .nullkey = true, .ivlen = 0, .blocksize = 4 },
};

/**
 * struct esptun_auth_alg - an HMAC we accept with a block cipher
 * @name: name as userspace gives it (and the crypto API takes it)
 * @keylen: key bytes (RFC 2404, RFC 4868: the hash output size)
 * @icv_bits: the one truncation length the RFCs define
 */
struct esptun_auth_alg {
	const char *name;
	u8 keylen;
	u16 icv_bits;
};

static const struct esptun_auth_alg esptun_auth_algs[] = {
	{ "hmac(sha1)", 20, 96 },
	{ "hmac(sha256)", 32, 128 },
	{ "hmac(sha384)", 48, 192 },
	{ "hmac(sha512)", 64, 256 },
};

static const struct esptun_enc_alg *esptun_find_enc(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(esptun_enc_algs); i++)
		if (!strcmp(esptun_enc_algs[i].name, name))
			return &esptun_enc_algs[i];
	return NULL;
}

static const struct esptun_auth_alg *esptun_find_auth(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(esptun_auth_algs); i++)
		if (!strcmp(esptun_auth_algs[i].name, name))
			return &esptun_auth_algs[i];
	return NULL;
}

static bool esptun_in_list(const u8 *list, unsigned int n, unsigned int v)
{
	unsigned int i;

	for (i = 0; i < n && list[i]; i++)
		if (list[i] == v)
			return true;
	return false;
}

static bool esptun_icv_ok(const struct esptun_enc_alg *alg, u32 bits)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(alg->icv_bits) && alg->icv_bits[i]; i++)
		if (alg->icv_bits[i] == bits)
			return true;
	return false;
}

/*
 * authenc() takes one key blob: an rtattr carrying the encryption key
 * length, then the authentication key, then the encryption key.
 */
static int esptun_authenc_setkey(struct crypto_aead *aead,
				 const struct esptun_sa_cfg *cfg)
{
	struct crypto_authenc_key_param *param;
	unsigned int len;
	struct rtattr *rta;
	u8 *key, *p;
	int err;

	len = RTA_SPACE(sizeof(*param)) + cfg->auth_keylen + cfg->enc_keylen;
	key = kmalloc(len, GFP_KERNEL);
	if (!key)
		return -ENOMEM;

	rta = (struct rtattr *)key;
	rta->rta_type = CRYPTO_AUTHENC_KEYA_PARAM;
	rta->rta_len = RTA_LENGTH(sizeof(*param));
	param = RTA_DATA(rta);
	param->enckeylen = cpu_to_be32(cfg->enc_keylen);
	p = key + RTA_SPACE(sizeof(*param));
	memcpy(p, cfg->auth_key, cfg->auth_keylen);
	memcpy(p + cfg->auth_keylen, cfg->enc_key, cfg->enc_keylen);

	err = crypto_aead_setkey(aead, key, len);
	kfree_sensitive(key);
	return err;
}

/* The encryption algorithm by name, and the key length it takes. */
static const struct esptun_enc_alg *
esptun_crypto_check_enc(const struct esptun_sa_cfg *cfg,
			struct netlink_ext_ack *extack)
{
	const struct esptun_enc_alg *enc;

	enc = esptun_find_enc(cfg->enc_alg);
	if (!enc) {
		NL_SET_ERR_MSG_MOD(extack, "unknown encryption algorithm");
		return ERR_PTR(-ENOENT);
	}
	if (enc->nullkey ? cfg->enc_keylen != 0 :
	    !esptun_in_list(enc->keylens, ARRAY_SIZE(enc->keylens),
			    cfg->enc_keylen)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "encryption key length does not fit the algorithm");
		return ERR_PTR(-EINVAL);
	}
	return enc;
}

/* A combined mode authenticates by itself, with one of its ICV lengths. */
static int esptun_crypto_check_aead(const struct esptun_enc_alg *enc,
				    const struct esptun_sa_cfg *cfg,
				    struct netlink_ext_ack *extack)
{
	if (cfg->auth_alg[0] || cfg->auth_keylen) {
		NL_SET_ERR_MSG_MOD(extack,
				   "combined-mode algorithm takes no authentication algorithm");
		return -EINVAL;
	}
	if (!esptun_icv_ok(enc, cfg->icv_bits)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "ICV length not supported by the algorithm");
		return -EINVAL;
	}
	return 0;
}

/* A block cipher needs an HMAC, with its key length and truncation. */
static const struct esptun_auth_alg *
esptun_crypto_check_auth(const struct esptun_sa_cfg *cfg,
			 struct netlink_ext_ack *extack)
{
	const struct esptun_auth_alg *auth;

	if (!cfg->auth_alg[0]) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this cipher needs an authentication algorithm");
		return ERR_PTR(-EINVAL);
	}
	auth = esptun_find_auth(cfg->auth_alg);
	if (!auth) {
		NL_SET_ERR_MSG_MOD(extack, "unknown authentication algorithm");
		return ERR_PTR(-ENOENT);
	}
	if (cfg->auth_keylen != auth->keylen) {
		NL_SET_ERR_MSG_MOD(extack,
				   "authentication key length does not fit the algorithm");
		return ERR_PTR(-EINVAL);
	}
	if (cfg->icv_bits != auth->icv_bits) {
		NL_SET_ERR_MSG_MOD(extack,
				   "truncation length does not fit the authentication algorithm");
		return ERR_PTR(-EINVAL);
	}
	return auth;
}

/* The transform with its keys and ICV length set, or an ERR_PTR. */
static struct crypto_aead *
esptun_crypto_alloc(const char *name, const struct esptun_enc_alg *enc,
		    const struct esptun_sa_cfg *cfg,
		    struct netlink_ext_ack *extack)
{
	struct crypto_aead *aead;
	int err;

	aead = crypto_alloc_aead(name, 0, 0);
	if (IS_ERR(aead)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "algorithm not available in this kernel");
		return aead;
	}

	if (enc->aead)
		err = crypto_aead_setkey(aead, cfg->enc_key, cfg->enc_keylen);
	else
		err = esptun_authenc_setkey(aead, cfg);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "key refused by the algorithm");
		goto err_free;
	}
	err = crypto_aead_setauthsize(aead, cfg->icv_bits / 8);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "ICV length refused by the algorithm");
		goto err_free;
	}
	/* The data path relies on the IV size the table promises. */
	if (crypto_aead_ivsize(aead) != enc->ivlen) {
		NL_SET_ERR_MSG_MOD(extack, "unexpected IV size of the algorithm");
		err = -EINVAL;
		goto err_free;
	}
	return aead;

err_free:
	crypto_free_aead(aead);
	return ERR_PTR(err);
}

/**
 * esptun_crypto_init - check the algorithm request and set up the transform
 * @dp: data-path state of the new SA; fills aead and the wire parameters
 * @cfg: the request
 * @extack: where to say what is wrong
 *
 * Context: process, may sleep (the crypto API may load modules).
 * Return: 0 or a negative errno with @extack set.
 */
int esptun_crypto_init(struct esptun_sa_dp *dp, const struct esptun_sa_cfg *cfg,
		       struct netlink_ext_ack *extack)
{
	const struct esptun_auth_alg *auth = NULL;
	const struct esptun_enc_alg *enc;
	char name[CRYPTO_MAX_ALG_NAME];
	struct crypto_aead *aead;
	int err;

	enc = esptun_crypto_check_enc(cfg, extack);
	if (IS_ERR(enc))
		return PTR_ERR(enc);
	if (enc->aead) {
		err = esptun_crypto_check_aead(enc, cfg, extack);
		if (err)
			return err;
		strscpy(name, enc->api, sizeof(name));
	} else {
		auth = esptun_crypto_check_auth(cfg, extack);
		if (IS_ERR(auth))
			return PTR_ERR(auth);
		if (snprintf(name, sizeof(name), "%s(%s,%s)",
			     cfg->esn ? "authencesn" : "authenc",
			     auth->name, enc->api) >= sizeof(name))
			return -ENAMETOOLONG;
	}

	aead = esptun_crypto_alloc(name, enc, cfg, extack);
	if (IS_ERR(aead))
		return PTR_ERR(aead);

	dp->aead = aead;
	strscpy(dp->enc_alg, cfg->enc_alg, sizeof(dp->enc_alg));
	strscpy(dp->auth_alg, auth ? auth->name : "", sizeof(dp->auth_alg));
	dp->icv_bits = cfg->icv_bits;
	dp->ivlen = enc->ivlen;
	dp->icvlen = cfg->icv_bits / 8;
	dp->blocksize = enc->blocksize;
	dp->iv_from_seq = enc->aead;
	dp->esn = cfg->esn;
	return 0;
}

/**
 * esptun_crypto_free - release the transform
 * @dp: data-path state
 *
 * The crypto API wipes the key schedule when a transform is freed
 * (crypto_destroy_tfm frees the context with kfree_sensitive).
 * Context: any.
 */
void esptun_crypto_free(struct esptun_sa_dp *dp)
{
	if (dp->aead) {
		crypto_free_aead(dp->aead);
		dp->aead = NULL;
	}
}
