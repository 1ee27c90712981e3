// SPDX-License-Identifier: BSD-2-Clause
/*
 * simprobe - a small libibumad client that makes the simulator facts of
 * doc/simulator.md visible.  It needs nothing of ibvmig: only libibumad (and
 * umad2sim through LD_PRELOAD when run on ibsim).  Build and run it with
 * doc/simulator-checks/run.sh, or by hand:
 *
 *	cc -std=c11 -Wall -O1 -g -o simprobe simprobe.c -libumad
 *
 * Commands (one per fact; every line it prints is "key=value ..."):
 *   sizes               umad_size() before and after umad_open_port()
 *   echo [LID]          a vendor-class (0x09) Get carrying a byte pattern, sent to
 *                       the own LID while the issm device is held: how many of
 *                       the 256 bytes come back intact, and the TID as received;
 *                       with LID, sent there instead (and nothing waited for)
 *   poll MS             poll() on the umad fd and on a pipe that is readable,
 *                       with a SIGALRM at MS/2: does anything end the wait early
 *   port SECONDS        umad_get_port()'s LID and SM LID once a second
 *   trap N LID ISSUER   N identical Trap(Notice) SMPs, generic trap 69, issuer
 *                       LID field = ISSUER, sent to LID (the SM's)
 *   listen TRAP SECONDS [deaf]
 *                       subscribe (InformInfo, GID 0, all issuers) holding the
 *                       issm device, print each Report's TID and issuer, ack it;
 *                       answer OpenSM's SMInfo Gets (not with "deaf")
 *   gir get|set|delete LID INDEX GUID
 *                       one GUIDInfoRecord request on the port of LID, component
 *                       mask LID|BlockNum|GID(INDEX%8); prints status and block
 *
 * Exit status: 0 done, 1 usage, 2 port or agent trouble, 3 no answer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* built by run.sh outside the tree too */
#endif
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/umad.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAD_LEN 256
#define SA_DATA 56  /* SA header ends here (component mask at 48) */
#define SMP_DATA 64 /* LID-routed SMP data */
#define QKEY 0x80010000u

static volatile sig_atomic_t stop;
static int portid = -1;
static void *sbuf, *rbuf;
static umad_port_t port;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v & 0xffffffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The common MAD header (IBA 13.4.2). */
static void mad_header(uint8_t *m, uint8_t mclass, uint8_t version, uint8_t method,
		       uint64_t tid, uint16_t attr, uint32_t mod)
{
	memset(m, 0, MAD_LEN);
	m[0] = 1;
	m[1] = mclass;
	m[2] = version;
	m[3] = method;
	put64(m + 8, tid);
	put16(m + 16, attr);
	put32(m + 20, mod);
}

static int open_port(void)
{
	int rc;

	if (umad_init() < 0) {
		fprintf(stderr, "simprobe: umad_init failed\n");
		return -1;
	}
	rc = umad_get_port(NULL, 0, &port);
	if (rc < 0) {
		fprintf(stderr, "simprobe: umad_get_port: %s\n", strerror(-rc));
		return -1;
	}
	portid = umad_open_port(port.ca_name, port.portnum);
	if (portid < 0) {
		fprintf(stderr, "simprobe: umad_open_port: %s\n", strerror(-portid));
		return -1;
	}
	/* After the open: umad_size() depends on it (see "sizes"). */
	sbuf = umad_alloc(1, umad_size() + MAD_LEN);
	rbuf = umad_alloc(1, umad_size() + MAD_LEN);
	return sbuf && rbuf ? 0 : -1;
}

static int reg(uint8_t mclass, uint8_t version, const uint8_t *methods, int n)
{
	long mask[16 / sizeof(long)] = {0};
	int i, agent;

	for (i = 0; i < n; i++)
		mask[methods[i] / (8 * sizeof(long))] |= 1L << (methods[i] % (8 * sizeof(long)));
	agent = umad_register(portid, mclass, version, 0, n ? mask : NULL);
	if (agent < 0)
		fprintf(stderr, "simprobe: umad_register class 0x%02x: %s\n", mclass,
			strerror(-agent));
	return agent;
}

