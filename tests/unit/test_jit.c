/* bpfbox — test_jit.c: the x86-64 JIT agrees with the interpreter.
 *
 * The oracle is the interpreter (itself checked against RFC 9669 by the
 * conformance suite and test_isa's oracle): for every row of isa.def we
 * build programs that set every register from a pool of edge values
 * (0, ±1, INT_MIN, INT_MAX, shift widths...), execute the row once, then
 * dump all registers and the memory the row may touch, and require the
 * interpreter and the JIT to produce the same r0, the same memory and the
 * same log — in checked mode (unverified), in verified mode (unchecked
 * builds of both engines), and with constant blinding.  Around that:
 * division and shift edge cases against literal RFC 9669 results and
 * every constant-divisor code path (shifts, reciprocals), faults and
 * budget exhaustion at the interpreter's instruction, bpf-to-bpf calls and
 * the depth limit, tail calls (JIT to JIT, JIT to interpreter, the 33-call
 * limit), helper aborts and grants, the public API, blinding's effect on
 * the code bytes, and W^X: a helper reads /proc/self/maps while JIT code
 * runs and finds no mapping both writable and executable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "check.h"
#include "isa/isa.h"
#include "vm/vm.h"
#include "../fuzz/jit_diff.h"

/* ---- program builder ------------------------------------------------------ */

struct pb {
	struct bpfbox_insn s[1024];
	size_t n;
};

static size_t E(struct pb *p, enum isa_op op, unsigned dst, unsigned src, int off, int64_t imm)
{
	size_t at = p->n;
	p->n += isa_encode(op, (uint8_t)dst, (uint8_t)src, (int16_t)off, imm, &p->s[p->n]);
	return at;
}

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t pool_value(void)
{
	static const uint64_t pool[] = {
		0, 1, ~0ull, 2, 3, 7, 31, 32, 63, 64, 0x80, 0xff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ull, 0x8000000000000000ull, 0x7fffffffffffffffull,
		0xffffffff80000000ull, 0xffffffff00000000ull, 0x00000000ffff0000ull, 10, 1000,
	};
	switch (rnd() % 3) {
	case 0: return pool[rnd() % ARRAY_SIZE(pool)];
	case 1: return (uint64_t)(int64_t)(int32_t)rnd();
	default: return rnd();
	}
}

static struct diff_env env;

/* Layout of the 384-byte buffer of the row programs. */
#define DATA_OFF 0    /* [0, 128): data the row's memory access works on */
#define DUMP_OFF 128  /* [128, 208): r0..r9 after the row */
#define STK_COPY 208  /* [208, 336): copy of the stack data area */
#define MEM_LEN 384
#define STK_DATA (-264) /* stack data area [r10-264, r10-136) */

/* A program around one instance of row `op`. */
static void build_row_prog(struct pb *p, enum isa_op op, bool verified, uint8_t *mem)
{
	const struct isa_info *inf = &isa_info[op];
	unsigned shape = inf->shape;
	p->n = 0;
	for (size_t i = 0; i < MEM_LEN; i++)
		mem[i] = (uint8_t)rnd();
	E(p, ISA_OP_STXDW, 10, 1, -8, 0);                          /* save the buffer pointer */
	for (int k = 0; k < 16; k++) {                             /* stack data area */
		E(p, ISA_OP_LDDW, 2, 0, 0, (int64_t)rnd());
		E(p, ISA_OP_STXDW, 10, 2, STK_DATA + 8 * k, 0);
	}
	uint64_t v[10];
	for (unsigned r = 0; r < 10; r++) {
		v[r] = pool_value();
		E(p, ISA_OP_LDDW, r, 0, 0, (int64_t)v[r]);
	}
	unsigned dst = (unsigned)(rnd() % 10), src = (unsigned)(rnd() % 11);
	int off = 0;
	int64_t imm = (int64_t)pool_value();
	if (rnd() % 4 == 0) /* immediates equal to a register's value: jeq and friends */
		imm = (int32_t)v[dst];
	if (shape == S_ALU_X && rnd() % 8 == 0 && src != 10) /* same value in src: x/x, x==x */
		E(p, ISA_OP_MOV64_X, src, dst, 0, 0);
	if (shape == S_LDX || shape == S_ST || shape == S_STX || shape == S_ATOMIC) {
		unsigned size = isa_mem_size(inf->code);
		unsigned base = shape == S_LDX ? src : dst;
		bool stack = rnd() % 3 == 0;
		if (stack) {
			base = 10;
			off = STK_DATA + (int)(rnd() % (128 - size + 1));
		} else {
			if (base == 10)
				base = 6;
			off = DATA_OFF + (int)(rnd() % (128 - size + 1));
			E(p, ISA_OP_LDXDW, base, 10, -8, 0);
			if (rnd() % 2) { /* base in the middle, negative offsets */
				E(p, ISA_OP_ADD64_K, base, 0, 0, 64);
				off -= 64;
			}
		}
		if (shape == S_ATOMIC)
			off &= ~(int)(size - 1);
		if (shape == S_LDX)
			src = base;
		else
			dst = base;
		if (shape == S_ATOMIC && src == 10)
			src = 2;
		if (shape == S_ATOMIC && src == base)
			src = base == 3 ? 4 : 3;
		if ((inf->flags & F_R0) && rnd() % 2 && base != 0)
			E(p, ISA_OP_LDXDW, 0, base, off, 0); /* cmpxchg that succeeds */
	}
	if (shape == S_CALLX) {
		if (dst == 0)
			dst = 8;
		E(p, ISA_OP_MOV64_K, dst, 0, 0, rnd() % 5 ? 1 : 77);
	}
	if (shape == S_LD_IND && src == 10)
		src = 4;
	if (shape == S_LD_IND)
		E(p, ISA_OP_MOV64_K, src, 0, 0, (int64_t)(rnd() % 400) - (rnd() % 8 == 0 ? 500 : 0));
	if (shape == S_LD_ABS || shape == S_LD_IND)
		imm = (int64_t)(rnd() % 400);
	if (shape == S_CALL)
		imm = rnd() % 2 ? 1 : 5;
	/* the instruction under test */
	size_t at = p->n;
	if (isa_is_jump(op) || shape == S_CALL_LOCAL) {
		off = 1; /* skip one instruction (local calls: patched below) */
		if (shape == S_JA32)
			imm = 1;
	}
	E(p, op, dst, src, off, imm);
	if (isa_is_jump(op))
		E(p, ISA_OP_XOR64_K, 9, 0, 0, 0x5a5a5a5a);          /* skipped when taken */
	if ((shape == S_CALL || shape == S_CALLX) && verified)
		for (unsigned r = 1; r <= 5; r++)                  /* clobbered by a call */
			E(p, ISA_OP_MOV64_K, r, 0, 0, 0);
	/* dump r0..r9, then copy them and the stack data area out */
	for (unsigned r = 0; r < 10; r++)
		E(p, ISA_OP_STXDW, 10, r, -16 - 8 * (int)r, 0);
	E(p, ISA_OP_LDXDW, 1, 10, -8, 0);
	for (unsigned r = 0; r < 10; r++) {
		E(p, ISA_OP_LDXDW, 2, 10, -16 - 8 * (int)r, 0);
		E(p, ISA_OP_STXDW, 1, 2, DUMP_OFF + 8 * (int)r, 0);
	}
	for (int k = 0; k < 16; k++) {
		E(p, ISA_OP_LDXDW, 2, 10, STK_DATA + 8 * k, 0);
		E(p, ISA_OP_STXDW, 1, 2, STK_COPY + 8 * k, 0);
	}
	E(p, ISA_OP_LDXDW, 0, 10, -16, 0);
	E(p, ISA_OP_EXIT, 0, 0, 0, 0);
	if (shape == S_CALL_LOCAL) {
		/* the subprogram: uses its arguments, its own stack, and
		 * clobbers a callee-saved register the caller gets back */
		size_t sub = p->n;
		E(p, ISA_OP_MOV64_X, 0, 1, 0, 0);
		E(p, ISA_OP_ADD64_X, 0, 2, 0, 0);
		E(p, ISA_OP_MOV64_K, 6, 0, 0, 77);
		E(p, ISA_OP_STXDW, 10, 3, -8, 0);
		E(p, ISA_OP_LDXDW, 4, 10, -8, 0);
		E(p, ISA_OP_MOV64_K, 7, 0, 0, 78);
		E(p, ISA_OP_EXIT, 0, 0, 0, 0);
		p->s[at].imm = (int32_t)(sub - at - 1);
	}
}

