// SPDX-License-Identifier: GPL-2.0
/*
 * esptun metrics [-s SOCKET]: every device and SA counter of the module,
 * and esptund's per-conn state, exchange and notify counters when its
 * control socket answers, in the Prometheus text exposition format
 * (version 0.0.4). A metric's samples come together under one HELP and
 * TYPE line, as the format requires; series are sorted so two scrapes
 * list them in the same order. The names are documented in esptun(8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_proto.h"
#include "diagnose.h"
#include "format.h"
#include "ipc.h"
#include "metrics.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] = "esptun metrics [-s SOCKET]";

/* Counter names are the JSON keys of `esptun show -j`. */
static const struct {
	int stat;
	const char *name;
	const char *help;
} stats[] = {
	{ ESPTUN_STAT_PACKETS, "packets", "Packets processed" },
	{ ESPTUN_STAT_BYTES, "bytes", "Inner bytes processed" },
	{ ESPTUN_STAT_REPLAY, "replay", "Dropped as replayed or too old" },
	{ ESPTUN_STAT_ICV_FAIL, "icv_fail", "Dropped on ICV (integrity) failure" },
	{ ESPTUN_STAT_SELECTOR, "selector", "Decrypted packets outside the SA's selectors" },
	{ ESPTUN_STAT_FORMAT, "format", "Malformed ESP, bad padding or inner header" },
	{ ESPTUN_STAT_NO_SA, "no_sa", "No outbound SA matched" },
	{ ESPTUN_STAT_SEQ_EXHAUSTED, "seq_exhausted", "Outbound sequence numbers used up" },
	{ ESPTUN_STAT_NO_ROUTE, "no_route", "No route to the outer destination" },
	{ ESPTUN_STAT_MTU, "mtu", "Inner packet too big, ICMP sent" },
	{ ESPTUN_STAT_UNKNOWN_SPI, "unknown_spi", "ESP for an SPI nobody knows" },
	{ ESPTUN_STAT_EXPIRED, "expired", "Dropped on a hard-expired SA" },
	{ ESPTUN_STAT_CRYPTO_BUSY, "crypto_busy", "Dropped because the crypto queue was full" },
};

/* A label value with \, " and newline escaped. */
static void label(FILE *f, const char *key, const char *val, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", key);
	for (; *val; val++) {
		if (*val == '\\' || *val == '"')
			fprintf(f, "\\%c", *val);
		else if (*val == '\n')
			fputs("\\n", f);
		else
			fputc(*val, f);
	}
	fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type,
		 const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The conn whose child has this SA, or NULL. */
static const char *conn_of(const struct etsa *sa, const struct dg_conn *conns,
			   int nconn)
{
	int i, k;

	for (i = 0; i < nconn; i++)
		for (k = 0; k < conns[i].n_children; k++) {
			const struct dg_child *ch = &conns[i].children[k];

			if ((sa->dir == ESPTUN_DIR_IN && sa->spi == ch->spi_in) ||
			    (sa->dir == ESPTUN_DIR_OUT &&
			     sa->spi == ch->spi_out))
				return conns[i].name;
		}
	return NULL;
}

static const char *dev_name(const struct metrics_input *in, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < in->n_devs; i++)
		if (in->devs[i].ifindex == ifindex)
			return in->devs[i].ifname;
	return "?";
}

static void sa_labels(FILE *f, const struct metrics_input *in,
		      const struct etsa *sa)
{
	const char *conn = conn_of(sa, in->conns, in->n_conns);
	char spi[16];

	snprintf(spi, sizeof(spi), "0x%08x", sa->spi);
	label(f, "device", sa->ifname[0] ? sa->ifname :
	      dev_name(in, sa->ifindex), true);
	label(f, "spi", spi, false);
	label(f, "dir", dir_name(sa->dir), false);
	if (conn)
		label(f, "conn", conn, false);
}

/* The lifetime gauges: one metric per unit, seconds by what they count from. */
static const struct {
	const char *unit, *since;
	int kind;	/* offset from the first limit of soft or hard */
} lt_metrics[] = {
	{ "bytes", NULL, 0 },
	{ "packets", NULL, 1 },
	{ "seconds", "add", 2 },
	{ "seconds", "use", 3 },
};

