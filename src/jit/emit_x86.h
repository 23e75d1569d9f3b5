/* bpfbox — jit/emit_x86.h: the x86-64 encoder.
 *
 * One emit_* function per instruction form the code generator uses; every
 * one carries the instruction it writes, in Intel syntax, as a comment on
 * the line that writes it.  Nothing here knows about eBPF: the generator
 * (jit_x86_64.c) maps eBPF registers to x86 registers and picks forms.
 *
 * The emitter state has a sticky error (uBPF's idea): once a buffer cannot
 * grow, every later emit is a no-op and the generator checks `err` once per
 * pass.  Code goes into one of three streams, laid out one after the
 * other: the hot stream (the program's instructions in order), the cold
 * stream (out-of-line slow paths) and the copy stream (checked mode: slow
 * copies of basic-block tails, see jit_x86_64.c), so the paths a run
 * normally takes are straight-line and dense.
 *
 * Jumps and size convergence (the Linux x86 JIT's scheme): a jump is
 * encoded short (rel8) when its displacement, measured with the label
 * positions of the previous pass, fits in 8 bits.  The position of the
 * jump itself is measured in the previous pass's coordinates too (start of
 * the enclosing unit in the previous pass plus the bytes emitted in the
 * unit so far), so every distance the pass sees is a distance of the
 * previous pass.  Sizes therefore only shrink from pass to pass, and when
 * a pass reproduces every label position of the previous one, its bytes
 * are exact and final.  Pass 0 has no previous pass and encodes every jump
 * long (`force_long`), which is also the fallback if passes do not settle.
 */
#ifndef BPFBOX_JIT_EMIT_X86_H
#define BPFBOX_JIT_EMIT_X86_H

#include <stdint.h>
#include <string.h>
#include "util/util.h"

enum x86_reg {
	RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
};

/* Condition codes (the low nibble of jcc/setcc/cmovcc). */
enum x86_cc {
	CC_O = 0x0, CC_NO = 0x1, CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5,
	CC_BE = 0x6, CC_A = 0x7, CC_S = 0x8, CC_NS = 0x9, CC_L = 0xc, CC_GE = 0xd,
	CC_LE = 0xe, CC_G = 0xf,
};

/* Group-1 ALU operations: the /digit of 81/83 and (<< 3 | 1) the opcode of
 * the register form "op r/m, reg". */
enum x86_alu { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };
/* Group-2 shifts: the /digit of C1/D1/D3. */
enum x86_shift { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

struct jit_stream {
	uint8_t *buf;
	size_t len, cap;
};

struct jit_state {
	const struct util_alloc *alloc;
	struct jit_stream hot, cold, copy, *cur;
	int err;             /* sticky: -ENOMEM once a buffer could not grow */
	/* labels: positions in the current pass (stream offset + which
	 * stream) and absolute positions of the previous pass (-1: none) */
	uint32_t nlabels, cap_labels;
	uint32_t *lab_off;
	uint8_t *lab_stream; /* 0 hot, 1 cold, 2 copy */
	int64_t *prev;
	uint32_t nprev;
	bool have_prev;
	bool force_long;
	/* the unit being emitted: positions are estimated from its start */
	uint32_t unit;
	size_t unit_start;
	/* absolute calls: image address (0 = unknown yet) and an upper bound
	 * on the image size, so a call's near/far choice never changes */
	uint64_t base;
	uint64_t size_bound;
};

/* ---- bytes -------------------------------------------------------------- */

static bool stream_grow(struct jit_state *st, size_t need)
{
	struct jit_stream *s = st->cur;
	if (s->len + need <= s->cap)
		return true;
	size_t ncap = s->cap ? s->cap * 2 : 4096;
	while (ncap < s->len + need)
		ncap *= 2;
	uint8_t *nb = util_realloc(st->alloc, s->buf, s->cap, ncap);
	if (!nb) {
		st->err = -ENOMEM;
		return false;
	}
	s->buf = nb;
	s->cap = ncap;
	return true;
}

static inline void emit1(struct jit_state *st, uint8_t b)
{
	if (st->err || !stream_grow(st, 1))
		return;
	st->cur->buf[st->cur->len++] = b;
}
static inline void emit2(struct jit_state *st, uint8_t a, uint8_t b) { emit1(st, a); emit1(st, b); }
static inline void emit3(struct jit_state *st, uint8_t a, uint8_t b, uint8_t c)
{
	emit1(st, a);
	emit1(st, b);
	emit1(st, c);
}
static inline void emit_u16(struct jit_state *st, uint16_t v) { emit1(st, (uint8_t)v); emit1(st, (uint8_t)(v >> 8)); }
static inline void emit_u32(struct jit_state *st, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		emit1(st, (uint8_t)(v >> (8 * i)));
}
static inline void emit_u64(struct jit_state *st, uint64_t v)
{
	emit_u32(st, (uint32_t)v);
	emit_u32(st, (uint32_t)(v >> 32));
}

static inline bool is_imm8(int64_t v) { return v >= -128 && v <= 127; }
static inline bool is_simm32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }
static inline bool is_uimm32(uint64_t v) { return v <= UINT32_MAX; }

