/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * esc_crypto.h - private to libibvmig-escrow: SHA-256 (FIPS 180-4), which
 * turns a token into what the journal keeps, and a comparison whose time
 * does not depend on where two byte strings differ.
 *
 * SHA-256 rather than a keyed hash: a token is 128 random bits, so its hash
 * needs no secret to resist a search, and a standard with published test
 * vectors needs no key management either.  No library provides it here:
 * Debian's base system has no crypto library a plugin could link without
 * adding a package, and it is 100 lines.
 *
 * Pure functions of their arguments; safe from any thread.
 */
#ifndef IBVMIG_ESC_CRYPTO_H
#define IBVMIG_ESC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESC_SHA256_LEN 32

struct esc_sha256 {
	uint32_t h[8];
	uint64_t bytes;			/* message length so far */
	uint8_t block[64];
	size_t used;			/* bytes waiting in block */
};

void esc_sha256_init(struct esc_sha256 *s);
void esc_sha256_update(struct esc_sha256 *s, const void *data, size_t len);
/* Writes the digest and wipes the state. */
void esc_sha256_final(struct esc_sha256 *s, uint8_t out[ESC_SHA256_LEN]);
void esc_sha256(const void *data, size_t len, uint8_t out[ESC_SHA256_LEN]);

/*
 * Whether @a and @b are equal, in a time that depends on @len only: every
 * byte is read and the differences are OR-ed together, with no branch on
 * the data.
 */
bool esc_ct_equal(const void *a, const void *b, size_t len);

#endif /* IBVMIG_ESC_CRYPTO_H */
