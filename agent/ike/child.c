// SPDX-License-Identifier: GPL-2.0
/*
 * One direction of a negotiated IPsec SA into the kernel: KEYMAT of both
 * directions at the first install (with the PFS secret when there is
 * one), Linux crypto API names for the ESP proposal, lifetimes with a
 * soft limit at 90%.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/ikev1.h"
#include "log.h"

/* Key material sizes for an ESP proposal: enc (with salt) and auth. */
static void esp_key_sizes(const struct esp_proposal *p, size_t *enc,
			  size_t *auth)
{
	switch (p->transform) {
	case ESP_T_AES_GCM_16:
		*enc = p->keylen / 8 + 4;
		break;
	case ESP_T_CHACHA20_POLY1305:
		*enc = 32 + 4;
		break;
	case ESP_T_AES_CBC:
		*enc = p->keylen / 8;
		break;
	case ESP_T_3DES:
		*enc = 24;
		break;
	default:
		*enc = 0;
	}
	switch (p->auth) {
	case ESP_AUTH_HMAC_MD5:
		*auth = 16;
		break;
	case ESP_AUTH_HMAC_SHA1:
		*auth = 20;
		break;
	case ESP_AUTH_HMAC_SHA256:
		*auth = 32;
		break;
	case ESP_AUTH_HMAC_SHA384:
		*auth = 48;
		break;
	case ESP_AUTH_HMAC_SHA512:
		*auth = 64;
		break;
	default:
		*auth = 0;
	}
}

/* Linux crypto API names, as `ip xfrm state` takes them. */
static void kernel_algs(const struct esp_proposal *p, struct ike_kernel_sa *k)
{
	static const struct {
		uint16_t auth;
		const char *name;
		uint16_t trunc;
	} auths[] = {
		{ ESP_AUTH_HMAC_MD5, "hmac(md5)", 96 },
		{ ESP_AUTH_HMAC_SHA1, "hmac(sha1)", 96 },
		{ ESP_AUTH_HMAC_SHA256, "hmac(sha256)", 128 },
		{ ESP_AUTH_HMAC_SHA384, "hmac(sha384)", 192 },
		{ ESP_AUTH_HMAC_SHA512, "hmac(sha512)", 256 },
	};
	size_t i;

	switch (p->transform) {
	case ESP_T_AES_GCM_16:
		k->aead = true;
		strcpy(k->enc_alg, "rfc4106(gcm(aes))");
		k->icv_bits = 128;
		break;
	case ESP_T_CHACHA20_POLY1305:
		k->aead = true;
		strcpy(k->enc_alg, "rfc7539esp(chacha20,poly1305)");
		k->icv_bits = 128;
		break;
	case ESP_T_AES_CBC:
		strcpy(k->enc_alg, "cbc(aes)");
		break;
	case ESP_T_3DES:
		strcpy(k->enc_alg, "cbc(des3_ede)");
		break;
	default:
		strcpy(k->enc_alg, "ecb(cipher_null)");
	}
	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++)
		if (auths[i].auth == p->auth) {
			strcpy(k->auth_alg, auths[i].name);
			k->auth_trunc_bits = auths[i].trunc;
		}
}

/* KEYMAT of both directions (RFC 2409 5.5), each named by its SPI. */
static int child_keymat(struct p2sa *ch, size_t len)
{
	uint8_t gxy[IKE_MAX_KE], spi[4];
	size_t gl = 0;
	int d, rc = 0;

	if (!ch->p1)
		return -1;
	if (ch->dh) {
		gl = dh_secret_len(ch->prop.group);
		if (dh_derive(ch->dh, ch->ke_peer, ch->ke_peer_len, gxy))
			rc = -1;
	}
	for (d = 0; !rc && d < 2; d++) {
		isakmp_put32(spi, d == IKE_DIR_IN ? ch->spi_in : ch->spi_out);
		rc = keymat_child(&ch->p1->km, gl ? gxy : NULL, gl,
				  ISAKMP_PROTO_ESP, spi, ch->ni, ch->ni_len,
				  ch->nr, ch->nr_len, ch->km[d], len);
	}
	crypto_wipe(gxy, sizeof(gxy));
	ch->km_ready = !rc;
	return rc;
}

int child_install(struct ike_engine *e, struct p2sa *ch, enum ike_sa_dir dir)
{
	const struct ike_conn *c = &ch->conn->c;
	struct ike_kernel_sa *k = calloc(1, sizeof(*k));
	const uint8_t *km = ch->km[dir];
	size_t el, al;
	struct p1sa *p1 = ch->p1;
	int rc = -1;

	if (!k)
		return -1;
	/* Its keys are wiped once installed: never a second time. */
	if (dir == IKE_DIR_IN ? ch->in_installed : ch->out_installed) {
		free(k);
		return 0;
	}
	esp_key_sizes(&ch->prop, &el, &al);
	k->dir = dir;
	k->spi = dir == IKE_DIR_IN ? ch->spi_in : ch->spi_out;
	if (el + al > sizeof(ch->km[0]) ||
	    (!ch->km_ready && child_keymat(ch, el + al)))
		goto out;
	/* Both directions from the ISAKMP SA's endpoints as they are now. */
	if (!ch->in_installed && !ch->out_installed) {
		ch->local = p1->local;
		ch->remote = p1->remote;
	}
	k->src = dir == IKE_DIR_IN ? ch->remote : ch->local;
	k->dst = dir == IKE_DIR_IN ? ch->local : ch->remote;
	k->encap = ch->encap;
	if (ch->encap) {
		k->sport = natt_port(&ch->local);
		k->dport = natt_port(&ch->remote);
	}
	kernel_algs(&ch->prop, k);
	memcpy(k->enc_key, km, el);
	k->enc_key_len = (uint16_t)el;
	memcpy(k->auth_key, km + el, al);
	k->auth_key_len = (uint16_t)al;
	k->replay_window = c->replay_window;
	k->hard_secs = ch->life_secs;
	k->soft_secs = (uint64_t)ch->life_secs * 9 / 10;
	/* Offered by the peer, up to 64 bits: saturate, never wrap. */
	k->hard_bytes = ch->life_kbytes > UINT64_MAX / 1024 ? UINT64_MAX :
			ch->life_kbytes * 1024;
	k->soft_bytes = k->hard_bytes / 10 * 9;
	k->hard_packets = c->life_packets;
	k->soft_packets = c->life_packets / 10 * 9;
	k->local_ts = ch->local_ts;
	k->remote_ts = ch->remote_ts;
	k->prop = ch->prop;
	rc = e->env.add_sa ? e->env.add_sa(e->env.ctx, c, k) : 0;
	if (rc)
		log_err("%s kernel refused %s SA %08x: %d",
			p1 ? msg_ck(p1) : c->name,
			dir == IKE_DIR_IN ? "inbound" : "outbound", k->spi, rc);
	else if (dir == IKE_DIR_IN)
		ch->in_installed = true;
	else
		ch->out_installed = true;
	if (!rc)
		crypto_wipe(ch->km[dir], sizeof(ch->km[dir]));
out:
	crypto_wipe(k, sizeof(*k));
	free(k);
	return rc;
}
