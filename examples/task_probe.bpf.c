// SPDX-License-Identifier: GPL-2.0
/* task_probe.bpf.c — the current task (pid/tgid, uid/gid, comm) and reading
 * memory: probe_read_user/_kernel and their _str forms, with the kernel's
 * answers for a bad address (-EFAULT and a zeroed buffer) and for strings
 * (length including the NUL).  The test fills the context with what the
 * program should find: its own ids and comm, and the addresses of a string
 * and a word in its memory ("ctx=task").
 */
#include "expect.h"

struct task_ctx {
	__u64 pid_tgid;
	__u64 uid_gid;
	char comm[16];
	__u64 user_str;  /* -> "hello" */
	__u64 user_word; /* -> 0x11223344 */
};

// bpfbox-test: prog=task_ids expect=7 ctx=task
SEC("syscall")
int task_ids(struct task_ctx *c)
{
	__u32 ok = 0;
	__u8 diff = 0;
	char comm[16];

	CHECK(0, bpf_get_current_pid_tgid() == c->pid_tgid);
	CHECK(1, bpf_get_current_uid_gid() == c->uid_gid);
	bpf_get_current_comm(comm, sizeof(comm));
#pragma clang loop unroll(full)
	for (int i = 0; i < 16; i++)
		diff |= comm[i] ^ c->comm[i];
	CHECK(2, diff == 0);
	return ok;
}

// bpfbox-test: prog=probe_reads expect=255 ctx=task
SEC("syscall")
int probe_reads(struct task_ctx *c)
{
	__u32 ok = 0, x = 1;
	char s[16], t[4];

	long n = bpf_probe_read_user_str(s, sizeof(s), (void *)c->user_str);
	CHECK(0, n == 6 && s[0] == 'h' && s[4] == 'o' && s[5] == 0);
	n = bpf_probe_read_user_str(t, sizeof(t), (void *)c->user_str);
	CHECK(1, n == 4 && t[2] == 'l' && t[3] == 0);
	CHECK(2, bpf_probe_read_user(&x, 4, (void *)c->user_word) == 0 && x == 0x11223344);
	CHECK(3, bpf_probe_read_kernel(&x, 4, &c->pid_tgid) == 0 && x == (__u32)c->pid_tgid);
	char c0 = c->comm[0];
	n = bpf_probe_read_kernel_str(s, sizeof(s), c->comm);
	CHECK(4, n > 1 && s[0] == c0);
	x = 5;
	CHECK(5, bpf_probe_read_user(&x, 4, (void *)16) == -EFAULT && x == 0);
	n = bpf_probe_read_user_str(s, sizeof(s), (void *)16);
	CHECK(6, n == -EFAULT && s[0] == 0);
	CHECK(7, bpf_probe_read_user_str(s, 0, (void *)c->user_str) == 0);
	return ok;
}
