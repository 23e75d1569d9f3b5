/* Byte search: offset of the first "\r\n\r\n" (end of HTTP headers) in
 * the packet, or the packet length when there is none.  The four bytes at
 * each offset are compared as one 32-bit word: a verifier follows both
 * outcomes of every test of an unknown byte, and four tests per offset
 * would exceed the kernel's limit on pending branches (8192) for a packet
 * of 2 KiB. */
#include "bench.h"
SEC("xdp")
int search(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data, *end = (u8 *)(long)ctx->data_end;
	u8 *p = data;
	for (int i = 0; i < 2048; i++) { /* packets up to 2 KiB */
		if (p + 4 > end)
			break;
		u32 w = (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
		if (w == ('\r' | '\n' << 8 | '\r' << 16 | '\n' << 24))
			return (int)(p - data);
		p++;
	}
	return (int)(end - data);
}
char LICENSE[] SEC("license") = "GPL";
