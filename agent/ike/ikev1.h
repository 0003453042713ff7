/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Engine internals shared by the ike/ sources (not a public interface):
 * the engine, configured connections, ISAKMP (phase 1) SAs and Quick
 * Mode (phase 2) SAs, and every internal function, grouped by file.
 */
#ifndef ESPTUND_IKE_IKEV1_H
#define ESPTUND_IKE_IKEV1_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/dh.h"
#include "crypto/x509.h"
#include "ike/conn.h"
#include "ike/engine.h"
#include "ike/fragment.h"
#include "ike/iv.h"
#include "ike/keymat.h"
#include "ike/msgid.h"
#include "ike/natt.h"
#include "ike/retransmit.h"
#include "ike/states.h"
#include "isakmp/isakmp.h"

#define IKE_NONCE_LEN	32
#define IKE_MAX_KE	1024

/* Dead Peer Detection of one conn (dpd.c). Times in engine ms. */
struct dpd_state {
	uint64_t heard_ms;		/* last authentic IKE from the peer */
	uint64_t esp_ms;		/* last ESP in, as the kernel said */
	bool probing;			/* R-U-THERE unanswered */
	uint32_t seq;			/* last sequence number sent */
	uint32_t first_seq;		/* first unanswered one */
	uint32_t probes;		/* R-U-THEREs of this round */
	uint64_t probe_start_ms, next_probe_ms;
	bool dead;			/* declared dead, no new SA since */
	uint64_t dead_ms;
	bool acked;			/* an R-U-THERE-ACK ever arrived */
	uint32_t ack_seq;
	uint64_t ack_ms;
	bool said_unsupported;		/* "peer has no DPD" logged */
	bool peer_dpd;			/* an ISAKMP SA of it announced DPD */
	uint64_t p1_wanted_ms;		/* asked for an ISAKMP SA to probe */
};

/*
 * XAuth and Mode Config of one ISAKMP SA we initiated, client side
 * (transaction.c): Quick Mode waits until they are done.
 */
struct cfg_state {
	bool active;			/* the conn wants XAuth or Mode Config */
	bool xauth_type;		/* the peer's request named the type */
	bool xauth_done;		/* the peer took our credentials */
	bool modecfg_sent;		/* our REQUEST is out */
	bool done;			/* both finished: Quick Mode may start */
	uint32_t msgid;			/* M-ID of our REQUEST */
	uint16_t id;			/* its identifier */
	uint64_t deadline;		/* engine ms; failed when not done */
	/*
	 * Our REQUEST's retransmission, apart from the SA's own: that one
	 * keeps our XAuth ACK, which a repeated SET must get again.
	 */
	struct rexmit rx;
};

struct conn_ent {
	struct conn_ent *next;
	struct ike_conn c;
	/* Its selector pairs (ike_conn_ts_pairs), one IPsec SA pair each. */
	struct ike_ts_pair pairs[IKE_MAX_TS_PAIRS];
	int n_pairs;

	/* Keeping the conn up (retry.c). */
	bool keep_up;			/* start = initiate, not taken down */
	bool held;			/* ike down: nothing until ike up */
	uint32_t attempts;		/* negotiations since it was last up */
	uint64_t retry_at;		/* next attempt, 0 = none scheduled */
	uint64_t acquire_ms;		/* last negotiation from an acquire */
	char why[128];			/* why the last negotiation failed */
	struct ike_diag diag;		/* failure.c */
	/* Negotiate at the next chance (DPD restart, recovery). */
	bool start_now;
	/* DPD hold: negotiated again on the next acquire, carrier on. */
	bool on_hold;

	struct dpd_state dpd;
	/* Recovery (recover.c): last INVALID-SPI sent, last renegotiation. */
	uint64_t invalid_spi_ms;
	uint64_t recover_ms;
	/* Carrier as last set (link.c): -1 not yet. */
	int carrier;

	/* Peers told why their Aggressive Mode is refused (once each). */
	struct sockaddr_storage am_told[4];
	unsigned int n_am_told;

	/* auth = rsa-sig: certificate, key and trust anchors (cert.c). */
	struct x509_creds *creds;

