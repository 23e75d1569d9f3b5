// SPDX-License-Identifier: GPL-2.0
/* xdp_proto_count.bpf.c — count packets per IP protocol (XDP).
 *
 * Parses Ethernet (with up to two VLAN tags), then IPv4 or IPv6, and adds
 * one to the counter of the L4 protocol (TCP, UDP, ICMP, ...) in an array
 * map indexed by protocol number; non-IP frames count under index 255.
 * Every packet passes.  Every access is bounds-checked against data_end,
 * as the verifier requires.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_bytes SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline void count(__u32 proto, __u64 len)
{
	__u64 *c = bpf_map_lookup_elem(&proto_count, &proto);
	if (c)
		__sync_fetch_and_add(c, 1);
	__u64 *b = bpf_map_lookup_elem(&proto_bytes, &proto);
	if (b)
		__sync_fetch_and_add(b, len);
}

SEC("xdp")
int xdp_proto_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 len = end - data;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	__u16 type = eth->h_proto;
	void *p = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (type != bpf_htons(ETH_P_8021Q) && type != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *v = p;
		if ((void *)(v + 1) > end)
			return XDP_PASS;
		type = v->proto;
		p = v + 1;
	}
	__u32 proto = 255;
	if (type == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = p;
		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		if (ip->ihl < 5)
			return XDP_PASS;
		proto = ip->protocol;
	} else if (type == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = p;
		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		proto = ip6->nexthdr;
	}
	count(proto, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
