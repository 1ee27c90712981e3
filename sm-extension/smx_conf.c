// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_conf.c - the extension's configuration file: the format and keys of
 * ibvmig.conf(5), through the same parser, plus the extension's own keys
 * (ibvmig-smx(8), "Configuration").  The defaults of the poll come from the
 * measurements in doc/benchmarks.md, "The SM extension".
 * Log codes of this file: none (smx_main.c reports a bad file).
 */
#include "smx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/*
 * 100 requests/s: OpenSM 3.3.23 spends about 0.25 ms of CPU on a GUIDInfoRecord
 * Get at 2000 hosts, so the poll costs it about 2.5 % of one core there, and a
 * cycle of 2000 ports x 4 blocks takes 80 s... see doc/benchmarks.md for the
 * figures this was chosen from.
 */
#define POLL_RATE_DEFAULT 50

void smx_conf_defaults(struct smx_conf *c)
{
	memset(c, 0, sizeof(*c));
	ibvmig_conf_defaults(&c->base);
	snprintf(c->base.admin_socket, sizeof(c->base.admin_socket), "%s",
		 SMX_ADMIN_SOCKET_DEFAULT);
	c->poll_rate = POLL_RATE_DEFAULT;
	c->poll_interval_ms = 1000;
	c->poll_full_every = 30;
	c->poll_batch = 25;
	c->learn_interval_s = 3600;
	c->learn_gap = 64;
	c->check_ms = 5000;
	c->agent_timeout_s = 300;
	c->delivery = SMX_DELIVER_TRAP;
}

static int number(const char *v, uint64_t min, uint64_t max, unsigned *out, char *msg,
		  size_t len)
{
	uint64_t n;

	if (util_parse_uint(v, 10, min, max, &n)) {
		snprintf(msg, len, "\"%s\" is not a number from %llu to %llu", v,
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = (unsigned)n;
	return 0;
}

static int delivery(const char *v, enum smx_delivery *out, char *msg, size_t len)
{
	static const enum smx_delivery all[] = { SMX_DELIVER_TRAP, SMX_DELIVER_DIRECT,
						 SMX_DELIVER_BOTH };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcasecmp(v, smx_delivery_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	snprintf(msg, len, "\"%s\" is not trap, direct or both", v);
	return -EINVAL;
}

static int trusted(struct smx_conf *c, char *v, char *msg, size_t len)
{
	char *tok, *save = NULL;
	uint64_t guid;

	for (tok = strtok_r(v, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (util_parse_guid(tok, &guid)) {
			snprintf(msg, len, "\"%s\" is not a port GUID", tok);
			return -EINVAL;
		}
		if (smx_conf_trusts(c, guid))
			continue;
		if (c->n_trusted == SMX_TRUSTED_MAX) {
			snprintf(msg, len, "more than %d ports", SMX_TRUSTED_MAX);
			return -EINVAL;
		}
		c->trusted[c->n_trusted++] = guid;
	}
	return 0;
}

/* ibvmig_conf_extra_fn: the keys of the extension's own. */
static int own_key(void *ctx, const char *key, char *v, char *msg, size_t len)
{
	struct smx_conf *c = ctx;

	if (!strcmp(key, "poll_rate"))
		return number(v, 1, 100000, &c->poll_rate, msg, len);
	if (!strcmp(key, "poll_interval_ms"))
		return number(v, 0, 3600000, &c->poll_interval_ms, msg, len);
	if (!strcmp(key, "poll_full_every"))
		return number(v, 1, 100000, &c->poll_full_every, msg, len);
	if (!strcmp(key, "poll_batch"))
		return number(v, 1, 1000, &c->poll_batch, msg, len);
	if (!strcmp(key, "learn_interval"))
		return number(v, 0, 86400, &c->learn_interval_s, msg, len);
	if (!strcmp(key, "learn_gap"))
		return number(v, 1, SMX_LID_TOP, &c->learn_gap, msg, len);
	if (!strcmp(key, "check_interval_ms"))
		return number(v, 100, 3600000, &c->check_ms, msg, len);
	if (!strcmp(key, "agent_timeout"))
		return number(v, 10, 86400, &c->agent_timeout_s, msg, len);
	if (!strcmp(key, "delivery"))
		return delivery(v, &c->delivery, msg, len);
	if (!strcmp(key, "trusted_port"))
		return trusted(c, v, msg, len);
	return -ENOENT;
}

int smx_conf_load(const char *path, struct smx_conf *c, char *err, size_t errlen)
{
	int rc;

	smx_conf_defaults(c);
	rc = ibvmig_conf_load_with(path, &c->base, own_key, c, err, errlen);
	if (rc)
		smx_conf_defaults(c);	/* all or nothing, as ibvmig.conf(5) */
	/*
	 * The plugin's default socket lives beside OpenSM; the extension's in its
	 * own runtime directory (ibvmig-smx.service): the two may share a node.
	 * So the plugin's default path reads as "not set".
	 */
	if (!strcmp(c->base.admin_socket, IBVMIG_ADMIN_SOCKET_DEFAULT))
		snprintf(c->base.admin_socket, sizeof(c->base.admin_socket), "%s",
			 SMX_ADMIN_SOCKET_DEFAULT);
	return rc;
}

bool smx_conf_trusts(const struct smx_conf *c, uint64_t port_guid)
{
	unsigned i;

	for (i = 0; i < c->n_trusted; i++)
		if (c->trusted[i] == port_guid)
			return true;
	return false;
}

const char *smx_delivery_name(enum smx_delivery d)
{
	switch (d) {
	case SMX_DELIVER_TRAP:
		return "trap";
	case SMX_DELIVER_DIRECT:
		return "direct";
	case SMX_DELIVER_BOTH:
		return "both";
	default:
		return "?";
	}
}
