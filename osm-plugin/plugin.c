// SPDX-License-Identifier: BSD-2-Clause
/*
 * plugin.c - the OpenSM event plugin object: create, delete, report.
 *
 * Loaded by stock OpenSM with `event_plugin_name ibvmig`;
 * `event_plugin_options` names our configuration file (ibvmig.conf(5)).
 * Log codes of this file: 01xx.
 */
#include <opensm/osm_config.h>
#include <opensm/osm_event_plugin.h>
#include <opensm/osm_version.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin.h"

/* Live aliases the plugin follows: 2^20 = every port of a full fabric x 21. */
#define IBVMIG_MAX_ALIASES (1u << 20)

static void load_conf(struct ibvmig_plugin *p)
{
	const char *path = p->osm->subn.opt.event_plugin_options;
	char err[512];

	if (ibvmig_conf_load(path, &p->conf, err, sizeof(err)))
		/* Logged whatever the configured level: the level came from that file. */
		osm_log(&p->osm->log, OSM_LOG_ERROR,
			"ibvmig: ERR 0101: %s: using the defaults for every option\n", err);
}

static int create_watch(struct ibvmig_plugin *p)
{
	struct aw_config cfg = {
		.table = { .capacity = p->conf.trap_capacity, .ttl_ms = p->conf.trap_ttl_ms },
		.unpath = p->conf.unpath,
		.subnet_prefix = cl_ntoh64(p->osm->subn.opt.subnet_prefix),
		.max_aliases = IBVMIG_MAX_ALIASES,
	};

	p->watch = aw_create(&cfg, ibvmig_outbox_add, p);
	if (!p->watch) {
		IBVMIG_ERROR(p, "ERR 0102: cannot create the trap table: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void log_start(struct ibvmig_plugin *p)
{
	struct tt_stats st;
	struct aw_stats aw;

	tt_get_stats(aw_table(p->watch), &st);
	aw_get_stats(p->watch, &aw);
	IBVMIG_INFO(p, "%s loaded: trap TTL %llu s, capacity %u, UnPath %s, alias guard %s, "
		    "epoch 0x%08x, %u entries restored from \"%s\", %u aliases live before "
		    "the restart, admin socket \"%s\"\n",
		    IBVMIG_PLUGIN_VERSION, (unsigned long long)(p->conf.trap_ttl_ms / 1000),
		    p->conf.trap_capacity, p->conf.unpath ? "on" : "off",
		    p->conf.alias_guard ? "on" : "off", st.epoch, st.count, p->state_file,
		    aw.forgotten, p->conf.admin_socket);
}

static void plugin_free(struct ibvmig_plugin *p)
{
	aw_destroy(p->watch);
	ibvmig_outbox_free(&p->outbox);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void *ibvmig_create(struct osm_opensm *osm)
{
	struct ibvmig_plugin *p = calloc(1, sizeof(*p));

	if (!p) {
		osm_log(&osm->log, OSM_LOG_ERROR, "ibvmig: ERR 0103: out of memory\n");
		return NULL;
	}
	p->osm = osm;
	p->wake_fd = p->listen_fd = -1;
	p->started_at_ms = util_wall_ms();
	pthread_mutex_init(&p->lock, NULL);
	load_conf(p);
	if (create_watch(p))
		goto fail;
	ibvmig_state_init(p);
	ibvmig_state_restore(p);
	if (ibvmig_gir_hook_install(p))
		goto fail;
	if (ibvmig_worker_start(p)) {
		ibvmig_gir_hook_remove(p);
		goto fail;
	}
	log_start(p);
	return p;
fail:
	IBVMIG_ERROR(p, "ERR 0104: not loaded; OpenSM runs on without it\n");
	plugin_free(p);
	return NULL;
}

static void ibvmig_delete(void *data)
{
	struct ibvmig_plugin *p = data;

	if (!p)
		return;
	ibvmig_worker_stop(p);	/* it saves the table on its way out */
	ibvmig_gir_hook_remove(p);
	IBVMIG_INFO(p, "unloaded\n");
	plugin_free(p);
}

/*
 * Called on OpenSM's threads, sometimes under osm->lock (TRAP): only flags
 * and a wake-up here, never p->lock.
 */
static void ibvmig_report(void *data, osm_epi_event_id_t event_id, void *event_data)
{
	struct ibvmig_plugin *p = data;

	(void)event_data;
	switch (event_id) {
	case OSM_EVENT_ID_SUBNET_UP:
		/* LIDs are final now: a reconcile sees base LID changes too. */
		atomic_store(&p->subnet_up, true);
		atomic_store(&p->reconcile_wanted, true);
		ibvmig_worker_wake(p);
		break;
	case OSM_EVENT_ID_STATE_CHANGE:
		atomic_store(&p->subnet_up, p->osm->subn.sm_state == IB_SMINFO_STATE_MASTER &&
						    atomic_load(&p->subnet_up));
		break;
	default:
		break;
	}
}

/* The one symbol OpenSM looks up (exported through libibvmig.map). */
osm_event_plugin_t osm_event_plugin = {
	.osm_version = OSM_VERSION,
	.create = ibvmig_create,
	.delete = ibvmig_delete,
	.report = ibvmig_report,
};
