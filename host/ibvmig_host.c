// SPDX-License-Identifier: BSD-2-Clause
/*
 * ibvmig-host - the host's command line to its hypervisor agent ibvmigd:
 * attach and detach vGUIDs (the agent does the SA GUIDInfoRecord Set and
 * Delete), add, remove and list VMs, show the agent's status.  Speaks the VM
 * channel (doc/vm-channel.md) on the agent's admin socket; see ibvmig-host(8).
 *
 * A migration is "detach at the source, then attach at the destination": the
 * SA refuses an alias that another port still holds, and this tool says so.
 */
#include "ibvmig_vmchan.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PROG "ibvmig-host"
#define DEFAULT_TIMEOUT_MS 10000	/* an attach may wait for SA retries */

/* Exit codes, as ibvmig-host(8) documents them. */
enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,	/* the agent answered with an error */
	EXIT_USAGE = 2,
	EXIT_NO_AGENT = 3,	/* nobody serves the socket, or no answer in time */
	EXIT_DENIED = 4,	/* the socket is not ours to use */
	EXIT_PROTOCOL = 5,	/* an answer that is not the VM channel's */
	EXIT_HELD = 6,		/* attach: another port (or VM) holds the vGUID */
};

struct options {
	const char *ca;
	int port;
	char socket[108];
	int timeout_ms;
	bool json;
	uint64_t vguid;
	unsigned index;
	const char *vm;
	uint32_t cid;
};

/* ---- where the agent is --------------------------------------------------------------------- */

/* -S, then $IBVMIG_HOST_SOCKET, then -C/-P, then the only agent of this host. */
static int find_socket(struct options *o)
{
	const char *env = getenv("IBVMIG_HOST_SOCKET");
	glob_t g;
	int rc;

	if (o->socket[0])
		return 0;
	if (env && *env && strlen(env) < sizeof(o->socket)) {
		strcpy(o->socket, env);
		return 0;
	}
	if (o->ca || o->port) {
		snprintf(o->socket, sizeof(o->socket), IBVMIG_RUN_DIR "/ibvmigd.%s.%d.sock",
			 o->ca ? o->ca : "*", o->port ? o->port : 1);
		if (o->ca)
			return 0;
	} else {
		snprintf(o->socket, sizeof(o->socket), IBVMIG_RUN_DIR "/ibvmigd.*.sock");
	}
	rc = glob(o->socket, 0, NULL, &g);
	if (rc || g.gl_pathc != 1) {
		fprintf(stderr, PROG ": %s: %s\n", o->socket,
			rc ? "no agent runs on this host (is ibvmigd started?)"
			   : "several agents run here: choose one with -C/-P or -S");
		if (!rc)
			globfree(&g);
		return rc ? EXIT_NO_AGENT : EXIT_USAGE;
	}
	snprintf(o->socket, sizeof(o->socket), "%s", g.gl_pathv[0]);
	globfree(&g);
	return 0;
}

/* ---- one exchange --------------------------------------------------------------------------- */

static int transport_error(const struct options *o, int rc)
{
	switch (rc) {
	case -ENOENT:
	case -ECONNREFUSED:
		fprintf(stderr, PROG ": no agent answers at %s: is ibvmigd running?\n", o->socket);
		return EXIT_NO_AGENT;
	case -EACCES:
	case -EPERM:
		fprintf(stderr, PROG ": %s: permission denied (the socket is root's)\n", o->socket);
		return EXIT_DENIED;
	case -ETIMEDOUT:
		fprintf(stderr, PROG ": %s: no answer within %d ms\n", o->socket, o->timeout_ms);
		return EXIT_NO_AGENT;
	case -EPROTO:
	case -EPROTONOSUPPORT:
	case -EMSGSIZE:
	case -EBADMSG:
	case -EOPNOTSUPP:
		fprintf(stderr, PROG ": %s: the answer is not a VM channel reply to this request\n",
			o->socket);
		return EXIT_PROTOCOL;
	default:
		fprintf(stderr, PROG ": %s: %s\n", o->socket, strerror(-rc));
		return rc == -ENOTSOCK ? EXIT_NO_AGENT : EXIT_PROTOCOL;
	}
}

