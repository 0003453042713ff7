// SPDX-License-Identifier: GPL-2.0
/*
 * esptun set DEV [local ADDR] [remote ADDR] [encap udp [sport N] [dport N] |
 * encap none]: a device's outer endpoints and encapsulation, the defaults
 * for SAs added later. Keywords not given keep their value in the kernel.
 */
#include <string.h>

#include "ipc.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"esptun set DEV [local ADDR] [remote ADDR] [encap udp [sport PORT] [dport PORT] | encap none]";

static int parse_set(struct args *a, struct etdev *dev,
		     const char **name)
{
	const char *kw, *v;

	if (arg_dev(a, args_next(a), name))
		return EXIT_USAGE;
	if (!args_more(a))
		return usage_error(a, "nothing to set");
	while ((kw = args_next(a))) {
		if (!strcmp(kw, "local") || !strcmp(kw, "remote")) {
			struct ipaddr *addr = kw[0] == 'l' ? &dev->local :
							     &dev->remote;

			v = args_value(a, kw);
			if (!v || arg_addr(a, kw, v, addr))
				return EXIT_USAGE;
		} else if (!strcmp(kw, "encap")) {
			v = args_value(a, kw);
			if (!v)
				return EXIT_USAGE;
			dev->has |= BIT(ESPTUN_DEV_A_ENCAP);
			if (!strcmp(v, "none")) {
				dev->encap = ESPTUN_ENCAP_NONE;
			} else if (!strcmp(v, "udp")) {
				dev->encap = ESPTUN_ENCAP_UDP;
			} else {
				return usage_error(a, "bad encap \"%s\": expected udp or none",
						   v);
			}
		} else if (!strcmp(kw, "sport") || !strcmp(kw, "dport")) {
			int sport = kw[0] == 's';

			if (!(dev->has & BIT(ESPTUN_DEV_A_ENCAP)) ||
			    dev->encap != ESPTUN_ENCAP_UDP)
				return usage_error(a, "\"%s\" only after \"encap udp\"",
						   kw);
			v = args_value(a, kw);
			if (!v || arg_port(a, kw, v, 0,
					   sport ? &dev->sport : &dev->dport))
				return EXIT_USAGE;
			dev->has |= BIT(sport ? ESPTUN_DEV_A_ENCAP_SPORT :
						ESPTUN_DEV_A_ENCAP_DPORT);
		} else {
			return usage_error(a, "unknown keyword \"%s\"", kw);
		}
	}
	if (dev->local.family && dev->remote.family &&
	    dev->local.family != dev->remote.family)
		return usage_error(a, "local and remote must both be IPv4 or both IPv6");
	return 0;
}

int cmd_set(int argc, char **argv, int json)
{
	struct etdev dev;
	const char *name;
	struct args a;
	int ret;

	args_init(&a, argc, argv, "set", usage);
	if (is_help(args_peek(&a)))
		return usage_help(usage);
	memset(&dev, 0, sizeof(dev));
	ret = parse_set(&a, &dev, &name);
	if (ret)
		return ret;
	if (dev_index("set", name, &dev.ifindex))
		return 1;
	if (ipc_open("set") < 0)
		return 1;
	ret = ipc_dev_set(&dev) < 0 ? 1 : 0;
	ipc_close();
	return ret;
}
