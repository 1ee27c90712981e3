# test-fabric: the simulated-fabric harness (fabric.sh), its topologies, its
# own end-to-end tests, and ibvmig-sa, the SA client's test tool.
# configure writes test-fabric/fabric-config.sh (the tools' paths) from fabric-config.sh.in.
noinst_PROGRAMS += test-fabric/ibvmig-sa
test_fabric_ibvmig_sa_SOURCES = test-fabric/ibvmig_sa_tool.c
test_fabric_ibvmig_sa_CPPFLAGS = $(CLI_CPPFLAGS)
test_fabric_ibvmig_sa_LDADD = libibvmig/libibvmig-sa.la cli/libibvmig-cli.la

EXTRA_DIST += test-fabric/fabric.sh test-fabric/fabric-config.sh.in \
	test-fabric/topologies/small.net \
	test-fabric/tests/fabric-smoke.test test-fabric/tests/fabric-cleanup.test \
	test-fabric/tests/fabric-restart.test
if FABRIC_TESTS
TESTS += test-fabric/tests/fabric-smoke.test test-fabric/tests/fabric-cleanup.test \
	test-fabric/tests/fabric-restart.test
endif
