/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun ESP packet transform (RFC 4303): header, trailer, padding and
 * the AEAD request, both directions, synchronous or asynchronous.
 */
#ifndef _ESPTUN_ESP_H
#define _ESPTUN_ESP_H

#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "sa.h"

/**
 * struct esptun_skb_cb - per-packet state while the packet is ours
 * @sa: the SA, one reference held
 * @tmp: crypto scratch memory of the packet (AD, IV, request, sg)
 * @seq: full sequence number
 * @tos: output: outer TOS/traffic class; input: outer ECN field
 * @ttl: output: outer TTL/hop limit
 * @in_flags: input: ESPTUN_IN_MOVED, the outer source is not the SA's
 *	remote (remote-moved); ESPTUN_IN_XNET, the packet came in from
 *	another namespace than the device's
 * @df: output: outer DF bit (IPv4)
 * @sport: input: UDP source port of the packet, 0 for raw ESP
 * @family: outer address family
 * @encap: ESPTUN_ENCAP_*; output: fixed when headroom and MTU were sized
 * @inner_len: output: what lifetimes count once sent
 * @dport: input: UDP destination port of the packet
 * @saddr: output: outer source address chosen by the route lookup;
 *	input: outer source address of the packet
 *
 * Lives in skb->cb between the handover to the data path and the end of
 * the crypto operation; the IP layer's own cb is rewritten before the
 * packet goes back to the stack.
 */
struct esptun_skb_cb {
	struct esptun_sa *sa;
	void *tmp;
	u64 seq;
	u8 tos;
	union {
		u8 ttl;
		u8 in_flags;
	};
	union {
		__be16 df;
		__be16 sport;
	};
	u8 family;
	u8 encap;
	union {
		u16 inner_len;
		__be16 dport;
	};
	union esptun_inaddr saddr;
};

#define ESPTUN_CB(skb) ((struct esptun_skb_cb *)(skb)->cb)
#define ESPTUN_IN_MOVED		0x01
#define ESPTUN_IN_XNET		0x02

static inline void esptun_cb_check(void)
{
	BUILD_BUG_ON(sizeof(struct esptun_skb_cb) >
		     sizeof_field(struct sk_buff, cb));
}

/* ESP header plus IV, trailer and ICV of @sa for @len inner bytes. */
static inline unsigned int esptun_esp_len(const struct esptun_sa_dp *dp,
					  unsigned int len)
{
	return 8 + dp->ivlen + ALIGN(len + 2, dp->blocksize) + dp->icvlen;
}

void esptun_esp_output(struct sk_buff *skb, unsigned int headroom);
void esptun_esp_input(struct sk_buff *skb);
void esptun_esp_exit(void);

/* Continuations, called with the result of the crypto operation. */
void esptun_xmit_finish(struct sk_buff *skb, int err);
void esptun_recv_finish(struct sk_buff *skb, int err);

#endif /* _ESPTUN_ESP_H */
