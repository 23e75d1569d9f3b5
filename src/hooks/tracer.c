/* bpfbox — hooks/tracer.c: run eBPF programs on a command's syscalls.
 *
 * The kernel runs a program attached to tracepoint/syscalls/sys_enter_read
 * each time a task enters read().  This file does the same in user space,
 * for one command and everything it starts, with ptrace:
 *
 *   spawn    fork; the child blocks on a pipe until bpfbox has
 *            PTRACE_SEIZEd it (EXITKILL | TRACESECCOMP | TRACESYSGOOD |
 *            TRACEFORK | TRACEVFORK | TRACECLONE | TRACEEXEC), then installs
 *            a seccomp filter and execs the command.  The filter returns
 *            SECCOMP_RET_TRACE for exactly the syscalls some program is
 *            attached to (all of them when a raw_syscalls or raw_tp program
 *            is attached) and SECCOMP_RET_ALLOW otherwise.  Because it
 *            depends only on the architecture and the number, the kernel's
 *            seccomp action cache answers untraced syscalls without even
 *            running it: they cost (almost) nothing.  Filter and ptrace
 *            options are inherited, so children, threads and exec'd
 *            programs are all traced;
 *   entry    a traced syscall stops in a PTRACE_EVENT_SECCOMP stop: one
 *            PTRACE_GETREGS, then the sys_enter programs run.  If a sys_exit
 *            program wants this syscall, the task is resumed with
 *            PTRACE_SYSCALL and stops once more at the syscall's exit;
 *            otherwise PTRACE_CONT lets it run on;
 *   exit     the syscall-exit stop (SIGTRAP | 0x80): rax is the return
 *            value, the sys_exit programs run, PTRACE_CONT;
 *   attach   (-p PID) every thread is PTRACE_SEIZEd and interrupted.  No
 *            filter can be put into a running process — it would outlive
 *            bpfbox, and SECCOMP_RET_TRACE without a tracer fails the
 *            syscall with ENOSYS — so the process stops at every syscall
 *            entry and exit (PTRACE_SYSCALL; PTRACE_GET_SYSCALL_INFO tells
 *            which) and the ones without programs are resumed at once.
 *            bpfbox_tracer__stop() detaches cleanly.
 *
 * What a program sees.  Its context is the kernel's record for the event
 * (tpformat.c), in a buffer of this tracer, read-only.  Raw tracepoint
 * programs get { u64 regs; u64 id (sys_enter) or ret (sys_exit) } where
 * regs points to a copy of the task's struct pt_regs (the first 21 words
 * of user_regs_struct are pt_regs).  The helpers' "current task" is the
 * traced thread (struct bpfbox_hook_env): its pid/tgid, uid/gid and comm
 * (read from /proc when bpfbox first sees the thread and after each exec),
 * its memory for probe_read_user (process_vm_readv; kernel reads see the
 * program's own memory, see tr_read_mem) and probe_write_user
 * (process_vm_writev; an unmapped or read-only address is -EFAULT, as the
 * kernel's copy_to_user_nofault says), send_signal (kill / tgkill: the
 * signal is delivered when the task resumes), get_stack (user stacks
 * by frame pointers), get_current_task (a struct bpfbox_task_view, or —
 * given the BTF the object's CO-RE relocations used — a task_struct laid
 * out by that BTF, with its parent and credentials: taskview.c).
 *
 * Failures.  A program that stops with an error (checked-mode fault,
 * budget) is reported (on_fault) and detached from every event; the
 * command continues.  Every stop is resumed before the next wait, so no
 * task is ever left stopped by bpfbox.  If bpfbox dies, PTRACE_O_EXITKILL
 * kills the spawned command and its descendants: without their tracer,
 * their traced syscalls would fail with ENOSYS, and a killed command is
 * better than a silently broken one.  An attached (-p) process is not
 * killed: the kernel detaches it and it runs on (it has no filter).
 *
 * Signals.  A signal the command receives is a signal-delivery stop and is
 * passed on; group stops (SIGSTOP, SIGTSTP, ...) are honoured with
 * PTRACE_LISTEN.  Forwarding bpfbox's own signals to the command is the
 * caller's job (cli/cmd_trace.c does it).
 *
 * Limits: x86-64 syscalls only (32-bit int 0x80 and x32 syscalls pass
 * untraced); uid/gid and comm changes without an exec (setuid, prctl
 * PR_SET_NAME) are seen at the next exec; one tracer per process at a time
 * (ptrace's rule: a task has one tracer).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "hooks_int.h"

#ifndef __x86_64__
#error "the syscall tracer supports x86-64 only"
#endif

#define X32_SYSCALL_BIT 0x40000000u
#define PT_REGS_WORDS 21 /* struct pt_regs == the first 21 words of user_regs_struct */
#define TASK_STRUCT_SPAN 16384 /* reads this far past the task view are task_struct reads */

