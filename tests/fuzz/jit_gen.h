/* bpfbox — tests/fuzz/jit_gen.h: random eBPF programs for differential
 * fuzzing of the JIT against the interpreter.
 *
 * The generator draws from the instruction table (every row of isa.def is
 * reachable, grouped by shape), so new rows are fuzzed without touching
 * this file.  Programs are valid encodings — they load — but otherwise
 * unrestricted: they run in checked mode, where wild pointers fault,
 * endless loops hit the (small) budget, deep recursion hits the call-depth
 * limit, and every such outcome must be the same on both engines.  To
 * reach the interesting paths often, the generator biases towards useful
 * shapes: memory accesses mostly use the r1 buffer (r1, or r6 which the
 * program copies it into) or the stack (r10) with offsets around their
 * bounds, atomics are mostly aligned, jumps are mostly forward, calls go
 * to subprogram starts, and immediates come from a pool of edge values
 * (0, ±1, INT_MIN, shift widths, ...) half of the time.
 *
 * The random source is either a byte string (libFuzzer's input, consumed
 * as it goes and then continued by a PRNG seeded from it, so every input
 * means a whole program) or a PRNG seed (the standalone driver).
 */
#ifndef BPFBOX_JIT_GEN_H
#define BPFBOX_JIT_GEN_H

#include <stdint.h>
#include <string.h>
#include "isa/isa.h"
#include "jit_diff.h"

struct gen_rng {
	const uint8_t *p, *end;
	uint64_t s;
};

static inline uint64_t gen_next(struct gen_rng *r)
{
	if (r->p && r->p + 8 <= r->end) {
		uint64_t v;
		memcpy(&v, r->p, 8);
		r->p += 8;
		return v;
	}
	if (r->p && r->p < r->end) {
		uint64_t v = 0;
		memcpy(&v, r->p, (size_t)(r->end - r->p));
		r->p = r->end;
		return v;
	}
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
	return n ? (uint32_t)(gen_next(r) % n) : 0;
}

static inline void gen_rng_bytes(struct gen_rng *r, const uint8_t *data, size_t size)
{
	r->p = data;
	r->end = data + size;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	r->s = h;
}

static inline void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	r->p = r->end = NULL;
	r->s = seed;
}

static int64_t gen_imm(struct gen_rng *r)
{
	static const int64_t pool[] = {
		0, 1, -1, 2, 3, 7, 8, 16, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100, 0xffff,
		0x10000, 0x7fffffff, -0x7fffffff - 1, -2, -8, 10, 100, 1000, 0x42,
	};
	if (gen_below(r, 2))
		return pool[gen_below(r, sizeof(pool) / sizeof(pool[0]))];
	return (int32_t)gen_next(r);
}

static uint64_t gen_imm64(struct gen_rng *r)
{
	static const uint64_t pool[] = {
		0, 1, ~0ull, 0x8000000000000000ull, 0x7fffffffffffffffull, 0x80000000ull,
		0xffffffffull, 0x100000000ull, 0xffffffff80000000ull, 0x42,
	};
	if (gen_below(r, 2))
		return pool[gen_below(r, sizeof(pool) / sizeof(pool[0]))];
	uint64_t v = gen_next(r);
	return gen_below(r, 2) ? v : (uint64_t)(int64_t)(int32_t)v;
}

/* Rows by kind, built once from the table. */
struct gen_tables {
	uint16_t alu[ISA_OP__COUNT], lddw[16], ldx[16], st[16], atomic[32], jcond[64], ldpkt[8];
	unsigned nalu, nlddw, nldx, nst, natomic, njcond, nldpkt;
};

static void gen_tables_init(struct gen_tables *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned op = 0; op < ISA_OP__COUNT; op++) {
		switch (isa_info[op].shape) {
		case S_ALU_K: case S_ALU_X: case S_NEG: case S_END: case S_MOVSX:
			t->alu[t->nalu++] = (uint16_t)op;
			break;
		case S_LDDW: t->lddw[t->nlddw++] = (uint16_t)op; break;
		case S_LDX: t->ldx[t->nldx++] = (uint16_t)op; break;
		case S_ST: case S_STX: t->st[t->nst++] = (uint16_t)op; break;
		case S_ATOMIC: t->atomic[t->natomic++] = (uint16_t)op; break;
		case S_JCOND_K: case S_JCOND_X: t->jcond[t->njcond++] = (uint16_t)op; break;
		case S_LD_ABS: case S_LD_IND: t->ldpkt[t->nldpkt++] = (uint16_t)op; break;
		default: break;
		}
	}
}

