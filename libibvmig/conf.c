// SPDX-License-Identifier: BSD-2-Clause
/*
 * conf.c - the plugin's configuration file, named by OpenSM's
 * event_plugin_options.  Parsed here, outside the plugin, so that every rule
 * is unit-tested; the plugin only logs the one error line and carries on
 * with the defaults when the file is wrong.
 */
#include "ibvmig_conf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_LEN 1024

void ibvmig_conf_defaults(struct ibvmig_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->trap_ttl_ms = 3600 * 1000ULL;
	c->trap_capacity = 65536;
	c->unpath = true;
	snprintf(c->admin_socket, sizeof(c->admin_socket), "%s", IBVMIG_ADMIN_SOCKET_DEFAULT);
	c->admin_socket_mode = 0600;
	c->alias_guard = true;
	c->log_level = UTIL_LOG_INFO;
	c->save_delay_ms = 100;
	c->state_compact_factor = 4;
	c->escrow_ttl_ms = 600 * 1000ULL;
	c->escrow_capacity = 1024;
	c->escrow_sweep_delay_ms = 50;
	c->escrow_fast_move = true;
}

struct parser {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	ibvmig_conf_extra_fn extra;	/* the host's own keys, or NULL */
	void *extra_ctx;
};

static int bad(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_uint(struct parser *p, const char *key, const char *v, int base, uint64_t max,
		      uint64_t *out)
{
	char *end;

	errno = 0;
	if (*v == '-')
		return bad(p, "%s: \"%s\" is not a number", key, v);
	*out = strtoull(v, &end, base);
	if (errno || *end || end == v)
		return bad(p, "%s: \"%s\" is not a number", key, v);
	if (*out > max)
		return bad(p, "%s: %s is above the maximum %" PRIu64, key, v, max);
	return 0;
}

static int parse_bool(struct parser *p, const char *key, const char *v, bool *out)
{
	static const char *const yes[] = { "true", "on", "yes", "1" };
	static const char *const no[] = { "false", "off", "no", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return bad(p, "%s: \"%s\" is not TRUE or FALSE", key, v);
}

static int parse_string(struct parser *p, const char *key, const char *v, char *out,
			size_t size, bool absolute)
{
	if (strlen(v) >= size)
		return bad(p, "%s: longer than %zu characters", key, size - 1);
	if (absolute && v[0] != '/')
		return bad(p, "%s: \"%s\" is not an absolute path", key, v);
	strcpy(out, v);
	return 0;
}

static int parse_guid_list(struct parser *p, struct ibvmig_conf *c, char *v)
{
	char *tok, *save = NULL;
	uint64_t guid;
	int rc;

	for (tok = strtok_r(v, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		rc = parse_uint(p, "alias_guard_allow", tok, 0, UINT64_MAX, &guid);
		if (rc)
			return rc;
		if (!guid)
			return bad(p, "alias_guard_allow: GUID 0 is not a port");
		if (c->guard_allow_count == IBVMIG_CONF_GUARD_ALLOW_MAX)
			return bad(p, "alias_guard_allow: more than %d ports",
				   IBVMIG_CONF_GUARD_ALLOW_MAX);
		c->guard_allow[c->guard_allow_count++] = guid;
	}
	return 0;
}

/* "vswitch <switch node GUID> pf <port GUID>": which port speaks for a vSwitch's VFs. */
static int parse_vswitch(struct parser *p, struct ibvmig_conf *c, char *v)
{
	char *sw, *kw, *pf, *extra, *save = NULL;
	uint64_t sw_guid, pf_guid;
	unsigned i;
	int rc;

	sw = strtok_r(v, " \t", &save);
	kw = strtok_r(NULL, " \t", &save);
	pf = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (!sw || !kw || strcmp(kw, "pf") || !pf || extra)
		return bad(p, "vswitch: not \"<switch node GUID> pf <port GUID>\"");
	rc = parse_uint(p, "vswitch", sw, 0, UINT64_MAX, &sw_guid);
	if (!rc)
		rc = parse_uint(p, "vswitch", pf, 0, UINT64_MAX, &pf_guid);
	if (rc)
		return rc;
	if (!sw_guid || !pf_guid)
		return bad(p, "vswitch: GUID 0 is not a switch or a port");
	for (i = 0; i < c->vswitch_count; i++)
		if (c->vswitch[i].switch_guid == sw_guid)
			return bad(p, "vswitch: switch 0x%016" PRIx64 " declared twice", sw_guid);
	if (c->vswitch_count == IBVMIG_CONF_VSWITCH_MAX)
		return bad(p, "vswitch: more than %d vSwitches", IBVMIG_CONF_VSWITCH_MAX);
	c->vswitch[c->vswitch_count].switch_guid = sw_guid;
	c->vswitch[c->vswitch_count].pf_guid = pf_guid;
	c->vswitch_count++;
	return 0;
}

static int parse_log_level(struct parser *p, const char *v, enum util_log_level *out)
{
	static const char *const names[] = { "error", "info", "verbose", "debug" };
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, names[i])) {
			*out = (enum util_log_level)i;
			return 0;
		}
	}
	return bad(p, "log_level: \"%s\" is not error, info, verbose or debug", v);
}

