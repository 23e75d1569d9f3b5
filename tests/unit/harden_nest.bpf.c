// SPDX-License-Identifier: GPL-2.0
/* harden_nest.bpf.c — callbacks inside callbacks, for test_harden.c: bpf_loop
 * in a bpf_loop callback, bpf_for_each_map_elem in a bpf_loop callback, a
 * callback that keeps its result in its caller's stack frame (through the
 * context pointer), and a chain of seven nested callbacks: with the
 * program's own frame, the eight frames the kernel allows.  The kernel
 * returns 31 (every check).  (Not an example: bpfbox's verifier does not
 * accept nested callbacks yet, and `bpfbox run` verifies examples.)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CHECK(n, cond) do { if (cond) ok |= 1u << (n); } while (0)

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

__u64 inner_sum, each_sum, deepest;

static long inner_cb(__u32 i, void *c)
{
	inner_sum += i;
	return 0;
}

static long outer_cb(__u32 i, void *c)
{
	bpf_loop(4, inner_cb, 0, 0);
	return 0;
}

static long each_cb(void *map, __u32 *key, __u64 *val, void *c)
{
	each_sum += *val * 10 + *key;
	return 0;
}

static long loop_each_cb(__u32 i, void *c)
{
	bpf_for_each_map_elem(&vals, each_cb, 0, 0);
	return 0;
}

/* the caller's frame, seen through the context pointer */
struct last {
	__u64 i;
	__u64 calls;
};

static long last_cb(__u32 i, void *c)
{
	struct last *l = c;
	l->i = i;
	l->calls = 1;
	return 0;
}

static long d7(__u32 i, void *c)
{
	deepest = 7;
	return 0;
}
static long d6(__u32 i, void *c) { return bpf_loop(1, d7, 0, 0) != 1; }
static long d5(__u32 i, void *c) { return bpf_loop(1, d6, 0, 0) != 1; }
static long d4(__u32 i, void *c) { return bpf_loop(1, d5, 0, 0) != 1; }
static long d3(__u32 i, void *c) { return bpf_loop(1, d4, 0, 0) != 1; }
static long d2(__u32 i, void *c) { return bpf_loop(1, d3, 0, 0) != 1; }
static long d1(__u32 i, void *c) { return bpf_loop(1, d2, 0, 0) != 1; }

SEC("syscall")
int nest(void *ctx)
{
	__u32 ok = 0;

	/* 3 outer iterations, each 4 inner ones: 3 * (0 + 1 + 2 + 3) */
	long n = bpf_loop(3, outer_cb, 0, 0);
	CHECK(0, n == 3 && inner_sum == 18);

	__u32 k = 0;
	__u64 v = 1;
	bpf_map_update_elem(&vals, &k, &v, BPF_ANY);
	k = 1, v = 2;
	bpf_map_update_elem(&vals, &k, &v, BPF_ANY);
	k = 2, v = 3;
	bpf_map_update_elem(&vals, &k, &v, BPF_ANY);
	/* 2 iterations over values 1, 2, 3 at keys 0, 1, 2: 2 * 63 */
	n = bpf_loop(2, loop_each_cb, 0, 0);
	CHECK(1, n == 2 && each_sum == 126);

	struct last l = { 0, 0 };
	n = bpf_loop(5, last_cb, &l, 0);
	CHECK(2, n == 5 && l.i == 4 && l.calls == 1);

	n = bpf_loop(1, d1, 0, 0);
	CHECK(3, n == 1 && deepest == 7);

	CHECK(4, inner_sum == 18); /* nothing ran twice */
	return ok;
}
