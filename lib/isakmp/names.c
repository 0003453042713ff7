// SPDX-License-Identifier: GPL-2.0
/* Names for log lines: payload and notify types. */
#include <stdio.h>
#include <string.h>

#include "isakmp/isakmp.h"

const char *isakmp_payload_name(uint8_t type)
{
	switch (type) {
	case ISAKMP_NP_SA: return "SA";
	case ISAKMP_NP_P: return "P";
	case ISAKMP_NP_T: return "T";
	case ISAKMP_NP_KE: return "KE";
	case ISAKMP_NP_ID: return "ID";
	case ISAKMP_NP_CERT: return "CERT";
	case ISAKMP_NP_CR: return "CR";
	case ISAKMP_NP_HASH: return "HASH";
	case ISAKMP_NP_SIG: return "SIG";
	case ISAKMP_NP_NONCE: return "NONCE";
	case ISAKMP_NP_N: return "N";
	case ISAKMP_NP_D: return "D";
	case ISAKMP_NP_VID: return "VID";
	case ISAKMP_NP_ATTR: return "ATTR";
	case ISAKMP_NP_NATD: return "NAT-D";
	case ISAKMP_NP_NATOA: return "NAT-OA";
	case ISAKMP_NP_NATD_DRAFT: return "NAT-D(draft)";
	case ISAKMP_NP_NATOA_DRAFT: return "NAT-OA(draft)";
	case ISAKMP_NP_FRAG: return "FRAG";
	}
	return "?";
}

const char *isakmp_notify_name(uint16_t type)
{
	static char buf[24];

	switch (type) {
	case ISAKMP_N_INVALID_PAYLOAD_TYPE: return "INVALID-PAYLOAD-TYPE";
	case ISAKMP_N_DOI_NOT_SUPPORTED: return "DOI-NOT-SUPPORTED";
	case ISAKMP_N_SITUATION_NOT_SUPPORTED: return "SITUATION-NOT-SUPPORTED";
	case ISAKMP_N_INVALID_COOKIE: return "INVALID-COOKIE";
	case ISAKMP_N_INVALID_MAJOR_VERSION: return "INVALID-MAJOR-VERSION";
	case ISAKMP_N_INVALID_EXCHANGE_TYPE: return "INVALID-EXCHANGE-TYPE";
	case ISAKMP_N_INVALID_FLAGS: return "INVALID-FLAGS";
	case ISAKMP_N_INVALID_MESSAGE_ID: return "INVALID-MESSAGE-ID";
	case ISAKMP_N_INVALID_PROTOCOL_ID: return "INVALID-PROTOCOL-ID";
	case ISAKMP_N_INVALID_SPI: return "INVALID-SPI";
	case ISAKMP_N_INVALID_TRANSFORM_ID: return "INVALID-TRANSFORM-ID";
	case ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED: return "ATTRIBUTES-NOT-SUPPORTED";
	case ISAKMP_N_NO_PROPOSAL_CHOSEN: return "NO-PROPOSAL-CHOSEN";
	case ISAKMP_N_BAD_PROPOSAL_SYNTAX: return "BAD-PROPOSAL-SYNTAX";
	case ISAKMP_N_PAYLOAD_MALFORMED: return "PAYLOAD-MALFORMED";
	case ISAKMP_N_INVALID_KEY_INFORMATION: return "INVALID-KEY-INFORMATION";
	case ISAKMP_N_INVALID_ID_INFORMATION: return "INVALID-ID-INFORMATION";
	case ISAKMP_N_INVALID_HASH_INFORMATION: return "INVALID-HASH-INFORMATION";
	case ISAKMP_N_AUTHENTICATION_FAILED: return "AUTHENTICATION-FAILED";
	case ISAKMP_N_INVALID_SIGNATURE: return "INVALID-SIGNATURE";
	case ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS: return "UNEQUAL-PAYLOAD-LENGTHS";
	case ISAKMP_N_RESPONDER_LIFETIME: return "RESPONDER-LIFETIME";
	case ISAKMP_N_REPLAY_STATUS: return "REPLAY-STATUS";
	case ISAKMP_N_INITIAL_CONTACT: return "INITIAL-CONTACT";
	case ISAKMP_N_R_U_THERE: return "R-U-THERE";
	case ISAKMP_N_R_U_THERE_ACK: return "R-U-THERE-ACK";
	}
	snprintf(buf, sizeof(buf), "NOTIFY-%u", type);
	return buf;
}

const char *isakmp_payload_list(const struct isakmp_msg *m, char *buf,
				size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < m->n && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "",
				      isakmp_payload_name(m->pl[i].type));
	return buf;
}

const char *isakmp_cfg_type_name(uint8_t type)
{
	switch (type) {
	case ISAKMP_CFG_REQUEST: return "CFG_REQUEST";
	case ISAKMP_CFG_REPLY: return "CFG_REPLY";
	case ISAKMP_CFG_SET: return "CFG_SET";
	case ISAKMP_CFG_ACK: return "CFG_ACK";
	}
	return "CFG_?";
}

const char *isakmp_cfg_attr_name(uint16_t type)
{
	switch (type) {
	case CFG_INTERNAL_IP4_ADDRESS: return "INTERNAL_IP4_ADDRESS";
	case CFG_INTERNAL_IP4_NETMASK: return "INTERNAL_IP4_NETMASK";
	case CFG_INTERNAL_IP4_DNS: return "INTERNAL_IP4_DNS";
	case CFG_XAUTH_TYPE: return "XAUTH_TYPE";
	case CFG_XAUTH_USER_NAME: return "XAUTH_USER_NAME";
	case CFG_XAUTH_USER_PASSWORD: return "XAUTH_USER_PASSWORD";
	case CFG_XAUTH_PASSCODE: return "XAUTH_PASSCODE";
	case CFG_XAUTH_MESSAGE: return "XAUTH_MESSAGE";
	case CFG_XAUTH_CHALLENGE: return "XAUTH_CHALLENGE";
	case CFG_XAUTH_DOMAIN: return "XAUTH_DOMAIN";
	case CFG_XAUTH_STATUS: return "XAUTH_STATUS";
	}
	return "?";
}
