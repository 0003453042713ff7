// SPDX-License-Identifier: GPL-2.0
/*
 * esptun encap-listen [--bind ADDR] [PORT]: holds UDP sockets with
 * UDP_ENCAP_ESPINUDP set, so the kernel hands ESP-in-UDP (RFC 3948)
 * arriving on PORT to the ESP handlers, esptun's included. Manual keying
 * with "encap espinudp" needs such a holder, as it does for ip-xfrm;
 * esptund holds its own 4500 socket instead.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "subcommands.h"
#include "util.h"

#ifndef UDP_ENCAP
#define UDP_ENCAP		100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP	2
#endif

static const char usage[] = "esptun encap-listen [--bind ADDR] [PORT]";

static volatile sig_atomic_t stop;

/* Returns the socket, or -1 after printing why. */
static int open_one(const struct ipaddr *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, type = UDP_ENCAP_ESPINUDP;
	char buf[IPADDR_STRLEN];
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (addr->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = addr->v4;
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = addr->v6;
		len = sizeof(*sin6);
	}
	fd = socket(addr->family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		fprintf(stderr, "esptun: encap-listen: socket: %s\n",
			strerror(errno));
		return -1;
	}
	/*
	 * One socket per family: the IPv4 one gets xfrm4's encap receive, the
	 * IPv6 one xfrm6's, so the v6 socket must not take v4-mapped traffic.
	 */
	if (addr->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, "esptun: encap-listen: bind %s port %u: %s\n",
			addr_str(addr, buf, sizeof(buf)), port,
			strerror(errno));
		close(fd);
		return -1;
	}
	if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0)
		goto fail;
	return fd;
fail:
	fprintf(stderr, "esptun: encap-listen: setsockopt: %s\n",
		strerror(errno));
	close(fd);
	return -1;
}

/* [--bind ADDR] [PORT] -> the addresses to listen on (n) and the port. */
static int parse_encap_args(struct args *a, struct ipaddr addrs[2], int *n,
			    uint16_t *port)
{
	struct ipaddr bind_addr = { 0 };
	int have_port = 0;
	const char *w, *v;

	while ((w = args_next(a))) {
		if (!strcmp(w, "--bind") || !strcmp(w, "bind")) {
			v = args_value(a, w);
			if (!v)
				return EXIT_USAGE;
			if (bind_addr.family)
				return usage_error(a, "\"%s\" given twice", w);
			if (arg_addr(a, "bind address", v, &bind_addr))
				return EXIT_USAGE;
		} else if (!have_port) {
			if (arg_port(a, "port", w, 0, port))
				return EXIT_USAGE;
			have_port = 1;
		} else {
			return usage_error(a, "unexpected argument \"%s\"", w);
		}
	}
	memset(addrs, 0, 2 * sizeof(*addrs));
	if (bind_addr.family) {
		addrs[0] = bind_addr;
		*n = 1;
	} else {
		addrs[0].family = AF_INET;	/* INADDR_ANY */
		addrs[1].family = AF_INET6;	/* in6addr_any */
		*n = 2;
	}
	return 0;
}

/* Until a signal: what reaches the sockets is drained and dropped. */
static int drain(struct pollfd *pfd, int n, const sigset_t *waitmask)
{
	char buf[2048];
	int i;

	while (!stop) {
		if (ppoll(pfd, n, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "esptun: encap-listen: poll: %s\n",
				strerror(errno));
			return 1;
		}
		/*
		 * What reaches the socket is not ESP (IKE with the non-ESP
		 * marker): no one here speaks IKE, so it is dropped.
		 */
		for (i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				while (recv(pfd[i].fd, buf, sizeof(buf),
					    MSG_DONTWAIT) >= 0)
					;
	}
	return 0;
}

int cmd_encap_listen(int argc, char **argv, int json)
{
	struct ipaddr addrs[2];
	struct pollfd pfd[2];
	char as[IPADDR_STRLEN];
	sigset_t waitmask;
	uint16_t port = 4500;
	int n = 0, i, ret;
	struct args a;

	args_init(&a, argc, argv, "encap-listen", usage);
	if (is_help(args_peek(&a)))
		return usage_help(usage);
	ret = parse_encap_args(&a, addrs, &n, &port);
	if (ret)
		return ret;

	stop_signals(&stop, &waitmask);
	for (i = 0; i < n; i++) {
		pfd[i].fd = open_one(&addrs[i], port);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0) {
			n = i;
			ret = 1;
			goto out;
		}
	}
	printf("esptun: encap-listen: ESP-in-UDP on");
	for (i = 0; i < n; i++)
		printf(addrs[i].family == AF_INET6 ? "%s [%s]:%u" : "%s %s:%u",
		       i ? "," : "", addr_str(&addrs[i], as, sizeof(as)), port);
	printf("\n");
	fflush(stdout);
	ret = drain(pfd, n, &waitmask);
out:
	for (i = 0; i < n; i++)
		close(pfd[i].fd);
	return ret;
}
