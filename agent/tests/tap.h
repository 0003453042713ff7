/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for the agent's host unit tests: the counts are
 * read by tools/check.sh, so every assertion is one numbered line.
 */
#ifndef ESPTUND_TAP_H
#define ESPTUND_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_plan_lazy(void)
{
	if (!tap_n)
		printf("TAP version 13\n");
}

#define ok(cond, ...) do {						\
	int _c = !!(cond);						\
	tap_plan_lazy();						\
	printf("%sok %d - ", _c ? "" : "not ", ++tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!_c) {							\
		tap_failed++;						\
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__,	\
		       #cond);						\
	}								\
} while (0)

#define is_int(got, want, ...) do {					\
	long long _g = (got), _w = (want);				\
	ok(_g == _w, __VA_ARGS__);					\
	if (_g != _w)							\
		printf("#   got %lld, want %lld\n", _g, _w);		\
} while (0)

#define is_mem(got, want, len, ...) do {				\
	const unsigned char *_g = (const void *)(got);			\
	const unsigned char *_w = (const void *)(want);			\
	size_t _l = (len), _i;						\
	int _eq = !memcmp(_g, _w, _l);					\
	ok(_eq, __VA_ARGS__);						\
	if (!_eq) {							\
		printf("#   got  ");					\
		for (_i = 0; _i < _l; _i++)				\
			printf("%02x", _g[_i]);				\
		printf("\n#   want ");					\
		for (_i = 0; _i < _l; _i++)				\
			printf("%02x", _w[_i]);				\
		printf("\n");						\
	}								\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *_g = (got), *_w = (want);				\
	int _eq = _g && _w && !strcmp(_g, _w);				\
	ok(_eq, __VA_ARGS__);						\
	if (!_eq)							\
		printf("#   got '%s', want '%s'\n", _g ? _g : "(null)",	\
		       _w ? _w : "(null)");				\
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
