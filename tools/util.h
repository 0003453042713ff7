/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Argument parsing shared by the subcommands: ports, hex keys, protocols,
 * and the usage-error convention (exit code 2).
 */
#ifndef ESPTUN_UTIL_H
#define ESPTUN_UTIL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define EXIT_USAGE	2

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The CLI's own parsers (addresses and numbers are parse.h's). Each returns
 * NULL on success, or why the text was refused.
 */
const char *parse_port(const char *s, int zero_ok, uint16_t *out);
const char *parse_key(const char *s, uint8_t *key, size_t max, size_t *len);
const char *parse_proto(const char *s, uint8_t *proto);

const char *proto_name(uint8_t proto);

/*
 * Walks the words of a command line. Every subcommand reports a bad word
 * through it, so every usage error looks the same:
 *   esptun: <cmd>: <what is wrong>
 *   Usage: <usage line>
 */
struct args {
	int argc;
	char **argv;
	int i;
	const char *cmd;	/* "sa add" */
	const char *usage;	/* without "Usage: " */
};

void args_init(struct args *a, int argc, char **argv, const char *cmd,
	       const char *usage);
int args_more(const struct args *a);
const char *args_peek(const struct args *a);
const char *args_next(struct args *a);
/* The value after keyword @kw, or NULL after printing a usage error. */
const char *args_value(struct args *a, const char *kw);

int usage_error(const struct args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints the usage line to stdout: the answer to "CMD help". */
int usage_help(const char *usage);
int is_help(const char *word);

/*
 * Value parsers bound to a command line: on failure they print
 * 'bad <what> "<text>": <why>' as a usage error and return EXIT_USAGE.
 */
int arg_u64(struct args *a, const char *what, const char *s, uint64_t max,
	    uint64_t *out);
int arg_u32(struct args *a, const char *what, const char *s, uint32_t max,
	    uint32_t *out);
int arg_port(struct args *a, const char *what, const char *s, int zero_ok,
	     uint16_t *out);
int arg_addr(struct args *a, const char *what, const char *s,
	     struct ipaddr *out);
int arg_dev(struct args *a, const char *s, const char **name);

/* Resolves a device name in this namespace; prints and returns 1 if absent. */
int dev_index(const char *cmd, const char *name, uint32_t *ifindex);

/*
 * For commands that run until SIGINT or SIGTERM: both set *stop and stay
 * blocked outside the wait, so none is lost between a check of *stop and
 * the wait; *waitmask is the mask to wait with (ppoll/pselect).
 */
void stop_signals(volatile sig_atomic_t *stop, sigset_t *waitmask);

#endif /* ESPTUN_UTIL_H */
