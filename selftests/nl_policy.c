// SPDX-License-Identifier: GPL-2.0
/*
 * The esptun generic netlink family against requests the CLI would never
 * send: every malformed or refused request must fail with the exact
 * errno and extack text and leave the namespace's devices and SAs exactly
 * as they were (a dump of both, byte for byte, before == after). Also:
 * dumps that need many parts (3000 SPI reservations on two devices), SPI
 * reservations consumed, released and timed out, expiry events, keys never
 * read back, the device's link settings, no command at all without
 * CAP_NET_ADMIN, root of a user namespace confined to the network
 * namespace it owns, and random and boundary attribute sets for every
 * command (ESPTUN_NL_ROUNDS of them, ESPTUN_NL_SEED to replay a run).
 *
 * Each test runs in its own network namespace with two esptun devices,
 * kept down so no packet changes a counter behind the test's back.
 * Messages are built with libnl and received raw, so the extended ack is
 * read as the kernel sent it.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "esptun.h"
#include "kselftest_harness.h"
#include "nl.h"

/* Software-emulated guests on a shared host: the harness's 30 s per test
 * is too short for the first SA of a crypto algorithm or 3000 requests.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 180

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define RXBUF		(64 * 1024)
#define LOCAL4		"192.0.2.1"
#define REMOTE4		"192.0.2.2"

/* GCM-128 key + salt; bytes easy to spot should a reply ever carry them. */
static const unsigned char gcm_key[20] = {
	0xc0, 0xff, 0xee, 0x11, 0xc0, 0xff, 0xee, 0x22, 0xc0, 0xff,
	0xee, 0x33, 0xc0, 0xff, 0xee, 0x44, 0xde, 0xad, 0xbe, 0x01,
};

/* Replies of one request: the generic netlink payloads, back to back. */
struct reply {
	unsigned char *buf;
	size_t len;
	size_t cap;
	int nmsg;	/* data messages */
	int nparts;	/* recv() calls that returned data */
	int intr;	/* a part carried NLM_F_DUMP_INTR */
	void (*each)(struct nlmsghdr *nlh, void *arg);
	void *arg;
};

struct conn {
	struct etnl nl;
};

static int conn_open(struct conn *c)
{
	char err[256];
	int one = 1;

	if (etnl_open(&c->nl, err, sizeof(err)))
		return -1;
	/* Errors without the request echoed: the TLVs follow at once. */
	setsockopt(nl_socket_get_fd(c->nl.sock), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	return 0;
}

static void conn_close(struct conn *c)
{
	etnl_close(&c->nl);
}

static struct nl_msg *msg_new(struct conn *c, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc_size(RXBUF);

	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, c->nl.family, 0, flags, cmd,
		    ESPTUN_GENL_VERSION);
	return m;
}

static void reply_add(struct reply *r, struct nlmsghdr *nlh)
{
	size_t n = nlh->nlmsg_len - NLMSG_HDRLEN;

	if (r->len + n > r->cap) {
		r->cap = (r->len + n) * 2;
		r->buf = realloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, NLMSG_DATA(nlh), n);
	r->len += n;
	r->nmsg++;
	if (r->each)
		r->each(nlh, r->arg);
}

/*
 * Send @m (freed) and read until the ack or the end of the dump.
 * Return: 0 or the negative errno the kernel answered; @ext gets the
 * extack message ("" when none).
 */
static int xfer(struct conn *c, struct nl_msg *m, char *ext, size_t extlen,
		struct reply *r)
{
	int fd = nl_socket_get_fd(c->nl.sock);
	static unsigned char buf[RXBUF];
	struct nlmsghdr *nlh;
	ssize_t n;

	if (ext)
		ext[0] = 0;
	if (nl_send_auto(c->nl.sock, m) < 0) {
		nlmsg_free(m);
		return -EIO;
	}
	nlmsg_free(m);
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		if (r)
			r->nparts++;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				if (ext)
					etnl_extack(nlh, ext, extlen);
				return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (ext)
					etnl_extack(nlh, ext, extlen);
				return *(int *)NLMSG_DATA(nlh);
			}
			if (r && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
				r->intr = 1;
			if (r)
				reply_add(r, nlh);
		}
	}
}

static void reply_free(struct reply *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Everything the namespace's devices and SAs show, as bytes. */
static int snapshot(struct conn *c, struct reply *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = xfer(c, msg_new(c, ESPTUN_CMD_DEV_GET, NLM_F_DUMP), NULL, 0, r);
	if (err)
		return err;
	return xfer(c, msg_new(c, ESPTUN_CMD_SA_GET, NLM_F_DUMP), NULL, 0, r);
}

/* @s as attribute @type: 4 or 16 bytes, by the address's family. */
static void put_addr(struct nl_msg *m, int type, const char *s)
{
	struct ipaddr a;

	parse_addr(s, &a);
	nla_put(m, type, addr_len(&a), &a.v6);
}

/* SA_NEW: -1 / NULL leave an attribute out. */
struct sa_opts {
	int dir;
	long long spi;
	const char *alg;
	int keylen;
	const char *auth;
	int authkeylen;
	int icv;
	long long window;
	long long soft_add;
	long long hard_add;
};

#define SA_GCM(_dir, _spi) (struct sa_opts){				\
	.dir = (_dir), .spi = (_spi), .alg = "rfc4106(gcm(aes))",	\
	.keylen = 20, .auth = NULL, .authkeylen = -1, .icv = 128,	\
	.window = -1, .soft_add = -1, .hard_add = -1 }

static struct nl_msg *sa_new(struct conn *c, int ifindex,
			     const struct sa_opts *o)
{
	struct nl_msg *m = msg_new(c, ESPTUN_CMD_SA_NEW, 0);
	unsigned char key[128];
	struct nlattr *sa, *lt;

	memset(key, 0x5a, sizeof(key));
	memcpy(key, gcm_key, sizeof(gcm_key));
	nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	if (o->dir >= 0)
		nla_put_u8(m, ESPTUN_SA_A_DIR, o->dir);
	if (o->spi >= 0)
		nla_put_u32(m, ESPTUN_SA_A_SPI, o->spi);
	if (o->alg)
		nla_put_string(m, ESPTUN_SA_A_ENC_ALG, o->alg);
	if (o->keylen >= 0)
		nla_put(m, ESPTUN_SA_A_ENC_KEY, o->keylen, key);
	if (o->auth)
		nla_put_string(m, ESPTUN_SA_A_AUTH_ALG, o->auth);
	if (o->authkeylen >= 0)
		nla_put(m, ESPTUN_SA_A_AUTH_KEY, o->authkeylen, key);
	if (o->icv >= 0)
		nla_put_u32(m, ESPTUN_SA_A_ICV_BITS, o->icv);
	if (o->window >= 0)
		nla_put_u32(m, ESPTUN_SA_A_REPLAY_WINDOW, o->window);
	if (o->soft_add >= 0 || o->hard_add >= 0) {
		lt = nla_nest_start(m, ESPTUN_SA_A_LIFETIME);
		if (o->soft_add >= 0)
			nla_put_u64(m, ESPTUN_LT_A_SOFT_ADD_SECONDS, o->soft_add);
		if (o->hard_add >= 0)
			nla_put_u64(m, ESPTUN_LT_A_HARD_ADD_SECONDS, o->hard_add);
		nla_nest_end(m, lt);
	}
	nla_nest_end(m, sa);
	return m;
}

static struct nl_msg *sa_id(struct conn *c, uint8_t cmd, int ifindex, int dir,
			    uint32_t spi)
{
	struct nl_msg *m = msg_new(c, cmd, 0);
	struct nlattr *sa;

	nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, dir);
	nla_put_u32(m, ESPTUN_SA_A_SPI, spi);
	nla_nest_end(m, sa);
	return m;
}

static struct nl_msg *spi_alloc(struct conn *c, int ifindex, long long min,
				long long max, long long secs)
{
	struct nl_msg *m = msg_new(c, ESPTUN_CMD_SPI_ALLOC, 0);
	struct nlattr *sa;

	nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	if (min >= 0)
		nla_put_u32(m, ESPTUN_SA_A_SPI_MIN, min);
	if (max >= 0)
		nla_put_u32(m, ESPTUN_SA_A_SPI_MAX, max);
	if (secs >= 0)
		nla_put_u32(m, ESPTUN_SA_A_RESERVE_SECONDS, secs);
	nla_nest_end(m, sa);
	return m;
}

/* Parse one SA message: SPI and state (-1 when absent). */
struct sa_seen {
	int n;
	int ifindex;
	long long spi[4096];
	int state[4096];
	int reason;
	int cmd;
};

