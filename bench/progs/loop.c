/* A bounded integer loop with multiply, divide and modulo (a hash-like
 * mixing of a counter), 4096 iterations. */
#include "bench.h"
BENCH_ENTRY(loop)
{
	u64 x = len + 1, acc = 0;
	for (u32 i = 1; i <= 4096; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		acc += x / (i | 1);
		acc ^= x % (i + 7);
	}
	return acc;
}
