// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx-forge: the tests' forger of the agents' and the extension's messages
 * (doc/tell-protocol.md), as any host of the fabric could send them:
 *
 *   smx-forge [--sim] notice --lid L --vguid G [--trap 68|69]
 *       a PathNotice (RePath "migrated" to this port by default) to LID L, as
 *       if from the extension: an agent must refuse it (not the extension's LID);
 *   smx-forge [--sim] tell --lid L --vguid G [--port P] [--op set|delete|hello]
 *             [--index I]
 *       an AliasTold to LID L naming port P (default: this one): the extension
 *       must refuse one that names another port than the sender's.
 *
 *   smx-forge [--sim] traps --count N [--interval MS]
 *       N Trap(Notice) SMPs, RePaths about vGUID 0x0002c903ffff0000 + k, each
 *       different (OpenSM drops identical ones), to the SM, MS apart (default
 *       10): what the benchmark measures the SM's cost of a trap with.
 *
 * Prints "status=0x...." of the answer and exits 0, or 3 when nothing
 * answered ("sent=N" for traps).  Never send either to a node where no process registered class
 * 0x0A (umad2sim kills it: doc/simulator.md, "umad2sim Reads and Polls").
 */
#include "ibvmig_sa.h"
#include "ibvmig_tell.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct args {
	bool sim, notice, traps;
	uint64_t lid, vguid, port, index, trap, count, interval;
	uint8_t op;
};

static int usage(void)
{
	fprintf(stderr, "usage: smx-forge [--sim] notice|tell --lid L --vguid G [--trap T] "
		"[--port P] [--op set|delete|hello] [--index I]\n");
	return 2;
}

static int parse(int argc, char **argv, struct args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->trap = IBVMIG_TRAP_REPATH;
	a->op = IBVMIG_TELL_SET;
	a->index = 1;
	a->interval = 10;
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--sim")) {
			a->sim = true;
		} else if (!strcmp(o, "notice") || !strcmp(o, "tell")) {
			a->notice = !strcmp(o, "notice");
		} else if (!strcmp(o, "traps")) {
			a->traps = true;
		} else if (!v) {
			return -1;
		} else if (!strcmp(o, "--lid")) {
			if (util_parse_uint(v, 0, 1, 0xBFFF, &a->lid))
				return -1;
			i++;
		} else if (!strcmp(o, "--vguid") || !strcmp(o, "--port")) {
			if (util_parse_guid(v, !strcmp(o, "--port") ? &a->port : &a->vguid))
				return -1;
			i++;
		} else if (!strcmp(o, "--trap")) {
			if (util_parse_uint(v, 10, 68, 69, &a->trap))
				return -1;
			i++;
		} else if (!strcmp(o, "--count") || !strcmp(o, "--interval")) {
			if (util_parse_uint(v, 10, 0, 1000000,
					    !strcmp(o, "--count") ? &a->count : &a->interval))
				return -1;
			i++;
		} else if (!strcmp(o, "--index")) {
			if (util_parse_uint(v, 10, 0, 2047, &a->index))
				return -1;
			i++;
		} else if (!strcmp(o, "--op")) {
			a->op = !strcmp(v, "delete") ? IBVMIG_TELL_DELETE :
				!strcmp(v, "hello") ? IBVMIG_TELL_HELLO : IBVMIG_TELL_SET;
			i++;
		} else {
			return -1;
		}
	}
	if (a->traps)
		return a->count ? 0 : -1;
	return a->lid && (a->vguid || a->op == IBVMIG_TELL_HELLO) ? 0 : -1;
}

