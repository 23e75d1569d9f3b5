/* bpfbox — verify/state.c: abstract states, their copies and their order.
 *
 * A state is the stack of call frames (registers + stack slots of each),
 * the acquired references and the held spin lock.  Exploration copies a
 * state at every branch; frames own their slot arrays, sized to the deepest
 * stack byte the frame touched so far, so copies stay small.
 *
 * Pruning asks "does an explored state `old` cover the current state?":
 * every concrete machine state the current abstract state describes must
 * be described by old, on everything that can still matter.  Then every
 * path from here was already checked from old.  What "can still matter" is
 * decided by static register liveness (cfg.c): a register that is written
 * before it is read on every path is ignored.  Covering, per register:
 *   - old never written (NOT_INIT): covers anything (old's exploration
 *     never read it on any feasible path);
 *   - scalars: old's ranges and tnum contain the current ones;
 *   - pointers: same kind, same fixed offset and target (map, frame,
 *     size), variable offset covered, and for packets old proved no more
 *     bytes than current did;
 *   - ids (null checks, packet bases, linked scalars, references) must
 *     correspond one-to-one (an id map built during the comparison), since
 *     a later null check or refinement acts on all registers sharing one.
 * Stack slots: uninitialised or (root may read anything) misc bytes in old
 * cover anything; zero covers zero; a spill covers a spill it covers as a
 * register.  Until the program is known to read stack it never wrote,
 * bytes unwritten in the current state must be unwritten in old as well
 * (see check_mem.c: that read must not be pruned away).  `exact` asks for equality instead; it is what the loop check
 * uses (a state equal to one still being explored on the same path is an
 * infinite loop).
 */
#include <stdlib.h>
#include <string.h>
#include "verifier.h"

struct vframe *vrf_frame_new(void)
{
	struct vframe *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	for (int i = 0; i <= BPFBOX_MAX_REG; i++)
		vrf_mark_not_init(&f->regs[i]);
	f->callsite = -1;
	return f;
}

int vrf_frame_grow(struct vframe *f, unsigned nslots)
{
	if (nslots <= f->nslots)
		return 0;
	if (nslots > VRF_SLOTS)
		nslots = VRF_SLOTS;
	struct vslot *s = realloc(f->slots, nslots * sizeof(*s));
	if (!s)
		return -1;
	memset(s + f->nslots, 0, (nslots - f->nslots) * sizeof(*s));
	f->slots = s;
	f->nslots = (uint8_t)nslots;
	return 0;
}

static void frame_free(struct vframe *f)
{
	if (!f)
		return;
	free(f->slots);
	free(f);
}

void vrf_state_free(struct vstate *s)
{
	for (uint32_t i = 0; i < s->nframes; i++)
		frame_free(s->frames[i]);
	s->nframes = 0;
}

int vrf_state_copy(struct vstate *dst, const struct vstate *src)
{
	struct vstate tmp = *src;
	for (uint32_t i = 0; i < src->nframes; i++) {
		const struct vframe *sf = src->frames[i];
		struct vframe *f = malloc(sizeof(*f));
		if (!f)
			goto fail;
		*f = *sf;
		f->slots = NULL;
		if (sf->nslots) {
			f->slots = malloc(sf->nslots * sizeof(*f->slots));
			if (!f->slots) {
				free(f);
				goto fail;
			}
			memcpy(f->slots, sf->slots, sf->nslots * sizeof(*f->slots));
		}
		tmp.frames[i] = f;
		continue;
fail:
		for (uint32_t j = 0; j < i; j++)
			frame_free(tmp.frames[j]);
		return -1;
	}
	*dst = tmp;
	return 0;
}

void vrf_for_each_reg(struct vstate *s, void (*fn)(struct vreg *r, void *ud), void *ud)
{
	for (uint32_t i = 0; i < s->nframes; i++) {
		struct vframe *f = s->frames[i];
		for (int r = 0; r <= BPFBOX_MAX_REG; r++)
			fn(&f->regs[r], ud);
		for (unsigned k = 0; k < f->nslots; k++)
			if (f->slots[k].kind[0] == SK_SPILL)
				fn(&f->slots[k].spill, ud);
	}
}

/* ---- covering ------------------------------------------------------------ */

#define IDMAP_MAX 64
struct idmap {
	uint32_t n;
	uint32_t old[IDMAP_MAX], cur[IDMAP_MAX];
};

