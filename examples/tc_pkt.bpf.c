// SPDX-License-Identifier: GPL-2.0
/* tc_pkt.bpf.c — a tc (classifier) program: decrement the IPv4 TTL with
 * bpf_skb_store_bytes and fix the header checksum incrementally with
 * bpf_l3_csum_replace, read bytes with bpf_skb_load_bytes, and pass the
 * packet (TC_ACT_OK).  The packet that comes out is compared with the
 * kernel's, which checks the checksum arithmetic byte for byte.
 */
#include "expect.h"

#define ETH_HLEN 14
#define IP_TTL_OFF (ETH_HLEN + 8)
#define IP_CSUM_OFF (ETH_HLEN + 10)

// bpfbox-test: prog=tc_ttl expect=0 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("tc")
int tc_ttl(struct __sk_buff *skb)
{
	__u8 ttl_proto[2];
	if (bpf_skb_load_bytes(skb, IP_TTL_OFF, ttl_proto, 2))
		return 2; /* TC_ACT_SHOT */
	__u16 old = *(__u16 *)ttl_proto;
	ttl_proto[0] -= 1;
	__u16 new = *(__u16 *)ttl_proto;
	if (bpf_skb_store_bytes(skb, IP_TTL_OFF, ttl_proto, 1, 0))
		return 2;
	if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, old, new, 2))
		return 2;
	__u8 back[2];
	if (bpf_skb_load_bytes(skb, IP_TTL_OFF, back, 2) || back[0] != 0x3f)
		return 3;
	if (bpf_skb_load_bytes(skb, 1000, back, 2) != -EFAULT)
		return 4;
	return 0; /* TC_ACT_OK */
}
