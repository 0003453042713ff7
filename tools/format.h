/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names and text forms of esptun values, shared by "show" and "monitor" so
 * a counter or a selector reads the same everywhere, in text and JSON.
 */
#ifndef ESPTUN_FORMAT_H
#define ESPTUN_FORMAT_H

#include <stdio.h>
#include <time.h>

#include "ipc.h"
#include "json.h"

const char *dir_name(uint8_t dir);
const char *state_name(uint8_t state);
const char *reason_name(uint8_t reason);
const char *event_name(uint8_t cmd);

/* "src 10.0.0.0/24 dst 10.0.1.0/24 proto tcp dport 443", or "any" */
const char *sel_str(const struct etsel *sel, char *buf, size_t size);
/* "packets 3, bytes 252, replay 0", the counters present, in uapi order */
void print_stats(FILE *f, uint64_t has, const uint64_t *stats);
/* "bytes 1000, add-seconds 30" for soft (0) or hard (1), or "none" */
void print_lifetime(FILE *f, const struct etsa *sa, int hard);

/*
 * What remains of each limit of sa at now, by ESPTUN_LT_A_* index: bytes
 * and packets below the limit, seconds until it (0 once reached); -1
 * where no limit is set. A use-seconds limit of an SA not used yet has
 * all of it left.
 */
void lifetime_left(const struct etsa *sa, time_t now, int64_t *left);
/* "soft bytes 999748; hard packets 4997, add-seconds 3599"; 0 when the
 * SA has no limit (nothing written), else 1.
 */
int print_lifetime_left(FILE *f, const struct etsa *sa, time_t now);

void json_addr(struct json *j, const char *key, const struct ipaddr *a);
void json_sel(struct json *j, const char *key, const struct etsel *sel);
void json_stats(struct json *j, const char *key, uint64_t has,
		const uint64_t *stats);
void json_lifetime(struct json *j, const char *key,
		   const struct etsa *sa);
/* {"soft": {"bytes": N or null, ...}, "hard": {...}}, as lifetime_left */
void json_lifetime_left(struct json *j, const char *key,
			const struct etsa *sa, time_t now);
void json_spi(struct json *j, uint32_t spi);

#endif /* ESPTUN_FORMAT_H */
