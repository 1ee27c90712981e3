// SPDX-License-Identifier: BSD-2-Clause
/*
 * state.c - the trap table and the live aliases survive SM restarts: the SM
 * forgets alias GUIDs when it restarts and hosts set them again, and only
 * what was saved tells a migration that straddled the restart from a
 * creation - the trap table when the delete came before the restart, the
 * live aliases when it never reached the SM (alias_watch.h).  Both files use
 * the trap table's format (doc/trap-table-file.md).  Saves run on the worker
 * and at the stop, the file I/O outside every lock.
 * Log codes of this file: D2xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* The directory, with room left for the names of the files in it. */
static int state_dir(const struct eng_engine *e, char *dir, size_t len)
{
	const char *d = e->conf.state_dir[0] ? e->conf.state_dir : e->default_state_dir;

	if (!d[0])
		return -ENOENT;
	if ((size_t)snprintf(dir, len, "%s", d) >= len)
		return -ENAMETOOLONG;
	return make_dir(dir);
}

static void state_init(struct eng_engine *e)
{
	char dir[PATH_MAX - 32];
	int rc;

	rc = state_dir(e, dir, sizeof(dir));
	if (rc) {
		ENG_ERROR(e, "ERR D201: state directory %s: %s: the trap table will not "
			  "survive a restart", dir, strerror(-rc));
		return;
	}
	snprintf(e->state_file, sizeof(e->state_file), "%s/%s", dir, TRAP_FILE_NAME);
	snprintf(e->live_file, sizeof(e->live_file), "%s/%s", dir, LIVE_FILE_NAME);
}

/* A damaged file is kept aside, never overwritten: someone will want to look. */
static void set_damaged_file_aside(struct eng_engine *e, const struct saved_file *f,
				   const char *why)
{
	char aside[PATH_MAX + 16];

	snprintf(aside, sizeof(aside), "%s.damaged", f->path);
	if (rename(f->path, aside))
		ENG_ERROR(e, "ERR D202: saved %s %s is damaged (%s) and cannot be "
			  "moved aside: %s", f->what, f->path, why, strerror(errno));
	else
		ENG_ERROR(e, "ERR D203: saved %s %s is damaged (%s): starting without it; "
			  "the file is kept as %s", f->what, f->path, why, aside);
}

/*
 * A stamp from the future (a clock set back since the save, or a file from
 * elsewhere) would stop the table's clock there - its time never goes back
 * (trap_table.h) - so that nothing expires until the wall clock catches up,
 * every later delete is stamped in the future too, and the next save writes
 * it back.  Such entries are taken as made now; the age order holds, since
 * only the newest ones can be ahead of @now.
 */
static void clamp_future(struct eng_engine *e, const struct saved_file *f,
			 struct tt_entry_view *v, size_t n, uint64_t now)
{
	uint64_t ahead = 0;
	size_t i, clamped = 0;

	for (i = 0; i < n; i++) {
		if (v[i].deleted_at_ms <= now)
			continue;
		if (v[i].deleted_at_ms - now > ahead)
			ahead = v[i].deleted_at_ms - now;
		v[i].deleted_at_ms = now;
		clamped++;
	}
	if (clamped)
		ENG_ERROR(e, "ERR D208: saved %s %s: %zu entries stamped up to %llu s ahead of the "
			  "clock (was it set back?): taken as made now", f->what, f->path, clamped,
			  (unsigned long long)(ahead / 1000));
}

/* Reads one saved file into @load, all or nothing; a missing file is an empty one. */
static void restore_file(struct eng_engine *e, const struct saved_file *f,
			 int (*load)(struct eng_engine *e, const struct tt_entry_view *v, size_t n))
{
	struct tt_entry_view *entries;
	const char *why;
	size_t n;
	int rc;

	rc = tt_read_file(f->path, &entries, &n, &why);
	if (rc == -ENOENT)
		return;
	if (rc == -EBADMSG) {
		set_damaged_file_aside(e, f, why);
		return;
	}
	if (rc) {
		ENG_ERROR(e, "ERR D204: cannot read %s: %s", f->path, strerror(-rc));
		return;
	}
	clamp_future(e, f, entries, n, util_wall_ms());
	pthread_mutex_lock(&e->lock);
	rc = load(e, entries, n);
	pthread_mutex_unlock(&e->lock);
	free(entries);
	if (rc == -ENOSPC)
		ENG_ERROR(e, "ERR D205: %s holds %zu entries, more than the %s can hold: "
			  "not restored", f->path, n, f->what);
	else if (rc)
		ENG_ERROR(e, "ERR D206: %s not restored: %s", f->path, strerror(-rc));
}

static int load_trap_table(struct eng_engine *e, const struct tt_entry_view *v, size_t n)
{
	return tt_restore(aw_table(e->watch), v, n);
}

static int load_live_aliases(struct eng_engine *e, const struct tt_entry_view *v, size_t n)
{
	return aw_restore_forgotten(e->watch, v, n);
}

