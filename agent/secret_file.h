/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files that hold secrets or say where they are (esptund.conf, psk-file):
 * read only when nobody but root or esptund's user can change them, and
 * never left behind in freed memory.
 */
#ifndef ESPTUND_SECRET_FILE_H
#define ESPTUND_SECRET_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Largest file read whole. */
#define SECRET_FILE_MAX		(1 << 20)

struct secret_file {
	char *text;			/* NUL-terminated */
	size_t len;
	size_t cap;			/* what secret_file_free wipes */
	struct stat st;
};

/*
 * Reads PATH whole into f. Refused: anything but a regular file (a FIFO
 * fails at once instead of blocking), a file owned by another user or
 * writable by group or others, a NUL byte, more than SECRET_FILE_MAX.
 * nofollow refuses a symbolic link. Returns 0, or -1 with the reason in
 * *why (static text or strerror's).
 */
int secret_file_read(const char *path, bool nofollow, struct secret_file *f,
		     const char **why);
/* Wipes and frees the text. */
void secret_file_free(struct secret_file *f);

#endif
