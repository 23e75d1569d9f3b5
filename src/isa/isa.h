/* bpfbox — isa.h: the instruction set, expanded from isa.def.
 *
 * Everything above the bytecode (assembler, disassembler, interpreter,
 * verifier, JIT) names instructions by `enum isa_op`, one value per row of
 * isa.def, never by raw opcode bytes: several rows share an opcode byte
 * (div/sdiv by offset, mov/movsx by offset, the atomics by immediate, the
 * call kinds and lddw forms by src), and the row is what has a meaning.
 *
 * isa_decode_one() turns one encoded slot into its row, checking every
 * field the row does not use is zero.  isa_decode() does that for a whole
 * program and adds the program-level rules (lddw halves, jump targets, no
 * writes to r10), producing an array of `struct isa_insn` — one per slot,
 * with the lddw immediate joined into imm64 and jump targets resolved to
 * absolute slot indices — that the engines and the verifier consume.
 */
#ifndef BPFBOX_ISA_H
#define BPFBOX_ISA_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "bpfbox/insn.h"

/* Which field distinguishes rows that share an opcode byte. */
enum isa_match { M_NONE, M_OFF, M_IMM, M_SRC };

/* Operand shapes.  A shape fixes which of dst/src/off/imm are operands and
 * which must be zero, and the textual form:
 *   S_ALU_K      dst op= imm           (src 0; off 0 unless matched)
 *   S_ALU_X      dst op= src           (imm 0; off 0 unless matched)
 *   S_NEG        dst = -dst            (src, off, imm 0)
 *   S_END        dst = be16 dst        (src, off 0; imm matched)
 *   S_MOVSX      dst = (s8)src         (imm 0; off matched)
 *   S_LDDW       dst = imm64 ll        (off 0; src matched; 2 slots)
 *   S_LD_ABS     r0 = *(u32 *)skb[imm] (dst, src, off 0)
 *   S_LD_IND     r0 = *(u32 *)skb[src + imm] (dst, off 0)
 *   S_LDX        dst = *(u32 *)(src + off)  (imm 0)
 *   S_ST         *(u32 *)(dst + off) = imm  (src 0)
 *   S_STX        *(u32 *)(dst + off) = src  (imm 0)
 *   S_ATOMIC     lock *(u32 *)(dst + off) += src, fetch forms (imm matched)
 *   S_JA         goto +off             (dst, src, imm 0)
 *   S_JA32       gotol +imm            (dst, src, off 0)
 *   S_JCOND_K    if dst op imm goto +off (src 0)
 *   S_JCOND_X    if dst op src goto +off (imm 0)
 *   S_CALL       call imm              (dst, off 0; src matched 0)
 *   S_CALL_LOCAL call pc+imm+1         (dst, off 0; src matched 1)
 *   S_CALL_KFUNC call kfunc imm        (dst 0; off = BTF fd index; src 2)
 *   S_CALLX      callx dst             (src, off, imm 0)
 *   S_EXIT       exit                  (everything 0)
 */
enum isa_shape {
	S_ALU_K, S_ALU_X, S_NEG, S_END, S_MOVSX, S_LDDW, S_LD_ABS, S_LD_IND,
	S_LDX, S_ST, S_STX, S_ATOMIC, S_JA, S_JA32, S_JCOND_K, S_JCOND_X,
	S_CALL, S_CALL_LOCAL, S_CALL_KFUNC, S_CALLX, S_EXIT,
	S__COUNT
};

/* Row flags. */
enum isa_flag {
	F_W = 1u << 0,     /* 32-bit operands: printed as wN, compared/computed on the low half */
	F_ALU64 = 1u << 1, /* ALU64 class */
	F_FETCH = 1u << 2, /* atomic returns the old value */
	F_R0 = 1u << 3,    /* atomic uses r0 implicitly (cmpxchg) */
	F_V2 = 1u << 4,    /* ISA version the row first appeared in (v1 when none) */
	F_V3 = 1u << 5,
	F_V4 = 1u << 6,
	/* conformance groups (RFC 9669 section 2.4) */
	F_G_BASE32 = 1u << 8,
	F_G_BASE64 = 1u << 9,
	F_G_ATOMIC32 = 1u << 10,
	F_G_ATOMIC64 = 1u << 11,
	F_G_DIVMUL32 = 1u << 12,
	F_G_DIVMUL64 = 1u << 13,
	F_G_PACKET = 1u << 14,
	F_G_CALLX = 1u << 15,
};

enum isa_op {
#define ISA(NAME, CODE, MATCH, MVAL, SHAPE, FLAGS, OPTEXT, CMNEM, SEM) ISA_OP_##NAME,
#include "isa.def"
#undef ISA
	ISA_OP__COUNT,
	ISA_OP_INVALID = ISA_OP__COUNT,
};

struct isa_info {
	const char *name;   /* "ADD64_K" */
	uint8_t code;       /* opcode byte */
	uint8_t match;      /* enum isa_match */
	uint8_t shape;      /* enum isa_shape */
	int32_t mval;       /* value of the matched field */
	uint32_t flags;     /* enum isa_flag */
	const char *optext; /* llvm/kernel syntax operator token */
	const char *cmnem;  /* conformance-suite mnemonic */
};

extern const struct isa_info isa_info[ISA_OP__COUNT];

