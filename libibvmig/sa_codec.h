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

#define IBVSA_MAD_LEN	    256 /* every MAD (IB_MAD_SIZE) */
#define IBVSA_HDR_LEN	    24	/* common MAD header, IBA 13.4.2 */
#define IBVSA_SA_DATA_OFFS  56	/* IB_SA_DATA_OFFS, IBA 15.2.1.1 */
#define IBVSA_SMP_DATA_OFFS 64	/* IB_SMP_DATA_OFFS, IBA 14.2.1 */
#define IBVSA_SMP_DATA_LEN  64
#define IBVSA_DR_PATH_END   256 /* a DR SMP carries its paths up to 256 */

#define IBVSA_GIR_LEN	 72 /* GUIDInfoRecord, IBA 15.2.5.18 */
#define IBVSA_PATH_LEN	 64 /* PathRecord, IBA 15.2.5.16 */
#define IBVSA_INFORM_LEN 36 /* InformInfo, IBA 13.4.8.3 */
#define IBVSA_SMINFO_LEN 21 /* SMInfo, IBA 14.2.5.13 (in a 64-byte data area) */

/* Attributes and the SA class version used here (umad_types.h, umad_sa.h). */
#define IBVSA_ATTR_NOTICE	0x0002
#define IBVSA_ATTR_INFORM_INFO	0x0003
#define IBVSA_ATTR_SMINFO	0x0020
#define IBVSA_ATTR_GUIDINFO_REC 0x0030
#define IBVSA_ATTR_PATH_REC	0x0035

/* SMInfo SMState (IBA 14.2.5.13). */
#define IBVSA_SM_STATE_NOTACTIVE 0

/* ---- common MAD header (IBA 13.4.2; 14.2.1.2 for a directed-route SMP) --- */

struct ibvsa_hdr {
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

void ibvsa_hdr_encode(uint8_t *mad, const struct ibvsa_hdr *h);
/* -EBADMSG if @len < 24 or base version is not 1. */
int ibvsa_hdr_decode(const uint8_t *mad, size_t len, struct ibvsa_hdr *h);

/* ---- SA header after the RMPP header (IBA 15.2.1.1) --------------------- */

struct ibvsa_sa_hdr {
	uint64_t sm_key;
	uint16_t attr_offset; /* in 8-byte words */
	uint64_t comp_mask;
};

void ibvsa_sa_hdr_encode(uint8_t *mad, const struct ibvsa_sa_hdr *s);
int ibvsa_sa_hdr_decode(const uint8_t *mad, size_t len, struct ibvsa_sa_hdr *s);

/* ---- records: @rec points at the record, @len is what is left of the MAD - */

void ibvsa_gir_encode(uint8_t *rec, const struct ibvmig_sa_guid_block *b);
int ibvsa_gir_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_guid_block *b);

void ibvsa_path_encode(uint8_t *rec, const struct ibvmig_sa_path *p);
int ibvsa_path_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_path *p);

struct ibvsa_inform {
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

void ibvsa_inform_encode(uint8_t *rec, const struct ibvsa_inform *ii);
int ibvsa_inform_decode(const uint8_t *rec, size_t len, struct ibvsa_inform *ii);

struct ibvsa_sminfo {
	uint64_t guid;
	uint64_t sm_key;
	uint32_t act_count;
	uint8_t priority; /* 4 bits */
	uint8_t state;	  /* 4 bits */
};

void ibvsa_sminfo_encode(uint8_t *data, const struct ibvsa_sminfo *si);
int ibvsa_sminfo_decode(const uint8_t *data, size_t len, struct ibvsa_sminfo *si);

/* ---- SA requests: each fills a whole 256-byte MAD ----------------------- */

/* GUIDInfoRecord component mask: LID | BlockNum | GIDn of @index (bit 4+n). */
uint64_t ibvsa_gir_comp_mask(int index);
/*
 * @method Set/Delete: one GUID @guid at @index, mask ibvsa_gir_comp_mask();
 * Get: the block @index / 8 of @lid, mask LID | BlockNum.
 */
void ibvsa_build_gir(uint8_t mad[IBVSA_MAD_LEN], uint8_t method, uint64_t tid, uint16_t lid,
		     int index, uint64_t guid);
/* SubnAdmGet(PathRecord) SGID -> DGID, NumbPath 1 (mask DGID | SGID | NumbPath). */
void ibvsa_build_path_get(uint8_t mad[IBVSA_MAD_LEN], uint64_t tid, uint64_t sgid_prefix,
			  uint64_t sgid_guid, uint64_t dgid_prefix, uint64_t dgid_guid);
/* SubnAdmSet(InformInfo), no component mask (InformInfo is not a record). */
void ibvsa_build_inform_set(uint8_t mad[IBVSA_MAD_LEN], uint64_t tid,
			    const struct ibvsa_inform *ii);
/* The InformInfo ibvmig_sa_subscribe*() send: generic, any type/producer, QPN 1. */
struct ibvsa_inform ibvsa_inform_for_trap(uint16_t trap, bool subscribe, uint16_t lid_begin,
					  uint16_t lid_end);

/* ---- responses -------------------------------------------------------- */

/* The response method an SA request @method is answered with. */
uint8_t ibvsa_response_method(uint8_t method);
/*
 * True if @h answers an SA request (@method, @attr_id) sent with TID @tid:
 * only the low 32 bits of the TID count (the kernel, umad2sim and ibsim all
 * rewrite the high ones).
 */
bool ibvsa_is_response(const struct ibvsa_hdr *h, uint8_t method, uint16_t attr_id, uint64_t tid);

/* ---- unsolicited MADs ------------------------------------------------- */

/*
 * The GetResp to an SMInfo Get (class 0x01 or 0x81) that FABRIC-NOTES
 * describes: the request copied, method GetResp, status 0, the D bit set
 * for a directed-route SMP, and SMInfo = @port_guid, SM_Key 0, priority 0,
 * state NOTACTIVE.  Returns the length to send, -ENOMSG if @req is not an
 * SMInfo Get, -EBADMSG if it is too short.
 */
int ibvsa_sminfo_reply(uint8_t out[IBVSA_MAD_LEN], const uint8_t *req, size_t len,
		       uint64_t port_guid);
/*
 * The ReportResp to a Report(Notice): the request copied with method 0x86
 * and status 0, same TID and attribute.  Returns the length to send,
 * -ENOMSG if @req is not an SA Report, -EBADMSG if it is too short.
 */
int ibvsa_report_ack(uint8_t out[IBVSA_MAD_LEN], const uint8_t *req, size_t len);
/*
 * Decodes the Notice of a Report into @r (everything but the receive time
 * and slid): 0, -ENOMSG if not a Report(Notice), -EBADMSG if short.
 */
int ibvsa_report_parse(const uint8_t *mad, size_t len, struct ibvmig_sa_report *r);

#endif /* IBVMIG_SA_CODEC_H */
