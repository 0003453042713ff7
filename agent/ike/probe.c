// SPDX-License-Identifier: GPL-2.0
/*
 * The path probe of `esptun probe`: one MM1 to the peer's UDP 500 and one
 * to its UDP 4500, each with its own fresh initiator cookie, answered or
 * not. The probe owns no phase 1 SA: an answer is matched by its cookie
 * here, counted and forgotten before the engine would look it up, so a
 * negotiation of the conn going on at the same time is never touched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ikev1.h"
#include "ike/natt.h"
#include "log.h"

#define PROBE_BUF	2048

struct probe_path {
	struct ike_probe_path res;
	uint8_t icookie[8];
	struct sockaddr_storage local, remote;
	uint64_t first_ms, next_ms;	/* next_ms: resend, 0 = none due */
	uint8_t msg[PROBE_BUF];
	size_t len;
};

struct probe {
	struct probe *next;
	char name[IKE_CONN_NAME_MAX];
	uint64_t end_ms;
	bool running;
	struct sockaddr_storage peer;
	struct probe_path path[2];	/* UDP 500, UDP 4500 */
};

static struct probe *probe_find(struct ike_engine *e, const char *name)
{
	struct probe *p;

	for (p = e->probes; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/* MM1 as a negotiation of the conn would start, under its own cookie. */
static size_t build_mm1(struct ike_engine *e, const struct ike_conn *c,
			const uint8_t icookie[8], uint8_t *buf, size_t cap)
{
	struct isakmp_sa *prop = malloc(sizeof(*prop));
	struct isakmp_gen g;
	struct isakmp_hdr h;
	size_t len;

	if (!prop)
		return 0;
	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, icookie, 8);
	h.exch = ISAKMP_XCHG_IDPROT;
	p1_build_sa(c, prop);
	isakmp_gen_init(&g, buf, cap, &h);
	isakmp_gen_sa(&g, prop);
	isakmp_gen_raw(&g, ISAKMP_NP_VID, dpd_vid, DPD_VID_LEN);
	natt_gen_vids(&g, c);
	len = isakmp_gen_finish(&g);
	free(prop);
	return len;
}

static void path_send(struct ike_engine *e, struct probe *p,
		      struct probe_path *pp, uint64_t now)
{
	char a[64];
	int rc;

	rc = e->env.send(e->env.ctx, &pp->local, &pp->remote, pp->msg,
			 pp->len);
	ike_addr_str(&pp->remote, a, sizeof(a));
	if (rc) {
		pp->res.state = IKE_PROBE_SEND_FAILED;
		snprintf(pp->res.answer, sizeof(pp->res.answer), "%s",
			 strerror(rc < 0 ? -rc : rc));
		pp->next_ms = 0;
		log_warn("probe of %s: sending MM1 to %s failed: %s", p->name,
			 a, pp->res.answer);
		return;
	}
	pp->res.sent++;
	pp->next_ms = pp->res.sent < 2 ? now + IKE_PROBE_REXMIT_MS : 0;
	log_info("probe of %s: MM1 sent to %s%s", p->name, a,
		 pp->res.sent > 1 ? " again" : "");
}

int ike_engine_probe(struct ike_engine *e, const char *name)
{
	static const uint16_t ports[2] = { 500, NATT_PORT };
	struct conn_ent *c = conn_find(e, name);
	uint64_t now = env_now(e);
	struct probe *p;
	int i;

	if (!c)
		return -ENOENT;
	p = probe_find(e, name);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->next = e->probes;
		e->probes = p;
	}
	p->running = true;
	p->end_ms = now + IKE_PROBE_TIMEOUT_MS;
	p->peer = c->c.remote;
	for (i = 0; i < 2; i++) {
		struct probe_path *pp = &p->path[i];

		memset(pp, 0, sizeof(*pp));
		pp->res.port = ports[i];
		pp->local = c->c.local;
		pp->remote = c->c.remote;
		natt_set_port(&pp->local, ports[i]);
		natt_set_port(&pp->remote, ports[i]);
		msg_new_cookie(e, pp->icookie);
		pp->first_ms = now;
		pp->len = build_mm1(e, &c->c, pp->icookie, pp->msg,
				    sizeof(pp->msg));
		if (!pp->len) {
			pp->res.state = IKE_PROBE_SEND_FAILED;
			snprintf(pp->res.answer, sizeof(pp->res.answer),
				 "cannot build MM1");
			continue;
		}
		path_send(e, p, pp, now);
	}
	return 0;
}

static void probe_done(struct probe *p)
{
	int i;

	for (i = 0; i < 2; i++)
		if (p->path[i].res.state == IKE_PROBE_PENDING)
			return;
	p->running = false;
}

