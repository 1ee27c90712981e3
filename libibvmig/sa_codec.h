/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sa_codec.h - private to libibvmig-sa: every MAD and SA record layout the
 * client needs, each with one encoder and one decoder (sa_codec.c), plus the
 * pure MAD builders and matchers the client loop is made of.  Nothing here
 * touches libibumad, so the unit tests call all of it directly.
 *
 * Structures hold host-order values; byte order lives in sa_codec.c only.
 * Decoders take the length actually received and refuse a short buffer with
 * -EBADMSG.
 */
#ifndef IBVMIG_SA_CODEC_H
#define IBVMIG_SA_CODEC_H

#include "ibvmig_sa.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IBVMIG_SA_MAD_LEN	    256 /* every MAD (IB_MAD_SIZE) */
#define IBVMIG_SA_HDR_LEN	    24	/* common MAD header, IBA 13.4.2 */
#define IBVMIG_SA_SA_DATA_OFFS  56	/* IB_SA_DATA_OFFS, IBA 15.2.1.1 */
#define IBVMIG_SA_SMP_DATA_OFFS 64	/* IB_SMP_DATA_OFFS, IBA 14.2.1 */
#define IBVMIG_SA_SMP_DATA_LEN  64
#define IBVMIG_SA_DR_PATH_END   256 /* a DR SMP carries its paths up to 256 */

#define IBVMIG_SA_GIR_LEN	 72 /* GUIDInfoRecord, IBA 15.2.5.18 */
#define IBVMIG_SA_PATH_LEN	 64 /* PathRecord, IBA 15.2.5.16 */
#define IBVMIG_SA_INFORM_LEN 36 /* InformInfo, IBA 13.4.8.3 */
#define IBVMIG_SA_NODE_REC_LEN 108 /* NodeRecord, IBA 15.2.5.2 */
#define IBVMIG_SA_PORTINFO_REC_LEN 68 /* PortInfoRecord, IBA 15.2.5.3 */
#define IBVMIG_SA_SMINFO_LEN 21 /* SMInfo, IBA 14.2.5.13 (in a 64-byte data area) */

/* Attributes and the SA class version used here (umad_types.h, umad_sa.h). */
#define IBVMIG_SA_ATTR_NOTICE	0x0002
#define IBVMIG_SA_ATTR_INFORM_INFO	0x0003
#define IBVMIG_SA_ATTR_SMINFO	0x0020
#define IBVMIG_SA_ATTR_NODE_REC	0x0011
#define IBVMIG_SA_ATTR_PORTINFO_REC	0x0012
#define IBVMIG_SA_ATTR_GUIDINFO_REC 0x0030
#define IBVMIG_SA_ATTR_PATH_REC	0x0035

/* SMInfo SMState (IBA 14.2.5.13). */
#define IBVMIG_SA_SM_STATE_NOTACTIVE 0

/* SMP layout (IBA 14.2.1.1 LID-routed, 14.2.1.2 directed route) and PortInfo. */
#define IBVMIG_SA_ATTR_PORT_INFO    0x0015
#define IBVMIG_SA_PORTINFO_LEN	    64	   /* PortInfo, IBA 14.2.5.6: all the data */
#define IBVMIG_SA_DR_PATH_LEN	    64	   /* InitialPath, ReturnPath */
#define IBVMIG_SA_PERMISSIVE_LID    0xFFFF /* DrSLID/DrDLID of a pure DR SMP (IBA 14.2.1.2) */
#define IBVMIG_SA_SMP_CLASS_VERSION 1

/* ---- common MAD header (IBA 13.4.2; 14.2.1.2 for a directed-route SMP) --- */

struct ibvmig_sa_mad_hdr {
	uint8_t base_version;
	uint8_t mgmt_class;
	uint8_t class_version;
	uint8_t method;	 /* with the response bit 0x80 */
	uint16_t status; /* a DR SMP's 15-bit status */
	/* Directed-route SMP only: the D bit, hop pointer and hop count. */
	bool dr_direction;
	uint8_t hop_ptr, hop_cnt;
	uint16_t class_specific; /* other classes: bytes 6-7 */
	uint64_t tid;
	uint16_t attr_id;
	uint32_t attr_mod;
};

