// SPDX-License-Identifier: GPL-2.0
/*
 * esptund logging. Lines go to stderr (foreground), syslog (daemon) or a
 * sink installed by tests. Callers must never pass key material here.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;
static int to_syslog;
static void (*sink_fn)(enum log_level, const char *, void *);
static void *sink_arg;

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

int log_level_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(s, level_names[i]))
			return (int)i;
	return -1;
}

void log_use_syslog(int on)
{
	to_syslog = on;
	if (on)
		openlog("esptund", LOG_PID, LOG_DAEMON);
}

void log_set_sink(void (*sink)(enum log_level, const char *, void *), void *arg)
{
	sink_fn = sink;
	sink_arg = arg;
}

void log_vprintf(enum log_level lvl, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];

	if (lvl > cur_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (sink_fn) {
		sink_fn(lvl, line, sink_arg);
		return;
	}
	if (to_syslog) {
		syslog(prio[lvl], "%s", line);
		return;
	}
	{
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s\n", stamp, ts.tv_nsec / 1000000,
			level_names[lvl], line);
	}
}

/*
 * One slot per call site, found by its format string's address; sites
 * whose addresses hash alike probe on, so one cannot reset another's
 * count. Only more sites than slots would share one.
 */
#define RATE_SLOTS	64

static struct rate_slot {
	const char *fmt;
	uint64_t start_ms;
	unsigned int n, suppressed;
	enum log_level lvl;
} rate[RATE_SLOTS];

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void rate_flush(struct rate_slot *r)
{
	if (r->suppressed)
		log_printf(r->lvl, "%u more lines like \"%s\" suppressed",
			   r->suppressed, r->fmt);
	r->suppressed = 0;
}

void log_rate_reset(void)
{
	memset(rate, 0, sizeof(rate));
}

static struct rate_slot *rate_slot(const char *fmt)
{
	unsigned int h = ((uintptr_t)fmt >> 2) % RATE_SLOTS, i;
	struct rate_slot *r;

	for (i = 0; i < RATE_SLOTS; i++) {
		r = &rate[(h + i) % RATE_SLOTS];
		if (r->fmt == fmt || !r->fmt)
			return r;
	}
	return &rate[h];
}

void log_rl_printf(enum log_level lvl, const char *fmt, ...)
{
	struct rate_slot *r = rate_slot(fmt);
	uint64_t now = mono_ms();
	va_list ap;

	if (lvl > cur_level)
		return;
	if (r->fmt != fmt || now - r->start_ms >= LOG_RATE_WINDOW_MS) {
		rate_flush(r);
		r->fmt = fmt;
		r->lvl = lvl;
		r->start_ms = now;
		r->n = 0;
	}
	if (r->n >= LOG_RATE_BURST) {
		r->suppressed++;
		return;
	}
	r->n++;
	va_start(ap, fmt);
	log_vprintf(lvl, fmt, ap);
	va_end(ap);
}

void log_printf(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(lvl, fmt, ap);
	va_end(ap);
}
