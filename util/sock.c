// SPDX-License-Identifier: BSD-2-Clause
/*
 * sock.c - Unix stream sockets for the admin socket, the agent's sockets and
 * their clients: listening without stealing a live server's path, and
 * full-length I/O with a deadline.
 */
#include "ibvmig_util.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	return util_copy_str(sun->sun_path, sizeof(sun->sun_path), path);
}

/* Waits for @events on @fd until @deadline (monotonic ms); 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int n;

	for (;;) {
		now = util_mono_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int util_write_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	uint64_t deadline = util_mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
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

int util_read_all(int fd, void *buf, size_t len, int timeout_ms)
{
	uint64_t deadline = util_mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
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
			return -ECONNRESET;
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

int util_unix_listen(const char *path, unsigned mode, int backlog)
{
	struct sockaddr_un sun;
	int fd, rc;

	rc = unix_addr(path, &sun);
	if (rc)
		return rc;
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

int util_stream_connect(const struct sockaddr *addr, unsigned addrlen)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	if (connect(fd, addr, addrlen)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int util_unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int rc = unix_addr(path, &sun);

	return rc ? rc : util_stream_connect((struct sockaddr *)&sun, sizeof(sun));
}
