/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small PKI made at test time with GnuTLS: RSA and ECDSA keys, a self-signed CA
 * and certificates it (or another CA) signs, with validity given in days
 * from now and an optional subjectAltName DNS name, written as PEM into
 * pki_dir. Shared by the host tests and the guest tests' helper.
 */
#ifndef ESPTUN_TESTS_PKI_H
#define ESPTUN_TESTS_PKI_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Where pki_save_* write; the includer defines it. */
extern const char *pki_dir;

static inline gnutls_x509_privkey_t pki_key_of(gnutls_pk_algorithm_t pk,
					       unsigned int bits)
{
	gnutls_x509_privkey_t k;

	gnutls_x509_privkey_init(&k);
	if (gnutls_x509_privkey_generate(k, pk, bits, 0))
		printf("# key generation failed\n");
	return k;
}

static inline gnutls_x509_privkey_t pki_key(void)
{
	return pki_key_of(GNUTLS_PK_RSA, 2048);
}

/* An ECDSA key on curve (GNUTLS_ECC_CURVE_SECP256R1, ...). */
static inline gnutls_x509_privkey_t pki_key_ec(gnutls_ecc_curve_t curve)
{
	return pki_key_of(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(curve));
}

/* A certificate for key, signed by issuer (NULL: self-signed CA). */
static inline gnutls_x509_crt_t pki_crt(const char *dn, gnutls_x509_privkey_t key,
			       gnutls_x509_crt_t issuer,
			       gnutls_x509_privkey_t ikey, long from_days,
			       long to_days, const char *dns)
{
	static unsigned char serial = 1;
	gnutls_x509_crt_t c;
	time_t now = time(NULL);
	unsigned char id[64];
	size_t idl = sizeof(id);
	const char *err;
	int r;

	gnutls_x509_crt_init(&c);
	gnutls_x509_crt_set_version(c, 3);
	serial++;
	gnutls_x509_crt_set_serial(c, &serial, 1);
	gnutls_x509_crt_set_activation_time(c, now + from_days * 86400);
	gnutls_x509_crt_set_expiration_time(c, now + to_days * 86400);
	if (gnutls_x509_crt_set_dn(c, dn, &err))
		printf("# bad test DN %s\n", dn);
	gnutls_x509_crt_set_key(c, key);
	gnutls_x509_crt_set_basic_constraints(c, !issuer, -1);
	gnutls_x509_crt_set_key_usage(c, issuer ?
				      GNUTLS_KEY_DIGITAL_SIGNATURE :
				      GNUTLS_KEY_KEY_CERT_SIGN |
				      GNUTLS_KEY_CRL_SIGN);
	if (dns)
		gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME,
						     dns, strlen(dns),
						     GNUTLS_FSAN_APPEND);
	if (!gnutls_x509_crt_get_key_id(c, 0, id, &idl))
		gnutls_x509_crt_set_subject_key_id(c, id, idl);
	if (issuer) {
		idl = sizeof(id);
		if (!gnutls_x509_crt_get_subject_key_id(issuer, id, &idl,
							NULL))
			gnutls_x509_crt_set_authority_key_id(c, id, idl);
	}
	r = gnutls_x509_crt_sign2(c, issuer ? issuer : c, ikey ? ikey : key,
				  GNUTLS_DIG_SHA256, 0);
	if (r)
		printf("# signing %s: %s\n", dn, gnutls_strerror(r));
	return c;
}

static inline void pki_write(const char *name, const gnutls_datum_t *d,
		       mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pki_dir, name);
	f = fopen(path, "w");
	if (f) {
		fwrite(d->data, 1, d->size, f);
		fclose(f);
	}
	chmod(path, mode);
}

static inline void pki_save_crt(const char *name, gnutls_x509_crt_t c)
{
	gnutls_datum_t d;

	gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d);
	pki_write(name, &d, 0644);
	gnutls_free(d.data);
}

static inline void pki_save_key(const char *name, gnutls_x509_privkey_t k, mode_t mode)
{
	gnutls_datum_t d;

	gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &d);
	pki_write(name, &d, mode);
	gnutls_free(d.data);
}

#endif
