// SPDX-License-Identifier: GPL-2.0
/*
 * Recovery of stale state, when one side lost its SAs (a restart, a
 * reboot) and the other still holds them:
 *
 *  - INITIAL-CONTACT (RFC 2407 4.6.3.3), sent by main_mode.c in MM5
 *    when we hold nothing with the peer, means the peer holds nothing
 *    with us: the old ISAKMP SAs of the conn are removed, and its IPsec
 *    SA pairs negotiated again under the new one at once, each removed
 *    (with a Delete) when its successor is up. Not removed right away:
 *    strongSwan sends INITIAL-CONTACT after destroying an ISAKMP SA it
 *    was reauthenticating, and keeps the IPsec SAs it moved over.
 *  - ESP on an SPI the kernel does not know, from a peer we have an
 *    ISAKMP SA with: the peer is told INVALID-SPI, so it drops that SA.
 *    With no ISAKMP SA (we restarted and the peer did not notice), the
 *    conn is negotiated afresh, with INITIAL-CONTACT, so even a listen
 *    conn comes back without waiting for the peer's DPD.
 *  - An authenticated INVALID-SPI naming our outbound SA: the pair is
 *    removed and negotiated again.
 *
 * Unknown SPIs cost an attacker nothing to provoke, so what they start is
 * rate-limited per conn.
 */
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

void recover_initial_contact(struct ike_engine *e, struct p1sa *sa)
{
	uint64_t now = env_now(e);
	struct p1sa *o, *onext;
	struct p2sa *c;
	int n = 0, pairs = 0;

	/*
	 * Pairs from before this ISAKMP SA: still under an old one (MM5),
	 * or moved to it already (a later Informational).
	 */
	for (c = e->p2s; c; c = c->next) {
		if (c->conn != sa->conn || c->state != QM_ACTIVE ||
		    c->retire_at ||
		    (c->p1 == sa && c->established_ms >= sa->created_ms))
			continue;
		/* Whatever comes up next supersedes it (rekey.c). */
		c->p1 = sa;
		c->doubtful = true;
		c->rekey_at = now;
		pairs++;
	}
	for (o = e->p1s; o; o = onext) {
		onext = o->next;
		if (o != sa && o->conn == sa->conn && o->state == MM_ACTIVE &&
		    conn_addr_equal(&o->remote, &sa->remote, false)) {
			sa_p1_free(e, o);
			n++;
		}
	}
	if (n || pairs)
		log_info("%s INITIAL-CONTACT: peer restarted, %d old ISAKMP "
			 "SA(s) of %s removed, %d IPsec SA pair(s) negotiated "
			 "again", msg_ck(sa), n, sa->conn->c.name, pairs);
}

void recover_invalid_spi(struct ike_engine *e, struct p1sa *sa,
			 const struct isakmp_notify_pl *n)
{
	struct p2sa *ch;
	uint32_t spi;

	if (n->proto != ISAKMP_PROTO_ESP || n->spi_size != 4)
		return;
	spi = isakmp_get32(n->spi);
	ch = sa_p2_by_spi_out(e, spi);
	if (!ch || ch->conn != sa->conn) {
		log_info("%s INVALID-SPI %08x names none of our outbound SAs",
			 msg_ck(sa), spi);
		return;
	}
	log_warn("%s INVALID-SPI: peer does not know our outbound SA %08x "
		 "of %s: removing the pair (in %08x), negotiating again",
		 msg_ck(sa), spi, ch->conn->c.name, ch->spi_in);
	/* Its inbound half may still be known there: tell the peer. */
	notify_delete_child(e, ch);
	snprintf(ch->conn->why, sizeof(ch->conn->why),
		 "peer sent INVALID-SPI for %08x", spi);
	ch->conn->start_now = !ch->conn->held;
	sa_p2_free(e, ch);
}

void recover_unknown_spi(struct ike_engine *e,
			 const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote, uint32_t spi)
{
	struct conn_ent *c = conn_by_addr(e, local, remote);
	uint64_t now = env_now(e);
	struct p1sa *sa;
	uint8_t b[4];
	char a[64];

	ike_addr_str(remote, a, sizeof(a));
	if (!c) {
		log_dbg("ESP from %s for unknown SPI %08x: no conn for it", a,
			spi);
		return;
	}
	sa = sa_p1_established(e, c);
	if (sa) {
		if (c->invalid_spi_ms &&
		    now < c->invalid_spi_ms + RECOVER_INVALID_SPI_MS)
			return;
		c->invalid_spi_ms = now;
		log_info("%s ESP from %s for unknown SPI %08x: telling the "
			 "peer INVALID-SPI", msg_ck(sa), a, spi);
		isakmp_put32(b, spi);
		notify_send(e, sa, ISAKMP_PROTO_ESP, b, 4,
			    ISAKMP_N_INVALID_SPI, NULL, 0);
		/* No pair to send on: make one rather than wait for it. */
		if (!c->held && !retry_conn_up(e, c) &&
		    !retry_conn_busy(e, c))
			c->start_now = true;
		return;
	}
	if (c->held || retry_conn_busy(e, c))
		return;
	if (c->recover_ms && now < c->recover_ms + RECOVER_NEGOTIATE_MS)
		return;
	c->recover_ms = now;
	log_warn("[conn %s] ESP from %s for unknown SPI %08x and no ISAKMP SA "
		 "with it: its SAs are stale, negotiating afresh", c->c.name,
		 a, spi);
	c->start_now = true;
}
