// SPDX-License-Identifier: GPL-2.0
/*
 * Config parser: a full valid file read back field by field, then every
 * error with its exact "file:line: message", and reload atomicity.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ike/proposal.h"
#include "log.h"
#include "tap.h"

static const char full[] =
	"# esptund example\n"
	"[global]\n"
	"log = debug\n"
	"control = /run/test/esptund.sock\n"
	"\n"
	"[conn site-b]\n"
	"interface = esp0                # created if missing\n"
	"local = 192.0.2.1\n"
	"remote = 192.0.2.2\n"
	"local-id = fqdn:a.example\n"
	"remote-id = user:b@example.org\n"
	"auth = psk\n"
	"psk = \"sec#ret \\\"x\\\"\"\n"
	"mode = main\n"
	"ike = aes256-sha256-modp2048, aes128-sha1-modp2048\n"
	"esp = aes256gcm16-modp2048, aes256-sha256 ; PFS\n"
	"ike-lifetime = 24h\n"
	"lifetime = 30m\n"
	"life-kbytes = 4608000\n"
	"start = initiate\n"
	"local-ts = 10.1.0.0/16\n"
	"remote-ts = 10.2.0.0/16\n"
	"replay-window = 128\n"
	"allow-weak = yes\n"
	"retransmit-timeout = 500ms\n"
	"retransmit-tries = 2\n"
	"keyingtries = 3\n"
	"dpd = no\n"
	"dpd-delay = 10s\n"
	"dpd-timeout = 2m\n"
	"dpd-action = hold\n"
	"nat-t = force\n"
	"keepalive = 2m\n"
	"rekey = yes\n"
	"rekey-margin = 5m\n"
	"rekey-fuzz = 50%\n"
	"life-packets = 1000000\n"
	"fragmentation = force\n"
	"fragment-size = 1400\n"
	"\n"
	"[conn v6]\n"
	"interface = esp1\n"
	"local = 2001:db8::1\n"
	"remote = 2001:db8::2\n"
	"psk = bare-key\n";

static void test_full(void)
{
	struct conf c;
	char err[CONF_ERR_MAX] = "", buf[128];
	const struct ike_conn *a, *b;
	char pb[64];
	struct in_addr in;
	int r;

	r = conf_parse("t.conf", full, &c, err, sizeof(err));
	is_int(r, 0, "full example parses");
	if (r) {
		printf("# %s\n", err);
		return;
	}
	is_int(c.log_level, LOG_LVL_DEBUG, "log = debug");
	is_str(c.control, "/run/test/esptund.sock", "control path");
	is_int(c.n_conns, 2, "two conns");
	a = conf_find(&c, "site-b");
	b = conf_find(&c, "v6");
	ok(a && b, "conns found by name");
	ok(!conf_find(&c, "nope"), "unknown conn not found");
	if (!a || !b)
		goto out;
	is_int(c.lines[0], 6, "conn header line recorded");
	is_str(a->ifname, "esp0", "interface, inline comment stripped");
	inet_pton(AF_INET, "192.0.2.1", &in);
	ok(a->local.ss_family == AF_INET &&
	   ((struct sockaddr_in *)&a->local)->sin_addr.s_addr == in.s_addr,
	   "local address");
	is_int(ntohs(((struct sockaddr_in *)&a->local)->sin_port), 500,
	       "local port 500");
	inet_pton(AF_INET, "192.0.2.2", &in);
	ok(((struct sockaddr_in *)&a->remote)->sin_addr.s_addr == in.s_addr,
	   "remote address");
	is_str(ike_id_str(&a->local_id, buf, sizeof(buf)), "fqdn:a.example",
	       "local-id fqdn");
	is_str(ike_id_str(&a->remote_id, buf, sizeof(buf)),
	       "user:b@example.org", "remote-id user fqdn");
	is_int(a->psk_len, 11, "quoted psk length");
	is_mem(a->psk, "sec#ret \"x\"", 11, "quoted psk keeps '#' and escapes");
	is_int(a->mode, IKE_MODE_MAIN, "mode main");
	is_int(a->n_ike, 2, "two ike proposals");
	is_str(ike_proposal_str(&a->ike[0], pb, sizeof(pb)),
	       "aes256-sha256-modp2048", "ike proposal 1");
	is_str(ike_proposal_str(&a->ike[1], pb, sizeof(pb)),
	       "aes128-sha1-modp2048", "ike proposal 2");
	is_int(a->n_esp, 2, "two esp proposals, ';' comment stripped");
	is_str(esp_proposal_str(&a->esp[0], pb, sizeof(pb)),
	       "aes256gcm16-modp2048", "esp proposal 1");
	is_str(esp_proposal_str(&a->esp[1], pb, sizeof(pb)),
	       "aes256-sha256", "esp proposal 2 (no PFS)");
	is_int(a->ike_lifetime, 86400, "ike-lifetime 24h");
	is_int(a->lifetime, 1800, "lifetime 30m");
	is_int(a->life_kbytes, 4608000, "life-kbytes");
	is_int(a->start, IKE_START_INITIATE, "start initiate");
	is_str(ts_str(&a->local_ts[0], buf, sizeof(buf)), "10.1.0.0/16",
	       "local-ts");
	is_str(ts_str(&a->remote_ts[0], buf, sizeof(buf)), "10.2.0.0/16",
	       "remote-ts");
	is_int(a->replay_window, 128, "replay-window");
	is_int(a->allow_weak, 1, "allow-weak yes");
	is_int(a->rexmit_ms, 500, "retransmit-timeout 500ms");
	is_int(a->rexmit_tries, 2, "retransmit-tries");
	is_int(a->keyingtries, 3, "keyingtries");
	is_int(a->dpd, 0, "dpd no");
	is_int(a->dpd_delay, 10, "dpd-delay 10s");
	is_int(a->dpd_timeout, 120, "dpd-timeout 2m");
	is_int(a->dpd_action, IKE_DPD_HOLD, "dpd-action hold");
	is_int(a->natt, IKE_NATT_FORCE, "nat-t force");
	is_int(a->keepalive, 120, "keepalive 2m");
	is_int(a->rekey, 1, "rekey yes");
	is_int(a->rekey_margin, 300, "rekey-margin 5m");
	is_int(a->rekey_fuzz, 50, "rekey-fuzz 50%%");
	ok(a->life_packets == 1000000, "life-packets");
	is_int(a->frag, IKE_FRAG_FORCE, "fragmentation force");
	is_int(a->frag_size, 1400, "fragment-size 1400");

	/* Defaults of the second conn. */
	is_int(b->local.ss_family, AF_INET6, "v6 local");
	is_int(b->local_id.type, IKE_ID_NONE,
	       "local-id defaults to the local address");
	is_int(b->remote_id.type, IKE_ID_NONE,
	       "remote-id defaults to the remote address");
	is_mem(b->psk, "bare-key", 8, "unquoted psk");
	is_int(b->psk_len, 8, "unquoted psk length");
	is_int(b->ike_lifetime, 86400, "default ike-lifetime");
	is_int(b->lifetime, 3600, "default lifetime");
	is_int(b->n_ike, 2, "default ike proposals");
	is_int(b->n_esp, 2, "default esp proposals");
	is_int(b->start, IKE_START_LISTEN, "default start listen");
	is_int(b->replay_window, 64, "default replay-window");
	is_int(b->allow_weak, 0, "default allow-weak no");
	is_int(b->rexmit_ms, 1000, "default retransmit-timeout");
	is_int(b->rexmit_tries, 5, "default retransmit-tries");
	is_int(b->keyingtries, 0, "default keyingtries forever");
	is_int(b->dpd, 1, "default dpd yes");
	is_int(b->dpd_delay, 30, "default dpd-delay 30 s");
	is_int(b->dpd_timeout, 150, "default dpd-timeout 150 s");
	is_int(b->dpd_action, IKE_DPD_AUTO,
	       "default dpd-action: by start (restart or clear)");
	is_int(b->natt, IKE_NATT_AUTO, "default nat-t auto");
	is_int(b->keepalive, 20, "default keepalive 20 s");
	is_int(b->rekey, 1, "default rekey yes");
	is_int(b->rekey_margin, 540, "default rekey-margin 540 s");
	is_int(b->rekey_fuzz, 100, "default rekey-fuzz 100%%");
	ok(b->life_packets == 0, "default life-packets unlimited");
	is_int(b->frag, IKE_FRAG_YES, "default fragmentation yes");
	is_int(b->frag_size, 0, "default fragment-size: by family");
	is_str(ts_str(&b->local_ts[0], buf, sizeof(buf)), "0.0.0.0/0",
	       "default local-ts");
