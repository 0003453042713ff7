// SPDX-License-Identifier: GPL-2.0
/*
 * The esptun generic netlink client: one socket, one request at a time.
 * Extended ACKs are on because the kernel's message for a refusal is what
 * a person needs to see, and a dump's NLMSG_DONE is read for its errno:
 * a dump that fails half way must not pass for a short, complete one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

int etnl_open(struct etnl *nl, char *err, size_t errlen)
{
	int one = 1, e;

	nl->family = -1;
	nl->sock = nl_socket_alloc();
	if (!nl->sock) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e = genl_connect(nl->sock);
	if (e < 0) {
		snprintf(err, errlen, "netlink: %s", nl_geterror(e));
		goto fail;
	}
	/* Without it the kernel's reason for a refusal is lost. */
	if (setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK,
		       NETLINK_EXT_ACK, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "NETLINK_EXT_ACK: %s", strerror(errno));
		goto fail;
	}
	/*
	 * An error otherwise echoes the whole request, keys included, into
	 * libnl's receive buffer, which is freed without a wipe.
	 */
	if (setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK,
		       NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "NETLINK_CAP_ACK: %s", strerror(errno));
		goto fail;
	}
	nl->family = genl_ctrl_resolve(nl->sock, ESPTUN_GENL_NAME);
	if (nl->family < 0) {
		snprintf(err, errlen,
			 "generic netlink family \"%s\" not found (is esptun.ko loaded?)",
			 ESPTUN_GENL_NAME);
		goto fail;
	}
	return 0;
fail:
	etnl_close(nl);
	return -1;
}

int etnl_subscribe(struct etnl *nl, char *err, size_t errlen)
{
	int grp, e;

	grp = genl_ctrl_resolve_grp(nl->sock, ESPTUN_GENL_NAME,
				    ESPTUN_MCGRP_EVENTS);
	if (grp < 0) {
		snprintf(err, errlen, "multicast group \"%s\": %s",
			 ESPTUN_MCGRP_EVENTS, nl_geterror(grp));
		return -1;
	}
	/* Events are not answers: they carry no sequence number of ours. */
	nl_socket_disable_seq_check(nl->sock);
	e = nl_socket_add_membership(nl->sock, grp);
	if (e < 0) {
		snprintf(err, errlen, "joining \"%s\": %s",
			 ESPTUN_MCGRP_EVENTS, nl_geterror(e));
		return -1;
	}
	/* Bursts of expiries must not overrun the queue. */
	nl_socket_set_buffer_size(nl->sock, 1 << 20, 0);
	return 0;
}

void etnl_close(struct etnl *nl)
{
	if (nl->sock)
		nl_socket_free(nl->sock);
	nl->sock = NULL;
}

struct nl_msg *etnl_msg(const struct etnl *nl, uint8_t cmd, int flags,
			uint32_t ifindex, const char *ifname)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, ESPTUN_GENL_VERSION) ||
	    (ifindex && nla_put_u32(msg, ESPTUN_A_IFINDEX, ifindex) < 0) ||
	    (ifname && nla_put_string(msg, ESPTUN_A_IFNAME, ifname) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void etnl_msg_free(struct nl_msg *msg)
{
	explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
}

void etnl_extack(const struct nlmsghdr *nlh, char *buf, size_t len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const struct nlmsgerr *e;
	size_t off, payload;

	buf[0] = '\0';
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return;
		e = nlmsg_data(nlh);
		/* The request is echoed unless capped; the TLVs follow it. */
		payload = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
		off = NLMSG_HDRLEN + NLMSG_ALIGN(payload);
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		/* The dump's errno, then the TLVs. */
		off = NLMSG_HDRLEN + NLA_ALIGN(sizeof(int));
	} else {
		return;
	}
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + off),
		      nlh->nlmsg_len - off, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0)
		snprintf(buf, len, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

const char *etnl_extack_text(const struct etnl_req *r)
{
	static const char prefix[] = ESPTUN_GENL_NAME ": ";

	if (!strncmp(r->extack, prefix, sizeof(prefix) - 1))
		return r->extack + sizeof(prefix) - 1;
	return r->extack;
}

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct etnl_req *r = arg;

	r->error = e->error < 0 ? e->error : -EPROTO;
	etnl_extack(nlh, r->extack, sizeof(r->extack));
	r->done = 1;
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct etnl_req *r = arg;

	r->done = 1;
	return NL_STOP;
}

