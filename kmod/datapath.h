/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boundary between the control plane (device, netlink, SA objects)
 * and the ESP data path (crypto, sequence numbers, replay, output, input).
 */
#ifndef _ESPTUN_DATAPATH_H
#define _ESPTUN_DATAPATH_H

#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/atomic.h>
#include <net/dst_cache.h>
#include <crypto/aead.h>

struct esptun_sa;
struct esptun_sa_cfg;
struct esptun_replay;
struct netlink_ext_ack;

/**
 * struct esptun_sa_dp - per-SA data-path state
 * @aead: transform: an AEAD, or authenc()/authencesn() around cipher+HMAC
 * @enc_alg: algorithm name as configured (for dumps)
 * @auth_alg: HMAC name as configured, empty for AEADs
 * @icv_bits: ICV/truncation length in bits
 * @ivlen: IV bytes on the wire
 * @icvlen: ICV bytes on the wire
 * @blocksize: padding alignment of the cipher (at least 4)
 * @iv_from_seq: the IV is the 64-bit sequence number (counter-mode AEADs)
 * @esn: extended sequence numbers
 * @oseq: outbound: last sequence number used
 * @replay_lock: protects @replay
 * @replay: inbound anti-replay state
 * @replay_window: window size in packets
 * @dst_cache: outbound: route to the outer destination
 * @cb_cpu: parallel crypto: where completions run in order (parallel.c);
 *	-1: requests run in the context that sends or receives
 * @par_shell: parallel crypto: the shell ordering the SA's requests
 */
struct esptun_sa_dp {
	struct crypto_aead *aead;
	char enc_alg[64];
	char auth_alg[64];
	u32 icv_bits;
	u8 ivlen;
	u8 icvlen;
	u8 blocksize;
	bool iv_from_seq;
	bool esn;
	atomic64_t oseq;
	spinlock_t replay_lock; /* see @replay_lock above */
	struct esptun_replay *replay;
	u32 replay_window;
	struct dst_cache dst_cache;
	int cb_cpu;
	u8 par_shell;
};

/* Per-SA data-path state: set up, released, read for dumps (esp.c). */
int esptun_dp_sa_init(struct esptun_sa *sa, const struct esptun_sa_cfg *cfg,
		      struct netlink_ext_ack *extack);
void esptun_dp_sa_free(struct esptun_sa *sa);
u64 esptun_dp_seq(struct esptun_sa *sa);

/* Forget an outbound SA's cached route (its endpoints changed). */
void esptun_route_reset(struct esptun_sa *sa);

/* ndo_start_xmit of esptun devices. */
netdev_tx_t esptun_xmit(struct sk_buff *skb, struct net_device *dev);

/* ESP input hooks (xfrm4/xfrm6 protocol handlers). */
int esptun_proto_init(void);
void esptun_proto_exit(void);

/* Largest per-packet overhead, to size MTU and headroom. */
#define ESPTUN_MAX_OVERHEAD	(40 + 8 + 8 + 16 + 17 + 32)

#endif /* _ESPTUN_DATAPATH_H */
