/* bpfbox — jit/jit.h: what the x86-64 code generator, its run-time support
 * and the public entry points share.
 *
 * JIT'd code keeps one block of per-run state on the native stack, the
 * `struct jit_ctx` below, and addresses it through r12 for the whole run
 * (see jit_x86_64.c for the register map).  The generator reads the field
 * offsets with offsetof(), the run-time functions (jit_rt.c) read the same
 * struct from C, so the two cannot disagree.  Hot fields come first so the
 * generated code reaches them with 8-bit displacements.
 */
#ifndef BPFBOX_JIT_INTERNAL_H
#define BPFBOX_JIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "bpfbox/jit.h"
#include "vm/vm.h"

struct jit_ctx {
	struct bpfbox_exec *ex; /* the run */
	uint64_t budget;        /* checked mode: instructions left (charged per basic block;
				 * lives in r9 while JIT code runs, here across the run-time
				 * functions; across helper calls in ex->budget) */
	uint64_t r10_entry;     /* r10 of the frame this code was entered in: an exit there
				 * leaves the code, deeper ones return to their caller */
	uint64_t r10_min;       /* lowest r10 that may still make a bpf-to-bpf call
				 * (the frame above the 8th) */
	/* checked mode, the r1 region: an access of 1 << k bytes at a is in it
	 * iff a - mem_lo < mem_lim_ld[k] (loads) / mem_lim_st[k] (stores),
	 * unsigned, where the limit is len - size + 1; a region shorter than
	 * the access (or read-only, for stores) gets 0, which nothing is
	 * below. */
	uint64_t mem_lo;
	uint64_t mem_lim_ld[4];
	uint64_t mem_lim_st[4];
	uint64_t stk_hi[4];     /* stack_hi - (1 << k): the live stack's upper bound */
	uint64_t r1_save;       /* r1 at the last helper call: the context a tail call keeps */
	uint64_t tmp;           /* scratch slot (atomics save r0 here) */
	uint64_t operand;       /* fetch-or/and/xor: the operand */
	uint64_t rdx_save;      /* division, checked mode: r3 while rdx is div's */
	uint64_t regs[12];      /* spill area of the cold paths: eBPF r0..r10, then x86 r11 */
};
/* The prologue pushes six registers after the return address, so the block
 * must be 8 mod 16 bytes long for rsp to be 16-byte aligned at helper calls. */
_Static_assert(sizeof(struct jit_ctx) % 16 == 8, "jit_ctx keeps rsp 16-byte aligned");

/* What the JIT attaches to a program (prog->jit points at `base`). */
struct jit_code {
	struct vm_jit_code base;
	void *image;            /* the RX mapping */
	size_t map_len;         /* its length (whole pages) */
	size_t len;             /* bytes of code in it */
	void *tail_entry;       /* where a tail call from other JIT code enters */
	const struct util_alloc *alloc;
};

/* The generator's result: machine code for `image_base` (whose address
 * the caller chose before generating, because near calls depend on it). */
struct jit_gen_opts {
	bool checked;
	bool blind;
	bool zero_stack; /* unchecked code: zero the frame of each bpf-to-bpf call */
	struct bpfbox_log *log;
};
struct jit_image {
	uint8_t *code;  /* malloc'd through the VM's allocator: len bytes */
	size_t len;
	size_t cap;
	size_t tail_entry; /* offset of the tail-call entry */
};

/* Generate code for prog (jit_x86_64.c).  Allocates the final RX mapping
 * through the callbacks below.  Returns 0, -ENOMEM, or -ENOTSUP with
 * *why set to a static reason. */
typedef void *(*jit_map_fn)(void *ud, size_t upper_bound);
int jit_x86_64_generate(struct bpfbox_prog *prog, const struct jit_gen_opts *o,
			jit_map_fn map, void *map_ud, struct jit_image *out, const char **why);

/* ---- run-time support called from generated code (jit_rt.c) ----------- */

/* Results of jit_rt_stop(), or a tail entry address when larger. */
enum { JIT_STOP_CONTINUE = 0, JIT_STOP_ERROR = 1, JIT_STOP_TO_VM = 2 };

void jit_rt_enter(struct jit_ctx *jc);
uint64_t jit_rt_check(struct bpfbox_exec *ex, uint64_t addr, uint64_t info);
uint64_t jit_rt_stop(struct jit_ctx *jc);
uint64_t jit_rt_budget(struct jit_ctx *jc, uint64_t pc);
uint64_t jit_rt_callx(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		      struct bpfbox_exec *ex, uint64_t id);
void jit_rt_misaligned(struct bpfbox_exec *ex, uint64_t pc, uint64_t size, uint64_t addr);
void jit_rt_unknown_helper(struct bpfbox_exec *ex, uint64_t pc, uint64_t id);
void jit_rt_kfunc(struct bpfbox_exec *ex, uint64_t pc, uint64_t id);
void jit_rt_depth(struct bpfbox_exec *ex, uint64_t pc);
void jit_rt_fell_off(struct bpfbox_exec *ex, uint64_t pc);

/* jit_rt_check's `info` argument packs the access: pc << 4 | log2(size) << 1 | write. */
#define JIT_CHECK_INFO(pc, lg, w) ((uint64_t)(pc) << 4 | (uint64_t)(lg) << 1 | (uint64_t)(w))

/* The JIT code of a program when it is ours (for JIT-to-JIT tail calls). */
struct jit_code *jit_code_of(const struct bpfbox_prog *prog);

#endif
