// SPDX-License-Identifier: GPL-2.0
/*
 * Recording kernel backend for tests: every call is appended to an array
 * the test inspects; SPIs count up from 0x1000; fail_errno makes every
 * operation fail, to exercise error paths. It models what the engine
 * reads back: each SA's last use (set by kernel_mock_use, as packets
 * would) and the device's carrier; events a test queues come out of
 * event_read as the module's would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/backend.h"

static struct kernel_mock_call *record(struct kernel *k, const char *op,
				       const char *ifname)
{
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct kernel_mock_call *c;

	if (m->n_calls >= KERNEL_MOCK_MAX_CALLS)
		return NULL;
	c = &m->calls[m->n_calls++];
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	return c;
}

static int failing(struct kernel *k)
{
	struct kernel_mock *m = (struct kernel_mock *)k;

	if (!m->fail_errno)
		return 0;
	snprintf(k->err, sizeof(k->err), "mock failure");
	return -m->fail_errno;
}

static int mock_dev_ensure(struct kernel *k, const char *ifname,
			   bool *created)
{
	record(k, "dev_ensure", ifname);
	*created = false;
	return failing(k);
}

static int mock_dev_set(struct kernel *k, const char *ifname,
			const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote)
{
	record(k, "dev_set", ifname);
	return failing(k);
}

static int mock_spi_alloc(struct kernel *k, const char *ifname,
			  const struct sockaddr_storage *local, uint32_t *spi)
{
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct kernel_mock_call *c = record(k, "spi_alloc", ifname);
	int r = failing(k);

	if (r)
		return r;
	*spi = m->next_spi++;
	if (c)
		c->spi = *spi;
	if (m->n_reserved == KERNEL_MOCK_MAX_SAS)
		memmove(m->reserved, m->reserved + 1,
			sizeof(m->reserved) - sizeof(m->reserved[0]));
	else
		m->n_reserved++;
	m->reserved[m->n_reserved - 1] = *spi;
	return 0;
}

/* SAs the table holds; more were added when it was full. */
static int live_sas(const struct kernel_mock *m)
{
	int i, n = 0;

	for (i = 0; i < KERNEL_MOCK_MAX_SAS; i++)
		n += m->sas[i].live;
	return n;
}

/* Ends the reservation of @spi; false when it had none. */
static bool unreserve(struct kernel_mock *m, uint32_t spi)
{
	int i;

	for (i = 0; i < m->n_reserved; i++)
		if (m->reserved[i] == spi) {
			m->reserved[i] = m->reserved[--m->n_reserved];
			return true;
		}
	return false;
}

static int mock_sa_add(struct kernel *k, const char *ifname,
		       const struct ike_kernel_sa *sa)
{
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct kernel_mock_call *c = record(k, "sa_add", ifname);
	int r = failing(k);

	if (c) {
		c->dir = sa->dir;
		c->spi = sa->spi;
		c->sa = *sa;
	}
	if (!r) {
		int i;

		if (sa->dir == IKE_DIR_IN)
			unreserve(m, sa->spi);
		m->n_sas++;
		for (i = 0; i < KERNEL_MOCK_MAX_SAS; i++)
			if (!m->sas[i].live) {
				m->sas[i] = (struct kernel_mock_sa){
					.live = true, .dir = sa->dir,
					.spi = sa->spi,
					.remote = sa->dir == IKE_DIR_IN ?
						  sa->src : sa->dst,
					.add_time = ++m->n_added };
				snprintf(m->sas[i].ifname,
					 sizeof(m->sas[i].ifname), "%s",
					 ifname);
				break;
			}
	}
	return r;
}

static struct kernel_mock_sa *find_sa(struct kernel_mock *m,
				      enum ike_sa_dir dir, uint32_t spi)
{
	int i;

	for (i = 0; i < KERNEL_MOCK_MAX_SAS; i++)
		if (m->sas[i].live && m->sas[i].dir == dir &&
		    m->sas[i].spi == spi)
			return &m->sas[i];
	return NULL;
}

static int mock_sa_del(struct kernel *k, const char *ifname,
		       enum ike_sa_dir dir, uint32_t spi)
{
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct kernel_mock_call *c = record(k, "sa_del", ifname);
	int r = failing(k);

	if (c) {
		c->dir = dir;
		c->spi = spi;
	}
	/* A reservation is released, no SA removed. */
	if (!r && dir == IKE_DIR_IN && !find_sa(m, dir, spi) &&
	    unreserve(m, spi))
		return 0;
	/* Neither an SA nor a reservation, as the module answers. */
	if (!r && !find_sa(m, dir, spi) && m->n_sas <= live_sas(m))
		return -ENOENT;
	if (!r && m->n_sas > 0)
		m->n_sas--;
	if (!r && find_sa(m, dir, spi))
		find_sa(m, dir, spi)->live = false;
	return r;
}

