// SPDX-License-Identifier: GPL-2.0
/*
 * Aggressive Mode between two engines (the exchange harness): both
 * roles, Quick Mode after it, the wire order of AM1 and AM2, a wrong
 * pre-shared key, a responder that does not allow Aggressive Mode, the
 * conn picked by the initiator's ID, a lost AM3; and the configuration
 * errors of the mode = aggressive and aggressive keys.
 */
#include "config.h"
#include "isakmp/isakmp.h"
#include "exchange_harness.h"

/* Phase 1 state and live children of conn NAME on side i. */
struct conn_st {
	const char *name;
	char state[32];
	bool aggressive;
	int nactive;
};

static void conn_cb(void *arg, const struct ike_status *s)
{
	struct conn_st *o = arg;
	int i;

	if (strcmp(s->conn, o->name))
		return;
	snprintf(o->state, sizeof(o->state), "%s", s->state);
	o->aggressive = s->aggressive;
	for (i = 0; i < s->n_children; i++)
		o->nactive += !strcmp(s->children[i].state, "QM_ACTIVE");
}

static struct conn_st conn_status(int i, const char *name)
{
	struct conn_st o = { .name = name };

	ike_engine_status(S[i].eng, conn_cb, &o);
	return o;
}

static void am_conns(struct ike_conn *a, struct ike_conn *b, const char *ike)
{
	mkconn(a, 0, ike, "aes256gcm16-modp2048", "s3cret");
	mkconn(b, 1, ike, "aes256gcm16-modp2048", "s3cret");
	a->mode = IKE_MODE_AGGRESSIVE;
	a->aggressive = true;
	b->aggressive = true;
}

/* Payload types of an unencrypted message, in wire order; their count. */
static int payload_order(const uint8_t *b, size_t len, uint8_t *types,
			 int max)
{
	size_t off = ISAKMP_HDR_LEN;
	uint8_t np = b[16];
	int n = 0;

	while (np && off + 4 <= len && n < max) {
		size_t pl = (size_t)(b[off + 2] << 8 | b[off + 3]);

		types[n++] = np;
		if (pl < 4)
			break;
		np = b[off];
		off += pl;
	}
	return n;
}

/* Offset of the first payload of a type in an unencrypted message. */
static size_t payload_at(const uint8_t *b, size_t len, uint8_t type)
{
	size_t off = ISAKMP_HDR_LEN;
	uint8_t np = b[16];

	while (np && off + 4 <= len) {
		size_t pl = (size_t)(b[off + 2] << 8 | b[off + 3]);

		if (np == type)
			return off;
		if (pl < 4)
			break;
		np = b[off];
		off += pl;
	}
	return 0;
}

static struct pkt am[2][4];
static int nam[2];

static int capture_am(int from, int nth, const uint8_t *b, size_t l)
{
	if (b[18] == ISAKMP_XCHG_AGGR && nam[from] < 4 &&
	    l <= sizeof(am[0][0].buf)) {
		am[from][nam[from]].len = l;
		memcpy(am[from][nam[from]++].buf, b, l);
	}
	return 0;
}

