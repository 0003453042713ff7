// SPDX-License-Identifier: GPL-2.0
/*
 * esptun: show and set esptun devices and their SAs. This file is only the
 * subcommand table; each subcommand lives in its own file.
 */
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "ike.h"
#include "subcommands.h"
#include "util.h"

static int cmd_help(int argc, char **argv, int json);

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, int json);
	const char *description;
} subcommands[] = {
	{ "show", cmd_show, "Show devices, their endpoints, SAs and counters" },
	{ "set", cmd_set, "Set a device's endpoints and encapsulation" },
	{ "sa", cmd_sa, "Add, update, delete or flush SAs; allocate an SPI" },
	{ "monitor", cmd_monitor, "Print events (expiry, acquire, unknown SPI) as they come" },
	{ "encap-listen", cmd_encap_listen, "Hold a UDP socket that hands ESP-in-UDP to the kernel" },
	{ "ike", cmd_ike, "Status and control of esptund's IKE connections" },
	{ "decode", cmd_decode, "Explain the IKE exchanges and ESP flows of a capture" },
	{ "diagnose", cmd_diagnose, "Name the likely cause of a conn's trouble" },
	{ "probe", cmd_probe, "Test UDP 500, UDP 4500 and ESP to a conn's peer" },
	{ "metrics", cmd_metrics, "Print every counter in the Prometheus text format" },
	{ "help", cmd_help, "Show this help, or a command's usage" },
};

#define N_SUBCOMMANDS	ARRAY_SIZE(subcommands)

static const char usage[] =
	"esptun [-j] COMMAND [ARGS...]\n       esptun [-j] [-force] -batch FILE";

static void list_commands(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s\n\nCommands:\n", usage);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-14s%s\n", subcommands[i].name,
			subcommands[i].description);
	fprintf(f, "\nOptions:\n  -j, --json    JSON output (show, monitor, sa alloc-spi, ike status, decode)\n"
		"  -b, -batch FILE\n"
		"                one COMMAND [ARGS...] per line of FILE (- for stdin),\n"
		"                '#' starts a comment; stops at the first failure\n"
		"  -force        with -batch: go on after a failed line\n"
		"\n\"esptun help COMMAND\" or \"esptun COMMAND help\" shows a command's usage.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int find(const char *name)
{
	size_t i;

	for (i = 0; i < N_SUBCOMMANDS; i++)
		if (!strcmp(subcommands[i].name, name))
			return i;
	return -1;
}

static int cmd_help(int argc, char **argv, int json)
{
	char *help_argv[] = { NULL, "help", NULL };
	int i;

	if (argc < 2 || !strcmp(argv[1], "help")) {
		list_commands(stdout);
		return 0;
	}
	i = find(argv[1]);
	if (i < 0) {
		fprintf(stderr, "esptun: help: unknown command \"%s\"\n",
			argv[1]);
		list_commands(stderr);
		return EXIT_USAGE;
	}
	/* "help sa add" asks "sa add help". */
	if (argc > 2) {
		char *sub_argv[] = { argv[1], argv[2], "help", NULL };

		return subcommands[i].fn(3, sub_argv, json);
	}
	help_argv[0] = argv[1];
	return subcommands[i].fn(2, help_argv, json);
}

/* A line of a batch: an unknown command is named, without the list. */
static int run_line(int argc, char **argv, int json)
{
	int i = find(argv[0]);

	if (i < 0) {
		fprintf(stderr, "esptun: unknown command \"%s\"\n", argv[0]);
		return EXIT_USAGE;
	}
	return subcommands[i].fn(argc, argv, json);
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	int json = 0, force = 0, rc;

	argc--;
	argv++;
	while (argc && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-j") || !strcmp(argv[0], "--json")) {
			json = 1;
		} else if (!strcmp(argv[0], "-force") ||
			   !strcmp(argv[0], "--force")) {
			force = 1;
		} else if (!strcmp(argv[0], "-b") ||
			   !strcmp(argv[0], "-batch") ||
			   !strcmp(argv[0], "--batch")) {
			if (argc < 2) {
				fprintf(stderr, "esptun: %s needs a file\n",
					argv[0]);
				list_commands(stderr);
				return EXIT_USAGE;
			}
			batch = argv[1];
			argc--;
			argv++;
		} else if (is_help(argv[0])) {
			list_commands(stdout);
			return 0;
		} else {
			fprintf(stderr, "esptun: unknown option \"%s\"\n",
				argv[0]);
			list_commands(stderr);
			return EXIT_USAGE;
		}
		argc--;
		argv++;
	}
	if (batch && argc) {
		fprintf(stderr, "esptun: -batch takes its commands from the file, not \"%s\"\n",
			argv[0]);
		list_commands(stderr);
		return EXIT_USAGE;
	}
	if (force && !batch) {
		fprintf(stderr, "esptun: -force goes with -batch\n");
		list_commands(stderr);
		return EXIT_USAGE;
	}
	if (batch)
		return run_batch(batch, force, json, run_line);
	if (!argc) {
		fprintf(stderr, "esptun: no command given\n");
		list_commands(stderr);
		return EXIT_USAGE;
	}
	/* Outside a batch an unknown command shows the list too. */
	rc = run_line(argc, argv, json);
	if (rc == EXIT_USAGE && find(argv[0]) < 0)
		list_commands(stderr);
	return rc;
}
