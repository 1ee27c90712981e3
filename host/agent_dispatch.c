// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_dispatch.c - what ibvmigd does with each VM channel message
 * (doc/vm-channel.md) and with each notice: Algorithm 2's fan-out.
 *
 * VMs.  A VM is in the mapping table either because the host CLI added it
 * (vm-add: "configured", kept until vm-del, its interests kept across
 * reconnections) or because it said hello under a name the table did not
 * know (kept while its connection lasts).  Its vGUID comes from vm-add, from
 * an attach for it, or from its hello; a hello may not claim a vGUID that
 * another VM holds or that differs from the one the host gave it.  The vGUID
 * is the VM's identity: a detach (the port's alias) does not take it away.
 *
 * Requests that need the SA (path-query, attach, detach) become jobs for the
 * SA thread; their replies come back as events and are matched to the
 * connection by its serial number (it may be gone by then: the reply is
 * dropped, but an attach still gives its VM the vGUID).
 *
 * Notices.  Per-port mode: each Report becomes one NOTICE to each VM that
 * at_fanout() names (interested VMs, or all with --forward all; never the
 * VM the notice is about).  Per-VM mode (the baseline): the SM sends one
 * Report per VM subscription, so the k-th copy of a notice goes to the k-th
 * VM, interest or not, as if each VM had subscribed itself.  A RePath that
 * repeats the last notice about its vGUID (at_notice_repeats: an SM that
 * crashed before saving sends it again) goes to nobody.
 *
 * Re-validation.  When the SA thread asks for a round, every vGID of
 * interest becomes one job; each answer goes to the VMs interested in it as
 * a path-update (the SA's path) or a path-gone (no path), doc/vm-channel.md.
 */
#include "agent_chan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- replies ------------------------------------------------------------------------------- */

static struct ibvmig_vmc_msg reply_to(const struct ibvmig_vmc_msg *req)
{
	return (struct ibvmig_vmc_msg){ .type = (uint8_t)(req->type | IBVMIG_VMC_REPLY),
					.id = req->id };
}

static void reply_empty(struct chan *ch, struct conn *c, const struct ibvmig_vmc_msg *req)
{
	struct ibvmig_vmc_msg m = reply_to(req);

	chan_send_msg(ch, c, &m);
}

static void reply_count(struct chan *ch, struct conn *c, const struct ibvmig_vmc_msg *req,
			uint32_t count)
{
	struct ibvmig_vmc_msg m = reply_to(req);

	m.count = count;
	chan_send_msg(ch, c, &m);
}

/* An error reply; returns 0 so that a handler can end with it. */
static int fail(struct chan *ch, struct conn *c, const struct ibvmig_vmc_msg *req, int err,
		const char *text)
{
	chan_send_error(ch, c, req->type, req->id, err, text);
	return 0;
}

/* ---- the table and the per-VM subscriptions ------------------------------------------------ */

/* A job for the SA thread on behalf of request @m of @c. */
static struct agent_item *job_for(struct chan *ch, struct conn *c, const struct ibvmig_vmc_msg *m,
				  enum agent_item_kind kind)
{
	struct agent_item *job;

	if (c->jobs >= JOBS_PER_CONN) {
		fail(ch, c, m, -ENOSPC, "too many requests waiting for the SA");
		return NULL;
	}
	job = agent_item_new(kind);
	if (!job) {
		fail(ch, c, m, -ENOMEM, "");
		return NULL;
	}
	job->to = (struct agent_reply_to){ .conn = c->serial, .req_id = m->id,
					   .req_type = m->type };
	c->jobs++;
	return job;
}

/*
 * Per-VM mode: the SA thread holds one subscription per VM and trap.  When a
 * host request (@c, @m) changed the number of VMs, its reply waits for the SA
 * thread: a vm-add is answered once the new VM's subscriptions are in place,
 * so that the baseline's Reports are counted exactly.  True when the reply is
 * left to the SA thread (or was an error already).
 */
static bool subscriptions_follow(struct chan *ch, struct conn *c, const struct ibvmig_vmc_msg *m)
{
	struct agent_item *job;

	if (ch->a->opts.subscribe != AGENT_SUB_PER_VM)
		return false;
	job = c ? job_for(ch, c, m, AGENT_JOB_SUBSCRIPTIONS)
		: agent_item_new(AGENT_JOB_SUBSCRIPTIONS);
	if (job) {
		job->subs.n_subs = at_vm_count(ch->table);
		agent_queue_push(&ch->a->jobs, job);
	}
	return c != NULL;
}

static void vm_remove(struct chan *ch, int vm)
{
	struct at_vm info;

	if (at_vm_get(ch->table, vm, &info))
		return;
	util_log(UTIL_LOG_VERBOSE, "VM %s removed (%u interests)", info.name, info.interests);
	at_vm_remove(ch->table, vm);
	ch->by_vm[vm] = NULL;
	ch->configured[vm] = false;
}

void dispatch_conn_gone(struct chan *ch, struct conn *c)
{
	int vm = c->vm;

	c->vm = -1;
	if (vm < 0 || ch->by_vm[vm] != c)
		return;
	ch->by_vm[vm] = NULL;
	if (!ch->configured[vm]) {
		vm_remove(ch, vm);
		subscriptions_follow(ch, NULL, NULL);
	}
}

/* ---- VM requests -------------------------------------------------------------------------- */

/* A refusal of hello_vm(): its errno, and why in @why. */
static int refuse(const char **why, const char *text, int err)
{
	*why = text;
	return err;
}

/* The hello's name and vGUID against the table: the VM's id, or a negative errno and @why. */
static int hello_vm(struct chan *ch, struct conn *c, const struct ibvmig_vmc_msg *m,
		    const char **why)
{
	struct at_vm info;
	int vm = at_vm_find(ch->table, m->hello.name), rc;

	if (vm >= 0) {
		at_vm_get(ch->table, vm, &info);
		if (ch->by_vm[vm])
			return refuse(why, "a VM of this name is connected already", -EEXIST);
		if (m->hello.vguid && info.vguid && m->hello.vguid != info.vguid)
			return refuse(why, "the host gave this VM another vGUID", -EACCES);
		if (m->hello.vguid && !info.vguid &&
		    at_vm_set_vguid(ch->table, vm, m->hello.vguid) == -EADDRINUSE)
			return refuse(why, "another VM holds this vGUID", -EACCES);
		return vm;
	}
	rc = at_vm_add(ch->table, m->hello.name, m->hello.vguid, c->cid);
	if (rc == -EADDRINUSE)
		return refuse(why, "another VM holds this vGUID", -EACCES);
	if (rc == -ENOSPC)
		return refuse(why, "the agent serves as many VMs as it may", -ENOSPC);
	if (rc < 0)
		return refuse(why, "", rc);
	ch->configured[rc] = false;
	subscriptions_follow(ch, NULL, NULL);
	return rc;
}

static int on_hello(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	struct ibvmig_vmc_msg r = reply_to(m);
	struct agent_sa_status st;
	const char *why = "";
	int vm;

	if (c->host)
		return fail(ch, c, m, -EACCES, "hello is for VMs, on the VM socket");
	if (c->vm >= 0)
		return fail(ch, c, m, -ENOTCONN, "hello twice");
	vm = hello_vm(ch, c, m, &why);
	if (vm < 0)
		return fail(ch, c, m, vm, why);
	c->vm = vm;
	ch->by_vm[vm] = c;
	agent_sa_status_get(ch->a, &st);
	r.welcome.subnet_prefix = st.port.subnet_prefix;
	r.welcome.port_guid = st.port.port_guid;
	r.welcome.lid = st.port.lid;
	r.welcome.sm_lid = st.port.sm_lid;
	util_log(UTIL_LOG_VERBOSE,
		 "VM %s says hello (vGUID 0x%016" PRIx64 ", connection %" PRIu64 ")", m->hello.name,
		 m->hello.vguid, c->serial);
	chan_send_msg(ch, c, &r);
	return 0;
}

static int on_interest(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	bool add = m->type == IBVMIG_VMC_INTEREST_ADD;
	struct ibvmig_vmc_gid g;
	struct at_vm info;
	int rc;

	/* Items apply one by one: a refusal leaves the ones before it applied. */
	while ((rc = ibvmig_vmc_next_gid(m, &g)) == 1) {
		rc = add ? at_interest_add(ch->table, c->vm, g.prefix, g.guid)
			 : at_interest_del(ch->table, c->vm, g.prefix, g.guid);
		if (rc < 0)
			return fail(ch, c, m, rc, rc == -ENOSPC ? "too many interests" : "");
	}
	if (rc < 0)
		return fail(ch, c, m, -EBADMSG, "");
	at_vm_get(ch->table, c->vm, &info);
	reply_count(ch, c, m, info.interests);
	return 0;
}

static int on_path_query(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	struct agent_item *job = job_for(ch, c, m, AGENT_JOB_PATH);

	if (!job)
		return 0;
	job->path.gid = m->query;
	agent_queue_push(&ch->a->jobs, job);
	return 0;
}

static int on_bye(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	reply_empty(ch, c, m);
	c->closing = true;
	return 0;
}

/* ---- host requests ------------------------------------------------------------------------ */

static int on_attach(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	int vm = m->alias.name[0] ? at_vm_find(ch->table, m->alias.name) : -1;
	int holder = at_vm_by_vguid(ch->table, m->alias.vguid);
	struct agent_item *job;

	if (m->alias.name[0] && vm < 0)
		return fail(ch, c, m, -ENOENT, "no VM of that name: vm add it first");
	if (holder >= 0 && vm >= 0 && holder != vm)
		return fail(ch, c, m, -EEXIST, "another VM of this host holds this vGUID");
	job = job_for(ch, c, m, AGENT_JOB_ATTACH);
	if (!job)
		return 0;
	job->alias.vguid = m->alias.vguid;
	job->alias.index = m->alias.index;
	snprintf(job->alias.name, sizeof(job->alias.name), "%s", m->alias.name);
	agent_queue_push(&ch->a->jobs, job);
	return 0;
}

static int on_detach(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	struct agent_item *job = job_for(ch, c, m, AGENT_JOB_DETACH);

	if (!job)
		return 0;
	job->alias.vguid = m->alias.vguid;
	job->alias.index = m->alias.index;
	agent_queue_push(&ch->a->jobs, job);
	return 0;
}

/* An escrow request: the SA thread asks the SM (agent_escrow.c). */
static int on_escrow(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	struct agent_item *job = job_for(ch, c, m, AGENT_JOB_ESCROW);

	if (!job)
		return 0;
	job->esc.type = m->type;
	job->esc.esc = m->esc;
	agent_queue_push(&ch->a->jobs, job);
	return 0;
}

static int on_vm_add(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	int vm = at_vm_add(ch->table, m->vm.name, m->vm.vguid, m->vm.cid);

	if (vm == -EADDRINUSE)
		return fail(ch, c, m, -EEXIST, "another VM of this host holds this vGUID");
	if (vm == -EEXIST)
		return fail(ch, c, m, -EEXIST, "a VM of this name exists");
	if (vm == -ENOSPC)
		return fail(ch, c, m, -ENOSPC, "the agent serves as many VMs as it may");
	if (vm < 0)
		return fail(ch, c, m, vm, "");
	ch->configured[vm] = true;
	util_log(UTIL_LOG_VERBOSE, "VM %s added (vGUID 0x%016" PRIx64 ")", m->vm.name, m->vm.vguid);
	if (!subscriptions_follow(ch, c, m))
		reply_empty(ch, c, m);
	return 0;
}

static int on_vm_del(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	int vm = at_vm_find(ch->table, m->vm.name);
	struct conn *vc;

	if (vm < 0)
		return fail(ch, c, m, -ENOENT, "no VM of that name");
	/* The VM leaves this host: its connection, if any, goes with it (unbound first). */
	vc = ch->by_vm[vm];
	if (vc) {
		ch->by_vm[vm] = NULL;
		vc->vm = -1;
		chan_close(ch, vc, "its VM was removed");
	}
	vm_remove(ch, vm);
	if (!subscriptions_follow(ch, c, m))
		reply_empty(ch, c, m);
	return 0;
}

static void vm_item(const struct chan *ch, int vm, struct ibvmig_vmc_vm *out)
{
	struct at_vm info;

	at_vm_get(ch->table, vm, &info);
	memset(out, 0, sizeof(*out));
	memcpy(out->name, info.name, sizeof(out->name));
	out->vguid = info.vguid;
	out->cid = info.cid;
	out->connected = ch->by_vm[vm] != NULL;
	out->interests = info.interests;
	out->notices = info.forwarded;
}

static int on_vm_list(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	struct ibvmig_vmc_msg r = reply_to(m);
	struct ibvmig_vmc_writer w;
	struct ibvmig_vmc_vm item;
	unsigned n = 0;
	uint8_t *buf;
	size_t len;
	int vm, rc;

	r.count = at_vm_count(ch->table);
	ibvmig_vmc_writer_init(&w, &r);
	for (vm = at_vm_next(ch->table, -1); vm >= 0 && n < IBVMIG_VMC_ITEMS_MAX;
	     vm = at_vm_next(ch->table, vm), n++) {
		vm_item(ch, vm, &item);
		ibvmig_vmc_put_vm(&w, &item);
	}
	rc = ibvmig_vmc_writer_finish(&w, &buf, &len);
	if (rc)
		return fail(ch, c, m, rc, "");
	chan_send(ch, c, buf, len);
	free(buf);
	return 0;
}

static unsigned vms_connected(const struct chan *ch)
{
	unsigned n = 0;
	int vm;

	for (vm = at_vm_next(ch->table, -1); vm >= 0; vm = at_vm_next(ch->table, vm))
		n += ch->by_vm[vm] != NULL;
	return n;
}

static int on_status(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	struct ibvmig_vmc_msg r = reply_to(m);
	struct ibvmig_vmc_agent *ag = &r.agent;
	struct agent_sa_status st;

	agent_sa_status_get(ch->a, &st);
	snprintf(ag->version, sizeof(ag->version), "%s %s", AGENT_PROG, PACKAGE_VERSION);
	snprintf(ag->ca, sizeof(ag->ca), "%s", st.port.ca);
	ag->port = (uint32_t)st.port.portnum;
	ag->port_guid = st.port.port_guid;
	ag->subnet_prefix = st.port.subnet_prefix;
	ag->lid = st.port.lid;
	ag->sm_lid = st.port.sm_lid;
	ag->vms = at_vm_count(ch->table);
	ag->vms_connected = vms_connected(ch);
	ag->interests = (uint32_t)at_interest_total(ch->table);
	ag->reports = st.reports;
	ag->notices_forwarded = ch->forwarded;
	ag->path_queries = st.path_queries;
	ag->sa_errors = st.sa_errors;
	ag->uptime_ms = (uint64_t)((int64_t)util_mono_ms() - ch->a->started_ms);
	ag->subscriptions = st.subscriptions;
	ag->sm_resets = st.sm_resets;
	ag->reattached = st.reattached;
	ag->notices_missed = ch->missed;
	ag->vms_dropped = ch->slow_drops;
	ag->rejected_source = st.rejected_source;
	ag->rejected_issuer = st.rejected_issuer;
	ag->notices_lost = st.notices_lost;
	ag->revalidations = st.revalidations;
	ag->paths_pushed = ch->pushed;
	ag->repeats = ch->repeats;
	ag->aliases_restored = st.aliases_restored;
	ag->port_downs = st.port_downs;
	ag->sm_port_guid = st.sm_port_guid;
	chan_send_msg(ch, c, &r);
	return 0;
}

/* ---- the dispatch table --------------------------------------------------------------------- */

enum who { ANYONE, VM_AFTER_HELLO, HOST_ONLY };

static const struct {
	uint8_t type;
	enum who who;
	int (*fn)(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m);
} handlers[] = {
	{ IBVMIG_VMC_HELLO, ANYONE, on_hello },
	{ IBVMIG_VMC_INTEREST_ADD, VM_AFTER_HELLO, on_interest },
	{ IBVMIG_VMC_INTEREST_DEL, VM_AFTER_HELLO, on_interest },
	{ IBVMIG_VMC_PATH_QUERY, VM_AFTER_HELLO, on_path_query },
	{ IBVMIG_VMC_BYE, ANYONE, on_bye },
	{ IBVMIG_VMC_ATTACH, HOST_ONLY, on_attach },
	{ IBVMIG_VMC_DETACH, HOST_ONLY, on_detach },
	{ IBVMIG_VMC_VM_ADD, HOST_ONLY, on_vm_add },
	{ IBVMIG_VMC_VM_DEL, HOST_ONLY, on_vm_del },
	{ IBVMIG_VMC_VM_LIST, HOST_ONLY, on_vm_list },
	{ IBVMIG_VMC_STATUS, HOST_ONLY, on_status },
	{ IBVMIG_VMC_ESC_RELEASE, HOST_ONLY, on_escrow },
	{ IBVMIG_VMC_ESC_CLAIM, HOST_ONLY, on_escrow },
	{ IBVMIG_VMC_ESC_CANCEL, HOST_ONLY, on_escrow },
	{ IBVMIG_VMC_ESC_QUERY, HOST_ONLY, on_escrow },
};

void dispatch_request(struct chan *ch, struct conn *c, struct ibvmig_vmc_msg *m)
{
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (handlers[i].type != m->type)
			continue;
		if (handlers[i].who == HOST_ONLY && !c->host)
			fail(ch, c, m, -EACCES, "a host request, on a VM's connection");
		else if (handlers[i].who == VM_AFTER_HELLO && c->host)
			fail(ch, c, m, -EACCES, "a VM's request, on the host CLI's socket");
		else if (handlers[i].who == VM_AFTER_HELLO && c->vm < 0)
			fail(ch, c, m, -ENOTCONN, "hello first");
		else
			handlers[i].fn(ch, c, m);
		return;
	}
	/* Replies and notices are not requests: a client that sends one is confused. */
	fail(ch, c, m, -EOPNOTSUPP, "not a request");
}

