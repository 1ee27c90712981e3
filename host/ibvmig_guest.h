/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_guest.h - libibvmig-guest, what a guest application links so that
 * its paths to peers stay right while those peers migrate (doc/guest.md,
 * ibvmig_guest(3)).
 *
 * A handle is one connection to the hypervisor agent's VM channel
 * (doc/vm-channel.md: a Unix socket, or AF_VSOCK from inside a guest) and
 * one path cache (ibvmig_path_cache.h).  The application says which peers
 * it wants paths to (ibvmig_guest_want): the handle registers its interest
 * with the agent, asks for each path, and keeps asking while one is missing.
 * The agent forwards the RePath/UnPath notices about those peers; the handle
 * applies them to the cache in order.  When notices may have been lost, the
 * agent re-validates the peers' paths with the SA and pushes the answers
 * (doc/vm-channel.md, path-update and path-gone): the handle caches a pushed
 * path as an SA answer, and suspends the entry of a peer the SA has no path
 * to (as an UnPath would: its RePath resumes it).  ibvmig_guest_resolve() then answers
 * from the cache: a path to use, "retry" while a peer is between two ports,
 * or "not yet".
 *
 * The handle does no I/O of its own accord: the application polls
 * ibvmig_guest_fd() for POLLIN and calls ibvmig_guest_process() when it is
 * readable, and at least every retry period, with its own monotonic time.
 * What happens is told to an optional event callback, from inside
 * ibvmig_guest_process() (and open and want, for the requests they send).
 *
 * ERRORS: functions return 0 (or a result) or a negative errno value; none
 * prints or exits.  -ENOTCONN once the channel has ended (the GONE event
 * says why): close the handle and open another.
 * THREAD SAFETY: a handle is not locked; every call on one handle must be
 * serialised by the caller, and the callback must not call the handle.
 * Distinct handles are independent.
 */
#ifndef IBVMIG_GUEST_H
#define IBVMIG_GUEST_H

#include "ibvmig_notice.h"
#include "ibvmig_path.h"
#include "ibvmig_path_cache.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IBVMIG_GUEST_PEERS_MAX 4096	/* the agent's default interests per VM */

struct ibvmig_guest;

struct ibvmig_guest_config {
	const char *socket;		/* the agent's VM socket; NULL: AF_VSOCK */
	uint32_t vsock_cid;		/* AF_VSOCK: the host's context id (2) */
	uint32_t vsock_port;		/* ...and the agent's port (ibvmigd --vsock) */
	const char *name;		/* the VM's name: 1..63 printable ASCII */
	uint64_t vguid;			/* the vGUID the VM owns; 0: none */
	struct ibvmig_pc_config cache;	/* capacity 0: 1024 */
	unsigned retry_ms;		/* a missing path is asked again after this; 0: 1000 */
	unsigned connect_timeout_ms;	/* wait this long for the agent's socket; 0: try once */
};

enum ibvmig_guest_event_type {
	IBVMIG_GUEST_READY,		/* the agent answered the hello */
	IBVMIG_GUEST_PATH,		/* a path the agent resolved is cached */
	IBVMIG_GUEST_NOTICE,		/* a RePath/UnPath reached the cache */
	IBVMIG_GUEST_ERROR,		/* the agent refused a request, or sent garbage */
	IBVMIG_GUEST_GONE,		/* the channel ended; the handle is done */
	IBVMIG_GUEST_PATH_PUSHED,	/* the agent re-validated a path: cached as an SA answer */
	IBVMIG_GUEST_PATH_GONE,		/* ...and found none: the entry suspended */
};

/* What the callback is told; pointers are valid during the call only. */
struct ibvmig_guest_event {
	enum ibvmig_guest_event_type type;
	uint64_t peer;			/* PATH*, NOTICE, ERROR of a path query: the peer */
	/* READY: the agent's port */
	uint16_t agent_lid;
	uint64_t agent_port_guid;
	uint64_t subnet_prefix;
	/* PATH, PATH_PUSHED */
	const struct ibvmig_sa_path *path;
	bool stamped;			/* the agent had a notice stamp for the peer (PATH_GONE too) */
	/* NOTICE */
	uint16_t trap;			/* IBVMIG_TRAP_UNPATH or IBVMIG_TRAP_REPATH */
	const struct ibvmig_path_notice *notice;
	int result;			/* enum ibvmig_pc_notice_result, or < 0: refused */
	/* ERROR, GONE */
	const char *request;		/* ERROR: the request refused ("path-query"), or NULL */
	uint16_t status;		/* ERROR: the VM channel status, 0 for garbage */
	const char *text;		/* what happened */
};

typedef void (*ibvmig_guest_event_fn)(void *ctx, const struct ibvmig_guest_event *ev);

/*
 * Connects to the agent (waiting up to cfg->connect_timeout_ms for its
 * socket) and says hello.  *@out is the handle, which the caller frees with
 * ibvmig_guest_close(); NULL on error: -EINVAL (bad config), -ENOMEM, or
 * the connect's error (-ENOENT, -ECONNREFUSED: no agent).
 */
int ibvmig_guest_open(const struct ibvmig_guest_config *cfg, ibvmig_guest_event_fn fn,
		      void *ctx, struct ibvmig_guest **out);
/* Says bye (best effort), closes the channel, frees @g and its cache.  NULL is fine. */
void ibvmig_guest_close(struct ibvmig_guest *g);

/* The descriptor to poll for POLLIN; -1 once gone. */
int ibvmig_guest_fd(const struct ibvmig_guest *g);
/* True once the agent answered the hello (READY). */
bool ibvmig_guest_ready(const struct ibvmig_guest *g);
/* The subnet prefix of the peers' vGIDs, from the hello's answer (0 before). */
uint64_t ibvmig_guest_subnet_prefix(const struct ibvmig_guest *g);

/*
 * Wants a path to the peer of vGUID @peer (same subnet): registers the
 * interest with the agent (now, or once ready); the next
 * ibvmig_guest_process() asks for the path.
 * 0 (also when already wanted), -EINVAL for 0, -ENOSPC past
 * IBVMIG_GUEST_PEERS_MAX, -ENOMEM, -ENOTCONN.
 */
int ibvmig_guest_want(struct ibvmig_guest *g, uint64_t peer);

/*
 * Reads what the agent sent (never blocks), applies notices and answers,
 * asks again for the missing paths whose retry time has come.  @now_ms is a
 * monotonic clock.  0, or -ENOTCONN once gone.
 */
int ibvmig_guest_process(struct ibvmig_guest *g, uint64_t now_ms);

/*
 * The path to @peer from the cache: 0 and @out (may be NULL) when usable;
 * -EAGAIN while an UnPath suspends it (the peer is between two ports: retry,
 * and do not use the old LID) or the answer is still to come; -ENOENT for a
 * peer not wanted.
 */
int ibvmig_guest_resolve(struct ibvmig_guest *g, uint64_t peer, uint64_t now_ms,
			 struct ibvmig_sa_path *out);

/* The handle's cache, for snapshots and statistics; owned by the handle. */
struct ibvmig_pc_cache *ibvmig_guest_cache(struct ibvmig_guest *g);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_GUEST_H */