static int dial(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int rc = -errno;

		close(fd);
		return rc == -ECONNREFUSED || rc == -ENOTSOCK ? -ECONNREFUSED : rc;
	}
	return fd;
}

/* Reads one whole message into *@buf (malloc'ed): 0 or a negative errno. */
static int read_reply(int fd, int timeout_ms, uint8_t **buf, size_t *len)
{
	uint8_t head[IBVMIG_VMC_HEADER_LEN], *msg;
	size_t need;
	int rc = util_read_all(fd, head, sizeof(head), timeout_ms);

	if (rc)
		return rc == -EPIPE || rc == -ECONNRESET ? -EBADMSG : rc;
	rc = ibvmig_vmc_frame(head, sizeof(head), &need);
	if (rc < 0)
		return rc;
	msg = malloc(sizeof(head) + need);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, head, sizeof(head));
	rc = need ? util_read_all(fd, msg + sizeof(head), need, timeout_ms) : 0;
	if (rc) {
		free(msg);
		return rc == -EPIPE || rc == -ECONNRESET ? -EBADMSG : rc;
	}
	*buf = msg;
	*len = sizeof(head) + need;
	return 0;
}

/*
 * Sends @req and decodes the answer into @rep (its items point into *@raw,
 * which the caller frees).  0, or the exit status of a failure (reported).
 */
static int call(const struct options *o, const struct ibvmig_vmc_msg *req,
		struct ibvmig_vmc_msg *rep, uint8_t **raw)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, rc;

	*raw = NULL;
	rc = ibvmig_vmc_encode(req, &buf, &len);
	if (rc) {
		fprintf(stderr, PROG ": cannot encode the request: %s\n", strerror(-rc));
		return EXIT_USAGE;
	}
	fd = dial(o->socket);
	rc = fd < 0 ? fd : util_write_all(fd, buf, len, o->timeout_ms);
	free(buf);
	if (!rc)
		rc = read_reply(fd, o->timeout_ms, raw, &len);
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = ibvmig_vmc_decode(*raw, len, rep);
	if (!rc && (rep->type != (req->type | IBVMIG_VMC_REPLY) || rep->id != req->id))
		rc = -EBADMSG;
	if (!rc)
		return 0;
	free(*raw);	/* a reply that is not the answer: nothing of it is used */
	*raw = NULL;
	return transport_error(o, rc);
}

/* An error reply: one line, and the exit status it deserves. */
static int refused(const char *what, const struct ibvmig_vmc_msg *rep)
{
	fprintf(stderr, PROG ": %s: %s%s%s\n", what, ibvmig_vmc_status_text(rep->status),
		rep->text[0] ? ": " : "", rep->text);
	if (rep->status == IBVMIG_VMC_E_DENIED)
		return EXIT_DENIED;
	/* Only an attach has a vGUID that may be held elsewhere (a name taken is a refusal). */
	return rep->status == IBVMIG_VMC_E_EXISTS && rep->type == (IBVMIG_VMC_ATTACH |
								   IBVMIG_VMC_REPLY)
		       ? EXIT_HELD
		       : EXIT_REFUSED;
}

/* ---- printing ------------------------------------------------------------------------------- */

