# lid-escrow: the LID/P_Key escrow core (libibvmig-escrow, lid_escrow.h) and
# ibvmig's one durable log (libibvmig-journal, ibvmig_journal.h), which the
# escrow keeps its records in and other state may join.  No OpenSM: plain
# structs in, verdicts out; the SM-side service performs the side effects.
LID_ESCROW_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) -I$(top_srcdir)/lid-escrow
noinst_LTLIBRARIES += lid-escrow/libibvmig-journal.la
lid_escrow_libibvmig_journal_la_SOURCES = lid-escrow/ibvmig_journal.h lid-escrow/journal.c \
	lid-escrow/be_bytes.h
lid_escrow_libibvmig_journal_la_CPPFLAGS = $(LID_ESCROW_CPPFLAGS)
# No util inside: whatever links these (the plugin, with the engine's copy of
# util) adds it once, so that no module holds two.  The same for the journal,
# which the engine holds (its state journal) and the escrow's users add.
LID_ESCROW_UTIL = util/libibvmig-util.la
LID_ESCROW_JOURNAL = lid-escrow/libibvmig-journal.la

noinst_LTLIBRARIES += lid-escrow/libibvmig-escrow.la
lid_escrow_libibvmig_escrow_la_SOURCES = lid-escrow/lid_escrow.h lid-escrow/esc_internal.h \
	lid-escrow/escrow.c lid-escrow/escrow_journal.c lid-escrow/esc_map.h lid-escrow/esc_map.c \
	lid-escrow/esc_crypto.h lid-escrow/sha256.c lid-escrow/esc_prtn.h lid-escrow/esc_prtn.c \
	lid-escrow/esc_lft.h lid-escrow/esc_lft.c
lid_escrow_libibvmig_escrow_la_CPPFLAGS = $(LID_ESCROW_CPPFLAGS)

# Unit tests: the journal (every crash point, every injected I/O failure, every
# flipped byte), the escrow's requests one by one, and a randomized model check
# (ESC_SEED, ESC_MODEL_STEPS).  jnl_testio is the injectable I/O they share.
LID_ESCROW_TESTIO = lid-escrow/tests/jnl_testio.c lid-escrow/tests/jnl_testio.h
check_PROGRAMS += lid-escrow/tests/test_journal
TESTS += lid-escrow/tests/test_journal
lid_escrow_tests_test_journal_SOURCES = lid-escrow/tests/test_journal.c $(LID_ESCROW_TESTIO)
lid_escrow_tests_test_journal_CPPFLAGS = $(LID_ESCROW_CPPFLAGS)
lid_escrow_tests_test_journal_LDADD = lid-escrow/libibvmig-journal.la $(LID_ESCROW_UTIL) $(UNIT_LIBS)

check_PROGRAMS += lid-escrow/tests/test_escrow
TESTS += lid-escrow/tests/test_escrow
lid_escrow_tests_test_escrow_SOURCES = lid-escrow/tests/test_escrow.c \
	lid-escrow/tests/esc_fixture.c lid-escrow/tests/esc_fixture.h $(LID_ESCROW_TESTIO)
lid_escrow_tests_test_escrow_CPPFLAGS = $(LID_ESCROW_CPPFLAGS)
lid_escrow_tests_test_escrow_LDADD = lid-escrow/libibvmig-escrow.la $(LID_ESCROW_JOURNAL) \
	$(LID_ESCROW_UTIL) $(UNIT_LIBS)

check_PROGRAMS += lid-escrow/tests/test_escrow_model
TESTS += lid-escrow/tests/test_escrow_model
lid_escrow_tests_test_escrow_model_SOURCES = lid-escrow/tests/test_escrow_model.c \
	lid-escrow/tests/esc_fixture.c lid-escrow/tests/esc_fixture.h $(LID_ESCROW_TESTIO)
lid_escrow_tests_test_escrow_model_CPPFLAGS = $(LID_ESCROW_CPPFLAGS)
lid_escrow_tests_test_escrow_model_LDADD = lid-escrow/libibvmig-escrow.la $(LID_ESCROW_JOURNAL) \
	$(LID_ESCROW_UTIL) $(UNIT_LIBS)

