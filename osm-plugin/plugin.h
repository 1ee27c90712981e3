/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plugin.h - private to the ibvmig OpenSM event plugin (libibvmig.so).
 *
 * The plugin is the engine's OpenSM host (engine/engine.h): it turns
 * OpenSM's events and its SA GUIDInfoRecord traffic into calls on the
 * engine, and gives the engine its operations on OpenSM - the log,
 * osm_report_notice(), the live aliases, the SM's view of itself and the
 * subscribers.  Everything that can be tested without an SM lives in
 * engine/, trap-table/ and libibvmig/.
 *
 * LOCKS.  Always taken in this order, never the other:
 *   the escrow's service mutex (escrow.h; held across fsyncs, so never by an
 *                    OpenSM thread; it never takes an engine lock);
 *   the engine lock  (engine.h, LOCKS: the watcher, the outbox, the counters),
 *                    or the engine's send lock (the notice numbers), never both;
 *   hold_lock        the notice hold (notices.c);
 *   osm->lock        OpenSM's cl_plock (not recursive).
 * So: code holding osm->lock never calls into the engine but for
 * eng_subnet_up/down, which take no lock (OpenSM calls report() for
 * OSM_EVENT_ID_TRAP under osm->lock, for our own notices too).  The engine
 * calls the ops that take osm->lock without its own lock held, and sends
 * notices after releasing it.  The GUIDInfoRecord hook runs OpenSM's
 * handler inside eng_port_change(), under the engine lock.
 *
 * THREADS.  OpenSM's SA Set dispatcher runs the GUIDInfoRecord hook; its
 * state manager calls report(); the engine's worker serves the admin socket,
 * saves the trap table and runs the reconcile that SUBNET_UP asks for; the
 * escrow's worker (escrow.h) judges escrow MADs, which OpenSM's umad
 * receiver thread only queues.
 * Nothing that blocks (file I/O, socket I/O) runs on an OpenSM thread.
 */
#ifndef IBVMIG_PLUGIN_H
#define IBVMIG_PLUGIN_H

#include <pthread.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* osm_config.h first: it sets the defines that shape OpenSM's structures. */
#include <opensm/osm_config.h>
#include <opensm/osm_opensm.h>

#include "engine.h"
#include "ibvmig_conf.h"
#include "ibvmig_util.h"

#define IBVMIG_PLUGIN_VERSION "ibvmig 0.1.0"

struct ibvmig_escrow;
struct ibvmig_held_notice;

struct ibvmig_plugin {
	osm_opensm_t *osm;
	struct ibvmig_conf conf;
	struct eng_engine *eng;		/* from the first service on (plugin.c) */
	char state_dir[PATH_MAX];	/* the engine's default state directory */
	struct ibvmig_escrow *escrow;	/* the escrow's SM service (escrow.h); NULL: off */
	bool was_standby;		/* report()'s: this SM was a standby since its last UP */

	/*
	 * The notice hold (notices.c): while a LID moves, the plugin's own
	 * notices wait here, in order, under hold_lock (taken before osm->lock).
	 */
	pthread_mutex_t hold_lock;
	bool holding;
	struct ibvmig_held_notice *held;
	size_t nheld, held_cap;
	uint64_t held_dropped;

	/* The GUIDInfoRecord hook (gir_hook.c). */
	cl_dispatcher_t *gir_disp;	/* the dispatcher our handler is on */
	cl_disp_reg_handle_t *gir_handle;	/* OpenSM's field holding the handle */
	bool hooked;
};

/*
 * The plugin's own lines in OpenSM's log, "ibvmig: " first, with a code
 * unique to each error.  Both filters apply (ibvmig.conf(5), log_level):
 * log_level, then OpenSM's verbosity for the level ours maps onto.
 */
void ibvmig_log(struct ibvmig_plugin *p, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define IBVMIG_ERROR(p, ...) ibvmig_log(p, UTIL_LOG_ERROR, __VA_ARGS__)
#define IBVMIG_INFO(p, ...) ibvmig_log(p, UTIL_LOG_INFO, __VA_ARGS__)

/* The engine's operations (struct eng_ops), each in the file of what it reads. */
void ibvmig_log_line(void *plugin, int level, const char *msg);	/* plugin.c */
int ibvmig_send_notice(void *plugin, uint16_t trap,
		       const struct ibvmig_path_notice *n);	/* notices.c */
int ibvmig_list_aliases(void *plugin, struct eng_aliases *out);	/* reconcile.c */
int ibvmig_sm_view(void *plugin, struct eng_sm_view *v);	/* admin.c */
int ibvmig_list_subscribers(void *plugin, struct eng_subscribers *out);	/* admin.c */

/* admin.c: the engine's admin_extra op, the escrow's admin requests. */
int ibvmig_admin_extra(void *plugin, const struct ibvmig_admin_request *req,
		       struct ibvmig_rec_writer *w, uint16_t *status);

/* gir_hook.c: a service row (plugin.c) - started after the engine, stopped before. */
int ibvmig_gir_hook_start(void *plugin);
void ibvmig_gir_hook_stop(void *plugin);

#endif /* IBVMIG_PLUGIN_H */
