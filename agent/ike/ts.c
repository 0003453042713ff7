// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic selectors as Quick Mode carries them: one prefix in an IDci or
 * IDcr payload (ID_IPV4_ADDR_SUBNET and kin, RFC 2407 4.6.2). A range
 * (ID_IPV4_ADDR_RANGE) maps when it is exactly one prefix: the module's
 * selectors are prefixes, and a wider one would take traffic the peer
 * did not agree to.
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

/*
 * IDci/IDcr to selector: single addresses, subnets and ranges that are
 * one prefix map; 0, or -1 (a range that is not one prefix: -2).
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
		ts->family = n == 4 ? AF_INET : AF_INET6;
		return range_prefix(id->data, id->data + n, n, ts) ? -2 : 0;
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

bool ts_equal(const struct ike_ts *a, const struct ike_ts *b)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, n);
}

/* Whether the prefix net holds every address of the prefix sub. */
bool ts_contains(const struct ike_ts *net, const struct ike_ts *sub)
{
	int i, bits;

	if (net->family != sub->family || sub->prefixlen < net->prefixlen)
		return false;
	for (i = 0; i * 8 < net->prefixlen; i++) {
		bits = net->prefixlen - i * 8;
		if ((net->addr[i] ^ sub->addr[i]) &
		    (bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits))))
			return false;
	}
	return true;
}

/* "10.1.0.0/16" into buf. */
const char *ts_str(const struct ike_ts *ts, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(ts->family, ts->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, ts->prefixlen);
	return buf;
}
