/* bpfbox — object/core.c: CO-RE relocations ("compile once, run everywhere").
 *
 * What it does.  A program built against vmlinux.h (or with
 * __attribute__((preserve_access_index)) structs, BPF_CORE_READ,
 * bpf_core_field_exists, ...) leaves, in .BTF.ext, one record per
 * instruction whose immediate or offset depends on the layout of a kernel
 * type: (section, instruction byte offset, local root type, access string
 * "0:1:2", kind).  This file resolves each record against a *target* BTF —
 * the running kernel's /sys/kernel/btf/vmlinux by default, or any BTF the
 * caller names — by the rules libbpf (1.1, relo_core.c) applies, and
 * patches the instruction in every linked program that contains it:
 *
 *   1. the local spec: the access string walked through the local type
 *      (struct members, anonymous members, array elements), giving the
 *      named "turning points" and the local bit offset;
 *   2. candidates: every target type of a compatible kind whose name equals
 *      the local one once "flavors" are stripped (`task_struct___old` and
 *      `task_struct` both match `task_struct`: everything from the last
 *      "___" on is ignored), vmlinux first, module BTFs if vmlinux has none;
 *   3. matching: each named accessor is looked up by name in the candidate
 *      (through anonymous members), array accessors must stay in bounds
 *      (flexible arrays excepted), field types must be compatible (structs
 *      with structs, ints with ints, enums by name, arrays by element);
 *      type relocations use the type-compatibility / type-match rules and
 *      enum value relocations the enumerator's name;
 *   4. the value per kind: byte offset, byte size, existence, signedness,
 *      bitfield left/right shifts, local/target type id, type existence,
 *      size, match, enumerator existence/value; every matching candidate
 *      must give the same answer (else the object is refused: ambiguity),
 *      and candidates that do not match are dropped from the cached list
 *      of that local type for the next relocations, as libbpf does;
 *   5. the patch: ALU imm, LDX/ST/STX offset (and access size, when the
 *      field changed size and the value is a pointer or an unsigned
 *      integer), or both halves of an lddw.  The instruction must still
 *      hold the value the compiler recorded (else -EINVAL, like libbpf).
 *
 * A relocation without a match is not an error: existence kinds become 0,
 * type kinds 0, and every other kind *poisons* its instruction exactly as
 * libbpf does — `call 0xbad2310` (BPFBOX_CORE_POISON; both halves of an
 * lddw) — so code guarded by bpf_core_field_exists() is dead and harmless,
 * while a program that does reach the instruction is refused by the
 * verifier / stopped by the VM with this relocation's description
 * (bpfbox_obj_prog__poison_note) instead of "unknown helper 195896080".
 *
 * Invariants.  The object's BTF and .BTF.ext are hostile input: every type
 * id is looked up with a NULL check, every modifier chain and every
 * recursion is bounded (32 levels, like libbpf), access strings longer than
 * 64 accessors are refused, and .BTF.ext tables are read through cursors.
 * The target BTF is trusted only as far as libbpf's parser checks it (the
 * same NULL checks apply).
 *
 * Limits.  Little-endian only (bitfield shifts); the module BTFs searched
 * are those in /sys/kernel/btf when the running kernel is the target; a
 * relocation's value is computed once per record and applied to every
 * program that links the function (libbpf computes it once per subprogram
 * too, so the results agree).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "obj.h"

#define SPEC_MAX 64   /* libbpf's BPF_CORE_SPEC_MAX_LEN */
#define MAX_LEVEL 32  /* recursion / modifier chains */
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

#define OP_LDDW 0x18
#define CLS(code) ((code) & 7)
#define CLS_LD 0
#define CLS_LDX 1
#define CLS_ST 2
#define CLS_STX 3
#define CLS_ALU 4
#define CLS_ALU64 7
#define SRC_K 0

struct acc {
	uint32_t id;        /* the composite (named member) or the element type */
	uint32_t idx;       /* member index / array index */
	const char *name;   /* member or enumerator name; NULL: array access */
};

struct spec {
	const struct btf *btf;
	uint32_t root;
	uint32_t kind;
	struct acc a[SPEC_MAX];
	int len;
	uint32_t raw[SPEC_MAX];
	int rlen;
	uint32_t bit_off;
};

struct res {
	uint64_t orig, val;
	bool poison, validate, bad_memsz;
	uint32_t orig_sz, new_sz, orig_tid, new_tid;
};

struct cand {
	const struct btf *btf;
	uint32_t id;
};

struct cands {
	uint32_t local_id;
	struct cand *c;
	size_t n, cap;
	size_t found; /* candidates found by the search (before pruning) */
};

struct core_ctx {
	struct bpfbox_object *obj;
	const struct btf *local;
	struct cands *cache;
	size_t ncache, cap;
	char why[256];
};

/* ---- small BTF services ----------------------------------------------------------- */

static bool is_field_kind(uint32_t k)
{
	return k <= BPFBOX_CORE_FIELD_RSHIFT_U64;
}

static bool is_type_kind(uint32_t k)
{
	return (k >= BPFBOX_CORE_TYPE_ID_LOCAL && k <= BPFBOX_CORE_TYPE_SIZE) ||
	       k == BPFBOX_CORE_TYPE_MATCHES;
}

static bool is_enum_kind(uint32_t k)
{
	return k == BPFBOX_CORE_ENUMVAL_EXISTS || k == BPFBOX_CORE_ENUMVAL_VALUE;
}

BPFBOX_API const char *bpfbox_core_kind__name(int kind)
{
	static const char *const names[] = {
		"byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64",
		"local_type_id", "target_type_id", "type_exists", "type_size", "enumval_exists",
		"enumval_value", "type_matches",
	};
	return kind >= 0 && (size_t)kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

static const char *str(const struct btf *btf, uint32_t off)
{
	const char *s = btf__name_by_offset(btf, off);
	return s ? s : "";
}

const struct btf_type *obj_skip_mods(const struct btf *btf, uint32_t id, uint32_t *res)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	for (int i = 0; t && (btf_is_mod(t) || btf_is_typedef(t)); i++) {
		if (i >= MAX_LEVEL)
			return NULL;
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (res)
		*res = id;
	return t;
}

static int64_t rsize(const struct btf *btf, uint32_t id)
{
	return btf__resolve_size(btf, id);
}

/* The length of a name without its flavor: "task_struct___old" -> 11.  A
 * flavor starts at the last "___" that is preceded by something other than
 * '_' and followed by something other than '_'. */
static size_t ess_len(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = n >= 5 ? n - 4 : 0; i-- > 0;) {
		const char *s = name + i;
		if (s[0] != '_' && s[1] == '_' && s[2] == '_' && s[3] == '_' && s[4] != '_')
			return i + 1;
	}
	return n;
}

static bool ess_eq(const char *a, const char *b)
{
	size_t la = ess_len(a), lb = ess_len(b);
	return la == lb && !strncmp(a, b, la);
}

