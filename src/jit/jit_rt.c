/* bpfbox — jit/jit_rt.c: the C side of JIT'd code.
 *
 * Generated code calls these functions on its cold paths: to set up the
 * checked-mode bounds of a run, to finish a memory check the inline
 * compares could not decide, to report run-time errors with the
 * interpreter's exact messages, to handle a helper's stop request (abort,
 * tail call), to dispatch `callx`, and to finish a basic block the budget
 * does not cover.  They are plain SysV functions; the code generator
 * passes `ex` (or the jit_ctx) first.
 *
 * The budget tail (jit_rt_budget) is the one place that executes eBPF
 * here.  The JIT charges a whole basic block on entry; when fewer
 * instructions are left than the block holds, the interpreter would have
 * executed exactly that many of the block's instructions and then stopped
 * with -ELOOP at the next one.  A block can only branch at its end, so
 * those instructions are straight-line code (ALU, loads, stores, atomics,
 * lddw), and this function executes them from the registers the JIT
 * spilled — with the semantics expanded from isa.def's SEM column, the
 * same text the interpreter expands — then reports the budget error at the
 * interpreter's instruction, or the fault one of them hit first.
 */
#include <errno.h>
#include <string.h>
#include "jit.h"

void jit_rt_enter(struct jit_ctx *jc)
{
	struct bpfbox_exec *ex = jc->ex;
	uint64_t lo = ex->mem_lo, len = ex->mem_hi - ex->mem_lo;
	/* exactly vm_in_range(a, s, lo, hi): a - lo <= len - s, for len >= s */
	jc->mem_lo = lo;
	for (unsigned k = 0; k < 4; k++) {
		uint64_t s = 1u << k;
		uint64_t lim = len >= s ? len - s + 1 : 0;
		jc->mem_lim_ld[k] = lim;
		jc->mem_lim_st[k] = ex->mem_writable ? lim : 0;
		jc->stk_hi[k] = ex->stack_hi - s;
	}
}

/* The whole checked-mode rule, as the interpreter applies it. */
static bool access_ok(struct bpfbox_exec *ex, uint64_t a, uint64_t size, bool w)
{
	return (vm_in_range(a, size, ex->mem_lo, ex->mem_hi) && (!w || ex->mem_writable)) ||
	       vm_in_range(a, size, ex->stack_lo, ex->stack_hi) || vm_check_slow(ex, a, size, w);
}

uint64_t jit_rt_check(struct bpfbox_exec *ex, uint64_t addr, uint64_t info)
{
	size_t pc = (size_t)(info >> 4);
	uint64_t size = 1u << ((info >> 1) & 3);
	bool w = info & 1;
	if (access_ok(ex, addr, size, w))
		return 1;
	vm_fault(ex, pc, addr, size, w);
	return 0;
}

void jit_rt_misaligned(struct bpfbox_exec *ex, uint64_t pc, uint64_t size, uint64_t addr)
{
	vm_error(ex, (size_t)pc, -EFAULT, "misaligned atomic access of %zu bytes at 0x%llx",
		 (size_t)size, (unsigned long long)addr);
}

void jit_rt_unknown_helper(struct bpfbox_exec *ex, uint64_t pc, uint64_t id)
{
	vm_error(ex, (size_t)pc, -ENOENT, "call to unknown helper %u", (unsigned)id);
}

void jit_rt_kfunc(struct bpfbox_exec *ex, uint64_t pc, uint64_t id)
{
	vm_error(ex, (size_t)pc, -ENOTSUP, "kfunc calls (btf id %u) are not supported", (unsigned)id);
}

void jit_rt_depth(struct bpfbox_exec *ex, uint64_t pc)
{
	vm_error(ex, (size_t)pc, -EOVERFLOW, "call depth exceeds %d frames", BPFBOX_MAX_CALL_DEPTH);
}

void jit_rt_fell_off(struct bpfbox_exec *ex, uint64_t pc)
{
	vm_error(ex, (size_t)pc, -EFAULT, "fell off the end of the program (no exit)");
}

uint64_t jit_rt_callx(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		      struct bpfbox_exec *ex, uint64_t id)
{
	uint32_t i = (uint32_t)id;
	const struct vm_helper *h = i < BPFBOX_MAX_HELPERS ? &ex->vm->helpers[i] : NULL;
	if (!h || !h->fn) {
		vm_error(ex, ex->pc, -ENOENT, "call to unknown helper %u", i);
		ex->stop = 1;
		return 0;
	}
	return h->fn(r1, r2, r3, r4, r5, ex);
}

