/* bpfbox — hooks/pktctx.c: the contexts packet programs run with.
 *
 * An XDP program gets a `struct xdp_md *` whose data/data_end/data_meta are
 * 32-bit fields holding packet addresses, and does
 *   void *data = (void *)(long)ctx->data;
 * A 32-bit field can hold an address only below 4 GiB, so each context is
 * one mapping made with MAP_32BIT:
 *
 *   [ ctx area 256 | headroom 256 | packet (max_len) | tailroom ]
 *
 * The ctx area holds the struct the kernel would pass — xdp_md (24 bytes)
 * or __sk_buff (192 bytes) at the kernel UAPI's offsets — and the rest is
 * a `struct bpfbox_pkt` the packet helpers (xdp_adjust_head/tail/meta,
 * skb_store_bytes, skb_change_tail, ...) move and resize; their `sync`
 * callback rewrites data/data_end/data_meta (and __sk_buff.len) here, so
 * the program sees the new bounds after each helper, as in the kernel.
 *
 * The run's memory region is the context, the headroom, the packet and
 * its tailroom (checked mode: the program may read and write those, never
 * anything else; the rest of the mapping is room for longer packets);
 * LD_ABS/LD_IND read the packet.
 *
 * Invariants: meta <= data <= data_end <= cap (the helpers check them
 * again); a packet longer than max_len is refused, not truncated silently;
 * outside the packet the buffer is zero when a run starts (what an earlier
 * packet or run left there is cleared), so no packet's bytes leak into
 * another's run.
 *
 * Limits: no fragments (xdp multi-buffer), no GSO; __sk_buff fields other
 * than len, pkt_type, protocol, ifindex, ingress_ifindex, data, data_end,
 * data_meta, wire_len and hash start at 0 (mark, priority, cb[], tc_index,
 * tstamp: the program may write them; nothing reads them afterwards).
 * Without MAP_32BIT (non-x86) contexts cannot be made (-ENOMEM).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hooks_int.h"

#define PC_CTX_AREA 256
#define PC_HEADROOM 256

/* Offsets in the kernel's UAPI context structs (include/uapi/linux/bpf.h). */
#define XDP_DATA 0
#define XDP_DATA_END 4
#define XDP_DATA_META 8
#define XDP_INGRESS_IFINDEX 12
#define XDP_RX_QUEUE 16
#define XDP_EGRESS_IFINDEX 20
#define XDP_MD_SIZE 24
#define SKB_LEN 0
#define SKB_PKT_TYPE 4
#define SKB_PROTOCOL 16
#define SKB_INGRESS_IFINDEX 36
#define SKB_IFINDEX 40
#define SKB_HASH 68
#define SKB_DATA 76
#define SKB_DATA_END 80
#define SKB_DATA_META 140
#define SKB_WIRE_LEN 160
#define SKB_SIZE 192

struct bpfbox_pktctx {
	int kind;
	uint8_t *base;
	size_t size;
	uint32_t max_len, tailroom;
	uint32_t dirty;  /* offset in buf up to which bytes may be non-zero */
	struct bpfbox_pkt pkt;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void pc_sync(void *ud, struct bpfbox_pkt *p)
{
	struct bpfbox_pktctx *c = ud;
	uint32_t at = (uint32_t)(uintptr_t)p->buf;
	if (p->xdp) {
		put32(c->base + XDP_DATA, at + p->data);
		put32(c->base + XDP_DATA_END, at + p->data_end);
		put32(c->base + XDP_DATA_META, at + p->meta);
	} else {
		put32(c->base + SKB_LEN, p->data_end - p->data);
		put32(c->base + SKB_DATA, at + p->data);
		put32(c->base + SKB_DATA_END, at + p->data_end);
		put32(c->base + SKB_DATA_META, at + p->meta);
		put32(c->base + SKB_HASH, p->hash);
	}
}

BPFBOX_API uint32_t bpfbox_pktctx__ctx_size(int kind)
{
	return kind == BPFBOX_PKT_XDP ? XDP_MD_SIZE : SKB_SIZE;
}

BPFBOX_API int bpfbox_pktctx__new(struct bpfbox_pktctx **out, int kind,
				  const struct bpfbox_pktctx_opts *opts)
{
	if (!out || (kind != BPFBOX_PKT_XDP && kind != BPFBOX_PKT_SKB) ||
	    !OPTS_VALID(opts, bpfbox_pktctx_opts))
		return -EINVAL;
	uint32_t max_len = OPTS_GET(opts, max_len, 0);
	uint32_t tail = OPTS_GET(opts, tailroom, 0);
	if (!max_len)
		max_len = 65535;
	if (!tail)
		tail = 512;
	if (max_len > (1u << 24) || tail > (1u << 24))
		return -EINVAL;
	struct bpfbox_pktctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->max_len = max_len;
	c->tailroom = tail;
	c->size = PC_CTX_AREA + PC_HEADROOM + (size_t)max_len + tail;
#ifdef MAP_32BIT
	c->base = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);
#else
	c->base = MAP_FAILED;
#endif
	if (c->base == MAP_FAILED || (uint64_t)(uintptr_t)c->base + c->size > (1ull << 32)) {
		if (c->base != MAP_FAILED)
			munmap(c->base, c->size);
		free(c);
		return -ENOMEM;
	}
	c->pkt.buf = c->base + PC_CTX_AREA;
	c->pkt.cap = (uint32_t)(c->size - PC_CTX_AREA);
	c->pkt.meta = c->pkt.data = c->pkt.data_end = PC_HEADROOM;
	c->pkt.xdp = kind == BPFBOX_PKT_XDP;
	c->pkt.sync = pc_sync;
	c->pkt.sync_ud = c;
	*out = c;
	return 0;
}

