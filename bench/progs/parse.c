/* Ethernet / IPv4 / TCP header parser.  The packet is a batch of up to 8
 * back-to-back frames, each prefixed by its 2-byte length (big endian);
 * counts TCP SYNs to port 80 and sums TCP payload lengths.
 *
 * Written for verifiers: the frame offset is a scalar kept below 4 KiB, so
 * that packet pointers stay within the 64 KiB a verifier allows.  The
 * batch is 8 frames, not more, because bpfbox's verifier explores this
 * loop in time that grows faster than its bound (bench/README.md). */
#include "bench.h"
SEC("xdp")
int parse(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data, *end = (u8 *)(long)ctx->data_end;
	u64 syn = 0, payload = 0;
	u32 off = 0;
	for (int k = 0; k < 8; k++) {
		if (off > 4096)
			break;
		u8 *f = data + off;
		if (f + 2 + 14 + 20 + 20 > end) /* length, eth, ip, tcp */
			break;
		u32 flen = (u32)f[0] << 8 | f[1];
		if (flen < 14 + 20 + 20 || f + 2 + flen > end)
			break;
		off += 2 + flen;
		u8 *eth = f + 2;
		if (eth[12] != 0x08 || eth[13] != 0x00) /* IPv4 */
			continue;
		u8 *ip = eth + 14;
		if ((ip[0] >> 4) != 4 || ip[9] != 6) /* TCP */
			continue;
		u32 ihl = (u32)(ip[0] & 15) * 4;
		u32 tot = (u32)ip[2] << 8 | ip[3];
		if (ihl < 20 || 14 + ihl + 20 > flen || tot > flen - 14)
			continue;
		u8 *tcp = ip + ihl;
		if (tcp + 20 > end)
			break;
		u32 dport = (u32)tcp[2] << 8 | tcp[3];
		u32 doff = (u32)(tcp[12] >> 4) * 4;
		if ((tcp[13] & 0x02) && dport == 80)
			syn++;
		if (tot > ihl + doff)
			payload += tot - ihl - doff;
	}
	return (int)(syn << 16 | (payload & 0xffff));
}
char LICENSE[] SEC("license") = "GPL";
