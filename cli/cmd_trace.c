/* bpfbox — cli/cmd_trace.c: `bpfbox trace PROG [options] -- CMD [ARGS...]`.
 *
 * Runs CMD with every program of PROG attached to the syscall event its
 * section names (src/hooks/tracer.c does the tracing).  bpfbox's exit
 * status is CMD's: its exit code, or 128 + N when a signal N killed it (a
 * shell's convention); 127 when CMD cannot be executed.  Signals sent to
 * bpfbox (kill, not the terminal, which signals CMD itself) are forwarded
 * to CMD.  With -p PID bpfbox attaches to a running process instead and
 * detaches on SIGINT/SIGTERM/SIGHUP, leaving it running.
 *
 * The signal handler needs the tracer: the one piece of file-scope state,
 * set while a trace runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "bpfbox/hooks.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"
#include "cli.h"
#include "hookcli.h"

#define CMD "trace"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfbox trace PROG [options] -- CMD [ARGS...]\n"
		"       bpfbox trace PROG [options] -p PID\n"
		"  Runs CMD (or attaches to process PID) with every program of PROG attached to\n"
		"  the syscall event its section names:\n"
		"    tracepoint/syscalls/sys_enter_NAME, tracepoint/syscalls/sys_exit_NAME\n"
		"    tracepoint/raw_syscalls/sys_enter|sys_exit        (tp/ works too)\n"
		"    raw_tp/sys_enter|sys_exit, raw_tracepoint/..., tp_btf/sys_enter|sys_exit\n"
		"  Programs get the kernel's tracepoint record as their context and see the\n"
		"  traced task in helpers (pid, comm, uid, probe_read_user/probe_write_user on\n"
		"  its memory, send_signal).  CMD, its children and threads are traced; only\n"
		"  syscalls with a program attached stop (a seccomp filter), the others run at\n"
		"  full speed.  Programs of other sections are not attached (a note says so).\n"
		"  bpfbox returns when CMD and every process it started have exited.\n"
		"  PROG is an ELF object (clang -O2 -g -target bpf) or a .bpf.c source.\n"
		"  -p PID             attach to every thread of a running process; every\n"
		"                     syscall stops; SIGINT/SIGTERM detach and leave it running\n"
		"  --stats            print stops, runs and detached programs at the end (stderr)\n"
		"%s"
		"  A program that faults or runs out of budget is reported and detached; CMD\n"
		"  continues.  If bpfbox is killed, CMD is killed with it (PTRACE_O_EXITKILL:\n"
		"  without bpfbox its traced syscalls would fail); an attached -p process is\n"
		"  detached by the kernel and runs on.\n"
		"exit status: CMD's exit code (128+N if signal N killed it; 127 if it cannot\n"
		"  be executed); with -p 0 after detaching; 1 the verifier rejected a\n"
		"  program (--no-verify runs it in checked mode); 2 bad input or usage\n",
		hookcli_options_help);
}

/* ---- signals ---------------------------------------------------------------------- */

static struct bpfbox_tracer *volatile g_tracer;
static volatile pid_t g_child;
static volatile sig_atomic_t g_attached;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (g_attached) {
		if (g_tracer && (sig == SIGINT || sig == SIGTERM || sig == SIGHUP))
			bpfbox_tracer__stop(g_tracer);
		return;
	}
	/* A signal the kernel generated for the terminal's foreground group
	 * (Ctrl-C) reached CMD too, and one bpfbox caused itself (SIGPIPE) is
	 * its own; one somebody sent to bpfbox is passed on. */
	if (g_child > 0 && si && si->si_code <= 0 && si->si_pid != getpid())
		kill(g_child, sig);
}

static const int fwd_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				   SIGALRM, SIGWINCH, SIGPIPE };

static void install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: waitpid must see EINTR */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fwd_signals) / sizeof(fwd_signals[0]); i++)
		sigaction(fwd_signals[i], &sa, NULL);
}

static void restore_handlers(void)
{
	for (size_t i = 0; i < sizeof(fwd_signals) / sizeof(fwd_signals[0]); i++)
		signal(fwd_signals[i], SIG_DFL);
}

/* ---- the command ------------------------------------------------------------------------ */

struct trace_ctx {
	struct hookcli *h;
};

static void after_event(void *ud)
{
	struct trace_ctx *C = ud;
	hookcli_drain(C->h);
}

static void on_fault(void *ud, const char *prog, const char *section, int err, const char *msg)
{
	(void)ud;
	(void)err;
	fflush(stdout);
	fprintf(stderr, "bpfbox trace: prog '%s' (%s) detached: %s\n", prog, section, msg);
}

