// SPDX-License-Identifier: GPL-2.0
/*
 * XAuth and Mode Config, client side, between two engines (the exchange
 * harness). Side A is the client; side B's engine does phase 1 and Quick
 * Mode as responder, and the test plays B's XAuth and Mode Config server
 * with B's own ISAKMP SA keys: it sends REQUEST/SET/REPLY and decrypts
 * and checks what A answers. Covered: the XAuth VID and method in MM1,
 * Quick Mode held back until both are done, the credentials on the wire,
 * the assigned address on the device and as local selector, its removal
 * on ike down, a refused password (failure record, retry), a forged
 * message, a server that never asks, Mode Config alone.
 */
#include "isakmp/isakmp.h"
#include "ike/ikev1.h"
#include "exchange_harness.h"

/* A's Transaction messages, captured before B's engine sees them. */
#define MAX_CAP	8
static uint8_t cap[MAX_CAP][4096];
static size_t cap_len[MAX_CAP];
static int ncap;
static int qm_from_a;		/* Quick Mode messages A sent */
static uint8_t mm1[4096];
static size_t mm1_len;
static int info_from_a;		/* INFO messages A sent (dropped) */

static bool dup_server;		/* deliver B's Transaction messages twice */
static bool drop_b_qm;		/* B's Quick Mode never goes out */

static int xfilter(int from, int nth, const uint8_t *buf, size_t len)
{
	if (from == 1 && drop_b_qm && len >= ISAKMP_HDR_LEN &&
	    buf[18] == ISAKMP_XCHG_QUICK)
		return 1;
	if (from == 1 && dup_server && len >= ISAKMP_HDR_LEN &&
	    buf[18] == ISAKMP_XCHG_TRANSACTION)
		return 2;
	if (from != 0 || len < ISAKMP_HDR_LEN)
		return 0;
	if (buf[18] == ISAKMP_XCHG_IDPROT && nth == 1 && len <= sizeof(mm1)) {
		memcpy(mm1, buf, len);
		mm1_len = len;
	}
	if (buf[18] == ISAKMP_XCHG_QUICK)
		qm_from_a++;
	/* A's Delete would take B's SA, whose keys open A's messages. */
	if (buf[18] == ISAKMP_XCHG_INFO) {
		info_from_a++;
		return 1;
	}
	if (buf[18] != ISAKMP_XCHG_TRANSACTION)
		return 0;
	if (ncap < MAX_CAP) {
		memcpy(cap[ncap], buf, len);
		cap_len[ncap++] = len;
	}
	return 1;
}

/* A's device address calls. */
static int naddr_add, naddr_del;
static struct ike_ts last_addr;

static int m_set_addr(void *ctx, const struct ike_conn *c,
		      const struct ike_ts *addr, bool add)
{
	if (add)
		naddr_add++;
	else
		naddr_del++;
	last_addr = *addr;
	return 0;
}

static struct p1sa *b_sa(void)
{
	struct p1sa *sa;

	for (sa = S[1].eng->p1s; sa; sa = sa->next)
		if (sa->state == MM_ACTIVE)
			return sa;
	return NULL;
}

static struct p1sa *a_sa(void)
{
	return S[0].eng->p1s;
}

/* What the server's next message carries. */
static int srv_kind;
static uint8_t srv_addr[4];

enum { SRV_XAUTH_REQ, SRV_STATUS_OK, SRV_STATUS_FAIL, SRV_ADDR };

static void srv_attrs(struct isakmp_gen *g, const struct p1sa *sa)
{
	switch (srv_kind) {
	case SRV_XAUTH_REQ:
		isakmp_gen_attr(g, CFG_XAUTH_TYPE, 0, true);
		isakmp_gen_attr_data(g, CFG_XAUTH_USER_NAME, "", 0);
		isakmp_gen_attr_data(g, CFG_XAUTH_USER_PASSWORD, "", 0);
		break;
	case SRV_STATUS_OK:
	case SRV_STATUS_FAIL:
		isakmp_gen_attr(g, CFG_XAUTH_STATUS,
				srv_kind == SRV_STATUS_OK, true);
		break;
	case SRV_ADDR:
		isakmp_gen_attr_data(g, CFG_INTERNAL_IP4_ADDRESS, srv_addr, 4);
		break;
	}
}

