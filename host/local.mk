# host: libibvmig-guest, the library a guest application links (the VM path
# cache and the VM channel client: ibvmig_guest.h, ibvmig_guest(3)), the
# hypervisor agent, the host CLI and the test fabric's VM process.
HOST_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) -I$(top_srcdir)/host

# Installed: a shared library with a versioned symbol map (what its public
# headers declare, checked by abi.test), its headers under $(includedir)/ibvmig
# and a pkg-config file.
# The programs and tests here link the same code as a convenience library: a
# program linked to an uninstalled shared library is a libtool wrapper script,
# and the tests find their processes by the binary's name.
noinst_LTLIBRARIES += host/libguestcore.la
host_libguestcore_la_SOURCES = host/path_cache.c host/guest.c
host_libguestcore_la_CPPFLAGS = $(HOST_CPPFLAGS)
host_libguestcore_la_LIBADD = libibvmig/libibvmig-wire.la
lib_LTLIBRARIES += host/libibvmig-guest.la
host_libibvmig_guest_la_SOURCES =
host_libibvmig_guest_la_LIBADD = host/libguestcore.la
host_libibvmig_guest_la_LDFLAGS = -version-info 0:0:0 -Wl,--no-undefined \
	-Wl,--version-script=$(srcdir)/host/libibvmig-guest.map
EXTRA_host_libibvmig_guest_la_DEPENDENCIES = host/libibvmig-guest.map
guestincludedir = $(includedir)/ibvmig
guestinclude_HEADERS = host/ibvmig_guest.h host/ibvmig_path_cache.h libibvmig/ibvmig_path.h \
	libibvmig/ibvmig_notice.h
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = host/ibvmig-guest.pc
EXTRA_DIST += host/libibvmig-guest.map host/ibvmig-guest.pc.in doc/path-cache.md doc/guest.md

check_PROGRAMS += host/tests/test_path_cache
TESTS += host/tests/test_path_cache
host_tests_test_path_cache_SOURCES = host/tests/test_path_cache.c
host_tests_test_path_cache_CPPFLAGS = $(HOST_CPPFLAGS)
host_tests_test_path_cache_LDADD = host/libguestcore.la $(UNIT_LIBS)

# The map exports exactly what the installed headers declare.
TESTS += host/tests/abi.test
EXTRA_DIST += host/tests/abi.test

# ---- the hypervisor agent ibvmigd, the host CLI ibvmig-host, the test fabric's VM ----
# ibvmigd: one per hypervisor port, the host's only MAD client (doc/ibvmigd.8).
sbin_PROGRAMS += host/ibvmigd
host_ibvmigd_SOURCES = host/agent.h host/agent_main.c host/agent_queue.c host/agent_sa.c \
	host/agent_chan.h host/agent_chan.c host/agent_dispatch.c \
	host/agent_table.h host/agent_table.c host/agent_trust.h host/agent_trust.c \
	host/agent_tell.c host/agent_escrow.c
host_ibvmigd_CPPFLAGS = $(HOST_CPPFLAGS) -I$(top_srcdir)/cli
host_ibvmigd_LDADD = libibvmig/libibvmig-sa.la cli/libibvmig-cli.la -lpthread

bin_PROGRAMS += host/ibvmig-host
host_ibvmig_host_SOURCES = host/ibvmig_host.c
host_ibvmig_host_CPPFLAGS = $(CLI_CPPFLAGS)
host_ibvmig_host_LDADD = cli/libibvmig-cli.la

# The VM side for the test fabric (not installed): a path cache per VM, fed by the agent.
noinst_PROGRAMS += host/ibvmig-vm
host_ibvmig_vm_SOURCES = host/vm.c
host_ibvmig_vm_CPPFLAGS = $(HOST_CPPFLAGS) -I$(top_srcdir)/cli
host_ibvmig_vm_LDADD = host/libguestcore.la cli/libibvmig-cli.la

dist_man_MANS += doc/ibvmigd.8 doc/ibvmig-host.8 doc/ibvmig_guest.3

# Unit tests: the mapping table alone; the CLI and the VM against a fake agent (no fabric).
check_PROGRAMS += host/tests/test_agent_table host/tests/test_agent_trust host/tests/fake_agent \
	host/tests/vmc_raw_client
TESTS += host/tests/test_agent_table host/tests/test_agent_trust host/tests/ibvmig-host-cli.test \
	host/tests/vm-fake-agent.test
host_tests_test_agent_table_SOURCES = host/tests/test_agent_table.c host/agent_table.c \
	host/agent_table.h
