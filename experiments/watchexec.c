/*
 * watchexec: see watchexec.h. Starts, reaps and bounds the action
 * processes; decides nothing about when they fire (experiments/watchthresh).
 */
#include "experiments/watchexec.h"

#include "common/log.h"
#include "common/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The variables we set; inherited ones of these names are replaced. */
static const char *const our_vars[] = {
	"STEALSCOPE_HOST=", "STEALSCOPE_DOMAIN=", "STEALSCOPE_VCPU=", "STEALSCOPE_CPU=",
	"STEALSCOPE_VALUE_PCT=", "STEALSCOPE_THRESHOLD_PCT=", "STEALSCOPE_TIME=",
};
#define NOUR_VARS (sizeof(our_vars) / sizeof(our_vars[0]))

void watchexec_init(struct watchexec *x, const char *cmd, int64_t timeout_ns)
{
	memset(x, 0, sizeof(*x));
	x->cmd = cmd;
	x->timeout_ns = timeout_ns;
}

static int is_ours(const char *entry)
{
	size_t i;

	for (i = 0; i < NOUR_VARS; i++) {
		if (strncmp(entry, our_vars[i], strlen(our_vars[i])) == 0)
			return 1;
	}
	return 0;
}

/* The strings of the action's own variables, allocated in one block. */
struct action_env {
	char **envp;
	char *vars[NOUR_VARS];
	size_t nvars;
};

static void env_free(struct action_env *e)
{
	size_t i;

	for (i = 0; i < e->nvars; i++)
		free(e->vars[i]);
	free(e->envp);
}

/* Add one "NAME=value" to @e. Returns 0 or -ENOMEM. */
__attribute__((format(printf, 2, 3)))
static int add_var(struct action_env *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&e->vars[e->nvars], fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;        /* vasprintf leaves the pointer undefined: not counted */
	e->nvars++;
	return 0;
}

/* Returns 0 or -ENOMEM; env_free() @e either way. */
static int env_build(const struct watchexec_event *ev, struct action_env *e)
{
	char when[32];
	struct tm tm;
	time_t t = (time_t)ev->wall_s;
	size_t n = 0, i, k = 0;
	int err;

	memset(e, 0, sizeof(*e));
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	err = add_var(e, "STEALSCOPE_HOST=%s", ev->host);
	if (!err && ev->domain)
		err = add_var(e, "STEALSCOPE_DOMAIN=%s", ev->domain);
	if (!err && ev->domain)
		err = add_var(e, "STEALSCOPE_VCPU=%d", ev->vcpu);
	if (!err && !ev->domain)
		err = add_var(e, "STEALSCOPE_CPU=%d", ev->cpu);
	if (!err)
		err = add_var(e, "STEALSCOPE_VALUE_PCT=%.1f", ev->value_pct);
	if (!err)
		err = add_var(e, "STEALSCOPE_THRESHOLD_PCT=%g", ev->threshold_pct);
	if (!err)
		err = add_var(e, "STEALSCOPE_TIME=%s", when);
	if (err)
		return err;
	while (environ && environ[n])
		n++;
	e->envp = calloc(n + e->nvars + 1, sizeof(*e->envp));
	if (!e->envp)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!is_ours(environ[i]))
			e->envp[k++] = environ[i];
	}
	for (i = 0; i < e->nvars; i++)
		e->envp[k++] = e->vars[i];
	return 0;
}

static void describe(const struct watchexec_event *ev, char *buf, size_t len)
{
	if (ev->domain)
		snprintf(buf, len, "%s %s vCPU %d: delay %.1f%% above %g%%", ev->host, ev->domain,
			 ev->vcpu, ev->value_pct, ev->threshold_pct);
	else
		snprintf(buf, len, "CPU %d: steal %.1f%% above %g%%", ev->cpu, ev->value_pct,
			 ev->threshold_pct);
}

