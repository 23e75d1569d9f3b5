/* bpfbox — helpers/h_pkt.c: packet helpers (XDP and tc/skb).
 *
 * A packet program's event is a `struct bpfbox_pkt` the hook hands over in
 * the run's hook env: one flat buffer with offsets for data_meta, data and
 * data_end.  These helpers move those offsets or copy bytes in and out,
 * with the kernel's bounds and return codes, then call pkt->sync so the
 * hook can rewrite the program's context (the data/data_end pointers the
 * program reads).  Without a packet (a plain run) they return -EINVAL, as
 * the kernel's would for a context that has none.
 *
 * Checksum helpers implement the kernel's ones' complement arithmetic
 * (csum_replace2/4, csum_replace_by_diff, csum_partial's 32-bit unfolded
 * sum as x86-64 computes it) on the raw bytes in memory, so results match
 * the kernel's byte for byte.
 *
 * Difference: XDP keeps no headroom reserve for an xdp_frame (there is no
 * frame to build), so xdp_adjust_head may grow into all of the headroom.
 */
#include <string.h>
#include "hlp.h"

#define ETH_HLEN 14
#define XDP_ABORTED 0
#define XDP_REDIRECT 4
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7
#define F_INGRESS (1ull << 0)
#define F_RECOMPUTE_CSUM (1ull << 0)
#define F_INVALIDATE_HASH (1ull << 1)
#define F_HDR_FIELD_MASK 0xfull
#define F_PSEUDO_HDR (1ull << 4)
#define F_MARK_MANGLED_0 (1ull << 5)
#define F_MARK_ENFORCE (1ull << 6)

static struct bpfbox_pkt *pkt_of(struct bpfbox_exec *ex, int want_xdp)
{
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	if (!h || h->sz < offsetof(struct bpfbox_hook_env, pkt) + sizeof(h->pkt) || !h->pkt)
		return NULL;
	struct bpfbox_pkt *p = h->pkt;
	if (want_xdp >= 0 && p->xdp != (bool)want_xdp)
		return NULL;
	if (p->meta > p->data || p->data > p->data_end || p->data_end > p->cap || !p->buf)
		return NULL; /* a hook bug; never touch such a buffer */
	return p;
}

static void sync(struct bpfbox_pkt *p)
{
	if (p->sync)
		p->sync(p->sync_ud, p);
}

uint64_t hlp_xdp_adjust_head(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, 1);
	if (!p)
		return (uint64_t)-EINVAL;
	int64_t delta = (int32_t)r2;
	int64_t data = (int64_t)p->data + delta;
	uint32_t metalen = p->data - p->meta;
	if (data - (int64_t)metalen < 0 || data > (int64_t)p->data_end - ETH_HLEN)
		return (uint64_t)-EINVAL;
	if (metalen)
		memmove(p->buf + data - metalen, p->buf + p->meta, metalen);
	p->meta = (uint32_t)(data - metalen);
	p->data = (uint32_t)data;
	sync(p);
	return 0;
}

uint64_t hlp_xdp_adjust_meta(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, 1);
	if (!p)
		return (uint64_t)-EINVAL;
	int64_t meta = (int64_t)p->meta + (int32_t)r2;
	if (meta < 0 || meta > (int64_t)p->data)
		return (uint64_t)-EINVAL;
	uint32_t metalen = p->data - (uint32_t)meta;
	if (metalen % 4 || metalen > 32)
		return (uint64_t)-EACCES;
	p->meta = (uint32_t)meta;
	sync(p);
	return 0;
}

uint64_t hlp_xdp_adjust_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, 1);
	if (!p)
		return (uint64_t)-EINVAL;
	int64_t end = (int64_t)p->data_end + (int32_t)r2;
	if (end > (int64_t)p->cap || end < (int64_t)p->data + ETH_HLEN)
		return (uint64_t)-EINVAL;
	if (end > (int64_t)p->data_end)
		memset(p->buf + p->data_end, 0, (size_t)(end - p->data_end));
	p->data_end = (uint32_t)end;
	sync(p);
	return 0;
}

uint64_t hlp_xdp_get_buff_len(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, 1);
	return p ? p->data_end - p->data : 0;
}

