// SPDX-License-Identifier: GPL-2.0
/* xdp_pkt.bpf.c — an XDP program on a real packet: parse Ethernet and IPv4,
 * count packets per IP protocol, copy bytes out and back with
 * bpf_xdp_load_bytes/store_bytes, check the IPv4 header checksum with
 * bpf_csum_diff, grow and shrink the head and the tail, and rewrite the
 * destination MAC.  The packet that comes out is compared with the
 * kernel's.
 */
#include "expect.h"

#define ETH_HLEN 14

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

// bpfbox-test: prog=xdp_pkt expect=2 packet=ffffffffffff0200000000010800450000300001000040110000c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("xdp")
int xdp_pkt(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + ETH_HLEN + 20 > end)
		return 1; /* XDP_DROP */
	__u8 *eth = data, *ip = data + ETH_HLEN;
	if (eth[12] != 0x08 || eth[13] != 0x00)
		return 2;
	__u32 proto = ip[9];
	__u64 *cnt = bpf_map_lookup_elem(&proto_count, &proto);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);

	/* the header checksum of a header whose checksum field is 0 */
	__u8 hdr[20];
	if (bpf_xdp_load_bytes(ctx, ETH_HLEN, hdr, sizeof(hdr)))
		return 0;
	__s64 sum = bpf_csum_diff(0, 0, (__be32 *)hdr, sizeof(hdr), 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	__u16 csum = ~(__u16)sum;
	if (bpf_xdp_store_bytes(ctx, ETH_HLEN + 10, &csum, sizeof(csum)))
		return 0;

	/* 4 bytes of metadata-free headroom, then back; drop 4 tail bytes */
	if (bpf_xdp_adjust_head(ctx, -4) || bpf_xdp_adjust_head(ctx, 4))
		return 0;
	if (bpf_xdp_adjust_tail(ctx, -4))
		return 0;
	if (bpf_xdp_get_buff_len(ctx) != 66 - 4)
		return 0;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + ETH_HLEN > end)
		return 0;
	eth = data;
	eth[0] = 0x02;
	eth[5] = 0x09;
	return 2; /* XDP_PASS */
}
