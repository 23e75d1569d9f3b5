/* bpfbox — vm/vm.c: VM and program handles, the run entry point, and the
 * services helpers use during a run.
 *
 * Loading decodes the program once (isa_decode) into the form every engine
 * reads, and replaces each pseudo lddw (map, map value, function, BTF id)
 * by the 64-bit value its resolver returns, so at run time every lddw is a
 * plain constant load.  Running sets up a `struct bpfbox_exec` on the C
 * stack (registers and eBPF stack live there, nothing is allocated per run)
 * and hands it to the chosen engine.  Checked mode's fast path (the r1
 * memory and the live stack) is inlined in the engines; everything else —
 * memory helpers handed out, and the region hook that knows map values —
 * is vm_check_slow() here.
 *
 * The VM, not the engines, prepares the frame an engine starts in
 * (enter_frame): its r10, its depth, and — in checked runs and in runs of
 * verified programs the verifier marked as reading stack they never wrote
 * (zero_stack) — its zeroing; the engines zero the frames of bpf-to-bpf
 * calls under the same rule.  bpfbox_exec__call() runs a callback as a
 * nested call in the frame below the helper's caller, on the engine the
 * run chose, and restores the run's state when it returns; it is the only
 * way a helper runs eBPF code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vm.h"

BPFBOX_API int bpfbox_vm__new(struct bpfbox_vm **out, const struct bpfbox_vm_opts *opts)
{
	*out = NULL;
	if (!OPTS_VALID(opts, bpfbox_vm_opts))
		return -EINVAL;
	struct util_alloc a;
	util_alloc_init(&a, OPTS_GET(opts, alloc, NULL), OPTS_GET(opts, alloc_ud, NULL));
	struct bpfbox_vm *vm = util_calloc(&a, 1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->alloc = a;
	vm->insn_budget = OPTS_GET(opts, insn_budget, 0);
	if (!vm->insn_budget)
		vm->insn_budget = VM_DEFAULT_BUDGET;
	vm->region_hook = OPTS_GET(opts, region_hook, NULL);
	vm->region_hook_ud = OPTS_GET(opts, region_hook_ud, NULL);
	vm->func_prog = OPTS_GET(opts, func_prog, NULL);
	vm->func_prog_ud = OPTS_GET(opts, func_prog_ud, NULL);
	*out = vm;
	return 0;
}

BPFBOX_API void bpfbox_vm__free(struct bpfbox_vm *vm)
{
	if (!vm)
		return;
	struct util_alloc a = vm->alloc;
	util_free(&a, vm, sizeof(*vm));
}

BPFBOX_API int bpfbox_vm__set_helper(struct bpfbox_vm *vm, uint32_t id, const char *name,
				     bpfbox_helper_fn fn, const void *contract)
{
	if (!vm || id >= BPFBOX_MAX_HELPERS)
		return -EINVAL;
	vm->helpers[id].fn = fn;
	vm->helpers[id].leaf = NULL;
	vm->helpers[id].bind = NULL;
	vm->helpers[id].name = fn ? name : NULL;
	vm->helpers[id].contract = fn ? contract : NULL;
	return 0;
}

BPFBOX_API int bpfbox_vm__set_helper_leaf(struct bpfbox_vm *vm, uint32_t id, bpfbox_helper_fn leaf)
{
	if (!vm || id >= BPFBOX_MAX_HELPERS || !vm->helpers[id].fn)
		return -EINVAL;
	vm->helpers[id].leaf = leaf;
	return 0;
}

BPFBOX_API int bpfbox_vm__set_helper_bind(struct bpfbox_vm *vm, uint32_t id,
					  bpfbox_helper_bind_fn bind)
{
	if (!vm || id >= BPFBOX_MAX_HELPERS || !vm->helpers[id].fn)
		return -EINVAL;
	vm->helpers[id].bind = bind;
	return 0;
}

BPFBOX_API bpfbox_helper_fn bpfbox_vm__helper(const struct bpfbox_vm *vm, uint32_t id,
					      const char **name, const void **contract)
{
	const struct vm_helper *h = vm && id < BPFBOX_MAX_HELPERS ? &vm->helpers[id] : NULL;
	if (name)
		*name = h ? h->name : NULL;
	if (contract)
		*contract = h ? h->contract : NULL;
	return h ? h->fn : NULL;
}

static char *dup_str(const struct util_alloc *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = util_malloc(a, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

BPFBOX_API int bpfbox_prog__load(struct bpfbox_vm *vm, const struct bpfbox_insn *insns,
				 size_t n, const struct bpfbox_prog_opts *opts,
				 struct bpfbox_prog **out)
{
	*out = NULL;
	if (!vm || (!insns && n) || !OPTS_VALID(opts, bpfbox_prog_opts))
		return -EINVAL;
	struct bpfbox_log *log = OPTS_GET(opts, log, NULL);
	const char *name = OPTS_GET(opts, name, NULL);
	bpfbox_lddw_resolver resolve = OPTS_GET(opts, resolve_lddw, NULL);
	void *resolve_ud = OPTS_GET(opts, resolve_ud, NULL);
	const struct util_alloc *a = &vm->alloc;

	struct bpfbox_prog *p = util_calloc(a, 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->vm = vm;
	p->owner = OPTS_GET(opts, owner, NULL);
	int err = -ENOMEM;
	p->name = dup_str(a, name ? name : "");
	if (!p->name)
		goto fail;
	size_t at = 0;
	err = isa_decode(insns, n, 0, a, &p->code, &at, log);
	if (err)
		goto fail;
	p->raw = util_malloc(a, n * sizeof(*insns));
	if (!p->raw) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(p->raw, insns, n * sizeof(*insns));
	for (size_t i = 0; i < n; i++) {
		struct isa_insn *in = &p->code.insns[i];
		if (in->op == ISA_OP_INVALID || isa_info[in->op].shape != S_LDDW || in->src == 0)
			continue;
		if (!resolve) {
			bpfbox_log__printf(log, BPFBOX_LOG_ERROR,
					   "insn %zu: lddw %s (src %u) needs a loader to resolve it "
					   "(load an ELF object, or use plain constants)",
					   i, isa_info[in->op].optext, in->src);
			err = -EINVAL;
			goto fail;
		}
		uint64_t v = 0;
		err = resolve(resolve_ud, in->src, in->imm, p->code.insns[i + 1].imm, &v);
		if (err) {
			bpfbox_log__printf(log, BPFBOX_LOG_ERROR,
					   "insn %zu: cannot resolve lddw %s imm %d: %s", i,
					   isa_info[in->op].optext, in->imm, strerror(-err));
			goto fail;
		}
		in->imm64 = v;
	}
	size_t entry = OPTS_GET(opts, entry, 0);
	if (entry && (entry >= n || p->code.insns[entry].op == ISA_OP_INVALID)) {
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "insn %zu: the entry is not an instruction "
				   "of the program (%zu slots)", entry, n);
		err = -EINVAL;
		goto fail;
	}
	p->entry = (uint32_t)entry;
	*out = p;
	return 0;
fail:
	bpfbox_prog__free(p);
	return err;
}

BPFBOX_API void bpfbox_prog__free(struct bpfbox_prog *p)
{
	if (!p)
		return;
	const struct util_alloc *a = &p->vm->alloc;
	if (p->jit && p->jit->release)
		p->jit->release(p->jit);
	size_t n = p->code.n;
	isa_prog_free(&p->code, a);
	util_free(a, p->raw, n * sizeof(*p->raw));
	if (p->name)
		util_free(a, p->name, strlen(p->name) + 1);
	util_free(a, p, sizeof(*p));
}

BPFBOX_API const struct bpfbox_insn *bpfbox_prog__insns(const struct bpfbox_prog *p, size_t *n)
{
	if (n)
		*n = p->code.n;
	return p->raw;
}

BPFBOX_API const char *bpfbox_prog__name(const struct bpfbox_prog *p) { return p->name; }
BPFBOX_API struct bpfbox_vm *bpfbox_prog__vm(const struct bpfbox_prog *p) { return p->vm; }
BPFBOX_API void *bpfbox_prog__owner(const struct bpfbox_prog *p) { return p->owner; }
BPFBOX_API bool bpfbox_prog__verified(const struct bpfbox_prog *p) { return p->verified; }
BPFBOX_API bool bpfbox_prog__zero_stack(const struct bpfbox_prog *p) { return p->zero_stack; }

BPFBOX_API void bpfbox_prog__set_verified(struct bpfbox_prog *p, bool v)
{
	p->verified = v;
	/* whoever proved it did not say whether it reads unwritten stack */
	p->zero_stack = v;
}

