// SPDX-License-Identifier: BSD-2-Clause
/*
 * guest-example.c - the smallest guest application of libibvmig-guest: it
 * keeps a path to one peer VM right while that peer migrates, and prints
 * what happens.  Copy it; build it with
 *
 *	cc guest-example.c $(pkg-config --cflags --libs ibvmig-guest) -o guest-example
 *
 * and run it inside a VM whose hypervisor runs ibvmigd:
 *
 *	./guest-example -S /run/ibvmig/vm.mlx5_0.1.sock myvm 0x0002c903abcd0001
 *	./guest-example -v 2:5000 myvm 0x0002c903abcd0001     (AF_VSOCK: host CID 2)
 *
 * Every second it resolves the peer's path, as an application would before
 * sending to it: "use LID n", "retry" while the peer is between two ports,
 * or "not yet" until the agent has answered.
 */
#include <ibvmig_guest.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* the clock the library expects */
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_event(void *ctx, const struct ibvmig_guest_event *ev)
{
	(void)ctx;
	switch (ev->type) {
	case IBVMIG_GUEST_READY:
		printf("agent ready on LID %u\n", ev->agent_lid);
		break;
	case IBVMIG_GUEST_PATH:
		printf("path to 0x%016" PRIx64 ": LID %u\n", ev->peer, ev->path->dlid);
		break;
	case IBVMIG_GUEST_NOTICE:
		printf("%s for 0x%016" PRIx64 " (%s): %s\n",
		       ev->trap == IBVMIG_TRAP_REPATH ? "RePath" : "UnPath", ev->peer,
		       ibvmig_reason_name(ev->notice->reason),
		       ev->result < 0 ? "refused" : ibvmig_pc_notice_result_name(ev->result));
		break;
	case IBVMIG_GUEST_ERROR:
		printf("agent error: %s\n", ev->text);
		break;
	case IBVMIG_GUEST_GONE:
		printf("channel closed: %s\n", ev->text);
		break;
	case IBVMIG_GUEST_PATH_PUSHED:
		printf("path to 0x%016" PRIx64 " re-validated: LID %u\n", ev->peer, ev->path->dlid);
		break;
	case IBVMIG_GUEST_PATH_GONE:
		printf("no path to 0x%016" PRIx64 " now: suspended\n", ev->peer);
		break;
	}
}

static int parse_args(int argc, char **argv, struct ibvmig_guest_config *cfg, uint64_t *peer)
{
	if (argc != 5 || (strcmp(argv[1], "-S") && strcmp(argv[1], "-v")))
		return -1;
	if (!strcmp(argv[1], "-S"))
		cfg->socket = argv[2];
	else if (sscanf(argv[2], "%" SCNu32 ":%" SCNu32, &cfg->vsock_cid, &cfg->vsock_port) != 2)
		return -1;
	cfg->name = argv[3];
	*peer = strtoull(argv[4], NULL, 0);
	return *peer ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct ibvmig_guest_config cfg = { .connect_timeout_ms = 5000 };
	struct ibvmig_sa_path path;
	struct ibvmig_guest *g;
	uint64_t peer, next = 0;
	int rc;

	if (parse_args(argc, argv, &cfg, &peer)) {
		fprintf(stderr, "usage: %s -S SOCKET | -v CID:PORT  NAME PEER_VGUID\n", argv[0]);
		return 2;
	}
	rc = ibvmig_guest_open(&cfg, on_event, NULL, &g);
	if (rc) {
		fprintf(stderr, "cannot reach the agent: %s\n", strerror(-rc));
		return 3;
	}
	ibvmig_guest_want(g, peer);
	for (;;) {
		struct pollfd p = { .fd = ibvmig_guest_fd(g), .events = POLLIN };

		poll(&p, 1, 100);
		if (ibvmig_guest_process(g, now_ms()) == -ENOTCONN)
			break;
		if (now_ms() < next)
			continue;
		next = now_ms() + 1000;
		rc = ibvmig_guest_resolve(g, peer, now_ms(), &path);
		if (!rc)
			printf("send to LID %u\n", path.dlid);
		else
			printf("%s\n", rc == -EAGAIN ? "retry later" : strerror(-rc));
	}
	ibvmig_guest_close(g);
	return 1;
}
