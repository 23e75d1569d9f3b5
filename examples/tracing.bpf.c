// SPDX-License-Identifier: GPL-2.0
/* tracing.bpf.c — helpers of tracing programs: get_stack, get_func_ip,
 * probe_write_user, perf_event_output, and the legacy bpf_probe_read /
 * bpf_probe_read_str (user or kernel memory).  What they return
 * depends on the hook that runs the program; under a plain `bpfbox run`
 * (no hook: the "task" is bpfbox itself) there is no stack to copy
 * (get_stack: -EFAULT, buffer zeroed), no traced function (ip 0), and
 * probe_write_user may write only the program's own context — anything
 * else is -EPERM, never the host's memory.
 */
#include "expect.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

// bpfbox-test: prog=tracing expect=255 ctx=0000000000000000000000000000000000000000000000000000000000000000 kernel=no:kprobe programs cannot be test-run
SEC("kprobe/do_nanosleep")
int tracing(void *regs)
{
	__u32 ok = 0, val = 0xabcd;
	__u64 ips[4] = { 1, 1, 1, 1 };

	long n = bpf_get_stack(regs, ips, sizeof(ips), 0);
	CHECK(0, (n == -EFAULT && ips[0] == 0 && ips[3] == 0) || n > 0);
	CHECK(1, bpf_get_stack(regs, ips, 12, 0) == -EINVAL);
	CHECK(2, bpf_get_func_ip(regs) == 0 || bpf_get_func_ip(regs) > 4096);
	CHECK(3, bpf_probe_write_user(regs, &val, sizeof(val)) == 0 && *(__u32 *)regs == 0xabcd);
	CHECK(4, bpf_probe_write_user((void *)4096, &val, sizeof(val)) == -EPERM);
	__u64 pid = bpf_get_current_pid_tgid();
	CHECK(5, bpf_perf_event_output(regs, &events, BPF_F_CURRENT_CPU, &pid, sizeof(pid)) == 0);
	__u32 first = 0;
	CHECK(6, bpf_probe_read(&first, sizeof(first), regs) == 0 && first == 0xabcd);
	char s[16];
	static const char word[] = "kprobe";
	CHECK(7, bpf_probe_read_str(s, sizeof(s), word) == 7 && s[6] == 0 && s[0] == 'k');
	return ok;
}
