/* Byte-order conversion loop: over the packet's 64-bit words (loaded as
 * words: what is timed is the byte swapping, not the assembling of bytes),
 * the sum of each word byte-swapped xor its low 32 bits byte-swapped. */
#include "bench.h"
SEC("xdp")
int bswap(struct xdp_md *ctx)
{
	u8 *p = (u8 *)(long)ctx->data, *end = (u8 *)(long)ctx->data_end;
	u64 acc = 0;
	for (int i = 0; i < 512; i++) { /* packets up to 4 KiB */
		if (p + 8 > end)
			break;
		u64 v = *(const u64_any *)p;
		acc += __builtin_bswap64(v) ^ __builtin_bswap32((u32)v);
		p += 8;
	}
	return bench_fold(acc);
}
char LICENSE[] SEC("license") = "GPL";
