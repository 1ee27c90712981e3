/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_sa.h - libibvmig-sa, the SA/MAD client every host tool and every
 * end-to-end test of ibvmig talks to the subnet administrator through.
 *
 * A handle (struct ibvmig_sa) is one local CA port opened with libibumad and
 * one SA class agent registered on it (management class 0x03, version 2) for
 * requests and for unsolicited Reports.  Through it:
 *
 *  - alias GUIDs (vGUIDs) of the own port: SubnAdmSet / SubnAdmDelete /
 *    SubnAdmGet of GUIDInfoRecord (IBA 15.2.5.18);
 *  - PathRecord to a vGUID (IBA 15.2.5.16);
 *  - InformInfo subscriptions (IBA 13.4.8.3) and the Reports they bring
 *    (IBA 13.4.8.2 Notice), decoded with the notice codec (ibvmig_notice.h) and answered
 *    with a ReportResp.
 *
 * Requests are blocking: one request is outstanding at a time, each attempt
 * waits opts.timeout_ms and is resent opts.retries times.  While a request
 * waits, unsolicited MADs keep being handled: Reports are acknowledged at once
 * and QUEUED (never delivered from inside a request, so a report callback may
 * itself issue requests); the next ibvmig_sa_process() hands them to its
 * callback first, in arrival order.  SMInfo queries are answered wherever they
 * arrive (simulator mode only).
 *
 * Every function returns 0 (or a count) or a negative errno value;
 * ibvmig_sa_strerror() explains one.  The library never prints or exits.
 * A handle is not thread-safe: use it from one thread at a time.
 */
#ifndef IBVMIG_SA_H
#define IBVMIG_SA_H

#include "ibvmig_notice.h"
#include "ibvmig_path.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ibvmig_sa;

/* Fill with ibvmig_sa_opts_init(), then change what differs. */
struct ibvmig_sa_opts {
	const char *ca; /* CA name, NULL for the first one (copied by open) */
	int port;	/* port number, 0 for the first active one */
	int timeout_ms; /* per attempt, > 0 */
	int retries;	/* resends after the first attempt, >= 0 */
	/*
	 * ibsim/umad2sim only (FABRIC-NOTES "issm"): register agents for the SM
	 * classes 0x01/0x81, open the port's issm device while a subscription
	 * is held (ibsim forwards Reports only to an "SM" client) and answer
	 * OpenSM's SMInfo Gets.  Never set on real hardware.
	 */
	bool simulator;
};

#define IBVMIG_SA_DEFAULT_TIMEOUT_MS 1000
#define IBVMIG_SA_DEFAULT_RETRIES    3

/* The defaults: first CA and port, 1000 ms, 3 retries, no simulator. */
void ibvmig_sa_opts_init(struct ibvmig_sa_opts *opts);

/* What libibumad knows about the opened port (host order). */
struct ibvmig_sa_port {
	char ca[20]; /* UMAD_CA_NAME_LEN */
	int portnum;
	uint64_t port_guid;
	uint64_t subnet_prefix;
	uint16_t lid;
	uint8_t lmc;
	uint16_t sm_lid;
	uint8_t sm_sl;
};

struct ibvmig_sa_counters {
	uint64_t sent;		 /* request MADs sent, resends included */
	uint64_t received;	 /* MADs read from the port */
	uint64_t responses;	 /* responses matched to a request */
	uint64_t timeouts;	 /* attempts that got no response */
	uint64_t retries;	 /* resends */
	uint64_t sa_errors;	 /* responses with a non-zero status */
	uint64_t reports;	 /* Reports acknowledged and delivered or queued */
	uint64_t report_dups;	 /* Reports seen again (same TID): acked only */
	uint64_t bad_notices;	 /* Reports whose notice is not one of ours */
	uint64_t acks;		 /* ReportResps sent */
	uint64_t sminfo;	 /* SMInfo Gets answered (simulator mode) */
	uint64_t stale;		 /* responses no request was waiting for */
	uint64_t malformed;	 /* MADs too short or with a bad header */
	uint64_t dropped;	 /* everything else nobody handles */
	uint64_t send_errors;	 /* failed sends and sends bounced back */
	uint64_t queue_overflow; /* Reports lost because the queue was full */
};

