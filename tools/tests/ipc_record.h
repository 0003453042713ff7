/* SPDX-License-Identifier: GPL-2.0 */
/* The request counter of ipc_record.c, ipc.h's stand-in for fuzzing. */
#ifndef ESPTUN_TESTS_IPC_RECORD_H
#define ESPTUN_TESTS_IPC_RECORD_H

extern int ipc_requests;

/* esptun.c's main, renamed in the fuzz build. */
int esptun_main(int argc, char **argv);

#endif
