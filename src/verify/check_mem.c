/* bpfbox — verify/check_mem.c: every load and store, and what memory is.
 *
 * A memory access is `size` bytes at (pointer register + instruction
 * offset).  The register's type says which region it points into and its
 * fixed offset plus variable offset (tnum + ranges) say where; the access
 * is allowed when it stays inside the region for EVERY possible offset:
 *   stack     [-512, 0) of the frame, size-aligned (the slot tracking needs
 *             it, as in the kernel), with per-byte contents tracked;
 *   map value [0, value_size), not over a bpf_spin_lock, no writes when the
 *             map is read-only for programs (frozen .rodata reads give the
 *             actual bytes);
 *   packet    [0, range) where range is what a comparison with data_end
 *             proved from the pointer's variable base, offsets >= 0;
 *   memory    [0, size) of a helper-returned buffer (ringbuf record) or of
 *             UNSPEC's r1;
 *   context   per program type, field by field (the kernel's
 *             *_is_valid_access rules), only through the unmodified ctx
 *             pointer; some fields load pointers (data, data_end, ...).
 * Nothing else is dereferenceable: scalars, map pointers, packet end,
 * NULL-able pointers before their check.
 *
 * Stack contents: each byte is uninitialised, misc (some number), zero, or
 * part of a spilled register.  An aligned 8-byte store of a register spills
 * it (pointers keep their type); a store of a scalar at the start of a
 * slot spills it with its size; other stores make misc or zero bytes.
 * Reads give back the spilled register, zero, or an unknown number.  Like
 * the kernel for root, reading uninitialised stack is allowed (the value is
 * unknown).  But an unchecked run does not clear its stack, so such a read
 * would see bytes the host left there: every read that may touch a byte
 * never written — a load, an atomic, a fill of a partial spill, memory a
 * helper reads — is noted (vrf_note_stack_read), and bpfbox_prog__verify()
 * then has the program's frames zeroed on entry.  For that, "uninitialised"
 * must never be claimed away: a byte becomes written only when every path
 * through the instruction writes it — a variable-offset store or a helper
 * filling a variable-size buffer leaves the bytes it may not reach as they
 * were (the kernel marks them all misc for root), a partial spill leaves
 * the rest of its slot alone — and pruning (state.c) keeps the bytes that
 * may be unwritten apart until the first such read is found.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "verifier.h"

#define MAX_VAR_OFF (1ll << 29)

static const char *acc_verb(enum vaccess t) { return t == ACC_WRITE ? "write" : "read"; }

/* ---- context layouts ---------------------------------------------------------- */

/* struct __sk_buff (UAPI offsets; a test checks them against <linux/bpf.h>). */
enum {
	SKB_LEN = 0, SKB_MARK = 8, SKB_QUEUE_MAPPING = 12, SKB_PRIORITY = 32, SKB_TC_INDEX = 44,
	SKB_CB = 48, SKB_CB_END = 68, SKB_TC_CLASSID = 72, SKB_DATA = 76, SKB_DATA_END = 80,
	SKB_FAMILY = 88, SKB_REMOTE_IP4 = 92, SKB_LOCAL_IP4 = 96, SKB_REMOTE_IP6 = 100,
	SKB_LOCAL_IP6 = 116, SKB_LOCAL_PORT = 136, SKB_DATA_META = 140, SKB_FLOW_KEYS = 144,
	SKB_TSTAMP = 152, SKB_WIRE_LEN = 160, SKB_SK = 168, SKB_TSTAMP_TYPE = 180,
	SKB_HWTSTAMP = 184, SKB_SIZE = 192,
};
enum { XDP_DATA = 0, XDP_DATA_END = 4, XDP_DATA_META = 8, XDP_EGRESS_IFINDEX = 20, XDP_SIZE = 24 };
#define PT_REGS_SIZE 168 /* x86-64 struct pt_regs */
#define PERF_MAX_TRACE_SIZE 8192 /* the kernel's since 6.x (was 2048) */
#define MAX_FUNC_ARGS 12

static bool in_field(int off, int lo, int size) { return off >= lo && off < lo + size; }

