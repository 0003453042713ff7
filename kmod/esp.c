// SPDX-License-Identifier: GPL-2.0
/*
 * esptun ESP transform (RFC 4303, tunnel mode).
 *
 * Both directions hand the AEAD one scatterlist: first a small buffer of
 * associated data built here (SPI, the high sequence bits with ESN, the
 * low sequence bits, the IV), then the packet from the payload on. The
 * ESP header in the packet is thus never moved around for ESN, and every
 * algorithm sees the layout its template wants:
 *  - rfc4106/rfc7539esp: AAD = all but the last 8 bytes, IV = last 8;
 *  - authenc: the ICV covers SPI, seq, IV and ciphertext;
 *  - authencesn: given SPI, seq-hi, seq-lo, IV, it hashes SPI, seq-lo,
 *    IV, ciphertext, seq-hi, as RFC 4303 section 2.2.1 requires.
 * AD, IV copy, request and scatterlist share one GFP_ATOMIC allocation
 * that the completion frees, so asynchronous implementations work the
 * same way as synchronous ones.
 *
 * A packet to send whose payload is in page fragments (TCP's segments)
 * is encrypted out of place: those pages may be shared (TCP keeps them
 * for retransmission), so the ciphertext and the trailer go to a page of
 * our own that replaces the fragments once it is written. Making the
 * payload private with skb_cow_data would copy every byte first. A
 * received packet is decrypted in place, fragments included, unless it
 * is cloned or its fragments are shared.
 *
 * Requests never ask for the backlog (CRYPTO_TFM_REQ_MAY_BACKLOG): it has
 * no bound, and every request in it pins a packet and an SA. When an
 * asynchronous implementation's queue is full the packet is dropped and
 * counted (ESPTUN_STAT_CRYPTO_BUSY), like a full device queue.
 *
 * An SA with parallel crypto hands the same request to parallel.c, whose
 * ordered completion ends in the same callbacks.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <asm/unaligned.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <net/esp.h>
#include <net/netns/generic.h>
#include <crypto/aead.h>

#include "esp.h"
#include "crypto.h"
#include "replay.h"
#include "events.h"
#include "parallel.h"

/* SPI, seq-hi, seq-lo and the largest IV. */
#define ESPTUN_AD_MAX	(12 + 16)
#define ESPTUN_IV_MAX	16

/* Largest page-fragment buffer of out-of-place encryption. */
#define ESPTUN_OOP_MAX	PAGE_SIZE

static DEFINE_PER_CPU(struct page_frag, esptun_oop_frag);

/**
 * struct esptun_oop - the page out-of-place encryption writes to
 * @page: the page, with a reference of its own; NULL when in place
 * @off: where the buffer starts in it
 * @len: its length: the payload in fragments, trailer and ICV
 *
 * It starts the scratch memory, where the completion finds it.
 */
struct esptun_oop {
	struct page *page;
	unsigned int off;
	unsigned int len;
};

/**
 * struct esptun_tmp - where the pieces of the scratch memory are
 * @ad: associated data
 * @iv: IV handed to the algorithm (CBC updates it in place)
 * @req: the request
 * @sg: the scatterlist
 * @par: the parallel job, for SAs with parallel crypto
 */
struct esptun_tmp {
	u8 *ad;
	u8 *iv;
	struct aead_request *req;
	struct scatterlist *sg;
	struct esptun_par *par;
};

static void *esptun_alloc_tmp(struct crypto_aead *aead, int nsg,
			      struct esptun_tmp *t)
{
	unsigned int mask = crypto_aead_alignmask(aead);
	unsigned int len;
	void *tmp;

	len = sizeof(struct esptun_oop) + mask + ESPTUN_IV_MAX + ESPTUN_AD_MAX;
	len += crypto_tfm_ctx_alignment();
	len += sizeof(struct aead_request) + crypto_aead_reqsize(aead);
	len += __alignof__(struct scatterlist);
	len += sizeof(struct scatterlist) * nsg;
	len += __alignof__(struct esptun_par) + sizeof(struct esptun_par);

