// SPDX-License-Identifier: BSD-2-Clause
/*
 * ibvmig - the administrator's view of the ibvmig OpenSM plugin: its status,
 * the trap table, the subscribers to RePath/UnPath, the counters, the LID
 * escrows; flushing trap-table entries and ending escrows.  Talks to the plugin's admin socket
 * (doc/admin-protocol.md); see ibvmig(8).
 */
#include "ibvmig_admin.h"
#include "ibvmig_cli.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 5000

static const struct cli_tool tool = {
	.prog = "ibvmig",
	.synopsis = "[options] status|traps|subscribers|stats\n"
		    "       ibvmig [options] traps flush [VGUID]\n"
		    "       ibvmig [options] escrow list|show ID|cancel ID",
	.help = "The administrator's view of the ibvmig OpenSM plugin (ibvmig(8)).\n"
		"defaults: -S $IBVMIG_ADMIN_SOCKET or " IBVMIG_ADMIN_SOCKET_DEFAULT ", -t 5000\n",
	.common = CLI_OPT_SOCKET | CLI_OPT_TIMEOUT | CLI_OPT_JSON,
	.server = "ibvmig plugin",
	.server_hint = "is OpenSM running with event_plugin_name ibvmig?",
};

/* How a command shows its records to a human. */
struct column {
	uint16_t tag;
	const char *header;
	int width;
};

struct command {
	const char *name;
	uint8_t op;
	bool list;		/* records are rows of a table, else one key: value block */
	const struct column *columns;	/* NULL: every field as "name: value" */
};

static const struct column trap_columns[] = {
	{ IBVMIG_TAG_VGUID, "VGUID", 18 },
	{ IBVMIG_TAG_LID, "LID", 5 },
	{ IBVMIG_TAG_PORT_GUID, "PORT GUID", 18 },
	{ IBVMIG_TAG_DELETED_AT_MS, "DELETED AT", 19 },
	{ IBVMIG_TAG_EXPIRES_IN_MS, "EXPIRES IN", 10 },
	{ 0 },
};

static const struct column subscriber_columns[] = {
	{ IBVMIG_TAG_SUBSCRIBER_GUID, "SUBSCRIBER GUID", 18 },
	{ IBVMIG_TAG_LID, "LID", 5 },
	{ IBVMIG_TAG_QPN, "QPN", 6 },
	{ IBVMIG_TAG_TRAP, "TRAP", 5 },
	{ IBVMIG_TAG_LID_RANGE_BEGIN, "LID RANGE", 6 },
	{ IBVMIG_TAG_LID_RANGE_END, "", 6 },
	{ 0 },
};

static const struct column escrow_columns[] = {
	{ IBVMIG_TAG_ESCROW_ID, "ID", 5 },
	{ IBVMIG_TAG_ESCROW_STATE, "STATE", 9 },
	{ IBVMIG_TAG_LID, "LID", 5 },
	{ IBVMIG_TAG_SOURCE_GUID, "SOURCE", 18 },
	{ IBVMIG_TAG_CLAIMANT_GUID, "CLAIMANT", 18 },
	{ IBVMIG_TAG_EXPIRES_IN_MS, "EXPIRES IN", 10 },
	{ IBVMIG_TAG_PKEYS, "P_KEYS", 20 },
	{ 0 },
};

static const struct command commands[] = {
	{ "status", IBVMIG_ADMIN_STATUS, false, NULL },
	{ "traps", IBVMIG_ADMIN_TRAPS, true, trap_columns },
	{ "subscribers", IBVMIG_ADMIN_SUBSCRIBERS, true, subscriber_columns },
	{ "stats", IBVMIG_ADMIN_STATS, false, NULL },
	{ "flush", IBVMIG_ADMIN_FLUSH, false, NULL },
	{ "escrow list", IBVMIG_ADMIN_ESCROW_LIST, true, escrow_columns },
	{ "escrow show", IBVMIG_ADMIN_ESCROW_SHOW, false, NULL },
	{ "escrow cancel", IBVMIG_ADMIN_ESCROW_CANCEL, false, NULL },
};

/* ---- rendering ---------------------------------------------------------- */

