/* bpfbox — hooks/output.c: print what programs send to user space.
 *
 * Programs report through ring buffers (bpf_ringbuf_output/reserve+submit)
 * and perf event arrays (bpf_perf_event_output).  While a hook runs,
 * `bpfbox trace` and `bpfbox xdp` drain both after every event, so the
 * records appear in order with the traced command's own output.
 *
 * A record is bytes; what they mean is a C struct in the program's source.
 * The object's BTF has that struct but nothing links it to the map (the
 * kernel's ring buffers carry no value type), so the type is chosen:
 *  - by name, when the user says --record-type NAME, in the object's BTF or
 *    in one the caller supplies (record_btf: e.g. a struct the user wrote
 *    down, compiled — objects built without -g on their event struct, like
 *    Debian's opensnoop, have none);
 *  - else automatically: the object's one named struct (or union) whose
 *    size is the record's size (for perf samples: whose size pads to it —
 *    perf rounds size + 4 up to 8);
 *  - else the one struct that ends in a char array the record stops inside
 *    of: programs send "the struct up to the bytes used" (execsnoop's
 *    `event` with its argv in args[]).  The tail is printed as the strings
 *    it holds: one string, or a list when NULs separate several (argv).
 *  Ambiguous or no match: hex.  Automatic choices skip the kernel's types
 *  (everything reachable from the object's CO-RE relocations: a CO-RE
 *  object's BTF carries task_struct and all it contains), which programs
 *  read but do not send.
 * The choice is cached per map and record size.
 *
 * The BTF printer walks the type: integers by signedness and size (bit
 * fields included), enums by name, pointers in hex, char arrays as strings
 * (up to the first NUL), other arrays as lists, nested structs and unions,
 * floats.  Every read is checked against the record's size; a type larger
 * than the record is refused (hex instead).  JSON mode prints one object
 * per line with strings escaped.
 *
 * Limits: a record cut anywhere but in a trailing char array prints hex;
 * per-map type choice only by size.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "hooks_int.h"

#define OUT_MAX_DEPTH 16
#define OUT_CACHE 8

struct out_map {
	struct bpfbox_map *map;
	const char *name;
	bool perf;
	struct {
		uint32_t size;
		int32_t type; /* BTF id, 0 = hex */
		bool partial; /* the record ends inside the type's last char array */
	} cache[OUT_CACHE];
	unsigned ncache;
};

struct bpfbox_outputs {
	FILE *out;
	bool json;
	const struct btf *btf;
	uint8_t *kernel;   /* per type id: a kernel type (reachable from a CO-RE root) */
	uint32_t nkernel;
	int32_t forced; /* --record-type: BTF id, 0 = automatic */
	bool forced_partial; /* the forced type may be cut in its tail */
	struct out_map *maps;
	size_t nmaps;
	struct out_map *cur; /* during a drain */
	int printed;
};

/* ---- the BTF printer ------------------------------------------------------------------ */

