/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * engine_int.h - private to libibvmig-engine: the engine object and what its
 * files share.  Hosts include engine.h only.
 *
 * LOCKS: e->lock guards the watcher, the outbox, the counters and the change
 * counts; the atomics and the descriptors are the worker's and are read
 * without it.  e->send_lock guards the notice numbers and is held across
 * each batch of ops->send_notice calls; it is never held together with
 * e->lock (engine.h, LOCKS).  Functions below say which lock they expect.
 */
#ifndef IBVMIG_ENGINE_INT_H
#define IBVMIG_ENGINE_INT_H

#include "engine.h"
#include "admin_server.h"
#include "alias_watch.h"
#include "ibvmig_util.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

struct eng_aliases {
	struct aw_alias *items;
	size_t count, cap;
};

struct eng_subscribers {
	struct eng_subscriber *items;
	size_t count, cap;
};

struct eng_outbox_item {
	uint16_t trap;
	struct ibvmig_path_notice notice;
};

/* Notices the watcher asked for, waiting for e->lock to be released. */
struct eng_outbox {
	struct eng_outbox_item *items;
	size_t count, cap;
	uint64_t dropped;		/* could not be queued (no memory): numbered all the same */
};

/*
 * The vGUIDs SA feeds changed while a reconcile's list was being made
 * (reconcile.c); under e->lock.
 */
struct eng_fed {
	uint64_t *items;
	size_t count, cap;
	bool open;			/* a list is being made: feeds note their vGUIDs */
	bool overflow;			/* one could not be noted (no memory) */
};

/* Counters kept outside the watcher; under e->lock. */
struct eng_counters {
	uint64_t unpath_sent, repath_sent;
	uint64_t notices_unsent;	/* never reached the SM (no port yet, no memory) */
	uint64_t notices_refused;	/* the SM refused them */
	uint64_t guard_refused, hook_errors;
	uint64_t saves, save_errors;
	uint64_t admin_requests, admin_errors;
	/* The host's own time per SA Set/Delete, the SM's handler left out. */
	uint64_t hook_calls, hook_ns, hook_max_ns;
	/* The second host (engine.h, THE SECOND HOST). */
	uint64_t port_reads;		/* eng_port_read calls */
	uint64_t notices_passive;	/* not sent: a plugin on the SM sends them */
	uint64_t foreign_notices;	/* RePath/UnPath of another epoch seen */
};

struct eng_engine {
	struct ibvmig_conf conf;
	struct eng_ops ops;
	void *ctx;
	char host_version[64];
	char sm_version[64];
	char default_state_dir[PATH_MAX];
	char state_file[PATH_MAX];	/* the trap table; "" when nothing is saved */
	char live_file[PATH_MAX];	/* the live aliases, beside it */
	uint64_t started_at_ms;

	pthread_mutex_t lock;
	pthread_mutex_t send_lock;
	uint32_t last_number;		/* of the last notice numbered; under send_lock */
	atomic_uint shown_number;	/* the same, for the status answer */
	struct aw_watch *watch;
	struct aw_config watch_cfg;	/* as created: a takeover makes a new one */
	struct eng_outbox outbox;
	struct eng_fed fed;
	pthread_mutex_t reconcile_lock;	/* one reconcile at a time; outside every other lock */
	struct eng_counters counters;
	uint64_t table_changes;		/* alias changes and flushes since the start */
	uint64_t saved_changes;		/* table_changes as of the last save on disk */
	uint64_t last_save_ms;
	/* A failing save is logged once per error (state.c): the one last logged. */
	int save_error;			/* 0: the last save worked */
	char save_error_path[PATH_MAX];
	uint64_t save_failures;		/* in a row */

	/* The second host: a plugin seen on this master SM (engine.h). */
	atomic_bool passive;
	uint64_t sm_port_guid;		/* under e->lock */

	/* Set by the host's events, consumed by the worker. */
	atomic_bool subnet_up;
	atomic_bool reconcile_wanted;
	atomic_bool takeover_wanted;
	atomic_bool stopping;

	pthread_t worker;
	bool worker_started;
	int wake_fd;			/* eventfd, for the engine's whole life */
	struct eng_admin admin;		/* the worker's */
};

/* engine.c: the one way out to the log, filtered by conf.log_level. */
void eng_log(struct eng_engine *e, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define ENG_ERROR(e, ...) eng_log(e, UTIL_LOG_ERROR, __VA_ARGS__)
#define ENG_INFO(e, ...) eng_log(e, UTIL_LOG_INFO, __VA_ARGS__)
#define ENG_VERBOSE(e, ...) eng_log(e, UTIL_LOG_VERBOSE, __VA_ARGS__)

/*
 * Room for one more item in a growing array of @size-byte items: returns
 * @items, moved if it had to grow (*@cap updated), or NULL with @items and
 * *@cap untouched.  The one growth rule of the engine's lists.
 */
void *eng_grow(void *items, size_t *cap, size_t count, size_t size, size_t first_cap);

/* Wakes the worker (lock-free). */
void eng_wake(struct eng_engine *e);

/*
 * Counting changes rather than keeping a flag lets "saved" mean "this change
 * is on disk": a save whose snapshot was taken before a change does not hide
 * it.  Both with e->lock held.
 */
static inline void eng_table_changed(struct eng_engine *e)
{
	e->table_changes++;
}

static inline uint64_t eng_unsaved_changes(const struct eng_engine *e)
{
	return e->table_changes - e->saved_changes;
}

/* state.c: the worker's part of eng_takeover() (no lock held). */
void eng_state_takeover(struct eng_engine *e);

/* reconcile.c: an SA feed changed @vguid (e->lock held). */
void eng_note_fed(struct eng_engine *e, uint64_t vguid);

/*
 * notices.c: the watcher's callback (e->lock held), then the sender (neither
 * e->lock nor e->send_lock held: it takes the send lock, then e->lock).
 */
void eng_outbox_add(void *engine, uint16_t trap, const struct ibvmig_path_notice *n);
void eng_outbox_take(struct eng_engine *e, struct eng_outbox *out);
void eng_outbox_send(struct eng_engine *e, struct eng_outbox *out);
void eng_outbox_free(struct eng_outbox *out);

#endif /* IBVMIG_ENGINE_INT_H */
