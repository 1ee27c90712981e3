// SPDX-License-Identifier: BSD-2-Clause
/*
 * state.c - the trap table and the live aliases survive SM restarts: the SM
 * forgets alias GUIDs when it restarts and hosts set them again, and only
 * what was saved tells a migration that straddled the restart from a
 * creation - the trap table when the delete came before the restart, the
 * live aliases when it never reached the SM (alias_watch.h).  Both live in
 * the state journal (ibvmig_journal.h, state_log.h, doc/journal.md): a save
 * appends the facts of the vGUIDs that changed since the last one, so that
 * it costs the change, not the table; once the log outgrows the snapshot by
 * state_compact_factor, a save writes the whole state as a new snapshot
 * instead.  The files of earlier versions (trap-table, live-aliases, in the
 * trap table's format, doc/trap-table-file.md) are read once, written into
 * the journal and removed.  Saves run on the worker and at the stop, the
 * file I/O outside every lock.
 * Log codes of this file: D2xx (doc/log-codes.md).
 */
#include "engine_int.h"
#include "state_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOURNAL_FILE_NAME "state-journal"
/* The save files of earlier versions, converted at the start. */
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
	char dir[sizeof(e->state_dir)];
	int rc;

	rc = state_dir(e, dir, sizeof(dir));
	if (rc) {
		ENG_ERROR(e, "ERR D201: state directory %s: %s: the trap table will not "
			  "survive a restart", dir, strerror(-rc));
		return;
	}
	snprintf(e->state_dir, sizeof(e->state_dir), "%s", dir);
	snprintf(e->state_file, sizeof(e->state_file), "%s/%s", dir, JOURNAL_FILE_NAME);
}

