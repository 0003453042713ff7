// SPDX-License-Identifier: GPL-2.0
/*
 * certgen_helper DIR: the guest tests' PKI, made with GnuTLS: ca.pem, and
 * a.pem/a.key (CN=a,O=esptun, DNS a.example) and b.pem/b.key (CN=b,
 * O=esptun, DNS b.example) signed by it, valid from yesterday for 30
 * days, keys mode 0600; a-ec.pem/a-ec.key and b-ec.pem/b-ec.key the same
 * names with ECDSA keys on P-256.
 */
#include <stdlib.h>

#include "pki.h"

const char *pki_dir;

int main(int argc, char **argv)
{
	gnutls_x509_privkey_t ca_key, a_key, b_key, aec_key, bec_key;
	gnutls_x509_crt_t ca, a, b, aec, bec;

	if (argc != 2) {
		fprintf(stderr, "usage: certgen_helper DIR\n");
		return 2;
	}
	pki_dir = argv[1];
	ca_key = pki_key();
	a_key = pki_key();
	b_key = pki_key();
	aec_key = pki_key_ec(GNUTLS_ECC_CURVE_SECP256R1);
	bec_key = pki_key_ec(GNUTLS_ECC_CURVE_SECP256R1);
	ca = pki_crt("CN=Test CA,O=esptun", ca_key, NULL, NULL, -1, 30, NULL);
	a = pki_crt("CN=a,O=esptun", a_key, ca, ca_key, -1, 30, "a.example");
	b = pki_crt("CN=b,O=esptun", b_key, ca, ca_key, -1, 30, "b.example");
	aec = pki_crt("CN=a,O=esptun", aec_key, ca, ca_key, -1, 30,
		      "a.example");
	bec = pki_crt("CN=b,O=esptun", bec_key, ca, ca_key, -1, 30,
		      "b.example");
	pki_save_crt("ca.pem", ca);
	pki_save_crt("a.pem", a);
	pki_save_crt("b.pem", b);
	pki_save_key("a.key", a_key, 0600);
	pki_save_key("b.key", b_key, 0600);
	pki_save_crt("a-ec.pem", aec);
	pki_save_crt("b-ec.pem", bec);
	pki_save_key("a-ec.key", aec_key, 0600);
	pki_save_key("b-ec.key", bec_key, 0600);
	return 0;
}
