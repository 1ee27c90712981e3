// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_mad.c - the MAD thread: the only user of the port (smx.h, THREADS).
 *
 * One loop: what the SM needs (subscriptions, the canary, its LID), then the
 * queued tells, then one learning or poll request if the budget has a token,
 * then a wait on the port alone (doc/simulator.md, "umad2sim Reads and
 * Polls") for the Reports and tells that come, as long as nothing is due.
 * Tells come first: their latency is what the hosts see; a tell that arrives
 * during a poll Get waits for that one Get only.
 * Log codes of this file: E7xx (doc/log-codes.md).
 */
#include "smx.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLICE_MS 100		/* the longest wait on the port with nothing due */
#define PUBLISH_MS 20		/* what the admin answers show is this fresh */

static _Thread_local bool mad_thread;

bool smx_on_mad_thread(void)
{
	return mad_thread;
}

int smx_mad_open(struct smx *s)
{
	const struct ibvmig_sa_port *p;
	int rc = ibvmig_sa_open(&s->opts.sa, &s->sa);

	if (rc) {
		util_log(UTIL_LOG_ERROR, "ERR E701: cannot open %s port %d: %s",
			 s->opts.sa.ca ? s->opts.sa.ca : "the first CA", s->opts.sa.port,
			 ibvmig_sa_strerror(rc));
		return rc;
	}
	/* Tells are requests to this port; PathNotices are requests from it. */
	rc = ibvmig_sa_register_class(s->sa, IBVMIG_TELL_CLASS, IBVMIG_TELL_CLASS_VERSION,
				      smx_tell_on_request, s);
	if (rc) {
		util_log(UTIL_LOG_ERROR, "ERR E702: cannot register vendor class 0x%02x: %s",
			 IBVMIG_TELL_CLASS, ibvmig_sa_strerror(rc));
		goto fail;
	}
	rc = smx_ports_init(&s->ports);
	if (rc)
		goto fail;
	smx_pace_init(&s->pace, s->conf.poll_rate, s->conf.poll_batch, util_mono_ns());
	s->backoff_ms = 100;
	p = ibvmig_sa_port(s->sa);
	util_log(UTIL_LOG_INFO, "port %s:%d guid 0x%016" PRIx64 " lid %u%s", p->ca, p->portnum,
		 p->port_guid, p->lid, s->opts.sa.simulator ? " (simulator mode)" : "");
	return 0;
fail:
	ibvmig_sa_close(s->sa);
	s->sa = NULL;
	return rc;
}

void smx_publish(struct smx *s)
{
	const struct ibvmig_sa_port *port = ibvmig_sa_port(s->sa);
	struct smx_published p = { 0 };
	uint64_t now = util_mono_ms();
	uint32_t i;

	if (now < s->next_publish_ms)
		return;
	s->next_publish_ms = now + PUBLISH_MS;
	snprintf(p.view.state, sizeof(p.view.state), "%s",
		 !s->sm_lid ? "no SM" : s->subscribed ? "master (through the SA)" : "unsubscribed");
	p.view.port_guid = s->sm_guid;
	p.view.subnet_prefix = s->subnet_prefix;
	p.view.lid = s->sm_lid;
	p.own_lid = port->lid;
	for (i = 0; i < s->ports.n; i++)
		p.poll_ports += smx_port_pollable(&s->ports.p[i]);
	p.last_cycle_ms = s->last_cycle_ms;
	p.cnt = s->cnt;
	pthread_mutex_lock(&s->lock);
	s->pub = p;
	pthread_mutex_unlock(&s->lock);
}

static int earliest(int a, int b)
{
	return a < b ? a : b;
}

/* How long the port may be waited on: nothing is due before. */
static int wait_ms(struct smx *s, uint64_t now_ms)
{
	int ms = earliest(SLICE_MS, smx_sm_timeout(s, now_ms));
	bool poll_due = s->cycle_running || (s->ports.n && now_ms >= s->next_cycle_ms);
	bool learn_due = s->ports.scan_lid || s->ports.n_pending_guids ||
			 (s->ports.next_scan_ms && now_ms >= s->ports.next_scan_ms);

	if (s->t_len || s->d_len || s->ports.n_urgent_lids)
		return 0;
	if (poll_due || learn_due)
		ms = earliest(ms, smx_pace_wait_ms(&s->pace, util_mono_ns()));
	else if (s->ports.n && s->next_cycle_ms > now_ms)
		ms = earliest(ms, (int)(s->next_cycle_ms - now_ms));
	return ms > 0 ? ms : 0;
}

static void *mad_main(void *arg)
{
	struct timespec pause = { 0, 50 * 1000000L };
	struct smx *s = arg;
	uint64_t now;
	int rc, busy;

	mad_thread = true;
	while (!atomic_load(&s->stop)) {
		now = util_mono_ms();
		smx_sm_step(s, now);
		busy = smx_tell_step(s);
		if (!busy)
			busy = smx_tell_direct_step(s) || smx_ports_learn_step(s, now) ||
			       smx_poll_step(s, now);
		smx_publish(s);
		rc = ibvmig_sa_process(s->sa, busy ? 0 : wait_ms(s, util_mono_ms()),
				       smx_sm_on_report, s);
		if (rc < 0 && rc != -EINTR) {
			util_log(UTIL_LOG_ERROR, "ERR E703: reading the port failed: %s",
				 ibvmig_sa_strerror(rc));
			nanosleep(&pause, NULL);	/* do not spin on a broken port */
		}
	}
	return NULL;
}

int smx_mad_start(struct smx *s)
{
	int rc;

	atomic_store(&s->stop, false);
	rc = pthread_create(&s->mad_thread, NULL, mad_main, s);
	if (rc) {
		util_log(UTIL_LOG_ERROR, "ERR E704: cannot start the MAD thread: %s", strerror(rc));
		return -rc;
	}
	s->mad_started = true;
	return 0;
}

void smx_mad_stop(struct smx *s)
{
	atomic_store(&s->stop, true);
	if (s->mad_started) {
		pthread_join(s->mad_thread, NULL);
		s->mad_started = false;
	}
}

void smx_mad_close(struct smx *s)
{
	/* Subscriptions outlive their client in OpenSM: the close drops ours. */
	ibvmig_sa_close(s->sa);
	s->sa = NULL;
	smx_ports_free(&s->ports);
	free(s->direct);
	s->direct = NULL;
}