static void sa_collect(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1], *sa[ESPTUN_SA_A_MAX + 1];
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct sa_seen *s = arg;

	if (genlmsg_parse(nlh, 0, tb, ESPTUN_A_MAX, NULL) || !tb[ESPTUN_A_SA] ||
	    s->n >= 4096)
		return;
	if (nla_parse_nested(sa, ESPTUN_SA_A_MAX, tb[ESPTUN_A_SA], NULL))
		return;
	s->cmd = g->cmd;
	s->ifindex = tb[ESPTUN_A_IFINDEX] ? nla_get_u32(tb[ESPTUN_A_IFINDEX]) : 0;
	s->spi[s->n] = sa[ESPTUN_SA_A_SPI] ? nla_get_u32(sa[ESPTUN_SA_A_SPI]) : 0;
	s->state[s->n] = sa[ESPTUN_SA_A_STATE] ?
		nla_get_u8(sa[ESPTUN_SA_A_STATE]) : -1;
	s->reason = tb[ESPTUN_A_EXPIRE_REASON] ?
		nla_get_u8(tb[ESPTUN_A_EXPIRE_REASON]) : -1;
	s->n++;
}

static int sa_dump(struct conn *c, int ifindex, struct sa_seen *s,
		   struct reply *r)
{
	struct nl_msg *m = msg_new(c, ESPTUN_CMD_SA_GET, NLM_F_DUMP);

	if (ifindex)
		nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	r->each = sa_collect;
	r->arg = s;
	return xfer(c, m, NULL, 0, r);
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FIXTURE(nl) {
	struct conn c;
	int if0;	/* esp0: endpoints 192.0.2.1 -> 192.0.2.2 */
	int if1;	/* esp1: no endpoints */
	char ext[512];
};

FIXTURE_SETUP(nl)
{
	struct nl_msg *m;
	struct nlattr *d;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, run("ip link set lo up && "
			 "ip link add esp0 type esptun && "
			 "ip link add esp1 type esptun"));
	self->if0 = if_nametoindex("esp0");
	self->if1 = if_nametoindex("esp1");
	ASSERT_NE(0, self->if0);
	ASSERT_NE(0, self->if1);
	ASSERT_EQ(0, conn_open(&self->c));

	m = msg_new(&self->c, ESPTUN_CMD_DEV_SET, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, LOCAL4);
	put_addr(m, ESPTUN_DEV_A_REMOTE_IPV4, REMOTE4);
	nla_nest_end(m, d);
	ASSERT_EQ(0, xfer(&self->c, m, self->ext, sizeof(self->ext), NULL));
}

FIXTURE_TEARDOWN(nl)
{
	conn_close(&self->c);
}

/*
 * The request must fail with @err and exactly @text, and the dump of all
 * devices and SAs must not change.
 */
static void expect_reject(struct __test_metadata *_metadata,
			  FIXTURE_DATA(nl) *self, struct nl_msg *m, int err,
			  const char *text)
{
	struct reply before, after;
	int ret;

	ASSERT_EQ(0, snapshot(&self->c, &before));
	ret = xfer(&self->c, m, self->ext, sizeof(self->ext), NULL);
	EXPECT_EQ(-err, ret);
	EXPECT_STREQ(text, self->ext);
	ASSERT_EQ(0, snapshot(&self->c, &after));
	EXPECT_EQ(before.len, after.len);
	if (before.len == after.len)
		EXPECT_EQ(0, memcmp(before.buf, after.buf, before.len));
	reply_free(&before);
	reply_free(&after);
}

#define REJECT(m, err, text) expect_reject(_metadata, self, (m), (err), (text))

static void expect_ok(struct __test_metadata *_metadata,
		      FIXTURE_DATA(nl) *self, struct nl_msg *m)
{
	int ret = xfer(&self->c, m, self->ext, sizeof(self->ext), NULL);

	ASSERT_EQ(0, ret) TH_LOG("refused: %s", self->ext);
}

#define OK(m) expect_ok(_metadata, self, (m))

/* ---- device resolution ---- */

TEST_F(nl, missing_device)
{
	REJECT(msg_new(&self->c, ESPTUN_CMD_DEV_GET, 0), EINVAL,
	       "esptun: missing IFINDEX or IFNAME");
	REJECT(msg_new(&self->c, ESPTUN_CMD_SA_NEW, 0), EINVAL,
	       "esptun: missing IFINDEX or IFNAME");
	REJECT(msg_new(&self->c, ESPTUN_CMD_SPI_ALLOC, 0), EINVAL,
	       "esptun: missing IFINDEX or IFNAME");
}

TEST_F(nl, unknown_device)
{
	struct nl_msg *m = msg_new(&self->c, ESPTUN_CMD_DEV_GET, 0);

	nla_put_u32(m, ESPTUN_A_IFINDEX, 999999);
	REJECT(m, ENODEV, "esptun: no such device");
	m = msg_new(&self->c, ESPTUN_CMD_DEV_SET, 0);
	nla_put_string(m, ESPTUN_A_IFNAME, "nosuch0");
	REJECT(m, ENODEV, "esptun: no such device");
	m = msg_new(&self->c, ESPTUN_CMD_SA_GET, NLM_F_DUMP);
	nla_put_u32(m, ESPTUN_A_IFINDEX, 999999);
	REJECT(m, ENODEV, "esptun: no such device");
}

TEST_F(nl, not_esptun)
{
	struct nl_msg *m = msg_new(&self->c, ESPTUN_CMD_DEV_GET, 0);

	nla_put_u32(m, ESPTUN_A_IFINDEX, if_nametoindex("lo"));
	REJECT(m, EOPNOTSUPP, "esptun: not an esptun device");
	m = msg_new(&self->c, ESPTUN_CMD_SA_FLUSH, 0);
	nla_put_string(m, ESPTUN_A_IFNAME, "lo");
	REJECT(m, EOPNOTSUPP, "esptun: not an esptun device");
}

TEST_F(nl, device_by_name)
{
	struct nl_msg *m = msg_new(&self->c, ESPTUN_CMD_DEV_GET, 0);
	struct reply r = {};

	nla_put_string(m, ESPTUN_A_IFNAME, "esp1");
	ASSERT_EQ(0, xfer(&self->c, m, self->ext, sizeof(self->ext), &r));
	ASSERT_EQ(1, r.nmsg);
	reply_free(&r);
}

/* ---- strict policy ---- */

TEST_F(nl, unknown_toplevel_attribute)
{
	struct nl_msg *m = msg_new(&self->c, ESPTUN_CMD_DEV_GET, 0);

	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	nla_put_u32(m, ESPTUN_A_MAX + 1, 1);
	REJECT(m, EINVAL, "Unknown attribute type");
}

TEST_F(nl, attribute_not_for_this_command)
{
	struct nl_msg *m = msg_new(&self->c, ESPTUN_CMD_DEV_GET, 0);
	struct nlattr *d;

	/* DEV_GET takes no DEV nest */
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	nla_put_u8(m, ESPTUN_DEV_A_ENCAP, 0);
	nla_nest_end(m, d);
	REJECT(m, EINVAL, "Unsupported attribute");

	/* SA_COUNT is read-only */
	m = msg_new(&self->c, ESPTUN_CMD_DEV_SET, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	nla_put_u32(m, ESPTUN_DEV_A_SA_COUNT, 7);
	nla_nest_end(m, d);
	REJECT(m, EINVAL, "Unsupported attribute");

	/* an SA's crypto driver is read-only */
	m = msg_new(&self->c, ESPTUN_CMD_SA_UPDATE, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	d = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_OUT);
	nla_put_u32(m, ESPTUN_SA_A_SPI, 0x5000);
	nla_put_string(m, ESPTUN_SA_A_DRIVER, "pcrypt(x)");
	nla_nest_end(m, d);
	REJECT(m, EINVAL, "Unsupported attribute");
}

static struct nl_msg *dev_set(struct conn *c, int ifindex)
{
	struct nl_msg *m = msg_new(c, ESPTUN_CMD_DEV_SET, 0);

	nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
	return m;
}

TEST_F(nl, dev_set_bad_lengths)
{
	unsigned char b[16] = { 10, 0, 0 };
	struct nl_msg *m = dev_set(&self->c, self->if0);
	struct nlattr *d = nla_nest_start(m, ESPTUN_A_DEV);

	nla_put(m, ESPTUN_DEV_A_LOCAL_IPV4, 3, b);
	nla_nest_end(m, d);
	REJECT(m, ERANGE, "binary attribute size out of range");

	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	nla_put(m, ESPTUN_DEV_A_REMOTE_IPV6, 15, b);
	nla_nest_end(m, d);
	REJECT(m, ERANGE, "binary attribute size out of range");

	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	nla_put(m, ESPTUN_DEV_A_ENCAP_SPORT, 1, b);
	nla_nest_end(m, d);
	REJECT(m, EINVAL, "invalid attribute length");
}

TEST_F(nl, dev_set_semantics)
{
	struct nl_msg *m;
	struct nlattr *d;

	m = dev_set(&self->c, self->if0);
	REJECT(m, EINVAL, "esptun: missing DEV attributes");

	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, "198.51.100.1");
	put_addr(m, ESPTUN_DEV_A_REMOTE_IPV6, "2001:db8::2");
	nla_nest_end(m, d);
	REJECT(m, EINVAL, "esptun: local and remote must be of one family");

	/* one side alone cannot switch the family of the other */
	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV6, "2001:db8::1");
	nla_nest_end(m, d);
	REJECT(m, EINVAL, "esptun: local and remote must be of one family");

	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, "198.51.100.1");
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV6, "2001:db8::1");
	nla_nest_end(m, d);
	REJECT(m, EINVAL, "esptun: an address is IPv4 or IPv6, not both");

	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	nla_put_u8(m, ESPTUN_DEV_A_ENCAP, 2);
	nla_nest_end(m, d);
	REJECT(m, ERANGE, "integer out of range");

	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	nla_put_u16(m, ESPTUN_DEV_A_ENCAP_DPORT, 0);
	nla_nest_end(m, d);
	REJECT(m, ERANGE, "integer out of range");
}

