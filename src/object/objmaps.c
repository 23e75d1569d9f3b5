/* bpfbox — object/objmaps.c: the maps an object defines.
 *
 * Three sources, in this order of map indices:
 *
 *  1. BTF-defined maps in `.maps`.  Each is a global variable whose type is
 *     an anonymous struct built by bpf_helpers.h's macros:
 *       __uint(name, N)   -> `int (*name)[N]`   the number is the array size
 *       __type(name, T)   -> `T *name`          key/value types (sizes)
 *       __array(values, T)-> `T *values[]`      prog array / map-in-map slots
 *     The variable's name is the map's name; its ELF symbol gives where the
 *     definition lies in `.maps` (lddw relocations name that symbol).
 *     Initial values (`.values = { [2] = &prog }`) are R_BPF_64_ABS64
 *     relocations inside the definition; an inner map's definition
 *     (`__array(values, struct inner_def)`) becomes an INNER template.
 *  2. Legacy `struct bpf_map_def` entries in `maps` (type, key_size,
 *     value_size, max_entries, map_flags), one per symbol, equal sizes.
 *  3. Global data: each .data, .rodata, .bss, .data.NAME, .rodata.NAME section is a
 *     one-element array whose value is the section (initialised from the
 *     file; .bss zeroed; .rodata* read-only for programs).
 *
 * Invariants: every `.maps` symbol has a BTF variable and vice versa; a
 * definition's fields are read only from BTF shapes the macros produce
 * (anything else is an error naming the field); counts are bounded by
 * BPFBOX_OBJ_MAX_MAPS.  Attribute *values* (sizes, max_entries, flags) are
 * checked by the maps layer when the object is loaded, as the kernel does
 * at BPF_MAP_CREATE.
 */
#include <stdio.h>
#include <string.h>
#include <gelf.h>
#include <bpf/btf.h>
#include "obj.h"

/* Kernel map type numbers this file needs (UAPI enum bpf_map_type). */
#define MT_ARRAY 2
#define MT_PROG_ARRAY 3
#define MT_ARRAY_OF_MAPS 12
#define MT_HASH_OF_MAPS 13
#define F_RDONLY_PROG (1u << 7)
#define F_MMAPABLE (1u << 10)

int obj_new_map(struct bpfbox_object *obj, size_t *cap, struct bpfbox_obj_map **out)
{
	if (obj->nmaps >= BPFBOX_OBJ_MAX_MAPS)
		return obj_err(obj, -E2BIG, "absurd map count (limit %u)", BPFBOX_OBJ_MAX_MAPS);
	if (obj_grow(obj, (void **)&obj->maps, cap, obj->nmaps + 1, sizeof(*obj->maps)))
		return -ENOMEM;
	struct bpfbox_obj_map *m = obj_calloc(obj, 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->obj = obj;
	m->index = (int)obj->nmaps;
	m->def.inner = -1;
	obj->maps[obj->nmaps++] = m;
	*out = m;
	return 0;
}

void obj_free_map(struct bpfbox_object *obj, struct bpfbox_obj_map *m)
{
	if (!m)
		return;
	obj_free(obj, m->slots, m->nslots * sizeof(*m->slots));
	if (m->name_buf)
		obj_free(obj, m->name_buf, strlen(m->name_buf) + 1);
	obj_free(obj, m, sizeof(*m));
}

/* A BTF string, "" when the offset is outside the string section. */
static const char *bname(const struct btf *btf, uint32_t off)
{
	const char *s = btf__name_by_offset(btf, off);
	return s ? s : "";
}

/* Follow typedefs and qualifiers (bounded: BTF may be hostile). */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *res)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	for (int i = 0; t && i < 32 && (btf_is_mod(t) || btf_is_typedef(t)); i++) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = NULL;
	if (res)
		*res = id;
	return t;
}

/* `int (*name)[N]` -> N */
static bool get_uint(const struct btf *btf, const struct btf_member *m, uint32_t *v)
{
	const struct btf_type *t = skip_mods(btf, m->type, NULL);
	if (!t || !btf_is_ptr(t))
		return false;
	const struct btf_type *a = btf__type_by_id(btf, t->type);
	if (!a || !btf_is_array(a))
		return false;
	*v = btf_array(a)->nelems;
	return true;
}

