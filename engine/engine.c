// SPDX-License-Identifier: BSD-2-Clause
/*
 * engine.c - the engine object: create, destroy, the log, the lists a host
 * fills, the subnet events and the services table.
 * Log codes of this file: D0xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

void eng_log(struct eng_engine *e, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > (int)e->conf.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->ops.log(e->ctx, level, msg);
}

void *eng_grow(void *items, size_t *cap, size_t count, size_t size, size_t first_cap)
{
	size_t n;

	if (count < *cap)
		return items;
	n = *cap ? *cap * 2 : first_cap;
	items = reallocarray(items, n, size);
	if (items)
		*cap = n;
	return items;
}

int eng_aliases_add(struct eng_aliases *l, uint64_t vguid, uint64_t port_guid, uint16_t lid)
{
	struct aw_alias *items = eng_grow(l->items, &l->cap, l->count, sizeof(*items), 256);

	if (!items)
		return -ENOMEM;
	l->items = items;
	l->items[l->count++] = (struct aw_alias){ vguid, port_guid, lid };
	return 0;
}

int eng_subscribers_add(struct eng_subscribers *l, const struct eng_subscriber *s)
{
	struct eng_subscriber *items;

	if (s->trap != IBVMIG_TRAP_UNPATH && s->trap != IBVMIG_TRAP_REPATH && s->trap != 0xFFFF)
		return 0;
	items = eng_grow(l->items, &l->cap, l->count, sizeof(*items), 16);
	if (!items)
		return -ENOMEM;
	l->items = items;
	l->items[l->count++] = *s;
	return 0;
}

static bool ops_complete(const struct eng_ops *ops)
{
	return ops && ops->log && ops->send_notice && ops->list_aliases && ops->sm_view &&
	       ops->list_subscribers;
}

static int create_watch(struct eng_engine *e, const struct eng_config *cfg)
{
	struct aw_config aw = {
		.table = { .capacity = cfg->conf.trap_capacity, .ttl_ms = cfg->conf.trap_ttl_ms },
		.unpath = cfg->conf.unpath,
		.subnet_prefix = cfg->subnet_prefix,
		.max_aliases = cfg->max_aliases,
	};

	e->watch_cfg = aw;
	e->watch = aw_create(&aw, eng_outbox_add, e);
	if (!e->watch) {
		int err = errno ? errno : ENOMEM;

		ENG_ERROR(e, "ERR D001: cannot create the trap table: %s", strerror(err));
		return -err;
	}
	return 0;
}

struct eng_engine *eng_create(const struct eng_config *cfg, const struct eng_ops *ops,
			      void *ctx)
{
	struct eng_engine *e;
	int rc;

	if (!cfg || !ops_complete(ops)) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->conf = cfg->conf;
	e->ops = *ops;
	e->ctx = ctx;
	snprintf(e->host_version, sizeof(e->host_version), "%s", cfg->host_version ?: "");
	snprintf(e->sm_version, sizeof(e->sm_version), "%s", cfg->sm_version ?: "");
	snprintf(e->default_state_dir, sizeof(e->default_state_dir), "%s",
		 cfg->default_state_dir ?: "");
	e->started_at_ms = util_wall_ms();
	eng_admin_init(&e->admin);
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->send_lock, NULL);
	pthread_mutex_init(&e->reconcile_lock, NULL);
	/* Created now, so that a subnet event before the worker starts is not lost. */
	e->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->wake_fd < 0) {
		rc = -errno;
		ENG_ERROR(e, "ERR D002: eventfd: %s", strerror(-rc));
		goto fail;
	}
	rc = create_watch(e, cfg);
	if (rc)
		goto fail;
	return e;
fail:
	eng_destroy(e);
	errno = -rc;
	return NULL;
}

void eng_destroy(struct eng_engine *e)
{
	if (!e)
		return;
	aw_destroy(e->watch);
	eng_outbox_free(&e->outbox);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
	pthread_mutex_destroy(&e->lock);
	pthread_mutex_destroy(&e->send_lock);
	pthread_mutex_destroy(&e->reconcile_lock);
	free(e->fed.items);
	free(e);
}

void eng_log_loaded(struct eng_engine *e)
{
	struct tt_stats st;
	struct aw_stats aw;

	pthread_mutex_lock(&e->lock);
	tt_get_stats(aw_table(e->watch), &st);
	aw_get_stats(e->watch, &aw);
	pthread_mutex_unlock(&e->lock);
	ENG_INFO(e, "%s loaded: trap TTL %llu s, capacity %u, UnPath %s, alias guard %s, "
		 "epoch 0x%08x, %u entries restored from \"%s\", %u aliases live before "
		 "the restart, admin socket \"%s\"",
		 e->host_version, (unsigned long long)(e->conf.trap_ttl_ms / 1000),
		 e->conf.trap_capacity, e->conf.unpath ? "on" : "off",
		 e->conf.alias_guard ? "on" : "off", st.epoch, st.count, e->state_file,
		 aw.forgotten, e->conf.admin_socket);
}

void eng_wake(struct eng_engine *e)
{
	uint64_t one = 1;

	if (write(e->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the worker is awake already. */
	}
}

void eng_subnet_up(struct eng_engine *e)
{
	/* LIDs are final now: a reconcile sees base LID changes too. */
	atomic_store(&e->subnet_up, true);
	atomic_store(&e->reconcile_wanted, true);
	eng_wake(e);
}

void eng_takeover(struct eng_engine *e)
{
	atomic_store(&e->takeover_wanted, true);
	eng_wake(e);
}

void eng_subnet_down(struct eng_engine *e)
{
	atomic_store(&e->subnet_up, false);
}

void eng_count_guard_refused(struct eng_engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->counters.guard_refused++;
	pthread_mutex_unlock(&e->lock);
}

int eng_services_start(const struct eng_service *rows, size_t n, void *ctx, size_t *failed)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = rows[i].start(ctx);
		if (rc) {
			*failed = i;
			eng_services_stop(rows, i, ctx);
			return rc;
		}
	}
	return 0;
}

void eng_services_stop(const struct eng_service *rows, size_t n, void *ctx)
{
	while (n--)
		if (rows[n].stop)
			rows[n].stop(ctx);
}
