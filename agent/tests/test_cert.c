// SPDX-License-Identifier: GPL-2.0
/*
 * Main Mode with RSA signatures between two engines (the exchange
 * harness), with a small CA made here with GnuTLS: a good exchange in
 * both roles (and one in Aggressive Mode), then a peer certificate from another CA, an expired one,
 * one that does not match remote-id and a tampered exchange, each
 * refused with its log line and recorded failure; the raw PKCS#1
 * signature itself; and the configuration errors of the certificate keys.
 */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "crypto/x509.h"
#include "isakmp/isakmp.h"
#include "exchange_harness.h"
#include "pki.h"

static char dir[] = "/tmp/esptun-cert-XXXXXX";
const char *pki_dir = dir;
static gnutls_x509_privkey_t ca_key, ca2_key, a_key, b_key;
static gnutls_x509_crt_t ca_crt, ca2_crt;

static void make_pki(void)
{
	gnutls_x509_crt_t c;

	if (!mkdtemp(dir))
		printf("# mkdtemp failed\n");
	ca_key = pki_key();
	ca2_key = pki_key();
	a_key = pki_key();
	b_key = pki_key();
	ca_crt = pki_crt("CN=Test CA,O=esptun", ca_key, NULL, NULL, -1, 30,
		       NULL);
	ca2_crt = pki_crt("CN=Other CA,O=esptun", ca2_key, NULL, NULL, -1, 30,
			NULL);
	pki_save_crt("ca.pem", ca_crt);
	pki_save_crt("ca2.pem", ca2_crt);
	pki_save_key("a.key", a_key, 0600);
	pki_save_key("b.key", b_key, 0600);
	pki_save_key("a-open.key", a_key, 0644);
#define CRT(file, dn, key, is, ik, f, t, dns) do {			\
		c = pki_crt(dn, key, is, ik, f, t, dns);			\
		pki_save_crt(file, c);					\
		gnutls_x509_crt_deinit(c);				\
	} while (0)
	CRT("a.pem", "CN=a,O=esptun", a_key, ca_crt, ca_key, -1, 30,
	    "a.example");
	CRT("b.pem", "CN=b,O=esptun", b_key, ca_crt, ca_key, -1, 30,
	    "b.example");
	CRT("a-other-ca.pem", "CN=a,O=esptun", a_key, ca2_crt, ca2_key, -1,
	    30, "a.example");
	CRT("a-expired.pem", "CN=a,O=esptun", a_key, ca_crt, ca_key, -30, -1,
	    "a.example");
#undef CRT
}

static void path(char *out, const char *name)
{
	snprintf(out, IKE_PATH_MAX, "%s/%s", dir, name);
}

/* Side 0 (A) initiates with cert acert; B expects remote-id bwant. */
static void cert_conns(struct ike_conn *a, struct ike_conn *b,
		       const char *acert, const char *bwant)
{
	char e[256];

	mkconn(a, 0, "aes128-sha256-modp2048", "aes128gcm16", "unused");
	mkconn(b, 1, "aes128-sha256-modp2048", "aes128gcm16", "unused");
	a->auth = b->auth = IKE_AUTH_RSA_SIG;
	a->psk_len = b->psk_len = 0;
	path(a->cert, acert);
	path(a->key, "a.key");
	path(a->ca, "ca.pem");
	path(b->cert, "b.pem");
	path(b->key, "b.key");
	path(b->ca, "ca.pem");
	if (ike_id_parse("dn:CN=b,O=esptun", &a->remote_id, e, sizeof(e)) ||
	    ike_id_parse(bwant, &b->remote_id, e, sizeof(e)))
		printf("# bad test ID: %s\n", e);
}

static int has_payload(const uint8_t *b, size_t len, uint8_t type)
{
	size_t off = ISAKMP_HDR_LEN;
	uint8_t np = b[16];
	int n = 0;

	while (np && off + 4 <= len) {
		n += np == type;
		np = b[off];
		off += (size_t)(b[off + 2] << 8 | b[off + 3]);
	}
	return n;
}

static int n_cr[2];

static int watch_cr(int from, int nth, const uint8_t *buf, size_t len)
{
	/* MM3 from A, MM4 from B: each side's second message. */
	if (nth == 2)
		n_cr[from] = has_payload(buf, len, ISAKMP_NP_CR);
	return 0;
}