/* One SA's samples of lt_metrics[k]; *head once the HELP/TYPE is out. */
static void write_sa_left(FILE *f, const struct metrics_input *in,
			  const struct etsa *sa, size_t k, bool *head_done)
{
	int64_t left[ESPTUN_LT_A_MAX + 1];
	const char *unit = lt_metrics[k].unit;
	int hard;

	lifetime_left(sa, in->now, left);
	for (hard = 0; hard < 2; hard++) {
		int64_t v = left[lt_metrics[k].kind + (hard ?
				 ESPTUN_LT_A_HARD_BYTES : ESPTUN_LT_A_SOFT_BYTES)];

		if (v < 0)
			continue;
		if (!*head_done) {
			fprintf(f, "# HELP esptun_sa_lifetime_left_%s What is left of the SA's %s limit\n"
				"# TYPE esptun_sa_lifetime_left_%s gauge\n",
				unit, unit, unit);
			*head_done = true;
		}
		fprintf(f, "esptun_sa_lifetime_left_%s{", unit);
		sa_labels(f, in, sa);
		label(f, "limit", hard ? "hard" : "soft", false);
		if (lt_metrics[k].since)
			label(f, "since", lt_metrics[k].since, false);
		fprintf(f, "} %lld\n", (long long)v);
	}
}

/*
 * What is left of each lifetime limit, labelled soft or hard. SAs without
 * the limit have no series. The two seconds kinds are one metric: their
 * samples follow each other under one HELP and TYPE.
 */
static void write_lifetime_left(FILE *f, const struct metrics_input *in)
{
	bool head_done = false;
	size_t i, k;

	for (k = 0; k < ARRAY_SIZE(lt_metrics); k++) {
		if (k && strcmp(lt_metrics[k].unit, lt_metrics[k - 1].unit))
			head_done = false;
		for (i = 0; i < in->n_sas; i++)
			write_sa_left(f, in, &in->sas[i], k, &head_done);
	}
}

static void write_module(FILE *f, const struct metrics_input *in)
{
	char name[96], help[160];
	size_t i, k;

	head(f, "esptun_device_sas", "gauge", "SAs of the device");
	for (i = 0; i < in->n_devs; i++) {
		fputs("esptun_device_sas{", f);
		label(f, "device", in->devs[i].ifname, true);
		fprintf(f, "} %u\n", in->devs[i].sa_count);
	}
	for (k = 0; k < ARRAY_SIZE(stats); k++) {
		bool any = false;

		for (i = 0; i < in->n_devs; i++) {
			const struct etdev *d = &in->devs[i];

			if (!(d->stats_has & BIT(stats[k].stat)))
				continue;
			if (!any) {
				snprintf(name, sizeof(name),
					 "esptun_device_%s_total",
					 stats[k].name);
				snprintf(help, sizeof(help), "%s (device)",
					 stats[k].help);
				head(f, name, "counter", help);
				any = true;
			}
			fprintf(f, "esptun_device_%s_total{", stats[k].name);
			label(f, "device", d->ifname, true);
			fprintf(f, "} %llu\n",
				(unsigned long long)d->stats[stats[k].stat]);
		}
	}
	for (k = 0; k < ARRAY_SIZE(stats); k++) {
		bool any = false;

		for (i = 0; i < in->n_sas; i++) {
			const struct etsa *sa = &in->sas[i];

			if (!(sa->stats_has & BIT(stats[k].stat)))
				continue;
			if (!any) {
				snprintf(name, sizeof(name),
					 "esptun_sa_%s_total", stats[k].name);
				snprintf(help, sizeof(help), "%s (SA)",
					 stats[k].help);
				head(f, name, "counter", help);
				any = true;
			}
			fprintf(f, "esptun_sa_%s_total{", stats[k].name);
			sa_labels(f, in, sa);
			fprintf(f, "} %llu\n",
				(unsigned long long)sa->stats[stats[k].stat]);
		}
	}
}

static void conn_u32(FILE *f, const struct metrics_input *in,
		     const char *name, const char *type, const char *help,
		     const char *xkey, const char *xval,
		     uint32_t (*get)(const struct dg_conn *c))
{
	int i;

	head(f, name, type, help);
	for (i = 0; i < in->n_conns; i++) {
		fprintf(f, "%s{", name);
		label(f, "conn", in->conns[i].name, true);
		if (xkey)
			label(f, xkey, xval, false);
		fprintf(f, "} %u\n", get(&in->conns[i]));
	}
}

static uint32_t get_up(const struct dg_conn *c)
{
	return !!dg_active_child(c);
}

static uint32_t get_mm_started(const struct dg_conn *c)
{
	return c->mm_started;
}

static uint32_t get_mm_done(const struct dg_conn *c)
{
	return c->mm_done;
}

static uint32_t get_qm_started(const struct dg_conn *c)
{
	return c->qm_started;
}

static uint32_t get_qm_done(const struct dg_conn *c)
{
	return c->qm_done;
}

static uint32_t get_failures(const struct dg_conn *c)
{
	return c->failures;
}

