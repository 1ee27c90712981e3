/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agent_table.h - the hypervisor agent's mapping table (Algorithm 2 of
 * US 2013/0254424 A1): which local VM holds which vGUID, which remote vGIDs
 * each VM holds paths to (its interest), and to which VMs a RePath/UnPath
 * notice is forwarded.  Pure: no sockets, no MADs, no threads, no clock.
 *
 * A VM is known by its name (1..IBVMIG_VMC_NAME_MAX printable bytes) and by
 * a small id, valid until the VM is removed (an id may then be reused).  A
 * vGUID belongs to at most one VM; a VM holds at most one vGUID (0: none).
 * Interests are GIDs (subnet prefix : GUID), matched exactly.
 *
 * FORWARDING (at_fanout): a notice about prefix:vguid goes
 *  - in AT_FORWARD_INTEREST mode (the default) to each VM whose interest
 *    holds that GID, in AT_FORWARD_ALL mode to every VM;
 *  - never to the VM that holds the vGUID itself (the notice is about it).
 * Whether a VM is reachable is the caller's business: the table only names
 * the VMs that need the notice, in ascending id order.
 *
 * OWNERSHIP AND THREADS: the caller owns the table (at_create/at_destroy)
 * and serialises every call on it; the agent's channel thread alone uses it.
 * Functions return a result >= 0 or a negative errno value and never print.
 */
#ifndef IBVMIG_AGENT_TABLE_H
#define IBVMIG_AGENT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_NAME_MAX 63		/* = IBVMIG_VMC_NAME_MAX */
#define AT_VMS_MAX 4096

enum at_mode {
	AT_FORWARD_INTEREST = 0,
	AT_FORWARD_ALL = 1,
};

struct at_limits {
	unsigned max_vms;		/* 1..AT_VMS_MAX */
	unsigned max_interests;		/* per VM, >= 1 */
};

/* A VM as at_vm_get() shows it. */
struct at_vm {
	char name[AT_NAME_MAX + 1];
	uint64_t vguid;			/* 0: none */
	uint32_t cid;			/* AF_VSOCK context id, 0: none */
	uint32_t interests;
	uint64_t forwarded;		/* notices counted by at_count_forward() */
};

struct at_table;

/* NULL with errno EINVAL (bad limits) or ENOMEM. */
struct at_table *at_create(const struct at_limits *lim);
void at_destroy(struct at_table *t);

/*
 * Adds a VM; returns its id.  -EINVAL for a bad name, -EEXIST when the name
 * is taken, -EADDRINUSE when another VM holds @vguid, -ENOSPC at max_vms.
 */
int at_vm_add(struct at_table *t, const char *name, uint64_t vguid, uint32_t cid);
/* Removes a VM and its interests: 0 or -ENOENT. */
int at_vm_remove(struct at_table *t, int id);
/* The id of the VM named @name, or -ENOENT. */
int at_vm_find(const struct at_table *t, const char *name);
/* The id of the VM holding @vguid (non-zero), or -ENOENT. */
int at_vm_by_vguid(const struct at_table *t, uint64_t vguid);
/* 0 and *@out, or -ENOENT. */
int at_vm_get(const struct at_table *t, int id, struct at_vm *out);
/*
 * Gives the VM @vguid (0 takes its vGUID away).  -EADDRINUSE when another
 * VM holds it, -ENOENT for no such VM.
 */
int at_vm_set_vguid(struct at_table *t, int id, uint64_t vguid);
/* Ids of the VMs, ascending: the first id > @after (-1 to start), or -ENOENT. */
int at_vm_next(const struct at_table *t, int after);
unsigned at_vm_count(const struct at_table *t);

/*
 * Adds the GID to the VM's interest: 1 when new, 0 when it was there.
 * -EINVAL for a zero GUID, -ENOENT for no such VM, -ENOSPC at max_interests.
 */
int at_interest_add(struct at_table *t, int id, uint64_t prefix, uint64_t guid);
/* 1 when removed, 0 when it was not there; -ENOENT for no such VM. */
int at_interest_del(struct at_table *t, int id, uint64_t prefix, uint64_t guid);
/* True when the VM's interest holds the GID. */
bool at_interest_has(const struct at_table *t, int id, uint64_t prefix, uint64_t guid);
/* Interests held by all VMs together. */
size_t at_interest_total(const struct at_table *t);

/*
 * The VMs a notice about @prefix:@vguid goes to (see above): their ids into
 * @ids, ascending, when @cap is at least at_vm_count() (with less room,
 * @cap of them, which ones unspecified).  Returns how many there are in all.
 */
size_t at_fanout(const struct at_table *t, enum at_mode mode, uint64_t prefix, uint64_t vguid,
		 int *ids, size_t cap);
/* Counts one notice forwarded to the VM (its at_vm.forwarded). */
void at_count_forward(struct at_table *t, int id);

/* A GID, as at_interest_gids() lists them. */
struct at_gid {
	uint64_t prefix, guid;
};

/*
 * Every GID some VM's interest holds, each once (for a re-validation round):
 * up to @cap of them into @out, in no particular order.  Returns how many
 * there are in all (at most at_interest_total()).
 */
size_t at_interest_gids(const struct at_table *t, struct at_gid *out, size_t cap);

/*
 * REPEATS (doc/ibvmigd.8, "Repeats").  An SM killed between a migration's
 * Set and its save sends the same RePath again after its restart, under a new
 * epoch (doc/notice-details.md).  The table keeps the content of the last
 * notice about each vGID (its trap, reason, LIDs and port GUIDs; not its
 * stamp or number) in AT_NOTICE_SLOTS direct-mapped slots: a collision
 * forgets the older vGID's, whose repeat then goes through (harmless: the
 * same LID again).
 */
#define AT_NOTICE_SLOTS 4096

struct at_notice {
	uint16_t trap;
	uint8_t reason;
	uint16_t new_lid, old_lid;
	uint64_t prefix, vguid;
	uint64_t new_port_guid, old_port_guid;
};

/*
 * Notes @n as the last notice about its vGID.  True when it is a RePath
 * identical in content to the last notice noted for that vGID, whatever its
 * epoch: a repeat, not to be forwarded.
 */
bool at_notice_repeats(struct at_table *t, const struct at_notice *n);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_AGENT_TABLE_H */