/* A valid DEV_SET reads back exactly; the family switches with both ends. */
TEST_F(nl, dev_set_get_v6)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1], *dv[ESPTUN_DEV_A_MAX + 1];
	struct in6_addr want, *got;
	struct nl_msg *m;
	struct nlattr *d;
	struct reply r = {};

	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV6, "2001:db8::1");
	put_addr(m, ESPTUN_DEV_A_REMOTE_IPV6, "2001:db8::2");
	nla_put_u8(m, ESPTUN_DEV_A_ENCAP, ESPTUN_ENCAP_UDP);
	nla_put_u16(m, ESPTUN_DEV_A_ENCAP_DPORT, 4501);
	nla_nest_end(m, d);
	OK(m);

	m = msg_new(&self->c, ESPTUN_CMD_DEV_GET, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	ASSERT_EQ(0, xfer(&self->c, m, self->ext, sizeof(self->ext), &r));
	ASSERT_EQ(1, r.nmsg);
	ASSERT_EQ(0, nla_parse(tb, ESPTUN_A_MAX,
			       (struct nlattr *)(r.buf + GENL_HDRLEN),
			       r.len - GENL_HDRLEN, NULL));
	ASSERT_NE(NULL, tb[ESPTUN_A_DEV]);
	ASSERT_EQ(0, nla_parse_nested(dv, ESPTUN_DEV_A_MAX, tb[ESPTUN_A_DEV],
				      NULL));
	EXPECT_EQ(NULL, dv[ESPTUN_DEV_A_LOCAL_IPV4]);
	ASSERT_NE(NULL, dv[ESPTUN_DEV_A_REMOTE_IPV6]);
	inet_pton(AF_INET6, "2001:db8::2", &want);
	got = nla_data(dv[ESPTUN_DEV_A_REMOTE_IPV6]);
	EXPECT_EQ(0, memcmp(&want, got, 16));
	EXPECT_EQ(ESPTUN_ENCAP_UDP, nla_get_u8(dv[ESPTUN_DEV_A_ENCAP]));
	EXPECT_EQ(4500, nla_get_u16(dv[ESPTUN_DEV_A_ENCAP_SPORT]));
	EXPECT_EQ(4501, nla_get_u16(dv[ESPTUN_DEV_A_ENCAP_DPORT]));
	EXPECT_EQ(0U, nla_get_u32(dv[ESPTUN_DEV_A_SA_COUNT]));
	reply_free(&r);
}

/* ---- link settings: carrier, MSS clamp, automatic MTU ---- */

/* DEV_GET of @ifindex: the three link settings, -1 when absent. */
static int dev_link(struct conn *c, int ifindex, int *carrier, int *mss,
		    int *mtu_auto)
{
	struct nlattr *tb[ESPTUN_A_MAX + 1], *dv[ESPTUN_DEV_A_MAX + 1];
	struct nl_msg *m = msg_new(c, ESPTUN_CMD_DEV_GET, 0);
	struct reply r = {};
	int err;

	nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
	err = xfer(c, m, NULL, 0, &r);
	if (!err && (r.nmsg != 1 ||
		     nla_parse(tb, ESPTUN_A_MAX,
			       (struct nlattr *)(r.buf + GENL_HDRLEN),
			       r.len - GENL_HDRLEN, NULL) ||
		     !tb[ESPTUN_A_DEV] ||
		     nla_parse_nested(dv, ESPTUN_DEV_A_MAX, tb[ESPTUN_A_DEV],
				      NULL)))
		err = -EBADMSG;
	if (!err) {
		*carrier = dv[ESPTUN_DEV_A_CARRIER] ?
			nla_get_u8(dv[ESPTUN_DEV_A_CARRIER]) : -1;
		*mss = dv[ESPTUN_DEV_A_MSS_CLAMP] ?
			nla_get_u16(dv[ESPTUN_DEV_A_MSS_CLAMP]) : -1;
		*mtu_auto = dv[ESPTUN_DEV_A_MTU_AUTO] ?
			nla_get_u8(dv[ESPTUN_DEV_A_MTU_AUTO]) : -1;
	}
	reply_free(&r);
	return err;
}

/* DEV_SET of one link setting (@len 1 or 2 bytes), with a valid local
 * address next to it when @with_addr, to show that nothing changes.
 */
static struct nl_msg *dev_set_link(struct conn *c, int ifindex, int type,
				   int len, unsigned int v, int with_addr)
{
	struct nl_msg *m = dev_set(c, ifindex);
	struct nlattr *d = nla_nest_start(m, ESPTUN_A_DEV);

	if (with_addr)
		put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, "198.51.100.7");
	if (len == 1)
		nla_put_u8(m, type, v);
	else
		nla_put_u16(m, type, v);
	nla_nest_end(m, d);
	return m;
}

#define MSS_TEXT "esptun: MSS clamp is 0 (off), 1 (auto) or 536 to 65535"

TEST_F(nl, dev_link_settings)
{
	int carrier, mss, mtu_auto;
	struct nl_msg *m;
	struct nlattr *d;

	ASSERT_EQ(0, dev_link(&self->c, self->if0, &carrier, &mss, &mtu_auto));
	EXPECT_EQ(1, carrier);
	EXPECT_EQ(0, mss);
	EXPECT_EQ(0, mtu_auto);

	REJECT(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_CARRIER, 1, 2, 0),
	       ERANGE, "integer out of range");
	REJECT(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_CARRIER, 1, 2, 1),
	       ERANGE, "integer out of range");
	REJECT(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_MTU_AUTO, 1, 2, 1),
	       ERANGE, "integer out of range");
	REJECT(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_PARALLEL, 1, 2, 1),
	       ERANGE, "integer out of range");
	REJECT(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_MSS_CLAMP, 2, 100,
			    0), EINVAL, MSS_TEXT);
	REJECT(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_MSS_CLAMP, 2, 2,
			    1), EINVAL, MSS_TEXT);
	REJECT(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_MSS_CLAMP, 2, 535,
			    1), EINVAL, MSS_TEXT);
	REJECT(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_CARRIER, 2, 0, 1),
	       EINVAL, "invalid attribute length");

	/* all three at once, read back; the boundaries are taken */
	m = dev_set(&self->c, self->if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	nla_put_u8(m, ESPTUN_DEV_A_CARRIER, 0);
	nla_put_u16(m, ESPTUN_DEV_A_MSS_CLAMP, 536);
	nla_put_u8(m, ESPTUN_DEV_A_MTU_AUTO, 1);
	nla_nest_end(m, d);
	OK(m);
	ASSERT_EQ(0, dev_link(&self->c, self->if0, &carrier, &mss, &mtu_auto));
	EXPECT_EQ(0, carrier);
	EXPECT_EQ(536, mss);
	EXPECT_EQ(1, mtu_auto);
	OK(dev_set_link(&self->c, self->if0, ESPTUN_DEV_A_MSS_CLAMP, 2,
			ESPTUN_MSS_CLAMP_AUTO, 0));
	OK(dev_set_link(&self->c, self->if1, ESPTUN_DEV_A_MSS_CLAMP, 2, 65535,
			0));
	ASSERT_EQ(0, dev_link(&self->c, self->if0, &carrier, &mss, &mtu_auto));
	EXPECT_EQ(ESPTUN_MSS_CLAMP_AUTO, mss);
	ASSERT_EQ(0, dev_link(&self->c, self->if1, &carrier, &mss, &mtu_auto));
	EXPECT_EQ(65535, mss);
	EXPECT_EQ(1, carrier);
}

/* ---- SA_NEW ---- */

TEST_F(nl, sa_missing_parts)
{
	struct sa_opts o;
	struct nl_msg *m = msg_new(&self->c, ESPTUN_CMD_SA_NEW, 0);

	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	REJECT(m, EINVAL, "esptun: missing SA attributes");

	o = SA_GCM(-1, 0x1000);
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: missing SA direction (DIR)");
	o = SA_GCM(ESPTUN_DIR_IN, -1);
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL, "esptun: missing SPI");
	o = SA_GCM(ESPTUN_DIR_IN, 0x1000);
	o.alg = NULL;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: missing encryption algorithm (ENC_ALG)");
	o = SA_GCM(ESPTUN_DIR_IN, 0x1000);
	o.keylen = -1;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: missing encryption key (ENC_KEY)");
	o = SA_GCM(ESPTUN_DIR_IN, 0x1000);
	o.icv = -1;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: missing ICV length (ICV_BITS)");
}