static void test_rows(void)
{
	static uint8_t mem[MEM_LEN];
	static struct pb p;
	for (unsigned op = 0; op < ISA_OP__COUNT; op++) {
		int agree = 0, total = 0;
		const char *first_diff = NULL;
		static char diffbuf[1400];
		for (int i = 0; i < 48; i++) {
			bool verified = i % 2;
			build_row_prog(&p, (enum isa_op)op, verified, mem);
			struct diff_case c = {
				.insns = p.s, .n = p.n, .mem = mem, .mem_len = MEM_LEN,
				.verified = verified, .blind = i % 3 == 0,
			};
			int rc = diff_check(&env, &c, NULL);
			total++;
			if (rc == 1)
				agree++;
			else if (!first_diff) {
				snprintf(diffbuf, sizeof(diffbuf), "%s", env.last_diff);
				first_diff = diffbuf;
			}
		}
		CHECK(agree == total, "row %-12s %d/%d programs agree (checked, verified, blinded)%s%s",
		      isa_info[op].name, agree, total, first_diff ? ": " : "",
		      first_diff ? first_diff : "");
	}
}

/* ---- literal edge cases ---------------------------------------------------- */

/* r0 = op(a, b) for an ALU row, a and b loaded with lddw (X form) or b as
 * the immediate (K form); run on the JIT (checked) and the interpreter. */
static bool run_alu(enum isa_op op, uint64_t a, int64_t b, uint64_t *jit_r0, uint64_t *int_r0)
{
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_LDDW, 0, 0, 0, (int64_t)a);
	if (isa_info[op].shape == S_ALU_X) {
		E(&p, ISA_OP_LDDW, 3, 0, 0, b);
		E(&p, op, 0, 3, 0, 0);
	} else {
		E(&p, op, 0, 0, 0, b);
	}
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	struct diff_case c = { .insns = p.s, .n = p.n };
	struct diff_run r;
	int rc = diff_check(&env, &c, &r);
	*int_r0 = r.r0;
	*jit_r0 = r.r0; /* equal when rc == 1 */
	return rc == 1 && r.err == 0;
}

static void expect_alu(enum isa_op op, uint64_t a, int64_t b, uint64_t want)
{
	uint64_t j, i;
	bool ok = run_alu(op, a, b, &j, &i);
	CHECK(ok && i == want, "%s 0x%llx, 0x%llx = 0x%llx (got 0x%llx%s)", isa_info[op].name,
	      (unsigned long long)a, (unsigned long long)b, (unsigned long long)want,
	      (unsigned long long)i, ok ? "" : "; engines disagree");
}

static void test_edges(void)
{
	const uint64_t I64MIN = 0x8000000000000000ull;
	/* RFC 9669: INT_MIN / -1 wraps, INT_MIN % -1 = 0, no trap */
	expect_alu(ISA_OP_SDIV64_X, I64MIN, -1, I64MIN);
	expect_alu(ISA_OP_SDIV64_K, I64MIN, -1, I64MIN);
	expect_alu(ISA_OP_SMOD64_X, I64MIN, -1, 0);
	expect_alu(ISA_OP_SMOD64_K, I64MIN, -1, 0);
	expect_alu(ISA_OP_SDIV32_X, 0xdeadbeef80000000ull, -1, 0x80000000);
	expect_alu(ISA_OP_SDIV32_K, 0xdeadbeef80000000ull, -1, 0x80000000);
	expect_alu(ISA_OP_SMOD32_X, 0x80000000, -1, 0);
	expect_alu(ISA_OP_SMOD32_K, 0x80000000, -1, 0);
	/* division by zero is 0, modulo by zero keeps dst (32-bit: its low half) */
	expect_alu(ISA_OP_DIV64_X, 12345, 0, 0);
	expect_alu(ISA_OP_DIV64_K, 12345, 0, 0);
	expect_alu(ISA_OP_MOD64_X, 0xffffffff12345678ull, 0, 0xffffffff12345678ull);
	expect_alu(ISA_OP_MOD64_K, 0xffffffff12345678ull, 0, 0xffffffff12345678ull);
	expect_alu(ISA_OP_DIV32_X, 0xffffffff12345678ull, 0, 0);
	expect_alu(ISA_OP_MOD32_X, 0xffffffff12345678ull, 0, 0x12345678);
	expect_alu(ISA_OP_MOD32_K, 0xffffffff12345678ull, 0, 0x12345678);
	expect_alu(ISA_OP_SDIV64_X, 7, 0, 0);
	expect_alu(ISA_OP_SMOD64_X, (uint64_t)-7, 0, (uint64_t)-7);
	expect_alu(ISA_OP_SMOD32_X, 0xaaaaaaaafffffff9ull, 0, 0xfffffff9);
	/* a 32-bit divisor is its low half: 0x100000000 is a zero divisor */
	expect_alu(ISA_OP_DIV32_X, 100, 0x100000000ll, 0);
	/* signs: truncation toward zero */
	expect_alu(ISA_OP_SDIV64_K, (uint64_t)-7, 2, (uint64_t)-3);
	expect_alu(ISA_OP_SMOD64_K, (uint64_t)-7, 2, (uint64_t)-1);
	expect_alu(ISA_OP_SDIV64_K, 7, -2, (uint64_t)-3);
	expect_alu(ISA_OP_SMOD64_K, 7, -2, 1);
	expect_alu(ISA_OP_SDIV32_K, 0xfffffff9, 4, 0xffffffff);
	expect_alu(ISA_OP_SDIV32_K, 0x80000000, (int32_t)0x80000000, 1);
	/* shifts are masked: by 64 is by 0, by 65 is by 1; 32-bit by 32 is by 0 */
	expect_alu(ISA_OP_LSH64_X, 0x8000000000000001ull, 64, 0x8000000000000001ull);
	expect_alu(ISA_OP_LSH64_X, 1, 65, 2);
	expect_alu(ISA_OP_LSH64_K, 1, 63, I64MIN);
	expect_alu(ISA_OP_RSH64_X, I64MIN, 63, 1);
	expect_alu(ISA_OP_ARSH64_X, I64MIN, 63, ~0ull);
	expect_alu(ISA_OP_ARSH64_K, I64MIN, 127, ~0ull);
	expect_alu(ISA_OP_LSH32_X, 0xffffffff00000001ull, 32, 1);
	expect_alu(ISA_OP_LSH32_K, 0xffffffff00000001ull, 0, 1);
	expect_alu(ISA_OP_RSH32_X, 0xffffffff80000000ull, 31, 1);
	expect_alu(ISA_OP_ARSH32_X, 0x80000000, 31, 0xffffffff);
	expect_alu(ISA_OP_ARSH32_K, 0x80000000, 63, 0xffffffff);
	expect_alu(ISA_OP_RSH64_K, 0xf0, 0, 0xf0);
	/* 32-bit results are zero-extended */
	expect_alu(ISA_OP_ADD32_K, 0xffffffffffffffffull, 1, 0);
	expect_alu(ISA_OP_MUL32_X, 0xffffffff00000003ull, 0x100000005ll, 15);
	expect_alu(ISA_OP_MOV32_X, 0, 0, 0);

	/* every constant-divisor path against the reference primitives:
	 * powers of two (shift/mask), reciprocals (32 and 64 bits), huge
	 * unsigned divisors, signed powers of two, plain idiv */
	static const int32_t divs[] = { 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 13, 25, 60, 100, 641, 1000,
		3600, 65535, 65536, 65537, 0x3fffffff, 0x40000000, 0x7ffffffe, 0x7fffffff,
		-1, -2, -3, -4, -7, -10, -16, -1000, -65536, (int32_t)0x80000000, (int32_t)0x80000001,
		(int32_t)0xfffffffe, (int32_t)0xc0000000 };
	static const uint64_t xs[] = { 0, 1, 2, 3, 6, 7, 9, 10, 99, 100, 101, 641 * 641, 0xffffffff,
		0xfffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0x100000000ull, ~0ull, ~0ull - 1,
		0x8000000000000000ull, 0x7fffffffffffffffull, 0x8000000000000001ull,
		0x123456789abcdef0ull, 0xfedcba9876543210ull };
	static const enum isa_op kops[] = { ISA_OP_DIV64_K, ISA_OP_MOD64_K, ISA_OP_SDIV64_K,
		ISA_OP_SMOD64_K, ISA_OP_DIV32_K, ISA_OP_MOD32_K, ISA_OP_SDIV32_K, ISA_OP_SMOD32_K };
	int bad = 0, n = 0;
	for (size_t o = 0; o < ARRAY_SIZE(kops); o++)
		for (size_t d = 0; d < ARRAY_SIZE(divs); d++)
			for (size_t x = 0; x < ARRAY_SIZE(xs) + 8; x++) {
				uint64_t a = x < ARRAY_SIZE(xs) ? xs[x] : rnd();
				uint64_t b = (uint64_t)(int64_t)divs[d], want;
				switch (kops[o]) {
				case ISA_OP_DIV64_K: want = udiv64(a, b); break;
				case ISA_OP_MOD64_K: want = umod64(a, b); break;
				case ISA_OP_SDIV64_K: want = sdiv64(a, b); break;
				case ISA_OP_SMOD64_K: want = smod64(a, b); break;
				case ISA_OP_DIV32_K: want = udiv32(a, b); break;
				case ISA_OP_MOD32_K: want = umod32(a, b); break;
				case ISA_OP_SDIV32_K: want = sdiv32(a, b); break;
				default: want = smod32(a, b); break;
				}
				uint64_t j, i;
				bool ok = run_alu(kops[o], a, divs[d], &j, &i);
				n++;
				if (!ok || j != want) {
					if (bad++ < 5)
						printf("#   %s 0x%llx, %d: got 0x%llx want 0x%llx%s\n",
						       isa_info[kops[o]].name, (unsigned long long)a, divs[d],
						       (unsigned long long)j, (unsigned long long)want,
						       ok ? "" : " (engines disagree)");
				}
			}
	CHECK(bad == 0, "constant divisors: %d of %d div/mod cases match the reference", n - bad, n);
}

