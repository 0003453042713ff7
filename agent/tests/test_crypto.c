// SPDX-License-Identifier: GPL-2.0
/*
 * Crypto wrappers against published vectors: RFC 2202/4231 HMAC,
 * SP 800-38A AES-CBC, RFC 5903 ECP-256, RFC 7748 X25519, and MODP/ECP
 * agreement between two fresh key pairs for every group.
 */
#include <stdint.h>
#include <string.h>
#include <gmp.h>

#include "tap.h"
#include "crypto/cipher.h"
#include "crypto/dh.h"
#include "crypto/prf.h"
#include "crypto/rng.h"
#include "ike/conn.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned int v;

	while (h[0] && h[1]) {
		if (h[0] == ' ') {
			h++;
			continue;
		}
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static void hmac_kat(unsigned int hash, const char *key, size_t klen,
		     const char *msg, const char *want, const char *name)
{
	uint8_t out[64], w[64];
	struct chunk c = { (const uint8_t *)msg, strlen(msg) };
	size_t n = unhex(want, w);

	ok(crypto_prf(hash, (const uint8_t *)key, klen, &c, 1, out) == 0,
	   "%s computes", name);
	is_int(crypto_hash_len(hash), n, "%s length", name);
	is_mem(out, w, n, "%s vector", name);
}

static void dh_agree(unsigned int group)
{
	struct dh *a = dh_new(group, crypto_random, NULL);
	struct dh *b = dh_new(group, crypto_random, NULL);
	uint8_t sa[1024], sb[1024], bad[1024];
	size_t pl = dh_pub_len(group), sl = dh_secret_len(group);

	ok(a && b, "group %u: key pairs", group);
	if (!a || !b)
		return;
	ok(dh_derive(a, dh_public(b), pl, sa) == 0 &&
	   dh_derive(b, dh_public(a), pl, sb) == 0, "group %u: derive", group);
	is_mem(sa, sb, sl, "group %u: both sides agree", group);
	ok(memcmp(dh_public(a), dh_public(b), pl) != 0,
	   "group %u: distinct public values", group);
	ok(dh_derive(a, dh_public(b), pl - 1, sa) == -1,
	   "group %u: wrong length refused", group);
	memset(bad, 0, pl);
	if (group == 31) {
		ok(dh_derive(a, bad, pl, sa) == -1,
		   "group 31: all-zero shared secret refused");
	} else if (group >= 19) {
		memcpy(bad, dh_public(b), pl);
		bad[pl - 1] ^= 1;
		ok(dh_derive(a, bad, pl, sa) == -1,
		   "group %u: off-curve point refused", group);
	} else {
		bad[pl - 1] = 1;
		ok(dh_derive(a, bad, pl, sa) == -1, "group %u: y = 1 refused",
		   group);
		/* p - 1 = the prime with its last byte decremented (ends ff). */
		memset(bad, 0xff, pl);
		{
			const char *hex = dh_modp_prime_hex(group);

			unhex(hex, bad);
			bad[pl - 1] -= 1;
		}
		ok(dh_derive(a, bad, pl, sa) == -1, "group %u: y = p-1 refused",
		   group);
		memset(bad, 0xff, pl);
		ok(dh_derive(a, bad, pl, sa) == -1, "group %u: y > p refused",
		   group);
	}
	dh_free(a);
	dh_free(b);
}

/*
 * Numbers that held secrets are freed and grown by GMP: once DH is in use
 * that goes through functions that wipe, not GMP's defaults.
 */
static void test_gmp_wipes(void)
{
	void (*free_before)(void *, size_t), (*free_after)(void *, size_t);
	void *(*realloc_before)(void *, size_t, size_t);
	void *(*realloc_after)(void *, size_t, size_t);
	struct dh *dh;

	mp_get_memory_functions(NULL, &realloc_before, &free_before);
	dh = dh_new(14, crypto_random, NULL);
	mp_get_memory_functions(NULL, &realloc_after, &free_after);
	ok(dh && free_after != free_before, "GMP frees through a wiping free");
	ok(realloc_after != realloc_before, "GMP grows through a wiping realloc");
	dh_free(dh);
}

static void test_memeq(void)
{
	uint8_t a[48], b[48];

	memset(a, 0x5c, sizeof(a));
	memcpy(b, a, sizeof(b));
	ok(crypto_memeq(a, b, sizeof(a)), "memeq: equal buffers");
	ok(crypto_memeq(a, b, 0), "memeq: nothing to compare is equal");
	b[0] ^= 0x80;
	ok(!crypto_memeq(a, b, sizeof(a)), "memeq: first byte differs");
	b[0] ^= 0x80;
	b[47] ^= 0x01;
	ok(!crypto_memeq(a, b, sizeof(a)), "memeq: last byte differs");
}

int main(void)
{
	uint8_t buf[256], w[256], k[64], iv[16];
	size_t n;

	test_gmp_wipes();
	test_memeq();

	hmac_kat(IKE_HASH_MD5, "Jefe", 4, "what do ya want for nothing?",
		 "750c783e6ab0b503eaa86e310a5db738", "HMAC-MD5 RFC 2202 #2");
	hmac_kat(IKE_HASH_SHA1, "Jefe", 4, "what do ya want for nothing?",
		 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
		 "HMAC-SHA1 RFC 2202 #2");
	hmac_kat(IKE_HASH_SHA256, "Jefe", 4, "what do ya want for nothing?",
		 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		 "HMAC-SHA256 RFC 4231 #2");
	hmac_kat(IKE_HASH_SHA384, "Jefe", 4, "what do ya want for nothing?",
		 "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		 "8e2240ca5e69e2c78b3239ecfab21649", "HMAC-SHA384 RFC 4231 #2");
	hmac_kat(IKE_HASH_SHA512, "Jefe", 4, "what do ya want for nothing?",
		 "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		 "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
		 "HMAC-SHA512 RFC 4231 #2");
	memset(k, 0x0b, 20);
	{
		char key[21];

		memcpy(key, k, 20);
		key[20] = 0;
		hmac_kat(IKE_HASH_SHA256, key, 20, "Hi There",
			 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
			 "HMAC-SHA256 RFC 4231 #1");
	}
	/* Chunked input is the same as one buffer. */
	{
		struct chunk c[3] = {
			{ (const uint8_t *)"what do ya ", 11 },
			{ NULL, 0 },
			{ (const uint8_t *)"want for nothing?", 17 },
		};

		crypto_prf(IKE_HASH_SHA256, (const uint8_t *)"Jefe", 4, c, 3, buf);
		unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", w);
		is_mem(buf, w, 32, "HMAC over split chunks");
		c[0].ptr = (const uint8_t *)"abc";
		c[0].len = 3;
		crypto_hash(IKE_HASH_SHA1, c, 1, buf);
		unhex("a9993e364706816aba3e25717850c26c9cd0d89d", w);
		is_mem(buf, w, 20, "SHA1('abc')");
	}
	ok(crypto_prf(99, k, 4, NULL, 0, buf) == -1, "unknown PRF refused");
	is_int(crypto_hash_len(3), 0, "hash 3 (tiger) unsupported");

	/* AES-128-CBC, SP 800-38A F.2.1 (two blocks). */
	unhex("2b7e151628aed2a6abf7158809cf4f3c", k);
	for (n = 0; n < 16; n++)
		iv[n] = (uint8_t)n;
	unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", buf);
	ok(crypto_cbc(IKE_ENC_AES_CBC, k, 16, iv, buf, 32, true) == 0,
	   "AES-CBC encrypt");
	unhex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2", w);
	is_mem(buf, w, 32, "AES-128-CBC SP 800-38A vector");
	ok(crypto_cbc(IKE_ENC_AES_CBC, k, 16, iv, buf, 32, false) == 0,
	   "AES-CBC decrypt");
	unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", w);
	is_mem(buf, w, 32, "AES-CBC round trip");
	ok(crypto_cbc(IKE_ENC_AES_CBC, k, 16, iv, buf, 31, true) == -1,
	   "partial block refused");
	ok(crypto_cbc(IKE_ENC_AES_CBC, k, 15, iv, buf, 32, true) == -1,
	   "bad key length refused");
	for (n = 0; n < 24; n++)
		k[n] = (uint8_t)(n + 1);
	memcpy(buf, "ABCDEFGHabcdefgh", 16);
	ok(crypto_cbc(IKE_ENC_3DES_CBC, k, 24, iv, buf, 16, true) == 0,
	   "3DES-CBC encrypt");
	unhex("0cedc831e8b2f1eca9247fb10450c787", w);
	is_mem(buf, w, 16, "3DES-CBC vector");
	crypto_cbc(IKE_ENC_3DES_CBC, k, 24, iv, buf, 16, false);
	is_mem(buf, "ABCDEFGHabcdefgh", 16, "3DES-CBC round trip");
	is_int(crypto_cipher_keylen(IKE_ENC_AES_CBC, 256), 32, "aes256 key len");
	is_int(crypto_cipher_keylen(IKE_ENC_3DES_CBC, 0), 24, "3des key len");
	is_int(crypto_cipher_blocklen(IKE_ENC_3DES_CBC), 8, "3des block");

	/* RFC 5903 8.1: 256-bit random ECP group. */
	{
		uint8_t i[32], r[32], gi[64], gr[64], s[32], si[32], sr[32];
		struct dh *a, *b;

		unhex("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433", i);
		unhex("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53", r);
		unhex("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
		      "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3", gi);
		unhex("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
		      "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB", gr);
		unhex("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE", s);
		a = dh_new_priv(19, i, 32);
		b = dh_new_priv(19, r, 32);
		ok(a && b, "ECP-256 from private values");
		is_mem(dh_public(a), gi, 64, "RFC 5903 g^i");
		is_mem(dh_public(b), gr, 64, "RFC 5903 g^r");
		ok(dh_derive(a, gr, 64, si) == 0 && dh_derive(b, gi, 64, sr) == 0,
		   "ECP-256 derive");
		is_mem(si, s, 32, "RFC 5903 g^ir (initiator)");
		is_mem(sr, s, 32, "RFC 5903 g^ir (responder)");
		dh_free(a);
		dh_free(b);
	}
	/* RFC 7748 6.1 */
	{
		uint8_t a_[32], b_[32], ap[32], bp[32], kk[32], s1[32], s2[32];
		struct dh *a, *b;

		unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a_);
		unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", ap);
		unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b_);
		unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bp);
		unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", kk);
		a = dh_new_priv(31, a_, 32);
		b = dh_new_priv(31, b_, 32);
		is_mem(dh_public(a), ap, 32, "RFC 7748 Alice public");
		is_mem(dh_public(b), bp, 32, "RFC 7748 Bob public");
		ok(dh_derive(a, bp, 32, s1) == 0 && dh_derive(b, ap, 32, s2) == 0,
		   "X25519 derive");
		is_mem(s1, kk, 32, "RFC 7748 shared (Alice)");
		is_mem(s2, kk, 32, "RFC 7748 shared (Bob)");
		dh_free(a);
		dh_free(b);
	}
	/* Every group: fresh pairs agree; hostile peer values refused. */
	{
		static const unsigned int gs[] = { 2, 5, 14, 15, 16, 17, 18,
						   19, 20, 21, 31 };
		static const size_t pls[] = { 128, 192, 256, 384, 512, 768,
					      1024, 64, 96, 132, 32 };

		for (n = 0; n < sizeof(gs) / sizeof(gs[0]); n++) {
			is_int(dh_pub_len(gs[n]), pls[n], "group %u pub len",
			       gs[n]);
			dh_agree(gs[n]);
		}
		ok(!dh_new(1, crypto_random, NULL), "group 1 not implemented");
		ok(!dh_new(22, crypto_random, NULL), "group 22 not implemented");
	}
	return tap_done();
}