/* ---- labels and positions ------------------------------------------------ */

static uint32_t label_new(struct jit_state *st)
{
	if (st->nlabels == st->cap_labels) {
		uint32_t n = st->cap_labels ? st->cap_labels * 2 : 256;
		uint32_t *o = util_realloc(st->alloc, st->lab_off, st->cap_labels * sizeof(*o),
					   n * sizeof(*o));
		if (o)
			st->lab_off = o;
		uint8_t *c = util_realloc(st->alloc, st->lab_stream, st->cap_labels, n);
		if (c)
			st->lab_stream = c;
		if (!o || !c) {
			st->err = -ENOMEM;
			return 0;
		}
		st->cap_labels = n;
	}
	uint32_t id = st->nlabels++;
	st->lab_off[id] = 0;
	st->lab_stream[id] = 0;
	return id;
}

static inline void label_bind(struct jit_state *st, uint32_t id)
{
	if (st->err)
		return;
	st->lab_off[id] = (uint32_t)st->cur->len;
	st->lab_stream[id] = st->cur == &st->hot ? 0 : st->cur == &st->cold ? 1 : 2;
}

/* Start a unit (an eBPF instruction, a stub): bind its label and measure
 * positions inside it from there. */
static inline void unit_begin(struct jit_state *st, uint32_t id)
{
	label_bind(st, id);
	st->unit = id;
	st->unit_start = st->cur->len;
}

/* Where the next byte goes, in the previous pass's coordinates. */
static inline int64_t pos_est(const struct jit_state *st)
{
	if (!st->have_prev)
		return 0;
	return st->prev[st->unit] + (int64_t)(st->cur->len - st->unit_start);
}

static inline int64_t label_prev(const struct jit_state *st, uint32_t id)
{
	return st->have_prev && id < st->nprev ? st->prev[id] : -1;
}

/* ---- prefixes and operands ------------------------------------------------ */

/* REX: W = 64-bit operand, R = ModRM.reg >= 8, X = SIB.index >= 8,
 * B = ModRM.rm / SIB.base >= 8.  `force` writes an empty REX, which is how
 * spl/bpl/sil/dil are named as byte registers. */
static void emit_rex(struct jit_state *st, bool w, int reg, int index, int base, bool force)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) |
				((base & 8) ? 1 : 0));
	if (rex != 0x40 || force)
		emit1(st, rex);
}

static inline bool byte_reg_needs_rex(int r) { return r >= RSP && r <= RDI; }

