// SPDX-License-Identifier: GPL-2.0
/*
 * The cause rules of `esptun diagnose`: from esptund's view of a conn and
 * two samples of the counters of its SAs and its device, one likely cause
 * in one sentence, and the facts it rests on. A tunnel that is up is
 * judged by its counters only: a failure recorded before it came up is
 * history.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diagnose.h"

static const char *const cause_names[DG_N_CAUSES] = {
	[DG_HEALTHY] = "healthy",
	[DG_NOT_STARTED] = "not-started",
	[DG_IN_PROGRESS] = "in-progress",
	[DG_NO_ANSWER_MM1] = "no-answer-mm1",
	[DG_STUCK_MM3] = "stuck-mm3",
	[DG_STUCK_MM5] = "stuck-mm5",
	[DG_AUTH_FAILED] = "auth-failed",
	[DG_ID_MISMATCH] = "id-mismatch",
	[DG_NO_PROPOSAL] = "no-proposal-chosen",
	[DG_INVALID_ID_QM] = "invalid-id-quick-mode",
	[DG_NO_ANSWER_QM] = "no-answer-quick-mode",
	[DG_REFUSED] = "refused",
	[DG_OTHER_FAILURE] = "failure",
	[DG_SA_MISSING] = "sa-missing",
	[DG_NOTHING_ROUTED] = "nothing-routed",
	[DG_ESP_BLOCKED] = "esp-blocked-inbound",
	[DG_ONE_WAY] = "one-way",
	[DG_REPLAY_RISING] = "replay-drops-rising",
	[DG_ICV_RISING] = "icv-drops-rising",
	[DG_NO_SA_MATCH] = "no-outbound-sa",
	[DG_NO_OUTER_ROUTE] = "no-route-to-peer",
	[DG_TOO_BIG] = "too-big",
};

const char *dg_cause_name(enum dg_cause c)
{
	return (unsigned int)c < DG_N_CAUSES ? cause_names[c] : "?";
}

const struct dg_child *dg_active_child(const struct dg_conn *c)
{
	int i;

	for (i = 0; i < c->n_children; i++)
		if (!strcmp(c->children[i].state, "QM_ACTIVE"))
			return &c->children[i];
	return NULL;
}

static __attribute__((format(printf, 3, 4)))
void say(struct dg_result *r, enum dg_cause cause, const char *fmt, ...)
{
	va_list ap;

	r->cause = cause;
	va_start(ap, fmt);
	vsnprintf(r->sentence, sizeof(r->sentence), fmt, ap);
	va_end(ap);
}

static __attribute__((format(printf, 2, 3)))
void evidence(struct dg_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n_evidence >= (int)(sizeof(r->evidence) /
				   sizeof(r->evidence[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(r->evidence[r->n_evidence++], sizeof(r->evidence[0]), fmt,
		  ap);
	va_end(ap);
}

static const char *or_unknown(const char *s)
{
	return s[0] ? s : "unknown (run diagnose on the peer)";
}

static const char *peer_of(const struct dg_conn *c)
{
	return c->peer[0] ? c->peer : "the peer";
}

/* The route the kernel picks for the remote selector goes into the device. */
static bool routed_into(const struct dg_traffic *t)
{
	char tail[32];
	size_t lt, lr;

	if (!t->n_routes)
		return false;
	snprintf(tail, sizeof(tail), " dev %s", t->ifname);
	lt = strlen(tail);
	lr = strlen(t->routes[0]);
	return lr >= lt && !strcmp(t->routes[0] + lr - lt, tail);
}

static uint64_t rise(const uint64_t v[2])
{
	return v[1] > v[0] ? v[1] - v[0] : 0;
}

/*
 * Packets routed into the device and dropped there before any SA counted
 * them: the SA counters alone would call the tunnel idle. The drop that
 * rose most names the cause. False when none rose.
 */
/* "10.0.0.2:500" or "[2001:db8::2]:500" without the port, for ip route. */
static const char *addr_only(const char *peer, char *buf, size_t len)
{
	const char *end;

	if (peer[0] == '[') {
		end = strchr(peer, ']');
		snprintf(buf, len, "%.*s", end ? (int)(end - peer - 1) : 0,
			 peer + 1);
	} else {
		end = strchr(peer, ':');
		snprintf(buf, len, "%.*s", end && !strchr(end + 1, ':') ?
			 (int)(end - peer) : (int)strlen(peer), peer);
	}
	return buf;
}