static void format_time(uint64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !localtime_r(&secs, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

static void format_duration(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 ".%01" PRIu64 "s", s, ms % 1000 / 100);
}

/* A field as a human reads it. */
static void format_field(const struct ibvmig_rec_field *f, char *buf, size_t len)
{
	switch (f->type) {
	case IBVMIG_REC_T_GUID:
		snprintf(buf, len, "0x%016" PRIx64, f->value);
		return;
	case IBVMIG_REC_T_BOOL:
		snprintf(buf, len, "%s", f->value ? "on" : "off");
		return;
	case IBVMIG_REC_T_STR:
		snprintf(buf, len, "%s", f->str[0] ? f->str : "-");
		return;
	}
	if (f->tag == IBVMIG_TAG_DELETED_AT_MS || f->tag == IBVMIG_TAG_STARTED_AT_MS ||
	    f->tag == IBVMIG_TAG_LAST_SAVE_MS || f->tag == IBVMIG_TAG_CREATED_MS ||
	    f->tag == IBVMIG_TAG_CHANGED_MS)
		format_time(f->value, buf, len);
	else if (f->tag == IBVMIG_TAG_EXPIRES_IN_MS || f->tag == IBVMIG_TAG_TTL_MS)
		format_duration(f->value, buf, len);
	else if (f->tag == IBVMIG_TAG_EPOCH)
		snprintf(buf, len, "0x%08" PRIx64, f->value);
	else if (f->tag == IBVMIG_TAG_TRAP && f->value == 0xFFFF)
		snprintf(buf, len, "all");
	else
		snprintf(buf, len, "%" PRIu64, f->value);
}

static int print_json(const struct command *cmd, struct ibvmig_rec_reader *r)
{
	int records = 0, rc;

	if (cmd->list)
		putchar('[');
	while ((rc = ibvmig_rec_next(r)) == 1) {
		printf("%s{", records++ ? "," : "");
		rc = cli_json_record(stdout, r, ibvmig_admin_tag_name);
		putchar('}');
		if (rc < 0)
			return rc;
	}
	if (cmd->list)
		putchar(']');
	else if (!records)
		printf("{}");
	putchar('\n');
	return rc;
}

static void print_header(const struct column *cols)
{
	const struct column *c;

	for (c = cols; c->tag; c++)
		printf("%-*s%s", c->width, c->header, c[1].tag ? "  " : "\n");
}

/* One table row: each column's field, in column order, whatever the wire order. */
static int print_row(const struct column *cols, struct ibvmig_rec_reader *r)
{
	char cells[8][64] = { { 0 } };
	struct ibvmig_rec_field f;
	const struct column *c;
	int rc, i;

	while ((rc = ibvmig_rec_next_field(r, &f)) == 1)
		for (c = cols, i = 0; c->tag && i < 8; c++, i++)
			if (c->tag == f.tag)
				format_field(&f, cells[i], sizeof(cells[i]));
	for (c = cols, i = 0; c->tag; c++, i++)
		printf("%-*s%s", c->width, cells[i][0] ? cells[i] : "-", c[1].tag ? "  " : "\n");
	return rc;
}

/* The longest field name: values line up whatever fields a record holds. */
static int name_width(void)
{
	int width = 0;
	unsigned tag;

	for (tag = 1; tag <= IBVMIG_TAG_MAX; tag++) {
		const char *name = ibvmig_admin_tag_name(tag);

		if (name && (int)strlen(name) > width)
			width = (int)strlen(name);
	}
	return width;
}

static int print_block(struct ibvmig_rec_reader *r)
{
	struct ibvmig_rec_field f;
	char value[300];
	int width = name_width(), rc;

	while ((rc = ibvmig_rec_next_field(r, &f)) == 1) {
		const char *name = ibvmig_admin_tag_name(f.tag);

		format_field(&f, value, sizeof(value));
		printf("%-*s %s\n", width, name ? name : "?", value);
	}
	return rc;
}

static int print_human(const struct command *cmd, struct ibvmig_rec_reader *r)
{
	int rc, rows = 0;

	if (cmd->list)
		print_header(cmd->columns);
	while ((rc = ibvmig_rec_next(r)) == 1) {
		rc = cmd->list ? print_row(cmd->columns, r) : print_block(r);
		if (rc < 0)
			return rc;
		rows++;
	}
	if (cmd->list)
		printf("%d %s\n", rows,
		       cmd->op == IBVMIG_ADMIN_TRAPS ? "entries" :
		       cmd->op == IBVMIG_ADMIN_ESCROW_LIST ? "escrows" : "subscriptions");
	return rc;
}

/* ---- the exchange -------------------------------------------------------- */

static int exit_for_status(uint16_t status)
{
	return status == IBVMIG_ADMIN_E_NOT_FOUND ? IBVMIG_EXIT_NOT_FOUND : IBVMIG_EXIT_FAILED;
}

static int run(const struct cli_common *o, const struct command *cmd, uint64_t arg)
{
	struct ibvmig_admin_request req = { .op = cmd->op, .vguid = arg, .escrow_id = arg };
	struct ibvmig_rec_reader r;
	struct ibvmig_admin_header h;
	uint8_t *body = NULL;
	size_t len = 0;
	int rc;

	rc = ibvmig_admin_call(o->socket, &req, o->timeout_ms, &h, &body, &len);
	if (rc)
		return cli_transport_error(&tool, o->socket, o->timeout_ms, rc);
	if (h.status) {
		free(body);
		return cli_fail(&tool, exit_for_status(h.status), "%s: %s", cmd->name,
				ibvmig_admin_status_text(h.status));
	}
	rc = h.op == cmd->op ? ibvmig_rec_reader_init(&r, body, len) : -EBADMSG;
	if (!rc)
		rc = o->json ? print_json(cmd, &r) : print_human(cmd, &r);
	free(body);
	return rc < 0 ? cli_transport_error(&tool, o->socket, o->timeout_ms, -EBADMSG)
		      : IBVMIG_EXIT_OK;
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name) && commands[i].op != IBVMIG_ADMIN_FLUSH)
			return &commands[i];
	return NULL;
}

