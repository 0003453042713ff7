// SPDX-License-Identifier: GPL-2.0
/*
 * Aggressive Mode with pre-shared keys (RFC 2409 5, 5.4): three messages
 * instead of Main Mode's six, at a price. The IDs travel in the clear,
 * and AM2 carries HASH_R unencrypted: whoever sees it can try pre-shared
 * keys offline. So a responder answers only conns that say so
 * (aggressive = yes, or mode = aggressive), and picks the conn by the
 * initiator's ID, the one thing AM1 tells it besides the address.
 *
 *   AM1  I -> R  SA, KE, Ni, IDii [, VID...]
 *   AM2  R -> I  SA, KE, Nr, IDir, HASH_R [, VID...]
 *   AM3  I -> R  HASH_I [, N(INITIAL-CONTACT)]   (encrypted, as peers do)
 *
 * With RSA signatures (RFC 2409 5.1) CERT and SIG take HASH's place, and
 * AM1 and AM2 carry a CR for each of our trust anchors.
 *
 * NAT-T is announced (VIDs in AM1/AM2) but no NAT-D is sent: without it
 * no NAT is detected, so an Aggressive Mode SA never floats to 4500 and
 * its IPsec SAs stay unencapsulated.
 */
#include <stdlib.h>
#include <string.h>

#include "ike/proposal.h"
#include "ike/ikev1.h"
#include "ike/vid.h"
#include "log.h"

#define MSG_BUF	4096

int am_initiate(struct ike_engine *e, struct conn_ent *c,
		const struct p1sa *prev)
{
	struct p1sa *sa = sa_p1_new(e, c, true);
	struct isakmp_sa *prop = malloc(sizeof(*prop));
	struct isakmp_gen g;
	struct isakmp_hdr h;
	uint8_t buf[MSG_BUF];
	size_t len = 0;

	if (!sa || !prop)
		goto fail;
	msg_new_cookie(e, sa->icookie);
	natt_succeed(sa, prev);
	sa->aggressive = true;
	sa->start_qm = CONN_ALL_PAIRS(c);
	sa->state = AM_WAIT_MSG2;
	/* AM1 holds our KE: every proposal has this group (config.c). */
	sa->prop.group = c->c.ike[0].group;
	if (p1_make_ke_nonce(e, sa))
		goto fail;
	p1_build_sa(&c->c, prop);
	p1_hdr(sa, &h);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, prop);
	p1_gen_ke_nonce(sa, &g);
	p1_gen_id(sa, &g);
	cert_gen_cr(sa, &g);
	/* We always answer R-U-THERE, so DPD is announced whatever dpd says. */
	isakmp_gen_raw(&g, ISAKMP_NP_VID, dpd_vid, DPD_VID_LEN);
	natt_gen_vids(&g, &c->c);
	xauth_gen_vid(&g, &c->c);
	frag_gen_vid(&g, &c->c);
	len = isakmp_gen_finish(&g);
	if (!len || p1_keep_sai(sa, buf + ISAKMP_HDR_LEN + ISAKMP_GEN_LEN,
				p1_first_body_len(buf)))
		goto fail;
	free(prop);
	log_info("%s initiating Aggressive Mode for %s", msg_ck(sa),
		 c->c.name);
	p1_send(e, sa, buf, len, "AM1", true);
	return 0;
fail:
	free(prop);
	if (sa)
		sa_p1_free(e, sa);
	return -12;
}

/*
 * A conn that does not allow Aggressive Mode: the reason goes to the
 * log once per peer (a peer retries, and every AM1 would repeat it), the
 * peer gets INVALID-EXCHANGE-TYPE, which says what was refused.
 */
static void refuse(struct ike_engine *e, struct conn_ent *c,
		   const struct isakmp_msg *m,
		   const struct sockaddr_storage *from,
		   const struct sockaddr_storage *to, const char *a)
{
	const unsigned int max = sizeof(c->am_told) / sizeof(c->am_told[0]);
	unsigned int i, n = c->n_am_told;
	uint8_t rcookie[8];
	bool told = false;

	for (i = 0; i < n && i < max; i++)
		told |= conn_addr_equal(&c->am_told[i], from, false);
	if (told) {
		log_dbg("AM1 from %s for %s refused again: aggressive = no", a,
			c->c.name);
	} else {
		c->am_told[n % max] = *from;
		c->n_am_told = n + 1;
		log_warn("AM1 from %s for %s refused: Aggressive Mode is off "
			 "(aggressive = no) because AM2 would carry HASH_R in "
			 "the clear, letting anyone who sees it attack the "
			 "pre-shared key offline; set aggressive = yes to "
			 "accept it (logged once per peer)", a, c->c.name);
	}
	msg_new_cookie(e, rcookie);
	notify_send_plain(e, to, from, m->hdr.icookie, rcookie,
			  ISAKMP_N_INVALID_EXCHANGE_TYPE);
}

/*
 * AM1 for no known SA: a responder SA for the conn of the initiator's
 * ID, unless the conn refuses Aggressive Mode, AM1 is a late copy or
 * there is no room for another unauthenticated SA. NULL when AM1 is
 * dropped (logged here).
 */
