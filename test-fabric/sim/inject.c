// SPDX-License-Identifier: BSD-2-Clause
/*
 * inject.c - "fault malformed-mad NODE": SA MADs that no honest client
 * sends, from NODE to the SM, and what the SM answered.
 *
 * The runner starts itself again as an ibsim client of NODE
 * ("ibvmig-sim --inject", under umad2sim); that child sends each MAD below,
 * waits for its answer, prints one line per MAD, and exits.  The MADs are
 * built with libibmad's field table (mad_set_field: one table of every MAD
 * field, no offsets here) and broken on purpose in one field each.  Only SA
 * class MADs: a MAD of a class OpenSM never registered would kill it under
 * umad2sim (doc/simulator.md, "umad2sim Reads and Polls"), which is the
 * simulator's failure, not the SM's.
 */
#include "sim.h"

#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <infiniband/mad.h>
#include <infiniband/umad.h>

#define ANSWER_MS 1000
#define SA_QKEY 0x80010000u
#define TID_BASE 0x51a00000u
#define GIR_ATTR 0x0030
#define PATH_ATTR 0x0035

struct bad_mad {
	const char *what;
	unsigned base_version, class_version, method, attr;
	uint64_t comp_mask;
	unsigned gir_lid, gir_block;
	bool rmpp;		/* an RMPP header that claims an active transfer */
	unsigned len;		/* bytes sent: 256, or a MAD cut short */
};

static const struct bad_mad bad[] = {
	{ "GUIDInfoRecord Set with SA class version 1 (the SA's is 2)", 1, 1, 0x02, GIR_ATTR,
	  0x3, 1, 0, false, 256 },
	{ "Get of an attribute the SA does not have (0xff7e)", 1, 2, 0x01, 0xff7e, 0, 0, 0, false,
	  256 },
	{ "SA method 0x7f (no such method)", 1, 2, 0x7f, GIR_ATTR, 0x3, 1, 0, false, 256 },
	{ "GUIDInfoRecord Set of block 255 at LID 0xffff", 1, 2, 0x02, GIR_ATTR, 0x7, 0xffff, 255,
	  false, 256 },
	{ "GUIDInfoRecord Delete with every component-mask bit, the record all zero", 1, 2, 0x15,
	  GIR_ATTR, ~0ULL, 0, 0, false, 256 },
	{ "PathRecord Get whose RMPP header says segment 7 of an active transfer", 1, 2, 0x01,
	  PATH_ATTR, 0, 0, 0, true, 256 },
	{ "GUIDInfoRecord Set with base version 7 (not a MAD of this spec)", 7, 2, 0x02, GIR_ATTR,
	  0x3, 1, 0, false, 256 },
	{ "GUIDInfoRecord Set cut after the SA header (64 of 256 bytes)", 1, 2, 0x02, GIR_ATTR, 0x7,
	  1, 0, false, 64 },
};
#define N_BAD (sizeof(bad) / sizeof(bad[0]))

static void build(uint8_t *mad, const struct bad_mad *b, uint32_t tid)
{
	memset(mad, 0, IB_MAD_SIZE);
	mad_set_field(mad, 0, IB_MAD_BASEVER_F, b->base_version);
	mad_set_field(mad, 0, IB_MAD_MGMTCLASS_F, IB_SA_CLASS);
	mad_set_field(mad, 0, IB_MAD_CLASSVER_F, b->class_version);
	mad_set_field(mad, 0, IB_MAD_METHOD_F, b->method);
	mad_set_field64(mad, 0, IB_MAD_TRID_F, tid);
	mad_set_field(mad, 0, IB_MAD_ATTRID_F, b->attr);
	mad_set_field64(mad, 0, IB_SA_COMPMASK_F, b->comp_mask);
	if (b->rmpp) {
		mad_set_field(mad, 0, IB_SA_RMPP_VERS_F, 1);
		mad_set_field(mad, 0, IB_SA_RMPP_TYPE_F, 1);
		mad_set_field(mad, 0, IB_SA_RMPP_FLAGS_F, 0x1);
		mad_set_field(mad, 0, IB_SA_RMPP_SEGNUM_F, 7);
		mad_set_field(mad, 0, IB_SA_RMPP_LEN_F, 4096);
	}
	if (b->attr == GIR_ATTR) {
		mad_set_field(mad + IB_SA_DATA_OFFS, 0, IB_SA_GIR_LID_F, b->gir_lid);
		mad_set_field(mad + IB_SA_DATA_OFFS, 0, IB_SA_GIR_BLOCKNUM_F, b->gir_block);
	}
}

/* The answer to @tid within ANSWER_MS: its status, or -1. */
static int answer(int port, void *umad, uint32_t tid)
{
	uint64_t end = util_mono_ms() + ANSWER_MS;
	int len, rc;
	uint8_t *mad;

	while (util_mono_ms() < end) {
		len = IB_MAD_SIZE;
		rc = umad_recv(port, umad, &len, (int)(end - util_mono_ms()));
		if (rc < 0)
			continue;
		mad = umad_get_mad(umad);
		/* Only the low 32 bits of a TID are the sender's (doc/simulator.md, "TIDs"). */
		if ((uint32_t)mad_get_field64(mad, 0, IB_MAD_TRID_F) == tid)
			return (int)mad_get_field(mad, 0, IB_MAD_STATUS_F);
	}
	return -1;
}

