/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * esc_prtn.h - the escrow's partition overlay (part of libibvmig-escrow):
 * which memberships of OpenSM's partition file the escrows have moved, and
 * the file OpenSM is pointed at instead of the operator's.
 *
 * OpenSM rebuilds every membership from its partition file on each heavy
 * sweep (doc/simulator.md, "LIDs"), so a membership moved by an escrow must
 * be in the file OpenSM reads.  The operator's file is never edited: the SM
 * service derives its own from it, the operator's text with
 *   - every member naming port G in a definition of partition K replaced by
 *     NONE (OpenSM skips that name), for each overlay entry (G, K), and
 *   - "G=full" or "G=limited" inserted first into the first definition of K,
 *     for each overlay entry (G, K) that adds K to G.
 * Everything else (flags, mgid lines, group rules, comments) stays as the
 * operator wrote it.
 *
 * The overlay is a set of entries, one per (port, partition), each "removed"
 * (the port lost the key to an escrow) or "added" (the port got it from
 * one, with the membership type).  esc_overlay_action() turns one of the
 * escrow's side effects (lid_escrow.h, struct esc_action) into the entries it
 * changes; the caller makes those durable (esc_ovl_jrec_encode, journal
 * records of type ESC_JREC_OVERLAY) before it writes the derived file.
 *
 * The syntax read is OpenSM 3.3's (opensm-partitions.conf(5)): definitions
 * "Name[=PKey][,flag[=value]]... : member[=full|limited|both], ... ;",
 * members a port GUID, ALL, ALL_CAS, ALL_SWITCHES, ALL_ROUTERS, SELF or
 * NONE, "mgid=..." consuming the rest of its line, '#' comments.  Only what
 * the overlay needs is interpreted: the P_Key of each definition and the port
 * GUIDs named.  A partition without an explicit P_Key gets one from OpenSM in
 * file order; the overlay cannot name it, and its members count as not named.
 *
 * Pure: no OpenSM, no I/O, no locks; a handle is used by one thread at a time.
 * ERRORS: 0 or a negative errno value.
 */
#ifndef IBVMIG_ESC_PRTN_H
#define IBVMIG_ESC_PRTN_H

#include "lid_escrow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The overlay's journal record: one entry's image (kind 0: the entry is gone). */
#define ESC_JREC_OVERLAY 0x0300
#define ESC_OVL_JREC_LEN 16

enum esc_ovl_kind {
	ESC_OVL_NONE = 0,		/* no entry: the operator's file as it is */
	ESC_OVL_REMOVED = 1,		/* the port's explicit memberships of the key are gone */
	ESC_OVL_ADDED = 2,		/* ...replaced by the one the escrow gave it */
};

struct esc_ovl_entry {
	uint64_t guid;
	uint16_t pkey;			/* ESC_OVL_ADDED: base | ESC_PKEY_FULL for full; else base */
	uint8_t kind;			/* enum esc_ovl_kind */
};

/* ---- the operator's file ------------------------------------------------------------ */

struct esc_prtn_file;

/*
 * Scans @text (@len bytes, not NUL-terminated necessarily): 0 and *@out, or
 * -ENOMEM, or -EINVAL for text OpenSM would refuse to read at all (a
 * definition without ':'), with "line N: what" in @err.  @text is copied.
 */
int esc_prtn_parse(const char *text, size_t len, struct esc_prtn_file **out, char *err,
		   size_t errlen);
void esc_prtn_free(struct esc_prtn_file *f);
/* Whether a definition of partition @pkey (base, bit 15 ignored) names port @guid. */
bool esc_prtn_names(const struct esc_prtn_file *f, uint16_t pkey, uint64_t guid);
/* Whether the file defines partition @pkey with an explicit P_Key. */
bool esc_prtn_defines(const struct esc_prtn_file *f, uint16_t pkey);

/* ---- the overlay --------------------------------------------------------------------- */

struct esc_overlay;

struct esc_overlay *esc_overlay_new(void);
void esc_overlay_free(struct esc_overlay *o);
/* The entry of (@guid, @pkey base): its kind, ESC_OVL_NONE when there is none. */
enum esc_ovl_kind esc_overlay_get(const struct esc_overlay *o, uint64_t guid, uint16_t pkey,
				  struct esc_ovl_entry *e);
/* Puts @e in place (kind NONE removes it): 0, -EINVAL, -ENOMEM. */
int esc_overlay_put(struct esc_overlay *o, const struct esc_ovl_entry *e);
size_t esc_overlay_count(const struct esc_overlay *o);
/* Every entry, by port then P_Key, malloc'ed (NULL when none): 0 or -ENOMEM. */
int esc_overlay_list(const struct esc_overlay *o, struct esc_ovl_entry **out, size_t *n);

/*
 * What side effect @a does to the memberships, as entries to put in place
 * (into @out, at most ESC_OVL_ACTION_MAX; *@n of them), given the
 * operator's file @f (NULL: none) - without changing @o:
 *  RESERVE: every key of the source is removed from it;
 *  MOVE to a claimant: added to the claimant with the escrow's type, and
 *           removed from the source (again: a replay may come without the
 *           RESERVE before it);
 *  MOVE back to the source (a cancel): back to what the operator's file
 *           says where it names the source, else added;
 *  FREE:    nothing (the keys go to nobody: the source stays without them).
 * An entry equal to the one in place is left out.
 */
#define ESC_OVL_ACTION_MAX (2 * ESC_KEYS_MAX)
void esc_overlay_action(const struct esc_overlay *o, const struct esc_prtn_file *f,
			const struct esc_action *a, struct esc_ovl_entry *out, size_t *n);

/* The record of one entry, and back: 0, or -EINVAL for a record that cannot be one. */
void esc_ovl_jrec_encode(const struct esc_ovl_entry *e, uint8_t buf[ESC_OVL_JREC_LEN]);
int esc_ovl_jrec_decode(const void *data, size_t len, struct esc_ovl_entry *e);

/*
 * The derived file: @f's text (or the empty text) with @o applied, as above.
 * 0 with *@out malloc'ed and NUL-terminated, *@len its length, and
 * *@unplaced (may be NULL) the added entries whose partition @f does not
 * define (they cannot be given: the operator removed the partition); -ENOMEM.
 */
int esc_prtn_derive(const struct esc_prtn_file *f, const struct esc_overlay *o, char **out,
		    size_t *len, size_t *unplaced);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_ESC_PRTN_H */
