# sm-extension: ibvmig-smx, the standalone SM extension - the engine's second host, an
# ordinary libibumad client for fabrics whose SM cannot load the plugin (ibvmig-smx(8)).
SMX_CPPFLAGS = $(ENGINE_CPPFLAGS) -I$(top_srcdir)/sm-extension
# The daemon's code but main(), for the daemon and its unit tests.
noinst_LTLIBRARIES += sm-extension/libsmx.la
sm_extension_libsmx_la_SOURCES = sm-extension/smx.h sm-extension/smx_conf.c \
	sm-extension/smx_pace.c sm-extension/smx_ports.c sm-extension/smx_poll.c \
	sm-extension/smx_sm.c sm-extension/smx_tell.c sm-extension/smx_ops.c \
	sm-extension/smx_mad.c
sm_extension_libsmx_la_CPPFLAGS = $(SMX_CPPFLAGS)
sm_extension_libsmx_la_LIBADD = engine/libibvmig-engine.la libibvmig/libibvmig-sa.la -lm \
	-lpthread

sbin_PROGRAMS += sm-extension/ibvmig-smx
sm_extension_ibvmig_smx_SOURCES = sm-extension/smx_main.c
sm_extension_ibvmig_smx_CPPFLAGS = $(SMX_CPPFLAGS) -I$(top_srcdir)/cli
sm_extension_ibvmig_smx_LDADD = sm-extension/libsmx.la cli/libibvmig-cli.la

dist_man_MANS += doc/ibvmig-smx.8

# Unit tests: the budget, the configuration.
check_PROGRAMS += sm-extension/tests/test_smx
TESTS += sm-extension/tests/test_smx
sm_extension_tests_test_smx_SOURCES = sm-extension/tests/test_smx.c
sm_extension_tests_test_smx_CPPFLAGS = $(SMX_CPPFLAGS)
sm_extension_tests_test_smx_LDADD = sm-extension/libsmx.la $(UNIT_LIBS)

# The tests' forger of tells and PathNotices (sm-extension/tests/smx_forge.c).
check_PROGRAMS += sm-extension/tests/smx-forge
sm_extension_tests_smx_forge_SOURCES = sm-extension/tests/smx_forge.c
sm_extension_tests_smx_forge_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
sm_extension_tests_smx_forge_LDADD = libibvmig/libibvmig-sa.la

# End-to-end tests: stock OpenSM WITHOUT the plugin, the extension on ibsim.
SMX_TESTS = sm-extension/tests/smx-notices.test sm-extension/tests/smx-poll.test \
	sm-extension/tests/smx-forge.test sm-extension/tests/smx-restart.test \
	sm-extension/tests/smx-sm-restart.test sm-extension/tests/smx-admin.test \
	sm-extension/tests/smx-plugin.test sm-extension/tests/smx-direct.test
if FABRIC_TESTS
TESTS += $(SMX_TESTS)
endif
EXTRA_DIST += $(SMX_TESTS) sm-extension/tests/smx-lib.sh
