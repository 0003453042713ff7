// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON forms of esptun values. Human names use dashes as ip-xfrm
 * does ("icv-fail"), JSON keys underscores ("icv_fail") so they can be
 * used as identifiers; both come from one table.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "util.h"

static const char *const stat_names[][2] = {
	[ESPTUN_STAT_PACKETS] = { "packets", "packets" },
	[ESPTUN_STAT_BYTES] = { "bytes", "bytes" },
	[ESPTUN_STAT_REPLAY] = { "replay", "replay" },
	[ESPTUN_STAT_ICV_FAIL] = { "icv-fail", "icv_fail" },
	[ESPTUN_STAT_SELECTOR] = { "selector", "selector" },
	[ESPTUN_STAT_FORMAT] = { "format", "format" },
	[ESPTUN_STAT_NO_SA] = { "no-sa", "no_sa" },
	[ESPTUN_STAT_SEQ_EXHAUSTED] = { "seq-exhausted", "seq_exhausted" },
	[ESPTUN_STAT_NO_ROUTE] = { "no-route", "no_route" },
	[ESPTUN_STAT_MTU] = { "mtu", "mtu" },
	[ESPTUN_STAT_UNKNOWN_SPI] = { "unknown-spi", "unknown_spi" },
	[ESPTUN_STAT_EXPIRED] = { "expired", "expired" },
	[ESPTUN_STAT_CRYPTO_BUSY] = { "crypto-busy", "crypto_busy" },
};

static const char *const lt_names[][2] = {
	[ESPTUN_LT_A_SOFT_BYTES] = { "bytes", "bytes" },
	[ESPTUN_LT_A_SOFT_PACKETS] = { "packets", "packets" },
	[ESPTUN_LT_A_SOFT_ADD_SECONDS] = { "add-seconds", "add_seconds" },
	[ESPTUN_LT_A_SOFT_USE_SECONDS] = { "use-seconds", "use_seconds" },
	[ESPTUN_LT_A_HARD_BYTES] = { "bytes", "bytes" },
	[ESPTUN_LT_A_HARD_PACKETS] = { "packets", "packets" },
	[ESPTUN_LT_A_HARD_ADD_SECONDS] = { "add-seconds", "add_seconds" },
	[ESPTUN_LT_A_HARD_USE_SECONDS] = { "use-seconds", "use_seconds" },
};

const char *dir_name(uint8_t dir)
{
	return dir == ESPTUN_DIR_IN ? "in" : dir == ESPTUN_DIR_OUT ? "out" :
								     "unknown";
}

const char *state_name(uint8_t state)
{
	switch (state) {
	case ESPTUN_SA_STATE_RESERVED:
		return "reserved";
	case ESPTUN_SA_STATE_VALID:
		return "valid";
	case ESPTUN_SA_STATE_SOFT_EXPIRED:
		return "soft-expired";
	case ESPTUN_SA_STATE_HARD_EXPIRED:
		return "hard-expired";
	}
	return "unknown";
}

const char *reason_name(uint8_t reason)
{
	switch (reason) {
	case ESPTUN_EXPIRE_BYTES:
		return "bytes";
	case ESPTUN_EXPIRE_PACKETS:
		return "packets";
	case ESPTUN_EXPIRE_ADD_SECONDS:
		return "add-seconds";
	case ESPTUN_EXPIRE_USE_SECONDS:
		return "use-seconds";
	case ESPTUN_EXPIRE_SEQ_EXHAUSTED:
		return "seq-exhausted";
	}
	return "unknown";
}

const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case ESPTUN_CMD_EV_SOFT_EXPIRE:
		return "soft-expire";
	case ESPTUN_CMD_EV_HARD_EXPIRE:
		return "hard-expire";
	case ESPTUN_CMD_EV_ACQUIRE:
		return "acquire";
	case ESPTUN_CMD_EV_UNKNOWN_SPI:
		return "unknown-spi";
	case ESPTUN_CMD_EV_REMOTE_MOVED:
		return "remote-moved";
	}
	return "unknown";
}

/* Room for "FIRST-LAST" of IPv6. */
#define SEL_SIDE_STRLEN	(2 * IPADDR_STRLEN)

