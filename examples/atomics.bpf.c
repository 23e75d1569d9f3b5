// SPDX-License-Identifier: GPL-2.0
/* atomics.bpf.c — the atomic instructions on shared counters.
 *
 * A tracepoint program that keeps statistics about the syscalls it sees in
 * a map shared by all CPUs: total and per-class counts (atomic add), a
 * bit set of the classes seen (atomic or), the last caller (exchange) and
 * a once-only "first pid" slot (compare-and-exchange).  The value-returning
 * forms need ISA v3 (clang -mcpu=v3, where the build defines
 * BPFBOX_CPU_V3); with the default CPU only the v1 atomic add is used.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct stats {
	__u64 total;
	__u64 per_class[8];
	__u64 classes_seen;
	__u64 last_pid;
	__u64 first_pid;
	__u32 small_total;
	__u32 small_flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stats);
} stats SEC(".maps");

struct sys_enter_ctx {
	unsigned long long unused;
	long id;
	unsigned long args[6];
};

SEC("tracepoint/raw_syscalls/sys_enter")
int count_syscalls(struct sys_enter_ctx *ctx)
{
	__u32 zero = 0;
	struct stats *s = bpf_map_lookup_elem(&stats, &zero);
	if (!s)
		return 0;
	__u32 cls = (__u32)ctx->id & 7;
	__u64 pid = bpf_get_current_pid_tgid() >> 32;
	__sync_fetch_and_add(&s->total, 1);
	__sync_fetch_and_add(&s->per_class[cls], 1);
	__sync_fetch_and_add(&s->small_total, 1);
#ifdef BPFBOX_CPU_V3
	__u64 before = __sync_fetch_and_or(&s->classes_seen, 1ull << cls);
	if (!(before & (1ull << cls)))
		__sync_fetch_and_and(&s->classes_seen, ~0ull);
	__sync_lock_test_and_set(&s->last_pid, pid);
	__sync_val_compare_and_swap(&s->first_pid, 0, pid);
	__u32 old = __sync_fetch_and_add(&s->small_total, 1);
	__sync_fetch_and_xor(&s->small_flags, old & 1);
	__u32 prev = __sync_lock_test_and_set(&s->small_flags, (__u32)cls);
	__sync_val_compare_and_swap(&s->small_flags, prev, prev | 8);
	return old & 1;
#else
	s->last_pid = pid;
	if (!s->first_pid)
		s->first_pid = pid;
	s->classes_seen |= 1ull << cls;
	return 0;
#endif
}

char LICENSE[] SEC("license") = "GPL";
