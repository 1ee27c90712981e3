// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_conf.c - libFuzzer harness of the plugin's configuration parser
 * (ibvmig_conf.h, ibvmig.conf(5)).  The input is the file: parsed as a
 * string, and loaded as a file (a memfd named by /proc/self/fd, so no disk
 * is touched).
 *
 * Invariants: all or nothing - an error is -EINVAL with the defaults left
 * in every field and a message "NAME:LINE: ..." that fits the buffer (a short
 * buffer gets a prefix of it, none at all is fine); a success leaves no
 * message and only values ibvmig.conf(5) allows, and the configuration
 * written back as a file parses to the very same one.  Loading the file
 * gives what parsing its text gives, except that a NUL before its last byte
 * makes it "not a text file".
 */
#include "fuzz.h"
#include "ibvmig_conf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NAME "fuzz.conf"

/* ibvmig.conf(5) limits. */
#define CAPACITY_MAX ((1u << 24) - 2)
#define SAVE_DELAY_MAX 60000

static void check_values(const struct ibvmig_conf *c)
{
	unsigned i;

	FUZZ_CHECK(c->trap_ttl_ms % 1000 == 0);
	FUZZ_CHECK(c->trap_capacity >= 1 && c->trap_capacity <= CAPACITY_MAX);
	FUZZ_CHECK(c->admin_socket_mode <= 0777 && c->save_delay_ms <= SAVE_DELAY_MAX);
	FUZZ_CHECK(c->log_level <= UTIL_LOG_DEBUG);
	FUZZ_CHECK(memchr(c->state_dir, 0, sizeof(c->state_dir)) &&
		   memchr(c->admin_socket, 0, sizeof(c->admin_socket)));
	FUZZ_CHECK(!c->state_dir[0] || c->state_dir[0] == '/');
	FUZZ_CHECK(c->admin_socket[0] == '/');
	FUZZ_CHECK(c->guard_allow_count <= IBVMIG_CONF_GUARD_ALLOW_MAX);
	for (i = 0; i < c->guard_allow_count; i++)
		FUZZ_CHECK(c->guard_allow[i] != 0);
}

/*
 * Field by field, strings up to their NUL: an option given twice leaves the
 * first value's tail after the second's terminator, which nobody reads.
 */
static bool same_conf(const struct ibvmig_conf *a, const struct ibvmig_conf *b)
{
	return a->trap_ttl_ms == b->trap_ttl_ms && a->trap_capacity == b->trap_capacity &&
	       a->unpath == b->unpath && !strcmp(a->state_dir, b->state_dir) &&
	       !strcmp(a->admin_socket, b->admin_socket) &&
	       a->admin_socket_mode == b->admin_socket_mode && a->alias_guard == b->alias_guard &&
	       a->guard_allow_count == b->guard_allow_count &&
	       !memcmp(a->guard_allow, b->guard_allow,
		       a->guard_allow_count * sizeof(a->guard_allow[0])) &&
	       a->log_level == b->log_level && a->save_delay_ms == b->save_delay_ms;
}

/* @c as ibvmig.conf(5) text; every option is written, so that each is checked. */
static void write_back(const struct ibvmig_conf *c, char *out, size_t len)
{
	static const char *const levels[] = { "error", "info", "verbose", "debug" };
	size_t n = 0;
	unsigned i;

	n += (size_t)snprintf(out + n, len - n,
			      "trap_ttl %" PRIu64 "\ntrap_capacity %u\nunpath %s\n"
			      "admin_socket %s\nadmin_socket_mode %o\nalias_guard %s\n"
			      "log_level %s\nsave_delay_ms %u\n",
			      c->trap_ttl_ms / 1000, c->trap_capacity,
			      c->unpath ? "TRUE" : "FALSE", c->admin_socket,
			      c->admin_socket_mode, c->alias_guard ? "on" : "off",
			      levels[c->log_level], c->save_delay_ms);
	/* "" is the default and cannot be written: an option needs a value. */
	if (c->state_dir[0])
		n += (size_t)snprintf(out + n, len - n, "state_dir %s\n", c->state_dir);
	for (i = 0; i < c->guard_allow_count; i++)
		n += (size_t)snprintf(out + n, len - n, "%s0x%" PRIx64,
				      i ? (i % 4 ? ", " : "\nalias_guard_allow ")
					: "alias_guard_allow ",
				      c->guard_allow[i]);
	snprintf(out + n, len - n, "\n");
	FUZZ_CHECK(n < len);
}

static void check_parse(const char *text, struct ibvmig_conf *c, char *err, int *rc_out)
{
	struct ibvmig_conf defaults, again;
	char small[12], back[4096];
	int rc;

	ibvmig_conf_defaults(&defaults);
	rc = ibvmig_conf_parse(text, NAME, c, err, 256);
	*rc_out = rc;
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK(memchr(err, 0, 256) != NULL);
	/* The same text parses the same way with any message buffer, or none. */
	FUZZ_CHECK(ibvmig_conf_parse(text, NAME, &again, small, sizeof(small)) == rc);
	FUZZ_CHECK(memchr(small, 0, sizeof(small)) && !strncmp(small, err, strlen(small)));
	FUZZ_CHECK(ibvmig_conf_parse(text, NAME, &again, NULL, 0) == rc);
	FUZZ_CHECK(memcmp(&again, c, sizeof(again)) == 0);
	if (rc) {
		FUZZ_CHECK(memcmp(c, &defaults, sizeof(defaults)) == 0);
		FUZZ_CHECK(!strncmp(err, NAME ":", strlen(NAME ":")) && strstr(err, ": ") != NULL);
		return;
	}
	FUZZ_CHECK(err[0] == '\0');
	check_values(c);
	write_back(c, back, sizeof(back));
	rc = ibvmig_conf_parse(back, NAME, &again, err, 256);
	if (rc)
		fprintf(stderr, "written back:\n%s\n%s\n", back, err);
	FUZZ_CHECK(rc == 0 && same_conf(&again, c));
}

/* One memfd for the whole run: its /proc path is the file ibvmig_conf_load() opens. */
static int conf_file(char *path, size_t len)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz_conf", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static void check_load(const uint8_t *data, size_t size, const char *text, int parse_rc,
		       const struct ibvmig_conf *parsed)
{
	struct ibvmig_conf c, other;
	char path[64], err[256], name_err[256];
	const uint8_t *nul = memchr(data, 0, size);
	int fd = conf_file(path, sizeof(path)), rc;

	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return;
	rc = ibvmig_conf_load(path, &c, err, sizeof(err));
	if (nul && nul != data + size - 1) {
		ibvmig_conf_defaults(&other);
		FUZZ_CHECK(rc == -EINVAL && memcmp(&c, &other, sizeof(c)) == 0);
		FUZZ_CHECK(strstr(err, "not a text file") != NULL);
		return;
	}
	/* The file is named in the messages: parse again under its name to compare. */
	FUZZ_CHECK(rc == parse_rc);
	FUZZ_CHECK(ibvmig_conf_parse(text, path, &other, name_err, sizeof(name_err)) == rc);
	FUZZ_CHECK(strcmp(err, name_err) == 0);
	FUZZ_CHECK(memcmp(&c, parsed, sizeof(c)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ibvmig_conf c;
	char err[256];
	char *text;
	int rc;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_parse(text, &c, err, &rc);
	check_load(data, size, text, rc, &c);
	free(text);
	return 0;
}
