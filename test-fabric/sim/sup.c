// SPDX-License-Identifier: BSD-2-Clause
/*
 * sup.c - ibvmig-sim's process supervisor (sup.h): fork with a death
 * signal, pidfds, a signalfd, and one poll loop for every child's output.
 */
#include "sup.h"

#include "ibvmig_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define POLL_MAX 1024	/* two per child: 31 VMs on each of 8 hosts, and the rest */
#define KILL_WAIT_MS 5000

static sigset_t taken;		/* the signals the signalfd takes */
static sigset_t before;		/* the mask the runner started with: its children get it back */

int sup_init(struct sup *s)
{
	memset(s, 0, sizeof(*s));
	/* Whatever our children leave behind (a daemon's fork, a wrapper's child) is ours. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		return -errno;
	sigemptyset(&taken);
	sigaddset(&taken, SIGCHLD);
	sigaddset(&taken, SIGINT);
	sigaddset(&taken, SIGTERM);
	sigaddset(&taken, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &taken, &before))
		return -errno;
	s->sigfd = signalfd(-1, &taken, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return -errno;
	/* A child that closes its end of a console or a socket must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

bool sup_running(const struct sup_proc *p)
{
	return p && !p->exited;
}

const char *sup_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?
			 sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
	return buf;
}

/* ---- starting ---------------------------------------------------------------------------- */

static bool env_named(const char *entry, const char *spec)
{
	size_t n = strcspn(spec, "=");

	return !strncmp(entry, spec, n) && entry[n] == '=';
}

/* The child's environment: ours, less what @spec overrides or removes, plus its K=V. */
static char **child_env(char *const *spec)
{
	size_t n = 0, m = 0, i, j;
	char **env;

	while (environ[n])
		n++;
	while (spec && spec[m])
		m++;
	env = calloc(n + m + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0, n = 0; environ[i]; i++) {
		for (j = 0; j < m && !env_named(environ[i], spec[j]); j++)
			;
		if (j == m)
			env[n++] = environ[i];
	}
	for (j = 0; j < m; j++)
		if (strchr(spec[j], '='))
			env[n++] = spec[j];
	env[n] = NULL;
	return env;
}

/* In the child: never returns. */
static void __attribute__((noreturn))
child(const struct sup_spawn *sp, pid_t parent, int in, int out, char **env)
{
	static const char msg[] = "ibvmig-sim: cannot start the program\n";
	int sig;

	/* The runner's signals back to their defaults before anything can arrive. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &before, NULL);
	setpgid(0, 0);
	/* The runner may die between fork and here: then nobody would kill us later. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	/* Nothing of the runner's (the console FIFO's write end above all) leaks to a child. */
	close_range(3, ~0u, 0);
	if (sp->dir && chdir(sp->dir))
		_exit(126);
	if (strchr(sp->argv[0], '/'))
		execve(sp->argv[0], sp->argv, env);
	else
		execvpe(sp->argv[0], sp->argv, env);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

static int open_log(const char *path)
{
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return fd < 0 ? -errno : fd;
}

int sup_spawn(struct sup *s, const struct sup_spawn *sp, struct sup_proc **out)
{
	struct sup_proc *p = calloc(1, sizeof(*p));
	int pipefd[2] = { -1, -1 }, in = -1, rc;
	char **env = NULL;
	pid_t pid, me = getpid();

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->out = p->log = p->pidfd = -1;
	snprintf(p->name, sizeof(p->name), "%s", sp->name);
	p->rank = sp->rank;
	p->capture = sp->capture;
	p->on_line = sp->on_line;
	p->ctx = sp->ctx;
	rc = -ENOMEM;
	env = child_env(sp->env);
	if (!env)
		goto fail;
	if (sp->dir && mkdir(sp->dir, 0755) && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	p->log = open_log(sp->log_path);
	if (p->log < -1) {
		rc = p->log;
		p->log = -1;
		goto fail;
	}
	in = sp->stdin_fd >= 0 ? sp->stdin_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || pipe2(pipefd, O_CLOEXEC)) {
		rc = -errno;
		goto fail;
	}
	p->start_ms = util_wall_ms();
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto fail;
	}
	if (!pid)
		child(sp, me, in, pipefd[1], env);
	p->pid = pid;
	close(pipefd[1]);
	pipefd[1] = -1;
	p->out = pipefd[0];
	fcntl(p->out, F_SETFL, O_NONBLOCK);
	p->pidfd = pidfd_open(pid, 0);
	if (p->pidfd < 0) {
		/* Cannot happen before we reap it; if it does, kill the child we cannot watch. */
		rc = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p->out);
		p->out = -1;
		goto fail;
	}
	if (sp->stdin_fd < 0)
		close(in);
	free(env);
	p->next = s->procs;
	s->procs = p;
	*out = p;
	return 0;
fail:
	if (in >= 0 && sp->stdin_fd < 0)
		close(in);
	if (pipefd[0] >= 0 && p->out < 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (p->log >= 0)
		close(p->log);
	free(env);
	free(p);
	return rc;
}

int sup_signal(struct sup_proc *p, int sig)
{
	if (p->exited)
		return -ESRCH;
	return pidfd_send_signal(p->pidfd, sig, NULL, 0) ? -errno : 0;
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void keep(struct sup_proc *p, const char *data, size_t n)
{
	char *b;
	size_t size;

	if (p->len + n + 1 > p->size) {
		size = p->size ? p->size : 4096;
		while (size < p->len + n + 1)
			size *= 2;
		b = realloc(p->buf, size);
		if (!b)
			return;		/* a capture cut short; the log file has it all */
		p->buf = b;
		p->size = size;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void lines(struct sup_proc *p, const char *data, size_t n, bool eof)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (data[i] != '\n' && p->line_len < sizeof(p->line) - 1) {
			p->line[p->line_len++] = data[i];
			continue;
		}
		if (data[i] != '\n')
			continue;	/* an over-long line: its end is dropped */
		p->line[p->line_len] = '\0';
		if (p->on_line)
			p->on_line(p->ctx, p, p->line);
		p->line_len = 0;
	}
	if (eof && p->line_len) {
		p->line[p->line_len] = '\0';
		if (p->on_line)
			p->on_line(p->ctx, p, p->line);
		p->line_len = 0;
	}
}

static void drain(struct sup_proc *p)
{
	char data[8192];
	ssize_t n;

	while (p->out >= 0) {
		n = read(p->out, data, sizeof(data));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			lines(p, data, 0, true);
			close(p->out);
			p->out = -1;
			return;
		}
		if (p->log >= 0 && write(p->log, data, (size_t)n) < 0) {
			close(p->log);	/* a full disk: stop copying, keep running */
			p->log = -1;
		}
		if (p->capture)
			keep(p, data, (size_t)n);
		lines(p, data, (size_t)n, false);
	}
}

static struct sup_proc *by_pid(struct sup *s, pid_t pid)
{
	struct sup_proc *p;

	for (p = s->procs; p; p = p->next)
		if (p->pid == pid && !p->exited)
			return p;
	return NULL;
}

/* Reaps every child that has ended, ours or re-parented to us. */
static void reap(struct sup *s)
{
	struct sup_proc *p;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		p = by_pid(s, pid);
		if (!p) {
			s->orphans++;
			continue;
		}
		p->exited = true;
		p->status = status;
		p->end_ms = util_wall_ms();
	}
}

