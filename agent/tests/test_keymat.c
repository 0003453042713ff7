// SPDX-License-Identifier: GPL-2.0
/*
 * Key derivation checked against an independent implementation: the
 * RFC 2409 formulas written again in Python (hmac/hashlib), run on the
 * same fixed inputs, compared byte for byte.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "crypto/cipher.h"
#include "ike/conn.h"
#include "ike/iv.h"
#include "ike/keymat.h"

static const char script[] =
"import hmac, hashlib, sys\n"
"H = {1: 'md5', 2: 'sha1', 4: 'sha256', 5: 'sha384', 6: 'sha512'}\n"
"def prf(h, k, *m): return hmac.new(k, b''.join(m), H[h]).digest()\n"
"def hsh(h, *m): return hashlib.new(H[h], b''.join(m)).digest()\n"
"psk = b'secret'\n"
"ni = bytes(range(16)); nr = bytes(range(100, 132))\n"
"gxy = bytes((i * 7) & 255 for i in range(256))\n"
"gxi = bytes((i * 3) & 255 for i in range(256))\n"
"gxr = bytes((i * 5) & 255 for i in range(256))\n"
"ci = bytes.fromhex('0102030405060708'); cr = bytes.fromhex('a1a2a3a4a5a6a7a8')\n"
"sai = b'SAi_b body'; idi = bytes([1, 17, 1, 244, 192, 0, 2, 1])\n"
"mid = bytes.fromhex('deadbeef')\n"
"rest = b'SA|Nonce|IDs'\n"
"spi = bytes.fromhex('c0ffee01'); qgxy = bytes(range(32))\n"
"for h, klen in ((2, 32), (4, 16), (4, 32), (1, 24), (5, 32), (6, 32)):\n"
"    s = prf(h, psk, ni, nr)\n"
"    d = prf(h, s, gxy, ci, cr, b'\\0')\n"
"    a = prf(h, s, d, gxy, ci, cr, b'\\1')\n"
"    e = prf(h, s, a, gxy, ci, cr, b'\\2')\n"
"    if klen > len(e):\n"
"        k = prf(h, e, b'\\0'); ka = k\n"
"        while len(ka) < klen:\n"
"            k = prf(h, e, k); ka += k\n"
"    else:\n"
"        ka = e\n"
"    out = [s, d, a, e, ka[:klen]]\n"
"    out.append(prf(h, s, gxi, gxr, ci, cr, sai, idi))\n"
"    out.append(prf(h, s, gxr, gxi, cr, ci, sai, idi))\n"
"    out.append(prf(h, a, mid, rest))\n"
"    out.append(prf(h, a, mid, ni, rest))\n"
"    out.append(prf(h, a, b'\\0', mid, ni, nr))\n"
"    for g, n in ((b'', 36), (qgxy, 52), (b'', 100)):\n"
"        km = b''; k = b''\n"
"        while len(km) < n:\n"
"            k = prf(h, d, k, g, b'\\3', spi, ni, nr); km += k\n"
"        out.append(km[:n])\n"
"    bl = 8 if klen == 24 else 16\n"
"    iv1 = hsh(h, gxi, gxr)[:bl]\n"
"    out.append(iv1)\n"
"    out.append(hsh(h, iv1, mid)[:bl])\n"
"    print(' '.join(x.hex() for x in out))\n"
"for h, ah in ((4, 5), (4, 6), (2, 4), (6, 4)):\n"
"    s = prf(h, ni + nr, gxy)\n"
"    print(prf(ah, s, gxi, gxr, ci, cr, sai, idi).hex(),\n"
"          prf(ah, s, gxr, gxi, cr, ci, sai, idi).hex())\n";

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (n < max && h[0] && h[1] && sscanf(h, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

int main(void)
{
	static const struct { unsigned int h, enc, bits; } cases[] = {
		{ IKE_HASH_SHA1, IKE_ENC_AES_CBC, 256 },	/* expands */
		{ IKE_HASH_SHA256, IKE_ENC_AES_CBC, 128 },
		{ IKE_HASH_SHA256, IKE_ENC_AES_CBC, 256 },
		{ IKE_HASH_MD5, IKE_ENC_3DES_CBC, 0 },		/* expands */
		{ IKE_HASH_SHA384, IKE_ENC_AES_CBC, 256 },
		{ IKE_HASH_SHA512, IKE_ENC_AES_CBC, 256 },
	};
	static const struct { unsigned int prf, method; size_t len; } ec[] = {
		{ IKE_HASH_SHA256, IKE_AUTH_ECDSA_384, 48 },
		{ IKE_HASH_SHA256, IKE_AUTH_ECDSA_521, 64 },
		{ IKE_HASH_SHA1, IKE_AUTH_ECDSA_256, 32 },
		{ IKE_HASH_SHA512, IKE_AUTH_ECDSA_256, 32 },
	};
	uint8_t ni[16], nr[32], gxy[256], gxi[256], gxr[256], qgxy[32];
	const uint8_t ci[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t cr[8] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8 };
	const uint8_t idi[8] = { 1, 17, 1, 244, 192, 0, 2, 1 };
	const uint8_t spi[4] = { 0xc0, 0xff, 0xee, 0x01 };
	char path[] = "/tmp/keymat-XXXXXX", cmd[64], line[8192];
	FILE *f;
	size_t i, c;
	int fd;

	for (i = 0; i < 16; i++)
		ni[i] = (uint8_t)i;
	for (i = 0; i < 32; i++) {
		nr[i] = (uint8_t)(100 + i);
		qgxy[i] = (uint8_t)i;
	}
	for (i = 0; i < 256; i++) {
		gxy[i] = (uint8_t)(i * 7);
		gxi[i] = (uint8_t)(i * 3);
		gxr[i] = (uint8_t)(i * 5);
	}

	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	ok(f != NULL, "script file");
	if (!f)
		return tap_done();
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s", path);
	f = popen(cmd, "r");
	ok(f != NULL, "python3 runs");
	for (c = 0; f && c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ike_keymat k;
		struct iv_mgr ivm;
		uint8_t want[16][128], got[128];
		size_t wl[16], nw = 0;
		char *tok, *save = NULL;
		unsigned int h = cases[c].h;
		size_t pl;
		char name[32];

		if (!fgets(line, sizeof(line), f))
			break;
		for (tok = strtok_r(line, " \n", &save); tok && nw < 16;
		     tok = strtok_r(NULL, " \n", &save)) {
			wl[nw] = unhex(tok, want[nw], 128);
			nw++;
		}
		snprintf(name, sizeof(name), "prf %u enc %u/%u", h,
			 cases[c].enc, cases[c].bits);
		is_int(nw, 15, "%s: python produced all values", name);
		if (nw != 15)
			continue;
		ok(keymat_phase1_psk(&k, h, cases[c].enc, cases[c].bits,
				     (const uint8_t *)"secret", 6, ni, 16,
				     nr, 32, gxy, 256, ci, cr) == 0,
		   "%s: derive", name);
		pl = k.prf_len;
		is_int(pl, wl[0], "%s: prf length", name);
		is_mem(k.skeyid, want[0], pl, "%s: SKEYID", name);
		is_mem(k.skeyid_d, want[1], pl, "%s: SKEYID_d", name);
		is_mem(k.skeyid_a, want[2], pl, "%s: SKEYID_a", name);
		is_mem(k.skeyid_e, want[3], pl, "%s: SKEYID_e", name);
		is_int(k.enc_key_len, wl[4], "%s: cipher key length", name);
		is_mem(k.enc_key, want[4], wl[4], "%s: cipher key (appendix B)",
		       name);
		keymat_auth_hash(&k, h, gxi, 256, gxr, 256, ci, cr,
				 (const uint8_t *)"SAi_b body", 10, idi, 8, got);
		is_mem(got, want[5], pl, "%s: HASH_I", name);
		keymat_auth_hash(&k, h, gxr, 256, gxi, 256, cr, ci,
				 (const uint8_t *)"SAi_b body", 10, idi, 8, got);
		is_mem(got, want[6], pl, "%s: HASH_R", name);
		keymat_qm_hash(&k, 0, 0xdeadbeef, NULL, 0, NULL, 0,
			       (const uint8_t *)"SA|Nonce|IDs", 12, got);
		is_mem(got, want[7], pl, "%s: QM HASH(1)", name);
		keymat_qm_hash(&k, 0, 0xdeadbeef, ni, 16, NULL, 0,
			       (const uint8_t *)"SA|Nonce|IDs", 12, got);
		is_mem(got, want[8], pl, "%s: QM HASH(2)", name);
		keymat_qm_hash(&k, 1, 0xdeadbeef, ni, 16, nr, 32, NULL, 0, got);
		is_mem(got, want[9], pl, "%s: QM HASH(3)", name);
		keymat_child(&k, NULL, 0, 3, spi, ni, 16, nr, 32, got, 36);
		is_mem(got, want[10], 36, "%s: KEYMAT 36 bytes, no PFS", name);
		keymat_child(&k, qgxy, 32, 3, spi, ni, 16, nr, 32, got, 52);
		is_mem(got, want[11], 52, "%s: KEYMAT 52 bytes, PFS", name);
		keymat_child(&k, NULL, 0, 3, spi, ni, 16, nr, 32, got, 100);
		is_mem(got, want[12], 100, "%s: KEYMAT 100 bytes", name);
		ok(iv_init(&ivm, &k, gxi, 256, gxr, 256) == 0, "%s: IV", name);
		is_mem(iv_get(&ivm, 0), want[13], wl[13], "%s: phase 1 IV", name);
		iv_phase1_done(&ivm);
		is_mem(iv_get(&ivm, 0xdeadbeef), want[14], wl[14],
		       "%s: Quick Mode IV", name);
		keymat_wipe(&k);
	}
	is_int(c, 6, "all cases compared");
	/*
	 * ECDSA: HASH_I/HASH_R under SKEYID for signatures, with the HMAC
	 * of the curve's hash whatever the PRF (strongSwan's reading of
	 * RFC 4754): P-384 and P-521 with a SHA-256 PRF, P-256 with SHA-1
	 * and SHA-512.
	 */
	for (c = 0; f && c < sizeof(ec) / sizeof(ec[0]); c++) {
		struct ike_keymat k;
		uint8_t want[2][64], got[64];
		size_t wl[2], hl;
		char name[48], *tok, *save;

		snprintf(name, sizeof(name), "prf %u, %s", ec[c].prf,
			 ike_auth_name(ec[c].method));
		if (!fgets(line, sizeof(line), f))
			break;
		tok = strtok_r(line, " \n", &save);
		wl[0] = tok ? unhex(tok, want[0], 64) : 0;
		tok = strtok_r(NULL, " \n", &save);
		wl[1] = tok ? unhex(tok, want[1], 64) : 0;
		ok(keymat_phase1_sig(&k, ec[c].prf, IKE_ENC_AES_CBC, 128, ni,
				     16, nr, 32, gxy, 256, ci, cr) == 0,
		   "%s: derive", name);
		hl = crypto_hash_len(ike_auth_prf(ec[c].method, k.prf));
		is_int(hl, ec[c].len, "%s: HASH_I of the curve's hash", name);
		is_int(wl[0], hl, "%s: python's HASH_I as long", name);
		keymat_auth_hash(&k, ike_auth_prf(ec[c].method, k.prf), gxi,
				 256, gxr, 256, ci, cr,
				 (const uint8_t *)"SAi_b body", 10, idi, 8, got);
		is_mem(got, want[0], wl[0], "%s: HASH_I", name);
		keymat_auth_hash(&k, ike_auth_prf(ec[c].method, k.prf), gxr,
				 256, gxi, 256, cr, ci,
				 (const uint8_t *)"SAi_b body", 10, idi, 8, got);
		is_int(wl[1], hl, "%s: python's HASH_R as long", name);
		is_mem(got, want[1], wl[1], "%s: HASH_R", name);
		keymat_wipe(&k);
	}
	is_int(c, 4, "all ECDSA cases compared");
	if (f)
		is_int(pclose(f), 0, "python3 exit status");
	unlink(path);

	/* IV chaining: commit only after verification. */
	{
		struct ike_keymat k;
		struct iv_mgr a, b;
		uint8_t msg[64], copy[64], iv0[16];

		keymat_phase1_psk(&k, IKE_HASH_SHA256, IKE_ENC_AES_CBC, 128,
				  (const uint8_t *)"x", 1, ni, 16, nr, 32,
				  gxy, 256, ci, cr);
		iv_init(&a, &k, gxi, 256, gxr, 256);
		iv_init(&b, &k, gxi, 256, gxr, 256);
		memset(msg, 0x42, sizeof(msg));
		ok(iv_encrypt(&a, &k, 0, msg, 64) == 0, "encrypt MM5-like body");
		is_mem(iv_get(&a, 0), msg + 48, 16,
		       "sender IV = last ciphertext block");
		memcpy(copy, msg, 64);
		memcpy(iv0, iv_get(&b, 0), 16);
		ok(iv_decrypt(&b, &k, 0, msg, 64) == 0, "decrypt");
		ok(msg[0] == 0x42 && msg[63] == 0x42, "plaintext back");
		is_mem(iv_get(&b, 0), iv0, 16, "receiver IV unchanged before confirm");
		iv_confirm(&b, 0);
		is_mem(iv_get(&b, 0), copy + 48, 16, "receiver IV after confirm");
		ok(iv_encrypt(&a, &k, 0, msg, 63) == -1, "partial block refused");
		/* Two message IDs chain independently. */
		iv_phase1_done(&a);
		iv_phase1_done(&b);
		memset(msg, 1, 32);
		iv_encrypt(&a, &k, 7, msg, 32);
		iv_decrypt(&b, &k, 7, msg, 32);
		iv_confirm(&b, 7);
		ok(msg[0] == 1 && msg[31] == 1, "M-ID 7 round trip");
		memset(msg, 2, 32);
		iv_encrypt(&a, &k, 9, msg, 32);
		iv_decrypt(&b, &k, 9, msg, 32);
		ok(msg[0] == 2 && msg[31] == 2, "M-ID 9 round trip");
		memset(msg, 3, 32);
		iv_encrypt(&b, &k, 7, msg, 32);
		iv_decrypt(&a, &k, 7, msg, 32);
		ok(msg[0] == 3 && msg[31] == 3, "M-ID 7 continues its chain");
		keymat_wipe(&k);
	}
	return tap_done();
}