/* Opcode byte field accessors (RFC 9669 section 3). */
#define ISA_CLASS(code) ((code) & 0x07)
#define ISA_SIZE(code) ((code) & 0x18)
#define ISA_MODE(code) ((code) & 0xe0)
#define ISA_SRC_X(code) ((code) & 0x08)

enum isa_class {
	ISA_LD = 0x00, ISA_LDX = 0x01, ISA_ST = 0x02, ISA_STX = 0x03,
	ISA_ALU = 0x04, ISA_JMP = 0x05, ISA_JMP32 = 0x06, ISA_ALU64 = 0x07,
};

/* Access size in bytes of a load/store/atomic opcode (1, 2, 4, 8). */
static inline unsigned isa_mem_size(uint8_t code)
{
	static const uint8_t sz[4] = { 4, 2, 1, 8 };
	return sz[ISA_SIZE(code) >> 3];
}

/* Row of one encoded slot, or ISA_OP_INVALID; checks every field
 * (reserved fields zero, registers <= 10, matched field).  `why` (may be
 * NULL) receives the reason on failure. */
enum isa_op isa_decode_one(const struct bpfbox_insn *insn, enum bpfbox_decode_err *why);

/* The slot(s) for a row with the given operands; the exact inverse of
 * isa_decode_one for every valid encoding.  Writes 2 slots for S_LDDW (imm64
 * split), 1 otherwise; returns the slot count. */
unsigned isa_encode(enum isa_op op, uint8_t dst, uint8_t src, int16_t off, int64_t imm,
		    struct bpfbox_insn out[2]);

/* True when the row writes its dst register (ALU, LDX, LDDW, fetch atomics
 * write src instead — see isa_writes_src). */
bool isa_writes_dst(enum isa_op op);
bool isa_writes_src(enum isa_op op);
static inline bool isa_is_jump(enum isa_op op)
{
	unsigned s = isa_info[op].shape;
	return s == S_JA || s == S_JA32 || s == S_JCOND_K || s == S_JCOND_X;
}
/* An lddw that loads a map itself (map_fd, map_idx), not a value in it. */
static inline bool isa_is_lddw_map(enum isa_op op)
{
	return op == ISA_OP_LDDW_MAP_FD || op == ISA_OP_LDDW_MAP_IDX;
}
static inline bool isa_is_cond_jump(enum isa_op op)
{
	unsigned s = isa_info[op].shape;
	return s == S_JCOND_K || s == S_JCOND_X;
}

/* A decoded program slot.  For every slot i of the input there is one
 * isa_insn; the second slot of an lddw gets op ISA_OP_INVALID and is never
 * executed.  `target` is the absolute slot index a jump or local call goes
 * to (i + 1 + offset), valid when the row is a jump or S_CALL_LOCAL. */
struct isa_insn {
	uint16_t op;     /* enum isa_op */
	uint8_t dst;
	uint8_t src;
	int16_t off;
	int32_t imm;
	uint32_t target; /* jumps and local calls */
	uint64_t imm64;  /* lddw: the whole immediate; others: (uint64_t)(int64_t)imm */
};

struct isa_prog {
	struct isa_insn *insns;
	size_t n; /* slots */
};

/* Program-level decode options. */
enum isa_decode_flags {
	ISA_DECODE_ALLOW_R10_WRITE = 1u << 0, /* for disassembling anything */
};

struct util_alloc;
/* Decode a whole program (see the file comment).  out->insns is allocated
 * through `a` (NULL: malloc) and released with isa_prog_free(out, a).
 * Returns 0 or -EINVAL (message "insn N: why" in log, *err_index = N),
 * -ENOMEM, -E2BIG. */
int isa_decode(const struct bpfbox_insn *insns, size_t n, unsigned flags,
	       const struct util_alloc *a, struct isa_prog *out, size_t *err_index,
	       struct bpfbox_log *log);
void isa_prog_free(struct isa_prog *p, const struct util_alloc *a);

/* Short English reason for a decode error. */
const char *isa_decode_strerror(enum bpfbox_decode_err e);

/* Data flow over decoded slots (the verifier's and the JIT's).  Register
 * sets are masks, bit k = rk (r0..r10).
 *  isa_use_def: the registers slot `in` reads and writes.  Calls read
 *    r1..r5 and write r0..r5 (the caller-saved registers are gone after
 *    a call); LD_ABS/LD_IND read r6 (and src) and clobber r0..r5 too.
 *  isa_succs: the slots control may reach next from slot i, up to 2
 *    (a local call's successor is the slot after it; exit has none).
 *  isa_liveness: live[i] = registers that may be read before written on
 *    some path from slot i (a backward may-analysis: a register outside
 *    live[i] is certainly dead there).  `live` has n entries. */
void isa_use_def(const struct isa_insn *in, uint16_t *use, uint16_t *def);
int isa_succs(const struct isa_insn *code, size_t i, uint32_t out[2]);
void isa_liveness(const struct isa_insn *code, size_t n, uint16_t *live);

/* Sign-extend helpers. */
static inline uint64_t isa_sext32(int32_t v) { return (uint64_t)(int64_t)v; }

/* Limit on program length, in slots (matches the kernel's BPF_COMPLEXITY
 * insn limit for privileged programs). */
#define ISA_MAX_INSNS 1000000u

#endif
