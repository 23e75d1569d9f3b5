/* bpfbox — verify/check_call.c: helper calls, bpf-to-bpf calls, exits.
 *
 * A helper call is checked against its contract (src/helpers/helpers.def,
 * the kernel's bpf_func_proto as data): each argument register must hold
 * the kind of value the row names (a map, a pointer to key_size readable
 * bytes of that map's key, a memory pointer followed by its size, the
 * unmodified context, a callback, ...), the helper must be allowed for the
 * program type, GPL-only helpers need a GPL-compatible license, and the map
 * must be of a type the helper works on.  Afterwards r1-r5 are unreadable
 * and r0 is what the contract says (an unknown number, a NULL-able map
 * value pointer with a fresh id, a NULL-able ringbuf record that is also a
 * reference to release, ...).
 *
 * References: ringbuf_reserve acquires one (kept in the state with the
 * instruction that made it); submit/discard release it and every copy of
 * the pointer becomes a plain number; a NULL check's NULL side drops it.
 * Reaching the program's exit with a reference or a spin lock held is an
 * error, so every path must release.
 *
 * Callbacks (bpf_loop, for_each_map_elem) are verified as functions called
 * any number of times: at the helper call the state continues both after
 * the call (zero calls) and into the callback; the callback's exit returns
 * to the helper call itself, which then again continues both ways.  States
 * at that call converge (pruning, with widening of scalars that keep
 * changing after a few rounds), which bounds the exploration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "verifier.h"

static const struct hlp_contract builtin[] = {
#define HELPER(ID, NAME, RET, A1, A2, A3, A4, A5, FLAGS, PROG_TYPES, DOC) \
	{ ID, #NAME, RET, { A1, A2, A3, A4, A5 }, FLAGS, PROG_TYPES, DOC },
#include "helpers/helpers.def"
#undef HELPER
};

const struct hlp_contract *vrf_builtin_contract(uint32_t id)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (builtin[i].id == id)
			return &builtin[i];
	return NULL;
}

static const struct { uint32_t id; const char *name; } helper_names[] = {
#define HNAME(ID, NAME) { ID, #NAME },
#include "helpers/helper_names.def"
#undef HNAME
};

const char *vrf_helper_name(uint32_t id)
{
	for (size_t i = 0; i < sizeof(helper_names) / sizeof(helper_names[0]); i++)
		if (helper_names[i].id == id)
			return helper_names[i].name;
	return NULL;
}

/* Which map types a helper accepts (0: any "plain" map).  Both directions
 * of the kernel's check_map_func_compatibility are encoded here. */
static uint64_t mt(unsigned t) { return 1ull << t; }

static uint64_t helper_map_types(uint32_t id)
{
	switch (id) {
	case 12: return mt(VM_PROG_ARRAY);
	case 25: case 22: case 55: return mt(VM_PERF_EVENT_ARRAY);
	case 130: case 131: case 134: return mt(VM_RINGBUF);
	case 27: return mt(VM_STACK_TRACE);
	case 51: return mt(VM_DEVMAP) | mt(VM_DEVMAP_HASH) | mt(VM_CPUMAP) | mt(VM_XSKMAP);
	case 87: case 89: return mt(VM_QUEUE) | mt(VM_STACK) | mt(VM_BLOOM_FILTER);
	case 88: return mt(VM_QUEUE) | mt(VM_STACK);
	case 195: return mt(VM_PERCPU_ARRAY) | mt(VM_PERCPU_HASH) | mt(VM_LRU_PERCPU_HASH);
	case 164: return mt(VM_HASH) | mt(VM_LRU_HASH) | mt(VM_PERCPU_HASH) | mt(VM_LRU_PERCPU_HASH) |
			 mt(VM_ARRAY) | mt(VM_PERCPU_ARRAY);
	default: return 0;
	}
}

