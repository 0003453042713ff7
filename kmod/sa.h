/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun security associations: object, configuration, lifetime and
 * counters. The table that finds them is sa_table.h; what the data path
 * keeps per SA (crypto, replay, route cache) is datapath.h.
 */
#ifndef _ESPTUN_SA_H
#define _ESPTUN_SA_H

#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/u64_stats_sync.h>
#include <linux/skbuff.h>

#include "device.h"
#include "datapath.h"

/**
 * struct esptun_sel - traffic selector
 * @family: AF_INET, AF_INET6, or 0 for any family (then no prefixes)
 * @src: inner source prefix
 * @dst: inner destination prefix
 * @src_plen: source prefix length
 * @dst_plen: destination prefix length
 * @proto: IP protocol, 0 = any
 * @sport: source port, network order, 0 = any
 * @dport: destination port, network order, 0 = any
 */
struct esptun_sel {
	u16 family;
	union esptun_inaddr src;
	union esptun_inaddr dst;
	u8 src_plen;
	u8 dst_plen;
	u8 proto;
	__be16 sport;
	__be16 dport;
};

/**
 * struct esptun_lifetime - limits; 0 = none
 * @soft_bytes: inner bytes before soft expiry
 * @soft_packets: packets before soft expiry
 * @soft_add: seconds after add before soft expiry
 * @soft_use: seconds after first use before soft expiry
 * @hard_bytes: inner bytes before hard expiry
 * @hard_packets: packets before hard expiry
 * @hard_add: seconds after add before hard expiry
 * @hard_use: seconds after first use before hard expiry
 */
struct esptun_lifetime {
	u64 soft_bytes;
	u64 soft_packets;
	u64 soft_add;
	u64 soft_use;
	u64 hard_bytes;
	u64 hard_packets;
	u64 hard_add;
	u64 hard_use;
};

/**
 * struct esptun_sa_cfg - an SA as requested over netlink, validated for form
 * @dir: ESPTUN_DIR_IN or ESPTUN_DIR_OUT
 * @spi: SPI, network order
 * @ep: outer addresses and encapsulation (device defaults filled in)
 * @enc_alg: ESPTUN_SA_A_ENC_ALG
 * @enc_key: encryption key (AEAD: with salt at the end)
 * @enc_keylen: bytes in @enc_key
 * @auth_alg: ESPTUN_SA_A_AUTH_ALG, empty for AEADs
 * @auth_key: authentication key
 * @auth_keylen: bytes in @auth_key
 * @icv_bits: ICV or truncation length in bits
 * @replay_window: packets, 0 disables
 * @esn: extended sequence numbers
 * @seq: inbound: highest sequence number seen
 * @oseq: outbound: last sequence number sent
 * @lt: lifetime limits
 * @sel: traffic selector
 */
struct esptun_sa_cfg {
	u8 dir;
	__be32 spi;
	struct esptun_endpoint ep;
	char enc_alg[ESPTUN_ALG_NAME_MAX];
	u8 enc_key[ESPTUN_KEY_MAX];
	unsigned int enc_keylen;
	char auth_alg[ESPTUN_ALG_NAME_MAX];
	u8 auth_key[ESPTUN_KEY_MAX];
	unsigned int auth_keylen;
	u32 icv_bits;
	u32 replay_window;
	bool esn;
	u64 seq;
	u64 oseq;
	struct esptun_lifetime lt;
	struct esptun_sel sel;
};

/**
 * struct esptun_sa_pcpu - per-CPU traffic counters
 * @packets: packets
 * @bytes: inner bytes
 * @syncp: 64-bit read consistency on 32-bit
 */
struct esptun_sa_pcpu {
	u64_stats_t packets;
	u64_stats_t bytes;
	struct u64_stats_sync syncp;
};

/**
 * struct esptun_sa - one security association
 * @hnode: entry in esptun_net.sa_hash (inbound SAs and reservations)
 * @dev_node: entry in esptun_dev.sa_in or .sa_out
 * @rcu: deferred free
 * @ref: references: the tables hold one, packets in flight one each
 * @ed: owning device; valid while the SA is linked (SAs are removed
 *	before the device goes away)
 * @dir: ESPTUN_DIR_IN or ESPTUN_DIR_OUT
 * @spi: SPI, network order
 * @state: enum esptun_sa_state
 * @ep: outer addresses and encapsulation of this SA; under ed->lock for
 *	writers, read locklessly on the packet path (READ_ONCE per field)
 * @sel: traffic selector
 * @lt: lifetime limits (replaced as a whole by SA_UPDATE under ed->lock)
 * @dp: data-path state: crypto, sequence numbers, replay, route cache
 * @pcpu: traffic counters
 * @errors: drop counters indexed by enum esptun_stat
 * @add_time: ktime_get_real_seconds() at add
 * @first_use: same clock, 0 until the first packet
 * @last_use: same clock, 0 until the first packet
 * @soft_fired: a soft-expire event was sent
 * @expire_work: hard expiry from atomic context runs here
 * @reserve_until: jiffies; for ESPTUN_SA_STATE_RESERVED
 */
struct esptun_sa {
	struct rhash_head hnode;
	struct list_head dev_node;
	struct rcu_head rcu;
	struct kref ref;
	struct esptun_dev *ed;
	u8 dir;
	__be32 spi;
	u8 state;
	struct esptun_endpoint ep;
	struct esptun_sel sel;
	struct esptun_lifetime lt;
	struct esptun_sa_dp dp;
	struct esptun_sa_pcpu __percpu *pcpu;
	atomic64_t errors[__ESPTUN_STAT_MAX];
	u64 add_time;
	u64 first_use;
	u64 last_use;
	bool soft_fired;
	struct work_struct expire_work;
	unsigned long reserve_until;
};

/**
 * esptun_sa_get - take a reference, unless the SA is already dying
 * @sa: the SA, found under rcu_read_lock()
 *
 * Return: true if a reference was taken.
 */
static inline bool esptun_sa_get(struct esptun_sa *sa)
{
	return kref_get_unless_zero(&sa->ref);
}

void esptun_sa_put(struct esptun_sa *sa);

static inline void esptun_sa_stat_inc(struct esptun_sa *sa,
				      enum esptun_stat which)
{
	atomic64_inc(&sa->errors[which]);
}

/* Count one packet of @bytes inner bytes; checks byte/packet lifetimes. */
void esptun_sa_account(struct esptun_sa *sa, unsigned int bytes);
/* Stop the SA from the packet path (e.g. sequence numbers exhausted). */
void esptun_sa_hard_expire(struct esptun_sa *sa, u8 reason);
/* Does the inner packet match the selector? @inbound swaps nothing: the
 * selector is always (src, dst) of the packet as seen on the wire inside.
 */
bool esptun_sel_match(const struct esptun_sel *sel, const struct sk_buff *skb);

#endif /* _ESPTUN_SA_H */
