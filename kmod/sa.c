// SPDX-License-Identifier: GPL-2.0
/*
 * esptun SA objects: allocation, reference counting, lifetimes, counters
 * and the traffic-selector match.
 *
 * An SA is reachable from the tables (sa_table.c), which own one
 * reference, and from packets in flight, which hold one each. The last
 * put frees it after an RCU grace period in process context, because
 * releasing crypto transforms and the route cache may sleep and RCU
 * readers on the packet path may still look at it.
 *
 * Byte and packet limits are checked per packet in esptun_sa_account()
 * (softirq); a hard limit cannot delete the SA there, so it marks the SA
 * stopped and hands deletion to expire_work. Time limits and the timeout
 * of SPI reservations run in lt_work, a delayed work per SA that sleeps
 * until the next deadline.
 */

#include <linux/slab.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/timekeeping.h>
#include <linux/inetdevice.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <asm/unaligned.h>

#include "sa.h"
#include "sa_table.h"
#include "events.h"

static struct workqueue_struct *esptun_wq;

static void esptun_sa_free_work(struct work_struct *work)
{
	struct esptun_sa *sa = container_of(to_rcu_work(work), struct esptun_sa,
					    free_work);

	/* No reference is left, so nothing re-arms the timer any more. */
	cancel_delayed_work_sync(&sa->lt_work);
	if (test_bit(ESPTUN_SA_F_DP, &sa->flags))
		esptun_dp_sa_free(sa);
	free_percpu(sa->pcpu);
	netdev_put(sa->ed->dev, &sa->dev_tracker);
	kfree_sensitive(sa);
}

static void esptun_sa_release(struct kref *ref)
{
	struct esptun_sa *sa = container_of(ref, struct esptun_sa, ref);

	queue_rcu_work(esptun_wq, &sa->free_work);
}

/**
 * esptun_sa_put - drop a reference
 * @sa: the SA
 *
 * Context: any.
 */
void esptun_sa_put(struct esptun_sa *sa)
{
	kref_put(&sa->ref, esptun_sa_release);
}

static void esptun_sa_set_state(struct esptun_sa *sa, u8 state)
{
	WRITE_ONCE(sa->state, state);
	/* A hard expiry is final. Whoever sets ESPTUN_SA_F_HARD writes the
	 * state after it, so a softer state written concurrently is either
	 * overwritten by that write or corrected here.
	 */
	smp_mb();
	if (state != ESPTUN_SA_STATE_HARD_EXPIRED &&
	    test_bit(ESPTUN_SA_F_HARD, &sa->flags))
		WRITE_ONCE(sa->state, ESPTUN_SA_STATE_HARD_EXPIRED);
}

static bool esptun_sa_mark_hard(struct esptun_sa *sa)
{
	if (test_and_set_bit(ESPTUN_SA_F_HARD, &sa->flags))
		return false;
	WRITE_ONCE(sa->state, ESPTUN_SA_STATE_HARD_EXPIRED);
	return true;
}

static void esptun_sa_soft(struct esptun_sa *sa, u8 reason)
{
	if (test_and_set_bit(ESPTUN_SA_F_SOFT, &sa->flags))
		return;
	if (test_bit(ESPTUN_SA_F_HARD, &sa->flags))
		return;
	esptun_sa_set_state(sa, ESPTUN_SA_STATE_SOFT_EXPIRED);
	esptun_nl_event_expire(sa, false, reason);
}

/* Hard expiry in process context: delete, then report, so that whoever
 * hears the event finds the SA gone. The SA stays valid meanwhile: the
 * caller holds a reference (expire_work) or is lt_work, which the final
 * free waits for.
 */
static void esptun_sa_hard_delete(struct esptun_sa *sa, u8 reason)
{
	if (esptun_sa_unlink(sa))
		esptun_nl_event_expire(sa, true, reason);
}

static void esptun_sa_expire_work(struct work_struct *work)
{
	struct esptun_sa *sa = container_of(work, struct esptun_sa,
					    expire_work);

	esptun_sa_hard_delete(sa, READ_ONCE(sa->expire_reason));
	esptun_sa_put(sa);
}