static void t_good(void)
{
	struct ike_conn a, b;
	struct st sa, sb;

	setup();
	cert_conns(&a, &b, "a.pem", "fqdn:a.example");
	filter = watch_cr;
	n_cr[0] = n_cr[1] = -1;
	start_pair(&a, &b);
	run(5000);
	sa = status(0);
	sb = status(1);
	is_str(sa.state, "MM_ACTIVE", "rsa-sig: initiator MM_ACTIVE");
	is_str(sb.state, "MM_ACTIVE", "rsa-sig: responder MM_ACTIVE");
	is_int(sa.nactive + sb.nactive, 2, "rsa-sig: Quick Mode done");
	is_int(live_count(0, IKE_DIR_OUT) + live_count(1, IKE_DIR_OUT), 2,
	       "rsa-sig: both sides installed their outbound SA");
	is_int(n_cr[0], 1, "MM3 carries one CR (one CA)");
	is_int(n_cr[1], 1, "MM4 carries one CR");
	ok(logged("MM5: peer authenticated as dn:CN=a,O=esptun by certificate "
		  "\"CN=a,O=esptun\""),
	   "responder: initiator authenticated by its DN");
	ok(logged("MM6: peer authenticated as dn:CN=b,O=esptun"),
	   "initiator: responder authenticated by its DN");
	is_int(nwarn, 0, "no warnings or errors logged");
}

static void t_aggressive(void)
{
	struct ike_conn a, b;

	setup();
	cert_conns(&a, &b, "a.pem", "fqdn:a.example");
	a.mode = IKE_MODE_AGGRESSIVE;
	a.aggressive = b.aggressive = true;
	start_pair(&a, &b);
	run(5000);
	is_str(status(0).state, "AM_ACTIVE", "rsa-sig AM: initiator active");
	is_str(status(1).state, "AM_ACTIVE", "rsa-sig AM: responder active");
	is_int(live_count(0, IKE_DIR_OUT) + live_count(1, IKE_DIR_OUT), 2,
	       "rsa-sig AM: Quick Mode installed both outbound SAs");
	ok(logged("AM2: peer authenticated as dn:CN=b,O=esptun") &&
	   logged("AM3: peer authenticated as dn:CN=a,O=esptun"),
	   "rsa-sig AM: both authenticated by certificate");
	is_int(nwarn, 0, "rsa-sig AM: no warnings or errors logged");
}

/* A's messages from its lose_from-th (3: MM5; 2: AM3; 1: all) on are lost. */
static int lose_from;

static int lose_a_late(int from, int nth, const uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
	return from == 0 && nth >= lose_from;
}

/*
 * The line that gives an unanswered message up guesses the reason: with
 * certificates it must not name a pre-shared key.
 */
static void t_unanswered(void)
{
	struct ike_conn a, b;

	setup();
	cert_conns(&a, &b, "a.pem", "fqdn:a.example");
	filter = lose_a_late;
	lose_from = 3;
	start_pair(&a, &b);
	run(120000);
	ok(logged("no response to MM5 from 192.0.2.2:500 after 5 tries — "
		  "our certificate, signature or ID refused by the peer?"),
	   "rsa-sig, MM5 lost: the failure line names the certificate");
	ok(!logged("pre-shared key"), "rsa-sig, MM5 lost: no pre-shared key "
	   "named");

	setup();
	cert_conns(&a, &b, "a.pem", "fqdn:a.example");
	a.mode = IKE_MODE_AGGRESSIVE;
	a.aggressive = b.aggressive = true;
	filter = lose_a_late;
	lose_from = 2;
	start_pair(&a, &b);
	run(120000);
	ok(logged("no response to AM2 from 192.0.2.1:500 after 5 tries — "
		  "the initiator refused our SIG_R or certificate?"),
	   "rsa-sig, AM3 lost: the responder's line names the certificate");
	ok(!logged("pre-shared key"), "rsa-sig, AM3 lost: no pre-shared key "
	   "named");

	setup();
	cert_conns(&a, &b, "a.pem", "fqdn:a.example");
	a.mode = IKE_MODE_AGGRESSIVE;
	a.aggressive = b.aggressive = true;
	filter = lose_a_late;
	lose_from = 1;
	start_pair(&a, &b);
	run(120000);
	ok(logged("no response to AM1 from 192.0.2.2:500 after 5 tries — "
		  "is UDP 500 blocked?") && !logged("pre-shared key"),
	   "rsa-sig, AM1 lost: UDP 500 named, no pre-shared key");
}

