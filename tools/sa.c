// SPDX-License-Identifier: GPL-2.0
/*
 * esptun sa add|update|del|flush|alloc-spi: manual keying in the words of
 * "ip xfrm state", parsed into a struct etsa before anything is sent.
 * The CLI refuses what cannot be expressed in the netlink contract (a bad
 * number, a key over ESPTUN_KEY_MAX bytes, a missing value); whether an
 * algorithm exists or a key fits it is the kernel's to say, and its
 * message is printed as it comes.
 */
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "ipc.h"
#include "json.h"
#include "subcommands.h"
#include "util.h"

#define USAGE_ADD \
	"esptun sa add DEV dir in|out spi SPI ALGO [replay-window N] [esn] [seq N] [oseq N]\n" \
	"                  [encap espinudp SPORT DPORT | encap none] [local ADDR] [remote ADDR]\n" \
	"                  [lifetime soft|hard bytes|packets|add-seconds|use-seconds N]...\n" \
	"                  [sel src PREFIX dst PREFIX [proto P] [sport N] [dport N]]\n" \
	"  PREFIX := ADDR[/LEN] | FIRST-LAST (an address range)\n" \
	"  ALGO := aead NAME KEY ICVBITS | enc NAME KEY auth-trunc NAME KEY TRUNCBITS |\n" \
	"          enc NAME KEY auth NAME KEY\n" \
	"  KEY := 0xHEX | \"\"    NAME e.g. 'rfc4106(gcm(aes))', 'cbc(aes)', 'hmac(sha256)', cipher_null"
#define USAGE_UPDATE \
	"esptun sa update DEV dir in|out spi SPI [local ADDR] [encap espinudp SPORT DPORT | encap none]\n" \
	"                     [remote ADDR] [lifetime soft|hard bytes|packets|add-seconds|use-seconds N]..."
#define USAGE_DEL	"esptun sa del DEV dir in|out spi SPI [local ADDR]"
#define USAGE_FLUSH	"esptun sa flush [DEV]"
#define USAGE_ALLOC \
	"esptun [-j] sa alloc-spi DEV [range MIN MAX] [reserve SECONDS] [local ADDR]"

static const char usage_all[] = USAGE_ADD "\n       " USAGE_UPDATE
	"\n       " USAGE_DEL "\n       " USAGE_FLUSH "\n       " USAGE_ALLOC;

/* Keyword groups a subcommand accepts. */
enum {
	K_DIR = 1 << 0,
	K_SPI = 1 << 1,
	K_ALG = 1 << 2,
	K_REPLAY = 1 << 3,
	K_ESN = 1 << 4,
	K_SEQ = 1 << 5,
	K_ENCAP = 1 << 6,
	K_LOCAL = 1 << 7,
	K_REMOTE = 1 << 8,
	K_LIFETIME = 1 << 9,
	K_SEL = 1 << 10,
};

#define HAS(sa, a)	((sa)->has & BIT(ESPTUN_SA_A_##a))

/* RFC 4868 section 2.3 and RFC 2404: the truncation everyone uses. */
static const struct {
	const char *name;
	uint32_t bits;
} std_trunc[] = {
	{ "hmac(sha1)", 96 },
	{ "hmac(sha256)", 128 },
	{ "hmac(sha384)", 192 },
	{ "hmac(sha512)", 256 },
};

static int set_once(struct args *a, struct etsa *sa, int attr,
		    const char *kw)
{
	if (sa->has & BIT(attr))
		return usage_error(a, "\"%s\" given twice", kw);
	sa->has |= BIT(attr);
	return 0;
}

static int parse_alg_name(struct args *a, const char *kw, char *out)
{
	const char *v = args_value(a, kw);

	if (!v)
		return EXIT_USAGE;
	/* ip-xfrm's name for null encryption is not a crypto API name. */
	if (!strcmp(v, "cipher_null"))
		v = "ecb(cipher_null)";
	if (!*v)
		return usage_error(a, "empty algorithm name after \"%s\"", kw);
	if (strlen(v) >= ESPTUN_ALG_NAME_MAX)
		return usage_error(a, "algorithm name \"%s\" longer than %d characters",
				   v, ESPTUN_ALG_NAME_MAX - 1);
	strcpy(out, v);
	return 0;
}

