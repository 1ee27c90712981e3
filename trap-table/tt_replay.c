// SPDX-License-Identifier: BSD-2-Clause
/*
 * tt_replay - feed a script of vGUID events to a trap table and print each
 * verdict.  A tool for trying TTL and capacity settings against a recorded
 * day of VM events, and the first half of the demo.
 *
 * Script lines (blank lines and '#' comments are skipped):
 *   HH:MM[:SS] delete VGUID LID PORT_GUID [note...]
 *   HH:MM[:SS] set    VGUID LID PORT_GUID [note...]
 *   HH:MM[:SS] expire [note...]
 * Times must not go back (the table would clamp them anyway).
 *
 * --save FILE writes what the table still remembers at the end into FILE, in
 * the trap table's file format (doc/trap-table-file.md), the script's times
 * taken as today's (UTC): the save files of ibvmig versions before the state
 * journal, for the tests of their conversion (doc/journal.md).
 */
#include "ibvmig_cli.h"
#include "ibvmig_util.h"
#include "trap_table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct replay {
	struct tt_table *t;
	const char *file;
	unsigned line;
};

static void on_drop(void *ctx, const struct tt_entry_view *e, enum tt_drop_reason r)
{
	(void)ctx;
	printf("%-8s %-7s 0x%016" PRIx64 " %5u  0x%016" PRIx64 "  %s\n", "", "(table)",
	       e->vguid, e->lid, e->port_guid, tt_drop_reason_name(r));
}

static int parse_time(const char *s, uint64_t *ms)
{
	unsigned h, m, sec = 0;
	char extra;

	if (sscanf(s, "%u:%u:%u%c", &h, &m, &sec, &extra) < 2 || h > 23 || m > 59 || sec > 59)
		return -1;
	*ms = ((uint64_t)h * 3600 + m * 60 + sec) * 1000;
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return s && !util_parse_uint(s, 0, 0, max, out) ? 0 : -1;
}

static int fail(const struct replay *r, const char *what)
{
	fprintf(stderr, "tt_replay: %s:%u: %s\n", r->file, r->line, what);
	return -1;
}

static void print_event(const char *when, const char *op, uint64_t vguid, uint64_t lid,
			uint64_t port, const char *verdict, const char *note)
{
	printf("%-8s %-7s 0x%016" PRIx64 " %5" PRIu64 "  0x%016" PRIx64 "  %-22s %s\n", when,
	       op, vguid, lid, port, verdict, note);
}

static int replay_event(struct replay *r, const char *when, const char *op, uint64_t now,
			char *rest)
{
	uint64_t vguid, lid, port;
	struct tt_set_result res;
	char verdict[40];
	const char *note;
	int rc;

	if (parse_u64(strtok(rest, " \t"), UINT64_MAX, &vguid) ||
	    parse_u64(strtok(NULL, " \t"), 0xFFFF, &lid) ||
	    parse_u64(strtok(NULL, " \t"), UINT64_MAX, &port))
		return fail(r, "expected VGUID LID PORT_GUID");
	note = strtok(NULL, "");
	note = note ? note : "";
	if (!strcmp(op, "delete")) {
		rc = tt_delete(r->t, vguid, (uint16_t)lid, port, now, NULL);
		if (!rc)
			print_event(when, op, vguid, lid, port, "remembered", note);
	} else {
		rc = tt_set(r->t, vguid, (uint16_t)lid, port, now, &res);
		snprintf(verdict, sizeof(verdict), "%s", tt_verdict_name(res.verdict));
		if (!rc && res.verdict != TT_CREATED)
			snprintf(verdict, sizeof(verdict), "%s (was %u)",
				 tt_verdict_name(res.verdict), res.old.lid);
		if (!rc)
			print_event(when, op, vguid, lid, port, verdict, note);
	}
	if (rc == -EINVAL)
		return fail(r, "rejected: zero GUID or LID outside 1..0xBFFF");
	return rc ? fail(r, strerror(-rc)) : 0;
}

static int replay_line(struct replay *r, char *line)
{
	char *when, *op, *rest;
	uint64_t now;

	line[strcspn(line, "#\n")] = '\0';
	when = strtok(line, " \t");
	if (!when)
		return 0;
	op = strtok(NULL, " \t");
	rest = strtok(NULL, "");
	if (parse_time(when, &now) || !op)
		return fail(r, "expected HH:MM[:SS] followed by delete, set or expire");
	if (!strcmp(op, "expire")) {
		printf("%-8s %-7s %zu expired\n", when, op, tt_expire(r->t, now));
		return 0;
	}
	if (strcmp(op, "delete") && strcmp(op, "set"))
		return fail(r, "unknown event (delete, set or expire)");
	return replay_event(r, when, op, now, rest ? rest : (char[]){ 0 });
}

