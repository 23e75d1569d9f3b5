/* bpfbox — object/globals.c: global variables set before load.
 *
 * libbpf skeletons let user space fill `const volatile` .rodata variables
 * (tool options such as `targ_pid`, `min_us`) between open and load: the
 * program then sees them as constants, and the verifier prunes the code
 * they switch off.  bpfbox_object__set_global() does the same from text
 * (`bpfbox ... --set targ_pid=1234`): it finds the variable in the BTF
 * DATASEC of its section (.rodata, .data, .bss and their .NAME variants)
 * and where it lies from its ELF symbol (clang leaves DATASEC offsets 0),
 * parses the text by the variable's BTF type and writes the bytes into the
 * section's initial contents — the value the global data map starts with
 * at load.
 *
 * Invariants: a write never leaves the variable (offset and size from
 * BTF, checked against the section); nothing changes after load (-EBUSY);
 * a value is range-checked against its type (a 1-byte unsigned takes
 * 0..255, a signed one -128..127) and a string must fit with its NUL.
 *
 * Limits: structs, unions, pointers and floats cannot be set from text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <bpf/btf.h>
#include "obj.h"

static const char *bname(const struct btf *btf, uint32_t off)
{
	const char *s = btf__name_by_offset(btf, off);
	return s ? s : "";
}

static int parse_int(struct bpfbox_object *obj, const char *name, const char *text,
		     uint32_t size, bool sgn, uint64_t *out)
{
	char *end;
	errno = 0;
	bool neg = text[0] == '-';
	if (neg && !sgn)
		return obj_err(obj, -EINVAL, "global '%s' = '%s': a negative value for an unsigned variable",
			       name, text);
	uint64_t v = neg ? (uint64_t)strtoll(text, &end, 0) : strtoull(text, &end, 0);
	if (errno || end == text || *end)
		return obj_err(obj, -EINVAL, "global '%s' = '%s': not a number", name, text);
	if (size < 8) {
		unsigned bits = size * 8;
		bool ok = sgn ? (int64_t)v >= -(1ll << (bits - 1)) && (int64_t)v < (1ll << (bits - 1))
			      : v >> bits == 0;
		if (!ok)
			return obj_err(obj, -EINVAL, "global '%s' = '%s': does not fit a %s %u-byte integer",
				       name, text, sgn ? "signed" : "unsigned", size);
	}
	*out = v;
	return 0;
}

static void put_le(uint8_t *p, uint64_t v, uint32_t n)
{
	for (uint32_t i = 0; i < n && i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Write the value of scalar type `id` (size bytes at p). */
static int set_scalar(struct bpfbox_object *obj, const char *name, const struct btf_type *t,
		      const char *text, uint8_t *p)
{
	const struct btf *btf = obj->btf;
	uint64_t v;
	int err;
	if (btf_is_int(t)) {
		int enc = btf_int_encoding(t);
		if (enc & BTF_INT_BOOL) {
			if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "y"))
				v = 1;
			else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "n"))
				v = 0;
			else
				return obj_err(obj, -EINVAL, "global '%s' = '%s': a bool takes true or false",
					       name, text);
		} else if ((err = parse_int(obj, name, text, t->size, enc & BTF_INT_SIGNED, &v))) {
			return err;
		}
		put_le(p, v, t->size);
		return 0;
	}
	if (btf_is_any_enum(t)) {
		for (uint16_t i = 0; i < btf_vlen(t); i++) {
			bool e32 = btf_is_enum(t);
			const char *en = bname(btf, e32 ? btf_enum(t)[i].name_off
							: btf_enum64(t)[i].name_off);
			if (strcmp(en, text))
				continue;
			v = e32 ? (uint64_t)(int64_t)btf_enum(t)[i].val
				: btf_enum64_value(btf_enum64(t) + i);
			put_le(p, v, t->size);
			return 0;
		}
		if ((err = parse_int(obj, name, text, t->size, btf_kflag(t), &v)))
			return err;
		put_le(p, v, t->size);
		return 0;
	}
	return obj_err(obj, -ENOTSUP, "global '%s': a %s cannot be set from text", name,
		       btf_is_ptr(t) ? "pointer" : btf_is_composite(t) ? "struct or union" :
		       "value of this type");
}

