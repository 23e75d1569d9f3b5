/* bpfbox — vm.h: load and run eBPF programs.
 *
 * A `bpfbox_vm` holds what programs share: the allocator, the helper table
 * and the default run limits.  A `bpfbox_prog` is one loaded program: its
 * decoded instructions (and, once bpfbox_prog__jit() ran, native code).  A
 * program belongs to its VM; free the programs before the VM.
 *
 * Two ways to run (DESIGN.md, "Two ways to run safely"):
 *  - checked (the default): every load and store is checked against the
 *    regions the program may touch — the memory/context it was given, its
 *    stack, memory that helpers hand out, and whatever the VM's region hook
 *    accepts (map values) — and an instruction budget stops endless loops.
 *    A violation ends the run with -EFAULT / -ELOOP and a log line naming
 *    the instruction, the address and the size;
 *  - verified: once a verifier has proven the program safe it marks it with
 *    bpfbox_prog__set_verified(); runs then skip the checks.
 *
 * Thread safety: a program may run on several threads at once (each run has
 * its own registers and stack); loading, JIT and free are not concurrent
 * with runs of the same program.
 */
#ifndef BPFBOX_VM_H
#define BPFBOX_VM_H

#include "bpfbox/common.h"
#include "bpfbox/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfbox_vm;
struct bpfbox_prog;
struct bpfbox_exec; /* one run in progress; what helpers see */

/* ---- the VM ----------------------------------------------------------- */

struct bpfbox_vm_opts {
	size_t sz;
	bpfbox_alloc_fn alloc; /* NULL: realloc/free */
	void *alloc_ud;
	/* Checked-mode budget per run, in instructions (0: 1,000,000).  The
	 * count is conservative: a backward jump charges the whole loop body,
	 * so a run may stop slightly before this many instructions executed. */
	uint64_t insn_budget;
	/* Extra region check for checked mode: called for an access that is in
	 * none of the run's own regions.  Return true to allow.  The helpers
	 * layer installs one that knows map values. */
	bool (*region_hook)(void *ud, uint64_t addr, uint64_t len, bool write);
	void *region_hook_ud;
	/* The program a function value runs as a callback: `value` is what a
	 * pseudo lddw of a function (src 4) loads once the loader's resolver
	 * replaced it; return that callback's program (borrowed) or NULL.
	 * bpfbox_prog__jit() uses it to compile a program's callbacks along
	 * with it.  The helpers layer installs one (bpfbox_env__vm_opts). */
	struct bpfbox_prog *(*func_prog)(void *ud, uint64_t value);
	void *func_prog_ud;
};
#define bpfbox_vm_opts__last_field func_prog_ud

/* Create a VM.  *out receives the handle (caller frees with
 * bpfbox_vm__free).  Returns 0, -EINVAL (bad opts), -ENOMEM. */
BPFBOX_API int bpfbox_vm__new(struct bpfbox_vm **out, const struct bpfbox_vm_opts *opts);
/* Free a VM (NULL is fine).  Its programs must be freed first. */
BPFBOX_API void bpfbox_vm__free(struct bpfbox_vm *vm);

/* A helper function: the five argument registers in, r0 out.  `ex` is the
 * run that called it (bpfbox_exec__* below). */
typedef uint64_t (*bpfbox_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5, struct bpfbox_exec *ex);

/* Register (or replace, or with fn == NULL remove) helper `id`.  `name` is
 * borrowed and must outlive the VM (use a string literal).  `contract` is
 * an opaque pointer kept for the verifier (the helpers layer's prototype);
 * may be NULL.  Returns 0 or -EINVAL (id >= BPFBOX_MAX_HELPERS). */
#define BPFBOX_MAX_HELPERS 1024
BPFBOX_API int bpfbox_vm__set_helper(struct bpfbox_vm *vm, uint32_t id, const char *name,
				     bpfbox_helper_fn fn, const void *contract);
