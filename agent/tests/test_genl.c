// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink backend against a fake kernel: the client's socket
 * I/O is replaced (libnl's send and receive overrides), so each request
 * is decoded as the module would see it and answered with canned replies.
 * Covers how an IKE SA is put into the module's attributes, errors with
 * their extended ACK, and dumps, including one that fails after it
 * started (the errno in NLMSG_DONE), and events: the family's own are
 * passed on, anything else or too short for its header is not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "kernel/backend.h"
#include "nl.h"
#include "tap.h"

#define FAMILY	0x20

/* What the fake kernel got, and what it answers. */
static struct {
	unsigned char req[4096];
	size_t req_len;
	int sent;
	void (*answer)(uint32_t seq);
	unsigned char *out;
	size_t out_len;
} fk;

static void append(struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	fk.out = realloc(fk.out, fk.out_len + NLMSG_ALIGN(nlh->nlmsg_len));
	memset(fk.out + fk.out_len, 0, NLMSG_ALIGN(nlh->nlmsg_len));
	memcpy(fk.out + fk.out_len, nlh, nlh->nlmsg_len);
	fk.out_len += NLMSG_ALIGN(nlh->nlmsg_len);
	nlmsg_free(m);
}

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	fk.req_len = nlh->nlmsg_len < sizeof(fk.req) ? nlh->nlmsg_len :
						       sizeof(fk.req);
	memcpy(fk.req, nlh, fk.req_len);
	fk.sent++;
	if (fk.answer)
		fk.answer(nlh->nlmsg_seq);
	return nlh->nlmsg_len;
}

/* Everything queued at once; then "would block", never a wait. */
static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	int n = fk.out_len;

	if (!n)
		return -NLE_AGAIN;
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	*buf = fk.out;
	fk.out = NULL;
	fk.out_len = 0;
	return n;
}

/* The event socket's queue: whatever the test put there, once. */
static struct {
	unsigned char *buf;
	size_t len;
} fev;

static int fake_ev_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
			unsigned char **buf, struct ucred **creds)
{
	int n = fev.len;

	if (!n)
		return -NLE_AGAIN;
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	*buf = fev.buf;
	fev.buf = NULL;
	fev.len = 0;
	return n;
}

static struct kernel *fake_kernel(void)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct nl_cb *evcb = nl_cb_alloc(NL_CB_DEFAULT);
	struct etnl nl, ev;

	nl_cb_overwrite_send(cb, fake_send);
	nl_cb_overwrite_recv(cb, fake_recv);
	nl.sock = nl_socket_alloc_cb(cb);
	nl_cb_put(cb);
	nl.family = FAMILY;
	nl_cb_overwrite_recv(evcb, fake_ev_recv);
	ev.sock = nl_socket_alloc_cb(evcb);
	nl_cb_put(evcb);
	/* As etnl_subscribe does: events carry no sequence numbers. */
	nl_socket_disable_seq_check(ev.sock);
	ev.family = FAMILY;
	return kernel_genl_over(&nl, &ev);
}

static void reset(void (*answer)(uint32_t seq))
{
	free(fk.out);
	memset(&fk, 0, sizeof(fk));
	fk.answer = answer;
}

static void put_sa_flags(uint32_t seq, uint32_t spi, int flags)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *sa;

	genlmsg_put(m, 0, seq, FAMILY, 0, NLM_F_MULTI | flags,
		    ESPTUN_CMD_SA_GET, ESPTUN_GENL_VERSION);
	nla_put_string(m, ESPTUN_A_IFNAME, "esp0");
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_IN);
	nla_put_u32(m, ESPTUN_SA_A_SPI, spi);
	/* The peer 192.0.2.2 and the time added on the second SA only. */
	if (spi == 0x2000) {
		nla_put_u32(m, ESPTUN_SA_A_REMOTE_IPV4, htonl(0xc0000202));
		nla_put_u64(m, ESPTUN_SA_A_ADD_TIME, 1700000000);
	}
	nla_nest_end(m, sa);
	append(m);
}

static void put_sa_msg(uint32_t seq, uint32_t spi)
{
	put_sa_flags(seq, spi, 0);
}

