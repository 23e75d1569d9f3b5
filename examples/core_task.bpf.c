// SPDX-License-Identifier: GPL-2.0
/* core_task.bpf.c — the current task, read the kernel way, in user space.
 *
 *   bpfbox trace examples/core_task.bpf.c -- cat /etc/hostname
 *
 * On every openat() of the traced command it follows the task_struct
 * pointers with BPF_CORE_READ — its pid and tgid, its parent's tgid and
 * comm (real_parent), its group leader's pid, its credentials' uid/gid
 * (cred) — reads the opened path from the task's memory, and sends it all
 * through a ring buffer as `struct event`, which bpfbox trace prints
 * decoded.  The offsets are the target kernel's (CO-RE: only the fields
 * used are declared, with preserve_access_index); bpfbox trace gives the
 * program a task_struct laid out by that kernel's BTF, filled with the
 * traced task's values.  A pointer the view leaves NULL (task->mm) reads
 * as the kernel's bad address does: -EFAULT (mm_read), and zeroes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

typedef struct {
	unsigned int val;
} kuid_t;

typedef struct {
	unsigned int val;
} kgid_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
} __attribute__((preserve_access_index));

struct mm_struct {
	unsigned long arg_start;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	const struct cred *cred;
	struct mm_struct *mm;
	char comm[16];
} __attribute__((preserve_access_index));

struct sys_enter_openat {
	__u64 common;
	int nr;
	long dfd;
	const char *filename;
	long flags;
	long mode;
};

struct event {
	__u32 pid, tgid, ppid, leader, uid, gid;
	long mm_read;
	char comm[16];
	char parent_comm[16];
	char fname[64];
};

/* clang emits BTF for the types of globals, not of locals: this keeps
 * struct event in the object's BTF, so bpfbox trace can decode records */
struct event *unused_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096 * 4);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct sys_enter_openat *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = BPF_CORE_READ(task, pid);
	e->tgid = BPF_CORE_READ(task, tgid);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->leader = BPF_CORE_READ(task, group_leader, pid);
	e->uid = BPF_CORE_READ(task, cred, uid.val);
	e->gid = BPF_CORE_READ(task, cred, gid.val);
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	BPF_CORE_READ_STR_INTO(&e->parent_comm, task, real_parent, comm);
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long arg_start = 0;
	e->mm_read = bpf_core_read(&arg_start, sizeof(arg_start), &mm->arg_start);
	bpf_probe_read_user_str(e->fname, sizeof(e->fname), ctx->filename);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