static int parse_keyval(struct args *a, const char *kw, uint8_t *key,
			size_t *len)
{
	const char *v = args_value(a, kw), *why;

	if (!v)
		return EXIT_USAGE;
	why = parse_key(v, key, ESPTUN_KEY_MAX, len);
	/* The key itself is not repeated in the message. */
	return why ? usage_error(a, "bad %s key: %s", kw, why) : 0;
}

static int parse_alg(struct args *a, const char *kw, struct etsa *sa)
{
	const char *v;
	size_t i;

	if (!strcmp(kw, "aead") || !strcmp(kw, "enc")) {
		if (HAS(sa, ENC_ALG))
			return usage_error(a, "more than one of \"aead\" and \"enc\"");
		if (kw[0] == 'a' && HAS(sa, AUTH_ALG))
			return usage_error(a, "\"aead\" takes no \"auth\"");
		sa->has |= BIT(ESPTUN_SA_A_ENC_ALG);
		if (parse_alg_name(a, kw, sa->enc_alg) ||
		    parse_keyval(a, kw, sa->enc_key, &sa->enc_key_len))
			return EXIT_USAGE;
		if (kw[0] == 'e')
			return 0;
		v = args_value(a, kw);
		if (!v || arg_u32(a, "ICV length", v, UINT32_MAX,
				  &sa->icv_bits))
			return EXIT_USAGE;
		sa->has |= BIT(ESPTUN_SA_A_ICV_BITS);
		return 0;
	}
	/* auth or auth-trunc; an aead set ICV_BITS already, enc did not */
	if (HAS(sa, ENC_ALG) && HAS(sa, ICV_BITS) && !HAS(sa, AUTH_ALG))
		return usage_error(a, "\"aead\" takes no \"auth\"");
	if (HAS(sa, AUTH_ALG))
		return usage_error(a, "more than one of \"auth\" and \"auth-trunc\"");
	sa->has |= BIT(ESPTUN_SA_A_AUTH_ALG);
	if (parse_alg_name(a, kw, sa->auth_alg) ||
	    parse_keyval(a, kw, sa->auth_key, &sa->auth_key_len))
		return EXIT_USAGE;
	sa->has |= BIT(ESPTUN_SA_A_ICV_BITS);
	if (!strcmp(kw, "auth-trunc")) {
		v = args_value(a, kw);
		return !v || arg_u32(a, "truncation length", v, UINT32_MAX,
				     &sa->icv_bits) ? EXIT_USAGE : 0;
	}
	for (i = 0; i < ARRAY_SIZE(std_trunc); i++) {
		if (!strcmp(sa->auth_alg, std_trunc[i].name)) {
			sa->icv_bits = std_trunc[i].bits;
			return 0;
		}
	}
	return usage_error(a, "no standard truncation for \"%s\": use auth-trunc NAME KEY BITS",
			   sa->auth_alg);
}

static int parse_lifetime(struct args *a, struct etsa *sa)
{
	static const char *const kinds[] = {
		"bytes", "packets", "add-seconds", "use-seconds"
	};
	const char *which, *kind, *v;
	uint64_t val;
	int attr, i;

	which = args_value(a, "lifetime");
	if (!which)
		return EXIT_USAGE;
	if (strcmp(which, "soft") && strcmp(which, "hard"))
		return usage_error(a, "bad lifetime \"%s\": expected soft or hard",
				   which);
	kind = args_value(a, which);
	if (!kind)
		return EXIT_USAGE;
	for (i = 0; i < 4; i++)
		if (!strcmp(kind, kinds[i]))
			break;
	if (i == 4)
		return usage_error(a, "bad lifetime kind \"%s\": expected bytes, packets, add-seconds or use-seconds",
				   kind);
	v = args_value(a, kind);
	if (!v || arg_u64(a, kind, v, UINT64_MAX, &val))
		return EXIT_USAGE;
	attr = (which[0] == 's' ? ESPTUN_LT_A_SOFT_BYTES :
				  ESPTUN_LT_A_HARD_BYTES) + i;
	if (sa->lt_has & BIT(attr))
		return usage_error(a, "lifetime %s %s given twice", which,
				   kind);
	sa->lt_has |= BIT(attr);
	sa->lifetime[attr] = val;
	sa->has |= BIT(ESPTUN_SA_A_LIFETIME);
	return 0;
}