/* B (the server) sends one Transaction message under its ISAKMP SA. */
static int srv_send(int kind, uint8_t type, uint16_t id, uint32_t msgid)
{
	struct p1sa *sa = b_sa();

	if (!sa)
		return -1;
	srv_kind = kind;
	return cfg_send(S[1].eng, sa, &sa->rx, msgid, type, id, srv_attrs, "SRV",
			false);
}

/*
 * Decrypts A's captured message k with B's SA and checks its HASH(1);
 * the attribute payload goes to cfg. 0 when authentic and parsed.
 */
static int srv_open(int k, struct isakmp_cfg *cfg, uint32_t *msgid,
		    uint8_t *plain)
{
	struct p1sa *sa = b_sa();
	uint8_t h[CRYPTO_MAX_HASH];
	const struct isakmp_payload *p;
	const uint8_t *rest;
	struct isakmp_msg m;

	if (!sa || k >= ncap || isakmp_parse_hdr(cap[k], cap_len[k], &m.hdr))
		return -1;
	if (msg_decrypt(sa, cap[k], cap_len[k], plain, &m))
		return -1;
	if (isakmp_check_rule(&m, MSG_CFG, (char[64]){ 0 }, 64))
		return -1;
	rest = m.pl[1].body - ISAKMP_GEN_LEN;
	keymat_qm_hash(&sa->km, 0, m.hdr.msgid, NULL, 0, NULL, 0, rest,
		       (size_t)(m.pl[m.n - 1].body + m.pl[m.n - 1].len - rest),
		       h);
	if (m.pl[0].len != sa->km.prf_len ||
	    memcmp(m.pl[0].body, h, sa->km.prf_len))
		return -1;
	iv_confirm(&sa->iv, m.hdr.msgid);
	*msgid = m.hdr.msgid;
	p = isakmp_find(&m, ISAKMP_NP_ATTR);
	return isakmp_parse_cfg(p->body, p->len, cfg);
}

static bool attr_is(const struct isakmp_cfg *cfg, uint16_t type,
		    const char *want)
{
	const struct isakmp_attr *a = isakmp_cfg_find(cfg, type);

	return a && !a->tv && a->len == strlen(want) &&
	       !memcmp(a->data, want, a->len);
}

static void xconns(struct ike_conn *a, struct ike_conn *b, bool xauth,
		   bool modecfg)
{
	char err[128];

	mkconn(a, 0, "aes256-sha256-modp2048", "aes256gcm16", "s3cret");
	mkconn(b, 1, "aes256-sha256-modp2048", "aes256gcm16", "s3cret");
	a->start = IKE_START_INITIATE;
	a->xauth = xauth;
	b->xauth_server = xauth;
	strcpy(a->xauth_user, "alice");
	strcpy(a->xauth_pass, "pa$$word");
	a->modecfg = modecfg;
	a->modecfg_ts = modecfg;
	if (modecfg)
		ike_ts_parse("10.99.0.7/32", &b->remote_ts[0], err,
			     sizeof(err));
}

static void xsetup(void)
{
	setup();
	S[0].eng->env.set_addr = m_set_addr;
	filter = xfilter;
	ncap = 0;
	dup_server = false;
	drop_b_qm = false;
	qm_from_a = 0;
	info_from_a = 0;
	mm1_len = 0;
	naddr_add = naddr_del = 0;
	memset(&last_addr, 0, sizeof(last_addr));
}

