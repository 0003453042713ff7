// SPDX-License-Identifier: GPL-2.0
/*
 * Informational exchanges (RFC 2409 5.7): notifications and Deletes.
 * Once phase 1 keys exist they are encrypted and carry HASH(1) =
 * prf(SKEYID_a, M-ID | N/D); unauthenticated ones are only logged, except
 * an error answering our own MM1, which ends that half-open attempt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/sa.h"
#include "log.h"

#define MSG_BUF	2048

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct info_body {
	bool is_delete;
	uint8_t proto, spi_size;
	const uint8_t *spi;
	uint16_t nspi;			/* delete */
	uint16_t type;			/* notify */
	const void *data;
	size_t len;
};

static void send_encrypted(struct ike_engine *e, struct p1sa *sa,
			   const struct info_body *b, const char *what)
{
	static const uint8_t zero[CRYPTO_MAX_HASH];
	uint8_t buf[MSG_BUF], h[CRYPTO_MAX_HASH];
	struct isakmp_gen g;
	struct isakmp_hdr hdr;
	size_t hoff, after, len;
	uint32_t msgid;
	char a[64];

	if (!sa || !sa->keys)
		return;
	if (sa->state != MM_ACTIVE)
		iv_phase1_done(&sa->iv);	/* error during MM5/MM6 */
	do
		eng_random(e, &msgid, sizeof(msgid));
	while (!msgid);
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.icookie, sa->icookie, 8);
	memcpy(hdr.rcookie, sa->rcookie, 8);
	hdr.exch = ISAKMP_XCHG_INFO;
	hdr.msgid = msgid;
	isakmp_gen_init(&g, buf, sizeof(buf), &hdr);
	hoff = isakmp_gen_begin(&g, ISAKMP_NP_HASH);
	isakmp_gen_bytes(&g, zero, sa->km.prf_len);
	isakmp_gen_end(&g, hoff);
	after = g.len;
	if (b->is_delete)
		isakmp_gen_delete(&g, b->proto, b->spi_size, b->spi, b->nspi);
	else
		isakmp_gen_notify(&g, b->proto, b->spi, b->spi_size, b->type,
				  b->data, b->len);
	len = isakmp_gen_finish(&g);
	if (!len)
		return;
	keymat_qm_hash(&sa->km, 0, msgid, NULL, 0, NULL, 0, buf + after,
		       len - after, h);
	memcpy(buf + hoff + 4, h, sa->km.prf_len);
	len = ike_encrypt_msg(sa, buf, len, sizeof(buf), msgid);
	iv_drop(&sa->iv, msgid);
	if (!len)
		return;
	ike_send(e, &sa->local, &sa->remote, NULL, buf, len, "INFO", false,
		 0, 0);
	log_info("%s INFO sent to %s: %s", ike_ck(sa),
		 ike_addr_str(&sa->remote, a, sizeof(a)), what);
}

void info_send_notify(struct ike_engine *e, struct p1sa *sa, uint8_t proto,
		      const uint8_t *spi, uint8_t spi_size, uint16_t type,
		      const void *data, size_t len)
{
	struct info_body b = { .proto = proto, .spi = spi,
			       .spi_size = spi_size, .type = type,
			       .data = data, .len = len };

	send_encrypted(e, sa, &b, isakmp_notify_name(type));
}

void info_send_plain_notify(struct ike_engine *e,
			    const struct sockaddr_storage *local,
			    const struct sockaddr_storage *remote,
			    const uint8_t icookie[8], const uint8_t rcookie[8],
			    uint16_t type)
{
	uint8_t buf[256];
	struct isakmp_gen g;
	struct isakmp_hdr h;
	size_t len;
	char a[64];

	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, icookie, 8);
	memcpy(h.rcookie, rcookie, 8);
	h.exch = ISAKMP_XCHG_INFO;
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_notify(&g, ISAKMP_PROTO_ISAKMP, NULL, 0, type, NULL, 0);
	len = isakmp_gen_finish(&g);
	if (!len)
		return;
	ike_send(e, local, remote, NULL, buf, len, "INFO", false, 0, 0);
	log_info("INFO sent to %s: %s (unencrypted)",
		 ike_addr_str(remote, a, sizeof(a)), isakmp_notify_name(type));
}

