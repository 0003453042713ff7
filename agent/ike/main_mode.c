// SPDX-License-Identifier: GPL-2.0
/*
 * Main Mode (RFC 2409 5, 5.1, 5.4): six messages, named
 * after the message in and out as in libreswan (mm_inI1_outR1: the
 * responder takes initiator message 1 and answers with its message 1).
 * What it shares with Aggressive Mode is in phase1.c.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/proposal.h"
#include "ike/ikev1.h"
#include "ike/vid.h"
#include "log.h"

#define MSG_BUF	4096

int mm_initiate(struct ike_engine *e, struct conn_ent *c,
		const struct p1sa *prev)
{
	struct p1sa *sa = sa_p1_new(e, c, true);
	struct isakmp_sa *prop;
	struct isakmp_gen g;
	struct isakmp_hdr h;
	uint8_t buf[MSG_BUF];
	size_t len;

	if (!sa)
		return -12;
	prop = malloc(sizeof(*prop));
	if (!prop) {
		sa_p1_free(e, sa);
		return -12;
	}
	msg_new_cookie(e, sa->icookie);
	natt_succeed(sa, prev);
	sa->start_qm = CONN_ALL_PAIRS(c);
	sa->state = MM_WAIT_MSG2;

	p1_build_sa(&c->c, prop);
	p1_hdr(sa, &h);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, prop);
	/* We always answer R-U-THERE, so DPD is announced whatever dpd says. */
	isakmp_gen_raw(&g, ISAKMP_NP_VID, dpd_vid, DPD_VID_LEN);
	natt_gen_vids(&g, &c->c);
	xauth_gen_vid(&g, &c->c);
	frag_gen_vid(&g, &c->c);
	len = isakmp_gen_finish(&g);
	free(prop);
	/* The SA is the first payload, right after the header. */
	if (!len || p1_keep_sai(sa, buf + ISAKMP_HDR_LEN + ISAKMP_GEN_LEN,
				p1_first_body_len(buf))) {
		sa_p1_free(e, sa);
		return -12;
	}
	log_info("%s initiating Main Mode for %s", msg_ck(sa), c->c.name);
	p1_send(e, sa, buf, len, "MM1", true);
	return 0;
}

/*
 * MM1 for no known SA: a responder SA for the conn of these addresses,
 * unless it is a late copy of an MM1 already answered or there is no
 * room for another unauthenticated SA. NULL when MM1 is dropped (logged
 * here).
 */
struct p1sa *mm_responder_new(struct ike_engine *e,
			      const struct isakmp_msg *m,
			      const struct sockaddr_storage *from,
			      const struct sockaddr_storage *to)
{
	struct conn_ent *c;
	struct p1sa *sa;
	char a[64];

	ike_addr_str(from, a, sizeof(a));
	if (p1_not_first(e, m, from, a, "MM1"))
		return NULL;
	c = conn_by_addr(e, to, from);
	if (!c) {
		log_warn_rl("MM1 from %s: no connection configured for this "
			    "peer", a);
		return NULL;
	}
	if (!p1_make_room(e, from, a, "MM1"))
		return NULL;
	sa = sa_p1_new(e, c, false);
	if (!sa)
		return NULL;
	memcpy(sa->icookie, m->hdr.icookie, 8);
	msg_new_cookie(e, sa->rcookie);
	sa->local = *to;
	sa->remote = *from;
	natt_responder_new(sa);
	return sa;
}

int mm_inI1_outR1(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	const struct isakmp_payload *p = isakmp_find(d->m, ISAKMP_NP_SA);
	struct isakmp_sa *chosen = malloc(sizeof(*chosen));
	struct isakmp_gen g;
	struct isakmp_hdr h;
	uint8_t buf[MSG_BUF];
	char a[64];
	size_t len;
	int rc;

	if (!chosen)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	ike_addr_str(&sa->remote, a, sizeof(a));
	log_info("%s MM1 received from %s for %s", msg_ck(sa), a,
		 sa->conn->c.name);
	vid_log(sa, "MM1", d->m);
	dpd_note_vids(sa, d->m);
	frag_note_vids(sa, d->m);
	natt_mm1_received(sa, d->m);
	rc = p1_choose(d->e, sa, p, chosen);
	if (rc)
		goto out;
	p1_hdr(sa, &h);
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_sa(&g, chosen);
	isakmp_gen_raw(&g, ISAKMP_NP_VID, dpd_vid, DPD_VID_LEN);
	natt_gen_vid_reply(&g, sa);
	frag_gen_vid(&g, &sa->conn->c);
	len = isakmp_gen_finish(&g);
	if (!len) {
		rc = -ISAKMP_N_PAYLOAD_MALFORMED;
		goto out;
	}
	p1_send(d->e, sa, buf, len, "MM2", false);
out:
	free(chosen);
	return rc;
}

static size_t build_ke_nonce(struct p1sa *sa, uint8_t *buf, size_t cap)
{
	struct isakmp_gen g;
	struct isakmp_hdr h;

	p1_hdr(sa, &h);
	isakmp_gen_init(&g, buf, cap, &h);
	p1_gen_ke_nonce(sa, &g);
	/* strongSwan and libreswan send their certificate only if asked. */
	cert_gen_cr(sa, &g);
	natt_gen_natd(&g, sa);
	return isakmp_gen_finish(&g);
}

int mm_inR1_outI2(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	rc = p1_take_reply(sa, d->m);
	if (rc)
		return rc;
	/* Only an accepted MM2 binds us to the responder's cookie. */
	memcpy(sa->rcookie, d->m->hdr.rcookie, 8);
	natt_mm2_received(sa, d->m);
	if (p1_make_ke_nonce(d->e, sa))
		return -ISAKMP_N_INVALID_KEY_INFORMATION;
	len = build_ke_nonce(sa, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	p1_send(d->e, sa, buf, len, "MM3", true);
	return 0;
}

int mm_inI2_outR2(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	if (p1_make_ke_nonce(d->e, sa))
		return -ISAKMP_N_INVALID_KEY_INFORMATION;
	rc = p1_take_ke_nonce(sa, d->m, "MM3");
	if (rc)
		return rc;
	natt_natd_received(sa, d->m, "MM3", d->from, d->to);
	len = build_ke_nonce(sa, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	p1_send(d->e, sa, buf, len, "MM4", false);
	return 0;
}

/* Peer's ID and HASH_I/HASH_R from a decrypted MM5/MM6. */
static int check_auth(struct ike_dispatch *d, const char *name)
{
	const struct isakmp_payload *idp = isakmp_find(d->m, ISAKMP_NP_ID);

	return p1_authenticate(d, idp->body, idp->len, name);
}

int mm_inR2_outI3(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	rc = p1_take_ke_nonce(sa, d->m, "MM4");
	if (rc)
		return rc;
	natt_natd_received(sa, d->m, "MM4", d->from, d->to);
	/* RFC 3947 4: with a NAT, MM5 on goes over port 4500. */
	natt_float(sa);
	len = p1_build_auth(d->e, sa, true, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	p1_send(d->e, sa, buf, len, "MM5", true);
	return 0;
}

int mm_inI3_outR3(struct ike_dispatch *d)
{
	struct p1sa *sa = d->p1;
	uint8_t buf[MSG_BUF];
	size_t len;
	int rc;

	rc = check_auth(d, "MM5");
	if (rc)
		return rc;
	len = p1_build_auth(d->e, sa, true, buf, sizeof(buf));
	if (!len)
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	p1_send(d->e, sa, buf, len, "MM6", false);
	return 0;
}

int mm_inR3(struct ike_dispatch *d)
{
	return check_auth(d, "MM6");
}
