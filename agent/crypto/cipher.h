/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Phase 1/2 message encryption: raw CBC over whole blocks. IKEv1 does its
 * own padding, so length must be a multiple of the block size.
 */
#ifndef ESPTUND_CRYPTO_CIPHER_H
#define ESPTUND_CRYPTO_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* enc = enum ike_enc, keybits (AES) → bytes of key; 0 if unsupported. */
size_t crypto_cipher_keylen(unsigned int enc, unsigned int keybits);
size_t crypto_cipher_blocklen(unsigned int enc);

/* In place; iv is blocklen bytes and is not modified. 0 or -1. */
int crypto_cbc(unsigned int enc, const uint8_t *key, size_t klen,
	       const uint8_t *iv, uint8_t *buf, size_t len, bool encrypt);

#endif
