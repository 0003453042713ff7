// SPDX-License-Identifier: GPL-2.0
/*
 * esptun [-j] show [DEV]: every esptun device of the namespace (or one),
 * then its SAs. Everything is read first and printed sorted, so the output
 * does not depend on the kernel's hash order. Keys are never shown: the
 * kernel does not send them, and ipc.c would drop them if it did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "ipc.h"
#include "json.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] = "esptun [-j] show [DEV]";

static void print_time(const char *label, uint64_t t, time_t now)
{
	char buf[64];
	time_t tt = t;
	struct tm tm;

	if (!t) {
		printf("  %s: never\n", label);
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if ((time_t)t <= now)
		printf("  %s: %s (%lld second%s ago)\n", label, buf,
		       (long long)(now - (time_t)t),
		       now - (time_t)t == 1 ? "" : "s");
	else
		printf("  %s: %s\n", label, buf);
}

static void print_encap(uint8_t encap, uint64_t has_sport, uint16_t sport,
			uint64_t has_dport, uint16_t dport, const char *udp)
{
	if (encap != ESPTUN_ENCAP_UDP) {
		printf("  encap: none\n");
		return;
	}
	printf("  encap: %s", udp);
	if (has_sport)
		printf(" sport %u", sport);
	if (has_dport)
		printf(" dport %u", dport);
	printf("\n");
}

static void print_sa(const struct etsa *sa, time_t now)
{
	char buf[256];

#define H(a)	(sa->has & BIT(ESPTUN_SA_A_##a))
	printf("\nsa: %s spi 0x%08x\n", dir_name(sa->dir), sa->spi);
	if (H(STATE))
		printf("  state: %s\n", state_name(sa->state));
	/* An SPI reservation has no keys, no peer and no traffic yet. */
	if (H(STATE) && sa->state == ESPTUN_SA_STATE_RESERVED) {
		printf("  local: %s\n", addr_str(&sa->local, buf, sizeof(buf)));
		if (H(ADD_TIME))
			print_time("added", sa->add_time, now);
		return;
	}
	if (H(AUTH_ALG)) {
		printf("  enc: %s\n", sa->enc_alg);
		printf("  auth: %s trunc %u\n", sa->auth_alg, sa->icv_bits);
	} else if (H(ENC_ALG)) {
		printf("  aead: %s icv %u\n", sa->enc_alg, sa->icv_bits);
	}
	if (H(DRIVER))
		printf("  crypto: %s%s\n", sa->driver,
		       H(PARALLEL) && sa->parallel ? ", parallel" : "");
	printf("  local: %s\n", addr_str(&sa->local, buf, sizeof(buf)));
	printf("  remote: %s\n", addr_str(&sa->remote, buf, sizeof(buf)));
	if (H(ENCAP))
		print_encap(sa->encap, H(ENCAP_SPORT), sa->sport,
			    H(ENCAP_DPORT), sa->dport, "espinudp");
	if (H(REPLAY_WINDOW))
		printf("  replay-window: %u\n", sa->replay_window);
	printf("  esn: %s\n", H(ESN) ? "yes" : "no");
	if (H(SEQ))
		printf("  seq: %llu\n", (unsigned long long)sa->seq);
	if (H(OSEQ))
		printf("  oseq: %llu\n", (unsigned long long)sa->oseq);
	if (H(SELECTOR))
		printf("  selector: %s\n", sel_str(&sa->sel, buf, sizeof(buf)));
	printf("  lifetime soft: ");
	print_lifetime(stdout, sa, 0);
	printf("\n  lifetime hard: ");
	print_lifetime(stdout, sa, 1);
	printf("\n  counters: ");
	print_stats(stdout, sa->stats_has, sa->stats);
	printf("\n");
	if (H(ADD_TIME))
		print_time("added", sa->add_time, now);
	if (H(FIRST_USE))
		print_time("first use", sa->first_use, now);
	if (H(LAST_USE))
		print_time("last use", sa->last_use, now);
	/* Cisco's "remaining key lifetime": what each limit has left. */
	printf("  lifetime left: ");
	if (!print_lifetime_left(stdout, sa, now))
		printf("unlimited");
	printf("\n");
