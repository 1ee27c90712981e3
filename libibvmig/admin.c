// SPDX-License-Identifier: BSD-2-Clause
/*
 * admin.c - the admin socket protocol (doc/admin-protocol.md): frames,
 * requests, self-describing response records, and the client's exchange.
 */
#include "ibvmig.h"
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FIELD_HEADER_LEN 4	/* tag:16 type:8 len:8 */

const char *ibvmig_admin_tag_name(uint16_t tag)
{
	static const char *const names[IBVMIG_TAG_MAX + 1] = {
		[IBVMIG_TAG_VGUID] = "vguid",
		[IBVMIG_TAG_LID] = "lid",
		[IBVMIG_TAG_PORT_GUID] = "port_guid",
		[IBVMIG_TAG_DELETED_AT_MS] = "deleted_at_ms",
		[IBVMIG_TAG_EXPIRES_IN_MS] = "expires_in_ms",
		[IBVMIG_TAG_PLUGIN_VERSION] = "plugin_version",
		[IBVMIG_TAG_OSM_VERSION] = "opensm_version",
		[IBVMIG_TAG_SM_STATE] = "sm_state",
		[IBVMIG_TAG_SM_PORT_GUID] = "sm_port_guid",
		[IBVMIG_TAG_SM_LID] = "sm_lid",
		[IBVMIG_TAG_SUBNET_PREFIX] = "subnet_prefix",
		[IBVMIG_TAG_EPOCH] = "epoch",
		[IBVMIG_TAG_SEQ] = "seq",
		[IBVMIG_TAG_STARTED_AT_MS] = "started_at_ms",
		[IBVMIG_TAG_UNPATH] = "unpath",
		[IBVMIG_TAG_ALIAS_GUARD] = "alias_guard",
		[IBVMIG_TAG_TTL_MS] = "ttl_ms",
		[IBVMIG_TAG_CAPACITY] = "capacity",
		[IBVMIG_TAG_ENTRIES] = "entries",
		[IBVMIG_TAG_LIVE_ALIASES] = "live_aliases",
		[IBVMIG_TAG_SUBSCRIBERS] = "subscribers",
		[IBVMIG_TAG_STATE_FILE] = "state_file",
		[IBVMIG_TAG_LAST_SAVE_MS] = "last_save_ms",
		[IBVMIG_TAG_SUBSCRIBER_GUID] = "subscriber_guid",
		[IBVMIG_TAG_QPN] = "qpn",
		[IBVMIG_TAG_TRAP] = "trap",
		[IBVMIG_TAG_LID_RANGE_BEGIN] = "lid_range_begin",
		[IBVMIG_TAG_LID_RANGE_END] = "lid_range_end",
		[IBVMIG_TAG_DELETES] = "deletes",
		[IBVMIG_TAG_REPLACED] = "replaced",
		[IBVMIG_TAG_SETS] = "sets",
		[IBVMIG_TAG_CREATED] = "created",
		[IBVMIG_TAG_RESTARTED] = "restarted",
		[IBVMIG_TAG_MOVED_SAME_LID] = "moved_same_lid",
		[IBVMIG_TAG_MIGRATED] = "migrated",
		[IBVMIG_TAG_EXPIRED] = "expired",
		[IBVMIG_TAG_EVICTED] = "evicted",
		[IBVMIG_TAG_FLUSHED] = "flushed",
		[IBVMIG_TAG_REJECTED] = "rejected",
		[IBVMIG_TAG_RESTORED] = "restored",
		[IBVMIG_TAG_UNPATH_SENT] = "unpath_sent",
		[IBVMIG_TAG_REPATH_SENT] = "repath_sent",
		[IBVMIG_TAG_NOTICES_FAILED] = "notices_failed",
		[IBVMIG_TAG_GUARD_REFUSED] = "guard_refused",
		[IBVMIG_TAG_RECONCILES] = "reconciles",
		[IBVMIG_TAG_RECONCILE_EVENTS] = "reconcile_events",
		[IBVMIG_TAG_SAVES] = "saves",
		[IBVMIG_TAG_SAVE_ERRORS] = "save_errors",
		[IBVMIG_TAG_ADMIN_REQUESTS] = "admin_requests",
		[IBVMIG_TAG_ADMIN_ERRORS] = "admin_errors",
		[IBVMIG_TAG_HOOK_ERRORS] = "hook_errors",
		[IBVMIG_TAG_PORT_LID_CHANGES] = "port_lid_changes",
		[IBVMIG_TAG_COUNT] = "count",
		[IBVMIG_TAG_NOW_MS] = "now_ms",
		[IBVMIG_TAG_HOOK_CALLS] = "hook_calls",
		[IBVMIG_TAG_HOOK_NS] = "hook_ns",
		[IBVMIG_TAG_HOOK_MAX_NS] = "hook_max_ns",
		[IBVMIG_TAG_UNSAVED_CHANGES] = "unsaved_changes",
		[IBVMIG_TAG_ALIASES_BEFORE_RESTART] = "aliases_before_restart",
		[IBVMIG_TAG_MIGRATED_WHILE_DOWN] = "migrated_while_down",
	};

	return tag <= IBVMIG_TAG_MAX ? names[tag] : NULL;
}

