# test-fabric: the simulated-fabric harness (fabric.sh), its topologies, its
# own end-to-end tests, and ibvmig-sa, the SA client's test tool.
# configure writes test-fabric/fabric-config.sh (the tools' paths) from fabric-config.sh.in.
noinst_PROGRAMS += test-fabric/ibvmig-sa
test_fabric_ibvmig_sa_SOURCES = test-fabric/ibvmig_sa_tool.c
test_fabric_ibvmig_sa_CPPFLAGS = $(CLI_CPPFLAGS)
test_fabric_ibvmig_sa_LDADD = libibvmig/libibvmig-sa.la cli/libibvmig-cli.la

# The end-to-end tests' shell libraries (plugin-lib.sh: OpenSM with the plugin, ibvmig-sa;
# host-lib.sh: agents and VMs on top of it); the old paths under osm-plugin/tests and
# host/tests source these.
EXTRA_DIST += test-fabric/lib/plugin-lib.sh test-fabric/lib/host-lib.sh
EXTRA_DIST += test-fabric/fabric.sh test-fabric/fabric-config.sh.in \
	test-fabric/topologies/small.net test-fabric/topologies/vswitch.net \
	test-fabric/topologies/escrow.net \
	test-fabric/tests/fabric-smoke.test test-fabric/tests/fabric-cleanup.test \
	test-fabric/tests/fabric-restart.test
if FABRIC_TESTS
TESTS += test-fabric/tests/fabric-smoke.test test-fabric/tests/fabric-cleanup.test \
	test-fabric/tests/fabric-restart.test
endif

# The topology generator (topogen.c): ibsim net files of fat trees, plain hosts or vSwitch
# hypervisors.
noinst_PROGRAMS += test-fabric/ibvmig-topogen
test_fabric_ibvmig_topogen_SOURCES = test-fabric/topogen.c
test_fabric_ibvmig_topogen_CPPFLAGS = $(CLI_CPPFLAGS)
test_fabric_ibvmig_topogen_LDADD = cli/libibvmig-cli.la
# Its checks: topogen.sh has the shell functions that generate, start and check its fabrics
# (fat-tree rules, net file = table, every node's LID in guid2lid and in its PortInfo).
TESTS += test-fabric/tests/topogen-usage.test
EXTRA_DIST += test-fabric/topogen.sh test-fabric/tests/topogen-usage.test \
	test-fabric/tests/topogen.test
if FABRIC_TESTS
TESTS += test-fabric/tests/topogen.test
endif
# Its benchmark: 500- and 2000-HCA fabrics of both models up under stock OpenSM.
FABRIC_BENCHMARKS += test-fabric/bench/topogen-up.sh
EXTRA_DIST += test-fabric/bench/topogen-up.sh
# The alias burst after an SM restart: OpenSM's CPU and the state directory's bytes, with and
# without the plugin (doc/benchmarks.md).
FABRIC_BENCHMARKS += test-fabric/bench/alias-burst.sh
EXTRA_DIST += test-fabric/bench/alias-burst.sh
# The plugin's cost on the SM: heavy sweeps at 500 and 2000 hosts x 31 aliases, with and without.
FABRIC_BENCHMARKS += test-fabric/bench/sweep-cost.sh
EXTRA_DIST += test-fabric/bench/sweep-cost.sh
# Reports per migration on the SM side from dead subscriptions (other sizes by hand).
FABRIC_BENCHMARKS += test-fabric/bench/sm-fanout.sh
EXTRA_DIST += test-fabric/bench/sm-fanout.sh

# doc/simulator.md's facts and the tool that re-checks the ones no stock tool can show
# (doc/simulator-checks/run.sh runs each on its own fabric).
noinst_PROGRAMS += doc/simulator-checks/simprobe
doc_simulator_checks_simprobe_SOURCES = doc/simulator-checks/simprobe.c
doc_simulator_checks_simprobe_LDADD = -libumad
EXTRA_DIST += doc/simulator.md doc/simulator-checks/run.sh

# ibvmig-sim: the scenario runner (test-fabric/sim/, doc/scenarios.md, ibvmig-sim(1)). Installed
# with its scenarios and topologies; -B BUILDDIR runs a build tree's programs instead.
bin_PROGRAMS += test-fabric/ibvmig-sim
test_fabric_ibvmig_sim_SOURCES = test-fabric/sim/sim.h test-fabric/sim/main.c \
	test-fabric/sim/scn.h test-fabric/sim/scn.c test-fabric/sim/sup.h test-fabric/sim/sup.c \
	test-fabric/sim/fabric.c test-fabric/sim/hosts.c test-fabric/sim/steps.c \
	test-fabric/sim/report.c test-fabric/sim/inject.c test-fabric/sim/escrow.c
# The tools configure found (empty with --disable-fabric-tests: looked up at run time), and
# where an installed ibvmig-sim finds the programs, scenarios and topologies.
test_fabric_ibvmig_sim_CPPFLAGS = $(CLI_CPPFLAGS) -I$(top_srcdir)/test-fabric/sim \
	-DSIM_IBSIM='"$(IBSIM)"' -DSIM_OPENSM='"$(OPENSM)"' -DSIM_UMAD2SIM='"$(UMAD2SIM)"' \
	-DSIM_SRCDIR='"$(abs_top_srcdir)"' -DSIM_PKGDATADIR='"$(pkgdatadir)"' \
	-DSIM_BINDIR='"$(bindir)"' -DSIM_SBINDIR='"$(sbindir)"' \
	-DSIM_PKGLIBEXECDIR='"$(pkglibexecdir)"'
