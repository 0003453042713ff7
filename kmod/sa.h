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
#include <linux/workqueue.h>

#include "device.h"
#include "datapath.h"

/* esptun_sel's prefix length of a side set as a range. */
#define ESPTUN_SEL_RANGE	0xff

/**
 * struct esptun_sel - traffic selector
 * @family: AF_INET, AF_INET6, or 0 for any family (then no addresses)
 * @src: first inner source address
 * @src_end: last inner source address
 * @dst: first inner destination address
 * @dst_end: last inner destination address
 * @src_plen: source prefix length, or ESPTUN_SEL_RANGE when set as a range
 * @dst_plen: destination prefix length, or ESPTUN_SEL_RANGE
 * @proto: IP protocol, 0 = any
 * @sport: source port, network order, 0 = any
 * @dport: destination port, network order, 0 = any
 *
 * A prefix is kept as the range it spans, so the match is one range
 * compare per side whichever form was set; the prefix length only tells
 * a dump which form to give back.
 */
struct esptun_sel {
	u16 family;
	union esptun_inaddr src;
	union esptun_inaddr src_end;
	union esptun_inaddr dst;
	union esptun_inaddr dst_end;
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
 * struct esptun_sa_key - inbound lookup key
 * @spi: SPI, network order
 * @family: AF_INET or AF_INET6
 * @pad: zero, so the key compares as bytes
 * @addr: local (destination) address, zero-padded for IPv4
 */
struct esptun_sa_key {
	__be32 spi;
	u16 family;
	u16 pad;
	union esptun_inaddr addr;
};

/* Bits of esptun_sa.flags. */
enum {
	ESPTUN_SA_F_DEAD,	/* unlinked from every table */
	ESPTUN_SA_F_DP,		/* esptun_dp_sa_init() succeeded */
	ESPTUN_SA_F_USED,	/* first use recorded */
	ESPTUN_SA_F_SOFT,	/* soft expiry reported */
	ESPTUN_SA_F_HARD,	/* hard expiry reported; the SA carries nothing */
};

/**
 * struct esptun_sa - one security association (or an SPI reservation)
 * @hnode: entry in esptun_net.sa_hash (inbound SAs and reservations)
 * @key: inbound lookup key
 * @dev_node: entry in esptun_dev.sa_in or .sa_out
 * @kill_node: private list of a writer that unlinks several SAs at once
 * @ref: references: the tables hold one, packets in flight one each
 * @ed: owning device; valid for the SA's whole life (@dev_tracker holds it)
 * @dev_tracker: reference on ed->dev
 * @dir: ESPTUN_DIR_IN or ESPTUN_DIR_OUT
 * @spi: SPI, network order
 * @state: enum esptun_sa_state; READ_ONCE on the packet path
 * @flags: ESPTUN_SA_F_* bits
 * @expire_reason: enum esptun_expire_reason of a pending hard expiry
 * @ep_lock: writers of @ep hold it; readers copy @ep with
 *	esptun_sa_endpoint(), which retries a copy torn by a writer
 * @ep: outer addresses and encapsulation of this SA; SA_UPDATE changes
 *	the remote address and encapsulation
 * @sel: traffic selector
 * @lt: lifetime limits (replaced as a whole by SA_UPDATE under sa_lock)
 * @lt_bytes: inner bytes counted against byte limits
 * @lt_packets: packets counted against packet limits
 * @enc_alg: ESPTUN_SA_A_ENC_ALG as configured (for dumps)
 * @auth_alg: ESPTUN_SA_A_AUTH_ALG as configured, empty for AEADs
 * @icv_bits: ICV/truncation length in bits
 * @replay_window: inbound replay window in packets
 * @esn: extended sequence numbers
 * @dp: data-path state: crypto, sequence numbers, replay, route cache
 * @pcpu: traffic counters
 * @errors: drop counters indexed by enum esptun_stat
 * @add_time: ktime_get_real_seconds() at add
 * @first_use: same clock, 0 until the first packet
 * @last_use: same clock, 0 until the first packet
 * @add_boot: ktime_get_boottime_ns() at add, for add-time limits
 * @first_use_boot: same clock at first use, for use-time limits
 * @moved_next: jiffies before which no further remote-moved event is sent
 * @reserve_until: jiffies; end of an SPI reservation
 * @lt_work: time limits and reservation timeout
 * @expire_work: hard expiry from atomic context runs here
 * @free_work: final free, in process context after an RCU grace period
 */
struct esptun_sa {
	struct rhash_head hnode;
	struct esptun_sa_key key;
	struct list_head dev_node;
	struct list_head kill_node;
	struct kref ref;
	struct esptun_dev *ed;
	netdevice_tracker dev_tracker;
	u8 dir;
	__be32 spi;
	u8 state;
	unsigned long flags;
	u8 expire_reason;
	seqlock_t ep_lock;
	struct esptun_endpoint ep;
	struct esptun_sel sel;
	struct esptun_lifetime lt;
	atomic64_t lt_bytes;
	atomic64_t lt_packets;
	char enc_alg[ESPTUN_ALG_NAME_MAX];
	char auth_alg[ESPTUN_ALG_NAME_MAX];
	u32 icv_bits;
	u32 replay_window;
	bool esn;
	struct esptun_sa_dp dp;
	struct esptun_sa_pcpu __percpu *pcpu;
	atomic64_t errors[__ESPTUN_STAT_MAX];
	u64 add_time;
	u64 first_use;
	u64 last_use;
	u64 add_boot;
	u64 first_use_boot;
	unsigned long moved_next;
	unsigned long reserve_until;
	struct delayed_work lt_work;
	struct work_struct expire_work;
	struct rcu_work free_work;
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

/**
 * esptun_sa_endpoint - a consistent copy of an SA's endpoints
 * @sa: the SA
 * @ep: filled with the copy
 *
 * An IPv6 address cannot be read in one access; a copy that raced with
 * SA_UPDATE is taken again.
 * Context: any.
 * Return: the sequence the copy belongs to (see esptun_route_out()).
 */
static inline unsigned int esptun_sa_endpoint(struct esptun_sa *sa,
					      struct esptun_endpoint *ep)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&sa->ep_lock);
		*ep = sa->ep;
	} while (read_seqretry(&sa->ep_lock, seq));
	return seq;
}