out:
	conf_free(&c);
	ok(c.n_conns == 0 && !c.conns, "conf_free empties");
}

#define CONN "[conn a]\ninterface = esp0\nlocal = 192.0.2.1\n" \
	     "remote = 192.0.2.2\npsk = k\n"

static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{ "log = info\n", "e.conf:1: 'log' outside of a section" },
	{ "[global]\nlog = loud\n",
	  "e.conf:2: invalid log level 'loud' (error, warning, info or debug)" },
	{ "[global]\ncontrol = rel/sock\n",
	  "e.conf:2: control must be an absolute path" },
	{ "[global]\nfoo = 1\n", "e.conf:2: unknown key 'foo' in [global]" },
	{ "[global]\ninterface = esp0\n",
	  "e.conf:2: unknown key 'interface' in [global]" },
	{ "[global]\n[global]\n",
	  "e.conf:2: duplicate [global] section (first at line 1)" },
	{ "[globl]\n",
	  "e.conf:1: unknown section [globl] (expected [global] or [conn NAME])" },
	{ "[conn a\n", "e.conf:1: missing ']'" },
	{ "[conn a] x\n", "e.conf:1: unexpected text after ']'" },
	{ "[conn a/b]\n",
	  "e.conf:1: invalid conn name 'a/b' (letters, digits, '-', '_', '.'; at most 63)" },
	{ CONN "[conn a]\n",
	  "e.conf:6: duplicate conn 'a' (first at line 1)" },
	{ CONN "log = info\n", "e.conf:6: unknown key 'log' in [conn]" },
	{ CONN "colour = red\n", "e.conf:6: unknown key 'colour' in [conn]" },
	{ CONN "psk = again\n", "e.conf:6: duplicate key 'psk'" },
	{ CONN "just text\n", "e.conf:6: expected 'key = value'" },
	{ CONN "= x\n", "e.conf:6: missing key before '='" },
	{ CONN "mode =\n", "e.conf:6: missing value for 'mode'" },
	{ CONN "mode = quick\n",
	  "e.conf:6: invalid mode 'quick' (main or aggressive)" },
	{ CONN "auth = dsa\n",
	  "e.conf:6: unsupported auth 'dsa' (psk, rsa-sig or ecdsa-sig)" },
	{ CONN "auth = rsa-sig\n",
	  "e.conf:5: conn 'a': psk and psk-file are for auth = psk" },
	{ CONN "cert = a.pem\n",
	  "e.conf:6: conn 'a': cert, key and ca are for auth = rsa-sig or "
	  "ecdsa-sig" },
	{ CONN "remote-id = dn:junk\n", "e.conf:6: bad DN 'junk'" },
	{ CONN "ike-lifetime = 24x\n", "e.conf:6: invalid duration '24x'" },
	{ CONN "lifetime = 0\n", "e.conf:6: invalid duration '0'" },
	{ CONN "lifetime = -1h\n", "e.conf:6: invalid duration '-1h'" },
	{ CONN "life-kbytes = lots\n", "e.conf:6: invalid number 'lots'" },
	{ CONN "start = now\n",
	  "e.conf:6: invalid start 'now' (initiate, listen or on-demand)" },
	{ CONN "local-ts = 10.0.0.1/8\n",
	  "e.conf:6: selector '10.0.0.1/8' has host bits set" },
	{ CONN "remote-ts = 10.0.0.0/33\n",
	  "e.conf:6: bad prefix length in '10.0.0.0/33'" },
	{ CONN "replay-window = 5000\n",
	  "e.conf:6: invalid replay-window '5000' (0 to 4096)" },
	{ CONN "allow-weak = maybe\n",
	  "e.conf:6: invalid boolean 'maybe' (yes or no)" },
	{ CONN "ike = aes256-sha1\n",
	  "e.conf:6: IKE proposal 1: need encryption-hash-group, got 2 keyword(s)" },
	{ CONN "ike = aes128-sha1-modp1536\n",
	  "e.conf:6: IKE proposal 1 (aes128-sha1-modp1536): modp1536 is weak (allow-weak = yes to accept)" },
	{ CONN "esp = aes128-md5\nallow-weak = no\n",
	  "e.conf:6: ESP proposal 1 (aes128-md5): md5 is weak (allow-weak = yes to accept)" },
	{ CONN "esp = aes128gcm16-sha1\n",
	  "e.conf:6: ESP proposal 1: 'aes128gcm16' is AEAD, no integrity algorithm allowed" },
	{ CONN "ike = des-sha1-modp2048\n", "e.conf:6: IKE proposal 1: DES is never accepted" },
	{ CONN "retransmit-timeout = 1ms\n",
	  "e.conf:6: retransmit-timeout '1ms' out of range (10ms to 600s)" },
	{ CONN "retransmit-tries = 99\n",
	  "e.conf:6: invalid retransmit-tries '99' (0 to 20)" },
	{ CONN "keyingtries = 0\n",
	  "e.conf:6: invalid keyingtries '0' (forever or 1 to 1000000)" },
	{ CONN "keyingtries = always\n",
	  "e.conf:6: invalid keyingtries 'always' (forever or 1 to 1000000)" },
	{ CONN "keyingtries = forever\nkeyingtries = 2\n",
	  "e.conf:7: duplicate key 'keyingtries'" },
	{ CONN "dpd = maybe\n",
	  "e.conf:6: invalid dpd 'maybe' (yes or no)" },
	{ CONN "dpd-delay = 0\n",
	  "e.conf:6: invalid dpd-delay '0' (1s to 1d)" },
	{ CONN "dpd-delay = 2d\n",
	  "e.conf:6: invalid dpd-delay '2d' (1s to 1d)" },
	{ CONN "dpd-timeout = 5x\n",
	  "e.conf:6: invalid dpd-timeout '5x' (1s to 1d)" },
	{ CONN "dpd-action = restart\ndpd-action = clear\n",
	  "e.conf:7: duplicate key 'dpd-action'" },
	{ CONN "fragmentation = maybe\n",
	  "e.conf:6: invalid fragmentation 'maybe' (yes, force or no)" },
	{ CONN "fragment-size = 575\n",
	  "e.conf:6: invalid fragment-size '575' (576 to 65535 bytes)" },
	{ CONN "fragment-size = 70000\n",
	  "e.conf:6: invalid fragment-size '70000' (576 to 65535 bytes)" },
	{ CONN "dpd-action = trap\n",
	  "e.conf:6: invalid dpd-action 'trap' (clear, restart or hold)" },
	{ CONN "nat-t = yes\n",
	  "e.conf:6: invalid nat-t 'yes' (auto, force, auto-force or no)" },
	{ CONN "nat-t = auto\nnat-t = no\n",
	  "e.conf:7: duplicate key 'nat-t'" },
	{ CONN "keepalive = 0\n",
	  "e.conf:6: invalid keepalive '0' (no, or 1s to 1h)" },
	{ CONN "keepalive = 2h\n",
	  "e.conf:6: invalid keepalive '2h' (no, or 1s to 1h)" },
	{ CONN "keepalive = 20 s\n",
	  "e.conf:6: invalid keepalive '20 s' (no, or 1s to 1h)" },
	{ "[global]\nnat-t = auto\n",
	  "e.conf:2: unknown key 'nat-t' in [global]" },
	{ CONN "rekey = sometimes\n",
	  "e.conf:6: invalid rekey 'sometimes' (yes or no)" },
	{ CONN "rekey-margin = 0\n", "e.conf:6: invalid duration '0'" },
	{ CONN "rekey-margin = 9x\n", "e.conf:6: invalid duration '9x'" },
	{ CONN "rekey-fuzz = 101%\n",
	  "e.conf:6: invalid rekey-fuzz '101%' (0% to 100%)" },
	{ CONN "rekey-fuzz = %\n",
	  "e.conf:6: invalid rekey-fuzz '%' (0% to 100%)" },
	{ CONN "rekey-fuzz = -5\n",
	  "e.conf:6: invalid rekey-fuzz '-5' (0% to 100%)" },
	{ CONN "life-packets = many\n", "e.conf:6: invalid number 'many'" },
	{ CONN "rekey-margin = 1m\nrekey-margin = 2m\n",
	  "e.conf:7: duplicate key 'rekey-margin'" },
	{ CONN "local-id = host.example\n",
	  "e.conf:6: bad ID 'host.example' (address, fqdn:NAME, user:A@B, keyid:X or dn:CN=X,O=Y)" },
	{ CONN "interface = a/b\n", "e.conf:6: duplicate key 'interface'" },
	{ "[conn a]\ninterface = a/b\n",
	  "e.conf:2: invalid interface name 'a/b'" },
	{ "[conn a]\nlocal = 192.0.2.300\n",
	  "e.conf:2: invalid address '192.0.2.300'" },
	{ "[conn a]\npsk = \"open\n", "e.conf:2: unterminated quoted string" },
	{ "[conn a]\npsk = \"k\" extra\n",
	  "e.conf:2: unexpected text after quoted string" },
	{ "[conn a]\npsk = \"\"\n", "e.conf:2: psk is empty" },
	{ "[conn a]\nlocal = 192.0.2.1\nremote = 192.0.2.2\npsk = k\n",
	  "e.conf:1: conn 'a': missing interface" },
	{ "[conn a]\ninterface = esp0\nremote = 192.0.2.2\npsk = k\n",
	  "e.conf:1: conn 'a': missing local" },
	{ "[conn a]\ninterface = esp0\nlocal = 192.0.2.2\npsk = k\n",
	  "e.conf:1: conn 'a': missing remote" },
	{ "[conn a]\ninterface = esp0\nlocal = 192.0.2.1\nremote = 192.0.2.2\n",
	  "e.conf:1: conn 'a': missing psk or psk-file" },
	{ "[conn a]\ninterface = esp0\nlocal = 192.0.2.1\nremote = 2001:db8::2\npsk = k\n",
	  "e.conf:1: conn 'a': local and remote are of different address families" },
	{ CONN "local-ts = ::/0\n",
	  "e.conf:6: conn 'a': local-ts ::/0 has no remote-ts of its address family" },
	{ CONN "local-ts = 0.0.0.0/0, ::/0\nremote-ts = 0.0.0.0/0\n",
	  "e.conf:7: conn 'a': local-ts ::/0 has no remote-ts of its address family" },
	{ CONN "remote-ts = 0.0.0.0/0, ::/0\nlife-packets = 1\n",
	  "e.conf:6: conn 'a': remote-ts ::/0 has no local-ts of its address family" },
	{ CONN "local-ts = 10.1.0.0/16, 10.1.0.0/16\n",
	  "e.conf:6: selector '10.1.0.0/16' listed twice" },
	{ CONN "local-ts = 10.1.0.0/16,\n",
	  "e.conf:6: empty selector in the list" },
	{ CONN "remote-ts = , ::/0\n", "e.conf:6: empty selector in the list" },
	{ CONN "local-ts = 10.1.0.0/16, 10.0.0.1/8\n",
	  "e.conf:6: selector '10.0.0.1/8' has host bits set" },
	{ CONN "local-ts = 10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16,"
	  "10.5.0.0/16,10.6.0.0/16,10.7.0.0/16,10.8.0.0/16,10.9.0.0/16\n",
	  "e.conf:6: more than 8 selectors" },
	{ CONN "local-ts = 10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16\n"
	  "remote-ts = 10.4.0.0/16, 10.5.0.0/16, 10.6.0.0/16\n",
	  "e.conf:7: conn 'a': more than 8 selector pairs" },
	{ CONN "[conn b]\ninterface = esp0\nlocal = 192.0.2.1\n"
	  "remote = 192.0.2.3\npsk = k\n",
	  "e.conf:6: conn 'b': interface esp0 is already used by conn 'a'" },
	/* XAuth and Mode Config */
	{ CONN "xauth = server\n",
	  "e.conf:6: invalid xauth 'server' (client or no)" },
	{ CONN "modecfg = push\n",
	  "e.conf:6: invalid modecfg 'push' (pull or no)" },
	{ CONN "xauth-user = \"\"\n", "e.conf:6: missing value for 'xauth-user'" },
	{ CONN "xauth-password = \"\"\n",
	  "e.conf:6: missing value for 'xauth-password'" },
	{ CONN "xauth-user = alice\n",
	  "e.conf:6: conn 'a': xauth-user and xauth-password are for xauth = client" },
	{ CONN "xauth = no\nxauth-password = pw\n",
	  "e.conf:7: conn 'a': xauth-user and xauth-password are for xauth = client" },
	{ CONN "xauth = client\nxauth-password = pw\n",
	  "e.conf:1: conn 'a': xauth = client needs xauth-user" },
	{ CONN "xauth = client\nxauth-user = alice\n",
	  "e.conf:1: conn 'a': xauth = client needs xauth-password or xauth-password-file" },
	{ CONN "xauth = client\nxauth-user = alice\nxauth-password = pw\n"
	  "xauth-password-file = /nonexistent-dir/pw\n",
	  "e.conf:9: xauth-password-file /nonexistent-dir/pw: No such file or directory" },
	{ "[conn a]\ninterface = esp0\nlocal = 2001:db8::1\n"
	  "remote = 2001:db8::2\npsk = k\nmodecfg = pull\n",
	  "e.conf:6: conn 'a': modecfg = pull asks for an IPv4 address: local and remote must be IPv4" },
	/* The error of a conn is found when the next section starts. */
	{ "[conn a]\n[global]\nlog = info\n",
	  "e.conf:1: conn 'a': missing interface" },
};

