// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_escrow - the journal's append latency (write + fdatasync, one record
 * of an escrow's size per append), its replay time for N records (a log,
 * and the same state compacted to a snapshot), and the escrow's requests
 * per second, with the journal's fsyncs real and with them skipped (what the
 * core and the writes cost alone).
 *
 * The journal lives in the current directory (or $BENCH_DIR): fsync costs
 * what that file system makes it cost; a tmpfs makes it free.
 *
 * Usage: bench_escrow [appends [replay_records [escrow_cycles]]]
 *        (default 2,000, 200,000 and 20,000)
 * The last line of output is one JSON object.
 */
#include "ibvmig_journal.h"
#include "ibvmig_util.h"
#include "jnl_testio.h"
#include "lid_escrow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC_LEN 120		/* about an escrow record with a few keys */
#define BATCH 1000

static char path[512];

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void remove_files(void)
{
	tio_remove_journal(path);
}

static int fsync_skipped(void *ctx, int fd, bool data_only)
{
	(void)ctx;
	(void)fd;
	(void)data_only;
	return 0;
}

/* The real system calls but fsync: what the rest costs. */
static struct jnl_io nosync_io(void)
{
	struct jnl_io io = *jnl_io_posix();

	io.fsync = fsync_skipped;
	return io;
}

static struct jnl *open_journal(const struct jnl_io *io, jnl_apply_fn apply, void *ctx)
{
	struct jnl_config cfg = { .path = path, .io = io };
	struct jnl *j = jnl_new(&cfg);

	if (!j || jnl_lock(j) || jnl_open(j, apply, ctx, NULL)) {
		fprintf(stderr, "bench_escrow: cannot open %s: %s\n", path,
			j ? jnl_why(j) : strerror(errno));
		exit(1);
	}
	return j;
}

static int count_record(void *ctx, const struct jnl_record *r)
{
	(*(uint64_t *)ctx)++;
	return r->len == REC_LEN ? 0 : -EPROTO;
}

static int snapshot_n(void *ctx, struct jnl_snap *s)
{
	uint64_t n = *(const uint64_t *)ctx, i;
	uint8_t rec[REC_LEN];
	int rc;

	memset(rec, 0x5A, sizeof(rec));
	for (i = 0; i < n; i++) {
		rec[0] = (uint8_t)i;
		rc = jnl_snap_put(s, 0x0100, rec, sizeof(rec));
		if (rc)
			return rc;
	}
	return 0;
}

struct lat {
	double median_us;
	double p99_us;
	double mean_us;
};

static struct lat bench_appends(unsigned n)
{
	uint64_t *ns = calloc(n, sizeof(*ns)), sum = 0, t0;
	uint8_t rec[REC_LEN];
	struct lat l;
	struct jnl *j;
	unsigned i;

	remove_files();
	j = open_journal(NULL, NULL, NULL);
	memset(rec, 0xA5, sizeof(rec));
	for (i = 0; i < n; i++) {
		t0 = util_mono_ns();
		if (jnl_append(j, 0x0100, rec, sizeof(rec), NULL)) {
			fprintf(stderr, "bench_escrow: append: %s\n", jnl_why(j));
			exit(1);
		}
		ns[i] = util_mono_ns() - t0;
		sum += ns[i];
	}
	jnl_free(j);
	qsort(ns, n, sizeof(*ns), cmp_u64);
	l.median_us = (double)ns[n / 2] / 1e3;
	l.p99_us = (double)ns[(size_t)n * 99 / 100] / 1e3;
	l.mean_us = (double)sum / n / 1e3;
	free(ns);
	return l;
}

/* A log of @n records written in batches; then replayed: seconds. */
static double bench_replay(uint64_t n, bool compacted)
{
	struct jnl_entry e[BATCH];
	struct jnl_io io = nosync_io();
	uint8_t rec[REC_LEN];
	uint64_t done, seen = 0, t0;
	struct jnl *j;
	size_t i, k;

	remove_files();
	j = open_journal(&io, NULL, NULL);
	memset(rec, 0x5A, sizeof(rec));
	for (i = 0; i < BATCH; i++)
		e[i] = (struct jnl_entry){ .type = 0x0100, .data = rec, .len = sizeof(rec) };
	for (done = 0; done < n; done += k) {
		k = n - done < BATCH ? (size_t)(n - done) : BATCH;
		if (jnl_append_batch(j, e, k, NULL))
			exit(1);
	}
	if (compacted && jnl_compact(j, snapshot_n, &n))
		exit(1);
	jnl_free(j);
	sync();
	t0 = util_mono_ns();
	j = open_journal(NULL, count_record, &seen);
	done = util_mono_ns() - t0;
	jnl_free(j);
	if (seen != n) {
		fprintf(stderr, "bench_escrow: replayed %llu of %llu\n",
			(unsigned long long)seen, (unsigned long long)n);
		exit(1);
	}
	return (double)done / 1e9;
}

static int bench_random(void *ctx, void *buf, size_t len)
{
	uint64_t *state = ctx;
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = (uint8_t)(*state >> 56);
	}
	return 0;
}

