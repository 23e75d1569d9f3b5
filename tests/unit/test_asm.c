/* bpfbox — test_asm.c: the assembler and the disassembler.
 *
 *  1. every row of isa.def prints in every output syntax (no shape without
 *     a template);
 *  2. fixed vectors: bytes -> llvm / bpfbox / conformance text.  The llvm
 *     strings of v1-v3 rows are what llvm-objdump 14 prints (checked by
 *     hand with llvm-mc + llvm-objdump, and by tests/suites/disasm_llvm.sh
 *     on every run); those LLVM 14 cannot print are LLVM 17+'s syntax from
 *     BPFInstrInfo.td;
 *  3. assembler vectors: text -> bytes for the forms a listing never
 *     prints (labels, comments, alternative spellings, directives);
 *  4. every rejection path of the assembler, with its "line N: reason";
 *  5. round trip over 10^6 generated valid encodings: decode -> disasm ->
 *     asm -> identical bytes, in the llvm and conformance syntaxes (and
 *     the bpfbox syntax with labels and alu32 on a quarter of them);
 *  6. the disassembler's API edges: invalid slots, truncated lddw, option
 *     checks, callbacks, buffer truncation.
 */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "bpfbox/asm.h"
#include "isa/isa.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct bpfbox_insn mk(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpfbox_insn i = { 0 };
	i.code = code;
	i.dst = dst & 15;
	i.src = src & 15;
	i.off = off;
	i.imm = imm;
	return i;
}

/* The same, as a constant initializer for the vector tables. */
#define MK(c, d, s, o, i) { .code = (c), .dst = (d), .src = (s), .off = (o), .imm = (i) }

static const char *text_of(const struct bpfbox_insn *in, size_t n, int syntax, unsigned flags)
{
	static char buf[BPFBOX_DISASM_LINE_MAX];
	BPFBOX_OPTS(bpfbox_disasm_opts, o, .syntax = syntax, .flags = flags);
	bpfbox_disasm__insn(in, n, 0, &o, buf, sizeof(buf));
	return buf;
}

/* Assemble; returns the error and fills log. */
static int assemble(const char *text, int syntax, struct bpfbox_insn **out, size_t *n, char *log,
		    size_t logsz)
{
	struct bpfbox_log lg = { .buf = log, .size = logsz, .level = BPFBOX_LOG_ERROR };
	if (logsz)
		log[0] = 0;
	return bpfbox_asm__assemble(text, strlen(text), syntax, out, n, &lg);
}

/* ---- 1. every row prints ------------------------------------------------- */

static void test_every_row_prints(void)
{
	int bad = 0;
	for (int op = 0; op < ISA_OP__COUNT; op++) {
		struct bpfbox_insn in[2];
		isa_encode((enum isa_op)op, 1, 2, 0, 0, in);
		for (int syn = BPFBOX_SYNTAX_LLVM; syn <= BPFBOX_SYNTAX_BPFBOX; syn++) {
			char buf[BPFBOX_DISASM_LINE_MAX];
			BPFBOX_OPTS(bpfbox_disasm_opts, o, .syntax = syn);
			int r = bpfbox_disasm__insn(in, 2, 0, &o, buf, sizeof(buf));
			int want = isa_info[op].shape == S_LDDW ? 2 : 1;
			bool ok = r == want && buf[0] && !strstr(buf, "<unknown>") &&
				  !strstr(buf, "<no template>");
			CHECK_QUIET(ok, "row %s syntax %d: %d '%s'", isa_info[op].name, syn, r, buf);
			bad += !ok;
		}
	}
	CHECK(bad == 0, "all %d rows print in the llvm, conformance and bpfbox syntaxes",
	      ISA_OP__COUNT);
}

/* ---- 2. fixed disassembly vectors ---------------------------------------- */

struct dvec {
	struct bpfbox_insn in[2];
	const char *llvm, *bpfbox, *conf; /* NULL: same as llvm */
};

#define I1(c, d, s, o, i) { MK(c, d, s, o, i), { 0 } }
#define I2(d, s, lo, hi) { MK(0x18, d, s, 0, lo), MK(0, 0, 0, 0, hi) }

