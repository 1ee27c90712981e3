/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * admin_server.h - private to libibvmig-engine: the admin socket's
 * connections (doc/admin-protocol.md), served together from the worker's one
 * poll loop.  Every descriptor is non-blocking and every connection has its
 * deadlines, so that no client - idle, slow, or one of many - holds another
 * client, a save or a reconcile.
 *
 * LIMITS.  ENG_ADMIN_CONNS_MAX connections at once; when they are all taken,
 * a new one evicts the one that has waited longest for its request, or is
 * closed at once when all of them are being answered.  One request per
 * connection, its body at most IBVMIG_ADMIN_REQUEST_BODY_MAX bytes;
 * ENG_ADMIN_REQUEST_MS from the accept to the whole request; the answer must
 * make progress every ENG_ADMIN_STALL_MS and the whole connection end within
 * ENG_ADMIN_LIFE_MS.  A connection past a deadline is closed and counted as
 * an admin error.
 *
 * THREADS: the worker's alone; the functions take e->lock only to count.
 */
#ifndef IBVMIG_ADMIN_SERVER_H
#define IBVMIG_ADMIN_SERVER_H

#include "ibvmig_admin.h"

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENG_ADMIN_CONNS_MAX 32
#define ENG_ADMIN_REQUEST_MS 2000
#define ENG_ADMIN_STALL_MS 2000
#define ENG_ADMIN_LIFE_MS 30000

struct eng_admin_conn {
	int fd;				/* -1: a free slot */
	bool answering;			/* the request is in; out holds the answer */
	uint8_t in[IBVMIG_ADMIN_HEADER_LEN + IBVMIG_ADMIN_REQUEST_BODY_MAX];
	size_t in_len, in_want;		/* the header first, then the header and its body */
	uint8_t *out;			/* malloc'ed, the conn's */
	size_t out_len, out_off;
	uint64_t born_ms, deadline_ms;	/* monotonic */
};

struct eng_admin {
	int listen_fd;			/* -1 when the socket could not be made */
	uint64_t accept_paused_until;	/* monotonic ms; after accept() ran out of something */
	int accept_error;		/* the errno last logged for accept(), 0 */
	struct eng_admin_conn conns[ENG_ADMIN_CONNS_MAX];
};

struct eng_engine;

/* No socket, no connection. */
void eng_admin_init(struct eng_admin *a);

/*
 * The listening socket and every connection, as ENG_ADMIN_POLLFDS pollfds
 * from @fds on (unused ones have fd -1, which poll() skips).
 */
#define ENG_ADMIN_POLLFDS (1 + ENG_ADMIN_CONNS_MAX)
void eng_admin_pollfds(struct eng_engine *e, struct pollfd *fds);

/* Milliseconds until the first connection's deadline, or -1 for none. */
int eng_admin_timeout(const struct eng_engine *e, uint64_t now_ms);

/* Serves what poll() found in @fds (from eng_admin_pollfds), and the deadlines. */
void eng_admin_serve(struct eng_engine *e, const struct pollfd *fds);

/* Closes every connection (not the listening socket). */
void eng_admin_close_all(struct eng_engine *e);

#endif /* IBVMIG_ADMIN_SERVER_H */
