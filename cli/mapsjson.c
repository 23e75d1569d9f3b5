/* bpfbox — cli/mapsjson.c: the maps of a run, saved to and read from JSON,
 * and printed the way bpftool prints them.
 *
 * `bpfbox run OBJ --maps-out FILE.json` saves every map of the object
 * (definition and contents); `--maps-in FILE.json` puts saved contents into
 * the maps of the next run; `bpfbox map ...` reads such a file, recreates
 * the maps through the maps API (so lookups, updates and deletes have the
 * kernel's semantics: flags, -EEXIST, -E2BIG, max_entries, ...), and
 * writes it back.  The file:
 *
 *   {"bpfbox_maps": 1, "maps": [
 *     {"name": "counts", "type": "hash", "key_size": 4, "value_size": 8,
 *      "max_entries": 16, "map_flags": 0, "map_extra": 0, "nr_cpus": 2,
 *      "entries": [{"key": "01000000", "value": "0500000000000000"}]},
 *     {"name": "jmp", "type": "prog_array", ..., "entries": [{"key": "00000000", "prog": "tail"}]},
 *     {"name": "outer", "type": "array_of_maps", ..., "inner": {...definition...},
 *      "entries": [{"key": "00000000", "map": "in1"}]} ]}
 *
 * Keys and values are hex strings (per-CPU values: all CPUs' copies, each
 * rounded up to 8 bytes, as bpf() returns them).  Queue and stack entries
 * have only a value, oldest first; ring buffers, perf event arrays and
 * bloom filters keep no readable contents and are saved without entries.
 *
 * The JSON reader is a small recursive-descent parser over a bounded
 * buffer (depth-limited, every read checked against the end), enough for
 * this format; a malformed file is one error line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "cli.h"
#include "objload.h"

/* ---- a small JSON DOM ------------------------------------------------------ */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	int type;
	uint64_t num;
	bool neg;
	char *str;
	struct jv *items; /* J_ARR, J_OBJ (values) */
	char **keys;      /* J_OBJ */
	size_t n;
};

struct jp {
	const char *p, *end;
	const char *err;
	int depth;
};

static void jv_free(struct jv *v)
{
	if (!v)
		return;
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

static void ws(struct jp *J)
{
	while (J->p < J->end && isspace((unsigned char)*J->p))
		J->p++;
}

static bool lit(struct jp *J, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(J->end - J->p) < n || memcmp(J->p, s, n))
		return false;
	J->p += n;
	return true;
}

static char *jstring(struct jp *J)
{
	if (J->p >= J->end || *J->p != '"') {
		J->err = "expected a string";
		return NULL;
	}
	J->p++;
	size_t cap = 16, n = 0;
	char *s = malloc(cap);
	while (s && J->p < J->end && *J->p != '"') {
		char c = *J->p++;
		if (c == '\\') {
			if (J->p >= J->end)
				break;
			c = *J->p++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'u') { /* \u00XX only: names are ASCII */
				if (J->end - J->p < 4) {
					J->err = "bad \\u escape";
					free(s);
					return NULL;
				}
				unsigned v = 0;
				for (int i = 0; i < 4; i++) {
					char h = *J->p++;
					v = v * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' :
								 (tolower((unsigned char)h) - 'a' + 10));
				}
				c = (char)(v & 0xff);
			}
		}
		if (n + 2 > cap) {
			char *t = realloc(s, cap *= 2);
			if (!t) {
				free(s);
				s = NULL;
				break;
			}
			s = t;
		}
		s[n++] = c;
	}
	if (!s) {
		J->err = "out of memory";
		return NULL;
	}
	if (J->p >= J->end) {
		free(s);
		J->err = "unterminated string";
		return NULL;
	}
	J->p++;
	s[n] = 0;
	return s;
}

static bool jvalue(struct jp *J, struct jv *v);

