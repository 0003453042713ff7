// SPDX-License-Identifier: GPL-2.0
/*
 * Per-conn record of how negotiations went: the last message each way,
 * exchanges started and completed, notifies by type, and the last failure
 * with what did not match. `esptun diagnose` and `esptun metrics` read it
 * through the status reply; the logs say the same, but only as they go by.
 */
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "ike/proposal.h"
#include "isakmp/isakmp.h"

static void copy_name(char *dst, const char *msg)
{
	snprintf(dst, IKE_DIAG_MSG, "%s", msg ? msg : "");
}

void diag_sent(struct conn_ent *c, const char *msg)
{
	copy_name(c->diag.sent, msg);
	if (!strcmp(msg, "MM1"))
		c->diag.mm_started++;
	else if (!strcmp(msg, "QM1"))
		c->diag.qm_started++;
}

void diag_received(struct conn_ent *c, const char *msg)
{
	copy_name(c->diag.received, msg);
	if (!strcmp(msg, "MM1"))
		c->diag.mm_started++;
	else if (!strcmp(msg, "QM1"))
		c->diag.qm_started++;
}

void diag_established(struct conn_ent *c, bool child)
{
	if (child)
		c->diag.qm_done++;
	else
		c->diag.mm_done++;
}

void diag_notify(struct conn_ent *c, uint16_t type, bool sent)
{
	struct ike_diag *d = &c->diag;
	int i;

	for (i = 0; i < d->n_notify; i++)
		if (d->notify[i].type == type)
			break;
	if (i == d->n_notify) {
		/* A full table keeps counting the types it has. */
		if (d->n_notify == IKE_DIAG_NOTIFIES)
			return;
		d->notify[d->n_notify++].type = type;
	}
	if (sent)
		d->notify[i].sent++;
	else
		d->notify[i].received++;
}

static void fail_begin(struct ike_engine *e, struct conn_ent *c,
		       const char *msg)
{
	struct ike_diag *d = &c->diag;

	copy_name(d->fail_msg, msg);
	d->fail_ms = env_now(e);
	d->fail_notify = 0;
	d->fail_notify_peer = false;
	d->ours[0] = '\0';
	d->theirs[0] = '\0';
	d->failures++;
}

void diag_fail(struct ike_engine *e, struct conn_ent *c, const char *msg,
	       const char *reason)
{
	fail_begin(e, c, msg);
	snprintf(c->diag.fail, sizeof(c->diag.fail), "%s", reason);
}

void diag_fail_notify(struct ike_engine *e, struct conn_ent *c,
		      const char *msg, uint16_t type, bool from_peer)
{
	fail_begin(e, c, msg);
	c->diag.fail_notify = type;
	c->diag.fail_notify_peer = from_peer;
	snprintf(c->diag.fail, sizeof(c->diag.fail), "%s %s %s",
		 msg, from_peer ? "refused by the peer with" :
		 "refused by us with", isakmp_notify_name(type));
}

/* After diag_fail*(): what each side had, as far as this side knows. */
void diag_mismatch(struct conn_ent *c, const char *ours, const char *theirs)
{
	snprintf(c->diag.ours, sizeof(c->diag.ours), "%s", ours ? ours : "");
	snprintf(c->diag.theirs, sizeof(c->diag.theirs), "%s",
		 theirs ? theirs : "");
}

/* The conn's esp = list, "aes128-sha1,aes256gcm16-modp2048". */
void diag_esp_list(const struct ike_conn *c, char *buf, size_t len)
{
	char p[64];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < c->n_esp && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? "," : "",
			      esp_proposal_str(&c->esp[i], p, sizeof(p)));
}

/* "10.1.0.0/24 === 10.2.0.0/24", local first. */
void diag_ts_pair(const struct ike_ts *local, const struct ike_ts *remote,
		  char *buf, size_t len)
{
	char l[IKE_TS_STRLEN], r[IKE_TS_STRLEN];

	snprintf(buf, len, "%s === %s", ts_str(local, l, sizeof(l)),
		 ts_str(remote, r, sizeof(r)));
}