/* ---- handle ------------------------------------------------------------ */

/*
 * Opens the port; @opts may be NULL for the defaults.  *@out is NULL on
 * error: -EINVAL (bad options), -ENODEV (no such CA/port), or what libibumad
 * said.  A port without a LID or an SM yet opens, but its requests fail with
 * -ENETDOWN until ibvmig_sa_refresh() sees both.
 */
int ibvmig_sa_open(const struct ibvmig_sa_opts *opts, struct ibvmig_sa **out);
/*
 * Unsubscribes what the handle still holds (best effort, one attempt each),
 * closes the issm device and the port, frees @sa.  NULL is fine.
 */
void ibvmig_sa_close(struct ibvmig_sa *sa);

const struct ibvmig_sa_port *ibvmig_sa_port(const struct ibvmig_sa *sa);
/*
 * Re-reads LID, SM LID, ... from libibumad (e.g. after an SM moved; under
 * umad2sim they are a snapshot taken when the process attached).
 */
int ibvmig_sa_refresh(struct ibvmig_sa *sa);
void ibvmig_sa_get_counters(const struct ibvmig_sa *sa, struct ibvmig_sa_counters *out);

/* ---- alias GUIDs of the own port (GUIDInfoRecord) ------------------------ */

#define IBVMIG_SA_GUIDS_PER_BLOCK 8

struct ibvmig_sa_guid_block {
	uint16_t lid;
	uint8_t block; /* entries 8*block .. 8*block+7 */
	uint64_t guid[IBVMIG_SA_GUIDS_PER_BLOCK];
};

/*
 * Sets @vguid at @index (1..GUIDCap-1; index 0 is the port GUID) of the own
 * port.  Whatever the index held before is replaced (OpenSM's semantics).
 * -EEXIST when OpenSM answers "success" but its answer does not hold @vguid
 * at @index (it refused a duplicate, ERR 5108: the vGUID is held by another
 * port or at another index of this one; the answer shows the block as is).
 */
int ibvmig_sa_alias_set(struct ibvmig_sa *sa, uint64_t vguid, int index);
/*
 * Deletes @vguid from the own port.  @index < 0 looks it up; otherwise the
 * index is checked to hold @vguid first (a Delete clears whatever an index
 * holds).  -ENOENT when the port does not hold @vguid (there).
 */
int ibvmig_sa_alias_delete(struct ibvmig_sa *sa, uint64_t vguid, int index);
/*
 * The same on the port of @lid rather than the own port, @index required:
 * what a management node named in the plugin's alias_guard_allow may do, and
 * what the alias guard refuses (-EACCES) to anyone else.
 */
int ibvmig_sa_alias_set_at(struct ibvmig_sa *sa, uint16_t lid, uint64_t vguid, int index);
int ibvmig_sa_alias_delete_at(struct ibvmig_sa *sa, uint16_t lid, uint64_t vguid, int index);
/* One GUID block of the own port: -ENOENT past the port's GUIDCap. */
int ibvmig_sa_guid_block(struct ibvmig_sa *sa, uint8_t block, struct ibvmig_sa_guid_block *out);
/*
 * Scans the own port's blocks (one single-record Get each; RMPP answers are
 * truncated under ibsim): *@held is the index holding @vguid or -1, *@free
 * the first free alias index or -1.  Either pointer may be NULL.
 */
int ibvmig_sa_alias_find(struct ibvmig_sa *sa, uint64_t vguid, int *held, int *free_index);

/* ---- PathRecord ------------------------------------------------------- */

/* Path from the own GID to subnet_prefix:@vguid; -ENOENT when the SA knows none. */
int ibvmig_sa_path_by_guid(struct ibvmig_sa *sa, uint64_t vguid, struct ibvmig_sa_path *out);
/* 256..4096 for MTU codes 1..5, 0 otherwise. */
unsigned ibvmig_sa_mtu_bytes(uint8_t mtu);
/* "2.5", "10", ... Gb/s for an IBA rate code, "?" otherwise. */
const char *ibvmig_sa_rate_str(uint8_t rate);

/* ---- subscriptions and Reports ----------------------------------------- */

