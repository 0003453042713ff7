// SPDX-License-Identifier: GPL-2.0
/*
 * NAT traversal (RFC 3947, RFC 3948; draft-ietf-ipsec-nat-t-ike-02/03):
 *
 *   MM1/MM2   both sides announce NAT-T with vendor IDs; the responder
 *             answers with the best one the initiator offered
 *   MM3/MM4   NAT-D payloads: a hash of the address and port each side
 *             sends to, then of its own; a mismatch shows a NAT
 *   MM5-      with a NAT (or nat-t = force) the initiator moves IKE to
 *             UDP 4500, every datagram behind a 4-byte non-ESP marker
 *   QM        the UDP-encapsulated tunnel mode (3, or 61443 with the
 *             drafts) and the IPsec SAs installed as ESP in UDP
 *   later     keepalives from the side behind the NAT; authentic IKE or
 *             ESP from a new address or port moves the SAs there
 *
 * nat-t = force fakes our own NAT-D, as strongSwan's and libreswan's
 * forced encapsulation does, so both ends put ESP into UDP even where no
 * NAT is in the way (a path that drops ESP but passes UDP).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ike/ikev1.h"
#include "ike/natt.h"
#include "log.h"

/* MD5 of each draft's or the RFC's name, as every implementation sends. */
static const struct {
	enum natt_version v;
	const char *name;
	uint8_t vid[16];
} versions[] = {
	{ NATT_RFC, "RFC 3947",
	  { 0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
	    0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f } },
	{ NATT_DRAFT_03, "draft-03",
	  { 0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f,
	    0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56 } },
	{ NATT_DRAFT_02N, "draft-02\\n",
	  { 0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e,
	    0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f } },
	{ NATT_DRAFT_02, "draft-02",
	  { 0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8,
	    0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48 } },
};

#define N_VERSIONS	(sizeof(versions) / sizeof(versions[0]))

enum natt_version natt_vid_version(const uint8_t *vid, size_t len)
{
	size_t i;

	if (len != 16)
		return NATT_NONE;
	for (i = 0; i < N_VERSIONS; i++)
		if (!memcmp(vid, versions[i].vid, 16))
			return versions[i].v;
	return NATT_NONE;
}

const uint8_t *natt_vid_bytes(enum natt_version v)
{
	size_t i;

	for (i = 0; i < N_VERSIONS; i++)
		if (versions[i].v == v)
			return versions[i].vid;
	return NULL;
}

const char *natt_version_name(enum natt_version v)
{
	size_t i;

	for (i = 0; i < N_VERSIONS; i++)
		if (versions[i].v == v)
			return versions[i].name;
	return "";
}

enum natt_version natt_best_version(const struct isakmp_msg *m)
{
	enum natt_version best = NATT_NONE, v;
	int i;

	for (i = 0; i < m->n; i++) {
		if (m->pl[i].type != ISAKMP_NP_VID)
			continue;
		v = natt_vid_version(m->pl[i].body, m->pl[i].len);
		if (v > best)
			best = v;
	}
	return best;
}

uint8_t natt_natd_type(enum natt_version v)
{
	return v == NATT_RFC ? ISAKMP_NP_NATD : ISAKMP_NP_NATD_DRAFT;
}

uint16_t natt_encap_mode(enum natt_version v)
{
	return v == NATT_RFC ? NATT_ENCAP_UDP_TUNNEL :
	       NATT_ENCAP_UDP_TUNNEL_DRAFT;
}

bool natt_mode_is_udp(uint16_t mode)
{
	return mode == NATT_ENCAP_UDP_TUNNEL ||
	       mode == NATT_ENCAP_UDP_TUNNEL_DRAFT;
}

uint16_t natt_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

void natt_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

size_t natt_hash(unsigned int hash, const uint8_t icookie[8],
		 const uint8_t rcookie[8], const struct sockaddr_storage *ss,
		 uint8_t *out)
{
	uint8_t port[2];
	struct chunk c[4] = {
		{ icookie, 8 }, { rcookie, 8 }, { NULL, 0 }, { port, 2 },
	};
	size_t len = crypto_hash_len(hash);

	if (ss->ss_family == AF_INET) {
		c[2].ptr = (const uint8_t *)
			   &((const struct sockaddr_in *)ss)->sin_addr;
		c[2].len = 4;
	} else if (ss->ss_family == AF_INET6) {
		c[2].ptr = (const uint8_t *)
			   &((const struct sockaddr_in6 *)ss)->sin6_addr;
		c[2].len = 16;
	} else {
		return 0;
	}
	port[0] = natt_port(ss) >> 8;
	port[1] = natt_port(ss) & 0xff;
	if (!len || crypto_hash(hash, c, 4, out))
		return 0;
	return len;
}

