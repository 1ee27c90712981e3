// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli.c - the common option table, the exit-code map and the messages of
 * every ibvmig command-line program (ibvmig_cli.h, ibvmig(7)).
 */
#include "ibvmig_cli.h"
#include "ibvmig_escrow.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CLI_LONGOPTS_MAX 64
#define TIMEOUT_MAX_MS 3600000	/* an hour: longer is a typo */

struct common_opt {
	unsigned flag;
	struct option lo;
	const char *help;
};

static const struct common_opt common_opts[] = {
	{ CLI_OPT_CA, { "Ca", required_argument, NULL, 'C' },
	  "  -C, --Ca CA           the CA to use" },
	{ CLI_OPT_PORT, { "Port", required_argument, NULL, 'P' },
	  "  -P, --Port PORT       the port of that CA (1..254)" },
	{ CLI_OPT_SOCKET, { "socket", required_argument, NULL, 'S' },
	  "  -S, --socket PATH     the server's socket" },
	{ CLI_OPT_TIMEOUT, { "timeout", required_argument, NULL, 't' },
	  "  -t, --timeout MS      give up after MS milliseconds" },
	{ CLI_OPT_VERBOSE, { "verbose", no_argument, NULL, 'v' },
	  "  -v, --verbose         more output (repeat for more)" },
	{ CLI_OPT_JSON, { "json", no_argument, NULL, 'j' },
	  "  -j, --json            machine-readable output" },
	{ ~0u, { "version", no_argument, NULL, 'V' },
	  "  -V, --version         the version, then exit" },
	{ ~0u, { "help", no_argument, NULL, 'h' }, "  -h, --help            this text" },
};
#define N_COMMON (sizeof(common_opts) / sizeof(common_opts[0]))

static bool takes(const struct cli_tool *t, const struct common_opt *o)
{
	return o->flag == ~0u || (t->common & o->flag);
}

void cli_usage(const struct cli_tool *t, FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s %s\n", t->prog, t->synopsis);
	if (t->help)
		fputs(t->help, f);
	fputs("common options (ibvmig(7)):\n", f);
	for (i = 0; i < N_COMMON; i++)
		if (takes(t, &common_opts[i]))
			fprintf(f, "%s\n", common_opts[i].help);
	fputs("exit: 0 ok, 1 failed or refused, 2 usage, 3 unreachable, 4 denied, 5 protocol,\n"
	      "      6 held elsewhere, 7 not found, 8 full (ibvmig(7))\n",
	      f);
}

static int vfail(const struct cli_tool *t, int code, const char *fmt, va_list ap,
		 const char *tail)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s: %s%s\n", t->prog, msg, tail);
	return code;
}

int cli_fail(const struct cli_tool *t, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(t, code, fmt, ap, "");
	va_end(ap);
	return rc;
}

int cli_usage_error(const struct cli_tool *t, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(t, IBVMIG_EXIT_USAGE, fmt, ap, " (try -h)");
	va_end(ap);
	return rc;
}

/* The getopt tables: the common options the tool takes, then its own. */
static int build_tables(const struct cli_tool *t, struct option *lo, char *so, size_t so_len)
{
	size_t n = 0, i;
	int k;

	k = snprintf(so, so_len, "%s:", t->permute ? "" : "+");
	for (i = 0; i < N_COMMON; i++) {
		if (!takes(t, &common_opts[i]))
			continue;
		lo[n++] = common_opts[i].lo;
		k += snprintf(so + k, so_len - (size_t)k, "%c%s", common_opts[i].lo.val,
			      common_opts[i].lo.has_arg ? ":" : "");
	}
	for (i = 0; t->longopts && t->longopts[i].name; i++) {
		if (n == CLI_LONGOPTS_MAX - 1)
			return -1;
		lo[n++] = t->longopts[i];
	}
	lo[n] = (struct option){ 0 };
	k += snprintf(so + k, so_len - (size_t)k, "%s", t->shortopts ? t->shortopts : "");
	return (size_t)k < so_len ? 0 : -1;
}

/* The common option for @c, if @t takes it. */
static const struct common_opt *common_for(const struct cli_tool *t, int c)
{
	size_t i;

	for (i = 0; i < N_COMMON; i++)
		if (common_opts[i].lo.val == c && takes(t, &common_opts[i]))
			return &common_opts[i];
	return NULL;
}

