// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the journal: appends and replay, durability before an
 * append returns, a crash at every byte of a sequence of appends and of a
 * compaction, an injected failure at every I/O step, torn tails cut off and
 * reported, every flipped byte found, sequence gaps, FIFOs, modes, the
 * writer lock, the compaction trigger.
 *
 * The records are a tiny key-value state machine (set key=value, delete
 * key), so that "the state a replay restores" is a value the tests compare.
 */
#include "ibvmig_journal.h"
#include "jnl_testio.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_SET 0x0100
#define T_DEL 0x0101
#define KEYS 16

static char tmpdir[] = "/tmp/ibvmig-jnl-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static int next;

	next = (next + 1) % 4;
	snprintf(path[next], sizeof(path[next]), "%s/%s", tmpdir, name);
	return path[next];
}

/* ---- the state machine the records drive ------------------------------------------- */

struct kv {
	bool has[KEYS];
	uint8_t len[KEYS];
	uint8_t val[KEYS][32];
	uint64_t records;
	uint64_t snapshot_records;
	uint64_t last_seq;
	bool seq_gap;
};

static int kv_apply(void *ctx, const struct jnl_record *r)
{
	struct kv *kv = ctx;
	const uint8_t *p = r->data;

	if (kv->records && r->seq != kv->last_seq + 1)
		kv->seq_gap = true;
	kv->last_seq = r->seq;
	kv->records++;
	kv->snapshot_records += r->snapshot;
	if (!r->len || p[0] >= KEYS)
		return -EPROTO;
	if (r->type == T_DEL) {
		kv->has[p[0]] = false;
		return 0;
	}
	if (r->len - 1 > 32)
		return -EPROTO;
	kv->has[p[0]] = true;
	kv->len[p[0]] = (uint8_t)(r->len - 1);
	memcpy(kv->val[p[0]], p + 1, r->len - 1);
	return 0;
}

static bool kv_equal(const struct kv *a, const struct kv *b)
{
	int k;

	for (k = 0; k < KEYS; k++) {
		if (a->has[k] != b->has[k])
			return false;
		if (!a->has[k])
			continue;
		if (a->len[k] != b->len[k] || memcmp(a->val[k], b->val[k], a->len[k]))
			return false;
	}
	return true;
}

static int kv_snapshot(void *ctx, struct jnl_snap *s)
{
	const struct kv *kv = ctx;
	uint8_t buf[33];
	int k, rc;

	for (k = 0; k < KEYS; k++) {
		if (!kv->has[k])
			continue;
		buf[0] = (uint8_t)k;
		memcpy(buf + 1, kv->val[k], kv->len[k]);
		rc = jnl_snap_put(s, T_SET, buf, kv->len[k] + 1u);
		if (rc)
			return rc;
	}
	return 0;
}

/* One operation of a test scenario: a set (len bytes of value) or a delete. */
struct op {
	uint16_t type;
	uint8_t key;
	uint8_t len;
	uint8_t fill;
};

static uint32_t op_payload(const struct op *o, uint8_t buf[33])
{
	buf[0] = o->key;
	if (o->type == T_DEL)
		return 1;
	memset(buf + 1, o->fill, o->len);
	return o->len + 1u;
}

static void kv_do(struct kv *kv, const struct op *o)
{
	uint8_t buf[33];
	struct jnl_record r = { .type = o->type, .seq = kv->last_seq + 1, .data = buf };

	r.len = op_payload(o, buf);
	kv_apply(kv, &r);
}

static int append_op(struct jnl *j, const struct op *o)
{
	uint8_t buf[33];

	return jnl_append(j, o->type, buf, op_payload(o, buf), NULL);
}

static const struct op scenario[] = {
	{ T_SET, 1, 5, 0xA1 }, { T_SET, 2, 0, 0 }, { T_SET, 3, 17, 0xC3 }, { T_DEL, 2, 0, 0 },
	{ T_SET, 1, 9, 0xB1 }, { T_SET, 4, 32, 0xD4 }, { T_DEL, 3, 0, 0 }, { T_SET, 5, 1, 0x55 },
};
#define SCENARIO_LEN (sizeof(scenario) / sizeof(scenario[0]))

/* ---- handles ------------------------------------------------------------------------------ */

static struct jnl *new_journal(const char *path, struct tio *t)
{
	struct jnl_config cfg = { .path = path, .io = t ? &t->io : NULL };
	struct jnl *j = jnl_new(&cfg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jnl_lock(j), 0);
	return j;
}

/* Opens @path, replaying into a fresh @kv: jnl_open's result; the handle in *@jp. */
static int open_into(const char *path, struct tio *t, struct kv *kv, struct jnl_report *rep,
		     struct jnl **jp)
{
	struct jnl_config cfg = { .path = path, .io = t ? &t->io : NULL };
	struct jnl *j = jnl_new(&cfg);
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	memset(kv, 0, sizeof(*kv));
	if (rep)
		memset(rep, 0, sizeof(*rep));
	rc = jnl_lock(j);
	if (!rc)
		rc = jnl_open(j, kv_apply, kv, rep);
	*jp = j;
	return rc;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL_FATAL(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void remove_journal(const char *path)
{
	tio_remove_journal(path);
}

/*
 * Builds the scenario's journal at @path: the first @split operations, a
 * compaction (if @compact), then the rest.  Returns the state, and in
 * @ends the file size after each operation.
 */
static void build(const char *path, bool compact, size_t split, struct kv *state,
		  uint64_t ends[SCENARIO_LEN])
{
	struct jnl_stats st;
	struct jnl *j;
	struct kv kv;
	size_t i;

	remove_journal(path);
	memset(state, 0, sizeof(*state));
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &kv, NULL, &j), 0);
	for (i = 0; i < SCENARIO_LEN; i++) {
		if (compact && i == split)
			CU_ASSERT_EQUAL_FATAL(jnl_compact(j, kv_snapshot, state), 0);
		CU_ASSERT_EQUAL_FATAL(append_op(j, &scenario[i]), 0);
		kv_do(state, &scenario[i]);
		jnl_get_stats(j, &st);
		if (ends)
			ends[i] = st.file_bytes;
	}
	jnl_free(j);
}

