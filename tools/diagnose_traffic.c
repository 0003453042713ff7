// SPDX-License-Identifier: GPL-2.0
/*
 * The traffic of a conn for `esptun diagnose`: the counters of all its
 * IPsec SAs in two dumps of the module. Every pair esptund holds for the
 * conn counts, not only the one it sends on: after a simultaneous start
 * or during a rekey the peer may send on another pair than ours, and its
 * packets are the conn's traffic all the same.
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "diagnose.h"
#include "parse.h"

static const struct etsa *find_sa(const struct etsa *sas, size_t n,
				  uint8_t dir, uint32_t spi)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sas[i].dir == dir && sas[i].spi == spi)
			return &sas[i];
	return NULL;
}

static uint64_t counter(uint64_t has, const uint64_t *stats, int stat)
{
	return has & BIT(stat) ? stats[stat] : 0;
}

static uint64_t stat_of(const struct etsa *sa, int stat)
{
	return sa ? counter(sa->stats_has, sa->stats, stat) : 0;
}

static uint64_t dev_stat(const struct etdev *d, int stat)
{
	return d ? counter(d->stats_has, d->stats, stat) : 0;
}

static bool seen_before(const struct dg_conn *c, int k, uint8_t dir)
{
	int i;

	for (i = 0; i < k; i++)
		if (dir == ESPTUN_DIR_IN ?
		    c->children[i].spi_in == c->children[k].spi_in :
		    c->children[i].spi_out == c->children[k].spi_out)
			return true;
	return false;
}

/*
 * Adds one SA's counter to a [before, after] pair: an SA absent from the
 * first dump is new and counted from 0, so after - before is what the
 * conn carried in the interval even when SAs come and go.
 */
static void add_counts(uint64_t v[2], uint64_t b, uint64_t a)
{
	/*
	 * A counter that went down (an SPI or a device deleted and added
	 * again between the dumps) starts over.
	 */
	v[0] += b <= a ? b : 0;
	v[1] += a;
}

static void add(uint64_t v[2], const struct etsa *before,
		const struct etsa *after, int stat)
{
	add_counts(v, stat_of(before, stat), stat_of(after, stat));
}

/* The in SA whose drop counter rose most; 0 when none rose. */
static void note_rise(uint32_t *spi, uint64_t *best, const struct etsa *b,
		      const struct etsa *a, int stat)
{
	uint64_t before = stat_of(b, stat), after = stat_of(a, stat);
	uint64_t rise = after - (before <= after ? before : 0);

	if (rise > *best) {
		*best = rise;
		*spi = a->spi;
	}
}

void dg_traffic_sample(const struct etsa *s1, size_t n1,
		       const struct etsa *s2, size_t n2,
		       const struct dg_conn *c, const struct dg_child *ch,
		       struct dg_traffic *t)
{
	const struct etsa *in = find_sa(s2, n2, ESPTUN_DIR_IN, ch->spi_in);
	const struct etsa *out = find_sa(s2, n2, ESPTUN_DIR_OUT, ch->spi_out);
	uint64_t icv_best = 0, replay_best = 0;
	int k;

	t->spi_in = ch->spi_in;
	t->spi_out = ch->spi_out;
	for (k = 0; k < c->n_children; k++) {
		const struct dg_child *o = &c->children[k];
		const struct etsa *a, *b;

		if (!seen_before(c, k, ESPTUN_DIR_IN)) {
			a = find_sa(s2, n2, ESPTUN_DIR_IN, o->spi_in);
			b = a ? find_sa(s1, n1, ESPTUN_DIR_IN, o->spi_in) : NULL;
			if (a) {
				t->n_in++;
				add(t->decaps, b, a, ESPTUN_STAT_PACKETS);
				add(t->replay, b, a, ESPTUN_STAT_REPLAY);
				add(t->icv, b, a, ESPTUN_STAT_ICV_FAIL);
				note_rise(&t->icv_spi, &icv_best, b, a,
					  ESPTUN_STAT_ICV_FAIL);
				note_rise(&t->replay_spi, &replay_best, b, a,
					  ESPTUN_STAT_REPLAY);
				in = in ? in : a;
			}
		}
		if (!seen_before(c, k, ESPTUN_DIR_OUT)) {
			a = find_sa(s2, n2, ESPTUN_DIR_OUT, o->spi_out);
			b = a ? find_sa(s1, n1, ESPTUN_DIR_OUT, o->spi_out) :
				NULL;
			if (a) {
				t->n_out++;
				add(t->encaps, b, a, ESPTUN_STAT_PACKETS);
				out = out ? out : a;
			}
		}
	}
	t->found = in && out;
	if (out)
		t->ifindex = out->ifindex;
	if (out && out->remote.family)
		addr_str(&out->remote, t->outer, sizeof(t->outer));
	if (out && out->ifname[0])
		snprintf(t->ifname, sizeof(t->ifname), "%s", out->ifname);
	else if (!out || !if_indextoname(out->ifindex, t->ifname))
		snprintf(t->ifname, sizeof(t->ifname), "?");
}

static const struct etdev *find_dev(const struct etdev *devs, size_t n,
				    uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (devs[i].ifindex == ifindex)
			return &devs[i];
	return NULL;
}

static void add_dev(uint64_t v[2], const struct etdev *before,
		    const struct etdev *after, int stat)
{
	add_counts(v, dev_stat(before, stat), dev_stat(after, stat));
}

void dg_device_sample(const struct etdev *d1, size_t n1,
		      const struct etdev *d2, size_t n2,
		      struct dg_traffic *t)
{
	const struct etdev *a = t->ifindex ? find_dev(d2, n2, t->ifindex) :
			       NULL;
	const struct etdev *b = a ? find_dev(d1, n1, t->ifindex) : NULL;

	t->dev_found = a;
	if (!a)
		return;
	/* A device new since the first dump counts from 0, as SAs do. */
	add_dev(t->no_sa, b, a, ESPTUN_STAT_NO_SA);
	add_dev(t->no_route, b, a, ESPTUN_STAT_NO_ROUTE);
	add_dev(t->mtu, b, a, ESPTUN_STAT_MTU);
	/* SAs that leave the outer address to their device. */
	if (!t->outer[0] && a->remote.family)
		addr_str(&a->remote, t->outer, sizeof(t->outer));
}
