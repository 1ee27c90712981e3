// SPDX-License-Identifier: BSD-2-Clause
/*
 * report.c - what ibvmig-sim tells at the end: the expectations' verdicts as
 * they come, then a summary for a person, then one JSON line for programs
 * (doc/scenarios.md, "The report"): the last line of its standard output,
 * as every benchmark of ibvmig ends.
 */
#include "sim.h"

#include "ibvmig_cli.h"
#include "ibvmig_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b);

void report_latency(struct sim *sim, size_t mig, uint64_t t_us)
{
	struct sim_sample *l;

	if (sim->n_lat == sim->lat_size) {
		size_t size = sim->lat_size ? sim->lat_size * 2 : 64;

		l = realloc(sim->lat, size * sizeof(*l));
		if (!l)
			return;
		sim->lat = l;
		sim->lat_size = size;
	}
	sim->lat[sim->n_lat++] = (struct sim_sample){ mig, t_us };
}

/* The samples in ms from their migrations' Sets, sorted; NULL without memory. */
static double *latencies(const struct sim *sim)
{
	double *v = calloc(sim->n_lat ? sim->n_lat : 1, sizeof(*v));
	uint64_t set;
	size_t i;

	for (i = 0; v && i < sim->n_lat; i++) {
		set = sim->migs[sim->lat[i].mig].set_us;
		v[i] = sim->lat[i].t_us > set ? (double)(sim->lat[i].t_us - set) / 1000.0 : 0;
	}
	if (v && sim->n_lat)
		qsort(v, sim->n_lat, sizeof(*v), cmp_double);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank percentile @p (0-100) of sorted @v. */
static double percentile(const double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k ? k - 1 : 0];
}

