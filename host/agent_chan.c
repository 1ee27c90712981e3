// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_chan.c - ibvmigd's channel thread: the VM socket (Unix, and AF_VSOCK
 * for real guests), the host CLI's socket, and their connections.
 *
 * Every socket is non-blocking and every connection has its own output
 * queue, at most opts.vm_queue bytes: a VM that reads slowly or not at all
 * fills its own queue and is then dropped (counted, logged), and never
 * delays another VM's notices or the SA thread.  A stream that breaks the
 * protocol gets one error reply and is closed (vm-channel.md: a stream cannot
 * be resynchronised).  The thread polls real descriptors only (the port is
 * the SA thread's, agent.h), with a one-second bound to see the stop flag.
 */
#include "agent_chan.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define IN_START 4096		/* input buffers grow to IBVMIG_VMC_MSG_MAX */
#define MAX_EXTRA_CONNS 32	/* connections beyond max_vms: the CLI, late VMs */
#define POLL_MS 1000

/* ---- listeners ----------------------------------------------------------------------------- */

/*
 * True when something answers at @path: a live agent's socket is never taken
 * over; a dead one's file (ECONNREFUSED) is removed.
 */
static int listen_unix(const char *path, unsigned mode)
{
	int fd = util_unix_listen(path, mode, 64);

	if (fd == -EADDRINUSE)
		util_log(UTIL_LOG_ERROR, "ERR EA01: %s: another agent serves this socket", path);
	else if (fd == -EEXIST)
		util_log(UTIL_LOG_ERROR, "ERR EA02: %s: exists and is not a socket", path);
	else if (fd < 0)
		util_log(UTIL_LOG_ERROR, "ERR EA03: %s: %s", path, strerror(-fd));
	return fd;
}

static int listen_vsock(int port)
{
	struct sockaddr_vm svm = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				   .svm_port = (unsigned)port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&svm, sizeof(svm)) || listen(fd, 64)) {
		int rc = -errno;

		util_log(UTIL_LOG_ERROR, "ERR EA04: AF_VSOCK port %d: %s", port, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

int agent_chan_listen(struct agent *a)
{
	mode_t old = umask(0177);	/* the socket file is born 0600, chmod then opens it */

	a->vm_fd = listen_unix(a->opts.vm_socket, a->opts.socket_mode);
	if (a->vm_fd >= 0)
		a->admin_fd = listen_unix(a->opts.admin_socket, a->opts.socket_mode);
	umask(old);
	if (a->vm_fd < 0 || a->admin_fd < 0)
		return a->vm_fd < 0 ? a->vm_fd : a->admin_fd;
	if (a->opts.vsock_port >= 0) {
		a->vsock_fd = listen_vsock(a->opts.vsock_port);
		if (a->vsock_fd < 0)
			return a->vsock_fd;
	}
	return 0;
}

static void close_listener(int *fd, const char *path)
{
	if (*fd < 0)
		return;
	close(*fd);
	*fd = -1;
	if (path)
		unlink(path);	/* ours: we bound it, and nobody takes over a live one */
}

void agent_chan_close_listeners(struct agent *a)
{
	close_listener(&a->vm_fd, a->opts.vm_socket);
	close_listener(&a->admin_fd, a->opts.admin_socket);
	close_listener(&a->vsock_fd, NULL);
}

/* ---- connections --------------------------------------------------------------------------- */

static struct conn *conn_new(struct chan *ch, int fd, bool host, uint32_t cid)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct conn **grown;

	if (c && ch->n_conns == ch->cap_conns) {
		grown = realloc(ch->conns, (ch->cap_conns * 2 + 8) * sizeof(*grown));
		if (!grown) {
			free(c);
			return NULL;
		}
		ch->conns = grown;
		ch->cap_conns = ch->cap_conns * 2 + 8;
	}
	if (!c || !(c->in = malloc(IN_START))) {
		free(c);
		return NULL;
	}
	c->in_cap = IN_START;
	c->fd = fd;
	c->host = host;
	c->cid = cid;
	c->vm = -1;
	c->serial = ++ch->next_serial;
	ch->conns[ch->n_conns++] = c;
	return c;
}

void chan_close(struct chan *ch, struct conn *c, const char *why)
{
	if (c->dead)
		return;
	util_log(why ? UTIL_LOG_VERBOSE : UTIL_LOG_DEBUG, "connection %" PRIu64 " closed%s%s",
		 c->serial, why ? ": " : "", why ? why : "");
	dispatch_conn_gone(ch, c);
	close(c->fd);
	c->dead = true;
}

/* Frees the connections closed this round. */
static void sweep(struct chan *ch)
{
	size_t i = 0;

	while (i < ch->n_conns) {
		struct conn *c = ch->conns[i];

		if (!c->dead) {
			i++;
			continue;
		}
		free(c->in);
		free(c->out);
		free(c);
		ch->conns[i] = ch->conns[--ch->n_conns];
	}
}

struct conn *chan_find_serial(struct chan *ch, uint64_t serial)
{
	size_t i;

	for (i = 0; i < ch->n_conns; i++)
		if (ch->conns[i]->serial == serial && !ch->conns[i]->dead)
			return ch->conns[i];
	return NULL;
}

static void accept_one(struct chan *ch, int lfd, bool host)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint32_t cid = 0;
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			util_log(UTIL_LOG_ERROR, "ERR EA05: accept: %s", strerror(errno));
		return;
	}
	if (ss.ss_family == AF_VSOCK)
		cid = ((struct sockaddr_vm *)&ss)->svm_cid;
	if (ch->n_conns >= ch->a->opts.limits.max_vms + MAX_EXTRA_CONNS) {
		util_log(UTIL_LOG_ERROR, "ERR EA06: too many connections: one refused");
		close(fd);
		return;
	}
	if (ch->a->opts.vm_sndbuf)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &ch->a->opts.vm_sndbuf,
			   sizeof(ch->a->opts.vm_sndbuf));
	if (!conn_new(ch, fd, host, cid)) {
		util_log(UTIL_LOG_ERROR, "ERR EA07: out of memory: a connection refused");
		close(fd);
	}
}

