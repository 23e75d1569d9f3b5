/* bpfbox — jit/jit_x86_64.c: eBPF to x86-64 machine code.
 *
 * What it does.  Every decoded instruction (isa_insn, one per slot) becomes
 * a short run of native instructions, in program order, in the "hot"
 * stream; everything a run normally does not execute (memory-check slow
 * paths, error reporting, helper stop handling, division special cases)
 * goes to the "cold" stream after it.  eBPF registers live in fixed x86
 * registers for the whole run (reg_map below), so ALU instructions are one
 * or two native instructions, helper calls are direct `call`s with the
 * arguments already in place, and bpf-to-bpf calls are native call/ret.
 * The generator reads isa.def's table — shapes, flags and the encoding
 * fields of each row (ALU operation, jump condition, access size) — and
 * never names raw opcode bytes.
 *
 * Verified code gets more than a translation, with the facts a whole
 * program gives (which slots are jump targets, which registers are live:
 * isa_liveness):
 *  - a few idioms compilers emit for eBPF become single x86 instructions
 *    (gen_fused: pointer arithmetic into `lea`, `if c goto +1; goto T`
 *    into one jump on !c, a big-endian halfword read byte by byte into a
 *    halfword load and a rotate);
 *  - a helper call whose r1 is a map loaded just before can be bound to
 *    that map (bpfbox_vm__set_helper_bind): a map lookup then calls the
 *    map's own lookup function directly, as the kernel's verifier arranges
 *    with map_gen_lookup;
 *  - loop heads (targets of backward jumps) start on 16 bytes, as
 *    compilers place them (emit_align).
 * The kernel's JIT does none of this (its verifier does the map binding);
 * on the benchmark's loops the fused code is what makes bpfbox's faster.
 *
 * Per-run state.  The entry takes r1..r5 in the SysV argument registers
 * (where the register map keeps them anyway) and the run in r9.  The
 * prologue saves the callee-saved registers and reserves a `struct
 * jit_ctx` (jit.h) on the native stack; r12 points at it for the whole
 * run.  It holds the run (`ex`), the frame the code was entered in, spill
 * slots for the cold paths, and in checked mode the r1 region's bounds
 * precomputed per access size (the budget itself is kept in r9).  The
 * eBPF stack is the VM's (ex->stack): r10 starts in the frame the VM chose
 * (ex->entry_r10: frame 0 for a run, a deeper one for a nested call such
 * as a bpf_loop callback), each bpf-to-bpf call moves it down 512 bytes,
 * and r10 itself tells the depth (no counter): a call from below r10_min
 * would be a 9th frame, an exit in the entry frame leaves the code.  A
 * tail call into another program's JIT code jumps to that code's tail
 * entry and keeps the jit_ctx, the budget and the stack; a target without
 * suitable JIT code is handed back to the VM, which continues on the
 * interpreter.
 *
 * Helper calls record the call's slot and the caller's r10 in the run
 * (and, in checked code, the budget left: a helper may run a nested call
 * that draws on it, so the code reloads it afterwards), then check whether
 * the helper stopped the run.  Verified code calls a helper's leaf variant
 * (bpfbox_vm__set_helper_leaf: map lookups), or the function its binder
 * gives for the call's map, directly, with neither.  Frames of
 * bpf-to-bpf calls are zeroed on entry in checked code and in unchecked
 * code compiled with zero_stack (a program the verifier saw reading stack
 * it never wrote); other unchecked code does not touch them.
 *
 * Checked mode (unverified programs) keeps the interpreter's guarantees in
 * native code:
 *  - every load/store/atomic whose address is not provably inside the
 *    current stack frame (r10 + constant in [-512, -size]) gets an inline
 *    check against the r1 region (one compare), then out of line the live
 *    stack (two compares), then jit_rt_check() (grants, region hook); a
 *    failure reports the same fault, at the same instruction, as the
 *    interpreter.  Loads and stores in one basic block through the same,
 *    unchanged base register (mem[i], mem[i + 1], ...) share one check of
 *    their union, made at the first of them; when that check fails, the
 *    rest of the block runs from a slow copy (the copy stream) that checks
 *    every access on its own, so the first bad access still faults at its
 *    own instruction, after everything before it happened;
 *  - the budget is charged once per basic block, at the block's first
 *    instruction, by the block's length.  When what is left is less than
 *    the block, the run is going to stop inside this block: the stub hands
 *    the registers to jit_rt_budget(), which executes exactly the
 *    instructions the budget still allows (straight-line code, by
 *    construction of the blocks) and reports -ELOOP at the same
 *    instruction as the interpreter;
 *  - r1..r5 survive helper calls, as they do in the interpreter, so even
 *    an unverified program that reads them after a call sees the same
 *    values on both engines.  Verified code skips this (the verifier
 *    proves r1..r5 are not read after a call), like the kernel.
 *
 * Semantics (RFC 9669) without host traps: division by zero and
 * INT_MIN / -1 never reach `div`/`idiv` (checked before, or decided at
 * compile time for constants); constant divisors become shifts or a
 * multiply by a reciprocal.  Shift counts are masked by the hardware
 * exactly as eBPF wants (63 / 31).  32-bit operations write 32-bit
 * registers, which zero-extends.
 *
 * Size convergence: see emit_x86.h.  Pass 0 encodes every jump long and
 * every call far and pads every loop head by the most it may need, which
 * bounds the image; the caller maps that much, and later passes, which
 * know the image address, shrink until a pass repeats the previous one's
 * layout.
 *
 * Limits.  x86-64 SysV only.  Helpers are bound when the program is
 * compiled (registering a different helper function later does not change
 * JIT code; the kernel's JIT binds its helper calls the same way).
 * Programs up to ISA_MAX_INSNS slots.  Shift-count immediates and memory
 * offsets are not blinded (they are 6 and 16 bits; the kernel does not
 * blind offsets either).  After a tail call handed to the interpreter,
 * a budget exhaustion is reported at the same instruction, but its
 * message names the budget that was left (the interpreter knows no other),
 * not the run's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "jit.h"
#include "emit_x86.h"

/* ---- register map --------------------------------------------------------
 *
 * eBPF  x86   why
 * r0    rax   SysV returns in rax: a helper's result lands in r0 for free,
 *             and the program returns r0 without a move.
 * r1    rdi   r1..r5 are the helper arguments, so they take the SysV
 * r2    rsi   argument registers in order: a helper call needs no
 * r3    rdx   shuffling at all (rdx/rcx are also div's and shifts'
 * r4    rcx   implicit operands; those few sequences save and restore).
 * r5    r8
 * r6    rbx   r6..r9 must survive calls, so they take callee-saved
 * r7    r13   registers; rbx needs no REX prefix, so it goes to r6, the
 * r8    r14   register programs use most (often the context).
 * r9    r15
 * r10   rbp   the frame pointer: callee-saved, and never a helper argument.
 *
 * Not mapped: r12 holds the jit_ctx for the whole run (callee-saved; as a
 * memory base it needs a SIB byte, so it goes to the pointer the hot code
 * uses least); r10 and r11 are scratch (caller-saved, so free to clobber);
 * rsp is the native stack.  r9 carries `ex` into helper calls (the sixth
 * SysV argument); in checked mode it holds the instruction budget between
 * calls, so charging a block is a register subtraction (the counter goes
 * to ex->budget across helper calls, to jit_ctx.budget across the run-time
 * functions); in verified code it is scratch.
 */
static const uint8_t reg_map[BPFBOX_MAX_REG + 1] = {
	RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP,
};
#define JCTX R12
#define SCR1 R11 /* addresses, divisors, blinded constants */
#define SCR2 R10
#define SCR3 R9   /* unchecked code only: checked code keeps the budget here */
#define BUDGET R9

#define JOFF(f) ((int32_t)offsetof(struct jit_ctx, f))
#define XOFF(f) ((int32_t)offsetof(struct bpfbox_exec, f))

#define MAX_PASSES 24     /* then everything long, which settles in one more */
#define JIT_MAX_IMAGE (256u << 20)
#define FORCE_LONG_PASS 20

struct gen {
	struct jit_state st;
	const struct bpfbox_prog *prog;
	const struct isa_insn *code;
	size_t n;
	bool checked, blind, bmi2, has_calls, zero_stack;
	uint32_t *blen;      /* checked mode: length of the block starting at a slot, 0 if none */
	uint8_t *lead;       /* checked mode: slot starts a basic block */
	uint8_t *tgt;        /* verified code: how each slot is entered (TGT_*) */
	uint16_t *live;      /* fusing: registers live into each slot (isa_liveness) */
	bool fuse;           /* verified code without blinding: fuse pairs (gen_fused) */
	struct grp *grp;     /* checked mode: shared region checks */
	bool in_copy;        /* emitting a block tail's slow copy */
	uint64_t seed, rng;  /* constant blinding */
	/* labels of the shared routines (allocated at the start of each pass) */
	uint32_t l_entry, l_tail, l_common, l_ret, l_epilogue, l_error, l_stop, l_slow, l_budget,
		l_ldpkt_fail, l_zero;
};

static inline int R(unsigned ebpf_reg) { return reg_map[ebpf_reg]; }

/* gen.tgt bits: the slot is entered other than by falling in from the
 * slot before (an entry, a jump or call target); it is a loop head (the
 * target of a backward jump) */
enum { TGT_IN = 1, TGT_LOOP = 2 };
#define LOOP_ALIGN 16

/* Accesses of a block that share one region check: the head checks
 * [base + lo, base + lo + len) for all of them (len <= 8); members skip
 * their own check. */
enum { GRP_NONE, GRP_HEAD, GRP_MEMBER };
struct grp {
	int32_t lo;
	uint8_t len, role, write;
};

static void gen_insn(struct gen *g, size_t pc);

static uint32_t blind_rand(struct gen *g)
{
	uint64_t x = g->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	g->rng = x;
	return (uint32_t)(x >> 16) | 1u; /* never 0: a zero key would not blind */
}

/* Start a cold stub: switch to the cold stream and open a unit there.
 * Returns the stream and unit to go back to with cold_end(). */
struct unit_save {
	struct jit_stream *cur;
	uint32_t unit;
	size_t start;
};
static struct unit_save cold_begin(struct gen *g, uint32_t label)
{
	struct jit_state *st = &g->st;
	struct unit_save s = { st->cur, st->unit, st->unit_start };
	st->cur = &st->cold;
	unit_begin(st, label);
	return s;
}
static void cold_end(struct gen *g, struct unit_save s)
{
	struct jit_state *st = &g->st;
	st->cur = s.cur;
	st->unit = s.unit;
	st->unit_start = s.start;
}

/* mov r, [r12 + field] / mov [r12 + field], r */
static void ld_jctx(struct gen *g, int r, int32_t off) { emit_load(&g->st, r, JCTX, off, 8, false); }
static void st_jctx(struct gen *g, int32_t off, int r) { emit_store_r(&g->st, JCTX, off, r, 8); }

