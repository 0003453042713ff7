// SPDX-License-Identifier: GPL-2.0
/*
 * UDP for IKE. Wildcard sockets with IP_PKTINFO/IPV6_RECVPKTINFO rather
 * than one socket per address: addresses come and go, and a reply must
 * leave from the address the request came to (peers check it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "log.h"
#include "net.h"

#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

enum { S_V4_IKE, S_V4_NATT, S_V6_IKE, S_V6_NATT, S_MAX };

struct net {
	int fd[S_MAX];
	uint16_t port[S_MAX];
	uint8_t buf[NET_MAX_DGRAM + 4];
};

static int open_one(int family, uint16_t port, int natt, char *err,
		    size_t errlen)
{
	int fd, one = 1, encap = UDP_ENCAP_ESPINUDP;
	struct sockaddr_storage ss;
	socklen_t len;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		len = sizeof(*s4);
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
			       sizeof(one)) < 0)
			goto fail_opt;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
		len = sizeof(*s6);
		/* The IPv4 socket owns IPv4; no mapped addresses here. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			       sizeof(one)) < 0)
			goto fail_opt;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		snprintf(err, errlen, "bind %s port %u: %s",
			 family == AF_INET ? "0.0.0.0" : "[::]", port,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (natt && setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &encap,
			       sizeof(encap)) < 0) {
		snprintf(err, errlen, "UDP_ENCAP_ESPINUDP on port %u: %s",
			 port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
fail_opt:
	snprintf(err, errlen, "setsockopt: %s", strerror(errno));
	close(fd);
	return -1;
}

struct net *net_open(uint16_t ike_port, uint16_t natt_port, char *err,
		     size_t errlen)
{
	struct net *n = calloc(1, sizeof(*n));
	char e[256];
	int i;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->port[S_V4_IKE] = n->port[S_V6_IKE] = ike_port ? ike_port :
						 NET_IKE_PORT;
	n->port[S_V4_NATT] = n->port[S_V6_NATT] = natt_port ? natt_port :
						   NET_NATT_PORT;
	for (i = 0; i < S_MAX; i++) {
		int family = i < S_V6_IKE ? AF_INET : AF_INET6;
		int natt = i == S_V4_NATT || i == S_V6_NATT;

		n->fd[i] = open_one(family, n->port[i], natt, e, sizeof(e));
		if (n->fd[i] < 0) {
			if (i == S_V4_IKE) {
				snprintf(err, errlen, "%s", e);
				net_close(n);
				return NULL;
			}
			log_warn("%s socket for port %u unavailable: %s",
				 family == AF_INET ? "IPv4" : "IPv6",
				 n->port[i], e);
		}
	}
	return n;
}

void net_close(struct net *n)
{
	int i;

	if (!n)
		return;
	for (i = 0; i < S_MAX; i++)
		if (n->fd[i] >= 0)
			close(n->fd[i]);
	free(n);
}

int net_fds(struct net *n, int *fds, int max)
{
	int i, k = 0;

	for (i = 0; i < S_MAX && k < max; i++)
		if (n->fd[i] >= 0)
			fds[k++] = n->fd[i];
	return k;
}

static int slot_of(struct net *n, int fd)
{
	int i;

	for (i = 0; i < S_MAX; i++)
		if (n->fd[i] == fd)
			return i;
	return -1;
}

void net_read(struct net *n, int fd, net_rx_cb cb, void *arg)
{
	int slot = slot_of(n, fd);

	if (slot < 0)
		return;
	for (;;) {
		struct sockaddr_storage from, to;
		char cbuf[256];
		struct iovec iov = { n->buf, sizeof(n->buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *c;
		const uint8_t *p = n->buf;
		ssize_t len;
		int have_to = 0;

		len = recvmsg(fd, &mh, 0);
		if (len < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("recvmsg on port %u: %s",
					 n->port[slot], strerror(errno));
			/* ICMP errors queue up as ECONNREFUSED: keep going. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH)
				continue;
			return;
		}
		memset(&to, 0, sizeof(to));
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				struct sockaddr_in *s4 = (void *)&to;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				s4->sin_family = AF_INET;
				s4->sin_addr = pi.ipi_addr;
				s4->sin_port = htons(n->port[slot]);
				have_to = 1;
			} else if (c->cmsg_level == IPPROTO_IPV6 &&
				   c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				struct sockaddr_in6 *s6 = (void *)&to;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				s6->sin6_family = AF_INET6;
				s6->sin6_addr = pi.ipi6_addr;
				s6->sin6_port = htons(n->port[slot]);
				have_to = 1;
			}
		}
		if (!have_to) {
			log_dbg("datagram without packet info dropped");
			continue;
		}
		if (slot == S_V4_NATT || slot == S_V6_NATT) {
			static const uint8_t marker[4];

			/* Keepalives (0xff) and the like are not IKE. */
			if (len < 4 || memcmp(p, marker, 4))
				continue;
			p += 4;
			len -= 4;
		}
		cb(arg, &from, &to, p, len);
	}
}