TEST_F(nl, sa_reserved_spi)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0);

	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: SPI 0 to 255 are reserved");
	o.spi = 255;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: SPI 0 to 255 are reserved");
	o.spi = 256;
	OK(sa_new(&self->c, self->if0, &o));
}

TEST_F(nl, sa_bad_dir)
{
	struct sa_opts o = SA_GCM(3, 0x1000);

	REJECT(sa_new(&self->c, self->if0, &o), ERANGE, "integer out of range");
	o.dir = 0;
	REJECT(sa_new(&self->c, self->if0, &o), ERANGE, "integer out of range");
}

TEST_F(nl, sa_algorithm_combinations)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x1000);

	o.auth = "hmac(sha256)";
	o.authkeylen = 32;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: an AEAD takes no AUTH_ALG or AUTH_KEY");
	o.auth = NULL;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: an AEAD takes no AUTH_ALG or AUTH_KEY");

	o = SA_GCM(ESPTUN_DIR_IN, 0x1000);
	o.alg = "cbc(aes)";
	o.keylen = 16;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: missing authentication algorithm (AUTH_ALG)");
	o.auth = "hmac(sha256)";
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: missing authentication key (AUTH_KEY)");
	o.authkeylen = 32;
	o.icv = 100;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: ICV length must be a positive multiple of 8 bits");
}

TEST_F(nl, sa_key_lengths)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x1000);

	o.keylen = ESPTUN_KEY_MAX + 1;
	REJECT(sa_new(&self->c, self->if0, &o), ERANGE,
	       "binary attribute size out of range");
	/* the data path's own check: GCM keys are 20, 28 or 36 bytes */
	o.keylen = 17;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: encryption key length does not fit the algorithm");
	o = SA_GCM(ESPTUN_DIR_IN, 0x1000);
	o.alg = "rfc4106(gcm(rot13))";
	REJECT(sa_new(&self->c, self->if0, &o), ENOENT,
	       "esptun: unknown encryption algorithm");
}

TEST_F(nl, sa_replay_window)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x1000);

	o.window = ESPTUN_REPLAY_WINDOW_MAX + 1;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: replay window too large (max 4096)");
	o = SA_GCM(ESPTUN_DIR_OUT, 0x1000);
	o.window = 64;
	REJECT(sa_new(&self->c, self->if0, &o), EINVAL,
	       "esptun: a replay window is for inbound SAs");
	o = SA_GCM(ESPTUN_DIR_IN, 0x1000);
	o.window = ESPTUN_REPLAY_WINDOW_MAX;
	OK(sa_new(&self->c, self->if0, &o));
}

TEST_F(nl, sa_no_endpoint)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x1000);

	REJECT(sa_new(&self->c, self->if1, &o), EINVAL,
	       "esptun: no local address: set one on the device or the SA");
	o.dir = ESPTUN_DIR_OUT;
	REJECT(sa_new(&self->c, self->if1, &o), EINVAL,
	       "esptun: no remote address: set one on the device or the SA");
}

static struct nl_msg *sa_sel(struct conn *c, int ifindex, const char *src,
			     int splen, const char *dst, int proto, int dport)
{
	struct nl_msg *m = msg_new(c, ESPTUN_CMD_SA_NEW, 0);
	struct nlattr *sa, *sel;

	nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_OUT);
	nla_put_u32(m, ESPTUN_SA_A_SPI, 0x1000);
	nla_put_string(m, ESPTUN_SA_A_ENC_ALG, "rfc4106(gcm(aes))");
	nla_put(m, ESPTUN_SA_A_ENC_KEY, sizeof(gcm_key), gcm_key);
	nla_put_u32(m, ESPTUN_SA_A_ICV_BITS, 128);
	sel = nla_nest_start(m, ESPTUN_SA_A_SELECTOR);
	if (src && strchr(src, ':'))
		put_addr(m, ESPTUN_SEL_A_SRC_IPV6, src);
	else if (src)
		put_addr(m, ESPTUN_SEL_A_SRC_IPV4, src);
	if (splen >= 0)
		nla_put_u8(m, ESPTUN_SEL_A_SRC_PREFIXLEN, splen);
	if (dst && strchr(dst, ':'))
		put_addr(m, ESPTUN_SEL_A_DST_IPV6, dst);
	else if (dst)
		put_addr(m, ESPTUN_SEL_A_DST_IPV4, dst);
	if (proto >= 0)
		nla_put_u8(m, ESPTUN_SEL_A_PROTO, proto);
	if (dport >= 0)
		nla_put_u16(m, ESPTUN_SEL_A_DPORT, dport);
	nla_nest_end(m, sel);
	nla_nest_end(m, sa);
	return m;
}

TEST_F(nl, sa_selector_rules)
{
	REJECT(sa_sel(&self->c, self->if0, "10.0.0.0", 8, "2001:db8::", -1, -1),
	       EINVAL,
	       "esptun: selector source and destination must be of one family");
	REJECT(sa_sel(&self->c, self->if0, "10.0.0.0", 33, "10.1.0.0", -1, -1),
	       EINVAL, "esptun: selector prefix length too long for IPv4");
	REJECT(sa_sel(&self->c, self->if0, "10.0.0.0", 200, "10.1.0.0", -1, -1),
	       EINVAL, "esptun: selector prefix length too long for IPv4");
	REJECT(sa_sel(&self->c, self->if0, "2001:db8::", 129, NULL, -1, -1),
	       EINVAL, "esptun: selector prefix length too long for IPv6");
	REJECT(sa_sel(&self->c, self->if0, NULL, 8, "10.1.0.0", -1, -1),
	       EINVAL, "esptun: selector prefix length without an address");
	REJECT(sa_sel(&self->c, self->if0, NULL, -1, NULL, IPPROTO_ICMP, 22),
	       EINVAL,
	       "esptun: selector ports need protocol TCP, UDP, UDP-Lite or SCTP");
	OK(sa_sel(&self->c, self->if0, "10.0.0.0", 8, "10.1.0.0", IPPROTO_TCP,
		  22));
}

/* SA_NEW with a selector side as a range: @se / @de NULL leave it out. */
static struct nl_msg *sa_sel_range(struct conn *c, int ifindex,
				   const char *src, int splen, const char *se,
				   const char *dst, const char *de)
{
	struct nl_msg *m = msg_new(c, ESPTUN_CMD_SA_NEW, 0);
	struct nlattr *sa, *sel;

	nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_OUT);
	nla_put_u32(m, ESPTUN_SA_A_SPI, 0x1000);
	nla_put_string(m, ESPTUN_SA_A_ENC_ALG, "rfc4106(gcm(aes))");
	nla_put(m, ESPTUN_SA_A_ENC_KEY, sizeof(gcm_key), gcm_key);
	nla_put_u32(m, ESPTUN_SA_A_ICV_BITS, 128);
	sel = nla_nest_start(m, ESPTUN_SA_A_SELECTOR);
	if (src)
		put_addr(m, strchr(src, ':') ? ESPTUN_SEL_A_SRC_IPV6 :
					       ESPTUN_SEL_A_SRC_IPV4, src);
	if (splen >= 0)
		nla_put_u8(m, ESPTUN_SEL_A_SRC_PREFIXLEN, splen);
	if (se)
		put_addr(m, strchr(se, ':') ? ESPTUN_SEL_A_SRC_END_IPV6 :
					      ESPTUN_SEL_A_SRC_END_IPV4, se);
	if (dst)
		put_addr(m, strchr(dst, ':') ? ESPTUN_SEL_A_DST_IPV6 :
					       ESPTUN_SEL_A_DST_IPV4, dst);
	if (de)
		put_addr(m, strchr(de, ':') ? ESPTUN_SEL_A_DST_END_IPV6 :
					      ESPTUN_SEL_A_DST_END_IPV4, de);
	nla_nest_end(m, sel);
	nla_nest_end(m, sa);
	return m;
}

TEST_F(nl, sa_selector_range_rules)
{
	REJECT(sa_sel_range(&self->c, self->if0, "10.1.0.5", 24, "10.1.0.20",
			    "10.2.0.0", NULL), EINVAL,
	       "esptun: selector side takes a prefix length or a range end, not both");
	REJECT(sa_sel_range(&self->c, self->if0, "10.1.0.5", -1, "2001:db8::5",
			    "10.2.0.0", NULL), EINVAL,
	       "esptun: selector range end must be of the selector's family");
	REJECT(sa_sel_range(&self->c, self->if0, "10.1.0.20", -1, "10.1.0.5",
			    "10.2.0.0", NULL), EINVAL,
	       "esptun: selector range end below its start");
	/* Below in the first byte only: compared as a number, not a byte. */
	REJECT(sa_sel_range(&self->c, self->if0, "10.2.0.0", -1, NULL,
			    "10.1.0.1", "9.255.255.255"), EINVAL,
	       "esptun: selector range end below its start");
	REJECT(sa_sel_range(&self->c, self->if0, "2001:db8::1:0", -1,
			    "2001:db8::ffff", "2001:db8:1::", NULL), EINVAL,
	       "esptun: selector range end below its start");
	REJECT(sa_sel_range(&self->c, self->if0, NULL, -1, "10.1.0.20",
			    "10.2.0.0", NULL), EINVAL,
	       "esptun: selector range end without a start address");
	OK(sa_sel_range(&self->c, self->if0, "10.1.0.5", -1, "10.1.0.5",
			"10.2.0.0", "10.2.0.0"));
}

