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
	sm-extension/tests/smx-plugin.test sm-extension/tests/smx-direct.test \
	sm-extension/tests/smx-ports.test sm-extension/tests/smx-demo.test
if FABRIC_TESTS
TESTS += $(SMX_TESTS)
endif
EXTRA_DIST += $(SMX_TESTS) sm-extension/tests/smx-lib.sh test-fabric/scenarios/smx-demo.sh

# ---- installing it as an operator runs it: a systemd unit, its options in /etc/default ----
systemdsystemunit_DATA += sm-extension/ibvmig-smx.service
CLEANFILES += sm-extension/ibvmig-smx.service
EXTRA_DIST += sm-extension/ibvmig-smx.service.in sm-extension/ibvmig-smx.default
sm-extension/ibvmig-smx.service: $(srcdir)/sm-extension/ibvmig-smx.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) sm-extension && sed -e 's|%sbindir%|$(sbindir)|g' \
		-e 's|%sysconfdir%|$(sysconfdir)|g' $(srcdir)/sm-extension/ibvmig-smx.service.in >$@
INSTALL_DATA_LOCAL += install-smx-config
UNINSTALL_LOCAL += uninstall-smx-config
.PHONY: install-smx-config uninstall-smx-config
install-smx-config:
	$(MKDIR_P) $(DESTDIR)$(sysconfdir)/default
	$(INSTALL_DATA) $(srcdir)/sm-extension/ibvmig-smx.default \
		$(DESTDIR)$(sysconfdir)/default/ibvmig-smx
uninstall-smx-config:
	rm -f $(DESTDIR)$(sysconfdir)/default/ibvmig-smx

# The unit as systemd reads it (systemd-analyze verify, against the built daemon).
TESTS += sm-extension/tests/smx-unit.test
EXTRA_DIST += sm-extension/tests/smx-unit.test

# The benchmark: the extension told and polling against the plugin, at 6, 500 and 2000 hosts.
FABRIC_BENCHMARKS += test-fabric/bench/smx-bench.sh
EXTRA_DIST += test-fabric/bench/smx-bench.sh