static bool jpush(struct jp *J, struct jv *v, struct jv *item, char *key)
{
	struct jv *it = realloc(v->items, (v->n + 1) * sizeof(*it));
	if (!it) {
		J->err = "out of memory";
		return false;
	}
	v->items = it;
	if (v->type == J_OBJ) {
		char **k = realloc(v->keys, (v->n + 1) * sizeof(*k));
		if (!k) {
			J->err = "out of memory";
			return false;
		}
		v->keys = k;
		v->keys[v->n] = key;
	}
	v->items[v->n++] = *item;
	return true;
}

static bool jvalue(struct jp *J, struct jv *v)
{
	memset(v, 0, sizeof(*v));
	ws(J);
	if (J->p >= J->end) {
		J->err = "unexpected end";
		return false;
	}
	if (++J->depth > 32) {
		J->err = "nested too deeply";
		return false;
	}
	bool ok = true;
	char c = *J->p;
	if (c == '{' || c == '[') {
		bool obj = c == '{';
		v->type = obj ? J_OBJ : J_ARR;
		J->p++;
		ws(J);
		if (J->p < J->end && *J->p == (obj ? '}' : ']')) {
			J->p++;
		} else {
			for (;;) {
				char *key = NULL;
				ws(J);
				if (obj) {
					if (!(key = jstring(J))) {
						ok = false;
						break;
					}
					ws(J);
					if (J->p >= J->end || *J->p != ':') {
						free(key);
						J->err = "expected ':'";
						ok = false;
						break;
					}
					J->p++;
				}
				struct jv item;
				if (!jvalue(J, &item) || !jpush(J, v, &item, key)) {
					jv_free(&item);
					free(key);
					ok = false;
					break;
				}
				ws(J);
				if (J->p < J->end && *J->p == ',') {
					J->p++;
					continue;
				}
				if (J->p < J->end && *J->p == (obj ? '}' : ']')) {
					J->p++;
					break;
				}
				J->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
				ok = false;
				break;
			}
		}
	} else if (c == '"') {
		v->type = J_STR;
		ok = (v->str = jstring(J)) != NULL;
	} else if (lit(J, "true") || lit(J, "false")) {
		v->type = J_BOOL;
		v->num = J->p[-1] == 'e' && J->p[-2] == 'u';
	} else if (lit(J, "null")) {
		v->type = J_NULL;
	} else if (c == '-' || isdigit((unsigned char)c)) {
		v->type = J_NUM;
		if (c == '-') {
			v->neg = true;
			J->p++;
		}
		if (J->p >= J->end || !isdigit((unsigned char)*J->p)) {
			J->err = "bad number";
			ok = false;
		}
		while (ok && J->p < J->end && isdigit((unsigned char)*J->p)) {
			unsigned d = (unsigned)(*J->p++ - '0');
			if (v->num > (UINT64_MAX - d) / 10) {
				J->err = "number too large";
				ok = false;
			}
			v->num = v->num * 10 + d;
		}
	} else {
		J->err = "unexpected character";
		ok = false;
	}
	J->depth--;
	return ok;
}

