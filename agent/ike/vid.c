// SPDX-License-Identifier: GPL-2.0
/*
 * Vendor IDs we recognise, for the log. We only advertise what we
 * implement, each from the file that implements it: natt.c the NAT-T
 * ones (from its own table, which the unit tests check against MD5 of
 * their names), dpd.c DPD's, fragment.c fragmentation's.
 */
#include <string.h>

#include "ike/ikev1.h"
#include "ike/vid.h"
#include "log.h"

static const struct {
	const char *name;
	const char *hex;
} known[] = {
	{ "RFC 3947 NAT-T", "4a131c81070358455c5728f20e95452f" },
	{ "draft-ietf-ipsec-nat-t-ike-02", "cd60464335df21f87cfdb2fc68b6a448" },
	{ "draft-ietf-ipsec-nat-t-ike-02\\n", "90cb80913ebb696e086381b5ec427b1f" },
	{ "draft-ietf-ipsec-nat-t-ike-03", "7d9419a65310ca6f2c179d9215529d56" },
	{ "Dead Peer Detection", "afcad71368a1f1c96b8696fc77570100" },
	{ "XAUTH", "09002689dfd6b712" },
	{ "FRAGMENTATION", "4048b7d56ebce88525e7de7f00d6c2d3" },
	{ "Cisco Unity", "12f5f28c457168a9702d9fe274cc0100" },
	{ "strongSwan", "882fe56d6fd20dbc2251613b2ebe5beb" },
	{ "Libreswan", "4f4540" },
};

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static bool prefix_match(const char *hex, const uint8_t *d, size_t len)
{
	size_t n = strlen(hex) / 2, i;

	if (len < n)
		return false;
	for (i = 0; i < n; i++)
		if (d[i] != (hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1])))
			return false;
	return true;
}

const char *vid_name(const uint8_t *d, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (prefix_match(known[i].hex, d, len))
			return known[i].name;
	return NULL;
}

void vid_log(const struct p1sa *sa, const char *msg,
	     const struct isakmp_msg *m)
{
	int i;

	for (i = 0; i < m->n; i++) {
		const char *n;

		if (m->pl[i].type != ISAKMP_NP_VID)
			continue;
		n = vid_name(m->pl[i].body, m->pl[i].len);
		log_dbg("%s %s: peer vendor ID %s", msg_ck(sa), msg,
			n ? n : "(unknown)");
	}
}
