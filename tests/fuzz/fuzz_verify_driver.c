/* bpfbox — tests/fuzz/fuzz_verify_driver.c: the verifier's soundness fuzzer.
 *
 * "Verifier accepted, engine faulted" is the bug this exists to find.  It
 * generates programs (from templates that are usually almost right: stack,
 * memory, map value and packet-style accesses with random offsets and
 * masks, bounded loops, branches refining indexes, helper calls, atomics),
 * and mutates programs the verifier accepted (an offset, an immediate, a
 * register, a jump).  Every program the verifier accepts is run in checked
 * mode on random memory: a fault (-EFAULT) or a budget overrun (-ELOOP) is
 * a verifier bug, reported with the program's bytes.  Then it runs
 * unchecked, as a verified program does; the driver is built with
 * AddressSanitizer (tests/fuzz/run-fuzz) so a stray access there aborts.
 * The unchecked run is made on the interpreter and on the JIT's verified
 * code (which fuses instruction pairs the JIT's checked code, and so the
 * JIT's own fuzzer, never sees fused), from the same memory, map values
 * and helper results: r0, the memory and the map values must agree.  One
 * template writes the idioms the JIT fuses, with and without the
 * conditions that allow it.
 *
 *   fuzz_verify_driver [-n ACCEPTED] [-t SECONDS] [-s SEED] [-v]
 *
 * stops after ACCEPTED accepted programs or SECONDS, prints
 * "# N programs, A accepted, R runs, E escapes, M JIT mismatches" and
 * exits 1 on any escape or mismatch.
 * Programs use the UNSPEC convention (r1 = 64 bytes of memory, r2 = 64),
 * an array map (index 0: 4 x 16-byte values) and a hash map (index 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpfbox/vm.h"
#include "bpfbox/verify.h"
#include "bpfbox/maps.h"
#include "bpfbox/helpers.h"
#include "bpfbox/jit.h"
#include "isa/isa.h"

#define MEM 64
#define MAXN 256
#define MAX_PROCESSED 100000

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

struct gen {
	struct bpfbox_insn p[MAXN];
	unsigned n;
};

static void emit(struct gen *g, enum isa_op op, unsigned dst, unsigned src, int off, int64_t imm)
{
	if (g->n + 2 >= MAXN)
		return;
	g->n += isa_encode(op, (uint8_t)dst, (uint8_t)src, (int16_t)off, imm, &g->p[g->n]);
}

static const enum isa_op alu_k[] = { ISA_OP_ADD64_K, ISA_OP_SUB64_K, ISA_OP_AND64_K, ISA_OP_OR64_K,
				     ISA_OP_LSH64_K, ISA_OP_RSH64_K, ISA_OP_ARSH64_K, ISA_OP_MUL64_K,
				     ISA_OP_XOR64_K, ISA_OP_MOV64_K, ISA_OP_ADD32_K, ISA_OP_AND32_K,
				     ISA_OP_RSH32_K, ISA_OP_MOV32_K, ISA_OP_MOD64_K, ISA_OP_DIV64_K };
static const enum isa_op alu_x[] = { ISA_OP_ADD64_X, ISA_OP_SUB64_X, ISA_OP_AND64_X, ISA_OP_OR64_X,
				     ISA_OP_MOV64_X, ISA_OP_MOV32_X, ISA_OP_XOR64_X, ISA_OP_MUL64_X,
				     ISA_OP_LSH64_X, ISA_OP_ADD32_X, ISA_OP_MOVSX64_8, ISA_OP_MOVSX64_32 };
static const enum isa_op jcc_k[] = { ISA_OP_JEQ_K, ISA_OP_JNE_K, ISA_OP_JGT_K, ISA_OP_JGE_K,
				     ISA_OP_JLT_K, ISA_OP_JLE_K, ISA_OP_JSGT_K, ISA_OP_JSLT_K,
				     ISA_OP_JSET_K, ISA_OP_JGT32_K, ISA_OP_JLT32_K, ISA_OP_JSLE32_K };
static const enum isa_op jcc_x[] = { ISA_OP_JEQ_X, ISA_OP_JGT_X, ISA_OP_JLT_X, ISA_OP_JSGE_X,
				     ISA_OP_JLE32_X, ISA_OP_JNE_X };
static const enum isa_op ldx[] = { ISA_OP_LDXB, ISA_OP_LDXH, ISA_OP_LDXW, ISA_OP_LDXDW, ISA_OP_LDXSB,
				   ISA_OP_LDXSW };
static const enum isa_op stx[] = { ISA_OP_STXB, ISA_OP_STXH, ISA_OP_STXW, ISA_OP_STXDW };
static const enum isa_op st[] = { ISA_OP_STB, ISA_OP_STH, ISA_OP_STW, ISA_OP_STDW };
#define PICK(a) (a)[rn(sizeof(a) / sizeof((a)[0]))]

static int32_t rimm(void)
{
	switch (rn(5)) {
	case 0: return (int32_t)rn(8);
	case 1: return (int32_t)rn(64);
	case 2: return -(int32_t)rn(64);
	case 3: return (int32_t)(1u << rn(31));
	default: return (int32_t)rnd();
	}
}

/* Registers 0..5 and 7..9 hold scalars; r6 keeps the memory pointer. */
static unsigned sreg(void)
{
	static const unsigned r[] = { 0, 2, 3, 4, 5, 7, 8, 9 };
	return r[rn(8)];
}