static const struct jv *jget(const struct jv *o, const char *key)
{
	if (!o || o->type != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return &o->items[i];
	return NULL;
}

static bool jnum(const struct jv *o, const char *key, uint64_t max, uint64_t *out)
{
	const struct jv *v = jget(o, key);
	if (!v) {
		*out = 0;
		return true;
	}
	if (v->type != J_NUM || v->neg || v->num > max)
		return false;
	*out = v->num;
	return true;
}

/* hex string -> bytes (exactly n) */
static bool jhex(const struct jv *v, void *out, size_t n)
{
	if (!v || v->type != J_STR || strlen(v->str) != 2 * n)
		return false;
	uint8_t *b = out;
	for (size_t i = 0; i < n; i++) {
		unsigned x;
		char t[3] = { v->str[2 * i], v->str[2 * i + 1], 0 };
		if (!isxdigit((unsigned char)t[0]) || !isxdigit((unsigned char)t[1]) ||
		    sscanf(t, "%x", &x) != 1)
			return false;
		b[i] = (uint8_t)x;
	}
	return true;
}

/* ---- map sets ------------------------------------------------------------------ */

struct cli_mapset_entry {
	char *name;
	struct bpfbox_map *map;
	bool owned;
	struct bpfbox_obj_map *om; /* from an object: for slot names */
};

struct cli_mapset {
	struct cli_mapset_entry *v;
	size_t n;
	struct bpfbox_object *obj; /* from an object: names of its programs */
	struct jv root;            /* from a file: the file, for apply */
	char **pnames;             /* from a file: program names stored in prog arrays */
	size_t npnames;
};

/* A stable pointer standing for program `name` in a prog array of a set
 * read from a file (the maps layer never dereferences prog_array slots). */
static void *intern_prog(struct cli_mapset *s, const char *name)
{
	for (size_t i = 0; i < s->npnames; i++)
		if (!strcmp(s->pnames[i], name))
			return s->pnames[i];
	char **v = realloc(s->pnames, (s->npnames + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->pnames = v;
	if (!(v[s->npnames] = strdup(name)))
		return NULL;
	return v[s->npnames++];
}

size_t cli_mapset_count(const struct cli_mapset *s) { return s->n; }
struct bpfbox_map *cli_mapset_map(const struct cli_mapset *s, size_t i) { return s->v[i].map; }
const char *cli_mapset_name(const struct cli_mapset *s, size_t i) { return s->v[i].name; }

void cli_mapset_free(struct cli_mapset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].owned)
			bpfbox_map__free(s->v[i].map);
		free(s->v[i].name);
	}
	free(s->v);
	for (size_t i = 0; i < s->npnames; i++)
		free(s->pnames[i]);
	free(s->pnames);
	jv_free(&s->root);
	free(s);
}

static int set_push(struct cli_mapset *s, const char *name, struct bpfbox_map *m, bool owned)
{
	struct cli_mapset_entry *v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	v[s->n].name = strdup(name);
	v[s->n].map = m;
	v[s->n].owned = owned;
	v[s->n].om = NULL;
	if (!v[s->n].name)
		return -ENOMEM;
	s->n++;
	return 0;
}

int cli_mapset_from_object(struct bpfbox_object *obj, struct cli_mapset **out)
{
	struct cli_mapset *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->obj = obj;
	for (size_t i = 0; i < bpfbox_object__map_count(obj); i++) {
		struct bpfbox_obj_map *om = bpfbox_object__map(obj, i);
		const struct bpfbox_obj_map_def *d = bpfbox_obj_map__def(om);
		if (d->kind == BPFBOX_OBJ_MAP_INNER || !bpfbox_obj_map__handle(om))
			continue;
		if (set_push(s, d->name, bpfbox_obj_map__handle(om), false)) {
			cli_mapset_free(s);
			return -ENOMEM;
		}
		s->v[s->n - 1].om = om;
	}
	*out = s;
	return 0;
}

const char *cli_mapset_ptr_name(const struct cli_mapset *s, const void *ptr)
{
	if (!ptr)
		return NULL;
	for (size_t i = 0; i < s->npnames; i++)
		if (s->pnames[i] == ptr)
			return s->pnames[i];
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].map == ptr)
			return s->v[i].name;
	if (s->obj)
		for (size_t i = 0; i < bpfbox_object__prog_count(s->obj); i++) {
			struct bpfbox_obj_prog *p = bpfbox_object__prog(s->obj, i);
			if (bpfbox_obj_prog__handle(p) == ptr)
				return bpfbox_obj_prog__name(p);
		}
	return NULL;
}

static bool is_ptr_map(uint32_t t)
{
	return t == BPFBOX_MAP_TYPE_PROG_ARRAY || t == BPFBOX_MAP_TYPE_ARRAY_OF_MAPS ||
	       t == BPFBOX_MAP_TYPE_HASH_OF_MAPS;
}

static bool is_queue(uint32_t t)
{
	return t == BPFBOX_MAP_TYPE_QUEUE || t == BPFBOX_MAP_TYPE_STACK;
}