/* NLMSG_DONE with @err and, when given, the extack message after it. */
static void put_done(uint32_t seq, int err, const char *ext)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlmsghdr *nlh;

	nlh = nlmsg_put(m, 0, seq, NLMSG_DONE, sizeof(err),
			NLM_F_MULTI | (ext ? NLM_F_ACK_TLVS : 0));
	memcpy(nlmsg_data(nlh), &err, sizeof(err));
	if (ext)
		nla_put_string(m, NLMSGERR_ATTR_MSG, ext);
	append(m);
}

/* NLMSG_ERROR (0: the ACK), the request capped, as with extack. */
static void put_error(uint32_t seq, int err, const char *ext)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlmsghdr *nlh;
	struct nlmsgerr e;

	memset(&e, 0, sizeof(e));
	e.error = err;
	memcpy(&e.msg, fk.req, sizeof(e.msg));
	nlh = nlmsg_put(m, 0, seq, NLMSG_ERROR, sizeof(e),
			NLM_F_CAPPED | (ext ? NLM_F_ACK_TLVS : 0));
	memcpy(nlmsg_data(nlh), &e, sizeof(e));
	if (ext)
		nla_put_string(m, NLMSGERR_ATTR_MSG, ext);
	append(m);
}

static void dump_ok(uint32_t seq)
{
	put_sa_msg(seq, 0x1000);
	put_sa_msg(seq, 0x2000);
	put_done(seq, 0, NULL);
}

/*
 * The table changed under the first @intr_left dumps: the kernel marks
 * them, here with an SA seen twice, as a walk over a changing hash can.
 */
static int intr_left;

static void dump_changing(uint32_t seq)
{
	if (intr_left-- <= 0) {
		dump_ok(seq);
		return;
	}
	put_sa_msg(seq, 0x1000);
	put_sa_flags(seq, 0x1000, NLM_F_DUMP_INTR);
	put_sa_flags(seq, 0x2000, NLM_F_DUMP_INTR);
	put_done(seq, 0, NULL);
}

static void dump_fails(uint32_t seq)
{
	put_sa_msg(seq, 0x1000);
	put_done(seq, -ENODEV, "esptun: device went away");
}

static void ack(uint32_t seq)
{
	put_error(seq, 0, NULL);
}

static void refuse(uint32_t seq)
{
	put_error(seq, -EINVAL, "esptun: key length does not fit the algorithm");
}

static void spi_reply(uint32_t seq)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *sa;

	genlmsg_put(m, 0, seq, FAMILY, 0, 0, ESPTUN_CMD_SPI_ALLOC,
		    ESPTUN_GENL_VERSION);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u32(m, ESPTUN_SA_A_SPI, 0xc0ffee);
	nla_nest_end(m, sa);
	append(m);
	put_error(seq, 0, NULL);
}

static struct genlmsghdr *req_genl(void)
{
	return nlmsg_data((struct nlmsghdr *)fk.req);
}

static void test_sa_count(struct kernel *k)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)fk.req;

	reset(dump_ok);
	is_int(kernel_sa_count(k, "esp0"), 2, "sa_count: SAs of a dump");
	is_int(req_genl()->cmd, ESPTUN_CMD_SA_GET, "sa_count: SA_GET");
	ok(nlh->nlmsg_flags & NLM_F_DUMP, "sa_count: as a dump");

	reset(dump_fails);
	is_int(kernel_sa_count(k, "esp0"), -ENODEV,
	       "sa_count: the errno in NLMSG_DONE fails the dump");
	is_str(k->err, "esptun: device went away: No such device",
	       "sa_count: with the kernel's message");

	reset(dump_changing);
	intr_left = 1;
	is_int(kernel_sa_count(k, "esp0"), 2,
	       "sa_count: an interrupted dump is counted again, not summed");
	is_int(fk.sent, 2, "sa_count: the dump sent a second time");

	reset(dump_changing);
	intr_left = 1000;
	is_int(kernel_sa_count(k, "esp0"), -EIO,
	       "sa_count: a table that never holds still fails the count");
	is_int(fk.sent, ETNL_DUMP_TRIES,
	       "sa_count: after a bounded number of tries");
	is_str(k->err, "netlink: the table kept changing while it was read",
	       "sa_count: saying why");
}

struct listed {
	int n;
	struct kernel_sa_ent sa[2];
};

static void on_sa(void *arg, const struct kernel_sa_ent *sa)
{
	struct listed *l = arg;

	if (l->n < 2)
		l->sa[l->n] = *sa;
	l->n++;
}