struct pr {
	FILE *f;
	const struct btf *btf;
	const uint8_t *data;
	size_t size;
	bool json;
	size_t tail;  /* offset of the char array the record may end inside, or SIZE_MAX */
};

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	for (int i = 0; t && i < 32; i++) {
		if (!btf_is_typedef(t) && !btf_is_mod(t) && !btf_is_type_tag(t))
			return t;
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

static void put_str(struct pr *P, const uint8_t *s, size_t max)
{
	fputc('"', P->f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\')
			fprintf(P->f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", P->f);
		else if (c == '\t')
			fputs("\\t", P->f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(P->f, P->json ? "\\u%04x" : "\\x%02x", c);
		else
			fputc(c, P->f);
	}
	fputc('"', P->f);
}

static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_int(struct pr *P, uint64_t v, unsigned bits, bool sgn, bool boolean)
{
	if (bits < 64) {
		v &= (1ull << bits) - 1;
		if (sgn && bits && (v >> (bits - 1)) & 1)
			v |= ~0ull << bits;
	}
	if (boolean)
		fputs(v ? "true" : "false", P->f);
	else if (sgn)
		fprintf(P->f, "%" PRId64, (int64_t)v);
	else
		fprintf(P->f, "%" PRIu64, v);
}

/* The bytes of a char array the record ends inside of: its strings, one
 * ("x") or, when NULs separate several, a list (["ls", "-l"]). */
static void put_tail(struct pr *P, const uint8_t *s, size_t n)
{
	while (n && !s[n - 1])
		n--; /* padding and the last string's NUL */
	size_t strs = 1;
	for (size_t i = 0; i < n; i++)
		strs += !s[i];
	if (strs == 1) {
		put_str(P, s, n);
		return;
	}
	fputc('[', P->f);
	for (size_t i = 0; i <= n;) {
		size_t len = strnlen((const char *)s + i, n - i);
		if (i)
			fputs(P->json ? "," : ", ", P->f);
		put_str(P, s + i, len);
		i += len + 1;
	}
	fputc(']', P->f);
}

static bool is_char(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = skip_mods(btf, &id);
	if (!t || !btf_is_int(t) || t->size != 1)
		return false;
	const char *n = btf__name_by_offset(btf, t->name_off);
	return (btf_int_encoding(t) & BTF_INT_CHAR) || (n && strstr(n, "char"));
}

static void print_type(struct pr *P, uint32_t id, size_t off, int depth);

static void print_enum(struct pr *P, const struct btf_type *t, size_t off)
{
	uint64_t v = load_le(P->data + off, t->size);
	bool sgn = btf_kflag(t);
	unsigned bits = t->size * 8;
	if (bits < 64) {
		v &= (1ull << bits) - 1;
		if (sgn && (v >> (bits - 1)) & 1)
			v |= ~0ull << bits;
	}
	const char *name = NULL;
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			if ((uint64_t)(int64_t)e[i].val == v || (uint32_t)e[i].val == v)
				name = btf__name_by_offset(P->btf, e[i].name_off);
	} else {
		const struct btf_enum64 *e = btf_enum64(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			if (btf_enum64_value(&e[i]) == v)
				name = btf__name_by_offset(P->btf, e[i].name_off);
	}
	if (name && *name)
		put_str(P, (const uint8_t *)name, strlen(name));
	else if (sgn)
		fprintf(P->f, "%" PRId64, (int64_t)v);
	else
		fprintf(P->f, "%" PRIu64, v);
}

static void print_members(struct pr *P, const struct btf_type *t, size_t off, int depth)
{
	fputc('{', P->f);
	const struct btf_member *m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		if (i)
			fputs(P->json ? "," : ", ", P->f);
		const char *name = btf__name_by_offset(P->btf, m[i].name_off);
		if (!name || !*name)
			name = "(anon)";
		if (P->json)
			fprintf(P->f, "\"%s\":", name);
		else
			fprintf(P->f, "%s=", name);
		uint32_t bit = btf_member_bit_offset(t, i);
		uint32_t bsz = btf_member_bitfield_size(t, i);
		if (bsz) {
			size_t byte = off + bit / 8;
			size_t need = (bit % 8 + bsz + 7) / 8;
			if (byte + need > P->size || need > 8) {
				fputs(P->json ? "null" : "?", P->f);
				continue;
			}
			uint64_t v = load_le(P->data + byte, need) >> (bit % 8);
			uint32_t mid = m[i].type;
			const struct btf_type *mt = skip_mods(P->btf, &mid);
			bool sgn = mt && btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED);
			put_int(P, v, bsz, sgn, false);
			continue;
		}
		print_type(P, m[i].type, off + bit / 8, depth + 1);
	}
	fputc('}', P->f);
}

static void print_type(struct pr *P, uint32_t id, size_t off, int depth)
{
	const struct btf_type *t = skip_mods(P->btf, &id);
	int64_t sz = btf__resolve_size(P->btf, id);
	if (t && off == P->tail && off <= P->size && btf_is_array(t)) {
		put_tail(P, P->data + off, P->size - off);
		return;
	}
	/* a struct that holds the tail may be cut short (its tail prints what
	 * there is) */
	bool holds_tail = sz > 0 && P->tail != SIZE_MAX && P->tail >= off &&
			  P->tail - off < (uint64_t)sz && btf_is_composite(t);
	if (!t || depth > OUT_MAX_DEPTH || sz < 0 || off > P->size ||
	    (!holds_tail && (uint64_t)sz > P->size - off)) {
		fputs(P->json ? "null" : "?", P->f);
		return;
	}
	const uint8_t *p = P->data + off;
	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		uint8_t enc = btf_int_encoding(t);
		unsigned bits = btf_int_bits(t), boff = btf_int_offset(t);
		if (t->size > 8) { /* __int128: hex */
			fputs(P->json ? "\"0x" : "0x", P->f);
			for (int i = (int)t->size - 1; i >= 0; i--)
				fprintf(P->f, "%02x", p[i]);
			if (P->json)
				fputc('"', P->f);
			return;
		}
		uint64_t v = load_le(p, t->size) >> boff;
		put_int(P, v, bits, enc & BTF_INT_SIGNED, enc & BTF_INT_BOOL);
		return;
	}
	case BTF_KIND_PTR:
		fprintf(P->f, P->json ? "\"0x%" PRIx64 "\"" : "0x%" PRIx64, load_le(p, 8));
		return;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		print_enum(P, t, off);
		return;
	case BTF_KIND_FLOAT:
		if (t->size == 4) {
			float v;
			memcpy(&v, p, 4);
			fprintf(P->f, "%g", (double)v);
		} else if (t->size == 8) {
			double v;
			memcpy(&v, p, 8);
			fprintf(P->f, "%g", v);
		} else {
			fputs(P->json ? "null" : "?", P->f);
		}
		return;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		if (is_char(P->btf, a->type)) {
			put_str(P, p, a->nelems);
			return;
		}
		int64_t esz = btf__resolve_size(P->btf, a->type);
		if (esz <= 0) {
			fputs(P->json ? "[]" : "[]", P->f);
			return;
		}
		fputc('[', P->f);
		for (uint32_t i = 0; i < a->nelems; i++) {
			if (i)
				fputs(P->json ? "," : ", ", P->f);
			print_type(P, a->type, off + (size_t)esz * i, depth + 1);
		}
		fputc(']', P->f);
		return;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		print_members(P, t, off, depth);
		return;
	case BTF_KIND_VAR:
		print_type(P, t->type, off, depth + 1);
		return;
	case BTF_KIND_DATASEC: { /* global data: {var=value, ...} */
		const struct btf_var_secinfo *v = btf_var_secinfos(t);
		fputc('{', P->f);
		for (uint16_t i = 0; i < btf_vlen(t); i++) {
			const struct btf_type *var = btf__type_by_id(P->btf, v[i].type);
			const char *name = var ? btf__name_by_offset(P->btf, var->name_off) : NULL;
			if (i)
				fputs(P->json ? "," : ", ", P->f);
			fprintf(P->f, P->json ? "\"%s\":" : "%s=", name && *name ? name : "?");
			print_type(P, v[i].type, off + v[i].offset, depth + 1);
		}
		fputc('}', P->f);
		return;
	}
	default:
		fputs(P->json ? "null" : "?", P->f);
		return;
	}
}

