/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun device and per-namespace state.
 */
#ifndef _ESPTUN_DEVICE_H
#define _ESPTUN_DEVICE_H

#include <linux/netdevice.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/atomic.h>
#include <linux/workqueue.h>
#include <net/gro_cells.h>
#include <net/netns/generic.h>
#include <uapi/linux/in6.h>
#include <net/ipv6.h>

#include "../uapi/esptun.h"

/**
 * union esptun_inaddr - an IPv4 or IPv6 address, network order
 * @v4: IPv4 address
 * @v6: IPv6 address
 */
union esptun_inaddr {
	__be32 v4;
	struct in6_addr v6;
};

static inline bool esptun_addr_equal(u16 family, const union esptun_inaddr *a,
				     const union esptun_inaddr *b)
{
	if (family == AF_INET)
		return a->v4 == b->v4;
	return ipv6_addr_equal(&a->v6, &b->v6);
}

static inline bool esptun_addr_any(u16 family, const union esptun_inaddr *a)
{
	if (family == AF_INET)
		return !a->v4;
	return ipv6_addr_any(&a->v6);
}

/**
 * struct esptun_endpoint - outer addresses and encapsulation
 * @family: AF_INET, AF_INET6, or 0 while unset
 * @local: outer source address
 * @remote: outer destination address
 * @encap: enum esptun_encap
 * @sport: UDP source port (network order), with ESPTUN_ENCAP_UDP
 * @dport: UDP destination port (network order), with ESPTUN_ENCAP_UDP
 */
struct esptun_endpoint {
	u16 family;
	union esptun_inaddr local;
	union esptun_inaddr remote;
	u8 encap;
	__be16 sport;
	__be16 dport;
};

/**
 * struct esptun_dev - private data of an esptun net_device
 * @dev: the net_device
 * @net: namespace the device lives in (== dev_net(dev) while NETNS_LOCAL)
 * @node: entry in esptun_net.devs; RTNL for writers, RCU for dumps
 * @ep: endpoints: the defaults for new SAs; under @lock
 * @lock: protects @ep
 * @sa_out: outbound SAs, newest first; esptun_net.sa_lock for writers,
 *	RCU for readers (xmit, dumps)
 * @sa_in: inbound SAs and SPI reservations of this device, newest first;
 *	same locking (the packet path looks inbound SAs up per namespace)
 * @sa_count: entries on both lists, under esptun_net.sa_lock
 * @dead: set under esptun_net.sa_lock when the device is being
 *	unregistered: no SA may be linked to it any more
 * @gro_cells: receive path after decryption
 * @acquire_next: jiffies before which no further acquire event is sent
 * @carrier: carrier wanted while the device is up (DEV_SET); under RTNL
 * @mss_clamp: TCP MSS clamp: 0 off, ESPTUN_MSS_CLAMP_AUTO, or the MSS;
 *	READ_ONCE on the packet path
 * @mtu_auto: the MTU follows the newest outbound SA (mtu.c); written
 *	under RTNL, READ_ONCE on the packet path
 * @parallel: SAs added from now on run their crypto on padata's
 *	workers (parallel.c); READ_ONCE when an SA is set up
 * @mtu_pmtu: outer path MTU the automatic MTU was last computed from
 * @mtu_work: recomputes the automatic MTU when the path MTU changed
 * @stats: device-level drop causes, indexed by enum esptun_stat
 */
struct esptun_dev {
	struct net_device *dev;
	struct net *net;
	struct list_head node;
	struct esptun_endpoint ep;
	spinlock_t lock;	/* protects ep */
	struct list_head sa_out;
	struct list_head sa_in;
	unsigned int sa_count;
	bool dead;
	struct gro_cells gro_cells;
	unsigned long acquire_next;
	bool carrier;
	u16 mss_clamp;
	bool mtu_auto;
	bool parallel;
	unsigned int mtu_pmtu;
	struct work_struct mtu_work;
	atomic64_t stats[__ESPTUN_STAT_MAX];
};

/**
 * struct esptun_net - per-namespace state
 * @devs: esptun devices of this namespace; RTNL for writers, RCU readers
 * @sa_lock: serialises every change of SA membership in this namespace:
 *	@sa_hash and the per-device SA lists
 * @sa_hash: inbound SAs and SPI reservations by (SPI, family, local addr);
 *	RCU readers
 * @gen: bumped on every SA table change, so dumps can flag interruption
 * @unknown_spi: packets for SPIs nobody knows
 * @unknown_spi_next: jiffies before which no further unknown-spi event goes
 */
struct esptun_net {
	struct list_head devs;
	spinlock_t sa_lock;	/* SA membership, see above */
	struct rhashtable sa_hash;
	unsigned int gen;
	atomic64_t unknown_spi;
	unsigned long unknown_spi_next;
};

extern unsigned int esptun_net_id;

static inline struct esptun_net *esptun_pernet(struct net *net)
{
	return net_generic(net, esptun_net_id);
}

static inline void esptun_dev_stat_inc(struct esptun_dev *ed,
				       enum esptun_stat which)
{
	atomic64_inc(&ed->stats[which]);
}

bool esptun_is_esptun_dev(const struct net_device *dev);
void esptun_dev_set_carrier(struct esptun_dev *ed, bool on);
int esptun_pernet_init(void);
void esptun_pernet_exit(void);
int esptun_device_init(void);
void esptun_device_exit(void);

#endif /* _ESPTUN_DEVICE_H */
