// SPDX-License-Identifier: GPL-2.0
/* sockfilter.bpf.c — a classic socket filter in eBPF.
 *
 * Keeps IPv4 TCP segments to or from port 80 or 443 (whole packet) and
 * drops everything else, counting kept and dropped packets.  It reads the
 * packet with the legacy packet loads (LD_ABS / LD_IND, through LLVM's
 * bpf.load.* intrinsics), which socket filters may still use: they take
 * network byte order and fail safely on short packets.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int tally(__u32 kept)
{
	__u64 *v = bpf_map_lookup_elem(&verdicts, &kept);
	if (v)
		__sync_fetch_and_add(v, 1);
	return kept;
}

static __always_inline int web_port(__u32 port)
{
	return port == 80 || port == 443;
}

SEC("socket")
int sockfilter(struct __sk_buff *skb)
{
	if (load_half(skb, offsetof(struct ethhdr, h_proto)) != ETH_P_IP)
		return tally(0);
	if (load_byte(skb, ETH_HLEN + 9) != IPPROTO_TCP)
		return tally(0);
	/* fragments other than the first carry no TCP header */
	if (load_half(skb, ETH_HLEN + 6) & 0x1fff)
		return tally(0);
	__u32 ihl = (load_byte(skb, ETH_HLEN) & 0x0f) * 4;
	__u32 ports = load_word(skb, ETH_HLEN + ihl);
	if (!web_port(ports >> 16) && !web_port(ports & 0xffff))
		return tally(0);
	tally(1);
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
