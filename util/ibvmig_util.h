/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_util.h - libibvmig-util, the helpers every other part of ibvmig
 * shares and none owns: clocks, strict number and GUID parsing, the default
 * paths, one logger for the programs, and blocking socket I/O with a
 * deadline.  It sits below every wire format (libibvmig/) and knows nothing
 * of InfiniBand.
 *
 * ERRORS: functions that can fail return 0 (or a descriptor) or a negative
 * errno value; none prints except util_log(), none exits.
 * THREAD SAFETY: everything is safe from any thread; util_log_init() is
 * meant to run once, before the program starts its threads.
 */
#ifndef IBVMIG_UTIL_H
#define IBVMIG_UTIL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- default paths (each is documented in the man page of what uses it) ---- */

/* The plugin's admin socket: ibvmig.conf(5) admin_socket, ibvmig(8) -S. */
#define IBVMIG_ADMIN_SOCKET_DEFAULT "/var/run/opensm-ibvmig.sock"
/*
 * The agents' sockets, ibvmigd(8) and ibvmig-host(8): one directory per CA
 * port, "mlx5_0-1", as systemd's ibvmigd@mlx5_0-1.service names its runtime
 * directory (an instance's own: stopping one agent removes nothing of another).
 */
#define IBVMIG_RUN_DIR "/run/ibvmig"
#define IBVMIG_AGENT_DIR_FMT IBVMIG_RUN_DIR "/%s-%d"	/* CA, port */
#define IBVMIG_AGENT_VM_SOCKET "vm.sock"
#define IBVMIG_AGENT_HOST_SOCKET "ibvmigd.sock"

/* ---- clocks ---------------------------------------------------------------- */

/* CLOCK_REALTIME in ms: stamps that must mean the same after a restart. */
uint64_t util_wall_ms(void);
uint64_t util_wall_ns(void);
/* ...in us: the times of the JSON event lines and of an attach's Set (set_us). */
uint64_t util_wall_us(void);
/* CLOCK_MONOTONIC: intervals and deadlines. */
uint64_t util_mono_ms(void);
uint64_t util_mono_ns(void);

/* ---- numbers ----------------------------------------------------------------- */

/*
 * A whole string as an unsigned number in [@min, @max]: @base as strtoull
 * (0: "0x" hex, leading-0 octal, else decimal).  Nothing but the digits is
 * accepted - no sign, no space before or after, no empty string - so that
 * " 0x12" and "0x12 " are refused alike.  0, -EINVAL (not a number) or
 * -ERANGE (outside the bounds).
 */
int util_parse_uint(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out);
/* A GUID: as util_parse_uint with base 0, and never 0 (no port has GUID 0). */
int util_parse_guid(const char *s, uint64_t *out);
/*
 * Exactly 2 * @n hex digits (either case, nothing else) into @n bytes, the
 * first two digits the first byte: 0 or -EINVAL (then @out is unchanged).
 */
int util_parse_hex(const char *s, uint8_t *out, size_t n);
/* @n bytes as 2 * @n lower-case hex digits and a NUL into @out (2 * @n + 1 bytes). */
void util_format_hex(const uint8_t *in, size_t n, char *out);
/* A copy into @dst that must fit whole and be non-empty: 0 or -ENAMETOOLONG/-EINVAL. */
int util_copy_str(char *dst, size_t len, const char *src);

/* ---- the programs' logger ------------------------------------------------------ */

/* Levels, shared with the plugin's log_level (ibvmig.conf(5)). */
enum util_log_level {
	UTIL_LOG_ERROR = 0,
	UTIL_LOG_INFO = 1,
	UTIL_LOG_VERBOSE = 2,
	UTIL_LOG_DEBUG = 3,
};

/* Names the program in every line; lines above @level are not written. */
void util_log_init(const char *tag, int level);
int util_log_level(void);
/*
 * One line on stderr, "HH:MM:SS.mmm TAG: text", written with one write so
 * that the lines of several threads never interleave.  Every error carries
 * a code of ibvmig's own, ERR XXYY before its text: doc/log-codes.md.
 */
void util_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- sockets --------------------------------------------------------------------- */

/*
 * Listen on a Unix stream socket at @path with permissions @mode, non-blocking
 * and close-on-exec.  A stale socket left by a dead server is replaced; a
 * socket some process still serves (-EADDRINUSE) and a file that is not a
 * socket (-EEXIST) are left alone.  Returns the descriptor or -errno.
 */
int util_unix_listen(const char *path, unsigned mode, int backlog);
/* Connects to a Unix stream socket: the descriptor (close-on-exec) or -errno. */
int util_unix_connect(const char *path);
/* The same for any stream address (AF_VSOCK from a guest, say). */
struct sockaddr;
int util_stream_connect(const struct sockaddr *addr, unsigned addrlen);

/*
 * Blocking full-length I/O on a socket with a deadline: 0, -ETIMEDOUT,
 * -ECONNRESET (the peer closed mid-message) or -errno.
 */
int util_write_all(int fd, const void *buf, size_t len, int timeout_ms);
int util_read_all(int fd, void *buf, size_t len, int timeout_ms);

/* ---- a daemon's signals (signals.c) ------------------------------------------ */

/*
 * TERM and INT end a daemon, HUP is ignored, SIGUSR2 is its own threads'
 * request to stop; SIGPIPE is ignored.  util_signals_block() runs in main()
 * before any thread starts (umad2sim starts one when a port opens), so that
 * only the main thread's util_signals_wait() takes them.
 */
struct util_signals {
	sigset_t set;
	pthread_t main;		/* the thread that called util_signals_block() */
};
void util_signals_block(struct util_signals *sg);
/* From any thread, after setting *stop: ends the main thread's wait. */
void util_signals_wake(const struct util_signals *sg);
/* Until TERM or INT, or SIGUSR2 with *stop set: the signal. */
int util_signals_wait(const struct util_signals *sg, atomic_bool *stop);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_UTIL_H */
