// SPDX-License-Identifier: GPL-2.0
/*
 * esptund: options, start-up, signals, shut-down. Everything the IKE
 * engine needs from the outside (UDP, clock, kernel SAs) is wired here,
 * so the engine stays testable without any of it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "ike/engine.h"
#include "kernel/backend.h"
#include "leftover.h"
#include "log.h"
#include "loop.h"
#include "net.h"

struct daemon {
	const char *conf_path;
	struct conf conf;
	int debug;
	struct loop *loop;
	struct net *net;
	struct kernel *kern;
	struct ike_engine *eng;
	struct ctl *ctl;
	int sigfd;
	bool carrier_unsupported;	/* said once */
	struct leftovers left;		/* SAs of a previous run */
};

/* ---- engine environment ---- */

static int env_send(void *ctx, const struct sockaddr_storage *from,
		    const struct sockaddr_storage *to, const uint8_t *buf,
		    size_t len)
{
	struct daemon *d = ctx;

	return net_send(d->net, from, to, buf, len);
}

static uint64_t env_now_ms(void *ctx)
{
	return loop_now_ms();
}

static int env_get_spi(void *ctx, const struct ike_conn *conn, uint32_t *spi)
{
	struct daemon *d = ctx;
	int err;

	err = kernel_spi_alloc(d->kern, conn->ifname, &conn->local, spi);
	if (err)
		log_err("%s: kernel refused an SPI on %s: %s", conn->name,
			conn->ifname, d->kern->err);
	return err;
}

static int env_add_sa(void *ctx, const struct ike_conn *conn,
		      const struct ike_kernel_sa *sa)
{
	struct daemon *d = ctx;
	int err;

	err = kernel_sa_add(d->kern, conn->ifname, sa);
	if (err) {
		log_err("%s: kernel refused %s SA %08x on %s: %s", conn->name,
			sa->dir == IKE_DIR_IN ? "inbound" : "outbound",
			sa->spi, conn->ifname, d->kern->err);
		return err;
	}
	/* Traffic to the peer now leaves on our SA: the old ones are idle. */
	if (sa->dir == IKE_DIR_OUT && d->left.n) {
		int n = leftover_drop(&d->left, d->kern, conn->ifname,
				      &sa->dst, loop_now_ms());

		if (n)
			log_info("%s: removed %d outbound SA(s) on %s that a "
				 "previous esptund left for this peer; the "
				 "inbound ones after a rekey's grace period",
				 conn->name, n, conn->ifname);
	}
	return 0;
}

static int env_del_sa(void *ctx, const struct ike_conn *conn,
		      enum ike_sa_dir dir, uint32_t spi)
{
	struct daemon *d = ctx;
	int err;

	err = kernel_sa_del(d->kern, conn->ifname, dir, spi);
	/* Gone already (expired, flushed by hand): nothing to undo. */
	if (err && err != -ENOENT)
		log_warn("%s: deleting %s SA %08x on %s: %s", conn->name,
			 dir == IKE_DIR_IN ? "inbound" : "outbound", spi,
			 conn->ifname, d->kern->err);
	return err;
}

/* auto-force: how long an SA of either direction has been idle. */
static int env_sa_used(void *ctx, const struct ike_conn *conn,
		       enum ike_sa_dir dir, uint32_t spi, uint64_t *idle_ms)
{
	struct daemon *d = ctx;
	uint64_t last;
	time_t now = time(NULL);
	int err;

	err = kernel_sa_last_use(d->kern, conn->ifname, dir, spi, &last);
	if (err)
		return err;
	if (!last)
		*idle_ms = UINT64_MAX;
	else
		*idle_ms = (uint64_t)now > last ?
			   ((uint64_t)now - last) * 1000 : 0;
	return 0;
}

