/* bpfbox — isa.c: the instruction table, decoding and encoding.
 *
 * The table isa_info[] is expanded from isa.def; nothing here lists
 * instructions by hand.  Decoding a slot is: look up the rows that use its
 * opcode byte (the generated index), pick the one whose matched field has
 * the row's value, then check every field the row's shape does not use is
 * zero and every register is r0..r10.  Because each valid encoding has
 * exactly one row and a row fixes all non-operand fields, isa_encode() is the
 * exact inverse of isa_decode_one() — a property the round-trip test checks
 * over millions of generated encodings.
 *
 * Program-level decoding adds what one slot cannot know: an lddw needs a
 * second slot (opcode 0, everything but imm zero), jump and local-call
 * targets must land on an instruction of the program (not past the end, not
 * on an lddw's second half), and no instruction may write r10.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "isa.h"
#include "util/util.h"
#include "isa_index.h" /* generated: isa_rows_by_code[], isa_code_first[] */

const struct isa_info isa_info[ISA_OP__COUNT] = {
#define ISA(NAME, CODE, MATCH, MVAL, SHAPE, FLAGS, OPTEXT, CMNEM, SEM) \
	[ISA_OP_##NAME] = { #NAME, CODE, MATCH, SHAPE, MVAL, FLAGS, OPTEXT, CMNEM },
#include "isa.def"
#undef ISA
};

_Static_assert(sizeof(isa_rows_by_code) / sizeof(isa_rows_by_code[0]) == ISA_OP__COUNT,
	       "opcode index out of date with isa.def");

/* Which fields each shape uses as operands (the rest must be zero unless
 * the row matches on them). */
enum { U_DST = 1, U_SRC = 2, U_OFF = 4, U_IMM = 8 };
static const uint8_t shape_uses[S__COUNT] = {
	[S_ALU_K] = U_DST | U_IMM,
	[S_ALU_X] = U_DST | U_SRC,
	[S_NEG] = U_DST,
	[S_END] = U_DST,
	[S_MOVSX] = U_DST | U_SRC,
	[S_LDDW] = U_DST | U_IMM,
	[S_LD_ABS] = U_IMM,
	[S_LD_IND] = U_SRC | U_IMM,
	[S_LDX] = U_DST | U_SRC | U_OFF,
	[S_ST] = U_DST | U_OFF | U_IMM,
	[S_STX] = U_DST | U_SRC | U_OFF,
	[S_ATOMIC] = U_DST | U_SRC | U_OFF,
	[S_JA] = U_OFF,
	[S_JA32] = U_IMM,
	[S_JCOND_K] = U_DST | U_OFF | U_IMM,
	[S_JCOND_X] = U_DST | U_SRC | U_OFF,
	[S_CALL] = U_IMM,
	[S_CALL_LOCAL] = U_IMM,
	[S_CALL_KFUNC] = U_OFF | U_IMM,
	[S_CALLX] = U_DST,
	[S_EXIT] = 0,
};

static int32_t match_field(const struct bpfbox_insn *in, unsigned match)
{
	switch (match) {
	case M_OFF:
		return in->off;
	case M_IMM:
		return in->imm;
	case M_SRC:
		return in->src;
	default:
		return 0;
	}
}

enum isa_op isa_decode_one(const struct bpfbox_insn *in, enum bpfbox_decode_err *why)
{
	enum bpfbox_decode_err dummy;
	if (!why)
		why = &dummy;
	unsigned lo = isa_code_first[in->code], hi = isa_code_first[in->code + 1];
	if (lo == hi) {
		*why = BPFBOX_DECODE_UNKNOWN_OPCODE;
		return ISA_OP_INVALID;
	}
	enum isa_op op = ISA_OP_INVALID;
	for (unsigned k = lo; k < hi; k++) {
		const struct isa_info *ri = &isa_info[isa_rows_by_code[k]];
		if (ri->match == M_NONE || match_field(in, ri->match) == ri->mval) {
			op = (enum isa_op)isa_rows_by_code[k];
			break;
		}
	}
	if (op == ISA_OP_INVALID) {
		*why = BPFBOX_DECODE_BAD_FIELD;
		return ISA_OP_INVALID;
	}
	const struct isa_info *ri = &isa_info[op];
	unsigned use = shape_uses[ri->shape];
	if (((use & U_DST) && in->dst > BPFBOX_MAX_REG) || ((use & U_SRC) && in->src > BPFBOX_MAX_REG)) {
		*why = BPFBOX_DECODE_BAD_REGISTER;
		return ISA_OP_INVALID;
	}
	if ((!(use & U_DST) && in->dst) ||
	    (!(use & U_SRC) && ri->match != M_SRC && in->src) ||
	    (!(use & U_OFF) && ri->match != M_OFF && in->off) ||
	    (!(use & U_IMM) && ri->match != M_IMM && in->imm)) {
		*why = BPFBOX_DECODE_BAD_FIELD;
		return ISA_OP_INVALID;
	}
	*why = BPFBOX_DECODE_OK;
	return op;
}

unsigned isa_encode(enum isa_op op, uint8_t dst, uint8_t src, int16_t off, int64_t imm,
		    struct bpfbox_insn out[2])
{
	const struct isa_info *ri = &isa_info[op];
	unsigned use = shape_uses[ri->shape];
	struct bpfbox_insn in = { 0 };
	in.code = ri->code;
	in.dst = (use & U_DST) ? dst & 0xf : 0;
	in.src = (use & U_SRC) ? src & 0xf : 0;
	in.off = (use & U_OFF) ? off : 0;
	in.imm = (use & U_IMM) ? (int32_t)(uint32_t)(uint64_t)imm : 0;
	switch (ri->match) {
	case M_OFF:
		in.off = (int16_t)ri->mval;
		break;
	case M_IMM:
		in.imm = ri->mval;
		break;
	case M_SRC:
		in.src = (uint8_t)ri->mval;
		break;
	}
	out[0] = in;
	if (ri->shape != S_LDDW)
		return 1;
	struct bpfbox_insn hi = { 0 };
	hi.imm = (int32_t)(uint32_t)((uint64_t)imm >> 32);
	out[1] = hi;
	return 2;
}

bool isa_writes_dst(enum isa_op op)
{
	switch (isa_info[op].shape) {
	case S_ALU_K:
	case S_ALU_X:
	case S_NEG:
	case S_END:
	case S_MOVSX:
	case S_LDDW:
	case S_LDX:
		return true;
	default:
		return false;
	}
}

bool isa_writes_src(enum isa_op op)
{
	const struct isa_info *ri = &isa_info[op];
	return ri->shape == S_ATOMIC && (ri->flags & F_FETCH) && !(ri->flags & F_R0);
}

const char *isa_decode_strerror(enum bpfbox_decode_err e)
{
	switch (e) {
	case BPFBOX_DECODE_OK: return "ok";
	case BPFBOX_DECODE_UNKNOWN_OPCODE: return "unknown opcode";
	case BPFBOX_DECODE_BAD_FIELD: return "reserved field not zero";
	case BPFBOX_DECODE_BAD_REGISTER: return "invalid register";
	case BPFBOX_DECODE_WRITES_R10: return "r10 is read-only";
	case BPFBOX_DECODE_LDDW_TRUNCATED: return "lddw without its second half";
	case BPFBOX_DECODE_LDDW_BAD_HALF: return "invalid second half of lddw";
	case BPFBOX_DECODE_JUMP_RANGE: return "jump out of range";
	case BPFBOX_DECODE_JUMP_INTO_LDDW: return "jump into the middle of lddw";
	case BPFBOX_DECODE_EMPTY: return "empty program";
	case BPFBOX_DECODE_TOO_LONG: return "program too long";
	}
	return "?";
}

/* Name the bad field of an encoding that isa_decode_one rejected. */
static void explain_bad_slot(const struct bpfbox_insn *in, enum bpfbox_decode_err why,
			     char *buf, size_t size)
{
	if (why == BPFBOX_DECODE_UNKNOWN_OPCODE) {
		snprintf(buf, size, "unknown opcode 0x%02x", in->code);
		return;
	}
	/* Find the first row of this opcode to name what was expected. */
	unsigned lo = isa_code_first[in->code], hi = isa_code_first[in->code + 1];
	const struct isa_info *ri = &isa_info[isa_rows_by_code[lo]];
	for (unsigned k = lo; k < hi; k++) {
		const struct isa_info *r = &isa_info[isa_rows_by_code[k]];
		if (r->match == M_NONE || match_field(in, r->match) == r->mval) {
			ri = r;
			break;
		}
	}
	unsigned use = shape_uses[ri->shape];
	if (why == BPFBOX_DECODE_BAD_REGISTER) {
		unsigned reg = ((use & U_DST) && in->dst > BPFBOX_MAX_REG) ? in->dst : in->src;
		snprintf(buf, size, "invalid register r%u in opcode 0x%02x (%s)", reg, in->code,
			 ri->cmnem);
		return;
	}
	if (lo + 1 < hi && ri->match != M_NONE && match_field(in, ri->match) != ri->mval) {
		static const char *const fname[] = { "", "offset", "imm", "src" };
		snprintf(buf, size, "opcode 0x%02x: %s %d selects no instruction", in->code,
			 fname[ri->match], (int)match_field(in, ri->match));
		return;
	}
	const char *field = "?";
	long val = 0;
	if (!(use & U_DST) && in->dst)
		field = "dst", val = in->dst;
	else if (!(use & U_SRC) && ri->match != M_SRC && in->src)
		field = "src", val = in->src;
	else if (!(use & U_OFF) && ri->match != M_OFF && in->off)
		field = "offset", val = in->off;
	else if (!(use & U_IMM) && ri->match != M_IMM && in->imm)
		field = "imm", val = in->imm;
	snprintf(buf, size, "opcode 0x%02x (%s): reserved %s field is %ld, must be 0", in->code,
		 ri->cmnem, field, val);
}

static int fail(struct bpfbox_log *log, size_t *err_index, size_t i, const char *msg)
{
	if (err_index)
		*err_index = i;
	bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "insn %zu: %s", i, msg);
	return -EINVAL;
}