int natt_detect(unsigned int hash, const uint8_t icookie[8],
		const uint8_t rcookie[8], const struct isakmp_msg *m,
		uint8_t natd_type, const struct sockaddr_storage *from,
		const struct sockaddr_storage *to, bool *nat_local,
		bool *nat_remote)
{
	uint8_t mine[CRYPTO_MAX_HASH], theirs[CRYPTO_MAX_HASH];
	size_t ml = natt_hash(hash, icookie, rcookie, to, mine);
	size_t tl = natt_hash(hash, icookie, rcookie, from, theirs);
	bool first = true, seen_remote = false, match = false;
	int i, n = 0;

	if (!ml || !tl)
		return -1;
	*nat_local = false;
	for (i = 0; i < m->n; i++) {
		const struct isakmp_payload *p = &m->pl[i];

		if (p->type != natd_type)
			continue;
		n++;
		if (first) {
			/* Where the peer sent it: our address as it saw it. */
			*nat_local = p->len != ml ||
				     !crypto_memeq(p->body, mine, ml);
			first = false;
			continue;
		}
		seen_remote = true;
		if (p->len == tl && crypto_memeq(p->body, theirs, tl))
			match = true;
	}
	if (n < 2 || !seen_remote)
		return -1;
	*nat_remote = !match;
	return 0;
}

bool natt_want_encap(uint8_t mode, enum natt_version v, bool nat_local,
		     bool nat_remote)
{
	if (mode == IKE_NATT_NO || v == NATT_NONE)
		return false;
	return mode == IKE_NATT_FORCE || nat_local || nat_remote;
}

uint64_t natt_keepalive_next(const struct natt_p1 *n, uint32_t keepalive_s,
			     uint64_t last_ms)
{
	if (!keepalive_s || !n->encap || !(n->nat_local || n->forced))
		return 0;
	return last_ms + (uint64_t)keepalive_s * 1000;
}

/* ---- phase 1 hooks (Main Mode; the VIDs in Aggressive Mode too) ---- */

void natt_gen_vids(struct isakmp_gen *g, const struct ike_conn *c)
{
	size_t i;

	if (c->natt == IKE_NATT_NO)
		return;
	for (i = 0; i < N_VERSIONS; i++)
		isakmp_gen_raw(g, ISAKMP_NP_VID, versions[i].vid, 16);
}

void natt_mm1_received(struct p1sa *sa, const struct isakmp_msg *m)
{
	enum natt_version v = natt_best_version(m);

	if (sa->conn->c.natt == IKE_NATT_NO || v == NATT_NONE)
		return;
	sa->natt.version = v;
	log_info("%s %s: peer supports NAT-T (%s)", msg_ck(sa),
		 p1_msg_name(sa, 1), natt_version_name(v));
}

void natt_gen_vid_reply(struct isakmp_gen *g, const struct p1sa *sa)
{
	if (sa->natt.version)
		isakmp_gen_raw(g, ISAKMP_NP_VID,
			       natt_vid_bytes(sa->natt.version), 16);
}

void natt_mm2_received(struct p1sa *sa, const struct isakmp_msg *m)
{
	const struct ike_conn *c = &sa->conn->c;
	enum natt_version v = NATT_NONE;

	if (c->natt != IKE_NATT_NO)
		v = natt_best_version(m);
	sa->natt.version = v;
	if (v)
		log_info("%s %s: NAT-T with the peer (%s)", msg_ck(sa),
			 p1_msg_name(sa, 2), natt_version_name(v));
	else if (natt_mode(sa->conn) == IKE_NATT_FORCE)
		log_warn("%s %s: peer does not support NAT-T: nat-t = force "
			 "of %s cannot apply, ESP stays unencapsulated",
			 msg_ck(sa), p1_msg_name(sa, 2), c->name);
}

/*
 * NAT-D(remote) then NAT-D(local). Forcing encapsulation, our own hash
 * is of an address no packet can come from, so the peer sees a NAT.
 */
void natt_gen_natd(struct isakmp_gen *g, const struct p1sa *sa)
{
	uint8_t h[CRYPTO_MAX_HASH];
	uint8_t type = natt_natd_type(sa->natt.version);
	struct sockaddr_storage fake;
	size_t l;

	if (!sa->natt.version)
		return;
	l = natt_hash(sa->prop.hash, sa->icookie, sa->rcookie, &sa->remote,
		      h);
	if (!l) {
		g->err = true;
		return;
	}
	isakmp_gen_raw(g, type, h, l);
	if (natt_mode(sa->conn) == IKE_NATT_FORCE) {
		memset(&fake, 0, sizeof(fake));
		fake.ss_family = sa->local.ss_family;
		l = natt_hash(sa->prop.hash, sa->icookie, sa->rcookie, &fake,
			      h);
	} else {
		l = natt_hash(sa->prop.hash, sa->icookie, sa->rcookie,
			      &sa->local, h);
	}
	if (!l) {
		g->err = true;
		return;
	}
	isakmp_gen_raw(g, type, h, l);
}

