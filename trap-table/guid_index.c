// SPDX-License-Identifier: BSD-2-Clause
/* guid_index.c - allocation and growth of the GUID hash index. */
#include "guid_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#define GI_MIN_SIZE 16u
/*
 * The index and the trap table's entry chunks are touched at random: backing
 * them with transparent huge pages saves a page walk on most lookups.
 */
#define GI_HUGE_PAGE (2u << 20)

void *gi_alloc_zeroed(size_t size)
{
	void *p;

	if (size < GI_HUGE_PAGE)
		return calloc(1, size);
	p = aligned_alloc(GI_HUGE_PAGE, (size + GI_HUGE_PAGE - 1) & ~(size_t)(GI_HUGE_PAGE - 1));
	if (!p)
		return NULL;
	madvise(p, size, MADV_HUGEPAGE);	/* advice only: failure is harmless */
	memset(p, 0, size);
	return p;
}

static int gi_resize(struct gi_index *ix, uint32_t size)
{
	struct gi_slot *slots = gi_alloc_zeroed((size_t)size * sizeof(*slots));
	struct gi_index grown = { .slots = slots, .size = size, .seed = ix->seed };
	uint32_t pos;

	if (!slots)
		return -ENOMEM;
	for (pos = 0; pos < ix->size; pos++)
		if (ix->slots[pos].ref)
			gi_put(&grown, ix->slots[pos].hash, ix->slots[pos].ref - 1);
	free(ix->slots);
	*ix = grown;
	return 0;
}

int gi_init(struct gi_index *ix)
{
	memset(ix, 0, sizeof(*ix));
	if (getrandom(&ix->seed, sizeof(ix->seed), 0) != sizeof(ix->seed))
		ix->seed = (uintptr_t)ix ^ 0x9e3779b97f4a7c15ULL;
	return gi_resize(ix, GI_MIN_SIZE);
}

void gi_destroy(struct gi_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->size = 0;
}

int gi_reserve(struct gi_index *ix, uint32_t count)
{
	uint32_t size = ix->size;

	while ((uint64_t)count * 2 > size)
		size *= 2;
	return size == ix->size ? 0 : gi_resize(ix, size);
}

size_t gi_bytes(const struct gi_index *ix)
{
	return (size_t)ix->size * sizeof(struct gi_slot);
}