/* A file of the state directory by name (the old save files). */
static void in_state_dir(const struct eng_engine *e, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", e->state_dir, name);
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

typedef int (*load_fn)(struct eng_engine *e, const struct tt_entry_view *v, size_t n);

/* Puts saved entries in place (e->lock taken here), all or nothing; frees nothing. */
static void restore_views(struct eng_engine *e, const struct saved_file *f,
			  struct tt_entry_view *entries, size_t n, load_fn load)
{
	int rc;

	clamp_future(e, f, entries, n, util_wall_ms());
	pthread_mutex_lock(&e->lock);
	rc = load(e, entries, n);
	pthread_mutex_unlock(&e->lock);
	if (rc == -ENOSPC)
		ENG_ERROR(e, "ERR D205: %s holds %zu entries, more than the %s can hold: "
			  "not restored", f->path, n, f->what);
	else if (rc)
		ENG_ERROR(e, "ERR D206: %s not restored: %s", f->path, strerror(-rc));
}

/*
 * Reads one save file of an earlier version into @load, all or nothing;
 * returns whether there was one (damaged or not).
 */
static bool restore_file(struct eng_engine *e, const struct saved_file *f, load_fn load)
{
	struct tt_entry_view *entries;
	const char *why;
	size_t n;
	int rc;

	rc = tt_read_file(f->path, &entries, &n, &why);
	if (rc == -ENOENT)
		return false;
	if (rc == -EBADMSG) {
		set_damaged_file_aside(e, f, why);
		return true;
	}
	if (rc) {
		ENG_ERROR(e, "ERR D204: cannot read %s: %s", f->path, strerror(-rc));
		return true;
	}
	restore_views(e, f, entries, n, load);
	free(entries);
	return true;
}

/* ---- the journal (the worker's, or the start's and the stop's) --------------------- */

static int journal_handle(struct eng_engine *e)
{
	struct jnl_config jc = {
		.path = e->state_file,
		.compact_factor = e->conf.state_compact_factor,
	};

	if (e->jnl)
		return 0;
	e->jnl = jnl_new(&jc);
	return e->jnl ? 0 : -errno;
}

/*
 * Opens the journal, whose lock this engine holds, replaying it into @into
 * (NULL: its content is not wanted, the next save writes the whole state).
 * A damaged journal, or anything at its path that is not a regular file, is
 * set aside and a new one started.  0, or -errno with the journal closed.
 */
static int journal_open(struct eng_engine *e, struct sl_state *into, uint32_t max_aliases)
{
	struct saved_file f = { e->state_file, "state journal" };
	struct sl_replay *r = sl_replay_new();
	struct jnl_report rep = { 0 };
	int rc = r ? 0 : -ENOMEM;

	if (!rc)
		rc = jnl_open(e->jnl, into ? sl_replay_apply : NULL, r, &rep);
	if (rc == -EBADMSG || (rc == -EINVAL && rep.why)) {
		set_damaged_file_aside(e, &f, *sl_replay_why(r) ? sl_replay_why(r) : rep.why);
		sl_replay_free(r);
		r = sl_replay_new();
		rc = r ? jnl_open(e->jnl, NULL, NULL, &rep) : -ENOMEM;
	}
	if (!rc && rep.torn)
		ENG_INFO(e, "state journal %s: the save in flight at the stop (%llu bytes) was "
			 "incomplete and is dropped", e->state_file,
			 (unsigned long long)rep.torn_bytes);
	if (!rc && into)
		rc = sl_replay_finish(r, max_aliases, into);
	sl_replay_free(r);
	return rc;
}

/* Writable, or made so: lock, open; the next save then writes the whole state. */
static int journal_ready(struct eng_engine *e)
{
	int rc = journal_handle(e);

	if (rc || jnl_writable(e->jnl))
		return rc;
	jnl_unlock(e->jnl);	/* a poisoned journal is reopened from the file */
	rc = jnl_trylock(e->jnl);
	if (!rc)
		rc = journal_open(e, NULL, 0);
	if (!rc)
		e->save_all = true;
	return rc;
}

static void journal_close(struct eng_engine *e)
{
	jnl_free(e->jnl);
	e->jnl = NULL;
}

/* ---- restore -------------------------------------------------------------------------- */

static int load_trap_table(struct eng_engine *e, const struct tt_entry_view *v, size_t n)
{
	return tt_restore(aw_table(e->watch), v, n);
}

static int load_live_aliases(struct eng_engine *e, const struct tt_entry_view *v, size_t n)
{
	return aw_restore_forgotten(e->watch, v, n);
}

/* Into the watch, which holds nothing yet. */
static void restore_state(struct eng_engine *e, struct sl_state *st)
{
	struct saved_file f = { e->state_file, "state journal" };

	restore_views(e, &f, st->traps, st->n_traps, load_trap_table);
	restore_views(e, &f, st->aliases, st->n_aliases, load_live_aliases);
}

/*
 * The save files of an earlier version: read once into the watch, written
 * into the journal as its snapshot, then removed.  Only into a journal that
 * holds nothing of the engine's: one that does was written after them (a
 * crash between the snapshot and the removal leaves both), and they go.
 */
static void convert_old_files(struct eng_engine *e, bool journal_empty)
{
	char trap[PATH_MAX], live[PATH_MAX];
	bool found;

	in_state_dir(e, TRAP_FILE_NAME, trap, sizeof(trap));
	in_state_dir(e, LIVE_FILE_NAME, live, sizeof(live));
	if (access(trap, F_OK) && access(live, F_OK))
		return;
	if (journal_empty) {
		found = restore_file(e, &(struct saved_file){ trap, "trap table" }, load_trap_table);
		found |= restore_file(e, &(struct saved_file){ live, "live aliases" },
				      load_live_aliases);
		e->save_all = found;
		if (found && eng_save(e)) {
			ENG_ERROR(e, "ERR D210: the save files of an earlier version in %s are "
				  "not converted (%s): they stay, and are read again at the next "
				  "start", e->state_dir, jnl_why(e->jnl));
			return;
		}
	}
	unlink(trap);
	unlink(live);
	ENG_INFO(e, "the save files of an earlier version in %s %s the state journal %s and "
		 "removed", e->state_dir, journal_empty ? "converted into" : "found already in",
		 e->state_file);
}

/* Restores what the journal holds: the lock taken, or -EWOULDBLOCK when another SM holds it. */
static int restore_journal(struct eng_engine *e)
{
	struct sl_state st;
	int rc = journal_handle(e);

	if (!rc)
		rc = jnl_trylock(e->jnl);
	if (!rc)
		rc = journal_open(e, &st, e->watch_cfg.max_aliases);
	if (rc == -EWOULDBLOCK)
		return rc;
	if (rc) {
		ENG_ERROR(e, "ERR D212: cannot open the state journal %s: %s (%s): starting "
			  "without the saved state", e->state_file, strerror(-rc),
			  e->jnl ? jnl_why(e->jnl) : "no memory");
		return rc;
	}
	restore_state(e, &st);
	sl_state_free(&st);
	convert_old_files(e, !st.records);
	return 0;
}

int eng_state_start(struct eng_engine *e)
{
	state_init(e);
	if (!e->state_file[0])
		return 0;
	if (restore_journal(e) == -EWOULDBLOCK)
		ENG_INFO(e, "state journal %s held by another SM: this one takes it over when it "
			 "becomes master", e->state_file);
	return 0;
}

void eng_state_takeover(struct eng_engine *e)
{
	struct aw_watch *fresh, *old;
	struct tt_stats st;
	struct aw_stats aw;
	uint64_t changes;
	int rc;

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
	/* The previous master's journal, from the file: whatever this engine had open goes. */
	journal_close(e);
	rc = restore_journal(e);
	pthread_mutex_lock(&e->lock);
	tt_get_stats(aw_table(e->watch), &st);
	aw_get_stats(e->watch, &aw);
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&e->reconcile_lock);
	if (rc == -EWOULDBLOCK)
		ENG_ERROR(e, "ERR D211: master now, but another SM still holds the state journal "
			  "%s: starting without the previous master's state", e->state_file);
	else
		ENG_INFO(e, "master now: the previous master's state taken over, %u trap-table "
			 "entries and %u aliases live before from \"%s\"", st.count, aw.forgotten,
			 e->state_file);
}

