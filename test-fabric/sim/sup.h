/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sup.h - ibvmig-sim's process supervisor: every process the runner starts
 * is its child, known by a pidfd, and cannot outlive it.
 *
 * - The runner is a child subreaper (PR_SET_CHILD_SUBREAPER): whatever a
 *   child leaves behind is re-parented to the runner, reaped by it, and
 *   killed by sup_fini() if still running.
 * - Each child sets PR_SET_PDEATHSIG(SIGKILL) between fork and exec, and
 *   checks that its parent did not die before that: if the runner dies, by
 *   SIGKILL even, the kernel kills its children.
 * - Each child runs in its own process group, so that a Ctrl-C reaches the
 *   runner alone, which then stops everything in order.
 * - Signals go through the pidfd (pidfd_send_signal): never to a PID that
 *   has been reused.  Exits are seen by poll() on the pidfds; SIGCHLD,
 *   SIGINT, SIGTERM and SIGHUP arrive through a signalfd.
 * - A child's stdout and stderr are one pipe that sup_pump() reads: copied
 *   to the child's log file, kept (capture), and cut into lines for the
 *   owner's callback.
 *
 * ERRORS: negative errno values.
 * THREAD SAFETY: single-threaded; everything runs on the runner's thread.
 */
#ifndef IBVMIG_SIM_SUP_H
#define IBVMIG_SIM_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SUP_LINE_MAX 8192
#define SUP_WATCH_MAX 8

struct sup_proc;
typedef void (*sup_line_fn)(void *ctx, struct sup_proc *p, char *line);
typedef void (*sup_fd_fn)(void *ctx, int fd);

struct sup_proc {
	struct sup_proc *next;
	char name[64];
	int rank;		/* sup_stop_all() stops higher ranks first */
	pid_t pid;
	int pidfd;
	int out;		/* read end of stdout+stderr; -1 once at end of file */
	int log;		/* its output is appended there; -1: nowhere */
	bool capture;		/* keep the output in buf */
	char *buf;		/* NUL-terminated */
	size_t len, size;
	char line[SUP_LINE_MAX];
	size_t line_len;
	sup_line_fn on_line;
	void *ctx;
	bool exited;
	int status;		/* as waitpid() gives it */
	uint64_t start_ms, end_ms;	/* wall clock */
};

struct sup_spawn {
	const char *name;
	int rank;
	const char *dir;	/* working directory, created if missing; NULL: the runner's */
	char *const *argv;	/* argv[0]: a path, or a name looked up in PATH */
	/* "K=V" sets K for the child, a bare "K" removes it; NULL-terminated, may be NULL. */
	char *const *env;
	int stdin_fd;		/* -1: /dev/null; the child gets a copy */
	const char *log_path;	/* output appended there; NULL: not kept in a file */
	bool capture;
	sup_line_fn on_line;
	void *ctx;
};

struct sup {
	struct sup_proc *procs;
	int sigfd;
	bool interrupted;	/* SIGINT, SIGTERM or SIGHUP came */
	int signo;
	unsigned orphans;	/* processes re-parented to us and reaped */
	struct {
		int fd;
		sup_fd_fn fn;
		void *ctx;
	} watch[SUP_WATCH_MAX];
	unsigned n_watch;
};

/* Becomes a subreaper and takes SIGCHLD, SIGINT, SIGTERM, SIGHUP through a signalfd. */
int sup_init(struct sup *s);
/* Stops whatever still runs (sup_stop_all), reaps, frees. */
void sup_fini(struct sup *s);

/* Starts a child; *@out stays owned by @s until sup_release(). */
int sup_spawn(struct sup *s, const struct sup_spawn *sp, struct sup_proc **out);
/* Sends @sig through the pidfd; -ESRCH once it has exited. */
int sup_signal(struct sup_proc *p, int sig);
/*
 * One round: waits up to @timeout_ms for output, exits, signals or a watched
 * descriptor, and handles what came.  Returns -EINTR once interrupted.
 */
int sup_pump(struct sup *s, int timeout_ms);
/* Pumps until @p has exited and its output is read, or @timeout_ms: 0 or -ETIMEDOUT. */
int sup_wait(struct sup *s, struct sup_proc *p, int timeout_ms);
/*
 * @sig (SIGTERM, say), then SIGKILL after @grace_ms, and waits; returns its
 * waitpid() status, or -ETIMEDOUT if even SIGKILL did not end it in 5 s.
 */
int sup_stop(struct sup *s, struct sup_proc *p, int sig, int grace_ms);
/* Stops every running child, higher ranks first, each rank with SIGTERM then SIGKILL. */
void sup_stop_all(struct sup *s, int grace_ms);
/* Forgets an exited child (frees it). */
void sup_release(struct sup *s, struct sup_proc *p);
/* Watches @fd for POLLIN in every sup_pump(); @fn reads it. */
int sup_watch(struct sup *s, int fd, sup_fd_fn fn, void *ctx);
void sup_unwatch(struct sup *s, int fd);

bool sup_running(const struct sup_proc *p);
/* "exit 0", "exit 3", "killed by SIGKILL" */
const char *sup_status_str(int status, char *buf, size_t len);

#endif /* IBVMIG_SIM_SUP_H */
