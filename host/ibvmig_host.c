// SPDX-License-Identifier: BSD-2-Clause
/*
 * ibvmig-host - the host's command line to its hypervisor agent ibvmigd:
 * attach and detach vGUIDs (the agent does the SA GUIDInfoRecord Set and
 * Delete), add, remove and list VMs, show the agent's status.  Speaks the VM
 * channel (doc/vm-channel.md) on the agent's admin socket; see ibvmig-host(8).
 *
 * A migration is "detach at the source, then attach at the destination": the
 * SA refuses an alias that another port still holds, and this tool says so.
 * With the LID escrow (doc/escrow-protocol.md), migrate-out and migrate-in
 * also take the VM's LID and partitions along: the agent asks the SM, this
 * tool hands the token to the operator (stdout or a file of mode 0600) and
 * takes it back at the destination.
 */
#include "ibvmig_cli.h"
#include "ibvmig_escrow.h"
#include "ibvmig_util.h"
#include "ibvmig_vmchan.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 10000	/* an attach may wait for SA retries */
#define DEFAULT_WAIT_MS 30000		/* migrate-*: a claim live, an SM back */
#define ESCROW_POLL_MS 200		/* QUERY's pace (doc/escrow-protocol.md) */
#define TOKEN_HEX (2 * IBVMIG_ESC_TOKEN_LEN)
#define ALIASES_MAX 256			/* --vguid per command: a port's GUIDCap at most */
#define IN_FLIGHT 32			/* requests sent ahead (the agent takes 64 a connection) */

struct options {
	struct cli_common c;		/* -C -P -S -t -j */
	char socket[108];		/* the agent's socket, once found */
	uint64_t vguid;			/* the first --vguid */
	unsigned index;
	const char *vm;			/* the first --vm */
	/* attach and detach take many: an evacuation's vGUIDs in one exchange */
	uint64_t vguids[ALIASES_MAX];
	const char *vms[ALIASES_MAX];
	unsigned n_vguids, n_vms;	/* given; more than ALIASES_MAX is a usage error */
	uint32_t cid;
	uint64_t port_guid;		/* escrow: the port asked about, 0: the agent's */
	uint64_t dest_guid;		/* release: the destination named */
	uint8_t token[IBVMIG_ESC_TOKEN_LEN];
	bool have_token;		/* --token */
	const char *token_file;
	int wait_ms;
};

static int parse_opt(int c, const char *arg, void *ctx);
static struct options opts = { .c.timeout_ms = DEFAULT_TIMEOUT_MS, .wait_ms = DEFAULT_WAIT_MS };

enum {
	OPT_VGUID = 256, OPT_INDEX, OPT_VM, OPT_CID, OPT_PORT_GUID, OPT_DEST, OPT_TOKEN,
	OPT_TOKEN_FILE, OPT_WAIT,
};

static const struct option longopts[] = {
	{ "vguid", required_argument, NULL, OPT_VGUID },
	{ "index", required_argument, NULL, OPT_INDEX },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "cid", required_argument, NULL, OPT_CID },
	{ "port-guid", required_argument, NULL, OPT_PORT_GUID },
	{ "dest", required_argument, NULL, OPT_DEST },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ NULL, 0, NULL, 0 },
};

static const struct cli_tool tool = {
	.prog = "ibvmig-host",
	.synopsis = "[options] COMMAND",
	.help = "The host's command line to its hypervisor agent ibvmigd (ibvmig-host(8)).\n"
		"commands:\n"
		"  attach --vguid G [--index I] [--vm NAME]   set vGUID G on this host's port\n"
		"  detach --vguid G [--index I]               delete it from this host's port\n"
		"         (both: --vguid many times, each --vm after its --vguid: all at once)\n"
		"  vm add NAME [--vguid G] [--cid N]          register a VM with the agent\n"
		"  vm remove NAME                             forget a VM\n"
		"  vm list                                    the agent's VMs\n"
		"  status                                     the agent's port and counters\n"
		"The LID escrow (the VM keeps its LID; T: --token HEX or --token-file F):\n"
		"  migrate-out [--vguid G] [--port-guid P] [--dest D] [--token-file F]\n"
		"                  detach G, RELEASE port P's LID: the token on stdout or in F\n"
		"  migrate-in T [--vguid G [--vm NAME]] [--port-guid Q] [--wait MS]\n"
		"                  CLAIM it on port Q, wait until live, attach G\n"
		"  release [--port-guid P] [--dest D] [--token-file F]   RELEASE alone\n"
		"  claim T [--port-guid Q]  cancel T [--port-guid P]  query T [--port-guid N]\n"
		"P, Q, N: the agent's own port by default; a PF's agent names its VFs.\n"
		"A migration is: detach at the source, then attach at the destination.\n"
		"The agent: -S, else $IBVMIG_HOST_SOCKET, else that of -C/-P (port 1 by default)\n"
		"under " IBVMIG_RUN_DIR ", else the only agent of this host. -t default: 10000.\n",
	.common = CLI_OPT_CA | CLI_OPT_PORT | CLI_OPT_SOCKET | CLI_OPT_TIMEOUT | CLI_OPT_JSON,
	.longopts = longopts,
	.opt = parse_opt,
	.ctx = &opts,
	.permute = true,
	.server = "agent",
	.server_hint = "is ibvmigd running?",
};