static void signals(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		s->interrupted = true;
		s->signo = (int)si.ssi_signo;
	}
}

int sup_pump(struct sup *s, int timeout_ms)
{
	struct pollfd pfd[POLL_MAX];
	struct sup_proc *who[POLL_MAX];
	unsigned n = 0, i;
	struct sup_proc *p;
	int rc;

	pfd[n] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	who[n++] = NULL;
	for (i = 0; i < s->n_watch; i++) {
		pfd[n] = (struct pollfd){ .fd = s->watch[i].fd, .events = POLLIN };
		who[n++] = NULL;
	}
	for (p = s->procs; p && n + 2 <= POLL_MAX; p = p->next) {
		if (p->out >= 0) {
			pfd[n] = (struct pollfd){ .fd = p->out, .events = POLLIN };
			who[n++] = p;
		}
		if (!p->exited) {
			pfd[n] = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
			who[n++] = p;
		}
	}
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return -errno;
	if (rc > 0 && pfd[0].revents)
		signals(s);
	for (i = 0; rc > 0 && i < s->n_watch; i++)
		if (pfd[1 + i].revents)
			s->watch[i].fn(s->watch[i].ctx, s->watch[i].fd);
	for (i = 1 + s->n_watch; rc > 0 && i < n; i++)
		if (pfd[i].revents && who[i]->out == pfd[i].fd)
			drain(who[i]);
	reap(s);
	return s->interrupted ? -EINTR : 0;
}