/* XAuth up to the server's verdict; returns A's REPLY's attributes. */
static void xauth_until_reply(void)
{
	uint8_t plain[4096];
	struct isakmp_cfg cfg;
	uint32_t mid = 0;
	static const uint8_t vid[8] = { 0x09, 0x00, 0x26, 0x89,
					0xdf, 0xd6, 0xb7, 0x12 };

	pump();
	ok(a_sa() && a_sa()->state == MM_ACTIVE, "phase 1 established");
	ok(mm1_len && memmem(mm1, mm1_len, vid, sizeof(vid)),
	   "MM1 carries the XAuth vendor ID");
	ok(mm1_len && memmem(mm1, mm1_len, "\x80\x03\xfd\xe9", 4),
	   "MM1 proposes XAUTHInitPreShared (65001)");
	is_int(qm_from_a, 0, "no Quick Mode before XAuth");
	is_int(ncap, 0, "the client waits for the server's request");

	ok(!srv_send(SRV_XAUTH_REQ, ISAKMP_CFG_REQUEST, 0x1234, 0x11111111),
	   "server sends its XAuth request");
	pump();
	is_int(ncap, 1, "client answers the request");
	ok(!srv_open(0, &cfg, &mid, plain), "the reply decrypts, HASH ok");
	is_int(mid, 0x11111111, "reply under the request's Message ID");
	is_int(cfg.type, ISAKMP_CFG_REPLY, "CFG_REPLY");
	is_int(cfg.id, 0x1234, "identifier repeated");
	ok(attr_is(&cfg, CFG_XAUTH_USER_NAME, "alice"), "user name sent");
	ok(attr_is(&cfg, CFG_XAUTH_USER_PASSWORD, "pa$$word"),
	   "password sent");
	ok(isakmp_cfg_find(&cfg, CFG_XAUTH_TYPE) &&
	   isakmp_cfg_find(&cfg, CFG_XAUTH_TYPE)->val == 0,
	   "XAUTH_TYPE generic repeated");
	is_int(qm_from_a, 0, "still no Quick Mode");
}

static void test_xauth_modecfg(void)
{
	struct ike_conn a, b;
	uint8_t plain[4096];
	struct isakmp_cfg cfg;
	uint32_t mid = 0, req_mid = 0;
	struct st st;

	xsetup();
	xconns(&a, &b, true, true);
	start_pair(&a, &b);
	xauth_until_reply();

	ok(!srv_send(SRV_STATUS_OK, ISAKMP_CFG_SET, 0x5678, 0x22222222),
	   "server sets XAUTH_STATUS OK");
	pump();
	is_int(ncap, 3, "client ACKs, then asks for an address");
	ok(!srv_open(1, &cfg, &mid, plain), "the ACK decrypts");
	ok(cfg.type == ISAKMP_CFG_ACK && cfg.id == 0x5678 &&
	   mid == 0x22222222 && isakmp_cfg_find(&cfg, CFG_XAUTH_STATUS),
	   "CFG_ACK of XAUTH_STATUS, same ID and Message ID");
	ok(!srv_open(2, &cfg, &req_mid, plain), "the request decrypts");
	ok(cfg.type == ISAKMP_CFG_REQUEST &&
	   isakmp_cfg_find(&cfg, CFG_INTERNAL_IP4_ADDRESS) &&
	   isakmp_cfg_find(&cfg, CFG_INTERNAL_IP4_ADDRESS)->len == 0,
	   "CFG_REQUEST for an INTERNAL_IP4_ADDRESS");
	ok(req_mid && req_mid != 0x11111111 && req_mid != 0x22222222,
	   "under a Message ID of its own");
	is_int(qm_from_a, 0, "no Quick Mode before the address");

	memcpy(srv_addr, "\x0a\x63\x00\x07", 4);
	ok(!srv_send(SRV_ADDR, ISAKMP_CFG_REPLY, cfg.id, req_mid),
	   "server assigns 10.99.0.7");
	run(5000);
	ok(qm_from_a > 0, "Quick Mode started after Mode Config");
	is_int(naddr_add, 1, "address put on the device once");
	ok(last_addr.family == AF_INET && last_addr.prefixlen == 32 &&
	   !memcmp(last_addr.addr, "\x0a\x63\x00\x07", 4),
	   "the device gets 10.99.0.7/32");
	st = status(0);
	is_int(st.nactive, 1, "IPsec SA pair up");
	ok(live_sa(0, IKE_DIR_OUT) &&
	   live_sa(0, IKE_DIR_OUT)->local_ts.prefixlen == 32 &&
	   !memcmp(live_sa(0, IKE_DIR_OUT)->local_ts.addr,
		   "\x0a\x63\x00\x07", 4),
	   "local selector is the assigned address");
	ok(logged("XAuth: the peer accepted user 'alice'"), "XAuth logged");
	ok(logged("Mode Config: assigned address 10.99.0.7/32 on esp0"),
	   "assignment logged");

	ike_engine_terminate(S[0].eng, "site");
	is_int(naddr_del, 1, "address taken off at ike down");
	ok(!memcmp(last_addr.addr, "\x0a\x63\x00\x07", 4),
	   "the assigned one");
}

