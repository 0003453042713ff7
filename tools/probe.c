// SPDX-License-Identifier: GPL-2.0
/*
 * esptun [-j] probe [-s SOCKET] [-w MS] [-a ADDRESS] NAME: is UDP 500,
 * UDP 4500 and raw ESP to the conn's peer passed, and if not, which is
 * blocked, in one sentence. esptund sends the MM1s (it owns both
 * ports); this side watches the module's counters of the conn's SA pair
 * for the same time, optionally pinging ADDRESS (a host behind the peer)
 * through the tunnel so that there is traffic to watch. The rules are
 * in probe_rules.c. Exit status 0 when everything tested passes.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "diagnose.h"
#include "ipc.h"
#include "json.h"
#include "probe.h"
#include "subcommands.h"
#include "util.h"

#define POLL_MS		200
/* esptund gives up after 3 s; this bounds a daemon that never says done. */
#define LIMIT_MS	10000

static const char usage[] =
	"esptun [-j] probe [-s SOCKET] [-w MILLISECONDS] [-a ADDRESS] NAME";

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct pair_count {
	uint32_t spi_in, spi_out;
	bool in_found, out_found;
	uint64_t in, out;
};

static int count_sa(const struct etsa *sa, void *arg)
{
	struct pair_count *p = arg;
	uint64_t n = sa->stats_has & BIT(ESPTUN_STAT_PACKETS) ?
		     sa->stats[ESPTUN_STAT_PACKETS] : 0;

	if (sa->dir == ESPTUN_DIR_IN && sa->spi == p->spi_in) {
		p->in_found = true;
		p->in = n;
	} else if (sa->dir == ESPTUN_DIR_OUT && sa->spi == p->spi_out) {
		p->out_found = true;
		p->out = n;
	}
	return 0;
}

/* The pair's packet counters into index i of e; false when missing. */
static bool sample(const struct pr_reply *r, struct pr_esp_count *e, int i)
{
	struct pair_count p = { .spi_in = r->spi_in, .spi_out = r->spi_out };
	uint32_t ifindex = if_nametoindex(r->ifname);

	if (!ifindex || ipc_open("probe") < 0)
		return false;
	if (ipc_sa_dump(ifindex, count_sa, &p) < 0)
		p.in_found = false;
	ipc_close();
	e->in[i] = p.in;
	e->out[i] = p.out;
	return p.in_found && p.out_found;
}

static uint16_t csum(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* A raw ICMP socket for echoes to dst; -1 (message printed) on failure. */
static int ping_open(const char *addr, struct sockaddr_storage *dst)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)dst;
	int fd;

	memset(dst, 0, sizeof(*dst));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	} else {
		fprintf(stderr, "esptun: probe: '%s' is not an address\n",
			addr);
		return -1;
	}
	if (fd < 0)
		perror("esptun: probe: raw ICMP socket");
	return fd;
}

/* One echo request; the replies are counted by the module, not read. */
static void ping_send(int fd, const struct sockaddr_storage *dst,
		      uint16_t seq)
{
	uint8_t pkt[64];
	socklen_t len;

	memset(pkt, 0xa5, sizeof(pkt));
	pkt[0] = dst->ss_family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[1] = 0;
	pkt[2] = 0;
	pkt[3] = 0;
	pkt[4] = (uint8_t)(getpid() >> 8);
	pkt[5] = (uint8_t)getpid();
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	if (dst->ss_family == AF_INET) {
		uint16_t c = csum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2);
		len = sizeof(struct sockaddr_in);
	} else {
		/* The kernel fills in the ICMPv6 checksum. */
		len = sizeof(struct sockaddr_in6);
	}
	if (sendto(fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)dst,
		   len) < 0)
		perror("esptun: probe: echo request");
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

/* One probe-result; 0, or 1 after printing why. */
static int get_result(const char *sock, const char *name,
		      struct pr_reply *r)
{
	char line[CTL_MAX_LINE], err[256], *ans;
	size_t ok_len = strlen(CTL_REPLY_OK);
	int rc = 0;

	snprintf(line, sizeof(line), CTL_CMD_PROBE_RESULT " %s", name);
	if (dg_ctl_request(sock, line, &ans, err, sizeof(err))) {
		fprintf(stderr, "esptun: probe: %s\n", err);
		return 1;
	}
	if (strncmp(ans, CTL_REPLY_OK, ok_len)) {
		fprintf(stderr, "esptun: probe: %s", ans);
		rc = 1;
	} else if (pr_parse_reply(ans + ok_len, r)) {
		fprintf(stderr, "esptun: probe: unexpected answer from esptund\n");
		rc = 1;
	}
	free(ans);
	return rc;
}

static void json_udp(struct json *j, const char *key, const struct pr_udp *u)
{
	json_obj_open(j, key);
	json_str(j, "state", pr_state_name(u->state));
	json_u64(j, "port", u->port);
	json_u64(j, "sent", u->sent);
	if (u->state == PR_OK)
		json_u64(j, "rtt_ms", u->rtt_ms);
	json_str(j, "answer", u->answer);
	json_obj_close(j);
}

