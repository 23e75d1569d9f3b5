// SPDX-License-Identifier: GPL-2.0
/* tailcall.bpf.c — tail calls through a prog array filled from the object
 * (`.values = { ... }`): a jump to another program, a missing slot that
 * falls through, and a program tail-calling itself until the kernel's
 * limit of 33 tail calls stops it (34 runs in all).  tc programs, because
 * the kernel's (sleepable) syscall programs may not use prog arrays.
 */
#include "expect.h"

int tail_a(struct __sk_buff *ctx);
int tail_self(struct __sk_buff *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct __sk_buff *));
} jmp SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_a,
		[1] = (void *)&tail_self,
	},
};

__u32 hops;

SEC("tc")
int tail_a(struct __sk_buff *ctx)
{
	hops += 100;
	return 7;
}

// bpfbox-test: prog=tail_self expect=34 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("tc")
int tail_self(struct __sk_buff *ctx)
{
	hops += 1;
	bpf_tail_call(ctx, &jmp, 1);
	return hops;
}

// bpfbox-test: prog=tail_entry expect=7 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("tc")
int tail_entry(struct __sk_buff *ctx)
{
	bpf_tail_call(ctx, &jmp, 0);
	return 1;
}

// bpfbox-test: prog=tail_missing expect=55 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("tc")
int tail_missing(struct __sk_buff *ctx)
{
	bpf_tail_call(ctx, &jmp, 3);
	bpf_tail_call(ctx, &jmp, 1000);
	return 55;
}
