// SPDX-License-Identifier: GPL-2.0
/* trace_perf.bpf.c — perf event array output, for tests/suites/trace.sh:
 * every write() sends a struct write_event (fd, count) with
 * bpf_perf_event_output; bpfbox decodes it with the object's BTF. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct write_args {
	unsigned long long common;
	int nr;
	unsigned long fd;
	unsigned long buf;
	unsigned long count;
};

struct write_event {
	__u32 fd;
	__u32 count;
	__u64 tag;
};

/* puts the record's type in the object's BTF (see examples/trace_opens.bpf.c) */
struct write_event *unused_write_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} writes SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_write")
int perf_write(struct write_args *ctx)
{
	struct write_event e = { .fd = ctx->fd, .count = ctx->count, .tag = 0xfeed };
	bpf_perf_event_output(ctx, &writes, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
