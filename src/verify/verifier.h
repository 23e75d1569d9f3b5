/* bpfbox — verify/verifier.h: the verifier's private structures.
 *
 * The algorithm and the invariants are explained at the top of
 * verifier.c; this header only declares the pieces the files of this
 * folder share: tnums (tnum.c), scalar arithmetic and branch refinement
 * (bounds.c), states and their comparison (state.c), the program structure
 * (cfg.c), memory access rules and context layouts (check_mem.c), helper
 * calls (check_call.c) and the log (log.c).  Prefix: vrf_.
 */
#ifndef BPFBOX_VERIFY_INTERNAL_H
#define BPFBOX_VERIFY_INTERNAL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "bpfbox/verify.h"
#include "bpfbox/prog_types.h"
#include "isa/isa.h"
#include "helpers/helpers.h"

/* ---- tristate numbers (tnum.c) -------------------------------------------
 * A tnum is a set of 64-bit values: bits set in `mask` are unknown, the
 * others equal the bits of `value` (value & mask == 0 always). */
struct tnum {
	uint64_t value, mask;
};
#define TNUM(v, m) ((struct tnum){ (v), (m) })
extern const struct tnum tnum_unknown;
struct tnum tnum_const(uint64_t v);
struct tnum tnum_range(uint64_t min, uint64_t max);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_neg(struct tnum a);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_lshift(struct tnum a, unsigned s);
struct tnum tnum_rshift(struct tnum a, unsigned s);
struct tnum tnum_arshift(struct tnum a, unsigned s, unsigned bits);
struct tnum tnum_intersect(struct tnum a, struct tnum b);
struct tnum tnum_union(struct tnum a, struct tnum b);
struct tnum tnum_cast(struct tnum a, unsigned bytes);
struct tnum tnum_subreg(struct tnum a);
struct tnum tnum_clear_subreg(struct tnum a);
struct tnum tnum_with_subreg(struct tnum reg, struct tnum subreg);
bool tnum_is_const(struct tnum a);
bool tnum_is_unknown(struct tnum a);
bool tnum_in(struct tnum outer, struct tnum inner); /* inner ⊆ outer */
bool tnum_is_aligned(struct tnum a, uint64_t size);
int tnum_sbin(char *buf, size_t n, struct tnum a);
int tnum_str(char *buf, size_t n, struct tnum a);

/* ---- abstract registers --------------------------------------------------- */

enum vtype {
	V_NOT_INIT = 0, /* never written: reading it is an error */
	V_SCALAR,       /* a number */
	V_CTX,          /* the program's context (r1 at entry) */
	V_MAP_PTR,      /* a map (lddw map): aux = map index */
	V_MAP_VALUE,    /* into a map value: aux = map index */
	V_MAP_KEY,      /* a map key handed to a callback: aux = map index */
	V_STACK,        /* into the stack of frame `frameno` */
	V_PKT,          /* packet data: aux = bytes proven readable from the base */
	V_PKT_META,     /* packet metadata (before data): aux = range */
	V_PKT_END,      /* one past the packet's last byte */
	V_MEM,          /* memory of aux bytes a helper returned (ringbuf record) */
	V_FUNC,         /* a subprogram (lddw func): aux = subprog index */
	V_BTF_ID,       /* a kernel object (task_struct): not dereferenceable here */
	V_SOCK_COMMON,  /* skb->sk */
	V__COUNT
};

enum vflag {
	VF_NULL = 1,    /* may be NULL: must be checked before use */
	VF_RDONLY = 2,  /* memory the program may only read */
	VF_RINGBUF = 4, /* a ringbuf record (released by submit/discard) */
};

struct vreg {
	uint8_t type;    /* enum vtype */
	uint8_t flags;   /* enum vflag */
	uint8_t frameno; /* V_STACK: which frame */
	uint8_t pad_;
	int32_t off;     /* pointers: fixed offset */
	uint32_t id;     /* null check / packet range / linked scalars */
	uint32_t ref;    /* acquired reference (ringbuf record), 0: none */
	uint32_t aux;    /* see enum vtype */
	int32_t born;    /* instruction that created the value (messages only) */
	struct tnum var; /* scalars: the value; pointers: the variable offset */
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32min, s32max;
	uint32_t u32min, u32max;
};

