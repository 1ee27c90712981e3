// SPDX-License-Identifier: BSD-2-Clause
/*
 * admin_raw_client - sends raw bytes to an admin socket, the way a broken or
 * hostile client would, and prints what came back:
 *   "status=N op=N length=N"   a well-formed answer header
 *   "closed"                   the server hung up without an answer
 *   "timeout"                  nothing within 5 s
 *
 * usage: admin_raw_client PATH HEX [--hold S]
 *   HEX     the bytes to send, e.g. 49564d41010100000000000000 ("" sends nothing)
 *   --hold  keep the connection open S seconds before reading (a slow client)
 */
#include "ibvmig_admin.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned byte;

	while (hex[0] && hex[1] && n < max && sscanf(hex, "%2x", &byte) == 1) {
		out[n++] = (uint8_t)byte;
		hex += 2;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t msg[4096], hdr[IBVMIG_ADMIN_HEADER_LEN];
	struct ibvmig_admin_header h;
	size_t len;
	int fd, rc;

	if (argc != 3 && !(argc == 5 && !strcmp(argv[3], "--hold"))) {
		fprintf(stderr, "usage: admin_raw_client PATH HEX [--hold S]\n");
		return 2;
	}
	len = parse_hex(argv[2], msg, sizeof(msg));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		perror(argv[1]);
		return 1;
	}
	if (len && util_write_all(fd, msg, len, 5000))
		fprintf(stderr, "admin_raw_client: write failed\n");
	if (argc == 5)
		sleep((unsigned)atoi(argv[4]));
	rc = util_read_all(fd, hdr, sizeof(hdr), 5000);
	if (rc == -ETIMEDOUT)
		printf("timeout\n");
	else if (rc)
		printf("closed\n");
	else if (ibvmig_admin_decode_header(hdr, &h))
		printf("not-ours\n");
	else
		printf("status=%u op=%u length=%u\n", h.status, h.op, h.length);
	close(fd);
	return 0;
}
