// SPDX-License-Identifier: GPL-2.0
/* trace_write.bpf.c — counts write() calls (enter and exit), for the
 * tracer's robustness tests in tests/suites/trace.sh. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 enters = 0, exits = 0;

SEC("tracepoint/syscalls/sys_enter_write")
int write_enter(void *ctx)
{
	__sync_fetch_and_add(&enters, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_write")
int write_exit(void *ctx)
{
	__sync_fetch_and_add(&exits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
