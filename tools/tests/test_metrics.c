// SPDX-License-Identifier: GPL-2.0
/*
 * `esptun metrics` formatting on recorded devices, SAs and conns: the
 * exact sample lines, one HELP and TYPE per metric before its samples,
 * label escaping, and the IKE part only when esptund answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static int n, failed;

static void ok(int cond, const char *name)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, name);
	if (!cond)
		failed = 1;
}

static char *render(const struct metrics_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	metrics_write(f, in);
	fclose(f);
	return buf;
}

static int line(const char *text, const char *l)
{
	const char *p = text;
	size_t len = strlen(l);

	while ((p = strstr(p, l))) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return 1;
		p++;
	}
	printf("#   missing line: %s\n", l);
	return 0;
}

/* Every sample's metric had its # TYPE line before it, exactly once. */
static int grouped(const char *text)
{
	char seen[64][96], name[96];
	const char *p;
	int k = 0, i, cur = -1;

	for (p = text; *p; p = strchr(p, '\n') + 1) {
		size_t l = strcspn(p, " {\n");

		if (!strncmp(p, "# TYPE ", 7)) {
			snprintf(name, sizeof(name), "%.*s",
				 (int)strcspn(p + 7, " "), p + 7);
			for (i = 0; i < k; i++)
				if (!strcmp(seen[i], name))
					return 0;
			strcpy(seen[k], name);
			cur = k++;
		} else if (p[0] != '#') {
			if (cur < 0 || strlen(seen[cur]) != l ||
			    strncmp(seen[cur], p, l))
				return 0;
		}
	}
	return 1;
}

