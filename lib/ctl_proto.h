/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The esptund control protocol: the one contract between the daemon
 * (agent/ctl.c) and `esptun ike` (tools/ike.c). A Unix stream socket,
 * mode 0600; the client sends one request line, the daemon writes one
 * reply and closes the connection.
 *
 *   request = command "\n"                 at most CTL_MAX_LINE bytes
 *   command = "status" [" -j"]
 *           | "up" " " NAME                NAME: a conn name, no spaces
 *           | "down" " " NAME
 *           | "reload"
 *           | "keys" " " NAME
 *           | "probe" " " NAME
 *           | "probe-result" " " NAME
 *   reply   = "ok\n" BODY | "error: " MESSAGE "\n"
 *
 * BODY is empty except for status. Text status is one line per conn,
 * "conn NAME: STATE ...", each followed by its Dead Peer Detection line
 * "  dpd STATE ..." and its children indented as "  child STATE: ...";
 * "status -j" is one JSON object {"conns":[...]}.
 * keys answers one line per ISAKMP SA of NAME that has keys, in the form
 * of Wireshark's IKEv1 decryption table: ICOOKIE,ENCRYPTION-KEY (hex);
 * a conn without one is an error.
 *
 * probe starts a path probe of NAME (UDP 500 and UDP 4500 answered?) and
 * answers at once; probe-result then says how far it got, one line each:
 *   "state running" | "state done"
 *   "peer ADDRESS"
 *   "udp PORT STATE RTT-MS SENT ANSWER"   STATE ok, pending, no-answer,
 *                                         send-failed; ANSWER "MM2", a
 *                                         notify name, or "-"
 *   "child IFNAME SPI-IN SPI-OUT raw|encap" | "child IFNAME none"
 *   "nat-t auto|force|no"
 * The ESP verdict is the client's: it reads the module's counters of
 * that SA pair (tools/probe.c).
 *
 * After the children, what the conn's negotiations went through, each
 * line only when there is something to say (`esptun diagnose` and
 * `esptun metrics` read these, so their forms are fixed):
 *   "  messages: sent MSG, received MSG"          MSG "MM1".."QM3", "-"
 *   "  exchanges: main N started N done, quick N started N done, failures N"
 *   "  notify NAME: sent N, received N"           one line per type
 *   "  failure: MSG, N s ago: REASON"             the last failure
 *   "  failure-notify: NAME from the peer" | "... by us"
 *   "  failure-ours: TEXT"  "  failure-theirs: TEXT"
 * TEXT is an esp = list or "LOCAL-TS === REMOTE-TS" (each side's own
 * view), or a peer ID. JSON carries the same as "diag": {...}.
 */
#ifndef ESPTUN_CTL_PROTO_H
#define ESPTUN_CTL_PROTO_H

#define CTL_DEFAULT_PATH	"/run/esptun/esptund.sock"
#define CTL_MAX_LINE		256

#define CTL_CMD_STATUS		"status"
#define CTL_CMD_UP		"up"
#define CTL_CMD_DOWN		"down"
#define CTL_CMD_RELOAD		"reload"
#define CTL_CMD_KEYS		"keys"
#define CTL_CMD_PROBE		"probe"
#define CTL_CMD_PROBE_RESULT	"probe-result"
#define CTL_OPT_JSON		"-j"

#define CTL_REPLY_OK		"ok\n"
#define CTL_REPLY_ERROR		"error: "

/* Text status line prefixes. */
#define CTL_STATUS_CONN		"conn "
#define CTL_STATUS_CHILD	"  child "
#define CTL_STATUS_MODECFG	"  modecfg address "
/* Only for a conn authenticated by signatures: "  auth rsa-sig". */
#define CTL_STATUS_AUTH		"  auth "
#define CTL_STATUS_MESSAGES	"  messages: "
#define CTL_STATUS_EXCHANGES	"  exchanges: "
#define CTL_STATUS_NOTIFY	"  notify "
#define CTL_STATUS_FAILURE	"  failure: "
#define CTL_STATUS_FAIL_NOTIFY	"  failure-notify: "
#define CTL_STATUS_FAIL_OURS	"  failure-ours: "
#define CTL_STATUS_FAIL_THEIRS	"  failure-theirs: "
#define CTL_NOTIFY_FROM_PEER	"from the peer"
#define CTL_NOTIFY_BY_US	"by us"
#define CTL_STATUS_DPD		"  dpd "

#endif /* ESPTUN_CTL_PROTO_H */