static int parse_sel(struct args *a, struct etsa *sa)
{
	struct etsel *sel = &sa->sel;
	const char *kw, *v, *why;

	if (set_once(a, sa, ESPTUN_SA_A_SELECTOR, "sel"))
		return EXIT_USAGE;
	while ((kw = args_peek(a))) {
		if (!strcmp(kw, "src") || !strcmp(kw, "dst")) {
			int src = kw[0] == 's';
			struct ipaddr *p = src ? &sel->src : &sel->dst;
			struct ipaddr *e = src ? &sel->src_end : &sel->dst_end;

			args_next(a);
			if (p->family)
				return usage_error(a, "sel %s given twice", kw);
			v = args_value(a, kw);
			if (!v)
				return EXIT_USAGE;
			why = parse_prefix_or_range(v, p, src ? &sel->src_plen :
								&sel->dst_plen,
						    e);
			if (why)
				return usage_error(a, "bad sel %s \"%s\": %s",
						   kw, v, why);
		} else if (!strcmp(kw, "proto")) {
			args_next(a);
			v = args_value(a, kw);
			if (!v)
				return EXIT_USAGE;
			why = parse_proto(v, &sel->proto);
			if (why)
				return usage_error(a, "bad sel proto \"%s\": %s",
						   v, why);
			sel->has |= BIT(ESPTUN_SEL_A_PROTO);
		} else if (!strcmp(kw, "sport") || !strcmp(kw, "dport")) {
			int sport = kw[0] == 's';

			args_next(a);
			v = args_value(a, kw);
			if (!v || arg_port(a, kw, v, 1,
					   sport ? &sel->sport : &sel->dport))
				return EXIT_USAGE;
			sel->has |= BIT(sport ? ESPTUN_SEL_A_SPORT :
						ESPTUN_SEL_A_DPORT);
		} else {
			break;
		}
	}
	if (!sel->src.family || !sel->dst.family)
		return usage_error(a, "sel needs both src PREFIX and dst PREFIX");
	if (sel->src.family != sel->dst.family)
		return usage_error(a, "sel src and dst must both be IPv4 or both IPv6");
	return 0;
}

static int parse_encap(struct args *a, struct etsa *sa)
{
	const char *v = args_value(a, "encap");

	if (!v || set_once(a, sa, ESPTUN_SA_A_ENCAP, "encap"))
		return EXIT_USAGE;
	if (!strcmp(v, "none")) {
		sa->encap = ESPTUN_ENCAP_NONE;
		return 0;
	}
	if (strcmp(v, "espinudp"))
		return usage_error(a, "bad encap \"%s\": expected espinudp or none",
				   v);
	sa->encap = ESPTUN_ENCAP_UDP;
	v = args_value(a, "espinudp");
	if (!v || arg_port(a, "encap source port", v, 0, &sa->sport))
		return EXIT_USAGE;
	v = args_value(a, "espinudp SPORT");
	if (!v || arg_port(a, "encap destination port", v, 0, &sa->dport))
		return EXIT_USAGE;
	sa->has |= BIT(ESPTUN_SA_A_ENCAP_SPORT) | BIT(ESPTUN_SA_A_ENCAP_DPORT);
	return 0;
}

/* "dir in|out" */
static int parse_dir(struct args *a, struct etsa *sa)
{
	const char *v = args_value(a, "dir");

	if (!v || set_once(a, sa, ESPTUN_SA_A_DIR, "dir"))
		return EXIT_USAGE;
	if (!strcmp(v, "in"))
		sa->dir = ESPTUN_DIR_IN;
	else if (!strcmp(v, "out"))
		sa->dir = ESPTUN_DIR_OUT;
	else
		return usage_error(a, "bad dir \"%s\": expected in or out", v);
	return 0;
}

