// SPDX-License-Identifier: GPL-2.0
/*
 * Control socket: every request against recording callbacks, the exact
 * status output (text and JSON), and a real round trip through the
 * socket, its 0600 mode and its refusal to run twice.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "tap.h"

static char last_call[128];
static int fail_next;

static int f_reload(void *arg, char *err, size_t errlen)
{
	snprintf(last_call, sizeof(last_call), "reload");
	if (fail_next) {
		snprintf(err, errlen, "x.conf:3: unknown key 'foo' in [conn]");
		return -1;
	}
	return 0;
}

static int f_up(void *arg, const char *name, char *err, size_t errlen)
{
	snprintf(last_call, sizeof(last_call), "up %s", name);
	if (fail_next) {
		snprintf(err, errlen, "no conn named '%s'", name);
		return -1;
	}
	return 0;
}

static int f_down(void *arg, const char *name, char *err, size_t errlen)
{
	snprintf(last_call, sizeof(last_call), "down %s", name);
	return 0;
}

static int n_status;
static int with_dpd;

static void f_status(void *arg,
		     void (*cb)(void *cbarg, const struct ike_status *st),
		     void *cbarg)
{
	struct ike_status st;
	struct sockaddr_in *l = (struct sockaddr_in *)&st.local;
	struct sockaddr_in *p = (struct sockaddr_in *)&st.peer;
	int i;

	for (i = 0; i < n_status; i++) {
		memset(&st, 0, sizeof(st));
		if (i == 2) {
			static struct ike_diag d = {
				.sent = "QM1", .received = "MM6",
				.fail_msg = "QM1",
				.fail = "QM1 refused by the peer with "
					"NO-PROPOSAL-CHOSEN",
				.fail_notify = 14, .fail_notify_peer = true,
				.ours = "aes128gcm16",
				.failures = 2, .mm_started = 3, .mm_done = 1,
				.qm_started = 1, .n_notify = 1,
				.notify = { { .type = 14, .received = 1 } },
			};

			st.conn = "broken";
			st.state = "MM_ACTIVE";
			st.lifetime_left = -1;
			st.next_rekey = -1;
			st.ike_next_rekey = -1;
			st.diag = &d;
			st.fail_age = 12;
			cb(cbarg, &st);
			continue;
		}
		if (i == 1) {
			st.conn = "idle";
			st.state = "NONE";
			st.aggressive = true;
			st.auth = "rsa-sig";
			st.lifetime_left = -1;
			st.next_rekey = -1;
			st.ike_next_rekey = -1;
			cb(cbarg, &st);
			continue;
		}
		st.conn = "site-b";
		st.state = "MM_ACTIVE";
		st.initiator = true;
		memcpy(st.icookie, "\x6f\x80\xc0\x38\x0e\xf6\xbd\xfd", 8);
		memcpy(st.rcookie, "\x2b\xc0\x64\x38\xc9\x4e\x88\xdc", 8);
		l->sin_family = AF_INET;
		l->sin_port = htons(500);
		inet_pton(AF_INET, "192.0.2.1", &l->sin_addr);
		p->sin_family = AF_INET;
		p->sin_port = htons(500);
		inet_pton(AF_INET, "192.0.2.2", &p->sin_addr);
		snprintf(st.algs, sizeof(st.algs), "aes256-sha256-modp2048");
		st.lifetime_left = 86390;
		st.natt = "RFC 3947";
		st.nat_local = true;
		st.encap = true;
		st.encap_local_port = 4500;
		st.encap_remote_port = 31744;
		st.rekeys = 3;
		st.next_rekey = 1234;
		st.ike_rekeys = 1;
		st.ike_next_rekey = -1;
		st.n_children = 1;
		st.children[0].spi_in = 0xc1a2b3c4;
		st.children[0].spi_out = 0x0000abcd;
		snprintf(st.children[0].algs, sizeof(st.children[0].algs),
			 "aes256gcm16-modp2048");
		st.children[0].local_ts.family = AF_INET;
		st.children[0].remote_ts.family = AF_INET;
		st.children[0].remote_ts.addr[0] = 10;
		st.children[0].remote_ts.prefixlen = 8;
		st.children[0].lifetime_left = 3590;
		st.children[0].state = "QM_ACTIVE";
		if (with_dpd) {
			st.dpd = with_dpd == 1 ? "idle" : "probing";
			st.dpd_action = "restart";
			st.dpd_delay = 30;
			st.dpd_timeout = 150;
			st.dpd_last_ack = with_dpd == 1 ? 12 : -1;
			st.dpd_ack_seq = with_dpd == 1 ? 7 : 0;
			st.dpd_probes = with_dpd == 1 ? 0 : 2;
		}
		cb(cbarg, &st);
	}
}

static int n_keys;

/* Two keyed ISAKMP SAs for "site-b", none for "idle", no other conn. */
static int f_keys(void *arg, const char *name,
		  void (*cb)(void *cbarg, const struct ike_sa_keys *k),
		  void *cbarg)
{
	static const uint8_t key[16] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	struct ike_sa_keys k = { .enc_key = key, .state = "MM_ACTIVE" };
	int i;

	snprintf(last_call, sizeof(last_call), "keys %s", name);
	if (!strcmp(name, "idle"))
		return 0;
	if (strcmp(name, "site-b"))
		return -2;
	for (i = 0; i < n_keys; i++) {
		memcpy(k.icookie, "\x6f\x80\xc0\x38\x0e\xf6\xbd\xfd", 8);
		k.icookie[7] += i;
		k.enc_key_len = i ? 16 : 8;
		cb(cbarg, &k);
	}
	return n_keys;
}

