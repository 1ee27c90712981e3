// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_reconcile - the engine's part of the reconcile a heavy sweep asks
 * for (the benchmark 4, "reconcile time per 10,000 aliases"): the
 * alias watcher judging a full list of the live aliases against what it
 * knows, aw_reconcile(), for fabrics of 500 and 2000 hosts with 31 aliases
 * each, and for 10,000 aliases.
 *
 * Two lists per size: the steady state (the list is what the watcher knows:
 * nothing to do, the common case after a sweep), and one in which 1 % of the
 * aliases sit on another port (changes a reconcile finds: a notice each).
 * The list is built outside the timing; what OpenSM's plugin adds, copying
 * the aliases out of OpenSM's tables under its lock (ibvmig_list_aliases), is
 * not in it: the end-to-end sweep figures (test-fabric/bench/sweep-cost.sh)
 * carry it.
 *
 * Usage: bench_reconcile [ROUNDS]   (default 21 per size and list)
 * The last line of output is one JSON object.
 */
#include "alias_watch.h"
#include "ibvmig_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX 0xfe80000000000000ULL
#define PER_HOST 31
#define VGUID_BASE 0x0002c9ee00000000ULL
#define PORT_BASE 0x0002c90100000001ULL

static unsigned notices;

static void count_notice(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n)
{
	(void)ctx;
	(void)trap;
	(void)n;
	notices++;
}

/* Alias k of the fabric: host k / 31, its port and LID (1 + the host). */
static struct aw_alias alias_of(size_t k, size_t hosts)
{
	size_t host = k / PER_HOST;

	return (struct aw_alias){ .vguid = VGUID_BASE + k, .port_guid = PORT_BASE + (host << 8),
				  .lid = (uint16_t)(1 + host % hosts) };
}

static struct aw_watch *watch_of(const struct aw_alias *a, size_t n)
{
	struct aw_config cfg = {
		.table = { .capacity = 1000000, .ttl_ms = 3600000, .epoch = 7 },
		.unpath = true,
		.subnet_prefix = PREFIX,
		.max_aliases = 1000000,
	};
	struct aw_watch *w = aw_create(&cfg, count_notice, NULL);
	size_t i;

	if (!w)
		return NULL;
	for (i = 0; i < n; i++)
		if (aw_alias_set(w, a[i].vguid, a[i].port_guid, a[i].lid, 1)) {
			aw_destroy(w);
			return NULL;
		}
	return w;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * ROUNDS reconciles of @seen against a watcher that knows @known; the median in
 * microseconds, -1 if one failed.  Each round starts from a fresh watcher: a list
 * with moves changes what the watcher knows.
 */
static double median_us(const struct aw_alias *known, const struct aw_alias *seen, size_t n,
			unsigned rounds)
{
	uint64_t *t = calloc(rounds, sizeof(*t));
	unsigned r;
	double med;

	if (!t)
		return -1;
	for (r = 0; r < rounds; r++) {
		struct aw_watch *w = watch_of(known, n);
		uint64_t t0;

		if (!w) {
			free(t);
			return -1;
		}
		t0 = util_mono_ns();
		if (aw_reconcile(w, seen, n, NULL, 0, 2) < 0) {
			aw_destroy(w);
			free(t);
			return -1;
		}
		t[r] = util_mono_ns() - t0;
		aw_destroy(w);
	}
	qsort(t, rounds, sizeof(*t), cmp_u64);
	med = (double)t[rounds / 2] / 1000.0;
	free(t);
	return med;
}

/* One size: prints its JSON object (after @sep); 0 or -1. */
static int one_size(size_t n, size_t hosts, unsigned rounds, const char *sep)
{
	struct aw_alias *known = calloc(n, sizeof(*known)), *moved = calloc(n, sizeof(*moved));
	double steady, changed;
	size_t i;

	if (!known || !moved) {
		free(known);
		free(moved);
		return -1;
	}
	for (i = 0; i < n; i++) {
		known[i] = moved[i] = alias_of(i, hosts);
		if (i % 100 == 0) {	/* 1 %: on the next host's port */
			moved[i].port_guid += 0x100;
			moved[i].lid = (uint16_t)(1 + (i / PER_HOST + 1) % hosts);
		}
	}
	steady = median_us(known, known, n, rounds);
	notices = 0;
	changed = median_us(known, moved, n, rounds);
	free(known);
	free(moved);
	if (steady < 0 || changed < 0)
		return -1;
	printf("%s{\"aliases\":%zu,\"hosts\":%zu,\"steady_us\":%.1f,\"steady_us_per_10k\":%.1f,"
	       "\"moved_1pct_us\":%.1f,\"moved_1pct_us_per_10k\":%.1f,\"notices_per_round\":%u}",
	       sep, n, hosts, steady, steady * 10000.0 / (double)n, changed,
	       changed * 10000.0 / (double)n, notices / rounds);
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t hosts[] = { 323, 500, 2000 };	/* 323 x 31 = 10,013 */
	uint64_t rounds64 = 21;
	unsigned rounds;
	size_t i;

	if (argc > 2 || (argc == 2 && util_parse_uint(argv[1], 10, 1, 1000, &rounds64))) {
		fprintf(stderr, "usage: bench_reconcile [ROUNDS]  (1 to 1000, default 21)\n");
		return 2;
	}
	rounds = (unsigned)rounds64;
	printf("{\"bench\":\"reconcile\",\"per_host\":%d,\"rounds\":%u,\"sizes\":[", PER_HOST,
	       rounds);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (one_size(hosts[i] * PER_HOST, hosts[i], rounds, i ? "," : "")) {
			printf("]}\n");
			fprintf(stderr, "bench_reconcile: out of memory\n");
			return 1;
		}
	printf("]}\n");
	return 0;
}
