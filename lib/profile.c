// SPDX-License-Identifier: GPL-2.0
/*
 * The vendor profiles. Each sets the same keys (selectors only where the
 * peer's default is route-based with 0.0.0.0/0), with the values the
 * peer uses when its configuration says nothing else; where a vendor's
 * own default is weak (DH group 2) the line picks a strong proposal that
 * peer's IKEv1 supports instead, and README.md's table gives the
 * peer-side lines that match.
 *
 * Every profile's ike proposals share one DH group: Aggressive Mode
 * carries the key exchange of one group only, and mode = aggressive
 * must work with any profile.
 */
#include <stdio.h>
#include <string.h>

#include "profile.h"

/*
 * IOS and IOS XE: isakmp policy lifetime 86400 s, IPsec SA lifetime
 * 3600 s and 4,608,000 KB; no PFS unless "set pfs"; a VTI negotiates
 * 0.0.0.0/0 selectors.
 */
static const char *const cisco_ios_vti[] = {
	"ike = aes256-sha256-modp2048",
	"esp = aes256-sha256",
	"ike-lifetime = 24h",
	"lifetime = 1h",
	"life-kbytes = 4608000",
	"dpd = yes",
	"dpd-delay = 10s",
	"dpd-timeout = 30s",
	"nat-t = auto",
	"fragmentation = yes",
	"local-ts = 0.0.0.0/0",
	"remote-ts = 0.0.0.0/0",
	NULL
};

/*
 * ASA: ikev1 policy lifetime 86400 s, IPsec SA 28,800 s and 4,608,000 KB;
 * SHA-1 ("hash sha", "esp-sha-hmac") is what every ASA release's IKEv1
 * takes. A crypto map's ACL names subnets the profile cannot know:
 * local-ts and remote-ts stay the user's.
 */
static const char *const cisco_asa[] = {
	"ike = aes256-sha1-modp2048",
	"esp = aes256-sha1",
	"ike-lifetime = 24h",
	"lifetime = 8h",
	"life-kbytes = 4608000",
	"dpd = yes",
	"dpd-delay = 10s",
	"dpd-timeout = 30s",
	"nat-t = auto",
	"fragmentation = yes",
	NULL
};

/*
 * FortiOS: phase1 keylife 86400 s, phase2 keylifeseconds 43200 s and no
 * volume limit, PFS on with DH group 14; DPD retry every 20 s, 3 times;
 * phase2 selectors 0.0.0.0/0.
 */
static const char *const fortigate[] = {
	"ike = aes256-sha256-modp2048, aes128-sha256-modp2048",
	"esp = aes256-sha256-modp2048, aes128-sha256-modp2048",
	"ike-lifetime = 24h",
	"lifetime = 12h",
	"life-kbytes = 0",
	"dpd = yes",
	"dpd-delay = 20s",
	"dpd-timeout = 60s",
	"nat-t = auto",
	"fragmentation = yes",
	"local-ts = 0.0.0.0/0",
	"remote-ts = 0.0.0.0/0",
	NULL
};

/*
 * PAN-OS: IKE crypto lifetime 8 hours, IPsec crypto 1 hour with a DH
 * group (PFS) and no volume limit; DPD every 5 s, 5 retries; no proxy
 * IDs means 0.0.0.0/0.
 */
static const char *const pan_os[] = {
	"ike = aes256-sha256-modp2048",
	"esp = aes256-sha256-modp2048",
	"ike-lifetime = 8h",
	"lifetime = 1h",
	"life-kbytes = 0",
	"dpd = yes",
	"dpd-delay = 5s",
	"dpd-timeout = 25s",
	"nat-t = auto",
	"fragmentation = yes",
	"local-ts = 0.0.0.0/0",
	"remote-ts = 0.0.0.0/0",
	NULL
};

/*
 * charon: ikelifetime 3h, lifetime 1h, no lifebytes; its default
 * proposals hold these (modp3072 is its first MODP group) and its
 * default ESP proposals no DH group (no PFS); dpddelay 30s, dpdtimeout
 * 150s. leftsubnet defaults to the host itself: selectors untouched.
 */
static const char *const strongswan[] = {
	"ike = aes128-sha256-modp3072",
	"esp = aes128gcm16, aes128-sha256",
	"ike-lifetime = 3h",
	"lifetime = 1h",
	"life-kbytes = 0",
	"dpd = yes",
	"dpd-delay = 30s",
	"dpd-timeout = 150s",
	"nat-t = auto",
	"fragmentation = yes",
	NULL
};

/*
 * pluto: ikelifetime 8h, salifetime 8h; pfs=yes, which in IKEv1 uses
 * the phase 1 group; selectors as for strongSwan.
 */
static const char *const libreswan[] = {
	"ike = aes256-sha256-modp2048",
	"esp = aes256-sha256-modp2048",
	"ike-lifetime = 8h",
	"lifetime = 8h",
	"life-kbytes = 0",
	"dpd = yes",
	"dpd-delay = 30s",
	"dpd-timeout = 120s",
	"nat-t = auto",
	"fragmentation = yes",
	NULL
};

static const struct profile profiles[] = {
	{ "cisco-ios-vti", "Cisco IOS/IOS XE route-based VTI (tunnel mode ipsec ipv4)",
	  cisco_ios_vti },
	{ "cisco-asa", "Cisco ASA policy-based crypto map (set local-ts, remote-ts)",
	  cisco_asa },
	{ "fortigate", "FortiGate phase1-interface with ike-version 1",
	  fortigate },
	{ "pan-os", "Palo Alto PAN-OS IKE gateway version ikev1, tunnel interface",
	  pan_os },
	{ "strongswan", "strongSwan charon, IKEv1 with its default proposals",
	  strongswan },
	{ "libreswan", "libreswan pluto, ikev2=no with its default proposals",
	  libreswan },
};

#define N_PROFILES	(sizeof(profiles) / sizeof(profiles[0]))

const struct profile *profile_at(size_t i)
{
	return i < N_PROFILES ? &profiles[i] : NULL;
}

const struct profile *profile_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_PROFILES; i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	return NULL;
}

const char *profile_names(char *buf, size_t len)
{
	size_t i, off = 0;
	int n;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < N_PROFILES; i++) {
		n = snprintf(buf + off, len - off, "%s%s",
			     !i ? "" : i + 1 < N_PROFILES ? ", " : " or ",
			     profiles[i].name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += n;
	}
	return buf;
}