BPFBOX_API void bpfbox_prog__set_zero_stack(struct bpfbox_prog *p, bool zero)
{
	p->zero_stack = zero;
}

struct bpfbox_prog *vm_func_prog(const struct bpfbox_prog *prog, uint64_t value)
{
	const struct bpfbox_vm *vm = prog->vm;
	struct bpfbox_prog *fn = vm->func_prog ? vm->func_prog(vm->func_prog_ud, value) : NULL;
	return fn && fn->vm == vm ? fn : NULL;
}

static vm_interp_fn interp_of(const struct bpfbox_exec *ex, bool checked)
{
	if (ex->engine == BPFBOX_ENGINE_INTERP_SWITCH)
		return checked ? vm_interp_switch_checked : vm_interp_switch_unchecked;
	return checked ? vm_interp_goto_checked : vm_interp_goto_unchecked;
}

/* Make the frame whose r10 is `r10` the one an engine starts in: the
 * bottom of the live stack, zeroed when `zero` (the run is checked or
 * zeroes frames).  `zero` comes from the caller's locals, not from ex:
 * reading back the flag bytes just stored costs a failed store forward,
 * a noticeable part of a short run. */
static inline void enter_frame(struct bpfbox_exec *ex, uint64_t r10, unsigned depth, bool zero)
{
	ex->entry_r10 = r10;
	ex->depth = depth;
	ex->stack_lo = r10 - BPFBOX_STACK_SIZE;
	if (zero)
		memset((void *)(uintptr_t)(r10 - BPFBOX_STACK_SIZE), 0, BPFBOX_STACK_SIZE);
}

