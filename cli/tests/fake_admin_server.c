// SPDX-License-Identifier: BSD-2-Clause
/*
 * fake_admin_server - answers one connection on an admin socket the way a
 * broken or foreign peer would, so that the CLI's handling of every bad
 * answer is tested without an SM.
 *
 * usage: fake_admin_server PATH MODE
 *   garbage   bytes that are not our protocol
 *   short     a header that promises more body than it sends, then hangs up
 *   silent    reads the request and never answers (the client must time out)
 *   refuse    a well-formed answer with status "not found"
 *   future    a valid answer with a field tag this CLI does not know
 *   malformed a header with a body that is not a record list
 * It prints "ready" on stdout once it listens.
 */
#include "ibvmig_admin.h"
#include "ibvmig_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 1)) {
		perror(path);
		exit(1);
	}
	return fd;
}

static void reply(int fd, const void *buf, size_t len)
{
	if (util_write_all(fd, buf, len, 2000))
		fprintf(stderr, "fake_admin_server: write failed\n");
}

static void answer_future(int fd, uint8_t op)
{
	struct ibvmig_rec_writer w;
	uint8_t *msg;
	size_t len;

	ibvmig_admin_writer_init(&w);
	ibvmig_rec_begin(&w);
	ibvmig_rec_put_guid(&w, IBVMIG_TAG_VGUID, 0x0002c903abcd0001ULL);
	ibvmig_rec_put_uint(&w, 999, 7);	/* unknown to this CLI */
	ibvmig_rec_put_str(&w, IBVMIG_TAG_SM_STATE, "say \"hi\"\n");
	if (!ibvmig_admin_writer_finish(&w, op, 0, &msg, &len)) {
		reply(fd, msg, len);
		free(msg);
	}
}

static void answer(int fd, const char *mode)
{
	uint8_t req[IBVMIG_ADMIN_HEADER_LEN], hdr[IBVMIG_ADMIN_HEADER_LEN];
	struct ibvmig_admin_header h = { 0 };

	if (util_read_all(fd, req, sizeof(req), 2000))
		return;
	ibvmig_admin_decode_header(req, &h);
	if (!strcmp(mode, "garbage")) {
		reply(fd, "HTTP/1.0 400 Bad Request\r\n\r\n", 28);
	} else if (!strcmp(mode, "short")) {
		h.length = 100;
		ibvmig_admin_encode_header(&h, hdr);
		reply(fd, hdr, sizeof(hdr));
	} else if (!strcmp(mode, "silent")) {
		sleep(3);
	} else if (!strcmp(mode, "refuse")) {
		h.status = IBVMIG_ADMIN_E_NOT_FOUND;
		h.length = 0;
		ibvmig_admin_encode_header(&h, hdr);
		reply(fd, hdr, sizeof(hdr));
	} else if (!strcmp(mode, "future")) {
		answer_future(fd, h.op);
	} else {
		uint8_t msg[IBVMIG_ADMIN_HEADER_LEN + 6] = { 0 };

		h.length = 6;	/* one record that claims 9 fields and has none */
		ibvmig_admin_encode_header(&h, msg);
		msg[IBVMIG_ADMIN_HEADER_LEN + 3] = 1;
		msg[IBVMIG_ADMIN_HEADER_LEN + 5] = 9;
		reply(fd, msg, sizeof(msg));
	}
}

int main(int argc, char **argv)
{
	int lfd, fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fake_admin_server PATH MODE\n");
		return 2;
	}
	alarm(30);	/* a test that fails midway leaves no server behind for long */
	lfd = listen_on(argv[1]);
	printf("ready\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd >= 0) {
		answer(fd, argv[2]);
		close(fd);
	}
	close(lfd);
	unlink(argv[1]);
	return 0;
}