int eng_state_start(struct eng_engine *e)
{
	state_init(e);
	if (!e->state_file[0])
		return 0;
	restore_file(e, &(struct saved_file){ e->state_file, "trap table" }, load_trap_table);
	restore_file(e, &(struct saved_file){ e->live_file, "live aliases" }, load_live_aliases);
	return 0;
}

void eng_state_takeover(struct eng_engine *e)
{
	struct aw_watch *fresh, *old;
	struct tt_stats st;
	struct aw_stats aw;
	uint64_t changes;

	if (!e->state_file[0])
		return;
	fresh = aw_create(&e->watch_cfg, eng_outbox_add, e);
	if (!fresh) {
		ENG_ERROR(e, "ERR D209: master now, but out of memory for the previous master's "
			  "trap table: the one loaded at the start stays");
		return;
	}
	/* The reconcile lock first: it is the outermost (engine.h, LOCKS). */
	pthread_mutex_lock(&e->reconcile_lock);
	pthread_mutex_lock(&e->lock);
	changes = e->table_changes;
	old = changes ? fresh : e->watch;
	if (!changes) {
		e->watch = fresh;
		e->saved_changes = e->table_changes;
	}
	pthread_mutex_unlock(&e->lock);
	aw_destroy(old);
	if (changes) {
		pthread_mutex_unlock(&e->reconcile_lock);
		ENG_INFO(e, "master now: this engine changed its table %llu times as a standby; it "
			 "keeps its own rather than the previous master's", (unsigned long long)changes);
		return;
	}
	restore_file(e, &(struct saved_file){ e->state_file, "trap table" }, load_trap_table);
	restore_file(e, &(struct saved_file){ e->live_file, "live aliases" }, load_live_aliases);
	pthread_mutex_lock(&e->lock);
	tt_get_stats(aw_table(e->watch), &st);
	aw_get_stats(e->watch, &aw);
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&e->reconcile_lock);
	ENG_INFO(e, "master now: the previous master's state taken over, %u trap-table entries "
		 "and %u aliases live before from \"%s\"", st.count, aw.forgotten, e->state_file);
}

void eng_state_stop(struct eng_engine *e)
{
	eng_save(e);
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
 * Whether this outcome of a save is news for the log (e->lock held): a save
 * that fails as the last one did is counted, not logged again - a full or
 * read-only disk would otherwise log one line per attempt - and the first
 * one that works after failures says so.
 */
static bool save_outcome_is_news(struct eng_engine *e, int rc, const char *failed)
{
	bool news;

	if (!rc) {
		news = e->save_error != 0;
		e->save_error = 0;
		return news;
	}
	e->save_failures++;
	news = rc != e->save_error || strcmp(failed, e->save_error_path);
	e->save_error = rc;
	snprintf(e->save_error_path, sizeof(e->save_error_path), "%s", failed);
	return news;
}

/* Counts a save that was tried (e->lock taken here) and logs what is news. */
static void save_done(struct eng_engine *e, int rc, const char *failed, uint64_t changes)
{
	uint64_t failures;
	bool news;

	pthread_mutex_lock(&e->lock);
	failures = e->save_failures;
	news = save_outcome_is_news(e, rc, failed);
	if (rc) {
		e->counters.save_errors++;	/* still unsaved: the worker tries again */
	} else {
		e->saved_changes = changes;
		e->counters.saves++;
		e->last_save_ms = util_wall_ms();
		e->save_failures = 0;
	}
	pthread_mutex_unlock(&e->lock);
	if (news && rc)
		ENG_ERROR(e, "ERR D207: cannot save the trap table to %s: %s; trying again ever "
			  "less often, and logging only a change", failed, strerror(-rc));
	else if (news)
		ENG_INFO(e, "the trap table is saved again, to %s, after %llu failed saves",
			 e->state_file, (unsigned long long)failures);
}

/*
 * The trap table first: it is what a migration straddling the restart needs
 * most.  Each file is replaced atomically; a crash between the two leaves a
 * live alias both deleted and live, and the trap table's verdict wins.
 */
int eng_save(struct eng_engine *e)
{
	struct tt_entry_view *deleted = NULL, *live = NULL;
	const char *failed = e->state_file;
	size_t n_deleted, n_live;
	uint64_t changes;
	int rc;

	pthread_mutex_lock(&e->lock);
	if (!eng_unsaved_changes(e) || !e->state_file[0]) {
		pthread_mutex_unlock(&e->lock);
		return 0;
	}
	changes = e->table_changes;
	rc = tt_snapshot(aw_table(e->watch), &deleted, &n_deleted);
	if (!rc)
		rc = aw_snapshot_live(e->watch, util_wall_ms(), &live, &n_live);
	pthread_mutex_unlock(&e->lock);
	if (!rc)
		rc = save_file(e->state_file, deleted, n_deleted, &failed);
	if (!rc)
		rc = save_file(e->live_file, live, n_live, &failed);
	free(deleted);
	free(live);
	save_done(e, rc, failed, changes);
	return rc;
}
