// SPDX-License-Identifier: BSD-2-Clause
#include "fake_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Whether the engine lock is free: another thread asks for the stats, which
 * take the engine lock and call no op but host_fields, and must be answered
 * within a second.
 * A probe left blocked ends once the engine unlocks; fake_stop() joins it.
 */
static void *probe_main(void *arg)
{
	struct ibvmig_admin_request req = { .op = IBVMIG_ADMIN_STATS };
	struct fake_host *h = arg;
	uint8_t *msg = NULL;
	size_t len;

	if (!eng_admin_answer(h->e, &req, &msg, &len))
		free(msg);
	return NULL;
}

static void check_unlocked(struct fake_host *h)
{
	struct timespec deadline;
	pthread_t probe;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 1;
	if (pthread_create(&probe, NULL, probe_main, h))
		return;
	if (!pthread_timedjoin_np(probe, NULL, &deadline))
		return;
	pthread_mutex_lock(&h->mu);
	h->locked_ops++;
	if (h->n_blocked < FAKE_MAX)
		h->blocked[h->n_blocked++] = probe;
	else
		pthread_detach(probe);
	pthread_mutex_unlock(&h->mu);
}

static void fake_log(void *ctx, int level, const char *msg)
{
	struct fake_host *h = ctx;

	(void)level;
	pthread_mutex_lock(&h->mu);
	if (h->n_logs < FAKE_MAX)
		snprintf(h->logs[h->n_logs++], sizeof(h->logs[0]), "%s", msg);
	pthread_mutex_unlock(&h->mu);
}

static int fake_send(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n)
{
	struct fake_host *h = ctx;

	check_unlocked(h);
	if (h->send_delay_us)	/* before the notice is out, as the SM's own work */
		usleep(h->send_delay_us);
	pthread_mutex_lock(&h->mu);
	if (h->n_sent < FAKE_MAX)
		h->sent[h->n_sent] = (struct fake_notice){ trap, *n };
	h->n_sent++;
	if (h->n_numbers < FAKE_NUMBERS_MAX)
		h->numbers[h->n_numbers++] = n->number;
	pthread_mutex_unlock(&h->mu);
	return h->send_rc;
}

static int fake_list_aliases(void *ctx, struct eng_aliases *out)
{
	struct fake_host *h = ctx;
	size_t i;
	int rc = 0;

	check_unlocked(h);
	pthread_mutex_lock(&h->mu);
	h->list_calls++;
	for (i = 0; i < h->n_aliases && !rc; i++)
		rc = eng_aliases_add(out, h->aliases[i].vguid, h->aliases[i].port_guid,
				     h->aliases[i].lid);
	rc = rc ? rc : h->list_rc;
	pthread_mutex_unlock(&h->mu);
	if (h->during_list)
		h->during_list(h);
	return rc;
}

static int fake_sm_view(void *ctx, struct eng_sm_view *v)
{
	struct fake_host *h = ctx;

	check_unlocked(h);
	*v = h->sm;
	return 0;
}

static int fake_list_subscribers(void *ctx, struct eng_subscribers *out)
{
	struct fake_host *h = ctx;
	size_t i;
	int rc = 0;

	check_unlocked(h);
	for (i = 0; i < h->n_subs && !rc; i++)
		rc = eng_subscribers_add(out, &h->subs[i]);
	return rc;
}

/*
 * The host's own fields: what the test put in h->host, for both answers.  No
 * check_unlocked() here: its probe asks for the stats, which call this op.
 */
static int fake_host_fields(void *ctx, uint8_t op, struct eng_host_fields *out)
{
	struct fake_host *h = ctx;

	(void)op;
	*out = h->host;
	return 0;
}

static const struct eng_ops fake_ops = {
	.log = fake_log,
	.send_notice = fake_send,
	.list_aliases = fake_list_aliases,
	.sm_view = fake_sm_view,
	.list_subscribers = fake_list_subscribers,
	.host_fields = fake_host_fields,
};

void fake_conf(struct ibvmig_conf *c, const char *dir)
{
	ibvmig_conf_defaults(c);
	c->log_level = UTIL_LOG_VERBOSE;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s%s", dir, dir[0] ? "/state" : "");
	snprintf(c->admin_socket, sizeof(c->admin_socket), "%s%s", dir,
		 dir[0] ? "/admin.sock" : "");
}

void fake_start(struct fake_host *h, const struct ibvmig_conf *conf)
{
	struct eng_config cfg = {
		.host_version = "fake 1.0",
		.sm_version = "FakeSM 0.1",
		.default_state_dir = "",
		.subnet_prefix = FAKE_PREFIX,
		.max_aliases = 1000,
	};

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	if (conf)
		cfg.conf = *conf;
	else
		fake_conf(&cfg.conf, "");
	h->e = eng_create(&cfg, &fake_ops, h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h->e);
}