/* "seq N" or "oseq N" (kw) */
static int parse_seq(struct args *a, const char *kw, struct etsa *sa)
{
	int out = kw[0] == 'o';
	const char *v = args_value(a, kw);
	uint64_t u;

	if (!v || set_once(a, sa, out ? ESPTUN_SA_A_OSEQ : ESPTUN_SA_A_SEQ, kw) ||
	    arg_u64(a, kw, v, UINT64_MAX, &u))
		return EXIT_USAGE;
	if (out)
		sa->oseq = u;
	else
		sa->seq = u;
	return 0;
}

/* "local ADDR" or "remote ADDR" (kw) */
static int parse_endpoint(struct args *a, const char *kw, struct etsa *sa)
{
	struct ipaddr *addr = kw[0] == 'l' ? &sa->local : &sa->remote;
	const char *v = args_value(a, kw);

	if (!v)
		return EXIT_USAGE;
	if (addr->family)
		return usage_error(a, "\"%s\" given twice", kw);
	return arg_addr(a, kw, v, addr) ? EXIT_USAGE : 0;
}

/* Parses "DEV keyword..." for add, update and del. */
static int parse_words(struct args *a, unsigned int allowed,
		       struct etsa *sa, const char **name)
{
	const char *kw, *v;

	if (arg_dev(a, args_next(a), name))
		return EXIT_USAGE;
	while ((kw = args_next(a))) {
		if (!strcmp(kw, "dir") && allowed & K_DIR) {
			if (parse_dir(a, sa))
				return EXIT_USAGE;
		} else if (!strcmp(kw, "spi") && allowed & K_SPI) {
			v = args_value(a, kw);
			if (!v || set_once(a, sa, ESPTUN_SA_A_SPI, kw) ||
			    arg_u32(a, "spi", v, UINT32_MAX, &sa->spi))
				return EXIT_USAGE;
		} else if ((!strcmp(kw, "aead") || !strcmp(kw, "enc") ||
			    !strcmp(kw, "auth") || !strcmp(kw, "auth-trunc")) &&
			   allowed & K_ALG) {
			if (parse_alg(a, kw, sa))
				return EXIT_USAGE;
		} else if (!strcmp(kw, "replay-window") && allowed & K_REPLAY) {
			v = args_value(a, kw);
			if (!v || set_once(a, sa, ESPTUN_SA_A_REPLAY_WINDOW, kw) ||
			    arg_u32(a, kw, v, UINT32_MAX, &sa->replay_window))
				return EXIT_USAGE;
		} else if (!strcmp(kw, "esn") && allowed & K_ESN) {
			if (set_once(a, sa, ESPTUN_SA_A_ESN, kw))
				return EXIT_USAGE;
		} else if ((!strcmp(kw, "seq") || !strcmp(kw, "oseq")) &&
			   allowed & K_SEQ) {
			if (parse_seq(a, kw, sa))
				return EXIT_USAGE;
		} else if (!strcmp(kw, "encap") && allowed & K_ENCAP) {
			if (parse_encap(a, sa))
				return EXIT_USAGE;
		} else if ((!strcmp(kw, "local") && allowed & K_LOCAL) ||
			   (!strcmp(kw, "remote") && allowed & K_REMOTE)) {
			if (parse_endpoint(a, kw, sa))
				return EXIT_USAGE;
		} else if (!strcmp(kw, "lifetime") && allowed & K_LIFETIME) {
			if (parse_lifetime(a, sa))
				return EXIT_USAGE;
		} else if (!strcmp(kw, "sel") && allowed & K_SEL) {
			if (parse_sel(a, sa))
				return EXIT_USAGE;
		} else {
			return usage_error(a, "unknown keyword \"%s\"", kw);
		}
	}
	if (!HAS(sa, DIR))
		return usage_error(a, "missing \"dir in|out\"");
	if (!HAS(sa, SPI))
		return usage_error(a, "missing \"spi SPI\"");
	if (sa->local.family && sa->remote.family &&
	    sa->local.family != sa->remote.family)
		return usage_error(a, "local and remote must both be IPv4 or both IPv6");
	return 0;
}

