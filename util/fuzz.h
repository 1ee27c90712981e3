/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz.h - what every fuzzing harness of ibvmig shares (doc/fuzzing.md).
 *
 * A harness is one LLVMFuzzerTestOneInput() that feeds the bytes to a decoder
 * and checks the decoder's contract.  The same file builds two ways: with
 * clang's libFuzzer (`make fuzz`), which supplies main(), and with the
 * project's compiler and util/fuzz_replay.c, which replays the committed
 * corpus as a test of `make check` (under ASan/UBSan in check.sh's sanitized
 * build).  A broken invariant aborts: libFuzzer then saves the input as a
 * crash, and the replay test fails.
 */
#ifndef IBVMIG_FUZZ_H
#define IBVMIG_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer calls; 0 always (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than assert(): NDEBUG must never turn a harness into a no-op. */
#define FUZZ_CHECK(cond)                                                             \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,   \
				__LINE__, #cond);                                    \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* True when @n bytes at @p are all zero: what a decoder leaves behind when it refuses. */
static inline bool fuzz_all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

#endif /* IBVMIG_FUZZ_H */
