/* bpfbox — verify/cfg.c: program structure, before any value is tracked.
 *
 * What this pass establishes, so the abstract interpreter can rely on it:
 *  - subprograms: instruction 0 and every target of a local call or of a
 *    `lddw func` start one; each runs up to the next start.  Jumps stay
 *    inside their subprogram and the last instruction of each is `exit` or
 *    an unconditional jump (execution never falls into the next one);
 *  - every instruction is reachable from the start of its subprogram (the
 *    kernel refuses dead code, and so do we: it hides mistakes);
 *  - static register liveness: for each instruction, which registers may
 *    be read before being written on some path from it.  State pruning
 *    ignores dead registers — a backward may-analysis, so it is exact
 *    enough and always sound;
 *  - relevance: for each instruction, which registers and stack slots hold
 *    scalars whose value may still influence a safety decision — reach an
 *    address, a branch condition, a helper argument, a subprogram, or a
 *    return value the program type checks.  A scalar that only flows into
 *    other irrelevant places (like a bit mask of results returned by a
 *    program whose return value is free) cannot change the path taken nor
 *    any check, so pruning may ignore it (the kernel gets the same effect
 *    from its dynamic precision tracking).  Conservative: anything read
 *    through a pointer that may be the stack makes every slot relevant;
 *    calls make all stack slots relevant;
 *  - prune points: jump targets, the fall-through of conditional jumps,
 *    the instruction after calls, helper calls that run callbacks.
 * After the walk, vrf_check_stack_depth() adds up the stack of every call
 * chain (kernel rule: at most 512 bytes in total, frames rounded to 16,
 * at most 8 frames, 256 bytes below a frame that tail-calls).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "verifier.h"

static bool is_func_lddw(const struct isa_insn *in)
{
	return in->op != ISA_OP_INVALID && in->op == ISA_OP_LDDW_FUNC;
}

int vrf_find_subprog(const struct venv *env, uint32_t insn)
{
	for (uint32_t i = 0; i < env->nsub; i++)
		if (env->sub[i].start == insn)
			return (int)i;
	return -1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Successors of i inside its subprogram: up to 2. */
static int succs(const struct venv *env, uint32_t i, uint32_t out[2])
{
	return isa_succs(env->insn, i, out);
}

static bool ret_ranged(int pt)
{
	return pt == BPFBOX_PROG_TYPE_CGROUP_SKB || pt == BPFBOX_PROG_TYPE_CGROUP_SOCK ||
	       pt == BPFBOX_PROG_TYPE_SOCK_OPS || pt == BPFBOX_PROG_TYPE_CGROUP_DEVICE ||
	       pt == BPFBOX_PROG_TYPE_CGROUP_SYSCTL || pt == BPFBOX_PROG_TYPE_CGROUP_SOCKOPT ||
	       pt == BPFBOX_PROG_TYPE_SK_LOOKUP || pt == BPFBOX_PROG_TYPE_NETFILTER ||
	       pt == BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR;
}

#define ALL_SLOTS (~0ull)

/* What a register may be, for the stack part of relevance: FP + c (an
 * exact stack address), NOSTACK (certainly not a stack address), or UNK. */
#define FP_NOSTACK INT32_MAX
#define FP_UNK INT32_MIN
typedef int32_t fpv;

static fpv fp_join(fpv a, fpv b) { return a == b ? a : FP_UNK; }

static bool is_fp(fpv v) { return v != FP_NOSTACK && v != FP_UNK; }

