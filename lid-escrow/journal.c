// SPDX-License-Identifier: BSD-2-Clause
/*
 * journal.c - ibvmig's durable log (doc/journal.md): a header, the
 * snapshot's records, then the log's records, each record framed by its
 * length, type, sequence number and a CRC-32C.
 *
 * The crash-safety argument in brief (the document has it whole): every
 * append is fsync'd before it is acknowledged and the next one starts, so
 * only the last record can be torn, and a torn record can have no valid
 * record after it; the snapshot part of a file is complete before the file
 * is renamed into place.  So damage is a torn tail exactly when it is in
 * the log and no valid record follows it; any other damage is corruption,
 * and the replay refuses the file rather than forget what it held.
 */
#include "ibvmig_journal.h"
#include "be_bytes.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define JNL_MAGIC "IBVMJRNL"
#define JNL_VERSION 1
#define JNL_REC_HEAD 20			/* length:32 type:16 flags:16 seq:64 index:16 count:16 */
#define JNL_MODE 0600
#define JNL_COMPACT_MIN_DEFAULT (64u << 10)
#define JNL_MAX_FILE_DEFAULT (256ull << 20)
#define JNL_SNAP_BUF (64u << 10)	/* a compaction writes in chunks of this */
#define JNL_CRC32C_POLY 0x82F63B78u	/* Castagnoli, reflected (RFC 3720, B.4) */

struct jnl {
	const struct jnl_io *io;
	char path[PATH_MAX];
	char tmp_path[PATH_MAX];
	char lock_path[PATH_MAX];
	char dir_path[PATH_MAX];
	uint32_t compact_factor;
	uint64_t compact_min;
	uint64_t max_file;
	int lock_fd;
	int fd;
	bool poisoned;
	uint64_t end;			/* file size: where the next record goes */
	uint64_t snap_end;		/* end of the snapshot part */
	uint64_t next_seq;
	const char *why;
	uint8_t *buf;			/* append encoding buffer */
	size_t buf_cap;
	struct jnl_stats st;
	uint32_t crc_table[256];
};

struct jnl_snap {
	struct jnl *j;
	int fd;
	uint64_t off;			/* where the buffer goes when flushed */
	uint64_t seq;			/* of the next record */
	uint32_t count;
	uint8_t *buf;
	size_t used;
	size_t cap;
};

/* What a scan of a file image found (see jnl_scan). */
struct jnl_scan {
	uint64_t first_seq;
	uint64_t snap_end;
	uint64_t snap_records;
	uint64_t log_records;
	uint64_t end;			/* end of the last valid record */
	uint64_t next_seq;
	bool torn;
	const char *why;
	uint64_t bad_offset;
};

/* ---- CRC-32C --------------------------------------------------------------- */

static void jnl_crc_init(uint32_t table[256])
{
	uint32_t i, c;
	int bit;

	for (i = 0; i < 256; i++) {
		c = i;
		for (bit = 0; bit < 8; bit++)
			c = (c >> 1) ^ (JNL_CRC32C_POLY & -(c & 1));
		table[i] = c;
	}
}

static uint32_t jnl_crc(const struct jnl *j, const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;

	while (len--)
		c = j->crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return ~c;
}

/* ---- the POSIX I/O ------------------------------------------------------------ */

static int px_open(void *ctx, const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags, mode);

	(void)ctx;
	return fd < 0 ? -errno : fd;
}

static int px_close(void *ctx, int fd)
{
	(void)ctx;
	return close(fd) ? -errno : 0;
}

static int px_fstat(void *ctx, int fd, struct stat *st)
{
	(void)ctx;
	return fstat(fd, st) ? -errno : 0;
}

static ssize_t px_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	ssize_t r = pread(fd, buf, len, off);

	(void)ctx;
	return r < 0 ? -errno : r;
}

static ssize_t px_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	ssize_t r = pwrite(fd, buf, len, off);

	(void)ctx;
	return r < 0 ? -errno : r;
}

static int px_fsync(void *ctx, int fd, bool data_only)
{
	(void)ctx;
	return (data_only ? fdatasync(fd) : fsync(fd)) ? -errno : 0;
}

