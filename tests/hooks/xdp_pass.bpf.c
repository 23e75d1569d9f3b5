// SPDX-License-Identifier: GPL-2.0
/* xdp_pass.bpf.c — XDP_PASS for every packet, counting them and printing
 * the first one's length (trace_printk), for tests/suites/xdp.sh. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 packets = 0;

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	if (__sync_fetch_and_add(&packets, 1) == 0)
		bpf_printk("first packet: %u bytes on ifindex %u", ctx->data_end - ctx->data,
			   ctx->ingress_ifindex);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
