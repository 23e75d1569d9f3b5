// SPDX-License-Identifier: GPL-2.0
/* loop_each.bpf.c — callbacks: bpf_loop (stops when the callback returns
 * 1; the result counts the iterations run) and bpf_for_each_map_elem (the
 * callback sees each element in place and may change it).
 */
#include "expect.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} h8 SEC(".maps");

/* The callbacks accumulate in global variables rather than in the caller's
 * stack: the kernel verifies a callback like a loop body, and a stack
 * value that grows every iteration would never let its states converge. */
__u64 sum, seen, stop_at;

static long sum_cb(__u32 i, void *c)
{
	sum += i;
	return i == 9 ? 1 : 0;
}

static long each_cb(void *map, __u32 *key, __u64 *val, void *c)
{
	sum += *val;
	seen++;
	*val += 1;
	return 0;
}

/* stops early; changes nothing (hash order is not the kernel's) */
static long count_cb(void *map, __u32 *key, __u64 *val, void *c)
{
	seen++;
	return seen == stop_at ? 1 : 0;
}

// bpfbox-test: prog=loops expect=127
SEC("syscall")
int loops(void *ctx)
{
	__u32 ok = 0, k;
	__u64 v;

	long n = bpf_loop(100, sum_cb, 0, 0);
	CHECK(0, n == 10 && sum == 45);
	CHECK(1, bpf_loop(5, sum_cb, 0, 1) == -EINVAL);
	CHECK(2, bpf_loop(0, sum_cb, 0, 0) == 0);

	for (int i = 0; i < 4; i++) {
		k = i;
		v = i + 1;
		bpf_map_update_elem(&arr4, &k, &v, BPF_ANY);
	}
	sum = seen = 0;
	n = bpf_for_each_map_elem(&arr4, each_cb, 0, 0);
	CHECK(3, n == 4 && sum == 10);
	k = 2;
	__u64 *p = bpf_map_lookup_elem(&arr4, &k);
	CHECK(4, p && *p == 4);

	for (int i = 10; i < 13; i++) {
		k = i;
		v = i;
		bpf_map_update_elem(&h8, &k, &v, BPF_ANY);
	}
	sum = seen = 0;
	n = bpf_for_each_map_elem(&h8, each_cb, 0, 0);
	CHECK(5, n == 3 && sum == 33);
	seen = 0;
	stop_at = 2;
	n = bpf_for_each_map_elem(&h8, count_cb, 0, 0);
	CHECK(6, n == 2 && seen == 2);
	return ok;
}