/* The kernel's bpf_skb_is_valid_access (common part for __sk_buff). */
static bool skb_valid(int off, int size, enum vaccess t, uint8_t *ret_type)
{
	if (off < 0 || off >= SKB_SIZE || off % size)
		return false;
	if (in_field(off, SKB_CB, SKB_CB_END - SKB_CB)) {
		return off + size <= SKB_CB_END;
	}
	if (in_field(off, SKB_REMOTE_IP6, 16) || in_field(off, SKB_LOCAL_IP6, 16) ||
	    in_field(off, SKB_REMOTE_IP4, 4) || in_field(off, SKB_LOCAL_IP4, 4))
		return size == 4;
	if (in_field(off, SKB_DATA, 4) || in_field(off, SKB_DATA_META, 4) || in_field(off, SKB_DATA_END, 4)) {
		if (size != 4)
			return false;
		if (ret_type)
			*ret_type = in_field(off, SKB_DATA, 4) ? V_PKT
				    : in_field(off, SKB_DATA_END, 4) ? V_PKT_END : V_PKT_META;
		return true;
	}
	if (in_field(off, SKB_FLOW_KEYS, 8))
		return false;
	if (in_field(off, SKB_HWTSTAMP, 8))
		return t == ACC_READ && size == 8;
	if (in_field(off, SKB_TSTAMP, 8))
		return size == 8;
	if (off == SKB_SK) {
		if (t == ACC_WRITE || size != 8)
			return false;
		if (ret_type)
			*ret_type = V_SOCK_COMMON;
		return true;
	}
	if (in_field(off, SKB_SK, 8))
		return false;
	if (off == SKB_TSTAMP_TYPE)
		return false; /* tc programs: allowed before this check */
	if (off > SKB_TSTAMP_TYPE && off < SKB_HWTSTAMP)
		return false; /* padding */
	if (t == ACC_WRITE)
		return size == 4;
	/* narrow reads of the 4-byte fields */
	return size <= 4 && !(size & (size - 1));
}

/* Which __sk_buff fields a program type may touch, on top of skb_valid. */
static bool skb_prog_valid(int prog_type, int attach, int off, int size, enum vaccess t,
			   uint8_t *ret_type)
{
	*ret_type = V_SCALAR;
	switch (prog_type) {
	case BPFBOX_PROG_TYPE_SOCKET_FILTER:
		if (in_field(off, SKB_TC_CLASSID, 4) || in_field(off, SKB_DATA, 4) ||
		    in_field(off, SKB_DATA_META, 4) || in_field(off, SKB_DATA_END, 4) ||
		    (off >= SKB_FAMILY && off < SKB_LOCAL_PORT + 4) || in_field(off, SKB_TSTAMP, 8) ||
		    in_field(off, SKB_WIRE_LEN, 4) || in_field(off, SKB_HWTSTAMP, 8))
			return false;
		if (t == ACC_WRITE && !in_field(off, SKB_CB, SKB_CB_END - SKB_CB))
			return false;
		return skb_valid(off, size, t, NULL);
	case BPFBOX_PROG_TYPE_SCHED_CLS:
	case BPFBOX_PROG_TYPE_SCHED_ACT:
		if (t == ACC_WRITE &&
		    !(in_field(off, SKB_MARK, 4) || in_field(off, SKB_TC_INDEX, 4) ||
		      in_field(off, SKB_PRIORITY, 4) || in_field(off, SKB_TC_CLASSID, 4) ||
		      in_field(off, SKB_CB, SKB_CB_END - SKB_CB) || in_field(off, SKB_TSTAMP, 8) ||
		      in_field(off, SKB_QUEUE_MAPPING, 4)))
			return false;
		if (off >= SKB_FAMILY && off < SKB_LOCAL_PORT + 4)
			return false;
		if (off == SKB_TSTAMP_TYPE)
			return t == ACC_READ && size == 1;
		return skb_valid(off, size, t, ret_type);
	case BPFBOX_PROG_TYPE_CGROUP_SKB:
		if (in_field(off, SKB_TC_CLASSID, 4) || in_field(off, SKB_DATA_META, 4) ||
		    in_field(off, SKB_WIRE_LEN, 4))
			return false;
		if (t == ACC_WRITE &&
		    !(in_field(off, SKB_MARK, 4) || in_field(off, SKB_PRIORITY, 4) ||
		      in_field(off, SKB_CB, SKB_CB_END - SKB_CB) || in_field(off, SKB_TSTAMP, 8)))
			return false;
		(void)attach;
		return skb_valid(off, size, t, ret_type);
	default:
		return false;
	}
}

static bool xdp_valid(int attach, int off, int size, enum vaccess t, uint8_t *ret_type)
{
	*ret_type = V_SCALAR;
	if (off == XDP_EGRESS_IFINDEX && attach != 40 /* BPF_XDP_DEVMAP */)
		return false;
	if (t == ACC_WRITE)
		return false;
	if (off < 0 || off >= XDP_SIZE || off % size || size != 4)
		return false;
	if (off == XDP_DATA)
		*ret_type = V_PKT;
	else if (off == XDP_DATA_END)
		*ret_type = V_PKT_END;
	else if (off == XDP_DATA_META)
		*ret_type = V_PKT_META;
	return true;
}

