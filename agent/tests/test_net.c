// SPDX-License-Identifier: GPL-2.0
/*
 * UDP sockets over loopback: the destination of each datagram is known,
 * the reply leaves from it, the 4500 socket strips and adds the non-ESP
 * marker; and the event loop's timers and descriptors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "net.h"
#include "tap.h"

struct rx {
	int n;
	struct sockaddr_storage from, to;
	uint8_t buf[256];
	size_t len;
};

static void on_rx(void *arg, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *to, const uint8_t *buf,
		  size_t len)
{
	struct rx *rx = arg;

	rx->n++;
	rx->from = *from;
	rx->to = *to;
	rx->len = len < sizeof(rx->buf) ? len : sizeof(rx->buf);
	memcpy(rx->buf, buf, rx->len);
}

static void drain(struct net *n, struct rx *rx)
{
	int fds[4], k, i;
	struct pollfd p[4];

	k = net_fds(n, fds, 4);
	for (i = 0; i < k; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN;
	}
	if (poll(p, k, 2000) <= 0)
		return;
	for (i = 0; i < k; i++)
		if (p[i].revents & POLLIN)
			net_read(n, fds[i], on_rx, rx);
}

static void test_v4(struct net *n, uint16_t ike, uint16_t natt)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct sockaddr_in me = { .sin_family = AF_INET };
	struct sockaddr_in *from, *to;
	socklen_t ml = sizeof(me);
	struct rx rx = { 0 };
	uint8_t buf[64];
	int c;

	c = socket(AF_INET, SOCK_DGRAM, 0);
	inet_pton(AF_INET, "127.0.0.2", &me.sin_addr);
	bind(c, (struct sockaddr *)&me, sizeof(me));
	getsockname(c, (struct sockaddr *)&me, &ml);

	/* Sent to 127.0.0.3: the reply must come from 127.0.0.3. */
	inet_pton(AF_INET, "127.0.0.3", &dst.sin_addr);
	dst.sin_port = htons(ike);
	sendto(c, "hello-ike", 9, 0, (struct sockaddr *)&dst, sizeof(dst));
	drain(n, &rx);
	is_int(rx.n, 1, "v4 datagram received on the IKE port");
	from = (struct sockaddr_in *)&rx.from;
	to = (struct sockaddr_in *)&rx.to;
	ok(from->sin_addr.s_addr == me.sin_addr.s_addr &&
	   from->sin_port == me.sin_port, "from is the sender");
	ok(to->sin_family == AF_INET &&
	   to->sin_addr.s_addr == dst.sin_addr.s_addr &&
	   ntohs(to->sin_port) == ike, "to is the address it came to");
	is_mem(rx.buf, "hello-ike", 9, "payload intact");

	is_int(net_send(n, &rx.to, &rx.from, (const uint8_t *)"reply", 5), 0,
	       "reply sent");
	{
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		ssize_t k = recvfrom(c, buf, sizeof(buf), 0,
				     (struct sockaddr *)&src, &sl);

		is_int(k, 5, "reply received");
		ok(src.sin_addr.s_addr == dst.sin_addr.s_addr &&
		   ntohs(src.sin_port) == ike,
		   "reply left from the request's destination address");
	}

	/* NAT-T port: marker stripped on input, added on output. */
	memset(&rx, 0, sizeof(rx));
	dst.sin_port = htons(natt);
	sendto(c, "\0\0\0\0ike-natt", 12, 0, (struct sockaddr *)&dst,
	       sizeof(dst));
	drain(n, &rx);
	is_int(rx.n, 1, "datagram with non-ESP marker received on 4500");
	is_int(rx.len, 8, "marker stripped");
	is_mem(rx.buf, "ike-natt", 8, "NAT-T payload");
	is_int(ntohs(((struct sockaddr_in *)&rx.to)->sin_port), natt,
	       "to carries the NAT-T port");
	is_int(net_send(n, &rx.to, &rx.from, (const uint8_t *)"r2", 2), 0,
	       "reply on the NAT-T port");
	{
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		ssize_t k = recvfrom(c, buf, sizeof(buf), 0,
				     (struct sockaddr *)&src, &sl);

		is_int(k, 6, "reply carries the marker");
		is_mem(buf, "\0\0\0\0r2", 6, "marker then payload");
		is_int(ntohs(src.sin_port), natt, "reply from port 4500 socket");
	}
	close(c);
}

static void test_v6(struct net *n, uint16_t ike)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	struct rx rx = { 0 };
	int c = socket(AF_INET6, SOCK_DGRAM, 0);

	if (c < 0) {
		ok(1, "# SKIP no IPv6");
		return;
	}
	dst.sin6_addr = in6addr_loopback;
	dst.sin6_port = htons(ike);
	if (sendto(c, "v6", 2, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		ok(1, "# SKIP no IPv6 loopback");
		close(c);
		return;
	}
	drain(n, &rx);
	ok(rx.n == 1 && rx.to.ss_family == AF_INET6 &&
	   !memcmp(&((struct sockaddr_in6 *)&rx.to)->sin6_addr,
		   &in6addr_loopback, 16), "v6 datagram with its destination");
	is_int(net_send(n, &rx.to, &rx.from, (const uint8_t *)"r6", 2), 0,
	       "v6 reply sent");
	close(c);
}

static int order[8], n_order;

static void tcb(void *arg)
{
	order[n_order++] = (int)(long)arg;
}

static int fd_hits;

static void fcb(void *arg, int fd, uint32_t ev)
{
	char b[8];

	fd_hits++;
	if (read(fd, b, sizeof(b)) < 0)
		fd_hits = -100;
}

static void test_loop(void)
{
	struct loop *l = loop_new();
	struct loop_timer *t;
	uint64_t start = loop_now_ms();
	int p[2], i;

	loop_timer_add(l, 30, tcb, (void *)3L);
	loop_timer_add(l, 10, tcb, (void *)1L);
	t = loop_timer_add(l, 20, tcb, (void *)99L);
	loop_timer_add(l, 20, tcb, (void *)2L);
	loop_timer_cancel(l, t);
	for (i = 0; i < 20 && n_order < 3; i++)
		loop_run_once(l, 100);
	is_int(n_order, 3, "three timers fired, the cancelled one did not");
	ok(order[0] == 1 && order[1] == 2 && order[2] == 3,
	   "timers fire in deadline order");
	ok(loop_now_ms() - start >= 30, "not before their time");

	if (pipe(p) == 0) {
		loop_add_fd(l, p[0], EPOLLIN, fcb, NULL);
		if (write(p[1], "x", 1) != 1)
			fd_hits = -100;
		loop_run_once(l, 100);
		is_int(fd_hits, 1, "descriptor callback runs");
		loop_del_fd(l, p[0]);
		if (write(p[1], "x", 1) != 1)
			fd_hits = -100;
		loop_run_once(l, 10);
		is_int(fd_hits, 1, "removed descriptor is not watched");
		close(p[0]);
		close(p[1]);
	}
	loop_free(l);
}

int main(void)
{
	uint16_t ike = 20000 + getpid() % 20000, natt = ike + 1;
	char err[256];
	struct net *n;

	test_loop();
	n = net_open(ike, natt, err, sizeof(err));
	ok(n != NULL, "sockets open (%s)", n ? "ok" : err);
	if (!n)
		return tap_done();
	test_v4(n, ike, natt);
	test_v6(n, ike);
	net_close(n);
	return tap_done();
}