/* rdi = ex (first argument of the run-time functions) */
static void arg_ex(struct gen *g) { ld_jctx(g, RDI, JOFF(ex)); }

/* A cold stub that reports a run-time error through `fn(ex, pc, a, b)` and
 * leaves the program; returns its label for the hot code to jump to. */
static uint32_t error_stub(struct gen *g, const void *fn, size_t pc, int nargs, uint64_t a, int ra)
{
	struct jit_state *st = &g->st;
	uint32_t l = label_new(st);
	struct unit_save s = cold_begin(g, l);
	if (ra >= 0)
		emit_mov_rr(st, true, RCX, ra);  /* mov rcx, ra   (4th argument) */
	if (nargs >= 1)
		emit_mov_imm(st, RDX, a);        /* mov edx, a    (3rd argument) */
	emit_mov_imm(st, RSI, pc);               /* mov esi, pc   (2nd argument) */
	arg_ex(g);                               /* mov rdi, [r12 + ex] */
	emit_call_abs(st, fn);                   /* call fn */
	emit_jmp(st, g->l_error);                /* jmp error */
	cold_end(g, s);
	return l;
}

/* Blinded constant: reg = sext(imm) without imm appearing in the code. */
static void blind_imm(struct gen *g, int reg, int32_t imm)
{
	uint32_t k = blind_rand(g);
	emit_mov_ri_sx(&g->st, reg, (int32_t)((uint32_t)imm ^ k)); /* mov reg, imm ^ k */
	emit_alu_ri(&g->st, ALU_XOR, true, reg, (int32_t)k);       /* xor reg, k */
}

/* ---- checked-mode memory access ------------------------------------------ */

static inline unsigned log2_size(unsigned size) { return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3; }

/* The slow copy of a block's tail: the instructions from `pc` to the end
 * of its basic block again, each access with its own check, then on to
 * the next block.  Emitted into the copy stream (its stubs still go to
 * the cold stream). */
static void gen_block_copy(struct gen *g, size_t pc, uint32_t label)
{
	struct jit_state *st = &g->st;
	struct unit_save s = { st->cur, st->unit, st->unit_start };
	st->cur = &st->copy;
	unit_begin(st, label);
	g->in_copy = true;
	size_t i = pc;
	do {
		if (g->code[i].op != ISA_OP_INVALID)
			gen_insn(g, i);
		i++;
	} while (i < g->n && !g->lead[i]);
	emit_jmp(st, (uint32_t)i);                                  /* jmp next block */
	g->in_copy = false;
	st->cur = s.cur;
	st->unit = s.unit;
	st->unit_start = s.start;
}

/* Operand of an access [ebase + off] of `size` bytes: the base register
 * and displacement to address it with (or r11 + 0 when `force_reg`, for
 * atomics, which test the address's alignment).  In checked mode, unless
 * the access is provably inside the current frame (r10 + constant in
 * [-512, -size]), this first emits the region check:
 *
 *	lea r10, [base + off]
 *	sub r10, [r12 + mem_lo]
 *	cmp r10, [r12 + mem_lim[k]]	; len - size + 1
 *	jae stub			; not in the r1 region
 *   cont:
 *
 * one branch, and the access itself keeps its [base + off] form, so it
 * does not wait for the check.  The stub tries the live stack (two
 * compares) and then jit_rt_check() (grants, the region hook), which
 * records the fault exactly as the interpreter would. */
static void mem_operand(struct gen *g, size_t pc, unsigned ebase, int16_t off, unsigned size,
			bool write, bool force_reg, int *base, int32_t *disp)
{
	struct jit_state *st = &g->st;
	int b = R(ebase);
	bool in_frame = ebase == BPFBOX_MAX_REG && off >= -BPFBOX_STACK_SIZE && off <= -(int)size;
	const struct grp *gr = g->checked && !g->in_copy ? &g->grp[pc] : NULL;
	if (g->checked && !in_frame && gr && gr->role == GRP_MEMBER) {
		/* covered by the check of its group's head */
	} else if (g->checked && !in_frame && gr && gr->role == GRP_HEAD) {
		unsigned lg = gr->len <= 1 ? 0 : gr->len <= 2 ? 1 : gr->len <= 4 ? 2 : 3;
		uint32_t l_copy = label_new(st);
		emit_lea(st, SCR2, b, gr->lo);                              /* lea r10, [base + lo] */
		emit_alu_rm(st, ALU_SUB, SCR2, JCTX, JOFF(mem_lo));         /* sub r10, [r12 + mem_lo] */
		emit_alu_rm(st, ALU_CMP, SCR2, JCTX,
			    gr->write ? JOFF(mem_lim_st[lg]) : JOFF(mem_lim_ld[lg])); /* cmp r10, [r12 + mem_lim[lg]] */
		emit_jcc(st, CC_AE, l_copy);                                /* jae slow copy of the block */
		gen_block_copy(g, pc, l_copy);
	} else if (g->checked && !in_frame) {
		unsigned lg = log2_size(size);
		uint32_t l_stub = label_new(st), l_slow = label_new(st), l_cont = label_new(st);
		emit_lea(st, SCR2, b, off);                                 /* lea r10, [base + off] */
		emit_alu_rm(st, ALU_SUB, SCR2, JCTX, JOFF(mem_lo));         /* sub r10, [r12 + mem_lo] */
		emit_alu_rm(st, ALU_CMP, SCR2, JCTX,
			    write ? JOFF(mem_lim_st[lg]) : JOFF(mem_lim_ld[lg])); /* cmp r10, [r12 + mem_lim[lg]] */
		emit_jcc(st, CC_AE, l_stub);                                /* jae stub */
		label_bind(st, l_cont);

		struct unit_save s = cold_begin(g, l_stub);
		emit_lea(st, SCR1, b, off);                                 /* lea r11, [base + off] */
		ld_jctx(g, SCR2, JOFF(ex));                                 /* mov r10, [r12 + ex] */
		emit_alu_rm(st, ALU_CMP, SCR1, SCR2, XOFF(stack_lo));       /* cmp r11, [r10 + stack_lo] */
		emit_jcc(st, CC_B, l_slow);                                 /* jb slow */
		emit_alu_rm(st, ALU_CMP, SCR1, JCTX, JOFF(stk_hi[lg]));     /* cmp r11, [r12 + stk_hi[lg]] */
		emit_jcc(st, CC_BE, l_cont);                                /* jbe cont */
		label_bind(st, l_slow);
		emit_mov_ri32(st, SCR2, (uint32_t)JIT_CHECK_INFO(pc, lg, write)); /* mov r10d, info */
		emit_call_label(st, g->l_slow);                             /* call slow_common */
		emit_jmp(st, l_cont);                                       /* jmp cont */
		cold_end(g, s);
	}
	if (force_reg) {
		emit_lea(st, SCR1, b, off);                                 /* lea r11, [base + off] */
		*base = SCR1;
		*disp = 0;
	} else {
		*base = b;
		*disp = off;
	}
}

/* ---- ALU ------------------------------------------------------------------ */

/* The ALU operation field of the opcode (RFC 9669 table 5). */
enum { OPF_ADD = 0x0, OPF_SUB = 0x1, OPF_MUL = 0x2, OPF_DIV = 0x3, OPF_OR = 0x4, OPF_AND = 0x5,
       OPF_LSH = 0x6, OPF_RSH = 0x7, OPF_NEG = 0x8, OPF_MOD = 0x9, OPF_XOR = 0xa, OPF_MOV = 0xb,
       OPF_ARSH = 0xc, OPF_END = 0xd };

static void gen_shift(struct gen *g, const struct isa_insn *in, unsigned opf, bool w, bool k)
{
	struct jit_state *st = &g->st;
	enum x86_shift op = opf == OPF_LSH ? SH_SHL : opf == OPF_RSH ? SH_SHR : SH_SAR;
	int d = R(in->dst);
	if (k) {
		uint8_t n = (uint8_t)(in->imm & (w ? 63 : 31));
		if (n)
			emit_shift_ri(st, op, w, d, n);   /* shl|shr|sar dst, n */
		else if (!w)
			emit_mov_rr(st, false, d, d);     /* mov dst32, dst32 (zero-extend) */
		return;
	}
	int s = R(in->src);
	if (g->bmi2) {
		emit_shiftx(st, op, w, d, d, s);          /* shlx|shrx|sarx dst, dst, src */
	} else if (s == RCX) {
		emit_shift_cl(st, op, w, d);              /* shift dst, cl */
	} else if (d == RCX) {
		emit_mov_rr(st, true, SCR1, RCX);         /* mov r11, rcx */
		emit_mov_rr(st, true, RCX, s);            /* mov rcx, src */
		emit_shift_cl(st, op, w, SCR1);           /* shift r11, cl */
		emit_mov_rr(st, true, RCX, SCR1);         /* mov rcx, r11 */
	} else {
		emit_mov_rr(st, true, SCR1, RCX);         /* mov r11, rcx */
		emit_mov_rr(st, true, RCX, s);            /* mov rcx, src */
		emit_shift_cl(st, op, w, d);              /* shift dst, cl */
		emit_mov_rr(st, true, RCX, SCR1);         /* mov rcx, r11 */
	}
}

/* rdx (eBPF r3) is div's and mul's: keep r3 in r9, or in checked code,
 * where r9 is the budget, in the jit_ctx. */
static void save_rdx(struct gen *g)
{
	if (g->checked)
		st_jctx(g, JOFF(rdx_save), RDX);                  /* mov [r12 + rdx_save], rdx */
	else
		emit_mov_rr(&g->st, true, SCR3, RDX);             /* mov r9, rdx */
}
static void restore_rdx(struct gen *g)
{
	if (g->checked)
		ld_jctx(g, RDX, JOFF(rdx_save));                  /* mov rdx, [r12 + rdx_save] */
	else
		emit_mov_rr(&g->st, true, RDX, SCR3);             /* mov rdx, r9 */
}

/* The general division: divisor in r11 (non-zero and, when signed, not -1
 * unless `checks` asks for those cases to be tested at run time). */
