/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trap_table.h - the repath trap table (Algorithm 1 of US 2013/0254424 A1).
 *
 * When a virtual GUID (vGUID) is deleted from a port, the table remembers the
 * path it had (LID, base port GUID).  When the vGUID is set again, the table
 * compares the new path with the remembered one and returns a verdict:
 *
 *   not remembered          -> TT_CREATED        (a new VM; nobody holds a path)
 *   same LID, same port     -> TT_RESTARTED      (a reboot; paths stay valid)
 *   same LID, other port    -> TT_MOVED_SAME_LID (the LID moved with the VM)
 *   different LID           -> TT_MIGRATED       (peers must re-path)
 *
 * A remembered entry is removed whenever it is found, expires after a
 * time-to-live (a VM shut down for good) and is evicted oldest-first when the
 * table is full, so memory stays bounded whatever the rate of deletes.
 *
 * Every accepted event is stamped with the table's epoch (random, chosen at
 * creation) and a sequence number that only grows within the epoch: a
 * receiver of notices derived from the table drops a notice about a vGUID that
 * is older than one it already holds, and a new epoch restarts the count.
 *
 * Time is given by the caller in milliseconds on any clock that does not run
 * backwards across the table's life (the plugin uses the wall clock so that a
 * saved table ages across restarts).  A time that goes back is clamped to the
 * latest time seen, so the table's age order never breaks.
 *
 * THREAD SAFETY: a table is not locked internally.  Every call on one table,
 * readers (tt_lookup, tt_snapshot, tt_stats) included, must be serialised by
 * the caller (the plugin holds its own mutex around each call).  Distinct
 * tables are independent.  The file and image functions (tt_*_file,
 * tt_*_buf) touch no table and may run concurrently with anything.
 *
 * ERRORS: functions return 0 or a negative errno value; no function exits or
 * prints.
 */
#ifndef IBVMIG_TRAP_TABLE_H
#define IBVMIG_TRAP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Unicast LIDs (IBA 1.3 vol 1, 4.1.3): 0 is reserved, 0xC000+ is multicast. */
#define TT_LID_MIN 0x0001
#define TT_LID_MAX 0xBFFF

/* Entries are addressed by 24-bit indices inside the table. */
#define TT_CAPACITY_MAX ((1u << 24) - 2)

enum tt_verdict {
	TT_CREATED = 0,
	TT_RESTARTED = 1,
	TT_MOVED_SAME_LID = 2,
	TT_MIGRATED = 3,
};

/* Why an entry left the table without being found by a set. */
enum tt_drop_reason {
	TT_DROP_EXPIRED = 0,
	TT_DROP_EVICTED = 1,
	TT_DROP_FLUSHED = 2,
};

/* A remembered path: what a vGUID had when it was deleted. */
struct tt_entry_view {
	uint64_t vguid;
	uint64_t port_guid;	/* base port the alias was on */
	uint64_t deleted_at_ms;
	uint16_t lid;		/* base port's LID at the delete */
};

/* Ordering stamp of one accepted event. */
struct tt_stamp {
	uint32_t epoch;
	uint64_t seq;
};

struct tt_set_result {
	enum tt_verdict verdict;
	struct tt_stamp stamp;
	/* The remembered path; all zero when verdict == TT_CREATED. */
	struct tt_entry_view old;
};

typedef void (*tt_drop_cb)(void *ctx, const struct tt_entry_view *entry,
			   enum tt_drop_reason reason);

struct tt_config {
	uint32_t capacity;	/* 1..TT_CAPACITY_MAX remembered vGUIDs */
	uint64_t ttl_ms;	/* 0: entries never expire */
	uint32_t epoch;		/* 0: pick a random epoch */
	tt_drop_cb on_drop;	/* optional; called for expiry/eviction/flush */
	void *drop_ctx;
};

struct tt_stats {
	uint64_t deletes;	/* accepted deletes, replacements included */
	uint64_t replaced;	/* deletes of a vGUID already remembered */
	uint64_t sets;		/* accepted sets */
	uint64_t verdicts[4];	/* indexed by enum tt_verdict */
	uint64_t expired;
	uint64_t evicted;
	uint64_t flushed;
	uint64_t rejected;	/* calls refused with -EINVAL */
	uint64_t restored;	/* entries loaded by tt_restore */
	uint32_t count;		/* entries remembered now */
	uint32_t capacity;
	uint64_t ttl_ms;
	uint32_t epoch;
	uint64_t seq;		/* last stamp handed out */
	uint64_t bytes;		/* memory held by the table */
};