	/*
	 * nat-t = auto-force (autoforce.c): raw ESP was found blocked, so
	 * every phase 1 from now on forces ESP in UDP. Checks of the
	 * active pair: when the next is due, how many in a row saw ESP
	 * go out and nothing come in.
	 */
	bool esp_blocked;
	uint64_t autoforce_at;
	uint32_t autoforce_hits;

	/*
	 * Deletes of IPsec SAs sent lately (notify.c), kept to be sent
	 * again under a new ISAKMP SA: a peer that begins one moves its
	 * IPsec SAs to it and ignores Deletes still under the old one.
	 */
	struct {
		uint32_t spi;
		uint64_t at;
	} dels[2 * IKE_MAX_TS_PAIRS];
	unsigned int n_dels;

	/* Rekeys done since the conn was added (rekey.c). */
	uint32_t rekeys;		/* IPsec SA pairs replaced */
	uint32_t ike_rekeys;		/* ISAKMP SAs replaced */

	/* Mode Config: the address the peer assigned, on the device. */
	bool has_vip;
	struct ike_ts vip;
};

struct p1sa {
	struct p1sa *next;
	struct conn_ent *conn;
	bool initiator;
	bool aggressive;		/* AM1-AM3 rather than MM1-MM6 */
	bool sent_ic;			/* our MM5/AM3 carried INITIAL-CONTACT */
	enum ike_state state;
	uint8_t icookie[8], rcookie[8];
	struct sockaddr_storage local, remote;

	struct ike_proposal prop;	/* negotiated */
	uint32_t life_secs;
	uint8_t *sai_b;			/* initiator's SA body, for HASH_I/R */
	size_t sai_len;
	/* Aggressive Mode responder: IDii body of AM1, for HASH_I in AM3. */
	uint8_t peer_id[4 + IKE_ID_MAX];
	size_t peer_id_len;

	struct dh *dh;
	uint8_t ke_i[IKE_MAX_KE], ke_r[IKE_MAX_KE];
	size_t ke_len;
	uint8_t ni[256], nr[256];
	size_t ni_len, nr_len;
	struct ike_keymat km;
	struct iv_mgr iv;
	bool keys;			/* km and iv are valid */

	struct rexmit rx;
	/* Requests processed under this SA (MM, QM, INFO): late copies. */
	struct rexmit_seen seen;
	/* Message IDs of every exchange after phase 1: never reused. */
	struct msgid_log msgids;
	uint64_t created_ms;
	uint64_t established_ms;
	uint64_t expire_ms;
	uint32_t start_qm;		/* pairs (bit = index) to negotiate
					 * by Quick Mode once established */
	bool peer_dpd;			/* the peer sent the DPD vendor ID */
	bool peer_frag;			/* ... and the fragmentation one */
	uint16_t frag_id;		/* the last fragment ID taken */
	struct natt_p1 natt;		/* NAT traversal (natt.c) */

	/* Rekeying (rekey.c). */
	uint64_t rekey_at;		/* start its successor, 0 = never */
	uint64_t retire_at;		/* replaced: deleted then, 0 = in use */

	struct cfg_state cfg;		/* XAuth, Mode Config */
};

/* No XAuth or Mode Config pending: Quick Mode may use this SA. */
static inline bool cfg_ready(const struct p1sa *sa)
{
	return !sa->cfg.active || sa->cfg.done;
}

struct p2sa {
	struct p2sa *next;
	struct conn_ent *conn;
	struct p1sa *p1;		/* NULL once its ISAKMP SA is gone */
	bool initiator;
	enum ike_state state;
	uint32_t msgid;
	uint32_t spi_in, spi_out;
	struct esp_proposal prop;
	uint32_t life_secs;
	uint64_t life_kbytes;
	uint8_t ni[256], nr[256];
	size_t ni_len, nr_len;
	struct dh *dh;
	uint8_t ke_peer[IKE_MAX_KE];
	size_t ke_peer_len;
	struct ike_ts local_ts, remote_ts;
	bool in_installed, out_installed;
	/*
	 * KEYMAT of both directions (child.c), derived at the first
	 * install: the pair may move to a new ISAKMP SA before its other
	 * direction is installed, but its keys stay those of the one it
	 * was negotiated under. Wiped once the direction is installed.
	 */
	uint8_t km[2][128];
	bool km_ready;
	struct rexmit rx;
	uint64_t established_ms;
	/* Outer endpoints of its kernel SAs, ports included. */
	struct sockaddr_storage local, remote;
	uint16_t encap_mode;		/* ENCAPSULATION_MODE negotiated */
	bool encap;			/* ESP in UDP */