static void put_json_string(const char *s)
{
	/* The codec lets through printable ASCII only: quotes and backslashes need escapes. */
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

/* One record of a reply, every field, named by its tag (unknown ones as tag_N). */
static int print_record(struct ibvmig_rec_reader *r, bool json)
{
	struct ibvmig_rec_field f;
	const char *name;
	char key[16];
	int rc, n = 0;

	while ((rc = ibvmig_rec_next_field(r, &f)) == 1) {
		name = ibvmig_vmc_tag_name(f.tag);
		if (!name) {
			snprintf(key, sizeof(key), "tag_%u", f.tag);
			name = key;
		}
		if (json)
			printf("%s\"%s\":", n++ ? "," : "", name);
		else
			printf("%-18s ", name);
		if (f.type == IBVMIG_REC_T_GUID)
			printf(json ? "\"0x%016" PRIx64 "\"" : "0x%016" PRIx64, f.value);
		else if (f.type == IBVMIG_REC_T_BOOL)
			printf("%s", f.value ? (json ? "true" : "yes") : (json ? "false" : "no"));
		else if (f.type == IBVMIG_REC_T_STR && json)
			put_json_string(f.str);
		else if (f.type == IBVMIG_REC_T_STR)
			printf("%s", f.str[0] ? f.str : "-");
		else
			printf("%" PRIu64, f.value);
		if (!json)
			putchar('\n');
	}
	return rc;
}

/* Prints a reply's head (@items false) or its items, as JSON or "name value" lines. */
static int print_reply(const uint8_t *raw, size_t len, bool items, bool json)
{
	struct ibvmig_rec_reader r;
	int rc, k = 0;

	if (ibvmig_rec_reader_init(&r, raw + IBVMIG_VMC_HEADER_LEN, len - IBVMIG_VMC_HEADER_LEN))
		return -EBADMSG;
	if (ibvmig_rec_next(&r) != 1)
		return -EBADMSG;
	if (!items) {
		if (json)
			putchar('{');
		rc = print_record(&r, json);
		printf(json ? "}\n" : "");
		return rc;
	}
	while (ibvmig_rec_next_field(&r, &(struct ibvmig_rec_field){ 0 }) == 1)
		;	/* the head (the count) is not an item */
	if (json)
		putchar('[');
	while ((rc = ibvmig_rec_next(&r)) == 1) {
		printf(json ? "%s{" : "%s", json ? (k ? "," : "") : (k ? "\n" : ""));
		k++;
		rc = print_record(&r, json);
		if (rc < 0)
			return rc;
		if (json)
			putchar('}');
	}
	printf(json ? "]\n" : "");
	return rc;
}

/* ---- commands ------------------------------------------------------------------------------- */

static size_t raw_len(const uint8_t *raw)
{
	size_t need;
	int len = ibvmig_vmc_frame(raw, IBVMIG_VMC_MSG_MAX, &need);

	return len > 0 ? (size_t)len : 0;
}

/* Runs @req; prints its answer's head (or items); @what names the command in errors. */
static int run(const struct options *o, const struct ibvmig_vmc_msg *req, const char *what,
	       bool items, const char *human_ok)
{
	struct ibvmig_vmc_msg rep;
	uint8_t *raw;
	int code = call(o, req, &rep, &raw);

	if (code)
		return code;
	if (rep.status) {
		code = refused(what, &rep);
	} else if (!o->json && human_ok) {
		printf("%s\n", human_ok);
	} else if (print_reply(raw, raw_len(raw), items, o->json) < 0) {
		code = transport_error(o, -EBADMSG);
	}
	free(raw);
	return code;
}

/* attach and detach: an alias request; the human answer names what changed. */
static int alias_request(const struct options *o, uint8_t type)
{
	struct ibvmig_vmc_msg req = { .type = type, .id = (uint32_t)getpid() };
	bool attach = type == IBVMIG_VMC_ATTACH;
	struct ibvmig_vmc_msg rep;
	uint8_t *raw;
	char what[64];
	int code;

	req.alias.vguid = o->vguid;
	req.alias.index = o->index;
	snprintf(req.alias.name, sizeof(req.alias.name), "%s", attach && o->vm ? o->vm : "");
	snprintf(what, sizeof(what), "%s 0x%016" PRIx64, attach ? "attach" : "detach", o->vguid);
	code = call(o, &req, &rep, &raw);
	if (code)
		return code;
	if (rep.status)
		code = refused(what, &rep);
	else if (o->json)
		print_reply(raw, raw_len(raw), false, true);
	else
		printf("%s vGUID 0x%016" PRIx64 " %s alias index %u%s%s\n",
		       attach ? "attached" : "detached", rep.alias.vguid, attach ? "at" : "from",
		       rep.alias.index, rep.alias.name[0] ? " for VM " : "", rep.alias.name);
	free(raw);
	return code;
}

static int cmd_vm(const struct options *o, const char *sub, const char *name)
{
	struct ibvmig_vmc_msg req = { .id = (uint32_t)getpid() };
	char what[96], done[96];

	if (!strcmp(sub, "list")) {
		req.type = IBVMIG_VMC_VM_LIST;
		return run(o, &req, "vm list", true, NULL);
	}
	req.type = !strcmp(sub, "add") ? IBVMIG_VMC_VM_ADD : IBVMIG_VMC_VM_DEL;
	snprintf(req.vm.name, sizeof(req.vm.name), "%s", name);
	req.vm.vguid = o->vguid;
	req.vm.cid = o->cid;
	snprintf(what, sizeof(what), "vm %s %s", sub, name);
	snprintf(done, sizeof(done), "VM %s %s", name,
		 req.type == IBVMIG_VMC_VM_ADD ? "added" : "removed");
	return run(o, &req, what, false, o->json ? NULL : done);
}

static int cmd_status(const struct options *o)
{
	struct ibvmig_vmc_msg req = { .type = IBVMIG_VMC_STATUS, .id = (uint32_t)getpid() };

	return run(o, &req, "status", false, NULL);
}

/* ---- arguments ------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [-C ca] [-P port] [-S socket] [-t ms] [--json] COMMAND\n"
		"commands:\n"
		"  attach --vguid G [--index I] [--vm NAME]   set vGUID G on this host's port\n"
		"  detach --vguid G [--index I]               delete it from this host's port\n"
		"  vm add NAME [--vguid G] [--cid N]          register a VM with the agent\n"
		"  vm remove NAME                             forget a VM\n"
		"  vm list                                    the agent's VMs\n"
		"  status                                     the agent's port and counters\n"
		"A migration is: detach at the source, then attach at the destination.\n"
		"options:\n"
		"  -C, --Ca CA          the agent of this CA (default: the only agent)\n"
		"  -P, --Port PORT      ...and of this port (default 1)\n"
		"  -S, --socket PATH    the agent's admin socket (default " IBVMIG_RUN_DIR
		"/ibvmigd.CA.PORT.sock,\n"
		"                       or $IBVMIG_HOST_SOCKET)\n"
		"  -t, --timeout MS     give up after MS milliseconds (default %d)\n"
		"  -j, --json           machine-readable output\n"
		"  -h, --help           this text\n"
		"exit: 0 ok, 1 refused by the agent, 2 usage, 3 no agent, 4 permission denied,\n"
		"      5 protocol error, 6 the vGUID is held elsewhere\n",
		DEFAULT_TIMEOUT_MS);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try -h)\n");
	return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return *s && *s != '-' && !*end && !errno && *out <= max;
}

enum { OPT_VGUID = 256, OPT_INDEX, OPT_VM, OPT_CID };

static int parse_opt(int c, const char *arg, struct options *o)
{
	uint64_t v;

	switch (c) {
	case 'C':
		o->ca = arg;
		return strchr(arg, '/') ? -1 : 0;
	case 'P':
		return parse_u64(arg, 254, &v) && v ? (o->port = (int)v, 0) : -1;
	case 'S':
		return snprintf(o->socket, sizeof(o->socket), "%s", arg) < (int)sizeof(o->socket) &&
		       *arg ? 0 : -1;
	case 't':
		return parse_u64(arg, 3600000, &v) && v ? (o->timeout_ms = (int)v, 0) : -1;
	case 'j':
		o->json = true;
		return 0;
	case OPT_VGUID:
		return parse_u64(arg, UINT64_MAX, &o->vguid) && o->vguid ? 0 : -1;
	case OPT_INDEX:
		return parse_u64(arg, 255, &v) && v ? (o->index = (unsigned)v, 0) : -1;
	case OPT_VM:
		o->vm = arg;
		return *arg && strlen(arg) <= IBVMIG_VMC_NAME_MAX ? 0 : -1;
	case OPT_CID:
		return parse_u64(arg, UINT32_MAX, &v) ? (o->cid = (uint32_t)v, 0) : -1;
	default:
		return -1;
	}
}

/* Options anywhere on the line; the words left over are the command. */
static int parse_args(int argc, char **argv, struct options *o, char ***words, int *n_words)
{
	static const struct option longopts[] = {
		{ "Ca", required_argument, NULL, 'C' },
		{ "Port", required_argument, NULL, 'P' },
		{ "socket", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "vguid", required_argument, NULL, OPT_VGUID },
		{ "index", required_argument, NULL, OPT_INDEX },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "cid", required_argument, NULL, OPT_CID },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":C:P:S:t:jh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == '?' || c == ':')
			return usage_error("unknown option or missing value: %s", argv[optind - 1]);
		if (parse_opt(c, optarg, o))
			return usage_error("bad value \"%s\"", optarg ? optarg : "");
	}
	*words = argv + optind;
	*n_words = argc - optind;
	return -1;
}