/* old_id and cur_id must correspond one-to-one across the comparison. */
static bool check_ids(struct idmap *m, uint32_t old_id, uint32_t cur_id, bool scalar)
{
	if (!old_id)
		return scalar || !cur_id;
	if (!cur_id)
		return false;
	for (uint32_t i = 0; i < m->n; i++) {
		if (m->old[i] == old_id)
			return m->cur[i] == cur_id;
		if (m->cur[i] == cur_id)
			return false;
	}
	if (m->n >= IDMAP_MAX)
		return false;
	m->old[m->n] = old_id;
	m->cur[m->n] = cur_id;
	m->n++;
	return true;
}

static bool range_within(const struct vreg *o, const struct vreg *c)
{
	return o->smin <= c->smin && o->smax >= c->smax && o->umin <= c->umin &&
	       o->umax >= c->umax && o->s32min <= c->s32min && o->s32max >= c->s32max &&
	       o->u32min <= c->u32min && o->u32max >= c->u32max;
}

static bool regs_exact(const struct vreg *o, const struct vreg *c, struct idmap *m)
{
	if (o->type != c->type || o->flags != c->flags || o->off != c->off || o->aux != c->aux ||
	    o->frameno != c->frameno)
		return false;
	if (o->type == V_NOT_INIT)
		return true;
	if (o->var.value != c->var.value || o->var.mask != c->var.mask || o->smin != c->smin ||
	    o->smax != c->smax || o->umin != c->umin || o->umax != c->umax ||
	    o->s32min != c->s32min || o->s32max != c->s32max || o->u32min != c->u32min ||
	    o->u32max != c->u32max)
		return false;
	return check_ids(m, o->id, c->id, o->type == V_SCALAR) &&
	       check_ids(m, o->ref, c->ref, false);
}

static bool regsafe(const struct vreg *o, const struct vreg *c, struct idmap *m, bool exact)
{
	if (exact)
		return regs_exact(o, c, m);
	if (o->type == V_NOT_INIT)
		return true;
	if (o->type != c->type)
		return false;
	switch (o->type) {
	case V_SCALAR:
		if ((o->id & VRF_ID_ADD_CONST) && o->off != c->off)
			return false;
		return range_within(o, c) && tnum_in(o->var, c->var) &&
		       check_ids(m, o->id, c->id, true);
	case V_PKT:
	case V_PKT_META:
		/* old must not have proved more bytes than current has */
		if (o->aux > c->aux || o->off != c->off || o->flags != c->flags)
			return false;
		return range_within(o, c) && tnum_in(o->var, c->var) &&
		       check_ids(m, o->id, c->id, false);
	default:
		if (o->flags != c->flags || o->off != c->off || o->aux != c->aux ||
		    o->frameno != c->frameno)
			return false;
		if (!range_within(o, c) || !tnum_in(o->var, c->var))
			return false;
		return check_ids(m, o->id, c->id, false) && check_ids(m, o->ref, c->ref, false);
	}
}

/* A spilled scalar constant 0 and STACK_ZERO bytes mean the same. */
static bool slot_is_zero(const struct vslot *s)
{
	for (int b = 0; b < 8; b++)
		if (s->kind[b] != SK_ZERO)
			return false;
	return true;
}

static bool slot_safe(const struct vslot *o, const struct vslot *c, struct idmap *m, bool exact)
{
	static const struct vslot invalid;
	if (!c)
		c = &invalid;
	if (exact) {
		if (memcmp(o->kind, c->kind, 8))
			return false;
		if (o->kind[0] == SK_SPILL)
			return o->spill_size == c->spill_size && regs_exact(&o->spill, &c->spill, m);
		return true;
	}
	if (o->kind[0] == SK_SPILL) {
		if (c->kind[0] == SK_SPILL && o->spill_size == c->spill_size)
			return regsafe(&o->spill, &c->spill, m, false);
		/* a spilled scalar covering zero bytes */
		if (o->spill.type == V_SCALAR && o->spill_size == 8 && slot_is_zero(c)) {
			struct vreg z;
			vrf_mark_known(&z, 0);
			return regsafe(&o->spill, &z, m, false);
		}
		return false;
	}
	for (int b = 0; b < 8; b++) {
		uint8_t ok = o->kind[b], ck = c->kind[b];
		if (ok == SK_INVALID || ok == SK_MISC)
			continue; /* root may read uninitialised stack: any bytes */
		if (ok == SK_ZERO && ck == SK_ZERO)
			continue;
		if (ok == SK_ZERO && ck == SK_SPILL && c->spill.type == V_SCALAR &&
		    vrf_is_const(&c->spill) && c->spill.var.value == 0)
			continue;
		return false;
	}
	return true;
}