void info_send_delete_child(struct ike_engine *e, struct p2sa *c)
{
	struct p1sa *sa = c->p1 && c->p1->state == MM_ACTIVE ? c->p1 :
			  p1_established(e, c->conn);
	uint8_t spi[4];
	char what[48];
	struct info_body b = { .is_delete = true, .proto = ISAKMP_PROTO_ESP,
			       .spi_size = 4, .spi = spi, .nspi = 1 };

	/* Our inbound SPI names the pair for the peer (RFC 2408 3.15). */
	put32(spi, c->spi_in);
	snprintf(what, sizeof(what), "Delete ESP SPI %08x", c->spi_in);
	send_encrypted(e, sa, &b, what);
}

void info_send_delete_p1(struct ike_engine *e, struct p1sa *sa)
{
	uint8_t spi[16];
	struct info_body b = { .is_delete = true,
			       .proto = ISAKMP_PROTO_ISAKMP, .spi_size = 16,
			       .spi = spi, .nspi = 1 };

	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	send_encrypted(e, sa, &b, "Delete ISAKMP SA");
}

/*
 * An error notify ends the Quick Modes it names by SPI, or all unfinished
 * ones of this ISAKMP SA when it names none (strongSwan sends it so when
 * its kernel refused the SAs after QM2).
 */
static void fail_negotiations(struct ike_engine *e, struct p1sa *sa,
			      const struct isakmp_notify_pl *n)
{
	struct p2sa *c, *next;
	uint32_t spi = 0;

	if (n->spi_size == 4)
		spi = (uint32_t)n->spi[0] << 24 | n->spi[1] << 16 |
		      n->spi[2] << 8 | n->spi[3];
	for (c = e->p2s; c; c = next) {
		next = c->next;
		if (c->p1 != sa || (c->state != QM_WAIT_MSG2 &&
				    c->state != QM_WAIT_MSG3))
			continue;
		if (spi && spi != c->spi_in && spi != c->spi_out)
			continue;
		log_err("%s %s for %s refused by peer: %s", ike_ck(sa),
			c->initiator ? "QM1" : "QM2", c->conn->c.name,
			isakmp_notify_name(n->type));
		p2_free(e, c);
	}
}

static void handle_delete(struct ike_engine *e, struct p1sa *sa,
			  const struct isakmp_delete *d)
{
	uint16_t i;

	for (i = 0; i < d->nspi; i++) {
		const uint8_t *s = d->spis + (size_t)i * d->spi_size;

		if (d->proto == ISAKMP_PROTO_ESP) {
			uint32_t spi = (uint32_t)s[0] << 24 | s[1] << 16 |
				       s[2] << 8 | s[3];
			struct p2sa *c = p2_by_spi_out(e, spi), *x;

			/*
			 * The sender names its inbound SPI (our outbound); some
			 * name ours in error paths, so accept that too.
			 */
			for (x = e->p2s; !c && x; x = x->next)
				if (x->spi_in == spi && x->state == QM_ACTIVE)
					c = x;

			if (!c || c->conn != sa->conn) {
				log_info("%s INFO: Delete for unknown ESP SPI "
					 "%08x", ike_ck(sa), spi);
				continue;
			}
			log_info("%s INFO: peer deleted IPsec SA of %s: in %08x "
				 "out %08x", ike_ck(sa), c->conn->c.name,
				 c->spi_in, c->spi_out);
			p2_free(e, c);
		} else if (d->proto == ISAKMP_PROTO_ISAKMP) {
			struct p1sa *x = p1_find(e, s, s + 8);

			if (x != sa) {
				log_info("%s INFO: Delete for another ISAKMP "
					 "SA ignored", ike_ck(sa));
				continue;
			}
			log_info("%s INFO: peer deleted the ISAKMP SA",
				 ike_ck(sa));
			p1_free(e, sa);
			return;
		}
	}
}