struct tr_prog {
	struct bpfbox_prog *prog;
	char *section;
	int kind, nr;
	bool detached;
};

/* Indices of the programs attached to one event. */
struct tr_list {
	uint32_t *idx;
	uint32_t n, cap;
};

struct tr_task {
	pid_t tid, tgid, ppid;
	uint32_t uid, gid;
	uint64_t cgroup_id;
	char comm[16];
	bool info;       /* /proc facts read */
	bool want_exit;  /* resume with PTRACE_SYSCALL until the exit stop */
	int nr;          /* syscall in progress (-1 none) */
};

struct bpfbox_tracer {
	/* options */
	struct bpfbox_log *log;
	int engine;
	uint64_t budget;
	FILE *trace_out;
	void (*after_event)(void *ud);
	void (*on_fault)(void *ud, const char *prog, const char *section, int err,
			 const char *msg);
	void *ud;
	bool all_syscalls;

	/* attachments */
	struct tr_prog *progs;
	size_t nprogs, pcap;
	struct tr_list enter[HK_NR_MAX], exit[HK_NR_MAX];
	struct tr_list raw[4]; /* HK_RAW_ENTER .. HK_RAWTP_EXIT, minus HK_RAW_ENTER */
	uint16_t enter_type[HK_NR_MAX], exit_type[HK_NR_MAX], raw_type[2];

	/* tasks */
	struct tr_task *tasks;
	size_t ntasks, tcap;
	size_t last;      /* index of the last task found (lookup cache) */
	pid_t main_pid;
	int main_status;
	bool main_done;
	bool started, attached_mode;
	volatile sig_atomic_t stop_req;
	int errpipe;      /* spawn: the child's exec errno arrives here */
	int exec_errno;

	/* the event being handled */
	struct tr_task *cur;
	struct user_regs_struct regs;
	uint64_t rec[HK_TP_MAX_SIZE / 8];
	struct {
		uint64_t args[2];
		uint64_t regs[PT_REGS_WORDS];
	} rawctx;
	struct bpfbox_task_view view;
	struct hk_taskview *tv;   /* a task_struct laid out by opts->task_btf, or NULL */
	struct bpfbox_hook_env hook;
	char runbuf[512];
	struct bpfbox_log runlog;

	struct bpfbox_tracer_stats st;
};

static const int raw_slot[] = { [HK_RAW_ENTER] = 0, [HK_RAW_EXIT] = 1, [HK_RAWTP_ENTER] = 2,
				[HK_RAWTP_EXIT] = 3 };

/* ---- small things ---------------------------------------------------------------- */

static int list_add(struct tr_list *l, uint32_t v)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 4;
		uint32_t *p = realloc(l->idx, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->idx = p;
		l->cap = cap;
	}
	l->idx[l->n++] = v;
	return 0;
}

static bool list_live(const struct bpfbox_tracer *T, const struct tr_list *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (!T->progs[l->idx[i]].detached)
			return true;
	return false;
}

static struct tr_task *task_find(struct bpfbox_tracer *T, pid_t tid)
{
	if (T->last < T->ntasks && T->tasks[T->last].tid == tid)
		return &T->tasks[T->last];
	for (size_t i = 0; i < T->ntasks; i++)
		if (T->tasks[i].tid == tid) {
			T->last = i;
			return &T->tasks[i];
		}
	return NULL;
}

