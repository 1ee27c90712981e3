// SPDX-License-Identifier: BSD-2-Clause
/*
 * scn.c - the parser of ibvmig-sim's scenario language (scn.h; the grammar
 * is doc/scenarios.md, "Grammar").  One line is one declaration or one
 * step; words are separated by blanks; "#" at the start of a word starts a
 * comment.
 */
#include "scn.h"

#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS_MAX (SCN_PEERS_MAX + 4)
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
/* A liveness bound or a wait longer than an hour is a typo. */
#define DURATION_MAX_MS 3600000ULL

struct line {
	unsigned no;
	char *w[WORDS_MAX];
	unsigned n;
	const char *orig;	/* the line as written */
	const char *buf;	/* the copy split into w[] */
};

static int fail(struct scn *s, const struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct scn *s, const struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->err_line = l->no;
	return -EINVAL;
}

/* ---- words ------------------------------------------------------------------------------- */

/* Splits @buf (one line, modified) into words; a word starting with '#' ends the line. */
static int split(struct scn *s, struct line *l, char *buf)
{
	char *p = buf;

	l->n = 0;
	l->buf = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			break;
		if (l->n == WORDS_MAX)
			return fail(s, l, "more than %d words", WORDS_MAX);
		l->w[l->n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return 0;
}

static bool is_name(const char *w)
{
	size_t n = strlen(w);

	return n && n <= SCN_NAME_MAX && !w[strspn(w, NAME_CHARS)];
}

int scn_parse_duration(const char *word, uint64_t *ms)
{
	size_t n = strspn(word, "0123456789"), f = 0;
	const char *unit = word + n;
	uint64_t whole, frac = 0, v;
	char num[32];

	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, word, n);
	num[n] = '\0';
	if (util_parse_uint(num, 10, 0, DURATION_MAX_MS, &whole))
		return -EINVAL;
	if (*unit == '.') {
		/* Fractions of a second only, to the millisecond: "1.5s", not "1.5ms". */
		f = strspn(unit + 1, "0123456789");
		if (!f || f > 3)
			return -EINVAL;
		memcpy(num, unit + 1, f);
		memset(num + f, '0', 3 - f);
		num[3] = '\0';
		if (util_parse_uint(num, 10, 0, 999, &frac))
			return -EINVAL;
		unit += 1 + f;
		if (strcmp(unit, "s"))
			return -EINVAL;
	}
	if (!strcmp(unit, "s"))
		v = whole * 1000 + frac;
	else if (!*unit || !strcmp(unit, "ms"))
		v = whole;
	else
		return -EINVAL;
	if (v > DURATION_MAX_MS)
		return -EINVAL;
	*ms = v;
	return 0;
}

static int number(struct scn *s, const struct line *l, const char *w, uint64_t max, uint64_t *v,
		  const char *what)
{
	if (util_parse_uint(w, 0, 0, max, v))
		return fail(s, l, "%s: \"%s\" is not a number from 0 to %" PRIu64, what, w, max);
	return 0;
}

/* ---- names ------------------------------------------------------------------------------- */

int scn_node_find(const struct scn *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_nodes; i++)
		if (!strcmp(s->nodes[i], name))
			return (int)i;
	return -1;
}

int scn_vm_find(const struct scn *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_vms; i++)
		if (!strcmp(s->vms[i].name, name))
			return (int)i;
	return -1;
}

/* The index of node @w, added if new; a negative errno on a bad name. */
static int node(struct scn *s, const struct line *l, const char *w)
{
	int i = scn_node_find(s, w);

	if (i >= 0)
		return i;
	if (!is_name(w))
		return fail(s, l, "\"%s\" is not a node name (1-%d of [A-Za-z0-9._-])", w,
			    SCN_NAME_MAX);
	return scn_node_add(s, w);
}

