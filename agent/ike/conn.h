/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One configured IKEv1 connection: everything a [conn NAME] section says,
 * already parsed and validated. The config parser fills it, the engine
 * copies it, so the two never share pointers.
 */
#ifndef ESPTUND_IKE_CONN_H
#define ESPTUND_IKE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crypto/x509.h"

#define IKE_CONN_NAME_MAX	64
#define IKE_IFNAME_MAX		16
#define IKE_ID_MAX		255
#define IKE_PSK_MAX		256
/* XAuth user name and password (RADIUS allows 253 bytes for either). */
#define IKE_XAUTH_MAX		253
#define IKE_MAX_PROPOSALS	8
/* Selectors per side, and selector pairs (Quick Modes) per conn. */
#define IKE_MAX_TS		8
#define IKE_MAX_TS_PAIRS	8

/* ID types, RFC 2407 4.6.2.1 values (they go on the wire as is). */
enum ike_id_type {
	IKE_ID_NONE		= 0,	/* "use the address" */
	IKE_ID_IPV4_ADDR	= 1,
	IKE_ID_FQDN		= 2,
	IKE_ID_USER_FQDN	= 3,
	IKE_ID_IPV4_ADDR_SUBNET	= 4,
	IKE_ID_IPV6_ADDR	= 5,
	IKE_ID_IPV6_ADDR_SUBNET	= 6,
	IKE_ID_IPV4_ADDR_RANGE	= 7,
	IKE_ID_IPV6_ADDR_RANGE	= 8,
	IKE_ID_DER_ASN1_DN	= 9,
	IKE_ID_DER_ASN1_GN	= 10,
	IKE_ID_KEY_ID		= 11,
};

/* Identification data exactly as in the ID payload body after the header. */
struct ike_id {
	uint8_t type;			/* enum ike_id_type */
	uint16_t len;
	uint8_t data[IKE_ID_MAX];
};

/*
 * Traffic selector (a conn's local-ts or remote-ts): one prefix, or an
 * address range that is not one prefix (a range that is one is kept as
 * that prefix, so a selector has one form).
 */
struct ike_ts {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* network order, first 4 bytes for v4;
					 * a range's first address */
	uint8_t prefixlen;		/* a prefix's length */
	bool range;			/* addr to last, both included */
	uint8_t last[16];
};

/* Room for ts_str() of an IPv6 range. */
#define IKE_TS_STRLEN	(2 * 46 + 2)

/* "10.1.0.0/16", or "10.1.0.5-10.1.0.20" for a range, into buf. */
const char *ts_str(const struct ike_ts *ts, char *buf, size_t len);

/* One Quick Mode's selectors, from our point of view; one family. */
struct ike_ts_pair {
	struct ike_ts local;
	struct ike_ts remote;
};

/*
 * Phase 1 authentication method, RFC 2409 appendix A and RFC 4754
 * values. auth = ecdsa-sig is the ECDSA method of our key's curve.
 */
enum ike_auth {
	IKE_AUTH_PSK = 1,
	IKE_AUTH_RSA_SIG = 3,
	IKE_AUTH_ECDSA_256 = 9,		/* P-256 */
	IKE_AUTH_ECDSA_384 = 10,	/* P-384 */
	IKE_AUTH_ECDSA_521 = 11,	/* P-521 */
};

/* Authenticated by certificate and signature (cert, key, ca). */
static inline bool ike_auth_sig(enum ike_auth a)
{
	return a != IKE_AUTH_PSK;
}

static inline bool ike_auth_ecdsa(enum ike_auth a)
{
	return a == IKE_AUTH_ECDSA_256 || a == IKE_AUTH_ECDSA_384 ||
	       a == IKE_AUTH_ECDSA_521;
}