/* ---- the CRC and the format --------------------------------------------------------------- */

/* A bitwise CRC-32C, independent of the journal's table. */
static uint32_t ref_crc32c(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;
	int b;

	while (len--) {
		c ^= *p++;
		for (b = 0; b < 8; b++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

#define CRAFT_REC 26		/* a crafted record: overhead and a 2-byte payload */

/*
 * A file image by hand: header (first seq 1), then one-record writes of seqs
 * @seqs, the first @snap of them the snapshot; bit i of @bad_crc spoils
 * record i's CRC.
 */
static size_t craft_with_snapshot(uint8_t *buf, const uint64_t *seqs, size_t n,
				  unsigned bad_crc, size_t snap)
{
	size_t off = JNL_HEADER_LEN, i;

	memcpy(buf, "IBVMJRNL", 8);
	put_be(buf + 8, 1, 2);
	put_be(buf + 10, JNL_HEADER_LEN, 2);
	put_be(buf + 12, 0, 4);
	put_be(buf + 16, 1, 8);
	put_be(buf + 24, snap, 4);
	put_be(buf + 28, JNL_HEADER_LEN + snap * CRAFT_REC, 8);
	put_be(buf + 36, ref_crc32c(buf, 36), 4);
	for (i = 0; i < n; i++) {
		uint8_t *r = buf + off;
		uint32_t crc;

		put_be(r, 2, 4);
		put_be(r + 4, T_SET, 2);
		put_be(r + 6, 0, 2);
		put_be(r + 8, seqs[i], 8);
		put_be(r + 16, 0, 2);		/* index 0 of a write of 1 */
		put_be(r + 18, 1, 2);
		r[20] = (uint8_t)i;
		r[21] = 0x42;
		crc = ref_crc32c(r, 22);
		put_be(r + 22, bad_crc >> i & 1 ? ~crc : crc, 4);
		off += CRAFT_REC;
	}
	return off;
}

static size_t craft(uint8_t *buf, const uint64_t *seqs, size_t n, unsigned bad_crc)
{
	return craft_with_snapshot(buf, seqs, n, bad_crc, 0);
}

static void test_crc32c_is_castagnoli(void)
{
	static const uint64_t seqs[] = { 1, 2 };
	struct jnl_report rep;
	uint8_t buf[256];
	struct jnl *j;
	struct kv kv;
	size_t len;

	/* The standard check value (RFC 3720, B.4; "123456789"). */
	CU_ASSERT_EQUAL(ref_crc32c((const uint8_t *)"123456789", 9), 0xE3069283u);
	len = craft(buf, seqs, 2, 0);
	write_file(tmp_path("crafted"), buf, len);
	CU_ASSERT_EQUAL(open_into(tmp_path("crafted"), NULL, &kv, NULL, &j), 0);
	CU_ASSERT_EQUAL(kv.records, 2);
	CU_ASSERT(kv.has[0] && kv.has[1] && kv.val[1][0] == 0x42);
	jnl_free(j);
	/* The first record's CRC wrong, the second's right: damage, not a torn append. */
	len = craft(buf, seqs, 2, 1);
	write_file(tmp_path("crafted"), buf, len);
	CU_ASSERT_EQUAL(open_into(tmp_path("crafted"), NULL, &kv, &rep, &j), -EBADMSG);
	CU_ASSERT_EQUAL(rep.bad_offset, JNL_HEADER_LEN);
	jnl_free(j);
	/* Only the last wrong: the append in flight at a crash, dropped and reported. */
	len = craft(buf, seqs, 2, 2);
	write_file(tmp_path("crafted"), buf, len);
	CU_ASSERT_EQUAL(open_into(tmp_path("crafted"), NULL, &kv, &rep, &j), 0);
	CU_ASSERT(rep.torn);
	CU_ASSERT_EQUAL(kv.records, 1);
	jnl_free(j);
	remove_journal(tmp_path("crafted"));
}

static void test_sequence_gap_is_corruption(void)
{
	static const uint64_t gap[] = { 1, 2, 4, 5 }, dup[] = { 1, 1, 2 }, late[] = { 1, 2, 3 };
	struct jnl_report rep;
	uint8_t buf[256];
	struct jnl *j;
	struct kv kv;

	write_file(tmp_path("seq"), buf, craft(buf, gap, 4, 0));
	CU_ASSERT_EQUAL(open_into(tmp_path("seq"), NULL, &kv, &rep, &j), -EBADMSG);
	CU_ASSERT_EQUAL(rep.bad_offset, JNL_HEADER_LEN + 2 * CRAFT_REC);
	CU_ASSERT_EQUAL(kv.records, 0);		/* nothing applied from a bad file */
	jnl_free(j);
	write_file(tmp_path("seq"), buf, craft(buf, dup, 3, 0));
	CU_ASSERT_EQUAL(open_into(tmp_path("seq"), NULL, &kv, &rep, &j), -EBADMSG);
	jnl_free(j);
	/* A good sequence is fine: the crafting is right; with a snapshot too. */
	write_file(tmp_path("seq"), buf, craft(buf, late, 3, 0));
	CU_ASSERT_EQUAL(open_into(tmp_path("seq"), NULL, &kv, &rep, &j), 0);
	CU_ASSERT_EQUAL(kv.records, 3);
	jnl_free(j);
	write_file(tmp_path("seq"), buf, craft_with_snapshot(buf, late, 3, 0, 2));
	CU_ASSERT_EQUAL(open_into(tmp_path("seq"), NULL, &kv, &rep, &j), 0);
	CU_ASSERT_EQUAL(kv.snapshot_records, 2);
	jnl_free(j);
	/* A gap inside the snapshot. */
	write_file(tmp_path("seq"), buf, craft_with_snapshot(buf, gap, 4, 0, 3));
	CU_ASSERT_EQUAL(open_into(tmp_path("seq"), NULL, &kv, &rep, &j), -EBADMSG);
	CU_ASSERT_EQUAL(rep.bad_offset, JNL_HEADER_LEN + 2 * CRAFT_REC);
	jnl_free(j);
	remove_journal(tmp_path("seq"));
}

/* ---- appends --------------------------------------------------------------------------------- */

static void test_new_journal_is_created_empty(void)
{
	const char *path = tmp_path("new");
	struct jnl_report rep;
	struct jnl *j;
	struct kv kv;
	size_t len;
	uint8_t *buf;

	remove_journal(path);
	CU_ASSERT_EQUAL(open_into(path, NULL, &kv, &rep, &j), 0);
	CU_ASSERT(rep.created);
	CU_ASSERT_EQUAL(rep.next_seq, 1);
	jnl_free(j);
	buf = read_file(path, &len);
	CU_ASSERT_EQUAL(len, JNL_HEADER_LEN);
	CU_ASSERT_EQUAL(memcmp(buf, "IBVMJRNL", 8), 0);
	free(buf);
	CU_ASSERT_EQUAL(open_into(path, NULL, &kv, &rep, &j), 0);
	CU_ASSERT(!rep.created);
	CU_ASSERT_EQUAL(kv.records, 0);
	jnl_free(j);
	remove_journal(path);
}

static void test_appends_replay_in_order(void)
{
	const char *path = tmp_path("replay");
	struct jnl_report rep;
	struct kv want, got;
	struct jnl *j;

	build(path, false, 0, &want, NULL);
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, &rep, &j), 0);
	CU_ASSERT_EQUAL(got.records, SCENARIO_LEN);
	CU_ASSERT_EQUAL(got.snapshot_records, 0);
	CU_ASSERT(!got.seq_gap);
	CU_ASSERT_EQUAL(got.last_seq, SCENARIO_LEN);
	CU_ASSERT_EQUAL(rep.next_seq, SCENARIO_LEN + 1);
	CU_ASSERT(!rep.torn);
	CU_ASSERT(kv_equal(&want, &got));
	jnl_free(j);
	remove_journal(path);
}

static void test_append_is_fsynced_before_it_returns(void)
{
	const char *path = tmp_path("durable");
	struct jnl_entry batch[3];
	uint8_t buf[3][33];
	struct tio t;
	struct kv kv;
	uint64_t seq = 0, fsyncs;
	struct jnl *j;
	int i;

	remove_journal(path);
	tio_init(&t);
	CU_ASSERT_EQUAL_FATAL(open_into(path, &t, &kv, NULL, &j), 0);
	for (i = 0; i < 3; i++) {
		fsyncs = t.fsyncs;
		CU_ASSERT_EQUAL(jnl_append(j, T_SET, "\1xyz", 4, &seq), 0);
		CU_ASSERT_EQUAL(seq, (uint64_t)i + 1);
		/* One fsync, after the last write: nothing is acknowledged unsynced. */
		CU_ASSERT_EQUAL(t.fsyncs, fsyncs + 1);
		CU_ASSERT(t.last_fsync_call > t.last_pwrite_call);
		CU_ASSERT_EQUAL(t.last_fsync_call, t.calls);
	}
	for (i = 0; i < 3; i++) {
		batch[i].type = T_SET;
		batch[i].data = buf[i];
		batch[i].len = op_payload(&scenario[i], buf[i]);
	}
	fsyncs = t.fsyncs;
	CU_ASSERT_EQUAL(jnl_append_batch(j, batch, 3, &seq), 0);
	CU_ASSERT_EQUAL(seq, 4);
	CU_ASSERT_EQUAL(t.fsyncs, fsyncs + 1);	/* a batch is one write, one fsync */
	jnl_free(j);
	CU_ASSERT_EQUAL(open_into(path, NULL, &kv, NULL, &j), 0);
	CU_ASSERT_EQUAL(kv.records, 6);
	jnl_free(j);
	remove_journal(path);
}

static void test_bad_calls_are_refused(void)
{
	const char *path = tmp_path("bad");
	struct jnl_config cfg = { .path = path };
	uint8_t big[16];
	struct jnl *j;
	struct kv kv;

	remove_journal(path);
	CU_ASSERT_PTR_NULL(jnl_new(NULL));
	cfg.path = "";
	CU_ASSERT_PTR_NULL(jnl_new(&cfg));
	cfg.path = "/tmp/dir/";
	CU_ASSERT_PTR_NULL(jnl_new(&cfg));
	cfg.path = path;
	j = jnl_new(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jnl_append(j, T_SET, "\1", 1, NULL), -EBADF);
	CU_ASSERT_EQUAL(jnl_open(j, kv_apply, &kv, NULL), -ENOLCK);
	CU_ASSERT_EQUAL(jnl_lock(j), 0);
	CU_ASSERT_EQUAL(jnl_lock(j), 0);	/* held already */
	CU_ASSERT_EQUAL(jnl_open(j, kv_apply, &kv, NULL), 0);
	CU_ASSERT_EQUAL(jnl_open(j, kv_apply, &kv, NULL), -EALREADY);
	CU_ASSERT_EQUAL(jnl_append(j, 0x00FF, "\1", 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(jnl_append(j, 0, "\1", 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(jnl_append(j, T_SET, NULL, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(jnl_append(j, T_SET, big, JNL_PAYLOAD_MAX + 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(jnl_append_batch(j, NULL, 0, NULL), -EINVAL);
	CU_ASSERT(jnl_writable(j));
	CU_ASSERT_EQUAL(jnl_unlock(j), 0);
	CU_ASSERT(!jnl_writable(j));
	CU_ASSERT_EQUAL(jnl_append(j, T_SET, "\1", 1, NULL), -EBADF);
	jnl_free(j);
	remove_journal(path);
}

static void test_short_writes_are_completed(void)
{
	const char *path = tmp_path("short");
	struct kv want, got;
	struct tio t;
	struct jnl *j;
	size_t i;

	remove_journal(path);
	tio_init(&t);
	t.max_write = 7;
	memset(&want, 0, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(open_into(path, &t, &got, NULL, &j), 0);
	for (i = 0; i < SCENARIO_LEN; i++) {
		CU_ASSERT_EQUAL(append_op(j, &scenario[i]), 0);
		kv_do(&want, &scenario[i]);
	}
	CU_ASSERT_EQUAL(jnl_compact(j, kv_snapshot, &want), 0);
	jnl_free(j);
	CU_ASSERT_EQUAL(open_into(path, NULL, &got, NULL, &j), 0);
	CU_ASSERT(kv_equal(&want, &got));
	jnl_free(j);
	remove_journal(path);
}

/* ---- crashes --------------------------------------------------------------------------------- */

/*
 * The file cut at every byte: a prefix is what a crash during an append can
 * leave (the appends before it were fsync'd).  Every complete record comes
 * back; a partial one is a torn tail, reported and cut off so that the next
 * append follows a whole record.
 */
static void check_every_prefix(const char *path, bool compact, size_t split)
{
	uint64_t ends[SCENARIO_LEN], snap_end = JNL_HEADER_LEN, boundary;
	const char *cut = tmp_path("cut");
	struct jnl_report rep;
	struct kv want, got;
	size_t len, t, done, i;
	struct jnl *j;
	uint8_t *image;
	int rc;

	build(path, compact, split, &want, ends);
	image = read_file(path, &len);
	if (compact)
		snap_end = get_be64(image + 28);
	for (t = 0; t <= len; t++) {
		remove_journal(cut);
		write_file(cut, image, t);
		rc = open_into(cut, NULL, &got, &rep, &j);
		if (t < snap_end) {
			/* The header and a snapshot were complete before the rename. */
			CU_ASSERT_EQUAL(rc, -EBADMSG);
			jnl_free(j);
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		done = compact ? split : 0;
		boundary = snap_end;
		for (i = compact ? split : 0; i < SCENARIO_LEN && ends[i] <= t; i++) {
			done = i + 1;
			boundary = ends[i];
		}
		memset(&want, 0, sizeof(want));
		for (i = 0; i < done; i++)
			kv_do(&want, &scenario[i]);
		CU_ASSERT(kv_equal(&want, &got));
		CU_ASSERT_EQUAL(rep.torn, t != boundary);
		CU_ASSERT_EQUAL(rep.torn_bytes, t - boundary);
		/* The next append goes after the last whole record. */
		CU_ASSERT_EQUAL(append_op(j, &scenario[0]), 0);
		kv_do(&want, &scenario[0]);
		jnl_free(j);
		CU_ASSERT_EQUAL_FATAL(open_into(cut, NULL, &got, &rep, &j), 0);
		CU_ASSERT(!rep.torn);
		CU_ASSERT(kv_equal(&want, &got));
		jnl_free(j);
	}
	free(image);
	remove_journal(cut);
	remove_journal(path);
}

static void test_crash_at_every_byte_of_appends(void)
{
	check_every_prefix(tmp_path("appends"), false, 0);
}

static void test_crash_at_every_byte_after_a_compaction(void)
{
	check_every_prefix(tmp_path("compacted"), true, 5);
}

/*
 * A compaction crashed after @budget bytes (or after @calls I/O calls): the
 * journal reopened must restore exactly the state before it, and take
 * appends again.  Returns whether the crash hit (the budget was reached).
 */
static bool crash_compaction(const char *path, int64_t budget, uint64_t calls)
{
	struct jnl_report rep;
	struct kv want, got;
	struct tio t;
	struct jnl *j;

	build(path, false, 0, &want, NULL);
	tio_init(&t);
	CU_ASSERT_EQUAL_FATAL(open_into(path, &t, &got, NULL, &j), 0);
	t.write_budget = budget;
	t.crash_after = calls ? t.calls + calls : 0;
	jnl_compact(j, kv_snapshot, &want);
	jnl_free(j);			/* the process "died": its descriptors close */
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, &rep, &j), 0);
	CU_ASSERT(kv_equal(&want, &got));
	CU_ASSERT(!rep.torn);
	CU_ASSERT_EQUAL(append_op(j, &scenario[2]), 0);
	kv_do(&want, &scenario[2]);
	jnl_free(j);
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, &rep, &j), 0);
	CU_ASSERT(kv_equal(&want, &got));
	jnl_free(j);
	return t.crashed;
}

static void test_crash_at_every_byte_of_a_compaction(void)
{
	const char *path = tmp_path("compaction");
	int64_t budget;
	uint64_t calls;

	for (budget = 0; crash_compaction(path, budget, 0); budget++)
		;
	CU_ASSERT(budget > JNL_HEADER_LEN);	/* every byte of the new file was a crash point */
	for (calls = 1; crash_compaction(path, -1, calls); calls++)
		;
	CU_ASSERT(calls > 5);			/* open, writes, fsync, rename, directory sync */
	remove_journal(path);
}

/*
 * The scenario with the @n'th I/O call (of @kinds) failing.  Afterwards the
 * journal reopened holds every acknowledged change and at most the one in
 * flight (a failed fsync cannot say whether it reached the disk).  Returns
 * whether the failure was injected at all.
 */
static bool fail_scenario(const char *path, unsigned kinds, uint64_t n)
{
	struct kv acked, inflight, got;
	struct tio t;
	struct jnl *j;
	size_t i;
	int rc;

	remove_journal(path);
	memset(&acked, 0, sizeof(acked));
	tio_init(&t);
	t.fail_kinds = kinds;
	t.fail_at = n;
	rc = open_into(path, &t, &got, NULL, &j);
	for (i = 0; !rc && i < SCENARIO_LEN; i++) {
		inflight = acked;
		kv_do(&inflight, &scenario[i]);
		if (append_op(j, &scenario[i]) == 0)
			acked = inflight;
		else
			break;
		if ((i == 2 || i == 5) && jnl_compact(j, kv_snapshot, &acked))
			break;
	}
	if (rc)
		inflight = acked;
	jnl_free(j);
	rc = open_into(path, NULL, &got, NULL, &j);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(kv_equal(&got, &acked) || kv_equal(&got, &inflight));
	jnl_free(j);
	return t.failed_kind != 0;
}

static void test_every_injected_failure_keeps_what_was_acknowledged(void)
{
	const char *path = tmp_path("inject");
	static const unsigned kinds[] = { TIO_ALL, TIO_PWRITE, TIO_FSYNC, TIO_RENAME,
					  TIO_FTRUNCATE | TIO_FSYNC };
	size_t k;
	uint64_t n;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (n = 1; fail_scenario(path, kinds[k], n); n++)
			;
		CU_ASSERT(n > 3);
	}
	remove_journal(path);
}

static void test_failed_fsync_poisons_the_journal(void)
{
	const char *path = tmp_path("poison");
	struct kv got;
	struct tio t;
	struct jnl *j;

	remove_journal(path);
	tio_init(&t);
	CU_ASSERT_EQUAL_FATAL(open_into(path, &t, &got, NULL, &j), 0);
	CU_ASSERT_EQUAL(append_op(j, &scenario[0]), 0);
	t.fail_kinds = TIO_FSYNC;
	t.fail_at = 1;
	t.kind_calls = 0;
	CU_ASSERT_EQUAL(append_op(j, &scenario[2]), -EIO);
	CU_ASSERT(!jnl_writable(j));
	CU_ASSERT_EQUAL(append_op(j, &scenario[4]), -EIO);	/* nothing more is acknowledged */
	CU_ASSERT_EQUAL(jnl_compact(j, kv_snapshot, &got), -EIO);
	CU_ASSERT(strlen(jnl_why(j)) > 0);
	jnl_free(j);
	CU_ASSERT_EQUAL(open_into(path, NULL, &got, NULL, &j), 0);
	CU_ASSERT_EQUAL(got.records, 1);	/* the unacknowledged record was cut back */
	CU_ASSERT(jnl_writable(j));		/* a new open starts clean */
	jnl_free(j);
	remove_journal(path);
}

static void test_failed_write_is_cut_back_and_usable(void)
{
	const char *path = tmp_path("wfail");
	struct kv got;
	struct tio t;
	struct jnl *j;

	remove_journal(path);
	tio_init(&t);
	t.max_write = 5;
	CU_ASSERT_EQUAL_FATAL(open_into(path, &t, &got, NULL, &j), 0);
	t.fail_kinds = TIO_PWRITE;
	t.fail_at = 3;			/* in the middle of the record */
	t.kind_calls = 0;
	CU_ASSERT_EQUAL(append_op(j, &scenario[3]), -EIO);
	CU_ASSERT(jnl_writable(j));
	CU_ASSERT_EQUAL(append_op(j, &scenario[0]), 0);
	jnl_free(j);
	CU_ASSERT_EQUAL(open_into(path, NULL, &got, NULL, &j), 0);
	CU_ASSERT_EQUAL(got.records, 1);
	CU_ASSERT(got.has[1]);
	jnl_free(j);
	remove_journal(path);
}

static void test_unsynced_directory_after_rename_poisons(void)
{
	const char *path = tmp_path("dirsync");
	struct kv want, got;
	struct tio t;
	struct jnl *j;

	build(path, false, 0, &want, NULL);
	tio_init(&t);
	CU_ASSERT_EQUAL_FATAL(open_into(path, &t, &got, NULL, &j), 0);
	t.fail_kinds = TIO_FSYNC;
	t.fail_at = 2;			/* the new file's fsync passes, the directory's fails */
	t.kind_calls = 0;
	CU_ASSERT(jnl_compact(j, kv_snapshot, &want) < 0);
	CU_ASSERT(!jnl_writable(j));
	jnl_free(j);
	CU_ASSERT_EQUAL(open_into(path, NULL, &got, NULL, &j), 0);
	CU_ASSERT(kv_equal(&want, &got));
	CU_ASSERT_EQUAL(got.snapshot_records, got.records);	/* the new file is in place */
	jnl_free(j);
	remove_journal(path);
}

/* ---- damage ---------------------------------------------------------------------------------- */

static void test_torn_tail_is_cut_and_reported(void)
{
	const char *path = tmp_path("torn");
	static const uint8_t half[] = { 0, 0, 0, 9, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 3 };
	struct jnl_report rep;
	struct kv want, got;
	uint8_t *image;
	struct jnl *j;
	size_t len;
	int fd;

	build(path, false, 0, &want, NULL);
	image = read_file(path, &len);
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_EQUAL_FATAL(write(fd, half, sizeof(half)), (ssize_t)sizeof(half));
	close(fd);
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, &rep, &j), 0);
	CU_ASSERT(rep.torn);
	CU_ASSERT_EQUAL(rep.torn_offset, len);
	CU_ASSERT_EQUAL(rep.torn_bytes, sizeof(half));
	CU_ASSERT(kv_equal(&want, &got));
	CU_ASSERT_EQUAL(append_op(j, &scenario[7]), 0);
	kv_do(&want, &scenario[7]);
	jnl_free(j);
	free(image);
	image = read_file(path, &len);
	free(image);
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, &rep, &j), 0);
	CU_ASSERT(!rep.torn);
	CU_ASSERT(kv_equal(&want, &got));
	jnl_free(j);
	remove_journal(path);
}

/*
 * A batch is one write: cut anywhere inside it, or with its first record's
 * block lost while later ones reached the disk, it is dropped whole.
 */
static void test_torn_batch_is_dropped_whole(void)
{
	const char *path = tmp_path("batch"), *cut = tmp_path("batch-cut");
	struct jnl_entry batch[3];
	struct jnl_report rep;
	struct kv want, got;
	struct jnl_stats st;
	uint8_t buf[3][33], *image;
	uint64_t before;
	size_t len, t, i;
	struct jnl *j;

	build(path, false, 0, &want, NULL);
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, NULL, &j), 0);
	jnl_get_stats(j, &st);
	before = st.file_bytes;
	for (i = 0; i < 3; i++) {
		batch[i].type = T_SET;
		batch[i].data = buf[i];
		batch[i].len = op_payload(&scenario[5 + i], buf[i]);
	}
	CU_ASSERT_EQUAL(jnl_append_batch(j, batch, 3, NULL), 0);
	jnl_free(j);
	image = read_file(path, &len);
	for (t = before; t < len; t++) {
		remove_journal(cut);
		write_file(cut, image, t);
		CU_ASSERT_EQUAL_FATAL(open_into(cut, NULL, &got, &rep, &j), 0);
		CU_ASSERT(rep.torn == (t != before));
		CU_ASSERT(kv_equal(&want, &got));
		jnl_free(j);
	}
	memset(image + before, 0, 8);		/* the first record's head never reached the disk */
	remove_journal(cut);
	write_file(cut, image, len);
	CU_ASSERT_EQUAL_FATAL(open_into(cut, NULL, &got, &rep, &j), 0);
	CU_ASSERT(rep.torn);
	CU_ASSERT_EQUAL(rep.torn_bytes, len - before);
	CU_ASSERT(kv_equal(&want, &got));
	jnl_free(j);
	free(image);
	remove_journal(cut);
	remove_journal(path);
}

