// SPDX-License-Identifier: GPL-2.0
/*
 * esptun SA tables.
 *
 * Inbound SAs and SPI reservations live in one resizable hash per network
 * namespace, keyed by (SPI, family, local address): that is all an
 * arriving ESP packet tells before decryption. Outbound SAs hang on their
 * device, newest first, so output takes the most recent SA whose selector
 * matches (make-before-break rekeying). Every SA is also on its device's
 * list, so deleting a device finds all of them.
 *
 * Readers run under RCU and take a reference with kref_get_unless_zero();
 * all writers of one namespace serialise on esptun_net.sa_lock, which is
 * taken with BH disabled because expiry may start in softirq.
 */

#include <linux/rhashtable.h>
#include <linux/random.h>
#include <net/xfrm.h>

#include "sa_table.h"

static const struct rhashtable_params esptun_sa_params = {
	.head_offset = offsetof(struct esptun_sa, hnode),
	.key_offset = offsetof(struct esptun_sa, key),
	.key_len = sizeof(struct esptun_sa_key),
	.automatic_shrinking = true,
};

static void esptun_sa_key_make(struct esptun_sa_key *key, __be32 spi,
			       u16 family, const union esptun_inaddr *addr)
{
	memset(key, 0, sizeof(*key));
	key->spi = spi;
	key->family = family;
	if (family == AF_INET)
		key->addr.v4 = addr->v4;
	else
		key->addr.v6 = addr->v6;
}

/**
 * esptun_sa_lookup_in - find an inbound SA for a received ESP packet
 * @net: namespace the packet arrived in
 * @family: AF_INET or AF_INET6
 * @daddr: outer destination address of the packet
 * @spi: SPI from the ESP header, network order
 *
 * Reserved SPIs (no keys yet) are not returned. A hard-expired SA
 * waiting for deletion is: the caller drops the packet and counts
 * ESPTUN_STAT_EXPIRED when sa->state says ESPTUN_SA_STATE_HARD_EXPIRED,
 * rather than calling the SPI unknown.
 * Context: any; takes rcu_read_lock itself.
 * Return: the SA with a reference held (esptun_sa_put() it), or NULL.
 */
struct esptun_sa *esptun_sa_lookup_in(struct net *net, u16 family,
				      const union esptun_inaddr *daddr,
				      __be32 spi)
{
	struct esptun_net *en = esptun_pernet(net);
	struct esptun_sa_key key;
	struct esptun_sa *sa;

	esptun_sa_key_make(&key, spi, family, daddr);
	rcu_read_lock();
	sa = rhashtable_lookup(&en->sa_hash, &key, esptun_sa_params);
	if (sa && (READ_ONCE(sa->state) == ESPTUN_SA_STATE_RESERVED ||
		   !esptun_sa_get(sa)))
		sa = NULL;
	rcu_read_unlock();
	return sa;
}

/**
 * esptun_sa_select_out - outbound SA for an inner packet
 * @ed: the device the packet was routed into
 * @skb: the inner packet (network header set)
 *
 * Context: any; takes rcu_read_lock itself.
 * Return: the newest outbound SA that is not hard-expired and whose
 * selector matches, with a reference held; or NULL.
 */
