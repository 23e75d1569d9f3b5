/* bpfbox — asm_int.h: what the assembler and the disassembler share.
 *
 * The llvm/kernel syntax is described once, as templates (syntax.c): one
 * line of text per instruction shape with placeholders for the operands.
 * The disassembler fills a template in, the assembler matches text against
 * every template and asks the instruction table which row fits what it
 * captured (shape, operator text, register width, access size).  Because
 * both directions read the same template, a listing assembles back to the
 * bytes it came from.
 *
 * Template language: upper-case letters are placeholders, a space is
 * "white space here" (optional when parsing, unless it separates two
 * identifier characters), anything else is literal text.
 *   D S   dst / src register, width from the row (F_W: wN, else rN)
 *   R B   dst / src register, always rN (memory base, byte swaps, callx)
 *   X Y   dst / src as the value of a load/store/atomic (wN or rN, see
 *         asm_value_is_w)
 *   W     r0 or w0 at the value width (cmpxchg's implicit operand)
 *   O     the row's operator text (isa.def OPTEXT)
 *   Z     access size of an atomic from its opcode (u32, u64)
 *   I     imm, signed decimal            N   imm as "+ n" / "- n"
 *   L     lddw's 64-bit imm, signed      Q   imm, unsigned 32-bit
 *   H     second slot's imm (lddw)       P   the src field (lddw form)
 *   M     offset as "+ n" / "- n"        F   offset, signed decimal
 *   T     jump target in off: "+n"/"-n" or a label
 *   U     jump target in imm: "+n"/"-n" or a label
 *   K     call target in imm: "pc+n"/"pc-n" or a label
 *   G     helper name as "name#" (bpfbox syntax), may be absent
 */
#ifndef BPFBOX_ASM_INT_H
#define BPFBOX_ASM_INT_H

#include "bpfbox/asm.h"
#include "isa/isa.h"

/* Which rows of a shape a template is for. */
enum asm_rows {
	AR_ALL,
	AR_LDDW_PLAIN,   /* lddw with src 0 */
	AR_ATOM_OP,      /* atomic without fetch: lock *(u64 *)(r1 + 0) += r2 */
	AR_ATOM_FETCH,   /* r2 = atomic_fetch_add((u64 *)(r1 + 0), r2) */
	AR_ATOM_XCHG,    /* r2 = xchg_64(r1 + 0, r2) */
	AR_ATOM_CMPXCHG, /* r0 = cmpxchg_64(r1 + 0, r0, r2) */
};

/* When the printer may use a template (bits).  Parsing tries every
 * template without AP_NOPARSE. */
enum asm_print {
	AP_LLVM = 1u << 0,
	AP_BPFBOX = 1u << 1,
	AP_BOTH = AP_LLVM | AP_BPFBOX,
	AP_NOPARSE = 1u << 2, /* the same text parses as another row first */
};

/* Instruction-level condition for printing. */
enum asm_when { AW_ANY, AW_IMM0, AW_IMMNZ, AW_HI0, AW_HINZ, AW_OFF0, AW_OFFNZ };

/* Encoding fields a template's text does not show (llvm syntax prints
 * them on a `.fields` line when they are not zero). */
enum asm_hide { AH_SRC = 1u << 0, AH_OFF = 1u << 1, AH_IMM = 1u << 2, AH_HI = 1u << 3 };

struct asm_tmpl {
	uint8_t shape; /* enum isa_shape */
	uint8_t rows;  /* enum asm_rows */
	uint8_t print; /* enum asm_print */
	uint8_t when;  /* enum asm_when */
	uint8_t hide;  /* enum asm_hide */
	const char *text;
};

extern const struct asm_tmpl asm_tmpls[];
extern const size_t asm_ntmpls;

/* Does row `op` belong to the rows a template covers? */
bool asm_rows_ok(unsigned rows, enum isa_op op);

/* The value register of a load/store/atomic prints as wN: with the alu32
 * option for 32/16/8-bit LDX/STX in MEM and ATOMIC mode (LLVM's BPFALU32
 * decoder namespace), and always for the 32-bit atomics other than plain
 * add, which LLVM only has in that form.  (32-bit add without fetch is
 * LLVM's pre-alu32 XADDW: `lock *(u32 *)(r1 + 0) += r2`.) */
bool asm_value_is_w(enum isa_op op, bool alu32);

/* Access size in bytes for shapes that access memory (0 otherwise). */
unsigned asm_access_size(enum isa_op op);

/* Identifier characters of both syntaxes (labels, helper names). */
static inline bool asm_is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
	       c == '$';
}
static inline bool asm_is_ident(int c)
{
	return asm_is_ident_start(c) || (c >= '0' && c <= '9');
}

#endif