int cmd_trace(int argc, char **argv)
{
	struct hookcli_args A;
	memset(&A, 0, sizeof(A));
	char **cmdv = NULL;
	long pid = 0;
	bool stats = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			cmdv = argv + i + 1;
			if (!*cmdv) {
				cli_err(CMD, "no command after --");
				return CLI_EXIT_USAGE;
			}
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		int r = hookcli_option(CMD, argc, argv, &i, &A);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(a, "-p") || !strcmp(a, "--pid")) {
			char *end;
			if (i + 1 >= argc) {
				cli_err(CMD, "-p needs a process id");
				return CLI_EXIT_USAGE;
			}
			pid = strtol(argv[++i], &end, 10);
			if (*end || pid <= 0) {
				cli_err(CMD, "-p: bad process id '%s'", argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--stats")) {
			stats = true;
		} else if (a[0] == '-' && a[1]) {
			cli_err(CMD, "unknown option '%s' (see bpfbox trace --help)", a);
			return CLI_EXIT_USAGE;
		} else if (!A.path) {
			A.path = a;
		} else {
			cli_err(CMD, "unexpected '%s' (the command goes after --)", a);
			return CLI_EXIT_USAGE;
		}
	}
	if (!A.path) {
		cli_err(CMD, "usage: bpfbox trace PROG [options] -- CMD [ARGS...] (see --help)");
		return CLI_EXIT_USAGE;
	}
	if (!cmdv == !pid) {
		cli_err(CMD, "give either a command after -- or -p PID");
		return CLI_EXIT_USAGE;
	}
	struct hookcli H;
	int rc = hookcli_open(&H, CMD, &A);
	if (rc) {
		hookcli_close(&H);
		return rc;
	}
	struct trace_ctx C = { &H };
	char logbuf[1024] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	/* programs built with CO-RE read the task as the target kernel lays
	 * it out: give them a task_struct with that layout */
	BPFBOX_OPTS(bpfbox_tracer_opts, to, .log = &log, .engine = H.engine,
		    .insn_budget = A.budget, .trace_out = H.trace, .after_event = after_event,
		    .on_fault = on_fault, .ud = &C,
		    .task_btf = bpfbox_object__target_btf(H.obj, NULL));
	struct bpfbox_tracer *T = NULL;
	if (bpfbox_tracer__new(&T, &to)) {
		cli_err(CMD, "out of memory");
		hookcli_close(&H);
		return CLI_EXIT_USAGE;
	}
	rc = CLI_EXIT_USAGE;
	size_t attached = 0;
	for (size_t i = 0; i < bpfbox_object__prog_count(H.obj); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(H.obj, i);
		if (bpfbox_obj_prog__is_function(p))
			continue;
		const char *sec = bpfbox_obj_prog__section(p);
		int ctx = bpfbox_tracer__ctx_size(sec);
		if (ctx == -EOPNOTSUPP) {
			fprintf(stderr, "bpfbox trace: prog '%s' (%s) not attached: not a syscall "
				"tracepoint\n", bpfbox_obj_prog__name(p), sec);
			continue;
		}
		if (ctx < 0) {
			cli_err(CMD, "prog '%s': no tracepoint '%s' (no such x86-64 syscall event)",
				bpfbox_obj_prog__name(p), sec);
			goto out;
		}
		int e = hookcli_prepare(&H, &A, p, bpfbox_obj_prog__type(p), (uint32_t)ctx);
		if (e) {
			rc = e;
			goto out;
		}
		logbuf[0] = 0;
		log.len = 0;
		e = bpfbox_tracer__attach(T, bpfbox_obj_prog__handle(p), sec);
		if (e) {
			logbuf[strcspn(logbuf, "\n")] = 0;
			cli_err(CMD, "%s", logbuf[0] ? logbuf : strerror(-e));
			goto out;
		}
		if (A.verbose)
			fprintf(stderr, "bpfbox trace: prog '%s' attached to %s\n",
				bpfbox_obj_prog__name(p), sec);
		attached++;
	}
	if (!attached) {
		cli_err(CMD, "%s: no program attaches to a syscall tracepoint", A.path);
		goto out;
	}
	install_handlers();
	int e;
	if (pid) {
		g_attached = 1;
		g_tracer = T;
		e = bpfbox_tracer__attach_pid(T, (int)pid);
	} else {
		e = bpfbox_tracer__spawn(T, cmdv);
		g_child = bpfbox_tracer__pid(T);
	}
	if (e) {
		logbuf[strcspn(logbuf, "\n")] = 0;
		cli_err(CMD, "%s", logbuf[0] ? logbuf : strerror(-e));
		restore_handlers();
		goto out;
	}
	int status = 0;
	e = bpfbox_tracer__run(T, &status);
	g_child = 0;
	g_tracer = NULL;
	restore_handlers();
	hookcli_drain(&H);
	if (e) {
		cli_err(CMD, "waiting for the traced command: %s", strerror(-e));
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (pid) {
		rc = WIFEXITED(status) ? WEXITSTATUS(status)
				       : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 0;
	} else if (bpfbox_tracer__exec_errno(T)) {
		cli_err(CMD, "%s: %s", cmdv[0], strerror(bpfbox_tracer__exec_errno(T)));
		rc = 127;
	} else {
		rc = WIFEXITED(status) ? WEXITSTATUS(status)
				       : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
	}
	if (A.dump_maps)
		hookcli_dump_maps(&H, A.json);
	if (stats) {
		struct bpfbox_tracer_stats st = { .sz = sizeof(st) };
		bpfbox_tracer__stats(T, &st);
		fprintf(stderr,
			"bpfbox trace: %llu stops (%llu syscall entries/exits), %llu program runs, "
			"%llu tasks, %llu programs detached\n",
			(unsigned long long)st.stops, (unsigned long long)st.syscall_stops,
			(unsigned long long)st.runs, (unsigned long long)st.tasks,
			(unsigned long long)st.faults);
	}
out:
	fflush(stdout);
	bpfbox_tracer__free(T);
	hookcli_close(&H);
	return rc;
}