void fake_stop(struct fake_host *h)
{
	size_t i;

	for (i = 0; i < h->n_blocked; i++)
		pthread_join(h->blocked[i], NULL);
	eng_destroy(h->e);
	h->e = NULL;
	pthread_mutex_destroy(&h->mu);
}

size_t fake_logged(struct fake_host *h, const char *text)
{
	size_t i, n = 0;

	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->n_logs; i++)
		n += strstr(h->logs[i], text) != NULL;
	pthread_mutex_unlock(&h->mu);
	return n;
}

void fake_port(struct eng_port_snapshot *s, uint64_t port_guid, uint16_t lid, unsigned entries,
	       const uint64_t *guids, unsigned n_guids)
{
	memset(s, 0, sizeof(*s));
	s->port_guid = port_guid;
	s->lid = lid;
	s->entries = entries;
	if (n_guids)
		memcpy(s->guids, guids, n_guids * sizeof(*guids));
}

struct change {
	const struct eng_port_snapshot *before, *after;
};

static uint64_t apply(void *arg, struct eng_port_snapshot *before, struct eng_port_snapshot *after)
{
	const struct change *c = arg;

	*before = *c->before;
	*after = *c->after;
	return 0;
}

void fake_change(struct fake_host *h, const struct eng_port_snapshot *before,
		 const struct eng_port_snapshot *after)
{
	struct change c = { before, after };

	eng_port_change(h->e, apply, &c);
}

static void one_alias(struct fake_host *h, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		      bool set)
{
	struct eng_port_snapshot without, with;
	uint64_t guids[2] = { port_guid, vguid };

	fake_port(&without, port_guid, lid, 8, guids, 1);
	fake_port(&with, port_guid, lid, 8, guids, 2);
	if (set)
		fake_change(h, &without, &with);
	else
		fake_change(h, &with, &without);
}

void fake_set(struct fake_host *h, uint64_t vguid, uint64_t port_guid, uint16_t lid)
{
	one_alias(h, vguid, port_guid, lid, true);
}

void fake_delete(struct fake_host *h, uint64_t vguid, uint64_t port_guid, uint16_t lid)
{
	one_alias(h, vguid, port_guid, lid, false);
}

void fake_ask(struct fake_host *h, uint8_t op, uint64_t vguid, struct fake_answer *a)
{
	struct ibvmig_admin_request req = { .op = op, .vguid = vguid };
	struct ibvmig_admin_header hdr;
	struct ibvmig_rec_reader r;

	memset(a, 0, sizeof(*a));
	CU_ASSERT_EQUAL_FATAL(eng_admin_answer(h->e, &req, &a->msg, &a->len), 0);
	CU_ASSERT_FATAL(a->len >= IBVMIG_ADMIN_HEADER_LEN);
	CU_ASSERT_EQUAL_FATAL(ibvmig_admin_decode_header(a->msg, &hdr), 0);
	CU_ASSERT_EQUAL(hdr.op, op);
	CU_ASSERT_EQUAL(hdr.length, a->len - IBVMIG_ADMIN_HEADER_LEN);
	a->status = hdr.status;
	if (a->len == IBVMIG_ADMIN_HEADER_LEN)
		return;
	CU_ASSERT_EQUAL_FATAL(ibvmig_rec_reader_init(&r, a->msg + IBVMIG_ADMIN_HEADER_LEN,
						     a->len - IBVMIG_ADMIN_HEADER_LEN), 0);
	a->records = r.records_left;
}

bool fake_field(const struct fake_answer *a, uint32_t index, uint16_t tag,
		struct ibvmig_rec_field *f)
{
	struct ibvmig_rec_reader r;
	uint32_t i;

	if (a->len <= IBVMIG_ADMIN_HEADER_LEN ||
	    ibvmig_rec_reader_init(&r, a->msg + IBVMIG_ADMIN_HEADER_LEN,
				   a->len - IBVMIG_ADMIN_HEADER_LEN))
		return false;
	for (i = 0; i <= index; i++)
		if (ibvmig_rec_next(&r) != 1)
			return false;
	while (ibvmig_rec_next_field(&r, f) == 1)
		if (f->tag == tag)
			return true;
	return false;
}

void fake_answer_free(struct fake_answer *a)
{
	free(a->msg);
	memset(a, 0, sizeof(*a));
}

uint64_t fake_value(struct fake_host *h, uint8_t op, uint16_t tag)
{
	struct ibvmig_rec_field f;
	struct fake_answer a;
	bool found;

	fake_ask(h, op, 0, &a);
	found = fake_field(&a, 0, tag, &f);
	CU_ASSERT(found);
	fake_answer_free(&a);
	return found ? f.value : UINT64_MAX;
}
