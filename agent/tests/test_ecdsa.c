// SPDX-License-Identifier: GPL-2.0
/*
 * Phase 1 with ECDSA signatures (RFC 4754) between two engines (the
 * exchange harness), with certificates of a small CA made here with
 * GnuTLS: Main Mode on P-256 (method 9), P-384 (10) and P-521 (11),
 * Aggressive Mode on P-256; then refusals, each with its log line: keys
 * on different curves, an RSA offer to an ECDSA responder, an RSA
 * certificate under a negotiated ECDSA method, a tampered exchange; the
 * r || s signature itself checked with nettle; and the configuration of
 * auth = ecdsa-sig.
 */
#include <gmp.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecdsa.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "crypto/x509.h"
#include "isakmp/isakmp.h"
#include "exchange_harness.h"
#include "pki.h"

static char dir[] = "/tmp/esptun-ecdsa-XXXXXX";
const char *pki_dir = dir;

static const char *const files[] = {
	"ca.pem", "a.pem", "a.key", "b.pem", "b.key", "a384.pem", "a384.key",
	"b384.pem", "b384.key", "c521.pem", "c521.key", "a521.pem",
	"a521.key", "b521.pem", "b521.key", "a-rsa.pem", "a-rsa.key",
};

static void make_pki(void)
{
	gnutls_x509_privkey_t ca_key, k;
	gnutls_x509_crt_t ca, c;

	if (!mkdtemp(dir))
		printf("# mkdtemp failed\n");
	ca_key = pki_key_ec(GNUTLS_ECC_CURVE_SECP384R1);
	ca = pki_crt("CN=EC CA,O=esptun", ca_key, NULL, NULL, -1, 30, NULL);
	pki_save_crt("ca.pem", ca);
#define PAIR(name, key, dn, dns) do {					\
		k = (key);						\
		c = pki_crt(dn, k, ca, ca_key, -1, 30, dns);		\
		pki_save_crt(name ".pem", c);				\
		pki_save_key(name ".key", k, 0600);			\
		gnutls_x509_crt_deinit(c);				\
		gnutls_x509_privkey_deinit(k);				\
	} while (0)
	PAIR("a", pki_key_ec(GNUTLS_ECC_CURVE_SECP256R1), "CN=a,O=esptun",
	     "a.example");
	PAIR("b", pki_key_ec(GNUTLS_ECC_CURVE_SECP256R1), "CN=b,O=esptun",
	     "b.example");
	PAIR("a384", pki_key_ec(GNUTLS_ECC_CURVE_SECP384R1), "CN=a,O=esptun",
	     "a.example");
	PAIR("b384", pki_key_ec(GNUTLS_ECC_CURVE_SECP384R1), "CN=b,O=esptun",
	     "b.example");
	PAIR("c521", pki_key_ec(GNUTLS_ECC_CURVE_SECP521R1), "CN=c,O=esptun",
	     "c.example");
	PAIR("a521", pki_key_ec(GNUTLS_ECC_CURVE_SECP521R1), "CN=a,O=esptun",
	     "a.example");
	PAIR("b521", pki_key_ec(GNUTLS_ECC_CURVE_SECP521R1), "CN=b,O=esptun",
	     "b.example");
	PAIR("a-rsa", pki_key(), "CN=a,O=esptun", "a.example");
#undef PAIR
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(ca_key);
}

static void path(char *out, const char *name)
{
	snprintf(out, IKE_PATH_MAX, "%s/%s", dir, name);
}

static void files_of(struct ike_conn *c, enum ike_auth auth,
		     const char *name)
{
	char f[32];

	c->auth = auth;
	c->psk_len = 0;
	snprintf(f, sizeof(f), "%s.pem", name);
	path(c->cert, f);
	snprintf(f, sizeof(f), "%s.key", name);
	path(c->key, f);
	path(c->ca, "ca.pem");
}