/* A helper set ex->stop.  Mirrors the interpreter's after_call: an error
 * ends the run; a tail call continues in the target with r1 and the stack
 * (in its JIT code when it has code this run may use — we return its tail
 * entry — else the VM runs it on the interpreter); otherwise go on. */
uint64_t jit_rt_stop(struct jit_ctx *jc)
{
	struct bpfbox_exec *ex = jc->ex;
	ex->stop = 0;
	if (ex->err)
		return JIT_STOP_ERROR;
	struct bpfbox_prog *t = ex->tail_target;
	if (!t)
		return JIT_STOP_CONTINUE;
	vm_tail_enter(ex, t);
	struct jit_code *code = jit_code_of(t);
	if (!code || !vm_jit_usable(&code->base, ex->checked, ex->zero_stack))
		return JIT_STOP_TO_VM;
	ex->tail_target = NULL;
	ex->prog = t;
	ex->stack_lo = ex->stack_hi - BPFBOX_STACK_SIZE;
	return (uint64_t)(uintptr_t)code->tail_entry;
}

/* ---- the budget tail ------------------------------------------------------ */

uint64_t jit_rt_budget(struct jit_ctx *jc, uint64_t start)
{
	struct bpfbox_exec *ex = jc->ex;
	const struct isa_insn *code = ex->prog->code.insns;
	const struct isa_insn *pc = code + start;
	uint64_t *reg = jc->regs;
	uint64_t budget = jc->budget;

#define DST reg[pc->dst]
#define SRC reg[pc->src]
#define IMM pc->imm64
#define IMM32 ((uint32_t)pc->imm)
#define IMM64 pc->imm64
#define OFF pc->off
#define W(x) ((uint32_t)(x))
#define PCIDX ((size_t)(pc - code))
#define CHECK_ACCESS(addr, size, w)                                          \
	do {                                                                 \
		uint64_t a_ = (addr);                                        \
		if (!access_ok(ex, a_, (size), (w))) {                       \
			vm_fault(ex, PCIDX, a_, (size), (w));                \
			return 0;                                            \
		}                                                            \
	} while (0)
#define MISALIGNED_ATOMIC(size, addr) do {                                   \
		jit_rt_misaligned(ex, PCIDX, (size), (addr));                \
		return 0;                                                    \
	} while (0)
#include "vm/mem_ops.h"
/* Branches end blocks, so they never run here. */
#define JUMP() goto internal
#define JUMP_LONG() goto internal
#define JUMP_IF(c) do { (void)(c); goto internal; } while (0)
#define CALL_HELPER(id) do { (void)(id); goto internal; } while (0)
#define CALL_KFUNC(id) do { (void)(id); goto internal; } while (0)
#define CALL_LOCAL() goto internal
#define EXIT() goto internal
#define LD_ABS(bits) goto internal
#define LD_IND(bits) goto internal

	for (;;) {
		if (budget-- == 0) {
			vm_error(ex, PCIDX, -ELOOP, "instruction budget exhausted (%llu instructions)",
				 (unsigned long long)jc->ex->budget0);
			return 0;
		}
		switch (pc->op) {
#define ISA(NAME, CODE, MATCH, MVAL, SHAPE, FLAGS, OPTEXT, CMNEM, SEM) \
		case ISA_OP_##NAME: { SEM; }                           \
			if (isa_info[ISA_OP_##NAME].shape == S_LDDW)   \
				pc++;                                  \
			pc++;                                          \
			continue;
#include "isa/isa.def"
#undef ISA
		default:
			goto internal;
		}
	}
internal:
	vm_error(ex, PCIDX, -EFAULT, "internal error: the budget tail reached a branch");
	return 0;

#undef DST
#undef SRC
#undef IMM
#undef IMM32
#undef IMM64
#undef OFF
#undef W
#undef PCIDX
#undef CHECK_ACCESS
#undef LOAD
#undef STORE
#undef ATOMIC_ADDR
#undef ATOMIC_OP
#undef ATOMIC_XCHG
#undef ATOMIC_CMPXCHG
#undef MISALIGNED_ATOMIC
#undef JUMP
#undef JUMP_LONG
#undef JUMP_IF
#undef CALL_HELPER
#undef CALL_KFUNC
#undef CALL_LOCAL
#undef EXIT
#undef LD_ABS
#undef LD_IND
}