/* A leaf variant of helper `id` for verified code: a function that computes
 * the same result for a verified program's arguments, never stops the run
 * (no bpfbox_exec__abort, no tail call) and makes no nested call.  JIT code
 * of a verified program calls it directly, without recording the call site
 * or checking for a stop afterwards — the kernel's "inlined" helpers play
 * this part (its map lookups are direct calls into the map).  NULL
 * removes it; bpfbox_vm__set_helper clears it.  Returns 0, or -EINVAL (no
 * helper `id` registered). */
BPFBOX_API int bpfbox_vm__set_helper_leaf(struct bpfbox_vm *vm, uint32_t id,
					  bpfbox_helper_fn leaf);
/* A binder of helper `id` for verified code whose r1 at a call is a map
 * (an lddw of a map reference just before the call, in the same block):
 * the JIT hands it the map (r1's value) while it compiles, and the binder
 * returns a leaf (see above) made for that map, or NULL to call the leaf
 * or the helper as usual.  The JIT calls the function it returns with r1
 * and r2 in the first two SysV argument registers and takes r0 from its
 * result, so it may be declared with fewer parameters (cast to
 * bpfbox_helper_fn): bpfbox_map__lookup_fn is how map lookups are bound, as
 * the kernel's verifier binds them to their map's lookup.  NULL removes
 * it; bpfbox_vm__set_helper clears it.  Returns 0, or -EINVAL (no helper
 * `id` registered). */
typedef bpfbox_helper_fn (*bpfbox_helper_bind_fn)(uint64_t map);
BPFBOX_API int bpfbox_vm__set_helper_bind(struct bpfbox_vm *vm, uint32_t id,
					  bpfbox_helper_bind_fn bind);
/* Look up a helper; returns its function (NULL when absent) and optionally
 * its name and contract. */
BPFBOX_API bpfbox_helper_fn bpfbox_vm__helper(const struct bpfbox_vm *vm, uint32_t id,
					      const char **name, const void **contract);

/* ---- programs --------------------------------------------------------- */

/* Resolves the pseudo forms of lddw (src 1..6, RFC 9669 section 5.4) to the
 * 64-bit value the instruction loads: `src` is the form, imm/next_imm the
 * two immediates of the instruction.  Return 0 and set *value, or a
 * negative errno (the load fails naming the instruction). */
typedef int (*bpfbox_lddw_resolver)(void *ud, unsigned src, int32_t imm, int32_t next_imm,
				    uint64_t *value);

struct bpfbox_prog_opts {
	size_t sz;
	const char *name;        /* copied; for messages ("prog 'xdp_main'") */
	struct bpfbox_log *log;  /* where a rejection is explained; may be NULL */
	bpfbox_lddw_resolver resolve_lddw; /* NULL: pseudo lddw forms are rejected */
	void *resolve_ud;
	void *owner;             /* opaque back-pointer for helpers (e.g. the object) */
	/* The slot runs start at (0: the first).  A callback is the whole
	 * linked program entered at its function, so its slot numbers are
	 * the program's.  Must be an instruction's first slot. */
	size_t entry;
};
#define bpfbox_prog_opts__last_field entry

/* Decode insns[0..n) (copied) and prepare it to run.  Rejects invalid
 * encodings, jumps out of range, lddw without its second half, writes to
 * r10, unresolvable lddw forms, an entry that is not an instruction — with
 * "insn N: reason" in opts->log.
 * Returns 0 and *out (free with bpfbox_prog__free), -EINVAL, -ENOMEM,
 * -E2BIG. */
BPFBOX_API int bpfbox_prog__load(struct bpfbox_vm *vm, const struct bpfbox_insn *insns,
				 size_t n, const struct bpfbox_prog_opts *opts,
				 struct bpfbox_prog **out);
BPFBOX_API void bpfbox_prog__free(struct bpfbox_prog *prog);

/* Borrowed views of a loaded program. */
BPFBOX_API const struct bpfbox_insn *bpfbox_prog__insns(const struct bpfbox_prog *prog,
							size_t *n);
