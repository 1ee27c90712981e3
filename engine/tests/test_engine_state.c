// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the engine's saved state and of its worker, through
 * engine.h on a fake host, in a scratch directory: what one engine saves the
 * next one restores (a migration across the restart is still one), a failed
 * save stays unsaved, a damaged file is set aside, and the worker serves the
 * admin socket, saves after a change and reconciles when the subnet is up.
 */
#include "fake_host.h"
#include "trap_table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VG(n) (0x0002c903abcd0000ULL + (n))
#define PORT_A 0x0002c90300000011ULL
#define PORT_B 0x0002c90300000012ULL
#define LID_A 4
#define LID_B 5

static char dir[64];
static char path[256];

static int make_scratch(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_engine_state.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_scratch(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static const char *in_state(const char *name)
{
	snprintf(path, sizeof(path), "%s/state/%s", dir, name);
	return path;
}

static bool exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static void conf_in_scratch(struct ibvmig_conf *conf, const char *sub)
{
	char where[128];

	snprintf(where, sizeof(where), "%s%s", dir, sub);
	fake_conf(conf, where);
	conf->save_delay_ms = 50;
}

static void start_in_scratch(struct fake_host *h, const char *sub)
{
	struct ibvmig_conf conf;

	conf_in_scratch(&conf, sub);
	fake_start(h, &conf);
	CU_ASSERT_EQUAL(eng_state_start(h->e), 0);
}

/* The state directory of scratch @sub, made as the engine makes it; @path is a file in it. */
static const char *state_of(const char *sub, const char *name)
{
	snprintf(path, sizeof(path), "%s%s", dir, sub);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s%s/state", dir, sub);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s%s/state/%s", dir, sub, name);
	return path;
}

static void test_what_is_saved_is_restored_after_a_restart(void)
{
	struct fake_host h;

	start_in_scratch(&h, "/rt");
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_delete(&h, VG(1), PORT_A, LID_A);	/* remembered in the trap table */
	fake_set(&h, VG(2), PORT_A, LID_A);	/* live at the save */
	CU_ASSERT_EQUAL(eng_save(h.e), 0);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_UNSAVED_CHANGES), 0);
	CU_ASSERT(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_LAST_SAVE_MS) > 0);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_SAVES), 1);
	CU_ASSERT_EQUAL(eng_save(h.e), 0);	/* nothing new: no second save */
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_SAVES), 1);
	eng_state_stop(h.e);
	fake_stop(&h);

	start_in_scratch(&h, "/rt");	/* the SM restarted: it knows no alias */
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ENTRIES), 1);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ALIASES_BEFORE_RESTART), 1);
	fake_set(&h, VG(1), PORT_B, LID_B);
	fake_set(&h, VG(2), PORT_B, LID_B);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 2);
	CU_ASSERT_EQUAL(h.sent[0].n.vguid, VG(1));
	CU_ASSERT_EQUAL(h.sent[0].n.reason, IBVMIG_REASON_MIGRATED);
	CU_ASSERT_EQUAL(h.sent[0].n.old_lid, LID_A);
	CU_ASSERT_EQUAL(h.sent[1].n.vguid, VG(2));
	CU_ASSERT_EQUAL(h.sent[1].n.reason, IBVMIG_REASON_MIGRATED);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_MIGRATED_WHILE_DOWN), 1);
	eng_state_stop(h.e);
	fake_stop(&h);
}

static void test_the_last_save_comes_at_the_stop(void)
{
	struct fake_host h;

	start_in_scratch(&h, "/stop");
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_delete(&h, VG(1), PORT_A, LID_A);
	eng_state_stop(h.e);
	fake_stop(&h);
	start_in_scratch(&h, "/stop");
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ENTRIES), 1);
	fake_stop(&h);
}