/* "10.1.0.0/16", or "10.1.0.5-10.1.0.20" when end is set. */
static void prefix_str(const struct ipaddr *a, uint8_t plen,
		       const struct ipaddr *end, char *buf, size_t size)
{
	char ab[IPADDR_STRLEN], eb[IPADDR_STRLEN];

	if (!a->family)
		snprintf(buf, size, "any");
	else if (end->family)
		snprintf(buf, size, "%s-%s", addr_str(a, ab, sizeof(ab)),
			 addr_str(end, eb, sizeof(eb)));
	else
		snprintf(buf, size, "%s/%u", addr_str(a, ab, sizeof(ab)),
			 plen);
}

const char *sel_str(const struct etsel *sel, char *buf, size_t size)
{
	char src[SEL_SIDE_STRLEN], dst[SEL_SIDE_STRLEN];
	const char *pname = proto_name(sel->proto);
	size_t n;

	prefix_str(&sel->src, sel->src_plen, &sel->src_end, src, sizeof(src));
	prefix_str(&sel->dst, sel->dst_plen, &sel->dst_end, dst, sizeof(dst));
	if (pname)
		n = snprintf(buf, size, "src %s dst %s proto %s", src, dst,
			     pname);
	else
		n = snprintf(buf, size, "src %s dst %s proto %u", src, dst,
			     sel->proto);
	if (sel->sport && n < size)
		n += snprintf(buf + n, size - n, " sport %u", sel->sport);
	if (sel->dport && n < size)
		snprintf(buf + n, size - n, " dport %u", sel->dport);
	return buf;
}

void print_stats(FILE *f, uint64_t has, const uint64_t *stats)
{
	const char *sep = "";
	size_t i;

	for (i = 1; i < ARRAY_SIZE(stat_names); i++) {
		if (!(has & BIT(i)) || !stat_names[i][0])
			continue;
		fprintf(f, "%s%s %llu", sep, stat_names[i][0],
			(unsigned long long)stats[i]);
		sep = ", ";
	}
	if (!*sep)
		fputs("none", f);
}

void print_lifetime(FILE *f, const struct etsa *sa, int hard)
{
	int first = hard ? ESPTUN_LT_A_HARD_BYTES : ESPTUN_LT_A_SOFT_BYTES;
	const char *sep = "";
	int i;

	for (i = first; i < first + 4; i++) {
		if (!(sa->lt_has & BIT(i)) || !sa->lifetime[i])
			continue;
		fprintf(f, "%s%s %llu", sep, lt_names[i][0],
			(unsigned long long)sa->lifetime[i]);
		sep = ", ";
	}
	if (!*sep)
		fputs("none", f);
}

static uint64_t sa_stat(const struct etsa *sa, int i)
{
	return sa->stats_has & BIT(i) ? sa->stats[i] : 0;
}

/* What is left below limit: never more than the limit (a clock behind
 * the SA's start), and at most INT64_MAX, which -1 leaves free as "none".
 */
