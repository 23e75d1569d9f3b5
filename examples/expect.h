/* expect.h — what the test examples share.
 *
 * Each example states what its programs must return in comment lines the
 * test suites read (tests/suites/examples.sh, tests/unit/test_examples.c):
 *
 *   // bpfbox-test: prog=NAME expect=VALUE [ctx=HEX | packet=HEX] [kernel=no:WHY]
 *
 * prog is the program to run, expect its return value (decimal), ctx the
 * context bytes (hex) or packet the packet for packet programs; kernel=no
 * says why the same program cannot run in the kernel with
 * BPF_PROG_TEST_RUN (else the kernel runs it too and must agree).
 *
 * Most programs check many things and return a bit mask of the checks that
 * passed: CHECK(n, cond) sets bit n when cond holds, so a wrong result
 * names the failing check (the expected mask has every bit set).
 */
#ifndef EXPECT_H
#define EXPECT_H

#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>

#define CHECK(n, cond) do { if (cond) ok |= 1u << (n); } while (0)

char LICENSE[] SEC("license") = "GPL";

#endif
