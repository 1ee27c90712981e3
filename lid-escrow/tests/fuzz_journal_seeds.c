// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_journal_seeds.c - writes the seeds of the journal reader's harness
 * (fuzz_journal.c, doc/fuzzing.md) through the journal's own public API, so
 * that they follow its record format wherever it goes: an empty file, a new
 * journal, appends, a batch, a compaction with a log after it, and the same
 * files torn, flipped and cut short.  `fuzz_journal_seeds DIR` writes
 * DIR/fuzz_journal/seed-*.  Built on demand only:
 * make lid-escrow/tests/fuzz_journal_seeds.
 */
#include "ibvmig_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char work[4096], out[4096];
static int failures;

static int fail(const char *what, int rc)
{
	fprintf(stderr, "fuzz_journal_seeds: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	failures++;
	return rc;
}

static void put(const char *name, const void *buf, size_t n)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", out, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(buf, 1, n, f) != n) || fclose(f))
		fail(path, errno);
}

/* The work journal's bytes as seed @name, cut to @len (0: whole), byte @flip inverted. */
static void take(const char *name, size_t len, long flip)
{
	static uint8_t buf[1 << 16];
	ssize_t n;
	int fd = open(work, O_RDONLY);

	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		fail(work, errno);
		return;
	}
	if (len && (size_t)n > len)
		n = (ssize_t)len;
	if (flip >= 0 && flip < n)
		buf[flip] ^= 0xFF;
	put(name, buf, (size_t)n);
}

static int no_apply(void *ctx, const struct jnl_record *rec)
{
	(void)ctx;
	(void)rec;
	return 0;
}

/* A fresh journal at the work path, open for appends. */
static struct jnl *fresh(void)
{
	const struct jnl_config cfg = { .path = work };
	struct jnl *j;
	int rc;

	unlink(work);
	j = jnl_new(&cfg);
	if (!j) {
		fail("jnl_new", errno);
		return NULL;
	}
	rc = jnl_trylock(j);
	if (!rc)
		rc = jnl_open(j, no_apply, NULL, NULL);
	if (rc) {
		fail("jnl_open", rc);
		jnl_free(j);
		return NULL;
	}
	return j;
}

static uint64_t size_of(const char *p)
{
	struct stat st;

	return stat(p, &st) ? 0 : (uint64_t)st.st_size;
}

static int snapshot(void *ctx, struct jnl_snap *snap)
{
	(void)ctx;
	if (jnl_snap_put(snap, JNL_TYPE_ESCROW_MIN, "escrow-one", 10) ||
	    jnl_snap_put(snap, JNL_TYPE_SERVICE_MIN, "overlay", 7))
		return -EIO;
	return 0;
}

static void appends(void)
{
	static const char big[300] = "a longer record";
	struct jnl *j = fresh();
	uint64_t before_last;

	if (!j)
		return;
	take("header-only", 0, -1);
	jnl_append(j, JNL_TYPE_ESCROW_MIN, "held", 4, NULL);
	jnl_append(j, JNL_TYPE_ENGINE_MIN, "", 0, NULL);
	before_last = size_of(work);
	jnl_append(j, JNL_TYPE_SERVICE_MIN, big, sizeof(big), NULL);
	jnl_free(j);
	take("three-records", 0, -1);
	take("torn-last", (size_t)(before_last + (size_of(work) - before_last) / 2), -1);
	take("flipped-in-last", 0, (long)(before_last + 30));
	take("flipped-header", 0, 3);
	take("header-cut", JNL_HEADER_LEN / 2, -1);
}

static void batch_and_compaction(void)
{
	const struct jnl_entry e[3] = {
		{ JNL_TYPE_ESCROW_MIN, "one", 3 },
		{ JNL_TYPE_ESCROW_MIN + 1, "two", 3 },
		{ JNL_TYPE_USER_MIN, "three", 5 },
	};
	struct jnl *j = fresh();
	uint64_t before_batch;
	int rc;

	if (!j)
		return;
	before_batch = size_of(work);
	rc = jnl_append_batch(j, e, 3, NULL);
	if (rc)
		fail("jnl_append_batch", rc);
	take("batch", 0, -1);
	take("batch-torn", (size_t)(before_batch + (size_of(work) - before_batch) * 2 / 3), -1);
	rc = jnl_compact(j, snapshot, NULL);
	if (rc)
		fail("jnl_compact", rc);
	take("compacted", 0, -1);
	jnl_append(j, JNL_TYPE_ESCROW_MIN, "after", 5, NULL);
	jnl_free(j);
	take("compacted-log", 0, -1);
}

int main(int argc, char **argv)
{
	char lock[4200];

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT-DIR\n", argv[0]);
		return 2;
	}
	snprintf(out, sizeof(out), "%s/fuzz_journal", argv[1]);
	mkdir(argv[1], 0755);
	mkdir(out, 0755);
	snprintf(work, sizeof(work), "%s/work-journal", argv[1]);
	put("empty", "", 0);
	put("not-a-journal", "not a journal\n", 14);
	appends();
	batch_and_compaction();
	unlink(work);
	snprintf(lock, sizeof(lock), "%s.lock", work);
	unlink(lock);
	return failures ? 1 : 0;
}
