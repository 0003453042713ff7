/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CBC IV chaining per message ID (RFC 2409 appendix B). Each exchange
 * continues from the last ciphertext block of its previous message; a new
 * exchange starts from hash(phase-1 IV | M-ID). Like strongSwan's
 * iv_manager, a received message's last block only becomes the IV once
 * the message has been authenticated (iv_confirm), so a forged packet
 * cannot desynchronise us. Decryption reads the slots but never creates,
 * evicts or changes one: the pending IV waits in a scratch slot, and
 * only an authenticated Message ID (or one we send) gets a slot.
 */
#ifndef ESPTUND_IKE_IV_H
#define ESPTUND_IKE_IV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/keymat.h"

#define IV_SLOTS	8
#define IV_MAX		16

struct iv_slot {
	bool used;
	uint32_t msgid;
	uint8_t iv[IV_MAX];
	uint64_t age;
};

/* Last block of the last decrypted, not yet authenticated message. */
struct iv_pending {
	bool valid;
	uint32_t msgid;
	uint8_t iv[IV_MAX];
};

struct iv_mgr {
	size_t block_len;
	unsigned int hash;
	uint8_t phase1_iv[IV_MAX];	/* last block of phase 1 */
	uint64_t clock;
	struct iv_slot slot[IV_SLOTS];
	struct iv_pending pending;
};

/* Phase 1 IV = hash(g^xi | g^xr) cut to the block size; M-ID 0. */
int iv_init(struct iv_mgr *m, const struct ike_keymat *k,
	    const uint8_t *gxi, size_t gxi_len,
	    const uint8_t *gxr, size_t gxr_len);
/* Phase 1 done: its current IV seeds all later exchanges. */
void iv_phase1_done(struct iv_mgr *m);

/* Encrypt body in place (len multiple of the block); IV advances. */
int iv_encrypt(struct iv_mgr *m, const struct ike_keymat *k, uint32_t msgid,
	       uint8_t *body, size_t len);
/*
 * Decrypt in place; the new IV is pending until iv_confirm() of the same
 * Message ID, and a later iv_decrypt() replaces it. No slot changes.
 */
int iv_decrypt(struct iv_mgr *m, const struct ike_keymat *k, uint32_t msgid,
	       uint8_t *body, size_t len);
void iv_confirm(struct iv_mgr *m, uint32_t msgid);
/* Current IV for a message ID (tests). */
const uint8_t *iv_get(struct iv_mgr *m, uint32_t msgid);
/* Forget a finished exchange. */
void iv_drop(struct iv_mgr *m, uint32_t msgid);

#endif
