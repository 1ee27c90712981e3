// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_table.c - the agent's mapping table: VMs in a slot array (a host has
 * tens of VMs, so name and vGUID lookups scan it), interests in one chained
 * hash keyed by GID whose nodes name the VM, so that a notice's fan-out reads
 * one bucket whatever the number of VMs and interests.
 */
#include "agent_table.h"
#include "ibvmig_notice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS_MIN 64

struct interest {
	uint64_t prefix, guid;
	int vm;
	struct interest *next;		/* in its bucket */
};

struct slot {
	bool used;
	struct at_vm vm;
};

/* A slot of the last-notice table: @n valid when @used. */
struct last_notice {
	bool used;
	struct at_notice n;
};

struct at_table {
	struct at_limits lim;
	struct last_notice *last;	/* AT_NOTICE_SLOTS of them */
	struct slot *slots;		/* lim.max_vms of them */
	unsigned n_vms;
	struct interest **buckets;
	size_t n_buckets;		/* a power of two */
	size_t n_interests;
};

/* ---- helpers ---------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: GUIDs differ in their low bytes only. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static size_t bucket_of(size_t n_buckets, uint64_t prefix, uint64_t guid)
{
	return (size_t)(mix64(guid ^ mix64(prefix)) & (n_buckets - 1));
}

static bool valid_id(const struct at_table *t, int id)
{
	return id >= 0 && (unsigned)id < t->lim.max_vms && t->slots[id].used;
}

/* Printable ASCII, 1..AT_NAME_MAX bytes: names travel in the VM channel and in JSON. */
static bool valid_name(const char *name)
{
	size_t i;

	if (!name || !name[0])
		return false;
	for (i = 0; name[i]; i++)
		if (i >= AT_NAME_MAX || name[i] < 0x21 || name[i] > 0x7e)
			return false;
	return true;
}

/* ---- the table -------------------------------------------------------------------------- */

struct at_table *at_create(const struct at_limits *lim)
{
	struct at_table *t;