/*
 * Every byte of a file with a snapshot and a log, flipped: damage in the
 * header, the snapshot or any record but the last stops the replay (the
 * reserved LIDs of a record lost in the middle must not be forgotten);
 * damage in the last record is indistinguishable from a torn append, which
 * is dropped and reported.
 */
static void test_every_flipped_byte_is_found(void)
{
	const char *path = tmp_path("flip"), *bad = tmp_path("flipped");
	uint64_t ends[SCENARIO_LEN], snap_end;
	struct jnl_report rep;
	struct kv want, got, all_but_last;
	uint8_t *image;
	static const uint8_t masks[] = { 0xFF, 0x01, 0x80 };
	size_t len, i, k, m;
	struct jnl *j;
	int rc;

	build(path, true, 4, &want, ends);
	image = read_file(path, &len);
	snap_end = get_be64(image + 28);
	memset(&all_but_last, 0, sizeof(all_but_last));
	for (k = 0; k + 1 < SCENARIO_LEN; k++)
		kv_do(&all_but_last, &scenario[k]);
	for (i = 0; i < len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			image[i] ^= masks[m];
			remove_journal(bad);
			write_file(bad, image, len);
			image[i] ^= masks[m];
			rc = open_into(bad, NULL, &got, &rep, &j);
			if (i < ends[SCENARIO_LEN - 2]) {
				CU_ASSERT_EQUAL(rc, -EBADMSG);
				CU_ASSERT_EQUAL(got.records, 0);
				CU_ASSERT(rep.why && *rep.why);
				CU_ASSERT(i < snap_end || rep.bad_offset <= i);
			} else {
				CU_ASSERT_EQUAL(rc, 0);
				CU_ASSERT(rep.torn);
				CU_ASSERT(kv_equal(&all_but_last, &got));
			}
			jnl_free(j);
		}
	}
	free(image);
	remove_journal(bad);
	remove_journal(path);
}