static struct tr_task *task_add(struct bpfbox_tracer *T, pid_t tid)
{
	struct tr_task *t = task_find(T, tid);
	if (t)
		return t;
	if (T->ntasks == T->tcap) {
		size_t cap = T->tcap ? T->tcap * 2 : 16;
		struct tr_task *p = realloc(T->tasks, cap * sizeof(*p));
		if (!p)
			return NULL;
		T->tasks = p;
		T->tcap = cap;
	}
	t = &T->tasks[T->ntasks++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->tgid = tid;
	t->nr = -1;
	T->st.tasks++;
	return t;
}

static void task_remove(struct bpfbox_tracer *T, pid_t tid)
{
	struct tr_task *t = task_find(T, tid);
	if (!t)
		return;
	*t = T->tasks[--T->ntasks];
	T->last = 0;
}

/* Read what /proc says about a thread (ids, comm). */
static void task_info(struct tr_task *t)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)t->tid);
	if (util_read_small(path, buf, sizeof(buf)) > 0) {
		for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			if (!strncmp(l, "Tgid:", 5))
				t->tgid = (pid_t)strtol(l + 5, NULL, 10);
			else if (!strncmp(l, "PPid:", 5))
				t->ppid = (pid_t)strtol(l + 5, NULL, 10);
			else if (!strncmp(l, "Uid:", 4))
				t->uid = (uint32_t)strtoul(l + 4, NULL, 10);
			else if (!strncmp(l, "Gid:", 4))
				t->gid = (uint32_t)strtoul(l + 4, NULL, 10);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)t->tid);
	char comm[32];
	memset(t->comm, 0, sizeof(t->comm));
	if (util_read_small(path, comm, sizeof(comm)) > 0) {
		comm[strcspn(comm, "\n")] = 0;
		size_t n = strlen(comm);
		memcpy(t->comm, comm, n < sizeof(t->comm) - 1 ? n : sizeof(t->comm) - 1);
	}
	t->cgroup_id = util_task_cgroup_id((uint32_t)t->tid);
	t->info = true;
}

/* ---- the helpers' view of the task -------------------------------------------------- */

static bool in_buf(uint64_t addr, size_t len, const void *buf, size_t size)
{
	uint64_t lo = (uint64_t)(uintptr_t)buf;
	return addr >= lo && len <= size && addr - lo <= size - len;
}

/* Memory a program may read "from the kernel": the views this tracer made
 * (the record, the raw context and its pt_regs, the task view).  Checked
 * first for user reads too, so legacy bpf_probe_read() of the pt_regs
 * pointer of a raw tracepoint works as it does in the kernel. */
static const void *view_at(struct bpfbox_tracer *T, uint64_t addr, size_t len)
{
	if (in_buf(addr, len, &T->rawctx, sizeof(T->rawctx)) ||
	    in_buf(addr, len, &T->view, sizeof(T->view)) ||
	    in_buf(addr, len, T->rec, sizeof(T->rec)))
		return (const void *)(uintptr_t)addr;
	return NULL;
}

static int proc_mem_read(pid_t tid, uint64_t addr, void *dst, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EFAULT;
	ssize_t n = pread(fd, dst, len, (off_t)addr);
	close(fd);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

static int vm_read(pid_t pid, uint64_t addr, void *dst, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM))
		return proc_mem_read(pid, addr, dst, len);
	return -EFAULT;
}

/* User reads go to the traced task, and only there (an address the task
 * has not mapped is -EFAULT, like the kernel's copy_from_user_nofault).
 * "Kernel" reads go to bpfbox's own memory, the program's "kernel": the
 * synthesized task view, the pt_regs copies, and (read by the helpers
 * themselves before they ask) its stack, map values and context.  The
 * helpers pick user or kernel memory the way the kernel does — %s and the
 * legacy probe_read by address — so the program's own memory never needs
 * a user read.  process_vm_readv turns a bad address into -EFAULT instead
 * of a crash, on either side. */
static int tr_read_mem(void *ud, uint64_t addr, void *dst, size_t len, bool user)
{
	struct bpfbox_tracer *T = ud;
	if (!len)
		return 0;
	int tv = hk_taskview_read(T->tv, addr, dst, len);
	if (tv)
		return tv > 0 ? 0 : tv;
	const void *v = view_at(T, addr, len);
	if (v) {
		memcpy(dst, v, len);
		return 0;
	}
	/* a kernel program reading the kernel's task_struct at its offsets
	 * lands past the small task view: fail it, do not read our memory */
	uint64_t task = (uint64_t)(uintptr_t)&T->view;
	if (addr >= task && addr - task < TASK_STRUCT_SPAN)
		return -EFAULT;
	if (user)
		return T->cur ? vm_read(T->cur->tid, addr, dst, len) : -EFAULT;
	return vm_read(getpid(), addr, dst, len);
}

