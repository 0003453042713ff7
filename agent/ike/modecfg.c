// SPDX-License-Identifier: GPL-2.0
/*
 * Mode Config pull, client side (draft-ietf-ipsec-isakmp-mode-cfg-05):
 * we REQUEST an INTERNAL_IP4_ADDRESS, the peer REPLYs with the address
 * it assigned from its pool. The address goes on the conn's device and,
 * unless local-ts was configured, becomes the local selector (a host
 * prefix) of every IPv4 selector pair, which is what the peer expects
 * Quick Mode to propose. It comes off the device when the conn is taken
 * down (modecfg_release) or another address is assigned.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

static void gen_request(struct isakmp_gen *g, const struct p1sa *sa)
{
	isakmp_gen_attr_data(g, CFG_INTERNAL_IP4_ADDRESS, "", 0);
}

int modecfg_request(struct ike_engine *e, struct p1sa *sa)
{
	uint32_t msgid = msg_new_msgid(e, sa);
	uint16_t id;

	if (!msgid)
		return -1;
	env_random(e, &id, sizeof(id));
	sa->cfg.msgid = msgid;
	sa->cfg.id = id;
	sa->cfg.modecfg_sent = true;
	return cfg_send(e, sa, &sa->cfg.rx, msgid, ISAKMP_CFG_REQUEST, id,
			gen_request, "MCFG1", true);
}

static void set_pairs(struct conn_ent *c, const struct ike_ts *vip)
{
	char e[128];
	int i;

	if (!c->c.modecfg_ts)
		return;
	/* Back to the configured ones first (they parsed when added). */
	c->n_pairs = ike_conn_ts_pairs(&c->c, c->pairs, e, sizeof(e));
	if (c->n_pairs < 0)
		c->n_pairs = 0;
	for (i = 0; vip && i < c->n_pairs; i++)
		if (c->pairs[i].local.family == AF_INET)
			c->pairs[i].local = *vip;
}

static void assign(struct ike_engine *e, struct conn_ent *c,
		   const struct ike_ts *vip)
{
	char a[64];
	int rc;

	if (c->has_vip && ts_equal(&c->vip, vip)) {
		set_pairs(c, vip);
		return;
	}
	modecfg_release(e, c);
	c->vip = *vip;
	c->has_vip = true;
	set_pairs(c, vip);
	rc = e->env.set_addr ? e->env.set_addr(e->env.ctx, &c->c, vip, true) :
	     0;
	log_info("[conn %s] Mode Config: assigned address %s%s%s", c->c.name,
		 ts_str(vip, a, sizeof(a)), rc ? ", not put on " : " on ",
		 c->c.ifname);
}

/*
 * The peer's REPLY to our REQUEST, authentic. 1: address taken, -1: no
 * usable address (reason in conn->why), 0: ignored.
 */
int modecfg_input(struct ike_engine *e, struct p1sa *sa,
		  const struct isakmp_cfg *cfg)
{
	const struct isakmp_attr *a;
	struct conn_ent *c = sa->conn;
	struct ike_ts vip;

	if (cfg->type != ISAKMP_CFG_REPLY) {
		log_warn("%s Mode Config: %s instead of CFG_REPLY, ignored",
			 msg_ck(sa), isakmp_cfg_type_name(cfg->type));
		return 0;
	}
	/* The REPLY repeats the REQUEST's identifier (mode-cfg 3.2). */
	if (cfg->id != sa->cfg.id) {
		log_warn("%s Mode Config: reply with identifier %u, we sent "
			 "%u, ignored", msg_ck(sa), cfg->id, sa->cfg.id);
		return 0;
	}
	rexmit_stop(&sa->cfg.rx);
	a = isakmp_cfg_find(cfg, CFG_INTERNAL_IP4_ADDRESS);
	memset(&vip, 0, sizeof(vip));
	if (!a || a->tv || a->len != 4 ||
	    !memcmp(a->data, "\0\0\0\0", 4)) {
		log_err("%s Mode Config: the peer assigned no IPv4 address "
			"(INTERNAL_IP4_ADDRESS %s) — does its config have an "
			"address pool for us?", msg_ck(sa),
			!a ? "missing" : "empty or malformed");
		snprintf(c->why, sizeof(c->why), "the peer assigned no "
			 "address (Mode Config)");
		return -1;
	}
	vip.family = AF_INET;
	memcpy(vip.addr, a->data, 4);
	vip.prefixlen = 32;
	assign(e, c, &vip);
	return 1;
}

/* The conn goes down: its assigned address leaves the device. */
void modecfg_release(struct ike_engine *e, struct conn_ent *c)
{
	char a[64];

	if (!c->has_vip)
		return;
	if (e->env.set_addr)
		e->env.set_addr(e->env.ctx, &c->c, &c->vip, false);
	log_info("[conn %s] Mode Config: address %s taken off %s", c->c.name,
		 ts_str(&c->vip, a, sizeof(a)), c->c.ifname);
	c->has_vip = false;
	set_pairs(c, NULL);
}