static const struct dvec dvecs[] = {
	/* ALU64 / ALU32, as llvm-objdump 14 prints them */
	{ I1(0x07, 1, 0, 0, -5), "r1 += -5", NULL, "add %r1, -5" },
	{ I1(0x0f, 1, 2, 0, 0), "r1 += r2", NULL, "add %r1, %r2" },
	{ I1(0x04, 1, 0, 0, -5), "w1 += -5", NULL, "add32 %r1, -5" },
	{ I1(0x1c, 1, 2, 0, 0), "w1 -= w2", NULL, "sub32 %r1, %r2" },
	{ I1(0x27, 3, 0, 0, 7), "r3 *= 7", NULL, "mul %r3, 7" },
	{ I1(0x3f, 1, 2, 0, 0), "r1 /= r2", NULL, "div %r1, %r2" },
	{ I1(0x4c, 1, 2, 0, 0), "w1 |= w2", NULL, "or32 %r1, %r2" },
	{ I1(0x57, 1, 0, 0, 255), "r1 &= 255", NULL, "and %r1, 255" },
	{ I1(0x67, 2, 0, 0, 32), "r2 <<= 32", NULL, "lsh %r2, 32" },
	{ I1(0x7c, 1, 2, 0, 0), "w1 >>= w2", NULL, "rsh32 %r1, %r2" },
	{ I1(0x87, 1, 0, 0, 0), "r1 = -r1", NULL, "neg %r1" },
	{ I1(0x84, 1, 0, 0, 0), "w1 = -w1", NULL, "neg32 %r1" },
	{ I1(0xaf, 1, 2, 0, 0), "r1 ^= r2", NULL, "xor %r1, %r2" },
	{ I1(0xb7, 1, 0, 0, -5), "r1 = -5", NULL, "mov %r1, -5" },
	{ I1(0xbf, 2, 1, 0, 0), "r2 = r1", NULL, "mov %r2, %r1" },
	{ I1(0xb4, 1, 0, 0, -1), "w1 = -1", NULL, "mov32 %r1, -1" },
	{ I1(0xbc, 2, 3, 0, 0), "w2 = w3", NULL, "mov32 %r2, %r3" },
	{ I1(0xc7, 2, 0, 0, 32), "r2 s>>= 32", NULL, "arsh %r2, 32" },
	{ I1(0xcc, 1, 2, 0, 0), "w1 s>>= w2", NULL, "arsh32 %r1, %r2" },
	{ I1(0x07, 1, 0, 0, INT32_MIN), "r1 += -2147483648", NULL, "add %r1, -2147483648" },
	{ I1(0xb7, 10, 0, 0, 1), "r10 = 1", NULL, "mov %r10, 1" },
	{ I1(0xd4, 3, 0, 0, 16), "r3 = le16 r3", NULL, "le16 %r3" },
	{ I1(0xdc, 3, 0, 0, 64), "r3 = be64 r3", NULL, "be64 %r3" },
	/* lddw: the 64-bit immediate is printed signed */
	{ I2(1, 0, 1234, 0), "r1 = 1234 ll", NULL, "lddw %r1, 0x4d2" },
	{ I2(1, 0, -1, -1), "r1 = -1 ll", NULL, "lddw %r1, 0xffffffffffffffff" },
	{ I2(1, 0, 0, 1), "r1 = 4294967296 ll", NULL, "lddw %r1, 0x100000000" },
	{ I2(1, 0, -2, 0), "r1 = 4294967294 ll", NULL, "lddw %r1, 0xfffffffe" },
	{ I2(1, 0, 0, INT32_MIN), "r1 = -9223372036854775808 ll", NULL, "lddw %r1, 0x8000000000000000" },
	{ I2(2, 0, -2, 1), "r2 = 8589934590 ll", NULL, "lddw %r2, 0x1fffffffe" },
	{ I2(1, 1, 3, 0), "ld_pseudo\tr1, 1, 3", "r1 = map_fd(3) ll", "lddw map_fd %r1, 0x3" },
	{ I2(1, 2, -2, 5), "ld_pseudo\tr1, 2, 4294967294", "r1 = map_value(4294967294, 5) ll",
	  "lddw map_value %r1, 0x5fffffffe" },
	/* legacy packet loads */
	{ I1(0x20, 0, 0, 0, 12), "r0 = *(u32 *)skb[12]", NULL, "ldabsw 12" },
	{ I1(0x30, 0, 0, 0, -1), "r0 = *(u8 *)skb[-1]", NULL, "ldabsb -1" },
	{ I1(0x48, 0, 3, 0, 0), "r0 = *(u16 *)skb[r3]", NULL, "ldindh %r3, 0" },
	{ I1(0x40, 0, 3, 0, 12), "r0 = *(u32 *)skb[r3]", "r0 = *(u32 *)skb[r3 + 12]", "ldindw %r3, 12" },
	/* loads and stores */
	{ I1(0x61, 0, 1, 4, 0), "r0 = *(u32 *)(r1 + 4)", NULL, "ldxw %r0, [%r1+4]" },
	{ I1(0x69, 0, 1, -8, 0), "r0 = *(u16 *)(r1 - 8)", NULL, "ldxh %r0, [%r1-8]" },
	{ I1(0x71, 0, 1, 0, 0), "r0 = *(u8 *)(r1 + 0)", NULL, "ldxb %r0, [%r1]" },
	{ I1(0x79, 0, 1, -32768, 0), "r0 = *(u64 *)(r1 - 32768)", NULL, "ldxdw %r0, [%r1-32768]" },
	{ I1(0x79, 0, 1, 32767, 0), "r0 = *(u64 *)(r1 + 32767)", NULL, "ldxdw %r0, [%r1+32767]" },
	{ I1(0x63, 10, 7, -4, 0), "*(u32 *)(r10 - 4) = r7", NULL, "stxw [%r10-4], %r7" },
	{ I1(0x7b, 10, 1, -8, 0), "*(u64 *)(r10 - 8) = r1", NULL, "stxdw [%r10-8], %r1" },
	{ I1(0x73, 1, 2, 3, 0), "*(u8 *)(r1 + 3) = r2", NULL, "stxb [%r1+3], %r2" },
	/* atomics LLVM 14 prints */
	{ I1(0xc3, 1, 2, -4, 0x00), "lock *(u32 *)(r1 - 4) += r2", NULL, "lock add32 [%r1-4], %r2" },
	{ I1(0xdb, 0, 7, 0, 0x00), "lock *(u64 *)(r0 + 0) += r7", NULL, "lock add [%r0], %r7" },
	{ I1(0xdb, 1, 2, -4, 0x40), "lock *(u64 *)(r1 - 4) |= r2", NULL, "lock or [%r1-4], %r2" },
	{ I1(0xdb, 1, 2, 0, 0x01), "r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)", NULL,
	  "lock fetch add [%r1], %r2" },
	{ I1(0xdb, 1, 2, 0, 0xa1), "r2 = atomic_fetch_xor((u64 *)(r1 + 0), r2)", NULL,
	  "lock fetch xor [%r1], %r2" },
	{ I1(0xdb, 1, 2, -4, 0xe1), "r2 = xchg_64(r1 - 4, r2)", NULL, "lock xchg [%r1-4], %r2" },
	{ I1(0xdb, 1, 2, -4, 0xf1), "r0 = cmpxchg_64(r1 - 4, r0, r2)", NULL,
	  "lock cmpxchg [%r1-4], %r2" },
	/* 32-bit atomics LLVM only has with alu32 (w registers) */
	{ I1(0xc3, 1, 2, -4, 0x50), "lock *(u32 *)(r1 - 4) &= w2", NULL, "lock and32 [%r1-4], %r2" },
	{ I1(0xc3, 1, 2, -4, 0x01), "w2 = atomic_fetch_add((u32 *)(r1 - 4), w2)", NULL,
	  "lock fetch add32 [%r1-4], %r2" },
	{ I1(0xc3, 1, 2, -4, 0xe1), "w2 = xchg32_32(r1 - 4, w2)", NULL, "lock xchg32 [%r1-4], %r2" },
	{ I1(0xc3, 1, 2, -4, 0xf1), "w0 = cmpxchg32_32(r1 - 4, w0, w2)", NULL,
	  "lock cmpxchg32 [%r1-4], %r2" },
	/* jumps */
	{ I1(0x05, 0, 0, 3, 0), "goto +3", NULL, "ja +3" },
	{ I1(0x05, 0, 0, -32768, 0), "goto -32768", NULL, "ja -32768" },
	{ I1(0x05, 0, 0, 0, 0), "goto +0", NULL, "ja +0" },
	{ I1(0x6d, 1, 7, 37, 0), "if r1 s> r7 goto +37", NULL, "jsgt %r1, %r7, +37" },
	{ I1(0x15, 0, 0, 1, 0), "if r0 == 0 goto +1", NULL, "jeq %r0, 0, +1" },
	{ I1(0xa5, 1, 0, -2, -7), "if r1 < -7 goto -2", NULL, "jlt %r1, -7, -2" },
	{ I1(0x2e, 1, 2, 3, 0), "if w1 > w2 goto +3", NULL, "jgt32 %r1, %r2, +3" },
	{ I1(0xc6, 1, 0, 11, 1), "if w1 s< 1 goto +11", NULL, "jslt32 %r1, 1, +11" },
	/* calls */
	{ I1(0x85, 0, 0, 0, 14), "call 14", NULL, "call 14" },
	{ I1(0x85, 0, 1, 0, -1), "call -1", "call pc-1", "call local -1" },
	{ I1(0x85, 0, 2, 0, 77), "call 77", "call kfunc 77", "call runtime 77" },
	{ I1(0x85, 0, 2, 3, 77), "call 77", "call kfunc 77, 3", "call runtime 77, 3" },
	{ I1(0x95, 0, 0, 0, 0), "exit", NULL, "exit" },
	/* rows LLVM 14 prints as <unknown> or misreads: LLVM 17+ syntax
	 * (BPFInstrInfo.td) */
	{ I1(0x97, 1, 0, 0, -5), "r1 %= -5", NULL, "mod %r1, -5" },
	{ I1(0x9c, 1, 2, 0, 0), "w1 %= w2", NULL, "mod32 %r1, %r2" },
	{ I1(0x45, 1, 0, 2, -7), "if r1 & -7 goto +2", NULL, "jset %r1, -7, +2" },
	{ I1(0x4e, 1, 7, -2, 0), "if w1 & w7 goto -2", NULL, "jset32 %r1, %r7, -2" },
	{ I1(0x62, 10, 0, -8, -3), "*(u32 *)(r10 - 8) = -3", NULL, "stw [%r10-8], -3" },
	{ I1(0x7a, 1, 0, 0, 7), "*(u64 *)(r1 + 0) = 7", NULL, "stdw [%r1], 7" },
	{ I1(0x3f, 1, 2, 1, 0), "r1 s/= r2", NULL, "sdiv %r1, %r2" },
	{ I1(0x34, 1, 0, 1, 7), "w1 s/= 7", NULL, "sdiv32 %r1, 7" },
	{ I1(0x97, 1, 0, 1, 7), "r1 s%= 7", NULL, "smod %r1, 7" },
	{ I1(0x9c, 1, 2, 1, 0), "w1 s%= w2", NULL, "smod32 %r1, %r2" },
	{ I1(0xbf, 1, 2, 8, 0), "r1 = (s8)r2", NULL, "movsx864 %r1, %r2" },
	{ I1(0xbf, 1, 2, 32, 0), "r1 = (s32)r2", NULL, "movsx3264 %r1, %r2" },
	{ I1(0xbc, 1, 2, 16, 0), "w1 = (s16)w2", NULL, "movsx1632 %r1, %r2" },
	{ I1(0x91, 0, 1, 0, 0), "r0 = *(s8 *)(r1 + 0)", NULL, "ldxsb %r0, [%r1]" },
	{ I1(0x81, 0, 1, -8, 0), "r0 = *(s32 *)(r1 - 8)", NULL, "ldxsw %r0, [%r1-8]" },
	{ I1(0xd7, 1, 0, 0, 16), "r1 = bswap16 r1", NULL, "bswap16 %r1" },
	{ I1(0xd7, 2, 0, 0, 64), "r2 = bswap64 r2", NULL, "bswap64 %r2" },
	{ I1(0x06, 0, 0, 0, 5), "gotol +5", NULL, "ja32 +5" },
	{ I1(0x06, 0, 0, 0, -70000), "gotol -70000", NULL, "ja32 -70000" },
	{ I1(0x8d, 2, 0, 0, 0), "callx r2", NULL, "call %r2" },
};