void isa_prog_free(struct isa_prog *p, const struct util_alloc *a)
{
	struct util_alloc def;
	if (!a) {
		util_alloc_init(&def, NULL, NULL);
		a = &def;
	}
	util_free(a, p->insns, p->n * sizeof(*p->insns));
	p->insns = NULL;
	p->n = 0;
}

int isa_decode(const struct bpfbox_insn *insns, size_t n, unsigned flags,
	       const struct util_alloc *a, struct isa_prog *out, size_t *err_index,
	       struct bpfbox_log *log)
{
	struct util_alloc def;
	if (!a) {
		util_alloc_init(&def, NULL, NULL);
		a = &def;
	}
	char msg[160];
	out->insns = NULL;
	out->n = 0;
	if (n == 0)
		return fail(log, err_index, 0, "empty program");
	if (n > ISA_MAX_INSNS) {
		snprintf(msg, sizeof(msg), "program too long: %zu slots (limit %u)", n, ISA_MAX_INSNS);
		fail(log, err_index, 0, msg);
		return -E2BIG;
	}
	struct isa_insn *d = util_calloc(a, n, sizeof(*d));
	if (!d)
		return -ENOMEM;
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bpfbox_insn *in = &insns[i];
		enum bpfbox_decode_err why;
		enum isa_op op = isa_decode_one(in, &why);
		if (op == ISA_OP_INVALID) {
			explain_bad_slot(in, why, msg, sizeof(msg));
			err = fail(log, err_index, i, msg);
			goto out;
		}
		struct isa_insn *o = &d[i];
		o->op = (uint16_t)op;
		o->dst = in->dst;
		o->src = in->src;
		o->off = in->off;
		o->imm = in->imm;
		o->imm64 = isa_sext32(in->imm);
		if (!(flags & ISA_DECODE_ALLOW_R10_WRITE) &&
		    ((isa_writes_dst(op) && in->dst == BPFBOX_MAX_REG) ||
		     (isa_writes_src(op) && in->src == BPFBOX_MAX_REG))) {
			err = fail(log, err_index, i, "r10 is read-only (frame pointer)");
			goto out;
		}
		if (isa_info[op].shape == S_LDDW) {
			if (i + 1 >= n) {
				err = fail(log, err_index, i, "lddw without its second half (last slot)");
				goto out;
			}
			const struct bpfbox_insn *h = &insns[i + 1];
			if (h->code || h->dst || h->src || h->off) {
				snprintf(msg, sizeof(msg),
					 "invalid second half of lddw at %zu (opcode 0x%02x, must be 0 "
					 "with zero dst/src/offset)",
					 i + 1, h->code);
				err = fail(log, err_index, i, msg);
				goto out;
			}
			o->imm64 = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)h->imm << 32;
			d[i + 1].op = ISA_OP_INVALID;
			d[i + 1].imm = h->imm;
			i++;
		}
	}
	/* Execution must not run off the end: the last instruction is exit or
	 * an unconditional jump (the kernel's "last insn is not an exit or
	 * jmp").  Found by the object loader's fuzzer: the engines would read
	 * past the decoded array. */
	{
		size_t last = n - 1;
		if (d[last].op == ISA_OP_INVALID && last > 0)
			last--; /* the second half of a final lddw */
		unsigned ls = isa_info[d[last].op].shape;
		if (ls != S_EXIT && ls != S_JA && ls != S_JA32) {
			err = fail(log, err_index, last,
				   "last insn is not an exit or jmp (execution would run off the end)");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		enum isa_op op = d[i].op;
		if (op == ISA_OP_INVALID)
			continue;
		unsigned s = isa_info[op].shape;
		int64_t rel;
		if (s == S_JA || s == S_JCOND_K || s == S_JCOND_X)
			rel = d[i].off;
		else if (s == S_JA32 || s == S_CALL_LOCAL)
			rel = d[i].imm;
		else
			continue;
		int64_t t = (int64_t)i + 1 + rel;
		if (t < 0 || t >= (int64_t)n) {
			snprintf(msg, sizeof(msg), "%s to %lld out of range [0, %zu)",
				 s == S_CALL_LOCAL ? "call" : "jump", (long long)t, n);
			err = fail(log, err_index, i, msg);
			goto out;
		}
		if (d[t].op == ISA_OP_INVALID) {
			snprintf(msg, sizeof(msg), "%s to %lld lands in the middle of lddw",
				 s == S_CALL_LOCAL ? "call" : "jump", (long long)t);
			err = fail(log, err_index, i, msg);
			goto out;
		}
		d[i].target = (uint32_t)t;
	}
out:
	if (err) {
		util_free(a, d, n * sizeof(*d));
		return err;
	}
	out->insns = d;
	out->n = n;
	return 0;
}