/* The JIT's fused pairs (jit_x86_64.c, gen_fused), each also in a form
 * that must not be fused:
 *  - a big-endian halfword read bytewise, `y = p[o]; x = p[o+1]; y <<= 8;
 *    y |= x` in the three orders clang uses, sometimes with x still read
 *    afterwards, a shift other than 8, or bytes not adjacent;
 *  - `d = s; d += imm|t` / `d -= imm` (32 and 64 bits);
 *  - `if cond goto +1; goto T`, T forward or a loop's back edge. */
static void gen_idioms(struct gen *g, unsigned d, unsigned s)
{
	switch (rn(3)) {
	case 0: {
		unsigned y = d, x = s == d ? (d == 0 ? 2 : 0) : s;
		int o = (int)rn(MEM - 1) + (rn(16) ? 0 : 2); /* sometimes out of range */
		int o2 = o + (rn(8) ? 1 : -1);
		int sh = rn(8) ? 8 : 7;
		bool w = rn(2);
		enum isa_op shl = w ? ISA_OP_LSH32_K : ISA_OP_LSH64_K, or = w ? ISA_OP_OR32_X : ISA_OP_OR64_X;
		switch (rn(3)) {
		case 0:
			emit(g, ISA_OP_LDXB, x, 6, o2, 0);
			emit(g, ISA_OP_LDXB, y, 6, o, 0);
			emit(g, shl, y, 0, 0, sh);
			break;
		case 1:
			emit(g, ISA_OP_LDXB, y, 6, o, 0);
			emit(g, ISA_OP_LDXB, x, 6, o2, 0);
			emit(g, shl, y, 0, 0, sh);
			break;
		default:
			emit(g, ISA_OP_LDXB, y, 6, o, 0);
			emit(g, shl, y, 0, 0, sh);
			emit(g, ISA_OP_LDXB, x, 6, o2, 0);
			break;
		}
		emit(g, or, y, x, 0, 0);
		if (rn(4) == 0) /* x stays live */
			emit(g, ISA_OP_ADD64_X, sreg() == x ? y : 0, x, 0, 0);
		break;
	}
	case 1: {
		bool w = rn(2);
		unsigned t = rn(4) ? sreg() : d;
		unsigned src = rn(8) ? s : 10;
		emit(g, w ? ISA_OP_MOV32_X : ISA_OP_MOV64_X, d, src, 0, 0);
		switch (rn(3)) {
		case 0: emit(g, w ? ISA_OP_ADD32_K : ISA_OP_ADD64_K, d, 0, 0, rimm()); break;
		case 1: emit(g, w ? ISA_OP_SUB32_K : ISA_OP_SUB64_K, d, 0, 0, rn(8) ? rimm() : INT32_MIN); break;
		default: emit(g, w ? ISA_OP_ADD32_X : ISA_OP_ADD64_X, d, t, 0, 0); break;
		}
		if (src == 10 || rn(2)) /* a stack address must not reach memory */
			emit(g, ISA_OP_MOV64_K, d, 0, 0, rimm());
		break;
	}
	default:
		if (rn(2)) { /* forward: if cond goto +1; goto +k; k instructions */
			unsigned k = 1 + rn(3);
			if (rn(2))
				emit(g, PICK(jcc_k), d, 0, 1, rimm());
			else
				emit(g, PICK(jcc_x), d, s, 1, 0);
			if (rn(4))
				emit(g, ISA_OP_JA, 0, 0, (int)k, 0);
			else
				emit(g, ISA_OP_JA32, 0, 0, 0, k); /* gotol: the offset is imm */
			for (unsigned j = 0; j < k; j++)
				emit(g, PICK(alu_k), sreg(), 0, 0, rimm());
		} else { /* a loop closed by `if r9 == lim goto +1; goto body` */
			unsigned body = 1 + rn(3), lim = 1 + rn(20);
			emit(g, ISA_OP_MOV64_K, 9, 0, 0, 0);
			for (unsigned j = 0; j < body; j++)
				emit(g, PICK(alu_k), sreg() == 9 ? 8 : sreg(), 0, 0, rimm());
			emit(g, ISA_OP_ADD64_K, 9, 0, 0, 1);
			emit(g, rn(2) ? ISA_OP_JEQ_K : ISA_OP_JGE_K, 9, 0, 1, (int64_t)lim);
			emit(g, ISA_OP_JA, 0, 0, -(int)(body + 3), 0);
		}
		break;
	}
}

