// SPDX-License-Identifier: GPL-2.0
/* Proposal strings: every keyword, every error, the weak policy. */
#include <string.h>

#include "tap.h"
#include "ike/conn.h"
#include "ike/proposal.h"

static struct ike_proposal ip[IKE_MAX_PROPOSALS];
static struct esp_proposal ep[IKE_MAX_PROPOSALS];
static char err[256];

static void ike_ok(const char *s, unsigned enc, unsigned kl, unsigned h,
		   unsigned g)
{
	int n = ike_proposals_parse(s, ip, IKE_MAX_PROPOSALS, err, sizeof(err));

	ok(n == 1 && ip[0].enc == enc && ip[0].keylen == kl &&
	   ip[0].hash == h && ip[0].group == g, "ike '%s'", s);
}

static void esp_ok(const char *s, unsigned t, unsigned kl, unsigned a,
		   unsigned g)
{
	int n = esp_proposals_parse(s, ep, IKE_MAX_PROPOSALS, err, sizeof(err));

	ok(n == 1 && ep[0].transform == t && ep[0].keylen == kl &&
	   ep[0].auth == a && ep[0].group == g, "esp '%s'", s);
}

/* What a peer may offer in Quick Mode: each accepted or refused by name. */
static void peer_offers(void)
{
	struct esp_proposal p = { .keylen = 128, .auth = ESP_AUTH_HMAC_SHA1 };
	static const struct {
		unsigned int transform, auth;
		const char *why;
	} t[] = {
		{ 2, ESP_AUTH_HMAC_SHA1, "DES is never accepted" },
		{ 18, ESP_AUTH_NONE,
		  "unsupported ESP transform 18 (AES-GCM with 8-byte ICV)" },
		{ 19, ESP_AUTH_NONE,
		  "unsupported ESP transform 19 (AES-GCM with 12-byte ICV)" },
		{ 23, 0, "unsupported ESP transform 23 (AES-GMAC" },
		{ 13, ESP_AUTH_HMAC_SHA1,
		  "unsupported ESP transform 13 (AES-CTR)" },
		{ ESP_T_AES_CBC, 9,
		  "unsupported integrity algorithm 9 (AES-XCBC-MAC)" },
		{ ESP_T_AES_CBC, 8,
		  "unsupported integrity algorithm 8 (HMAC-RIPEMD)" },
		{ ESP_T_AES_CBC, 200, "unsupported integrity algorithm 200 " },
		{ 250, ESP_AUTH_HMAC_SHA1,
		  "unsupported ESP transform 250 (unknown)" },
	};
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p.transform = (uint16_t)t[i].transform;
		p.auth = (uint16_t)t[i].auth;
		why = esp_proposal_refusal(&p, true);
		ok(why && !strncmp(why, t[i].why, strlen(t[i].why)),
		   "esp transform %u auth %u refused: %s", t[i].transform,
		   t[i].auth, why ? why : "(accepted)");
	}
	p.transform = ESP_T_AES_CBC;
	p.auth = ESP_AUTH_HMAC_SHA256;
	ok(esp_proposal_refusal(&p, false) == NULL,
	   "esp aes128 sha256 accepted");
	is_str(esp_attr_refusal(4, 2), "encapsulation mode transport: esptun "
	       "carries tunnel mode only", "transport mode refused by name");
	ok(strstr(esp_attr_refusal(4, 61443), "UDP-encapsulated tunnel") &&
	   strstr(esp_attr_refusal(4, 3), "UDP-encapsulated tunnel"),
	   "UDP-encapsulated tunnel (draft and RFC 3947 values) named");
	ok(esp_attr_refusal(10, 1) == NULL, "ECN tunnel allowed: accepted");
	ok(strstr(esp_attr_refusal(10, 2), "ECN tunnel = forbidden") != NULL,
	   "ECN tunnel forbidden: refused by name");
	ok(strstr(esp_attr_refusal(11, 1), "extended (64-bit) sequence") !=
	   NULL, "ESN refused by name");
	ok(strstr(esp_attr_refusal(7, 12), "key rounds") != NULL,
	   "key rounds refused by name");
	ok(strstr(esp_attr_refusal(8, 2048), "compression attribute 8") &&
	   strstr(esp_attr_refusal(9, 1), "compression attribute 9"),
	   "IPComp attributes refused by name");
	is_str(esp_attr_refusal(16384, 1), "unsupported attribute 16384",
	       "unknown attribute refused with its number");
	is_str(esp_proto_refusal(2), "AH proposal: only ESP is negotiated",
	       "AH proposal named");
	is_str(esp_proto_refusal(4), "IPComp proposal: compression is not "
	       "supported", "IPComp proposal named");
}

