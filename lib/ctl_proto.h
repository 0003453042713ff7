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
 *   reply   = "ok\n" BODY | "error: " MESSAGE "\n"
 *
 * BODY is empty except for status. Text status is one line per conn,
 * "conn NAME: STATE ...", each followed by its Dead Peer Detection line
 * "  dpd STATE ..." and its children indented as "  child STATE: ...";
 * "status -j" is one JSON object {"conns":[...]}.
 */
#ifndef ESPTUN_CTL_PROTO_H
#define ESPTUN_CTL_PROTO_H

#define CTL_DEFAULT_PATH	"/run/esptun/esptund.sock"
#define CTL_MAX_LINE		256

#define CTL_CMD_STATUS		"status"
#define CTL_CMD_UP		"up"
#define CTL_CMD_DOWN		"down"
#define CTL_CMD_RELOAD		"reload"
#define CTL_OPT_JSON		"-j"

#define CTL_REPLY_OK		"ok\n"
#define CTL_REPLY_ERROR		"error: "

/* Text status line prefixes. */
#define CTL_STATUS_CONN		"conn "
#define CTL_STATUS_CHILD	"  child "
#define CTL_STATUS_DPD		"  dpd "

#endif /* ESPTUN_CTL_PROTO_H */
