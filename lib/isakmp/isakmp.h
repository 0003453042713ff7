/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ISAKMP (RFC 2408) wire format with the IPsec DOI (RFC 2407) and IKE
 * (RFC 2409) numbers. Parsing never copies: decoded structs point into the
 * caller's buffer, which must outlive them. Every length is checked against
 * what is left before it is used; errors are negative notify types
 * (-ISAKMP_N_PAYLOAD_MALFORMED ...) so the engine can answer with them.
 */
#ifndef ESPTUND_ISAKMP_H
#define ESPTUND_ISAKMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISAKMP_HDR_LEN		28
#define ISAKMP_GEN_LEN		4
#define ISAKMP_VERSION		0x10	/* major 1, minor 0 */
#define ISAKMP_DOI_IPSEC	1
#define ISAKMP_SIT_IDENTITY_ONLY 1
#define ISAKMP_MAX_MSG		65535

enum isakmp_payload_type {
	ISAKMP_NP_NONE	= 0,
	ISAKMP_NP_SA	= 1,
	ISAKMP_NP_P	= 2,
	ISAKMP_NP_T	= 3,
	ISAKMP_NP_KE	= 4,
	ISAKMP_NP_ID	= 5,
	ISAKMP_NP_CERT	= 6,
	ISAKMP_NP_CR	= 7,
	ISAKMP_NP_HASH	= 8,
	ISAKMP_NP_SIG	= 9,
	ISAKMP_NP_NONCE	= 10,
	ISAKMP_NP_N	= 11,
	ISAKMP_NP_D	= 12,
	ISAKMP_NP_VID	= 13,
	ISAKMP_NP_ATTR	= 14,	/* Mode Config / XAuth attributes */
	ISAKMP_NP_NATD	= 20,	/* RFC 3947 */
	ISAKMP_NP_NATOA	= 21,
	ISAKMP_NP_NATD_DRAFT = 130,
	ISAKMP_NP_NATOA_DRAFT = 131,
	ISAKMP_NP_FRAG	= 132,	/* IKE fragmentation: isakmp/frag.h */
};

enum isakmp_exchange {
	ISAKMP_XCHG_IDPROT	= 2,	/* Main Mode */
	ISAKMP_XCHG_AGGR	= 4,
	ISAKMP_XCHG_INFO	= 5,
	ISAKMP_XCHG_TRANSACTION	= 6,	/* Mode Config and XAuth */
	ISAKMP_XCHG_QUICK	= 32,
};

#define ISAKMP_FLAG_E	0x01
#define ISAKMP_FLAG_C	0x02
#define ISAKMP_FLAG_A	0x04

/* Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3). */
enum isakmp_notify {
	ISAKMP_N_INVALID_PAYLOAD_TYPE		= 1,
	ISAKMP_N_DOI_NOT_SUPPORTED		= 2,
	ISAKMP_N_SITUATION_NOT_SUPPORTED	= 3,
	ISAKMP_N_INVALID_COOKIE			= 4,
	ISAKMP_N_INVALID_MAJOR_VERSION		= 5,
	ISAKMP_N_INVALID_EXCHANGE_TYPE		= 7,
	ISAKMP_N_INVALID_FLAGS			= 8,
	ISAKMP_N_INVALID_MESSAGE_ID		= 9,
	ISAKMP_N_INVALID_PROTOCOL_ID		= 10,
	ISAKMP_N_INVALID_SPI			= 11,
	ISAKMP_N_INVALID_TRANSFORM_ID		= 12,
	ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED	= 13,
	ISAKMP_N_NO_PROPOSAL_CHOSEN		= 14,
	ISAKMP_N_BAD_PROPOSAL_SYNTAX		= 15,
	ISAKMP_N_PAYLOAD_MALFORMED		= 16,
	ISAKMP_N_INVALID_KEY_INFORMATION	= 17,
	ISAKMP_N_INVALID_ID_INFORMATION		= 18,
	ISAKMP_N_INVALID_HASH_INFORMATION	= 23,
	ISAKMP_N_AUTHENTICATION_FAILED		= 24,
	ISAKMP_N_INVALID_SIGNATURE		= 25,
	ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS	= 30,
	ISAKMP_N_RESPONDER_LIFETIME		= 24576,
	ISAKMP_N_REPLAY_STATUS			= 24577,
	ISAKMP_N_INITIAL_CONTACT		= 24578,
	ISAKMP_N_R_U_THERE			= 36136,	/* RFC 3706 */
	ISAKMP_N_R_U_THERE_ACK			= 36137,
};

