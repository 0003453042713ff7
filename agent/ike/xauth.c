// SPDX-License-Identifier: GPL-2.0
/*
 * XAuth, client side (draft-beaulieu-ike-xauth-02): after phase 1 the
 * peer (the server) sends a REQUEST for a user name and password, we
 * REPLY with the conn's xauth-user and xauth-password, it SETs
 * XAUTH_STATUS (1 OK, 0 FAIL) and we ACK. Only the generic type (user
 * name and password) is spoken: no challenges, passcodes or OTPs.
 */
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

/* draft-beaulieu-ike-xauth-02 2: the first 8 bytes of MD5("draft-...") */
static const uint8_t xauth_vid[8] = {
	0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12,
};

#define XAUTH_TYPE_GENERIC	0
#define XAUTH_STATUS_OK		1

void xauth_gen_vid(struct isakmp_gen *g, const struct ike_conn *c)
{
	if (c->xauth)
		isakmp_gen_raw(g, ISAKMP_NP_VID, xauth_vid, sizeof(xauth_vid));
}

static void gen_reply(struct isakmp_gen *g, const struct p1sa *sa)
{
	const struct ike_conn *c = &sa->conn->c;

	if (sa->cfg.xauth_type)
		isakmp_gen_attr(g, CFG_XAUTH_TYPE, XAUTH_TYPE_GENERIC, true);
	isakmp_gen_attr_data(g, CFG_XAUTH_USER_NAME, c->xauth_user,
			     (uint16_t)strlen(c->xauth_user));
	isakmp_gen_attr_data(g, CFG_XAUTH_USER_PASSWORD, c->xauth_pass,
			     (uint16_t)strlen(c->xauth_pass));
}

/* The ACK repeats the attribute it acknowledges, empty (as strongSwan). */
static void gen_ack(struct isakmp_gen *g, const struct p1sa *sa)
{
	isakmp_gen_attr_data(g, CFG_XAUTH_STATUS, "", 0);
}

/* The peer's XAUTH_MESSAGE, printable, for the log. */
static void peer_message(const struct p1sa *sa, const struct isakmp_cfg *cfg)
{
	const struct isakmp_attr *a = isakmp_cfg_find(cfg,
						      CFG_XAUTH_MESSAGE);
	char text[128];
	size_t i, n;

	if (!a || a->tv || !a->len)
		return;
	n = a->len < sizeof(text) - 1 ? a->len : sizeof(text) - 1;
	for (i = 0; i < n; i++)
		text[i] = a->data[i] >= 0x20 && a->data[i] < 0x7f ?
			  (char)a->data[i] : '.';
	text[n] = 0;
	log_info("%s XAuth: the peer says \"%s\"", msg_ck(sa), text);
}

static int request(struct ike_engine *e, struct p1sa *sa, uint32_t msgid,
		   const struct isakmp_cfg *cfg)
{
	struct conn_ent *c = sa->conn;
	const struct isakmp_attr *t = isakmp_cfg_find(cfg, CFG_XAUTH_TYPE);

	if (!isakmp_cfg_find(cfg, CFG_XAUTH_USER_NAME) &&
	    !isakmp_cfg_find(cfg, CFG_XAUTH_USER_PASSWORD)) {
		log_err("%s XAuth: the peer's request asks for neither a user "
			"name nor a password — only those are supported",
			msg_ck(sa));
		snprintf(c->why, sizeof(c->why), "unsupported XAuth request "
			 "(no user name or password asked for)");
		return -1;
	}
	if (!c->c.xauth) {
		log_err("%s XAuth: the peer asks for XAuth credentials, but "
			"conn %s has xauth = no", msg_ck(sa), c->c.name);
		snprintf(c->why, sizeof(c->why), "the peer wants XAuth "
			 "(set xauth = client)");
		return -1;
	}
	if (t && (!t->val_ok || t->val != XAUTH_TYPE_GENERIC)) {
		log_err("%s XAuth: the peer asks for XAuth type %llu — only "
			"the generic type (user name and password) is "
			"supported", msg_ck(sa),
			(unsigned long long)t->val);
		snprintf(c->why, sizeof(c->why), "unsupported XAuth type %llu",
			 (unsigned long long)t->val);
		return -1;
	}
	peer_message(sa, cfg);
	sa->cfg.xauth_type = t != NULL;
	/* A copy of the request is not taken again: the attempt ends. */
	if (cfg_send(e, sa, &sa->rx, msgid, ISAKMP_CFG_REPLY, cfg->id,
		     gen_reply, "XAUTH2", false)) {
		snprintf(c->why, sizeof(c->why), "XAuth reply could not be "
			 "built or sent");
		return -1;
	}
	log_info("%s XAuth: credentials of user '%s' sent", msg_ck(sa),
		 c->c.xauth_user);
	return 0;
}

static int set(struct ike_engine *e, struct p1sa *sa, uint32_t msgid,
	       const struct isakmp_cfg *cfg)
{
	const struct isakmp_attr *st = isakmp_cfg_find(cfg, CFG_XAUTH_STATUS);
	struct conn_ent *c = sa->conn;

	if (!st || !st->val_ok) {
		log_err("%s the peer SETs attributes without XAUTH_STATUS — "
			"Mode Config push is not supported (use modecfg = "
			"pull)", msg_ck(sa));
		snprintf(c->why, sizeof(c->why), "the peer pushes Mode Config "
			 "(not supported)");
		return -1;
	}
	peer_message(sa, cfg);
	/* Acknowledged either way: the draft's client always ACKs. */
	cfg_send(e, sa, &sa->rx, msgid, ISAKMP_CFG_ACK, cfg->id, gen_ack,
		 "XAUTH4", false);
	if (st->val != XAUTH_STATUS_OK) {
		log_err("%s XAuth failed: the peer refused the XAuth "
			"credentials of user '%s' (XAUTH_STATUS %llu) — wrong "
			"xauth-user or xauth-password?", msg_ck(sa),
			c->c.xauth_user, (unsigned long long)st->val);
		snprintf(c->why, sizeof(c->why), "the peer refused the XAuth "
			 "credentials of user '%.64s'", c->c.xauth_user);
		return -1;
	}
	log_info("%s XAuth: the peer accepted user '%s'", msg_ck(sa),
		 c->c.xauth_user);
	return 1;
}

/*
 * One authentic XAuth message from the peer under sa. 1: XAuth is done,
 * 0: answered or ignored, -1: failed (reason in conn->why).
 */
int xauth_input(struct ike_engine *e, struct p1sa *sa, uint32_t msgid,
		const struct isakmp_cfg *cfg)
{
	if (sa->cfg.xauth_done) {
		log_info("%s %s after XAuth finished, ignored", msg_ck(sa),
			 isakmp_cfg_type_name(cfg->type));
		return 0;
	}
	switch (cfg->type) {
	case ISAKMP_CFG_REQUEST:
		return request(e, sa, msgid, cfg);
	case ISAKMP_CFG_SET:
		return set(e, sa, msgid, cfg);
	}
	log_warn("%s %s from the peer unexpected in XAuth, ignored",
		 msg_ck(sa), isakmp_cfg_type_name(cfg->type));
	return 0;
}
