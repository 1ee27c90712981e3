// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_replay.c - main() for a fuzzing harness built without libFuzzer: feeds
 * every file of the directories (or the files) named on the command line to
 * LLVMFuzzerTestOneInput(), in name order, so that a corpus replays the same
 * way on every run.  Without arguments it replays the harness's committed
 * corpus, $top_srcdir/FUZZ_CORPUS (FUZZ_CORPUS is set per program in the
 * local.mk; make check exports top_srcdir), which is how each harness runs as
 * a test.  Exit status 0 when every input went through, 1 when a corpus could
 * not be read or is empty (a test that replays nothing proves nothing); a
 * broken invariant aborts inside the harness.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Reads the whole of @path into a buffer of exactly its size, so ASan sees any overread. */
static int replay_file(const char *path)
{
	struct stat sb;
	uint8_t *buf;
	size_t got;
	FILE *f;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &sb)) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	/* malloc(0) may give NULL; a harness gets a valid pointer, as from libFuzzer. */
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	got = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	if (got != (size_t)sb.st_size) {
		fprintf(stderr, "fuzz_replay: %s: short read\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

/* Replays @path, a file or a directory of files; returns the inputs fed or -1. */
static long replay_path(const char *path)
{
	char file[PATH_MAX];
	struct dirent **names;
	struct stat sb;
	long fed = 0;
	int i, n;

	if (stat(path, &sb)) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode))
		return replay_file(path) ? -1 : 1;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (fed >= 0 && names[i]->d_name[0] != '.') {
			snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
			if (stat(file, &sb) == 0 && S_ISREG(sb.st_mode))
				fed = replay_file(file) ? -1 : fed + 1;
		}
		free(names[i]);
	}
	free(names);
	return fed;
}

int main(int argc, char **argv)
{
	const char *const *paths = (const char *const *)argv + 1;
	const char *committed[1];
	int i, n = argc - 1;
	long fed, total = 0;
#ifdef FUZZ_CORPUS
	static char corpus[PATH_MAX];
	const char *top = getenv("top_srcdir");

	if (!n) {
		snprintf(corpus, sizeof(corpus), "%s/%s", top ? top : ".", FUZZ_CORPUS);
		committed[0] = corpus;
		paths = committed;
		n = 1;
	}
#else
	(void)committed;
#endif
	if (!n) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	/* The empty input first: libFuzzer always tries it. */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	for (i = 0; i < n; i++) {
		fed = replay_path(paths[i]);
		if (fed <= 0) {
			fprintf(stderr, "fuzz_replay: %s: %s\n", paths[i],
				fed ? "not replayed" : "no inputs");
			return 1;
		}
		printf("%s: %ld inputs\n", paths[i], fed);
		total += fed;
	}
	printf("%ld inputs replayed, every invariant held\n", total);
	return 0;
}
