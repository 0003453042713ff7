// SPDX-License-Identifier: GPL-2.0
/*
 * Which payloads each message may and must carry (RFC 2409 5, 5.4, 5.5,
 * 5.7; RFC 3947 for NAT-D). Checked before any handler looks at a message, so
 * handlers can rely on the required payloads being there. MM5/MM6, AM2
 * and AM3 carry HASH or SIG by the authentication method: the handler
 * checks which.
 */
#include <stdio.h>

#include "isakmp/isakmp.h"

static uint64_t bit(uint8_t t)
{
	if (t == ISAKMP_NP_NATD_DRAFT)
		return 1ULL << 62;
	if (t == ISAKMP_NP_NATOA_DRAFT)
		return 1ULL << 63;
	return t < 62 ? 1ULL << t : 0;
}

#define B(t)	(1ULL << (t))
#define NATD	(B(ISAKMP_NP_NATD) | (1ULL << 62))
#define NATOA	(B(ISAKMP_NP_NATOA) | (1ULL << 63))

static const struct isakmp_msg_rule rules[MSG_KIND_MAX] = {
	[MSG_MM1] = { "MM1", ISAKMP_XCHG_IDPROT, false, B(ISAKMP_NP_SA),
		      B(ISAKMP_NP_SA) | B(ISAKMP_NP_VID), ISAKMP_NP_SA },
	[MSG_MM2] = { "MM2", ISAKMP_XCHG_IDPROT, false, B(ISAKMP_NP_SA),
		      B(ISAKMP_NP_SA) | B(ISAKMP_NP_VID), ISAKMP_NP_SA },
	[MSG_MM3] = { "MM3", ISAKMP_XCHG_IDPROT, false,
		      B(ISAKMP_NP_KE) | B(ISAKMP_NP_NONCE),
		      B(ISAKMP_NP_KE) | B(ISAKMP_NP_NONCE) | B(ISAKMP_NP_VID) |
		      B(ISAKMP_NP_CR) | NATD, 0 },
	[MSG_MM4] = { "MM4", ISAKMP_XCHG_IDPROT, false,
		      B(ISAKMP_NP_KE) | B(ISAKMP_NP_NONCE),
		      B(ISAKMP_NP_KE) | B(ISAKMP_NP_NONCE) | B(ISAKMP_NP_VID) |
		      B(ISAKMP_NP_CR) | NATD, 0 },
	[MSG_MM5] = { "MM5", ISAKMP_XCHG_IDPROT, true, B(ISAKMP_NP_ID),
		      B(ISAKMP_NP_ID) | B(ISAKMP_NP_HASH) | B(ISAKMP_NP_N) |
		      B(ISAKMP_NP_VID) | B(ISAKMP_NP_CERT) | B(ISAKMP_NP_CR) |
		      B(ISAKMP_NP_SIG), 0 },
	[MSG_MM6] = { "MM6", ISAKMP_XCHG_IDPROT, true, B(ISAKMP_NP_ID),
		      B(ISAKMP_NP_ID) | B(ISAKMP_NP_HASH) | B(ISAKMP_NP_N) |
		      B(ISAKMP_NP_VID) | B(ISAKMP_NP_CERT) | B(ISAKMP_NP_SIG),
		      0 },
	[MSG_QM1] = { "QM1", ISAKMP_XCHG_QUICK, true,
		      B(ISAKMP_NP_HASH) | B(ISAKMP_NP_SA) | B(ISAKMP_NP_NONCE),
		      B(ISAKMP_NP_HASH) | B(ISAKMP_NP_SA) | B(ISAKMP_NP_NONCE) |
		      B(ISAKMP_NP_KE) | B(ISAKMP_NP_ID) | B(ISAKMP_NP_N) | NATOA,
		      ISAKMP_NP_HASH },
	[MSG_QM2] = { "QM2", ISAKMP_XCHG_QUICK, true,
		      B(ISAKMP_NP_HASH) | B(ISAKMP_NP_SA) | B(ISAKMP_NP_NONCE),
		      B(ISAKMP_NP_HASH) | B(ISAKMP_NP_SA) | B(ISAKMP_NP_NONCE) |
		      B(ISAKMP_NP_KE) | B(ISAKMP_NP_ID) | B(ISAKMP_NP_N) | NATOA,
		      ISAKMP_NP_HASH },
	[MSG_QM3] = { "QM3", ISAKMP_XCHG_QUICK, true, B(ISAKMP_NP_HASH),
		      B(ISAKMP_NP_HASH), ISAKMP_NP_HASH },
	[MSG_INFO] = { "INFO", ISAKMP_XCHG_INFO, true, B(ISAKMP_NP_HASH),
		       B(ISAKMP_NP_HASH) | B(ISAKMP_NP_N) | B(ISAKMP_NP_D),
		       ISAKMP_NP_HASH },
	[MSG_INFO_PLAIN] = { "INFO", ISAKMP_XCHG_INFO, false, 0,
			     B(ISAKMP_NP_N) | B(ISAKMP_NP_D) |
			     B(ISAKMP_NP_VID), 0 },
	[MSG_AM1] = { "AM1", ISAKMP_XCHG_AGGR, false,
		      B(ISAKMP_NP_SA) | B(ISAKMP_NP_KE) | B(ISAKMP_NP_NONCE) |
		      B(ISAKMP_NP_ID),
		      B(ISAKMP_NP_SA) | B(ISAKMP_NP_KE) | B(ISAKMP_NP_NONCE) |
		      B(ISAKMP_NP_ID) | B(ISAKMP_NP_VID) | B(ISAKMP_NP_CR),
		      ISAKMP_NP_SA },
	[MSG_AM2] = { "AM2", ISAKMP_XCHG_AGGR, false,
		      B(ISAKMP_NP_SA) | B(ISAKMP_NP_KE) | B(ISAKMP_NP_NONCE) |
		      B(ISAKMP_NP_ID),
		      B(ISAKMP_NP_SA) | B(ISAKMP_NP_KE) | B(ISAKMP_NP_NONCE) |
		      B(ISAKMP_NP_ID) | B(ISAKMP_NP_HASH) | B(ISAKMP_NP_VID) |
		      B(ISAKMP_NP_CR) | B(ISAKMP_NP_CERT) | B(ISAKMP_NP_SIG) |
		      NATD, ISAKMP_NP_SA },
	[MSG_AM3] = { "AM3", ISAKMP_XCHG_AGGR, true, 0,
		      B(ISAKMP_NP_HASH) | B(ISAKMP_NP_N) | B(ISAKMP_NP_VID) |
		      B(ISAKMP_NP_CERT) | B(ISAKMP_NP_SIG) | NATD, 0 },
	/* Transaction exchange: HASH, then one attribute payload. */
	[MSG_CFG] = { "CFG", ISAKMP_XCHG_TRANSACTION, true,
		      B(ISAKMP_NP_HASH) | B(ISAKMP_NP_ATTR),
		      B(ISAKMP_NP_HASH) | B(ISAKMP_NP_ATTR), ISAKMP_NP_HASH },
};