bool vrf_map_type_ok_for_helper(uint32_t id, uint32_t type)
{
	uint64_t want = helper_map_types(id);
	if (want)
		return type < 64 && (want & mt(type));
	/* the map type side: special maps only work with their helpers */
	switch (type) {
	case VM_PROG_ARRAY:
	case VM_PERF_EVENT_ARRAY:
	case VM_RINGBUF:
	case VM_STACK_TRACE:
	case VM_CPUMAP:
	case VM_QUEUE:
	case VM_STACK:
	case VM_BLOOM_FILTER:
	case VM_USER_RINGBUF:
	case VM_ARENA:
		return false;
	case VM_ARRAY_OF_MAPS:
	case VM_HASH_OF_MAPS:
	case VM_DEVMAP:
	case VM_DEVMAP_HASH:
	case VM_XSKMAP:
		return id == 1;
	case VM_SOCKMAP:
	case VM_SOCKHASH:
		return id == 1 || id == 2 || id == 3;
	default:
		return true;
	}
}

/* Helpers that may take packet pointers as key/value/memory (the kernel's
 * pkt_access flag). */
static bool helper_pkt_access(uint32_t id)
{
	return id == 1 || id == 2 || id == 3 || id == 28 || id == 87 || id == 195;
}

void vrf_clobber_caller_saved(struct vframe *f)
{
	for (int r = 1; r <= 5; r++)
		vrf_mark_not_init(&f->regs[r]);
}

static void invalidate_pkt(struct vreg *r, void *ud)
{
	(void)ud;
	if (r->type == V_PKT || r->type == V_PKT_END || r->type == V_PKT_META)
		vrf_mark_unknown(r);
}

struct release_ctx {
	uint32_t ref;
};

static void release_one(struct vreg *r, void *ud)
{
	struct release_ctx *c = ud;
	if (r->ref == c->ref && vrf_is_ptr(r))
		vrf_mark_unknown(r);
}

static int release_ref(struct venv *env, uint32_t ref)
{
	struct vstate *s = &env->cur;
	for (uint32_t i = 0; i < s->nrefs; i++) {
		if (s->refs[i].id != ref)
			continue;
		s->refs[i] = s->refs[--s->nrefs];
		struct release_ctx c = { ref };
		vrf_for_each_reg(s, release_one, &c);
		return 0;
	}
	return -ENOENT;
}

struct argmeta {
	int map;          /* map index of the A_MAP argument, -1 */
	int mem_reg;      /* last memory argument register, 0: none */
	uint8_t mem_kind;
	bool mem_null;
	int func;         /* subprog of an A_FUNC argument, -1 */
	uint64_t alloc;   /* A_ALLOC_SIZE */
	uint32_t release; /* reference released */
	const struct vreg *ringbuf;
};

static int expect(struct venv *env, uint32_t regno, const struct vreg *r, const char *want)
{
	return vrf_reject(env, -EACCES, "R%u type=%s expected=%s", regno, vrf_type_name(r), want);
}

static int check_size_arg(struct venv *env, uint32_t regno, const struct vreg *r, bool zero_ok,
			  struct argmeta *m)
{
	if (r->type != V_SCALAR)
		return expect(env, regno, r, "scalar (a size)");
	if (r->smin < 0)
		return vrf_reject(env, -EACCES,
				  "R%u min value is negative, either use unsigned or 'var &= const': the "
				  "size could be %lld",
				  regno, (long long)r->smin);
	if (r->umin == 0 && !zero_ok)
		return vrf_reject(env, -EACCES, "R%u invalid zero-sized read: u64=[%llu,%llu]", regno,
				  (unsigned long long)r->umin, (unsigned long long)r->umax);
	if (r->umax >= (1ull << 29))
		return vrf_reject(env, -EACCES,
				  "R%u unbounded memory access, use 'var &= const' or 'if (var < const)' "
				  "to bound the size",
				  regno);
	if (!m->mem_reg)
		return 0;
	const struct vreg *mem = &vrf_cur(&env->cur)->regs[m->mem_reg];
	if (m->mem_null) {
		if (r->umax != 0)
			return vrf_reject(env, -EACCES,
					  "R%d is NULL but R%u (its size) may be %llu: pass size 0 with NULL",
					  m->mem_reg, regno, (unsigned long long)r->umax);
		return 0;
	}
	bool wr = m->mem_kind == A_MEM_UNINIT || m->mem_kind == A_MEM_UNINIT_OR_NULL;
	return vrf_check_helper_mem(env, (uint32_t)m->mem_reg, mem, r->umin, r->umax,
				    wr ? ACC_WRITE : ACC_READ, wr);
}

