/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ESPTUN_PARALLEL_H
#define _ESPTUN_PARALLEL_H

#include <linux/padata.h>
#include <crypto/aead.h>

/**
 * struct esptun_par - one AEAD request run on the parallel workers
 * @padata: padata's job, ordered by its submission
 * @req: the request, its callback the completion to run in order
 * @done: @req's own completion, called from the serial worker
 * @data: @req's own completion data
 * @err: result of the request
 * @encrypt: encrypt, else decrypt
 */
struct esptun_par {
	struct padata_priv padata;
	struct aead_request *req;
	crypto_completion_t done;
	void *data;
	int err;
	bool encrypt;
};

#if IS_ENABLED(CONFIG_PADATA)
int esptun_par_init(void);
void esptun_par_exit(void);
int esptun_par_pick(u8 *shell);
int esptun_par_run(struct esptun_par *p, struct aead_request *req,
		   bool encrypt, int cb_cpu, u8 shell);
#else
/* Without padata every SA runs its crypto where the packet is. */
static inline int esptun_par_init(void)
{
	return 0;
}

static inline void esptun_par_exit(void)
{
}

static inline int esptun_par_pick(u8 *shell)
{
	*shell = 0;
	return -1;
}

static inline int esptun_par_run(struct esptun_par *p,
				 struct aead_request *req, bool encrypt,
				 int cb_cpu, u8 shell)
{
	return encrypt ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
}
#endif

#endif
