// SPDX-License-Identifier: BSD-2-Clause
/*
 * guest.c - libibvmig-guest: a VM's channel to its hypervisor agent and the
 * path cache the agent's notices keep right (ibvmig_guest.h).
 */
#include "ibvmig_guest.h"
#include "ibvmig_util.h"
#include "ibvmig_vmchan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define SEND_TIMEOUT_MS 5000	/* the agent reads promptly: it never blocks on a VM */
#define DEFAULT_RETRY_MS 1000
#define DEFAULT_CAPACITY 1024

/* A peer the VM wants a path to. */
struct want {
	uint64_t guid;
	uint32_t query_id;		/* the PATH_QUERY out, 0: none */
	uint64_t next_query_ms;
};

struct ibvmig_guest {
	int fd;				/* -1 once gone */
	bool ready;			/* the hello answered */
	bool interests_sent;		/* every want registered with the agent so far */
	char name[IBVMIG_VMC_NAME_MAX + 1];
	uint64_t prefix;		/* the subnet's, from the welcome */
	unsigned retry_ms;
	struct ibvmig_pc_cache *cache;
	struct want *wants;
	unsigned n_wants, cap_wants, n_registered;
	uint32_t next_id;
	ibvmig_guest_event_fn fn;
	void *ctx;
	size_t in_len;
	uint8_t in[IBVMIG_VMC_MSG_MAX];
};

static void tell(struct ibvmig_guest *g, const struct ibvmig_guest_event *ev)
{
	if (g->fn)
		g->fn(g->ctx, ev);
}

static void gone(struct ibvmig_guest *g, const char *why)
{
	if (g->fd < 0)
		return;
	close(g->fd);
	g->fd = -1;
	tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_GONE, .text = why });
}

/* ---- sending ------------------------------------------------------------------------------- */

/* A whole message (from @w when given, else encoded from @m); the channel ends on failure. */
static int send_msg(struct ibvmig_guest *g, const struct ibvmig_vmc_msg *m,
		    struct ibvmig_vmc_writer *w)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (g->fd < 0) {
		if (w)
			ibvmig_vmc_writer_discard(w);
		return -ENOTCONN;
	}
	rc = w ? ibvmig_vmc_writer_finish(w, &buf, &len) : ibvmig_vmc_encode(m, &buf, &len);
	if (rc)
		return rc;
	rc = util_write_all(g->fd, buf, len, SEND_TIMEOUT_MS);
	free(buf);
	if (rc) {
		gone(g, strerror(-rc));
		return -ENOTCONN;
	}
	return 0;
}

/* INTEREST_ADD of every want not registered yet, in messages of at most ITEMS_MAX. */
static int send_interests(struct ibvmig_guest *g)
{
	while (g->n_registered < g->n_wants) {
		struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_INTEREST_ADD, .id = ++g->next_id };
		struct ibvmig_vmc_writer w;
		unsigned k;
		int rc;

		ibvmig_vmc_writer_init(&w, &m);
		for (k = 0; k < IBVMIG_VMC_ITEMS_MAX && g->n_registered + k < g->n_wants; k++)
			ibvmig_vmc_put_gid(&w, &(struct ibvmig_vmc_gid){
				g->prefix, g->wants[g->n_registered + k].guid });
		rc = send_msg(g, &m, &w);
		if (rc)
			return rc;
		g->n_registered += k;
	}
	return 0;
}

static int send_query(struct ibvmig_guest *g, struct want *w, uint64_t now_ms)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_PATH_QUERY, .id = ++g->next_id };

	m.query = (struct ibvmig_vmc_gid){ g->prefix, w->guid };
	w->query_id = m.id;
	w->next_query_ms = now_ms + g->retry_ms;
	return send_msg(g, &m, NULL);
}

/* Every wanted peer whose lookup is a MISS is asked for again (not while a query is out). */
static int ask_missing(struct ibvmig_guest *g, uint64_t now_ms)
{
	unsigned i;
	int rc = 0;

	for (i = 0; g->ready && i < g->n_wants && !rc; i++) {
		struct want *w = &g->wants[i];

		/* A query not answered within a retry period is asked again. */
		if (now_ms < w->next_query_ms)
			continue;
		if (ibvmig_pc_lookup(g->cache, g->prefix, w->guid, now_ms, NULL) == IBVMIG_PC_MISS)
			rc = send_query(g, w, now_ms);
		else
			w->query_id = 0;
	}
	return rc;
}

