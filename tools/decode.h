/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `esptun decode`: the parts behind decode.c (command, grouping, labels,
 * output). decode_isakmp.c describes payloads, decode_keys.c reads the
 * key table and decrypts, decode_esp.c summarises ESP per SPI.
 */
#ifndef ESPTUN_DECODE_H
#define ESPTUN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "isakmp/frag.h"
#include "isakmp/isakmp.h"
#include "json.h"
#include "pcap_read.h"

/* Where a description goes: JSON members when j is set, else text lines. */
struct dout {
	FILE *f;
	struct json *j;
};

#define DEC_MAX_SPIS	8

/* What labelling and decryption need to know of a message's payloads. */
struct dec_facts {
	bool sa, ke, nonce, id, hash;
	const uint8_t *ke_data;
	size_t ke_len;
	/* The first transform of an ISAKMP proposal: what MM2/AM2 chose. */
	bool p1_transform;
	uint16_t enc, keybits, prf, group;
	/* ESP/AH SPIs of Quick Mode proposals (network order as read). */
	uint32_t spis[DEC_MAX_SPIS];
	uint8_t spi_proto[DEC_MAX_SPIS];
	int n_spis;
	/* A Quick Mode SA payload that could not be parsed, etc. */
	bool malformed;
};

/* decode_isakmp.c */
const char *dec_exch_name(uint8_t exch);
/*
 * Describes every payload of m (text: one indented line each; JSON: a
 * "details" array) and fills fx. phase2 tells whether SA payloads hold
 * IPsec (Quick Mode) or ISAKMP transforms.
 */
void dec_payloads(struct dout *o, const struct isakmp_msg *m,
		  struct dec_facts *fx);
/*
 * Known vendor ID name or NULL; a name with the sender's version in it
 * (Libreswan 4.10) is written into buf.
 */
#define DEC_VID_VERSION_MAX	32
#define DEC_VID_NAME_MAX	48
const char *dec_vid_name(const uint8_t *d, size_t len,
			 char buf[DEC_VID_NAME_MAX]);
void dec_hex(const uint8_t *d, size_t len, char *out, size_t outlen);

/* decode_keys.c: Wireshark's IKEv1 decryption table. */
#define DEC_KEY_MAX	32

struct dec_key {
	uint8_t icookie[8];
	uint8_t key[DEC_KEY_MAX];
	size_t len;
};

struct dec_keytab {
	struct dec_key *k;
	size_t n;
};

/* 0, or -1 with "FILE:LINE: why" in err. */
int dec_keys_load(const char *path, struct dec_keytab *t, char *err,
		  size_t errlen);
void dec_keys_free(struct dec_keytab *t);
const struct dec_key *dec_keys_find(const struct dec_keytab *t,
				    const uint8_t icookie[8]);

#define DEC_IV_MAX	16
#define DEC_KE_MAX	1024

/* The per-cookie-pair state RFC 2409 appendix B chains IVs through. */
struct dec_iv {
	uint32_t msgid;
	uint8_t iv[DEC_IV_MAX];
};

struct dec_crypt {
	const struct dec_key *key;
	uint16_t enc, keybits, prf;	/* from the responder's SA */
	bool have_sa;
	uint8_t gxi[DEC_KE_MAX], gxr[DEC_KE_MAX];
	size_t gxi_len, gxr_len;
	bool have_iv;			/* phase 1 IV derived */
	size_t block;
	uint8_t p1_iv[DEC_IV_MAX];	/* phase 1 chain: last block so far */
	struct dec_iv *ivs;		/* later exchanges, by Message ID */
	size_t n_ivs;
};

/*
 * Decrypts the body of an encrypted message in place (len a multiple of
 * the block size) and advances the chain. 0, or -1 with why in err.
 */
int dec_decrypt(struct dec_crypt *c, uint32_t msgid, uint8_t *body,
		size_t len, char *err, size_t errlen);
void dec_crypt_free(struct dec_crypt *c);

/* decode_frag.c: IKE fragments (payload 132) of one cookie pair. */
struct dec_frag_msg;

struct dec_frags {
	struct dec_frag_msg *m;
	size_t n;
};

/*
 * Takes the piece f of the fragment message raw, sent by the initiator
 * or not. Returns 0 while pieces are missing (or the message is done
 * already); the number of pieces when this one completed the message,
 * which is in *whole (allocated, *whole_len bytes); -1 with why when
 * the message cannot be reassembled.
 */
int dec_frag_add(struct dec_frags *t, bool from_init, const uint8_t *raw,
		 const struct isakmp_frag *f, uint8_t **whole,
		 size_t *whole_len, char *why, size_t whylen);
void dec_frags_free(struct dec_frags *t);

/* decode_esp.c */
struct esp_flow;

struct esp_tab {
	struct esp_flow *flows;
	size_t n;
};

void esp_add(struct esp_tab *t, const struct cap_pkt *p, const uint8_t *esp,
	     size_t len, bool udp);
/*
 * Prints one entry per SPI and direction; note(arg, spi, dst, buf, len)
 * may name where the SPI was negotiated.
 */
void esp_print(const struct esp_tab *t, struct dout *o,
	       bool (*note)(void *arg, uint32_t spi,
			    const struct cap_addr *dst, char *buf,
			    size_t len),
	       void *arg);
void esp_free(struct esp_tab *t);

/*
 * decode.c: the whole decoder on an open capture (fuzzing enters here).
 * f is closed; keys may be NULL. Returns the exit code.
 */
int decode_capture(const char *name, FILE *f, const struct dec_keytab *keys,
		   FILE *out, bool json);

#endif /* ESPTUN_DECODE_H */
