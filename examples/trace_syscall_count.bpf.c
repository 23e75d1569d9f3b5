// SPDX-License-Identifier: GPL-2.0
/* trace_syscall_count.bpf.c — count a command's syscalls, by name.
 *
 *   bpfbox trace examples/trace_syscall_count.bpf.c --dump-maps -- ls /
 *
 * One small program per syscall of interest, each attached to that
 * syscall's sys_enter tracepoint by its section name, adds one to the
 * entry of `counts` named after it; `by_pid` counts every counted syscall
 * per process, so a command that forks shows each child.  Only these
 * syscalls stop the traced command (bpfbox's seccomp filter lets every
 * other one run at full speed).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NAME_LEN 16

struct name {
	char s[NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct name);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);   /* tgid */
	__type(value, __u64);
} by_pid SEC(".maps");

static __always_inline void count(const char *s, int len)
{
	struct name k = {};
	__u64 one = 1, *v;

	for (int i = 0; i < NAME_LEN - 1 && i < len; i++)
		k.s[i] = s[i];
	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	v = bpf_map_lookup_elem(&by_pid, &pid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&by_pid, &pid, &one, BPF_NOEXIST);
}

#define COUNT(NAME)                                          \
	SEC("tracepoint/syscalls/sys_enter_" #NAME)          \
	int count_##NAME(void *ctx)                          \
	{                                                    \
		count(#NAME, sizeof(#NAME) - 1);             \
		return 0;                                    \
	}

COUNT(openat)
COUNT(read)
COUNT(write)
COUNT(close)
COUNT(execve)
COUNT(clone)
COUNT(clone3)
COUNT(fork)
COUNT(vfork)
COUNT(getdents64)
COUNT(exit_group)

char LICENSE[] SEC("license") = "GPL";
