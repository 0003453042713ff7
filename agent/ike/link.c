// SPDX-License-Identifier: GPL-2.0
/*
 * The device's carrier says whether the tunnel can carry anything, so
 * `ip link` and routing daemons see a dead tunnel at once:
 *
 *   on   an outbound IPsec SA is installed, also on a held conn the peer
 *        negotiated again (it is answered: only esptund's own attempts
 *        stop), since a device without carrier would drop all it is
 *        given while the peer sends into the tunnel;
 *   on   no SA yet, or no longer: the core drops what is routed into a
 *        device without carrier, and the packet that raises the acquire
 *        (which starts a negotiation) must still get in;
 *   off  DPD declared the peer dead and no SA came back since (with
 *        dpd-action = hold traffic renegotiates, so it stays on), or the
 *        conn is held down (`esptun ike down`) and has no outbound SA.
 *
 * Derived from the SA lists after every engine entry point and set only
 * when it changes.
 */
#include <errno.h>
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

static const char *why(struct ike_engine *e, struct conn_ent *c, bool on)
{
	if (on)
		return has_outbound(e, c) ? "tunnel up" :
		       "no SA, negotiated on traffic";
	return c->held ? "held down" : "peer dead (DPD)";
}

static void set(struct ike_engine *e, struct conn_ent *c, bool on,
		const char *reason)
{
	int err = 0;

	if (c->carrier == (int)on)
		return;
	if (e->env.set_carrier)
		err = e->env.set_carrier(e->env.ctx, &c->c, on);
	/* Tried again at the next update, unless the module has no carrier. */
	if (err && err != -EOPNOTSUPP)
		return;
	c->carrier = on;
	log_info("[conn %s] %s carrier %s: %s", c->c.name, c->c.ifname,
		 on ? "on" : "off", reason);
}

void link_update(struct ike_engine *e)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next) {
		bool on = has_outbound(e, c) ||
			  (!c->held && (!c->dpd.dead || c->on_hold));

		set(e, c, on, why(e, c, on));
	}
}

/* The conn leaves the engine: its device is left with carrier on. */
void link_release(struct ike_engine *e, struct conn_ent *c)
{
	if (c->carrier == 0)
		set(e, c, true, "no longer managed");
}
