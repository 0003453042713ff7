/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel as esptund sees it: tunnel devices, SPI allocation, SAs and
 * the module's events. One vtable, two implementations: genl.c talks to
 * esptun.ko over generic netlink, mock.c records calls for tests. The
 * daemon glues these to the engine's ike_env callbacks.
 */
#ifndef ESPTUND_KERNEL_BACKEND_H
#define ESPTUND_KERNEL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike/engine.h"

struct kernel;
struct etnl;

struct kernel_event {
	enum ike_kernel_event type;
	char ifname[16];
	uint32_t spi;
	enum ike_sa_dir dir;
	/* Port 0 when unknown; UDP ports for ESP in UDP (encap). */
	struct sockaddr_storage local, remote;
	bool encap;
	/* Acquire: the packet's source and destination (family 0: none). */
	struct ike_ts sel_src, sel_dst;
};

typedef void (*kernel_event_cb)(void *arg, const struct kernel_event *ev);

/* One SA of a device, as sa_list reports it. */
struct kernel_sa_ent {
	enum ike_sa_dir dir;
	uint32_t spi;
	/* The peer's outer address (port 0); family 0 when the SA has none. */
	struct sockaddr_storage remote;
	/* When it was installed, seconds since the epoch; 0 unknown. */
	uint64_t add_time;
};

typedef void (*kernel_sa_cb)(void *arg, const struct kernel_sa_ent *sa);

struct kernel_ops {
	/* Creates the esptun device unless it exists; brings it up. */
	int (*dev_ensure)(struct kernel *k, const char *ifname, bool *created);
	/* Outer endpoints, the defaults of the device's SAs. */
	int (*dev_set)(struct kernel *k, const char *ifname,
		       const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote);
	/* A random free inbound SPI, reserved until used or released. */
	int (*spi_alloc)(struct kernel *k, const char *ifname,
			 const struct sockaddr_storage *local, uint32_t *spi);
	int (*sa_add)(struct kernel *k, const char *ifname,
		      const struct ike_kernel_sa *sa);
	int (*sa_del)(struct kernel *k, const char *ifname,
		      enum ike_sa_dir dir, uint32_t spi);
	/* Moves an SA: addresses, encapsulation and ports of sa (NAT-T). */
	int (*sa_update)(struct kernel *k, const char *ifname,
			 const struct ike_kernel_sa *sa);
	/* Number of SAs the module holds for the device, or -errno. */
	int (*sa_count)(struct kernel *k, const char *ifname);
	/* Calls cb for each SA of the device. 0 or -errno. */
	int (*sa_list)(struct kernel *k, const char *ifname, kernel_sa_cb cb,
		       void *arg);
	/*
	 * When the SA last took a packet: seconds since the epoch, 0 if
	 * never (ESPTUN_SA_A_LAST_USE).
	 */
	int (*sa_last_use)(struct kernel *k, const char *ifname,
			   enum ike_sa_dir dir, uint32_t spi,
			   uint64_t *last_use);
	/*
	 * The device's carrier (ESPTUN_DEV_A_CARRIER). -EOPNOTSUPP when the
	 * module does not report one, which then is left alone.
	 */
	int (*dev_carrier)(struct kernel *k, const char *ifname, bool on);
	/* Adds or removes an address (Mode Config) on the device. */
	int (*dev_addr)(struct kernel *k, const char *ifname,
			const struct ike_ts *addr, bool add);
	/* Pollable descriptor for events, -1 if none. */
	int (*event_fd)(struct kernel *k);
	/* Reads what is pending on event_fd, one callback per event. */
	int (*event_read)(struct kernel *k, kernel_event_cb cb, void *arg);
	void (*free)(struct kernel *k);
};

struct kernel {
	const struct kernel_ops *ops;
	/* The kernel's extack message or a local reason for the last error. */
	char err[256];
};

/* NULL with a reason in err when the module or netlink is unavailable. */
struct kernel *kernel_genl_open(char *err, size_t errlen);
/*
 * The same backend on an open esptun client, which it takes over: SPIs
 * and SAs, and events when ev (subscribed) is given; no device creation.
 * Tests give it clients whose socket I/O is faked.
 */
struct kernel *kernel_genl_over(struct etnl *nl, struct etnl *ev);

/* In-memory recording backend for tests. */
struct kernel_mock_call {
	char op[16];		/* "dev_ensure", "sa_add", ... */
	char ifname[16];
	enum ike_sa_dir dir;
	uint32_t spi;
	bool on;			/* dev_carrier and dev_addr only */
	struct ike_ts addr;		/* dev_addr */
	struct ike_kernel_sa sa;	/* sa_add and sa_update */
};