void info_input(struct ike_engine *e, struct p1sa *sa,
		const struct sockaddr_storage *from, const uint8_t *buf,
		size_t len, const struct isakmp_msg *hm,
		const uint8_t *digest)
{
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = NULL, h[CRYPTO_MAX_HASH];
	struct isakmp_notify_pl n;
	struct isakmp_delete d;
	char why[128], a[64];
	int i, rc;

	if (!m)
		return;
	*m = *hm;
	ike_addr_str(from, a, sizeof(a));
	if (!(m->hdr.flags & ISAKMP_FLAG_E)) {
		if (isakmp_check_rule(m, MSG_INFO_PLAIN, why, sizeof(why)))
			goto out;
		for (i = 0; i < m->n; i++) {
			if (m->pl[i].type != ISAKMP_NP_N ||
			    isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n))
				continue;
			log_warn("%sINFO from %s: unauthenticated notify %s",
				 sa ? ike_ck(sa) : "", a,
				 isakmp_notify_name(n.type));
			/* Ends only our own half-open MM1: nothing to forge. */
			if (sa && sa->initiator && sa->state == MM_WAIT_MSG2 &&
			    n.type < 16384) {
				log_err("%s MM1 refused by %s: %s — no common "
					"ike proposal?", ike_ck(sa), a,
					isakmp_notify_name(n.type));
				p1_free(e, sa);
				goto out;
			}
		}
		goto out;
	}
	if (!sa || !sa->keys) {
		log_info("encrypted INFO from %s for unknown ISAKMP SA dropped",
			 a);
		goto out;
	}
	if (sa->state != MM_ACTIVE)
		iv_phase1_done(&sa->iv);
	plain = malloc(len);
	if (!plain)
		goto out;
	rc = ike_decrypt_msg(sa, buf, len, plain, m);
	if (!rc)
		rc = isakmp_check_rule(m, MSG_INFO, why, sizeof(why));
	if (rc) {
		/* strongSwan answers an undecryptable MM5 this way. */
		if (sa->state == MM_WAIT_MSG6)
			log_err("%s authentication failed: the peer's answer "
				"to MM5 does not decrypt — pre-shared key "
				"mismatch?", ike_ck(sa));
		else
			log_warn("%s INFO from %s dropped: %s", ike_ck(sa), a,
				 isakmp_notify_name((uint16_t)-rc));
		iv_drop(&sa->iv, m->hdr.msgid);
		goto out;
	}
	{
		const uint8_t *rest = NULL;
		size_t rest_len = 0;

		if (m->n > 1) {
			rest = m->pl[1].body - ISAKMP_GEN_LEN;
			rest_len = (size_t)(m->pl[m->n - 1].body +
					    m->pl[m->n - 1].len - rest);
		}
		keymat_qm_hash(&sa->km, 0, m->hdr.msgid, NULL, 0, NULL, 0,
			       rest, rest_len, h);
		iv_drop(&sa->iv, m->hdr.msgid);
		if (m->pl[0].len != sa->km.prf_len ||
		    memcmp(m->pl[0].body, h, sa->km.prf_len)) {
			log_warn("%s INFO from %s: HASH(1) mismatch, dropped",
				 ike_ck(sa), a);
			goto out;
		}
	}
	/* Authentic: a copy of it is not acted on twice. */
	rexmit_seen_add(&sa->seen, digest);
	for (i = 1; i < m->n; i++) {
		if (m->pl[i].type == ISAKMP_NP_N &&
		    !isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n)) {
			log_info("%s INFO: peer sent %s", ike_ck(sa),
				 isakmp_notify_name(n.type));
			if (n.type >= 16384)
				continue;
			if (sa->state != MM_ACTIVE) {
				log_err("%s Main Mode refused by %s: %s",
					ike_ck(sa), a,
					isakmp_notify_name(n.type));
				p1_free(e, sa);
				goto out;
			}
			fail_negotiations(e, sa, &n);
		} else if (m->pl[i].type == ISAKMP_NP_D) {
			rc = isakmp_parse_delete(m->pl[i].body, m->pl[i].len,
						 &d);
			if (rc) {
				log_warn("%s INFO: malformed Delete", ike_ck(sa));
				continue;
			}
			handle_delete(e, sa, &d);
			if (d.proto == ISAKMP_PROTO_ISAKMP)
				goto out;	/* sa may be gone */
		}
	}
out:
	free(plain);
	free(m);
}