/* What the words ask for; -1 when they make a command, else the usage error's exit status. */
enum command { CMD_ATTACH, CMD_DETACH, CMD_STATUS, CMD_VM_LIST, CMD_VM_ADD, CMD_VM_REMOVE };

static int check_words(const struct options *o, char **w, int n, enum command *cmd)
{
	if (n == 0)
		return usage_error("%s", "no command");
	if (!strcmp(w[0], "attach") || !strcmp(w[0], "detach")) {
		*cmd = w[0][0] == 'a' ? CMD_ATTACH : CMD_DETACH;
		if (n != 1)
			return usage_error("%s takes no words, only options", w[0]);
		if (!o->vguid)
			return usage_error("%s needs --vguid", w[0]);
		return *cmd == CMD_DETACH && o->vm ? usage_error("%s takes no --vm", w[0]) : -1;
	}
	if (!strcmp(w[0], "status")) {
		*cmd = CMD_STATUS;
		return n == 1 ? -1 : usage_error("%s takes no arguments", w[0]);
	}
	if (strcmp(w[0], "vm"))
		return usage_error("unknown command \"%s\"", w[0]);
	if (n == 2 && !strcmp(w[1], "list")) {
		*cmd = CMD_VM_LIST;
		return -1;
	}
	if (n != 3 || (strcmp(w[1], "add") && strcmp(w[1], "remove")))
		return usage_error("%s", "vm add NAME | vm remove NAME | vm list");
	*cmd = w[1][0] == 'a' ? CMD_VM_ADD : CMD_VM_REMOVE;
	if (!*w[2] || strlen(w[2]) > IBVMIG_VMC_NAME_MAX)
		return usage_error("bad VM name \"%s\"", w[2]);
	return -1;
}

static int run_command(const struct options *o, enum command cmd, char **w)
{
	switch (cmd) {
	case CMD_ATTACH:
		return alias_request(o, IBVMIG_VMC_ATTACH);
	case CMD_DETACH:
		return alias_request(o, IBVMIG_VMC_DETACH);
	case CMD_STATUS:
		return cmd_status(o);
	case CMD_VM_LIST:
		return cmd_vm(o, "list", NULL);
	default:
		return cmd_vm(o, w[1], w[2]);
	}
}

int main(int argc, char **argv)
{
	struct options o = { .timeout_ms = DEFAULT_TIMEOUT_MS };
	char **words = NULL;
	int n = 0, code;

	enum command cmd = CMD_STATUS;

	code = parse_args(argc, argv, &o, &words, &n);
	if (code >= 0)
		return code;
	/* Usage errors first: they need no agent. */
	code = check_words(&o, words, n, &cmd);
	if (code >= 0)
		return code;
	code = find_socket(&o);
	return code ? code : run_command(&o, cmd, words);
}