/* ---- faults, budget, calls --------------------------------------------------- */

/* Run on both engines; the interpreter's result must be `err` with a log
 * line starting "insn <idx>:" and containing `what`, and the JIT must agree. */
static void expect_error(const char *name, struct pb *p, const uint8_t *mem, size_t mem_len,
			 bool ro, uint64_t budget, int err, size_t idx, const char *what)
{
	struct diff_case c = { .insns = p->s, .n = p->n, .mem = mem, .mem_len = mem_len, .ro = ro,
			       .budget = budget };
	struct diff_run r;
	int rc = diff_check(&env, &c, &r);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "insn %zu: ", idx);
	CHECK(rc == 1 && r.err == err && !strncmp(r.log, prefix, strlen(prefix)) && strstr(r.log, what),
	      "%s: both engines: %d at insn %zu (%s): %s", name, err, idx, what,
	      rc == 1 ? r.log : env.last_diff);
}

static void test_faults(void)
{
	static uint8_t mem[64];
	struct pb p;
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 0, 0, 0, 1);
	E(&p, ISA_OP_LDXW, 0, 1, 62, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("load crossing the end of r1", &p, mem, 64, false, 0, -EFAULT, 1,
		     "out-of-bounds load of 4 bytes");
	p.n = 0;
	E(&p, ISA_OP_STB, 1, 0, -1, 7);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("store before r1", &p, mem, 64, false, 0, -EFAULT, 0, "out-of-bounds store of 1 byte");
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 0, 0, 0, 0);
	E(&p, ISA_OP_STXW, 1, 0, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("store to a read-only context", &p, mem, 64, true, 0, -EFAULT, 1,
		     "out-of-bounds store of 4 bytes");
	p.n = 0;
	E(&p, ISA_OP_LDXDW, 0, 10, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("load above the stack", &p, mem, 64, false, 0, -EFAULT, 0, "out-of-bounds load of 8 bytes");
	p.n = 0;
	E(&p, ISA_OP_MOV64_X, 2, 10, 0, 0);
	E(&p, ISA_OP_LDXB, 0, 2, -513, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("load below the frame", &p, mem, 64, false, 0, -EFAULT, 1, "out-of-bounds load of 1 byte");
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 3, 0, 0, 0);
	E(&p, ISA_OP_LDXH, 0, 3, 16, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("near-null load", &p, mem, 64, false, 0, -EFAULT, 1, "at 0x10");
	p.n = 0;
	E(&p, ISA_OP_LDXDW, 0, 1, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("no memory at all", &p, NULL, 0, false, 0, -EFAULT, 0, "out-of-bounds load of 8 bytes");
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 2, 0, 0, 1);
	E(&p, ISA_OP_AFADD_DW, 1, 2, 4, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("misaligned atomic", &p, mem, 64, false, 0, -EFAULT, 1, "misaligned atomic access of 8 bytes");
	p.n = 0;
	E(&p, ISA_OP_CALL, 0, 0, 0, 999);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("unknown helper", &p, mem, 64, false, 0, -ENOENT, 0, "call to unknown helper 999");
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 4, 0, 0, 33);
	E(&p, ISA_OP_CALLX, 4, 0, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("callx to an unknown helper", &p, mem, 64, false, 0, -ENOENT, 1, "unknown helper 33");
	p.n = 0;
	E(&p, ISA_OP_CALL_KFUNC, 0, 0, 0, 5);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("kfunc", &p, mem, 64, false, 0, -ENOTSUP, 0, "kfunc calls");
	p.n = 0; /* f: r1 += 1; call f  (endless recursion) */
	E(&p, ISA_OP_ADD64_K, 1, 0, 0, 1);
	E(&p, ISA_OP_STXDW, 10, 1, -8, 0);
	E(&p, ISA_OP_CALL_LOCAL, 0, 0, 0, -3);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("call depth", &p, mem, 64, false, 0, -EOVERFLOW, 2, "call depth exceeds 8 frames");
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 1, 0, 0, 0x1142);
	E(&p, ISA_OP_CALL, 0, 0, 0, 3);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	expect_error("helper abort", &p, mem, 64, false, 0, -ECANCELED, 1, "abort_if: r1 = 0x1142");
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 0, 0, 0, 5);
	E(&p, ISA_OP_JA, 0, 0, -2, 0);
	expect_error("endless loop", &p, mem, 64, false, 1001, -ELOOP, 1,
		     "instruction budget exhausted (1001 instructions)");
}

static void test_budget(void)
{
	/* a loop whose blocks store in their middle: for every budget the
	 * run must stop at the same instruction with the same stores done */
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_MOV64_K, 0, 0, 0, 0);            /* 0 */
	E(&p, ISA_OP_MOV64_K, 2, 0, 0, 0);            /* 1 */
	E(&p, ISA_OP_STXDW, 1, 2, 0, 0);              /* 2  loop: */
	E(&p, ISA_OP_ADD64_K, 2, 0, 0, 1);            /* 3 */
	E(&p, ISA_OP_LDDW, 3, 0, 0, 0x1111111111ll);  /* 4,5 */
	E(&p, ISA_OP_ADD64_X, 0, 2, 0, 0);            /* 6 */
	E(&p, ISA_OP_STXW, 10, 0, -8, 0);             /* 7 */
	E(&p, ISA_OP_STXB, 1, 2, 8, 0);               /* 8 */
	E(&p, ISA_OP_AADD_DW, 1, 2, 16, 0);           /* 9 */
	E(&p, ISA_OP_JLT_K, 2, 0, -9, 100);           /* 10 -> 2 */
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);               /* 11 */
	static uint8_t mem[32];
	int agree = 0, loops = 0;
	for (uint64_t b = 1; b <= 120; b++) {
		struct diff_case c = { .insns = p.s, .n = p.n, .mem = mem, .mem_len = 32, .budget = b };
		struct diff_run r;
		if (diff_check(&env, &c, &r) == 1)
			agree++;
		else
			printf("#   budget %llu: %s\n", (unsigned long long)b, env.last_diff);
		loops += r.err == -ELOOP;
	}
	CHECK(agree == 120 && loops == 120, "budget 1..120: same instruction, same stores (%d agree, %d ELOOP)",
	      agree, loops);
	struct diff_case c = { .insns = p.s, .n = p.n, .mem = mem, .mem_len = 32, .budget = 100000 };
	struct diff_run r;
	CHECK(diff_check(&env, &c, &r) == 1 && r.err == 0 && r.r0 == 5050,
	      "enough budget: the loop finishes on both engines (r0 = %llu)", (unsigned long long)r.r0);
}

