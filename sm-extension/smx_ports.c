// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_ports.c - the CA ports the poll reads, and what each last showed.
 *
 * Learnt by LID, one single-record SA Get at a time (a GetTable of NodeRecords
 * comes back truncated under ibsim: doc/simulator.md, "RMPP"): a NodeRecord
 * says whether the LID is a CA's port and which, a PortInfoRecord its GUIDCap
 * (IBA 14.2.5.6; 32 under ibsim, "ibsim Limits").  A scan runs from LID 1
 * until learn_gap LIDs in a row have no port beyond the highest that had one;
 * again every learn_interval, for the LID of each GID that trap 64 brings
 * into service, and for a LID a tell comes from that is not known yet.  Trap
 * 65 asks for an early read of that port's first block, which finds it gone.
 * Every request takes a token of the poll's budget (smx_pace.c).
 * Log codes of this file: E3xx (doc/log-codes.md).
 */
#include "smx.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NODE_TYPE_CA 1			/* NodeInfo NodeType, IBA 14.2.5.3 */

int smx_ports_init(struct smx_ports *t)
{
	memset(t, 0, sizeof(*t));
	t->by_lid = calloc(SMX_LID_TOP + 1, sizeof(*t->by_lid));
	if (!t->by_lid)
		return -ENOMEM;
	t->scan_lid = 1;	/* the first scan starts at once */
	return 0;
}

void smx_ports_free(struct smx_ports *t)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		free(t->p[i].table);
	free(t->p);
	free(t->by_lid);
	memset(t, 0, sizeof(*t));
}

struct smx_port *smx_port_by_lid(struct smx_ports *t, uint16_t lid)
{
	uint32_t i;

	if (!lid || lid > SMX_LID_TOP)
		return NULL;
	i = t->by_lid[lid];
	return i ? &t->p[i - 1] : NULL;
}

struct smx_port *smx_port_by_guid(struct smx_ports *t, uint64_t guid)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		if (t->p[i].guid == guid)
			return &t->p[i];
	return NULL;
}

bool smx_port_pollable(const struct smx_port *p)
{
	return !p->gone && p->lid && p->guid_cap >= 2;
}

/* ---- snapshots --------------------------------------------------------------------- */

/* GUIDCap is 8 bits (IBA 14.2.5.6): ENG_PORT_GUIDS_MAX holds any port's table. */
_Static_assert(ENG_PORT_GUIDS_MAX >= 255, "a snapshot holds a whole GUID table");

static unsigned cap_of(const struct smx_port *p)
{
	return p->guid_cap;
}

void smx_port_snapshot(const struct smx_port *p, struct eng_port_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	if (!p->read)
		return;
	s->port_guid = p->guid;
	s->lid = p->lid;
	s->entries = cap_of(p);
	memcpy(s->guids, p->table, s->entries * sizeof(*s->guids));
}

void smx_port_apply_block(const struct smx_port *p, uint8_t block,
			  const struct ibvmig_sa_guid_block *b, struct eng_port_snapshot *s)
{
	unsigned i, first = (unsigned)block * IBVMIG_SA_GUIDS_PER_BLOCK;

	memset(s, 0, sizeof(*s));
	if (!b)
		return;		/* no port at the LID: @s says so with port GUID 0 */
	s->port_guid = p->guid;
	s->lid = p->lid;
	s->entries = cap_of(p);
	if (p->read)
		memcpy(s->guids, p->table, s->entries * sizeof(*s->guids));
	for (i = 0; i < IBVMIG_SA_GUIDS_PER_BLOCK && first + i < s->entries; i++)
		s->guids[first + i] = b->guid[i];
	s->guids[0] = p->guid;	/* a port without an alias table answers 0 there */
}

void smx_port_keep(struct smx_port *p, const struct eng_port_snapshot *s)
{
	unsigned n = cap_of(p);

	if (!s->port_guid) {
		memset(p->table, 0, n * sizeof(*p->table));
		p->read = false;
		p->gone = true;
		return;
	}
	memcpy(p->table, s->guids, n * sizeof(*p->table));
	p->read = true;
}

