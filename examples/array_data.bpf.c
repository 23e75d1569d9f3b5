// SPDX-License-Identifier: GPL-2.0
/* array_data.bpf.c — array and per-CPU array maps, and global data in every
 * kind of section (.data, .rodata, .bss, .data.NAME, .rodata.NAME and the
 * string literals clang puts in .rodata.str1.1).
 *
 * The checks are the kernel's array semantics: every index exists (so
 * BPF_NOEXIST is -EEXIST and delete is -EINVAL), an index past max_entries
 * is -E2BIG, values are updated in place through the lookup pointer, and a
 * per-CPU array gives each CPU its own copy.
 */
#include "expect.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

__u64 counter = 40;                        /* .data */
const volatile __u32 scale = 3;            /* .rodata */
__u32 zeroed;                              /* .bss */
char tag[8] SEC(".data.tags") = "bpfbox";  /* a custom data section */
const char greeting[8] SEC(".rodata.msgs") = "hello";

static __attribute__((noinline)) int first_is(const char *s, char c)
{
	return s[0] == c;
}

// bpfbox-test: prog=array_ops expect=16383
SEC("syscall")
int array_ops(void *ctx)
{
	__u32 ok = 0, k = 1, big = 4, z = 0;
	__u64 v = 7, *p, *c;

	CHECK(0, bpf_map_update_elem(&arr, &k, &v, BPF_ANY) == 0);
	p = bpf_map_lookup_elem(&arr, &k);
	CHECK(1, p && *p == 7);
	CHECK(2, bpf_map_update_elem(&arr, &k, &v, BPF_NOEXIST) == -EEXIST);
	CHECK(3, bpf_map_update_elem(&arr, &big, &v, BPF_ANY) == -E2BIG);
	CHECK(4, bpf_map_delete_elem(&arr, &k) == -EINVAL);
	CHECK(5, bpf_map_lookup_elem(&arr, &big) == 0);
	if (p)
		*p += 1;
	p = bpf_map_lookup_elem(&arr, &k);
	CHECK(6, p && *p == 8);

	c = bpf_map_lookup_elem(&pcpu, &z);
	if (c)
		*c += 5;
	c = bpf_map_lookup_elem(&pcpu, &z);
	CHECK(7, c && *c == 5);
	CHECK(8, bpf_map_update_elem(&pcpu, &k, &v, BPF_EXIST) == 0);
	c = bpf_map_lookup_percpu_elem(&pcpu, &k, bpf_get_smp_processor_id());
	CHECK(9, c && *c == 7);

	counter += scale;
	zeroed += 2;
	CHECK(10, counter == 43 && zeroed == 2);
	CHECK(11, tag[0] == 'b' && tag[5] == 'x' && tag[6] == 0);
	CHECK(12, greeting[4] == 'o');
	CHECK(13, first_is("literal", 'l'));
	return ok;
}