static int mock_sa_last_use(struct kernel *k, const char *ifname,
			    enum ike_sa_dir dir, uint32_t spi,
			    uint64_t *last_use)
{
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct kernel_mock_sa *sa;
	int r = failing(k);

	if (r)
		return r;
	sa = find_sa(m, dir, spi);
	if (!sa) {
		snprintf(k->err, sizeof(k->err), "no such SA");
		return -ENOENT;
	}
	*last_use = sa->last_use;
	return 0;
}

int kernel_mock_use(struct kernel *k, enum ike_sa_dir dir, uint32_t spi,
		    uint64_t t)
{
	struct kernel_mock_sa *sa = find_sa((struct kernel_mock *)k, dir, spi);

	if (!sa)
		return -ENOENT;
	sa->last_use = t;
	return 0;
}

static int mock_dev_carrier(struct kernel *k, const char *ifname, bool on)
{
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct kernel_mock_call *c = record(k, "dev_carrier", ifname);
	int r = failing(k);

	if (c)
		c->on = on;
	if (r)
		return r;
	if (m->no_carrier) {
		snprintf(k->err, sizeof(k->err),
			 "the module does not report carrier");
		return -EOPNOTSUPP;
	}
	m->carrier = on;
	return 0;
}

static int mock_sa_update(struct kernel *k, const char *ifname,
			  const struct ike_kernel_sa *sa)
{
	struct kernel_mock_call *c = record(k, "sa_update", ifname);

	if (c) {
		c->dir = sa->dir;
		c->spi = sa->spi;
		c->sa = *sa;
	}
	return failing(k);
}

static int mock_sa_count(struct kernel *k, const char *ifname)
{
	return ((struct kernel_mock *)k)->n_sas;
}

static int mock_sa_list(struct kernel *k, const char *ifname,
			kernel_sa_cb cb, void *arg)
{
	struct kernel_mock *m = (struct kernel_mock *)k;
	int i, r = failing(k);

	for (i = 0; !r && i < KERNEL_MOCK_MAX_SAS; i++) {
		struct kernel_sa_ent ent;

		if (!m->sas[i].live || strcmp(m->sas[i].ifname, ifname))
			continue;
		ent.dir = m->sas[i].dir;
		ent.spi = m->sas[i].spi;
		ent.remote = m->sas[i].remote;
		ent.add_time = m->sas[i].add_time;
		cb(arg, &ent);
	}
	return r;
}

static int mock_event_fd(struct kernel *k)
{
	return -1;
}

static int mock_event_read(struct kernel *k, kernel_event_cb cb, void *arg)
{
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct kernel_event ev[KERNEL_MOCK_MAX_EVENTS];
	int i, n = m->n_events;

	/* Taken off first: a callback may queue the next ones. */
	memcpy(ev, m->events, sizeof(ev[0]) * (size_t)n);
	m->n_events = 0;
	for (i = 0; i < n; i++)
		cb(arg, &ev[i]);
	return 0;
}

int kernel_mock_push_event(struct kernel *k, const struct kernel_event *ev)
{
	struct kernel_mock *m = (struct kernel_mock *)k;

	if (m->n_events >= KERNEL_MOCK_MAX_EVENTS)
		return -1;
	m->events[m->n_events++] = *ev;
	return 0;
}

static void mock_free(struct kernel *k)
{
	struct kernel_mock *m = (struct kernel_mock *)k;

	memset(m->calls, 0, sizeof(m->calls));	/* keys */
	free(m);
}

static int mock_dev_addr(struct kernel *k, const char *ifname,
			 const struct ike_ts *addr, bool add)
{
	struct kernel_mock_call *c = record(k, "dev_addr", ifname);

	if (c) {
		c->on = add;
		c->addr = *addr;
	}
	return failing(k);
}

static const struct kernel_ops mock_ops = {
	.dev_ensure = mock_dev_ensure,
	.dev_set = mock_dev_set,
	.spi_alloc = mock_spi_alloc,
	.sa_add = mock_sa_add,
	.sa_del = mock_sa_del,
	.sa_update = mock_sa_update,
	.sa_count = mock_sa_count,
	.sa_list = mock_sa_list,
	.sa_last_use = mock_sa_last_use,
	.dev_carrier = mock_dev_carrier,
	.dev_addr = mock_dev_addr,
	.event_fd = mock_event_fd,
	.event_read = mock_event_read,
	.free = mock_free,
};

struct kernel *kernel_mock_new(void)
{
	struct kernel_mock *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->k.ops = &mock_ops;
	m->next_spi = 0x1000;
	m->carrier = 1;
	return &m->k;
}