static unsigned long esptun_sa_reserve_left(const struct esptun_sa *sa)
{
	unsigned long now = jiffies;

	return time_after(sa->reserve_until, now) ? sa->reserve_until - now : 0;
}

/* Deadline in boot-time nanoseconds of a limit in seconds; 0 for none.
 * Nanoseconds, not whole seconds: with truncated seconds a soft limit
 * one second before the hard one could be reached in the same run of
 * lt_work as the hard one, and the soft event would be lost.
 */
static u64 esptun_deadline(u64 start, u64 limit)
{
	if (!limit)
		return 0;
	if (limit > (U64_MAX - start) / NSEC_PER_SEC)
		return U64_MAX;
	return start + limit * NSEC_PER_SEC;
}

/* Sleep until @next, at most a day at a time (the delay is in jiffies). */
static unsigned long esptun_delay(u64 next, u64 now)
{
	return nsecs_to_jiffies(min_t(u64, next - now, 86400 * NSEC_PER_SEC)) + 1;
}

static void esptun_next(u64 *next, u64 deadline)
{
	if (deadline && (!*next || deadline < *next))
		*next = deadline;
}

static void esptun_sa_lt_work(struct work_struct *work)
{
	struct esptun_sa *sa = container_of(to_delayed_work(work),
					    struct esptun_sa, lt_work);
	struct esptun_net *en = esptun_pernet(sa->ed->net);
	u64 now, used, soft_add, soft_use, hard_add, hard_use, next = 0;
	struct esptun_lifetime lt;

	if (test_bit(ESPTUN_SA_F_DEAD, &sa->flags))
		return;

	if (READ_ONCE(sa->state) == ESPTUN_SA_STATE_RESERVED) {
		if (!esptun_sa_reserve_left(sa))
			esptun_sa_unlink(sa);
		else
			queue_delayed_work(esptun_wq, &sa->lt_work,
					   esptun_sa_reserve_left(sa));
		return;
	}
	if (test_bit(ESPTUN_SA_F_HARD, &sa->flags))
		return;

	spin_lock_bh(&en->sa_lock);
	lt = sa->lt;
	spin_unlock_bh(&en->sa_lock);

	now = ktime_get_boottime_ns();
	used = test_bit(ESPTUN_SA_F_USED, &sa->flags) ?
		READ_ONCE(sa->first_use_boot) : 0;
	soft_add = esptun_deadline(sa->add_boot, lt.soft_add);
	hard_add = esptun_deadline(sa->add_boot, lt.hard_add);
	soft_use = used ? esptun_deadline(used, lt.soft_use) : 0;
	hard_use = used ? esptun_deadline(used, lt.hard_use) : 0;

	if (hard_add && now >= hard_add) {
		if (esptun_sa_mark_hard(sa))
			esptun_sa_hard_delete(sa, ESPTUN_EXPIRE_ADD_SECONDS);
		return;
	}
	if (hard_use && now >= hard_use) {
		if (esptun_sa_mark_hard(sa))
			esptun_sa_hard_delete(sa, ESPTUN_EXPIRE_USE_SECONDS);
		return;
	}
	if (!test_bit(ESPTUN_SA_F_SOFT, &sa->flags)) {
		if (soft_add && now >= soft_add) {
			esptun_sa_soft(sa, ESPTUN_EXPIRE_ADD_SECONDS);
		} else if (soft_use && now >= soft_use) {
			esptun_sa_soft(sa, ESPTUN_EXPIRE_USE_SECONDS);
		} else {
			esptun_next(&next, soft_add);
			esptun_next(&next, soft_use);
		}
	}
	esptun_next(&next, hard_add);
	esptun_next(&next, hard_use);
	if (next)
		queue_delayed_work(esptun_wq, &sa->lt_work,
				   esptun_delay(next, now));
}