void eng_state_stop(struct eng_engine *e)
{
	eng_save(e);
	journal_close(e);
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

/*
 * Counts a save that was tried (e->lock taken here) and logs what is news;
 * @bytes it wrote, @all: as a new snapshot.
 */
static void save_done(struct eng_engine *e, int rc, const char *failed, uint64_t changes,
		      uint64_t bytes, bool all)
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
		e->counters.saved_bytes += bytes;
		e->counters.compactions += all;
		e->last_save_ms = util_wall_ms();
		e->save_failures = 0;
	}
	pthread_mutex_unlock(&e->lock);
	if (news && rc)
		ENG_ERROR(e, "ERR D207: cannot save the trap table to %s: %s (%s); trying again "
			  "ever less often, and logging only a change", failed, strerror(-rc),
			  e->jnl && *jnl_why(e->jnl) ? jnl_why(e->jnl) : "no detail");
	else if (news)
		ENG_INFO(e, "the trap table is saved again, to %s, after %llu failed saves",
			 e->state_file, (unsigned long long)failures);
}

/*
 * What this save writes (e->lock held): the facts of the vGUIDs changed since
 * the last one, or every fact when the whole state is due (*@all).
 */
static int save_facts(struct eng_engine *e, bool *all, struct aw_fact **out, size_t *n)
{
	uint64_t *vguids;
	size_t i, k;
	bool lost;

	if (*all || jnl_compact_due(e->jnl)) {
		*all = true;
		aw_clear_changes(e->watch);
		return aw_all_facts(e->watch, out, n);
	}
	aw_take_changes(e->watch, &vguids, &k, &lost);
	*out = k && !lost ? malloc(2 * k * sizeof(**out)) : NULL;
	if (lost || (k && !*out)) {
		free(vguids);
		*all = true;
		return aw_all_facts(e->watch, out, n);
	}
	for (i = 0; i < k; i++)
		aw_facts_of(e->watch, vguids[i], *out + 2 * i);
	free(vguids);
	*n = 2 * k;
	return 0;
}

/*
 * One save: the changes since the last one appended, or the whole state as
 * a new snapshot.  A save that fails leaves the changes it took unwritten,
 * so the next one writes the whole state.
 */
int eng_save(struct eng_engine *e)
{
	struct aw_fact *facts = NULL;
	uint64_t changes = 0, now = 0;
	struct jnl_stats before = { 0 }, after = { 0 };
	bool all = e->save_all;
	size_t n = 0;
	int rc;

	pthread_mutex_lock(&e->lock);
	rc = (eng_unsaved_changes(e) || all) && e->state_file[0];
	pthread_mutex_unlock(&e->lock);
	if (!rc)
		return 0;
	rc = journal_ready(e);
	all = all || e->save_all;
	if (!rc) {
		pthread_mutex_lock(&e->lock);
		changes = e->table_changes;
		now = util_wall_ms();
		rc = save_facts(e, &all, &facts, &n);
		pthread_mutex_unlock(&e->lock);
	}
	if (!rc) {
		jnl_get_stats(e->jnl, &before);
		rc = all ? sl_compact(e->jnl, facts, n, now) : sl_append(e->jnl, facts, n, now);
		jnl_get_stats(e->jnl, &after);
	}
	free(facts);
	e->save_all = rc != 0;
	/* A compaction wrote its whole new file; an append, what it added. */
	save_done(e, rc, e->state_file, rc ? 0 : changes,
		  all ? after.file_bytes : after.file_bytes - before.file_bytes, all);
	return rc;
}