static double median(const double *v, size_t n)
{
	if (!n)
		return 0;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct figures {
	double lat_median, lat_p99, lat_max;
	double rpm_median, rpm_min, rpm_max;
	uint64_t sm_sent;
};

static void figures(struct sim *sim, struct figures *f)
{
	double *r = calloc(sim->n_migs ? sim->n_migs : 1, sizeof(*r));
	size_t i;

	double *lat = latencies(sim);

	memset(f, 0, sizeof(*f));
	if (lat) {
		f->lat_median = median(lat, sim->n_lat);
		f->lat_p99 = percentile(lat, sim->n_lat, 99);
		f->lat_max = sim->n_lat ? lat[sim->n_lat - 1] : 0;
		free(lat);
	}
	if (r) {
		for (i = 0; i < sim->n_migs; i++)
			r[i] = sim->migs[i].reports;
		if (sim->n_migs)
			qsort(r, sim->n_migs, sizeof(*r), cmp_double);
		f->rpm_median = median(r, sim->n_migs);
		f->rpm_min = sim->n_migs ? r[0] : 0;
		f->rpm_max = sim->n_migs ? r[sim->n_migs - 1] : 0;
		free(r);
	}
	f->sm_sent = fabric_notices_total(sim);
}

/* Taken while everything still runs; printed once everything is stopped. */
static struct figures fig;

void report_collect(struct sim *sim)
{
	size_t i;

	hosts_refresh(sim);
	figures(sim, &fig);
	/* The SM side's notices sent while each agent ran. */
	for (i = 0; i < sim->scn->n_nodes; i++) {
		struct sim_agent *a = &sim->agents[i];

		if (sim->scn->agent[i])
			a->sent_final = a->sent_prev +
					(sup_running(a->proc) ? fig.sm_sent - a->sent_base : 0);
	}
}

void report_fail(struct sim *sim, const char *fmt, ...)
{
	char line[1024], **f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sim_say(sim, "FAILED: %s", line);
	sim->failed++;
	f = realloc(sim->failures, (sim->n_failures + 1) * sizeof(*f));
	if (!f)
		return;
	sim->failures = f;
	f[sim->n_failures] = strdup(line);
	if (f[sim->n_failures])
		sim->n_failures++;
}

void report_expect(struct sim *sim, bool ok, const char *what, const char *fmt, ...)
{
	char saw[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(saw, sizeof(saw), fmt, ap);
	va_end(ap);
	if (ok) {
		sim_say(sim, "ok     %s: %s", what, saw);
		sim->passed++;
		return;
	}
	report_fail(sim, "%s: %s", what, saw);
}

/* The last @n lines of @path, indented: what a failed run's reader needs first. */
static void tail(FILE *o, const char *path, unsigned n)
{
	char line[1024], (*ring)[1024] = calloc(n, sizeof(*ring));
	unsigned count = 0, i;
	FILE *f = fopen(path, "re");

	if (!f || !ring) {
		if (f)
			fclose(f);
		free(ring);
		return;
	}
	while (fgets(line, sizeof(line), f))
		memcpy(ring[count++ % n], line, sizeof(line));
	fclose(f);
	if (count)
		fprintf(o, "   --- the last lines of %s:\n", path);
	for (i = count > n ? count - n : 0; i < count; i++)
		fprintf(o, "     %s%s", ring[i % n], strchr(ring[i % n], '\n') ? "" : "\n");
	free(ring);
}

/* With -v, a run that did not pass shows the ends of its logs before they are removed. */
static void tails(struct sim *sim)
{
	char path[PATH_MAX + 32];
	size_t i;

	if (!sim->opt.verbose || (!sim->code && !sim->failed))
		return;
	for (i = 0; i < 2; i++)
		if (sim->sm[i].role)
			tail(sim->out, sim->sm[i].log, 15);
	for (i = 0; i < sim->scn->n_nodes; i++)
		if (sim->scn->agent[i]) {
			sim_path(sim, path, sizeof(path), "agent-%s.out", sim_node_name(sim, (int)i));
			tail(sim->out, path, 10);
		}
	sim_path(sim, path, sizeof(path), "ibsim.out");
	tail(sim->out, path, 5);
}

/*
 * An evacuation's figures: from its first Set to the last RePath about its VMs at an
 * interested VM (0 if none came), and the Reports its window brought.
 */
static void evac_figures(const struct sim *sim, size_t first, double *ms, double *reports)
{
	const struct sim_mig *g = &sim->migs[first];
	uint64_t start = UINT64_MAX, end = 0;
	size_t i;

	*reports = 0;
	for (i = first; i < first + g->group && i < sim->n_migs; i++) {
		const struct sim_mig *m = &sim->migs[i];

		start = m->set_us < start ? m->set_us : start;
		end = m->last_us > end ? m->last_us : end;
		*reports += m->reports;
	}
	*ms = end > start ? (double)(end - start) / 1000.0 : 0;
}

/* An evacuation's first migration: the head of a group of more than one. */
static bool evac_head(const struct sim *sim, size_t i)
{
	return sim->migs[i].group > 1 && sim->migs[i].first == i;
}

static void summary_evacuations(const struct sim *sim, FILE *o)
{
	double ms, reports;
	size_t i;

	for (i = 0; i < sim->n_migs; i++) {
		if (!evac_head(sim, i))
			continue;
		evac_figures(sim, i, &ms, &reports);
		fprintf(o, "   evacuation of %u VMs: first Set -> last RePath at an interested VM "
			"%.2f ms, %g Reports\n", sim->migs[i].group, ms, reports);
	}
}

void report_summary(struct sim *sim)
{
	const struct figures f = fig;
	FILE *o = sim->out;
	size_t i;
	fprintf(o, "\n== %s: %s\n", sim->opt.scenario,
		sim->code == SIM_EXIT_UNSUPPORTED ? "not supported yet" :
		sim->code == SIM_EXIT_INTERRUPTED ? "interrupted" :
		sim->code == IBVMIG_EXIT_FAILED || (!sim->code && sim->failed) ? "FAILED" :
		sim->code ? "did not run to its end" : "passed");
	fprintf(o, "   steps: %u created, %u rebooted, %u migrated (%u evacuations), %u faults, "
		"%u malformed-MAD rounds, %u with escrow (%u not supported here)\n",
		sim->n_create, sim->n_reboot, sim->n_migrate, sim->n_evacuate, sim->n_fault,
		sim->n_inject, sim->n_escrow, sim->n_unsupported);
	fprintf(o, "   expectations: %u passed, %u failed\n", sim->passed, sim->failed);
	fprintf(o, "   the SM side sent %" PRIu64 " notices (UnPath and RePath; each one Report "
		"to every subscribed agent)\n", f.sm_sent);
	fprintf(o, "   %-10s %8s %10s %10s\n", "host", "sent", "received", "forwarded");
	for (i = 0; i < sim->scn->n_nodes; i++) {
		const struct sim_agent *a = &sim->agents[i];

		if (!sim->scn->agent[i])
			continue;
		fprintf(o, "   %-10s %8" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
			sim_node_name(sim, (int)i), a->sent_final,
			a->reports_prev + a->reports_last, a->fwd_prev + a->fwd_last);
	}
	if (sim->n_migs) {
		fprintf(o, "   Reports per migration:");
		for (i = 0; i < sim->n_migs && i < 32; i++)
			fprintf(o, " %g", sim->migs[i].reports);
		fprintf(o, "%s (median %g)\n", sim->n_migs > 32 ? " ..." : "", f.rpm_median);
	}
	if (sim->n_lat)
		fprintf(o, "   latency, the destination's Set -> RePath at a peer VM: %zu samples, "
			"median %.2f ms, p99 %.2f ms, max %.2f ms\n", sim->n_lat, f.lat_median,
			f.lat_p99, f.lat_max);
	summary_evacuations(sim, o);
	for (i = 0; i < sim->n_failures; i++)
		fprintf(o, "   FAILED: %s\n", sim->failures[i]);
	if (sim->sup.orphans)
		fprintf(o, "   %u orphaned processes reaped\n", sim->sup.orphans);
	tails(sim);
	if (sim->dir[0])
		fprintf(o, "   files: %s%s\n", sim->dir, sim->dir_made && !sim->opt.keep ?
			" (removed; --keep keeps them)" : sim->dir_made ? " (kept)" : "");
	fflush(o);
}

static void json_hosts(struct sim *sim)
{
	bool first = true;
	size_t i;

	printf("\"hosts\":{");
	for (i = 0; i < sim->scn->n_nodes; i++) {
		const struct sim_agent *a = &sim->agents[i];

		if (!sim->scn->agent[i])
			continue;
		printf("%s", first ? "" : ",");
		first = false;
		cli_json_string(stdout, sim_node_name(sim, (int)i));
		printf(":{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"forwarded\":%" PRIu64
		       ",\"agent_starts\":%u}", a->sent_final,
		       a->reports_prev + a->reports_last, a->fwd_prev + a->fwd_last, a->starts);
	}
	printf("}");
}

static void json_evacuations(const struct sim *sim)
{
	double ms, reports;
	size_t i;
	bool any = false;

	printf(",\"evacuations\":[");
	for (i = 0; i < sim->n_migs; i++) {
		if (!evac_head(sim, i))
			continue;
		evac_figures(sim, i, &ms, &reports);
		printf("%s{\"vms\":%u,\"set_to_last_update_ms\":%.3f,\"reports\":%g}",
		       any ? "," : "", sim->migs[i].group, ms, reports);
		any = true;
	}
	printf("]");
}

void report_json(struct sim *sim)
{
	const struct figures f = fig;
	size_t i;

	printf("{\"scenario\":");
	cli_json_string(stdout, sim->opt.scenario);
	printf(",\"result\":\"%s\",\"exit\":%d,\"duration_ms\":%" PRIu64,
	       sim->code == SIM_EXIT_UNSUPPORTED ? "unsupported" :
	       sim->code || sim->failed ? "failed" : "passed", sim->code,
	       util_mono_ms() - sim->t0_ms);
	printf(",\"sm\":\"%s\",\"events\":{\"create\":%u,\"reboot\":%u,\"migrate\":%u,"
	       "\"evacuate\":%u,\"fault\":%u,\"malformed_mad\":%u,\"unsupported\":%u}",
	       scn_sm_name(sim->scn->sm), sim->n_create, sim->n_reboot, sim->n_migrate,
	       sim->n_evacuate, sim->n_fault, sim->n_inject, sim->n_unsupported);
	printf(",\"expectations\":{\"passed\":%u,\"failed\":%u}", sim->passed, sim->failed);
	printf(",\"notices_sent\":%" PRIu64 ",", f.sm_sent);
	json_hosts(sim);
	printf(",\"reports_per_migration\":[");
	for (i = 0; i < sim->n_migs; i++)
		printf("%s%g", i ? "," : "", sim->migs[i].reports);
	printf("],\"latency_ms\":{\"samples\":%zu,\"median\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
	       sim->n_lat, f.lat_median, f.lat_p99, f.lat_max);
	json_evacuations(sim);
	printf(",\"escrows\":{\"done\":%u,\"not_supported\":%u}", sim->n_escrow,
	       sim->n_unsupported);
	printf(",\"failures\":[");
	for (i = 0; i < sim->n_failures; i++) {
		printf("%s", i ? "," : "");
		cli_json_string(stdout, sim->failures[i]);
	}
	printf("]}\n");
	fflush(stdout);
}