/* ---- what the agent says ------------------------------------------------------------------- */

static struct want *want_of(struct ibvmig_guest *g, uint64_t guid)
{
	unsigned i;

	for (i = 0; i < g->n_wants; i++)
		if (g->wants[i].guid == guid)
			return &g->wants[i];
	return NULL;
}

static struct want *want_of_query(struct ibvmig_guest *g, uint32_t id)
{
	unsigned i;

	for (i = 0; id && i < g->n_wants; i++)
		if (g->wants[i].query_id == id)
			return &g->wants[i];
	return NULL;
}

static void on_welcome(struct ibvmig_guest *g, const struct ibvmig_vmc_msg *m, uint64_t now_ms)
{
	g->ready = true;
	g->prefix = m->welcome.subnet_prefix;
	tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_READY,
					      .agent_lid = m->welcome.lid,
					      .agent_port_guid = m->welcome.port_guid,
					      .subnet_prefix = m->welcome.subnet_prefix });
	if (!send_interests(g))
		ask_missing(g, now_ms);
}

static void on_path(struct ibvmig_guest *g, const struct ibvmig_vmc_msg *m, uint64_t now_ms)
{
	struct want *w = want_of_query(g, m->id);
	struct ibvmig_pc_stamp s = { m->path.epoch, m->path.seq };
	struct ibvmig_sa_path p;

	if (!w)
		return;	/* an answer to a query given up: a newer one is out */
	w->query_id = 0;
	if (m->status) {
		tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_ERROR, .peer = w->guid,
						      .request = "path-query", .status = m->status,
						      .text = m->text });
		return;
	}
	if (ibvmig_vmc_get_path(m, &p) ||
	    ibvmig_pc_insert(g->cache, &p, m->path.stamped ? &s : NULL, now_ms)) {
		tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_ERROR, .peer = w->guid,
						      .request = "path-query",
						      .text = "bad path record" });
		return;
	}
	tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_PATH, .peer = w->guid,
					      .path = &p, .stamped = m->path.stamped });
}

static void on_notice(struct ibvmig_guest *g, const struct ibvmig_vmc_msg *m, uint64_t now_ms)
{
	const struct ibvmig_path_notice *n = &m->notice.n;
	int rc = ibvmig_pc_apply_notice(g->cache, m->notice.trap, n, now_ms);

	tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_NOTICE, .peer = n->vguid,
					      .trap = m->notice.trap, .notice = n,
					      .result = rc });
}

/*
 * A path the agent re-validated (path-update): an SA answer like a path-query
 * reply, stamped the same way, for a peer this VM wants.
 */
static void on_pushed_path(struct ibvmig_guest *g, const struct ibvmig_vmc_msg *m,
			   uint64_t now_ms)
{
	struct ibvmig_pc_stamp s = { m->path.epoch, m->path.seq };
	struct ibvmig_sa_path p;
	struct want *w;

	if (ibvmig_vmc_get_path(m, &p) || !(w = want_of(g, p.dgid_guid)) ||
	    p.dgid_prefix != g->prefix)
		return;	/* not a peer of ours (a VM that dropped it since) */
	if (ibvmig_pc_insert(g->cache, &p, m->path.stamped ? &s : NULL, now_ms)) {
		tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_ERROR, .peer = w->guid,
						      .request = "path-update",
						      .text = "bad path record" });
		return;
	}
	tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_PATH_PUSHED, .peer = w->guid,
					      .path = &p, .stamped = m->path.stamped });
}

/*
 * The SA has no path to the peer now (path-gone): the peer is between two
 * ports, as after an UnPath that never came.  Suspended, not dropped: the
 * RePath that follows resumes it (a dropped entry would ignore it, rule 4 of
 * doc/path-cache.md, and ask the SA again and again meanwhile).
 */
