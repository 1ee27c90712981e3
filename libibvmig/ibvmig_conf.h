/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_conf.h - the plugin's configuration file (ibvmig.conf(5)): "key
 * value" lines parsed all or nothing into struct ibvmig_conf.  Pure: no
 * OpenSM, no state; safe from any thread.
 */
#ifndef IBVMIG_CONF_H
#define IBVMIG_CONF_H

#include "ibvmig_util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IBVMIG_CONF_GUARD_ALLOW_MAX 32
#define IBVMIG_CONF_VSWITCH_MAX 256
/* The escrow's capacity bound: one escrow per unicast LID (IBA vol 1, 4.1.3). */
#define IBVMIG_CONF_ESCROW_CAPACITY_MAX 0xBFFF

/* One "vswitch <switch node GUID> pf <port GUID>" line. */
struct ibvmig_conf_vswitch {
	uint64_t switch_guid;
	uint64_t pf_guid;
};

struct ibvmig_conf {
	uint64_t trap_ttl_ms;		/* trap_ttl (seconds); 0 = never expire */
	uint32_t trap_capacity;		/* trap_capacity */
	bool unpath;			/* unpath */
	char state_dir[256];		/* state_dir; "" = $OSM_CACHE_DIR/ibvmig */
	char admin_socket[108];		/* admin_socket (sun_path size) */
	uint32_t admin_socket_mode;	/* admin_socket_mode, octal */
	bool alias_guard;		/* alias_guard */
	uint64_t guard_allow[IBVMIG_CONF_GUARD_ALLOW_MAX];	/* alias_guard_allow */
	unsigned guard_allow_count;
	enum util_log_level log_level;	/* log_level */
	uint32_t save_delay_ms;		/* save_delay_ms */
	uint32_t state_compact_factor;	/* state_compact_factor */

	/* The LID/P_Key escrow service (doc/escrow-protocol.md). */
	bool escrow;			/* escrow */
	uint64_t escrow_ttl_ms;		/* escrow_ttl (seconds) */
	uint32_t escrow_capacity;	/* escrow_capacity */
	char escrow_journal[256];	/* escrow_journal; "" = STATE_DIR/escrow-journal */
	char escrow_partitions[256];	/* escrow_partitions; "" = STATE_DIR/partitions.conf */
	uint32_t escrow_sweep_delay_ms;	/* escrow_sweep_delay_ms */
	bool escrow_fast_move;		/* escrow_fast_move */
	struct ibvmig_conf_vswitch vswitch[IBVMIG_CONF_VSWITCH_MAX];	/* vswitch */
	unsigned vswitch_count;
};

void ibvmig_conf_defaults(struct ibvmig_conf *c);
/*
 * Reads "key value" lines ('#' starts a comment).  All or nothing: on any
 * error *@c holds the defaults, -EINVAL (or -errno of fopen) is returned and
 * @err says "FILE:LINE: what".  A NULL or empty @path gives the defaults.
 */
int ibvmig_conf_load(const char *path, struct ibvmig_conf *c, char *err, size_t errlen);
/* The same for a string, for tests and for `ibvmig` to check a file. */
int ibvmig_conf_parse(const char *text, const char *name, struct ibvmig_conf *c, char *err,
		      size_t errlen);

/*
 * A key the file format does not know, offered to the host that reads the
 * file (the standalone SM extension's own options, ibvmig-smx(8)): 0 when
 * the host took it; -ENOENT when it does not know it either ("unknown
 * option"); any other negative errno refuses the value, with @msg (the
 * parser adds "FILE:LINE: KEY: ").  @value may be modified.
 */
typedef int (*ibvmig_conf_extra_fn)(void *ctx, const char *key, char *value, char *msg,
				    size_t msglen);
/*
 * ibvmig_conf_parse() and ibvmig_conf_load() with @extra (NULL: none) for
 * the keys they do not know, called in file order.  All or nothing for *@c
 * as above; the host resets what @extra set when the call fails.
 */
int ibvmig_conf_parse_with(const char *text, const char *name, struct ibvmig_conf *c,
			   ibvmig_conf_extra_fn extra, void *ctx, char *err, size_t errlen);
int ibvmig_conf_load_with(const char *path, struct ibvmig_conf *c, ibvmig_conf_extra_fn extra,
			  void *ctx, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_CONF_H */
