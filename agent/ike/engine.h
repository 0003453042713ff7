/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IKEv1 engine. It owns every ISAKMP and IPsec SA negotiation and
 * reaches the outside world only through struct ike_env, so the daemon
 * wires sockets, clock and the esptun genetlink backend, and tests wire
 * two engines back to back with a fake clock and a mock kernel.
 *
 * Single-threaded: every entry point runs on the caller's loop. Timers
 * are kept inside the engine; the loop asks ike_engine_next_timeout_ms()
 * how long it may sleep and calls ike_engine_run_timers() when it wakes.
 */
#ifndef ESPTUND_IKE_ENGINE_H
#define ESPTUND_IKE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike/conn.h"

struct ike_engine;

enum ike_sa_dir {
	IKE_DIR_IN = 0,
	IKE_DIR_OUT = 1,
};

/* One ESP SA for the kernel, algorithm names as `ip xfrm` takes them. */
struct ike_kernel_sa {
	enum ike_sa_dir dir;
	uint32_t spi;			/* host byte order */
	/* Outer addresses: src sends, dst receives (in: remote -> local). */
	struct sockaddr_storage src;
	struct sockaddr_storage dst;

	/*
	 * AEAD ("rfc4106(gcm(aes))", "rfc7539esp(chacha20,poly1305)"):
	 * enc_key carries key + 4-byte salt, icv_bits is set, auth_alg is "".
	 * Otherwise enc_alg ("cbc(aes)", "cbc(des3_ede)", "ecb(cipher_null)")
	 * plus auth_alg ("hmac(sha1)"...) with auth_trunc_bits.
	 */
	bool aead;
	char enc_alg[48];
	uint8_t enc_key[64];
	uint16_t enc_key_len;		/* bytes */
	uint16_t icv_bits;
	char auth_alg[32];
	uint8_t auth_key[64];
	uint16_t auth_key_len;		/* bytes */
	uint16_t auth_trunc_bits;

	uint32_t replay_window;
	uint64_t soft_secs, hard_secs;	/* 0 = unlimited */
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;

	/* From our point of view regardless of dir. */
	struct ike_ts local_ts;
	struct ike_ts remote_ts;
	/* Which negotiated ESP proposal this is (for status). */
	struct esp_proposal prop;

	/*
	 * ESP in UDP (RFC 3948): sport is our port, dport the peer's, in
	 * either direction, as the module takes them.
	 */
	bool encap;
	uint16_t sport, dport;
};

struct ike_env {
	void *ctx;
	/* One UDP datagram from our address `from` to `to`. 0 or -errno. */
	int (*send)(void *ctx, const struct sockaddr_storage *from,
		    const struct sockaddr_storage *to,
		    const uint8_t *buf, size_t len);
	/* Monotonic milliseconds. */
	uint64_t (*now_ms)(void *ctx);
	/* Allocate an inbound SPI in the kernel for this conn. 0 or -errno. */
	int (*get_spi)(void *ctx, const struct ike_conn *conn, uint32_t *spi);
	int (*add_sa)(void *ctx, const struct ike_conn *conn,
		      const struct ike_kernel_sa *sa);
	int (*del_sa)(void *ctx, const struct ike_conn *conn,
		      enum ike_sa_dir dir, uint32_t spi);
	/* Optional: NULL means gnutls_rnd(GNUTLS_RND_RANDOM). */
	void (*random)(void *ctx, void *buf, size_t len);
	/*
	 * Optional, for DPD: how long ago the inbound SA spi last took a
	 * packet, in ms (UINT64_MAX when never). 0 or -errno.
	 */
	int (*sa_idle)(void *ctx, const struct ike_conn *conn, uint32_t spi,
		       uint64_t *idle_ms);
	/* Optional: the carrier of the conn's device. 0 or -errno. */
	int (*set_carrier)(void *ctx, const struct ike_conn *conn, bool on);
	/*
	 * Optional, NAT traversal. update_sa moves an installed SA (dir,
	 * spi) to the addresses, encapsulation and ports in sa; nothing
	 * else of sa is read. send_keepalive sends one NAT keepalive (a
	 * single 0xff byte, RFC 3948 2.3) from our NAT-T port.
	 */
	int (*update_sa)(void *ctx, const struct ike_conn *conn,
			 const struct ike_kernel_sa *sa);
	int (*send_keepalive)(void *ctx, const struct sockaddr_storage *from,
			      const struct sockaddr_storage *to);
	/*
	 * Optional, for nat-t = auto-force: how long ago SA (dir, spi)
	 * last took a packet, in ms (UINT64_MAX when never). 0 or -errno.
	 */
	int (*sa_used)(void *ctx, const struct ike_conn *conn,
		       enum ike_sa_dir dir, uint32_t spi, uint64_t *idle_ms);
	/*
	 * Optional, Mode Config: put the address the peer assigned (a host
	 * prefix) on the conn's device, or take it off. 0 or -errno.
	 */
	int (*set_addr)(void *ctx, const struct ike_conn *conn,
			const struct ike_ts *addr, bool add);
};

