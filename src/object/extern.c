/* bpfbox — object/extern.c: __kconfig and __ksym externs.
 *
 * What it does.  A program may declare
 *
 *   extern int LINUX_KERNEL_VERSION __kconfig;      -> section .kconfig
 *   extern bool CONFIG_BPF_SYSCALL __kconfig __weak;
 *   extern const void jiffies __ksym;               -> section .ksyms (typeless)
 *   extern struct rq runqueues __ksym;              -> typed (checked by BTF)
 *   extern int bpf_foo(...) __ksym;                 -> a kernel function (kfunc)
 *
 * The compiler leaves undefined ELF symbols and BTF VARs/FUNCs with extern
 * linkage inside DATASECs named .kconfig / .ksyms.  This file does what
 * libbpf (1.1) does with them, with the same rules and messages' meaning:
 *
 *  - kconfig externs are laid out in one read-only array map, `.kconfig`
 *    (ordered by alignment, then size, then name, like libbpf), whose value
 *    holds their values; programs reach them through map-value lddw
 *    (src 6, the map's index, offset).  LINUX_KERNEL_VERSION comes from
 *    uname, LINUX_HAS_SYSCALL_WRAPPER / LINUX_HAS_BPF_COOKIE say what this
 *    machine (and bpfbox) offer, other LINUX_* are 0 when weak; CONFIG_*
 *    come from the caller's kconfig text first, then
 *    /boot/config-$(uname -r) or /proc/config.gz (gzip or plain):
 *    y/n/m for bool, tristate (enum libbpf_tristate) and char, quoted
 *    strings for char arrays, numbers for integers (range checked).  A weak
 *    extern nobody sets is 0; a strong one is an error (-ESRCH);
 *  - typeless ksyms take their address from /proc/kallsyms; typed ksyms
 *    must exist in the target BTF (a VAR of a compatible type, or a FUNC
 *    with a compatible prototype) and take the kallsyms address too.  In
 *    user space these are numbers a program can only pass along or
 *    compare: the lddw becomes a plain 64-bit immediate;
 *  - kernel functions (kfuncs) do not exist in bpfbox: a call to one is
 *    poisoned like a failed CO-RE relocation (call BPFBOX_CORE_POISON), so
 *    the program fails only if it reaches the call, with a message naming
 *    the function.
 *
 * Invariants: every extern names a BTF VAR/FUNC of extern linkage inside a
 * .kconfig/.ksyms DATASEC (else -EINVAL/-ENOTSUP naming it); kconfig
 * values are range-checked against their type; the .kconfig data is owned
 * by the object and becomes the map's initial (read-only) value, so the
 * verifier knows the values as constants, as the kernel's does for a
 * frozen map.
 *
 * Limits: module symbols are looked up in /proc/kallsyms like vmlinux ones
 * (libbpf too); typed ksyms are not given BTF ids (bpfbox has no kernel
 * objects to point to).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <gelf.h>
#include <bpf/btf.h>
#include "obj.h"

#define KCONFIG_SEC ".kconfig"
#define KSYMS_SEC ".ksyms"
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
/* MAP_TYPE_ARRAY, BPF_F_RDONLY_PROG, BPF_F_MMAPABLE */
#define MT_ARRAY 2
#define F_RDONLY_PROG (1u << 7)
#define F_MMAPABLE (1u << 10)

static const char *bname(const struct btf *btf, uint32_t off)
{
	const char *s = btf__name_by_offset(btf, off);
	return s ? s : "";
}

/* The BTF VAR/FUNC of extern `name` (must have extern linkage). */
static int find_ext_btf(const struct btf *btf, const char *name)
{
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		if (!t || (!btf_is_var(t) && !btf_is_func(t)) || strcmp(bname(btf, t->name_off), name))
			continue;
		if (btf_is_var(t) && btf_var(t)->linkage != BTF_VAR_GLOBAL_EXTERN)
			return -EINVAL;
		if (btf_is_func(t) && btf_vlen(t) != BTF_FUNC_EXTERN)
			return -EINVAL;
		return (int)i;
	}
	return -ENOENT;
}