const char *ibvmig_admin_status_text(unsigned status)
{
	static const char *const text[] = {
		[IBVMIG_ADMIN_OK] = "success",
		[IBVMIG_ADMIN_E_MAGIC] = "not an ibvmig admin message",
		[IBVMIG_ADMIN_E_VERSION] = "unsupported protocol version",
		[IBVMIG_ADMIN_E_OP] = "unknown operation",
		[IBVMIG_ADMIN_E_LENGTH] = "bad message length",
		[IBVMIG_ADMIN_E_NOT_FOUND] = "not found",
		[IBVMIG_ADMIN_E_INTERNAL] = "internal error in the plugin",
		[IBVMIG_ADMIN_E_REQUEST] = "malformed request",
		[IBVMIG_ADMIN_E_NOT_READY] = "the subnet manager is not up yet",
	};

	return status < sizeof(text) / sizeof(text[0]) ? text[status] : "unknown status";
}

/* ---- frames ------------------------------------------------------------ */

void ibvmig_admin_encode_header(const struct ibvmig_admin_header *h,
				uint8_t buf[IBVMIG_ADMIN_HEADER_LEN])
{
	struct wire w = wire_at(buf, IBVMIG_ADMIN_HEADER_LEN);

	wire_put_u32(&w, IBVMIG_ADMIN_MAGIC);
	wire_put_u8(&w, IBVMIG_ADMIN_VERSION);
	wire_put_u8(&w, h->op);
	wire_put_u16(&w, h->status);
	wire_put_u32(&w, h->length);
}

int ibvmig_admin_decode_header(const uint8_t buf[IBVMIG_ADMIN_HEADER_LEN],
			       struct ibvmig_admin_header *h)
{
	struct wire w = wire_at((uint8_t *)buf, IBVMIG_ADMIN_HEADER_LEN);

	h->magic = wire_get_u32(&w);
	h->version = wire_get_u8(&w);
	h->op = wire_get_u8(&w);
	h->status = wire_get_u16(&w);
	h->length = wire_get_u32(&w);
	if (h->magic != IBVMIG_ADMIN_MAGIC)
		return IBVMIG_ADMIN_E_MAGIC;
	if (h->version != IBVMIG_ADMIN_VERSION)
		return IBVMIG_ADMIN_E_VERSION;
	return 0;
}

/* The body length each op takes in a request. */
static int request_body_len(uint8_t op)
{
	switch (op) {
	case IBVMIG_ADMIN_STATUS:
	case IBVMIG_ADMIN_TRAPS:
	case IBVMIG_ADMIN_SUBSCRIBERS:
	case IBVMIG_ADMIN_STATS:
		return 0;
	case IBVMIG_ADMIN_FLUSH:
		return 8;
	default:
		return -1;
	}
}

