// SPDX-License-Identifier: BSD-2-Clause
/*
 * admin_server.c - the admin socket's connections, many at once, from the
 * worker's poll loop (admin_server.h).  The first server read and answered
 * one connection at a time with blocking I/O and 2 s deadlines: 16 idle
 * connections made `ibvmig status` wait 27.8 s and held the saves behind
 * them.  Here nothing blocks: a connection is a small state machine fed by
 * poll() - read the header, read the body, answer, close - and the loop
 * goes on to the next descriptor, the next save, the next reconcile.
 * Log codes of this file: D7xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* After accept() fails for want of descriptors or memory, the socket rests this long. */
#define ACCEPT_PAUSE_MS 100

void eng_admin_init(struct eng_admin *a)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	a->listen_fd = -1;
	for (i = 0; i < ENG_ADMIN_CONNS_MAX; i++)
		a->conns[i].fd = -1;
}

static void count_request(struct eng_engine *e, bool error)
{
	pthread_mutex_lock(&e->lock);
	e->counters.admin_requests++;
	if (error)
		e->counters.admin_errors++;
	pthread_mutex_unlock(&e->lock);
}

/* Ends a connection; one that never got its whole request counts as a failed one. */
static void conn_close(struct eng_engine *e, struct eng_admin_conn *c, const char *why)
{
	if (!c->answering) {
		count_request(e, true);
		if (why)
			ENG_VERBOSE(e, "admin connection closed before its request: %s", why);
	}
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* An answer being taken: another ENG_ADMIN_STALL_MS, within the connection's life. */
static void conn_progress(struct eng_admin_conn *c, uint64_t now)
{
	c->deadline_ms = now + ENG_ADMIN_STALL_MS;
	if (c->deadline_ms > c->born_ms + ENG_ADMIN_LIFE_MS)
		c->deadline_ms = c->born_ms + ENG_ADMIN_LIFE_MS;
}

/* The answer is @msg (malloc'ed, given to the connection). */
static void conn_answer(struct eng_admin_conn *c, uint8_t *msg, size_t len, uint64_t now)
{
	c->answering = true;
	c->out = msg;
	c->out_len = len;
	c->out_off = 0;
	conn_progress(c, now);
}

static void conn_answer_status(struct eng_admin_conn *c, uint8_t op, uint16_t status,
			       uint64_t now)
{
	struct ibvmig_admin_header h = { .op = op, .status = status };
	uint8_t *msg = malloc(IBVMIG_ADMIN_HEADER_LEN);

	if (msg)
		ibvmig_admin_encode_header(&h, msg);
	conn_answer(c, msg, msg ? IBVMIG_ADMIN_HEADER_LEN : 0, now);
}

/* A whole request is in: count it and make its answer. */
static void conn_request(struct eng_engine *e, struct eng_admin_conn *c,
			 const struct ibvmig_admin_header *h, uint64_t now)
{
	struct ibvmig_admin_request req;
	uint8_t *msg = NULL;
	size_t len = 0;
	int status;

	status = ibvmig_admin_decode_request(h, c->in + IBVMIG_ADMIN_HEADER_LEN, &req);
	count_request(e, status != 0);
	if (status) {
		ENG_VERBOSE(e, "admin request refused: %s", ibvmig_admin_status_text(status));
		conn_answer_status(c, h->op, (uint16_t)status, now);
	} else if (eng_admin_answer(e, &req, &msg, &len)) {
		conn_answer_status(c, req.op, IBVMIG_ADMIN_E_INTERNAL, now);
	} else {
		conn_answer(c, msg, len, now);
	}
}

/* The header is in: an error to answer at once, or the body to wait for. */
static void conn_header(struct eng_engine *e, struct eng_admin_conn *c, uint64_t now)
{
	struct ibvmig_admin_header h;
	int status = ibvmig_admin_decode_header(c->in, &h);

	/* Never read an oversized body: answer and hang up. */
	if (!status && h.length > IBVMIG_ADMIN_REQUEST_BODY_MAX)
		status = IBVMIG_ADMIN_E_LENGTH;
	if (status) {
		count_request(e, true);
		ENG_VERBOSE(e, "admin request refused: %s", ibvmig_admin_status_text(status));
		conn_answer_status(c, h.op, (uint16_t)status, now);
		return;
	}
	c->in_want = IBVMIG_ADMIN_HEADER_LEN + h.length;
	if (c->in_len == c->in_want)
		conn_request(e, c, &h, now);
}

static void conn_read(struct eng_engine *e, struct eng_admin_conn *c, uint64_t now)
{
	struct ibvmig_admin_header h;
	ssize_t r = read(c->fd, c->in + c->in_len, c->in_want - c->in_len);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		conn_close(e, c, r ? strerror(errno) : "the client hung up");
		return;
	}
	c->in_len += (size_t)r;
	if (c->in_len < c->in_want)
		return;
	if (c->in_len == IBVMIG_ADMIN_HEADER_LEN && c->in_want == IBVMIG_ADMIN_HEADER_LEN) {
		conn_header(e, c, now);
		return;
	}
	ibvmig_admin_decode_header(c->in, &h);
	conn_request(e, c, &h, now);
}

