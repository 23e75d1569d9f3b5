/* Internet checksum (RFC 1071) over the whole packet, 16 bits at a time
 * (a trailing odd byte is padded with zero). */
#include "bench.h"
SEC("xdp")
int checksum(struct xdp_md *ctx)
{
	u8 *p = (u8 *)(long)ctx->data, *end = (u8 *)(long)ctx->data_end;
	u64 sum = 0;
	for (int i = 0; i < 2048; i++) { /* packets up to 4 KiB */
		if (p + 2 > end)
			break;
		sum += (u32)p[0] << 8 | p[1];
		p += 2;
	}
	if (p + 1 <= end)
		sum += (u32)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}
char LICENSE[] SEC("license") = "GPL";