BPFBOX_API const char *bpfbox_prog__name(const struct bpfbox_prog *prog);
BPFBOX_API struct bpfbox_vm *bpfbox_prog__vm(const struct bpfbox_prog *prog);
BPFBOX_API void *bpfbox_prog__owner(const struct bpfbox_prog *prog);

/* Mark the program as proven safe: runs skip the checked-mode memory
 * checks and budget (and a later JIT emits no checks).  Only a verifier
 * should call this.  Marking a program verified also marks it as one that
 * may read stack bytes it never wrote (see below): a verifier that knows
 * better clears that with bpfbox_prog__set_zero_stack(prog, false)
 * afterwards, as bpfbox_prog__verify() does. */
BPFBOX_API void bpfbox_prog__set_verified(struct bpfbox_prog *prog, bool verified);
BPFBOX_API bool bpfbox_prog__verified(const struct bpfbox_prog *prog);

/* Stack zeroing of verified programs.  Like the kernel for root, the
 * verifier lets a program read stack slots it never wrote; unchecked runs
 * do not clear the eBPF stack, so such a read would see bytes the host left
 * there.  A verified program with `zero_stack` set has each frame zeroed
 * when it is entered (frame 0 at the start of a run, a callee's frame on a
 * bpf-to-bpf call or a nested call) on the interpreter and in its JIT code
 * (compile after setting it); with it clear, nothing is zeroed.  Checked
 * runs always zero frames.  Only a verifier that proved the program never
 * reads unwritten stack should clear it. */
BPFBOX_API void bpfbox_prog__set_zero_stack(struct bpfbox_prog *prog, bool zero);
BPFBOX_API bool bpfbox_prog__zero_stack(const struct bpfbox_prog *prog);

/* Which engine runs a program. */
enum bpfbox_engine {
	BPFBOX_ENGINE_DEFAULT = 0, /* JIT code when the program has it, else interpreter */
	BPFBOX_ENGINE_INTERP = 1,  /* the interpreter (computed-goto dispatch) */
	BPFBOX_ENGINE_INTERP_SWITCH = 2, /* the interpreter built with switch dispatch */
	BPFBOX_ENGINE_JIT = 3,     /* JIT code; -ENOTSUP when the program has none */
};
/* Nested calls (bpfbox_exec__call) follow the run's choice: on the
 * interpreter in an interpreter run, on their program's JIT code (when it
 * has code the call may use, else the interpreter) in a JIT or default run. */

struct bpfbox_run_opts {
	size_t sz;
	/* r1 = mem, r2 = mem_len at entry (the conformance/`bpfbox run`
	 * convention).  The memory is a region the program may read and write
	 * in checked mode.  When ctx is set instead, r1 = ctx and the context
	 * region is [ctx, ctx + ctx_len). */
	void *mem;
	size_t mem_len;
	/* Packet bytes for LD_ABS/LD_IND (NULL: the mem region). */
	const void *pkt;
	size_t pkt_len;
	int engine;              /* enum bpfbox_engine */
	uint64_t insn_budget;    /* 0: the VM's */
	struct bpfbox_log *log;  /* runtime errors ("insn 7: ...") */
	void *hook;              /* opaque per-run data for helpers (the event) */
	bool ctx_readonly;       /* the mem region may not be written */
};
#define bpfbox_run_opts__last_field ctx_readonly

/* Run the program once.  Returns 0 with *r0 set when the program exited
 * normally; otherwise a negative errno and a log line naming the
 * instruction:
 *   -EFAULT  checked mode: a load/store outside every permitted region, or
 *            a helper refused a pointer argument;
 *   -ELOOP   the instruction budget ran out;
 *   -ENOENT  call of a helper id that is not registered;
 *   -EOVERFLOW call depth above 8 frames;
 *   -ENOTSUP engine not available for this program;
 *   -ECANCELED a helper stopped the program (bpfbox_exec__abort).  */
BPFBOX_API int bpfbox_prog__run(struct bpfbox_prog *prog, const struct bpfbox_run_opts *opts,
				uint64_t *r0);