static const char *kind_word(const struct btf_type *t)
{
	if (!t)
		return "?";
	switch (btf_kind(t)) {
	case BTF_KIND_INT: return "int";
	case BTF_KIND_PTR: return "ptr";
	case BTF_KIND_ARRAY: return "array";
	case BTF_KIND_STRUCT: return "struct";
	case BTF_KIND_UNION: return "union";
	case BTF_KIND_ENUM: return "enum";
	case BTF_KIND_ENUM64: return "enum64";
	case BTF_KIND_FWD: return btf_kflag(t) ? "union (fwd)" : "struct (fwd)";
	case BTF_KIND_TYPEDEF: return "typedef";
	case BTF_KIND_VOLATILE: return "volatile";
	case BTF_KIND_CONST: return "const";
	case BTF_KIND_RESTRICT: return "restrict";
	case BTF_KIND_FUNC: return "func";
	case BTF_KIND_FUNC_PROTO: return "func_proto";
	case BTF_KIND_VAR: return "var";
	case BTF_KIND_DATASEC: return "datasec";
	case BTF_KIND_FLOAT: return "float";
	case BTF_KIND_DECL_TAG: return "decl_tag";
	case BTF_KIND_TYPE_TAG: return "type_tag";
	default: return "type";
	}
}

static uint32_t enum_name_off(const struct btf_type *t, uint32_t i)
{
	return btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
}

/* ---- compatibility rules ------------------------------------------------------------ */

/* Type-based relocations (and typed ksyms): kinds must agree (enum with
 * enum64), integers must not be the old bitfield-like ones, pointers and
 * arrays compare what they point to, function prototypes compare every
 * parameter and the return type.  Names below the root are ignored. */
static int types_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
			int level)
{
	const struct btf_type *lt = btf__type_by_id(lb, lid), *tt = btf__type_by_id(tb, tid);
	if (!lt || !tt)
		return -EINVAL;
	if (!btf_kind_core_compat(lt, tt))
		return 0;
	for (int depth = 0; depth < MAX_LEVEL; depth++) {
		lt = obj_skip_mods(lb, lid, &lid);
		tt = obj_skip_mods(tb, tid, &tid);
		if (!lt || !tt)
			return -EINVAL;
		if (!btf_kind_core_compat(lt, tt))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_UNKN:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_FWD:
		case BTF_KIND_ENUM64:
			return 1;
		case BTF_KIND_INT:
			return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
		case BTF_KIND_PTR:
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *lp = btf_params(lt), *tp = btf_params(tt);
			uint16_t n = btf_vlen(lt);
			if (n != btf_vlen(tt))
				return 0;
			for (uint16_t i = 0; i < n; i++) {
				if (level <= 0)
					return -EINVAL;
				uint32_t a, b;
				obj_skip_mods(lb, lp[i].type, &a);
				obj_skip_mods(tb, tp[i].type, &b);
				int r = types_compat(lb, a, tb, b, level - 1);
				if (r <= 0)
					return r;
			}
			obj_skip_mods(lb, lt->type, &lid);
			obj_skip_mods(tb, tt->type, &tid);
			continue;
		}
		default:
			return 0;
		}
	}
	return -EINVAL;
}

int obj_core_types_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid)
{
	return types_compat(lb, lid, tb, tid, MAX_LEVEL);
}

/* Field relocations: structs/unions are compatible with each other; other
 * kinds must agree; pointers and floats always match; fwd/enum names must
 * agree (flavors ignored) unless one is anonymous; ints must not be
 * bitfield-like; arrays compare element types. */
