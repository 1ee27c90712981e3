/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_sa.h - libibvmig-sa, the MAD client every host tool and every
 * end-to-end test of ibvmig talks to the subnet manager and administrator
 * through.  (The name stays "sa": the SA is still most of what it does, and
 * every other class it speaks is one the SM side answers - the SM's own
 * SMPs, and the vendor class the OpenSM plugin binds.)
 *
 * A handle (struct ibvmig_sa) is one local CA port opened with libibumad, one
 * SA class agent registered on it (management class 0x03, version 2) for
 * requests and for unsolicited Reports, agents for the SM classes 0x01 and
 * 0x81 (SMPs: the local PortInfo query, Traps), and any vendor classes the
 * caller registers.  Through it:
 *
 *  - alias GUIDs (vGUIDs) of the own port: SubnAdmSet / SubnAdmDelete /
 *    SubnAdmGet of GUIDInfoRecord (IBA 15.2.5.18);
 *  - PathRecord to a vGUID (IBA 15.2.5.16);
 *  - InformInfo subscriptions (IBA 13.4.8.3) and the Reports they bring
 *    (IBA 13.4.8.2 Notice), decoded with the notice codec (ibvmig_notice.h) and answered
 *    with a ReportResp;
 *  - the own port as its SMA sees it: SubnGet(PortInfo) (IBA 14.2.5.6);
 *  - Trap(Notice) SMPs to the SM (IBA 14.2.5.1);
 *  - vendor-specific classes 0x09-0x0F (IBA 13.4.4), as requester and as
 *    responder.
 *
 * Requests are blocking: one request is outstanding at a time, each attempt
 * waits opts.timeout_ms and is resent opts.retries times with the same TID
 * (only its low 32 bits are ours: the kernel, umad2sim and ibsim rewrite the
 * rest, identically for every copy).  While a request waits, unsolicited
 * MADs keep being handled: Reports are acknowledged at once and QUEUED, and so
 * are vendor requests (never delivered from inside a request, so a callback
 * may itself issue requests); the next ibvmig_sa_process() hands them to
 * their callbacks first, Reports then requests, each in arrival order.
 * SMInfo queries are answered wherever they arrive (simulator mode only).
 *
 * ERRORS: every function returns 0 (or a count) or a negative errno value;
 * ibvmig_sa_strerror() explains one.  The library never prints or exits.
 * THREAD SAFETY: a handle is not thread-safe: use it from one thread at a
 * time (callbacks run on the thread that called ibvmig_sa_process()).
 * Distinct handles share nothing.  Simulator facts relied on here are checked
 * by libibvmig/tests/mad-client.test and listed in doc/ibvmig-sa.md.
 */
#ifndef IBVMIG_SA_H
#define IBVMIG_SA_H

#include "ibvmig_escrow.h"
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
	 * ibsim/umad2sim only (doc/simulator.md, "issm and Reports"): register agents for the SM
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

/*
 * The opened port (host order).  CA, port number and GUID come from
 * libibumad; prefix, LID, LMC and SM LID/SL from libibumad at open and from
 * a PortInfo query after each successful ibvmig_sa_refresh().
 */