/* ---- what helpers may use during a run --------------------------------- */

BPFBOX_API struct bpfbox_prog *bpfbox_exec__prog(const struct bpfbox_exec *ex);
BPFBOX_API void *bpfbox_exec__hook(const struct bpfbox_exec *ex);
BPFBOX_API bool bpfbox_exec__checked(const struct bpfbox_exec *ex);
/* Check that [addr, addr+len) is memory the program may read (write=false)
 * or write.  0 or -EFAULT.  Always 0 for verified programs. */
BPFBOX_API int bpfbox_exec__check_mem(struct bpfbox_exec *ex, uint64_t addr, uint64_t len,
				      bool write);
/* Grant the program access to [p, p+len) for the rest of the run (memory a
 * helper returns, e.g. a ring buffer record).  0 or -ENOSPC. */
BPFBOX_API int bpfbox_exec__grant(struct bpfbox_exec *ex, void *p, uint64_t len, bool writable);
/* Revoke a grant (e.g. after ringbuf submit). */
BPFBOX_API void bpfbox_exec__revoke(struct bpfbox_exec *ex, void *p);
/* Stop the program after the helper returns: the run returns `err`
 * (negative errno, e.g. -ECANCELED) and logs the message. */
BPFBOX_API void bpfbox_exec__abort(struct bpfbox_exec *ex, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Request a tail call: when the helper returns, the run continues at the
 * start of `target` with the same r1 and stack, unless the run already made
 * 33 tail calls (then the helper's caller continues, like the kernel).
 * Returns 0, -E2BIG when the limit is reached, or -EPERM when a verified
 * (unchecked) run would continue into an unverified program. */
BPFBOX_API int bpfbox_exec__tail_call(struct bpfbox_exec *ex, struct bpfbox_prog *target);
/* The index of the instruction being executed (the helper call). */
BPFBOX_API size_t bpfbox_exec__pc(const struct bpfbox_exec *ex);
/* The run's memory/context region (what r1 pointed to at entry): its
 * address (NULL: none), *len its size, *writable whether the program may
 * write it.  len and writable may be NULL. */
BPFBOX_API void *bpfbox_exec__ctx(const struct bpfbox_exec *ex, size_t *len, bool *writable);

/* Whether [addr, addr+len) is the run's own memory — its context/memory
 * region, its eBPF stack, memory granted to it, or what the VM's region
 * hook admits (map values, ring buffer records) — in checked and verified
 * runs alike (bpfbox_exec__check_mem says yes to anything in a verified
 * run; this does not).  bpfbox's counterpart of "a kernel address": the
 * helpers read such memory directly and anything else as user memory. */
BPFBOX_API bool bpfbox_exec__owns(struct bpfbox_exec *ex, uint64_t addr, uint64_t len);

/* Run `fn` as a nested call of the current run (what bpf_loop and
 * bpf_for_each_map_elem do with their callbacks): from its slot 0 with
 * r1..r5, in the frame below the one that called the helper, on the same
 * eBPF stack — the call counts against the 8 frames — with the run's
 * context, packet, granted memory, hook and instruction budget.  It runs
 * checked unless both the run and `fn` are verified (a verified callback
 * trusts its arguments, which only a verified caller guarantees), on the
 * engine the run chose (see enum bpfbox_engine).  Tail calls inside it are
 * refused.  Call it from a helper only.
 * Returns 0 and *r0; or a negative errno when fn failed (-EFAULT, -ELOOP,
 * ... with its log line naming fn's instruction) or could not start
 * (-EOVERFLOW: no frame left; -EINVAL: fn of another VM); then the run is
 * stopped with that error once the helper returns. */
BPFBOX_API int bpfbox_exec__call(struct bpfbox_exec *ex, struct bpfbox_prog *fn, uint64_t r1,
				 uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t *r0);

#define BPFBOX_MAX_TAIL_CALLS 33

#ifdef __cplusplus
}
#endif
#endif
