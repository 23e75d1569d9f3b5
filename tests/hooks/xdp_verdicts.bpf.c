// SPDX-License-Identifier: GPL-2.0
/* xdp_verdicts.bpf.c — one XDP verdict per kind of test packet
 * (tests/hooks/mkpcap.c), for tests/suites/xdp.sh:
 *   IPv4 TCP  -> PASS, with the IP TTL rewritten to 7 (modified bytes in OUT)
 *   IPv4 UDP  -> DROP
 *   ICMP      -> TX, source and destination MAC swapped
 *   ARP       -> ABORTED
 *   IPv6      -> PASS unchanged
 * `seen` counts packets per EtherType class (0 IPv4, 1 ARP, 2 IPv6, 3 other).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline void count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&seen, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_verdicts(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		count(1);
		return XDP_ABORTED;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		count(2);
		return XDP_PASS;
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP)) {
		count(3);
		return XDP_PASS;
	}
	count(0);
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	if (ip->protocol == IPPROTO_UDP)
		return XDP_DROP;
	if (ip->protocol == IPPROTO_ICMP) {
		unsigned char tmp[ETH_ALEN];
		__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
		return XDP_TX;
	}
	ip->ttl = 7;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
