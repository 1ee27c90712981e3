/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_path.h - a PathRecord (IBA 15.2.5.16) as ibvmig's programs and
 * libraries hold it: what the SA client decodes, the VM channel carries and
 * the path cache keeps.  A plain structure of host-order values; installed
 * with libibvmig-guest, so it depends on nothing else.
 */
#ifndef IBVMIG_PATH_H
#define IBVMIG_PATH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A PathRecord (IBA 15.2.5.16), host order; selectors and rates as IBA codes. */
struct ibvmig_sa_path {
	uint64_t service_id;
	uint64_t dgid_prefix, dgid_guid;
	uint64_t sgid_prefix, sgid_guid;
	uint16_t dlid, slid;
	bool raw_traffic;
	uint32_t flow_label; /* 20 bits */
	uint8_t hop_limit;
	uint8_t tclass;
	bool reversible;
	uint8_t numb_path; /* 7 bits */
	uint16_t pkey;
	uint16_t qos_class;	     /* 12 bits */
	uint8_t sl;		     /* 4 bits */
	uint8_t mtu_selector, mtu;   /* mtu: 1=256 .. 5=4096 */
	uint8_t rate_selector, rate; /* rate: IBA rate code, see ibvmig_sa_rate_str() */
	uint8_t pkt_life_selector, pkt_life;
	uint8_t preference;
};

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_PATH_H */