static void test_sa_list(struct kernel *k)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)fk.req;
	struct listed l = { 0 };
	const struct sockaddr_in *r = (const void *)&l.sa[1].remote;

	reset(dump_ok);
	is_int(kernel_sa_list(k, "esp0", on_sa, &l), 0, "sa_list: a dump");
	ok(nlh->nlmsg_flags & NLM_F_DUMP, "sa_list: SA_GET as a dump");
	is_int(l.n, 2, "sa_list: every SA reported");
	ok(l.sa[0].dir == IKE_DIR_IN && l.sa[0].spi == 0x1000 &&
	   l.sa[0].remote.ss_family == 0 && l.sa[0].add_time == 0,
	   "sa_list: direction and SPI, no peer or time when the SA has none");
	ok(l.sa[1].spi == 0x2000 && r->sin_family == AF_INET &&
	   r->sin_addr.s_addr == htonl(0xc0000202) && r->sin_port == 0,
	   "sa_list: the peer's address");
	ok(l.sa[1].add_time == 1700000000, "sa_list: the time it was added");

	reset(dump_fails);
	l.n = 0;
	is_int(kernel_sa_list(k, "esp0", on_sa, &l), -ENODEV,
	       "sa_list: the errno in NLMSG_DONE fails the listing");
	is_int(l.n, 0, "sa_list: nothing of a failed dump reported");

	reset(dump_changing);
	intr_left = 2;
	l.n = 0;
	is_int(kernel_sa_list(k, "esp0", on_sa, &l), 0,
	       "sa_list: an interrupted dump is read again");
	ok(l.n == 2 && l.sa[0].spi == 0x1000 && l.sa[1].spi == 0x2000,
	   "sa_list: each SA once, from the whole read only");
}

static void set_in4(struct sockaddr_storage *ss, const char *a)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_INET;
	inet_pton(AF_INET, a, &((struct sockaddr_in *)ss)->sin_addr);
}

static void test_sa_add(struct kernel *k)
{
	struct ike_kernel_sa sa;
	struct etsa got;
	char buf[IPADDR_STRLEN];

	memset(&sa, 0, sizeof(sa));
	sa.dir = IKE_DIR_IN;
	sa.spi = 0xabcd;
	set_in4(&sa.src, "192.0.2.2");
	set_in4(&sa.dst, "192.0.2.1");
	sa.aead = true;
	strcpy(sa.enc_alg, "rfc4106(gcm(aes))");
	memset(sa.enc_key, 0x5a, 20);
	sa.enc_key_len = 20;
	sa.icv_bits = 128;
	sa.replay_window = 64;
	sa.hard_secs = 3600;
	sa.soft_secs = 3240;
	sa.local_ts.family = AF_INET;
	inet_pton(AF_INET, "10.1.0.0", sa.local_ts.addr);
	sa.local_ts.prefixlen = 16;
	sa.remote_ts.family = AF_INET;
	inet_pton(AF_INET, "10.2.0.0", sa.remote_ts.addr);
	sa.remote_ts.prefixlen = 24;

	reset(ack);
	is_int(kernel_sa_add(k, "esp0", &sa), 0, "sa_add: ACKed");
	is_int(req_genl()->cmd, ESPTUN_CMD_SA_NEW, "sa_add: SA_NEW");
	is_int(attr_get_sa((struct nlmsghdr *)fk.req, &got, NULL), 1,
	       "sa_add: the request has an SA");
	is_str(got.ifname, "esp0", "sa_add: device by name");
	is_int(got.dir, ESPTUN_DIR_IN, "sa_add: inbound");
	is_int(got.spi, 0xabcd, "sa_add: SPI");
	is_str(addr_str(&got.local, buf, sizeof(buf)), "192.0.2.1",
	       "sa_add: inbound, local is the destination");
	is_str(addr_str(&got.remote, buf, sizeof(buf)), "192.0.2.2",
	       "sa_add: inbound, remote is the source");
	is_str(got.enc_alg, "rfc4106(gcm(aes))", "sa_add: AEAD name");
	is_int(got.icv_bits, 128, "sa_add: ICV bits");
	ok(!(got.has & BIT(ESPTUN_SA_A_AUTH_ALG)), "sa_add: AEAD has no auth");
	is_int(got.replay_window, 64, "sa_add: replay window inbound");
	is_int(got.lifetime[ESPTUN_LT_A_HARD_ADD_SECONDS], 3600,
	       "sa_add: hard lifetime");
	is_int(got.lifetime[ESPTUN_LT_A_SOFT_ADD_SECONDS], 3240,
	       "sa_add: soft lifetime");
	ok(!(got.lt_has & BIT(ESPTUN_LT_A_HARD_BYTES)),
	   "sa_add: no volume limit when none was negotiated");
	is_str(addr_str(&got.sel.src, buf, sizeof(buf)), "10.2.0.0",
	       "sa_add: inbound selector source is the peer's network");
	is_int(got.sel.src_plen, 24, "sa_add: selector source prefix");
	is_str(addr_str(&got.sel.dst, buf, sizeof(buf)), "10.1.0.0",
	       "sa_add: inbound selector destination is ours");
	is_int(got.sel.dst_plen, 16, "sa_add: selector destination prefix");

	reset(refuse);
	is_int(kernel_sa_add(k, "esp0", &sa), -EINVAL, "sa_add: refused");
	is_str(k->err,
	       "esptun: key length does not fit the algorithm: Invalid argument",
	       "sa_add: with the kernel's message");
}