static void refused(const char *acert, const char *bwant, const char *log,
		    const char *diag, const char *what)
{
	struct ike_conn a, b;
	struct st sa, sb;

	setup();
	cert_conns(&a, &b, acert, bwant);
	start_pair(&a, &b);
	run(3000);
	sa = status(0);
	sb = status(1);
	ok(strcmp(sb.state, "MM_ACTIVE") && strcmp(sa.state, "MM_ACTIVE"),
	   "%s: no ISAKMP SA (A %s, B %s)", what, sa.state, sb.state);
	is_int(S[0].nsa + S[1].nsa, 0, "%s: no kernel SA", what);
	ok(logged(log), "%s: logged '%s'", what, log);
	ok(strstr(sb.diag.fail, diag) != NULL, "%s: recorded: %s", what,
	   sb.diag.fail);
	is_str(sb.diag.fail_msg, "MM5", "%s: failure in MM5", what);
}

/* The initiator's SA payload changed on the way: SAi_b differs. */
static int tamper_mm1(int from, int nth, const uint8_t *buf, size_t len)
{
	uint8_t *b = (uint8_t *)buf;
	size_t sal = (size_t)(b[ISAKMP_HDR_LEN + 2] << 8 |
			      b[ISAKMP_HDR_LEN + 3]);

	/* The last byte of the SA payload: the lifetime's lowest. */
	if (from == 0 && nth == 1)
		b[ISAKMP_HDR_LEN + sal - 1] ^= 1;
	return 0;
}

static void t_tampered(void)
{
	struct ike_conn a, b;
	struct st sb;

	setup();
	cert_conns(&a, &b, "a.pem", "fqdn:a.example");
	filter = tamper_mm1;
	start_pair(&a, &b);
	run(3000);
	sb = status(1);
	ok(strcmp(sb.state, "MM_ACTIVE"), "tampered: responder refuses (%s)",
	   sb.state);
	ok(logged("authentication failed in MM5: SIG does not verify with the "
		  "certificate of \"CN=a,O=esptun\""),
	   "tampered: SIG check failure logged");
	ok(strstr(sb.diag.fail, "SIG does not verify") != NULL,
	   "tampered: recorded: %s", sb.diag.fail);
	is_int(S[1].nsa, 0, "tampered: no kernel SA");
}

static void t_psk_peer(void)
{
	struct ike_conn a, b;

	/* A PSK initiator offers auth method 1: B's proposal check says so. */
	setup();
	cert_conns(&a, &b, "a.pem", "fqdn:a.example");
	a.auth = IKE_AUTH_PSK;
	a.psk_len = 3;
	memcpy(a.psk, "abc", 3);
	start_pair(&a, &b);
	run(3000);
	ok(logged("not chosen: authentication method is not RSA signature"),
	   "psk offer to an rsa-sig responder: transform refused");
	is_str(status(1).diag.fail_msg, "MM1", "refusal recorded for MM1");
}