static void test_calls(void)
{
	/* main: r6 = 5; r1 = 10; call f; r0 += r6; exit
	 * f:    r6 = r1 * 2 ... recursion to depth 4 through the stack */
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_MOV64_K, 6, 0, 0, 5);
	E(&p, ISA_OP_MOV64_K, 1, 0, 0, 4);
	E(&p, ISA_OP_STDW, 10, 0, -16, 1000);
	size_t c1 = E(&p, ISA_OP_CALL_LOCAL, 0, 0, 0, 0);
	E(&p, ISA_OP_ADD64_X, 0, 6, 0, 0);
	E(&p, ISA_OP_LDXDW, 2, 10, -16, 0);
	E(&p, ISA_OP_ADD64_X, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	size_t f = p.n;                           /* f(n) = n == 0 ? 0 : n + f(n - 1) */
	E(&p, ISA_OP_MOV64_K, 0, 0, 0, 0);
	E(&p, ISA_OP_JEQ_K, 1, 0, 6, 0);
	E(&p, ISA_OP_STXDW, 10, 1, -8, 0);
	E(&p, ISA_OP_MOV64_X, 6, 1, 0, 0);        /* callee-saved: restored for the caller */
	E(&p, ISA_OP_ADD64_K, 1, 0, 0, -1);
	size_t c2 = E(&p, ISA_OP_CALL_LOCAL, 0, 0, 0, 0);
	E(&p, ISA_OP_LDXDW, 1, 10, -8, 0);
	E(&p, ISA_OP_ADD64_X, 0, 1, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	p.s[c1].imm = (int32_t)(f - c1 - 1);
	p.s[c2].imm = (int32_t)(f - c2 - 1);
	for (int v = 0; v < 2; v++) {
		struct diff_case c = { .insns = p.s, .n = p.n, .verified = v, .blind = true };
		struct diff_run r;
		int rc = diff_check(&env, &c, &r);
		CHECK(rc == 1 && r.err == 0 && r.r0 == 10 + 5 + 1000,
		      "bpf-to-bpf recursion (%s): r0 = %llu on both engines%s%s",
		      v ? "verified" : "checked", (unsigned long long)r.r0, rc == 1 ? "" : ": ",
		      rc == 1 ? "" : env.last_diff);
	}
	/* a callee reads its caller's frame through a pointer (checked mode
	 * allows the live stack above the current frame) */
	p.n = 0;
	E(&p, ISA_OP_STDW, 10, 0, -8, 4242);
	E(&p, ISA_OP_MOV64_X, 1, 10, 0, 0);
	E(&p, ISA_OP_ADD64_K, 1, 0, 0, -8);
	E(&p, ISA_OP_CALL_LOCAL, 0, 0, 0, 1);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	E(&p, ISA_OP_LDXDW, 0, 1, 0, 0);
	E(&p, ISA_OP_LDXDW, 2, 10, 504, 0);   /* = r1 + 0 seen from the callee's r10 */
	E(&p, ISA_OP_ADD64_X, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	struct diff_case c = { .insns = p.s, .n = p.n };
	struct diff_run r;
	int rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == 0 && r.r0 == 8484, "callee reads the caller's frame: r0 = %llu",
	      (unsigned long long)r.r0);
}

static void test_tail_calls(void)
{
	/* A: r6 = r1; r3 = 0; call tail_call; r0 = 99; exit
	 * B: r0 = *(u8 *)(r1 + 0) + 1000; exit */
	struct pb a = { .n = 0 }, b = { .n = 0 }, s = { .n = 0 };
	E(&a, ISA_OP_MOV64_X, 6, 1, 0, 0);
	E(&a, ISA_OP_STDW, 10, 0, -8, 31);
	E(&a, ISA_OP_MOV64_K, 3, 0, 0, 0);
	E(&a, ISA_OP_CALL, 0, 0, 0, 12);
	E(&a, ISA_OP_MOV64_K, 0, 0, 0, 99);
	E(&a, ISA_OP_EXIT, 0, 0, 0, 0);
	E(&b, ISA_OP_LDXB, 0, 1, 0, 0);
	E(&b, ISA_OP_LDXDW, 2, 10, -8, 0);     /* the stack survives the tail call */
	E(&b, ISA_OP_ADD64_X, 0, 2, 0, 0);
	E(&b, ISA_OP_ADD64_K, 0, 0, 0, 1000);
	E(&b, ISA_OP_EXIT, 0, 0, 0, 0);
	static uint8_t mem[16] = { 7 };
	for (unsigned mask = 0; mask < 2; mask++) {
		struct diff_case c = { .insns = a.s, .n = a.n, .mem = mem, .mem_len = 16,
				       .tinsns = { b.s }, .tn = { b.n }, .ntargets = 1, .jit_mask = mask };
		struct diff_run r;
		int rc = diff_check(&env, &c, &r);
		CHECK(rc == 1 && r.err == 0 && r.r0 == 1038, "tail call into %s: r0 = %llu%s%s",
		      mask ? "JIT code" : "a program without JIT code (interpreter)",
		      (unsigned long long)r.r0, rc == 1 ? "" : ": ", rc == 1 ? "" : env.last_diff);
	}
	/* S tail-calls itself (its own copy as target 0), counting in memory:
	 * the 34th attempt fails and S returns the count */
	E(&s, ISA_OP_LDXW, 2, 1, 0, 0);
	E(&s, ISA_OP_ADD64_K, 2, 0, 0, 1);
	E(&s, ISA_OP_STXW, 1, 2, 0, 0);
	E(&s, ISA_OP_MOV64_K, 3, 0, 0, 0);
	E(&s, ISA_OP_CALL, 0, 0, 0, 12);
	E(&s, ISA_OP_LDXW, 0, 1, 0, 0);
	E(&s, ISA_OP_EXIT, 0, 0, 0, 0);
	static uint8_t zero[16];
	for (unsigned mask = 0; mask < 2; mask++) {
		struct diff_case c = { .insns = s.s, .n = s.n, .mem = zero, .mem_len = 16,
				       .tinsns = { s.s }, .tn = { s.n }, .ntargets = 1, .jit_mask = mask,
				       .blind = true };
		struct diff_run r;
		int rc = diff_check(&env, &c, &r);
		CHECK(rc == 1 && r.err == 0 && r.r0 == 1 + BPFBOX_MAX_TAIL_CALLS,
		      "tail-call limit (%s): %llu runs", mask ? "JIT to JIT" : "JIT to interpreter",
		      (unsigned long long)r.r0);
	}
	/* the budget carries across tail calls: stop in the target */
	for (unsigned mask = 0; mask < 2; mask++) {
		struct diff_case c = { .insns = s.s, .n = s.n, .mem = zero, .mem_len = 16,
				       .tinsns = { s.s }, .tn = { s.n }, .ntargets = 1, .jit_mask = mask,
				       .budget = 60 };
		struct diff_run r;
		int rc = diff_check(&env, &c, &r);
		CHECK(rc == 1 && r.err == -ELOOP, "budget across tail calls (%s): %s",
		      mask ? "JIT to JIT" : "JIT to interpreter", rc == 1 ? r.log : env.last_diff);
	}
}

static void test_grant(void)
{
	/* helper 2 hands out a buffer the program may then use */
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_CALL, 0, 0, 0, 2);
	E(&p, ISA_OP_STDW, 0, 0, 8, 0x1234);
	E(&p, ISA_OP_LDXW, 3, 0, 8, 0);
	E(&p, ISA_OP_AADD_DW, 0, 3, 16, 0);
	E(&p, ISA_OP_LDXDW, 0, 0, 63, 0);   /* one byte past the grant */
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	struct diff_case c = { .insns = p.s, .n = p.n };
	struct diff_run r;
	int rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == -EFAULT && r.grant[8] == 0x34 && strstr(r.log, "insn 4:"),
	      "granted memory: accesses allowed, one past it faults at insn 4 (%s)",
	      rc == 1 ? r.log : env.last_diff);
}