static void gen_prog(struct gen *g)
{
	g->n = 0;
	emit(g, ISA_OP_MOV64_X, 6, 1, 0, 0);
	for (unsigned r = 0; r <= 9; r++)
		if (r != 1 && r != 6)
			emit(g, ISA_OP_MOV64_K, r, 0, 0, rimm());
	/* a few initialised stack slots */
	for (int k = 1; k <= 4; k++)
		emit(g, ISA_OP_STDW, 10, 0, -8 * k, rimm());
	unsigned nblocks = 2 + rn(10);
	for (unsigned b = 0; b < nblocks && g->n < MAXN - 40; b++) {
		unsigned d = sreg(), s = sreg();
		switch (rn(16)) {
		case 0:
			emit(g, PICK(alu_k), d, 0, 0, rimm());
			break;
		case 1:
			emit(g, PICK(alu_x), d, s, 0, 0);
			break;
		case 2: /* memory load at a constant offset */
			emit(g, PICK(ldx), d, 6, (int)rn(MEM + 8) - 4, 0);
			break;
		case 3: /* memory store */
			emit(g, PICK(stx), 6, s, (int)rn(MEM + 8) - 4, 0);
			break;
		case 4: { /* indexed memory access: mask or compare the index */
			emit(g, ISA_OP_MOV64_X, 3, 6, 0, 0);
			emit(g, ISA_OP_LDXB + rn(3), d, 6, (int)rn(8), 0);
			if (rn(2))
				emit(g, ISA_OP_AND64_K, d, 0, 0, (int64_t)rn(MEM + 16));
			else
				emit(g, ISA_OP_JGT_K + rn(2) * 2, d, 0, 3, (int64_t)rn(MEM)); /* skip 3 */
			emit(g, ISA_OP_ADD64_X, 3, d, 0, 0);
			emit(g, PICK(ldx), s == 3 ? 4 : s, 3, (int)rn(8), 0);
			emit(g, ISA_OP_MOV64_K, 3, 0, 0, 0);
			break;
		}
		case 5: { /* stack access, constant or variable offset */
			int off = -8 * (int)(1 + rn(8));
			if (rn(2)) {
				emit(g, PICK(st), 10, 0, off + (int)rn(8) * (rn(2) ? 1 : 0), rimm());
			} else {
				emit(g, ISA_OP_MOV64_X, 3, 10, 0, 0);
				emit(g, ISA_OP_ADD64_K, 3, 0, 0, off);
				emit(g, ISA_OP_AND64_K, d, 0, 0, (int64_t)(rn(4) * 8 + rn(2)));
				emit(g, ISA_OP_ADD64_X, 3, d, 0, 0);
				emit(g, rn(2) ? ISA_OP_LDXDW : ISA_OP_STXDW, rn(2) ? 3 : 4, 3, 0, 0);
				emit(g, ISA_OP_MOV64_K, 3, 0, 0, 0);
			}
			break;
		}
		case 6: { /* forward conditional jump over a few blocks */
			unsigned skip = 1 + rn(3);
			if (rn(2))
				emit(g, PICK(jcc_k), d, 0, (int)skip, rimm());
			else
				emit(g, PICK(jcc_x), d, s, (int)skip, 0);
			for (unsigned k = 0; k < skip; k++)
				emit(g, PICK(alu_k), sreg(), 0, 0, rimm());
			break;
		}
		case 7: { /* bounded loop */
			unsigned body = 1 + rn(3), lim = 1 + rn(20);
			emit(g, ISA_OP_MOV64_K, 9, 0, 0, 0);
			for (unsigned k = 0; k < body; k++)
				emit(g, PICK(alu_k), sreg() == 9 ? 8 : sreg(), 0, 0, rimm());
			emit(g, ISA_OP_ADD64_K, 9, 0, 0, 1);
			emit(g, ISA_OP_JLT_K, 9, 0, -(int)(body + 2), (int64_t)lim);
			break;
		}
		case 8: { /* map lookup: array (0) or hash (1), key from the stack */
			unsigned m = rn(2);
			emit(g, ISA_OP_STW, 10, 0, -4, (int64_t)rn(6));
			emit(g, ISA_OP_LDDW_MAP_FD, 1, 0, 0, m);
			emit(g, ISA_OP_MOV64_X, 2, 10, 0, 0);
			emit(g, ISA_OP_ADD64_K, 2, 0, 0, -4);
			emit(g, ISA_OP_CALL, 0, 0, 0, 1);
			bool check = rn(8) != 0;
			if (check)
				emit(g, ISA_OP_JEQ_K, 0, 0, 3, 0);
			emit(g, PICK(ldx), 2, 0, (int)rn(20) - 2, 0);
			emit(g, PICK(stx), 0, 2, (int)rn(20) - 2, 0);
			emit(g, ISA_OP_ADD64_K, 2, 0, 0, 1);
			/* the helper clobbered r1-r5 */
			for (unsigned r = 1; r <= 5; r++)
				emit(g, ISA_OP_MOV64_K, r, 0, 0, rimm());
			break;
		}
		case 9: { /* map value with a variable offset */
			emit(g, ISA_OP_STW, 10, 0, -4, 0);
			emit(g, ISA_OP_LDDW_MAP_FD, 1, 0, 0, 0);
			emit(g, ISA_OP_MOV64_X, 2, 10, 0, 0);
			emit(g, ISA_OP_ADD64_K, 2, 0, 0, -4);
			emit(g, ISA_OP_CALL, 0, 0, 0, 1);
			emit(g, ISA_OP_JEQ_K, 0, 0, 4, 0);
			emit(g, ISA_OP_AND64_K, d, 0, 0, (int64_t)rn(20));
			emit(g, ISA_OP_ADD64_X, 0, d, 0, 0);
			emit(g, PICK(ldx), 2, 0, (int)rn(4), 0);
			emit(g, ISA_OP_MOV64_K, 2, 0, 0, 0);
			for (unsigned r = 0; r <= 5; r++)
				emit(g, ISA_OP_MOV64_K, r, 0, 0, rimm());
			break;
		}
		case 10: /* direct map value */
			emit(g, ISA_OP_LDDW_MAP_VAL, 3, 0, 0, (int64_t)((uint64_t)rn(20) << 32));
			emit(g, PICK(ldx), d, 3, (int)rn(16) - 1, 0);
			emit(g, ISA_OP_MOV64_K, 3, 0, 0, 0);
			break;
		case 11: /* atomics on the stack */
			emit(g, ISA_OP_AADD_DW + rn(10), 10, s, -8 * (int)(1 + rn(4)), 0);
			break;
		case 12: /* a helper returning a number */
			emit(g, ISA_OP_CALL, 0, 0, 0, rn(2) ? 7 : 5);
			for (unsigned r = 1; r <= 5; r++)
				emit(g, ISA_OP_MOV64_K, r, 0, 0, rimm());
			break;
		case 13: { /* an index that waits in the stack across a helper call */
			int off = -8 * (int)(5 + rn(4));
			emit(g, ISA_OP_LDXB + rn(3), d, 6, (int)rn(8), 0);
			if (rn(3))
				emit(g, ISA_OP_AND64_K, d, 0, 0, (int64_t)rn(MEM + 8));
			emit(g, ISA_OP_STXDW, 10, d, off, 0);
			emit(g, ISA_OP_CALL, 0, 0, 0, 5);
			for (unsigned r = 1; r <= 5; r++)
				emit(g, ISA_OP_MOV64_K, r, 0, 0, rimm());
			emit(g, ISA_OP_LDXDW, 3, 10, off, 0);
			emit(g, ISA_OP_ADD64_X, 3, 6, 0, 0);
			emit(g, PICK(ldx), d == 3 ? 4 : d, 3, (int)rn(4), 0);
			emit(g, ISA_OP_MOV64_K, 3, 0, 0, 0);
			break;
		}
		case 14: /* what the JIT fuses in verified code (see gen_idioms) */
			gen_idioms(g, d, s);
			break;
		default: /* load from stack slots written above */
			emit(g, PICK(ldx), d, 10, -8 * (int)(1 + rn(4)) + (int)rn(8), 0);
			break;
		}
	}
	emit(g, ISA_OP_MOV64_K, 0, 0, 0, rimm());
	emit(g, ISA_OP_EXIT, 0, 0, 0, 0);
}