/* Forward: the fp-ness of each register before each instruction. */
static void fp_step(const struct venv *env, uint32_t i, const fpv *in, fpv *out)
{
	const struct isa_insn *ins = &env->insn[i];
	const struct isa_info *ri = &isa_info[ins->op];
	memcpy(out, in, 11 * sizeof(fpv));
	fpv *d = &out[ins->dst];
	const char *t = ri->optext;
	switch (ri->shape) {
	case S_ALU_K:
		if (ri->flags & F_W || ins->op == ISA_OP_MOV64_K)
			*d = FP_NOSTACK;
		else if (is_fp(*d) && !strcmp(t, "+="))
			*d = *d + ins->imm > -(1 << 20) && *d + ins->imm < (1 << 20) ? *d + ins->imm : FP_UNK;
		else if (is_fp(*d) && !strcmp(t, "-="))
			*d = *d - ins->imm > -(1 << 20) && *d - ins->imm < (1 << 20) ? *d - ins->imm : FP_UNK;
		else if (*d != FP_UNK)
			*d = FP_NOSTACK;
		break;
	case S_ALU_X:
		if (ins->op == ISA_OP_MOV64_X)
			*d = in[ins->src];
		else if (ri->flags & F_W)
			*d = FP_NOSTACK;
		else if (*d == FP_NOSTACK && in[ins->src] == FP_NOSTACK)
			*d = FP_NOSTACK;
		else
			*d = FP_UNK;
		break;
	case S_MOVSX:
	case S_NEG:
	case S_END:
	case S_LDDW:
		*d = FP_NOSTACK;
		break;
	case S_LDX:
		*d = isa_mem_size(ri->code) == 8 ? FP_UNK : FP_NOSTACK;
		break;
	case S_ATOMIC:
		if (ri->flags & F_FETCH)
			out[(ri->flags & F_R0) ? 0 : ins->src] = isa_mem_size(ri->code) == 8 ? FP_UNK : FP_NOSTACK;
		break;
	case S_CALL:
	case S_CALL_LOCAL:
	case S_CALL_KFUNC:
	case S_CALLX:
	case S_LD_ABS:
	case S_LD_IND:
		for (int r = 0; r <= 5; r++)
			out[r] = FP_NOSTACK;
		break;
	default:
		break;
	}
	out[BPFBOX_MAX_REG] = 0;
}

static void compute_fp(const struct venv *env, fpv *fp)
{
	uint32_t n = (uint32_t)env->n;
	uint8_t *seen = calloc(n, 1), *queued = calloc(n, 1);
	uint32_t *work = malloc(n * sizeof(*work) + 16);
	if (!seen || !work || !queued) {
		free(queued);
		for (size_t k = 0; k < (size_t)n * 11; k++)
			fp[k] = FP_UNK;
		free(seen);
		free(work);
		return;
	}
	uint32_t top = 0;
	for (uint32_t s = 0; s < env->nsub; s++) {
		uint32_t st = env->sub[s].start;
		fpv *e = &fp[(size_t)st * 11];
		for (int r = 0; r < 11; r++)
			e[r] = FP_NOSTACK;
		if (s)
			for (int r = 1; r <= 5; r++)
				e[r] = FP_UNK; /* may be the caller's stack */
		e[BPFBOX_MAX_REG] = 0;
		seen[st] = 1;
		queued[st] = 1;
		work[top++] = st;
	}
	/* each instruction is queued at most once at a time, so n entries do */
	while (top) {
		uint32_t i = work[--top];
		queued[i] = 0;
		fpv o[11];
		fp_step(env, i, &fp[(size_t)i * 11], o);
		uint32_t sx[2];
		int ns = succs(env, i, sx);
		for (int j = 0; j < ns; j++) {
			uint32_t t = sx[j];
			if (t >= n)
				continue;
			fpv *dst = &fp[(size_t)t * 11];
			bool changed = false;
			if (!seen[t]) {
				memcpy(dst, o, sizeof(o));
				seen[t] = 1;
				changed = true;
			} else {
				for (int r = 0; r < 11; r++) {
					fpv v = fp_join(dst[r], o[r]);
					if (v != dst[r]) {
						dst[r] = v;
						changed = true;
					}
				}
			}
			if (changed && !queued[t]) {
				queued[t] = 1;
				work[top++] = t;
			}
		}
	}
	free(seen);
	free(queued);
	free(work);
}

/* The slots a memory access through a register with fp-ness v may touch. */
static uint64_t slots_of(fpv v, int32_t off, bool upward)
{
	if (v == FP_NOSTACK)
		return 0;
	if (v == FP_UNK)
		return ALL_SLOTS;
	int64_t a = (int64_t)v + off;
	if (a >= 0 || a < -BPFBOX_STACK_SIZE)
		return upward && a < 0 ? ALL_SLOTS : 0;
	unsigned k = (unsigned)((-a - 1) / 8);
	if (!upward)
		return 1ull << k;
	/* a buffer starting here may extend up to fp: slots k .. 0 */
	return k >= 63 ? ALL_SLOTS : (2ull << k) - 1;
}

/* One instruction backward: what is relevant before it given what is
 * relevant after it. */