	tmp = kmalloc(len, GFP_ATOMIC);
	if (!tmp)
		return NULL;

	((struct esptun_oop *)tmp)->page = NULL;
	t->iv = PTR_ALIGN((u8 *)tmp + sizeof(struct esptun_oop), mask + 1);
	t->ad = t->iv + ESPTUN_IV_MAX;
	t->req = PTR_ALIGN((void *)(t->ad + ESPTUN_AD_MAX),
			   crypto_tfm_ctx_alignment());
	aead_request_set_tfm(t->req, aead);
	t->sg = PTR_ALIGN((void *)((u8 *)t->req + sizeof(struct aead_request) +
				   crypto_aead_reqsize(aead)),
			  __alignof__(struct scatterlist));
	t->par = PTR_ALIGN((void *)(t->sg + nsg), __alignof__(struct esptun_par));
	return tmp;
}

/* Runs the request here or on the parallel workers; -EINPROGRESS: later. */
static int esptun_aead_run(const struct esptun_sa_dp *dp, struct esptun_tmp *t,
			   bool encrypt)
{
	if (dp->cb_cpu >= 0)
		return esptun_par_run(t->par, t->req, encrypt, dp->cb_cpu,
				      dp->par_shell);
	return encrypt ? crypto_aead_encrypt(t->req) :
			 crypto_aead_decrypt(t->req);
}

/* Associated data: SPI, [seq-hi], seq-lo, IV. Returns its length. */
static unsigned int esptun_build_ad(const struct esptun_sa_dp *dp, u8 *ad,
				    __be32 spi, u64 seq, const u8 *iv)
{
	unsigned int n = 0;

	memcpy(ad, &spi, 4);
	n += 4;
	if (dp->esn) {
		put_unaligned_be32(upper_32_bits(seq), ad + n);
		n += 4;
	}
	put_unaligned_be32(lower_32_bits(seq), ad + n);
	n += 4;
	memcpy(ad + n, iv, dp->ivlen);
	return n + dp->ivlen;
}

/*
 * The request was not queued: -ENOSPC from a full crypto queue, -EBUSY
 * or -EAGAIN from implementations that refuse work on their own (pcrypt).
 * Counts the drop; returns true for these.
 */
static bool esptun_crypto_busy(struct esptun_sa *sa, int err)
{
	if (err != -ENOSPC && err != -EBUSY && err != -EAGAIN)
		return false;
	esptun_sa_stat_inc(sa, ESPTUN_STAT_CRYPTO_BUSY);
	esptun_dev_stat_inc(sa->ed, ESPTUN_STAT_CRYPTO_BUSY);
	return true;
}

/*
 * A buffer for out-of-place encryption from this CPU's page fragment.
 * Context: softirq or with BHs disabled (the fragment is per CPU).
 */
static bool esptun_oop_get(struct esptun_oop *o, unsigned int len)
{
	struct page_frag *pf = this_cpu_ptr(&esptun_oop_frag);

	if (unlikely(!skb_page_frag_refill(len, pf, GFP_ATOMIC)))
		return false;
	o->page = pf->page;
	o->off = pf->offset;
	o->len = len;
	get_page(o->page);
	pf->offset += ALIGN(len, L1_CACHE_BYTES);
	return true;
}

/*
 * After out-of-place encryption: the fragments give way to the page
 * that holds their ciphertext and the trailer. On error the page goes.
 */
static void esptun_oop_finish(struct sk_buff *skb, struct esptun_oop *o,
			      int err)
{
	unsigned int headlen = skb_headlen(skb);
	int i;

	if (!o->page)
		return;
	if (err) {
		put_page(o->page);
		o->page = NULL;
		return;
	}
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++)
		skb_frag_unref(skb, i);
	__skb_fill_page_desc(skb, 0, o->page, o->off, o->len);
	skb_shinfo(skb)->nr_frags = 1;
	/*
	 * truesize stays: the sending socket was charged for it, and its
	 * destructor gives back exactly that.
	 */
	skb->data_len = o->len;
	skb->len = headlen + o->len;
	o->page = NULL;
}

