/* bpfbox — vm/vm.h: the VM's internal structures, shared with the JIT.
 *
 * A run's state lives in `struct bpfbox_exec`, on the C stack of
 * bpfbox_prog__run(): the program, the checked-mode regions, the budget,
 * the tail-call request, the error of an aborted run, and the eBPF stack
 * itself (BPFBOX_MAX_CALL_DEPTH frames of 512 bytes).  Frame 0 is at the
 * top of that block and deeper frames grow downward, so r10 of frame k is
 * stack + (MAX_CALL_DEPTH - k) * 512.  In checked mode the accessible stack
 * is [r10 of the deepest live frame - 512, top): frames are zeroed when they
 * are entered, so a program never reads stale host bytes, and a frame that
 * returned is out of reach again.
 *
 * Verified programs run without those checks, and without the zeroing
 * unless the verifier found a path that may read stack bytes the program
 * never wrote (prog->zero_stack): then every frame is zeroed on entry in
 * unchecked runs too, and the run carries the flag (ex->zero_stack) into
 * the frames of bpf-to-bpf calls and nested calls.  A program that only
 * reads what it wrote pays nothing.
 *
 * Nested calls (bpfbox_exec__call, the callbacks of bpf_loop and
 * bpf_for_each_map_elem) run another program in the next frame of the
 * same stack: an engine starts in the frame whose r10 is ex->entry_r10
 * (set by the VM) at depth ex->depth, and its `exit` at that depth returns
 * to the VM.  Engines record the r10 of the frame that calls a helper in
 * ex->call_r10 and, in checked mode, the budget left in ex->budget, so a
 * nested call knows where its frame goes and draws on the same budget.
 *
 * The JIT reads the offsets of these fields (offsetof) to emit inline
 * checks and calls; keep the fast-path fields first.
 */
#ifndef BPFBOX_VM_INTERNAL_H
#define BPFBOX_VM_INTERNAL_H

#include "bpfbox/vm.h"
#include "isa/isa.h"
#include "util/util.h"

#define VM_DEFAULT_BUDGET 1000000u
#define VM_MAX_GRANTS 64
#define VM_STACK_BYTES (BPFBOX_STACK_SIZE * BPFBOX_MAX_CALL_DEPTH)

struct vm_helper {
	bpfbox_helper_fn fn;
	bpfbox_helper_fn leaf; /* for verified code: never stops, no nested calls */
	bpfbox_helper_bind_fn bind; /* verified code, r1 a known map: a leaf for it */
	const char *name;
	const void *contract;
};

struct bpfbox_vm {
	struct util_alloc alloc;
	uint64_t insn_budget;
	bool (*region_hook)(void *ud, uint64_t addr, uint64_t len, bool write);
	void *region_hook_ud;
	struct bpfbox_prog *(*func_prog)(void *ud, uint64_t value);
	void *func_prog_ud;
	struct vm_helper helpers[BPFBOX_MAX_HELPERS];
};

/* Native code attached by the JIT layer (jit/): the vm layer only calls it
 * through this pointer, so vm/ never includes jit/.  The entry takes r1..r5
 * in the SysV argument registers (which are where the JIT keeps them) and
 * the run; it starts in the frame ex->entry_r10. */
typedef uint64_t (*vm_jit_entry)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				 uint64_t r5, struct bpfbox_exec *ex);
struct vm_jit_code {
	vm_jit_entry entry;
	bool checked;    /* compiled with checked-mode memory checks and budget */
	bool zero_stack; /* unchecked code that zeroes the frames of bpf-to-bpf calls */
	void (*release)(struct vm_jit_code *code);
};

struct bpfbox_prog {
	struct bpfbox_vm *vm;
	char *name;
	struct bpfbox_insn *raw;  /* copy of the input (lddw pseudo forms resolved in `code`) */
	struct isa_prog code;     /* decoded, one isa_insn per slot */
	void *owner;
	uint32_t entry;           /* slot runs start at (a callback's function) */
	bool verified;
	bool zero_stack;          /* verified, but may read stack it never wrote */
	struct vm_jit_code *jit;  /* NULL until bpfbox_prog__jit() */
};

