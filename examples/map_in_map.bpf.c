// SPDX-License-Identifier: GPL-2.0
/* map_in_map.bpf.c — array of maps and hash of maps: a lookup in the outer
 * map gives the inner map, which is then used like any map.  The inner maps
 * are placed in the outer ones by the object (`.values = { ... }`).
 */
#include "expect.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} in_a SEC(".maps"), in_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} aom SEC(".maps") = {
	.values = { &in_a, &in_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} hom SEC(".maps") = {
	.values = { [1] = &in_b },
};

// bpfbox-test: prog=map_in_map expect=63
SEC("syscall")
int map_in_map(void *ctx)
{
	__u32 ok = 0, k0 = 0, k1 = 1, v = 11, w = 22, *p;
	void *inner = bpf_map_lookup_elem(&aom, &k1);
	if (!inner)
		return 0;
	CHECK(0, bpf_map_update_elem(inner, &k0, &v, BPF_ANY) == 0);
	inner = bpf_map_lookup_elem(&hom, &k1);
	if (!inner)
		return ok;
	p = bpf_map_lookup_elem(inner, &k0);
	CHECK(1, p && *p == 11);
	CHECK(2, bpf_map_lookup_elem(&hom, &k0) == 0);
	inner = bpf_map_lookup_elem(&aom, &k0);
	if (!inner)
		return ok;
	CHECK(3, bpf_map_update_elem(inner, &k1, &w, BPF_ANY) == 0);
	p = bpf_map_lookup_elem(&in_a, &k1);
	CHECK(4, p && *p == 22);
	p = bpf_map_lookup_elem(&in_b, &k0);
	CHECK(5, p && *p == 11);
	return ok;
}