static int find_ext_sec(const struct btf *btf, uint32_t var)
{
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		if (!t || !btf_is_datasec(t))
			continue;
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);
		for (uint16_t j = 0; j < btf_vlen(t); j++)
			if (vs[j].type == var)
				return (int)i;
	}
	return -ENOENT;
}

static int kcfg_type(const struct btf *btf, uint32_t id, bool *is_signed, int level)
{
	const struct btf_type *t = obj_skip_mods(btf, id, NULL);
	if (is_signed)
		*is_signed = false;
	if (!t || level > 8)
		return KCFG_UNKNOWN;
	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		int enc = btf_int_encoding(t);
		if (enc & BTF_INT_BOOL)
			return t->size == 1 ? KCFG_BOOL : KCFG_UNKNOWN;
		if (is_signed)
			*is_signed = enc & BTF_INT_SIGNED;
		if (t->size == 1)
			return KCFG_CHAR;
		if (t->size < 1 || t->size > 8 || (t->size & (t->size - 1)))
			return KCFG_UNKNOWN;
		return KCFG_INT;
	}
	case BTF_KIND_ENUM:
		if (t->size != 4)
			return KCFG_UNKNOWN;
		/* fallthrough */
	case BTF_KIND_ENUM64:
		return strcmp(bname(btf, t->name_off), "libbpf_tristate") ? KCFG_UNKNOWN
									  : KCFG_TRISTATE;
	case BTF_KIND_ARRAY:
		if (!btf_array(t)->nelems ||
		    kcfg_type(btf, btf_array(t)->type, NULL, level + 1) != KCFG_CHAR)
			return KCFG_UNKNOWN;
		return KCFG_CHAR_ARR;
	default:
		return KCFG_UNKNOWN;
	}
}

static int cmp_ext(const void *a, const void *b)
{
	const struct obj_extern *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == OBJ_EXT_KCONFIG) {
		if (x->align != y->align)
			return x->align > y->align ? -1 : 1;
		if (x->size != y->size)
			return x->size < y->size ? -1 : 1;
	}
	return strcmp(x->name, y->name);
}

const struct obj_extern *obj_extern_of(const struct bpfbox_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->nexts; i++)
		if (!strcmp(obj->exts[i].name, name))
			return &obj->exts[i];
	return NULL;
}

static struct obj_extern *ext_find(struct bpfbox_object *obj, const char *name)
{
	return (struct obj_extern *)obj_extern_of(obj, name);
}

/* ---- kconfig values ------------------------------------------------------------------------ */

static bool fits(const struct obj_extern *e, uint64_t v)
{
	unsigned bits = e->size * 8;
	if (e->size >= 8)
		return true;
	if (e->is_signed)
		return v + (1ull << (bits - 1)) < (1ull << bits);
	return (v >> bits) == 0;
}