/* A range and a prefix come back from a dump as they were set. */
static void sel_collect(struct nlmsghdr *nlh, void *arg)
{
	struct etsa *sa = arg;

	attr_get_sa(nlh, sa, NULL);
}

TEST_F(nl, sa_selector_range_dump)
{
	struct etsa sa = {};
	struct reply r = { .each = sel_collect, .arg = &sa };
	struct in6_addr a;

	OK(sa_sel_range(&self->c, self->if0, "2001:db8::5", -1,
			"2001:db8::1:14", "2001:db8:2::7", NULL));
	ASSERT_EQ(0, xfer(&self->c, sa_id(&self->c, ESPTUN_CMD_SA_GET,
					  self->if0, ESPTUN_DIR_OUT, 0x1000),
			  self->ext, sizeof(self->ext), &r));
	ASSERT_EQ(AF_INET6, sa.sel.src.family);
	ASSERT_EQ(AF_INET6, sa.sel.src_end.family);
	inet_pton(AF_INET6, "2001:db8::5", &a);
	EXPECT_EQ(0, memcmp(&a, &sa.sel.src.v6, 16));
	inet_pton(AF_INET6, "2001:db8::1:14", &a);
	EXPECT_EQ(0, memcmp(&a, &sa.sel.src_end.v6, 16));
	EXPECT_NE(0, !!(sa.sel.has & BIT(ESPTUN_SEL_A_SRC_END_IPV6)));
	EXPECT_EQ(0, !!(sa.sel.has & BIT(ESPTUN_SEL_A_SRC_PREFIXLEN)));
	/* The prefix side: no end, its full length. */
	EXPECT_EQ(0, sa.sel.dst_end.family);
	EXPECT_NE(0, !!(sa.sel.has & BIT(ESPTUN_SEL_A_DST_PREFIXLEN)));
	EXPECT_EQ(128, sa.sel.dst_plen);
	reply_free(&r);
}

TEST_F(nl, sa_duplicates)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x1000);

	OK(sa_new(&self->c, self->if0, &o));
	REJECT(sa_new(&self->c, self->if0, &o), EEXIST,
	       "esptun: inbound SPI already in use for this local address");
	o.dir = ESPTUN_DIR_OUT;
	OK(sa_new(&self->c, self->if0, &o));
	REJECT(sa_new(&self->c, self->if0, &o), EEXIST,
	       "esptun: outbound SPI already in use on this device");
}

/* Inbound SPIs are unique per (namespace, local address), across devices. */
TEST_F(nl, sa_duplicate_other_device)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x2000);
	struct nl_msg *m;
	struct nlattr *d;

	m = dev_set(&self->c, self->if1);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, LOCAL4);
	put_addr(m, ESPTUN_DEV_A_REMOTE_IPV4, "192.0.2.3");
	nla_nest_end(m, d);
	OK(m);
	OK(sa_new(&self->c, self->if0, &o));
	REJECT(sa_new(&self->c, self->if1, &o), EEXIST,
	       "esptun: inbound SPI already in use for this local address");
	/* outbound SPIs are per device */
	o.dir = ESPTUN_DIR_OUT;
	OK(sa_new(&self->c, self->if0, &o));
	OK(sa_new(&self->c, self->if1, &o));
}

TEST_F(nl, sa_xfrm_conflict)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x3000);

	ASSERT_EQ(0, run("ip xfrm state add src " REMOTE4 " dst " LOCAL4
			 " proto esp spi 0x3000 mode tunnel aead "
			 "'rfc4106(gcm(aes))' "
			 "0x0102030405060708090a0b0c0d0e0f1011121314 128"));
	REJECT(sa_new(&self->c, self->if0, &o), EEXIST,
	       "esptun: xfrm already has an ESP SA with this destination and SPI");
	o.spi = 0x3001;
	OK(sa_new(&self->c, self->if0, &o));
}

TEST_F(nl, sa_del_get_missing)
{
	struct nl_msg *m;

	REJECT(sa_id(&self->c, ESPTUN_CMD_SA_DEL, self->if0, ESPTUN_DIR_IN,
		     0x4444), ENOENT, "esptun: no such SA");
	REJECT(sa_id(&self->c, ESPTUN_CMD_SA_GET, self->if0, ESPTUN_DIR_OUT,
		     0x4444), ENOENT, "esptun: no such SA");
	m = msg_new(&self->c, ESPTUN_CMD_SA_DEL, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	REJECT(m, EINVAL, "esptun: missing SA attributes");
}

TEST_F(nl, sa_update_rules)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_OUT, 0x5000);
	struct nl_msg *m;
	struct nlattr *sa;

	OK(sa_new(&self->c, self->if0, &o));
	/* keys never change */
	m = msg_new(&self->c, ESPTUN_CMD_SA_UPDATE, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_OUT);
	nla_put_u32(m, ESPTUN_SA_A_SPI, 0x5000);
	nla_put(m, ESPTUN_SA_A_ENC_KEY, 20, gcm_key);
	nla_nest_end(m, sa);
	REJECT(m, EINVAL, "Unsupported attribute");

	m = msg_new(&self->c, ESPTUN_CMD_SA_UPDATE, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_OUT);
	nla_put_u32(m, ESPTUN_SA_A_SPI, 0x5000);
	put_addr(m, ESPTUN_SA_A_REMOTE_IPV6, "2001:db8::9");
	nla_nest_end(m, sa);
	REJECT(m, EINVAL, "esptun: remote address family differs from the SA's");

	/* a valid update: NAT-T ports */
	m = msg_new(&self->c, ESPTUN_CMD_SA_UPDATE, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	sa = nla_nest_start(m, ESPTUN_A_SA);
	nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_OUT);
	nla_put_u32(m, ESPTUN_SA_A_SPI, 0x5000);
	nla_put_u8(m, ESPTUN_SA_A_ENCAP, ESPTUN_ENCAP_UDP);
	nla_put_u16(m, ESPTUN_SA_A_ENCAP_DPORT, 31337);
	nla_nest_end(m, sa);
	OK(m);
}

/* ---- SPI allocation ---- */

TEST_F(nl, spi_alloc_ranges)
{
	REJECT(spi_alloc(&self->c, self->if0, 0x2000, 0x1000, -1), EINVAL,
	       "esptun: SPI range is inverted (min > max)");
	REJECT(spi_alloc(&self->c, self->if0, 100, 0x1000, -1), EINVAL,
	       "esptun: SPI range must start at 256 or above");
	REJECT(spi_alloc(&self->c, self->if0, 0x1000, 0x1000, 0), ERANGE,
	       "integer out of range");
	REJECT(spi_alloc(&self->c, self->if1, -1, -1, -1), EINVAL,
	       "esptun: no local address: set one on the device or give LOCAL");
	/* a one-SPI range: the second reservation finds it taken */
	OK(spi_alloc(&self->c, self->if0, 0x1000, 0x1000, -1));
	REJECT(spi_alloc(&self->c, self->if0, 0x1000, 0x1000, -1), ENOSPC,
	       "esptun: no free SPI in range");
}

static long long alloc_one(struct __test_metadata *_metadata,
			  FIXTURE_DATA(nl) *self, int ifindex, long long min,
			  long long max, long long secs)
{
	struct sa_seen s = {};
	struct reply r = { .each = sa_collect, .arg = &s };
	int ret;

	ret = xfer(&self->c, spi_alloc(&self->c, ifindex, min, max, secs),
		   self->ext, sizeof(self->ext), &r);
	EXPECT_EQ(0, ret) TH_LOG("%s", self->ext);
	EXPECT_EQ(1, s.n);
	reply_free(&r);
	return s.spi[0];
}

TEST_F(nl, spi_reservation_lifecycle)
{
	struct sa_seen s;
	struct reply r;
	struct sa_opts o;
	long long spi;

	/* consumed by SA_NEW */
	spi = alloc_one(_metadata, self, self->if0, 0x10000, 0x1ffff, -1);
	ASSERT_GE(spi, 0x10000);
	ASSERT_LE(spi, 0x1ffff);
	ASSERT_EQ(0, sa_dump(&self->c, self->if0, &s, &r));
	ASSERT_EQ(1, s.n);
	EXPECT_EQ(ESPTUN_SA_STATE_RESERVED, s.state[0]);
	reply_free(&r);
	o = SA_GCM(ESPTUN_DIR_IN, spi);
	OK(sa_new(&self->c, self->if0, &o));
	ASSERT_EQ(0, sa_dump(&self->c, self->if0, &s, &r));
	ASSERT_EQ(1, s.n);
	EXPECT_EQ(spi, s.spi[0]);
	EXPECT_EQ(ESPTUN_SA_STATE_VALID, s.state[0]);
	reply_free(&r);

	/* released by SA_DEL */
	spi = alloc_one(_metadata, self, self->if0, 0x20000, 0x2ffff, -1);
	OK(sa_id(&self->c, ESPTUN_CMD_SA_DEL, self->if0, ESPTUN_DIR_IN, spi));
	ASSERT_EQ(0, sa_dump(&self->c, self->if0, &s, &r));
	EXPECT_EQ(1, s.n);
	reply_free(&r);

	/* gone when its time runs out */
	spi = alloc_one(_metadata, self, self->if0, 0x30000, 0x3ffff, 1);
	ASSERT_EQ(0, sa_dump(&self->c, self->if0, &s, &r));
	EXPECT_EQ(2, s.n);
	reply_free(&r);
	usleep(2500 * 1000);
	ASSERT_EQ(0, sa_dump(&self->c, self->if0, &s, &r));
	EXPECT_EQ(1, s.n);
	reply_free(&r);
}