int inject_main(int argc, char **argv)
{
	unsigned answered = 0, i;
	umad_port_t info;
	int port, agent;
	void *umad;

	(void)argc;
	(void)argv;
	if (umad_init() < 0 || umad_get_port(NULL, 0, &info) < 0) {
		fprintf(stderr, SIM_PROG " --inject: no port\n");
		return IBVMIG_EXIT_UNREACHABLE;
	}
	port = umad_open_port(info.ca_name, info.portnum);
	/* Allocated after the open: umad_size() grows then (doc/simulator.md). */
	umad = port < 0 ? NULL : calloc(1, umad_size() + IB_MAD_SIZE);
	agent = umad ? umad_register(port, IB_SA_CLASS, 2, 0, NULL) : -1;
	if (agent < 0) {
		fprintf(stderr, SIM_PROG " --inject: cannot open the port\n");
		return IBVMIG_EXIT_UNREACHABLE;
	}
	printf("from lid %u to the SM at lid %u\n", info.base_lid, info.sm_lid);
	for (i = 0; i < N_BAD; i++) {
		uint32_t tid = TID_BASE + i;
		int st;

		build(umad_get_mad(umad), &bad[i], tid);
		umad_set_addr(umad, info.sm_lid, 1, 0, SA_QKEY);
		if (umad_send(port, agent, umad, (int)bad[i].len, ANSWER_MS, 0) < 0) {
			printf("%u. %s: not sent\n", i + 1, bad[i].what);
			continue;
		}
		st = answer(port, umad, tid);
		answered += st >= 0;
		if (st >= 0)
			printf("%u. %s: answered, status 0x%04x\n", i + 1, bad[i].what, st);
		else
			printf("%u. %s: no answer in %d ms\n", i + 1, bad[i].what, ANSWER_MS);
	}
	printf("%u of %zu answered\n", answered, N_BAD);
	fflush(stdout);
	umad_unregister(port, agent);
	umad_close_port(port);
	free(umad);
	umad_release_port(&info);
	return 0;
}

/* ---- the runner's side ---------------------------------------------------------------------- */

static void inject_line(void *ctx, struct sup_proc *p, char *line)
{
	struct sim *sim = ctx;

	(void)p;
	sim_say(sim, "  %s", line);
}

int steps_inject(struct sim *sim, int node)
{
	struct sim_words argv, env;
	char dir[PATH_MAX + 16], log[PATH_MAX + 16];
	struct sup_spawn sp;
	struct sup_proc *p;
	struct sim_sm *m = fabric_master(sim);
	char st[48];
	int rc;

#if defined(__SANITIZE_ADDRESS__)
	/*
	 * The injector is this program under umad2sim, whose read() over-runs its buffer
	 * (doc/simulator.md, "umad2sim Reads and Polls"): a sanitized build cannot be one.
	 */
	sim_say(sim, "(malformed MADs from %s skipped: this ibvmig-sim is built with "
		"AddressSanitizer, which umad2sim's read() does not survive)",
		sim_node_name(sim, node));
	return 0;
#endif
	sim_path(sim, dir, sizeof(dir), "inject-%s", sim_node_name(sim, node));
	sim_path(sim, log, sizeof(log), "inject.out");
	sim_words_init(&argv);
	sim_words_add(&argv, "%s", sim->tools.self);
	sim_words_add(&argv, "--inject");
	sim_words_init(&env);
	fabric_client_env(sim, node, &env);
	sim_say(sim, "%s sends malformed SA MADs to the SM", sim_node_name(sim, node));
	sp = (struct sup_spawn){ .name = "inject", .rank = RANK_CLIENT, .dir = dir, .argv = argv.v,
				 .env = env.v, .stdin_fd = -1, .log_path = log,
				 .on_line = inject_line, .ctx = sim };
	fabric_reap_slots(sim);
	rc = sup_spawn(&sim->sup, &sp, &p);
	if (rc)
		return sim_fatal(sim, 3, "cannot start %s --inject: %s", sim->tools.self,
				 strerror(-rc));
	if (sup_wait(&sim->sup, p, SIM_CLI_MS))
		sup_stop(&sim->sup, p, SIGKILL, 0);
	sim->n_inject++;
	if (!WIFEXITED(p->status) || WEXITSTATUS(p->status)) {
		report_fail(sim, "the injector ended with %s", sup_status_str(p->status, st,
			sizeof(st)));
	}
	sup_release(&sim->sup, p);
	if (m && !sup_running(m->proc)) {
		report_fail(sim, "OpenSM on %s died", sim_node_name(sim, m->node));
	}
	return 0;
}
