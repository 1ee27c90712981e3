// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_sa_codec.c - libFuzzer harness of the SA codec (sa_codec.h): every MAD
 * the agent reads comes from the fabric, where any port can send any MAD.
 * The input is one received MAD of 0..256 bytes (umad buffers are 256; more
 * is cut, as recv_mad() does).  It goes through the MAD and SA headers, the
 * Report parser, the ReportResp and SMInfo answer builders, and the record
 * decoders at the SA data offset (GUIDInfoRecord, PathRecord, InformInfo)
 * and the SMP data offset (SMInfo), each given what is left of the MAD.
 *
 * Invariants: a decoder refuses exactly the inputs shorter than its layout
 * (a header also refuses another base version), leaves its output zeroed
 * then, and otherwise decodes to a value that encodes and decodes back to
 * itself; the common header re-encodes to the bytes it came from (but for
 * the fields it does not model); the Report parser says 0, -ENOMSG or
 * -EBADMSG by the rules of its header, and its Notice is the notice codec's
 * reading of the same bytes; the response matcher takes exactly the SA
 * answer's method, attribute and low 32 TID bits; a ReportResp and an SMInfo GetResp are the
 * request with only their documented changes.  Every decoder runs twice: on
 * the input as libFuzzer gives it (an exact-size heap buffer, which ASan
 * guards) and on a copy that ends at an inaccessible page, which also
 * catches reads past the end inside libibmad, whose accessors are not
 * instrumented.
 */
#include "fuzz.h"
#include "sa_codec.h"