static bool judge_device(const struct dg_conn *c, const struct dg_child *ch,
			 const struct dg_traffic *t, struct dg_result *r)
{
	uint64_t d_sa = rise(t->no_sa), d_route = rise(t->no_route);
	uint64_t d_mtu = rise(t->mtu);
	char peer[64];
	const char *outer = t->outer[0] ? t->outer :
			    c->peer[0] ? addr_only(c->peer, peer, sizeof(peer)) :
			    "the peer";

	if (!t->dev_found || !(d_sa || d_route || d_mtu))
		return false;
	evidence(r, "device %s drops in %u ms: no outbound SA +%" PRIu64
		 " (%" PRIu64 " in all), no route to the peer +%" PRIu64 " (%"
		 PRIu64 " in all), too big +%" PRIu64 " (%" PRIu64 " in all)",
		 t->ifname, t->interval_ms, d_sa, t->no_sa[1], d_route,
		 t->no_route[1], d_mtu, t->mtu[1]);
	if (d_route >= d_sa && d_route >= d_mtu) {
		say(r, DG_NO_OUTER_ROUTE, "no route to the peer's outer "
		    "address %s: +%" PRIu64 " packets routed into %s dropped "
		    "in %u ms before encryption; check `ip route get %s`",
		    outer, d_route, t->ifname, t->interval_ms, outer);
	} else if (d_sa >= d_mtu) {
		say(r, DG_NO_SA_MATCH, "packets routed into %s match no "
		    "outbound SA: +%" PRIu64 " dropped in %u ms; the traffic "
		    "selectors of the SAs (%s === %s) don't cover them: route "
		    "only traffic to %s into %s, or widen the selectors on "
		    "both sides", t->ifname, d_sa, t->interval_ms,
		    ch->local_ts[0] ? ch->local_ts : "?",
		    ch->remote_ts[0] ? ch->remote_ts : "?",
		    ch->remote_ts[0] ? ch->remote_ts : "the remote selector",
		    t->ifname);
	} else {
		say(r, DG_TOO_BIG, "packets too big for the tunnel: +%" PRIu64
		    " dropped at %s in %u ms, each answered with an ICMP too "
		    "big, and none got through: the senders do not lower "
		    "their size (ICMP filtered on the way back?); clamp the "
		    "TCP MSS (esptun set %s mss-clamp auto) or lower their MTU",
		    d_mtu, t->ifname, t->interval_ms, t->ifname);
	}
	return true;
}

