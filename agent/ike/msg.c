// SPDX-License-Identifier: GPL-2.0
/*
 * ISAKMP message I/O shared by every exchange: sending (and keeping the
 * message for retransmission), phase 1 encryption with IV chaining,
 * fresh cookies, and the "[icookie:rcookie]" prefix of every log line.
 */
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

/* Log prefix "[icookie:rcookie]" (four rotating static buffers). */
const char *msg_ck(const struct p1sa *sa)
{
	static char bufs[4][40];
	static int i;
	char *b = bufs[i++ & 3];
	int k;

	b[0] = '[';
	for (k = 0; k < 8; k++)
		sprintf(b + 1 + 2 * k, "%02x", sa->icookie[k]);
	b[17] = ':';
	for (k = 0; k < 8; k++)
		sprintf(b + 18 + 2 * k, "%02x", sa->rcookie[k]);
	b[34] = ']';
	b[35] = 0;
	return b;
}

bool msg_cookie_is_zero(const uint8_t cookie[8])
{
	static const uint8_t z[8];

	return !memcmp(cookie, z, 8);
}

void msg_new_cookie(struct ike_engine *e, uint8_t cookie[8])
{
	do
		env_random(e, cookie, 8);
	while (msg_cookie_is_zero(cookie));
}

/* Send buf (and keep it in rx for retransmission and duplicates). */
void msg_send(struct ike_engine *e, const struct sockaddr_storage *from,
	      const struct sockaddr_storage *to, struct rexmit *rx,
	      const uint8_t *buf, size_t len, const char *name,
	      bool expect_reply, uint32_t first_ms, uint32_t tries)
{
	if (e->env.send(e->env.ctx, from, to, buf, len) < 0) {
		char a[64];

		log_warn("sending %s to %s failed", name,
			 ike_addr_str(to, a, sizeof(a)));
	}
	if (rx)
		rexmit_set(rx, buf, len, name, expect_reply, env_now(e),
			   first_ms, tries);
}

/* Encrypt [hdr][body] in buf (len = header + plain body); returns new len. */
size_t msg_encrypt(struct p1sa *sa, uint8_t *buf, size_t len, size_t cap,
		   uint32_t msgid)
{
	size_t bl = sa->km.block_len, body = len - ISAKMP_HDR_LEN;
	size_t pad = (bl - body % bl) % bl;

	if (!body || len + pad > cap)
		return 0;
	/* IKEv1 leaves padding to the sender: zeros, no length byte. */
	memset(buf + len, 0, pad);
	body += pad;
	if (iv_encrypt(&sa->iv, &sa->km, msgid, buf + ISAKMP_HDR_LEN, body))
		return 0;
	buf[19] |= ISAKMP_FLAG_E;
	len = ISAKMP_HDR_LEN + body;
	isakmp_put32(buf + 24, (uint32_t)len);
	return len;
}

/*
 * Whether the first message of an exchange (QM1, Informational) carries
 * a valid HASH(1) = prf(SKEYID_a, M-ID | the payloads after HASH).
 */
static bool hash1_ok(const struct p1sa *sa, const struct isakmp_msg *m)
{
	uint8_t h[CRYPTO_MAX_HASH];
	const uint8_t *rest = NULL;
	size_t rest_len = 0;

	if (m->n < 1 || m->pl[0].type != ISAKMP_NP_HASH ||
	    m->pl[0].len != sa->km.prf_len)
		return false;
	if (m->n > 1) {
		rest = m->pl[1].body - ISAKMP_GEN_LEN;
		rest_len = (size_t)(m->pl[m->n - 1].body +
				    m->pl[m->n - 1].len - rest);
	}
	return !keymat_qm_hash(&sa->km, 0, m->hdr.msgid, NULL, 0, NULL, 0,
			       rest, rest_len, h) &&
	       crypto_memeq(m->pl[0].body, h, sa->km.prf_len);
}

static int decrypt_parse(struct p1sa *sa, int alt, const uint8_t *buf,
			 size_t len, uint8_t *plain, struct isakmp_msg *m)
{
	size_t body = len - ISAKMP_HDR_LEN;
	int rc;

	memcpy(plain, buf, len);
	rc = alt < 0 ? iv_decrypt(&sa->iv, &sa->km, m->hdr.msgid,
				  plain + ISAKMP_HDR_LEN, body) :
		       iv_decrypt_alt(&sa->iv, &sa->km, alt, m->hdr.msgid,
				      plain + ISAKMP_HDR_LEN, body);
	if (rc)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	return isakmp_parse_payloads(m->hdr.np, plain + ISAKMP_HDR_LEN, body,
				     m);
}

/*
 * Decrypt in a copy, parse payloads into m. 0 or -ISAKMP_N_*. The first
 * message of an exchange that does not verify under the phase-1 IV is
 * tried under the candidates (iv.h): the one it verifies under was the
 * peer's.
 */
int msg_decrypt(struct p1sa *sa, const uint8_t *buf, size_t len,
		uint8_t *plain, struct isakmp_msg *m)
{
	size_t body = len - ISAKMP_HDR_LEN;
	uint32_t msgid = m->hdr.msgid;
	int rc, i;

	if (!sa->keys)
		return -ISAKMP_N_INVALID_FLAGS;
	if (!body || body % sa->km.block_len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	rc = decrypt_parse(sa, -1, buf, len, plain, m);
	if (!msgid || !sa->iv.n_alt || iv_known(&sa->iv, msgid) ||
	    (!rc && hash1_ok(sa, m)))
		return rc;
	for (i = 0; i < sa->iv.n_alt; i++)
		if (!decrypt_parse(sa, i, buf, len, plain, m) &&
		    hash1_ok(sa, m)) {
			log_info("%s phase 1 ended with a later copy of its "
				 "last message: IV taken from it",
				 msg_ck(sa));
			iv_adopt_alt(&sa->iv, i);
			return 0;
		}
	return decrypt_parse(sa, -1, buf, len, plain, m);
}