static void test_replay_stops_when_the_owner_refuses(void)
{
	const char *path = tmp_path("refuse");
	struct jnl_report rep;
	struct kv want, got;
	struct jnl *j;

	build(path, false, 0, &want, NULL);
	j = new_journal(path, NULL);
	memset(&got, 0, sizeof(got));
	/* A record the owner cannot read (its key 99) stops the replay with its error. */
	CU_ASSERT_EQUAL(jnl_open(j, kv_apply, &got, &rep), 0);
	CU_ASSERT_EQUAL(jnl_append(j, T_SET, "\143x", 2, NULL), 0);
	jnl_free(j);
	CU_ASSERT_EQUAL(open_into(path, NULL, &got, &rep, &j), -EPROTO);
	CU_ASSERT(!jnl_writable(j));
	CU_ASSERT(rep.why && *rep.why);
	jnl_free(j);
	remove_journal(path);
}

static void test_too_large_a_file_is_refused(void)
{
	const char *path = tmp_path("large");
	struct jnl_config cfg = { .path = path, .max_file_bytes = 100 };
	struct jnl_report rep;
	struct kv want, got;
	struct jnl *j;

	build(path, false, 0, &want, NULL);
	j = jnl_new(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jnl_lock(j), 0);
	CU_ASSERT_EQUAL(jnl_open(j, kv_apply, &got, &rep), -EFBIG);
	jnl_free(j);
	remove_journal(path);
}