static int tr_write_mem(void *ud, uint64_t addr, const void *src, size_t len)
{
	struct bpfbox_tracer *T = ud;
	if (!T->cur)
		return -EPERM;
	if (!len)
		return 0;
	/* process_vm_writev honours page protections like copy_to_user (no
	 * FOLL_FORCE, unlike /proc/PID/mem): read-only text stays -EFAULT */
	struct iovec local = { (void *)(uintptr_t)src, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_writev(T->cur->tid, &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

static int tr_send_signal(void *ud, uint32_t sig, bool thread)
{
	struct bpfbox_tracer *T = ud;
	if (!T->cur)
		return -EPERM;
	long r = thread ? syscall(SYS_tgkill, T->cur->tgid, T->cur->tid, (int)sig)
			: kill(T->cur->tgid, (int)sig);
	return r ? -errno : 0;
}

/* User stack by frame pointers, like the kernel's perf_callchain_user. */
static int tr_get_stack(void *ud, uint64_t *ips, uint32_t max, bool user)
{
	struct bpfbox_tracer *T = ud;
	if (!user || !T->cur || !max)
		return -EFAULT;
	uint32_t n = 0;
	ips[n++] = T->regs.rip;
	uint64_t fp = T->regs.rbp;
	while (n < max && fp) {
		uint64_t frame[2];
		if (tr_read_mem(T, fp, frame, sizeof(frame), true) || !frame[1])
			break;
		ips[n++] = frame[1];
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
	return (int)n;
}

static void fill_hook(struct bpfbox_tracer *T, struct tr_task *t)
{
	if (!t->info)
		task_info(t);
	T->cur = t;
	struct bpfbox_hook_env *h = &T->hook;
	h->pid = (uint32_t)t->tid;
	h->tgid = (uint32_t)t->tgid;
	h->uid = t->uid;
	h->gid = t->gid;
	memcpy(h->comm, t->comm, sizeof(h->comm));
	h->cgroup_id = t->cgroup_id;
	T->view.pid = (uint32_t)t->tid;
	T->view.tgid = (uint32_t)t->tgid;
	T->view.ppid = (uint32_t)t->ppid;
	T->view.uid = t->uid;
	T->view.gid = t->gid;
	memcpy(T->view.comm, t->comm, sizeof(T->view.comm));
	if (T->tv) {
		struct hk_task_facts f = { (uint32_t)t->tid, (uint32_t)t->tgid, (uint32_t)t->ppid,
					   t->uid, t->gid, { 0 } };
		memcpy(f.comm, t->comm, sizeof(f.comm));
		hk_taskview_fill(T->tv, &f);
	}
}

/* ---- running programs ---------------------------------------------------------------- */

static void fault(struct bpfbox_tracer *T, struct tr_prog *p, int err)
{
	p->detached = true;
	T->st.faults++;
	char *msg = T->runbuf;
	msg[strcspn(msg, "\n")] = 0;
	if (!msg[0])
		snprintf(T->runbuf, sizeof(T->runbuf), "%s", strerror(-err));
	const char *name = bpfbox_prog__name(p->prog);
	if (T->on_fault)
		T->on_fault(T->ud, name, p->section, err, msg);
	else
		bpfbox_log__printf(T->log, BPFBOX_LOG_ERROR, "prog '%s' (%s): %s; detached", name,
				   p->section, msg);
}

static bool run_list(struct bpfbox_tracer *T, const struct tr_list *l, void *ctx, size_t len)
{
	bool ran = false;
	for (uint32_t i = 0; i < l->n; i++) {
		struct tr_prog *p = &T->progs[l->idx[i]];
		if (p->detached)
			continue;
		T->runbuf[0] = 0;
		T->runlog.len = 0;
		BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = ctx, .mem_len = len, .engine = T->engine,
			    .insn_budget = T->budget, .log = &T->runlog, .hook = &T->hook,
			    .ctx_readonly = true);
		uint64_t r0;
		int err = bpfbox_prog__run(p->prog, &ro, &r0);
		T->st.runs++;
		ran = true;
		if (err)
			fault(T, p, err);
	}
	return ran;
}

static void regs_args(const struct user_regs_struct *r, uint64_t a[6])
{
	a[0] = r->rdi;
	a[1] = r->rsi;
	a[2] = r->rdx;
	a[3] = r->r10;
	a[4] = r->r8;
	a[5] = r->r9;
}

static bool run_raw(struct bpfbox_tracer *T, int kind, int nr, const uint64_t args[6], int64_t ret)
{
	bool ran = false;
	const struct tr_list *l = &T->raw[raw_slot[kind]];
	if (l->n) {
		uint32_t sz = hk_tp_build((uint8_t *)T->rec, kind, T->raw_type[kind == HK_RAW_EXIT],
					  (uint32_t)T->cur->tid, nr, args, ret);
		ran |= run_list(T, l, T->rec, sz);
	}
	int rk = kind == HK_RAW_ENTER ? HK_RAWTP_ENTER : HK_RAWTP_EXIT;
	l = &T->raw[raw_slot[rk]];
	if (l->n) {
		memcpy(T->rawctx.regs, &T->regs, sizeof(T->rawctx.regs));
		T->rawctx.args[0] = (uint64_t)(uintptr_t)T->rawctx.regs;
		T->rawctx.args[1] = kind == HK_RAW_ENTER ? (uint64_t)(int64_t)nr : (uint64_t)ret;
		ran |= run_list(T, l, &T->rawctx, sizeof(T->rawctx));
	}
	return ran;
}

static bool want_exit(const struct bpfbox_tracer *T, int nr)
{
	if (list_live(T, &T->raw[raw_slot[HK_RAW_EXIT]]) ||
	    list_live(T, &T->raw[raw_slot[HK_RAWTP_EXIT]]))
		return true;
	return nr >= 0 && nr < HK_NR_MAX && list_live(T, &T->exit[nr]);
}

static void on_enter(struct bpfbox_tracer *T, struct tr_task *t)
{
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &T->regs))
		return;
	T->st.syscall_stops++;
	fill_hook(T, t);
	int nr = (int)(int64_t)T->regs.orig_rax;
	t->nr = nr;
	uint64_t args[6];
	regs_args(&T->regs, args);
	bool ran = run_raw(T, HK_RAW_ENTER, nr, args, 0);
	if (nr >= 0 && nr < HK_NR_MAX && T->enter[nr].n) {
		uint32_t sz = hk_tp_build((uint8_t *)T->rec, HK_SYS_ENTER, T->enter_type[nr],
					  (uint32_t)t->tid, nr, args, 0);
		ran |= run_list(T, &T->enter[nr], T->rec, sz);
	}
	t->want_exit = want_exit(T, nr);
	T->cur = NULL;
	if (ran && T->after_event)
		T->after_event(T->ud);
}

static void on_exit_stop(struct bpfbox_tracer *T, struct tr_task *t)
{
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &T->regs))
		return;
	T->st.syscall_stops++;
	fill_hook(T, t);
	int nr = t->nr >= 0 ? t->nr : (int)(int64_t)T->regs.orig_rax;
	int64_t ret = (int64_t)T->regs.rax;
	static const uint64_t noargs[6];
	bool ran = false;
	if (nr >= 0 && nr < HK_NR_MAX && T->exit[nr].n) {
		uint32_t sz = hk_tp_build((uint8_t *)T->rec, HK_SYS_EXIT, T->exit_type[nr],
					  (uint32_t)t->tid, nr, noargs, ret);
		ran |= run_list(T, &T->exit[nr], T->rec, sz);
	}
	ran |= run_raw(T, HK_RAW_EXIT, nr, noargs, ret);
	t->nr = -1;
	t->want_exit = false;
	T->cur = NULL;
	if (ran && T->after_event)
		T->after_event(T->ud);
}

