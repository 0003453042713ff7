// SPDX-License-Identifier: GPL-2.0
/*
 * esptun devices: the "esptun" link kind and per-namespace state.
 *
 * An esptun device is a layer-3 point-to-point interface without a link
 * header, like xfrmi and WireGuard: routes send inner packets into it, its
 * SAs carry them as ESP. Carrier is on while the device is up, whatever
 * the SAs, because transmit must run for a packet without an SA to raise
 * an acquire event; only DEV_SET turns it off, for the agent to tell
 * routing daemons that the tunnel is down (NO-CARRIER).
 */

#include <linux/if_arp.h>
#include <linux/ip.h>
#include <net/ip.h>
#include <net/rtnetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "device.h"
#include "datapath.h"
#include "sa_table.h"
#include "mtu.h"

unsigned int esptun_net_id __read_mostly;

/* The largest overhead split by where it goes: outer IPv6 + UDP + ESP
 * header + IV in front; padding to a 16-byte block + pad length + next
 * header, and a 256-bit ICV behind.
 */
#define ESPTUN_HEAD_OVERHEAD	(40 + 8 + 8 + 16)
#define ESPTUN_TAIL_OVERHEAD	(17 + 32)

#define ESPTUN_FEATURES	(NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM | \
			 NETIF_F_HIGHDMA | NETIF_F_GSO_SOFTWARE)

static int esptun_dev_init(struct net_device *dev)
{
	struct esptun_dev *ed = netdev_priv(dev);
	int err;

	err = gro_cells_init(&ed->gro_cells, dev);
	if (err)
		return err;
	ed->dev = dev;
	ed->net = dev_net(dev);
	esptun_mtu_init(ed);
	/* Allow the first acquire at once. */
	ed->acquire_next = jiffies;
	return 0;
}

/*
 * Runs from unregistering, which waits for a grace period before the
 * device is freed, and from a register_netdevice() that failed after
 * ndo_init, whose device is freed at once. Only a registered device is
 * on the namespace's list (esptun_newlink()), so RCU readers of the list
 * never see one of the second kind.
 */
static void esptun_dev_uninit(struct net_device *dev)
{
	struct esptun_dev *ed = netdev_priv(dev);

	/* Each SA holds a reference on the device, so they must go now,
	 * before unregistering waits for the references to drop.
	 */
	esptun_sa_flush_dev(ed, true);
	esptun_mtu_uninit(ed);
	if (!list_empty(&ed->node))
		list_del_rcu(&ed->node);
	gro_cells_destroy(&ed->gro_cells);
}

static int esptun_dev_open(struct net_device *dev)
{
	struct esptun_dev *ed = netdev_priv(dev);

	if (ed->carrier)
		netif_carrier_on(dev);
	else
		netif_carrier_off(dev);
	return 0;
}

static int esptun_dev_stop(struct net_device *dev)
{
	netif_carrier_off(dev);
	return 0;
}

static const struct net_device_ops esptun_netdev_ops = {
	.ndo_init		= esptun_dev_init,
	.ndo_uninit		= esptun_dev_uninit,
	.ndo_open		= esptun_dev_open,
	.ndo_stop		= esptun_dev_stop,
	.ndo_start_xmit		= esptun_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
};

static void esptun_setup(struct net_device *dev)
{
	struct esptun_dev *ed = netdev_priv(dev);

	BUILD_BUG_ON(ESPTUN_HEAD_OVERHEAD + ESPTUN_TAIL_OVERHEAD !=
		     ESPTUN_MAX_OVERHEAD);

	dev->netdev_ops = &esptun_netdev_ops;
	dev->needs_free_netdev = true;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP | IFF_MULTICAST;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = LL_MAX_HEADER + ESPTUN_HEAD_OVERHEAD;
	dev->needed_tailroom = ESPTUN_TAIL_OVERHEAD;
	dev->mtu = ETH_DATA_LEN - ESPTUN_MAX_OVERHEAD;
	dev->min_mtu = IPV4_MIN_MTU;
	dev->max_mtu = IP_MAX_MTU - ESPTUN_MAX_OVERHEAD;
	/* Transmit takes no lock: SAs and sequence numbers have their own. */
	dev->features |= NETIF_F_LLTX | NETIF_F_NETNS_LOCAL | ESPTUN_FEATURES;
	dev->hw_features |= ESPTUN_FEATURES;
	dev->hw_enc_features |= ESPTUN_FEATURES;
	netif_keep_dst(dev);

	spin_lock_init(&ed->lock);
	INIT_LIST_HEAD(&ed->node);
	INIT_LIST_HEAD(&ed->sa_in);
	INIT_LIST_HEAD(&ed->sa_out);
	ed->ep.sport = htons(4500);
	ed->ep.dport = htons(4500);
	ed->carrier = true;
	/* One tunnel's crypto on every CPU, as users of WireGuard expect. */
	ed->parallel = IS_ENABLED(CONFIG_PADATA) && num_online_cpus() > 1;
}

