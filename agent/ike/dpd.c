// SPDX-License-Identifier: GPL-2.0
/*
 * Dead Peer Detection (RFC 3706). Both sides announce it with a vendor
 * ID in MM1/MM2; then either may send R-U-THERE in an encrypted
 * Informational (SPI = the cookies, data = a 32-bit sequence number),
 * answered by R-U-THERE-ACK with the same number.
 *
 * We ask only when the peer has been silent: nothing authentic over IKE
 * and no ESP into any inbound SA of the conn (the module's last use) for
 * dpd-delay. The kernel is asked only when a deadline says the peer may
 * be quiet, never per packet. Unanswered, R-U-THERE goes again every
 * dpd-delay with a new number; dpd-timeout after the first one the peer
 * is dead: its SAs go and dpd-action says what follows. The peer's own
 * R-U-THERE is always answered, whatever our own settings.
 */
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "log.h"

/* "afcad71368a1f1c96b8696fc7757" then version 1.0 (RFC 3706 2.1). */
const uint8_t dpd_vid[DPD_VID_LEN] = {
	0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
	0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00,
};

/* The 14 bytes before the version name DPD whatever version follows. */
#define DPD_VID_MATCH	14

enum ike_dpd_action dpd_action(const struct ike_conn *c)
{
	if (c->dpd_action != IKE_DPD_AUTO)
		return c->dpd_action;
	return c->start == IKE_START_INITIATE ? IKE_DPD_RESTART :
						IKE_DPD_CLEAR;
}

const char *dpd_action_name(enum ike_dpd_action a)
{
	switch (a) {
	case IKE_DPD_CLEAR:
		return "clear";
	case IKE_DPD_RESTART:
		return "restart";
	case IKE_DPD_HOLD:
		return "hold";
	default:
		return "auto";
	}
}

void dpd_note_vids(struct p1sa *sa, const struct isakmp_msg *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->pl[i].type == ISAKMP_NP_VID &&
		    m->pl[i].len >= DPD_VID_MATCH &&
		    !memcmp(m->pl[i].body, dpd_vid, DPD_VID_MATCH))
			sa->peer_dpd = true;
}

/* A round of probing ends: the peer answered or showed life. */
static void stop_probing(struct dpd_state *d)
{
	d->probing = false;
	d->probes = 0;
}

void dpd_established(struct ike_engine *e, struct p1sa *sa)
{
	struct conn_ent *c = sa->conn;
	struct dpd_state *d = &c->dpd;

	d->heard_ms = env_now(e);
	stop_probing(d);
	if (d->dead)
		log_info("[conn %s] DPD: peer is back (ISAKMP SA established)",
			 c->c.name);
	d->dead = false;
	d->p1_wanted_ms = 0;
	c->on_hold = false;
	if (sa->peer_dpd)
		d->peer_dpd = true;
	if (!sa->peer_dpd)
		log_info("%s peer did not announce DPD: %s", msg_ck(sa),
			 c->c.dpd ? "not probing it" : "fine, dpd = no");
}

void dpd_heard(struct ike_engine *e, struct conn_ent *c)
{
	struct dpd_state *d = &c->dpd;

	d->heard_ms = env_now(e);
	if (d->probing) {
		log_info("[conn %s] DPD: peer alive (IKE message received)",
			 c->c.name);
		stop_probing(d);
	}
}

static void send_dpd(struct ike_engine *e, struct p1sa *sa, uint16_t type,
		     uint32_t seq)
{
	uint8_t spi[16], data[4];

	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	isakmp_put32(data, seq);
	notify_send(e, sa, ISAKMP_PROTO_ISAKMP, spi, 16, type, data, 4);
}

/* Serial number arithmetic: is x in [lo, hi], wrapping at 2^32? */
static bool seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(x - lo) <= (uint32_t)(hi - lo);
}