/* Change one field of one instruction (the verifier sees anything). */
static void mutate(struct gen *g)
{
	unsigned k = 1 + rn(3);
	for (unsigned i = 0; i < k; i++) {
		struct bpfbox_insn *in = &g->p[rn(g->n)];
		switch (rn(6)) {
		case 0: in->off = (int16_t)(in->off + (int)rn(17) - 8); break;
		case 1: in->imm = in->imm + (int32_t)rn(17) - 8; break;
		case 2: in->imm = rimm(); break;
		case 3: in->dst = (uint8_t)rn(10); break;
		case 4: in->src = (uint8_t)rn(10); break;
		default: in->off = (int16_t)rimm(); break;
		}
	}
}

/* ---- maps: descriptions for the verifier, real maps for the runs -------------- */

static struct bpfbox_map *maps[2];
static const struct bpfbox_map_desc descs[2] = {
	{ .type = 2, .key_size = 4, .value_size = 16, .max_entries = 4, .spin_lock_off = -1 },
	{ .type = 1, .key_size = 4, .value_size = 16, .max_entries = 8, .spin_lock_off = -1 },
};

static int map_info(void *ud, unsigned src, int32_t imm, int32_t next_imm, struct bpfbox_map_desc *out)
{
	(void)ud;
	(void)src;
	(void)next_imm;
	if (imm < 0 || imm > 1)
		return -ENOENT;
	*out = descs[imm];
	return 0;
}