static void t_raw_sig(void)
{
	char e[512];
	struct x509_creds *cr;
	struct x509_peer *p;
	uint8_t h[32], sig[X509_SIG_MAX];
	const uint8_t *der;
	size_t sl, dl;
	char c[IKE_PATH_MAX], k[IKE_PATH_MAX], ca[IKE_PATH_MAX];
	gnutls_datum_t hd = { h, sizeof(h) }, sd;
	gnutls_pubkey_t pub;

	path(c, "a.pem");
	path(k, "a.key");
	path(ca, "ca.pem");
	cr = x509_creds_load(c, k, ca, e, sizeof(e));
	ok(cr != NULL, "credentials load: %s", cr ? "ok" : e);
	if (!cr)
		return;
	memset(h, 0x5a, sizeof(h));
	ok(!x509_sign_raw(cr, h, sizeof(h), sig, &sl) && sl == 256,
	   "raw signature of 32 bytes: 256 bytes for RSA-2048");
	der = x509_own_cert(cr, &dl);
	p = x509_peer_verify(cr, &der, &dl, 1, e, sizeof(e));
	ok(p != NULL, "own certificate verifies against the CA");
	if (p) {
		ok(x509_peer_verify_raw(p, h, sizeof(h), sig, sl),
		   "signature verifies");
		sig[100] ^= 0x10;
		ok(!x509_peer_verify_raw(p, h, sizeof(h), sig, sl),
		   "flipped signature bit: refused");
		x509_peer_free(p);
	}
	/*
	 * No DigestInfo: the signature opens (RSA public operation) to
	 * 00 01 ff..ff 00 then the data itself, which GnuTLS's own
	 * TLS 1.0 style verification checks independently.
	 */
	sig[100] ^= 0x10;
	sd.data = sig;
	sd.size = (unsigned int)sl;
	gnutls_pubkey_init(&pub);
	gnutls_pubkey_import_x509_raw(pub, &(gnutls_datum_t){
		(unsigned char *)der, (unsigned int)dl }, GNUTLS_X509_FMT_DER,
		0);
	ok(gnutls_pubkey_verify_hash2(pub, GNUTLS_SIGN_RSA_SHA256, 0, &hd,
				      &sd) < 0,
	   "not a DigestInfo (SHA-256) signature");
	gnutls_pubkey_deinit(pub);
	x509_creds_free(cr);
}

/* Loads A's credentials and checks the chain der[0..n) against ca.pem. */
static struct x509_peer *verify_chain(gnutls_x509_crt_t *chain, int n,
				      char *why, size_t whylen)
{
	char c[IKE_PATH_MAX], k[IKE_PATH_MAX], ca[IKE_PATH_MAX], e[512];
	gnutls_datum_t d[4];
	const uint8_t *der[4];
	size_t len[4];
	struct x509_creds *cr;
	struct x509_peer *p;
	int i;

	path(c, "a.pem");
	path(k, "a.key");
	path(ca, "ca.pem");
	cr = x509_creds_load(c, k, ca, e, sizeof(e));
	if (!cr) {
		snprintf(why, whylen, "%s", e);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		gnutls_x509_crt_export2(chain[i], GNUTLS_X509_FMT_DER, &d[i]);
		der[i] = d[i].data;
		len[i] = d[i].size;
	}
	p = x509_peer_verify(cr, der, len, n, why, whylen);
	for (i = 0; i < n; i++)
		gnutls_free(d[i].data);
	x509_creds_free(cr);
	return p;
}

/*
 * A peer holding an end-entity certificate of the CA (CA:FALSE) signs
 * one for another identity: not a chain to the CA. A real intermediate
 * CA is one.
 */
static void t_chain(void)
{
	gnutls_x509_privkey_t ik = pki_key(), fk = pki_key();
	gnutls_x509_crt_t ee, forged, inter, viai;
	struct x509_peer *p;
	char why[512];

	ee = pki_crt("CN=a,O=esptun", a_key, ca_crt, ca_key, -1, 30,
		     "a.example");
	forged = pki_crt("CN=b,O=esptun", fk, ee, a_key, -1, 30,
			 "b.example");
	p = verify_chain((gnutls_x509_crt_t[]){ forged, ee }, 2, why,
			 sizeof(why));
	ok(!p, "chain: an end-entity certificate issues nothing (%s)",
	   p ? "accepted" : why);
	x509_peer_free(p);
	/* An intermediate: a CA certificate the CA signed. */
	inter = pki_crt("CN=Sub CA,O=esptun", ik, NULL, NULL, -1, 30, NULL);
	gnutls_x509_crt_sign2(inter, ca_crt, ca_key, GNUTLS_DIG_SHA256, 0);
	viai = pki_crt("CN=c,O=esptun", fk, inter, ik, -1, 30, "c.example");
	p = verify_chain((gnutls_x509_crt_t[]){ viai, inter }, 2, why,
			 sizeof(why));
	ok(p != NULL, "chain: through an intermediate CA sent along (%s)",
	   p ? "ok" : why);
	if (p)
		ok(x509_peer_has_id(p, 2, (const uint8_t *)"c.example", 9) &&
		   !x509_peer_has_id(p, 2, (const uint8_t *)"c.exampl", 8),
		   "chain: the end entity's identity, whole");
	x509_peer_free(p);
	p = verify_chain((gnutls_x509_crt_t[]){ viai }, 1, why, sizeof(why));
	ok(!p, "chain: not without the intermediate (%s)",
	   p ? "accepted" : why);
	x509_peer_free(p);
	gnutls_x509_crt_deinit(ee);
	gnutls_x509_crt_deinit(forged);
	gnutls_x509_crt_deinit(inter);
	gnutls_x509_crt_deinit(viai);
	gnutls_x509_privkey_deinit(ik);
	gnutls_x509_privkey_deinit(fk);
}

