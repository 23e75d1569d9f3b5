// SPDX-License-Identifier: GPL-2.0
/* hash.bpf.c — the hash family: hash, per-CPU hash, LRU hash, LRU per-CPU
 * hash, with the kernel's update flags and errors (a full preallocated hash
 * refuses a new key with -E2BIG; an LRU hash evicts instead).
 */
#include "expect.h"

#define HASH_MAP(name, kind)                  \
	struct {                              \
		__uint(type, kind);           \
		__uint(max_entries, 4);       \
		__type(key, __u32);           \
		__type(value, __u64);         \
	} name SEC(".maps")

HASH_MAP(h, BPF_MAP_TYPE_HASH);
HASH_MAP(ph, BPF_MAP_TYPE_PERCPU_HASH);
HASH_MAP(lru, BPF_MAP_TYPE_LRU_HASH);
HASH_MAP(lpc, BPF_MAP_TYPE_LRU_PERCPU_HASH);

// bpfbox-test: prog=hash_ops expect=8191 nocmp=lru,lpc
SEC("syscall")
int hash_ops(void *ctx)
{
	__u32 ok = 0, k, nine = 9, two = 2, one = 1;
	__u64 v, *p;
	int fails = 0;

	for (int i = 0; i < 4; i++) {
		k = i;
		v = i * 10;
		fails += bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST) != 0;
	}
	CHECK(0, fails == 0);
	v = 1;
	CHECK(1, bpf_map_update_elem(&h, &nine, &v, BPF_NOEXIST) == -E2BIG);
	CHECK(2, bpf_map_update_elem(&h, &two, &v, BPF_NOEXIST) == -EEXIST);
	CHECK(3, bpf_map_update_elem(&h, &nine, &v, BPF_EXIST) == -ENOENT);
	v = 77;
	/* look up again after the update: the kernel replaces a hash element
	 * on update, so an older pointer may still see the old value */
	int ue = bpf_map_update_elem(&h, &two, &v, BPF_EXIST);
	p = bpf_map_lookup_elem(&h, &two);
	CHECK(4, ue == 0 && p && *p == 77);
	CHECK(5, bpf_map_delete_elem(&h, &nine) == -ENOENT);
	CHECK(6, bpf_map_delete_elem(&h, &one) == 0 && !bpf_map_lookup_elem(&h, &one));
	CHECK(7, bpf_map_update_elem(&h, &nine, &v, BPF_ANY) == 0);

	v = 3;
	CHECK(8, bpf_map_update_elem(&ph, &one, &v, BPF_ANY) == 0);
	p = bpf_map_lookup_elem(&ph, &one);
	CHECK(9, p && *p == 3);

	fails = 0;
	for (int i = 0; i < 6; i++) {
		k = i;
		v = i;
		fails += bpf_map_update_elem(&lru, &k, &v, BPF_ANY) != 0;
	}
	k = 5;
	p = bpf_map_lookup_elem(&lru, &k);
	CHECK(10, fails == 0);
	CHECK(11, p && *p == 5);

	v = 8;
	bpf_map_update_elem(&lpc, &one, &v, BPF_ANY);
	p = bpf_map_lookup_elem(&lpc, &one);
	CHECK(12, p && *p == 8);
	return ok;
}