BPFBOX_API int bpfbox_insns__validate(const struct bpfbox_insn *insns, size_t n,
				      size_t *err_index, struct bpfbox_log *log)
{
	struct isa_prog p;
	int err = isa_decode(insns, n, 0, NULL, &p, err_index, log);
	if (!err)
		isa_prog_free(&p, NULL);
	return err;
}

/* ---- data flow ---------------------------------------------------------- */

void isa_use_def(const struct isa_insn *in, uint16_t *use, uint16_t *def)
{
	const struct isa_info *ri = &isa_info[in->op];
	uint16_t u = 0, d = 0;
	const uint16_t args = 0x3e, clob = 0x3f;
	switch (ri->shape) {
	case S_ALU_K:
		if (in->op != ISA_OP_MOV64_K && in->op != ISA_OP_MOV32_K)
			u |= 1u << in->dst;
		d |= 1u << in->dst;
		break;
	case S_ALU_X:
		if (in->op != ISA_OP_MOV64_X && in->op != ISA_OP_MOV32_X)
			u |= 1u << in->dst;
		u |= 1u << in->src;
		d |= 1u << in->dst;
		break;
	case S_MOVSX:
		u |= 1u << in->src;
		d |= 1u << in->dst;
		break;
	case S_NEG:
	case S_END:
		u |= 1u << in->dst;
		d |= 1u << in->dst;
		break;
	case S_LDDW:
		d |= 1u << in->dst;
		break;
	case S_LD_ABS:
		u |= 1u << 6;
		d |= clob;
		break;
	case S_LD_IND:
		u |= 1u << 6 | 1u << in->src;
		d |= clob;
		break;
	case S_LDX:
		u |= 1u << in->src;
		d |= 1u << in->dst;
		break;
	case S_ST:
		u |= 1u << in->dst;
		break;
	case S_STX:
		u |= 1u << in->dst | 1u << in->src;
		break;
	case S_ATOMIC:
		u |= 1u << in->dst | 1u << in->src;
		if (ri->flags & F_R0) {
			u |= 1u;
			d |= 1u;
		} else if (ri->flags & F_FETCH) {
			d |= 1u << in->src;
		}
		break;
	case S_JCOND_K:
		u |= 1u << in->dst;
		break;
	case S_JCOND_X:
		u |= 1u << in->dst | 1u << in->src;
		break;
	case S_CALL:
	case S_CALL_LOCAL:
	case S_CALL_KFUNC:
		u |= args;
		d |= clob;
		break;
	case S_CALLX:
		u |= args | 1u << in->dst;
		d |= clob;
		break;
	case S_EXIT:
		u |= 1u;
		break;
	default:
		break;
	}
	*use = u & 0x7ff;
	*def = d & 0x7ff;
}