static void conn_write(struct eng_engine *e, struct eng_admin_conn *c, uint64_t now)
{
	ssize_t w;

	if (!c->out) {
		conn_close(e, c, NULL);	/* no memory for the answer: the client sees EOF */
		return;
	}
	/* MSG_NOSIGNAL: a client gone is an error here, not a SIGPIPE for the whole SM. */
	w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w < 0 || (c->out_off += (size_t)w) == c->out_len) {
		conn_close(e, c, NULL);
		return;
	}
	conn_progress(c, now);
}

/* The connection that has waited longest for its request, or NULL. */
static struct eng_admin_conn *oldest_reading(struct eng_admin *a)
{
	struct eng_admin_conn *old = NULL;
	size_t i;

	for (i = 0; i < ENG_ADMIN_CONNS_MAX; i++) {
		struct eng_admin_conn *c = &a->conns[i];

		if (c->fd >= 0 && !c->answering && (!old || c->born_ms < old->born_ms))
			old = c;
	}
	return old;
}

/* A slot for a new connection, evicting if all are taken; NULL when none can be had. */
static struct eng_admin_conn *free_slot(struct eng_engine *e)
{
	struct eng_admin *a = &e->admin;
	struct eng_admin_conn *c;
	size_t i;

	for (i = 0; i < ENG_ADMIN_CONNS_MAX; i++)
		if (a->conns[i].fd < 0)
			return &a->conns[i];
	c = oldest_reading(a);
	if (c)
		conn_close(e, c, "evicted: every connection was taken");
	return c;
}

static void accept_failed(struct eng_engine *e, int err, uint64_t now)
{
	if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
		return;
	/* Out of descriptors or memory: poll() would report the socket again at once. */
	e->admin.accept_paused_until = now + ACCEPT_PAUSE_MS;
	if (err != e->admin.accept_error)
		ENG_ERROR(e, "ERR D701: admin socket: accept: %s: new connections wait",
			  strerror(err));
	e->admin.accept_error = err;
}

static void accept_all(struct eng_engine *e, uint64_t now)
{
	struct eng_admin_conn *c;
	int fd, n;

	for (n = 0; n < ENG_ADMIN_CONNS_MAX; n++) {
		fd = accept4(e->admin.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			accept_failed(e, errno, now);
			return;
		}
		e->admin.accept_error = 0;
		c = free_slot(e);
		if (!c) {
			/* Every connection is being answered: this one may try again. */
			close(fd);
			count_request(e, true);
			ENG_VERBOSE(e, "admin connection refused: %d connections being answered",
				    ENG_ADMIN_CONNS_MAX);
			continue;
		}
		c->fd = fd;
		c->in_want = IBVMIG_ADMIN_HEADER_LEN;
		c->born_ms = now;
		c->deadline_ms = now + ENG_ADMIN_REQUEST_MS;
	}
}

void eng_admin_pollfds(struct eng_engine *e, struct pollfd *fds)
{
	const struct eng_admin *a = &e->admin;
	bool resting = util_mono_ms() < e->admin.accept_paused_until;
	size_t i;

	fds[0] = (struct pollfd){ .fd = resting ? -1 : a->listen_fd, .events = POLLIN };
	for (i = 0; i < ENG_ADMIN_CONNS_MAX; i++)
		fds[1 + i] = (struct pollfd){
			.fd = a->conns[i].fd,
			.events = a->conns[i].answering ? POLLOUT : POLLIN,
		};
}

int eng_admin_timeout(const struct eng_engine *e, uint64_t now_ms)
{
	uint64_t paused = e->admin.accept_paused_until, first = paused > now_ms ? paused : 0;
	size_t i;

	for (i = 0; i < ENG_ADMIN_CONNS_MAX; i++) {
		const struct eng_admin_conn *c = &e->admin.conns[i];

		if (c->fd >= 0 && (!first || c->deadline_ms < first))
			first = c->deadline_ms;
	}
	if (!first)
		return -1;
	return first > now_ms ? (int)(first - now_ms) : 0;
}

void eng_admin_serve(struct eng_engine *e, const struct pollfd *fds)
{
	uint64_t now = util_mono_ms();
	size_t i;

	for (i = 0; i < ENG_ADMIN_CONNS_MAX; i++) {
		struct eng_admin_conn *c = &e->admin.conns[i];
		short ev = fds[1 + i].revents;

		if (c->fd < 0 || fds[1 + i].fd != c->fd)
			continue;
		if (ev & (POLLIN | POLLOUT | POLLHUP | POLLERR)) {
			if (c->answering)
				conn_write(e, c, now);
			else
				conn_read(e, c, now);
		}
		if (c->fd >= 0 && now >= c->deadline_ms)
			conn_close(e, c, "its request or its answer is late");
	}
	/* After the connections: a client already connected is served before it could be evicted. */
	if (fds[0].fd >= 0 && (fds[0].revents & POLLIN))
		accept_all(e, now);
}

void eng_admin_close_all(struct eng_engine *e)
{
	size_t i;

	for (i = 0; i < ENG_ADMIN_CONNS_MAX; i++) {
		struct eng_admin_conn *c = &e->admin.conns[i];

		if (c->fd < 0)
			continue;
		close(c->fd);
		free(c->out);
		c->out = NULL;
		c->fd = -1;
	}
}
