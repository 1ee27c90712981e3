// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_records.c - libFuzzer harness of the record list reader
 * (ibvmig_records.h), the body of every admin response and every VM channel
 * message: whoever serves or connects to those sockets writes these bytes.
 * The input is a body.
 *
 * Invariants: the reader refuses with -EBADMSG or accepts (it validates the
 * whole body up front, so an accepted body never fails later, however much
 * of each record the caller skips); it hands out exactly the record count
 * the body starts with, and fields whose type and length are legal, STR ones
 * NUL-terminated; the writer rebuilds the same bytes from what was read
 * (when the body is canonical: BOOL 0/1, no NUL inside a STR), and in any
 * case a list that reads back the same.  The buffer is exactly the input,
 * so ASan sees any read past it.
 */
#include "fuzz_rec.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ibvmig_rec_reader r;
	struct ibvmig_rec_writer w;
	struct fuzz_rec_seen first, skipped, again;
	uint8_t *out, *out2;
	size_t out_len, out2_len;
	int rc;

	rc = ibvmig_rec_reader_init(&r, data, size);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc)
		return 0;
	fuzz_walk(data, size, true, NULL, &skipped);
	ibvmig_rec_writer_init(&w, 0, FUZZ_REWRITE_MAX);
	fuzz_walk(data, size, false, &w, &first);
	FUZZ_CHECK(skipped.records == first.records);
	FUZZ_CHECK(ibvmig_rec_writer_take(&w, &out, &out_len) == 0);
	if (!size) {
		/* An empty body (an error reply) has no records; the writer writes a count. */
		FUZZ_CHECK(first.records == 0 && out_len == 4);
	} else if (first.canonical) {
		FUZZ_CHECK(out_len == size && memcmp(out, data, size) == 0);
	}
	/* Whatever was read, written again, reads the same and is a fixed point. */
	ibvmig_rec_writer_init(&w, 0, FUZZ_REWRITE_MAX);
	fuzz_walk(out, out_len, false, &w, &again);
	FUZZ_CHECK(again.records == first.records && again.fields == first.fields);
	FUZZ_CHECK(ibvmig_rec_writer_take(&w, &out2, &out2_len) == 0);
	FUZZ_CHECK(out2_len == out_len && memcmp(out2, out, out_len) == 0);
	free(out2);
	free(out);
	return 0;
}