/* "RSA signature (3)", "ECDSA-256 (9)", ...: a method for logs. */
const char *ike_auth_name(unsigned int method);
/* The signature method a key signs with; IKE_AUTH_PSK for none. */
enum ike_auth ike_auth_of_key(enum x509_key k);
/*
 * The PRF (enum ike_hash) of HASH_I/HASH_R under a method: the
 * negotiated prf, but for ECDSA the HMAC of the hash RFC 4754 pairs with
 * the curve (SHA-256, SHA-384, SHA-512), whatever the proposal's hash,
 * as strongSwan computes them.
 */
unsigned int ike_auth_prf(unsigned int method, unsigned int prf);

#define IKE_PATH_MAX		256

enum ike_mode {
	IKE_MODE_MAIN = 0,
	IKE_MODE_AGGRESSIVE = 1,	/* RFC 2409 5.4: AM1-AM3 */
};

enum ike_start {
	IKE_START_LISTEN = 0,
	IKE_START_INITIATE = 1,
	/* As listen, and a pair idle when its rekey is due is let expire. */
	IKE_START_ON_DEMAND = 2,
};

/* What happens once Dead Peer Detection declares the peer dead. */
enum ike_dpd_action {
	IKE_DPD_AUTO = 0,	/* restart for start = initiate, else clear */
	IKE_DPD_CLEAR,		/* SAs removed, nothing more */
	IKE_DPD_RESTART,	/* SAs removed, negotiated again at once */
	IKE_DPD_HOLD,		/* SAs removed, negotiated again on traffic */
};

/* nat-t = auto | force | no | auto-force */
/* IKE fragmentation (fragment.c). */
enum ike_frag_mode {
	IKE_FRAG_YES = 0,	/* announce; cut once the peer announced */
	IKE_FRAG_FORCE,		/* cut whatever is too large, from MM1 on */
	IKE_FRAG_NO,		/* neither announce nor cut (still reassemble) */
};

enum ike_natt_mode {
	IKE_NATT_AUTO = 0,	/* encapsulate when a NAT is detected */
	IKE_NATT_FORCE = 1,	/* encapsulate always (NAT-D faked) */
	IKE_NATT_NO = 2,	/* no NAT-T vendor IDs, raw ESP */
	/* auto, until raw ESP is found blocked: then force (autoforce.c) */
	IKE_NATT_AUTO_FORCE = 3,
};

/* Phase 1 attribute values, RFC 2409 appendix A. */
enum ike_enc {
	IKE_ENC_DES_CBC	= 1,
	IKE_ENC_3DES_CBC = 5,
	IKE_ENC_AES_CBC	= 7,
};

enum ike_hash {
	IKE_HASH_MD5	= 1,
	IKE_HASH_SHA1	= 2,
	IKE_HASH_SHA256	= 4,
	IKE_HASH_SHA384	= 5,
	IKE_HASH_SHA512	= 6,
};

/* Diffie-Hellman group numbers (IANA). 0 = none (no PFS). */
enum ike_group {
	IKE_GROUP_NONE		= 0,
	IKE_GROUP_MODP768	= 1,
	IKE_GROUP_MODP1024	= 2,
	IKE_GROUP_MODP1536	= 5,
	IKE_GROUP_MODP2048	= 14,
	IKE_GROUP_MODP3072	= 15,
	IKE_GROUP_MODP4096	= 16,
	IKE_GROUP_MODP6144	= 17,
	IKE_GROUP_MODP8192	= 18,
	IKE_GROUP_ECP256	= 19,
	IKE_GROUP_ECP384	= 20,
	IKE_GROUP_ECP521	= 21,
	IKE_GROUP_CURVE25519	= 31,
};

/* ESP transform IDs (RFC 2407 4.4.4 and IANA). */
enum esp_transform {
	ESP_T_3DES		= 3,
	ESP_T_NULL		= 11,
	ESP_T_AES_CBC		= 12,
	ESP_T_AES_GCM_16	= 20,
	ESP_T_CHACHA20_POLY1305	= 28,
};