/* A (side 0, initiator) signs with files a*, B with b*. */
static void conns(struct ike_conn *a, struct ike_conn *b, enum ike_auth aa,
		  const char *af, enum ike_auth ba, const char *bf)
{
	char e[256];

	mkconn(a, 0, "aes128-sha256-ecp256", "aes128gcm16", "unused");
	mkconn(b, 1, "aes128-sha256-ecp256", "aes128gcm16", "unused");
	files_of(a, aa, af);
	files_of(b, ba, bf);
	if (ike_id_parse("dn:CN=b,O=esptun", &a->remote_id, e, sizeof(e)) ||
	    ike_id_parse("fqdn:a.example", &b->remote_id, e, sizeof(e)))
		printf("# bad test ID: %s\n", e);
}

/* The authentication method attribute (TV, type 3) in a cleartext SA. */
static uint8_t *auth_attr(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = ISAKMP_HDR_LEN; i + 4 <= len; i++)
		if (buf[i] == 0x80 && buf[i + 1] == IKE_A_AUTH &&
		    buf[i + 2] == 0)
			return (uint8_t *)buf + i + 3;
	return NULL;
}

static int offered[2];

static int watch_method(int from, int nth, const uint8_t *buf, size_t len)
{
	const uint8_t *m = auth_attr(buf, len);

	if (nth == 1 && m)
		offered[from] = *m;
	return 0;
}

static void good(enum ike_auth method, const char *af, const char *bf,
		 bool aggressive, const char *what)
{
	struct ike_conn a, b;
	const char *done = aggressive ? "AM_ACTIVE" : "MM_ACTIVE";
	char want[200];

	setup();
	conns(&a, &b, method, af, method, bf);
	if (aggressive) {
		a.mode = IKE_MODE_AGGRESSIVE;
		a.aggressive = b.aggressive = true;
	}
	filter = watch_method;
	offered[0] = offered[1] = -1;
	start_pair(&a, &b);
	run(5000);
	is_int(offered[0], (int)method, "%s: MM1/AM1 offers method %d", what,
	       (int)method);
	is_int(offered[1], (int)method, "%s: the responder chose it", what);
	is_str(status(0).state, done, "%s: initiator %s", what, done);
	is_str(status(1).state, done, "%s: responder %s", what, done);
	is_int(live_count(0, IKE_DIR_OUT) + live_count(1, IKE_DIR_OUT), 2,
	       "%s: Quick Mode installed both outbound SAs", what);
	snprintf(want, sizeof(want), "%s: peer authenticated as "
		 "dn:CN=a,O=esptun by certificate \"CN=a,O=esptun\", %s",
		 aggressive ? "AM3" : "MM5", ike_auth_name(method));
	ok(logged(want), "%s: responder authenticated the initiator: %s",
	   what, want);
	snprintf(want, sizeof(want), "%s: peer authenticated as "
		 "dn:CN=b,O=esptun by certificate \"CN=b,O=esptun\", %s",
		 aggressive ? "AM2" : "MM6", ike_auth_name(method));
	ok(logged(want), "%s: initiator authenticated the responder: %s",
	   what, want);
	is_int(nwarn, 0, "%s: no warnings or errors logged", what);
}

/* B refuses; nothing is installed, and the log says why. */
static void refused(struct ike_conn *a, struct ike_conn *b, const char *log,
		    const char *msg, const char *what)
{
	struct st sa, sb;

	start_pair(a, b);
	run(3000);
	sa = status(0);
	sb = status(1);
	ok(strcmp(sa.state, "MM_ACTIVE") && strcmp(sb.state, "MM_ACTIVE"),
	   "%s: no ISAKMP SA (A %s, B %s)", what, sa.state, sb.state);
	is_int(S[0].nsa + S[1].nsa, 0, "%s: no kernel SA", what);
	ok(logged(log), "%s: logged '%s'", what, log);
	is_str(sb.diag.fail_msg, msg, "%s: failure recorded for %s", what,
	       msg);
}

static void t_curves_differ(void)
{
	struct ike_conn a, b;

	setup();
	conns(&a, &b, IKE_AUTH_ECDSA_256, "a", IKE_AUTH_ECDSA_384, "b384");
	refused(&a, &b, "not chosen: authentication method is ECDSA-256 (9), "
		"not ECDSA-384 (10), the method of our key (auth = ecdsa-sig)",
		"MM1", "P-256 offer to a P-384 responder");
}