static inline void emit_modrm_rr(struct jit_state *st, int reg, int rm)
{
	emit1(st, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* ModRM (+ SIB + displacement) for [base + disp].  rbp/r13 as a base have
 * no disp-less form, rsp/r12 need a SIB byte. */
static void emit_modrm_mem(struct jit_state *st, int reg, int base, int32_t disp)
{
	int mod = disp == 0 && (base & 7) != RBP ? 0 : is_imm8(disp) ? 1 : 2;
	emit1(st, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	if ((base & 7) == RSP)
		emit1(st, 0x24); /* SIB: base only */
	if (mod == 1)
		emit1(st, (uint8_t)disp);
	else if (mod == 2)
		emit_u32(st, (uint32_t)disp);
}

/* ModRM + SIB for [base + index] (index != rsp). */
static void emit_modrm_sib(struct jit_state *st, int reg, int base, int index)
{
	int mod = (base & 7) == RBP ? 1 : 0;
	emit1(st, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
	emit1(st, (uint8_t)((index & 7) << 3 | (base & 7)));
	if (mod)
		emit1(st, 0);
}

/* ---- register-register and immediate forms -------------------------------- */

/* op dst, src  (add/or/and/sub/xor/cmp, 32 or 64 bits) */
static void emit_alu_rr(struct jit_state *st, enum x86_alu op, bool w, int dst, int src)
{
	emit_rex(st, w, src, 0, dst, false);
	emit1(st, (uint8_t)(op << 3 | 1)); /* op r/m, reg */
	emit_modrm_rr(st, src, dst);
}

/* op dst, imm  (sign-extended imm8 when it fits, else imm32) */
static void emit_alu_ri(struct jit_state *st, enum x86_alu op, bool w, int dst, int32_t imm)
{
	emit_rex(st, w, 0, 0, dst, false);
	if (is_imm8(imm)) {
		emit2(st, 0x83, (uint8_t)(0xc0 | op << 3 | (dst & 7))); /* op r/m, imm8 */
		emit1(st, (uint8_t)imm);
	} else if (dst == RAX) {
		emit1(st, (uint8_t)(op << 3 | 5)); /* op eax/rax, imm32 */
		emit_u32(st, (uint32_t)imm);
	} else {
		emit2(st, 0x81, (uint8_t)(0xc0 | op << 3 | (dst & 7))); /* op r/m, imm32 */
		emit_u32(st, (uint32_t)imm);
	}
}

/* mov dst, src  (32-bit form zero-extends) */
static void emit_mov_rr(struct jit_state *st, bool w, int dst, int src)
{
	emit_rex(st, w, src, 0, dst, false);
	emit2(st, 0x89, (uint8_t)(0xc0 | (src & 7) << 3 | (dst & 7))); /* mov r/m, reg */
}

/* mov dst32, imm32  (zero-extends into dst) */
static void emit_mov_ri32(struct jit_state *st, int dst, uint32_t imm)
{
	emit_rex(st, false, 0, 0, dst, false);
	emit1(st, (uint8_t)(0xb8 | (dst & 7))); /* mov r32, imm32 */
	emit_u32(st, imm);
}

/* mov dst, simm32  (sign-extended to 64 bits) */
static void emit_mov_ri_sx(struct jit_state *st, int dst, int32_t imm)
{
	emit_rex(st, true, 0, 0, dst, false);
	emit2(st, 0xc7, (uint8_t)(0xc0 | (dst & 7))); /* mov r/m64, imm32 */
	emit_u32(st, (uint32_t)imm);
}

/* movabs dst, imm64 */
static void emit_mov_ri64(struct jit_state *st, int dst, uint64_t imm)
{
	emit_rex(st, true, 0, 0, dst, false);
	emit1(st, (uint8_t)(0xb8 | (dst & 7))); /* movabs r64, imm64 */
	emit_u64(st, imm);
}

/* xor dst32, dst32  (dst = 0; clobbers flags) */
static void emit_zero(struct jit_state *st, int dst)
{
	emit_alu_rr(st, ALU_XOR, false, dst, dst); /* xor r32, r32 */
}

/* dst = imm64 with the shortest encoding.  May clobber flags (xor). */
static void emit_mov_imm(struct jit_state *st, int dst, uint64_t imm)
{
	if (imm == 0)
		emit_zero(st, dst);                          /* xor r32, r32 */
	else if (is_uimm32(imm))
		emit_mov_ri32(st, dst, (uint32_t)imm);       /* mov r32, imm32 */
	else if (is_simm32((int64_t)imm))
		emit_mov_ri_sx(st, dst, (int32_t)(int64_t)imm); /* mov r64, simm32 */
	else
		emit_mov_ri64(st, dst, imm);                 /* movabs r64, imm64 */
}

/* imul dst, src */
static void emit_imul_rr(struct jit_state *st, bool w, int dst, int src)
{
	emit_rex(st, w, dst, 0, src, false);
	emit3(st, 0x0f, 0xaf, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7))); /* imul reg, r/m */
}

/* imul dst, src, imm */
static void emit_imul_rri(struct jit_state *st, bool w, int dst, int src, int32_t imm)
{
	emit_rex(st, w, dst, 0, src, false);
	if (is_imm8(imm)) {
		emit2(st, 0x6b, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7))); /* imul reg, r/m, imm8 */
		emit1(st, (uint8_t)imm);
	} else {
		emit2(st, 0x69, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7))); /* imul reg, r/m, imm32 */
		emit_u32(st, (uint32_t)imm);
	}
}