static void gen_div_reg(struct gen *g, int d, bool w, bool sign, bool mod, bool checks)
{
	struct jit_state *st = &g->st;
	uint32_t l_done = label_new(st);
	uint32_t l_zero = 0, l_m1 = 0;
	if (checks) {
		l_zero = label_new(st);
		emit_test_rr(st, w, SCR1, SCR1);          /* test r11, r11 */
		emit_jcc(st, CC_E, l_zero);               /* je zero */
		if (sign) {
			l_m1 = label_new(st);
			emit_alu_ri(st, ALU_CMP, w, SCR1, -1); /* cmp r11, -1 */
			emit_jcc(st, CC_E, l_m1);          /* je minus_one */
		}
	}
	if (d != RAX)
		emit_mov_rr(st, true, SCR2, RAX);         /* mov r10, rax */
	if (d != RDX)
		save_rdx(g);
	if (d != RAX)
		emit_mov_rr(st, w, RAX, d);               /* mov rax, dst */
	if (sign)
		emit_cqo(st, w);                          /* cqo | cdq */
	else
		emit_zero(st, RDX);                       /* xor edx, edx */
	emit_div(st, w, sign, SCR1);                      /* div|idiv r11 */
	int res = mod ? RDX : RAX;
	if (d != res)
		emit_mov_rr(st, w, d, res);               /* mov dst, rax|rdx */
	if (d != RAX)
		emit_mov_rr(st, true, RAX, SCR2);         /* mov rax, r10 */
	if (d != RDX)
		restore_rdx(g);
	label_bind(st, l_done);
	if (checks) {
		/* x / 0 = 0, x % 0 = x; x s/ -1 = -x, x s% -1 = 0 (RFC 9669) */
		struct unit_save s = cold_begin(g, l_zero);
		if (!mod)
			emit_zero(st, d);                 /* xor dst32, dst32 */
		else if (!w)
			emit_mov_rr(st, false, d, d);     /* mov dst32, dst32 */
		emit_jmp(st, l_done);                     /* jmp done */
		if (sign) {
			unit_begin(st, l_m1);
			if (mod)
				emit_zero(st, d);         /* xor dst32, dst32 */
			else
				emit_neg(st, w, d);       /* neg dst */
			emit_jmp(st, l_done);             /* jmp done */
		}
		cold_end(g, s);
	}
}

/* mul r/m64: rdx:rax = rax * r */
static void emit_mul(struct jit_state *st, int r)
{
	emit_rex(st, true, 0, 0, r, false);
	emit2(st, 0xf7, (uint8_t)(0xe0 | (r & 7))); /* mul r/m64 */
}

static inline int ilog2_u64(uint64_t v) { return 63 - __builtin_clzll(v); }

/* Unsigned division by a constant d (not 0, not a power of two). */
static void gen_udiv_const(struct gen *g, int d, bool w, bool mod, uint64_t dv)
{
	struct jit_state *st = &g->st;
	if (!w) {
		/* 32 bits: q = (x + ((x * m') >> 32)) >> l, with l = ceil(log2 d)
		 * and m = 2^32 + m' = ceil(2^(32+l) / d); the error of m times
		 * any x < 2^32 stays below 1/d, so the floor is exact. */
		unsigned l = (unsigned)ilog2_u64(dv) + 1;
		unsigned __int128 num = (unsigned __int128)1 << (32 + l);
		uint64_t m = (uint64_t)((num + dv - 1) / dv);
		uint32_t mp = (uint32_t)(m - (1ull << 32));
		emit_mov_rr(st, false, SCR1, d);              /* mov r11d, dst32 */
		emit_mov_ri32(st, SCR2, mp);                  /* mov r10d, m' */
		emit_imul_rr(st, true, SCR2, SCR1);           /* imul r10, r11 */
		emit_shift_ri(st, SH_SHR, true, SCR2, 32);    /* shr r10, 32 */
		emit_alu_rr(st, ALU_ADD, true, SCR2, SCR1);   /* add r10, r11 */
		emit_shift_ri(st, SH_SHR, true, SCR2, (uint8_t)l); /* shr r10, l */
		if (mod) {
			emit_imul_rri(st, false, SCR2, SCR2, (int32_t)(uint32_t)dv); /* imul r10d, r10d, d */
			emit_alu_rr(st, ALU_SUB, false, SCR1, SCR2); /* sub r11d, r10d */
			emit_mov_rr(st, false, d, SCR1);             /* mov dst32, r11d */
		} else {
			emit_mov_rr(st, false, d, SCR2);             /* mov dst32, r10d */
		}
		return;
	}
	/* 64 bits (Granlund-Montgomery): l = ceil(log2 d),
	 * m = floor(2^64 * (2^l - d) / d) + 1, t = mulhi(m, x),
	 * q = (t + ((x - t) >> 1)) >> (l - 1). */
	unsigned l = (unsigned)ilog2_u64(dv) + 1;
	uint64_t m = (uint64_t)((((unsigned __int128)1 << 64) * ((1ull << l) - dv)) / dv) + 1;
	emit_mov_rr(st, true, SCR1, d);                       /* mov r11, dst */
	if (d != RAX)
		emit_mov_rr(st, true, SCR2, RAX);             /* mov r10, rax */
	if (d != RDX)
		save_rdx(g);
	emit_mov_imm(st, RAX, m);                             /* mov rax, m */
	emit_mul(st, SCR1);                                   /* mul r11 */
	emit_mov_rr(st, true, RAX, SCR1);                     /* mov rax, r11 */
	emit_alu_rr(st, ALU_SUB, true, RAX, RDX);             /* sub rax, rdx */
	emit_shift_ri(st, SH_SHR, true, RAX, 1);              /* shr rax, 1 */
	emit_alu_rr(st, ALU_ADD, true, RAX, RDX);             /* add rax, rdx */
	if (l > 1)
		emit_shift_ri(st, SH_SHR, true, RAX, (uint8_t)(l - 1)); /* shr rax, l-1 */
	int res = RAX;
	if (mod) {
		if (is_simm32((int64_t)dv)) {
			emit_imul_rri(st, true, RAX, RAX, (int32_t)dv); /* imul rax, rax, d */
		} else {
			emit_mov_imm(st, RDX, dv);                /* mov rdx, d */
			emit_imul_rr(st, true, RAX, RDX);         /* imul rax, rdx */
		}
		emit_alu_rr(st, ALU_SUB, true, SCR1, RAX);        /* sub r11, rax */
		res = SCR1;
	}
	if (d != res)
		emit_mov_rr(st, true, d, res);                /* mov dst, rax|r11 */
	if (d != RAX)
		emit_mov_rr(st, true, RAX, SCR2);             /* mov rax, r10 */
	if (d != RDX)
		restore_rdx(g);
}

/* Signed division by ±2^k (k >= 1): bias negative dividends by 2^k - 1
 * so the arithmetic shift rounds toward zero. */
static void gen_sdiv_pow2(struct gen *g, int d, bool w, bool mod, unsigned k, bool neg)
{
	struct jit_state *st = &g->st;
	unsigned bits = w ? 64 : 32;
	emit_mov_rr(st, w, SCR1, d);                          /* mov r11, dst */
	emit_shift_ri(st, SH_SAR, w, SCR1, (uint8_t)(bits - 1)); /* sar r11, bits-1 */
	emit_shift_ri(st, SH_SHR, w, SCR1, (uint8_t)(bits - k)); /* shr r11, bits-k */
	emit_alu_rr(st, ALU_ADD, w, SCR1, d);                 /* add r11, dst */
	if (mod) {
		emit_alu_ri(st, ALU_AND, w, SCR1, (int32_t)(0u - (1u << k))); /* and r11, -2^k */
		emit_alu_rr(st, ALU_SUB, w, d, SCR1);         /* sub dst, r11 */
	} else {
		emit_shift_ri(st, SH_SAR, w, SCR1, (uint8_t)k); /* sar r11, k */
		if (neg)
			emit_neg(st, w, SCR1);                /* neg r11 */
		emit_mov_rr(st, w, d, SCR1);                  /* mov dst, r11 */
	}
}

static void gen_divmod(struct gen *g, const struct isa_insn *in, bool w, bool k, bool mod)
{
	struct jit_state *st = &g->st;
	int d = R(in->dst);
	bool sign = in->off == 1;
	if (!k) {
		emit_mov_rr(st, w, SCR1, R(in->src));         /* mov r11, src */
		gen_div_reg(g, d, w, sign, mod, true);
		return;
	}
	/* Constant divisor: the special cases are decided here. */
	uint64_t dv = w ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;
	int64_t sv = w ? (int64_t)in->imm : (int64_t)(int32_t)in->imm;
	if (dv == 0) {
		if (!mod)
			emit_zero(st, d);                     /* xor dst32, dst32 */
		else if (!w)
			emit_mov_rr(st, false, d, d);         /* mov dst32, dst32 */
		return;
	}
	if (sign && sv == -1) {
		if (mod)
			emit_zero(st, d);                     /* xor dst32, dst32 */
		else
			emit_neg(st, w, d);                   /* neg dst */
		return;
	}
	if (g->blind) {
		blind_imm(g, SCR1, in->imm);                  /* r11 = divisor (blinded) */
		if (!w)
			emit_mov_rr(st, false, SCR1, SCR1);   /* mov r11d, r11d */
		gen_div_reg(g, d, w, sign, mod, false);
		return;
	}
	if (!sign) {
		if ((dv & (dv - 1)) == 0) {
			unsigned sh = (unsigned)ilog2_u64(dv);
			if (mod)
				emit_alu_ri(st, ALU_AND, w, d, (int32_t)(dv - 1)); /* and dst, d-1 */
			else if (sh)
				emit_shift_ri(st, SH_SHR, w, d, (uint8_t)sh);      /* shr dst, log2 d */
			else if (!w)
				emit_mov_rr(st, false, d, d);                      /* mov dst32, dst32 */
			return;
		}
		if (dv >> 63) {
			/* huge divisor: quotient 0 or 1, not worth a reciprocal */
			emit_mov_imm(st, SCR1, dv);           /* mov r11, d */
			gen_div_reg(g, d, w, false, mod, false);
			return;
		}
		gen_udiv_const(g, d, w, mod, dv);
		return;
	}
	uint64_t mag = sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv;
	if (mag == 1) { /* x s/ 1 = x, x s% 1 = 0 */
		if (mod)
			emit_zero(st, d);                     /* xor dst32, dst32 */
		else if (!w)
			emit_mov_rr(st, false, d, d);         /* mov dst32, dst32 */
		return;
	}
	if ((mag & (mag - 1)) == 0) {
		gen_sdiv_pow2(g, d, w, mod, (unsigned)ilog2_u64(mag), sv < 0);
		return;
	}
	if (w)
		emit_mov_ri_sx(st, SCR1, in->imm);            /* mov r11, simm32 */
	else
		emit_mov_ri32(st, SCR1, (uint32_t)in->imm);   /* mov r11d, imm32 */
	gen_div_reg(g, d, w, true, mod, false);
}