/* Accesses through one base register in one block share a region check;
 * when the shared check fails, the block's slow copy must still run every
 * access before the bad one and fault at the bad one. */
static void test_groups(void)
{
	static uint8_t mem[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_MOV64_K, 2, 0, 0, 0x55);
	E(&p, ISA_OP_STXB, 1, 2, 4, 0);          /* ok */
	E(&p, ISA_OP_LDXB, 3, 1, 5, 0);          /* ok */
	E(&p, ISA_OP_STXB, 1, 3, 0, 0);          /* ok, below the first */
	E(&p, ISA_OP_LDXH, 0, 1, 7, 0);          /* [7, 9): one byte past the end */
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	struct diff_case c = { .insns = p.s, .n = p.n, .mem = mem, .mem_len = 8 };
	struct diff_run r;
	int rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == -EFAULT && strstr(r.log, "insn 4: out-of-bounds load of 2 bytes") &&
	      r.mem[4] == 0x55 && r.mem[0] == 6,
	      "shared check fails: stores before the bad access happen, the fault is at insn 4 (%s)",
	      rc == 1 ? r.log : env.last_diff);
	p.n = 0; /* union [5, 8) is rounded up to 4 bytes, [5, 9) fails, yet all are fine */
	E(&p, ISA_OP_LDXB, 0, 1, 5, 0);
	E(&p, ISA_OP_LDXB, 3, 1, 7, 0);
	E(&p, ISA_OP_LSH64_K, 0, 0, 0, 8);
	E(&p, ISA_OP_OR64_X, 0, 3, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	c.n = p.n;
	rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == 0 && r.r0 == 0x0608, "shared check fails on rounding only: r0 = 0x%llx",
	      (unsigned long long)r.r0);
	p.n = 0; /* eight loads, one shared check; then the base changes: a new group */
	for (int i = 0; i < 8; i++) {
		E(&p, ISA_OP_LDXB, 3, 1, 7 - i, 0);
		E(&p, ISA_OP_ADD64_X, 0, 3, 0, 0);
	}
	E(&p, ISA_OP_ADD64_K, 1, 0, 0, 4);
	E(&p, ISA_OP_LDXW, 3, 1, 0, 0);
	E(&p, ISA_OP_ADD64_X, 0, 3, 0, 0);
	E(&p, ISA_OP_LDXB, 3, 1, 4, 0);          /* past the end: the new group fails */
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	c.n = p.n;
	for (int ro = 0; ro < 2; ro++) {
		c.ro = ro;
		rc = diff_check(&env, &c, &r);
		CHECK(rc == 1 && r.err == -EFAULT && strstr(r.log, "insn 19: out-of-bounds load of 1 byte"),
		      "a base change starts a new group%s (%s)", ro ? " (read-only memory)" : "",
		      rc == 1 ? r.log : env.last_diff);
	}
	p.n = 0; /* a store in a group over read-only memory faults at that store */
	E(&p, ISA_OP_LDXB, 3, 1, 0, 0);
	E(&p, ISA_OP_STXB, 1, 3, 1, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	c.n = p.n;
	c.ro = true;
	rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == -EFAULT && strstr(r.log, "insn 1: out-of-bounds store"),
	      "a store in a group over read-only memory (%s)", rc == 1 ? r.log : env.last_diff);
}

/* ---- packet loads ------------------------------------------------------------ */

static void test_ldpkt(void)
{
	static uint8_t mem[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_LDABS_W, 0, 0, 0, 2);
	E(&p, ISA_OP_MOV64_X, 6, 0, 0, 0);
	E(&p, ISA_OP_MOV64_K, 2, 0, 0, 5);
	E(&p, ISA_OP_LDIND_H, 0, 2, 0, 1);
	E(&p, ISA_OP_ADD64_X, 0, 6, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	struct diff_case c = { .insns = p.s, .n = p.n, .mem = mem, .mem_len = 8 };
	struct diff_run r;
	int rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == 0 && r.r0 == 0x33445566ull + 0x7788, "ld_abs/ld_ind big-endian: 0x%llx",
	      (unsigned long long)r.r0);
	p.s[3].imm = 2; /* 5 + 2 + 2 > 8: the program ends with r0 = 0 */
	rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == 0 && r.r0 == 0, "ld_ind out of bounds ends the program with 0");
	p.s[3].imm = -6; /* (u32)(5 - 6) is huge, not -1 */
	rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == 0 && r.r0 == 0, "ld_ind offset is a 32-bit unsigned sum");
}

/* ---- API, blinding, W^X ----------------------------------------------------- */

static bool contains(const void *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp((const uint8_t *)hay + i, needle, m))
			return true;
	return false;
}