/* ---- output ------------------------------------------------------------------------------- */

static void flush(struct chan *ch, struct conn *c)
{
	ssize_t n;

	while (!c->dead && c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			chan_close(ch, c, n < 0 ? strerror(errno) : "peer gone");
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (!c->dead && c->closing && !c->out_len)
		chan_close(ch, c, NULL);
}

static bool make_room(struct conn *c, size_t len)
{
	size_t cap;
	uint8_t *grown;

	if (c->out_off) {	/* compact first: what was sent is gone */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len <= c->out_cap)
		return true;
	for (cap = c->out_cap ? c->out_cap : 4096; cap < c->out_len + len; cap *= 2)
		;
	grown = realloc(c->out, cap);
	if (!grown)
		return false;
	c->out = grown;
	c->out_cap = cap;
	return true;
}

bool chan_send(struct chan *ch, struct conn *c, const uint8_t *buf, size_t len)
{
	size_t queued = c->out_len - c->out_off;

	if (c->dead)
		return false;
	/* One message always fits an empty queue, whatever its size. */
	if (queued && queued + len > ch->a->opts.vm_queue) {
		ch->slow_drops++;
		util_log(UTIL_LOG_ERROR,
			 "ERR EA08: connection %" PRIu64 " (%s) reads too slowly: its queue "
			 "is full (%zu bytes); dropped",
			 c->serial, c->host ? "host CLI" : "a VM", queued);
		chan_close(ch, c, "queue full");
		return false;
	}
	if (!make_room(c, len)) {
		chan_close(ch, c, "out of memory");
		return false;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	flush(ch, c);
	return !c->dead;
}

bool chan_send_msg(struct chan *ch, struct conn *c, const struct ibvmig_vmc_msg *m)
{
	uint8_t *buf;
	size_t len;
	bool ok;
	int rc = ibvmig_vmc_encode(m, &buf, &len);

	if (rc) {
		util_log(UTIL_LOG_ERROR, "ERR EA09: cannot encode a %s message: %s",
			 ibvmig_vmc_type_name(m->type) ?: "?", strerror(-rc));
		return false;
	}
	ok = chan_send(ch, c, buf, len);
	free(buf);
	return ok;
}

void chan_send_error(struct chan *ch, struct conn *c, uint8_t type, uint32_t id, int err,
		     const char *text)
{
	struct ibvmig_vmc_msg m = {
		.type = (uint8_t)(type | IBVMIG_VMC_REPLY),
		.status = ibvmig_vmc_status_from_errno(err),
		.id = id,
		.error = err < 0 && -err <= 4095 ? (uint32_t)-err : 0,
	};

	snprintf(m.text, sizeof(m.text), "%s", text ? text : "");
	chan_send_msg(ch, c, &m);
}

/* ---- input -------------------------------------------------------------------------------- */

/*
 * A stream that is not (or no longer) ours: one error reply, then close
 * (vm-channel.md).  The reply needs the request's type: not our magic, an
 * unknown type or a reply sent to us have none, and the close alone says it.
 */
static void protocol_error(struct chan *ch, struct conn *c, int err)
{
	uint8_t type = 0;
	uint32_t id = 0;

	if (!ibvmig_vmc_peek(c->in, c->in_len, &type, &id) && ibvmig_vmc_type_name(type) &&
	    !(type & IBVMIG_VMC_REPLY) && !ibvmig_vmc_is_unsolicited(type))
		chan_send_error(ch, c, type, id, err, "the stream is closed");
	c->closing = true;
	util_log(UTIL_LOG_VERBOSE, "ERR EA10: connection %" PRIu64 ": %s", c->serial,
		 strerror(-err));
	flush(ch, c);
}

/* Drops the first @used bytes of c->in: the messages handled. */
static void consume(struct conn *c, size_t used)
{
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
}

/* Handles every whole message in c->in; false when the stream is broken. */
static bool take_messages(struct chan *ch, struct conn *c)
{
	struct ibvmig_vmc_msg m;
	size_t need, used = 0;
	int len, rc = 0;

	while (!c->dead && !c->closing) {
		len = ibvmig_vmc_frame(c->in + used, c->in_len - used, &need);
		if (len <= 0) {
			rc = len;
			break;
		}
		rc = ibvmig_vmc_decode(c->in + used, (size_t)len, &m);
		if (rc)
			break;
		dispatch_request(ch, c, &m);
		used += (size_t)len;
	}
	consume(c, used);	/* the bad message, if any, now starts c->in */
	if (rc)
		protocol_error(ch, c, rc);
	return !rc;
}

static void read_conn(struct chan *ch, struct conn *c)
{
	ssize_t n;
	uint8_t *grown;

	if (c->in_len == c->in_cap) {
		if (c->in_cap >= IBVMIG_VMC_MSG_MAX) {	/* framing refuses bigger ones */
			protocol_error(ch, c, -EMSGSIZE);
			return;
		}
		grown = realloc(c->in, c->in_cap * 2);
		if (!grown) {
			chan_close(ch, c, "out of memory");
			return;
		}
		c->in = grown;
		c->in_cap *= 2;
	}
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		chan_close(ch, c, n < 0 ? strerror(errno) : NULL);
		return;
	}
	c->in_len += (size_t)n;
	take_messages(ch, c);
}

/* ---- the loop ----------------------------------------------------------------------------- */

static void drain_wake(struct chan *ch)
{
	char buf[256];

	while (read(ch->a->wake[0], buf, sizeof(buf)) > 0)
		;
	dispatch_events(ch, agent_queue_take(&ch->a->events));
}

/* The poll set: wake pipe, listeners, then the connections in ch->conns order. */
static size_t fill_pollfds(struct chan *ch, struct pollfd *p)
{
	const int listeners[] = { ch->a->vm_fd, ch->a->admin_fd, ch->a->vsock_fd };
	size_t n = 0, i;

	p[n++] = (struct pollfd){ .fd = ch->a->wake[0], .events = POLLIN };
	for (i = 0; i < 3; i++)
		p[n++] = (struct pollfd){ .fd = listeners[i], .events = POLLIN };
	for (i = 0; i < ch->n_conns; i++) {
		struct conn *c = ch->conns[i];

		p[n++] = (struct pollfd){ .fd = c->fd,
					  .events = (short)((c->closing ? 0 : POLLIN) |
							    (c->out_len ? POLLOUT : 0)) };
	}
	return n;
}

static void serve_round(struct chan *ch, struct pollfd *p)
{
	size_t n = fill_pollfds(ch, p), i, conns = ch->n_conns;
	int rc = poll(p, n, POLL_MS);

	if (rc < 0 && errno != EINTR)
		util_log(UTIL_LOG_ERROR, "ERR EA11: poll: %s", strerror(errno));
	if (rc <= 0)
		return;
	if (p[0].revents)
		drain_wake(ch);
	if (p[1].revents & POLLIN)
		accept_one(ch, ch->a->vm_fd, false);
	if (p[2].revents & POLLIN)
		accept_one(ch, ch->a->admin_fd, true);
	if (p[3].revents & POLLIN)
		accept_one(ch, ch->a->vsock_fd, false);
	/* Only the connections polled: accept_one() may have added one at the end. */
	for (i = 0; i < conns; i++) {
		struct conn *c = ch->conns[i];
		short ev = p[4 + i].revents;

		if (ev & POLLOUT)
			flush(ch, c);
		if (!c->dead && (ev & (POLLIN | POLLHUP | POLLERR)))
			read_conn(ch, c);
	}
	sweep(ch);
}

static int chan_init(struct chan *ch, struct agent *a)
{
	unsigned max = a->opts.limits.max_vms;

	memset(ch, 0, sizeof(*ch));
	ch->a = a;
	ch->table = at_create(&a->opts.limits);
	ch->by_vm = calloc(max, sizeof(*ch->by_vm));
	ch->configured = calloc(max, sizeof(*ch->configured));
	ch->ids = calloc(max, sizeof(*ch->ids));
	return ch->table && ch->by_vm && ch->configured && ch->ids ? 0 : -ENOMEM;
}

static void chan_fini(struct chan *ch)
{
	size_t i;

	for (i = 0; i < ch->n_conns; i++)
		if (!ch->conns[i]->dead) {
			close(ch->conns[i]->fd);
			ch->conns[i]->dead = true;
		}
	sweep(ch);
	free(ch->conns);
	at_destroy(ch->table);
	free(ch->by_vm);
	free(ch->configured);
	free(ch->ids);
}

void *agent_chan_thread(void *arg)
{
	struct agent *a = arg;
	struct pollfd *p = NULL;
	size_t cap = 0;
	struct chan ch;

	if (chan_init(&ch, a)) {
		util_log(UTIL_LOG_ERROR, "ERR EA12: out of memory: the channel thread cannot run");
		chan_fini(&ch);
		agent_stop(a);
		return NULL;
	}
	while (!atomic_load(&a->stop)) {
		if (cap < ch.n_conns + 4) {
			cap = ch.n_conns + 4 + 16;
			free(p);
			p = malloc(cap * sizeof(*p));
			if (!p) {
				util_log(UTIL_LOG_ERROR,
					 "ERR EA13: out of memory in the channel thread");
				agent_stop(a);
				break;
			}
		}
		serve_round(&ch, p);
	}
	free(p);
	chan_fini(&ch);
	return NULL;
}