/* ---- the table ---------------------------------------------------------------------- */

static int port_resize(struct smx_port *p, uint8_t guid_cap)
{
	uint64_t *table;

	if (p->table && p->guid_cap == guid_cap)
		return 0;
	table = calloc(guid_cap ? guid_cap : 1, sizeof(*table));
	if (!table)
		return -ENOMEM;
	free(p->table);
	p->table = table;
	p->guid_cap = guid_cap;
	p->read = false;	/* a new GUIDCap: read it afresh */
	return 0;
}

static struct smx_port *port_add(struct smx *s, uint64_t guid)
{
	struct smx_ports *t = &s->ports;
	struct smx_port *p;
	uint32_t cap;

	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 64;
		p = reallocarray(t->p, cap, sizeof(*p));
		if (!p)
			return NULL;
		t->p = p;
		t->cap = cap;
	}
	p = &t->p[t->n++];
	memset(p, 0, sizeof(*p));
	p->guid = guid;
	p->trusted = smx_conf_trusts(&s->conf, guid);
	return p;
}

/*
 * The port of @lid is @guid with @guid_cap: record it.  The LID's previous
 * port, another one, left it: it is out of the poll until learnt again (its
 * aliases went with it: smx_port_left() feeds that).  Pointers into the table
 * are not valid across this call.
 */
static int port_put(struct smx *s, uint64_t guid, uint16_t lid, uint8_t guid_cap)
{
	struct smx_ports *t = &s->ports;
	struct smx_port *p = smx_port_by_guid(t, guid), *other = smx_port_by_lid(t, lid);
	int rc;

	if (other && other->guid != guid) {
		rc = smx_read_left(s, other);
		if (rc)
			return rc;
		other->lid = 0;
	}
	if (!p && !(p = port_add(s, guid)))
		return -ENOMEM;
	if (p->lid && p->lid != lid && t->by_lid[p->lid] == (uint32_t)(p - t->p) + 1)
		t->by_lid[p->lid] = 0;
	if (p->lid != lid)
		util_log(UTIL_LOG_VERBOSE, "port 0x%016" PRIx64 " at LID %u, GUIDCap %u", guid, lid,
			 guid_cap);
	p->lid = lid;
	p->gone = false;
	t->by_lid[lid] = (uint32_t)(p - t->p) + 1;
	return port_resize(p, guid_cap);
}

/*
 * A learning request: the budget was paid for the first of a step (the token
 * smx_ports_learn_step() took) or of a tell (tells are not paced: they are a
 * host's own Sets, one read each); the others are charged.
 */
static void note_request(struct smx *s)
{
	s->cnt.learn_requests++;
	if (s->ports.prepaid)
		s->ports.prepaid--;
	else
		smx_pace_charge(&s->pace, 1, util_mono_ns());
}

int smx_ports_learn_lid(struct smx *s, uint16_t lid)
{
	struct smx_port *known = smx_port_by_lid(&s->ports, lid);
	struct ibvmig_sa_portinfo pi;
	struct ibvmig_sa_node node;
	int rc;

	note_request(s);
	rc = ibvmig_sa_node_by_lid(s->sa, lid, &node);
	if (rc == -ENOENT && known && !known->gone)
		rc = smx_read_left(s, known) ? -EAGAIN : -ENOENT;
	if (rc)
		return rc;	/* -EPROTO: another LID of an LMC range, not its base */
	if (node.node_type != NODE_TYPE_CA)
		return 0;	/* switch port 0: its GUIDCap is 1, nothing to poll */
	note_request(s);
	rc = ibvmig_sa_portinfo_by_lid(s->sa, lid, &pi);
	if (rc)
		return rc;
	return port_put(s, node.port_guid, lid, pi.guid_cap);
}

/* ---- the scan ------------------------------------------------------------------------ */

