/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esptund's event loop: epoll over descriptors plus one-shot timers on the
 * monotonic clock (a wall-clock step must never fire or stall a
 * retransmission). One thread; callbacks run to completion.
 */
#ifndef ESPTUND_LOOP_H
#define ESPTUND_LOOP_H

#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(void *arg, int fd, uint32_t events);
typedef void (*loop_timer_cb)(void *arg);
/* Returns ms until the caller's next deadline, or -1 for none. */
typedef int64_t (*loop_deadline_fn)(void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* events: EPOLLIN etc. One callback per descriptor. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
		void *arg);
void loop_del_fd(struct loop *l, int fd);

/* Calls cb once, after_ms from now. The handle is valid until it fires. */
struct loop_timer *loop_timer_add(struct loop *l, uint64_t after_ms,
				  loop_timer_cb cb, void *arg);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/*
 * An external timer wheel (the IKE engine keeps its own): the loop sleeps
 * no longer than deadline() says and calls run() after every wake-up.
 */
void loop_set_external(struct loop *l, loop_deadline_fn deadline,
		       loop_timer_cb run, void *arg);

/* Runs until loop_stop(); returns 0, or -errno if epoll fails. */
int loop_run(struct loop *l);
/* One iteration waiting at most max_ms (-1: no limit). For tests. */
int loop_run_once(struct loop *l, int max_ms);
void loop_stop(struct loop *l);

uint64_t loop_now_ms(void);

#endif