check_PROGRAMS += lid-escrow/tests/test_prtn
TESTS += lid-escrow/tests/test_prtn
lid_escrow_tests_test_prtn_SOURCES = lid-escrow/tests/test_prtn.c
lid_escrow_tests_test_prtn_CPPFLAGS = $(LID_ESCROW_CPPFLAGS)
lid_escrow_tests_test_prtn_LDADD = lid-escrow/libibvmig-escrow.la $(LID_ESCROW_JOURNAL) \
	$(LID_ESCROW_UTIL) $(UNIT_LIBS)

# The fast LID move's arithmetic (esc_lft.h): engines, edits, changed blocks.
check_PROGRAMS += lid-escrow/tests/test_lft
TESTS += lid-escrow/tests/test_lft
lid_escrow_tests_test_lft_SOURCES = lid-escrow/tests/test_lft.c
lid_escrow_tests_test_lft_CPPFLAGS = $(LID_ESCROW_CPPFLAGS)
lid_escrow_tests_test_lft_LDADD = lid-escrow/libibvmig-escrow.la $(LID_ESCROW_UTIL) $(UNIT_LIBS)

# The benchmark: journal append+fsync latency, replay time, escrow requests per second.
EXTRA_PROGRAMS += lid-escrow/bench_escrow
BENCHMARKS += lid-escrow/bench_escrow
CLEANFILES += lid-escrow/bench_escrow
lid_escrow_bench_escrow_SOURCES = lid-escrow/bench_escrow.c $(LID_ESCROW_TESTIO)
lid_escrow_bench_escrow_CPPFLAGS = $(LID_ESCROW_CPPFLAGS) -I$(top_srcdir)/lid-escrow/tests
lid_escrow_bench_escrow_LDADD = lid-escrow/libibvmig-escrow.la $(LID_ESCROW_JOURNAL) \
	util/libibvmig-util.la

EXTRA_DIST += doc/journal.md

# Fuzzing (doc/fuzzing.md): the journal's reader, through its public API and the tests'
# I/O layer; replayed over its committed corpus in make check, a libFuzzer program of make fuzz.
check_PROGRAMS += lid-escrow/tests/fuzz_journal
TESTS += lid-escrow/tests/fuzz_journal
EXTRA_DIST += lid-escrow/tests/corpus
lid_escrow_tests_fuzz_journal_SOURCES = lid-escrow/tests/fuzz_journal.c $(LID_ESCROW_TESTIO) \
	$(FUZZ_REPLAY_FILES)
lid_escrow_tests_fuzz_journal_CPPFLAGS = $(LID_ESCROW_CPPFLAGS) \
	-DFUZZ_CORPUS='"lid-escrow/tests/corpus/fuzz_journal"'
lid_escrow_tests_fuzz_journal_LDADD = lid-escrow/libibvmig-journal.la $(LID_ESCROW_UTIL)
FUZZ_TARGETS += lid-escrow/tests/fuzz_journal-libfuzzer
CLEANFILES += lid-escrow/tests/fuzz_journal-libfuzzer
lid-escrow/tests/fuzz_journal-libfuzzer: lid-escrow/tests/fuzz_journal.c $(LID_ESCROW_TESTIO) \
		$(lid_escrow_libibvmig_journal_la_SOURCES) $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(LID_ESCROW_CPPFLAGS)
# Its seeds, written through the journal's own API: make lid-escrow/tests/fuzz_journal_seeds.
EXTRA_PROGRAMS += lid-escrow/tests/fuzz_journal_seeds
CLEANFILES += lid-escrow/tests/fuzz_journal_seeds
lid_escrow_tests_fuzz_journal_seeds_SOURCES = lid-escrow/tests/fuzz_journal_seeds.c
lid_escrow_tests_fuzz_journal_seeds_CPPFLAGS = $(LID_ESCROW_CPPFLAGS)
lid_escrow_tests_fuzz_journal_seeds_LDADD = lid-escrow/libibvmig-journal.la $(LID_ESCROW_UTIL)