static int esptun_validate(struct nlattr *tb[], struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS] || tb[IFLA_BROADCAST]) {
		NL_SET_ERR_MSG_MOD(extack, "esptun devices have no link address");
		return -EINVAL;
	}
	return 0;
}

static int esptun_newlink(struct net *src_net, struct net_device *dev,
			  struct nlattr *tb[], struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	struct esptun_dev *ed = netdev_priv(dev);
	int err;

	err = register_netdevice(dev);
	if (err)
		return err;
	/* Only now: a device whose registration fails is freed without a
	 * grace period. Unregistering (ndo_uninit) takes it off again.
	 */
	list_add_tail_rcu(&ed->node, &esptun_pernet(dev_net(dev))->devs);
	return 0;
}

static struct net *esptun_get_link_net(const struct net_device *dev)
{
	const struct esptun_dev *ed = netdev_priv(dev);

	return ed->net;
}

static struct rtnl_link_ops esptun_link_ops __read_mostly = {
	.kind		= "esptun",
	.priv_size	= sizeof(struct esptun_dev),
	.setup		= esptun_setup,
	.validate	= esptun_validate,
	.newlink	= esptun_newlink,
	.get_link_net	= esptun_get_link_net,
};

/**
 * esptun_dev_set_carrier - the carrier DEV_SET asks for
 * @ed: the device
 * @on: carrier on (the default) or off
 *
 * Takes effect at once on a running device, else when it comes up.
 * Context: process, RTNL held.
 */
void esptun_dev_set_carrier(struct esptun_dev *ed, bool on)
{
	ASSERT_RTNL();
	ed->carrier = on;
	if (!netif_running(ed->dev))
		return;
	if (on)
		netif_carrier_on(ed->dev);
	else
		netif_carrier_off(ed->dev);
}

/**
 * esptun_is_esptun_dev - is @dev an esptun device?
 * @dev: any net_device
 *
 * Return: true if its private data is a struct esptun_dev.
 */
bool esptun_is_esptun_dev(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &esptun_link_ops;
}

static int __net_init esptun_net_init(struct net *net)
{
	struct esptun_net *en = esptun_pernet(net);

	INIT_LIST_HEAD(&en->devs);
	spin_lock_init(&en->sa_lock);
	en->unknown_spi_next = jiffies;
	return esptun_sa_table_init(en);
}

/* Subsystem exits run after every device of the namespace is deleted
 * (the devices' dellink), so the tables are empty here.
 */
static void __net_exit esptun_net_exit(struct net *net)
{
	struct esptun_net *en = esptun_pernet(net);

	WARN_ON_ONCE(!list_empty(&en->devs));
	esptun_sa_table_destroy(en);
}

static struct pernet_operations esptun_net_ops = {
	.init	= esptun_net_init,
	.exit	= esptun_net_exit,
	.id	= &esptun_net_id,
	.size	= sizeof(struct esptun_net),
};

/**
 * esptun_pernet_init - register the per-namespace state
 *
 * Return: 0 or a negative errno.
 */
int esptun_pernet_init(void)
{
	return register_pernet_subsys(&esptun_net_ops);
}

/**
 * esptun_pernet_exit - unregister the per-namespace state
 */
void esptun_pernet_exit(void)
{
	unregister_pernet_subsys(&esptun_net_ops);
}

/**
 * esptun_device_init - register the "esptun" link kind
 *
 * Return: 0 or a negative errno.
 */
int esptun_device_init(void)
{
	return rtnl_link_register(&esptun_link_ops);
}

/**
 * esptun_device_exit - unregister the link kind, deleting every device
 */
void esptun_device_exit(void)
{
	rtnl_link_unregister(&esptun_link_ops);
}
