/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NAT traversal for IKEv1 (RFC 3947, RFC 3948, and the draft-02/03
 * variants older peers speak): the vendor IDs that announce it, NAT-D
 * payloads and what they reveal, the float of IKE to UDP 4500, the
 * encapsulation mode of Quick Mode, NAT keepalives, and following a
 * peer whose NAT mapping changed.
 *
 * The pure helpers (VIDs, hashes, detection, mode values, keepalive
 * deadlines) take plain values so tests check them alone; the hooks take
 * the engine's SAs and are called by the exchanges and the dispatcher.
 */
#ifndef ESPTUND_IKE_NATT_H
#define ESPTUND_IKE_NATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crypto/prf.h"

/* NAT-T flavours, in order of preference. */
enum natt_version {
	NATT_NONE = 0,
	NATT_DRAFT_02,		/* draft-ietf-ipsec-nat-t-ike-02 */
	NATT_DRAFT_02N,		/* the same string with a newline */
	NATT_DRAFT_03,
	NATT_RFC,		/* RFC 3947 */
};

#define NATT_PORT		4500
/* Quick Mode ENCAPSULATION_MODE values (RFC 3947 3, drafts). */
#define NATT_ENCAP_UDP_TUNNEL		3
#define NATT_ENCAP_UDP_TUNNEL_DRAFT	61443

/* Per ISAKMP SA. */
struct natt_p1 {
	uint8_t version;	/* enum natt_version both sides announced */
	bool nat_local;		/* NAT-D: we are behind a NAT */
	bool nat_remote;	/* NAT-D: the peer is behind a NAT */
	bool forced;		/* nat-t = force: we claimed a NAT */
	bool encap;		/* its IPsec SAs go in UDP */
	bool floated;		/* IKE moved to port 4500 */
	uint64_t keepalive_at;	/* next keepalive, 0 = none */
};

struct isakmp_msg;
struct isakmp_gen;
struct ike_conn;

/* ---- pure helpers ---- */

/* The NAT-T version a vendor ID announces, NATT_NONE if none. */
enum natt_version natt_vid_version(const uint8_t *vid, size_t len);
/* The 16-byte vendor ID of a version (v != NATT_NONE). */
const uint8_t *natt_vid_bytes(enum natt_version v);
const char *natt_version_name(enum natt_version v);
/* The best NAT-T version among the message's vendor IDs. */
enum natt_version natt_best_version(const struct isakmp_msg *m);
/* NAT-D payload type: 20 (RFC 3947) or 130 (drafts). */
uint8_t natt_natd_type(enum natt_version v);
/* ENCAPSULATION_MODE for UDP-encapsulated tunnel mode under v. */
uint16_t natt_encap_mode(enum natt_version v);
/* Is mode one of the UDP tunnel values? */
bool natt_mode_is_udp(uint16_t mode);
/*
 * NAT-D hash: HASH(CKY-I | CKY-R | IP | Port) with the negotiated phase 1
 * hash (enum ike_hash). Returns its length, 0 on error.
 */
size_t natt_hash(unsigned int hash, const uint8_t icookie[8],
		 const uint8_t rcookie[8], const struct sockaddr_storage *ss,
		 uint8_t *out);
/*
 * Reads the peer's NAT-D payloads of m (type natd_type): the first is
 * what the peer sent to (compared with to, our address: mismatch = we
 * are behind a NAT), the others the peer's own addresses (none equal to
 * from, where the message came from = the peer is behind a NAT).
 * Returns -1 when m has fewer than two NAT-D payloads.
 */
int natt_detect(unsigned int hash, const uint8_t icookie[8],
		const uint8_t rcookie[8], const struct isakmp_msg *m,
		uint8_t natd_type, const struct sockaddr_storage *from,
		const struct sockaddr_storage *to, bool *nat_local,
		bool *nat_remote);
/* Whether the IPsec SAs go in UDP: NAT-T agreed and a NAT (or force). */
bool natt_want_encap(uint8_t mode, enum natt_version v, bool nat_local,
		     bool nat_remote);
/*
 * The next keepalive after one sent at last_ms, or 0 when none is due:
 * only the side behind a NAT (or claiming one) keeps its mapping open.
 */
uint64_t natt_keepalive_next(const struct natt_p1 *n, uint32_t keepalive_s,
			     uint64_t last_ms);

/* Port of a sockaddr (host order) and setting it. */
uint16_t natt_port(const struct sockaddr_storage *ss);
void natt_set_port(struct sockaddr_storage *ss, uint16_t port);

#endif