/* Bounds on half-open (not yet authenticated) phase 1 SAs. */
#define IKE_HALF_OPEN_PER_PEER	16
#define IKE_HALF_OPEN_TOTAL	1024

struct ike_engine *ike_engine_new(const struct ike_env *env);
/* Frees everything without sending anything (see ike_engine_shutdown). */
void ike_engine_free(struct ike_engine *eng);

/* The conn is copied. -EEXIST if the name is taken. */
int ike_engine_add_conn(struct ike_engine *eng, const struct ike_conn *conn);
/* Terminates (Deletes sent, kernel SAs removed) then forgets the conn. */
int ike_engine_del_conn(struct ike_engine *eng, const char *name);
/*
 * Reload: conns gone are deleted, new ones added (and initiated when
 * start = initiate), changed ones terminated and re-added, unchanged
 * ones keep their SAs.
 */
int ike_engine_replace_conns(struct ike_engine *eng,
			     const struct ike_conn *conns, int n);

/*
 * Start Main or Aggressive Mode (or Quick Mode on an existing phase 1). A start =
 * initiate conn is kept up from then on: failed negotiations are retried
 * (keyingtries). Undoes ike_engine_terminate()'s hold.
 */
int ike_engine_initiate(struct ike_engine *eng, const char *name);
/*
 * Delete all SAs of the conn, telling the peer, and hold it down: no
 * retries, no negotiation on acquire, until ike_engine_initiate().
 */
int ike_engine_terminate(struct ike_engine *eng, const char *name);
/* SIGTERM: Deletes for everything, kernel SAs removed. */
void ike_engine_shutdown(struct ike_engine *eng);

/* One received UDP datagram (`to` is our address it arrived on). */
void ike_engine_input(struct ike_engine *eng,
		      const struct sockaddr_storage *from,
		      const struct sockaddr_storage *to,
		      const uint8_t *buf, size_t len);

/* Milliseconds until the next timer, or -1 if none. */
int64_t ike_engine_next_timeout_ms(struct ike_engine *eng);
/* Run every timer that is due. */
void ike_engine_run_timers(struct ike_engine *eng);

/*
 * Kernel events. An acquire (a packet into the device ifname without an
 * SA) starts a negotiation for its conn unless one is up or under way,
 * at most once a second per conn. A soft expire (bytes or packets
 * running out) starts rekeying its IPsec SA at once; the others are only
 * logged. Unknown SPIs carry addresses and go to ike_engine_unknown_spi()
 * instead.
 */
enum ike_kernel_event {
	IKE_KEV_ACQUIRE,
	IKE_KEV_SOFT_EXPIRE,
	IKE_KEV_HARD_EXPIRE,
	IKE_KEV_UNKNOWN_SPI,
	IKE_KEV_REMOTE_MOVED,
};
void ike_engine_kernel_event(struct ike_engine *eng,
			     enum ike_kernel_event ev,
			     const char *ifname, uint32_t spi);
