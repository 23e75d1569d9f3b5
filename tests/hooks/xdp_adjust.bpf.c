// SPDX-License-Identifier: GPL-2.0
/* xdp_adjust.bpf.c — bpf_xdp_adjust_head / _tail / _meta, for
 * tests/suites/xdp.sh:
 *   IPv4 TCP  -> a copy of its Ethernet header pushed in front
 *                (adjust_head(-14)): 14 bytes longer, starts with the header twice
 *   IPv4 UDP  -> the last 4 bytes cut (adjust_tail(-4))
 *   ICMP      -> 8 bytes of metadata (adjust_meta(-8)) written and read back;
 *                PASS when they survived, else ABORTED
 *   others    -> the first 14 bytes removed (adjust_head(14)) and ... put back
 *                (adjust_head(-14)) with the EtherType zeroed
 * Every packet passes.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_adjust(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	struct ethhdr copy = *eth;
	__u8 proto = 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return XDP_ABORTED;
		proto = ip->protocol;
	}
	if (proto == IPPROTO_TCP) {
		if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct ethhdr)))
			return XDP_ABORTED;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		eth = data;
		if ((void *)(eth + 1) > end)
			return XDP_ABORTED;
		*eth = copy;
		return XDP_PASS;
	}
	if (proto == IPPROTO_UDP)
		return bpf_xdp_adjust_tail(ctx, -4) ? XDP_ABORTED : XDP_PASS;
	if (proto == IPPROTO_ICMP) {
		if (bpf_xdp_adjust_meta(ctx, -8))
			return XDP_ABORTED;
		__u64 *meta = (void *)(long)ctx->data_meta;
		void *d = (void *)(long)ctx->data;
		if ((void *)(meta + 1) > d)
			return XDP_ABORTED;
		*meta = 0x1122334455667788ull;
		meta = (void *)(long)ctx->data_meta;
		d = (void *)(long)ctx->data;
		if ((void *)(meta + 1) > d)
			return XDP_ABORTED;
		return *meta == 0x1122334455667788ull ? XDP_PASS : XDP_ABORTED;
	}
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct ethhdr)))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct ethhdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	eth->h_proto = 0;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