static void test_errors(void)
{
	char err[CONF_ERR_MAX];
	struct conf c;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		memset(err, 0, sizeof(err));
		memset(&c, 0xa5, sizeof(c));
		r = conf_parse("e.conf", bad[i].text, &c, err, sizeof(err));
		ok(r == -1 && c.n_conns == (size_t)0xa5a5a5a5a5a5a5a5ULL,
		   "refused, output untouched: %s", bad[i].err);
		is_str(err, bad[i].err, "message: %s", bad[i].err);
	}
}

/* Selector lists: each local one with each remote one of its family. */
static void test_ts_pairs(void)
{
	static const char text[] = CONN
		"local-ts = 0.0.0.0/0 , ::/0\n"
		"remote-ts = 2001:db8:b::/48,10.2.0.0/16, 10.3.0.0/16\n";
	struct ike_ts_pair pairs[IKE_MAX_TS_PAIRS];
	char err[CONF_ERR_MAX], b[64];
	struct conf c, c2;
	int n;

	if (conf_parse("p.conf", text, &c, err, sizeof(err))) {
		ok(0, "selector lists parsed: %s", err);
		return;
	}
	is_int(c.conns[0].n_local_ts, 2, "two local-ts");
	is_int(c.conns[0].n_remote_ts, 3, "three remote-ts");
	n = ike_conn_ts_pairs(&c.conns[0], pairs, err, sizeof(err));
	is_int(n, 3, "three pairs, one family each");
	if (n == 3) {
		is_str(ts_str(&pairs[0].local, b, sizeof(b)), "0.0.0.0/0",
		       "pair 1 local");
		is_str(ts_str(&pairs[0].remote, b, sizeof(b)),
		       "10.2.0.0/16", "pair 1 remote");
		is_str(ts_str(&pairs[1].remote, b, sizeof(b)),
		       "10.3.0.0/16", "pair 2 remote");
		is_str(ts_str(&pairs[2].local, b, sizeof(b)), "::/0",
		       "pair 3 local");
		is_str(ts_str(&pairs[2].remote, b, sizeof(b)),
		       "2001:db8:b::/48", "pair 3 remote");
	}
	/* A reload keeps a conn's SAs only when its bytes did not change. */
	memset(&c2, 0x5a, sizeof(c2));
	if (!conf_parse("p.conf", text, &c2, err, sizeof(err))) {
		ok(!memcmp(&c.conns[0], &c2.conns[0], sizeof(c.conns[0])),
		   "the same lists parse to the same bytes");
		conf_free(&c2);
	} else {
		ok(0, "selector lists parsed twice: %s", err);
	}
	conf_free(&c);
}

