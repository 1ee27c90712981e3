// SPDX-License-Identifier: BSD-2-Clause
/*
 * worker.c - the plugin's own thread: the admin socket, the debounced saves
 * of the trap table and the reconciles that SUBNET_UP asks for.  Nothing here
 * runs on an OpenSM thread, so a slow client or a slow disk never stalls the
 * SM.  Log codes of this file: 06xx.
 */
#include <opensm/osm_config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plugin.h"

/* A client gets this long to send its request and to take the answer. */
#define ADMIN_IO_TIMEOUT_MS 2000

void ibvmig_worker_wake(struct ibvmig_plugin *p)
{
	uint64_t one = 1;

	if (p->wake_fd >= 0 && write(p->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the worker is awake already. */
	}
}

static int admin_listen(struct ibvmig_plugin *p)
{
	const char *path = p->conf.admin_socket;
	int fd = util_unix_listen(path, p->conf.admin_socket_mode, 16);

	if (fd < 0) {
		IBVMIG_ERROR(p, "ERR 0601: admin socket %s: %s: `ibvmig` will not reach this SM\n",
			     path, fd == -EEXIST ? "exists and is not a socket" :
			     fd == -EADDRINUSE ? "another process serves it" : strerror(-fd));
		return fd;
	}
	p->listen_fd = fd;
	return 0;
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

static void admin_serve(struct ibvmig_plugin *p, int fd)
{
	struct ibvmig_admin_request req;
	struct ibvmig_admin_header h = { 0 };
	uint8_t *msg = NULL;
	size_t len = 0;
	int status;

	status = admin_read_request(fd, &h, &req);
	pthread_mutex_lock(&p->lock);
	p->counters.admin_requests++;
	if (status)
		p->counters.admin_errors++;
	pthread_mutex_unlock(&p->lock);
	if (status < 0)
		return;
	if (status) {
		IBVMIG_VERBOSE(p, "admin request refused: %s\n", ibvmig_admin_status_text(status));
		send_status_only(fd, h.op, (uint16_t)status);
		return;
	}
	if (ibvmig_admin_answer(p, &req, &msg, &len)) {
		send_status_only(fd, req.op, IBVMIG_ADMIN_E_INTERNAL);
		return;
	}
	util_write_all(fd, msg, len, ADMIN_IO_TIMEOUT_MS);
	free(msg);
}

static void admin_accept(struct ibvmig_plugin *p)
{
	int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	admin_serve(p, fd);
	close(fd);
}

/* How long the worker may sleep before a save falls due. */
static int next_timeout(struct ibvmig_plugin *p, uint64_t *dirty_since)
{
	bool dirty;

	pthread_mutex_lock(&p->lock);
	dirty = ibvmig_unsaved_changes(p) != 0;
	pthread_mutex_unlock(&p->lock);
	if (!dirty) {
		*dirty_since = 0;
		return -1;
	}
	if (!*dirty_since)
		*dirty_since = util_wall_ms();
	return (int)p->conf.save_delay_ms;
}

static void *worker_main(void *arg)
{
	struct ibvmig_plugin *p = arg;
	uint64_t dirty_since = 0, count;
	struct pollfd fds[2];

	while (!atomic_load(&p->stopping)) {
		int timeout = next_timeout(p, &dirty_since), n;

		fds[0] = (struct pollfd){ .fd = p->wake_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = p->listen_fd, .events = POLLIN };
		n = poll(fds, p->listen_fd >= 0 ? 2 : 1, timeout);
		if (n > 0 && (fds[0].revents & POLLIN) &&
		    read(p->wake_fd, &count, sizeof(count)) != sizeof(count)) {
			/* Non-blocking: a concurrent wake-up may have emptied it. */
		}
		if (n > 0 && p->listen_fd >= 0 && (fds[1].revents & POLLIN))
			admin_accept(p);
		if (atomic_load(&p->subnet_up) && atomic_exchange(&p->reconcile_wanted, false))
			ibvmig_reconcile(p);
		if (dirty_since && util_wall_ms() - dirty_since >= p->conf.save_delay_ms) {
			ibvmig_state_save(p);
			dirty_since = 0;
		}
	}
	ibvmig_state_save(p);
	return NULL;
}

int ibvmig_worker_start(struct ibvmig_plugin *p)
{
	int rc;

	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->wake_fd < 0) {
		IBVMIG_ERROR(p, "ERR 0602: eventfd: %s\n", strerror(errno));
		return -1;
	}
	admin_listen(p);	/* without it the plugin still does its main job */
	rc = pthread_create(&p->worker, NULL, worker_main, p);
	if (rc) {
		IBVMIG_ERROR(p, "ERR 0603: cannot start the worker thread: %s\n", strerror(rc));
		ibvmig_worker_stop(p);
		return -1;
	}
	p->worker_started = true;
	return 0;
}

void ibvmig_worker_stop(struct ibvmig_plugin *p)
{
	atomic_store(&p->stopping, true);
	if (p->worker_started) {
		ibvmig_worker_wake(p);
		pthread_join(p->worker, NULL);
		p->worker_started = false;
	}
	if (p->listen_fd >= 0) {
		close(p->listen_fd);
		unlink(p->conf.admin_socket);
		p->listen_fd = -1;
	}
	if (p->wake_fd >= 0) {
		close(p->wake_fd);
		p->wake_fd = -1;
	}
}