/* The tunnel is up in esptund: the counters decide. */
static void judge_traffic(const struct dg_conn *c, const struct dg_child *ch,
			  const struct dg_traffic *t, struct dg_result *r)
{
	uint64_t d_enc = t->encaps[1] - t->encaps[0];
	uint64_t d_dec = t->decaps[1] - t->decaps[0];
	char more[48] = "";
	int i, others = (t->n_in > t->n_out ? t->n_in : t->n_out) - 1;

	if (others > 0)
		snprintf(more, sizeof(more), " (with %d other pair%s)",
			 others, others > 1 ? "s" : "");
	evidence(r, "IPsec SA in %08x out %08x on %s%s: %" PRIu64
		 " packets encrypted, %" PRIu64 " decrypted (+%" PRIu64
		 "/+%" PRIu64 " in %u ms)", ch->spi_in, ch->spi_out,
		 t->ifname, more, t->encaps[1], t->decaps[1], d_enc, d_dec,
		 t->interval_ms);
	if (t->icv[1] > t->icv[0]) {
		say(r, DG_ICV_RISING, "ICV failures rising on SA %08x: +%"
		    PRIu64 " in %u ms (%" PRIu64 " in all): the peer's keys "
		    "differ or packets are corrupted on the way",
		    t->icv_spi ? t->icv_spi : ch->spi_in,
		    t->icv[1] - t->icv[0], t->interval_ms, t->icv[1]);
		return;
	}
	if (t->replay[1] > t->replay[0]) {
		say(r, DG_REPLAY_RISING, "replay drops rising on SA %08x: +%"
		    PRIu64 " in %u ms (%" PRIu64 " in all): packets are "
		    "duplicated or reordered beyond the replay window",
		    t->replay_spi ? t->replay_spi : ch->spi_in,
		    t->replay[1] - t->replay[0], t->interval_ms,
		    t->replay[1]);
		return;
	}
	/*
	 * Drops in the device while encryption stands still: the traffic
	 * meant for the tunnel never reaches its SAs.
	 */
	if (!d_enc && judge_device(c, ch, t, r))
		return;
	if (!t->encaps[1] && routed_into(t)) {
		/*
		 * Nothing to send yet, or the pair that carried it was
		 * replaced: the SAs in use have not been tried.
		 */
		say(r, DG_HEALTHY, "healthy: tunnel up with %s, idle: nothing "
		    "sent on its SAs yet; traffic to %s goes into %s",
		    peer_of(c), ch->remote_ts[0] ? ch->remote_ts :
		    "the remote selector", t->ifname);
		evidence(r, "route matching %s: %s", ch->remote_ts,
			 t->routes[0]);
		return;
	}
	if (!t->encaps[1]) {
		say(r, DG_NOTHING_ROUTED, "tunnel up but nothing is routed "
		    "into %s: 0 packets encrypted; traffic to %s goes via %s",
		    t->ifname, ch->remote_ts[0] ? ch->remote_ts : "the remote "
		    "selector", t->n_routes ? t->routes[0] : "no route at all");
		for (i = 0; i < t->n_routes; i++)
			evidence(r, "route matching %s: %s", ch->remote_ts,
				 t->routes[i]);
		if (!t->n_routes)
			evidence(r, "no route matches %s", ch->remote_ts);
		return;
	}
	if (!t->decaps[1]) {
		say(r, DG_ESP_BLOCKED, "tunnel up but no ESP arrives: %" PRIu64
		    " packets encrypted out, 0 decrypted in: ESP is blocked "
		    "inbound; try nat-t = force to carry it in UDP 4500",
		    t->encaps[1]);
		return;
	}
	if (d_enc && !d_dec) {
		say(r, DG_ONE_WAY, "one-way traffic: +%" PRIu64 " packets "
		    "encrypted out in %u ms, none decrypted in: the peer's "
		    "answers stop on the way or it routes them elsewhere",
		    d_enc, t->interval_ms);
		return;
	}
	say(r, DG_HEALTHY, "healthy: tunnel up with %s, %" PRIu64
	    " packets out, %" PRIu64 " in", peer_of(c), t->encaps[1],
	    t->decaps[1]);
}

static bool is_msg(const char *m, const char *name)
{
	return !strcmp(m, name);
}

/*
 * What a failed authentication points at: the pre-shared key, or for a
 * conn with certificates the certificate or signature one side refused.
 */
static const char *bad_creds(const struct dg_conn *c)
{
	return c->sig_auth ? "certificate or signature refused" :
	       "pre-shared key mismatch";
}

static const char *bad_creds_or_id(const struct dg_conn *c)
{
	return c->sig_auth ? "certificate, signature or ID refused" :
	       "pre-shared key or ID mismatch";
}

static void judge_notify(const struct dg_conn *c, struct dg_result *r)
{
	bool qm = c->fail_msg[0] == 'Q';
	const char *who = c->fail_notify_peer ? "the peer refused" :
			  "we refused";

	if (!strcmp(c->fail_notify, "NO-PROPOSAL-CHOSEN")) {
		say(r, DG_NO_PROPOSAL, "%s %s with NO-PROPOSAL-CHOSEN: no "
		    "common %s proposal (ours: %s; theirs: %s)", who,
		    c->fail_msg, qm ? "esp" : "ike", or_unknown(c->ours),
		    or_unknown(c->theirs));
	} else if (!strcmp(c->fail_notify, "INVALID-ID-INFORMATION") && qm) {
		say(r, DG_INVALID_ID_QM, "Quick Mode: %s %s with "
		    "INVALID-ID-INFORMATION: the traffic selectors differ "
		    "(ours: %s; theirs: %s)", who, c->fail_msg,
		    or_unknown(c->ours), or_unknown(c->theirs));
	} else if (!strcmp(c->fail_notify, "INVALID-ID-INFORMATION")) {
		say(r, DG_ID_MISMATCH, "Main Mode: %s %s with "
		    "INVALID-ID-INFORMATION: the peer's ID is not the "
		    "remote-id configured (expected: %s; got: %s)", who,
		    c->fail_msg, or_unknown(c->ours), or_unknown(c->theirs));
	} else if (!strcmp(c->fail_notify, "AUTHENTICATION-FAILED") ||
		   !strcmp(c->fail_notify, "INVALID-HASH-INFORMATION")) {
		say(r, DG_AUTH_FAILED, "%s %s with %s: %s", who, c->fail_msg,
		    c->fail_notify, bad_creds(c));
	} else {
		say(r, DG_REFUSED, "%s %s with %s", who, c->fail_msg,
		    c->fail_notify);
	}
}