static void esptun_output_done(struct crypto_async_request *base, int err)
{
	struct sk_buff *skb = base->data;

	/* Only backlogged requests report this, and none asks for it. */
	if (err == -EINPROGRESS)
		return;
	esptun_oop_finish(skb, ESPTUN_CB(skb)->tmp, err);
	kfree(ESPTUN_CB(skb)->tmp);
	ESPTUN_CB(skb)->tmp = NULL;
	/* A parallel job's own transform may have refused the request. */
	if (esptun_crypto_busy(ESPTUN_CB(skb)->sa, err))
		err = -ENOBUFS;
	local_bh_disable();
	esptun_xmit_finish(skb, err);
	local_bh_enable();
}

/**
 * esptun_esp_output - encapsulate and encrypt one inner packet
 * @skb: the inner packet at its network header; ESPTUN_CB holds the SA
 *	(reference) and the sequence number
 * @headroom: room to leave in front of the ESP header for outer headers
 *
 * Always ends in esptun_xmit_finish(), now or from the crypto completion.
 * Context: softirq or with BHs disabled.
 */
void esptun_esp_output(struct sk_buff *skb, unsigned int headroom)
{
	struct esptun_skb_cb *cb = ESPTUN_CB(skb);
	struct esptun_sa_dp *dp = &cb->sa->dp;
	unsigned int plen, clen, padlen, hlen, adlen, tailen, i;
	struct scatterlist *dsg;
	struct esptun_oop *oop;
	struct ip_esp_hdr *esph;
	struct sk_buff *trailer;
	struct esptun_tmp t;
	int nfrags, n, err;
	u8 nexthdr, *tail;
	bool inplace;
	void *tmp;

	nexthdr = skb->protocol == htons(ETH_P_IP) ? IPPROTO_IPIP : IPPROTO_IPV6;
	plen = skb->len;
	clen = ALIGN(plen + 2, dp->blocksize);
	padlen = clen - plen - 2;
	tailen = clen - plen + dp->icvlen;
	hlen = sizeof(*esph) + dp->ivlen;

	err = skb_cow_head(skb, headroom + hlen);
	if (unlikely(err))
		goto out;
	/* Page-pool and zero-copy fragments keep their own rules. */
	inplace = !skb_is_nonlinear(skb) || skb_cloned(skb) ||
		  skb_has_frag_list(skb) || skb->pp_recycle || skb_zcopy(skb) ||
		  ALIGN(skb->data_len + tailen, L1_CACHE_BYTES) > ESPTUN_OOP_MAX;
	if (inplace) {
		nfrags = skb_cow_data(skb, tailen, &trailer);
		if (unlikely(nfrags < 0)) {
			err = nfrags;
			goto out;
		}
		/* Source and destination: one list. */
		tmp = esptun_alloc_tmp(dp->aead, nfrags + 1, &t);
	} else {
		/* Source: AD, head, fragments, trailer; destination: AD,
		 * head, the new page.
		 */
		nfrags = skb_shinfo(skb)->nr_frags + 2;
		tmp = esptun_alloc_tmp(dp->aead, nfrags + 1 + 3, &t);
	}
	if (unlikely(!tmp)) {
		err = -ENOMEM;
		goto out;
	}
	cb->tmp = tmp;
	oop = tmp;

	if (inplace) {
		tail = pskb_put(skb, trailer, tailen);
	} else {
		if (unlikely(!esptun_oop_get(oop, skb->data_len + tailen))) {
			err = -ENOMEM;
			goto out_free;
		}
		tail = page_address(oop->page) + oop->off + skb->data_len;
	}
	/* RFC 4303 2.4: padding bytes 1, 2, 3, ..., then its length. */
	for (i = 0; i < padlen; i++)
		tail[i] = i + 1;
	tail[padlen] = padlen;
	tail[padlen + 1] = nexthdr;

	esph = skb_push(skb, hlen);
	esph->spi = cb->sa->spi;
	esph->seq_no = htonl(lower_32_bits(cb->seq));
	/*
	 * Counter modes need an IV that never repeats under a key: the
	 * sequence number is exactly that (RFC 4106 section 3.1, RFC 7634
	 * section 2). CBC needs an unpredictable one.
	 */
	if (dp->iv_from_seq)
		put_unaligned_be64(cb->seq, esph->enc_data);
	else
		get_random_bytes(esph->enc_data, dp->ivlen);
	memcpy(t.iv, esph->enc_data, dp->ivlen);
	adlen = esptun_build_ad(dp, t.ad, esph->spi, cb->seq, esph->enc_data);

	sg_init_table(t.sg, nfrags + 1);
	sg_set_buf(t.sg, t.ad, adlen);
	if (inplace) {
		err = skb_to_sgvec(skb, t.sg + 1, hlen, clen + dp->icvlen);
		if (unlikely(err < 0))
			goto out_free;
		dsg = t.sg;
	} else {
		n = skb_to_sgvec_nomark(skb, t.sg + 1, hlen, skb->len - hlen);
		if (unlikely(n < 0)) {
			err = n;
			goto out_free;
		}
		sg_set_page(t.sg + 1 + n, oop->page, tailen,
			    oop->off + skb->data_len);
		sg_mark_end(t.sg + 1 + n);

		dsg = t.sg + nfrags + 1;
		n = skb_headlen(skb) - hlen;
		sg_init_table(dsg, n ? 3 : 2);
		sg_set_buf(dsg, t.ad, adlen);
		if (n)
			sg_set_buf(dsg + 1, skb->data + hlen, n);
		sg_set_page(dsg + (n ? 2 : 1), oop->page, oop->len, oop->off);
	}

	aead_request_set_callback(t.req, 0, esptun_output_done, skb);
	aead_request_set_crypt(t.req, t.sg, dsg, clen, t.iv);
	aead_request_set_ad(t.req, adlen);

	err = esptun_aead_run(dp, &t, true);
	if (err == -EINPROGRESS)
		return;
	if (esptun_crypto_busy(cb->sa, err))
		err = -ENOBUFS;

out_free:
	esptun_oop_finish(skb, oop, err);
	kfree(tmp);
	cb->tmp = NULL;
out:
	esptun_xmit_finish(skb, err);
}

