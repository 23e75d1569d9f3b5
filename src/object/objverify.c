/* bpfbox — object/objverify.c: verify a program of an object.
 *
 * The verifier takes its facts about maps as descriptions (type, sizes,
 * flags, the spin lock's offset in the value, the inner map of a
 * map-in-map, the frozen contents of a read-only global data section),
 * not as map handles, so that it can judge a program before anything is
 * created.  This file is the one place that turns an object's map
 * definitions into those descriptions, the way the kernel learns them from
 * the map fds libbpf passes: every command and every embedding program that
 * verifies an object's program goes through bpfbox_obj_prog__verify().
 *
 * The object layer depends on the verifier's public header here, never the
 * other way round.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "obj.h"
#include "bpfbox/verify.h"

struct objmaps {
	struct bpfbox_object *obj;
	struct bpfbox_map_desc inner[64];
	void *zero;
};

/* Offset of a struct bpf_spin_lock member in the map's value type, or -1. */
static int32_t spin_lock_off(const struct bpfbox_object *obj, uint32_t type_id)
{
	const struct btf *btf = bpfbox_object__btf(obj);
	if (!btf || !type_id)
		return -1;
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_struct(t))
		return -1;
	const struct btf_member *m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *mt = btf__type_by_id(btf, m->type);
		const char *name = mt ? btf__name_by_offset(btf, mt->name_off) : NULL;
		if (mt && btf_is_struct(mt) && name && !strcmp(name, "bpf_spin_lock"))
			return (int32_t)(btf_member_bit_offset(t, i) / 8);
	}
	return -1;
}

static void def_to_desc(struct objmaps *om, const struct bpfbox_obj_map_def *d,
			struct bpfbox_map_desc *out, int depth)
{
	memset(out, 0, sizeof(*out));
	out->type = d->type;
	out->key_size = d->key_size;
	out->value_size = d->value_size;
	out->max_entries = d->max_entries;
	out->map_flags = d->map_flags;
	out->name = d->name;
	out->spin_lock_off = spin_lock_off(om->obj, d->btf_value_type);
	/* libbpf creates .rodata* maps read-only for programs and freezes
	 * them: their contents are facts the verifier may use */
	if (d->kind == BPFBOX_OBJ_MAP_DATA && d->section && !strncmp(d->section, ".rodata", 7)) {
		if (!d->init) {
			free(om->zero);
			om->zero = calloc(1, d->value_size ? d->value_size : 1);
		}
		out->rodata = d->init ? d->init : om->zero;
		out->map_flags |= BPFBOX_F_RDONLY_PROG;
	}
	if (d->inner >= 0 && depth < 4 && (size_t)depth < sizeof(om->inner) / sizeof(om->inner[0])) {
		for (size_t i = 0; i < bpfbox_object__map_count(om->obj); i++) {
			struct bpfbox_obj_map *m = bpfbox_object__map(om->obj, i);
			if (bpfbox_obj_map__index(m) == d->inner) {
				def_to_desc(om, bpfbox_obj_map__def(m), &om->inner[depth], depth + 1);
				out->inner = &om->inner[depth];
				break;
			}
		}
	}
}

static int obj_map_info(void *ud, unsigned src, int32_t imm, int32_t next_imm,
			struct bpfbox_map_desc *out)
{
	struct objmaps *om = ud;
	(void)src;
	(void)next_imm;
	for (size_t i = 0; i < bpfbox_object__map_count(om->obj); i++) {
		struct bpfbox_obj_map *m = bpfbox_object__map(om->obj, i);
		if (bpfbox_obj_map__index(m) == imm) {
			def_to_desc(om, bpfbox_obj_map__def(m), out, 0);
			return 0;
		}
	}
	return -ENOENT;
}

BPFBOX_API int bpfbox_obj_prog__verify(struct bpfbox_object *obj, struct bpfbox_obj_prog *p,
				       const struct bpfbox_obj_verify_opts *opts)
{
	if (!obj || !p || (opts && opts->sz < sizeof(size_t)))
		return -EINVAL;
	size_t n = 0;
	const struct bpfbox_insn *insns = bpfbox_obj_prog__insns(p, &n);
	struct objmaps om = { .obj = obj };
	int type = opts && opts->prog_type ? opts->prog_type : bpfbox_obj_prog__type(p);
	const char *license = bpfbox_object__license(obj);
	BPFBOX_OPTS(bpfbox_verify_opts, o, .prog_type = type,
		    .ctx_size = opts ? opts->ctx_size : 0, .license = license ? license : "",
		    .log = opts ? opts->log : NULL, .map_info = obj_map_info, .map_ud = &om,
		    .func_info = bpfbox_object__btf(obj) != NULL);
	struct bpfbox_verify_stats st = { .sz = sizeof(st) };
	int err = bpfbox_verify(insns, n, &o, &st);
	free(om.zero);
	if (opts && opts->stats && opts->stats->sz)
		memcpy(opts->stats, &st, opts->stats->sz < sizeof(st) ? opts->stats->sz : sizeof(st));
	p->stack_verdict = err ? 0 : st.uninit_stack_insn >= 0 ? 2 : 1;
	if (!err && opts && opts->mark && bpfbox_obj_prog__handle(p))
		bpfbox_obj_prog__set_verified(p, true);
	return err;
}
