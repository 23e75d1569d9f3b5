/* Ethernet / IPv4 / TCP header parser over a buffer holding a sequence of
 * back-to-back frames (each prefixed by its 2-byte length): counts TCP SYNs
 * to port 80 and sums payload lengths. */
#include "bench.h"
BENCH_ENTRY(parse)
{
	u64 off = 0, syn = 0, payload = 0;
	for (int k = 0; k < 64; k++) {
		if (off + 2 > len)
			break;
		u64 flen = (u64)mem[off] << 8 | mem[off + 1];
		u8 *f = mem + off + 2;
		off += 2 + flen;
		if (off > len || flen < 14 + 20 + 20)
			break;
		if (f[12] != 0x08 || f[13] != 0x00) /* IPv4 */
			continue;
		u8 *ip = f + 14;
		if ((ip[0] >> 4) != 4 || ip[9] != 6)
			continue;
		u64 ihl = (u64)(ip[0] & 15) * 4;
		u64 tot = (u64)ip[2] << 8 | ip[3];
		if (ihl < 20 || 14 + ihl + 20 > flen || tot > flen - 14)
			continue;
		u8 *tcp = ip + ihl;
		u64 dport = (u64)tcp[2] << 8 | tcp[3];
		u64 doff = (u64)(tcp[12] >> 4) * 4;
		if ((tcp[13] & 0x02) && dport == 80)
			syn++;
		if (tot > ihl + doff)
			payload += tot - ihl - doff;
	}
	return syn << 32 | payload;
}