static void test_spi_alloc(struct kernel *k)
{
	struct sockaddr_storage local;
	uint32_t spi = 0;

	set_in4(&local, "192.0.2.1");
	reset(spi_reply);
	is_int(kernel_spi_alloc(k, "esp0", &local, &spi), 0, "spi_alloc: ok");
	is_int(spi, 0xc0ffee, "spi_alloc: the kernel's SPI");
	is_int(req_genl()->cmd, ESPTUN_CMD_SPI_ALLOC, "spi_alloc: SPI_ALLOC");
}

static void last_use_reply(uint32_t seq)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *sa;

	genlmsg_put(m, 0, seq, FAMILY, 0, 0, ESPTUN_CMD_SA_GET,
		    ESPTUN_GENL_VERSION);
	nla_put_string(m, ESPTUN_A_IFNAME, "esp0");
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_IN);
	nla_put_u32(m, ESPTUN_SA_A_SPI, 0xabcd);
	nla_put_u64(m, ESPTUN_SA_A_LAST_USE, 1700000123ULL);
	nla_nest_end(m, sa);
	append(m);
	put_error(seq, 0, NULL);
}

static void test_sa_last_use(struct kernel *k)
{
	uint64_t last = 0;
	struct etsa got;

	reset(last_use_reply);
	is_int(kernel_sa_last_use(k, "esp0", IKE_DIR_IN, 0xabcd, &last), 0,
	       "last_use: ok");
	ok(last == 1700000123ULL, "last_use: the module's LAST_USE");
	is_int(req_genl()->cmd, ESPTUN_CMD_SA_GET, "last_use: SA_GET");
	ok(attr_get_sa((struct nlmsghdr *)fk.req, &got, NULL) == 1 &&
	   got.dir == ESPTUN_DIR_IN && got.spi == 0xabcd,
	   "last_use: asks for the inbound SA by SPI");
	reset(refuse);
	ok(kernel_sa_last_use(k, "esp0", IKE_DIR_IN, 0xabcd, &last) < 0,
	   "last_use: an error is passed on");
}

static int dev_carrier_attr = -1;	/* -1: absent from DEV_GET */

/* DEV_GET, then (second request) DEV_SET: its ACK. */
static void dev_reply(uint32_t seq)
{
	struct nl_msg *m;
	struct nlattr *d;

	if (fk.sent > 1) {
		put_error(seq, 0, NULL);
		return;
	}
	m = nlmsg_alloc();
	genlmsg_put(m, 0, seq, FAMILY, 0, 0, ESPTUN_CMD_DEV_GET,
		    ESPTUN_GENL_VERSION);
	nla_put_u32(m, ESPTUN_A_IFINDEX, 7);
	nla_put_string(m, ESPTUN_A_IFNAME, "esp0");
	d = nla_nest_start(m, ESPTUN_A_DEV);
	nla_put_u32(m, ESPTUN_DEV_A_SA_COUNT, 2);
	if (dev_carrier_attr >= 0)
		nla_put_u8(m, ESPTUN_DEV_A_CARRIER, dev_carrier_attr);
	nla_nest_end(m, d);
	append(m);
	put_error(seq, 0, NULL);
}

