// SPDX-License-Identifier: BSD-2-Clause
/*
 * esc_prtn.c - the escrow's partition overlay and the derived partition file
 * (esc_prtn.h).  The scanner follows the order in which OpenSM 3.3 reads the
 * file - line by line, '#' to the end of a line, ';' ending a definition, the
 * header up to ':' on the definition's first line, members split at ',',
 * "mgid=" consuming the rest of its segment - and records byte spans only:
 * the derived text is the operator's with a few spans replaced and a few
 * members inserted, never re-printed from a model.
 */
#include "esc_prtn.h"
#include "be_bytes.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One partition definition: where its members start. */
struct prtn_def {
	uint16_t pkey;			/* base */
	bool has_pkey;			/* an explicit, valid P_Key */
	size_t insert_at;		/* just after its ':' */
};

/* One member naming a port GUID. */
struct prtn_member {
	size_t start, end;		/* the name's bytes */
	uint64_t guid;
	uint32_t def;			/* index in defs[] */
};

struct esc_prtn_file {
	char *text;
	size_t len;
	struct prtn_def *defs;
	size_t ndefs, defs_cap;
	struct prtn_member *members;
	size_t nmembers, members_cap;
};

struct esc_overlay {
	struct esc_ovl_entry *e;	/* sorted by (guid, pkey base) */
	size_t n, cap;
};

/* ---- small helpers ----------------------------------------------------------------- */

