// SPDX-License-Identifier: GPL-2.0
/*
 * esptun: route-based IPsec (ESP) tunnel devices.
 *
 * Start-up order: parallel crypto workers, SA work queue, per-namespace
 * state, the netlink family, the link kind, and last the ESP input hooks,
 * so no packet reaches a table that is not there yet. Exit runs the ladder backwards; deleting
 * the link kind deletes every device and with it every SA, whose frees
 * are drained before the family and the namespace state go.
 */

#include <linux/module.h>
#include <net/rtnetlink.h>
#include <net/genetlink.h>

#include "device.h"
#include "datapath.h"
#include "netlink.h"
#include "sa.h"
#include "parallel.h"
#include "esp.h"

static int __init esptun_init(void)
{
	int err;

	err = esptun_par_init();
	if (err)
		return err;
	err = esptun_sa_init();
	if (err)
		goto err_par;
	err = esptun_pernet_init();
	if (err)
		goto err_sa;
	err = esptun_nl_init();
	if (err)
		goto err_pernet;
	err = esptun_device_init();
	if (err)
		goto err_nl;
	err = esptun_proto_init();
	if (err)
		goto err_device;
	pr_info("ESP tunnel devices loaded\n");
	return 0;

err_device:
	esptun_device_exit();
	esptun_sa_drain();
err_nl:
	esptun_nl_exit();
err_pernet:
	esptun_pernet_exit();
err_sa:
	esptun_sa_exit();
err_par:
	esptun_par_exit();
	return err;
}

static void __exit esptun_exit(void)
{
	esptun_proto_exit();
	esptun_device_exit();
	esptun_sa_drain();
	esptun_nl_exit();
	esptun_pernet_exit();
	esptun_sa_exit();
	esptun_par_exit();
	esptun_esp_exit();
}

module_init(esptun_init);
module_exit(esptun_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Route-based IPsec (ESP) tunnel devices");
MODULE_ALIAS_RTNL_LINK("esptun");
MODULE_ALIAS_GENL_FAMILY(ESPTUN_GENL_NAME);
