// SPDX-License-Identifier: GPL-2.0
/*
 * Informational messages we send (RFC 2409 5.7): error notifies and
 * Deletes. Once phase 1 keys exist they are encrypted and carry HASH(1) =
 * prf(SKEYID_a, M-ID | N/D); before that only a plain notify can answer.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/ikev1.h"
#include "log.h"

#define MSG_BUF	2048
#define N_DELS	(sizeof(((struct conn_ent *)0)->dels) / \
		 sizeof(((struct conn_ent *)0)->dels[0]))

struct info_body {
	bool is_delete;
	uint8_t proto, spi_size;
	const uint8_t *spi;
	uint16_t nspi;			/* delete */
	uint16_t type;			/* notify */
	const void *data;
	size_t len;
};

static void gen_info(struct isakmp_gen *g, const void *arg)
{
	const struct info_body *b = arg;

	if (b->is_delete)
		isakmp_gen_delete(g, b->proto, b->spi_size, b->spi, b->nspi);
	else
		isakmp_gen_notify(g, b->proto, b->spi, b->spi_size, b->type,
				  b->data, b->len);
}

static void send_encrypted(struct ike_engine *e, struct p1sa *sa,
			   const struct info_body *b, const char *what)
{
	uint8_t buf[MSG_BUF];
	size_t len;
	uint32_t msgid;
	char a[64];

	if (!sa || !sa->keys)
		return;
	if (sa->state != MM_ACTIVE)
		iv_phase1_done(&sa->iv);	/* error during MM5/MM6 */
	msgid = msg_new_msgid(e, sa);
	if (!msgid)
		return;
	len = msg_build_hash1(sa, ISAKMP_XCHG_INFO, msgid, gen_info, b, buf,
			      sizeof(buf));
	iv_drop(&sa->iv, msgid);
	if (!len)
		return;
	msg_send(e, sa, &sa->local, &sa->remote, NULL, buf, len, "INFO", false,
		 0, 0);
	/* DPD's questions and answers come every dpd-delay: dpd.c logs. */
	if (!b->is_delete && (b->type == ISAKMP_N_R_U_THERE ||
			      b->type == ISAKMP_N_R_U_THERE_ACK))
		log_dbg("%s INFO sent to %s: %s", msg_ck(sa),
			ike_addr_str(&sa->remote, a, sizeof(a)), what);
	else
		log_info("%s INFO sent to %s: %s", msg_ck(sa),
			 ike_addr_str(&sa->remote, a, sizeof(a)), what);
}

void notify_send(struct ike_engine *e, struct p1sa *sa, uint8_t proto,
		 const uint8_t *spi, uint8_t spi_size, uint16_t type,
		 const void *data, size_t len)
{
	struct info_body b = { .proto = proto, .spi = spi,
			       .spi_size = spi_size, .type = type,
			       .data = data, .len = len };

	send_encrypted(e, sa, &b, isakmp_notify_name(type));
	if (sa->conn)
		diag_notify(sa->conn, type, true);
}

void notify_send_plain(struct ike_engine *e,
		       const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote,
		       const uint8_t icookie[8], const uint8_t rcookie[8],
		       uint16_t type)
{
	uint8_t buf[256];
	struct isakmp_gen g;
	struct isakmp_hdr h;
	size_t len;
	char a[64];

	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, icookie, 8);
	memcpy(h.rcookie, rcookie, 8);
	h.exch = ISAKMP_XCHG_INFO;
	isakmp_gen_init(&g, buf, sizeof(buf), &h);
	isakmp_gen_notify(&g, ISAKMP_PROTO_ISAKMP, NULL, 0, type, NULL, 0);
	len = isakmp_gen_finish(&g);
	if (!len)
		return;
	msg_send(e, NULL, local, remote, NULL, buf, len, "INFO", false, 0, 0);
	log_info("INFO sent to %s: %s (unencrypted)",
		 ike_addr_str(remote, a, sizeof(a)), isakmp_notify_name(type));
}

static void delete_esp(struct ike_engine *e, struct p1sa *sa, uint32_t id)
{
	uint8_t spi[4];
	char what[48];
	struct info_body b = { .is_delete = true, .proto = ISAKMP_PROTO_ESP,
			       .spi_size = 4, .spi = spi, .nspi = 1 };

	isakmp_put32(spi, id);
	snprintf(what, sizeof(what), "Delete ESP SPI %08x", id);
	send_encrypted(e, sa, &b, what);
}

void notify_delete_child(struct ike_engine *e, struct p2sa *c)
{
	struct p1sa *sa = c->p1 && c->p1->state == MM_ACTIVE ? c->p1 :
			  sa_p1_established(e, c->conn);
	struct conn_ent *conn = c->conn;
	unsigned int i = conn->n_dels++ % N_DELS;

	/* Our inbound SPI names the pair for the peer (RFC 2408 3.15). */
	delete_esp(e, sa, c->spi_in);
	conn->dels[i].spi = c->spi_in;
	conn->dels[i].at = env_now(e) ? env_now(e) : 1;
}

void notify_deletes_again(struct ike_engine *e, struct p1sa *sa,
			  uint64_t since)
{
	struct conn_ent *c = sa->conn;
	size_t i;

	for (i = 0; i < N_DELS; i++) {
		if (!c->dels[i].at || c->dels[i].at < since)
			continue;
		log_info("%s Delete of ESP SPI %08x again: it crossed the new "
			 "ISAKMP SA", msg_ck(sa), c->dels[i].spi);
		delete_esp(e, sa, c->dels[i].spi);
		c->dels[i].at = 0;
	}
}

void notify_delete_p1(struct ike_engine *e, struct p1sa *sa)
{
	uint8_t spi[16];
	struct info_body b = { .is_delete = true,
			       .proto = ISAKMP_PROTO_ISAKMP, .spi_size = 16,
			       .spi = spi, .nspi = 1 };

	memcpy(spi, sa->icookie, 8);
	memcpy(spi + 8, sa->rcookie, 8);
	send_encrypted(e, sa, &b, "Delete ISAKMP SA");
}