/*
 * An acquire that says which packet found no outbound SA (src and dst,
 * host prefixes, our side first; NULL when unknown): a conn with several
 * selector pairs negotiates when the pair covering that packet is down,
 * even while its other pairs are up.
 */
void ike_engine_acquire(struct ike_engine *eng, const char *ifname,
			const struct ike_ts *src, const struct ike_ts *dst);
/*
 * ESP from remote to local for an SPI the kernel does not know. A peer
 * we hold an ISAKMP SA with is told INVALID-SPI; with none (we
 * restarted), the conn is negotiated afresh with INITIAL-CONTACT. Both
 * rate-limited per conn.
 */
void ike_engine_unknown_spi(struct ike_engine *eng,
			    const struct sockaddr_storage *local,
			    const struct sockaddr_storage *remote,
			    uint32_t spi);

/*
 * The module saw authentic ESP for inbound SA spi on ifname from another
 * outer source (a NAT mapping changed): remote is that source, its port
 * the UDP source port when encap. The conn's SAs and its IKE peer move
 * there.
 */
void ike_engine_remote_moved(struct ike_engine *eng, const char *ifname,
			     uint32_t spi,
			     const struct sockaddr_storage *remote,
			     bool encap);

/* Status snapshot, one callback per conn. */
struct ike_status_child {
	uint32_t spi_in, spi_out;	/* host byte order */
	char algs[64];			/* "aes256gcm16-modp2048" */
	struct ike_ts local_ts, remote_ts;
	int64_t lifetime_left;		/* seconds */
	const char *state;		/* "QM_ACTIVE", "QM_WAIT_MSG2"...,
					 * "QM_REPLACED" (rekeyed, going) */
};

/* Room for every selector pair, each with a replaced pair going. */
#define IKE_STATUS_MAX_CHILDREN	(2 * IKE_MAX_TS_PAIRS)

/*
 * What a conn's negotiations went through, for diagnosis (failure.c).
 * The last failure outlives the retries after it, so a conn that keeps
 * failing still tells why while its next attempt runs.
 */
#define IKE_DIAG_MSG		8
/* room for two IPv6 range selectors side by side, "A === B" */
#define IKE_DIAG_TEXT		(2 * IKE_TS_STRLEN + 8)
#define IKE_DIAG_NOTIFIES	8

struct ike_diag_notify {
	uint16_t type;
	uint32_t sent, received;
};

struct ike_diag {
	char sent[IKE_DIAG_MSG];	/* last message sent: "MM5", "QM1" */
	char received[IKE_DIAG_MSG];	/* last message received */
	char fail_msg[IKE_DIAG_MSG];	/* the message the failure concerns */
	char fail[IKE_DIAG_TEXT];	/* "" when nothing failed yet */
	uint64_t fail_ms;		/* engine clock of the failure */
	uint16_t fail_notify;		/* error notify type, 0 = none */
	bool fail_notify_peer;		/* sent by the peer, not by us */
	char ours[IKE_DIAG_TEXT];	/* proposals or selectors, if known */
	char theirs[IKE_DIAG_TEXT];
	uint32_t failures;
	uint32_t mm_started, mm_done, qm_started, qm_done;
	int n_notify;
	struct ike_diag_notify notify[IKE_DIAG_NOTIFIES];
};

struct ike_status {
	const char *conn;
	const char *state;		/* "MM_ACTIVE", "AM_ACTIVE", "NONE"... */
	const char *auth;		/* "psk", "rsa-sig", "ecdsa-sig" */
	bool aggressive;		/* Aggressive Mode (else Main Mode) */
	bool initiator;
	uint8_t icookie[8], rcookie[8];
	struct sockaddr_storage local, peer;
	char algs[64];			/* "aes256-sha256-modp2048" */
	int64_t lifetime_left;		/* seconds, -1 when not established */
	/*
	 * NAT traversal: the version agreed ("" when none), where NAT-D
	 * found a NAT, whether we fake one (nat-t = force), and the UDP
	 * ports of ESP in UDP (encap; local is ours, remote the peer's).
	 */
	const char *natt;
	bool nat_local, nat_remote, nat_forced;
	bool encap;
	uint16_t encap_local_port, encap_remote_port;
	int n_children;
	struct ike_status_child children[IKE_STATUS_MAX_CHILDREN];
	const struct ike_diag *diag;	/* NULL: not recorded */
	int64_t fail_age;		/* seconds since diag->fail, or -1 */