static int common_value(int c, const char *arg, struct cli_common *cc)
{
	uint64_t v;

	switch (c) {
	case 'C':
		/* A CA name is a directory name under /sys/class/infiniband. */
		cc->ca = arg;
		return *arg && !strchr(arg, '/') ? 0 : -1;
	case 'P':
		if (util_parse_uint(arg, 10, 1, 254, &v))
			return -1;
		cc->port = (int)v;
		return 0;
	case 'S':
		cc->socket = arg;
		return *arg ? 0 : -1;
	case 't':
		if (util_parse_uint(arg, 10, 1, TIMEOUT_MAX_MS, &v))
			return -1;
		cc->timeout_ms = (int)v;
		return 0;
	case 'v':
		cc->verbose++;
		return 0;
	case 'j':
		cc->json = true;
		return 0;
	default:
		return -1;
	}
}

/* "-t/--timeout" for option @c, for a message. */
static const char *opt_name(const struct option *lo, int c, char *buf, size_t len)
{
	const char *longname = NULL;
	size_t i;

	for (i = 0; lo[i].name; i++)
		if (lo[i].val == c)
			longname = lo[i].name;
	if (c < 256 && longname)
		snprintf(buf, len, "-%c/--%s", c, longname);
	else if (longname)
		snprintf(buf, len, "--%s", longname);
	else
		snprintf(buf, len, "-%c", c);
	return buf;
}

int cli_parse(const struct cli_tool *t, int argc, char **argv, struct cli_common *cc,
	      int *first)
{
	struct option lo[CLI_LONGOPTS_MAX];
	char so[128], name[48];
	int c, rc;

	if (build_tables(t, lo, so, sizeof(so)))
		return cli_fail(t, IBVMIG_EXIT_USAGE, "internal error: option table too large");
	opterr = 0;
	optind = 0;	/* 0, not 1: glibc then reads the optstring's '+' again */
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			cli_usage(t, stdout);
			return IBVMIG_EXIT_OK;
		}
		if (c == 'V') {
			printf("%s (%s) %s\n", t->prog, PACKAGE_NAME, PACKAGE_VERSION);
			return IBVMIG_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return cli_usage_error(t, "%s: %s",
					       c == ':' ? "missing value" : "unknown option",
					       optopt ? opt_name(lo, optopt, name, sizeof(name))
						      : argv[optind - 1]);
		if (common_for(t, c))
			rc = common_value(c, optarg, cc);
		else
			rc = t->opt ? t->opt(c, optarg, t->ctx) : -1;
		if (rc)
			return cli_usage_error(t, "bad value for %s: \"%s\"",
					       opt_name(lo, c, name, sizeof(name)),
					       optarg ? optarg : "");
	}
	*first = optind;
	return -1;
}

int cli_transport_error(const struct cli_tool *t, const char *socket, int timeout_ms, int rc)
{
	switch (rc) {
	case -ENOENT:
	case -ECONNREFUSED:
	case -ENOTSOCK:
		return cli_fail(t, IBVMIG_EXIT_UNREACHABLE, "no %s answers at %s: %s", t->server,
				socket, t->server_hint ? t->server_hint : "is it running?");
	case -EACCES:
	case -EPERM:
		return cli_fail(t, IBVMIG_EXIT_DENIED,
				"%s: permission denied (the socket is root's)", socket);
	case -ETIMEDOUT:
		return cli_fail(t, IBVMIG_EXIT_UNREACHABLE, "%s: no answer within %d ms", socket,
				timeout_ms);
	case -EPROTO:
	case -EPROTONOSUPPORT:
	case -EMSGSIZE:
	case -EBADMSG:
	case -EOPNOTSUPP:
	case -ECONNRESET:
		return cli_fail(t, IBVMIG_EXIT_PROTOCOL, "%s: the answer is not from the %s",
				socket, t->server);
	default:
		return cli_fail(t, IBVMIG_EXIT_UNREACHABLE, "%s: %s", socket, strerror(-rc));
	}
}

/* ---- the LID escrow's statuses ----------------------------------------------------------- */

