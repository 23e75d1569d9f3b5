// SPDX-License-Identifier: GPL-2.0
/* trace_openat.bpf.c — report every openat() through a ring buffer.
 *
 * Attached to the syscalls/sys_enter_openat tracepoint: for each call it
 * reserves a record in a ring buffer, fills in the pid, the uid, the
 * command name, the flags and the file name (read from user memory), and
 * submits it.  An optional filter (a global set by the loader) keeps only
 * one pid.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The tracepoint's context (format of syscalls/sys_enter_openat). */
struct sys_enter_ctx {
	unsigned long long unused;
	long id;
	unsigned long args[6];
};

#define NAME_LEN 256

struct event {
	__u32 pid;
	__u32 uid;
	__s32 dfd;
	__u32 flags;
	__u64 ts;
	char comm[16];
	char name[NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

const volatile __u32 target_pid = 0;
__u64 dropped = 0;

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_openat(struct sys_enter_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	if (target_pid && pid != target_pid)
		return 0;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	e->pid = pid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->dfd = (__s32)ctx->args[0];
	e->flags = (__u32)ctx->args[2];
	e->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->name, sizeof(e->name), (const void *)ctx->args[1]) < 0)
		e->name[0] = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
