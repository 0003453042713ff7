// SPDX-License-Identifier: GPL-2.0
/*
 * esptun automatic device MTU.
 *
 * By default the device MTU is fixed (room for the largest overhead of
 * any SA), so a routing daemon's view of the link never changes under it.
 * With MTU_AUTO it follows the newest outbound SA, the one new traffic
 * uses: the outer path MTU to its remote minus that SA's largest
 * overhead (outer IP header, UDP when encapsulated, ESP header, IV,
 * padding to the cipher's block and its two trailer bytes, ICV). It is
 * recomputed when an outbound SA is added, updated or deleted, when the
 * setting is turned on, and when a packet finds that the path MTU
 * changed (an ICMP error or a new route); the last happens in softirq,
 * where the MTU cannot be set, so a work item does it under RTNL.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/rtnetlink.h>
#include <net/esp.h>

#include "mtu.h"
#include "route.h"

/* The largest number of bytes @sa adds to an inner packet. */
static unsigned int esptun_sa_overhead(const struct esptun_sa *sa,
				       const struct esptun_endpoint *ep)
{
	const struct esptun_sa_dp *dp = &sa->dp;

	return (ep->family == AF_INET ? sizeof(struct iphdr) :
					sizeof(struct ipv6hdr)) +
	       (ep->encap == ESPTUN_ENCAP_UDP ? sizeof(struct udphdr) : 0) +
	       sizeof(struct ip_esp_hdr) + dp->ivlen +
	       (dp->blocksize - 1) + 2 + dp->icvlen;
}

/* The newest outbound SA that still carries traffic, referenced. */
static struct esptun_sa *esptun_mtu_sa(struct esptun_dev *ed)
{
	struct esptun_sa *sa, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(sa, &ed->sa_out, dev_node) {
		if (READ_ONCE(sa->state) == ESPTUN_SA_STATE_HARD_EXPIRED)
			continue;
		if (esptun_sa_get(sa))
			found = sa;
		break;
	}
	rcu_read_unlock();
	return found;
}

/**
 * esptun_mtu_update_locked - set the automatic MTU now
 * @ed: the device
 *
 * Nothing without MTU_AUTO, an outbound SA or a route to its remote.
 * Context: process, RTNL held.
 */
void esptun_mtu_update_locked(struct esptun_dev *ed)
{
	struct net_device *dev = ed->dev;
	union esptun_inaddr saddr;
	struct esptun_endpoint ep;
	struct dst_entry *dst;
	struct esptun_sa *sa;
	unsigned int seq, pmtu, over;
	int mtu;

	ASSERT_RTNL();
	if (!ed->mtu_auto || dev->reg_state != NETREG_REGISTERED)
		return;
	sa = esptun_mtu_sa(ed);
	if (!sa)
		return;
	seq = esptun_sa_endpoint(sa, &ep);
	/* The route cache is per CPU and used from softirq. */
	local_bh_disable();
	dst = esptun_route_out(sa, &ep, seq, &saddr);
	local_bh_enable();
	if (IS_ERR(dst))
		goto out;
	pmtu = dst_mtu(dst);
	dst_release(dst);
	over = esptun_sa_overhead(sa, &ep);
	WRITE_ONCE(ed->mtu_pmtu, pmtu);
	mtu = pmtu > over ? pmtu - over : 0;
	mtu = clamp_t(int, mtu, dev->min_mtu, dev->max_mtu);
	if (mtu != dev->mtu && dev_set_mtu(dev, mtu))
		netdev_dbg(dev, "cannot set the automatic MTU %d\n", mtu);
out:
	esptun_sa_put(sa);
}

/**
 * esptun_mtu_update - set the automatic MTU now, taking RTNL
 * @ed: the device
 *
 * Context: process, RTNL not held.
 */
void esptun_mtu_update(struct esptun_dev *ed)
{
	if (!READ_ONCE(ed->mtu_auto))
		return;
	rtnl_lock();
	esptun_mtu_update_locked(ed);
	rtnl_unlock();
}

static void esptun_mtu_work(struct work_struct *work)
{
	struct esptun_dev *ed = container_of(work, struct esptun_dev,
					     mtu_work);

	rtnl_lock();
	esptun_mtu_update_locked(ed);
	rtnl_unlock();
	dev_put(ed->dev);
}

/**
 * esptun_mtu_check - note the path MTU a packet found
 * @ed: the device
 * @sa: the outbound SA the packet uses
 * @pmtu: the path MTU of its outer route
 *
 * When the newest SA's path MTU is not the one the device MTU was
 * computed from, the work item computes it again.
 * Context: softirq (xmit).
 */
void esptun_mtu_check(struct esptun_dev *ed, struct esptun_sa *sa,
		      unsigned int pmtu)
{
	bool newest;

	if (!READ_ONCE(ed->mtu_auto) || pmtu == READ_ONCE(ed->mtu_pmtu))
		return;
	rcu_read_lock();
	newest = list_first_or_null_rcu(&ed->sa_out, struct esptun_sa,
					dev_node) == sa;
	rcu_read_unlock();
	if (!newest)
		return;
	/* The work holds the device; unregistering waits for it. */
	dev_hold(ed->dev);
	if (!esptun_queue_work(&ed->mtu_work))
		dev_put(ed->dev);
}

/**
 * esptun_mtu_init - set up the automatic MTU of a new device (off)
 * @ed: the device
 */
void esptun_mtu_init(struct esptun_dev *ed)
{
	INIT_WORK(&ed->mtu_work, esptun_mtu_work);
}

/**
 * esptun_mtu_uninit - the device is being unregistered
 * @ed: the device
 *
 * A pending work item is cancelled and its device reference dropped; one
 * already running waits for RTNL, finds the device unregistered and only
 * drops its reference.
 * Context: RTNL held.
 */
void esptun_mtu_uninit(struct esptun_dev *ed)
{
	WRITE_ONCE(ed->mtu_auto, false);
	if (cancel_work(&ed->mtu_work))
		dev_put(ed->dev);
}
