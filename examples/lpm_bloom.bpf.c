// SPDX-License-Identifier: GPL-2.0
/* lpm_bloom.bpf.c — longest-prefix-match trie (IPv4 routes) and a bloom
 * filter.  The trie answers the most specific prefix that contains an
 * address; deleting a prefix falls back to the next shorter one.  A bloom
 * filter has no false negatives and takes only BPF_ANY.  A tc program:
 * the kernel's sleepable syscall programs may not use these maps.
 */
#include "expect.h"

struct ipv4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipv4_key);
	__type(value, __u32);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 16);
	__uint(map_extra, 3);
	__type(value, __u32);
} seen SEC(".maps");

static __attribute__((noinline)) __u32 route(__u8 a, __u8 b, __u8 c, __u8 d)
{
	struct ipv4_key k = { 32, { a, b, c, d } };
	__u32 *v = bpf_map_lookup_elem(&routes, &k);
	return v ? *v : 0;
}

static __attribute__((noinline)) int add(__u32 len, __u8 a, __u8 b, __u8 c, __u32 val)
{
	struct ipv4_key k = { len, { a, b, c, 0 } };
	return bpf_map_update_elem(&routes, &k, &val, BPF_ANY);
}

// bpfbox-test: prog=lpm_bloom expect=1023 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("tc")
int lpm_bloom(struct __sk_buff *ctx)
{
	__u32 ok = 0, v;
	int e = 0;

	e |= add(8, 10, 0, 0, 1);
	e |= add(16, 10, 1, 0, 2);
	e |= add(24, 10, 1, 2, 3);
	CHECK(0, e == 0);
	CHECK(1, route(10, 1, 2, 3) == 3);
	CHECK(2, route(10, 1, 9, 9) == 2);
	CHECK(3, route(10, 9, 9, 9) == 1);
	CHECK(4, route(11, 0, 0, 1) == 0);
	struct ipv4_key k16 = { 16, { 10, 1, 0, 0 } };
	CHECK(5, bpf_map_delete_elem(&routes, &k16) == 0);
	CHECK(6, route(10, 1, 9, 9) == 1 && route(10, 1, 2, 200) == 3);

	e = 0;
	v = 100; e |= bpf_map_push_elem(&seen, &v, BPF_ANY);
	v = 200; e |= bpf_map_push_elem(&seen, &v, BPF_ANY);
	v = 300; e |= bpf_map_push_elem(&seen, &v, BPF_ANY);
	CHECK(7, e == 0);
	v = 200;
	int p1 = bpf_map_peek_elem(&seen, &v);
	v = 300;
	int p2 = bpf_map_peek_elem(&seen, &v);
	CHECK(8, p1 == 0 && p2 == 0);
	CHECK(9, bpf_map_push_elem(&seen, &v, BPF_EXIST) == -EINVAL);
	return ok;
}