/* ---- where the agent is --------------------------------------------------------------------- */

/* -S, then $IBVMIG_HOST_SOCKET, then -C/-P, then the only agent of this host. */
static int find_socket(struct options *o)
{
	const char *env = getenv("IBVMIG_HOST_SOCKET");
	glob_t g;
	int rc;

	if (o->c.socket)
		return util_copy_str(o->socket, sizeof(o->socket), o->c.socket)
			       ? cli_usage_error(&tool, "socket path too long: %s", o->c.socket)
			       : 0;
	if (env && *env && !util_copy_str(o->socket, sizeof(o->socket), env))
		return 0;
	if (o->c.ca || o->c.port) {
		snprintf(o->socket, sizeof(o->socket), IBVMIG_AGENT_DIR_FMT "/" IBVMIG_AGENT_HOST_SOCKET,
			 o->c.ca ? o->c.ca : "*", o->c.port ? o->c.port : 1);
		if (o->c.ca)
			return 0;
	} else {
		snprintf(o->socket, sizeof(o->socket),
			 IBVMIG_RUN_DIR "/*/" IBVMIG_AGENT_HOST_SOCKET);
	}
	rc = glob(o->socket, 0, NULL, &g);
	if (rc || g.gl_pathc != 1) {
		if (!rc)
			globfree(&g);
		return rc ? cli_fail(&tool, IBVMIG_EXIT_UNREACHABLE,
				     "%s: no agent runs on this host (is ibvmigd started?)",
				     o->socket)
			  : cli_usage_error(&tool, "%s: several agents run here: choose one "
					    "with -C/-P or -S", o->socket);
	}
	snprintf(o->socket, sizeof(o->socket), "%s", g.gl_pathv[0]);
	globfree(&g);
	return 0;
}

/* ---- one exchange --------------------------------------------------------------------------- */

static int transport_error(const struct options *o, int rc)
{
	return cli_transport_error(&tool, o->socket, o->c.timeout_ms, rc);
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

/* Reads and decodes one message of @fd into @rep (items point into *@raw, freed by the caller). */
static int recv_rep(const struct options *o, int fd, struct ibvmig_vmc_msg *rep, uint8_t **raw)
{
	size_t len = 0;
	int rc = read_reply(fd, o->c.timeout_ms, raw, &len);

	if (rc) {
		*raw = NULL;
		return rc;
	}
	rc = ibvmig_vmc_decode(*raw, len, rep);
	if (rc) {
		free(*raw);
		*raw = NULL;
	}
	return rc;
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
		return cli_fail(&tool, IBVMIG_EXIT_USAGE, "cannot encode the request: %s",
				strerror(-rc));
	}
	fd = util_unix_connect(o->socket);
	rc = fd < 0 ? fd : util_write_all(fd, buf, len, o->c.timeout_ms);
	free(buf);
	if (!rc)
		rc = recv_rep(o, fd, rep, raw);
	if (fd >= 0)
		close(fd);
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
	int code = IBVMIG_EXIT_FAILED;

	if (rep->status == IBVMIG_VMC_E_DENIED)
		code = IBVMIG_EXIT_DENIED;
	else if (rep->status == IBVMIG_VMC_E_NOT_FOUND)
		code = IBVMIG_EXIT_NOT_FOUND;
	else if (rep->status == IBVMIG_VMC_E_FULL)
		code = IBVMIG_EXIT_FULL;
	/* Only an attach has a vGUID that may be held elsewhere (a name taken is a refusal). */
	else if (rep->status == IBVMIG_VMC_E_EXISTS &&
		 rep->type == (IBVMIG_VMC_ATTACH | IBVMIG_VMC_REPLY))
		code = IBVMIG_EXIT_HELD;
	return cli_fail(&tool, code, "%s: %s%s%s", what, ibvmig_vmc_status_text(rep->status),
			rep->text[0] ? ": " : "", rep->text);
}

/* ---- printing ------------------------------------------------------------------------------- */