	/* Rekeying (rekey.c). */
	struct p2sa *replaces;		/* the pair in use when it started */
	uint64_t started_ms;		/* QM1 sent or received */
	uint64_t rekey_at;		/* start its successor, 0 = never */
	uint64_t out_at;		/* install the outbound SA, 0 = not due */
	uint64_t retire_at;		/* replaced: removed then, 0 = in use */
	/* The peer may lack it: whatever comes up next supersedes it. */
	bool doubtful;
	/* Its rekey first waited for the peer's Main Mode then, 0 = never. */
	uint64_t hold_since;
	/* auto-force: raw ESP came in on it or on a pair it replaced. */
	bool esp_in_seen;
};

struct ike_engine {
	struct ike_env env;
	struct conn_ent *conns;
	struct p1sa *p1s;
	struct p2sa *p2s;
	struct probe *probes;		/* probe.c */
	struct frag_reasm *frags;	/* fragment.c: being reassembled */
};

/*
 * Prototypes by file. Calls go one way, down this list: engine.c (input
 * dispatch, public API) may call everything; the exchange files call the
 * helpers below them and never each other or engine.c.
 *
 *   engine.c states.c                 dispatch, public API, transitions
 *   main_mode.c aggressive_mode.c      exchanges, run from the dispatcher
 *   quick_mode.c info.c
 *   transaction.c                     XAuth and Mode Config exchanges,
 *   xauth.c modecfg.c                 client side, with their payloads
 *   dpd.c recover.c                   Dead Peer Detection (R-U-THERE
 *                                     handed over by info.c, probes
 *                                     from the engine's timers); stale
 *                                     state: INITIAL-CONTACT, INVALID-SPI,
 *                                     unknown SPIs
 *   retry.c link.c rekey.c            keeping conns up: backoff,
 *                                     acquires; the device's carrier;
 *                                     when to rekey, which pair
 *                                     survives, make-before-break
 *   timer.c                           retransmission and expiry
 *   phase1.c notify.c child.c         phase 1 crypto, outgoing INFO,
 *   ts.c vid.c natt.c                 kernel install, selectors,
 *                                     vendor IDs, NAT traversal
 *   sa.c conn.c                       SA objects, connection lookup
 *   msg.c env.c                       message I/O, clock and randomness
 *
 * rekey.c decides when a successor is due (its timers and the
 * soft-expire kernel event) and what happens to the SAs it replaces;
 * engine.c starts the exchanges it asks for.
 *
 * Where later features go, each a layer like the exchanges (called by
 * engine.c, calling only down): rekey.c, rekeying IPsec and ISAKMP SAs
 * before they expire, starts from ike_engine_run_timers() (timer_run()
 * hands back the expiring conn) and from the soft-expire kernel event;
 * dpd.c (RFC 3706) gets R-U-THERE INFO messages from the dispatcher
 * beside info.c and its deadline from timer.c. natt.c (RFC 3947) sits
 * with the helpers: the exchanges call it for vendor IDs, NAT-D and the
 * float, child.c for the encapsulation, engine.c for keepalives and the
 * module's remote-moved event.
 */

/* One received message on its way through the transition table. */
struct ike_dispatch {
	struct ike_engine *e;
	struct p1sa *p1;
	struct p2sa *p2;
	struct isakmp_msg *m;		/* decrypted when needed */
	const uint8_t *raw;
	size_t raw_len;
	const struct sockaddr_storage *from, *to;
	/* Its HASH verified: only then may its failure end anything. */
	bool authentic;
};