static bool is_null_const(const struct vreg *r)
{
	return r->type == V_SCALAR && tnum_is_const(r->var) && r->var.value == 0;
}

static int check_arg(struct venv *env, const struct hlp_contract *c, uint32_t id, unsigned i,
		     struct argmeta *m)
{
	uint32_t regno = i + 1;
	struct vframe *f = vrf_cur(&env->cur);
	struct vreg *r = &f->regs[regno];
	uint8_t kind = c->args[i];
	if (kind == A_NONE)
		return 0;
	if (r->type == V_NOT_INIT)
		return vrf_reject(env, -EACCES, "R%u !read_ok: argument %u of bpf_%s is not initialised",
				  regno, regno, c->name);
	bool pkt = r->type == V_PKT || r->type == V_PKT_META;
	if (pkt && !helper_pkt_access(id) &&
	    (kind == A_MAP_KEY || kind == A_MAP_VALUE || kind == A_MEM || kind == A_MEM_OR_NULL ||
	     kind == A_MEM_UNINIT || kind == A_MEM_UNINIT_OR_NULL || kind == A_MAP_VALUE_UNINIT))
		return vrf_reject(env, -EACCES, "R%u helper access to the packet is not allowed for bpf_%s",
				  regno, c->name);
	switch (kind) {
	case A_ANY:
		return 0;
	case A_MAP:
		if (r->type != V_MAP_PTR || (r->flags & VF_NULL))
			return expect(env, regno, r, "map_ptr");
		m->map = (int)r->aux;
		if (!vrf_map_type_ok_for_helper(id, env->maps[r->aux].d.type))
			return vrf_reject(env, -EINVAL, "cannot pass map_type %u into func bpf_%s#%u",
					  env->maps[r->aux].d.type, c->name, id);
		return 0;
	case A_MAP_KEY:
	case A_MAP_VALUE:
	case A_MAP_VALUE_UNINIT: {
		if (m->map < 0)
			return vrf_reject(env, -EACCES, "R%u: invalid map_ptr to access map->%s", regno,
					  kind == A_MAP_KEY ? "key" : "value");
		const struct vmap *mp = &env->maps[m->map];
		uint32_t sz = kind == A_MAP_KEY ? mp->d.key_size : mp->d.value_size;
		if (!vrf_is_ptr(r))
			return expect(env, regno, r, "fp, pkt, pkt_meta, map_key, map_value, mem");
		/* a bloom filter's peek reads the "uninit" value it is given
		 * (the kernel's contract says written): note the read */
		int err;
		if (kind == A_MAP_VALUE_UNINIT && mp->d.type == VM_BLOOM_FILTER && r->type == V_STACK &&
		    (err = vrf_check_helper_mem(env, regno, r, sz, sz, ACC_READ, false)))
			return err;
		return vrf_check_helper_mem(env, regno, r, sz, sz,
					    kind == A_MAP_VALUE_UNINIT ? ACC_WRITE : ACC_READ,
					    kind == A_MAP_VALUE_UNINIT);
	}
	case A_MEM_OR_NULL:
	case A_MEM_UNINIT_OR_NULL:
		if (is_null_const(r)) {
			m->mem_reg = (int)regno;
			m->mem_kind = kind;
			m->mem_null = true;
			return 0;
		}
		/* fallthrough */
	case A_MEM:
	case A_MEM_UNINIT:
		if (!vrf_is_ptr(r))
			return expect(env, regno, r, "fp, pkt, pkt_meta, map_key, map_value, mem");
		if (r->flags & VF_NULL)
			return vrf_check_helper_mem(env, regno, r, 0, 0, ACC_READ, false);
		if (r->type != V_STACK && r->type != V_PKT && r->type != V_PKT_META &&
		    r->type != V_MAP_VALUE && r->type != V_MAP_KEY && r->type != V_MEM)
			return expect(env, regno, r, "fp, pkt, pkt_meta, map_key, map_value, mem");
		m->mem_reg = (int)regno;
		m->mem_kind = kind;
		m->mem_null = false;
		return 0;
	case A_SIZE:
	case A_SIZE_OR_ZERO: {
		int err = check_size_arg(env, regno, r, kind == A_SIZE_OR_ZERO, m);
		m->mem_reg = 0;
		return err;
	}
	case A_ALLOC_SIZE:
		if (r->type != V_SCALAR || !tnum_is_const(r->var))
			return vrf_reject(env, -EACCES, "R%u is not a known constant: bpf_%s needs a constant size",
					  regno, c->name);
		m->alloc = r->var.value;
		return 0;
	case A_CTX:
		if (r->type != V_CTX)
			return expect(env, regno, r, "ctx");
		if (r->off || !tnum_is_const(r->var) || r->var.value)
			return vrf_reject(env, -EACCES, "dereference of modified ctx ptr R%u off=%d disallowed",
					  regno, r->off);
		return 0;
	case A_FUNC:
		if (r->type != V_FUNC)
			return expect(env, regno, r, "func (a callback: lddw of a subprogram)");
		m->func = (int)r->aux;
		return 0;
	case A_STACK_OR_NULL:
		if (is_null_const(r))
			return 0;
		if (r->type != V_STACK)
			return expect(env, regno, r, "fp or NULL");
		return 0;
	case A_RINGBUF_MEM:
		if (r->type == V_MEM && (r->flags & VF_NULL))
			return vrf_reject(env, -EACCES, "R%u is %s: check it for NULL before passing it to bpf_%s",
					  regno, vrf_type_name(r), c->name);
		if (r->type != V_MEM || !(r->flags & VF_RINGBUF) || !r->ref)
			return expect(env, regno, r, "ringbuf_mem (a record from bpf_ringbuf_reserve)");
		if (r->off || !tnum_is_const(r->var) || r->var.value)
			return vrf_reject(env, -EACCES,
					  "R%u must have zero offset when passed to release func bpf_%s", regno,
					  c->name);
		m->release = r->ref;
		return 0;
	case A_SPIN_LOCK: {
		if (r->type != V_MAP_VALUE || (r->flags & VF_NULL))
			return expect(env, regno, r, "map_value (with a struct bpf_spin_lock)");
		const struct vmap *mp = &env->maps[r->aux];
		if (mp->d.spin_lock_off < 0)
			return vrf_reject(env, -EINVAL,
					  "map '%s' has to have BTF in order to use bpf_spin_lock: its value "
					  "holds no struct bpf_spin_lock",
					  vrf_map_name(env, r->aux));
		if (!tnum_is_const(r->var) || (int64_t)r->off + (int64_t)r->var.value != mp->d.spin_lock_off)
			return vrf_reject(env, -EINVAL,
					  "R%u off %lld doesn't point to 'struct bpf_spin_lock' that is at %d",
					  regno, (long long)r->off + (long long)r->var.value, mp->d.spin_lock_off);
		struct vstate *s = &env->cur;
		if (id == 93) {
			if (s->lock_id || s->lock_map >= 0)
				return vrf_reject(env, -EINVAL, "Locking two bpf_spin_locks are not allowed "
						  "(one is held since insn %d)", s->lock_insn);
			s->lock_id = r->id;
			s->lock_map = (int32_t)r->aux;
			s->lock_insn = (int32_t)env->insn_idx;
		} else {
			if (!s->lock_id && s->lock_map < 0)
				return vrf_reject(env, -EINVAL, "bpf_spin_unlock without taking a lock");
			if (s->lock_id != r->id || s->lock_map != (int32_t)r->aux)
				return vrf_reject(env, -EINVAL, "bpf_spin_unlock of different lock");
			s->lock_id = 0;
			s->lock_map = -1;
			s->lock_insn = -1;
		}
		return 0;
	}
	case A_CONST_STR: {
		if (r->type != V_MAP_VALUE || (r->flags & VF_NULL))
			return expect(env, regno, r, "map_value (a read-only string)");
		const struct vmap *mp = &env->maps[r->aux];
		if (!mp->d.rodata)
			return vrf_reject(env, -EACCES, "R%u does not point to a readonly map: bpf_%s needs a "
					  "constant string", regno, c->name);
		if (!tnum_is_const(r->var))
			return vrf_reject(env, -EACCES, "R%u is not a constant address'", regno);
		int64_t at = (int64_t)r->off + (int64_t)r->var.value;
		if (at < 0 || at >= mp->d.value_size)
			return vrf_reject(env, -EACCES, "R%u invalid access to map value off=%lld", regno,
					  (long long)at);
		if (!memchr((const char *)mp->d.rodata + at, 0, mp->d.value_size - (uint32_t)at))
			return vrf_reject(env, -EINVAL, "R%u string is not zero-terminated", regno);
		return 0;
	}
	case A_LONG_PTR: {
		if (!vrf_is_ptr(r))
			return expect(env, regno, r, "fp, map_value, mem (8 writable bytes)");
		struct tnum at = tnum_add(r->var, tnum_const((uint64_t)(int64_t)r->off));
		if (!tnum_is_aligned(at, 8))
			return vrf_reject(env, -EACCES, "R%u misaligned access: bpf_%s needs an 8-byte aligned "
					  "pointer", regno, c->name);
		return vrf_check_helper_mem(env, regno, r, 8, 8, ACC_WRITE, true);
	}
	case A_BTF_ID:
		if (r->type != V_BTF_ID)
			return expect(env, regno, r, "ptr_ (a kernel object)");
		return 0;
	default:
		return vrf_reject(env, -EINVAL, "R%u: argument kind %u of bpf_%s is not known to the verifier",
				  regno, kind, c->name);
	}
}

