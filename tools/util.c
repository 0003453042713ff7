// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing for the esptun CLI. Everything here is strict: a value
 * is either fully understood or refused with a reason, so nothing half
 * parsed ever reaches the kernel.
 */
#include <ctype.h>
#include <net/if.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

const char *parse_port(const char *s, int zero_ok, uint16_t *out)
{
	uint32_t v;
	const char *why = parse_u32(s, 65535, &v);

	if (why)
		return why;
	if (!v && !zero_ok)
		return "port 0 is not a port";
	*out = v;
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

const char *parse_key(const char *s, uint8_t *key, size_t max, size_t *len)
{
	static char toolong[64];
	size_t n, i;

	if (!*s) {
		*len = 0;
		return NULL;
	}
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return "a key is 0x followed by hex digits, or \"\" for none";
	s += 2;
	n = strlen(s);
	if (!n)
		return "no hex digits after 0x";
	for (i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return "not a hex digit in the key";
	if (n % 2)
		return "odd number of hex digits";
	if (n / 2 > max) {
		snprintf(toolong, sizeof(toolong),
			 "key longer than %zu bytes", max);
		return toolong;
	}
	for (i = 0; i < n / 2; i++)
		key[i] = hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]);
	*len = n / 2;
	return NULL;
}

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "any", 0 },
	{ "icmp", IPPROTO_ICMP },
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "gre", IPPROTO_GRE },
	{ "esp", IPPROTO_ESP },
	{ "ipv6-icmp", IPPROTO_ICMPV6 },
	{ "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP },
};

const char *parse_proto(const char *s, uint8_t *proto)
{
	uint32_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		if (!strcasecmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return NULL;
		}
	}
	if (parse_u32(s, 255, &v))
		return "not a protocol name (tcp, udp, icmp, ipv6-icmp, sctp, gre, any) or number 0-255";
	*proto = v;
	return NULL;
}

const char *proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

void args_init(struct args *a, int argc, char **argv, const char *cmd,
	       const char *usage)
{
	a->argc = argc;
	a->argv = argv;
	a->i = 1;	/* argv[0] is the subcommand itself */
	a->cmd = cmd;
	a->usage = usage;
}

int args_more(const struct args *a)
{
	return a->i < a->argc;
}

const char *args_peek(const struct args *a)
{
	return a->i < a->argc ? a->argv[a->i] : NULL;
}

const char *args_next(struct args *a)
{
	return a->i < a->argc ? a->argv[a->i++] : NULL;
}

const char *args_value(struct args *a, const char *kw)
{
	if (!args_more(a)) {
		usage_error(a, "missing value after \"%s\"", kw);
		return NULL;
	}
	return args_next(a);
}

int usage_error(const struct args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "esptun: %s: ", a->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nUsage: %s\n", a->usage);
	return EXIT_USAGE;
}

int usage_help(const char *usage)
{
	printf("Usage: %s\n", usage);
	return 0;
}

int is_help(const char *word)
{
	return word && (!strcmp(word, "help") || !strcmp(word, "--help") ||
			!strcmp(word, "-h"));
}

int arg_u64(struct args *a, const char *what, const char *s, uint64_t max,
	    uint64_t *out)
{
	const char *why = parse_u64(s, max, out);

	return why ? usage_error(a, "bad %s \"%s\": %s", what, s, why) : 0;
}

int arg_u32(struct args *a, const char *what, const char *s, uint32_t max,
	    uint32_t *out)
{
	const char *why = parse_u32(s, max, out);

	return why ? usage_error(a, "bad %s \"%s\": %s", what, s, why) : 0;
}

int arg_port(struct args *a, const char *what, const char *s, int zero_ok,
	     uint16_t *out)
{
	const char *why = parse_port(s, zero_ok, out);

	return why ? usage_error(a, "bad %s \"%s\": %s", what, s, why) : 0;
}

int arg_addr(struct args *a, const char *what, const char *s,
	     struct ipaddr *out)
{
	const char *why = parse_addr(s, out);

	return why ? usage_error(a, "bad %s \"%s\": %s", what, s, why) : 0;
}

int arg_dev(struct args *a, const char *s, const char **name)
{
	if (!s)
		return usage_error(a, "missing device name");
	if (!*s || strlen(s) >= IF_NAMESIZE || strchr(s, '/') ||
	    strchr(s, ' '))
		return usage_error(a, "bad device name \"%s\"", s);
	*name = s;
	return 0;
}

int dev_index(const char *cmd, const char *name, uint32_t *ifindex)
{
	*ifindex = if_nametoindex(name);
	if (!*ifindex) {
		fprintf(stderr, "esptun: %s: device \"%s\" not found\n", cmd,
			name);
		return 1;
	}
	return 0;
}

static volatile sig_atomic_t *stop_flag;

static void on_stop_signal(int sig)
{
	*stop_flag = 1;
}

void stop_signals(volatile sig_atomic_t *stop, sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	stop_flag = stop;
	/* No SA_RESTART: the signal must interrupt the wait. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
}