/* An instruction before layout: jumps and calls name an instruction
 * index (`to`), turned into slot offsets by gen_layout. */
struct gen_insn {
	uint16_t op;
	uint8_t dst, src;
	int16_t off;
	int64_t imm;
	int32_t to; /* -1: none */
};

#define GEN_MAX_INSNS 160
#define GEN_MAX_SLOTS (2 * GEN_MAX_INSNS)

struct gen_prog {
	struct gen_insn ins[GEN_MAX_INSNS];
	unsigned n;
	struct bpfbox_insn slots[GEN_MAX_SLOTS];
	size_t nslots;
};

static void gen_add(struct gen_prog *p, unsigned op, unsigned dst, unsigned src, int off,
		    int64_t imm, int to)
{
	if (p->n >= GEN_MAX_INSNS)
		return;
	struct gen_insn *g = &p->ins[p->n++];
	g->op = (uint16_t)op;
	g->dst = (uint8_t)dst;
	g->src = (uint8_t)src;
	g->off = (int16_t)off;
	g->imm = imm;
	g->to = to;
}

static unsigned gen_dst(struct gen_rng *r)
{
	/* r6 holds the buffer and r7 a stack pointer: overwrite them rarely */
	unsigned d = gen_below(r, 10);
	if ((d == 6 || d == 7) && gen_below(r, 4))
		d = gen_below(r, 6);
	return d;
}

/* A memory operand: base register and offset, mostly valid. */
static void gen_mem(struct gen_rng *r, size_t mem_len, unsigned size, bool aligned,
		    unsigned *base, int *off)
{
	unsigned k = gen_below(r, 8);
	if (k < 4) {
		*base = gen_below(r, 2) ? 6 : 1;
		*off = (int)gen_below(r, (uint32_t)mem_len + 16) - 8;
	} else if (k < 7) {
		*base = k == 6 ? 7 : 10;
		*off = -(int)gen_below(r, 530) + 8;
	} else {
		*base = gen_below(r, 11);
		*off = (int16_t)gen_next(r);
	}
	if (aligned && gen_below(r, 8))
		*off &= ~(int)(size - 1);
}

/* One function body of `len` random instructions starting at index
 * `first`; `fn_starts` are the subprogram entries calls may target. */
