// SPDX-License-Identifier: GPL-2.0
/*
 * esptun parallel crypto.
 *
 * One flow's packets would otherwise be encrypted on the CPU that sends
 * them and decrypted on the CPU that receives them, so a single tunnel
 * is bound to one CPU per direction. Here each request runs on padata's
 * workers, spread over all CPUs, and its completion runs afterwards in
 * submission order on the SA's callback CPU: packets leave and are
 * delivered in the order their sequence numbers were given, so the
 * receiver's replay window never sees reordering made by the workers.
 *
 * Encryption and decryption have a shell each, so a busy direction does
 * not hold back the other's ordering. padata bounds its work items; once
 * they are all in use a request runs in the submitting context instead
 * of queueing without limit.
 */
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/cpumask.h>

#include "parallel.h"

static struct padata_instance *esptun_pinst;
static struct padata_shell *esptun_ps_enc;
static struct padata_shell *esptun_ps_dec;

static void esptun_par_inner_done(struct crypto_async_request *base, int err)
{
	struct esptun_par *p = base->data;

	/* Only backlogged requests report this, and none asks for it. */
	if (err == -EINPROGRESS)
		return;
	p->err = err;
	padata_do_serial(&p->padata);
}

/* On a worker, with BHs disabled. */
static void esptun_par_parallel(struct padata_priv *padata)
{
	struct esptun_par *p = container_of(padata, struct esptun_par, padata);
	int err;

	err = p->encrypt ? crypto_aead_encrypt(p->req) :
			   crypto_aead_decrypt(p->req);
	if (err == -EINPROGRESS)
		return;
	p->err = err;
	padata_do_serial(padata);
}

/* On the SA's callback CPU, in submission order, with BHs disabled. */
static void esptun_par_serial(struct padata_priv *padata)
{
	struct esptun_par *p = container_of(padata, struct esptun_par, padata);

	p->req->base.data = p->data;
	p->done(&p->req->base, p->err);
}

/**
 * esptun_par_cb_cpu - the callback CPU for a new SA
 *
 * SAs take turns so several tunnels' completions do not all land on one
 * CPU; padata maps a number that names no usable CPU onto one that is.
 * Context: any.
 */
int esptun_par_cb_cpu(void)
{
	static atomic_t next = ATOMIC_INIT(0);

	return (atomic_inc_return(&next) & INT_MAX) % nr_cpu_ids;
}

/**
 * esptun_par_run - run an AEAD request on the parallel workers
 * @p: the job's memory, valid until the completion has run
 * @req: the request, with its callback and data set
 * @encrypt: encrypt, else decrypt
 * @cb_cpu: where the completion runs (esptun_par_cb_cpu)
 *
 * Context: softirq or with BHs disabled.
 * Return: -EINPROGRESS: the request's callback will run, in submission
 * order; -EBUSY: not queued (padata is being reconfigured), as a full
 * crypto queue would answer.
 */
int esptun_par_run(struct esptun_par *p, struct aead_request *req,
		   bool encrypt, int cb_cpu)
{
	int err;

	p->req = req;
	p->done = req->base.complete;
	p->data = req->base.data;
	p->encrypt = encrypt;
	p->err = 0;
	aead_request_set_callback(req, req->base.flags, esptun_par_inner_done,
				  p);
	memset(&p->padata, 0, sizeof(p->padata));
	p->padata.parallel = esptun_par_parallel;
	p->padata.serial = esptun_par_serial;
	err = padata_do_parallel(encrypt ? esptun_ps_enc : esptun_ps_dec,
				 &p->padata, &cb_cpu);
	if (err) {
		aead_request_set_callback(req, req->base.flags, p->done,
					  p->data);
		return -EBUSY;
	}
	return -EINPROGRESS;
}

/* Context: process (module init). */
int esptun_par_init(void)
{
	esptun_pinst = padata_alloc("esptun");
	if (!esptun_pinst)
		return -ENOMEM;
	esptun_ps_enc = padata_alloc_shell(esptun_pinst);
	if (!esptun_ps_enc)
		goto err_inst;
	esptun_ps_dec = padata_alloc_shell(esptun_pinst);
	if (!esptun_ps_dec)
		goto err_enc;
	return 0;

err_enc:
	padata_free_shell(esptun_ps_enc);
err_inst:
	padata_free(esptun_pinst);
	return -ENOMEM;
}

/*
 * Context: process (module exit), after every SA is freed: no request is
 * in flight, and freeing the instance drains its workers.
 */
void esptun_par_exit(void)
{
	padata_free_shell(esptun_ps_dec);
	padata_free_shell(esptun_ps_enc);
	padata_free(esptun_pinst);
}
