// SPDX-License-Identifier: GPL-2.0
/*
 * Vendor profiles (lib/profile.c applied by config.c): every profile's
 * lines pass the key handlers and give the same conn as writing them by
 * hand, a key the user wrote wins wherever it stands, an unknown name is
 * refused at its line, and cisco-ios-vti's values read back exactly.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ike/proposal.h"
#include "profile.h"
#include "tap.h"

#define CONN_HEAD							\
	"[conn c]\n"							\
	"interface = esp0\n"						\
	"local = 192.0.2.1\n"						\
	"remote = 192.0.2.2\n"						\
	"psk = k\n"

/* Parses text; prints why on failure. */
static int parse(const char *what, const char *text, struct conf *c)
{
	char err[CONF_ERR_MAX] = "";

	if (conf_parse("p.conf", text, c, err, sizeof(err))) {
		printf("# %s: %s\n", what, err);
		return -1;
	}
	return 0;
}

/* Each line alone, as a user would write it, passes its key's handler. */
static void t_every_line_parses_by_hand(const struct profile *pr)
{
	char text[1024];
	struct conf c;
	size_t i;

	for (i = 0; pr->lines[i]; i++) {
		ok(strstr(pr->lines[i], " = ") != NULL,
		   "%s: '%s' is 'key = value'", pr->name, pr->lines[i]);
		snprintf(text, sizeof(text), CONN_HEAD "%s\n", pr->lines[i]);
		if (parse(pr->name, text, &c)) {
			ok(0, "%s: '%s' accepted", pr->name, pr->lines[i]);
			continue;
		}
		ok(1, "%s: '%s' accepted", pr->name, pr->lines[i]);
		conf_free(&c);
	}
}

/* profile = NAME gives byte for byte the conn its lines give by hand. */
static void t_profile_equals_its_lines(const struct profile *pr)
{
	char by_name[1024], by_hand[2048];
	struct conf a, b;
	size_t i, off;

	snprintf(by_name, sizeof(by_name), CONN_HEAD "profile = %s\n",
		 pr->name);
	off = snprintf(by_hand, sizeof(by_hand), CONN_HEAD);
	for (i = 0; pr->lines[i]; i++)
		off += snprintf(by_hand + off, sizeof(by_hand) - off, "%s\n",
				pr->lines[i]);
	if (parse(pr->name, by_name, &a)) {
		ok(0, "profile = %s parses", pr->name);
		return;
	}
	ok(1, "profile = %s parses", pr->name);
	if (parse(pr->name, by_hand, &b)) {
		ok(0, "%s's lines by hand parse", pr->name);
		conf_free(&a);
		return;
	}
	ok(a.n_conns == 1 && b.n_conns == 1 &&
	   !memcmp(&a.conns[0], &b.conns[0], sizeof(a.conns[0])),
	   "profile = %s is the same conn as its %zu lines", pr->name, i);
	conf_free(&a);
	conf_free(&b);
}

/* Aggressive Mode takes one DH group: every profile's ike = has one. */
static void t_profile_with_aggressive_mode(const struct profile *pr)
{
	char text[1024];
	struct conf c;

	snprintf(text, sizeof(text),
		 CONN_HEAD "mode = aggressive\nprofile = %s\n", pr->name);
	if (parse(pr->name, text, &c)) {
		ok(0, "profile = %s with mode = aggressive", pr->name);
		return;
	}
	ok(c.conns[0].mode == IKE_MODE_AGGRESSIVE && c.conns[0].aggressive,
	   "profile = %s with mode = aggressive", pr->name);
	conf_free(&c);
}

static void t_every_profile(void)
{
	const struct profile *pr;
	size_t i;

	for (i = 0; (pr = profile_at(i)); i++) {
		t_every_line_parses_by_hand(pr);
		t_profile_equals_its_lines(pr);
		t_profile_with_aggressive_mode(pr);
	}
	is_int(i, 6, "six profiles");
	ok(profile_find("cisco-ios-vti") == profile_at(0),
	   "profile_find finds by name");
	ok(!profile_find("cisco"), "no profile for a prefix of a name");
}

static void t_cisco_ios_vti_values(void)
{
	static const char text[] = CONN_HEAD "profile = cisco-ios-vti\n";
	const struct ike_conn *k;
	char b[64];
	struct conf c;

	if (parse("cisco-ios-vti", text, &c)) {
		ok(0, "cisco-ios-vti parses");
		return;
	}
	k = &c.conns[0];
	is_int(k->n_ike, 1, "one ike proposal");
	is_str(ike_proposal_str(&k->ike[0], b, sizeof(b)),
	       "aes256-sha256-modp2048", "isakmp policy aes 256/sha256/14");
	is_int(k->n_esp, 1, "one esp proposal");
	is_str(esp_proposal_str(&k->esp[0], b, sizeof(b)), "aes256-sha256",
	       "transform-set esp-aes 256 esp-sha256-hmac");
	is_int(k->esp[0].group, IKE_GROUP_NONE, "no PFS");
	is_int(k->ike_lifetime, 86400, "phase 1 lifetime 86400 s");
	is_int(k->lifetime, 3600, "phase 2 lifetime 3600 s");
	is_int(k->life_kbytes, 4608000, "phase 2 lifetime 4608000 KB");
	ok(k->dpd, "dpd on");
	is_int(k->dpd_delay, 10, "dpd-delay 10 s");
	is_int(k->dpd_timeout, 30, "dpd-timeout 30 s");
	is_int(k->natt, IKE_NATT_AUTO, "nat-t auto");
	is_int(k->frag, IKE_FRAG_YES, "fragmentation yes");
	is_int(k->n_local_ts, 1, "one local selector");
	is_str(ts_str(&k->local_ts[0], b, sizeof(b)), "0.0.0.0/0",
	       "local-ts 0.0.0.0/0");
	is_int(k->n_remote_ts, 1, "one remote selector");
	is_str(ts_str(&k->remote_ts[0], b, sizeof(b)), "0.0.0.0/0",
	       "remote-ts 0.0.0.0/0");
	is_int(k->rekey_margin, 540, "keys it does not set keep their default");
	conf_free(&c);
}