static int set_num(struct bpfbox_object *obj, struct obj_extern *e, uint64_t v)
{
	if (e->ktype != KCFG_INT && e->ktype != KCFG_CHAR && e->ktype != KCFG_BOOL)
		return obj_err(obj, -EINVAL, "extern (kconfig) '%s': value %llu implies an integer, "
			       "char or bool type", e->name, (unsigned long long)v);
	if (e->ktype == KCFG_BOOL && v > 1)
		return obj_err(obj, -EINVAL, "extern (kconfig) '%s': value %llu is not a bool",
			       e->name, (unsigned long long)v);
	if (!fits(e, v))
		return obj_err(obj, -ERANGE, "extern (kconfig) '%s': value %llu does not fit in %u "
			       "bytes", e->name, (unsigned long long)v, e->size);
	uint8_t *p = obj->kcfg_data + e->off;
	for (uint32_t i = 0; i < e->size && i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	e->set = true;
	return 0;
}

static int set_tri(struct bpfbox_object *obj, struct obj_extern *e, char c)
{
	uint8_t *p = obj->kcfg_data + e->off;
	switch (e->ktype) {
	case KCFG_BOOL:
		if (c == 'm')
			return obj_err(obj, -EINVAL, "extern (kconfig) '%s': value 'm' implies a "
				       "tristate or char type", e->name);
		*p = c == 'y';
		break;
	case KCFG_TRISTATE: {
		uint32_t v = c == 'y' ? 1 : c == 'm' ? 2 : 0; /* TRI_NO, TRI_YES, TRI_MODULE */
		memcpy(p, &v, 4);
		break;
	}
	case KCFG_CHAR:
		*p = (uint8_t)c;
		break;
	default:
		return obj_err(obj, -EINVAL, "extern (kconfig) '%s': value '%c' implies a bool, "
			       "tristate or char type", e->name, c);
	}
	e->set = true;
	return 0;
}

static int set_str(struct bpfbox_object *obj, struct obj_extern *e, const char *v)
{
	if (e->ktype != KCFG_CHAR_ARR)
		return obj_err(obj, -EINVAL, "extern (kconfig) '%s': value %s implies a char array",
			       e->name, v);
	size_t len = strlen(v);
	if (len < 2 || v[len - 1] != '"')
		return obj_err(obj, -EINVAL, "extern (kconfig) '%s': bad string %s", e->name, v);
	len -= 2;
	if (len >= e->size)
		len = e->size - 1; /* truncated, as libbpf does (with a warning) */
	char *p = (char *)obj->kcfg_data + e->off;
	memcpy(p, v + 1, len);
	p[len] = 0;
	e->set = true;
	return 0;
}

/* One "CONFIG_X=value" line. */
static int kconfig_line(struct bpfbox_object *obj, char *line)
{
	if (strncmp(line, "CONFIG_", 7))
		return 0;
	line[strcspn(line, "\r\n")] = 0;
	char *sep = strchr(line, '=');
	if (!sep)
		return obj_err(obj, -EINVAL, "kconfig line '%s' has no '='", line);
	*sep = 0;
	const char *v = sep + 1;
	if (!*v)
		return obj_err(obj, -EINVAL, "kconfig line '%s=' has no value", line);
	struct obj_extern *e = ext_find(obj, line);
	if (!e || e->kind != OBJ_EXT_KCONFIG || e->set)
		return 0;
	switch (*v) {
	case 'y': case 'n': case 'm':
		return set_tri(obj, e, *v);
	case '"':
		return set_str(obj, e, v);
	default: {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(v, &end, 0);
		if (errno || *end)
			return obj_err(obj, -EINVAL, "extern (kconfig) '%s': '%s' is not a number",
				       e->name, v);
		if (e->ktype != KCFG_INT && e->ktype != KCFG_CHAR)
			return obj_err(obj, -EINVAL, "extern (kconfig) '%s': value '%s' implies an "
				       "integer type", e->name, v);
		return set_num(obj, e, n);
	}
	}
}

static int kconfig_text(struct bpfbox_object *obj, const char *text)
{
	char line[4096];
	while (*text) {
		size_t n = strcspn(text, "\n");
		size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
		memcpy(line, text, k);
		line[k] = 0;
		int err = kconfig_line(obj, line);
		if (err)
			return err;
		text += n;
		if (*text)
			text++;
	}
	return 0;
}

static int kconfig_file(struct bpfbox_object *obj)
{
	char path[512];
	gzFile f = NULL;
	if (obj->kconfig_path) {
		f = gzopen(obj->kconfig_path, "r");
		if (!f)
			return obj_err(obj, -ENOENT, "kconfig %s: cannot read it", obj->kconfig_path);
	} else {
		struct utsname u;
		uname(&u);
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = gzopen(path, "r"); /* plain files read through gzopen too */
		if (!f)
			f = gzopen("/proc/config.gz", "r");
		if (!f)
			return obj_err(obj, -ENOENT, "the program needs CONFIG_ values and neither %s nor "
				       "/proc/config.gz can be read", path);
	}
	char line[4096];
	int err = 0;
	while (!err && gzgets(f, line, sizeof(line)))
		err = kconfig_line(obj, line);
	gzclose(f);
	return err;
}

static uint32_t kernel_version(void)
{
	struct utsname u;
	unsigned a, b, c;
	uname(&u);
	if (sscanf(u.release, "%u.%u.%u", &a, &b, &c) != 3)
		return 0;
	return KERNEL_VERSION(a, b, c);
}

/* ---- kallsyms ---------------------------------------------------------------------------- */

static int read_kallsyms(struct bpfbox_object *obj)
{
	const char *path = obj->kallsyms_path ? obj->kallsyms_path : "/proc/kallsyms";
	FILE *f = fopen(path, "r");
	if (!f)
		return obj_err(obj, -ENOENT, "the program has __ksym externs and %s cannot be read",
			       path);
	char line[1024];
	int err = 0;
	while (!err && fgets(line, sizeof(line), f)) {
		char *end;
		unsigned long long addr = strtoull(line, &end, 16);
		if (end == line || *end != ' ')
			continue;
		char *p = end + 1;
		if (!*p || p[1] != ' ')
			continue;
		char *name = p + 2;
		name[strcspn(name, " \t\r\n")] = 0;
		struct obj_extern *e = ext_find(obj, name);
		if (!e || e->kind != OBJ_EXT_KSYM || e->is_func)
			continue;
		if (e->addr && e->addr != addr)
			err = obj_err(obj, -EINVAL, "extern (ksym) '%s': ambiguous, 0x%llx or 0x%llx",
				      name, (unsigned long long)e->addr, addr);
		e->addr = addr;
		if (!e->type_id)
			e->set = true;
	}
	fclose(f);
	return err;
}

/* Typed ksyms: a VAR (or FUNC) of that name in the target BTF with a
 * compatible type. */
static int resolve_typed(struct bpfbox_object *obj, struct obj_extern *e)
{
	const struct btf *tb;
	int err = obj_target_btf(obj, &tb);
	if (err)
		return err;
	int id = btf__find_by_name_kind(tb, e->name, e->is_func ? BTF_KIND_FUNC : BTF_KIND_VAR);
	if (id <= 0) {
		if (e->weak)
			return 0;
		return obj_err(obj, -ESRCH, "extern (%s ksym) '%s': not found in %s",
			       e->is_func ? "func" : "var", e->name, obj->targ_name);
	}
	const struct btf_type *tv = btf__type_by_id(tb, (uint32_t)id);
	uint32_t tt;
	if (!tv)
		return -EINVAL;
	if (e->is_func)
		tt = tv->type;
	else
		obj_skip_mods(tb, tv->type, &tt);
	int r = obj_core_types_compat(obj->btf, e->type_id, tb, tt);
	if (r <= 0)
		return obj_err(obj, -EINVAL, "extern (%s ksym) '%s': its type [%u] does not match the "
			       "kernel's [%u]", e->is_func ? "func" : "var", e->name, e->type_id, tt);
	e->targ_id = (uint32_t)id;
	e->set = true;
	return 0;
}

/* ---- collecting ------------------------------------------------------------------------------ */

static bool sym_is_extern(const struct obj_sym *s)
{
	return s->shndx == SHN_UNDEF && (s->bind == STB_GLOBAL || s->bind == STB_WEAK) &&
	       s->type == STT_NOTYPE && s->name && *s->name;
}

int obj_collect_externs(struct bpfbox_object *obj)
{
	obj->kcfg_map = -1;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < obj->nsyms; i++)
		n += sym_is_extern(&obj->syms[i]);
	if (!n)
		return 0;
	if (!obj->btf)
		return obj_err(obj, -EINVAL, "extern '%s' without BTF (compile with clang -g)",
			       obj->syms[0].name);
	int32_t kcfg_sec = -1;
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct obj_sym *s = &obj->syms[i];
		if (!sym_is_extern(s))
			continue;
		if (obj_extern_of(obj, s->name))
			continue; /* the same name twice (one BTF description) */
		int id = find_ext_btf(obj->btf, s->name);
		if (id <= 0)
			return obj_err(obj, -EINVAL, "extern '%s': %s", s->name,
				       id == -ENOENT ? "no BTF variable or function describes it"
						     : "its BTF description is not extern");
		int sec = find_ext_sec(obj->btf, (uint32_t)id);
		if (sec <= 0)
			return obj_err(obj, -EINVAL, "extern '%s': in no BTF DATASEC", s->name);
		const struct btf_type *t = btf__type_by_id(obj->btf, (uint32_t)id);
		const struct btf_type *st = btf__type_by_id(obj->btf, (uint32_t)sec);
		const char *secname = bname(obj->btf, st->name_off);
		if (obj_grow(obj, (void **)&obj->exts, &cap, obj->nexts + 1, sizeof(*obj->exts)))
			return -ENOMEM;
		struct obj_extern *e = &obj->exts[obj->nexts++];
		memset(e, 0, sizeof(*e));
		e->name = bname(obj->btf, t->name_off);
		e->btf_id = (uint32_t)id;
		e->weak = s->bind == STB_WEAK;
		e->is_func = btf_is_func(t);
		if (!strcmp(secname, KCONFIG_SEC)) {
			if (e->is_func)
				return obj_err(obj, -ENOTSUP, "extern function '%s' in %s", e->name,
					       KCONFIG_SEC);
			kcfg_sec = sec;
			e->kind = OBJ_EXT_KCONFIG;
			int64_t sz = btf__resolve_size(obj->btf, t->type);
			int al = btf__align_of(obj->btf, t->type);
			if (sz <= 0 || sz > 4096 || al <= 0)
				return obj_err(obj, -EINVAL, "extern (kconfig) '%s': cannot size its type",
					       e->name);
			e->size = (uint32_t)sz;
			e->align = (uint32_t)al;
			e->ktype = kcfg_type(obj->btf, t->type, &e->is_signed, 0);
			if (e->ktype == KCFG_UNKNOWN)
				return obj_err(obj, -ENOTSUP, "extern (kconfig) '%s': unsupported type "
					       "(bool, char, integer, tristate or char array)", e->name);
		} else if (!strcmp(secname, KSYMS_SEC)) {
			e->kind = OBJ_EXT_KSYM;
			obj_skip_mods(obj->btf, t->type, &e->type_id);
		} else {
			return obj_err(obj, -ENOTSUP, "extern '%s' in section '%s' (only %s and %s "
				       "externs exist)", e->name, secname, KCONFIG_SEC, KSYMS_SEC);
		}
	}
	qsort(obj->exts, obj->nexts, sizeof(*obj->exts), cmp_ext);

	/* .kconfig layout, and the DATASEC's offsets to match (objdump) */
	uint32_t off = 0;
	for (size_t i = 0; i < obj->nexts; i++) {
		struct obj_extern *e = &obj->exts[i];
		if (e->kind != OBJ_EXT_KCONFIG)
			continue;
		e->off = (off + e->align - 1) / e->align * e->align;
		off = e->off + e->size;
	}
	if (kcfg_sec > 0) {
		obj->kcfg_size = off ? off : 1;
		obj->kcfg_data = obj_calloc(obj, 1, obj->kcfg_size);
		if (!obj->kcfg_data)
			return -ENOMEM;
		struct btf_type *st = (struct btf_type *)btf__type_by_id(obj->btf, (uint32_t)kcfg_sec);
		struct btf_var_secinfo *vs = btf_var_secinfos(st);
		for (uint16_t j = 0; j < btf_vlen(st); j++) {
			const struct btf_type *v = btf__type_by_id(obj->btf, vs[j].type);
			const struct obj_extern *e = v ? obj_extern_of(obj, bname(obj->btf, v->name_off))
						       : NULL;
			if (e) {
				vs[j].offset = e->off;
				vs[j].size = e->size;
			}
		}
		st->size = (uint32_t)obj->kcfg_size;
	}

	/* values */
	bool need_config = false, need_kallsyms = false;
	int err = 0;
	for (size_t i = 0; i < obj->nexts && !err; i++) {
		struct obj_extern *e = &obj->exts[i];
		if (e->kind == OBJ_EXT_KSYM) {
			if (e->type_id || e->is_func)
				err = resolve_typed(obj, e);
			if (!e->is_func)
				need_kallsyms = true;
			continue;
		}
		if (!strncmp(e->name, "CONFIG_", 7)) {
			need_config = true;
			continue;
		}
		uint64_t v;
		if (!strcmp(e->name, "LINUX_KERNEL_VERSION")) {
			v = kernel_version();
			if (!v)
				return obj_err(obj, -EINVAL, "extern (kconfig) '%s': cannot tell the "
					       "kernel version", e->name);
		} else if (!strcmp(e->name, "LINUX_HAS_BPF_COOKIE")) {
			v = 1; /* bpf_get_attach_cookie exists in bpfbox */
		} else if (!strcmp(e->name, "LINUX_HAS_SYSCALL_WRAPPER")) {
			v = 1; /* x86-64 kernels since 4.17 wrap syscalls (__x64_sys_*) */
		} else if (!strncmp(e->name, "LINUX_", 6) && e->weak) {
			continue; /* unknown but weak: 0 */
		} else {
			return obj_err(obj, -EINVAL, "extern (kconfig) '%s': unrecognized virtual "
				       "extern (only CONFIG_* and LINUX_* exist)", e->name);
		}
		err = set_num(obj, e, v);
	}
	if (!err && need_config && obj->kconfig)
		err = kconfig_text(obj, obj->kconfig);
	if (!err && need_config) {
		bool unset = false;
		for (size_t i = 0; i < obj->nexts; i++)
			unset |= obj->exts[i].kind == OBJ_EXT_KCONFIG && !obj->exts[i].set;
		if (unset)
			err = kconfig_file(obj);
	}
	if (!err && need_kallsyms)
		err = read_kallsyms(obj);
	for (size_t i = 0; i < obj->nexts && !err; i++) {
		const struct obj_extern *e = &obj->exts[i];
		if (!e->set && !e->weak)
			err = obj_err(obj, -ESRCH, "extern '%s' (strong) is not resolved (%s)", e->name,
				      e->kind == OBJ_EXT_KCONFIG ? "no such kernel config value"
								 : "no such kernel symbol");
	}
	return err;
}

