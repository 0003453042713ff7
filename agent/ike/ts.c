// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic selectors as Quick Mode carries them: a prefix or an address
 * range in an IDci or IDcr payload (ID_IPV4_ADDR_SUBNET, _RANGE and kin,
 * RFC 2407 4.6.2). A range that is exactly one prefix is kept as that
 * prefix, so equal selectors compare equal whichever form the peer sent;
 * containment compares the first and last addresses of either form.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"

void ts_to_id(const struct ike_ts *ts, uint8_t *type, uint8_t *data,
	      size_t *len)
{
	size_t n = ts->family == AF_INET6 ? 16 : 4, i;

	if (ts->range) {
		*type = ts->family == AF_INET6 ? IKE_ID_IPV6_ADDR_RANGE :
						 IKE_ID_IPV4_ADDR_RANGE;
		memcpy(data, ts->addr, n);
		memcpy(data + n, ts->last, n);
		*len = 2 * n;
		return;
	}
	*type = ts->family == AF_INET6 ? IKE_ID_IPV6_ADDR_SUBNET :
					 IKE_ID_IPV4_ADDR_SUBNET;
	memcpy(data, ts->addr, n);
	for (i = 0; i < n; i++) {
		int bits = (int)ts->prefixlen - (int)i * 8;

		data[n + i] = bits >= 8 ? 0xff : bits <= 0 ? 0 :
			      (uint8_t)(0xff << (8 - bits));
	}
	*len = 2 * n;
}

/* The prefix from first to last (n bytes each), or -1 when none is. */
static int range_prefix(const uint8_t *first, const uint8_t *last, size_t n,
			struct ike_ts *ts)
{
	size_t i;
	int pl;

	/* The prefix length: where first and last begin to differ... */
	for (pl = 0; pl < (int)n * 8; pl++) {
		uint8_t bit = 0x80 >> (pl % 8);

		if ((first[pl / 8] ^ last[pl / 8]) & bit)
			break;
	}
	/* ...and from there on first is all zeros and last all ones. */
	for (i = (size_t)pl; i < n * 8; i++) {
		uint8_t bit = 0x80 >> (i % 8);

		if ((first[i / 8] & bit) || !(last[i / 8] & bit))
			return -1;
	}
	memcpy(ts->addr, first, n);
	ts->prefixlen = (uint8_t)pl;
	return 0;
}

int ts_from_range(int family, const uint8_t *first, const uint8_t *last,
		  struct ike_ts *ts)
{
	size_t n = family == AF_INET6 ? 16 : 4;

	memset(ts, 0, sizeof(*ts));
	ts->family = family;
	/* Network order compares as the numbers do. */
	if (memcmp(first, last, n) > 0)
		return -1;
	if (!range_prefix(first, last, n, ts))
		return 0;
	ts->range = true;
	memcpy(ts->addr, first, n);
	memcpy(ts->last, last, n);
	return 0;
}

/*
 * IDci/IDcr to selector: single addresses, subnets and ranges; 0, or -1
 * for another ID type, a malformed one or a range that ends below its
 * start.
 */
int ts_from_id(const struct isakmp_id *id, struct ike_ts *ts)
{
	size_t n, i;
	int pl = 0;
	bool end = false;

	memset(ts, 0, sizeof(*ts));
	switch (id->type) {
	case IKE_ID_IPV4_ADDR_RANGE:
	case IKE_ID_IPV6_ADDR_RANGE:
		n = id->type == IKE_ID_IPV4_ADDR_RANGE ? 4 : 16;
		if (id->len != 2 * n)
			return -1;
		return ts_from_range(n == 4 ? AF_INET : AF_INET6, id->data,
				     id->data + n, ts);
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		n = id->type == IKE_ID_IPV4_ADDR ? 4 : 16;
		ts->family = n == 4 ? AF_INET : AF_INET6;
		memcpy(ts->addr, id->data, n);
		ts->prefixlen = (uint8_t)(n * 8);
		return 0;
	case IKE_ID_IPV4_ADDR_SUBNET:
	case IKE_ID_IPV6_ADDR_SUBNET:
		n = id->type == IKE_ID_IPV4_ADDR_SUBNET ? 4 : 16;
		ts->family = n == 4 ? AF_INET : AF_INET6;
		for (i = 0; i < n * 8; i++) {
			bool bit = id->data[n + i / 8] & (0x80 >> (i % 8));

			if (bit && end)
				return -1;	/* non-contiguous mask */
			if (bit)
				pl++;
			else
				end = true;
		}
		for (i = 0; i < n; i++)
			ts->addr[i] = id->data[i] & id->data[n + i];
		ts->prefixlen = (uint8_t)pl;
		return 0;
	}
	return -1;
}

/* First and last address of a selector, n bytes each. */
static void ts_bounds(const struct ike_ts *ts, uint8_t *first, uint8_t *last)
{
	size_t n = ts->family == AF_INET6 ? 16 : 4, i;

	if (ts->range) {
		memcpy(first, ts->addr, n);
		memcpy(last, ts->last, n);
		return;
	}
	for (i = 0; i < n; i++) {
		int bits = (int)ts->prefixlen - (int)i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 :
			       (uint8_t)(0xff << (8 - bits));

		first[i] = ts->addr[i] & mask;
		last[i] = ts->addr[i] | (uint8_t)~mask;
	}
}

bool ts_equal(const struct ike_ts *a, const struct ike_ts *b)
{
	uint8_t af[16], al[16], bf[16], bl[16];
	size_t n = a->family == AF_INET6 ? 16 : 4;

	if (a->family != b->family)
		return false;
	ts_bounds(a, af, al);
	ts_bounds(b, bf, bl);
	return !memcmp(af, bf, n) && !memcmp(al, bl, n);
}

/* Whether net holds every address of sub. */
bool ts_contains(const struct ike_ts *net, const struct ike_ts *sub)
{
	uint8_t nf[16], nl[16], sf[16], sl[16];
	size_t n = net->family == AF_INET6 ? 16 : 4;

	if (net->family != sub->family)
		return false;
	ts_bounds(net, nf, nl);
	ts_bounds(sub, sf, sl);
	return memcmp(nf, sf, n) <= 0 && memcmp(sl, nl, n) <= 0;
}

/* "10.1.0.0/16", or "10.1.0.5-10.1.0.20" for a range, into buf. */
const char *ts_str(const struct ike_ts *ts, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	inet_ntop(ts->family, ts->addr, a, sizeof(a));
	if (ts->range) {
		inet_ntop(ts->family, ts->last, b, sizeof(b));
		snprintf(buf, len, "%s-%s", a, b);
	} else {
		snprintf(buf, len, "%s/%u", a, ts->prefixlen);
	}
	return buf;
}
