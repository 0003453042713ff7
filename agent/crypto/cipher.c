// SPDX-License-Identifier: GPL-2.0
/* AES-CBC and 3DES-CBC through GnuTLS, no padding (IKEv1 pads itself). */
#include <gnutls/crypto.h>

#include "crypto/cipher.h"
#include "ike/conn.h"

static int cipher_alg(unsigned int enc, size_t klen,
		      gnutls_cipher_algorithm_t *a)
{
	if (enc == IKE_ENC_AES_CBC) {
		switch (klen) {
		case 16:
			*a = GNUTLS_CIPHER_AES_128_CBC;
			return 0;
		case 24:
			*a = GNUTLS_CIPHER_AES_192_CBC;
			return 0;
		case 32:
			*a = GNUTLS_CIPHER_AES_256_CBC;
			return 0;
		}
	} else if (enc == IKE_ENC_3DES_CBC && klen == 24) {
		*a = GNUTLS_CIPHER_3DES_CBC;
		return 0;
	}
	return -1;
}

size_t crypto_cipher_keylen(unsigned int enc, unsigned int keybits)
{
	if (enc == IKE_ENC_AES_CBC &&
	    (keybits == 128 || keybits == 192 || keybits == 256))
		return keybits / 8;
	if (enc == IKE_ENC_3DES_CBC)
		return 24;
	return 0;
}

size_t crypto_cipher_blocklen(unsigned int enc)
{
	if (enc == IKE_ENC_AES_CBC)
		return 16;
	if (enc == IKE_ENC_3DES_CBC)
		return 8;
	return 0;
}

int crypto_cbc(unsigned int enc, const uint8_t *key, size_t klen,
	       const uint8_t *iv, uint8_t *buf, size_t len, bool encrypt)
{
	gnutls_cipher_algorithm_t a;
	gnutls_cipher_hd_t h;
	gnutls_datum_t k = { (unsigned char *)key, (unsigned int)klen };
	gnutls_datum_t v;
	size_t bl = crypto_cipher_blocklen(enc);
	int rc;

	if (cipher_alg(enc, klen, &a) || !bl || len % bl)
		return -1;
	v.data = (unsigned char *)iv;
	v.size = (unsigned int)bl;
	if (gnutls_cipher_init(&h, a, &k, &v) < 0)
		return -1;
	if (!len)
		rc = 0;
	else if (encrypt)
		rc = gnutls_cipher_encrypt(h, buf, len);
	else
		rc = gnutls_cipher_decrypt(h, buf, len);
	gnutls_cipher_deinit(h);
	return rc < 0 ? -1 : 0;
}