static bool slot_scalar(const struct vslot *s)
{
	return !s || s->kind[0] != SK_SPILL || s->spill.type == V_SCALAR;
}

static bool frame_safe(const struct vframe *o, const struct vframe *c, uint16_t live,
		       uint16_t rel, uint64_t rel_stack, struct idmap *m, bool exact)
{
	if (o->callsite != c->callsite || o->cb_kind != c->cb_kind)
		return false;
	for (int r = 0; r < BPFBOX_MAX_REG; r++) {
		if (!(live & (1u << r)))
			continue;
		/* a number whose value no longer matters (cfg.c, relevance) */
		if (!exact && !(rel & (1u << r)) && o->regs[r].type == V_SCALAR &&
		    c->regs[r].type == V_SCALAR)
			continue;
		if (!regsafe(&o->regs[r], &c->regs[r], m, exact))
			return false;
	}
	unsigned n = o->nslots > c->nslots ? o->nslots : c->nslots;
	for (unsigned k = 0; k < n; k++) {
		const struct vslot *os = k < o->nslots ? &o->slots[k] : NULL;
		const struct vslot *cs = k < c->nslots ? &c->slots[k] : NULL;
		if (!os) {
			if (exact && cs && (cs->kind[0] != SK_INVALID || memcmp(cs->kind, "\0\0\0\0\0\0\0", 8)))
				return false;
			continue;
		}
		if (!exact && k < 64 && !(rel_stack & (1ull << k)) && slot_scalar(os) && slot_scalar(cs))
			continue;
		if (!slot_safe(os, cs, m, exact))
			return false;
	}
	return true;
}

static uint16_t frame_live(const struct venv *env, const struct vstate *s, uint32_t k, uint32_t insn)
{
	if (k == s->nframes - 1)
		return env->live[insn];
	/* a caller frame resumes after the call of the frame above it */
	const struct vframe *callee = s->frames[k + 1];
	if (callee->callsite < 0)
		return 0x7ff;
	if (callee->cb_kind)
		return env->live[callee->callsite]; /* the helper call runs again */
	uint32_t ret = (uint32_t)callee->callsite + 1;
	uint16_t l = ret < env->n ? env->live[ret] : 0;
	return l & ~0x3fu; /* r0..r5 are set by the return */
}

/* Every stack byte that may be unwritten in cur may be so in old too.
 * Until a read of an unwritten byte is found (env->uninit_insn), this is
 * part of covering: otherwise a path whose unwritten byte old had written
 * would be pruned, and its read of that byte never seen.  All slots count,
 * relevant or not (relevance is about values, this is about the bytes). */
static bool unwritten_covered(const struct vframe *o, const struct vframe *c)
{
	unsigned n = o->nslots > c->nslots ? o->nslots : c->nslots;
	for (unsigned k = 0; k < n; k++) {
		if (k >= o->nslots)
			continue; /* never touched in old: all unwritten there */
		for (int b = 0; b < 8; b++)
			if ((k >= c->nslots || c->slots[k].kind[b] == SK_INVALID) &&
			    o->slots[k].kind[b] != SK_INVALID)
				return false;
	}
	return true;
}

bool vrf_states_covered(struct venv *env, const struct vstate *old, const struct vstate *cur,
			uint32_t insn, bool exact)
{
	if (old->nframes != cur->nframes)
		return false;
	if (old->lock_id != cur->lock_id && (!old->lock_id || !cur->lock_id))
		return false;
	if (old->lock_map != cur->lock_map)
		return false;
	if (old->nrefs != cur->nrefs)
		return false;
	struct idmap m;
	m.n = 0;
	if (old->lock_id && !check_ids(&m, old->lock_id, cur->lock_id, false))
		return false;
	for (uint32_t i = 0; i < old->nrefs; i++)
		if (!check_ids(&m, old->refs[i].id, cur->refs[i].id, false))
			return false;
	for (uint32_t k = 0; k < old->nframes; k++) {
		uint16_t live = frame_live(env, cur, k, insn);
		bool top = k == old->nframes - 1;
		uint16_t rel = top ? env->rel[insn] : 0x7ff;
		uint64_t rel_stack = top ? env->rel_stack[insn] : ~0ull;
		if (!frame_safe(old->frames[k], cur->frames[k], live, rel, rel_stack, &m, exact))
			return false;
		if (!exact && env->uninit_insn < 0 &&
		    !unwritten_covered(old->frames[k], cur->frames[k]))
			return false;
	}
	return true;
}