TEST_F(nl, spi_reserved_by_other_device)
{
	struct sa_opts o;
	struct nl_msg *m;
	struct nlattr *d;
	long long spi;

	m = dev_set(&self->c, self->if1);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, LOCAL4);
	nla_nest_end(m, d);
	OK(m);
	spi = alloc_one(_metadata, self, self->if0, 0x10000, 0x1ffff, -1);
	o = SA_GCM(ESPTUN_DIR_IN, spi);
	REJECT(sa_new(&self->c, self->if1, &o), EEXIST,
	       "esptun: SPI reserved by another device");
}

/* ---- dumps over many parts ---- */

#define MANY 1500

TEST_F(nl, dump_thousands)
{
	static struct sa_seen s;
	struct reply r;
	int i, j, dup = 0;
	struct nl_msg *m;
	struct nlattr *d;

	m = dev_set(&self->c, self->if1);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, "192.0.2.5");
	nla_nest_end(m, d);
	OK(m);
	/* reserved for 10 minutes: a debug kernel takes longer than the
	 * default 60 s to make them all
	 */
	for (i = 0; i < MANY; i++) {
		alloc_one(_metadata, self, self->if0, 0x100000, 0x1fffff, 600);
		alloc_one(_metadata, self, self->if1, 0x200000, 0x2fffff, 600);
		if (_metadata->passed == 0)
			return;
	}
	ASSERT_EQ(0, sa_dump(&self->c, 0, &s, &r));
	EXPECT_EQ(2 * MANY, s.n);
	EXPECT_EQ(2 * MANY, r.nmsg);
	/* about 100 bytes per SA: many dump parts, each continued */
	EXPECT_GT(r.nparts, 2);
	EXPECT_EQ(0, r.intr);
	TH_LOG("%d SAs in %d parts", s.n, r.nparts);
	for (i = 0; i < s.n; i++) {
		EXPECT_EQ(ESPTUN_SA_STATE_RESERVED, s.state[i]);
		for (j = i + 1; j < s.n; j++)
			dup += s.spi[i] == s.spi[j];
	}
	EXPECT_EQ(0, dup);
	reply_free(&r);

	ASSERT_EQ(0, sa_dump(&self->c, self->if1, &s, &r));
	EXPECT_EQ(MANY, s.n);
	for (i = 0; i < s.n; i++)
		EXPECT_GE(s.spi[i], 0x200000);
	reply_free(&r);

	/* flush one device, then the rest */
	m = msg_new(&self->c, ESPTUN_CMD_SA_FLUSH, 0);
	nla_put_u32(m, ESPTUN_A_IFINDEX, self->if0);
	OK(m);
	ASSERT_EQ(0, sa_dump(&self->c, 0, &s, &r));
	EXPECT_EQ(MANY, s.n);
	reply_free(&r);
	OK(msg_new(&self->c, ESPTUN_CMD_SA_FLUSH, 0));
	ASSERT_EQ(0, sa_dump(&self->c, 0, &s, &r));
	EXPECT_EQ(0, s.n);
	reply_free(&r);
}

/* ---- reads ---- */

TEST_F(nl, sa_get_has_no_keys)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x6000);
	struct sa_seen s = {};
	struct reply r = { .each = sa_collect, .arg = &s };

	OK(sa_new(&self->c, self->if0, &o));
	ASSERT_EQ(0, xfer(&self->c, sa_id(&self->c, ESPTUN_CMD_SA_GET,
					  self->if0, ESPTUN_DIR_IN, 0x6000),
			  self->ext, sizeof(self->ext), &r));
	ASSERT_EQ(1, s.n);
	EXPECT_EQ(0x6000, s.spi[0]);
	EXPECT_EQ(ESPTUN_SA_STATE_VALID, s.state[0]);
	EXPECT_EQ(NULL, memmem(r.buf, r.len, gcm_key, 8));
	EXPECT_EQ(NULL, memmem(r.buf, r.len, gcm_key + 12, 8));
	reply_free(&r);
}

/* ---- events ---- */

static int events_open(struct conn *c)
{
	struct timeval tv = { .tv_sec = 5 };
	char err[256];

	if (conn_open(c) || etnl_subscribe(&c->nl, err, sizeof(err)))
		return -1;
	return setsockopt(nl_socket_get_fd(c->nl.sock), SOL_SOCKET,
			  SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Next event on @c into @s. Return: 0 or -errno (-EAGAIN on timeout). */
static int event_next(struct conn *c, struct sa_seen *s)
{
	static unsigned char buf[RXBUF];
	struct nlmsghdr *nlh;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	n = recv(nl_socket_get_fd(c->nl.sock), buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	nlh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nlh, n))
		return -EBADMSG;
	sa_collect(nlh, s);
	return 0;
}

TEST_F(nl, expiry_events)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x7000);
	struct timespec t0, t1;
	struct conn ev = {};
	struct sa_seen s;
	struct reply r;

	ASSERT_EQ(0, events_open(&ev));
	o.soft_add = 1;
	o.hard_add = 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	OK(sa_new(&self->c, self->if0, &o));

	ASSERT_EQ(0, event_next(&ev, &s));
	EXPECT_EQ(ESPTUN_CMD_EV_SOFT_EXPIRE, s.cmd);
	EXPECT_EQ(ESPTUN_EXPIRE_ADD_SECONDS, s.reason);
	EXPECT_EQ(0x7000, s.spi[0]);
	EXPECT_EQ(ESPTUN_SA_STATE_SOFT_EXPIRED, s.state[0]);
	EXPECT_EQ(self->if0, s.ifindex);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GE(t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9, 0.9);

	ASSERT_EQ(0, event_next(&ev, &s));
	EXPECT_EQ(ESPTUN_CMD_EV_HARD_EXPIRE, s.cmd);
	EXPECT_EQ(ESPTUN_EXPIRE_ADD_SECONDS, s.reason);
	EXPECT_EQ(0x7000, s.spi[0]);
	EXPECT_EQ(ESPTUN_SA_STATE_HARD_EXPIRED, s.state[0]);

	/* deleted after the hard expiry */
	ASSERT_EQ(0, sa_dump(&self->c, 0, &s, &r));
	EXPECT_EQ(0, s.n);
	reply_free(&r);
	conn_close(&ev);
}

/* ---- permissions ---- */

/* ---- every request command, from where it must not reach ---- */

/* Each request command in a form an admin's request would take; the GETs
 * twice, as one object and as a dump.
 */
static const char *const req_names[] = {
	"DEV_GET", "DEV_GET dump", "DEV_SET", "SA_NEW", "SA_UPDATE",
	"SA_DEL", "SA_GET", "SA_GET dump", "SA_FLUSH", "SPI_ALLOC",
};

#define N_REQ ((int)ARRAY_SIZE(req_names))

static struct nl_msg *any_request(struct conn *c, int i, int ifindex)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_IN, 0x8000);
	struct nl_msg *m = NULL;
	struct nlattr *n;

	switch (i) {
	case 0:
	case 1:
		m = msg_new(c, ESPTUN_CMD_DEV_GET, i ? NLM_F_DUMP : 0);
		nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
		break;
	case 2:
		m = dev_set(c, ifindex);
		n = nla_nest_start(m, ESPTUN_A_DEV);
		nla_put_u8(m, ESPTUN_DEV_A_CARRIER, 0);
		nla_nest_end(m, n);
		break;
	case 3:
		m = sa_new(c, ifindex, &o);
		break;
	case 4:
		m = msg_new(c, ESPTUN_CMD_SA_UPDATE, 0);
		nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
		n = nla_nest_start(m, ESPTUN_A_SA);
		nla_put_u8(m, ESPTUN_SA_A_DIR, ESPTUN_DIR_OUT);
		nla_put_u32(m, ESPTUN_SA_A_SPI, 0x7000);
		nla_put_u16(m, ESPTUN_SA_A_ENCAP_DPORT, 31337);
		nla_nest_end(m, n);
		break;
	case 5:
		m = sa_id(c, ESPTUN_CMD_SA_DEL, ifindex, ESPTUN_DIR_OUT, 0x7000);
		break;
	case 6:
		m = sa_id(c, ESPTUN_CMD_SA_GET, ifindex, ESPTUN_DIR_OUT, 0x7000);
		break;
	case 7:
		m = msg_new(c, ESPTUN_CMD_SA_GET, NLM_F_DUMP);
		nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
		break;
	case 8:
		m = msg_new(c, ESPTUN_CMD_SA_FLUSH, 0);
		nla_put_u32(m, ESPTUN_A_IFINDEX, ifindex);
		break;
	case 9:
		m = spi_alloc(c, ifindex, 0x9000, 0x9fff, 30);
		break;
	}
	return m;
}

