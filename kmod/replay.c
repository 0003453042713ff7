// SPDX-License-Identifier: GPL-2.0
/*
 * esptun anti-replay window.
 *
 * The caller holds the SA's replay lock around every call but
 * esptun_replay_alloc(). Input checks before decryption (cheap rejection
 * of old packets) and advances only after the ICV has been verified, with
 * a second check under the same lock, so a forged packet can never move
 * the window and two copies racing through decryption are caught.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/log2.h>
#include <linux/overflow.h>

#include "replay.h"

/**
 * esptun_replay_alloc - allocate a window
 * @window: packets, 0 for no replay protection
 * @top: highest sequence number already seen (the SA's SEQ attribute)
 * @gfp: allocation flags
 *
 * Return: the window or NULL.
 */
struct esptun_replay *esptun_replay_alloc(u32 window, u64 top, gfp_t gfp)
{
	struct esptun_replay *r;
	u32 nwords;

	nwords = window ? roundup_pow_of_two(DIV_ROUND_UP(window, 64) + 1) : 0;
	r = kzalloc(struct_size(r, bitmap, nwords), gfp);
	if (!r)
		return NULL;
	r->top = top;
	r->window = window;
	r->nwords = nwords;
	return r;
}

/**
 * esptun_replay_infer - full sequence number of a received packet
 * @r: the window
 * @seq_lo: the 32 bits from the ESP header
 * @esn: extended sequence numbers in use
 *
 * RFC 4303 appendix A2.2: the high half is that of the top of the window,
 * unless the low half lies below the window's bottom (then it is from the
 * next 2^32 block) or, when the window straddles a block boundary, above
 * the bottom's wrapped value (then it is from the previous block).
 * Without a window a window of 64 decides, as a peer sending in order
 * never gets that far ahead.
 *
 * Return: the inferred 64-bit sequence number (may be 0 for "before the
 * start", which the check then refuses).
 */
u64 esptun_replay_infer(const struct esptun_replay *r, u32 seq_lo, bool esn)
{
	u32 w = r->window ?: 64;
	u32 th = upper_32_bits(r->top);
	u32 tl = lower_32_bits(r->top);
	u32 bottom = tl - w + 1;

	if (!esn)
		return seq_lo;

	if (tl >= w - 1) {
		if (seq_lo < bottom)
			th++;
	} else if (seq_lo >= bottom) {
		if (!th)
			return 0;
		th--;
	}
	return ((u64)th << 32) | seq_lo;
}

static unsigned long *esptun_replay_word(const struct esptun_replay *r,
					 u64 seq)
{
	return (unsigned long *)&r->bitmap[(seq >> 6) & (r->nwords - 1)];
}

/**
 * esptun_replay_check - may a packet with this number be accepted?
 * @r: the window
 * @seq: full sequence number
 *
 * Return: false for 0, for numbers already seen and for numbers older
 * than the window.
 */
bool esptun_replay_check(const struct esptun_replay *r, u64 seq)
{
	if (!seq)
		return false;
	if (!r->window || seq > r->top)
		return true;
	if (r->top - seq >= r->window)
		return false;
	return !test_bit(seq & 63, esptun_replay_word(r, seq));
}

/**
 * esptun_replay_advance - record an authenticated packet
 * @r: the window
 * @seq: full sequence number, ICV already verified
 *
 * Return: false if the number was taken meanwhile (drop the packet).
 */
bool esptun_replay_advance(struct esptun_replay *r, u64 seq)
{
	u64 blocks, i;

	if (!esptun_replay_check(r, seq))
		return false;
	if (!r->window) {
		if (seq > r->top)
			r->top = seq;
		return true;
	}
	if (seq > r->top) {
		blocks = (seq >> 6) - (r->top >> 6);
		if (blocks > r->nwords)
			blocks = r->nwords;
		for (i = 1; i <= blocks; i++)
			r->bitmap[((r->top >> 6) + i) & (r->nwords - 1)] = 0;
		r->top = seq;
	}
	__set_bit(seq & 63, esptun_replay_word(r, seq));
	return true;
}