/* The user's key wins, written before or after profile =. */
static void t_user_key_wins_either_order(void)
{
	static const char text[] =
		CONN_HEAD
		"lifetime = 2h\n"
		"profile = cisco-ios-vti\n"
		"esp = aes128gcm16-modp2048\n"
		"[conn d]\n"
		"interface = esp1\n"
		"local = 192.0.2.1\n"
		"remote = 192.0.2.3\n"
		"psk = k\n"
		"profile = cisco-ios-vti\n"
		"lifetime = 2h\n"
		"local-ts = 10.1.0.0/16\n";
	const struct ike_conn *k;
	char b[64];
	struct conf c;

	if (parse("overrides", text, &c)) {
		ok(0, "user keys with a profile parse");
		return;
	}
	k = &c.conns[0];
	is_int(k->lifetime, 7200, "lifetime before profile = wins");
	is_str(esp_proposal_str(&k->esp[0], b, sizeof(b)),
	       "aes128gcm16-modp2048", "esp after profile = wins");
	is_int(k->n_esp, 1, "the user's esp list, not merged");
	is_int(k->ike_lifetime, 86400, "the profile still sets the rest");
	k = &c.conns[1];
	is_int(k->lifetime, 7200, "lifetime after profile = wins");
	is_str(ts_str(&k->local_ts[0], b, sizeof(b)), "10.1.0.0/16",
	       "local-ts after profile = wins");
	is_str(ts_str(&k->remote_ts[0], b, sizeof(b)), "0.0.0.0/0",
	       "remote-ts from the profile");
	is_int(k->life_kbytes, 4608000, "life-kbytes from the profile");
	conf_free(&c);
}

/* Profiles are per conn: the next conn starts from esptund's defaults. */
static void t_profile_stays_in_its_conn(void)
{
	static const char text[] =
		CONN_HEAD
		"profile = fortigate\n"
		"[conn d]\n"
		"interface = esp1\n"
		"local = 192.0.2.1\n"
		"remote = 192.0.2.3\n"
		"psk = k\n";
	struct conf c;

	if (parse("two conns", text, &c)) {
		ok(0, "two conns, one profile, parse");
		return;
	}
	is_int(c.conns[0].lifetime, 43200, "fortigate: phase 2 43200 s");
	is_int(c.conns[1].lifetime, 3600, "next conn: esptund's 1h");
	is_int(c.conns[1].n_ike, 2, "next conn: esptund's two proposals");
	conf_free(&c);
}

static void expect_error(const char *text, const char *want, const char *name)
{
	char err[CONF_ERR_MAX] = "";
	struct conf c;

	memset(&c, 0xa5, sizeof(c));
	ok(conf_parse("e.conf", text, &c, err, sizeof(err)) == -1 &&
	   c.n_conns == (size_t)0xa5a5a5a5a5a5a5a5ULL,
	   "%s: refused, output untouched", name);
	is_str(err, want, "%s: message", name);
}

static void t_unknown_profile(void)
{
	expect_error(CONN_HEAD "profile = cisco\n",
		     "e.conf:6: unknown profile 'cisco' (cisco-ios-vti, cisco-asa, fortigate, pan-os, strongswan or libreswan)",
		     "unknown profile");
	expect_error("[global]\nprofile = strongswan\n",
		     "e.conf:2: unknown key 'profile' in [global]",
		     "profile in [global]");
	expect_error(CONN_HEAD "profile = pan-os\nprofile = pan-os\n",
		     "e.conf:7: duplicate key 'profile'", "two profiles");
}

/*
 * A check that fails on a profile's value points at the profile = line:
 * an IPv6-only local-ts against cisco-ios-vti's IPv4 remote-ts.
 */
static void t_profile_value_error_at_profile_line(void)
{
	expect_error(CONN_HEAD "local-ts = ::/0\n# VTI\nprofile = cisco-ios-vti\n",
		     "e.conf:8: conn 'c': local-ts ::/0 has no remote-ts of its address family",
		     "selector family mismatch");
}

int main(void)
{
	t_every_profile();
	t_cisco_ios_vti_values();
	t_user_key_wins_either_order();
	t_profile_stays_in_its_conn();
	t_unknown_profile();
	t_profile_value_error_at_profile_line();
	return tap_done();
}