struct def_parse {
	struct bpfbox_object *obj;
	const char *map;      /* for messages */
	uint32_t sec;
	uint64_t sec_off;
	uint64_t values_off;  /* byte offset of `values` in the definition, or ~0 */
	uint32_t inner_type;  /* struct type id of an inner map definition */
	bool values_are_progs;
};

static int parse_def(struct def_parse *P, const struct btf *btf, uint32_t struct_id,
		     struct bpfbox_obj_map_def *d)
{
	struct bpfbox_object *obj = P->obj;
	const struct btf_type *st = skip_mods(btf, struct_id, &struct_id);
	if (!st || !btf_is_struct(st))
		return obj_err(obj, -EINVAL, "map '%s': definition is not a struct", P->map);
	d->btf_def_type = struct_id;
	P->values_off = ~0ull;
	const struct btf_member *mem = btf_members(st);
	uint16_t n = btf_vlen(st);
	bool have_key_size = false, have_value_size = false;
	for (uint16_t i = 0; i < n; i++) {
		const char *name = bname(btf, mem[i].name_off);
		if (!*name)
			return obj_err(obj, -EINVAL, "map '%s': unnamed field in definition", P->map);
		uint32_t v = 0;
		if (!strcmp(name, "type") || !strcmp(name, "max_entries") ||
		    !strcmp(name, "map_flags") || !strcmp(name, "numa_node") ||
		    !strcmp(name, "pinning") || !strcmp(name, "key_size") ||
		    !strcmp(name, "value_size") || !strcmp(name, "map_extra")) {
			if (!get_uint(btf, &mem[i], &v))
				return obj_err(obj, -EINVAL, "map '%s': field '%s' is not a __uint()",
					       P->map, name);
			if (!strcmp(name, "type"))
				d->type = v;
			else if (!strcmp(name, "max_entries"))
				d->max_entries = v;
			else if (!strcmp(name, "map_flags"))
				d->map_flags = v;
			else if (!strcmp(name, "numa_node"))
				d->numa_node = v;
			else if (!strcmp(name, "pinning"))
				d->pinning = v;
			else if (!strcmp(name, "map_extra"))
				d->map_extra = v;
			else if (!strcmp(name, "key_size")) {
				if (have_key_size && d->key_size != v)
					return obj_err(obj, -EINVAL, "map '%s': key_size %u conflicts with "
						       "the key type's size %u", P->map, v, d->key_size);
				d->key_size = v;
				have_key_size = true;
			} else {
				if (have_value_size && d->value_size != v)
					return obj_err(obj, -EINVAL, "map '%s': value_size %u conflicts "
						       "with the value type's size %u", P->map, v,
						       d->value_size);
				d->value_size = v;
				have_value_size = true;
			}
		} else if (!strcmp(name, "key") || !strcmp(name, "value")) {
			const struct btf_type *t = skip_mods(btf, mem[i].type, NULL);
			if (!t || !btf_is_ptr(t))
				return obj_err(obj, -EINVAL, "map '%s': field '%s' is not a __type()",
					       P->map, name);
			int64_t sz = btf__resolve_size(btf, t->type);
			if (sz < 0 || sz > UINT32_MAX)
				return obj_err(obj, -EINVAL, "map '%s': cannot size the %s type", P->map,
					       name);
			bool is_key = name[0] == 'k';
			uint32_t *dst = is_key ? &d->key_size : &d->value_size;
			bool *have = is_key ? &have_key_size : &have_value_size;
			if (*have && *dst != (uint32_t)sz)
				return obj_err(obj, -EINVAL, "map '%s': %s type is %lld bytes but %s_size "
					       "is %u", P->map, name, (long long)sz, name, *dst);
			*dst = (uint32_t)sz;
			*have = true;
			if (is_key)
				d->btf_key_type = t->type;
			else
				d->btf_value_type = t->type;
		} else if (!strcmp(name, "values")) {
			if (i != n - 1)
				return obj_err(obj, -EINVAL, "map '%s': 'values' must be the last field",
					       P->map);
			const struct btf_type *a = skip_mods(btf, mem[i].type, NULL);
			const struct btf_type *pt = a && btf_is_array(a) ?
				skip_mods(btf, btf_array(a)->type, NULL) : NULL;
			const struct btf_type *el = pt && btf_is_ptr(pt) ?
				skip_mods(btf, pt->type, NULL) : NULL;
			if (!el)
				return obj_err(obj, -EINVAL, "map '%s': 'values' is not an __array() of "
					       "pointers", P->map);
			if (btf_is_func_proto(el)) {
				P->values_are_progs = true;
			} else if (btf_is_struct(el)) {
				skip_mods(btf, pt->type, &P->inner_type);
			} else {
				return obj_err(obj, -EINVAL, "map '%s': 'values' must point to programs "
					       "or to an inner map definition", P->map);
			}
			P->values_off = btf_member_bit_offset(st, i) / 8;
			if (!have_key_size) {
				d->key_size = 4;
				have_key_size = true;
			}
			if (!have_value_size) {
				d->value_size = 4;
				have_value_size = true;
			}
		} else {
			return obj_err(obj, -EINVAL, "map '%s': unknown field '%s' in definition", P->map,
				       name);
		}
	}
	return 0;
}

