# trap-table: the repath trap table (Algorithm 1), no OpenSM dependency.
TRAP_TABLE_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) -I$(top_srcdir)/trap-table
noinst_LTLIBRARIES += trap-table/libtraptable.la
trap_table_libtraptable_la_SOURCES = trap-table/trap_table.c trap-table/trap_table_file.c \
	trap-table/guid_index.c trap-table/guid_index.h \
	trap-table/trap_table.h trap-table/alias_watch.c trap-table/alias_watch.h
trap_table_libtraptable_la_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS)

check_PROGRAMS += trap-table/tests/test_trap_table
TESTS += trap-table/tests/test_trap_table
trap_table_tests_test_trap_table_SOURCES = trap-table/tests/test_trap_table.c
trap_table_tests_test_trap_table_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS)
trap_table_tests_test_trap_table_LDADD = trap-table/libtraptable.la $(UNIT_LIBS)

noinst_PROGRAMS += trap-table/tt_replay
trap_table_tt_replay_SOURCES = trap-table/tt_replay.c
trap_table_tt_replay_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS) $(CLI_CPPFLAGS)
trap_table_tt_replay_LDADD = trap-table/libtraptable.la cli/libibvmig-cli.la

EXTRA_PROGRAMS += trap-table/bench_trap_table
BENCHMARKS += trap-table/bench_trap_table
CLEANFILES += trap-table/bench_trap_table
trap_table_bench_trap_table_SOURCES = trap-table/bench_trap_table.c
trap_table_bench_trap_table_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS)
trap_table_bench_trap_table_LDADD = trap-table/libtraptable.la util/libibvmig-util.la

TESTS += trap-table/tests/tt_replay.test
EXTRA_DIST += trap-table/tests/tt_replay.test test-fabric/scenarios/day-of-vms.events

check_PROGRAMS += trap-table/tests/test_alias_watch
TESTS += trap-table/tests/test_alias_watch
trap_table_tests_test_alias_watch_SOURCES = trap-table/tests/test_alias_watch.c
trap_table_tests_test_alias_watch_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS)
trap_table_tests_test_alias_watch_LDADD = trap-table/libtraptable.la $(UNIT_LIBS)

# Fuzzing (doc/fuzzing.md): the save-file reader, for the trap table and the live aliases.
check_PROGRAMS += trap-table/tests/fuzz_trap_file
TESTS += trap-table/tests/fuzz_trap_file
EXTRA_DIST += trap-table/tests/corpus
trap_table_tests_fuzz_trap_file_SOURCES = trap-table/tests/fuzz_trap_file.c $(FUZZ_REPLAY_FILES)
trap_table_tests_fuzz_trap_file_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS) \
	-DFUZZ_CORPUS='"trap-table/tests/corpus/fuzz_trap_file"'
trap_table_tests_fuzz_trap_file_LDADD = trap-table/libtraptable.la
FUZZ_TARGETS += trap-table/tests/fuzz_trap_file-libfuzzer
CLEANFILES += trap-table/tests/fuzz_trap_file-libfuzzer
trap-table/tests/fuzz_trap_file-libfuzzer: trap-table/tests/fuzz_trap_file.c \
		$(trap_table_libtraptable_la_SOURCES) $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(TRAP_TABLE_CPPFLAGS)
# Its seeds (doc/fuzzing.md), built on demand: make trap-table/tests/fuzz_seeds.
EXTRA_PROGRAMS += trap-table/tests/fuzz_seeds
CLEANFILES += trap-table/tests/fuzz_seeds
trap_table_tests_fuzz_seeds_SOURCES = trap-table/tests/fuzz_seeds.c
trap_table_tests_fuzz_seeds_CPPFLAGS = $(TRAP_TABLE_CPPFLAGS)
trap_table_tests_fuzz_seeds_LDADD = trap-table/libtraptable.la
