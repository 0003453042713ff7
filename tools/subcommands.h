/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The subcommands of esptun.c's table. Each gets its own words with
 * argv[0] its name, and returns the exit code: 0 ok, 1 failure, 2 usage.
 */
#ifndef ESPTUN_SUBCOMMANDS_H
#define ESPTUN_SUBCOMMANDS_H

int cmd_show(int argc, char **argv, int json);
int cmd_set(int argc, char **argv, int json);
int cmd_sa(int argc, char **argv, int json);
int cmd_monitor(int argc, char **argv, int json);
int cmd_encap_listen(int argc, char **argv, int json);
int cmd_decode(int argc, char **argv, int json);

/* Troubleshooting: diagnose.c, metrics.c, probe.c */
int cmd_diagnose(int argc, char **argv, int json);
int cmd_metrics(int argc, char **argv, int json);
int cmd_probe(int argc, char **argv, int json);

#endif /* ESPTUN_SUBCOMMANDS_H */