static int sa_add(int argc, char **argv)
{
	struct etsa sa;
	const char *name;
	struct args a;
	int ret;

	args_init(&a, argc, argv, "sa add", USAGE_ADD);
	if (is_help(args_peek(&a)))
		return usage_help(USAGE_ADD);
	memset(&sa, 0, sizeof(sa));
	ret = parse_words(&a, K_DIR | K_SPI | K_ALG | K_REPLAY | K_ESN |
			  K_SEQ | K_ENCAP | K_LOCAL | K_REMOTE | K_LIFETIME |
			  K_SEL, &sa, &name);
	if (!ret && !HAS(&sa, ENC_ALG))
		ret = usage_error(&a, "missing algorithm: aead NAME KEY ICVBITS, or enc NAME KEY with auth or auth-trunc");
	else if (!ret && HAS(&sa, ENC_ALG) && !HAS(&sa, AUTH_ALG) &&
		 !HAS(&sa, ICV_BITS))
		ret = usage_error(&a, "\"enc\" needs \"auth\" or \"auth-trunc\"");
	else if (!ret && HAS(&sa, AUTH_ALG) && !HAS(&sa, ENC_ALG))
		ret = usage_error(&a, "\"auth\" needs \"enc\"");
	if (!ret) {
		if (dev_index("sa add", name, &sa.ifindex))
			ret = 1;
		else if (ipc_open("sa add") < 0)
			ret = 1;
		else
			ret = ipc_sa_new(sa.ifindex, &sa) < 0 ? 1 : 0;
	}
	ipc_close();
	explicit_bzero(&sa, sizeof(sa));
	return ret;
}

static int sa_update(int argc, char **argv)
{
	struct etsa sa;
	const char *name;
	struct args a;
	int ret;

	args_init(&a, argc, argv, "sa update", USAGE_UPDATE);
	if (is_help(args_peek(&a)))
		return usage_help(USAGE_UPDATE);
	memset(&sa, 0, sizeof(sa));
	/* local picks one of several inbound SAs sharing the SPI. */
	ret = parse_words(&a, K_DIR | K_SPI | K_LOCAL | K_ENCAP | K_REMOTE |
			  K_LIFETIME, &sa, &name);
	if (ret)
		return ret;
	if (!HAS(&sa, ENCAP) && !HAS(&sa, LIFETIME) && !sa.remote.family)
		return usage_error(&a, "nothing to update: give encap, remote or lifetime");
	if (dev_index("sa update", name, &sa.ifindex) ||
	    ipc_open("sa update") < 0)
		return 1;
	ret = ipc_sa_update(sa.ifindex, &sa) < 0 ? 1 : 0;
	ipc_close();
	return ret;
}

static int sa_del(int argc, char **argv)
{
	struct etsa sa;
	const char *name;
	struct args a;
	int ret;

	args_init(&a, argc, argv, "sa del", USAGE_DEL);
	if (is_help(args_peek(&a)))
		return usage_help(USAGE_DEL);
	memset(&sa, 0, sizeof(sa));
	ret = parse_words(&a, K_DIR | K_SPI | K_LOCAL, &sa, &name);
	if (ret)
		return ret;
	if (dev_index("sa del", name, &sa.ifindex) || ipc_open("sa del") < 0)
		return 1;
	ret = ipc_sa_del(sa.ifindex, &sa) < 0 ? 1 : 0;
	ipc_close();
	return ret;
}

