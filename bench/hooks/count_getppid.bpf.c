// SPDX-License-Identifier: GPL-2.0
/* count_getppid.bpf.c — the tracer benchmark's programs: count getppid()
 * entries (and, in the exit variant, exits) in an array map; the third
 * program sits on openat, which the benchmark loop never calls, so its
 * getppid() calls are untraced. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

static __always_inline void bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&calls, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
}

#ifdef ON_OPENAT
SEC("tracepoint/syscalls/sys_enter_openat")
#else
SEC("tracepoint/syscalls/sys_enter_getppid")
#endif
int enter(void *ctx)
{
	bump(0);
	return 0;
}

#ifdef WITH_EXIT
SEC("tracepoint/syscalls/sys_exit_getppid")
int leave(void *ctx)
{
	bump(1);
	return 0;
}
#endif

char LICENSE[] SEC("license") = "GPL";
