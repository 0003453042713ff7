// SPDX-License-Identifier: GPL-2.0
/*
 * The device's carrier follows the tunnel, so `ip link` and routing
 * daemons see whether it carries anything:
 *
 *   on   an outbound IPsec SA is installed (the peer is alive, as far
 *        as DPD knows: a dead peer's SAs are gone);
 *   on   no SA, but the conn negotiates when traffic arrives (listen,
 *        or after dpd-action = hold): the core drops what is routed
 *        into a device without carrier, so the packet that raises the
 *        acquire must still get in;
 *   off  no SA and nothing to wait for but a negotiation of our own
 *        (start = initiate, or after dpd-action = clear), or the conn
 *        is held down (`esptun ike down`).
 *
 * Derived from the SA lists after every engine entry point and set only
 * when it changes.
 */
#include <stdbool.h>

#include "ike/ikev1.h"
#include "log.h"

static bool has_outbound(struct ike_engine *e, struct conn_ent *c)
{
	struct p2sa *ch;

	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == c && ch->state == QM_ACTIVE &&
		    ch->out_installed)
			return true;
	return false;
}

/* Traffic into the device starts a negotiation: it must get in. */
static bool on_demand(const struct conn_ent *c)
{
	return c->c.start != IKE_START_INITIATE || c->on_hold;
}

static const char *why(struct ike_engine *e, struct conn_ent *c, bool on)
{
	if (on)
		return has_outbound(e, c) ? "tunnel up" :
		       "no SA, negotiated on traffic";
	if (c->held)
		return "held down";
	if (c->dpd.dead)
		return "peer dead (DPD)";
	return "no IPsec SA";
}

static void set(struct ike_engine *e, struct conn_ent *c, bool on,
		const char *reason)
{
	if (c->carrier == (int)on)
		return;
	c->carrier = on;
	log_info("[conn %s] %s carrier %s: %s", c->c.name, c->c.ifname,
		 on ? "on" : "off", reason);
	if (e->env.set_carrier)
		e->env.set_carrier(e->env.ctx, &c->c, on);
}

void link_update(struct ike_engine *e)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next) {
		bool on = !c->held && (has_outbound(e, c) || on_demand(c));

		set(e, c, on, why(e, c, on));
	}
}

/* The conn leaves the engine: its device is left with carrier on. */
void link_release(struct ike_engine *e, struct conn_ent *c)
{
	if (c->carrier == 0)
		set(e, c, true, "no longer managed");
}