static int64_t below(uint64_t limit, uint64_t used)
{
	uint64_t v = used >= limit ? 0 : limit - used;

	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Seconds left of lim counted from start; a deadline past 2^64 is never. */
static int64_t secs_left(uint64_t start, uint64_t lim, time_t now)
{
	uint64_t n = now < 0 ? 0 : (uint64_t)now;

	if (lim > UINT64_MAX - start)
		return below(lim, 0);
	if (n < start)
		n = start;
	return below(start + lim, n);
}

void lifetime_left(const struct etsa *sa, time_t now, int64_t *left)
{
	int i, soft;

	for (i = ESPTUN_LT_A_SOFT_BYTES; i <= ESPTUN_LT_A_HARD_USE_SECONDS;
	     i++) {
		uint64_t lim = sa->lt_has & BIT(i) ? sa->lifetime[i] : 0;

		left[i] = -1;
		if (!lim)
			continue;
		/* Soft and hard limits come in the same order of kinds. */
		soft = i - (i >= ESPTUN_LT_A_HARD_BYTES ?
			    ESPTUN_LT_A_HARD_BYTES : ESPTUN_LT_A_SOFT_BYTES);
		switch (soft) {
		case 0:
			left[i] = below(lim, sa_stat(sa, ESPTUN_STAT_BYTES));
			break;
		case 1:
			left[i] = below(lim, sa_stat(sa, ESPTUN_STAT_PACKETS));
			break;
		case 2:
			left[i] = secs_left(sa->add_time, lim, now);
			break;
		default:
			left[i] = sa->first_use ?
				  secs_left(sa->first_use, lim, now) :
				  below(lim, 0);
		}
	}
}

int print_lifetime_left(FILE *f, const struct etsa *sa, time_t now)
{
	int64_t left[ESPTUN_LT_A_MAX + 1];
	const char *group = "";
	int hard, i, first;

	lifetime_left(sa, now, left);
	for (hard = 0; hard < 2; hard++) {
		const char *sep = "";

		first = hard ? ESPTUN_LT_A_HARD_BYTES : ESPTUN_LT_A_SOFT_BYTES;
		for (i = first; i < first + 4; i++) {
			if (left[i] < 0)
				continue;
			fprintf(f, "%s%s%s %lld", *sep ? sep : group,
				*sep ? "" : hard ? "hard " : "soft ",
				lt_names[i][0], (long long)left[i]);
			if (i == first + 3 && !sa->first_use)
				fputs(" (unused)", f);
			sep = ", ";
		}
		if (*sep)
			group = "; ";
	}
	return *group != 0;
}

void json_addr(struct json *j, const char *key, const struct ipaddr *a)
{
	char buf[IPADDR_STRLEN];

	if (a->family)
		json_str(j, key, addr_str(a, buf, sizeof(buf)));
	else
		json_null(j, key);
}

static void json_prefix(struct json *j, const char *key,
			const struct ipaddr *a, uint8_t plen,
			const struct ipaddr *end)
{
	char buf[SEL_SIDE_STRLEN];

	prefix_str(a, plen, end, buf, sizeof(buf));
	if (a->family)
		json_str(j, key, buf);
	else
		json_null(j, key);
}

void json_sel(struct json *j, const char *key, const struct etsel *sel)
{
	json_obj_open(j, key);
	json_prefix(j, "src", &sel->src, sel->src_plen, &sel->src_end);
	json_prefix(j, "dst", &sel->dst, sel->dst_plen, &sel->dst_end);
	json_u64(j, "proto", sel->proto);
	json_u64(j, "sport", sel->sport);
	json_u64(j, "dport", sel->dport);
	json_obj_close(j);
}

void json_stats(struct json *j, const char *key, uint64_t has,
		const uint64_t *stats)
{
	size_t i;

	json_obj_open(j, key);
	for (i = 1; i < ARRAY_SIZE(stat_names); i++)
		if (has & BIT(i) && stat_names[i][1])
			json_u64(j, stat_names[i][1], stats[i]);
	json_obj_close(j);
}

void json_lifetime(struct json *j, const char *key,
		   const struct etsa *sa)
{
	int i;

	json_obj_open(j, key);
	json_obj_open(j, "soft");
	for (i = ESPTUN_LT_A_SOFT_BYTES; i <= ESPTUN_LT_A_SOFT_USE_SECONDS; i++)
		json_u64(j, lt_names[i][1],
			 sa->lt_has & BIT(i) ? sa->lifetime[i] : 0);
	json_obj_close(j);
	json_obj_open(j, "hard");
	for (i = ESPTUN_LT_A_HARD_BYTES; i <= ESPTUN_LT_A_HARD_USE_SECONDS; i++)
		json_u64(j, lt_names[i][1],
			 sa->lt_has & BIT(i) ? sa->lifetime[i] : 0);
	json_obj_close(j);
	json_obj_close(j);
}

void json_lifetime_left(struct json *j, const char *key,
			const struct etsa *sa, time_t now)
{
	int64_t left[ESPTUN_LT_A_MAX + 1];
	int hard, i, first;

	lifetime_left(sa, now, left);
	json_obj_open(j, key);
	for (hard = 0; hard < 2; hard++) {
		first = hard ? ESPTUN_LT_A_HARD_BYTES : ESPTUN_LT_A_SOFT_BYTES;
		json_obj_open(j, hard ? "hard" : "soft");
		for (i = first; i < first + 4; i++)
			if (left[i] < 0)
				json_null(j, lt_names[i][1]);
			else
				json_u64(j, lt_names[i][1], left[i]);
		json_obj_close(j);
	}
	json_obj_close(j);
}

void json_spi(struct json *j, uint32_t spi)
{
	char hex[16];

	snprintf(hex, sizeof(hex), "0x%08x", spi);
	json_u64(j, "spi", spi);
	json_str(j, "spi_hex", hex);
}