void dpd_notify(struct ike_engine *e, struct p1sa *sa,
		const struct isakmp_notify_pl *n)
{
	struct conn_ent *c = sa->conn;
	struct dpd_state *d = &c->dpd;
	uint32_t seq;

	if (n->data_len != 4 ||
	    (n->spi_size && (n->spi_size != 16 ||
			     memcmp(n->spi, sa->icookie, 8) ||
			     memcmp(n->spi + 8, sa->rcookie, 8)))) {
		log_warn_rl("%s %s with a malformed SPI or sequence number "
			    "ignored", msg_ck(sa), isakmp_notify_name(n->type));
		return;
	}
	seq = isakmp_get32(n->data);
	if (n->type == ISAKMP_N_R_U_THERE) {
		/* Authentic: the peer is alive, whatever it asks. */
		dpd_heard(e, c);
		log_dbg("%s DPD: R-U-THERE seq %u from peer, answering",
			msg_ck(sa), seq);
		send_dpd(e, sa, ISAKMP_N_R_U_THERE_ACK, seq);
		return;
	}
	if (!d->probing || !seq_in(seq, d->first_seq, d->seq)) {
		log_info_rl("%s DPD: R-U-THERE-ACK seq %u matches no "
			    "question (%s %u..%u), ignored", msg_ck(sa), seq,
			    d->probing ? "waiting for" : "last asked",
			    d->first_seq, d->seq);
		return;
	}
	d->acked = true;
	d->ack_seq = seq;
	d->ack_ms = env_now(e);
	d->heard_ms = d->ack_ms;
	if (d->probes > 1)
		log_info("[conn %s] DPD: peer answered R-U-THERE seq %u after "
			 "%u tries", c->c.name, seq, d->probes);
	else
		log_dbg("%s DPD: R-U-THERE-ACK seq %u", msg_ck(sa), seq);
	stop_probing(d);
}

/* An IPsec SA of the conn is up: that is what DPD watches over. */
static bool has_tunnel(struct ike_engine *e, struct conn_ent *c)
{
	int i;

	for (i = 0; i < c->n_pairs; i++)
		if (retry_pair_up(e, c, i))
			return true;
	return false;
}

/* The newest ESP into the conn, from the kernel: updates d->esp_ms. */
static void ask_kernel(struct ike_engine *e, struct conn_ent *c, uint64_t now)
{
	struct p2sa *ch;
	uint64_t idle;

	if (!e->env.sa_idle)
		return;
	for (ch = e->p2s; ch; ch = ch->next) {
		if (ch->conn != c || ch->state != QM_ACTIVE ||
		    !ch->in_installed)
			continue;
		if (e->env.sa_idle(e->env.ctx, &c->c, ch->spi_in, &idle) ||
		    idle == UINT64_MAX || idle > now)
			continue;
		if (now - idle > c->dpd.esp_ms)
			c->dpd.esp_ms = now - idle;
	}
}

static uint64_t last_sign(struct ike_engine *e, struct conn_ent *c)
{
	struct dpd_state *d = &c->dpd;
	uint64_t t = d->heard_ms > d->esp_ms ? d->heard_ms : d->esp_ms;
	struct p2sa *ch;

	/* A fresh IPsec SA counts as life: the peer just negotiated it. */
	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == c && ch->state == QM_ACTIVE &&
		    ch->established_ms > t)
			t = ch->established_ms;
	return t;
}

/* The ISAKMP SA to ask over, or NULL when DPD has nothing to do. */
static struct p1sa *dpd_sa(struct ike_engine *e, struct conn_ent *c)
{
	struct p1sa *sa;

	if (!c->c.dpd || !has_tunnel(e, c))
		return NULL;
	sa = sa_p1_established(e, c);
	if (!sa || !sa->peer_dpd)
		return NULL;
	return sa;
}

/*
 * No ISAKMP SA to probe over, though the peer did DPD and the tunnel is
 * there: a new one is the probe (RFC 3706 needs one for R-U-THERE). Not
 * for a conn that cannot initiate (any peer): DPD rests until the peer
 * negotiates again.
 */
static bool needs_p1(struct ike_engine *e, struct conn_ent *c)
{
	return c->c.dpd && c->dpd.peer_dpd && !c->held &&
	       retry_remote_known(c) && !sa_p1_established(e, c) &&
	       has_tunnel(e, c);
}