static void scan_done(struct smx *s, uint64_t now_ms)
{
	struct smx_ports *t = &s->ports;
	uint32_t i, pollable = 0;

	for (i = 0; i < t->n; i++)
		pollable += smx_port_pollable(&t->p[i]);
	t->scan_lid = 0;
	t->scans++;
	t->next_scan_ms = s->conf.learn_interval_s ?
			  now_ms + s->conf.learn_interval_s * 1000ULL : 0;
	util_log(t->scans == 1 ? UTIL_LOG_INFO : UTIL_LOG_VERBOSE,
		 "LID scan %llu done: %u CA ports known, %u of them hold aliases (the poll reads "
		 "those), LIDs up to %u", (unsigned long long)t->scans, t->n, pollable,
		 t->scan_top);
}

static void scan_one(struct smx *s, uint64_t now_ms)
{
	struct smx_ports *t = &s->ports;
	uint16_t lid = t->scan_lid;
	int rc = smx_ports_learn_lid(s, lid);

	if (rc == -ENOENT) {
		t->scan_misses++;
	} else if (!rc || rc == -EPROTO) {
		t->scan_misses = 0;
		if (lid > t->scan_top)
			t->scan_top = lid;
	} else {
		/* No answer: the SA is away; ask this LID again later. */
		s->cnt.sa_timeouts += rc == -ETIMEDOUT;
		util_log(UTIL_LOG_VERBOSE, "ERR E301: LID %u not learnt: %s", lid,
			 ibvmig_sa_strerror(rc));
		return;
	}
	if ((t->scan_misses >= s->conf.learn_gap && lid > t->scan_top) || lid >= SMX_LID_TOP) {
		scan_done(s, now_ms);
		return;
	}
	t->scan_lid++;
}

/* A GID trap 64 brought into service: its LID from a PathRecord, then learnt. */
static void learn_pending_guid(struct smx *s)
{
	struct smx_ports *t = &s->ports;
	uint64_t guid = t->pending_guids[--t->n_pending_guids];
	struct ibvmig_sa_path path;
	int rc;

	note_request(s);
	rc = ibvmig_sa_path_by_guid(s->sa, guid, &path);
	if (!rc)
		rc = smx_ports_learn_lid(s, path.dlid);
	if (rc)
		util_log(UTIL_LOG_VERBOSE, "ERR E302: port 0x%016" PRIx64 " of trap 64 not learnt: "
			 "%s", guid, ibvmig_sa_strerror(rc));
}

int smx_ports_learn_step(struct smx *s, uint64_t now_ms)
{
	struct smx_ports *t = &s->ports;
	bool due = t->n_pending_guids || t->scan_lid ||
		   (t->next_scan_ms && now_ms >= t->next_scan_ms);

	/* This takes the first request's token; note_request() charges the others. */
	if (!due || !s->sm_lid || !smx_pace_take(&s->pace, util_mono_ns()))
		return 0;
	s->ports.prepaid = 1;
	if (t->n_pending_guids) {
		learn_pending_guid(s);
		return 1;
	}
	if (!t->scan_lid) {
		t->scan_lid = 1;
		t->scan_misses = 0;
	}
	scan_one(s, now_ms);
	return 1;
}

void smx_ports_rescan(struct smx *s)
{
	s->ports.scan_lid = 1;
	s->ports.scan_misses = 0;
}

void smx_ports_trap(struct smx *s, uint16_t trap, uint64_t guid)
{
	struct smx_ports *t = &s->ports;
	struct smx_port *p = smx_port_by_guid(t, guid);

	if (trap == 64) {
		if (t->n_pending_guids < sizeof(t->pending_guids) / sizeof(t->pending_guids[0]))
			t->pending_guids[t->n_pending_guids++] = guid;
		else
			smx_ports_rescan(s);	/* too many at once: look at everything */
		return;
	}
	if (!p || !p->lid || p->gone)
		return;
	if (t->n_urgent_lids < sizeof(t->urgent_lids) / sizeof(t->urgent_lids[0]))
		t->urgent_lids[t->n_urgent_lids++] = p->lid;
}