/* Phase 2 AUTH_ALGORITHM attribute values (RFC 2407 4.5, RFC 4868). */
enum esp_auth {
	ESP_AUTH_NONE		= 0,	/* AEAD: attribute omitted */
	ESP_AUTH_HMAC_MD5	= 1,
	ESP_AUTH_HMAC_SHA1	= 2,
	ESP_AUTH_HMAC_SHA256	= 5,
	ESP_AUTH_HMAC_SHA384	= 6,
	ESP_AUTH_HMAC_SHA512	= 7,
};

/* One IKE (phase 1) proposal, e.g. "aes256-sha256-modp2048". */
struct ike_proposal {
	uint16_t enc;			/* enum ike_enc */
	uint16_t keylen;		/* bits; 0 when fixed (3DES) */
	uint16_t hash;			/* enum ike_hash, also the PRF (HMAC) */
	uint16_t group;			/* enum ike_group */
};

/* One ESP (phase 2) proposal, e.g. "aes256gcm16-modp2048". */
struct esp_proposal {
	uint16_t transform;		/* enum esp_transform */
	uint16_t keylen;		/* bits; 0 when fixed */
	uint16_t auth;			/* enum esp_auth */
	uint16_t group;			/* PFS group, IKE_GROUP_NONE = no PFS */
};

struct ike_conn {
	char name[IKE_CONN_NAME_MAX];
	char ifname[IKE_IFNAME_MAX];	/* tunnel interface, e.g. "esp0" */

	/* Port in the sockaddr (500 unless configured otherwise). */
	struct sockaddr_storage local;
	struct sockaddr_storage remote;

	/* type IKE_ID_NONE: the engine uses the local/remote address. */
	struct ike_id local_id;
	struct ike_id remote_id;

	enum ike_auth auth;
	uint8_t psk[IKE_PSK_MAX];
	size_t psk_len;
	/*
	 * auth = rsa-sig, ecdsa-sig: our certificate, its private key and the trust
	 * anchors, PEM files (absolute paths), loaded when the conn is
	 * added to the engine.
	 */
	char cert[IKE_PATH_MAX];
	char key[IKE_PATH_MAX];
	char ca[IKE_PATH_MAX];

	enum ike_mode mode;
	struct ike_proposal ike[IKE_MAX_PROPOSALS];
	int n_ike;
	struct esp_proposal esp[IKE_MAX_PROPOSALS];
	int n_esp;

	uint32_t ike_lifetime;		/* seconds */
	uint32_t lifetime;		/* IPsec SA, seconds */
	uint64_t life_kbytes;		/* IPsec SA, 0 = unlimited */

	enum ike_start start;
	/*
	 * local-ts and remote-ts lists: every local selector is paired
	 * with every remote one of its family, one Quick Mode (one IPsec
	 * SA pair) per pair, all on the conn's device.
	 */
	struct ike_ts local_ts[IKE_MAX_TS];
	struct ike_ts remote_ts[IKE_MAX_TS];
	int n_local_ts, n_remote_ts;
	uint32_t replay_window;
	bool allow_weak;

	/* Retransmission: first timeout, doubled each try, up to tries sends. */
	uint32_t rexmit_ms;
	uint32_t rexmit_tries;
	/*
	 * Negotiation attempts for a start = initiate conn before it is
	 * left down, 0 = forever. Between attempts: 1 s, doubling, <= 60 s.
	 */
	uint32_t keyingtries;

	/*
	 * Answer Aggressive Mode as responder. Off unless set or mode =
	 * aggressive: AM2 carries HASH_R in the clear, which lets anyone
	 * who sees it attack the pre-shared key offline.
	 */
	bool aggressive;