int ibvmig_admin_encode_request(const struct ibvmig_admin_request *req, uint8_t *buf,
				size_t len)
{
	struct ibvmig_admin_header h = { .op = req->op };
	int body = request_body_len(req->op);
	struct wire w;

	if (body < 0)
		return -EINVAL;
	if (len < IBVMIG_ADMIN_HEADER_LEN + (size_t)body)
		return -ENOSPC;
	h.length = (uint32_t)body;
	ibvmig_admin_encode_header(&h, buf);
	w = wire_at(buf + IBVMIG_ADMIN_HEADER_LEN, (size_t)body);
	if (req->op == IBVMIG_ADMIN_FLUSH)
		wire_put_u64(&w, req->vguid);
	return IBVMIG_ADMIN_HEADER_LEN + body;
}

int ibvmig_admin_decode_request(const struct ibvmig_admin_header *h, const uint8_t *body,
				struct ibvmig_admin_request *req)
{
	int want = request_body_len(h->op);
	struct wire w;

	memset(req, 0, sizeof(*req));
	if (want < 0)
		return IBVMIG_ADMIN_E_OP;
	if (h->length != (uint32_t)want)
		return IBVMIG_ADMIN_E_LENGTH;
	if (h->status)
		return IBVMIG_ADMIN_E_REQUEST;
	req->op = h->op;
	w = wire_at((uint8_t *)body, h->length);
	if (h->op == IBVMIG_ADMIN_FLUSH)
		req->vguid = wire_get_u64(&w);
	return 0;
}

/* ---- record writer (admin responses, VM channel messages) -------------- */

static bool writer_reserve(struct ibvmig_admin_writer *w, size_t n)
{
	size_t cap;
	uint8_t *buf;

	if (w->failed)
		return false;
	if (w->cap - w->len >= n)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n)
		cap *= 2;
	if (cap > w->max || !(buf = realloc(w->buf, cap))) {
		w->failed = true;
		return false;
	}
	w->buf = buf;
	w->cap = cap;
	return true;
}

static void writer_put(struct ibvmig_admin_writer *w, uint64_t v, size_t n)
{
	struct wire c;

	if (!writer_reserve(w, n))
		return;
	c = wire_at(w->buf + w->len, n);
	wire_put_uint(&c, v, n);
	w->len += n;
}

/* Patch a big-endian count written earlier at @off. */
static void writer_patch(struct ibvmig_admin_writer *w, size_t off, uint64_t v, size_t n)
{
	struct wire c = wire_at(w->buf + off, n);

	wire_put_uint(&c, v, n);
}

void ibvmig_admin_writer_init_frame(struct ibvmig_admin_writer *w, size_t header_len,
				    size_t max)
{
	memset(w, 0, sizeof(*w));
	w->header_len = header_len;
	w->max = max;
	/* header, then the record count, both patched when the list is taken */
	if (writer_reserve(w, header_len + 4))
		w->len = header_len + 4;
}

void ibvmig_admin_writer_init(struct ibvmig_admin_writer *w, uint8_t op)
{
	ibvmig_admin_writer_init_frame(w, IBVMIG_ADMIN_HEADER_LEN, IBVMIG_ADMIN_RESPONSE_MAX);
	w->op = op;
}

static void writer_close_record(struct ibvmig_admin_writer *w)
{
	if (w->records && !w->failed)
		writer_patch(w, w->record_at, w->fields, 2);
}

void ibvmig_admin_begin_record(struct ibvmig_admin_writer *w)
{
	writer_close_record(w);
	w->record_at = w->len;
	w->fields = 0;
	w->records++;
	writer_put(w, 0, 2);
}

static void writer_field(struct ibvmig_admin_writer *w, uint16_t tag, uint8_t type,
			 const void *value, size_t len)
{
	if (!w->records || w->fields == UINT16_MAX || len > 255 ||
	    !writer_reserve(w, FIELD_HEADER_LEN + len)) {
		w->failed = true;
		return;
	}
	writer_put(w, tag, 2);
	writer_put(w, type, 1);
	writer_put(w, len, 1);
	memcpy(w->buf + w->len, value, len);
	w->len += len;
	w->fields++;
}