/*
 * After a good ICV: move the window, then strip trailer and header.
 * Returns the next-header value or a negative errno; counts the cause.
 */
static int esptun_input_done2(struct sk_buff *skb)
{
	struct esptun_skb_cb *cb = ESPTUN_CB(skb);
	struct esptun_sa *sa = cb->sa;
	struct esptun_sa_dp *dp = &sa->dp;
	unsigned int hlen = sizeof(struct ip_esp_hdr) + dp->ivlen;
	unsigned int elen, padlen, i;
	u8 buf[257];
	bool fresh;

	spin_lock_bh(&dp->replay_lock);
	fresh = esptun_replay_advance(dp->replay, cb->seq);
	spin_unlock_bh(&dp->replay_lock);
	if (!fresh) {
		esptun_sa_stat_inc(sa, ESPTUN_STAT_REPLAY);
		return -EEXIST;
	}
	/* Authentic and fresh: only now may its source tell the agent
	 * that the peer moved; a forged or replayed packet cannot.
	 */
	if (unlikely(cb->in_flags & ESPTUN_IN_MOVED))
		esptun_nl_event_remote_moved(sa, cb->family, &cb->saddr,
					     cb->sport, cb->dport);

	elen = skb->len - hlen - dp->icvlen;
	if (skb_copy_bits(skb, hlen + elen - 2, buf + 255, 2))
		goto bad;
	padlen = buf[255];
	if (padlen + 2 > elen)
		goto bad;
	/* RFC 4303 2.4: we sent 1, 2, 3, ...; so does every sane peer. */
	if (padlen) {
		if (skb_copy_bits(skb, hlen + elen - 2 - padlen,
				  buf + 255 - padlen, padlen))
			goto bad;
		for (i = 0; i < padlen; i++)
			if (buf[255 - padlen + i] != i + 1)
				goto bad;
	}
	if (pskb_trim(skb, skb->len - dp->icvlen - padlen - 2))
		goto bad;
	__skb_pull(skb, hlen);
	return buf[256];

bad:
	net_dbg_ratelimited("esptun: SPI 0x%08x: bad padding\n",
			    ntohl(sa->spi));
	esptun_sa_stat_inc(sa, ESPTUN_STAT_FORMAT);
	return -EINVAL;
}