int scn_node_add(struct scn *s, const char *w)
{
	char **nodes;
	bool *agent;

	nodes = realloc(s->nodes, (s->n_nodes + 1) * sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	s->nodes = nodes;
	agent = realloc(s->agent, (s->n_nodes + 1) * sizeof(*agent));
	if (!agent)
		return -ENOMEM;
	s->agent = agent;
	nodes[s->n_nodes] = strdup(w);
	if (!nodes[s->n_nodes])
		return -ENOMEM;
	agent[s->n_nodes] = false;
	return (int)s->n_nodes++;
}

/* "WORD NODE": the node's index into *@where. */
static int node_line(struct scn *s, const struct line *l, int *where)
{
	int k;

	if (l->n != 2)
		return fail(s, l, "usage: %s NODE", l->w[0]);
	k = node(s, l, l->w[1]);
	if (k < 0)
		return k;
	*where = k;
	return 0;
}

/* A node that must run an agent (VMs live there, notices are counted there). */
static int agent_node(struct scn *s, const struct line *l, const char *w)
{
	int i = scn_node_find(s, w);

	if (i < 0 || !s->agent[i])
		return fail(s, l, "no agent on %s (declare \"agent %s\" first)", w, w);
	return i;
}

static int vm(struct scn *s, const struct line *l, const char *w)
{
	int i = scn_vm_find(s, w);

	if (i < 0)
		return fail(s, l, "no VM named %s (declare \"vm %s on NODE\" first)", w, w);
	return i;
}

/* ---- the set-up --------------------------------------------------------------------------- */

static int parse_fabric(struct scn *s, const struct line *l)
{
	unsigned i;
	int k;

	if (s->topology)
		return fail(s, l, "a second fabric line");
	if (l->n < 2)
		return fail(s, l, "usage: fabric TOPOLOGY [plugin|extension|none] [standby NODE]");
	s->topology = strdup(l->w[1]);
	if (!s->topology)
		return -ENOMEM;
	for (i = 2; i < l->n; i++) {
		if (!strcmp(l->w[i], "plugin"))
			s->sm = SCN_SM_PLUGIN;
		else if (!strcmp(l->w[i], "extension"))
			s->sm = SCN_SM_EXTENSION;
		else if (!strcmp(l->w[i], "none"))
			s->sm = SCN_SM_NONE;
		else if (!strcmp(l->w[i], "standby") && i + 1 < l->n) {
			k = node(s, l, l->w[++i]);
			if (k < 0)
				return k;
			s->standby = k;
		} else
			return fail(s, l, "fabric: unknown word \"%s\"", l->w[i]);
	}
	return 0;
}

static int parse_vm(struct scn *s, const struct line *l)
{
	bool vf = l->n == 4 && !strcmp(l->w[2], "at");
	struct scn_vm *v, *vms;
	uint64_t g = 0;
	int nd;

	if (!vf && ((l->n != 4 && l->n != 6) || strcmp(l->w[2], "on") ||
		    (l->n == 6 && strcmp(l->w[4], "vguid"))))
		return fail(s, l, "usage: vm NAME on NODE [vguid G], vm NAME at VF");
	if (!is_name(l->w[1]))
		return fail(s, l, "\"%s\" is not a VM name (1-%d of [A-Za-z0-9._-])", l->w[1],
			    SCN_NAME_MAX);
	if (scn_vm_find(s, l->w[1]) >= 0)
		return fail(s, l, "a second VM named %s", l->w[1]);
	/* A VF's VM is the VF itself: the agent that acts for it is its vSwitch's PF's. */
	nd = vf ? node(s, l, l->w[3]) : agent_node(s, l, l->w[3]);
	if (nd < 0)
		return nd;
	if (l->n == 6 && util_parse_guid(l->w[5], &g))
		return fail(s, l, "\"%s\" is not a vGUID", l->w[5]);
	vms = realloc(s->vms, (s->n_vms + 1) * sizeof(*vms));
	if (!vms)
		return -ENOMEM;
	s->vms = vms;
	v = &vms[s->n_vms];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", l->w[1]);
	v->node = nd;
	v->vf = vf;
	v->vguid_given = l->n == 6;
	if (!vf)
		v->vguid = v->vguid_given ? g : SCN_VGUID_BASE + s->n_vms + 1;
	v->line = l->no;
	s->n_vms++;
	return 0;
}

static int parse_interest(struct scn *s, const struct line *l)
{
	struct scn_vm *v;
	unsigned i, j;
	int who, p;

	if (l->n < 3)
		return fail(s, l, "usage: interest NAME PEER...");
	who = vm(s, l, l->w[1]);
	if (who < 0)
		return who;
	v = &s->vms[who];
	for (i = 2; i < l->n; i++) {
		p = vm(s, l, l->w[i]);
		if (p < 0)
			return p;
		if (p == who)
			return fail(s, l, "%s: a VM holds no path to itself", l->w[i]);
		for (j = 0; j < v->n_peers && v->peers[j] != p; j++)
			;
		if (j < v->n_peers)
			continue;
		if (v->n_peers == SCN_PEERS_MAX)
			return fail(s, l, "%s: more than %d peers", v->name, SCN_PEERS_MAX);
		v->peers[v->n_peers++] = p;
	}
	return 0;
}

const struct scn_vswitch *scn_vswitch_of(const struct scn *s, int sw)
{
	size_t i;

	for (i = 0; i < s->n_vswitches; i++)
		if (s->vswitches[i].sw == sw)
			return &s->vswitches[i];
	return NULL;
}

/* "vswitch SWITCH pf NODE": the plugin's line of the same name, by node names. */
static int parse_vswitch(struct scn *s, const struct line *l)
{
	struct scn_vswitch *vs;
	int sw, pf;

	if (l->n != 4 || strcmp(l->w[2], "pf"))
		return fail(s, l, "usage: vswitch SWITCH pf NODE");
	if ((sw = node(s, l, l->w[1])) < 0 || (pf = node(s, l, l->w[3])) < 0)
		return sw < 0 ? sw : pf;
	if (sw == pf)
		return fail(s, l, "vswitch %s: its own PF", l->w[1]);
	if (scn_vswitch_of(s, sw))
		return fail(s, l, "a second vswitch line for %s (one PF per vSwitch)", l->w[1]);
	vs = realloc(s->vswitches, (s->n_vswitches + 1) * sizeof(*vs));
	if (!vs)
		return -ENOMEM;
	s->vswitches = vs;
	vs[s->n_vswitches++] = (struct scn_vswitch){ .sw = sw, .pf = pf, .line = l->no };
	return 0;
}

static int parse_setup(struct scn *s, const struct line *l)
{
	const char *w = l->w[0];
	unsigned i;
	int k;

	if (!strcmp(w, "fabric"))
		return parse_fabric(s, l);
	if (!s->topology)
		return fail(s, l, "the first line must be \"fabric TOPOLOGY ...\"");
	if (!strcmp(w, "extension")) {
		if (s->sm != SCN_SM_EXTENSION)
			return fail(s, l, "extension: the fabric line says no \"extension\"");
		return node_line(s, l, &s->ext_node);
	}
	if (!strcmp(w, "sm"))
		return node_line(s, l, &s->sm_node);
	if (!strcmp(w, "agent")) {
		if (l->n < 2)
			return fail(s, l, "usage: agent NODE...");
		for (i = 1; i < l->n; i++) {
			k = node(s, l, l->w[i]);
			if (k < 0)
				return k;
			s->agent[k] = true;
		}
		return 0;
	}
	if (!strcmp(w, "vm"))
		return parse_vm(s, l);
	if (!strcmp(w, "vswitch"))
		return parse_vswitch(s, l);
	return parse_interest(s, l);
}

/* ---- steps -------------------------------------------------------------------------------- */

static struct scn_step *new_step(struct scn *s, const struct line *l, enum scn_op op)
{
	struct scn_step *st = realloc(s->steps, (s->n_steps + 1) * sizeof(*st));

	if (!st)
		return NULL;
	s->steps = st;
	st = &st[s->n_steps++];
	memset(st, 0, sizeof(*st));
	st->op = op;
	st->line = l->no;
	st->vm = st->peer = st->node = st->node2 = -1;
	return st;
}

/* "within T" at words @i, @i+1 (or nothing there). */
static int within(struct scn *s, const struct line *l, unsigned i, struct scn_step *st)
{
	if (i == l->n)
		return 0;
	if (i + 2 != l->n || strcmp(l->w[i], "within"))
		return fail(s, l, "expect: \"within T\" or nothing after the expectation");
	if (scn_parse_duration(l->w[i + 1], &st->ms))
		return fail(s, l, "\"%s\" is not a duration (250ms, 10s, 1.5s)", l->w[i + 1]);
	st->within = true;
	return 0;
}

static bool holds(const struct scn_vm *v, int peer)
{
	unsigned i;

	for (i = 0; i < v->n_peers; i++)
		if (v->peers[i] == peer)
			return true;
	return false;
}

static int parse_expect(struct scn *s, const struct line *l, struct scn_step *st)
{
	const char *what = l->n > 1 ? l->w[1] : "";
	int k;

	if (!strcmp(what, "path") && l->n >= 5) {
		st->op = SCN_EXPECT_PATH;
		if ((st->vm = vm(s, l, l->w[2])) < 0 || (st->peer = vm(s, l, l->w[3])) < 0)
			return -EINVAL;
		if (!holds(&s->vms[st->vm], st->peer))
			return fail(s, l, "%s holds no path to %s (no \"interest %s %s\")", l->w[2],
				    l->w[3], l->w[2], l->w[3]);
		if (!strcmp(l->w[4], "lid-of") && l->n >= 6) {
			if ((st->node = node(s, l, l->w[5])) < 0)
				return st->node;
		} else if (!strcmp(l->w[4], "lid") && l->n >= 6) {
			if (number(s, l, l->w[5], 0xbfff, &st->n, "lid"))
				return -EINVAL;
		} else
			return fail(s, l, "usage: expect path NAME PEER lid-of NODE|lid N "
				    "[within T]");
		return within(s, l, 6, st);
	}
	if (!strcmp(what, "notices") && l->n >= 4) {
		st->op = SCN_EXPECT_NOTICES;
		if ((st->node = agent_node(s, l, l->w[2])) < 0 ||
		    number(s, l, l->w[3], 1u << 30, &st->n, "notices"))
			return -EINVAL;
		return within(s, l, 4, st);
	}
	if (!strcmp(what, "vm-notices") && l->n >= 4) {
		st->op = SCN_EXPECT_VM_NOTICES;
		if ((st->vm = vm(s, l, l->w[2])) < 0 ||
		    number(s, l, l->w[3], 1u << 30, &st->n, "vm-notices"))
			return -EINVAL;
		return within(s, l, 4, st);
	}
	if (!strcmp(what, "reports-per-migration") && l->n == 3) {
		st->op = SCN_EXPECT_RPM;
		return number(s, l, l->w[2], 1u << 20, &st->n, "reports-per-migration");
	}
	if (!strcmp(what, "master") && l->n >= 3) {
		st->op = SCN_EXPECT_MASTER;
		k = node(s, l, l->w[2]);
		if (k < 0)
			return k;
		st->node = k;
		return within(s, l, 3, st);
	}
	if (!strcmp(what, "resync") || !strcmp(what, "saved")) {
		st->op = !strcmp(what, "resync") ? SCN_EXPECT_RESYNC : SCN_EXPECT_SAVED;
		return within(s, l, 2, st);
	}
	if (!strcmp(what, "lid-kept")) {
		st->op = SCN_EXPECT_LID_KEPT;
		if (l->n != 3)
			return fail(s, l, "usage: expect lid-kept NAME");
		if ((st->vm = vm(s, l, l->w[2])) < 0)
			return -EINVAL;
		/* A dedicated port's VM is detached and attached: its peers get notices. */
		if (!s->vms[st->vm].vf)
			return fail(s, l, "expect lid-kept %s: not a VF's VM (vm NAME at VF); for a "
				    "dedicated port: expect path NAME PEER lid N", l->w[2]);
		return 0;
	}
	if (!strcmp(what, "release-refused")) {
		st->op = SCN_EXPECT_REFUSED;
		if (l->n != 5 || strcmp(l->w[3], "by"))
			return fail(s, l, "usage: expect release-refused NAME by NODE");
		if ((st->vm = vm(s, l, l->w[2])) < 0 || (st->node = agent_node(s, l, l->w[4])) < 0)
			return -EINVAL;
		return 0;
	}
	return fail(s, l, "usage: expect path|notices|vm-notices|reports-per-migration|master|"
		    "resync|saved|lid-kept|release-refused ...");
}

static int parse_fault(struct scn *s, const struct line *l, struct scn_step *st)
{
	const char *what = l->n > 1 ? l->w[1] : "";
	const char *act = l->n > 2 ? l->w[l->n - 1] : "";
	uint64_t v;

	if (!strcmp(what, "sm") || !strcmp(what, "standby") || !strcmp(what, "extension") ||
	    !strcmp(what, "agent")) {
		st->op = SCN_FAULT_PROC;
		st->target = !strcmp(what, "sm") ? SCN_TARGET_SM :
			     !strcmp(what, "standby") ? SCN_TARGET_STANDBY :
			     !strcmp(what, "extension") ? SCN_TARGET_EXTENSION : SCN_TARGET_AGENT;
		if (l->n != (st->target == SCN_TARGET_AGENT ? 4u : 3u) ||
		    (strcmp(act, "kill") && strcmp(act, "restart")))
			return fail(s, l, "usage: fault sm|standby|extension kill|restart, "
				    "fault agent NODE kill|restart");
		st->flag = !strcmp(act, "restart");
		if (st->target == SCN_TARGET_AGENT && (st->node = agent_node(s, l, l->w[2])) < 0)
			return -EINVAL;
		if (st->target == SCN_TARGET_STANDBY && s->standby < 0)
			return fail(s, l, "fault standby: the fabric line names no standby");
		if (st->target == SCN_TARGET_EXTENSION && s->sm != SCN_SM_EXTENSION)
			return fail(s, l, "fault extension: the fabric runs no extension");
		return 0;
	}
	if (!strcmp(what, "loss") || !strcmp(what, "link")) {
		bool loss = !strcmp(what, "loss");

		if (l->n != 5)
			return fail(s, l, "usage: fault loss NODE PORT PERCENT, "
				    "fault link NODE PORT down|up");
		if ((st->node = node(s, l, l->w[2])) < 0 ||
		    number(s, l, l->w[3], 254, &v, "port") || !v)
			return st->node < 0 ? st->node : fail(s, l, "ports are 1 to 254");
		st->port = (unsigned)v;
		if (loss) {
			st->op = SCN_FAULT_LOSS;
			return number(s, l, l->w[4], 100, &st->n, "percent");
		}
		st->op = SCN_FAULT_LINK;
		if (strcmp(act, "down") && strcmp(act, "up"))
			return fail(s, l, "fault link: down or up, not \"%s\"", act);
		st->flag = !strcmp(act, "up");
		return 0;
	}
	if (!strcmp(what, "malformed-mad") && l->n == 3) {
		st->op = SCN_FAULT_MALFORMED;
		st->node = node(s, l, l->w[2]);
		return st->node < 0 ? st->node : 0;
	}
	return fail(s, l, "usage: fault sm|standby|extension|agent|loss|link|malformed-mad ...");
}

/* The words after "say" as written, blanks kept, up to a comment. */
static int say_text(const struct line *l, struct scn_step *st)
{
	const char *from, *end;
	size_t n;

	if (l->n < 2) {
		st->text = strdup("");
		return st->text ? 0 : -ENOMEM;
	}
	from = l->orig + (l->w[1] - l->buf);
	/* The last word ends the text: split() stopped at a comment or the end. */
	end = l->orig + (l->w[l->n - 1] - l->buf) + strlen(l->w[l->n - 1]);
	n = (size_t)(end - from);
	st->text = strndup(from, n);
	return st->text ? 0 : -ENOMEM;
}

static const char *const shows[] = { "traps", "subscribers", "stats", "status", "escrow",
				     "caches", "agents", "sm", NULL };

static int parse_step(struct scn *s, const struct line *l)
{
	const char *w = l->w[0];
	struct scn_step *st;
	unsigned i;

	if (!strcmp(w, "create") && l->n == 4 && !strcmp(l->w[2], "on")) {
		st = new_step(s, l, SCN_CREATE);
		if (!st)
			return -ENOMEM;
		if ((st->vm = vm(s, l, l->w[1])) < 0 || (st->node = agent_node(s, l, l->w[3])) < 0)
			return -EINVAL;
		return 0;
	}
	if (!strcmp(w, "create") || !strcmp(w, "reboot") || !strcmp(w, "stop")) {
		if (l->n < 2)
			return fail(s, l, "usage: %s NAME...", w);
		/* One step per VM: each has its own line in the report. */
		for (i = 1; i < l->n; i++) {
			st = new_step(s, l, !strcmp(w, "create") ? SCN_CREATE :
					    !strcmp(w, "reboot") ? SCN_REBOOT : SCN_STOP);
			if (!st)
				return -ENOMEM;
			if ((st->vm = vm(s, l, l->w[i])) < 0)
				return -EINVAL;
			if (s->vms[st->vm].vf)
				return fail(s, l, "%s %s: a VF's VM is there from the start (its "
					    "VF's port); only a migration with escrow moves it", w,
					    l->w[i]);
		}
		return 0;
	}
	st = new_step(s, l, SCN_WAIT);
	if (!st)
		return -ENOMEM;
	if (!strcmp(w, "migrate")) {
		st->op = SCN_MIGRATE;
		if ((l->n != 4 && l->n != 6) || strcmp(l->w[2], "to") ||
		    (l->n == 6 && (strcmp(l->w[4], "with") || strcmp(l->w[5], "escrow"))))
			return fail(s, l, "usage: migrate NAME to NODE [with escrow]");
		if ((st->vm = vm(s, l, l->w[1])) < 0)
			return -EINVAL;
		st->flag = l->n == 6;
		if (!s->vms[st->vm].vf)
			return (st->node = agent_node(s, l, l->w[3])) < 0 ? -EINVAL : 0;
		/* A VF's LID is its own: only the escrow takes it to another VF. */
		if (!st->flag)
			return fail(s, l, "migrate %s: a VF's VM moves with escrow only", l->w[1]);
		return (st->node = node(s, l, l->w[3])) < 0 ? st->node : 0;
	}
	if (!strcmp(w, "evacuate")) {
		st->op = SCN_EVACUATE;
		if (l->n != 4 || strcmp(l->w[2], "to"))
			return fail(s, l, "usage: evacuate NODE to NODE");
		if ((st->node = agent_node(s, l, l->w[1])) < 0 ||
		    (st->node2 = agent_node(s, l, l->w[3])) < 0)
			return -EINVAL;
		if (st->node == st->node2)
			return fail(s, l, "evacuate: %s to itself", l->w[1]);
		return 0;
	}
	if (!strcmp(w, "wait")) {
		if (l->n != 2 || scn_parse_duration(l->w[1], &st->ms))
			return fail(s, l, "usage: wait MS (or 250ms, 2s, 1.5s)");
		return 0;
	}
	if (!strcmp(w, "expect"))
		return parse_expect(s, l, st);
	if (!strcmp(w, "fault"))
		return parse_fault(s, l, st);
	if (!strcmp(w, "say")) {
		st->op = SCN_SAY;
		return say_text(l, st);
	}
	if (!strcmp(w, "show")) {
		st->op = SCN_SHOW;
		for (i = 0; shows[i] && (l->n != 2 || strcmp(l->w[1], shows[i])); i++)
			;
		if (!shows[i])
			return fail(s, l, "usage: show traps|subscribers|stats|status|escrow|caches|"
				    "agents|sm");
		st->text = strdup(l->w[1]);
		return st->text ? 0 : -ENOMEM;
	}
	return fail(s, l, "unknown word \"%s\"", w);
}

static bool is_setup(const char *w)
{
	return !strcmp(w, "fabric") || !strcmp(w, "sm") || !strcmp(w, "agent") ||
	       !strcmp(w, "vm") || !strcmp(w, "interest") || !strcmp(w, "extension") ||
	       !strcmp(w, "vswitch");
}

/* ---- the whole text ----------------------------------------------------------------------- */

static int parse_line(struct scn *s, struct line *l, const char *orig, char *buf)
{
	int rc;

	l->orig = orig;
	rc = split(s, l, buf);

	if (rc || !l->n)
		return rc;
	if (is_setup(l->w[0])) {
		if (s->n_steps)
			return fail(s, l, "\"%s\" after the first step: the set-up (fabric, sm, "
				    "agent, vswitch, vm, interest) comes first", l->w[0]);
		return parse_setup(s, l);
	}
	if (!s->topology)
		return fail(s, l, "the first line must be \"fabric TOPOLOGY ...\"");
	return parse_step(s, l);
}

/* VM @i against the ones declared before it (what the lines alone cannot tell). */
static int check_vm(struct scn *s, size_t i)
{
	const struct scn_vm *v = &s->vms[i], *w;
	struct line at = { .no = v->line };
	size_t j;

	if (v->vf && !s->n_vswitches)
		return fail(s, &at, "vm %s at %s: no \"vswitch SWITCH pf NODE\" line: no agent "
			    "may act for a VF", v->name, s->nodes[v->node]);
	for (j = 0; j < i; j++) {
		w = &s->vms[j];
		if (v->vf && w->vf && v->node == w->node)
			return fail(s, &at, "vm %s at %s: %s is there (one VM per VF)", v->name,
				    s->nodes[v->node], w->name);
		/* A VF's VM has its VF's port GUID, which the runner reads later. */
		if (!v->vf && v->vguid == w->vguid)
			return fail(s, &at, "%s has the vGUID of %s (0x%016" PRIx64 ")", v->name,
				    w->name, v->vguid);
	}
	return 0;
}

/* What only the whole text can tell. */
static int check_whole(struct scn *s)
{
	struct line end = { .no = 0 };
	size_t i;
	int rc;

	if (!s->topology)
		return fail(s, &end, "no fabric line");
	if (s->sm == SCN_SM_EXTENSION && s->ext_node < 0)
		return fail(s, &end, "\"fabric ... extension\" needs an \"extension NODE\" line: "
			    "where ibvmig-smx runs (not the SM's node)");
	for (i = 0; i < s->n_vms; i++)
		if ((rc = check_vm(s, i)))
			return rc;
	return 0;
}

int scn_parse(const char *text, struct scn **out)
{
	struct scn *s = calloc(1, sizeof(*s));
	struct line l = { 0 };
	const char *p = text, *nl;
	char *buf = NULL, *orig = NULL;
	int rc = 0;

	*out = s;
	if (!s)
		return -ENOMEM;
	s->sm_node = s->standby = s->ext_node = -1;
	while (*p && !rc) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		free(buf);
		free(orig);
		buf = strndup(p, (size_t)(nl - p));
		orig = strndup(p, (size_t)(nl - p));
		if (!buf || !orig) {
			rc = -ENOMEM;
			break;
		}
		l.no++;
		rc = parse_line(s, &l, orig, buf);
		p = *nl ? nl + 1 : nl;
	}
	free(buf);
	free(orig);
	return rc ? rc : check_whole(s);
}