struct p1sa *am_responder_new(struct ike_engine *e,
			      const struct isakmp_msg *m,
			      const struct sockaddr_storage *from,
			      const struct sockaddr_storage *to)
{
	const struct isakmp_payload *idp = isakmp_find(m, ISAKMP_NP_ID);
	struct isakmp_id id;
	struct conn_ent *c;
	struct p1sa *sa;
	char a[64], b[300];

	ike_addr_str(from, a, sizeof(a));
	if (p1_not_first(e, m, from, a, "AM1"))
		return NULL;
	if (!idp || idp->len > sizeof(sa->peer_id) ||
	    isakmp_parse_id(idp->body, idp->len, &id)) {
		log_warn_rl("AM1 from %s without a valid ID payload dropped",
			    a);
		return NULL;
	}
	p1_id_show(&id, b, sizeof(b));
	c = conn_by_id(e, to, from, &id);
	if (!c) {
		log_warn_rl("AM1 from %s: no connection configured for ID %s",
			    a, b);
		return NULL;
	}
	if (!c->c.aggressive) {
		refuse(e, c, m, from, to, a);
		return NULL;
	}
	if (!p1_make_room(e, from, a, "AM1"))
		return NULL;
	sa = sa_p1_new(e, c, false);
	if (!sa)
		return NULL;
	memcpy(sa->icookie, m->hdr.icookie, 8);
	msg_new_cookie(e, sa->rcookie);
	sa->aggressive = true;
	sa->local = *to;
	sa->remote = *from;
	natt_responder_new(sa);
	memcpy(sa->peer_id, idp->body, idp->len);
	sa->peer_id_len = idp->len;
	log_info("%s AM1 received from %s for %s (ID %s)", msg_ck(sa), a,
		 c->c.name, b);
	return sa;
}

int am_inI1_outR1(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	struct isakmp_sa *chosen = malloc(sizeof(*chosen));
	struct isakmp_gen g;
	struct isakmp_hdr h;
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	if (!chosen)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	vid_log(sa, "AM1", d->m);
	dpd_note_vids(sa, d->m);
	frag_note_vids(sa, d->m);
	natt_mm1_received(sa, d->m);
	rc = p1_choose(d->e, sa, isakmp_find(d->m, ISAKMP_NP_SA), chosen);
	if (rc)
		goto out;
	if (p1_make_ke_nonce(d->e, sa)) {
		rc = -ISAKMP_N_INVALID_KEY_INFORMATION;
		goto out;
	}
	/* A KE of another group than the chosen one: the peer must know. */
	rc = p1_take_ke_nonce(sa, d->m, "AM1");
	if (rc) {
		notify_send_plain(d->e, &sa->local, &sa->remote, sa->icookie,
				  sa->rcookie, (uint16_t)-rc);
		goto out;
	}
	p1_hdr(sa, &h);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, chosen);
	p1_gen_ke_nonce(sa, &g);
	rc = -ISAKMP_N_PAYLOAD_MALFORMED;
	if (p1_gen_id_hash(sa, &g))
		goto out;
	cert_gen_cr(sa, &g);
	isakmp_gen_raw(&g, ISAKMP_NP_VID, dpd_vid, DPD_VID_LEN);
	natt_gen_vid_reply(&g, sa);
	frag_gen_vid(&g, &sa->conn->c);
	len = isakmp_gen_finish(&g);
	if (!len)
		goto out;
	/* Retransmitted until AM3: a lost AM3 is sent again on a copy. */
	p1_send(d->e, sa, buf, len, "AM2", true);
	rc = 0;
out:
	free(chosen);
	return rc;
}

int am_inR1_outI2(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	const struct isakmp_payload *idp = isakmp_find(d->m, ISAKMP_NP_ID);
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	rc = p1_take_reply(sa, d->m);
	if (rc)
		return rc;
	if (sa->prop.group != sa->conn->c.ike[0].group) {
		log_err("%s AM2: responder chose %s, our KE is %s", msg_ck(sa),
			ike_group_name(sa->prop.group),
			ike_group_name(sa->conn->c.ike[0].group));
		return -ISAKMP_N_NO_PROPOSAL_CHOSEN;
	}
	/* SKEYID_d/a/e cover the responder's cookie. */
	memcpy(sa->rcookie, d->m->hdr.rcookie, 8);
	natt_mm2_received(sa, d->m);
	rc = p1_take_ke_nonce(sa, d->m, "AM2");
	if (!rc)
		rc = p1_authenticate(d, idp->body, idp->len, "AM2");
	if (rc) {
		/* Unauthenticated, it must not bind us to its cookie. */
		if (!d->authentic)
			memset(sa->rcookie, 0, 8);
		return rc;
	}
	/* AM3: HASH_I [| N(INITIAL-CONTACT)], encrypted under the new keys. */
	len = p1_build_auth(d->e, sa, false, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	p1_send(d->e, sa, buf, len, "AM3", false);
	return 0;
}

int am_inI2(struct ike_dispatch *d)
{
	/* HASH_I covers the ID AM1 carried. */
	return p1_authenticate(d, d->p1->peer_id, d->p1->peer_id_len, "AM3");
}