/* No IPsec SA: the last failure decides. */
static void judge_failure(const struct dg_conn *c, struct dg_result *r)
{
	const char *m = c->fail_msg;

	if (c->fail_notify[0]) {
		judge_notify(c, r);
	} else if (is_msg(m, "MM1")) {
		say(r, DG_NO_ANSWER_MM1, "no answer to MM1 from %s: UDP 500 "
		    "is blocked on the way or the peer is down",
		    peer_of(c));
	} else if (is_msg(m, "MM3")) {
		say(r, DG_STUCK_MM3, "stuck after MM3: the peer answered MM1 "
		    "but never sent MM4 (its last message was MM2): it "
		    "refused our key exchange, or large UDP packets are "
		    "dropped; some peers stop here on a %s",
		    bad_creds_or_id(c));
	} else if (is_msg(m, "MM5") && (strstr(c->fail, "HASH_I") ||
					 strstr(c->fail, "the peer's MM5"))) {
		say(r, DG_AUTH_FAILED, "the peer's MM5 failed authentication "
		    "here, so we stopped after our MM4: %s", bad_creds(c));
	} else if (is_msg(m, "MM5")) {
		say(r, DG_STUCK_MM5, "stuck after MM5: the peer never "
		    "answered our MM5 with MM6 (its last message was MM4): "
		    "%s", bad_creds_or_id(c));
	} else if (is_msg(m, "MM6")) {
		say(r, DG_AUTH_FAILED, "the peer's MM6 failed authentication "
		    "here: %s", bad_creds(c));
	} else if (m[0] == 'Q' && strstr(c->fail, "no response")) {
		say(r, DG_NO_ANSWER_QM, "Main Mode up but no answer to %s: "
		    "the peer silently refused our esp proposal or traffic "
		    "selectors (see its log)", m);
	} else {
		say(r, DG_OTHER_FAILURE, "negotiation failed at %s: %s",
		    m[0] ? m : "?", c->fail);
	}
}

void dg_decide(const struct dg_conn *c, const struct dg_traffic *t,
	       struct dg_result *r)
{
	const struct dg_child *ch = dg_active_child(c);

	memset(r, 0, sizeof(*r));
	evidence(r, "esptund: phase 1 %s, last sent %s, last received %s",
		 c->state, c->sent[0] ? c->sent : "-",
		 c->received[0] ? c->received : "-");
	if (c->fail[0])
		evidence(r, "last failure %" PRId64 " s ago at %s: %s",
			 c->fail_age, c->fail_msg[0] ? c->fail_msg : "-",
			 c->fail);
	if (ch) {
		if (!t) {
			say(r, DG_SA_MISSING, "esptund has IPsec SA in %08x "
			    "out %08x but the module's counters could not be "
			    "read (is the module loaded, are we root?)",
			    ch->spi_in, ch->spi_out);
			return;
		}
		if (!t->found) {
			say(r, DG_SA_MISSING, "esptund has IPsec SA in %08x "
			    "out %08x but the module does not: they were "
			    "deleted behind its back", ch->spi_in,
			    ch->spi_out);
			return;
		}
		judge_traffic(c, ch, t, r);
		return;
	}
	if (c->fail[0]) {
		if (c->ours[0])
			evidence(r, "ours: %s", c->ours);
		if (c->theirs[0])
			evidence(r, "theirs: %s", c->theirs);
		judge_failure(c, r);
		return;
	}
	if (!strcmp(c->state, "NONE") && !c->n_children)
		say(r, DG_NOT_STARTED, "not up and nothing failed: no "
		    "negotiation was started (esptun ike up %s, or send "
		    "traffic into its device)", c->name);
	else
		say(r, DG_IN_PROGRESS, "negotiating (phase 1 %s), nothing "
		    "has failed yet: ask again in a few seconds", c->state);
}