void scn_free(struct scn *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_nodes; i++)
		free(s->nodes[i]);
	for (i = 0; i < s->n_steps; i++)
		free(s->steps[i].text);
	free(s->nodes);
	free(s->agent);
	free(s->vms);
	free(s->vswitches);
	free(s->steps);
	free(s->topology);
	free(s);
}

const char *scn_sm_name(enum scn_sm sm)
{
	switch (sm) {
	case SCN_SM_PLUGIN:
		return "plugin";
	case SCN_SM_EXTENSION:
		return "extension";
	case SCN_SM_NONE:
		break;
	}
	return "none";
}

static const char *target_name(enum scn_target t)
{
	switch (t) {
	case SCN_TARGET_SM:
		return "sm";
	case SCN_TARGET_STANDBY:
		return "standby";
	case SCN_TARGET_EXTENSION:
		return "extension";
	case SCN_TARGET_AGENT:
		break;
	}
	return "agent";
}

void scn_step_str(const struct scn *s, const struct scn_step *st, char *buf, size_t len)
{
	const char *vm = st->vm >= 0 ? s->vms[st->vm].name : "";
	const char *peer = st->peer >= 0 ? s->vms[st->peer].name : "";
	const char *nd = st->node >= 0 ? s->nodes[st->node] : "";
	char w[48] = "";

	if (st->within)
		snprintf(w, sizeof(w), " within %" PRIu64 "%s", st->ms % 1000 ? st->ms :
			 st->ms / 1000, st->ms % 1000 ? "ms" : "s");
	switch (st->op) {
	case SCN_CREATE:
		snprintf(buf, len, "create %s%s%s", vm, st->node >= 0 ? " on " : "", nd);
		break;
	case SCN_STOP:
		snprintf(buf, len, "stop %s", vm);
		break;
	case SCN_REBOOT:
		snprintf(buf, len, "reboot %s", vm);
		break;
	case SCN_MIGRATE:
		snprintf(buf, len, "migrate %s to %s%s", vm, nd, st->flag ? " with escrow" : "");
		break;
	case SCN_EVACUATE:
		snprintf(buf, len, "evacuate %s to %s", nd, s->nodes[st->node2]);
		break;
	case SCN_WAIT:
		snprintf(buf, len, "wait %" PRIu64 "%s", st->ms % 1000 ? st->ms : st->ms / 1000,
			 st->ms % 1000 ? "ms" : "s");
		break;
	case SCN_EXPECT_PATH:
		if (st->node >= 0)
			snprintf(buf, len, "expect path %s %s lid-of %s%s", vm, peer, nd, w);
		else
			snprintf(buf, len, "expect path %s %s lid %" PRIu64 "%s", vm, peer, st->n, w);
		break;
	case SCN_EXPECT_NOTICES:
		snprintf(buf, len, "expect notices %s %" PRIu64 "%s", nd, st->n, w);
		break;
	case SCN_EXPECT_VM_NOTICES:
		snprintf(buf, len, "expect vm-notices %s %" PRIu64 "%s", vm, st->n, w);
		break;
	case SCN_EXPECT_RPM:
		snprintf(buf, len, "expect reports-per-migration %" PRIu64, st->n);
		break;
	case SCN_EXPECT_MASTER:
		snprintf(buf, len, "expect master %s%s", nd, w);
		break;
	case SCN_EXPECT_RESYNC:
		snprintf(buf, len, "expect resync%s", w);
		break;
	case SCN_EXPECT_SAVED:
		snprintf(buf, len, "expect saved%s", w);
		break;
	case SCN_EXPECT_LID_KEPT:
		snprintf(buf, len, "expect lid-kept %s", vm);
		break;
	case SCN_EXPECT_REFUSED:
		snprintf(buf, len, "expect release-refused %s by %s", vm, nd);
		break;
	case SCN_FAULT_PROC:
		snprintf(buf, len, "fault %s%s%s %s", target_name(st->target),
			 st->target == SCN_TARGET_AGENT ? " " : "", nd,
			 st->flag ? "restart" : "kill");
		break;
	case SCN_FAULT_LOSS:
		snprintf(buf, len, "fault loss %s %u %" PRIu64, nd, st->port, st->n);
		break;
	case SCN_FAULT_LINK:
		snprintf(buf, len, "fault link %s %u %s", nd, st->port, st->flag ? "up" : "down");
		break;
	case SCN_FAULT_MALFORMED:
		snprintf(buf, len, "fault malformed-mad %s", nd);
		break;
	case SCN_SAY:
		snprintf(buf, len, "say %s", st->text);
		break;
	case SCN_SHOW:
		snprintf(buf, len, "show %s", st->text);
		break;
	}
}