static void test_durations(void)
{
	static const struct {
		const char *s;
		uint32_t v;
	} d[] = {
		{ "90", 90 }, { "90s", 90 }, { "30m", 1800 }, { "1h", 3600 },
		{ "24h", 86400 }, { "2d", 172800 },
	};
	unsigned int i;
	uint32_t v;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		v = 0;
		ok(!conf_parse_duration(d[i].s, &v) && v == d[i].v,
		   "duration %s = %u", d[i].s, d[i].v);
	}
	ok(conf_parse_duration("", &v), "empty duration refused");
	ok(conf_parse_duration("1hh", &v), "1hh refused");
	ok(conf_parse_duration("99999999999h", &v), "overflow refused");
}

/* nat-t = auto-force: its own mode, taken as written. */
static void test_auto_force(void)
{
	static const char text[] =
		"[conn a]\ninterface = esp0\nlocal = 192.0.2.1\n"
		"remote = 192.0.2.2\npsk = k\nnat-t = auto-force\n";
	char err[CONF_ERR_MAX] = "";
	struct conf c;
	int r;

	r = conf_parse("af.conf", text, &c, err, sizeof(err));
	is_int(r, 0, "nat-t = auto-force parses");
	if (r) {
		printf("# %s\n", err);
		return;
	}
	is_int(c.conns[0].natt, IKE_NATT_AUTO_FORCE, "nat-t auto-force");
	conf_free(&c);
}