/* DPD: how long the inbound SA has been idle, from its last use. */
static int env_sa_idle(void *ctx, const struct ike_conn *conn, uint32_t spi,
		       uint64_t *idle_ms)
{
	struct daemon *d = ctx;
	uint64_t last;
	time_t now = time(NULL);
	int err;

	err = kernel_sa_last_use(d->kern, conn->ifname, IKE_DIR_IN, spi,
				 &last);
	if (err) {
		log_dbg("%s: last use of inbound SA %08x on %s: %s",
			conn->name, spi, conn->ifname, d->kern->err);
		return err;
	}
	if (!last)
		*idle_ms = UINT64_MAX;
	else
		*idle_ms = (uint64_t)now > last ?
			   ((uint64_t)now - last) * 1000 : 0;
	return 0;
}

static int env_set_carrier(void *ctx, const struct ike_conn *conn, bool on)
{
	struct daemon *d = ctx;
	int err;

	err = kernel_dev_carrier(d->kern, conn->ifname, on);
	if (err == -EOPNOTSUPP) {
		if (!d->carrier_unsupported)
			log_info("%s: carrier of %s not managed: %s",
				 conn->name, conn->ifname, d->kern->err);
		d->carrier_unsupported = true;
	} else if (err) {
		log_warn("%s: setting the carrier of %s: %s", conn->name,
			 conn->ifname, d->kern->err);
	}
	return err;
}

static int env_set_addr(void *ctx, const struct ike_conn *conn,
			const struct ike_ts *addr, bool add)
{
	struct daemon *d = ctx;
	int err;

	err = kernel_dev_addr(d->kern, conn->ifname, addr, add);
	if (err)
		log_warn("%s: %s the address of %s: %s", conn->name,
			 add ? "setting" : "removing", conn->ifname,
			 d->kern->err);
	return err;
}

static int env_update_sa(void *ctx, const struct ike_conn *conn,
			 const struct ike_kernel_sa *sa)
{
	struct daemon *d = ctx;
	int err;

	err = kernel_sa_update(d->kern, conn->ifname, sa);
	if (err)
		log_err("%s: kernel refused to move %s SA %08x on %s: %s",
			conn->name, sa->dir == IKE_DIR_IN ? "inbound" :
			"outbound", sa->spi, conn->ifname, d->kern->err);
	return err;
}

static int env_send_keepalive(void *ctx, const struct sockaddr_storage *from,
			      const struct sockaddr_storage *to)
{
	struct daemon *d = ctx;

	return net_send_keepalive(d->net, from, to);
}

/* ---- configuration ---- */

/* Devices first: a conn whose device cannot exist is refused whole. */
static int prepare_devices(struct daemon *d, const struct conf *c, char *err,
			   size_t errlen)
{
	size_t i;

	for (i = 0; i < c->n_conns; i++) {
		const struct ike_conn *conn = &c->conns[i];
		bool created;

		if (kernel_dev_ensure(d->kern, conn->ifname, &created)) {
			snprintf(err, errlen, "conn '%s': interface %s: %s",
				 conn->name, conn->ifname, d->kern->err);
			return -1;
		}
		if (created)
			log_info("created interface %s for conn '%s'",
				 conn->ifname, conn->name);
		if (kernel_dev_set(d->kern, conn->ifname, &conn->local,
				   &conn->remote)) {
			snprintf(err, errlen,
				 "conn '%s': setting the endpoints of %s: %s",
				 conn->name, conn->ifname, d->kern->err);
			return -1;
		}
	}
	return 0;
}

/*
 * At start-up only: whatever the devices hold now was installed by an
 * earlier run (a reload must not take this run's SAs for leftovers).
 */
static int note_leftovers(struct daemon *d)
{
	size_t i, n0;

	for (i = 0; i < d->conf.n_conns; i++) {
		const char *ifname = d->conf.conns[i].ifname;
		size_t j;

		for (j = 0; j < i; j++)
			if (!strcmp(d->conf.conns[j].ifname, ifname))
				break;
		if (j < i)
			continue;
		n0 = d->left.n;
		if (leftover_scan(&d->left, d->kern, ifname)) {
			fprintf(stderr, "esptund: listing the SAs of %s: %s\n",
				ifname, d->kern->err[0] ? d->kern->err :
				strerror(ENOMEM));
			return -1;
		}
		if (d->left.n > n0)
			log_info("%s holds %zu SA(s) of a previous run: kept "
				 "until new ones replace them", ifname,
				 d->left.n - n0);
	}
	return 0;
}

