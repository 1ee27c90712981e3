// SPDX-License-Identifier: BSD-2-Clause
/*
 * fake_agent - plays ibvmigd's side of the VM channel without a fabric, well
 * or badly, so that ibvmig-host's answers to every reply and ibvmig-vm's path
 * cache under reordered notices are tested under the sanitizers.
 *
 * usage: fake_agent PATH MODE
 *   ok        every host request answered as an agent would
 *   held      attach refused: "exists", the vGUID is held by another port
 *   denied    every request refused with "denied"
 *   garbage   bytes that are not the VM channel
 *   short     a header that promises a body it never sends, then hangs up
 *   silent    reads and never answers (the client must time out)
 *   wrongid   a well-formed reply to another request id
 *   notices   a VM's agent: welcome, interests, a path (DLID 10, stamped 7/3), then
 *             scripted notices in a scrambled order (see script[] below), then hangs up
 *   escrow=N  as ok, but the SM refuses every escrow request with escrow status N
 *   sm-silent as ok, but no SM answers an escrow request (ETIMEDOUT)
 *   moving    as ok, but a QUERY says "moving" for ever
 * In "ok" an escrow RELEASE is held with the token 0102...0f10, a CLAIM and a
 * CANCEL are moving, a QUERY is live.
 * It serves connections one after the other, prints "ready" once it listens,
 * and exits after 30 s (no test leaves it behind for long).
 */
#include "ibvmig_vmchan.h"
#include "ibvmig_util.h"
#include "ibvmig_sa.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PREFIX 0xfe80000000000000ULL
#define PEER 0x0002c903abcd0001ULL

static const char *mode;

static int listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 4)) {
		perror(path);
		exit(1);
	}
	return fd;
}

static void send_msg(int fd, const struct ibvmig_vmc_msg *m)
{
	uint8_t *buf;
	size_t len;

	if (ibvmig_vmc_encode(m, &buf, &len)) {
		fprintf(stderr, "fake_agent: cannot encode type 0x%02x\n", m->type);
		return;
	}
	util_write_all(fd, buf, len, 2000);
	free(buf);
}

/* Reads one whole request; 0, or -1 at the end of the stream. */
static int read_msg(int fd, uint8_t *buf, struct ibvmig_vmc_msg *m)
{
	size_t need;

	if (util_read_all(fd, buf, IBVMIG_VMC_HEADER_LEN, 5000) ||
	    ibvmig_vmc_frame(buf, IBVMIG_VMC_HEADER_LEN, &need) < 0 ||
	    (need && util_read_all(fd, buf + IBVMIG_VMC_HEADER_LEN, need, 5000)))
		return -1;
	return ibvmig_vmc_decode(buf, IBVMIG_VMC_HEADER_LEN + need, m) ? -1 : 0;
}

static void list_reply(int fd, struct ibvmig_vmc_msg *r)
{
	struct ibvmig_vmc_vm vm = { .name = "vm-a", .vguid = PEER, .connected = true,
				    .interests = 2, .notices = 5 };
	struct ibvmig_vmc_writer w;
	uint8_t *buf;
	size_t len;

	r->count = 2;
	ibvmig_vmc_writer_init(&w, r);
	ibvmig_vmc_put_vm(&w, &vm);
	vm = (struct ibvmig_vmc_vm){ .name = "vm-b", .cid = 3 };
	ibvmig_vmc_put_vm(&w, &vm);
	if (!ibvmig_vmc_writer_finish(&w, &buf, &len)) {
		util_write_all(fd, buf, len, 2000);
		free(buf);
	}
}

static const struct ibvmig_sa_path path = {
	.dgid_prefix = PREFIX, .dgid_guid = PEER, .sgid_prefix = PREFIX,
	.sgid_guid = 0x0002c90300000031ULL, .dlid = 10, .slid = 3, .hop_limit = 0,
	.reversible = true, .numb_path = 1, .pkey = 0xffff, .sl = 0, .mtu = 4, .rate = 3,
};