/* Initial values: ABS64 relocations inside [values_off, def_size). */
static int parse_slots(struct def_parse *P, struct bpfbox_obj_map *m)
{
	struct bpfbox_object *obj = P->obj;
	const struct obj_sec *s = &obj->secs[P->sec];
	size_t cap = 0;
	for (size_t i = 0; i < s->nrelocs; i++) {
		const struct obj_reloc *r = &s->relocs[i];
		if (r->off < P->sec_off || r->off - P->sec_off >= m->def_size || r->type == R_BPF_NONE)
			continue;
		uint64_t rel = r->off - P->sec_off;
		const struct obj_sym *sym = &obj->syms[r->sym];
		if (P->values_off == ~0ull || rel < P->values_off || (rel - P->values_off) % 8)
			return obj_err(obj, -EINVAL, "map '%s': relocation for '%s' outside its 'values'",
				       m->def.name, sym->name);
		if (r->type != R_BPF_64_ABS64 && r->type != R_BPF_64_64)
			return obj_err(obj, -EINVAL, "map '%s': initial value '%s' has relocation type %u",
				       m->def.name, sym->name, r->type);
		uint64_t slot = (rel - P->values_off) / 8;
		if (slot >= m->def.max_entries)
			return obj_err(obj, -EINVAL, "map '%s': initial value at slot %llu is beyond "
				       "max_entries %u", m->def.name, (unsigned long long)slot,
				       m->def.max_entries);
		bool is_prog = sym->type == STT_FUNC && sym->shndx < obj->nsecs &&
			       obj->secs[sym->shndx].kind == BPFBOX_SEC_PROG;
		bool is_map = sym->shndx == P->sec && sym->type == STT_OBJECT;
		if (P->values_are_progs ? !is_prog : !is_map)
			return obj_err(obj, -EINVAL, "map '%s': initial value '%s' is not a %s",
				       m->def.name, sym->name,
				       P->values_are_progs ? "program" : "map in .maps");
		if (obj_grow(obj, (void **)&m->slots, &cap, m->nslots + 1, sizeof(*m->slots)))
			return -ENOMEM;
		m->slots[m->nslots].slot = (uint32_t)slot;
		m->slots[m->nslots].what = sym->name;
		m->nslots++;
	}
	m->def.n_init_slots = m->nslots;
	return 0;
}

static const struct obj_sym *find_sym(const struct bpfbox_object *obj, uint32_t sec,
				      const char *name)
{
	for (size_t i = 0; i < obj->nsyms; i++)
		if (obj->syms[i].shndx == sec && obj->syms[i].type != STT_SECTION &&
		    !strcmp(obj->syms[i].name, name))
			return &obj->syms[i];
	return NULL;
}