static int sa_flush(int argc, char **argv)
{
	const char *name = NULL;
	uint32_t ifindex = 0;
	struct args a;
	int ret;

	args_init(&a, argc, argv, "sa flush", USAGE_FLUSH);
	if (is_help(args_peek(&a)))
		return usage_help(USAGE_FLUSH);
	if (args_more(&a) && arg_dev(&a, args_next(&a), &name))
		return EXIT_USAGE;
	if (args_more(&a))
		return usage_error(&a, "unexpected argument \"%s\"",
				   args_peek(&a));
	if (name && dev_index("sa flush", name, &ifindex))
		return 1;
	if (ipc_open("sa flush") < 0)
		return 1;
	ret = ipc_sa_flush(ifindex) < 0 ? 1 : 0;
	ipc_close();
	return ret;
}

static int sa_alloc_spi(int argc, char **argv, int json)
{
	struct etsa req;
	const char *name, *kw, *v;
	uint32_t ifindex, spi;
	struct args a;
	struct json j;
	int ret;

	args_init(&a, argc, argv, "sa alloc-spi", USAGE_ALLOC);
	if (is_help(args_peek(&a)))
		return usage_help(USAGE_ALLOC);
	memset(&req, 0, sizeof(req));
	if (arg_dev(&a, args_next(&a), &name))
		return EXIT_USAGE;
	while ((kw = args_next(&a))) {
		if (!strcmp(kw, "range")) {
			v = args_value(&a, kw);
			if (!v || set_once(&a, &req, ESPTUN_SA_A_SPI_MIN, kw) ||
			    arg_u32(&a, "range MIN", v, UINT32_MAX,
				    &req.spi_min))
				return EXIT_USAGE;
			v = args_value(&a, "range MIN");
			if (!v || arg_u32(&a, "range MAX", v, UINT32_MAX,
					  &req.spi_max))
				return EXIT_USAGE;
			req.has |= BIT(ESPTUN_SA_A_SPI_MAX);
			if (req.spi_min > req.spi_max)
				return usage_error(&a, "range MIN 0x%x is above MAX 0x%x",
						   req.spi_min, req.spi_max);
		} else if (!strcmp(kw, "reserve")) {
			v = args_value(&a, kw);
			if (!v ||
			    set_once(&a, &req, ESPTUN_SA_A_RESERVE_SECONDS, kw) ||
			    arg_u32(&a, "reserve seconds", v, UINT32_MAX,
				    &req.reserve_seconds))
				return EXIT_USAGE;
		} else if (!strcmp(kw, "local")) {
			v = args_value(&a, kw);
			if (!v)
				return EXIT_USAGE;
			if (req.local.family)
				return usage_error(&a, "\"local\" given twice");
			if (arg_addr(&a, kw, v, &req.local))
				return EXIT_USAGE;
		} else {
			return usage_error(&a, "unknown keyword \"%s\"", kw);
		}
	}
	if (dev_index("sa alloc-spi", name, &ifindex) ||
	    ipc_open("sa alloc-spi") < 0)
		return 1;
	ret = ipc_spi_alloc(ifindex, &req, &spi) < 0 ? 1 : 0;
	ipc_close();
	if (ret)
		return ret;
	if (json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "ifname", name);
		json_spi(&j, spi);
		json_obj_close(&j);
		json_end(&j);
	} else {
		printf("0x%08x\n", spi);
	}
	return fflush(stdout) ? 1 : 0;
}

int cmd_sa(int argc, char **argv, int json)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	struct args a;

	args_init(&a, argc, argv, "sa", usage_all);
	if (!sub)
		return usage_error(&a, "missing subcommand");
	if (is_help(sub))
		return usage_help(usage_all);
	if (!strcmp(sub, "add"))
		return sa_add(argc - 1, argv + 1);
	if (!strcmp(sub, "update"))
		return sa_update(argc - 1, argv + 1);
	if (!strcmp(sub, "del") || !strcmp(sub, "delete"))
		return sa_del(argc - 1, argv + 1);
	if (!strcmp(sub, "flush"))
		return sa_flush(argc - 1, argv + 1);
	if (!strcmp(sub, "alloc-spi") || !strcmp(sub, "allocspi"))
		return sa_alloc_spi(argc - 1, argv + 1, json);
	return usage_error(&a, "unknown subcommand \"%s\"", sub);
}
