// SPDX-License-Identifier: GPL-2.0
/*
 * ipc.h without netlink, for the CLI's fuzz target: requests are counted,
 * nothing is sent, and reads find no device and no SA. Waiting for
 * events would block, so the fuzz target never gets there.
 */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "tests/ipc_record.h"

int ipc_requests;	/* requests that would change the kernel */

int ipc_open(const char *op)
{
	return 0;
}

void ipc_close(void)
{
}

int ipc_dev_get(uint32_t ifindex, ipc_dev_cb cb, void *arg)
{
	return 0;
}

int ipc_dev_set(const struct etdev *dev)
{
	ipc_requests++;
	return 0;
}

int ipc_sa_dump(uint32_t ifindex, ipc_sa_cb cb, void *arg)
{
	return 0;
}

int ipc_sa_new(uint32_t ifindex, const struct etsa *sa)
{
	ipc_requests++;
	return 0;
}

int ipc_sa_update(uint32_t ifindex, const struct etsa *sa)
{
	ipc_requests++;
	return 0;
}

int ipc_sa_del(uint32_t ifindex, const struct etsa *sa)
{
	ipc_requests++;
	return 0;
}

int ipc_sa_flush(uint32_t ifindex)
{
	ipc_requests++;
	return 0;
}

int ipc_spi_alloc(uint32_t ifindex, const struct etsa *req, uint32_t *spi)
{
	ipc_requests++;
	*spi = 0x1000;
	return 0;
}

int ipc_table_read(uint32_t ifindex, struct ipc_table *t)
{
	memset(t, 0, sizeof(*t));
	return 0;
}

void ipc_table_free(struct ipc_table *t)
{
	free(t->devs);
	free(t->sas);
	memset(t, 0, sizeof(*t));
}

int ipc_monitor(ipc_event_cb cb, void *arg, volatile sig_atomic_t *stop,
		const sigset_t *waitmask)
{
	abort();
}