/* engine.c: see engine.h (public) */

/* main_mode.c */
void conn_clear_sas(struct ike_engine *e, struct conn_ent *c);
int mm_initiate(struct ike_engine *e, struct conn_ent *c,
		const struct p1sa *prev);
struct p1sa *mm_responder_new(struct ike_engine *e,
			      const struct isakmp_msg *m,
			      const struct sockaddr_storage *from,
			      const struct sockaddr_storage *to);
int mm_inI1_outR1(struct ike_dispatch *d);
int mm_inR1_outI2(struct ike_dispatch *d);
int mm_inI2_outR2(struct ike_dispatch *d);
int mm_inR2_outI3(struct ike_dispatch *d);
int mm_inI3_outR3(struct ike_dispatch *d);
int mm_inR3(struct ike_dispatch *d);

/* aggressive_mode.c */
int am_initiate(struct ike_engine *e, struct conn_ent *c,
		const struct p1sa *prev);
struct p1sa *am_responder_new(struct ike_engine *e,
			      const struct isakmp_msg *m,
			      const struct sockaddr_storage *from,
			      const struct sockaddr_storage *to);
int am_inI1_outR1(struct ike_dispatch *d);
int am_inR1_outI2(struct ike_dispatch *d);
int am_inI2(struct ike_dispatch *d);

/* quick_mode.c */
int qm_initiate(struct ike_engine *e, struct p1sa *p1,
		const struct ike_ts_pair *pair);
bool qm_pair_covered(struct ike_engine *e, struct conn_ent *c, int pair);
int qm_initiate_pairs(struct ike_engine *e, struct p1sa *p1, uint32_t pairs);
int qm_inI1_outR1(struct ike_dispatch *d);
int qm_inR1_outI2(struct ike_dispatch *d);
int qm_inI2(struct ike_dispatch *d);

/* transaction.c: the Transaction exchange (XAuth, Mode Config) */
#define CFG_TIMEOUT_MS		30000
void cfg_established(struct ike_engine *e, struct p1sa *sa);
int cfg_input(struct ike_engine *e, struct p1sa *sa,
	      const struct sockaddr_storage *from, const uint8_t *buf,
	      size_t len, const struct isakmp_msg *hm, const uint8_t *digest);
int cfg_send(struct ike_engine *e, struct p1sa *sa, struct rexmit *rx,
	     uint32_t msgid, uint8_t type, uint16_t id,
	     void (*attrs)(struct isakmp_gen *g, const struct p1sa *sa),
	     const char *name, bool expect_reply);
int64_t cfg_next_ms(struct ike_engine *e);
void cfg_run(struct ike_engine *e, uint64_t now);

/* xauth.c */
void xauth_gen_vid(struct isakmp_gen *g, const struct ike_conn *c);
int xauth_input(struct ike_engine *e, struct p1sa *sa, uint32_t msgid,
		const struct isakmp_cfg *cfg);

/* modecfg.c */
int modecfg_request(struct ike_engine *e, struct p1sa *sa);
int modecfg_input(struct ike_engine *e, struct p1sa *sa,
		  const struct isakmp_cfg *cfg);
void modecfg_release(struct ike_engine *e, struct conn_ent *c);

/* info.c */
void info_input(struct ike_engine *e, struct p1sa *sa,
		const struct sockaddr_storage *from, const uint8_t *buf,
		size_t len, const struct isakmp_msg *hm,
		const uint8_t *digest);

/* failure.c: what diagnosis needs, recorded per conn */
void diag_sent(struct conn_ent *c, const char *msg);
void diag_received(struct conn_ent *c, const char *msg);
void diag_established(struct conn_ent *c, bool child);
void diag_notify(struct conn_ent *c, uint16_t type, bool sent);
void diag_fail(struct ike_engine *e, struct conn_ent *c, const char *msg,
	       const char *reason);
void diag_fail_notify(struct ike_engine *e, struct conn_ent *c,
		      const char *msg, uint16_t type, bool from_peer);
