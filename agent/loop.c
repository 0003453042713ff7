// SPDX-License-Identifier: GPL-2.0
/*
 * epoll loop with a sorted list of one-shot timers. The daemon has a few
 * descriptors and a few timers, so a linked list beats anything clever.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

struct watch {
	struct watch *next;
	int fd;
	loop_fd_cb cb;
	void *arg;
	int dead;
};

struct loop_timer {
	struct loop_timer *next;
	uint64_t at;
	loop_timer_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	int stop;
	struct watch *watches;
	struct loop_timer *timers;	/* sorted by at */
	loop_deadline_fn ext_deadline;
	loop_timer_cb ext_run;
	void *ext_arg;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	struct watch *w, *wn;
	struct loop_timer *t, *tn;

	if (!l)
		return;
	for (w = l->watches; w; w = wn) {
		wn = w->next;
		free(w);
	}
	for (t = l->timers; t; t = tn) {
		tn = t->next;
		free(t);
	}
	close(l->epfd);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
		void *arg)
{
	struct epoll_event ev = { .events = events };
	struct watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		free(w);
		return -e;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	struct watch *w;

	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Freed after the current batch: an event may still point at it. */
	for (w = l->watches; w; w = w->next)
		if (w->fd == fd && !w->dead) {
			w->dead = 1;
			break;
		}
}

static void reap(struct loop *l)
{
	struct watch **pp = &l->watches, *w;

	while ((w = *pp)) {
		if (w->dead) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

struct loop_timer *loop_timer_add(struct loop *l, uint64_t after_ms,
				  loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t)), **pp;

	if (!t)
		return NULL;
	t->at = loop_now_ms() + after_ms;
	t->cb = cb;
	t->arg = arg;
	for (pp = &l->timers; *pp && (*pp)->at <= t->at; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **pp;

	for (pp = &l->timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
}

void loop_set_external(struct loop *l, loop_deadline_fn deadline,
		       loop_timer_cb run, void *arg)
{
	l->ext_deadline = deadline;
	l->ext_run = run;
	l->ext_arg = arg;
}

static int next_wait(struct loop *l, int max_ms)
{
	int64_t wait = max_ms;
	uint64_t now = loop_now_ms();

	if (l->timers) {
		int64_t d = l->timers->at > now ? (int64_t)(l->timers->at - now) : 0;

		if (wait < 0 || d < wait)
			wait = d;
	}
	if (l->ext_deadline) {
		int64_t d = l->ext_deadline(l->ext_arg);

		if (d >= 0 && (wait < 0 || d < wait))
			wait = d;
	}
	if (wait > 60000 || wait < 0)
		wait = 60000;	/* re-evaluate at least once a minute */
	return (int)wait;
}

int loop_run_once(struct loop *l, int max_ms)
{
	struct epoll_event evs[16];
	int n, i;

	n = epoll_wait(l->epfd, evs, 16, next_wait(l, max_ms));
	if (n < 0) {
		if (errno == EINTR)
			n = 0;
		else
			return -errno;
	}
	for (i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;

		if (!w->dead)
			w->cb(w->arg, w->fd, evs[i].events);
	}
	reap(l);
	/* Due timers; a callback may add or cancel others. */
	while (l->timers && l->timers->at <= loop_now_ms()) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->cb(t->arg);
		free(t);
	}
	if (l->ext_run)
		l->ext_run(l->ext_arg);
	return 0;
}

int loop_run(struct loop *l)
{
	int err;

	l->stop = 0;
	while (!l->stop) {
		err = loop_run_once(l, -1);
		if (err) {
			log_err("event loop: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}
