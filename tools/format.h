/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names and text forms of esptun values, shared by "show" and "monitor" so
 * a counter or a selector reads the same everywhere, in text and JSON.
 */
#ifndef ESPTUN_FORMAT_H
#define ESPTUN_FORMAT_H

#include <stdio.h>

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

void json_addr(struct json *j, const char *key, const struct ipaddr *a);
void json_sel(struct json *j, const char *key, const struct etsel *sel);
void json_stats(struct json *j, const char *key, uint64_t has,
		const uint64_t *stats);
void json_lifetime(struct json *j, const char *key,
		   const struct etsa *sa);
void json_spi(struct json *j, uint32_t spi);

#endif /* ESPTUN_FORMAT_H */