void ibvmig_sa_mad_hdr_encode(uint8_t *mad, const struct ibvmig_sa_mad_hdr *h);
/* -EBADMSG if @len < 24 or base version is not 1. */
int ibvmig_sa_mad_hdr_decode(const uint8_t *mad, size_t len, struct ibvmig_sa_mad_hdr *h);

/* ---- SMP (IBA 14.2.1.1 LID-routed, 14.2.1.2 directed route) -------------- */

/*
 * A whole SMP.  LID-routed (class 0x01): header, M_Key, 32 reserved bytes,
 * 64 bytes of data, 128 reserved.  Directed route (class 0x81): the header's
 * second word holds D, status, hop pointer and count; after the M_Key come
 * DrSLID and DrDLID, and after the data the initial and return paths.
 */
struct ibvmig_sa_smp {
	struct ibvmig_sa_mad_hdr hdr;
	uint64_t m_key;
	uint16_t dr_slid, dr_dlid; /* directed route only */
	uint8_t data[IBVMIG_SA_SMP_DATA_LEN];
	uint8_t initial_path[IBVMIG_SA_DR_PATH_LEN]; /* directed route only */
	uint8_t return_path[IBVMIG_SA_DR_PATH_LEN];  /* directed route only */
};

void ibvmig_sa_smp_encode(uint8_t mad[IBVMIG_SA_MAD_LEN], const struct ibvmig_sa_smp *s);
/* -EBADMSG if @len < 128 (256 for a directed-route SMP) or not an SMP class. */
int ibvmig_sa_smp_decode(const uint8_t *mad, size_t len, struct ibvmig_sa_smp *s);

/* PortInfo (IBA 14.2.5.6, Table 146): the fields libibvmig-sa reads. */
void ibvmig_sa_portinfo_encode(uint8_t data[IBVMIG_SA_PORTINFO_LEN],
			       const struct ibvmig_sa_portinfo *pi);
int ibvmig_sa_portinfo_decode(const uint8_t *data, size_t len, struct ibvmig_sa_portinfo *pi);

/*
 * SubnGet(PortInfo) of the own port: a directed-route SMP with hop count 0
 * and permissive DrSLID/DrDLID (IBA 14.2.1.2), attribute modifier 0 (the port
 * it arrives on).  Send it to the permissive LID on QP0.
 */
void ibvmig_sa_build_local_portinfo_get(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid);
/*
 * SubnTrap(Notice) (IBA 14.2.5.1, 13.4.8.2): a LID-routed SMP, M_Key 0, whose
 * 64-byte data area holds the first 64 bytes of the 80-byte Notice.  The
 * IssuerGID (bytes 64-79) does not fit: the SM fills it in from the source
 * LID before it reports the notice (IBA 14.2.5.1; OpenSM's trap receiver).
 */
void ibvmig_sa_build_trap(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid,
			  const struct ibvmig_notice *n);
/* True if @h is the TrapRepress of the Trap sent with TID @tid. */
bool ibvmig_sa_is_trap_repress(const struct ibvmig_sa_mad_hdr *h, uint64_t tid);

/* ---- vendor-specific MADs, classes 0x09-0x0F (IBA 13.4.2, 13.4.4) -------- */

/* The common header and 232 bytes of data; no RMPP header, no OUI. */
void ibvmig_sa_vendor_encode(uint8_t mad[IBVMIG_SA_MAD_LEN], const struct ibvmig_sa_vendor_mad *v);
/* -EBADMSG if short or base version is not 1; -ENOMSG for a class outside 0x09-0x0F. */
int ibvmig_sa_vendor_decode(const uint8_t *mad, size_t len, struct ibvmig_sa_vendor_mad *v);
/*
 * True if @h answers the request @method/@attr_id of vendor class @mgmt_class
 * sent with TID @tid (low 32 bits, as ibvmig_sa_is_response()).
 */
bool ibvmig_sa_is_vendor_response(const struct ibvmig_sa_mad_hdr *h, uint8_t mgmt_class,
				  uint8_t method, uint16_t attr_id, uint64_t tid);