/* ---- public: create, attach ------------------------------------------------------------ */

BPFBOX_API int bpfbox_tracer__new(struct bpfbox_tracer **out, const struct bpfbox_tracer_opts *opts)
{
	if (!out || !OPTS_VALID(opts, bpfbox_tracer_opts))
		return -EINVAL;
	struct bpfbox_tracer *T = calloc(1, sizeof(*T));
	if (!T)
		return -ENOMEM;
	T->log = OPTS_GET(opts, log, NULL);
	T->engine = OPTS_GET(opts, engine, BPFBOX_ENGINE_DEFAULT);
	T->budget = OPTS_GET(opts, insn_budget, 0);
	T->trace_out = OPTS_GET(opts, trace_out, NULL);
	T->after_event = OPTS_GET(opts, after_event, NULL);
	T->on_fault = OPTS_GET(opts, on_fault, NULL);
	T->ud = OPTS_GET(opts, ud, NULL);
	T->all_syscalls = OPTS_GET(opts, all_syscalls, false);
	T->errpipe = -1;
	T->runlog.buf = T->runbuf;
	T->runlog.size = sizeof(T->runbuf);
	T->runlog.level = BPFBOX_LOG_ERROR;
	struct bpfbox_hook_env *h = &T->hook;
	h->sz = sizeof(*h);
	h->cpu = -1;
	h->task = (uint64_t)(uintptr_t)&T->view;
	const struct btf *tb = OPTS_GET(opts, task_btf, NULL);
	if (tb && !hk_taskview_new(tb, &T->tv))
		h->task = hk_taskview_addr(T->tv);
	h->ud = T;
	h->read_mem = tr_read_mem;
	h->write_mem = tr_write_mem;
	h->send_signal = tr_send_signal;
	h->get_stack = tr_get_stack;
	h->trace_out = T->trace_out;
	T->st.sz = sizeof(T->st);
	*out = T;
	return 0;
}

