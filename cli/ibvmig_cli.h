/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_cli.h - libibvmig-cli, what every command-line program of ibvmig
 * shares, in the manner of infiniband-diags' ibdiag_common: one table of
 * common options, one exit-code map (ibvmig(7) documents both once; each
 * tool's man page refers to it), one-line messages on stderr, and the JSON
 * and text rendering of record lists (ibvmig_records.h).
 *
 * The common options, each taken only by the tools that ask for it:
 *   -C, --Ca CA          a CA name              -P, --Port PORT   1..254
 *   -S, --socket PATH    the peer's socket      -t, --timeout MS  always milliseconds
 *   -v, --verbose        more (repeatable)      -j, --json        machine-readable output
 *   -V, --version        the version, exit 0    -h, --help        the usage, exit 0
 *
 * ERRORS: cli_parse() and the cli_*_error() helpers print one line on stderr
 * and return the exit status; nothing here calls exit().
 * THREAD SAFETY: for a program's main thread.
 */
#ifndef IBVMIG_CLI_H
#define IBVMIG_CLI_H

#include "ibvmig_records.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The exit status of every ibvmig program (ibvmig(7)). */
enum ibvmig_exit {
	IBVMIG_EXIT_OK = 0,
	IBVMIG_EXIT_FAILED = 1,		/* refused by the peer, or the operation failed */
	IBVMIG_EXIT_USAGE = 2,		/* bad options or arguments */
	IBVMIG_EXIT_UNREACHABLE = 3,	/* nobody serves the socket or port, or no answer */
	IBVMIG_EXIT_DENIED = 4,		/* permission denied (socket, SA, alias guard) */
	IBVMIG_EXIT_PROTOCOL = 5,	/* an answer that is not the protocol's */
	IBVMIG_EXIT_HELD = 6,		/* the vGUID is held by another port or VM */
	IBVMIG_EXIT_NOT_FOUND = 7,	/* no such vGUID, path, entry or VM */
	IBVMIG_EXIT_FULL = 8,		/* a limit: no free alias index, table full */
};

/* Which common options a tool takes. */
enum cli_common_opt {
	CLI_OPT_CA = 1u << 0,
	CLI_OPT_PORT = 1u << 1,
	CLI_OPT_SOCKET = 1u << 2,
	CLI_OPT_TIMEOUT = 1u << 3,
	CLI_OPT_VERBOSE = 1u << 4,
	CLI_OPT_JSON = 1u << 5,
};

struct cli_common {
	const char *ca;			/* NULL: the tool's default */
	int port;			/* 0: the tool's default */
	const char *socket;		/* NULL: the tool's default */
	int timeout_ms;			/* preset by the tool to its default */
	int verbose;
	bool json;
};

/*
 * A tool: its name, which common options it takes, its own options (getopt
 * short string without ':' prefix, long options terminated by a zero entry,
 * values >= 256 for long-only ones) and the function that takes each of them
 * (0, or -1 for a bad value).  @help holds the tool's own lines of --help
 * (commands and options); cli_usage() adds the common ones.
 */
struct cli_tool {
	const char *prog;
	const char *synopsis;		/* "[options] COMMAND" */
	const char *help;
	unsigned common;		/* enum cli_common_opt */
	const char *shortopts;
	const struct option *longopts;
	int (*opt)(int c, const char *arg, void *ctx);
	void *ctx;
	/* true: options may follow words (GNU order); false: the first word ends them. */
	bool permute;
	/* The server the tool talks to, for messages: "the ibvmig plugin", and a hint. */
	const char *server;
	const char *server_hint;	/* "is OpenSM running with ...?" */
};

/*
 * Parses @argv.  Returns -1 when the tool should go on (the words left start
 * at argv[*first]), or the exit status: 0 after -h or -V (printed on stdout),
 * IBVMIG_EXIT_USAGE after a bad option or value (one line on stderr).
 */
int cli_parse(const struct cli_tool *t, int argc, char **argv, struct cli_common *c,
	      int *first);
void cli_usage(const struct cli_tool *t, FILE *f);

/* "PROG: message" on stderr; returns @code. */
int cli_fail(const struct cli_tool *t, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A usage error: the message, "(try -h)", IBVMIG_EXIT_USAGE. */
int cli_usage_error(const struct cli_tool *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A failed exchange with the tool's server at @socket: one line naming
 * t->server (and t->server_hint when nobody answers), and its exit status
 * (UNREACHABLE, DENIED or PROTOCOL).
 */
int cli_transport_error(const struct cli_tool *t, const char *socket, int timeout_ms, int rc);

/*
 * The exit status that answers the LID escrow's status @esc_status (enum
 * ibvmig_esc_status, doc/escrow-protocol.md): OK 0; a token unknown or
 * expired NOT_FOUND; used, a port holding aliases or in escrow, a LID busy
 * HELD; wrong requester and rate limited DENIED; not master and journal
 * unavailable UNREACHABLE (ask again: an SM is coming); capacity FULL;
 * malformed and unknown statuses PROTOCOL; path differs, group-rule key,
 * internal FAILED.  *@hint (may be NULL) gets what the requester can do.
 */
int cli_escrow_exit(unsigned esc_status, const char **hint);

/* ---- rendering record lists ------------------------------------------------------- */

typedef const char *(*cli_tag_name_fn)(uint16_t tag);

/* A JSON string, escaped. */
void cli_json_string(FILE *f, const char *s);
/* One field as "name":value (GUIDs as "0x%016x" strings); unknown tags as tag_N. */
void cli_json_field(FILE *f, const struct ibvmig_rec_field *field, cli_tag_name_fn name);
/* The rest of the current record as a JSON object's members; 0 or -EBADMSG. */
int cli_json_record(FILE *f, struct ibvmig_rec_reader *r, cli_tag_name_fn name);
/* A field's name for a human: the tag's, or tag_N (in @buf). */
const char *cli_field_name(const struct ibvmig_rec_field *field, cli_tag_name_fn name,
			   char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_CLI_H */