static const struct {
	int code;
	const char *hint;
} escrow_exits[IBVMIG_ESC_STATUS_MAX + 1] = {
	[IBVMIG_ESC_OK] = { IBVMIG_EXIT_OK, "" },
	[IBVMIG_ESC_MALFORMED] = { IBVMIG_EXIT_PROTOCOL, "the SM could not take the request" },
	[IBVMIG_ESC_UNKNOWN_TOKEN] = { IBVMIG_EXIT_NOT_FOUND, "no escrow has this token" },
	[IBVMIG_ESC_EXPIRED_TOKEN] = { IBVMIG_EXIT_NOT_FOUND,
				       "the escrow expired: its LID went back to the pool" },
	[IBVMIG_ESC_USED_TOKEN] = { IBVMIG_EXIT_HELD,
				    "claimed or cancelled already: query says by whom" },
	[IBVMIG_ESC_WRONG_REQUESTER] = { IBVMIG_EXIT_DENIED,
					 "this port may not ask for that port (nor its PF), or "
					 "the release named another destination" },
	[IBVMIG_ESC_PORT_HAS_ALIASES] = { IBVMIG_EXIT_HELD,
					  "the port holds vGUIDs: detach them first" },
	[IBVMIG_ESC_PORT_IN_ESCROW] = { IBVMIG_EXIT_HELD, "the port has an escrow already" },
	[IBVMIG_ESC_PATH_DIFFERS] = { IBVMIG_EXIT_FAILED,
				      "the port's MTU or rate is below the source's: pick another" },
	[IBVMIG_ESC_GROUP_RULE_KEY] = { IBVMIG_EXIT_FAILED,
					"a membership comes only from a partition group rule" },
	[IBVMIG_ESC_LID_BUSY] = { IBVMIG_EXIT_HELD, "the LID is another port's" },
	[IBVMIG_ESC_NOT_MASTER] = { IBVMIG_EXIT_UNREACHABLE,
				    "that SM is not master: ask again after the handover" },
	[IBVMIG_ESC_JOURNAL] = { IBVMIG_EXIT_UNREACHABLE,
				 "the SM cannot make anything durable now: ask again" },
	[IBVMIG_ESC_RATE_LIMITED] = { IBVMIG_EXIT_DENIED,
				      "too many failed token requests from this port" },
	[IBVMIG_ESC_CAPACITY] = { IBVMIG_EXIT_FULL, "the SM's escrow is at its bound" },
	[IBVMIG_ESC_INTERNAL] = { IBVMIG_EXIT_FAILED, "the SM's random source failed" },
};

int cli_escrow_exit(unsigned esc_status, const char **hint)
{
	if (esc_status > IBVMIG_ESC_STATUS_MAX) {
		if (hint)
			*hint = "not a status of the escrow protocol";
		return IBVMIG_EXIT_PROTOCOL;
	}
	if (hint)
		*hint = escrow_exits[esc_status].hint;
	return escrow_exits[esc_status].code;
}

/* ---- rendering ----------------------------------------------------------------------- */

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

const char *cli_field_name(const struct ibvmig_rec_field *field, cli_tag_name_fn name,
			   char *buf, size_t len)
{
	const char *n = name(field->tag);

	if (n)
		return n;
	/* A newer server's field: keep it, by number. */
	snprintf(buf, len, "tag_%u", field->tag);
	return buf;
}

void cli_json_field(FILE *f, const struct ibvmig_rec_field *field, cli_tag_name_fn name)
{
	char key[16];

	cli_json_string(f, cli_field_name(field, name, key, sizeof(key)));
	fputc(':', f);
	if (field->type == IBVMIG_REC_T_GUID)
		fprintf(f, "\"0x%016" PRIx64 "\"", field->value);
	else if (field->type == IBVMIG_REC_T_BOOL)
		fputs(field->value ? "true" : "false", f);
	else if (field->type == IBVMIG_REC_T_STR)
		cli_json_string(f, field->str);
	else
		fprintf(f, "%" PRIu64, field->value);
}

int cli_json_record(FILE *f, struct ibvmig_rec_reader *r, cli_tag_name_fn name)
{
	struct ibvmig_rec_field field;
	int rc, n = 0;

	while ((rc = ibvmig_rec_next_field(r, &field)) == 1) {
		if (n++)
			fputc(',', f);
		cli_json_field(f, &field, name);
	}
	return rc;
}