/* Holding this descriptor makes umad2sim tell ibsim "this client is the node's SM". */
static int open_issm(void)
{
	char path[256];
	int fd;

	if (umad_get_issm_path(port.ca_name, port.portnum, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDWR);
	if (fd < 0)
		fprintf(stderr, "simprobe: open %s: %s\n", path, strerror(errno));
	return fd;
}

static int send_to(int agent, const uint8_t *mad, uint16_t dlid, uint32_t qpn, int timeout_ms)
{
	int rc;

	memset(sbuf, 0, umad_size());
	memcpy(umad_get_mad(sbuf), mad, MAD_LEN);
	umad_set_addr(sbuf, dlid, qpn, 0, qpn ? QKEY : 0);
	rc = umad_send(portid, agent, sbuf, MAD_LEN, timeout_ms, 0);
	if (rc < 0)
		fprintf(stderr, "simprobe: umad_send: %s\n", strerror(-rc));
	return rc;
}

/* One MAD into rbuf within timeout_ms: its length, or -1. */
static int recv_one(int timeout_ms)
{
	int len = MAD_LEN;
	int rc = umad_recv(portid, rbuf, &len, timeout_ms);

	return rc < 0 ? -1 : len;
}

/* ---- sizes ------------------------------------------------------------------------------- */

static int cmd_sizes(void)
{
	size_t before;

	if (umad_init() < 0)
		return 2;
	before = umad_size();
	if (umad_get_port(NULL, 0, &port) < 0)
		return 2;
	portid = umad_open_port(port.ca_name, port.portnum);
	if (portid < 0)
		return 2;
	printf("umad_size_before_open=%zu umad_size_after_open=%zu\n", before, umad_size());
	return 0;
}

/* ---- echo -------------------------------------------------------------------------------- */

static int cmd_echo(int to)
{
	static const uint8_t get[] = {0x01};
	uint8_t mad[MAD_LEN];
	const uint8_t *in;
	uint64_t tid = 0x1111222233334444ULL;
	int agent, issm, len, i, intact = 0, first_bad = -1;
	int64_t deadline;

	if (open_port() || reg(0x03, 2, NULL, 0) < 0)
		return 2; /* a first agent, so that the echo's agent id is not 0 */
	agent = reg(0x09, 1, get, 1);
	issm = open_issm();
	if (agent < 0 || issm < 0)
		return 2;
	mad_header(mad, 0x09, 1, 0x01, tid, 0x0010, 0);
	for (i = 24; i < MAD_LEN; i++)
		mad[i] = (uint8_t)i;
	if (send_to(agent, mad, to ? (uint16_t)to : port.base_lid, 1, 0) < 0)
		return 2;
	if (to) {
		printf("sent class=0x09 dlid=%d\n", to);
		close(issm);
		return 0;
	}
	for (deadline = now_ms() + 2000; now_ms() < deadline;) {
		len = recv_one(200);
		if (len < 0)
			continue;
		in = umad_get_mad(rbuf);
		if (in[1] != 0x09 || in[3] != 0x01)
			continue;
		for (i = 24; i < MAD_LEN && in[i] == (uint8_t)i; i++)
			intact++;
		if (i < MAD_LEN)
			first_bad = i;
		printf("agent=%d recv_length=%d umad_status=%d intact_bytes=%d first_bad_offset=%d "
		       "tid_sent=0x%016" PRIx64 " tid_received=0x%016" PRIx64 "\n",
		       agent, len, umad_status(rbuf), 24 + intact, first_bad, tid, get64(in + 8));
		close(issm);
		return 0;
	}
	fprintf(stderr, "simprobe: the echo never came back\n");
	close(issm);
	return 3;
}

/* ---- poll -------------------------------------------------------------------------------- */

static int cmd_poll(int ms)
{
	struct sigaction sa;
	struct pollfd p[2];
	int pipefd[2], rc, err;
	int64_t t0;

	if (open_port() || reg(0x03, 2, NULL, 0) < 0)
		return 2;
	if (pipe(pipefd) || write(pipefd[1], "x", 1) != 1)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: a real poll() ends with EINTR */
	sigaction(SIGALRM, &sa, NULL);
	p[0] = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
	t0 = now_ms();
	rc = poll(p, 1, ms);
	printf("pipe_alone: umad_fd=none rc=%d pipe_revents=0x%x elapsed_ms=%" PRId64 "\n", rc,
	       p[0].revents, now_ms() - t0);
	p[0] = (struct pollfd){.fd = umad_get_fd(portid), .events = POLLIN};
	p[1] = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
	ualarm((useconds_t)ms * 500, 0);
	t0 = now_ms();
	rc = poll(p, 2, ms);
	err = errno;
	printf("umad_and_pipe: umad_fd=%d rc=%d errno=%d umad_revents=0x%x pipe_revents=0x%x "
	       "elapsed_ms=%" PRId64 " alarm_at_ms=%d\n",
	       p[0].fd, rc, rc < 0 ? err : 0, p[0].revents, p[1].revents, now_ms() - t0, ms / 2);
	return 0;
}

/* ---- port -------------------------------------------------------------------------------- */

static int cmd_port(int seconds)
{
	umad_port_t p;
	int i;

	if (umad_init() < 0)
		return 2;
	for (i = 0; i < seconds && !stop; i++) {
		if (umad_get_port(NULL, 0, &p) < 0)
			return 2;
		printf("t=%d lid=%u sm_lid=%u\n", i, p.base_lid, p.sm_lid);
		fflush(stdout);
		umad_release_port(&p);
		sleep(1);
	}
	return 0;
}

/* ---- trap -------------------------------------------------------------------------------- */

static int cmd_trap(int n, uint16_t dlid, uint16_t issuer)
{
	static const uint8_t repress[] = {0x07};
	uint8_t mad[MAD_LEN];
	int agent, i, sent = 0;

	if (open_port())
		return 2;
	agent = reg(0x01, 1, repress, 1);
	if (agent < 0)
		return 2;
	for (i = 0; i < n && !stop; i++) {
		/* A new TID each time; the Notice itself is identical. */
		mad_header(mad, 0x01, 1, 0x05, 0x5170000ULL + (uint64_t)i, 0x0002, 0);
		mad[SMP_DATA + 0] = 0x80 | 4; /* generic, type 4 (informational) */
		mad[SMP_DATA + 3] = 4;	      /* producer: class manager */
		put16(mad + SMP_DATA + 4, 69);
		put16(mad + SMP_DATA + 6, issuer);
		memset(mad + SMP_DATA + 10, 0xab, 16); /* some details */
		if (send_to(agent, mad, dlid, 0, 0) == 0)
			sent++;
		usleep(50000);
	}
	/* OpenSM answers each with a TrapRepress, which ibsim drops on its way. */
	printf("traps_sent=%d dlid=%u issuer_lid_field=%u\n", sent, dlid, issuer);
	return 0;
}

/* ---- SA requests ------------------------------------------------------------------------- */

/* Sends @mad to the SA and waits for the answer with the same low 32 TID bits. */
static int sa_call(int agent, uint8_t *mad, uint8_t *resp, int timeout_ms)
{
	uint32_t tid = (uint32_t)get64(mad + 8);
	int64_t deadline;
	const uint8_t *in;
	int len;

	if (send_to(agent, mad, port.sm_lid, 1, timeout_ms) < 0)
		return -1;
	for (deadline = now_ms() + timeout_ms; now_ms() < deadline;) {
		len = recv_one(100);
		if (len < 0 || umad_status(rbuf))
			continue;
		in = umad_get_mad(rbuf);
		if (in[1] == 0x03 && (in[3] & 0x80) && (uint32_t)get64(in + 8) == tid) {
			memcpy(resp, in, MAD_LEN);
			return 0;
		}
	}
	return -1;
}

static void inform_info(uint8_t *mad, uint16_t trap, int subscribe, uint64_t tid)
{
	uint8_t *ii = mad + SA_DATA;

	mad_header(mad, 0x03, 2, 0x02, tid, 0x0003, 0);
	put16(ii + 16, 0xffff); /* LIDRangeBegin: every issuer */
	ii[22] = 1;		/* IsGeneric */
	ii[23] = (uint8_t)subscribe;
	put16(ii + 24, 0xffff); /* Type: any */
	put16(ii + 26, trap);
	put32(ii + 28, 1u << 8); /* QPN 1 */
	ii[33] = ii[34] = ii[35] = 0xff; /* ProducerType: any */
}

/* The GetResp to an SMInfo Get: our GUID, SM_Key 0, priority 0, NOTACTIVE. */
static void answer_sminfo(int agent, const uint8_t *req)
{
	uint8_t mad[MAD_LEN];

	memcpy(mad, req, MAD_LEN);
	mad[3] = 0x81;
	mad[4] = req[1] == 0x81 ? 0x80 : 0; /* D bit of a directed-route SMP */
	mad[5] = 0;
	memset(mad + SMP_DATA, 0, 64);
	memcpy(mad + SMP_DATA, &port.port_guid, 8); /* network order already */
	send_to(agent, mad, be16toh(umad_get_mad_addr(rbuf)->lid),
		be32toh(umad_get_mad_addr(rbuf)->qpn), 0);
}

static int cmd_listen(uint16_t trap, int seconds, int deaf)
{
	static const uint8_t report[] = {0x06};
	static const uint8_t sm_methods[] = {0x01, 0x02};
	uint8_t mad[MAD_LEN], resp[MAD_LEN];
	const uint8_t *in;
	int sa, lr, dr, issm, len, n = 0, sminfo = 0;
	int64_t end;

	if (open_port())
		return 2;
	sa = reg(0x03, 2, report, 1);
	/* umad2sim kills a client that receives a class it did not register. */
	lr = reg(0x01, 1, sm_methods, 2);
	dr = reg(0x81, 1, sm_methods, 2);
	if (sa < 0 || lr < 0 || dr < 0)
		return 2;
	issm = open_issm();
	if (issm < 0)
		return 2;
	inform_info(mad, trap, 1, 0x11570001ULL);
	if (sa_call(sa, mad, resp, 2000) || get16(resp + 4)) {
		fprintf(stderr, "simprobe: InformInfo Set not acknowledged\n");
		return 3;
	}
	printf("subscribed trap=%u lid=%u\n", trap, port.base_lid);
	fflush(stdout);
	for (end = now_ms() + seconds * 1000LL; now_ms() < end && !stop;) {
		len = recv_one(200);
		if (len < 0 || umad_status(rbuf))
			continue;
		in = umad_get_mad(rbuf);
		if ((in[1] == 0x01 || in[1] == 0x81) && in[3] == 0x01 && get16(in + 16) == 0x0020) {
			if (!deaf) {
				answer_sminfo(in[1] == 0x81 ? dr : lr, in);
				sminfo++;
			}
			continue;
		}
		if (in[1] != 0x03 || in[3] != 0x06)
			continue;
		printf("report n=%d tid=0x%016" PRIx64 " slid=%u trap=%u issuer_lid=%u "
		       "issuer_gid=0x%016" PRIx64 ":0x%016" PRIx64 "\n",
		       ++n, get64(in + 8), be16toh(umad_get_mad_addr(rbuf)->lid),
		       get16(in + SA_DATA + 4), get16(in + SA_DATA + 6), get64(in + SA_DATA + 64),
		       get64(in + SA_DATA + 72));
		fflush(stdout);
		memcpy(mad, in, MAD_LEN);
		mad[3] = 0x86; /* ReportResp, same TID */
		send_to(sa, mad, be16toh(umad_get_mad_addr(rbuf)->lid), 1, 0);
	}
	inform_info(mad, trap, 0, 0x11570002ULL);
	sa_call(sa, mad, resp, 1000);
	printf("reports=%d sminfo_answered=%d\n", n, sminfo);
	close(issm);
	return 0;
}

static int cmd_gir(const char *op, uint16_t lid, int index, uint64_t guid)
{
	uint8_t mad[MAD_LEN], resp[MAD_LEN];
	uint8_t method;
	int sa, i;

	if (!strcmp(op, "get"))
		method = 0x01;
	else if (!strcmp(op, "set"))
		method = 0x02;
	else if (!strcmp(op, "delete"))
		method = 0x15;
	else
		return 1;
	if (index < 0 || index > 2047 || open_port())
		return index < 0 || index > 2047 ? 1 : 2;
	sa = reg(0x03, 2, NULL, 0);
	if (sa < 0)
		return 2;
	mad_header(mad, 0x03, 2, method, 0x61700000ULL | (uint32_t)getpid(), 0x0030, 0);
	/* LID | BlockNum, and GIDn for a Set/Delete (IBA 15.2.5.18: bit 4 + n) */
	put64(mad + 48, 0x3 | (method == 0x01 ? 0 : 1ULL << (4 + index % 8)));
	put16(mad + SA_DATA, lid);
	mad[SA_DATA + 2] = (uint8_t)(index / 8);
	put64(mad + SA_DATA + 8 + 8 * (index % 8), guid);
	if (sa_call(sa, mad, resp, 2000)) {
		fprintf(stderr, "simprobe: no answer from the SA\n");
		return 3;
	}
	printf("status=0x%04x method=0x%02x lid=%u block=%u", get16(resp + 4), resp[3],
	       get16(resp + SA_DATA), resp[SA_DATA + 2]);
	for (i = 0; i < 8; i++)
		printf(" g%d=0x%016" PRIx64, (index / 8) * 8 + i, get64(resp + SA_DATA + 8 + 8 * i));
	printf("\n");
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: simprobe sizes | echo [LID] | poll MS | port SECONDS |\n"
			"       trap N LID ISSUER_LID | listen TRAP SECONDS [deaf] |\n"
			"       gir get|set|delete LID INDEX GUID\n");
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage();
		return 1;
	}
	if (!strcmp(argv[1], "sizes"))
		rc = cmd_sizes();
	else if (!strcmp(argv[1], "echo") && argc <= 3)
		rc = cmd_echo(argc == 3 ? (int)strtoul(argv[2], NULL, 0) : 0);
	else if (!strcmp(argv[1], "poll") && argc == 3)
		rc = cmd_poll(atoi(argv[2]));
	else if (!strcmp(argv[1], "port") && argc == 3)
		rc = cmd_port(atoi(argv[2]));
	else if (!strcmp(argv[1], "trap") && argc == 5)
		rc = cmd_trap(atoi(argv[2]), (uint16_t)strtoul(argv[3], NULL, 0),
			      (uint16_t)strtoul(argv[4], NULL, 0));
	else if (!strcmp(argv[1], "listen") && (argc == 4 || (argc == 5 && !strcmp(argv[4], "deaf"))))
		rc = cmd_listen((uint16_t)strtoul(argv[2], NULL, 0), atoi(argv[3]), argc == 5);
	else if (!strcmp(argv[1], "gir") && argc == 6)
		rc = cmd_gir(argv[2], (uint16_t)strtoul(argv[3], NULL, 0), atoi(argv[4]),
			     strtoull(argv[5], NULL, 0));
	else
		rc = 1;
	if (rc == 1)
		usage();
	/* exit(), not a signal death: umad2sim detaches from ibsim in an atexit handler. */
	exit(rc);
}