static void test_a_failed_save_stays_unsaved(void)
{
	struct fake_host h;

	start_in_scratch(&h, "");
	CU_ASSERT_EQUAL_FATAL(mkdir(in_state("trap-table"), 0700), 0);	/* cannot be replaced */
	fake_set(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT_NOT_EQUAL(eng_save(h.e), 0);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_UNSAVED_CHANGES), 1);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_SAVE_ERRORS), 1);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_SAVES), 0);
	CU_ASSERT_EQUAL(fake_logged(&h, "ERR D207: cannot save the trap table to "), 1);
	CU_ASSERT_EQUAL(rmdir(in_state("trap-table")), 0);
	CU_ASSERT_EQUAL(eng_save(h.e), 0);	/* the next try goes through */
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_UNSAVED_CHANGES), 0);
	fake_stop(&h);
}

static void test_a_damaged_file_is_set_aside(void)
{
	struct fake_host h;
	FILE *f;

	start_in_scratch(&h, "/damaged");	/* makes the directory */
	fake_stop(&h);
	snprintf(path, sizeof(path), "%s/damaged/state/trap-table", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("not a trap table\n", f);
	fclose(f);
	start_in_scratch(&h, "/damaged");
	CU_ASSERT_EQUAL(fake_logged(&h, "ERR D203: saved trap table "), 1);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ENTRIES), 0);
	CU_ASSERT_FALSE(exists(path));
	strcat(path, ".damaged");
	CU_ASSERT(exists(path));
	fake_stop(&h);
}

/* ---- time and odd files ------------------------------------------------------- */

#define YEAR_MS (365ULL * 24 * 3600 * 1000)

static uint64_t newest_stamp(struct fake_host *h)
{
	struct ibvmig_rec_field f;
	struct fake_answer a;
	uint64_t newest = 0;
	uint32_t i;

	fake_ask(h, IBVMIG_ADMIN_TRAPS, 0, &a);
	for (i = 0; i < a.records; i++)
		if (fake_field(&a, i, IBVMIG_TAG_DELETED_AT_MS, &f) && f.value > newest)
			newest = f.value;
	fake_answer_free(&a);
	return newest;
}

static void test_stamps_from_the_future_are_taken_as_made_now(void)
{
	struct tt_entry_view saved[] = {
		{ VG(1), PORT_A, util_wall_ms() - 10, LID_A },
		{ VG(2), PORT_A, util_wall_ms() + YEAR_MS, LID_A },
	};
	struct tt_entry_view *v;
	struct ibvmig_conf conf;
	struct fake_host h;
	const char *why;
	size_t n, i;

	CU_ASSERT_EQUAL_FATAL(tt_write_file(state_of("/future", "trap-table"), saved, 2), 0);
	CU_ASSERT_EQUAL_FATAL(tt_write_file(state_of("/future", "live-aliases"), saved + 1, 1), 0);
	conf_in_scratch(&conf, "/future");
	conf.trap_ttl_ms = 1000;
	fake_start(&h, &conf);
	CU_ASSERT_EQUAL(eng_state_start(h.e), 0);
	CU_ASSERT_EQUAL(fake_logged(&h, "ERR D208: saved trap table "), 1);
	CU_ASSERT_EQUAL(fake_logged(&h, "ERR D208: saved live aliases "), 1);
	CU_ASSERT_EQUAL(fake_logged(&h, ": 1 entries stamped up to "), 2);
	CU_ASSERT(newest_stamp(&h) <= util_wall_ms());
	/* The table's clock stands at now, not a year ahead: a new delete is stamped now. */
	fake_set(&h, VG(3), PORT_B, LID_B);
	fake_delete(&h, VG(3), PORT_B, LID_B);
	CU_ASSERT(newest_stamp(&h) <= util_wall_ms());
	/* ...the next save writes no future back... */
	CU_ASSERT_EQUAL(eng_save(h.e), 0);
	CU_ASSERT_EQUAL_FATAL(tt_read_file(state_of("/future", "trap-table"), &v, &n, &why), 0);
	CU_ASSERT_EQUAL(n, 3);
	for (i = 0; i < n; i++)
		CU_ASSERT(v[i].deleted_at_ms <= util_wall_ms());
	free(v);
	/* ...and the entries expire a TTL from now. */
	usleep(1100 * 1000);
	fake_set(&h, VG(4), PORT_B, LID_B);	/* any call with a time expires */
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ENTRIES), 0);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ALIASES_BEFORE_RESTART), 0);
	fake_stop(&h);
}