void vm_tail_enter(struct bpfbox_exec *ex, const struct bpfbox_prog *target)
{
	if (ex->checked)
		return; /* checked engines zero every frame they enter */
	/* Frame 0 carries over; the target's other frames are zeroed by its
	 * own calls when it needs that, so only frame 0 can still hold host
	 * bytes for it. */
	if (target->zero_stack && !ex->frame0_clean) {
		memset(ex->stack + VM_STACK_BYTES - BPFBOX_STACK_SIZE, 0, BPFBOX_STACK_SIZE);
		ex->frame0_clean = 1;
	}
	ex->zero_stack = target->zero_stack;
}

BPFBOX_API int bpfbox_prog__run(struct bpfbox_prog *prog, const struct bpfbox_run_opts *opts,
				uint64_t *r0)
{
	if (!prog || !r0 || !OPTS_VALID(opts, bpfbox_run_opts))
		return -EINVAL;
	struct bpfbox_exec ex;
	/* The state before the big arrays is cleared, the fields after them
	 * are assigned below; the arrays are initialised as they come into
	 * use (grants when made, frames on call, stack frames on entry). */
	memset(&ex, 0, offsetof(struct bpfbox_exec, grants));
	void *mem = OPTS_GET(opts, mem, NULL);
	size_t mem_len = OPTS_GET(opts, mem_len, 0);
	ex.prog = prog;
	ex.vm = prog->vm;
	ex.hook = OPTS_GET(opts, hook, NULL);
	ex.log = OPTS_GET(opts, log, NULL);
	ex.mem_lo = (uint64_t)(uintptr_t)mem;
	ex.mem_hi = ex.mem_lo + (mem ? mem_len : 0);
	ex.mem_writable = !OPTS_GET(opts, ctx_readonly, false);
	ex.pkt = OPTS_GET(opts, pkt, NULL);
	ex.pkt_len = OPTS_GET(opts, pkt_len, 0);
	if (!ex.pkt) {
		ex.pkt = mem;
		ex.pkt_len = mem ? mem_len : 0;
	}
	ex.budget = OPTS_GET(opts, insn_budget, 0);
	if (!ex.budget)
		ex.budget = prog->vm->insn_budget;
	ex.budget0 = ex.budget;
	uint64_t args[5] = { (uint64_t)(uintptr_t)mem, mem ? mem_len : 0, 0, 0, 0 };
	int engine = OPTS_GET(opts, engine, BPFBOX_ENGINE_DEFAULT);
	bool checked = !prog->verified;
	bool zero = !checked && prog->zero_stack;
	ex.checked = checked;
	ex.zero_stack = zero;
	ex.engine = (uint8_t)engine;
	ex.stack_hi = vm_stack_top(&ex);
	enter_frame(&ex, ex.stack_hi, 0, checked || zero);
	ex.frame0_clean = checked || zero;
	struct vm_jit_code *jit = prog->jit;
	bool jit_ok = vm_jit_usable(jit, checked, zero);
	if (engine == BPFBOX_ENGINE_JIT || (engine == BPFBOX_ENGINE_DEFAULT && jit_ok)) {
		if (!jit_ok) {
			bpfbox_log__printf(ex.log, BPFBOX_LOG_ERROR, "prog '%s': no JIT code%s",
					   prog->name, !jit ? "" : checked ? " for checked mode"
							: " that zeroes the stack");
			return -ENOTSUP;
		}
		uint64_t v = jit->entry(args[0], args[1], 0, 0, 0, &ex);
		if (ex.err)
			return ex.err;
		if (ex.tail_target) {
			/* JIT code follows tail calls into other JIT code itself;
			 * it hands back one whose target has no code this run may
			 * use, with the context (r1) as its result.  The
			 * interpreter continues there, in frame 0 (which
			 * jit_rt_stop prepared for the target). */
			ex.prog = ex.tail_target;
			ex.tail_target = NULL;
			ex.stop = 0;
			ex.entry_r10 = ex.stack_hi;
			ex.depth = 0;
			ex.stack_lo = ex.stack_hi - BPFBOX_STACK_SIZE;
			uint64_t targs[5] = { v, 0, 0, 0, 0 };
			return interp_of(&ex, checked)(&ex, targs, r0);
		}
		*r0 = v;
		return 0;
	}
	return interp_of(&ex, checked)(&ex, args, r0);
}

