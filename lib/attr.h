/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The esptun family's attributes as plain userspace structs, and their
 * encoding into and decoding out of netlink messages (libnl). The names
 * are not the kernel's (struct esptun_dev, struct esptun_sa): these hold
 * what a message says, not a live object.
 */
#ifndef ESPTUN_LIB_ATTR_H
#define ESPTUN_LIB_ATTR_H

#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netlink/msg.h>

#include "esptun.h"
#include "parse.h"

#define BIT(n)		(1ULL << (n))

struct etdev {
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	/* local/remote: family 0 when absent; other fields by BIT(ESPTUN_DEV_A_*) */
	uint64_t has;
	struct ipaddr local, remote;
	uint8_t encap;
	uint16_t sport, dport;
	uint8_t carrier, mtu_auto, parallel;
	uint16_t mss_clamp;	/* 0 off, ESPTUN_MSS_CLAMP_AUTO, or an MSS */
	uint32_t sa_count;
	uint64_t stats_has;	/* BIT(ESPTUN_STAT_*) */
	uint64_t stats[ESPTUN_STAT_MAX + 1];
};

struct etsel {
	uint64_t has;		/* BIT(ESPTUN_SEL_A_PROTO/SPORT/DPORT) */
	struct ipaddr src, dst;	/* family 0: any, both families */
	/* family set: a range from src (dst) to here, not a prefix */
	struct ipaddr src_end, dst_end;
	uint8_t src_plen, dst_plen, proto;
	uint16_t sport, dport;
};

struct etsa {
	uint32_t ifindex;	/* replies and events */
	char ifname[IF_NAMESIZE];
	/* local/remote: family 0 when absent; other fields by BIT(ESPTUN_SA_A_*) */
	uint64_t has;
	uint8_t dir;
	uint32_t spi;
	struct ipaddr local, remote;
	char enc_alg[ESPTUN_ALG_NAME_MAX];
	char auth_alg[ESPTUN_ALG_NAME_MAX];
	uint8_t enc_key[ESPTUN_KEY_MAX];
	uint8_t auth_key[ESPTUN_KEY_MAX];
	size_t enc_key_len, auth_key_len;
	uint32_t icv_bits, replay_window;
	uint64_t seq, oseq;
	uint64_t lt_has;	/* BIT(ESPTUN_LT_A_*) */
	uint64_t lifetime[ESPTUN_LT_A_MAX + 1];
	uint8_t encap;
	uint16_t sport, dport;
	struct etsel sel;
	uint8_t state;
	uint64_t stats_has;	/* BIT(ESPTUN_STAT_*) */
	uint64_t stats[ESPTUN_STAT_MAX + 1];
	uint64_t add_time, first_use, last_use;
	uint32_t spi_min, spi_max, reserve_seconds;
	char driver[ESPTUN_ALG_NAME_MAX];	/* crypto implementation */
	uint8_t parallel;
};

/* Each put returns 0, or < 0 when the message is full. */
int attr_put_addr(struct nl_msg *msg, int attr4, int attr6,
		  const struct ipaddr *a);
/* ESPTUN_A_DEV with the endpoints and what @dev->has says. */
int attr_put_dev(struct nl_msg *msg, const struct etdev *dev);
/* ESPTUN_A_SA with what @sa->has says, keys with their algorithms. */
int attr_put_sa(struct nl_msg *msg, const struct etsa *sa);

/*
 * A device message into @dev. Policies check every attribute, so a
 * malformed reply is refused instead of misread. Returns 0 or -1.
 */
int attr_get_dev(struct nlmsghdr *nlh, struct etdev *dev);
/*
 * An SA message or event into @sa (never a key), @reason from
 * ESPTUN_A_EXPIRE_REASON (may be NULL). Returns 1 with an SA, 0 without
 * one, -1 when malformed.
 */
int attr_get_sa(struct nlmsghdr *nlh, struct etsa *sa, uint8_t *reason);

#endif /* ESPTUN_LIB_ATTR_H */