static void t_rsa_offer(void)
{
	struct ike_conn a, b;

	setup();
	conns(&a, &b, IKE_AUTH_RSA_SIG, "a-rsa", IKE_AUTH_ECDSA_256, "b");
	refused(&a, &b, "not chosen: authentication method is RSA signature "
		"(3), not ECDSA-256 (9), the method of our key",
		"MM1", "rsa-sig offer to an ecdsa-sig responder");
}

/*
 * An initiator that says ECDSA-256 and signs with an RSA certificate: A
 * is rsa-sig, its MM1 is made to offer method 9 and B's MM2 to answer
 * 3, so that both go on each with its own method to MM5.
 */
static int swap_method(int from, int nth, const uint8_t *buf, size_t len)
{
	uint8_t *m = auth_attr(buf, len);

	if (nth == 1 && m)
		*m = from == 0 ? IKE_AUTH_ECDSA_256 : IKE_AUTH_RSA_SIG;
	return 0;
}

static void t_rsa_cert(void)
{
	struct ike_conn a, b;

	setup();
	conns(&a, &b, IKE_AUTH_RSA_SIG, "a-rsa", IKE_AUTH_ECDSA_256, "b");
	filter = swap_method;
	refused(&a, &b, "authentication failed in MM5: peer certificate "
		"\"CN=a,O=esptun\" has an RSA key, which cannot sign for the "
		"negotiated method ECDSA-256 (9)", "MM5",
		"RSA certificate under method 9");
	ok(strstr(status(1).diag.fail, "has an RSA key") != NULL,
	   "RSA certificate: recorded: %s", status(1).diag.fail);
}

/* The initiator's SA payload changed on the way: SAi_b differs. */
static int tamper_mm1(int from, int nth, const uint8_t *buf, size_t len)
{
	uint8_t *b = (uint8_t *)buf;
	size_t sal = (size_t)(b[ISAKMP_HDR_LEN + 2] << 8 |
			      b[ISAKMP_HDR_LEN + 3]);

	if (from == 0 && nth == 1)
		b[ISAKMP_HDR_LEN + sal - 1] ^= 1;
	return 0;
}

static void t_tampered(void)
{
	struct ike_conn a, b;

	setup();
	conns(&a, &b, IKE_AUTH_ECDSA_256, "a", IKE_AUTH_ECDSA_256, "b");
	filter = tamper_mm1;
	refused(&a, &b, "authentication failed in MM5: SIG does not verify "
		"with the certificate of \"CN=a,O=esptun\"", "MM5",
		"tampered SA payload");
}

/* A's messages from its third (MM5) on are lost. */
static int lose_mm5(int from, int nth, const uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
	return from == 0 && nth >= 3;
}

/* An unanswered MM5 of an ECDSA conn names no pre-shared key. */
static void t_unanswered(void)
{
	struct ike_conn a, b;

	setup();
	conns(&a, &b, IKE_AUTH_ECDSA_256, "a", IKE_AUTH_ECDSA_256, "b");
	filter = lose_mm5;
	start_pair(&a, &b);
	run(120000);
	ok(logged("no response to MM5 from 192.0.2.2:500 after 5 tries — "
		  "our certificate, signature or ID refused by the peer?"),
	   "ecdsa-sig, MM5 lost: the failure line names the certificate");
	ok(!logged("pre-shared key"), "ecdsa-sig, MM5 lost: no pre-shared "
	   "key named");
}

/* r || s checked by nettle alone against the certificate's point. */
static bool nettle_verifies(const uint8_t *der, size_t dl,
			    const struct ecc_curve *curve, const uint8_t *h,
			    size_t hl, const uint8_t *sig, size_t half)
{
	gnutls_datum_t d = { (unsigned char *)der, (unsigned int)dl };
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	struct dsa_signature s;
	struct ecc_point pt;
	gnutls_pubkey_t pub;
	gnutls_ecc_curve_t c;
	mpz_t mx, my;
	bool ok = false;

	gnutls_pubkey_init(&pub);
	mpz_init(mx);
	mpz_init(my);
	ecc_point_init(&pt, curve);
	dsa_signature_init(&s);
	if (gnutls_pubkey_import_x509_raw(pub, &d, GNUTLS_X509_FMT_DER, 0) ||
	    gnutls_pubkey_export_ecc_raw2(pub, &c, &x, &y, 0))
		goto out;
	mpz_import(mx, x.size, 1, 1, 0, 0, x.data);
	mpz_import(my, y.size, 1, 1, 0, 0, y.data);
	mpz_import(s.r, half, 1, 1, 0, 0, sig);
	mpz_import(s.s, half, 1, 1, 0, 0, sig + half);
	ok = ecc_point_set(&pt, mx, my) && ecdsa_verify(&pt, hl, h, &s);
out:
	gnutls_free(x.data);
	gnutls_free(y.data);
	dsa_signature_clear(&s);
	ecc_point_clear(&pt);
	mpz_clear(mx);
	mpz_clear(my);
	gnutls_pubkey_deinit(pub);
	return ok;
}

