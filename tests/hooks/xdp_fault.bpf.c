// SPDX-License-Identifier: GPL-2.0
/* xdp_fault.bpf.c — an XDP program that reads past the end of every packet
 * (no data_end check): the verifier rejects it, and in checked mode every
 * run stops at the load — tests/suites/xdp.sh expects XDP_ABORTED for each
 * packet, one error line and exit status 1. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_fault(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	return data[4000] ? XDP_PASS : XDP_DROP; /* past the 512-byte tailroom */
}

char LICENSE[] SEC("license") = "GPL";