/* One record of a reply, every field, named by its tag (unknown ones as tag_N). */
static int print_record(struct ibvmig_rec_reader *r, bool json)
{
	struct ibvmig_rec_field f;
	char key[16];
	int rc;

	if (json)
		return cli_json_record(stdout, r, ibvmig_vmc_tag_name);
	while ((rc = ibvmig_rec_next_field(r, &f)) == 1) {
		printf("%-18s ", cli_field_name(&f, ibvmig_vmc_tag_name, key, sizeof(key)));
		if (f.type == IBVMIG_REC_T_GUID)
			printf("0x%016" PRIx64 "\n", f.value);
		else if (f.type == IBVMIG_REC_T_BOOL)
			printf("%s\n", f.value ? "yes" : "no");
		else if (f.type == IBVMIG_REC_T_STR)
			printf("%s\n", f.str[0] ? f.str : "-");
		else
			printf("%" PRIu64 "\n", f.value);
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
	} else if (!o->c.json && human_ok) {
		printf("%s\n", human_ok);
	} else if (print_reply(raw, raw_len(raw), items, o->c.json) < 0) {
		code = transport_error(o, -EBADMSG);
	}
	free(raw);
	return code;
}

/* ---- attach and detach: many vGUIDs in one exchange ---------------------------------------- */

/* The requests of one attach or detach command, and what came back. */
struct aliases {
	uint8_t type;			/* IBVMIG_VMC_ATTACH or _DETACH */
	const uint64_t *vguid;
	const char *const *vm;		/* attach: NULL or one per vGUID (NULL entries: none) */
	unsigned n, sent, answered;
	uint32_t first_id;		/* request k has id first_id + k */
	struct ibvmig_vmc_msg *rep;	/* n of them */
	uint8_t **raw;			/* n: each answer as read, NULL until answered */
};

static void alias_req(const struct options *o, const struct aliases *al, unsigned k,
		      struct ibvmig_vmc_msg *req)
{
	memset(req, 0, sizeof(*req));
	req->type = al->type;
	req->id = al->first_id + k;
	req->alias.vguid = al->vguid[k];
	req->alias.index = o->index;
	if (al->type == IBVMIG_VMC_ATTACH && al->vm && al->vm[k])
		snprintf(req->alias.name, sizeof(req->alias.name), "%s", al->vm[k]);
}

/* Reads one answer and files it under its request: 0 or a negative errno. */
static int alias_recv(const struct options *o, int fd, struct aliases *al)
{
	struct ibvmig_vmc_msg rep;
	uint8_t *raw;
	uint32_t k;
	int rc = recv_rep(o, fd, &rep, &raw);

	if (rc)
		return rc;
	k = rep.id - al->first_id;
	if (rep.type != (al->type | IBVMIG_VMC_REPLY) || k >= al->sent || al->raw[k]) {
		free(raw);
		return -EBADMSG;	/* not an answer to a request of ours, or twice */
	}
	al->rep[k] = rep;
	al->raw[k] = raw;
	al->answered++;
	return 0;
}

/*
 * Sends the next requests, as many as keep IN_FLIGHT unanswered, with one
 * write: the agent reads them together and sets them together.
 */
static int alias_send(const struct options *o, int fd, struct aliases *al)
{
	struct ibvmig_vmc_msg req;
	uint8_t *out = NULL, *msg, *grown;
	size_t used = 0, len;
	unsigned k = 0;
	int rc = 0;

	while (!rc && al->sent + k < al->n && al->sent + k - al->answered < IN_FLIGHT) {
		alias_req(o, al, al->sent + k, &req);
		rc = ibvmig_vmc_encode(&req, &msg, &len);
		if (rc)
			break;
		grown = realloc(out, used + len);
		if (grown) {
			memcpy(grown + used, msg, len);
			out = grown;
			used += len;
			k++;
		}
		free(msg);
		rc = grown ? 0 : -ENOMEM;
	}
	if (!rc)
		rc = util_write_all(fd, out, used, o->c.timeout_ms);
	free(out);
	al->sent += rc ? 0 : k;
	return rc;
}

/* Sends every request, IN_FLIGHT ahead of the answers, and reads them all: 0 or -errno. */
static int alias_exchange(const struct options *o, int fd, struct aliases *al)
{
	int rc = 0;

	while (!rc && al->answered < al->n) {
		if (al->sent < al->n && al->sent - al->answered < IN_FLIGHT)
			rc = alias_send(o, fd, al);
		else
			rc = alias_recv(o, fd, al);
	}
	return rc;
}

