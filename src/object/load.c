/* bpfbox — object/load.c: creating an object's maps and programs in a VM.
 *
 * Order matters and mirrors libbpf's bpf_object__load:
 *   1. inner-map templates, then every other map, through the maps API
 *      (the maps layer checks the attributes as the kernel's map_create
 *      does); each map is registered in the helper environment so helpers
 *      accept it; global data maps get the section bytes as their value;
 *   2. map-in-map slots from `.values = { ... }`;
 *   3. programs: each program's linked instructions are copied, every
 *      function it references with `lddw rX, func` becomes a callback
 *      descriptor (bpfbox_env__callback_new), the lddw's imm is rewritten
 *      to that descriptor's index, the callbacks are loaded, then the
 *      program.  The lddw resolver turns
 *        src 1/5 (map, by index)       -> the bpfbox_map pointer
 *        src 2/6 (map value + offset)  -> address of the array value + off
 *        src 4   (callback index)      -> the descriptor's value
 *   4. prog arrays from `.values = { [i] = &prog }`.
 * On any error everything created so far is released (obj_unload), so a
 * failed load leaves the object as it was after open.
 *
 * Invariant: a map index a program names is checked against the object's
 * map table here, so a program can only ever load pointers to maps this
 * object created.
 */
#include <string.h>
#include <unistd.h>
#include "obj.h"
#include "bpfbox/maps.h"
#include "bpfbox/helpers.h"

struct prog_cb {
	size_t target;                  /* linked slot of the callback */
	struct bpfbox_callback *cb;
};

struct prog_cbs {
	size_t n, cap;
	struct prog_cb *v;
};

struct resolve_ctx {
	struct bpfbox_object *obj;
	struct bpfbox_obj_prog *p;
};

