// SPDX-License-Identifier: GPL-2.0
/*
 * esptun [-j] monitor: prints each event of the "events" group on one line
 * as it arrives (one JSON object per line with -j), flushed at once so a
 * pipe sees it, until SIGINT or SIGTERM. For remote-moved, "remote" and
 * the UDP destination port are where the SA's packet came from: the
 * peer's new address and port.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "ipc.h"
#include "json.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] = "esptun [-j] monitor [-j]";

static volatile sig_atomic_t stop;

static void text_event(const struct etevent *ev)
{
	const struct etsa *sa = &ev->sa;
	char buf[256];

	printf("%s", event_name(ev->cmd));
	if (sa->ifindex)
		printf(" dev %s", sa->ifname);
	if (sa->has & BIT(ESPTUN_SA_A_DIR))
		printf(" dir %s", dir_name(sa->dir));
	if (sa->has & BIT(ESPTUN_SA_A_SPI))
		printf(" spi 0x%08x", sa->spi);
	if (ev->reason)
		printf(" reason %s", reason_name(ev->reason));
	if (ev->cmd == ESPTUN_CMD_EV_UNKNOWN_SPI) {
		/* For a stray packet the remote side is who sent it. */
		printf(" peer %s", addr_str(&sa->remote, buf, sizeof(buf)));
		printf(" local %s", addr_str(&sa->local, buf, sizeof(buf)));
	} else {
		if (sa->local.family)
			printf(" local %s",
			       addr_str(&sa->local, buf, sizeof(buf)));
		if (sa->remote.family)
			printf(" remote %s",
			       addr_str(&sa->remote, buf, sizeof(buf)));
	}
	if (sa->has & BIT(ESPTUN_SA_A_ENCAP)) {
		if (sa->encap == ESPTUN_ENCAP_UDP)
			printf(" encap espinudp sport %u dport %u", sa->sport,
			       sa->dport);
		else
			printf(" encap none");
	}
	if (sa->has & BIT(ESPTUN_SA_A_SELECTOR))
		printf(" sel %s", sel_str(&sa->sel, buf, sizeof(buf)));
	if (sa->stats_has) {
		printf(" counters ");
		print_stats(stdout, sa->stats_has, sa->stats);
	}
	printf("\n");
}

static void json_event(const struct etevent *ev)
{
	const struct etsa *sa = &ev->sa;
	struct json j;

	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_str(&j, "event", event_name(ev->cmd));
	if (sa->ifindex) {
		json_str(&j, "ifname", sa->ifname);
		json_u64(&j, "ifindex", sa->ifindex);
	}
	if (sa->has & BIT(ESPTUN_SA_A_DIR))
		json_str(&j, "dir", dir_name(sa->dir));
	if (sa->has & BIT(ESPTUN_SA_A_SPI))
		json_spi(&j, sa->spi);
	if (ev->reason)
		json_str(&j, "reason", reason_name(ev->reason));
	json_addr(&j, "local", &sa->local);
	json_addr(&j, "remote", &sa->remote);
	if (sa->has & BIT(ESPTUN_SA_A_ENCAP)) {
		json_str(&j, "encap", sa->encap == ESPTUN_ENCAP_UDP ?
					      "espinudp" : "none");
		if (sa->encap == ESPTUN_ENCAP_UDP) {
			json_u64(&j, "sport", sa->sport);
			json_u64(&j, "dport", sa->dport);
		}
	}
	if (sa->has & BIT(ESPTUN_SA_A_SELECTOR))
		json_sel(&j, "selector", &sa->sel);
	if (sa->stats_has)
		json_stats(&j, "stats", sa->stats_has, sa->stats);
	json_obj_close(&j);
	json_end(&j);
}

static int print_event(const struct etevent *ev, void *arg)
{
	if (*(int *)arg)
		json_event(ev);
	else
		text_event(ev);
	/* A reader gone away (closed pipe) ends the monitor. */
	return fflush(stdout) ? -1 : 0;
}

int cmd_monitor(int argc, char **argv, int json)
{
	sigset_t waitmask;
	struct args a;
	int ret;

	args_init(&a, argc, argv, "monitor", usage);
	if (is_help(args_peek(&a)))
		return usage_help(usage);
	if (args_more(&a) && !strcmp(args_peek(&a), "-j")) {
		json = 1;
		args_next(&a);
	}
	if (args_more(&a))
		return usage_error(&a, "unexpected argument \"%s\"",
				   args_peek(&a));

	stop_signals(&stop, &waitmask);
	if (ipc_open("monitor") < 0)
		return 1;
	ret = ipc_monitor(print_event, &json, &stop, &waitmask) < 0 ? 1 : 0;
	ipc_close();
	return ret;
}