static int set_value(struct bpfbox_object *obj, const char *name, uint32_t type, const char *text,
		     uint8_t *p, uint32_t size)
{
	const struct btf *btf = obj->btf;
	const struct btf_type *t = obj_skip_mods(btf, type, &type);
	if (!t)
		return obj_err(obj, -EINVAL, "global '%s': its BTF type is broken", name);
	if (!btf_is_array(t))
		return set_scalar(obj, name, t, text, p);
	const struct btf_array *a = btf_array(t);
	uint32_t et;
	const struct btf_type *e = obj_skip_mods(btf, a->type, &et);
	int64_t esz = btf__resolve_size(btf, et);
	if (!e || esz <= 0 || (uint64_t)esz * a->nelems > size)
		return obj_err(obj, -EINVAL, "global '%s': its BTF type is broken", name);
	if (btf_is_int(e) && e->size == 1 && !(btf_int_encoding(e) & BTF_INT_BOOL)) {
		size_t n = strlen(text);
		if (n >= a->nelems)
			return obj_err(obj, -EINVAL, "global '%s': \"%s\" does not fit in char[%u] with its "
				       "NUL", name, text, a->nelems);
		memset(p, 0, a->nelems);
		memcpy(p, text, n);
		return 0;
	}
	/* "1,2,3": the first elements, the rest zero */
	memset(p, 0, (size_t)esz * a->nelems);
	const char *s = text;
	for (uint32_t i = 0; *s; i++) {
		if (i >= a->nelems)
			return obj_err(obj, -EINVAL, "global '%s': more than %u values", name, a->nelems);
		char item[128];
		size_t k = strcspn(s, ",");
		if (k >= sizeof(item))
			return obj_err(obj, -EINVAL, "global '%s': value too long", name);
		memcpy(item, s, k);
		item[k] = 0;
		int err = set_scalar(obj, name, e, item, p + (size_t)i * (size_t)esz);
		if (err)
			return err;
		s += k;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* The writable initial contents of global data section `sec` (a .bss
 * section gets a zeroed buffer the first time). */
static uint8_t *sec_bytes(struct bpfbox_object *obj, uint32_t sec)
{
	struct obj_sec *s = &obj->secs[sec];
	if (s->data)
		return (uint8_t *)(uintptr_t)s->data; /* inside obj->file, the object's own copy */
	if (!obj->bss_init) {
		obj->bss_init = obj_calloc(obj, obj->nsecs, sizeof(*obj->bss_init));
		if (!obj->bss_init)
			return NULL;
	}
	if (!obj->bss_init[sec]) {
		obj->bss_init[sec] = obj_calloc(obj, 1, s->size ? s->size : 1);
		if (!obj->bss_init[sec])
			return NULL;
		if (s->map >= 0)
			obj->maps[s->map]->def.init = obj->bss_init[sec];
	}
	return obj->bss_init[sec];
}

BPFBOX_API int bpfbox_object__set_global(struct bpfbox_object *obj, const char *name,
					 const char *value)
{
	if (!obj || !name || !value)
		return -EINVAL;
	if (obj->loaded)
		return obj_err(obj, -EBUSY, "global '%s': the object is already loaded", name);
	if (!obj->btf)
		return obj_err(obj, -ENOENT, "global '%s': the object has no BTF to find variables in",
			       name);
	const struct btf *btf = obj->btf;
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *ds = btf__type_by_id(btf, id);
		if (!ds || !btf_is_datasec(ds))
			continue;
		const char *secname = bname(btf, ds->name_off);
		uint32_t sec = 0;
		for (size_t i = 1; i < obj->nsecs; i++)
			if (obj->secs[i].kind == BPFBOX_SEC_DATA && !strcmp(obj->secs[i].name, secname)) {
				sec = (uint32_t)i;
				break;
			}
		if (!sec)
			continue; /* .kconfig, .ksyms, .maps */
		const struct btf_var_secinfo *vs = btf_var_secinfos(ds);
		for (uint16_t j = 0; j < btf_vlen(ds); j++) {
			const struct btf_type *v = btf__type_by_id(btf, vs[j].type);
			if (!v || !btf_is_var(v) || strcmp(bname(btf, v->name_off), name))
				continue;
			const struct obj_sec *s = &obj->secs[sec];
			/* clang leaves DATASEC offsets 0 (libbpf fills them in from
			 * the symbols): the ELF symbol says where the variable is */
			uint64_t voff = 0, vsize = 0;
			if (bpfbox_object__symbol(obj, secname, name, &voff, &vsize))
				return obj_err(obj, -EINVAL, "global '%s': no symbol in '%s'", name,
					       secname);
			int64_t tsz = btf__resolve_size(btf, v->type);
			if (tsz <= 0 || (vsize && (uint64_t)tsz != vsize) || voff > s->size ||
			    (uint64_t)tsz > s->size - voff)
				return obj_err(obj, -EINVAL, "global '%s': its symbol and type place it "
					       "outside '%s'", name, secname);
			uint32_t off = (uint32_t)voff, size = (uint32_t)tsz;
			uint8_t *bytes = sec_bytes(obj, sec);
			if (!bytes)
				return -ENOMEM;
			/* parse into a scratch copy: a bad value changes nothing */
			uint8_t *tmp = obj_calloc(obj, 1, size);
			if (!tmp)
				return -ENOMEM;
			memcpy(tmp, bytes + off, size);
			int err = set_value(obj, name, v->type, value, tmp, size);
			if (!err)
				memcpy(bytes + off, tmp, size);
			obj_free(obj, tmp, size);
			return err;
		}
	}
	return obj_err(obj, -ENOENT, "global '%s': no global variable of that name in .rodata, .data "
		       "or .bss", name);
}
