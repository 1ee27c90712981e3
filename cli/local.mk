# cli: libibvmig-cli, the layer every command-line program shares (common
# options, the exit-code map, messages, record rendering: ibvmig_cli.h,
# ibvmig(7)), and the admin CLI `ibvmig` with its tests against a fake peer.
CLI_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) -I$(top_srcdir)/cli
noinst_LTLIBRARIES += cli/libibvmig-cli.la
cli_libibvmig_cli_la_SOURCES = cli/ibvmig_cli.h cli/cli.c
cli_libibvmig_cli_la_CPPFLAGS = $(CLI_CPPFLAGS)
cli_libibvmig_cli_la_LIBADD = libibvmig/libibvmig-wire.la

bin_PROGRAMS += cli/ibvmig
cli_ibvmig_SOURCES = cli/ibvmig.c
cli_ibvmig_CPPFLAGS = $(CLI_CPPFLAGS)
cli_ibvmig_LDADD = cli/libibvmig-cli.la

check_PROGRAMS += cli/tests/fake_admin_server cli/tests/admin_raw_client
cli_tests_fake_admin_server_SOURCES = cli/tests/fake_admin_server.c
cli_tests_fake_admin_server_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
cli_tests_fake_admin_server_LDADD = libibvmig/libibvmig-wire.la
cli_tests_admin_raw_client_SOURCES = cli/tests/admin_raw_client.c
cli_tests_admin_raw_client_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
cli_tests_admin_raw_client_LDADD = libibvmig/libibvmig-wire.la

TESTS += cli/tests/ibvmig-cli.test
EXTRA_DIST += cli/tests/ibvmig-cli.test

dist_man_MANS += doc/ibvmig.8 doc/ibvmig.7 doc/ibvmig.conf.5
EXTRA_DIST += doc/admin-protocol.md doc/notice-details.md doc/trap-table-file.md

check_PROGRAMS += cli/tests/test_cli
TESTS += cli/tests/test_cli
cli_tests_test_cli_SOURCES = cli/tests/test_cli.c
cli_tests_test_cli_CPPFLAGS = $(CLI_CPPFLAGS)
cli_tests_test_cli_LDADD = cli/libibvmig-cli.la $(UNIT_LIBS)