	/* Dead Peer Detection; dpd NULL leaves it out of the status. */
	const char *dpd;		/* "off", "idle", "probing", "dead",
					 * "unsupported" (peer has no DPD) */
	const char *dpd_action;		/* "clear", "restart", "hold" */
	uint32_t dpd_delay, dpd_timeout;	/* seconds */
	int64_t dpd_last_ack;		/* seconds ago, -1 never */
	uint32_t dpd_ack_seq;
	uint32_t dpd_probes;		/* unanswered R-U-THEREs */

	/* Mode Config: the address the peer assigned (has_vip). */
	bool has_vip;
	struct ike_ts vip;

	/* Rekeying: done so far, and seconds to the next (-1: none due). */
	uint32_t rekeys, ike_rekeys;
	int64_t next_rekey, ike_next_rekey;
};

void ike_engine_status(struct ike_engine *eng,
		       void (*cb)(void *arg, const struct ike_status *st),
		       void *arg);

/*
 * The phase 1 encryption key of each keyed ISAKMP SA of a conn, for the
 * key table of a packet analyser (esptun ike keys). Only the control
 * socket, root's alone, ever asks. Returns how many, or -ENOENT.
 */
struct ike_sa_keys {
	uint8_t icookie[8], rcookie[8];
	const uint8_t *enc_key;
	size_t enc_key_len;
	const char *state;
};

int ike_engine_keys(struct ike_engine *eng, const char *name,
		    void (*cb)(void *arg, const struct ike_sa_keys *k),
		    void *arg);

/*
 * esptun probe: is UDP 500 and UDP 4500 to the conn's peer answered?
 * One MM1 per port with fresh cookies and the conn's own proposals (on
 * 4500 behind the non-ESP marker); any ISAKMP reply carrying that
 * initiator cookie (MM2, or a notify like NO-PROPOSAL-CHOSEN) proves
 * the path both ways. Sent again once after IKE_PROBE_REXMIT_MS, given
 * up after IKE_PROBE_TIMEOUT_MS. Our side keeps no phase 1 SA for it, so
 * a real negotiation is never touched; the peer's half-open SA times out
 * on its own (probe.c).
 */
#define IKE_PROBE_REXMIT_MS	1000
#define IKE_PROBE_TIMEOUT_MS	3000

enum ike_probe_state {
	IKE_PROBE_PENDING = 0,
	IKE_PROBE_OK,
	IKE_PROBE_NO_ANSWER,
	IKE_PROBE_SEND_FAILED,
};

struct ike_probe_path {
	enum ike_probe_state state;
	uint16_t port;			/* the peer's port probed */
	uint32_t rtt_ms;		/* from the first send, when OK */
	uint8_t sent;			/* copies sent */
	char answer[40];		/* "MM2", "NO-PROPOSAL-CHOSEN" */
};

struct ike_probe_result {
	bool running;
	struct ike_probe_path udp500, udp4500;
	struct sockaddr_storage peer;	/* port 500 */
	/* The conn's active IPsec SA pair, for the ESP check: none if !child. */
	bool child;
	uint32_t spi_in, spi_out;	/* host byte order */
	bool encap;			/* ESP in UDP already */
	char ifname[16];
	uint8_t natt;			/* enum ike_natt_mode of the conn */
};

/* Starts (or restarts) a probe of conn name. 0 or -ENOENT. */
int ike_engine_probe(struct ike_engine *eng, const char *name);
/* The last probe of conn name. 0, -ENOENT (no conn) or -ESRCH (none). */
int ike_engine_probe_result(struct ike_engine *eng, const char *name,
			    struct ike_probe_result *r);

#endif
