// SPDX-License-Identifier: BSD-2-Clause
/*
 * state.c - the trap table and the live aliases survive SM restarts: OpenSM
 * forgets alias GUIDs when it restarts and hosts set them again, and only what
 * was saved tells a migration that straddled the restart from a creation - the
 * trap table when the delete came before the restart, the live aliases when
 * it never reached the SM (alias_watch.h).  Both files use the trap table's
 * format (doc/trap-table-file.md).  Saves run on the worker, the file I/O
 * outside every lock.  Log codes of this file: 05xx.
 */
#include <opensm/osm_config.h>
#include <opensm/osm_base.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin.h"

#define TRAP_FILE_NAME "trap-table"
#define LIVE_FILE_NAME "live-aliases"

/* One of the files in the state directory. */
struct saved_file {
	const char *path;
	const char *what;	/* for the log */
};

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
	snprintf(p->state_file, sizeof(p->state_file), "%s/%s", dir, TRAP_FILE_NAME);
	snprintf(p->live_file, sizeof(p->live_file), "%s/%s", dir, LIVE_FILE_NAME);
}

/* A damaged file is kept aside, never overwritten: someone will want to look. */
static void set_damaged_file_aside(struct ibvmig_plugin *p, const struct saved_file *f,
				   const char *why)
{
	char aside[PATH_MAX + 16];

	snprintf(aside, sizeof(aside), "%s.damaged", f->path);
	if (rename(f->path, aside))
		IBVMIG_ERROR(p, "ERR 0502: saved %s %s is damaged (%s) and cannot be "
			     "moved aside: %s\n", f->what, f->path, why, strerror(errno));
	else
		IBVMIG_ERROR(p, "ERR 0503: saved %s %s is damaged (%s): starting without it; "
			     "the file is kept as %s\n", f->what, f->path, why, aside);
}

/* Reads one saved file into @load, all or nothing; a missing file is an empty one. */
static void restore_file(struct ibvmig_plugin *p, const struct saved_file *f,
			 int (*load)(struct ibvmig_plugin *p, const struct tt_entry_view *e,
				     size_t n))
{
	struct tt_entry_view *entries;
	const char *why;
	size_t n;
	int rc;

	rc = tt_read_file(f->path, &entries, &n, &why);
	if (rc == -ENOENT)
		return;
	if (rc == -EBADMSG) {
		set_damaged_file_aside(p, f, why);
		return;
	}
	if (rc) {
		IBVMIG_ERROR(p, "ERR 0504: cannot read %s: %s\n", f->path, strerror(-rc));
		return;
	}
	rc = load(p, entries, n);
	free(entries);
	if (rc == -ENOSPC)
		IBVMIG_ERROR(p, "ERR 0505: %s holds %zu entries, more than the %s can hold: "
			     "not restored\n", f->path, n, f->what);
	else if (rc)
		IBVMIG_ERROR(p, "ERR 0506: %s not restored: %s\n", f->path, strerror(-rc));
}

static int load_trap_table(struct ibvmig_plugin *p, const struct tt_entry_view *e, size_t n)
{
	return tt_restore(aw_table(p->watch), e, n);
}

static int load_live_aliases(struct ibvmig_plugin *p, const struct tt_entry_view *e, size_t n)
{
	return aw_restore_forgotten(p->watch, e, n);
}

void ibvmig_state_restore(struct ibvmig_plugin *p)
{
	if (!p->state_file[0])
		return;
	restore_file(p, &(struct saved_file){ p->state_file, "trap table" }, load_trap_table);
	restore_file(p, &(struct saved_file){ p->live_file, "live aliases" }, load_live_aliases);
}

static int save_file(const char *path, const struct tt_entry_view *entries, size_t n,
		     const char **failed)
{
	int rc = tt_write_file(path, entries, n);

	if (rc)
		*failed = path;
	return rc;
}

/*
 * The trap table first: it is what a migration straddling the restart needs
 * most.  Each file is replaced atomically; a crash between the two leaves a
 * live alias both deleted and live, and the trap table's verdict wins.
 */
void ibvmig_state_save(struct ibvmig_plugin *p)
{
	struct tt_entry_view *deleted = NULL, *live = NULL;
	const char *failed = p->state_file;
	size_t n_deleted, n_live;
	uint64_t changes;
	int rc;

	pthread_mutex_lock(&p->lock);
	if (!ibvmig_unsaved_changes(p) || !p->state_file[0]) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	changes = p->table_changes;
	rc = tt_snapshot(aw_table(p->watch), &deleted, &n_deleted);
	if (!rc)
		rc = aw_snapshot_live(p->watch, util_wall_ms(), &live, &n_live);
	pthread_mutex_unlock(&p->lock);
	if (!rc)
		rc = save_file(p->state_file, deleted, n_deleted, &failed);
	if (!rc)
		rc = save_file(p->live_file, live, n_live, &failed);
	free(deleted);
	free(live);
	pthread_mutex_lock(&p->lock);
	if (rc) {
		p->counters.save_errors++;	/* still unsaved: the worker tries again */
	} else {
		p->saved_changes = changes;
		p->counters.saves++;
		p->last_save_ms = util_wall_ms();
	}
	pthread_mutex_unlock(&p->lock);
	if (rc)
		IBVMIG_ERROR(p, "ERR 0507: cannot save the trap table to %s: %s\n", failed,
			     strerror(-rc));
}