/* The answer to request @k, as one line (or JSON object): 0 or its refusal's exit status. */
static int alias_print(const struct options *o, const struct aliases *al, unsigned k)
{
	const struct ibvmig_vmc_msg *rep = &al->rep[k];
	bool attach = al->type == IBVMIG_VMC_ATTACH;
	char what[64];

	snprintf(what, sizeof(what), "%s 0x%016" PRIx64, attach ? "attach" : "detach",
		 al->vguid[k]);
	if (rep->status)
		return refused(what, rep);
	if (o->c.json)
		print_reply(al->raw[k], raw_len(al->raw[k]), false, true);
	else
		printf("%s vGUID 0x%016" PRIx64 " %s alias index %u%s%s\n",
		       attach ? "attached" : "detached", rep->alias.vguid, attach ? "at" : "from",
		       rep->alias.index, rep->alias.name[0] ? " for VM " : "", rep->alias.name);
	return 0;
}

/*
 * Attaches or detaches @n vGUIDs over one connection: the agent sets those
 * that arrive together with one Set per GUID block (agent_sa.c).  Every
 * answer is printed in the order asked; the exit status is the first
 * refusal's, or the transport's failure after what was answered.
 */
static int alias_requests(const struct options *o, uint8_t type, const uint64_t *vguid,
			  const char *const *vm, unsigned n)
{
	struct aliases al = { .type = type, .vguid = vguid, .vm = vm, .n = n,
			      .first_id = (uint32_t)getpid() << 8 };
	int fd, rc, code = 0, c;
	unsigned k;

	al.rep = calloc(n, sizeof(*al.rep));
	al.raw = calloc(n, sizeof(*al.raw));
	fd = al.rep && al.raw ? util_unix_connect(o->socket) : -ENOMEM;
	rc = fd < 0 ? fd : alias_exchange(o, fd, &al);
	if (fd >= 0)
		close(fd);
	for (k = 0; k < n; k++) {
		if (!al.raw || !al.raw[k])
			continue;
		c = alias_print(o, &al, k);
		code = code ? code : c;
		free(al.raw[k]);
	}
	free(al.rep);
	free(al.raw);
	return rc ? transport_error(o, rc) : code;
}

/* One vGUID (migrate-out, migrate-in): the first --vguid and --vm. */
static int alias_request(const struct options *o, uint8_t type)
{
	const char *vm[1] = { o->vm };

	return alias_requests(o, type, &o->vguid, vm, 1);
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
	return run(o, &req, what, false, o->c.json ? NULL : done);
}

static int cmd_status(const struct options *o)
{
	struct ibvmig_vmc_msg req = { .type = IBVMIG_VMC_STATUS, .id = (uint32_t)getpid() };

	return run(o, &req, "status", false, NULL);
}

/* ---- the LID escrow (doc/escrow-protocol.md, "The agent's side") ---------------------------- */

/* --token, else --token-file (32 hex digits, a newline after them allowed). */
static int load_token(const struct options *o, uint64_t field[2])
{
	uint8_t token[IBVMIG_ESC_TOKEN_LEN];
	char text[TOKEN_HEX + 3] = "";
	FILE *f;
	size_t n;

	if (o->have_token) {
		ibvmig_vmc_token_put(field, o->token);
		return 0;
	}
	f = fopen(o->token_file, "r");
	if (!f)
		return cli_fail(&tool, IBVMIG_EXIT_FAILED, "%s: %s", o->token_file,
				strerror(errno));
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (n && text[n - 1] == '\n')
		text[n - 1] = '\0';
	if (util_parse_hex(text, token, sizeof(token)))
		return cli_fail(&tool, IBVMIG_EXIT_USAGE, "%s: not a token (32 hex digits)",
				o->token_file);
	ibvmig_vmc_token_put(field, token);
	return 0;
}

/* The token into a file of mode 0600 (it is the VM's LID: nobody else may read it). */
static int save_token(const char *path, const char *hex)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f;
	int rc;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600)) {		/* a file that was there kept its own mode */
		rc = -errno;
		close(fd);
		return rc;
	}
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = fprintf(f, "%s\n", hex) < 0 ? -EIO : 0;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

/* An agent's error reply to an escrow request: the MAD client's errno says which exit. */
static int escrow_agent_error(const char *what, const struct ibvmig_vmc_msg *rep)
{
	int code = IBVMIG_EXIT_FAILED;

	if (rep->error == ETIMEDOUT || rep->error == ENETDOWN)
		code = IBVMIG_EXIT_UNREACHABLE;
	else if (rep->error == EPROTO || rep->error == EBADMSG)
		code = IBVMIG_EXIT_PROTOCOL;
	else
		return refused(what, rep);
	return cli_fail(&tool, code, "%s: %s", what, rep->text[0] ? rep->text :
			ibvmig_vmc_status_text(rep->status));
}