struct vm_region {
	uint64_t lo, hi; /* [lo, hi) */
	bool writable;
};

struct vm_frame {
	uint64_t saved[4]; /* r6..r9 of the caller */
	uint64_t r10;
	uint32_t ret_pc;
};

struct bpfbox_exec {
	/* fast-path fields (the JIT reads them at fixed offsets) */
	uint64_t mem_lo, mem_hi;     /* r1 region */
	uint64_t stack_lo, stack_hi; /* live stack: [deepest frame bottom, top) */
	uint64_t budget;             /* instructions left (checked mode; current at helper calls) */
	uint8_t mem_writable;
	uint8_t checked;
	uint8_t stop;                /* a helper aborted or asked for a tail call */
	uint8_t zero_stack;          /* unchecked run: zero the frames it enters */
	int err;                     /* error of an aborted run */
	uint64_t call_r10;           /* r10 of the frame calling the current helper */
	uint64_t entry_r10;          /* r10 of the frame an engine starts in */
	/* state that starts at zero */
	size_t pc;                   /* slot of the current helper call / fault */
	struct bpfbox_prog *tail_target;
	unsigned tail_calls;
	unsigned nest;               /* nested calls (bpfbox_exec__call) in progress */
	unsigned ngrants;
	uint8_t frame0_clean;        /* frame 0 was zeroed this run (holds no host bytes) */
	/* bpfbox_prog__run clears everything above (at most 128 bytes: a
	 * longer `rep stos` leaves the CPUs' fast short-string path and
	 * costs a short run a third of its time) and assigns what follows */
	struct vm_region grants[VM_MAX_GRANTS];
	uint64_t budget0;            /* the run's whole budget, for messages */
	struct bpfbox_prog *prog;    /* the program running now (changes on tail calls) */
	struct bpfbox_vm *vm;
	void *hook;
	struct bpfbox_log *log;
	const uint8_t *pkt;
	uint64_t pkt_len;
	uint8_t engine;              /* the run's enum bpfbox_engine (nested calls follow it) */
	unsigned depth;              /* interpreter: current call depth (0 = main) */
	struct vm_frame frames[BPFBOX_MAX_CALL_DEPTH];
	uint8_t stack[VM_STACK_BYTES] __attribute__((aligned(16)));
};
_Static_assert(offsetof(struct bpfbox_exec, grants) <= 128, "the cleared part of a run's state");

/* [a, a+size) inside [lo, hi)?  Written so that no sum can wrap: an
 * address near 2^64 must not pass by overflowing a + size. */
static inline bool vm_in_range(uint64_t a, uint64_t size, uint64_t lo, uint64_t hi)
{
	return a - lo < hi - lo && hi - a >= size;
}

/* Slow path of the checked-mode memory check: grants, then the VM's region
 * hook.  Returns true when the access is allowed.  (The fast path, mem and
 * stack, is inlined by the engines.) */
bool vm_check_slow(struct bpfbox_exec *ex, uint64_t addr, uint64_t len, bool write);

/* Record a memory fault at slot `pc` (log line, ex->err = -EFAULT). */
void vm_fault(struct bpfbox_exec *ex, size_t pc, uint64_t addr, uint64_t len, bool write);

