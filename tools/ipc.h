/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CLI's only door to the kernel. Subcommands fill and read these plain
 * structs; ipc.c turns them into esptun generic netlink messages and back,
 * and prints kernel errors as "esptun: <op>: <extack message> (<strerror>)".
 * Every function returns 0 on success and -1 after printing the error.
 */
#ifndef ESPTUN_IPC_H
#define ESPTUN_IPC_H

#include <signal.h>
#include <stdint.h>
#include <net/if.h>

#include "esptun.h"
#include "util.h"

#define BIT(n)		(1ULL << (n))

struct esptun_dev {
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	/* local/remote: family 0 when absent; other fields by BIT(ESPTUN_DEV_A_*) */
	uint64_t has;
	struct ipaddr local, remote;
	uint8_t encap;
	uint16_t sport, dport;
	uint32_t sa_count;
	uint64_t stats_has;	/* BIT(ESPTUN_STAT_*) */
	uint64_t stats[ESPTUN_STAT_MAX + 1];
};

struct esptun_sel {
	uint64_t has;		/* BIT(ESPTUN_SEL_A_PROTO/SPORT/DPORT) */
	struct ipaddr src, dst;	/* family 0: any, both families */
	uint8_t src_plen, dst_plen, proto;
	uint16_t sport, dport;
};

struct esptun_sa {
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
	struct esptun_sel sel;
	uint8_t state;
	uint64_t stats_has;	/* BIT(ESPTUN_STAT_*) */
	uint64_t stats[ESPTUN_STAT_MAX + 1];
	uint64_t add_time, first_use, last_use;
	uint32_t spi_min, spi_max, reserve_seconds;
};

struct esptun_event {
	uint8_t cmd;		/* ESPTUN_CMD_EV_* */
	uint8_t reason;		/* expiry events, 0 if absent */
	struct esptun_sa sa;	/* sa.ifindex 0: no device (unknown SPI) */
};

typedef int (*ipc_dev_cb)(const struct esptun_dev *dev, void *arg);
typedef int (*ipc_sa_cb)(const struct esptun_sa *sa, void *arg);
typedef int (*ipc_event_cb)(const struct esptun_event *ev, void *arg);

/* Connects and resolves the family; @op names the command in messages. */
int ipc_open(const char *op);
void ipc_close(void);

/* @ifindex 0: dump every device of the namespace. */
int ipc_dev_get(uint32_t ifindex, ipc_dev_cb cb, void *arg);
int ipc_dev_set(const struct esptun_dev *dev);

/* @ifindex 0: every SA of the namespace. */
int ipc_sa_dump(uint32_t ifindex, ipc_sa_cb cb, void *arg);
int ipc_sa_new(uint32_t ifindex, const struct esptun_sa *sa);
int ipc_sa_update(uint32_t ifindex, const struct esptun_sa *sa);
int ipc_sa_del(uint32_t ifindex, const struct esptun_sa *sa);
int ipc_sa_flush(uint32_t ifindex);
int ipc_spi_alloc(uint32_t ifindex, const struct esptun_sa *req,
		  uint32_t *spi);

/*
 * Subscribes to the events group and calls @cb per event until *@stop is
 * set by a signal handler; the signals that set it must be blocked by the
 * caller, and are let through only while waiting (@waitmask).
 */
int ipc_monitor(ipc_event_cb cb, void *arg, volatile sig_atomic_t *stop,
		const sigset_t *waitmask);

#endif /* ESPTUN_IPC_H */