static void test_on_demand(void)
{
	static const char text[] =
		"[conn a]\ninterface = esp0\nlocal = 192.0.2.1\n"
		"remote = 192.0.2.2\npsk = k\nstart = on-demand\n";
	char err[CONF_ERR_MAX] = "";
	struct conf c;
	int r;

	r = conf_parse("od.conf", text, &c, err, sizeof(err));
	is_int(r, 0, "start = on-demand parses");
	if (r) {
		printf("# %s\n", err);
		return;
	}
	is_int(c.conns[0].start, IKE_START_ON_DEMAND, "start on-demand");
	conf_free(&c);
}

/* psk-file: read relative to the config, refused when world-readable. */
static void test_psk_file(void)
{
	char dir[] = "/tmp/esptun-conf-XXXXXX", path[256], key[256];
	char text[512], err[CONF_ERR_MAX], want[600];
	struct conf c;
	FILE *f;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(key, sizeof(key), "%s/key", dir);
	snprintf(path, sizeof(path), "%s/esptund.conf", dir);
	f = fopen(key, "w");
	fputs("file-secret  \nignored second line\n", f);
	fclose(f);
	chmod(key, 0600);
	snprintf(text, sizeof(text),
		 "[conn a]\ninterface = esp0\nlocal = 192.0.2.1\n"
		 "remote = 192.0.2.2\npsk-file = key\n");
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);

	ok(!conf_load(path, &c, err, sizeof(err)), "psk-file 0600 accepted");
	if (c.n_conns == 1) {
		is_int(c.conns[0].psk_len, 11, "psk-file: first line, trimmed");
		is_mem(c.conns[0].psk, "file-secret", 11, "psk-file content");
		conf_free(&c);
	}

	chmod(key, 0604);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "world-readable psk-file refused");
	snprintf(want, sizeof(want),
		 "%s:5: psk-file %s/key is world-readable (chmod o-r it)",
		 path, dir);
	is_str(err, want, "world-readable message");

	unlink(key);
	ok(conf_load(path, &c, err, sizeof(err)) == -1, "missing psk-file");
	snprintf(want, sizeof(want),
		 "%s:5: psk-file %s/key: No such file or directory", path, dir);
	is_str(err, want, "missing psk-file message");

	f = fopen(path, "a");
	fputs("psk = x\n", f);
	fclose(f);
	f = fopen(key, "w");
	fputs("k\n", f);
	fclose(f);
	chmod(key, 0600);
	ok(conf_load(path, &c, err, sizeof(err)) == -1, "psk + psk-file");
	snprintf(want, sizeof(want),
		 "%s:1: conn 'a': psk and psk-file are exclusive", path);
	is_str(err, want, "psk and psk-file exclusive message");

	unlink(key);
	unlink(path);
	ok(conf_load(path, &c, err, sizeof(err)) == -1, "missing file");
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	is_str(err, want, "missing file message");
	rmdir(dir);
}