/* Returns true and the loaded register type when the access is allowed. */
static bool ctx_valid(struct venv *env, int off, int size, enum vaccess t, uint8_t *ret_type,
		      const char **why)
{
	*ret_type = V_SCALAR;
	*why = NULL;
	switch (env->prog_type) {
	case BPFBOX_PROG_TYPE_SOCKET_FILTER:
	case BPFBOX_PROG_TYPE_SCHED_CLS:
	case BPFBOX_PROG_TYPE_SCHED_ACT:
	case BPFBOX_PROG_TYPE_CGROUP_SKB:
		return skb_prog_valid(env->prog_type, env->attach_type, off, size, t, ret_type);
	case BPFBOX_PROG_TYPE_XDP:
		return xdp_valid(env->attach_type, off, size, t, ret_type);
	case BPFBOX_PROG_TYPE_TRACEPOINT: {
		uint32_t lim = env->ctx_size ? env->ctx_size : PERF_MAX_TRACE_SIZE;
		if (t == ACC_WRITE) {
			*why = "tracepoint records are read-only";
			return false;
		}
		if (off < 8) {
			*why = "the first 8 bytes of a tracepoint record (common fields) are not readable";
			return false;
		}
		if ((uint64_t)off + (uint64_t)size > lim) {
			*why = env->ctx_size ? "past the end of the tracepoint record"
					     : "past the largest tracepoint record (8192 bytes)";
			return false;
		}
		return off % size == 0;
	}
	case BPFBOX_PROG_TYPE_RAW_TRACEPOINT:
	case BPFBOX_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
	case BPFBOX_PROG_TYPE_TRACING: /* fentry/fexit/tp_btf: u64 args[]; BTF types unknown here */
	case BPFBOX_PROG_TYPE_LSM:
		if (t == ACC_WRITE)
			return false;
		if (off < 0 || off >= 8 * MAX_FUNC_ARGS || off % size)
			return false;
		return true;
	case BPFBOX_PROG_TYPE_KPROBE:
		if (t == ACC_WRITE)
			return false;
		return off >= 0 && off < PT_REGS_SIZE && off % size == 0 && off + size <= PT_REGS_SIZE;
	case BPFBOX_PROG_TYPE_PERF_EVENT:
		if (t == ACC_WRITE || off < 0 || off >= PT_REGS_SIZE + 16 || off % size)
			return false;
		if (off >= PT_REGS_SIZE + 8) /* addr */
			return size == 8;
		if (off >= PT_REGS_SIZE) /* sample_period: narrow reads */
			return size <= 8 && !(size & (size - 1));
		return size == 8;
	case BPFBOX_PROG_TYPE_SYSCALL: {
		uint32_t lim = env->ctx_size ? env->ctx_size : 65535;
		if (off < 0 || off % size || (uint64_t)off + (uint64_t)size > lim)
			return false;
		return true;
	}
	default:
		*why = "bpfbox does not model the context of this program type";
		return false;
	}
}

int vrf_ctx_entry(struct venv *env, struct vreg *r1, struct vreg *r2)
{
	vrf_mark_not_init(r1);
	vrf_mark_not_init(r2);
	if (env->prog_type == BPFBOX_PROG_TYPE_UNSPEC) {
		/* bpfbox's raw convention: r1 = memory, r2 = its length */
		vrf_mark_known(r1, 0);
		r1->type = V_MEM;
		r1->aux = env->ctx_size;
		r1->born = 0;
		if (env->ctx_size)
			vrf_mark_known(r2, env->ctx_size);
		else
			vrf_mark_unknown(r2);
		return 0;
	}
	vrf_mark_known(r1, 0);
	r1->type = V_CTX;
	r1->born = 0;
	return 0;
}

/* ---- stack ------------------------------------------------------------------------ */

struct vslot *vrf_slot(struct venv *env, struct vframe *f, int32_t off)
{
	(void)env;
	if (off >= 0 || off < -BPFBOX_STACK_SIZE)
		return NULL;
	unsigned k = (unsigned)(-off - 1) / 8;
	if (vrf_frame_grow(f, k + 1))
		return NULL;
	return &f->slots[k];
}

void vrf_note_stack_read(struct venv *env, const struct vframe *f, int64_t lo, int64_t hi)
{
	if (env->uninit_insn >= 0)
		return; /* one is enough: the program is marked */
	for (int64_t o = lo; o < hi; o++) {
		if (o < -BPFBOX_STACK_SIZE || o >= 0)
			continue;
		unsigned k = (unsigned)(-o - 1) / 8;
		int b = (int)(o + 8 * (int64_t)(k + 1));
		if (k < f->nslots && f->slots[k].kind[b] != SK_INVALID)
			continue;
		env->uninit_insn = env->insn_idx;
		if (env->verbose)
			vrf_trace(env, "%u: may read fp%lld, a stack byte never written: the program's "
				  "frames will be zeroed on entry", env->insn_idx, (long long)o);
		return;
	}
}