static int resolve(void *ud, unsigned src, int32_t imm, int32_t next_imm, uint64_t *value)
{
	struct resolve_ctx *R = ud;
	struct bpfbox_object *obj = R->obj;
	switch (src) {
	case 1: /* BPF_PSEUDO_MAP_FD: bpfbox has no fds; treated as an index */
	case PSEUDO_MAP_IDX:
	case 2:
	case PSEUDO_MAP_IDX_VALUE: {
		if (imm < 0 || (size_t)imm >= obj->nmaps)
			return -EINVAL;
		struct bpfbox_obj_map *m = obj->maps[imm];
		if (!m->handle || m->def.kind == BPFBOX_OBJ_MAP_INNER)
			return -EINVAL;
		if (src == 1 || src == PSEUDO_MAP_IDX) {
			*value = (uint64_t)(uintptr_t)m->handle;
			return 0;
		}
		/* direct value access: array maps only, like the kernel */
		uint32_t t = bpfbox_map__type(m->handle);
		if (t != BPFBOX_MAP_TYPE_ARRAY || next_imm < 0 ||
		    (uint32_t)next_imm > bpfbox_map__value_size(m->handle))
			return -EINVAL;
		uint32_t zero = 0;
		uint8_t *v = bpfbox_map__elem(m->handle, &zero, 0);
		if (!v)
			return -EINVAL;
		*value = (uint64_t)(uintptr_t)(v + next_imm);
		return 0;
	}
	case PSEUDO_FUNC: {
		const struct prog_cbs *C = R->p->cb;
		if (!C || imm < 0 || (size_t)imm >= C->n)
			return -EINVAL;
		*value = bpfbox_callback__value(C->v[imm].cb);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static void free_cbs(struct bpfbox_object *obj, struct bpfbox_obj_prog *p)
{
	struct prog_cbs *C = p->cb;
	if (!C)
		return;
	for (size_t i = 0; i < C->n; i++)
		bpfbox_env__callback_free(obj->env, C->v[i].cb);
	obj_free(obj, C->v, C->cap * sizeof(*C->v));
	obj_free(obj, C, sizeof(*C));
	p->cb = NULL;
}

void obj_unload(struct bpfbox_object *obj)
{
	for (size_t i = 0; i < obj->nprogs; i++) {
		struct bpfbox_obj_prog *p = obj->progs[i];
		bpfbox_prog__free(p->handle);
		p->handle = NULL;
		free_cbs(obj, p);
	}
	for (size_t i = 0; i < obj->nmaps; i++) {
		struct bpfbox_obj_map *m = obj->maps[i];
		if (!m->handle)
			continue;
		if (obj->env && m->def.kind != BPFBOX_OBJ_MAP_INNER)
			bpfbox_env__remove_map(obj->env, m->handle);
		bpfbox_map__free(m->handle);
		m->handle = NULL;
	}
	obj->loaded = false;
	obj->vm = NULL;
	obj->env = NULL;
}

static int create_map(struct bpfbox_object *obj, struct bpfbox_obj_map *m, uint32_t nr_cpus,
		      struct bpfbox_log *log)
{
	const struct bpfbox_obj_map_def *d = &m->def;
	struct bpfbox_map *inner = NULL;
	if (d->inner >= 0) {
		inner = obj->maps[d->inner]->handle;
		if (!inner)
			return obj_err(obj, -EINVAL, "map '%s': inner map template missing", d->name);
	}
	/* libbpf sizes a perf event array without max_entries to the CPUs */
	uint32_t max_entries = d->max_entries;
	if (d->type == BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY && !max_entries) {
		long n = nr_cpus ? (long)nr_cpus : sysconf(_SC_NPROCESSORS_CONF);
		max_entries = n > 0 ? (uint32_t)n : 1;
	}
	BPFBOX_OPTS(bpfbox_map_opts, mo, .type = d->type, .key_size = d->key_size,
		    .value_size = d->value_size, .max_entries = max_entries,
		    .map_flags = d->map_flags, .map_extra = d->map_extra, .name = d->name,
		    .nr_cpus = nr_cpus, .inner_map = inner, .alloc = obj->alloc.fn,
		    .alloc_ud = obj->alloc.ud, .log = log);
	int err = bpfbox_map__new(&m->handle, &mo);
	if (err)
		return obj_err(obj, err, "map '%s': cannot create it (%s)", d->name, strerror(-err));
	if (d->kind == BPFBOX_OBJ_MAP_DATA && d->init) {
		uint32_t zero = 0;
		err = bpfbox_map__update(m->handle, &zero, d->init, BPFBOX_ANY);
		if (err)
			return obj_err(obj, err, "map '%s': cannot set its initial value (%s)", d->name,
				       strerror(-err));
	}
	if (d->kind != BPFBOX_OBJ_MAP_INNER) {
		err = bpfbox_env__add_map(obj->env, m->handle);
		if (err)
			return obj_err(obj, err, "map '%s': cannot register it (%s)", d->name,
				       strerror(-err));
	}
	return 0;
}

static int fill_slots(struct bpfbox_object *obj, struct bpfbox_obj_map *m, bool progs)
{
	bool is_prog_array = m->def.type == BPFBOX_MAP_TYPE_PROG_ARRAY;
	if (is_prog_array != progs)
		return 0;
	for (size_t i = 0; i < m->nslots; i++) {
		const struct obj_init_slot *s = &m->slots[i];
		void *ptr = NULL;
		if (progs) {
			struct bpfbox_obj_prog *p = bpfbox_object__find_prog(obj, s->what);
			if (!p || p->is_function)
				return obj_err(obj, -EINVAL, "map '%s': slot %u names program '%s', which "
					       "does not exist", m->def.name, s->slot, s->what);
			if (!p->handle)
				continue; /* not loaded (only_prog): the slot stays empty */
			ptr = p->handle;
		} else {
			struct bpfbox_obj_map *in = bpfbox_object__find_map(obj, s->what);
			if (!in || !in->handle)
				return obj_err(obj, -EINVAL, "map '%s': slot %u names map '%s', which does "
					       "not exist", m->def.name, s->slot, s->what);
			ptr = in->handle;
		}
		int err = bpfbox_map__update_ptr(m->handle, &s->slot, ptr);
		if (err)
			return obj_err(obj, err, "map '%s': cannot put '%s' in slot %u (%s)", m->def.name,
				       s->what, s->slot, strerror(-err));
	}
	return 0;
}

static int load_prog(struct bpfbox_object *obj, struct bpfbox_obj_prog *p, struct bpfbox_log *log)
{
	struct bpfbox_insn *code = obj_calloc(obj, p->n ? p->n : 1, sizeof(*code));
	struct prog_cbs *C = obj_calloc(obj, 1, sizeof(*C));
	if (!code || !C) {
		obj_free(obj, code, p->n * sizeof(*code));
		obj_free(obj, C, sizeof(*C));
		return -ENOMEM;
	}
	p->cb = C;
	memcpy(code, p->insns, p->n * sizeof(*code));
	int err = 0;
	for (size_t i = 0; i < p->nrels; i++) {
		const struct obj_rel_at *ra = &p->rels[i];
		if (ra->r.kind != BPFBOX_RELOC_FUNC)
			continue;
		size_t k;
		for (k = 0; k < C->n && C->v[k].target != ra->r.target; k++)
			;
		if (k == C->n) {
			if (obj_grow(obj, (void **)&C->v, &C->cap, C->n + 1, sizeof(*C->v))) {
				err = -ENOMEM;
				goto out;
			}
			if ((err = bpfbox_env__callback_new(obj->env, &C->v[C->n].cb)))
				goto out;
			C->v[C->n++].target = ra->r.target;
		}
		code[ra->insn].imm = (int32_t)k;
	}
	struct resolve_ctx R = { obj, p };
	BPFBOX_OPTS(bpfbox_prog_opts, po, .name = p->name, .log = log, .resolve_lddw = resolve,
		    .resolve_ud = &R, .owner = obj->env);
	for (size_t k = 0; k < C->n; k++) {
		err = bpfbox_callback__load(C->v[k].cb, obj->vm, code, p->n, C->v[k].target, &po);
		if (err) {
			obj_err(obj, err, "program '%s': cannot load its callback at insn %zu", p->name,
				C->v[k].target);
			goto out;
		}
	}
	err = bpfbox_prog__load(obj->vm, code, p->n, &po, &p->handle);
	if (err)
		obj_err(obj, err, "program '%s': the VM refused it (%s)", p->name, strerror(-err));
out:
	obj_free(obj, code, p->n * sizeof(*code));
	return err;
}

BPFBOX_API void bpfbox_obj_prog__set_verified(struct bpfbox_obj_prog *p, bool verified)
{
	if (!p || !p->handle)
		return;
	bpfbox_prog__set_verified(p->handle, verified);
	/* frames are zeroed only when bpfbox's verifier found a read of
	 * stack never written (or did not judge it here) */
	if (verified && p->stack_verdict == 1)
		bpfbox_prog__set_zero_stack(p->handle, false);
	const struct prog_cbs *C = p->cb;
	for (size_t i = 0; C && i < C->n; i++)
		bpfbox_callback__set_verified(C->v[i].cb, verified);
}

BPFBOX_API int bpfbox_object__load(struct bpfbox_object *obj, struct bpfbox_vm *vm,
				   struct bpfbox_env *env,
				   const struct bpfbox_object_load_opts *opts)
{
	if (!obj || !vm || !env || !OPTS_VALID(opts, bpfbox_object_load_opts))
		return -EINVAL;
	if (obj->loaded)
		return -EALREADY;
	struct bpfbox_log *log = OPTS_GET(opts, log, NULL);
	struct bpfbox_log *saved = obj->log;
	if (log)
		obj->log = log;
	uint32_t nr_cpus = OPTS_GET(opts, nr_cpus, 0);
	const char *only = OPTS_GET(opts, only_prog, NULL);
	obj->vm = vm;
	obj->env = env;
	obj->loaded = true;
	int err = 0;
	if (only && !bpfbox_object__find_prog(obj, only)) {
		err = obj_err(obj, -ENOENT, "no program '%s'", only);
		goto fail;
	}
	/* templates first: outer maps need them */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < obj->nmaps; i++) {
			struct bpfbox_obj_map *m = obj->maps[i];
			if ((m->def.kind == BPFBOX_OBJ_MAP_INNER) != (pass == 0))
				continue;
			if ((err = create_map(obj, m, nr_cpus, obj->log)))
				goto fail;
		}
	for (size_t i = 0; i < obj->nmaps; i++)
		if ((err = fill_slots(obj, obj->maps[i], false)))
			goto fail;
	struct bpfbox_obj_prog *only_p = only ? bpfbox_object__find_prog(obj, only) : NULL;
	for (size_t i = 0; i < obj->nprogs; i++) {
		struct bpfbox_obj_prog *p = obj->progs[i];
		if (only_p && p != only_p)
			continue;
		if ((err = load_prog(obj, p, obj->log)))
			goto fail;
	}
	for (size_t i = 0; i < obj->nmaps; i++)
		if ((err = fill_slots(obj, obj->maps[i], true)))
			goto fail;
	obj->log = saved;
	return 0;
fail:
	obj_unload(obj);
	obj->log = saved;
	return err;
}
