// SPDX-License-Identifier: BSD-2-Clause
#include "unit.h"

#include <CUnit/Basic.h>

int unit_run(const char *suite_name, CU_InitializeFunc init, CU_CleanupFunc cleanup,
	     const struct unit_test *tests, size_t n)
{
	unsigned failed;
	CU_pSuite suite;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite(suite_name, init, cleanup);
	if (!suite)
		goto fail;
	for (i = 0; i < n; i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	/* A suite whose init or cleanup failed ran nothing: that is a failure. */
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 2;
}