static void test_xauth_refused(void)
{
	struct ike_conn a, b;
	uint8_t plain[4096];
	struct isakmp_cfg cfg;
	uint32_t mid = 0;
	int mm1_before;

	xsetup();
	xconns(&a, &b, true, false);
	start_pair(&a, &b);
	xauth_until_reply();
	ok(!srv_send(SRV_STATUS_FAIL, ISAKMP_CFG_SET, 9, 0x33333333),
	   "server sets XAUTH_STATUS FAIL");
	mm1_before = S[0].nsent;
	pump();
	is_int(ncap, 2, "client ACKs the verdict");
	ok(!srv_open(1, &cfg, &mid, plain) && cfg.type == ISAKMP_CFG_ACK,
	   "CFG_ACK");
	ok(logged("the peer refused the XAuth credentials of user 'alice'"),
	   "refusal logged");
	ok(!a_sa(), "the ISAKMP SA is gone");
	is_int(info_from_a, 1, "with a Delete to the peer");
	is_int(qm_from_a, 0, "no Quick Mode");
	ok(strstr(status(0).diag.fail,
		  "the peer refused the XAuth credentials") != NULL,
	   "failure record says why");
	is_str(status(0).diag.fail_msg, "XAUTH3", "failure at the SET");
	mm1_before = S[0].nsent;
	now_ms += 1000;
	ike_engine_run_timers(S[0].eng);
	ike_engine_run_timers(S[0].eng);
	now_ms += RETRY_MAX_MS;
	ike_engine_run_timers(S[0].eng);
	ok(S[0].nsent > mm1_before && a_sa() &&
	   a_sa()->state == MM_WAIT_MSG2, "retried with a new Main Mode");
}

static void test_forged(void)
{
	struct ike_conn a, b;
	int before;

	xsetup();
	xconns(&a, &b, true, false);
	start_pair(&a, &b);
	pump();
	ok(!srv_send(SRV_XAUTH_REQ, ISAKMP_CFG_REQUEST, 1, 0x44444444),
	   "server request");
	ok(qn == 1, "queued");
	q[0].buf[q[0].len - 1] ^= 1;
	before = ncap;
	pump();
	is_int(ncap, before, "damaged request not answered");
	ok(a_sa() && a_sa()->state == MM_ACTIVE && !a_sa()->cfg.done,
	   "SA kept, XAuth still pending");
}