static int px_ftruncate(void *ctx, int fd, off_t len)
{
	(void)ctx;
	return ftruncate(fd, len) ? -errno : 0;
}

static int px_fchmod(void *ctx, int fd, mode_t mode)
{
	(void)ctx;
	return fchmod(fd, mode) ? -errno : 0;
}

static int px_rename(void *ctx, const char *from, const char *to)
{
	(void)ctx;
	return rename(from, to) ? -errno : 0;
}

static int px_unlink(void *ctx, const char *path)
{
	(void)ctx;
	return unlink(path) ? -errno : 0;
}

static int px_flock(void *ctx, int fd, int op)
{
	(void)ctx;
	return flock(fd, op) ? -errno : 0;
}

const struct jnl_io *jnl_io_posix(void)
{
	static const struct jnl_io posix = {
		.open = px_open, .close = px_close, .fstat = px_fstat,
		.pread = px_pread, .pwrite = px_pwrite, .fsync = px_fsync,
		.ftruncate = px_ftruncate, .fchmod = px_fchmod, .rename = px_rename,
		.unlink = px_unlink, .flock = px_flock,
	};

	return &posix;
}

/* ---- small I/O steps ------------------------------------------------------------ */

static int jnl_fail(struct jnl *j, int rc, const char *why)
{
	j->why = why;
	return rc;
}

static void jnl_poison(struct jnl *j, const char *why)
{
	j->poisoned = true;
	j->why = why;
}

/*
 * Opens @path without ever blocking on a FIFO and keeps the descriptor only
 * if it is a regular file; makes it mode 0600 (*@fixed says whether it was
 * not).  The descriptor or -errno (-EINVAL: not a regular file).
 */
static int jnl_open_regular(struct jnl *j, const char *path, int flags, bool *fixed)
{
	const char *why;
	struct stat st;
	int fd, rc;

	fd = j->io->open(j->io->ctx, path, flags | O_NONBLOCK | O_CLOEXEC, JNL_MODE);
	if (fd < 0)
		return jnl_fail(j, fd, "cannot open the file");
	rc = j->io->fstat(j->io->ctx, fd, &st);
	why = "cannot check the file";
	if (!rc && !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		why = "not a regular file";
	}
	if (!rc && (st.st_mode & 07777) != JNL_MODE) {
		rc = j->io->fchmod(j->io->ctx, fd, JNL_MODE);
		why = "cannot make the file mode 0600";
		if (!rc && fixed)
			*fixed = true;
	}
	if (rc) {
		j->io->close(j->io->ctx, fd);
		return jnl_fail(j, rc, why);
	}
	return fd;
}

static int jnl_pwrite_all(struct jnl *j, int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t w = j->io->pwrite(j->io->ctx, fd, p, len, (off_t)off);

		if (w == -EINTR)
			continue;
		if (w < 0)
			return (int)w;
		if (w == 0)
			return -EIO;
		p += w;
		off += (uint64_t)w;
		len -= (size_t)w;
	}
	return 0;
}

