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
 * Ordering is per shell, and one request that goes asynchronous (a
 * SIMD transform handing over to cryptd) holds back every later
 * completion of its shell: SAs are spread over ESPTUN_PAR_SHELLS shells
 * so such a stall holds back only the SAs that share one. padata bounds
 * its work items; when padata cannot take a request (all in use, or
 * being reconfigured on CPU hotplug) it runs in the submitting context,
 * as pcrypt does, rather than being dropped or queued without limit.
 * Order is kept among the packets a CPU hands over: two CPUs sending on
 * one SA at once (the device is lockless) may swap theirs, as without
 * parallel crypto; and across a CPU hotplug it is not kept.
 */
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/numa.h>

#include "parallel.h"

#define ESPTUN_PAR_SHELLS	16

static struct padata_instance *esptun_pinst;
static struct padata_shell *esptun_ps[ESPTUN_PAR_SHELLS];

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
 * esptun_par_pick - the callback CPU and the shell of a new SA
 * @shell: set to the SA's shell
 *
 * SAs take turns, over the online CPUs so several tunnels' completions
 * do not all land on one, and over the shells; padata maps a CPU that
 * went offline since onto one that is not.
 * Context: any.
 * Return: the callback CPU.
 */
int esptun_par_pick(u8 *shell)
{
	static atomic_t next = ATOMIC_INIT(0);
	unsigned int n = atomic_inc_return(&next) & INT_MAX;

	*shell = n % ESPTUN_PAR_SHELLS;
	return cpumask_local_spread(n % num_online_cpus(), NUMA_NO_NODE);
}

/**
 * esptun_par_run - run an AEAD request on the parallel workers
 * @p: the job's memory, valid until the completion has run
 * @req: the request, with its callback and data set
 * @encrypt: encrypt, else decrypt
 * @cb_cpu: where the completion runs (esptun_par_pick)
 * @shell: the SA's shell (esptun_par_pick)
 *
 * Context: softirq or with BHs disabled.
 * Return: -EINPROGRESS: the request's callback will run, in order;
 * otherwise what the transform returned when padata could not take the
 * request and it ran here.
 */
int esptun_par_run(struct esptun_par *p, struct aead_request *req,
		   bool encrypt, int cb_cpu, u8 shell)
{
	/*
	 * A backlogged request would report -EBUSY and complete later:
	 * the job would be finished twice. None may sleep on a worker.
	 */
	u32 flags = req->base.flags & ~(CRYPTO_TFM_REQ_MAY_BACKLOG |
					CRYPTO_TFM_REQ_MAY_SLEEP);
	int err;

	p->req = req;
	p->done = req->base.complete;
	p->data = req->base.data;
	p->encrypt = encrypt;
	p->err = 0;
	aead_request_set_callback(req, flags, esptun_par_inner_done, p);
	memset(&p->padata, 0, sizeof(p->padata));
	p->padata.parallel = esptun_par_parallel;
	p->padata.serial = esptun_par_serial;
	err = padata_do_parallel(esptun_ps[shell % ESPTUN_PAR_SHELLS],
				 &p->padata, &cb_cpu);
	if (!err)
		return -EINPROGRESS;
	aead_request_set_callback(req, flags, p->done, p->data);
	return encrypt ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
}

static void esptun_par_free_shells(void)
{
	int i;

	for (i = 0; i < ESPTUN_PAR_SHELLS; i++) {
		padata_free_shell(esptun_ps[i]);
		esptun_ps[i] = NULL;
	}
}

/* Context: process (module init). */
int esptun_par_init(void)
{
	int i;

	esptun_pinst = padata_alloc("esptun");
	if (!esptun_pinst)
		return -ENOMEM;
	for (i = 0; i < ESPTUN_PAR_SHELLS; i++) {
		esptun_ps[i] = padata_alloc_shell(esptun_pinst);
		if (!esptun_ps[i]) {
			esptun_par_free_shells();
			padata_free(esptun_pinst);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Context: process (module exit), after every SA is freed: no request is
 * in flight, and freeing the instance drains its workers.
 */
void esptun_par_exit(void)
{
	esptun_par_free_shells();
	padata_free(esptun_pinst);
}
