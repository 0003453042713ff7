// SPDX-License-Identifier: GPL-2.0
/*
 * The CLI's requests on the shared netlink client (nl.h): one socket for
 * the command, replies decoded into the structs of attr.h, and the
 * kernel's errors worded for the command line.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "ipc.h"
#include "nl.h"

static struct etnl nl;
static const char *op_name = "esptun";

int ipc_open(const char *op)
{
	char err[256];

	op_name = op;
	if (etnl_open(&nl, err, sizeof(err)) < 0) {
		fprintf(stderr, "esptun: %s: %s\n", op, err);
		return -1;
	}
	return 0;
}

void ipc_close(void)
{
	etnl_close(&nl);
}

/* Prints why @r failed; returns -1 for the caller to pass on. */
static int report(const struct etnl_req *r)
{
	if (r->local)
		fprintf(stderr, "esptun: %s: %s\n", op_name, r->local);
	else if (r->error && r->extack[0])
		fprintf(stderr, "esptun: %s: %s (%s)\n", op_name,
			etnl_extack_text(r), strerror(-r->error));
	else if (r->error)
		fprintf(stderr, "esptun: %s: %s\n", op_name,
			strerror(-r->error));
	else if (r->parse_error)
		fprintf(stderr, "esptun: %s: unexpected reply from the kernel\n",
			op_name);
	return -1;
}

/* Appends @item to the array at @items (n used of cap, @size each). */
static int grow(void **items, size_t *n, size_t *cap, size_t size,
		const void *item)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		void *p = realloc(*items, c * size);

		if (!p) {
			fprintf(stderr, "esptun: out of memory\n");
			return -1;
		}
		*items = p;
		*cap = c;
	}
	memcpy((char *)*items + *n * size, item, size);
	(*n)++;
	return 0;
}

/*
 * A dump's entries, handed to the caller only once the whole table was
 * read without the kernel marking it interrupted.
 */
struct dump_ctx {
	void *items;
	size_t n, cap;
};

/* The kernel's table changed while it was read: start over. */
static void forget(void *arg)
{
	struct dump_ctx *d = arg;

	d->n = 0;
}

/* ---- devices ---- */

static int keep_dev(struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *d = arg;
	struct etdev dev;

	if (attr_get_dev(nlh, &dev) < 0)
		return -1;
	return grow(&d->items, &d->n, &d->cap, sizeof(dev), &dev);
}

int ipc_dev_get(uint32_t ifindex, ipc_dev_cb cb, void *arg)
{
	struct dump_ctx d = { 0 };
	struct etnl_req r = { .parse = keep_dev, .restart = forget, .arg = &d };
	const struct etdev *dev = NULL;
	int err = 0;
	size_t i;

	if (etnl_dev_request(&nl, ESPTUN_CMD_DEV_GET, ifindex ? 0 : NLM_F_DUMP,
			     ifindex, NULL, NULL, &r) < 0)
		err = report(&r);
	for (i = 0, dev = d.items; !err && i < d.n; i++)
		if (cb(&dev[i], arg) < 0)
			err = -1;
	free(d.items);
	return err;
}

int ipc_dev_set(const struct etdev *dev)
{
	struct etnl_req r = { 0 };

	if (etnl_dev_request(&nl, ESPTUN_CMD_DEV_SET, 0, dev->ifindex, NULL,
			     dev, &r) < 0)
		return report(&r);
	return 0;
}

/* ---- SAs ---- */

static int keep_sa(struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *d = arg;
	struct etsa sa;

	if (attr_get_sa(nlh, &sa, NULL) <= 0)
		return -1;
	return grow(&d->items, &d->n, &d->cap, sizeof(sa), &sa);
}

/* The SPI of SPI_ALLOC's reply. */
struct spi_ctx {
	uint32_t spi;
	int got_spi;
};

static int parse_spi(struct nlmsghdr *nlh, void *arg)
{
	struct spi_ctx *ctx = arg;
	struct etsa sa;

	if (attr_get_sa(nlh, &sa, NULL) <= 0 ||
	    !(sa.has & BIT(ESPTUN_SA_A_SPI)))
		return -1;
	ctx->spi = sa.spi;
	ctx->got_spi = 1;
	return 0;
}

static int sa_request(uint8_t cmd, uint32_t ifindex, const struct etsa *sa,
		      struct spi_ctx *ctx)
{
	struct etnl_req r = { .parse = ctx ? parse_spi : NULL, .arg = ctx };

	if (etnl_sa_request(&nl, cmd, 0, ifindex, NULL, sa, &r) < 0)
		return report(&r);
	return 0;
}

int ipc_sa_dump(uint32_t ifindex, ipc_sa_cb cb, void *arg)
{
	struct dump_ctx d = { 0 };
	struct etnl_req r = { .parse = keep_sa, .restart = forget, .arg = &d };
	const struct etsa *sa = NULL;
	int err = 0;
	size_t i;

	if (etnl_sa_request(&nl, ESPTUN_CMD_SA_GET, NLM_F_DUMP, ifindex, NULL,
			    NULL, &r) < 0)
		err = report(&r);
	for (i = 0, sa = d.items; !err && i < d.n; i++)
		if (cb(&sa[i], arg) < 0)
			err = -1;
	free(d.items);
	return err;
}