static int resolve(void *ud, unsigned src, int32_t imm, int32_t next_imm, uint64_t *value)
{
	(void)ud;
	if (imm < 0 || imm > 1)
		return -ENOENT;
	if (src == 1 || src == 5) {
		*value = (uint64_t)(uintptr_t)maps[imm];
		return 0;
	}
	if (src == 2 || src == 6) {
		uint32_t k0 = 0;
		uint8_t *v = bpfbox_map__elem(maps[imm], &k0, 0);
		if (!v)
			return -ENOENT;
		*value = (uint64_t)(uintptr_t)(v + (uint32_t)next_imm);
		return 0;
	}
	return -EINVAL;
}

static void dump(const struct gen *g)
{
	printf("FAIL program (%u slots):", g->n);
	for (unsigned i = 0; i < g->n; i++) {
		const uint8_t *b = (const uint8_t *)&g->p[i];
		printf(" ");
		for (int k = 0; k < 8; k++)
			printf("%02x", b[k]);
	}
	printf("\n");
}

/* ktime_get_ns and get_prandom_u32, made repeatable so that two engines
 * running one program see the same values: a sequence restarted before
 * each run. */
static uint64_t det_seq;
static uint64_t det_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct bpfbox_exec *ex)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
	det_seq = det_seq * 6364136223846793005ull + 1442695040888963407ull;
	return det_seq >> 17;
}

