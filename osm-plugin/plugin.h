/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plugin.h - private to the ibvmig OpenSM event plugin (libibvmig.so).
 *
 * The plugin is glue: it translates OpenSM's SA GUIDInfoRecord traffic and
 * sweeps into calls on the alias watcher (trap-table/alias_watch.h), and the
 * watcher's notices into osm_report_notice().  Everything that can be tested
 * without an SM lives in trap-table/ and libibvmig/.
 *
 * LOCKS.  Two locks, always taken in this order, never the other:
 *   p->lock    the plugin's mutex: the watcher, the outbox, the counters;
 *   osm->lock  OpenSM's cl_plock (not recursive).
 * So: code holding osm->lock never takes p->lock (OpenSM calls report() for
 * OSM_EVENT_ID_TRAP under osm->lock, for our own notices too: report() only
 * sets atomic flags).  Notices are sent after p->lock is released.
 *
 * THREADS.  OpenSM's SA Set dispatcher runs the GUIDInfoRecord hook; its state
 * manager calls report(); our worker thread serves the admin socket, saves
 * the trap table and runs the reconcile that SUBNET_UP asks for.  Nothing
 * that blocks (file I/O, socket I/O) runs on an OpenSM thread.
 */
#ifndef IBVMIG_PLUGIN_H
#define IBVMIG_PLUGIN_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* osm_config.h first: it sets the defines that shape OpenSM's structures. */
#include <opensm/osm_config.h>
#include <opensm/osm_opensm.h>

#include "alias_watch.h"
#include "ibvmig_notice.h"
#include "ibvmig_admin.h"
#include "ibvmig_conf.h"
#include "ibvmig_util.h"

#define IBVMIG_PLUGIN_VERSION "ibvmig 0.1.0"

struct ibvmig_outbox_item {
	uint16_t trap;
	struct ibvmig_path_notice notice;
};

/* Notices the watcher asked for, waiting for p->lock to be released. */
struct ibvmig_outbox {
	struct ibvmig_outbox_item *items;
	size_t count, cap;
	uint64_t dropped;		/* could not be queued (no memory) */
};

/* Counters kept outside the watcher; under p->lock unless atomic. */
struct ibvmig_counters {
	uint64_t unpath_sent, repath_sent, notices_failed;
	uint64_t guard_refused, hook_errors;
	uint64_t saves, save_errors;
	uint64_t admin_requests, admin_errors;
	/* The plugin's own time per SA Set/Delete, OpenSM's handler left out. */
	uint64_t hook_calls, hook_ns, hook_max_ns;
};

struct ibvmig_plugin {
	osm_opensm_t *osm;
	struct ibvmig_conf conf;
	char state_file[PATH_MAX];	/* the trap table; "" when nothing is saved */
	char live_file[PATH_MAX];	/* the live aliases, beside it */
	uint64_t started_at_ms;

	pthread_mutex_t lock;		/* see LOCKS above */
	struct aw_watch *watch;
	struct ibvmig_outbox outbox;
	struct ibvmig_counters counters;
	uint64_t table_changes;		/* alias changes and flushes since OpenSM started */
	uint64_t saved_changes;		/* table_changes as of the last save on disk */
	uint64_t last_save_ms;

	/* The GUIDInfoRecord hook (gir_hook.c). */
	cl_dispatcher_t *gir_disp;	/* the dispatcher our handler is on */
	cl_disp_reg_handle_t *gir_handle;	/* OpenSM's field holding the handle */
	bool hooked;

	/* Set from report() and the hook, consumed by the worker. */
	atomic_bool subnet_up;
	atomic_bool reconcile_wanted;
	atomic_bool save_wanted;

	/* The worker thread (worker.c). */
	pthread_t worker;
	bool worker_started;
	int wake_fd;			/* eventfd */
	int listen_fd;
	atomic_bool stopping;
};

/* Logging into OpenSM's log, with a code unique to each message. */
#define IBVMIG_LOG(p, ibv_level, osm_level, fmt, ...)                                      \
	do {                                                                               \
		if ((p)->conf.log_level >= (ibv_level))                                    \
			osm_log(&(p)->osm->log, (osm_level), "ibvmig: " fmt, ##__VA_ARGS__); \
	} while (0)
#define IBVMIG_ERROR(p, fmt, ...) IBVMIG_LOG(p, UTIL_LOG_ERROR, OSM_LOG_ERROR, fmt, ##__VA_ARGS__)
#define IBVMIG_INFO(p, fmt, ...) IBVMIG_LOG(p, UTIL_LOG_INFO, OSM_LOG_INFO, fmt, ##__VA_ARGS__)
#define IBVMIG_VERBOSE(p, fmt, ...)                                                        \
	IBVMIG_LOG(p, UTIL_LOG_VERBOSE, OSM_LOG_INFO, fmt, ##__VA_ARGS__)

/*
 * Time: the wall clock (util_wall_ms) for everything saved, since the saved
 * trap table must age across SM restarts; the monotonic one for costs.
 */

/* gir_hook.c: install in create(), remove in delete(). */
int ibvmig_gir_hook_install(struct ibvmig_plugin *p);
void ibvmig_gir_hook_remove(struct ibvmig_plugin *p);

/* notices.c: the watcher's callback (p->lock held), and the sender (not held). */
void ibvmig_outbox_add(void *plugin, uint16_t trap, const struct ibvmig_path_notice *n);
void ibvmig_outbox_take(struct ibvmig_plugin *p, struct ibvmig_outbox *out);
void ibvmig_outbox_send(struct ibvmig_plugin *p, struct ibvmig_outbox *out);
void ibvmig_outbox_free(struct ibvmig_outbox *out);

/* reconcile.c: runs on the worker. */
void ibvmig_reconcile(struct ibvmig_plugin *p);

/* state.c: restore in create(), save from the worker and at delete(). */
void ibvmig_state_init(struct ibvmig_plugin *p);
void ibvmig_state_restore(struct ibvmig_plugin *p);
void ibvmig_state_save(struct ibvmig_plugin *p);

/*
 * Counting changes rather than keeping a flag lets "saved" mean "this change is
 * on disk": a save whose snapshot was taken before a change does not hide it.
 * Both with p->lock held.
 */
static inline void ibvmig_table_changed(struct ibvmig_plugin *p)
{
	p->table_changes++;
}

static inline uint64_t ibvmig_unsaved_changes(const struct ibvmig_plugin *p)
{
	return p->table_changes - p->saved_changes;
}

/* worker.c */
int ibvmig_worker_start(struct ibvmig_plugin *p);
void ibvmig_worker_stop(struct ibvmig_plugin *p);
void ibvmig_worker_wake(struct ibvmig_plugin *p);

/* admin.c: answer one decoded request; the caller frees *@msg. */
int ibvmig_admin_answer(struct ibvmig_plugin *p, const struct ibvmig_admin_request *req,
			uint8_t **msg, size_t *len);

#endif /* IBVMIG_PLUGIN_H */
