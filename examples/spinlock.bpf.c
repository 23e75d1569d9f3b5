// SPDX-License-Identifier: GPL-2.0
/* spinlock.bpf.c — bpf_spin_lock / bpf_spin_unlock around an update of a
 * map value that embeds a struct bpf_spin_lock (a tc program, as the
 * kernel allows spin locks there).
 */
#include "expect.h"

struct val {
	struct bpf_spin_lock lock;
	__u32 cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct val);
} locked SEC(".maps");

// bpfbox-test: prog=spin expect=5 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("tc")
int spin(struct __sk_buff *skb)
{
	__u32 z = 0, r;
	struct val *v = bpf_map_lookup_elem(&locked, &z);
	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->cnt += 5;
	r = v->cnt;
	bpf_spin_unlock(&v->lock);
	return r;
}