/* Load p into the test VM; NULL (a failed check) when it does not load. */
static struct bpfbox_prog *load_pb(const struct pb *p)
{
	struct bpfbox_prog *prog = NULL;
	int err = bpfbox_prog__load(env.vm, p->s, p->n, NULL, &prog);
	CHECK(!err, "load (%d)", err);
	return err ? NULL : prog;
}

/* ---- fused pairs (verified code) --------------------------------------------- */

/* Run p verified on both engines (they must agree, r0 == want), then say
 * whether its verified JIT code contains `bytes` (n of them). */
static bool fused_case(const char *what, struct pb *p, const uint8_t *mem, size_t mem_len,
		       uint64_t want, const uint8_t *bytes, size_t n)
{
	struct diff_case c = { .insns = p->s, .n = p->n, .mem = mem, .mem_len = mem_len, .verified = true };
	struct diff_run r;
	int rc = diff_check(&env, &c, &r);
	CHECK(rc == 1 && r.err == 0 && r.r0 == want, "%s: both engines r0 = 0x%llx (want 0x%llx)%s%s", what,
	      (unsigned long long)r.r0, (unsigned long long)want, rc == 1 ? "" : ": ",
	      rc == 1 ? "" : env.last_diff);
	struct bpfbox_prog *prog = load_pb(p);
	if (!prog)
		return false;
	bpfbox_prog__set_verified(prog, true);
	size_t len = 0;
	const uint8_t *code = bpfbox_prog__jit(prog, NULL) ? NULL : bpfbox_prog__jited(prog, &len);
	bool has = code && contains(code, len, bytes, n);
	bpfbox_prog__free(prog);
	return has;
}