/* ---- what the SA thread hands over ----------------------------------------------------------- */

/*
 * An attach for a VM gives it the vGUID, whether or not its requester is still
 * there.  A detach leaves the VM its vGUID: it is the VM's identity (a reboot
 * is detach then attach, and the notices about it must still not reach it);
 * a VM that leaves the host is vm-del'ed.
 */
static void alias_result(struct chan *ch, const struct agent_ev_reply *rp)
{
	int holder = at_vm_by_vguid(ch->table, rp->alias.vguid), vm;

	if (rp->job != AGENT_JOB_ATTACH || rp->rc || !rp->alias.name[0])
		return;
	vm = at_vm_find(ch->table, rp->alias.name);
	if (vm >= 0 && (holder < 0 || holder == vm))
		at_vm_set_vguid(ch->table, vm, rp->alias.vguid);
}

static void on_reply(struct chan *ch, const struct agent_item *ev)
{
	const struct agent_ev_reply *rp = &ev->reply;
	struct conn *c = chan_find_serial(ch, ev->to.conn);
	struct ibvmig_vmc_msg r = { .type = (uint8_t)(ev->to.req_type | IBVMIG_VMC_REPLY),
				    .id = ev->to.req_id };

	if (rp->job == AGENT_JOB_ATTACH)
		alias_result(ch, rp);
	if (!c)
		return;		/* the requester left: nobody to tell */
	c->jobs--;
	if (rp->rc) {
		chan_send_error(ch, c, ev->to.req_type, ev->to.req_id, rp->rc, rp->text);
		return;
	}
	if (rp->job == AGENT_JOB_PATH) {
		r.path.path = &rp->path.path;
		r.path.stamped = rp->path.stamped;
		r.path.epoch = rp->path.epoch;
		r.path.seq = rp->path.seq;
	} else if (rp->job == AGENT_JOB_ESCROW) {
		r.esc = rp->esc.esc;
	} else if (rp->job != AGENT_JOB_SUBSCRIPTIONS) {
		r.alias.vguid = rp->alias.vguid;
		r.alias.index = rp->alias.index;
		memcpy(r.alias.name, rp->alias.name, sizeof(r.alias.name));
		r.alias.set_us = rp->set_us;
	}
	chan_send_msg(ch, c, &r);
}

