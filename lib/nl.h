/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace esptun netlink client (libnl-genl-3), shared by the CLI,
 * esptund and the selftests: socket setup, family and group lookup, and
 * one request loop that reads until the ACK or the end of a dump, with
 * the kernel's error and extended ACK message from NLMSG_ERROR or from
 * NLMSG_DONE (a dump that fails after it started). Nothing here prints:
 * each program words its own errors.
 */
#ifndef ESPTUN_LIB_NL_H
#define ESPTUN_LIB_NL_H

#include <stddef.h>
#include <stdint.h>
#include <netlink/netlink.h>

#include "attr.h"

struct etnl {
	struct nl_sock *sock;
	int family;
};

/* One request in flight: how to read the replies, and what came back. */
struct etnl_req {
	/* Called per data message; < 0 marks the reply unreadable. */
	int (*parse)(struct nlmsghdr *nlh, void *arg);
	/*
	 * A dump the kernel marks interrupted (the table changed while it
	 * was read) is read again from the start, after this forgets what
	 * @parse kept of the first try; without it, the dump fails.
	 */
	void (*restart)(void *arg);
	void *arg;
	int done;
	int interrupted;	/* NLM_F_DUMP_INTR seen on this try */
	int error;		/* negative errno from the kernel */
	int parse_error;	/* a reply parse refused */
	const char *local;	/* a failure on our side (libnl's words) */
	char extack[256];	/* the kernel's message, as it sent it */
};

/*
 * Connects, turns extended ACKs on and resolves the family. Returns 0, or
 * -1 with the reason in @err.
 */
int etnl_open(struct etnl *nl, char *err, size_t errlen);
/* Joins the events group; the socket then takes unsolicited messages. */
int etnl_subscribe(struct etnl *nl, char *err, size_t errlen);
void etnl_close(struct etnl *nl);

/* A request for @cmd, with ESPTUN_A_IFINDEX if @ifindex, IFNAME if @ifname. */
struct nl_msg *etnl_msg(const struct etnl *nl, uint8_t cmd, int flags,
			uint32_t ifindex, const char *ifname);
/* Wipes (it may hold keys) and frees. */
void etnl_msg_free(struct nl_msg *msg);

/*
 * Sends @msg (wiped and freed here) and reads until the ACK, the end of
 * the dump or an error. Returns 0, the kernel's negative errno, -EPROTO
 * when a reply was refused by @r->parse, or -EIO for a local failure; the
 * details stay in @r so a caller may word them or accept an errno.
 */
int etnl_run(struct etnl *nl, struct nl_msg *msg, struct etnl_req *r);

/* Reads of one dump at most, while the kernel marks them interrupted. */
#define ETNL_DUMP_TRIES	5

/*
 * @cmd with an ESPTUN_A_DEV / ESPTUN_A_SA nest (none when NULL). A dump
 * the kernel marks interrupted is read again, ETNL_DUMP_TRIES reads in
 * all.
 */
int etnl_dev_request(struct etnl *nl, uint8_t cmd, int flags,
		     uint32_t ifindex, const char *ifname,
		     const struct etdev *dev, struct etnl_req *r);
int etnl_sa_request(struct etnl *nl, uint8_t cmd, int flags,
		    uint32_t ifindex, const char *ifname,
		    const struct etsa *sa, struct etnl_req *r);

/* NLMSGERR_ATTR_MSG of an NLMSG_ERROR or NLMSG_DONE into @buf ("" if none). */
void etnl_extack(const struct nlmsghdr *nlh, char *buf, size_t len);
/* @r's extack without the "esptun: " that NL_SET_ERR_MSG_MOD() puts first. */
const char *etnl_extack_text(const struct etnl_req *r);

#endif /* ESPTUN_LIB_NL_H */