int obj_add_kconfig_map(struct bpfbox_object *obj, size_t *cap)
{
	if (!obj->kcfg_data)
		return 0;
	struct bpfbox_obj_map *m;
	int err = obj_new_map(obj, cap, &m);
	if (err)
		return err;
	m->def.name = KCONFIG_SEC;
	m->def.kind = BPFBOX_OBJ_MAP_DATA;
	m->def.section = KCONFIG_SEC;
	m->def.type = MT_ARRAY;
	m->def.key_size = 4;
	m->def.value_size = (uint32_t)obj->kcfg_size;
	m->def.max_entries = 1;
	m->def.map_flags = F_RDONLY_PROG | F_MMAPABLE;
	m->def.init = obj->kcfg_data;
	int id = btf__find_by_name_kind(obj->btf, KCONFIG_SEC, BTF_KIND_DATASEC);
	if (id > 0)
		m->def.btf_value_type = (uint32_t)id;
	obj->kcfg_map = m->index;
	return 0;
}

void obj_free_externs(struct bpfbox_object *obj)
{
	obj_free(obj, obj->exts, 0);
	obj->exts = NULL;
	obj->nexts = 0;
	obj_free(obj, obj->kcfg_data, obj->kcfg_size);
	obj->kcfg_data = NULL;
}