#undef H
}

/* The MSS clamp as "esptun set" takes it: off, auto or the MSS. */
static const char *mss_str(uint16_t mss, char *buf, size_t len)
{
	if (!mss)
		return "off";
	if (mss == ESPTUN_MSS_CLAMP_AUTO)
		return "auto";
	snprintf(buf, len, "%u", mss);
	return buf;
}

static void print_dev(const struct etdev *dev, const struct ipc_table *t,
		      time_t now)
{
	const struct etsa *sa = t->sas;
	char buf[IPADDR_STRLEN];
	size_t i;

#define H(a)	(dev->has & BIT(ESPTUN_DEV_A_##a))
	printf("device: %s\n", dev->ifname);
	printf("  local: %s\n", addr_str(&dev->local, buf, sizeof(buf)));
	printf("  remote: %s\n", addr_str(&dev->remote, buf, sizeof(buf)));
	print_encap(H(ENCAP) ? dev->encap : ESPTUN_ENCAP_NONE, H(ENCAP_SPORT),
		    dev->sport, H(ENCAP_DPORT), dev->dport, "udp");
	if (H(SA_COUNT))
		printf("  sas: %u\n", dev->sa_count);
	printf("  drops: ");
	print_stats(stdout, dev->stats_has, dev->stats);
	printf("\n");
	if (H(CARRIER))
		printf("  carrier: %s\n", dev->carrier ? "on" : "off");
	if (H(MSS_CLAMP))
		printf("  mss-clamp: %s\n",
		       mss_str(dev->mss_clamp, buf, sizeof(buf)));
	if (H(MTU_AUTO))
		printf("  mtu: %s\n", dev->mtu_auto ? "auto" : "fixed");
	if (H(PARALLEL))
		printf("  parallel: %s\n", dev->parallel ? "on" : "off");
#undef H
	for (i = 0; i < t->n_sas; i++)
		if (sa[i].ifindex == dev->ifindex)
			print_sa(&sa[i], now);
}

static void json_sa(struct json *j, const struct etsa *sa, time_t now)
{
#define H(a)	(sa->has & BIT(ESPTUN_SA_A_##a))
	json_obj_open(j, NULL);
	json_str(j, "dir", dir_name(sa->dir));
	json_spi(j, sa->spi);
	if (H(STATE))
		json_str(j, "state", state_name(sa->state));
	if (H(AUTH_ALG)) {
		json_bool(j, "aead", 0);
		json_str(j, "enc", sa->enc_alg);
		json_str(j, "auth", sa->auth_alg);
	} else {
		json_bool(j, "aead", 1);
		json_str(j, "enc", sa->enc_alg);
		json_null(j, "auth");
	}
	json_u64(j, "icv_bits", sa->icv_bits);
	if (H(DRIVER))
		json_str(j, "driver", sa->driver);
	if (H(PARALLEL))
		json_bool(j, "parallel", sa->parallel);
	json_addr(j, "local", &sa->local);
	json_addr(j, "remote", &sa->remote);
	json_str(j, "encap", sa->encap == ESPTUN_ENCAP_UDP ? "espinudp" :
							     "none");
	if (H(ENCAP_SPORT))
		json_u64(j, "sport", sa->sport);
	if (H(ENCAP_DPORT))
		json_u64(j, "dport", sa->dport);
	if (H(REPLAY_WINDOW))
		json_u64(j, "replay_window", sa->replay_window);
	json_bool(j, "esn", !!H(ESN));
	if (H(SEQ))
		json_u64(j, "seq", sa->seq);
	if (H(OSEQ))
		json_u64(j, "oseq", sa->oseq);
	if (H(SELECTOR))
		json_sel(j, "selector", &sa->sel);
	else
		json_null(j, "selector");
	json_lifetime(j, "lifetime", sa);
	json_lifetime_left(j, "lifetime_left", sa, now);
	json_stats(j, "stats", sa->stats_has, sa->stats);
	if (H(ADD_TIME))
		json_u64(j, "add_time", sa->add_time);
	if (H(FIRST_USE))
		json_u64(j, "first_use", sa->first_use);
	if (H(LAST_USE))
		json_u64(j, "last_use", sa->last_use);
	json_obj_close(j);
#undef H
}