static void gen_body(struct gen_rng *r, const struct gen_tables *t, struct gen_prog *p,
		     size_t mem_len, unsigned len, unsigned first, const unsigned *fn_starts,
		     unsigned nfn, unsigned end, bool is_main)
{
	if (is_main) {
		gen_add(p, ISA_OP_MOV64_X, 6, 1, 0, 0, -1);       /* r6 = r1 */
		gen_add(p, ISA_OP_MOV64_X, 7, 10, 0, 0, -1);      /* r7 = r10 */
		gen_add(p, ISA_OP_ADD64_K, 7, 0, 0, -256, -1);    /* r7 -= 256 */
	}
	unsigned stop = first + len;
	while (p->n + 1 < stop && p->n + 1 < GEN_MAX_INSNS) {
		unsigned here = p->n;
		unsigned k = gen_below(r, 1000);
		if (k < 300) {
			unsigned op = t->alu[gen_below(r, t->nalu)];
			gen_add(p, op, gen_dst(r), gen_below(r, 11), 0, gen_imm(r), -1);
		} else if (k < 340) {
			unsigned op = gen_below(r, 4) ? ISA_OP_LDDW : t->lddw[gen_below(r, t->nlddw)];
			gen_add(p, op, gen_dst(r), 0, 0, (int64_t)gen_imm64(r), -1);
		} else if (k < 480) {
			unsigned op = t->ldx[gen_below(r, t->nldx)], base;
			int off;
			gen_mem(r, mem_len, isa_mem_size(isa_info[op].code), false, &base, &off);
			gen_add(p, op, gen_dst(r), base, off, 0, -1);
		} else if (k < 600) {
			unsigned op = t->st[gen_below(r, t->nst)], base;
			int off;
			gen_mem(r, mem_len, isa_mem_size(isa_info[op].code), false, &base, &off);
			gen_add(p, op, base, gen_below(r, 11), off, gen_imm(r), -1);
		} else if (k < 660) {
			unsigned op = t->atomic[gen_below(r, t->natomic)], base;
			int off;
			gen_mem(r, mem_len, isa_mem_size(isa_info[op].code), true, &base, &off);
			unsigned src = gen_below(r, 11);
			if (src == 10 && isa_writes_src(op))
				src = 2;
			/* cmpxchg: often compare with what is there, so it succeeds
			 * (and r0's upper half is not what a 32-bit one stores) */
			if ((isa_info[op].flags & F_R0) && gen_below(r, 2) && base != 0)
				gen_add(p, ISA_OP_LDXDW, 0, base, off, 0, -1);
			gen_add(p, op, base, src, off, 0, -1);
		} else if (k < 820) {
			/* jumps: mostly forward within the function */
			int to;
			if (gen_below(r, 6))
				to = (int)(here + 1 + gen_below(r, stop - here));
			else
				to = (int)(first + gen_below(r, here - first + 1));
			if (to >= (int)stop)
				to = (int)stop - 1;
			unsigned j = gen_below(r, 10);
			if (j == 0)
				gen_add(p, ISA_OP_JA, 0, 0, 0, 0, to);
			else if (j == 1)
				gen_add(p, ISA_OP_JA32, 0, 0, 0, 0, to);
			else
				gen_add(p, t->jcond[gen_below(r, t->njcond)], gen_below(r, 11),
					gen_below(r, 11), 0, gen_imm(r), to);
		} else if (k < 870) {
			static const int32_t ids[] = { 1, 1, 2, 3, 5, 12, 12, 4 };
			int32_t id = ids[gen_below(r, sizeof(ids) / sizeof(ids[0]))];
			if (id == 12) /* tail call index in r3 */
				gen_add(p, ISA_OP_MOV64_K, 3, 0, 0, gen_below(r, 3), -1);
			gen_add(p, ISA_OP_CALL, 0, 0, 0, id, -1);
		} else if (k < 885) {
			gen_add(p, ISA_OP_MOV64_K, 8, 0, 0, gen_below(r, 4) ? 1 : (int)gen_below(r, 14), -1);
			gen_add(p, ISA_OP_CALLX, 8, 0, 0, 0, -1);
		} else if (k < 925) {
			if (nfn && p->n + 1 < stop) {
				unsigned to = gen_below(r, 8) ? fn_starts[gen_below(r, nfn)]
							       : gen_below(r, end);
				gen_add(p, ISA_OP_CALL_LOCAL, 0, 0, 0, 0, (int)to);
			}
		} else if (k < 955) {
			unsigned op = t->ldpkt[gen_below(r, t->nldpkt)];
			int64_t imm = gen_below(r, 2) ? (int64_t)gen_below(r, (uint32_t)mem_len + 8)
						      : gen_imm(r);
			gen_add(p, op, 0, gen_below(r, 11), 0, imm, -1);
		} else if (k < 990) {
			gen_add(p, ISA_OP_EXIT, 0, 0, 0, 0, -1);
		} else if (k < 993) {
			gen_add(p, ISA_OP_CALL_KFUNC, 0, 0, 0, gen_imm(r), -1);
		} else {
			gen_add(p, ISA_OP_MOV64_K, 0, 0, 0, gen_imm(r), -1);
		}
	}
	gen_add(p, ISA_OP_EXIT, 0, 0, 0, 0, -1);
}

/* Slots from instructions: lddw takes two, jumps and calls get offsets. */
static bool gen_layout(struct gen_prog *p)
{
	unsigned slot_of[GEN_MAX_INSNS + 1];
	unsigned s = 0;
	for (unsigned i = 0; i < p->n; i++) {
		slot_of[i] = s;
		s += isa_info[p->ins[i].op].shape == S_LDDW ? 2 : 1;
	}
	slot_of[p->n] = s;
	p->nslots = 0;
	for (unsigned i = 0; i < p->n; i++) {
		struct gen_insn *g = &p->ins[i];
		int16_t off = g->off;
		int64_t imm = g->imm;
		if (g->to >= 0) {
			int64_t rel = (int64_t)slot_of[g->to] - (int64_t)slot_of[i] - 1;
			unsigned sh = isa_info[g->op].shape;
			if (sh == S_JA32 || sh == S_CALL_LOCAL)
				imm = rel;
			else
				off = (int16_t)rel;
		}
		p->nslots += isa_encode((enum isa_op)g->op, g->dst, g->src, off, imm,
					&p->slots[p->nslots]);
	}
	return p->nslots > 0;
}