BPFBOX_API int bpfbox_exec__call(struct bpfbox_exec *ex, struct bpfbox_prog *fn, uint64_t r1,
				 uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t *r0)
{
	if (!ex || !fn || !r0)
		return -EINVAL;
	uint64_t top = vm_stack_top(ex);
	uint64_t caller_r10 = ex->call_r10;
	if (fn->vm != ex->vm) {
		vm_error(ex, ex->pc, -EINVAL, "nested call of prog '%s' of another VM", fn->name);
		ex->stop = 1;
		return -EINVAL;
	}
	/* frames k = 0..7 have r10 = top - k * 512; the callee goes below
	 * the frame that called the helper */
	uint64_t caller_depth = (top - caller_r10) / BPFBOX_STACK_SIZE;
	if (caller_r10 > top || caller_depth + 1 >= BPFBOX_MAX_CALL_DEPTH) {
		vm_error(ex, ex->pc, -EOVERFLOW, "call depth exceeds %d frames (nested call)",
			 BPFBOX_MAX_CALL_DEPTH);
		ex->stop = 1;
		return -EOVERFLOW;
	}
	/* what the nested run changes, restored when it returns */
	struct bpfbox_prog *prog = ex->prog;
	size_t pc = ex->pc;
	uint64_t stack_lo = ex->stack_lo, entry_r10 = ex->entry_r10;
	unsigned depth = ex->depth;
	uint8_t checked = ex->checked, zero = ex->zero_stack;

	bool nchecked = checked || !fn->verified;
	bool nzero = !nchecked && (zero || fn->zero_stack);
	ex->checked = nchecked;
	ex->zero_stack = nzero;
	ex->prog = fn;
	ex->nest++;
	enter_frame(ex, caller_r10 - BPFBOX_STACK_SIZE, (unsigned)caller_depth + 1, nchecked || nzero);
	int err = 0;
	struct vm_jit_code *jit = fn->jit;
	bool use_jit = ex->engine != BPFBOX_ENGINE_INTERP &&
		       ex->engine != BPFBOX_ENGINE_INTERP_SWITCH &&
		       vm_jit_usable(jit, nchecked, nzero);
	if (use_jit) {
		uint64_t v = jit->entry(r1, r2, r3, r4, r5, ex);
		err = ex->err;
		if (!err)
			*r0 = v;
	} else {
		const uint64_t args[5] = { r1, r2, r3, r4, r5 };
		err = interp_of(ex, nchecked)(ex, args, r0);
	}
	ex->nest--;
	ex->prog = prog;
	ex->pc = pc;
	ex->stack_lo = stack_lo;
	ex->entry_r10 = entry_r10;
	ex->depth = depth;
	ex->checked = checked;
	ex->zero_stack = zero;
	ex->call_r10 = caller_r10;
	ex->tail_target = NULL;
	if (err) {
		/* fn logged its reason; the run stops with it after the helper */
		ex->err = err;
		ex->stop = 1;
		return err;
	}
	ex->stop = 0;
	return 0;
}