/* posix_spawn() of /bin/sh -c CMD with @envp. Returns 0 or -errno. */
static int spawn_shell(const char *cmd, char **envp, pid_t *pid)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t a;
	sigset_t none, dflt;
	int err;

	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGQUIT);
	err = posix_spawnattr_init(&a);
	if (err)
		return -err;
	err = posix_spawn_file_actions_init(&fa);
	if (err) {
		posix_spawnattr_destroy(&a);
		return -err;
	}
	err = posix_spawnattr_setflags(&a, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						   POSIX_SPAWN_SETSIGDEF);
	if (!err)
		err = posix_spawnattr_setpgroup(&a, 0);
	if (!err)
		err = posix_spawnattr_setsigmask(&a, &none);
	if (!err)
		err = posix_spawnattr_setsigdefault(&a, &dflt);
	if (!err)
		err = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	if (!err)
		err = posix_spawn(pid, "/bin/sh", &fa, &a, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&a);
	return -err;
}

int watchexec_start(struct watchexec *x, const struct watchexec_event *ev, int64_t now_ns)
{
	struct watchexec_child *c;
	struct action_env env;
	char what[WATCHEXEC_WHAT_MAX];
	pid_t pid;
	int err;

	describe(ev, what, sizeof(what));
	if (x->nrunning >= WATCHEXEC_MAX_RUNNING) {
		x->skipped++;
		log_warn("action for %s not started: %d actions still run", what,
			 WATCHEXEC_MAX_RUNNING);
		return -EBUSY;
	}
	err = env_build(ev, &env);
	if (!err)
		err = spawn_shell(x->cmd, env.envp, &pid);
	env_free(&env);
	if (err) {
		x->failed++;
		log_warn("action for %s: cannot start /bin/sh: %s", what, strerror(-err));
		return err;
	}
	c = &x->run[x->nrunning++];
	c->pid = pid;
	c->deadline_ns = now_ns + x->timeout_ns;
	c->killed = 0;
	snprintf(c->what, sizeof(c->what), "%s", what);
	x->started++;
	log_info("action for %s started (pid %d)", what, (int)pid);
	return 0;
}

static void log_end(struct watchexec *x, const struct watchexec_child *c, int status)
{
	if (c->killed) {
		x->failed++;
		log_warn("action for %s killed after its time limit", c->what);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("action for %s: exit status 0", c->what);
	} else if (WIFEXITED(status)) {
		x->failed++;
		log_warn("action for %s: exit status %d", c->what, WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		x->failed++;
		log_warn("action for %s: killed by signal %d", c->what, WTERMSIG(status));
	}
}

/* Reap child @i if it ended (blocking when @block); 1 if it is gone. */
static int reap_one(struct watchexec *x, unsigned i, int block)
{
	struct watchexec_child *c = &x->run[i];
	int status = 0;
	pid_t r;

	do {
		r = waitpid(c->pid, &status, block ? 0 : WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r > 0)
		log_end(x, c, status);
	/* r < 0: not our child any more (ECHILD); forget it either way */
	x->run[i] = x->run[--x->nrunning];
	return 1;
}

static void kill_group(struct watchexec_child *c)
{
	if (!c->killed) {
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);  /* in case it left its group */
		c->killed = 1;
	}
}

void watchexec_reap(struct watchexec *x, int64_t now_ns)
{
	unsigned i = 0;

	while (i < x->nrunning) {
		if (reap_one(x, i, 0))
			continue;
		if (now_ns >= x->run[i].deadline_ns)
			kill_group(&x->run[i]);
		i++;
	}
}

void watchexec_finish(struct watchexec *x, int64_t grace_ns)
{
	int64_t deadline = mono_ns() + grace_ns;
	unsigned i;

	while (x->nrunning && mono_ns() < deadline) {
		watchexec_reap(x, mono_ns());
		if (x->nrunning)
			usleep(10000);
	}
	for (i = 0; i < x->nrunning; i++)
		kill_group(&x->run[i]);
	while (x->nrunning)
		reap_one(x, 0, 1);
}