static void t_basic(void)
{
	static const uint8_t a_addr[4] = { 192, 0, 2, 1 };
	struct ike_conn a, b;
	struct conn_st sa, sb;
	uint8_t types[16];
	size_t id;
	int n;

	setup();
	nam[0] = nam[1] = 0;
	filter = capture_am;
	am_conns(&a, &b, "aes256-sha256-modp2048,aes128-sha1-modp2048");
	start_pair(&a, &b);
	run(60000);
	sa = conn_status(0, "site");
	sb = conn_status(1, "site");
	is_str(sa.state, "AM_ACTIVE", "basic: initiator AM_ACTIVE");
	is_str(sb.state, "AM_ACTIVE", "basic: responder AM_ACTIVE");
	ok(sa.aggressive && sb.aggressive, "basic: status says aggressive");
	is_int(sa.nactive, 1, "basic: initiator has its IPsec SA");
	is_int(sb.nactive, 1, "basic: responder has its IPsec SA");
	check_mirror("basic");
	ok(logged("initiating Aggressive Mode for site") &&
	   logged("AM3: peer authenticated as 192.0.2.1") &&
	   logged("AM2: peer authenticated as 192.0.2.2"),
	   "basic: each side authenticated the other");
	is_int(nwarn, 0, "basic: no warnings");

	/* AM1: SA, KE, NONCE, ID, then nothing but vendor IDs. */
	is_int(nam[0], 2, "basic: initiator sent AM1 and AM3");
	is_int(nam[1], 1, "basic: responder sent AM2");
	n = payload_order(am[0][0].buf, am[0][0].len, types, 16);
	ok(n >= 4 && types[0] == ISAKMP_NP_SA && types[1] == ISAKMP_NP_KE &&
	   types[2] == ISAKMP_NP_NONCE && types[3] == ISAKMP_NP_ID,
	   "AM1: SA, KE, NONCE, ID in this order");
	while (n > 4 && types[n - 1] == ISAKMP_NP_VID)
		n--;
	is_int(n, 4, "AM1: only vendor IDs after the ID");
	ok(am[0][0].buf[19] == 0 && !memcmp(am[0][0].buf + 8,
					    "\0\0\0\0\0\0\0\0", 8),
	   "AM1: unencrypted, responder cookie zero");
	id = payload_at(am[0][0].buf, am[0][0].len, ISAKMP_NP_ID);
	ok(id && am[0][0].buf[id + 3] == 12 &&
	   am[0][0].buf[id + 4] == IKE_ID_IPV4_ADDR &&
	   !memcmp(am[0][0].buf + id + 8, a_addr, 4),
	   "AM1: IDii is ID_IPV4_ADDR 192.0.2.1 (in the clear)");
	id = payload_at(am[0][0].buf, am[0][0].len, ISAKMP_NP_KE);
	ok(id && (am[0][0].buf[id + 2] << 8 | am[0][0].buf[id + 3]) ==
	   4 + 256, "AM1: KE is a modp2048 public value");
	n = payload_order(am[1][0].buf, am[1][0].len, types, 16);
	ok(n >= 5 && types[0] == ISAKMP_NP_SA && types[1] == ISAKMP_NP_KE &&
	   types[2] == ISAKMP_NP_NONCE && types[3] == ISAKMP_NP_ID &&
	   types[4] == ISAKMP_NP_HASH && am[1][0].buf[19] == 0,
	   "AM2: SA, KE, NONCE, ID, HASH, unencrypted");
	ok(am[0][1].buf[16] == ISAKMP_NP_HASH &&
	   (am[0][1].buf[19] & ISAKMP_FLAG_E),
	   "AM3: HASH first, encrypted");
}

/* Roles swapped, FQDN IDs, conn picked by ID among several. */
static void t_by_id(void)
{
	struct ike_conn a, b, decoy, roam;
	struct conn_st sa, sb;
	char err[256];

	setup();
	/* Side 1 initiates this time. */
	mkconn(&a, 0, "aes128-sha256-modp3072", "aes256-sha256", "s3cret");
	mkconn(&b, 1, "aes128-sha256-modp3072", "aes256-sha256", "s3cret");
	b.mode = IKE_MODE_AGGRESSIVE;
	a.aggressive = true;
	ike_id_parse("fqdn:b.example", &b.local_id, err, sizeof(err));
	ike_id_parse("fqdn:b.example", &a.remote_id, err, sizeof(err));
	ike_id_parse("user:a@example.org", &a.local_id, err, sizeof(err));
	ike_id_parse("user:a@example.org", &b.remote_id, err, sizeof(err));
	/* Same addresses, another ID and key: must not be chosen. */
	decoy = a;
	strcpy(decoy.name, "decoy");
	strcpy(decoy.ifname, "esp9");
	ike_id_parse("fqdn:c.example", &decoy.remote_id, err, sizeof(err));
	memcpy(decoy.psk, "wrong", 5);
	decoy.psk_len = 5;
	ike_engine_add_conn(S[0].eng, &decoy);
	ike_engine_add_conn(S[0].eng, &a);
	ike_engine_add_conn(S[1].eng, &b);
	ike_engine_initiate(S[1].eng, "site");
	run(60000);
	sa = conn_status(0, "site");
	sb = conn_status(1, "site");
	is_str(sb.state, "AM_ACTIVE", "by id: initiator (side B) AM_ACTIVE");
	is_str(sa.state, "AM_ACTIVE", "by id: responder picked conn site");
	is_str(conn_status(0, "decoy").state, "NONE",
	       "by id: conn of the same addresses, other ID, untouched");
	ok(sa.nactive == 1 && sb.nactive == 1, "by id: Quick Mode done");
	check_mirror("by id");
	ok(logged("(ID fqdn:b.example)") &&
	   logged("peer authenticated as user:a@example.org"),
	   "by id: both FQDN IDs seen");

	/* An explicit remote-id matches from an address not configured. */
	setup();
	mkconn(&a, 0, "aes128-sha256-modp3072", "aes256-sha256", "s3cret");
	mkconn(&roam, 1, "aes128-sha256-modp3072", "aes256-sha256", "s3cret");
	a.mode = IKE_MODE_AGGRESSIVE;
	ike_id_parse("fqdn:roamer.example", &a.local_id, err, sizeof(err));
	roam.aggressive = true;
	mkaddr(&roam.remote, "198.51.100.7");
	ike_id_parse("fqdn:roamer.example", &roam.remote_id, err,
		     sizeof(err));
	start_pair(&a, &roam);
	run(60000);
	is_str(conn_status(1, "site").state, "AM_ACTIVE",
	       "by id: explicit remote-id accepted from another address");
	ok(live_sa(1, IKE_DIR_OUT) &&
	   !memcmp(&((const struct sockaddr_in *)(const void *)
		     &live_sa(1, IKE_DIR_OUT)->dst)->sin_addr,
		   &((const struct sockaddr_in *)(const void *)
		     &S[0].addr)->sin_addr, 4),
	   "by id: its SAs go to the address the peer came from");
}