static const struct ctl_ops ops = {
	.reload = f_reload, .up = f_up, .down = f_down, .status = f_status,
	.keys = f_keys,
};

/* The last reply, kept until the next run(): checks read it in place. */
static char *run_buf;

static char *run(const char *line)
{
	size_t len;
	FILE *f;

	free(run_buf);
	run_buf = NULL;
	f = open_memstream(&run_buf, &len);
	ctl_handle(&ops, line, f);
	fclose(f);
	return run_buf;
}

static void test_requests(void)
{
	fail_next = 0;
	is_str(run("up site-b\n"), "ok\n", "up answers ok");
	is_str(last_call, "up site-b", "up calls the engine with the name");
	is_str(run("down site-b\n"), "ok\n", "down answers ok");
	is_str(last_call, "down site-b", "down calls terminate");
	is_str(run("reload\n"), "ok\n", "reload answers ok");
	is_str(last_call, "reload", "reload called");
	fail_next = 1;
	is_str(run("reload\n"),
	       "error: x.conf:3: unknown key 'foo' in [conn]\n",
	       "failed reload carries file:line");
	is_str(run("up nope\n"), "error: no conn named 'nope'\n",
	       "up of an unknown conn");
	fail_next = 0;
	is_str(run("up\n"), "error: usage: up NAME\n", "up without name");
	is_str(run("down a b\n"), "error: usage: down NAME\n",
	       "down with two names");
	is_str(run("reload now\n"), "error: reload takes no argument\n",
	       "reload with argument");
	is_str(run("frobnicate\n"), "error: unknown request 'frobnicate'\n",
	       "unknown request");
	is_str(run("status -x\n"), "error: unknown status option '-x'\n",
	       "bad status option");
}