static void fill(const struct args *a, const struct ibvmig_sa_port *p, uint8_t *data,
		 uint16_t *attr)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (a->notice) {
		struct ibvmig_direct_notice d = {
			.trap = (uint16_t)a->trap,
			.issuer_guid = p->port_guid,
			.notice = { .reason = a->trap == IBVMIG_TRAP_REPATH ?
					      IBVMIG_REASON_MIGRATED : IBVMIG_REASON_DELETED,
				    .new_lid = a->trap == IBVMIG_TRAP_REPATH ? p->lid : 0,
				    .subnet_prefix = p->subnet_prefix, .vguid = a->vguid,
				    .new_port_guid = a->trap == IBVMIG_TRAP_REPATH ?
						     p->port_guid : 0,
				    /* Huge: a forgery must not look older than the truth. */
				    .epoch = (uint32_t)now.tv_sec, .seq = UINT64_MAX / 2 },
		};

		ibvmig_direct_notice_encode(&d, data);
		*attr = IBVMIG_TELL_ATTR_NOTICE;
		return;
	}
	struct ibvmig_tell t = {
		.op = a->op,
		.index = a->op == IBVMIG_TELL_HELLO ? 0 : (uint16_t)a->index,
		.port_guid = a->port ? a->port : p->port_guid,
		.vguid = a->op == IBVMIG_TELL_HELLO ? 0 : a->vguid,
		.seq = (uint32_t)now.tv_nsec,
	};

	ibvmig_tell_encode(&t, data);
	*attr = IBVMIG_TELL_ATTR_ALIAS;
}

/* The benchmark's traps: RePaths, each its own (seq and vGUID differ). */
static int send_traps(struct ibvmig_sa *sa, const struct args *a)
{
	const struct ibvmig_sa_port *p = ibvmig_sa_port(sa);
	struct timespec pause = { (time_t)(a->interval / 1000),
				  (long)(a->interval % 1000) * 1000000L };
	unsigned flags = a->sim ? IBVMIG_SA_TRAP_NO_REPRESS : 0;
	uint64_t k, sent = 0;

	for (k = 0; k < a->count; k++) {
		struct ibvmig_path_notice pn = {
			.reason = IBVMIG_REASON_MIGRATED, .new_lid = p->lid,
			.subnet_prefix = p->subnet_prefix, .vguid = 0x0002c903ffff0000ULL + k,
			.new_port_guid = p->port_guid, .epoch = 1, .seq = k + 1,
		};
		struct ibvmig_notice n = {
			.generic = true, .type = IBVMIG_NOTICE_TYPE_INFO,
			.producer_or_vendor = IBVMIG_NOTICE_PRODUCER_CLASS_MGR,
			.trap_or_device = IBVMIG_TRAP_REPATH, .issuer_lid = p->lid,
		};

		ibvmig_details_encode(&pn, n.details);
		sent += !ibvmig_sa_send_trap(sa, 0, &n, flags);
		nanosleep(&pause, NULL);
	}
	printf("sent=%" PRIu64 "\n", sent);
	/* ibsim loses a MAD whose sender detaches at once (ibvmig_sa.h). */
	ibvmig_sa_process(sa, 200, NULL, NULL);
	return sent == a->count ? 0 : 3;
}

int main(int argc, char **argv)
{
	struct ibvmig_sa_vendor_mad req = { .mgmt_class = IBVMIG_TELL_CLASS,
					    .method = IBVMIG_TELL_METHOD }, resp;
	struct ibvmig_sa_opts opts;
	struct ibvmig_sa *sa;
	struct args a;
	int rc;

	if (parse(argc, argv, &a))
		return usage();
	ibvmig_sa_opts_init(&opts);
	opts.simulator = a.sim;
	opts.retries = 1;
	rc = ibvmig_sa_open(&opts, &sa);
	if (!rc)
		rc = ibvmig_sa_refresh(sa);
	if (!rc)
		rc = ibvmig_sa_register_class(sa, IBVMIG_TELL_CLASS, IBVMIG_TELL_CLASS_VERSION,
					      NULL, NULL);
	if (rc) {
		fprintf(stderr, "smx-forge: %s\n", ibvmig_sa_strerror(rc));
		ibvmig_sa_close(sa);
		return 3;
	}
	if (a.traps) {
		rc = send_traps(sa, &a);
		ibvmig_sa_close(sa);
		return rc;
	}
	fill(&a, ibvmig_sa_port(sa), req.data, &req.attr_id);
	rc = ibvmig_sa_vendor_request(sa, (uint16_t)a.lid, &req, NULL, &resp);
	if (rc)
		fprintf(stderr, "smx-forge: no answer from LID %" PRIu64 ": %s\n", a.lid,
			ibvmig_sa_strerror(rc));
	else
		printf("status=0x%04x\n", resp.status);
	ibvmig_sa_close(sa);
	return rc ? 3 : 0;
}