static void rel_step(const struct venv *env, uint32_t i, const fpv *fp, uint16_t out_r,
		     uint64_t out_s, uint16_t *in_r, uint64_t *in_s)
{
	const struct isa_insn *in = &env->insn[i];
	const struct isa_info *ri = &isa_info[in->op];
	uint16_t r = out_r;
	uint64_t st = out_s;
	const uint16_t args = 0x3e, clob = 0x3f;
	uint16_t d = (uint16_t)(1u << in->dst), sbit = (uint16_t)(1u << in->src);
	int slot = -1;      /* the one slot an access surely touches */
	uint64_t touch = 0; /* every slot it may touch */
	if ((ri->shape == S_LDX || ri->shape == S_STX || ri->shape == S_ST || ri->shape == S_ATOMIC)) {
		unsigned base = ri->shape == S_LDX ? in->src : in->dst;
		touch = slots_of(fp[base], in->off, false);
		if (is_fp(fp[base]) && touch && !(touch & (touch - 1)))
			slot = __builtin_ctzll(touch);
	}
	switch (ri->shape) {
	case S_ALU_K:
		if (in->op == ISA_OP_MOV64_K || in->op == ISA_OP_MOV32_K)
			r &= (uint16_t)~d;
		break;
	case S_ALU_X:
	case S_MOVSX:
		if (r & d) {
			if (in->op == ISA_OP_MOV64_X || in->op == ISA_OP_MOV32_X || ri->shape == S_MOVSX)
				r &= (uint16_t)~d;
			r |= sbit;
		}
		break;
	case S_NEG:
	case S_END:
		break;
	case S_LDDW:
		r &= (uint16_t)~d;
		break;
	case S_LDX: {
		bool want = r & d;
		r &= (uint16_t)~d;
		r |= sbit; /* the address */
		if (want)
			st |= touch; /* the value may come from these slots */
		break;
	}
	case S_ST:
		r |= d;
		if (slot >= 0 && isa_mem_size(ri->code) == 8)
			st &= ~(1ull << slot);
		break;
	case S_STX:
		r |= d;
		if (slot >= 0) {
			if (st & (1ull << slot))
				r |= sbit;
			if (isa_mem_size(ri->code) == 8)
				st &= ~(1ull << slot);
			if (st & (1ull << slot))
				r |= sbit;
		} else if (st & touch) {
			r |= sbit; /* may land in a relevant slot */
		}
		break;
	case S_ATOMIC:
		r |= d | sbit | ((ri->flags & F_R0) ? 1u : 0u);
		st |= touch;
		break;
	case S_JA:
	case S_JA32:
		break; /* a goto reads and writes nothing */
	case S_JCOND_K:
		r |= d;
		break;
	case S_JCOND_X:
		r |= d | sbit;
		break;
	case S_CALL:
		/* a helper reads the buffers its arguments point to (from
		 * there up towards fp) */
		r = (uint16_t)((r & ~clob) | args);
		if (in->imm == 181 || in->imm == 164) {
			st = ALL_SLOTS; /* a callback may reach anywhere through its ctx */
			break;
		}
		for (int a = 1; a <= 5; a++)
			st |= slots_of(fp[a], 0, true);
		break;
	case S_CALL_LOCAL:
	case S_CALL_KFUNC:
	case S_CALLX:
		r = (uint16_t)((r & ~clob) | args);
		if (ri->shape == S_CALLX)
			r |= d;
		st = ALL_SLOTS;
		break;
	case S_LD_ABS:
	case S_LD_IND:
		r = (uint16_t)((r & ~clob) | (1u << 6) | (ri->shape == S_LD_IND ? sbit : 0));
		break;
	case S_EXIT:
		/* r0 flows to the caller, a callback's range check, or a checked
		 * return value; only a main program with a free return value
		 * drops it */
		if (env->insn_sub[i] != 0 || ret_ranged(env->prog_type))
			r |= 1u;
		st = 0;
		break;
	default:
		r = 0x7ff;
		st = ALL_SLOTS;
		break;
	}
	*in_r = r & 0x7ff;
	*in_s = st;
}