/*
 * One escrow request of @type with @in through the agent; the SM's answer,
 * whatever its escrow status, in @out.  0, or the exit status (reported).
 */
static int escrow_ask(const struct options *o, uint8_t type, const struct ibvmig_vmc_escrow *in,
		      const char *what, struct ibvmig_vmc_escrow *out)
{
	struct ibvmig_vmc_msg req = { .type = type, .id = (uint32_t)getpid() }, rep;
	uint8_t *raw;
	int code;

	req.esc = *in;
	code = call(o, &req, &rep, &raw);
	if (code)
		return code;
	code = rep.status ? escrow_agent_error(what, &rep) : 0;
	if (!code)
		*out = rep.esc;
	free(raw);
	return code;
}

/* The SM refused: its status, what to do about it, the exit that says so. */
static int escrow_refused(const char *what, const struct ibvmig_vmc_escrow *a)
{
	const char *hint;
	int code = cli_escrow_exit(a->esc_status, &hint);

	if (a->esc_status == IBVMIG_ESC_RATE_LIMITED)
		return cli_fail(&tool, code, "%s: refused by the SM: %s (%s; retry in %u ms)",
				what, ibvmig_esc_status_name(a->esc_status), hint,
				a->retry_after_ms);
	return cli_fail(&tool, code, "%s: refused by the SM: %s (%s)", what,
			ibvmig_esc_status_name(a->esc_status), hint);
}

