// SPDX-License-Identifier: GPL-2.0
/*
 * Informational messages we receive (RFC 2409 5.7): notifies and Deletes.
 * Encrypted ones must carry HASH(1) = prf(SKEYID_a, M-ID | N/D) before
 * they act; unauthenticated ones are only logged, except an error
 * answering our own MM1, which ends that half-open attempt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/ikev1.h"
#include "log.h"

/*
 * An error notify ends the Quick Modes it names by SPI, or all unfinished
 * ones of this ISAKMP SA when it names none (strongSwan sends it so when
 * its kernel refused the SAs after QM2).
 */
static void fail_negotiations(struct ike_engine *e, struct p1sa *sa,
			      const struct isakmp_notify_pl *n)
{
	char ours[IKE_DIAG_TEXT];
	struct p2sa *c, *next;
	uint32_t spi = 0;

	if (n->spi_size == 4)
		spi = isakmp_get32(n->spi);
	for (c = e->p2s; c; c = next) {
		next = c->next;
		if (c->p1 != sa || (c->state != QM_WAIT_MSG2 &&
				    c->state != QM_WAIT_MSG3))
			continue;
		if (spi && spi != c->spi_in && spi != c->spi_out)
			continue;
		log_err("%s %s for %s refused by peer: %s", msg_ck(sa),
			c->initiator ? "QM1" : "QM2", c->conn->c.name,
			isakmp_notify_name(n->type));
		diag_fail_notify(e, c->conn, c->initiator ? "QM1" : "QM2",
				 n->type, true);
		if (n->type == ISAKMP_N_NO_PROPOSAL_CHOSEN) {
			diag_esp_list(&c->conn->c, ours, sizeof(ours));
			diag_mismatch(c->conn, ours, NULL);
		} else if (n->type == ISAKMP_N_INVALID_ID_INFORMATION) {
			diag_ts_pair(&c->local_ts, &c->remote_ts, ours,
				     sizeof(ours));
			diag_mismatch(c->conn, ours, NULL);
		}
		sa_p2_free(e, c);
	}
}

static void handle_delete(struct ike_engine *e, struct p1sa *sa,
			  const struct isakmp_delete *d)
{
	uint16_t i;

	for (i = 0; i < d->nspi; i++) {
		const uint8_t *s = d->spis + (size_t)i * d->spi_size;

		if (d->proto == ISAKMP_PROTO_ESP) {
			uint32_t spi = isakmp_get32(s);
			struct p2sa *c = sa_p2_by_spi_out(e, spi), *x;

			/*
			 * The sender names its inbound SPI (our outbound); some
			 * name ours in error paths, so accept that too.
			 */
			for (x = e->p2s; !c && x; x = x->next)
				if (x->spi_in == spi && x->state == QM_ACTIVE)
					c = x;

			if (!c || c->conn != sa->conn) {
				log_info("%s INFO: Delete for unknown ESP SPI "
					 "%08x", msg_ck(sa), spi);
				continue;
			}
			log_info("%s INFO: peer deleted IPsec SA of %s: in %08x "
				 "out %08x", msg_ck(sa), c->conn->c.name,
				 c->spi_in, c->spi_out);
			rekey_peer_deletes(e, c);
			sa_p2_free(e, c);
		} else if (d->proto == ISAKMP_PROTO_ISAKMP) {
			struct p1sa *x = sa_p1_find(e, s, s + 8);

			if (x != sa) {
				log_info("%s INFO: Delete for another ISAKMP "
					 "SA ignored", msg_ck(sa));
				continue;
			}
			log_info("%s INFO: peer deleted the ISAKMP SA",
				 msg_ck(sa));
			sa_p1_free(e, sa);
			return;
		}
	}
}

/* Unencrypted INFO: logged; only an error answering our MM1/AM1 acts. */
static void info_plain(struct ike_engine *e, struct p1sa *sa,
		       const char *from, const struct isakmp_msg *m)
{
	struct isakmp_notify_pl n;
	char why[128];
	int i;

	if (isakmp_check_rule(m, MSG_INFO_PLAIN, why, sizeof(why)))
		return;
	for (i = 0; i < m->n; i++) {
		if (m->pl[i].type != ISAKMP_NP_N ||
		    isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n))
			continue;
		log_warn_rl("%sINFO from %s: unauthenticated notify %s",
			    sa ? msg_ck(sa) : "", from,
			    isakmp_notify_name(n.type));
		if (sa)
			diag_notify(sa->conn, n.type, false);
		/* Ends only our own half-open MM1/AM1: nothing to forge. */
		if (sa && sa->initiator && (sa->state == MM_WAIT_MSG2 ||
					    sa->state == AM_WAIT_MSG2) &&
		    n.type < 16384) {
			log_err("%s %s refused by %s: %s — %s", msg_ck(sa),
				p1_msg_name(sa, 1), from,
				isakmp_notify_name(n.type),
				sa->aggressive ? "Aggressive Mode not allowed "
				"by the peer, or no common ike proposal?" :
				"no common ike proposal?");
			diag_fail_notify(e, sa->conn, p1_msg_name(sa, 1),
					 n.type, true);
			sa_p1_free(e, sa);
			return;
		}
	}
}

/* Decrypts into plain and checks HASH(1); 0 when m is authentic. */
static int info_authenticate(struct ike_engine *e, struct p1sa *sa,
			     const char *from,
			     const uint8_t *buf, size_t len, uint8_t *plain,
			     struct isakmp_msg *m)
{
	uint8_t h[CRYPTO_MAX_HASH];
	const uint8_t *rest = NULL;
	size_t rest_len = 0;
	char why[128];
	int rc;