static int parse_btf_maps(struct bpfbox_object *obj, uint32_t sec, size_t *cap)
{
	const struct obj_sec *s = &obj->secs[sec];
	/* name the first map symbol in messages about the whole section */
	const char *first = "";
	for (size_t i = 0; i < obj->nsyms; i++)
		if (obj->syms[i].shndx == sec && obj->syms[i].type == STT_OBJECT) {
			first = obj->syms[i].name;
			break;
		}
	if (!obj->btf)
		return obj_err(obj, -EINVAL, "section '.maps' needs BTF to describe map '%s', and the "
			       "object has no .BTF section (compile with clang -g)", first);
	const struct btf *btf = obj->btf;
	const struct btf_type *ds = NULL;
	uint32_t cnt = btf__type_cnt(btf);
	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (t && btf_is_datasec(t) && !strcmp(bname(btf, t->name_off), ".maps")) {
			ds = t;
			break;
		}
	}
	if (!ds && s->size)
		return obj_err(obj, -EINVAL, "section '.maps' has map '%s' but BTF has no DATASEC "
			       "'.maps' describing it", first);
	uint16_t nvars = ds ? btf_vlen(ds) : 0;
	if (nvars > BPFBOX_OBJ_MAX_MAPS)
		return obj_err(obj, -E2BIG, "absurd map count %u in .maps (limit %u)", nvars,
			       BPFBOX_OBJ_MAX_MAPS);
	const struct btf_var_secinfo *vs = ds ? btf_var_secinfos(ds) : NULL;
	for (uint16_t i = 0; i < nvars; i++) {
		const struct btf_type *var = btf__type_by_id(btf, vs[i].type);
		if (!var || !btf_is_var(var))
			return obj_err(obj, -EINVAL, ".maps entry %u is not a BTF variable", i);
		const char *name = bname(btf, var->name_off);
		if (!*name)
			return obj_err(obj, -EINVAL, ".maps entry %u has no name", i);
		const struct obj_sym *sym = find_sym(obj, sec, name);
		if (!sym)
			return obj_err(obj, -EINVAL, "map '%s' is described in BTF but has no symbol in "
				       ".maps", name);
		struct bpfbox_obj_map *m;
		int err = obj_new_map(obj, cap, &m);
		if (err)
			return err;
		m->def.name = name;
		m->def.kind = BPFBOX_OBJ_MAP_BTF;
		m->def.section = s->name;
		m->sec = sec;
		m->sec_off = sym->value;
		m->def_size = sym->size;
		struct def_parse P = { .obj = obj, .map = name, .sec = sec, .sec_off = sym->value };
		if ((err = parse_def(&P, btf, var->type, &m->def)))
			return err;
		if (P.inner_type) {
			if (m->def.type != MT_ARRAY_OF_MAPS && m->def.type != MT_HASH_OF_MAPS)
				return obj_err(obj, -EINVAL, "map '%s': inner map definition on a map of "
					       "type %u (not a map-in-map)", name, m->def.type);
			struct bpfbox_obj_map *in;
			if ((err = obj_new_map(obj, cap, &in)))
				return err;
			size_t len = strlen(name) + sizeof(".inner");
			in->name_buf = obj_calloc(obj, 1, len);
			if (!in->name_buf)
				return -ENOMEM;
			snprintf(in->name_buf, len, "%s.inner", name);
			in->def.name = in->name_buf;
			in->def.kind = BPFBOX_OBJ_MAP_INNER;
			in->def.section = s->name;
			in->sec = sec;
			struct def_parse Q = { .obj = obj, .map = in->def.name, .sec = sec };
			if ((err = parse_def(&Q, btf, P.inner_type, &in->def)))
				return err;
			if (Q.inner_type || Q.values_are_progs)
				return obj_err(obj, -EINVAL, "map '%s': nested map-in-map definitions",
					       in->def.name);
			m->def.inner = in->index;
		} else if (m->def.type == MT_ARRAY_OF_MAPS || m->def.type == MT_HASH_OF_MAPS) {
			return obj_err(obj, -EINVAL, "map '%s': a map-in-map needs __array(values, "
				       "struct inner_def)", name);
		}
		if (P.values_are_progs && m->def.type != MT_PROG_ARRAY)
			return obj_err(obj, -EINVAL, "map '%s': program values on a map of type %u (not "
				       "a prog array)", name, m->def.type);
		if ((err = parse_slots(&P, m)))
			return err;
	}
	/* The other direction: a .maps symbol that BTF does not describe. */
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct obj_sym *sym = &obj->syms[i];
		if (sym->shndx != sec || sym->type == STT_SECTION || sym->type == STT_FILE)
			continue;
		if (obj_map_at(obj, sec, sym->value) < 0)
			return obj_err(obj, -EINVAL, ".maps entry '%s' has no BTF description (no "
				       "variable of that name in DATASEC .maps)", sym->name);
	}
	return 0;
}