static void gen_alu(struct gen *g, const struct isa_insn *in, const struct isa_info *inf)
{
	struct jit_state *st = &g->st;
	unsigned opf = inf->code >> 4;
	bool w = !(inf->flags & F_W);
	bool k = inf->shape == S_ALU_K;
	int d = R(in->dst), s = R(in->src);
	enum x86_alu aop;
	switch (opf) {
	case OPF_ADD: aop = ALU_ADD; goto simple;
	case OPF_SUB: aop = ALU_SUB; goto simple;
	case OPF_OR: aop = ALU_OR; goto simple;
	case OPF_AND: aop = ALU_AND; goto simple;
	case OPF_XOR: aop = ALU_XOR;
	simple:
		if (!k) {
			emit_alu_rr(st, aop, w, d, s);                /* op dst, src */
		} else if (g->blind) {
			blind_imm(g, SCR1, in->imm);                  /* r11 = imm (blinded) */
			emit_alu_rr(st, aop, w, d, SCR1);             /* op dst, r11 */
		} else {
			emit_alu_ri(st, aop, w, d, in->imm);          /* op dst, imm */
		}
		return;
	case OPF_MUL:
		if (!k) {
			emit_imul_rr(st, w, d, s);                    /* imul dst, src */
		} else if (g->blind) {
			blind_imm(g, SCR1, in->imm);                  /* r11 = imm (blinded) */
			emit_imul_rr(st, w, d, SCR1);                 /* imul dst, r11 */
		} else {
			emit_imul_rri(st, w, d, d, in->imm);          /* imul dst, dst, imm */
		}
		return;
	case OPF_DIV:
	case OPF_MOD:
		gen_divmod(g, in, w, k, opf == OPF_MOD);
		return;
	case OPF_LSH:
	case OPF_RSH:
	case OPF_ARSH:
		gen_shift(g, in, opf, w, k);
		return;
	case OPF_NEG:
		emit_neg(st, w, d);                                   /* neg dst */
		return;
	case OPF_MOV:
		if (inf->shape == S_MOVSX) {
			emit_movsx_rr(st, w, d, s, in->off);          /* movsx dst, src8|16 ; movsxd dst, src32 */
		} else if (!k) {
			if (d != s || !w)
				emit_mov_rr(st, w, d, s);             /* mov dst, src */
		} else if (g->blind) {
			uint32_t key = blind_rand(g);
			if (w) {
				emit_mov_ri_sx(st, d, (int32_t)((uint32_t)in->imm ^ key)); /* mov dst, imm ^ k */
				emit_alu_ri(st, ALU_XOR, true, d, (int32_t)key);           /* xor dst, k */
			} else {
				emit_mov_ri32(st, d, (uint32_t)in->imm ^ key);             /* mov dst32, imm ^ k */
				emit_alu_ri(st, ALU_XOR, false, d, (int32_t)key);          /* xor dst32, k */
			}
		} else {
			emit_mov_imm(st, d, w ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm); /* mov dst, imm */
		}
		return;
	default:
		st->err = -ENOTSUP;
		return;
	}
}

/* le16/le32/le64, be16/be32/be64, bswap16/32/64 */
static void gen_end(struct gen *g, const struct isa_insn *in, const struct isa_info *inf)
{
	struct jit_state *st = &g->st;
	int d = R(in->dst);
	/* swap: the BE form (source bit set) on this little-endian host, or the
	 * ALU64-class bswap; LE is a truncation. */
	bool swap = ISA_SRC_X(inf->code) || ISA_CLASS(inf->code) == ISA_ALU64;
	switch (in->imm) {
	case 16:
		if (swap)
			emit_rot16(st, SH_ROR, d, 8);         /* ror dst16, 8 */
		emit_movzx_rr(st, d, d, 16);                  /* movzx dst32, dst16 */
		break;
	case 32:
		if (swap)
			emit_bswap(st, false, d);             /* bswap dst32 */
		else
			emit_mov_rr(st, false, d, d);         /* mov dst32, dst32 */
		break;
	default:
		if (swap)
			emit_bswap(st, true, d);              /* bswap dst */
		break;
	}
}

/* ---- memory ------------------------------------------------------------- */

static void gen_ldx(struct gen *g, size_t pc, const struct isa_insn *in, const struct isa_info *inf)
{
	unsigned size = isa_mem_size(inf->code);
	bool sx = ISA_MODE(inf->code) == 0x80; /* BPF_MEMSX */
	int base;
	int32_t disp;
	mem_operand(g, pc, in->src, in->off, size, false, false, &base, &disp);
	emit_load(&g->st, R(in->dst), base, disp, size, sx);  /* mov|movzx|movsx dst, [base + disp] */
}

static void gen_st(struct gen *g, size_t pc, const struct isa_insn *in, const struct isa_info *inf)
{
	struct jit_state *st = &g->st;
	unsigned size = isa_mem_size(inf->code);
	int base;
	int32_t disp;
	mem_operand(g, pc, in->dst, in->off, size, true, false, &base, &disp);
	if (inf->shape == S_STX) {
		emit_store_r(st, base, disp, R(in->src), size);   /* mov [base + disp], src */
	} else if (g->blind) {
		blind_imm(g, SCR2, in->imm);                      /* r10 = imm (blinded) */
		emit_store_r(st, base, disp, SCR2, size);         /* mov [base + disp], r10 */
	} else {
		emit_store_i(st, base, disp, in->imm, size);      /* mov [base + disp], imm */
	}
}

static void gen_atomic(struct gen *g, size_t pc, const struct isa_insn *in, const struct isa_info *inf)
{
	struct jit_state *st = &g->st;
	unsigned size = isa_mem_size(inf->code);
	bool w = size == 8;
	int s = R(in->src);
	int base;
	int32_t disp;
	mem_operand(g, pc, in->dst, in->off, size, true, true, &base, &disp); /* address in r11 */
	bool known_aligned = in->dst == BPFBOX_MAX_REG && in->off % (int)size == 0;
	if (!known_aligned) {
		uint32_t l = error_stub(g, jit_rt_misaligned, pc, 1, size, SCR1);
		emit_test_r8i(st, SCR1, (uint8_t)(size - 1));     /* test r11b, size-1 */
		emit_jcc(st, CC_NE, l);                           /* jne misaligned */
	}
	unsigned aop = (unsigned)inf->mval & ~1u; /* the operation; bit 0 is BPF_FETCH */
	bool fetch = inf->flags & F_FETCH;
	if (aop == 0xe0) {                                        /* xchg */
		emit_xchg_mr(st, w, SCR1, 0, s);                  /* xchg [r11], src */
		return;
	}
	if (aop == 0xf0) {                                        /* cmpxchg */
		emit_lock_cmpxchg(st, w, SCR1, 0, s);             /* lock cmpxchg [r11], src */
		if (!w)
			emit_mov_rr(st, false, RAX, RAX);         /* mov eax, eax (success leaves rax's top) */
		return;
	}
	enum x86_alu x = aop == 0x00 ? ALU_ADD : aop == 0x40 ? ALU_OR : aop == 0x50 ? ALU_AND : ALU_XOR;
	if (!fetch) {
		emit_lock_alu_mr(st, x, w, SCR1, 0, s);           /* lock add|or|and|xor [r11], src */
		return;
	}
	if (x == ALU_ADD) {
		emit_lock_xadd(st, w, SCR1, 0, s);                /* lock xadd [r11], src */
		return;
	}
	/* fetch or/and/xor: a cmpxchg loop (rax is cmpxchg's comparand) */
	uint32_t l_retry = label_new(st);
	st_jctx(g, JOFF(operand), s);                             /* mov [r12 + operand], src */
	if (s != RAX)
		st_jctx(g, JOFF(tmp), RAX);                       /* mov [r12 + tmp], rax */
	emit_load(st, RAX, SCR1, 0, size, false);                 /* mov rax, [r11] */
	label_bind(st, l_retry);
	emit_mov_rr(st, w, SCR2, RAX);                            /* mov r10, rax */
	emit_alu_rm_w(st, x, w, SCR2, JCTX, JOFF(operand));       /* or|and|xor r10, [r12 + operand] */
	emit_lock_cmpxchg(st, w, SCR1, 0, SCR2);                  /* lock cmpxchg [r11], r10 */
	emit_jcc(st, CC_NE, l_retry);                             /* jne retry */
	if (s != RAX) {
		emit_mov_rr(st, w, s, RAX);                       /* mov src, rax (the old value) */
		ld_jctx(g, RAX, JOFF(tmp));                       /* mov rax, [r12 + tmp] */
	}
}

/* LD_ABS / LD_IND: r0 = big-endian packet bytes at a 32-bit offset; out
 * of bounds ends the program with r0 = 0 (the kernel's rule). */
static void gen_ldpkt(struct gen *g, const struct isa_insn *in, const struct isa_info *inf)
{
	struct jit_state *st = &g->st;
	unsigned size = isa_mem_size(inf->code);
	/* r0 is the result either way, so rax is scratch until the load */
	if (inf->shape == S_LD_IND) {
		emit_mov_rr(st, false, SCR2, R(in->src));         /* mov r10d, src32 */
		emit_alu_ri(st, ALU_ADD, false, SCR2, in->imm);   /* add r10d, imm */
	} else {
		emit_mov_ri32(st, SCR2, (uint32_t)in->imm);       /* mov r10d, imm */
	}
	ld_jctx(g, RAX, JOFF(ex));                                /* mov rax, [r12 + ex] */
	emit_lea(st, SCR1, SCR2, (int32_t)size);                  /* lea r11, [r10 + size] */
	emit_alu_rm(st, ALU_CMP, SCR1, RAX, XOFF(pkt_len));       /* cmp r11, [rax + pkt_len] */
	emit_jcc(st, CC_A, g->l_ldpkt_fail);                      /* ja ldpkt_fail */
	emit_load(st, RAX, RAX, XOFF(pkt), 8, false);             /* mov rax, [rax + pkt] */
	emit_load_idx(st, RAX, RAX, SCR2, size);                  /* mov|movzx eax, [rax + r10] */
	if (size == 2)
		emit_rot16(st, SH_ROL, RAX, 8);                   /* rol ax, 8 */
	else if (size == 4)
		emit_bswap(st, false, RAX);                       /* bswap eax */
}

/* ---- jumps ---------------------------------------------------------------- */

/* x86 condition of a conditional jump, from the opcode's operation field
 * (RFC 9669 table 8): jeq jgt jge jset jne jsgt jsge, then jlt jle jslt jsle. */
static const int8_t jcc_of_op[16] = {
	[0x1] = CC_E, [0x2] = CC_A, [0x3] = CC_AE, [0x4] = CC_NE, [0x5] = CC_NE,
	[0x6] = CC_G, [0x7] = CC_GE, [0xa] = CC_B, [0xb] = CC_BE, [0xc] = CC_L, [0xd] = CC_LE,
};

/* Compare as `in` says, then jump to `target` when its condition holds
 * (invert: when it does not; x86 pairs every condition with its negation
 * in the low bit). */