static void compute_relevance(struct venv *env)
{
	uint32_t n = (uint32_t)env->n;
	fpv *fp = malloc((size_t)n * 11 * sizeof(*fp));
	if (!fp) {
		for (uint32_t k = 0; k < n; k++) {
			env->rel[k] = 0x7ff;
			env->rel_stack[k] = ALL_SLOTS;
		}
		return;
	}
	compute_fp(env, fp);
	memset(env->rel, 0, n * sizeof(*env->rel));
	memset(env->rel_stack, 0, n * sizeof(*env->rel_stack));
	bool changed = true;
	while (changed) {
		changed = false;
		for (uint32_t k = n; k-- > 0;) {
			if (env->insn[k].op == ISA_OP_INVALID)
				continue;
			uint32_t sx[2];
			int ns = succs(env, k, sx);
			uint16_t out = 0;
			uint64_t outs = 0;
			for (int j = 0; j < ns; j++)
				if (sx[j] < n) {
					out |= env->rel[sx[j]];
					outs |= env->rel_stack[sx[j]];
				}
			uint16_t ir;
			uint64_t is;
			rel_step(env, k, &fp[(size_t)k * 11], out, outs, &ir, &is);
			if (ir != env->rel[k] || is != env->rel_stack[k]) {
				env->rel[k] = ir;
				env->rel_stack[k] = is;
				changed = true;
			}
		}
	}
	free(fp);
}

int vrf_check_cfg(struct venv *env)
{
	uint32_t n = (uint32_t)env->n;
	/* subprogram starts */
	uint32_t *starts = malloc((n + 1) * sizeof(*starts));
	if (!starts)
		return -ENOMEM;
	uint32_t ns = 0;
	starts[ns++] = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct isa_insn *in = &env->insn[i];
		if (in->op == ISA_OP_INVALID)
			continue;
		int e = isa_info[in->op].shape == S_LDDW ? vrf_check_lddw_form(env, i) : 0;
		if (e) {
			free(starts);
			return e;
		}
		if (isa_info[in->op].shape == S_CALL_LOCAL)
			starts[ns++] = in->target;
		else if (is_func_lddw(in)) {
			int64_t t = (int64_t)i + 1 + in->imm;
			if (t < 0 || t >= (int64_t)n || env->insn[t].op == ISA_OP_INVALID) {
				free(starts);
				env->insn_idx = i;
				return vrf_reject(env, -EINVAL, "lddw func: target %lld is not an instruction",
						  (long long)t);
			}
			starts[ns++] = (uint32_t)t;
		}
	}
	qsort(starts, ns, sizeof(*starts), cmp_u32);
	uint32_t u = 0;
	for (uint32_t i = 0; i < ns; i++)
		if (!u || starts[u - 1] != starts[i])
			starts[u++] = starts[i];
	env->nsub = u;
	env->sub = calloc(u, sizeof(*env->sub));
	if (!env->sub) {
		free(starts);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < u; i++) {
		env->sub[i].start = starts[i];
		env->sub[i].end = i + 1 < u ? starts[i + 1] : n;
	}
	free(starts);
	for (uint32_t s = 0; s < env->nsub; s++)
		for (uint32_t i = env->sub[s].start; i < env->sub[s].end; i++)
			env->insn_sub[i] = (uint16_t)s;

	/* jumps stay inside; subprograms end with exit or goto */
	for (uint32_t s = 0; s < env->nsub; s++) {
		struct vsub *sp = &env->sub[s];
		uint32_t last = sp->end - 1;
		if (env->insn[last].op == ISA_OP_INVALID && last > sp->start)
			last--;
		for (uint32_t i = sp->start; i < sp->end; i++) {
			const struct isa_insn *in = &env->insn[i];
			if (in->op == ISA_OP_INVALID)
				continue;
			if (isa_is_jump(in->op) && (in->target < sp->start || in->target >= sp->end)) {
				env->insn_idx = i;
				return vrf_reject(env, -EINVAL,
						  "jump out of range from insn %u to %u (outside its function "
						  "[%u, %u))",
						  i, in->target, sp->start, sp->end);
			}
		}
		unsigned ls = isa_info[env->insn[last].op].shape;
		if (env->insn[last].op == ISA_OP_INVALID || (ls != S_EXIT && ls != S_JA && ls != S_JA32)) {
			env->insn_idx = last;
			return vrf_reject(env, -EINVAL,
					  "last insn is not an exit or jmp: function [%u, %u) would fall "
					  "through",
					  sp->start, sp->end);
		}
	}

	/* reachability inside each subprogram */
	uint8_t *seen = calloc(n, 1);
	uint32_t *work = malloc(n * sizeof(*work));
	if (!seen || !work) {
		free(seen);
		free(work);
		return -ENOMEM;
	}
	for (uint32_t s = 0; s < env->nsub; s++) {
		uint32_t top = 0;
		work[top++] = env->sub[s].start;
		seen[env->sub[s].start] = 1;
		while (top) {
			uint32_t i = work[--top];
			uint32_t sx[2];
			int k = succs(env, i, sx);
			for (int j = 0; j < k; j++) {
				if (sx[j] >= n || seen[sx[j]])
					continue;
				seen[sx[j]] = 1;
				work[top++] = sx[j];
			}
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (env->insn[i].op == ISA_OP_INVALID)
			continue;
		if (!seen[i]) {
			free(seen);
			free(work);
			env->insn_idx = i;
			return vrf_reject(env, -EINVAL, "unreachable insn %u: no path from the start of its "
					  "function reaches it", i);
		}
	}
	free(seen);
	free(work);

	/* prune points */
	for (uint32_t i = 0; i < n; i++) {
		const struct isa_insn *in = &env->insn[i];
		if (in->op == ISA_OP_INVALID)
			continue;
		unsigned s = isa_info[in->op].shape;
		if (isa_is_jump(in->op)) {
			env->prune_point[in->target] = 1;
			if (isa_is_cond_jump(in->op) && i + 1 < n)
				env->prune_point[i + 1] = 1;
		}
		if ((s == S_CALL || s == S_CALL_LOCAL) && i + 1 < n)
			env->prune_point[i + 1] = 1;
	}
	isa_liveness(env->insn, env->n, env->live);
	compute_relevance(env);
	return 0;
}

