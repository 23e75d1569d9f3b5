/* bpfbox — verify/verifier.c: the static verifier.
 *
 * WHAT IT PROVES.  A program accepted here, run on any input that matches
 * its program type (a context of that type, packets of any length, maps of
 * the described shapes, helpers that honour their contracts), never reads
 * or writes memory outside the regions it was given, never reads a
 * register it did not write, calls helpers only with arguments their
 * contracts accept, releases what it acquires, and terminates.  That is
 * what lets bpfbox run it without checked-mode checks.  The decisions
 * follow the Linux kernel's verifier for a privileged (root) loader, so a
 * program written for the kernel is judged the same way; differences are
 * documented where they are made.
 *
 * HOW: ABSTRACT INTERPRETATION OF EVERY PATH.  Before anything runs,
 * cfg.c checks the structure (functions, jumps, dead code) and computes
 * register liveness.  Then the program is executed symbolically from
 * instruction 0 on an abstract state (state.c):
 *   registers  each one NOT_INIT, a scalar, or a pointer of a kind (ctx,
 *              stack of frame k, map pointer, map value, packet, packet end,
 *              packet meta, helper memory of n bytes, function, ...), with
 *              a fixed offset, a variable offset (tnum + signed/unsigned
 *              64/32-bit ranges, bounds.c), an id (copies of one NULL-able
 *              pointer share it, so one check covers all; copies of a
 *              scalar share it, so a comparison refines all) and a
 *              reference id for what must be released;
 *   stack      per frame, per byte: uninitialised, misc data, zero, or part
 *              of a spilled register (whose type is kept);
 *   frames     one per active bpf-to-bpf call (at most 8), each with its
 *              own registers and 512-byte stack; references and the held
 *              spin lock are per state.
 * Each instruction is checked and applied to the state (ALU ops compute new
 * ranges; loads and stores go through check_mem.c; calls through
 * check_call.c).  A conditional jump whose outcome the state does not
 * decide splits the state: the fall-through continues, the other side is
 * pushed on a stack of pending branches, and each side is refined by what
 * the comparison implies (`if r1 < 10` bounds r1 on both sides; `if r0 ==
 * 0` makes r0 NULL on one side and a valid pointer on the other; `if r2 >
 * pkt_end` proves packet bytes on the other).  A path ends at the
 * program's exit (which checks the return value, references and locks), or
 * when it is pruned; verification ends when no pending branch is left, or
 * at the first error, which is reported with its instruction.
 *
 * PRUNING.  At prune points (jump targets and fall-throughs, after calls)
 * the current state is compared with the states stored there earlier.  If
 * a stored state whose exploration is complete COVERS the current one
 * (state.c: every concrete state described now was described then, on the
 * live registers and the stack), every path from here was already proven
 * safe, so this one stops.  Scalars whose value can no longer influence
 * any decision (cfg.c's relevance analysis: they never reach an address,
 * a branch, a helper, a callee or a checked return value) are ignored in
 * that comparison — the static counterpart of the kernel's precision
 * tracking, without which a program collecting results in a bit mask would
 * double its paths at every check.  States still being explored (an
 * ancestor on the current path: a loop) are not used for pruning — except
 * equality, which means the loop came back to exactly where it was:
 * "infinite loop detected".  Bounded loops are therefore explored
 * iteration by iteration until their exit condition is decided, and the
 * total work is capped at 1,000,000 processed instructions (the kernel's
 * limit), beyond which the program is "too large/complex".  Helper calls
 * that run callbacks are the one place where a state still being explored
 * may cover (the helper, not the program, bounds the number of calls), and
 * where scalars that keep changing are widened so the exploration
 * converges.
 *
 * INVARIANTS.
 *  - Every abstract value over-approximates the concrete values on every
 *    execution that reaches this point along the explored path.
 *  - A state is stored with branches = number of unfinished paths below
 *    it; it is used for pruning only when that count is 0.
 *  - The first rejection wins (env->failed makes later ones silent), and
 *    its line is the first ERROR line in the log.
 *
 * LIMITS (what bpfbox does not model, and rejects): BTF-based accesses
 * (kernel object pointers, kfuncs, global functions with BTF signatures,
 * CO-RE field reads through ctx of tracing programs), dynptrs, iterators,
 * timers, `callx`, and helpers bpfbox does not implement.  Relations
 * between two variables are not tracked (like the kernel: `off + 2 <= len`
 * says nothing about `off`), except linked copies with a constant delta.
 * Stored states are compared by range inclusion rather than by the
 * kernel's precision marks; where the two differ, the kernel labels in
 * tests/verify say so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "verifier.h"
#include "util/util.h"
#include "bpfbox/vm.h"

#define MAX_PENDING 8192
#define MAX_PACKET_OFF 0xffff
#define MAX_VAR_OFF (1ll << 29)

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- branch bookkeeping ------------------------------------------------------ */

static void stored_free(struct vstored *s)
{
	vrf_state_free(&s->st);
	free(s);
}

static void branch_done(struct venv *env, struct vstored *st)
{
	while (st) {
		if (--st->branches)
			break;
		struct vstored *p = st->parent;
		if (st->evicted) {
			if (st->gprev)
				st->gprev->gnext = st->gnext;
			else
				env->graveyard = st->gnext;
			if (st->gnext)
				st->gnext->gprev = st->gprev;
			stored_free(st);
			env->live_states--;
		}
		st = p;
	}
}

