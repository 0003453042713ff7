// SPDX-License-Identifier: GPL-2.0
/*
 * esptun [-j] diagnose [-s SOCKET] [-i MS] [NAME]: per conn, the likely
 * cause of trouble in one sentence with its evidence. esptund's status
 * says how the negotiations went; the module's counters, of the conn's
 * SAs and of their device, read twice an interval apart, say what the
 * traffic does. The rules are in diagnose_rules.c. Exit status 0 when
 * every conn is healthy, 1 when a problem is named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_proto.h"
#include "diagnose.h"
#include "ipc.h"
#include "json.h"
#include "subcommands.h"
#include "util.h"

#define MAX_CONNS	64

static const char usage[] =
	"esptun [-j] diagnose [-s SOCKET] [-i MILLISECONDS] [NAME]";

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

static void print_text(const struct dg_conn *c, const struct dg_result *r)
{
	int i;

	printf("%s: %s\n", c->name, r->sentence);
	for (i = 0; i < r->n_evidence; i++)
		printf("  %s\n", r->evidence[i]);
}

static void print_json(struct json *j, const struct dg_conn *c,
		       const struct dg_result *r)
{
	int i;

	json_obj_open(j, NULL);
	json_str(j, "conn", c->name);
	json_bool(j, "healthy", r->cause == DG_HEALTHY);
	json_str(j, "cause", dg_cause_name(r->cause));
	json_str(j, "sentence", r->sentence);
	json_arr_open(j, "evidence");
	for (i = 0; i < r->n_evidence; i++)
		json_str(j, NULL, r->evidence[i]);
	json_arr_close(j);
	json_obj_close(j);
}

int cmd_diagnose(int argc, char **argv, int json)
{
	static struct dg_conn conns[MAX_CONNS];
	static struct dg_traffic traffic[MAX_CONNS];
	/* The module's devices and SAs, read twice. */
	struct ipc_table s1 = { 0 }, s2 = { 0 };
	const char *sock = NULL, *name = NULL, *w;
	uint32_t interval = 1000;
	bool any_active = false, have_sas = false, healthy = true;
	char err[256], *ans;
	struct args a;
	struct json j;
	int n, i, shown = 0;

	args_init(&a, argc, argv, "diagnose", usage);
	while ((w = args_next(&a))) {
		if (is_help(w))
			return usage_help(usage);
		if (!strcmp(w, "-j") || !strcmp(w, "--json")) {
			json = 1;
		} else if (!strcmp(w, "-s")) {
			sock = args_next(&a);
			if (!sock)
				return usage_error(&a, "-s needs a socket path");
		} else if (!strcmp(w, "-i")) {
			const char *v = args_next(&a);
			int rc;

			if (!v)
				return usage_error(&a, "-i needs milliseconds");
			rc = arg_u32(&a, "interval", v, 60000, &interval);
			if (rc)
				return rc;
		} else if (w[0] == '-' || name) {
			return usage_error(&a, "unexpected argument \"%s\"", w);
		} else {
			name = w;
		}
	}

	if (dg_ctl_request(sock, CTL_CMD_STATUS, &ans, err, sizeof(err))) {
		fprintf(stderr, "esptun: diagnose: %s\n", err);
		return 1;
	}
	n = dg_parse_status(ans, conns, MAX_CONNS);
	free(ans);
	if (n < 0) {
		fprintf(stderr, "esptun: diagnose: unexpected status from esptund\n");
		return 1;
	}
	for (i = 0; i < n; i++)
		if (dg_active_child(&conns[i]) &&
		    (!name || !strcmp(name, conns[i].name)))
			any_active = true;
	/* Counters matter only for tunnels that are up. */
	if (any_active && ipc_open("diagnose") == 0) {
		have_sas = ipc_table_read(0, &s1) == 0;
		if (have_sas) {
			sleep_ms(interval);
			have_sas = ipc_table_read(0, &s2) == 0;
		}
		ipc_close();
	}

	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_arr_open(&j, "conns");
	}
	for (i = 0; i < n; i++) {
		const struct dg_child *ch = dg_active_child(&conns[i]);
		struct dg_traffic *t = &traffic[i];
		struct dg_result r;

		if (name && strcmp(name, conns[i].name))
			continue;
		shown++;
		memset(t, 0, sizeof(*t));
		t->interval_ms = interval;
		if (ch && have_sas) {
			dg_traffic_sample(s1.sas, s1.n_sas, s2.sas, s2.n_sas,
					  &conns[i], ch, t);
			dg_device_sample(s1.devs, s1.n_devs, s2.devs,
					 s2.n_devs, t);
			if (t->found && !t->encaps[1] && ch->remote_ts[0])
				t->n_routes = dg_routes_for(ch->remote_ts,
							    t->routes,
							    DG_ROUTES);
			if (t->n_routes < 0)
				t->n_routes = 0;
		}
		dg_decide(&conns[i], ch && have_sas ? t : NULL, &r);
		if (r.cause != DG_HEALTHY)
			healthy = false;
		if (json)
			print_json(&j, &conns[i], &r);
		else
			print_text(&conns[i], &r);
	}
	ipc_table_free(&s1);
	ipc_table_free(&s2);
	if (json) {
		json_arr_close(&j);
		json_bool(&j, "healthy", healthy && shown);
		json_obj_close(&j);
		json_end(&j);
	}
	if (name && !shown) {
		fprintf(stderr, "esptun: diagnose: no conn named '%s'\n", name);
		return 1;
	}
	if (!shown && !json)
		printf("no connections configured\n");
	return healthy && shown ? 0 : 1;
}
