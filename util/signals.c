// SPDX-License-Identifier: BSD-2-Clause
/*
 * signals.c - how a daemon of ibvmig (ibvmigd, ibvmig-smx) waits for its end:
 * its main thread sigwait()s, every other thread has the signals blocked, and
 * a thread that must stop the program wakes the main thread with SIGUSR2.
 */
#include "ibvmig_util.h"

#include <signal.h>

void util_signals_block(struct util_signals *sg)
{
	sigemptyset(&sg->set);
	sigaddset(&sg->set, SIGTERM);
	sigaddset(&sg->set, SIGINT);
	sigaddset(&sg->set, SIGHUP);
	sigaddset(&sg->set, SIGUSR2);
	/* Inherited by every thread started later: only sigwait() takes them. */
	pthread_sigmask(SIG_BLOCK, &sg->set, NULL);
	/* A peer gone mid-write (a VM, an admin client) is an EPIPE, not a death. */
	signal(SIGPIPE, SIG_IGN);
	sg->main = pthread_self();
}

void util_signals_wake(const struct util_signals *sg)
{
	pthread_kill(sg->main, SIGUSR2);
}

int util_signals_wait(const struct util_signals *sg, atomic_bool *stop)
{
	int sig;

	for (;;) {
		if (sigwait(&sg->set, &sig))
			continue;
		if (sig == SIGHUP)
			continue;
		/* A SIGUSR2 from outside, with nobody asking to stop, is nobody's. */
		if (sig != SIGUSR2 || atomic_load(stop))
			return sig;
	}
}