static uint64_t copy_bytes(struct bpfbox_exec *ex, struct bpfbox_pkt *p, uint64_t off,
			   uint64_t buf, uint64_t len, bool store, const char *name, int fail)
{
	/* a load's buffer is written on every path (zeros when it fails):
	 * the verifier counts it as written */
	if (!p) {
		if (!store && !bpfbox_exec__check_mem(ex, buf, len, true))
			hlp_zero((void *)(uintptr_t)buf, len);
		return (uint64_t)(int64_t)fail;
	}
	if (hlp_mem(ex, buf, len, !store, name, "buf"))
		return (uint64_t)-EFAULT;
	uint64_t plen = p->data_end - p->data;
	if (off > plen || len > plen - off) {
		if (!store)
			hlp_zero((void *)(uintptr_t)buf, len);
		return (uint64_t)(int64_t)fail;
	}
	if (!len)
		return 0;
	uint8_t *at = p->buf + p->data + off;
	if (store)
		memmove(at, (const void *)(uintptr_t)buf, len);
	else
		memmove((void *)(uintptr_t)buf, at, len);
	return 0;
}

uint64_t hlp_xdp_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	return copy_bytes(ex, pkt_of(ex, 1), (uint32_t)r2, r3, r4, false, "xdp_load_bytes", -EINVAL);
}

uint64_t hlp_xdp_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	return copy_bytes(ex, pkt_of(ex, 1), (uint32_t)r2, r3, r4, true, "xdp_store_bytes", -EINVAL);
}

uint64_t hlp_skb_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	if (r2 > 0x7fffffff) {
		if (!hlp_mem(ex, r3, r4, true, "skb_load_bytes", "to"))
			hlp_zero((void *)(uintptr_t)r3, r4);
		return (uint64_t)-EFAULT;
	}
	return copy_bytes(ex, pkt_of(ex, 0), r2, r3, r4, false, "skb_load_bytes", -EFAULT);
}

uint64_t hlp_skb_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	if (r5 & ~(F_RECOMPUTE_CSUM | F_INVALIDATE_HASH))
		return (uint64_t)-EINVAL;
	if (r2 > 0xffff)
		return (uint64_t)-EFAULT;
	struct bpfbox_pkt *p = pkt_of(ex, 0);
	uint64_t r = copy_bytes(ex, p, r2, r3, r4, true, "skb_store_bytes", -EFAULT);
	if (!r && p) {
		if (r5 & F_INVALIDATE_HASH)
			p->hash = 0;
		sync(p);
	}
	return r;
}

uint64_t hlp_skb_pull_data(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, 0);
	if (!p)
		return (uint64_t)-EINVAL;
	/* the buffer is linear already; only more than the packet fails */
	return r2 > p->data_end - p->data ? (uint64_t)-ENOMEM : 0;
}

uint64_t hlp_skb_change_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, 0);
	if (!p || r3)
		return (uint64_t)-EINVAL;
	uint64_t len = (uint32_t)r2, max = p->cap - p->data;
	if (len > max || len < ETH_HLEN)
		return (uint64_t)-EINVAL;
	uint32_t end = p->data + (uint32_t)len;
	if (end > p->data_end)
		memset(p->buf + p->data_end, 0, end - p->data_end);
	p->data_end = end;
	sync(p);
	return 0;
}

/* ---- checksums ---------------------------------------------------------------- */

static uint32_t fold32(uint64_t s)
{
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

static uint16_t fold16(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;
	return r + (r < a);
}

static uint16_t *csum_field(struct bpfbox_pkt *p, uint64_t off)
{
	uint64_t plen = p->data_end - p->data;
	if (off > 0xffff || off & 1 || off + 2 > plen)
		return NULL;
	return (uint16_t *)(void *)(p->buf + p->data + off);
}

/* *sum updated for a 2- or 4-byte field changing from `from` to `to`, or by
 * the 32-bit difference `to` when size is 0 (the kernel's three cases). */
static int replace(uint16_t *field, uint64_t size, uint64_t from, uint64_t to)
{
	uint16_t sum;
	memcpy(&sum, field, 2);
	uint32_t acc = (uint16_t)~sum;
	switch (size) {
	case 0:
		if (from)
			return -EINVAL;
		acc = csum_add((uint32_t)to, acc);
		break;
	case 2:
		acc = csum_add(acc, (uint16_t)~(uint16_t)from);
		acc = csum_add(acc, (uint16_t)to);
		break;
	case 4:
		acc = csum_add(acc, ~(uint32_t)from);
		acc = csum_add(acc, (uint32_t)to);
		break;
	default:
		return -EINVAL;
	}
	sum = (uint16_t)~fold16(acc);
	memcpy(field, &sum, 2);
	return 0;
}

uint64_t hlp_l3_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, 0);
	if (!p || r5 & ~F_HDR_FIELD_MASK)
		return (uint64_t)-EINVAL;
	uint16_t *f = csum_field(p, r2);
	if (!f)
		return (uint64_t)-EFAULT;
	int err = replace(f, r5 & F_HDR_FIELD_MASK, r3, r4);
	if (!err)
		sync(p);
	return (uint64_t)(int64_t)err;
}