/*
 * @cycles migrations, each RELEASE, CLAIM, the move reported live and a
 * QUERY (four requests, three journal records) between 512 source and 512
 * destination ports: requests per second.
 */
static double bench_escrow(unsigned cycles, const struct jnl_io *io, uint64_t *compactions)
{
	static const struct esc_key keys[] = { { 0xFFFF, ESC_KEY_GROUP },
					       { 0x8001, ESC_KEY_EXPLICIT },
					       { 0x0002, ESC_KEY_EXPLICIT } };
	struct esc_config cfg = { .capacity = 4096, .retrans_capacity = 1024 };
	struct jnl_config jc = { .path = path, .io = io, .compact_factor = 4 };
	uint64_t rng = 1, t0, ns;
	struct esc_request r;
	struct esc_answer a;
	struct esc_stats st;
	struct jnl *j;
	struct esc *e;
	unsigned i;

	remove_files();
	j = jnl_new(&jc);
	cfg.journal = j;
	cfg.compact = true;
	cfg.random = bench_random;
	cfg.random_ctx = &rng;
	e = j && !jnl_lock(j) ? esc_create(&cfg) : NULL;
	if (!e || esc_open(e, 1, NULL))
		exit(1);
	t0 = util_mono_ns();
	for (i = 0; i < cycles; i++) {
		uint64_t src = 0x1000 + i % 512, dst = 0x2000 + i % 512, now = 10 + i;
		uint16_t lid = (uint16_t)(1 + i % 512);

		r = (struct esc_request){ .requester = src, .tid = 4 * (uint64_t)i, .master = true,
					  .now_ms = now,
					  .port = { .guid = src, .lid = lid, .mtu = 5, .rate = 16,
						    .keys = keys, .nkeys = 3 } };
		if (esc_release(e, &r, &a) != ESC_OK)
			exit(2);
		r.requester = r.port.guid = dst;
		r.port.lid = (uint16_t)(2048 + i % 512);
		r.tid++;
		memcpy(r.token, a.token, ESC_TOKEN_LEN);
		if (esc_claim(e, &r, &a) != ESC_OK || esc_move_live(e, a.view.id, now))
			exit(3);
		r.tid++;
		if (esc_query(e, &r, &a) != ESC_OK || a.view.state != ESC_LIVE)
			exit(4);
		/* The next cycle on these ports starts from where this one left them. */
		while (esc_next_action(e, &(struct esc_action){ 0 }) == 0)
			;
	}
	ns = util_mono_ns() - t0;
	esc_get_stats(e, &st);
	*compactions = st.compactions;
	esc_destroy(e);
	jnl_free(j);
	return 4.0 * cycles / ((double)ns / 1e9);
}

int main(int argc, char **argv)
{
	unsigned appends = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 2000;
	uint64_t records = argc > 2 ? strtoull(argv[2], NULL, 0) : 200000;
	unsigned cycles = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 20000;
	const char *dir = getenv("BENCH_DIR");
	struct jnl_io io = nosync_io();
	uint64_t compactions_sync, compactions_nosync;
	double log_s, snap_s, ops_sync, ops_nosync;
	unsigned sync_cycles = cycles / 20 ? cycles / 20 : 1;
	struct lat l;

	snprintf(path, sizeof(path), "%s/bench-escrow.%ld.jnl", dir ? dir : ".", (long)getpid());
	l = bench_appends(appends ? appends : 1);
	printf("journal append+fdatasync, %u records of %d bytes: median %.1f us, p99 %.1f us, "
	       "mean %.1f us\n", appends, REC_LEN, l.median_us, l.p99_us, l.mean_us);
	log_s = bench_replay(records, false);
	snap_s = bench_replay(records, true);
	printf("replay of %llu records: log %.3f s (%.2f M records/s), snapshot %.3f s\n",
	       (unsigned long long)records, log_s, (double)records / log_s / 1e6, snap_s);
	ops_sync = bench_escrow(sync_cycles, NULL, &compactions_sync);
	ops_nosync = bench_escrow(cycles, &io, &compactions_nosync);
	printf("escrow requests/s: %.0f with fsync (%u migrations), %.0f without (%u migrations, "
	       "%llu compactions)\n", ops_sync, sync_cycles, ops_nosync, cycles,
	       (unsigned long long)compactions_nosync);
	remove_files();
	printf("{\"bench\":\"escrow\",\"append_records\":%u,\"append_median_us\":%.1f,"
	       "\"append_p99_us\":%.1f,\"append_mean_us\":%.1f,\"replay_records\":%llu,"
	       "\"replay_log_s\":%.4f,\"replay_snapshot_s\":%.4f,\"escrow_ops_per_s_fsync\":%.0f,"
	       "\"escrow_ops_per_s_nosync\":%.0f,\"compactions\":%llu}\n",
	       appends, l.median_us, l.p99_us, l.mean_us, (unsigned long long)records, log_s,
	       snap_s, ops_sync, ops_nosync, (unsigned long long)compactions_nosync);
	(void)compactions_sync;
	return 0;
}