BPFBOX_API void bpfbox_pktctx__free(struct bpfbox_pktctx *c)
{
	if (!c)
		return;
	munmap(c->base, c->size);
	free(c);
}

BPFBOX_API int bpfbox_pktctx__set(struct bpfbox_pktctx *c, const struct bpfbox_pktrec *rec)
{
	if (!c || !rec || (rec->caplen && !rec->data))
		return -EINVAL;
	if (rec->caplen > c->max_len)
		return -E2BIG;
	uint32_t len = rec->caplen;
	memset(c->base, 0, PC_CTX_AREA);
	struct bpfbox_pkt *p = &c->pkt;
	/* bytes an earlier, longer packet (or a program) left behind the new
	 * one are zeroed: a checked-mode program that reads past data_end sees
	 * zeros, never another packet */
	if (c->dirty > PC_HEADROOM + len)
		memset(p->buf + PC_HEADROOM + len, 0, c->dirty - (PC_HEADROOM + len));
	memset(p->buf, 0, PC_HEADROOM);
	/* like an XDP frame, the buffer ends a tailroom after the packet: the
	 * program's region and bpf_xdp_adjust_tail's limit */
	p->cap = PC_HEADROOM + len + c->tailroom;
	c->dirty = p->cap;
	p->meta = p->data = PC_HEADROOM;
	p->data_end = PC_HEADROOM + len;
	p->hash = 0;
	p->ifindex = 0;
	p->redirect_flags = 0;
	memcpy(p->buf + PC_HEADROOM, rec->data, len);
	uint32_t ifindex = rec->ifindex ? rec->ifindex : 1;
	if (c->kind == BPFBOX_PKT_XDP) {
		put32(c->base + XDP_INGRESS_IFINDEX, ifindex);
		put32(c->base + XDP_RX_QUEUE, 0);
	} else {
		uint16_t proto = rec->protocol;
		if (!proto && len >= 14)
			memcpy(&proto, rec->data + 12, 2); /* network order, as skb->protocol */
		put32(c->base + SKB_PKT_TYPE, rec->pkttype);
		put32(c->base + SKB_PROTOCOL, proto);
		put32(c->base + SKB_INGRESS_IFINDEX, ifindex);
		put32(c->base + SKB_IFINDEX, ifindex);
		put32(c->base + SKB_WIRE_LEN, rec->len ? rec->len : len);
	}
	pc_sync(c, p);
	return 0;
}

BPFBOX_API int bpfbox_pktctx__run(struct bpfbox_pktctx *c, struct bpfbox_prog *prog,
				  const struct bpfbox_run_opts *ro, struct bpfbox_hook_env *task,
				  uint64_t *r0)
{
	if (!c || !prog || !r0)
		return -EINVAL;
	struct bpfbox_hook_env self;
	if (!task) {
		self.sz = sizeof(self);
		bpfbox_hook_env__self(&self);
		task = &self;
	}
	task->pkt = &c->pkt;
	BPFBOX_OPTS(bpfbox_run_opts, o);
	if (ro) {
		o.engine = OPTS_GET(ro, engine, 0);
		o.insn_budget = OPTS_GET(ro, insn_budget, 0);
		o.log = OPTS_GET(ro, log, NULL);
	}
	o.mem = c->base;
	o.mem_len = PC_CTX_AREA + c->pkt.cap;
	o.pkt = c->pkt.buf + c->pkt.data;
	o.pkt_len = c->pkt.data_end - c->pkt.data;
	o.hook = task;
	int e = bpfbox_prog__run(prog, &o, r0);
	task->pkt = NULL;
	return e;
}

BPFBOX_API const uint8_t *bpfbox_pktctx__data(const struct bpfbox_pktctx *c, uint32_t *len)
{
	if (!c)
		return NULL;
	if (len)
		*len = c->pkt.data_end - c->pkt.data;
	return c->pkt.buf + c->pkt.data;
}

BPFBOX_API void *bpfbox_pktctx__ctx(const struct bpfbox_pktctx *c, size_t *len)
{
	if (!c)
		return NULL;
	if (len)
		*len = bpfbox_pktctx__ctx_size(c->kind);
	return c->base;
}

BPFBOX_API const struct bpfbox_pkt *bpfbox_pktctx__pkt(const struct bpfbox_pktctx *c)
{
	return c ? &c->pkt : NULL;
}
