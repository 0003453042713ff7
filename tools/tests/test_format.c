// SPDX-License-Identifier: GPL-2.0
/*
 * What `esptun show` says is left of an SA's lifetime, in text and JSON:
 * each limit against the SA's counters and clock, limits passed at 0, a
 * use-seconds limit whole until first use, no line parts without limits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "util.h"

static int n, failed;

static void ok(int cond, const char *name)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, name);
	if (!cond)
		failed = 1;
}

static void text_is(const struct etsa *sa, time_t now, const char *want,
		    const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = print_lifetime_left(f, sa, now);

	fclose(f);
	ok(!strcmp(buf, want) && r == !!*want, name);
	if (strcmp(buf, want))
		printf("# got \"%s\", want \"%s\"\n", buf, want);
	free(buf);
}

static void json_has(const struct etsa *sa, time_t now, const char *want,
		     const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	json_lifetime_left(&j, NULL, sa, now);
	json_end(&j);
	fclose(f);
	ok(strstr(buf, want) != NULL, name);
	if (!strstr(buf, want))
		printf("# got %s# want %s\n", buf, want);
	free(buf);
}

static void limit(struct etsa *sa, int i, uint64_t v)
{
	sa->lt_has |= BIT(i);
	sa->lifetime[i] = v;
}

static void used(struct etsa *sa, uint64_t packets, uint64_t bytes)
{
	sa->stats_has |= BIT(ESPTUN_STAT_PACKETS) | BIT(ESPTUN_STAT_BYTES);
	sa->stats[ESPTUN_STAT_PACKETS] = packets;
	sa->stats[ESPTUN_STAT_BYTES] = bytes;
}

int main(void)
{
	const time_t now = 1800000000;
	int64_t left[ESPTUN_LT_A_MAX + 1];
	struct etsa sa = { .add_time = now - 1 };
	int i, all_none = 1;

	lifetime_left(&sa, now, left);
	for (i = ESPTUN_LT_A_SOFT_BYTES; i <= ESPTUN_LT_A_HARD_USE_SECONDS; i++)
		all_none &= left[i] == -1;
	ok(all_none, "no limits: every kind is -1");
	text_is(&sa, now, "", "no limits: nothing written, 0 returned");

	/* A zero limit is no limit, as the module reports it. */
	limit(&sa, ESPTUN_LT_A_HARD_BYTES, 0);
	text_is(&sa, now, "", "a zero limit is no limit");

	limit(&sa, ESPTUN_LT_A_SOFT_BYTES, 1000000);
	limit(&sa, ESPTUN_LT_A_HARD_PACKETS, 5000);
	limit(&sa, ESPTUN_LT_A_HARD_ADD_SECONDS, 3600);
	used(&sa, 3, 252);
	text_is(&sa, now, "soft bytes 999748; hard packets 4997, add-seconds 3599",
		"soft and hard against counters and the add time");
	json_has(&sa, now, "{\"soft\":{\"bytes\":999748,\"packets\":null,"
		 "\"add_seconds\":null,\"use_seconds\":null},\"hard\":{"
		 "\"bytes\":null,\"packets\":4997,\"add_seconds\":3599,"
		 "\"use_seconds\":null}}", "JSON: values and nulls");

	used(&sa, 6000, 2000000);
	text_is(&sa, now + 4000, "soft bytes 0; hard packets 0, add-seconds 0",
		"limits passed: 0, not negative or wrapped");

	memset(&sa, 0, sizeof(sa));
	sa.add_time = now - 10;
	limit(&sa, ESPTUN_LT_A_HARD_USE_SECONDS, 600);
	text_is(&sa, now, "hard use-seconds 600 (unused)",
		"use-seconds before first use: all of it");
	sa.first_use = now - 100;
	text_is(&sa, now, "hard use-seconds 500",
		"use-seconds counts from the first use");
	limit(&sa, ESPTUN_LT_A_SOFT_ADD_SECONDS, 30);
	text_is(&sa, now, "soft add-seconds 20; hard use-seconds 500",
		"soft add-seconds counts from the add time");

	/* Limits the CLI takes up to 2^64-1: no wrap, no "unlimited". */
	memset(&sa, 0, sizeof(sa));
	sa.add_time = now - 10;
	limit(&sa, ESPTUN_LT_A_HARD_ADD_SECONDS, UINT64_MAX);
	limit(&sa, ESPTUN_LT_A_HARD_BYTES, UINT64_MAX);
	used(&sa, 1, 100);
	text_is(&sa, now, "hard bytes 9223372036854775807, add-seconds "
		"9223372036854775807", "limits near 2^64: capped, not wrapped");
	/* A wall clock behind the SA's add time: never more than the limit. */
	memset(&sa, 0, sizeof(sa));
	sa.add_time = now + 50;
	limit(&sa, ESPTUN_LT_A_HARD_ADD_SECONDS, 60);
	text_is(&sa, now, "hard add-seconds 60",
		"clock behind the add time: the whole limit, no more");

	printf("1..%d\n", n);
	return failed;
}