/* Array lookups with a constant in-range key cannot fail (kernel >= 6.14
 * returns a non-NULL pointer then). */
static bool const_array_key(struct venv *env, const struct vmap *mp, const struct vreg *key)
{
	if ((mp->d.type != VM_ARRAY && mp->d.type != VM_PERCPU_ARRAY) || mp->ns == 2)
		return false;
	if (key->type != V_STACK || !tnum_is_const(key->var))
		return false;
	struct vframe *f = env->cur.frames[key->frameno];
	int64_t o = (int64_t)key->off + (int64_t)key->var.value;
	if (o < -BPFBOX_STACK_SIZE || o + 4 > 0 || (o & 3))
		return false;
	unsigned k = (unsigned)(-o - 1) / 8;
	if (k >= f->nslots)
		return false;
	const struct vslot *s = &f->slots[k];
	int b0 = (int)(o + 8 * (int64_t)(k + 1));
	uint64_t v;
	if (s->kind[0] == SK_SPILL && s->spill.type == V_SCALAR && b0 == 0 &&
	    tnum_is_const(s->spill.var) && s->spill_size >= 4) {
		v = (uint32_t)s->spill.var.value;
	} else {
		for (int b = 0; b < 4; b++)
			if (s->kind[b0 + b] != SK_ZERO)
				return false;
		v = 0;
	}
	return v < mp->d.max_entries;
}

