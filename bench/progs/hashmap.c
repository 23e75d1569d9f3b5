/* Hash-map lookups (helper calls): a BPF_MAP_TYPE_HASH of 2048 entries
 * (keys 0, 2, 4, ..., 4094; the value of key k is 2^32 + 3k + 1), filled
 * by the program itself on its first run, then 128 bpf_map_lookup_elem
 * calls per run with keys from an LCG seeded by the packet's first bytes
 * (about half of them hit).  Returns the sum of the values found folded
 * to 32 bits; its upper half counts the hits.  (The hits are counted in
 * the sum, not in a counter of their own, and there are 128 lookups, not
 * more, because bpfbox's verifier explores this loop in time that grows
 * faster than its bound: bench/README.md.) */
#include "bench.h"
#define NKEYS 2048
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u64);
	BENCH_MAP_IMPL
} table SEC(".maps");

u64 filled = 0;

SEC("xdp")
int hashmap(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data, *end = (u8 *)(long)ctx->data_end;
	if (data + 4 > end)
		return XDP_ABORTED;
	if (!filled) {
		for (u32 i = 0; i < NKEYS; i++) {
			u32 k = 2 * i;
			u64 v = (1ull << 32) + 3 * (u64)k + 1;
			bpf_map_update_elem(&table, &k, &v, BPF_ANY);
		}
		filled = 1;
	}
	u32 x = (u32)data[0] << 24 | (u32)data[1] << 16 | (u32)data[2] << 8 | data[3];
	u64 sum = 0;
	for (int i = 0; i < 128; i++) {
		x = x * 1664525u + 1013904223u;
		u32 k = x >> 20; /* 0..4095 */
		u64 *v = bpf_map_lookup_elem(&table, &k);
		if (v)
			sum += *v;
	}
	return (int)bench_fold(sum);
}
char LICENSE[] SEC("license") = "GPL";
