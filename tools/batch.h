/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ESPTUN_BATCH_H
#define ESPTUN_BATCH_H

/* Runs one command's words (argv[0] the command); returns its exit code. */
typedef int (*batch_cmd_fn)(int argc, char **argv, int json);

/*
 * Runs each line of file ("-": standard input) through run. Returns 0
 * when every line succeeded, else the first failed line's exit code.
 */
int run_batch(const char *file, int force, int json, batch_cmd_fn run);

#endif /* ESPTUN_BATCH_H */
