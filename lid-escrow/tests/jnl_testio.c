// SPDX-License-Identifier: BSD-2-Clause
/* jnl_testio.c - the journal tests' injectable I/O (jnl_testio.h). */
#include "jnl_testio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct tio *tio_of(void *ctx)
{
	return ctx;
}

/* 0 to go on with the call, or the error the call returns. */
static int tio_enter(struct tio *t, unsigned kind)
{
	t->calls++;
	if (t->crashed)
		return -EIO;
	if (t->crash_after && t->calls > t->crash_after) {
		t->crashed = true;
		return -EIO;
	}
	if (t->fail_kinds & kind) {
		t->kind_calls++;
		if (t->kind_calls == t->fail_at) {
			t->failed_kind = kind;
			return -(t->fail_errno ? t->fail_errno : EIO);
		}
	}
	return 0;
}

static int t_open(void *ctx, const char *path, int flags, mode_t mode)
{
	struct tio *t = tio_of(ctx);
	int rc = tio_enter(t, TIO_OPEN);

	return rc ? rc : jnl_io_posix()->open(NULL, path, flags, mode);
}

static int t_close(void *ctx, int fd)
{
	struct tio *t = tio_of(ctx);
	int rc = tio_enter(t, TIO_CLOSE);

	/* A dead process's descriptors are closed all the same. */
	jnl_io_posix()->close(NULL, fd);
	return t->crashed ? 0 : rc;
}

static int t_fstat(void *ctx, int fd, struct stat *st)
{
	int rc = tio_enter(tio_of(ctx), TIO_FSTAT);

	return rc ? rc : jnl_io_posix()->fstat(NULL, fd, st);
}

static ssize_t t_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	int rc = tio_enter(tio_of(ctx), TIO_PREAD);

	return rc ? rc : jnl_io_posix()->pread(NULL, fd, buf, len, off);
}

static ssize_t t_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	struct tio *t = tio_of(ctx);
	int rc = tio_enter(t, TIO_PWRITE);
	ssize_t w;

	if (rc)
		return rc;
	t->pwrites++;
	t->last_pwrite_call = t->calls;
	if (t->max_write && len > t->max_write)
		len = t->max_write;
	if (t->write_budget >= 0 && (int64_t)len > t->write_budget) {
		if (t->write_budget)
			jnl_io_posix()->pwrite(NULL, fd, buf, (size_t)t->write_budget, off);
		t->write_budget = 0;
		t->crashed = true;
		return -EIO;
	}
	w = jnl_io_posix()->pwrite(NULL, fd, buf, len, off);
	if (w > 0 && t->write_budget >= 0)
		t->write_budget -= w;
	return w;
}

static int t_fsync(void *ctx, int fd, bool data_only)
{
	struct tio *t = tio_of(ctx);
	int rc = tio_enter(t, TIO_FSYNC);

	if (rc)
		return rc;
	t->fsyncs++;
	t->last_fsync_call = t->calls;
	return t->fsync_noop ? 0 : jnl_io_posix()->fsync(NULL, fd, data_only);
}

static int t_ftruncate(void *ctx, int fd, off_t len)
{
	int rc = tio_enter(tio_of(ctx), TIO_FTRUNCATE);

	return rc ? rc : jnl_io_posix()->ftruncate(NULL, fd, len);
}

static int t_fchmod(void *ctx, int fd, mode_t mode)
{
	int rc = tio_enter(tio_of(ctx), TIO_FCHMOD);

	return rc ? rc : jnl_io_posix()->fchmod(NULL, fd, mode);
}

static int t_rename(void *ctx, const char *from, const char *to)
{
	int rc = tio_enter(tio_of(ctx), TIO_RENAME);

	return rc ? rc : jnl_io_posix()->rename(NULL, from, to);
}

static int t_unlink(void *ctx, const char *path)
{
	int rc = tio_enter(tio_of(ctx), TIO_UNLINK);

	return rc ? rc : jnl_io_posix()->unlink(NULL, path);
}

static int t_flock(void *ctx, int fd, int op)
{
	int rc = tio_enter(tio_of(ctx), TIO_FLOCK);

	return rc ? rc : jnl_io_posix()->flock(NULL, fd, op);
}

void tio_init(struct tio *t)
{
	memset(t, 0, sizeof(*t));
	t->write_budget = -1;
	t->io = (struct jnl_io){
		.ctx = t, .open = t_open, .close = t_close, .fstat = t_fstat,
		.pread = t_pread, .pwrite = t_pwrite, .fsync = t_fsync,
		.ftruncate = t_ftruncate, .fchmod = t_fchmod, .rename = t_rename,
		.unlink = t_unlink, .flock = t_flock,
	};
}

void tio_remove_journal(const char *path)
{
	char other[4200];

	unlink(path);
	snprintf(other, sizeof(other), "%s.tmp", path);
	unlink(other);
	snprintf(other, sizeof(other), "%s.lock", path);
	unlink(other);
}
