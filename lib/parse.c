// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses, prefixes and numbers from text, shared by the CLI and
 * esptund. strtoull() alone is too lenient (signs, blanks, "0x" with no
 * digits): the checks around it refuse what a person did not mean.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static const char *parse_num(const char *s, int hex_ok, uint64_t max,
			     uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;
	const char *digits = s;

	if (!s || !*s)
		return "empty";
	if (hex_ok && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
	}
	if (!*digits || !isxdigit((unsigned char)*digits))
		return "not a number";
	if (base == 10 && !isdigit((unsigned char)*digits))
		return "not a number";
	errno = 0;
	v = strtoull(digits, &end, base);
	if (*end)
		return "not a number";
	if (errno == ERANGE || v > max)
		return "out of range";
	*out = v;
	return NULL;
}

const char *parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return parse_num(s, 1, max, out);
}

const char *parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	return parse_num(s, 0, max, out);
}

const char *parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	const char *why = parse_u64(s, max, &v);

	if (!why)
		*out = v;
	return why;
}

const char *parse_addr(const char *s, struct ipaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return NULL;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
		return NULL;
	}
	return "not an IPv4 or IPv6 address";
}

const char *parse_prefix(const char *s, struct ipaddr *a, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	uint32_t len, max;
	const char *why;

	if (strlen(s) >= sizeof(buf))
		return "not an address prefix";
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	why = parse_addr(buf, a);
	if (why)
		return why;
	max = a->family == AF_INET ? 32 : 128;
	if (!slash) {
		*plen = max;
		return NULL;
	}
	if (parse_u32(slash + 1, max, &len) || (slash[1] == '0' && slash[2]))
		return a->family == AF_INET ? "prefix length must be 0 to 32" :
					      "prefix length must be 0 to 128";
	*plen = len;
	return NULL;
}

const char *parse_prefix_or_range(const char *s, struct ipaddr *a,
				  uint8_t *plen, struct ipaddr *end)
{
	char buf[2 * INET6_ADDRSTRLEN + 2];
	const char *why;
	char *dash;

	memset(end, 0, sizeof(*end));
	dash = strchr(s, '-');
	if (!dash)
		return parse_prefix(s, a, plen);
	if (strlen(s) >= sizeof(buf))
		return "not an address range";
	strcpy(buf, s);
	buf[dash - s] = '\0';
	why = parse_addr(buf, a);
	if (!why)
		why = parse_addr(buf + (dash - s) + 1, end);
	if (why)
		return why;
	if (a->family != end->family)
		return "a range's first and last address must be of one family";
	/* Network order compares as numbers do. */
	if (memcmp(&end->v6, &a->v6, addr_len(a)) < 0)
		return "a range's last address must not be below its first";
	*plen = 0;
	return NULL;
}

size_t addr_len(const struct ipaddr *a)
{
	return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

const char *addr_str(const struct ipaddr *a, char *buf, size_t size)
{
	if (!a->family || !inet_ntop(a->family, &a->v6, buf, size))
		snprintf(buf, size, "(none)");
	return buf;
}

void addr_from_sockaddr(const struct sockaddr_storage *ss, struct ipaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->family = AF_INET;
		a->v4 = ((const struct sockaddr_in *)ss)->sin_addr;
	} else if (ss->ss_family == AF_INET6) {
		a->family = AF_INET6;
		a->v6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
	}
}

void addr_to_sockaddr(const struct ipaddr *a, uint16_t port,
		      struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr = a->v4;
		sin->sin_port = htons(port);
	} else if (a->family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->v6;
		sin6->sin6_port = htons(port);
	}
}
