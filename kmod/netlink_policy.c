// SPDX-License-Identifier: GPL-2.0
/*
 * esptun generic netlink family: operations and per-command policies.
 *
 * Each command gets its own policy, top level and nested, listing only
 * the attributes it takes; with strict validation (resv_start_op covers
 * every command) anything else is refused by the core before a handler
 * runs. Read-only attributes (state, counters, times) appear in no
 * policy. Types, exact address lengths and enum ranges live here; rules
 * that need a clear message of their own (SPI, replay window, selector
 * prefix length per family, attribute combinations, the MSS clamp) are
 * checked by the handlers. The nested policies are exported so that
 * handlers parsing a nest name the policy it was validated with.
 */

#include <linux/if.h>

#include "../uapi/esptun.h"
#include "netlink_policy.h"

#define ESPTUN_ADDR4_POLICY	NLA_POLICY_EXACT_LEN(sizeof(__be32))
#define ESPTUN_ADDR6_POLICY	NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr))
#define ESPTUN_ENCAP_POLICY	NLA_POLICY_MAX(NLA_U8, ESPTUN_ENCAP_UDP)
#define ESPTUN_PORT_POLICY	NLA_POLICY_MIN(NLA_U16, 1)
#define ESPTUN_DIR_POLICY	NLA_POLICY_RANGE(NLA_U8, ESPTUN_DIR_IN, \
						 ESPTUN_DIR_OUT)

const struct nla_policy esptun_sel_policy[ESPTUN_SEL_A_MAX + 1] = {
	[ESPTUN_SEL_A_SRC_IPV4]		= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SEL_A_SRC_IPV6]		= ESPTUN_ADDR6_POLICY,
	[ESPTUN_SEL_A_SRC_PREFIXLEN]	= { .type = NLA_U8 },
	[ESPTUN_SEL_A_DST_IPV4]		= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SEL_A_DST_IPV6]		= ESPTUN_ADDR6_POLICY,
	[ESPTUN_SEL_A_DST_PREFIXLEN]	= { .type = NLA_U8 },
	[ESPTUN_SEL_A_PROTO]		= { .type = NLA_U8 },
	[ESPTUN_SEL_A_SPORT]		= { .type = NLA_U16 },
	[ESPTUN_SEL_A_DPORT]		= { .type = NLA_U16 },
	[ESPTUN_SEL_A_SRC_END_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SEL_A_SRC_END_IPV6]	= ESPTUN_ADDR6_POLICY,
	[ESPTUN_SEL_A_DST_END_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SEL_A_DST_END_IPV6]	= ESPTUN_ADDR6_POLICY,
};

const struct nla_policy esptun_lt_policy[ESPTUN_LT_A_MAX + 1] = {
	[ESPTUN_LT_A_SOFT_BYTES]	= { .type = NLA_U64 },
	[ESPTUN_LT_A_SOFT_PACKETS]	= { .type = NLA_U64 },
	[ESPTUN_LT_A_SOFT_ADD_SECONDS]	= { .type = NLA_U64 },
	[ESPTUN_LT_A_SOFT_USE_SECONDS]	= { .type = NLA_U64 },
	[ESPTUN_LT_A_HARD_BYTES]	= { .type = NLA_U64 },
	[ESPTUN_LT_A_HARD_PACKETS]	= { .type = NLA_U64 },
	[ESPTUN_LT_A_HARD_ADD_SECONDS]	= { .type = NLA_U64 },
	[ESPTUN_LT_A_HARD_USE_SECONDS]	= { .type = NLA_U64 },
};

const struct nla_policy esptun_dev_set_policy[ESPTUN_DEV_A_MAX + 1] = {
	[ESPTUN_DEV_A_LOCAL_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_DEV_A_LOCAL_IPV6]	= ESPTUN_ADDR6_POLICY,
	[ESPTUN_DEV_A_REMOTE_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_DEV_A_REMOTE_IPV6]	= ESPTUN_ADDR6_POLICY,
	[ESPTUN_DEV_A_ENCAP]		= ESPTUN_ENCAP_POLICY,
	[ESPTUN_DEV_A_ENCAP_SPORT]	= ESPTUN_PORT_POLICY,
	[ESPTUN_DEV_A_ENCAP_DPORT]	= ESPTUN_PORT_POLICY,
	[ESPTUN_DEV_A_CARRIER]		= NLA_POLICY_MAX(NLA_U8, 1),
	[ESPTUN_DEV_A_MSS_CLAMP]	= { .type = NLA_U16 },
	[ESPTUN_DEV_A_MTU_AUTO]		= NLA_POLICY_MAX(NLA_U8, 1),
	[ESPTUN_DEV_A_PARALLEL]		= NLA_POLICY_MAX(NLA_U8, 1),
};