int sup_wait(struct sup *s, struct sup_proc *p, int timeout_ms)
{
	uint64_t end = util_mono_ms() + (uint64_t)timeout_ms;
	uint64_t now;

	while (!p->exited || p->out >= 0) {
		now = util_mono_ms();
		if (now >= end)
			return -ETIMEDOUT;
		/* A grandchild that kept the pipe open must not hold us long past the exit. */
		if (p->exited && util_wall_ms() > p->end_ms + 1000) {
			drain(p);
			if (p->out >= 0) {
				close(p->out);
				p->out = -1;
			}
			break;
		}
		if (sup_pump(s, (int)(end - now < 100 ? end - now : 100)) == -EINTR)
			return -EINTR;
	}
	return 0;
}

int sup_stop(struct sup *s, struct sup_proc *p, int sig, int grace_ms)
{
	if (!p->exited) {
		sup_signal(p, sig);
		if (sup_wait(s, p, grace_ms) && !p->exited) {
			sup_signal(p, SIGKILL);
			while (!p->exited && sup_wait(s, p, KILL_WAIT_MS) == -EINTR)
				;
		}
	}
	if (!p->exited)
		return -ETIMEDOUT;
	sup_wait(s, p, 1000);
	return p->status;
}

/* Our children that the kernel knows and we do not (re-parented orphans): SIGKILL each. */
static void kill_strays(struct sup *s)
{
	char path[320], buf[4096], *w, *save;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	FILE *f;
	long pid;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(buf, sizeof(buf), f))
			for (w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
				pid = strtol(w, NULL, 10);
				/* Ours by birth or by re-parenting: they are our descendants. */
				if (pid > 0 && !by_pid(s, (pid_t)pid))
					kill((pid_t)pid, SIGKILL);
			}
		fclose(f);
	}
	closedir(d);
}

/* True while we have a child, ended or not (WNOWAIT: nothing is reaped here). */
static bool have_children(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return !waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
}

void sup_stop_all(struct sup *s, int grace_ms)
{
	struct sup_proc *p;
	int rank, next;
	uint64_t end;
	bool any;

	for (rank = 1 << 30;; rank = next) {
		next = -1;
		any = false;
		/* The highest rank below @rank that still has running children. */
		for (p = s->procs; p; p = p->next)
			if (!p->exited && p->rank < rank && p->rank > next)
				next = p->rank;
		if (next < 0)
			break;
		for (p = s->procs; p; p = p->next)
			if (!p->exited && p->rank == next && !sup_signal(p, SIGTERM))
				any = true;
		end = util_mono_ms() + (uint64_t)grace_ms;
		while (any && util_mono_ms() < end) {
			any = false;
			for (p = s->procs; p; p = p->next)
				any |= !p->exited && p->rank == next;
			if (any)
				sup_pump(s, 50);
		}
		for (p = s->procs; p; p = p->next)
			if (!p->exited && p->rank == next)
				sup_signal(p, SIGKILL);
		end = util_mono_ms() + KILL_WAIT_MS;
		do {
			any = false;
			for (p = s->procs; p; p = p->next)
				any |= !p->exited && p->rank == next;
			if (any)
				sup_pump(s, 50);
		} while (any && util_mono_ms() < end);
	}
	kill_strays(s);
	end = util_mono_ms() + 1000;
	do {
		reap(s);
		if (!have_children())
			break;
		usleep(10000);
	} while (util_mono_ms() < end);
}

void sup_release(struct sup *s, struct sup_proc *p)
{
	struct sup_proc **pp;

	if (!p || !p->exited)
		return;
	for (pp = &s->procs; *pp && *pp != p; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = p->next;
	if (p->out >= 0)
		close(p->out);
	if (p->log >= 0)
		close(p->log);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p->buf);
	free(p);
}

int sup_watch(struct sup *s, int fd, sup_fd_fn fn, void *ctx)
{
	if (s->n_watch == SUP_WATCH_MAX)
		return -ENOSPC;
	s->watch[s->n_watch].fd = fd;
	s->watch[s->n_watch].fn = fn;
	s->watch[s->n_watch].ctx = ctx;
	s->n_watch++;
	return 0;
}

void sup_unwatch(struct sup *s, int fd)
{
	unsigned i;

	for (i = 0; i < s->n_watch; i++)
		if (s->watch[i].fd == fd) {
			s->watch[i] = s->watch[--s->n_watch];
			return;
		}
}

void sup_fini(struct sup *s)
{
	struct sup_proc *p;

	sup_stop_all(s, 2000);
	while ((p = s->procs)) {
		if (!p->exited) {
			/* Not even SIGKILL ended it (a process in D state): leave it, forget it. */
			s->procs = p->next;
			free(p->buf);
			free(p);
			continue;
		}
		sup_release(s, p);
	}
	if (s->sigfd >= 0)
		close(s->sigfd);
	s->sigfd = -1;
	sigprocmask(SIG_SETMASK, &before, NULL);
}