/**
 * esptun_sa_alloc - allocate an SA (or SPI reservation) for a device
 * @ed: the device; the SA holds a reference on it
 * @dir: ESPTUN_DIR_IN or ESPTUN_DIR_OUT
 * @spi: SPI, network order
 * @ep: outer addresses and encapsulation
 *
 * The SA starts in state VALID with one reference (the one the tables
 * take over in esptun_sa_link()); it is not reachable yet.
 * Context: process.
 * Return: the SA or NULL.
 */
struct esptun_sa *esptun_sa_alloc(struct esptun_dev *ed, u8 dir, __be32 spi,
				  const struct esptun_endpoint *ep)
{
	struct esptun_sa *sa;

	sa = kzalloc(sizeof(*sa), GFP_KERNEL);
	if (!sa)
		return NULL;
	sa->pcpu = netdev_alloc_pcpu_stats(struct esptun_sa_pcpu);
	if (!sa->pcpu) {
		kfree(sa);
		return NULL;
	}
	kref_init(&sa->ref);
	INIT_LIST_HEAD(&sa->dev_node);
	INIT_LIST_HEAD(&sa->kill_node);
	INIT_DELAYED_WORK(&sa->lt_work, esptun_sa_lt_work);
	INIT_WORK(&sa->expire_work, esptun_sa_expire_work);
	INIT_RCU_WORK(&sa->free_work, esptun_sa_free_work);
	sa->ed = ed;
	netdev_hold(ed->dev, &sa->dev_tracker, GFP_KERNEL);
	sa->dir = dir;
	sa->spi = spi;
	sa->state = ESPTUN_SA_STATE_VALID;
	seqlock_init(&sa->ep_lock);
	sa->ep = *ep;
	sa->key.spi = spi;
	sa->key.family = ep->family;
	if (ep->family == AF_INET)
		sa->key.addr.v4 = ep->local.v4;
	else
		sa->key.addr.v6 = ep->local.v6;
	sa->add_time = ktime_get_real_seconds();
	sa->add_boot = ktime_get_boottime_ns();
	/* Allow the first remote-moved event at once. */
	sa->moved_next = jiffies;
	return sa;
}

/**
 * esptun_sa_config - copy the non-secret configuration of a request
 * @sa: a new SA, not yet reachable
 * @cfg: the validated request
 *
 * Keys are not copied here: esptun_dp_sa_init() takes them into the
 * transform.
 */
void esptun_sa_config(struct esptun_sa *sa, const struct esptun_sa_cfg *cfg)
{
	sa->sel = cfg->sel;
	sa->lt = cfg->lt;
	strscpy(sa->enc_alg, cfg->enc_alg, sizeof(sa->enc_alg));
	strscpy(sa->auth_alg, cfg->auth_alg, sizeof(sa->auth_alg));
	sa->icv_bits = cfg->icv_bits;
	sa->replay_window = cfg->replay_window;
	sa->esn = cfg->esn;
}

/**
 * esptun_sa_start - arm the timers of an SA that was just linked
 * @sa: the SA
 */
void esptun_sa_start(struct esptun_sa *sa)
{
	if (sa->state == ESPTUN_SA_STATE_RESERVED)
		queue_delayed_work(esptun_wq, &sa->lt_work,
				   esptun_sa_reserve_left(sa));
	else if (sa->lt.soft_add || sa->lt.hard_add)
		mod_delayed_work(esptun_wq, &sa->lt_work, 0);
}

/**
 * esptun_sa_set_lifetime - replace all limits of a live SA (SA_UPDATE)
 * @sa: the SA, linked
 * @lt: the new limits
 *
 * A new soft limit re-arms the soft-expire event, so a rekey that extends
 * the SA is told again when the new limit is reached.
 */
