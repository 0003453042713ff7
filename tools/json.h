/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer for "-j" output: it tracks nesting so
 * commas come out right, and escapes every string it writes.
 */
#ifndef ESPTUN_JSON_H
#define ESPTUN_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	16

struct json {
	FILE *f;
	int depth;
	int count[JSON_MAX_DEPTH];	/* members written at each level */
};

void json_init(struct json *j, FILE *f);
/* @key is NULL inside arrays and at the top level. */
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, int val);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline and flushes it. */
void json_end(struct json *j);

#endif /* ESPTUN_JSON_H */
