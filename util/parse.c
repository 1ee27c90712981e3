// SPDX-License-Identifier: BSD-2-Clause
/* parse.c - strict parsing of the numbers, GUIDs and names users type. */
#include "ibvmig_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int util_parse_uint(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull skips leading space and takes a sign: refuse both ourselves. */
	if (!s || !isxdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int util_parse_guid(const char *s, uint64_t *out)
{
	return util_parse_uint(s, 0, 1, UINT64_MAX, out);
}

int util_copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (!n)
		return -EINVAL;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}
