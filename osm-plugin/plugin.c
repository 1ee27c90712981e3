// SPDX-License-Identifier: BSD-2-Clause
/*
 * plugin.c - the OpenSM event plugin object: create, delete, report, the
 * log, and the table of services create() starts.
 *
 * Loaded by stock OpenSM with `event_plugin_name ibvmig`;
 * `event_plugin_options` names our configuration file (ibvmig.conf(5)).
 * Log codes of this file: D8xx (doc/log-codes.md).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_base.h>
#include <opensm/osm_event_plugin.h>
#include <opensm/osm_version.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escrow.h"
#include "plugin.h"

/*
 * osm_event_plugin below is interface 2's structure (osm_version, create,
 * delete, report); another interface lays it out otherwise, and OpenSM would
 * read garbage where it looks for ours.  Refuse to build against one.
 */
#if OSM_EVENT_PLUGIN_INTERFACE_VER != 2
#error "ibvmig's plugin implements OpenSM's event plugin interface 2 only"
#endif

/* Live aliases the plugin follows: 2^20 = every port of a full fabric x 21. */
#define IBVMIG_MAX_ALIASES (1u << 20)

/*
 * Our levels onto OpenSM's verbosity flags, so that OpenSM's own filter
 * (log_flags, -D, -V, the console's loglevel) applies to our lines as to
 * its own, and its log shows each line's true level (ibvmig.conf(5)).
 */
static osm_log_level_t osm_level(int level)
{
	switch (level) {
	case UTIL_LOG_ERROR:
		return OSM_LOG_ERROR;
	case UTIL_LOG_INFO:
		return OSM_LOG_INFO;
	case UTIL_LOG_VERBOSE:
		return OSM_LOG_VERBOSE;
	default:
		return OSM_LOG_DEBUG;
	}
}

/* The engine's log op; also the end of the plugin's own lines. */
void ibvmig_log_line(void *plugin, int level, const char *msg)
{
	struct ibvmig_plugin *p = plugin;

	osm_log(&p->osm->log, osm_level(level), "ibvmig: %s\n", msg);
}

void ibvmig_log(struct ibvmig_plugin *p, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > (int)p->conf.log_level || !osm_log_is_active(&p->osm->log, osm_level(level)))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ibvmig_log_line(p, level, msg);
}

static void load_conf(struct ibvmig_plugin *p)
{
	const char *path = p->osm->subn.opt.event_plugin_options;
	char err[512];

	/* On an error the level is the default's: the file that would set it is wrong. */
	if (ibvmig_conf_load(path, &p->conf, err, sizeof(err)))
		IBVMIG_ERROR(p, "ERR D801: %s: using the defaults for every option", err);
}

static const struct eng_ops plugin_ops = {
	.log = ibvmig_log_line,
	.send_notice = ibvmig_send_notice,
	.list_aliases = ibvmig_list_aliases,
	.sm_view = ibvmig_sm_view,
	.list_subscribers = ibvmig_list_subscribers,
	.admin_extra = ibvmig_admin_extra,
};

/* ---- the services, in the order create() starts them ---------------------- */

static int start_engine(void *plugin)
{
	struct ibvmig_plugin *p = plugin;
	const char *cache = getenv("OSM_CACHE_DIR");
	char state_dir[PATH_MAX];
	struct eng_config cfg = {
		.conf = p->conf,
		.host_version = IBVMIG_PLUGIN_VERSION,
		.sm_version = OSM_VERSION,
		.default_state_dir = state_dir,
		.subnet_prefix = cl_ntoh64(p->osm->subn.opt.subnet_prefix),
		.max_aliases = IBVMIG_MAX_ALIASES,
	};

	/* OpenSM's own cache directory (guid2lid...), which OSM_CACHE_DIR moves. */
	snprintf(state_dir, sizeof(state_dir), "%s/ibvmig",
		 cache && cache[0] ? cache : OSM_DEFAULT_CACHE_DIR);
	snprintf(p->state_dir, sizeof(p->state_dir), "%s", state_dir);
	p->eng = eng_create(&cfg, &plugin_ops, p);
	return p->eng ? 0 : -errno;
}

