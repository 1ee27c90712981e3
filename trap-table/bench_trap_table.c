// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_trap_table - throughput and memory of the trap table with about a
 * million deleted VMs waiting to come back.
 *
 * The clock advances one millisecond a tick.  Each tick deletes a fresh,
 * uniformly random vGUID; three ticks in four also set again the vGUID that
 * was deleted DELAY ticks earlier (it comes back on a random LID: mostly a
 * migration); every other tick sets a vGUID never seen (a creation).  The
 * vGUIDs that never come back expire after TTL_MS, and the table is sized
 * so that a few are evicted first.  After a warm-up that reaches the steady
 * state, the measured phase counts every operation the table performed:
 * deletes, sets and expiries.
 *
 * Usage: bench_trap_table [ticks]   (default 8,000,000)
 * The last line of output is one JSON object.
 */
#include "ibvmig_util.h"
#include "trap_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CAPACITY 1000000u
#define DELAY 960000u	/* ticks between a delete and its set */
#define TTL_MS 1100000u

static uint64_t rng_state = 0x6a09e667f3bcc908ULL;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t random_guid(void)
{
	return rng() | 1;	/* never zero */
}

static uint16_t random_lid(void)
{
	return (uint16_t)(1 + rng() % TT_LID_MAX);
}

static double now_s(void)
{
	return (double)util_mono_ns() / 1e9;
}

static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

struct bench {
	struct tt_table *t;
	uint64_t *recent;	/* vGUID deleted at tick i, at i % DELAY */
	uint64_t tick;
};

static void tick(struct bench *b)
{
	uint64_t slot = b->tick % DELAY, now = b->tick;
	struct tt_set_result res;

	if (b->tick >= DELAY && b->tick % 4)
		tt_set(b->t, b->recent[slot], random_lid(), random_guid(), now, &res);
	b->recent[slot] = random_guid();
	tt_delete(b->t, b->recent[slot], random_lid(), random_guid(), now, NULL);
	if (b->tick % 2)
		tt_set(b->t, random_guid(), random_lid(), random_guid(), now, &res);
	b->tick++;
}

static uint64_t ops_done(const struct tt_stats *st)
{
	return st->deletes + st->sets + st->expired;
}

int main(int argc, char **argv)
{
	struct tt_config cfg = { .capacity = CAPACITY, .ttl_ms = TTL_MS };
	uint64_t ticks = argc > 1 ? strtoull(argv[1], NULL, 0) : 8000000;
	struct tt_stats before, after;
	struct bench b = { 0 };
	double t0, secs;
	long rss0, rss1;
	uint64_t i, ops;

	b.recent = calloc(DELAY, sizeof(*b.recent));
	if (!b.recent)
		return 1;
	for (i = 0; i < DELAY; i++)	/* fault the pages in before the baseline */
		b.recent[i] = 1;
	rss0 = rss_bytes();
	b.t = tt_create(&cfg);
	if (!b.t) {
		perror("tt_create");
		return 1;
	}
	while (b.tick < 2ull * TTL_MS)	/* warm up to the steady state */
		tick(&b);
	rss1 = rss_bytes();
	tt_get_stats(b.t, &before);
	t0 = now_s();
	for (i = 0; i < ticks; i++)
		tick(&b);
	secs = now_s() - t0;
	tt_get_stats(b.t, &after);
	ops = ops_done(&after) - ops_done(&before);

	printf("trap table: %llu ops in %.3f s, %u entries resident of %u\n",
	       (unsigned long long)ops, secs, after.count, after.capacity);
	printf("{\"bench\":\"trap_table\",\"ops\":%llu,\"seconds\":%.3f,\"ops_per_s\":%.0f,"
	       "\"ns_per_op\":%.1f,\"resident\":%u,\"capacity\":%u,\"bytes_per_entry\":%.1f,"
	       "\"rss_bytes_per_entry\":%.1f,\"deletes\":%llu,\"sets\":%llu,\"migrated\":%llu,"
	       "\"created\":%llu,\"expired\":%llu,\"evicted\":%llu}\n",
	       (unsigned long long)ops, secs, ops / secs, secs * 1e9 / ops, after.count,
	       after.capacity, (double)after.bytes / after.count,
	       (double)(rss1 - rss0) / before.count,
	       (unsigned long long)(after.deletes - before.deletes),
	       (unsigned long long)(after.sets - before.sets),
	       (unsigned long long)(after.verdicts[TT_MIGRATED] - before.verdicts[TT_MIGRATED]),
	       (unsigned long long)(after.verdicts[TT_CREATED] - before.verdicts[TT_CREATED]),
	       (unsigned long long)(after.expired - before.expired),
	       (unsigned long long)(after.evicted - before.evicted));
	tt_destroy(b.t);
	free(b.recent);
	return 0;
}
