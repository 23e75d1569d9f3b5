// SPDX-License-Identifier: GPL-2.0
/* trace_opens.bpf.c — every file a command opens, and what open returned,
 * through a ring buffer (libbpf's "opensnoop" pattern).
 *
 *   bpfbox trace examples/trace_opens.bpf.c -- cat /etc/hostname
 *   bpfbox trace examples/trace_opens.bpf.c --json -- cat /etc/hostname
 *
 * sys_enter_openat remembers the file name pointer per thread; sys_exit_openat
 * reserves a `struct open_event` in the ring buffer, fills in pid, comm,
 * flags, the return value (fd or -errno) and the name read from the task's
 * memory, and submits it.  bpfbox prints each record as it arrives, decoded
 * with the object's BTF (the one struct of the record's size).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NAME_LEN 128

/* syscalls/sys_enter_openat and syscalls/sys_exit_openat records */
struct openat_enter {
	unsigned long long common;
	int syscall_nr;
	long dfd;
	const char *filename;
	long flags;
	long mode;
};

struct sys_exit {
	unsigned long long common;
	int syscall_nr;
	long ret;
};

struct pending {
	__u64 filename;
	__u32 flags;
};

struct open_event {
	__u32 pid;
	__u32 tid;
	__s32 ret;
	__u32 flags;
	char comm[16];
	char filename[NAME_LEN];
};

/* A ring buffer has no value type, and a struct only used through a
 * pointer inside a function is not in the object's BTF: this unused
 * global puts it there, so bpfbox (and bpftool) can decode the records. */
struct open_event *unused_open_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pending);
} inflight SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int opens_enter(struct openat_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending p = { .filename = (__u64)ctx->filename, .flags = (__u32)ctx->flags };
	bpf_map_update_elem(&inflight, &tid, &p, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int opens_exit(struct sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct pending *p = bpf_map_lookup_elem(&inflight, &tid);
	if (!p)
		return 0;
	struct open_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = id >> 32;
		e->tid = tid;
		e->ret = (__s32)ctx->ret;
		e->flags = p->flags;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		if (bpf_probe_read_user_str(e->filename, sizeof(e->filename),
					    (const void *)p->filename) < 0)
			e->filename[0] = 0;
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