static void on_path_gone(struct ibvmig_guest *g, const struct ibvmig_vmc_msg *m,
			 uint64_t now_ms)
{
	struct ibvmig_pc_stamp s = { m->gone.epoch, m->gone.seq };
	struct want *w = want_of(g, m->gone.gid.guid);

	if (!w || m->gone.gid.prefix != g->prefix)
		return;
	ibvmig_pc_suspend(g->cache, g->prefix, w->guid, m->gone.stamped ? &s : NULL, now_ms);
	tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_PATH_GONE, .peer = w->guid,
					      .stamped = m->gone.stamped });
}

static void on_message(struct ibvmig_guest *g, const struct ibvmig_vmc_msg *m, uint64_t now_ms)
{
	if (m->type == IBVMIG_VMC_NOTICE) {
		on_notice(g, m, now_ms);
	} else if (m->type == IBVMIG_VMC_PATH_UPDATE) {
		on_pushed_path(g, m, now_ms);
	} else if (m->type == IBVMIG_VMC_PATH_GONE) {
		on_path_gone(g, m, now_ms);
	} else if (m->type == (IBVMIG_VMC_PATH_QUERY | IBVMIG_VMC_REPLY)) {
		on_path(g, m, now_ms);
	} else if (m->status) {
		tell(g, &(struct ibvmig_guest_event){ .type = IBVMIG_GUEST_ERROR,
						      .request = ibvmig_vmc_type_name(m->type),
						      .status = m->status, .text = m->text });
		if (m->type == (IBVMIG_VMC_HELLO | IBVMIG_VMC_REPLY))
			gone(g, "hello refused");
	} else if (m->type == (IBVMIG_VMC_HELLO | IBVMIG_VMC_REPLY)) {
		on_welcome(g, m, now_ms);
	}
}

/* Handles every whole message in the input buffer; false when the stream cannot go on. */
static bool handle_input(struct ibvmig_guest *g, uint64_t now_ms)
{
	struct ibvmig_vmc_msg m;
	size_t need, used = 0;
	int len = 0;

	while (g->fd >= 0 &&
	       (len = ibvmig_vmc_frame(g->in + used, g->in_len - used, &need)) > 0) {
		if (ibvmig_vmc_decode(g->in + used, (size_t)len, &m) == 0)
			on_message(g, &m, now_ms);
		else
			tell(g, &(struct ibvmig_guest_event){
				.type = IBVMIG_GUEST_ERROR,
				.text = "undecodable message from the agent" });
		used += (size_t)len;
	}
	if (g->fd < 0)
		return false;
	memmove(g->in, g->in + used, g->in_len - used);
	g->in_len -= used;
	if (len < 0) {
		gone(g, "the agent's stream is not a VM channel");
		return false;
	}
	return true;
}

int ibvmig_guest_process(struct ibvmig_guest *g, uint64_t now_ms)
{
	ssize_t n;

	while (g->fd >= 0) {
		n = recv(g->fd, g->in + g->in_len, sizeof(g->in) - g->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			gone(g, n ? strerror(errno) : "the agent closed the channel");
			break;
		}
		g->in_len += (size_t)n;
		if (!handle_input(g, now_ms))
			break;
	}
	if (g->fd < 0)
		return -ENOTCONN;
	ibvmig_pc_expire(g->cache, now_ms);
	return ask_missing(g, now_ms) == -ENOTCONN ? -ENOTCONN : 0;
}

/* ---- the handle ---------------------------------------------------------------------------- */

static int connect_once(const struct ibvmig_guest_config *cfg)
{
	struct sockaddr_vm svm = { .svm_family = AF_VSOCK, .svm_cid = cfg->vsock_cid,
				   .svm_port = cfg->vsock_port };

	if (cfg->socket)
		return util_unix_connect(cfg->socket);
	return util_stream_connect((struct sockaddr *)&svm, sizeof(svm));
}

/* Retries while nobody listens yet (an agent starting), until the timeout. */
static int connect_agent(const struct ibvmig_guest_config *cfg)
{
	uint64_t deadline = util_mono_ms() + cfg->connect_timeout_ms;
	struct timespec pause = { 0, 50 * 1000000L };
	int fd;

	for (;;) {
		fd = connect_once(cfg);
		if (fd >= 0 || (fd != -ENOENT && fd != -ECONNREFUSED) ||
		    util_mono_ms() >= deadline)
			return fd;
		nanosleep(&pause, NULL);
	}
}

