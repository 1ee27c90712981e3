/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * esc_map.h - private to libibvmig-escrow: a fixed-size hash multimap from a
 * 64-bit key to a 32-bit value (the escrow's slots by token hash, by id, by
 * port GUID; the retransmission cache; the rate limiter).
 *
 * Every bound of the escrow is fixed at creation, so the map never grows:
 * it is sized at creation for its most entries at a load of 1/2.  Linear
 * probing; removal shifts the entries after the hole back (no tombstones).
 * Keys may repeat (two tokens whose hashes share 64 bits): a lookup walks
 * every entry of the key and the owner tells them apart.  Keys come from
 * hosts (port GUIDs, TIDs), so they are mixed with a seed the owner draws at
 * random: a host cannot aim collisions at the SM.
 *
 * Not locked: the owner serialises every call.
 */
#ifndef IBVMIG_ESC_MAP_H
#define IBVMIG_ESC_MAP_H

#include <stdbool.h>
#include <stdint.h>

#define ESC_NIL UINT32_MAX

struct esc_map_slot {
	uint64_t key;
	uint32_t val;			/* ESC_NIL: empty */
};

struct esc_map {
	struct esc_map_slot *slots;
	uint32_t mask;			/* size - 1, size a power of two */
	uint64_t seed;
};

/* Room for @max entries: 0 or -ENOMEM.  esc_map_free undoes it (twice is harmless). */
int esc_map_init(struct esc_map *m, uint32_t max, uint64_t seed);
void esc_map_free(struct esc_map *m);
/* Adds (@key, @val); the caller keeps within @max entries. */
void esc_map_put(struct esc_map *m, uint64_t key, uint32_t val);
/* Removes (@key, @val): whether it was there. */
bool esc_map_del(struct esc_map *m, uint64_t key, uint32_t val);
/*
 * The values of @key, one per call: start with *@pos = ESC_NIL; returns
 * ESC_NIL when there are no more.  The map must not change meanwhile.
 */
uint32_t esc_map_next(const struct esc_map *m, uint64_t key, uint32_t *pos);

#endif /* IBVMIG_ESC_MAP_H */
