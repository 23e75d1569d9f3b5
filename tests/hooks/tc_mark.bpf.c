// SPDX-License-Identifier: GPL-2.0
/* tc_mark.bpf.c — a tc classifier for tests/suites/xdp.sh: drops IPv4 UDP
 * (TC_ACT_SHOT), rewrites the TCP destination port 80 to 8080 with
 * bpf_skb_store_bytes and fixes the checksum with bpf_l4_csum_replace
 * (TC_ACT_OK), passes the rest (TC_ACT_UNSPEC). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TCP_DPORT_OFF (ETH_HLEN + sizeof(struct iphdr) + 2)
#define TCP_CSUM_OFF (ETH_HLEN + sizeof(struct iphdr) + 16)

SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return TC_ACT_UNSPEC;
	if (ip->protocol == IPPROTO_UDP)
		return TC_ACT_SHOT;
	if (ip->protocol != IPPROTO_TCP)
		return TC_ACT_UNSPEC;
	__be16 old = bpf_htons(80), new = bpf_htons(8080), cur;
	if (bpf_skb_load_bytes(skb, TCP_DPORT_OFF, &cur, 2) || cur != old)
		return TC_ACT_OK;
	bpf_l4_csum_replace(skb, TCP_CSUM_OFF, old, new, sizeof(new));
	bpf_skb_store_bytes(skb, TCP_DPORT_OFF, &new, sizeof(new), 0);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