static void gen_jcond_to(struct gen *g, const struct isa_insn *in, const struct isa_info *inf,
			 uint32_t target, bool invert)
{
	struct jit_state *st = &g->st;
	unsigned opf = inf->code >> 4;
	bool w = !(inf->flags & F_W);
	bool jset = opf == 0x4;
	int d = R(in->dst);
	if (inf->shape == S_JCOND_X) {
		if (jset)
			emit_test_rr(st, w, d, R(in->src));            /* test dst, src */
		else
			emit_alu_rr(st, ALU_CMP, w, d, R(in->src));    /* cmp dst, src */
	} else if (g->blind && in->imm != 0) {
		blind_imm(g, SCR1, in->imm);                           /* r11 = imm (blinded) */
		if (jset)
			emit_test_rr(st, w, d, SCR1);                  /* test dst, r11 */
		else
			emit_alu_rr(st, ALU_CMP, w, d, SCR1);          /* cmp dst, r11 */
	} else if (jset) {
		emit_test_ri(st, w, d, in->imm);                       /* test dst, imm */
	} else if (in->imm == 0) {
		emit_test_rr(st, w, d, d);                             /* test dst, dst (= cmp dst, 0) */
	} else {
		emit_alu_ri(st, ALU_CMP, w, d, in->imm);               /* cmp dst, imm */
	}
	emit_jcc(st, (enum x86_cc)(jcc_of_op[opf] ^ invert), target);  /* jcc target */
}

static void gen_jcond(struct gen *g, const struct isa_insn *in, const struct isa_info *inf)
{
	gen_jcond_to(g, in, inf, in->target, false);
}

/* ---- calls ---------------------------------------------------------------- */

/* After a helper returns: stop if it aborted the run or asked for a tail
 * call (ex->stop). */
static void gen_stop_check(struct gen *g)
{
	struct jit_state *st = &g->st;
	uint32_t l_stub = label_new(st), l_cont = label_new(st);
	ld_jctx(g, SCR1, JOFF(ex));                               /* mov r11, [r12 + ex] */
	emit_cmp_m8i(st, SCR1, XOFF(stop), 0);                    /* cmp byte [r11 + stop], 0 */
	emit_jcc(st, CC_NE, l_stub);                              /* jne stop */
	label_bind(st, l_cont);
	if (g->checked) {
		ld_jctx(g, BUDGET, JOFF(ex));                     /* mov r9, [r12 + ex] */
		emit_load(st, BUDGET, BUDGET, XOFF(budget), 8, false); /* mov r9, [r9 + budget] */
	}
	struct unit_save s = cold_begin(g, l_stub);
	emit_call_label(st, g->l_stop);                           /* call stop_common */
	emit_jmp(st, l_cont);                                     /* jmp cont */
	cold_end(g, s);
}

static const int arg_regs[5] = { RDI, RSI, RDX, RCX, R8 };

/* What the run must know at a helper call, with r9 = ex (and in checked
 * code r11 = the budget): the call's slot, the caller's frame (a nested
 * call goes below it) and the budget left (a nested call draws on it). */
static void helper_site(struct gen *g, size_t pc)
{
	struct jit_state *st = &g->st;
	emit_store_i(st, R9, XOFF(pc), (int32_t)pc, 8);           /* mov qword [r9 + pc], pc */
	emit_store_r(st, R9, XOFF(call_r10), RBP, 8);             /* mov [r9 + call_r10], rbp */
	if (g->checked)
		emit_store_r(st, R9, XOFF(budget), SCR1, 8);      /* mov [r9 + budget], r11 */
}

/* Checked mode keeps r1..r5 across the call (the interpreter does); six
 * pushes keep rsp 16-byte aligned. */
static void save_args(struct gen *g)
{
	for (int i = 0; i < 5; i++)
		emit_push(&g->st, arg_regs[i]);                   /* push r1..r5 */
	emit_alu_ri(&g->st, ALU_SUB, true, RSP, 8);               /* sub rsp, 8 */
}
static void restore_args(struct gen *g)
{
	emit_alu_ri(&g->st, ALU_ADD, true, RSP, 8);               /* add rsp, 8 */
	for (int i = 4; i >= 0; i--)
		emit_pop(&g->st, arg_regs[i]);                    /* pop r5..r1 */
}

/* r1 at the call in slot pc, when it is a map that an lddw of a map
 * reference loaded in the same block (nothing enters between it and the
 * call, nothing in between writes r1). */
static bool const_map_r1(const struct gen *g, size_t pc, uint64_t *map)
{
	for (size_t k = pc; k-- > 0;) {
		if (g->tgt[k + 1])
			return false;
		const struct isa_insn *in = &g->code[k];
		if (in->op == ISA_OP_INVALID)
			continue;
		uint16_t use, def;
		isa_use_def(in, &use, &def);
		if (!(def & 1u << 1))
			continue;
		if (!isa_is_lddw_map(in->op))
			return false;
		*map = in->imm64;
		return true;
	}
	return false;
}

static void gen_call_helper(struct gen *g, size_t pc, const struct isa_insn *in)
{
	struct jit_state *st = &g->st;
	uint32_t id = (uint32_t)in->imm;
	bpfbox_helper_fn fn = id < BPFBOX_MAX_HELPERS ? g->prog->vm->helpers[id].fn : NULL;
	if (!fn) {
		emit_jmp(st, error_stub(g, jit_rt_unknown_helper, pc, 1, id, -1)); /* jmp unknown_helper */
		return;
	}
	/* a helper bound to its map (a map lookup made the map's own lookup)
	 * needs nothing but r1 and r2 */
	bpfbox_helper_bind_fn bind = g->prog->vm->helpers[id].bind;
	uint64_t map;
	bpfbox_helper_fn bound = !g->checked && bind && const_map_r1(g, pc, &map) ? bind(map) : NULL;
	if (bound) {
		emit_call_abs(st, (const void *)bound);           /* call map-bound leaf */
		return;
	}
	bpfbox_helper_fn leaf = g->prog->vm->helpers[id].leaf;
	if (!g->checked && leaf) {
		/* a leaf helper neither stops the run nor calls back: no call
		 * site to record, nothing to check after it */
		ld_jctx(g, R9, JOFF(ex));                         /* mov r9, [r12 + ex] */
		emit_call_abs(st, (const void *)leaf);            /* call leaf helper */
		return;
	}
	if (g->checked) {
		emit_mov_rr(st, true, SCR1, BUDGET);              /* mov r11, r9 (the budget) */
		save_args(g);
	}
	st_jctx(g, JOFF(r1_save), RDI);                           /* mov [r12 + r1_save], rdi */
	ld_jctx(g, R9, JOFF(ex));                                 /* mov r9, [r12 + ex] */
	helper_site(g, pc);
	emit_call_abs(st, (const void *)fn);                      /* call helper */
	if (g->checked)
		restore_args(g);
	gen_stop_check(g);
}

static void gen_callx(struct gen *g, size_t pc, const struct isa_insn *in)
{
	struct jit_state *st = &g->st;
	if (g->checked) {
		emit_mov_rr(st, true, SCR1, BUDGET);              /* mov r11, r9 (the budget) */
		save_args(g);
	}
	st_jctx(g, JOFF(r1_save), RDI);                           /* mov [r12 + r1_save], rdi */
	ld_jctx(g, R9, JOFF(ex));                                 /* mov r9, [r12 + ex] */
	helper_site(g, pc);
	emit_mov_rr(st, false, SCR1, R(in->dst));                 /* mov r11d, dst32 (the helper id) */
	emit_push(st, SCR1);                                      /* push r11 (alignment) */
	emit_push(st, SCR1);                                      /* push r11 (7th argument) */
	emit_call_abs(st, (const void *)jit_rt_callx);            /* call jit_rt_callx */
	emit_alu_ri(st, ALU_ADD, true, RSP, 16);                  /* add rsp, 16 */
	if (g->checked)
		restore_args(g);
	gen_stop_check(g);
}

/* bpf-to-bpf call: the caller's r6..r9 and r10 go on the native stack
 * (five pushes plus the return address keep rsp aligned), r10 moves down
 * one frame, and the callee's `exit` returns here with `ret`.  The depth is
 * r10's: a frame whose r10 is below r10_min is the 8th (nested calls may
 * have started this code below frame 0, so it is not a count of our own
 * calls). */
/* Registers saved in order and restored in reverse: the entry saves the
 * x86 callee-saved ones it uses (all of them: tail calls share the frame),
 * a bpf-to-bpf call the caller's r10 and r6..r9. */
static const int entry_saved[] = { RBP, RBX, R12, R13, R14, R15 };
static const int call_saved[] = { RBP, RBX, R13, R14, R15 };

static void push_regs(struct jit_state *st, const int *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		emit_push(st, r[i]);                              /* push r */
}
static void pop_regs(struct jit_state *st, const int *r, size_t n)
{
	while (n--)
		emit_pop(st, r[n]);                               /* pop r */
}

static void gen_call_local(struct gen *g, size_t pc, const struct isa_insn *in)
{
	struct jit_state *st = &g->st;
	uint32_t l_depth = error_stub(g, jit_rt_depth, pc, 0, 0, -1);
	emit_alu_rm(st, ALU_CMP, RBP, JCTX, JOFF(r10_min));       /* cmp rbp, [r12 + r10_min] */
	emit_jcc(st, CC_B, l_depth);                              /* jb too_deep */
	push_regs(st, call_saved, ARRAY_SIZE(call_saved));       /* push rbp, rbx, r13..r15 */
	emit_alu_ri(st, ALU_SUB, true, RBP, BPFBOX_STACK_SIZE);   /* sub rbp, 512 */
	if (g->checked) {
		/* make the new frame the live stack's bottom */
		emit_lea(st, SCR2, RBP, -BPFBOX_STACK_SIZE);      /* lea r10, [rbp - 512] */
		ld_jctx(g, SCR1, JOFF(ex));                       /* mov r11, [r12 + ex] */
		emit_store_r(st, SCR1, XOFF(stack_lo), SCR2, 8);  /* mov [r11 + stack_lo], r10 */
	}
	if (g->checked || g->zero_stack)
		emit_call_label(st, g->l_zero);                   /* call zero_frame */
	emit_call_label(st, in->target);                          /* call target */
	pop_regs(st, call_saved, ARRAY_SIZE(call_saved));        /* pop r15..r13, rbx, rbp */
	if (g->checked) {
		emit_lea(st, SCR2, RBP, -BPFBOX_STACK_SIZE);      /* lea r10, [rbp - 512] */
		ld_jctx(g, SCR1, JOFF(ex));                       /* mov r11, [r12 + ex] */
		emit_store_r(st, SCR1, XOFF(stack_lo), SCR2, 8);  /* mov [r11 + stack_lo], r10 */
	}
}

