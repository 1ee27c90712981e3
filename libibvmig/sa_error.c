// SPDX-License-Identifier: BSD-2-Clause
/*
 * sa_error.c - MAD status values (IBA 13.4.7 Table 120, SA 15.2.1.1
 * Table 208) and what the negative errno values of libibvmig-sa mean.
 */
#include "ibvmig_sa.h"

#include <errno.h>
#include <infiniband/umad_sa.h>
#include <infiniband/umad_types.h>
#include <string.h>

#define CLASS_STATUS_SHIFT 8

struct status_name {
	int err;
	const char *text;
};

/* SA class status codes (bits 8-15), umad_sa.h's UMAD_SA_STATUS_*. */
static const struct status_name sa_status[] = {
    [UMAD_SA_STATUS_NO_RESOURCES] = {-ENOBUFS, "SA out of resources (0x0100)"},
    [UMAD_SA_STATUS_REQ_INVALID] = {-EBADR, "SA: request invalid (0x0200)"},
    [UMAD_SA_STATUS_NO_RECORDS] = {-ENOENT, "SA: no records (0x0300)"},
    [UMAD_SA_STATUS_TOO_MANY_RECORDS] = {-E2BIG, "SA: too many records (0x0400)"},
    [UMAD_SA_STATUS_INVALID_GID] = {-EADDRNOTAVAIL, "SA: invalid GID (0x0500)"},
    [UMAD_SA_STATUS_INSUF_COMPS] = {-EBADE, "SA: insufficient component mask (0x0600)"},
    [UMAD_SA_STATUS_REQ_DENIED] = {-EACCES, "SA: request denied (0x0700)"},
    [UMAD_SA_STATUS_PRI_SUGGESTED] = {-EAGAIN, "SA: priority suggested (0x0800)"},
};

/* The common status bits (IBA 13.4.7): busy, redirect, invalid field code. */
static struct status_name common_status(uint16_t status)
{
	switch (status & UMAD_STATUS_INVALID_FIELD_MASK) {
	case UMAD_STATUS_BAD_VERSION:
		return (struct status_name){-EPROTONOSUPPORT, "MAD: bad class version"};
	case UMAD_STATUS_METHOD_NOT_SUPPORTED:
		return (struct status_name){-EOPNOTSUPP, "MAD: method not supported"};
	case UMAD_STATUS_ATTR_NOT_SUPPORTED:
		return (struct status_name){-EOPNOTSUPP, "MAD: method/attribute not supported"};
	case UMAD_STATUS_INVALID_ATTR_VALUE:
		return (struct status_name){-EBADR, "MAD: invalid attribute value"};
	case 0:
		break;
	default:
		return (struct status_name){-EPROTO, "MAD: invalid field"};
	}
	if (status & UMAD_STATUS_BUSY)
		return (struct status_name){-EBUSY, "MAD: busy"};
	if (status & UMAD_STATUS_REDIRECT)
		return (struct status_name){-EREMOTE, "MAD: redirect (not followed)"};
	return (struct status_name){0, NULL};
}

static struct status_name lookup(uint16_t status)
{
	unsigned code = (status & UMAD_STATUS_CLASS_MASK) >> CLASS_STATUS_SHIFT;
	struct status_name s;

	if (!status)
		return (struct status_name){0, "success"};
	/* The class code says most: check it before the common bits. */
	if (code) {
		if (code < sizeof(sa_status) / sizeof(sa_status[0]) && sa_status[code].text)
			return sa_status[code];
		return (struct status_name){-EPROTO, "SA: unknown status"};
	}
	s = common_status(status);
	return s.text ? s : (struct status_name){-EPROTO, "MAD: unknown status"};
}

int ibvmig_sa_status_errno(uint16_t status)
{
	return lookup(status).err;
}

const char *ibvmig_sa_status_str(uint16_t status)
{
	return lookup(status).text;
}

const char *ibvmig_sa_strerror(int rc)
{
	switch (rc) {
	case 0:
		return "success";
	case -ETIMEDOUT:
		return "no answer (timed out after every retry: SA, SM or vendor-class peer)";
	case -EEXIST:
		return "the vGUID is already an alias of another port (or of another index "
		       "of this one): OpenSM refused the duplicate";
	case -ENOENT:
		return "no such record (SA: no records, or the port does not hold the vGUID)";
	case -ENOSPC:
		return "no free alias GUID index on this port";
	case -ENETDOWN:
		return "the port has no LID or no SM LID yet (subnet not up?)";
	case -ENODEV:
		return "no such InfiniBand CA or port";
	case -EADDRINUSE:
		return "another agent on this port already receives SA Reports";
	case -EPROTO:
		return "unexpected answer from the SA or MAD peer";
	case -EOPNOTSUPP:
		return "not supported (the SA refused the method or attribute, or this port has "
		       "no agent for the class: no QP0 access?)";
	case -ENOBUFS:
		return "the SA is out of resources";
	case -EBADR:
		return "the SA rejected the request as invalid";
	case -E2BIG:
		return "the SA has more than one record for a single-record query";
	case -EADDRNOTAVAIL:
		return "the SA does not know that GID";
	case -EBADE:
		return "the SA found the component mask insufficient";
	case -EACCES:
		return "the SA denied the request";
	case -EREMOTE:
		return "the SA redirected the request (not supported)";
	case -ERANGE:
		return "value out of range";
	default:
		return rc < 0 ? strerror(-rc) : "unknown result";
	}
}