/* A key of the host's own (ibvmig-smx(8)), or unknown. */
static int apply_extra(struct parser *p, const char *key, char *v)
{
	char msg[256] = "";
	int rc = p->extra ? p->extra(p->extra_ctx, key, v, msg, sizeof(msg)) : -ENOENT;

	if (rc == -ENOENT)
		return bad(p, "unknown option \"%s\"", key);
	if (rc)
		return bad(p, "%s: %s", key, msg[0] ? msg : "bad value");
	return 0;
}

static int apply(struct parser *p, struct ibvmig_conf *c, const char *key, char *v)
{
	uint64_t n = 0;
	int rc;

	if (!strcmp(key, "trap_ttl")) {
		rc = parse_uint(p, key, v, 10, UINT64_MAX / 1000, &n);
		c->trap_ttl_ms = n * 1000;
	} else if (!strcmp(key, "trap_capacity")) {
		rc = parse_uint(p, key, v, 10, (1u << 24) - 2, &n);
		if (!rc && !n)
			rc = bad(p, "trap_capacity: must be at least 1");
		c->trap_capacity = (uint32_t)n;
	} else if (!strcmp(key, "unpath")) {
		rc = parse_bool(p, key, v, &c->unpath);
	} else if (!strcmp(key, "state_dir")) {
		rc = parse_string(p, key, v, c->state_dir, sizeof(c->state_dir), true);
	} else if (!strcmp(key, "admin_socket")) {
		rc = parse_string(p, key, v, c->admin_socket, sizeof(c->admin_socket), true);
	} else if (!strcmp(key, "admin_socket_mode")) {
		rc = parse_uint(p, key, v, 8, 0777, &n);
		c->admin_socket_mode = (uint32_t)n;
	} else if (!strcmp(key, "alias_guard")) {
		rc = parse_bool(p, key, v, &c->alias_guard);
	} else if (!strcmp(key, "alias_guard_allow")) {
		rc = parse_guid_list(p, c, v);
	} else if (!strcmp(key, "log_level")) {
		rc = parse_log_level(p, v, &c->log_level);
	} else if (!strcmp(key, "save_delay_ms")) {
		rc = parse_uint(p, key, v, 10, 60000, &n);
		c->save_delay_ms = (uint32_t)n;
	} else if (!strcmp(key, "state_compact_factor")) {
		rc = parse_uint(p, key, v, 10, 1000, &n);
		if (!rc && !n)
			rc = bad(p, "state_compact_factor: must be at least 1");
		c->state_compact_factor = (uint32_t)n;
	} else if (!strcmp(key, "escrow")) {
		rc = parse_bool(p, key, v, &c->escrow);
	} else if (!strcmp(key, "escrow_ttl")) {
		rc = parse_uint(p, key, v, 10, 7 * 86400, &n);
		if (!rc && !n)
			rc = bad(p, "escrow_ttl: must be at least 1");
		c->escrow_ttl_ms = n * 1000;
	} else if (!strcmp(key, "escrow_capacity")) {
		rc = parse_uint(p, key, v, 10, IBVMIG_CONF_ESCROW_CAPACITY_MAX, &n);
		if (!rc && !n)
			rc = bad(p, "escrow_capacity: must be at least 1");
		c->escrow_capacity = (uint32_t)n;
	} else if (!strcmp(key, "escrow_journal")) {
		rc = parse_string(p, key, v, c->escrow_journal, sizeof(c->escrow_journal), true);
	} else if (!strcmp(key, "escrow_partitions")) {
		rc = parse_string(p, key, v, c->escrow_partitions, sizeof(c->escrow_partitions),
				  true);
	} else if (!strcmp(key, "escrow_sweep_delay_ms")) {
		rc = parse_uint(p, key, v, 10, 60000, &n);
		c->escrow_sweep_delay_ms = (uint32_t)n;
	} else if (!strcmp(key, "escrow_fast_move")) {
		rc = parse_bool(p, key, v, &c->escrow_fast_move);
	} else if (!strcmp(key, "vswitch")) {
		rc = parse_vswitch(p, c, v);
	} else {
		rc = apply_extra(p, key, v);
	}
	return rc;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int parse_line(struct parser *p, struct ibvmig_conf *c, char *line)
{
	char *key, *value;

	line[strcspn(line, "#")] = '\0';
	key = trim(line);
	if (!*key)
		return 0;
	value = key + strcspn(key, " \t");
	if (!*value)
		return bad(p, "option \"%s\" has no value", key);
	*value++ = '\0';
	return apply(p, c, key, trim(value));
}

int ibvmig_conf_parse(const char *text, const char *name, struct ibvmig_conf *c, char *err,
		      size_t errlen)
{
	return ibvmig_conf_parse_with(text, name, c, NULL, NULL, err, errlen);
}

int ibvmig_conf_parse_with(const char *text, const char *name, struct ibvmig_conf *c,
			   ibvmig_conf_extra_fn extra, void *ctx, char *err, size_t errlen)
{
	struct parser p = { .name = name, .err = err, .errlen = errlen, .extra = extra,
			    .extra_ctx = ctx };
	char line[LINE_MAX_LEN];
	int rc = 0;

	ibvmig_conf_defaults(c);
	if (errlen)
		err[0] = '\0';
	while (*text && !rc) {
		size_t len = strcspn(text, "\n");

		p.line++;
		if (len >= sizeof(line)) {
			rc = bad(&p, "line longer than %d characters", LINE_MAX_LEN - 1);
			break;
		}
		memcpy(line, text, len);
		line[len] = '\0';
		text += len + (text[len] == '\n');
		rc = parse_line(&p, c, line);
	}
	if (rc)
		ibvmig_conf_defaults(c);
	return rc;
}

int ibvmig_conf_load(const char *path, struct ibvmig_conf *c, char *err, size_t errlen)
{
	return ibvmig_conf_load_with(path, c, NULL, NULL, err, errlen);
}

int ibvmig_conf_load_with(const char *path, struct ibvmig_conf *c, ibvmig_conf_extra_fn extra,
			  void *ctx, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	ssize_t got;
	FILE *f;
	int rc;

	ibvmig_conf_defaults(c);
	if (errlen)
		err[0] = '\0';
	if (!path || !*path)
		return 0;
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	got = getdelim(&text, &len, '\0', f);
	if (got < 0 && ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	} else if (fgetc(f) != EOF) {
		rc = -EINVAL;	/* getdelim stopped at a NUL byte */
		snprintf(err, errlen, "%s: not a text file", path);
	} else {
		/*
		 * An empty file: getdelim returns -1 with a buffer it allocated
		 * but never terminated, so its bytes are whatever the heap held.
		 */
		rc = ibvmig_conf_parse_with(got > 0 ? text : "", path, c, extra, ctx, err,
					    errlen);
	}
	free(text);
	fclose(f);
	return rc;
}