/*
 * True if an answer received from source LID @slid may answer a request sent
 * to LID @dlid: the same LID (the escrow runs with LMC 0, so a port has one).
 * Any port can send any MAD; an answer from elsewhere is not the answer.
 */
bool ibvmig_sa_answer_from(uint16_t dlid, uint16_t slid);
/*
 * The response to request @req: its header with the response method, status
 * @status, the same TID (all 64 bits, as received), and @resp's attribute
 * modifier and data.  -EINVAL if @req is not a request.
 */
int ibvmig_sa_vendor_response(struct ibvmig_sa_vendor_mad *out,
			      const struct ibvmig_sa_vendor_mad *req, uint16_t status,
			      uint32_t attr_mod, const void *data, size_t len);

/* ---- SA header after the RMPP header (IBA 15.2.1.1) --------------------- */

struct ibvmig_sa_class_hdr {
	uint64_t sm_key;
	uint16_t attr_offset; /* in 8-byte words */
	uint64_t comp_mask;
};

void ibvmig_sa_class_hdr_encode(uint8_t *mad, const struct ibvmig_sa_class_hdr *s);
int ibvmig_sa_class_hdr_decode(const uint8_t *mad, size_t len, struct ibvmig_sa_class_hdr *s);

/* ---- records: @rec points at the record, @len is what is left of the MAD - */

void ibvmig_sa_gir_encode(uint8_t *rec, const struct ibvmig_sa_guid_block *b);
int ibvmig_sa_gir_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_guid_block *b);

void ibvmig_sa_path_encode(uint8_t *rec, const struct ibvmig_sa_path *p);
int ibvmig_sa_path_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_path *p);

/* NodeRecord (IBA 15.2.5.2): LID, NodeInfo (14.2.5.3), NodeDescription left out. */
void ibvmig_sa_node_encode(uint8_t *rec, const struct ibvmig_sa_node *n);
int ibvmig_sa_node_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_node *n);

/* PortInfoRecord (IBA 15.2.5.3): EndportLID, PortNum, Options, then PortInfo (14.2.5.6). */
struct ibvmig_sa_portinfo_rec {
	uint16_t lid;
	uint8_t port_num;
	struct ibvmig_sa_portinfo info;
};

void ibvmig_sa_portinfo_rec_encode(uint8_t *rec, const struct ibvmig_sa_portinfo_rec *r);
int ibvmig_sa_portinfo_rec_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_portinfo_rec *r);

struct ibvmig_sa_inform {
	uint64_t gid_prefix, gid_guid; /* 0:0 = any issuer (then the LID range applies) */
	uint16_t lid_begin, lid_end;   /* 0xFFFF begin: every port */
	bool generic;
	bool subscribe;
	uint16_t type;	   /* 0xFFFF: any */
	uint16_t trap;	   /* generic: trap number; vendor: device ID */
	uint32_t qpn;	   /* 24 bits */
	uint8_t resp_time; /* 5 bits */
	uint32_t producer; /* 24 bits: producer type or vendor ID */
};

void ibvmig_sa_inform_encode(uint8_t *rec, const struct ibvmig_sa_inform *ii);
int ibvmig_sa_inform_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_inform *ii);

struct ibvmig_sa_sminfo {
	uint64_t guid;
	uint64_t sm_key;
	uint32_t act_count;
	uint8_t priority; /* 4 bits */
	uint8_t state;	  /* 4 bits */
};

void ibvmig_sa_sminfo_encode(uint8_t *data, const struct ibvmig_sa_sminfo *si);
int ibvmig_sa_sminfo_decode(const uint8_t *data, size_t len, struct ibvmig_sa_sminfo *si);

/* ---- SA requests: each fills a whole 256-byte MAD ----------------------- */

/* GUIDInfoRecord component mask: LID | BlockNum | GIDn of @index (bit 4+n). */
uint64_t ibvmig_sa_gir_comp_mask(int index);
/*
 * @method Set/Delete: one GUID @guid at @index, mask ibvmig_sa_gir_comp_mask();
 * Get: the block @index / 8 of @lid, mask LID | BlockNum.
 */