static void print_json(const char *name, const struct pr_reply *r,
		       const struct pr_esp_count *e, const struct pr_result *res)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_str(&j, "conn", name);
	json_str(&j, "peer", r->peer);
	json_udp(&j, "udp500", &res->udp500);
	json_udp(&j, "udp4500", &res->udp4500);
	json_obj_open(&j, "esp");
	json_str(&j, "state", pr_state_name(res->esp));
	json_str(&j, "text", res->esp_text);
	if (r->child) {
		json_u64(&j, "spi_in", r->spi_in);
		json_u64(&j, "spi_out", r->spi_out);
		json_bool(&j, "encap", r->encap);
	}
	if (e->found) {
		json_u64(&j, "packets_out", e->out[1] - e->out[0]);
		json_u64(&j, "packets_in", e->in[1] - e->in[0]);
	}
	json_obj_close(&j);
	json_bool(&j, "blocked", res->blocked);
	json_str(&j, "sentence", res->sentence);
	json_obj_close(&j);
	json_end(&j);
}

static void print_text(const char *name, const struct pr_reply *r,
		       const struct pr_result *res)
{
	char t[128];

	printf("%s: probe of %s\n", name, r->peer);
	pr_udp_text(&res->udp500, t, sizeof(t));
	printf("  UDP 500:  %s\n", t);
	pr_udp_text(&res->udp4500, t, sizeof(t));
	printf("  UDP 4500: %s\n", t);
	printf("  ESP:      %s\n", res->esp_text);
	printf("%s.\n", res->sentence);
}

int cmd_probe(int argc, char **argv, int json)
{
	const char *sock = NULL, *name = NULL, *addr = NULL, *w;
	struct pr_esp_count e = { 0 };
	struct sockaddr_storage dst;
	char line[CTL_MAX_LINE], err[256], *ans;
	uint32_t window = 3000;
	struct pr_result res;
	struct pr_reply r;
	uint64_t start, next_ping = 0;
	uint16_t seq = 0;
	bool counted = false;
	struct args a;
	int fd = -1, rc;

	args_init(&a, argc, argv, "probe", usage);
	while ((w = args_next(&a))) {
		if (is_help(w))
			return usage_help(usage);
		if (!strcmp(w, "-j") || !strcmp(w, "--json")) {
			json = 1;
		} else if (!strcmp(w, "-s")) {
			sock = args_next(&a);
			if (!sock)
				return usage_error(&a, "-s needs a socket path");
		} else if (!strcmp(w, "-a")) {
			addr = args_next(&a);
			if (!addr)
				return usage_error(&a, "-a needs an address");
		} else if (!strcmp(w, "-w")) {
			const char *v = args_next(&a);

			if (!v)
				return usage_error(&a, "-w needs milliseconds");
			rc = arg_u32(&a, "window", v, 60000, &window);
			if (rc)
				return rc;
		} else if (w[0] == '-' || name) {
			return usage_error(&a, "unexpected argument \"%s\"", w);
		} else {
			name = w;
		}
	}
	if (!name)
		return usage_error(&a, "probe needs a conn name");
	if (strlen(name) + sizeof(CTL_CMD_PROBE_RESULT) + 2 > CTL_MAX_LINE)
		return usage_error(&a, "conn name too long");
	if (addr) {
		fd = ping_open(addr, &dst);
		if (fd < 0)
			return 1;
	}

	snprintf(line, sizeof(line), CTL_CMD_PROBE " %s", name);
	if (dg_ctl_request(sock, line, &ans, err, sizeof(err))) {
		fprintf(stderr, "esptun: probe: %s\n", err);
		goto fail;
	}
	if (strncmp(ans, CTL_REPLY_OK, strlen(CTL_REPLY_OK))) {
		fprintf(stderr, "esptun: probe: %s", ans);
		free(ans);
		goto fail;
	}
	free(ans);
	start = mono_ms();
	if (get_result(sock, name, &r))
		goto fail;
	if (r.child && !r.encap)
		counted = sample(&r, &e, 0);
	for (;;) {
		uint64_t now = mono_ms();

		if (fd >= 0 && now >= next_ping) {
			ping_send(fd, &dst, ++seq);
			next_ping = now + 250;
		}
		if (now - start >= LIMIT_MS)
			break;
		if (now - start >= window) {
			if (get_result(sock, name, &r))
				goto fail;
			if (r.done)
				break;
		}
		sleep_ms(POLL_MS);
	}
	e.window_ms = (unsigned int)(mono_ms() - start);
	e.pinged = fd >= 0;
	/* The pair must be the same before and after to be compared. */
	if (counted) {
		struct pr_reply now = r;

		e.found = sample(&now, &e, 1);
	}
	if (fd >= 0)
		close(fd);
	pr_decide(&r, &e, &res);
	if (json)
		print_json(name, &r, &e, &res);
	else
		print_text(name, &r, &res);
	return res.blocked ? 1 : 0;
fail:
	if (fd >= 0)
		close(fd);
	return 1;
}