static bool no_contents(uint32_t t)
{
	return t == BPFBOX_MAP_TYPE_RINGBUF || t == BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY ||
	       t == BPFBOX_MAP_TYPE_BLOOM_FILTER;
}

/* ---- writing ---------------------------------------------------------------------- */

static void hex(FILE *f, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void put_def(FILE *f, struct bpfbox_map *m)
{
	const char *tn = bpfbox_map_type_name(bpfbox_map__type(m));
	fprintf(f, "\"type\": ");
	put_str(f, tn ? tn : "unspec");
	fprintf(f, ", \"key_size\": %u, \"value_size\": %u, \"max_entries\": %u, \"map_flags\": %u, "
		   "\"map_extra\": %llu, \"nr_cpus\": %u",
		bpfbox_map__key_size(m), bpfbox_map__value_size(m), bpfbox_map__max_entries(m),
		bpfbox_map__flags(m), (unsigned long long)bpfbox_map__map_extra(m),
		bpfbox_map__nr_cpus(m));
}

struct save_ud {
	FILE *f;
	const struct cli_mapset *set;
	struct bpfbox_map *m;
	bool first;
};

static int save_elem(const void *key, const void *value, void *ud)
{
	struct save_ud *S = ud;
	uint32_t t = bpfbox_map__type(S->m);
	fprintf(S->f, "%s\n        {\"key\": \"", S->first ? "" : ",");
	S->first = false;
	hex(S->f, key, bpfbox_map__key_size(S->m));
	fprintf(S->f, "\"");
	if (is_ptr_map(t)) {
		const void *ptr;
		memcpy(&ptr, value, sizeof(ptr));
		const char *nm = cli_mapset_ptr_name(S->set, ptr);
		fprintf(S->f, ", \"%s\": ", t == BPFBOX_MAP_TYPE_PROG_ARRAY ? "prog" : "map");
		put_str(S->f, nm ? nm : "");
	} else {
		fprintf(S->f, ", \"value\": \"");
		hex(S->f, value, bpfbox_map__value_buf_size(S->m));
		fprintf(S->f, "\"");
	}
	fprintf(S->f, "}");
	return 0;
}

int cli_mapset_save(const struct cli_mapset *set, const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "{\"bpfbox_maps\": 1, \"maps\": [");
	for (size_t i = 0; i < set->n; i++) {
		struct bpfbox_map *m = set->v[i].map;
		uint32_t t = bpfbox_map__type(m);
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		put_str(f, set->v[i].name);
		fprintf(f, ", ");
		put_def(f, m);
		struct bpfbox_map *inner = bpfbox_map__inner_map(m);
		if (inner) {
			fprintf(f, ",\n      \"inner\": {");
			put_def(f, inner);
			fprintf(f, "}");
		}
		fprintf(f, ",\n      \"entries\": [");
		struct save_ud S = { f, set, m, true };
		if (is_queue(t)) {
			/* pop a copy: recreate order without disturbing the map */
			uint32_t vs = bpfbox_map__value_size(m);
			uint8_t *vals = malloc((size_t)vs * bpfbox_map__max_entries(m) + 1);
			size_t k = 0;
			while (vals && k < bpfbox_map__max_entries(m) &&
			       !bpfbox_map__lookup_and_delete(m, NULL, vals + k * vs))
				k++;
			for (size_t j = 0; j < k; j++) {
				fprintf(f, "%s\n        {\"value\": \"", j ? "," : "");
				hex(f, vals + j * vs, vs);
				fprintf(f, "\"}");
			}
			/* push back in the same order (a stack pops newest first) */
			for (size_t j = 0; j < k; j++) {
				size_t at = t == BPFBOX_MAP_TYPE_STACK ? k - 1 - j : j;
				bpfbox_map__update(m, NULL, vals + at * vs, BPFBOX_ANY);
			}
			free(vals);
		} else if (!no_contents(t)) {
			bpfbox_map__for_each(m, save_elem, &S);
		}
		fprintf(f, "\n      ]}");
	}
	fprintf(f, "\n]}\n");
	if (fclose(f)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* ---- reading ------------------------------------------------------------------------ */

static int parse_file(const char *path, struct jv *root, char *err, size_t errsz)
{
	size_t len;
	char *text = cli_read_file(path, &len);
	if (!text) {
		int e = errno ? errno : EIO;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	struct jp J = { text, text + len, NULL, 0 };
	bool ok = jvalue(&J, root);
	ws(&J);
	if (ok && J.p != J.end) {
		ok = false;
		J.err = "trailing characters";
	}
	if (!ok) {
		snprintf(err, errsz, "%s: bad JSON at byte %zu: %s", path, (size_t)(J.p - text),
			 J.err ? J.err : "?");
		jv_free(root);
		free(text);
		return -EINVAL;
	}
	free(text);
	const struct jv *maps = jget(root, "maps");
	if (!jget(root, "bpfbox_maps") || !maps || maps->type != J_ARR) {
		snprintf(err, errsz, "%s: not a bpfbox maps file (no \"bpfbox_maps\"/\"maps\")", path);
		jv_free(root);
		return -EINVAL;
	}
	return 0;
}

static int type_of(const char *name)
{
	for (uint32_t t = 0; t < BPFBOX_MAP_TYPE__MAX; t++) {
		const char *n = bpfbox_map_type_name(t);
		if (n && !strcmp(n, name))
			return (int)t;
	}
	return -1;
}

static int create_from(const struct jv *d, const char *name, struct bpfbox_map *inner,
		       struct bpfbox_map **out, char *err, size_t errsz)
{
	const struct jv *tv = jget(d, "type");
	int type = tv && tv->type == J_STR ? type_of(tv->str) : -1;
	uint64_t ks, vs, me, fl, ex, nc;
	if (type < 0 || !jnum(d, "key_size", UINT32_MAX, &ks) ||
	    !jnum(d, "value_size", UINT32_MAX, &vs) || !jnum(d, "max_entries", UINT32_MAX, &me) ||
	    !jnum(d, "map_flags", UINT32_MAX, &fl) || !jnum(d, "map_extra", UINT64_MAX, &ex) ||
	    !jnum(d, "nr_cpus", 4096, &nc)) {
		snprintf(err, errsz, "map '%s': bad or missing definition field", name);
		return -EINVAL;
	}
	char logbuf[256] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf) };
	BPFBOX_OPTS(bpfbox_map_opts, mo, .type = (uint32_t)type, .key_size = (uint32_t)ks,
		    .value_size = (uint32_t)vs, .max_entries = (uint32_t)me,
		    .map_flags = (uint32_t)fl, .map_extra = ex, .name = name,
		    .nr_cpus = (uint32_t)nc, .inner_map = inner, .log = &log);
	int e = bpfbox_map__new(out, &mo);
	if (e) {
		logbuf[strcspn(logbuf, "\n")] = 0;
		snprintf(err, errsz, "map '%s': %s", name, logbuf[0] ? logbuf : strerror(-e));
	}
	return e;
}

/* Put the saved entries of d into m (pointer slots resolved by name in
 * `names`, which may be NULL when they cannot be: then skipped). */
static int fill(struct bpfbox_map *m, const struct jv *d, const char *name,
		struct cli_mapset *names, struct bpfbox_object *obj, char *err, size_t errsz)
{
	const struct jv *ents = jget(d, "entries");
	if (!ents)
		return 0;
	if (ents->type != J_ARR) {
		snprintf(err, errsz, "map '%s': \"entries\" is not an array", name);
		return -EINVAL;
	}
	uint32_t t = bpfbox_map__type(m);
	size_t ks = bpfbox_map__key_size(m), vs = bpfbox_map__value_buf_size(m);
	uint8_t *key = calloc(1, ks + 1), *val = calloc(1, vs + 1);
	int e = key && val ? 0 : -ENOMEM;
	for (size_t i = 0; !e && i < ents->n; i++) {
		const struct jv *en = &ents->items[i];
		if (is_queue(t)) {
			if (!jhex(jget(en, "value"), val, vs)) {
				snprintf(err, errsz, "map '%s': entry %zu: bad value", name, i);
				e = -EINVAL;
			} else if ((e = bpfbox_map__update(m, NULL, val, BPFBOX_ANY))) {
				snprintf(err, errsz, "map '%s': entry %zu: %s", name, i, strerror(-e));
			}
			continue;
		}
		if (!jhex(jget(en, "key"), key, ks)) {
			snprintf(err, errsz, "map '%s': entry %zu: bad key (%zu bytes of hex expected)",
				 name, i, ks);
			e = -EINVAL;
			break;
		}
		if (is_ptr_map(t)) {
			const struct jv *pv = jget(en, t == BPFBOX_MAP_TYPE_PROG_ARRAY ? "prog" : "map");
			void *ptr = NULL;
			if (pv && pv->type == J_STR && obj) {
				if (t == BPFBOX_MAP_TYPE_PROG_ARRAY) {
					struct bpfbox_obj_prog *p = bpfbox_object__find_prog(obj, pv->str);
					ptr = p ? bpfbox_obj_prog__handle(p) : NULL;
				} else {
					struct bpfbox_obj_map *om = bpfbox_object__find_map(obj, pv->str);
					ptr = om ? bpfbox_obj_map__handle(om) : NULL;
				}
			} else if (pv && pv->type == J_STR && names) {
				if (t == BPFBOX_MAP_TYPE_PROG_ARRAY && *pv->str)
					ptr = intern_prog(names, pv->str);
				for (size_t k = 0; t != BPFBOX_MAP_TYPE_PROG_ARRAY && k < names->n; k++)
					if (!strcmp(names->v[k].name, pv->str))
						ptr = names->v[k].map;
			}
			if (!ptr)
				continue; /* a program or map that is not here: slot stays empty */
			if ((e = bpfbox_map__update_ptr(m, key, ptr)))
				snprintf(err, errsz, "map '%s': entry %zu: %s", name, i, strerror(-e));
			continue;
		}
		if (!jhex(jget(en, "value"), val, vs)) {
			snprintf(err, errsz, "map '%s': entry %zu: bad value (%zu bytes of hex expected)",
				 name, i, vs);
			e = -EINVAL;
		} else if ((e = bpfbox_map__update(m, key, val, BPFBOX_ANY))) {
			snprintf(err, errsz, "map '%s': entry %zu: %s", name, i, strerror(-e));
		}
	}
	free(key);
	free(val);
	return e;
}

int cli_mapset_load(const char *path, struct cli_mapset **out, char *err, size_t errsz)
{
	struct jv root;
	int e = parse_file(path, &root, err, errsz);
	if (e)
		return e;
	struct cli_mapset *s = calloc(1, sizeof(*s));
	const struct jv *maps = jget(&root, "maps");
	if (!s) {
		jv_free(&root);
		return -ENOMEM;
	}
	s->root.type = J_NULL;
	/* two passes: create all maps, then fill (map-in-map slots name others) */
	for (size_t i = 0; i < maps->n && !e; i++) {
		const struct jv *d = &maps->items[i];
		const struct jv *nv = jget(d, "name");
		const char *name = nv && nv->type == J_STR ? nv->str : "";
		struct bpfbox_map *inner = NULL, *m = NULL;
		const struct jv *id = jget(d, "inner");
		if (id && (e = create_from(id, name, NULL, &inner, err, errsz)))
			break;
		e = create_from(d, name, inner, &m, err, errsz);
		bpfbox_map__free(inner);
		if (!e && (e = set_push(s, name, m, true)))
			bpfbox_map__free(m);
	}
	if (e) {
		jv_free(&root);
		cli_mapset_free(s);
		return e;
	}
	for (size_t i = 0; i < maps->n && !e; i++)
		e = fill(s->v[i].map, &maps->items[i], s->v[i].name, s, NULL, err, errsz);
	s->root = root;
	if (e) {
		cli_mapset_free(s);
		return e;
	}
	*out = s;
	return 0;
}

static int clear_map(struct bpfbox_map *m)
{
	uint32_t t = bpfbox_map__type(m);
	if (is_queue(t)) {
		uint8_t *v = malloc(bpfbox_map__value_size(m) + 1);
		while (v && !bpfbox_map__lookup_and_delete(m, NULL, v))
			;
		free(v);
		return 0;
	}
	if (t == BPFBOX_MAP_TYPE_ARRAY || t == BPFBOX_MAP_TYPE_PERCPU_ARRAY || no_contents(t))
		return 0; /* arrays are overwritten index by index */
	if (t == BPFBOX_MAP_TYPE_PROG_ARRAY || t == BPFBOX_MAP_TYPE_ARRAY_OF_MAPS) {
		for (uint32_t i = 0; i < bpfbox_map__max_entries(m); i++)
			bpfbox_map__delete(m, &i);
		return 0;
	}
	size_t ks = bpfbox_map__key_size(m);
	uint8_t *k = malloc(ks + 1);
	if (!k)
		return -ENOMEM;
	while (!bpfbox_map__get_next_key(m, NULL, k))
		if (bpfbox_map__delete(m, k))
			break;
	free(k);
	return 0;
}

int cli_mapset_apply(const struct cli_mapset *from, struct bpfbox_object *obj, char *err,
		     size_t errsz)
{
	const struct jv *maps = jget(&from->root, "maps");
	for (size_t i = 0; maps && i < maps->n; i++) {
		const struct jv *d = &maps->items[i];
		const char *name = from->v[i].name;
		struct bpfbox_obj_map *om = bpfbox_object__find_map(obj, name);
		struct bpfbox_map *dst = om ? bpfbox_obj_map__handle(om) : NULL;
		if (!dst) {
			snprintf(err, errsz, "saved map '%s' is not a map of %s", name,
				 bpfbox_object__name(obj));
			return -ENOENT;
		}
		struct bpfbox_map *src = from->v[i].map;
		if (bpfbox_map__type(src) != bpfbox_map__type(dst) ||
		    bpfbox_map__key_size(src) != bpfbox_map__key_size(dst) ||
		    bpfbox_map__value_buf_size(src) != bpfbox_map__value_buf_size(dst)) {
			snprintf(err, errsz, "saved map '%s' does not match the object's (type or sizes)",
				 name);
			return -EINVAL;
		}
		clear_map(dst);
		int e = fill(dst, d, name, NULL, obj, err, errsz);
		if (e)
			return e;
	}
	return 0;
}

/* ---- bpftool-style printing ------------------------------------------------------------ */

static void phex(FILE *f, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%02x", i ? " " : "", b[i]);
}

static void jhexarr(FILE *f, const void *p, size_t n)
{
	const uint8_t *b = p;
	fprintf(f, "[");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\"0x%02x\"", i ? "," : "", b[i]);
	fprintf(f, "]");
}