/* Unwind any bpf-to-bpf frames and return rax to the engine's caller. */
static void emit_epilogue(struct gen *g)
{
	struct jit_state *st = &g->st;
	emit_lea(st, RSP, JCTX, (int32_t)sizeof(struct jit_ctx)); /* lea rsp, [r12 + sizeof(jit_ctx)] */
	pop_regs(st, entry_saved, ARRAY_SIZE(entry_saved));      /* pop r15..r12, rbx, rbp */
	emit_ret(st);                                             /* ret */
}

static void gen_exit(struct gen *g)
{
	struct jit_state *st = &g->st;
	uint32_t l_out = g->checked ? g->l_ret : g->l_epilogue;
	if (!g->has_calls) {
		/* verified code leaves from where it ends (15 bytes, a jump less) */
		if (g->checked)
			emit_jmp(st, l_out);                      /* jmp ret */
		else
			emit_epilogue(g);
		return;
	}
	emit_alu_rm(st, ALU_CMP, RBP, JCTX, JOFF(r10_entry));     /* cmp rbp, [r12 + r10_entry] */
	emit_jcc(st, CC_E, l_out);                                /* je ret|epilogue */
	emit_ret(st);                                             /* ret (to the bpf-to-bpf caller) */
}

/* ---- budget --------------------------------------------------------------- */

/* Charge a basic block at its first instruction. */
static void gen_charge(struct gen *g, size_t pc, uint32_t len)
{
	struct jit_state *st = &g->st;
	uint32_t l_stub = label_new(st);
	emit_alu_ri(st, ALU_SUB, true, BUDGET, (int32_t)len);        /* sub r9, len */
	emit_jcc(st, CC_B, l_stub);                                  /* jb short_of_budget */
	struct unit_save s = cold_begin(g, l_stub);
	emit_alu_ri(st, ALU_ADD, true, BUDGET, (int32_t)len);        /* add r9, len */
	emit_mov_ri32(st, SCR2, (uint32_t)pc);                       /* mov r10d, pc */
	emit_jmp(st, g->l_budget);                                   /* jmp budget_common */
	cold_end(g, s);
}

/* Leaders: slot 0, jump and call targets, and whatever follows a jump, a
 * call, an exit or a packet load (which may end the program).  A block
 * runs from a leader to the next; only its last instruction can branch. */
static int compute_blocks(struct gen *g)
{
	size_t n = g->n;
	const struct util_alloc *a = g->st.alloc;
	uint8_t *lead = g->lead = util_calloc(a, n + 1, 1);
	g->blen = util_calloc(a, n + 1, sizeof(*g->blen));
	g->grp = util_calloc(a, n, sizeof(*g->grp));
	if (!lead || !g->blen || !g->grp)
		return -ENOMEM;
	lead[0] = 1;
	lead[g->prog->entry] = 1;
	for (size_t i = 0; i < n; i++) {
		const struct isa_insn *in = &g->code[i];
		if (in->op == ISA_OP_INVALID)
			continue;
		unsigned s = isa_info[in->op].shape;
		size_t next = i + (s == S_LDDW ? 2 : 1);
		if (isa_is_jump(in->op) || s == S_CALL_LOCAL)
			lead[in->target] = 1;
		if (isa_is_jump(in->op) || s == S_CALL || s == S_CALL_LOCAL || s == S_CALL_KFUNC ||
		    s == S_CALLX || s == S_EXIT || s == S_LD_ABS || s == S_LD_IND)
			lead[next] = 1;
	}
	size_t start = 0;
	uint32_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (g->code[i].op == ISA_OP_INVALID)
			continue;
		if (lead[i]) {
			if (len)
				g->blen[start] = len;
			start = i;
			len = 0;
		}
		len++;
	}
	if (len)
		g->blen[start] = len;

	/* groups: per block, accesses through the same base register while
	 * it keeps its value, as long as their union spans <= 8 bytes */
	int64_t head[BPFBOX_MAX_REG + 1];
	for (size_t i = 0; i < n; i++) {
		if (lead[i])
			for (unsigned r = 0; r <= BPFBOX_MAX_REG; r++)
				head[r] = -1;
		const struct isa_insn *in = &g->code[i];
		if (in->op == ISA_OP_INVALID)
			continue;
		unsigned s = isa_info[in->op].shape;
		if (s == S_LDX || s == S_ST || s == S_STX) {
			int32_t size = (int32_t)isa_mem_size(isa_info[in->op].code);
			unsigned base = s == S_LDX ? in->src : in->dst;
			bool w = s != S_LDX;
			bool in_frame = base == BPFBOX_MAX_REG && in->off >= -BPFBOX_STACK_SIZE &&
					in->off <= -size;
			if (!in_frame) {
				struct grp *h = head[base] >= 0 ? &g->grp[head[base]] : NULL;
				int32_t lo = h && in->off < h->lo ? in->off : h ? h->lo : 0;
				int32_t hi = h && in->off + size > h->lo + h->len ? in->off + size
									  : h ? h->lo + h->len : 0;
				if (h && hi - lo <= 8) {
					h->lo = lo;
					h->len = (uint8_t)(hi - lo);
					h->write |= w;
					h->role = GRP_HEAD;
					g->grp[i].role = GRP_MEMBER;
				} else {
					head[base] = (int64_t)i;
					g->grp[i].lo = in->off;
					g->grp[i].len = (uint8_t)size;
					g->grp[i].write = w;
				}
			}
		}
		if (isa_writes_dst(in->op))
			head[in->dst] = -1;
		if (isa_writes_src(in->op))
			head[in->src] = -1;
	}
	return 0;
}

/* ---- shared routines ------------------------------------------------------- */

static void spill(struct gen *g, int upto)
{
	for (int r = 0; r <= upto; r++)
		st_jctx(g, JOFF(regs[r]), R((unsigned)r));      /* mov [r12 + regs[r]], rN */
}
static void unspill(struct gen *g, int upto)
{
	for (int r = 0; r <= upto; r++)
		ld_jctx(g, R((unsigned)r), JOFF(regs[r]));      /* mov rN, [r12 + regs[r]] */
}

/* Entry: r1..r5 in rdi, rsi, rdx, rcx, r8 (where the register map keeps
 * them) and ex in r9, the SysV order of vm_jit_entry; the code starts in
 * the frame ex->entry_r10 (the VM prepared it). */
static void gen_prologue(struct gen *g)
{
	struct jit_state *st = &g->st;
	unit_begin(st, g->l_entry);
	push_regs(st, entry_saved, ARRAY_SIZE(entry_saved));     /* push rbp, rbx, r12..r15 */
	emit_alu_ri(st, ALU_SUB, true, RSP, (int32_t)sizeof(struct jit_ctx)); /* sub rsp, sizeof(jit_ctx) */
	emit_mov_rr(st, true, JCTX, RSP);                         /* mov r12, rsp */
	st_jctx(g, JOFF(ex), R9);                                 /* mov [r12 + ex], r9 */
	/* r10_entry and r10_min are stored whether this code needs them or
	 * not: code it tail-calls may (it keeps this jit_ctx) */
	emit_load(st, RBP, R9, XOFF(entry_r10), 8, false);        /* mov rbp, [r9 + entry_r10] */
	st_jctx(g, JOFF(r10_entry), RBP);                         /* mov [r12 + r10_entry], rbp */
	emit_lea(st, SCR1, R9, XOFF(stack) + 2 * BPFBOX_STACK_SIZE); /* lea r11, [r9 + r10 of frame 6] */
	st_jctx(g, JOFF(r10_min), SCR1);                          /* mov [r12 + r10_min], r11 */
	/* A tail call from other JIT code enters at `tail` (cold stream) with
	 * rsp = r12, the jit_ctx kept, r1 in rdi and r2 = 0 in rsi; it clears
	 * r3..r5, sets rbp and joins here. */
	label_bind(st, g->l_common);
	if (g->checked) {
		/* jit_rt_enter clobbers the argument registers: keep r1..r5 in
		 * callee-saved ones meanwhile (all of them are reset below) */
		emit_mov_rr(st, true, RBX, RDI);                  /* mov rbx, rdi */
		emit_mov_rr(st, true, R13, RSI);                  /* mov r13, rsi */
		emit_mov_rr(st, true, R14, RDX);                  /* mov r14, rdx */
		emit_mov_rr(st, true, R15, RCX);                  /* mov r15, rcx */
		emit_mov_rr(st, true, RBP, R8);                   /* mov rbp, r8 */
		emit_mov_rr(st, true, RDI, JCTX);                 /* mov rdi, r12 */
		emit_call_abs(st, (const void *)jit_rt_enter);    /* call jit_rt_enter */
		emit_mov_rr(st, true, RDI, RBX);                  /* mov rdi, rbx */
		emit_mov_rr(st, true, RSI, R13);                  /* mov rsi, r13 */
		emit_mov_rr(st, true, RDX, R14);                  /* mov rdx, r14 */
		emit_mov_rr(st, true, RCX, R15);                  /* mov rcx, r15 */
		emit_mov_rr(st, true, R8, RBP);                   /* mov r8, rbp */
		ld_jctx(g, BUDGET, JOFF(ex));                     /* mov r9, [r12 + ex] */
		emit_load(st, BUDGET, BUDGET, XOFF(budget), 8, false); /* mov r9, [r9 + budget] */
		ld_jctx(g, RBP, JOFF(r10_entry));                 /* mov rbp, [r12 + r10_entry] */
		/* the interpreter starts with every other register zero (an
		 * unverified program may read them; a verified one does not) */
		static const int zero[] = { RAX, RBX, R13, R14, R15 };
		for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
			emit_zero(st, zero[i]);                   /* xor r32, r32 */
	}
	if (g->prog->entry)
		emit_jmp(st, g->prog->entry);                     /* jmp entry (a callback's function) */
}

