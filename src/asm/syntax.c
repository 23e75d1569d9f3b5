/* bpfbox — syntax.c: the llvm/kernel assembly syntax, as templates.
 *
 * One entry per textual form of a shape (asm_int.h explains the template
 * language).  The disassembler prints an instruction with the first entry
 * whose shape, rows, output syntax and condition fit it; the assembler
 * tries every parseable entry in order and takes the first that matches the
 * whole line.  The operator words themselves ("+=", "s>", "u32",
 * "atomic_fetch_add", "le16", "map_fd", ...) are not here: they are the
 * OPTEXT column of isa.def, so a new row with a known shape needs nothing in
 * this file.
 *
 * What the forms are, and where they come from:
 *  - LLVM 14's llvm-objdump prints all of v1-v3 except mod, jset, store
 *    immediate and the 32-bit atomics other than add (it prints
 *    `<unknown>`), and it ignores the offset of sdiv/smod/movsx and callx's
 *    dst.  For those the forms of LLVM 17 and later are used, as written in
 *    llvm/lib/Target/BPF/BPFInstrInfo.td (`$dst s/= $src`, `$dst =
 *    (s8)$src`, `*(u32 *)($addr) = $imm`, `if $dst & $src goto $BrDst`,
 *    `$dst = bswap16 $src`, `gotol $BrDst`, `callx $BrDst` with the
 *    register in dst).  LLVM 14 does not know any of these, so the
 *    comparison with llvm-objdump cannot check them; the unit test pins
 *    them to those strings.
 *  - LLVM prints `call IMM` for helper, bpf-to-bpf (src 1) and kfunc
 *    (src 2) calls alike, `skb[rN]` without LD_IND's imm and `ld_pseudo`
 *    without the second slot's imm.  Those entries carry a `hide` mask:
 *    the llvm listing adds a `.fields` line when a hidden field is not 0.
 *  - The bpfbox syntax spells those out instead: `call pc+3`, `call kfunc
 *    7`, `skb[r3 + 12]`, `r1 = map_value(3, 8) ll` (the kernel log's
 *    `call pc+3` and LLVM's `call LABEL` both assemble).
 */
#include <string.h>
#include "asm_int.h"