static void test_status(void)
{
	n_status = 0;
	is_str(run("status\n"), "ok\nno connections configured\n",
	       "status without conns");
	is_str(run("status -j\n"), "ok\n{\"conns\":[]}\n",
	       "json status without conns");
	n_status = 2;
	is_str(run("status\n"),
	       "ok\n"
	       "conn site-b: MM_ACTIVE initiator 192.0.2.1:500 <-> 192.0.2.2:500\n"
	       "  cookies [6f80c0380ef6bdfd:2bc06438c94e88dc] aes256-sha256-modp2048 lifetime 86390s\n"
	       "  nat-t RFC 3947: nat local, esp in udp 4500 <-> 31744\n"
	       "  rekeys 3 next-rekey 1234s ike-rekeys 1\n"
	       "  child QM_ACTIVE: spi in c1a2b3c4 out 0000abcd aes256gcm16-modp2048 0.0.0.0/0 === 10.0.0.0/8 lifetime 3590s\n"
	       "conn idle: NONE\n"
	       "  auth rsa-sig\n",
	       "text status");
	is_str(run("status -j\n"),
	       "ok\n{\"conns\":[{\"name\":\"site-b\",\"state\":\"MM_ACTIVE\","
	       "\"mode\":\"main\",\"auth\":\"psk\",\"initiator\":true,"
	       "\"icookie\":\"6f80c0380ef6bdfd\","
	       "\"rcookie\":\"2bc06438c94e88dc\",\"local\":\"192.0.2.1:500\","
	       "\"peer\":\"192.0.2.2:500\",\"algs\":\"aes256-sha256-modp2048\","
	       "\"lifetime_left\":86390,\"rekeys\":3,\"ike_rekeys\":1,"
	       "\"next_rekey\":1234,\"ike_next_rekey\":-1,"
	       "\"nat_t\":\"RFC 3947\",\"nat\":\"local\","
	       "\"nat_forced\":false,\"encap\":\"espinudp\","
	       "\"encap_local_port\":4500,\"encap_remote_port\":31744,"
	       "\"children\":[{\"state\":\"QM_ACTIVE\","
	       "\"spi_in\":\"c1a2b3c4\",\"spi_out\":\"0000abcd\","
	       "\"algs\":\"aes256gcm16-modp2048\",\"local_ts\":\"0.0.0.0/0\","
	       "\"remote_ts\":\"10.0.0.0/8\",\"lifetime_left\":3590}]},"
	       "{\"name\":\"idle\",\"state\":\"NONE\",\"mode\":\"aggressive\","
	       "\"auth\":\"rsa-sig\","
	       "\"initiator\":false,"
	       "\"icookie\":\"0000000000000000\",\"rcookie\":\"0000000000000000\","
	       "\"local\":\"(none)\",\"peer\":\"(none)\",\"algs\":\"\","
	       "\"lifetime_left\":-1,\"rekeys\":0,\"ike_rekeys\":0,"
	       "\"next_rekey\":-1,\"ike_next_rekey\":-1,"
	       "\"nat_t\":\"\",\"nat\":\"none\","
	       "\"nat_forced\":false,\"encap\":\"none\",\"children\":[]}]}\n",
	       "json status");
	n_status = 3;
	ok(strstr(run("status\n"),
		  "conn broken: MM_ACTIVE responder (none) <-> (none)\n"
		  "  cookies [0000000000000000:0000000000000000] -\n"
		  "  nat-t: not negotiated, esp raw\n"
		  "  rekeys 0 ike-rekeys 0\n"
		  "  messages: sent QM1, received MM6\n"
		  "  exchanges: main 3 started 1 done, quick 1 started 0 done, "
		  "failures 2\n"
		  "  notify NO-PROPOSAL-CHOSEN: sent 0, received 1\n"
		  "  failure: QM1, 12 s ago: QM1 refused by the peer with "
		  "NO-PROPOSAL-CHOSEN\n"
		  "  failure-notify: NO-PROPOSAL-CHOSEN from the peer\n"
		  "  failure-ours: aes128gcm16\n") != NULL,
	   "text status with a failure record");
	ok(strstr(run("status -j\n"),
		  "\"children\":[],\"diag\":{\"sent\":\"QM1\","
		  "\"received\":\"MM6\",\"mm_started\":3,\"mm_done\":1,"
		  "\"qm_started\":1,\"qm_done\":0,\"failures\":2,"
		  "\"notifies\":[{\"name\":\"NO-PROPOSAL-CHOSEN\",\"type\":14,"
		  "\"sent\":0,\"received\":1}],\"failure\":{\"message\":"
		  "\"QM1\",\"age\":12,\"reason\":\"QM1 refused by the peer "
		  "with NO-PROPOSAL-CHOSEN\",\"notify\":\"NO-PROPOSAL-CHOSEN\","
		  "\"notify_from_peer\":true,\"ours\":\"aes128gcm16\","
		  "\"theirs\":\"\"}}}]}\n") != NULL,
	   "json status with a failure record");
}