static void ike_bad(const char *s, const char *msg)
{
	int n;

	err[0] = 0;
	n = ike_proposals_parse(s, ip, IKE_MAX_PROPOSALS, err, sizeof(err));
	ok(n == -1 && strstr(err, msg), "ike '%s' refused: %s", s, err);
}

static void esp_bad(const char *s, const char *msg)
{
	int n;

	err[0] = 0;
	n = esp_proposals_parse(s, ep, IKE_MAX_PROPOSALS, err, sizeof(err));
	ok(n == -1 && strstr(err, msg), "esp '%s' refused: %s", s, err);
}

int main(void)
{
	char b[64];
	int n;

	ike_ok("aes128-sha1-modp2048", IKE_ENC_AES_CBC, 128, IKE_HASH_SHA1, 14);
	ike_ok("aes192-sha256-modp3072", IKE_ENC_AES_CBC, 192, IKE_HASH_SHA256, 15);
	ike_ok("aes256-sha384-modp4096", IKE_ENC_AES_CBC, 256, IKE_HASH_SHA384, 16);
	ike_ok("aes-sha512-modp6144", IKE_ENC_AES_CBC, 128, IKE_HASH_SHA512, 17);
	ike_ok("AES256-SHA256-MODP8192", IKE_ENC_AES_CBC, 256, IKE_HASH_SHA256, 18);
	ike_ok("3des-md5-modp1024", IKE_ENC_3DES_CBC, 0, IKE_HASH_MD5, 2);
	ike_ok("aes128-sha-modp1536", IKE_ENC_AES_CBC, 128, IKE_HASH_SHA1, 5);
	ike_ok("aes128-sha2_256-ecp256", IKE_ENC_AES_CBC, 128, IKE_HASH_SHA256, 19);
	ike_ok("aes128-sha2_384-ecp384", IKE_ENC_AES_CBC, 128, IKE_HASH_SHA384, 20);
	ike_ok("aes128-sha2_512-ecp521", IKE_ENC_AES_CBC, 128, IKE_HASH_SHA512, 21);
	ike_ok("aes128-sha256-curve25519", IKE_ENC_AES_CBC, 128, IKE_HASH_SHA256, 31);
	ike_ok("aes128-sha256-x25519", IKE_ENC_AES_CBC, 128, IKE_HASH_SHA256, 31);

	n = ike_proposals_parse(" aes256-sha256-modp2048 ,aes128-sha1-modp2048 ",
				ip, IKE_MAX_PROPOSALS, err, sizeof(err));
	is_int(n, 2, "two IKE proposals with spaces");
	ok(ip[0].keylen == 256 && ip[1].keylen == 128 && ip[1].hash == 2,
	   "both IKE proposals in order");
	is_str(ike_proposal_str(&ip[0], b, sizeof(b)), "aes256-sha256-modp2048",
	       "ike_proposal_str");

	ike_bad("", "empty proposal");
	ike_bad("aes256-sha256-modp2048,", "empty proposal after ','");
	ike_bad("aes256-sha256", "need encryption-hash-group");
	ike_bad("aes256-sha256-modp2048-x", "need encryption-hash-group");
	ike_bad("aes256--modp2048", "malformed proposal");
	ike_bad("aes256-sha256-", "malformed proposal");
	ike_bad("blowfish-sha256-modp2048", "unknown encryption 'blowfish'");
	ike_bad("aes256-sha3-modp2048", "unknown hash 'sha3'");
	ike_bad("aes256-sha256-modp999", "unknown DH group 'modp999'");
	ike_bad("des-sha1-modp2048", "DES is never accepted");
	ike_bad("aes128-sha1-modp768", "never accepted");
	ike_bad("aes1-sha1-modp2048,aes2-sha1-modp2048", "proposal 1");
	ike_bad("aes128-sha1-modp2048,aes2-sha1-modp2048", "proposal 2");
	n = ike_proposals_parse("aes128-sha1-modp2048,aes128-sha1-modp2048",
				ip, 1, err, sizeof(err));
	ok(n == -1 && strstr(err, "too many"), "too many IKE proposals");

	/* Weak policy, checked separately. */
	n = ike_proposals_parse("aes256-sha256-modp2048, aes128-sha1-modp1536",
				ip, IKE_MAX_PROPOSALS, err, sizeof(err));
	is_int(n, 2, "weak one parses");
	ok(ike_proposals_check(ip, n, false, err, sizeof(err)) == -1 &&
	   strstr(err, "IKE proposal 2 (aes128-sha1-modp1536): modp1536 is weak"),
	   "modp1536 refused without allow-weak: %s", err);
	is_int(ike_proposals_check(ip, n, true, err, sizeof(err)), 0,
	       "modp1536 accepted with allow-weak");
	ike_proposals_parse("aes128-sha1-modp1024", ip, 8, err, sizeof(err));
	ok(ike_proposal_refusal(&ip[0], false) != NULL, "modp1024 weak");
	ike_proposals_parse("3des-sha1-modp2048", ip, 8, err, sizeof(err));
	ok(strstr(ike_proposal_refusal(&ip[0], false), "3des is weak") != NULL,
	   "3des weak");
	ok(ike_proposal_refusal(&ip[0], true) == NULL, "3des with allow-weak");
	ike_proposals_parse("aes128-md5-modp2048", ip, 8, err, sizeof(err));
	ok(strstr(ike_proposal_refusal(&ip[0], false), "md5 is weak") != NULL,
	   "md5 weak");
	ike_proposals_parse("aes128-sha1-modp2048", ip, 8, err, sizeof(err));
	ok(ike_proposal_refusal(&ip[0], false) == NULL, "modp2048 fine");
	ip[0].group = 1;
	ok(ike_proposal_refusal(&ip[0], true) != NULL, "group 1 refused always");
	ip[0].group = 14;
	ip[0].enc = IKE_ENC_DES_CBC;
	ok(ike_proposal_refusal(&ip[0], true) != NULL, "DES refused always");
	ip[0].enc = IKE_ENC_AES_CBC;
	ip[0].keylen = 64;
	ok(ike_proposal_refusal(&ip[0], true) != NULL, "AES-64 refused");
	ip[0].keylen = 128;
	ip[0].group = 22;
	ok(ike_proposal_refusal(&ip[0], true) != NULL, "unknown group refused");

	/* ESP */
	esp_ok("aes128gcm16", ESP_T_AES_GCM_16, 128, 0, 0);
	esp_ok("aes256gcm16-modp2048", ESP_T_AES_GCM_16, 256, 0, 14);
	esp_ok("aes128gcm", ESP_T_AES_GCM_16, 128, 0, 0);
	esp_ok("aes256gcm-none", ESP_T_AES_GCM_16, 256, 0, 0);
	esp_ok("chacha20poly1305-curve25519", ESP_T_CHACHA20_POLY1305, 0, 0, 31);
	esp_ok("aes256-sha256", ESP_T_AES_CBC, 256, ESP_AUTH_HMAC_SHA256, 0);
	esp_ok("aes128-sha1", ESP_T_AES_CBC, 128, ESP_AUTH_HMAC_SHA1, 0);
	esp_ok("aes192-sha384-ecp384", ESP_T_AES_CBC, 192, ESP_AUTH_HMAC_SHA384, 20);
	esp_ok("aes256-sha512-ecp521", ESP_T_AES_CBC, 256, ESP_AUTH_HMAC_SHA512, 21);
	esp_ok("3des-sha1-modp1536", ESP_T_3DES, 0, ESP_AUTH_HMAC_SHA1, 5);
	esp_ok("null-sha256", ESP_T_NULL, 0, ESP_AUTH_HMAC_SHA256, 0);
	esp_ok("aes128-sha1-none", ESP_T_AES_CBC, 128, ESP_AUTH_HMAC_SHA1, 0);
	esp_ok("aes128-md5", ESP_T_AES_CBC, 128, ESP_AUTH_HMAC_MD5, 0);

	n = esp_proposals_parse("aes256gcm16-modp2048, aes256-sha256, aes128-sha1",
				ep, IKE_MAX_PROPOSALS, err, sizeof(err));
	is_int(n, 3, "three ESP proposals");
	is_str(esp_proposal_str(&ep[0], b, sizeof(b)), "aes256gcm16-modp2048",
	       "esp_proposal_str aead");
	is_str(esp_proposal_str(&ep[1], b, sizeof(b)), "aes256-sha256",
	       "esp_proposal_str cbc");

	esp_bad("aes256", "needs an integrity algorithm");
	esp_bad("aes256gcm16-sha256", "is AEAD, no integrity");
	esp_bad("serpent-sha1", "unknown encryption 'serpent'");
	esp_bad("aes128-whirlpool", "unknown integrity 'whirlpool'");
	esp_bad("aes128-sha1-modp7", "unknown DH group 'modp7'");
	esp_bad("aes128-sha1-modp2048-x", "unexpected 'x'");
	esp_bad("aes128-sha1-modp768", "never accepted");
	esp_bad("aes128-sha1,,aes256-sha1", "empty proposal");
	esp_bad("des-sha1", "unknown encryption 'des'");

	esp_proposals_parse("3des-sha1", ep, 8, err, sizeof(err));
	ok(esp_proposals_check(ep, 1, false, err, sizeof(err)) == -1 &&
	   strstr(err, "3des is weak"), "esp 3des weak: %s", err);
	esp_proposals_parse("aes128-md5", ep, 8, err, sizeof(err));
	ok(esp_proposal_refusal(&ep[0], false) != NULL, "esp md5 weak");
	esp_proposals_parse("aes128-sha1-modp1024", ep, 8, err, sizeof(err));
	ok(esp_proposal_refusal(&ep[0], false) != NULL, "esp pfs modp1024 weak");
	ok(esp_proposal_refusal(&ep[0], true) == NULL, "esp modp1024 allow-weak");
	esp_proposals_parse("aes128gcm16-ecp256", ep, 8, err, sizeof(err));
	ok(esp_proposals_check(ep, 1, false, err, sizeof(err)) == 0,
	   "esp gcm ecp256 fine");

	/* IDs and selectors. */
	{
		struct ike_id id;
		struct ike_ts ts;

		ok(ike_id_parse("192.0.2.1", &id, err, sizeof(err)) == 0 &&
		   id.type == IKE_ID_IPV4_ADDR && id.len == 4 &&
		   id.data[0] == 192 && id.data[3] == 1, "id ipv4");
		ok(ike_id_parse("2001:db8::1", &id, err, sizeof(err)) == 0 &&
		   id.type == IKE_ID_IPV6_ADDR && id.len == 16, "id ipv6");
		ok(ike_id_parse("fqdn:vpn.example", &id, err, sizeof(err)) == 0 &&
		   id.type == IKE_ID_FQDN && id.len == 11 &&
		   !memcmp(id.data, "vpn.example", 11), "id fqdn");
		ok(ike_id_parse("user:a@b", &id, err, sizeof(err)) == 0 &&
		   id.type == IKE_ID_USER_FQDN && id.len == 3, "id user");
		ok(ike_id_parse("keyid:xyz", &id, err, sizeof(err)) == 0 &&
		   id.type == IKE_ID_KEY_ID && id.len == 3, "id keyid");
		ok(ike_id_parse("fqdn:", &id, err, sizeof(err)) == -1, "id empty");
		ok(ike_id_parse("bogus", &id, err, sizeof(err)) == -1, "id bogus");
		is_str(ike_id_str(&id, b, sizeof(b)), "id-type-0(0 bytes)",
		       "id_str of none");

		ok(ike_ts_parse("10.1.0.0/16", &ts, err, sizeof(err)) == 0 &&
		   ts.family == AF_INET && ts.prefixlen == 16 &&
		   ts.addr[0] == 10 && ts.addr[1] == 1, "ts v4");
		ok(ike_ts_parse("0.0.0.0/0", &ts, err, sizeof(err)) == 0 &&
		   ts.prefixlen == 0, "ts any");
		ok(ike_ts_parse("2001:db8::/32", &ts, err, sizeof(err)) == 0 &&
		   ts.family == AF_INET6 && ts.prefixlen == 32, "ts v6");
		ok(ike_ts_parse("10.1.2.3", &ts, err, sizeof(err)) == 0 &&
		   ts.prefixlen == 32, "ts host");
		ok(ike_ts_parse("10.1.0.1/16", &ts, err, sizeof(err)) == -1 &&
		   strstr(err, "host bits"), "ts host bits");
		ok(ike_ts_parse("10.1.0.0/33", &ts, err, sizeof(err)) == -1,
		   "ts prefix too long");
		ok(ike_ts_parse("10.1.0.0/", &ts, err, sizeof(err)) == -1,
		   "ts empty prefix");
		ok(ike_ts_parse("x/8", &ts, err, sizeof(err)) == -1, "ts bad addr");
	}
	{
		struct ike_conn c;

		ike_conn_init(&c);
		ok(c.ike_lifetime == 86400 && c.lifetime == 3600 &&
		   c.life_kbytes == 4608000 && c.replay_window == 64 &&
		   c.rexmit_tries == 5, "conn defaults");
	}
	peer_offers();
	return tap_done();
}