void vrf_stack_note_depth(struct venv *env, struct vframe *f, int32_t lowest)
{
	uint32_t d = (uint32_t)-lowest;
	if (env->sub && d > env->sub[f->subprog].stack_depth)
		env->sub[f->subprog].stack_depth = d;
}

/* Make the bytes [b0, b0+n) of slot s plain data (a partial overwrite
 * destroys a spill: its other bytes become misc). */
static void slot_scrub(struct vslot *s)
{
	if (s->kind[0] != SK_SPILL && s->kind[7] != SK_SPILL && s->kind[3] != SK_SPILL)
		return;
	for (int b = 0; b < 8; b++)
		if (s->kind[b] == SK_SPILL)
			s->kind[b] = SK_MISC;
	s->spill_size = 0;
}

static void stack_write_fixed(struct venv *env, struct vframe *f, int32_t o, unsigned size,
			      const struct vreg *val, bool *err_spill_ptr)
{
	struct vslot *s = vrf_slot(env, f, o);
	unsigned k = (unsigned)(-o - 1) / 8;
	int b0 = o + 8 * (int)(k + 1);
	*err_spill_ptr = false;
	if (!s)
		return;
	if (val && vrf_is_ptr(val)) {
		/* size 8 and aligned was checked by the caller */
		memset(s->kind, SK_SPILL, 8);
		s->spill_size = 8;
		s->spill = *val;
		return;
	}
	if (val && val->type == V_SCALAR && b0 == 0) {
		/* spill the scalar as it reads back with a `size` load; the
		 * rest of the slot keeps what it was (an older spill's bytes
		 * become plain data, unwritten bytes stay unwritten) */
		for (unsigned b = size; b < 8; b++)
			if (s->kind[b] == SK_SPILL)
				s->kind[b] = SK_MISC;
		struct vreg v = *val;
		if (size < 8) {
			uint8_t oldk[8];
			memcpy(oldk, s->kind, 8);
			v.id = 0;
			if (tnum_is_const(v.var)) {
				vrf_mark_known(&v, v.var.value & ((1ull << (size * 8)) - 1));
			} else if (v.umax >> (size * 8)) {
				vrf_set_size_bounds(&v, size, false);
			}
			(void)oldk;
		}
		memset(s->kind, SK_SPILL, size);
		s->spill_size = (uint8_t)size;
		s->spill = v;
		return;
	}
	bool zero = val && vrf_is_const(val) && val->var.value == 0;
	slot_scrub(s);
	for (unsigned b = 0; b < size; b++)
		s->kind[b0 + (int)b] = zero ? SK_ZERO : SK_MISC;
}

static void stack_read_fixed(struct venv *env, struct vframe *f, int32_t o, unsigned size,
			     struct vreg *dst, bool sign)
{
	struct vslot *s = vrf_slot(env, f, o);
	unsigned k = (unsigned)(-o - 1) / 8;
	int b0 = o + 8 * (int)(k + 1);
	if (!s) {
		vrf_set_size_bounds(dst, size, sign);
		return;
	}
	if (s->kind[0] == SK_SPILL) {
		const struct vreg *sp = &s->spill;
		if (vrf_is_ptr(sp)) {
			*dst = *sp; /* size 8 at b0 0 checked by the caller */
			return;
		}
		if (b0 == 0 && size == s->spill_size && !sign) {
			*dst = *sp;
			return;
		}
		if (tnum_is_const(sp->var) && (unsigned)b0 + size <= s->spill_size) {
			uint64_t v = sp->var.value >> (b0 * 8);
			if (size < 8)
				v &= (1ull << (size * 8)) - 1;
			if (sign && size < 8 && (v >> (size * 8 - 1)) & 1)
				v |= ~0ull << (size * 8);
			vrf_mark_known(dst, v);
			return;
		}
		if (b0 == 0 && size < s->spill_size && !sign) {
			/* the low bytes of a spilled scalar */
			struct vreg v = *sp;
			v.id = 0;
			if (v.umax >> (size * 8))
				vrf_set_size_bounds(&v, size, false);
			*dst = v;
			return;
		}
		vrf_set_size_bounds(dst, size, sign);
		return;
	}
	bool zero = true;
	for (unsigned b = 0; b < size; b++)
		if (s->kind[b0 + (int)b] != SK_ZERO)
			zero = false;
	if (zero)
		vrf_mark_known(dst, 0);
	else
		vrf_set_size_bounds(dst, size, sign);
}