static void writer_number(struct ibvmig_admin_writer *w, uint16_t tag, uint8_t type,
			  uint64_t v, size_t n)
{
	uint8_t be[8];
	struct wire c = wire_at(be, n);

	wire_put_uint(&c, v, n);
	writer_field(w, tag, type, be, n);
}

void ibvmig_admin_put_uint(struct ibvmig_admin_writer *w, uint16_t tag, uint64_t v)
{
	writer_number(w, tag, IBVMIG_ADMIN_T_UINT, v, 8);
}

void ibvmig_admin_put_guid(struct ibvmig_admin_writer *w, uint16_t tag, uint64_t v)
{
	writer_number(w, tag, IBVMIG_ADMIN_T_GUID, v, 8);
}

void ibvmig_admin_put_bool(struct ibvmig_admin_writer *w, uint16_t tag, bool v)
{
	writer_number(w, tag, IBVMIG_ADMIN_T_BOOL, v, 1);
}

void ibvmig_admin_put_str(struct ibvmig_admin_writer *w, uint16_t tag, const char *s)
{
	size_t len = strnlen(s, 256);

	writer_field(w, tag, IBVMIG_ADMIN_T_STR, s, len > 255 ? 255 : len);
}

int ibvmig_admin_writer_take(struct ibvmig_admin_writer *w, uint8_t **buf, size_t *len)
{
	writer_close_record(w);
	if (w->failed) {
		ibvmig_admin_writer_discard(w);
		return -ENOMEM;
	}
	writer_patch(w, w->header_len, w->records, 4);
	*buf = w->buf;
	*len = w->len;
	w->buf = NULL;
	w->cap = w->len = 0;
	return 0;
}

int ibvmig_admin_writer_finish(struct ibvmig_admin_writer *w, uint16_t status, uint8_t **buf,
			       size_t *len)
{
	struct ibvmig_admin_header h = { .op = w->op, .status = status };
	int rc = ibvmig_admin_writer_take(w, buf, len);

	if (rc)
		return rc;
	/* An error carries no records. */
	if (status)
		*len = IBVMIG_ADMIN_HEADER_LEN;
	h.length = (uint32_t)(*len - IBVMIG_ADMIN_HEADER_LEN);
	ibvmig_admin_encode_header(&h, *buf);
	return 0;
}

void ibvmig_admin_writer_discard(struct ibvmig_admin_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = w->len = 0;
}

/* ---- record reader ------------------------------------------------------ */

static bool field_is_valid(uint8_t type, uint8_t len)
{
	switch (type) {
	case IBVMIG_ADMIN_T_UINT:
	case IBVMIG_ADMIN_T_GUID:
		return len == 8;
	case IBVMIG_ADMIN_T_BOOL:
		return len == 1;
	case IBVMIG_ADMIN_T_STR:
		return true;
	default:
		return false;
	}
}

/* Walks the whole body once so that readers never meet a half-valid one. */
static int body_validate(const uint8_t *body, size_t len)
{
	struct wire w = wire_at((uint8_t *)body, len);
	uint32_t records = wire_get_u32(&w);

	while (records-- && !w.short_buf) {
		uint16_t fields = wire_get_u16(&w);

		while (fields-- && !w.short_buf) {
			uint8_t type, flen;

			wire_skip(&w, 2);
			type = wire_get_u8(&w);
			flen = wire_get_u8(&w);
			if (!w.short_buf && !field_is_valid(type, flen))
				return -EBADMSG;
			wire_skip(&w, flen);
		}
	}
	return w.short_buf || w.off != len ? -EBADMSG : 0;
}

int ibvmig_admin_reader_init(struct ibvmig_admin_reader *r, const uint8_t *body, size_t len)
{
	struct wire w = wire_at((uint8_t *)body, len);

	memset(r, 0, sizeof(*r));
	if (!len)
		return 0;	/* an error reply: no records */
	if (body_validate(body, len))
		return -EBADMSG;
	r->body = body;
	r->len = len;
	r->records_left = wire_get_u32(&w);
	r->off = w.off;
	return 0;
}