/* Protocol IDs (RFC 2407 4.4.1). */
enum isakmp_proto {
	ISAKMP_PROTO_ISAKMP	= 1,
	ISAKMP_PROTO_AH		= 2,
	ISAKMP_PROTO_ESP	= 3,
};

#define ISAKMP_KEY_IKE		1	/* phase 1 transform ID */

/* Phase 1 attribute classes (RFC 2409 appendix A). */
enum ike_attr {
	IKE_A_ENC	= 1,
	IKE_A_HASH	= 2,
	IKE_A_AUTH	= 3,
	IKE_A_GROUP	= 4,
	IKE_A_LIFE_TYPE	= 11,
	IKE_A_LIFE_DUR	= 12,
	IKE_A_KEY_LEN	= 14,
};

#define IKE_AUTH_M_PSK		1
#define IKE_AUTH_M_RSA_SIG	3
/* CERT and CR payload encoding (RFC 2408 3.9): X.509, signature. */
#define ISAKMP_CERT_X509_SIG	4
#define IKE_LIFE_SECONDS	1
#define IKE_LIFE_KBYTES		2

/* Phase 2 attribute classes (RFC 2407 4.5). */
enum ipsec_attr {
	IPSEC_A_LIFE_TYPE	= 1,
	IPSEC_A_LIFE_DUR	= 2,
	IPSEC_A_GROUP		= 3,
	IPSEC_A_ENCAP		= 4,
	IPSEC_A_AUTH		= 5,
	IPSEC_A_KEY_LEN		= 6,
};

#define IPSEC_ENCAP_TUNNEL	1

struct isakmp_hdr {
	uint8_t icookie[8];
	uint8_t rcookie[8];
	uint8_t np;
	uint8_t version;
	uint8_t exch;
	uint8_t flags;
	uint32_t msgid;			/* host order */
	uint32_t len;
};

/* One payload of a message: body excludes the 4-byte generic header. */
struct isakmp_payload {
	uint8_t type;
	const uint8_t *body;
	size_t len;
};

#define ISAKMP_MAX_PAYLOADS	32

struct isakmp_msg {
	struct isakmp_hdr hdr;
	int n;
	struct isakmp_payload pl[ISAKMP_MAX_PAYLOADS];
};

/* Data attribute; TV attributes and TLV ones up to 8 bytes set val. */
struct isakmp_attr {
	uint16_t type;			/* without the AF bit */
	bool tv;
	uint64_t val;
	bool val_ok;			/* TLV longer than 8 bytes: only data */
	const uint8_t *data;		/* TLV value */
	uint16_t len;
};

#define ISAKMP_MAX_ATTRS	16
#define ISAKMP_MAX_TRANSFORMS	32
#define ISAKMP_MAX_PROPS	8

struct isakmp_transform {
	uint8_t num;
	uint8_t id;
	int nattr;
	struct isakmp_attr attr[ISAKMP_MAX_ATTRS];
};

struct isakmp_prop {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_size;
	uint8_t spi[16];
	int ntrans;
	struct isakmp_transform t[ISAKMP_MAX_TRANSFORMS];
};

struct isakmp_sa {
	uint32_t doi;
	uint32_t situation;
	int nprop;
	struct isakmp_prop p[ISAKMP_MAX_PROPS];
};

struct isakmp_id {
	uint8_t type;
	uint8_t proto;
	uint16_t port;
	const uint8_t *data;
	size_t len;
	const uint8_t *body;		/* whole body: what HASH_I covers */
	size_t body_len;
};