BPFBOX_API int bpfbox_btf__print_data(FILE *f, const void *btf, uint32_t type_id, const void *data,
				      size_t size, bool json)
{
	if (!f || !btf || !data)
		return -EINVAL;
	int64_t sz = btf__resolve_size(btf, type_id);
	if (sz < 0 || (uint64_t)sz > size || !btf__type_by_id(btf, type_id))
		return -EINVAL;
	struct pr P = { f, btf, data, size, json, SIZE_MAX };
	print_type(&P, type_id, 0, 0);
	return 0;
}

/* The offset of the char array that ends struct `id`, or 0 when it does
 * not end in one. */
static size_t char_tail(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = skip_mods(btf, &id);
	if (!t || !btf_is_struct(t) || !btf_vlen(t))
		return 0;
	uint16_t last = btf_vlen(t) - 1;
	uint32_t mid = btf_members(t)[last].type;
	const struct btf_type *mt = skip_mods(btf, &mid);
	if (!mt || !btf_is_array(mt) || !is_char(btf, btf_array(mt)->type) ||
	    btf_member_bitfield_size(t, last))
		return 0;
	return btf_member_bit_offset(t, last) / 8;
}

/* Print a record that may stop inside the type's trailing char array. */
static int print_partial(FILE *f, const struct btf *btf, uint32_t id, const void *data,
			 size_t size, bool json)
{
	size_t tail = char_tail(btf, id);
	if (!tail || size <= tail)
		return -EINVAL;
	struct pr P = { f, btf, data, size, json, tail };
	print_type(&P, id, 0, 0);
	return 0;
}

/* ---- choosing the record type ----------------------------------------------------------- */

static int32_t find_named(const struct btf *btf, const char *name)
{
	static const int kinds[] = { BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_TYPEDEF };
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		int32_t id = btf__find_by_name_kind(btf, name, kinds[i]);
		if (id > 0)
			return id;
	}
	return 0;
}

static bool size_fits(int64_t tsz, uint32_t size, bool perf)
{
	if (tsz <= 0)
		return false;
	if (!perf)
		return (uint64_t)tsz == size;
	/* perf samples are padded so that size + 4 is a multiple of 8 */
	uint64_t padded = (((uint64_t)tsz + 4 + 7) & ~7ull) - 4;
	return padded == size;
}

