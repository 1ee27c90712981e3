// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of libibvmig-util: strict parsing (what every tool's options
 * and the admin CLI's arguments go through), string copies that must fit,
 * the Unix listener that never steals a live server's path, and socket I/O
 * that gives up at its deadline, and a daemon's wait for its end.
 */
#include "ibvmig_util.h"
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_parse_uint_takes_whole_numbers_only(void)
{
	uint64_t v = 7;

	CU_ASSERT_EQUAL(util_parse_uint("42", 10, 0, 100, &v), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(util_parse_uint("0x12", 0, 0, UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, 0x12);
	CU_ASSERT_EQUAL(util_parse_uint("0755", 8, 0, 0777, &v), 0);
	CU_ASSERT_EQUAL(v, 0755);
	/* Space before and after alike, signs, empty, trailing junk. */
	v = 7;
	CU_ASSERT_EQUAL(util_parse_uint(" 0x12", 0, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_uint("0x12 ", 0, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_uint("-1", 0, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_uint("+1", 0, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_uint("", 0, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_uint(NULL, 0, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_uint("12ms", 10, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_uint("0x", 0, 0, UINT64_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 7);	/* a refused string changes nothing */
}

static void test_parse_uint_bounds(void)
{
	uint64_t v = 7;

	CU_ASSERT_EQUAL(util_parse_uint("18446744073709551615", 10, 0, UINT64_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(util_parse_uint("18446744073709551616", 10, 0, UINT64_MAX, &v), -ERANGE);
	CU_ASSERT_EQUAL(util_parse_uint("0", 10, 1, 10, &v), -ERANGE);
	CU_ASSERT_EQUAL(util_parse_uint("11", 10, 1, 10, &v), -ERANGE);
	CU_ASSERT_EQUAL(util_parse_uint("10", 10, 1, 10, &v), 0);
	CU_ASSERT_EQUAL(v, 10);
}

static void test_parse_guid_refuses_zero(void)
{
	uint64_t g = 0;

	CU_ASSERT_EQUAL(util_parse_guid("0x0002c903000000aa", &g), 0);
	CU_ASSERT_EQUAL(g, 0x0002c903000000aaULL);
	CU_ASSERT_EQUAL(util_parse_guid("0", &g), -ERANGE);
	CU_ASSERT_EQUAL(util_parse_guid("0x0", &g), -ERANGE);
	CU_ASSERT_EQUAL(util_parse_guid("guid", &g), -EINVAL);
}

static void test_hex_is_exactly_its_digits(void)
{
	uint8_t b[4] = { 9, 9, 9, 9 }, want[4] = { 0x01, 0xab, 0xCD, 0xf0 };
	char out[9];

	CU_ASSERT_EQUAL(util_parse_hex("01abCDf0", b, 4), 0);
	CU_ASSERT_EQUAL(memcmp(b, want, 4), 0);
	util_format_hex(b, 4, out);
	CU_ASSERT_STRING_EQUAL(out, "01abcdf0");
	CU_ASSERT_EQUAL(util_parse_hex("01abcdf", b, 4), -EINVAL);	/* too short */
	CU_ASSERT_EQUAL(util_parse_hex("01abcdf00", b, 4), -EINVAL);	/* too long */
	CU_ASSERT_EQUAL(util_parse_hex("01abcdfg", b, 4), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_hex("0x01abcd", b, 4), -EINVAL);
	CU_ASSERT_EQUAL(util_parse_hex(" 1abcdf0", b, 4), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(b, want, 4), 0);	/* a refusal leaves the bytes */
}

static void test_copy_str_must_fit_whole(void)
{
	char buf[4] = "xyz";

	CU_ASSERT_EQUAL(util_copy_str(buf, sizeof(buf), "abc"), 0);
	CU_ASSERT_STRING_EQUAL(buf, "abc");
	CU_ASSERT_EQUAL(util_copy_str(buf, sizeof(buf), "abcd"), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(util_copy_str(buf, sizeof(buf), ""), -EINVAL);
	CU_ASSERT_STRING_EQUAL(buf, "abc");
}

static char dir[128];

static int make_dir(void)
{
	snprintf(dir, sizeof(dir), "%s/ibvmig-util-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void sock_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void test_listen_replaces_only_a_stale_socket(void)
{
	char path[PATH_MAX];
	struct stat sb;
	int fd, fd2;

	sock_path(path, sizeof(path), "a.sock");
	fd = util_unix_listen(path, 0600, 4);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	/* Served: left alone. */
	CU_ASSERT_EQUAL(util_unix_listen(path, 0600, 4), -EADDRINUSE);
	close(fd);
	/* Stale (nobody listens any more): replaced. */
	fd2 = util_unix_listen(path, 0660, 4);
	CU_ASSERT(fd2 >= 0);
	close(fd2);
}

static void test_listen_never_removes_another_file(void)
{
	char path[PATH_MAX], big[200];
	FILE *f;

	sock_path(path, sizeof(path), "plain");
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fclose(f);
	CU_ASSERT_EQUAL(util_unix_listen(path, 0600, 4), -EEXIST);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(util_unix_listen(big, 0600, 4), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(util_unix_connect(big), -ENAMETOOLONG);
}

static void test_io_round_trip_and_deadline(void)
{
	char path[PATH_MAX], buf[8];
	int lfd, c, s;

	sock_path(path, sizeof(path), "io.sock");
	lfd = util_unix_listen(path, 0600, 4);
	CU_ASSERT_FATAL(lfd >= 0);
	c = util_unix_connect(path);
	CU_ASSERT_FATAL(c >= 0);
	s = accept(lfd, NULL, NULL);
	CU_ASSERT_FATAL(s >= 0);
	CU_ASSERT_EQUAL(util_write_all(c, "ibvmig!", 8, 1000), 0);
	CU_ASSERT_EQUAL(util_read_all(s, buf, 8, 1000), 0);
	CU_ASSERT_STRING_EQUAL(buf, "ibvmig!");
	/* Nothing more comes: the read ends at its deadline. */
	CU_ASSERT_EQUAL(util_read_all(s, buf, 1, 50), -ETIMEDOUT);
	/* The peer closes mid-message. */
	CU_ASSERT_EQUAL(util_write_all(c, "ab", 2, 1000), 0);
	close(c);
	CU_ASSERT_EQUAL(util_read_all(s, buf, 4, 1000), -ECONNRESET);
	close(s);
	close(lfd);
	CU_ASSERT_EQUAL(util_unix_connect(path), -ECONNREFUSED);
}

static void test_clocks_move_forward(void)
{
	uint64_t a = util_mono_ns(), b = util_mono_ns();

	CU_ASSERT(b >= a);
	CU_ASSERT(util_mono_ms() >= a / 1000000);
	/* 2020-01-01 in ms: the wall clock is the epoch's, not the boot's. */
	CU_ASSERT(util_wall_ms() > 1577836800000ULL);
}

static atomic_bool stop_asked;
static struct util_signals sigs;

static void *ask_stop(void *arg)
{
	(void)arg;
	atomic_store(&stop_asked, true);
	util_signals_wake(&sigs);
	return NULL;
}

static void test_signals_end_the_wait_on_term_or_a_stop_asked(void)
{
	pthread_t t;

	util_signals_block(&sigs);
	/* Pending together: the SIGUSR2 nobody asked for is passed over, TERM ends it. */
	pthread_kill(pthread_self(), SIGUSR2);
	pthread_kill(pthread_self(), SIGHUP);
	pthread_kill(pthread_self(), SIGTERM);
	CU_ASSERT_EQUAL(util_signals_wait(&sigs, &stop_asked), SIGTERM);
	/* Another thread that asks to stop ends it with SIGUSR2. */
	CU_ASSERT_FATAL(pthread_create(&t, NULL, ask_stop, NULL) == 0);
	CU_ASSERT_EQUAL(util_signals_wait(&sigs, &stop_asked), SIGUSR2);
	pthread_join(t, NULL);
	pthread_sigmask(SIG_UNBLOCK, &sigs.set, NULL);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_parse_uint_takes_whole_numbers_only),
		UNIT_TEST(test_parse_uint_bounds),
		UNIT_TEST(test_parse_guid_refuses_zero),
		UNIT_TEST(test_hex_is_exactly_its_digits),
	    UNIT_TEST(test_copy_str_must_fit_whole),
		UNIT_TEST(test_listen_replaces_only_a_stale_socket),
		UNIT_TEST(test_listen_never_removes_another_file),
		UNIT_TEST(test_io_round_trip_and_deadline),
		UNIT_TEST(test_clocks_move_forward),
		UNIT_TEST(test_signals_end_the_wait_on_term_or_a_stop_asked),
	};

	return unit_run("util", make_dir, remove_dir, tests, sizeof(tests) / sizeof(tests[0]));
}