/* eng_state_start() on a thread: the test must end even if it blocks. */
static void *state_start_main(void *arg)
{
	eng_state_start(arg);
	return NULL;
}

static void test_a_fifo_in_place_of_a_state_file_does_not_block_the_start(void)
{
	const char *fifo = state_of("/fifo", "trap-table");
	struct ibvmig_conf conf;
	struct timespec deadline;
	char aside[300];
	struct fake_host h;
	pthread_t th;
	int fd;

	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	snprintf(aside, sizeof(aside), "%s.damaged", fifo);
	conf_in_scratch(&conf, "/fifo");
	fake_start(&h, &conf);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, state_start_main, h.e), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	if (pthread_timedjoin_np(th, NULL, &deadline)) {
		CU_FAIL("the start waits for a writer on the FIFO");
		fd = open(state_of("/fifo", "trap-table"), O_WRONLY);	/* lets it go */
		pthread_join(th, NULL);
		if (fd >= 0)
			close(fd);
	}
	CU_ASSERT_EQUAL(fake_logged(&h, "is damaged (not a regular file, or too large)"), 1);
	CU_ASSERT(exists(aside));
	fake_set(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT_EQUAL(eng_save(h.e), 0);	/* a regular file takes its place */
	fake_stop(&h);
}

/* Polls @cond for 3 s at most. */
#define WITHIN_3S(cond)                                                                        \
	({                                                                                     \
		int tries_ = 300;                                                              \
		while (!(cond) && tries_--)                                                    \
			usleep(10 * 1000);                                                     \
		(cond);                                                                        \
	})

static size_t list_calls(struct fake_host *h)
{
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->list_calls;
	pthread_mutex_unlock(&h->mu);
	return n;
}

static void test_the_worker_serves_saves_and_reconciles(void)
{
	struct ibvmig_admin_request req = { .op = IBVMIG_ADMIN_STATUS };
	struct ibvmig_admin_header hdr;
	struct fake_host h;
	uint8_t *body = NULL;
	size_t len = 0;
	char sock[128];

	start_in_scratch(&h, "/worker");
	snprintf(sock, sizeof(sock), "%s/worker/admin.sock", dir);
	/* Before the worker runs: the wake-up waits for it. */
	eng_subnet_up(h.e);
	CU_ASSERT_EQUAL_FATAL(eng_worker_start(h.e), 0);
	CU_ASSERT(WITHIN_3S(list_calls(&h) == 1));
	CU_ASSERT_EQUAL(ibvmig_admin_call(sock, &req, 2000, &hdr, &body, &len), 0);
	CU_ASSERT_EQUAL(hdr.status, IBVMIG_ADMIN_OK);
	CU_ASSERT(len > 0);
	free(body);
	fake_set(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT(WITHIN_3S(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_SAVES) == 1));
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_UNSAVED_CHANGES), 0);
	/* Down, an up that comes before the worker looks is forgotten; up again, it is not. */
	eng_subnet_down(h.e);
	eng_subnet_up(h.e);
	CU_ASSERT(WITHIN_3S(list_calls(&h) == 2));
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_ADMIN_REQUESTS), 1);
	eng_worker_stop(h.e);
	CU_ASSERT_FALSE(exists(sock));
	eng_state_stop(h.e);
	fake_stop(&h);
}

/*
 * A standby that becomes master takes over what the master saved after the
 * standby started (a shared state directory): the trap table and the live
 * aliases; one that changed its own table keeps it.
 */