static bool config_ok(const struct ibvmig_guest_config *cfg)
{
	size_t n;

	if (!cfg || !cfg->name)
		return false;
	n = strlen(cfg->name);
	return n >= 1 && n <= IBVMIG_VMC_NAME_MAX;
}

int ibvmig_guest_open(const struct ibvmig_guest_config *cfg, ibvmig_guest_event_fn fn,
		      void *ctx, struct ibvmig_guest **out)
{
	struct ibvmig_pc_config cc;
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_HELLO };
	struct ibvmig_guest *g;
	int rc;

	*out = NULL;
	if (!config_ok(cfg))
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->fd = -1;
	g->fn = fn;
	g->ctx = ctx;
	g->retry_ms = cfg->retry_ms ? cfg->retry_ms : DEFAULT_RETRY_MS;
	snprintf(g->name, sizeof(g->name), "%s", cfg->name);
	cc = cfg->cache;
	if (!cc.capacity)
		cc.capacity = DEFAULT_CAPACITY;
	g->cache = ibvmig_pc_create(&cc);
	rc = g->cache ? connect_agent(cfg) : -errno;
	if (rc < 0)
		goto fail;
	g->fd = rc;
	m.id = ++g->next_id;
	snprintf(m.hello.name, sizeof(m.hello.name), "%s", g->name);
	m.hello.vguid = cfg->vguid;
	rc = send_msg(g, &m, NULL);
	if (rc)
		goto fail;
	*out = g;
	return 0;
fail:
	g->fn = NULL;	/* no GONE for a handle the caller never had */
	ibvmig_guest_close(g);
	return rc;
}

void ibvmig_guest_close(struct ibvmig_guest *g)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_BYE };

	if (!g)
		return;
	if (g->fd >= 0) {
		m.id = ++g->next_id;
		g->fn = NULL;	/* closing is the caller's own doing: nothing to tell */
		send_msg(g, &m, NULL);
		if (g->fd >= 0)
			close(g->fd);
	}
	ibvmig_pc_destroy(g->cache);
	free(g->wants);
	free(g);
}

int ibvmig_guest_fd(const struct ibvmig_guest *g)
{
	return g->fd;
}

bool ibvmig_guest_ready(const struct ibvmig_guest *g)
{
	return g->ready;
}

uint64_t ibvmig_guest_subnet_prefix(const struct ibvmig_guest *g)
{
	return g->prefix;
}

struct ibvmig_pc_cache *ibvmig_guest_cache(struct ibvmig_guest *g)
{
	return g->cache;
}

static int add_want(struct ibvmig_guest *g, uint64_t peer)
{
	struct want *w;

	if (g->n_wants == IBVMIG_GUEST_PEERS_MAX)
		return -ENOSPC;
	if (g->n_wants == g->cap_wants) {
		unsigned cap = g->cap_wants ? g->cap_wants * 2 : 16;

		w = realloc(g->wants, cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		g->wants = w;
		g->cap_wants = cap;
	}
	g->wants[g->n_wants++] = (struct want){ .guid = peer };
	return 0;
}

int ibvmig_guest_want(struct ibvmig_guest *g, uint64_t peer)
{
	int rc;

	if (!peer)
		return -EINVAL;
	if (g->fd < 0)
		return -ENOTCONN;
	if (want_of(g, peer))
		return 0;
	rc = add_want(g, peer);
	if (rc || !g->ready)
		return rc;	/* the welcome registers it */
	/* The path itself is asked for at the next ibvmig_guest_process(). */
	return send_interests(g);
}

int ibvmig_guest_resolve(struct ibvmig_guest *g, uint64_t peer, uint64_t now_ms,
			 struct ibvmig_sa_path *out)
{
	if (!want_of(g, peer))
		return -ENOENT;
	switch (ibvmig_pc_lookup(g->cache, g->prefix, peer, now_ms, out)) {
	case IBVMIG_PC_HIT:
		return 0;
	default:
		return -EAGAIN;	/* suspended, or the answer is still to come */
	}
}
