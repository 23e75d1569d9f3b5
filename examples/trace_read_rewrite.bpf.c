// SPDX-License-Identifier: GPL-2.0
/* trace_read_rewrite.bpf.c — change what read() returns to one command.
 *
 *   bpfbox trace examples/trace_read_rewrite.bpf.c -- cat notes.txt
 *
 * prints notes.txt with every "world" replaced by "eBPF!", while any other
 * command (head, grep, ...) reads the file unchanged.  The same object
 * loads into a kernel with libbpf; it needs no change to run under bpfbox.
 *
 * How: on sys_enter_read of a task whose comm is TARGET_COMM the program
 * remembers the user buffer (per thread, in a hash map); on sys_exit_read
 * it copies what the kernel wrote there (probe_read_user), replaces FROM
 * with TO (same length: read()'s return value stays right), and writes the
 * bytes back (probe_write_user).  It looks at the first MAX_CHUNKS * ~250
 * bytes of each read, in overlapping chunks so a word across a chunk
 * boundary is still found.  `rewrites` counts the replacements
 * (bpfbox trace --dump-maps shows it).
 *
 * Note: when its output is a regular file, cat copies with
 * copy_file_range() and the bytes never pass through read() — run it with
 * its output on a terminal or a pipe (`... -- cat notes.txt | less`).
 *
 * Change the target and the words at compile time, e.g.
 *   BPFBOX_CFLAGS='-DTARGET_COMM="tac"' bpfbox trace examples/trace_read_rewrite.bpf.c -- tac f
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef TARGET_COMM
#define TARGET_COMM "cat"
#endif
#ifndef FROM
#define FROM "world"
#endif
#ifndef TO
#define TO "eBPF!"
#endif

#define WLEN (sizeof(FROM) - 1)
#define CHUNK 256
#define STEP (CHUNK - (WLEN - 1)) /* chunks overlap by WLEN - 1 bytes */
#define MAX_CHUNKS 16

_Static_assert(sizeof(FROM) == sizeof(TO), "FROM and TO must have the same length");

/* The records of syscalls/sys_enter_read and sys_exit_read (see their
 * format files under /sys/kernel/tracing/events/syscalls/). */
struct sys_enter_read_args {
	unsigned long long common;   /* type, flags, preempt count, pid */
	int syscall_nr;
	unsigned long fd;
	unsigned long buf;
	unsigned long count;
};

struct sys_exit_args {
	unsigned long long common;
	int syscall_nr;
	long ret;
};

struct chunk {
	char b[CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);   /* pid_tgid */
	__type(value, __u64); /* the user buffer of the read in progress */
} reads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chunk);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rewrites SEC(".maps");

static __always_inline int is_target(void)
{
	char comm[16];
	const char want[] = TARGET_COMM;

	bpf_get_current_comm(comm, sizeof(comm));
#pragma clang loop unroll(full)
	for (int i = 0; i < (int)sizeof(want); i++)
		if (comm[i] != want[i])
			return 0;
	return 1;
}

SEC("tracepoint/syscalls/sys_enter_read")
int enter_read(struct sys_enter_read_args *ctx)
{
	if (!is_target())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u64 buf = ctx->buf;
	bpf_map_update_elem(&reads, &id, &buf, BPF_ANY);
	return 0;
}

/* Replace FROM by TO in c->b[0..n); returns how many. */
/* The scan of one chunk is a bpf_loop callback, verified once for any
 * offset.  An unrolled scan would make a verifier follow both outcomes of
 * every byte comparison, over every offset of every chunk, on one path:
 * more than the 8192 pending branches the kernel's verifier allows ("The
 * sequence of 8193 jumps is too complex"), in bpfbox's verifier as in
 * the kernel's. */
struct scan {
	struct chunk *c;
	long n;       /* valid bytes in c */
	__u64 *count; /* the rewrites counter */
	int dirty;    /* c changed: write it back (0 or 1: a counter here would
		       * be a value per number of hits to the kernel's verifier) */
};

static long scan_at(__u32 i, void *data)
{
	struct scan *s = data;
	const char from[] = FROM, to[] = TO;

	if (i > CHUNK - WLEN || i + WLEN > s->n)
		return 1; /* past the chunk's bytes: stop */
	char *p = &s->c->b[i];
#pragma clang loop unroll(full)
	for (int k = 0; k < (int)WLEN; k++)
		if (p[k] != from[k])
			return 0;
#pragma clang loop unroll(full)
	for (int k = 0; k < (int)WLEN; k++)
		p[k] = to[k];
	s->dirty = 1;
	__sync_fetch_and_add(s->count, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_read")
int exit_read(struct sys_exit_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 *bufp = bpf_map_lookup_elem(&reads, &id);
	if (!bufp)
		return 0;
	__u64 ubuf = *bufp;
	bpf_map_delete_elem(&reads, &id);
	long ret = ctx->ret;
	if (ret <= 0)
		return 0;
	__u32 zero = 0;
	struct chunk *c = bpf_map_lookup_elem(&scratch, &zero);
	__u64 *count = bpf_map_lookup_elem(&rewrites, &zero);
	if (!c || !count)
		return 0;
	for (int i = 0; i < MAX_CHUNKS; i++) {
		long off = (long)i * STEP;
		if (off >= ret)
			break;
		long n = ret - off;
		if (n > CHUNK)
			n = CHUNK;
		if (n < (long)WLEN)
			break;
		if (bpf_probe_read_user(c->b, n, (void *)(ubuf + off)))
			break;
		struct scan s = { c, n, count, 0 };
		bpf_loop(CHUNK - WLEN + 1, scan_at, &s, 0);
		if (s.dirty && bpf_probe_write_user((void *)(ubuf + off), c->b, n))
			break;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
