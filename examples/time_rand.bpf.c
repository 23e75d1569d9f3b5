// SPDX-License-Identifier: GPL-2.0
/* time_rand.bpf.c — clocks (monotonic, boot, coarse, TAI, jiffies), random
 * numbers, CPU and NUMA node.  Values differ from run to run, so the checks
 * are the relations that always hold.  (A tc program: the kernel does not
 * give syscall programs the coarse clock.)
 */
#include "expect.h"

// bpfbox-test: prog=time_rand expect=255 packet=ffffffffffff020000000001080045000030000100004011f968c0a80001c0a800020035003500040000deadbeefcafef00d0102030405060708090a0b0c0d0e0f10
SEC("tc")
int time_rand(struct __sk_buff *ctx)
{
	__u32 ok = 0;
	__u64 t1 = bpf_ktime_get_ns();
	__u64 t2 = bpf_ktime_get_ns();
	__u64 boot = bpf_ktime_get_boot_ns();
	__u64 coarse = bpf_ktime_get_coarse_ns();
	__u64 tai = bpf_ktime_get_tai_ns();
	__u64 j1 = bpf_jiffies64();

	CHECK(0, t1 > 0 && t2 >= t1);
	CHECK(1, boot >= t1);
	/* the coarse clock lags by at most a tick (<= 10 ms) */
	CHECK(2, coarse > 0 && coarse <= t2 + 10000000ull && coarse + 10000000ull >= t1);
	CHECK(3, tai > boot);
	CHECK(4, j1 > 0);

	__u32 r = bpf_get_prandom_u32(), same = 0;
#pragma clang loop unroll(full)
	for (int i = 0; i < 8; i++)
		same += bpf_get_prandom_u32() == r;
	CHECK(5, same < 8);
	CHECK(6, bpf_get_smp_processor_id() < 4096);
	CHECK(7, bpf_get_numa_node_id() == 0);
	return ok;
}