static void test_fused(void)
{
	static const uint8_t mem[8] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
	/* rol si, 8 (r2 is rsi): the byte pair became one halfword load */
	static const uint8_t rol_si[] = { 0x66, 0xc1, 0xc6, 0x08 };
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_LDXB, 3, 1, 5, 0);       /* r3 = p[5] */
	E(&p, ISA_OP_LDXB, 2, 1, 4, 0);       /* r2 = p[4] */
	E(&p, ISA_OP_LSH32_K, 2, 0, 0, 8);    /* w2 <<= 8 */
	E(&p, ISA_OP_OR32_X, 2, 3, 0, 0);     /* w2 |= w3 */
	E(&p, ISA_OP_MOV64_X, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(fused_case("be16 bytewise", &p, mem, 8, 0x9abc, rol_si, sizeof(rol_si)),
	      "p[4] << 8 | p[5] is one halfword load and a rotate");
	p.n = 4;                              /* now r3 is read afterwards */
	E(&p, ISA_OP_MOV64_X, 0, 2, 0, 0);
	E(&p, ISA_OP_ADD64_X, 0, 3, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(!fused_case("be16, low byte still live", &p, mem, 8, 0x9abc + 0xbc, rol_si, sizeof(rol_si)),
	      "not fused while the low byte's register is live");
	p.n = 0;                              /* load, shift, load, or: the third order */
	E(&p, ISA_OP_LDXB, 2, 1, 6, 0);
	E(&p, ISA_OP_LSH64_K, 2, 0, 0, 8);
	E(&p, ISA_OP_LDXB, 3, 1, 7, 0);
	E(&p, ISA_OP_OR64_X, 2, 3, 0, 0);
	E(&p, ISA_OP_MOV64_X, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(fused_case("be16, shift between the loads", &p, mem, 8, 0xdef0, rol_si, sizeof(rol_si)),
	      "load, shift, load, or is fused too");
	p.s[2].off = 5;                       /* bytes 6 and 5: not a big-endian pair */
	CHECK(!fused_case("be16, bytes not in order", &p, mem, 8, 0xdebc, rol_si, sizeof(rol_si)),
	      "not fused when the low byte is not the next one");

	/* lea rsi, [rdi + 5] / lea esi, [rdi - 3] / lea rsi, [rdi + rdx] */
	static const uint8_t lea_k[] = { 0x48, 0x8d, 0x77, 0x05 }, lea_k32[] = { 0x8d, 0x77, 0xfd },
			     lea_x[] = { 0x48, 0x8d, 0x34, 0x17 };
	p.n = 0;
	E(&p, ISA_OP_MOV64_X, 2, 1, 0, 0);
	E(&p, ISA_OP_ADD64_K, 2, 0, 0, 5);
	E(&p, ISA_OP_LDXB, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(fused_case("mov + add imm", &p, mem, 8, 0xbc, lea_k, sizeof(lea_k)), "r2 = r1; r2 += 5 is one lea");
	p.n = 0;
	E(&p, ISA_OP_LDXB, 1, 1, 0, 0);
	E(&p, ISA_OP_MOV32_X, 2, 1, 0, 0);
	E(&p, ISA_OP_SUB32_K, 2, 0, 0, 3);
	E(&p, ISA_OP_MOV64_X, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(fused_case("mov32 + sub imm", &p, mem, 8, 0x0f, lea_k32, sizeof(lea_k32)),
	      "w2 = w1; w2 -= 3 is one 32-bit lea");
	p.n = 0;                              /* 1 - 3 wraps at 32 bits */
	E(&p, ISA_OP_MOV64_K, 1, 0, 0, 1);
	E(&p, ISA_OP_MOV32_X, 2, 1, 0, 0);
	E(&p, ISA_OP_SUB32_K, 2, 0, 0, 3);
	E(&p, ISA_OP_MOV64_X, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(fused_case("mov32 + sub imm, wrapping", &p, mem, 8, 0xfffffffe, lea_k32, sizeof(lea_k32)),
	      "the 32-bit lea wraps and zero-extends like w2 -= 3");
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 3, 0, 0, 6);
	E(&p, ISA_OP_MOV64_X, 2, 1, 0, 0);
	E(&p, ISA_OP_ADD64_X, 2, 3, 0, 0);
	E(&p, ISA_OP_LDXB, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(fused_case("mov + add reg", &p, mem, 8, 0xde, lea_x, sizeof(lea_x)), "r2 = r1; r2 += r3 is one lea");
	p.n = 0;                              /* a jump lands on the add: no fusion */
	E(&p, ISA_OP_MOV64_X, 2, 1, 0, 0);    /* 0 */
	E(&p, ISA_OP_LDXB, 3, 1, 0, 0);       /* 1 */
	E(&p, ISA_OP_JNE_K, 3, 0, 1, 0);      /* 2: p[0] != 0: goto 4, the add */
	E(&p, ISA_OP_MOV64_X, 2, 1, 0, 0);    /* 3 */
	E(&p, ISA_OP_ADD64_K, 2, 0, 0, 5);    /* 4 */
	E(&p, ISA_OP_LDXB, 0, 2, 0, 0);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(!fused_case("mov + add, add is a jump target", &p, mem, 8, 0xbc, lea_k, sizeof(lea_k)),
	      "not fused when a jump lands on the add");

	/* if w0 != 10 goto loop, one jump (jne rel8 back) instead of je +2; jmp */
	p.n = 0;
	E(&p, ISA_OP_MOV64_K, 0, 0, 0, 0);
	E(&p, ISA_OP_ADD32_K, 0, 0, 0, 1);    /* 1: loop */
	E(&p, ISA_OP_JEQ32_K, 0, 0, 1, 10);   /* 2: if w0 == 10 goto 4 */
	E(&p, ISA_OP_JA, 0, 0, -3, 0);        /* 3: goto 1 */
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	static const uint8_t jne_back[] = { 0x83, 0xf8, 0x0a, 0x75 }; /* cmp eax, 10; jne */
	CHECK(fused_case("jcc over goto", &p, mem, 8, 10, jne_back, sizeof(jne_back)),
	      "if w0 == 10 goto +1; goto loop is cmp; jne loop");
	/* the loop head (slot 1, add eax, 1) starts on 16 bytes of the image */
	struct bpfbox_prog *prog = load_pb(&p);
	if (prog) {
		bpfbox_prog__set_verified(prog, true);
		size_t len = 0;
		const uint8_t *code = bpfbox_prog__jit(prog, NULL) ? NULL : bpfbox_prog__jited(prog, &len);
		static const uint8_t add1[] = { 0x83, 0xc0, 0x01, 0x83, 0xf8, 0x0a }; /* add eax, 1; cmp eax, 10 */
		size_t at = len;
		for (size_t i = 0; code && i + sizeof(add1) <= len; i++)
			if (!memcmp(code + i, add1, sizeof(add1))) {
				at = i;
				break;
			}
		CHECK(at < len && at % 16 == 0, "verified code: the loop head is at offset %zu, a multiple of 16", at);
		bpfbox_prog__free(prog);
	}
	p.s[2].off = 2;                       /* not over the goto: no fusion */
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	CHECK(!fused_case("jcc not over the goto", &p, mem, 8, 10, jne_back, sizeof(jne_back)),
	      "a jcc that does not skip just the goto stays as it is");
}

static void test_api(void)
{
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_MOV64_K, 0, 0, 0, 0x41424344);
	E(&p, ISA_OP_ADD64_K, 0, 0, 0, 0x45464748);
	E(&p, ISA_OP_LDDW, 2, 0, 0, 0x4a4b4c4d4e4f5051ll);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	struct bpfbox_prog *prog = load_pb(&p);
	if (!prog)
		return;
	size_t len = 1;
	CHECK(bpfbox_prog__jited(prog, &len) == NULL && len == 0, "no native code before bpfbox_prog__jit");
	uint64_t r0 = 0;
	BPFBOX_OPTS(bpfbox_run_opts, jit_run, .engine = BPFBOX_ENGINE_JIT);
	CHECK(bpfbox_prog__run(prog, &jit_run, &r0) == -ENOTSUP, "engine JIT without code: -ENOTSUP");
	CHECK(bpfbox_prog__jit(NULL, NULL) == -EINVAL, "jit(NULL): -EINVAL");
	struct { struct bpfbox_jit_opts o; uint64_t extra; } big = { { .sz = sizeof(big) }, 1 };
	CHECK(bpfbox_prog__jit(prog, &big.o) == -EINVAL, "opts with unknown non-zero tail: -EINVAL");

	BPFBOX_OPTS(bpfbox_jit_opts, plain);
	CHECK(bpfbox_prog__jit(prog, &plain) == 0, "jit");
	const uint8_t *code = bpfbox_prog__jited(prog, &len);
	CHECK(code && len > 16 && code[0] == 0x55, "native code: %zu bytes, starts with push rbp", len);
	static const uint8_t k1[4] = { 0x44, 0x43, 0x42, 0x41 }, k2[4] = { 0x48, 0x47, 0x46, 0x45 },
			     k3[8] = { 0x51, 0x50, 0x4f, 0x4e, 0x4d, 0x4c, 0x4b, 0x4a };
	CHECK(code && contains(code, len, k1, 4) && contains(code, len, k2, 4) && contains(code, len, k3, 8),
	      "without blinding the immediates are in the code");
	CHECK(bpfbox_prog__run(prog, &jit_run, &r0) == 0 && r0 == 0x41424344ull + 0x45464748ull,
	      "runs: r0 = 0x%llx", (unsigned long long)r0);
	BPFBOX_OPTS(bpfbox_jit_opts, blind, .blind = true);
	CHECK(bpfbox_prog__jit(prog, &blind) == 0, "jit with constant blinding");
	code = bpfbox_prog__jited(prog, &len);
	CHECK(code && !contains(code, len, k1, 4) && !contains(code, len, k2, 4) && !contains(code, len, k3, 8),
	      "with blinding no immediate appears in the code");
	r0 = 0;
	CHECK(bpfbox_prog__run(prog, &jit_run, &r0) == 0 && r0 == 0x41424344ull + 0x45464748ull,
	      "blinded code computes the same r0");

	/* unchecked code is for verified runs only */
	bpfbox_prog__set_verified(prog, true);
	CHECK(bpfbox_prog__jit(prog, &plain) == 0, "jit a verified program (unchecked code)");
	bpfbox_prog__set_verified(prog, false);
	CHECK(bpfbox_prog__run(prog, &jit_run, &r0) == -ENOTSUP,
	      "unchecked code refuses an unverified run (-ENOTSUP)");
	BPFBOX_OPTS(bpfbox_run_opts, def_run);
	r0 = 0;
	CHECK(bpfbox_prog__run(prog, &def_run, &r0) == 0 && r0 == 0x41424344ull + 0x45464748ull,
	      "the default engine falls back to the interpreter");
	bpfbox_prog__set_verified(prog, true);
	BPFBOX_OPTS(bpfbox_jit_opts, forced, .force_checked = true);
	CHECK(bpfbox_prog__jit(prog, &forced) == 0, "force_checked on a verified program");
	bpfbox_prog__set_verified(prog, false);
	r0 = 0;
	CHECK(bpfbox_prog__run(prog, &jit_run, &r0) == 0 && r0 == 0x41424344ull + 0x45464748ull,
	      "checked code serves unverified runs");
	bpfbox_prog__free(prog);
}

/* Leaf helper variants: verified JIT code calls the leaf (here made to
 * answer differently, to see which one runs), checked code and the
 * interpreter the helper itself; set_helper clears the leaf. */
static uint64_t helper_full(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	return r1 + 100;
}
static uint64_t helper_leaf(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	return r1 + 200 + (ex != NULL);
}

/* A binder (bpfbox_vm__set_helper_bind) that records the map it was
 * given and binds calls to helper_bound. */
static uint64_t bound_map;
static uint64_t helper_bound(uint64_t r1, uint64_t r2)
{
	return (r1 ^ r2) + 300;
}
static bpfbox_helper_fn bind_test(uint64_t map)
{
	bound_map = map;
	return (bpfbox_helper_fn)(void (*)(void))helper_bound;
}

/* Compile p verified and run it on the JIT; r0, or ~0 when that failed.
 * bound_map is what the binder saw, 0 if it was not asked. */
static uint64_t run_verified_jit(const struct pb *p)
{
	bound_map = 0;
	struct bpfbox_prog *prog = NULL;
	BPFBOX_OPTS(bpfbox_prog_opts, po, .resolve_lddw = diff_resolve);
	BPFBOX_OPTS(bpfbox_run_opts, jit_run, .engine = BPFBOX_ENGINE_JIT);
	uint64_t r0 = ~0ull;
	if (bpfbox_prog__load(env.vm, p->s, p->n, &po, &prog))
		return r0;
	bpfbox_prog__set_verified(prog, true);
	if (bpfbox_prog__jit(prog, NULL) || bpfbox_prog__run(prog, &jit_run, &r0))
		r0 = ~0ull;
	bpfbox_prog__free(prog);
	return r0;
}

static void test_bind(void)
{
	bpfbox_vm__set_helper(env.vm, 1000, "full", helper_full, NULL);
	CHECK(bpfbox_vm__set_helper_bind(env.vm, 1001, bind_test) == -EINVAL,
	      "a binder for a helper that is not registered: -EINVAL");
	CHECK(bpfbox_vm__set_helper_bind(env.vm, 1000, bind_test) == 0, "set a binder");
	uint64_t map = 0x1234 ^ (1ull << 60); /* what diff_resolve makes of map_fd 0x1234 */
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_LDDW_MAP_FD, 1, 0, 0, 0x1234);
	E(&p, ISA_OP_MOV64_K, 2, 0, 0, 5);
	E(&p, ISA_OP_CALL, 0, 0, 0, 1000);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	uint64_t r0 = run_verified_jit(&p);
	CHECK(bound_map == map && r0 == (map ^ 5) + 300,
	      "a call whose r1 is an lddw'd map calls what the binder returned for that map (r0 0x%llx)",
	      (unsigned long long)r0);
	p.s[0].src = 0;                       /* a plain constant is not a map */
	r0 = run_verified_jit(&p);
	CHECK(bound_map == 0 && r0 == 0x1234 + 100, "r1 a plain constant: the helper (r0 0x%llx)",
	      (unsigned long long)r0);
	p.s[0].src = 1;
	p.n = 2;                              /* a jump lands between the lddw and the call */
	E(&p, ISA_OP_JA, 0, 0, 0, 0);
	E(&p, ISA_OP_CALL, 0, 0, 0, 1000);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	r0 = run_verified_jit(&p);
	CHECK(bound_map == 0 && r0 == map + 100, "a jump target before the call: not bound (r0 0x%llx)",
	      (unsigned long long)r0);
	p.n = 2;                              /* r1 changes before the call */
	E(&p, ISA_OP_ADD64_K, 1, 0, 0, 1);
	E(&p, ISA_OP_CALL, 0, 0, 0, 1000);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	r0 = run_verified_jit(&p);
	CHECK(bound_map == 0 && r0 == map + 1 + 100, "r1 written after the lddw: not bound (r0 0x%llx)",
	      (unsigned long long)r0);
	bpfbox_vm__set_helper(env.vm, 1000, "full", helper_full, NULL);
	p.n = 0;
	E(&p, ISA_OP_LDDW_MAP_FD, 1, 0, 0, 0x1234);
	E(&p, ISA_OP_CALL, 0, 0, 0, 1000);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	r0 = run_verified_jit(&p);
	CHECK(bound_map == 0 && r0 == map + 100, "set_helper clears the binder (r0 0x%llx)",
	      (unsigned long long)r0);
	bpfbox_vm__set_helper(env.vm, 1000, NULL, NULL, NULL);
}

static void test_leaf(void)
{
	CHECK(bpfbox_vm__set_helper_leaf(env.vm, 1000, helper_leaf) == -EINVAL,
	      "a leaf for a helper that is not registered: -EINVAL");
	bpfbox_vm__set_helper(env.vm, 1000, "full", helper_full, NULL);
	CHECK(bpfbox_vm__set_helper_leaf(env.vm, 1000, helper_leaf) == 0, "set a leaf variant");
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_MOV64_K, 1, 0, 0, 7);
	E(&p, ISA_OP_CALL, 0, 0, 0, 1000);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	struct bpfbox_prog *prog = load_pb(&p);
	if (!prog)
		return;
	BPFBOX_OPTS(bpfbox_jit_opts, jo);
	BPFBOX_OPTS(bpfbox_run_opts, jit_run, .engine = BPFBOX_ENGINE_JIT);
	BPFBOX_OPTS(bpfbox_run_opts, interp_run, .engine = BPFBOX_ENGINE_INTERP);
	uint64_t r0 = 0;
	CHECK(bpfbox_prog__jit(prog, &jo) == 0 && bpfbox_prog__run(prog, &jit_run, &r0) == 0 && r0 == 107,
	      "checked JIT code calls the helper (r0 %llu)", (unsigned long long)r0);
	bpfbox_prog__set_verified(prog, true);
	CHECK(bpfbox_prog__jit(prog, &jo) == 0 && bpfbox_prog__run(prog, &jit_run, &r0) == 0 && r0 == 208,
	      "verified JIT code calls the leaf, with the run (r0 %llu)", (unsigned long long)r0);
	CHECK(bpfbox_prog__run(prog, &interp_run, &r0) == 0 && r0 == 107,
	      "the interpreter calls the helper (r0 %llu)", (unsigned long long)r0);
	bpfbox_vm__set_helper(env.vm, 1000, "full", helper_full, NULL);
	CHECK(bpfbox_prog__jit(prog, &jo) == 0 && bpfbox_prog__run(prog, &jit_run, &r0) == 0 && r0 == 107,
	      "set_helper clears the leaf (r0 %llu)", (unsigned long long)r0);
	bpfbox_prog__free(prog);
	bpfbox_vm__set_helper(env.vm, 1000, NULL, NULL, NULL);
}

/* Count mappings that are both writable and executable; also report the
 * permissions of the mapping that holds `addr`. */
static int count_wx(uintptr_t addr, char perms_out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	char line[512];
	int wx = 0;
	perms_out[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
			continue;
		if (perms[1] == 'w' && perms[2] == 'x')
			wx++;
		if (addr >= lo && addr < hi)
			memcpy(perms_out, perms, 5);
	}
	fclose(f);
	return wx;
}

static int wx_seen = -2;
static char wx_perms[5];
static uintptr_t wx_addr;
static uint64_t helper_maps(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	wx_seen = count_wx(wx_addr, wx_perms);
	return 7;
}

static void test_wx(void)
{
	char perms[5];
	/* the scanner itself must be able to see a W+X mapping */
	void *bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad == MAP_FAILED) {
		SKIP("W^X scanner self-test: this kernel refuses W+X mappings");
	} else {
		CHECK(count_wx(0, perms) >= 1, "the /proc/self/maps scanner sees a W+X mapping");
		munmap(bad, 4096);
	}
	int before = count_wx(0, perms);
	bpfbox_vm__set_helper(env.vm, 4, "maps", helper_maps, NULL);
	struct pb p = { .n = 0 };
	E(&p, ISA_OP_CALL, 0, 0, 0, 4);
	E(&p, ISA_OP_EXIT, 0, 0, 0, 0);
	struct bpfbox_prog *prog = load_pb(&p);
	if (!prog)
		return;
	BPFBOX_OPTS(bpfbox_jit_opts, jo);
	CHECK(bpfbox_prog__jit(prog, &jo) == 0, "jit");
	wx_addr = (uintptr_t)bpfbox_prog__jited(prog, NULL);
	BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = BPFBOX_ENGINE_JIT);
	uint64_t r0 = 0;
	int err = bpfbox_prog__run(prog, &ro, &r0);
	CHECK(err == 0 && r0 == 7 && wx_seen == 0 && before == 0,
	      "W^X: while JIT code runs no mapping is writable and executable (%d found)", wx_seen);
	CHECK(!strcmp(wx_perms, "r-xp"), "the JIT code's mapping is r-x (%s)", wx_perms);
	bpfbox_prog__free(prog);
	bpfbox_vm__set_helper(env.vm, 4, NULL, NULL, NULL);
}

int main(void)
{
	if (!bpfbox_jit__available()) {
		SKIP("JIT tests: this host is not x86-64");
		printf("# 0 checks passed, 0 failed\n");
		return 0;
	}
	if (diff_env_init(&env)) {
		CHECK(0, "VM setup");
		return check_summary();
	}
	test_rows();
	test_edges();
	test_faults();
	test_leaf();
	test_bind();
	test_budget();
	test_calls();
	test_tail_calls();
	test_grant();
	test_groups();
	test_ldpkt();
	test_fused();
	test_api();
	test_wx();
	printf("# %llu runs compared, %llu mismatches\n", env.runs, env.mismatches);
	diff_env_fini(&env);
	return check_summary();
}