static void *grow(void *items, size_t *cap, size_t count, size_t size)
{
	size_t n;

	if (count < *cap)
		return items;
	n = *cap ? *cap * 2 : 16;
	items = realloc(items, n * size);
	if (items)
		*cap = n;
	return items;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [*s, *e) without blanks at either end. */
static void trim(const char *t, size_t *s, size_t *e)
{
	while (*s < *e && is_blank(t[*s]))
		(*s)++;
	while (*e > *s && is_blank(t[*e - 1]))
		(*e)--;
}

/* A whole-number token of [s, e) (C syntax: 0x.., 0.., decimal) into *@v. */
static bool number(const char *t, size_t s, size_t e, uint64_t *v)
{
	char buf[32], *end;

	if (e <= s || e - s >= sizeof(buf) || !isdigit((unsigned char)t[s]))
		return false;
	memcpy(buf, t + s, e - s);
	buf[e - s] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return !errno && !*end;
}

static const char *find(const char *t, size_t s, size_t e, char c)
{
	const char *p = memchr(t + s, c, e - s);

	return p;
}

/* ---- the scanner -------------------------------------------------------------------- */

struct scan {
	struct esc_prtn_file *f;
	unsigned line;
	char *err;
	size_t errlen;
	bool in_def;
};

static int scan_fail(struct scan *sc, int rc, const char *what)
{
	if (sc->errlen)
		snprintf(sc->err, sc->errlen, "line %u: %s", sc->line, what);
	return rc;
}

/* The header "Name[=PKey][,flag[=value]]..." of [s, e). */
static int scan_header(struct scan *sc, size_t s, size_t e, size_t insert_at)
{
	struct esc_prtn_file *f = sc->f;
	const char *t = f->text, *comma, *eq;
	size_t ns = s, ne, is, ie;
	struct prtn_def *d;
	uint64_t v;

	comma = find(t, s, e, ',');
	ne = comma ? (size_t)(comma - t) : e;
	eq = find(t, ns, ne, '=');
	if (eq) {
		is = (size_t)(eq - t) + 1;
		ie = ne;
	} else {
		/* A name that is a number is the P_Key itself, as OpenSM reads it. */
		is = ns;
		ie = ne;
	}
	trim(t, &is, &ie);
	d = grow(f->defs, &f->defs_cap, f->ndefs, sizeof(*d));
	if (!d)
		return scan_fail(sc, -ENOMEM, "out of memory");
	f->defs = d;
	d = &f->defs[f->ndefs++];
	memset(d, 0, sizeof(*d));
	d->insert_at = insert_at;
	/* OpenSM keeps 16 bits of the number and drops the membership bit. */
	if (number(t, is, ie, &v) && v <= 0xFFFF && (v & ESC_PKEY_BASE_MASK)) {
		d->pkey = (uint16_t)(v & ESC_PKEY_BASE_MASK);
		d->has_pkey = true;
	}
	return 0;
}

/* The members of [s, e); false when "mgid=" took the rest. */
static int scan_members(struct scan *sc, size_t s, size_t e)
{
	struct esc_prtn_file *f = sc->f;
	const char *t = f->text;
	struct prtn_member *m;

	while (s <= e) {
		const char *comma = find(t, s, e, ','), *eq;
		size_t te = comma ? (size_t)(comma - t) : e, ns = s, ne;
		uint64_t guid;

		eq = find(t, s, te, '=');
		ne = eq ? (size_t)(eq - t) : te;
		trim(t, &ns, &ne);
		if (ne - ns == 4 && !memcmp(t + ns, "mgid", 4))
			return 0;	/* a multicast group: the rest of the segment is its */
		if (number(t, ns, ne, &guid) && guid) {
			m = grow(f->members, &f->members_cap, f->nmembers, sizeof(*m));
			if (!m)
				return scan_fail(sc, -ENOMEM, "out of memory");
			f->members = m;
			f->members[f->nmembers++] = (struct prtn_member){
				.start = ns, .end = ne, .guid = guid,
				.def = (uint32_t)(f->ndefs - 1) };
		}
		if (!comma)
			break;
		s = te + 1;
	}
	return 0;
}

/* One line, [s, e) with its comment cut off. */
static int scan_line(struct scan *sc, size_t s, size_t e)
{
	const char *t = sc->f->text;
	int rc;

	while (s < e) {
		const char *semi, *colon;
		size_t seg_end;

		while (s < e && is_blank(t[s]))
			s++;
		if (s >= e)
			break;
		semi = find(t, s, e, ';');
		seg_end = semi ? (size_t)(semi - t) : e;
		if (!sc->in_def) {
			colon = find(t, s, seg_end, ':');
			if (!colon)
				return scan_fail(sc, -EINVAL, "no partition definition found");
			rc = scan_header(sc, s, (size_t)(colon - t), (size_t)(colon - t) + 1);
			if (rc)
				return rc;
			sc->in_def = true;
			s = (size_t)(colon - t) + 1;
		}
		rc = scan_members(sc, s, seg_end);
		if (rc)
			return rc;
		if (!semi)
			break;
		sc->in_def = false;
		s = seg_end + 1;
	}
	return 0;
}

int esc_prtn_parse(const char *text, size_t len, struct esc_prtn_file **out, char *err,
		   size_t errlen)
{
	struct esc_prtn_file *f = calloc(1, sizeof(*f));
	struct scan sc = { .f = f, .err = err, .errlen = errlen };
	size_t s = 0;
	int rc = 0;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!f || !(f->text = malloc(len + 1))) {
		free(f);
		return -ENOMEM;
	}
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->len = len;
	while (s < len && !rc) {
		const char *nl = memchr(f->text + s, '\n', len - s), *hash;
		size_t e = nl ? (size_t)(nl - f->text) : len;

		sc.line++;
		hash = find(f->text, s, e, '#');
		rc = scan_line(&sc, s, hash ? (size_t)(hash - f->text) : e);
		s = e + 1;
	}
	if (rc) {
		esc_prtn_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void esc_prtn_free(struct esc_prtn_file *f)
{
	if (!f)
		return;
	free(f->text);
	free(f->defs);
	free(f->members);
	free(f);
}

bool esc_prtn_names(const struct esc_prtn_file *f, uint16_t pkey, uint64_t guid)
{
	size_t i;

	pkey &= ESC_PKEY_BASE_MASK;
	for (i = 0; f && i < f->nmembers; i++) {
		const struct prtn_def *d = &f->defs[f->members[i].def];

		if (f->members[i].guid == guid && d->has_pkey && d->pkey == pkey)
			return true;
	}
	return false;
}

bool esc_prtn_defines(const struct esc_prtn_file *f, uint16_t pkey)
{
	size_t i;

	pkey &= ESC_PKEY_BASE_MASK;
	for (i = 0; f && i < f->ndefs; i++)
		if (f->defs[i].has_pkey && f->defs[i].pkey == pkey)
			return true;
	return false;
}

/* ---- the overlay -------------------------------------------------------------------- */

struct esc_overlay *esc_overlay_new(void)
{
	return calloc(1, sizeof(struct esc_overlay));
}

void esc_overlay_free(struct esc_overlay *o)
{
	if (!o)
		return;
	free(o->e);
	free(o);
}

static int ovl_cmp(uint64_t guid, uint16_t pkey, const struct esc_ovl_entry *e)
{
	uint16_t b = e->pkey & ESC_PKEY_BASE_MASK;

	if (guid != e->guid)
		return guid < e->guid ? -1 : 1;
	pkey &= ESC_PKEY_BASE_MASK;
	return pkey == b ? 0 : pkey < b ? -1 : 1;
}

/* The index of (@guid, @pkey), or where it would go (*@found false). */
static size_t ovl_find(const struct esc_overlay *o, uint64_t guid, uint16_t pkey, bool *found)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ovl_cmp(guid, pkey, &o->e[mid]);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

enum esc_ovl_kind esc_overlay_get(const struct esc_overlay *o, uint64_t guid, uint16_t pkey,
				  struct esc_ovl_entry *e)
{
	bool found;
	size_t i = ovl_find(o, guid, pkey, &found);

	if (!found)
		return ESC_OVL_NONE;
	if (e)
		*e = o->e[i];
	return (enum esc_ovl_kind)o->e[i].kind;
}

static bool entry_valid(const struct esc_ovl_entry *e)
{
	uint16_t base = e->pkey & ESC_PKEY_BASE_MASK;

	if (!e->guid || !base || base == ESC_PKEY_DEFAULT || e->kind > ESC_OVL_ADDED)
		return false;
	return e->kind == ESC_OVL_ADDED || !(e->pkey & ESC_PKEY_FULL);
}

int esc_overlay_put(struct esc_overlay *o, const struct esc_ovl_entry *e)
{
	struct esc_ovl_entry *items;
	bool found;
	size_t i;

	if (!entry_valid(e))
		return -EINVAL;
	i = ovl_find(o, e->guid, e->pkey, &found);
	if (e->kind == ESC_OVL_NONE) {
		if (found) {
			memmove(&o->e[i], &o->e[i + 1], (o->n - i - 1) * sizeof(o->e[0]));
			o->n--;
		}
		return 0;
	}
	if (found) {
		o->e[i] = *e;
		return 0;
	}
	items = grow(o->e, &o->cap, o->n, sizeof(*items));
	if (!items)
		return -ENOMEM;
	o->e = items;
	memmove(&o->e[i + 1], &o->e[i], (o->n - i) * sizeof(o->e[0]));
	o->e[i] = *e;
	o->n++;
	return 0;
}

size_t esc_overlay_count(const struct esc_overlay *o)
{
	return o->n;
}

int esc_overlay_list(const struct esc_overlay *o, struct esc_ovl_entry **out, size_t *n)
{
	*out = NULL;
	*n = o->n;
	if (!o->n)
		return 0;
	*out = malloc(o->n * sizeof(o->e[0]));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, o->e, o->n * sizeof(o->e[0]));
	return 0;
}

/* Adds @want to @out unless it is what @o holds already. */
static void want(const struct esc_overlay *o, struct esc_ovl_entry *out, size_t *n,
		 const struct esc_ovl_entry *want_e)
{
	struct esc_ovl_entry cur;
	enum esc_ovl_kind k = esc_overlay_get(o, want_e->guid, want_e->pkey, &cur);

	if (k == want_e->kind && (k == ESC_OVL_NONE || cur.pkey == want_e->pkey))
		return;
	if (*n < ESC_OVL_ACTION_MAX)
		out[(*n)++] = *want_e;
}

void esc_overlay_action(const struct esc_overlay *o, const struct esc_prtn_file *f,
			const struct esc_action *a, struct esc_ovl_entry *out, size_t *n)
{
	uint16_t i;

	*n = 0;
	if (a->type == ESC_ACT_FREE)
		return;
	for (i = 0; i < a->nkeys && i < ESC_KEYS_MAX; i++) {
		uint16_t k = a->keys[i], base = k & ESC_PKEY_BASE_MASK;
		struct esc_ovl_entry gone = { a->source, base, ESC_OVL_REMOVED };
		struct esc_ovl_entry given = { a->port, k, ESC_OVL_ADDED };

		if (!base || base == ESC_PKEY_DEFAULT)
			continue;
		if (a->type == ESC_ACT_RESERVE) {
			want(o, out, n, &gone);
		} else if (!a->to_source) {
			want(o, out, n, &gone);
			want(o, out, n, &given);
		} else {
			/* Back where the operator's file puts it, if it does. */
			if (esc_prtn_names(f, base, a->source))
				given.kind = ESC_OVL_NONE;
			given.pkey = given.kind == ESC_OVL_NONE ? base : k;
			want(o, out, n, &given);
		}
	}
}

/*
 * The record (big-endian): 0 version 1, 1 kind, 2 P_Key, 4 reserved 0
 * (4 bytes), 8 port GUID.
 */
void esc_ovl_jrec_encode(const struct esc_ovl_entry *e, uint8_t buf[ESC_OVL_JREC_LEN])
{
	memset(buf, 0, ESC_OVL_JREC_LEN);
	buf[0] = 1;
	buf[1] = e->kind;
	be_put16(buf + 2, e->pkey);
	be_put64(buf + 8, e->guid);
}

int esc_ovl_jrec_decode(const void *data, size_t len, struct esc_ovl_entry *e)
{
	const uint8_t *p = data;

	if (len != ESC_OVL_JREC_LEN || p[0] != 1 || be_get32(p + 4))
		return -EINVAL;
	e->kind = p[1];
	e->pkey = be_get16(p + 2);
	e->guid = be_get64(p + 8);
	/* A removal record of NONE kind names what it removes: any valid key. */
	return entry_valid(e) ? 0 : -EINVAL;
}

/* ---- the derived file ----------------------------------------------------------------- */

struct edit {
	size_t at, end;			/* bytes [at, end) replaced by text */
	char text[40];
};

static int edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->text, y->text);
}

