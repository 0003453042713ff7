// SPDX-License-Identifier: GPL-2.0
/*
 * Adds and deletes one SA over and over, for tests that need thousands
 * of cycles: a CLI process per step would take minutes under emulation.
 *
 *   sa_cycle_helper DEV in|out SPI CYCLES
 *
 * Each cycle adds an AES-GCM SA with a fresh key and deletes it again.
 * Prints "cycles N" and exits 0 when every add and delete succeeded.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"

static int sa_cmd(struct etnl *nl, uint8_t cmd, uint32_t ifindex,
		  const struct etsa *sa, const char *what, unsigned long i)
{
	struct etnl_req r = {};
	int err = etnl_sa_request(nl, cmd, 0, ifindex, NULL, sa, &r);

	if (err < 0)
		fprintf(stderr, "cycle %lu: %s: %s %s\n", i, what,
			strerror(-err), etnl_extack_text(&r));
	return err;
}

int main(int argc, char **argv)
{
	struct etsa add = {}, del = {};
	unsigned long n, i;
	uint32_t ifindex;
	struct etnl nl;
	char err[256];
	size_t k;

	if (argc != 5 || (strcmp(argv[2], "in") && strcmp(argv[2], "out"))) {
		fprintf(stderr, "usage: %s DEV in|out SPI CYCLES\n", argv[0]);
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		perror(argv[1]);
		return 1;
	}
	n = strtoul(argv[4], NULL, 0);
	if (etnl_open(&nl, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}

	del.dir = strcmp(argv[2], "in") ? ESPTUN_DIR_OUT : ESPTUN_DIR_IN;
	del.spi = strtoul(argv[3], NULL, 0);
	del.has = BIT(ESPTUN_SA_A_DIR) | BIT(ESPTUN_SA_A_SPI);
	add = del;
	snprintf(add.enc_alg, sizeof(add.enc_alg), "rfc4106(gcm(aes))");
	add.enc_key_len = 20;
	add.icv_bits = 128;
	add.has |= BIT(ESPTUN_SA_A_ENC_ALG) | BIT(ESPTUN_SA_A_ICV_BITS);

	for (i = 0; i < n; i++) {
		for (k = 0; k < add.enc_key_len; k++)
			add.enc_key[k] = (uint8_t)rand();
		if (sa_cmd(&nl, ESPTUN_CMD_SA_NEW, ifindex, &add, "add", i) ||
		    sa_cmd(&nl, ESPTUN_CMD_SA_DEL, ifindex, &del, "delete", i))
			break;
	}
	etnl_close(&nl);
	printf("cycles %lu\n", i);
	return i == n ? 0 : 1;
}
