# trap-table: the repath trap table (Algorithm 1): pure C, nothing of
# InfiniBand's wire formats nor of OpenSM; the engine builds on it.  Named
# like the other libraries, libibvmig-*, and so that the libtraptable.a of an
# older build tree, which still holds the alias watcher, is never linked.
TRAP_TABLE_CPPFLAGS = $(UTIL_CPPFLAGS) -I$(top_srcdir)/trap-table
noinst_LTLIBRARIES += trap-table/libibvmig-traptable.la
trap_table_libibvmig_traptable_la_SOURCES = trap-table/trap_table.c trap-table/trap_table_file.c \
	trap-table/guid_index.c trap-table/guid_index.h trap-table/trap_table.h
trap_table_libibvmig_traptable_la_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS)

check_PROGRAMS += trap-table/tests/test_trap_table
TESTS += trap-table/tests/test_trap_table
trap_table_tests_test_trap_table_SOURCES = trap-table/tests/test_trap_table.c
trap_table_tests_test_trap_table_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS)
trap_table_tests_test_trap_table_LDADD = trap-table/libibvmig-traptable.la $(UNIT_LIBS)

noinst_PROGRAMS += trap-table/tt_replay
trap_table_tt_replay_SOURCES = trap-table/tt_replay.c
trap_table_tt_replay_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS) $(CLI_CPPFLAGS)
trap_table_tt_replay_LDADD = trap-table/libibvmig-traptable.la cli/libibvmig-cli.la

EXTRA_PROGRAMS += trap-table/bench_trap_table
BENCHMARKS += trap-table/bench_trap_table
CLEANFILES += trap-table/bench_trap_table
trap_table_bench_trap_table_SOURCES = trap-table/bench_trap_table.c
trap_table_bench_trap_table_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS)
trap_table_bench_trap_table_LDADD = trap-table/libibvmig-traptable.la util/libibvmig-util.la

TESTS += trap-table/tests/tt_replay.test
EXTRA_DIST += trap-table/tests/tt_replay.test test-fabric/scenarios/day-of-vms.events