int vrf_check_helper(struct venv *env, const struct isa_insn *in)
{
	uint32_t id = (uint32_t)in->imm;
	const struct hlp_contract *c;
	if (env->helper_info)
		c = env->helper_info(env->helper_ud, id);
	else
		c = vrf_builtin_contract(id);
	if (!c) {
		const char *nm = vrf_helper_name(id);
		if (nm)
			return vrf_reject(env, -EINVAL, "call to bpf_%s#%u: bpfbox does not provide this helper",
					  nm, id);
		return vrf_reject(env, -EINVAL, "invalid func unknown#%u: no helper has this number", id);
	}
	if (env->prog_type < 64 && !(c->prog_types & (1ull << env->prog_type)))
		return vrf_reject(env, -EINVAL, "program of this type cannot use helper bpf_%s#%u", c->name, id);
	if ((c->flags & HF_GPL) && !env->gpl)
		return vrf_reject(env, -EINVAL,
				  "cannot call GPL-restricted function bpf_%s#%u from non-GPL compatible "
				  "program",
				  c->name, id);
	struct vstate *s = &env->cur;
	if ((s->lock_id || s->lock_map >= 0) && id != 94)
		return vrf_reject(env, -EINVAL,
				  "function calls are not allowed while holding a lock (bpf_%s; lock taken at "
				  "insn %d)",
				  c->name, s->lock_insn);
	if (id == 12 && s->nrefs)
		return vrf_reject(env, -EINVAL, "tail_call would lead to reference leak (reference from insn %d)",
				  s->refs[0].insn);
	struct argmeta m = { .map = -1, .func = -1 };
	for (unsigned i = 0; i < 5; i++) {
		int err = check_arg(env, c, id, i, &m);
		if (err)
			return err;
	}
	struct vframe *f = vrf_cur(s);
	bool nonnull = false;
	if (c->ret == R_MAP_VALUE_OR_NULL && m.map >= 0 && (id == 1))
		nonnull = const_array_key(env, &env->maps[m.map], &f->regs[2]);
	if (m.release) {
		if (release_ref(env, m.release))
			return vrf_reject(env, -EINVAL, "R1 reference has not been acquired before");
	}
	if (c->flags & HF_CALLBACK) {
		if (m.func < 0)
			return vrf_reject(env, -EINVAL, "bpf_%s: no callback function", c->name);
		if (id == 164 && m.map >= 0 &&
		    !(helper_map_types(164) & mt(env->maps[m.map].d.type)))
			return vrf_reject(env, -EINVAL, "callback function not allowed for map");
	}
	/* r0 and the clobbers */
	struct vreg r0;
	switch (c->ret) {
	case R_VOID:
		vrf_mark_not_init(&r0);
		break;
	case R_MAP_VALUE_OR_NULL: {
		vrf_mark_known(&r0, 0);
		const struct vmap *mp = &env->maps[m.map < 0 ? 0 : m.map];
		bool mim = m.map >= 0 && (mp->d.type == VM_ARRAY_OF_MAPS || mp->d.type == VM_HASH_OF_MAPS);
		if (mim && !mp->d.inner)
			return vrf_reject(env, -EINVAL,
					  "map '%s' holds maps but its inner map's shape is not described: the "
					  "result of the lookup cannot be typed",
					  vrf_map_name(env, (uint32_t)m.map));
		if (mim) {
			/* the inner map's shape gets a slot of its own */
			uint32_t k;
			for (k = 0; k < env->nmaps; k++)
				if (env->maps[k].ns == 2 && env->maps[k].key == m.map)
					break;
			if (k == env->nmaps) {
				if (env->nmaps >= sizeof(env->maps) / sizeof(env->maps[0]))
					return vrf_reject(env, -E2BIG, "too many maps");
				env->maps[k].d = *mp->d.inner;
				env->maps[k].ns = 2;
				env->maps[k].key = m.map;
				env->nmaps++;
			}
			r0.type = V_MAP_PTR;
			r0.aux = k;
		} else {
			r0.type = V_MAP_VALUE;
			r0.aux = (uint32_t)(m.map < 0 ? 0 : m.map);
		}
		if (!nonnull) {
			r0.flags = VF_NULL;
			r0.id = vrf_new_id(env);
		}
		r0.born = (int32_t)env->insn_idx;
		break;
	}
	case R_MEM_OR_NULL:
		if (s->nrefs >= VRF_MAX_REFS)
			return vrf_reject(env, -EINVAL, "too many references held (limit %d)", VRF_MAX_REFS);
		vrf_mark_known(&r0, 0);
		r0.type = V_MEM;
		r0.flags = VF_NULL | VF_RINGBUF;
		r0.aux = (uint32_t)m.alloc;
		r0.id = vrf_new_id(env);
		r0.ref = vrf_new_id(env);
		r0.born = (int32_t)env->insn_idx;
		s->refs[s->nrefs].id = r0.ref;
		s->refs[s->nrefs].insn = (int32_t)env->insn_idx;
		s->nrefs++;
		break;
	case R_BTF_ID:
		vrf_mark_known(&r0, 0);
		r0.type = V_BTF_ID;
		r0.born = (int32_t)env->insn_idx;
		break;
	default:
		vrf_mark_unknown(&r0);
		break;
	}
	if (c->flags & HF_PKT_CHANGE)
		vrf_for_each_reg(s, invalidate_pkt, NULL);
	if (c->flags & HF_CALLBACK)
		return 1 + m.func; /* the caller sets up the callback (and r0 afterwards) */
	vrf_clobber_caller_saved(f);
	f->regs[0] = r0;
	return 0;
}

