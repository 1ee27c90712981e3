# libibvmig: every wire format (libibvmig-wire) and the SA/MAD client
# (libibvmig-sa), convenience libraries linked into each program and the plugin.
noinst_LTLIBRARIES += libibvmig/libibvmig-wire.la
libibvmig_libibvmig_wire_la_SOURCES = libibvmig/ibvmig.h libibvmig/wire.h libibvmig/notice.c \
	libibvmig/admin.c libibvmig/conf.c

check_PROGRAMS += libibvmig/tests/test_notice
TESTS += libibvmig/tests/test_notice
libibvmig_tests_test_notice_SOURCES = libibvmig/tests/test_notice.c
libibvmig_tests_test_notice_LDADD = libibvmig/libibvmig-wire.la test-fabric/libunit.la -lcunit

check_PROGRAMS += libibvmig/tests/test_admin
TESTS += libibvmig/tests/test_admin
libibvmig_tests_test_admin_SOURCES = libibvmig/tests/test_admin.c
libibvmig_tests_test_admin_LDADD = libibvmig/libibvmig-wire.la test-fabric/libunit.la -lcunit

check_PROGRAMS += libibvmig/tests/test_conf
TESTS += libibvmig/tests/test_conf
libibvmig_tests_test_conf_SOURCES = libibvmig/tests/test_conf.c
libibvmig_tests_test_conf_LDADD = libibvmig/libibvmig-wire.la test-fabric/libunit.la -lcunit

# ---- SA/MAD client (libibvmig-sa) and its test tool ----