/* ---- files ----------------------------------------------------------------------------------- */

static void alarm_fail(int sig)
{
	(void)sig;
	_exit(99);			/* an open that blocked: make the test program fail */
}

static void test_fifo_or_directory_is_never_read(void)
{
	const char *path = tmp_path("fifo"), *lockp = tmp_path("fifo2.lock");
	struct jnl_report rep;
	struct kv got;
	struct jnl *j;

	remove_journal(path);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	signal(SIGALRM, alarm_fail);
	alarm(10);
	CU_ASSERT_EQUAL(open_into(path, NULL, &got, &rep, &j), -EINVAL);
	CU_ASSERT_STRING_EQUAL(rep.why, "not a regular file");
	jnl_free(j);
	/* The lock file as a FIFO. */
	unlink(lockp);
	CU_ASSERT_EQUAL_FATAL(mkfifo(lockp, 0600), 0);
	{
		struct jnl_config cfg = { .path = tmp_path("fifo2") };
		struct jnl *k = jnl_new(&cfg);

		CU_ASSERT_PTR_NOT_NULL_FATAL(k);
		CU_ASSERT_EQUAL(jnl_lock(k), -EINVAL);
		CU_ASSERT_EQUAL(jnl_trylock(k), -EINVAL);
		jnl_free(k);
	}
	alarm(0);
	unlink(lockp);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	CU_ASSERT(open_into(path, NULL, &got, &rep, &j) < 0);
	jnl_free(j);
	rmdir(path);
	remove_journal(path);
}

