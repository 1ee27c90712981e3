// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - the logger of ibvmig's programs (the plugin writes to OpenSM's log
 * instead).  Process-wide, like syslog's openlog(): a program has one name.
 */
#include "ibvmig_util.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static char log_tag[48] = "ibvmig";
static atomic_int log_level = UTIL_LOG_ERROR;

void util_log_init(const char *tag, int level)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
	atomic_store(&log_level, level);
}

int util_log_level(void)
{
	return atomic_load(&log_level);
}

void util_log(int level, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n;

	if (level > atomic_load(&log_level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ld %s: ", ts.tv_nsec / 1000000,
			      log_tag);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