static int check_stack(struct venv *env, uint32_t regno, const struct vreg *reg, int32_t off,
		       unsigned size, enum vaccess t, struct vreg *dst, const struct vreg *val, bool sign)
{
	struct vframe *f = env->cur.frames[reg->frameno];
	int64_t base = (int64_t)reg->off + off;
	bool known = tnum_is_const(reg->var);
	int64_t lo, hi;
	if (known) {
		lo = base + (int64_t)reg->var.value;
		hi = lo + size;
	} else {
		if (reg->smax >= MAX_VAR_OFF || reg->smin <= -MAX_VAR_OFF)
			return vrf_reject(env, -EACCES,
					  "R%u invalid unbounded variable-offset %s stack R%u: bound the "
					  "offset before using it",
					  regno, t == ACC_WRITE ? "write to" : "read from", regno);
		lo = base + reg->smin;
		hi = base + reg->smax + size;
	}
	/* alignment: stack slots are tracked per aligned unit */
	struct tnum at = tnum_add(reg->var, tnum_const((uint64_t)base));
	if (size > 1 && !tnum_is_aligned(at, size))
		return vrf_reject(env, -EACCES, "R%u misaligned stack access off %lld size %u: stack accesses "
				  "must be aligned to their size",
				  regno, (long long)base, size);
	if (lo < -BPFBOX_STACK_SIZE || hi > 0) {
		if (known)
			return vrf_reject(env, -EACCES,
					  "R%u invalid %s stack off=%lld size=%u: outside the %d-byte "
					  "frame [fp-%d, fp)",
					  regno, t == ACC_WRITE ? "write to" : "read from", (long long)lo,
					  size, BPFBOX_STACK_SIZE, BPFBOX_STACK_SIZE);
		return vrf_reject(env, -EACCES,
				  "R%u invalid variable-offset %s stack off=[%lld, %lld) size=%u: "
				  "outside the frame",
				  regno, t == ACC_WRITE ? "write to" : "read from", (long long)lo,
				  (long long)hi, size);
	}
	if (f != vrf_cur(&env->cur) && val && t == ACC_WRITE && val->type == V_STACK && size == 8 &&
	    val->frameno > reg->frameno)
		return vrf_reject(env, -EINVAL,
				  "R%u cannot spill pointers to stack into stack frame of the caller", regno);
	vrf_stack_note_depth(env, f, (int32_t)lo);
	if (known) {
		if (t == ACC_WRITE) {
			if (val && vrf_is_ptr(val) && size != 8)
				return vrf_reject(env, -EACCES,
						  "invalid size of register spill: a pointer (R%u is %s) must "
						  "be stored with 8 bytes",
						  regno, vrf_type_name(val));
			bool e;
			stack_write_fixed(env, f, (int32_t)lo, size, val, &e);
			return 0;
		}
		vrf_note_stack_read(env, f, lo, hi);
		struct vslot *s = vrf_slot(env, f, (int32_t)lo);
		if (s && s->kind[0] == SK_SPILL && vrf_is_ptr(&s->spill) && size != 8)
			return vrf_reject(env, -EACCES,
					  "invalid size of register fill: fp%lld holds a spilled %s, read it "
					  "with 8 bytes",
					  (long long)lo, vrf_type_name(&s->spill));
		if (dst)
			stack_read_fixed(env, f, (int32_t)lo, size, dst, sign);
		return 0;
	}
	/* variable offset: every byte in [lo, hi) may be touched; one that
	 * was never written may still not be (the kernel makes it misc for
	 * root), so it stays unwritten for vrf_note_stack_read */
	if (t == ACC_WRITE) {
		bool zero = val && vrf_is_const(val) && val->var.value == 0;
		for (int64_t o = lo; o < hi; o++) {
			struct vslot *s = vrf_slot(env, f, (int32_t)o);
			if (!s)
				continue;
			slot_scrub(s);
			unsigned k = (unsigned)(-o - 1) / 8;
			int b = (int)(o + 8 * (int64_t)(k + 1));
			if (s->kind[b] != SK_INVALID)
				s->kind[b] = zero && s->kind[b] == SK_ZERO ? SK_ZERO : SK_MISC;
		}
		return 0;
	}
	vrf_note_stack_read(env, f, lo, hi);
	if (dst) {
		bool zero = true;
		for (int64_t o = lo; o < hi; o++) {
			struct vslot *s = vrf_slot(env, f, (int32_t)o);
			unsigned k = (unsigned)(-o - 1) / 8;
			int b = (int)(o + 8 * (int64_t)(k + 1));
			if (!s || s->kind[b] != SK_ZERO)
				zero = false;
		}
		if (zero)
			vrf_mark_known(dst, 0);
		else
			vrf_set_size_bounds(dst, size, sign);
	}
	return 0;
}

/* ---- bounded regions (map values, memory, keys) --------------------------------- */