/* Queues the encoded notice to VM @vm; counts what happened. */
static void forward_to(struct chan *ch, int vm, const uint8_t *buf, size_t len)
{
	struct conn *c = ch->by_vm[vm];

	if (!c || c->dead) {
		ch->missed++;
		return;
	}
	if (chan_send(ch, c, buf, len)) {
		ch->forwarded++;
		at_count_forward(ch->table, vm);
	}
}

/* A repeat of the last notice about its vGUID (the table remembers this one). */
static bool repeats(struct chan *ch, const struct agent_ev_notice *ev)
{
	const struct ibvmig_path_notice *n = &ev->notice;
	const struct at_notice an = {
		.trap = ev->trap, .reason = n->reason, .new_lid = n->new_lid,
		.old_lid = n->old_lid, .prefix = n->subnet_prefix, .vguid = n->vguid,
		.new_port_guid = n->new_port_guid, .old_port_guid = n->old_port_guid,
	};

	return at_notice_repeats(ch->table, &an);
}

/*
 * Per-VM baseline: which copy of this notice this Report is (0 for the
 * first), and in *@repeat whether its first copy was a repeat (the others of
 * the same notice are copies, not repeats).
 */
static unsigned copy_number(struct chan *ch, const struct agent_ev_notice *ev, bool *repeat)
{
	const struct ibvmig_path_notice *n = &ev->notice;
	struct copy_count *cc;
	unsigned i;

	for (i = 0; i < COPY_SLOTS; i++) {
		cc = &ch->copies[i];
		if (cc->copies && cc->trap == ev->trap && cc->epoch == n->epoch &&
		    cc->seq == n->seq && cc->vguid == n->vguid) {
			*repeat = cc->repeat;
			return cc->copies++;
		}
	}
	cc = &ch->copies[ch->copies_next++ % COPY_SLOTS];
	*repeat = repeats(ch, ev);
	*cc = (struct copy_count){ ev->trap, n->epoch, n->seq, n->vguid, 1, *repeat };
	return 0;
}