static void test_files_are_mode_0600(void)
{
	const char *path = tmp_path("mode"), *lockp = tmp_path("mode.lock");
	struct jnl_report rep;
	struct stat st;
	struct kv got;
	struct jnl *j;
	mode_t old = umask(0);

	remove_journal(path);
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, &rep, &j), 0);
	CU_ASSERT_EQUAL(append_op(j, &scenario[0]), 0);
	CU_ASSERT_EQUAL(jnl_compact(j, kv_snapshot, &got), 0);
	jnl_free(j);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(stat(lockp, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, &rep, &j), 0);
	CU_ASSERT(rep.mode_fixed);
	jnl_free(j);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	umask(old);
	remove_journal(path);
}

static void test_leftover_temporary_file_is_removed(void)
{
	const char *path = tmp_path("left"), *tmpf = tmp_path("left.tmp");
	struct jnl_report rep;
	struct kv want, got;
	struct jnl *j;

	build(path, false, 0, &want, NULL);
	write_file(tmpf, (const uint8_t *)"half a compaction", 17);
	CU_ASSERT_EQUAL_FATAL(open_into(path, NULL, &got, &rep, &j), 0);
	CU_ASSERT(rep.tmp_removed);
	CU_ASSERT(kv_equal(&want, &got));
	CU_ASSERT_EQUAL(access(tmpf, F_OK), -1);
	jnl_free(j);
	remove_journal(path);
}