/*
 * XAuth and Mode Config keys: defaults, values, the password file read
 * like psk-file, exclusive with xauth-password, and an inline password
 * refused in a world-readable file.
 */
static void test_xauth(void)
{
	char dir[] = "/tmp/esptun-conf-XXXXXX", path[256], pw[256];
	char err[CONF_ERR_MAX], want[600];
	struct conf c;
	FILE *f;

	ok(!conf_parse("x.conf", CONN, &c, err, sizeof(err)) &&
	   c.n_conns == 1, "plain conn parses");
	if (c.n_conns == 1) {
		ok(!c.conns[0].xauth && !c.conns[0].modecfg &&
		   !c.conns[0].modecfg_ts, "default: xauth = no, modecfg = no");
		conf_free(&c);
	}
	ok(!conf_parse("x.conf", CONN "xauth = client\nxauth-user = alice\n"
		       "xauth-password = \"pw #1\"\nmodecfg = pull\n", &c, err,
		       sizeof(err)) && c.n_conns == 1, "xauth + modecfg parse");
	if (c.n_conns == 1) {
		ok(c.conns[0].xauth && c.conns[0].modecfg, "flags set");
		is_str(c.conns[0].xauth_user, "alice", "xauth-user");
		is_str(c.conns[0].xauth_pass, "pw #1", "xauth-password");
		ok(c.conns[0].modecfg_ts,
		   "no local-ts: the assigned address is the local selector");
		conf_free(&c);
	}
	ok(!conf_parse("x.conf", CONN "modecfg = pull\nlocal-ts = 10.9.0.0/24\n",
		       &c, err, sizeof(err)) && c.n_conns == 1,
	   "modecfg with local-ts parses");
	if (c.n_conns == 1) {
		ok(c.conns[0].modecfg && !c.conns[0].modecfg_ts,
		   "local-ts given: it stays the local selector");
		conf_free(&c);
	}
	/* A profile's 0.0.0.0/0 is a default: the assigned address wins. */
	ok(!conf_parse("x.conf", CONN "modecfg = pull\nprofile = cisco-ios-vti\n",
		       &c, err, sizeof(err)) && c.n_conns == 1,
	   "modecfg with a profile's local-ts parses");
	if (c.n_conns == 1) {
		ok(c.conns[0].modecfg && c.conns[0].modecfg_ts,
		   "profile's local-ts: the assigned address is the selector");
		conf_free(&c);
	}

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(pw, sizeof(pw), "%s/pw", dir);
	snprintf(path, sizeof(path), "%s/esptund.conf", dir);
	f = fopen(pw, "w");
	fputs("file-pass \nsecond\n", f);
	fclose(f);
	chmod(pw, 0600);
	f = fopen(path, "w");
	fputs(CONN "xauth = client\nxauth-user = bob\nxauth-password-file = pw\n",
	      f);
	fclose(f);
	chmod(path, 0600);
	ok(!conf_load(path, &c, err, sizeof(err)), "xauth-password-file read");
	if (c.n_conns == 1) {
		is_str(c.conns[0].xauth_pass, "file-pass",
		       "xauth-password-file: first line, trimmed");
		conf_free(&c);
	}
	chmod(pw, 0604);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "world-readable xauth-password-file refused");
	snprintf(want, sizeof(want),
		 "%s:8: xauth-password-file %s/pw is world-readable (chmod o-r it)",
		 path, dir);
	is_str(err, want, "world-readable password file message");

	f = fopen(path, "w");
	fputs(CONN "xauth = client\nxauth-user = bob\nxauth-password = pw\n",
	      f);
	fclose(f);
	chmod(path, 0600);
	if (!conf_load(path, &c, err, sizeof(err))) {
		ok(1, "inline password, 0600");
		conf_free(&c);
	} else {
		ok(0, "inline password, 0600: %s", err);
	}
	chmod(path, 0644);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "inline password in a world-readable file refused");
	snprintf(want, sizeof(want),
		 "%s:5: psk in a world-readable file (chmod o-r it, or use psk-file)",
		 path);
	is_str(err, want, "the inline psk is reported first");
	f = fopen(path, "w");
	fputs("[conn a]\ninterface = esp0\nlocal = 192.0.2.1\n"
	      "remote = 192.0.2.2\npsk-file = pw\nxauth = client\n"
	      "xauth-user = bob\nxauth-password = pw\n", f);
	fclose(f);
	chmod(pw, 0600);
	chmod(path, 0644);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "inline xauth-password in a world-readable file refused");
	snprintf(want, sizeof(want),
		 "%s:8: xauth-password in a world-readable file (chmod o-r it, or use xauth-password-file)",
		 path);
	is_str(err, want, "world-readable inline password message");
	unlink(pw);
	unlink(path);
	rmdir(dir);
}

