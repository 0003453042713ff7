/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `esptun metrics`: the Prometheus text form of everything it read, split
 * from the reading so the formatting is tested on recorded values.
 */
#ifndef ESPTUN_METRICS_H
#define ESPTUN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "attr.h"
#include "diagnose.h"

struct metrics_input {
	const struct etdev *devs;
	size_t n_devs;
	const struct etsa *sas;
	size_t n_sas;
	time_t now;		/* what lifetimes left are counted from */
	bool ike_reachable;
	const struct dg_conn *conns;
	int n_conns;
};

void metrics_write(FILE *f, const struct metrics_input *in);

#endif /* ESPTUN_METRICS_H */