static int check_region(struct venv *env, uint32_t regno, const struct vreg *reg, int32_t off,
			uint64_t size, uint64_t region, const char *what, bool zero_ok)
{
	int64_t base = (int64_t)reg->off + off;
	if (reg->smin < 0 &&
	    (reg->smin == INT64_MIN || reg->smin + base < 0))
		return vrf_reject(env, -EACCES,
				  "R%u min value is negative (%lld): %s access could go below its start; "
				  "use an unsigned index or check index >= 0",
				  regno, (long long)reg->smin, what);
	if ((base + reg->smin < 0) || (uint64_t)(base + reg->smin) + size > region ||
	    (!size && !zero_ok)) {
		if (tnum_is_const(reg->var))
			return vrf_reject(env, -EACCES,
					  "R%u invalid access to %s, off=%lld size=%llu: outside the %llu "
					  "byte%s [0, %llu) it may touch",
					  regno, what, (long long)(base + reg->smin), (unsigned long long)size,
					  (unsigned long long)region, region == 1 ? "" : "s",
					  (unsigned long long)region);
		return vrf_reject(env, -EACCES,
				  "R%u min value is outside of the allowed memory range of %s (off=%lld "
				  "size=%llu, %s is %llu bytes)",
				  regno, what, (long long)(base + reg->smin), (unsigned long long)size,
				  what, (unsigned long long)region);
	}
	if (reg->umax >= (uint64_t)MAX_VAR_OFF)
		return vrf_reject(env, -EACCES,
				  "R%u unbounded memory access into %s: make sure to bounds check the "
				  "offset (max %llu)",
				  regno, what, (unsigned long long)reg->umax);
	if ((uint64_t)(base + (int64_t)reg->umax) + size > region)
		return vrf_reject(env, -EACCES,
				  "R%u max value is outside of the allowed memory range of %s: offset up "
				  "to %lld + %llu bytes, %s is %llu bytes",
				  regno, what, (long long)(base + (int64_t)reg->umax),
				  (unsigned long long)size, what, (unsigned long long)region);
	return 0;
}

static int check_map_value(struct venv *env, uint32_t regno, const struct vreg *reg, int32_t off,
			   unsigned size, enum vaccess t, struct vreg *dst, bool sign, bool helper)
{
	const struct vmap *m = &env->maps[reg->aux];
	if (t == ACC_WRITE && (m->d.map_flags & VRF_F_RDONLY_PROG || m->d.rodata))
		return vrf_reject(env, -EACCES,
				  "R%u write into map forbidden: map '%s' is read-only for programs",
				  regno, vrf_map_name(env, reg->aux));
	if (t == ACC_READ && (m->d.map_flags & VRF_F_WRONLY_PROG))
		return vrf_reject(env, -EACCES, "R%u read from map forbidden: map '%s' is write-only for "
				  "programs", regno, vrf_map_name(env, reg->aux));
	int err = check_region(env, regno, reg, off, size, m->d.value_size, "map value", helper);
	if (err)
		return err;
	if (m->d.spin_lock_off >= 0 && !helper) {
		int64_t lo = (int64_t)reg->off + off + reg->smin;
		int64_t hi = (int64_t)reg->off + off + (int64_t)reg->umax + size;
		if (lo < m->d.spin_lock_off + 4 && hi > m->d.spin_lock_off)
			return vrf_reject(env, -EACCES,
					  "R%u bpf_spin_lock cannot be accessed directly by load/store "
					  "(lock at offset %d of the value)",
					  regno, m->d.spin_lock_off);
	}
	if (dst) {
		int64_t at = (int64_t)reg->off + off;
		if (m->d.rodata && tnum_is_const(reg->var) && size <= 8) {
			uint64_t v = 0;
			memcpy(&v, (const uint8_t *)m->d.rodata + at + (int64_t)reg->var.value, size);
			if (sign && size < 8 && (v >> (size * 8 - 1)) & 1)
				v |= ~0ull << (size * 8);
			vrf_mark_known(dst, v);
		} else {
			vrf_set_size_bounds(dst, size, sign);
		}
	}
	return 0;
}

static bool pkt_write_ok(int prog_type)
{
	switch (prog_type) {
	case BPFBOX_PROG_TYPE_SCHED_CLS:
	case BPFBOX_PROG_TYPE_SCHED_ACT:
	case BPFBOX_PROG_TYPE_XDP:
	case BPFBOX_PROG_TYPE_LWT_XMIT:
	case BPFBOX_PROG_TYPE_SK_SKB:
	case BPFBOX_PROG_TYPE_SK_MSG:
		return true;
	default:
		return false;
	}
}

