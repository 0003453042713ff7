/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKEv1 key derivation (RFC 2409 5, 5.5, appendix B) for PSK
 * authentication: the SKEYID chain, HASH_I/HASH_R, Quick Mode and
 * informational hashes, and KEYMAT for the ESP SAs.
 */
#ifndef ESPTUND_IKE_KEYMAT_H
#define ESPTUND_IKE_KEYMAT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/prf.h"

struct ike_keymat {
	unsigned int prf;		/* enum ike_hash */
	unsigned int enc;		/* enum ike_enc */
	size_t prf_len;
	size_t enc_key_len;
	size_t block_len;
	uint8_t skeyid[CRYPTO_MAX_HASH];
	uint8_t skeyid_d[CRYPTO_MAX_HASH];
	uint8_t skeyid_a[CRYPTO_MAX_HASH];
	uint8_t skeyid_e[CRYPTO_MAX_HASH];
	uint8_t enc_key[64];
};

/*
 * SKEYID = prf(psk, Ni_b | Nr_b); SKEYID_d/a/e from g^xy and the cookies;
 * the cipher key from SKEYID_e, expanded when longer than the PRF output.
 */
int keymat_phase1_psk(struct ike_keymat *k, unsigned int prf,
		      unsigned int enc, unsigned int keybits,
		      const uint8_t *psk, size_t psk_len,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len,
		      const uint8_t *gxy, size_t gxy_len,
		      const uint8_t icookie[8], const uint8_t rcookie[8]);
/* The same for signature authentication: SKEYID = prf(Ni_b | Nr_b, g^xy). */
int keymat_phase1_sig(struct ike_keymat *k, unsigned int prf,
		      unsigned int enc, unsigned int keybits,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len,
		      const uint8_t *gxy, size_t gxy_len,
		      const uint8_t icookie[8], const uint8_t rcookie[8]);
void keymat_wipe(struct ike_keymat *k);

/*
 * HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b);
 * HASH_R swaps the DH values and cookies. Callers pass them in the order
 * of the hash they want: (mine, theirs) for initiator = HASH_I. prf is
 * the PRF to compute it with (ike_auth_prf: k->prf but for ECDSA).
 */
int keymat_auth_hash(const struct ike_keymat *k, unsigned int prf,
		     const uint8_t *g1, size_t g1_len,
		     const uint8_t *g2, size_t g2_len,
		     const uint8_t ck1[8], const uint8_t ck2[8],
		     const uint8_t *sai_b, size_t sai_len,
		     const uint8_t *id_b, size_t id_len, uint8_t *out);

/*
 * prf(SKEYID_a, [0 |] M-ID | [Ni_b |] [Nr_b |] rest): QM HASH(1) has
 * neither nonce, HASH(2) has Ni_b, HASH(3) has the 0 byte and both nonces
 * and no rest; informational HASH(1) = QM HASH(1) form.
 */
int keymat_qm_hash(const struct ike_keymat *k, int zero_byte, uint32_t msgid,
		   const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len,
		   const uint8_t *rest, size_t rest_len, uint8_t *out);

/*
 * KEYMAT = K1 | K2 | ... with K1 = prf(SKEYID_d, [g(qm)^xy |] proto | SPI
 * | Ni_b | Nr_b), Kn = prf(SKEYID_d, Kn-1 | same), cut to out_len. spi is
 * in network order, as on the wire.
 */
int keymat_child(const struct ike_keymat *k,
		 const uint8_t *gxy, size_t gxy_len, uint8_t proto,
		 const uint8_t spi[4], const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 uint8_t *out, size_t out_len);

#endif
