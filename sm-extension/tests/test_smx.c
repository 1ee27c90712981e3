// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of ibvmig-smx's pure parts: the poll's budget (a token bucket
 * of SA requests per second) and the configuration file's own keys.
 */
#include "smx.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000ULL	/* ns */

static void test_the_budget_allows_its_rate_and_no_more(void)
{
	struct smx_pace p;
	uint64_t t = 5 * 1000 * MS, end = t + 10 * 1000 * MS;
	unsigned n = 0;

	smx_pace_init(&p, 200, 1, t);
	/* Ten seconds asked for as fast as possible: 200/s, and the one saved up. */
	for (; t < end; t += MS / 10)
		n += smx_pace_take(&p, t);
	CU_ASSERT(n >= 2000 && n <= 2001);
	CU_ASSERT_EQUAL(p.taken, n);
}

static void test_requests_go_in_batches(void)
{
	struct smx_pace p;
	uint64_t t = 0;
	unsigned i, n = 0, runs = 0;
	bool last = false, got;

	smx_pace_init(&p, 50, 25, 0);
	/* Asked every ms for 10 s: 500 requests in runs of 25, twice a second. */
	for (i = 0; i < 10000; i++, t += MS) {
		got = smx_pace_take(&p, t);
		n += got;
		runs += got && !last;
		last = got;
	}
	CU_ASSERT(n >= 500 && n <= 525);
	CU_ASSERT(runs >= 20 && runs <= 21);
	/* A batch may go through at once, whatever the clock says. */
	smx_pace_init(&p, 50, 25, 0);
	for (i = 0; i < 25; i++)
		CU_ASSERT_TRUE(smx_pace_take(&p, 0));
	CU_ASSERT_FALSE(smx_pace_take(&p, 0));
	CU_ASSERT_EQUAL(smx_pace_wait_ms(&p, 0), 500);
	CU_ASSERT_EQUAL(smx_pace_wait_ms(&p, 500 * MS), 0);
}

static void test_an_idle_hour_saves_one_batch(void)
{
	struct smx_pace p;
	unsigned n = 0;

	smx_pace_init(&p, 100, 5, 0);
	while (smx_pace_take(&p, 3600ULL * 1000 * MS))
		n++;
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(smx_pace_wait_ms(&p, 3600ULL * 1000 * MS), 50);
}

static void test_a_charge_goes_into_debt_and_waits_it_off(void)
{
	struct smx_pace p;

	smx_pace_init(&p, 100, 1, 0);
	CU_ASSERT_TRUE(smx_pace_take(&p, 0));
	smx_pace_charge(&p, 2, 0);		/* a learning step's two more requests */
	CU_ASSERT_FALSE(smx_pace_take(&p, 0));
	CU_ASSERT_EQUAL(smx_pace_wait_ms(&p, 0), 30);
	CU_ASSERT_FALSE(smx_pace_take(&p, 29 * MS));
	CU_ASSERT_TRUE(smx_pace_take(&p, 30 * MS));
	/* A clock that went back adds nothing. */
	CU_ASSERT_FALSE(smx_pace_take(&p, 10 * MS));
}

static int write_conf(const char *text, char *path, size_t len)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/smx-conf-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return 0;
}

static void test_the_defaults(void)
{
	struct smx_conf c;
	char err[256];

	CU_ASSERT_EQUAL(smx_conf_load(NULL, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.poll_rate, 50);
	CU_ASSERT_EQUAL(c.delivery, SMX_DELIVER_TRAP);
	CU_ASSERT_EQUAL(c.n_trusted, 0);
	CU_ASSERT_TRUE(c.base.unpath);
	CU_ASSERT_EQUAL(smx_conf_load("/nonexistent/smx.conf", &c, err, sizeof(err)), -ENOENT);
}

static void test_own_and_shared_keys(void)
{
	char path[64], err[256];
	struct smx_conf c;

	CU_ASSERT_EQUAL_FATAL(write_conf("# the extension\npoll_rate 50\npoll_interval_ms 0\n"
					 "delivery both\ntrusted_port 0x21, 0x41\n"
					 "trusted_port 0x21\nunpath off\nlearn_gap 8\n"
					 "check_interval_ms 1000\nagent_timeout 60\n"
					 "learn_interval 0\nadmin_socket /tmp/x.sock\n",
					 path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(smx_conf_load(path, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.poll_rate, 50);
	CU_ASSERT_EQUAL(c.poll_interval_ms, 0);
	CU_ASSERT_EQUAL(c.delivery, SMX_DELIVER_BOTH);
	CU_ASSERT_EQUAL(c.n_trusted, 2);
	CU_ASSERT_TRUE(smx_conf_trusts(&c, 0x41));
	CU_ASSERT_FALSE(smx_conf_trusts(&c, 0x42));
	CU_ASSERT_FALSE(c.base.unpath);
	CU_ASSERT_EQUAL(c.learn_gap, 8);
	CU_ASSERT_EQUAL(c.check_ms, 1000);
	CU_ASSERT_EQUAL(c.agent_timeout_s, 60);
	CU_ASSERT_EQUAL(c.learn_interval_s, 0);
	CU_ASSERT_STRING_EQUAL(c.base.admin_socket, "/tmp/x.sock");
	unlink(path);
}

static void test_bad_values_name_the_line_and_give_the_defaults(void)
{
	static const char *const bad[] = {
		"poll_rate 0\n", "delivery carrier-pigeon\n", "trusted_port 0\n",
		"trusted_port 0x21 zz\n", "check_interval_ms 5\n", "poll_rate\n",
		"no_such_key 1\n",
	};
	char path[64], err[256];
	struct smx_conf c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(write_conf(bad[i], path, sizeof(path)), 0);
		CU_ASSERT_EQUAL(smx_conf_load(path, &c, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1: "));
		CU_ASSERT_EQUAL(c.poll_rate, 50);
		unlink(path);
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_the_budget_allows_its_rate_and_no_more),
		UNIT_TEST(test_requests_go_in_batches),
		UNIT_TEST(test_an_idle_hour_saves_one_batch),
		UNIT_TEST(test_a_charge_goes_into_debt_and_waits_it_off),
		UNIT_TEST(test_the_defaults),
		UNIT_TEST(test_own_and_shared_keys),
		UNIT_TEST(test_bad_values_name_the_line_and_give_the_defaults),
	};

	return unit_run("smx", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}
