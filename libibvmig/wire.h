/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire.h - private to libibvmig: a bounds-checked big-endian cursor that every
 * codec of the library writes and reads through, so that no codec does its
 * own offset arithmetic or byte swapping.
 */
#ifndef IBVMIG_WIRE_H
#define IBVMIG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Writing past the end or reading past it sets ->short_buf and does nothing. */
struct wire {
	uint8_t *buf;
	size_t len;
	size_t off;
	bool short_buf;
};

static inline struct wire wire_at(void *buf, size_t len)
{
	return (struct wire){ .buf = buf, .len = len };
}

static inline bool wire_room(struct wire *w, size_t n)
{
	if (w->short_buf || w->len - w->off < n) {
		w->short_buf = true;
		return false;
	}
	return true;
}

static inline void wire_put_uint(struct wire *w, uint64_t v, size_t n)
{
	size_t i;

	if (!wire_room(w, n))
		return;
	for (i = 0; i < n; i++)
		w->buf[w->off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	w->off += n;
}

static inline uint64_t wire_get_uint(struct wire *w, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (!wire_room(w, n))
		return 0;
	for (i = 0; i < n; i++)
		v = v << 8 | w->buf[w->off + i];
	w->off += n;
	return v;
}

static inline void wire_put_u8(struct wire *w, uint8_t v) { wire_put_uint(w, v, 1); }
static inline void wire_put_u16(struct wire *w, uint16_t v) { wire_put_uint(w, v, 2); }
static inline void wire_put_u32(struct wire *w, uint32_t v) { wire_put_uint(w, v, 4); }
static inline void wire_put_u64(struct wire *w, uint64_t v) { wire_put_uint(w, v, 8); }
static inline uint8_t wire_get_u8(struct wire *w) { return (uint8_t)wire_get_uint(w, 1); }
static inline uint16_t wire_get_u16(struct wire *w) { return (uint16_t)wire_get_uint(w, 2); }
static inline uint32_t wire_get_u32(struct wire *w) { return (uint32_t)wire_get_uint(w, 4); }
static inline uint64_t wire_get_u64(struct wire *w) { return wire_get_uint(w, 8); }

static inline void wire_put_bytes(struct wire *w, const void *p, size_t n)
{
	if (!wire_room(w, n))
		return;
	memcpy(w->buf + w->off, p, n);
	w->off += n;
}

static inline void wire_get_bytes(struct wire *w, void *p, size_t n)
{
	if (!wire_room(w, n)) {
		memset(p, 0, n);
		return;
	}
	memcpy(p, w->buf + w->off, n);
	w->off += n;
}

static inline void wire_skip(struct wire *w, size_t n)
{
	if (wire_room(w, n))
		w->off += n;
}

/* Zero-fill @n bytes (reserved fields). */
static inline void wire_put_zero(struct wire *w, size_t n)
{
	if (!wire_room(w, n))
		return;
	memset(w->buf + w->off, 0, n);
	w->off += n;
}

#endif /* IBVMIG_WIRE_H */