void diag_mismatch(struct conn_ent *c, const char *ours, const char *theirs);
void diag_esp_list(const struct ike_conn *c, char *buf, size_t len);
void diag_ts_pair(const struct ike_ts *local, const struct ike_ts *remote,
		  char *buf, size_t len);
/* dpd.c */
#define DPD_VID_LEN	16
extern const uint8_t dpd_vid[DPD_VID_LEN];
void dpd_note_vids(struct p1sa *sa, const struct isakmp_msg *m);
void dpd_established(struct ike_engine *e, struct p1sa *sa);
void dpd_heard(struct ike_engine *e, struct conn_ent *c);
void dpd_notify(struct ike_engine *e, struct p1sa *sa,
		const struct isakmp_notify_pl *n);
int64_t dpd_next_ms(struct ike_engine *e);
void dpd_run(struct ike_engine *e, uint64_t now);
/*
 * A conn whose peer is to be probed but has no ISAKMP SA to probe over
 * (the peer deleted it): engine.c negotiates phase 1 for it, IPsec SAs
 * untouched. NULL when none.
 */
struct conn_ent *dpd_p1_due(struct ike_engine *e, uint64_t now);
enum ike_dpd_action dpd_action(const struct ike_conn *c);
const char *dpd_action_name(enum ike_dpd_action a);
void dpd_status(struct ike_engine *e, struct conn_ent *c,
		struct ike_status *st);

/* recover.c */
#define RECOVER_INVALID_SPI_MS	5000
#define RECOVER_NEGOTIATE_MS	10000
void recover_initial_contact(struct ike_engine *e, struct p1sa *sa);
void recover_invalid_spi(struct ike_engine *e, struct p1sa *sa,
			 const struct isakmp_notify_pl *n);
void recover_unknown_spi(struct ike_engine *e,
			 const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote, uint32_t spi);

/* link.c */
void link_update(struct ike_engine *e);
void link_release(struct ike_engine *e, struct conn_ent *c);
/* natt.c (see natt.h for the pure helpers) */
void natt_gen_vids(struct isakmp_gen *g, const struct ike_conn *c);
void natt_mm1_received(struct p1sa *sa, const struct isakmp_msg *m);
void natt_gen_vid_reply(struct isakmp_gen *g, const struct p1sa *sa);
void natt_mm2_received(struct p1sa *sa, const struct isakmp_msg *m);
void natt_gen_natd(struct isakmp_gen *g, const struct p1sa *sa);
void natt_natd_received(struct p1sa *sa, const struct isakmp_msg *m,
			const char *name, const struct sockaddr_storage *from,
			const struct sockaddr_storage *to);
void natt_float(struct p1sa *sa);
void natt_succeed(struct p1sa *sa, const struct p1sa *prev);
void natt_responder_new(struct p1sa *sa);
void natt_follow(struct ike_engine *e, struct p1sa *sa,
		 const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to);
void natt_kernel_moved(struct ike_engine *e, const char *ifname, uint32_t spi,
		       const struct sockaddr_storage *remote, bool encap);
uint16_t natt_qm_mode(const struct p1sa *p1);
void natt_established(struct ike_engine *e, struct p1sa *sa);
int64_t natt_next_ms(struct ike_engine *e);
void natt_run(struct ike_engine *e, uint64_t now);

/* autoforce.c */
uint8_t natt_mode(const struct conn_ent *c);
int64_t autoforce_next_ms(struct ike_engine *e);
void autoforce_run(struct ike_engine *e, uint64_t now);

/* probe.c */
bool probe_input(struct ike_engine *e, const struct isakmp_msg *m,
		 const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to);
int64_t probe_next_ms(struct ike_engine *e);
void probe_run(struct ike_engine *e, uint64_t now);
void probe_free_all(struct ike_engine *e);