	if (!lim || !lim->max_vms || lim->max_vms > AT_VMS_MAX || !lim->max_interests) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->lim = *lim;
	t->n_buckets = BUCKETS_MIN;
	t->slots = calloc(lim->max_vms, sizeof(*t->slots));
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	t->last = calloc(AT_NOTICE_SLOTS, sizeof(*t->last));
	if (!t->slots || !t->buckets || !t->last) {
		at_destroy(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void at_destroy(struct at_table *t)
{
	struct interest *in, *next;
	size_t b;

	if (!t)
		return;
	for (b = 0; t->buckets && b < t->n_buckets; b++)
		for (in = t->buckets[b]; in; in = next) {
			next = in->next;
			free(in);
		}
	free(t->buckets);
	free(t->slots);
	free(t->last);
	free(t);
}

/* ---- VMs -------------------------------------------------------------------------------- */

int at_vm_find(const struct at_table *t, const char *name)
{
	unsigned i;

	if (!name)
		return -ENOENT;
	for (i = 0; i < t->lim.max_vms; i++)
		if (t->slots[i].used && !strcmp(t->slots[i].vm.name, name))
			return (int)i;
	return -ENOENT;
}

int at_vm_by_vguid(const struct at_table *t, uint64_t vguid)
{
	unsigned i;

	if (!vguid)
		return -ENOENT;
	for (i = 0; i < t->lim.max_vms; i++)
		if (t->slots[i].used && t->slots[i].vm.vguid == vguid)
			return (int)i;
	return -ENOENT;
}

int at_vm_add(struct at_table *t, const char *name, uint64_t vguid, uint32_t cid)
{
	unsigned i;

	if (!valid_name(name))
		return -EINVAL;
	if (at_vm_find(t, name) >= 0)
		return -EEXIST;
	if (at_vm_by_vguid(t, vguid) >= 0)
		return -EADDRINUSE;
	for (i = 0; i < t->lim.max_vms && t->slots[i].used; i++)
		;
	if (i == t->lim.max_vms)
		return -ENOSPC;
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->slots[i].used = true;
	strcpy(t->slots[i].vm.name, name);
	t->slots[i].vm.vguid = vguid;
	t->slots[i].vm.cid = cid;
	t->n_vms++;
	return (int)i;
}

/* Unlinks and frees every interest of VM @vm; a scan of all buckets (VMs leave rarely). */
static size_t drop_interests(struct at_table *t, int vm)
{
	struct interest **pp, *in;
	size_t b, n = 0;

	for (b = 0; b < t->n_buckets; b++)
		for (pp = &t->buckets[b]; (in = *pp);) {
			if (in->vm != vm) {
				pp = &in->next;
				continue;
			}
			*pp = in->next;
			free(in);
			n++;
		}
	t->n_interests -= n;
	return n;
}

int at_vm_remove(struct at_table *t, int id)
{
	if (!valid_id(t, id))
		return -ENOENT;
	drop_interests(t, id);
	memset(&t->slots[id], 0, sizeof(t->slots[id]));
	t->n_vms--;
	return 0;
}

int at_vm_get(const struct at_table *t, int id, struct at_vm *out)
{
	if (!valid_id(t, id))
		return -ENOENT;
	*out = t->slots[id].vm;
	return 0;
}

int at_vm_set_vguid(struct at_table *t, int id, uint64_t vguid)
{
	int holder;

	if (!valid_id(t, id))
		return -ENOENT;
	holder = at_vm_by_vguid(t, vguid);
	if (holder >= 0 && holder != id)
		return -EADDRINUSE;
	t->slots[id].vm.vguid = vguid;
	return 0;
}

int at_vm_next(const struct at_table *t, int after)
{
	unsigned i;

	for (i = after < 0 ? 0 : (unsigned)after + 1; i < t->lim.max_vms; i++)
		if (t->slots[i].used)
			return (int)i;
	return -ENOENT;
}

unsigned at_vm_count(const struct at_table *t)
{
	return t->n_vms;
}

/* ---- interests -------------------------------------------------------------------------- */

static struct interest **find_interest(const struct at_table *t, int vm, uint64_t prefix,
				       uint64_t guid)
{
	struct interest **pp = &t->buckets[bucket_of(t->n_buckets, prefix, guid)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->vm == vm && (*pp)->guid == guid && (*pp)->prefix == prefix)
			return pp;
	return NULL;
}

/* Doubles the buckets when the chains grow past two nodes on average; best effort. */
static void maybe_grow(struct at_table *t)
{
	size_t n = t->n_buckets * 2, b;
	struct interest **nb, *in, *next;

	if (t->n_interests < 2 * t->n_buckets)
		return;
	nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;		/* longer chains, same answers */
	for (b = 0; b < t->n_buckets; b++)
		for (in = t->buckets[b]; in; in = next) {
			size_t to = bucket_of(n, in->prefix, in->guid);

			next = in->next;
			in->next = nb[to];
			nb[to] = in;
		}
	free(t->buckets);
	t->buckets = nb;
	t->n_buckets = n;
}

int at_interest_add(struct at_table *t, int id, uint64_t prefix, uint64_t guid)
{
	struct interest *in;
	size_t b;

	if (!guid)
		return -EINVAL;
	if (!valid_id(t, id))
		return -ENOENT;
	if (find_interest(t, id, prefix, guid))
		return 0;
	if (t->slots[id].vm.interests >= t->lim.max_interests)
		return -ENOSPC;
	in = malloc(sizeof(*in));
	if (!in)
		return -ENOMEM;
	*in = (struct interest){ .prefix = prefix, .guid = guid, .vm = id };
	b = bucket_of(t->n_buckets, prefix, guid);
	in->next = t->buckets[b];
	t->buckets[b] = in;
	t->slots[id].vm.interests++;
	t->n_interests++;
	maybe_grow(t);
	return 1;
}

int at_interest_del(struct at_table *t, int id, uint64_t prefix, uint64_t guid)
{
	struct interest **pp, *in;

	if (!valid_id(t, id))
		return -ENOENT;
	pp = find_interest(t, id, prefix, guid);
	if (!pp)
		return 0;
	in = *pp;
	*pp = in->next;
	free(in);
	t->slots[id].vm.interests--;
	t->n_interests--;
	return 1;
}

bool at_interest_has(const struct at_table *t, int id, uint64_t prefix, uint64_t guid)
{
	return valid_id(t, id) && find_interest(t, id, prefix, guid);
}

size_t at_interest_total(const struct at_table *t)
{
	return t->n_interests;
}

/* ---- forwarding ------------------------------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static size_t fanout_all(const struct at_table *t, int owner, int *ids, size_t cap)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i < t->lim.max_vms; i++) {
		if (!t->slots[i].used || (int)i == owner)
			continue;
		if (n < cap)
			ids[n] = (int)i;
		n++;
	}
	return n;
}

size_t at_fanout(const struct at_table *t, enum at_mode mode, uint64_t prefix, uint64_t vguid,
		 int *ids, size_t cap)
{
	int owner = at_vm_by_vguid(t, vguid);
	const struct interest *in;
	size_t n = 0;

	if (mode == AT_FORWARD_ALL)
		return fanout_all(t, owner, ids, cap);
	/* A VM holds a GID in its interest once, so the bucket yields each VM once. */
	for (in = t->buckets[bucket_of(t->n_buckets, prefix, vguid)]; in; in = in->next) {
		if (in->guid != vguid || in->prefix != prefix || in->vm == owner)
			continue;
		if (n < cap)
			ids[n] = in->vm;
		n++;
	}
	if (n && cap)
		qsort(ids, n < cap ? n : cap, sizeof(*ids), cmp_int);
	return n;
}

void at_count_forward(struct at_table *t, int id)
{
	if (valid_id(t, id))
		t->slots[id].vm.forwarded++;
}

/* ---- re-validation and repeats ---------------------------------------------------------- */

/* True when an interest before @in in its bucket has the same GID (it was listed). */
static bool listed_before(const struct interest *first, const struct interest *in)
{
	for (; first != in; first = first->next)
		if (first->guid == in->guid && first->prefix == in->prefix)
			return true;
	return false;
}

size_t at_interest_gids(const struct at_table *t, struct at_gid *out, size_t cap)
{
	const struct interest *in;
	size_t b, n = 0;

	/* A GID's interests all sit in one bucket: a scan of that bucket dedups. */
	for (b = 0; b < t->n_buckets; b++)
		for (in = t->buckets[b]; in; in = in->next) {
			if (listed_before(t->buckets[b], in))
				continue;
			if (n < cap)
				out[n] = (struct at_gid){ in->prefix, in->guid };
			n++;
		}
	return n;
}

static bool same_content(const struct at_notice *a, const struct at_notice *b)
{
	return a->trap == b->trap && a->reason == b->reason && a->new_lid == b->new_lid &&
	       a->old_lid == b->old_lid && a->prefix == b->prefix && a->vguid == b->vguid &&
	       a->new_port_guid == b->new_port_guid && a->old_port_guid == b->old_port_guid;
}

bool at_notice_repeats(struct at_table *t, const struct at_notice *n)
{
	struct last_notice *slot = &t->last[bucket_of(AT_NOTICE_SLOTS, n->prefix, n->vguid)];
	bool repeat = slot->used && n->trap == IBVMIG_TRAP_REPATH && same_content(&slot->n, n);

	*slot = (struct last_notice){ true, *n };
	return repeat;
}