/* One datagram on socket slot, leaving from our address `from`. */
static int send_on(struct net *n, int slot, const struct sockaddr_storage *from,
		   const struct sockaddr_storage *to, struct iovec *iov,
		   int iovlen)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh = { 0 };
	struct cmsghdr *c;

	if (n->fd[slot] < 0)
		return -EAFNOSUPPORT;
	mh.msg_name = (void *)to;
	mh.msg_namelen = to->ss_family == AF_INET ?
			 sizeof(struct sockaddr_in) :
			 sizeof(struct sockaddr_in6);
	mh.msg_iov = iov;
	mh.msg_iovlen = iovlen;
	memset(&cbuf, 0, sizeof(cbuf));
	mh.msg_control = cbuf.b;
	/* Our source address; the kernel picks it when from is unset. */
	if (from->ss_family == AF_INET) {
		struct in_pktinfo pi = { 0 };

		pi.ipi_spec_dst = ((const struct sockaddr_in *)from)->sin_addr;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else if (from->ss_family == AF_INET6) {
		struct in6_pktinfo pi = { 0 };

		pi.ipi6_addr = ((const struct sockaddr_in6 *)from)->sin6_addr;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		mh.msg_control = NULL;
	}
	if (sendmsg(n->fd[slot], &mh, 0) < 0)
		return -errno;
	return 0;
}

int net_send_keepalive(struct net *n, const struct sockaddr_storage *from,
		       const struct sockaddr_storage *to)
{
	static const uint8_t ka = 0xff;
	struct iovec iov = { (void *)&ka, 1 };
	int slot;

	if (to->ss_family == AF_INET)
		slot = S_V4_NATT;
	else if (to->ss_family == AF_INET6)
		slot = S_V6_NATT;
	else
		return -EAFNOSUPPORT;
	return send_on(n, slot, from, to, &iov, 1);
}

int net_send(struct net *n, const struct sockaddr_storage *from,
	     const struct sockaddr_storage *to, const uint8_t *buf,
	     size_t len)
{
	static const uint8_t marker[4];
	struct iovec iov[2];
	uint16_t port;
	int slot, natt, k = 0;

	if (to->ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)from)->sin_port);
	else
		port = ntohs(((const struct sockaddr_in6 *)from)->sin6_port);
	natt = port && port == n->port[S_V4_NATT];
	if (to->ss_family == AF_INET)
		slot = natt ? S_V4_NATT : S_V4_IKE;
	else if (to->ss_family == AF_INET6)
		slot = natt ? S_V6_NATT : S_V6_IKE;
	else
		return -EAFNOSUPPORT;
	if (n->fd[slot] < 0)
		return -EAFNOSUPPORT;
	if (natt) {
		iov[k].iov_base = (void *)marker;
		iov[k++].iov_len = 4;
	}
	iov[k].iov_base = (void *)buf;
	iov[k++].iov_len = len;
	return send_on(n, slot, from, to, iov, k);
}
