/* Byte-order conversion loop: sum of the buffer's 32-bit big-endian words
 * and 64-bit words byte-swapped. */
#include "bench.h"
BENCH_ENTRY(bswap)
{
	u64 acc = 0;
	if (len > 65536)
		len = 65536;
	for (u64 i = 0; i + 8 <= len; i += 8) {
		u64 v = (u64)mem[i] | (u64)mem[i + 1] << 8 | (u64)mem[i + 2] << 16 |
			(u64)mem[i + 3] << 24 | (u64)mem[i + 4] << 32 | (u64)mem[i + 5] << 40 |
			(u64)mem[i + 6] << 48 | (u64)mem[i + 7] << 56;
		acc += __builtin_bswap64(v) ^ __builtin_bswap32((u32)v);
	}
	return acc;
}