static void esptun_input_done(struct crypto_async_request *base, int err)
{
	struct sk_buff *skb = base->data;
	struct esptun_skb_cb *cb = ESPTUN_CB(skb);

	/* Only backlogged requests report this, and none asks for it. */
	if (err == -EINPROGRESS)
		return;
	kfree(cb->tmp);
	cb->tmp = NULL;
	esptun_crypto_busy(cb->sa, err);
	local_bh_disable();
	if (err == -EBADMSG)
		esptun_sa_stat_inc(cb->sa, ESPTUN_STAT_ICV_FAIL);
	if (!err)
		err = esptun_input_done2(skb);
	esptun_recv_finish(skb, err);
	local_bh_enable();
}

/**
 * esptun_esp_input - check and decrypt one ESP packet of a known SA
 * @skb: the packet at its ESP header; ESPTUN_CB holds the SA (reference)
 *
 * Length and replay are checked before the costly decryption; the window
 * moves only after the ICV is good. Ends in esptun_recv_finish() with the
 * next-header value (>= 0) or an error whose cause is already counted.
 * Context: softirq or with BHs disabled.
 */
void esptun_esp_input(struct sk_buff *skb)
{
	struct esptun_skb_cb *cb = ESPTUN_CB(skb);
	struct esptun_sa *sa = cb->sa;
	struct esptun_sa_dp *dp = &sa->dp;
	unsigned int hlen = sizeof(struct ip_esp_hdr) + dp->ivlen;
	struct ip_esp_hdr *esph;
	struct sk_buff *trailer;
	unsigned int elen, adlen;
	struct esptun_tmp t;
	int nfrags, err;
	bool ok;
	void *tmp;

	if (!pskb_may_pull(skb, hlen) || skb->len < hlen + dp->icvlen + 2)
		goto format;
	elen = skb->len - hlen - dp->icvlen;
	if (!IS_ALIGNED(elen, dp->blocksize))
		goto format;

	esph = (struct ip_esp_hdr *)skb->data;
	spin_lock_bh(&dp->replay_lock);
	cb->seq = esptun_replay_infer(dp->replay, ntohl(esph->seq_no),
				      dp->esn);
	ok = esptun_replay_check(dp->replay, cb->seq);
	spin_unlock_bh(&dp->replay_lock);
	if (!ok) {
		esptun_sa_stat_inc(sa, ESPTUN_STAT_REPLAY);
		err = -EEXIST;
		goto out;
	}

	/* The payload changes under any checksum the driver computed. */
	skb->ip_summed = CHECKSUM_NONE;
	/* Pages only this packet holds are written in place. */
	if (!skb_cloned(skb) && !skb_has_frag_list(skb) &&
	    !skb_has_shared_frag(skb)) {
		nfrags = skb_shinfo(skb)->nr_frags + 1;
	} else {
		nfrags = skb_cow_data(skb, 0, &trailer);
		if (unlikely(nfrags < 0)) {
			err = nfrags;
			goto out;
		}
	}
	tmp = esptun_alloc_tmp(dp->aead, nfrags + 1, &t);
	if (unlikely(!tmp)) {
		err = -ENOMEM;
		goto out;
	}
	cb->tmp = tmp;

	esph = (struct ip_esp_hdr *)skb->data;
	memcpy(t.iv, esph->enc_data, dp->ivlen);
	adlen = esptun_build_ad(dp, t.ad, esph->spi, cb->seq, esph->enc_data);
	sg_init_table(t.sg, nfrags + 1);
	sg_set_buf(t.sg, t.ad, adlen);
	err = skb_to_sgvec(skb, t.sg + 1, hlen, elen + dp->icvlen);
	if (unlikely(err < 0))
		goto out_free;

	aead_request_set_callback(t.req, 0, esptun_input_done, skb);
	aead_request_set_crypt(t.req, t.sg, t.sg, elen + dp->icvlen, t.iv);
	aead_request_set_ad(t.req, adlen);

	err = esptun_aead_run(dp, &t, false);
	if (err == -EINPROGRESS)
		return;
	esptun_crypto_busy(sa, err);
	kfree(tmp);
	cb->tmp = NULL;
	if (err == -EBADMSG)
		esptun_sa_stat_inc(sa, ESPTUN_STAT_ICV_FAIL);
	if (!err)
		err = esptun_input_done2(skb);
	esptun_recv_finish(skb, err);
	return;

format:
	esptun_sa_stat_inc(sa, ESPTUN_STAT_FORMAT);
	err = -EINVAL;
	goto out;
out_free:
	kfree(tmp);
	cb->tmp = NULL;
out:
	esptun_recv_finish(skb, err);
}

