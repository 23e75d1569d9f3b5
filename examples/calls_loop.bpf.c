// SPDX-License-Identifier: GPL-2.0
/* calls_loop.bpf.c — bpf-to-bpf calls and bounded loops.
 *
 * An XDP program that computes the Internet checksum over the first bytes
 * of the packet in a bounded loop inside a separate (non-inlined)
 * function, classifies the result in a second function, and keeps a small
 * histogram in a map.  Both callees are real BPF subprograms (`call` with
 * src = 1), and the loops have constant bounds so the verifier can see
 * them terminate.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAX_WORDS 32

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} histogram SEC(".maps");

static __attribute__((noinline)) __u32 csum_words(void *data, void *end)
{
	__u32 sum = 0;
	__u16 *w = data;
#pragma clang loop unroll(disable)
	for (int i = 0; i < MAX_WORDS; i++) {
		if ((void *)(w + 1) > end)
			break;
		sum += *w++;
	}
	/* fold the carries: at most twice for 32 words */
#pragma clang loop unroll(disable)
	for (int i = 0; i < 2 && (sum >> 16); i++)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static __attribute__((noinline)) __u32 bucket(__u32 csum, __u32 len)
{
	__u32 b = 0;
#pragma clang loop unroll(disable)
	while (b < 15 && (csum >> (b + 1)))
		b++;
	if (len < 64)
		b = b / 2;
	return b;
}

SEC("xdp")
int xdp_csum_hist(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 c = csum_words(data, end);
	__u32 k = bucket(c, (__u32)(end - data));
	__u64 *v = bpf_map_lookup_elem(&histogram, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return c == 0 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