/* neg r */
static void emit_neg(struct jit_state *st, bool w, int r)
{
	emit_rex(st, w, 0, 0, r, false);
	emit2(st, 0xf7, (uint8_t)(0xd8 | (r & 7))); /* neg r/m */
}

/* div r / idiv r  (rdx:rax / r; rax = quotient, rdx = remainder) */
static void emit_div(struct jit_state *st, bool w, bool sign, int r)
{
	emit_rex(st, w, 0, 0, r, false);
	emit2(st, 0xf7, (uint8_t)((sign ? 0xf8 : 0xf0) | (r & 7))); /* div r/m | idiv r/m */
}

/* cqo (rdx = sign of rax) / cdq (edx = sign of eax) */
static void emit_cqo(struct jit_state *st, bool w)
{
	if (w)
		emit1(st, 0x48);
	emit1(st, 0x99); /* cqo | cdq */
}

/* shl/shr/sar/rol/ror r, imm8 */
static void emit_shift_ri(struct jit_state *st, enum x86_shift op, bool w, int r, uint8_t n)
{
	emit_rex(st, w, 0, 0, r, false);
	if (n == 1) {
		emit2(st, 0xd1, (uint8_t)(0xc0 | op << 3 | (r & 7))); /* shift r/m, 1 */
	} else {
		emit2(st, 0xc1, (uint8_t)(0xc0 | op << 3 | (r & 7))); /* shift r/m, imm8 */
		emit1(st, n);
	}
}

/* shl/shr/sar r, cl */
static void emit_shift_cl(struct jit_state *st, enum x86_shift op, bool w, int r)
{
	emit_rex(st, w, 0, 0, r, false);
	emit2(st, 0xd3, (uint8_t)(0xc0 | op << 3 | (r & 7))); /* shift r/m, cl */
}

/* shlx/shrx/sarx dst, src, cnt  (BMI2: any count register, count masked
 * like the legacy shifts, flags untouched) */
static void emit_shiftx(struct jit_state *st, enum x86_shift op, bool w, int dst, int src, int cnt)
{
	uint8_t pp = op == SH_SHL ? 1 : op == SH_SAR ? 2 : 3; /* 66 | F3 | F2 */
	emit1(st, 0xc4);                                       /* VEX3 */
	emit1(st, (uint8_t)(((dst & 8) ? 0 : 0x80) | 0x40 | ((src & 8) ? 0 : 0x20) | 0x02)); /* ~R ~X ~B, map 0F38 */
	emit1(st, (uint8_t)((w ? 0x80 : 0) | ((~cnt & 15) << 3) | pp)); /* W ~vvvv L=0 pp */
	emit2(st, 0xf7, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));   /* shlx|sarx|shrx dst, src, cnt */
}