#define TOKEN_HI 0x0102030405060708ULL
#define TOKEN_LO 0x090a0b0c0d0e0f10ULL

/* What the SM answers an escrow request, as the agent passes it on. */
static void escrow_answer(const struct ibvmig_vmc_msg *q, struct ibvmig_vmc_escrow *a)
{
	uint64_t port = q->esc.port_guid ? q->esc.port_guid : 0x0002c90300000031ULL;

	*a = (struct ibvmig_vmc_escrow){ .port_guid = port, .sm_lid = 1 };
	if (!strncmp(mode, "escrow=", 7)) {
		a->esc_status = (uint8_t)atoi(mode + 7);
		a->retry_after_ms = a->esc_status == 13 ? 1500 : 0;
		return;
	}
	a->lid = 7;
	a->keys = 2;
	a->source_guid = q->type == IBVMIG_VMC_ESC_RELEASE ? port : 0x0002c90300000021ULL;
	if (q->type == IBVMIG_VMC_ESC_RELEASE) {
		a->state = 1;	/* held */
		a->token[0] = TOKEN_HI;
		a->token[1] = TOKEN_LO;
		a->expires_in_ms = 600000;
		return;
	}
	a->claimant_guid = port;
	a->state = q->type == IBVMIG_VMC_ESC_QUERY && strcmp(mode, "moving") ? 3 : 2;
}

/* The answer a good agent gives to @q (notices mode included). */
static void answer_ok(int fd, const struct ibvmig_vmc_msg *q)
{
	struct ibvmig_vmc_msg r = { .type = (uint8_t)(q->type | IBVMIG_VMC_REPLY), .id = q->id };

	switch (q->type) {
	case IBVMIG_VMC_HELLO:
		r.welcome.subnet_prefix = PREFIX;
		r.welcome.port_guid = 0x0002c90300000031ULL;
		r.welcome.lid = 3;
		r.welcome.sm_lid = 1;
		break;
	case IBVMIG_VMC_INTEREST_ADD:
	case IBVMIG_VMC_INTEREST_DEL:
		r.count = q->n_items;
		break;
	case IBVMIG_VMC_PATH_QUERY:
		r.path.path = &path;
		r.path.stamped = true;
		r.path.epoch = 7;
		r.path.seq = 3;
		break;
	case IBVMIG_VMC_ATTACH:
	case IBVMIG_VMC_DETACH:
		r.alias = q->alias;
		r.alias.index = 5;
		break;
	case IBVMIG_VMC_VM_LIST:
		list_reply(fd, &r);
		return;
	case IBVMIG_VMC_ESC_RELEASE:
	case IBVMIG_VMC_ESC_CLAIM:
	case IBVMIG_VMC_ESC_CANCEL:
	case IBVMIG_VMC_ESC_QUERY:
		if (!strcmp(mode, "sm-silent")) {
			r.status = IBVMIG_VMC_E_FAILED;
			r.error = ETIMEDOUT;
			snprintf(r.text, sizeof(r.text), "the SM (LID 1) did not answer");
			break;
		}
		escrow_answer(q, &r.esc);
		break;
	case IBVMIG_VMC_STATUS:
		snprintf(r.agent.version, sizeof(r.agent.version), "ibvmigd fake");
		snprintf(r.agent.ca, sizeof(r.agent.ca), "ibsim0");
		r.agent.port = 1;
		r.agent.port_guid = 0x0002c90300000031ULL;
		r.agent.lid = 3;
		r.agent.reports = 4;
		r.agent.notices_forwarded = 6;
		break;
	}
	send_msg(fd, &r);
}

static void refuse(int fd, const struct ibvmig_vmc_msg *q, uint16_t status, const char *text)
{
	struct ibvmig_vmc_msg r = { .type = (uint8_t)(q->type | IBVMIG_VMC_REPLY), .id = q->id,
				    .status = status };

	snprintf(r.text, sizeof(r.text), "%s", text);
	send_msg(fd, &r);
}

