// SPDX-License-Identifier: GPL-2.0
/* trace_helpers.bpf.c — the helpers' view of a traced task, for
 * tests/suites/trace.sh.  On the first write() of a task named "sh" it
 * prints (trace_printk) what the helpers return:
 *   ids PID TGID UID GID     get_current_pid_tgid / get_current_uid_gid
 *   comm sh                  get_current_comm
 *   bad read -14 write -14   probe_read_user / probe_write_user of address 8
 *   buf N C                  probe_read_user of write's buffer: first byte
 *   task PID                 get_current_task (bpfbox's task view) + probe_read_kernel
 * and sends SIGUSR2 to the task (bpf_send_signal), once.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct write_args {
	unsigned long long common;
	int nr;
	unsigned long fd;
	unsigned long buf;
	unsigned long count;
};

__u32 done = 0;

SEC("tracepoint/syscalls/sys_enter_write")
int helpers(struct write_args *ctx)
{
	char comm[16];
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] != 's' || comm[1] != 'h' || comm[2] != 0)
		return 0;
	if (done)
		return 0;
	done = 1;
	__u64 id = bpf_get_current_pid_tgid(), ug = bpf_get_current_uid_gid();
	bpf_printk("ids %u %u %u", (__u32)id, (__u32)(id >> 32), (__u32)ug);
	bpf_printk("gid %u comm %s", (__u32)(ug >> 32), comm);
	long x = 1, r1 = bpf_probe_read_user(&x, 4, (void *)8);
	long r2 = bpf_probe_write_user((void *)8, &x, 4);
	bpf_printk("bad read %ld write %ld", r1, r2);
	char c = 0;
	long r3 = bpf_probe_read_user(&c, 1, (void *)ctx->buf);
	bpf_printk("buf %ld %c", r3, c);
	__u32 pid = 0;
	void *task = (void *)bpf_get_current_task();
	long r4 = bpf_probe_read_kernel(&pid, 4, task);
	bpf_printk("task %ld %u", r4, pid);
	bpf_send_signal(12 /* SIGUSR2 */);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
