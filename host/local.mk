# host: the VM path cache (libibvmig-cache), a pure library the VM side of
# ibvmig links; the hypervisor agent and the host CLI build on it and on the
# VM channel codec in libibvmig-wire.
noinst_LTLIBRARIES += host/libibvmig-cache.la
host_libibvmig_cache_la_SOURCES = host/path_cache.c host/path_cache.h
host_libibvmig_cache_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host
host_libibvmig_cache_la_LIBADD = libibvmig/libibvmig-wire.la

check_PROGRAMS += host/tests/test_path_cache
TESTS += host/tests/test_path_cache
host_tests_test_path_cache_SOURCES = host/tests/test_path_cache.c
host_tests_test_path_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host
host_tests_test_path_cache_LDADD = host/libibvmig-cache.la test-fabric/libunit.la -lcunit

EXTRA_DIST += doc/path-cache.md