struct dump_ud {
	FILE *f;
	const struct cli_mapset *set;
	struct bpfbox_map *m;
	bool json;
	unsigned count;
};

static bool percpu(uint32_t t)
{
	return t == BPFBOX_MAP_TYPE_PERCPU_ARRAY || t == BPFBOX_MAP_TYPE_PERCPU_HASH ||
	       t == BPFBOX_MAP_TYPE_LRU_PERCPU_HASH;
}

static void print_entry(struct dump_ud *D, const void *key, const void *value)
{
	FILE *f = D->f;
	struct bpfbox_map *m = D->m;
	uint32_t t = bpfbox_map__type(m);
	uint32_t ks = bpfbox_map__key_size(m), vs = bpfbox_map__value_size(m);
	if (D->json) {
		fprintf(f, "%s{", D->count ? "," : "");
		if (key) {
			fprintf(f, "\"key\":");
			jhexarr(f, key, ks);
			fprintf(f, ",");
		}
		if (percpu(t)) {
			fprintf(f, "\"values\":[");
			for (uint32_t c = 0; c < bpfbox_map__nr_cpus(m); c++) {
				fprintf(f, "%s{\"cpu\":%u,\"value\":", c ? "," : "", c);
				jhexarr(f, (const uint8_t *)value + (size_t)c * ((vs + 7) & ~7u), vs);
				fprintf(f, "}");
			}
			fprintf(f, "]}");
		} else {
			fprintf(f, "\"value\":");
			jhexarr(f, value, vs);
			fprintf(f, "}");
		}
		D->count++;
		return;
	}
	bool brk = ks > 16 || vs > 16;
	if (key) {
		fprintf(f, brk ? "key:\n" : "key: ");
		phex(f, key, ks);
		fprintf(f, brk ? "\n" : "  ");
	}
	if (percpu(t)) {
		if (!brk && key)
			fprintf(f, "\n");
		for (uint32_t c = 0; c < bpfbox_map__nr_cpus(m); c++) {
			fprintf(f, "value (CPU %02u):%c", c, brk ? '\n' : ' ');
			phex(f, (const uint8_t *)value + (size_t)c * ((vs + 7) & ~7u), vs);
			fprintf(f, "\n");
		}
	} else {
		fprintf(f, "value:%c", brk ? '\n' : ' ');
		phex(f, value, vs);
		fprintf(f, "\n");
	}
	D->count++;
}

