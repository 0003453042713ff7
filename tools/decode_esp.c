// SPDX-License-Identifier: GPL-2.0
/*
 * ESP summary per SPI and direction: packets, the first and last sequence
 * numbers, numbers that never arrived (gaps) and late or repeated ones.
 * A window of recent numbers tells a late packet that fills a gap from a
 * duplicate, as an anti-replay window would.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define ESP_WINDOW	1024

struct esp_flow {
	uint32_t spi;
	struct cap_addr src, dst;
	bool udp;
	uint64_t packets;
	uint32_t first, last, top;	/* top: highest number seen */
	uint64_t missing;		/* numbers skipped and not seen yet */
	uint64_t gaps;			/* times the sequence jumped */
	uint64_t late, dups;
	uint64_t bitmap[ESP_WINDOW / 64];	/* bit i: top - i seen */
};

static bool seen(const struct esp_flow *f, uint32_t back)
{
	return f->bitmap[back / 64] >> (back % 64) & 1;
}

static void mark(struct esp_flow *f, uint32_t back)
{
	f->bitmap[back / 64] |= 1ULL << (back % 64);
}

/* Moves the window up by n numbers. */
static void shift(struct esp_flow *f, uint64_t n)
{
	uint64_t w[ESP_WINDOW / 64] = { 0 };
	uint32_t i;

	if (n >= ESP_WINDOW) {
		memset(f->bitmap, 0, sizeof(f->bitmap));
		return;
	}
	for (i = 0; i + n < ESP_WINDOW; i++)
		if (seen(f, i))
			w[(i + n) / 64] |= 1ULL << ((i + n) % 64);
	memcpy(f->bitmap, w, sizeof(w));
}

static struct esp_flow *flow(struct esp_tab *t, uint32_t spi,
			     const struct cap_pkt *p, bool udp)
{
	struct esp_flow *f;
	size_t i;

	for (i = 0; i < t->n; i++) {
		f = &t->flows[i];
		if (f->spi == spi && cap_addr_eq(&f->src, &p->src) &&
		    cap_addr_eq(&f->dst, &p->dst))
			return f;
	}
	f = realloc(t->flows, (t->n + 1) * sizeof(*f));
	if (!f)
		return NULL;
	t->flows = f;
	f = &t->flows[t->n++];
	memset(f, 0, sizeof(*f));
	f->spi = spi;
	f->src = p->src;
	f->dst = p->dst;
	f->udp = udp;
	return f;
}

void esp_add(struct esp_tab *t, const struct cap_pkt *p, const uint8_t *esp,
	     size_t len, bool udp)
{
	struct esp_flow *f;
	uint32_t seq;

	if (len < 8)
		return;
	f = flow(t, isakmp_get32(esp), p, udp);
	if (!f)
		return;
	seq = isakmp_get32(esp + 4);
	f->last = seq;
	if (!f->packets++) {
		f->first = f->top = seq;
		mark(f, 0);
		return;
	}
	if (seq > f->top) {
		if (seq - f->top > 1) {
			f->gaps++;
			f->missing += seq - f->top - 1;
		}
		shift(f, seq - f->top);
		f->top = seq;
		mark(f, 0);
		return;
	}
	if (f->top - seq < ESP_WINDOW) {
		if (seen(f, f->top - seq)) {
			f->dups++;
			return;
		}
		mark(f, f->top - seq);
		if (seq > f->first && f->missing)
			f->missing--;
	}
	f->late++;
}

void esp_print(const struct esp_tab *t, struct dout *o,
	       bool (*note)(void *arg, uint32_t spi,
			    const struct cap_addr *dst, char *buf,
			    size_t len),
	       void *arg)
{
	char s[64], d[64], spi[12], why[160];
	size_t i;

	if (o->j)
		json_arr_open(o->j, "esp");
	else if (t->n)
		fprintf(o->f, "ESP\n");
	for (i = 0; i < t->n; i++) {
		const struct esp_flow *f = &t->flows[i];
		bool named = note && note(arg, f->spi, &f->dst, why,
					  sizeof(why));

		snprintf(spi, sizeof(spi), "%08x", f->spi);
		cap_addr_str(&f->src, s, sizeof(s));
		cap_addr_str(&f->dst, d, sizeof(d));
		if (o->j) {
			json_obj_open(o->j, NULL);
			json_str(o->j, "spi", spi);
			json_str(o->j, "src", s);
			json_str(o->j, "dst", d);
			json_str(o->j, "encapsulation", f->udp ? "udp" : "none");
			json_u64(o->j, "packets", f->packets);
			json_u64(o->j, "first_seq", f->first);
			json_u64(o->j, "last_seq", f->last);
			json_u64(o->j, "highest_seq", f->top);
			json_u64(o->j, "gaps", f->gaps);
			json_u64(o->j, "missing", f->missing);
			json_u64(o->j, "late", f->late);
			json_u64(o->j, "duplicates", f->dups);
			if (named)
				json_str(o->j, "negotiated", why);
			else
				json_null(o->j, "negotiated");
			json_obj_close(o->j);
			continue;
		}
		fprintf(o->f, "  SPI %s %s -> %s%s: %llu packet(s), seq %u..%u",
			spi, s, d, f->udp ? " (UDP 4500)" : "",
			(unsigned long long)f->packets, f->first, f->last);
		if (f->missing)
			fprintf(o->f, ", %llu missing in %llu gap(s)",
				(unsigned long long)f->missing,
				(unsigned long long)f->gaps);
		else
			fprintf(o->f, ", no gaps");
		if (f->late)
			fprintf(o->f, ", %llu late", (unsigned long long)f->late);
		if (f->dups)
			fprintf(o->f, ", %llu repeated",
				(unsigned long long)f->dups);
		fputc('\n', o->f);
		if (named)
			fprintf(o->f, "    %s\n", why);
	}
	if (o->j)
		json_arr_close(o->j);
}

void esp_free(struct esp_tab *t)
{
	free(t->flows);
	t->flows = NULL;
	t->n = 0;
}