static void test_disasm_vectors(void)
{
	for (size_t k = 0; k < sizeof(dvecs) / sizeof(dvecs[0]); k++) {
		const struct dvec *v = &dvecs[k];
		const char *l = text_of(v->in, 2, BPFBOX_SYNTAX_LLVM, 0);
		CHECK(!strcmp(l, v->llvm), "llvm: '%s' (want '%s')", l, v->llvm);
		const char *want = v->bpfbox ? v->bpfbox : v->llvm;
		const char *b = text_of(v->in, 2, BPFBOX_SYNTAX_BPFBOX, 0);
		CHECK(!strcmp(b, want), "bpfbox: '%s' (want '%s')", b, want);
		const char *c = text_of(v->in, 2, BPFBOX_SYNTAX_CONFORMANCE, 0);
		CHECK(!strcmp(c, v->conf), "conformance: '%s' (want '%s')", c, v->conf);
	}
	/* alu32: 32-bit loads/stores/atomics with w registers */
	struct bpfbox_insn ld = mk(0x61, 0, 1, -8, 0), st = mk(0x63, 10, 1, -4, 0),
			   xa = mk(0xc3, 1, 2, 0, 0), dw = mk(0x79, 0, 1, 0, 0),
			   sx = mk(0x81, 0, 1, 0, 0);
	CHECK(!strcmp(text_of(&ld, 1, BPFBOX_SYNTAX_LLVM, BPFBOX_DISASM_ALU32),
		      "w0 = *(u32 *)(r1 - 8)"), "alu32 ldxw");
	CHECK(!strcmp(text_of(&st, 1, BPFBOX_SYNTAX_LLVM, BPFBOX_DISASM_ALU32),
		      "*(u32 *)(r10 - 4) = w1"), "alu32 stxw");
	CHECK(!strcmp(text_of(&xa, 1, BPFBOX_SYNTAX_LLVM, BPFBOX_DISASM_ALU32),
		      "lock *(u32 *)(r1 + 0) += w2"), "alu32 lock add32");
	CHECK(!strcmp(text_of(&dw, 1, BPFBOX_SYNTAX_LLVM, BPFBOX_DISASM_ALU32),
		      "r0 = *(u64 *)(r1 + 0)"), "alu32 keeps r for 64-bit loads");
	CHECK(!strcmp(text_of(&sx, 1, BPFBOX_SYNTAX_LLVM, BPFBOX_DISASM_ALU32),
		      "r0 = *(s32 *)(r1 + 0)"), "alu32 keeps r for sign-extending loads");
}

