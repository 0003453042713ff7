/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * esptun: route-based IPsec (ESP) tunnel devices.
 *
 * Devices are created with rtnetlink, link kind "esptun":
 *
 *   ip link add esp0 type esptun
 *
 * Everything else goes through the generic netlink family ESPTUN_GENL_NAME.
 * Every command requires CAP_NET_ADMIN over the network namespace of the
 * socket (in the user namespace owning it, as GENL_UNS_ADMIN_PERM checks
 * it), reads included, since SA state tells a lot about a network; devices
 * are looked up in that namespace only, so a container configures its own
 * devices and no other. Joining the events group requires CAP_NET_ADMIN
 * over that namespace too.
 *
 * Addresses travel in network byte order as in the IP header (4 or 16 bytes);
 * every other integer is in host byte order. Key material is write-only:
 * no reply, dump or event ever carries a key.
 *
 * ESPTUN_CMD_DEV_GET
 *   Request: ESPTUN_A_IFINDEX or ESPTUN_A_IFNAME, or NLM_F_DUMP (every esptun
 *   device of the namespace). Reply, one message per device:
 *     ESPTUN_A_IFINDEX: u32
 *     ESPTUN_A_IFNAME: string
 *     ESPTUN_A_DEV: nested, enum esptun_dev_attr
 *       ESPTUN_DEV_A_LOCAL_IPV4 / _LOCAL_IPV6: outer local address (absent if unset)
 *       ESPTUN_DEV_A_REMOTE_IPV4 / _REMOTE_IPV6: outer remote address
 *       ESPTUN_DEV_A_ENCAP: u8, enum esptun_encap
 *       ESPTUN_DEV_A_ENCAP_SPORT, ESPTUN_DEV_A_ENCAP_DPORT: u16 (UDP only)
 *       ESPTUN_DEV_A_SA_COUNT: u32, SAs of this device (SPI
 *         reservations included)
 *       ESPTUN_DEV_A_STATS: nested, enum esptun_stat (device drop causes)
 *       ESPTUN_DEV_A_CARRIER, ESPTUN_DEV_A_MSS_CLAMP, ESPTUN_DEV_A_MTU_AUTO
 *
 * ESPTUN_CMD_DEV_SET
 *   Request: ESPTUN_A_IFINDEX or ESPTUN_A_IFNAME, ESPTUN_A_DEV with any of
 *   LOCAL_*, REMOTE_*, ENCAP, ENCAP_SPORT, ENCAP_DPORT, CARRIER, MSS_CLAMP,
 *   MTU_AUTO. Local and remote must be of one family. Attributes not given
 *   keep their value; an address of the other family than the one kept is
 *   refused (change both at once). Addresses and encapsulation are the
 *   defaults for SAs added later; existing SAs keep their own.
 *
 * ESPTUN_CMD_SA_NEW
 *   Request: ESPTUN_A_IFINDEX/IFNAME, ESPTUN_A_SA:
 *     required: DIR, SPI, ENC_ALG, ENC_KEY (may be empty for ecb(cipher_null))
 *     AUTH_ALG + AUTH_KEY + ICV_BITS for authenc suites; ICV_BITS for AEADs
 *     optional: LOCAL_*, REMOTE_* (default: the device's), ENCAP, ENCAP_SPORT,
 *     ENCAP_DPORT (default: the device's), REPLAY_WINDOW (default 64, max
 *     ESPTUN_REPLAY_WINDOW_MAX; 0 disables), ESN, SEQ (inbound: highest
 *     sequence number already seen, default 0), OSEQ (outbound: last sequence
 *     number sent, default 0), LIFETIME, SELECTOR (default: any, both
 *     families).
 *   An inbound SPI must be unique per (namespace, local address), an
 *   outbound one per device. An inbound SPI reserved with SPI_ALLOC may be
 *   used; the reservation is consumed.
 *
 * ESPTUN_CMD_SA_UPDATE
 *   Request: IFINDEX/IFNAME, SA with DIR, SPI and any of REMOTE_*, ENCAP,
 *   ENCAP_SPORT, ENCAP_DPORT, LIFETIME (replaces all limits). For NAT-T
 *   port changes and rekey lifetimes; keys and algorithms never change.
 *
 * ESPTUN_CMD_SA_DEL
 *   Request: IFINDEX/IFNAME, SA with DIR and SPI, and LOCAL_* when the
 *   device has inbound SAs with that SPI on several local addresses (also
 *   for SA_UPDATE and SA_GET). Also releases an SPI reserved by SPI_ALLOC
 *   (DIR in).
 *
 * ESPTUN_CMD_SA_GET
 *   Request: IFINDEX/IFNAME and SA with DIR and SPI; or NLM_F_DUMP with an
 *   optional IFINDEX/IFNAME filter. Reply per SA: IFINDEX, IFNAME and SA with
 *   every attribute but the keys, plus STATE, STATS and the timestamps.
 *
 * ESPTUN_CMD_SA_FLUSH
 *   Request: optional IFINDEX/IFNAME (default: every esptun device of the
 *   namespace). Deletes SAs and SPI reservations.
 *
 * ESPTUN_CMD_SPI_ALLOC
 *   Request: IFINDEX/IFNAME, optional SA with LOCAL_* (default: the device's
 *   local address), SPI_MIN, SPI_MAX (default 0x100..0xffffffff) and
 *   RESERVE_SECONDS (default ESPTUN_SPI_RESERVE_DEFAULT). Reply: IFINDEX and
 *   SA with DIR (in), SPI and LOCAL_*. The kernel picks a random free inbound SPI and
 *   holds it until SA_NEW uses it, SA_DEL releases it or the time runs out,
 *   so the agent can put it into Quick Mode before the keys exist.
 *
 * Events, multicast group ESPTUN_MCGRP_EVENTS (admin only), sent to the
 * namespace of the device:
 *   ESPTUN_CMD_EV_SOFT_EXPIRE, ESPTUN_CMD_EV_HARD_EXPIRE: IFINDEX, IFNAME,
 *     SA (DIR, SPI, addresses, STATS) and ESPTUN_A_EXPIRE_REASON. After a
 *     hard expiry the SA is gone (or, on sequence exhaustion, stopped).
 *   ESPTUN_CMD_EV_ACQUIRE: IFINDEX, IFNAME and SA with LOCAL_*, REMOTE_* and
 *     a SELECTOR describing the packet that found no outbound SA
 *     (rate-limited per device).
 *   ESPTUN_CMD_EV_UNKNOWN_SPI: ESP for an SPI neither esptun nor xfrm knows:
 *     SA with SPI, LOCAL_* (packet destination), REMOTE_* (packet source),
 *     ENCAP and ports when it came in UDP: ENCAP_SPORT the datagram's
 *     source port (the peer's), ENCAP_DPORT its destination (ours), unlike
 *     REMOTE_MOVED (rate-limited per namespace).
 *     IFINDEX is absent: no device can be named for such a packet.
 *   ESPTUN_CMD_EV_REMOTE_MOVED: an inbound SA's packet passed its ICV and
 *     replay check but came from another outer source than the SA's
 *     REMOTE_* (and, in UDP, ENCAP_DPORT, the peer's port): a NAT mapping
 *     changed or the peer moved. IFINDEX, IFNAME and SA with DIR (in), SPI,
 *     LOCAL_*, REMOTE_* and ENCAP/ENCAP_SPORT/ENCAP_DPORT as the packet came
 *     (DPORT = its source port). The module changes nothing itself; the
 *     agent moves the SAs with SA_UPDATE. Rate-limited per SA (one a second)
 *     and sent again while packets keep coming from the new source.
 */
#ifndef _UAPI_LINUX_ESPTUN_H
#define _UAPI_LINUX_ESPTUN_H

#define ESPTUN_GENL_NAME	"esptun"
#define ESPTUN_GENL_VERSION	1
#define ESPTUN_MCGRP_EVENTS	"events"

#define ESPTUN_REPLAY_WINDOW_DEFAULT	64
#define ESPTUN_REPLAY_WINDOW_MAX	4096
#define ESPTUN_SPI_RESERVE_DEFAULT	60	/* seconds */
#define ESPTUN_ALG_NAME_MAX		64	/* with the NUL, as xfrm */
#define ESPTUN_KEY_MAX			64	/* bytes */
#define ESPTUN_MSS_CLAMP_AUTO		1
#define ESPTUN_MSS_CLAMP_MIN		536

enum esptun_cmd {
	ESPTUN_CMD_UNSPEC,
	ESPTUN_CMD_DEV_GET,
	ESPTUN_CMD_DEV_SET,
	ESPTUN_CMD_SA_NEW,
	ESPTUN_CMD_SA_UPDATE,
	ESPTUN_CMD_SA_DEL,
	ESPTUN_CMD_SA_GET,
	ESPTUN_CMD_SA_FLUSH,
	ESPTUN_CMD_SPI_ALLOC,
	ESPTUN_CMD_EV_SOFT_EXPIRE,
	ESPTUN_CMD_EV_HARD_EXPIRE,
	ESPTUN_CMD_EV_ACQUIRE,
	ESPTUN_CMD_EV_UNKNOWN_SPI,
	ESPTUN_CMD_EV_REMOTE_MOVED,

	__ESPTUN_CMD_MAX
};

#define ESPTUN_CMD_MAX (__ESPTUN_CMD_MAX - 1)

/**
 * enum esptun_attr - top-level attributes
 * @ESPTUN_A_IFINDEX: u32, the esptun device
 * @ESPTUN_A_IFNAME: string, the esptun device (when IFINDEX is absent)
 * @ESPTUN_A_DEV: nested, enum esptun_dev_attr
 * @ESPTUN_A_SA: nested, enum esptun_sa_attr
 * @ESPTUN_A_EXPIRE_REASON: u8, enum esptun_expire_reason (expiry events)
 */
enum esptun_attr {
	ESPTUN_A_UNSPEC,
	ESPTUN_A_IFINDEX,
	ESPTUN_A_IFNAME,
	ESPTUN_A_DEV,
	ESPTUN_A_SA,
	ESPTUN_A_EXPIRE_REASON,

	__ESPTUN_A_MAX
};

#define ESPTUN_A_MAX (__ESPTUN_A_MAX - 1)

/**
 * enum esptun_dev_attr - tunnel endpoints and defaults of a device
 * @ESPTUN_DEV_A_LOCAL_IPV4: 4 bytes, outer source address
 * @ESPTUN_DEV_A_LOCAL_IPV6: 16 bytes, outer source address
 * @ESPTUN_DEV_A_REMOTE_IPV4: 4 bytes, outer destination address
 * @ESPTUN_DEV_A_REMOTE_IPV6: 16 bytes, outer destination address
 * @ESPTUN_DEV_A_ENCAP: u8, enum esptun_encap
 * @ESPTUN_DEV_A_ENCAP_SPORT: u16, UDP source port (default 4500)
 * @ESPTUN_DEV_A_ENCAP_DPORT: u16, UDP destination port (default 4500)
 * @ESPTUN_DEV_A_SA_COUNT: u32, read only
 * @ESPTUN_DEV_A_STATS: nested, enum esptun_stat, read only
 * @ESPTUN_DEV_A_CARRIER: u8, 1 = carrier on (the default), 0 = off. The
 *	agent turns carrier off while the tunnel is down (no SA, peer dead),
 *	so the link shows NO-CARRIER to routing daemons; packets routed into
 *	a device without carrier are dropped by the core (the few that reach
 *	the device before the core notices count as tx carrier errors).
 *	Takes effect at once on a device that is up, else when it comes up.
 * @ESPTUN_DEV_A_MSS_CLAMP: u16, TCP MSS clamp of SYNs crossing the device,
 *	leaving before encryption and arriving after decryption (IPv4 and
 *	IPv6): an MSS option above the clamp is lowered to it. 0 = off (the
 *	default), ESPTUN_MSS_CLAMP_AUTO = the device MTU minus 20 (IPv4) or
 *	40 (IPv6) and 20 (TCP), else a fixed MSS (ESPTUN_MSS_CLAMP_MIN..65535;
 *	2..535 are refused)
 * @ESPTUN_DEV_A_MTU_AUTO: u8, 1 = the device MTU follows the newest
 *	outbound SA: the outer path MTU to its remote minus that SA's largest
 *	overhead (outer IP header, 8 for UDP, 8 for the ESP header, IV,
 *	block size - 1 of padding, 2 trailer bytes, ICV), recomputed when an
 *	outbound SA is added, updated or deleted and when packets find
 *	another path MTU; 0 = fixed (the default): the MTU stays as set
 * @ESPTUN_DEV_A_PARALLEL: u8, 1 = the encryption and decryption of SAs
 *	added from now on are spread over all CPUs (padata), so one flow is
 *	not bound to the CPU that sends or receives it; the packets a CPU
 *	hands to an SA still leave and arrive in that order. 0 = in the
 *	sending or receiving context, as xfrm does. The default is 1 on
 *	machines with more than one CPU (and a kernel with padata). SAs keep
 *	the way they were added with (ESPTUN_SA_A_PARALLEL).
 */
enum esptun_dev_attr {
	ESPTUN_DEV_A_UNSPEC,
	ESPTUN_DEV_A_LOCAL_IPV4,
	ESPTUN_DEV_A_LOCAL_IPV6,
	ESPTUN_DEV_A_REMOTE_IPV4,
	ESPTUN_DEV_A_REMOTE_IPV6,
	ESPTUN_DEV_A_ENCAP,
	ESPTUN_DEV_A_ENCAP_SPORT,
	ESPTUN_DEV_A_ENCAP_DPORT,
	ESPTUN_DEV_A_SA_COUNT,
	ESPTUN_DEV_A_STATS,
	ESPTUN_DEV_A_CARRIER,
	ESPTUN_DEV_A_MSS_CLAMP,
	ESPTUN_DEV_A_MTU_AUTO,
	ESPTUN_DEV_A_PARALLEL,

	__ESPTUN_DEV_A_MAX
};

#define ESPTUN_DEV_A_MAX (__ESPTUN_DEV_A_MAX - 1)

/**
 * enum esptun_sa_attr - one security association
 * @ESPTUN_SA_A_DIR: u8, enum esptun_dir
 * @ESPTUN_SA_A_SPI: u32, host order; 0 and 1..255 are reserved (RFC 4303)
 * @ESPTUN_SA_A_LOCAL_IPV4: 4 bytes; inbound: the address ESP arrives at
 * @ESPTUN_SA_A_LOCAL_IPV6: 16 bytes
 * @ESPTUN_SA_A_REMOTE_IPV4: 4 bytes; outbound: where ESP is sent
 * @ESPTUN_SA_A_REMOTE_IPV6: 16 bytes
 * @ESPTUN_SA_A_ENC_ALG: string, crypto API name as ip-xfrm takes it:
 *	"rfc4106(gcm(aes))", "rfc7539esp(chacha20,poly1305)" (AEADs: the key
 *	ends with the 4-byte salt), "cbc(aes)", "cbc(des3_ede)",
 *	"ecb(cipher_null)"
 * @ESPTUN_SA_A_ENC_KEY: binary, write only
 * @ESPTUN_SA_A_AUTH_ALG: string: "hmac(sha1)", "hmac(sha256)",
 *	"hmac(sha384)", "hmac(sha512)"; absent for AEADs
 * @ESPTUN_SA_A_AUTH_KEY: binary, write only
 * @ESPTUN_SA_A_ICV_BITS: u32, ICV (AEAD) or truncation (HMAC) length in bits
 * @ESPTUN_SA_A_REPLAY_WINDOW: u32, packets, 0..ESPTUN_REPLAY_WINDOW_MAX
 * @ESPTUN_SA_A_ESN: flag, 64-bit extended sequence numbers
 * @ESPTUN_SA_A_SEQ: u64, inbound: highest sequence number seen
 * @ESPTUN_SA_A_OSEQ: u64, outbound: last sequence number sent
 * @ESPTUN_SA_A_LIFETIME: nested, enum esptun_lifetime_attr
 * @ESPTUN_SA_A_ENCAP: u8, enum esptun_encap
 * @ESPTUN_SA_A_ENCAP_SPORT: u16
 * @ESPTUN_SA_A_ENCAP_DPORT: u16
 * @ESPTUN_SA_A_SELECTOR: nested, enum esptun_sel_attr
 * @ESPTUN_SA_A_STATE: u8, enum esptun_sa_state, read only
 * @ESPTUN_SA_A_STATS: nested, enum esptun_stat, read only
 * @ESPTUN_SA_A_ADD_TIME: u64, seconds since the epoch, read only
 * @ESPTUN_SA_A_FIRST_USE: u64, seconds since the epoch, 0 if unused, read only
 * @ESPTUN_SA_A_LAST_USE: u64, seconds since the epoch, 0 if unused, read only
 * @ESPTUN_SA_A_SPI_MIN: u32, SPI_ALLOC range start
 * @ESPTUN_SA_A_SPI_MAX: u32, SPI_ALLOC range end
 * @ESPTUN_SA_A_RESERVE_SECONDS: u32, SPI_ALLOC reservation time
 * @ESPTUN_SA_A_PAD: padding for u64 attributes
 * @ESPTUN_SA_A_DRIVER: string, the crypto implementation serving the SA,
 *	e.g. "rfc4106-gcm-aesni", read only
 * @ESPTUN_SA_A_PARALLEL: u8, 1 = the SA's crypto runs on all CPUs (the
 *	device's ESPTUN_DEV_A_PARALLEL when it was added), read only
 */
enum esptun_sa_attr {
	ESPTUN_SA_A_UNSPEC,
	ESPTUN_SA_A_DIR,
	ESPTUN_SA_A_SPI,
	ESPTUN_SA_A_LOCAL_IPV4,
	ESPTUN_SA_A_LOCAL_IPV6,
	ESPTUN_SA_A_REMOTE_IPV4,
	ESPTUN_SA_A_REMOTE_IPV6,
	ESPTUN_SA_A_ENC_ALG,
	ESPTUN_SA_A_ENC_KEY,
	ESPTUN_SA_A_AUTH_ALG,
	ESPTUN_SA_A_AUTH_KEY,
	ESPTUN_SA_A_ICV_BITS,
	ESPTUN_SA_A_REPLAY_WINDOW,
	ESPTUN_SA_A_ESN,
	ESPTUN_SA_A_SEQ,
	ESPTUN_SA_A_OSEQ,
	ESPTUN_SA_A_LIFETIME,
	ESPTUN_SA_A_ENCAP,
	ESPTUN_SA_A_ENCAP_SPORT,
	ESPTUN_SA_A_ENCAP_DPORT,
	ESPTUN_SA_A_SELECTOR,
	ESPTUN_SA_A_STATE,
	ESPTUN_SA_A_STATS,
	ESPTUN_SA_A_ADD_TIME,
	ESPTUN_SA_A_FIRST_USE,
	ESPTUN_SA_A_LAST_USE,
	ESPTUN_SA_A_SPI_MIN,
	ESPTUN_SA_A_SPI_MAX,
	ESPTUN_SA_A_RESERVE_SECONDS,
	ESPTUN_SA_A_PAD,
	ESPTUN_SA_A_DRIVER,
	ESPTUN_SA_A_PARALLEL,

	__ESPTUN_SA_A_MAX
};

#define ESPTUN_SA_A_MAX (__ESPTUN_SA_A_MAX - 1)

/**
 * enum esptun_lifetime_attr - SA limits, u64 each, 0 or absent = none
 * @ESPTUN_LT_A_SOFT_BYTES: inner bytes before a soft-expire event
 * @ESPTUN_LT_A_SOFT_PACKETS: packets before a soft-expire event
 * @ESPTUN_LT_A_SOFT_ADD_SECONDS: seconds after adding
 * @ESPTUN_LT_A_SOFT_USE_SECONDS: seconds after first use
 * @ESPTUN_LT_A_HARD_BYTES: inner bytes before the SA is deleted
 * @ESPTUN_LT_A_HARD_PACKETS: packets before the SA is deleted
 * @ESPTUN_LT_A_HARD_ADD_SECONDS: seconds after adding
 * @ESPTUN_LT_A_HARD_USE_SECONDS: seconds after first use
 * @ESPTUN_LT_A_PAD: padding
 */
enum esptun_lifetime_attr {
	ESPTUN_LT_A_UNSPEC,
	ESPTUN_LT_A_SOFT_BYTES,
	ESPTUN_LT_A_SOFT_PACKETS,
	ESPTUN_LT_A_SOFT_ADD_SECONDS,
	ESPTUN_LT_A_SOFT_USE_SECONDS,
	ESPTUN_LT_A_HARD_BYTES,
	ESPTUN_LT_A_HARD_PACKETS,
	ESPTUN_LT_A_HARD_ADD_SECONDS,
	ESPTUN_LT_A_HARD_USE_SECONDS,
	ESPTUN_LT_A_PAD,

	__ESPTUN_LT_A_MAX
};

#define ESPTUN_LT_A_MAX (__ESPTUN_LT_A_MAX - 1)

/**
 * enum esptun_sel_attr - traffic selector: which inner packets an SA carries
 * @ESPTUN_SEL_A_SRC_IPV4: 4 bytes, inner source prefix
 * @ESPTUN_SEL_A_SRC_IPV6: 16 bytes
 * @ESPTUN_SEL_A_SRC_PREFIXLEN: u8
 * @ESPTUN_SEL_A_DST_IPV4: 4 bytes, inner destination prefix
 * @ESPTUN_SEL_A_DST_IPV6: 16 bytes
 * @ESPTUN_SEL_A_DST_PREFIXLEN: u8
 * @ESPTUN_SEL_A_PROTO: u8, IP protocol, 0 = any
 * @ESPTUN_SEL_A_SPORT: u16, inner source port, 0 = any (TCP/UDP/SCTP)
 * @ESPTUN_SEL_A_DPORT: u16, inner destination port, 0 = any
 * @ESPTUN_SEL_A_SRC_END_IPV4: 4 bytes, last address of an inner source
 *	range that starts at ESPTUN_SEL_A_SRC_IPV4 (instead of a prefix length)
 * @ESPTUN_SEL_A_SRC_END_IPV6: 16 bytes, the same for IPv6
 * @ESPTUN_SEL_A_DST_END_IPV4: 4 bytes, last address of an inner
 *	destination range
 * @ESPTUN_SEL_A_DST_END_IPV6: 16 bytes
 *
 * Outbound, the selector is matched against (source, destination) of the
 * packet routed into the device; inbound, against the decrypted packet with
 * the same orientation as the peer's outbound SA, i.e. source = remote side.
 * Without addresses a selector matches both families. Each side is a prefix
 * (address and prefix length, default the full length) or a range (first
 * and last address, both inclusive, of the selector's family); dumps give
 * each side back in the form it was set.
 */
enum esptun_sel_attr {
	ESPTUN_SEL_A_UNSPEC,
	ESPTUN_SEL_A_SRC_IPV4,
	ESPTUN_SEL_A_SRC_IPV6,
	ESPTUN_SEL_A_SRC_PREFIXLEN,
	ESPTUN_SEL_A_DST_IPV4,
	ESPTUN_SEL_A_DST_IPV6,
	ESPTUN_SEL_A_DST_PREFIXLEN,
	ESPTUN_SEL_A_PROTO,
	ESPTUN_SEL_A_SPORT,
	ESPTUN_SEL_A_DPORT,
	ESPTUN_SEL_A_SRC_END_IPV4,
	ESPTUN_SEL_A_SRC_END_IPV6,
	ESPTUN_SEL_A_DST_END_IPV4,
	ESPTUN_SEL_A_DST_END_IPV6,

	__ESPTUN_SEL_A_MAX
};

#define ESPTUN_SEL_A_MAX (__ESPTUN_SEL_A_MAX - 1)

/**
 * enum esptun_stat - counters, u64 each (device and SA)
 * @ESPTUN_STAT_PACKETS: packets processed (SA)
 * @ESPTUN_STAT_BYTES: inner bytes processed, as xfrm counts them (SA)
 * @ESPTUN_STAT_REPLAY: dropped as replayed or too old
 * @ESPTUN_STAT_ICV_FAIL: dropped on ICV (integrity) failure
 * @ESPTUN_STAT_SELECTOR: decrypted packet outside the SA's selectors
 * @ESPTUN_STAT_FORMAT: malformed ESP, bad padding or inner header
 * @ESPTUN_STAT_NO_SA: no outbound SA matched (device)
 * @ESPTUN_STAT_SEQ_EXHAUSTED: outbound sequence numbers used up
 * @ESPTUN_STAT_NO_ROUTE: no route to the outer destination (device)
 * @ESPTUN_STAT_MTU: inner packet too big, ICMP sent (device)
 * @ESPTUN_STAT_UNKNOWN_SPI: ESP for an SPI nobody knows (namespace, on the
 *	device dump of every device in it)
 * @ESPTUN_STAT_EXPIRED: packets dropped on a hard-expired SA
 * @ESPTUN_STAT_PAD: padding
 * @ESPTUN_STAT_CRYPTO_BUSY: dropped because the crypto queue was full
 */
enum esptun_stat {
	ESPTUN_STAT_UNSPEC,
	ESPTUN_STAT_PACKETS,
	ESPTUN_STAT_BYTES,
	ESPTUN_STAT_REPLAY,
	ESPTUN_STAT_ICV_FAIL,
	ESPTUN_STAT_SELECTOR,
	ESPTUN_STAT_FORMAT,
	ESPTUN_STAT_NO_SA,
	ESPTUN_STAT_SEQ_EXHAUSTED,
	ESPTUN_STAT_NO_ROUTE,
	ESPTUN_STAT_MTU,
	ESPTUN_STAT_UNKNOWN_SPI,
	ESPTUN_STAT_EXPIRED,
	ESPTUN_STAT_PAD,
	ESPTUN_STAT_CRYPTO_BUSY,

	__ESPTUN_STAT_MAX
};

#define ESPTUN_STAT_MAX (__ESPTUN_STAT_MAX - 1)

enum esptun_dir {
	ESPTUN_DIR_IN = 1,
	ESPTUN_DIR_OUT = 2,
};

enum esptun_encap {
	ESPTUN_ENCAP_NONE = 0,
	ESPTUN_ENCAP_UDP = 1,	/* RFC 3948 ESP-in-UDP */
};

enum esptun_sa_state {
	ESPTUN_SA_STATE_RESERVED = 1,	/* SPI allocated, no keys yet */
	ESPTUN_SA_STATE_VALID = 2,
	ESPTUN_SA_STATE_SOFT_EXPIRED = 3,	/* still used; rekey due */
	ESPTUN_SA_STATE_HARD_EXPIRED = 4,	/* stopped (sequence exhausted) */
};

enum esptun_expire_reason {
	ESPTUN_EXPIRE_BYTES = 1,
	ESPTUN_EXPIRE_PACKETS = 2,
	ESPTUN_EXPIRE_ADD_SECONDS = 3,
	ESPTUN_EXPIRE_USE_SECONDS = 4,
	ESPTUN_EXPIRE_SEQ_EXHAUSTED = 5,
};

#endif /* _UAPI_LINUX_ESPTUN_H */