/* The fixture's esp0 with an outbound SA, SPI 0x7000, for the requests
 * above to find.
 */
static int add_target_sa(struct conn *c, int ifindex)
{
	struct sa_opts o = SA_GCM(ESPTUN_DIR_OUT, 0x7000);

	return xfer(c, sa_new(c, ifindex, &o), NULL, 0, NULL);
}

/*
 * Without CAP_NET_ADMIN every request command is refused, reads included,
 * the events group cannot be joined, and nothing changes.
 */
TEST_F(nl, unprivileged)
{
	struct reply before, after;
	pid_t pid;
	int st;

	ASSERT_EQ(0, add_target_sa(&self->c, self->if0));
	ASSERT_EQ(0, snapshot(&self->c, &before));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct conn c = {};
		int grp, i, err, bad = 0;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		if (conn_open(&c))
			_exit(11);
		/* through libnl before the raw exchanges below */
		grp = genl_ctrl_resolve_grp(c.nl.sock, ESPTUN_GENL_NAME,
					    ESPTUN_MCGRP_EVENTS);
		for (i = 0; i < N_REQ; i++) {
			err = xfer(&c, any_request(&c, i, self->if0), NULL, 0,
				   NULL);
			if (err != -EPERM) {
				fprintf(stderr, "# %s: %d, not -EPERM\n",
					req_names[i], err);
				bad = 1;
			}
		}
		if (grp < 0 || nl_socket_add_membership(c.nl.sock, grp) == 0) {
			fprintf(stderr, "# events group joined\n");
			bad = 1;
		}
		_exit(bad ? 20 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(0, snapshot(&self->c, &after));
	EXPECT_EQ(before.len, after.len);
	if (before.len == after.len)
		EXPECT_EQ(0, memcmp(before.buf, after.buf, before.len));
	reply_free(&before);
	reply_free(&after);
}

/* Map root of a new user namespace to root outside, so that programs it
 * runs keep their capabilities over the namespace.
 */
static int userns_root(void)
{
	static const char *const files[] = {
		"/proc/self/setgroups", "/proc/self/uid_map",
		"/proc/self/gid_map",
	};
	static const char *const text[] = { "deny", "0 0 1", "0 0 1" };
	FILE *f;
	int i;

	for (i = 0; i < 3; i++) {
		f = fopen(files[i], "w");
		if (!f || fputs(text[i], f) < 0 || fclose(f))
			return -1;
	}
	return 0;
}

/*
 * Root of a new user namespace with its own network namespace has
 * CAP_NET_ADMIN over it and nothing more: it configures its own esptun
 * device and joins the events group, but the devices of the namespace
 * the test runs in cannot even be named from there.
 */
TEST_F(nl, user_namespace)
{
	struct reply before, after;
	pid_t pid;
	struct nl_msg *pm;
	struct nlattr *pd;
	int st;

	/* esp1 gets endpoints and an SA, for the requests below to miss */
	pm = dev_set(&self->c, self->if1);
	pd = nla_nest_start(pm, ESPTUN_A_DEV);
	put_addr(pm, ESPTUN_DEV_A_LOCAL_IPV4, LOCAL4);
	put_addr(pm, ESPTUN_DEV_A_REMOTE_IPV4, "192.0.2.3");
	nla_nest_end(pm, pd);
	ASSERT_EQ(0, xfer(&self->c, pm, NULL, 0, NULL));
	ASSERT_EQ(0, add_target_sa(&self->c, self->if1));
	ASSERT_EQ(0, snapshot(&self->c, &before));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sa_opts o = SA_GCM(ESPTUN_DIR_OUT, 0x9000);
		struct conn c = {};
		struct reply r = {};
		struct nl_msg *m;
		struct nlattr *d;
		char ext[512];
		int own, grp, i, err, bad = 0;

		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) || userns_root())
			_exit(10);
		if (run("ip link add esp0 type esptun"))
			_exit(11);
		own = if_nametoindex("esp0");
		if (!own || own == self->if1 || conn_open(&c))
			_exit(12);
		/* through libnl before the raw exchanges below */
		grp = genl_ctrl_resolve_grp(c.nl.sock, ESPTUN_GENL_NAME,
					    ESPTUN_MCGRP_EVENTS);
		m = dev_set(&c, own);
		d = nla_nest_start(m, ESPTUN_A_DEV);
		put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, LOCAL4);
		put_addr(m, ESPTUN_DEV_A_REMOTE_IPV4, REMOTE4);
		nla_put_u16(m, ESPTUN_DEV_A_MSS_CLAMP, ESPTUN_MSS_CLAMP_AUTO);
		nla_nest_end(m, d);
		bad |= xfer(&c, m, ext, sizeof(ext), NULL) != 0;
		bad |= (xfer(&c, sa_new(&c, own, &o), ext, sizeof(ext), NULL) !=
			0) << 1;
		m = dev_set(&c, self->if1);
		d = nla_nest_start(m, ESPTUN_A_DEV);
		nla_put_u8(m, ESPTUN_DEV_A_CARRIER, 0);
		nla_nest_end(m, d);
		bad |= (xfer(&c, m, ext, sizeof(ext), NULL) != -ENODEV ||
			strcmp(ext, "esptun: no such device")) << 2;
		m = msg_new(&c, ESPTUN_CMD_DEV_GET, NLM_F_DUMP);
		bad |= (xfer(&c, m, NULL, 0, &r) != 0 || r.nmsg != 1) << 3;
		bad |= (grp < 0 || nl_socket_add_membership(c.nl.sock, grp))
			<< 4;
		/* every command naming the outer namespace's esp1; a dump
		 * of devices takes no device and lists only its own
		 */
		reply_free(&r);
		for (i = 0; i < N_REQ; i++) {
			err = xfer(&c, any_request(&c, i, self->if1), ext,
				   sizeof(ext), &r);
			if (i == 1 ? err || r.nmsg != 1 :
			    err != -ENODEV || strcmp(ext, "esptun: no such device")) {
				fprintf(stderr, "# %s: %d \"%s\"\n",
					req_names[i], err, ext);
				bad |= 1 << 5;
			}
			reply_free(&r);
		}
		/* a flush of everything is a flush of its own namespace */
		m = msg_new(&c, ESPTUN_CMD_SA_FLUSH, 0);
		bad |= (xfer(&c, m, ext, sizeof(ext), NULL) != 0) << 6;
		_exit(bad ? 20 + bad : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(0, snapshot(&self->c, &after));
	EXPECT_EQ(before.len, after.len);
	if (before.len == after.len)
		EXPECT_EQ(0, memcmp(before.buf, after.buf, before.len));
	reply_free(&before);
	reply_free(&after);
}

/* ---- random requests ---- */

/* xorshift64*; the seed is logged and ESPTUN_NL_SEED replays a run */
static uint64_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (rnd_state * 0x2545f4914f6cdd1dULL) >> 32;
}

static uint32_t rnd_below(uint32_t n)
{
	return rnd() % n;
}

#define PICK(a) ((a)[rnd_below(ARRAY_SIZE(a))])

static const char *const rnd_strings[] = {
	"rfc4106(gcm(aes))", "cbc(aes)", "hmac(sha256)", "hmac(sha1)",
	"rfc7539esp(chacha20,poly1305)", "ecb(cipher_null)", "cbc(des3_ede)",
	"esp0", "esp1", "lo", "", "gcm(aes)",
};

/* One attribute of @type: sizes and values at the boundaries of what the
 * family takes (integers of every width, strings with and without their
 * NUL, keys, addresses), or noise.
 */
static void put_random(struct nl_msg *m, int type, const int *ifs)
{
	static const int lens[] = {
		0, 1, 2, 3, 4, 5, 8, 12, 15, 16, 17, 20, 32, 36, 64, 65, 255,
	};
	static const uint64_t vals[] = {
		0, 1, 2, 3, 8, 32, 33, 64, 96, 128, 129, 255, 256, 535, 536,
		4096, 4097, 0x7000, 0xffff, 0x10000, 0x7fffffff, 0xffffffff,
		~0ULL,
	};
	unsigned char buf[512] = { 0 };
	const char *str;
	uint64_t v;
	int len, i;

	switch (rnd_below(6)) {
	case 0:
		len = 1 << rnd_below(4);
		v = rnd_below(4) ? PICK(vals) : (uint64_t)ifs[rnd_below(2)];
		memcpy(buf, &v, len);
		break;
	case 1:
		str = PICK(rnd_strings);
		len = strlen(str) + rnd_below(2);
		memcpy(buf, str, strlen(str));
		break;
	case 2:
		len = PICK(lens);
		break;
	case 3:
		len = PICK(lens);
		memset(buf, 0xff, len);
		break;
	default:
		len = rnd_below(3) ? PICK(lens) : (int)rnd_below(sizeof(buf));
		for (i = 0; i < len; i++)
			buf[i] = rnd();
		break;
	}
	nla_put(m, type, len, buf);
}

