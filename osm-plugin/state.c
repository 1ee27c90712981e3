// SPDX-License-Identifier: BSD-2-Clause
/*
 * state.c - the trap table survives SM restarts: OpenSM forgets alias GUIDs
 * when it restarts and hosts set them again, and only the saved table tells a
 * migration that straddled the restart from a creation.  Saves run on the
 * worker, the file I/O outside every lock.  Log codes of this file: 05xx.
 */
#include <opensm/osm_config.h>
#include <opensm/osm_base.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin.h"

#define STATE_FILE_NAME "trap-table"

/* mkdir -p with mode 0700: the table names every VM of the fabric. */
static int make_dir(char *path)
{
	char *slash;

	for (slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			*slash = '/';
			return -errno;
		}
		*slash = '/';
	}
	return mkdir(path, 0700) && errno != EEXIST ? -errno : 0;
}

void ibvmig_state_init(struct ibvmig_plugin *p)
{
	char dir[sizeof(p->conf.state_dir) + 32];
	const char *cache = getenv("OSM_CACHE_DIR");
	int rc;

	if (p->conf.state_dir[0])
		snprintf(dir, sizeof(dir), "%s", p->conf.state_dir);
	else
		snprintf(dir, sizeof(dir), "%s/ibvmig",
			 cache && cache[0] ? cache : OSM_DEFAULT_CACHE_DIR);
	rc = make_dir(dir);
	if (rc) {
		IBVMIG_ERROR(p, "ERR 0501: state directory %s: %s: the trap table will not "
			     "survive a restart\n", dir, strerror(-rc));
		return;
	}
	snprintf(p->state_file, sizeof(p->state_file), "%s/%s", dir, STATE_FILE_NAME);
}

/* A damaged file is kept aside, never overwritten: someone will want to look. */
static void set_damaged_file_aside(struct ibvmig_plugin *p, const char *why)
{
	char aside[PATH_MAX + 16];

	snprintf(aside, sizeof(aside), "%s.damaged", p->state_file);
	if (rename(p->state_file, aside))
		IBVMIG_ERROR(p, "ERR 0502: saved trap table %s is damaged (%s) and cannot be "
			     "moved aside: %s\n", p->state_file, why, strerror(errno));
	else
		IBVMIG_ERROR(p, "ERR 0503: saved trap table %s is damaged (%s): starting with an "
			     "empty table; the file is kept as %s\n", p->state_file, why, aside);
}

void ibvmig_state_restore(struct ibvmig_plugin *p)
{
	struct tt_entry_view *entries;
	const char *why;
	size_t n;
	int rc;

	if (!p->state_file[0])
		return;
	rc = tt_read_file(p->state_file, &entries, &n, &why);
	if (rc == -ENOENT)
		return;
	if (rc == -EBADMSG) {
		set_damaged_file_aside(p, why);
		return;
	}
	if (rc) {
		IBVMIG_ERROR(p, "ERR 0504: cannot read %s: %s\n", p->state_file, strerror(-rc));
		return;
	}
	rc = tt_restore(aw_table(p->watch), entries, n);
	free(entries);
	if (rc == -ENOSPC)
		IBVMIG_ERROR(p, "ERR 0505: %s holds %zu entries, more than trap_capacity %u: "
			     "not restored\n", p->state_file, n, p->conf.trap_capacity);
	else if (rc)
		IBVMIG_ERROR(p, "ERR 0506: %s not restored: %s\n", p->state_file, strerror(-rc));
}

void ibvmig_state_save(struct ibvmig_plugin *p)
{
	struct tt_entry_view *entries;
	uint64_t changes;
	size_t n;
	int rc;

	pthread_mutex_lock(&p->lock);
	if (!ibvmig_unsaved_changes(p) || !p->state_file[0]) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	changes = p->table_changes;
	rc = tt_snapshot(aw_table(p->watch), &entries, &n);
	pthread_mutex_unlock(&p->lock);
	if (!rc)
		rc = tt_write_file(p->state_file, entries, n);
	free(entries);
	pthread_mutex_lock(&p->lock);
	if (rc) {
		p->counters.save_errors++;	/* still unsaved: the worker tries again */
	} else {
		p->saved_changes = changes;
		p->counters.saves++;
		p->last_save_ms = ibvmig_wall_ms();
	}
	pthread_mutex_unlock(&p->lock);
	if (rc)
		IBVMIG_ERROR(p, "ERR 0507: cannot save the trap table to %s: %s\n", p->state_file,
			     strerror(-rc));
}