/* ---- run-time services -------------------------------------------------- */

bool vm_check_slow(struct bpfbox_exec *ex, uint64_t addr, uint64_t len, bool write)
{
	for (unsigned i = 0; i < ex->ngrants; i++) {
		const struct vm_region *g = &ex->grants[i];
		if (vm_in_range(addr, len, g->lo, g->hi) && (!write || g->writable))
			return true;
	}
	const struct bpfbox_vm *vm = ex->vm;
	return vm->region_hook && vm->region_hook(vm->region_hook_ud, addr, len, write);
}

void vm_fault(struct bpfbox_exec *ex, size_t pc, uint64_t addr, uint64_t len, bool write)
{
	vm_error(ex, pc, -EFAULT,
		 "out-of-bounds %s of %llu byte%s at 0x%llx (not in any region the program may %s)",
		 write ? "store" : "load", (unsigned long long)len, len == 1 ? "" : "s",
		 (unsigned long long)addr, write ? "write" : "read");
}

void vm_error(struct bpfbox_exec *ex, size_t pc, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ex->err = err;
	ex->pc = pc;
	if (ex->prog && ex->prog->name && ex->prog->name[0])
		bpfbox_log__printf(ex->log, BPFBOX_LOG_ERROR, "insn %zu: %s (prog '%s')", pc, msg,
				   ex->prog->name);
	else
		bpfbox_log__printf(ex->log, BPFBOX_LOG_ERROR, "insn %zu: %s", pc, msg);
}