/* bswap r */
static void emit_bswap(struct jit_state *st, bool w, int r)
{
	emit_rex(st, w, 0, 0, r, false);
	emit2(st, 0x0f, (uint8_t)(0xc8 | (r & 7))); /* bswap r */
}

/* rol/ror r16, imm8 */
static void emit_rot16(struct jit_state *st, enum x86_shift op, int r, uint8_t n)
{
	emit1(st, 0x66);
	emit_rex(st, false, 0, 0, r, false);
	emit2(st, 0xc1, (uint8_t)(0xc0 | op << 3 | (r & 7))); /* rol|ror r16, imm8 */
	emit1(st, n);
}

/* movzx dst32, src8/src16 */
static void emit_movzx_rr(struct jit_state *st, int dst, int src, int bits)
{
	emit_rex(st, false, dst, 0, src, bits == 8 && byte_reg_needs_rex(src));
	emit3(st, 0x0f, bits == 8 ? 0xb6 : 0xb7, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7))); /* movzx r32, r/m8|r/m16 */
}

/* movsx dst, src8/src16 ; movsxd dst64, src32 */
static void emit_movsx_rr(struct jit_state *st, bool w, int dst, int src, int bits)
{
	emit_rex(st, w || bits == 32, dst, 0, src, bits == 8 && byte_reg_needs_rex(src));
	if (bits == 32)
		emit2(st, 0x63, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7))); /* movsxd r64, r/m32 */
	else
		emit3(st, 0x0f, bits == 8 ? 0xbe : 0xbf,
		      (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7))); /* movsx r, r/m8|r/m16 */
}

/* test a, b */
static void emit_test_rr(struct jit_state *st, bool w, int a, int b)
{
	emit_rex(st, w, b, 0, a, false);
	emit2(st, 0x85, (uint8_t)(0xc0 | (b & 7) << 3 | (a & 7))); /* test r/m, reg */
}

/* test r, imm32 */
static void emit_test_ri(struct jit_state *st, bool w, int r, int32_t imm)
{
	emit_rex(st, w, 0, 0, r, false);
	if (r == RAX) {
		emit1(st, 0xa9); /* test eax/rax, imm32 */
	} else {
		emit2(st, 0xf7, (uint8_t)(0xc0 | (r & 7))); /* test r/m, imm32 */
	}
	emit_u32(st, (uint32_t)imm);
}

/* test r8, imm8 */
static void emit_test_r8i(struct jit_state *st, int r, uint8_t imm)
{
	emit_rex(st, false, 0, 0, r, byte_reg_needs_rex(r));
	emit2(st, 0xf6, (uint8_t)(0xc0 | (r & 7))); /* test r/m8, imm8 */
	emit1(st, imm);
}

/* push r / pop r */
static void emit_push(struct jit_state *st, int r)
{
	emit_rex(st, false, 0, 0, r, false);
	emit1(st, (uint8_t)(0x50 | (r & 7))); /* push r64 */
}
static void emit_pop(struct jit_state *st, int r)
{
	emit_rex(st, false, 0, 0, r, false);
	emit1(st, (uint8_t)(0x58 | (r & 7))); /* pop r64 */
}

static void emit_ret(struct jit_state *st) { emit1(st, 0xc3); /* ret */ }

/* NOPs: n bytes in as few instructions as the recommended multi-byte
 * forms allow (nop; xchg ax, ax; nop dword [rax + ...], up to 9 bytes). */
