/* bpfbox — asm.h: eBPF assembly text <-> instructions.
 *
 * Two input syntaxes are read:
 *  - the one clang, llvm-objdump and the kernel verifier log use
 *    (`r0 = *(u32 *)(r1 + 4)`, `if r1 s> r7 goto +37`, `w2 = w3`,
 *    `r1 = 0 ll`, `lock *(u64 *)(r10 - 8) += r1`, `call 14`, labels);
 *  - the conformance suite's (`ldxw %r0, [%r1+4]`, `jsgt %r1, %r7, +37`,
 *    see ../shared/conformance/README.md section 2).
 * BPFBOX_SYNTAX_AUTO tells them apart per line.
 *
 * Output syntaxes: BPFBOX_SYNTAX_LLVM prints exactly what llvm-objdump
 * (LLVM 14) prints for each instruction; BPFBOX_SYNTAX_BPFBOX (the default
 * of `bpfbox disasm`) enriches that with helper names and jump labels.
 * For every valid encoding, assembling the disassembly gives back the same
 * bytes.
 */
#ifndef BPFBOX_ASM_H
#define BPFBOX_ASM_H

#include "bpfbox/common.h"
#include "bpfbox/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

enum bpfbox_syntax {
	BPFBOX_SYNTAX_AUTO = 0,        /* input only: either syntax, per line */
	BPFBOX_SYNTAX_LLVM = 1,        /* llvm-objdump / clang / kernel log */
	BPFBOX_SYNTAX_CONFORMANCE = 2, /* the conformance suite's assembler */
	BPFBOX_SYNTAX_BPFBOX = 3,      /* output only: llvm + helper names and labels */
};

/* ---- assembler --------------------------------------------------------
 *
 * Lines hold an instruction, a label (`name:`, also in front of an
 * instruction), a directive or nothing; comments start with `;`, `//` or a
 * `#` at the start of the line or after white space (so the `#` of
 * `call bpf_map_lookup_elem#1` is not one).  A leading `N:` (the index
 * column of a `bpfbox disasm` listing) is skipped, so listings assemble
 * back.  Jump and call targets are `+N`/`-N` slot counts or label names.
 *
 * The LLVM family (BPFBOX_SYNTAX_LLVM) reads every form `bpfbox disasm`
 * prints in the llvm and bpfbox syntaxes, plus these equivalents:
 * `call pc+N` / `call LABEL` (bpf-to-bpf call), `call NAME#ID` (helper),
 * `call kfunc ID[, OFF]`, `r0 = *(u32 *)skb[rN + IMM]`, wN or rN for the
 * value register of a 32-bit load/store/atomic, a trailing `<...>` after a
 * jump target (llvm-objdump's symbol), `(rN)` for `(rN + 0)`.
 * Immediates: decimal in the signed 32-bit range or hex up to 0xffffffff
 * (wrapping); 64-bit immediates of lddw up to 64 bits; offsets -32768..32767.
 *
 * Directives (every syntax):
 *   .raw U64          one slot given as a 64-bit number in the conformance
 *                     suite's `-- raw` layout (opcode in bits 0-7, dst 8-11,
 *                     src 12-15, offset 16-31, imm 32-63); any bits at all.
 *   .fields K=V,...   override fields of the PREVIOUS instruction: src,
 *                     dst, off, imm, hi (the second slot of lddw).  The
 *                     llvm syntax prints it after an instruction whose LLVM
 *                     text does not show every field (a bpf-to-bpf call is
 *                     `call -1` there, like llvm-objdump, plus `.fields
 *                     src=1`), so listings round-trip.  The result must
 *                     still be a valid encoding.
 *
 * The conformance syntax follows ../shared/conformance/README.md section 2
 * byte for byte (its first `exit` is also the label `exit`), and adds the
 * forms needed to write every row: `ldabsw IMM`, `ldindw %rS, IMM`,
 * `lddw map_fd %rD, IMM64` (and the other lddw src forms, by the table's
 * mnemonics), `call runtime ID, OFF`, `callx %rD`.  Offsets accept
 * -32768..65535 (the suite's assembler wraps them).  BPFBOX_SYNTAX_AUTO
 * tries the LLVM family first, then the conformance syntax, per line.
 */

/* Assemble `len` bytes of text (NUL bytes are an error).  On success *out
 * receives a malloc'd array of *n instruction slots (caller frees with
 * free(); NULL when the text holds no instruction).  On failure returns
 * -EINVAL with "line N: reason" in log (one line per error, first error
 * first, at most 20), -ENOMEM. */
BPFBOX_API int bpfbox_asm__assemble(const char *text, size_t len, int syntax,
				    struct bpfbox_insn **out, size_t *n,
				    struct bpfbox_log *log);

