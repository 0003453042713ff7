/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `esptun probe`: esptund's answer about UDP 500 and UDP 4500 (its
 * probe-result reply, parsed), the module's counters of the conn's SA
 * pair over the probe, and the rules that say per path whether it
 * passes and, in one sentence, what is blocked. The rules see only
 * these structs, so they are tested without sockets.
 */
#ifndef ESPTUN_PROBE_H
#define ESPTUN_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pr_state {
	PR_PENDING = 0,
	PR_OK,
	PR_NO_ANSWER,
	PR_NOT_TESTED,
};

struct pr_udp {
	enum pr_state state;
	uint16_t port;
	uint32_t rtt_ms, sent;
	char answer[40];		/* "MM2", a notify name, "" */
	bool send_failed;		/* answer is the error then */
};

/* esptund's probe-result reply. */
struct pr_reply {
	bool done;
	char peer[64];
	struct pr_udp udp500, udp4500;
	bool child;			/* an IPsec SA pair is up */
	char ifname[16];
	uint32_t spi_in, spi_out;
	bool encap;			/* that pair is ESP in UDP */
	/* "auto", "force", "no", "auto-force" */
	char natt[12];
};

/* The module's packet counters of that pair, before and after. */
struct pr_esp_count {
	bool found;			/* both SAs are in the module */
	uint64_t out[2], in[2];
	unsigned int window_ms;
	bool pinged;			/* echoes were sent through it */
};

struct pr_result {
	struct pr_udp udp500, udp4500;
	enum pr_state esp;
	char esp_text[160];		/* the ESP line's words */
	bool blocked;			/* something does not pass */
	char sentence[320];
};

/* A text probe-result body (after "ok\n"); 0, or -1 when malformed. */
int pr_parse_reply(const char *body, struct pr_reply *r);

/* The rules: per path and the conclusion. Pure. */
void pr_decide(const struct pr_reply *r, const struct pr_esp_count *e,
	       struct pr_result *res);

/* "ok (MM2, 12 ms)", "no answer (MM1 sent 2 times)"... */
void pr_udp_text(const struct pr_udp *u, char *buf, size_t len);
const char *pr_state_name(enum pr_state s);

#endif /* ESPTUN_PROBE_H */