static void t_wrong_psk(void)
{
	struct ike_conn a, b;

	setup();
	am_conns(&a, &b, "aes256-sha256-modp2048");
	memcpy(b.psk, "Other!", 6);
	start_pair(&a, &b);
	run(120000);
	ok(strcmp(conn_status(0, "site").state, "AM_ACTIVE") &&
	   strcmp(conn_status(1, "site").state, "AM_ACTIVE"),
	   "wrong psk: nothing established");
	ok(S[0].nsa == 0 && S[1].nsa == 0, "wrong psk: no kernel SA");
	ok(logged("authentication failed: HASH_R mismatch in AM2 — "
		  "pre-shared key mismatch?"),
	   "wrong psk: initiator refuses HASH_R, says why");
	ok(logged("no response to AM1 from 192.0.2.2:500"),
	   "wrong psk: the initiator gives up on AM1");
	ok(!logged("AM3 sent"), "wrong psk: no AM3 sent");
}

static void t_not_allowed(void)
{
	struct ike_conn a, b;

	setup();
	am_conns(&a, &b, "aes256-sha256-modp2048");
	b.aggressive = false;
	start_pair(&a, &b);
	run(60000);
	is_str(conn_status(0, "site").state, "NONE",
	       "aggressive = no: initiator's SA gone");
	is_str(conn_status(1, "site").state, "NONE",
	       "aggressive = no: responder created nothing");
	ok(S[0].nsa == 0 && S[1].nsa == 0, "aggressive = no: no kernel SA");
	ok(logged("AM1 from 192.0.2.1:500 for site refused: Aggressive Mode "
		  "is off (aggressive = no) because AM2 would carry HASH_R "
		  "in the clear"), "aggressive = no: responder logs why");
	ok(logged("INFO sent to 192.0.2.1:500: INVALID-EXCHANGE-TYPE"),
	   "aggressive = no: answered with INVALID-EXCHANGE-TYPE");
	ok(logged("AM1 refused by 192.0.2.2:500: INVALID-EXCHANGE-TYPE"),
	   "aggressive = no: the initiator understood and stopped");
	ike_engine_initiate(S[0].eng, "site");
	run(60000);
	ike_engine_initiate(S[0].eng, "site");
	run(60000);
	is_int(count_logged("refused: Aggressive Mode is off"), 1,
	       "aggressive = no: the reason is logged once per peer");
	is_int(count_logged("AM1 refused by"), 3,
	       "aggressive = no: each attempt refused");
	ok(S[1].nsa == 0, "aggressive = no: still no kernel SA");
}

static int am3_seen;

