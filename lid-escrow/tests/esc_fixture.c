// SPDX-License-Identifier: BSD-2-Clause
/* esc_fixture.c - the escrow tests' set-up (esc_fixture.h). */
#include "esc_fixture.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t fx_rand(struct fx *f)
{
	uint64_t z = (f->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int fx_random(void *ctx, void *buf, size_t len)
{
	struct fx *f = ctx;
	uint8_t *p = buf;
	size_t i;

	if (f->random_error)
		return -f->random_error;
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)fx_rand(f);
	return 0;
}

static uint64_t fx_holder(void *ctx, uint16_t lid)
{
	struct fx *f = ctx;

	return f->holder[lid];
}

static int fx_open(struct fx *f, uint64_t now_ms)
{
	struct jnl_config jc = { .path = f->path, .io = &f->tio.io,
				 .compact_factor = f->compact_factor, .compact_min_bytes = 4096 };
	struct esc_config ec = f->cfg;

	f->j = jnl_new(&jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->j);
	CU_ASSERT_EQUAL_FATAL(jnl_lock(f->j), 0);
	ec.journal = f->j;
	f->e = esc_create(&ec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->e);
	f->open_rc = esc_open(f->e, now_ms, &f->rep);
	return f->open_rc;
}

void fx_setup(struct fx *f, const struct esc_config *cfg)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/ibvmig-esc-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/escrow.jnl", f->dir);
	tio_init(&f->tio);
	f->tio.fsync_noop = true;
	f->rng = 0x5eed;
	f->holder = calloc(ESC_LID_MAX + 1, sizeof(*f->holder));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->holder);
	if (cfg)
		f->cfg = *cfg;
	if (!f->cfg.random) {
		f->cfg.random = fx_random;
		f->cfg.random_ctx = f;
	}
	if (!f->cfg.lid_holder) {
		f->cfg.lid_holder = fx_holder;
		f->cfg.lid_holder_ctx = f;
	}
	CU_ASSERT_EQUAL_FATAL(fx_open(f, 0), 0);
}

static void fx_close(struct fx *f)
{
	esc_destroy(f->e);
	jnl_free(f->j);
	f->e = NULL;
	f->j = NULL;
}

int fx_reopen(struct fx *f, uint64_t now_ms)
{
	fx_close(f);
	return fx_open(f, now_ms);
}

void fx_teardown(struct fx *f)
{
	char p[200];

	fx_close(f);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s.lock", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s.tmp", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f->holder);
}

struct esc_request fx_req(uint64_t requester, const struct esc_port *port, uint64_t tid,
			  uint64_t now)
{
	struct esc_request r;

	memset(&r, 0, sizeof(r));
	r.requester = requester;
	r.tid = tid;
	r.master = true;
	r.now_ms = now;
	r.port = *port;
	return r;
}

struct esc_port fx_port(uint64_t guid, uint16_t lid)
{
	struct esc_port p;

	memset(&p, 0, sizeof(p));
	p.guid = guid;
	p.lid = lid;
	p.mtu = 5;
	p.rate = 16;
	return p;
}

int fx_actions(struct fx *f, struct esc_action *acts, int max)
{
	struct esc_action spare;
	int n = 0;

	while (esc_next_action(f->e, n < max ? &acts[n] : &spare) == 0)
		n++;
	return n;
}

bool fx_views_equal(const struct esc_view *a, const struct esc_view *b)
{
	return a->id == b->id && a->state == b->state && a->to_source == b->to_source &&
	       a->lid == b->lid && a->mtu == b->mtu && a->rate == b->rate &&
	       a->source == b->source && a->dest == b->dest && a->claimant == b->claimant &&
	       a->claimant_old_lid == b->claimant_old_lid && a->created_ms == b->created_ms &&
	       a->changed_ms == b->changed_ms && a->expires_ms == b->expires_ms &&
	       a->nkeys == b->nkeys && !memcmp(a->keys, b->keys, a->nkeys * sizeof(a->keys[0]));
}