void esptun_sa_set_lifetime(struct esptun_sa *sa,
			    const struct esptun_lifetime *lt)
{
	struct esptun_net *en = esptun_pernet(sa->ed->net);
	bool counted;
	u64 packets, bytes;

	esptun_sa_traffic(sa, &packets, &bytes);
	spin_lock_bh(&en->sa_lock);
	counted = sa->lt.soft_bytes || sa->lt.soft_packets ||
		  sa->lt.hard_bytes || sa->lt.hard_packets;
	if (!counted) {
		/* The limit counters only run while a limit exists. */
		atomic64_set(&sa->lt_bytes, bytes);
		atomic64_set(&sa->lt_packets, packets);
	}
	WRITE_ONCE(sa->lt.soft_bytes, lt->soft_bytes);
	WRITE_ONCE(sa->lt.soft_packets, lt->soft_packets);
	WRITE_ONCE(sa->lt.soft_add, lt->soft_add);
	WRITE_ONCE(sa->lt.soft_use, lt->soft_use);
	WRITE_ONCE(sa->lt.hard_bytes, lt->hard_bytes);
	WRITE_ONCE(sa->lt.hard_packets, lt->hard_packets);
	WRITE_ONCE(sa->lt.hard_add, lt->hard_add);
	WRITE_ONCE(sa->lt.hard_use, lt->hard_use);
	spin_unlock_bh(&en->sa_lock);

	if (test_and_clear_bit(ESPTUN_SA_F_SOFT, &sa->flags))
		esptun_sa_set_state(sa, ESPTUN_SA_STATE_VALID);
	mod_delayed_work(esptun_wq, &sa->lt_work, 0);
}

/**
 * esptun_sa_state - state for dumps and events
 * @sa: the SA
 *
 * Return: enum esptun_sa_state.
 */
u8 esptun_sa_state(const struct esptun_sa *sa)
{
	return READ_ONCE(sa->state);
}

/**
 * esptun_sa_traffic - sum the per-CPU traffic counters
 * @sa: the SA
 * @packets: packets
 * @bytes: inner bytes
 */
void esptun_sa_traffic(const struct esptun_sa *sa, u64 *packets, u64 *bytes)
{
	int cpu;

	*packets = 0;
	*bytes = 0;
	for_each_possible_cpu(cpu) {
		const struct esptun_sa_pcpu *st = per_cpu_ptr(sa->pcpu, cpu);
		unsigned int start;
		u64 p, b;

		do {
			start = u64_stats_fetch_begin(&st->syncp);
			p = u64_stats_read(&st->packets);
			b = u64_stats_read(&st->bytes);
		} while (u64_stats_fetch_retry(&st->syncp, start));
		*packets += p;
		*bytes += b;
	}
}

static void esptun_sa_hard_atomic(struct esptun_sa *sa, u8 reason)
{
	if (!esptun_sa_mark_hard(sa))
		return;
	WRITE_ONCE(sa->expire_reason, reason);
	if (!esptun_sa_get(sa))
		return;
	if (!queue_work(esptun_wq, &sa->expire_work))
		esptun_sa_put(sa);
}

/* The limit counters; false when the packet would take the SA past a
 * hard limit. Reaching a limit exactly is allowed, as the limit is the
 * amount the SA may carry.
 */
static bool esptun_sa_limits(struct esptun_sa *sa, unsigned int bytes)
{
	u64 soft_b, soft_p, hard_b, hard_p, b, p;

	soft_b = READ_ONCE(sa->lt.soft_bytes);
	soft_p = READ_ONCE(sa->lt.soft_packets);
	hard_b = READ_ONCE(sa->lt.hard_bytes);
	hard_p = READ_ONCE(sa->lt.hard_packets);
	if (likely(!(soft_b | soft_p | hard_b | hard_p)))
		return true;

	b = atomic64_add_return(bytes, &sa->lt_bytes);
	p = atomic64_inc_return(&sa->lt_packets);
	if (hard_p && p >= hard_p) {
		esptun_sa_hard_atomic(sa, ESPTUN_EXPIRE_PACKETS);
		return p == hard_p && !(hard_b && b > hard_b);
	}
	if (hard_b && b >= hard_b) {
		esptun_sa_hard_atomic(sa, ESPTUN_EXPIRE_BYTES);
		return b == hard_b;
	}
	if (test_bit(ESPTUN_SA_F_SOFT, &sa->flags))
		return true;
	if (soft_p && p >= soft_p)
		esptun_sa_soft(sa, ESPTUN_EXPIRE_PACKETS);
	else if (soft_b && b >= soft_b)
		esptun_sa_soft(sa, ESPTUN_EXPIRE_BYTES);
	return true;
}

