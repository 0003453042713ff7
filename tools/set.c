// SPDX-License-Identifier: GPL-2.0
/*
 * esptun set DEV [local ADDR] [remote ADDR] [encap udp [sport N] [dport N] |
 * encap none] [carrier on|off] [mss-clamp auto|off|N] [mtu auto|fixed]
 * [parallel on|off]:
 * a device's outer endpoints and encapsulation, the defaults for SAs added
 * later, and its link settings. Keywords not given keep their value in the
 * kernel; a bad word changes nothing, as nothing is sent before the whole
 * line is read.
 */
#include <string.h>

#include "ipc.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"esptun set DEV [local ADDR] [remote ADDR] [encap udp [sport PORT] [dport PORT] | encap none]\n"
	"                  [carrier on|off] [mss-clamp auto|off|MSS] [mtu auto|fixed]\n"
	"                  [parallel on|off]";

/* on|off style words: @yes or @no into *@out, else a usage error. */
static int arg_choice(struct args *a, const char *kw, const char *v,
		      const char *yes, const char *no, uint8_t *out)
{
	if (!strcmp(v, yes))
		*out = 1;
	else if (!strcmp(v, no))
		*out = 0;
	else
		return usage_error(a, "bad %s \"%s\": expected %s or %s", kw,
				   v, yes, no);
	return 0;
}

/* auto, off, or an MSS the kernel takes (ESPTUN_MSS_CLAMP_MIN..65535). */
static int arg_mss(struct args *a, const char *v, uint16_t *out)
{
	uint32_t n;

	if (!strcmp(v, "auto")) {
		*out = ESPTUN_MSS_CLAMP_AUTO;
		return 0;
	}
	if (!strcmp(v, "off")) {
		*out = 0;
		return 0;
	}
	if (arg_u32(a, "mss-clamp", v, 65535, &n))
		return EXIT_USAGE;
	if (n < ESPTUN_MSS_CLAMP_MIN)
		return usage_error(a, "bad mss-clamp \"%s\": expected auto, off or %d to 65535",
				   v, ESPTUN_MSS_CLAMP_MIN);
	*out = n;
	return 0;
}

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
		} else if (!strcmp(kw, "carrier")) {
			v = args_value(a, kw);
			if (!v || arg_choice(a, kw, v, "on", "off",
					     &dev->carrier))
				return EXIT_USAGE;
			dev->has |= BIT(ESPTUN_DEV_A_CARRIER);
		} else if (!strcmp(kw, "mss-clamp")) {
			v = args_value(a, kw);
			if (!v || arg_mss(a, v, &dev->mss_clamp))
				return EXIT_USAGE;
			dev->has |= BIT(ESPTUN_DEV_A_MSS_CLAMP);
		} else if (!strcmp(kw, "mtu")) {
			v = args_value(a, kw);
			if (v && v[0] >= '0' && v[0] <= '9')
				return usage_error(a, "bad mtu \"%s\": expected auto or fixed (set a number with \"ip link set DEV mtu N\")",
						   v);
			if (!v || arg_choice(a, kw, v, "auto", "fixed",
					     &dev->mtu_auto))
				return EXIT_USAGE;
			dev->has |= BIT(ESPTUN_DEV_A_MTU_AUTO);
		} else if (!strcmp(kw, "parallel")) {
			v = args_value(a, kw);
			if (!v || arg_choice(a, kw, v, "on", "off",
					     &dev->parallel))
				return EXIT_USAGE;
			dev->has |= BIT(ESPTUN_DEV_A_PARALLEL);
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