const struct nla_policy esptun_sa_new_policy[ESPTUN_SA_A_MAX + 1] = {
	[ESPTUN_SA_A_DIR]		= ESPTUN_DIR_POLICY,
	[ESPTUN_SA_A_SPI]		= { .type = NLA_U32 },
	[ESPTUN_SA_A_LOCAL_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SA_A_LOCAL_IPV6]	= ESPTUN_ADDR6_POLICY,
	[ESPTUN_SA_A_REMOTE_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SA_A_REMOTE_IPV6]	= ESPTUN_ADDR6_POLICY,
	[ESPTUN_SA_A_ENC_ALG]		= { .type = NLA_NUL_STRING,
					    .len = ESPTUN_ALG_NAME_MAX - 1 },
	[ESPTUN_SA_A_ENC_KEY]		= NLA_POLICY_RANGE(NLA_BINARY, 0,
							   ESPTUN_KEY_MAX),
	[ESPTUN_SA_A_AUTH_ALG]		= { .type = NLA_NUL_STRING,
					    .len = ESPTUN_ALG_NAME_MAX - 1 },
	[ESPTUN_SA_A_AUTH_KEY]		= NLA_POLICY_RANGE(NLA_BINARY, 0,
							   ESPTUN_KEY_MAX),
	[ESPTUN_SA_A_ICV_BITS]		= { .type = NLA_U32 },
	[ESPTUN_SA_A_REPLAY_WINDOW]	= { .type = NLA_U32 },
	[ESPTUN_SA_A_ESN]		= { .type = NLA_FLAG },
	[ESPTUN_SA_A_SEQ]		= { .type = NLA_U64 },
	[ESPTUN_SA_A_OSEQ]		= { .type = NLA_U64 },
	[ESPTUN_SA_A_LIFETIME]		= NLA_POLICY_NESTED(esptun_lt_policy),
	[ESPTUN_SA_A_ENCAP]		= ESPTUN_ENCAP_POLICY,
	[ESPTUN_SA_A_ENCAP_SPORT]	= ESPTUN_PORT_POLICY,
	[ESPTUN_SA_A_ENCAP_DPORT]	= ESPTUN_PORT_POLICY,
	[ESPTUN_SA_A_SELECTOR]		= NLA_POLICY_NESTED(esptun_sel_policy),
};

const struct nla_policy esptun_sa_update_policy[ESPTUN_SA_A_MAX + 1] = {
	[ESPTUN_SA_A_DIR]		= ESPTUN_DIR_POLICY,
	[ESPTUN_SA_A_SPI]		= { .type = NLA_U32 },
	[ESPTUN_SA_A_LOCAL_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SA_A_LOCAL_IPV6]	= ESPTUN_ADDR6_POLICY,
	[ESPTUN_SA_A_REMOTE_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SA_A_REMOTE_IPV6]	= ESPTUN_ADDR6_POLICY,
	[ESPTUN_SA_A_LIFETIME]		= NLA_POLICY_NESTED(esptun_lt_policy),
	[ESPTUN_SA_A_ENCAP]		= ESPTUN_ENCAP_POLICY,
	[ESPTUN_SA_A_ENCAP_SPORT]	= ESPTUN_PORT_POLICY,
	[ESPTUN_SA_A_ENCAP_DPORT]	= ESPTUN_PORT_POLICY,
};

/* SA_DEL and SA_GET: which SA; the local address narrows inbound SPIs. */
const struct nla_policy esptun_sa_id_policy[ESPTUN_SA_A_MAX + 1] = {
	[ESPTUN_SA_A_DIR]		= ESPTUN_DIR_POLICY,
	[ESPTUN_SA_A_SPI]		= { .type = NLA_U32 },
	[ESPTUN_SA_A_LOCAL_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SA_A_LOCAL_IPV6]	= ESPTUN_ADDR6_POLICY,
};

/* A day at most: a reservation is for one negotiation, not for keeps. */
static struct netlink_range_validation esptun_reserve_range = {
	.min = 1,
	.max = 86400,
};

const struct nla_policy esptun_spi_alloc_sa_policy[ESPTUN_SA_A_MAX + 1] = {
	[ESPTUN_SA_A_LOCAL_IPV4]	= ESPTUN_ADDR4_POLICY,
	[ESPTUN_SA_A_LOCAL_IPV6]	= ESPTUN_ADDR6_POLICY,
	[ESPTUN_SA_A_SPI_MIN]		= { .type = NLA_U32 },
	[ESPTUN_SA_A_SPI_MAX]		= { .type = NLA_U32 },
	[ESPTUN_SA_A_RESERVE_SECONDS]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&esptun_reserve_range),
};

#define ESPTUN_DEV_ID_POLICY						\
	[ESPTUN_A_IFINDEX]	= { .type = NLA_U32 },			\
	[ESPTUN_A_IFNAME]	= { .type = NLA_NUL_STRING,		\
				    .len = IFNAMSIZ - 1 }

static const struct nla_policy esptun_dev_get_policy[ESPTUN_A_MAX + 1] = {
	ESPTUN_DEV_ID_POLICY,
};

