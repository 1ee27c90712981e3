/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * unit.h - the one CUnit runner every unit-test program of ibvmig uses, so
 * that each program is only its tests and a table of them.
 */
#ifndef IBVMIG_TEST_UNIT_H
#define IBVMIG_TEST_UNIT_H

#include <CUnit/CUnit.h>
#include <stddef.h>

struct unit_test {
	const char *name;
	CU_TestFunc fn;
};

#define UNIT_TEST(fn) { #fn, fn }

/*
 * Runs @tests as one verbose suite; returns the process exit status:
 * 0 when every assertion held, 1 on a failure, 2 when CUnit itself failed.
 */
int unit_run(const char *suite, CU_InitializeFunc init, CU_CleanupFunc cleanup,
	     const struct unit_test *tests, size_t n);

#endif /* IBVMIG_TEST_UNIT_H */
