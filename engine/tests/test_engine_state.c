// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the engine's saved state and of its worker, through
 * engine.h on a fake host, in a scratch directory: what one engine saves the
 * next one restores (a migration across the restart is still one), a failed
 * save stays unsaved, a damaged file is set aside, and the worker serves the
 * admin socket, saves after a change and reconciles when the subnet is up.
 */
#include "fake_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void start_in_scratch(struct fake_host *h, const char *sub)
{
	char where[128];
	struct ibvmig_conf conf;

	snprintf(where, sizeof(where), "%s%s", dir, sub);
	fake_conf(&conf, where);
	conf.save_delay_ms = 50;
	fake_start(h, &conf);
	CU_ASSERT_EQUAL(eng_state_start(h->e), 0);
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
		UNIT_TEST(test_the_worker_serves_saves_and_reconciles),
		UNIT_TEST(test_an_unreachable_socket_costs_only_the_admin),
	};

	return unit_run("engine_state", make_scratch, remove_scratch, tests,
			sizeof(tests) / sizeof(tests[0]));
}
