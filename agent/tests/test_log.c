// SPDX-License-Identifier: GPL-2.0
/* Log levels and the rate limit of lines any datagram can trigger. */
#include <string.h>

#include "tap.h"
#include "log.h"

static int nlines;
static char last[256];

static void sink(enum log_level lvl, const char *line, void *arg)
{
	nlines++;
	snprintf(last, sizeof(last), "%s", line);
}

static void spoofed(int i)
{
	log_warn_rl("datagram %d from a spoofed source dropped", i);
}

/*
 * Two call sites whose formats would share a slot if slots were only
 * hashed: a flood alternating between them still stops at one burst
 * each.
 */
static void colliding_sites(void)
{
	static char fmts[1024];
	const char *a = fmts, *b = fmts + 256, *c = fmts + 512;
	int i;

	strcpy(fmts, "site a");
	strcpy(fmts + 256, "site b");
	strcpy(fmts + 512, "site c");
	log_rate_reset();
	nlines = 0;
	/* Formats from a buffer, so that their addresses are chosen. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-security"
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	for (i = 0; i < 10 * LOG_RATE_BURST; i++)
		log_rl_printf(LOG_LVL_WARNING, i % 3 ? (i % 3 == 1 ? b : c) : a);
#pragma GCC diagnostic pop
	is_int(nlines, 3 * LOG_RATE_BURST,
	       "rate limit: call sites that hash alike keep their own counts");
}

int main(void)
{
	int i;

	log_set_sink(sink, NULL);
	log_set_level(LOG_LVL_INFO);

	log_dbg("not shown at info");
	is_int(nlines, 0, "level: debug lines filtered");

	for (i = 0; i < 10 * LOG_RATE_BURST; i++)
		spoofed(i);
	is_int(nlines, LOG_RATE_BURST,
	       "rate limit: a flood from one call site stops at the burst");
	log_warn_rl("another kind of line");
	is_int(nlines, LOG_RATE_BURST + 1,
	       "rate limit: another call site still logs");
	for (i = 0; i < 3 * LOG_RATE_BURST; i++)
		log_warn("unlimited line %d", i);
	is_int(nlines, 4 * LOG_RATE_BURST + 1,
	       "rate limit: plain lines are never dropped");

	log_rate_reset();
	nlines = 0;
	spoofed(0);
	is_int(nlines, 1, "rate limit: counting starts over after a reset");

	colliding_sites();
	return tap_done();
}
