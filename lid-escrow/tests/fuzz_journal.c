// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_journal.c - libFuzzer harness of the journal's reader (jnl_open's
 * validation and replay, ibvmig_journal.h): the input is the whole journal
 * file, as a crash, a full disk, a bad sector or anyone who can write the
 * state directory may leave it.  Written against the public API only (the
 * record format is the journal's business, doc/escrow-journal.md), so that
 * it survives a change of that format; the file is a real one in a private
 * directory, through the tests' I/O layer with fsync a no-op (speed).
 *
 * Invariants: jnl_open accepts (0) or refuses the file as damaged
 * (-EBADMSG, with a reason and an offset inside the file, and nothing
 * replayed); an accepted file replays exactly the records it reports, of
 * user types and bounded lengths, with growing sequence numbers below
 * next_seq; a torn last record is reported with the offset and length that
 * end at the file's end, and is cut off the file.  Then the journal is used:
 * one record appended after the replay, the file replays to the same
 * records plus that one, whole; and that last write cut anywhere short of
 * its end replays to the same records as before, reported torn at the
 * offset where the write began and cut back to it.
 */
#include "fuzz.h"
#include "ibvmig_journal.h"
#include "jnl_testio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RECS 4096		/* kept for comparison; the rest only counted */
#define TAIL_PAYLOAD 48		/* the appended record: the input's last bytes */

struct rec_seen {
	uint16_t type;
	bool snapshot;
	uint64_t seq;
	uint32_t len;
	uint64_t hash;
};

struct seen {
	size_t n;
	uint64_t last_seq;
	struct rec_seen r[MAX_RECS];
};

static char dir[256], path[300];

static void cleanup(void)
{
	tio_remove_journal(path);
	rmdir(dir);
}

/* One private directory per process, in memory where there is /dev/shm. */
static void setup(void)
{
	const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";

	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "%s/ibvmig-fuzz-journal.XXXXXX", base);
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/journal", dir);
	atexit(cleanup);
}

static uint64_t fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static int collect(void *ctx, const struct jnl_record *rec)
{
	struct seen *s = ctx;

	FUZZ_CHECK(rec->type >= JNL_TYPE_USER_MIN);
	FUZZ_CHECK(rec->len <= JNL_PAYLOAD_MAX && (rec->data || !rec->len));
	FUZZ_CHECK(!s->n || rec->seq > s->last_seq);
	s->last_seq = rec->seq;
	if (s->n < MAX_RECS)
		s->r[s->n] = (struct rec_seen){ rec->type, rec->snapshot, rec->seq, rec->len,
						fnv(rec->data, rec->len) };
	s->n++;
	return 0;
}

static void write_file(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(!size || write(fd, data, size) == (ssize_t)size);
	FUZZ_CHECK(close(fd) == 0);
}

static uint64_t file_size(void)
{
	struct stat st;

	FUZZ_CHECK(stat(path, &st) == 0);
	return (uint64_t)st.st_size;
}

/* A new handle, locked, opened: jnl_open's answer; *@j to free. */
static int replay(struct tio *t, struct jnl **j, struct seen *s, struct jnl_report *rep)
{
	const struct jnl_config cfg = { .path = path, .io = &t->io };

	tio_init(t);
	t->fsync_noop = true;
	*j = jnl_new(&cfg);
	FUZZ_CHECK(*j != NULL);
	FUZZ_CHECK(jnl_trylock(*j) == 0);
	memset(s, 0, sizeof(*s));
	memset(rep, 0, sizeof(*rep));
	return jnl_open(*j, collect, s, rep);
}

static bool same_records(const struct seen *a, const struct seen *b, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < MAX_RECS; i++)
		if (a->r[i].type != b->r[i].type || a->r[i].seq != b->r[i].seq ||
		    a->r[i].len != b->r[i].len || a->r[i].hash != b->r[i].hash ||
		    a->r[i].snapshot != b->r[i].snapshot)
			return false;
	return true;
}

/* What an accepted file's report says, against what was replayed and the file. */
static void check_accepted(const struct seen *s, const struct jnl_report *rep, size_t size)
{
	FUZZ_CHECK(s->n == rep->snapshot_records + rep->log_records);
	FUZZ_CHECK(!s->n || rep->next_seq > s->last_seq);
	if (rep->created)
		return;
	FUZZ_CHECK(rep->file_bytes == size);
	if (!rep->torn) {
		FUZZ_CHECK(file_size() == size);
		return;
	}
	FUZZ_CHECK(rep->torn_bytes > 0 && rep->torn_offset + rep->torn_bytes == size);
	FUZZ_CHECK(file_size() == rep->torn_offset);
}

static struct seen before, after;

/* The journal in use: a record appended, replayed whole; then that write torn. */
static void check_in_use(struct jnl *j, const struct jnl_report *rep, const uint8_t *data,
			 size_t size)
{
	size_t plen = size < TAIL_PAYLOAD ? size : TAIL_PAYLOAD;
	uint64_t s1 = file_size(), s2, seq = 0, cut;
	struct jnl_report rep2;
	struct tio t;
	int rc;

	rc = jnl_append(j, JNL_TYPE_USER_MIN, data + size - plen, (uint32_t)plen, &seq);
	FUZZ_CHECK(rc == 0 && seq == rep->next_seq);
	s2 = file_size();
	FUZZ_CHECK(s2 > s1);
	jnl_free(j);
	rc = replay(&t, &j, &after, &rep2);
	FUZZ_CHECK(rc == 0 && !rep2.torn && after.n == before.n + 1);
	FUZZ_CHECK(same_records(&before, &after, before.n));
	if (before.n < MAX_RECS)
		FUZZ_CHECK(after.r[before.n].seq == seq && after.r[before.n].len == plen &&
			   after.r[before.n].type == JNL_TYPE_USER_MIN &&
			   after.r[before.n].hash == fnv(data + size - plen, plen));
	jnl_free(j);
	/* A crash in the middle of that write. */
	cut = s1 + (size ? data[0] : 0) % (s2 - s1);
	FUZZ_CHECK(truncate(path, (off_t)cut) == 0);
	rc = replay(&t, &j, &after, &rep2);
	FUZZ_CHECK(rc == 0 && after.n == before.n && same_records(&before, &after, before.n));
	FUZZ_CHECK(rep2.torn == (cut > s1));
	if (cut > s1)
		FUZZ_CHECK(rep2.torn_offset == s1 && rep2.torn_bytes == cut - s1);
	FUZZ_CHECK(file_size() == s1);
	jnl_free(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jnl_report rep;
	struct jnl *j;
	struct tio t;
	int rc;

	setup();
	write_file(data, size);
	rc = replay(&t, &j, &before, &rep);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc) {
		FUZZ_CHECK(rep.why && *rep.why && rep.bad_offset <= size);
		FUZZ_CHECK(before.n == 0);	/* nothing is applied from a damaged file */
		jnl_free(j);
		return 0;
	}
	check_accepted(&before, &rep, size);
	check_in_use(j, &rep, data, size);
	return 0;
}