static inline bool vrf_is_ptr(const struct vreg *r)
{
	return r->type != V_SCALAR && r->type != V_NOT_INIT;
}

/* ---- stack ---------------------------------------------------------------- */

enum vslot_kind { SK_INVALID = 0, SK_MISC, SK_ZERO, SK_SPILL };

/* One 8-byte stack slot: slot i of a frame covers [fp-8(i+1), fp-8i).
 * kind[b] is the kind of byte b (little-endian: b = 0 is the lowest
 * address).  When bytes 0..spill_size-1 are SK_SPILL, `spill` is the
 * register stored there (pointers: always the whole slot). */
struct vslot {
	uint8_t kind[8];
	uint8_t spill_size;
	struct vreg spill;
};

#define VRF_SLOTS (BPFBOX_STACK_SIZE / 8)
#define VRF_MAX_FRAMES BPFBOX_MAX_CALL_DEPTH
#define VRF_MAX_REFS 16

struct vframe {
	struct vreg regs[BPFBOX_MAX_REG + 1];
	int32_t callsite;    /* call instruction that created the frame, -1 for main */
	uint16_t subprog;
	uint8_t cb_kind;     /* 0: normal call; else the callback's helper kind (enum vrf_cb) */
	uint8_t nslots;      /* slots allocated (deepest access so far) */
	struct vslot *slots; /* nslots of them */
};

struct vref {
	uint32_t id;
	int32_t insn; /* where it was acquired */
};

struct vstored;
struct vstate {
	uint32_t nframes;
	struct vframe *frames[VRF_MAX_FRAMES];
	uint32_t nrefs;
	struct vref refs[VRF_MAX_REFS];
	uint32_t lock_id;    /* id of the map value pointer whose lock is held, 0: none */
	int32_t lock_map;    /* map index of the held lock */
	int32_t lock_insn;
	/* callback calls that returned on this path (the kernel's
	 * callback_unroll_depth): states of different calls of a callback
	 * are never "the same state again", whatever their registers */
	uint32_t cb_calls;
	struct vstored *parent; /* newest stored ancestor (for completion counting) */
};

static inline struct vframe *vrf_cur(struct vstate *s) { return s->frames[s->nframes - 1]; }

/* A state kept for pruning at an instruction. */
struct vstored {
	struct vstored *next;    /* same instruction */
	struct vstored *parent;  /* stored ancestor */
	uint32_t branches;       /* paths still being explored below it; 0: complete */
	uint32_t insn;
	uint32_t hit, miss;
	bool evicted;            /* out of the list; freed when complete */
	bool cb_iter;            /* stored at a callback's call site on its return: a next call */
	struct vstored *gprev, *gnext; /* evicted and still in progress: env->graveyard */
	struct vstate st;
};

/* ---- maps and subprograms ------------------------------------------------ */

struct vmap {
	struct bpfbox_map_desc d;
	unsigned ns;   /* 0: map fd namespace (src 1/2), 1: index namespace (src 5/6), 2: inner */
	int32_t key;   /* imm naming it */
};

struct vsub {
	uint32_t start, end;   /* [start, end) */
	uint32_t stack_depth;  /* deepest byte of its frame the program touched */
	bool is_cb;            /* used as a callback */
	bool has_tail_call;
	bool has_ld_abs;
};

enum vrf_cb { CB_NONE = 0, CB_LOOP, CB_FOR_EACH };

/* ---- the environment of one verification --------------------------------- */

struct venv {
	const struct isa_insn *insn;
	size_t n;
	int prog_type;
	uint32_t ctx_size;
	int attach_type;
	bool gpl;
	struct bpfbox_log *log;
	bpfbox_map_info_fn map_info;
	void *map_ud;
	bpfbox_helper_info_fn helper_info;
	void *helper_ud;
	uint64_t max_processed;
	bool func_info;

	/* structure (cfg.c) */
	uint32_t nsub;
	struct vsub *sub;
	uint16_t *insn_sub;    /* subprog of each instruction */
	uint16_t *live;        /* registers live before each instruction (bit r) */
	uint16_t *rel;         /* registers whose scalar value may still matter (see cfg.c) */
	uint64_t *rel_stack;   /* stack slots (bit k: fp-8(k+1)) of the frame likewise */
	uint8_t *prune_point;  /* states are compared/stored here */
	uint8_t *is_cb_call;   /* helper calls that run a callback */