static void raw_sig(const char *name, const struct ecc_curve *curve,
		    size_t half, size_t hl)
{
	char c[IKE_PATH_MAX], k[IKE_PATH_MAX], ca[IKE_PATH_MAX], e[512];
	char f[32];
	uint8_t h[64], sig[X509_SIG_MAX];
	struct x509_creds *cr;
	struct x509_peer *p;
	const uint8_t *der;
	size_t sl = 0, dl;
	int i, bad, padded;

	snprintf(f, sizeof(f), "%s.pem", name);
	path(c, f);
	snprintf(f, sizeof(f), "%s.key", name);
	path(k, f);
	path(ca, "ca.pem");
	cr = x509_creds_load(c, k, ca, e, sizeof(e));
	ok(cr != NULL, "%s: credentials load: %s", name, cr ? "ok" : e);
	if (!cr)
		return;
	memset(h, 0xa5, sizeof(h));
	ok(!x509_sign_raw(cr, h, hl, sig, &sl) && sl == 2 * half,
	   "%s: signature of %zu bytes is r || s, %zu bytes (%zu)", name, hl,
	   2 * half, sl);
	der = x509_own_cert(cr, &dl);
	ok(nettle_verifies(der, dl, curve, h, hl, sig, half),
	   "%s: nettle verifies r and s as big-endian halves", name);
	p = x509_peer_verify(cr, &der, &dl, 1, e, sizeof(e));
	ok(p != NULL, "%s: own certificate verifies against the CA", name);
	if (p) {
		ok(x509_peer_verify_raw(p, h, hl, sig, sl),
		   "%s: x509_peer_verify_raw takes it", name);
		ok(!x509_peer_verify_raw(p, h, hl, sig, sl - 1),
		   "%s: one byte short: refused", name);
		sig[half + 3] ^= 0x04;
		ok(!x509_peer_verify_raw(p, h, hl, sig, sl),
		   "%s: flipped bit in s: refused", name);
		/*
		 * r or s below 2^(8 * (half - 1)) is left-padded with zeros
		 * to its half: about 1 signature in 128 on P-256, 1 in 2 on
		 * P-521 (its top byte is 0 or 1). Every one of many
		 * signatures must verify, and on P-256 and P-521 some must
		 * have been padded (all 2000 unpadded: once in 10^6 runs).
		 * A new digest each time, should signing be deterministic.
		 */
		for (i = 0, bad = 0, padded = 0; i < (half == 32 ? 2000 : 100);
		     i++) {
			h[0] = (uint8_t)i;
			h[1] = (uint8_t)(i >> 8);
			if (x509_sign_raw(cr, h, hl, sig, &sl) ||
			    sl != 2 * half ||
			    !nettle_verifies(der, dl, curve, h, hl, sig, half) ||
			    !x509_peer_verify_raw(p, h, hl, sig, sl))
				bad++;
			else if (!sig[0] || !sig[half])
				padded++;
		}
		is_int(bad, 0, "%s: %d signatures, each r || s of %zu bytes "
		       "that verifies", name, i, 2 * half);
		ok(half == 48 || padded > 0, "%s: %d of them with r or s "
		   "padded by a zero byte", name, padded);
		x509_peer_free(p);
	}
	x509_creds_free(cr);
}

