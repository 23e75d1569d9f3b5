// SPDX-License-Identifier: GPL-2.0
/* trace_rawtp.bpf.c — raw tracepoints, for tests/suites/trace.sh: on
 * raw_tp/sys_enter of write() (id 1) it reads the first argument from the
 * task's pt_regs (rdi) as the kernel's PT_REGS_PARM1 does, and prints it;
 * on raw_tp/sys_exit it prints write's return value (ctx->args[1]). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PT_REGS_DI 112 /* offsetof(struct pt_regs, di) on x86-64 */
#define PT_REGS_ORIG_AX 120

SEC("raw_tp/sys_enter")
int rawtp_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] != 1)
		return 0;
	unsigned long regs = ctx->args[0], di = 0, nr = 0;
	bpf_probe_read_kernel(&di, sizeof(di), (void *)(regs + PT_REGS_DI));
	bpf_probe_read_kernel(&nr, sizeof(nr), (void *)(regs + PT_REGS_ORIG_AX));
	bpf_printk("raw enter write fd=%lu nr=%lu", di, nr);
	return 0;
}

SEC("raw_tp/sys_exit")
int rawtp_exit(struct bpf_raw_tracepoint_args *ctx)
{
	unsigned long regs = ctx->args[0], nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), (void *)(regs + PT_REGS_ORIG_AX));
	if (nr == 1)
		bpf_printk("raw exit write ret=%ld", (long)ctx->args[1]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