static void json_dev(struct json *j, const struct etdev *dev,
		     const struct ipc_table *t, time_t now)
{
	const struct etsa *sa = t->sas;
	size_t i;

#define H(a)	(dev->has & BIT(ESPTUN_DEV_A_##a))
	json_obj_open(j, NULL);
	json_str(j, "ifname", dev->ifname);
	json_u64(j, "ifindex", dev->ifindex);
	json_addr(j, "local", &dev->local);
	json_addr(j, "remote", &dev->remote);
	json_str(j, "encap", H(ENCAP) && dev->encap == ESPTUN_ENCAP_UDP ?
				     "udp" : "none");
	if (H(ENCAP_SPORT))
		json_u64(j, "sport", dev->sport);
	if (H(ENCAP_DPORT))
		json_u64(j, "dport", dev->dport);
	if (H(CARRIER))
		json_bool(j, "carrier", dev->carrier);
	if (H(MSS_CLAMP)) {
		if (dev->mss_clamp == 0 ||
		    dev->mss_clamp == ESPTUN_MSS_CLAMP_AUTO)
			json_str(j, "mss_clamp", dev->mss_clamp ? "auto" :
								  "off");
		else
			json_u64(j, "mss_clamp", dev->mss_clamp);
	}
	if (H(MTU_AUTO))
		json_str(j, "mtu", dev->mtu_auto ? "auto" : "fixed");
	if (H(PARALLEL))
		json_bool(j, "parallel", dev->parallel);
	if (H(SA_COUNT))
		json_u64(j, "sa_count", dev->sa_count);
	json_stats(j, "stats", dev->stats_has, dev->stats);
#undef H
	json_arr_open(j, "sas");
	for (i = 0; i < t->n_sas; i++)
		if (sa[i].ifindex == dev->ifindex)
			json_sa(j, &sa[i], now);
	json_arr_close(j);
	json_obj_close(j);
}

int cmd_show(int argc, char **argv, int json)
{
	struct ipc_table t = { 0 };
	const char *name = NULL;
	uint32_t ifindex = 0;
	int ret = 1;
	struct args a;
	struct json j;
	time_t now;
	size_t i;

	args_init(&a, argc, argv, "show", usage);
	if (is_help(args_peek(&a)))
		return usage_help(usage);
	if (args_more(&a) && !strcmp(args_peek(&a), "-j")) {
		json = 1;
		args_next(&a);
	}
	if (args_more(&a) && arg_dev(&a, args_next(&a), &name))
		return EXIT_USAGE;
	if (args_more(&a))
		return usage_error(&a, "unexpected argument \"%s\"",
				   args_peek(&a));

	if (name && dev_index("show", name, &ifindex))
		return 1;
	if (ipc_open("show") < 0)
		return 1;
	if (ipc_table_read(ifindex, &t) < 0)
		goto out;
	now = time(NULL);
	if (json) {
		json_init(&j, stdout);
		json_arr_open(&j, NULL);
		for (i = 0; i < t.n_devs; i++)
			json_dev(&j, &t.devs[i], &t, now);
		json_arr_close(&j);
		json_end(&j);
	} else {
		for (i = 0; i < t.n_devs; i++) {
			if (i)
				printf("\n");
			print_dev(&t.devs[i], &t, now);
		}
	}
	ret = fflush(stdout) ? 1 : 0;
out:
	ipc_close();
	ipc_table_free(&t);
	return ret;
}
