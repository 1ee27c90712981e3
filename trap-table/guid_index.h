/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guid_index.h - private to libtraptable: the hash index that maps a 64-bit
 * GUID to an entry of its owner (the trap table's entries, the alias
 * watcher's live aliases).  The owner keeps its entries where it likes and
 * tells the index how to read an entry's GUID.
 *
 * Open addressing with linear probing over 8-byte slots that keep 32 bits of
 * the GUID's hash beside the entry number: a probe that misses and the
 * backward shift of a removal (no tombstones) never touch an entry, and
 * a table of a million entries answers in one or two cache misses.  GUIDs
 * come from hosts, so the hash is seeded per index: a host must not be able
 * to aim collisions at the SM.  The load stays at or below 1/2.
 *
 * Not locked: the owner serialises every call.
 */
#ifndef IBVMIG_GUID_INDEX_H
#define IBVMIG_GUID_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct gi_slot {
	uint32_t hash;
	uint32_t ref;		/* entry number + 1; 0 = empty slot */
};

struct gi_index {
	struct gi_slot *slots;
	uint32_t size;		/* a power of two */
	uint64_t seed;
};

/* How the index reads the GUID of entry @entry of its owner. */
typedef uint64_t (*gi_key_fn)(const void *owner, uint32_t entry);

int gi_init(struct gi_index *ix);
void gi_destroy(struct gi_index *ix);
/* Room for @count entries at load <= 1/2; 0 or -ENOMEM (index unchanged). */
int gi_reserve(struct gi_index *ix, uint32_t count);
size_t gi_bytes(const struct gi_index *ix);
/* calloc, but backed by transparent huge pages when large (entry chunks too). */
void *gi_alloc_zeroed(size_t size);

static inline uint32_t gi_hash(const struct gi_index *ix, uint64_t guid)
{
	/* MurmurHash3's 64-bit finaliser: every input bit reaches every output bit. */
	uint64_t h = guid ^ ix->seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* Position of @guid's slot, or ix->size when it is not indexed. */
static inline uint32_t gi_find(const struct gi_index *ix, uint64_t guid, uint32_t hash,
			       gi_key_fn key_of, const void *owner)
{
	uint32_t mask = ix->size - 1;
	uint32_t pos = hash & mask;

	for (;; pos = (pos + 1) & mask) {
		struct gi_slot slot = ix->slots[pos];

		if (!slot.ref)
			return ix->size;
		if (slot.hash == hash && key_of(owner, slot.ref - 1) == guid)
			return pos;
	}
}

static inline uint32_t gi_entry(const struct gi_index *ix, uint32_t pos)
{
	return ix->slots[pos].ref - 1;
}

/* Index @entry, whose GUID is absent, under @hash (room reserved). */
static inline void gi_put(struct gi_index *ix, uint32_t hash, uint32_t entry)
{
	uint32_t mask = ix->size - 1;
	uint32_t pos = hash & mask;

	while (ix->slots[pos].ref)
		pos = (pos + 1) & mask;
	ix->slots[pos].hash = hash;
	ix->slots[pos].ref = entry + 1;
}

/* Point the slot at @pos at another entry (its owner moved it). */
static inline void gi_repoint(struct gi_index *ix, uint32_t pos, uint32_t entry)
{
	ix->slots[pos].ref = entry + 1;
}

/* Remove the slot at @pos; backward shift keeps every probe sequence whole. */
static inline void gi_remove(struct gi_index *ix, uint32_t hole)
{
	uint32_t mask = ix->size - 1;
	uint32_t pos = hole;

	for (;;) {
		struct gi_slot slot;

		pos = (pos + 1) & mask;
		slot = ix->slots[pos];
		if (!slot.ref)
			break;
		/* The slot may fill the hole unless its home lies in (hole, pos]. */
		if (((pos - (slot.hash & mask)) & mask) < ((pos - hole) & mask))
			continue;
		ix->slots[hole] = slot;
		hole = pos;
	}
	ix->slots[hole].ref = 0;
}

#endif /* IBVMIG_GUID_INDEX_H */