	/* maps */
	uint32_t nmaps;
	struct vmap maps[64];

	/* exploration */
	struct vstate cur;
	uint32_t insn_idx;
	uint32_t prev_insn;
	uint32_t id_gen;
	struct vstored **explored; /* per instruction */
	struct vstored *graveyard; /* evicted states still in progress */
	struct vpending *stack;    /* pending branches */
	uint32_t nstack, capstack;
	uint64_t processed;
	uint64_t nstates, live_states, peak_states, pruned;
	uint64_t jmps, last_store_jmps, last_store_insns;
	uint32_t max_stack;
	bool verbose;             /* log level >= INFO: trace */
	int64_t err_insn;
	int64_t uninit_insn;      /* first insn seen reading stack bytes never written, -1 */
	bool failed;
	bool cb_reentry;          /* a callback returned: the next state is its next call */
	int err;
	char *msgbuf;             /* the first error line */
};

struct vpending {
	struct vstate st;
	uint32_t insn;
	uint32_t prev;
};

/* ---- bounds.c -------------------------------------------------------------- */
void vrf_mark_unknown(struct vreg *r);
void vrf_mark_known(struct vreg *r, uint64_t v);
void vrf_mark_not_init(struct vreg *r);
void vrf_bounds_sync(struct vreg *r);
void vrf_zext32(struct vreg *r);
void vrf_set_size_bounds(struct vreg *r, unsigned bytes, bool sign);
bool vrf_is_const(const struct vreg *r);
bool vrf_scalar_bounds_ok(const struct vreg *r);
/* dst = dst OP src for scalars; op is the isa row; returns false if the
 * op is not a scalar ALU op. */
void vrf_scalar_alu(struct vreg *dst, const struct vreg *src, enum isa_op op);
/* 1 taken, 0 not taken, -1 unknown; for scalar operands. */
int vrf_branch_taken(const struct vreg *a, const struct vreg *b, enum isa_op op);
/* Refine a (and b) assuming the comparison `a op b` is `taken`. */
void vrf_refine(struct vreg *a, struct vreg *b, enum isa_op op, bool taken);
void vrf_add_const_off(struct vreg *ptr, int64_t v);

/* ---- state.c -------------------------------------------------------------- */
int vrf_state_copy(struct vstate *dst, const struct vstate *src);
void vrf_state_free(struct vstate *s);
struct vframe *vrf_frame_new(void);
int vrf_frame_grow(struct vframe *f, unsigned nslots);
/* Does the explored `old` state cover `cur` (every concrete state of cur is
 * one of old's, on everything live)?  exact: equal instead of covered. */
bool vrf_states_covered(struct venv *env, const struct vstate *old, const struct vstate *cur,
			uint32_t insn, bool exact);
/* Apply f to every register and spilled register of every frame. */
void vrf_for_each_reg(struct vstate *s, void (*f)(struct vreg *r, void *ud), void *ud);

/* ---- cfg.c ------------------------------------------------------------------ */
int vrf_check_cfg(struct venv *env);
int vrf_check_stack_depth(struct venv *env);
int vrf_find_subprog(const struct venv *env, uint32_t insn);

/* ---- check_mem.c -------------------------------------------------------------- */
enum vaccess { ACC_READ, ACC_WRITE };
/* Check an access of `size` bytes at reg + off; on a read with `dst`
 * non-NULL, set *dst to the loaded value.  `sign`: sign-extending load.
 * `strict`: alignment required (atomics). */
int vrf_check_mem(struct venv *env, uint32_t regno, const struct vreg *reg, int32_t off,
		  unsigned size, enum vaccess t, struct vreg *dst, const struct vreg *val,
		  bool sign, bool strict, bool atomic);
/* Memory of `size` bytes (umin..umax when variable) passed to a helper. */
int vrf_check_helper_mem(struct venv *env, uint32_t regno, const struct vreg *reg,
			 uint64_t size_min, uint64_t size_max, enum vaccess t, bool uninit_ok);