/* ---- disassembler -----------------------------------------------------
 *
 * Output syntaxes:
 *  - BPFBOX_SYNTAX_LLVM: the text llvm-objdump -d (LLVM 14) prints for the
 *    instruction, without its `<symbol>` suffix.  Where LLVM 14 prints
 *    `<unknown>` or ignores a field of an instruction newer than it (mod,
 *    jset, store immediate, 32-bit atomics other than add, the ISA v4 rows),
 *    the text of LLVM 17+ is used (`r1 %= r2`, `if r1 & r2 goto +1`,
 *    `*(u32 *)(r10 - 8) = 5`, `r1 s/= r2`, `r1 = (s8)r2`, `r0 = *(s8 *)(r1 +
 *    0)`, `r1 = bswap16 r1`, `gotol +5`, `callx r2` with the register in dst
 *    as RFC 9669 says).  Invalid encodings print `<unknown>`;
 *  - BPFBOX_SYNTAX_BPFBOX (also for AUTO): the llvm text, enriched: helper
 *    names (`call bpf_map_lookup_elem#1`, via helper_name), `call pc+N` for
 *    bpf-to-bpf calls, `call kfunc ID`, `r1 = map_fd(3) ll` for the lddw src
 *    forms, `skb[r3 + 12]`, labels for jump targets with
 *    BPFBOX_DISASM_LABELS.  Invalid slots print as `.raw 0x...`;
 *  - BPFBOX_SYNTAX_CONFORMANCE: the conformance suite's syntax.
 * bpfbox_asm__assemble() of a listing gives back the same bytes, for every
 * valid encoding and every syntax. */

enum bpfbox_disasm_flags {
	/* Label lines before jump and call targets; in the bpfbox and
	 * conformance syntaxes jumps name their target by that label (the llvm
	 * syntax keeps `+N`, the labels are extra lines). */
	BPFBOX_DISASM_LABELS = 1u << 0,
	/* Like llvm-objdump --mattr=+alu32: 32-bit loads, stores and atomics
	 * print their value register as wN (`w0 = *(u32 *)(r1 + 0)`).  Without
	 * it they print rN, except the 32-bit atomics LLVM only knows in that
	 * form. */
	BPFBOX_DISASM_ALU32 = 1u << 1,
	/* bpfbox_disasm__prog(): no "INDEX: " column (for other assemblers). */
	BPFBOX_DISASM_NO_INDEX = 1u << 2,
};

/* Room for one instruction's text with helper names and labels. */
#define BPFBOX_DISASM_LINE_MAX 256

struct bpfbox_disasm_opts {
	size_t sz;
	int syntax;     /* enum bpfbox_syntax; AUTO means BPFBOX */
	unsigned flags; /* enum bpfbox_disasm_flags */
	void *ud;       /* passed to the callbacks */
	/* bpfbox syntax: the name of helper `id`, or NULL (then `call ID`).
	 * The string is borrowed for the duration of the call. */
	const char *(*helper_name)(void *ud, int32_t id);
	/* A label name for the instruction at `index` (e.g. its function
	 * symbol), or NULL.  With BPFBOX_DISASM_LABELS, targets without a name
	 * are called "L<index>".  Names must be assembler identifiers. */
	const char *(*label_name)(void *ud, size_t index);
	/* A note on the instruction at `index` (a relocation, a map name):
	 * write it to buf (NUL-terminated) and return its length, or return 0.
	 * bpfbox syntax appends it as `  ; NOTE`, conformance as `  # NOTE`,
	 * llvm prints it on an extra line `; NOTE` after the instruction. */
	int (*annotate)(void *ud, size_t index, const struct bpfbox_insn *insn, char *buf,
			size_t size);
};
#define bpfbox_disasm_opts__last_field annotate

/* Print the instruction at insns[i] (of a program of n slots) into buf
 * (always NUL-terminated, truncated to size - 1).  opts may be NULL.
 * Returns the slots it occupies (1, or 2 for lddw); -EINVAL when the
 * encoding is invalid (buf then holds `<unknown>`, or `.raw 0x...` in the
 * bpfbox and conformance syntaxes; the caller continues at i + 1) or when
 * opts is invalid (buf empty); -ERANGE when i >= n. */
BPFBOX_API int bpfbox_disasm__insn(const struct bpfbox_insn *insns, size_t n, size_t i,
				   const struct bpfbox_disasm_opts *opts, char *buf,
				   size_t size);

/* A whole listing: one "INDEX: TEXT" line per instruction (the index of its
 * first slot), plus label lines ("name:"), `.fields` lines and notes as the
 * syntax and flags ask.  On success *out receives the malloc'd,
 * NUL-terminated text (caller frees with free()) and *len its length (may
 * be NULL).  Returns 0, -EINVAL (bad opts), -ENOMEM. */
BPFBOX_API int bpfbox_disasm__prog(const struct bpfbox_insn *insns, size_t n,
				   const struct bpfbox_disasm_opts *opts, char **out,
				   size_t *len);

#ifdef __cplusplus
}
#endif
#endif