/* Levels of the family's attribute tree, and which types nest which. */
enum { LV_TOP, LV_DEV, LV_SA, LV_LT, LV_SEL, LV_STATS };

static const int lv_max[] = {
	[LV_TOP] = ESPTUN_A_MAX, [LV_DEV] = ESPTUN_DEV_A_MAX,
	[LV_SA] = ESPTUN_SA_A_MAX, [LV_LT] = ESPTUN_LT_A_MAX,
	[LV_SEL] = ESPTUN_SEL_A_MAX, [LV_STATS] = ESPTUN_STAT_MAX,
};

static int lv_child(int level, int type)
{
	if (level == LV_TOP && type == ESPTUN_A_DEV)
		return LV_DEV;
	if (level == LV_TOP && type == ESPTUN_A_SA)
		return LV_SA;
	if (level == LV_SA && type == ESPTUN_SA_A_LIFETIME)
		return LV_LT;
	if (level == LV_SA && type == ESPTUN_SA_A_SELECTOR)
		return LV_SEL;
	if ((level == LV_SA && type == ESPTUN_SA_A_STATS) ||
	    (level == LV_DEV && type == ESPTUN_DEV_A_STATS))
		return LV_STATS;
	return -1;
}

static void put_random_level(struct nl_msg *m, int level, const int *ifs)
{
	int n = rnd_below(8), k, type, child;
	struct nlattr *nest;

	for (k = 0; k < n; k++) {
		type = rnd_below(lv_max[level] + 3);
		child = lv_child(level, type);
		if (child >= 0 && rnd_below(5)) {
			nest = nla_nest_start(m, type);
			put_random_level(m, child, ifs);
			nla_nest_end(m, nest);
		} else {
			put_random(m, type, ifs);
		}
	}
}

/* A few changes to the attribute bytes of a valid request: bytes set or
 * flipped, a 32-bit word set to a boundary value, the message cut short.
 */
static void mutate(struct nl_msg *m)
{
	static const uint32_t words[] = {
		0, 1, 4, 0xffff, 0x10000, 0x7fffffff, 0xffffffff,
	};
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	unsigned char *p = (unsigned char *)nlmsg_data(nlh) + GENL_HDRLEN;
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	int k, n = 1 + rnd_below(3), at;
	uint32_t w;

	for (k = 0; k < n && len > 0; k++) {
		at = rnd_below(len);
		switch (rnd_below(4)) {
		case 0:
			p[at] = rnd();
			break;
		case 1:
			p[at] ^= 1 << rnd_below(8);
			break;
		case 2:
			w = PICK(words);
			at &= ~3;
			memcpy(p + at, &w, len - at < 4 ? len - at : 4);
			break;
		default:
			len = at;
			nlh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + len;
			break;
		}
	}
}

static int is_read(int cmd)
{
	return cmd == ESPTUN_CMD_DEV_GET || cmd == ESPTUN_CMD_SA_GET;
}

/* The fixture's state again after a request that changed something: no
 * SAs or reservations, esp0's endpoints, the target SA.
 */
static int restore(struct conn *c, int if0)
{
	struct nl_msg *m = msg_new(c, ESPTUN_CMD_SA_FLUSH, 0);
	struct nlattr *d;
	int err = xfer(c, m, NULL, 0, NULL);

	if (err)
		return err;
	m = dev_set(c, if0);
	d = nla_nest_start(m, ESPTUN_A_DEV);
	put_addr(m, ESPTUN_DEV_A_LOCAL_IPV4, LOCAL4);
	put_addr(m, ESPTUN_DEV_A_REMOTE_IPV4, REMOTE4);
	nla_put_u8(m, ESPTUN_DEV_A_ENCAP, ESPTUN_ENCAP_NONE);
	nla_nest_end(m, d);
	err = xfer(c, m, NULL, 0, NULL);
	return err ? err : add_target_sa(c, if0);
}

/*
 * Random and boundary attribute sets for every command (and for numbers
 * that are no command), half built from nothing, half valid requests
 * with bytes changed. Whatever comes, the kernel answers; a refusal says
 * why in the extack (the core's "operation not supported" for a command
 * without a handler aside) and changes nothing; a read never changes
 * anything.
 */
TEST_F_TIMEOUT(nl, random_requests, 3000)
{
	const char *env_seed = getenv("ESPTUN_NL_SEED");
	const char *env_rounds = getenv("ESPTUN_NL_ROUNDS");
	int rounds = env_rounds ? atoi(env_rounds) : 1000;
	int errs[4096] = { 0 }, ifs[2], accepted = 0, silent = 0;
	struct reply base, now;
	struct nl_msg *m;
	int i, cmd, err, e;

	rnd_state = env_seed ? strtoull(env_seed, NULL, 0) :
		(uint64_t)time(NULL) * 2654435761ULL | 1;
	TH_LOG("seed 0x%llx, %d requests", (unsigned long long)rnd_state,
	       rounds);
	ifs[0] = self->if0;
	ifs[1] = self->if1;
	ASSERT_EQ(0, restore(&self->c, self->if0));
	ASSERT_EQ(0, snapshot(&self->c, &base));
	for (i = 0; i < rounds; i++) {
		if (rnd_below(2)) {
			/* mostly the request commands, sometimes any number */
			cmd = rnd_below(4) ? 1 + rnd_below(ESPTUN_CMD_SPI_ALLOC) :
				rnd_below(ESPTUN_CMD_MAX + 3);
			m = msg_new(&self->c, cmd,
				    rnd_below(4) ? 0 : NLM_F_DUMP);
			put_random_level(m, LV_TOP, ifs);
		} else {
			e = rnd_below(N_REQ);
			m = any_request(&self->c, e, ifs[rnd_below(4) == 0]);
			cmd = ((struct genlmsghdr *)
			       nlmsg_data(nlmsg_hdr(m)))->cmd;
			mutate(m);
		}
		err = xfer(&self->c, m, self->ext, sizeof(self->ext), NULL);
		ASSERT_LE(err, 0);
		ASSERT_GT(err, -4096);
		errs[-err]++;
		if (err && err != -EOPNOTSUPP && !self->ext[0]) {
			silent++;
			TH_LOG("request %d (command %d): errno %d without a reason",
			       i, cmd, -err);
		}
		if (!err && !is_read(cmd)) {
			accepted++;
			reply_free(&base);
			ASSERT_EQ(0, restore(&self->c, self->if0));
			ASSERT_EQ(0, snapshot(&self->c, &base));
			continue;
		}
		accepted += !err;
		ASSERT_EQ(0, snapshot(&self->c, &now));
		ASSERT_EQ(base.len, now.len)
			TH_LOG("request %d (command %d, errno %d) changed the state",
			       i, cmd, -err);
		ASSERT_EQ(0, memcmp(base.buf, now.buf, base.len))
			TH_LOG("request %d (command %d, errno %d) changed the state",
			       i, cmd, -err);
		reply_free(&now);
	}
	reply_free(&base);
	EXPECT_EQ(0, silent);
	for (e = 1; e < 4096; e++)
		if (errs[e])
			TH_LOG("refused with errno %d: %d", e, errs[e]);
	TH_LOG("accepted: %d", accepted);
}

/* ---- set-up of the whole program ---- */

static int module_ready(void)
{
	char exe[PATH_MAX], cmd[3 * PATH_MAX + 128], *top;
	const char *kmod = getenv("ESPTUN_KMOD");
	char path[PATH_MAX];
	ssize_t n;

	if (access("/sys/module/esptun", F_OK) == 0)
		return 0;
	if (!kmod) {
		/* $TOP/build/selftests/nl_policy -> $TOP/kmod/esptun.ko */
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return -1;
		exe[n] = 0;
		top = dirname(dirname(dirname(exe)));
		snprintf(path, sizeof(path), "%s/kmod/esptun.ko", top);
		kmod = path;
	}
	snprintf(cmd, sizeof(cmd),
		 "for d in $(modinfo -F depends %s | tr , ' '); do "
		 "modprobe $d || exit 1; done; insmod %s", kmod, kmod);
	return run(cmd);
}

int main(int argc, char **argv)
{
	if (access("/run/esptun-vm", F_OK) && !getenv("ESPTUN_ALLOW_HOST")) {
		printf("TAP version 13\n1..0 # SKIP not in the test guest: "
		       "run through tools/vm/run (or set ESPTUN_ALLOW_HOST=1)\n");
		return KSFT_SKIP;
	}
	if (module_ready()) {
		printf("TAP version 13\nBail out! cannot load esptun.ko\n");
		return KSFT_FAIL;
	}
	return test_harness_run(argc, argv);
}
