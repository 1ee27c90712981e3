# cli: the admin CLI `ibvmig`, and its tests against a fake peer.
bin_PROGRAMS += cli/ibvmig
cli_ibvmig_SOURCES = cli/ibvmig.c
cli_ibvmig_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
cli_ibvmig_LDADD = libibvmig/libibvmig-wire.la

check_PROGRAMS += cli/tests/fake_admin_server
cli_tests_fake_admin_server_SOURCES = cli/tests/fake_admin_server.c
cli_tests_fake_admin_server_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
cli_tests_fake_admin_server_LDADD = libibvmig/libibvmig-wire.la

TESTS += cli/tests/ibvmig-cli.test
EXTRA_DIST += cli/tests/ibvmig-cli.test

dist_man_MANS += doc/ibvmig.8 doc/ibvmig.conf.5
EXTRA_DIST += doc/admin-protocol.md doc/notice-details.md doc/trap-table-file.md

check_PROGRAMS += cli/tests/admin_raw_client
cli_tests_admin_raw_client_SOURCES = cli/tests/admin_raw_client.c
cli_tests_admin_raw_client_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
cli_tests_admin_raw_client_LDADD = libibvmig/libibvmig-wire.la