/* ---- 3. assembler vectors -------------------------------------------------- */

struct avec {
	int syntax;
	const char *text;
	int n;
	struct bpfbox_insn want[6];
};

static const struct avec avecs[] = {
	/* the brief's examples */
	{ 1, "r0 = *(u32 *)(r1 + 4)", 1, { MK(0x61, 0, 1, 4, 0) } },
	{ 1, "if r1 s> r7 goto +37", 1, { MK(0x6d, 1, 7, 37, 0) } },
	{ 1, "w2 = w3", 1, { MK(0xbc, 2, 3, 0, 0) } },
	{ 1, "r1 = 0 ll", 2, { MK(0x18, 1, 0, 0, 0), MK(0, 0, 0, 0, 0) } },
	{ 1, "r1 = 0x1234 ll", 2, { MK(0x18, 1, 0, 0, 0x1234), MK(0, 0, 0, 0, 0) } },
	{ 1, "r1 = 0xffffffffffffffff ll", 2, { MK(0x18, 1, 0, 0, -1), MK(0, 0, 0, 0, -1) } },
	{ 1, "lock *(u64 *)(r10 - 8) += r1", 1, { MK(0xdb, 10, 1, -8, 0) } },
	{ 1, "call 14", 1, { MK(0x85, 0, 0, 0, 14) } },
	{ 1, "r2 = bswap64 r2", 1, { MK(0xd7, 2, 0, 0, 64) } },
	/* hex immediates wrap to 32 bits, decimal must fit */
	{ 1, "r1 = 0xffffffff", 1, { MK(0xb7, 1, 0, 0, -1) } },
	{ 1, "w1 &= 0x80000000", 1, { MK(0x54, 1, 0, 0, INT32_MIN) } },
	/* alternative spellings */
	{ 1, "w0 = *(u32 *)(r1 + 0)", 1, { MK(0x61, 0, 1, 0, 0) } },
	{ 1, "r0 = *(u8 *)(r1)", 1, { MK(0x71, 0, 1, 0, 0) } },
	{ 1, "*(u16 *)(r10 - 2) = w3", 1, { MK(0x6b, 10, 3, -2, 0) } },
	{ 1, "lock *(u32 *)(r1 + 0) += w2", 1, { MK(0xc3, 1, 2, 0, 0) } },
	{ 1, "r2 = atomic_fetch_add((u32 *)(r1 + 0), r2)", 1, { MK(0xc3, 1, 2, 0, 1) } },
	{ 1, "call bpf_map_lookup_elem#1", 1, { MK(0x85, 0, 0, 0, 1) } },
	{ 1, "call pc+2\nexit\nexit\nexit", 4, { MK(0x85, 0, 1, 0, 2), MK(0x95, 0, 0, 0, 0),
						MK(0x95, 0, 0, 0, 0), MK(0x95, 0, 0, 0, 0) } },
	{ 1, "call f\nexit\nf: r0 = 1\nexit", 4, { MK(0x85, 0, 1, 0, 1), MK(0x95, 0, 0, 0, 0),
						 MK(0xb7, 0, 0, 0, 1), MK(0x95, 0, 0, 0, 0) } },
	{ 1, "call kfunc 9, 2", 1, { MK(0x85, 0, 2, 2, 9) } },
	{ 1, "r0 = *(u16 *)skb[r3 - 4]", 1, { MK(0x48, 0, 3, 0, -4) } },
	{ 1, "r1 = map_value(7, 16) ll", 2, { MK(0x18, 1, 2, 0, 7), MK(0, 0, 0, 0, 16) } },
	{ 1, "ld_pseudo r1, 1, 3", 2, { MK(0x18, 1, 1, 0, 3), MK(0, 0, 0, 0, 0) } },
	{ 1, "if r1 == 3 goto +1 <LBB0_2>", 1, { MK(0x15, 1, 0, 1, 3) } },
	/* labels, comments, listing columns */
	{ 1, "start: r0 = 0 ; zero\n  if r0 != 0 goto start // loop\nexit # done", 3,
	  { MK(0xb7, 0, 0, 0, 0), MK(0x55, 0, 0, -2, 0), MK(0x95, 0, 0, 0, 0) } },
	{ 1, "   0: r1 = 1 ll\n   2: goto L4\n   3: exit\nL4:\n   4: exit", 5,
	  { MK(0x18, 1, 0, 0, 1), MK(0, 0, 0, 0, 0), MK(0x05, 0, 0, 1, 0), MK(0x95, 0, 0, 0, 0),
	    MK(0x95, 0, 0, 0, 0) } },
	{ 1, ".LBB0_1:\n\tgotol .LBB0_1", 1, { MK(0x06, 0, 0, 0, -1) } },
	/* directives */
	{ 1, ".raw 0x00000000000000ff\n.raw 0x0000000700012137", 2,
	  { MK(0xff, 0, 0, 0, 0), MK(0x37, 1, 2, 1, 7) } },
	{ 1, "call -3\n.fields src=1", 1, { MK(0x85, 0, 1, 0, -3) } },
	{ 1, "call 5\n  .fields src=2, off=-1", 1, { MK(0x85, 0, 2, -1, 5) } },
	{ 1, "ld_pseudo\tr2, 2, 4294967295\n.fields hi=9", 2,
	  { MK(0x18, 2, 2, 0, -1), MK(0, 0, 0, 0, 9) } },
	{ 1, "r0 = *(u32 *)skb[r1]\n.fields imm=0x10", 1, { MK(0x40, 0, 1, 0, 16) } },
	/* conformance syntax (README section 2) */
	{ 2, "mov %r0, 1\nja +1\nexit\nexit", 4, { MK(0xb7, 0, 0, 0, 1), MK(0x05, 0, 0, 1, 0),
						   MK(0x95, 0, 0, 0, 0), MK(0x95, 0, 0, 0, 0) } },
	{ 2, "add64 %r1, 2", 1, { MK(0x07, 1, 0, 0, 2) } },
	{ 2, "ldxh %r0, [%r1+2]", 1, { MK(0x69, 0, 1, 2, 0) } },
	{ 2, "stb [ %r10 - 1 ], 0x7f", 1, { MK(0x72, 10, 0, -1, 0x7f) } },
	{ 2, "ldxw %r0, [%r1+0xffff]", 1, { MK(0x61, 0, 1, -1, 0) } },
	{ 2, "lock fetch add32 [%r1+4], %r2", 1, { MK(0xc3, 1, 2, 4, 1) } },
	{ 2, "lock fetch xchg [%r1], %r2", 1, { MK(0xdb, 1, 2, 0, 0xe1) } },
	{ 2, "LOCK CMPXCHG32 [%r1], %r2", 1, { MK(0xc3, 1, 2, 0, 0xf1) } },
	{ 2, "swap16 %r3", 1, { MK(0xd7, 3, 0, 0, 16) } },
	{ 2, "call helper 5", 1, { MK(0x85, 0, 0, 0, 5) } },
	{ 2, "call %r2", 1, { MK(0x8d, 2, 0, 0, 0) } },
	{ 2, "callx %r3", 1, { MK(0x8d, 3, 0, 0, 0) } },
	{ 2, "lddw %r1, -1", 2, { MK(0x18, 1, 0, 0, -1), MK(0, 0, 0, 0, -1) } },
	{ 2, "jne %r1, 0, exit\nmov %r0, 1\nexit\nexit", 4,
	  { MK(0x55, 1, 0, 1, 0), MK(0xb7, 0, 0, 0, 1), MK(0x95, 0, 0, 0, 0), MK(0x95, 0, 0, 0, 0) } },
	{ 2, "call local f\nexit\nf:\nexit", 3,
	  { MK(0x85, 0, 1, 0, 1), MK(0x95, 0, 0, 0, 0), MK(0x95, 0, 0, 0, 0) } },
	{ 2, "ja32 +70000", 1, { MK(0x06, 0, 0, 0, 70000) } },
	{ 2, "ldindb %r3, 5\nldabsh 2", 2, { MK(0x50, 0, 3, 0, 5), MK(0x28, 0, 0, 0, 2) } },
	/* auto: both syntaxes in one text */
	{ 0, "mov %r0, 1\nr0 += 2\nexit", 3, { MK(0xb7, 0, 0, 0, 1), MK(0x07, 0, 0, 0, 2),
					       MK(0x95, 0, 0, 0, 0) } },
	/* empty text */
	{ 0, "  ; nothing\n\n", 0, { MK(0, 0, 0, 0, 0) } },
};

