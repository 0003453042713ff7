/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text to values for the CLI's words and esptund's configuration:
 * addresses, prefixes, numbers. Strict: a value is either fully
 * understood or refused with a reason, so nothing half parsed goes on.
 */
#ifndef ESPTUN_LIB_PARSE_H
#define ESPTUN_LIB_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct ipaddr {
	int family;		/* AF_INET, AF_INET6, or 0: not given */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

#define IPADDR_STRLEN	(INET6_ADDRSTRLEN + 4)	/* with "/128" */

/* Each parser returns NULL on success, or why the text was refused. */
const char *parse_addr(const char *s, struct ipaddr *a);
const char *parse_prefix(const char *s, struct ipaddr *a, uint8_t *plen);
/* "FIRST-LAST" into a and end (family 0 for a prefix), or a prefix. */
const char *parse_prefix_or_range(const char *s, struct ipaddr *a,
				  uint8_t *plen, struct ipaddr *end);
/* Decimal, or hexadecimal after "0x". */
const char *parse_u64(const char *s, uint64_t max, uint64_t *out);
const char *parse_u32(const char *s, uint32_t max, uint32_t *out);
/* Decimal digits only. */
const char *parse_dec(const char *s, uint64_t max, uint64_t *out);

size_t addr_len(const struct ipaddr *a);
const char *addr_str(const struct ipaddr *a, char *buf, size_t size);

/* Between the two ways of holding an address; family 0 maps to 0. */
void addr_from_sockaddr(const struct sockaddr_storage *ss, struct ipaddr *a);
void addr_to_sockaddr(const struct ipaddr *a, uint16_t port,
		      struct sockaddr_storage *ss);

#endif /* ESPTUN_LIB_PARSE_H */
