# host: the VM path cache (libibvmig-cache), a pure library the VM side of
# ibvmig links; the hypervisor agent and the host CLI build on it and on the
# VM channel codec in libibvmig-wire.
HOST_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS) -I$(top_srcdir)/host
noinst_LTLIBRARIES += host/libibvmig-cache.la
host_libibvmig_cache_la_SOURCES = host/path_cache.c host/ibvmig_path_cache.h
host_libibvmig_cache_la_CPPFLAGS = $(HOST_CPPFLAGS)
host_libibvmig_cache_la_LIBADD = libibvmig/libibvmig-wire.la

check_PROGRAMS += host/tests/test_path_cache
TESTS += host/tests/test_path_cache
host_tests_test_path_cache_SOURCES = host/tests/test_path_cache.c
host_tests_test_path_cache_CPPFLAGS = $(HOST_CPPFLAGS)
host_tests_test_path_cache_LDADD = host/libibvmig-cache.la $(UNIT_LIBS)

EXTRA_DIST += doc/path-cache.md

# ---- the hypervisor agent ibvmigd, the host CLI ibvmig-host, the test fabric's VM ----
# ibvmigd: one per hypervisor port, the host's only MAD client (doc/ibvmigd.8).
sbin_PROGRAMS += host/ibvmigd
host_ibvmigd_SOURCES = host/agent.h host/agent_main.c host/agent_queue.c host/agent_sa.c \
	host/agent_chan.h host/agent_chan.c host/agent_dispatch.c \
	host/agent_table.h host/agent_table.c
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
host_ibvmig_vm_LDADD = host/libibvmig-cache.la cli/libibvmig-cli.la

dist_man_MANS += doc/ibvmigd.8 doc/ibvmig-host.8

# Unit tests: the mapping table alone; the CLI and the VM against a fake agent (no fabric).
check_PROGRAMS += host/tests/test_agent_table host/tests/fake_agent host/tests/vmc_raw_client
TESTS += host/tests/test_agent_table host/tests/ibvmig-host-cli.test host/tests/vm-fake-agent.test
host_tests_test_agent_table_SOURCES = host/tests/test_agent_table.c host/agent_table.c \
	host/agent_table.h
host_tests_test_agent_table_CPPFLAGS = $(HOST_CPPFLAGS)
host_tests_test_agent_table_LDADD = $(UNIT_LIBS)
host_tests_fake_agent_SOURCES = host/tests/fake_agent.c
host_tests_fake_agent_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
host_tests_fake_agent_LDADD = libibvmig/libibvmig-wire.la
host_tests_vmc_raw_client_SOURCES = host/tests/vmc_raw_client.c
host_tests_vmc_raw_client_CPPFLAGS = $(LIBIBVMIG_CPPFLAGS)
host_tests_vmc_raw_client_LDADD = libibvmig/libibvmig-wire.la

# End to end on ibsim: stock OpenSM with the plugin, agents, VMs (host/tests/host-lib.sh).
HOST_FABRIC_TESTS = host/tests/host-migrate.test host/tests/host-agent.test
if FABRIC_TESTS
TESTS += $(HOST_FABRIC_TESTS)
endif
EXTRA_DIST += $(HOST_FABRIC_TESTS) host/tests/host-lib.sh host/tests/ibvmig-host-cli.test \
	host/tests/vm-fake-agent.test test-fabric/scenarios/host-demo.sh \
	test-fabric/bench/host-bench.sh test-fabric/bench/hosts8.net

# The fabric benchmark: per-port against per-VM subscription, run by `make bench`.
FABRIC_BENCHMARKS += test-fabric/bench/host-bench.sh
