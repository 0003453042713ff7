// SPDX-License-Identifier: GPL-2.0
/*
 * ISAKMP message I/O shared by every exchange: sending (and keeping the
 * message for retransmission), phase 1 encryption with IV chaining,
 * fresh cookies, and the "[icookie:rcookie]" prefix of every log line.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/prf.h"
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

/*
 * Send buf under sa (cut into fragments when it does not fit and the
 * conn allows), and keep it in rx for retransmission and duplicates.
 */
void msg_send(struct ike_engine *e, struct p1sa *sa,
	      const struct sockaddr_storage *from,
	      const struct sockaddr_storage *to, struct rexmit *rx,
	      const uint8_t *buf, size_t len, const char *name,
	      bool expect_reply, uint32_t first_ms, uint32_t tries)
{
	uint16_t id = 0;

	if (frag_send(e, sa, from, to, buf, len, &id) < 0) {
		char a[64];

		log_warn("sending %s to %s failed", name,
			 ike_addr_str(to, a, sizeof(a)));
	}
	if (rx) {
		rexmit_set(rx, buf, len, name, expect_reply, env_now(e),
			   first_ms, tries);
		rx->frag_id = id;
	}
}

/* Sends rx's message again, as the same pieces when it went cut. */
void msg_resend(struct ike_engine *e, struct p1sa *sa,
		const struct sockaddr_storage *from,
		const struct sockaddr_storage *to, struct rexmit *rx)
{
	frag_send(e, sa, from, to, rx->buf, rx->len, &rx->frag_id);
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
 * Phase 1's last block becomes the IV of every later exchange, yet what
 * follows the last payload is not authenticated: blocks appended by a
 * forger would pass. Senders pad to the block size, less than a block
 * (strongSwan and libreswan add none to an aligned message): a whole
 * block more is refused.
 */
static int phase1_tail(const struct p1sa *sa, const struct isakmp_msg *m,
		       const uint8_t *end)
{
	const uint8_t *last;

	if (m->n < 1)
		return 0;
	last = m->pl[m->n - 1].body + m->pl[m->n - 1].len;
	if (last > end)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	return 0;
}

/* Decrypt in a copy, parse payloads into m. 0 or -ISAKMP_N_*. */
int msg_decrypt(struct p1sa *sa, const uint8_t *buf, size_t len,
		uint8_t *plain, struct isakmp_msg *m)
{
	size_t body = len - ISAKMP_HDR_LEN;
	int rc;

	if (!sa->keys)
		return -ISAKMP_N_INVALID_FLAGS;
	if (!body || body % sa->km.block_len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	memcpy(plain, buf, len);
	if (iv_decrypt(&sa->iv, &sa->km, m->hdr.msgid, plain + ISAKMP_HDR_LEN,
		       body))
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	rc = isakmp_parse_payloads(m->hdr.np, plain + ISAKMP_HDR_LEN, body, m);
	if (!rc && !m->hdr.msgid)
		rc = phase1_tail(sa, m, plain + len);
	return rc;
}

uint32_t msg_new_msgid(struct ike_engine *e, struct p1sa *sa)
{
	uint32_t msgid;

	do
		env_random(e, &msgid, sizeof(msgid));
	while (!msgid || msgid_used(&sa->msgids, msgid));
	return msgid_add(&sa->msgids, msgid) ? 0 : msgid;
}

size_t msg_build_hash1(struct p1sa *sa, uint8_t exch, uint32_t msgid,
		       void (*body)(struct isakmp_gen *g, const void *arg),
		       const void *arg, uint8_t *buf, size_t cap)
{
	static const uint8_t zero[CRYPTO_MAX_HASH];
	uint8_t h[CRYPTO_MAX_HASH];
	struct isakmp_hdr hdr;
	struct isakmp_gen g;
	size_t hoff, after, len;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.icookie, sa->icookie, 8);
	memcpy(hdr.rcookie, sa->rcookie, 8);
	hdr.exch = exch;
	hdr.msgid = msgid;
	isakmp_gen_init(&g, buf, cap, &hdr);
	hoff = isakmp_gen_begin(&g, ISAKMP_NP_HASH);
	isakmp_gen_bytes(&g, zero, sa->km.prf_len);
	isakmp_gen_end(&g, hoff);
	after = g.len;
	body(&g, arg);
	len = isakmp_gen_finish(&g);
	if (!len)
		return 0;
	keymat_qm_hash(&sa->km, 0, msgid, NULL, 0, NULL, 0, buf + after,
		       len - after, h);
	memcpy(buf + hoff + ISAKMP_GEN_LEN, h, sa->km.prf_len);
	return msg_encrypt(sa, buf, len, cap, msgid);
}