/* The VMs this Report goes to, into ch->ids; returns how many (none for a repeat). */
static size_t targets(struct chan *ch, const struct agent_ev_notice *ev, bool *repeat)
{
	const struct ibvmig_path_notice *n = &ev->notice;
	size_t max = ch->a->opts.limits.max_vms, cnt;
	unsigned k;

	if (ch->a->opts.subscribe == AGENT_SUB_PER_PORT) {
		*repeat = repeats(ch, ev);
		if (*repeat)
			return 0;
		return at_fanout(ch->table, ch->a->opts.forward, n->subnet_prefix, n->vguid,
				 ch->ids, max);
	}
	/* The k-th subscription's copy is the k-th VM's, whoever it is about. */
	k = copy_number(ch, ev, repeat);
	if (*repeat)
		return 0;
	cnt = at_fanout(ch->table, AT_FORWARD_ALL, n->subnet_prefix, n->vguid, ch->ids, max);
	if (k >= cnt)
		return 0;
	ch->ids[0] = ch->ids[k];
	return 1;
}

static void on_notice(struct chan *ch, const struct agent_ev_notice *ev)
{
	const struct ibvmig_path_notice *n = &ev->notice;
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_NOTICE };
	bool repeat = false;
	size_t cnt, i, len;
	uint8_t *buf;
	int rc;

	ch->notices++;
	m.notice.trap = ev->trap;
	m.notice.n = *n;
	rc = ibvmig_vmc_encode(&m, &buf, &len);
	if (rc) {
		util_log(UTIL_LOG_ERROR,
			 "ERR EC01: notice about 0x%016" PRIx64 " not forwarded: %s", n->vguid,
			 strerror(-rc));
		return;
	}
	cnt = targets(ch, ev, &repeat);
	ch->repeats += repeat;
	/* Encoded once, queued to each: a slow VM costs only its own queue. */
	for (i = 0; i < cnt; i++)
		forward_to(ch, ch->ids[i], buf, len);
	free(buf);
	util_log(repeat ? UTIL_LOG_INFO : UTIL_LOG_VERBOSE,
		 "%s %s vGUID 0x%016" PRIx64 " lid %u -> %u (epoch 0x%08" PRIx32 " seq %" PRIu64
		 " number %" PRIu32 "): %zu VMs%s",
		 ev->trap == IBVMIG_TRAP_REPATH ? "RePath" : "UnPath",
		 ibvmig_reason_name(n->reason), n->vguid, n->old_lid, n->new_lid, n->epoch, n->seq,
		 n->number, cnt, repeat ? " (a repeat of the last notice about it)" : "");
}

