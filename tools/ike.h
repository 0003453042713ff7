/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `esptun ike ...`: talks to esptund over its control socket (never to
 * the kernel), so it works the same whatever the agent negotiated.
 */
#ifndef ESPTUN_IKE_H
#define ESPTUN_IKE_H

/* argv[0] is "ike". Exit codes: 0 ok, 1 failure, 2 usage. */
int cmd_ike(int argc, char **argv, int json);

#endif /* ESPTUN_IKE_H */
