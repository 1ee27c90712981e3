/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * engine.h - libibvmig-engine, the SM-side signalling of ibvmig without an SM
 * in it: the alias watcher and its trap table, the outbox of RePath/UnPath
 * notices, the counters, the saved state (doc/trap-table-file.md), the
 * admin socket's answers (doc/admin-protocol.md) and the worker thread that
 * serves them, saves and reconciles.  Two hosts drive it: the OpenSM event
 * plugin (osm-plugin/) and the standalone SM extension (sm-extension/, which
 * feeds it through the calls under "THE SECOND HOST").  A host reaches the
 * engine through the calls below and the engine reaches its host only
 * through the table of operations it was created with (struct eng_ops).
 *
 * ERRORS: calls that can fail return 0 or a negative errno value; the engine
 * logs its own errors through ops->log, each with a code of its own
 * (doc/log-codes.md), and never exits.
 *
 * THREAD SAFETY: every call on one engine may come from any thread, except
 * that eng_create/eng_destroy and the start/stop calls (eng_state_*,
 * eng_worker_*) must not race with each other or with any other call.
 *
 * LOCKS.  The engine owns two mutexes, the engine lock and the send lock,
 * never held together.  The host's SM lock (OpenSM's osm->lock for the
 * plugin) is always taken after either, never before:
 *  - ops->send_notice, ops->list_aliases, ops->sm_view and
 *    ops->list_subscribers are called WITHOUT the engine lock held: they may
 *    take the SM lock.  Notices are sent after the change that caused them
 *    has released the engine lock, with the send lock held, one at a time:
 *    it orders the notice numbers (doc/notice-details.md).
 *  - ops->log may be called with the engine lock held: it must not take a
 *    lock that is held around calls into the engine (osm_log takes only the
 *    log's own mutex).
 *  - eng_port_change() calls its apply function WITH the engine lock held,
 *    so that nothing else changes the engine between the two snapshots it
 *    takes; apply may take the SM lock (engine lock, then SM lock).
 *  - eng_reconcile() holds a lock of its own, the reconcile lock, around all
 *    of the above: it is the outermost.
 *  - eng_subnet_up() and eng_subnet_down() take no lock and never block:
 *    they may be called under the SM lock (OpenSM reports events so).
 *  - Every other call takes the engine lock itself: never call one with the
 *    SM lock held, nor from inside an op.
 */
#ifndef IBVMIG_ENGINE_H
#define IBVMIG_ENGINE_H

#include "ibvmig_admin.h"
#include "ibvmig_conf.h"
#include "ibvmig_notice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct eng_engine;

/* The list of live aliases a host fills for a reconcile, with eng_aliases_add(). */
struct eng_aliases;
/* 0, or -ENOMEM (the list keeps what it had). */
int eng_aliases_add(struct eng_aliases *l, uint64_t vguid, uint64_t port_guid, uint16_t lid);

/* One InformInfo subscription, as the admin `subscribers` answer shows it. */
struct eng_subscriber {
	uint64_t guid;			/* the subscriber's port GUID */
	uint16_t lid;			/* where its Reports go */
	uint32_t qpn;
	uint16_t trap;			/* 68, 69, or 0xFFFF for every trap */
	uint16_t range_begin, range_end;	/* its LID range */
};

/* The list a host fills with eng_subscribers_add(). */
struct eng_subscribers;
/*
 * 0, or -ENOMEM.  A subscription to another trap than 68, 69 or all of them
 * is not ours and is skipped; the host gives generic subscriptions only.
 */
int eng_subscribers_add(struct eng_subscribers *l, const struct eng_subscriber *s);

/* What the SM says of itself (the admin `status` answer). */
struct eng_sm_view {
	char state[32];			/* the SM's state, as its host names it */
	uint64_t port_guid;		/* 0 before the SM has a port */
	uint64_t subnet_prefix;
	uint16_t lid;
};

/* PortInfo:GUIDCap is 8 bits (IBA 14.2.5.6): a port holds at most 256 GUIDs. */
#define ENG_PORT_GUIDS_MAX 256

/* One port's GUID table as the SA holds it at one moment. */
struct eng_port_snapshot {
	uint64_t port_guid;		/* 0: no port has the LID */
	uint16_t lid;			/* the port's base LID */
	unsigned entries;		/* of guids[] (GUIDCap), at most ENG_PORT_GUIDS_MAX */
	uint64_t guids[ENG_PORT_GUIDS_MAX];	/* [0] is the base port GUID; 0: unused */
};

/* Fields of the host's own in an admin answer: tags of ibvmig_admin.h. */
#define ENG_HOST_FIELDS_MAX 32
struct eng_host_field {
	uint16_t tag;			/* an IBVMIG_TAG_* */
	bool is_str;
	uint64_t value;			/* numbers and booleans */
	char str[48];
};

struct eng_host_fields {
	unsigned count;
	struct eng_host_field f[ENG_HOST_FIELDS_MAX];
};

/*
 * The host's side.  @ctx is the pointer given to eng_create().  Every op is
 * required but host_fields.  See LOCKS above for which are called with the
 * engine lock.
 */
struct eng_ops {
	/* One line at a UTIL_LOG_* level, already filtered by conf.log_level, no newline. */
	void (*log)(void *ctx, int level, const char *msg);
	/*
	 * Send one notice (numbered by the engine) to the subscribers of @trap: 0
	 * when the SM took it for them; -EAGAIN when it could not take one now (no
	 * port to issue it from: it never reached the SM); another negative errno
	 * when the SM refused it.  Called with the send lock held.
	 */
	int (*send_notice)(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n);
	/* Add every live alias the SM holds (its base port, that port's LID): 0 or -errno. */
	int (*list_aliases)(void *ctx, struct eng_aliases *out);
	/* Fill @v (zeroed by the engine): 0 or -errno. */
	int (*sm_view)(void *ctx, struct eng_sm_view *v);
	/* Add every generic subscription the SM holds: 0 or -errno. */
	int (*list_subscribers)(void *ctx, struct eng_subscribers *out);
	/*
	 * Optional (NULL: none): the host's own fields, appended to the record
	 * of a status or stats answer (@op IBVMIG_ADMIN_STATUS or _STATS; @out
	 * zeroed by the engine).  Called on the worker without the engine lock.
	 */
	int (*host_fields)(void *ctx, uint8_t op, struct eng_host_fields *out);
	/*
	 * Optional (NULL: such ops are unknown): the answer to an admin op the
	 * engine does not serve itself - the host's services', e.g. the LID
	 * escrow's (IBVMIG_ADMIN_ESCROW_*).  Fills @w's records and *@status;
	 * 0 or -errno.  Called on the worker WITHOUT the engine lock: it may
	 * take the host's own locks and the SM lock.
	 */
	int (*admin_extra)(void *ctx, const struct ibvmig_admin_request *req,
			   struct ibvmig_rec_writer *w, uint16_t *status);
};

struct eng_config {
	struct ibvmig_conf conf;	/* copied; ibvmig.conf(5) */
	const char *host_version;	/* status plugin_version, e.g. "ibvmig 0.1.0" */
	const char *sm_version;		/* its opensm_version */
	const char *default_state_dir;	/* where state goes when conf.state_dir is "" */
	uint64_t subnet_prefix;		/* of the vGIDs in the notices */
	uint32_t max_aliases;		/* live aliases followed, 1..16777214 */
};

/*
 * An engine with an empty trap table: NULL with errno (EINVAL, ENOMEM), and
 * the reason logged through @ops.  The caller owns it: eng_destroy() (after
 * eng_worker_stop()).
 */
struct eng_engine *eng_create(const struct eng_config *cfg, const struct eng_ops *ops,
			      void *ctx);
void eng_destroy(struct eng_engine *e);

/* The "HOST loaded: ..." line with the settings and what was restored. */
void eng_log_loaded(struct eng_engine *e);

/*
 * The saved state.  eng_state_start() makes the state directory (mode 0700)
 * and restores the trap table and the live aliases from it; a damaged file is
 * set aside as NAME.damaged, a missing one is an empty one: it always returns
 * 0 and the engine runs on with what it could read.  eng_state_stop() saves
 * a last time.  eng_save() saves now when anything changed since the last
 * save: 0, or -errno (the changes stay unsaved, the worker tries again).
 */
int eng_state_start(struct eng_engine *e);
void eng_state_stop(struct eng_engine *e);
int eng_save(struct eng_engine *e);

/*
 * The worker thread: the admin socket (conf.admin_socket; without it the
 * engine still does its main job), saves conf.save_delay_ms after the first
 * unsaved change, and a reconcile when eng_subnet_up() asks for one.  Start:
 * 0 or -errno.  Stop joins the thread and removes the socket.
 */
int eng_worker_start(struct eng_engine *e);
void eng_worker_stop(struct eng_engine *e);

/*
 * The SM's subnet is up (its LIDs are final): reconcile on the worker.  Down:
 * no reconcile until the next up.  Lock-free (see LOCKS).
 */
void eng_subnet_up(struct eng_engine *e);
void eng_subnet_down(struct eng_engine *e);

/*
 * The host's SM has become master after being a standby, with the state
 * directory shared with the master it replaces: on the worker, before the
 * next reconcile, the trap table and the live aliases that master saved
 * replace what this engine loaded at its start (a standby sees no SA
 * traffic of its own, so what it holds is as old as its start).  An engine
 * that has changes of its own since its start keeps them, with a log line.
 * Lock-free (see LOCKS): call it before the eng_subnet_up() of that sweep.
 */
void eng_takeover(struct eng_engine *e);

/*
 * What a host does to one port's GUID table with the engine lock held: fill
 * @before (both snapshots are zeroed), let the SM apply the request, fill
 * @after.  Returns the nanoseconds the SM's own handler took, which the
 * engine leaves out of the time it counts as its own (stats hook_ns).
 */
typedef uint64_t (*eng_port_apply_fn)(void *arg, struct eng_port_snapshot *before,
				      struct eng_port_snapshot *after);

/*
 * Follow one SA GUIDInfoRecord Set or Delete: calls @apply under the engine
 * lock, feeds the watcher what changed between the two snapshots (index 0,
 * the base GUID, is ignored; a port that changed under the request is left
 * to the next reconcile), then sends the notices that calls for.
 */
void eng_port_change(struct eng_engine *e, eng_port_apply_fn apply, void *arg);

/*
 * Compare the SM's live aliases (ops->list_aliases) with the watcher's, now.
 * One reconcile at a time (a second caller waits for the first).  The list is
 * made without the engine lock; a vGUID that an eng_port_change() changed
 * while it was being made is left to that change, which is newer, and looked
 * at again by the next reconcile (stats reconcile_spared).
 */
void eng_reconcile(struct eng_engine *e);

/* The host refused an alias change (the plugin's alias guard): counted in stats. */
void eng_count_guard_refused(struct eng_engine *e);

/*
 * The answer to one decoded admin request, as the worker sends it on the
 * socket: 0 and a framed message in *@msg (the caller frees it), or -errno.
 */
int eng_admin_answer(struct eng_engine *e, const struct ibvmig_admin_request *req,
		     uint8_t **msg, size_t *len);

/*
 * ---- THE SECOND HOST: the standalone SM extension -----------------------------
 *
 * A host with no hook in the SM reads each port's GUID table through the SA,
 * when a hypervisor's agent tells it of a Set or Delete and in a paced poll,
 * and sends the notices as Traps that the SM forwards (ibvmig-smx(8)).  The
 * calls below are its feed and what it learns of the SM; the signalling
 * rules (which read may take an alias away, which move is believed, when to
 * stay quiet) are the engine's.  None may be called with the host's own
 * locks held around a call into the engine's ops; each takes the engine lock.
 */

/* Flags of eng_port_read(). */
#define ENG_READ_TRUSTED 0x1u	/* the configuration trusts the port: moves onto it count */

/*
 * One read of a port's GUID table: @after as the SA just answered, @before
 * as the host last read that port (zeroed: never read).  @after->port_guid 0
 * (no port has the LID any more) or another port at the LID: @before's
 * aliases left with their port (UnPath port-gone).  An alias of @before
 * missing from @after left (UnPath deleted) - unless the watcher holds it at
 * another port already: then that read is stale and changes nothing.  An
 * alias of @after is seen there: a creation, a return, or a move; a move is
 * believed (RePath) only if @told is that vGUID (the port's own agent told
 * of its Set) or ENG_READ_TRUSTED is set, and is held otherwise until a
 * trusted read of the same port confirms it (stats untrusted_moves,
 * held_released).  Index 0 is ignored.
 */
void eng_port_read(struct eng_engine *e, const struct eng_port_snapshot *before,
		   const struct eng_port_snapshot *after, uint64_t told, unsigned flags);
/*
 * True when eng_port_read(@before, @after, @told) would take away an alias
 * that the engine holds live at that port and that @told does not name (an
 * UnPath nobody reported): what a host must not feed before it knows that
 * the SM answering was not one that just restarted and forgot every alias
 * (then eng_sm_forgot() first, after which such a read drops nothing).
 */
bool eng_port_read_drops(struct eng_engine *e, const struct eng_port_snapshot *before,
			 const struct eng_port_snapshot *after, uint64_t told);
/*
 * The SM forgot every alias (it restarted, or another SM became master):
 * every live alias waits to be set again, and one set again where it was
 * sends nothing (alias_watch.h, ACROSS SM RESTARTS).  No notice is sent.  A
 * passive spell ends: the SM may have come back without its plugin.
 */
void eng_sm_forgot(struct eng_engine *e);
/*
 * The master SM's port as the host last learnt it (0: none).  A change
 * ends a passive spell (below): the new SM may have no plugin.
 */
void eng_sm_port(struct eng_engine *e, uint64_t sm_port_guid);
/*
 * A RePath/UnPath Report reached the host: @issued_by_sm when its IssuerGID
 * is the master SM's port (and it came from the SM's LID).  One with another
 * epoch than this engine's, issued by the SM, is an ibvmig plugin's: the
 * engine turns passive - it follows every alias as before but sends no
 * notice (stats notices_passive) - until the master SM changes or restarts
 * (eng_sm_forgot).  Others are counted (foreign_notices) and change nothing.
 */
void eng_notice_seen(struct eng_engine *e, uint16_t trap, const struct ibvmig_path_notice *n,
		     bool issued_by_sm);
bool eng_passive(struct eng_engine *e);
/* The trap table's epoch: the one in every notice of this engine. */
uint32_t eng_epoch(struct eng_engine *e);

/*
 * A host's services, started in order from one table and stopped in reverse:
 * a new service is one more row.  @start returns 0 or a negative errno;
 * @stop may be NULL (nothing to undo).
 */
struct eng_service {
	const char *name;
	int (*start)(void *ctx);
	void (*stop)(void *ctx);
};

/*
 * Starts @rows in order.  When one fails, the rows started before it are
 * stopped in reverse order, *@failed is its index and its error is returned;
 * otherwise 0.
 */
int eng_services_start(const struct eng_service *rows, size_t n, void *ctx, size_t *failed);
/* Stops every row in reverse order. */
void eng_services_stop(const struct eng_service *rows, size_t n, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_ENGINE_H */