static void gen_shared(struct gen *g)
{
	struct jit_state *st = &g->st;
	st->cur = &st->cold;

	/* tail: entry of a tail call from other JIT code (see the prologue) */
	unit_begin(st, g->l_tail);
	emit_zero(st, RDX);                                       /* xor edx, edx */
	emit_zero(st, RCX);                                       /* xor ecx, ecx */
	emit_zero(st, R8);                                        /* xor r8d, r8d */
	ld_jctx(g, RBP, JOFF(r10_entry));                         /* mov rbp, [r12 + r10_entry] */
	emit_jmp(st, g->l_common);                                /* jmp common */

	if (g->checked) {
		/* ret: the program ended normally; hand the budget back to the
		 * run (a nested call's caller continues with what is left) */
		unit_begin(st, g->l_ret);
		ld_jctx(g, SCR1, JOFF(ex));                       /* mov r11, [r12 + ex] */
		emit_store_r(st, SCR1, XOFF(budget), BUDGET, 8);  /* mov [r11 + budget], r9 */
		emit_jmp(st, g->l_epilogue);                      /* jmp epilogue */
	}

	if (g->checked || g->zero_stack) {
		/* zero_frame (called): zero the 512 bytes below rbp, 16 at a
		 * time, unrolled (a third of a byte loop's time) */
		unit_begin(st, g->l_zero);
		emit_pxor_xmm0(st);                               /* pxor xmm0, xmm0 */
		for (int32_t off = -BPFBOX_STACK_SIZE; off < 0; off += 16)
			emit_movups_store_xmm0(st, RBP, off);     /* movups [rbp + off], xmm0 */
		emit_ret(st);                                     /* ret */
	}

	/* error: the run failed (ex->err is set); return 0 */
	unit_begin(st, g->l_error);
	emit_zero(st, RAX);                                       /* xor eax, eax */
	/* fall through */
	/* epilogue: unwind any bpf-to-bpf frames and return rax */
	unit_begin(st, g->l_epilogue);
	emit_epilogue(g);

	/* a packet load out of bounds ends the program with r0 = 0 */
	unit_begin(st, g->l_ldpkt_fail);
	emit_zero(st, RAX);                                       /* xor eax, eax */
	emit_jmp(st, g->checked ? g->l_ret : g->l_epilogue);      /* jmp ret|epilogue */

	/* stop_common (called): a helper set ex->stop */
	unit_begin(st, g->l_stop);
	{
		uint32_t l_cont = label_new(st), l_vm = label_new(st);
		spill(g, 5);                                      /* save r0..r5 */
		emit_alu_ri(st, ALU_SUB, true, RSP, 8);           /* sub rsp, 8 */
		emit_mov_rr(st, true, RDI, JCTX);                 /* mov rdi, r12 */
		emit_call_abs(st, (const void *)jit_rt_stop);     /* call jit_rt_stop */
		emit_alu_ri(st, ALU_ADD, true, RSP, 8);           /* add rsp, 8 */
		emit_test_rr(st, true, RAX, RAX);                 /* test rax, rax */
		emit_jcc(st, CC_E, l_cont);                       /* je continue */
		emit_alu_ri(st, ALU_CMP, true, RAX, JIT_STOP_ERROR); /* cmp rax, 1 */
		emit_jcc(st, CC_E, g->l_error);                   /* je error */
		emit_alu_ri(st, ALU_CMP, true, RAX, JIT_STOP_TO_VM); /* cmp rax, 2 */
		emit_jcc(st, CC_E, l_vm);                         /* je to_vm */
		/* tail call into the target's JIT code */
		emit_mov_rr(st, true, SCR1, RAX);                 /* mov r11, rax */
		emit_mov_rr(st, true, RSP, JCTX);                 /* mov rsp, r12 */
		ld_jctx(g, RDI, JOFF(r1_save));                   /* mov rdi, [r12 + r1_save] */
		emit_zero(st, RSI);                               /* xor esi, esi */
		emit_jmp_r(st, SCR1);                             /* jmp r11 */
		/* tail call the VM runs (target without suitable JIT code);
		 * the budget is in ex already (stored at the helper call) */
		label_bind(st, l_vm);
		ld_jctx(g, RAX, JOFF(r1_save));                   /* mov rax, [r12 + r1_save] */
		emit_jmp(st, g->l_epilogue);                      /* jmp epilogue */
		label_bind(st, l_cont);
		unspill(g, 5);                                    /* restore r0..r5 */
		emit_ret(st);                                     /* ret */
	}

	if (g->checked) {
		/* slow_common (called): r11 = address, r10 = packed access */
		unit_begin(st, g->l_slow);
		spill(g, 5);                                      /* save r0..r5 */
		st_jctx(g, JOFF(regs[11]), SCR1);                 /* mov [r12 + regs[11]], r11 */
		st_jctx(g, JOFF(budget), BUDGET);                 /* mov [r12 + budget], r9 */
		emit_alu_ri(st, ALU_SUB, true, RSP, 8);           /* sub rsp, 8 */
		arg_ex(g);                                        /* mov rdi, [r12 + ex] */
		emit_mov_rr(st, true, RSI, SCR1);                 /* mov rsi, r11 */
		emit_mov_rr(st, true, RDX, SCR2);                 /* mov rdx, r10 */
		emit_call_abs(st, (const void *)jit_rt_check);    /* call jit_rt_check */
		emit_alu_ri(st, ALU_ADD, true, RSP, 8);           /* add rsp, 8 */
		emit_test_rr(st, false, RAX, RAX);                /* test eax, eax */
		emit_jcc(st, CC_E, g->l_epilogue);                /* je epilogue (fault; rax = 0) */
		ld_jctx(g, SCR1, JOFF(regs[11]));                 /* mov r11, [r12 + regs[11]] */
		ld_jctx(g, BUDGET, JOFF(budget));                 /* mov r9, [r12 + budget] */
		unspill(g, 5);                                    /* restore r0..r5 */
		emit_ret(st);                                     /* ret */

		/* budget_common (jumped to): r10 = first slot of the block */
		unit_begin(st, g->l_budget);
		st_jctx(g, JOFF(budget), BUDGET);                 /* mov [r12 + budget], r9 */
		spill(g, BPFBOX_MAX_REG);                         /* save r0..r10 */
		emit_mov_rr(st, true, RDI, JCTX);                 /* mov rdi, r12 */
		emit_mov_rr(st, true, RSI, SCR2);                 /* mov rsi, r10 */
		emit_call_abs(st, (const void *)jit_rt_budget);   /* call jit_rt_budget */
		emit_jmp(st, g->l_epilogue);                      /* jmp epilogue */
	}
	st->cur = &st->hot;
}

/* ---- one instruction -------------------------------------------------------- */

static void gen_insn(struct gen *g, size_t pc)
{
	struct jit_state *st = &g->st;
	const struct isa_insn *in = &g->code[pc];
	const struct isa_info *inf = &isa_info[in->op];
	if (g->checked && g->blen[pc] && !g->in_copy)
		gen_charge(g, pc, g->blen[pc]);
	switch (inf->shape) {
	case S_ALU_K:
	case S_ALU_X:
	case S_NEG:
	case S_MOVSX:
		gen_alu(g, in, inf);
		break;
	case S_END:
		gen_end(g, in, inf);
		break;
	case S_LDDW:
		if (g->blind) {
			uint64_t key = ((uint64_t)blind_rand(g) << 32) | blind_rand(g);
			emit_mov_ri64(st, R(in->dst), in->imm64 ^ key); /* movabs dst, imm64 ^ k */
			emit_mov_ri64(st, SCR1, key);                   /* movabs r11, k */
			emit_alu_rr(st, ALU_XOR, true, R(in->dst), SCR1); /* xor dst, r11 */
		} else {
			emit_mov_imm(st, R(in->dst), in->imm64);        /* mov dst, imm64 */
		}
		break;
	case S_LD_ABS:
	case S_LD_IND:
		gen_ldpkt(g, in, inf);
		break;
	case S_LDX:
		gen_ldx(g, pc, in, inf);
		break;
	case S_ST:
	case S_STX:
		gen_st(g, pc, in, inf);
		break;
	case S_ATOMIC:
		gen_atomic(g, pc, in, inf);
		break;
	case S_JA:
	case S_JA32:
		emit_jmp(st, in->target);                               /* jmp target */
		break;
	case S_JCOND_K:
	case S_JCOND_X:
		gen_jcond(g, in, inf);
		break;
	case S_CALL:
		gen_call_helper(g, pc, in);
		break;
	case S_CALL_LOCAL:
		gen_call_local(g, pc, in);
		break;
	case S_CALL_KFUNC:
		emit_jmp(st, error_stub(g, jit_rt_kfunc, pc, 1, (uint32_t)in->imm, -1)); /* jmp kfunc_error */
		break;
	case S_CALLX:
		gen_callx(g, pc, in);
		break;
	case S_EXIT:
		gen_exit(g);
		break;
	default:
		st->err = -ENOTSUP;
		break;
	}
}

/* ---- fused pairs ---------------------------------------------------------------
 *
 * Two-instruction idioms compilers emit, each made one x86 instruction
 * (the kernel's JIT translates them one by one):
 *  - `rD = rS; rD += imm|rT` (also `-= imm`, and the 32-bit forms):
 *    pointer arithmetic, `lea dD, [dS + imm|dT]`;
 *  - `if cond goto +1; goto T`, how clang closes many loops: one jump on
 *    the negated condition, `j!cc T` (a taken jump less per iteration).
 * Only in verified code without blinding: checked code charges and checks
 * per instruction, blinding must not see immediates in the clear.  The
 * second instruction must not be a jump or call target, since it no
 * longer has code of its own (its label is bound after the pair). */
/* A byte load `rD = *(u8 *)(rB + off)` (zero-extending). */
static bool is_ldx_u8(const struct isa_insn *in)
{
	const struct isa_info *inf = &isa_info[in->op];
	return inf->shape == S_LDX && isa_mem_size(inf->code) == 1 && ISA_MODE(inf->code) != 0x80;
}
static bool is_alu(const struct isa_insn *in, unsigned shape, unsigned opf)
{
	const struct isa_info *inf = &isa_info[in->op];
	return inf->shape == shape && (unsigned)(inf->code >> 4) == opf;
}

/* A big-endian 16-bit field read byte by byte, the way clang writes
 * `p[0] << 8 | p[1]` for eBPF (it may not assume unaligned loads):
 *    rY = *(u8 *)(rB + o)     rX = *(u8 *)(rB + o + 1)    rY <<= 8
 *    rY |= rX                 (the first three in any order that loads
 *                              rY before shifting it; 32- or 64-bit ALU)
 * becomes `movzx eY, word [rB + o]; rol Y16, 8` when rX is dead after
 * the four (its byte is not kept).  Both loads are from one 2-byte range
 * the verifier proved readable.  Returns the slots used, 4, or 0. */
static size_t gen_fused_be16(struct gen *g, size_t pc)
{
	if (pc + 3 >= g->n)
		return 0;
	for (size_t k = 1; k <= 3; k++)
		if (g->tgt[pc + k] || g->code[pc + k].op == ISA_OP_INVALID)
			return 0;
	const struct isa_insn *c = &g->code[pc], *last = &c[3];
	if (!is_alu(last, S_ALU_X, OPF_OR) || last->dst == last->src)
		return 0;
	unsigned y = last->dst, x = last->src;
	int ly = -1, lx = -1, sh = -1;
	for (int k = 0; k < 3; k++) {
		if (is_ldx_u8(&c[k]) && c[k].dst == y && ly < 0)
			ly = k;
		else if (is_ldx_u8(&c[k]) && c[k].dst == x && lx < 0)
			lx = k;
		else if (is_alu(&c[k], S_ALU_K, OPF_LSH) && c[k].dst == y && c[k].imm == 8 && sh < 0)
			sh = k;
		else
			return 0;
	}
	if (ly < 0 || lx < 0 || sh < 0 || sh < ly)
		return 0;
	unsigned b = c[ly].src;
	if (c[lx].src != b || b == x || b == y || c[lx].off != c[ly].off + 1)
		return 0;
	uint16_t live_after = pc + 4 < g->n ? g->live[pc + 4] : 0;
	if (live_after & (1u << x))
		return 0;
	emit_load(&g->st, R(y), R(b), c[ly].off, 2, false);   /* movzx eY, word [rB + o] */
	emit_rot16(&g->st, SH_ROL, R(y), 8);                    /* rol Y16, 8 */
	return 4;
}