const struct isakmp_msg_rule *isakmp_msg_rule(enum isakmp_msg_kind k)
{
	return k < MSG_KIND_MAX ? &rules[k] : NULL;
}

int isakmp_check_rule(const struct isakmp_msg *m, enum isakmp_msg_kind k,
		      char *why, size_t len)
{
	const struct isakmp_msg_rule *r = isakmp_msg_rule(k);
	uint64_t seen = 0;
	int i, t;

	if (!r)
		return -ISAKMP_N_INVALID_EXCHANGE_TYPE;
	if (m->hdr.exch != r->exch) {
		snprintf(why, len, "%s: exchange type %u", r->name, m->hdr.exch);
		return -ISAKMP_N_INVALID_EXCHANGE_TYPE;
	}
	/*
	 * RFC 2409 5.4 shows AM3 in the clear, RFC 2408 4.7 encrypted;
	 * Cisco, strongSwan and libreswan encrypt it, others may not.
	 */
	if (r->encrypted != !!(m->hdr.flags & ISAKMP_FLAG_E) &&
	    k != MSG_AM3) {
		snprintf(why, len, "%s must %sbe encrypted", r->name,
			 r->encrypted ? "" : "not ");
		return -ISAKMP_N_INVALID_FLAGS;
	}
	if (r->first && (!m->n || m->pl[0].type != r->first)) {
		snprintf(why, len, "%s must start with %s", r->name,
			 isakmp_payload_name(r->first));
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	}
	for (i = 0; i < m->n; i++) {
		uint64_t b = bit(m->pl[i].type);

		if (!(b & r->allowed)) {
			snprintf(why, len, "%s: unexpected %s payload", r->name,
				 isakmp_payload_name(m->pl[i].type));
			return -ISAKMP_N_INVALID_PAYLOAD_TYPE;
		}
		/* SA, KE, NONCE, HASH, ATTR at most once; ID twice in QM. */
		t = m->pl[i].type;
		if ((b & seen) && (t == ISAKMP_NP_SA || t == ISAKMP_NP_KE ||
				   t == ISAKMP_NP_NONCE || t == ISAKMP_NP_HASH ||
				   t == ISAKMP_NP_ATTR ||
				   (t == ISAKMP_NP_ID && r->exch !=
				    ISAKMP_XCHG_QUICK))) {
			snprintf(why, len, "%s: duplicate %s payload", r->name,
				 isakmp_payload_name(m->pl[i].type));
			return -ISAKMP_N_PAYLOAD_MALFORMED;
		}
		seen |= b;
	}
	if ((seen & r->required) != r->required) {
		for (t = 1; t < 62; t++)
			if ((r->required & B(t)) && !(seen & B(t)))
				break;
		snprintf(why, len, "%s: missing %s payload", r->name,
			 isakmp_payload_name((uint8_t)t));
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	}
	if (r->exch == ISAKMP_XCHG_QUICK &&
	    k != MSG_QM3 && isakmp_count(m, ISAKMP_NP_ID) != 0 &&
	    isakmp_count(m, ISAKMP_NP_ID) != 2) {
		snprintf(why, len, "%s: IDci/IDcr must come as a pair",
			 r->name);
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	}
	if (k == MSG_INFO_PLAIN && !m->n) {
		snprintf(why, len, "INFO: empty");
		return -ISAKMP_N_PAYLOAD_MALFORMED;
	}
	return 0;
}
