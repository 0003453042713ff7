// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the esptund configuration parser. Besides the
 * sanitizers, it checks the parser's promise: a refused file leaves the
 * output untouched and says "FILE:LINE: message" or "FILE: message".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum log_level lvl, const char *line, void *arg)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_sink(quiet, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char name[] = "fuzz.conf";
	char err[CONF_ERR_MAX] = "";
	struct conf c, untouched;
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&c, 0x5a, sizeof(c));
	untouched = c;
	if (conf_parse(name, text, &c, err, sizeof(err)) == 0) {
		conf_free(&c);
	} else if (memcmp(&c, &untouched, sizeof(c)) ||
		   strncmp(err, name, strlen(name)) ||
		   err[strlen(name)] != ':' || !err[strlen(name) + 1]) {
		abort();
	}
	free(text);
	return 0;
}
