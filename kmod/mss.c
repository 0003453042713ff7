// SPDX-License-Identifier: GPL-2.0
/*
 * esptun TCP MSS clamp, as "ip tcp adjust-mss" on a router interface.
 *
 * Hosts behind a tunnel announce an MSS that fits their own link, not
 * the tunnel, and many networks drop the ICMP that path MTU discovery
 * needs. Lowering the MSS option of every TCP SYN that crosses the
 * device, leaving before encryption and arriving after decryption, makes
 * both ends send segments that fit the tunnel from the first one. Only
 * an MSS option larger than the clamp is rewritten; a SYN without one is
 * left alone (its sender then assumes 536 or 1220, which fit). The TCP
 * checksum is updated incrementally, so a bad one stays bad.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <asm/unaligned.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/checksum.h>
#include <net/tcp.h>

#include "mss.h"

/* The MSS that fits, for an inner header of @iphlen bytes. */
static unsigned int esptun_mss_limit(struct esptun_dev *ed, u16 clamp,
				     unsigned int iphlen)
{
	unsigned int mtu;

	if (clamp != ESPTUN_MSS_CLAMP_AUTO)
		return clamp;
	mtu = READ_ONCE(ed->dev->mtu);
	if (mtu <= iphlen + sizeof(struct tcphdr))
		return 0;
	return mtu - iphlen - sizeof(struct tcphdr);
}

/* Rewrite the MSS option of the TCP SYN at @thoff if above @limit. */
static void esptun_mss_tcp(struct sk_buff *skb, unsigned int thoff,
			   unsigned int limit)
{
	unsigned int thlen, i;
	struct tcphdr *th, _th;
	u16 old;
	u8 *opt;

	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th || !th->syn)
		return;
	thlen = th->doff * 4;
	if (thlen <= sizeof(*th) || skb->len < thoff + thlen)
		return;
	if (skb_ensure_writable(skb, thoff + thlen))
		return;
	th = (struct tcphdr *)(skb->data + thoff);
	opt = (u8 *)th;

	for (i = sizeof(*th); i < thlen;) {
		if (opt[i] == TCPOPT_EOL)
			break;
		if (opt[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= thlen || opt[i + 1] < 2 || i + opt[i + 1] > thlen)
			break;
		if (opt[i] == TCPOPT_MSS && opt[i + 1] == TCPOLEN_MSS) {
			old = get_unaligned_be16(opt + i + 2);
			if (old > limit) {
				put_unaligned_be16(limit, opt + i + 2);
				inet_proto_csum_replace2(&th->check, skb,
							 htons(old),
							 htons(limit), false);
			}
		}
		i += opt[i + 1];
	}
}

/**
 * esptun_mss_clamp - clamp the MSS of a TCP SYN crossing the device
 * @ed: the device
 * @skb: an inner IPv4 or IPv6 packet, its network header at skb->data
 *	and pulled (output before encryption, input after decryption)
 *
 * Does nothing unless the device has a clamp. Non-first fragments carry
 * no TCP header and are left alone.
 * Context: softirq or with BHs disabled.
 */
void esptun_mss_clamp(struct esptun_dev *ed, struct sk_buff *skb)
{
	u16 clamp = READ_ONCE(ed->mss_clamp);
	unsigned int thoff, limit;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	if (likely(!clamp))
		return;
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_TCP || iph->ihl < 5 ||
		    (iph->frag_off & htons(IP_OFFSET)))
			return;
		thoff = skb_network_offset(skb) + iph->ihl * 4;
		limit = esptun_mss_limit(ed, clamp, sizeof(struct iphdr));
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		nexthdr = ipv6_hdr(skb)->nexthdr;
		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
				       sizeof(struct ipv6hdr), &nexthdr,
				       &frag_off);
		if (off < 0 || nexthdr != IPPROTO_TCP ||
		    (frag_off & htons(~0x7)))
			return;
		thoff = off;
		limit = esptun_mss_limit(ed, clamp, sizeof(struct ipv6hdr));
	} else {
		return;
	}
	if (limit)
		esptun_mss_tcp(skb, thoff, limit);
}
