// SPDX-License-Identifier: GPL-2.0
/*
 * Reading esptund.conf and psk-files: opened without blocking, checked
 * for who can change them, read into memory that is wiped, never grown
 * with realloc (which would leave a copy of the old text behind).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/prf.h"
#include "secret_file.h"

/*
 * Why the file must not be trusted, or NULL: anyone but root or
 * esptund's user could change it.
 */
static const char *unsafe(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "is owned by another user (chown it)";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "is writable by group or others (chmod go-w it)";
	return NULL;
}

/* Makes room for at least 4 KiB more; the old buffer is wiped. */
static int grow(struct secret_file *f)
{
	char *nb;

	if (f->cap - f->len >= 4096)
		return 0;
	if (f->cap > SECRET_FILE_MAX)
		return -EFBIG;
	nb = malloc(f->cap + 8192);
	if (!nb)
		return -ENOMEM;
	if (f->text) {
		memcpy(nb, f->text, f->len);
		crypto_wipe(f->text, f->cap);
		free(f->text);
	}
	f->text = nb;
	f->cap += 8192;
	return 0;
}

static int read_all(int fd, struct secret_file *f)
{
	ssize_t n;
	int r;

	for (;;) {
		r = grow(f);
		if (r)
			return r;
		n = read(fd, f->text + f->len, f->cap - f->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		f->len += n;
	}
	f->text[f->len] = '\0';
	return strlen(f->text) == f->len ? 0 : -EINVAL;
}

int secret_file_read(const char *path, bool nofollow, struct secret_file *f,
		     const char **why)
{
	int fd, r;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
		  (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &f->st) || !S_ISREG(f->st.st_mode))
		*why = "not a regular file";
	else
		*why = unsafe(&f->st);
	if (*why) {
		close(fd);
		return -1;
	}
	r = read_all(fd, f);
	close(fd);
	if (!r)
		return 0;
	*why = r == -EFBIG ? "file too large" :
	       r == -EINVAL ? "contains a NUL byte" : strerror(-r);
	secret_file_free(f);
	return -1;
}

void secret_file_free(struct secret_file *f)
{
	if (f->text) {
		crypto_wipe(f->text, f->cap);
		free(f->text);
	}
	f->text = NULL;
	f->len = 0;
	f->cap = 0;
}