static void t_config(void)
{
	static const struct {
		const char *keys;
		const char *err;
	} bad[] = {
		{ "auth = ecdsa-sig\ncert = a-rsa.pem\nkey = a-rsa.key\n"
		  "ca = ca.pem\n",
		  ":8: conn 'x': key " },
		{ "auth = ecdsa-sig\ncert = a-rsa.pem\nkey = a-rsa.key\n"
		  "ca = ca.pem\n",
		  "is an RSA key; auth = ecdsa-sig wants ECDSA on P-256, "
		  "P-384 or P-521" },
		{ "auth = rsa-sig\ncert = a.pem\nkey = a.key\nca = ca.pem\n",
		  "is an ECDSA P-256 key; auth = rsa-sig wants RSA" },
		{ "auth = ecdsa-sig\ncert = a.pem\nkey = a.key\nca = ca.pem\n"
		  "ike = aes128-md5-modp2048\n",
		  ":10: conn 'x': auth = ecdsa-sig takes no md5 in ike =" },
		{ "auth = ecdsa-sig\ncert = a.pem\nkey = a.key\nca = ca.pem\n"
		  "xauth = client\nxauth-user = u\nxauth-password = p\n",
		  ":10: conn 'x': xauth works with auth = psk or rsa-sig" },
		{ "auth = ecdsa-sig\ncert = a.pem\nkey = b.key\nca = ca.pem\n",
		  ":8: conn 'x': key " },
		{ "auth = ecdsa-sig\ncert = a.pem\nkey = a.key\n",
		  "auth = ecdsa-sig needs cert, key and ca" },
		{ "auth = dsa-sig\n", "unsupported auth 'dsa-sig' (psk, "
		  "rsa-sig or ecdsa-sig)" },
	};
	static const struct {
		const char *name;
		enum ike_auth want;
	} good_keys[] = {
		{ "a", IKE_AUTH_ECDSA_256 },
		{ "b384", IKE_AUTH_ECDSA_384 },
		{ "c521", IKE_AUTH_ECDSA_521 },
	};
	char name[300], text[600], err[CONF_ERR_MAX];
	struct conf c;
	size_t i;
	int r;

	snprintf(name, sizeof(name), "%s/e.conf", dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[conn x]\ninterface = esp0\n"
			 "local = 192.0.2.1\nremote = 192.0.2.2\n"
			 "remote-id = dn:CN=b,O=esptun\n%s", bad[i].keys);
		err[0] = 0;
		r = conf_parse(name, text, &c, err, sizeof(err));
		ok(r < 0 && strstr(err, bad[i].err), "config error %zu: %s", i,
		   err);
		if (!r)
			conf_free(&c);
	}
	for (i = 0; i < sizeof(good_keys) / sizeof(good_keys[0]); i++) {
		snprintf(text, sizeof(text), "[conn x]\ninterface = esp0\n"
			 "local = 192.0.2.1\nremote = 192.0.2.2\n"
			 "auth = ecdsa\ncert = %s.pem\nkey = %s.key\n"
			 "ca = ca.pem\n", good_keys[i].name,
			 good_keys[i].name);
		r = conf_parse(name, text, &c, err, sizeof(err));
		ok(!r, "ecdsa-sig with %s.key accepted: %s", good_keys[i].name,
		   r ? err : "ok");
		if (!r) {
			is_int(c.conns[0].auth, good_keys[i].want,
			       "%s.key: method %d", good_keys[i].name,
			       (int)good_keys[i].want);
			conf_free(&c);
		}
	}
}

static void cleanup(void)
{
	char p[IKE_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path(p, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	make_pki();
	good(IKE_AUTH_ECDSA_256, "a", "b", false, "P-256 Main Mode");
	good(IKE_AUTH_ECDSA_384, "a384", "b384", false, "P-384 Main Mode");
	good(IKE_AUTH_ECDSA_521, "a521", "b521", false, "P-521 Main Mode");
	good(IKE_AUTH_ECDSA_256, "a", "b", true, "P-256 Aggressive Mode");
	t_curves_differ();
	t_rsa_offer();
	t_rsa_cert();
	t_tampered();
	t_unanswered();
	/* Digests of 20, 32 and 64 bytes (the last longer than P-256's). */
	raw_sig("a", nettle_get_secp_256r1(), 32, 20);
	raw_sig("a", nettle_get_secp_256r1(), 32, 64);
	raw_sig("b384", nettle_get_secp_384r1(), 48, 48);
	raw_sig("c521", nettle_get_secp_521r1(), 66, 64);
	t_config();
	cleanup();
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