/* ---- public --------------------------------------------------------------------------------- */

BPFBOX_API size_t bpfbox_object__extern_count(const struct bpfbox_object *obj)
{
	return obj ? obj->nexts : 0;
}

BPFBOX_API int bpfbox_object__extern(const struct bpfbox_object *obj, size_t i,
				     struct bpfbox_obj_extern *out)
{
	if (!obj || i >= obj->nexts || !out)
		return -ENOENT;
	const struct obj_extern *e = &obj->exts[i];
	memset(out, 0, sizeof(*out));
	out->name = e->name;
	out->kind = e->kind == OBJ_EXT_KCONFIG ? BPFBOX_EXTERN_KCONFIG : BPFBOX_EXTERN_KSYM;
	out->weak = e->weak;
	out->resolved = e->set;
	out->typed = e->kind == OBJ_EXT_KSYM && (e->type_id || e->is_func);
	out->func = e->is_func;
	if (e->kind == OBJ_EXT_KCONFIG) {
		out->offset = e->off;
		out->size = e->size;
		if (e->ktype != KCFG_CHAR_ARR && obj->kcfg_data) {
			uint64_t v = 0;
			for (uint32_t k = 0; k < e->size && k < 8; k++)
				v |= (uint64_t)obj->kcfg_data[e->off + k] << (8 * k);
			out->value = v;
		}
	} else {
		out->value = e->addr;
	}
	return 0;
}