static void apply_log_level(struct daemon *d)
{
	log_set_level(d->debug ? LOG_LVL_DEBUG : d->conf.log_level);
}

static int do_reload(void *arg, char *err, size_t errlen)
{
	struct daemon *d = arg;
	struct conf nc;
	int r;

	if (conf_load(d->conf_path, &nc, err, errlen)) {
		log_err("reload refused, configuration unchanged: %s", err);
		return -1;
	}
	if (prepare_devices(d, &nc, err, errlen)) {
		log_err("reload refused, configuration unchanged: %s", err);
		conf_free(&nc);
		return -1;
	}
	r = ike_engine_replace_conns(d->eng, nc.conns, (int)nc.n_conns);
	if (r) {
		snprintf(err, errlen, "engine refused the connections: %s",
			 strerror(r < 0 ? -r : r));
		log_err("reload refused: %s", err);
		conf_free(&nc);
		return -1;
	}
	if (strcmp(nc.control, d->conf.control))
		log_warn("control socket path change needs a restart (still %s)",
			 d->conf.control);
	snprintf(nc.control, sizeof(nc.control), "%s", d->conf.control);
	conf_free(&d->conf);
	d->conf = nc;
	apply_log_level(d);
	log_info("configuration reloaded from %s: %zu conn(s)", d->conf_path,
		 d->conf.n_conns);
	return 0;
}

/* ---- control requests ---- */

static int ctl_up(void *arg, const char *name, char *err, size_t errlen)
{
	struct daemon *d = arg;
	int r;

	if (!conf_find(&d->conf, name)) {
		snprintf(err, errlen, "no conn named '%s'", name);
		return -1;
	}
	r = ike_engine_initiate(d->eng, name);
	if (r)
		snprintf(err, errlen, "cannot initiate '%s': %s", name,
			 strerror(r < 0 ? -r : r));
	return r;
}

static int ctl_down(void *arg, const char *name, char *err, size_t errlen)
{
	struct daemon *d = arg;
	int r;

	if (!conf_find(&d->conf, name)) {
		snprintf(err, errlen, "no conn named '%s'", name);
		return -1;
	}
	r = ike_engine_terminate(d->eng, name);
	if (r)
		snprintf(err, errlen, "cannot terminate '%s': %s", name,
			 strerror(r < 0 ? -r : r));
	return r;
}

static void ctl_status(void *arg,
		       void (*cb)(void *cbarg, const struct ike_status *st),
		       void *cbarg)
{
	struct daemon *d = arg;

	ike_engine_status(d->eng, cb, cbarg);
}

static int ctl_probe(void *arg, const char *name)
{
	struct daemon *d = arg;

	return ike_engine_probe(d->eng, name);
}

static int ctl_probe_result(void *arg, const char *name,
			    struct ike_probe_result *r)
{
	struct daemon *d = arg;

	return ike_engine_probe_result(d->eng, name, r);
}

static int ctl_keys(void *arg, const char *name,
		    void (*cb)(void *cbarg, const struct ike_sa_keys *k),
		    void *cbarg)
{
	struct daemon *d = arg;

	return ike_engine_keys(d->eng, name, cb, cbarg);
}

/* ---- loop callbacks ---- */

static void on_datagram(void *arg, const struct sockaddr_storage *from,
			const struct sockaddr_storage *to, const uint8_t *buf,
			size_t len)
{
	struct daemon *d = arg;

	ike_engine_input(d->eng, from, to, buf, len);
}

static void on_udp(void *arg, int fd, uint32_t events)
{
	struct daemon *d = arg;

	net_read(d->net, fd, on_datagram, d);
}