/* retry.c */
#define RETRY_FIRST_MS		1000
#define RETRY_MAX_MS		60000
#define ACQUIRE_INTERVAL_MS	1000
bool retry_pair_up(struct ike_engine *e, struct conn_ent *c, int pair);
bool retry_conn_up(struct ike_engine *e, struct conn_ent *c);
bool retry_conn_busy(struct ike_engine *e, struct conn_ent *c);
bool retry_due(struct ike_engine *e, struct conn_ent *c, uint64_t now);
/* The conn names its peer: something we can negotiate towards. */
bool retry_remote_known(const struct conn_ent *c);
bool retry_acquire(struct ike_engine *e, struct conn_ent *c, int pair,
		   uint64_t now);

/* rekey.c */
/*
 * Before a successor moves outbound traffic over (initiator): strongSwan
 * installs its SAs only once QM3 arrives, which took it over a second
 * under load; its old inbound SA stays until our Delete, so waiting
 * costs nothing.
 */
#define REKEY_SWITCH_MS		3000
/*
 * How long a replaced SA pair still takes inbound traffic: well past the
 * initiator's switch, so a peer that is slow to move loses nothing.
 */
#define REKEY_GRACE_MS		6000
/* A rekey that has not replaced its SA yet is tried again this often. */
#define REKEY_RETRY_MS		10000
/* Two ISAKMP SAs of a conn begun this close together were simultaneous. */
#define REKEY_P1_AT_ONCE_MS	10000
/* How long a rekey waits for the peer's Main Mode, and how often it looks. */
#define REKEY_HOLD_MS		3000
#define REKEY_HOLD_POLL_MS	250
/* A Delete sent this long before a new Main Mode reached us may cross it. */
#define REKEY_DELETE_SLACK_MS	2000
/*
 * A Quick Mode that ended this shortly before a new ISAKMP SA began may
 * have met the peer's old one already being given up (its QM3 ignored).
 */
#define REKEY_P1_RACE_MS	1000
uint64_t rekey_delay_ms(uint32_t life_secs, uint32_t margin_secs,
			uint32_t fuzz_pct, uint32_t rnd);
void rekey_qm_started(struct ike_engine *e, struct p2sa *ch);
struct p2sa *rekey_out_deferred(struct ike_engine *e, struct p2sa *ch);
void rekey_established(struct ike_engine *e, struct p2sa *ch);
void rekey_peer_deletes(struct ike_engine *e, struct p2sa *ch);
void rekey_p1_established(struct ike_engine *e, struct p1sa *sa);
struct p2sa *rekey_child_due(struct ike_engine *e, uint64_t now);
struct p1sa *rekey_p1_due(struct ike_engine *e, uint64_t now);
void rekey_soft_expire(struct ike_engine *e, const char *ifname,
		       uint32_t spi);
void rekey_run(struct ike_engine *e, uint64_t now);
int64_t rekey_next_ms(struct ike_engine *e);
int64_t rekey_child_left_ms(struct ike_engine *e, struct conn_ent *c);
int64_t rekey_p1_left_ms(struct ike_engine *e, struct conn_ent *c);

/* timer.c */
int64_t timer_next_ms(struct ike_engine *e);
struct conn_ent *timer_run(struct ike_engine *e, uint64_t now);

/* phase1.c */
void p1_build_sa(const struct ike_conn *c, struct isakmp_sa *sa);
int p1_select(struct p1sa *sa, const struct isakmp_sa *offer,
	      struct isakmp_sa *chosen);
int p1_accept_reply(struct p1sa *sa, const struct isakmp_sa *reply);
int p1_make_ke_nonce(struct ike_engine *e, struct p1sa *sa);
int p1_derive(struct p1sa *sa, const uint8_t *peer_ke, size_t len);
void p1_own_id(const struct p1sa *sa, uint8_t *body, size_t *len);
bool p1_check_peer_id(const struct p1sa *sa, const struct isakmp_id *id);
const char *p1_msg_name(const struct p1sa *sa, int n);
const char *p1_id_show(const struct isakmp_id *id, char *buf, size_t len);
bool p1_not_first(struct ike_engine *e, const struct isakmp_msg *m,
		  const struct sockaddr_storage *from, const char *a,
		  const char *name);
void p1_hdr(const struct p1sa *sa, struct isakmp_hdr *h);
void p1_send(struct ike_engine *e, struct p1sa *sa, const uint8_t *buf,
	     size_t len, const char *name, bool expect_reply);