static int drop_first_am3(int from, int nth, const uint8_t *b, size_t l)
{
	if (from == 0 && b[18] == ISAKMP_XCHG_AGGR &&
	    (b[19] & ISAKMP_FLAG_E))
		return am3_seen++ == 0;
	return 0;
}

static void t_lost_am3(void)
{
	struct ike_conn a, b;

	setup();
	am3_seen = 0;
	filter = drop_first_am3;
	am_conns(&a, &b, "aes256-sha256-modp2048");
	start_pair(&a, &b);
	run(60000);
	is_str(conn_status(1, "site").state, "AM_ACTIVE",
	       "lost AM3: responder established after all");
	ok(conn_status(0, "site").nactive == 1 &&
	   conn_status(1, "site").nactive == 1,
	   "lost AM3: Quick Mode done");
	ok(logged("retransmitting AM2") && logged("resending AM3"),
	   "lost AM3: AM2 retransmitted, AM3 resent for it");
	check_mirror("lost AM3");
}

static int forged;

/* Before B's first AM2 reaches A, a forgery with another cookie does. */
static int forge_am2(int from, int nth, const uint8_t *b, size_t l)
{
	uint8_t f[4096];
	int k;

	if (from != 1 || b[18] != ISAKMP_XCHG_AGGR || forged ||
	    l > sizeof(f))
		return 0;
	forged = 1;
	memcpy(f, b, l);
	for (k = 8; k < 16; k++)
		f[k] ^= 0x5a;
	ike_engine_input(S[0].eng, &S[1].addr, &S[0].addr, f, l);
	return 0;
}

static void t_forged_am2(void)
{
	struct ike_conn a, b;

	setup();
	forged = 0;
	filter = forge_am2;
	am_conns(&a, &b, "aes256-sha256-modp2048");
	start_pair(&a, &b);
	run(60000);
	ok(forged, "forged AM2: injected");
	is_int(count_logged("HASH_R mismatch in AM2"), 1,
	       "forged AM2: refused");
	is_str(conn_status(0, "site").state, "AM_ACTIVE",
	       "forged AM2: the real one still establishes");
	ok(conn_status(0, "site").nactive == 1 &&
	   conn_status(1, "site").nactive == 1,
	   "forged AM2: Quick Mode done");
	ok(!logged("retransmitting AM1"),
	   "forged AM2: no retransmission was needed");
}

/*
 * AM3's INITIAL-CONTACT after HASH_I is not authenticated, and its last
 * block is the IV Quick Mode goes on from: a copy with another last
 * block, sent ahead of the real AM3 by someone without the keys, would
 * leave the responder with the wrong IV. Its garbled SPI gives it away.
 */
static int forge_am3(int from, int nth, const uint8_t *b, size_t l)
{
	uint8_t f[4096];

	if (from != 0 || nth != 2 || l < 44 || l > sizeof(f) || !(b[19] & 1))
		return 0;
	memcpy(f, b, l);
	f[l - 1] ^= 0x5a;
	ike_engine_input(S[1].eng, &S[0].addr, &S[1].addr, f, l);
	forged = true;
	return 0;
}

static void t_forged_am3_tail(void)
{
	struct ike_conn a, b;

	setup();
	forged = false;
	filter = forge_am3;
	am_conns(&a, &b, "aes128-sha256-modp2048");
	start_pair(&a, &b);
	pump();
	filter = NULL;
	ok(forged, "forged AM3 tail: injected before the real AM3");
	ok(logged("AM3: notify for other cookies, a forged copy? Dropped"),
	   "forged AM3 tail: dropped");
	ok(conn_status(0, "site").nactive == 1 &&
	   conn_status(1, "site").nactive == 1,
	   "forged AM3 tail: Quick Mode done without retransmission");
	check_mirror("forged AM3 tail");
}

/* Main Mode on one side, Aggressive on the other: MM still works. */
static void t_mm_unaffected(void)
{
	struct ike_conn a, b;

	setup();
	am_conns(&a, &b, "aes256-sha256-modp2048");
	a.mode = IKE_MODE_MAIN;
	start_pair(&a, &b);
	run(60000);
	is_str(conn_status(0, "site").state, "MM_ACTIVE",
	       "main mode initiator, aggressive = yes responder: MM_ACTIVE");
	ok(!conn_status(1, "site").aggressive, "main mode: status says main");
}