	if (sa->state != MM_ACTIVE)
		iv_phase1_done(&sa->iv);
	rc = msg_decrypt(sa, buf, len, plain, m);
	if (!rc)
		rc = isakmp_check_rule(m, MSG_INFO, why, sizeof(why));
	if (rc) {
		/* strongSwan answers an undecryptable MM5 this way. */
		if (sa->state == MM_WAIT_MSG6) {
			log_err("%s authentication failed: the peer's answer "
				"to MM5 does not decrypt — pre-shared key "
				"mismatch?", msg_ck(sa));
			diag_fail(e, sa->conn, "MM5", "the peer's answer to "
				  "MM5 does not decrypt: pre-shared key "
				  "mismatch?");
		} else {
			log_warn_rl("%s INFO from %s dropped: %s", msg_ck(sa),
				    from, isakmp_notify_name((uint16_t)-rc));
		}
		return rc;
	}
	if (m->n > 1) {
		rest = m->pl[1].body - ISAKMP_GEN_LEN;
		rest_len = (size_t)(m->pl[m->n - 1].body +
				    m->pl[m->n - 1].len - rest);
	}
	keymat_qm_hash(&sa->km, 0, m->hdr.msgid, NULL, 0, NULL, 0, rest,
		       rest_len, h);
	/*
	 * One message, no reply: its IV is never needed again, and none of
	 * the Message ID's slot was created or moved by decrypting it.
	 */
	if (m->pl[0].len != sa->km.prf_len ||
	    !crypto_memeq(m->pl[0].body, h, sa->km.prf_len)) {
		log_warn_rl("%s INFO from %s: HASH(1) mismatch, dropped",
			    msg_ck(sa), from);
		return -ISAKMP_N_INVALID_HASH_INFORMATION;
	}
	return 0;
}

/*
 * An authentic INFO: notifies (errors end negotiations, INVALID-SPI and
 * INITIAL-CONTACT go to recover.c, DPD's to dpd.c, other status ones are
 * only logged) and Deletes, in order. Stops once the ISAKMP SA itself is
 * gone.
 */
static void info_act(struct ike_engine *e, struct p1sa *sa, const char *from,
		     const struct isakmp_msg *m)
{
	struct isakmp_notify_pl n;
	struct isakmp_delete d;
	int i;

	for (i = 1; i < m->n; i++) {
		if (m->pl[i].type == ISAKMP_NP_N &&
		    !isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n)) {
			/* DPD decides itself what an answer is worth. */
			if (n.type == ISAKMP_N_R_U_THERE ||
			    n.type == ISAKMP_N_R_U_THERE_ACK) {
				if (sa->state == MM_ACTIVE)
					dpd_notify(e, sa, &n);
				continue;
			}
			dpd_heard(e, sa->conn);
			log_info("%s INFO: peer sent %s", msg_ck(sa),
				 isakmp_notify_name(n.type));
			diag_notify(sa->conn, n.type, false);
			if (n.type == ISAKMP_N_INITIAL_CONTACT &&
			    sa->state == MM_ACTIVE)
				recover_initial_contact(e, sa);
			if (n.type >= 16384)
				continue;
			if (sa->state != MM_ACTIVE) {
				log_err("%s Main Mode refused by %s: %s",
					msg_ck(sa), from,
					isakmp_notify_name(n.type));
				diag_fail_notify(e, sa->conn, sa->rx.name,
						 n.type, true);
				sa_p1_free(e, sa);
				return;
			}
			if (n.type == ISAKMP_N_INVALID_SPI)
				recover_invalid_spi(e, sa, &n);
			fail_negotiations(e, sa, &n);
		} else if (m->pl[i].type == ISAKMP_NP_D) {
			dpd_heard(e, sa->conn);
			if (isakmp_parse_delete(m->pl[i].body, m->pl[i].len,
						&d)) {
				log_warn("%s INFO: malformed Delete", msg_ck(sa));
				continue;
			}
			handle_delete(e, sa, &d);
			if (d.proto == ISAKMP_PROTO_ISAKMP)
				return;	/* sa may be gone */
		}
	}
}

void info_input(struct ike_engine *e, struct p1sa *sa,
		const struct sockaddr_storage *from, const uint8_t *buf,
		size_t len, const struct isakmp_msg *hm,
		const uint8_t *digest)
{
	struct isakmp_msg *m = malloc(sizeof(*m));
	uint8_t *plain = NULL;
	char a[64];

	if (!m)
		return;
	*m = *hm;
	ike_addr_str(from, a, sizeof(a));
	if (!(m->hdr.flags & ISAKMP_FLAG_E)) {
		info_plain(e, sa, a, m);
		goto out;
	}
	if (!sa || !sa->keys) {
		log_info_rl("encrypted INFO from %s for unknown ISAKMP SA "
			    "dropped", a);
		goto out;
	}
	if (msgid_used(&sa->msgids, m->hdr.msgid)) {
		log_info_rl("%s INFO from %s: Message ID %08x already used, "
			    "dropped", msg_ck(sa), a, m->hdr.msgid);
		goto out;
	}
	plain = malloc(len);
	if (!plain || info_authenticate(e, sa, a, buf, len, plain, m))
		goto out;
	/* Authentic: a replay, even with bytes appended, is refused. */
	if (msgid_add(&sa->msgids, m->hdr.msgid))
		goto out;
	/* Authentic: a copy of it is not acted on twice. */
	rexmit_seen_add(&sa->seen, digest);
	/* Say a DPD message after the peer's NAT changed its mapping. */
	if (sa->state == MM_ACTIVE)
		natt_follow(e, sa, from, &sa->local);
	info_act(e, sa, a, m);
out:
	free(plain);
	free(m);
}
