// SPDX-License-Identifier: BSD-2-Clause
/*
 * vmc_raw_client - writes raw bytes to a VM channel socket, as a broken or
 * hostile VM would, and says what the agent did: one line per message back,
 * "reply type=0xTT id=N status=S", then "closed" when the agent hung up or
 * "open" when it still listened 2 s after its last message.
 *
 * usage: vmc_raw_client PATH HEX
 */
#include "ibvmig_vmchan.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	char pair[3] = { 0 };
	size_t n;

	for (n = 0; n < max && hex[2 * n] && hex[2 * n + 1]; n++) {
		memcpy(pair, hex + 2 * n, 2);
		out[n] = (uint8_t)strtoul(pair, NULL, 16);
	}
	return n;
}

/* Prints each whole message at @buf; returns the bytes used. */
static size_t show(const uint8_t *buf, size_t have)
{
	struct ibvmig_vmc_msg m;
	size_t need, used = 0;
	int len;

	while ((len = ibvmig_vmc_frame(buf + used, have - used, &need)) > 0) {
		if (ibvmig_vmc_decode(buf + used, (size_t)len, &m))
			printf("undecodable\n");
		else
			printf("reply type=0x%02x id=%u status=%u\n", m.type, m.id, m.status);
		used += (size_t)len;
	}
	return len < 0 ? have : used;
}

int main(int argc, char **argv)
{
	static uint8_t out[IBVMIG_VMC_MSG_MAX + 64], in[IBVMIG_VMC_MSG_MAX];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len, have = 0;
	struct pollfd p;
	ssize_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: vmc_raw_client PATH HEX\n");
		return 2;
	}
	len = unhex(argv[2], out, sizeof(out));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	p.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	p.events = POLLIN;
	if (p.fd < 0 || connect(p.fd, (struct sockaddr *)&sun, sizeof(sun))) {
		perror(argv[1]);
		return 1;
	}
	if (len && util_write_all(p.fd, out, len, 2000))
		printf("write failed\n");
	while (poll(&p, 1, 2000) > 0) {
		n = read(p.fd, in + have, sizeof(in) - have);
		if (n <= 0) {
			printf("closed\n");
			return 0;
		}
		have += (size_t)n;
		len = show(in, have);
		memmove(in, in + len, have - len);
		have -= len;
	}
	printf("open\n");
	return 0;
}
