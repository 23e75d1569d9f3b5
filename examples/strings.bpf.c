// SPDX-License-Identifier: GPL-2.0
/* strings.bpf.c — bpf_snprintf, bpf_strncmp, bpf_trace_printk (and
 * bpf_trace_vprintk through bpf_printk with more than three arguments).
 * Return values are the kernel's: snprintf counts the NUL, trace_printk
 * returns the length it formatted.
 */
#include "expect.h"

// bpfbox-test: prog=strings expect=511
SEC("syscall")
int strings(void *ctx)
{
	__u32 ok = 0;
	char buf[32];
	static const char fmt[] = "v=%d s=%s x=%x";
	char name[4] = "abc";
	/* built at run time: a pointer in an initializer would be a data
	 * relocation, which eBPF loaders (libbpf, bpfbox) do not apply */
	__u64 data[3];
	data[0] = 42;
	data[1] = (__u64)(long)name;
	data[2] = 255;

	long n = bpf_snprintf(buf, sizeof(buf), fmt, data, sizeof(data));
	CHECK(0, n == 16);
	CHECK(1, buf[2] == '4' && buf[7] == 'a' && buf[14] == 'f' && buf[15] == 0);
	CHECK(2, bpf_strncmp(buf, 4, "v=42") == 0);
	CHECK(3, bpf_strncmp(buf, 4, "v=43") < 0 && bpf_strncmp(buf, 5, "v=42") > 0);
	char small[4];
	n = bpf_snprintf(small, sizeof(small), fmt, data, sizeof(data));
	CHECK(4, n == 16 && small[3] == 0 && small[2] == '4');

	static const char tp[] = "a=%d b=%u c=%x";
	CHECK(5, bpf_trace_printk(tp, sizeof(tp), 7, 8, 9) == 11);
	static const char bad[] = "%q";
	CHECK(6, bpf_trace_printk(bad, sizeof(bad), 1, 2, 3) < 0);
	long m = bpf_printk("four args: %d %d %d %d", 1, 2, 3, 4);
	CHECK(7, m == 18);
	static const char sfmt[] = "%5d|%-3u|%03x";
	__u64 d2[3] = { 42, 7, 10 };
	n = bpf_snprintf(buf, sizeof(buf), sfmt, d2, sizeof(d2));
	CHECK(8, n == 14 && buf[0] == ' ' && buf[3] == '4' && buf[7] == ' ' && buf[10] == '0' &&
		 buf[12] == 'a');
	return ok;
}