static int push_branch(struct venv *env, uint32_t insn, const struct vstate *st)
{
	if (env->nstack >= MAX_PENDING)
		return vrf_reject(env, -E2BIG, "The sequence of %u jumps is too complex: too many pending "
				  "branches", env->nstack + 1);
	if (env->nstack == env->capstack) {
		uint32_t cap = env->capstack ? env->capstack * 2 : 64;
		struct vpending *p = realloc(env->stack, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		env->stack = p;
		env->capstack = cap;
	}
	struct vpending *p = &env->stack[env->nstack];
	if (vrf_state_copy(&p->st, st))
		return -ENOMEM;
	p->insn = insn;
	p->prev = env->insn_idx;
	env->nstack++;
	if (st->parent)
		st->parent->branches++;
	return 0;
}

/* The current path ended (exit, pruned or impossible): take the next one.
 * Returns 1 when there is none. */
static int pop_branch(struct venv *env)
{
	branch_done(env, env->cur.parent);
	vrf_state_free(&env->cur);
	if (!env->nstack)
		return 1;
	struct vpending *p = &env->stack[--env->nstack];
	env->cur = p->st;
	env->cb_reentry = false;
	env->prev_insn = p->prev;
	env->insn_idx = p->insn;
	if (env->verbose)
		vrf_trace(env, "from %u to %u:", p->prev, p->insn);
	vrf_log_state(env, &env->cur, env->insn_idx);
	return 0;
}

/* ---- pruning -------------------------------------------------------------------- */

static void widen_one(struct vreg *c, const struct vreg *o)
{
	if (c->type != V_SCALAR || o->type != V_SCALAR)
		return;
	if (o->smin <= c->smin && o->smax >= c->smax && o->umin <= c->umin && o->umax >= c->umax &&
	    tnum_in(o->var, c->var))
		return;
	vrf_mark_unknown(c);
}

/* Scalars of cur that left what the earlier state `old` allowed become
 * unknown (callback loops only). */
static void widen(struct vstate *cur, const struct vstate *old)
{
	for (uint32_t k = 0; k < cur->nframes && k < old->nframes; k++) {
		struct vframe *c = cur->frames[k];
		const struct vframe *o = old->frames[k];
		for (int r = 0; r < BPFBOX_MAX_REG; r++)
			widen_one(&c->regs[r], &o->regs[r]);
		for (unsigned s = 0; s < c->nslots && s < o->nslots; s++) {
			if (c->slots[s].kind[0] == SK_SPILL && o->slots[s].kind[0] == SK_SPILL)
				widen_one(&c->slots[s].spill, &o->slots[s].spill);
		}
	}
}

/* 1: pruned; 0: continue (state stored); <0: error. */
static int is_state_visited(struct venv *env, uint32_t idx)
{
	bool cb = env->is_cb_call[idx];
	/* Store only after some work since the last stored state (the
	 * kernel's heuristic: 2 jumps and 8 instructions), except where
	 * callbacks loop; inside a loop (a state still being explored is
	 * here) only every 20 jumps or 100 instructions, as the kernel: the
	 * iterations of a loop differ and rarely help later pruning. */
	bool add = cb || (env->jmps - env->last_store_jmps >= 2 &&
			  env->processed - env->last_store_insns >= 8);
	for (struct vstored *sl = env->explored[idx]; sl && add && !cb; sl = sl->next)
		if (sl->branches && env->jmps - env->last_store_jmps < 20 &&
		    env->processed - env->last_store_insns < 100)
			add = false;
	struct vstored **link = &env->explored[idx];
	for (struct vstored *sl = *link; sl; sl = *link) {
		/* a state that keeps missing is not worth comparing against
		 * (the kernel's heuristic): drop it from the list.  Misses
		 * count only when the current state would be stored, else
		 * the iterations of a loop evict the states recorded before
		 * it (the kernel's rule too). */
		if (sl->miss > sl->hit * (cb ? 64 : 3) + (cb ? 64 : 3)) {
			*link = sl->next;
			if (sl->branches) {
				sl->evicted = true;
				sl->gprev = NULL;
				sl->gnext = env->graveyard;
				if (env->graveyard)
					env->graveyard->gprev = sl;
				env->graveyard = sl;
			} else {
				stored_free(sl);
				env->live_states--;
			}
			continue;
		}
		link = &sl->next;
		if (sl->branches) {
			if (cb) {
				if (vrf_states_covered(env, &sl->st, &env->cur, idx, false)) {
					sl->hit++;
					env->pruned++;
					return 1;
				}
				sl->miss++;
				continue;
			}
			if (sl->st.cb_calls == env->cur.cb_calls &&
			    vrf_states_covered(env, &sl->st, &env->cur, idx, true))
				return vrf_reject(env, -EINVAL,
						  "infinite loop detected at insn %u: the state repeats "
						  "exactly, nothing changes between iterations",
						  idx);
			if (add)
				sl->miss++;
			continue;
		}
		if (vrf_states_covered(env, &sl->st, &env->cur, idx, false)) {
			sl->hit++;
			env->pruned++;
			if (env->verbose)
				vrf_trace(env, "%u: safe (covered by an explored state)", idx);
			return 1;
		}
		if (add)
			sl->miss++;
	}
	/* Widen where a callback's calls repeat, as the kernel does when a
	 * callback returns (prepare_func_exit): against the state of the
	 * previous call on this path, and only after a few exact calls.  Not
	 * where the caller reaches the helper again (an outer loop): its
	 * registers differ from the last call's and must keep their values. */
	bool reentry = cb && env->cb_reentry;
	env->cb_reentry = false;
	if (reentry) {
		const struct vstored *prev = NULL;
		unsigned calls = 1;
		for (const struct vstored *a = env->cur.parent; a; a = a->parent) {
			if (a->insn != idx || a->st.nframes != env->cur.nframes)
				continue;
			if (!prev)
				prev = a;
			if (!a->cb_iter)
				break; /* the first call of this run of the helper */
			calls++;
		}
		if (prev && calls >= 4)
			widen(&env->cur, &prev->st);
	}
	if (!add)
		return 0;
	env->last_store_jmps = env->jmps;
	env->last_store_insns = env->processed;
	struct vstored *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (vrf_state_copy(&s->st, &env->cur)) {
		free(s);
		return -ENOMEM;
	}
	s->insn = idx;
	s->cb_iter = reentry;
	s->branches = 1;
	s->parent = env->cur.parent;
	s->next = env->explored[idx];
	env->explored[idx] = s;
	env->cur.parent = s;
	env->nstates++;
	if (++env->live_states > env->peak_states)
		env->peak_states = env->live_states;
	return 0;
}

/* ---- register helpers ------------------------------------------------------------ */

static int check_read(struct venv *env, uint32_t regno)
{
	const struct vreg *r = &vrf_cur(&env->cur)->regs[regno];
	if (r->type == V_NOT_INIT)
		return vrf_reject(env, -EACCES, "R%u !read_ok: the register is read before anything was "
				  "written to it on this path", regno);
	return 0;
}

struct idctx {
	uint32_t id;
	const struct vreg *src;
	const struct vreg *self; /* the register the refinement came from */
	int mode; /* 0: copy scalar, 1: make NULL, 2: make non-NULL */
	uint32_t ref;
};

static void sync_id(struct vreg *r, void *ud)
{
	struct idctx *c = ud;
	if (c->mode == 0) {
		/* linked scalars: same base id; the flag says "base + off" */
		if (!c->id || r->type != V_SCALAR ||
		    (r->id & ~VRF_ID_ADD_CONST) != (c->id & ~VRF_ID_ADD_CONST) || r == c->self)
			return;
		uint8_t fr = r->frameno;
		uint32_t rid = r->id;
		int32_t roff = r->off;
		bool rk = rid & VRF_ID_ADD_CONST, sk = c->id & VRF_ID_ADD_CONST;
		/* A 32-bit link only knows the low half of its base: it can
		 * refine other 32-bit links, never 64-bit values. */
		if ((c->id & VRF_ID_C32) && !(rid & VRF_ID_C32))
			return;
		if (rid == c->id && roff == c->src->off) {
			*r = *c->src;
		} else if (!rk && !sk) {
			*r = *c->src;
		} else {
			/* r = known + (r.off - known.off), at r's width */
			struct vreg k = *c->src, d;
			int64_t delta = (int64_t)(rk ? roff : 0) - (sk ? c->src->off : 0);
			vrf_mark_known(&d, (uint64_t)delta);
			k.id = 0;
			k.off = 0;
			vrf_scalar_alu(&k, &d, (rid & VRF_ID_C32) ? ISA_OP_ADD32_X : ISA_OP_ADD64_X);
			*r = k;
		}
		r->id = rid;
		r->off = roff;
		r->frameno = fr;
		return;
	}
	if (!c->id || r->id != c->id)
		return;
	if (c->mode == 1) {
		if (vrf_is_ptr(r) && (r->flags & VF_NULL)) {
			vrf_mark_known(r, 0);
		}
	} else if (vrf_is_ptr(r) && (r->flags & VF_NULL)) {
		r->flags &= (uint8_t)~VF_NULL;
		/* the id has done its job, except where a spin lock may need it
		 * (c->ref carries "the map has a spin lock" here) */
		if (r->type != V_MAP_VALUE || !c->ref)
			r->id = 0;
	}
}

static void sync_linked(struct vstate *s, const struct vreg *r)
{
	if (r->type != V_SCALAR || !r->id)
		return;
	struct vreg copy = *r;
	struct idctx c = { r->id, &copy, r, 0, 0 };
	vrf_for_each_reg(s, sync_id, &c);
}

static void mark_null(struct venv *env, struct vstate *s, uint32_t id, uint32_t ref, bool is_null,
		      bool keep_id)
{
	struct idctx c = { id, NULL, NULL, is_null ? 1 : 2, is_null ? ref : keep_id };
	vrf_for_each_reg(s, sync_id, &c);
	if (is_null && ref) {
		for (uint32_t i = 0; i < s->nrefs; i++)
			if (s->refs[i].id == ref) {
				s->refs[i] = s->refs[--s->nrefs];
				break;
			}
	}
	(void)env;
}

struct pktctx {
	uint8_t type;
	uint32_t id;
	uint32_t range;
};

static void pkt_range(struct vreg *r, void *ud)
{
	struct pktctx *c = ud;
	if (r->type == c->type && r->id == c->id && r->aux < c->range)
		r->aux = c->range;
}

static void find_good_pkt_pointers(struct vstate *s, const struct vreg *dst, bool right_open)
{
	if (dst->off < 0 || (dst->off == 0 && right_open))
		return;
	if (dst->umax > MAX_PACKET_OFF || dst->umax + (uint64_t)dst->off > MAX_PACKET_OFF)
		return;
	uint32_t range = (uint32_t)dst->off + (right_open ? 1 : 0);
	struct pktctx c = { dst->type, dst->id, range };
	vrf_for_each_reg(s, pkt_range, &c);
}

/* ---- ALU --------------------------------------------------------------------------- */

static const char *op_text(enum isa_op op) { return isa_info[op].optext; }

static int ptr_alu(struct venv *env, const struct isa_insn *in, struct vreg *dst,
		   const struct vreg *src, bool src_is_reg)
{
	enum isa_op op = (enum isa_op)in->op;
	const struct isa_info *ri = &isa_info[op];
	bool w32 = ri->flags & F_W;
	const char *t = op_text(op);
	bool is_add = !strcmp(t, "+="), is_sub = !strcmp(t, "-=");
	bool dptr = vrf_is_ptr(dst), sptr = vrf_is_ptr(src);
	uint32_t d = in->dst;
	if (w32) {
		/* 32-bit ops on pointers give meaningless numbers; root may */
		if (ri->shape == S_ALU_X && in->op == ISA_OP_MOV32_X) {
			vrf_mark_unknown(dst);
			vrf_set_size_bounds(dst, 4, false);
			return 0;
		}
		if (is_sub) {
			vrf_mark_unknown(dst);
			vrf_set_size_bounds(dst, 4, false);
			return 0;
		}
		return vrf_reject(env, -EACCES, "R%u 32-bit pointer arithmetic prohibited", d);
	}
	if (dptr && sptr) {
		if (is_sub) {
			vrf_mark_unknown(dst);
			return 0;
		}
		return vrf_reject(env, -EACCES, "R%u pointer %s pointer prohibited", d, t);
	}
	const struct vreg *ptr = dptr ? dst : src;
	const struct vreg *off = dptr ? src : dst;
	if (ptr->flags & VF_NULL)
		return vrf_reject(env, -EACCES,
				  "R%u pointer arithmetic on %s prohibited, null-check it first", d,
				  vrf_type_name(ptr));
	bool known = tnum_is_const(off->var);
	switch (ptr->type) {
	case V_CTX:
	case V_MAP_VALUE:
	case V_MAP_KEY:
	case V_STACK:
	case V_PKT:
	case V_PKT_META:
	case V_MEM:
	case V_BTF_ID:
	case V_FUNC:
		break;
	case V_MAP_PTR:
		if (known && off->var.value == 0 && is_add)
			break;
		/* fallthrough */
	default:
		return vrf_reject(env, -EACCES, "R%u pointer arithmetic on %s prohibited", d,
				  vrf_type_name(ptr));
	}
	if (!is_add && !is_sub) {
		if (!strcmp(t, "&=") || !strcmp(t, "|=") || !strcmp(t, "^="))
			return vrf_reject(env, -EACCES, "R%u bitwise operator %s on pointer prohibited", d, t);
		return vrf_reject(env, -EACCES, "R%u pointer arithmetic with %s operator prohibited", d, t);
	}
	if (is_sub && !dptr)
		return vrf_reject(env, -EACCES, "R%u tried to subtract pointer from scalar", d);
	if (is_sub && ptr->type == V_STACK)
		return vrf_reject(env, -EACCES, "R%u subtraction from stack pointer prohibited: add a "
				  "negative offset instead", d);
	/* the scalar must be sane */
	if (known) {
		int64_t v = (int64_t)off->var.value;
		if (v >= MAX_VAR_OFF || v <= -MAX_VAR_OFF)
			return vrf_reject(env, -EACCES, "math between %s pointer and %lld is not allowed",
					  vrf_type_name(ptr), (long long)v);
	} else {
		if (off->smin == INT64_MIN)
			return vrf_reject(env, -EACCES,
					  "math between %s pointer and register with unbounded min value is "
					  "not allowed (R%u: bound it first, e.g. with if or &=)",
					  vrf_type_name(ptr), src_is_reg ? (dptr ? in->src : in->dst) : d);
		if (off->smin >= MAX_VAR_OFF || off->smin <= -MAX_VAR_OFF)
			return vrf_reject(env, -EACCES, "value %lld makes %s pointer be out of bounds",
					  (long long)off->smin, vrf_type_name(ptr));
	}
	struct vreg res = *ptr;
	if (known) {
		int64_t v = (int64_t)off->var.value;
		int64_t no = (int64_t)res.off + (is_sub ? -v : v);
		if (no >= MAX_VAR_OFF || no <= -MAX_VAR_OFF)
			return vrf_reject(env, -EACCES, "value %lld makes %s pointer be out of bounds",
					  (long long)no, vrf_type_name(ptr));
		res.off = (int32_t)no;
	} else {
		struct vreg a = *ptr, b = *off;
		a.type = V_SCALAR;
		b.type = V_SCALAR;
		vrf_scalar_alu(&a, &b, is_sub ? ISA_OP_SUB64_X : ISA_OP_ADD64_X);
		res.var = a.var;
		res.smin = a.smin;
		res.smax = a.smax;
		res.umin = a.umin;
		res.umax = a.umax;
		res.s32min = a.s32min;
		res.s32max = a.s32max;
		res.u32min = a.u32min;
		res.u32max = a.u32max;
		if (res.type == V_PKT || res.type == V_PKT_META) {
			res.id = vrf_new_id(env);
			res.aux = 0;
		}
		/* the kernel's check_reg_sane_offset: the lower bound only (an
		 * unbounded upper end fails at the access, "unbounded memory
		 * access") */
		if (res.smin == INT64_MIN)
			return vrf_reject(env, -EACCES,
					  "math between %s pointer and register with unbounded min value is "
					  "not allowed", vrf_type_name(ptr));
		if (res.smin <= -MAX_VAR_OFF || res.smin >= MAX_VAR_OFF)
			return vrf_reject(env, -EACCES, "value %lld makes %s pointer be out of bounds",
					  (long long)res.smin, vrf_type_name(ptr));
	}
	if (res.type == V_PKT || res.type == V_PKT_META) {
		if (res.off < -(int32_t)MAX_PACKET_OFF || res.off > (int32_t)MAX_PACKET_OFF * 2)
			return vrf_reject(env, -EACCES, "value %d makes %s pointer be out of bounds", res.off,
					  vrf_type_name(ptr));
	}
	*dst = res;
	return 0;
}

static int do_alu(struct venv *env, const struct isa_insn *in)
{
	enum isa_op op = (enum isa_op)in->op;
	const struct isa_info *ri = &isa_info[op];
	struct vframe *f = vrf_cur(&env->cur);
	struct vreg *dst = &f->regs[in->dst];
	struct vreg src;
	bool is_mov = op == ISA_OP_MOV64_X || op == ISA_OP_MOV32_X || op == ISA_OP_MOV64_K ||
		      op == ISA_OP_MOV32_K || ri->shape == S_MOVSX;
	int err;
	if (!is_mov && (err = check_read(env, in->dst)))
		return err;
	if (ri->shape == S_ALU_X || ri->shape == S_MOVSX) {
		if ((err = check_read(env, in->src)))
			return err;
		src = f->regs[in->src];
	} else if (ri->shape == S_ALU_K) {
		const char *t = op_text(op);
		unsigned width = ri->flags & F_W ? 32 : 64;
		if ((!strcmp(t, "<<=") || !strcmp(t, ">>=") || !strcmp(t, "s>>=")) &&
		    (in->imm < 0 || (unsigned)in->imm >= width))
			return vrf_reject(env, -EINVAL, "invalid shift %d: a %u-bit shift count must be in "
					  "[0, %u)", in->imm, width, width);
		if ((!strcmp(t, "/=") || !strcmp(t, "%=") || !strcmp(t, "s/=") || !strcmp(t, "s%=")) &&
		    in->imm == 0)
			return vrf_reject(env, -EINVAL, "div by zero: the divisor is the constant 0");
		vrf_mark_known(&src, (uint64_t)(int64_t)in->imm);
	} else {
		vrf_mark_known(&src, 0);
	}
	if (ri->shape == S_NEG || ri->shape == S_END) {
		if (vrf_is_ptr(dst)) {
			vrf_mark_unknown(dst);
			return 0;
		}
		vrf_scalar_alu(dst, &src, op);
		dst->id = 0;
		dst->off = 0;
		return 0;
	}
	if (ri->shape == S_MOVSX) {
		if (vrf_is_ptr(&src)) {
			vrf_mark_unknown(dst);
			return 0;
		}
		vrf_scalar_alu(dst, &src, op);
		dst->id = 0;
		dst->off = 0;
		return 0;
	}
	if (op == ISA_OP_MOV64_X) {
		struct vreg *sr = &f->regs[in->src];
		if (sr->type == V_SCALAR && !sr->id && !tnum_is_const(sr->var))
			sr->id = vrf_new_id(env);
		*dst = *sr;
		return 0;
	}
	if (op == ISA_OP_MOV32_X && src.type == V_SCALAR) {
		dst->id = 0;
		dst->off = 0;
	}
	if (op == ISA_OP_MOV64_K || op == ISA_OP_MOV32_K) {
		vrf_mark_known(dst, op == ISA_OP_MOV32_K ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
		return 0;
	}
	if (vrf_is_ptr(dst) || vrf_is_ptr(&src))
		return ptr_alu(env, in, dst, &src, ri->shape == S_ALU_X);
	/* Division by a register that may be zero is defined (0 / dst), so
	 * nothing to reject, as in the kernel.  `rX += const` on a linked
	 * scalar keeps the link with the constant as delta (kernel:
	 * BPF_ADD_CONST), so a later check of the original bounds rX too. */
	uint32_t id = dst->id;
	const char *t = op_text(op);
	bool w32 = ri->flags & F_W;
	bool addsub = !strcmp(t, "+=") || !strcmp(t, "-=");
	bool cst = w32 ? tnum_is_const(tnum_subreg(src.var)) : vrf_is_const(&src);
	vrf_scalar_alu(dst, &src, op);
	dst->id = 0;
	dst->off = 0;
	if (addsub && id && cst && !(id & VRF_ID_ADD_CONST)) {
		int64_t v = w32 ? (int32_t)(uint32_t)src.var.value : (int64_t)src.var.value;
		if (v >= INT32_MIN && v <= INT32_MAX && !(t[0] == '-' && v == INT32_MIN)) {
			dst->id = id | (w32 ? VRF_ID_C32 : VRF_ID_C64);
			dst->off = (int32_t)(t[0] == '-' ? -v : v);
		}
	}
	return 0;
}

/* ---- memory instructions ------------------------------------------------------------ */

static int do_ldx(struct venv *env, const struct isa_insn *in)
{
	struct vframe *f = vrf_cur(&env->cur);
	int err = check_read(env, in->src);
	if (err)
		return err;
	const struct isa_info *ri = &isa_info[in->op];
	unsigned size = isa_mem_size(ri->code);
	bool sign = ri->optext[0] == 's';
	struct vreg ptr = f->regs[in->src];
	struct vreg val;
	vrf_mark_unknown(&val);
	err = vrf_check_mem(env, in->src, &ptr, in->off, size, ACC_READ, &val, NULL, sign, false, false);
	if (err)
		return err;
	if (val.type == V_SCALAR && size < 8 && !sign && val.umax >> (size * 8))
		vrf_set_size_bounds(&val, size, false);
	f = vrf_cur(&env->cur);
	f->regs[in->dst] = val;
	return 0;
}

static int do_store(struct venv *env, const struct isa_insn *in)
{
	struct vframe *f = vrf_cur(&env->cur);
	const struct isa_info *ri = &isa_info[in->op];
	unsigned size = isa_mem_size(ri->code);
	int err = check_read(env, in->dst);
	if (err)
		return err;
	struct vreg val;
	if (ri->shape == S_STX) {
		if ((err = check_read(env, in->src)))
			return err;
		val = f->regs[in->src];
	} else {
		vrf_mark_known(&val, size == 8 ? (uint64_t)(int64_t)in->imm
					      : (uint64_t)(uint32_t)in->imm & (size == 4 ? 0xffffffffull
										   : (1ull << (size * 8)) - 1));
	}
	struct vreg ptr = f->regs[in->dst];
	if (ptr.type == V_STACK && vrf_is_ptr(&val) && size == 8) {
		/* spilling a pointer to the caller's frame: checked in check_mem */
	}
	return vrf_check_mem(env, in->dst, &ptr, in->off, size, ACC_WRITE, NULL, &val, false, false, false);
}

static int do_atomic(struct venv *env, const struct isa_insn *in)
{
	struct vframe *f = vrf_cur(&env->cur);
	const struct isa_info *ri = &isa_info[in->op];
	unsigned size = isa_mem_size(ri->code);
	int err;
	if ((err = check_read(env, in->dst)) || (err = check_read(env, in->src)))
		return err;
	if ((ri->flags & F_R0) && (err = check_read(env, 0)))
		return err;
	struct vreg ptr = f->regs[in->dst];
	struct vreg tmp;
	vrf_mark_unknown(&tmp);
	err = vrf_check_mem(env, in->dst, &ptr, in->off, size, ACC_READ, &tmp, NULL, false, true, true);
	if (err)
		return err;
	err = vrf_check_mem(env, in->dst, &ptr, in->off, size, ACC_WRITE, NULL, NULL, false, true, true);
	if (err)
		return err;
	f = vrf_cur(&env->cur);
	if (ri->flags & F_FETCH) {
		struct vreg *load = &f->regs[(ri->flags & F_R0) ? 0 : in->src];
		vrf_set_size_bounds(load, size, false);
	}
	return 0;
}

static int do_ld_pkt(struct venv *env, const struct isa_insn *in)
{
	struct vstate *s = &env->cur;
	struct vframe *f = vrf_cur(s);
	int pt = env->prog_type;
	if (pt != BPFBOX_PROG_TYPE_SOCKET_FILTER && pt != BPFBOX_PROG_TYPE_SCHED_CLS &&
	    pt != BPFBOX_PROG_TYPE_SCHED_ACT && pt != BPFBOX_PROG_TYPE_UNSPEC)
		return vrf_reject(env, -EINVAL, "BPF_LD_[ABS|IND] instructions not allowed for this program "
				  "type (only socket filters and tc programs have an skb)");
	if (s->nrefs)
		return vrf_reject(env, -EINVAL, "BPF_LD_[ABS|IND] cannot be mixed with socket references "
				  "(a reference from insn %d is held)", s->refs[0].insn);
	if (s->lock_id || s->lock_map >= 0)
		return vrf_reject(env, -EINVAL, "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region");
	if (pt != BPFBOX_PROG_TYPE_UNSPEC) {
		int err = check_read(env, 6);
		if (err)
			return err;
		const struct vreg *r6 = &f->regs[6];
		if (r6->type != V_CTX || r6->off || !tnum_is_const(r6->var) || r6->var.value)
			return vrf_reject(env, -EINVAL, "at the time of BPF_LD_ABS|IND R6 != pointer to skb "
					  "(R6 is %s)", vrf_type_name(r6));
	}
	if (isa_info[in->op].shape == S_LD_IND) {
		int err = check_read(env, in->src);
		if (err)
			return err;
	}
	vrf_clobber_caller_saved(f);
	vrf_mark_unknown(&f->regs[0]);
	return 0;
}

/* The map an lddw of a map form (src 1, 2, 5, 6) names, or -1. */
static int lddw_map(const struct venv *env, const struct isa_insn *in)
{
	unsigned ns = (in->src == 5 || in->src == 6) ? 1 : 0;
	for (uint32_t k = 0; k < env->nmaps; k++)
		if (env->maps[k].ns == ns && env->maps[k].key == in->imm)
			return (int)k;
	return -1;
}

static int lddw_form(struct venv *env, const struct isa_insn *in, int32_t next_imm)
{
	switch (in->src) {
	case 0:
	case 4: /* functions are checked with the subprograms (cfg.c) */
		return 0;
	case 1:
	case 2:
	case 5:
	case 6: {
		int k = lddw_map(env, in);
		if (k < 0)
			return vrf_reject(env, -EINVAL, "lddw map: no description for map %d", in->imm);
		const struct vmap *m = &env->maps[k];
		if (isa_is_lddw_map(in->op))
			return 0;
		if (m->d.type != VM_ARRAY)
			return vrf_reject(env, -EINVAL, "direct value access on map type %u not allowed (only "
					  "array maps have an address)", m->d.type);
		if ((uint32_t)next_imm >= m->d.value_size)
			return vrf_reject(env, -EINVAL, "invalid access to map value pointer, value_size=%u "
					  "off=%u", m->d.value_size, (uint32_t)next_imm);
		return 0;
	}
	default:
		return vrf_reject(env, -EINVAL, "lddw %s: kernel BTF ids are not available to bpfbox",
				  isa_info[in->op].optext);
	}
}

/* Every lddw, reachable or not, must name something that exists — the
 * kernel resolves them all before it verifies (resolve_pseudo_ldimm64). */
int vrf_check_lddw_form(struct venv *env, uint32_t i)
{
	uint32_t saved = env->insn_idx;
	env->insn_idx = i; /* the instruction a rejection names */
	int err = lddw_form(env, &env->insn[i], i + 1 < env->n ? env->insn[i + 1].imm : 0);
	if (!err)
		env->insn_idx = saved;
	return err;
}

/* The forms were checked (vrf_check_lddw_form) before the walk. */
static int do_lddw(struct venv *env, const struct isa_insn *in)
{
	struct vframe *f = vrf_cur(&env->cur);
	struct vreg *dst = &f->regs[in->dst];
	int32_t next_imm = env->insn[env->insn_idx + 1].imm;
	switch (in->src) {
	case 0:
		vrf_mark_known(dst, in->imm64);
		return 0;
	case 1:
	case 2:
	case 5:
	case 6: {
		int k = lddw_map(env, in);
		vrf_mark_known(dst, 0);
		dst->born = (int32_t)env->insn_idx;
		dst->type = isa_is_lddw_map(in->op) ? V_MAP_PTR : V_MAP_VALUE;
		dst->aux = (uint32_t)k;
		if (dst->type == V_MAP_VALUE)
			dst->off = next_imm;
		return 0;
	}
	case 4: {
		if (!env->func_info)
			return vrf_reject(env, -EINVAL, "missing btf func_info: callbacks need BTF function "
					  "information (objects compiled with -g)");
		int sp = vrf_find_subprog(env, (uint32_t)((int64_t)env->insn_idx + 1 + in->imm));
		if (sp < 0)
			return vrf_reject(env, -EINVAL, "lddw func: not the start of a function");
		vrf_mark_known(dst, 0);
		dst->type = V_FUNC;
		dst->aux = (uint32_t)sp;
		env->sub[sp].is_cb = true;
		return 0;
	}
	default:
		return -EINVAL; /* rejected by vrf_check_lddw_form */
	}
}

/* ---- jumps --------------------------------------------------------------------------- */

static bool is_eq_ne(enum isa_op op, bool *eq)
{
	const char *t = isa_info[op].optext;
	if (!strcmp(t, "==")) {
		*eq = true;
		return true;
	}
	if (!strcmp(t, "!=")) {
		*eq = false;
		return true;
	}
	return false;
}

/* Packet pointer comparisons: which side learns a range.  Returns true
 * when the comparison was a packet check (refinements applied to
 * `fall` (not taken) and `taken`). */
static bool pkt_compare(struct venv *env, enum isa_op op, uint32_t dreg, uint32_t sreg,
			struct vstate *fall, struct vstate *taken)
{
	(void)env;
	if (isa_info[op].flags & F_W)
		return false;
	const struct vreg *d = &vrf_cur(fall)->regs[dreg];
	const struct vreg *s = &vrf_cur(fall)->regs[sreg];
	bool d_pkt = (d->type == V_PKT && s->type == V_PKT_END) || (d->type == V_PKT_META && s->type == V_PKT);
	bool s_pkt = (s->type == V_PKT && d->type == V_PKT_END) || (s->type == V_PKT_META && d->type == V_PKT);
	if (!d_pkt && !s_pkt)
		return false;
	const char *t = isa_info[op].optext;
	struct vreg dd = *d, ss = *s;
	if (!strcmp(t, ">")) {
		if (d_pkt)
			find_good_pkt_pointers(fall, &dd, false);  /* d <= end */
		else
			find_good_pkt_pointers(taken, &ss, true);  /* end > s */
	} else if (!strcmp(t, "<")) {
		if (d_pkt)
			find_good_pkt_pointers(taken, &dd, true);  /* d < end */
		else
			find_good_pkt_pointers(fall, &ss, false);  /* end >= s */
	} else if (!strcmp(t, ">=")) {
		if (d_pkt)
			find_good_pkt_pointers(fall, &dd, true);   /* d < end */
		else
			find_good_pkt_pointers(taken, &ss, false); /* end >= s */
	} else if (!strcmp(t, "<=")) {
		if (d_pkt)
			find_good_pkt_pointers(taken, &dd, false); /* d <= end */
		else
			find_good_pkt_pointers(fall, &ss, true);   /* end > s */
	} else {
		return false;
	}
	return true;
}

/* 1: this path goes on at env->insn_idx; 0 same; <0 error.  Sets *dead
 * when the current (fall-through) side is impossible. */
static int do_cond_jump(struct venv *env, const struct isa_insn *in, bool *dead)
{
	enum isa_op op = (enum isa_op)in->op;
	const struct isa_info *ri = &isa_info[op];
	struct vframe *f = vrf_cur(&env->cur);
	int err = check_read(env, in->dst);
	if (err)
		return err;
	struct vreg kreg;
	bool xform = ri->shape == S_JCOND_X;
	if (xform) {
		if ((err = check_read(env, in->src)))
			return err;
	} else {
		vrf_mark_known(&kreg, (uint64_t)(int64_t)in->imm);
	}
	struct vreg *d = &f->regs[in->dst];
	struct vreg *s = xform ? &f->regs[in->src] : &kreg;
	int pred = -1;
	bool eq;
	bool w32 = ri->flags & F_W;
	*dead = false;
	if (d->type == V_SCALAR && s->type == V_SCALAR) {
		pred = vrf_branch_taken(d, s, op);
	} else if (is_eq_ne(op, &eq)) {
		/* a pointer the kernel knows is never NULL, against 0 */
		const struct vreg *p = vrf_is_ptr(d) ? d : s, *o = vrf_is_ptr(d) ? s : d;
		bool not_null = !(p->flags & VF_NULL) &&
				(p->type == V_MAP_VALUE || p->type == V_MAP_KEY || p->type == V_MAP_PTR ||
				 p->type == V_MEM || p->type == V_SOCK_COMMON || p->type == V_BTF_ID);
		uint64_t ov = w32 ? (uint32_t)o->var.value : o->var.value;
		if (vrf_is_ptr(p) && !vrf_is_ptr(o) && vrf_is_const(o) && ov == 0 && not_null)
			pred = eq ? 0 : 1;
	}
	if (pred >= 0) {
		if (env->verbose)
			vrf_trace(env, "%u: branch %s (decided by the state)", env->insn_idx,
				  pred ? "taken" : "not taken");
		env->insn_idx = pred ? in->target : env->insn_idx + 1;
		return 0;
	}
	/* both sides are possible: the taken side goes to the pending stack */
	struct vstate taken;
	if (vrf_state_copy(&taken, &env->cur))
		return -ENOMEM;
	struct vstate *fall = &env->cur;
	bool taken_dead = false;
	struct vframe *tf = vrf_cur(&taken), *ff = vrf_cur(fall);
	if (d->type == V_SCALAR && s->type == V_SCALAR) {
		struct vreg td = tf->regs[in->dst], ts = xform ? tf->regs[in->src] : kreg;
		struct vreg fd = ff->regs[in->dst], fs = xform ? ff->regs[in->src] : kreg;
		vrf_refine(&td, &ts, op, true);
		vrf_refine(&fd, &fs, op, false);
		taken_dead = !vrf_scalar_bounds_ok(&td) || !vrf_scalar_bounds_ok(&ts);
		*dead = !vrf_scalar_bounds_ok(&fd) || !vrf_scalar_bounds_ok(&fs);
		tf->regs[in->dst] = td;
		ff->regs[in->dst] = fd;
		if (xform) {
			if (in->src != in->dst) {
				tf->regs[in->src] = ts;
				ff->regs[in->src] = fs;
			}
		}
		if (!taken_dead) {
			sync_linked(&taken, &td);
			if (xform)
				sync_linked(&taken, &ts);
		}
		if (!*dead) {
			sync_linked(fall, &fd);
			if (xform)
				sync_linked(fall, &fs);
		}
	} else if (!w32 && is_eq_ne(op, &eq)) {
		const struct vreg *p = vrf_is_ptr(d) ? d : s, *o = vrf_is_ptr(d) ? s : d;
		if (vrf_is_ptr(p) && (p->flags & VF_NULL) && vrf_is_const(o) && o->var.value == 0 && p->id) {
			uint32_t id = p->id, ref = p->ref;
			bool lock = p->type == V_MAP_VALUE && p->aux < env->nmaps &&
				    env->maps[p->aux].d.spin_lock_off >= 0;
			/* eq: taken side is NULL */
			mark_null(env, eq ? &taken : fall, id, ref, true, lock);
			mark_null(env, eq ? fall : &taken, id, ref, false, lock);
		}
	} else if (xform) {
		pkt_compare(env, op, in->dst, in->src, fall, &taken);
	}
	if (taken_dead) {
		vrf_state_free(&taken);
	} else {
		/* the pending copy shares the stored ancestor */
		taken.parent = env->cur.parent;
		if (env->nstack >= MAX_PENDING) {
			vrf_state_free(&taken);
			return vrf_reject(env, -E2BIG, "The sequence of %u jumps is too complex", env->nstack + 1);
		}
		if (env->nstack == env->capstack) {
			uint32_t cap = env->capstack ? env->capstack * 2 : 64;
			struct vpending *p = realloc(env->stack, cap * sizeof(*p));
			if (!p) {
				vrf_state_free(&taken);
				return -ENOMEM;
			}
			env->stack = p;
			env->capstack = cap;
		}
		struct vpending *pp = &env->stack[env->nstack++];
		pp->st = taken;
		pp->insn = in->target;
		pp->prev = env->insn_idx;
		if (taken.parent)
			taken.parent->branches++;
	}
	env->insn_idx++;
	return 0;
}

/* ---- the main loop -------------------------------------------------------------------- */

static int do_check(struct venv *env)
{
	struct vframe *f0 = vrf_frame_new();
	if (!f0)
		return -ENOMEM;
	memset(&env->cur, 0, sizeof(env->cur));
	env->cur.nframes = 1;
	env->cur.frames[0] = f0;
	env->cur.lock_map = -1;
	env->cur.lock_insn = -1;
	vrf_ctx_entry(env, &f0->regs[1], &f0->regs[2]);
	vrf_mark_known(&f0->regs[10], 0);
	f0->regs[10].type = V_STACK;
	env->insn_idx = 0;
	vrf_log_state(env, &env->cur, 0);
	for (;;) {
		uint32_t idx = env->insn_idx;
		if (idx >= env->n)
			return vrf_reject(env, -EINVAL, "fell off the end of the program");
		const struct isa_insn *in = &env->insn[idx];
		if (++env->processed > env->max_processed)
			return vrf_reject(env, -E2BIG,
					  "BPF program is too large. Processed %llu insn: the paths through "
					  "it (loops unrolled) exceed the limit of %llu",
					  (unsigned long long)env->processed,
					  (unsigned long long)env->max_processed);
		if (env->prune_point[idx] || env->is_cb_call[idx]) {
			int r = is_state_visited(env, idx);
			if (r < 0)
				return r;
			if (r == 1) {
				if (pop_branch(env))
					return 0;
				continue;
			}
		}
		if (env->verbose) {
			char t[128];
			vrf_insn_str(t, sizeof(t), env, idx);
			vrf_trace(env, "%u: (%02x) %s", idx, isa_info[in->op].code, t);
		}
		int err = 0;
		bool end_path = false;
		unsigned shape = isa_info[in->op].shape;
		switch (shape) {
		case S_ALU_K:
		case S_ALU_X:
		case S_NEG:
		case S_END:
		case S_MOVSX:
			err = do_alu(env, in);
			env->insn_idx++;
			break;
		case S_LDDW:
			err = do_lddw(env, in);
			env->insn_idx += 2;
			break;
		case S_LDX:
			err = do_ldx(env, in);
			env->insn_idx++;
			break;
		case S_ST:
		case S_STX:
			err = do_store(env, in);
			env->insn_idx++;
			break;
		case S_ATOMIC:
			err = do_atomic(env, in);
			env->insn_idx++;
			break;
		case S_LD_ABS:
		case S_LD_IND:
			err = do_ld_pkt(env, in);
			env->insn_idx++;
			break;
		case S_JA:
		case S_JA32:
			env->jmps++;
			env->insn_idx = in->target;
			break;
		case S_JCOND_K:
		case S_JCOND_X: {
			bool dead;
			env->jmps++;
			err = do_cond_jump(env, in, &dead);
			if (!err && dead)
				end_path = true;
			break;
		}
		case S_CALL: {
			if (in->imm == 12) {
				env->sub[env->insn_sub[idx]].has_tail_call = true;
				if (env->insn_sub[idx] && !env->func_info) {
					err = vrf_reject(env, -EINVAL, "tail_call is not allowed in subprogs "
							 "without BTF (function information)");
					break;
				}
			}
			int r = vrf_check_helper(env, in);
			if (r < 0) {
				err = r;
				break;
			}
			if (r > 0) {
				/* callback: zero calls continue after the helper... */
				struct vstate after;
				if (vrf_state_copy(&after, &env->cur))
					return -ENOMEM;
				struct vframe *af = vrf_cur(&after);
				vrf_clobber_caller_saved(af);
				vrf_mark_unknown(&af->regs[0]);
				after.parent = env->cur.parent;
				env->insn_idx = idx + 1;
				err = push_branch(env, idx + 1, &after);
				vrf_state_free(&after);
				env->insn_idx = idx;
				if (err)
					break;
				/* ...and one more call runs the callback */
				uint32_t sp = (uint32_t)(r - 1);
				int kind = in->imm == 181 ? CB_LOOP : CB_FOR_EACH;
				err = vrf_check_local_call(env, in, env->sub[sp].start, kind);
				if (!err)
					env->insn_idx = env->sub[sp].start;
				break;
			}
			env->insn_idx++;
			break;
		}
		case S_CALL_LOCAL:
			err = vrf_check_local_call(env, in, in->target, 0);
			if (!err)
				env->insn_idx = in->target;
			break;
		case S_CALL_KFUNC:
			err = vrf_reject(env, -EINVAL, "kfunc calls (btf id %d) are not supported: bpfbox has no "
					 "kernel BTF", in->imm);
			break;
		case S_CALLX:
			err = vrf_reject(env, -EINVAL, "unknown opcode 8d: callx r%u is not allowed (indirect "
					 "calls are not verifiable)", in->dst);
			break;
		case S_EXIT: {
			int r = vrf_check_exit(env);
			if (r < 0)
				err = r;
			else if (r == 1)
				end_path = true;
			break;
		}
		default:
			err = vrf_reject(env, -EINVAL, "unknown instruction shape");
			break;
		}
		if (err)
			return err;
		if (env->failed)
			return env->err;
		if (end_path) {
			if (env->verbose)
				vrf_trace(env, "%u: path done", idx);
			if (pop_branch(env))
				return 0;
			continue;
		}
		if (env->verbose && env->insn_idx != idx + 1 && shape != S_LDDW)
			vrf_trace(env, "goto %u", env->insn_idx);
		if (env->verbose)
			vrf_log_state(env, &env->cur, env->insn_idx);
	}
}

/* ---- setup and public entry points ----------------------------------------------------- */

static int collect_maps(struct venv *env)
{
	for (uint32_t i = 0; i + 1 < env->n; i++) {
		const struct isa_insn *in = &env->insn[i];
		if (in->op == ISA_OP_INVALID || isa_info[in->op].shape != S_LDDW)
			continue;
		if (in->src != 1 && in->src != 2 && in->src != 5 && in->src != 6)
			continue;
		unsigned ns = (in->src == 5 || in->src == 6) ? 1 : 0;
		bool seen = false;
		for (uint32_t k = 0; k < env->nmaps; k++)
			if (env->maps[k].ns == ns && env->maps[k].key == in->imm)
				seen = true;
		if (seen)
			continue;
		env->insn_idx = i;
		if (!env->map_info)
			return vrf_reject(env, -EINVAL,
					  "lddw %s(%d): no map description given (raw programs: --map %d=TYPE:"
					  "KEY:VALUE:MAX)",
					  isa_info[in->op].optext, in->imm, in->imm);
		if (env->nmaps >= sizeof(env->maps) / sizeof(env->maps[0]) - 8)
			return vrf_reject(env, -E2BIG, "too many maps (limit %zu)",
					  sizeof(env->maps) / sizeof(env->maps[0]) - 8);
		struct vmap *m = &env->maps[env->nmaps];
		memset(m, 0, sizeof(*m));
		m->d.spin_lock_off = -1;
		int err = env->map_info(env->map_ud, in->src, in->imm, env->insn[i + 1].imm, &m->d);
		if (err)
			return vrf_reject(env, -EINVAL, "lddw %s(%d): fd %d is not pointing to valid bpf_map",
					  isa_info[in->op].optext, in->imm, in->imm);
		m->ns = ns;
		m->key = in->imm;
		env->nmaps++;
	}
	return 0;
}

static bool license_is_gpl(const char *l)
{
	static const char *const ok[] = { "GPL", "GPL v2", "GPL and additional rights",
					  "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(l, ok[i]))
			return true;
	return false;
}

static void env_free(struct venv *env)
{
	vrf_state_free(&env->cur);
	for (uint32_t i = 0; i < env->nstack; i++)
		vrf_state_free(&env->stack[i].st);
	free(env->stack);
	if (env->explored) {
		for (size_t i = 0; i < env->n; i++) {
			struct vstored *s = env->explored[i];
			while (s) {
				struct vstored *nx = s->next;
				vrf_state_free(&s->st);
				free(s);
				s = nx;
			}
		}
	}
	free(env->explored);
	while (env->graveyard) {
		struct vstored *nx = env->graveyard->gnext;
		stored_free(env->graveyard);
		env->graveyard = nx;
	}
	free(env->sub);
	free(env->insn_sub);
	free(env->live);
	free(env->rel);
	free(env->rel_stack);
	free(env->prune_point);
	free(env->is_cb_call);
}

BPFBOX_API int bpfbox_verify(const struct bpfbox_insn *insns, size_t n,
			     const struct bpfbox_verify_opts *opts,
			     struct bpfbox_verify_stats *stats)
{
	if (!OPTS_VALID(opts, bpfbox_verify_opts) || (!insns && n) ||
	    (stats && stats->sz < sizeof(size_t)))
		return -EINVAL;
	uint64_t t0 = now_ns();
	struct venv env;
	memset(&env, 0, sizeof(env));
	env.prog_type = OPTS_GET(opts, prog_type, 0);
	env.ctx_size = OPTS_GET(opts, ctx_size, 0);
	env.attach_type = OPTS_GET(opts, expected_attach_type, 0);
	const char *lic = OPTS_GET(opts, license, NULL);
	env.gpl = license_is_gpl(lic ? lic : "GPL");
	env.log = OPTS_GET(opts, log, NULL);
	env.map_info = OPTS_GET(opts, map_info, NULL);
	env.map_ud = OPTS_GET(opts, map_ud, NULL);
	env.helper_info = OPTS_GET(opts, helper_info, NULL);
	env.helper_ud = OPTS_GET(opts, helper_ud, NULL);
	env.max_processed = OPTS_GET(opts, max_insns_processed, 0);
	env.func_info = OPTS_GET(opts, func_info, false);
	if (!env.max_processed)
		env.max_processed = 1000000;
	env.verbose = env.log && env.log->level >= BPFBOX_LOG_INFO;
	env.err_insn = -1;
	env.uninit_insn = -1;
	if (env.prog_type < 0 || env.prog_type >= BPFBOX_PROG_TYPE__COUNT)
		return -EINVAL;

	struct isa_prog prog = { 0 };
	size_t bad = 0;
	int err = isa_decode(insns, n, 0, NULL, &prog, &bad, env.log);
	if (err) {
		env.err_insn = (int64_t)bad;
		goto out_stats;
	}
	env.insn = prog.insns;
	env.n = prog.n;
	env.insn_sub = calloc(n, sizeof(*env.insn_sub));
	env.live = calloc(n, sizeof(*env.live));
	env.rel = calloc(n, sizeof(*env.rel));
	env.rel_stack = calloc(n, sizeof(*env.rel_stack));
	env.prune_point = calloc(n, 1);
	env.is_cb_call = calloc(n, 1);
	env.explored = calloc(n, sizeof(*env.explored));
	if (!env.insn_sub || !env.live || !env.prune_point || !env.is_cb_call || !env.explored ||
	    !env.rel || !env.rel_stack) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct isa_insn *in = &env.insn[i];
		if (in->op != ISA_OP_INVALID && isa_info[in->op].shape == S_CALL &&
		    (in->imm == 181 || in->imm == 164))
			env.is_cb_call[i] = 1;
	}
	if ((err = collect_maps(&env)))
		goto out;
	if ((err = vrf_check_cfg(&env)))
		goto out;
	if ((err = do_check(&env)))
		goto out;
	err = vrf_check_stack_depth(&env);
out:
	if (err && !env.failed && err != -ENOMEM) {
		/* an error without a message: never leave the log silent */
		vrf_reject(&env, err, "internal error %d", err);
	}
	if (env.failed)
		err = env.err;
	env_free(&env);
	isa_prog_free(&prog, NULL);
out_stats:
	if (stats) {
		struct bpfbox_verify_stats s = { .sz = stats->sz };
		s.insns_processed = env.processed;
		s.states = env.nstates;
		s.peak_states = env.peak_states;
		s.pruned = env.pruned;
		s.max_stack = env.max_stack;
		s.time_ns = now_ns() - t0;
		s.err_insn = err ? env.err_insn : -1;
		s.uninit_stack_insn = err ? -1 : env.uninit_insn;
		memcpy(stats, &s, stats->sz < sizeof(s) ? stats->sz : sizeof(s));
	}
	return err;
}

struct vm_helpers {
	struct bpfbox_vm *vm;
};

static const void *vm_helper_info(void *ud, uint32_t id)
{
	struct vm_helpers *h = ud;
	const void *contract = NULL;
	const char *name = NULL;
	if (bpfbox_vm__helper(h->vm, id, &name, &contract))
		return contract; /* registered: its contract, or NULL (cannot be verified) */
	return vrf_builtin_contract(id);
}

BPFBOX_API int bpfbox_prog__verify(struct bpfbox_prog *prog, const struct bpfbox_verify_opts *opts)
{
	if (!prog || !OPTS_VALID(opts, bpfbox_verify_opts))
		return -EINVAL;
	size_t n = 0;
	const struct bpfbox_insn *insns = bpfbox_prog__insns(prog, &n);
	struct bpfbox_verify_opts o;
	memset(&o, 0, sizeof(o));
	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	o.sz = sizeof(o);
	struct vm_helpers h = { bpfbox_prog__vm(prog) };
	if (!o.helper_info) {
		o.helper_info = vm_helper_info;
		o.helper_ud = &h;
	}
	struct bpfbox_verify_stats st = { .sz = sizeof(st) };
	int err = bpfbox_verify(insns, n, &o, &st);
	bpfbox_prog__set_verified(prog, err == 0);
	/* frames are zeroed only for a program that may read unwritten stack */
	if (!err)
		bpfbox_prog__set_zero_stack(prog, st.uninit_stack_insn >= 0);
	return err;
}