int p1_keep_sai(struct p1sa *sa, const uint8_t *body, size_t len);
size_t p1_first_body_len(const uint8_t *msg);
bool p1_make_room(struct ike_engine *e, const struct sockaddr_storage *from,
		  const char *a, const char *name);
int p1_choose(struct ike_engine *e, struct p1sa *sa,
	      const struct isakmp_payload *p, struct isakmp_sa *chosen);
int p1_take_reply(struct p1sa *sa, const struct isakmp_msg *m);
int p1_take_ke_nonce(struct p1sa *sa, const struct isakmp_msg *m,
		     const char *name);
int p1_auth_hash(const struct p1sa *sa, bool own, const uint8_t *id,
		 size_t id_len, uint8_t *out);
size_t p1_auth_hash_len(const struct p1sa *sa);
int p1_authenticate(struct ike_dispatch *d, const uint8_t *id_b,
		    size_t id_len, const char *name);
void p1_gen_ke_nonce(const struct p1sa *sa, struct isakmp_gen *g);
void p1_gen_id(const struct p1sa *sa, struct isakmp_gen *g);
int p1_gen_hash(const struct p1sa *sa, struct isakmp_gen *g);
int p1_gen_id_hash(const struct p1sa *sa, struct isakmp_gen *g);
void p1_gen_initial_contact(struct ike_engine *e, struct p1sa *sa,
			    struct isakmp_gen *g);
size_t p1_build_auth(struct ike_engine *e, struct p1sa *sa, bool with_id,
		     uint8_t *buf, size_t cap);
void p1_note_notifies(struct ike_engine *e, struct p1sa *sa,
		      const struct isakmp_msg *m, const char *name);
void p1_established(struct ike_engine *e, struct p1sa *sa);

/* cert.c: RSA signature authentication with X.509 certificates. */
int cert_conn_load(struct conn_ent *c);
void cert_conn_free(struct conn_ent *c);
bool cert_own_id(const struct p1sa *sa, uint8_t *type, const uint8_t **data,
		 size_t *len);
void cert_gen_cr(const struct p1sa *sa, struct isakmp_gen *g);
int cert_gen_auth(const struct p1sa *sa, struct isakmp_gen *g);
int cert_check_auth(struct ike_dispatch *d, const uint8_t *id_b,
		    size_t id_len, const char *name);

/* notify.c */
void notify_send(struct ike_engine *e, struct p1sa *sa, uint8_t proto,
		 const uint8_t *spi, uint8_t spi_size, uint16_t type,
		 const void *data, size_t len);
void notify_send_plain(struct ike_engine *e,
		       const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote,
		       const uint8_t icookie[8], const uint8_t rcookie[8],
		       uint16_t type);
void notify_delete_child(struct ike_engine *e, struct p2sa *c);
void notify_deletes_again(struct ike_engine *e, struct p1sa *sa,
			  uint64_t since);
void notify_delete_p1(struct ike_engine *e, struct p1sa *sa);

/* ts.c */
void ts_to_id(const struct ike_ts *ts, uint8_t *type, uint8_t *data,
	      size_t *len);
int ts_from_id(const struct isakmp_id *id, struct ike_ts *ts);
/* A range as a selector (a prefix when it is one); -1 if last < first. */
int ts_from_range(int family, const uint8_t *first, const uint8_t *last,
		  struct ike_ts *ts);
bool ts_equal(const struct ike_ts *a, const struct ike_ts *b);
bool ts_contains(const struct ike_ts *net, const struct ike_ts *sub);

/* child.c */
int child_install(struct ike_engine *e, struct p2sa *ch, enum ike_sa_dir dir);

/* sa.c */
struct p1sa *sa_p1_new(struct ike_engine *e, struct conn_ent *c,
		       bool initiator);
struct p1sa *sa_p1_find(struct ike_engine *e, const uint8_t icookie[8],
			const uint8_t rcookie[8]);
struct p1sa *sa_p1_established(struct ike_engine *e, struct conn_ent *c);
void sa_p1_free(struct ike_engine *e, struct p1sa *sa);
int sa_p1_half_open(struct ike_engine *e, const struct sockaddr_storage *peer,
		    int *total);