uint64_t hlp_l4_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, 0);
	if (!p || r5 & ~(F_HDR_FIELD_MASK | F_PSEUDO_HDR | F_MARK_MANGLED_0 | F_MARK_ENFORCE))
		return (uint64_t)-EINVAL;
	uint16_t *f = csum_field(p, r2);
	if (!f)
		return (uint64_t)-EFAULT;
	uint16_t old;
	memcpy(&old, f, 2);
	bool mmzero = r5 & F_MARK_MANGLED_0;
	if (mmzero && !old)
		return 0;
	int err = replace(f, r5 & F_HDR_FIELD_MASK, r3, r4);
	if (err)
		return (uint64_t)(int64_t)err;
	uint16_t now;
	memcpy(&now, f, 2);
	if (mmzero && !now) {
		now = 0xffff;
		memcpy(f, &now, 2);
	}
	sync(p);
	return 0;
}

uint64_t hlp_csum_diff(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct bpfbox_exec *ex)
{
	if ((r2 | r4) & 3 || r2 + r4 > 512 || r2 > 512 || r4 > 512)
		return (uint64_t)-EINVAL;
	if ((r2 && hlp_mem(ex, r1, r2, false, "csum_diff", "from")) ||
	    (r4 && hlp_mem(ex, r3, r4, false, "csum_diff", "to")))
		return (uint64_t)-EFAULT;
	uint64_t s = (uint32_t)r5;
	const uint8_t *from = (const uint8_t *)(uintptr_t)r1, *to = (const uint8_t *)(uintptr_t)r3;
	for (uint64_t i = 0; i < r2; i += 4) {
		uint32_t w;
		memcpy(&w, from + i, 4);
		s += (uint32_t)~w;
	}
	for (uint64_t i = 0; i < r4; i += 4) {
		uint32_t w;
		memcpy(&w, to + i, 4);
		s += w;
	}
	return fold32(s);
}

uint64_t hlp_get_hash_recalc(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, -1);
	if (!p)
		return 0;
	if (!p->hash) {
		/* jhash is the kernel's; any stable flow hash serves programs */
		uint32_t h = 2166136261u;
		for (uint32_t i = p->data; i < p->data_end && i < p->data + 64; i++)
			h = (h ^ p->buf[i]) * 16777619u;
		p->hash = h ? h : 1;
	}
	return p->hash;
}

uint64_t hlp_get_socket_uid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	return 65534; /* overflowuid: the kernel's answer for a packet without a socket */
}

uint64_t hlp_get_socket_cookie(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       struct bpfbox_exec *ex)
{
	return 0;
}

uint64_t hlp_redirect(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		      struct bpfbox_exec *ex)
{
	struct bpfbox_pkt *p = pkt_of(ex, -1);
	bool xdp = p ? p->xdp : false;
	if (xdp ? r2 != 0 : (r2 & ~F_INGRESS) != 0)
		return xdp ? XDP_ABORTED : TC_ACT_SHOT;
	if (p) {
		p->ifindex = (uint32_t)r1;
		p->redirect_flags = r2;
	}
	return xdp ? XDP_REDIRECT : TC_ACT_REDIRECT;
}

uint64_t hlp_redirect_map(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  struct bpfbox_exec *ex)
{
	struct bpfbox_map *m = hlp_map(ex, r1, "redirect_map");
	if (!m)
		return XDP_ABORTED;
	/* devmap/cpumap/xskmap are not bpfbox map types: every lookup misses,
	 * and the kernel then returns the action in the low flag bits */
	return r3 & 3;
}
