// SPDX-License-Identifier: GPL-2.0
/* queue_stack.bpf.c — queue (FIFO) and stack (LIFO) maps: push, pop, peek,
 * -E2BIG when full, BPF_EXIST dropping the oldest element, -ENOENT when
 * empty.  Leaves [7, 8] in the queue and [9] on the stack.  A tc program:
 * the kernel's sleepable syscall programs may not use these maps.
 */
#include "expect.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 3);
	__type(value, __u32);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 3);
	__type(value, __u32);
} s SEC(".maps");

// bpfbox-test: prog=queue_stack expect=4095 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("tc")
int queue_stack(struct __sk_buff *ctx)
{
	__u32 ok = 0, v, a = 0, b = 0, c = 0, d = 0;
	int e = 0;

	v = 1; e |= bpf_map_push_elem(&q, &v, BPF_ANY);
	v = 2; e |= bpf_map_push_elem(&q, &v, BPF_ANY);
	v = 3; e |= bpf_map_push_elem(&q, &v, BPF_ANY);
	CHECK(0, e == 0);
	v = 4;
	CHECK(1, bpf_map_push_elem(&q, &v, BPF_ANY) == -E2BIG);
	CHECK(2, bpf_map_push_elem(&q, &v, BPF_EXIST) == 0);
	CHECK(3, bpf_map_peek_elem(&q, &a) == 0 && a == 2);
	bpf_map_pop_elem(&q, &a);
	bpf_map_pop_elem(&q, &b);
	bpf_map_pop_elem(&q, &c);
	CHECK(4, a == 2 && b == 3 && c == 4);
	CHECK(5, bpf_map_pop_elem(&q, &d) == -ENOENT);

	e = 0;
	v = 1; e |= bpf_map_push_elem(&s, &v, BPF_ANY);
	v = 2; e |= bpf_map_push_elem(&s, &v, BPF_ANY);
	v = 3; e |= bpf_map_push_elem(&s, &v, BPF_ANY);
	CHECK(6, e == 0 && bpf_map_peek_elem(&s, &a) == 0 && a == 3);
	v = 4;
	CHECK(7, bpf_map_push_elem(&s, &v, BPF_ANY) == -E2BIG);
	CHECK(8, bpf_map_push_elem(&s, &v, BPF_EXIST) == 0);
	bpf_map_pop_elem(&s, &a);
	bpf_map_pop_elem(&s, &b);
	bpf_map_pop_elem(&s, &c);
	CHECK(9, a == 4 && b == 3 && c == 2);
	CHECK(10, bpf_map_peek_elem(&s, &d) == -ENOENT);

	v = 7; bpf_map_push_elem(&q, &v, BPF_ANY);
	v = 8; bpf_map_push_elem(&q, &v, BPF_ANY);
	v = 9;
	CHECK(11, bpf_map_push_elem(&s, &v, BPF_ANY) == 0);
	return ok;
}
