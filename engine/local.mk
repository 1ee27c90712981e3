# engine: libibvmig-engine, the SM-side signalling with no SM in it (the alias
# watcher, the outbox, the counters, the saved state, the admin answers, the
# worker), reached by its hosts through engine.h and reaching them through
# their table of operations.  Its hosts see engine.h and the wire formats
# (ENGINE_CPPFLAGS); the trap table stays the engine's own business.
ENGINE_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) -I$(top_srcdir)/engine
ENGINE_OWN_CPPFLAGS = $(ENGINE_CPPFLAGS) -I$(top_srcdir)/trap-table
noinst_LTLIBRARIES += engine/libibvmig-engine.la
engine_libibvmig_engine_la_SOURCES = engine/engine.h engine/engine_int.h engine/engine.c \
	engine/alias_watch.h engine/alias_watch.c engine/notices.c engine/port_diff.c \
	engine/reconcile.c engine/state.c engine/worker.c engine/admin.c engine/admin_server.h \
	engine/admin_server.c
engine_libibvmig_engine_la_CPPFLAGS = $(ENGINE_OWN_CPPFLAGS)
engine_libibvmig_engine_la_LIBADD = trap-table/libibvmig-traptable.la libibvmig/libibvmig-wire.la \
	-lpthread

check_PROGRAMS += engine/tests/test_alias_watch
TESTS += engine/tests/test_alias_watch
engine_tests_test_alias_watch_SOURCES = engine/tests/test_alias_watch.c
engine_tests_test_alias_watch_CPPFLAGS = $(ENGINE_OWN_CPPFLAGS)
engine_tests_test_alias_watch_LDADD = engine/libibvmig-engine.la $(UNIT_LIBS)

# The engine through its public header only, against a fake host (fake_host.h).
ENGINE_TEST_SOURCES = engine/tests/fake_host.c engine/tests/fake_host.h
check_PROGRAMS += engine/tests/test_engine engine/tests/test_engine_state \
	engine/tests/test_engine_smx
TESTS += engine/tests/test_engine engine/tests/test_engine_state engine/tests/test_engine_smx
engine_tests_test_engine_SOURCES = engine/tests/test_engine.c $(ENGINE_TEST_SOURCES)
engine_tests_test_engine_CPPFLAGS = $(ENGINE_CPPFLAGS)
engine_tests_test_engine_LDADD = engine/libibvmig-engine.la $(UNIT_LIBS)
# The second host's calls (engine.h, THE SECOND HOST).
engine_tests_test_engine_smx_SOURCES = engine/tests/test_engine_smx.c $(ENGINE_TEST_SOURCES)
engine_tests_test_engine_smx_CPPFLAGS = $(ENGINE_CPPFLAGS)
engine_tests_test_engine_smx_LDADD = engine/libibvmig-engine.la $(UNIT_LIBS)
engine_tests_test_engine_state_SOURCES = engine/tests/test_engine_state.c \
	$(ENGINE_TEST_SOURCES)
# ...and writes the state files it restores with the trap table's own file code.
engine_tests_test_engine_state_CPPFLAGS = $(ENGINE_OWN_CPPFLAGS)
engine_tests_test_engine_state_LDADD = engine/libibvmig-engine.la $(UNIT_LIBS)

# Fuzzing (doc/fuzzing.md): the save-file reader and what restores from it, for the trap
# table and the live aliases (tt_decode_buf, tt_restore, aw_restore_forgotten).
check_PROGRAMS += engine/tests/fuzz_trap_file
TESTS += engine/tests/fuzz_trap_file
EXTRA_DIST += engine/tests/corpus
engine_tests_fuzz_trap_file_SOURCES = engine/tests/fuzz_trap_file.c $(FUZZ_REPLAY_FILES)
engine_tests_fuzz_trap_file_CPPFLAGS = $(ENGINE_OWN_CPPFLAGS) \
	-DFUZZ_CORPUS='"engine/tests/corpus/fuzz_trap_file"'
engine_tests_fuzz_trap_file_LDADD = engine/libibvmig-engine.la
FUZZ_TARGETS += engine/tests/fuzz_trap_file-libfuzzer
CLEANFILES += engine/tests/fuzz_trap_file-libfuzzer
engine/tests/fuzz_trap_file-libfuzzer: engine/tests/fuzz_trap_file.c engine/alias_watch.c \
		engine/alias_watch.h $(trap_table_libibvmig_traptable_la_SOURCES) $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(ENGINE_OWN_CPPFLAGS)
# Its seeds, built on demand: make engine/tests/fuzz_trap_seeds.
EXTRA_PROGRAMS += engine/tests/fuzz_trap_seeds
CLEANFILES += engine/tests/fuzz_trap_seeds
engine_tests_fuzz_trap_seeds_SOURCES = engine/tests/fuzz_trap_seeds.c
engine_tests_fuzz_trap_seeds_CPPFLAGS = $(ENGINE_OWN_CPPFLAGS)
engine_tests_fuzz_trap_seeds_LDADD = trap-table/libibvmig-traptable.la
