// SPDX-License-Identifier: GPL-2.0
/* CBC IV chaining per message ID with commit-after-verify. */
#include <string.h>

#include "crypto/cipher.h"
#include "crypto/prf.h"
#include "ike/iv.h"

int iv_init(struct iv_mgr *m, const struct ike_keymat *k,
	    const uint8_t *gxi, size_t gxi_len,
	    const uint8_t *gxr, size_t gxr_len)
{
	uint8_t h[CRYPTO_MAX_HASH];
	struct chunk c[2] = { { gxi, gxi_len }, { gxr, gxr_len } };

	memset(m, 0, sizeof(*m));
	m->block_len = k->block_len;
	m->hash = k->prf;
	if (!m->block_len || m->block_len > IV_MAX ||
	    crypto_hash_len(k->prf) < m->block_len ||
	    crypto_hash(k->prf, c, 2, h))
		return -1;
	m->slot[0].used = true;
	m->slot[0].msgid = 0;
	memcpy(m->slot[0].iv, h, m->block_len);
	return 0;
}

/* IV of a new exchange: hash(phase-1 IV | M-ID). */
static int first_iv(const struct iv_mgr *m, uint32_t msgid,
		    uint8_t iv[IV_MAX])
{
	uint8_t h[CRYPTO_MAX_HASH], mid[4];
	struct chunk c[2];

	mid[0] = (uint8_t)(msgid >> 24);
	mid[1] = (uint8_t)(msgid >> 16);
	mid[2] = (uint8_t)(msgid >> 8);
	mid[3] = (uint8_t)msgid;
	c[0] = (struct chunk){ m->phase1_iv, m->block_len };
	c[1] = (struct chunk){ mid, 4 };
	if (crypto_hash(m->hash, c, 2, h))
		return -1;
	memcpy(iv, h, m->block_len);
	return 0;
}

static struct iv_slot *find(struct iv_mgr *m, uint32_t msgid, bool create)
{
	struct iv_slot *s, *victim = NULL;
	uint8_t iv[IV_MAX];
	int i;

	for (i = 0; i < IV_SLOTS; i++)
		if (m->slot[i].used && m->slot[i].msgid == msgid)
			return &m->slot[i];
	if (!create || first_iv(m, msgid, iv))
		return NULL;
	/* Reuse a free slot or the oldest non-phase-1 one. */
	for (i = 1; i < IV_SLOTS; i++) {
		s = &m->slot[i];
		if (!s->used) {
			victim = s;
			break;
		}
		if (!victim || s->age < victim->age)
			victim = s;
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->msgid = msgid;
	victim->age = ++m->clock;
	memcpy(victim->iv, iv, m->block_len);
	return victim;
}

void iv_phase1_done(struct iv_mgr *m)
{
	memcpy(m->phase1_iv, m->slot[0].iv, m->block_len);
}

int iv_encrypt(struct iv_mgr *m, const struct ike_keymat *k, uint32_t msgid,
	       uint8_t *body, size_t len)
{
	struct iv_slot *s = find(m, msgid, msgid != 0);

	if (!s || !len || len % m->block_len)
		return -1;
	if (crypto_cbc(k->enc, k->enc_key, k->enc_key_len, s->iv, body, len,
		       true))
		return -1;
	memcpy(s->iv, body + len - m->block_len, m->block_len);
	s->age = ++m->clock;
	if (m->pending.msgid == msgid)
		m->pending.valid = false;
	return 0;
}

int iv_decrypt(struct iv_mgr *m, const struct ike_keymat *k, uint32_t msgid,
	       uint8_t *body, size_t len)
{
	struct iv_slot *s = find(m, msgid, false);
	uint8_t iv[IV_MAX], last[IV_MAX];

	m->pending.valid = false;
	if (!len || len % m->block_len)
		return -1;
	if (s)
		memcpy(iv, s->iv, m->block_len);
	else if (!msgid || first_iv(m, msgid, iv))
		return -1;
	memcpy(last, body + len - m->block_len, m->block_len);
	if (crypto_cbc(k->enc, k->enc_key, k->enc_key_len, iv, body, len,
		       false))
		return -1;
	m->pending.valid = true;
	m->pending.msgid = msgid;
	memcpy(m->pending.iv, last, m->block_len);
	return 0;
}

void iv_confirm(struct iv_mgr *m, uint32_t msgid)
{
	struct iv_slot *s;

	if (!m->pending.valid || m->pending.msgid != msgid)
		return;
	m->pending.valid = false;
	s = find(m, msgid, true);
	if (s) {
		memcpy(s->iv, m->pending.iv, m->block_len);
		s->age = ++m->clock;
	}
}

const uint8_t *iv_get(struct iv_mgr *m, uint32_t msgid)
{
	struct iv_slot *s = find(m, msgid, msgid != 0);

	return s ? s->iv : NULL;
}

void iv_drop(struct iv_mgr *m, uint32_t msgid)
{
	struct iv_slot *s = find(m, msgid, false);

	if (s && msgid)
		memset(s, 0, sizeof(*s));
}
