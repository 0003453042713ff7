// SPDX-License-Identifier: GPL-2.0
/*
 * esptun -batch FILE: one command per line, as "ip -batch" takes them, so
 * that a script setting up many SAs starts one process instead of one per
 * SA. Words are split at blanks; '...' and "..." keep blanks in a word
 * (a backslash escapes the next character inside "..."); a word starting
 * with '#' ends the line. It stops at the first failed line unless
 * -force is given, and every failure is named FILE:LINE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "util.h"

/*
 * Splits line in place into words (NUL-terminated, quotes removed).
 * Returns the number of words, or -1 with *why set for an unterminated
 * quote.
 */
static int split(char *line, char ***words, size_t *cap, const char **why)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (!*r || *r == '#')
			break;
		if ((size_t)n + 2 > *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			char **p = realloc(*words, c * sizeof(*p));

			if (!p) {
				*why = "out of memory";
				return -1;
			}
			*words = p;
			*cap = c;
		}
		(*words)[n++] = w;
		while (*r && *r != ' ' && *r != '\t' && *r != '\n' &&
		       *r != '\r') {
			char q = *r;

			if (q != '\'' && q != '"') {
				*w++ = *r++;
				continue;
			}
			for (r++; *r && *r != q; r++) {
				if (q == '"' && *r == '\\' && r[1])
					r++;
				*w++ = *r;
			}
			if (!*r) {
				*why = q == '"' ? "unterminated \"" :
						  "unterminated '";
				return -1;
			}
			r++;
		}
		/* The word ends where it was read: w never passes r. */
		if (*r)
			r++;
		*w++ = '\0';
	}
	if (*words)
		(*words)[n] = NULL;
	return n;
}

int run_batch(const char *file, int force, int json, batch_cmd_fn run)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	const char *name = strcmp(file, "-") ? file : "<stdin>";
	char *line = NULL, **words = NULL;
	size_t len = 0, cap = 0;
	unsigned int lineno = 0;
	int ret = 0, rc, n;
	const char *why;

	if (!f) {
		fprintf(stderr, "esptun: -batch: %s: %s\n", file,
			strerror(errno));
		return 1;
	}
	while (getline(&line, &len, f) >= 0) {
		lineno++;
		n = split(line, &words, &cap, &why);
		if (n < 0) {
			fprintf(stderr, "esptun: %s:%u: %s\n", name, lineno,
				why);
			/* A quote left open is the file's fault, memory not. */
			rc = strcmp(why, "out of memory") ? EXIT_USAGE : 1;
		} else if (!n) {
			continue;
		} else {
			/* Each line's output in order with the next's. */
			rc = run(n, words, json);
			fflush(stdout);
			if (rc)
				fprintf(stderr, "esptun: %s:%u: command failed\n",
					name, lineno);
		}
		if (rc && !ret)
			ret = rc;
		if (rc && !force)
			break;
	}
	/* The loop ends right after getline failed: errno is its own. */
	if (ferror(f)) {
		fprintf(stderr, "esptun: -batch: %s: %s\n", file,
			strerror(errno));
		if (!ret)
			ret = 1;
	}
	if (f != stdin)
		fclose(f);
	free(line);
	free(words);
	return ret;
}