/* "escrow list", "escrow show ID", "escrow cancel ID" */
static int run_escrow(const struct cli_common *o, int argc, char **argv)
{
	const struct command *cmd;
	char name[32];
	uint64_t id = 0;

	if (argc < 1)
		return cli_usage_error(&tool, "escrow: list, show ID or cancel ID");
	snprintf(name, sizeof(name), "escrow %s", argv[0]);
	cmd = find_command(name);
	if (!cmd)
		return cli_usage_error(&tool, "escrow: unknown command \"%s\"", argv[0]);
	if (cmd->op == IBVMIG_ADMIN_ESCROW_LIST) {
		if (argc != 1)
			return cli_usage_error(&tool, "escrow list takes no arguments");
	} else if (argc != 2 || util_parse_uint(argv[1], 10, 1, UINT64_MAX, &id)) {
		return cli_usage_error(&tool, "%s takes one escrow id (a number from escrow list)",
				       cmd->name);
	}
	return run(o, cmd, id);
}

/* "traps flush [VGUID]" */
static int run_flush(const struct cli_common *o, int argc, char **argv)
{
	uint64_t vguid = 0;

	if (argc > 1 || (argc == 1 && util_parse_guid(argv[0], &vguid)))
		return cli_usage_error(&tool, "traps flush takes at most one non-zero vGUID");
	return run(o, &commands[4], vguid);
}

int main(int argc, char **argv)
{
	struct cli_common o = { .socket = getenv("IBVMIG_ADMIN_SOCKET"),
				.timeout_ms = DEFAULT_TIMEOUT_MS };
	const struct command *cmd;
	int first, code;

	if (!o.socket || !*o.socket)
		o.socket = IBVMIG_ADMIN_SOCKET_DEFAULT;
	code = cli_parse(&tool, argc, argv, &o, &first);
	if (code >= 0)
		return code;
	if (first == argc) {
		cli_usage(&tool, stderr);
		return IBVMIG_EXIT_USAGE;
	}
	if (!strcmp(argv[first], "traps") && first + 1 < argc && !strcmp(argv[first + 1], "flush"))
		return run_flush(&o, argc - first - 2, argv + first + 2);
	if (!strcmp(argv[first], "escrow"))
		return run_escrow(&o, argc - first - 1, argv + first + 1);
	cmd = find_command(argv[first]);
	if (!cmd)
		return cli_usage_error(&tool, "unknown command \"%s\"", argv[first]);
	if (first + 1 != argc)
		return cli_usage_error(&tool, "%s takes no arguments", cmd->name);
	return run(&o, cmd, 0);
}