/* write_file PATH TEXT MODE */
static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/*
 * Files that hold PSKs or say where they are: writable by others or owned
 * by another user, refused; a FIFO refused at once instead of blocking.
 */
static void test_file_trust(void)
{
	static const char conn[] = "[conn a]\ninterface = esp0\n"
		"local = 192.0.2.1\nremote = 192.0.2.2\n";
	char dir[] = "/tmp/esptun-trust-XXXXXX", path[256], key[256];
	char text[512], err[CONF_ERR_MAX], want[600];
	struct conf c;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	/* A FIFO that blocked an open would hang the test: fail it instead. */
	alarm(20);
	snprintf(key, sizeof(key), "%s/key", dir);
	snprintf(path, sizeof(path), "%s/esptund.conf", dir);
	snprintf(text, sizeof(text), "%spsk-file = key\n", conn);
	write_file(path, text, 0600);

	write_file(key, "k\n", 0662);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "group-writable psk-file refused");
	snprintf(want, sizeof(want),
		 "%s:5: psk-file %s: is writable by group or others (chmod go-w it)",
		 path, key);
	is_str(err, want, "group-writable psk-file message");

	chmod(key, 0640);
	ok(!conf_load(path, &c, err, sizeof(err)), "psk-file 0640 accepted");
	conf_free(&c);

	if (geteuid() == 0 && !chown(key, 65534, 65534)) {
		ok(conf_load(path, &c, err, sizeof(err)) == -1,
		   "psk-file of another user refused");
		snprintf(want, sizeof(want),
			 "%s:5: psk-file %s: is owned by another user (chown it)",
			 path, key);
		is_str(err, want, "psk-file of another user message");
	} else {
		ok(1, "psk-file of another user # SKIP needs root to chown");
		ok(1, "psk-file of another user message # SKIP needs root");
	}

	unlink(key);
	mkfifo(key, 0600);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "FIFO as psk-file refused without blocking");
	snprintf(want, sizeof(want), "%s:5: psk-file %s: not a regular file",
		 path, key);
	is_str(err, want, "FIFO psk-file message");
	unlink(key);

	snprintf(text, sizeof(text), "%spsk = inline\n", conn);
	write_file(path, text, 0644);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "world-readable config with a psk refused");
	snprintf(want, sizeof(want),
		 "%s:5: psk in a world-readable file (chmod o-r it, or use psk-file)",
		 path);
	is_str(err, want, "world-readable config with a psk message");

	chmod(path, 0640);
	ok(!conf_load(path, &c, err, sizeof(err)), "config 0640 with a psk accepted");
	conf_free(&c);

	chmod(path, 0620);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "group-writable config refused");
	snprintf(want, sizeof(want),
		 "%s: is writable by group or others (chmod go-w it)", path);
	is_str(err, want, "group-writable config message");

	unlink(path);
	mkfifo(path, 0600);
	ok(conf_load(path, &c, err, sizeof(err)) == -1,
	   "FIFO as config refused without blocking");
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	is_str(err, want, "FIFO config message");
	unlink(path);
	alarm(0);
	rmdir(dir);
}

int main(void)
{
	test_full();
	test_errors();
	test_ts_pairs();
	test_durations();
	test_auto_force();
	test_on_demand();
	test_psk_file();
	test_xauth();
	test_file_trust();
	return tap_done();
}
