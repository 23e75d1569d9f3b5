// SPDX-License-Identifier: GPL-2.0
/* sock_filter.bpf.c — a socket filter for tests/suites/xdp.sh: keeps IPv4
 * UDP whole, the first 34 bytes (Ethernet + IP header) of TCP, drops
 * everything else.  Reads the packet with LD_ABS (load_byte/half) and
 * __sk_buff fields. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket")
int sock_filter(struct __sk_buff *skb)
{
	if (load_half(skb, 12) != ETH_P_IP || skb->protocol != __builtin_bswap16(ETH_P_IP))
		return 0;
	__u8 proto = load_byte(skb, 14 + 9);
	if (proto == IPPROTO_UDP)
		return skb->len;
	if (proto == IPPROTO_TCP)
		return 34;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