host_tests_test_agent_table_CPPFLAGS = $(HOST_CPPFLAGS)
host_tests_test_agent_table_LDADD = $(UNIT_LIBS)
check_PROGRAMS += host/tests/test_agent_escrow
TESTS += host/tests/test_agent_escrow
host_tests_test_agent_escrow_SOURCES = host/tests/test_agent_escrow.c host/agent_escrow.c
host_tests_test_agent_escrow_CPPFLAGS = $(HOST_CPPFLAGS) -I$(top_srcdir)/cli
host_tests_test_agent_escrow_LDADD = libibvmig/libibvmig-sa.la $(UNIT_LIBS)
host_tests_test_agent_trust_SOURCES = host/tests/test_agent_trust.c host/agent_trust.c \
	host/agent_trust.h
host_tests_test_agent_trust_CPPFLAGS = $(HOST_CPPFLAGS)
host_tests_test_agent_trust_LDADD = $(UNIT_LIBS)
host_tests_fake_agent_SOURCES = host/tests/fake_agent.c
host_tests_fake_agent_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
host_tests_fake_agent_LDADD = libibvmig/libibvmig-wire.la
host_tests_vmc_raw_client_SOURCES = host/tests/vmc_raw_client.c
host_tests_vmc_raw_client_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
host_tests_vmc_raw_client_LDADD = libibvmig/libibvmig-wire.la

# End to end on ibsim: stock OpenSM with the plugin, agents, VMs (host/tests/host-lib.sh).
HOST_FABRIC_TESTS = host/tests/host-migrate.test host/tests/host-agent.test \
	host/tests/host-forge.test host/tests/host-flap.test host/tests/host-loss.test \
	host/tests/host-crash-repeat.test host/tests/host-escrow.test \
	host/tests/host-escrow-vswitch.test host/tests/host-evacuate.test
if FABRIC_TESTS
TESTS += $(HOST_FABRIC_TESTS)
endif
EXTRA_DIST += $(HOST_FABRIC_TESTS) host/tests/host-lib.sh host/tests/ibvmig-host-cli.test \
	host/tests/vm-fake-agent.test test-fabric/scenarios/host-demo.sh \
	test-fabric/bench/host-bench.sh test-fabric/bench/hosts8.net

# The fabric benchmark: per-port against per-VM subscription, run by `make bench`.
FABRIC_BENCHMARKS += test-fabric/bench/host-bench.sh test-fabric/bench/loss-convergence.sh
EXTRA_DIST += test-fabric/bench/loss-convergence.sh

# The example a guest application copies, built and run as one would.
check_PROGRAMS += doc/examples/guest-example
doc_examples_guest_example_SOURCES = doc/examples/guest-example.c
doc_examples_guest_example_CPPFLAGS = -I$(top_srcdir)/host -I$(top_srcdir)/libibvmig
doc_examples_guest_example_LDADD = host/libibvmig-guest.la
TESTS += host/tests/guest-example.test
EXTRA_DIST += host/tests/guest-example.test

# ---- installing the agent as an operator runs it: one systemd instance per CA port ----
systemdsystemunit_DATA += host/ibvmigd@.service
CLEANFILES += host/ibvmigd@.service
EXTRA_DIST += host/ibvmigd@.service.in host/ibvmigd.default host/ibvmig-host.tmpfiles
host/ibvmigd@.service: $(srcdir)/host/ibvmigd@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) host && sed -e 's|%sbindir%|$(sbindir)|g' \
		-e 's|%sysconfdir%|$(sysconfdir)|g' $(srcdir)/host/ibvmigd@.service.in >$@
INSTALL_DATA_LOCAL += install-host-config
UNINSTALL_LOCAL += uninstall-host-config
.PHONY: install-host-config uninstall-host-config
install-host-config:
	$(MKDIR_P) $(DESTDIR)$(tmpfilesdir) $(DESTDIR)$(sysconfdir)/default
	$(INSTALL_DATA) $(srcdir)/host/ibvmig-host.tmpfiles $(DESTDIR)$(tmpfilesdir)/ibvmig-host.conf
	$(INSTALL_DATA) $(srcdir)/host/ibvmigd.default $(DESTDIR)$(sysconfdir)/default/ibvmigd
uninstall-host-config:
	rm -f $(DESTDIR)$(tmpfilesdir)/ibvmig-host.conf $(DESTDIR)$(sysconfdir)/default/ibvmigd

# The unit as systemd reads it (systemd-analyze verify, against the built agent).
TESTS += host/tests/units.test
EXTRA_DIST += host/tests/units.test
