/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fake_host.h - a host for the engine's tests: a table of operations that
 * records what the engine asked of it and answers what the test set, a
 * GUIDInfoRecord request that is two snapshots, and the admin answers
 * decoded with the records codec.  Through engine.h only.
 */
#ifndef IBVMIG_FAKE_HOST_H
#define IBVMIG_FAKE_HOST_H

#include "engine.h"
#include "unit.h"

#include <pthread.h>

#define FAKE_MAX 64
#define FAKE_NUMBERS_MAX 1024

struct fake_notice {
	uint16_t trap;
	struct ibvmig_path_notice n;
};

struct fake_alias {
	uint64_t vguid, port_guid;
	uint16_t lid;
};

struct fake_host {
	struct eng_engine *e;
	pthread_mutex_t mu;		/* the worker calls the ops too */

	/* What the engine did. */
	struct fake_notice sent[FAKE_MAX];
	size_t n_sent;			/* may exceed FAKE_MAX: only the first are kept */
	uint32_t numbers[FAKE_NUMBERS_MAX];	/* notice numbers in the order sent */
	size_t n_numbers;
	char logs[FAKE_MAX][256];
	size_t n_logs;
	size_t list_calls;
	unsigned locked_ops;		/* ops called with the engine lock held */
	pthread_t blocked[FAKE_MAX];	/* their probes, joined by fake_stop() */
	size_t n_blocked;

	/* What the ops answer. */
	int send_rc;
	unsigned send_delay_us;		/* how long a send takes */
	struct fake_alias aliases[FAKE_MAX];
	size_t n_aliases;
	int list_rc;
	/* Runs inside list_aliases once the list is copied, without h->mu. */
	void (*during_list)(struct fake_host *h);
	struct eng_sm_view sm;
	struct eng_subscriber subs[8];
	size_t n_subs;
	struct eng_host_fields host;	/* what host_fields answers */
};

/* An engine on a fake host (prefix FAKE_PREFIX, epoch random), conf from @conf or defaults. */
#define FAKE_PREFIX 0xfe80000000000000ULL
void fake_start(struct fake_host *h, const struct ibvmig_conf *conf);
void fake_stop(struct fake_host *h);
/* The defaults, with the admin socket and state directory under @dir ("" for neither). */
void fake_conf(struct ibvmig_conf *c, const char *dir);

/* How many log lines contain @text. */
size_t fake_logged(struct fake_host *h, const char *text);

/* One port's table: @n_guids GUIDs from index 0 (the base GUID first), GUIDCap @entries. */
void fake_port(struct eng_port_snapshot *s, uint64_t port_guid, uint16_t lid, unsigned entries,
	       const uint64_t *guids, unsigned n_guids);
/* An SA request that turned @before into @after. */
void fake_change(struct fake_host *h, const struct eng_port_snapshot *before,
		 const struct eng_port_snapshot *after);
/* Shorthands: one alias set at / deleted from index 1 of a port with 8 entries. */
void fake_set(struct fake_host *h, uint64_t vguid, uint64_t port_guid, uint16_t lid);
void fake_delete(struct fake_host *h, uint64_t vguid, uint64_t port_guid, uint16_t lid);

/* An admin answer, decoded. */
struct fake_answer {
	uint16_t status;
	uint32_t records;
	uint8_t *msg;
	size_t len;
};
void fake_ask(struct fake_host *h, uint8_t op, uint64_t vguid, struct fake_answer *a);
/* Field @tag of record @index: true and *@f filled, false when absent. */
bool fake_field(const struct fake_answer *a, uint32_t index, uint16_t tag,
		struct ibvmig_rec_field *f);
void fake_answer_free(struct fake_answer *a);
/* The value of @tag in the one record of a status or stats answer. */
uint64_t fake_value(struct fake_host *h, uint8_t op, uint16_t tag);

#endif /* IBVMIG_FAKE_HOST_H */