static int dump_elem(const void *key, const void *value, void *ud)
{
	struct dump_ud *D = ud;
	uint32_t t = bpfbox_map__type(D->m);
	if (is_ptr_map(t)) {
		/* bpftool prints the id of the program or map in the slot;
		 * bpfbox has no ids and prints its name */
		const void *ptr;
		memcpy(&ptr, value, sizeof(ptr));
		const char *nm = D->set ? cli_mapset_ptr_name(D->set, ptr) : NULL;
		struct bpfbox_map *m = D->m;
		FILE *f = D->f;
		if (D->json) {
			fprintf(f, "%s{\"key\":", D->count ? "," : "");
			jhexarr(f, key, bpfbox_map__key_size(m));
			fprintf(f, ",\"value\":\"%s\"}", nm ? nm : "?");
		} else {
			fprintf(f, "key: ");
			phex(f, key, bpfbox_map__key_size(m));
			fprintf(f, "  value: %s\n", nm ? nm : "?");
		}
		D->count++;
		return 0;
	}
	print_entry(D, key, value);
	return 0;
}

void cli_map_dump(FILE *f, const struct cli_mapset *set, struct bpfbox_map *m, const char *name,
		  bool json)
{
	struct dump_ud D = { f, set, m, json, 0 };
	uint32_t t = bpfbox_map__type(m);
	if (json)
		fprintf(f, "[");
	if (is_queue(t)) {
		/* peek-only view: pop everything then push it back */
		uint32_t vs = bpfbox_map__value_size(m);
		size_t cap = bpfbox_map__max_entries(m), cnt = 0;
		uint8_t *all = malloc(cap * vs + 1);
		while (all && cnt < cap && !bpfbox_map__lookup_and_delete(m, NULL, all + cnt * vs))
			cnt++;
		for (size_t j = 0; j < cnt; j++)
			print_entry(&D, NULL, all + j * vs);
		for (size_t j = 0; j < cnt; j++) {
			size_t at = t == BPFBOX_MAP_TYPE_STACK ? cnt - 1 - j : j;
			bpfbox_map__update(m, NULL, all + at * vs, BPFBOX_ANY);
		}
		free(all);
	} else if (!no_contents(t)) {
		bpfbox_map__for_each(m, dump_elem, &D);
	}
	if (json) {
		fprintf(f, "]\n");
	} else {
		if (no_contents(t))
			fprintf(f, "%s: a %s map has no entries to dump\n", name,
				bpfbox_map_type_name(t));
		fprintf(f, "Found %u element%s\n", D.count, D.count == 1 ? "" : "s");
	}
}