static uint64_t due_ms(struct ike_engine *e, struct conn_ent *c)
{
	struct dpd_state *d = &c->dpd;
	uint64_t end;

	if (!dpd_sa(e, c)) {
		if (!needs_p1(e, c))
			return UINT64_MAX;
		if (d->p1_wanted_ms)
			return d->p1_wanted_ms +
			       (uint64_t)c->c.dpd_timeout * 1000;
		return last_sign(e, c) + (uint64_t)c->c.dpd_delay * 1000;
	}
	if (!d->probing)
		return last_sign(e, c) + (uint64_t)c->c.dpd_delay * 1000;
	end = d->probe_start_ms + (uint64_t)c->c.dpd_timeout * 1000;
	return d->next_probe_ms < end ? d->next_probe_ms : end;
}

int64_t dpd_next_ms(struct ike_engine *e)
{
	uint64_t now = env_now(e), next = UINT64_MAX, t;
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next) {
		t = due_ms(e, c);
		next = t < next ? t : next;
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int64_t)(next - now);
}

/* Every SA of the conn goes, with Deletes in case only one way is cut. */
static void declare_dead(struct ike_engine *e, struct conn_ent *c,
			 struct p1sa *sa, uint64_t now)
{
	enum ike_dpd_action act = dpd_action(&c->c);
	struct dpd_state *d = &c->dpd;
	struct p2sa *ch, *cnext;
	struct p1sa *o, *onext;
	char a[64];

	const char *then = act == IKE_DPD_RESTART ? ", negotiating again" :
			   act == IKE_DPD_HOLD ?
			   ", negotiating again on traffic" : "";

	if (sa)
		log_err("[conn %s] DPD: peer %s is dead: no answer to %u "
			"R-U-THERE in %u s and nothing received for %u s; "
			"dpd-action %s: removing its SAs%s", c->c.name,
			ike_addr_str(&sa->remote, a, sizeof(a)), d->probes,
			(unsigned int)((now - d->probe_start_ms) / 1000),
			(unsigned int)((now - last_sign(e, c)) / 1000),
			dpd_action_name(act), then);
	else
		log_err("[conn %s] DPD: peer %s is dead: no ISAKMP SA to ask "
			"over could be negotiated in %u s and nothing "
			"received for %u s; dpd-action %s: removing its "
			"SAs%s", c->c.name,
			ike_addr_str(&c->c.remote, a, sizeof(a)),
			(unsigned int)((now - d->p1_wanted_ms) / 1000),
			(unsigned int)((now - last_sign(e, c)) / 1000),
			dpd_action_name(act), then);
	for (ch = e->p2s; ch; ch = cnext) {
		cnext = ch->next;
		if (ch->conn != c)
			continue;
		if (ch->state == QM_ACTIVE)
			notify_delete_child(e, ch);
		sa_p2_free(e, ch);
	}
	for (o = e->p1s; o; o = onext) {
		onext = o->next;
		if (o->conn != c)
			continue;
		if (o->state == MM_ACTIVE)
			notify_delete_p1(e, o);
		sa_p1_free(e, o);
	}
	stop_probing(d);
	d->p1_wanted_ms = 0;
	d->dead = true;
	d->dead_ms = now;
	snprintf(c->why, sizeof(c->why), "peer dead (DPD)");
	switch (act) {
	case IKE_DPD_RESTART:
		c->keep_up = true;
		c->attempts = 0;
		c->retry_at = 0;
		c->start_now = true;
		break;
	case IKE_DPD_HOLD:
		c->keep_up = false;
		c->retry_at = 0;
		c->on_hold = true;
		break;
	default:
		c->keep_up = false;
		c->retry_at = 0;
		break;
	}
}

static void probe(struct ike_engine *e, struct conn_ent *c, struct p1sa *sa,
		  uint64_t now)
{
	struct dpd_state *d = &c->dpd;

	if (!d->probing) {
		d->probing = true;
		d->probes = 0;
		d->probe_start_ms = now;
		d->first_seq = d->seq + 1;
		log_info("[conn %s] DPD: nothing from the peer for %u s, "
			 "asking R-U-THERE", c->c.name,
			 (unsigned int)((now - last_sign(e, c)) / 1000));
	}
	d->seq++;
	d->probes++;
	d->next_probe_ms = now + (uint64_t)c->c.dpd_delay * 1000;
	log_dbg("%s DPD: R-U-THERE seq %u (try %u)", msg_ck(sa), d->seq,
		d->probes);
	send_dpd(e, sa, ISAKMP_N_R_U_THERE, d->seq);
}