static void write_ike(FILE *f, const struct metrics_input *in)
{
	int i, k;

	head(f, "esptun_ike_reachable", "gauge",
	     "1 when esptund's control socket answered");
	fprintf(f, "esptun_ike_reachable %d\n", in->ike_reachable ? 1 : 0);
	if (!in->ike_reachable)
		return;
	conn_u32(f, in, "esptun_ike_conn_up", "gauge",
		 "1 when the conn has an active IPsec SA", NULL, NULL, get_up);
	head(f, "esptun_ike_conn_state", "gauge",
	     "Phase 1 state of the conn (1 for the current state)");
	for (i = 0; i < in->n_conns; i++) {
		fputs("esptun_ike_conn_state{", f);
		label(f, "conn", in->conns[i].name, true);
		label(f, "state", in->conns[i].state, false);
		fputs("} 1\n", f);
	}
	head(f, "esptun_ike_exchanges_started_total", "counter",
	     "Main Mode and Quick Mode exchanges started");
	for (i = 0; i < in->n_conns; i++)
		for (k = 0; k < 2; k++) {
			fputs("esptun_ike_exchanges_started_total{", f);
			label(f, "conn", in->conns[i].name, true);
			label(f, "exchange", k ? "quick" : "main", false);
			fprintf(f, "} %u\n", k ? get_qm_started(&in->conns[i]) :
				get_mm_started(&in->conns[i]));
		}
	head(f, "esptun_ike_exchanges_done_total", "counter",
	     "Main Mode and Quick Mode exchanges completed");
	for (i = 0; i < in->n_conns; i++)
		for (k = 0; k < 2; k++) {
			fputs("esptun_ike_exchanges_done_total{", f);
			label(f, "conn", in->conns[i].name, true);
			label(f, "exchange", k ? "quick" : "main", false);
			fprintf(f, "} %u\n", k ? get_qm_done(&in->conns[i]) :
				get_mm_done(&in->conns[i]));
		}
	conn_u32(f, in, "esptun_ike_failures_total", "counter",
		 "Negotiations that failed", NULL, NULL, get_failures);
	head(f, "esptun_ike_notifies_total", "counter",
	     "ISAKMP notifies by type, sent and received");
	for (i = 0; i < in->n_conns; i++)
		for (k = 0; k < in->conns[i].n_notify; k++) {
			const struct dg_notify *n = &in->conns[i].notify[k];

			fputs("esptun_ike_notifies_total{", f);
			label(f, "conn", in->conns[i].name, true);
			label(f, "notify", n->name, false);
			label(f, "dir", "sent", false);
			fprintf(f, "} %u\n", n->sent);
			fputs("esptun_ike_notifies_total{", f);
			label(f, "conn", in->conns[i].name, true);
			label(f, "notify", n->name, false);
			label(f, "dir", "received", false);
			fprintf(f, "} %u\n", n->received);
		}
}

void metrics_write(FILE *f, const struct metrics_input *in)
{
	write_module(f, in);
	write_lifetime_left(f, in);
	write_ike(f, in);
}

/* ---- the command ---- */

int cmd_metrics(int argc, char **argv, int json)
{
	static struct dg_conn conns[64];
	struct ipc_table t = { 0 };
	struct metrics_input in = { 0 };
	const char *sock = NULL, *w;
	char err[256], *ans;
	struct args a;
	int ret = 1, n;

	args_init(&a, argc, argv, "metrics", usage);
	while ((w = args_next(&a))) {
		if (is_help(w))
			return usage_help(usage);
		if (strcmp(w, "-s"))
			return usage_error(&a, "unexpected argument \"%s\"", w);
		sock = args_next(&a);
		if (!sock)
			return usage_error(&a, "-s needs a socket path");
	}
	if (json)
		return usage_error(&a, "the Prometheus format is text only");

	if (ipc_open("metrics") < 0)
		return 1;
	if (ipc_table_read(0, &t) < 0)
		goto out;
	in.devs = t.devs;
	in.n_devs = t.n_devs;
	in.sas = t.sas;
	in.n_sas = t.n_sas;
	in.now = time(NULL);
	/* Without esptund the module's counters are still worth a scrape. */
	if (!dg_ctl_request(sock, CTL_CMD_STATUS, &ans, err, sizeof(err))) {
		n = dg_parse_status(ans, conns, ARRAY_SIZE(conns));
		free(ans);
		if (n >= 0) {
			in.ike_reachable = true;
			in.conns = conns;
			in.n_conns = n;
		}
	}
	metrics_write(stdout, &in);
	ret = fflush(stdout) ? 1 : 0;
out:
	ipc_close();
	ipc_table_free(&t);
	return ret;
}