int vrf_check_local_call(struct venv *env, const struct isa_insn *in, uint32_t target, int cbkind)
{
	struct vstate *s = &env->cur;
	if (s->nframes >= VRF_MAX_FRAMES)
		return vrf_reject(env, -E2BIG, "the call stack of %u frames is too deep (limit %d)",
				  s->nframes + 1, VRF_MAX_FRAMES);
	if (!cbkind && (s->lock_id || s->lock_map >= 0))
		return vrf_reject(env, -EINVAL, "function calls are not allowed while holding a lock");
	int sp = vrf_find_subprog(env, target);
	if (sp < 0)
		return vrf_reject(env, -EINVAL, "call to %u: not the start of a function", target);
	struct vframe *caller = vrf_cur(s);
	struct vframe *f = vrf_frame_new();
	if (!f)
		return -ENOMEM;
	f->callsite = (int32_t)env->insn_idx;
	f->subprog = (uint16_t)sp;
	f->cb_kind = (uint8_t)cbkind;
	uint32_t fr = s->nframes;
	if (!cbkind) {
		for (int r = 1; r <= 5; r++)
			f->regs[r] = caller->regs[r];
	} else if (cbkind == CB_LOOP) {
		vrf_mark_unknown(&f->regs[1]);
		f->regs[2] = caller->regs[3];
	} else {
		/* for_each_map_elem: (map, key, value, ctx) */
		const struct vreg *mp = &caller->regs[1];
		f->regs[1] = *mp;
		vrf_mark_known(&f->regs[2], 0);
		f->regs[2].type = V_MAP_KEY;
		f->regs[2].aux = mp->aux;
		vrf_mark_known(&f->regs[3], 0);
		f->regs[3].type = V_MAP_VALUE;
		f->regs[3].aux = mp->aux;
		f->regs[4] = caller->regs[3];
	}
	vrf_mark_known(&f->regs[10], 0);
	f->regs[10].type = V_STACK;
	f->regs[10].frameno = (uint8_t)fr;
	s->frames[s->nframes++] = f;
	(void)in;
	return 0;
}