static size_t gen_fused(struct gen *g, size_t pc)
{
	struct jit_state *st = &g->st;
	if (pc + 1 >= g->n || g->tgt[pc + 1] || g->code[pc + 1].op == ISA_OP_INVALID)
		return 0;
	size_t used = gen_fused_be16(g, pc);
	if (used)
		return used;
	const struct isa_insn *a = &g->code[pc], *b = &g->code[pc + 1];
	const struct isa_info *ia = &isa_info[a->op], *ib = &isa_info[b->op];
	unsigned opa = ia->code >> 4, opb = ib->code >> 4;
	if (ia->shape == S_ALU_X && opa == OPF_MOV && a->dst != a->src && b->dst == a->dst &&
	    (ia->flags & F_W) == (ib->flags & F_W)) {
		bool w = !(ia->flags & F_W);
		if (ib->shape == S_ALU_K && (opb == OPF_ADD || (opb == OPF_SUB && b->imm != INT32_MIN))) {
			emit_lea_w(st, w, R(a->dst), R(a->src), opb == OPF_ADD ? b->imm : -b->imm); /* lea dst, [src + imm] */
			return 2;
		}
		if (ib->shape == S_ALU_X && opb == OPF_ADD) {
			/* rD = rS; rD += rD is rS + rS */
			unsigned t = b->src == a->dst ? a->src : b->src;
			emit_lea_bi(st, w, R(a->dst), R(a->src), R(t)); /* lea dst, [src + t] */
			return 2;
		}
	}
	if ((ia->shape == S_JCOND_K || ia->shape == S_JCOND_X) && a->target == pc + 2 &&
	    (ib->shape == S_JA || ib->shape == S_JA32)) {
		gen_jcond_to(g, a, ia, b->target, true); /* cmp|test ; j!cc T */
		return 2;
	}
	return 0;
}

/* Slots entered other than by falling in from the slot before (the
 * entries, jump targets and bpf-to-bpf call targets), and liveness. */
static int compute_targets(struct gen *g)
{
	uint8_t *t = g->tgt = util_calloc(g->st.alloc, g->n + 1, 1);
	if (!t)
		return -ENOMEM;
	if (g->fuse) { /* only fusing asks which registers are live */
		g->live = util_calloc(g->st.alloc, g->n, sizeof(*g->live));
		if (!g->live)
			return -ENOMEM;
		isa_liveness(g->code, g->n, g->live);
	}
	t[0] |= TGT_IN;
	t[g->prog->entry] |= TGT_IN;
	for (size_t i = 0; i < g->n; i++) {
		const struct isa_insn *in = &g->code[i];
		if (in->op != ISA_OP_INVALID &&
		    (isa_is_jump(in->op) || isa_info[in->op].shape == S_CALL_LOCAL))
			t[in->target] |= in->target <= i && isa_is_jump(in->op) ? TGT_LOOP : TGT_IN;
	}
	return 0;
}

/* ---- passes ------------------------------------------------------------------ */

static void gen_pass(struct gen *g)
{
	struct jit_state *st = &g->st;
	st->hot.len = st->cold.len = st->copy.len = 0;
	st->cur = &st->hot;
	st->nlabels = 0;
	g->rng = g->seed;
	for (size_t i = 0; i <= g->n; i++)
		label_new(st);        /* one label per slot, and one past the end */
	g->l_entry = label_new(st);
	g->l_tail = label_new(st);
	g->l_common = label_new(st);
	g->l_ret = label_new(st);
	g->l_zero = label_new(st);
	g->l_epilogue = label_new(st);
	g->l_error = label_new(st);
	g->l_stop = label_new(st);
	g->l_slow = label_new(st);
	g->l_budget = label_new(st);
	g->l_ldpkt_fail = label_new(st);
	gen_prologue(g);
	for (size_t i = 0; i < g->n && !st->err; i++) {
		if (g->code[i].op == ISA_OP_INVALID) {
			label_bind(st, (uint32_t)i); /* second half of lddw: never a target */
			continue;
		}
		/* loop heads start on 16 bytes in verified code, as compilers
		 * place them: on this benchmark's search loop, whose head the
		 * unaligned layout put 2 bytes into a 64-byte line, the
		 * placement alone made each iteration 1.6x slower */
		if (!g->checked && (g->tgt[i] & TGT_LOOP))
			emit_align(st, LOOP_ALIGN);
		unit_begin(st, (uint32_t)i);
		size_t used = g->fuse ? gen_fused(g, i) : 0;
		if (used) {
			for (size_t k = 1; k < used; k++)
				label_bind(st, (uint32_t)(i + k));
			i += used - 1;
			continue;
		}
		gen_insn(g, i);
	}
	/* falling off the end: the decoder allows it, the run must not */
	unit_begin(st, (uint32_t)g->n);
	emit_jmp(st, error_stub(g, jit_rt_fell_off, g->n, 0, 0, -1)); /* jmp fell_off */
	gen_shared(g);
}

/* Absolute label positions of the pass just run; true when they (and the
 * size) are those of the previous pass. */
static bool finish_pass(struct gen *g)
{
	struct jit_state *st = &g->st;
	size_t base_of[3] = { 0, st->hot.len, st->hot.len + st->cold.len };
	bool same = st->have_prev && st->nprev == st->nlabels;
	if (st->nprev < st->nlabels) {
		int64_t *p = util_realloc(st->alloc, st->prev, st->nprev * sizeof(*p),
					  st->nlabels * sizeof(*p));
		if (!p) {
			st->err = -ENOMEM;
			return false;
		}
		st->prev = p;
	}
	for (uint32_t i = 0; i < st->nlabels; i++) {
		int64_t a = (int64_t)st->lab_off[i] + (int64_t)base_of[st->lab_stream[i]];
		if (same && st->prev[i] != a)
			same = false;
		st->prev[i] = a;
	}
	st->nprev = st->nlabels;
	st->have_prev = true;
	return same;
}

static bool cpu_has_bmi2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("bmi2");
}

int jit_x86_64_generate(struct bpfbox_prog *prog, const struct jit_gen_opts *o,
			jit_map_fn map, void *map_ud, struct jit_image *out, const char **why)
{
	struct gen g;
	memset(&g, 0, sizeof(g));
	memset(out, 0, sizeof(*out));
	g.st.alloc = &prog->vm->alloc;
	g.prog = prog;
	g.code = prog->code.insns;
	g.n = prog->code.n;
	g.checked = o->checked;
	g.blind = o->blind;
	g.zero_stack = !o->checked && o->zero_stack;
	g.bmi2 = cpu_has_bmi2();
	*why = NULL;
	if (g.n == 0 || g.n > ISA_MAX_INSNS) {
		*why = "program size out of range";
		return -ENOTSUP;
	}
	for (size_t i = 0; i < g.n; i++)
		if (g.code[i].op != ISA_OP_INVALID && isa_info[g.code[i].op].shape == S_CALL_LOCAL)
			g.has_calls = true;
	if (g.blind) {
		if (getrandom(&g.seed, sizeof(g.seed), 0) != sizeof(g.seed))
			g.seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&g;
		g.seed |= 1;
	}
	int err = 0;
	if (g.checked && (err = compute_blocks(&g)))
		goto out;
	g.fuse = !g.checked && !g.blind;
	if (!g.checked && (err = compute_targets(&g)))
		goto out;

	/* pass 0: everything long and far, an upper bound on the size */
	g.st.force_long = true;
	gen_pass(&g);
	finish_pass(&g);
	if ((err = g.st.err))
		goto out;
	size_t bound = g.st.hot.len + g.st.cold.len + g.st.copy.len;
	if (bound > JIT_MAX_IMAGE) {
		*why = "native code would exceed 256 MiB";
		err = -ENOTSUP;
		goto out;
	}
	void *base = map(map_ud, bound);
	if (!base) {
		err = -ENOMEM;
		goto out;
	}
	g.st.base = (uint64_t)(uintptr_t)base;
	g.st.size_bound = bound;
	bool done = false;
	for (int pass = 1; pass <= MAX_PASSES && !done; pass++) {
		g.st.force_long = pass >= FORCE_LONG_PASS;
		gen_pass(&g);
		done = finish_pass(&g) && pass > 1;
		if ((err = g.st.err))
			goto out;
	}
	if (!done) {
		*why = "code size did not converge";
		err = -ENOTSUP;
		goto out;
	}
	size_t len = g.st.hot.len + g.st.cold.len + g.st.copy.len;
	if (len > bound) {
		*why = "internal error: image grew after the first pass";
		err = -ENOTSUP;
		goto out;
	}
	out->code = util_malloc(g.st.alloc, len);
	if (!out->code) {
		err = -ENOMEM;
		goto out;
	}
	size_t at = 0;
	const struct jit_stream *streams[3] = { &g.st.hot, &g.st.cold, &g.st.copy };
	for (int i = 0; i < 3; i++) {
		if (streams[i]->len)
			memcpy(out->code + at, streams[i]->buf, streams[i]->len);
		at += streams[i]->len;
	}
	out->len = out->cap = len;
	out->tail_entry = (size_t)g.st.prev[g.l_tail];
out:
	if (err == -ENOTSUP && !*why)
		*why = "instruction the JIT does not handle";
	util_free(g.st.alloc, g.st.hot.buf, g.st.hot.cap);
	util_free(g.st.alloc, g.st.cold.buf, g.st.cold.cap);
	util_free(g.st.alloc, g.st.copy.buf, g.st.copy.cap);
	util_free(g.st.alloc, g.st.lab_off, g.st.cap_labels * sizeof(*g.st.lab_off));
	util_free(g.st.alloc, g.st.lab_stream, g.st.cap_labels);
	util_free(g.st.alloc, g.st.prev, g.st.nprev * sizeof(*g.st.prev));
	util_free(g.st.alloc, g.blen, (g.n + 1) * sizeof(*g.blen));
	util_free(g.st.alloc, g.lead, g.n + 1);
	util_free(g.st.alloc, g.tgt, g.n + 1);
	util_free(g.st.alloc, g.live, g.n * sizeof(*g.live));
	util_free(g.st.alloc, g.grp, g.n * sizeof(*g.grp));
	return err;
}