static const char *nat_where(bool local, bool remote)
{
	if (local && remote)
		return "both ends are behind a NAT";
	if (local)
		return "we are behind a NAT";
	if (remote)
		return "the peer is behind a NAT";
	return "no NAT";
}

void natt_natd_received(struct p1sa *sa, const struct isakmp_msg *m,
			const char *name, const struct sockaddr_storage *from,
			const struct sockaddr_storage *to)
{
	bool nl = false, nr = false;

	if (!sa->natt.version)
		return;
	if (natt_detect(sa->prop.hash, sa->icookie, sa->rcookie, m,
			natt_natd_type(sa->natt.version), from, to, &nl,
			&nr)) {
		log_warn("%s %s: NAT-T agreed but no NAT-D payloads: "
			 "NAT-T off", msg_ck(sa), name);
		sa->natt.version = NATT_NONE;
		return;
	}
	sa->natt.nat_local = nl;
	sa->natt.nat_remote = nr;
	sa->natt.forced = natt_mode(sa->conn) == IKE_NATT_FORCE;
	sa->natt.encap = natt_want_encap(natt_mode(sa->conn),
					 sa->natt.version, nl, nr);
	log_info("%s %s: NAT-D: %s%s; ESP %s", msg_ck(sa), name,
		 nat_where(nl, nr), sa->natt.forced ? " (nat-t = force)" : "",
		 sa->natt.encap ? "in UDP" : "unencapsulated");
}

void natt_float(struct p1sa *sa)
{
	if (!sa->natt.encap || sa->natt.floated)
		return;
	natt_set_port(&sa->local, NATT_PORT);
	natt_set_port(&sa->remote, NATT_PORT);
	sa->natt.floated = true;
	log_info("%s IKE floats to UDP port %u", msg_ck(sa), NATT_PORT);
}

/*
 * The successor of an ISAKMP SA that floated starts where that one is:
 * on port 4500 and the NAT's mapping. Port 500 may have no mapping left
 * in the NAT, and a peer behind it can only be reached on the mapping
 * its IKE uses.
 */
void natt_succeed(struct p1sa *sa, const struct p1sa *prev)
{
	if (!prev || !prev->natt.floated)
		return;
	sa->local = prev->local;
	sa->remote = prev->remote;
	sa->natt.floated = true;
}

/* An exchange the peer starts on port 4500 has floated already. */
void natt_responder_new(struct p1sa *sa)
{
	if (natt_port(&sa->local) == NATT_PORT)
		sa->natt.floated = true;
}

/* ---- moving SAs after the peer ---- */

/* Sends SA_UPDATE for one direction of an installed child. */
static void update_child(struct ike_engine *e, struct p2sa *ch,
			 enum ike_sa_dir dir)
{
	struct ike_kernel_sa k;
	int rc;

	if (!e->env.update_sa)
		return;
	memset(&k, 0, sizeof(k));
	k.dir = dir;
	k.spi = dir == IKE_DIR_IN ? ch->spi_in : ch->spi_out;
	k.src = dir == IKE_DIR_IN ? ch->remote : ch->local;
	k.dst = dir == IKE_DIR_IN ? ch->local : ch->remote;
	k.encap = ch->encap;
	if (ch->encap) {
		k.sport = natt_port(&ch->local);
		k.dport = natt_port(&ch->remote);
	}
	rc = e->env.update_sa(e->env.ctx, &ch->conn->c, &k);
	if (rc)
		log_err("kernel refused to move %s SA %08x of %s: %d",
			dir == IKE_DIR_IN ? "inbound" : "outbound", k.spi,
			ch->conn->c.name, rc);
}

/*
 * Children of conn c at old go to remote (the ESP port too when in
 * UDP). Raw ESP has no ports: only the address matters there.
 */
static int move_children(struct ike_engine *e, struct conn_ent *c,
			 const struct sockaddr_storage *old,
			 const struct sockaddr_storage *remote,
			 bool esp_port_known)
{
	struct p2sa *ch;
	int n = 0;

	for (ch = e->p2s; ch; ch = ch->next) {
		uint16_t keep = natt_port(&ch->remote);

		if (ch->conn != c || !(ch->in_installed || ch->out_installed) ||
		    !conn_addr_equal(&ch->remote, old, ch->encap))
			continue;
		ch->remote = *remote;
		if (!ch->encap || !esp_port_known)
			natt_set_port(&ch->remote, keep);
		if (conn_addr_equal(&ch->remote, old, true))
			continue;
		if (ch->in_installed)
			update_child(e, ch, IKE_DIR_IN);
		if (ch->out_installed)
			update_child(e, ch, IKE_DIR_OUT);
		n++;
	}
	return n;
}

