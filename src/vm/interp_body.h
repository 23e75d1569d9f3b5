/* bpfbox — vm/interp_body.h: the interpreter loop, written once.
 *
 * interp.c includes this file four times, with INTERP_NAME naming the
 * function and two switches:
 *   INTERP_GOTO     1: computed-goto dispatch (a label per isa.def row,
 *                      table built from the same rows); 0: a plain switch.
 *   INTERP_CHECKED  1: every load/store is checked against the run's
 *                      regions and every instruction is charged to the
 *                      budget; 0: a verified program, no checks.
 * Lua's vmdispatch/vmcase/vmbreak trio: DISPATCH, CASE and NEXT expand to
 * either form, so the semantics below exist once.  The cases themselves are
 * expanded from isa.def's SEM column; only the primitives (LOAD, STORE,
 * JUMP_IF, the calls, EXIT, ...) are written here.
 *
 * The VM prepares the frame a run starts in (ex->entry_r10, depth
 * ex->depth: frame 0 for a run, a deeper one for a nested call) and an
 * `exit` at that depth returns.  Frames of bpf-to-bpf calls are zeroed on
 * entry by the checked builds, and by the unchecked ones only in runs that
 * zero frames (ex->zero_stack: the verifier saw the program read stack it
 * never wrote).  Helper calls record the caller's r10 (and, checked, hand
 * the budget over in ex->budget): a helper may run a nested call.
 *
 * Invariants: the program was decoded by isa_decode, so every slot the loop
 * reaches is a valid row (the second half of lddw is never reached: jumps
 * into it were rejected and lddw advances by two), every jump target is in
 * range, and r10 is never written by an instruction.  Reaching an invalid
 * row is an internal bug and stops the run with -EFAULT.
 */

int INTERP_NAME(struct bpfbox_exec *ex, const uint64_t args[5], uint64_t *r0_out)
{
	struct bpfbox_prog *prog = ex->prog;
	const struct isa_insn *code = prog->code.insns;
	const struct isa_insn *pc = code + prog->entry;
	uint64_t reg[BPFBOX_MAX_REG + 1];
	memset(reg, 0, sizeof(reg));
	memcpy(&reg[1], args, 5 * sizeof(uint64_t));
	/* The VM prepared the frame we start in (vm.c, enter_frame); an exit
	 * at its depth returns to the VM (a nested call starts deeper). */
	reg[10] = ex->entry_r10;
	const unsigned base = ex->depth;
#if INTERP_CHECKED
	uint64_t budget = ex->budget;
#endif

#define DST reg[pc->dst]
#define SRC reg[pc->src]
#define IMM pc->imm64
#define IMM32 ((uint32_t)pc->imm)
#define IMM64 pc->imm64
#define OFF pc->off
#define W(x) ((uint32_t)(x))
#define PCIDX ((size_t)(pc - code))

#if INTERP_CHECKED
#define CHARGE() do { if (UNLIKELY(budget-- == 0)) goto out_of_budget; } while (0)
#define CHECK_ACCESS(addr, size, w)                                                  \
	do {                                                                         \
		uint64_t a_ = (addr);                                                \
		if (!((vm_in_range(a_, (size), ex->mem_lo, ex->mem_hi) &&           \
		       (!(w) || ex->mem_writable)) ||                               \
		      vm_in_range(a_, (size), ex->stack_lo, ex->stack_hi)) &&        \
		    !vm_check_slow(ex, a_, (size), (w))) {                          \
			vm_fault(ex, PCIDX, a_, (size), (w));                        \
			goto fail;                                                   \
		}                                                                    \
	} while (0)
#else
#define CHARGE() do { } while (0)
#define CHECK_ACCESS(addr, size, w) do { } while (0)
#endif

#define MISALIGNED_ATOMIC(size, addr) do {                                 \
		vm_error(ex, PCIDX, -EFAULT, "misaligned atomic access of %zu bytes at 0x%llx", \
			 (size_t)(size), (unsigned long long)(addr));      \
		goto fail;                                                 \
	} while (0)
#include "mem_ops.h"

#define JUMP() do { pc = code + pc->target; goto dispatch_here; } while (0)
#define JUMP_LONG() JUMP()
#define JUMP_IF(c) do { if (c) { pc = code + pc->target; goto dispatch_here; } } while (0)

/* A helper may run a nested call (bpfbox_exec__call), which draws on the
 * same budget: checked mode hands it over in ex->budget and takes it back. */
#if INTERP_CHECKED
#define BUDGET_OUT() (ex->budget = budget)
#define BUDGET_IN() (budget = ex->budget)
#else
#define BUDGET_OUT() ((void)0)
#define BUDGET_IN() ((void)0)
#endif
#define CALL_HELPER(id) do { BUDGET_OUT(); \
		if (call_helper(ex, reg, (id), PCIDX)) goto after_call_error; \
		BUDGET_IN(); \
		if (UNLIKELY(ex->stop)) goto after_call; } while (0)
#define CALL_KFUNC(id) do { vm_error(ex, PCIDX, -ENOTSUP, "kfunc calls (btf id %u) are not supported", (unsigned)(id)); \
		goto fail; } while (0)