static const struct nla_policy esptun_dev_set_top_policy[ESPTUN_A_MAX + 1] = {
	ESPTUN_DEV_ID_POLICY,
	[ESPTUN_A_DEV]		= NLA_POLICY_NESTED(esptun_dev_set_policy),
};

static const struct nla_policy esptun_sa_new_top_policy[ESPTUN_A_MAX + 1] = {
	ESPTUN_DEV_ID_POLICY,
	[ESPTUN_A_SA]		= NLA_POLICY_NESTED(esptun_sa_new_policy),
};

static const struct nla_policy esptun_sa_update_top_policy[ESPTUN_A_MAX + 1] = {
	ESPTUN_DEV_ID_POLICY,
	[ESPTUN_A_SA]		= NLA_POLICY_NESTED(esptun_sa_update_policy),
};

static const struct nla_policy esptun_sa_id_top_policy[ESPTUN_A_MAX + 1] = {
	ESPTUN_DEV_ID_POLICY,
	[ESPTUN_A_SA]		= NLA_POLICY_NESTED(esptun_sa_id_policy),
};

static const struct nla_policy esptun_spi_alloc_top_policy[ESPTUN_A_MAX + 1] = {
	ESPTUN_DEV_ID_POLICY,
	[ESPTUN_A_SA]		= NLA_POLICY_NESTED(esptun_spi_alloc_sa_policy),
};

/*
 * Every command needs CAP_NET_ADMIN over the namespace of the socket, in
 * the user namespace that owns it (GENL_UNS_ADMIN_PERM), as WireGuard
 * does: a container configures its own devices, and since every device
 * is looked up in the socket's namespace, never another namespace's.
 * Reads too: SA state tells a lot about a network.
 */
static const struct genl_ops esptun_genl_ops[] = {
	{
		.cmd		= ESPTUN_CMD_DEV_GET,
		.doit		= esptun_nl_dev_get_doit,
		.dumpit		= esptun_nl_dev_get_dumpit,
		.policy		= esptun_dev_get_policy,
		.maxattr	= ESPTUN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
		.internal_flags	= ESPTUN_NLF_NEED_DEV,
	},
	{
		.cmd		= ESPTUN_CMD_DEV_SET,
		.doit		= esptun_nl_dev_set_doit,
		.policy		= esptun_dev_set_top_policy,
		.maxattr	= ESPTUN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
		.internal_flags	= ESPTUN_NLF_NEED_DEV,
	},
	{
		.cmd		= ESPTUN_CMD_SA_NEW,
		.doit		= esptun_nl_sa_new_doit,
		.policy		= esptun_sa_new_top_policy,
		.maxattr	= ESPTUN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
		.internal_flags	= ESPTUN_NLF_NEED_DEV,
	},
	{
		.cmd		= ESPTUN_CMD_SA_UPDATE,
		.doit		= esptun_nl_sa_update_doit,
		.policy		= esptun_sa_update_top_policy,
		.maxattr	= ESPTUN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
		.internal_flags	= ESPTUN_NLF_NEED_DEV,
	},
	{
		.cmd		= ESPTUN_CMD_SA_DEL,
		.doit		= esptun_nl_sa_del_doit,
		.policy		= esptun_sa_id_top_policy,
		.maxattr	= ESPTUN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
		.internal_flags	= ESPTUN_NLF_NEED_DEV,
	},
	{
		.cmd		= ESPTUN_CMD_SA_GET,
		.doit		= esptun_nl_sa_get_doit,
		.dumpit		= esptun_nl_sa_get_dumpit,
		.policy		= esptun_sa_id_top_policy,
		.maxattr	= ESPTUN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
		.internal_flags	= ESPTUN_NLF_NEED_DEV,
	},
	{
		.cmd		= ESPTUN_CMD_SA_FLUSH,
		.doit		= esptun_nl_sa_flush_doit,
		.policy		= esptun_dev_get_policy,
		.maxattr	= ESPTUN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
		.internal_flags	= ESPTUN_NLF_OPT_DEV,
	},
	{
		.cmd		= ESPTUN_CMD_SPI_ALLOC,
		.doit		= esptun_nl_spi_alloc_doit,
		.policy		= esptun_spi_alloc_top_policy,
		.maxattr	= ESPTUN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
		.internal_flags	= ESPTUN_NLF_NEED_DEV,
	},
};

static const struct genl_multicast_group esptun_genl_mcgrps[] = {
	{ .name = ESPTUN_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family esptun_genl_family __ro_after_init = {
	.name		= ESPTUN_GENL_NAME,
	.version	= ESPTUN_GENL_VERSION,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= esptun_genl_ops,
	.n_ops		= ARRAY_SIZE(esptun_genl_ops),
	.resv_start_op	= ESPTUN_CMD_DEV_GET,
	.mcgrps		= esptun_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(esptun_genl_mcgrps),
	.pre_doit	= esptun_nl_pre_doit,
	.post_doit	= esptun_nl_post_doit,
};