BPFBOX_API int bpfbox_tracer__attach(struct bpfbox_tracer *T, struct bpfbox_prog *prog,
				     const char *section)
{
	if (!T || !prog || !section)
		return -EINVAL;
	if (T->started)
		return -EBUSY;
	char why[256];
	int kind, nr;
	int e = hk_parse_section(section, &kind, &nr, why, sizeof(why));
	if (e) {
		bpfbox_log__printf(T->log, BPFBOX_LOG_ERROR, "prog '%s': %s", bpfbox_prog__name(prog),
				   why);
		return e;
	}
	if (T->nprogs == T->pcap) {
		size_t cap = T->pcap ? T->pcap * 2 : 8;
		struct tr_prog *p = realloc(T->progs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		T->progs = p;
		T->pcap = cap;
	}
	struct tr_prog *p = &T->progs[T->nprogs];
	memset(p, 0, sizeof(*p));
	p->prog = prog;
	p->kind = kind;
	p->nr = nr;
	p->section = strdup(section);
	if (!p->section)
		return -ENOMEM;
	struct tr_list *l;
	switch (kind) {
	case HK_SYS_ENTER:
		l = &T->enter[nr];
		if (!l->n) {
			char name[64];
			snprintf(name, sizeof(name), "sys_enter_%s", bpfbox_syscall__name(nr));
			T->enter_type[nr] = hk_tp_id("syscalls", name);
		}
		break;
	case HK_SYS_EXIT:
		l = &T->exit[nr];
		if (!l->n) {
			char name[64];
			snprintf(name, sizeof(name), "sys_exit_%s", bpfbox_syscall__name(nr));
			T->exit_type[nr] = hk_tp_id("syscalls", name);
		}
		break;
	default:
		l = &T->raw[raw_slot[kind]];
		if (kind == HK_RAW_ENTER || kind == HK_RAW_EXIT)
			T->raw_type[kind == HK_RAW_EXIT] =
				hk_tp_id("raw_syscalls", kind == HK_RAW_EXIT ? "sys_exit" : "sys_enter");
		break;
	}
	if (list_add(l, (uint32_t)T->nprogs)) {
		free(p->section);
		return -ENOMEM;
	}
	T->nprogs++;
	return 0;
}

/* ---- spawn: the seccomp filter and the child ------------------------------------------- */

/* Classic BPF: RET_TRACE for the traced numbers of the native ABI, ALLOW
 * for everything else.  Every test jumps at most one instruction, so no
 * 8-bit jump offset can overflow however many numbers are traced. */
static struct sock_filter *build_filter(struct bpfbox_tracer *T, unsigned short *len)
{
	bool all = T->all_syscalls;
	for (int k = 0; k < 4; k++)
		all |= T->raw[k].n > 0;
	size_t cap = 8 + 2 * HK_NR_MAX, n = 0;
	struct sock_filter *f = calloc(cap, sizeof(*f));
	if (!f)
		return NULL;
#define EMIT(x) (f[n++] = (struct sock_filter)x)
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	if (all) {
		EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
	} else {
		for (int nr = 0; nr < HK_NR_MAX; nr++) {
			if (!T->enter[nr].n && !T->exit[nr].n)
				continue;
			EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1));
			EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
		}
		EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
#undef EMIT
	*len = (unsigned short)n;
	return f;
}

#define SPAWN_OPTS (PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | \
		    PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | \
		    PTRACE_O_TRACEEXEC)
#define ATTACH_OPTS (PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | \
		     PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)

static void child_fail(int fd, int err)
{
	ssize_t w = write(fd, &err, sizeof(err));
	(void)w;
	_exit(127);
}

