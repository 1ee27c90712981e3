// SPDX-License-Identifier: BSD-2-Clause
/*
 * trap_table_file.c - the trap table's save file (doc/trap-table-file.md).
 *
 * The plugin saves the table so that a migration that straddles an SM
 * restart is still told from a creation.  The file is written whole to a
 * temporary name and renamed over the old one, so a crash leaves either the
 * old or the new image; a file damaged anyway (truncated, bit rot, another
 * program's file) fails its checks and is refused whole.
 */
#include "trap_table.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TT_FILE_MAGIC "IBVMTTBL"
#define TT_FILE_VERSION 1
#define TT_FILE_HEADER 16	/* magic[8] version:16 entry_size:16 count:32 */
#define TT_FILE_ENTRY 26	/* vguid:64 port_guid:64 deleted_at_ms:64 lid:16 */
#define TT_FILE_TRAILER 4	/* crc32 of everything before it */

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib and cksum -a crc32b. */
static uint32_t tt_crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;
	size_t i;
	int bit;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

static void put16(uint8_t *p, uint16_t v) { v = htobe16(v); memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { v = htobe32(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { v = htobe64(v); memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return be16toh(v); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return be32toh(v); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return be64toh(v); }

static size_t tt_file_size(size_t n)
{
	return TT_FILE_HEADER + n * TT_FILE_ENTRY + TT_FILE_TRAILER;
}

static void tt_encode(uint8_t *buf, const struct tt_entry_view *entries, size_t n)
{
	uint8_t *p = buf + TT_FILE_HEADER;
	size_t i;

	memcpy(buf, TT_FILE_MAGIC, 8);
	put16(buf + 8, TT_FILE_VERSION);
	put16(buf + 10, TT_FILE_ENTRY);
	put32(buf + 12, (uint32_t)n);
	for (i = 0; i < n; i++, p += TT_FILE_ENTRY) {
		put64(p, entries[i].vguid);
		put64(p + 8, entries[i].port_guid);
		put64(p + 16, entries[i].deleted_at_ms);
		put16(p + 24, entries[i].lid);
	}
	put32(p, tt_crc32(buf, (size_t)(p - buf)));
}

static int tt_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Make the rename itself durable. */
static int tt_sync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc = 0;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

int tt_encode_buf(const struct tt_entry_view *entries, size_t n, uint8_t **out, size_t *len)
{
	uint8_t *buf;

	*out = NULL;
	*len = 0;
	if (n > TT_CAPACITY_MAX)
		return -EINVAL;
	buf = malloc(tt_file_size(n));
	if (!buf)
		return -ENOMEM;
	tt_encode(buf, entries, n);
	*out = buf;
	*len = tt_file_size(n);
	return 0;
}

int tt_write_file(const char *path, const struct tt_entry_view *entries, size_t n)
{
	char tmp[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int fd, rc;

	if (n > TT_CAPACITY_MAX)
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	rc = tt_encode_buf(entries, n, &buf, &len);
	if (rc)
		return rc;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = tt_write_all(fd, buf, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	else
		rc = tt_sync_dir(path);
out:
	free(buf);
	return rc;
}

/*
 * Reads the whole of a regular file of at most @max bytes.  Opened with
 * O_NONBLOCK: the type is known only once it is open, and open(2) of a FIFO
 * for reading waits for a writer, for ever if none comes - the SM's start
 * with it.  For a regular file the flag changes nothing.
 */
static int tt_slurp(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		rc = -EBADMSG;
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EBADMSG;	/* shrank under us */
			free(buf);
			goto out;
		}
		got += (size_t)r;
	}
	*out = buf;
	*len = got;
out:
	close(fd);
	return rc;
}

/* Checks the framing; returns NULL or why the image is refused. */
static const char *tt_check_image(const uint8_t *buf, size_t len, size_t *n)
{
	size_t count;

	if (len < tt_file_size(0))
		return "file too short";
	if (memcmp(buf, TT_FILE_MAGIC, 8))
		return "not a trap table file (bad magic)";
	if (get16(buf + 8) != TT_FILE_VERSION)
		return "unsupported file version";
	if (get16(buf + 10) != TT_FILE_ENTRY)
		return "unexpected entry size";
	count = get32(buf + 12);
	if (count > TT_CAPACITY_MAX || len != tt_file_size(count))
		return "length does not match the entry count";
	if (get32(buf + len - TT_FILE_TRAILER) != tt_crc32(buf, len - TT_FILE_TRAILER))
		return "checksum mismatch";
	*n = count;
	return NULL;
}

static const char *tt_decode(const uint8_t *buf, size_t n, struct tt_entry_view *views)
{
	const uint8_t *p = buf + TT_FILE_HEADER;
	size_t i;

	for (i = 0; i < n; i++, p += TT_FILE_ENTRY) {
		struct tt_entry_view *v = &views[i];

		v->vguid = get64(p);
		v->port_guid = get64(p + 8);
		v->deleted_at_ms = get64(p + 16);
		v->lid = get16(p + 24);
		if (!v->vguid || !v->port_guid || v->lid < TT_LID_MIN || v->lid > TT_LID_MAX)
			return "invalid entry";
		if (i && v->deleted_at_ms < views[i - 1].deleted_at_ms)
			return "entries out of age order";
	}
	return NULL;
}

int tt_decode_buf(const uint8_t *buf, size_t len, struct tt_entry_view **out, size_t *n,
		  const char **why)
{
	struct tt_entry_view *views = NULL;
	const char *reason;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	*why = NULL;
	reason = tt_check_image(buf, len, &count);
	if (!reason && count) {
		views = malloc(count * sizeof(*views));
		if (!views)
			return -ENOMEM;
		reason = tt_decode(buf, count, views);
	}
	if (reason) {
		*why = reason;
		free(views);
		return -EBADMSG;
	}
	*out = views;
	*n = count;
	return 0;
}

int tt_read_file(const char *path, struct tt_entry_view **out, size_t *n, const char **why)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	*n = 0;
	*why = NULL;
	rc = tt_slurp(path, tt_file_size(TT_CAPACITY_MAX), &buf, &len);
	if (rc == -EBADMSG)
		*why = "not a regular file, or too large";
	if (rc)
		return rc;
	rc = tt_decode_buf(buf, len, out, n, why);
	free(buf);
	return rc;
}