/**
 * esptun_sa_account - count one packet and enforce byte/packet limits
 * @sa: the SA, referenced by the caller
 * @bytes: inner bytes of the packet
 *
 * Reaching a soft limit sends one soft-expire event; reaching a hard
 * limit stops the SA at once and deletes it from a work item.
 * Context: any.
 * Return: false if the packet takes the SA past a hard limit: the
 * receive path drops it (counted here all the same, like every packet
 * the SA decrypted).
 */
bool esptun_sa_account(struct esptun_sa *sa, unsigned int bytes)
{
	struct esptun_sa_pcpu *st;
	u64 now = ktime_get_real_seconds();

	st = get_cpu_ptr(sa->pcpu);
	u64_stats_update_begin(&st->syncp);
	u64_stats_inc(&st->packets);
	u64_stats_add(&st->bytes, bytes);
	u64_stats_update_end(&st->syncp);
	put_cpu_ptr(sa->pcpu);

	if (READ_ONCE(sa->last_use) != now)
		WRITE_ONCE(sa->last_use, now);
	if (unlikely(!test_bit(ESPTUN_SA_F_USED, &sa->flags)) &&
	    !test_and_set_bit(ESPTUN_SA_F_USED, &sa->flags)) {
		WRITE_ONCE(sa->first_use, now);
		WRITE_ONCE(sa->first_use_boot, ktime_get_boottime_ns());
		if (READ_ONCE(sa->lt.soft_use) || READ_ONCE(sa->lt.hard_use))
			mod_delayed_work(esptun_wq, &sa->lt_work, 0);
	}
	return esptun_sa_limits(sa, bytes);
}

/**
 * esptun_sa_hard_expire - stop an SA from the packet path
 * @sa: the SA, referenced by the caller
 * @reason: enum esptun_expire_reason
 *
 * Used when the SA cannot go on (outbound sequence numbers exhausted):
 * it stays in the tables in state HARD_EXPIRED, is never selected again,
 * and one hard-expire event goes out.
 * Context: any.
 */
void esptun_sa_hard_expire(struct esptun_sa *sa, u8 reason)
{
	if (esptun_sa_mark_hard(sa))
		esptun_nl_event_expire(sa, true, reason);
}

static bool esptun_port_proto(u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP;
}

/* One unsigned compare: below first wraps around to above last - first. */
static bool esptun_in_range4(__be32 a, __be32 first, __be32 last)
{
	u32 base = ntohl(first);

	return ntohl(a) - base <= ntohl(last) - base;
}

/* a <= b as 128-bit numbers in network order, in two 64-bit halves. */
static bool esptun_addr6_le(const struct in6_addr *a, const struct in6_addr *b)
{
	u64 ah = get_unaligned_be64(&a->s6_addr[0]);
	u64 bh = get_unaligned_be64(&b->s6_addr[0]);

	if (ah != bh)
		return ah < bh;
	return get_unaligned_be64(&a->s6_addr[8]) <=
	       get_unaligned_be64(&b->s6_addr[8]);
}

static bool esptun_in_range6(const struct in6_addr *a,
			     const struct in6_addr *first,
			     const struct in6_addr *last)
{
	return esptun_addr6_le(first, a) && esptun_addr6_le(a, last);
}

static bool esptun_sel_match4(const struct esptun_sel *sel,
			      const struct sk_buff *skb, u8 *proto, int *thoff)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (sel->family == AF_INET6)
		return false;
	if (sel->family == AF_INET &&
	    (!esptun_in_range4(iph->saddr, sel->src.v4, sel->src_end.v4) ||
	     !esptun_in_range4(iph->daddr, sel->dst.v4, sel->dst_end.v4)))
		return false;
	*proto = iph->protocol;
	/* A later fragment carries no ports. */
	if (iph->frag_off & htons(IP_OFFSET))
		*thoff = -ENOENT;
	else
		*thoff = skb_network_offset(skb) + iph->ihl * 4;
	return true;
}