static void test_a_takeover_loads_the_previous_masters_state(void)
{
	struct ibvmig_conf conf;
	struct fake_host m, s;

	start_in_scratch(&m, "/shared");
	conf_in_scratch(&conf, "/shared");
	snprintf(conf.admin_socket, sizeof(conf.admin_socket), "%s/shared/standby.sock", dir);
	fake_start(&s, &conf);
	CU_ASSERT_EQUAL(eng_state_start(s.e), 0);	/* the standby starts: nothing saved */
	fake_set(&m, VG(1), PORT_A, LID_A);
	fake_delete(&m, VG(1), PORT_A, LID_A);
	fake_set(&m, VG(2), PORT_A, LID_A);
	CU_ASSERT_EQUAL(eng_save(m.e), 0);
	fake_stop(&m);				/* the master dies */
	CU_ASSERT_EQUAL(fake_value(&s, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ENTRIES), 0);
	CU_ASSERT_EQUAL_FATAL(eng_worker_start(s.e), 0);
	eng_takeover(s.e);
	CU_ASSERT(WITHIN_3S(fake_value(&s, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ENTRIES) == 1));
	CU_ASSERT_EQUAL(fake_value(&s, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ALIASES_BEFORE_RESTART), 1);
	CU_ASSERT_EQUAL(fake_logged(&s, "previous master's state taken over"), 1);
	fake_set(&s, VG(1), PORT_B, LID_B);	/* the VM comes back elsewhere: a migration */
	CU_ASSERT_EQUAL_FATAL(s.n_sent, 1);
	CU_ASSERT_EQUAL(s.sent[0].n.reason, IBVMIG_REASON_MIGRATED);
	CU_ASSERT_EQUAL(s.sent[0].n.old_lid, LID_A);
	/* A second takeover, with changes of its own: kept. */
	eng_takeover(s.e);
	CU_ASSERT(WITHIN_3S(fake_logged(&s, "keeps its own") == 1));
	CU_ASSERT_EQUAL(fake_value(&s, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ALIASES_BEFORE_RESTART), 1);
	eng_worker_stop(s.e);
	eng_state_stop(s.e);
	fake_stop(&s);
}

static uint64_t stat_value(struct fake_host *h, uint16_t tag)
{
	return fake_value(h, IBVMIG_ADMIN_STATS, tag);
}