struct esptun_sa *esptun_sa_select_out(struct esptun_dev *ed,
				       const struct sk_buff *skb)
{
	struct esptun_sa *sa, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(sa, &ed->sa_out, dev_node) {
		if (READ_ONCE(sa->state) == ESPTUN_SA_STATE_HARD_EXPIRED)
			continue;
		if (!esptun_sel_match(&sa->sel, skb))
			continue;
		if (esptun_sa_get(sa)) {
			found = sa;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/**
 * esptun_sa_out_known - could one of our outbound SAs have sent this?
 * @net: namespace
 * @family: AF_INET or AF_INET6
 * @saddr: outer source quoted in an ICMP error
 * @daddr: outer destination quoted in it
 * @spi: SPI quoted in it, network order
 *
 * The quoted packet is raw ESP (errors about ESP in UDP go to UDP). It is
 * ours only if an outbound SA without UDP encapsulation sends with that
 * SPI to @daddr, and from @saddr unless the SA leaves the source to the
 * route: anyone can forge an ICMP error, and one about a packet we never
 * sent must not lower the path MTU to the peer.
 *
 * For ICMP errors only, which are rare and rate-limited by their senders:
 * a walk over every device's outbound SAs rather than another index.
 * Context: any, takes rcu_read_lock itself.
 */
bool esptun_sa_out_known(struct net *net, u16 family,
			 const union esptun_inaddr *saddr,
			 const union esptun_inaddr *daddr, __be32 spi)
{
	struct esptun_net *en = esptun_pernet(net);
	struct esptun_endpoint ep;
	struct esptun_dev *ed;
	struct esptun_sa *sa;
	bool found = false;

	rcu_read_lock();
	list_for_each_entry_rcu(ed, &en->devs, node) {
		list_for_each_entry_rcu(sa, &ed->sa_out, dev_node) {
			if (sa->spi != spi)
				continue;
			esptun_sa_endpoint(sa, &ep);
			if (ep.family == family &&
			    ep.encap == ESPTUN_ENCAP_NONE &&
			    esptun_addr_equal(family, &ep.remote, daddr) &&
			    (esptun_addr_any(family, &ep.local) ||
			     esptun_addr_equal(family, &ep.local, saddr))) {
				found = true;
				goto out;
			}
		}
	}
out:
	rcu_read_unlock();
	return found;
}

/**
 * esptun_xfrm_holds - does the kernel's own IPsec have this ESP SA?
 * @net: namespace
 * @family: AF_INET or AF_INET6
 * @daddr: destination address of the SA
 * @spi: SPI, network order
 *
 * An SA both xfrm and esptun could claim would make input depend on
 * handler order, so esptun refuses it and does not hand out such SPIs.
 * Return: true if xfrm holds (daddr, SPI) for ESP with mark 0.
 */
bool esptun_xfrm_holds(struct net *net, u16 family,
		       const union esptun_inaddr *daddr, __be32 spi)
{
#if IS_ENABLED(CONFIG_XFRM)
	xfrm_address_t a = {};
	struct xfrm_state *x;

	if (family == AF_INET)
		a.a4 = daddr->v4;
	else
		a.in6 = daddr->v6;
	x = xfrm_state_lookup(net, 0, &a, spi, IPPROTO_ESP, family);
	if (x) {
		xfrm_state_put(x);
		return true;
	}
#endif
	return false;
}

/* Does @sa collide with a linked SA? A reservation of the same device for
 * the same key is no collision: @sa takes it over (*@resv).
 */
static int esptun_sa_conflict(struct esptun_net *en, struct esptun_dev *ed,
			      const struct esptun_sa *sa,
			      struct esptun_sa **resv,
			      struct netlink_ext_ack *extack)
{
	struct esptun_sa *old;

	if (sa->dir == ESPTUN_DIR_OUT) {
		list_for_each_entry_rcu(old, &ed->sa_out, dev_node,
					lockdep_is_held(&en->sa_lock)) {
			if (old->spi == sa->spi) {
				NL_SET_ERR_MSG_MOD(extack,
						   "outbound SPI already in use on this device");
				return -EEXIST;
			}
		}
		return 0;
	}

	old = rhashtable_lookup_fast(&en->sa_hash, &sa->key, esptun_sa_params);
	if (!old)
		return 0;
	if (old->state == ESPTUN_SA_STATE_RESERVED && old->ed == ed) {
		if (resv)
			*resv = old;
		return 0;
	}
	if (old->state == ESPTUN_SA_STATE_RESERVED)
		NL_SET_ERR_MSG_MOD(extack, "SPI reserved by another device");
	else
		NL_SET_ERR_MSG_MOD(extack,
				   "inbound SPI already in use for this local address");
	return -EEXIST;
}

/**
 * esptun_sa_check_free - would linking @sa succeed? (early, cheap check)
 * @ed: the device
 * @sa: the new SA, not linked
 * @extack: error report
 *
 * Lets a request fail before the expensive transform setup; the real
 * check is repeated under the lock by esptun_sa_link().
 * Return: 0 or -EEXIST with @extack set.
 */
int esptun_sa_check_free(struct esptun_dev *ed, const struct esptun_sa *sa,
			 struct netlink_ext_ack *extack)
{
	struct esptun_net *en = esptun_pernet(ed->net);
	int err;

	spin_lock_bh(&en->sa_lock);
	err = esptun_sa_conflict(en, ed, sa, NULL, extack);
	spin_unlock_bh(&en->sa_lock);
	return err;
}

static bool esptun_sa_unlink_locked(struct esptun_net *en,
				    struct esptun_sa *sa)
{
	if (test_and_set_bit(ESPTUN_SA_F_DEAD, &sa->flags))
		return false;
	if (sa->dir == ESPTUN_DIR_IN)
		rhashtable_remove_fast(&en->sa_hash, &sa->hnode,
				       esptun_sa_params);
	list_del_rcu(&sa->dev_node);
	sa->ed->sa_count--;
	en->gen++;
	return true;
}

/**
 * esptun_sa_link - make a new SA (or reservation) reachable
 * @sa: the SA; the tables take over the caller's reference on success
 * @extack: error report
 *
 * An inbound SA replaces a reservation of its own device for the same
 * (SPI, local address); the reservation is consumed.
 * Return: 0, -EEXIST on a duplicate, -ENODEV if the device is going away.
 */
int esptun_sa_link(struct esptun_sa *sa, struct netlink_ext_ack *extack)
{
	struct esptun_dev *ed = sa->ed;
	struct esptun_net *en = esptun_pernet(ed->net);
	struct esptun_sa *resv = NULL;
	int err;

	spin_lock_bh(&en->sa_lock);
	if (ed->dead) {
		NL_SET_ERR_MSG_MOD(extack, "device is being deleted");
		err = -ENODEV;
		goto out;
	}
	err = esptun_sa_conflict(en, ed, sa, &resv, extack);
	if (err)
		goto out;
	if (sa->dir == ESPTUN_DIR_IN) {
		if (resv) {
			/* Same key: swap in place, readers never miss it. */
			err = rhashtable_replace_fast(&en->sa_hash,
						      &resv->hnode, &sa->hnode,
						      esptun_sa_params);
			if (!err) {
				set_bit(ESPTUN_SA_F_DEAD, &resv->flags);
				list_del_rcu(&resv->dev_node);
				ed->sa_count--;
			}
		} else {
			err = rhashtable_insert_fast(&en->sa_hash, &sa->hnode,
						     esptun_sa_params);
		}
		if (err) {
			NL_SET_ERR_MSG_MOD(extack, "cannot insert SA");
			goto out;
		}
		list_add_rcu(&sa->dev_node, &ed->sa_in);
	} else {
		list_add_rcu(&sa->dev_node, &ed->sa_out);
	}
	ed->sa_count++;
	en->gen++;
out:
	spin_unlock_bh(&en->sa_lock);
	if (!err && resv)
		esptun_sa_put(resv);
	return err;
}

/**
 * esptun_sa_unlink - remove an SA from every table
 * @sa: the SA
 *
 * Drops the tables' reference. Safe to race with itself.
 * Return: true if this call unlinked it.
 */
bool esptun_sa_unlink(struct esptun_sa *sa)
{
	struct esptun_net *en = esptun_pernet(sa->ed->net);
	bool done;

	spin_lock_bh(&en->sa_lock);
	done = esptun_sa_unlink_locked(en, sa);
	spin_unlock_bh(&en->sa_lock);
	if (done)
		esptun_sa_put(sa);
	return done;
}

/**
 * esptun_sa_find - find an SA or reservation of a device by SPI
 * @ed: the device
 * @dir: ESPTUN_DIR_IN or ESPTUN_DIR_OUT
 * @spi: SPI, network order
 * @family: 0, or the family of @local to narrow an inbound search
 * @local: local address (inbound), when @family is set
 * @extack: error report
 *
 * Return: the SA with a reference held, ERR_PTR(-ENOENT) if there is none,
 * ERR_PTR(-EINVAL) if several inbound SAs share the SPI on different local
 * addresses and none was given.
 */
struct esptun_sa *esptun_sa_find(struct esptun_dev *ed, u8 dir, __be32 spi,
				 u16 family, const union esptun_inaddr *local,
				 struct netlink_ext_ack *extack)
{
	struct esptun_net *en = esptun_pernet(ed->net);
	struct list_head *head = dir == ESPTUN_DIR_IN ? &ed->sa_in : &ed->sa_out;
	struct esptun_sa *sa, *found = NULL;
	struct esptun_sa_key key;
	int n = 0;

	if (family)
		esptun_sa_key_make(&key, spi, family, local);
	spin_lock_bh(&en->sa_lock);
	list_for_each_entry_rcu(sa, head, dev_node,
				lockdep_is_held(&en->sa_lock)) {
		if (sa->spi != spi)
			continue;
		if (dir == ESPTUN_DIR_IN && family &&
		    memcmp(&sa->key, &key, sizeof(key)))
			continue;
		found = sa;
		n++;
	}
	if (n == 1)
		kref_get(&found->ref);
	spin_unlock_bh(&en->sa_lock);

	if (!n) {
		NL_SET_ERR_MSG_MOD(extack, "no such SA");
		return ERR_PTR(-ENOENT);
	}
	if (n > 1) {
		NL_SET_ERR_MSG_MOD(extack,
				   "SPI used on several local addresses, give one");
		return ERR_PTR(-EINVAL);
	}
	return found;
}

/**
 * esptun_sa_flush_dev - delete every SA and reservation of a device
 * @ed: the device
 * @dying: the device is being unregistered: refuse new SAs from now on
 *
 * Return: how many were deleted.
 */
unsigned int esptun_sa_flush_dev(struct esptun_dev *ed, bool dying)
{
	struct esptun_net *en = esptun_pernet(ed->net);
	struct esptun_sa *sa, *tmp;
	unsigned int n = 0;
	LIST_HEAD(kill);

	spin_lock_bh(&en->sa_lock);
	if (dying)
		ed->dead = true;
	list_for_each_entry_safe(sa, tmp, &ed->sa_in, dev_node)
		if (esptun_sa_unlink_locked(en, sa))
			list_add(&sa->kill_node, &kill);
	list_for_each_entry_safe(sa, tmp, &ed->sa_out, dev_node)
		if (esptun_sa_unlink_locked(en, sa))
			list_add(&sa->kill_node, &kill);
	spin_unlock_bh(&en->sa_lock);

	list_for_each_entry_safe(sa, tmp, &kill, kill_node) {
		esptun_sa_put(sa);
		n++;
	}
	return n;
}

/* Is @spi free for a reservation on (@family, @local)? Takes no lock: the
 * answer is only a candidate until checked again under sa_lock.
 */
static bool esptun_spi_free(struct esptun_net *en, struct esptun_sa *resv,
			    u32 spi)
{
	resv->spi = htonl(spi);
	resv->key.spi = resv->spi;
	if (rhashtable_lookup_fast(&en->sa_hash, &resv->key, esptun_sa_params))
		return false;
	return !esptun_xfrm_holds(resv->ed->net, resv->key.family,
				  &resv->key.addr, resv->spi);
}

/* Random probes first, so SPIs are not predictable; then a linear sweep
 * from a random start, so a nearly full small range still finds its last
 * free SPI.
 */
#define ESPTUN_SPI_RANDOM_TRIES	16
#define ESPTUN_SPI_SWEEP_MAX	65536
/* Candidates lost to a concurrent SA_NEW or allocation before giving up. */
#define ESPTUN_SPI_ROUNDS	8

/* A free SPI of [@min, @min + @range) into @resv; false if none. */
static bool esptun_spi_find(struct esptun_net *en, struct esptun_sa *resv,
			    u32 min, u32 range)
{
	u32 tries = min_t(u32, range, ESPTUN_SPI_SWEEP_MAX);
	u32 i, start;

	for (i = 0; i < ESPTUN_SPI_RANDOM_TRIES; i++)
		if (esptun_spi_free(en, resv,
				    min + get_random_u32_below(range)))
			return true;
	start = get_random_u32_below(range);
	for (i = 0; i < tries; i++) {
		if (esptun_spi_free(en, resv,
				    min + (u32)(((u64)start + i) % range)))
			return true;
		cond_resched();
	}
	return false;
}

/**
 * esptun_spi_alloc - reserve a random free inbound SPI
 * @ed: the device the SA will belong to
 * @family: AF_INET or AF_INET6
 * @local: the local address ESP will arrive at
 * @min: first SPI of the range, at least 256
 * @max: last SPI of the range
 * @seconds: how long the reservation lasts without SA_NEW
 * @spi: the reserved SPI, network order
 * @extack: error report
 *
 * The search runs without sa_lock: every probe may look into xfrm, and a
 * sweep of a nearly full range makes tens of thousands of them, too many
 * for a spinlock held with BHs off. Only the SPI found is checked again
 * under the lock.
 * Context: process.
 * Return: 0, -EINVAL for a bad range, -ENOSPC if no SPI of the range is
 * free, -EAGAIN if the SPIs found kept being taken concurrently, -ENOMEM,
 * -ENODEV if the device is going away.
 */
int esptun_spi_alloc(struct esptun_dev *ed, u16 family,
		     const union esptun_inaddr *local, u32 min, u32 max,
		     u32 seconds, __be32 *spi, struct netlink_ext_ack *extack)
{
	struct esptun_net *en = esptun_pernet(ed->net);
	struct esptun_endpoint ep = {};
	struct esptun_sa *resv;
	unsigned int round;
	u32 range;
	int err = 0;

	if (min < 256) {
		NL_SET_ERR_MSG_MOD(extack, "SPI range must start at 256 or above");
		return -EINVAL;
	}
	if (min > max) {
		NL_SET_ERR_MSG_MOD(extack, "SPI range is inverted (min > max)");
		return -EINVAL;
	}

	ep.family = family;
	ep.local = *local;
	resv = esptun_sa_alloc(ed, ESPTUN_DIR_IN, 0, &ep);
	if (!resv)
		return -ENOMEM;
	resv->state = ESPTUN_SA_STATE_RESERVED;
	resv->reserve_until = jiffies + (unsigned long)seconds * HZ;

	/* min >= 256, so the range size fits in a u32 */
	range = max - min + 1;
	for (round = 0; ; round++) {
		if (round == ESPTUN_SPI_ROUNDS) {
			NL_SET_ERR_MSG_MOD(extack,
					   "free SPIs of the range keep being taken, try again");
			err = -EAGAIN;
			goto out_put;
		}
		if (!esptun_spi_find(en, resv, min, range)) {
			NL_SET_ERR_MSG_MOD(extack, "no free SPI in range");
			err = -ENOSPC;
			goto out_put;
		}
		spin_lock_bh(&en->sa_lock);
		if (ed->dead) {
			NL_SET_ERR_MSG_MOD(extack, "device is being deleted");
			err = -ENODEV;
			goto out;
		}
		if (!rhashtable_lookup_fast(&en->sa_hash, &resv->key,
					    esptun_sa_params))
			break;
		spin_unlock_bh(&en->sa_lock);
	}
	err = rhashtable_insert_fast(&en->sa_hash, &resv->hnode,
				     esptun_sa_params);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "cannot insert SPI reservation");
		goto out;
	}
	list_add_rcu(&resv->dev_node, &ed->sa_in);
	ed->sa_count++;
	en->gen++;
	*spi = resv->spi;
	/* The tables own the reference; the reservation may expire at
	 * any time after the unlock, so start its timer last.
	 */
	kref_get(&resv->ref);
out:
	spin_unlock_bh(&en->sa_lock);
	if (!err)
		esptun_sa_start(resv);
out_put:
	esptun_sa_put(resv);
	return err;
}

/**
 * esptun_sa_table_init - set up the inbound hash of a namespace
 * @en: the namespace's state
 *
 * Return: 0 or a negative errno.
 */
int esptun_sa_table_init(struct esptun_net *en)
{
	return rhashtable_init(&en->sa_hash, &esptun_sa_params);
}

/**
 * esptun_sa_table_destroy - free the inbound hash of a namespace
 * @en: the namespace's state; every device of it is already gone, and
 *	with them every SA
 */
void esptun_sa_table_destroy(struct esptun_net *en)
{
	rhashtable_destroy(&en->sa_hash);
}