static void t_config(void)
{
	static const struct {
		const char *keys;
		const char *err;
	} bad[] = {
		{ "auth = rsa-sig\ncert = a.pem\nkey = a.key\n",
		  ":1: conn 'x': auth = rsa-sig needs cert, key and ca" },
		{ "auth = rsa-sig\ncert = nosuch.pem\nkey = a.key\nca = ca.pem\n",
		  ":7: conn 'x': cert " },
		{ "auth = rsa-sig\ncert = a.pem\nkey = a-open.key\nca = ca.pem\n",
		  "a-open.key is world-readable (chmod o-r it)" },
		{ "auth = rsa-sig\ncert = a.pem\nkey = b.key\nca = ca.pem\n",
		  ":8: conn 'x': key " },
		{ "auth = rsa-sig\ncert = a.pem\nkey = a.key\nca = a.key\n",
		  ":9: conn 'x': ca " },
		{ "auth = rsa-sig\npsk = k\ncert = a.pem\nkey = a.key\n"
		  "ca = ca.pem\n",
		  ":7: conn 'x': psk and psk-file are for auth = psk" },
	};
	char name[300], text[512], err[CONF_ERR_MAX];
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
	snprintf(text, sizeof(text), "[conn x]\ninterface = esp0\n"
		 "local = 192.0.2.1\nremote = 192.0.2.2\n"
		 "remote-id = dn:CN=b, O=esptun\nauth = rsa-sig\n"
		 "cert = a.pem\nkey = a.key\nca = ca.pem\n");
	r = conf_parse(name, text, &c, err, sizeof(err));
	ok(!r, "rsa-sig conn accepted: %s", r ? err : "ok");
	if (!r) {
		char want[IKE_PATH_MAX];

		path(want, "a.pem");
		is_int(c.conns[0].auth, IKE_AUTH_RSA_SIG, "auth = rsa-sig");
		is_str(c.conns[0].cert, want, "cert relative to the config");
		is_int(c.conns[0].remote_id.type, IKE_ID_DER_ASN1_DN,
		       "dn: remote-id is an ID_DER_ASN1_DN");
		conf_free(&c);
	}
}

static void cleanup(void)
{
	static const char *const files[] = { "ca.pem", "ca2.pem", "a.key",
		"b.key", "a-open.key", "a.pem", "b.pem", "a-other-ca.pem",
		"a-expired.pem" };
	char p[IKE_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path(p, files[i]);
		unlink(p);
	}
	rmdir(dir);
	gnutls_x509_crt_deinit(ca_crt);
	gnutls_x509_crt_deinit(ca2_crt);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(ca2_key);
	gnutls_x509_privkey_deinit(a_key);
	gnutls_x509_privkey_deinit(b_key);
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	make_pki();
	t_good();
	t_aggressive();
	refused("a-other-ca.pem", "fqdn:a.example",
		"authentication failed in MM5: peer certificate "
		"\"CN=a,O=esptun\" not issued by a trusted CA (ca =)",
		"not issued by a trusted CA", "wrong CA");
	refused("a-expired.pem", "fqdn:a.example",
		"authentication failed in MM5: peer certificate "
		"\"CN=a,O=esptun\" expired", "expired", "expired");
	refused("a.pem", "fqdn:other.example",
		"MM5: certificate \"CN=a,O=esptun\" does not match remote-id "
		"fqdn:other.example of site — sending INVALID-ID-INFORMATION",
		"INVALID-ID-INFORMATION", "ID mismatch");
	t_tampered();
	t_unanswered();
	t_psk_peer();
	t_raw_sig();
	t_chain();
	t_config();
	cleanup();
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