/* Not master, journal unavailable: nothing happened, and an SM is coming. */
static bool escrow_retryable(unsigned esc_status)
{
	return esc_status == IBVMIG_ESC_NOT_MASTER || esc_status == IBVMIG_ESC_JOURNAL;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* escrow_ask(), asked again while the SM says "not yet" (a handover), within --wait. */
static int escrow_ask_patiently(const struct options *o, uint8_t type,
				const struct ibvmig_vmc_escrow *in, const char *what,
				struct ibvmig_vmc_escrow *out)
{
	uint64_t deadline = util_mono_ms() + (uint64_t)o->wait_ms;
	int code;

	for (;;) {
		code = escrow_ask(o, type, in, what, out);
		if (code || !escrow_retryable(out->esc_status) || util_mono_ms() >= deadline)
			return code;
		pause_ms(ESCROW_POLL_MS * 2);
	}
}

/* The answer: "name value" lines or one JSON object; the token only when @token is set. */
static void print_escrow(const struct options *o, const struct ibvmig_vmc_escrow *a,
			 const char *token)
{
	const char *state = ibvmig_esc_state_name(a->state);

	if (o->c.json) {
		printf("{\"port_guid\":\"0x%016" PRIx64 "\",\"state\":\"%s\",\"lid\":%u,"
		       "\"source_guid\":\"0x%016" PRIx64 "\",\"dest_guid\":\"0x%016" PRIx64 "\","
		       "\"claimant_guid\":\"0x%016" PRIx64 "\",\"keys\":%u,\"expires_in_ms\":%u,"
		       "\"sm_lid\":%u", a->port_guid, state, a->lid, a->source_guid, a->dest_guid,
		       a->claimant_guid, a->keys, a->expires_in_ms, a->sm_lid);
		if (token)
			printf(",\"token\":\"%s\"", token);
		printf("}\n");
		return;
	}
	printf("port_guid          0x%016" PRIx64 "\nstate              %s\nlid                %u\n"
	       "source_guid        0x%016" PRIx64 "\ndest_guid          0x%016" PRIx64 "\n"
	       "claimant_guid      0x%016" PRIx64 "\nkeys               %u\n"
	       "expires_in_ms      %u\nsm_lid             %u\n", a->port_guid, state, a->lid,
	       a->source_guid, a->dest_guid, a->claimant_guid, a->keys, a->expires_in_ms,
	       a->sm_lid);
	if (token)
		printf("token              %s\n", token);
}

/* RELEASE's token, shown once: into --token-file, else on stdout with the answer. */
static int hand_over_token(const struct options *o, const struct ibvmig_vmc_escrow *a)
{
	uint8_t token[IBVMIG_ESC_TOKEN_LEN];
	char hex[TOKEN_HEX + 1];
	int rc;

	ibvmig_vmc_token_get(a->token, token);
	util_format_hex(token, sizeof(token), hex);
	if (!o->token_file) {
		print_escrow(o, a, hex);
		return IBVMIG_EXIT_OK;
	}
	rc = save_token(o->token_file, hex);
	memset(hex, 0, sizeof(hex));
	print_escrow(o, a, NULL);
	if (rc)
		return cli_fail(&tool, IBVMIG_EXIT_FAILED, "%s: %s: the token is lost, cancel "
				"is impossible; the escrow expires after its TTL", o->token_file,
				strerror(-rc));
	return IBVMIG_EXIT_OK;
}

/* release, claim, cancel, query: one request, its answer. */
static int cmd_escrow(const struct options *o, uint8_t type, const char *what)
{
	struct ibvmig_vmc_escrow in = { .port_guid = o->port_guid, .dest_guid = o->dest_guid };
	struct ibvmig_vmc_escrow out;
	int code = type == IBVMIG_VMC_ESC_RELEASE ? 0 : load_token(o, in.token);

	if (!code)
		code = escrow_ask(o, type, &in, what, &out);
	if (code)
		return code;
	if (out.esc_status)
		return escrow_refused(what, &out);
	if (type == IBVMIG_VMC_ESC_RELEASE)
		return hand_over_token(o, &out);
	print_escrow(o, &out, NULL);
	return IBVMIG_EXIT_OK;
}

/*
 * migrate-out: steps 1 and 2 of the protocol.  The vGUID goes first (a port
 * holding one is refused); a refused RELEASE sets it back, so that the VM
 * keeps running where it is.
 */
static int cmd_migrate_out(const struct options *o)
{
	struct ibvmig_vmc_escrow in = { .port_guid = o->port_guid, .dest_guid = o->dest_guid };
	struct ibvmig_vmc_escrow out;
	int code = o->vguid ? alias_request(o, IBVMIG_VMC_DETACH) : 0;

	if (code)
		return code;
	code = escrow_ask_patiently(o, IBVMIG_VMC_ESC_RELEASE, &in, "migrate-out: release", &out);
	if (!code && out.esc_status)
		code = escrow_refused("migrate-out: release", &out);
	if (code && o->vguid && alias_request(o, IBVMIG_VMC_ATTACH) == 0)
		fprintf(stderr, "%s: the vGUID is set back on this port\n", tool.prog);
	return code ? code : hand_over_token(o, &out);
}

/* QUERY about the claimant until the move is live (the claim outlasts a MAD timeout). */
static int wait_live(const struct options *o, const struct ibvmig_vmc_escrow *claim,
		     struct ibvmig_vmc_escrow *out)
{
	struct ibvmig_vmc_escrow in = *claim;
	uint64_t deadline = util_mono_ms() + (uint64_t)o->wait_ms;
	int code;

	for (;;) {
		code = escrow_ask(o, IBVMIG_VMC_ESC_QUERY, &in, "migrate-in: query", out);
		if (code)
			return code;
		if (out->esc_status && !escrow_retryable(out->esc_status))
			return escrow_refused("migrate-in: query", out);
		if (!out->esc_status && out->state == IBVMIG_ESC_LIVE)
			return 0;
		if (!out->esc_status && out->state != IBVMIG_ESC_MOVING)
			return cli_fail(&tool, IBVMIG_EXIT_FAILED, "migrate-in: the escrow is %s, "
					"not moving to this port", ibvmig_esc_state_name(out->state));
		if (util_mono_ms() >= deadline)
			return cli_fail(&tool, IBVMIG_EXIT_UNREACHABLE, "migrate-in: not live within "
					"%d ms (still %s): query again later", o->wait_ms,
					out->esc_status ? ibvmig_esc_status_name(out->esc_status)
							: ibvmig_esc_state_name(out->state));
		pause_ms(ESCROW_POLL_MS);
	}
}

/* migrate-in: steps 4 and 5: CLAIM, QUERY until live, then the vGUID. */
static int cmd_migrate_in(const struct options *o)
{
	struct ibvmig_vmc_escrow in = { .port_guid = o->port_guid }, out;
	int code = load_token(o, in.token);

	if (!code)
		code = escrow_ask_patiently(o, IBVMIG_VMC_ESC_CLAIM, &in, "migrate-in: claim",
					    &out);
	if (!code && out.esc_status)
		code = escrow_refused("migrate-in: claim", &out);
	if (!code) {
		in.port_guid = out.claimant_guid;	/* ask about the claimant */
		code = wait_live(o, &in, &out);
	}
	memset(&in, 0, sizeof(in));
	if (code)
		return code;
	print_escrow(o, &out, NULL);
	return o->vguid ? alias_request(o, IBVMIG_VMC_ATTACH) : IBVMIG_EXIT_OK;
}

/* ---- arguments ------------------------------------------------------------------------------ */

static int parse_opt(int c, const char *arg, void *ctx)
{
	struct options *o = ctx;
	uint64_t v;

	switch (c) {
	case OPT_VGUID:
		if (util_parse_guid(arg, &v))
			return -1;
		o->vguid = o->n_vguids ? o->vguid : v;
		if (o->n_vguids < ALIASES_MAX)
			o->vguids[o->n_vguids] = v;
		o->n_vguids++;
		return 0;
	case OPT_INDEX:
		if (util_parse_uint(arg, 0, 1, 255, &v))
			return -1;
		o->index = (unsigned)v;
		return 0;
	case OPT_VM:
		o->vm = o->n_vms ? o->vm : arg;
		if (o->n_vms < ALIASES_MAX)
			o->vms[o->n_vms] = arg;
		o->n_vms++;
		return *arg && strlen(arg) <= IBVMIG_VMC_NAME_MAX ? 0 : -1;
	case OPT_CID:
		if (util_parse_uint(arg, 0, 0, UINT32_MAX, &v))
			return -1;
		o->cid = (uint32_t)v;
		return 0;
	case OPT_PORT_GUID:
		return util_parse_guid(arg, &o->port_guid) ? -1 : 0;
	case OPT_DEST:
		return util_parse_guid(arg, &o->dest_guid) ? -1 : 0;
	case OPT_TOKEN:
		return util_parse_hex(arg, o->token, sizeof(o->token)) ? -1
								      : (o->have_token = true, 0);
	case OPT_TOKEN_FILE:
		o->token_file = arg;
		return *arg ? 0 : -1;
	case OPT_WAIT:
		if (util_parse_uint(arg, 0, 0, 3600000, &v))
			return -1;
		o->wait_ms = (int)v;
		return 0;
	default:
		return -1;
	}
}

/* What the words ask for; -1 when they make a command, else the usage error's exit status. */
enum command {
	CMD_ATTACH, CMD_DETACH, CMD_STATUS, CMD_VM_LIST, CMD_VM_ADD, CMD_VM_REMOVE,
	CMD_RELEASE, CMD_CLAIM, CMD_CANCEL, CMD_QUERY, CMD_MIGRATE_OUT, CMD_MIGRATE_IN,
};

static const struct {
	const char *word;
	enum command cmd;
	bool token_in;			/* takes --token or --token-file (else: --token-file out) */
	bool vguid;			/* may take --vguid */
} escrow_cmds[] = {
	{ "release", CMD_RELEASE, false, false },
	{ "claim", CMD_CLAIM, true, false },
	{ "cancel", CMD_CANCEL, true, false },
	{ "query", CMD_QUERY, true, false },
	{ "migrate-out", CMD_MIGRATE_OUT, false, true },
	{ "migrate-in", CMD_MIGRATE_IN, true, true },
};

static bool escrow_options(const struct options *o)
{
	return o->port_guid || o->dest_guid || o->have_token || o->token_file ||
	       o->wait_ms != DEFAULT_WAIT_MS;
}

/* An escrow command's words and options: -1 when they make it, else the usage error. */
static int check_escrow_words(const struct options *o, size_t k, int n)
{
	const char *w = escrow_cmds[k].word;

	if (n != 1)
		return cli_usage_error(&tool, "%s takes no words, only options", w);
	if (escrow_cmds[k].token_in && o->have_token == !!o->token_file)
		return cli_usage_error(&tool, "%s needs --token HEX or --token-file FILE (one)", w);
	if (!escrow_cmds[k].token_in && o->have_token)
		return cli_usage_error(&tool, "%s takes no --token: it makes one", w);
	if (o->dest_guid && escrow_cmds[k].cmd != CMD_RELEASE &&
	    escrow_cmds[k].cmd != CMD_MIGRATE_OUT)
		return cli_usage_error(&tool, "%s takes no --dest", w);
	if ((o->vguid || o->index) && !escrow_cmds[k].vguid)
		return cli_usage_error(&tool, "%s takes no --vguid: use migrate-out/migrate-in", w);
	if (o->vm && escrow_cmds[k].cmd != CMD_MIGRATE_IN)
		return cli_usage_error(&tool, "%s takes no --vm", w);
	if (o->vm && !o->vguid)
		return cli_usage_error(&tool, "%s: --vm needs --vguid", w);
	if (o->wait_ms != DEFAULT_WAIT_MS && escrow_cmds[k].cmd != CMD_MIGRATE_IN &&
	    escrow_cmds[k].cmd != CMD_MIGRATE_OUT)
		return cli_usage_error(&tool, "%s takes no --wait", w);
	return -1;
}

/* attach and detach: -1 when their options make a command, else the usage error. */
static int check_alias_words(const struct options *o, const char *w, int n)
{
	bool attach = w[0] == 'a';

	if (n != 1)
		return cli_usage_error(&tool, "%s takes no words, only options", w);
	if (!o->n_vguids)
		return cli_usage_error(&tool, "%s needs --vguid", w);
	if (o->n_vguids > ALIASES_MAX)
		return cli_usage_error(&tool, "%s takes at most %d --vguid (a port's alias GUIDs)",
				       w, ALIASES_MAX);
	if (!attach && o->n_vms)
		return cli_usage_error(&tool, "%s takes no --vm", w);
	if (o->n_vms && o->n_vms != o->n_vguids)
		return cli_usage_error(&tool, "%s: %u --vguid but %u --vm: one --vm per --vguid, "
				       "or none", w, o->n_vguids, o->n_vms);
	if (o->index && o->n_vguids > 1)
		return cli_usage_error(&tool, "%s: --index with one --vguid only", w);
	return -1;
}

static int check_words(const struct options *o, char **w, int n, enum command *cmd)
{
	size_t k;

	if (n == 0)
		return cli_usage_error(&tool, "%s", "no command");
	for (k = 0; k < sizeof(escrow_cmds) / sizeof(escrow_cmds[0]); k++) {
		if (!strcmp(w[0], escrow_cmds[k].word)) {
			*cmd = escrow_cmds[k].cmd;
			return check_escrow_words(o, k, n);
		}
	}
	if (escrow_options(o))
		return cli_usage_error(&tool, "%s takes no escrow options", w[0]);
	if (!strcmp(w[0], "attach") || !strcmp(w[0], "detach")) {
		*cmd = w[0][0] == 'a' ? CMD_ATTACH : CMD_DETACH;
		return check_alias_words(o, w[0], n);
	}
	if (o->n_vguids > 1 || o->n_vms > 1)
		return cli_usage_error(&tool, "%s takes one --vguid and one --vm at most "
				       "(only attach and detach take many)", w[0]);
	if (!strcmp(w[0], "status")) {
		*cmd = CMD_STATUS;
		return n == 1 ? -1 : cli_usage_error(&tool, "%s takes no arguments", w[0]);
	}
	if (strcmp(w[0], "vm"))
		return cli_usage_error(&tool, "unknown command \"%s\"", w[0]);
	if (n == 2 && !strcmp(w[1], "list")) {
		*cmd = CMD_VM_LIST;
		return -1;
	}
	if (n != 3 || (strcmp(w[1], "add") && strcmp(w[1], "remove")))
		return cli_usage_error(&tool, "%s", "vm add NAME | vm remove NAME | vm list");
	*cmd = w[1][0] == 'a' ? CMD_VM_ADD : CMD_VM_REMOVE;
	if (!*w[2] || strlen(w[2]) > IBVMIG_VMC_NAME_MAX)
		return cli_usage_error(&tool, "bad VM name \"%s\"", w[2]);
	return -1;
}

static int run_command(const struct options *o, enum command cmd, char **w)
{
	switch (cmd) {
	case CMD_ATTACH:
		return alias_requests(o, IBVMIG_VMC_ATTACH, o->vguids, o->n_vms ? o->vms : NULL,
				      o->n_vguids);
	case CMD_DETACH:
		return alias_requests(o, IBVMIG_VMC_DETACH, o->vguids, NULL, o->n_vguids);
	case CMD_STATUS:
		return cmd_status(o);
	case CMD_VM_LIST:
		return cmd_vm(o, "list", NULL);
	case CMD_RELEASE:
		return cmd_escrow(o, IBVMIG_VMC_ESC_RELEASE, "release");
	case CMD_CLAIM:
		return cmd_escrow(o, IBVMIG_VMC_ESC_CLAIM, "claim");
	case CMD_CANCEL:
		return cmd_escrow(o, IBVMIG_VMC_ESC_CANCEL, "cancel");
	case CMD_QUERY:
		return cmd_escrow(o, IBVMIG_VMC_ESC_QUERY, "query");
	case CMD_MIGRATE_OUT:
		return cmd_migrate_out(o);
	case CMD_MIGRATE_IN:
		return cmd_migrate_in(o);
	default:
		return cmd_vm(o, w[1], w[2]);
	}
}

int main(int argc, char **argv)
{
	enum command cmd = CMD_STATUS;
	int first, code;

	code = cli_parse(&tool, argc, argv, &opts.c, &first);
	if (code >= 0)
		return code;
	/* Usage errors first: they need no agent. */
	code = check_words(&opts, argv + first, argc - first, &cmd);
	if (code >= 0)
		return code;
	code = find_socket(&opts);
	return code ? code : run_command(&opts, cmd, argv + first);
}