#include <errno.h>
#include <infiniband/umad_sa.h>
#include <infiniband/umad_types.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PORT_GUID 0x0002c90300000011ULL
#define TRAP_GID_FIRST 64	/* traps 64-67 carry a GID at details offset 6 */
#define TRAP_GID_LAST 67

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* A page-sized buffer followed by a PROT_NONE page: the input is copied to its end. */
static uint8_t *guarded_copy(const uint8_t *data, size_t len)
{
	static uint8_t *page;
	static size_t page_len;

	if (!page) {
		page_len = (size_t)sysconf(_SC_PAGESIZE);
		page = mmap(NULL, 2 * page_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		FUZZ_CHECK(page != MAP_FAILED && page_len >= IBVMIG_SA_MAD_LEN);
		FUZZ_CHECK(mprotect(page + page_len, page_len, PROT_NONE) == 0);
	}
	memcpy(page + page_len - len, data, len);
	return page + page_len - len;
}

static void check_mad_hdr(const uint8_t *mad, size_t len, struct ibvmig_sa_mad_hdr *h)
{
	struct ibvmig_sa_mad_hdr back;
	uint8_t again[IBVMIG_SA_MAD_LEN];
	int rc = ibvmig_sa_mad_hdr_decode(mad, len, h);

	if (len < IBVMIG_SA_HDR_LEN) {
		FUZZ_CHECK(rc == -EBADMSG && fuzz_all_zero(h, sizeof(*h)));
		return;
	}
	FUZZ_CHECK(rc == (mad[0] == UMAD_BASE_VERSION ? 0 : -EBADMSG));
	ibvmig_sa_mad_hdr_encode(again, h);
	FUZZ_CHECK(ibvmig_sa_mad_hdr_decode(again, sizeof(again), &back) == rc);
	FUZZ_CHECK(memcmp(&back, h, sizeof(back)) == 0);
	/* Bytes 0-5, 8-17 and 20-23 are fields; 6-7 are a DR SMP's hops, else not modelled. */
	FUZZ_CHECK(memcmp(again, mad, 6) == 0 && memcmp(again + 8, mad + 8, 10) == 0 &&
		   memcmp(again + 20, mad + 20, 4) == 0);
	if (h->mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE)
		FUZZ_CHECK(again[6] == mad[6] && again[7] == mad[7]);
}

static void check_class_hdr(const uint8_t *mad, size_t len)
{
	struct ibvmig_sa_class_hdr s, back;
	uint8_t again[IBVMIG_SA_MAD_LEN] = { 0 };
	int rc = ibvmig_sa_class_hdr_decode(mad, len, &s);

	FUZZ_CHECK(rc == (len < IBVMIG_SA_SA_DATA_OFFS ? -EBADMSG : 0));
	if (rc) {
		FUZZ_CHECK(fuzz_all_zero(&s, sizeof(s)));
		return;
	}
	ibvmig_sa_class_hdr_encode(again, &s);
	FUZZ_CHECK(ibvmig_sa_class_hdr_decode(again, sizeof(again), &back) == 0);
	FUZZ_CHECK(memcmp(&back, &s, sizeof(s)) == 0);
}

/*
 * One record decoder: refuses short input with a zeroed value, else decodes
 * to a value that survives encode -> decode.
 */
#define CHECK_RECORD(type, decode, encode, rec_len, at, mad, len)                     \
	do {                                                                       \
		type v_, back_;                                                    \
		uint8_t enc_[IBVMIG_SA_MAD_LEN];                                   \
		size_t left_ = (len) > (at) ? (len) - (at) : 0;                    \
		int rc_;                                                           \
                                                                                   \
		if ((len) < (at))                                                  \
			break;                                                     \
		rc_ = decode((mad) + (at), left_, &v_);                            \
		FUZZ_CHECK(rc_ == (left_ < (rec_len) ? -EBADMSG : 0));             \
		if (rc_) {                                                         \
			FUZZ_CHECK(fuzz_all_zero(&v_, sizeof(v_)));                     \
			break;                                                     \
		}                                                                  \
		memset(enc_, 0, sizeof(enc_));                                     \
		encode(enc_, &v_);                                                 \
		FUZZ_CHECK(decode(enc_, sizeof(enc_), &back_) == 0);               \
		FUZZ_CHECK(memcmp(&back_, &v_, sizeof(v_)) == 0);                  \
	} while (0)

static void check_records(const uint8_t *mad, size_t len)
{
	CHECK_RECORD(struct ibvmig_sa_guid_block, ibvmig_sa_gir_decode, ibvmig_sa_gir_encode,
		     IBVMIG_SA_GIR_LEN, IBVMIG_SA_SA_DATA_OFFS, mad, len);
	CHECK_RECORD(struct ibvmig_sa_path, ibvmig_sa_path_decode, ibvmig_sa_path_encode,
		     IBVMIG_SA_PATH_LEN, IBVMIG_SA_SA_DATA_OFFS, mad, len);
	CHECK_RECORD(struct ibvmig_sa_inform, ibvmig_sa_inform_decode, ibvmig_sa_inform_encode,
		     IBVMIG_SA_INFORM_LEN, IBVMIG_SA_SA_DATA_OFFS, mad, len);
	CHECK_RECORD(struct ibvmig_sa_sminfo, ibvmig_sa_sminfo_decode, ibvmig_sa_sminfo_encode,
		     IBVMIG_SA_SMINFO_LEN, IBVMIG_SA_SMP_DATA_OFFS, mad, len);
}

static void check_report(const uint8_t *mad, size_t len, const struct ibvmig_sa_mad_hdr *h,
			 bool hdr_ok)
{
	struct ibvmig_sa_report r;
	struct ibvmig_notice n;
	struct ibvmig_path_notice pn;
	bool is_report = hdr_ok && h->mgmt_class == UMAD_CLASS_SUBN_ADM &&
			 h->method == UMAD_METHOD_REPORT && h->attr_id == IBVMIG_SA_ATTR_NOTICE;
	int rc = ibvmig_sa_report_parse(mad, len, &r), path_rc;

	if (!hdr_ok)
		FUZZ_CHECK(rc == -EBADMSG);
	else if (!is_report)
		FUZZ_CHECK(rc == -ENOMSG);
	else
		FUZZ_CHECK(rc == (len < IBVMIG_SA_SA_DATA_OFFS + IBVMIG_NOTICE_LEN ? -EBADMSG : 0));
	if (rc) {
		FUZZ_CHECK(fuzz_all_zero(&r, sizeof(r)));
		return;
	}
	memset(&n, 0, sizeof(n));
	ibvmig_notice_decode(mad + IBVMIG_SA_SA_DATA_OFFS, &n);
	FUZZ_CHECK(memcmp(&n, &r.notice, sizeof(n)) == 0 && r.tid == h->tid);
	FUZZ_CHECK(r.trap == (n.generic ? n.trap_or_device : -1));
	path_rc = ibvmig_path_notice_decode(mad + IBVMIG_SA_SA_DATA_OFFS, &pn);
	FUZZ_CHECK(r.path_rc == path_rc);
	if (path_rc >= 0)
		FUZZ_CHECK(r.path.vguid == pn.vguid && r.path.seq == pn.seq &&
			   r.path.reason == pn.reason && r.path.new_lid == pn.new_lid);
	if (r.trap >= TRAP_GID_FIRST && r.trap <= TRAP_GID_LAST)
		FUZZ_CHECK(r.gid_prefix == be64_at(n.details + 6) &&
			   r.gid_guid == be64_at(n.details + 14));
	else
		FUZZ_CHECK(r.gid_prefix == 0 && r.gid_guid == 0);
}

static void check_report_ack(const uint8_t *mad, size_t len, const struct ibvmig_sa_mad_hdr *h,
			     bool hdr_ok)
{
	uint8_t ack[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_mad_hdr a;
	int rc = ibvmig_sa_report_ack(ack, mad, len);

	if (!hdr_ok)
		FUZZ_CHECK(rc == -EBADMSG);
	else if (h->mgmt_class != UMAD_CLASS_SUBN_ADM || h->method != UMAD_METHOD_REPORT)
		FUZZ_CHECK(rc == -ENOMSG);
	else
		FUZZ_CHECK(rc == (len < IBVMIG_SA_SA_DATA_OFFS ? -EBADMSG : IBVMIG_SA_MAD_LEN));
	if (rc < 0)
		return;
	FUZZ_CHECK(ibvmig_sa_mad_hdr_decode(ack, sizeof(ack), &a) == 0);
	FUZZ_CHECK(a.method == UMAD_METHOD_REPORT_RESP && a.status == 0 && a.tid == h->tid &&
		   a.attr_id == h->attr_id && a.attr_mod == h->attr_mod &&
		   a.mgmt_class == h->mgmt_class && a.class_version == h->class_version);
	FUZZ_CHECK(memcmp(ack + IBVMIG_SA_HDR_LEN, mad + IBVMIG_SA_HDR_LEN,
			  len - IBVMIG_SA_HDR_LEN) == 0);
	FUZZ_CHECK(fuzz_all_zero(ack + len, IBVMIG_SA_MAD_LEN - len));
}

static void check_sminfo_reply(const uint8_t *mad, size_t len, const struct ibvmig_sa_mad_hdr *h,
			       bool hdr_ok)
{
	uint8_t out[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_mad_hdr a;
	struct ibvmig_sa_sminfo si;
	bool dr = h->mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE;
	bool smp = dr || h->mgmt_class == UMAD_CLASS_SUBN_LID_ROUTED;
	size_t need = dr ? IBVMIG_SA_DR_PATH_END : IBVMIG_SA_SMP_DATA_OFFS + IBVMIG_SA_SMP_DATA_LEN;
	int rc = ibvmig_sa_sminfo_reply(out, mad, len, PORT_GUID);

	if (!hdr_ok)
		FUZZ_CHECK(rc == -EBADMSG);
	else if (!smp || h->method != UMAD_METHOD_GET || h->attr_id != IBVMIG_SA_ATTR_SMINFO)
		FUZZ_CHECK(rc == -ENOMSG);
	else
		FUZZ_CHECK(rc == (len < need ? -EBADMSG : IBVMIG_SA_MAD_LEN));
	if (rc < 0)
		return;
	FUZZ_CHECK(ibvmig_sa_mad_hdr_decode(out, sizeof(out), &a) == 0);
	FUZZ_CHECK(a.method == UMAD_METHOD_GET_RESP && a.status == 0 && a.tid == h->tid &&
		   a.mgmt_class == h->mgmt_class && a.attr_id == IBVMIG_SA_ATTR_SMINFO);
	FUZZ_CHECK(!dr || (a.dr_direction && a.hop_ptr == h->hop_ptr && a.hop_cnt == h->hop_cnt));
	FUZZ_CHECK(ibvmig_sa_sminfo_decode(out + IBVMIG_SA_SMP_DATA_OFFS, IBVMIG_SA_SMP_DATA_LEN,
					   &si) == 0);
	FUZZ_CHECK(si.guid == PORT_GUID && !si.sm_key && !si.act_count && !si.priority &&
		   si.state == IBVMIG_SA_SM_STATE_NOTACTIVE);
	/* M_Key, DR LIDs and the paths go back as they came. */
	FUZZ_CHECK(memcmp(out + IBVMIG_SA_HDR_LEN, mad + IBVMIG_SA_HDR_LEN,
			  IBVMIG_SA_SMP_DATA_OFFS - IBVMIG_SA_HDR_LEN) == 0);
	FUZZ_CHECK(memcmp(out + 128, mad + 128, len - 128) == 0);
}

/*
 * The matcher the client loop takes a response with: the SA class, the
 * answer's method (SubnAdmSet is answered with a GetResp, IBA 15.4.2), the
 * attribute, and the low 32 TID bits only (the kernel, umad2sim and ibsim
 * rewrite the high ones).
 */
static void check_is_response(const struct ibvmig_sa_mad_hdr *h)
{
	static const uint8_t methods[] = { UMAD_METHOD_GET, UMAD_METHOD_SET, UMAD_SA_METHOD_DELETE,
					   UMAD_SA_METHOD_GET_TABLE };
	uint64_t high = h->tid ^ 0xFFFFFFFF00000000ULL;
	size_t i;
	bool want;

	for (i = 0; i < sizeof(methods); i++) {
		want = h->mgmt_class == UMAD_CLASS_SUBN_ADM &&
		       h->method == ((methods[i] == UMAD_METHOD_SET ? UMAD_METHOD_GET : methods[i]) |
				     UMAD_METHOD_RESP_MASK);
		FUZZ_CHECK(ibvmig_sa_is_response(h, methods[i], h->attr_id, high) == want);
		FUZZ_CHECK(!ibvmig_sa_is_response(h, methods[i], h->attr_id, h->tid ^ 1));
		FUZZ_CHECK(!ibvmig_sa_is_response(h, methods[i], h->attr_id ^ 1, h->tid));
	}
}

static void check_mad(const uint8_t *mad, size_t len)
{
	struct ibvmig_sa_mad_hdr h;
	bool hdr_ok;

	check_mad_hdr(mad, len, &h);
	hdr_ok = len >= IBVMIG_SA_HDR_LEN && h.base_version == UMAD_BASE_VERSION;
	if (hdr_ok)
		check_is_response(&h);
	check_class_hdr(mad, len);
	check_records(mad, len);
	check_report(mad, len, &h, hdr_ok);
	check_report_ack(mad, len, &h, hdr_ok);
	check_sminfo_reply(mad, len, &h, hdr_ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size < IBVMIG_SA_MAD_LEN ? size : IBVMIG_SA_MAD_LEN;

	check_mad(data, len);
	check_mad(guarded_copy(data, len), len);
	return 0;
}