/**
 * esptun_dp_sa_init - set up the data-path state of a new SA
 * @sa: the SA (dir, spi, ep, sel already set; not yet visible)
 * @cfg: the validated request, with keys
 * @extack: where to say what is wrong
 *
 * Context: process, may sleep.
 * Return: 0 or a negative errno with @extack set; nothing stays allocated
 * on error.
 */
int esptun_dp_sa_init(struct esptun_sa *sa, const struct esptun_sa_cfg *cfg,
		      struct netlink_ext_ack *extack)
{
	struct esptun_sa_dp *dp = &sa->dp;
	int err;

	esptun_cb_check();
	if (cfg->replay_window > ESPTUN_REPLAY_WINDOW_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "replay window too large");
		return -EINVAL;
	}
	if (!cfg->esn && (cfg->seq > U32_MAX || cfg->oseq > U32_MAX)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "sequence number above 2^32-1 needs ESN");
		return -EINVAL;
	}

	err = esptun_crypto_init(dp, cfg, extack);
	if (err)
		return err;
	dp->cb_cpu = READ_ONCE(sa->ed->parallel) ?
		     esptun_par_pick(&dp->par_shell) : -1;

	spin_lock_init(&dp->replay_lock);
	atomic64_set(&dp->oseq, cfg->oseq);
	dp->replay_window = cfg->replay_window;
	if (cfg->dir == ESPTUN_DIR_IN) {
		dp->replay = esptun_replay_alloc(cfg->replay_window, cfg->seq,
						 GFP_KERNEL);
		if (!dp->replay) {
			err = -ENOMEM;
			goto err_crypto;
		}
	} else {
		err = dst_cache_init(&dp->dst_cache, GFP_KERNEL);
		if (err)
			goto err_crypto;
	}
	return 0;

err_crypto:
	esptun_crypto_free(dp);
	return err;
}

/**
 * esptun_dp_sa_free - release the data-path state; wipes keys
 * @sa: the SA, no longer reachable by any packet
 *
 * Context: process, from the SA's free work after an RCU grace period.
 */
void esptun_dp_sa_free(struct esptun_sa *sa)
{
	struct esptun_sa_dp *dp = &sa->dp;

	esptun_crypto_free(dp);
	kfree(dp->replay);
	dp->replay = NULL;
	dst_cache_destroy(&dp->dst_cache);
}

/**
 * esptun_dp_seq - sequence number state for dumps
 * @sa: the SA
 *
 * Context: process or softirq (takes the replay lock with BHs off).
 * Return: outbound: the last sequence number sent; inbound: the highest
 * one accepted.
 */
u64 esptun_dp_seq(struct esptun_sa *sa)
{
	struct esptun_sa_dp *dp = &sa->dp;
	u64 seq;

	if (!dp->replay)
		return atomic64_read(&dp->oseq);
	spin_lock_bh(&dp->replay_lock);
	seq = dp->replay->top;
	spin_unlock_bh(&dp->replay_lock);
	return seq;
}

/* Context: process (module exit), after the last packet. */
void esptun_esp_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page_frag *pf = per_cpu_ptr(&esptun_oop_frag, cpu);

		if (pf->page)
			put_page(pf->page);
		pf->page = NULL;
	}
}