static void test_carrier(struct kernel *k)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1], *d[ESPTUN_DEV_A_MAX + 1];
	int i, n = 0;

	dev_carrier_attr = -1;
	reset(dev_reply);
	is_int(kernel_dev_carrier(k, "esp0", false), -EOPNOTSUPP,
	       "carrier: a module without it: EOPNOTSUPP");
	is_int(fk.sent, 1, "carrier: only asked, nothing set");
	dev_carrier_attr = 1;
	reset(dev_reply);
	is_int(kernel_dev_carrier(k, "esp0", true), 0, "carrier: already on");
	is_int(fk.sent, 1, "carrier: unchanged, nothing set");
	reset(dev_reply);
	is_int(kernel_dev_carrier(k, "esp0", false), 0, "carrier: set off");
	is_int(fk.sent, 2, "carrier: DEV_GET then DEV_SET");
	is_int(req_genl()->cmd, ESPTUN_CMD_DEV_SET, "carrier: DEV_SET");
	memset(d, 0, sizeof(d));
	if (!genlmsg_parse((struct nlmsghdr *)fk.req, 0, tb, ESPTUN_A_MAX,
			   NULL) && tb[ESPTUN_A_DEV])
		nla_parse_nested(d, ESPTUN_DEV_A_MAX, tb[ESPTUN_A_DEV], NULL);
	for (i = 1; i <= ESPTUN_DEV_A_MAX; i++)
		n += !!d[i];
	ok(n == 1 && d[ESPTUN_DEV_A_CARRIER] &&
	   nla_get_u8(d[ESPTUN_DEV_A_CARRIER]) == 0,
	   "carrier: only CARRIER = 0 in the request");
}

/* Events: what the callback saw. */
static struct {
	int n;
	struct kernel_event last;
} seen;

static void on_event(void *arg, const struct kernel_event *ev)
{
	seen.n++;
	seen.last = *ev;
}

/* Queues @len bytes of @nlh on the event socket, in a buffer that size. */
static void ev_queue(const struct nlmsghdr *nlh, size_t len)
{
	fev.buf = malloc(len);
	memcpy(fev.buf, nlh, len);
	fev.len = len;
}

static void ev_queue_acquire(uint16_t type)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *sa;

	genlmsg_put(m, 0, 0, FAMILY, 0, 0, ESPTUN_CMD_EV_ACQUIRE,
		    ESPTUN_GENL_VERSION);
	nlmsg_hdr(m)->nlmsg_type = type;
	nla_put_string(m, ESPTUN_A_IFNAME, "esp0");
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u32(m, ESPTUN_SA_A_REMOTE_IPV4, htonl(0xc0000202));
	nla_nest_end(m, sa);
	ev_queue(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
}

static void test_events(struct kernel *k)
{
	struct nlmsghdr bare = {
		.nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = FAMILY,
	};

	memset(&seen, 0, sizeof(seen));
	ev_queue_acquire(FAMILY);
	is_int(kernel_event_read(k, on_event, NULL), 0, "event: read");
	is_int(seen.n, 1, "event: an acquire is passed on");
	is_int(seen.last.type, IKE_KEV_ACQUIRE, "event: as an acquire");
	is_str(seen.last.ifname, "esp0", "event: of its device");

	/* Not the family's: another family's message is not an event. */
	memset(&seen, 0, sizeof(seen));
	ev_queue_acquire(FAMILY + 1);
	is_int(kernel_event_read(k, on_event, NULL), 0,
	       "event of another family: read");
	is_int(seen.n, 0, "event of another family: ignored");

	/* No room for the generic netlink header: nothing read past it. */
	memset(&seen, 0, sizeof(seen));
	ev_queue(&bare, sizeof(bare));
	is_int(kernel_event_read(k, on_event, NULL), 0,
	       "event without genl header: read");
	is_int(seen.n, 0, "event without genl header: ignored");
}

int main(void)
{
	struct kernel *k = fake_kernel();

	ok(k != NULL, "backend over a fake client");
	if (!k)
		return tap_done();
	test_sa_count(k);
	test_sa_list(k);
	test_sa_add(k);
	test_spi_alloc(k);
	test_sa_last_use(k);
	test_carrier(k);
	test_events(k);
	kernel_free(k);
	reset(NULL);
	return tap_done();
}