/* ---- stack depth of call chains -------------------------------------------- */

static uint32_t round16(uint32_t v) { return (v + 15) & ~15u; }

struct chain {
	uint32_t depth[VRF_MAX_FRAMES + 1];
	uint32_t frames;
};

static int walk_chain(struct venv *env, uint32_t s, uint32_t total, uint32_t frames,
		      uint8_t *on_path, uint32_t callsite)
{
	struct vsub *sp = &env->sub[s];
	uint32_t here = round16(sp->stack_depth);
	if (sp->has_tail_call && frames > 1 && total >= 256) {
		env->insn_idx = callsite;
		return vrf_reject(env, -EACCES,
				  "tail_calls are not allowed when call stack of previous frames is %u "
				  "bytes. Too large",
				  total);
	}
	total += here;
	if (total > env->max_stack)
		env->max_stack = total;
	if (total > BPFBOX_STACK_SIZE) {
		env->insn_idx = callsite;
		return vrf_reject(env, -EACCES,
				  "combined stack size of %u calls is %u. Too large (limit %d bytes for "
				  "a whole call chain)",
				  frames, total, BPFBOX_STACK_SIZE);
	}
	on_path[s] = 1;
	for (uint32_t i = sp->start; i < sp->end; i++) {
		const struct isa_insn *in = &env->insn[i];
		if (in->op == ISA_OP_INVALID)
			continue;
		int callee = -1;
		if (isa_info[in->op].shape == S_CALL_LOCAL)
			callee = vrf_find_subprog(env, in->target);
		else if (is_func_lddw(in))
			callee = vrf_find_subprog(env, (uint32_t)((int64_t)i + 1 + in->imm));
		if (callee < 0 || on_path[callee])
			continue;
		if (frames + 1 > VRF_MAX_FRAMES) {
			on_path[s] = 0;
			env->insn_idx = i;
			return vrf_reject(env, -E2BIG, "the call stack of %u frames is too deep (limit %d)",
					  frames + 1, VRF_MAX_FRAMES);
		}
		int err = walk_chain(env, (uint32_t)callee, total, frames + 1, on_path, i);
		if (err) {
			on_path[s] = 0;
			return err;
		}
	}
	on_path[s] = 0;
	return 0;
}

int vrf_check_stack_depth(struct venv *env)
{
	uint8_t *on_path = calloc(env->nsub, 1);
	if (!on_path)
		return -ENOMEM;
	int err = walk_chain(env, 0, 0, 1, on_path, 0);
	free(on_path);
	return err;
}
