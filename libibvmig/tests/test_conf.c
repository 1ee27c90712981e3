// SPDX-License-Identifier: BSD-2-Clause
/* CUnit tests of the plugin configuration parser. */
#include "ibvmig_conf.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct ibvmig_conf conf;
static char err[256];

static void test_defaults_without_a_file(void)
{
	CU_ASSERT_EQUAL(ibvmig_conf_load(NULL, &conf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf.trap_ttl_ms, 3600000);
	CU_ASSERT_EQUAL(conf.trap_capacity, 65536);
	CU_ASSERT_TRUE(conf.unpath);
	CU_ASSERT_TRUE(conf.alias_guard);
	CU_ASSERT_EQUAL(conf.admin_socket_mode, 0600);
	CU_ASSERT_STRING_EQUAL(conf.state_dir, "");
	CU_ASSERT_STRING_EQUAL(conf.admin_socket, "/var/run/opensm-ibvmig.sock");
	CU_ASSERT_EQUAL(conf.log_level, UTIL_LOG_INFO);
	CU_ASSERT_EQUAL(conf.state_compact_factor, 4);
	CU_ASSERT_FALSE(conf.escrow);
	CU_ASSERT_EQUAL(conf.escrow_ttl_ms, 600000);
	CU_ASSERT_EQUAL(conf.escrow_capacity, 1024);
	CU_ASSERT_EQUAL(conf.escrow_sweep_delay_ms, 50);
	CU_ASSERT_TRUE(conf.escrow_fast_move);	/* the fast move is the default */
	CU_ASSERT_STRING_EQUAL(conf.escrow_journal, "");
	CU_ASSERT_STRING_EQUAL(conf.escrow_partitions, "");
	CU_ASSERT_EQUAL(conf.vswitch_count, 0);
	CU_ASSERT_EQUAL(ibvmig_conf_load("", &conf, err, sizeof(err)), 0);
}

static void test_every_option(void)
{
	const char *text =
		"# ibvmig\n"
		"trap_ttl 600   # ten minutes\n"
		"  trap_capacity\t1000\n"
		"unpath FALSE\n"
		"state_dir /var/lib/ibvmig\n"
		"admin_socket /run/ibvmig.sock\n"
		"admin_socket_mode 0660\n"
		"alias_guard off\n"
		"alias_guard_allow 0x0002c90300000011, 0x0002c90300000012\n"
		"alias_guard_allow 0x0002c90300000013\n"
		"log_level debug\n"
		"save_delay_ms 0\n"
		"state_compact_factor 16\n"
		"escrow TRUE\n"
		"escrow_ttl 30\n"
		"escrow_capacity 16\n"
		"escrow_journal /var/lib/ibvmig/j\n"
		"escrow_partitions /var/lib/ibvmig/p.conf\n"
		"escrow_sweep_delay_ms 2000\n"
		"escrow_fast_move FALSE\n"
		"vswitch 0x0002c90300000100 pf 0x0002c90300000111\n"
		"vswitch\t0x0002c90300000200  pf\t0x0002c90300000211 # hypervisor 2\n"
		"\n";

	CU_ASSERT_EQUAL_FATAL(ibvmig_conf_parse(text, "t", &conf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf.trap_ttl_ms, 600000);
	CU_ASSERT_EQUAL(conf.trap_capacity, 1000);
	CU_ASSERT_FALSE(conf.unpath);
	CU_ASSERT_STRING_EQUAL(conf.state_dir, "/var/lib/ibvmig");
	CU_ASSERT_STRING_EQUAL(conf.admin_socket, "/run/ibvmig.sock");
	CU_ASSERT_EQUAL(conf.admin_socket_mode, 0660);
	CU_ASSERT_FALSE(conf.alias_guard);
	CU_ASSERT_EQUAL(conf.guard_allow_count, 3);
	CU_ASSERT_EQUAL(conf.guard_allow[2], 0x0002c90300000013ULL);
	CU_ASSERT_EQUAL(conf.log_level, UTIL_LOG_DEBUG);
	CU_ASSERT_EQUAL(conf.save_delay_ms, 0);
	CU_ASSERT_EQUAL(conf.state_compact_factor, 16);
	CU_ASSERT_TRUE(conf.escrow);
	CU_ASSERT_EQUAL(conf.escrow_ttl_ms, 30000);
	CU_ASSERT_EQUAL(conf.escrow_capacity, 16);
	CU_ASSERT_STRING_EQUAL(conf.escrow_journal, "/var/lib/ibvmig/j");
	CU_ASSERT_STRING_EQUAL(conf.escrow_partitions, "/var/lib/ibvmig/p.conf");
	CU_ASSERT_EQUAL(conf.escrow_sweep_delay_ms, 2000);
	CU_ASSERT_FALSE(conf.escrow_fast_move);
	CU_ASSERT_EQUAL_FATAL(conf.vswitch_count, 2);
	CU_ASSERT_EQUAL(conf.vswitch[1].switch_guid, 0x0002c90300000200ULL);
	CU_ASSERT_EQUAL(conf.vswitch[1].pf_guid, 0x0002c90300000211ULL);
}

/* Each bad line: refused with its line number, and nothing of the file kept. */
static void expect_error(const char *text, const char *want)
{
	CU_ASSERT_EQUAL(ibvmig_conf_parse(text, "f.conf", &conf, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (!strstr(err, want))
		fprintf(stderr, "\n  got \"%s\", wanted \"%s\"\n", err, want);
	CU_ASSERT_EQUAL(conf.trap_ttl_ms, 3600000);
	CU_ASSERT_TRUE(conf.unpath);
}

static void test_bad_lines_give_defaults_and_a_message(void)
{
	expect_error("trap_ttl 5\nfrobnicate 1\n", "f.conf:2: unknown option \"frobnicate\"");
	expect_error("trap_ttl\n", "f.conf:1: option \"trap_ttl\" has no value");
	expect_error("unpath off\ntrap_ttl soon\n", "f.conf:2: trap_ttl: \"soon\" is not a number");
	expect_error("trap_ttl -5\n", "not a number");
	expect_error("trap_capacity 0\n", "at least 1");
	expect_error("trap_capacity 16777215\n", "above the maximum");
	expect_error("unpath maybe\n", "is not TRUE or FALSE");
	expect_error("state_dir relative/dir\n", "not an absolute path");
	expect_error("admin_socket_mode 0999\n", "not a number");
	expect_error("admin_socket "
		     "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		     "longer than 107");
	expect_error("alias_guard_allow 0x0\n", "GUID 0 is not a port");
	expect_error("alias_guard_allow 0x1,xyz\n", "\"xyz\" is not a number");
	expect_error("log_level loud\n", "is not error, info, verbose or debug");
	expect_error("save_delay_ms 60001\n", "above the maximum");
	expect_error("state_compact_factor 0\n", "state_compact_factor: must be at least 1");
	expect_error("state_compact_factor 1001\n", "above the maximum");
	expect_error("state_compact_factor two\n", "\"two\" is not a number");
	expect_error("escrow maybe\n", "is not TRUE or FALSE");
	expect_error("escrow_ttl 0\n", "escrow_ttl: must be at least 1");
	expect_error("escrow_capacity 0\n", "at least 1");
	expect_error("escrow_capacity 49152\n", "above the maximum");
	expect_error("escrow_journal j\n", "not an absolute path");
	expect_error("vswitch 0x100\n", "not \"<switch node GUID> pf <port GUID>\"");
	expect_error("vswitch 0x100 vf 0x111\n", "not \"<switch node GUID> pf");
	expect_error("vswitch 0x100 pf 0x111 0x222\n", "not \"<switch node GUID> pf");
	expect_error("vswitch 0x100 pf 0\n", "GUID 0 is not");
	expect_error("vswitch 0x100 pf zz\n", "\"zz\" is not a number");
	expect_error("vswitch 0x100 pf 0x1\nvswitch 0x100 pf 0x2\n", "f.conf:2: vswitch: switch "
		     "0x0000000000000100 declared twice");
}

static void test_too_many_allowed_ports(void)
{
	char text[2048] = "alias_guard_allow";
	int i;

	for (i = 1; i <= IBVMIG_CONF_GUARD_ALLOW_MAX + 1; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " 0x%x", i);
	expect_error(text, "more than 32 ports");
}

static void test_overlong_line(void)
{
	char text[1100];

	memset(text, '#', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	expect_error(text, "f.conf:1: line longer than");
}

static void test_missing_and_binary_files(void)
{
	char path[] = "/tmp/ibvmig-conf-XXXXXX";
	FILE *f;
	int fd = mkstemp(path);

	CU_ASSERT_EQUAL(ibvmig_conf_load("/nonexistent/ibvmig.conf", &conf, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ibvmig.conf"));
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	fwrite("unpath off\n\0trap_ttl 1\n", 1, 23, f);
	fclose(f);
	CU_ASSERT_EQUAL(ibvmig_conf_load(path, &conf, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a text file"));
	CU_ASSERT_TRUE(conf.unpath);
	f = fopen(path, "w");
	fputs("unpath off\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(ibvmig_conf_load(path, &conf, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(conf.unpath);
	remove(path);
}

/* A host's own key for the _with parsers: "rate N", N 1..1000. */
struct extra_seen {
	unsigned calls, rate;
};

static int extra_key(void *ctx, const char *key, char *value, char *msg, size_t msglen)
{
	struct extra_seen *x = ctx;
	int n;

	x->calls++;
	if (strcmp(key, "rate"))
		return -ENOENT;
	n = atoi(value);
	if (n < 1 || n > 1000) {
		snprintf(msg, msglen, "\"%s\" is not 1..1000", value);
		return -EINVAL;
	}
	x->rate = (unsigned)n;
	return 0;
}

static void test_a_hosts_own_keys_go_to_its_function(void)
{
	struct extra_seen x = { 0 };

	CU_ASSERT_EQUAL(ibvmig_conf_parse_with("unpath off\nrate 200\ntrap_ttl 5\n", "f", &conf,
					       extra_key, &x, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(x.calls, 1);	/* the file format's own keys never reach it */
	CU_ASSERT_EQUAL(x.rate, 200);
	CU_ASSERT_FALSE(conf.unpath);
	CU_ASSERT_EQUAL(conf.trap_ttl_ms, 5000);
	CU_ASSERT_EQUAL(ibvmig_conf_parse_with("unpath off\nrate 0\n", "f", &conf, extra_key, &x,
					       err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "f:2: rate: \"0\" is not 1..1000");
	CU_ASSERT_TRUE(conf.unpath);	/* all or nothing */
	CU_ASSERT_EQUAL(ibvmig_conf_parse_with("speed 3\n", "f", &conf, extra_key, &x, err,
					       sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "f:1: unknown option \"speed\"");
	CU_ASSERT_EQUAL(ibvmig_conf_parse("rate 200\n", "f", &conf, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "f:1: unknown option \"rate\"");
}

/*
 * Found by fuzz_conf: for an empty file getdelim() returns -1 and leaves the
 * buffer it allocated unterminated, and the loader parsed those bytes.  The
 * heap is dirtied first so that the buffer glibc hands out (the chunk just
 * freed) holds no NUL: before the fix the parse read garbage, and past the
 * buffer under ASan.
 */
static void test_empty_file_is_the_defaults_whatever_the_heap_held(void)
{
	char path[] = "/tmp/ibvmig-conf-XXXXXX";
	int fd = mkstemp(path), i;
	char *dirt;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	for (i = 0; i < 3; i++) {
		dirt = malloc(120);	/* the size getdelim() allocates first */
		CU_ASSERT_PTR_NOT_NULL_FATAL(dirt);
		memset(dirt, 'x', 120);
		free(dirt);
		memset(&conf, 0xEE, sizeof(conf));
		CU_ASSERT_EQUAL(ibvmig_conf_load(path, &conf, err, sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(err, "");
		CU_ASSERT_EQUAL(conf.trap_ttl_ms, 3600000);
		CU_ASSERT_TRUE(conf.unpath);
	}
	remove(path);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_defaults_without_a_file),
		UNIT_TEST(test_every_option),
		UNIT_TEST(test_bad_lines_give_defaults_and_a_message),
		UNIT_TEST(test_too_many_allowed_ports),
		UNIT_TEST(test_overlong_line),
		UNIT_TEST(test_missing_and_binary_files),
		UNIT_TEST(test_a_hosts_own_keys_go_to_its_function),
		UNIT_TEST(test_empty_file_is_the_defaults_whatever_the_heap_held),
	};

	return unit_run("conf", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}
