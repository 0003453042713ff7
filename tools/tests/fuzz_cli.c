// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the esptun command line, from main's option words
 * through each subcommand's parser (show, set, sa, ike, help), with
 * ipc.h replaced by a counter (tests/ipc_record.c) so nothing reaches
 * the kernel. Input: the words after "esptun", separated by NUL bytes.
 *
 * The oracle besides the sanitizers, the CLI's promise: the exit status
 * is 0, 1 or 2, and a usage error (2) says why on stderr ("esptun: ..."),
 * prints nothing on stdout and sends no request to the kernel.
 *
 * Left out, as they do more than parse: monitor waits for events,
 * encap-listen binds sockets, decode reads files (it has its own target),
 * diagnose and metrics read the system, -batch reads a file; ike talks
 * to a socket path that does not exist, never to one the input names.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/ipc_record.h"

#define MAX_WORDS	32

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const parsers[] = { "show", "set", "sa", "ike", "help" };

static bool parser(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++)
		if (!strcmp(w, parsers[i]))
			return true;
	return false;
}

/* Whether the words name only commands that do nothing but parse. */
static bool allowed(int n, char **w)
{
	int i = 1;

	/* -batch reads a file or standard input: not a parser's input. */
	for (; i < n && w[i][0] == '-'; i++)
		if (!strcmp(w[i], "-b") || !strcmp(w[i], "-batch") ||
		    !strcmp(w[i], "--batch"))
			return false;
	if (i < n && !parser(w[i]))
		return false;
	if (i + 1 < n && !strcmp(w[i], "help") && !parser(w[i + 1]))
		return false;
	for (; i < n; i++)
		if (!strcmp(w[i], "-s") || !strcmp(w[i], "--socket"))
			return false;
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("ESPTUN_CONTROL", "/nonexistent/esptun-fuzz.sock", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *w[MAX_WORDS + 1], *text, *p, *out = NULL, *err = NULL;
	size_t olen = 0, elen = 0;
	FILE *real_out = stdout, *real_err = stderr;
	int n = 1, rc;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	w[0] = "esptun";
	for (p = text; n < MAX_WORDS && p <= text + size; p += strlen(p) + 1)
		w[n++] = p;
	if (size == 0)
		n = 1;
	w[n] = NULL;
	if (!allowed(n, w)) {
		free(text);
		return 0;
	}

	ipc_requests = 0;
	stdout = open_memstream(&out, &olen);
	stderr = open_memstream(&err, &elen);
	if (!stdout || !stderr)
		abort();
	rc = esptun_main(n, w);
	fclose(stdout);
	fclose(stderr);
	stdout = real_out;
	stderr = real_err;

	if (rc < 0 || rc > 2 ||
	    (rc == 2 && (ipc_requests || olen ||
			 strncmp(err, "esptun", 6)))) {
		fprintf(stderr, "exit %d, %d requests, stdout %zu bytes, "
			"stderr: %s\n", rc, ipc_requests, olen, err);
		abort();
	}
	free(out);
	free(err);
	free(text);
	return 0;
}