test_fabric_ibvmig_sim_LDADD = cli/libibvmig-cli.la -libmad -libumad -lm
dist_man_MANS += doc/ibvmig-sim.1
EXTRA_DIST += doc/scenarios.md
# An installed ibvmig-sim runs the VM process of the test fabric from $(pkglibexecdir); it is
# host/'s program (noinst there), installed from here until host/local.mk installs it itself.
INSTALL_DATA_LOCAL += install-sim-vm
UNINSTALL_LOCAL += uninstall-sim-vm
.PHONY: install-sim-vm uninstall-sim-vm
# So is ibvmig-sa, the escrow's client of its migrations with escrow (noinst here).
install-sim-vm: host/ibvmig-vm$(EXEEXT) test-fabric/ibvmig-sa$(EXEEXT)
	$(MKDIR_P) $(DESTDIR)$(pkglibexecdir)
	$(INSTALL_PROGRAM) host/ibvmig-vm$(EXEEXT) $(DESTDIR)$(pkglibexecdir)/ibvmig-vm$(EXEEXT)
	$(LIBTOOL) --mode=install $(INSTALL_PROGRAM) test-fabric/ibvmig-sa$(EXEEXT) \
		$(DESTDIR)$(pkglibexecdir)/ibvmig-sa$(EXEEXT)
uninstall-sim-vm:
	rm -f $(DESTDIR)$(pkglibexecdir)/ibvmig-vm$(EXEEXT)
	rm -f $(DESTDIR)$(pkglibexecdir)/ibvmig-sa$(EXEEXT)

# The scenario language's parser alone.
check_PROGRAMS += test-fabric/tests/test_scn
TESTS += test-fabric/tests/test_scn
test_fabric_tests_test_scn_SOURCES = test-fabric/tests/test_scn.c test-fabric/sim/scn.c \
	test-fabric/sim/scn.h
test_fabric_tests_test_scn_CPPFLAGS = $(UTIL_CPPFLAGS) -I$(top_srcdir)/test-fabric/sim
test_fabric_tests_test_scn_LDADD = util/libibvmig-util.la $(UNIT_LIBS)

# The scenarios make check runs: each file is a test, run by ibvmig-sim on the build's
# programs; "within" bounds must be liveness bounds (--min-within 5000: doc/scenarios.md).
TEST_EXTENSIONS = .test .scn
SCN_LOG_COMPILER = $(top_builddir)/test-fabric/ibvmig-sim
AM_SCN_LOG_FLAGS = -B $(abs_top_builddir) --min-within 5000 -v
SCENARIO_TESTS = test-fabric/scenarios/migrate.scn test-fabric/scenarios/reboot.scn \
	test-fabric/scenarios/evacuate.scn test-fabric/scenarios/sm-restart.scn \
	test-fabric/scenarios/agent-restart.scn test-fabric/scenarios/loss.scn \
	test-fabric/scenarios/link-flap.scn test-fabric/scenarios/link-flap-vm-host.scn \
	test-fabric/scenarios/malformed-mad.scn test-fabric/scenarios/failover.scn \
	test-fabric/scenarios/extension.scn test-fabric/scenarios/escrow-vswitch.scn
# The runner's own promises: refusals, exit 9, SIGINT and SIGKILL leave nothing behind.
if FABRIC_TESTS
TESTS += $(SCENARIO_TESTS) test-fabric/tests/sim-runner.test \
	test-fabric/tests/demo-scenario.test
endif
EXTRA_DIST += test-fabric/tests/sim-runner.test test-fabric/tests/demo-scenario.test
# make bench: the bench scenarios, one JSON line last.
BENCH_SCENARIOS = test-fabric/scenarios/bench-migrate.scn test-fabric/scenarios/bench-evacuate.scn \
	test-fabric/scenarios/bench-evacuate31.scn
FABRIC_BENCHMARKS += test-fabric/bench/scenarios.sh
EXTRA_DIST += test-fabric/bench/scenarios.sh
scenariodir = $(pkgdatadir)/scenarios
dist_scenario_DATA = $(SCENARIO_TESTS) $(BENCH_SCENARIOS) test-fabric/scenarios/demo.scn \
	test-fabric/scenarios/demo-extension.scn
topologydir = $(pkgdatadir)/topologies
# escrow-vswitch.scn names vswitch.net.
dist_topology_DATA = test-fabric/topologies/small.net test-fabric/topologies/vswitch.net
# The bench scenarios name ../bench/hosts8.net: installed beside the topologies as well.
benchtopodir = $(pkgdatadir)/bench
dist_benchtopo_DATA = test-fabric/bench/hosts8.net

# Peer-tool parity: what osmtest, saquery, smpquery and ibroute see, plugin loaded and not
# (doc/simulator.md, "Peer-Tool Parity").
PARITY_TESTS = test-fabric/tests/parity-views.test test-fabric/tests/parity-osmtest.test \
	test-fabric/tests/parity-osmtest-long.test
if FABRIC_TESTS
TESTS += $(PARITY_TESTS)
endif
EXTRA_DIST += $(PARITY_TESTS) test-fabric/lib/parity-lib.sh