struct ibvmig_sa_port {
	char ca[20]; /* UMAD_CA_NAME_LEN */
	int portnum;
	uint64_t port_guid;
	uint64_t subnet_prefix;
	uint16_t lid;
	uint8_t lmc;
	uint16_t sm_lid;
	uint8_t sm_sl;
	/*
	 * True when prefix..sm_sl (and port_state) are the SMA's answer; false
	 * for libibumad's view (at open, or when the last refresh's PortInfo
	 * query failed: portinfo_err says why).  Under umad2sim libibumad's
	 * view is a snapshot taken when the process attached.
	 */
	bool from_portinfo;
	int portinfo_err;   /* the last refresh's query: 0 or a negative errno */
	uint8_t port_state; /* PortInfo PortState (IBA 14.2.5.6), 0 if unknown */
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
	/* SMPs, Traps and vendor classes */
	uint64_t portinfo_queries;   /* local PortInfo queries answered */
	uint64_t portinfo_fallbacks; /* refreshes that fell back to libibumad */
	uint64_t traps_sent;	     /* Trap copies sent, resends included */
	uint64_t trap_represses;     /* TrapRepresses matched to a Trap */
	uint64_t busy;		     /* responses with the Busy bit: resent later */
	uint64_t requests_in;	     /* vendor requests received on a responder class */
	uint64_t requests_resent;    /* ...that repeat a recent one (same SLID, QPN, TID) */
	uint64_t requests_overflow;  /* ...lost because the request queue was full */
	uint64_t responses_sent;     /* ibvmig_sa_respond() sends */
	uint64_t wrong_source;	     /* vendor answers not from the LID asked: ignored */
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
 * Re-reads prefix, LID, LMC, SM LID and SL with ibvmig_sa_query_portinfo()
 * (they change on an SM handover or when the SM moves the LID, and under
 * umad2sim libibumad never sees that); if the query fails, from libibumad,
 * and port.from_portinfo is false with port.portinfo_err the query's error.
 * Returns 0, or libibumad's error when the fallback failed too.
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
 * The same of the port of @lid (what the standalone SM extension polls):
 * -ENOENT past that port's GUIDCap and when no port has @lid; a port that
 * never had an alias answers zeros (doc/simulator.md, "Alias GUIDs through
 * the SA").  -EINVAL for LID 0.
 */
int ibvmig_sa_guid_block_at(struct ibvmig_sa *sa, uint16_t lid, uint8_t block,
			    struct ibvmig_sa_guid_block *out);
/*
 * Sets the entries of block @want->block of the own port that @entries marks
 * (bit i: index block * 8 + i; never index 0, each GUID non-zero: else
 * -EINVAL) in one Set: an evacuation attaches 31 vGUIDs with 4 MADs, not 31.
 * *@out is the block OpenSM answered: an entry that does not hold the GUID
 * asked for was refused, as ibvmig_sa_alias_set()'s -EEXIST says.
 */
int ibvmig_sa_alias_set_block(struct ibvmig_sa *sa, const struct ibvmig_sa_guid_block *want,
			      uint8_t entries, struct ibvmig_sa_guid_block *out);
/*
 * The own port's GUID table, blocks 0.. into @blocks until the port's
 * GUIDCap or @max blocks; *@n is how many were read.  0, or the first
 * error (-ENOENT when not even block 0 is there).
 */
int ibvmig_sa_guid_table(struct ibvmig_sa *sa, struct ibvmig_sa_guid_block *blocks,
			 unsigned max, unsigned *n);
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

/* ---- NodeRecord ------------------------------------------------------- */

/* A NodeRecord (IBA 15.2.5.2), the fields read here, host order. */
struct ibvmig_sa_node {
	uint16_t lid;
	uint8_t node_type;	/* 1 CA, 2 switch, 3 router */
	uint64_t node_guid;
	uint64_t port_guid;	/* the port the SA read NodeInfo through: the LID's */
};

/*
 * SubnAdmGet(NodeRecord) by LID: one record (a single-record question: RMPP
 * answers arrive truncated under ibsim, doc/simulator.md, "RMPP").  Learns,
 * e.g., the port GUID of the master SM from PortInfo's MasterSMLID.
 * -ENOENT when the SA knows no port of @lid, -EINVAL for LID 0.
 */
int ibvmig_sa_node_by_lid(struct ibvmig_sa *sa, uint16_t lid, struct ibvmig_sa_node *out);

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
 * Delivers queued Reports to @fn and queued vendor requests to their class's
 * callback, then waits up to @timeout_ms (0: do not wait, <0: forever) for
 * MADs and handles every one that arrived: Reports are acknowledged
 * (ReportResp) and delivered, vendor requests of a responder class
 * delivered, SMInfo Gets answered (simulator), anything else dropped and
 * counted.  @fn may be NULL (Reports are then only acknowledged and
 * counted).  Returns the number of Reports and requests handled, or a
 * negative errno (-EINTR when a signal interrupted the wait on real hardware).
 */
int ibvmig_sa_process(struct ibvmig_sa *sa, int timeout_ms, ibvmig_sa_report_fn fn, void *ctx);

/* ---- the own port's PortInfo (SMPs) ------------------------------------ */

/* PortInfo (IBA 14.2.5.6, Table 146): the fields this library reads, host order. */
struct ibvmig_sa_portinfo {
	uint64_t m_key;
	uint64_t gid_prefix;
	uint16_t lid;
	uint16_t sm_lid;   /* MasterSMLID */
	uint32_t cap_mask; /* CapabilityMask: IsSM is bit 1 */
	uint8_t local_port;
	uint8_t port_state; /* 1 Down, 2 Init, 3 Armed, 4 Active */
	uint8_t phys_state; /* 5 LinkUp */
	uint8_t lmc;	    /* 3 bits */
	uint8_t sm_sl;	    /* MasterSMSL, 4 bits */
	uint8_t neighbor_mtu;
	bool client_rereg; /* ClientReregister */
	uint8_t guid_cap;   /* GUIDCap: GUIDs the port's table holds, its own first */
};

/*
 * SubnGet(PortInfo) of the own port: a directed-route SMP with hop count 0
 * (IBA 14.2.1.2), which the local SMA answers without the SM: it works with
 * no LID yet and shows the master SM's LID as the SM last set it.  The same
 * retries and timeout as every request.  -EOPNOTSUPP when the port gave no
 * agent for class 0x81 (e.g. a virtual function without QP0), -ETIMEDOUT,
 * -EPROTO for a bad answer, or the SMP status's errno.
 */
int ibvmig_sa_query_portinfo(struct ibvmig_sa *sa, struct ibvmig_sa_portinfo *out);

/*
 * SubnAdmGet(PortInfoRecord, IBA 15.2.5.3) of the end port of @lid, by
 * EndportLID alone: one record for a CA port, its PortInfo in @out (GUIDCap
 * among the fields).  For a switch every port matches: the SA answers with
 * a status (-E2BIG, or the first record of a truncated table under ibsim):
 * ask a CA's LID (ibvmig_sa_node_by_lid() says which).  -ENOENT when no port
 * has @lid, -EINVAL for LID 0.
 */
int ibvmig_sa_portinfo_by_lid(struct ibvmig_sa *sa, uint16_t lid, struct ibvmig_sa_portinfo *out);

/* ---- Trap(Notice) to the SM -------------------------------------------- */

/* Flags of ibvmig_sa_send_trap(). */
#define IBVMIG_SA_TRAP_NO_REPRESS 0x1u /* send one copy, do not wait for a TrapRepress */

/*
 * Sends @n as a SubnTrap(Notice) SMP (class 0x01, method 0x05, attribute
 * 0x0002, IBA 14.2.5.1) to the SM at @dlid (0: the port's SM LID; call
 * ibvmig_sa_refresh() first where the master may have moved), QP0, SL
 * sm_sl.  Only the first 64 bytes of the Notice fit in an SMP: the SM writes
 * the IssuerGID itself, from the Trap's source LID (OpenSM does, and then
 * reports the notice to every matching InformInfo subscriber).  An IssuerLID
 * of 0 is sent as the own LID.
 *
 * Without flags the Trap is resent with the same TID, like a request, until
 * a TrapRepress comes: 0, or -ETIMEDOUT after every attempt.
 * Each copy that reaches OpenSM is reported again (it suppresses a trap only
 * past 10 identical ones in its aging window), so a receiver may see a
 * notice more than once.  With IBVMIG_SA_TRAP_NO_REPRESS one copy is sent
 * and 0 means it left the port: ibsim drops every TrapRepress (checked: the
 * wait always times out there), so use it under ibsim, and keep the handle
 * open a moment after (ibsim loses a MAD whose sender detaches at once, e.g.
 * ibvmig_sa_process() for 200 ms before ibvmig_sa_close()).  Callers that send
 * one notice often must vary it (OpenSM drops identical traps beyond 10 in
 * its aging window, 5 s by default).  -ENETDOWN without an SM LID or a LID,
 * -EOPNOTSUPP without a class 0x01 agent.
 */
int ibvmig_sa_send_trap(struct ibvmig_sa *sa, uint16_t dlid, const struct ibvmig_notice *n,
			unsigned flags);

/*
 * Sends @n whole (IssuerGID included) as an SA Report(Notice) (method 0x06,
 * IBA 13.4.8.2) to QP1 of @dlid and waits for its ReportResp, resending the
 * same TID (@timeout/retries of the handle): 0, or -ETIMEDOUT.  No SA does
 * this from a host; it is what any host can send a subscriber, and what the
 * tests' forger sends (an agent must accept Reports from the SM alone).
 * Under ibsim only a node's issm client receives it.  -EINVAL for LID 0,
 * -ENETDOWN without a LID.
 */
int ibvmig_sa_send_report(struct ibvmig_sa *sa, uint16_t dlid, const struct ibvmig_notice *n);

/* ---- vendor-specific classes 0x09-0x0F ---------------------------------- */

#define IBVMIG_SA_VENDOR_CLASS_FIRST 0x09
#define IBVMIG_SA_VENDOR_CLASS_LAST  0x0F
#define IBVMIG_SA_VENDOR_DATA_LEN    232 /* a 256-byte MAD less its 24-byte header */

/*
 * One vendor MAD of classes 0x09-0x0F (IBA 13.4.2 common header, then data;
 * these classes have no RMPP header and no OUI), host order.
 */
struct ibvmig_sa_vendor_mad {
	uint8_t mgmt_class;
	uint8_t class_version;
	uint8_t method; /* with the response bit 0x80 */
	uint16_t status;
	uint64_t tid;
	uint16_t attr_id;
	uint32_t attr_mod;
	uint8_t data[IBVMIG_SA_VENDOR_DATA_LEN];
};

/* A vendor request received on a responder class: what answering it needs. */
struct ibvmig_sa_request {
	struct timespec received; /* CLOCK_REALTIME when read */
	uint16_t slid;		  /* the requester's address */
	uint32_t qpn;
	uint8_t sl;
	uint16_t pkey_index;
	/*
	 * The same (SLID, QPN, TID) came among the last few requests: the
	 * requester resent it (its first copy was not answered in time, or
	 * the answer was lost).  A responder that answered it already should
	 * answer the same again (a retransmission keeps the TID, IBA 13.4.2: it is the same
	 * request).
	 */
	bool resent;
	struct ibvmig_sa_vendor_mad mad; /* mad.tid as received, all 64 bits */
};

typedef void (*ibvmig_sa_request_fn)(struct ibvmig_sa *sa, const struct ibvmig_sa_request *req,
				     void *ctx);

/*
 * Registers vendor class @mgmt_class (0x09-0x0F), version @class_version
 * (ibsim takes 1 or 2), on the handle.  @fn NULL: requester only, for
 * ibvmig_sa_vendor_request().  @fn set: also responder, for every request
 * method (0x01-0x7F but Trap, Report and TrapRepress): ibvmig_sa_process()
 * hands each request to @fn(@ctx), which may answer with ibvmig_sa_respond()
 * then or later.  In simulator mode a responder holds the port's issm device
 * while registered (ibsim hands unsolicited requests only to a node's "SM"
 * client; one per node) and answers SMInfo.
 *
 * Never make a MAD of a class reach a process that did not register it:
 * umad2sim crashes that process (stock OpenSM included).
 * -EINVAL (not a vendor class), -EEXIST (registered already), -EBUSY
 * (another agent of this port is the class's responder), or libibumad's.
 */
int ibvmig_sa_register_class(struct ibvmig_sa *sa, uint8_t mgmt_class, uint8_t class_version,
			     ibvmig_sa_request_fn fn, void *ctx);
/* -ENOENT if @mgmt_class is not registered.  Queued requests of it are dropped. */
int ibvmig_sa_unregister_class(struct ibvmig_sa *sa, uint8_t mgmt_class);

/* Per-call overrides of the handle's timeout and retries (0 / -1: the handle's). */
struct ibvmig_sa_call {
	int timeout_ms;
	int retries;
};

/*
 * Sends @req (class registered on this handle, whose version it takes;
 * method a request; its TID is chosen here) to QP1 of @dlid and waits for the response into @resp:
 * attempts of @call->timeout_ms, resent @call->retries times with the SAME
 * TID (a server that answers a retransmission with its first answer makes
 * a slow answer safe; a late answer to an earlier copy is as good).  A
 * response with the Busy bit (IBA 13.4.7) is not final: it is counted and
 * the request resent when the attempt ends.  Returns 0 when a response came,
 * whatever its status (resp->status: the class defines bits 8-15), else
 * -ETIMEDOUT, -ENETDOWN (no LID), -EINVAL, -ENOENT (class not registered).
 */
int ibvmig_sa_vendor_request(struct ibvmig_sa *sa, uint16_t dlid,
			     const struct ibvmig_sa_vendor_mad *req,
			     const struct ibvmig_sa_call *call, struct ibvmig_sa_vendor_mad *resp);
/*
 * Answers @req (a copy of what the request callback got, kept as long as
 * needed) with the response method (GetResp for Get and Set), @status, the
 * request's TID and attribute, @attr_mod and @len bytes of @data (the rest
 * zero; @len <= 232).  -EINVAL, or the send's error.
 */
int ibvmig_sa_respond(struct ibvmig_sa *sa, const struct ibvmig_sa_request *req, uint16_t status,
		      uint32_t attr_mod, const void *data, size_t len);

/* ---- the LID escrow's requester (sa_escrow.c, doc/escrow-protocol.md) --- */

/*
 * Sends the escrow request @mad (256 bytes, as ibvmig_escrow.h encodes it)
 * to the master SM: a refresh first (the master's LID moves on a failover;
 * *@sm_lid, may be NULL, gets the LID asked), class 0x09 registered as
 * requester on first use, then ibvmig_sa_vendor_request() (the same TID for
 * every resend; only an answer from that LID counts).  @answer gets the
 * answer's 256 bytes, *@mad_status its MAD status.  0, or the errors of
 * ibvmig_sa_refresh() and ibvmig_sa_vendor_request().
 */
int ibvmig_sa_escrow_exchange(struct ibvmig_sa *sa, const uint8_t mad[IBVMIG_ESC_MAD_LEN],
			      const struct ibvmig_sa_call *call,
			      uint8_t answer[IBVMIG_ESC_MAD_LEN], uint16_t *mad_status,
			      uint16_t *sm_lid);

struct ibvmig_sa_escrow_answer {
	uint16_t mad_status;		/* as received */
	uint16_t sm_lid;		/* the LID asked */
	enum ibvmig_esc_err err;	/* why the request or the answer would not code */
	struct ibvmig_esc_resp resp;	/* the decoded answer (0 returned) */
};

/*
 * One escrow request @msg (IBVMIG_ESC_RELEASE_REQ, _CLAIM_REQ, _CANCEL_REQ or
 * _QUERY_REQ) with @r, its answer decoded into @out.  0 when an answer came
 * and decoded (its escrow status in out->resp.status, OK or a refusal);
 * -EINVAL (@r does not encode: out->err), -EPROTO (the SM answered with a
 * common MAD status: it could not read the request), -EBADMSG (an answer the
 * codec refuses: out->err), or the errors of ibvmig_sa_escrow_exchange().
 */
int ibvmig_sa_escrow(struct ibvmig_sa *sa, enum ibvmig_esc_msg msg,
		     const struct ibvmig_esc_req *r, const struct ibvmig_sa_call *call,
		     struct ibvmig_sa_escrow_answer *out);

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