static int check_packet(struct venv *env, uint32_t regno, const struct vreg *reg, int32_t off,
			uint64_t size, enum vaccess t, bool zero_ok)
{
	if (t == ACC_WRITE && !pkt_write_ok(env->prog_type))
		return vrf_reject(env, -EACCES, "R%u cannot write into packet: %s programs may only read it",
				  regno, vrf_prog_type_name(env->prog_type));
	if (reg->smin < 0)
		return vrf_reject(env, -EACCES,
				  "R%u min value is negative, either use unsigned index or do a if "
				  "(index >=0) check",
				  regno);
	int64_t o = (int64_t)reg->off + off;
	if (o < 0 || (uint64_t)o + size > reg->aux || (!size && !zero_ok))
		return vrf_reject(env, -EACCES,
				  "R%u invalid access to packet, off=%lld size=%llu, R%u(id=%u,off=%d,r=%u): "
				  "compare the pointer with data_end first (only %u byte%s proven)",
				  regno, (long long)o, (unsigned long long)size, regno, reg->id, reg->off,
				  reg->aux, reg->aux, reg->aux == 1 ? "" : "s");
	return 0;
}

static const char *null_origin(const struct venv *env, const struct vreg *r, char *buf, size_t n)
{
	if (r->born < 0 || (size_t)r->born >= env->n) {
		buf[0] = 0;
		return buf;
	}
	const struct isa_insn *in = &env->insn[r->born];
	const char *what = "lookup";
	if (isa_info[in->op].shape == S_CALL) {
		if (in->imm == 131)
			what = "reserve";
		else if (in->imm != 1 && in->imm != 195)
			what = vrf_helper_name((uint32_t)in->imm);
	} else if (isa_info[in->op].shape == S_LDX) {
		what = "load";
	}
	snprintf(buf, n, " (%s at %d)", what, r->born);
	return buf;
}

int vrf_check_mem(struct venv *env, uint32_t regno, const struct vreg *reg, int32_t off,
		  unsigned size, enum vaccess t, struct vreg *dst, const struct vreg *val, bool sign,
		  bool strict, bool atomic)
{
	char ob[64];
	if (reg->type == V_NOT_INIT)
		return vrf_reject(env, -EACCES, "R%u !read_ok: the register was never written", regno);
	if (reg->type == V_SCALAR)
		return vrf_reject(env, -EACCES,
				  "R%u invalid mem access 'scalar': R%u holds a number, not a pointer",
				  regno, regno);
	if (reg->flags & VF_NULL)
		return vrf_reject(env, -EACCES, "R%u is %s: check it for NULL before this access%s", regno,
				  vrf_type_name(reg), null_origin(env, reg, ob, sizeof(ob)));
	if (strict && size > 1) {
		struct tnum at = tnum_add(reg->var, tnum_const((uint64_t)((int64_t)reg->off + off)));
		if (!tnum_is_aligned(at, size))
			return vrf_reject(env, -EACCES,
					  "R%u misaligned access off %d size %u: atomic operations need "
					  "aligned addresses",
					  regno, reg->off + off, size);
	}
	if (atomic && (reg->type == V_CTX || reg->type == V_PKT || reg->type == V_PKT_META))
		return vrf_reject(env, -EACCES, "BPF_ATOMIC stores into R%u %s is not allowed", regno,
				  vrf_type_name(reg));
	int err = 0;
	switch (reg->type) {
	case V_STACK:
		return check_stack(env, regno, reg, off, size, t, dst, val, sign);
	case V_MAP_VALUE:
		return check_map_value(env, regno, reg, off, size, t, dst, sign, false);
	case V_MAP_KEY:
		if (t == ACC_WRITE)
			return vrf_reject(env, -EACCES, "R%u write to change key R%u not allowed", regno, regno);
		err = check_region(env, regno, reg, off, size, env->maps[reg->aux].d.key_size, "map key",
				   false);
		if (!err && dst)
			vrf_set_size_bounds(dst, size, sign);
		return err;
	case V_MEM:
		if (t == ACC_WRITE && (reg->flags & VF_RDONLY))
			return vrf_reject(env, -EACCES, "R%u cannot write into rdonly mem", regno);
		err = check_region(env, regno, reg, off, size, reg->aux, "mem", false);
		if (!err && dst)
			vrf_set_size_bounds(dst, size, sign);
		return err;
	case V_PKT:
	case V_PKT_META:
		err = check_packet(env, regno, reg, off, size, t, false);
		if (!err && dst)
			vrf_set_size_bounds(dst, size, sign);
		return err;
	case V_CTX: {
		if (reg->off || !tnum_is_const(reg->var) || reg->var.value)
			return vrf_reject(env, -EACCES,
					  "dereference of modified ctx ptr R%u off=%d disallowed: use the "
					  "original context pointer with a constant offset",
					  regno, reg->off + (int32_t)reg->var.value);
		uint8_t rt;
		const char *why;
		if (!ctx_valid(env, off, (int)size, t, &rt, &why))
			return vrf_reject(env, -EACCES, "R%u invalid bpf_context access off=%d size=%u%s%s",
					  regno, off, size, why ? ": " : " (not a field this program type may "
					  "access this way)", why ? why : "");
		if (dst) {
			if (rt != V_SCALAR) {
				if (sign)
					return vrf_reject(env, -EACCES,
							  "R%u invalid bpf_context access off=%d size=%u: "
							  "sign-extending load of a pointer field",
							  regno, off, size);
				vrf_mark_known(dst, 0);
				dst->type = rt;
				dst->born = (int32_t)env->insn_idx;
				if (rt == V_SOCK_COMMON)
					dst->flags = VF_NULL, dst->id = vrf_new_id(env);
			} else {
				vrf_set_size_bounds(dst, size, sign);
			}
		}
		return 0;
	}
	default:
		return vrf_reject(env, -EACCES, "R%u invalid mem access '%s': a %s cannot be %s through",
				  regno, vrf_type_name(reg), vrf_type_name(reg), t == ACC_WRITE ? "written" : "read");
	}
}