struct isakmp_notify_pl {
	uint32_t doi;
	uint8_t proto;
	uint8_t spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};

#define ISAKMP_MAX_DEL_SPIS	64

/*
 * Attribute payload (draft-ietf-ipsec-isakmp-mode-cfg-05 3.2): a type,
 * an identifier the answer repeats, and data attributes as in phase 1
 * (XAuth's from draft-beaulieu-ike-xauth-02 share the space).
 */
enum isakmp_cfg_type {
	ISAKMP_CFG_REQUEST	= 1,
	ISAKMP_CFG_REPLY	= 2,
	ISAKMP_CFG_SET		= 3,
	ISAKMP_CFG_ACK		= 4,
};

enum isakmp_cfg_attr {
	CFG_INTERNAL_IP4_ADDRESS	= 1,
	CFG_INTERNAL_IP4_NETMASK	= 2,
	CFG_INTERNAL_IP4_DNS		= 3,
	CFG_XAUTH_TYPE			= 16520,
	CFG_XAUTH_USER_NAME		= 16521,
	CFG_XAUTH_USER_PASSWORD		= 16522,
	CFG_XAUTH_PASSCODE		= 16523,
	CFG_XAUTH_MESSAGE		= 16524,
	CFG_XAUTH_CHALLENGE		= 16525,
	CFG_XAUTH_DOMAIN		= 16526,
	CFG_XAUTH_STATUS		= 16527,
};

/*
 * XAuth in the phase 1 authentication method (draft-beaulieu-ike-xauth
 * 7.2): "Init", the initiator is the client, "Resp", the responder is;
 * keys as for PSK or RSA signatures.
 */
#define IKE_AUTH_M_XAUTH_INIT_PSK	65001
#define IKE_AUTH_M_XAUTH_RESP_PSK	65002
#define IKE_AUTH_M_XAUTH_INIT_RSA	65005
#define IKE_AUTH_M_XAUTH_RESP_RSA	65006

/* Attributes of one attribute payload kept; later ones are counted. */
#define ISAKMP_MAX_CFG_ATTRS	64

struct isakmp_cfg {
	uint8_t type;			/* enum isakmp_cfg_type */
	uint16_t id;
	int nattr;
	int skipped;			/* checked but not kept */
	struct isakmp_attr attr[ISAKMP_MAX_CFG_ATTRS];
};

struct isakmp_delete {
	uint32_t doi;
	uint8_t proto;
	uint8_t spi_size;
	uint16_t nspi;
	const uint8_t *spis;		/* nspi * spi_size bytes */
};

/* Parsing: 0 or -ISAKMP_N_*. */
int isakmp_parse_hdr(const uint8_t *buf, size_t len, struct isakmp_hdr *h);
/* Walks the generic payload chain starting with type np over buf/len. */
int isakmp_parse_payloads(uint8_t np, const uint8_t *buf, size_t len,
			  struct isakmp_msg *m);
/* Header + (unencrypted) payloads of a whole datagram. */
int isakmp_parse(const uint8_t *buf, size_t len, struct isakmp_msg *m);

int isakmp_parse_sa(const uint8_t *body, size_t len, struct isakmp_sa *sa);
int isakmp_parse_id(const uint8_t *body, size_t len, struct isakmp_id *id);
int isakmp_parse_notify(const uint8_t *body, size_t len,
			struct isakmp_notify_pl *n);
int isakmp_parse_delete(const uint8_t *body, size_t len,
			struct isakmp_delete *d);
int isakmp_parse_cfg(const uint8_t *body, size_t len, struct isakmp_cfg *c);
const struct isakmp_attr *isakmp_cfg_find(const struct isakmp_cfg *c,
					  uint16_t type);
/* KE, NONCE, HASH: range checks per type (NONCE 8..256 bytes). */
int isakmp_check_simple(uint8_t type, size_t len);

/* First payload of this type (or NULL), and count. */
const struct isakmp_payload *isakmp_find(const struct isakmp_msg *m,
					 uint8_t type);
int isakmp_count(const struct isakmp_msg *m, uint8_t type);
const struct isakmp_attr *isakmp_attr_find(const struct isakmp_transform *t,
					   uint16_t type);