BPFBOX_API int bpfbox_tracer__spawn(struct bpfbox_tracer *T, char *const argv[])
{
	if (!T || !argv || !argv[0])
		return -EINVAL;
	if (T->started)
		return -EBUSY;
	if (!T->nprogs && !T->all_syscalls) {
		bpfbox_log__printf(T->log, BPFBOX_LOG_ERROR, "no program is attached");
		return -ENOENT;
	}
	unsigned short flen;
	struct sock_filter *filter = build_filter(T, &flen);
	if (!filter)
		return -ENOMEM;
	struct sock_fprog fprog = { .len = flen, .filter = filter };
	int sync[2], errp[2];
	if (pipe2(sync, O_CLOEXEC)) {
		free(filter);
		return -errno;
	}
	if (pipe2(errp, O_CLOEXEC)) {
		int e = errno;
		close(sync[0]);
		close(sync[1]);
		free(filter);
		return -e;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sync[0]);
		close(sync[1]);
		close(errp[0]);
		close(errp[1]);
		free(filter);
		bpfbox_log__printf(T->log, BPFBOX_LOG_ERROR, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		/* the child: wait for the tracer, then filter, then exec */
		close(sync[1]);
		close(errp[0]);
		char go = 0;
		while (read(sync[0], &go, 1) < 0 && errno == EINTR)
			;
		if (go != 'g')
			_exit(127); /* the tracer could not attach: never run untraced */
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog)) {
			/* without CAP_SYS_ADMIN a filter needs no_new_privs */
			if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
			    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog))
				child_fail(errp[1], errno);
		}
		execvp(argv[0], argv);
		child_fail(errp[1], errno);
	}
	free(filter);
	close(sync[0]);
	close(errp[1]);
	if (ptrace(PTRACE_SEIZE, pid, 0, SPAWN_OPTS)) {
		int e = errno;
		close(sync[1]);
		close(errp[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		bpfbox_log__printf(T->log, BPFBOX_LOG_ERROR, "ptrace(PTRACE_SEIZE): %s%s", strerror(e),
				   e == EPERM ? " (ptrace is restricted here: kernel.yama.ptrace_scope, "
				   "seccomp or a container policy)" : "");
		return -e;
	}
	struct tr_task *t = task_add(T, pid);
	if (!t) {
		close(sync[1]);
		close(errp[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		return -ENOMEM;
	}
	t->tgid = pid;
	ssize_t w = write(sync[1], "g", 1);
	(void)w;
	close(sync[1]);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	T->errpipe = errp[0];
	T->main_pid = pid;
	T->started = true;
	return 0;
}

/* ---- attach to a running process ---------------------------------------------------------- */

BPFBOX_API int bpfbox_tracer__attach_pid(struct bpfbox_tracer *T, int pid)
{
	if (!T || pid <= 0)
		return -EINVAL;
	if (T->started)
		return -EBUSY;
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	T->attached_mode = true;
	T->main_pid = pid;
	/* threads may be created while we attach: repeat until a pass finds
	 * no new one (new threads of attached ones are auto-attached) */
	for (bool added = true; added;) {
		added = false;
		DIR *d = opendir(dir);
		if (!d) {
			int e = errno == ENOENT ? ESRCH : errno;
			if (T->ntasks)
				break;
			bpfbox_log__printf(T->log, BPFBOX_LOG_ERROR, "process %d: %s", pid, strerror(e));
			return -e;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);
			if (tid <= 0 || task_find(T, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, ATTACH_OPTS)) {
				int e = errno;
				if (e == ESRCH)
					continue; /* the thread exited meanwhile */
				closedir(d);
				bpfbox_log__printf(T->log, BPFBOX_LOG_ERROR, "ptrace(PTRACE_SEIZE, %d): %s",
						   (int)tid, strerror(e));
				T->started = true; /* detach what we have in free() */
				return -e;
			}
			struct tr_task *t = task_add(T, tid);
			if (!t) {
				closedir(d);
				T->started = true;
				return -ENOMEM;
			}
			t->tgid = pid;
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			added = true;
		}
		closedir(d);
	}
	if (!T->ntasks) {
		bpfbox_log__printf(T->log, BPFBOX_LOG_ERROR, "process %d: no threads", pid);
		return -ESRCH;
	}
	T->started = true;
	return 0;
}

/* ---- the event loop ---------------------------------------------------------------------- */

static void resume(struct bpfbox_tracer *T, struct tr_task *t, pid_t tid, int sig)
{
	bool sys = T->attached_mode || (t && t->want_exit);
	ptrace(sys ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, sig);
}

static bool stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void check_exec_error(struct bpfbox_tracer *T)
{
	if (T->errpipe < 0)
		return;
	int e = 0;
	if (read(T->errpipe, &e, sizeof(e)) == (ssize_t)sizeof(e))
		T->exec_errno = e;
	close(T->errpipe);
	T->errpipe = -1;
}

static void handle(struct bpfbox_tracer *T, pid_t pid, int status)
{
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (pid == T->main_pid && !T->main_done) {
			T->main_status = status;
			T->main_done = true;
			check_exec_error(T);
		}
		task_remove(T, pid);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	T->st.stops++;
	struct tr_task *t = task_add(T, pid);
	int sig = WSTOPSIG(status);
	int event = (unsigned)status >> 16;
	switch (event) {
	case 0:
		break;
	case PTRACE_EVENT_SECCOMP:
		if (t && !T->attached_mode)
			on_enter(T, t);
		resume(T, t, pid, 0);
		return;
	case PTRACE_EVENT_EXEC: {
		unsigned long former = 0;
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &former);
		if (t && former && (pid_t)former != pid) {
			/* a non-leader thread exec'd and took the leader's tid */
			struct tr_task *o = task_find(T, (pid_t)former);
			if (o) {
				t->want_exit = o->want_exit;
				t->nr = o->nr;
				task_remove(T, (pid_t)former);
				t = task_find(T, pid);
			}
		}
		if (t)
			task_info(t); /* new comm, maybe new credentials */
		if (pid == T->main_pid)
			check_exec_error(T);
		resume(T, t, pid, 0);
		return;
	}
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE: {
		unsigned long child = 0;
		if (!ptrace(PTRACE_GETEVENTMSG, pid, 0, &child) && child)
			task_add(T, (pid_t)child); /* its own first stop resumes it */
		resume(T, t, pid, 0);
		return;
	}
	case PTRACE_EVENT_STOP:
		if (stop_signal(sig))
			ptrace(PTRACE_LISTEN, pid, 0, 0); /* group stop: stay stopped */
		else
			resume(T, t, pid, 0);
		return;
	default:
		resume(T, t, pid, 0);
		return;
	}
	if (sig == (SIGTRAP | 0x80)) {
		if (!t) {
			resume(T, t, pid, 0);
			return;
		}
		if (T->attached_mode) {
			struct __ptrace_syscall_info info;
			long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info);
			if (n > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY)
				on_enter(T, t);
			else if (n > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT)
				on_exit_stop(T, t);
		} else if (t->want_exit) {
			on_exit_stop(T, t);
		}
		resume(T, t, pid, 0);
		return;
	}
	/* a signal for the task: deliver it */
	resume(T, t, pid, sig);
}