#define CALL_LOCAL() do {                                                         \
		if (UNLIKELY(ex->depth + 1 >= BPFBOX_MAX_CALL_DEPTH)) {           \
			vm_error(ex, PCIDX, -EOVERFLOW,                           \
				 "call depth exceeds %d frames", BPFBOX_MAX_CALL_DEPTH); \
			goto fail;                                                \
		}                                                                 \
		struct vm_frame *f_ = &ex->frames[ex->depth++];                   \
		memcpy(f_->saved, &reg[6], sizeof(f_->saved));                    \
		f_->r10 = reg[10];                                                \
		f_->ret_pc = (uint32_t)(PCIDX + 1);                               \
		reg[10] -= BPFBOX_STACK_SIZE;                                     \
		STACK_ENTER();                                                    \
		pc = code + pc->target;                                           \
		goto dispatch_here;                                               \
	} while (0)
#if INTERP_CHECKED
#define STACK_ENTER() do {                                                        \
		memset((void *)(uintptr_t)(reg[10] - BPFBOX_STACK_SIZE), 0, BPFBOX_STACK_SIZE); \
		ex->stack_lo = reg[10] - BPFBOX_STACK_SIZE;                       \
	} while (0)
#define STACK_LEAVE() do { ex->stack_lo = reg[10] - BPFBOX_STACK_SIZE; } while (0)
#else
/* verified: zero the callee's frame only in runs of programs that may read
 * stack they never wrote (one predictable branch per call otherwise) */
#define STACK_ENTER() do {                                                        \
		if (UNLIKELY(ex->zero_stack))                                     \
			memset((void *)(uintptr_t)(reg[10] - BPFBOX_STACK_SIZE), 0, BPFBOX_STACK_SIZE); \
	} while (0)
#define STACK_LEAVE() do { } while (0)
#endif
#define EXIT() do {                                                               \
		if (ex->depth == base)                                            \
			goto done;                                                \
		struct vm_frame *f_ = &ex->frames[--ex->depth];                   \
		memcpy(&reg[6], f_->saved, sizeof(f_->saved));                    \
		reg[10] = f_->r10;                                                \
		STACK_LEAVE();                                                    \
		pc = code + f_->ret_pc;                                           \
		goto dispatch_here;                                               \
	} while (0)
#define LD_ABS(bits) do { if (ld_pkt(ex, reg, (uint64_t)(uint32_t)pc->imm, bits)) goto done; } while (0)
#define LD_IND(bits) do { if (ld_pkt(ex, reg, (uint64_t)(uint32_t)(SRC + (uint64_t)(int64_t)pc->imm), bits)) goto done; } while (0)

#if INTERP_GOTO
	static const void *const labels[ISA_OP__COUNT + 1] = {
#define ISA(NAME, CODE, MATCH, MVAL, SHAPE, FLAGS, OPTEXT, CMNEM, SEM) [ISA_OP_##NAME] = &&L_##NAME,
#include "isa/isa.def"
#undef ISA
		[ISA_OP_INVALID] = &&L_INVALID,
	};
#define DISPATCH() CHARGE(); goto *labels[pc->op];
#define CASE(NAME) L_##NAME:
#define NEXT() pc++; DISPATCH()
dispatch_here:
	DISPATCH();
#define ISA(NAME, CODE, MATCH, MVAL, SHAPE, FLAGS, OPTEXT, CMNEM, SEM) \
	CASE(NAME) { SEM; }                                            \
	if (isa_info[ISA_OP_##NAME].shape == S_LDDW)                   \
		pc++;                                                  \
	NEXT();
#include "isa/isa.def"
#undef ISA
L_INVALID:
	vm_error(ex, PCIDX, -EFAULT, "internal error: invalid instruction reached");
	goto fail;
#else
dispatch_here:
	for (;;) {
		CHARGE();
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
			vm_error(ex, PCIDX, -EFAULT, "internal error: invalid instruction reached");
			goto fail;
		}
	}
#endif

after_call:
	/* A helper aborted the run or requested a tail call. */
	ex->stop = 0;
	if (ex->err)
		goto fail;
	if (ex->tail_target) {
		prog = ex->tail_target;
		ex->tail_target = NULL;
		ex->prog = prog;
		code = prog->code.insns;
		pc = code + prog->entry;
		/* The kernel keeps r1 (the context) and the stack; a tail call
		 * from a subprogram unwinds to the main frame here.  (Nested
		 * calls refuse tail calls, so base is 0.) */
		uint64_t ctx = reg[1];
		while (ex->depth > base) {
			struct vm_frame *f_ = &ex->frames[--ex->depth];
			reg[10] = f_->r10;
		}
		STACK_LEAVE();
		vm_tail_enter(ex, prog);
		memset(reg, 0, sizeof(uint64_t) * 10);
		reg[1] = ctx;
		goto dispatch_here;
	}
	pc++;
	goto dispatch_here;

after_call_error:
	goto fail;

#if INTERP_CHECKED
out_of_budget:
	vm_error(ex, PCIDX, -ELOOP, "instruction budget exhausted (%llu instructions)",
		 (unsigned long long)ex->budget0);
	goto fail;
#endif

done:
#if INTERP_CHECKED
	ex->budget = budget;
#endif
	*r0_out = reg[0];
	return 0;
fail:
#if INTERP_CHECKED
	ex->budget = budget;
#endif
	return ex->err ? ex->err : -EFAULT;

#undef DST
#undef SRC
#undef IMM
#undef IMM32
#undef IMM64
#undef OFF
#undef W
#undef PCIDX
#undef CHARGE
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
#undef BUDGET_OUT
#undef BUDGET_IN
#undef CALL_KFUNC
#undef CALL_LOCAL
#undef STACK_ENTER
#undef STACK_LEAVE
#undef EXIT
#undef LD_ABS
#undef LD_IND
#undef DISPATCH
#undef CASE
#undef NEXT
}
