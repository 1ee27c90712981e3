/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agent_chan.h - private to ibvmigd's channel thread: its connections
 * (agent_chan.c: sockets, framing, queues) and what the messages mean
 * (agent_dispatch.c: the VM channel's requests, Algorithm 2's forwarding).
 * Everything here belongs to the channel thread alone.
 */
#ifndef IBVMIG_AGENT_CHAN_H
#define IBVMIG_AGENT_CHAN_H

#include "agent.h"

/* One accepted connection: a VM (Unix or vsock) or the host CLI. */
struct conn {
	int fd;
	uint64_t serial;		/* unique for the agent's life: replies find it by this */
	bool host;			/* came in on the admin socket: host requests allowed */
	uint32_t cid;			/* AF_VSOCK peer, 0 on a Unix socket */
	int vm;				/* table id once its HELLO is accepted, else -1 */
	bool closing;			/* close once the queue is flushed */
	bool dead;			/* closed: swept at the end of the round */
	unsigned jobs;			/* requests waiting for the SA thread */
	uint8_t *in;			/* bytes received, a message being framed */
	size_t in_len, in_cap;
	uint8_t *out;			/* bytes to send: out[out_off .. out_len) */
	size_t out_off, out_len, out_cap;
};

/* Per-VM baseline: how many copies of one notice came in so far. */
struct copy_count {
	uint16_t trap;
	uint32_t epoch;
	uint64_t seq, vguid;
	unsigned copies;
	bool repeat;			/* the first copy was a repeat: so are the others */
};

#define COPY_SLOTS 64
#define JOBS_PER_CONN 64		/* requests one connection may have at the SA thread */

struct chan {
	struct agent *a;
	struct at_table *table;
	struct conn **conns;
	size_t n_conns, cap_conns;
	uint64_t next_serial;
	struct conn **by_vm;		/* the connection of each table id, or NULL */
	bool *configured;		/* added by VM_ADD: kept when its connection ends */
	int *ids;			/* scratch for at_fanout(): max_vms of them */
	struct copy_count copies[COPY_SLOTS];
	unsigned copies_next;
	/* counters */
	uint64_t notices;		/* RePath/UnPath Reports handed over by the SA thread */
	uint64_t forwarded;		/* NOTICE messages queued to VMs */
	uint64_t missed;		/* ...that had no connection to go to */
	uint64_t slow_drops;		/* connections closed for a full queue */
	uint64_t repeats;		/* RePaths not forwarded: repeats (at_notice_repeats) */
	uint64_t pushed;		/* path-update and path-gone messages queued to VMs */
};

/* agent_chan.c */
/* Queues a whole message on @c (and tries to send it); false when @c was dropped. */
bool chan_send(struct chan *ch, struct conn *c, const uint8_t *buf, size_t len);
/* Encodes @m and sends it; false when @c was dropped or @m could not be encoded. */
bool chan_send_msg(struct chan *ch, struct conn *c, const struct ibvmig_vmc_msg *m);
/* An error reply to request @type/@id: the status of @err, and @text. */
void chan_send_error(struct chan *ch, struct conn *c, uint8_t type, uint32_t id, int err,
		     const char *text);
void chan_close(struct chan *ch, struct conn *c, const char *why);
struct conn *chan_find_serial(struct chan *ch, uint64_t serial);

/* agent_dispatch.c */
/* One decoded request from @c. */
void dispatch_request(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m);
/* Everything the SA thread handed over. */
void dispatch_events(struct chan *ch, struct agent_item *list);
/* @c is going away: its VM, if HELLO made it, goes too. */
void dispatch_conn_gone(struct chan *ch, struct conn *c);

#endif /* IBVMIG_AGENT_CHAN_H */