/* Types reachable from the roots of the object's CO-RE relocations are the
 * kernel's (task_struct and everything it contains): a program does not
 * send those, so they are no candidates for a record. */
static void mark_kernel(struct bpfbox_outputs *o, uint32_t id, int depth)
{
	for (; id && id < o->nkernel && !o->kernel[id] && depth < 64; depth++) {
		o->kernel[id] = 1;
		const struct btf_type *t = btf__type_by_id(o->btf, id);
		if (!t)
			return;
		if (btf_is_composite(t)) {
			const struct btf_member *m = btf_members(t);
			for (uint16_t i = 0; i < btf_vlen(t); i++)
				mark_kernel(o, m[i].type, depth + 1);
			return;
		}
		if (btf_is_array(t))
			id = btf_array(t)->type;
		else if (btf_is_ptr(t) || btf_is_typedef(t) || btf_is_mod(t))
			id = t->type;
		else
			return;
	}
}

static bool is_kernel(const struct bpfbox_outputs *o, uint32_t id)
{
	return id < o->nkernel && o->kernel[id];
}

static void find_kernel_types(struct bpfbox_outputs *o, struct bpfbox_object *obj)
{
	if (o->btf != bpfbox_object__btf(obj))
		return; /* a record BTF of the user's: nothing is the kernel's */
	o->nkernel = btf__type_cnt(o->btf);
	o->kernel = calloc(o->nkernel, 1);
	if (!o->kernel) {
		o->nkernel = 0;
		return;
	}
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(obj, i);
		for (size_t k = 0; k < bpfbox_obj_prog__core_relo_count(p); k++) {
			struct bpfbox_obj_core_relo r;
			if (!bpfbox_obj_prog__core_relo(p, k, &r))
				mark_kernel(o, r.local_type_id, 0);
		}
	}
}

static int32_t pick_type(struct bpfbox_outputs *o, struct out_map *m, uint32_t size,
			 bool *partial)
{
	*partial = false;
	if (!o->btf)
		return 0;
	if (o->forced) {
		if (btf__resolve_size(o->btf, o->forced) <= (int64_t)size)
			return o->forced;
		size_t tail = char_tail(o->btf, (uint32_t)o->forced);
		*partial = tail && size > tail;
		return *partial ? o->forced : 0;
	}
	for (unsigned i = 0; i < m->ncache; i++)
		if (m->cache[i].size == size) {
			*partial = m->cache[i].partial;
			return m->cache[i].type;
		}
	int32_t found = 0;
	unsigned n = 0;
	uint32_t cnt = btf__type_cnt(o->btf);
	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(o->btf, id);
		if (!t || !(btf_is_struct(t) || btf_is_union(t)) || !t->name_off || is_kernel(o, id))
			continue;
		const char *name = btf__name_by_offset(o->btf, t->name_off);
		if (!name || !*name)
			continue;
		if (size_fits(t->size, size, m->perf)) {
			found = (int32_t)id;
			n++;
		}
	}
	int32_t r = n == 1 ? found : 0;
	if (!n) {
		/* a struct cut inside its trailing char array (argv, paths) */
		for (uint32_t id = 1; id < cnt; id++) {
			const struct btf_type *t = btf__type_by_id(o->btf, id);
			if (!t || !btf_is_struct(t) || !t->name_off || size >= t->size ||
			    is_kernel(o, id))
				continue;
			size_t tail = char_tail(o->btf, id);
			if (tail && size > tail) {
				found = (int32_t)id;
				n++;
			}
		}
		r = n == 1 ? found : 0;
		*partial = r != 0;
	}
	if (m->ncache < OUT_CACHE) {
		m->cache[m->ncache].size = size;
		m->cache[m->ncache].type = r;
		m->cache[m->ncache].partial = *partial;
		m->ncache++;
	}
	return r;
}

/* ---- printing records --------------------------------------------------------------------- */