static int fields_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid)
{
	for (int depth = 0; depth < MAX_LEVEL; depth++) {
		const struct btf_type *lt = obj_skip_mods(lb, lid, &lid);
		const struct btf_type *tt = obj_skip_mods(tb, tid, &tid);
		if (!lt || !tt)
			return -EINVAL;
		if (btf_is_composite(lt) && btf_is_composite(tt))
			return 1;
		if (!btf_kind_core_compat(lt, tt))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_PTR:
		case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_FWD:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: {
			const char *ln = str(lb, lt->name_off), *tn = str(tb, tt->name_off);
			return !ess_len(ln) || !ess_len(tn) || ess_eq(ln, tn);
		}
		case BTF_KIND_INT:
			return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* Names for bpf_core_type_matches: equal once flavors are stripped; an
 * anonymous target matches only an anonymous local. */
static bool names_match(const struct btf *lb, uint32_t loff, const struct btf *tb, uint32_t toff)
{
	const char *ln = str(lb, loff), *tn = str(tb, toff);
	if (!*tn)
		return !*ln;
	return ess_eq(ln, tn);
}

static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       bool behind_ptr, int level);

static int enums_match(const struct btf *lb, const struct btf_type *lt, const struct btf *tb,
		       const struct btf_type *tt)
{
	uint16_t ln = btf_vlen(lt), tn = btf_vlen(tt);
	if (lt->size != tt->size || ln > tn)
		return 0;
	for (uint16_t i = 0; i < ln; i++) {
		bool m = false;
		for (uint16_t j = 0; j < tn && !m; j++)
			m = names_match(lb, enum_name_off(lt, i), tb, enum_name_off(tt, j));
		if (!m)
			return 0;
	}
	return 1;
}

static int composites_match(const struct btf *lb, const struct btf_type *lt, const struct btf *tb,
			    const struct btf_type *tt, bool behind_ptr, int level)
{
	const struct btf_member *lm = btf_members(lt);
	uint16_t ln = btf_vlen(lt), tn = btf_vlen(tt);
	if (ln > tn)
		return 0;
	for (uint16_t i = 0; i < ln; i++) {
		const struct btf_member *tm = btf_members(tt);
		bool m = false;
		for (uint16_t j = 0; j < tn && !m; j++) {
			if (!names_match(lb, lm[i].name_off, tb, tm[j].name_off))
				continue;
			int r = types_match(lb, lm[i].type, tb, tm[j].type, behind_ptr, level - 1);
			if (r < 0)
				return r;
			m = r > 0;
		}
		if (!m)
			return 0;
	}
	return 1;
}

/* bpf_core_type_matches: same kinds (a struct/union behind a pointer may be
 * a forward declaration of the same kind), ints of equal size and
 * signedness, enums whose every local enumerator exists by name with equal
 * sizes, structs whose every local member exists by name with a matching
 * type (only name and kind once behind a pointer), arrays of equal length,
 * prototypes with matching parameters and return type. */
static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       bool behind_ptr, int level)
{
	if (level <= 0)
		return -EINVAL;
	for (int depth = 0; depth < MAX_LEVEL; depth++) {
		const struct btf_type *lt = obj_skip_mods(lb, lid, &lid);
		const struct btf_type *tt = obj_skip_mods(tb, tid, &tid);
		if (!lt || !tt)
			return -EINVAL;
		if (!names_match(lb, lt->name_off, tb, tt->name_off))
			return 0;
		int lk = btf_kind(lt), tk = btf_kind(tt);
		switch (lk) {
		case BTF_KIND_UNKN:
			return lk == tk;
		case BTF_KIND_FWD: {
			bool lf = btf_kflag(lt);
			if (behind_ptr) {
				if (lk == tk)
					return lf == btf_kflag(tt);
				return (tk == BTF_KIND_STRUCT && !lf) || (tk == BTF_KIND_UNION && lf);
			}
			return lk == tk && lf == btf_kflag(tt);
		}
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			if (!btf_is_any_enum(tt))
				return 0;
			return enums_match(lb, lt, tb, tt);
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			if (behind_ptr) {
				if (lk == tk)
					return 1;
				if (tk != BTF_KIND_FWD)
					return 0;
				return (lk == BTF_KIND_UNION) == btf_kflag(tt);
			}
			if (lk != tk)
				return 0;
			return composites_match(lb, lt, tb, tt, behind_ptr, level);
		case BTF_KIND_INT:
			if (lk != tk)
				return 0;
			return lt->size == tt->size &&
			       (btf_int_encoding(lt) & BTF_INT_SIGNED) ==
				       (btf_int_encoding(tt) & BTF_INT_SIGNED);
		case BTF_KIND_PTR:
			if (lk != tk)
				return 0;
			behind_ptr = true;
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			if (lk != tk || btf_array(lt)->nelems != btf_array(tt)->nelems)
				return 0;
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO: {
			if (lk != tk || btf_vlen(lt) != btf_vlen(tt))
				return 0;
			const struct btf_param *lp = btf_params(lt), *tp = btf_params(tt);
			for (uint16_t i = 0; i < btf_vlen(lt); i++) {
				int r = types_match(lb, lp[i].type, tb, tp[i].type, behind_ptr, level - 1);
				if (r <= 0)
					return r;
			}
			lid = lt->type;
			tid = tt->type;
			continue;
		}
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- specs ----------------------------------------------------------------------------- */

/* An array accessor on the last member of a struct with 0 elements is a
 * flexible array: any index goes. */
static bool is_flex(const struct btf *btf, const struct acc *prev, const struct btf_array *arr)
{
	if (!prev->name || arr->nelems > 0)
		return false;
	const struct btf_type *t = btf__type_by_id(btf, prev->id);
	return t && btf_is_composite(t) && prev->idx == (uint32_t)btf_vlen(t) - 1;
}

static int parse_access(const char *s, struct spec *sp)
{
	if (!s || !*s || *s == ':')
		return -EINVAL;
	while (*s) {
		if (*s == ':')
			s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		uint64_t v = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (uint64_t)(*s++ - '0');
			if (v > INT32_MAX)
				return -EINVAL;
		}
		if (*s && *s != ':')
			return -EINVAL;
		if (sp->rlen == SPEC_MAX)
			return -E2BIG;
		sp->raw[sp->rlen++] = (uint32_t)v;
	}
	return sp->rlen ? 0 : -EINVAL;
}

/* The local spec of a record (libbpf's bpf_core_parse_spec). */
static int parse_spec(struct core_ctx *C, const struct btf *btf, uint32_t type_id,
		      const char *access, uint32_t kind, struct spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->btf = btf;
	sp->root = type_id;
	sp->kind = kind;
	if (!access || !*access || *access == ':') {
		snprintf(C->why, sizeof(C->why), "empty access string");
		return -EINVAL;
	}
	if (is_type_kind(kind)) {
		if (strcmp(access, "0")) {
			snprintf(C->why, sizeof(C->why), "type relocation with access string '%s' "
				 "(want \"0\")", access);
			return -EINVAL;
		}
		return 0;
	}
	int err = parse_access(access, sp);
	if (err) {
		snprintf(C->why, sizeof(C->why), "%s access string '%s'",
			 err == -E2BIG ? "too long an" : "malformed", access);
		return err;
	}
	uint32_t id;
	const struct btf_type *t = obj_skip_mods(btf, type_id, &id);
	if (!t) {
		snprintf(C->why, sizeof(C->why), "local type [%u] is not a type", type_id);
		return -EINVAL;
	}
	uint32_t idx = sp->raw[0];
	sp->a[0] = (struct acc){ id, idx, NULL };
	sp->len = 1;
	if (is_enum_kind(kind)) {
		if (!btf_is_any_enum(t) || sp->rlen > 1 || idx >= btf_vlen(t)) {
			snprintf(C->why, sizeof(C->why), "enum relocation '%s' does not name an "
				 "enumerator of [%u]", access, type_id);
			return -EINVAL;
		}
		sp->a[0].name = str(btf, enum_name_off(t, idx));
		return 0;
	}
	if (!is_field_kind(kind)) {
		snprintf(C->why, sizeof(C->why), "unknown relocation kind %u", kind);
		return -EINVAL;
	}
	int64_t sz = rsize(btf, id);
	if (sz < 0) {
		snprintf(C->why, sizeof(C->why), "local type [%u] has no size", id);
		return -EINVAL;
	}
	sp->bit_off = (uint32_t)((uint64_t)idx * (uint64_t)sz * 8);
	for (int i = 1; i < sp->rlen; i++) {
		t = obj_skip_mods(btf, id, &id);
		if (!t)
			return -EINVAL;
		idx = sp->raw[i];
		if (btf_is_composite(t)) {
			if (idx >= btf_vlen(t)) {
				snprintf(C->why, sizeof(C->why), "access '%s': member %u of a %u-member "
					 "%s", access, idx, btf_vlen(t), kind_word(t));
				return -EINVAL;
			}
			sp->bit_off += btf_member_bit_offset(t, idx);
			const struct btf_member *m = btf_members(t) + idx;
			if (m->name_off) {
				const char *name = str(btf, m->name_off);
				if (!*name)
					return -EINVAL;
				if (sp->len == SPEC_MAX)
					return -E2BIG;
				sp->a[sp->len++] = (struct acc){ id, idx, name };
			}
			id = m->type;
		} else if (btf_is_array(t)) {
			const struct btf_array *arr = btf_array(t);
			if (!obj_skip_mods(btf, arr->type, &id))
				return -EINVAL;
			bool flex = is_flex(btf, &sp->a[sp->len - 1], arr);
			if (!flex && idx >= arr->nelems) {
				snprintf(C->why, sizeof(C->why), "access '%s': index %u of a %u-element "
					 "array", access, idx, arr->nelems);
				return -EINVAL;
			}
			if (sp->len == SPEC_MAX)
				return -E2BIG;
			sp->a[sp->len++] = (struct acc){ id, idx, NULL };
			sz = rsize(btf, id);
			if (sz < 0)
				return -EINVAL;
			sp->bit_off += (uint32_t)((uint64_t)idx * (uint64_t)sz * 8);
		} else {
			snprintf(C->why, sizeof(C->why), "access '%s' goes into a %s (step %d)", access,
				 kind_word(t), i);
			return -EINVAL;
		}
	}
	return 0;
}

/* Find local accessor `la`'s member in target composite tid (through
 * anonymous members), extending the target spec.  1 found (and
 * compatible), 0 not, <0 error. */
static int match_member(const struct btf *lb, const struct acc *la, const struct btf *tb,
			uint32_t tid, struct spec *ts, uint32_t *next, int level)
{
	if (level <= 0)
		return -EINVAL;
	const struct btf_type *tt = obj_skip_mods(tb, tid, &tid);
	if (!tt)
		return -EINVAL;
	if (!btf_is_composite(tt))
		return 0;
	const struct btf_type *lt = btf__type_by_id(lb, la->id);
	if (!lt || !btf_is_composite(lt) || la->idx >= btf_vlen(lt))
		return -EINVAL;
	const struct btf_member *lm = btf_members(lt) + la->idx;
	const char *lname = str(lb, lm->name_off);
	const struct btf_member *m = btf_members(tt);
	for (uint16_t i = 0; i < btf_vlen(tt); i++, m++) {
		uint32_t bit = btf_member_bit_offset(tt, i);
		if (ts->rlen == SPEC_MAX)
			return -E2BIG;
		ts->bit_off += bit;
		ts->raw[ts->rlen++] = i;
		const char *tname = str(tb, m->name_off);
		if (!*tname) {
			int found = match_member(lb, la, tb, m->type, ts, next, level - 1);
			if (found)
				return found;
		} else if (!strcmp(lname, tname)) {
			if (ts->len == SPEC_MAX)
				return -E2BIG;
			ts->a[ts->len++] = (struct acc){ tid, i, tname };
			*next = m->type;
			int found = fields_compat(lb, lm->type, tb, m->type);
			if (!found)
				ts->len--;
			return found;
		}
		ts->bit_off -= bit;
		ts->rlen--;
	}
	return 0;
}

/* Match the local spec against candidate tid: 1 and the target spec, 0 no
 * match, <0 error. */
static int spec_match(const struct spec *ls, const struct btf *tb, uint32_t tid, struct spec *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->btf = tb;
	ts->root = tid;
	ts->kind = ls->kind;
	if (is_type_kind(ls->kind)) {
		if (ls->kind == BPFBOX_CORE_TYPE_MATCHES)
			return types_match(ls->btf, ls->root, tb, tid, false, MAX_LEVEL);
		return types_compat(ls->btf, ls->root, tb, tid, MAX_LEVEL);
	}
	if (is_enum_kind(ls->kind)) {
		const struct btf_type *tt = obj_skip_mods(tb, tid, &tid);
		if (!tt || !btf_is_any_enum(tt))
			return 0;
		for (uint16_t i = 0; i < btf_vlen(tt); i++) {
			const char *n = str(tb, enum_name_off(tt, i));
			if (ess_eq(ls->a[0].name, n)) {
				ts->a[0] = (struct acc){ tid, i, n };
				ts->len = 1;
				ts->raw[0] = i;
				ts->rlen = 1;
				return 1;
			}
		}
		return 0;
	}
	if (!is_field_kind(ls->kind))
		return -EINVAL;
	for (int i = 0; i < ls->len; i++) {
		const struct acc *la = &ls->a[i];
		const struct btf_type *tt = obj_skip_mods(tb, tid, &tid);
		if (!tt)
			return -EINVAL;
		if (la->name) {
			int m = match_member(ls->btf, la, tb, tid, ts, &tid, MAX_LEVEL);
			if (m <= 0)
				return m;
			continue;
		}
		if (i > 0) {
			if (!btf_is_array(tt))
				return 0;
			const struct btf_array *arr = btf_array(tt);
			bool flex = is_flex(tb, &ts->a[ts->len - 1], arr);
			if (!flex && la->idx >= arr->nelems)
				return 0;
			if (!obj_skip_mods(tb, arr->type, &tid))
				return -EINVAL;
		}
		if (ts->rlen == SPEC_MAX || ts->len == SPEC_MAX)
			return -E2BIG;
		ts->a[ts->len++] = (struct acc){ tid, la->idx, NULL };
		ts->raw[ts->rlen++] = la->idx;
		int64_t sz = rsize(tb, tid);
		if (sz < 0)
			return (int)sz;
		ts->bit_off += (uint32_t)((uint64_t)la->idx * (uint64_t)sz * 8);
	}
	return 1;
}

/* ---- values ------------------------------------------------------------------------------ */

#define POISON 1 /* internal: "poison the instruction" (libbpf's -EUCLEAN) */

static int calc_field(struct core_ctx *C, uint32_t kind, const struct spec *sp, uint64_t *val,
		      uint32_t *fsz, uint32_t *ftid, bool *validate)
{
	*fsz = 0;
	if (kind == BPFBOX_CORE_FIELD_EXISTS) {
		*val = sp ? 1 : 0;
		return 0;
	}
	if (!sp)
		return POISON;
	const struct acc *a = &sp->a[sp->len - 1];
	const struct btf_type *t = btf__type_by_id(sp->btf, a->id);
	if (!t)
		return -EINVAL;
	if (!a->name) { /* an array element (or the root) */
		int64_t sz = rsize(sp->btf, a->id);
		if (sz < 0)
			return -EINVAL;
		if (kind == BPFBOX_CORE_FIELD_BYTE_OFFSET) {
			*val = sp->bit_off / 8;
			*fsz = (uint32_t)sz;
			*ftid = a->id;
		} else if (kind == BPFBOX_CORE_FIELD_BYTE_SIZE) {
			*val = (uint64_t)sz;
		} else {
			snprintf(C->why, sizeof(C->why), "%s cannot apply to an array element",
				 bpfbox_core_kind__name((int)kind));
			return -EINVAL;
		}
		if (validate)
			*validate = true;
		return 0;
	}
	if (!btf_is_composite(t) || a->idx >= btf_vlen(t))
		return -EINVAL;
	const struct btf_member *m = btf_members(t) + a->idx;
	uint32_t mid;
	const struct btf_type *mt = obj_skip_mods(sp->btf, m->type, &mid);
	if (!mt)
		return -EINVAL;
	uint32_t bit_off = sp->bit_off, bit_sz = btf_member_bitfield_size(t, a->idx);
	uint32_t byte_off, byte_sz;
	bool bitfield = bit_sz > 0;
	if (bitfield) {
		byte_sz = mt->size;
		if (!byte_sz || byte_sz > 8)
			return -EINVAL;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		/* the smallest load (1, 2, 4, 8 bytes) that holds the bits */
		while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8) {
				snprintf(C->why, sizeof(C->why), "bitfield cannot be read with a 64-bit "
					 "load");
				return -E2BIG;
			}
			byte_sz *= 2;
			byte_off = bit_off / 8 / byte_sz * byte_sz;
		}
	} else {
		int64_t sz = rsize(sp->btf, mid);
		if (sz < 0)
			return -EINVAL;
		byte_sz = (uint32_t)sz;
		byte_off = sp->bit_off / 8;
		bit_sz = byte_sz * 8;
	}
	/* bitfield offsets and sizes are the compiler's choice: only
	 * signedness and the right shift are checked for them */
	if (validate)
		*validate = !bitfield;
	switch (kind) {
	case BPFBOX_CORE_FIELD_BYTE_OFFSET:
		*val = byte_off;
		if (!bitfield) {
			*fsz = byte_sz;
			*ftid = mid;
		}
		break;
	case BPFBOX_CORE_FIELD_BYTE_SIZE:
		*val = byte_sz;
		break;
	case BPFBOX_CORE_FIELD_SIGNED:
		*val = (btf_is_any_enum(mt) && btf_kflag(mt)) ||
		       (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
		if (validate)
			*validate = true;
		break;
	case BPFBOX_CORE_FIELD_LSHIFT_U64:
		*val = 64 - (bit_off + bit_sz - byte_off * 8); /* little-endian */
		break;
	case BPFBOX_CORE_FIELD_RSHIFT_U64:
		*val = 64 - bit_sz;
		if (validate)
			*validate = true;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int calc_type(uint32_t kind, const struct spec *sp, uint64_t *val, bool *validate)
{
	if (validate)
		*validate = true;
	if (!sp) {
		*val = 0;
		return 0;
	}
	switch (kind) {
	case BPFBOX_CORE_TYPE_ID_TARGET:
		*val = sp->root;
		if (validate)
			*validate = false; /* ids change while linking: not checked */
		return 0;
	case BPFBOX_CORE_TYPE_EXISTS:
	case BPFBOX_CORE_TYPE_MATCHES:
		*val = 1;
		return 0;
	case BPFBOX_CORE_TYPE_SIZE: {
		int64_t sz = rsize(sp->btf, sp->root);
		if (sz < 0)
			return -EINVAL;
		*val = (uint64_t)sz;
		return 0;
	}
	default:
		return -EOPNOTSUPP;
	}
}

static int calc_enum(uint32_t kind, const struct spec *sp, uint64_t *val)
{
	if (kind == BPFBOX_CORE_ENUMVAL_EXISTS) {
		*val = sp ? 1 : 0;
		return 0;
	}
	if (kind != BPFBOX_CORE_ENUMVAL_VALUE)
		return -EOPNOTSUPP;
	if (!sp)
		return POISON;
	const struct btf_type *t = btf__type_by_id(sp->btf, sp->a[0].id);
	if (!t || !btf_is_any_enum(t) || sp->a[0].idx >= btf_vlen(t))
		return -EINVAL;
	if (btf_is_enum(t))
		*val = (uint64_t)(int64_t)btf_enum(t)[sp->a[0].idx].val; /* sign-extended, as libbpf */
	else
		*val = btf_enum64_value(btf_enum64(t) + sp->a[0].idx);
	return 0;
}

/* Original and new values for one candidate (targ) or none (NULL). */
static int calc_relo(struct core_ctx *C, uint32_t kind, const struct spec *ls,
		     const struct spec *ts, struct res *r)
{
	memset(r, 0, sizeof(*r));
	r->validate = true;
	int err = -EOPNOTSUPP;
	if (is_field_kind(kind)) {
		err = calc_field(C, kind, ls, &r->orig, &r->orig_sz, &r->orig_tid, &r->validate);
		if (!err)
			err = calc_field(C, kind, ts, &r->val, &r->new_sz, &r->new_tid, NULL);
		if (!err && r->orig_sz != r->new_sz) {
			/* a resized field may be read with the new size only when
			 * the value is a pointer or an unsigned integer (zero
			 * extension keeps it right) */
			const struct btf_type *ot = btf__type_by_id(ls->btf, r->orig_tid);
			const struct btf_type *nt = btf__type_by_id(ts->btf, r->new_tid);
			bool ok = (ot && nt && btf_is_ptr(ot) && btf_is_ptr(nt)) ||
				  (ot && nt && btf_is_int(ot) && btf_is_int(nt) &&
				   btf_int_encoding(ot) != BTF_INT_SIGNED &&
				   btf_int_encoding(nt) != BTF_INT_SIGNED);
			r->bad_memsz = !ok;
		}
	} else if (is_type_kind(kind)) {
		err = calc_type(kind, ls, &r->orig, &r->validate);
		if (!err)
			err = calc_type(kind, ts, &r->val, NULL);
	} else if (is_enum_kind(kind)) {
		err = calc_enum(kind, ls, &r->orig);
		if (!err)
			err = calc_enum(kind, ts, &r->val);
	}
	if (err == POISON) {
		r->poison = true;
		err = 0;
	} else if (err == -EOPNOTSUPP) {
		snprintf(C->why, sizeof(C->why), "unrecognized CO-RE relocation kind %u", kind);
	}
	return err;
}

/* ---- candidates ------------------------------------------------------------------------- */

static int add_cands(struct bpfbox_object *obj, struct cands *cl, const struct btf_type *lt,
		     const char *lname, const struct btf *tb, uint32_t start)
{
	size_t ll = ess_len(lname);
	uint32_t n = btf__type_cnt(tb);
	for (uint32_t id = start; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(tb, id);
		if (!t || !btf_kind_core_compat(t, lt))
			continue;
		const char *tn = str(tb, t->name_off);
		if (!*tn || ess_len(tn) != ll || strncmp(tn, lname, ll))
			continue;
		if (obj_grow(obj, (void **)&cl->c, &cl->cap, cl->n + 1, sizeof(*cl->c)))
			return -ENOMEM;
		cl->c[cl->n++] = (struct cand){ tb, id };
	}
	return 0;
}

/* Module BTFs of the running kernel (split on vmlinux), loaded once. */
static void load_modules(struct bpfbox_object *obj)
{
	if (obj->mods_loaded)
		return;
	obj->mods_loaded = true;
	if (!obj->targ_own || obj->btf_path)
		return;
	DIR *d = opendir("/sys/kernel/btf");
	if (!d)
		return;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		struct btf *b = btf__parse_split(path, obj->targ_own);
		if (libbpf_get_error(b) || !b)
			continue;
		if (obj_grow(obj, (void **)&obj->mods, &cap, obj->nmods + 1, sizeof(*obj->mods))) {
			btf__free(b);
			break;
		}
		obj->mods[obj->nmods++] = b;
	}
	closedir(d);
}

static struct cands *find_cands(struct core_ctx *C, uint32_t local_id, int *err)
{
	for (size_t i = 0; i < C->ncache; i++)
		if (C->cache[i].local_id == local_id)
			return &C->cache[i];
	struct bpfbox_object *obj = C->obj;
	const struct btf_type *lt = btf__type_by_id(C->local, local_id);
	const char *lname = lt ? str(C->local, lt->name_off) : "";
	if (!lt || !*lname) {
		*err = -EINVAL;
		return NULL;
	}
	if (obj_grow(obj, (void **)&C->cache, &C->cap, C->ncache + 1, sizeof(*C->cache))) {
		*err = -ENOMEM;
		return NULL;
	}
	struct cands *cl = &C->cache[C->ncache++];
	memset(cl, 0, sizeof(*cl));
	cl->local_id = local_id;
	*err = add_cands(obj, cl, lt, lname, obj->targ, 1);
	if (!*err && !cl->n && obj->targ == obj->targ_own && obj->targ_own) {
		load_modules(obj);
		for (size_t m = 0; m < obj->nmods && !*err; m++)
			*err = add_cands(obj, cl, lt, lname, obj->mods[m],
					 btf__type_cnt(obj->targ_own));
	}
	cl->found = cl->n;
	return *err ? NULL : cl;
}

/* ---- describing ------------------------------------------------------------------------- */

/* "struct task_struct.real_parent", "struct foo[1].arr[3]", "enum e::X",
 * "typedef pid_t" */
static void describe(const struct spec *sp, char *buf, size_t size)
{
	const struct btf_type *rt = btf__type_by_id(sp->btf, sp->root);
	const char *rn = rt ? str(sp->btf, rt->name_off) : "";
	int n = snprintf(buf, size, "%s %s", kind_word(rt), *rn ? rn : "<anon>");
	if (n < 0 || (size_t)n >= size)
		return;
	size_t at = (size_t)n;
	if (is_type_kind(sp->kind))
		return;
	if (is_enum_kind(sp->kind)) {
		snprintf(buf + at, size - at, "::%s", sp->a[0].name ? sp->a[0].name : "?");
		return;
	}
	for (int i = 0; i < sp->len && at < size; i++) {
		const struct acc *a = &sp->a[i];
		if (a->name)
			n = snprintf(buf + at, size - at, ".%s", a->name);
		else if (i == 0 && a->idx == 0)
			n = 0;
		else
			n = snprintf(buf + at, size - at, "[%u]", a->idx);
		if (n < 0)
			return;
		at += (size_t)n;
	}
}

/* ---- resolving a record ----------------------------------------------------------------- */

/* libbpf's bpf_core_calc_relo_insn: 0 and *out (maybe poisoned), or an
 * error (the object is refused) with C->why. */
static int resolve(struct core_ctx *C, const struct obj_core_rec *rec, const char *access,
		   struct spec *ls, struct res *out, uint32_t *targ_id)
{
	const struct btf *lb = C->local;
	*targ_id = 0;
	const struct btf_type *lt = btf__type_by_id(lb, rec->type_id);
	if (!lt) {
		snprintf(C->why, sizeof(C->why), "local type [%u] does not exist", rec->type_id);
		return -EINVAL;
	}
	const char *lname = btf__name_by_offset(lb, lt->name_off);
	if (!lname)
		return -EINVAL;
	C->why[0] = 0;
	int err = parse_spec(C, lb, rec->type_id, access, rec->kind, ls);
	if (err) {
		if (!C->why[0])
			snprintf(C->why, sizeof(C->why), "cannot parse access '%s' of [%u]",
				 access ? access : "", rec->type_id);
		return -EINVAL;
	}
	if (rec->kind == BPFBOX_CORE_TYPE_ID_LOCAL) {
		memset(out, 0, sizeof(*out));
		out->orig = out->val = ls->root;
		return 0;
	}
	if (!*lname) {
		snprintf(C->why, sizeof(C->why), "<%s> relocation on an anonymous type (no name to "
			 "look up)", bpfbox_core_kind__name((int)rec->kind));
		return -EOPNOTSUPP;
	}
	struct cands *cl = find_cands(C, rec->type_id, &err);
	if (!cl) {
		snprintf(C->why, sizeof(C->why), "candidate search for %s '%s' failed (%s)",
			 kind_word(lt), lname, strerror(-err));
		return err;
	}
	struct spec cs, ts;
	struct res cr;
	size_t j = 0;
	for (size_t i = 0; i < cl->n; i++) {
		int m = spec_match(ls, cl->c[i].btf, cl->c[i].id, &cs);
		if (m < 0) {
			snprintf(C->why, sizeof(C->why), "matching candidate [%u] failed (%s)",
				 cl->c[i].id, strerror(-m));
			return m;
		}
		if (!m)
			continue;
		if ((err = calc_relo(C, rec->kind, ls, &cs, &cr)))
			return err;
		if (j == 0) {
			*out = cr;
			ts = cs;
			*targ_id = cl->c[i].id;
		} else if (cs.bit_off != ts.bit_off) {
			snprintf(C->why, sizeof(C->why), "field offset ambiguity: candidates [%u] and "
				 "[%u] give bit offsets %u and %u", *targ_id, cl->c[i].id, ts.bit_off,
				 cs.bit_off);
			return -EINVAL;
		} else if (cr.poison != out->poison || cr.val != out->val) {
			snprintf(C->why, sizeof(C->why), "relocation decision ambiguity: candidates "
				 "[%u] and [%u] give %llu and %llu", *targ_id, cl->c[i].id,
				 (unsigned long long)out->val, (unsigned long long)cr.val);
			return -EINVAL;
		}
		cl->c[j++] = cl->c[i];
	}
	/* matching candidates replace the list (libbpf prunes its cache the
	 * same way); with none the list stays for the next relocation */
	if (j > 0) {
		cl->n = j;
		return 0;
	}
	if ((err = calc_relo(C, rec->kind, ls, NULL, out)))
		return err;
	if (out->poison) {
		char d[200];
		describe(ls, d, sizeof(d));
		if (!cl->found)
			snprintf(C->why, sizeof(C->why), "the target BTF has no %s named '%.*s'",
				 kind_word(lt), (int)ess_len(lname), lname);
		else
			snprintf(C->why, sizeof(C->why), "none of the target's %zu type(s) named "
				 "'%.*s' has a compatible %s", cl->found, (int)ess_len(lname), lname,
				 is_enum_kind(rec->kind) ? "enumerator" : "field for this access");
	}
	return 0;
}

/* ---- patching ------------------------------------------------------------------------------ */

static void poison_insn(struct bpfbox_insn *in)
{
	in->code = 0x85; /* BPF_JMP | BPF_CALL */
	in->dst = 0;
	in->src = 0;
	in->off = 0;
	in->imm = (int32_t)BPFBOX_CORE_POISON;
}

static int size_bytes(uint8_t code)
{
	switch (code & 0x18) {
	case 0x18: return 8;
	case 0x00: return 4;
	case 0x08: return 2;
	default: return 1;
	}
}

static int size_code(uint32_t bytes)
{
	switch (bytes) {
	case 8: return 0x18;
	case 4: return 0x00;
	case 2: return 0x08;
	case 1: return 0x10;
	default: return -1;
	}
}

/* Patch the instruction at in[0] (in[1] exists when room > 1): libbpf's
 * bpf_core_patch_insn.  0, or -EINVAL/-ERANGE with C->why. */
static int patch(struct core_ctx *C, struct bpfbox_insn *in, size_t room, struct res *r)
{
	if (r->poison) {
poison:
		if (in->code == OP_LDDW && room > 1)
			poison_insn(in + 1);
		poison_insn(in);
		r->poison = true;
		return 0;
	}
	uint64_t orig = r->orig, val = r->val;
	switch (CLS(in->code)) {
	case CLS_ALU:
	case CLS_ALU64:
		if ((in->code & 0x08) != SRC_K) {
			snprintf(C->why, sizeof(C->why), "relocated ALU instruction uses a register, "
				 "not an immediate");
			return -EINVAL;
		}
		if (r->validate && (uint64_t)(int64_t)in->imm != orig) {
			snprintf(C->why, sizeof(C->why), "unexpected immediate %d (ALU), expected %llu",
				 in->imm, (unsigned long long)orig);
			return -EINVAL;
		}
		in->imm = (int32_t)val;
		return 0;
	case CLS_LDX:
	case CLS_ST:
	case CLS_STX:
		if (r->validate && (uint64_t)(int64_t)in->off != orig) {
			snprintf(C->why, sizeof(C->why), "unexpected offset %d (LDX/ST/STX), expected "
				 "%llu", in->off, (unsigned long long)orig);
			return -EINVAL;
		}
		if (val > INT16_MAX) {
			snprintf(C->why, sizeof(C->why), "offset %llu does not fit an instruction",
				 (unsigned long long)val);
			return -ERANGE;
		}
		if (r->bad_memsz) {
			snprintf(C->why, sizeof(C->why), "the field changed size (%u -> %u bytes) and "
				 "is neither a pointer nor an unsigned integer", r->orig_sz, r->new_sz);
			goto poison;
		}
		in->off = (int16_t)val;
		if (r->new_sz != r->orig_sz) {
			if (size_bytes(in->code) != (int)r->orig_sz) {
				snprintf(C->why, sizeof(C->why), "access of %d bytes, expected %u",
					 size_bytes(in->code), r->orig_sz);
				return -EINVAL;
			}
			int sc = size_code(r->new_sz);
			if (sc < 0) {
				snprintf(C->why, sizeof(C->why), "new access size %u", r->new_sz);
				return -EINVAL;
			}
			in->code = (uint8_t)((in->code & ~0x18) | sc);
		}
		return 0;
	case CLS_LD: {
		if (in->code != OP_LDDW || room < 2 || in[0].src || in[0].off || in[1].code ||
		    in[1].dst || in[1].src || in[1].off) {
			snprintf(C->why, sizeof(C->why), "relocated lddw has an unexpected form");
			return -EINVAL;
		}
		uint64_t imm = (uint32_t)in[0].imm | ((uint64_t)(uint32_t)in[1].imm << 32);
		if (r->validate && imm != orig) {
			snprintf(C->why, sizeof(C->why), "unexpected lddw value %llu, expected %llu",
				 (unsigned long long)imm, (unsigned long long)orig);
			return -EINVAL;
		}
		in[0].imm = (int32_t)(uint32_t)val;
		in[1].imm = (int32_t)(uint32_t)(val >> 32);
		return 0;
	}
	default:
		snprintf(C->why, sizeof(C->why), "relocation on an instruction it cannot change "
			 "(opcode 0x%02x)", in->code);
		return -EINVAL;
	}
}

/* ---- the target BTF ------------------------------------------------------------------------ */

int obj_target_btf(struct bpfbox_object *obj, const struct btf **out)
{
	if (obj->targ) {
		*out = obj->targ;
		return 0;
	}
	if (obj->btf_given) {
		obj->targ = obj->btf_given;
		obj->targ_name = obj_strdup(obj, "the given target BTF");
	} else if (obj->btf_path) {
		struct btf *b = btf__parse(obj->btf_path, NULL);
		long e = libbpf_get_error(b);
		if (e || !b)
			return obj_err(obj, e == -ENOENT ? -ENOENT : -EINVAL,
				       "target BTF %s: cannot read it (%s)", obj->btf_path,
				       strerror(e ? (int)-e : EINVAL));
		obj->targ_own = b;
		obj->targ = b;
		obj->targ_name = obj_strdup(obj, obj->btf_path);
	} else {
		struct btf *b = btf__parse(KERNEL_BTF, NULL);
		if (libbpf_get_error(b) || !b) {
			/* no kernel BTF: the object's own types stand in, so
			 * relocations keep the values the compiler chose */
			if (!obj->btf)
				return obj_err(obj, -EINVAL, "CO-RE needs BTF and the object has none");
			obj->targ = obj->btf;
			obj->targ_name = obj_strdup(obj, "the object's own BTF");
			bpfbox_log__printf(obj->log, BPFBOX_LOG_INFO,
					   "object %s: no %s: CO-RE relocations resolved against the "
					   "object's own types", obj->name, KERNEL_BTF);
		} else {
			obj->targ_own = b;
			obj->targ = b;
			obj->targ_name = obj_strdup(obj, KERNEL_BTF);
		}
	}
	if (!obj->targ_name)
		return -ENOMEM;
	*out = obj->targ;
	return 0;
}

void obj_free_core(struct bpfbox_object *obj)
{
	for (size_t i = 0; i < obj->ncore; i++) {
		struct obj_core_rec *r = &obj->core[i];
		if (r->spec)
			obj_free(obj, r->spec, strlen(r->spec) + 1);
		if (r->why)
			obj_free(obj, r->why, strlen(r->why) + 1);
	}
	obj_free(obj, obj->core, 0);
	obj->core = NULL;
	obj->ncore = 0;
	for (size_t i = 0; i < obj->nmods; i++)
		btf__free(obj->mods[i]);
	obj_free(obj, obj->mods, 0);
	obj->mods = NULL;
	obj->nmods = 0;
	if (obj->targ_own)
		btf__free(obj->targ_own);
	obj->targ_own = NULL;
	obj->targ = NULL;
	if (obj->targ_name)
		obj_free(obj, obj->targ_name, strlen(obj->targ_name) + 1);
	obj->targ_name = NULL;
}

/* ---- the pass ---------------------------------------------------------------------------------- */

#define BTF_EXT_MAGIC 0xeB9F
#define CORE_REC_MIN 16

/* Read every record of the CO-RE table into obj->core (resolved later). */
static int read_records(struct bpfbox_object *obj, struct cursor *tc, size_t *cap)
{
	uint32_t rec_size = cursor_le32(tc);
	if (tc->bad || rec_size < CORE_REC_MIN || rec_size > 256)
		return obj_err(obj, -EINVAL, "malformed .BTF.ext: CO-RE record size %u", rec_size);
	while (cursor_left(tc)) {
		uint32_t name_off = cursor_le32(tc);
		uint32_t num = cursor_le32(tc);
		if (tc->bad)
			return obj_err(obj, -EINVAL, "malformed .BTF.ext: truncated CO-RE block");
		if (!num || num > cursor_left(tc) / rec_size)
			return obj_err(obj, -EINVAL, "malformed .BTF.ext: CO-RE block of %u records does "
				       "not fit (%zu bytes left)", num, cursor_left(tc));
		const char *sec = btf__name_by_offset(obj->btf, name_off);
		if (!sec || !*sec)
			return obj_err(obj, -EINVAL, "malformed .BTF.ext: CO-RE block names string %u",
				       name_off);
		for (uint32_t i = 0; i < num; i++) {
			struct cursor rc = cursor_make(cursor_take(tc, rec_size), rec_size);
			if (obj_grow(obj, (void **)&obj->core, cap, obj->ncore + 1, sizeof(*obj->core)))
				return -ENOMEM;
			struct obj_core_rec *r = &obj->core[obj->ncore++];
			r->sec = sec;
			r->index = i;
			r->insn_off = cursor_le32(&rc);
			r->type_id = cursor_le32(&rc);
			uint32_t access = cursor_le32(&rc);
			r->kind = cursor_le32(&rc);
			if (r->insn_off % 8)
				return obj_err(obj, -EINVAL, "CO-RE relocation #%u in '%s': offset %u is not "
					       "an instruction", i, sec, r->insn_off);
			/* keep the access string's offset in `orig` until resolved */
			r->orig = access;
		}
	}
	return 0;
}

static int add_at(struct bpfbox_object *obj, struct bpfbox_obj_prog *p, size_t insn, uint32_t rec,
		  bool lddw)
{
	if (obj_grow(obj, (void **)&p->core, &p->core_cap, p->ncore + 1, sizeof(*p->core)))
		return -ENOMEM;
	p->core[p->ncore].insn = insn;
	p->core[p->ncore].rec = rec;
	p->core[p->ncore].lddw = lddw;
	p->ncore++;
	return 0;
}

static int cmp_at(const void *a, const void *b)
{
	const struct obj_core_at *x = a, *y = b;
	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

int obj_core(struct bpfbox_object *obj)
{
	if (!obj->btf_ext || !obj->btf)
		return 0;
	struct cursor c = cursor_make(obj->btf_ext, obj->btf_ext_size);
	(void)cursor_le16(&c); /* magic and version were checked by obj_btf_ext */
	(void)cursor_u8(&c);
	(void)cursor_u8(&c);
	uint32_t hdr_len = cursor_le32(&c);
	if (c.bad || hdr_len < 32)
		return 0; /* no CO-RE table in this header */
	for (int i = 0; i < 4; i++)
		(void)cursor_le32(&c);
	uint32_t off = cursor_le32(&c), len = cursor_le32(&c);
	if (c.bad || !len)
		return 0;
	uint64_t start = (uint64_t)hdr_len + off;
	if (start > obj->btf_ext_size || len > obj->btf_ext_size - start)
		return obj_err(obj, -EINVAL, "malformed .BTF.ext: CO-RE table [%llu, +%u) is outside "
			       "the section (%zu bytes)", (unsigned long long)start, len,
			       obj->btf_ext_size);
	struct cursor tc = cursor_make(obj->btf_ext + start, len);
	size_t cap = 0;
	int err = read_records(obj, &tc, &cap);
	if (err || !obj->ncore)
		return err;
	const struct btf *targ;
	if ((err = obj_target_btf(obj, &targ)))
		return err;
	struct core_ctx C = { .obj = obj, .local = obj->btf };
	struct spec *ls = obj_calloc(obj, 1, sizeof(*ls));
	if (!ls)
		return -ENOMEM;
	for (size_t k = 0; k < obj->ncore && !err; k++) {
		struct obj_core_rec *r = &obj->core[k];
		const char *access = btf__name_by_offset(obj->btf, (uint32_t)r->orig);
		struct res res;
		uint32_t tid = 0;
		C.why[0] = 0;
		err = resolve(&C, r, access, ls, &res, &tid);
		if (err) {
			err = obj_err(obj, err < 0 ? err : -EINVAL, "CO-RE relocation #%u in '%s' (insn "
				      "%u, <%s> [%u] access '%s'): %s", r->index, r->sec,
				      r->insn_off / 8, bpfbox_core_kind__name((int)r->kind),
				      r->type_id, access ? access : "?",
				      C.why[0] ? C.why : strerror(-err));
			break;
		}
		char d[256], rwhy[sizeof(C.why)];
		describe(ls, d, sizeof(d));
		snprintf(rwhy, sizeof(rwhy), "%s", C.why); /* why it is poisoned, if it is */
		r->spec = obj_strdup(obj, d);
		r->targ_id = tid;
		r->orig = res.orig;
		r->val = res.poison ? 0 : res.val;
		if (!r->spec) {
			err = -ENOMEM;
			break;
		}
		/* every linked copy of the instruction */
		bool poisoned = res.poison;
		for (size_t pi = 0; pi < obj->nprogs && !err; pi++) {
			struct bpfbox_obj_prog *p = obj->progs[pi];
			for (size_t q = 0; q < p->npieces && !err; q++) {
				const struct obj_piece *pc = &p->pieces[q];
				if (strcmp(obj->secs[pc->sec].name, r->sec) || r->insn_off < pc->start ||
				    r->insn_off - pc->start >= pc->size)
					continue;
				size_t slot = pc->pos + (size_t)((r->insn_off - pc->start) / 8);
				struct res pr = res;
				bool lddw = p->insns[slot].code == OP_LDDW;
				C.why[0] = 0;
				err = patch(&C, &p->insns[slot], p->n - slot, &pr);
				if (err) {
					err = obj_err(obj, err, "program '%s': CO-RE relocation #%u in '%s' "
						      "(%s of %s) cannot patch insn %zu: %s", p->name,
						      r->index, r->sec,
						      bpfbox_core_kind__name((int)r->kind), d, slot, C.why);
					break;
				}
				if (pr.poison && !res.poison) {
					/* a size change the instruction cannot take */
					poisoned = true;
					snprintf(rwhy, sizeof(rwhy), "%s", C.why);
				}
				if ((err = add_at(obj, p, slot, (uint32_t)k, lddw)))
					break;
			}
		}
		if (poisoned) {
			r->poison = true;
			r->val = 0;
			r->why = obj_strdup(obj, rwhy[0] ? rwhy : "no match in the target BTF");
			if (!r->why)
				err = -ENOMEM;
		}
	}
	obj_free(obj, ls, sizeof(*ls));
	for (size_t i = 0; i < C.ncache; i++)
		obj_free(obj, C.cache[i].c, C.cache[i].cap * sizeof(struct cand));
	obj_free(obj, C.cache, C.cap * sizeof(*C.cache));
	for (size_t pi = 0; pi < obj->nprogs; pi++) {
		struct bpfbox_obj_prog *p = obj->progs[pi];
		if (p->ncore > 1)
			qsort(p->core, p->ncore, sizeof(*p->core), cmp_at);
	}
	return err;
}

/* ---- public getters ---------------------------------------------------------------------- */

BPFBOX_API const struct btf *bpfbox_object__target_btf(const struct bpfbox_object *obj,
							const char **name)
{
	if (name)
		*name = obj && obj->targ_name ? obj->targ_name : "";
	return obj ? obj->targ : NULL;
}

BPFBOX_API size_t bpfbox_obj_prog__core_relo_count(const struct bpfbox_obj_prog *p)
{
	return p ? p->ncore : 0;
}

BPFBOX_API int bpfbox_obj_prog__core_relo(const struct bpfbox_obj_prog *p, size_t i,
					  struct bpfbox_obj_core_relo *out)
{
	if (!p || i >= p->ncore || !out)
		return -ENOENT;
	const struct obj_core_rec *r = &p->obj->core[p->core[i].rec];
	out->insn = p->core[i].insn;
	out->section = r->sec;
	out->index = r->index;
	out->kind = (int)r->kind;
	out->spec = r->spec ? r->spec : "";
	out->local_type_id = r->type_id;
	out->target_type_id = r->targ_id;
	out->orig_val = r->orig;
	out->new_val = r->val;
	out->poisoned = r->poison;
	out->why = r->why ? r->why : "";
	return 0;
}

const char *obj_poison_note(const struct bpfbox_obj_prog *p, size_t insn, char *buf, size_t sz)
{
	const struct bpfbox_object *obj = p->obj;
	for (size_t i = 0; i < p->ncore; i++) {
		const struct obj_core_at *at = &p->core[i];
		const struct obj_core_rec *r = &obj->core[at->rec];
		/* an lddw poisons two slots: the note covers both */
		if (!r->poison || (at->insn != insn && !(at->lddw && at->insn + 1 == insn)))
			continue;
		snprintf(buf, sz, "CO-RE relocation #%u in '%s' (%s of %s) could not be resolved "
			 "against %s: %s", r->index, r->sec, bpfbox_core_kind__name((int)r->kind),
			 r->spec ? r->spec : "?", obj->targ_name ? obj->targ_name : "the target BTF",
			 r->why ? r->why : "no match");
		return buf;
	}
	/* a call of a kernel function (link.c poisons those) */
	struct bpfbox_obj_reloc rel;
	if (insn < p->n && p->insns[insn].code == 0x85 &&
	    p->insns[insn].imm == (int32_t)BPFBOX_CORE_POISON &&
	    !bpfbox_obj_prog__reloc(p, insn, &rel) && rel.kind == BPFBOX_RELOC_EXTERN) {
		snprintf(buf, sz, "call of kernel function '%s' (a __ksym extern): bpfbox has no "
			 "kernel functions", rel.symbol);
		return buf;
	}
	return NULL;
}

BPFBOX_API const char *bpfbox_obj_prog__poison_note(const struct bpfbox_obj_prog *p, size_t insn,
						    char *buf, size_t size)
{
	if (!p || !buf || !size || insn >= p->n)
		return NULL;
	return obj_poison_note(p, insn, buf, size);
}
