# libibvmig: every wire format (libibvmig-wire: one header each) and the
# SA/MAD client (libibvmig-sa), convenience libraries linked into each program
# and the plugin.
LIBIBVMIG_CPPFLAGS = $(UTIL_CPPFLAGS) -I$(top_srcdir)/libibvmig
noinst_LTLIBRARIES += libibvmig/libibvmig-wire.la
libibvmig_libibvmig_wire_la_SOURCES = libibvmig/ibvmig_notice.h libibvmig/ibvmig_records.h \
	libibvmig/ibvmig_admin.h libibvmig/ibvmig_conf.h libibvmig/ibvmig_vmchan.h \
	libibvmig/ibvmig_path.h libibvmig/ibvmig_tell.h \
	libibvmig/wire.h libibvmig/notice.c libibvmig/records.c libibvmig/admin.c \
	libibvmig/conf.c libibvmig/vmchan.c libibvmig/tell.c
libibvmig_libibvmig_wire_la_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_libibvmig_wire_la_LIBADD = util/libibvmig-util.la

check_PROGRAMS += libibvmig/tests/test_notice
TESTS += libibvmig/tests/test_notice
libibvmig_tests_test_notice_SOURCES = libibvmig/tests/test_notice.c
libibvmig_tests_test_notice_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_tests_test_notice_LDADD = libibvmig/libibvmig-wire.la $(UNIT_LIBS)

# The agents' and the SM extension's vendor messages (doc/tell-protocol.md).
check_PROGRAMS += libibvmig/tests/test_tell
TESTS += libibvmig/tests/test_tell
libibvmig_tests_test_tell_SOURCES = libibvmig/tests/test_tell.c
libibvmig_tests_test_tell_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_tests_test_tell_LDADD = libibvmig/libibvmig-wire.la $(UNIT_LIBS)
EXTRA_DIST += doc/tell-protocol.md

check_PROGRAMS += libibvmig/tests/test_admin
TESTS += libibvmig/tests/test_admin
libibvmig_tests_test_admin_SOURCES = libibvmig/tests/test_admin.c
libibvmig_tests_test_admin_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_tests_test_admin_LDADD = libibvmig/libibvmig-wire.la $(UNIT_LIBS)

check_PROGRAMS += libibvmig/tests/test_conf
TESTS += libibvmig/tests/test_conf
libibvmig_tests_test_conf_SOURCES = libibvmig/tests/test_conf.c
libibvmig_tests_test_conf_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_tests_test_conf_LDADD = libibvmig/libibvmig-wire.la $(UNIT_LIBS)

check_PROGRAMS += libibvmig/tests/test_vmchan
TESTS += libibvmig/tests/test_vmchan
libibvmig_tests_test_vmchan_SOURCES = libibvmig/tests/test_vmchan.c
libibvmig_tests_test_vmchan_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_tests_test_vmchan_LDADD = libibvmig/libibvmig-wire.la $(UNIT_LIBS)
EXTRA_DIST += doc/vm-channel.md

# ---- SA/MAD client (libibvmig-sa) ----
noinst_LTLIBRARIES += libibvmig/libibvmig-sa.la
libibvmig_libibvmig_sa_la_SOURCES = libibvmig/ibvmig_sa.h libibvmig/sa_codec.h \
	libibvmig/sa_codec.c libibvmig/sa_client.c libibvmig/sa_error.c libibvmig/sa_escrow.c
libibvmig_libibvmig_sa_la_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_libibvmig_sa_la_LIBADD = libibvmig/libibvmig-wire.la -libumad -libmad

check_PROGRAMS += libibvmig/tests/test_sa_codec
TESTS += libibvmig/tests/test_sa_codec
libibvmig_tests_test_sa_codec_SOURCES = libibvmig/tests/test_sa_codec.c
libibvmig_tests_test_sa_codec_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_tests_test_sa_codec_LDADD = libibvmig/libibvmig-sa.la $(UNIT_LIBS)