static void run_conn(struct ike_engine *e, struct conn_ent *c, uint64_t now)
{
	struct dpd_state *d = &c->dpd;
	struct p1sa *sa = dpd_sa(e, c);
	struct p1sa *any = sa_p1_established(e, c);

	if (!sa) {
		if (d->probing)
			stop_probing(d);
		if (d->p1_wanted_ms && !needs_p1(e, c))
			d->p1_wanted_ms = 0;
		if (d->p1_wanted_ms && now >= d->p1_wanted_ms +
		    (uint64_t)c->c.dpd_timeout * 1000) {
			ask_kernel(e, c, now);
			if (d->esp_ms > d->p1_wanted_ms) {
				log_info("[conn %s] DPD: peer alive (ESP "
					 "received)", c->c.name);
				d->p1_wanted_ms = 0;
			} else {
				declare_dead(e, c, NULL, now);
			}
			return;
		}
		if (c->c.dpd && any && !any->peer_dpd &&
		    !d->said_unsupported && has_tunnel(e, c)) {
			d->said_unsupported = true;
			log_dbg("[conn %s] DPD: peer does not support it",
				c->c.name);
		}
		return;
	}
	if (now < due_ms(e, c))
		return;
	ask_kernel(e, c, now);
	if (d->probing && d->esp_ms > d->probe_start_ms) {
		log_info("[conn %s] DPD: peer alive (ESP received)",
			 c->c.name);
		stop_probing(d);
		return;
	}
	if (!d->probing) {
		if (now < last_sign(e, c) + (uint64_t)c->c.dpd_delay * 1000)
			return;		/* ESP came in meanwhile */
		probe(e, c, sa, now);
		return;
	}
	if (now >= d->probe_start_ms + (uint64_t)c->c.dpd_timeout * 1000) {
		declare_dead(e, c, sa, now);
		return;
	}
	probe(e, c, sa, now);
}

struct conn_ent *dpd_p1_due(struct ike_engine *e, uint64_t now)
{
	struct dpd_state *d;
	struct conn_ent *c;
	struct p1sa *o;

	for (c = e->conns; c; c = c->next) {
		d = &c->dpd;
		if (d->p1_wanted_ms || !needs_p1(e, c))
			continue;
		for (o = e->p1s; o && o->conn != c; o = o->next)
			;
		if (o)
			continue;	/* a phase 1 is under way */
		if (now < last_sign(e, c) + (uint64_t)c->c.dpd_delay * 1000)
			continue;
		ask_kernel(e, c, now);
		if (now < last_sign(e, c) + (uint64_t)c->c.dpd_delay * 1000)
			continue;	/* ESP came in meanwhile */
		d->p1_wanted_ms = now;
		log_info("[conn %s] DPD: nothing received for %u s and no "
			 "ISAKMP SA to ask over: negotiating one", c->c.name,
			 (unsigned int)((now - last_sign(e, c)) / 1000));
		return c;
	}
	return NULL;
}

void dpd_run(struct ike_engine *e, uint64_t now)
{
	struct conn_ent *c;

	for (c = e->conns; c; c = c->next)
		run_conn(e, c, now);
}

void dpd_status(struct ike_engine *e, struct conn_ent *c,
		struct ike_status *st)
{
	struct dpd_state *d = &c->dpd;
	struct p1sa *any = sa_p1_established(e, c);
	uint64_t now = env_now(e);

	st->dpd_action = dpd_action_name(dpd_action(&c->c));
	st->dpd_delay = c->c.dpd_delay;
	st->dpd_timeout = c->c.dpd_timeout;
	st->dpd_last_ack = d->acked ? (int64_t)(now - d->ack_ms) / 1000 : -1;
	st->dpd_ack_seq = d->ack_seq;
	st->dpd_probes = d->probing ? d->probes : 0;
	if (d->dead)
		st->dpd = "dead";
	else if (!c->c.dpd)
		st->dpd = "off";
	else if (any && !any->peer_dpd)
		st->dpd = "unsupported";
	else if (d->probing)
		st->dpd = "probing";
	else
		st->dpd = "idle";
}