	/*
	 * Dead Peer Detection (RFC 3706): with dpd set, R-U-THERE after
	 * dpd_delay seconds without anything from the peer, dead after
	 * dpd_timeout more seconds without an answer. The peer's R-U-THERE
	 * is answered either way.
	 */
	bool dpd;
	uint32_t dpd_delay;		/* seconds */
	uint32_t dpd_timeout;		/* seconds */
	enum ike_dpd_action dpd_action;
	/* NAT traversal (natt.c): enum ike_natt_mode, keepalive seconds. */
	uint8_t natt;
	uint32_t keepalive;		/* 0 = no keepalives */
	/*
	 * Rekeying: a new SA is negotiated rekey_margin seconds (plus up to
	 * rekey_fuzz percent of the margin, at random) before the old one
	 * expires, IPsec and ISAKMP SAs alike; life_packets bounds an IPsec
	 * SA by packets (local only: IKEv1 cannot negotiate it).
	 */
	bool rekey;
	uint32_t rekey_margin;		/* seconds */
	uint32_t rekey_fuzz;		/* percent of the margin */
	uint64_t life_packets;		/* 0 = unlimited */
	/*
	 * IKE fragmentation (fragment.c): enum ike_frag_mode, and the
	 * largest datagram of a piece, IP header included (0: 1280 on
	 * IPv4, 1232 on IPv6).
	 */
	uint8_t frag;
	uint32_t frag_size;
	/*
	 * XAuth client (xauth.c): after phase 1 the peer asks for a user
	 * name and password and says whether it takes them. Mode Config
	 * pull (modecfg.c): we ask the peer for an inner IPv4 address,
	 * put it on the device and, unless local-ts was given, use it as
	 * the local selector (modecfg_ts). Quick Mode waits for both.
	 */
	bool xauth;
	char xauth_user[IKE_XAUTH_MAX + 1];
	char xauth_pass[IKE_XAUTH_MAX + 1];
	bool modecfg;
	bool modecfg_ts;
	/*
	 * Phase 1 proposes and accepts the XAuth method with the peer as
	 * the client. No configuration key sets it (esptund has no XAuth
	 * server): the tests that play the server's side use it.
	 */
	bool xauth_server;
};

/*
 * Defaults of an unset key: ike-lifetime 24h, lifetime 1h,
 * life-kbytes 4608000, replay-window 64, auth psk, main mode, listen,
 * 0.0.0.0/0 selectors, retransmit 1000 ms x 5 tries, keyingtries
 * forever, DPD on with delay 30 s, timeout 150 s, action by start,
 * nat-t auto, keepalive 20 s, rekey yes with a margin of 540 s and
 * 100 % fuzz, no packet limit, fragmentation yes with 1280/1232-byte
 * pieces, no XAuth, no Mode Config.
 */
void ike_conn_init(struct ike_conn *c);

/*
 * Parse "fqdn:host", "user:a@b", "keyid:xyz", "dn:CN=x,O=y" (also
 * "asn1dn:"), or an IPv4/IPv6 address.
 */
int ike_id_parse(const char *s, struct ike_id *id, char *err, size_t errlen);

/* Parse "192.0.2.0/24", "2001:db8::/32", or a bare address (host prefix). */
int ike_ts_parse(const char *s, struct ike_ts *ts, char *err, size_t errlen);

/*
 * "10.1.0.0/16, 2001:db8::/48": a comma-separated list of selectors,
 * no duplicates, at most max.
 */
int ike_ts_list_parse(const char *s, struct ike_ts *ts, int max, int *n,
		      char *err, size_t errlen);

/*
 * The selector pairs of a conn into pairs[IKE_MAX_TS_PAIRS]: each local
 * selector with each remote one of the same family, in list order.
 * Returns how many, or -1 with err when a selector has no partner of
 * its family or there are too many pairs.
 */
int ike_conn_ts_pairs(const struct ike_conn *c, struct ike_ts_pair *pairs,
		      char *err, size_t errlen);

/* Printable form of an ID ("192.0.2.1", "fqdn:x", ...) into buf. */
const char *ike_id_str(const struct ike_id *id, char *buf, size_t len);

/* "192.0.2.1:500" or "[2001:db8::1]:500" */
const char *ike_addr_str(const struct sockaddr_storage *ss, char *buf,
			 size_t len);

#endif
