// SPDX-License-Identifier: BSD-2-Clause
/*
 * worker.c - the engine's own thread: the admin socket, the debounced saves
 * of the trap table and the reconciles that the subnet's coming up asks
 * for.  Nothing here runs on a thread of the SM's, so a slow client or a
 * slow disk never stalls the SM.  Log codes of this file: D3xx
 * (doc/log-codes.md).
 */
#include "engine_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A client gets this long to send its request and to take the answer. */
#define ADMIN_IO_TIMEOUT_MS 2000

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
	e->listen_fd = fd;
}

static int send_status_only(int fd, uint8_t op, uint16_t status)
{
	uint8_t hdr[IBVMIG_ADMIN_HEADER_LEN];
	struct ibvmig_admin_header h = { .op = op, .status = status };

	ibvmig_admin_encode_header(&h, hdr);
	return util_write_all(fd, hdr, sizeof(hdr), ADMIN_IO_TIMEOUT_MS);
}

/* Read one request; returns 0 and @req, or a status to answer, or < 0 to hang up. */
static int admin_read_request(int fd, struct ibvmig_admin_header *h,
			      struct ibvmig_admin_request *req)
{
	uint8_t hdr[IBVMIG_ADMIN_HEADER_LEN], body[IBVMIG_ADMIN_REQUEST_BODY_MAX];
	int status;

	if (util_read_all(fd, hdr, sizeof(hdr), ADMIN_IO_TIMEOUT_MS))
		return -1;
	status = ibvmig_admin_decode_header(hdr, h);
	if (status)
		return status;
	/* Never read an oversized body: answer and hang up. */
	if (h->length > IBVMIG_ADMIN_REQUEST_BODY_MAX)
		return IBVMIG_ADMIN_E_LENGTH;
	if (util_read_all(fd, body, h->length, ADMIN_IO_TIMEOUT_MS))
		return -1;
	return ibvmig_admin_decode_request(h, body, req);
}

static void admin_serve(struct eng_engine *e, int fd)
{
	struct ibvmig_admin_request req;
	struct ibvmig_admin_header h = { 0 };
	uint8_t *msg = NULL;
	size_t len = 0;
	int status;

	status = admin_read_request(fd, &h, &req);
	pthread_mutex_lock(&e->lock);
	e->counters.admin_requests++;
	if (status)
		e->counters.admin_errors++;
	pthread_mutex_unlock(&e->lock);
	if (status < 0)
		return;
	if (status) {
		ENG_VERBOSE(e, "admin request refused: %s", ibvmig_admin_status_text(status));
		send_status_only(fd, h.op, (uint16_t)status);
		return;
	}
	if (eng_admin_answer(e, &req, &msg, &len)) {
		send_status_only(fd, req.op, IBVMIG_ADMIN_E_INTERNAL);
		return;
	}
	util_write_all(fd, msg, len, ADMIN_IO_TIMEOUT_MS);
	free(msg);
}

static void admin_accept(struct eng_engine *e)
{
	int fd = accept4(e->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	admin_serve(e, fd);
	close(fd);
}

/* How long the worker may sleep before a save falls due. */
static int next_timeout(struct eng_engine *e, uint64_t *dirty_since)
{
	bool dirty;

	pthread_mutex_lock(&e->lock);
	dirty = eng_unsaved_changes(e) != 0;
	pthread_mutex_unlock(&e->lock);
	if (!dirty) {
		*dirty_since = 0;
		return -1;
	}
	if (!*dirty_since)
		*dirty_since = util_wall_ms();
	return (int)e->conf.save_delay_ms;
}

static void *worker_main(void *arg)
{
	struct eng_engine *e = arg;
	uint64_t dirty_since = 0, count;
	struct pollfd fds[2];

	while (!atomic_load(&e->stopping)) {
		int timeout = next_timeout(e, &dirty_since), n;

		fds[0] = (struct pollfd){ .fd = e->wake_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = e->listen_fd, .events = POLLIN };
		n = poll(fds, e->listen_fd >= 0 ? 2 : 1, timeout);
		if (n > 0 && (fds[0].revents & POLLIN) &&
		    read(e->wake_fd, &count, sizeof(count)) != sizeof(count)) {
			/* Non-blocking: a concurrent wake-up may have emptied it. */
		}
		if (n > 0 && e->listen_fd >= 0 && (fds[1].revents & POLLIN))
			admin_accept(e);
		if (atomic_load(&e->subnet_up) && atomic_exchange(&e->reconcile_wanted, false))
			eng_reconcile(e);
		if (dirty_since && util_wall_ms() - dirty_since >= e->conf.save_delay_ms) {
			eng_save(e);
			dirty_since = 0;
		}
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
	if (e->listen_fd >= 0) {
		close(e->listen_fd);
		unlink(e->conf.admin_socket);
		e->listen_fd = -1;
	}
}
