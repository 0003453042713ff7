/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proposal strings (strongSwan syntax) and the policy on what is acceptable:
 * the config parser validates with these, the responder re-checks every
 * offered transform with the same functions so both agree on "weak".
 */
#ifndef ESPTUND_IKE_PROPOSAL_H
#define ESPTUND_IKE_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ike/conn.h"

/*
 * "aes256-sha256-modp2048, aes128-sha1-modp2048": fills out[0..n-1] and
 * returns n (>= 1), or -1 with a message in err. Syntax and "never"
 * algorithms (DES, modp768) are checked here; weak ones separately with
 * ike_proposals_check() once allow-weak is known.
 */
int ike_proposals_parse(const char *s, struct ike_proposal *out, int max,
			char *err, size_t errlen);

/* "aes256gcm16-modp2048, aes256-sha256, aes128-sha1-none" likewise. */
int esp_proposals_parse(const char *s, struct esp_proposal *out, int max,
			char *err, size_t errlen);

/* 0, or -1 with "proposal 2 (aes128-sha1-modp1536): modp1536 is weak ..." */
int ike_proposals_check(const struct ike_proposal *p, int n, bool allow_weak,
			char *err, size_t errlen);
int esp_proposals_check(const struct esp_proposal *p, int n, bool allow_weak,
			char *err, size_t errlen);

/*
 * NULL if acceptable, else a reason ("modp1536 is weak (allow-weak =
 * yes to accept)", "DES is never accepted", "unsupported hash 3", ...).
 */
const char *ike_proposal_refusal(const struct ike_proposal *p, bool allow_weak);
const char *esp_proposal_refusal(const struct esp_proposal *p, bool allow_weak);
/*
 * An IPsec DOI attribute of a phase 2 transform beyond life, group,
 * tunnel encapsulation, integrity and key length (which the exchange
 * decodes itself): NULL when it is accepted, else why not, naming it.
 */
const char *esp_attr_refusal(unsigned int type, unsigned long long val);
/* Why a phase 2 proposal of another protocol than ESP is not taken. */
const char *esp_proto_refusal(unsigned int proto);

bool ike_proposal_equal(const struct ike_proposal *a,
			const struct ike_proposal *b);
bool esp_proposal_equal(const struct esp_proposal *a,
			const struct esp_proposal *b);

/* "aes256-sha256-modp2048" (buf of 64 is enough). */
const char *ike_proposal_str(const struct ike_proposal *p, char *buf,
			     size_t len);
const char *esp_proposal_str(const struct esp_proposal *p, char *buf,
			     size_t len);

/* "modp2048", "ecp256", "curve25519", or NULL for unknown groups. */
const char *ike_group_name(unsigned int group);
const char *ike_hash_name(unsigned int hash);

#endif
