// SPDX-License-Identifier: GPL-2.0
/* perf_out.bpf.c — a perf event array written with bpf_perf_event_output
 * from an XDP program: each packet sends a sample with its length and
 * first byte to the current CPU's buffer.  (max_entries 0 means one slot
 * per CPU, as libbpf does.)
 */
#include "expect.h"

struct sample {
	__u32 len;
	__u32 first;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

// bpfbox-test: prog=perf_out expect=2 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10 kernel=no:perf_event_output needs perf events opened for each CPU
SEC("xdp")
int perf_out(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct sample s = { (__u32)(end - data), 0 };
	if (data + 1 <= end)
		s.first = *(__u8 *)data;
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &s, sizeof(s)))
		return 0; /* XDP_ABORTED */
	return 2; /* XDP_PASS */
}