/* ---- the writer lock and compaction ---------------------------------------------------------- */

static void test_lock_excludes_a_second_writer(void)
{
	const char *path = tmp_path("lock");
	struct jnl_config cfg = { .path = path };
	struct jnl *a, *b;
	struct kv got;

	remove_journal(path);
	a = jnl_new(&cfg);
	b = jnl_new(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(jnl_trylock(a), 0);
	CU_ASSERT_EQUAL(jnl_trylock(b), -EWOULDBLOCK);
	CU_ASSERT_EQUAL(jnl_open(b, kv_apply, &got, NULL), -ENOLCK);
	CU_ASSERT_EQUAL(jnl_unlock(a), 0);
	CU_ASSERT_EQUAL(jnl_trylock(b), 0);
	CU_ASSERT_EQUAL(jnl_trylock(a), -EWOULDBLOCK);
	jnl_free(a);
	jnl_free(b);
	remove_journal(path);
}

/* A standby waits in jnl_lock until the master lets go, then replays what it wrote. */
static void test_blocking_lock_waits_for_the_holder(void)
{
	const char *path = tmp_path("standby");
	struct jnl_config cfg = { .path = path };
	struct jnl *master;
	struct kv got;
	int status, p[2];
	char c = 0;
	pid_t pid;

	remove_journal(path);
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	/* Fork before the master opens anything: the standby must not inherit its lock. */
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct jnl *standby = jnl_new(&cfg);
		struct kv seen;

		memset(&seen, 0, sizeof(seen));
		alarm(20);
		if (read(p[0], &c, 1) != 1 || !standby || jnl_trylock(standby) != -EWOULDBLOCK)
			_exit(2);
		if (jnl_lock(standby) || jnl_open(standby, kv_apply, &seen, NULL))
			_exit(3);
		_exit(seen.records == 1 ? 0 : 4);	/* it saw the master's last write */
	}
	master = jnl_new(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(master);
	CU_ASSERT_EQUAL_FATAL(jnl_lock(master), 0);
	CU_ASSERT_EQUAL_FATAL(jnl_open(master, kv_apply, &got, NULL), 0);
	CU_ASSERT_EQUAL(write(p[1], &c, 1), 1);
	usleep(200 * 1000);
	CU_ASSERT_EQUAL(append_op(master, &scenario[0]), 0);
	jnl_free(master);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[0]);
	close(p[1]);
	remove_journal(path);
}