int vrf_ctx_entry(struct venv *env, struct vreg *r1, struct vreg *r2);
struct vslot *vrf_slot(struct venv *env, struct vframe *f, int32_t off);
/* A read of the bytes [lo, hi) of frame f (offsets from its fp): when any
 * of them may never have been written, note it (env->uninit_insn). */
void vrf_note_stack_read(struct venv *env, const struct vframe *f, int64_t lo, int64_t hi);
/* Reject an lddw at slot i whose pseudo form names nothing (no such map,
 * a direct value outside an array's value, kernel BTF ids). */
int vrf_check_lddw_form(struct venv *env, uint32_t i);
void vrf_stack_note_depth(struct venv *env, struct vframe *f, int32_t lowest);

/* ---- check_call.c ------------------------------------------------------------- */
const struct hlp_contract *vrf_builtin_contract(uint32_t id);
int vrf_check_helper(struct venv *env, const struct isa_insn *in);
int vrf_check_local_call(struct venv *env, const struct isa_insn *in, uint32_t target, int cbkind);
int vrf_check_exit(struct venv *env);
void vrf_clobber_caller_saved(struct vframe *f);
bool vrf_map_type_ok_for_helper(uint32_t helper, uint32_t map_type);

/* ---- log.c ------------------------------------------------------------------ */
/* The rejection: "<insn>: <message>" at ERROR level; returns -EACCES (or err). */
int vrf_reject(struct venv *env, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vrf_trace(struct venv *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *vrf_type_name(const struct vreg *r);
int vrf_reg_str(char *buf, size_t n, const struct vreg *r, const struct venv *env);
void vrf_log_state(struct venv *env, const struct vstate *s, uint32_t insn);
int vrf_insn_str(char *buf, size_t n, const struct venv *env, uint32_t idx);
const char *vrf_helper_name(uint32_t id);
const char *vrf_map_name(const struct venv *env, uint32_t map);
const char *vrf_prog_type_name(int type);

/* A linked scalar that is "base + off" (the kernel's BPF_ADD_CONST64), or
 * "(u32)(base + off)" zero-extended (BPF_ADD_CONST32). */
#define VRF_ID_C64 (1u << 31)
#define VRF_ID_C32 (1u << 30)
#define VRF_ID_ADD_CONST (VRF_ID_C64 | VRF_ID_C32)

/* Fresh ids for null checks, packet ranges, linked scalars. */
static inline uint32_t vrf_new_id(struct venv *env) { return ++env->id_gen; }

/* Kernel map type numbers (UAPI enum bpf_map_type) the verifier cares
 * about; a test checks them against <linux/bpf.h>. */
enum {
	VM_HASH = 1, VM_ARRAY = 2, VM_PROG_ARRAY = 3, VM_PERF_EVENT_ARRAY = 4,
	VM_PERCPU_HASH = 5, VM_PERCPU_ARRAY = 6, VM_STACK_TRACE = 7, VM_CGROUP_ARRAY = 8,
	VM_LRU_HASH = 9, VM_LRU_PERCPU_HASH = 10, VM_LPM_TRIE = 11, VM_ARRAY_OF_MAPS = 12,
	VM_HASH_OF_MAPS = 13, VM_DEVMAP = 14, VM_SOCKMAP = 15, VM_CPUMAP = 16, VM_XSKMAP = 17,
	VM_SOCKHASH = 18, VM_CGROUP_STORAGE = 19, VM_REUSEPORT_SOCKARRAY = 20,
	VM_PERCPU_CGROUP_STORAGE = 21, VM_QUEUE = 22, VM_STACK = 23, VM_SK_STORAGE = 24,
	VM_DEVMAP_HASH = 25, VM_STRUCT_OPS = 26, VM_RINGBUF = 27, VM_INODE_STORAGE = 28,
	VM_TASK_STORAGE = 29, VM_BLOOM_FILTER = 30, VM_USER_RINGBUF = 31,
	VM_CGRP_STORAGE = 32, VM_ARENA = 33,
};
#define VRF_F_RDONLY_PROG (1u << 7)
#define VRF_F_WRONLY_PROG (1u << 8)

#endif
