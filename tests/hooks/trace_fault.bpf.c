// SPDX-License-Identifier: GPL-2.0
/* trace_fault.bpf.c — programs that go wrong, for tests/suites/trace.sh:
 * one dereferences a wild pointer on every write(), one loops forever on
 * every openat(); a third, well-behaved one counts write exits.  bpfbox
 * must report and detach the first two and let the command finish. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 good_runs = 0;

SEC("tracepoint/syscalls/sys_enter_write")
int wild(void *ctx)
{
	volatile long *p = (long *)0x1000;
	return *p;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int forever(void *ctx)
{
	volatile int i = 0;
	while (i >= 0)
		i = i | 1;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_write")
int good(void *ctx)
{
	__sync_fetch_and_add(&good_runs, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