# End to end on ibsim + stock OpenSM, through the harness test-fabric/fabric.sh.
if FABRIC_TESTS
TESTS += libibvmig/tests/sa-client.test libibvmig/tests/mad-client.test
endif
EXTRA_DIST += libibvmig/tests/sa-client.test libibvmig/tests/mad-client.test doc/ibvmig-sa.md

# ---- the LID escrow's MADs (ibvmig_escrow.h, doc/escrow-protocol.md) ----
libibvmig_libibvmig_wire_la_SOURCES += libibvmig/ibvmig_escrow.h libibvmig/escrow.c
check_PROGRAMS += libibvmig/tests/test_escrow_codec
TESTS += libibvmig/tests/test_escrow_codec
libibvmig_tests_test_escrow_codec_SOURCES = libibvmig/tests/test_escrow_codec.c
libibvmig_tests_test_escrow_codec_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_tests_test_escrow_codec_LDADD = libibvmig/libibvmig-wire.la $(UNIT_LIBS)
EXTRA_DIST += doc/escrow-protocol.md

# ---- fuzzing (doc/fuzzing.md) ----
# Each harness is a test of make check, replaying its committed corpus (util/fuzz_replay.c
# gives it a main), and a libFuzzer program of `make fuzz` (FUZZ_LINK, Makefile.am).
FUZZ_WIRE_FILES = $(libibvmig_libibvmig_wire_la_SOURCES) $(util_libibvmig_util_la_SOURCES) \
	util/fuzz.h
LIBIBVMIG_FUZZ = libibvmig/tests/fuzz_notice libibvmig/tests/fuzz_records \
	libibvmig/tests/fuzz_admin libibvmig/tests/fuzz_vmchan libibvmig/tests/fuzz_conf \
	libibvmig/tests/fuzz_sa_codec libibvmig/tests/fuzz_escrow
check_PROGRAMS += $(LIBIBVMIG_FUZZ)
TESTS += $(LIBIBVMIG_FUZZ)
EXTRA_DIST += libibvmig/tests/corpus libibvmig/tests/fuzz_rec.h doc/fuzzing.md

libibvmig_tests_fuzz_notice_SOURCES = libibvmig/tests/fuzz_notice.c $(FUZZ_REPLAY_FILES)
libibvmig_tests_fuzz_notice_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) \
	-DFUZZ_CORPUS='"libibvmig/tests/corpus/fuzz_notice"'
libibvmig_tests_fuzz_notice_LDADD = libibvmig/libibvmig-wire.la

libibvmig_tests_fuzz_records_SOURCES = libibvmig/tests/fuzz_records.c libibvmig/tests/fuzz_rec.h \
	$(FUZZ_REPLAY_FILES)
libibvmig_tests_fuzz_records_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) \
	-DFUZZ_CORPUS='"libibvmig/tests/corpus/fuzz_records"'
libibvmig_tests_fuzz_records_LDADD = libibvmig/libibvmig-wire.la

libibvmig_tests_fuzz_admin_SOURCES = libibvmig/tests/fuzz_admin.c libibvmig/tests/fuzz_rec.h \
	$(FUZZ_REPLAY_FILES)
libibvmig_tests_fuzz_admin_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) \
	-DFUZZ_CORPUS='"libibvmig/tests/corpus/fuzz_admin"'
libibvmig_tests_fuzz_admin_LDADD = libibvmig/libibvmig-wire.la

libibvmig_tests_fuzz_vmchan_SOURCES = libibvmig/tests/fuzz_vmchan.c $(FUZZ_REPLAY_FILES)
libibvmig_tests_fuzz_vmchan_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) \
	-DFUZZ_CORPUS='"libibvmig/tests/corpus/fuzz_vmchan"'
libibvmig_tests_fuzz_vmchan_LDADD = libibvmig/libibvmig-wire.la

libibvmig_tests_fuzz_conf_SOURCES = libibvmig/tests/fuzz_conf.c $(FUZZ_REPLAY_FILES)
libibvmig_tests_fuzz_conf_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) \
	-DFUZZ_CORPUS='"libibvmig/tests/corpus/fuzz_conf"'