static inline void esptun_sa_stat_inc(struct esptun_sa *sa,
				      enum esptun_stat which)
{
	atomic64_inc(&sa->errors[which]);
}

/* Count one packet of @bytes inner bytes; checks byte/packet lifetimes:
 * false when the packet takes the SA past a hard limit.
 */
bool esptun_sa_account(struct esptun_sa *sa, unsigned int bytes);
/* Stop the SA from the packet path (e.g. sequence numbers exhausted). */
void esptun_sa_hard_expire(struct esptun_sa *sa, u8 reason);
/* Does the inner packet match the selector? The selector is always
 * (src, dst) of the inner packet as it travels, in both directions.
 */
bool esptun_sel_match(const struct esptun_sel *sel, const struct sk_buff *skb);

/* Control plane (sa.c), process context unless said otherwise. */
struct esptun_sa *esptun_sa_alloc(struct esptun_dev *ed, u8 dir, __be32 spi,
				  const struct esptun_endpoint *ep);
void esptun_sa_config(struct esptun_sa *sa, const struct esptun_sa_cfg *cfg);
void esptun_sa_start(struct esptun_sa *sa);
void esptun_sa_set_lifetime(struct esptun_sa *sa,
			    const struct esptun_lifetime *lt);
u8 esptun_sa_state(const struct esptun_sa *sa);
void esptun_sa_traffic(const struct esptun_sa *sa, u64 *packets, u64 *bytes);
bool esptun_queue_work(struct work_struct *work);
int esptun_sa_init(void);
void esptun_sa_drain(void);
void esptun_sa_exit(void);

#endif /* _ESPTUN_SA_H */