/* A copy of the request gets the same reply again, acted on once. */
static void test_duplicate(void)
{
	struct ike_conn a, b;

	xsetup();
	xconns(&a, &b, true, false);
	start_pair(&a, &b);
	pump();
	dup_server = true;
	ok(!srv_send(SRV_XAUTH_REQ, ISAKMP_CFG_REQUEST, 2, 0x55555555),
	   "server request, delivered twice");
	pump();
	is_int(ncap, 2, "two replies");
	ok(cap_len[0] == cap_len[1] && !memcmp(cap[0], cap[1], cap_len[0]),
	   "the second is the first resent");
	is_int(count_logged("credentials of user 'alice' sent"), 1,
	   "the request is acted on once");
	ok(logged("retransmitted request, resending XAUTH2"),
	   "the copy is recognised");
}

/*
 * With Mode Config after XAuth, our ACK stays ready for a copy of the
 * server's SET (the REQUEST for an address has retransmissions of its
 * own), a REPLY with another identifier is ignored, and a REQUEST never
 * answered ends in a Delete.
 */
static void test_modecfg_after_ack(void)
{
	struct ike_conn a, b;
	uint8_t plain[4096];
	struct isakmp_cfg cfg;
	uint32_t req_mid = 0;
	int i;

	xsetup();
	xconns(&a, &b, true, true);
	start_pair(&a, &b);
	xauth_until_reply();
	dup_server = true;
	ok(!srv_send(SRV_STATUS_OK, ISAKMP_CFG_SET, 0x5678, 0x22222222),
	   "mcfg: the SET delivered twice");
	pump();
	dup_server = false;
	is_int(ncap, 4, "mcfg: ACK, REQUEST, and the ACK again");
	ok(logged("retransmitted request, resending XAUTH4"),
	   "mcfg: the copy of the SET gets our ACK again");
	ok(ncap >= 4 && cap_len[1] == cap_len[3] &&
	   !memcmp(cap[1], cap[3], cap_len[1]), "mcfg: the same ACK");
	ok(!srv_open(2, &cfg, &req_mid, plain) &&
	   cfg.type == ISAKMP_CFG_REQUEST, "mcfg: the REQUEST");

	memcpy(srv_addr, "\x0a\x63\x00\x08", 4);
	ok(!srv_send(SRV_ADDR, ISAKMP_CFG_REPLY, (uint16_t)(cfg.id + 1),
		     req_mid), "mcfg: a REPLY with another identifier");
	pump();
	ok(logged("reply with identifier") && naddr_add == 0 &&
	   qm_from_a == 0, "mcfg: ignored");

	/* Nothing more from the server: the REQUEST is resent, then given up. */
	for (i = 0; i < 40 && a_sa(); i++) {
		now_ms += 2000;
		ike_engine_run_timers(S[0].eng);
		pump();
	}
	ok(logged("retransmitting MCFG1"), "mcfg: the REQUEST is resent");
	ok(logged("no response to MCFG1") ||
	   logged("Mode Config with 192.0.2.2:500 not finished"),
	   "mcfg: then given up");
	ok(!a_sa() && info_from_a > 0, "mcfg: the SA gone, with a Delete");
}

static void test_no_request(void)
{
	struct ike_conn a, b;

	xsetup();
	xconns(&a, &b, true, false);
	start_pair(&a, &b);
	pump();
	now_ms += CFG_TIMEOUT_MS + 1;
	ike_engine_run_timers(S[0].eng);
	ok(logged("not finished within 30 s"), "timeout logged");
	ok(!a_sa() || a_sa()->state != MM_ACTIVE, "the SA is gone");
	is_int(qm_from_a, 0, "no Quick Mode");
}