const struct asm_tmpl asm_tmpls[] = {
	{ S_ALU_K, AR_ALL, AP_BOTH, AW_ANY, 0, "D O I" },
	{ S_ALU_X, AR_ALL, AP_BOTH, AW_ANY, 0, "D O S" },
	{ S_NEG, AR_ALL, AP_BOTH, AW_ANY, 0, "D = -D" },
	{ S_END, AR_ALL, AP_BOTH, AW_ANY, 0, "R = O R" },
	{ S_MOVSX, AR_ALL, AP_BOTH, AW_ANY, 0, "D = (O)S" },
	{ S_LDDW, AR_LDDW_PLAIN, AP_BOTH, AW_ANY, 0, "R = L ll" },
	{ S_LDDW, AR_ALL, AP_LLVM, AW_ANY, AH_HI, "ld_pseudo\tR, P, Q" },
	{ S_LDDW, AR_ALL, AP_BPFBOX, AW_HI0, 0, "R = O(Q) ll" },
	{ S_LDDW, AR_ALL, AP_BPFBOX, AW_ANY, 0, "R = O(Q, H) ll" },
	{ S_LD_ABS, AR_ALL, AP_BOTH, AW_ANY, 0, "r0 = *(O *)skb[I]" },
	{ S_LD_IND, AR_ALL, AP_LLVM, AW_ANY, AH_IMM, "r0 = *(O *)skb[B]" },
	{ S_LD_IND, AR_ALL, AP_BPFBOX, AW_IMM0, 0, "r0 = *(O *)skb[B]" },
	{ S_LD_IND, AR_ALL, AP_BPFBOX, AW_ANY, 0, "r0 = *(O *)skb[B N]" },
	{ S_LDX, AR_ALL, AP_BOTH, AW_ANY, 0, "X = *(O *)(B M)" },
	{ S_ST, AR_ALL, AP_BOTH, AW_ANY, 0, "*(O *)(R M) = I" },
	{ S_STX, AR_ALL, AP_BOTH, AW_ANY, 0, "*(O *)(R M) = Y" },
	{ S_ATOMIC, AR_ATOM_OP, AP_BOTH, AW_ANY, 0, "lock *(Z *)(R M) O Y" },
	{ S_ATOMIC, AR_ATOM_FETCH, AP_BOTH, AW_ANY, 0, "Y = O((Z *)(R M), Y)" },
	{ S_ATOMIC, AR_ATOM_XCHG, AP_BOTH, AW_ANY, 0, "Y = O(R M, Y)" },
	{ S_ATOMIC, AR_ATOM_CMPXCHG, AP_BOTH, AW_ANY, 0, "W = O(R M, W, Y)" },
	{ S_JA, AR_ALL, AP_BOTH, AW_ANY, 0, "O T" },
	{ S_JA32, AR_ALL, AP_BOTH, AW_ANY, 0, "O U" },
	{ S_JCOND_K, AR_ALL, AP_BOTH, AW_ANY, 0, "if D O I goto T" },
	{ S_JCOND_X, AR_ALL, AP_BOTH, AW_ANY, 0, "if D O S goto T" },
	{ S_CALL, AR_ALL, AP_BOTH, AW_ANY, 0, "O GI" },
	{ S_CALL_KFUNC, AR_ALL, AP_BPFBOX, AW_OFF0, 0, "O kfunc I" },
	{ S_CALL_KFUNC, AR_ALL, AP_BPFBOX, AW_ANY, 0, "O kfunc I, F" },
	{ S_CALL_LOCAL, AR_ALL, AP_BPFBOX, AW_ANY, 0, "O K" },
	{ S_CALL_LOCAL, AR_ALL, AP_LLVM | AP_NOPARSE, AW_ANY, AH_SRC, "O I" },
	{ S_CALL_KFUNC, AR_ALL, AP_LLVM | AP_NOPARSE, AW_ANY, AH_SRC | AH_OFF, "O I" },
	{ S_CALLX, AR_ALL, AP_BOTH, AW_ANY, 0, "O R" },
	{ S_EXIT, AR_ALL, AP_BOTH, AW_ANY, 0, "O" },
};
const size_t asm_ntmpls = sizeof(asm_tmpls) / sizeof(asm_tmpls[0]);

bool asm_rows_ok(unsigned rows, enum isa_op op)
{
	const struct isa_info *ri = &isa_info[op];
	switch (rows) {
	case AR_LDDW_PLAIN:
		return ri->mval == 0;
	case AR_ATOM_OP:
		return !(ri->flags & F_FETCH);
	case AR_ATOM_FETCH:
	case AR_ATOM_XCHG:
		/* Both return the old value in src; LLVM writes the fetch-op
		 * forms as atomic_fetch_<op>((u64 *)(addr), val) and the
		 * exchange as xchg_64(addr, val).  The table's operator text
		 * tells them apart. */
		if (!(ri->flags & F_FETCH) || (ri->flags & F_R0))
			return false;
		return (strncmp(ri->optext, "atomic_", 7) == 0) == (rows == AR_ATOM_FETCH);
	case AR_ATOM_CMPXCHG:
		return (ri->flags & F_R0) != 0;
	default:
		return true;
	}
}

unsigned asm_access_size(enum isa_op op)
{
	switch (isa_info[op].shape) {
	case S_LDX:
	case S_ST:
	case S_STX:
	case S_ATOMIC:
	case S_LD_ABS:
	case S_LD_IND:
		return isa_mem_size(isa_info[op].code);
	default:
		return 0;
	}
}

bool asm_value_is_w(enum isa_op op, bool alu32)
{
	const struct isa_info *ri = &isa_info[op];
	if (asm_access_size(op) == 8)
		return false;
	unsigned cls = ISA_CLASS(ri->code), mode = ISA_MODE(ri->code);
	if (cls != ISA_LDX && cls != ISA_STX)
		return false;
	if (mode == 0xc0 /* ATOMIC */ && !(ri->shape == S_ATOMIC && ri->mval == 0x00))
		return true; /* only the alu32 form exists in LLVM */
	return alu32 && (mode == 0x60 /* MEM */ || mode == 0xc0);
}