BPFBOX_API struct bpfbox_prog *bpfbox_exec__prog(const struct bpfbox_exec *ex) { return ex->prog; }
BPFBOX_API void *bpfbox_exec__hook(const struct bpfbox_exec *ex) { return ex->hook; }
BPFBOX_API bool bpfbox_exec__checked(const struct bpfbox_exec *ex) { return ex->checked; }
BPFBOX_API size_t bpfbox_exec__pc(const struct bpfbox_exec *ex) { return ex->pc; }

BPFBOX_API void *bpfbox_exec__ctx(const struct bpfbox_exec *ex, size_t *len, bool *writable)
{
	if (len)
		*len = (size_t)(ex->mem_hi - ex->mem_lo);
	if (writable)
		*writable = ex->mem_writable;
	return (void *)(uintptr_t)ex->mem_lo;
}

BPFBOX_API bool bpfbox_exec__owns(struct bpfbox_exec *ex, uint64_t addr, uint64_t len)
{
	if (!len)
		return false;
	/* Checked runs keep the live stack's bounds; unchecked engines do not
	 * track them, but a verified program cannot point below its live
	 * frames, so the whole block stands for them there. */
	uint64_t slo = ex->checked ? ex->stack_lo : (uint64_t)(uintptr_t)ex->stack;
	return vm_in_range(addr, len, ex->mem_lo, ex->mem_hi) ||
	       vm_in_range(addr, len, slo, ex->stack_hi) || vm_check_slow(ex, addr, len, false);
}

BPFBOX_API int bpfbox_exec__check_mem(struct bpfbox_exec *ex, uint64_t addr, uint64_t len,
				      bool write)
{
	if (!ex->checked || len == 0)
		return 0;
	if ((vm_in_range(addr, len, ex->mem_lo, ex->mem_hi) && (!write || ex->mem_writable)) ||
	    vm_in_range(addr, len, ex->stack_lo, ex->stack_hi) ||
	    vm_check_slow(ex, addr, len, write))
		return 0;
	return -EFAULT;
}

BPFBOX_API int bpfbox_exec__grant(struct bpfbox_exec *ex, void *p, uint64_t len, bool writable)
{
	if (!ex->checked)
		return 0;
	if (ex->ngrants >= VM_MAX_GRANTS)
		return -ENOSPC;
	struct vm_region *g = &ex->grants[ex->ngrants++];
	g->lo = (uint64_t)(uintptr_t)p;
	g->hi = g->lo + len;
	g->writable = writable;
	return 0;
}

BPFBOX_API void bpfbox_exec__revoke(struct bpfbox_exec *ex, void *p)
{
	/* the most recent grant of p first: a helper granting memory for one
	 * nested call takes back its own grant, not an older one */
	uint64_t lo = (uint64_t)(uintptr_t)p;
	for (unsigned i = ex->ngrants; i-- > 0;)
		if (ex->grants[i].lo == lo) {
			ex->grants[i] = ex->grants[--ex->ngrants];
			return;
		}
}

BPFBOX_API void bpfbox_exec__abort(struct bpfbox_exec *ex, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vm_error(ex, ex->pc, err < 0 ? err : -ECANCELED, "%s", msg);
	ex->stop = 1;
}

BPFBOX_API int bpfbox_exec__tail_call(struct bpfbox_exec *ex, struct bpfbox_prog *target)
{
	if (ex->tail_calls >= BPFBOX_MAX_TAIL_CALLS)
		return -E2BIG;
	/* A nested call (a callback) returns to the helper that made it; a
	 * tail call would leave it (bpfbox refuses, like an exhausted count). */
	if (ex->nest)
		return -E2BIG;
	/* A run without checks (a verified program) must not continue into an
	 * unverified one: the engines keep the run's mode across a tail call.
	 * The kernel never has the case (every program is verified); here the
	 * tail call fails like one to an empty slot, and the caller goes on. */
	if (!ex->checked && !target->verified)
		return -EPERM;
	ex->tail_calls++;
	ex->tail_target = target;
	ex->stop = 1;
	return 0;
}