struct p2sa *sa_p2_new(struct ike_engine *e, struct p1sa *p1, bool initiator,
		       uint32_t msgid);
struct p2sa *sa_p2_find(struct ike_engine *e, struct p1sa *p1, uint32_t msgid);
struct p2sa *sa_p2_by_spi_out(struct ike_engine *e, uint32_t spi);
void sa_p2_free(struct ike_engine *e, struct p2sa *c);

/* conn.c (besides the public parsers in conn.h) */
struct conn_ent *conn_find(struct ike_engine *e, const char *name);
struct conn_ent *conn_by_addr(struct ike_engine *e,
			      const struct sockaddr_storage *local,
			      const struct sockaddr_storage *remote);
void conn_id_or_addr(const struct ike_id *id,
		     const struct sockaddr_storage *ss,
		     uint8_t *type, const uint8_t **data, size_t *len);
struct conn_ent *conn_by_id(struct ike_engine *e,
			    const struct sockaddr_storage *local,
			    const struct sockaddr_storage *remote,
			    const struct isakmp_id *id);
bool conn_addr_equal(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b, bool port);
int conn_add(struct ike_engine *e, const struct ike_conn *conn);
int conn_pair_of(const struct conn_ent *c, const struct ike_ts *local,
		 const struct ike_ts *remote);
/* The first pair whose selectors hold local and remote, or -1. */
int conn_pair_within(const struct conn_ent *c, const struct ike_ts *local,
		     const struct ike_ts *remote);
/* The first pair that lies inside local and remote, or -1. */
int conn_pair_inside(const struct conn_ent *c, const struct ike_ts *local,
		     const struct ike_ts *remote);
/* Whether an IPsec SA pair of these selectors serves the conn's pair. */
bool conn_pair_carried(const struct conn_ent *c, int pair,
		       const struct ike_ts *local, const struct ike_ts *remote);
#define CONN_ALL_PAIRS(c)	((uint32_t)((1ull << (c)->n_pairs) - 1))
void conn_free(struct ike_engine *e, struct conn_ent *c);

/* msg.c */
const char *msg_ck(const struct p1sa *sa);
bool msg_cookie_is_zero(const uint8_t cookie[8]);
void msg_new_cookie(struct ike_engine *e, uint8_t cookie[8]);
void msg_send(struct ike_engine *e, struct p1sa *sa,
	      const struct sockaddr_storage *from,
	      const struct sockaddr_storage *to, struct rexmit *rx,
	      const uint8_t *buf, size_t len, const char *name,
	      bool expect_reply, uint32_t first_ms, uint32_t tries);
void msg_resend(struct ike_engine *e, struct p1sa *sa,
		const struct sockaddr_storage *from,
		const struct sockaddr_storage *to, struct rexmit *rx);
size_t msg_encrypt(struct p1sa *sa, uint8_t *buf, size_t len, size_t cap,
		   uint32_t msgid);
/* A Message ID not used yet under sa, now recorded; 0 when none is left. */
uint32_t msg_new_msgid(struct ike_engine *e, struct p1sa *sa);
/*
 * A message of exchange exch under msgid protected by HASH(1) (RFC 2409
 * 5.7, mode-cfg 3.3): HASH, then what body() generates, HASH =
 * prf(SKEYID_a, M-ID | the rest), encrypted with msgid's IV, into buf.
 * Its length, or 0.
 */
size_t msg_build_hash1(struct p1sa *sa, uint8_t exch, uint32_t msgid,
		       void (*body)(struct isakmp_gen *g, const void *arg),
		       const void *arg, uint8_t *buf, size_t cap);
int msg_decrypt(struct p1sa *sa, const uint8_t *buf, size_t len,
		uint8_t *plain, struct isakmp_msg *m);

/* env.c */
uint64_t env_now(struct ike_engine *e);
void env_random(struct ike_engine *e, void *buf, size_t len);
void env_rng(void *ctx, void *buf, size_t len);

#endif