static void test_modecfg_only(void)
{
	struct ike_conn a, b;
	uint8_t plain[4096];
	struct isakmp_cfg cfg;
	uint32_t mid = 0;
	static const uint8_t vid[8] = { 0x09, 0x00, 0x26, 0x89,
					0xdf, 0xd6, 0xb7, 0x12 };

	xsetup();
	xconns(&a, &b, false, true);
	start_pair(&a, &b);
	pump();
	ok(mm1_len && !memmem(mm1, mm1_len, vid, sizeof(vid)),
	   "no XAuth VID without xauth = client");
	is_int(ncap, 1, "address requested right after phase 1");
	ok(!srv_open(0, &cfg, &mid, plain) &&
	   cfg.type == ISAKMP_CFG_REQUEST, "CFG_REQUEST");
	is_int(qm_from_a, 0, "no Quick Mode yet");
	memcpy(srv_addr, "\x0a\x63\x00\x07", 4);
	ok(!srv_send(SRV_ADDR, ISAKMP_CFG_REPLY, cfg.id, mid), "reply");
	run(5000);
	is_int(status(0).nactive, 1, "IPsec SA pair up");
	is_int(naddr_add, 1, "address on the device");

	/* A reply without an address fails the conn with a reason. */
	xsetup();
	xconns(&a, &b, false, true);
	start_pair(&a, &b);
	pump();
	ok(!srv_open(0, &cfg, &mid, plain), "request");
	srv_kind = SRV_STATUS_OK;	/* any attribute but the address */
	ok(!cfg_send(S[1].eng, b_sa(), &b_sa()->rx, mid, ISAKMP_CFG_REPLY, cfg.id,
		     srv_attrs, "SRV", false), "reply without an address");
	pump();
	ok(logged("the peer assigned no IPv4 address"), "logged");
	ok(!a_sa(), "SA gone");
	is_int(naddr_add, 0, "nothing on the device");
}

/*
 * The server begins phase 1, as strongSwan does when it reauthenticates:
 * it proposes XAUTHRespPreShared and the client, as responder, answers
 * its XAuth request. A peer that proposes to be the client itself
 * (XAUTHInitPreShared) is refused: esptund is no XAuth server.
 */
static void test_responder(void)
{
	struct ike_conn a, b;
	uint8_t plain[4096];
	struct isakmp_cfg cfg;
	uint32_t mid = 0;

	xsetup();
	xconns(&a, &b, true, false);
	a.start = IKE_START_LISTEN;
	drop_b_qm = true;	/* a server asks first */
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_initiate(S[1].eng, "site");
	pump();
	ok(a_sa() && a_sa()->state == MM_ACTIVE && !a_sa()->initiator,
	   "responder: the server's XAUTHRespPreShared accepted");
	ok(logged("XAuth: waiting for the peer's request"),
	   "responder: waits for the server's request");
	ok(!srv_send(SRV_XAUTH_REQ, ISAKMP_CFG_REQUEST, 0x4321, 0x44444444),
	   "responder: the server asks");
	pump();
	is_int(ncap, 1, "responder: the client answers");
	ok(!srv_open(0, &cfg, &mid, plain) && cfg.type == ISAKMP_CFG_REPLY &&
	   cfg.id == 0x4321 && attr_is(&cfg, CFG_XAUTH_USER_NAME, "alice") &&
	   attr_is(&cfg, CFG_XAUTH_USER_PASSWORD, "pa$$word"),
	   "responder: with its credentials, HASH ok");
	ok(!srv_send(SRV_STATUS_OK, ISAKMP_CFG_SET, 0x8765, 0x55555555),
	   "responder: the server sets XAUTH_STATUS OK");
	pump();
	is_int(ncap, 2, "responder: the client ACKs");
	ok(a_sa() && a_sa()->cfg.done, "responder: XAuth done");

	/* Both want to be the client. */
	xsetup();
	xconns(&a, &b, true, false);
	b.xauth_server = false;
	b.xauth = true;
	a.start = IKE_START_LISTEN;
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_initiate(S[1].eng, "site");
	pump();
	ok(!a_sa() || a_sa()->state != MM_ACTIVE,
	   "responder: XAUTHInitPreShared refused");
	ok(logged("authentication method is not XAUTHRespPreShared"),
	   "responder: and why");
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	test_xauth_modecfg();
	test_xauth_refused();
	test_forged();
	test_duplicate();
	test_modecfg_after_ack();
	test_no_request();
	test_modecfg_only();
	test_responder();
	return tap_done();
}