static void test_asm_vectors(void)
{
	for (size_t k = 0; k < sizeof(avecs) / sizeof(avecs[0]); k++) {
		const struct avec *v = &avecs[k];
		struct bpfbox_insn *out = NULL;
		size_t n = 0;
		char log[512];
		int err = assemble(v->text, v->syntax, &out, &n, log, sizeof(log));
		bool same = !err && n == (size_t)v->n && (!n || !memcmp(out, v->want, n * 8));
		char shown[48];
		snprintf(shown, sizeof(shown), "%s", v->text);
		for (char *p = shown; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = '|';
		CHECK(same, "asm [%s] (err %d, %zu slots) %s", shown, err, n, log);
		free(out);
	}
}

/* ---- 4. rejections ----------------------------------------------------------- */

struct rvec {
	int syntax;
	const char *text;
	const char *msg; /* substring of the log */
};

static const struct rvec rvecs[] = {
	{ 1, "foo r1", "line 1: unknown instruction 'foo'" },
	{ 1, "exitx", "line 1: unknown instruction 'exitx'" },
	{ 2, "foo %r1", "line 1: unknown mnemonic 'foo'" },
	{ 0, "r0 = 0\nbar %r1, 2", "line 2: unknown instruction 'bar'" },
	{ 1, "r11 = 1", "line 1: invalid register r11" },
	{ 1, "w12 += w1", "line 1: invalid register w12" },
	{ 1, "r1 = *(u32 *)(r15 + 0)", "invalid register r15" },
	{ 2, "mov %r11, 1", "line 1: invalid register %r11" },
	{ 2, "mov %x1, 1", "line 1: bad register '%x1'" },
	{ 1, "r1 = *(u32 *)(r2 + 40000)", "line 1: offset out of 16-bit range" },
	{ 1, "*(u64 *)(r10 - 32769) = r1", "line 1: offset out of 16-bit range" },
	{ 2, "ldxw %r1, [%r2+70000]", "line 1: offset out of 16-bit range" },
	{ 1, "goto +32768", "line 1: jump offset out of 16-bit range" },
	{ 2, "ja +65536", "line 1: offset out of 16-bit range" },
	{ 1, "r1 += 4294967296", "line 1: immediate out of range" },
	{ 1, "r1 += 2147483648", "line 1: immediate out of range" },
	{ 1, "r1 = -2147483649", "line 1: immediate out of range" },
	{ 1, "r1 = 0x10000000000000000 ll", "line 1: 64-bit immediate out of range" },
	{ 1, "if r1 == 99999999999 goto +1", "line 1: immediate out of range" },
	{ 2, "mov32 %r0, 0x100000000", "line 1: immediate out of range" },
	{ 2, "add %r0, 2147483648", "line 1: immediate out of range" },
	{ 2, "lddw %r0, 0x10000000000000000", "line 1: 64-bit immediate out of range" },
	{ 1, "goto nowhere", "line 1: undefined label 'nowhere'" },
	{ 1, "exit\ncall f", "line 2: undefined label 'f'" },
	{ 2, "jeq %r1, 0, done\nexit", "line 1: undefined label 'done'" },
	{ 1, "a: exit\na: exit", "line 2: duplicate label 'a'" },
	{ 2, "a:\nexit\na:\nexit", "line 3: duplicate label 'a'" },
	{ 1, "r1 += 1 foo", "line 1: trailing garbage 'foo'" },
	{ 1, "exit now", "line 1: trailing garbage 'now'" },
	{ 1, "r1 = 5 lx", "line 1: trailing garbage 'lx'" },
	{ 2, "exit now", "line 1: 'exit' takes 0 operand(s)" },
	{ 2, "add %r1", "line 1: 'add' takes 2 operand(s)" },
	{ 2, "ldxw %r1, %r2", "line 1: bad memory operand '%r2'" },
	{ 2, "mov %r1, x", "line 1: bad immediate 'x'" },
	{ 2, "ja 5", "line 1: bad jump target '5'" },
	{ 1, "w1 += r2", "line 1: mixed 32-bit and 64-bit registers" },
	{ 1, "r1 = -r2", "line 1: r2: must be the same register as r1" },
	{ 1, "w0 = *(u64 *)(r1 + 0)", "line 1: a 64-bit access needs an rN register" },
	{ 1, "w1 = le16 w1", "line 1: a 64-bit register is needed here, not w1" },
	{ 1, "r1 = le24 r1", "line 1: unknown operation 'le24'" },
	{ 1, "if r1 === r2 goto +1", "line 1: unknown operation '==='" },
	{ 1, "ld_pseudo r1, 7, 3", "line 1: no lddw form 7" },
	{ 1, ".bogus 1", "line 1: unknown directive '.bogus'" },
	{ 1, ".raw", "line 1: .raw needs one 64-bit number" },
	{ 1, ".fields src=1", "line 1: .fields needs a preceding instruction" },
	{ 1, "r1 = 1\n.fields src=5", "line 2: .fields makes an invalid instruction" },
	{ 1, "r1 = 1\n.fields hi=5", "line 2: .fields: hi= only applies to lddw" },
	{ 1, "r1 = 1\n.fields color=5", "line 2: .fields: bad key" },
	{ 1, "r1 = 1\n.fields src", "line 2: .fields: expected KEY=VALUE" },
	{ 1, "   7: <unknown>", "line 1: cannot assemble '<unknown>'" },
};

static void test_rejections(void)
{
	for (size_t k = 0; k < sizeof(rvecs) / sizeof(rvecs[0]); k++) {
		const struct rvec *v = &rvecs[k];
		struct bpfbox_insn *out = (struct bpfbox_insn *)1;
		size_t n = 99;
		char log[512];
		int err = assemble(v->text, v->syntax, &out, &n, log, sizeof(log));
		log[strcspn(log, "\n")] = 0; /* the first error */
		char shown[48];
		snprintf(shown, sizeof(shown), "%s", v->text);
		for (char *p = shown; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = '|';
		CHECK(err == -EINVAL && !out && !n && strstr(log, v->msg),
		      "reject [%s]: '%s' (want '%s')", shown, log, v->msg);
	}
	/* NUL bytes, overlong lines, the error cap, errors in order */
	struct bpfbox_insn *out;
	size_t n;
	char log[4096];
	struct bpfbox_log lg = { .buf = log, .size = sizeof(log) };
	int err = bpfbox_asm__assemble("exit\n\0exit\n", 11, 0, &out, &n, &lg);
	CHECK(err == -EINVAL && strstr(log, "line 2: NUL byte"), "NUL byte rejected: %s", log);
	char *big = malloc(6000);
	memset(big, ' ', 5999);
	memcpy(big + 5990, "exit", 4);
	big[5999] = 0;
	log[0] = 0;
	lg.len = 0;
	err = bpfbox_asm__assemble(big, strlen(big), 0, &out, &n, &lg);
	CHECK(err == -EINVAL && strstr(log, "line 1: line longer than 4095"), "overlong line: %s", log);
	free(big);
	char many[2048] = "";
	for (int i = 0; i < 25; i++)
		strcat(many, "bogus\n");
	err = assemble(many, 1, &out, &n, log, sizeof(log));
	CHECK(err == -EINVAL && strstr(log, "line 1: ") && strstr(log, "line 20: ") &&
		      !strstr(log, "line 21: ") && strstr(log, "(5 more errors)"),
	      "at most 20 errors, then a count");
	err = assemble("r0 = 1\nfoo\nexit\nbar", 1, &out, &n, log, sizeof(log));
	char *l2 = strstr(log, "line 2:"), *l4 = strstr(log, "line 4:");
	CHECK(err == -EINVAL && l2 && l4 && l2 < l4, "errors are reported in line order");
	CHECK(bpfbox_asm__assemble("exit", 4, 7, &out, &n, NULL) == -EINVAL, "unknown syntax rejected");
	CHECK(bpfbox_asm__assemble("exit", 4, 0, NULL, &n, NULL) == -EINVAL, "NULL out rejected");
}

/* ---- 5. round trip ------------------------------------------------------------ */

static int32_t rand_imm(void)
{
	static const int32_t special[] = { 0, 1, -1, 2, 7, 16, 32, 64, 255, -255, 4096,
					   INT32_MAX, INT32_MIN, 0x7fff, -0x8000, 65536 };
	uint64_t r = next_rand();
	switch (r & 3) {
	case 0: return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
	case 1: return (int32_t)((int64_t)(r >> 8) % 41) - 20;
	default: return (int32_t)(uint32_t)(r >> 16);
	}
}

static int16_t rand_off(void)
{
	uint64_t r = next_rand();
	switch (r & 3) {
	case 0: return (int16_t)((int64_t)(r >> 8) % 21) - 10;
	case 1: return (r >> 8) & 1 ? INT16_MIN : INT16_MAX;
	default: return (int16_t)(uint16_t)(r >> 16);
	}
}

/* n random valid slots (lddw counts 2). */
static void gen_prog(struct bpfbox_insn *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		enum isa_op op = (enum isa_op)(next_rand() % ISA_OP__COUNT);
		if (isa_info[op].shape == S_LDDW && i + 1 >= n)
			continue;
		uint8_t dst = (uint8_t)(next_rand() % 11), src = (uint8_t)(next_rand() % 11);
		int64_t imm = rand_imm();
		if (isa_info[op].shape == S_LDDW)
			imm = (int64_t)((uint64_t)(uint32_t)rand_imm() << 32 | (uint32_t)rand_imm());
		struct bpfbox_insn two[2];
		unsigned k = isa_encode(op, dst, src, rand_off(), imm, two);
		if (isa_decode_one(&two[0], NULL) != op) {
			printf("not ok - generator made an invalid %s\n", isa_info[op].name);
			check_failed++;
			continue;
		}
		for (unsigned j = 0; j < k; j++)
			p[i++] = two[j];
	}
}

static const char *names_cb(void *ud, size_t index)
{
	static char buf[32];
	(void)ud;
	if (index == 5)
		return "func_five";
	if (index % 50 != 7)
		return NULL;
	snprintf(buf, sizeof(buf), "fn_%zu", index);
	return buf;
}

static const char *helper_cb(void *ud, int32_t id)
{
	(void)ud;
	return id == 1 ? "bpf_map_lookup_elem" : id == 6 ? "bpf_trace_printk" : NULL;
}

/* Disassemble p in `syntax`, assemble the listing back, compare. */
static bool round_trip(const struct bpfbox_insn *p, size_t n, int syntax, unsigned flags,
		       int asm_syntax, size_t *failed_at)
{
	BPFBOX_OPTS(bpfbox_disasm_opts, o, .syntax = syntax, .flags = flags,
		    .helper_name = helper_cb);
	char *text = NULL;
	size_t len = 0;
	if (bpfbox_disasm__prog(p, n, &o, &text, &len))
		return false;
	struct bpfbox_insn *back = NULL;
	size_t m = 0;
	char log[1024] = "";
	struct bpfbox_log lg = { .buf = log, .size = sizeof(log) };
	int err = bpfbox_asm__assemble(text, len, asm_syntax, &back, &m, &lg);
	bool ok = !err && m == n && !memcmp(back, p, n * sizeof(*p));
	if (!ok) {
		size_t i = 0;
		while (!err && i < n && i < m && !memcmp(&back[i], &p[i], sizeof(*p)))
			i++;
		*failed_at = i;
		char line[BPFBOX_DISASM_LINE_MAX];
		bpfbox_disasm__insn(p, n, i < n ? i : 0, &o, line, sizeof(line));
		printf("# syntax %d flags %u: err %d, slot %zu '%s' %016llx -> %016llx\n# %s", syntax,
		       flags, err, i, line, i < n ? *(const unsigned long long *)&p[i] : 0ull,
		       !err && i < m ? *(const unsigned long long *)&back[i] : 0ull, log);
	}
	free(text);
	free(back);
	return ok;
}

static void test_round_trip(void)
{
	enum { CHUNK = 50000, TOTAL = 1000000 };
	struct bpfbox_insn *p = malloc(CHUNK * sizeof(*p));
	size_t done = 0, slots = 0;
	int fails[3] = { 0 };
	for (int c = 0; done < TOTAL; c++) {
		gen_prog(p, CHUNK);
		size_t at;
		for (size_t i = 0; i < CHUNK; i += isa_info[isa_decode_one(&p[i], NULL)].shape == S_LDDW ? 2 : 1)
			done++;
		slots += CHUNK;
		fails[0] += !round_trip(p, CHUNK, BPFBOX_SYNTAX_LLVM, 0, BPFBOX_SYNTAX_LLVM, &at);
		fails[1] += !round_trip(p, CHUNK, BPFBOX_SYNTAX_CONFORMANCE, 0,
					BPFBOX_SYNTAX_CONFORMANCE, &at);
		if (c % 4 == 0) {
			fails[2] += !round_trip(p, CHUNK, BPFBOX_SYNTAX_BPFBOX,
						BPFBOX_DISASM_LABELS | BPFBOX_DISASM_ALU32,
						BPFBOX_SYNTAX_AUTO, &at);
			fails[2] += !round_trip(p, CHUNK, BPFBOX_SYNTAX_LLVM, BPFBOX_DISASM_ALU32 |
						BPFBOX_DISASM_LABELS, BPFBOX_SYNTAX_AUTO, &at);
		}
	}
	CHECK(fails[0] == 0, "round trip llvm syntax: %zu instructions (%zu slots), %d bad chunks",
	      done, slots, fails[0]);
	CHECK(fails[1] == 0, "round trip conformance syntax: %zu instructions, %d bad chunks", done,
	      fails[1]);
	CHECK(fails[2] == 0, "round trip bpfbox syntax with labels/alu32 (a quarter), %d bad chunks",
	      fails[2]);
	/* labels with a naming callback, on a small program with real targets */
	struct bpfbox_insn q[200];
	for (int i = 0; i < 200; i++)
		q[i] = mk(0x05, 0, 0, (int16_t)((int)(next_rand() % 200) - i - 1), 0);
	BPFBOX_OPTS(bpfbox_disasm_opts, o, .syntax = BPFBOX_SYNTAX_BPFBOX,
		    .flags = BPFBOX_DISASM_LABELS, .label_name = names_cb);
	char *text;
	size_t len;
	struct bpfbox_insn *back;
	size_t m;
	CHECK(!bpfbox_disasm__prog(q, 200, &o, &text, &len), "listing with label names");
	CHECK(strstr(text, "func_five:\n   5: goto") != NULL && strstr(text, "\nfn_57:\n"),
	      "label_name names targets and non-targets");
	CHECK(!bpfbox_asm__assemble(text, len, 0, &back, &m, NULL) && m == 200 &&
		      !memcmp(back, q, sizeof(q)), "labelled listing assembles back");
	free(text);
	free(back);
	free(p);
}

/* Mutated listings: the assembler must answer 0 or -EINVAL, never crash
 * (the sanitizer builds run this too). */
static void test_mutations(void)
{
	static const char junk[] = "rw%0123456789+-*()[]<>=&|^s#;:,. \t\nxabcdefghijklmnopqtuvyz_";
	struct bpfbox_insn p[64];
	int bad = 0, accepted = 0;
	for (int iter = 0; iter < 3000; iter++) {
		gen_prog(p, 64);
		BPFBOX_OPTS(bpfbox_disasm_opts, o, .syntax = 1 + iter % 3,
			    .flags = iter % 2 ? BPFBOX_DISASM_LABELS : 0);
		char *text;
		size_t len;
		if (bpfbox_disasm__prog(p, 64, &o, &text, &len)) {
			bad++;
			continue;
		}
		for (int k = 0; k < 1 + iter % 8; k++) {
			size_t at = next_rand() % len;
			switch (next_rand() % 3) {
			case 0: text[at] = junk[next_rand() % (sizeof(junk) - 1)]; break;
			case 1: memmove(text + at, text + at + 1, len - at); len--; break;
			default:
				if (at + 8 < len)
					memcpy(text + at, text + len - 8, 4);
			}
		}
		struct bpfbox_insn *back = NULL;
		size_t m;
		int err = bpfbox_asm__assemble(text, len, iter % 3, &back, &m, NULL);
		bad += err != 0 && err != -EINVAL;
		accepted += !err;
		free(back);
		free(text);
	}
	CHECK(bad == 0, "3000 mutated listings: 0 or -EINVAL every time (%d assembled)", accepted);
}

/* ---- 6. API edges ---------------------------------------------------------------- */

static int note_cb(void *ud, size_t index, const struct bpfbox_insn *in, char *buf, size_t size)
{
	(void)ud;
	if (in->code != 0x18)
		return 0;
	return snprintf(buf, size, "map[events] (insn %zu)", index);
}

static void test_api_edges(void)
{
	char buf[64];
	struct bpfbox_insn bad[3] = { mk(0xff, 0, 0, 0, 0), mk(0x18, 1, 0, 0, 1),
				      mk(0x07, 0, 0, 0, 0) };
	BPFBOX_OPTS(bpfbox_disasm_opts, llvm, .syntax = BPFBOX_SYNTAX_LLVM);
	CHECK(bpfbox_disasm__insn(bad, 3, 0, &llvm, buf, sizeof(buf)) == -EINVAL &&
		      !strcmp(buf, "<unknown>"), "invalid opcode: <unknown>");
	CHECK(bpfbox_disasm__insn(bad, 2, 1, NULL, buf, sizeof(buf)) == -EINVAL &&
		      !strcmp(buf, ".raw 0x0000000100000118"), "truncated lddw: .raw in bpfbox syntax");
	CHECK(bpfbox_disasm__insn(bad, 3, 1, NULL, buf, sizeof(buf)) == -EINVAL,
	      "lddw with a bad second half is invalid");
	CHECK(bpfbox_disasm__insn(bad, 3, 3, NULL, buf, sizeof(buf)) == -ERANGE, "index past the end");
	BPFBOX_OPTS(bpfbox_disasm_opts, badsyn, .syntax = 9);
	CHECK(bpfbox_disasm__insn(bad, 3, 2, &badsyn, buf, sizeof(buf)) == -EINVAL && !buf[0],
	      "unknown syntax rejected");
	BPFBOX_OPTS(bpfbox_disasm_opts, badflags, .flags = 1u << 9);
	CHECK(bpfbox_disasm__insn(bad, 3, 2, &badflags, buf, sizeof(buf)) == -EINVAL,
	      "unknown flags rejected");
	struct {
		struct bpfbox_disasm_opts o;
		long extra;
	} big = { { .sz = sizeof(big) }, 1 };
	CHECK(bpfbox_disasm__insn(bad, 3, 2, &big.o, buf, sizeof(buf)) == -EINVAL,
	      "opts with unknown non-zero tail rejected");
	big.extra = 0;
	CHECK(bpfbox_disasm__insn(bad, 3, 2, &big.o, buf, sizeof(buf)) == 1, "zero tail accepted");
	struct bpfbox_insn lddw[2] = { mk(0x18, 1, 0, 0, -1), mk(0, 0, 0, 0, 0x7fffffff) };
	char tiny[8];
	CHECK(bpfbox_disasm__insn(lddw, 2, 0, &llvm, tiny, sizeof(tiny)) == 2 &&
		      !strcmp(tiny, "r1 = 92"), "output truncated to the buffer: '%s'", tiny);
	/* the listing: invalid slots continue, notes, helper names */
	struct bpfbox_insn prog[6] = { mk(0xff, 0, 0, 0, 0), mk(0x18, 1, 0, 0, 0), mk(0, 0, 0, 0, 0),
				       mk(0x85, 0, 0, 0, 1), mk(0x85, 0, 0, 0, 99),
				       mk(0x95, 0, 0, 0, 0) };
	char *text;
	BPFBOX_OPTS(bpfbox_disasm_opts, bo, .annotate = note_cb, .helper_name = helper_cb);
	CHECK(!bpfbox_disasm__prog(prog, 6, &bo, &text, NULL), "bpfbox listing");
	bool same = !strcmp(text, "   0: .raw 0x00000000000000ff\n"
				  "   1: r1 = 0 ll  ; map[events] (insn 1)\n"
				  "   3: call bpf_map_lookup_elem#1\n"
				  "   4: call 99\n"
				  "   5: exit\n");
	if (!same)
		printf("# got:\n%s", text);
	CHECK(same, "bpfbox listing: .raw for invalid slots, notes, helper names");
	struct bpfbox_insn *back;
	size_t m;
	CHECK(!bpfbox_asm__assemble(text, strlen(text), 0, &back, &m, NULL) && m == 6 &&
		      !memcmp(back, prog, sizeof(prog)), "bpfbox listing assembles back, .raw included");
	free(back);
	free(text);
	BPFBOX_OPTS(bpfbox_disasm_opts, lo, .syntax = BPFBOX_SYNTAX_LLVM, .annotate = note_cb,
		    .flags = BPFBOX_DISASM_NO_INDEX);
	CHECK(!bpfbox_disasm__prog(prog + 1, 5, &lo, &text, NULL) &&
		      !strcmp(text, "r1 = 0 ll\n      ; map[events] (insn 0)\ncall 1\ncall 99\nexit\n"),
	      "llvm listing: notes on their own line, no index column");
	free(text);
	size_t len = 7;
	CHECK(!bpfbox_disasm__prog(NULL, 0, NULL, &text, &len) && text && !text[0] && len == 0,
	      "empty listing");
	free(text);
	CHECK(bpfbox_disasm__prog(prog, 6, &badsyn, &text, NULL) == -EINVAL, "listing: bad opts");
}

int main(void)
{
	test_every_row_prints();
	test_disasm_vectors();
	test_asm_vectors();
	test_rejections();
	test_round_trip();
	test_mutations();
	test_api_edges();
	return check_summary();
}