void natt_follow(struct ike_engine *e, struct p1sa *sa,
		 const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to)
{
	struct sockaddr_storage old = sa->remote;
	char a[64], b[64];
	int n;

	if (conn_addr_equal(from, &sa->remote, true) &&
	    conn_addr_equal(to, &sa->local, true))
		return;
	if (!sa->natt.floated && natt_port(to) == NATT_PORT &&
	    conn_addr_equal(from, &sa->remote, false)) {
		sa->remote = *from;
		sa->local = *to;
		sa->natt.floated = true;
		log_info("%s peer floated to UDP port %u: IKE follows",
			 msg_ck(sa), natt_port(from));
		return;
	}
	sa->remote = *from;
	sa->local = *to;
	if (natt_port(to) == NATT_PORT)
		sa->natt.floated = true;
	n = move_children(e, sa->conn, &old, from, sa->natt.floated);
	log_info("%s authenticated IKE from %s, was %s (NAT mapping "
		 "changed?): %s and %d IPsec SA pair(s) follow", msg_ck(sa),
		 ike_addr_str(from, a, sizeof(a)),
		 ike_addr_str(&old, b, sizeof(b)), sa->conn->c.name, n);
}

void natt_kernel_moved(struct ike_engine *e, const char *ifname, uint32_t spi,
		       const struct sockaddr_storage *remote, bool encap)
{
	struct sockaddr_storage old;
	struct p2sa *ch;
	struct p1sa *sa;
	char a[64], b[64];
	int n;

	for (ch = e->p2s; ch; ch = ch->next)
		if (ch->spi_in == spi && ch->in_installed &&
		    !strcmp(ch->conn->c.ifname, ifname))
			break;
	if (!ch) {
		log_info_rl("remote moved on %s for SPI %08x: no such IPsec "
			    "SA of ours", ifname, spi);
		return;
	}
	if (encap != ch->encap || remote->ss_family != ch->remote.ss_family) {
		log_warn_rl("remote moved on %s for SPI %08x: %s from %s, "
			    "not followed", ifname, spi,
			    encap ? "ESP in UDP" : "raw ESP",
			    ike_addr_str(remote, a, sizeof(a)));
		return;
	}
	if (conn_addr_equal(remote, &ch->remote, encap))
		return;
	old = ch->remote;
	n = move_children(e, ch->conn, &old, remote, true);
	/* IKE shares the NAT mapping of ESP in UDP: port 4500 both. */
	for (sa = e->p1s; sa; sa = sa->next) {
		if (sa->conn != ch->conn ||
		    !conn_addr_equal(&sa->remote, &old,
				     encap && sa->natt.floated))
			continue;
		if (encap && sa->natt.floated) {
			sa->remote = *remote;
		} else {
			uint16_t keep = natt_port(&sa->remote);

			sa->remote = *remote;
			natt_set_port(&sa->remote, keep);
		}
	}
	log_info("%s: ESP for SPI %08x arrives from %s, was %s (NAT mapping "
		 "changed): %d IPsec SA pair(s) and IKE follow",
		 ch->conn->c.name, spi, ike_addr_str(remote, a, sizeof(a)),
		 ike_addr_str(&old, b, sizeof(b)), n);
}

/* ---- Quick Mode and keepalives ---- */

uint16_t natt_qm_mode(const struct p1sa *p1)
{
	return p1->natt.encap ? natt_encap_mode(p1->natt.version) :
	       IPSEC_ENCAP_TUNNEL;
}

void natt_established(struct ike_engine *e, struct p1sa *sa)
{
	sa->natt.keepalive_at = natt_keepalive_next(&sa->natt,
						    sa->conn->c.keepalive,
						    env_now(e));
}

int64_t natt_next_ms(struct ike_engine *e)
{
	uint64_t now = env_now(e), next = UINT64_MAX;
	struct p1sa *sa;

	for (sa = e->p1s; sa; sa = sa->next)
		if (sa->state == MM_ACTIVE && sa->natt.keepalive_at &&
		    sa->natt.keepalive_at < next)
			next = sa->natt.keepalive_at;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int64_t)(next - now);
}

void natt_run(struct ike_engine *e, uint64_t now)
{
	struct p1sa *sa;

	for (sa = e->p1s; sa; sa = sa->next) {
		if (sa->state != MM_ACTIVE || !sa->natt.keepalive_at ||
		    sa->natt.keepalive_at > now)
			continue;
		if (e->env.send_keepalive &&
		    e->env.send_keepalive(e->env.ctx, &sa->local,
					  &sa->remote) < 0)
			log_warn_rl("%s NAT keepalive could not be sent",
				    msg_ck(sa));
		sa->natt.keepalive_at = natt_keepalive_next(&sa->natt,
							    sa->conn->c.keepalive,
							    now);
	}
}