static void emit_nops(struct jit_state *st, unsigned n)
{
	static const uint8_t forms[9][9] = {
		{ 0x90 },
		{ 0x66, 0x90 },
		{ 0x0f, 0x1f, 0x00 },
		{ 0x0f, 0x1f, 0x40, 0x00 },
		{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
		{ 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	};
	while (n) {
		unsigned k = n > 9 ? 9 : n;
		for (unsigned i = 0; i < k; i++)
			emit1(st, forms[k - 1][i]); /* nop (k bytes) */
		n -= k;
	}
}

/* Pad the hot stream with NOPs up to the next image address that is a
 * multiple of `align` (a power of two; the hot stream starts the image,
 * which is page-aligned).  Pass 0 does not know the address yet and pads
 * the most any pass can, align - 1, so that its size stays an upper
 * bound.  Later passes pad to their own positions: a label after the
 * padding still only moves down from pass to pass (rounding up is
 * monotone), though the distance to it from a label before the padding
 * may grow by up to align - 1; a pass is final only when it repeats the
 * previous one's positions, so such a jump settles in a later pass (or
 * in the forced-long passes, where only paddings still move). */
static void emit_align(struct jit_state *st, unsigned align)
{
	unsigned pad = align - 1;
	if (st->have_prev && st->base)
		pad = (unsigned)((align - (st->base + st->cur->len) % align) % align);
	emit_nops(st, pad);
}

/* jmp r */
static void emit_jmp_r(struct jit_state *st, int r)
{
	emit_rex(st, false, 0, 0, r, false);
	emit2(st, 0xff, (uint8_t)(0xe0 | (r & 7))); /* jmp r64 */
}

/* call r */
static void emit_call_r(struct jit_state *st, int r)
{
	emit_rex(st, false, 0, 0, r, false);
	emit2(st, 0xff, (uint8_t)(0xd0 | (r & 7))); /* call r64 */
}

/* ---- memory forms --------------------------------------------------------- */

/* lea dst, [base + disp]  (64 or, !w, 32 bits: the sum truncated and
 * zero-extended, as a 32-bit add would leave it) */
static void emit_lea_w(struct jit_state *st, bool w, int dst, int base, int32_t disp)
{
	emit_rex(st, w, dst, 0, base, false);
	emit1(st, 0x8d); /* lea r64|r32, m */
	emit_modrm_mem(st, dst, base, disp);
}
static void emit_lea(struct jit_state *st, int dst, int base, int32_t disp)
{
	emit_lea_w(st, true, dst, base, disp);
}

/* lea dst, [base + index]  (64 or 32 bits; rsp is never an index) */
static void emit_lea_bi(struct jit_state *st, bool w, int dst, int base, int index)
{
	if ((base & 7) == RBP && (index & 7) != RBP) {
		int t = base; /* rbp/r13 as a base needs a disp8: swap them */
		base = index;
		index = t;
	}
	emit_rex(st, w, dst, index, base, false);
	emit1(st, 0x8d); /* lea r64|r32, [base + index] */
	emit_modrm_sib(st, dst, base, index);
}

/* Loads: size 1/2/4/8 bytes, zero- or sign-extended to 64 bits. */
static void emit_load(struct jit_state *st, int dst, int base, int32_t disp, unsigned size, bool sx)
{
	switch (size) {
	case 1:
		emit_rex(st, sx, dst, 0, base, false);
		emit2(st, 0x0f, sx ? 0xbe : 0xb6); /* movsx r64, byte [m] | movzx r32, byte [m] */
		break;
	case 2:
		emit_rex(st, sx, dst, 0, base, false);
		emit2(st, 0x0f, sx ? 0xbf : 0xb7); /* movsx r64, word [m] | movzx r32, word [m] */
		break;
	case 4:
		emit_rex(st, sx, dst, 0, base, false);
		emit1(st, sx ? 0x63 : 0x8b); /* movsxd r64, dword [m] | mov r32, dword [m] */
		break;
	default:
		emit_rex(st, true, dst, 0, base, false);
		emit1(st, 0x8b); /* mov r64, qword [m] */
		break;
	}
	emit_modrm_mem(st, dst, base, disp);
}

/* Load with [base + index]: movzx r32, byte|word / mov r32, dword. */
static void emit_load_idx(struct jit_state *st, int dst, int base, int index, unsigned size)
{
	emit_rex(st, false, dst, index, base, false);
	if (size == 1)
		emit2(st, 0x0f, 0xb6); /* movzx r32, byte [base + index] */
	else if (size == 2)
		emit2(st, 0x0f, 0xb7); /* movzx r32, word [base + index] */
	else
		emit1(st, 0x8b);       /* mov r32, dword [base + index] */
	emit_modrm_sib(st, dst, base, index);
}

/* mov [base + disp], src  (1/2/4/8 bytes) */
static void emit_store_r(struct jit_state *st, int base, int32_t disp, int src, unsigned size)
{
	if (size == 2)
		emit1(st, 0x66);
	emit_rex(st, size == 8, src, 0, base, size == 1 && byte_reg_needs_rex(src));
	emit1(st, size == 1 ? 0x88 : 0x89); /* mov byte [m], r8 | mov word/dword/qword [m], r */
	emit_modrm_mem(st, src, base, disp);
}

/* mov [base + disp], imm  (1/2/4 bytes; 8 bytes sign-extends imm32) */
static void emit_store_i(struct jit_state *st, int base, int32_t disp, int32_t imm, unsigned size)
{
	if (size == 2)
		emit1(st, 0x66);
	emit_rex(st, size == 8, 0, 0, base, false);
	emit1(st, size == 1 ? 0xc6 : 0xc7); /* mov byte|word|dword|qword [m], imm */
	emit_modrm_mem(st, 0, base, disp);
	if (size == 1)
		emit1(st, (uint8_t)imm);
	else if (size == 2)
		emit_u16(st, (uint16_t)imm);
	else
		emit_u32(st, (uint32_t)imm);
}

/* op reg, [base + disp]  (cmp/add/sub/or..., 32 or 64 bits) */
static void emit_alu_rm_w(struct jit_state *st, enum x86_alu op, bool w, int reg, int base, int32_t disp)
{
	emit_rex(st, w, reg, 0, base, false);
	emit1(st, (uint8_t)(op << 3 | 3)); /* op r, [m] */
	emit_modrm_mem(st, reg, base, disp);
}

/* op reg, qword [base + disp] */
static void emit_alu_rm(struct jit_state *st, enum x86_alu op, int reg, int base, int32_t disp)
{
	emit_alu_rm_w(st, op, true, reg, base, disp); /* op r64, [m] */
}

/* pxor xmm0, xmm0 (xmm registers are caller-saved and otherwise unused by
 * JIT code: xmm0 is free scratch) */
static void emit_pxor_xmm0(struct jit_state *st)
{
	emit1(st, 0x66);
	emit1(st, 0x0f);
	emit1(st, 0xef);
	emit1(st, 0xc0); /* pxor xmm0, xmm0 */
}

/* movups [base + disp], xmm0  (16 bytes, any alignment) */
static void emit_movups_store_xmm0(struct jit_state *st, int base, int32_t disp)
{
	emit_rex(st, false, 0, 0, base, false);
	emit1(st, 0x0f);
	emit1(st, 0x11); /* movups [m], xmm0 */
	emit_modrm_mem(st, 0, base, disp);
}

/* cmp byte [base + disp], imm8 */
static void emit_cmp_m8i(struct jit_state *st, int base, int32_t disp, uint8_t imm)
{
	emit_rex(st, false, 0, 0, base, false);
	emit1(st, 0x80); /* cmp byte [m], imm8 */
	emit_modrm_mem(st, ALU_CMP, base, disp);
	emit1(st, imm);
}

/* ---- atomics (lock prefix; xchg with memory is locked by itself) ----------- */

/* lock add/or/and/xor [base + disp], src */
static void emit_lock_alu_mr(struct jit_state *st, enum x86_alu op, bool w, int base, int32_t disp, int src)
{
	emit1(st, 0xf0); /* lock */
	emit_rex(st, w, src, 0, base, false);
	emit1(st, (uint8_t)(op << 3 | 1)); /* op [m], r */
	emit_modrm_mem(st, src, base, disp);
}

/* lock xadd [base + disp], src */
static void emit_lock_xadd(struct jit_state *st, bool w, int base, int32_t disp, int src)
{
	emit1(st, 0xf0); /* lock */
	emit_rex(st, w, src, 0, base, false);
	emit2(st, 0x0f, 0xc1); /* xadd [m], r */
	emit_modrm_mem(st, src, base, disp);
}

/* xchg [base + disp], src */
static void emit_xchg_mr(struct jit_state *st, bool w, int base, int32_t disp, int src)
{
	emit_rex(st, w, src, 0, base, false);
	emit1(st, 0x87); /* xchg [m], r */
	emit_modrm_mem(st, src, base, disp);
}

/* lock cmpxchg [base + disp], src  (compares with rax/eax) */
static void emit_lock_cmpxchg(struct jit_state *st, bool w, int base, int32_t disp, int src)
{
	emit1(st, 0xf0); /* lock */
	emit_rex(st, w, src, 0, base, false);
	emit2(st, 0x0f, 0xb1); /* cmpxchg [m], r */
	emit_modrm_mem(st, src, base, disp);
}

/* ---- control flow ---------------------------------------------------------- */

/* jcc label  (rel8 when the previous pass says it fits, else rel32) */
static void emit_jcc(struct jit_state *st, enum x86_cc cc, uint32_t label)
{
	int64_t t = label_prev(st, label);
	if (!st->force_long && t >= 0 && is_imm8(t - (pos_est(st) + 2))) {
		int64_t d = t - (pos_est(st) + 2);
		emit2(st, (uint8_t)(0x70 | cc), (uint8_t)d); /* jcc rel8 */
		return;
	}
	int64_t d = t - (pos_est(st) + 6);
	emit2(st, 0x0f, (uint8_t)(0x80 | cc)); /* jcc rel32 */
	emit_u32(st, (uint32_t)d);
}

/* jmp label */
static void emit_jmp(struct jit_state *st, uint32_t label)
{
	int64_t t = label_prev(st, label);
	if (!st->force_long && t >= 0 && is_imm8(t - (pos_est(st) + 2))) {
		int64_t d = t - (pos_est(st) + 2);
		emit2(st, 0xeb, (uint8_t)d); /* jmp rel8 */
		return;
	}
	int64_t d = t - (pos_est(st) + 5);
	emit1(st, 0xe9); /* jmp rel32 */
	emit_u32(st, (uint32_t)d);
}

/* call label  (always rel32) */
static void emit_call_label(struct jit_state *st, uint32_t label)
{
	int64_t d = label_prev(st, label) - (pos_est(st) + 5);
	emit1(st, 0xe8); /* call rel32 */
	emit_u32(st, (uint32_t)d);
}

/* Can a rel32 call at any position of the image reach `target`?  Decided
 * from the image base and the upper bound on its size, never from the
 * position, so a call's size cannot change between passes. */
static bool call_is_near(const struct jit_state *st, uint64_t target)
{
	if (!st->base)
		return false;
	int64_t lo = (int64_t)(target - st->base);
	int64_t hi = (int64_t)(target - (st->base + st->size_bound));
	return is_simm32(lo) && is_simm32(hi);
}

/* call target  (direct rel32 when in reach, else through r11) */
static void emit_call_abs(struct jit_state *st, const void *fn)
{
	uint64_t target = (uint64_t)(uintptr_t)fn;
	if (call_is_near(st, target)) {
		int64_t d = (int64_t)(target - (st->base + (uint64_t)pos_est(st) + 5));
		emit1(st, 0xe8); /* call rel32 */
		emit_u32(st, (uint32_t)d);
	} else {
		emit_mov_ri64(st, R11, target); /* movabs r11, target */
		emit_call_r(st, R11);           /* call r11 */
	}
}

#endif
