// SPDX-License-Identifier: GPL-2.0
/*
 * esptund itself (main.c, compiled in here under another name): start-up
 * when one of its stages fails, and a whole run, started, reloaded by
 * SIGHUP and stopped by SIGTERM with a negotiation under way. Checked are
 * the exit codes, and that nothing is left allocated, which the run of
 * this program under memcheck checks. The kernel is the mock and the
 * network a counter, handed out by the kernel_genl_open and net_*
 * below: they take the place of the real ones in libagent.a.
 */
#include <sys/stat.h>
#include <unistd.h>

#define main esptund_main
#include "../main.c"
#undef main

#include "tap.h"

/* What kernel_genl_open hands out: nothing, a failing mock, a mock. */
static enum { K_NONE, K_FAILING, K_MOCK } kernel_mode;

struct kernel *kernel_genl_open(char *err, size_t errlen)
{
	struct kernel *k;

	if (kernel_mode == K_NONE) {
		snprintf(err, errlen, "no kernel in this test");
		return NULL;
	}
	k = kernel_mock_new();
	if (k && kernel_mode == K_FAILING)
		((struct kernel_mock *)k)->fail_errno = EPERM;
	return k;
}

/* No sockets: IKE's datagrams are counted, never sent. */
struct net {
	int sent;
};

static int datagrams_sent;

struct net *net_open(uint16_t ike_port, uint16_t natt_port, char *err,
		     size_t errlen)
{
	return calloc(1, sizeof(struct net));
}

void net_close(struct net *n)
{
	if (n)
		datagrams_sent = n->sent;
	free(n);
}

int net_fds(struct net *n, int *fds, int max)
{
	return 0;
}

void net_read(struct net *n, int fd, net_rx_cb cb, void *arg)
{
}

int net_send(struct net *n, const struct sockaddr_storage *from,
	     const struct sockaddr_storage *to, const uint8_t *buf,
	     size_t len)
{
	n->sent++;
	return 0;
}

int net_send_keepalive(struct net *n, const struct sockaddr_storage *from,
		       const struct sockaddr_storage *to)
{
	return 0;
}

static char dir[] = "/tmp/esptun-daemon-XXXXXX";

/* Writes the configuration TEXT (mode 0600) and returns its path. */
static const char *conf_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, 0600);
	return path;
}

static int run(const char *conf)
{
	char *argv[] = { "esptund", "-f", "-c", (char *)conf, NULL };

	optind = 0;
	return esptund_main(4, argv);
}

static const char good[] =
	"[conn site-b]\n"
	"interface = esp0\n"
	"local = 192.0.2.1\n"
	"remote = 192.0.2.2\n"
	"psk = \"secret\"\n"
	"start = initiate\n";

/*
 * Started, with SIGHUP and SIGTERM already pending: the first reloads
 * the configuration, the second stops the loop; signalfd hands them over
 * in that order.
 */
static void t_run(void)
{
	char conf[sizeof(good) + 300], sock[256];
	sigset_t set;

	snprintf(sock, sizeof(sock), "%s/esptund.sock", dir);
	snprintf(conf, sizeof(conf), "[global]\ncontrol = %s\n%s", sock, good);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGHUP);
	kill(getpid(), SIGTERM);
	kernel_mode = K_MOCK;
	is_int(run(conf_file("good.conf", conf)), 0,
	       "started, reloaded and stopped: exit 0");
	ok(datagrams_sent > 0, "the conn was initiated (%d datagrams)",
	   datagrams_sent);
	ok(access(sock, F_OK) != 0, "control socket removed");
}

int main(void)
{
	char path[300];

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	is_int(run("/nonexistent/esptund.conf"), 1,
	       "no configuration file: exit 1");
	is_int(run(conf_file("bad.conf", "[conn a]\nfoo = bar\n")), 1,
	       "configuration error: exit 1");
	kernel_mode = K_NONE;
	is_int(run(conf_file("good.conf", good)), 1,
	       "kernel unreachable: exit 1, the configuration freed");
	kernel_mode = K_FAILING;
	is_int(run(conf_file("good.conf", good)), 1,
	       "device refused: exit 1, configuration and kernel freed");
	t_run();

	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/good.conf", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
