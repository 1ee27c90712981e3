// SPDX-License-Identifier: BSD-2-Clause
/*
 * worker.c - the engine's own thread: one poll loop for the admin socket's
 * connections (admin_server.c), the debounced saves of the trap table and
 * the reconciles that the subnet's coming up asks for.  Nothing here runs on
 * a thread of the SM's, so a slow client or a slow disk never stalls the SM;
 * and no admin I/O blocks the loop, so no client delays a save.
 * Log codes of this file: D3xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A failed save is tried again after SAVE_RETRY_MIN_MS, then twice as long
 * each time up to SAVE_RETRY_MAX_MS: a full or read-only disk costs one
 * attempt every half minute, not one every save_delay_ms.
 */
#define SAVE_RETRY_MIN_MS 500
#define SAVE_RETRY_MAX_MS 30000

/* When the next save falls due; monotonic ms, the worker's alone. */
struct save_timer {
	uint64_t due_ms;	/* 0: nothing to save */
	uint64_t retry_ms;	/* 0: the last save worked */
};

static void admin_listen(struct eng_engine *e)
{
	const char *path = e->conf.admin_socket;
	int fd = util_unix_listen(path, e->conf.admin_socket_mode, 16);

	if (fd < 0) {
		ENG_ERROR(e, "ERR D301: admin socket %s: %s: `ibvmig` will not reach this SM",
			  path, fd == -EEXIST ? "exists and is not a socket" :
			  fd == -EADDRINUSE ? "another process serves it" : strerror(-fd));
		return;
	}
	e->admin.listen_fd = fd;
}

static bool has_unsaved_changes(struct eng_engine *e)
{
	bool dirty;

	pthread_mutex_lock(&e->lock);
	dirty = eng_unsaved_changes(e) != 0;
	pthread_mutex_unlock(&e->lock);
	return dirty;
}

/* Milliseconds the loop may sleep before a save falls due, or -1. */
static int save_timeout(struct eng_engine *e, struct save_timer *t, uint64_t now)
{
	if (!e->state_file[0] || !has_unsaved_changes(e)) {
		t->due_ms = 0;
		return -1;
	}
	/* The first change since a save starts the timer; later ones ride on it. */
	if (!t->due_ms)
		t->due_ms = now + e->conf.save_delay_ms;
	return t->due_ms > now ? (int)(t->due_ms - now) : 0;
}

static void save_if_due(struct eng_engine *e, struct save_timer *t)
{
	uint64_t now = util_mono_ms();

	if (!t->due_ms || now < t->due_ms)
		return;
	if (!eng_save(e)) {
		*t = (struct save_timer){ 0 };
		return;
	}
	t->retry_ms = t->retry_ms ? t->retry_ms * 2 : SAVE_RETRY_MIN_MS;
	if (t->retry_ms > SAVE_RETRY_MAX_MS)
		t->retry_ms = SAVE_RETRY_MAX_MS;
	if (t->retry_ms < e->conf.save_delay_ms)
		t->retry_ms = e->conf.save_delay_ms;
	t->due_ms = now + t->retry_ms;
}

static int earliest(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Sleeps until an event or @timeout_ms; the wake-ups are consumed. */
static void wait_events(struct eng_engine *e, struct pollfd *fds, size_t n, int timeout_ms)
{
	uint64_t count;
	size_t i;

	if (poll(fds, n, timeout_ms) < 0) {
		for (i = 0; i < n; i++)
			fds[i].revents = 0;
		if (errno != EINTR)
			usleep(10 * 1000);	/* ENOMEM: no reason to spin on it */
		return;
	}
	if ((fds[0].revents & POLLIN) && read(e->wake_fd, &count, sizeof(count)) != sizeof(count)) {
		/* Non-blocking: a concurrent wake-up may have emptied it. */
	}
}

static void *worker_main(void *arg)
{
	struct eng_engine *e = arg;
	struct pollfd fds[1 + ENG_ADMIN_POLLFDS];
	struct save_timer timer = { 0 };

	while (!atomic_load(&e->stopping)) {
		uint64_t now = util_mono_ms();
		int timeout = earliest(save_timeout(e, &timer, now), eng_admin_timeout(e, now));

		fds[0] = (struct pollfd){ .fd = e->wake_fd, .events = POLLIN };
		eng_admin_pollfds(e, fds + 1);
		wait_events(e, fds, sizeof(fds) / sizeof(fds[0]), timeout);
		eng_admin_serve(e, fds + 1);
		/* The previous master's state first: the reconcile judges against it. */
		if (atomic_exchange(&e->takeover_wanted, false))
			eng_state_takeover(e);
		if (atomic_load(&e->subnet_up) && atomic_exchange(&e->reconcile_wanted, false))
			eng_reconcile(e);
		save_if_due(e, &timer);
	}
	return NULL;
}

int eng_worker_start(struct eng_engine *e)
{
	int rc;

	atomic_store(&e->stopping, false);
	admin_listen(e);	/* without it the engine still does its main job */
	rc = pthread_create(&e->worker, NULL, worker_main, e);
	if (rc) {
		ENG_ERROR(e, "ERR D302: cannot start the worker thread: %s", strerror(rc));
		eng_worker_stop(e);
		return -rc;
	}
	e->worker_started = true;
	return 0;
}

void eng_worker_stop(struct eng_engine *e)
{
	atomic_store(&e->stopping, true);
	if (e->worker_started) {
		eng_wake(e);
		pthread_join(e->worker, NULL);
		e->worker_started = false;
	}
	eng_admin_close_all(e);
	if (e->admin.listen_fd >= 0) {
		close(e->admin.listen_fd);
		unlink(e->conf.admin_socket);
		e->admin.listen_fd = -1;
	}
}
