// SPDX-License-Identifier: GPL-2.0
/* sock_all.bpf.c — a socket filter that keeps every packet whole. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int sock_all(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