static int jnl_pread_all(struct jnl *j, int fd, uint8_t *p, size_t len)
{
	uint64_t off = 0;

	while (len) {
		ssize_t r = j->io->pread(j->io->ctx, fd, p, len, (off_t)off);

		if (r == -EINTR)
			continue;
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -EBADMSG;	/* it shrank under us: another writer */
		p += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

/* Makes a rename in the journal's directory durable. */
static int jnl_sync_dir(struct jnl *j)
{
	int fd, rc;

	fd = j->io->open(j->io->ctx, j->dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	rc = j->io->fsync(j->io->ctx, fd, false);
	j->io->close(j->io->ctx, fd);
	return rc;
}

/* ---- the handle ------------------------------------------------------------------ */

static int jnl_set_paths(struct jnl *j, const char *path)
{
	const char *slash;
	size_t dlen;
	int rc;

	rc = util_copy_str(j->path, sizeof(j->path), path);
	if (rc)
		return rc;
	if (snprintf(j->tmp_path, sizeof(j->tmp_path), "%s.tmp", path) >=
		    (int)sizeof(j->tmp_path) ||
	    snprintf(j->lock_path, sizeof(j->lock_path), "%s.lock", path) >=
		    (int)sizeof(j->lock_path))
		return -ENAMETOOLONG;
	slash = strrchr(path, '/');
	if (slash && !slash[1])
		return -EINVAL;		/* a directory, not a file */
	if (!slash)
		return util_copy_str(j->dir_path, sizeof(j->dir_path), ".");
	dlen = slash == path ? 1 : (size_t)(slash - path);
	memcpy(j->dir_path, path, dlen);
	j->dir_path[dlen] = '\0';
	return 0;
}

struct jnl *jnl_new(const struct jnl_config *cfg)
{
	struct jnl *j;
	int rc;

	if (!cfg || !cfg->path) {
		errno = EINVAL;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	rc = jnl_set_paths(j, cfg->path);
	if (rc) {
		free(j);
		errno = -rc;
		return NULL;
	}
	j->io = cfg->io ? cfg->io : jnl_io_posix();
	j->compact_factor = cfg->compact_factor;
	j->compact_min = cfg->compact_min_bytes ? cfg->compact_min_bytes : JNL_COMPACT_MIN_DEFAULT;
	j->max_file = cfg->max_file_bytes ? cfg->max_file_bytes : JNL_MAX_FILE_DEFAULT;
	j->lock_fd = -1;
	j->fd = -1;
	j->why = "";
	jnl_crc_init(j->crc_table);
	return j;
}

static void jnl_close(struct jnl *j)
{
	if (j->fd >= 0)
		j->io->close(j->io->ctx, j->fd);
	j->fd = -1;
}

void jnl_free(struct jnl *j)
{
	if (!j)
		return;
	jnl_unlock(j);
	free(j->buf);
	free(j);
}

static int jnl_lock_op(struct jnl *j, int op)
{
	int fd, rc;

	if (j->lock_fd >= 0)
		return 0;
	fd = jnl_open_regular(j, j->lock_path, O_RDWR | O_CREAT, NULL);
	if (fd < 0)
		return fd;
	rc = j->io->flock(j->io->ctx, fd, op);
	if (rc) {
		j->io->close(j->io->ctx, fd);
		return jnl_fail(j, rc, "the writer lock is held by another");
	}
	j->lock_fd = fd;
	return 0;
}

int jnl_lock(struct jnl *j)
{
	return jnl_lock_op(j, LOCK_EX);
}

int jnl_trylock(struct jnl *j)
{
	return jnl_lock_op(j, LOCK_EX | LOCK_NB);
}

int jnl_unlock(struct jnl *j)
{
	int rc;

	jnl_close(j);
	if (j->lock_fd < 0)
		return 0;
	rc = j->io->flock(j->io->ctx, j->lock_fd, LOCK_UN);
	j->io->close(j->io->ctx, j->lock_fd);	/* closing releases the lock anyway */
	j->lock_fd = -1;
	return rc;
}

/* ---- the format ------------------------------------------------------------------ */

static void jnl_put_header(const struct jnl *j, uint8_t h[JNL_HEADER_LEN], uint64_t first_seq,
			   uint32_t snap_records, uint64_t snap_end)
{
	memcpy(h, JNL_MAGIC, 8);
	be_put16(h + 8, JNL_VERSION);
	be_put16(h + 10, JNL_HEADER_LEN);
	be_put32(h + 12, 0);
	be_put64(h + 16, first_seq);
	be_put32(h + 24, snap_records);
	be_put64(h + 28, snap_end);
	be_put32(h + 36, jnl_crc(j, h, 36));
}

static const char *jnl_check_header(const struct jnl *j, const uint8_t *buf, uint64_t size,
				    struct jnl_scan *sc)
{
	if (size < JNL_HEADER_LEN)
		return "file shorter than its header";
	if (memcmp(buf, JNL_MAGIC, 8))
		return "not an ibvmig journal (bad magic)";
	if (be_get16(buf + 8) != JNL_VERSION)
		return "unsupported journal version";
	if (be_get16(buf + 10) != JNL_HEADER_LEN || be_get32(buf + 12))
		return "unexpected header size or flags";
	if (be_get32(buf + 36) != jnl_crc(j, buf, 36))
		return "header checksum mismatch";
	sc->first_seq = be_get64(buf + 16);
	sc->snap_records = be_get32(buf + 24);
	sc->snap_end = be_get64(buf + 28);
	if (!sc->first_seq)
		return "sequence numbers start at 0";
	if (sc->snap_end < JNL_HEADER_LEN || sc->snap_end > size)
		return "snapshot cut short";
	return NULL;
}

/* One record, @index of the @count a single write holds. */
static size_t jnl_encode(const struct jnl *j, uint8_t *p, uint16_t type, uint64_t seq,
			 uint16_t index, uint16_t count, const void *data, uint32_t len)
{
	be_put32(p, len);
	be_put16(p + 4, type);
	be_put16(p + 6, 0);
	be_put64(p + 8, seq);
	be_put16(p + 16, index);
	be_put16(p + 18, count);
	if (len)
		memcpy(p + JNL_REC_HEAD, data, len);
	be_put32(p + JNL_REC_HEAD + len, jnl_crc(j, p, JNL_REC_HEAD + (size_t)len));
	return JNL_RECORD_OVERHEAD + (size_t)len;
}

/* A record's place in the write that appended it. */
struct jnl_place {
	uint16_t index;
	uint16_t count;
};

/* Whether a valid record (any sequence number) starts at @off; fills @r and @pl. */
static bool jnl_decode(const struct jnl *j, const uint8_t *buf, uint64_t size, uint64_t off,
		       struct jnl_record *r, struct jnl_place *pl)
{
	const uint8_t *p = buf + off;
	uint32_t len;

	if (size - off < JNL_RECORD_OVERHEAD)
		return false;
	len = be_get32(p);
	if (len > JNL_PAYLOAD_MAX || size - off - JNL_RECORD_OVERHEAD < len)
		return false;
	r->type = be_get16(p + 4);
	pl->index = be_get16(p + 16);
	pl->count = be_get16(p + 18);
	if (r->type < JNL_TYPE_USER_MIN || be_get16(p + 6) || pl->index >= pl->count)
		return false;
	if (be_get32(p + JNL_REC_HEAD + len) != jnl_crc(j, p, JNL_REC_HEAD + (size_t)len))
		return false;
	r->seq = be_get64(p + 8);
	r->data = p + JNL_REC_HEAD;
	r->len = len;
	return true;
}

/*
 * Whether a valid record of a later write than the one starting at
 * @write_seq lies in [@from, @size): then the damage before it was in a
 * write that had been acknowledged.  Records of the write in flight itself
 * may have reached the disk around a lost block: they do not count.
 */
static bool jnl_later_write_after(const struct jnl *j, const uint8_t *buf, uint64_t size,
				  uint64_t from, uint64_t write_seq)
{
	struct jnl_place pl;
	struct jnl_record r;
	uint64_t off;

	for (off = from; off + JNL_RECORD_OVERHEAD <= size; off++)
		if (jnl_decode(j, buf, size, off, &r, &pl) && r.seq - pl.index != write_seq)
			return true;
	return false;
}

static const char *jnl_scan_snapshot(const struct jnl *j, const uint8_t *buf, struct jnl_scan *sc,
				     uint64_t *off, uint64_t *seq)
{
	struct jnl_place pl;
	struct jnl_record r;
	uint64_t n = 0;

	while (*off < sc->snap_end) {
		if (!jnl_decode(j, buf, sc->snap_end, *off, &r, &pl) || pl.count != 1)
			return "damaged record in the snapshot";
		if (r.seq != *seq)
			return "snapshot record out of sequence";
		*off += JNL_RECORD_OVERHEAD + (uint64_t)r.len;
		(*seq)++;
		n++;
	}
	if (n != sc->snap_records)
		return "snapshot record count does not match the header";
	return NULL;
}

/*
 * Reads the log's records write by write from @off: sc->end and
 * sc->next_seq end up after the last complete write; returns where the
 * reading stopped (the end of the file, damage, or a record that cannot
 * follow, with sc->why set).
 */
static uint64_t jnl_scan_log(const struct jnl *j, const uint8_t *buf, uint64_t size,
			     uint64_t off, struct jnl_scan *sc)
{
	struct jnl_place pl;
	struct jnl_record r;
	uint16_t next_index = 0, count = 0;
	uint64_t seq = sc->next_seq, pending = 0;

	sc->end = off;
	while (off < size && jnl_decode(j, buf, size, off, &r, &pl)) {
		if (r.seq != seq) {
			sc->why = "log record out of sequence";
			return off;
		}
		if (pl.index != next_index || (next_index && pl.count != count)) {
			sc->why = "log record out of the order of its write";
			return off;
		}
		count = pl.count;
		off += JNL_RECORD_OVERHEAD + (uint64_t)r.len;
		seq++;
		pending++;
		if (++next_index == count) {
			sc->end = off;
			sc->next_seq = seq;
			sc->log_records += pending;
			pending = 0;
			next_index = 0;
		}
	}
	return off;
}

/*
 * Validates a whole image: 0 with @sc filled, or -EBADMSG with sc->why and
 * sc->bad_offset.  What follows the last complete write is the write that
 * was in flight when the SM stopped, unless a record of a later write
 * follows it: dropped whole (sc->torn), since it was never acknowledged.
 */
static int jnl_scan(const struct jnl *j, const uint8_t *buf, uint64_t size, struct jnl_scan *sc)
{
	uint64_t off = JNL_HEADER_LEN, stop;

	memset(sc, 0, sizeof(*sc));
	sc->why = jnl_check_header(j, buf, size, sc);
	if (sc->why)
		return -EBADMSG;	/* bad_offset 0: the header */
	sc->next_seq = sc->first_seq;
	sc->why = jnl_scan_snapshot(j, buf, sc, &off, &sc->next_seq);
	if (sc->why) {
		sc->bad_offset = off;
		return -EBADMSG;
	}
	stop = jnl_scan_log(j, buf, size, off, sc);
	if (!sc->why && stop < size &&
	    jnl_later_write_after(j, buf, size, stop + 1, sc->next_seq))
		sc->why = "damaged record with valid records of later writes after it";
	if (sc->why) {
		sc->bad_offset = stop;
		return -EBADMSG;
	}
	sc->torn = sc->end < size;
	return 0;
}

/* Feeds every valid record of a scanned image to @apply. */
static int jnl_replay(const struct jnl *j, const uint8_t *buf, const struct jnl_scan *sc,
		      jnl_apply_fn apply, void *ctx, struct jnl_report *rep)
{
	struct jnl_place pl;
	struct jnl_record r;
	uint64_t off = JNL_HEADER_LEN;
	int rc;

	while (off < sc->end) {
		jnl_decode(j, buf, sc->end, off, &r, &pl);
		r.snapshot = off < sc->snap_end;
		rc = apply ? apply(ctx, &r) : 0;
		if (rc < 0) {
			rep->why = "the journal's owner refused a record";
			rep->bad_offset = off;
			return rc;
		}
		off += JNL_RECORD_OVERHEAD + (uint64_t)r.len;
	}
	return 0;
}

/* ---- writing a whole file: creation and compaction --------------------------------- */

static int jnl_snap_flush(struct jnl_snap *s)
{
	int rc;

	if (!s->used)
		return 0;
	rc = jnl_pwrite_all(s->j, s->fd, s->buf, s->used, s->off);
	if (rc)
		return rc;
	s->off += s->used;
	s->used = 0;
	return 0;
}

int jnl_snap_put(struct jnl_snap *s, uint16_t type, const void *data, uint32_t len)
{
	size_t need = JNL_RECORD_OVERHEAD + (size_t)len;
	int rc;

	if (type < JNL_TYPE_USER_MIN || len > JNL_PAYLOAD_MAX || (len && !data) ||
	    s->count == UINT32_MAX)
		return -EINVAL;
	if (s->used + need > s->cap) {
		rc = jnl_snap_flush(s);
		if (rc)
			return rc;
	}
	if (need > s->cap) {
		uint8_t *grown = realloc(s->buf, need);

		if (!grown)
			return -ENOMEM;
		s->buf = grown;
		s->cap = need;
	}
	s->used += jnl_encode(s->j, s->buf + s->used, type, s->seq++, 0, 1, data, len);
	s->count++;
	return 0;
}

/* Writes the temporary file whole and fsyncs it: its descriptor, or -errno. */
static int jnl_write_tmp(struct jnl *j, uint64_t first_seq, jnl_snapshot_fn fill, void *ctx,
			 struct jnl_snap *s)
{
	uint8_t h[JNL_HEADER_LEN];
	int fd, rc;

	rc = j->io->unlink(j->io->ctx, j->tmp_path);	/* an earlier attempt's */
	if (rc && rc != -ENOENT)
		return jnl_fail(j, rc, "cannot remove the old temporary file");
	fd = jnl_open_regular(j, j->tmp_path, O_RDWR | O_CREAT | O_EXCL, NULL);
	if (fd < 0)
		return fd;
	*s = (struct jnl_snap){ .j = j, .fd = fd, .off = JNL_HEADER_LEN, .seq = first_seq,
				.cap = JNL_SNAP_BUF };
	s->buf = malloc(s->cap);
	rc = s->buf ? 0 : -ENOMEM;
	if (!rc && fill)
		rc = fill(ctx, s);
	if (!rc)
		rc = jnl_snap_flush(s);
	if (!rc) {
		jnl_put_header(j, h, first_seq, s->count, s->off);
		rc = jnl_pwrite_all(j, fd, h, sizeof(h), 0);
	}
	if (!rc)
		rc = j->io->fsync(j->io->ctx, fd, false);
	free(s->buf);
	s->buf = NULL;
	if (!rc)
		return fd;
	j->io->close(j->io->ctx, fd);
	j->io->unlink(j->io->ctx, j->tmp_path);
	return jnl_fail(j, rc, "cannot write the new journal file");
}

/*
 * Writes a file holding the snapshot @fill gives and renames it over the
 * journal.  Returns its descriptor; -errno with *@renamed false when the old
 * file is still in place, or with *@renamed true when the new file is in
 * place but the directory could not be synced (the rename may not survive).
 */
static int jnl_install(struct jnl *j, uint64_t first_seq, jnl_snapshot_fn fill, void *ctx,
		       struct jnl_snap *s, bool *renamed)
{
	int fd, rc;

	*renamed = false;
	fd = jnl_write_tmp(j, first_seq, fill, ctx, s);
	if (fd < 0)
		return fd;
	rc = j->io->rename(j->io->ctx, j->tmp_path, j->path);
	if (rc) {
		j->io->close(j->io->ctx, fd);
		j->io->unlink(j->io->ctx, j->tmp_path);
		return jnl_fail(j, rc, "cannot rename the new journal file into place");
	}
	*renamed = true;
	rc = jnl_sync_dir(j);
	if (rc) {
		j->io->close(j->io->ctx, fd);
		return jnl_fail(j, rc, "cannot sync the journal's directory");
	}
	return fd;
}

static void jnl_took(struct jnl *j, int fd, const struct jnl_snap *s)
{
	jnl_close(j);
	j->fd = fd;
	j->end = s->off;
	j->snap_end = s->off;
	j->next_seq = s->seq;
	j->poisoned = false;
}

int jnl_compact(struct jnl *j, jnl_snapshot_fn fill, void *ctx)
{
	struct jnl_snap s;
	bool renamed;
	int fd;

	if (j->fd < 0)
		return -EBADF;
	if (j->poisoned)
		return -EIO;
	fd = jnl_install(j, j->next_seq, fill, ctx, &s, &renamed);
	if (fd < 0) {
		j->st.compaction_errors++;
		if (renamed)
			jnl_poison(j, "compaction: the new file's rename may not be durable");
		return fd;
	}
	jnl_took(j, fd, &s);
	j->st.compactions++;
	return 0;
}

bool jnl_compact_due(const struct jnl *j)
{
	uint64_t log, snap;

	if (j->fd < 0 || !j->compact_factor)
		return false;
	log = j->end - j->snap_end;
	snap = j->snap_end - JNL_HEADER_LEN;
	if (snap < j->compact_min)
		snap = j->compact_min;
	return log > (uint64_t)j->compact_factor * snap;
}

/* ---- open and replay ----------------------------------------------------------------- */

static int jnl_create(struct jnl *j)
{
	struct jnl_snap s;
	bool renamed;
	int fd;

	fd = jnl_install(j, 1, NULL, NULL, &s, &renamed);
	if (fd < 0)
		return fd;
	jnl_took(j, fd, &s);
	return 0;
}

static int jnl_read_image(struct jnl *j, uint8_t **buf, uint64_t *size)
{
	struct stat st;
	int rc;

	rc = j->io->fstat(j->io->ctx, j->fd, &st);
	if (rc)
		return jnl_fail(j, rc, "cannot check the file");
	if ((uint64_t)st.st_size > j->max_file)
		return jnl_fail(j, -EFBIG, "journal larger than max_file_bytes");
	*size = (uint64_t)st.st_size;
	*buf = malloc(*size ? *size : 1);
	if (!*buf)
		return jnl_fail(j, -ENOMEM, "out of memory for the journal's image");
	rc = jnl_pread_all(j, j->fd, *buf, *size);
	if (rc) {
		free(*buf);
		*buf = NULL;
		return jnl_fail(j, rc, "cannot read the journal");
	}
	return 0;
}

/* Cuts a torn last record off, durably, before anything is appended after it. */
static int jnl_cut_torn(struct jnl *j, uint64_t end)
{
	int rc = j->io->ftruncate(j->io->ctx, j->fd, (off_t)end);

	if (!rc)
		rc = j->io->fsync(j->io->ctx, j->fd, false);
	return rc ? jnl_fail(j, rc, "cannot cut off the torn last record") : 0;
}

static int jnl_load(struct jnl *j, jnl_apply_fn apply, void *ctx, struct jnl_report *rep)
{
	struct jnl_scan sc;
	uint8_t *buf = NULL;
	uint64_t size = 0;
	int rc;

	rc = jnl_read_image(j, &buf, &size);
	if (rc)
		return rc;
	rep->file_bytes = size;
	rc = jnl_scan(j, buf, size, &sc);
	if (rc) {
		rep->bad_offset = sc.bad_offset;
		j->why = sc.why;
		goto out;
	}
	rc = jnl_replay(j, buf, &sc, apply, ctx, rep);
	if (rc) {
		j->why = rep->why;
		goto out;
	}
	if (sc.torn) {
		rc = jnl_cut_torn(j, sc.end);
		if (rc)
			goto out;
		rep->torn = true;
		rep->torn_offset = sc.end;
		rep->torn_bytes = size - sc.end;
	}
	rep->snapshot_records = sc.snap_records;
	rep->log_records = sc.log_records;
	j->end = sc.end;
	j->snap_end = sc.snap_end;
	j->next_seq = sc.next_seq;
out:
	free(buf);
	return rc;
}

int jnl_open(struct jnl *j, jnl_apply_fn apply, void *ctx, struct jnl_report *rep)
{
	struct jnl_report local;
	int fd, rc;

	rep = rep ? rep : &local;
	memset(rep, 0, sizeof(*rep));
	if (j->lock_fd < 0)
		return jnl_fail(j, -ENOLCK, "the writer lock is not held");
	if (j->fd >= 0)
		return -EALREADY;
	rc = j->io->unlink(j->io->ctx, j->tmp_path);	/* a compaction's leftover: ours */
	if (rc && rc != -ENOENT) {
		jnl_fail(j, rc, "cannot remove the leftover temporary file");
		goto out;
	}
	rep->tmp_removed = !rc;
	fd = jnl_open_regular(j, j->path, O_RDWR, &rep->mode_fixed);
	if (fd == -ENOENT) {
		rc = jnl_create(j);
		rep->created = !rc;
	} else if (fd >= 0) {
		j->fd = fd;
		j->poisoned = false;
		rc = jnl_load(j, apply, ctx, rep);
	} else {
		rc = fd;
	}
out:
	if (rc) {
		rep->why = j->why;
		jnl_close(j);
		return rc;
	}
	j->why = "";
	memset(&j->st, 0, sizeof(j->st));
	rep->next_seq = j->next_seq;
	return 0;
}

/* ---- appends ------------------------------------------------------------------------- */

static int jnl_reserve(struct jnl *j, size_t need)
{
	uint8_t *grown;

	if (need <= j->buf_cap)
		return 0;
	grown = realloc(j->buf, need);
	if (!grown)
		return -ENOMEM;
	j->buf = grown;
	j->buf_cap = need;
	return 0;
}

/* Encodes a batch into j->buf: its length, or -EINVAL / -ENOMEM. */
static ssize_t jnl_encode_batch(struct jnl *j, const struct jnl_entry *e, size_t n)
{
	size_t total = 0, i, off = 0;
	int rc;

	if (!n || n > JNL_BATCH_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (e[i].type < JNL_TYPE_USER_MIN || e[i].len > JNL_PAYLOAD_MAX ||
		    (e[i].len && !e[i].data))
			return -EINVAL;
		total += JNL_RECORD_OVERHEAD + (size_t)e[i].len;
	}
	rc = jnl_reserve(j, total);
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		off += jnl_encode(j, j->buf + off, e[i].type, j->next_seq + i, (uint16_t)i,
				  (uint16_t)n, e[i].data, e[i].len);
	return (ssize_t)total;
}

/*
 * An append failed: cut the file back so that nothing half-written is left
 * for the next append to follow.  A failed fsync poisons the journal even so:
 * after one, Linux may have dropped dirty pages it reported as lost, and a
 * later fsync's success would prove nothing.
 */
static int jnl_undo(struct jnl *j, int err, bool fsync_failed)
{
	int rc = j->io->ftruncate(j->io->ctx, j->fd, (off_t)j->end);

	if (fsync_failed) {
		if (!rc)
			j->io->fsync(j->io->ctx, j->fd, false);
		jnl_poison(j, "fsync failed: the journal cannot vouch for its writes");
	} else if (rc) {
		jnl_poison(j, "a failed write could not be cut back off the file");
	} else {
		j->why = "write failed (cut back; the journal stays usable)";
	}
	return err;
}

int jnl_append_batch(struct jnl *j, const struct jnl_entry *e, size_t n, uint64_t *first_seq)
{
	ssize_t total;
	int rc;

	if (j->fd < 0)
		return -EBADF;
	if (j->poisoned)
		return -EIO;
	j->st.append_calls++;
	total = jnl_encode_batch(j, e, n);
	if (total < 0)
		return (int)total;
	rc = jnl_pwrite_all(j, j->fd, j->buf, (size_t)total, j->end);
	if (rc)
		return jnl_undo(j, rc, false);
	rc = j->io->fsync(j->io->ctx, j->fd, true);
	j->st.fsyncs++;
	if (rc)
		return jnl_undo(j, rc, true);
	if (first_seq)
		*first_seq = j->next_seq;
	j->end += (uint64_t)total;
	j->next_seq += n;
	j->st.appends += n;
	j->st.append_bytes += (uint64_t)total;
	return 0;
}

int jnl_append(struct jnl *j, uint16_t type, const void *data, uint32_t len, uint64_t *seq)
{
	struct jnl_entry e = { .type = type, .data = data, .len = len };

	return jnl_append_batch(j, &e, 1, seq);
}

/* ---- introspection ------------------------------------------------------------------- */

void jnl_get_stats(const struct jnl *j, struct jnl_stats *st)
{
	*st = j->st;
	st->open = j->fd >= 0;
	st->locked = j->lock_fd >= 0;
	st->poisoned = j->poisoned;
	st->next_seq = j->next_seq;
	if (j->fd >= 0) {
		st->file_bytes = j->end;
		st->snapshot_bytes = j->snap_end - JNL_HEADER_LEN;
		st->log_bytes = j->end - j->snap_end;
	}
}

bool jnl_writable(const struct jnl *j)
{
	return j->fd >= 0 && !j->poisoned;
}

const char *jnl_why(const struct jnl *j)
{
	return j->why ? j->why : "";
}

const char *jnl_path(const struct jnl *j)
{
	return j->path;
}
