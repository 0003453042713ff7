/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vendor profiles for esptund conns: the esptund.conf lines that make a
 * conn match what a given peer (Cisco IOS, FortiGate, strongSwan...)
 * offers and expects by default. Only text lives here, so esptund
 * (which applies and validates the lines with its own key handlers)
 * and the CLI (which prints them) share one table.
 */
#ifndef ESPTUN_LIB_PROFILE_H
#define ESPTUN_LIB_PROFILE_H

#include <stddef.h>

struct profile {
	const char *name;		/* the value of "profile =" */
	const char *description;	/* one line */
	/* "key = value" as written in esptund.conf; NULL ends the list. */
	const char *const *lines;
};

/* The profiles in documentation order; NULL when i is past the last. */
const struct profile *profile_at(size_t i);
/* NULL for an unknown name. */
const struct profile *profile_find(const char *name);
/*
 * "a, b or c": every name, for error messages. Returns buf, cut to
 * len - 1 characters at most.
 */
const char *profile_names(char *buf, size_t len);

#endif