/*
 * Create a table.  Returns NULL with errno set (EINVAL for a bad config,
 * ENOMEM).  The caller owns the table and releases it with tt_destroy().
 */
struct tt_table *tt_create(const struct tt_config *cfg);
void tt_destroy(struct tt_table *t);

/*
 * A vGUID was deleted from a port whose LID was @lid.  Remembers the path,
 * replacing an entry for the same vGUID, evicting the oldest entry when the
 * table is full.  -EINVAL for a zero GUID or a LID outside TT_LID_MIN..MAX.
 * @stamp may be NULL.
 */
int tt_delete(struct tt_table *t, uint64_t vguid, uint16_t lid, uint64_t port_guid,
	      uint64_t now_ms, struct tt_stamp *stamp);

/*
 * A vGUID was set on a port whose LID is @lid.  Fills @res with the verdict
 * and the remembered path, and forgets the entry.  -EINVAL as for tt_delete.
 */
int tt_set(struct tt_table *t, uint64_t vguid, uint16_t lid, uint64_t port_guid,
	   uint64_t now_ms, struct tt_set_result *res);

/*
 * Hand out the next stamp for an event the table does not judge (a base
 * port whose LID changed under its aliases), so that receivers order it
 * with the others.
 */
void tt_stamp(struct tt_table *t, struct tt_stamp *stamp);

/* Expire every entry older than the TTL at @now_ms; returns how many. */
size_t tt_expire(struct tt_table *t, uint64_t now_ms);

/* 0 and @out filled, or -ENOENT. */
int tt_lookup(const struct tt_table *t, uint64_t vguid, struct tt_entry_view *out);

/* Forget one vGUID (0 or -ENOENT), or all of them (returns how many). */
int tt_flush(struct tt_table *t, uint64_t vguid);
size_t tt_flush_all(struct tt_table *t);

/*
 * A consistent copy of every entry, oldest first.  Returns 0 and a malloc'ed
 * array in *@out (the caller frees it; NULL when the table is empty) with its
 * length in *@n, or -ENOMEM.
 */
int tt_snapshot(const struct tt_table *t, struct tt_entry_view **out, size_t *n);

void tt_get_stats(const struct tt_table *t, struct tt_stats *st);

/*
 * Load entries (oldest first, as tt_snapshot gives them) into an empty table.
 * All or nothing: -EBUSY if the table is not empty, -ENOSPC if they exceed
 * the capacity, -EINVAL for an invalid or duplicate entry, -ENOMEM; on error
 * the table is left empty.  Entries already past the TTL expire at the next
 * call that carries a time.
 */
int tt_restore(struct tt_table *t, const struct tt_entry_view *entries, size_t n);

/*
 * The table file: a compact, checksummed image of a snapshot (see
 * doc/trap-table-file.md).  tt_write_file replaces @path atomically (write to
 * a temporary file, fsync, rename).  tt_read_file validates the whole file
 * before it returns anything: a damaged file gives -EBADMSG with a static
 * reason in *@why and nothing else.  Both return -errno for I/O errors.
 */
int tt_write_file(const char *path, const struct tt_entry_view *entries, size_t n);
int tt_read_file(const char *path, struct tt_entry_view **out, size_t *n,
		 const char **why);
/*
 * The same image in memory, for callers that move it themselves and for the
 * fuzzing harness (doc/fuzzing.md): tt_encode_buf gives a malloc'ed image of
 * @n entries (the caller frees it; -EINVAL above TT_CAPACITY_MAX, -ENOMEM);
 * tt_decode_buf checks @len bytes at @buf exactly as tt_read_file checks a
 * file, and reads nothing outside them.  tt_read_file is tt_decode_buf of
 * the file's contents, tt_write_file writes what tt_encode_buf gives.
 */
int tt_encode_buf(const struct tt_entry_view *entries, size_t n, uint8_t **buf, size_t *len);
int tt_decode_buf(const uint8_t *buf, size_t len, struct tt_entry_view **out, size_t *n,
		  const char **why);

const char *tt_verdict_name(enum tt_verdict v);
const char *tt_drop_reason_name(enum tt_drop_reason r);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_TRAP_TABLE_H */