/* A whole program: main body plus up to two subprograms. */
static void gen_program(struct gen_rng *r, const struct gen_tables *t, struct gen_prog *p,
			size_t mem_len, unsigned max_len)
{
	p->n = 0;
	unsigned nfn = gen_below(r, 3);
	unsigned main_len = 4 + gen_below(r, max_len);
	unsigned lens[2] = { 2 + gen_below(r, max_len / 2 + 1), 2 + gen_below(r, max_len / 2 + 1) };
	unsigned starts[2], total = main_len;
	for (unsigned i = 0; i < nfn; i++) {
		starts[i] = total;
		total += lens[i];
	}
	if (total > GEN_MAX_INSNS) {
		nfn = 0;
		total = main_len = main_len > GEN_MAX_INSNS ? GEN_MAX_INSNS : main_len;
	}
	gen_body(r, t, p, mem_len, main_len, 0, starts, nfn, total, true);
	while (p->n < main_len)
		gen_add(p, ISA_OP_EXIT, 0, 0, 0, 0, -1);
	for (unsigned i = 0; i < nfn; i++) {
		gen_body(r, t, p, mem_len, lens[i], starts[i], starts, nfn, total, false);
		while (p->n < starts[i] + lens[i])
			gen_add(p, ISA_OP_EXIT, 0, 0, 0, 0, -1);
	}
	gen_layout(p);
}

/* One fuzz case from the random source: a program, its tail-call
 * targets, the input memory and the budget; then the differential run.
 * Returns diff_check's result. */
struct gen_case_buf {
	struct gen_prog main, targets[2];
	uint8_t mem[DIFF_MEM_MAX];
	uint8_t grant[DIFF_GRANT];
};

static int gen_and_check(struct diff_env *e, const struct gen_tables *t, struct gen_rng *r,
			 struct gen_case_buf *b, bool blind)
{
	struct diff_case c;
	memset(&c, 0, sizeof(c));
	size_t mem_len = gen_below(r, 5) ? 16 + gen_below(r, 240) : gen_below(r, 16);
	for (size_t i = 0; i < mem_len; i += 8) {
		uint64_t v = gen_next(r);
		memcpy(b->mem + i, &v, mem_len - i < 8 ? mem_len - i : 8);
	}
	for (size_t i = 0; i < DIFF_GRANT; i += 8) {
		uint64_t v = gen_next(r);
		memcpy(b->grant + i, &v, 8);
	}
	gen_program(r, t, &b->main, mem_len, 4 + gen_below(r, 60));
	c.insns = b->main.slots;
	c.n = b->main.nslots;
	c.mem = b->mem;
	c.mem_len = mem_len;
	c.grant = b->grant;
	static const uint64_t budgets[] = { 40, 100, 300, 1000, 5000 };
	c.budget = budgets[gen_below(r, 5)] + gen_below(r, 50);
	c.ro = gen_below(r, 16) == 0;
	c.blind = blind;
	c.ntargets = gen_below(r, 3);
	for (unsigned i = 0; i < c.ntargets; i++) {
		gen_program(r, t, &b->targets[i], mem_len, 4 + gen_below(r, 20));
		c.tinsns[i] = b->targets[i].slots;
		c.tn[i] = b->targets[i].nslots;
	}
	c.jit_mask = (unsigned)gen_below(r, 4);
	return diff_check(e, &c, NULL);
}

/* Print a program as hex slots (for reproducing a mismatch). */
static void gen_print(FILE *f, const struct gen_prog *p)
{
	for (size_t i = 0; i < p->nslots; i++) {
		const uint8_t *b = (const uint8_t *)&p->slots[i];
		for (int j = 0; j < 8; j++)
			fprintf(f, "%02x%s", b[j], j == 7 ? "\n" : " ");
	}
}

#endif
