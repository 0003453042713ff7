// SPDX-License-Identifier: GPL-2.0
/*
 * SAs a previous esptund left: noted per device, removed per peer once
 * asked, nothing else touched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ike/ikev1.h"
#include "kernel/backend.h"
#include "leftover.h"
#include "tap.h"

static void in4(struct sockaddr_storage *ss, const char *a)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_INET;
	inet_pton(AF_INET, a, &((struct sockaddr_in *)ss)->sin_addr);
}

/* An SA between 192.0.2.1 and PEER on IFNAME, as esptund installs it. */
static void add(struct kernel *k, const char *ifname, enum ike_sa_dir dir,
		uint32_t spi, const char *peer)
{
	struct ike_kernel_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.dir = dir;
	sa.spi = spi;
	in4(dir == IKE_DIR_IN ? &sa.dst : &sa.src, "192.0.2.1");
	in4(dir == IKE_DIR_IN ? &sa.src : &sa.dst, peer);
	kernel_sa_add(k, ifname, &sa);
}

static int n_del(struct kernel_mock *m, uint32_t spi)
{
	int i, n = 0;

	for (i = 0; i < m->n_calls; i++)
		if (!strcmp(m->calls[i].op, "sa_del") &&
		    (!spi || m->calls[i].spi == spi))
			n++;
	return n;
}

static void t_scan_and_drop(void)
{
	struct kernel *k = kernel_mock_new();
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct leftovers l = { 0 };
	struct sockaddr_storage peer, other;

	add(k, "esp0", IKE_DIR_IN, 0x1001, "192.0.2.2");
	add(k, "esp0", IKE_DIR_OUT, 0x2001, "192.0.2.2");
	add(k, "esp0", IKE_DIR_OUT, 0x3001, "192.0.2.3");
	add(k, "esp1", IKE_DIR_OUT, 0x4001, "192.0.2.2");
	m->n_calls = 0;

	is_int(leftover_scan(&l, k, "esp0"), 0, "scan: esp0 listed");
	is_int((int)l.n, 3, "scan: the three SAs of esp0, not esp1's");
	is_int(n_del(m, 0), 0, "scan: deletes nothing");

	in4(&other, "198.51.100.7");
	is_int(leftover_drop(&l, k, "esp0", &other, 1000), 0,
	       "drop: nothing toward a peer without leftovers");
	in4(&peer, "192.0.2.2");
	is_int(leftover_drop(&l, k, "esp1", &peer, 1000), 0,
	       "drop: nothing on a device never scanned");
	is_int((int)leftover_next_ms(&l, 1000), -1, "drop: nothing due yet");
	is_int(leftover_drop(&l, k, "esp0", &peer, 1000), 1,
	       "drop: the outbound SA toward the peer at once");
	ok(n_del(m, 0x2001) == 1 && n_del(m, 0) == 1,
	   "drop: exactly 2001 out deleted, 1001 in kept");
	is_int((int)leftover_next_ms(&l, 1000), REKEY_GRACE_MS,
	       "drop: the inbound one due a rekey's grace period later");
	is_int(leftover_drop(&l, k, "esp0", &peer, 3000), 0,
	       "drop: a second outbound SA does not delay it");
	is_int((int)leftover_next_ms(&l, 3000), REKEY_GRACE_MS - 2000,
	       "drop: still due at the first time");
	is_int(leftover_due(&l, k, 1000 + REKEY_GRACE_MS - 1), 0,
	       "due: nothing before its time");
	is_int(leftover_due(&l, k, 1000 + REKEY_GRACE_MS), 1,
	       "due: the inbound SA then");
	ok(n_del(m, 0x1001) == 1 && n_del(m, 0) == 2,
	   "due: exactly 1001 in deleted");
	is_int(m->n_sas, 2, "drop: the other peer's and esp1's SAs stay");
	is_int((int)leftover_next_ms(&l, 1000 + REKEY_GRACE_MS), -1,
	       "due: nothing left due");
	is_int(leftover_drop(&l, k, "esp0", &peer, 9000), 0,
	       "drop: forgotten once removed");
	is_int((int)l.n, 1, "drop: the other peer's leftover still noted");
	leftover_free(&l);
	kernel_free(k);
}

