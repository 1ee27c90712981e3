// SPDX-License-Identifier: BSD-2-Clause
/* esc_map.c - the escrow's fixed-size hash multimap (esc_map.h). */
#include "esc_map.h"

#include <errno.h>
#include <stdlib.h>

static uint32_t esc_map_home(const struct esc_map *m, uint64_t key)
{
	/* MurmurHash3's 64-bit finaliser: every key bit reaches every bit used. */
	uint64_t h = key ^ m->seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h & m->mask;
}

int esc_map_init(struct esc_map *m, uint32_t max, uint64_t seed)
{
	uint64_t size = 16, i;

	while (size < 2 * (uint64_t)max)
		size <<= 1;
	if (size > (1ull << 31))
		return -ENOMEM;
	m->slots = malloc(size * sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	for (i = 0; i < size; i++)
		m->slots[i].val = ESC_NIL;
	m->mask = (uint32_t)(size - 1);
	m->seed = seed;
	return 0;
}

void esc_map_free(struct esc_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
}

void esc_map_put(struct esc_map *m, uint64_t key, uint32_t val)
{
	uint32_t pos = esc_map_home(m, key);

	while (m->slots[pos].val != ESC_NIL)
		pos = (pos + 1) & m->mask;
	m->slots[pos].key = key;
	m->slots[pos].val = val;
}

/* Empties @hole, moving back each later entry of its run that may fill it. */
static void esc_map_shift(struct esc_map *m, uint32_t hole)
{
	uint32_t pos = hole, home;

	for (;;) {
		pos = (pos + 1) & m->mask;
		if (m->slots[pos].val == ESC_NIL)
			break;
		home = esc_map_home(m, m->slots[pos].key);
		/* It may move to the hole unless its home lies in (hole, pos]. */
		if (((pos - home) & m->mask) < ((pos - hole) & m->mask))
			continue;
		m->slots[hole] = m->slots[pos];
		hole = pos;
	}
	m->slots[hole].val = ESC_NIL;
}

bool esc_map_del(struct esc_map *m, uint64_t key, uint32_t val)
{
	uint32_t pos = esc_map_home(m, key);

	for (; m->slots[pos].val != ESC_NIL; pos = (pos + 1) & m->mask) {
		if (m->slots[pos].key == key && m->slots[pos].val == val) {
			esc_map_shift(m, pos);
			return true;
		}
	}
	return false;
}

uint32_t esc_map_next(const struct esc_map *m, uint64_t key, uint32_t *pos)
{
	uint32_t p = *pos == ESC_NIL ? esc_map_home(m, key) : ((*pos + 1) & m->mask);

	for (; m->slots[p].val != ESC_NIL; p = (p + 1) & m->mask) {
		if (m->slots[p].key == key) {
			*pos = p;
			return m->slots[p].val;
		}
	}
	*pos = p;
	return ESC_NIL;
}
