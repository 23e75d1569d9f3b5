/* bpfbox — verify.h: the static verifier.
 *
 * bpfbox_verify() proves a program safe before it runs, deciding like the
 * Linux kernel's verifier does for a privileged (root) loader: every path
 * is interpreted over abstract values (register types, known bits and
 * ranges of scalars, stack slot contents), every memory access, helper call
 * and exit is checked, and loops are explored until they provably end.  A
 * program it accepts can run without checked-mode checks
 * (bpfbox_prog__set_verified).
 *
 * The input is a description, not a loader: the instructions, the program
 * type and the facts about the maps that pseudo `lddw` instructions name
 * come from the caller (a map_info callback), so tests and tools can verify
 * raw programs against made-up maps.
 *
 * On rejection the log's first ERROR-level line is one sentence naming the
 * instruction, the register or stack slot and the reason, e.g.
 *   12: R3 is map_value_or_null: check it for NULL before this access (lookup at 8)
 * At log level BPFBOX_LOG_INFO and above the log also carries the path and
 * the per-instruction abstract state in the kernel's notation
 * (`R1=ctx() R10=fp0 fp-8=mmmmmmmm`).
 */
#ifndef BPFBOX_VERIFY_H
#define BPFBOX_VERIFY_H

#include "bpfbox/common.h"
#include "bpfbox/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfbox_prog;

/* What the verifier needs to know about one map.  Type numbers are the
 * kernel's (BPF_MAP_TYPE_*). */
struct bpfbox_map_desc {
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;     /* BPF_F_RDONLY_PROG (1 << 7) makes values read-only */
	int32_t spin_lock_off;  /* offset of a struct bpf_spin_lock in the value, -1: none */
	const void *rodata;     /* frozen contents of a read-only map (value_size bytes), or NULL */
	const char *name;       /* for messages; may be NULL */
	const struct bpfbox_map_desc *inner; /* map-in-map: the inner map's shape */
};

/* Parse a map description "IDX=TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:OPT]..."
 * as the CLI's --map takes it: TYPE is the kernel's name without the
 * BPF_MAP_TYPE_ prefix, lower case (hash, array, ringbuf, ...); for a
 * ringbuf the sizes are 0:0:SIZE.  OPT is flags=N (map_flags), rdonly
 * (BPF_F_RDONLY_PROG) or lock=OFF (a bpf_spin_lock at OFF in the value).
 * Fills *idx and *out (name NULL, spin_lock_off -1 unless lock=).  Returns 0
 * or -EINVAL with a reason in why (may be NULL, `whysz` bytes). */
BPFBOX_API int bpfbox_map_desc__parse(const char *spec, unsigned *idx,
				      struct bpfbox_map_desc *out, char *why, size_t whysz);

/* Facts for one pseudo lddw (src 1 map fd, 2 map value, 5 map index,
 * 6 map index value): `imm` names the map, `next_imm` is the value offset
 * for forms 2 and 6.  Fill *out and return 0, or return a negative errno
 * (the program is then rejected naming the instruction). */
typedef int (*bpfbox_map_info_fn)(void *ud, unsigned src, int32_t imm, int32_t next_imm,
				  struct bpfbox_map_desc *out);

/* Which helpers exist: return the helpers layer's contract for `id`
 * (a `const struct hlp_contract *`, opaque here), or NULL when the helper
 * is not available.  When the callback is absent the built-in contract
 * table (src/helpers/helpers.def) is used. */
typedef const void *(*bpfbox_helper_info_fn)(void *ud, uint32_t id);

struct bpfbox_verify_opts {
	size_t sz;
	int prog_type;          /* enum bpfbox_prog_type */
	/* Context size: the tracepoint record size (0: the kernel's load-time
	 * limit of 8192 bytes), the syscall program's ctx size (0: up to
	 * 65535), or for BPFBOX_PROG_TYPE_UNSPEC the size of the memory r1
	 * points to (r2 then holds that constant; 0: r1 points to memory of
	 * unknown size and every access through it is rejected). */
	uint32_t ctx_size;
	int expected_attach_type; /* kernel enum bpf_attach_type (cgroup_skb: 0 ingress, 1 egress) */
	const char *license;    /* NULL: "GPL" */
	struct bpfbox_log *log;
	bpfbox_map_info_fn map_info;
	void *map_ud;
	bpfbox_helper_info_fn helper_info;
	void *helper_ud;
	uint32_t max_insns_processed; /* 0: 1,000,000 (the kernel's limit) */
	/* The program comes with BTF function information (objects built with
	 * -g).  Like the kernel, callbacks (lddw func) and tail calls from
	 * subprograms need it. */
	bool func_info;
};
#define bpfbox_verify_opts__last_field func_info

struct bpfbox_verify_stats {
	size_t sz;
	uint64_t insns_processed; /* instructions interpreted, over all paths */
	uint64_t states;          /* states stored for pruning */
	uint64_t peak_states;     /* most stored states alive at once */
	uint64_t pruned;          /* paths cut because an explored state covered them */
	uint32_t max_stack;       /* deepest combined stack of a call chain, bytes */
	uint64_t time_ns;         /* wall time of the verification */
	int64_t err_insn;         /* instruction of the rejection, -1 when accepted */
	/* Accepted programs: the first instruction found that may read stack
	 * bytes the program never wrote (a load, an atomic, a helper reading
	 * a stack buffer, on any path), -1 when none can.  Such a program
	 * needs its frames zeroed when it runs unchecked
	 * (bpfbox_prog__set_zero_stack); -1 also when rejected. */
	int64_t uninit_stack_insn;
};
#define bpfbox_verify_stats__last_field uninit_stack_insn

/* Verify insns[0..n).  opts may be NULL (UNSPEC, no maps, built-in
 * helpers).  stats (may be NULL; set its sz) receives the counters.
 * Returns 0 accepted; -EACCES rejected (reason in the log, first ERROR
 * line); -E2BIG too large/complex (more than max_insns_processed
 * instructions, or too many pending branches); -EINVAL malformed program
 * or options; -ENOMEM. */
BPFBOX_API int bpfbox_verify(const struct bpfbox_insn *insns, size_t n,
			     const struct bpfbox_verify_opts *opts,
			     struct bpfbox_verify_stats *stats);

/* Verify a loaded program's instructions (as given to bpfbox_prog__load)
 * and mark it verified on success, with stack zeroing only when it may read
 * stack bytes it never wrote (bpfbox_prog__set_zero_stack).  When opts has
 * no helper_info, the program's VM answers which helpers exist (its
 * registered contracts; helpers registered without a contract cannot be
 * called; ids it does not register fall back to the built-in table, and
 * calling them at run time fails cleanly with -ENOENT).  Returns as
 * bpfbox_verify(). */
BPFBOX_API int bpfbox_prog__verify(struct bpfbox_prog *prog, const struct bpfbox_verify_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