int main(void)
{
	struct etdev dev;
	struct etsa sa[2];
	struct dg_conn conn;
	struct metrics_input in = { 0 };
	char *out;

	printf("TAP version 13\n");
	memset(&dev, 0, sizeof(dev));
	memset(sa, 0, sizeof(sa));
	memset(&conn, 0, sizeof(conn));
	dev.ifindex = 7;
	strcpy(dev.ifname, "esp0");
	dev.sa_count = 2;
	dev.stats_has = BIT(ESPTUN_STAT_NO_SA) | BIT(ESPTUN_STAT_MTU);
	dev.stats[ESPTUN_STAT_NO_SA] = 3;
	dev.stats[ESPTUN_STAT_MTU] = 1;
	sa[0].ifindex = 7;
	sa[0].dir = ESPTUN_DIR_IN;
	sa[0].spi = 0xc0000001;
	sa[0].stats_has = BIT(ESPTUN_STAT_PACKETS) | BIT(ESPTUN_STAT_BYTES) |
			  BIT(ESPTUN_STAT_REPLAY) | BIT(ESPTUN_STAT_ICV_FAIL);
	sa[0].stats[ESPTUN_STAT_PACKETS] = 12;
	sa[0].stats[ESPTUN_STAT_BYTES] = 1008;
	sa[0].stats[ESPTUN_STAT_REPLAY] = 2;
	sa[0].stats[ESPTUN_STAT_ICV_FAIL] = 18446744073709551615ULL;
	sa[1] = sa[0];
	sa[1].dir = ESPTUN_DIR_OUT;
	sa[1].spi = 0xc0000002;
	sa[1].stats[ESPTUN_STAT_PACKETS] = 13;
	strcpy(conn.name, "site\"a");
	strcpy(conn.state, "MM_ACTIVE");
	conn.n_children = 1;
	strcpy(conn.children[0].state, "QM_ACTIVE");
	conn.children[0].spi_in = 0xc0000001;
	conn.children[0].spi_out = 0xc0000002;
	conn.mm_started = 3;
	conn.mm_done = 1;
	conn.qm_started = 2;
	conn.qm_done = 1;
	conn.failures = 2;
	conn.n_notify = 1;
	strcpy(conn.notify[0].name, "NO-PROPOSAL-CHOSEN");
	conn.notify[0].received = 1;
	in.devs = &dev;
	in.n_devs = 1;
	in.sas = sa;
	in.n_sas = 2;

	out = render(&in);
	ok(line(out, "esptun_device_sas{device=\"esp0\"} 2"), "device SA gauge");
	ok(line(out, "# TYPE esptun_device_no_sa_total counter") &&
	   line(out, "esptun_device_no_sa_total{device=\"esp0\"} 3") &&
	   line(out, "esptun_device_mtu_total{device=\"esp0\"} 1"),
	   "device drop counters");
	ok(!strstr(out, "esptun_device_replay_total"),
	   "counters the device does not have are left out");
	ok(line(out, "esptun_sa_packets_total{device=\"esp0\",spi=\"0xc0000001\","
		"dir=\"in\"} 12") &&
	   line(out, "esptun_sa_packets_total{device=\"esp0\",spi=\"0xc0000002\","
		"dir=\"out\"} 13"), "SA packets, both directions");
	ok(line(out, "esptun_sa_icv_fail_total{device=\"esp0\",spi=\"0xc0000001\","
		"dir=\"in\"} 18446744073709551615"), "64-bit counter in full");
	ok(line(out, "# HELP esptun_sa_replay_total Dropped as replayed or too "
		"old (SA)"), "HELP line");
	ok(line(out, "esptun_ike_reachable 0") && !strstr(out, "esptun_ike_conn"),
	   "no esptund: reachable 0, no conn series");
	ok(grouped(out), "each metric's samples follow its one TYPE line");
	free(out);

	in.ike_reachable = true;
	in.conns = &conn;
	in.n_conns = 1;
	out = render(&in);
	ok(line(out, "esptun_sa_packets_total{device=\"esp0\",spi=\"0xc0000001\","
		"dir=\"in\",conn=\"site\\\"a\"} 12"),
	   "SA labelled with its conn, quote escaped");
	ok(line(out, "esptun_ike_reachable 1") &&
	   line(out, "esptun_ike_conn_up{conn=\"site\\\"a\"} 1") &&
	   line(out, "esptun_ike_conn_state{conn=\"site\\\"a\",state=\"MM_ACTIVE\"} 1"),
	   "conn up and state");
	ok(line(out, "esptun_ike_exchanges_started_total{conn=\"site\\\"a\","
		"exchange=\"main\"} 3") &&
	   line(out, "esptun_ike_exchanges_done_total{conn=\"site\\\"a\","
		"exchange=\"quick\"} 1") &&
	   line(out, "esptun_ike_failures_total{conn=\"site\\\"a\"} 2"),
	   "exchange and failure counters");
	ok(line(out, "esptun_ike_notifies_total{conn=\"site\\\"a\","
		"notify=\"NO-PROPOSAL-CHOSEN\",dir=\"received\"} 1") &&
	   line(out, "esptun_ike_notifies_total{conn=\"site\\\"a\","
		"notify=\"NO-PROPOSAL-CHOSEN\",dir=\"sent\"} 0"),
	   "notify counters both ways");
	ok(grouped(out), "grouped with the IKE part too");
	ok(!strstr(out, "lifetime_left"), "no lifetime series without limits");
	free(out);

	/* Lifetime left: soft bytes, hard packets and add-seconds on the in
	 * SA, a hard use-seconds on the out SA, which was never used.
	 */
	in.now = 1800000000;
	sa[0].add_time = in.now - 100;
	sa[0].lt_has = BIT(ESPTUN_LT_A_SOFT_BYTES) |
		       BIT(ESPTUN_LT_A_HARD_PACKETS) |
		       BIT(ESPTUN_LT_A_HARD_ADD_SECONDS);
	sa[0].lifetime[ESPTUN_LT_A_SOFT_BYTES] = 5000;
	sa[0].lifetime[ESPTUN_LT_A_HARD_PACKETS] = 10;
	sa[0].lifetime[ESPTUN_LT_A_HARD_ADD_SECONDS] = 3600;
	sa[1].lt_has = BIT(ESPTUN_LT_A_HARD_USE_SECONDS);
	sa[1].lifetime[ESPTUN_LT_A_HARD_USE_SECONDS] = 600;
	out = render(&in);
	ok(line(out, "# TYPE esptun_sa_lifetime_left_bytes gauge") &&
	   line(out, "esptun_sa_lifetime_left_bytes{device=\"esp0\",spi=\"0xc0000001\","
		"dir=\"in\",conn=\"site\\\"a\",limit=\"soft\"} 3992"),
	   "lifetime left: bytes below the soft limit");
	ok(line(out, "esptun_sa_lifetime_left_packets{device=\"esp0\",spi=\"0xc0000001\","
		"dir=\"in\",conn=\"site\\\"a\",limit=\"hard\"} 0"),
	   "lifetime left: a passed limit is 0");
	ok(line(out, "esptun_sa_lifetime_left_seconds{device=\"esp0\",spi=\"0xc0000001\","
		"dir=\"in\",conn=\"site\\\"a\",limit=\"hard\",since=\"add\"} 3500") &&
	   line(out, "esptun_sa_lifetime_left_seconds{device=\"esp0\",spi=\"0xc0000002\","
		"dir=\"out\",conn=\"site\\\"a\",limit=\"hard\",since=\"use\"} 600"),
	   "lifetime left: seconds from the add time and, unused, all of use");
	ok(!strstr(out, "limit=\"soft\",since") &&
	   !strstr(out, "dir=\"out\",conn=\"site\\\"a\",limit=\"soft\""),
	   "no series for limits not set");
	ok(grouped(out), "lifetime gauges grouped, one TYPE line per unit");
	free(out);
	/* Only the use-seconds kind: its metric still gets its TYPE line. */
	sa[0].lt_has = 0;
	out = render(&in);
	ok(line(out, "# TYPE esptun_sa_lifetime_left_seconds gauge") &&
	   !strstr(out, "lifetime_left_bytes") && grouped(out),
	   "lifetime left: use-seconds alone, with its TYPE line");
	free(out);
	printf("1..%d\n", n);
	return failed;
}
