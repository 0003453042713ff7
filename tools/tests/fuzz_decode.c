// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: `esptun decode` on whole capture files, from the
 * pcap/pcapng reader through link layers, IP, UDP and the non-ESP marker
 * to the ISAKMP description, the decryption with the key tables of the
 * committed captures (so mutations of real exchanges reach the decrypted
 * payloads) and the ESP summary, in text and in JSON. The oracle is the
 * sanitizers: no input may crash, leak or read out of bounds.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

static struct dec_keytab keys;

/* Every key table of the captures, as if concatenated. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[512], err[300];
	struct dirent *e;
	DIR *d = opendir(CAPTURES_DIR);

	while (d && (e = readdir(d))) {
		struct dec_keytab t;
		struct dec_key *n;
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 5, ".keys"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", CAPTURES_DIR, e->d_name);
		if (dec_keys_load(path, &t, err, sizeof(err)))
			continue;
		n = realloc(keys.k, (keys.n + t.n) * sizeof(*n));
		if (n) {
			memcpy(n + keys.n, t.k, t.n * sizeof(*n));
			keys.k = n;
			keys.n += t.n;
		}
		dec_keys_free(&t);
	}
	if (d)
		closedir(d);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *out = fopen("/dev/null", "w");
	int json;

	if (!out || !size) {
		if (out)
			fclose(out);
		return 0;
	}
	for (json = 0; json < 2; json++) {
		FILE *in = fmemopen((void *)data, size, "rb");

		if (in)
			decode_capture("fuzz", in, &keys, out, json);
	}
	fclose(out);
	return 0;
}