int isa_succs(const struct isa_insn *code, size_t i, uint32_t out[2])
{
	const struct isa_insn *in = &code[i];
	switch (isa_info[in->op].shape) {
	case S_EXIT:
		return 0;
	case S_JA:
	case S_JA32:
		out[0] = in->target;
		return 1;
	case S_JCOND_K:
	case S_JCOND_X:
		out[0] = (uint32_t)i + 1;
		out[1] = in->target;
		return 2;
	case S_LDDW:
		out[0] = (uint32_t)i + 2;
		return 1;
	default:
		out[0] = (uint32_t)i + 1;
		return 1;
	}
}

/* Sweeps from the end until nothing changes: each sweep carries liveness
 * back through straight code at once, and a loop needs one more sweep
 * per nesting level, so a few sweeps settle a real program.  use/def are
 * recomputed per visit rather than stored: the switch is cheaper than the
 * memory for a million slots. */
void isa_liveness(const struct isa_insn *code, size_t n, uint16_t *live)
{
	memset(live, 0, n * sizeof(*live));
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t k = n; k-- > 0;) {
			if (code[k].op == ISA_OP_INVALID)
				continue;
			uint32_t sx[2];
			int ns = isa_succs(code, k, sx);
			uint16_t out = 0;
			for (int j = 0; j < ns; j++)
				if (sx[j] < n)
					out |= live[sx[j]];
			uint16_t use, def;
			isa_use_def(&code[k], &use, &def);
			uint16_t in = (uint16_t)(use | (out & ~def));
			if (in != live[k]) {
				live[k] = in;
				changed = true;
			}
		}
	}
}
