/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKE's UDP sockets: ports 500 and 4500, IPv4 and IPv6, bound to the
 * wildcard address with packet info on, so each datagram's destination
 * is known and the answer leaves from that same address.
 *
 * The 4500 sockets carry UDP_ENCAP_ESPINUDP (RFC 3948): the kernel takes
 * ESP off them and hands us only IKE, prefixed with the 4-byte non-ESP
 * marker, which this file strips on input and adds on output.
 */
#ifndef ESPTUND_NET_H
#define ESPTUND_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NET_IKE_PORT		500
#define NET_NATT_PORT		4500
#define NET_MAX_DGRAM		65535

struct net;

/* One datagram: from the peer, to our address (ports included). */
typedef void (*net_rx_cb)(void *arg, const struct sockaddr_storage *from,
			  const struct sockaddr_storage *to,
			  const uint8_t *buf, size_t len);

/*
 * Opens the sockets. ike_port/natt_port 0 mean the defaults (tests may
 * pick others). Fails only when no IPv4 or IPv6 socket for ike_port
 * could be bound; a missing family is logged.
 */
struct net *net_open(uint16_t ike_port, uint16_t natt_port,
		     char *err, size_t errlen);
void net_close(struct net *n);

/* Descriptors to poll (up to 4); returns how many were written. */
int net_fds(struct net *n, int *fds, int max);
/* Reads every pending datagram of fd and calls cb for each. */
void net_read(struct net *n, int fd, net_rx_cb cb, void *arg);

/*
 * Sends from our address `from` (its port picks the socket: 4500 adds the
 * non-ESP marker) to `to`. 0 or -errno.
 */
int net_send(struct net *n, const struct sockaddr_storage *from,
	     const struct sockaddr_storage *to, const uint8_t *buf,
	     size_t len);

/*
 * One NAT keepalive (RFC 3948 2.3: a single 0xff byte, no marker) from
 * our NAT-T socket to `to`, keeping the NAT's mapping of ESP in UDP
 * open. 0 or -errno.
 */
int net_send_keepalive(struct net *n, const struct sockaddr_storage *from,
		       const struct sockaddr_storage *to);

#endif
