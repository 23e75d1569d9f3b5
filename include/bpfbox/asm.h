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

/* Assemble `len` bytes of text.  On success *out receives a malloc'd array
 * of *n instruction slots (caller frees with free()).  On failure returns
 * -EINVAL with "line N: reason" in log (one line per error, first error
 * first), -ENOMEM. */
BPFBOX_API int bpfbox_asm__assemble(const char *text, size_t len, int syntax,
				    struct bpfbox_insn **out, size_t *n,
				    struct bpfbox_log *log);

#ifdef __cplusplus
}
#endif
#endif