/*
 * A noted SA that went away (expired) before the drop, its SPI taken
 * since by another SA: a manual one toward another peer, this run's own
 * toward the same peer. Neither is the leftover; neither is deleted.
 */
static void t_spi_reused(void)
{
	struct kernel *k = kernel_mock_new();
	struct kernel_mock *m = (struct kernel_mock *)k;
	struct leftovers l = { 0 };
	struct sockaddr_storage peer;

	add(k, "esp0", IKE_DIR_IN, 0x1001, "192.0.2.2");
	add(k, "esp0", IKE_DIR_OUT, 0x2001, "192.0.2.2");
	add(k, "esp0", IKE_DIR_OUT, 0x3001, "192.0.2.2");
	is_int(leftover_scan(&l, k, "esp0"), 0, "reused: esp0 listed");
	kernel_sa_del(k, "esp0", IKE_DIR_OUT, 0x2001);
	add(k, "esp0", IKE_DIR_OUT, 0x2001, "192.0.2.3");
	kernel_sa_del(k, "esp0", IKE_DIR_IN, 0x1001);
	add(k, "esp0", IKE_DIR_IN, 0x1001, "192.0.2.2");
	m->n_calls = 0;

	in4(&peer, "192.0.2.2");
	is_int(leftover_drop(&l, k, "esp0", &peer, 0) +
	       leftover_due(&l, k, REKEY_GRACE_MS), 1,
	       "reused: only the leftover still there is removed");
	ok(n_del(m, 0x3001) == 1 && n_del(m, 0) == 1,
	   "reused: 3001 deleted, not the SAs that took 1001 and 2001");
	is_int(m->n_sas, 2, "reused: the new 1001 and 2001 stay");
	is_int((int)l.n, 0, "reused: nothing noted for the peer any more");
	leftover_free(&l);
	kernel_free(k);
}

/* A due inbound SA on a device that cannot be listed: later, no loop. */
static void t_due_scan_fails(void)
{
	struct kernel *k = kernel_mock_new();
	struct leftovers l = { 0 };
	struct sockaddr_storage peer;

	add(k, "esp0", IKE_DIR_IN, 0x1001, "192.0.2.2");
	is_int(leftover_scan(&l, k, "esp0"), 0, "due/fail: esp0 listed");
	in4(&peer, "192.0.2.2");
	leftover_drop(&l, k, "esp0", &peer, 0);
	((struct kernel_mock *)k)->fail_errno = ENODEV;
	is_int(leftover_due(&l, k, REKEY_GRACE_MS), 0,
	       "due/fail: nothing deleted");
	is_int((int)leftover_next_ms(&l, REKEY_GRACE_MS), REKEY_GRACE_MS,
	       "due/fail: tried again a grace period later");
	((struct kernel_mock *)k)->fail_errno = 0;
	is_int(leftover_due(&l, k, 2 * REKEY_GRACE_MS), 1,
	       "due/fail: deleted once the device answers");
	leftover_free(&l);
	kernel_free(k);
}

static void t_scan_fails(void)
{
	struct kernel *k = kernel_mock_new();
	struct leftovers l = { 0 };

	((struct kernel_mock *)k)->fail_errno = ENODEV;
	is_int(leftover_scan(&l, k, "esp0"), -ENODEV,
	       "scan: the kernel's error is passed on");
	is_int((int)l.n, 0, "scan: nothing noted on failure");
	leftover_free(&l);
	kernel_free(k);
}

int main(void)
{
	t_scan_and_drop();
	t_spi_reused();
	t_due_scan_fails();
	t_scan_fails();
	return tap_done();
}
