// SPDX-License-Identifier: GPL-2.0
/* strtox.bpf.c — bpf_strtol and bpf_strtoul with the kernel's rules: leading
 * spaces, a sign (strtol only), base 0 (0x.. is hex, 0.. is octal), the
 * number of characters consumed as the result, -EINVAL / -ERANGE.
 */
#include "expect.h"

// bpfbox-test: prog=strtox expect=255
SEC("syscall")
int strtox(void *ctx)
{
	__u32 ok = 0;
	long l = 0;
	unsigned long u = 0;
	char a[] = " -123x";
	char b[] = "0x1f";
	char c[] = "017";
	char d[] = "-5";
	char e[] = "99999999999999999999";
	char f[] = "zz";

	CHECK(0, bpf_strtol(a, sizeof(a) - 1, 0, &l) == 5 && l == -123);
	CHECK(1, bpf_strtoul(b, sizeof(b) - 1, 0, &u) == 4 && u == 31);
	CHECK(2, bpf_strtoul(c, sizeof(c) - 1, 0, &u) == 3 && u == 15);
	CHECK(3, bpf_strtoul(c, sizeof(c) - 1, 10, &u) == 3 && u == 17);
	CHECK(4, bpf_strtoul(d, sizeof(d) - 1, 0, &u) == -EINVAL);
	CHECK(5, bpf_strtol(e, sizeof(e) - 1, 0, &l) == -ERANGE);
	CHECK(6, bpf_strtol(f, sizeof(f) - 1, 0, &l) == -EINVAL);
	CHECK(7, bpf_strtol(b, sizeof(b) - 1, 3, &l) == -EINVAL);
	return ok;
}
