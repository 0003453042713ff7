/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptun inbound anti-replay window (RFC 4303 section 3.4.3, RFC 6479)
 * and extended sequence number inference (RFC 4303 appendix A).
 */
#ifndef _ESPTUN_REPLAY_H
#define _ESPTUN_REPLAY_H

#include <linux/types.h>

/**
 * struct esptun_replay - sliding window over 64-bit sequence numbers
 * @top: highest sequence number accepted so far
 * @window: window size in packets, 0 = no replay protection
 * @nwords: words in @bitmap, a power of two
 * @bitmap: ring of bits, bit (seq % (64 * nwords)) says "seen"
 *
 * The ring is one word larger than the window (RFC 6479): moving the top
 * then only ever clears whole words and never touches bits still inside
 * the window.
 */
struct esptun_replay {
	u64 top;
	u32 window;
	u32 nwords;
	u64 bitmap[];
};

struct esptun_replay *esptun_replay_alloc(u32 window, u64 top, gfp_t gfp);
u64 esptun_replay_infer(const struct esptun_replay *r, u32 seq_lo, bool esn);
bool esptun_replay_check(const struct esptun_replay *r, u64 seq);
bool esptun_replay_advance(struct esptun_replay *r, u64 seq);

#endif /* _ESPTUN_REPLAY_H */