/*
 * InformInfo Set for generic trap @trap (0xFFFF: all), GID 0, LIDRangeBegin
 * 0xFFFF, Type 0xFFFF, ProducerType 0xFFFFFF: every notice of that number.
 * The GetResp is the acknowledgement (status 0, Subscribe echoed).  The handle
 * remembers what it subscribed and ibvmig_sa_close() unsubscribes it.
 */
int ibvmig_sa_subscribe(struct ibvmig_sa *sa, uint16_t trap, bool subscribe);
/*
 * Same with an explicit issuer LID range: OpenSM keeps one subscription per
 * distinct range from one port (match_inf_rec), so the per-VM baseline makes
 * m subscriptions with ibvmig_sa_per_vm_range(k), k = 0..m-1.  A notice
 * reaches a ranged subscription only if its issuer LID (the SM's) is inside.
 */
int ibvmig_sa_subscribe_range(struct ibvmig_sa *sa, uint16_t trap, bool subscribe,
			      uint16_t lid_begin, uint16_t lid_end);
/* [1, 0xBFFF - k]: distinct for every k, all holding the SM LID; -ERANGE if not. */
int ibvmig_sa_per_vm_range(const struct ibvmig_sa *sa, unsigned k, uint16_t *lid_begin,
			   uint16_t *lid_end);
/* Number of subscriptions the handle holds. */
unsigned ibvmig_sa_subscriptions(const struct ibvmig_sa *sa);

/* One Report(Notice) received and acknowledged. */
struct ibvmig_sa_report {
	struct timespec received; /* CLOCK_REALTIME when read */
	uint16_t slid;		  /* the LID it came from (the SA's) */
	uint64_t tid;
	struct ibvmig_notice notice; /* the Notice attribute as sent */
	int trap;		     /* the trap number, -1 for a vendor notice */
	/*
	 * 68/69 when @path holds the decoded RePath/UnPath details, -ENOMSG for
	 * another notice (traps 64/65: the GID is in notice.details[6..21]),
	 * another negative errno when details of 68/69 did not decode.
	 */
	int path_rc;
	struct ibvmig_path_notice path;
	/* Traps 64-67 (IBA 14.2.5.1): the GID the notice is about, else 0. */
	uint64_t gid_prefix, gid_guid;
};

typedef void (*ibvmig_sa_report_fn)(const struct ibvmig_sa_report *report, void *ctx);

/*
 * The descriptor to poll() for POLLIN.  Under umad2sim it is a fake number
 * (>= 1024) and umad2sim's poll() then waits on it alone, ignoring the other
 * descriptors of the set: poll it alone, with a bounded timeout.
 */
int ibvmig_sa_fd(const struct ibvmig_sa *sa);
/*
 * Delivers queued Reports to @fn, then waits up to @timeout_ms (0: do not
 * wait, <0: forever) for MADs and handles every one that arrived: Reports are
 * acknowledged (ReportResp) and delivered, SMInfo Gets answered (simulator),
 * anything else dropped and counted.  @fn may be NULL (Reports are then only
 * acknowledged and counted).  Returns the number of Reports handled, or a
 * negative errno (-EINTR when a signal interrupted the wait on real hardware).
 */
int ibvmig_sa_process(struct ibvmig_sa *sa, int timeout_ms, ibvmig_sa_report_fn fn, void *ctx);

/* ---- errors ------------------------------------------------------------ */

/*
 * The errno a failed SA status maps to: -EBUSY, -EREMOTE (redirect),
 * -EPROTONOSUPPORT, -EOPNOTSUPP, -EBADR (invalid request or attribute value),
 * -ENOBUFS (no resources), -ENOENT (no records), -E2BIG (too many records),
 * -EADDRNOTAVAIL (invalid GID), -EBADE (insufficient component mask),
 * -EACCES (denied), -EAGAIN (priority suggested), -EPROTO otherwise; 0 for 0.
 */
int ibvmig_sa_status_errno(uint16_t status);
/* "no records (0x0300)" and the like, for a MAD status. */
const char *ibvmig_sa_status_str(uint16_t status);
/* What a negative return value of this library means, in its terms. */
const char *ibvmig_sa_strerror(int rc);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_SA_H */