static void detach_all(struct bpfbox_tracer *T)
{
	for (size_t i = 0; i < T->ntasks; i++)
		ptrace(PTRACE_INTERRUPT, T->tasks[i].tid, 0, 0);
	while (T->ntasks) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			task_remove(T, pid);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
		int inject = (event == 0 && sig != (SIGTRAP | 0x80)) ? sig : 0;
		ptrace(PTRACE_DETACH, pid, 0, inject);
		task_remove(T, pid);
	}
	T->ntasks = 0;
}

BPFBOX_API int bpfbox_tracer__run(struct bpfbox_tracer *T, int *wstatus)
{
	if (!T || !T->started)
		return -EINVAL;
	int err = 0;
	while (T->ntasks) {
		if (T->stop_req && T->attached_mode) {
			detach_all(T);
			break;
		}
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				err = -errno;
			break;
		}
		handle(T, pid, status);
	}
	T->ntasks = 0;
	if (wstatus)
		*wstatus = T->main_done ? T->main_status : 0;
	return err;
}

BPFBOX_API void bpfbox_tracer__stop(struct bpfbox_tracer *T)
{
	if (T)
		T->stop_req = 1;
}

BPFBOX_API int bpfbox_tracer__pid(const struct bpfbox_tracer *T)
{
	return T ? T->main_pid : 0;
}

BPFBOX_API int bpfbox_tracer__exec_errno(const struct bpfbox_tracer *T)
{
	return T ? T->exec_errno : 0;
}

BPFBOX_API void bpfbox_tracer__stats(const struct bpfbox_tracer *T, struct bpfbox_tracer_stats *st)
{
	if (!T || !st)
		return;
	size_t sz = st->sz && st->sz < sizeof(*st) ? st->sz : sizeof(*st);
	memcpy(st, &T->st, sz);
	st->sz = sz;
}

BPFBOX_API void bpfbox_tracer__free(struct bpfbox_tracer *T)
{
	if (!T)
		return;
	if (T->ntasks) {
		if (T->attached_mode) {
			detach_all(T);
		} else {
			for (size_t i = 0; i < T->ntasks; i++)
				kill(T->tasks[i].tid, SIGKILL);
			while (T->ntasks) {
				int status;
				pid_t pid = waitpid(-1, &status, __WALL);
				if (pid < 0 && errno != EINTR)
					break;
				if (pid > 0 && (WIFEXITED(status) || WIFSIGNALED(status)))
					task_remove(T, pid);
			}
		}
	}
	if (T->errpipe >= 0)
		close(T->errpipe);
	for (size_t i = 0; i < T->nprogs; i++)
		free(T->progs[i].section);
	free(T->progs);
	for (int nr = 0; nr < HK_NR_MAX; nr++) {
		free(T->enter[nr].idx);
		free(T->exit[nr].idx);
	}
	for (int k = 0; k < 4; k++)
		free(T->raw[k].idx);
	free(T->tasks);
	hk_taskview_free(T->tv);
	free(T);
}
