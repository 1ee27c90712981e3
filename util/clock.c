// SPDX-License-Identifier: BSD-2-Clause
/* clock.c - the one place that reads the clocks. */
#include "ibvmig_util.h"

#include <time.h>

static uint64_t read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t util_wall_ms(void)
{
	return read_ns(CLOCK_REALTIME) / 1000000u;
}

uint64_t util_wall_ns(void)
{
	return read_ns(CLOCK_REALTIME);
}

uint64_t util_wall_us(void)
{
	return read_ns(CLOCK_REALTIME) / 1000u;
}

uint64_t util_mono_ms(void)
{
	return read_ns(CLOCK_MONOTONIC) / 1000000u;
}

uint64_t util_mono_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}
