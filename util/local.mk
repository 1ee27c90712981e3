# util: libibvmig-util, the helpers every other folder shares (clocks, strict
# parsing, default paths, the programs' logger, Unix sockets), and the CUnit
# runner every unit-test program uses.  Depends on nothing of ibvmig.
UTIL_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/util
noinst_LTLIBRARIES += util/libibvmig-util.la
util_libibvmig_util_la_SOURCES = util/ibvmig_util.h util/clock.c util/parse.c util/log.c \
	util/sock.c util/signals.c
util_libibvmig_util_la_CPPFLAGS = $(UTIL_CPPFLAGS)

# The CUnit runner (unit.h): each unit-test program is its tests and a table.
UNIT_LIBS = util/libunit.la -lcunit
check_LTLIBRARIES += util/libunit.la
util_libunit_la_SOURCES = util/unit.c util/unit.h
util_libunit_la_CPPFLAGS = $(UTIL_CPPFLAGS)

check_PROGRAMS += util/tests/test_util
TESTS += util/tests/test_util
util_tests_test_util_SOURCES = util/tests/test_util.c
util_tests_test_util_CPPFLAGS = $(UTIL_CPPFLAGS)
util_tests_test_util_LDADD = util/libibvmig-util.la $(UNIT_LIBS)

# What every fuzzing harness (FOLDER/tests/fuzz_*.c, doc/fuzzing.md) is built with for make
# check: fuzz.h, and the main() that replays its committed corpus.
FUZZ_REPLAY_FILES = util/fuzz.h util/fuzz_replay.c
