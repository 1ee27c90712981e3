// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of libibvmig-cli's option table: a tool gets exactly the
 * common options it asks for (its own -S is its own), values are parsed
 * strictly, -h and -V end with 0, anything wrong with 2, and the order of
 * options and words is the tool's choice.
 */
#include "ibvmig_cli.h"
#include "ibvmig_escrow.h"
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct own {
	const char *S;
	int n;
};

static int own_opt(int c, const char *arg, void *ctx)
{
	struct own *o = ctx;

	if (c == 'S') {
		o->S = arg;
		return 0;
	}
	if (c == 256) {
		o->n++;
		return strcmp(arg, "bad") ? 0 : -1;
	}
	return -1;
}

static const struct option own_long[] = {
	{ "admin-socket", required_argument, NULL, 'S' },
	{ "thing", required_argument, NULL, 256 },
	{ NULL, 0, NULL, 0 },
};

static struct own own;

static const struct cli_tool daemon_tool = {
	.prog = "test-daemon",
	.synopsis = "[options]",
	.common = CLI_OPT_CA | CLI_OPT_PORT | CLI_OPT_TIMEOUT | CLI_OPT_VERBOSE,
	.shortopts = "S:",
	.longopts = own_long,
	.opt = own_opt,
	.ctx = &own,
};

static const struct cli_tool client_tool = {
	.prog = "test-client",
	.synopsis = "[options] COMMAND",
	.common = CLI_OPT_SOCKET | CLI_OPT_TIMEOUT | CLI_OPT_JSON,
};

/* Runs cli_parse on a NULL-terminated list, stdout and stderr silenced. */
static int parse(const struct cli_tool *t, struct cli_common *c, int *first, ...)
{
	char *argv[16];
	va_list ap;
	int argc = 0, rc, saved_out = dup(1), saved_err = dup(2);
	FILE *null = fopen("/dev/null", "w");

	va_start(ap, first);
	argv[argc++] = (char *)t->prog;
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(null), 1);
	dup2(fileno(null), 2);
	rc = cli_parse(t, argc, argv, c, first);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	fclose(null);
	return rc;
}

static void test_common_options_are_parsed(void)
{
	struct cli_common c = { .timeout_ms = 5 };
	int first = 0;

	memset(&own, 0, sizeof(own));
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-C", "mlx5_0", "-P", "2", "-t", "250",
			      "-vv", NULL),
			-1);
	CU_ASSERT_STRING_EQUAL(c.ca, "mlx5_0");
	CU_ASSERT_EQUAL(c.port, 2);
	CU_ASSERT_EQUAL(c.timeout_ms, 250);
	CU_ASSERT_EQUAL(c.verbose, 2);
	CU_ASSERT_EQUAL(first, 8);
}

static void test_a_tool_keeps_its_own_letters(void)
{
	struct cli_common c = { 0 };
	int first;

	/* The daemon does not take the common -S: its own -S is its admin socket. */
	memset(&own, 0, sizeof(own));
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-S", "/run/x.sock", NULL), -1);
	CU_ASSERT_PTR_NULL(c.socket);
	CU_ASSERT_STRING_EQUAL(own.S, "/run/x.sock");
	/* ...and the common ones it did not ask for are unknown to it. */
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "--json", NULL), IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&client_tool, &c, &first, "-C", "mlx5_0", "status", NULL),
			IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&client_tool, &c, &first, "-S", "/run/y.sock", "-j", "status",
			      NULL),
			-1);
	CU_ASSERT_STRING_EQUAL(c.socket, "/run/y.sock");
	CU_ASSERT(c.json);
}

static void test_bad_values_are_usage_errors(void)
{
	struct cli_common c = { .timeout_ms = 5 };
	int first;

	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-t", "0", NULL), IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-t", "10ms", NULL), IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-t", " 10", NULL), IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-P", "255", NULL), IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-C", "a/b", NULL), IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-t", NULL), IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "--thing", "bad", NULL),
			IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-x", NULL), IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(parse(&client_tool, &c, &first, "-S", "", "status", NULL),
			IBVMIG_EXIT_USAGE);
	CU_ASSERT_EQUAL(c.timeout_ms, 5);
}