/* Record a run-time error at slot `pc` with a message. */
void vm_error(struct bpfbox_exec *ex, size_t pc, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The interpreter variants (interp.c): dispatch by computed goto or by
 * switch, with or without checked-mode checks.  They run ex->prog from its
 * slot 0 with r1..r5 = args[0..4], in the frame ex->entry_r10 at depth
 * ex->depth (the caller set up, and zeroed when needed, that frame), and
 * return 0 and set *r0, or a negative errno (ex->err) with the log line
 * already written. */
typedef int (*vm_interp_fn)(struct bpfbox_exec *ex, const uint64_t args[5], uint64_t *r0);
int vm_interp_goto_checked(struct bpfbox_exec *ex, const uint64_t args[5], uint64_t *r0);
int vm_interp_goto_unchecked(struct bpfbox_exec *ex, const uint64_t args[5], uint64_t *r0);
int vm_interp_switch_checked(struct bpfbox_exec *ex, const uint64_t args[5], uint64_t *r0);
int vm_interp_switch_unchecked(struct bpfbox_exec *ex, const uint64_t args[5], uint64_t *r0);

/* The top of the eBPF stack (r10 of frame 0). */
static inline uint64_t vm_stack_top(const struct bpfbox_exec *ex)
{
	return (uint64_t)(uintptr_t)(ex->stack + VM_STACK_BYTES);
}

/* A tail call to `target` is about to start (the stack carries over): when
 * the target may read stack it never wrote and frame 0 was not zeroed this
 * run, zero it now, and carry the target's flag into the run. */
void vm_tail_enter(struct bpfbox_exec *ex, const struct bpfbox_prog *target);

/* Whether JIT code `jit` may run `prog` in a run that is checked or not
 * and zeroes entered frames or not. */
static inline bool vm_jit_usable(const struct vm_jit_code *jit, bool checked, bool zero)
{
	return jit && (jit->checked || (!checked && (jit->zero_stack || !zero)));
}

/* The program a function value (lddw src 4 after resolution) runs as a
 * callback, through the VM's func_prog hook; NULL when unknown. */
struct bpfbox_prog *vm_func_prog(const struct bpfbox_prog *prog, uint64_t value);

/* Shared semantics primitives used by isa.def's SEM column (and by the JIT's
 * slow paths): RFC 9669 division, byte order. */
static inline uint64_t udiv64(uint64_t a, uint64_t b) { return b ? a / b : 0; }
static inline uint64_t umod64(uint64_t a, uint64_t b) { return b ? a % b : a; }
static inline uint64_t udiv32(uint64_t a, uint64_t b)
{
	return (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0;
}
static inline uint64_t umod32(uint64_t a, uint64_t b)
{
	return (uint32_t)b ? (uint32_t)a % (uint32_t)b : (uint32_t)a;
}
static inline uint64_t sdiv64(uint64_t a, uint64_t b)
{
	int64_t x = (int64_t)a, y = (int64_t)b;
	if (y == 0)
		return 0;
	if (y == -1)
		return 0 - a; /* INT64_MIN / -1 wraps to INT64_MIN */
	return (uint64_t)(x / y);
}
static inline uint64_t smod64(uint64_t a, uint64_t b)
{
	int64_t x = (int64_t)a, y = (int64_t)b;
	if (y == 0)
		return a;
	if (y == -1)
		return 0;
	return (uint64_t)(x % y);
}
static inline uint64_t sdiv32(uint64_t a, uint64_t b)
{
	int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;
	if (y == 0)
		return 0;
	if (y == -1)
		return (uint32_t)(0u - (uint32_t)x);
	return (uint32_t)(x / y);
}
static inline uint64_t smod32(uint64_t a, uint64_t b)
{
	int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;
	if (y == 0)
		return (uint32_t)a;
	if (y == -1)
		return 0;
	return (uint32_t)(x % y);
}
static inline uint64_t bswap_16(uint64_t v) { return __builtin_bswap16((uint16_t)v); }
static inline uint64_t bswap_32(uint64_t v) { return __builtin_bswap32((uint32_t)v); }
static inline uint64_t bswap_64(uint64_t v) { return __builtin_bswap64(v); }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint64_t to_le16(uint64_t v) { return (uint16_t)v; }
static inline uint64_t to_le32(uint64_t v) { return (uint32_t)v; }
static inline uint64_t to_le64(uint64_t v) { return v; }
static inline uint64_t to_be16(uint64_t v) { return bswap_16(v); }
static inline uint64_t to_be32(uint64_t v) { return bswap_32(v); }
static inline uint64_t to_be64(uint64_t v) { return bswap_64(v); }
#else
static inline uint64_t to_le16(uint64_t v) { return bswap_16(v); }
static inline uint64_t to_le32(uint64_t v) { return bswap_32(v); }
static inline uint64_t to_le64(uint64_t v) { return bswap_64(v); }
static inline uint64_t to_be16(uint64_t v) { return (uint16_t)v; }
static inline uint64_t to_be32(uint64_t v) { return (uint32_t)v; }
static inline uint64_t to_be64(uint64_t v) { return v; }
#endif

#endif
