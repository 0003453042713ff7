// SPDX-License-Identifier: GPL-2.0
/*
 * Dumps the esptun devices of the current namespace back to back, for
 * tests that change devices while dumps run: fast enough, unlike a
 * script under emulation, to catch a device that is listed only for a
 * moment.
 *
 *   devdump_helper STOPFILE
 *
 * Dumps until STOPFILE exists (at least once), then prints "dumps N" and
 * one line "dev NAME INDEX COUNT" per device seen: in how many dumps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/if.h>

#include "esptun.h"

#define MAX_DEVS 64

struct seen {
	char name[IFNAMSIZ];
	unsigned int index;
	unsigned long count;
};

static struct seen seen[MAX_DEVS];
static int nseen;
static char buf[1 << 16];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void note(const char *name, unsigned int index)
{
	int i;

	for (i = 0; i < nseen; i++) {
		if (seen[i].index == index && !strcmp(seen[i].name, name)) {
			seen[i].count++;
			return;
		}
	}
	if (nseen == MAX_DEVS) {
		fprintf(stderr, "too many devices\n");
		exit(1);
	}
	snprintf(seen[nseen].name, sizeof(seen[nseen].name), "%s", name);
	seen[nseen].index = index;
	seen[nseen].count = 1;
	nseen++;
}

static void request(int fd, unsigned short type, unsigned short flags,
		    unsigned char cmd, const char *family_name)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr gh;
		char attrs[64];
	} req = {};
	struct nlattr *a;
	size_t len = NLMSG_LENGTH(GENL_HDRLEN);

	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | flags;
	req.gh.cmd = cmd;
	req.gh.version = 1;
	if (family_name) {
		a = (struct nlattr *)req.attrs;
		a->nla_type = CTRL_ATTR_FAMILY_NAME;
		a->nla_len = NLA_HDRLEN + strlen(family_name) + 1;
		memcpy((char *)a + NLA_HDRLEN, family_name, strlen(family_name) + 1);
		len += NLA_ALIGN(a->nla_len);
	}
	req.nh.nlmsg_len = len;
	if (send(fd, &req, len, 0) < 0)
		die("send");
}

/* Calls @fn for each attribute of every reply, until DONE or one reply. */
static void replies(int fd, int dump,
		    void (*fn)(struct nlattr *a, void *arg), void *arg)
{
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n < 0)
			die("recv");
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			struct nlattr *a;
			int left;

			if (nh->nlmsg_type == NLMSG_DONE)
				return;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				if (e->error) {
					errno = -e->error;
					die("netlink");
				}
				return;
			}
			a = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
			left = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= left) {
				fn(a, arg);
				left -= NLA_ALIGN(a->nla_len);
				a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
			}
			fn(NULL, arg);
			if (!dump)
				return;
		}
	}
}

static void family_attr(struct nlattr *a, void *arg)
{
	if (a && a->nla_type == CTRL_ATTR_FAMILY_ID)
		*(unsigned short *)arg = *(unsigned short *)((char *)a + NLA_HDRLEN);
}

struct dev {
	char name[IFNAMSIZ];
	unsigned int index;
};

static void dev_attr(struct nlattr *a, void *arg)
{
	struct dev *d = arg;

	if (!a) {
		note(d->name, d->index);
		memset(d, 0, sizeof(*d));
		return;
	}
	if (a->nla_type == ESPTUN_A_IFNAME)
		snprintf(d->name, sizeof(d->name), "%s", (char *)a + NLA_HDRLEN);
	else if (a->nla_type == ESPTUN_A_IFINDEX)
		memcpy(&d->index, (char *)a + NLA_HDRLEN, sizeof(d->index));
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned short family = 0;
	unsigned long dumps = 0;
	struct dev d = {};
	int fd, i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s STOPFILE\n", argv[0]);
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("netlink socket");
	request(fd, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, ESPTUN_GENL_NAME);
	replies(fd, 0, family_attr, &family);
	if (!family) {
		fprintf(stderr, "no genl family %s\n", ESPTUN_GENL_NAME);
		return 1;
	}
	do {
		request(fd, family, NLM_F_DUMP, ESPTUN_CMD_DEV_GET, NULL);
		replies(fd, 1, dev_attr, &d);
		dumps++;
	} while (access(argv[1], F_OK));
	printf("dumps %lu\n", dumps);
	for (i = 0; i < nseen; i++)
		printf("dev %s %u %lu\n", seen[i].name, seen[i].index,
		       seen[i].count);
	return 0;
}