/* ---- memory passed to helpers ----------------------------------------------------- */

int vrf_check_helper_mem(struct venv *env, uint32_t regno, const struct vreg *reg,
			 uint64_t size_min, uint64_t size_max, enum vaccess t, bool uninit_ok)
{
	char ob[64];
	(void)uninit_ok;
	if (reg->flags & VF_NULL)
		return vrf_reject(env, -EACCES, "R%u is %s: check it for NULL before passing it to a helper%s",
				  regno, vrf_type_name(reg), null_origin(env, reg, ob, sizeof(ob)));
	switch (reg->type) {
	case V_STACK: {
		struct vframe *f = env->cur.frames[reg->frameno];
		int64_t base = reg->off;
		int64_t lo, hi;
		if (tnum_is_const(reg->var)) {
			lo = base + (int64_t)reg->var.value;
			hi = lo + (int64_t)size_max;
		} else {
			if (reg->smax >= MAX_VAR_OFF || reg->smin <= -MAX_VAR_OFF)
				return vrf_reject(env, -EACCES, "R%u unbounded indirect variable offset stack access",
						  regno);
			lo = base + reg->smin;
			hi = base + reg->smax + (int64_t)size_max;
		}
		if (!size_max && size_min == 0)
			return 0;
		if (lo < -BPFBOX_STACK_SIZE || hi > 0 || lo >= 0)
			return vrf_reject(env, -EACCES,
					  "R%u invalid indirect access to stack off=%lld size=%llu: outside "
					  "the %d-byte frame",
					  regno, (long long)lo, (unsigned long long)size_max, BPFBOX_STACK_SIZE);
		vrf_stack_note_depth(env, f, (int32_t)lo);
		if (t == ACC_READ)
			vrf_note_stack_read(env, f, lo, hi);
		/* the bytes the helper writes whatever its size and the
		 * offset: [every offset's start, the smallest size's end) */
		int64_t w_lo = tnum_is_const(reg->var) ? lo : base + reg->smax;
		int64_t w_hi = (tnum_is_const(reg->var) ? lo : base + reg->smin) + (int64_t)size_min;
		for (int64_t o = lo; o < hi; o++) {
			struct vslot *s = vrf_slot(env, f, (int32_t)o);
			if (!s)
				return -ENOMEM;
			if (t == ACC_WRITE) {
				slot_scrub(s);
				unsigned k = (unsigned)(-o - 1) / 8;
				uint8_t *kind = &s->kind[o + 8 * (int64_t)(k + 1)];
				if (*kind != SK_INVALID || (o >= w_lo && o < w_hi))
					*kind = SK_MISC;
			}
		}
		return 0;
	}
	case V_MAP_VALUE: {
		struct vreg r = *reg;
		if (size_max == 0)
			return 0;
		return check_map_value(env, regno, &r, 0, (unsigned)size_max, t, NULL, false, true);
	}
	case V_MAP_KEY:
		if (t == ACC_WRITE)
			return vrf_reject(env, -EACCES, "R%u write to change key R%u not allowed", regno, regno);
		return check_region(env, regno, reg, 0, size_max, env->maps[reg->aux].d.key_size, "map key",
				    true);
	case V_MEM:
		if (t == ACC_WRITE && (reg->flags & VF_RDONLY))
			return vrf_reject(env, -EACCES, "R%u cannot write into rdonly mem", regno);
		return check_region(env, regno, reg, 0, size_max, reg->aux, "mem", true);
	case V_PKT:
	case V_PKT_META:
		return check_packet(env, regno, reg, 0, size_max, t, true);
	default:
		return vrf_reject(env, -EACCES,
				  "R%u type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem: the "
				  "helper needs a pointer to %s memory",
				  regno, vrf_type_name(reg), acc_verb(t) [0] == 'w' ? "writable" : "readable");
	}
}