static void stop_engine(void *plugin)
{
	struct ibvmig_plugin *p = plugin;

	eng_destroy(p->eng);
	p->eng = NULL;
}

static int start_state(void *plugin)
{
	return eng_state_start(((struct ibvmig_plugin *)plugin)->eng);
}

/* The last save, once the worker and the hook are gone: nothing changes after it. */
static void stop_state(void *plugin)
{
	eng_state_stop(((struct ibvmig_plugin *)plugin)->eng);
}

static int start_worker(void *plugin)
{
	return eng_worker_start(((struct ibvmig_plugin *)plugin)->eng);
}

static void stop_worker(void *plugin)
{
	eng_worker_stop(((struct ibvmig_plugin *)plugin)->eng);
}

/* Started in order, stopped in reverse; a failed start undoes the rows before it. */
static const struct eng_service plugin_services[] = {
	{ "the trap table", start_engine, stop_engine },
	{ "the saved state", start_state, stop_state },
	{ "the GUIDInfoRecord hook", ibvmig_gir_hook_start, ibvmig_gir_hook_stop },
	/* Before the worker: the admin socket it serves asks the escrow too. */
	{ "the LID escrow", ibvmig_escrow_start, ibvmig_escrow_stop },
	{ "the worker", start_worker, stop_worker },
};
#define N_SERVICES (sizeof(plugin_services) / sizeof(plugin_services[0]))

static void *ibvmig_create(struct osm_opensm *osm)
{
	struct ibvmig_plugin *p = calloc(1, sizeof(*p));
	size_t failed = 0;
	int rc;

	if (!p) {
		osm_log(&osm->log, OSM_LOG_ERROR, "ibvmig: ERR D802: out of memory\n");
		return NULL;
	}
	p->osm = osm;
	ibvmig_notices_init(p);
	load_conf(p);
	rc = eng_services_start(plugin_services, N_SERVICES, p, &failed);
	if (rc) {
		IBVMIG_ERROR(p, "ERR D803: %s did not start (%s): not loaded; OpenSM runs on "
			     "without it", plugin_services[failed].name, strerror(-rc));
		ibvmig_notices_destroy(p);
		free(p);
		return NULL;
	}
	eng_log_loaded(p->eng);
	return p;
}

static void ibvmig_delete(void *data)
{
	struct ibvmig_plugin *p = data;

	if (!p)
		return;
	eng_services_stop(plugin_services, N_SERVICES, p);
	IBVMIG_INFO(p, "unloaded");
	ibvmig_notices_destroy(p);
	free(p);
}

/*
 * Called on OpenSM's threads, sometimes under osm->lock (TRAP): only the
 * engine's and the escrow's lock-free calls here (the sweep events come from
 * the state manager without osm->lock).
 */
static void ibvmig_report(void *data, osm_epi_event_id_t event_id, void *event_data)
{
	struct ibvmig_plugin *p = data;

	ibvmig_escrow_event(p, event_id, event_data);
	switch (event_id) {
	case OSM_EVENT_ID_SUBNET_UP:
		/*
		 * A standby become master (OpenSM reports no event for that: its first
		 * SUBNET_UP as master is the first sign) takes over the state its
		 * predecessor saved in the shared state directory.
		 */
		if (p->was_standby && p->osm->subn.sm_state == IB_SMINFO_STATE_MASTER) {
			p->was_standby = false;
			eng_takeover(p->eng);
		}
		eng_subnet_up(p->eng);
		break;
	case OSM_EVENT_ID_STATE_CHANGE:
		if (p->osm->subn.sm_state != IB_SMINFO_STATE_MASTER)
			eng_subnet_down(p->eng);
		if (p->osm->subn.sm_state == IB_SMINFO_STATE_STANDBY)
			p->was_standby = true;
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