/* ---- re-validation ------------------------------------------------------------------------ */

/* One job per vGID of interest (one empty job when there are none): the SA thread's round. */
static void start_round(struct chan *ch)
{
	size_t total = at_interest_total(ch->table), n, i = 0;
	struct at_gid *gids = calloc(total ? total : 1, sizeof(*gids));
	struct agent_item *job;

	n = gids ? at_interest_gids(ch->table, gids, total) : 0;
	do {
		job = agent_item_new(AGENT_JOB_REVALIDATE);
		if (!job)
			break;	/* the SA thread gives the round up after a while */
		if (i < n)
			job->reval.gid = (struct ibvmig_vmc_gid){ gids[i].prefix, gids[i].guid };
		job->reval.last = i + 1 >= n;
		agent_queue_push(&ch->a->jobs, job);
	} while (++i < n);
	util_log(UTIL_LOG_DEBUG, "re-validation round: %zu vGIDs", n);
	free(gids);
}

/*
 * The SA's answer for one vGID of the round, to the VMs interested in it (not
 * the one that owns it): its path now, or that it has none.  An SA that did
 * not answer sends nothing; the next round asks again.
 */
static void push_revalidated(struct chan *ch, const struct agent_ev_revalidated *r)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_PATH_UPDATE };
	size_t cnt, i, len;
	uint8_t *buf;

	if (r->rc && r->rc != -ENOENT)
		return;
	if (!r->rc) {
		m.path.path = &r->path;
		m.path.stamped = r->stamped;
		m.path.epoch = r->epoch;
		m.path.seq = r->seq;
	} else {
		m.type = IBVMIG_VMC_PATH_GONE;
		m.gone.gid = r->gid;
		m.gone.stamped = r->stamped;
		m.gone.epoch = r->epoch;
		m.gone.seq = r->seq;
	}
	if (ibvmig_vmc_encode(&m, &buf, &len)) {
		util_log(UTIL_LOG_ERROR, "ERR EC02: the re-validated path to 0x%016" PRIx64
			 " cannot be encoded", r->gid.guid);
		return;
	}
	cnt = at_fanout(ch->table, AT_FORWARD_INTEREST, r->gid.prefix, r->gid.guid, ch->ids,
			ch->a->opts.limits.max_vms);
	for (i = 0; i < cnt; i++) {
		struct conn *c = ch->by_vm[ch->ids[i]];

		if (c && !c->dead && chan_send(ch, c, buf, len))
			ch->pushed++;
	}
	free(buf);
}

void dispatch_events(struct chan *ch, struct agent_item *list)
{
	struct agent_item *ev, *next;

	for (ev = list; ev; ev = next) {
		next = ev->next;
		if (ev->kind == AGENT_EV_REPLY)
			on_reply(ch, ev);
		else if (ev->kind == AGENT_EV_NOTICE)
			on_notice(ch, &ev->notice);
		else if (ev->kind == AGENT_EV_REVALIDATE)
			start_round(ch);
		else if (ev->kind == AGENT_EV_REVALIDATED)
			push_revalidated(ch, &ev->revalidated);
		free(ev);
	}
}