static void test_help_and_version_end_with_zero(void)
{
	struct cli_common c = { 0 };
	int first;

	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-h", NULL), IBVMIG_EXIT_OK);
	CU_ASSERT_EQUAL(parse(&client_tool, &c, &first, "--help", NULL), IBVMIG_EXIT_OK);
	CU_ASSERT_EQUAL(parse(&daemon_tool, &c, &first, "-V", NULL), IBVMIG_EXIT_OK);
	CU_ASSERT_EQUAL(parse(&client_tool, &c, &first, "--version", NULL), IBVMIG_EXIT_OK);
}

static void test_word_order_is_the_tools_choice(void)
{
	struct cli_tool permuting = client_tool;
	struct cli_common c = { 0 };
	int first;

	/* Options stop at the first word... */
	CU_ASSERT_EQUAL(parse(&client_tool, &c, &first, "status", "-j", NULL), -1);
	CU_ASSERT_FALSE(c.json);
	CU_ASSERT_EQUAL(first, 1);
	/* ...unless the tool lets them follow words. */
	permuting.permute = true;
	CU_ASSERT_EQUAL(parse(&permuting, &c, &first, "status", "-j", NULL), -1);
	CU_ASSERT(c.json);
}

/* Each escrow status has the exit of ibvmig(7) that says what the requester can do. */
static void test_each_escrow_status_has_its_exit(void)
{
	static const struct {
		unsigned status;
		int code;
	} map[] = {
		{ IBVMIG_ESC_OK, IBVMIG_EXIT_OK },
		{ IBVMIG_ESC_MALFORMED, IBVMIG_EXIT_PROTOCOL },
		{ IBVMIG_ESC_UNKNOWN_TOKEN, IBVMIG_EXIT_NOT_FOUND },
		{ IBVMIG_ESC_EXPIRED_TOKEN, IBVMIG_EXIT_NOT_FOUND },
		{ IBVMIG_ESC_USED_TOKEN, IBVMIG_EXIT_HELD },
		{ IBVMIG_ESC_WRONG_REQUESTER, IBVMIG_EXIT_DENIED },
		{ IBVMIG_ESC_PORT_HAS_ALIASES, IBVMIG_EXIT_HELD },
		{ IBVMIG_ESC_PORT_IN_ESCROW, IBVMIG_EXIT_HELD },
		{ IBVMIG_ESC_PATH_DIFFERS, IBVMIG_EXIT_FAILED },
		{ IBVMIG_ESC_GROUP_RULE_KEY, IBVMIG_EXIT_FAILED },
		{ IBVMIG_ESC_LID_BUSY, IBVMIG_EXIT_HELD },
		{ IBVMIG_ESC_NOT_MASTER, IBVMIG_EXIT_UNREACHABLE },
		{ IBVMIG_ESC_JOURNAL, IBVMIG_EXIT_UNREACHABLE },
		{ IBVMIG_ESC_RATE_LIMITED, IBVMIG_EXIT_DENIED },
		{ IBVMIG_ESC_CAPACITY, IBVMIG_EXIT_FULL },
		{ IBVMIG_ESC_INTERNAL, IBVMIG_EXIT_FAILED },
		{ IBVMIG_ESC_STATUS_MAX + 1, IBVMIG_EXIT_PROTOCOL },
		{ 255, IBVMIG_EXIT_PROTOCOL },
	};
	const char *hint;
	size_t i;

	CU_ASSERT_EQUAL(sizeof(map) / sizeof(map[0]), IBVMIG_ESC_STATUS_MAX + 3);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		hint = NULL;
		CU_ASSERT_EQUAL(cli_escrow_exit(map[i].status, &hint), map[i].code);
		CU_ASSERT_PTR_NOT_NULL(hint);
		CU_ASSERT(map[i].status == IBVMIG_ESC_OK || (hint && *hint));
	}
	CU_ASSERT_EQUAL(cli_escrow_exit(IBVMIG_ESC_CAPACITY, NULL), IBVMIG_EXIT_FULL);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_common_options_are_parsed),
		UNIT_TEST(test_a_tool_keeps_its_own_letters),
		UNIT_TEST(test_bad_values_are_usage_errors),
		UNIT_TEST(test_help_and_version_end_with_zero),
		UNIT_TEST(test_word_order_is_the_tools_choice),
		UNIT_TEST(test_each_escrow_status_has_its_exit),
	};

	return unit_run("cli", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}