static void on_kernel_event(void *arg, const struct kernel_event *ev)
{
	struct daemon *d = arg;

	if (ev->type == IKE_KEV_UNKNOWN_SPI)
		ike_engine_unknown_spi(d->eng, &ev->local, &ev->remote,
				       ev->spi);
	else if (ev->type == IKE_KEV_REMOTE_MOVED)
		ike_engine_remote_moved(d->eng, ev->ifname, ev->spi,
					&ev->remote, ev->encap);
	else if (ev->type == IKE_KEV_ACQUIRE && ev->sel_src.family)
		ike_engine_acquire(d->eng, ev->ifname, &ev->sel_src,
				   &ev->sel_dst);
	else
		ike_engine_kernel_event(d->eng, ev->type, ev->ifname, ev->spi);
}

static void on_kernel(void *arg, int fd, uint32_t events)
{
	struct daemon *d = arg;

	if (kernel_event_read(d->kern, on_kernel_event, d))
		log_warn("%s", d->kern->err);
}

static void on_ctl(void *arg, int fd, uint32_t events)
{
	struct daemon *d = arg;

	ctl_serve(d->ctl);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;
	char err[CONF_ERR_MAX];

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading %s", d->conf_path);
			do_reload(d, err, sizeof(err));
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: shutting down",
				 si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			loop_stop(d->loop);
			break;
		}
	}
}

static int64_t engine_deadline(void *arg)
{
	struct daemon *d = arg;
	int64_t t = ike_engine_next_timeout_ms(d->eng);
	int64_t l = leftover_next_ms(&d->left, loop_now_ms());

	return l >= 0 && (t < 0 || l < t) ? l : t;
}

static void engine_timers(void *arg)
{
	struct daemon *d = arg;
	int n;

	ike_engine_run_timers(d->eng);
	n = leftover_due(&d->left, d->kern, loop_now_ms());
	if (n)
		log_info("removed %d inbound SA(s) that a previous esptund "
			 "left", n);
}