libibvmig_tests_fuzz_conf_LDADD = libibvmig/libibvmig-wire.la

libibvmig_tests_fuzz_sa_codec_SOURCES = libibvmig/tests/fuzz_sa_codec.c $(FUZZ_REPLAY_FILES)
libibvmig_tests_fuzz_sa_codec_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) \
	-DFUZZ_CORPUS='"libibvmig/tests/corpus/fuzz_sa_codec"'
libibvmig_tests_fuzz_sa_codec_LDADD = libibvmig/libibvmig-sa.la

libibvmig_tests_fuzz_escrow_SOURCES = libibvmig/tests/fuzz_escrow.c $(FUZZ_REPLAY_FILES)
libibvmig_tests_fuzz_escrow_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) \
	-DFUZZ_CORPUS='"libibvmig/tests/corpus/fuzz_escrow"'
libibvmig_tests_fuzz_escrow_LDADD = libibvmig/libibvmig-wire.la

FUZZ_TARGETS += libibvmig/tests/fuzz_escrow-libfuzzer
CLEANFILES += libibvmig/tests/fuzz_escrow-libfuzzer
libibvmig/tests/fuzz_escrow-libfuzzer: libibvmig/tests/fuzz_escrow.c $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(LIBIBVMIG_CPPFLAGS)
FUZZ_TARGETS += libibvmig/tests/fuzz_notice-libfuzzer libibvmig/tests/fuzz_records-libfuzzer \
	libibvmig/tests/fuzz_admin-libfuzzer libibvmig/tests/fuzz_vmchan-libfuzzer \
	libibvmig/tests/fuzz_conf-libfuzzer libibvmig/tests/fuzz_sa_codec-libfuzzer
CLEANFILES += libibvmig/tests/fuzz_notice-libfuzzer libibvmig/tests/fuzz_records-libfuzzer \
	libibvmig/tests/fuzz_admin-libfuzzer libibvmig/tests/fuzz_vmchan-libfuzzer \
	libibvmig/tests/fuzz_conf-libfuzzer libibvmig/tests/fuzz_sa_codec-libfuzzer
libibvmig/tests/fuzz_notice-libfuzzer: libibvmig/tests/fuzz_notice.c $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(LIBIBVMIG_CPPFLAGS)
libibvmig/tests/fuzz_records-libfuzzer: libibvmig/tests/fuzz_records.c \
		libibvmig/tests/fuzz_rec.h $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(LIBIBVMIG_CPPFLAGS)
libibvmig/tests/fuzz_admin-libfuzzer: libibvmig/tests/fuzz_admin.c libibvmig/tests/fuzz_rec.h \
		$(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(LIBIBVMIG_CPPFLAGS)
libibvmig/tests/fuzz_vmchan-libfuzzer: libibvmig/tests/fuzz_vmchan.c $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(LIBIBVMIG_CPPFLAGS)
libibvmig/tests/fuzz_conf-libfuzzer: libibvmig/tests/fuzz_conf.c $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(LIBIBVMIG_CPPFLAGS)
# The codec alone: sa_client.c (libibumad's send and receive) takes no part in decoding.
libibvmig/tests/fuzz_sa_codec-libfuzzer: libibvmig/tests/fuzz_sa_codec.c libibvmig/sa_codec.c \
		libibvmig/sa_codec.h libibvmig/ibvmig_sa.h $(FUZZ_WIRE_FILES)
	$(FUZZ_LINK) $(LIBIBVMIG_CPPFLAGS) -libmad -libumad
# The seeds of those corpora (doc/fuzzing.md), built on demand: make libibvmig/tests/fuzz_seeds.
EXTRA_PROGRAMS += libibvmig/tests/fuzz_seeds
CLEANFILES += libibvmig/tests/fuzz_seeds
libibvmig_tests_fuzz_seeds_SOURCES = libibvmig/tests/fuzz_seeds.c
libibvmig_tests_fuzz_seeds_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
libibvmig_tests_fuzz_seeds_LDADD = libibvmig/libibvmig-sa.la
