// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_trap_seeds.c - writes the seed inputs of the save-file harness
 * (fuzz_trap_file.c, doc/fuzzing.md): images made by tt_encode_buf() of a
 * trap table and of live aliases as the plugin saves them, and the damaged
 * files the unit tests refuse.  `fuzz_seeds DIR` writes
 * DIR/fuzz_trap_file/seed-*.  Built on demand only:
 *  make engine/tests/fuzz_trap_seeds.
 */
#include "trap_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define VGUID 0x0002c903abcd0001ULL
#define PORT_A 0x0002c90300000011ULL
#define PORT_B 0x0002c90300000021ULL

static char dir[4096];
static int failures;

static void seed(const char *name, const uint8_t *buf, size_t len)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
		failures++;
	}
}

/* The image of @e, then @damage applied at @at (when @at < its length). */
static void image(const char *name, const struct tt_entry_view *e, size_t n, size_t cut,
		  size_t at, uint8_t damage)
{
	uint8_t *buf;
	size_t len;

	if (tt_encode_buf(e, n, &buf, &len)) {
		failures++;
		return;
	}
	if (at < len)
		buf[at] ^= damage;
	seed(name, buf, cut && cut < len ? cut : len);
	free(buf);
}

int main(int argc, char **argv)
{
	struct tt_entry_view e[40];
	size_t i, none = (size_t)-1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT-DIR\n", argv[0]);
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/fuzz_trap_file", argv[1]);
	mkdir(argv[1], 0755);
	mkdir(dir, 0755);
	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		e[i] = (struct tt_entry_view){
			.vguid = VGUID + i, .port_guid = i & 1 ? PORT_B : PORT_A,
			.deleted_at_ms = 1764633600000ULL + 1000 * (i / 3),
			.lid = (uint16_t)(4 + i),
		};
	image("empty", e, 0, 0, none, 0);
	image("one", e, 1, 0, none, 0);
	image("trap-table", e, 40, 0, none, 0);
	/* Live aliases: all saved at one time, as aw_snapshot_live() gives them. */
	for (i = 0; i < 8; i++)
		e[i].deleted_at_ms = 1764633600000ULL;
	image("live-aliases", e, 8, 0, none, 0);
	image("truncated", e, 3, 16 + 26 + 5, none, 0);
	image("bad-magic", e, 2, 0, 0, 0x20);
	image("bad-version", e, 2, 0, 9, 2);
	image("bad-entry-size", e, 2, 0, 11, 1);
	image("bad-count", e, 2, 0, 15, 1);
	image("bad-crc", e, 2, 0, 16 + 2 * 26, 0x80);
	/* Valid checksums around invalid entries: what only the entry checks refuse. */
	e[1].lid = 0;
	image("lid-0", e, 2, 0, none, 0);
	e[1].lid = 0xC000;
	image("lid-multicast", e, 2, 0, none, 0);
	e[1].lid = 5;
	e[1].vguid = 0;
	image("vguid-0", e, 2, 0, none, 0);
	e[1].vguid = VGUID;	/* the same as e[0]: a restore refuses it */
	image("duplicate", e, 2, 0, none, 0);
	e[1].vguid = VGUID + 1;
	e[1].deleted_at_ms = e[0].deleted_at_ms - 1;
	image("out-of-order", e, 2, 0, none, 0);
	e[1].deleted_at_ms = 1ULL << 48;	/* past the table's clock */
	image("far-future", e, 2, 0, none, 0);
	return failures ? 1 : 0;
}