static int parse_legacy_maps(struct bpfbox_object *obj, uint32_t sec, size_t *cap)
{
	const struct obj_sec *s = &obj->secs[sec];
	size_t n = 0;
	for (size_t i = 0; i < obj->nsyms; i++)
		if (obj->syms[i].shndx == sec && obj->syms[i].type != STT_SECTION &&
		    obj->syms[i].bind == STB_GLOBAL)
			n++;
	if (!n)
		return s->size ? obj_err(obj, -EINVAL, "section 'maps' has no map symbols") : 0;
	if (!s->data || s->size % n)
		return obj_err(obj, -EINVAL, "section 'maps' (%llu bytes) does not divide into %zu "
			       "equal definitions", (unsigned long long)s->size, n);
	uint64_t dsz = s->size / n;
	if (dsz < 20)
		return obj_err(obj, -EINVAL, "legacy map definitions of %llu bytes (struct "
			       "bpf_map_def needs 20)", (unsigned long long)dsz);
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct obj_sym *sym = &obj->syms[i];
		if (sym->shndx != sec || sym->type == STT_SECTION || sym->bind != STB_GLOBAL)
			continue;
		if (sym->value % dsz)
			return obj_err(obj, -EINVAL, "legacy map '%s' at offset %llu is not at a "
				       "definition boundary", sym->name, (unsigned long long)sym->value);
		struct bpfbox_obj_map *m;
		int err = obj_new_map(obj, cap, &m);
		if (err)
			return err;
		struct cursor c = cursor_sub(s->data, s->size, sym->value, dsz);
		m->def.name = sym->name;
		m->def.kind = BPFBOX_OBJ_MAP_LEGACY;
		m->def.section = s->name;
		m->def.type = cursor_le32(&c);
		m->def.key_size = cursor_le32(&c);
		m->def.value_size = cursor_le32(&c);
		m->def.max_entries = cursor_le32(&c);
		m->def.map_flags = cursor_le32(&c);
		while (cursor_left(&c))
			if (cursor_u8(&c))
				return obj_err(obj, -EINVAL, "legacy map '%s': unknown non-zero fields "
					       "past struct bpf_map_def", sym->name);
		if (c.bad)
			return obj_err(obj, -EINVAL, "legacy map '%s' is truncated", sym->name);
		m->sec = sec;
		m->sec_off = sym->value;
		m->def_size = dsz;
	}
	return 0;
}

static int data_maps(struct bpfbox_object *obj, size_t *cap)
{
	for (size_t i = 1; i < obj->nsecs; i++) {
		struct obj_sec *s = &obj->secs[i];
		if (s->kind != BPFBOX_SEC_DATA || !s->size)
			continue;
		if (s->size > UINT32_MAX)
			return obj_err(obj, -E2BIG, "global data section '%s' of %llu bytes", s->name,
				       (unsigned long long)s->size);
		struct bpfbox_obj_map *m;
		int err = obj_new_map(obj, cap, &m);
		if (err)
			return err;
		s->map = m->index;
		m->def.name = s->name;
		m->def.kind = BPFBOX_OBJ_MAP_DATA;
		m->def.section = s->name;
		m->def.type = MT_ARRAY;
		m->def.key_size = 4;
		m->def.value_size = (uint32_t)s->size;
		m->def.max_entries = 1;
		m->def.map_flags = F_MMAPABLE;
		if (!strncmp(s->name, ".rodata", 7))
			m->def.map_flags |= F_RDONLY_PROG;
		m->def.init = s->data; /* NULL for .bss: zeroes */
		m->sec = (uint32_t)i;
		if (obj->btf) {
			int id = btf__find_by_name_kind(obj->btf, s->name, BTF_KIND_DATASEC);
			if (id > 0)
				m->def.btf_value_type = (uint32_t)id;
		}
	}
	return 0;
}

int obj_parse_maps(struct bpfbox_object *obj)
{
	size_t cap = 0;
	int err;
	for (size_t i = 1; i < obj->nsecs; i++) {
		if (obj->secs[i].kind == BPFBOX_SEC_MAPS &&
		    (err = parse_btf_maps(obj, (uint32_t)i, &cap)))
			return err;
	}
	for (size_t i = 1; i < obj->nsecs; i++) {
		if (obj->secs[i].kind == BPFBOX_SEC_MAPS_LEGACY &&
		    (err = parse_legacy_maps(obj, (uint32_t)i, &cap)))
			return err;
	}
	if ((err = data_maps(obj, &cap)))
		return err;
	return obj_add_kconfig_map(obj, &cap); /* extern.c: the .kconfig values */
}
