// SPDX-License-Identifier: GPL-2.0
/* ringbuf.bpf.c — BPF ring buffer: reserve + submit, reserve + discard,
 * output, query.  A consumer then sees two records (seq 1 and 3): the
 * discarded one is skipped, but until consumed it still takes room.
 */
#include "expect.h"

struct event {
	__u32 seq;
	__u32 val;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} rb SEC(".maps");

// bpfbox-test: prog=ringbuf_ops expect=127
SEC("syscall")
int ringbuf_ops(void *ctx)
{
	__u32 ok = 0;
	struct event *e, x = { 3, 30 };

	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->seq = 1;
	e->val = 10;
	bpf_ringbuf_submit(e, 0);
	CHECK(0, 1);
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return ok;
	e->seq = 2;
	bpf_ringbuf_discard(e, 0);
	CHECK(1, 1);
	CHECK(2, bpf_ringbuf_output(&rb, &x, sizeof(x), 0) == 0);
	/* three records of 8 header + 8 data bytes, none consumed yet */
	CHECK(3, bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) == 48);
	CHECK(4, bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE) == 16384);
	CHECK(5, bpf_ringbuf_query(&rb, BPF_RB_PROD_POS) == 48 &&
		 bpf_ringbuf_query(&rb, BPF_RB_CONS_POS) == 0);
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 1); /* flags must be 0 */
	CHECK(6, e == 0);
	if (e)
		bpf_ringbuf_discard(e, 0);
	return ok;
}