/* ---- start-up ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: esptund [-c FILE] [-f] [-d]\n"
		"  -c FILE  configuration (default %s)\n"
		"  -f       stay in the foreground, log to stderr\n"
		"  -d       debug logging (payload lists; never keys)\n",
		CONF_DEFAULT_PATH);
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sigfd < 0 ? -1 : 0;
}

/* Options into d; returns -1 to go on, else the exit code. */
static int parse_args(struct daemon *d, int argc, char **argv,
		      int *foreground)
{
	static char abs_path[PATH_MAX];
	int opt;

	while ((opt = getopt(argc, argv, "c:fdh")) != -1) {
		switch (opt) {
		case 'c':
			d->conf_path = optarg;
			break;
		case 'f':
			*foreground = 1;
			break;
		case 'd':
			d->debug = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/*
	 * daemon() changes to "/": a relative path would name another file
	 * on every reload. A missing file keeps its name for conf_load's
	 * error message.
	 */
	if (d->conf_path[0] != '/' && realpath(d->conf_path, abs_path))
		d->conf_path = abs_path;
	return -1;
}

/*
 * Configuration, kernel, devices, sockets, loop and engine, in that
 * order; prints why and returns -1 when any of them fails.
 */
static int daemon_open(struct daemon *d, const struct ike_env *env,
		       const struct ctl_ops *cops)
{
	char err[CONF_ERR_MAX];

	if (conf_load(d->conf_path, &d->conf, err, sizeof(err))) {
		fprintf(stderr, "esptund: %s\n", err);
		return -1;
	}
	apply_log_level(d);
	d->kern = kernel_genl_open(err, sizeof(err));
	if (!d->kern || prepare_devices(d, &d->conf, err, sizeof(err))) {
		fprintf(stderr, "esptund: %s\n", err);
		return -1;
	}
	if (note_leftovers(d))
		return -1;
	d->net = net_open(0, 0, err, sizeof(err));
	if (!d->net) {
		fprintf(stderr, "esptund: %s\n", err);
		return -1;
	}
	d->ctl = ctl_open(d->conf.control, cops, err, sizeof(err));
	if (!d->ctl) {
		fprintf(stderr, "esptund: control socket: %s\n", err);
		return -1;
	}
	d->loop = loop_new();
	if (!d->loop || setup_signals(d)) {
		fprintf(stderr, "esptund: event loop: %s\n", strerror(errno));
		return -1;
	}
	d->eng = ike_engine_new(env);
	if (!d->eng) {
		fprintf(stderr, "esptund: cannot create the IKE engine\n");
		return -1;
	}
	return 0;
}

/* Every fd into the loop but the signalfd (see main). */
static void daemon_watch(struct daemon *d)
{
	int fds[4], nfds, i;

	nfds = net_fds(d->net, fds, 4);
	for (i = 0; i < nfds; i++)
		loop_add_fd(d->loop, fds[i], EPOLLIN, on_udp, d);
	if (kernel_event_fd(d->kern) >= 0)
		loop_add_fd(d->loop, kernel_event_fd(d->kern), EPOLLIN,
			    on_kernel, d);
	loop_add_fd(d->loop, ctl_fd(d->ctl), EPOLLIN, on_ctl, d);
	loop_set_external(d->loop, engine_deadline, engine_timers, d);
}

/*
 * Deletes to the peers, SAs out of the kernel, then nothing left; also
 * after a start-up that stopped half-way (what was not opened is NULL).
 */
static void daemon_close(struct daemon *d)
{
	if (d->eng)
		ike_engine_shutdown(d->eng);
	ike_engine_free(d->eng);
	ctl_close(d->ctl);
	net_close(d->net);
	leftover_free(&d->left);
	kernel_free(d->kern);
	loop_free(d->loop);
	if (d->sigfd >= 0)
		close(d->sigfd);
	conf_free(&d->conf);
}

int main(int argc, char **argv)
{
	struct daemon d = { .conf_path = CONF_DEFAULT_PATH, .sigfd = -1 };
	struct ike_env env = {
		.ctx = &d,
		.send = env_send,
		.now_ms = env_now_ms,
		.get_spi = env_get_spi,
		.add_sa = env_add_sa,
		.del_sa = env_del_sa,
		.sa_idle = env_sa_idle,
		.set_carrier = env_set_carrier,
		.update_sa = env_update_sa,
		.send_keepalive = env_send_keepalive,
		.sa_used = env_sa_used,
		.set_addr = env_set_addr,
	};
	struct ctl_ops cops = {
		.arg = &d,
		.reload = do_reload,
		.up = ctl_up,
		.down = ctl_down,
		.status = ctl_status,
		.keys = ctl_keys,
		.probe = ctl_probe,
		.probe_result = ctl_probe_result,
	};
	int foreground = 0, r;

	r = parse_args(&d, argc, argv, &foreground);
	if (r >= 0)
		return r;
	if (daemon_open(&d, &env, &cops)) {
		daemon_close(&d);
		return 1;
	}
	daemon_watch(&d);
	if (!foreground) {
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "esptund: daemon: %s\n",
				strerror(errno));
			daemon_close(&d);
			return 1;
		}
		log_use_syslog(1);
	}
	/* Only now: epoll reports a signalfd ready for the signals of the
	 * process that added it, and daemon() left a new process.
	 */
	loop_add_fd(d.loop, d.sigfd, EPOLLIN, on_signal, &d);
	log_info("esptund started: %s, %zu conn(s), control %s", d.conf_path,
		 d.conf.n_conns, d.conf.control);

	/* Conns with start = initiate begin negotiating here. */
	r = ike_engine_replace_conns(d.eng, d.conf.conns, (int)d.conf.n_conns);
	if (r)
		log_err("engine refused the connections: %s",
			strerror(r < 0 ? -r : r));

	r = loop_run(d.loop);
	daemon_close(&d);
	log_info("esptund stopped");
	return r ? 1 : 0;
}