static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{ "[conn x]\ninterface = esp0\nlocal = 192.0.2.1\n"
	  "remote = 192.0.2.2\npsk = k\nmode = aggressive\n"
	  "ike = aes256-sha256-modp2048, aes128-sha1-modp3072\n",
	  "a.conf:7: conn 'x': Aggressive Mode proposes only one DH group, "
	  "ike = lists modp2048 and modp3072" },
	{ "[conn x]\ninterface = esp0\nlocal = 192.0.2.1\n"
	  "remote = 192.0.2.2\npsk = k\naggressive = no\n"
	  "mode = aggressive\nike = aes256-sha256-modp2048\n",
	  "a.conf:6: conn 'x': aggressive = no contradicts mode = "
	  "aggressive" },
	{ "[conn x]\ninterface = esp0\nlocal = 192.0.2.1\n"
	  "remote = 192.0.2.2\npsk = k\naggressive = maybe\n",
	  "a.conf:6: invalid boolean 'maybe' (yes or no)" },
};

static const char am_default_ike[] =
	"[conn x]\ninterface = esp0\nlocal = 192.0.2.1\n"
	"remote = 192.0.2.2\npsk = k\nmode = aggressive\n";

static void t_config(void)
{
	char err[CONF_ERR_MAX];
	struct conf c;
	size_t i;
	int r;

	/* The default ike = has one group in two proposals: fine. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		r = conf_parse("a.conf", bad[i].text, &c, err, sizeof(err));
		ok(r < 0 && !strncmp(err, bad[i].err, strlen(bad[i].err)),
		   "config error %zu: %s", i, err);
		if (!r)
			conf_free(&c);
	}
	r = conf_parse("a.conf", am_default_ike, &c, err, sizeof(err));
	ok(!r && c.n_conns == 1 && c.conns[0].mode == IKE_MODE_AGGRESSIVE &&
	   c.conns[0].aggressive,
	   "mode = aggressive with the default ike: accepted, answers AM");
	if (!r)
		conf_free(&c);
	r = conf_parse("a.conf", "[conn x]\ninterface = esp0\n"
		       "local = 192.0.2.1\nremote = 192.0.2.2\npsk = k\n",
		       &c, err, sizeof(err));
	ok(!r && c.conns[0].mode == IKE_MODE_MAIN && !c.conns[0].aggressive,
	   "defaults: main mode, aggressive = no");
	if (!r)
		conf_free(&c);
	r = conf_parse("a.conf", "[conn x]\ninterface = esp0\n"
		       "local = 192.0.2.1\nremote = 192.0.2.2\npsk = k\n"
		       "aggressive = yes\n"
		       "ike = aes256-sha256-modp2048, aes128-sha1-modp3072\n",
		       &c, err, sizeof(err));
	ok(!r && c.conns[0].mode == IKE_MODE_MAIN && c.conns[0].aggressive,
	   "aggressive = yes in main mode: several groups allowed");
	if (!r)
		conf_free(&c);
}

/* The ISAKMP SA of an Aggressive Mode conn is replaced in that mode. */
static void t_rekey_p1(void)
{
	struct ike_conn a, b;

	setup();
	am_conns(&a, &b, "aes256-sha256-modp2048");
	a.ike_lifetime = b.ike_lifetime = 90;
	a.lifetime = b.lifetime = 400;
	a.rekey_margin = b.rekey_margin = 20;
	b.rekey = false;
	start_pair(&a, &b);
	run(85000);
	is_int(count_logged("initiating Aggressive Mode for site"), 2,
	       "phase 1 rekey: a second Aggressive Mode");
	ok(!logged("Main Mode"), "phase 1 rekey: no Main Mode");
	is_str(conn_status(0, "site").state, "AM_ACTIVE",
	       "phase 1 rekey: initiator AM_ACTIVE");
	is_int(conn_status(0, "site").nactive, 1,
	       "phase 1 rekey: IPsec SA pair kept");
}

int main(void)
{
	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_DEBUG);
	t_basic();
	t_by_id();
	t_wrong_psk();
	t_not_allowed();
	t_lost_am3();
	t_forged_am2();
	t_forged_am3_tail();
	t_mm_unaffected();
	t_config();
	t_rekey_p1();
	ike_engine_free(S[0].eng);
	ike_engine_free(S[1].eng);
	return tap_done();
}
