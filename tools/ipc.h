/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CLI's only door to the kernel. Subcommands fill and read the plain
 * structs of attr.h; ipc.c sends them through the shared client (nl.h)
 * and prints kernel errors as "esptun: <op>: <extack message> (<strerror>)".
 * Every function returns 0 on success and -1 after printing the error.
 */
#ifndef ESPTUN_IPC_H
#define ESPTUN_IPC_H

#include <signal.h>
#include <stdint.h>

#include "attr.h"

struct etevent {
	uint8_t cmd;		/* ESPTUN_CMD_EV_* */
	uint8_t reason;		/* expiry events, 0 if absent */
	struct etsa sa;	/* sa.ifindex 0: no device (unknown SPI) */
};

typedef int (*ipc_dev_cb)(const struct etdev *dev, void *arg);
typedef int (*ipc_sa_cb)(const struct etsa *sa, void *arg);
typedef int (*ipc_event_cb)(const struct etevent *ev, void *arg);

/* Connects and resolves the family; @op names the command in messages. */
int ipc_open(const char *op);
void ipc_close(void);

/* @ifindex 0: dump every device of the namespace. */
int ipc_dev_get(uint32_t ifindex, ipc_dev_cb cb, void *arg);
int ipc_dev_set(const struct etdev *dev);

/* @ifindex 0: every SA of the namespace. */
int ipc_sa_dump(uint32_t ifindex, ipc_sa_cb cb, void *arg);
int ipc_sa_new(uint32_t ifindex, const struct etsa *sa);
int ipc_sa_update(uint32_t ifindex, const struct etsa *sa);
int ipc_sa_del(uint32_t ifindex, const struct etsa *sa);
int ipc_sa_flush(uint32_t ifindex);
int ipc_spi_alloc(uint32_t ifindex, const struct etsa *req, uint32_t *spi);

/*
 * The devices (@ifindex 0: all of the namespace) and their SAs, sorted
 * by device name and by device, direction and SPI, so that what is shown
 * does not depend on the kernel's hash order. Free with ipc_table_free.
 */
struct ipc_table {
	struct etdev *devs;
	size_t n_devs, cap_devs;
	struct etsa *sas;
	size_t n_sas, cap_sas;
};

int ipc_table_read(uint32_t ifindex, struct ipc_table *t);
void ipc_table_free(struct ipc_table *t);

/*
 * Subscribes to the events group and calls @cb per event until *@stop is
 * set by a signal handler; the signals that set it must be blocked by the
 * caller, and are let through only while waiting (@waitmask).
 */
int ipc_monitor(ipc_event_cb cb, void *arg, volatile sig_atomic_t *stop,
		const sigset_t *waitmask);

#endif /* ESPTUN_IPC_H */
