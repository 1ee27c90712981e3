/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * jnl_testio.h - the journal tests' I/O layer: the real system calls, with
 * a counter of every call, a failure injected at the Nth call of chosen
 * kinds, and a simulated crash (after N calls, or once a budget of written
 * bytes is spent: the write that spends it lands only in part, and from then
 * on nothing reaches the file, as if the process had died).  Descriptors are
 * still closed after a crash, as the kernel would close them.
 */
#ifndef IBVMIG_JNL_TESTIO_H
#define IBVMIG_JNL_TESTIO_H

#include "ibvmig_journal.h"

#include <stdbool.h>
#include <stdint.h>

enum tio_kind {
	TIO_OPEN = 1 << 0,
	TIO_CLOSE = 1 << 1,
	TIO_FSTAT = 1 << 2,
	TIO_PREAD = 1 << 3,
	TIO_PWRITE = 1 << 4,
	TIO_FSYNC = 1 << 5,
	TIO_FTRUNCATE = 1 << 6,
	TIO_FCHMOD = 1 << 7,
	TIO_RENAME = 1 << 8,
	TIO_UNLINK = 1 << 9,
	TIO_FLOCK = 1 << 10,
	TIO_ALL = (1 << 11) - 1,
};

struct tio {
	struct jnl_io io;		/* hand &t->io to jnl_config.io */
	uint64_t calls;			/* every call */
	unsigned fail_kinds;		/* kinds fail_at counts; 0: none fail */
	uint64_t fail_at;		/* fail the fail_at'th call of those kinds (1-based) */
	uint64_t kind_calls;
	int fail_errno;			/* EIO if 0 */
	unsigned failed_kind;		/* the kind that was failed, 0 if none yet */
	uint64_t crash_after;		/* calls allowed before the crash; 0: no crash */
	int64_t write_budget;		/* bytes that still reach files; < 0: no limit */
	bool crashed;
	bool fsync_noop;		/* speed: the model check does not test durability */
	size_t max_write;		/* > 0: every pwrite writes at most this much */
	uint64_t fsyncs;
	uint64_t pwrites;
	uint64_t last_pwrite_call;	/* call number of the last pwrite / fsync */
	uint64_t last_fsync_call;
};

void tio_init(struct tio *t);
/* Removes the journal at @path and its "<path>.tmp" and "<path>.lock" (real calls). */
void tio_remove_journal(const char *path);

#endif /* IBVMIG_JNL_TESTIO_H */