int ibvmig_admin_next_record(struct ibvmig_admin_reader *r)
{
	struct wire w = wire_at((uint8_t *)r->body, r->len);

	/* Skip what the caller left unread of the current record. */
	while (r->fields_left) {
		struct ibvmig_admin_field f;

		if (ibvmig_admin_next_field(r, &f) < 0)
			return -EBADMSG;
	}
	if (!r->records_left)
		return 0;
	w.off = r->off;
	r->fields_left = wire_get_u16(&w);
	r->off = w.off;
	r->records_left--;
	return 1;
}

int ibvmig_admin_next_field(struct ibvmig_admin_reader *r, struct ibvmig_admin_field *f)
{
	struct wire w = wire_at((uint8_t *)r->body, r->len);
	uint8_t len;

	if (!r->fields_left)
		return 0;
	w.off = r->off;
	f->tag = wire_get_u16(&w);
	f->type = wire_get_u8(&w);
	len = wire_get_u8(&w);
	f->len = len;
	f->value = 0;
	f->str[0] = '\0';
	if (f->type == IBVMIG_ADMIN_T_STR) {
		wire_get_bytes(&w, f->str, len);
		f->str[len] = '\0';
	} else {
		f->value = wire_get_uint(&w, len);
	}
	if (w.short_buf)
		return -EBADMSG;
	r->off = w.off;
	r->fields_left--;
	return 1;
}

/* ---- transport ----------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @events on @fd until @deadline; 0 or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int ibvmig_io_write_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int rc;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

int ibvmig_io_read_all(int fd, void *buf, size_t len, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);
		int rc;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;	/* the peer closed mid-message */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

/* True when something accepts connections at @sun: another live server. */
static bool unix_is_served(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool served;

	if (fd < 0)
		return false;
	served = !connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return served;
}

static int unix_remove_stale(const struct sockaddr_un *sun)
{
	struct stat sb;

	if (lstat(sun->sun_path, &sb))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	if (unix_is_served(sun))
		return -EADDRINUSE;
	return unlink(sun->sun_path) ? -errno : 0;
}

int ibvmig_unix_listen(const char *path, unsigned mode, int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	rc = unix_remove_stale(&sun);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, mode) ||
	    listen(fd, backlog)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int admin_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int admin_receive(int fd, int timeout_ms, struct ibvmig_admin_header *h, uint8_t **body,
			 size_t *body_len)
{
	uint8_t hdr[IBVMIG_ADMIN_HEADER_LEN];
	uint8_t *buf = NULL;
	int rc;

	rc = ibvmig_io_read_all(fd, hdr, sizeof(hdr), timeout_ms);
	if (rc)
		return rc == -ECONNRESET ? -EBADMSG : rc;
	if (ibvmig_admin_decode_header(hdr, h) || h->length > IBVMIG_ADMIN_RESPONSE_MAX)
		return -EBADMSG;
	if (h->length) {
		buf = malloc(h->length);
		if (!buf)
			return -ENOMEM;
		rc = ibvmig_io_read_all(fd, buf, h->length, timeout_ms);
		if (rc) {
			free(buf);
			return rc == -ECONNRESET ? -EBADMSG : rc;
		}
	}
	*body = buf;
	*body_len = h->length;
	return 0;
}

int ibvmig_admin_call(const char *path, const struct ibvmig_admin_request *req,
		      int timeout_ms, struct ibvmig_admin_header *h, uint8_t **body,
		      size_t *body_len)
{
	uint8_t msg[IBVMIG_ADMIN_HEADER_LEN + IBVMIG_ADMIN_REQUEST_BODY_MAX];
	int fd, len, rc;

	*body = NULL;
	*body_len = 0;
	len = ibvmig_admin_encode_request(req, msg, sizeof(msg));
	if (len < 0)
		return len;
	fd = admin_connect(path);
	if (fd < 0)
		return fd;
	rc = ibvmig_io_write_all(fd, msg, (size_t)len, timeout_ms);
	if (!rc)
		rc = admin_receive(fd, timeout_ms, h, body, body_len);
	close(fd);
	return rc;
}