int ipc_sa_new(uint32_t ifindex, const struct etsa *sa)
{
	return sa_request(ESPTUN_CMD_SA_NEW, ifindex, sa, NULL);
}

int ipc_sa_update(uint32_t ifindex, const struct etsa *sa)
{
	return sa_request(ESPTUN_CMD_SA_UPDATE, ifindex, sa, NULL);
}

int ipc_sa_del(uint32_t ifindex, const struct etsa *sa)
{
	return sa_request(ESPTUN_CMD_SA_DEL, ifindex, sa, NULL);
}

int ipc_sa_flush(uint32_t ifindex)
{
	return sa_request(ESPTUN_CMD_SA_FLUSH, ifindex, NULL, NULL);
}

int ipc_spi_alloc(uint32_t ifindex, const struct etsa *req, uint32_t *spi)
{
	struct spi_ctx ctx = { 0 };

	if (sa_request(ESPTUN_CMD_SPI_ALLOC, ifindex,
		       req->has || req->local.family ? req : NULL, &ctx) < 0)
		return -1;
	if (!ctx.got_spi) {
		fprintf(stderr, "esptun: %s: the kernel sent no SPI\n",
			op_name);
		return -1;
	}
	*spi = ctx.spi;
	return 0;
}

/* ---- events ---- */

struct ev_ctx {
	ipc_event_cb cb;
	void *arg;
	int failed;
};

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh;
	struct ev_ctx *ctx = arg;
	struct etevent ev;

	if (nlh->nlmsg_type != nl.family || !genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	gh = nlmsg_data(nlh);
	memset(&ev, 0, sizeof(ev));
	ev.cmd = gh->cmd;
	if (attr_get_sa(nlh, &ev.sa, &ev.reason) < 0) {
		fprintf(stderr, "esptun: %s: malformed event skipped\n",
			op_name);
		return NL_SKIP;
	}
	if (ctx->cb(&ev, ctx->arg) < 0) {
		ctx->failed = 1;
		return NL_STOP;
	}
	return NL_OK;
}

int ipc_monitor(ipc_event_cb cb, void *arg, volatile sig_atomic_t *stop,
		const sigset_t *waitmask)
{
	struct ev_ctx ctx = { cb, arg, 0 };
	struct pollfd pfd;
	char why[256];
	int err;

	nl_socket_modify_cb(nl.sock, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &ctx);
	if (etnl_subscribe(&nl, why, sizeof(why)) < 0) {
		fprintf(stderr, "esptun: %s: %s\n", op_name, why);
		return -1;
	}
	/* Like tcpdump: from here on no event is missed, which scripts that
	 * start a monitor and then cause events need to know.
	 */
	fprintf(stderr, "esptun: %s: listening for events\n", op_name);

	pfd.fd = nl_socket_get_fd(nl.sock);
	pfd.events = POLLIN;
	while (!*stop) {
		/*
		 * libnl retries recvmsg() on EINTR, so the signals reach us
		 * only here, in ppoll(), and *stop is checked right after.
		 */
		if (ppoll(&pfd, 1, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "esptun: %s: poll: %s\n", op_name,
				strerror(errno));
			return -1;
		}
		err = nl_recvmsgs_default(nl.sock);
		if (ctx.failed)
			return -1;
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped events for us. */
			fprintf(stderr, "esptun: %s: events lost (receive queue overrun)\n",
				op_name);
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "esptun: %s: %s\n", op_name,
				nl_geterror(err));
			return -1;
		}
	}
	return 0;
}

static int table_dev(const struct etdev *dev, void *arg)
{
	struct ipc_table *t = arg;

	return grow((void **)&t->devs, &t->n_devs, &t->cap_devs,
		    sizeof(*dev), dev);
}

static int table_sa(const struct etsa *sa, void *arg)
{
	struct ipc_table *t = arg;

	return grow((void **)&t->sas, &t->n_sas, &t->cap_sas, sizeof(*sa),
		    sa);
}

static int cmp_dev(const void *a, const void *b)
{
	const struct etdev *x = a, *y = b;

	return strcmp(x->ifname, y->ifname);
}

static int cmp_sa(const void *a, const void *b)
{
	const struct etsa *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return x->spi < y->spi ? -1 : x->spi > y->spi;
}

int ipc_table_read(uint32_t ifindex, struct ipc_table *t)
{
	memset(t, 0, sizeof(*t));
	if (ipc_dev_get(ifindex, table_dev, t) < 0 ||
	    ipc_sa_dump(ifindex, table_sa, t) < 0)
		return -1;
	if (t->n_devs)
		qsort(t->devs, t->n_devs, sizeof(*t->devs), cmp_dev);
	if (t->n_sas)
		qsort(t->sas, t->n_sas, sizeof(*t->sas), cmp_sa);
	return 0;
}

void ipc_table_free(struct ipc_table *t)
{
	free(t->devs);
	free(t->sas);
	memset(t, 0, sizeof(*t));
}
