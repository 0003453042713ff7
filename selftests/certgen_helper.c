// SPDX-License-Identifier: GPL-2.0
/*
 * certgen_helper DIR: the guest tests' PKI, made with GnuTLS: ca.pem, and
 * a.pem/a.key (CN=a,O=esptun, DNS a.example) and b.pem/b.key (CN=b,
 * O=esptun, DNS b.example) signed by it, valid from yesterday for 30
 * days, keys mode 0600; a-ec.pem/a-ec.key and b-ec.pem/b-ec.key the same
 * names with ECDSA keys on P-256, a-ec384/b-ec384 on P-384 and
 * a-ec521/b-ec521 on P-521.
 */
#include <stdlib.h>

#include "pki.h"

const char *pki_dir;

static gnutls_x509_crt_t ca;
static gnutls_x509_privkey_t ca_key;

/* STEM.pem and STEM.key: a certificate for key from ca, as host a or b. */
static void pki_pair(const char *stem, char host, gnutls_x509_privkey_t key)
{
	char dn[32], dns[16], name[32];
	gnutls_x509_crt_t c;

	snprintf(dn, sizeof(dn), "CN=%c,O=esptun", host);
	snprintf(dns, sizeof(dns), "%c.example", host);
	c = pki_crt(dn, key, ca, ca_key, -1, 30, dns);
	snprintf(name, sizeof(name), "%s.pem", stem);
	pki_save_crt(name, c);
	snprintf(name, sizeof(name), "%s.key", stem);
	pki_save_key(name, key, 0600);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *a, *b;
		gnutls_ecc_curve_t curve;
	} ec[] = {
		{ "a-ec", "b-ec", GNUTLS_ECC_CURVE_SECP256R1 },
		{ "a-ec384", "b-ec384", GNUTLS_ECC_CURVE_SECP384R1 },
		{ "a-ec521", "b-ec521", GNUTLS_ECC_CURVE_SECP521R1 },
	};
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: certgen_helper DIR\n");
		return 2;
	}
	pki_dir = argv[1];
	ca_key = pki_key();
	ca = pki_crt("CN=Test CA,O=esptun", ca_key, NULL, NULL, -1, 30, NULL);
	pki_save_crt("ca.pem", ca);
	pki_pair("a", 'a', pki_key());
	pki_pair("b", 'b', pki_key());
	for (i = 0; i < sizeof(ec) / sizeof(ec[0]); i++) {
		pki_pair(ec[i].a, 'a', pki_key_ec(ec[i].curve));
		pki_pair(ec[i].b, 'b', pki_key_ec(ec[i].curve));
	}
	return 0;
}
