# osm-plugin: the OpenSM event plugin, installed as libibvmig.so (OpenSM
# dlopens lib<event_plugin_name>.so): the engine's OpenSM host.  OpenSM's
# internals it calls live in the opensm executable, so it is linked without
# -Wl,--no-undefined.
lib_LTLIBRARIES += osm-plugin/libibvmig.la
osm_plugin_libibvmig_la_SOURCES = osm-plugin/plugin.h osm-plugin/plugin.c \
	osm-plugin/gir_hook.c osm-plugin/notices.c osm-plugin/reconcile.c \
	osm-plugin/admin.c osm-plugin/escrow.h osm-plugin/escrow_service.c \
	osm-plugin/escrow_mad.c osm-plugin/lid_reserve.c osm-plugin/lid_fast.c osm-plugin/partitions.c
osm_plugin_libibvmig_la_CPPFLAGS = $(ENGINE_CPPFLAGS) $(LID_ESCROW_CPPFLAGS) $(OSM_CPPFLAGS)
osm_plugin_libibvmig_la_LDFLAGS = -module -avoid-version -shared \
	-Wl,--version-script=$(srcdir)/osm-plugin/libibvmig.map
osm_plugin_libibvmig_la_LIBADD = engine/libibvmig-engine.la lid-escrow/libibvmig-escrow.la \
	-lopensm -losmvendor -losmcomp -lpthread
EXTRA_DIST += osm-plugin/libibvmig.map doc/fast-move.md
# OpenSM dlopens libibvmig.so alone: no libtool archive beside it.
# (libtool's uninstall reads the archive to know what to remove: remove the module ourselves.)
install-exec-hook: install-plugin-no-la
uninstall-hook: uninstall-plugin-module
.PHONY: install-plugin-no-la uninstall-plugin-module
install-plugin-no-la:
	rm -f $(DESTDIR)$(libdir)/libibvmig.la
uninstall-plugin-module:
	rm -f $(DESTDIR)$(libdir)/libibvmig.so

# End-to-end tests: stock OpenSM with this plugin on ibsim, through real MADs.
PLUGIN_TESTS = osm-plugin/tests/plugin-notices.test osm-plugin/tests/plugin-unpath-off.test \
	osm-plugin/tests/plugin-expiry.test osm-plugin/tests/plugin-restart.test \
	osm-plugin/tests/plugin-reconcile.test osm-plugin/tests/plugin-osmtest.test \
	osm-plugin/tests/plugin-admin.test osm-plugin/tests/plugin-config.test \
	osm-plugin/tests/plugin-guard.test osm-plugin/tests/plugin-valgrind.test \
	osm-plugin/tests/plugin-log.test osm-plugin/tests/plugin-loss.test \
	osm-plugin/tests/plugin-reconcile-race.test osm-plugin/tests/plugin-crash-repeat.test \
	osm-plugin/tests/plugin-escrow.test osm-plugin/tests/plugin-escrow-refusals.test \
	osm-plugin/tests/plugin-escrow-vswitch.test osm-plugin/tests/plugin-escrow-restart.test \
	osm-plugin/tests/plugin-escrow-handover.test osm-plugin/tests/plugin-state-convert.test \
	osm-plugin/tests/plugin-escrow-fast.test \
	osm-plugin/tests/plugin-escrow-fast-fail.test osm-plugin/tests/plugin-escrow-fast-vswitch.test \
	osm-plugin/tests/plugin-escrow-fast-engines.test
if FABRIC_TESTS
TESTS += $(PLUGIN_TESTS)
endif
EXTRA_DIST += $(PLUGIN_TESTS) osm-plugin/tests/plugin-lib.sh osm-plugin/tests/escrow-lib.sh

# Set -> Report latency and the plugin's cost per Set, on ibsim (`make bench`).
FABRIC_BENCHMARKS += test-fabric/bench/repath-latency.sh
EXTRA_DIST += test-fabric/bench/repath-latency.sh
# The escrow's fast LID move on 500- and 2000-HCA fat trees, both models (`make bench`).
FABRIC_BENCHMARKS += test-fabric/bench/escrow-fast.sh
EXTRA_DIST += test-fabric/bench/escrow-fast.sh
# The reconcile against the SA hook under a heavy sweep every 50 ms (`make bench`).
FABRIC_BENCHMARKS += test-fabric/bench/reconcile-race.sh
EXTRA_DIST += test-fabric/bench/reconcile-race.sh

# The plugin's state directory, made at boot for OpenSM's own unit (it runs the plugin).
EXTRA_DIST += osm-plugin/ibvmig.tmpfiles
INSTALL_DATA_LOCAL += install-plugin-tmpfiles
UNINSTALL_LOCAL += uninstall-plugin-tmpfiles
.PHONY: install-plugin-tmpfiles uninstall-plugin-tmpfiles
install-plugin-tmpfiles:
	$(MKDIR_P) $(DESTDIR)$(tmpfilesdir)
	$(INSTALL_DATA) $(srcdir)/osm-plugin/ibvmig.tmpfiles \
		$(DESTDIR)$(tmpfilesdir)/ibvmig-opensm-plugin.conf
uninstall-plugin-tmpfiles:
	rm -f $(DESTDIR)$(tmpfilesdir)/ibvmig-opensm-plugin.conf