static void print_record(struct bpfbox_outputs *o, struct out_map *m, int index, const void *data,
			 uint32_t size)
{
	bool partial;
	int32_t type = pick_type(o, m, size, &partial);
	FILE *f = o->out;
	const uint8_t *b = data;
	if (o->json) {
		fprintf(f, "{\"map\":\"%s\"", m->name);
		if (m->perf)
			fprintf(f, ",\"cpu\":%d", index);
		if (type) {
			const struct btf_type *t = btf__type_by_id(o->btf, (uint32_t)type);
			const char *tn = t ? btf__name_by_offset(o->btf, t->name_off) : NULL;
			fprintf(f, ",\"type\":\"%s\",\"data\":", tn ? tn : "");
			if (partial)
				print_partial(f, o->btf, (uint32_t)type, data, size, true);
			else
				bpfbox_btf__print_data(f, o->btf, (uint32_t)type, data, size, true);
		} else {
			fputs(",\"hex\":\"", f);
			for (uint32_t i = 0; i < size; i++)
				fprintf(f, "%02x", b[i]);
			fputc('"', f);
		}
		fputs("}\n", f);
	} else {
		if (m->perf)
			fprintf(f, "%s[cpu %d]: ", m->name, index);
		else
			fprintf(f, "%s: ", m->name);
		if (type && partial) {
			print_partial(f, o->btf, (uint32_t)type, data, size, false);
		} else if (type) {
			bpfbox_btf__print_data(f, o->btf, (uint32_t)type, data, size, false);
		} else {
			for (uint32_t i = 0; i < size; i++)
				fprintf(f, i ? " %02x" : "%02x", b[i]);
		}
		fputc('\n', f);
	}
	o->printed++;
}

static int ring_cb(void *ud, void *data, uint32_t size)
{
	struct bpfbox_outputs *o = ud;
	print_record(o, o->cur, 0, data, size);
	return 0;
}

static void perf_cb(void *ud, int index, void *data, uint32_t size)
{
	struct bpfbox_outputs *o = ud;
	print_record(o, o->cur, index, data, size);
}

static void lost_cb(void *ud, int index, uint64_t count)
{
	struct bpfbox_outputs *o = ud;
	if (o->json)
		fprintf(o->out, "{\"map\":\"%s\",\"cpu\":%d,\"lost\":%" PRIu64 "}\n", o->cur->name,
			index, count);
	else
		fprintf(o->out, "%s[cpu %d]: lost %" PRIu64 " samples\n", o->cur->name, index, count);
}

BPFBOX_API int bpfbox_outputs__drain(struct bpfbox_outputs *o)
{
	if (!o)
		return -EINVAL;
	o->printed = 0;
	for (size_t i = 0; i < o->nmaps; i++) {
		struct out_map *m = &o->maps[i];
		o->cur = m;
		int e = m->perf ? bpfbox_perf__consume(m->map, perf_cb, lost_cb, o)
				: bpfbox_ringbuf__consume(m->map, ring_cb, o);
		if (e < 0)
			return e;
	}
	if (o->printed)
		fflush(o->out);
	return o->printed;
}

BPFBOX_API bool bpfbox_outputs__any(const struct bpfbox_outputs *o)
{
	return o && o->nmaps;
}

BPFBOX_API int bpfbox_outputs__new(struct bpfbox_outputs **out, struct bpfbox_object *obj,
				   const struct bpfbox_outputs_opts *opts)
{
	if (!out || !obj || !OPTS_VALID(opts, bpfbox_outputs_opts))
		return -EINVAL;
	struct bpfbox_outputs *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->out = OPTS_GET(opts, out, NULL);
	if (!o->out)
		o->out = stdout;
	o->json = OPTS_GET(opts, json, false);
	o->btf = bpfbox_object__btf(obj);
	const struct btf *rb = OPTS_GET(opts, record_btf, NULL);
	if (rb)
		o->btf = rb;
	const char *rt = OPTS_GET(opts, record_type, NULL);
	if (rt) {
		o->forced = o->btf ? find_named(o->btf, rt) : 0;
		if (!o->forced) {
			free(o);
			return -ENOENT;
		}
	}
	size_t n = bpfbox_object__map_count(obj);
	o->maps = calloc(n ? n : 1, sizeof(*o->maps));
	if (!o->maps) {
		free(o);
		return -ENOMEM;
	}
	if (o->btf)
		find_kernel_types(o, obj);
	for (size_t i = 0; i < n; i++) {
		struct bpfbox_obj_map *om = bpfbox_object__map(obj, i);
		const struct bpfbox_obj_map_def *d = bpfbox_obj_map__def(om);
		struct bpfbox_map *h = bpfbox_obj_map__handle(om);
		if (!h || (d->type != BPFBOX_MAP_TYPE_RINGBUF &&
			   d->type != BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY))
			continue;
		struct out_map *m = &o->maps[o->nmaps++];
		m->map = h;
		m->name = d->name;
		m->perf = d->type == BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY;
	}
	*out = o;
	return 0;
}

BPFBOX_API void bpfbox_outputs__free(struct bpfbox_outputs *o)
{
	if (!o)
		return;
	free(o->maps);
	free(o->kernel);
	free(o);
}
