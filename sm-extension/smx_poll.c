// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_poll.c - reading a port's GUID table through the SA, for tells and for
 * the reconcile poll, and feeding the engine what a read shows.
 *
 * One SubnAdmGet(GUIDInfoRecord) by LID and BlockNum per block: one record
 * each (a port without an alias table answers zeros; past GUIDCap, and for a
 * LID without a port, "no records"); GetTable is no use under ibsim (RMPP,
 * doc/simulator.md).  A poll is therefore no snapshot: ports are read one
 * after the other, and an alias may be seen on two ports or on none while it
 * migrates.  The engine sorts that out (engine.h, eng_port_read); what is
 * left here is when a read may be fed at all.
 *
 * An SM that restarts forgets every alias (doc/simulator.md, "Alias GUIDs
 * through the SA"), and its ports read empty until the hosts set them again:
 * fed as they are, they would send an UnPath for every VM of the fabric.  So
 * a read that would take away an alias nobody reported gone is fed only
 * after the SM's canary (smx_sm.c) shows the SM still knows this client - the
 * Get first, the check after, so that an SM that restarted before the Get is
 * caught.  If it forgot, the engine is told first (eng_sm_forgot) and the
 * read then takes nothing away.  Tells of a Delete name their vGUID and need
 * no check.
 * Log codes of this file: E4xx (doc/log-codes.md).
 */
#include "smx.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* The two snapshots of one read: 2 x 2 KB, the MAD thread's alone. */
static struct eng_port_snapshot snap_before, snap_after;

/* Reports that came during the Get first: a plugin's notice of this very change. */
static void drain_reports(struct smx *s)
{
	int rc = ibvmig_sa_process(s->sa, 0, smx_sm_on_report, s);

	if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
		util_log(UTIL_LOG_VERBOSE, "ERR E401: reading the port failed: %s",
			 ibvmig_sa_strerror(rc));
}

/* Feeds one read of @p (snap_before -> snap_after), through the canary gate. */
static int feed(struct smx *s, struct smx_port *p, uint64_t told)
{
	int rc;

	drain_reports(s);
	if (eng_port_read_drops(s->eng, &snap_before, &snap_after, told)) {
		s->cnt.deferred_reads++;
		rc = smx_sm_check(s);
		if (rc < 0) {
			util_log(UTIL_LOG_VERBOSE, "ERR E402: port 0x%016" PRIx64 " LID %u lost "
				 "aliases, but the SM did not answer its canary (%s): read it "
				 "again later", p->guid, p->lid, ibvmig_sa_strerror(rc));
			return rc;
		}
	}
	eng_port_read(s->eng, &snap_before, &snap_after, told,
		      p->trusted ? ENG_READ_TRUSTED : 0);
	smx_port_keep(p, &snap_after);
	return 0;
}

int smx_read_left(struct smx *s, struct smx_port *p)
{
	smx_port_snapshot(p, &snap_before);
	memset(&snap_after, 0, sizeof(snap_after));
	if (!snap_before.port_guid) {
		p->gone = true;
		return 0;
	}
	util_log(UTIL_LOG_VERBOSE, "port 0x%016" PRIx64 " left LID %u", p->guid, p->lid);
	return feed(s, p, 0);
}

/* The Get of one block: 0 and *@b, 1 when the LID has no port (or another one), or -errno. */
static int get_block(struct smx *s, struct smx_port *p, uint8_t block,
		     struct ibvmig_sa_guid_block *b)
{
	int rc = ibvmig_sa_guid_block_at(s->sa, p->lid, block, b);

	if (rc == -ENOENT && !block)
		return 1;	/* block 0 exists on every port: no port has the LID */
	if (rc == -ETIMEDOUT)
		s->cnt.sa_timeouts++;
	if (rc)
		return rc;
	/* Index 0 is the port's own GUID once it has a table: another port took the LID. */
	if (!block && b->guid[0] && b->guid[0] != p->guid)
		return 1;
	return 0;
}

int smx_read_block(struct smx *s, struct smx_port *p, uint8_t block, uint64_t told,
		   int told_index, uint64_t *seen)
{
	struct ibvmig_sa_guid_block b;
	int rc;

	if (!p->lid)
		return -ENOENT;
	rc = get_block(s, p, block, &b);
	if (rc < 0)
		return rc;
	smx_port_snapshot(p, &snap_before);
	smx_port_apply_block(p, block, rc ? NULL : &b, &snap_after);
	if (rc) {
		util_log(UTIL_LOG_VERBOSE, "port 0x%016" PRIx64 " no longer at LID %u", p->guid,
			 p->lid);
		smx_ports_rescan(s);	/* where did it go, and who has the LID */
	}
	rc = feed(s, p, told);
	if (!rc && seen)
		*seen = told_index >= 0 && (unsigned)told_index < snap_after.entries ?
				snap_after.guids[told_index] : 0;
	return rc;
}

/* ---- the paced poll --------------------------------------------------------------- */

static unsigned blocks_of(const struct smx_port *p)
{
	return (p->guid_cap + IBVMIG_SA_GUIDS_PER_BLOCK - 1) / IBVMIG_SA_GUIDS_PER_BLOCK;
}

/* Every alias index of block @b holds an alias (index 0 is the port's own). */
static bool block_full(const struct smx_port *p, unsigned b)
{
	unsigned i, first = b * IBVMIG_SA_GUIDS_PER_BLOCK;

	if (!p->read)
		return false;
	for (i = first ? first : 1; i < first + IBVMIG_SA_GUIDS_PER_BLOCK && i < p->guid_cap; i++)
		if (!p->table[i])
			return false;
	return true;
}

/*
 * The blocks of @p this cycle reads: up to the first that is not full - an
 * agent (ibvmig_sa_alias_find) and ibvmig-sa take the first free index, so a
 * port's aliases fill its table from index 1 - and every block in one cycle of
 * poll_full_every, spread over the ports, for an alias set at a higher index
 * directly.  One Get per port and cycle, mostly: what keeps the poll within
 * its budget at 2000 hosts (doc/benchmarks.md).
 */
static unsigned blocks_to_read(const struct smx *s, const struct smx_port *p, uint32_t i)
{
	unsigned all = blocks_of(p), b;

	if (s->conf.poll_full_every <= 1 || (s->cnt.poll_cycles + i) % s->conf.poll_full_every == 0)
		return all;
	for (b = 0; b < all; b++)
		if (!block_full(p, b))
			return b + 1;
	return all;
}

/* The next block of the cycle, or NULL at its end. */
static struct smx_port *next_block(struct smx *s)
{
	struct smx_ports *t = &s->ports;

	while (s->poll_port < t->n) {
		struct smx_port *p = &t->p[s->poll_port];

		if (smx_port_pollable(p) && s->poll_block < blocks_to_read(s, p, s->poll_port))
			return p;
		s->poll_port++;
		s->poll_block = 0;
	}
	return NULL;
}

static void cycle_done(struct smx *s, uint64_t now_ms)
{
	s->cycle_running = false;
	s->cnt.poll_cycles++;
	s->last_cycle_ms = now_ms - s->cycle_start_ms;
	s->next_cycle_ms = s->cycle_start_ms + s->conf.poll_interval_ms;
	util_log(s->cnt.poll_cycles == 1 ? UTIL_LOG_INFO : UTIL_LOG_DEBUG,
		 "poll cycle %llu: %llu ms", (unsigned long long)s->cnt.poll_cycles,
		 (unsigned long long)s->last_cycle_ms);
}

/* Trap 65 asked for a look at these ports' first block. */
static int urgent_step(struct smx *s)
{
	struct smx_ports *t = &s->ports;
	struct smx_port *p;

	while (t->n_urgent_lids) {
		p = smx_port_by_lid(t, t->urgent_lids[--t->n_urgent_lids]);
		if (!p || !smx_port_pollable(p))
			continue;
		smx_pace_charge(&s->pace, 1, util_mono_ns());
		s->cnt.poll_requests++;
		if (smx_read_block(s, p, 0, 0, -1, NULL))
			s->cnt.poll_errors++;
		return 1;
	}
	return 0;
}

int smx_poll_step(struct smx *s, uint64_t now_ms)
{
	struct smx_port *p;
	uint8_t block;

	if (!s->sm_lid)
		return 0;
	if (urgent_step(s))
		return 1;
	if (!s->cycle_running) {
		if (now_ms < s->next_cycle_ms || !s->ports.n)
			return 0;
		s->cycle_running = true;
		s->cycle_start_ms = now_ms;
		s->poll_port = 0;
		s->poll_block = 0;
	}
	p = next_block(s);
	if (!p) {
		cycle_done(s, now_ms);
		return 0;
	}
	if (!smx_pace_take(&s->pace, util_mono_ns()))
		return 0;
	block = s->poll_block++;
	s->cnt.poll_requests++;
	if (smx_read_block(s, p, block, 0, -1, NULL))
		s->cnt.poll_errors++;
	return 1;
}