static void test_compaction_is_due_when_the_log_outgrows_the_snapshot(void)
{
	const char *path = tmp_path("due");
	struct jnl_config cfg = { .path = path, .compact_factor = 2, .compact_min_bytes = 100 };
	struct jnl_stats st;
	struct kv state, got;
	struct jnl *j;
	int appends = 0;

	remove_journal(path);
	memset(&state, 0, sizeof(state));
	j = jnl_new(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(jnl_lock(j), 0);
	CU_ASSERT_EQUAL(jnl_open(j, kv_apply, &got, NULL), 0);
	while (!jnl_compact_due(j)) {
		CU_ASSERT_EQUAL_FATAL(append_op(j, &scenario[appends % SCENARIO_LEN]), 0);
		kv_do(&state, &scenario[appends % SCENARIO_LEN]);
		appends++;
	}
	jnl_get_stats(j, &st);
	CU_ASSERT(st.log_bytes > 200 && st.log_bytes <= 200 + 57);	/* just past 2 x 100 */
	CU_ASSERT_EQUAL(jnl_compact(j, kv_snapshot, &state), 0);
	CU_ASSERT(!jnl_compact_due(j));
	jnl_get_stats(j, &st);
	CU_ASSERT_EQUAL(st.log_bytes, 0);
	CU_ASSERT_EQUAL(st.compactions, 1);
	CU_ASSERT(st.next_seq > (uint64_t)appends);	/* sequence numbers go on growing */
	jnl_free(j);
	CU_ASSERT_EQUAL(open_into(path, NULL, &got, NULL, &j), 0);
	CU_ASSERT(kv_equal(&state, &got));
	CU_ASSERT_EQUAL(got.snapshot_records, got.records);
	jnl_free(j);
	remove_journal(path);
}

static int make_tmpdir(void)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void)
{
	return rmdir(tmpdir);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_crc32c_is_castagnoli),
		UNIT_TEST(test_sequence_gap_is_corruption),
		UNIT_TEST(test_new_journal_is_created_empty),
		UNIT_TEST(test_appends_replay_in_order),
		UNIT_TEST(test_append_is_fsynced_before_it_returns),
		UNIT_TEST(test_bad_calls_are_refused),
		UNIT_TEST(test_short_writes_are_completed),
		UNIT_TEST(test_crash_at_every_byte_of_appends),
		UNIT_TEST(test_crash_at_every_byte_after_a_compaction),
		UNIT_TEST(test_crash_at_every_byte_of_a_compaction),
		UNIT_TEST(test_every_injected_failure_keeps_what_was_acknowledged),
		UNIT_TEST(test_failed_fsync_poisons_the_journal),
		UNIT_TEST(test_failed_write_is_cut_back_and_usable),
		UNIT_TEST(test_unsynced_directory_after_rename_poisons),
		UNIT_TEST(test_torn_tail_is_cut_and_reported),
		UNIT_TEST(test_torn_batch_is_dropped_whole),
		UNIT_TEST(test_every_flipped_byte_is_found),
		UNIT_TEST(test_replay_stops_when_the_owner_refuses),
		UNIT_TEST(test_too_large_a_file_is_refused),
		UNIT_TEST(test_fifo_or_directory_is_never_read),
		UNIT_TEST(test_files_are_mode_0600),
		UNIT_TEST(test_leftover_temporary_file_is_removed),
		UNIT_TEST(test_lock_excludes_a_second_writer),
		UNIT_TEST(test_blocking_lock_waits_for_the_holder),
		UNIT_TEST(test_compaction_is_due_when_the_log_outgrows_the_snapshot),
	};

	return unit_run("journal", make_tmpdir, remove_tmpdir, tests,
			sizeof(tests) / sizeof(tests[0]));
}