/* The edits of the overlay on @f: replacements and insertions (malloc'ed). */
static int collect_edits(const struct esc_prtn_file *f, const struct esc_overlay *o,
			 struct edit **out, size_t *n, size_t *unplaced)
{
	struct edit *ed = calloc(f->nmembers + o->n + 1, sizeof(*ed));
	size_t i, j, k = 0;

	*unplaced = 0;
	if (!ed)
		return -ENOMEM;
	for (i = 0; i < f->nmembers; i++) {
		const struct prtn_member *m = &f->members[i];
		const struct prtn_def *d = &f->defs[m->def];

		if (!d->has_pkey || esc_overlay_get(o, m->guid, d->pkey, NULL) == ESC_OVL_NONE)
			continue;
		ed[k].at = m->start;
		ed[k].end = m->end;
		strcpy(ed[k].text, "NONE");
		k++;
	}
	for (i = 0; i < o->n; i++) {
		const struct esc_ovl_entry *e = &o->e[i];
		uint16_t base = e->pkey & ESC_PKEY_BASE_MASK;

		if (e->kind != ESC_OVL_ADDED)
			continue;
		for (j = 0; j < f->ndefs; j++)
			if (f->defs[j].has_pkey && f->defs[j].pkey == base)
				break;
		if (j == f->ndefs) {
			(*unplaced)++;
			continue;
		}
		ed[k].at = ed[k].end = f->defs[j].insert_at;
		snprintf(ed[k].text, sizeof(ed[k].text), " 0x%016" PRIx64 "=%s,", e->guid,
			 e->pkey & ESC_PKEY_FULL ? "full" : "limited");
		k++;
	}
	qsort(ed, k, sizeof(*ed), edit_cmp);
	*out = ed;
	*n = k;
	return 0;
}

int esc_prtn_derive(const struct esc_prtn_file *f, const struct esc_overlay *o, char **out,
		    size_t *len, size_t *unplaced)
{
	static const struct esc_prtn_file empty = { .text = (char *)"" };
	size_t n, i, pos = 0, size, w = 0, up = 0;
	struct edit *ed;
	char *buf;
	int rc;

	if (!f)
		f = &empty;
	rc = collect_edits(f, o, &ed, &n, &up);
	if (rc)
		return rc;
	size = f->len + 1;
	for (i = 0; i < n; i++)
		size += strlen(ed[i].text);
	buf = malloc(size);
	if (!buf) {
		free(ed);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		memcpy(buf + w, f->text + pos, ed[i].at - pos);
		w += ed[i].at - pos;
		memcpy(buf + w, ed[i].text, strlen(ed[i].text));
		w += strlen(ed[i].text);
		pos = ed[i].end;
	}
	memcpy(buf + w, f->text + pos, f->len - pos);
	w += f->len - pos;
	buf[w] = '\0';
	free(ed);
	*out = buf;
	*len = w;
	if (unplaced)
		*unplaced = up;
	return 0;
}