static void test_status_dpd(void)
{
	n_status = 1;
	with_dpd = 1;
	is_str(run("status\n"),
	       "ok\n"
	       "conn site-b: MM_ACTIVE initiator 192.0.2.1:500 <-> 192.0.2.2:500\n"
	       "  cookies [6f80c0380ef6bdfd:2bc06438c94e88dc] aes256-sha256-modp2048 lifetime 86390s\n"
	       "  nat-t RFC 3947: nat local, esp in udp 4500 <-> 31744\n"
	       "  dpd idle delay 30s timeout 150s action restart last ack 12s ago (seq 7)\n"
	       "  rekeys 3 next-rekey 1234s ike-rekeys 1\n"
	       "  child QM_ACTIVE: spi in c1a2b3c4 out 0000abcd aes256gcm16-modp2048 0.0.0.0/0 === 10.0.0.0/8 lifetime 3590s\n",
	       "text status with DPD");
	with_dpd = 2;
	ok(strstr(run("status\n"),
		  "  dpd probing (2 R-U-THERE unanswered) delay 30s timeout "
		  "150s action restart last ack never\n") != NULL,
	   "text status while probing, never answered");
	ok(strstr(run("status -j\n"),
		  "\"lifetime_left\":86390,\"rekeys\":3,\"ike_rekeys\":1,"
		  "\"next_rekey\":1234,\"ike_next_rekey\":-1,"
		  "\"dpd\":{\"state\":\"probing\","
		  "\"action\":\"restart\",\"delay\":30,\"timeout\":150,"
		  "\"unanswered\":2,\"last_ack\":-1,\"last_ack_seq\":0},"
		  "\"nat_t\":") != NULL,
	   "json status with DPD");
	with_dpd = 0;
}

static void test_socket(void)
{
	char dir[] = "/tmp/esptun-ctl-XXXXXX", path[128], err[256] = "";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl *c, *c2;
	struct stat st;
	char buf[512];
	ssize_t n, got = 0;
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/run/esptund.sock", dir);
	c = ctl_open(path, &ops, err, sizeof(err));
	ok(c != NULL, "control socket opens, parent created (%s)", err);
	if (!c)
		return;
	ok(!stat(path, &st) && S_ISSOCK(st.st_mode) &&
	   (st.st_mode & 0777) == 0600, "socket mode 0600");

	c2 = ctl_open(path, &ops, err, sizeof(err));
	ok(!c2, "second daemon on the same socket refused");
	snprintf(buf, sizeof(buf), "another esptund is listening on %s", path);
	is_str(err, buf, "refusal message");

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, path);
	ok(!connect(fd, (struct sockaddr *)&sun, sizeof(sun)), "client connects");
	n_status = 0;
	ok(write(fd, "status\n", 7) == 7, "request sent");
	ctl_serve(c);
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
	is_str(buf, "ok\nno connections configured\n", "answer over the socket");

	ctl_close(c);
	ok(stat(path, &st) < 0, "socket removed on close");
	snprintf(buf, sizeof(buf), "%s/run", dir);
	rmdir(buf);
	rmdir(dir);
}

/* keys NAME: Wireshark's table lines, or why there are none. */
static void test_keys(void)
{
	n_keys = 2;
	is_str(run("keys site-b\n"),
	       "ok\n6f80c0380ef6bdfd,0011223344556677\n"
	       "6f80c0380ef6bdfe,00112233445566778899aabbccddeeff\n",
	       "keys: one table line per keyed ISAKMP SA");
	is_str(last_call, "keys site-b", "keys asks the engine for the conn");
	is_str(run("keys idle\n"),
	       "error: conn 'idle' has no ISAKMP SA with keys\n",
	       "keys of a conn without an ISAKMP SA");
	is_str(run("keys nope\n"), "error: no conn named 'nope'\n",
	       "keys of an unknown conn");
	is_str(run("keys\n"), "error: usage: keys NAME\n", "keys without name");
}

int main(void)
{
	test_requests();
	test_keys();
	test_status();
	test_status_dpd();
	test_socket();
	free(run_buf);
	return tap_done();
}
