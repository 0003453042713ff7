/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `esptun diagnose` and `esptun metrics`: esptund's view of each conn (its
 * status reply, parsed), the module's counters for the conn's SAs, and
 * the rules that name a likely cause from both. The rules see only these
 * structs, so they are tested with recorded values, without sockets.
 */
#ifndef ESPTUN_DIAGNOSE_H
#define ESPTUN_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DG_NAME		64
#define DG_MSG		8
#define DG_TEXT		256	/* two IPv6 range selectors, "A === B" */
#define DG_CHILDREN	8
#define DG_NOTIFIES	8
#define DG_ROUTES	8

struct dg_child {
	char state[24];			/* "QM_ACTIVE", "QM_WAIT_MSG2" */
	uint32_t spi_in, spi_out;
	char local_ts[96], remote_ts[96];	/* a prefix or FIRST-LAST */
};

struct dg_notify {
	char name[40];			/* "NO-PROPOSAL-CHOSEN" */
	uint32_t sent, received;
};

/* One conn of esptund's status reply. */
struct dg_conn {
	char name[DG_NAME];
	char state[24];			/* phase 1: "MM_ACTIVE", "NONE" */
	bool sig_auth;			/* certificates, not a pre-shared key */
	char peer[64];			/* "192.0.2.1:500", "" if unknown */
	int n_children;
	struct dg_child children[DG_CHILDREN];
	char sent[DG_MSG], received[DG_MSG];	/* "" when none */
	uint32_t mm_started, mm_done, qm_started, qm_done, failures;
	int n_notify;
	struct dg_notify notify[DG_NOTIFIES];
	/* The last failure; fail[0] == 0 when none. */
	char fail_msg[DG_MSG];
	int64_t fail_age;
	char fail[DG_TEXT];
	char fail_notify[40];		/* "" when none */
	bool fail_notify_peer;
	char ours[DG_TEXT], theirs[DG_TEXT];
};

/*
 * Counters of a conn's kernel SAs, summed over all its pairs, sampled
 * twice (index 0, then 1; [1] - [0] is what the interval carried).
 */
struct dg_traffic {
	bool found;			/* its SAs are in the module */
	char ifname[16];
	uint32_t ifindex;		/* of the SA esptund sends on */
	char outer[48];			/* its outer destination, "" unknown */
	uint32_t spi_in, spi_out;	/* the pair esptund sends on */
	int n_in, n_out;		/* SAs summed */
	uint64_t encaps[2], decaps[2];	/* packets out, packets in */
	uint64_t replay[2], icv[2];	/* inbound drops */
	uint32_t replay_spi, icv_spi;	/* the SA where they rose most */
	unsigned int interval_ms;
	/*
	 * The device's own drops, sampled with the SAs: traffic routed into
	 * it that never reached an SA, so no SA counter shows it.
	 */
	bool dev_found;
	uint64_t no_sa[2], no_route[2], mtu[2];
	/* Routes that would carry traffic to the remote selector. */
	int n_routes;
	char routes[DG_ROUTES][96];
};

enum dg_cause {
	DG_HEALTHY = 0,
	DG_NOT_STARTED,		/* no negotiation, no failure */
	DG_IN_PROGRESS,		/* negotiating, nothing failed yet */
	DG_NO_ANSWER_MM1,
	DG_STUCK_MM3,
	DG_STUCK_MM5,
	DG_AUTH_FAILED,		/* the peer's MM5 failed here, or told us so */
	DG_ID_MISMATCH,		/* phase 1 INVALID-ID-INFORMATION */
	DG_NO_PROPOSAL,
	DG_INVALID_ID_QM,
	DG_NO_ANSWER_QM,
	DG_REFUSED,		/* some other error notify */
	DG_OTHER_FAILURE,
	DG_SA_MISSING,		/* active in esptund, absent from the module */
	DG_NOTHING_ROUTED,
	DG_ESP_BLOCKED,
	DG_ONE_WAY,
	DG_REPLAY_RISING,
	DG_ICV_RISING,
	DG_NO_SA_MATCH,		/* device drops: no outbound SA selector */
	DG_NO_OUTER_ROUTE,	/* device drops: no route to the peer */
	DG_TOO_BIG,		/* device drops: too big, ICMP sent */
	DG_N_CAUSES
};

struct dg_result {
	enum dg_cause cause;
	char sentence[512];
	int n_evidence;
	char evidence[8][192];
};

/* Stable names for JSON ("no-answer-mm1"...). */
const char *dg_cause_name(enum dg_cause c);

/* The active child of a conn, or NULL. */
const struct dg_child *dg_active_child(const struct dg_conn *c);

struct etsa;
struct etdev;

/*
 * The traffic of conn c (ch its active child) from two dumps of the
 * module's SAs, s1 then s2: the counters of every pair c holds. Pure.
 */
void dg_traffic_sample(const struct etsa *s1, size_t n1,
		       const struct etsa *s2, size_t n2,
		       const struct dg_conn *c, const struct dg_child *ch,
		       struct dg_traffic *t);

/*
 * The drop counters of t's device (found by t->ifindex, which
 * dg_traffic_sample sets) from two dumps of the module's devices. Pure.
 */
void dg_device_sample(const struct etdev *d1, size_t n1,
		      const struct etdev *d2, size_t n2,
		      struct dg_traffic *t);

/* The rules: one cause, its sentence and evidence. Pure. */
void dg_decide(const struct dg_conn *c, const struct dg_traffic *t,
	       struct dg_result *r);

/*
 * A text status reply body (after "ok\n") into conns; returns how many
 * were filled (at most max), or -1 when the text is not a status.
 */
int dg_parse_status(const char *body, struct dg_conn *conns, int max);

/*
 * One request to esptund's control socket (path, or ESPTUN_CONTROL, or
 * the default); *out is the malloc'ed reply. 0, or -1 with errno-style
 * message in err.
 */
int dg_ctl_request(const char *path, const char *line, char **out,
		   char *err, size_t errlen);

/* Routes in the main table covering the prefix "10.2.0.0/24"; count. */
int dg_routes_for(const char *prefix, char routes[][96], int max);

#endif /* ESPTUN_DIAGNOSE_H */