/* Everything a run can change besides r0: the memory and the map values
 * (the programs only look keys up, so the keys stay those of the start). */
struct world {
	uint8_t mem[MEM];
	uint8_t val[2][4][16];
};
static void world_save(struct world *w, const uint8_t *mem)
{
	memcpy(w->mem, mem, MEM);
	for (int m = 0; m < 2; m++)
		for (uint32_t k = 0; k < 4; k++)
			memcpy(w->val[m][k], bpfbox_map__elem(maps[m], &k, 0), 16);
}
static void world_load(const struct world *w, uint8_t *mem)
{
	memcpy(mem, w->mem, MEM);
	for (int m = 0; m < 2; m++)
		for (uint32_t k = 0; k < 4; k++)
			memcpy(bpfbox_map__elem(maps[m], &k, 0), w->val[m][k], 16);
}

/* The program being run, for the report when ASan stops the process. */
static const struct gen *current;
void __asan_on_error(void);
void __asan_on_error(void)
{
	if (current) {
		printf("FAIL the engine crashed running an accepted program (seed, then):\n");
		dump(current);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	uint64_t want = 1000, seed = 1;
	double secs = 0;
	bool verbose = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			want = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
	}
	rs = seed * 0x9e3779b97f4a7c15ull + 1;
	struct bpfbox_env *env;
	FILE *devnull = fopen("/dev/null", "w"); /* trace_printk output of mutated programs */
	BPFBOX_OPTS(bpfbox_env_opts, eo, .trace_out = devnull);
	if (bpfbox_env__new(&env, &eo)) {
		printf("FAIL env\n");
		return 1;
	}
	for (int m = 0; m < 2; m++) {
		BPFBOX_OPTS(bpfbox_map_opts, mo, .type = descs[m].type, .key_size = descs[m].key_size,
			    .value_size = descs[m].value_size, .max_entries = descs[m].max_entries);
		if (bpfbox_map__new(&maps[m], &mo) || bpfbox_env__add_map(env, maps[m])) {
			printf("FAIL map\n");
			return 1;
		}
	}
	for (uint32_t k = 0; k < 4; k++) {
		uint8_t v[16] = { 0 };
		bpfbox_map__update(maps[1], &k, v, 0);
	}
	/* An accepted program runs at most as many instructions as the
	 * verifier processed (every loop iteration is explored; pruning only
	 * jumps to finished explorations), so a budget of twice the
	 * verifier's limit (the checked budget over-counts loops slightly)
	 * must never run out. */
	BPFBOX_OPTS(bpfbox_vm_opts, vo, .insn_budget = 2 * MAX_PROCESSED);
	bpfbox_env__vm_opts(env, &vo);
	struct bpfbox_vm *vm;
	if (bpfbox_vm__new(&vm, &vo) || bpfbox_env__attach(env, vm) ||
	    bpfbox_vm__set_helper(vm, 5, "ktime_get_ns", det_helper, NULL) ||
	    bpfbox_vm__set_helper(vm, 7, "get_prandom_u32", det_helper, NULL)) {
		printf("FAIL vm\n");
		return 1;
	}
	bool jit = bpfbox_jit__available();
	uint64_t programs = 0, accepted = 0, runs = 0, escapes = 0, mismatches = 0;
	struct gen acc[64];
	unsigned nacc = 0;
	time_t t0 = time(NULL);
	uint8_t *mem = malloc(MEM);
	while (accepted < want && escapes == 0 && mismatches == 0) {
		if (secs > 0 && (programs & 255) == 0 && difftime(time(NULL), t0) >= secs)
			break;
		struct gen g;
		if (nacc && rn(2)) {
			g = acc[rn(nacc)];
			mutate(&g);
		} else {
			gen_prog(&g);
		}
		programs++;
		BPFBOX_OPTS(bpfbox_verify_opts, o, .prog_type = 0, .ctx_size = MEM, .map_info = map_info,
			    .max_insns_processed = MAX_PROCESSED);
		if (bpfbox_verify(g.p, g.n, &o, NULL))
			continue;
		accepted++;
		if (nacc < 64)
			acc[nacc++] = g;
		else
			acc[rn(64)] = g;
		char lerr[256] = "";
		struct bpfbox_log llog = { .buf = lerr, .size = sizeof(lerr) };
		BPFBOX_OPTS(bpfbox_prog_opts, po, .resolve_lddw = resolve, .log = &llog);
		struct bpfbox_prog *prog;
		if (bpfbox_prog__load(vm, g.p, g.n, &po, &prog)) {
			printf("FAIL accepted program does not load: %s\n", lerr);
			dump(&g);
			escapes++;
			break;
		}
		current = &g;
		bpfbox_prog__set_verified(prog, true);
		char jerr[256] = "";
		struct bpfbox_log jlog = { .buf = jerr, .size = sizeof(jerr) };
		BPFBOX_OPTS(bpfbox_jit_opts, jo, .log = &jlog);
		bool jitted = jit && bpfbox_prog__jit(prog, &jo) == 0;
		if (jit && !jitted) {
			printf("FAIL the JIT cannot compile an accepted program: %s\n", jerr);
			dump(&g);
			mismatches++;
		}
		for (int r = 0; r < 3; r++) {
			for (int b = 0; b < MEM; b++)
				mem[b] = (uint8_t)rnd();
			struct world w0, wi;
			world_save(&w0, mem);
			char lb[256] = "";
			struct bpfbox_log log = { .buf = lb, .size = sizeof(lb) };
			BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = mem, .mem_len = MEM, .log = &log);
			uint64_t r0;
			bpfbox_prog__set_verified(prog, false);
			det_seq = 1;
			int e = bpfbox_prog__run(prog, &ro, &r0);
			runs++;
			if (e == -EFAULT || e == -ELOOP) {
				printf("FAIL verifier accepted, engine faulted: %s", lb);
				dump(&g);
				escapes++;
				break;
			}
			bpfbox_prog__set_verified(prog, true);
			world_load(&w0, mem);
			BPFBOX_OPTS(bpfbox_run_opts, ri, .mem = mem, .mem_len = MEM,
				    .engine = BPFBOX_ENGINE_INTERP);
			det_seq = 1;
			int ei = bpfbox_prog__run(prog, &ri, &r0);
			runs++;
			if (!jitted)
				continue;
			world_save(&wi, mem);
			world_load(&w0, mem);
			BPFBOX_OPTS(bpfbox_run_opts, rj, .mem = mem, .mem_len = MEM, .engine = BPFBOX_ENGINE_JIT);
			uint64_t j0;
			det_seq = 1;
			int ej = bpfbox_prog__run(prog, &rj, &j0);
			runs++;
			struct world wj;
			world_save(&wj, mem);
			if (ei != ej || r0 != j0 || memcmp(&wi, &wj, sizeof(wi))) {
				printf("FAIL verified code: interpreter and JIT disagree (err %d/%d, r0 0x%llx/0x%llx, "
				       "memory or map values %s)\n", ei, ej, (unsigned long long)r0,
				       (unsigned long long)j0, memcmp(&wi, &wj, sizeof(wi)) ? "differ" : "agree");
				dump(&g);
				mismatches++;
				break;
			}
		}
		current = NULL;
		bpfbox_prog__free(prog);
		if (verbose && (accepted % 10000) == 0)
			printf("# %llu programs, %llu accepted\n", (unsigned long long)programs,
			       (unsigned long long)accepted);
	}
	printf("# %llu programs, %llu accepted, %llu runs, %llu escapes, %llu JIT mismatches%s "
	       "(seed %llu, %.0f s)\n",
	       (unsigned long long)programs, (unsigned long long)accepted, (unsigned long long)runs,
	       (unsigned long long)escapes, (unsigned long long)mismatches,
	       jit ? "" : " (no JIT on this host)", (unsigned long long)seed, difftime(time(NULL), t0));
	free(mem);
	bpfbox_vm__free(vm);
	bpfbox_map__free(maps[0]);
	bpfbox_map__free(maps[1]);
	bpfbox_env__free(env);
	if (devnull)
		fclose(devnull);
	return escapes || mismatches ? 1 : 0;
}
