# The CUnit runner shared by every unit-test program.
check_LTLIBRARIES += test-fabric/libunit.la
test_fabric_libunit_la_SOURCES = test-fabric/unit.c test-fabric/unit.h