void ibvmig_sa_build_gir(uint8_t mad[IBVMIG_SA_MAD_LEN], uint8_t method, uint64_t tid, uint16_t lid,
		     int index, uint64_t guid);
/*
 * Set/Delete of several entries of one block: @b's lid and block, its GUIDs
 * at the entries whose bit (0..7) is set in @entries, the mask LID |
 * BlockNum | those GIDn.  With @entries 0 (or @method Get): LID | BlockNum.
 */
void ibvmig_sa_build_gir_block(uint8_t mad[IBVMIG_SA_MAD_LEN], uint8_t method, uint64_t tid,
			   const struct ibvmig_sa_guid_block *b, uint8_t entries);
/* SubnAdmGet(PathRecord) SGID -> DGID, NumbPath 1 (mask DGID | SGID | NumbPath). */
void ibvmig_sa_build_path_get(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid, uint64_t sgid_prefix,
			  uint64_t sgid_guid, uint64_t dgid_prefix, uint64_t dgid_guid);
/* SubnAdmGet(NodeRecord) of the port of @lid (mask LID): one record for a CA port. */
void ibvmig_sa_build_node_get(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid, uint16_t lid);
/* SubnAdmGet(PortInfoRecord) of the end port of @lid (mask EndportLID). */
void ibvmig_sa_build_portinfo_rec_get(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid, uint16_t lid);
/* SubnAdmSet(InformInfo), no component mask (InformInfo is not a record). */
void ibvmig_sa_build_inform_set(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid,
			    const struct ibvmig_sa_inform *ii);
/* The InformInfo ibvmig_sa_subscribe*() send: generic, any type/producer, QPN 1. */
struct ibvmig_sa_inform ibvmig_sa_inform_for_trap(uint16_t trap, bool subscribe, uint16_t lid_begin,
					  uint16_t lid_end);

/* ---- responses -------------------------------------------------------- */

/* The response method an SA request @method is answered with. */
uint8_t ibvmig_sa_response_method(uint8_t method);
/*
 * True if @h answers an SA request (@method, @attr_id) sent with TID @tid:
 * only the low 32 bits of the TID count (the kernel, umad2sim and ibsim all
 * rewrite the high ones).
 */
bool ibvmig_sa_is_response(const struct ibvmig_sa_mad_hdr *h, uint8_t method, uint16_t attr_id,
			   uint64_t tid);

/* ---- unsolicited MADs ------------------------------------------------- */

/*
 * The GetResp to an SMInfo Get (class 0x01 or 0x81) that doc/simulator.md
 * ("issm and Reports") describes: the request copied, method GetResp, status 0, the D bit set
 * for a directed-route SMP, and SMInfo = @port_guid, SM_Key 0, priority 0,
 * state NOTACTIVE.  Returns the length to send, -ENOMSG if @req is not an
 * SMInfo Get, -EBADMSG if it is too short.
 */
int ibvmig_sa_sminfo_reply(uint8_t out[IBVMIG_SA_MAD_LEN], const uint8_t *req, size_t len,
		       uint64_t port_guid);
/*
 * The ReportResp to a Report(Notice): the request copied with method 0x86
 * and status 0, same TID and attribute.  Returns the length to send,
 * -ENOMSG if @req is not an SA Report, -EBADMSG if it is too short.
 */
int ibvmig_sa_report_ack(uint8_t out[IBVMIG_SA_MAD_LEN], const uint8_t *req, size_t len);
/*
 * SubnAdmReport(Notice) (IBA 13.4.8.2, 15.2.5.1): the whole 80-byte Notice
 * at the SA data offset, as the SA sends it to a subscriber.  What ibvmig
 * itself never sends but a host can: the tests' forger builds it here.
 */
void ibvmig_sa_build_report(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid,
			    const struct ibvmig_notice *n);
/*
 * Decodes the Notice of a Report into @r (everything but the receive time
 * and slid): 0, -ENOMSG if not a Report(Notice), -EBADMSG if short.
 */
int ibvmig_sa_report_parse(const uint8_t *mad, size_t len, struct ibvmig_sa_report *r);

#endif /* IBVMIG_SA_CODEC_H */