/* Network byte order 32-bit fields (SPIs, lengths, message IDs). */
uint32_t isakmp_get32(const uint8_t *p);
void isakmp_put32(uint8_t *p, uint32_t v);

/* Generation into a fixed buffer; errors latch in b->err. */
struct isakmp_gen {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t np_off;			/* where the next np byte goes */
	bool err;
};

void isakmp_gen_init(struct isakmp_gen *g, uint8_t *buf, size_t cap,
		     const struct isakmp_hdr *h);
/* Starts a payload, returns its offset for isakmp_gen_end(). */
size_t isakmp_gen_begin(struct isakmp_gen *g, uint8_t type);
void isakmp_gen_end(struct isakmp_gen *g, size_t off);
void isakmp_gen_bytes(struct isakmp_gen *g, const void *p, size_t len);
void isakmp_gen_u8(struct isakmp_gen *g, uint8_t v);
void isakmp_gen_u16(struct isakmp_gen *g, uint16_t v);
void isakmp_gen_u32(struct isakmp_gen *g, uint32_t v);
/* TV when the value fits 16 bits and tv_ok, else TLV of 4 bytes. */
void isakmp_gen_attr(struct isakmp_gen *g, uint16_t type, uint32_t val,
		     bool tv_ok);
/* A payload whose body is data. */
void isakmp_gen_raw(struct isakmp_gen *g, uint8_t type, const void *data,
		    size_t len);
void isakmp_gen_sa(struct isakmp_gen *g, const struct isakmp_sa *sa);
void isakmp_gen_id(struct isakmp_gen *g, uint8_t type, uint8_t proto,
		   uint16_t port, const void *data, size_t len);
void isakmp_gen_notify(struct isakmp_gen *g, uint8_t proto,
		       const uint8_t *spi, uint8_t spi_size, uint16_t type,
		       const void *data, size_t len);
void isakmp_gen_delete(struct isakmp_gen *g, uint8_t proto,
		       uint8_t spi_size, const uint8_t *spis, uint16_t nspi);
/* Attribute payload header; attributes follow, then isakmp_gen_end(). */
size_t isakmp_gen_cfg_begin(struct isakmp_gen *g, uint8_t type, uint16_t id);
/* A variable-length attribute (TLV), possibly empty. */
void isakmp_gen_attr_data(struct isakmp_gen *g, uint16_t type,
			  const void *data, uint16_t len);
/* Writes the total length; returns it, or 0 if anything overflowed. */
size_t isakmp_gen_finish(struct isakmp_gen *g);

const char *isakmp_payload_name(uint8_t type);
const char *isakmp_notify_name(uint16_t type);
const char *isakmp_cfg_type_name(uint8_t type);
const char *isakmp_cfg_attr_name(uint16_t type);
/* "SA,VID,VID" into buf (debug logs). */
const char *isakmp_payload_list(const struct isakmp_msg *m, char *buf,
				size_t len);

/* Message rules (msg_rules.c). */
enum isakmp_msg_kind {
	MSG_MM1, MSG_MM2, MSG_MM3, MSG_MM4, MSG_MM5, MSG_MM6,
	MSG_QM1, MSG_QM2, MSG_QM3, MSG_INFO, MSG_INFO_PLAIN,
	MSG_AM1, MSG_AM2, MSG_AM3,
	MSG_CFG,
	MSG_KIND_MAX,
};

struct isakmp_msg_rule {
	const char *name;
	uint8_t exch;
	bool encrypted;			/* AM3: either way, see below */
	uint64_t required;		/* bit per payload type */
	uint64_t allowed;		/* includes required */
	uint8_t first;			/* payload that must come first, or 0 */
};

const struct isakmp_msg_rule *isakmp_msg_rule(enum isakmp_msg_kind k);
/* 0, or -ISAKMP_N_* with a reason in why. */
int isakmp_check_rule(const struct isakmp_msg *m, enum isakmp_msg_kind k,
		      char *why, size_t len);

#endif
