# test-fabric: the simulated-fabric harness (fabric.sh), its topologies, its
# own end-to-end tests, and ibvmig-sa, the SA client's test tool.
# configure writes test-fabric/fabric-config.sh (the tools' paths) from fabric-config.sh.in.
noinst_PROGRAMS += test-fabric/ibvmig-sa
test_fabric_ibvmig_sa_SOURCES = test-fabric/ibvmig_sa_tool.c
test_fabric_ibvmig_sa_CPPFLAGS = $(CLI_CPPFLAGS)
test_fabric_ibvmig_sa_LDADD = libibvmig/libibvmig-sa.la cli/libibvmig-cli.la

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

# doc/simulator.md's facts and the tool that re-checks the ones no stock tool can show
# (doc/simulator-checks/run.sh runs each on its own fabric).
noinst_PROGRAMS += doc/simulator-checks/simprobe
doc_simulator_checks_simprobe_SOURCES = doc/simulator-checks/simprobe.c
doc_simulator_checks_simprobe_LDADD = -libumad
EXTRA_DIST += doc/simulator.md doc/simulator-checks/run.sh