static bool esptun_sel_match6(const struct esptun_sel *sel,
			      const struct sk_buff *skb, u8 *proto, int *thoff)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	__be16 frag_off = 0;
	u8 nexthdr;
	int off;

	if (sel->family == AF_INET)
		return false;
	if (sel->family == AF_INET6 &&
	    (!esptun_in_range6(&ip6h->saddr, &sel->src.v6, &sel->src_end.v6) ||
	     !esptun_in_range6(&ip6h->daddr, &sel->dst.v6, &sel->dst_end.v6)))
		return false;
	nexthdr = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
			       &nexthdr, &frag_off);
	*proto = nexthdr;
	if (off < 0)
		*thoff = -EINVAL;
	else if (ntohs(frag_off) & ~0x7)
		*thoff = -ENOENT;
	else
		*thoff = off;
	return true;
}

/**
 * esptun_sel_match - does an inner packet fall under a selector?
 * @sel: the selector
 * @skb: the inner packet, network header set and pulled
 *
 * A later fragment (-ENOENT for its transport offset) has no ports to
 * compare and matches a selector on addresses and protocol alone.
 *
 * Context: any.
 * Return: true on a match.
 */
bool esptun_sel_match(const struct esptun_sel *sel, const struct sk_buff *skb)
{
	__be16 _ports[2];
	const __be16 *ports;
	int thoff;
	u8 proto;
	bool ok;

	switch (ip_hdr(skb)->version) {
	case 4:
		ok = esptun_sel_match4(sel, skb, &proto, &thoff);
		break;
	case 6:
		ok = esptun_sel_match6(sel, skb, &proto, &thoff);
		break;
	default:
		return false;
	}
	if (!ok || (sel->proto && sel->proto != proto))
		return false;
	if (!sel->sport && !sel->dport)
		return true;
	if (!esptun_port_proto(proto))
		return false;
	/* A non-first fragment carries no ports; it matches whatever ports
	 * the selector names ("OPAQUE", RFC 4301 section 7.1), addresses
	 * and protocol still apply. xfrm's flow decoding leaves the ports
	 * of every fragment zero, which fails a port-specific selector; it
	 * rarely matters there, as its SAs see whole inner datagrams and
	 * local input checks policy after reassembly. The stack fragments
	 * the inner packet before this device sees it, so the same rule
	 * would strand every fragment but the first. On output a later
	 * fragment takes the newest SA matching its addresses and protocol:
	 * the first fragment's SA whenever only one covers the address pair,
	 * and the receiver reassembles whichever SA carried the rest.
	 */
	if (thoff == -ENOENT)
		return true;
	if (thoff < 0)
		return false;
	ports = skb_header_pointer(skb, thoff, sizeof(_ports), _ports);
	if (!ports)
		return false;
	return (!sel->sport || sel->sport == ports[0]) &&
	       (!sel->dport || sel->dport == ports[1]);
}

/**
 * esptun_sa_init - create the work queue for SA timers and frees
 *
 * Return: 0 or -ENOMEM.
 */
int esptun_sa_init(void)
{
	esptun_wq = alloc_workqueue("esptun", 0, 0);
	return esptun_wq ? 0 : -ENOMEM;
}

/**
 * esptun_queue_work - run @work on the module's work queue
 * @work: a work item of an SA or a device
 *
 * The queue is drained before the module goes away, so no such work can
 * outlive its code.
 * Context: any.
 * Return: false if @work was already pending.
 */
bool esptun_queue_work(struct work_struct *work)
{
	return queue_work(esptun_wq, work);
}

/**
 * esptun_sa_drain - wait until every SA put so far is freed
 *
 * Called at module exit after all devices are gone. Every SA holds its
 * device until its free work has run, so the devices being gone means
 * every SA was put, by packets and crypto completions too; what may still
 * run is the tail of those free works and RCU callbacks they queued.
 */
void esptun_sa_drain(void)
{
	rcu_barrier();
	flush_workqueue(esptun_wq);
}

/**
 * esptun_sa_exit - destroy the work queue
 */
void esptun_sa_exit(void)
{
	destroy_workqueue(esptun_wq);
}
