/* Byte search: position of the first occurrence of the 4-byte pattern
 * "\r\n\r\n" (end of HTTP headers) in the buffer, or len. */
#include "bench.h"
BENCH_ENTRY(search)
{
	if (len > 65536)
		len = 65536;
	for (u64 i = 0; i + 3 < len; i++)
		if (mem[i] == '\r' && mem[i + 1] == '\n' && mem[i + 2] == '\r' && mem[i + 3] == '\n')
			return i;
	return len;
}
