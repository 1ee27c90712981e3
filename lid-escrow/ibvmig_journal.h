/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_journal.h - libibvmig-journal, ibvmig's one durable log: an
 * append-only file of opaque typed records (doc/escrow-journal.md), each
 * with its length, type, sequence number and CRC-32C, written and fsync'd
 * before jnl_append() returns.  The journal knows nothing of what its
 * records mean: the LID escrow (lid_escrow.h) keeps its escrows in it, and
 * other state of the SM-side engine may join it under its own record types.
 *
 * One file holds a snapshot (records that describe the owner's whole state
 * at the last compaction) followed by the log (records appended since).
 * Compaction writes a new file holding only a snapshot, fsyncs it, renames
 * it over the journal and fsyncs the directory: a crash at any point leaves
 * either the old file or the new one, and both restore the same state.
 *
 * Files: the journal at cfg->path, "<path>.tmp" while a compaction or the
 * first creation is under way, and "<path>.lock", the writer lock that
 * stays in place (never renamed, so that a standby waiting on it waits on
 * the file the master holds).  All are mode 0600.  Nothing is ever opened
 * in a way that blocks on a FIFO: every open is O_NONBLOCK and a descriptor
 * that is not a regular file is closed before anything reads it.
 *
 * Use:
 *	j = jnl_new(&cfg);
 *	jnl_lock(j) (a standby waits here) or jnl_trylock(j);
 *	jnl_open(j, apply, ctx, &report);	(replays every record into apply)
 *	jnl_append(j, type, data, len, &seq);	(durable when it returns 0)
 *	if (jnl_compact_due(j)) jnl_compact(j, fill, ctx);
 *	jnl_free(j);				(closes and unlocks)
 *
 * ERRORS: functions return 0 or a negative errno value, never exit or
 * print.  jnl_open gives -EBADMSG for a damaged file with the reason in
 * report->why and the offset in report->bad_offset; a torn last record is
 * not an error (it is dropped, cut off the file and reported).  After a
 * failed fsync, or a failure that leaves the file's end unknown, the journal
 * is poisoned: every later write returns -EIO until it is opened again, so
 * that nothing is acknowledged that a crash could lose.  jnl_why() says why.
 *
 * THREAD SAFETY: a journal is not locked internally; the caller serialises
 * every call on one handle.  The writer lock is an advisory flock(2) on
 * "<path>.lock": it excludes other processes (and other handles in this
 * process), not threads sharing one handle.
 *
 * OWNERSHIP: jnl_new allocates the handle, jnl_free releases it and every
 * descriptor it holds.  Record payloads passed in are copied before the call
 * returns; payloads handed to the apply callback live only during the call.
 */
#ifndef IBVMIG_JOURNAL_H
#define IBVMIG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JNL_HEADER_LEN 40		/* the file header */
#define JNL_RECORD_OVERHEAD 24		/* length, type, flags, seq, index, count ... crc */
#define JNL_BATCH_MAX 65535		/* records in one jnl_append_batch */
#define JNL_PAYLOAD_MAX (1u << 20)	/* bounds what a torn-tail search reads */
/* Types below this are the journal's own (none is used yet). */
#define JNL_TYPE_USER_MIN 0x0100
/*
 * Registered ranges (doc/escrow-journal.md): the escrow's, the engine's, and
 * the escrow's SM service's (its partition overlay, esc_prtn.h).
 */
#define JNL_TYPE_ESCROW_MIN 0x0100
#define JNL_TYPE_ESCROW_MAX 0x01FF
#define JNL_TYPE_ENGINE_MIN 0x0200
#define JNL_TYPE_ENGINE_MAX 0x02FF
#define JNL_TYPE_SERVICE_MIN 0x0300
#define JNL_TYPE_SERVICE_MAX 0x03FF

/*
 * The I/O the journal performs, injectable so that tests can fail or "crash"
 * at each step.  Every function returns what its POSIX namesake does, except
 * that failures are -errno (open: the descriptor or -errno).  fsync's
 * @data_only asks for fdatasync(2).
 */
struct jnl_io {
	void *ctx;
	int (*open)(void *ctx, const char *path, int flags, mode_t mode);
	int (*close)(void *ctx, int fd);
	int (*fstat)(void *ctx, int fd, struct stat *st);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len, off_t off);
	int (*fsync)(void *ctx, int fd, bool data_only);
	int (*ftruncate)(void *ctx, int fd, off_t len);
	int (*fchmod)(void *ctx, int fd, mode_t mode);
	int (*rename)(void *ctx, const char *from, const char *to);
	int (*unlink)(void *ctx, const char *path);
	int (*flock)(void *ctx, int fd, int op);
};

/* The real system calls (a constant table: no state). */
const struct jnl_io *jnl_io_posix(void);

struct jnl_config {
	const char *path;		/* the journal file; its directory must exist */
	/*
	 * Compaction is due when the log outgrows the snapshot by this factor:
	 * log bytes > factor * max(snapshot bytes, compact_min_bytes).
	 * 0: never due (the owner compacts when it likes).
	 */
	uint32_t compact_factor;
	uint64_t compact_min_bytes;	/* 0: 64 KiB */
	uint64_t max_file_bytes;	/* a larger file is refused (-EFBIG); 0: 256 MiB */
	const struct jnl_io *io;	/* NULL: jnl_io_posix() */
};