#define KERNEL_MOCK_MAX_CALLS	64
#define KERNEL_MOCK_MAX_SAS	16
#define KERNEL_MOCK_MAX_EVENTS	8

/* An SA the mock holds: what sa_last_use reports. */
struct kernel_mock_sa {
	bool live;
	char ifname[16];
	enum ike_sa_dir dir;
	uint32_t spi;
	uint64_t last_use;		/* seconds since the epoch, 0 never */
	struct sockaddr_storage remote;	/* the peer's outer address */
	uint64_t add_time;		/* a count of SAs added, from 1 */
};

struct kernel_mock {
	struct kernel k;
	struct kernel_mock_call calls[KERNEL_MOCK_MAX_CALLS];
	int n_calls;
	uint32_t next_spi;
	int fail_errno;		/* when set, every op fails with -fail_errno */
	int n_sas;
	struct kernel_mock_sa sas[KERNEL_MOCK_MAX_SAS];
	/* SPIs reserved and neither added nor released yet (the newest). */
	uint32_t reserved[KERNEL_MOCK_MAX_SAS];
	int n_reserved;
	uint64_t n_added;
	/* The device's carrier: 1 on (the module's default), 0 off. */
	int carrier;
	bool no_carrier;	/* a module that does not report carrier */
	/* Events event_read delivers next (kernel_mock_push_event). */
	struct kernel_event events[KERNEL_MOCK_MAX_EVENTS];
	int n_events;
};

struct kernel *kernel_mock_new(void);
/* Packets on the SA at time t (epoch seconds): its last use. */
int kernel_mock_use(struct kernel *k, enum ike_sa_dir dir, uint32_t spi,
		    uint64_t t);
/* Queues an event for the next event_read; -1 when the queue is full. */
int kernel_mock_push_event(struct kernel *k, const struct kernel_event *ev);

/* Convenience wrappers, so callers read like plain functions. */
static inline int kernel_dev_ensure(struct kernel *k, const char *ifname,
				    bool *created)
{
	return k->ops->dev_ensure(k, ifname, created);
}

static inline int kernel_dev_set(struct kernel *k, const char *ifname,
				 const struct sockaddr_storage *local,
				 const struct sockaddr_storage *remote)
{
	return k->ops->dev_set(k, ifname, local, remote);
}

static inline int kernel_spi_alloc(struct kernel *k, const char *ifname,
				   const struct sockaddr_storage *local,
				   uint32_t *spi)
{
	return k->ops->spi_alloc(k, ifname, local, spi);
}

static inline int kernel_sa_add(struct kernel *k, const char *ifname,
				const struct ike_kernel_sa *sa)
{
	return k->ops->sa_add(k, ifname, sa);
}

static inline int kernel_sa_del(struct kernel *k, const char *ifname,
				enum ike_sa_dir dir, uint32_t spi)
{
	return k->ops->sa_del(k, ifname, dir, spi);
}

static inline int kernel_sa_update(struct kernel *k, const char *ifname,
				   const struct ike_kernel_sa *sa)
{
	return k->ops->sa_update(k, ifname, sa);
}

static inline int kernel_sa_count(struct kernel *k, const char *ifname)
{
	return k->ops->sa_count(k, ifname);
}

static inline int kernel_sa_list(struct kernel *k, const char *ifname,
				 kernel_sa_cb cb, void *arg)
{
	return k->ops->sa_list(k, ifname, cb, arg);
}

static inline int kernel_sa_last_use(struct kernel *k, const char *ifname,
				     enum ike_sa_dir dir, uint32_t spi,
				     uint64_t *last_use)
{
	return k->ops->sa_last_use(k, ifname, dir, spi, last_use);
}

static inline int kernel_dev_carrier(struct kernel *k, const char *ifname,
				     bool on)
{
	return k->ops->dev_carrier(k, ifname, on);
}

static inline int kernel_dev_addr(struct kernel *k, const char *ifname,
				  const struct ike_ts *addr, bool add)
{
	return k->ops->dev_addr(k, ifname, addr, add);
}

static inline int kernel_event_fd(struct kernel *k)
{
	return k->ops->event_fd(k);
}

static inline int kernel_event_read(struct kernel *k, kernel_event_cb cb,
				    void *arg)
{
	return k->ops->event_read(k, cb, arg);
}

static inline void kernel_free(struct kernel *k)
{
	if (k)
		k->ops->free(k);
}

#endif
