/* A bounded integer loop with multiply, divide and modulo (an LCG mixed
 * into an accumulator), 4096 iterations, seeded by the packet length. */
#include "bench.h"
SEC("xdp")
int loop(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data, *end = (u8 *)(long)ctx->data_end;
	u64 x = (u64)(end - data) + 1, acc = 0;
	for (u32 i = 1; i <= 4096; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		acc += x / (i | 1);
		acc ^= x % (i + 7);
	}
	return bench_fold(acc);
}
char LICENSE[] SEC("license") = "GPL";