bool probe_input(struct ike_engine *e, const struct isakmp_msg *m,
		 const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to)
{
	struct probe *p;
	int i;

	for (p = e->probes; p; p = p->next)
		for (i = 0; i < 2; i++) {
			struct probe_path *pp = &p->path[i];
			const struct isakmp_payload *n;
			struct isakmp_notify_pl np;
			char a[64];

			if (memcmp(m->hdr.icookie, pp->icookie, 8))
				continue;
			/* Our cookie from elsewhere proves nothing. */
			if (!conn_addr_equal(from, &pp->remote, false))
				return true;
			if (pp->res.state != IKE_PROBE_PENDING)
				return true;
			pp->res.state = IKE_PROBE_OK;
			pp->res.rtt_ms = (uint32_t)(env_now(e) - pp->first_ms);
			pp->next_ms = 0;
			n = isakmp_find(m, ISAKMP_NP_N);
			if (m->hdr.exch == ISAKMP_XCHG_INFO && n &&
			    !isakmp_parse_notify(n->body, n->len, &np))
				snprintf(pp->res.answer, sizeof(pp->res.answer),
					 "%s", isakmp_notify_name(np.type));
			else if (m->hdr.exch == ISAKMP_XCHG_IDPROT)
				snprintf(pp->res.answer, sizeof(pp->res.answer),
					 "MM2");
			else
				snprintf(pp->res.answer, sizeof(pp->res.answer),
					 "exchange %u", m->hdr.exch);
			log_info("probe of %s: %s answered %s in %u ms",
				 p->name, ike_addr_str(from, a, sizeof(a)),
				 pp->res.answer, pp->res.rtt_ms);
			probe_done(p);
			return true;
		}
	(void)to;
	return false;
}

int64_t probe_next_ms(struct ike_engine *e)
{
	uint64_t now = env_now(e), t = UINT64_MAX;
	struct probe *p;
	int i;

	for (p = e->probes; p; p = p->next) {
		if (!p->running)
			continue;
		if (p->end_ms < t)
			t = p->end_ms;
		for (i = 0; i < 2; i++)
			if (p->path[i].next_ms && p->path[i].next_ms < t)
				t = p->path[i].next_ms;
	}
	if (t == UINT64_MAX)
		return -1;
	return t > now ? (int64_t)(t - now) : 0;
}

void probe_run(struct ike_engine *e, uint64_t now)
{
	struct probe *p;
	int i;

	for (p = e->probes; p; p = p->next) {
		if (!p->running)
			continue;
		for (i = 0; i < 2; i++) {
			struct probe_path *pp = &p->path[i];

			if (pp->res.state != IKE_PROBE_PENDING)
				continue;
			if (now >= p->end_ms) {
				pp->res.state = IKE_PROBE_NO_ANSWER;
				log_info("probe of %s: no answer on UDP %u after %u ms",
					 p->name, pp->res.port,
					 IKE_PROBE_TIMEOUT_MS);
			} else if (pp->next_ms && now >= pp->next_ms) {
				path_send(e, p, pp, now);
			}
		}
		probe_done(p);
	}
}

/* The active pair, the newest if a rekey left two. */
static void probe_child(struct ike_engine *e, struct conn_ent *c,
			struct ike_probe_result *r)
{
	struct p2sa *ch, *best = NULL;

	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->conn == c && ch->state == QM_ACTIVE &&
		    ch->in_installed && ch->out_installed && !ch->retire_at &&
		    (!best || ch->established_ms >= best->established_ms))
			best = ch;
	if (!best)
		return;
	r->child = true;
	r->spi_in = best->spi_in;
	r->spi_out = best->spi_out;
	r->encap = best->encap;
}

int ike_engine_probe_result(struct ike_engine *e, const char *name,
			    struct ike_probe_result *r)
{
	struct conn_ent *c = conn_find(e, name);
	struct probe *p = probe_find(e, name);

	memset(r, 0, sizeof(*r));
	if (!c)
		return -ENOENT;
	if (!p)
		return -ESRCH;
	r->running = p->running;
	r->udp500 = p->path[0].res;
	r->udp4500 = p->path[1].res;
	r->peer = p->peer;
	r->natt = c->c.natt;
	snprintf(r->ifname, sizeof(r->ifname), "%s", c->c.ifname);
	probe_child(e, c, r);
	return 0;
}

void probe_free_all(struct ike_engine *e)
{
	struct probe *p;

	while ((p = e->probes)) {
		e->probes = p->next;
		free(p);
	}
}