static const char *cb_name(int k) { return k == CB_LOOP ? "bpf_loop" : "bpf_for_each_map_elem"; }

/* Returns 1 when the whole program ended on this path, 0 when execution
 * continues in the caller (env->insn_idx set), or an error. */
int vrf_check_exit(struct venv *env)
{
	struct vstate *s = &env->cur;
	struct vframe *f = vrf_cur(s);
	struct vreg *r0 = &f->regs[0];
	if (s->nframes > 1) {
		struct vframe *caller = s->frames[s->nframes - 2];
		if (f->cb_kind) {
			if (r0->type == V_NOT_INIT)
				return vrf_reject(env, -EACCES, "R0 !read_ok: the %s callback must return 0 or 1",
						  cb_name(f->cb_kind));
			if (r0->type != V_SCALAR)
				return vrf_reject(env, -EACCES, "R0 not a scalar value: the %s callback returns %s",
						  cb_name(f->cb_kind), vrf_type_name(r0));
			if (r0->smin < 0 || r0->smax > 1 || r0->umax > 1)
				return vrf_reject(env, -EINVAL,
						  "At callback return the register R0 has smin=%lld smax=%lld "
						  "should have been in [0, 1]",
						  (long long)r0->smin, (long long)r0->smax);
			env->insn_idx = (uint32_t)f->callsite; /* the helper may call it again */
			env->cb_reentry = true;
			s->cb_calls++;
		} else {
			if (r0->type == V_STACK)
				return vrf_reject(env, -EINVAL,
						  "cannot return stack pointer to the caller frame (R0 is %s)",
						  vrf_type_name(r0));
			caller->regs[0] = *r0;
			vrf_clobber_caller_saved(caller);
			env->insn_idx = (uint32_t)f->callsite + 1;
		}
		free(f->slots);
		free(f);
		s->nframes--;
		return 0;
	}
	if (s->lock_id || s->lock_map >= 0)
		return vrf_reject(env, -EINVAL, "bpf_spin_unlock is missing (lock taken at insn %d)",
				  s->lock_insn);
	if (s->nrefs)
		return vrf_reject(env, -EINVAL,
				  "Unreleased reference id=%u alloc_insn=%d: the ringbuf record reserved at "
				  "insn %d must be submitted or discarded on every path",
				  s->refs[0].id, s->refs[0].insn, s->refs[0].insn);
	if (r0->type == V_NOT_INIT)
		return vrf_reject(env, -EACCES,
				  "R0 !read_ok: at program exit the register R0 is not initialised (set the "
				  "return value)");
	int pt = env->prog_type;
	bool ranged = pt == BPFBOX_PROG_TYPE_CGROUP_SKB || pt == BPFBOX_PROG_TYPE_CGROUP_SOCK ||
		      pt == BPFBOX_PROG_TYPE_SOCK_OPS || pt == BPFBOX_PROG_TYPE_CGROUP_DEVICE ||
		      pt == BPFBOX_PROG_TYPE_CGROUP_SYSCTL || pt == BPFBOX_PROG_TYPE_CGROUP_SOCKOPT ||
		      pt == BPFBOX_PROG_TYPE_SK_LOOKUP || pt == BPFBOX_PROG_TYPE_NETFILTER ||
		      pt == BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR;
	if (ranged) {
		/* the kernel's check_return_code: [0, 1], cgroup_skb egress [0, 3] */
		int64_t hi = pt == BPFBOX_PROG_TYPE_CGROUP_SKB && env->attach_type == 1 ? 3 : 1;
		if (r0->type != V_SCALAR)
			return vrf_reject(env, -EINVAL, "At program exit the register R0 is not a known value (%s)",
					  vrf_type_name(r0));
		if (r0->smin < 0 || r0->smax > hi || r0->umax > (uint64_t)hi)
			return vrf_reject(env, -EINVAL,
					  "At program exit the register R0 has smin=%lld smax=%lld should have "
					  "been in [0, %lld]",
					  (long long)r0->smin, (long long)r0->smax, (long long)hi);
	}
	return 1;
}