static void test_a_save_that_keeps_failing_is_logged_once_and_tried_less_often(void)
{
	struct ibvmig_conf conf;
	struct fake_host h;
	uint64_t errors;

	conf_in_scratch(&conf, "/full");
	conf.save_delay_ms = 10;
	fake_start(&h, &conf);
	CU_ASSERT_EQUAL(eng_state_start(h.e), 0);
	CU_ASSERT_EQUAL_FATAL(eng_worker_start(h.e), 0);
	/* The file cannot be replaced: a directory in its place (as root, as a full disk). */
	CU_ASSERT_EQUAL_FATAL(mkdir(state_of("/full", "trap-table"), 0700), 0);
	fake_set(&h, VG(1), PORT_A, LID_A);
	usleep(1600 * 1000);
	errors = stat_value(&h, IBVMIG_TAG_SAVE_ERRORS);
	CU_ASSERT(errors >= 2 && errors <= 4);	/* at 10 ms, then 0.5 s and 1 s later */
	CU_ASSERT_EQUAL(fake_logged(&h, "ERR D207: cannot save the trap table to "), 1);
	CU_ASSERT_EQUAL(rmdir(state_of("/full", "trap-table")), 0);
	CU_ASSERT(WITHIN_3S(stat_value(&h, IBVMIG_TAG_SAVES) == 1));
	CU_ASSERT_EQUAL(fake_logged(&h, "the trap table is saved again"), 1);
	/* Failing again is news again. */
	CU_ASSERT_EQUAL(unlink(state_of("/full", "trap-table")), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(state_of("/full", "trap-table"), 0700), 0);
	errors = stat_value(&h, IBVMIG_TAG_SAVE_ERRORS);
	fake_delete(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT(WITHIN_3S(stat_value(&h, IBVMIG_TAG_SAVE_ERRORS) > errors));
	CU_ASSERT_EQUAL(fake_logged(&h, "ERR D207: cannot save the trap table to "), 2);
	eng_worker_stop(h.e);
	CU_ASSERT_EQUAL(rmdir(state_of("/full", "trap-table")), 0);
	eng_state_stop(h.e);
	fake_stop(&h);
}

/* ---- the admin socket, many clients --------------------------------------------- */

static int connect_to(const char *sock)
{
	int fd = util_unix_connect(sock);

	CU_ASSERT(fd >= 0);
	return fd;
}

/* One status request: its round trip in ms, or -1. */
static long status_call_ms(const char *sock, int timeout_ms)
{
	struct ibvmig_admin_request req = { .op = IBVMIG_ADMIN_STATUS };
	struct ibvmig_admin_header hdr;
	uint64_t t0 = util_mono_ms();
	uint8_t *body = NULL;
	size_t len = 0;
	int rc = ibvmig_admin_call(sock, &req, timeout_ms, &hdr, &body, &len);

	free(body);
	return rc || hdr.status != IBVMIG_ADMIN_OK ? -1 : (long)(util_mono_ms() - t0);
}

static void start_with_socket(struct fake_host *h, const char *sub, char *sock, size_t len)
{
	start_in_scratch(h, sub);
	snprintf(sock, len, "%s%s/admin.sock", dir, sub);
	CU_ASSERT_EQUAL_FATAL(eng_worker_start(h->e), 0);
}

static void test_idle_connections_delay_neither_a_client_nor_a_save(void)
{
	struct fake_host h;
	char sock[128];
	int idle[16], i;
	uint64_t t0;
	long ms;

	start_with_socket(&h, "/idle", sock, sizeof(sock));
	for (i = 0; i < 16; i++)
		idle[i] = connect_to(sock);
	usleep(100 * 1000);	/* all accepted, all silent */
	ms = status_call_ms(sock, 1000);
	CU_ASSERT(ms >= 0 && ms < 500);
	t0 = util_mono_ms();
	fake_set(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT(WITHIN_3S(stat_value(&h, IBVMIG_TAG_SAVES) == 1));
	CU_ASSERT(util_mono_ms() - t0 < 500);	/* save_delay_ms is 50 */
	for (i = 0; i < 16; i++)
		close(idle[i]);
	eng_worker_stop(h.e);
	eng_state_stop(h.e);
	fake_stop(&h);
}

static void test_a_silent_client_is_hung_up_on_after_2_s(void)
{
	struct fake_host h;
	char sock[128], c;
	uint64_t t0;
	int fd;

	start_with_socket(&h, "/silent", sock, sizeof(sock));
	fd = connect_to(sock);
	CU_ASSERT_EQUAL(write(fd, "IVMA", 4), 4);	/* a third of a header, then silence */
	t0 = util_mono_ms();
	CU_ASSERT_EQUAL(read(fd, &c, 1), 0);	/* the server closed it */
	CU_ASSERT(util_mono_ms() - t0 >= 1800 && util_mono_ms() - t0 < 3000);
	close(fd);
	CU_ASSERT_EQUAL(stat_value(&h, IBVMIG_TAG_ADMIN_ERRORS), 1);
	eng_worker_stop(h.e);
	fake_stop(&h);
}

static void test_more_idle_clients_than_slots_do_not_lock_others_out(void)
{
	struct fake_host h;
	char sock[128];
	int idle[40], i;

	start_with_socket(&h, "/flood", sock, sizeof(sock));
	for (i = 0; i < 40; i++)
		idle[i] = connect_to(sock);
	usleep(100 * 1000);
	/* The oldest silent ones make room. */
	CU_ASSERT(status_call_ms(sock, 1000) >= 0);
	CU_ASSERT(status_call_ms(sock, 1000) >= 0);
	for (i = 0; i < 40; i++)
		close(idle[i]);
	eng_worker_stop(h.e);
	fake_stop(&h);
}

/* A client that asks and never reads: its answer waits, the others do not. */
static void test_a_client_that_does_not_read_its_answer_holds_nobody(void)
{
	struct ibvmig_admin_request req = { .op = IBVMIG_ADMIN_TRAPS };
	uint8_t msg[IBVMIG_ADMIN_HEADER_LEN + IBVMIG_ADMIN_REQUEST_BODY_MAX];
	struct ibvmig_conf conf;
	struct fake_host h;
	int fd, len, i;
	char sock[128];

	conf_in_scratch(&conf, "/deaf");
	conf.unpath = false;	/* no notices: only the table grows */
	fake_start(&h, &conf);
	CU_ASSERT_EQUAL(eng_state_start(h.e), 0);	/* makes the directory */
	snprintf(sock, sizeof(sock), "%s/deaf/admin.sock", dir);
	CU_ASSERT_EQUAL_FATAL(eng_worker_start(h.e), 0);
	/* A traps answer of 8000 records, 0.5 MB: more than the socket's buffers take. */
	for (i = 1; i <= 8000; i++) {
		fake_set(&h, VG(i), PORT_A, LID_A);
		fake_delete(&h, VG(i), PORT_A, LID_A);
	}
	fd = connect_to(sock);
	len = ibvmig_admin_encode_request(&req, msg, sizeof(msg));
	CU_ASSERT_EQUAL(write(fd, msg, (size_t)len), len);
	usleep(200 * 1000);
	CU_ASSERT(status_call_ms(sock, 1000) >= 0);
	close(fd);
	eng_worker_stop(h.e);
	eng_state_stop(h.e);
	fake_stop(&h);
}

static void test_an_unreachable_socket_costs_only_the_admin(void)
{
	struct fake_host h;
	char sock[128];

	start_in_scratch(&h, "/nosock");
	snprintf(sock, sizeof(sock), "%s/nosock/admin.sock", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(sock, 0700), 0);	/* a file that is not a socket */
	CU_ASSERT_EQUAL(eng_worker_start(h.e), 0);
	CU_ASSERT_EQUAL(fake_logged(&h, "exists and is not a socket"), 1);
	fake_set(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT(WITHIN_3S(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_SAVES) == 1));
	eng_worker_stop(h.e);
	CU_ASSERT(exists(sock));	/* not ours: left alone */
	fake_stop(&h);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_what_is_saved_is_restored_after_a_restart),
		UNIT_TEST(test_the_last_save_comes_at_the_stop),
		UNIT_TEST(test_a_failed_save_stays_unsaved),
		UNIT_TEST(test_a_damaged_file_is_set_aside),
		UNIT_TEST(test_stamps_from_the_future_are_taken_as_made_now),
		UNIT_TEST(test_a_fifo_in_place_of_a_state_file_does_not_block_the_start),
		UNIT_TEST(test_the_worker_serves_saves_and_reconciles),
		UNIT_TEST(test_a_takeover_loads_the_previous_masters_state),
		UNIT_TEST(test_an_unreachable_socket_costs_only_the_admin),
		UNIT_TEST(test_a_save_that_keeps_failing_is_logged_once_and_tried_less_often),
		UNIT_TEST(test_idle_connections_delay_neither_a_client_nor_a_save),
		UNIT_TEST(test_a_silent_client_is_hung_up_on_after_2_s),
		UNIT_TEST(test_more_idle_clients_than_slots_do_not_lock_others_out),
		UNIT_TEST(test_a_client_that_does_not_read_its_answer_holds_nobody),
	};

	return unit_run("engine_state", make_scratch, remove_scratch, tests,
			sizeof(tests) / sizeof(tests[0]));
}
