/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptund logging: one place decides level, destination and rate limits,
 * so protocol code just says what happened.
 */
#ifndef ESPTUND_LOG_H
#define ESPTUND_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Parse "error|warning|info|debug"; returns -1 for anything else. */
int log_level_parse(const char *s);
/* Send lines to syslog instead of stderr (daemon mode). */
void log_use_syslog(int on);
/* Redirect to a caller-provided sink (tests capture log lines this way). */
void log_set_sink(void (*sink)(enum log_level lvl, const char *line, void *arg),
		  void *arg);

void log_printf(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vprintf(enum log_level lvl, const char *fmt, va_list ap);

/*
 * Rate-limited lines, for events anyone can trigger with one datagram
 * (malformed or unauthenticated input): each call site (its format) may
 * log LOG_RATE_BURST lines per LOG_RATE_WINDOW_MS, then one line says
 * how many were suppressed.
 */
#define LOG_RATE_BURST		20
#define LOG_RATE_WINDOW_MS	5000

void log_rl_printf(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Forget all counts (tests start each scenario afresh). */
void log_rate_reset(void);

#define log_err(...)	log_printf(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_printf(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...)	log_printf(LOG_LVL_INFO, __VA_ARGS__)
#define log_dbg(...)	log_printf(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_err_rl(...)		log_rl_printf(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn_rl(...)	log_rl_printf(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info_rl(...)	log_rl_printf(LOG_LVL_INFO, __VA_ARGS__)

#endif