/* One record as the apply callback sees it. */
struct jnl_record {
	uint16_t type;
	bool snapshot;			/* from the snapshot part, not the log */
	uint64_t seq;
	const void *data;
	uint32_t len;
};

/*
 * Called for every record in file order (snapshot first).  A negative
 * return stops the replay: jnl_open returns it and the journal stays closed.
 */
typedef int (*jnl_apply_fn)(void *ctx, const struct jnl_record *rec);

struct jnl_report {
	bool created;			/* there was no journal: a new, empty one was made */
	bool tmp_removed;		/* a compaction's leftover "<path>.tmp" was removed */
	bool mode_fixed;		/* the file was not 0600 and was made so */
	uint64_t file_bytes;		/* as found */
	uint64_t snapshot_records;
	uint64_t log_records;
	uint64_t next_seq;		/* of the next append */
	bool torn;			/* a torn last record was dropped and cut off */
	uint64_t torn_offset;
	uint64_t torn_bytes;
	const char *why;		/* on -EBADMSG and others: what is wrong (static) */
	uint64_t bad_offset;		/* on -EBADMSG: where */
};

struct jnl_stats {
	uint64_t appends;		/* records acknowledged since jnl_open */
	uint64_t append_calls;
	uint64_t append_bytes;
	uint64_t fsyncs;
	uint64_t compactions;
	uint64_t compaction_errors;
	uint64_t file_bytes;
	uint64_t snapshot_bytes;	/* records of the snapshot part, header excluded */
	uint64_t log_bytes;
	uint64_t next_seq;
	bool open;
	bool locked;
	bool poisoned;
};

/* An input record for jnl_append_batch. */
struct jnl_entry {
	uint16_t type;			/* >= JNL_TYPE_USER_MIN */
	const void *data;
	uint32_t len;			/* <= JNL_PAYLOAD_MAX */
};

/* The compaction's writer, handed to the snapshot callback. */
struct jnl_snap;
/* Writes the owner's whole state with jnl_snap_put(); negative aborts. */
typedef int (*jnl_snapshot_fn)(void *ctx, struct jnl_snap *snap);

/* NULL with errno (EINVAL for a bad config, ENAMETOOLONG, ENOMEM).  No I/O. */
struct jnl *jnl_new(const struct jnl_config *cfg);
/* Closes the journal, releases the lock, frees @j (NULL is a no-op). */
void jnl_free(struct jnl *j);

/*
 * The writer lock.  jnl_lock blocks until this handle holds it (-EINTR if
 * a signal interrupts the wait: call again); jnl_trylock returns -EWOULDBLOCK
 * at once when another holds it.  jnl_unlock closes the journal first.
 * Both lock calls return 0 when the handle already holds the lock.
 */
int jnl_lock(struct jnl *j);
int jnl_trylock(struct jnl *j);
int jnl_unlock(struct jnl *j);

/*
 * Opens the journal (creating an empty one if there is none), validates the
 * whole file, then replays every record into @apply (nothing is applied from
 * a damaged file), cuts off a torn last record, and makes the journal ready
 * for appends.  Needs the lock (-ENOLCK); -EALREADY if open.  -EBADMSG for
 * a damaged file, -EINVAL (report->why) for a path that is not a regular
 * file, -EFBIG for one over max_file_bytes.  @rep may be NULL.
 */
int jnl_open(struct jnl *j, jnl_apply_fn apply, void *ctx, struct jnl_report *rep);

/*
 * Appends records and makes them durable (one write, one fdatasync): when
 * this returns 0 they survive a crash, all of them; a crash before leaves
 * none of them (a replay drops a write it finds incomplete whole).  On an
 * error none was acknowledged:
 * the file is cut back to where it was, and where that is not certain the
 * journal is poisoned.  -EINVAL (bad type or length), -EBADF (not open),
 * -EIO (poisoned), -ENOMEM, or the write's or fsync's -errno.  @seq / @first_seq
 * (may be NULL) get the sequence number of the (first) record.
 */
int jnl_append(struct jnl *j, uint16_t type, const void *data, uint32_t len, uint64_t *seq);
int jnl_append_batch(struct jnl *j, const struct jnl_entry *e, size_t n, uint64_t *first_seq);

/* Whether the log has outgrown the snapshot (see compact_factor). */
bool jnl_compact_due(const struct jnl *j);

/*
 * Replaces the file with one holding only a snapshot that @fill writes.
 * On an error before the rename the old file stays in use and the journal
 * stays usable; a failure to make the rename durable poisons the journal.
 * -EBADF if not open, -EIO if poisoned, @fill's error, or -errno.
 */
int jnl_compact(struct jnl *j, jnl_snapshot_fn fill, void *ctx);
/* Adds one record to the snapshot being written: 0, -EINVAL, -ENOMEM, -errno. */
int jnl_snap_put(struct jnl_snap *s, uint16_t type, const void *data, uint32_t len);

void jnl_get_stats(const struct jnl *j, struct jnl_stats *st);
/* Open and not poisoned: an append can be tried. */
bool jnl_writable(const struct jnl *j);
/* Why the journal was poisoned or its last call failed (static text); "" if none. */
const char *jnl_why(const struct jnl *j);
/* The paths the handle uses (for messages). */
const char *jnl_path(const struct jnl *j);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_JOURNAL_H */