/* A dump that fails after it started reports the errno in NLMSG_DONE. */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct etnl_req *r = arg;
	int err;

	r->done = 1;
	if (nlmsg_datalen(nlh) >= (int)sizeof(int)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0) {
			r->error = err;
			etnl_extack(nlh, r->extack, sizeof(r->extack));
		}
	}
	return NL_STOP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct etnl_req *r = arg;

	if (r->parse && !r->parse_error &&
	    r->parse(nlmsg_hdr(msg), r->arg) < 0)
		r->parse_error = 1;
	return NL_OK;
}

/* The rest of an interrupted dump is still read, to its NLMSG_DONE. */
static int intr_cb(struct nl_msg *msg, void *arg)
{
	struct etnl_req *r = arg;

	r->interrupted = 1;
	return NL_OK;
}

int etnl_run(struct etnl *nl, struct nl_msg *msg, struct etnl_req *r)
{
	struct nl_cb *base, *cb;
	int err;

	/* A clone of the socket's own, so a test's fake I/O comes along. */
	base = nl_socket_get_cb(nl->sock);
	cb = nl_cb_clone(base);
	nl_cb_put(base);
	if (!cb) {
		r->local = "out of memory";
		etnl_msg_free(msg);
		return -EIO;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, r);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, intr_cb, r);

	err = nl_send_auto(nl->sock, msg);
	etnl_msg_free(msg);
	if (err < 0) {
		r->local = nl_geterror(err);
	} else {
		while (!r->done && !r->error) {
			err = nl_recvmsgs(nl->sock, cb);
			if (err < 0 && !r->error) {
				r->local = nl_geterror(err);
				break;
			}
		}
	}
	nl_cb_put(cb);
	if (r->error)
		return r->error;
	if (r->local)
		return -EIO;
	return r->parse_error ? -EPROTO : 0;
}

static int put_dev(struct nl_msg *msg, const void *dev)
{
	return attr_put_dev(msg, dev);
}

static int put_sa(struct nl_msg *msg, const void *sa)
{
	return attr_put_sa(msg, sa);
}

/*
 * Builds and runs the request; a dump the kernel marks interrupted runs
 * again from the start, since what was read may hold an entry twice or
 * miss one that was there all along.
 */
static int request(struct etnl *nl, uint8_t cmd, int flags, uint32_t ifindex,
		   const char *ifname,
		   int (*put)(struct nl_msg *msg, const void *obj),
		   const void *obj, struct etnl_req *r)
{
	int tries = 0, err;

	for (;;) {
		struct nl_msg *msg = etnl_msg(nl, cmd, flags, ifindex, ifname);
		int added = msg && obj ? put(msg, obj) : 0;

		if (!msg || added < 0) {
			if (msg)
				etnl_msg_free(msg);
			r->local = "out of memory";
			return -EIO;
		}
		err = etnl_run(nl, msg, r);
		if (err || !r->interrupted)
			return err;
		if (!r->restart || ++tries == ETNL_DUMP_TRIES) {
			r->local = "the table kept changing while it was read";
			return -EIO;
		}
		r->restart(r->arg);
		r->done = 0;
		r->interrupted = 0;
	}
}

int etnl_dev_request(struct etnl *nl, uint8_t cmd, int flags,
		     uint32_t ifindex, const char *ifname,
		     const struct etdev *dev, struct etnl_req *r)
{
	return request(nl, cmd, flags, ifindex, ifname,
		       put_dev, dev, r);
}

int etnl_sa_request(struct etnl *nl, uint8_t cmd, int flags,
		    uint32_t ifindex, const char *ifname,
		    const struct etsa *sa, struct etnl_req *r)
{
	return request(nl, cmd, flags, ifindex, ifname,
		       put_sa, sa, r);
}