/* The script's times are ms since midnight: today's midnight (UTC) is added. */
static int save_table(const struct tt_table *t, const char *path)
{
	uint64_t midnight = util_wall_ms() / 86400000 * 86400000;
	struct tt_entry_view *v;
	size_t n, i;
	int rc = tt_snapshot(t, &v, &n);

	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		v[i].deleted_at_ms += midnight;
	rc = tt_write_file(path, v, n);
	free(v);
	return rc;
}

static void print_summary(const struct tt_table *t)
{
	struct tt_stats st;

	tt_get_stats(t, &st);
	printf("\n%" PRIu64 " deletes, %" PRIu64 " sets: %" PRIu64 " created, %" PRIu64
	       " restarted, %" PRIu64 " moved with their LID, %" PRIu64 " migrated; %" PRIu64
	       " expired, %" PRIu64 " evicted; %u still remembered\n",
	       st.deletes, st.sets, st.verdicts[TT_CREATED], st.verdicts[TT_RESTARTED],
	       st.verdicts[TT_MOVED_SAME_LID], st.verdicts[TT_MIGRATED], st.expired,
	       st.evicted, st.count);
}

enum { OPT_TTL = 256, OPT_SAVE };

struct options {
	struct tt_config cfg;
	const char *save;	/* --save FILE, or NULL */
};

static int parse_opt(int c, const char *arg, void *ctx)
{
	struct options *o = ctx;
	struct tt_config *cfg = &o->cfg;
	uint64_t v;

	if (c == OPT_SAVE) {
		o->save = arg;
		return 0;
	}
	if (c == OPT_TTL && !parse_u64(arg, UINT64_MAX / 1000, &v)) {
		cfg->ttl_ms = v * 1000;
		return 0;
	}
	if (c == 'c' && !parse_u64(arg, TT_CAPACITY_MAX, &v) && v) {
		cfg->capacity = (uint32_t)v;
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "capacity", required_argument, NULL, 'c' },
		{ "save", required_argument, NULL, OPT_SAVE },
		{ 0 },
	};
	struct options o = { .cfg = { .capacity = 4096, .ttl_ms = 3600 * 1000 } };
	const struct cli_tool tool = {
		.prog = "tt_replay",
		.synopsis = "[--ttl SECONDS] [--capacity N] [--save FILE] SCRIPT",
		.help = "Replays a day of vGUID deletes and sets through a trap table and prints\n"
			"each verdict (the demo's part 1).  --save FILE: what the table still\n"
			"remembers at the end, in the trap table's file format, at today's times.\n",
		.shortopts = "c:",
		.longopts = opts,
		.opt = parse_opt,
		.ctx = &o,
	};
	struct cli_common common = { 0 };
	struct replay r = { 0 };
	char buf[512];
	FILE *f;
	int first, rc = 0;

	rc = cli_parse(&tool, argc, argv, &common, &first);
	if (rc >= 0)
		return rc;
	rc = 0;
	if (first != argc - 1)
		return cli_usage_error(&tool, "one SCRIPT is needed");
	r.file = argv[first];
	f = fopen(r.file, "r");
	if (!f) {
		return cli_fail(&tool, IBVMIG_EXIT_FAILED, "%s: %s", r.file, strerror(errno));
	}
	o.cfg.on_drop = on_drop;
	r.t = tt_create(&o.cfg);
	if (!r.t) {
		fclose(f);
		return cli_fail(&tool, IBVMIG_EXIT_FAILED, "%s", strerror(errno));
	}
	printf("%-8s %-7s %-18s %5s  %-18s  %-22s %s\n", "TIME", "EVENT", "VGUID", "LID",
	       "PORT", "VERDICT (OLD LID)", "NOTE");
	while (!rc && fgets(buf, sizeof(buf), f)) {
		r.line++;
		rc = replay_line(&r, buf);
	}
	if (!rc)
		print_summary(r.t);
	if (!rc && o.save) {
		int err = save_table(r.t, o.save);

		if (err)
			rc = cli_fail(&tool, IBVMIG_EXIT_FAILED, "%s: %s", o.save, strerror(-err));
	}
	tt_destroy(r.t);
	fclose(f);
	return rc ? IBVMIG_EXIT_FAILED : IBVMIG_EXIT_OK;
}