/* notices mode: UnPath 5, RePath 6 (LID 20), a late RePath 4 (LID 30), UnPath 5 again,
 * RePath 8 (LID 21), then a RePath of another epoch (LID 40): the VM must end on 40. */
static const struct {
	uint16_t trap, new_lid;
	uint32_t epoch;
	uint64_t seq;
} script[] = {
	{ IBVMIG_TRAP_UNPATH, 0, 7, 5 },  { IBVMIG_TRAP_REPATH, 20, 7, 6 },
	{ IBVMIG_TRAP_REPATH, 30, 7, 4 }, { IBVMIG_TRAP_UNPATH, 0, 7, 5 },
	{ IBVMIG_TRAP_REPATH, 21, 7, 8 }, { IBVMIG_TRAP_REPATH, 40, 9, 1 },
};

static void play_script(int fd)
{
	struct ibvmig_vmc_msg n = { .type = IBVMIG_VMC_NOTICE };
	struct timespec gap = { 0, 50 * 1000000L };
	size_t i;

	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		n.notice.trap = script[i].trap;
		n.notice.n = (struct ibvmig_path_notice){
			.reason = script[i].trap == IBVMIG_TRAP_UNPATH ? IBVMIG_REASON_DELETED
								       : IBVMIG_REASON_MIGRATED,
			.new_lid = script[i].new_lid, .old_lid = 10, .subnet_prefix = PREFIX,
			.vguid = PEER, .epoch = script[i].epoch, .seq = script[i].seq,
		};
		send_msg(fd, &n);
		nanosleep(&gap, NULL);
	}
}

static void bad_answer(int fd, const struct ibvmig_vmc_msg *q)
{
	static const uint8_t promise[IBVMIG_VMC_HEADER_LEN] = { 'I', 'V', 'M', 'C', 1, 0x95, 0, 0,
								  0, 0, 0, 0, 0, 0, 1, 0 };
	struct ibvmig_vmc_msg other = *q;

	if (!strcmp(mode, "garbage")) {
		util_write_all(fd, "HTTP/1.0 400 Bad Request\r\n\r\n", 28, 2000);
	} else if (!strcmp(mode, "short")) {
		util_write_all(fd, promise, sizeof(promise), 2000);
	} else if (!strcmp(mode, "silent")) {
		sleep(3);
	} else if (!strcmp(mode, "wrongid")) {
		other.id = q->id + 1;
		answer_ok(fd, &other);
	}
}

static void serve(int fd)
{
	static uint8_t buf[IBVMIG_VMC_MSG_MAX];
	struct ibvmig_vmc_msg q;

	while (!read_msg(fd, buf, &q)) {
		if (!strcmp(mode, "ok") || (!strcmp(mode, "held") && q.type != IBVMIG_VMC_ATTACH) ||
		    !strncmp(mode, "escrow=", 7) || !strcmp(mode, "sm-silent") ||
		    !strcmp(mode, "moving"))
			answer_ok(fd, &q);
		else if (!strcmp(mode, "held"))
			refuse(fd, &q, IBVMIG_VMC_E_EXISTS, "the SA refused: another port holds "
							    "this vGUID");
		else if (!strcmp(mode, "denied"))
			refuse(fd, &q, IBVMIG_VMC_E_DENIED, "");
		else if (!strcmp(mode, "notices")) {
			answer_ok(fd, &q);
			if (q.type == IBVMIG_VMC_PATH_QUERY) {
				play_script(fd);
				return;
			}
		} else {
			bad_answer(fd, &q);
			return;
		}
	}
}

int main(int argc, char **argv)
{
	int lfd, fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fake_agent PATH MODE\n");
		return 2;
	}
	mode = argv[2];
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(argv[1]);
	printf("ready\n");
	fflush(stdout);
	alarm(30);
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		serve(fd);
		close(fd);
	}
	return 0;
}
